use anyhow::{Context, Result};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, getpid, getppid};

fn main() -> Result<()> {
    println!("before fork: one process, pid {}", getpid());

    // SAFETY: no other thread exists yet, so the child is a copy of a
    // single-threaded process and may call anything, not only async-signal-safe
    // functions (see signal-safety(7)).
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            // fork returned 0 here: this is the new process.
            println!("child:  pid {}, my parent is {}", getpid(), getppid());
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            // fork returned the child's PID here: this is the original process.
            println!("parent: pid {}, my child is {child}", getpid());
            match waitpid(child, None).context("waitpid failed")? {
                WaitStatus::Exited(pid, code) => {
                    println!(
                        "parent: child {pid} exited with code {code}, \
                         and is reaped"
                    )
                }
                other => println!("parent: child ended otherwise: {other:?}"),
            }
        }
    }
    Ok(())
}
