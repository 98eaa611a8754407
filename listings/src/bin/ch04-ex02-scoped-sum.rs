use std::thread;

use anyhow::{Context, Result, anyhow};
use rayon::prelude::*;

fn main() -> Result<()> {
    let numbers: Vec<u64> = (1..=10_000_000).collect();
    let threads = thread::available_parallelism()
        .context("cannot count the CPUs")?
        .get();

    // By hand: one scoped thread per chunk, then combine.
    let chunk = numbers.len().div_ceil(threads);
    let by_hand = thread::scope(|s| {
        let handles: Vec<_> = numbers
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || part.iter().map(|n| n % 7).sum::<u64>())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow!("a thread panicked")))
            .sum::<Result<u64>>()
    })?;
    // With rayon: the same result, with work stealing and no chunking by
    // hand.
    let with_rayon: u64 = numbers.par_iter().map(|n| n % 7).sum();
    println!("by hand, {threads} threads: {by_hand}; with rayon: {with_rayon}");
    Ok(())
}
