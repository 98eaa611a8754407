use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, LazyLock, OnceLock};
use std::thread;
use std::time::Duration;

use anyhow::{Result, anyhow};

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
    let seen = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let start = &start;
                s.spawn(move || {
                    start.wait(); // all threads race for the first use
                    let greeting = GREETING.get_or_init(|| {
                        ONCE_RUNS.fetch_add(1, Ordering::Relaxed);
                        format!("set by thread {t}")
                    });
                    (TABLE[9], greeting.as_str())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
    });
    let seen = seen
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| anyhow!("a thread panicked"))?;
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
