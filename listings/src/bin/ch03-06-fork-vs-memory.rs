use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use clap::Parser;
use listings::bench::{Summary, human, machine};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

/// How the cost of fork, and of Command, grows with the memory the parent
/// has touched.
#[derive(Parser)]
struct Args {
    /// Resident sizes to measure, in MiB.
    #[arg(long, value_delimiter = ',', default_value = "0,64,256,1024",
          value_parser = clap::value_parser!(u64).range(0..=8192))]
    sizes: Vec<u64>,
    /// Measured runs of each kind per size.
    #[arg(long, default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    runs: u64,
}

// ANCHOR: cases
/// Command starting /bin/true, and waiting for it.
fn command() -> Result<Duration> {
    let start = Instant::now();
    let status = Command::new("/bin/true")
        .status()
        .context("cannot run /bin/true")?;
    ensure!(status.success(), "/bin/true failed: {status}");
    Ok(start.elapsed())
}

/// A fork whose child only exits: the time until waitpid returned, and
/// the time until fork returned in the parent.
fn fork_wait() -> Result<[Duration; 2]> {
    let start = Instant::now();
    // SAFETY: this process has no other thread; the child only calls _exit.
    let child = match unsafe { fork() }.context("fork failed")? {
        // SAFETY: _exit is async-signal-safe.
        ForkResult::Child => unsafe { nix::libc::_exit(0) },
        ForkResult::Parent { child } => child,
    };
    let returned = start.elapsed();
    waitpid(child, None).context("waitpid failed")?;
    Ok([start.elapsed(), returned])
}
// ANCHOR_END: cases

fn print(mib: u64, name: &str, samples: Vec<Duration>) {
    let s = Summary::of(samples);
    let (median, min, max) = (human(s.median), human(s.min), human(s.max));
    println!("{mib:>6}  {name:<9}  {median:>9}  {min:>9}  {max:>9}");
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    let runs = args.runs as usize;
    println!("{}", machine()?);
    let thp = "/sys/kernel/mm/transparent_hugepage/enabled";
    let thp = std::fs::read_to_string(thp).unwrap_or("unknown".into());
    println!("transparent huge pages: {}", thp.trim());
    println!(
        "{:>6}  {:<9}  {:>9}  {:>9}  {:>9}",
        "MiB", "what", "median", "min", "max"
    );
    for &mib in &args.sizes {
        // Resident memory: allocate it and write every page, so that each
        // page is really mapped (vec![0; n] would leave them untouched).
        let memory = std::hint::black_box(vec![1_u8; (mib as usize) << 20]);
        // Command first, before the forks at this size, so that whatever a
        // big fork leaves the kernel to do cannot land in Command's time.
        let mut commands = Vec::new();
        for i in 0..3 + runs {
            let took = command()?;
            if i >= 3 {
                commands.push(took);
            }
        }
        let (mut forked, mut returned) = (Vec::new(), Vec::new());
        for i in 0..3 + runs {
            let [total, until_return] = fork_wait()?;
            if i >= 3 {
                forked.push(total);
                returned.push(until_return);
            }
        }
        print(mib, "fork+wait", forked);
        print(mib, "fork", returned);
        print(mib, "Command", commands);
        drop(std::hint::black_box(memory));
    }
    Ok(())
}
