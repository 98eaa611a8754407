use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use listings::bench::{Summary, machine, repeat};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

const CHUNK: usize = 64 * 1024;

/// Moves the same data from a producer to a consumer four ways, and reports MiB/s.
#[derive(Parser)]
struct Args {
    /// MiB to move per run.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=16_384))]
    mib: u64,
    /// Measured runs per method.
    #[arg(long, default_value_t = 9, value_parser = clap::value_parser!(u64).range(1..=1_000))]
    runs: u64,
}

// ANCHOR: transfer
/// Consumer side of a byte stream: read every chunk and touch every byte.
fn consume(mut from: impl Read, total: usize) -> Result<u64> {
    let (mut buf, mut seen, mut sum) = (vec![0; CHUNK], 0, 0_u64);
    while seen < total {
        let n = from.read(&mut buf).context("read failed")?;
        anyhow::ensure!(n > 0, "early end of stream");
        sum += buf[..n].iter().map(|&b| u64::from(b)).sum::<u64>();
        seen += n;
    }
    Ok(sum)
}

/// Parent writes, a forked child reads: through a pipe or a socket pair.
fn through_kernel<R: Read, W: Write>(
    total: usize,
    (rx, mut tx): (R, W),
) -> Result<Duration> {
    let chunk = vec![7_u8; CHUNK];
    let start = Instant::now();
    // SAFETY: this program starts no thread before this fork returns in the parent (the
    // channel case runs after); the child only reads and exits.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            drop(tx);
            let ok = consume(rx, total).is_ok();
            std::process::exit(if ok { 0 } else { 1 });
        }
        ForkResult::Parent { child } => {
            drop(rx);
            for _ in 0..total / CHUNK {
                tx.write_all(&chunk).context("write failed")?;
            }
            drop(tx);
            waitpid(child, None).context("waitpid failed")?;
        }
    }
    Ok(start.elapsed())
}

/// One thread sends owned chunks (a copy each, like write), another receives them.
fn through_channel(total: usize) -> Result<Duration> {
    let chunk = vec![7_u8; CHUNK];
    let start = Instant::now();
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(16);
    let consumer = thread::spawn(move || {
        rx.iter()
            .map(|c| c.iter().map(|&b| u64::from(b)).sum::<u64>())
            .sum::<u64>()
    });
    for _ in 0..total / CHUNK {
        tx.send(chunk.clone())
            .map_err(|_| anyhow!("consumer gone"))?;
    }
    drop(tx);
    consumer.join().map_err(|_| anyhow!("consumer panicked"))?;
    Ok(start.elapsed())
}

/// One thread writes chunks into a ring of slots both threads see, the other reads them
/// there: the data never passes through the kernel. (A MAP_SHARED mapping, as in Listing
/// 1.13, does the same between processes.)
fn through_shared_memory(total: usize) -> Result<Duration> {
    const SLOTS: usize = 16; // like the channel's bound: 1 MiB in flight
    let chunk = vec![7_u8; CHUNK];
    let mut ring = vec![0_u8; SLOTS * CHUNK];
    let ring = ring.as_mut_ptr() as usize; // shared by address, synchronised by the counters
    // Chunks written and read so far, each on its own cache line so that updating one does
    // not slow down reading the other.
    #[repr(align(64))]
    struct Counter(AtomicUsize);
    let (written, read) =
        (Counter(AtomicUsize::new(0)), Counter(AtomicUsize::new(0)));
    let chunks = total / CHUNK;
    let start = Instant::now();
    thread::scope(|s| {
        s.spawn(|| {
            let mut sum = 0_u64;
            for i in 0..chunks {
                while written.0.load(Ordering::Acquire) <= i {
                    std::hint::spin_loop();
                }
                // SAFETY: slot i % SLOTS holds chunk i, written before the Release store, and
                // is not overwritten before we publish `read` below.
                let slot = unsafe {
                    std::slice::from_raw_parts(
                        (ring as *const u8).add(i % SLOTS * CHUNK),
                        CHUNK,
                    )
                };
                sum += slot.iter().map(|&b| u64::from(b)).sum::<u64>();
                read.0.store(i + 1, Ordering::Release);
            }
            std::hint::black_box(sum);
        });
        for i in 0..chunks {
            while i - read.0.load(Ordering::Acquire) >= SLOTS {
                std::hint::spin_loop(); // the ring is full
            }
            // SAFETY: the reader is done with this slot (checked just above).
            unsafe {
                std::ptr::copy_nonoverlapping(
                    chunk.as_ptr(),
                    (ring as *mut u8).add(i % SLOTS * CHUNK),
                    CHUNK,
                )
            };
            written.0.store(i + 1, Ordering::Release);
        }
    });
    Ok(start.elapsed())
}
// ANCHOR_END: transfer

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    let total = (args.mib as usize) << 20;
    println!("{}", machine()?);
    println!(
        "moving {} MiB in {} KiB chunks, {} runs each",
        args.mib,
        CHUNK / 1024,
        args.runs
    );
    let runs = args.runs as usize;
    let rate = |s: &Summary| args.mib as f64 / s.median.as_secs_f64();
    let pipe = repeat(1, runs, || {
        through_kernel(total, std::io::pipe().context("pipe")?)
    })?;
    let socket = repeat(1, runs, || {
        through_kernel(total, UnixStream::pair().context("socketpair")?)
    })?;
    let shared = repeat(1, runs, || through_shared_memory(total))?;
    let channel = repeat(1, runs, || through_channel(total))?;
    for (name, summary) in [
        ("pipe (process to process)", &pipe),
        ("Unix socket (process to process)", &socket),
        ("shared memory (thread to thread)", &shared),
        ("mpsc channel (thread to thread)", &channel),
    ] {
        println!(
            "{name:<36} {:>7.0} MiB/s  {:>5.2}x the pipe  ({summary})",
            rate(summary),
            rate(summary) / rate(&pipe)
        );
    }
    Ok(())
}
