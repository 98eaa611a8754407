use std::time::Duration;

use anyhow::{Context, Result};
use nix::sys::prctl::set_child_subreaper;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getpid, getppid};

fn main() -> Result<()> {
    // Orphans are normally adopted by init (PID 1). As a "child subreaper", this process
    // adopts its orphaned descendants itself, so it can reap them and leave nothing behind.
    set_child_subreaper(true).context("prctl(PR_SET_CHILD_SUBREAPER) failed")?;
    let me = getpid();
    println!("subreaper: pid {me}");

    // SAFETY: no other thread exists yet, in this process or in the child below.
    let child = match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            let first_parent = getpid();
            // SAFETY: the child is still single-threaded.
            if let ForkResult::Child = unsafe { fork() }.context("second fork failed")? {
                // Wait until our parent has exited and we have been adopted.
                while getppid() == first_parent {
                    std::thread::sleep(Duration::from_millis(1));
                }
                println!("grandchild: orphaned, now adopted by pid {}", getppid());
                println!("grandchild: adopted by the subreaper: {}", getppid() == me);
                std::process::exit(0);
            }
            println!("child: exiting, leaving my own child behind");
            std::process::exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    println!("subreaper: child exited: {:?}", waitpid(child, None)?);
    // The orphan is our child now: reap it too. -1 means "any child".
    match waitpid(Pid::from_raw(-1), None).context("waitpid failed")? {
        WaitStatus::Exited(pid, code) => println!("subreaper: reaped orphan {pid} (code {code})"),
        other => println!("subreaper: {other:?}"),
    }
    Ok(())
}
