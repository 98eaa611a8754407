use std::ffi::CString;
use std::os::unix::process::CommandExt;
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Parser;
use listings::bench::{Case, human, machine, repeat_interleaved, time};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, execv, fork};

/// Three ways to start /bin/true, as the parent's memory grows.
#[derive(Parser)]
struct Args {
    /// Resident sizes of the parent to measure, in MiB.
    #[arg(long, value_delimiter = ',', default_value = "0,256,1024",
          value_parser = clap::value_parser!(u64).range(0..=4096))]
    sizes: Vec<u64>,
    /// Measured runs of each way, per size.
    #[arg(long, default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=1_000))]
    runs: u64,
}

// ANCHOR: ways
/// `Command` with nothing that forces a fork: std calls posix_spawn.
fn spawn() -> Result<()> {
    let status = Command::new("/bin/true").status().context("spawn")?;
    if !status.success() {
        bail!("/bin/true failed: {status}");
    }
    Ok(())
}

/// The same `Command` with a `pre_exec` hook: std must fork, then exec.
fn spawn_with_hook() -> Result<()> {
    let mut command = Command::new("/bin/true");
    // SAFETY: the hook does nothing, which is async-signal-safe.
    unsafe { command.pre_exec(|| Ok(())) };
    let status = command.status().context("spawn with a hook")?;
    if !status.success() {
        bail!("/bin/true failed: {status}");
    }
    Ok(())
}

/// fork, then execv, by hand.
fn fork_exec(program: &CString) -> Result<()> {
    // SAFETY: this program is single-threaded, so the child may run any
    // code: nix's execv allocates its argv array before the system call,
    // which would not be async-signal-safe after a fork with threads.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            let _ = execv(program, &[program]);
            // SAFETY: _exit is async-signal-safe.
            unsafe { nix::libc::_exit(127) }
        }
        ForkResult::Parent { child } => {
            match waitpid(child, None).context("waitpid failed")? {
                WaitStatus::Exited(_, 0) => Ok(()),
                other => bail!("/bin/true ended with {other:?}"),
            }
        }
    }
}
// ANCHOR_END: ways

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    println!("{}", machine()?);
    let program = CString::new("/bin/true").context("a path with NUL")?;
    println!(
        "{:>6}  {:<22}  {:>8}  {:>8}  {:>8}",
        "MiB", "way", "median", "min", "max"
    );
    for &mib in &args.sizes {
        // Resident memory: written to, so every page is really mapped.
        let memory = vec![1_u8; (mib as usize) << 20];
        // Interleaved, each round starting with another way; one warm-up.
        let (mut plain, mut hook, mut hand) = (
            || time(spawn),
            || time(spawn_with_hook),
            || time(|| fork_exec(&program)),
        );
        let mut ways: [Case; 3] = [&mut plain, &mut hook, &mut hand];
        let summaries = repeat_interleaved(1, args.runs as usize, &mut ways)?;
        let names =
            ["Command (posix_spawn)", "Command + pre_exec", "fork + exec"];
        for (name, s) in names.iter().zip(summaries) {
            let (median, min, max) =
                (human(s.median), human(s.min), human(s.max));
            println!("{mib:>6}  {name:<22}  {median:>8}  {min:>8}  {max:>8}");
        }
        drop(std::hint::black_box(memory));
    }
    Ok(())
}
