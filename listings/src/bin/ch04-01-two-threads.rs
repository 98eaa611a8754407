use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use listings::bench::human;

fn task(name: &str) {
    println!("starting {name}");
    thread::sleep(Duration::from_secs(2)); // stands for waiting: on a disk, a network, a user
    println!("ending {name}");
}

fn main() -> Result<()> {
    let start = Instant::now();
    let handles = ["thread-1", "thread-2"]
        .into_iter()
        .map(|name| {
            thread::Builder::new()
                .name(name.to_owned())
                .spawn(move || task(name))
                .context("cannot spawn a thread")
        })
        .collect::<Result<Vec<_>>>()?;
    for handle in handles {
        handle.join().map_err(|_| anyhow!("a task panicked"))?;
    }
    println!("both tasks done after {}, not 4 s", human(start.elapsed()));
    Ok(())
}
