use std::hint::black_box;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use crossbeam_utils::CachePadded;
use listings::bench::{
    Case, allowed_cpus, machine, pin_to, repeat_interleaved,
};

/// Two threads, each writing its own counter: on one cache line, or apart.
#[derive(Parser)]
struct Args {
    /// Writes per thread per run.
    #[arg(
        long,
        default_value_t = 4_000_000,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000_000)
    )]
    writes: u64,
    /// Measured runs of each case.
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

/// How a thread writes its counter.
#[derive(Clone, Copy)]
enum Op {
    /// `fetch_add`: a locked read-modify-write (on x86 `lock inc`, as the
    /// result is unused).
    Add,
    /// `store`: a plain store on x86 (`mov`), through the store buffer.
    Store,
}

/// Writes `counter` `n` times. Relaxed: nobody reads the counters, they
/// order nothing. `black_box` keeps every write: none merged or dropped.
fn bump(counter: &AtomicU64, n: u64, op: Op) {
    match op {
        Op::Add => (0..n).for_each(|_| {
            black_box(counter).fetch_add(1, Ordering::Relaxed);
        }),
        Op::Store => (0..n).for_each(|i| {
            black_box(counter).store(i, Ordering::Relaxed);
        }),
    }
}

/// Two threads, each writing its own counter `n` times: the time from the
/// moment both are ready (the spawn is not timed) until both are done.
/// The other thread runs on `cpu` if given (this one is pinned by main).
fn race(
    (a, b): (&AtomicU64, &AtomicU64),
    n: u64,
    op: Op,
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
                bump(a, n, op);
                anyhow::Ok(Instant::now())
            })
            .context("cannot start a thread")?;
        ready.wait();
        let start = Instant::now();
        bump(b, n, op);
        let mine = Instant::now();
        let theirs = other.join().map_err(|_| anyhow!("a thread panicked"))?;
        Ok(mine.max(theirs?) - start)
    })
}

/// A duration in milliseconds, with three significant digits.
fn millis(t: Duration) -> String {
    let ms = t.as_secs_f64() * 1e3;
    let decimals = if ms >= 100.0 {
        0
    } else if ms >= 10.0 {
        1
    } else {
        2
    };
    format!("{ms:.decimals$}")
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    println!("{}", machine()?);
    let (same, apart) = (SameLine::default(), Apart::default());
    let gap = |a: &AtomicU64, b: &AtomicU64| {
        (b as *const AtomicU64 as usize) - (a as *const AtomicU64 as usize)
    };
    println!(
        "counters {} bytes apart vs {} bytes apart, {} writes each",
        gap(&same.a, &same.b),
        gap(&apart.a, &apart.b),
        args.writes
    );
    // Each thread on a CPU of its own, where the process may use two.
    let cpus = allowed_cpus()?;
    let other_cpu = if let [mine, other, ..] = cpus[..] {
        pin_to(mine)?;
        Some(other)
    } else {
        None
    };
    let lines = [(&same.a, &same.b), (&*apart.a, &*apart.b)];
    let kinds = [(Op::Add, lines[0]), (Op::Add, lines[1])];
    let kinds = kinds.into_iter().chain([(Op::Store, lines[0])]);
    let kinds = kinds.chain([(Op::Store, lines[1])]);
    let mut runs = vec![Vec::new(); 4]; // every sample, for the figure
    let mut cases: Vec<_> = kinds
        .zip(runs.iter_mut())
        .map(|((op, counters), runs)| {
            move || {
                let time = race(counters, args.writes, op, other_cpu)?;
                runs.push(time);
                Ok(time)
            }
        })
        .collect();
    let mut cases: Vec<Case> = cases.iter_mut().map(|c| c as Case).collect();
    // One warm-up round, then the measured ones, each running every case,
    // the first case rotating (fewer in a quick run, BOOK_QUICK).
    let summaries = repeat_interleaved(1, args.runs as usize, &mut cases)?;
    drop(cases);
    let names = ["fetch_add, one line", "fetch_add, padded"];
    let names = names
        .into_iter()
        .chain(["store, one line", "store, padded"]);
    for (name, runs) in names.clone().zip(&runs) {
        let ms: Vec<_> = runs[1..].iter().map(|&t| millis(t)).collect();
        println!("runs (ms), {:<20} {}", format!("{name}:"), ms.join(" "));
    }
    for (name, summary) in names.zip(&summaries) {
        println!("{:<20} {summary}", format!("{name}:"));
    }
    let ratio = |shared: usize| {
        let padded = summaries[shared + 1].median.as_secs_f64();
        summaries[shared].median.as_secs_f64() / padded
    };
    for (op, shared) in [("fetch_add", 0), ("store", 2)] {
        let ratio = ratio(shared);
        println!("{op}: one line takes {ratio:.2}x as long as padded");
    }
    Ok(())
}
