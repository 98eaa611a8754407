use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SendError};
use std::thread;
use std::time::Duration;

use anyhow::{Result, anyhow};

const ITEMS: usize = 20;

/// A fast producer, a slow consumer: how far ahead does the producer get?
fn max_ahead(
    send: impl Fn(usize) -> Result<(), SendError<usize>>,
    rx: Receiver<usize>,
) -> Result<usize> {
    let received = &AtomicUsize::new(0);
    thread::scope(|s| {
        let consumer = s.spawn(move || {
            for _ in rx {
                // Relaxed is enough: the producer's send(k + 3) is unblocked
                // only by recv(k + 1), which comes after this increment for
                // k, and the channel orders the two (happens-before).
                received.fetch_add(1, Ordering::Relaxed);
                thread::sleep(Duration::from_millis(2)); // slow work
            }
        });
        let mut ahead = 0;
        let sent = (1..=ITEMS).try_for_each(|sent| {
            send(sent).map_err(|_| anyhow!("consumer gone"))?; // blocks
            // while a sync_channel is full; a channel() never blocks
            ahead = ahead.max(sent - received.load(Ordering::Relaxed));
            Ok::<_, anyhow::Error>(())
        });
        drop(send); // drops the sender: the consumer's loop ends
        consumer.join().map_err(|_| anyhow!("consumer panicked"))?;
        sent.map(|()| ahead)
    })
}

fn main() -> Result<()> {
    let (tx, rx) = mpsc::sync_channel(2);
    let bounded = max_ahead(move |i| tx.send(i), rx)?;
    println!("sync_channel(2): the producer got {bounded} items ahead");
    let (tx, rx) = mpsc::channel();
    let unbounded = max_ahead(move |i| tx.send(i), rx)?;
    println!("channel():       the producer got {unbounded} items ahead");
    Ok(())
}
