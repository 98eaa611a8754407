use std::io::{Read, pipe};

use anyhow::{Context, Result, ensure};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, dup2_stdout, fork};

fn main() -> Result<()> {
    // No newline: the text waits in the buffer of std's stdout.
    print!("pending: ");

    let ways: [(&str, fn() -> !); 2] = [
        ("std::process::exit", || std::process::exit(0)),
        // SAFETY: _exit ends the process at once, running nothing.
        ("_exit", || unsafe { nix::libc::_exit(0) }),
    ];
    let mut seen = Vec::new();
    for (name, leave) in ways {
        let (mut reader, writer) = pipe().context("pipe failed")?;
        // SAFETY: no other thread exists, so the child may run any code.
        match unsafe { fork() }.context("fork failed")? {
            ForkResult::Child => {
                // The child's stdout goes into the pipe, for the parent.
                if dup2_stdout(&writer).is_ok() {
                    leave(); // the child writes nothing itself
                }
                // SAFETY: as above.
                unsafe { nix::libc::_exit(127) }
            }
            ForkResult::Parent { child } => {
                drop(writer);
                let mut got = String::new();
                let read = reader.read_to_string(&mut got);
                let status = waitpid(child, None).context("waitpid failed")?;
                read.context("cannot read the child's output")?;
                let ok = status == WaitStatus::Exited(child, 0);
                ensure!(ok, "the child failed: {status:?}");
                seen.push((name, got));
            }
        }
    }
    println!("the parent's line, flushed at its newline");
    for (name, got) in seen {
        println!("child that left with {name:<18} wrote {got:?}");
    }
    Ok(())
}
