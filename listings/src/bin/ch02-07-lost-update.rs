use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::thread;

use anyhow::{Result, anyhow};
use clap::Parser;

/// Threads add one to a shared atomic, as a load then a separate store.
#[derive(Parser)]
struct Args {
    /// How many increments each of the four threads makes
    #[arg(long, default_value_t = 2_000_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    increments: u64,
}

const THREADS: u64 = 4;

/// Runs THREADS threads that each call `add_one` `n` times; returns the count.
fn count(n: u64, add_one: fn(&AtomicU64)) -> Result<u64> {
    let counter = AtomicU64::new(0);
    thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    for _ in 0..n {
                        add_one(&counter);
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().map_err(|_| anyhow!("a thread panicked"))?;
        }
        Ok(counter.load(SeqCst))
    })
}

fn main() -> Result<()> {
    let Args { increments } = listings::cli::parse();
    let expected = THREADS * increments;
    println!("{THREADS} threads x {increments} increments = {expected}");

    // Each access is atomic, but the pair is not: another thread may
    // store between this thread's load and its store.
    let split = count(increments, |c| c.store(c.load(SeqCst) + 1, SeqCst))?;
    println!("load, then store: {split:>8}, lost {}", expected - split);

    // One read-modify-write: no thread can come between the read and
    // the write.
    let rmw = count(increments, |c| {
        c.fetch_add(1, SeqCst);
    })?;
    println!("fetch_add:        {rmw:>8}, lost {}", expected - rmw);
    Ok(())
}
