use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::thread;

use anyhow::{Result, anyhow};

const ITEMS: u64 = 100_000;

/// What the lock protects: the items, and whether more will come.
struct State {
    items: VecDeque<u64>,
    closed: bool,
}

/// A queue consumers can wait on: the state, and a Condvar to sleep on.
struct Queue {
    state: Mutex<State>,
    not_empty: Condvar,
}

/// Takes an item, sleeping while there is none; `None` once closed and empty.
/// Counts the wake-ups that found nothing to take.
fn take(queue: &Queue, empty_wakeups: &mut u64) -> Option<u64> {
    let mut state = queue.state.lock().expect("no thread panics holding it");
    // A `while`, not an `if`: wait() may return without a notification (a
    // spurious wake-up), or after another consumer took the item.
    while state.items.is_empty() && !state.closed {
        // Unlocks, sleeps until notified, then locks again before returning.
        state = queue.not_empty.wait(state).expect("no panic holding it");
        if state.items.is_empty() && !state.closed {
            *empty_wakeups += 1;
        }
    }
    state.items.pop_front() // None only when closed and empty
}

fn main() -> Result<()> {
    let queue = Queue {
        state: Mutex::new(State {
            items: VecDeque::new(),
            closed: false,
        }),
        not_empty: Condvar::new(),
    };
    let results = thread::scope(|s| {
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let (mut count, mut sum, mut empty) = (0_u64, 0_u64, 0);
                    while let Some(item) = take(&queue, &mut empty) {
                        (count, sum) = (count + 1, sum + item);
                    }
                    (count, sum, empty)
                })
            })
            .collect();
        for item in 1..=ITEMS {
            let mut state = queue.state.lock().expect("no panic holding it");
            state.items.push_back(item);
            drop(state); // unlock first, so the woken thread can lock at once
            queue.not_empty.notify_one();
        }
        queue.state.lock().expect("no panic holding it").closed = true;
        queue.not_empty.notify_all(); // every sleeper must see `closed`
        consumers.into_iter().map(|c| c.join()).collect::<Vec<_>>()
    });
    let (mut total, mut sum) = (0, 0);
    for (i, result) in results.into_iter().enumerate() {
        let (count, part, empty) =
            result.map_err(|_| anyhow!("a consumer panicked"))?;
        println!("consumer {i}: took {count} items, {empty} empty wake-ups");
        (total, sum) = (total + count, sum + part);
    }
    println!("taken in all: {total} items of {ITEMS}");
    println!(
        "sum: {sum} (1 + ... + {ITEMS} = {})",
        ITEMS * (ITEMS + 1) / 2
    );
    Ok(())
}
