use std::num::NonZeroUsize;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use nix::sys::signal::{Signal, raise};

/// A supervisor: restarts a crashing worker, with backoff, a bounded number
/// of times.
#[derive(Parser)]
struct Args {
    /// Restarts allowed before giving up.
    #[arg(long, default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(0..=20))]
    max_restarts: u32,
    /// First delay before a restart, in ms; it doubles at each restart.
    #[arg(long, default_value_t = 50,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    backoff_ms: u64,
    /// Internal: run as the worker of this generation.
    #[arg(long, hide = true)]
    worker: Option<u32>,
}

/// Each generation of the worker fails its own way.
fn worker(generation: u32) -> Result<()> {
    // No core dumps from these deliberate crashes, even where core_pattern
    // pipes them to a program, which ignores RLIMIT_CORE (core(5)).
    nix::sys::prctl::set_dumpable(false).context("prctl failed")?;
    match generation {
        1 => std::process::exit(3), // say, a missing configuration
        2 => std::process::abort(), // a failed assertion in C code
        3 => raise(Signal::SIGKILL).context("raise")?, // as the OOM killer
        _ => {
            let len = NonZeroUsize::new(4096).context("zero")?;
            let prot = nix::sys::mman::ProtFlags::PROT_NONE;
            let flags = nix::sys::mman::MapFlags::MAP_PRIVATE;
            // SAFETY: a fresh mapping overlaps nothing.
            let page = unsafe {
                nix::sys::mman::mmap_anonymous(None, len, prot, flags)
            }
            .context("mmap failed")?;
            // SAFETY: not sound on purpose: reading a PROT_NONE page raises
            // SIGSEGV, a real invalid access.
            unsafe { page.cast::<u8>().read_volatile() };
        }
    }
    Ok(())
}

/// Why a process ended: its exit code, or the signal and whether it dumped
/// core (waitpid(2): WIFSIGNALED, WTERMSIG, WCOREDUMP).
fn why(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(n)) => format!(
            "was killed by {}{}",
            Signal::try_from(n).map_or("an unknown signal", |s| s.as_str()),
            if status.core_dumped() {
                " (core dumped)"
            } else {
                ""
            }
        ),
        _ => status.to_string(),
    }
}

// ANCHOR: supervise
fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    if let Some(generation) = args.worker {
        return worker(generation);
    }
    let exe = std::env::current_exe().context("cannot find myself")?;
    let mut delay = Duration::from_millis(args.backoff_ms);
    for generation in 1.. {
        let mut worker = Command::new(&exe)
            .args(["--worker", &generation.to_string()])
            .spawn()
            .context("cannot start the worker")?;
        println!("worker {generation}: started");
        let status = worker.wait().context("waitpid failed")?;
        println!("worker {generation}: {}", why(status));
        if status.success() {
            return Ok(()); // done: a clean exit is not restarted
        }
        if generation > args.max_restarts {
            println!("giving up after {} restarts", args.max_restarts);
            return Ok(()); // a real one would exit non-zero here
        }
        println!("restarting in {} ms", delay.as_millis());
        std::thread::sleep(delay);
        delay *= 2; // exponential backoff: a crash loop costs little
    }
    Ok(())
}
// ANCHOR_END: supervise
