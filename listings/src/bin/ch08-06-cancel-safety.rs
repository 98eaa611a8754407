use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::{mpsc, oneshot};

const FIRST: &str = "hel";
const SECOND: &str = "lo\n";

/// Writes "hel", signals an event, waits until the reader has handled
/// it, then writes "lo\n": the line arrives in two parts.
async fn writer(
    mut stream: DuplexStream,
    events: mpsc::Sender<()>,
    handled: oneshot::Receiver<()>,
) -> Result<()> {
    stream
        .write_all(FIRST.as_bytes())
        .await
        .context("write failed")?;
    events.send(()).await.context("the reader is gone")?;
    handled.await.context("the reader is gone")?;
    stream
        .write_all(SECOND.as_bytes())
        .await
        .context("write failed")?;
    Ok(())
}

// ANCHOR: reader
/// Reads one line while also handling events, with `select!` in a loop.
/// Each turn, the branch that loses is dropped, mid-read or not.
async fn reader(
    stream: DuplexStream,
    mut events: mpsc::Receiver<()>,
    handled: oneshot::Sender<()>,
    cancel_safe: bool,
) -> Result<String> {
    let mut reader = BufReader::new(stream);
    let mut handled = Some(handled);
    let (mut bytes, mut text) = (Vec::new(), String::new()); // kept
    loop {
        tokio::select! {
            biased; // poll the read first, so that it has read "hel"
            read = read_to_newline(&mut reader, &mut bytes, &mut text,
                                   cancel_safe) => {
                read.context("read failed")?;
                break;
            }
            Some(()) = events.recv() => {
                if let Some(handled) = handled.take() {
                    let _ = handled.send(()); // Err: the writer is gone
                }
            }
        }
    }
    Ok(if cancel_safe {
        String::from_utf8(bytes)?
    } else {
        text
    })
}

/// Reads up to a newline, with `read_until` into `bytes` (cancel safe:
/// what it read stays in `bytes`) or `read_line` into `text` (not cancel
/// safe: what it read is lost), as their docs say.
async fn read_to_newline(
    reader: &mut BufReader<DuplexStream>,
    bytes: &mut Vec<u8>,
    text: &mut String,
    cancel_safe: bool,
) -> std::io::Result<usize> {
    if cancel_safe {
        reader.read_until(b'\n', bytes).await
    } else {
        reader.read_line(text).await
    }
}
// ANCHOR_END: reader

async fn line_read_by(cancel_safe: bool) -> Result<String> {
    let (ours, theirs) = tokio::io::duplex(64); // an in-memory pipe
    let (events_tx, events_rx) = mpsc::channel(1);
    let (handled_tx, handled_rx) = oneshot::channel();
    let (read, written) = tokio::join!(
        reader(ours, events_rx, handled_tx, cancel_safe),
        writer(theirs, events_tx, handled_rx)
    );
    written?;
    read
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    println!("the writer sends:      {FIRST:?}, then {SECOND:?}");
    let line = line_read_by(false).await?;
    println!("read_line in select!:  {line:?}");
    let line = line_read_by(true).await?;
    println!("read_until in select!: {line:?}");
    Ok(())
}
