use std::process::{Command, Stdio};

use anyhow::{Context, Result};

fn main() -> Result<()> {
    // spawn + wait: the child inherits our stdout, and we collect its exit status.
    let mut child = Command::new("echo")
        .arg("hello from echo")
        .spawn()
        .context("cannot start echo")?;
    println!("spawned echo as process {}", child.id());
    let status = child.wait().context("waiting for echo failed")?;
    println!("echo finished: {status}");

    // output(): run to completion and capture what the child printed.
    let output = Command::new("uname")
        .arg("-s")
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run uname")?;
    let kernel = String::from_utf8_lossy(&output.stdout);
    println!(
        "captured from uname: {:?}, {}",
        kernel.trim(),
        output.status
    );

    // A program that fails reports it in its status, not as an Err.
    let status = Command::new("false").status().context("cannot run false")?;
    println!("false finished: {status}, success: {}", status.success());

    // Not finding the program is an Err, before any process runs.
    let missing = Command::new("no-such-program-here").status();
    println!(
        "a missing program: {}",
        missing.map_or_else(|e| e.to_string(), |s| s.to_string())
    );
    Ok(())
}
