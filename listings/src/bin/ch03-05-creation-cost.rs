use std::process::Command;
use std::thread;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use listings::bench::{machine, repeat};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

/// What it costs to create (and wait for) a thread, a process, and a new program.
#[derive(Parser)]
struct Args {
    /// Measured creations of each kind.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    runs: u64,
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    let runs = args.runs as usize;
    println!("{}", machine()?);

    let spawn = repeat(20, runs, || {
        let start = Instant::now();
        thread::spawn(|| {})
            .join()
            .map_err(|_| anyhow!("thread panicked"))?;
        Ok(start.elapsed())
    })?;
    println!("thread spawn + join:          {spawn}");

    let fork_wait = repeat(20, runs, || {
        let start = Instant::now();
        // SAFETY: measured while no other thread runs (the one above was joined); the child
        // calls only the async-signal-safe _exit.
        match unsafe { fork() }.context("fork failed")? {
            // SAFETY: _exit is async-signal-safe.
            ForkResult::Child => unsafe { nix::libc::_exit(0) },
            ForkResult::Parent { child } => {
                waitpid(child, None).context("waitpid failed")?
            }
        };
        Ok(start.elapsed())
    })?;
    println!("fork + waitpid:               {fork_wait}");

    let command = repeat(5, runs / 3 + 1, || {
        let start = Instant::now();
        let status = Command::new("/bin/true")
            .status()
            .context("cannot run /bin/true")?;
        anyhow::ensure!(status.success(), "/bin/true failed");
        Ok(start.elapsed())
    })?;
    println!("Command /bin/true + wait:     {command}");
    println!(
        "ratios of the medians: fork is {:.0}x a thread, running a program {:.0}x",
        fork_wait.median.as_secs_f64() / spawn.median.as_secs_f64(),
        command.median.as_secs_f64() / spawn.median.as_secs_f64()
    );
    Ok(())
}
