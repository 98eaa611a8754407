use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use listings::bench::{human, machine, repeat};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

/// How the cost of fork grows with the memory the parent has touched.
#[derive(Parser)]
struct Args {
    /// Resident sizes to measure, in MiB.
    #[arg(long, value_delimiter = ',', default_value = "0,64,256,1024",
          value_parser = clap::value_parser!(u64).range(0..=8192))]
    sizes: Vec<u64>,
    /// Measured forks per size.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    runs: u64,
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    println!("{}", machine()?);
    println!(
        "{:>8}  {:>10}  {:>10}  {:>10}",
        "MiB", "median", "min", "max"
    );
    for &mib in &args.sizes {
        // Resident memory: allocate it and write to every page, so it is really mapped.
        let memory = vec![1_u8; (mib as usize) << 20];
        let fork_wait = repeat(3, args.runs as usize, || {
            let start = Instant::now();
            // SAFETY: no other thread exists; the child only calls _exit.
            match unsafe { fork() }.context("fork failed")? {
                // SAFETY: _exit is async-signal-safe.
                ForkResult::Child => unsafe { nix::libc::_exit(0) },
                ForkResult::Parent { child } => {
                    waitpid(child, None).context("waitpid failed")?
                }
            };
            Ok(start.elapsed())
        })?;
        let (median, min, max) = (
            human(fork_wait.median),
            human(fork_wait.min),
            human(fork_wait.max),
        );
        println!("{mib:>8}  {median:>10}  {min:>10}  {max:>10}");
        drop(std::hint::black_box(memory));
    }
    Ok(())
}
