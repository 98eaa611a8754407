use std::io::ErrorKind;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

fn main() -> Result<()> {
    // spawn() starts the child and returns at once; wait() reaps it.
    let mut child = Command::new("sh")
        .args(["-c", "echo \"child:  pid $$, says hello\"; exit 3"])
        .spawn()
        .context("cannot start sh")?;
    println!("parent: started child {}", child.id());
    let status = child.wait().context("wait failed")?;
    println!("parent: child {status}, code {:?}", status.code());

    // output() runs the child to the end and captures what it printed.
    let output = Command::new("uname")
        .arg("-s")
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run uname")?;
    let text = String::from_utf8_lossy(&output.stdout);
    println!(
        "parent: uname {} and printed {:?}",
        output.status,
        text.trim_end()
    );

    // A program that does not exist is an error of spawn itself, not an exit
    // status.
    match Command::new("no-such-program").status() {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            println!("parent: no-such-program: {e}")
        }
        other => println!("parent: unexpected: {other:?}"),
    }
    Ok(())
}
