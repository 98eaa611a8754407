use std::ffi::CString;

use anyhow::{Context, Result};
use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, execvp, fork, getpid};

fn main() -> Result<()> {
    // Everything the child needs is prepared before the fork: building a
    // CString allocates, and a child should do as little as possible
    // between fork and exec.
    let program = CString::new("sh")?;
    let args = [
        CString::new("sh")?, // argv[0]: the name the program sees for itself
        CString::new("-c")?,
        CString::new(
            "echo \"sh:     pid $$, the same process running a new program\"",
        )?,
    ];
    println!("parent: pid {}", getpid());

    // SAFETY: no other thread exists yet, so the child may run any code
    // before exec.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            println!("child:  pid {}, about to exec sh", getpid());
            // std ignores SIGPIPE before main, and exec keeps an ignored
            // signal ignored (signal(7)): give sh the default back.
            // SAFETY: SIG_DFL installs no handler; signal(2) is
            // async-signal-safe.
            let reset = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
            // On success execvp never returns: sh replaces this program.
            let err = match reset {
                Ok(_) => {
                    let Err(e) = execvp(&program, &args);
                    e
                }
                Err(e) => e,
            };
            eprintln!("child:  exec failed: {err}");
            std::process::exit(127); // the shell's "command not found"
        }
        ForkResult::Parent { child } => {
            match waitpid(child, None).context("waitpid failed")? {
                WaitStatus::Exited(pid, code) => {
                    println!("parent: child {pid} exited with code {code}")
                }
                other => println!("parent: child ended otherwise: {other:?}"),
            }
        }
    }
    Ok(())
}
