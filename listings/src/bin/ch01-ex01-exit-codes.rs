use anyhow::{Context, Result};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

fn main() -> Result<()> {
    let mut children = Vec::new();
    for code in [0, 3, 42] {
        // SAFETY: no other thread exists; each child only calls _exit.
        match unsafe { fork() }.context("fork failed")? {
            // SAFETY: _exit is async-signal-safe.
            ForkResult::Child => unsafe { nix::libc::_exit(code) },
            ForkResult::Parent { child } => children.push((child, code)),
        }
    }
    // Reap in the order the children were started, and check each exit code.
    for (child, expected) in &children {
        match waitpid(*child, None).context("waitpid failed")? {
            WaitStatus::Exited(_, code) => {
                println!(
                    "child #{} exited with {code} (expected {expected})",
                    index(&children, *child)
                );
            }
            other => println!("unexpected: {other:?}"),
        }
    }
    Ok(())
}

fn index(children: &[(Pid, i32)], pid: Pid) -> usize {
    children.iter().position(|(c, _)| *c == pid).unwrap_or(0) + 1
}
