use std::io::{ErrorKind, PipeWriter, Read, Write, pipe};
use std::os::fd::AsFd;
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, fork};

/// The state letter in /proc/<pid>/stat ("pid (name) S ..."), or None once the
/// process is gone.
fn state(pid: Pid) -> Result<Option<char>> {
    let path = format!("/proc/{pid}/stat");
    let stat = match std::fs::read_to_string(&path) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        other => other.with_context(|| {
            format!("cannot read {path} (is /proc mounted?)")
        })?,
    };
    let after_name = &stat[stat.rfind(')').context("malformed stat")? + 1..];
    Ok(after_name.trim_start().chars().next())
}

// ANCHOR: drive
/// Polls the child's state until it is `want` (None: gone), for at most 10 s,
/// and prints it.
fn expect(pid: Pid, want: Option<char>, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while state(pid)? != want {
        if Instant::now() > deadline {
            bail!(
                "child never reached {want:?} ({what}); it is {:?}",
                state(pid)?
            );
        }
        sleep(Duration::from_millis(1));
    }
    println!("{:<4} {what}", want.map_or("-".into(), String::from));
    Ok(())
}

fn main() -> Result<()> {
    let (mut reader, writer) = pipe().context("pipe failed")?;
    // SAFETY: no other thread exists yet, so the child may run any code.
    let child = match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            drop(writer);
            let mut fds = [PollFd::new(reader.as_fd(), PollFlags::POLLIN)];
            // Busy: runs until a byte comes.
            while poll(&mut fds, PollTimeout::ZERO) == Ok(0) {}
            let mut byte = [0u8; 2];
            // Sleeps until the second byte.
            let _ = reader.read_exact(&mut byte);
            std::process::exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    drop(reader);
    let driven = drive(child, writer);
    if driven.is_err() {
        // A child left stopped would stay forever. Not reaped yet, its PID
        // is still ours: killing it cannot hit another process.
        let _ = kill(child, Signal::SIGKILL);
    }
    let status = waitpid(child, None).context("waitpid failed")?;
    driven?;
    println!("     waitpid: {status:?}");
    expect(child, None, "gone: reaped")
}

/// Takes the child from running to zombie, one cause at a time.
fn drive(child: Pid, mut writer: PipeWriter) -> Result<()> {
    expect(child, Some('R'), "running: a busy loop")?;
    writer.write_all(b"1").context("write failed")?;
    expect(child, Some('S'), "sleeping: blocked on a pipe")?;
    kill(child, Signal::SIGSTOP).context("SIGSTOP failed")?;
    expect(child, Some('T'), "stopped by SIGSTOP")?;
    kill(child, Signal::SIGCONT).context("SIGCONT failed")?;
    expect(child, Some('S'), "continued: blocked again")?;
    writer.write_all(b"2").context("write failed")?;
    expect(child, Some('Z'), "zombie: exited, not reaped")
}
// ANCHOR_END: drive
