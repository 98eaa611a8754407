use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Result;
use listings::bench::{Summary, machine};

const LEAF: u64 = 1_000; // ranges this short are counted directly
const BELOW: u64 = 400_000;

/// Deliberately naive: larger numbers cost more, so the halves are uneven.
fn is_prime(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}

// ANCHOR: join
/// Counts the primes in `range`, splitting it in two with rayon::join.
/// `leaves[i]` counts the leaf ranges rayon's worker i counted.
fn count(range: Range<u64>, leaves: &[AtomicU64]) -> u64 {
    if range.end - range.start <= LEAF {
        let me = rayon::current_thread_index().unwrap_or(0);
        leaves[me].fetch_add(1, Ordering::Relaxed); // a tally only
        return range.filter(|&n| is_prime(n)).count() as u64;
    }
    let mid = range.start + (range.end - range.start) / 2;
    // Runs the first closure here; the second waits on this worker's deque,
    // where an idle worker can steal it.
    let (low, high) = rayon::join(
        || count(range.start..mid, leaves),
        || count(mid..range.end, leaves),
    );
    low + high
}
// ANCHOR_END: join

fn main() -> Result<()> {
    println!("{}", machine()?);
    let workers = rayon::current_num_threads(); // rayon's global pool
    // The same code in a pool of one thread: nobody to steal from it.
    let alone = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let leaves: Vec<AtomicU64> = (0..workers).map(|_| 0.into()).collect();
    let (mut one, mut all, mut primes) = (Vec::new(), Vec::new(), (0, 0));
    for run in 0..6 {
        // The two cases alternate; run 0 is a warm-up.
        let start = Instant::now();
        primes.0 = alone.install(|| count(0..BELOW, &[0.into()]));
        let t_one = start.elapsed();
        leaves.iter().for_each(|l| l.store(0, Ordering::Relaxed));
        let start = Instant::now();
        primes.1 = count(0..BELOW, &leaves); // runs in the global pool
        let t_all = start.elapsed();
        if run > 0 {
            one.push(t_one);
            all.push(t_all);
        }
    }
    let (one, all) = (Summary::of(one), Summary::of(all));
    println!("primes below {BELOW}: {} and {}", primes.0, primes.1);
    println!("1 worker:  {one}");
    println!("{workers} workers: {all}");
    let speedup = one.median.as_secs_f64() / all.median.as_secs_f64();
    println!("speedup: {speedup:.2}x");
    let per: Vec<u64> =
        leaves.iter().map(|l| l.load(Ordering::Relaxed)).collect();
    println!("leaves counted by each worker in the last run: {per:?}");
    println!("leaves in all: {}", per.iter().sum::<u64>());
    Ok(())
}
