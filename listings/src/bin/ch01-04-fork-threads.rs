use std::sync::mpsc;
use std::{fs, thread};

use anyhow::{Context, Result, anyhow};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork, pipe, read};

/// The "Threads:" line of /proc/<pid>/status: how many threads the process has.
fn threads(pid: &str) -> Result<String> {
    let path = format!("/proc/{pid}/status");
    let status = fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path}"))?;
    let line = status.lines().find(|l| l.starts_with("Threads:"));
    Ok(line
        .context("no Threads line")?
        .split_whitespace()
        .last()
        .unwrap_or("?")
        .into())
}

fn main() -> Result<()> {
    // A second thread that just waits until we tell it to finish.
    let (stop, stopped) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        let _ = stopped.recv(); // returns when `stop` is dropped
    });

    let (reader, writer) = pipe().context("pipe failed")?;
    // SAFETY: this process has two threads. Until it exits, the child only
    // calls functions that are async-signal-safe (close, read, _exit; see
    // signal-safety(7)): no allocation, no locks, nothing the other thread
    // could have held at the moment of the fork.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            // close(2) our copy of the write end, so that EOF can come.
            drop(writer);
            // Blocks until the parent closes its end.
            let _ = read(&reader, &mut [0u8; 1]);
            // SAFETY: _exit is async-signal-safe and ends the process at once.
            unsafe { nix::libc::_exit(0) }
        }
        ForkResult::Parent { child } => {
            drop(reader);
            let parent = threads("self");
            let in_child = threads(&child.to_string());
            drop(writer); // EOF for the child: it exits
            waitpid(child, None).context("waitpid failed")?; // before any `?`
            println!("parent has {} threads", parent?);
            println!("child has  {} thread", in_child?);
        }
    }
    drop(stop);
    worker.join().map_err(|_| anyhow!("the worker panicked"))?;
    println!("child reaped, worker joined");
    Ok(())
}
