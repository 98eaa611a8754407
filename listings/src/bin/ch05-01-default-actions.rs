use std::io::{Read, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::prctl::set_dumpable;
use nix::sys::signal::signal as signal_disposition;
use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal};
use nix::sys::signal::{kill, sigprocmask};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pause};

/// A child asleep in `pause`. If it is still ours when dropped (an error
/// path), it is killed and reaped, so that nothing is left behind.
struct Sleeper {
    pid: Pid,
    reaped: bool,
}

impl Sleeper {
    /// Returns once the child has reset its signals (it writes one byte
    /// to a pipe then): a signal sent before would find them as inherited.
    fn spawn() -> Result<Sleeper> {
        let (mut ready_rx, mut ready_tx) = std::io::pipe().context("pipe")?;
        // SAFETY: this program never starts a thread: the child may run
        // any code.
        match unsafe { fork() }.context("fork failed")? {
            ForkResult::Child => {
                drop(ready_rx);
                let _ = set_dumpable(false); // no core file for SIGQUIT
                // Dispositions and the mask are inherited: a shell starts
                // background jobs with SIGINT and SIGQUIT ignored, nohup
                // ignores SIGHUP, a parent may block anything. Start from
                // the defaults (SIGPIPE and SIGSEGV are left as std set them).
                use Signal::*;
                let sent = [SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGALRM];
                let also = [SIGQUIT, SIGABRT, SIGCHLD, SIGURG, SIGWINCH];
                for signal in sent.into_iter().chain(also) {
                    // SAFETY: SIG_DFL installs no handler; single-threaded.
                    let _ = unsafe {
                        signal_disposition(signal, SigHandler::SigDfl)
                    };
                }
                let none = SigSet::empty();
                let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&none), None);
                let _ = ready_tx.write_all(b"r");
                drop(ready_tx);
                loop {
                    pause();
                }
            }
            ForkResult::Parent { child } => {
                drop(ready_tx);
                // From here on, dropping it kills and reaps the child.
                let sleeper = Sleeper {
                    pid: child,
                    reaped: false,
                };
                let mut byte = [0u8];
                ready_rx
                    .read_exact(&mut byte)
                    .context("the child died before it was ready")?;
                Ok(sleeper)
            }
        }
    }

    /// The `State:` and `ShdPnd:` (pending signals) lines of its status.
    fn status(&self) -> Result<String> {
        let path = format!("/proc/{}/status", self.pid);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {path}"))?;
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .map_or("?", str::trim)
                .to_owned()
        };
        Ok(format!("{}, pending {}", field("State:"), field("ShdPnd:")))
    }

    /// Whether it has a handler for `signal` (its `SigCgt:` mask).
    fn catches(&self, signal: Signal) -> Result<bool> {
        let path = format!("/proc/{}/status", self.pid);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {path}"))?;
        let mask = text.lines().find_map(|l| l.strip_prefix("SigCgt:"));
        let mask = u64::from_str_radix(mask.unwrap_or("").trim(), 16)
            .context("no SigCgt line")?;
        Ok(mask & 1 << (signal as i32 - 1) != 0)
    }

    /// Waits (at most 10 s) until it sleeps (state S) in `pause` and has
    /// no handler for `unless_caught`. The kernel shows `pause` in its
    /// wait channel only to root: this child is not dumpable.
    fn wait_asleep(&self, unless_caught: Signal) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let wchan = format!("/proc/{}/wchan", self.pid);
        loop {
            let chan = std::fs::read_to_string(&wchan).unwrap_or_default();
            let hidden = chan.is_empty() || chan == "0";
            if self.status()?.starts_with("S ")
                && (hidden || chan.contains("pause"))
                && !self.catches(unless_caught)?
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the child never went to sleep in pause");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = kill(self.pid, Signal::SIGKILL);
            let _ = waitpid(self.pid, None);
        }
    }
}

// ANCHOR: main
/// Sends `signal` and reports the child's next change of state.
fn send(child: &mut Sleeper, signal: Signal) -> Result<()> {
    kill(child.pid, signal).context("kill failed")?;
    let flags = WaitPidFlag::WUNTRACED | WaitPidFlag::WCONTINUED;
    let what = match waitpid(child.pid, Some(flags)).context("waitpid")? {
        WaitStatus::Signaled(_, by, _) => {
            child.reaped = true;
            format!("killed by {by}")
        }
        WaitStatus::Stopped(_, by) => format!("stopped by {by}"),
        WaitStatus::Continued(_) => "continued".to_owned(),
        other => format!("{other:?}"),
    };
    println!("{:<9} -> {what}", signal.as_str());
    Ok(())
}

/// Sends a signal whose action is to ignore it; the child sleeps on.
fn send_ignored(child: &Sleeper, signal: Signal) -> Result<()> {
    child.wait_asleep(signal)?;
    kill(child.pid, signal).context("kill failed")?;
    println!("{:<9} -> still {}", signal.as_str(), child.status()?);
    Ok(())
}

/// Sends a signal the child catches; waits until the handler has run
/// and reset the signal to its default, and the child sleeps again.
fn send_caught(child: &Sleeper, signal: Signal) -> Result<()> {
    let before = child.catches(signal)?;
    kill(child.pid, signal).context("kill failed")?;
    child.wait_asleep(signal)?;
    let what = match (before, child.catches(signal)?) {
        (true, false) => "caught; its handler removed itself",
        _ => "not caught as expected",
    };
    let (name, state) = (signal.as_str(), child.status()?);
    println!("{name:<9} -> {what}; still {state}");
    Ok(())
}

fn main() -> Result<()> {
    use Signal::*;
    for signal in [SIGHUP, SIGINT, SIGTERM, SIGKILL, SIGUSR1, SIGALRM] {
        send(&mut Sleeper::spawn()?, signal)?; // terminate
    }
    for signal in [SIGQUIT, SIGABRT] {
        send(&mut Sleeper::spawn()?, signal)?; // terminate, dump core
    }
    let mut child = Sleeper::spawn()?; // std's handler takes the first
    send_caught(&child, SIGSEGV)?;
    send(&mut child, SIGSEGV)?; // terminate, dump core
    let mut child = Sleeper::spawn()?;
    send(&mut child, SIGSTOP)?; // stop
    send(&mut child, SIGCONT)?; // continue
    for signal in [SIGCHLD, SIGURG, SIGWINCH, SIGPIPE] {
        send_ignored(&child, signal)?; // ignore
    }
    send(&mut child, SIGTERM)
}
// ANCHOR_END: main
