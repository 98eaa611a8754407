use std::io::{BufRead, BufReader};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use nix::errno::Errno;
use nix::sys::prctl::set_child_subreaper;
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;

/// How many processes /proc lists in process group `group` (zombies too).
fn members(group: Pid) -> Result<usize> {
    let mut count = 0;
    for entry in std::fs::read_dir("/proc").context("cannot read /proc")? {
        let stat = entry.map(|e| e.path().join("stat"));
        let Ok(stat) = stat.map(std::fs::read_to_string) else {
            continue;
        };
        let Ok(stat) = stat else { continue }; // not a process, or gone
        // proc(5): "pid (comm) state ppid pgrp ..."
        let after = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
        let pgrp = after.split_whitespace().nth(2);
        count += usize::from(pgrp == Some(&group.to_string()));
    }
    Ok(count)
}

/// Kills what is left of the group and reaps it on an error path. (Not
/// after `done`: the group's number could then belong to someone else.)
struct Group {
    id: Pid,
    done: bool,
}
impl Drop for Group {
    fn drop(&mut self) {
        if !self.done {
            let _ = killpg(self.id, Signal::SIGKILL);
            while waitpid(Pid::from_raw(-self.id.as_raw()), None).is_ok() {}
        }
    }
}

// ANCHOR: main
fn main() -> Result<()> {
    // The orphans of the tree are adopted by us, so we can reap them.
    set_child_subreaper(true).context("prctl failed")?;
    let mut sh = Command::new("sh")
        .args(["-c", "sleep 30 & sleep 30 & echo ready; wait"])
        .process_group(0) // setpgid(0, 0) in the child: a new group
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run sh")?;
    let mut group = Group {
        id: Pid::from_raw(sh.id() as i32),
        done: false,
    };
    let mut line = String::new();
    let out = sh.stdout.take().context("no stdout")?;
    BufReader::new(out).read_line(&mut line).context("read")?;
    println!("group {}: {} processes", group.id, members(group.id)?);

    kill(group.id, Signal::SIGTERM).context("kill failed")?;
    let status = sh.wait().context("wait failed")?;
    let by = Signal::try_from(status.signal().unwrap_or(0))?;
    println!(
        "kill(sh, SIGTERM): sh killed by {by}; {} left in the group",
        members(group.id)?
    );

    killpg(group.id, Signal::SIGTERM).context("killpg failed")?;
    loop {
        match waitpid(Pid::from_raw(-group.id.as_raw()), None) {
            Ok(WaitStatus::Signaled(pid, s, _)) => {
                println!("killpg(group, SIGTERM): {pid} killed by {s}")
            }
            Ok(other) => bail!("unexpected {other:?}"),
            Err(Errno::ECHILD) => break, // nobody left in the group
            Err(e) => return Err(e).context("waitpid failed"),
        }
    }
    group.done = true;
    println!("{} left in the group", members(group.id)?);
    Ok(())
}
// ANCHOR_END: main
