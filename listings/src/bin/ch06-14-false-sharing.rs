use std::hint::black_box;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use crossbeam_utils::CachePadded;
use listings::bench::{Summary, allowed_cpus, human, machine, pin_to};

/// Two threads, each incrementing its own counter: on one cache line, or apart.
#[derive(Parser)]
struct Args {
    /// Increments per thread per run.
    #[arg(
        long,
        default_value_t = 4_000_000,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000_000)
    )]
    increments: u64,
    /// Measured runs per case.
    #[arg(
        long,
        default_value_t = 9,
        value_parser = clap::value_parser!(u64).range(1..=1_000)
    )]
    runs: u64,
}

/// Both counters in one 64-byte block: one cache line.
#[repr(C, align(64))]
#[derive(Default)]
struct SameLine {
    a: AtomicU64,
    b: AtomicU64,
}

/// Each counter padded to 128 bytes: crossbeam's choice on x86_64, for
/// Intel's spatial prefetcher, which fetches lines in pairs.
#[derive(Default)]
struct Apart {
    a: CachePadded<AtomicU64>,
    b: CachePadded<AtomicU64>,
}

/// Adds 1 to a counter `n` times.
fn bump(counter: &AtomicU64, n: u64) {
    for _ in 0..n {
        // Relaxed: a counter read only after join(); it orders nothing else.
        black_box(counter).fetch_add(1, Ordering::Relaxed);
    }
}

/// Two threads, each adding 1 to its own counter `n` times: the time from
/// the moment both are ready (the spawn is not timed) until both are done.
/// The other thread runs on `cpu` if given (this one is pinned by main).
fn race(
    a: &AtomicU64,
    b: &AtomicU64,
    n: u64,
    cpu: Option<usize>,
) -> Result<Duration> {
    // This thread and one other: if the spawn fails, nobody waits here.
    let ready = Barrier::new(2);
    thread::scope(|s| {
        let other = thread::Builder::new()
            .spawn_scoped(s, || {
                let pinned = cpu.map(pin_to).transpose();
                ready.wait(); // even if pinning failed: main waits here
                pinned?;
                bump(a, n);
                anyhow::Ok(Instant::now())
            })
            .context("cannot start a thread")?;
        ready.wait();
        let start = Instant::now();
        bump(b, n);
        let mine = Instant::now();
        let theirs = other.join().map_err(|_| anyhow!("a thread panicked"))?;
        Ok(mine.max(theirs?) - start)
    })
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    println!("{}", machine()?);
    let (same, apart) = (SameLine::default(), Apart::default());
    let gap = |a: &AtomicU64, b: &AtomicU64| {
        (b as *const AtomicU64 as usize) - (a as *const AtomicU64 as usize)
    };
    println!(
        "counters {} bytes apart vs {} bytes apart, {} increments each",
        gap(&same.a, &same.b),
        gap(&apart.a, &apart.b),
        args.increments
    );
    // Each thread on a CPU of its own, where the process may use two.
    let cpus = allowed_cpus()?;
    let other_cpu = if let [mine, other, ..] = cpus[..] {
        pin_to(mine)?;
        Some(other)
    } else {
        None
    };
    println!("run   same line   padded apart");
    let (mut t_same, mut t_apart) = (Vec::new(), Vec::new());
    for run in 0..=args.runs {
        // Both cases in every run, so drift hits both alike, and the one
        // that goes first alternates from run to run.
        let n = args.increments;
        let same_line = || race(&same.a, &same.b, n, other_cpu);
        let padded = || race(&apart.a, &apart.b, n, other_cpu);
        let (s, p) = if run % 2 == 0 {
            (same_line()?, padded()?)
        } else {
            let p = padded()?;
            (same_line()?, p)
        };
        if run == 0 {
            continue; // a warm-up run, not measured
        }
        println!("{run:>3} {:>11} {:>14}", human(s), human(p));
        t_same.push(s);
        t_apart.push(p);
    }
    let (s, p) = (Summary::of(t_same), Summary::of(t_apart));
    println!("same cache line: {s}");
    println!("padded apart:    {p}");
    let ratio = s.median.as_secs_f64() / p.median.as_secs_f64();
    println!("the same line is {ratio:.2}x slower");
    Ok(())
}
