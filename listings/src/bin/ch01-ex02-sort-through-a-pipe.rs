use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

fn main() -> Result<()> {
    // Start `sort` with pipes for its stdin and stdout, feed it, read its answer.
    let mut sort = Command::new("sort")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start sort")?;
    let mut input = sort.stdin.take().context("no stdin pipe")?;
    for word in ["pear", "apple", "fig", "banana"] {
        writeln!(input, "{word}").context("write to sort failed")?;
    }
    drop(input); // sort sorts only once it sees end-of-file
    let output = sort.wait_with_output().context("sort failed")?;
    print!("{}", String::from_utf8_lossy(&output.stdout));
    println!("sort: {}", output.status);
    Ok(())
}
