use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus};

use anyhow::{Context, Result};
use clap::Parser;
use nix::errno::Errno;
use nix::libc;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;

/// Runs a command; if it is still running after a while, SIGTERM, then
/// SIGKILL. Exits with 124 if it had to stop it, like timeout(1).
#[derive(Parser)]
struct Args {
    /// How long the command may run, in milliseconds.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3_600_000))]
    after_ms: u32,
    /// How long it may take to end after SIGTERM, before SIGKILL.
    #[arg(long, default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=60_000))]
    kill_after_ms: u32,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true)]
    command: Vec<String>,
}

fn pidfd_open(pid: u32) -> Result<OwnedFd> {
    // SAFETY: pidfd_open takes a PID and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    Errno::result(fd).context("pidfd_open failed")?;
    // SAFETY: the kernel just gave us this fd; nobody else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn pidfd_send_signal(pidfd: &OwnedFd, signal: Signal) -> Result<()> {
    // SAFETY: a valid fd, a signal number, no siginfo (null), no flags.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signal as i32,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    Errno::result(rc).context("pidfd_send_signal failed")?;
    Ok(())
}

/// Whether the process has exited within `ms` milliseconds.
fn exits_within(pidfd: &OwnedFd, ms: u32) -> Result<bool> {
    let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
    let timeout = PollTimeout::try_from(ms).context("timeout")?;
    Ok(poll(&mut fds, timeout).context("poll failed")? == 1)
}

fn describe(status: ExitStatus) -> String {
    match status.signal().map(Signal::try_from) {
        Some(Ok(signal)) => format!("was killed by {signal}"),
        _ => format!("ended: {status}"),
    }
}

// ANCHOR: main
fn main() -> Result<()> {
    let args: Args = listings::cli::parse();
    let name = &args.command[0];
    let mut child = Command::new(name)
        .args(&args.command[1..])
        .spawn()
        .with_context(|| format!("cannot run {name}"))?;
    let pidfd = pidfd_open(child.id());
    let timed_out = match &pidfd {
        Ok(pidfd) => !exits_within(pidfd, args.after_ms)?,
        Err(_) => true, // cannot watch it: stop it (below, by SIGKILL)
    };
    if timed_out {
        println!(
            "timeout: {name} still running after {} ms: SIGTERM",
            args.after_ms
        );
        let pidfd = pidfd.inspect_err(|_| drop(child.kill()))?;
        pidfd_send_signal(&pidfd, Signal::SIGTERM)?;
        if !exits_within(&pidfd, args.kill_after_ms)? {
            println!("timeout: {name} ignored SIGTERM: SIGKILL");
            pidfd_send_signal(&pidfd, Signal::SIGKILL)?;
        }
    }
    let status = child.wait().context("wait failed")?;
    println!("timeout: {name} {}", describe(status));
    let code = match status.code() {
        _ if timed_out => 124,
        Some(code) => code,
        None => 128 + status.signal().unwrap_or(0),
    };
    std::process::exit(code)
}
// ANCHOR_END: main
