use std::io::{Read, Write, pipe};

use anyhow::{Context, Result, ensure};
use clap::Parser;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// Sums 1..=N in worker processes that send their partial sums through one
/// pipe.
#[derive(Parser)]
struct Args {
    /// How many worker processes
    #[arg(long, default_value_t = 4,
          value_parser = clap::value_parser!(u64).range(1..=64))]
    workers: u64,
    /// The last number of the sum
    #[arg(long, default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    up_to: u64,
}

// ANCHOR: body
fn main() -> Result<()> {
    let Args { workers, up_to } = listings::cli::parse();
    let (mut reader, writer) = pipe().context("pipe failed")?;
    let mut children = Vec::new();
    let mut forked = Ok(());
    for w in 0..workers {
        // Worker w sums (first..=last), one contiguous slice of 1..=up_to.
        let (first, last) =
            (w * up_to / workers + 1, (w + 1) * up_to / workers);
        // SAFETY: no other thread exists, so the child may run any code.
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                drop(reader);
                let part: u64 = (first..=last).sum();
                println!("worker {w}: {first}..={last} sums to {part}");
                // 8 bytes is far below PIPE_BUF (4096): the write is
                // atomic, never interleaved with another worker's.
                let sent = (&writer).write_all(&part.to_ne_bytes());
                std::process::exit(if sent.is_ok() { 0 } else { 1 });
            }
            Ok(ForkResult::Parent { child }) => children.push(child),
            Err(e) => {
                forked = Err(e).context("fork failed"); // reap, then report
                break;
            }
        }
    }
    // Only the workers hold write ends now: if one dies without sending,
    // the parent reads end of file, not a hang.
    drop(writer);
    let mut total = 0;
    let mut buf = [0u8; 8];
    let mut received = Ok(());
    for _ in 0..children.len() {
        if let Err(e) = reader.read_exact(&mut buf) {
            received = Err(e).context("a worker sent no result");
            break;
        }
        total += u64::from_ne_bytes(buf);
    }
    // Every worker is reaped, whatever failed above.
    let statuses: Vec<_> = children
        .iter()
        .map(|&child| (child, waitpid(child, None)))
        .collect();
    forked?;
    received?;
    for (child, status) in statuses {
        let status = status.context("waitpid failed")?;
        let ok = status == WaitStatus::Exited(child, 0);
        ensure!(ok, "worker failed: {status:?}");
    }
    println!("total {total}, and n(n+1)/2 = {}", up_to * (up_to + 1) / 2);
    Ok(())
}
// ANCHOR_END: body
