use std::ffi::CString;

use anyhow::{Context, Result};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, execvp, fork, getpid};

fn main() -> Result<()> {
    // Everything the child needs is prepared before fork: after fork (in a program that could
    // have threads) the child should only make async-signal-safe calls, and allocating is not.
    let program = CString::new("echo")?;
    let args = [program.clone(), CString::new("hello from a new program")?];

    // SAFETY: the child only calls execvp and _exit, both async-signal-safe.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            // On success execvp never returns: the process now runs `echo`.
            let _ = execvp(&program, &args);
            // SAFETY: _exit ends the child at once, without running any Rust cleanup.
            unsafe { nix::libc::_exit(127) };
        }
        ForkResult::Parent { child } => {
            println!(
                "parent {}: started child {child}, which will exec echo",
                getpid()
            );
            match waitpid(child, None).context("waitpid failed")? {
                WaitStatus::Exited(_, code) => println!("parent: echo exited with code {code}"),
                other => println!("parent: the child ended otherwise: {other:?}"),
            }
        }
    }
    Ok(())
}
