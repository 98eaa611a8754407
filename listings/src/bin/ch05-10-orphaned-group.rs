use std::fs::File;

use anyhow::{Context, Result, bail};
use nix::errno::Errno;
use nix::sys::prctl::set_child_subreaper;
use nix::sys::signal::{Signal, raise};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getsid, setpgid, setsid};

/// The session leader: a new session, and in it a stopped child in a
/// process group of its own. Then it exits.
fn leader() -> Result<()> {
    setsid().context("setsid failed")?;
    let tty = match File::open("/dev/tty") {
        Ok(_) => "opened".to_owned(),
        Err(e) => {
            format!("{:?}", Errno::from_raw(e.raw_os_error().unwrap_or(0)))
        }
    };
    println!(
        "leader: new session {}; /dev/tty: {tty}",
        getsid(None).context("getsid")?
    );
    // SAFETY: single-threaded, as the whole program: any code may run.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            let _ = setpgid(Pid::from_raw(0), Pid::from_raw(0));
            let _ = raise(Signal::SIGSTOP); // stopped until SIGCONT
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            let _ = setpgid(child, child); // both set it: no race
            let status = waitpid(child, Some(WaitPidFlag::WUNTRACED))?;
            println!("leader: child {child} in group {child}: {status:?}");
            println!("leader: exiting; the child's group is now orphaned");
            Ok(())
        }
    }
}

fn main() -> Result<()> {
    set_child_subreaper(true).context("prctl failed")?;
    println!("main: session {}", getsid(None).context("getsid")?);
    // SAFETY: no other thread exists: the child may run any code.
    let pid = match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => std::process::exit(match leader() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("leader: {e:#}");
                1
            }
        }),
        ForkResult::Parent { child } => child,
    };
    println!("main: leader: {:?}", waitpid(pid, None)?);
    // The stopped child was adopted by us (subreaper), or there is none.
    match waitpid(None, None).context("waitpid failed")? {
        WaitStatus::Signaled(p, s, _) => {
            println!("main: adopted {p}: killed by {s}")
        }
        other => bail!("unexpected: {other:?}"),
    }
    Ok(())
}
