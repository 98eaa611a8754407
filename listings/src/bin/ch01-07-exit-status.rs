use anyhow::{Context, Result};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pause};

/// Forks a child that runs `body`, which never returns.
fn spawn(body: fn() -> !) -> Result<Pid> {
    // SAFETY: this program never starts a thread, so the child may run any
    // code.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => body(),
        ForkResult::Parent { child } => Ok(child),
    }
}

fn report(status: WaitStatus) {
    match status {
        WaitStatus::Exited(pid, code) => {
            println!("child {pid} exited with code {code}")
        }
        WaitStatus::Signaled(pid, signal, _core) => {
            println!("child {pid} was killed by {signal}")
        }
        other => println!("child changed state: {other:?}"),
    }
}

fn main() -> Result<()> {
    let ok = spawn(|| std::process::exit(0))?;
    report(waitpid(ok, None).context("waitpid failed")?);

    let failed = spawn(|| std::process::exit(3))?;
    report(waitpid(failed, None).context("waitpid failed")?);

    let sleeper = spawn(|| {
        loop {
            pause(); // sleep until a signal arrives
        }
    })?;
    kill(sleeper, Signal::SIGTERM).context("kill failed")?;
    report(waitpid(sleeper, None).context("waitpid failed")?);
    Ok(())
}
