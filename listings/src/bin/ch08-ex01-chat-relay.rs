use std::time::Duration;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinSet;

const CLIENTS: usize = 3;

/// Relays: every line from its client goes to the broadcast channel, and
/// every line from the channel that another client sent goes to its
/// client. Both `next_line` and `recv` are cancel safe (their docs), so
/// losing a turn of `select!` loses nothing.
async fn relay(
    id: usize,
    stream: TcpStream,
    tx: broadcast::Sender<(usize, String)>,
    mut rx: broadcast::Receiver<(usize, String)>,
) -> Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write
        .write_all(b"welcome\n")
        .await
        .context("write failed")?;
    loop {
        tokio::select! {
            line = lines.next_line() => match line.context("read failed")? {
                Some(line) => drop(tx.send((id, line))), // Err: no one left
                None => return Ok(()), // the client closed
            },
            message = rx.recv() => {
                // Err(Lagged) if this client fell 16 messages behind.
                let (from, text) = message.context("relay lagged")?;
                if from != id {
                    let line = format!("{text}\n");
                    write.write_all(line.as_bytes()).await
                        .context("write failed")?;
                }
            }
        }
    }
}

async fn serve(listener: TcpListener) -> Result<()> {
    let (tx, _) = broadcast::channel(16); // bounded: 16 messages
    let mut accepted = Vec::new();
    for id in 0..CLIENTS {
        let (stream, _) = listener.accept().await.context("accept failed")?;
        accepted.push((id, stream, tx.subscribe()));
    }
    // Everyone has subscribed before anyone is welcomed (and speaks).
    let mut relays = JoinSet::new();
    for (id, stream, rx) in accepted {
        relays.spawn(relay(id, stream, tx.clone(), rx));
    }
    while let Some(ended) = relays.join_next().await {
        ended.context("a relay panicked")??;
    }
    Ok(())
}

/// A test client: waits for the welcome, says hello, reads the others'.
async fn client(port: u16, id: usize) -> Result<Vec<String>> {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .context("connect failed")?;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    lines.next_line().await.context("no welcome")?;
    let hello = format!("hello from client {id}\n");
    write
        .write_all(hello.as_bytes())
        .await
        .context("write failed")?;
    let mut heard = Vec::new();
    while heard.len() < CLIENTS - 1 {
        let line = lines.next_line().await.context("read failed")?;
        heard.push(line.context("the server closed early")?);
    }
    heard.sort(); // they may arrive in any order
    Ok(heard) // dropping the halves closes the connection
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot listen")?;
    let port = listener.local_addr().context("no address")?.port();
    let server = tokio::spawn(serve(listener));
    // Like asyncio.Queue(maxsize=3): the clients report into it.
    let (reports, mut inbox) = mpsc::channel(CLIENTS);
    for id in 0..CLIENTS {
        let reports = reports.clone();
        tokio::spawn(async move {
            reports.send((id, client(port, id).await)).await
        });
    }
    drop(reports); // the inbox ends when every client has reported
    let mut heard = Vec::new();
    let collect = async {
        while let Some(report) = inbox.recv().await {
            heard.push(report);
        }
    };
    tokio::time::timeout(Duration::from_secs(5), collect)
        .await
        .context("the chat took more than 5 s")?;
    heard.sort_by_key(|(id, _)| *id);
    for (id, lines) in heard {
        println!("client {id} heard {:?}", lines?);
    }
    server.await.context("the server panicked")?
}
