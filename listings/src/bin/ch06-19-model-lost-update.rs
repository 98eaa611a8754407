use loom::sync::Arc;
use loom::sync::atomic::{AtomicU64, Ordering::SeqCst};
use loom::thread;

use listings::model::outcomes;

// Loom explores every interleaving, so the model is kept small: what is
// possible with 2 threads of 2 increments is possible with more.
const THREADS: u64 = 2;
const INCREMENTS: u64 = 2;

/// Listing 2.7's `count`, on loom's types: THREADS threads each call
/// `add_one` INCREMENTS times; returns the final count.
fn count(add_one: fn(&AtomicU64)) -> u64 {
    let counter = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                for _ in 0..INCREMENTS {
                    add_one(&counter);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("no thread panics");
    }
    counter.load(SeqCst)
}

fn main() {
    let expected = THREADS * INCREMENTS;
    println!("{THREADS} threads x {INCREMENTS} increments = {expected};");
    println!("in every execution, the final count is one of:");
    let split = outcomes(|| count(|c| c.store(c.load(SeqCst) + 1, SeqCst)));
    println!("{}", split.allowed("load, then store", 16, u64::to_string));
    println!("{:16}  {}", "", split.effort());
    let rmw = outcomes(|| {
        count(|c| {
            c.fetch_add(1, SeqCst);
        })
    });
    println!("{}", rmw.allowed("fetch_add", 16, u64::to_string));
    println!("{:16}  {}", "", rmw.effort());
}
