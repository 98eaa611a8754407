use std::io::Read;
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Parser;
use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, dup2_stdout, execv, fork};

/// Which signals a child ignores, by how it was started.
#[derive(Parser)]
struct Args {}

/// Which of SIGPIPE and SIGUSR2 the SigIgn mask of a status file holds.
fn ignored(status: &str) -> Result<String> {
    let line = status.lines().find_map(|l| l.strip_prefix("SigIgn:"));
    let hex = line.context("no SigIgn line")?.trim();
    let mask = u64::from_str_radix(hex, 16).context("a malformed mask")?;
    let names: Vec<_> = [Signal::SIGPIPE, Signal::SIGUSR2]
        .into_iter()
        .filter(|&s| mask & (1 << (s as i32 - 1)) != 0)
        .map(|s| s.as_str())
        .collect();
    Ok(if names.is_empty() {
        "neither".into()
    } else {
        names.join(" ")
    })
}

/// Runs `cat /proc/self/status` by fork and exec, and returns what it read.
fn fork_exec_cat() -> Result<String> {
    let (mut from_child, to_parent) = std::io::pipe().context("pipe")?;
    let cat = c"/bin/cat";
    // SAFETY: this program is single-threaded, so the child may run any
    // code: nix's execv allocates its argv array before the system call,
    // which would not be async-signal-safe after a fork with threads.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            let _ = dup2_stdout(&to_parent); // the copy has no O_CLOEXEC
            let _ = execv(cat, &[cat, c"/proc/self/status"]);
            // SAFETY: _exit is async-signal-safe.
            unsafe { nix::libc::_exit(127) }
        }
        ForkResult::Parent { child } => {
            drop(to_parent); // or the read below never sees end of file
            let mut text = String::new();
            let read = from_child.read_to_string(&mut text);
            match waitpid(child, None).context("waitpid failed")? {
                WaitStatus::Exited(_, 0) => {}
                other => bail!("cat ended with {other:?}"),
            }
            read.context("cannot read cat's output")?;
            Ok(text)
        }
    }
}

fn main() -> Result<()> {
    listings::cli::parse::<Args>();
    // SAFETY: ignoring a signal runs no code of ours.
    unsafe { signal(Signal::SIGUSR2, SigHandler::SigIgn) }
        .context("signal failed")?;
    let mine = std::fs::read_to_string("/proc/self/status")
        .context("cannot read /proc/self/status")?;
    println!("this program ignores: {}", ignored(&mine)?);

    let output = Command::new("/bin/cat")
        .arg("/proc/self/status")
        .output()
        .context("cannot run cat")?;
    let text = String::from_utf8(output.stdout).context("not UTF-8")?;
    println!("a child started by Command ignores: {}", ignored(&text)?);
    let text = fork_exec_cat()?;
    println!(
        "a child started by fork + exec ignores: {}",
        ignored(&text)?
    );
    Ok(())
}
