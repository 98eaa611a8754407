use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, OnceLock};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

const THREADS: usize = 3;
const PHASES: usize = 3;

fn main() -> Result<()> {
    let barrier = Barrier::new(THREADS);
    let arrived: [AtomicUsize; PHASES] = Default::default();
    let leaders: [AtomicUsize; PHASES] = Default::default();
    let seen: [AtomicUsize; PHASES] = Default::default(); // the fewest seen
    for s in &seen {
        s.store(usize::MAX, Ordering::Relaxed);
    }
    // Set once every thread exists: had a spawn failed, the threads already
    // waiting at the barrier would wait forever for the missing one.
    let all_started = OnceLock::<bool>::new();
    thread::scope(|s| {
        let mut workers = Vec::new();
        for t in 0..THREADS {
            let (barrier, arrived) = (&barrier, &arrived);
            let (leaders, seen, all_started) = (&leaders, &seen, &all_started);
            let spawned = thread::Builder::new().spawn_scoped(s, move || {
                if !*all_started.wait() {
                    return; // a spawn failed: do not wait at the barrier
                }
                for phase in 0..PHASES {
                    // Unequal work: thread 2 is always the slowest.
                    thread::sleep(Duration::from_millis(10 * t as u64));
                    arrived[phase].fetch_add(1, Ordering::Relaxed);
                    // Nobody passes until all THREADS have called wait().
                    if barrier.wait().is_leader() {
                        leaders[phase].fetch_add(1, Ordering::Relaxed);
                    }
                    // Barrier documents no ordering, but std builds it from
                    // a Mutex and a Condvar, which order the increments
                    // before this load.
                    let now = arrived[phase].load(Ordering::Relaxed);
                    seen[phase].fetch_min(now, Ordering::Relaxed);
                }
            });
            match spawned {
                Ok(worker) => workers.push(worker),
                Err(e) => {
                    let _ = all_started.set(false);
                    return Err(e).context("cannot start a thread");
                }
            }
        }
        let _ = all_started.set(true);
        workers.into_iter().try_for_each(|w| {
            w.join().map_err(|_| anyhow!("a worker panicked"))
        })
    })?;
    for phase in 0..PHASES {
        println!(
            "phase {phase}: after wait(), every thread saw at least {} of \
             {THREADS} arrivals; leaders: {}",
            seen[phase].load(Ordering::Relaxed),
            leaders[phase].load(Ordering::Relaxed)
        );
    }
    Ok(())
}
