use std::ffi::CString;

use anyhow::{Context, Result};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, execvp, fork, getpid};

fn main() -> Result<()> {
    // Everything the child needs is prepared before the fork: building a CString allocates,
    // and a child should do as little as possible between fork and exec.
    let program = CString::new("sh")?;
    let args = [
        CString::new("sh")?, // argv[0]: the name the program sees for itself
        CString::new("-c")?,
        CString::new(
            "echo \"sh:     pid $$, the same process running a new program\"",
        )?,
    ];
    println!("parent: pid {}", getpid());

    // SAFETY: no other thread exists yet, so the child may run any code before exec.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            println!("child:  pid {}, about to exec sh", getpid());
            // On success execvp never returns: this program's memory is replaced by sh's.
            let Err(err) = execvp(&program, &args);
            eprintln!("child:  exec failed: {err}");
            std::process::exit(127); // the shell's convention for "command not found"
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
