use std::process::{Command, Stdio};

use anyhow::{Context, Result};

fn main() -> Result<()> {
    // `printf 'cherry\napple\nbanana\n' | sort` with std: Stdio::piped() makes
    // the pipe, and Stdio::from hands its read end to the next command.
    let mut producer = Command::new("printf")
        .arg(r"cherry\napple\nbanana\n")
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start printf")?;
    let pipe_end = producer
        .stdout
        .take()
        .context("printf has no stdout pipe")?;
    // Our read end moves into this temporary Command and is closed when it is
    // dropped, at the end of the statement, once sort has ended. If sort
    // ended early, printf would then die of SIGPIPE (Command restored its
    // default disposition) instead of blocking.
    let sorted = Command::new("sort")
        .stdin(Stdio::from(pipe_end))
        .output()
        .context("cannot run sort");
    // printf is reaped even if sort could not be started.
    let printf_status = producer.wait().context("wait failed")?;
    let sorted = sorted?;

    print!("{}", String::from_utf8_lossy(&sorted.stdout));
    println!("printf {printf_status}, sort {}", sorted.status);
    Ok(())
}
