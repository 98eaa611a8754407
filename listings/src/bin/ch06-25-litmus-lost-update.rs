use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use anyhow::Result;
use listings::litmus::{self, Body};

/// Listing 2.7's two ways to add one to the counter.
type AddOne = fn(&AtomicU64);
const CASES: [(&str, AddOne); 2] = [
    ("load, then store", |c| c.store(c.load(SeqCst) + 1, SeqCst)),
    ("fetch_add", |c| {
        c.fetch_add(1, SeqCst);
    }),
];
const INCREMENTS: u64 = 2;

fn main() -> Result<()> {
    let args: litmus::Args = listings::cli::parse();
    println!("{}", listings::bench::machine()?);
    println!("each round: 2 threads x {INCREMENTS} increments of one counter;");
    println!("the count at the end of the round:");
    for (name, add_one) in CASES {
        let counter = AtomicU64::new(0);
        let side = |c: &AtomicU64| (0..INCREMENTS).for_each(|_| add_one(c));
        let bodies: [Body<AtomicU64>; 2] = [&side, &side];
        let counts = litmus::run(args.millis, &counter, &bodies, |c| {
            c.swap(0, SeqCst) // the count, and 0 for the next round
        })?;
        println!("{}", counts.report(name, &[2, 3, 4], u64::to_string));
    }
    Ok(())
}
