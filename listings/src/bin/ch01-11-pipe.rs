use std::io::{BufRead, BufReader, Write, pipe};

use anyhow::{Context, Result};
use clap::Parser;
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

/// A parent sends messages to its child through a pipe.
#[derive(Parser)]
struct Args {
    /// How many messages to send
    #[arg(long, default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    messages: u32,
}

fn main() -> Result<()> {
    let args: Args = listings::cli::parse();
    // A pipe is a one-way channel in the kernel: bytes written to `writer` come
    // out of `reader`.
    let (reader, mut writer) = pipe().context("pipe failed")?;

    // SAFETY: no other thread exists yet, so the child may run any code.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            // The child inherited both ends. It must close its copy of the
            // write end: a reader sees end-of-file only once *every* write end
            // is closed, its own included.
            drop(writer);
            let mut count = 0;
            for line in BufReader::new(reader).lines() {
                println!("child:  received {:?}", line.context("read failed")?);
                count += 1;
            }
            println!("child:  end of file after {count} messages");
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            drop(reader); // the parent only writes
            let sent = (1..=args.messages).try_for_each(|i| {
                writeln!(writer, "message {i} from the parent")
                    .context("write failed")
            });
            // Closing the last write end is what makes end-of-file.
            drop(writer);
            waitpid(child, None).context("waitpid failed")?;
            sent?; // only now: the child is reaped whatever happened
            println!("parent: sent {} messages, child reaped", args.messages);
        }
    }
    Ok(())
}
