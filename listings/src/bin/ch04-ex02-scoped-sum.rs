use std::thread;

use rayon::prelude::*;

fn main() {
    let numbers: Vec<u64> = (1..=10_000_000).collect();
    let threads = thread::available_parallelism().map_or(2, |n| n.get());

    // By hand: one scoped thread per chunk, then combine.
    let chunk = numbers.len().div_ceil(threads);
    let by_hand: u64 = thread::scope(|s| {
        let handles: Vec<_> = numbers
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || part.iter().map(|n| n % 7).sum::<u64>())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a summing thread panicked"))
            .sum()
    });
    // With rayon: the same result, with work stealing and no chunking by hand.
    let with_rayon: u64 = numbers.par_iter().map(|n| n % 7).sum();
    println!(
        "by hand: {by_hand}, with rayon: {with_rayon}, equal: {}",
        by_hand == with_rayon
    );
}
