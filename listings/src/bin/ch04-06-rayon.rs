use anyhow::Result;
use clap::Parser;
use listings::bench::{machine, repeat, time};
use rayon::prelude::*;

/// Counts the primes below a limit, sequentially and with rayon.
#[derive(Parser)]
struct Args {
    /// Count the primes below this number.
    #[arg(long, default_value_t = 2_000_000, value_parser = clap::value_parser!(u64).range(10..=1_000_000_000))]
    below: u64,
    /// Measured repetitions.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    runs: u64,
}

/// Deliberately naive trial division: CPU-bound work with no shared state.
fn is_prime(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    println!("{}", machine()?);
    println!("rayon runs {} worker threads", rayon::current_num_threads());

    let mut count = (0, 0);
    let sequential = repeat(1, args.runs as usize, || {
        time(|| {
            count.0 = (0..args.below).filter(|&n| is_prime(n)).count();
            Ok(())
        })
    })?;
    // The only change: into_par_iter() splits the range among rayon's threads.
    let parallel = repeat(1, args.runs as usize, || {
        time(|| {
            count.1 = (0..args.below)
                .into_par_iter()
                .filter(|&n| is_prime(n))
                .count();
            Ok(())
        })
    })?;
    println!(
        "primes below {}: {} (sequential), {} (rayon)",
        args.below, count.0, count.1
    );
    println!("sequential: {sequential}");
    println!("rayon:      {parallel}");
    let speedup =
        sequential.median.as_secs_f64() / parallel.median.as_secs_f64();
    println!("speedup: {speedup:.2}x");
    // Amdahl: speedup = 1 / ((1 - p) + p / n). Solved for p, the parallel fraction:
    let n = rayon::current_num_threads() as f64;
    let p = ((1.0 - 1.0 / speedup) / (1.0 - 1.0 / n)).clamp(0.0, 1.0);
    println!(
        "by Amdahl's law, the parallel fraction is about {:.1} %",
        p * 100.0
    );
    Ok(())
}
