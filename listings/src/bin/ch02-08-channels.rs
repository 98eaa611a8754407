use std::sync::mpsc;
use std::thread;

use anyhow::{Result, anyhow};

fn main() -> Result<()> {
    let (sender, receiver) = mpsc::channel();
    let producers: Vec<_> = (1..=3)
        .map(|id| {
            let sender = sender.clone();
            thread::spawn(move || {
                for n in 1..=2 {
                    // send fails only if the receiver is gone; here it outlives
                    // the producers.
                    let _ = sender.send(format!("producer {id}: message {n}"));
                }
            })
        })
        .collect();
    // Drop the original sender: the channel closes once every clone is dropped
    // too, which is what ends the loop below.
    drop(sender);

    for message in &receiver {
        println!("received {message}");
    }
    println!("all senders are gone: the channel is closed");
    for producer in producers {
        producer
            .join()
            .map_err(|_| anyhow!("a producer panicked"))?;
    }
    Ok(())
}
