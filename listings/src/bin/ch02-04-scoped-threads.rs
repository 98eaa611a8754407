use std::thread;

use anyhow::{Result, anyhow};

fn main() -> Result<()> {
    let numbers: Vec<u64> = (1..=1_000).collect();
    let halves = numbers.split_at(numbers.len() / 2);

    // Scoped threads may borrow `numbers`: the scope does not end before
    // they are joined, so the borrow cannot outlive the data.
    let (left, right) = thread::scope(|s| {
        let left = s.spawn(|| halves.0.iter().sum::<u64>());
        let right = s.spawn(|| halves.1.iter().sum::<u64>());
        (left.join(), right.join())
    });
    let panicked = |_| anyhow!("a summing thread panicked");
    let (left, right) = (left.map_err(panicked)?, right.map_err(panicked)?);
    println!(
        "left half: {left}, right half: {right}, total: {}",
        left + right
    );
    println!("numbers is still ours: {} items", numbers.len());
    Ok(())
}
