use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command};

use anyhow::{Context, Result};
use nix::errno::Errno;
use nix::libc;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;

/// pidfd_open(2): a file descriptor that refers to process `pid`.
/// (std has `PidFd`, but it is unstable; nix has no wrapper.)
fn pidfd_open(pid: u32) -> Result<OwnedFd> {
    // SAFETY: pidfd_open takes a PID and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    Errno::result(fd).context("pidfd_open failed (Linux 5.3 or later)")?;
    // SAFETY: the kernel just gave us this fd; nobody else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// pidfd_send_signal(2): a signal to the process the fd refers to.
fn pidfd_send_signal(pidfd: &OwnedFd, signal: Signal) -> nix::Result<()> {
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
    Errno::result(rc).map(drop)
}

/// Whether the pidfd is readable (the process has exited) within `timeout`.
fn exited(pidfd: &OwnedFd, timeout: PollTimeout) -> Result<bool> {
    let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
    Ok(poll(&mut fds, timeout).context("poll failed")? == 1)
}

/// Kills and reaps the child on an error path.
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
fn main() -> Result<()> {
    let mut child = Reaped(
        Command::new("sleep")
            .arg("30")
            .spawn()
            .context("cannot run sleep")?,
    );
    // Our own unreaped child: its PID cannot be reused before we wait.
    let pidfd = pidfd_open(child.0.id())?;
    println!("exited yet: {}", exited(&pidfd, PollTimeout::ZERO)?);
    pidfd_send_signal(&pidfd, Signal::SIGTERM).context("send failed")?;
    println!("pidfd_send_signal(SIGTERM): sent");
    let ten_s = PollTimeout::try_from(10_000).context("timeout")?;
    println!("exited within 10 s: {}", exited(&pidfd, ten_s)?);
    let status = child.0.wait().context("wait failed")?;
    let signal = Signal::try_from(status.signal().unwrap_or(0))?;
    println!("Child::wait: killed by {signal}");
    let again = pidfd_send_signal(&pidfd, Signal::SIGTERM);
    println!("pidfd_send_signal after the reap: {again:?}");
    Ok(())
}
// ANCHOR_END: main
