use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use listings::bench::{human, machine};
use tokio::sync::Notify;

/// The same number of OS threads and of tokio tasks, all alive and waiting at once.
#[derive(Parser)]
struct Args {
    /// How many threads, and how many tasks.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..=50_000))]
    count: u64,
}

/// Resident memory of this process, from /proc/self/status (proc(5)), in KiB.
fn rss_kib() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("cannot read /proc/self/status (this needs Linux)")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    line.split_whitespace()
        .nth(1)
        .context("no value")?
        .parse()
        .context("bad VmRSS")
}

fn report(what: &str, count: usize, start: Instant, before: u64) -> Result<()> {
    let (elapsed, grown) = (start.elapsed(), rss_kib()?.saturating_sub(before));
    println!(
        "{count} {what}: all waiting after {}, memory +{} MiB ({:.1} KiB each)",
        human(elapsed),
        grown / 1024,
        grown as f64 / count as f64
    );
    Ok(())
}

fn main() -> Result<()> {
    let count = listings::cli::parse::<Args>().count as usize;
    println!("{}", machine()?);

    // Measured first, on a fresh heap.
    // Tasks: each is a small state machine on the heap, all on this one thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("no runtime")?;
    runtime.block_on(async {
        let (before, start) = (rss_kib()?, Instant::now());
        let (notify, waiting) =
            (Arc::new(Notify::new()), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..count)
            .map(|_| {
                let (notify, waiting) =
                    (Arc::clone(&notify), Arc::clone(&waiting));
                tokio::spawn(async move {
                    let woken = notify.notified();
                    waiting.fetch_add(1, Ordering::SeqCst);
                    woken.await;
                })
            })
            .collect();
        while waiting.load(Ordering::SeqCst) < count {
            tokio::task::yield_now().await; // let every task run up to its await
        }
        report("tokio tasks on 1 thread", count, start, before)?;
        notify.notify_waiters();
        for task in tasks {
            task.await.context("a task failed")?;
        }
        Ok::<_, anyhow::Error>(())
    })?;

    // OS threads: each is a kernel task with its own stack, blocked on a barrier.
    let (before, start) = (rss_kib()?, Instant::now());
    let barrier = Arc::new(Barrier::new(count + 1));
    let handles = (0..count)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            thread::Builder::new()
                .spawn(move || {
                    barrier.wait();
                })
                .context("spawn failed")
        })
        .collect::<Result<Vec<_>>>()?;
    report("OS threads", count, start, before)?;
    barrier.wait(); // release them all
    for handle in handles {
        handle.join().map_err(|_| anyhow!("a thread panicked"))?;
    }
    Ok(())
}
