use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;
use listings::bench::{Summary, human, machine};

/// A ticker task and a task that waits 100 ms, on one thread: how late the
/// ticker wakes, for five ways of waiting.
#[derive(Parser)]
struct Args {
    /// Repetitions of each case.
    #[arg(long, default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=100))]
    runs: u64,
}

const WAIT: Duration = Duration::from_millis(100);

/// Keeps the CPU busy for `WAIT`: a stand-in for a long computation.
fn compute() -> u64 {
    let (start, mut n) = (Instant::now(), 0_u64);
    while start.elapsed() < WAIT {
        n = std::hint::black_box(n.wrapping_add(1));
    }
    n
}

// ANCHOR: cases
const CASES: [&str; 5] = [
    "std::thread::sleep in the task",
    "a CPU loop in the task",
    "tokio::time::sleep(..).await",
    "spawn_blocking(std::thread::sleep)",
    "rayon::spawn(CPU loop) + oneshot",
];

/// Waits `WAIT` in the way `case` names.
async fn wait(case: usize) -> Result<()> {
    match case {
        0 => std::thread::sleep(WAIT), // blocks the runtime's only thread
        1 => _ = compute(),            // so does computing
        2 => tokio::time::sleep(WAIT).await, // yields to the runtime
        3 => tokio::task::spawn_blocking(|| std::thread::sleep(WAIT))
            .await
            .context("the blocking task failed")?,
        _ => {
            let (tx, rx) = tokio::sync::oneshot::channel();
            rayon::spawn(move || {
                let _ = tx.send(compute()); // fails only if rx is gone
            });
            rx.await.context("the rayon job was lost")?;
        }
    }
    Ok(())
}

/// Runs a ticker (1 ms sleeps) beside `wait(case)` on a runtime with one
/// thread; returns the ticker's worst lateness.
async fn worst_delay(case: usize) -> Result<Duration> {
    let done = Arc::new(AtomicBool::new(false));
    let ticking = Arc::clone(&done);
    let ticker = tokio::spawn(async move {
        let mut worst = Duration::ZERO;
        while !ticking.load(Ordering::Relaxed) {
            let asked = Instant::now();
            tokio::time::sleep(Duration::from_millis(1)).await;
            worst = worst.max(asked.elapsed() - Duration::from_millis(1));
        }
        worst
    });
    let waited = tokio::spawn(wait(case)).await;
    // Relaxed: the flag guards no other data, and both tasks run on the
    // same thread anyway.
    done.store(true, Ordering::Relaxed);
    let worst = ticker.await.context("the ticker failed")?;
    waited.context("the waiting task panicked")??;
    Ok(worst)
}
// ANCHOR_END: cases

fn main() -> Result<()> {
    let runs = listings::cli::parse::<Args>().runs as usize;
    println!("{}", machine()?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .context("cannot build the runtime")?;
    let mut samples = vec![Vec::new(); CASES.len()];
    // One warm-up round, then `runs` rounds, the cases interleaved.
    for round in 0..=runs {
        for (case, samples) in samples.iter_mut().enumerate() {
            let worst = runtime.block_on(worst_delay(case))?;
            if round > 0 {
                samples.push(worst);
            }
        }
    }
    println!("the other task waits 100 ms with     worst delay of the ticker");
    for (name, samples) in CASES.iter().zip(samples) {
        let s = Summary::of(samples);
        println!(
            "{name:<36} {:>10}  (min {}, max {})",
            human(s.median),
            human(s.min),
            human(s.max)
        );
    }
    Ok(())
}
