use std::sync::{Barrier, Mutex, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};

const PATIENCE: Duration = Duration::from_millis(500);
type Named<'a> = (&'a str, &'a Mutex<i64>);

/// Locks `first`, then tries `second` until PATIENCE runs out. `both` holds
/// each thread until every thread has its first lock (and, on failure,
/// until every thread has given up, so that each one reports it).
fn transfer(first: Named, second: Named, both: &Barrier) -> Result<(), String> {
    let mut from = first.1.lock().expect("no panic holding it");
    both.wait();
    let deadline = Instant::now() + PATIENCE;
    loop {
        match second.1.try_lock() {
            Ok(mut to) => {
                (*from, *to) = (*from - 1, *to + 1);
                return Ok(());
            }
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(1));
            }
            _ => {
                both.wait();
                let (f, s) = (first.0, second.0);
                return Err(format!("holds {f}, no {s} after {PATIENCE:?}"));
            } // returning drops `from`, the lock this thread held
        }
    }
}

/// Two threads, `rounds` transfers each, taking the locks in these orders.
fn run(orders: [[Named; 2]; 2], rounds: u32, both: &Barrier) -> Result<()> {
    // Thread 1 is a new thread, thread 2 this one: if the spawn fails, no
    // thread is left waiting at the barrier for one that never came.
    let [[a1, b1], [a2, b2]] = orders;
    let reports = thread::scope(|s| {
        let one = thread::Builder::new()
            .spawn_scoped(s, move || {
                (0..rounds).try_for_each(|_| transfer(a1, b1, both))
            })
            .context("cannot start a thread")?;
        let two = (0..rounds).try_for_each(|_| transfer(a2, b2, both));
        anyhow::Ok([one.join(), Ok(two)])
    })?;
    for (i, report) in reports.into_iter().enumerate() {
        match report.map_err(|_| anyhow!("a thread panicked"))? {
            Ok(()) => println!("  thread {}: {rounds} transfers done", i + 1),
            Err(stuck) => println!("  thread {}: deadlock: {stuck}", i + 1),
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    let (a, b) = (Mutex::new(100), Mutex::new(100));
    let (a, b) = (("A", &a), ("B", &b));
    println!("opposite orders: thread 1 locks A then B, thread 2 B then A");
    run([[a, b], [b, a]], 1, &Barrier::new(2))?;
    println!("one global order: both threads lock A then B");
    run([[a, b], [a, b]], 10_000, &Barrier::new(1))?;
    let total = *a.1.lock().map_err(|_| anyhow!("poisoned"))?
        + *b.1.lock().map_err(|_| anyhow!("poisoned"))?;
    println!("A + B = {total} (money is neither created nor lost)");
    Ok(())
}
