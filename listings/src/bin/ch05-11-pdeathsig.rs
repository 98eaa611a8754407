use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command};
use std::thread;

use anyhow::{Context, Result, bail};
use nix::sys::prctl::{set_child_subreaper, set_pdeathsig};
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// Starts `sleep 10`, which gets SIGTERM when its parent dies. (If that
/// never happens, it still ends by itself: no process is left behind.)
fn sleeper() -> Result<Child> {
    let mut cmd = Command::new("sleep");
    cmd.arg("10");
    // SAFETY: between fork and exec, in a child forked from a threaded
    // process: the closure only makes the prctl(2) system call through
    // glibc's thin wrapper (no lock, no allocation; prctl is not on
    // signal-safety(7)'s list) and turns an errno into an io::Error.
    unsafe {
        cmd.pre_exec(|| set_pdeathsig(Signal::SIGTERM).map_err(Into::into));
    }
    // `spawn` returns after the exec, so the prctl has been done.
    cmd.spawn().context("cannot run sleep")
}

fn describe(status: WaitStatus) -> String {
    match status {
        WaitStatus::Signaled(_, signal, _) => format!("killed by {signal}"),
        other => format!("{other:?}"),
    }
}

// ANCHOR: main
fn main() -> Result<()> {
    set_child_subreaper(true).context("prctl failed")?; // we adopt orphans
    // 1. The parent *process* exits.
    // SAFETY: no other thread exists yet: the child may run any code.
    let middle = match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            let code = i32::from(sleeper().is_err());
            std::process::exit(code); // the sleeper's parent dies here
        }
        ForkResult::Parent { child } => child,
    };
    if waitpid(middle, None)? != WaitStatus::Exited(middle, 0) {
        bail!("the middle process failed");
    }
    let orphan = waitpid(None, None).context("waitpid failed")?;
    println!("parent process exited: child {}", describe(orphan));

    // 2. The *thread* that spawned it exits; the process lives on.
    let mut child = thread::spawn(sleeper)
        .join()
        .map_err(|_| anyhow::anyhow!("the thread panicked"))??;
    let status = child.wait().context("wait failed")?;
    let how = match status.signal().map(Signal::try_from) {
        Some(Ok(signal)) => format!("killed by {signal}"),
        _ => status.to_string(),
    };
    println!("spawning thread exited, process alive: child {how}");
    Ok(())
}
// ANCHOR_END: main
