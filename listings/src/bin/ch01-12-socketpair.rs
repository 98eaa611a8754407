use std::io::{BufRead, BufReader, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;

use anyhow::{Context, Result, bail};
use clap::Parser;
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

/// The parent asks, the child answers, over a connected pair of Unix domain
/// sockets.
#[derive(Parser)]
struct Args {
    /// Numbers the parent asks the child to square
    #[arg(default_values_t = [2, 3, 12],
          value_parser = clap::value_parser!(u32).range(0..=65535))]
    numbers: Vec<u32>,
}

// ANCHOR: body
fn main() -> Result<()> {
    let args: Args = listings::cli::parse();
    // socketpair(2): two connected sockets; each end can both send and receive.
    let (parent_end, child_end) =
        UnixStream::pair().context("socketpair failed")?;

    // SAFETY: no other thread exists yet, so the child may run any code.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            drop(parent_end);
            let mut answers =
                child_end.try_clone().context("cannot clone the socket")?;
            for request in BufReader::new(child_end).lines() {
                let request = request.context("read failed")?;
                let n: u32 = request.parse().context("not a number")?;
                println!("child:  asked for {n}², answering {}", n * n);
                writeln!(answers, "{}", n * n).context("write failed")?;
            }
            // End of file: the parent has no more questions.
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            drop(child_end);
            let asked = ask(parent_end, &args.numbers);
            // Reaped whether or not the conversation went well.
            waitpid(child, None).context("waitpid failed")?;
            asked?;
            println!("parent: child reaped");
        }
    }
    Ok(())
}

/// The parent's side: one question, one answer, then "no more questions".
fn ask(socket: UnixStream, numbers: &[u32]) -> Result<()> {
    let replies = socket.try_clone().context("cannot clone the socket")?;
    let mut replies = BufReader::new(replies);
    let mut requests = socket;
    for n in numbers {
        writeln!(requests, "{n}").context("write failed")?;
        let mut reply = String::new();
        if replies.read_line(&mut reply).context("read failed")? == 0 {
            bail!("the child hung up without answering");
        }
        println!("parent: {n}² = {}", reply.trim_end());
    }
    // Half-close: "I will send no more"; reading is still possible.
    requests
        .shutdown(Shutdown::Write)
        .context("shutdown failed")
}
// ANCHOR_END: body
