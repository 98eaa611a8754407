use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Condvar, Mutex};

use anyhow::Result;
use listings::litmus::{self, Body};

/// Listing 6.1's queue, and what each consumer got in the round:
/// 1 an item, 2 nothing once closed, 3 nothing while still open.
#[derive(Default)]
struct Queue {
    state: Mutex<(VecDeque<u64>, bool)>, // the items, and "closed"
    not_empty: Condvar,
    got: [AtomicU64; 2],
}

// ANCHOR: litmus
/// Listing 6.1's `take`, with its `while` or with an `if` in its place.
/// Returns the item, or `None` and whether the queue was closed then.
fn take(queue: &Queue, with_while: bool) -> Result<u64, bool> {
    let mut state = queue.state.lock().expect("no panic holding it");
    let must_wait = |s: &(VecDeque<u64>, bool)| s.0.is_empty() && !s.1;
    if with_while {
        while must_wait(&state) {
            state = queue.not_empty.wait(state).expect("no panic holding it");
        }
    } else if must_wait(&state) {
        state = queue.not_empty.wait(state).expect("no panic holding it");
    }
    state.0.pop_front().ok_or(state.1)
}

/// The producer's side of a round: one item, then close the queue.
fn produce(queue: &Queue) {
    let mut state = queue.state.lock().expect("no panic holding it");
    state.0.push_back(1);
    drop(state); // unlock first, as Listing 6.1 does
    queue.not_empty.notify_one();
    queue.state.lock().expect("no panic holding it").1 = true;
    queue.not_empty.notify_all();
}
// ANCHOR_END: litmus

/// A consumer's side: take once, and record what it got.
fn consume(queue: &Queue, me: usize, with_while: bool) {
    let got = match take(queue, with_while) {
        Ok(_) => 1,
        Err(true) => 2,
        Err(false) => 3, // stopped while the queue was still open
    };
    queue.got[me].store(got, Relaxed);
}

/// (items taken, consumers that stopped before the close); reopens the
/// queue for the next round.
fn outcome(queue: &Queue) -> (u64, u64) {
    *queue.state.lock().expect("no panic holding it") = Default::default();
    let got = queue.got.each_ref().map(|g| g.load(Relaxed));
    let count = |what| got.iter().filter(|&&g| g == what).count() as u64;
    (count(1), count(3))
}

fn main() -> Result<()> {
    let args: litmus::Args = listings::cli::parse();
    println!("{}", listings::bench::machine()?);
    println!("each round: one item, two consumers that take once;");
    println!("(items taken, consumers that stopped before the close):");
    for (name, with_while) in [("while", true), ("if", false)] {
        let queue = Queue::default();
        let producer = |q: &Queue| produce(q);
        let first = |q: &Queue| consume(q, 0, with_while);
        let second = |q: &Queue| consume(q, 1, with_while);
        let bodies: [Body<Queue>; 3] = [&producer, &first, &second];
        let counts = litmus::run(args.millis, &queue, &bodies, outcome)?;
        let show = |(taken, early): &(u64, u64)| format!("({taken}, {early})");
        println!("{}", counts.report(name, &[(1, 0), (1, 1)], show));
    }
    Ok(())
}
