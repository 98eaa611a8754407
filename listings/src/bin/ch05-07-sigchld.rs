use anyhow::{Context, Result, bail};
use nix::errno::Errno;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

const CHILDREN: i32 = 5;

// ANCHOR: main
fn main() -> Result<()> {
    // SIGCHLD is blocked, so it stays pending and signalfd can read it.
    let mask = SigSet::from(Signal::SIGCHLD);
    mask.thread_block().context("pthread_sigmask failed")?;
    let flags = SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC;
    let sigchld = SignalFd::with_flags(&mask, flags).context("signalfd")?;

    let mut pids = Vec::new();
    for code in 0..CHILDREN {
        // SAFETY: this program never starts a thread: the child may run
        // any code.
        match unsafe { fork() }.context("fork failed")? {
            ForkResult::Child => std::process::exit(code),
            ForkResult::Parent { child } => pids.push(child),
        }
    }
    // Wait until every child has exited, without reaping it (WNOWAIT).
    for &pid in &pids {
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT;
        waitid(Id::Pid(pid), flags).context("waitid failed")?;
    }
    println!("{CHILDREN} children have exited; none reaped yet");

    let info = sigchld.read_signal().context("read")?.context("nothing")?;
    println!(
        "signalfd: one {} for child {}",
        Signal::try_from(info.ssi_signo as i32)?,
        info.ssi_pid
    );
    match sigchld.read_signal() {
        Ok(None) => println!("signalfd: nothing more"),
        other => bail!("a second SIGCHLD? {other:?}"),
    }
    // One notification, five children: reap until none is left.
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) => {
                println!("reaped child {pid}: exited with code {code}")
            }
            Ok(WaitStatus::StillAlive) => bail!("a child is still running"),
            Ok(other) => println!("reaped: {other:?}"),
            Err(Errno::ECHILD) => break, // no children left
            Err(e) => return Err(e).context("waitpid failed"),
        }
    }
    Ok(())
}
// ANCHOR_END: main
