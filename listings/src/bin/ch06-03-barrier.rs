use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Result, anyhow};

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
    thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (barrier, arrived) = (&barrier, &arrived);
                let (leaders, seen) = (&leaders, &seen);
                s.spawn(move || {
                    for phase in 0..PHASES {
                        // Unequal work: thread 2 is always the slowest.
                        thread::sleep(Duration::from_millis(10 * t as u64));
                        arrived[phase].fetch_add(1, Ordering::Relaxed);
                        // Nobody passes until all THREADS have called wait().
                        if barrier.wait().is_leader() {
                            leaders[phase].fetch_add(1, Ordering::Relaxed);
                        }
                        // The barrier orders the increments before this load.
                        let now = arrived[phase].load(Ordering::Relaxed);
                        seen[phase].fetch_min(now, Ordering::Relaxed);
                    }
                })
            })
            .collect();
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
