use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use listings::bench::{Summary, machine, repeat, time};
use nix::sched::{CpuSet, sched_setaffinity};
use nix::unistd::Pid;

/// The same CPU-bound work: 1 thread, 2 threads on one CPU, 2 threads on any CPUs.
#[derive(Parser)]
struct Args {
    /// Iterations of work per thread, in millions.
    #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    millions: u64,
    /// Measured repetitions of each case.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    runs: u64,
}

/// CPU-bound work that the optimiser cannot skip: a xorshift generator.
fn work(iterations: u64) -> u64 {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..iterations {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    std::hint::black_box(x)
}

fn pin_to_cpu0() -> Result<()> {
    let mut cpus = CpuSet::new();
    cpus.set(0).context("CPU 0 out of range")?;
    // Pid 0 means the calling thread (sched_setaffinity(2)).
    sched_setaffinity(Pid::from_raw(0), &cpus)
        .context("sched_setaffinity failed")
}

/// Runs `threads` threads, each doing `iterations` of work, pinned to CPU 0 or not.
fn run(threads: usize, iterations: u64, pinned: bool) -> Result<Duration> {
    time(|| {
        thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(move || {
                        if pinned {
                            pin_to_cpu0().map(|()| work(iterations))
                        } else {
                            Ok(work(iterations))
                        }
                    })
                })
                .collect();
            handles.into_iter().try_for_each(|h| {
                h.join().map_err(|_| anyhow!("panicked"))?.map(drop)
            })
        })
    })
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    let iterations = args.millions * 1_000_000;
    let runs = args.runs as usize;
    println!("{}", machine()?);
    let cases = [
        ("1 thread, 2 units of work one after the other", 1, 2, false),
        ("2 threads pinned to CPU 0", 2, 1, true),
        ("2 threads free on all CPUs", 2, 1, false),
    ];
    let mut medians = Vec::new();
    for (label, threads, units, pinned) in cases {
        let summary: Summary =
            repeat(1, runs, || run(threads, units * iterations, pinned))?;
        println!("{label:<46} {summary}");
        medians.push(summary.median.as_secs_f64());
    }
    println!(
        "speedup of 2 pinned threads over 1 thread: {:.2}x",
        medians[0] / medians[1]
    );
    println!(
        "speedup of 2 free threads over 1 thread:   {:.2}x",
        medians[0] / medians[2]
    );
    Ok(())
}
