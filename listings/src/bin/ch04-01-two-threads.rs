use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use listings::bench::human;

/// How long each task sleeps: it stands for waiting (a disk, a network, a
/// user), which needs no CPU.
const SLEEP: Duration = Duration::from_secs(2);

fn task(name: &str) {
    println!("starting {name}");
    thread::sleep(SLEEP);
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
    // Join every thread before reporting a panic, so that none is left.
    let joined: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
    if joined.iter().any(Result::is_err) {
        return Err(anyhow!("a task panicked"));
    }
    println!(
        "both done after {}; the two sleeps add up to {}",
        human(start.elapsed()),
        human(SLEEP * 2)
    );
    Ok(())
}
