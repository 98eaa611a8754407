use std::io::{Read, Write};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use listings::bench::{human, machine, repeat};
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, fork};

/// Round trips of one byte between two processes or two threads, pinned to one CPU or free.
#[derive(Parser)]
struct Args {
    /// Round trips per measured run.
    #[arg(long, default_value_t = 15_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    trips: u64,
}

/// Echoes each byte back until the other side hangs up.
fn echo(mut from: impl Read, mut to: impl Write) {
    let mut byte = [0];
    while from.read_exact(&mut byte).is_ok() && to.write_all(&byte).is_ok() {}
}

/// Sends a byte and waits for it to come back, `trips` times.
fn ping(mut to: impl Write, mut from: impl Read, trips: u64) -> Result<()> {
    let mut byte = [1];
    for _ in 0..trips {
        to.write_all(&byte).context("write failed")?;
        from.read_exact(&mut byte).context("read failed")?;
    }
    Ok(())
}

fn processes_over_pipes(trips: u64) -> Result<Duration> {
    let ((up_rx, up_tx), (down_rx, down_tx)) =
        (std::io::pipe()?, std::io::pipe()?);
    // SAFETY: this program has no other thread now; the child only echoes and exits.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            drop((up_tx, down_rx));
            echo(up_rx, down_tx);
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            drop((up_rx, down_tx));
            let start = Instant::now();
            ping(up_tx, down_rx, trips)?; // dropping our ends stops the child
            let elapsed = start.elapsed();
            waitpid(child, None).context("waitpid failed")?;
            Ok(elapsed)
        }
    }
}

fn threads_over_pipes(trips: u64) -> Result<Duration> {
    let ((up_rx, up_tx), (down_rx, down_tx)) =
        (std::io::pipe()?, std::io::pipe()?);
    let echoer = thread::spawn(move || echo(up_rx, down_tx));
    let start = Instant::now();
    ping(up_tx, down_rx, trips)?;
    let elapsed = start.elapsed();
    echoer.join().map_err(|_| anyhow!("echo thread panicked"))?;
    Ok(elapsed)
}

fn threads_over_channels(trips: u64) -> Result<Duration> {
    let ((up_tx, up_rx), (down_tx, down_rx)) =
        (mpsc::channel::<u8>(), mpsc::channel::<u8>());
    let echoer =
        thread::spawn(move || up_rx.iter().try_for_each(|b| down_tx.send(b)));
    let start = Instant::now();
    for _ in 0..trips {
        up_tx.send(1).map_err(|_| anyhow!("echo thread gone"))?;
        down_rx.recv().context("echo thread gone")?;
    }
    let elapsed = start.elapsed();
    drop(up_tx);
    let _ = echoer.join().map_err(|_| anyhow!("echo thread panicked"))?;
    Ok(elapsed)
}

/// One way to play ping-pong: runs `trips` round trips and returns how long they took.
type Case = fn(u64) -> Result<Duration>;

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    println!("{}", machine()?);
    println!(
        "median time of one round trip (two switches), {} trips per run",
        args.trips
    );
    let all_cpus = sched_getaffinity(Pid::from_raw(0))
        .context("sched_getaffinity failed")?;
    let mut cpu0 = CpuSet::new();
    cpu0.set(0).context("no CPU 0")?;
    let cases: [(&str, Case); 3] = [
        ("2 processes, pipes", processes_over_pipes),
        ("2 threads, pipes", threads_over_pipes),
        ("2 threads, channels", threads_over_channels),
    ];
    for (cpus, mask) in [("pinned to CPU 0", &cpu0), ("free", &all_cpus)] {
        // Children and threads inherit the affinity of the thread that creates them.
        sched_setaffinity(Pid::from_raw(0), mask)
            .context("sched_setaffinity failed")?;
        for (what, run) in cases {
            let runs = repeat(1, 5, || run(args.trips))?;
            let per_trip = runs.median / args.trips as u32;
            println!(
                "{what:<20} {cpus:<16} {:>9} per round trip",
                human(per_trip)
            );
        }
    }
    Ok(())
}
