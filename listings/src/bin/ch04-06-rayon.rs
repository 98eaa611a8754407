use anyhow::Result;
use clap::Parser;
use listings::bench::{machine, repeat_interleaved, time};
use rayon::prelude::*;

/// Counts the primes below a limit, sequentially and with rayon.
#[derive(Parser)]
struct Args {
    /// Count the primes below this number.
    #[arg(long, default_value_t = 2_000_000,
          value_parser = clap::value_parser!(u64).range(10..=1_000_000_000))]
    below: u64,
    /// Measured repetitions.
    #[arg(long, default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=1_000))]
    runs: u64,
}

// ANCHOR: main
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
    let workers = rayon::current_num_threads();
    println!("rayon runs {workers} worker threads");

    let (mut seq, mut par) = (0, 0);
    // Interleaved: each round runs both versions, so drift hits both alike.
    let s = repeat_interleaved(
        1,
        args.runs as usize,
        &mut [
            &mut || {
                time(|| {
                    seq = (0..args.below).filter(|&n| is_prime(n)).count();
                    Ok(seq)
                })
            },
            // The only change: into_par_iter() splits the range among the
            // worker threads.
            &mut || {
                time(|| {
                    par = (0..args.below)
                        .into_par_iter()
                        .filter(|&n| is_prime(n))
                        .count();
                    Ok(par)
                })
            },
        ],
    )?;
    println!(
        "primes below {}: {seq} (sequential), {par} (rayon)",
        args.below
    );
    println!("sequential: {}", s[0]);
    println!("rayon:      {}", s[1]);
    let speedup = s[0].median.as_secs_f64() / s[1].median.as_secs_f64();
    println!("speedup: {speedup:.2}x on {workers} worker threads");
    // Karp-Flatt: the serial fraction e that Amdahl's law needs to explain
    // the measured speedup S on p workers: e = (1/S - 1/p) / (1 - 1/p).
    let p = workers as f64;
    if workers > 1 {
        let e = (1.0 / speedup - 1.0 / p) / (1.0 - 1.0 / p);
        println!("Karp-Flatt serial fraction: {:.1} %", e * 100.0);
    } else {
        println!("Karp-Flatt serial fraction: undefined on 1 worker");
    }
    Ok(())
}
// ANCHOR_END: main
