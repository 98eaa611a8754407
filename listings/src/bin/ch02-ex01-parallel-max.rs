use std::thread;

use anyhow::{Result, anyhow};

fn main() -> Result<()> {
    let data: Vec<u64> = (0..1_000_000_u64)
        .map(|i| (i * 7_919) % 1_000_003)
        .collect();
    let workers = 4;
    let chunk = data.len().div_ceil(workers);

    // Each scoped thread finds the maximum of its chunk; main combines them.
    let maxima: Vec<u64> = thread::scope(|s| -> Result<_> {
        let handles: Vec<_> = data
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || part.iter().copied().max().unwrap_or(0))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow!("a worker panicked")))
            .collect()
    })?;
    println!("maxima of {} chunks: {maxima:?}", maxima.len());
    println!("maximum: {}", maxima.iter().max().unwrap_or(&0));
    println!("check:   {}", data.iter().max().unwrap_or(&0));
    Ok(())
}
