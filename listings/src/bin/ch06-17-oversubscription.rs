use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use listings::bench::{Summary, human, machine, repetitions};
use nix::sys::resource::{UsageWho, getrusage};

/// The same CPU-bound work split over more and more threads.
#[derive(Parser)]
struct Args {
    /// Units of work in all (one unit is a short integer loop).
    #[arg(
        long,
        default_value_t = 4_000,
        value_parser = clap::value_parser!(u64).range(1..=10_000_000)
    )]
    units: u64,
}

/// One unit of CPU-bound work that touches no memory.
fn unit(seed: u64) -> u64 {
    (0..20_000).fold(seed, |x, i| black_box(x.wrapping_mul(31) ^ i))
}

/// Involuntary context switches of this process so far (all its threads).
fn preempted() -> Result<i64> {
    let usage = getrusage(UsageWho::RUSAGE_SELF).context("getrusage failed")?;
    Ok(usage.involuntary_context_switches())
}

/// Splits `units` evenly over `threads` threads; returns time and preemptions.
fn split(threads: u64, units: u64) -> Result<(Duration, i64)> {
    let before = preempted()?;
    let start = Instant::now();
    thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let share = units / threads + u64::from(t < units % threads);
                s.spawn(move || (0..share).map(unit).sum::<u64>())
            })
            .collect();
        for h in handles {
            black_box(h.join().map_err(|_| anyhow!("a thread panicked"))?);
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok((start.elapsed(), preempted()? - before))
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    println!("{}", machine()?);
    let cpus = thread::available_parallelism()?.get() as u64;
    let counts = [1, cpus, 4 * cpus, 16 * cpus, 64 * cpus];
    let names = ["1 thread", "1 per CPU", "4 per CPU", "16 per CPU"];
    let names = names.into_iter().chain(["64 per CPU"]);
    let mut samples = vec![(Vec::new(), Vec::new()); counts.len()];
    // Five measured runs (fewer in a quick run: BOOK_QUICK), after a warm-up.
    for run in 0..=repetitions(5) {
        for (i, &threads) in counts.iter().enumerate() {
            let (time, switches) = split(threads, args.units)?;
            if run > 0 {
                // Run 0 is a warm-up; the cases alternate in every run.
                samples[i].0.push(time);
                samples[i].1.push(switches);
            }
        }
    }
    println!("{} units of work, {cpus} CPUs available", args.units);
    println!("threads       time: median (min - max)     preemptions (median)");
    for (name, (times, mut switches)) in names.zip(samples) {
        let t = Summary::of(times);
        switches.sort_unstable();
        println!(
            "{name:<10}  {:>8} ({} - {})  {:>10}",
            human(t.median),
            human(t.min),
            human(t.max),
            switches[switches.len() / 2]
        );
    }
    Ok(())
}
