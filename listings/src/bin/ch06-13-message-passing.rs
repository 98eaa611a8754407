use std::fmt;
use std::hint::spin_loop;
use std::sync::atomic::Ordering::{self, Acquire, Relaxed, Release, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::thread;

use anyhow::Result;
use listings::litmus::{self, Body};

/// The message, its flag, and what the consumer found.
#[derive(Default)]
struct Shared {
    payload: [AtomicU64; 4],
    ready: AtomicU64,
    complete: AtomicBool,
}

// ANCHOR: litmus
/// The producer's side of a round: write the payload, then set the flag.
fn produce(s: &Shared, publish: Ordering) {
    for p in &s.payload {
        p.store(1, Relaxed); // published by a Release (or SeqCst) `ready`
    }
    s.ready.store(1, publish); // "the payload is complete"
}

/// The consumer's side: wait for the flag, then read the payload.
fn consume(s: &Shared, receive: Ordering) {
    let mut spins = 0_u32;
    // Acquire: if this reads 1, the payload stores made before the
    // Release store of 1 are visible below.
    while s.ready.load(receive) == 0 {
        spins += 1;
        if spins < 1_000 {
            spin_loop()
        } else {
            thread::yield_now() // on one CPU, the producer needs a turn
        }
    }
    let complete = s.payload.iter().all(|p| p.load(Relaxed) == 1);
    s.complete.store(complete, Relaxed); // counted once the round is over
}

const CASES: [(&str, Ordering, Ordering); 3] = [
    ("Relaxed", Relaxed, Relaxed),
    ("Release/Acquire", Release, Acquire),
    ("SeqCst", SeqCst, SeqCst),
];
// ANCHOR_END: litmus

/// What the consumer found: the same outcomes as its model, Listing 6.21
/// (whose consumer looks once, and may find the flag not yet set).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Found {
    NotReady,
    Complete,
    Incomplete,
}

fn main() -> Result<()> {
    let args: litmus::Args = listings::cli::parse();
    println!("{}", listings::bench::machine()?);
    println!("each round: the producer writes 4 words, then sets the flag;");
    println!("the consumer waits for the flag, then reads the 4 words:");
    let known = [Found::NotReady, Found::Complete, Found::Incomplete];
    for (name, publish, receive) in CASES {
        let sh = Shared::default();
        let producer = |s: &Shared| produce(s, publish);
        let consumer = |s: &Shared| consume(s, receive);
        let bodies: [Body<Shared>; 2] = [&producer, &consumer];
        let counts = litmus::run(args.millis, &sh, &bodies, |s| {
            s.ready.store(0, Relaxed); // the next round's message
            s.payload.iter().for_each(|p| p.store(0, Relaxed));
            match s.complete.load(Relaxed) {
                true => Found::Complete,
                false => Found::Incomplete,
            }
        })?;
        println!("{}", counts.report(name, &known, ToString::to_string));
    }
    Ok(())
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Found::NotReady => "not ready",
            Found::Complete => "complete",
            Found::Incomplete => "INCOMPLETE",
        })
    }
}
