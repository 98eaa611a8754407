use std::collections::VecDeque;

use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use listings::model::outcomes;

/// Listing 6.1's queue, on loom's types.
#[derive(Default)]
struct Queue {
    state: Mutex<(VecDeque<u64>, bool)>, // the items, and "closed"
    not_empty: Condvar,
}

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

/// Two consumers take once each; this thread produces one item, then
/// closes the queue. Returns (items taken, consumers that stopped while
/// the queue was still open).
fn run(with_while: bool) -> (u64, u64) {
    let queue = Arc::new(Queue::default());
    let consumers = [(); 2].map(|()| {
        let queue = queue.clone();
        thread::spawn(move || match take(&queue, with_while) {
            Ok(_) => (1, 0),
            Err(closed) => (0, u64::from(!closed)),
        })
    });
    let mut state = queue.state.lock().expect("no panic holding it");
    state.0.push_back(1);
    drop(state); // unlock first, as Listing 6.1 does
    queue.not_empty.notify_one();
    queue.state.lock().expect("no panic holding it").1 = true;
    queue.not_empty.notify_all();
    consumers
        .map(|c| c.join().expect("no consumer panics"))
        .into_iter()
        .fold((0, 0), |(t, e), (taken, early)| (t + taken, e + early))
}

fn main() {
    println!("one item, two consumers that take once; in every execution,");
    println!(
        "(items taken, consumers that stopped before the close) is one of:"
    );
    for (name, with_while) in [("while", true), ("if", false)] {
        let ends = outcomes(move || run(with_while));
        let show = |(taken, early): &(u64, u64)| format!("({taken}, {early})");
        println!("{}", ends.allowed(name, 5, show));
        println!("{:5}  {}", "", ends.effort());
    }
}
