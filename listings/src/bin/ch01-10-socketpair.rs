use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;

use anyhow::{Context, Result};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

fn main() -> Result<()> {
    // Two connected Unix domain sockets (unix(7)): unlike a pipe, each end reads and writes.
    let (parent_end, child_end) = UnixStream::pair().context("socketpair failed")?;

    // SAFETY: no other thread exists yet; the child may use anything.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            drop(parent_end);
            let mut replies = child_end.try_clone().context("dup failed")?;
            // A tiny server: each request is a number, each reply its square.
            for request in BufReader::new(child_end).lines() {
                let n: u64 = request?.trim().parse().context("bad request")?;
                writeln!(replies, "{}", n * n).context("reply failed")?;
            }
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            drop(child_end);
            let mut requests = parent_end.try_clone().context("dup failed")?;
            let mut replies = BufReader::new(parent_end).lines();
            for n in [3, 12, 40] {
                writeln!(requests, "{n}").context("request failed")?;
                let reply = replies.next().context("no reply")??;
                println!("parent: asked for {n} squared, the child answered {reply}");
            }
            drop(requests); // EOF for the child's loop
            drop(replies);
            waitpid(child, None).context("waitpid failed")?;
            println!("parent: child reaped");
        }
    }
    Ok(())
}
