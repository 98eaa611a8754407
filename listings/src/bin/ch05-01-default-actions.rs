use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::prctl::set_dumpable;
use nix::sys::signal::signal as signal_disposition;
use nix::sys::signal::{SigHandler, Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pause};

/// A child asleep in `pause`. If it is still ours when dropped (an error
/// path), it is killed and reaped, so that nothing is left behind.
struct Sleeper {
    pid: Pid,
    reaped: bool,
}

impl Sleeper {
    fn spawn() -> Result<Sleeper> {
        // SAFETY: this program never starts a thread: the child may run
        // any code.
        match unsafe { fork() }.context("fork failed")? {
            ForkResult::Child => {
                let _ = set_dumpable(false); // no core file for SIGQUIT
                // Dispositions are inherited: a shell starts background jobs
                // with SIGINT and SIGQUIT ignored, nohup ignores SIGHUP. Start
                // from the defaults (SIGPIPE is left as std set it).
                for signal in [Signal::SIGHUP, Signal::SIGINT, Signal::SIGQUIT]
                {
                    // SAFETY: SIG_DFL installs no handler; single-threaded.
                    let _ = unsafe {
                        signal_disposition(signal, SigHandler::SigDfl)
                    };
                }
                loop {
                    pause();
                }
            }
            ForkResult::Parent { child } => Ok(Sleeper {
                pid: child,
                reaped: false,
            }),
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

    /// Waits (at most 10 s) until it sleeps (state S) in `pause`, as its
    /// wait channel shows where the kernel shows it.
    fn wait_asleep(&self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let wchan = format!("/proc/{}/wchan", self.pid);
        loop {
            let chan = std::fs::read_to_string(&wchan).unwrap_or_default();
            let hidden = chan.is_empty() || chan == "0";
            if self.status()?.starts_with("S ")
                && (hidden || chan.contains("pause"))
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
    child.wait_asleep()?;
    kill(child.pid, signal).context("kill failed")?;
    println!("{:<9} -> still {}", signal.as_str(), child.status()?);
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
    let mut child = Sleeper::spawn()?;
    send(&mut child, SIGSTOP)?; // stop
    send(&mut child, SIGCONT)?; // continue
    for signal in [SIGCHLD, SIGURG, SIGWINCH, SIGPIPE] {
        send_ignored(&child, signal)?; // ignore
    }
    send(&mut child, SIGTERM)
}
// ANCHOR_END: main
