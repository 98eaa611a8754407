use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command};
use std::time::Duration;

use anyhow::{Context, Result};
use nix::errno::Errno;
use nix::libc;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;

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

/// Kills and reaps the command if `timeout` returns early on an error:
/// a `Child` is not killed when dropped.
struct Reaped(Child);
impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

// ANCHOR: main
/// What timeout(1) does: runs `argv`; if it is still running after
/// `after`, SIGTERM; if still running `kill_after` later, SIGKILL.
/// Returns the exit code timeout(1) would return: 137 (128 + 9) if the
/// timed-out command died of SIGKILL, 124 if it timed out otherwise, else
/// the command's own (128 + N if killed by signal N).
fn timeout(
    argv: &[&str],
    after: Duration,
    kill_after: Duration,
) -> Result<i32> {
    let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
    let mut child = Reaped(
        Command::new(argv[0])
            .args(&argv[1..])
            .spawn()
            .with_context(|| format!("cannot run {}", argv[0]))?,
    );
    let pidfd = pidfd_open(child.0.id())?;
    let timed_out = !exits_within(&pidfd, ms(after))?;
    if timed_out {
        println!("  still running after {after:?}: SIGTERM");
        pidfd_send_signal(&pidfd, Signal::SIGTERM)?;
        if !exits_within(&pidfd, ms(kill_after))? {
            println!("  still running {kill_after:?} later: SIGKILL");
            pidfd_send_signal(&pidfd, Signal::SIGKILL)?;
        }
    }
    let status = child.0.wait().context("wait failed")?;
    match status.signal().map(Signal::try_from) {
        Some(Ok(signal)) => println!("  killed by {signal}"),
        _ => println!("  {status}"),
    }
    // As GNU timeout: 128 + 9 tells "had to be killed" from "stopped".
    let killed = status.signal() == Some(libc::SIGKILL);
    Ok(match status.code() {
        _ if timed_out && killed => 128 + libc::SIGKILL,
        _ if timed_out => 124,
        Some(code) => code,
        None => 128 + status.signal().unwrap_or(0),
    })
}

fn main() -> Result<()> {
    let (short, long) = (Duration::from_millis(200), Duration::from_secs(5));
    let cases: [(&[&str], Duration); 3] = [
        (&["sh", "-c", "exit 3"], long),
        (&["sleep", "10"], short),
        (&["sh", "-c", "trap '' TERM; exec sleep 10"], short),
    ];
    for (argv, after) in cases {
        println!("timeout {after:?} {argv:?}");
        let code = timeout(argv, after, short)?;
        println!("  timeout(1) would exit with {code}");
    }
    Ok(())
}
// ANCHOR_END: main
