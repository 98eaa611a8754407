use std::io::{Read, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use nix::sys::signal::{SigHandler, SigSet, Signal, kill, signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pause};

/// Runs `body` in a child and returns its PID once the child has written
/// one byte to say that it is ready (its signal set-up is done).
fn spawn(body: fn(&mut dyn Write) -> Result<()>) -> Result<Pid> {
    let (mut ready_rx, mut ready_tx) = std::io::pipe().context("pipe")?;
    // SAFETY: this process has one thread when it forks: the child may run
    // any code, including starting threads.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            drop(ready_rx);
            let code = match body(&mut ready_tx) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("child: {e:#}");
                    1
                }
            };
            std::process::exit(code);
        }
        ForkResult::Parent { child } => {
            drop(ready_tx);
            let mut byte = [0u8];
            ready_rx.read_exact(&mut byte).context("the child died")?;
            Ok(child)
        }
    }
}

/// Prints when dropped: on a normal return, not after SIGKILL.
struct Cleanup(&'static str);
impl Drop for Cleanup {
    fn drop(&mut self) {
        println!("{}: cleanup ran", self.0);
    }
}

// ANCHOR: main
/// A child that waits for SIGTERM (blocked, taken with sigwait) and
/// returns normally when it comes.
fn polite(ready: &mut dyn Write) -> Result<()> {
    let _cleanup = Cleanup("polite");
    let term = SigSet::from(Signal::SIGTERM);
    term.thread_block().context("pthread_sigmask failed")?;
    ready.write_all(b"r").context("write")?;
    term.wait().context("sigwait failed")?;
    Ok(())
}

/// A child that ignores SIGTERM.
fn stuck(ready: &mut dyn Write) -> Result<()> {
    let _cleanup = Cleanup("stuck");
    // SAFETY: SIG_IGN installs no handler code.
    unsafe { signal(Signal::SIGTERM, SigHandler::SigIgn) }.context("signal")?;
    ready.write_all(b"r").context("write")?;
    loop {
        pause();
    }
}
/// SIGTERM, then SIGKILL if `pid` has not ended within `grace`.
fn stop(name: &str, pid: Pid, grace: Duration) -> Result<()> {
    println!("parent: SIGTERM to {name}");
    kill(pid, Signal::SIGTERM).context("kill failed")?;
    let deadline = Instant::now() + grace;
    let mut status =
        waitpid(pid, Some(WaitPidFlag::WNOHANG)).context("wait")?;
    while status == WaitStatus::StillAlive && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
        status = waitpid(pid, Some(WaitPidFlag::WNOHANG)).context("wait")?;
    }
    if status == WaitStatus::StillAlive {
        println!("parent: {name} still running after {grace:?}: SIGKILL");
        kill(pid, Signal::SIGKILL).context("kill failed")?;
        status = waitpid(pid, None).context("waitpid failed")?;
    }
    match status {
        WaitStatus::Exited(_, code) => {
            println!("parent: {name} exited, code {code}")
        }
        WaitStatus::Signaled(_, s, _) => {
            println!("parent: {name} killed by {s}")
        }
        other => return Err(anyhow!("{name}: unexpected {other:?}")),
    }
    Ok(())
}

fn main() -> Result<()> {
    let polite_pid = spawn(polite)?;
    stop("polite", polite_pid, Duration::from_secs(10))?;
    let stuck_pid = spawn(stuck)?;
    stop("stuck", stuck_pid, Duration::from_millis(200))
}
// ANCHOR_END: main
