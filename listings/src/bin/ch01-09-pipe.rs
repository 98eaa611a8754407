use std::io::{BufRead, BufReader, Write};

use anyhow::{Context, Result};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

fn main() -> Result<()> {
    // A pipe is a one-way byte stream through the kernel: what is written at one end is read
    // at the other (pipe(7)). Made before fork, both processes hold both ends.
    let (reader, mut writer) = std::io::pipe().context("pipe failed")?;

    // SAFETY: no other thread exists yet; the child may use anything.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            // The child only reads: close its copy of the write end, or it would never see
            // end-of-file (a pipe reaches EOF only when every write end is closed).
            drop(writer);
            for line in BufReader::new(reader).lines() {
                println!("child received: {}", line.context("read failed")?);
            }
            println!("child: end of file, the parent closed its end");
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            drop(reader);
            for message in ["first message", "second message", "third message"] {
                writeln!(writer, "{message}").context("write failed")?;
            }
            drop(writer); // closing the write end is what sends EOF
            waitpid(child, None).context("waitpid failed")?;
            println!("parent: child reaped");
        }
    }
    Ok(())
}
