use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use nix::errno::Errno;
use nix::libc;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::prctl::set_dumpable;
use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::unistd::getppid;

/// Restarts a crashing child with a doubling backoff; stops it and itself
/// on SIGTERM or SIGINT; gives up after a number of restarts.
#[derive(Parser)]
struct Args {
    /// Restarts before giving up.
    #[arg(long, default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(0..=20))]
    max_restarts: u32,
    /// How many times the child crashes before it sends SIGTERM to us.
    #[arg(long, default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    crashes: u32,
    /// (internal) run as the child, attempt N
    #[arg(long, hide = true)]
    child: Option<u32>,
}

/// The supervised program: crashes `crashes` times, then plays the
/// operator who stops the supervisor, and waits to be stopped.
fn child(attempt: u32, crashes: u32) -> Result<()> {
    let _ = set_dumpable(false); // no core file for the crash
    if attempt <= crashes {
        std::process::abort(); // SIGABRT
    }
    kill(getppid(), Signal::SIGTERM).context("kill failed")?;
    std::thread::sleep(Duration::from_secs(30)); // bounded, as a fallback
    bail!("nobody stopped me")
}

fn pidfd_open(child: &Child) -> Result<OwnedFd> {
    // SAFETY: pidfd_open takes a PID and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, child.id(), 0) };
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

fn describe(status: ExitStatus) -> String {
    match status.signal().map(Signal::try_from) {
        Some(Ok(signal)) => format!("killed by {signal}"),
        _ => status.to_string(),
    }
}

/// Kills and reaps the child whatever happens: no error path leaves it
/// behind. (Drop signals by PID: the child is ours and not yet reaped, so
/// its PID cannot have been reused.)
struct Supervised(Child);
impl Supervised {
    /// SIGTERM through its pidfd, 2 s to end, then SIGKILL; reaps it.
    fn stop(&mut self, pidfd: &OwnedFd) -> Result<ExitStatus> {
        let _ = pidfd_send_signal(pidfd, Signal::SIGTERM);
        let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::try_from(2000)?)? == 0 {
            let _ = pidfd_send_signal(pidfd, Signal::SIGKILL);
        }
        self.0.wait().context("wait failed")
    }
}
impl Drop for Supervised {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

// ANCHOR: main
fn main() -> Result<()> {
    let args: Args = listings::cli::parse();
    if let Some(attempt) = args.child {
        return child(attempt, args.crashes);
    }
    // SIGTERM and SIGINT become readable on a file descriptor.
    let mask = SigSet::from_iter([Signal::SIGTERM, Signal::SIGINT]);
    mask.thread_block().context("pthread_sigmask failed")?;
    let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC)?;
    let me = std::env::current_exe().context("current_exe")?;
    let mut backoff = Duration::from_millis(50);
    for attempt in 1..=args.max_restarts + 1 {
        let mut cmd = Command::new(&me);
        cmd.args(["--child", &attempt.to_string()])
            .args(["--crashes", &args.crashes.to_string()]);
        // The child would inherit our mask, SIGTERM blocked: unblock it.
        // SAFETY: pthread_sigmask is async-signal-safe (signal-safety(7)).
        unsafe { cmd.pre_exec(|| Ok(SigSet::empty().thread_set_mask()?)) };
        let mut child =
            Supervised(cmd.spawn().context("cannot start the child")?);
        let pidfd = pidfd_open(&child.0)?;
        let mut fds = [
            PollFd::new(signals.as_fd(), PollFlags::POLLIN),
            PollFd::new(pidfd.as_fd(), PollFlags::POLLIN),
        ];
        poll(&mut fds, PollTimeout::NONE).context("poll failed")?;
        if fds[0].any() == Some(true) {
            let info = signals.read_signal()?.context("no signal")?;
            let signal = Signal::try_from(info.ssi_signo as i32)?;
            println!("supervisor: {signal}: stopping attempt {attempt}");
            println!("attempt {attempt}: {}", describe(child.stop(&pidfd)?));
            return Ok(());
        }
        let status = child.0.wait().context("wait failed")?;
        println!("attempt {attempt}: {}", describe(status));
        if status.success() {
            return Ok(());
        }
        if attempt > args.max_restarts {
            break;
        }
        println!("supervisor: restarting in {backoff:?}");
        let mut fds = [PollFd::new(signals.as_fd(), PollFlags::POLLIN)];
        let ms = u32::try_from(backoff.as_millis()).unwrap_or(u32::MAX);
        if poll(&mut fds, PollTimeout::try_from(ms)?)? == 1 {
            println!("supervisor: stopped during the backoff");
            return Ok(());
        }
        backoff *= 2;
    }
    bail!("giving up after {} restarts", args.max_restarts)
}
// ANCHOR_END: main
