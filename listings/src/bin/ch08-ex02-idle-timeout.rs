use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use listings::bench::human;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout};

const IDLE: Duration = Duration::from_millis(200);

/// The echo of Listing 8.2, closing a connection silent for `IDLE`.
/// `read` is cancel safe (its docs): a timeout loses no data.
async fn echo(mut stream: TcpStream) -> Result<&'static str> {
    let mut buf = [0_u8; 1024];
    loop {
        let Ok(read) = timeout(IDLE, stream.read(&mut buf)).await else {
            return Ok("closed by the server: idle"); // drops the stream
        };
        let n = read.context("read failed")?;
        if n == 0 {
            return Ok("closed by the client");
        }
        stream.write_all(&buf[..n]).await.context("write failed")?;
    }
}

async fn serve(listener: TcpListener) -> Result<Vec<(usize, &'static str)>> {
    let mut handlers = JoinSet::new();
    for id in 0..2 {
        let (stream, _) = listener.accept().await.context("accept failed")?;
        handlers.spawn(async move { (id, echo(stream).await) });
    }
    let mut endings = Vec::new();
    while let Some(ended) = handlers.join_next().await {
        let (id, how) = ended.context("a handler panicked")?;
        endings.push((id, how?));
    }
    endings.sort();
    Ok(endings)
}

/// Sends five lines 50 ms apart: 250 ms in all, never 200 ms silent.
async fn chatty(mut stream: TcpStream) -> Result<usize> {
    let mut echoes = 0;
    for _ in 0..5 {
        stream.write_all(b"ping\n").await.context("write failed")?;
        let mut reply = [0_u8; 5];
        stream.read_exact(&mut reply).await.context("no echo")?;
        echoes += 1;
        sleep(Duration::from_millis(50)).await;
    }
    Ok(echoes)
}

/// Says nothing, and times how long until the server hangs up, from
/// `start`, taken before it connected (so before the server's timer).
async fn silent(mut stream: TcpStream, start: Instant) -> Result<Duration> {
    let n = stream.read(&mut [0_u8; 16]).await.context("read failed")?;
    anyhow::ensure!(n == 0, "the server sent data");
    Ok(start.elapsed())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot listen")?;
    let port = listener.local_addr().context("no address")?.port();
    let server = tokio::spawn(serve(listener));
    let addr = ("127.0.0.1", port);
    // Connected in this order, so the server numbers them 0 and 1.
    let first = TcpStream::connect(addr).await.context("connect failed")?;
    let start = Instant::now();
    let second = TcpStream::connect(addr).await.context("connect failed")?;
    let (echoes, waited) = tokio::join!(chatty(first), silent(second, start));
    println!("client 0 (chatty): {} echoes of 5", echoes?);
    println!("client 1 (silent): hung up on after {}", human(waited?));
    for (id, how) in server.await.context("the server panicked")?? {
        println!("server, connection {id}: {how}");
    }
    Ok(())
}
