use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, LazyLock, OnceLock};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};

const THREADS: usize = 4;
static LAZY_RUNS: AtomicUsize = AtomicUsize::new(0);
static ONCE_RUNS: AtomicUsize = AtomicUsize::new(0);

/// Initialised on first use, by whichever thread gets there first.
static TABLE: LazyLock<Vec<u64>> = LazyLock::new(|| {
    LAZY_RUNS.fetch_add(1, Ordering::Relaxed); // a count only
    thread::sleep(Duration::from_millis(20)); // a slow initialisation
    (0..10).map(|n| n * n).collect()
});

/// Set once, at run time, by whichever caller comes first.
static GREETING: OnceLock<String> = OnceLock::new();

fn main() -> Result<()> {
    let start = Barrier::new(THREADS);
    // Set once every thread exists: had a spawn failed, the threads already
    // waiting at the barrier would wait forever for the missing one.
    let all_started = OnceLock::<bool>::new();
    let seen = thread::scope(|s| {
        let mut handles = Vec::new();
        for t in 0..THREADS {
            let (start, all_started) = (&start, &all_started);
            let spawned = thread::Builder::new().spawn_scoped(s, move || {
                if !*all_started.wait() {
                    return None; // a spawn failed: do not wait at the barrier
                }
                start.wait(); // all threads race for the first use
                let greeting = GREETING.get_or_init(|| {
                    ONCE_RUNS.fetch_add(1, Ordering::Relaxed);
                    format!("set by thread {t}")
                });
                Some((TABLE[9], greeting.as_str()))
            });
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    let _ = all_started.set(false);
                    return Err(e).context("cannot start a thread");
                }
            }
        }
        let _ = all_started.set(true);
        let seen = handles.into_iter().map(|h| h.join().ok().flatten());
        seen.collect::<Option<Vec<_>>>()
            .context("a thread panicked")
    })?;
    let agree = seen.iter().all(|v| *v == seen[0]);
    println!("{THREADS} threads raced for the first use");
    println!(
        "LazyLock initialiser ran {} time(s)",
        LAZY_RUNS.load(Ordering::Relaxed)
    );
    println!(
        "OnceLock initialiser ran {} time(s): {:?}",
        ONCE_RUNS.load(Ordering::Relaxed),
        seen[0].1
    );
    println!("all threads saw the same values: {agree}");
    Ok(())
}
