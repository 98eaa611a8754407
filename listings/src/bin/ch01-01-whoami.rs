use std::fs;

use anyhow::{Context, Result};
use nix::unistd::{getpid, getppid};

fn main() -> Result<()> {
    // Two system calls answer "who am I?" and "who started me?".
    println!("getpid():  {}", getpid());
    println!("getppid(): {}", getppid());

    // /proc/self is a symbolic link to /proc/<my pid>: a window onto this very
    // process.
    let me = fs::read_link("/proc/self")
        .context("cannot read /proc/self (is /proc mounted?)")?;
    println!("/proc/self -> {}", me.display());

    // /proc/self/exe links to the program file this process is running.
    let exe = fs::read_link("/proc/self/exe")
        .context("cannot read /proc/self/exe")?;
    let name = exe.file_name().context("the program has no file name")?;
    println!("running the program {}", name.to_string_lossy());

    // /proc/self/status describes the process in "Key:\tvalue" lines.
    let status = fs::read_to_string("/proc/self/status")
        .context("cannot read /proc/self/status")?;
    for line in status.lines() {
        let key = line.split(':').next().unwrap_or_default();
        if ["Name", "State", "Pid", "PPid", "Threads", "VmStk"].contains(&key) {
            println!("  {line}");
        }
    }
    Ok(())
}
