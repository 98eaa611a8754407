use std::thread;
use std::time::Duration;

use anyhow::{Result, anyhow};
use clap::Parser;
use listings::bench::{
    allowed_cpus, cpu_list_text, machine, pin_to, repeat_interleaved, time,
};

/// The same CPU-bound work: 1 thread, 2 threads on one CPU, 2 threads on
/// any of the allowed CPUs.
#[derive(Parser)]
struct Args {
    /// Iterations of work per thread, in millions.
    #[arg(long, default_value_t = 150,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    millions: u64,
    /// Measured repetitions of each case.
    #[arg(long, default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=1_000))]
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
    x
}

// ANCHOR: main
/// Runs `threads` threads, each doing `iterations` of work; with `pin`,
/// each thread first pins itself to that CPU.
fn run(
    threads: usize,
    iterations: u64,
    pin: Option<usize>,
) -> Result<Duration> {
    time(|| {
        thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(move || {
                        pin.map(pin_to).transpose()?;
                        Ok(work(iterations))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().map_err(|_| anyhow!("panicked"))?)
                .collect::<Result<Vec<u64>>>()
        })
    })
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    let n = args.millions * 1_000_000;
    println!("{}", machine()?);
    let cpus = allowed_cpus()?;
    let one = cpus[0]; // the first CPU this process may use
    println!(
        "allowed CPUs: {}; pinned threads share CPU {one}",
        cpu_list_text(&cpus)
    );
    let s = repeat_interleaved(
        1,
        args.runs as usize,
        &mut [
            &mut || run(1, 2 * n, None),
            &mut || run(2, n, Some(one)),
            &mut || run(2, n, None),
        ],
    )?;
    // ANCHOR_END: main
    let labels = [
        "1 thread, 2 units of work one after the other",
        "2 threads pinned to one CPU, 1 unit each",
        "2 threads free on the allowed CPUs, 1 unit each",
    ];
    for (label, summary) in labels.iter().zip(&s) {
        println!("{label:<47} {summary}");
    }
    let speedup =
        |k: usize| s[0].median.as_secs_f64() / s[k].median.as_secs_f64();
    println!(
        "speedup of 2 pinned threads over 1 thread: {:.2}x",
        speedup(1)
    );
    println!(
        "speedup of 2 free threads over 1 thread:   {:.2}x",
        speedup(2)
    );
    Ok(())
}
