use std::fs;
use std::io::ErrorKind;

use anyhow::{Context, Result};
use nix::sys::wait::{Id, WaitPidFlag, waitid, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

/// The state letter of a process, from /proc/<pid>/stat ("pid (name) S ..."),
/// or None if the process no longer exists.
fn state(pid: Pid) -> Result<Option<char>> {
    let path = format!("/proc/{pid}/stat");
    let stat = match fs::read_to_string(&path) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        other => other.with_context(|| {
            format!("cannot read {path} (is /proc mounted?)")
        })?,
    };
    // The name may contain spaces and parentheses: the state follows the last
    // ')'.
    let after_name = &stat[stat.rfind(')').context("malformed stat")? + 1..];
    Ok(after_name.trim_start().chars().next())
}

fn describe(state: Option<char>) -> String {
    state.map_or("gone, no such process".into(), |s| format!("state {s}"))
}

fn main() -> Result<()> {
    // SAFETY: no other thread exists yet, so the child may run any code.
    let child = match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => std::process::exit(7),
        ForkResult::Parent { child } => child,
    };

    // Wait until the child has exited, but with WNOWAIT: leave it unreaped.
    waitid(Id::Pid(child), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT)
        .context("waitid failed")?;
    println!("child {child} has exited and is not reaped yet");
    println!("  /proc/{child}/stat: {}", describe(state(child)?));
    let path = format!("/proc/{child}/status");
    let status = fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path}"))?;
    if let Some(line) = status.lines().find(|l| l.starts_with("State:")) {
        println!("  /proc/{child}/status: {}", line.replace('\t', " "));
    }

    // Reaping collects the exit status and lets the kernel free the last of the
    // process.
    println!(
        "waitpid: {:?}",
        waitpid(child, None).context("waitpid failed")?
    );
    println!("  /proc/{child}/stat: {}", describe(state(child)?));
    Ok(())
}
