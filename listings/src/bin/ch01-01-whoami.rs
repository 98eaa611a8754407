use anyhow::{Context, Result};
use nix::unistd::{getpid, getppid};

fn main() -> Result<()> {
    println!("my PID is {}, my parent's PID is {}", getpid(), getppid());

    // /proc/self is the running process's own folder in the proc file system (proc(5)).
    let exe = std::fs::read_link("/proc/self/exe")
        .context("cannot read /proc/self/exe: is /proc mounted? (this needs Linux)")?;
    println!("/proc/self/exe -> {}", exe.display());

    // `status` has one "Key: value" line per fact about the process.
    let status =
        std::fs::read_to_string("/proc/self/status").context("cannot read /proc/self/status")?;
    for key in ["Name", "State", "Pid", "PPid", "Threads", "VmRSS"] {
        let line = status
            .lines()
            .find(|line| line.starts_with(&format!("{key}:")))
            .with_context(|| format!("/proc/self/status has no {key} line"))?;
        println!("status  {line}");
    }
    Ok(())
}
