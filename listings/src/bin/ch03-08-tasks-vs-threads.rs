use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use listings::bench::{human, machine};
use tokio::sync::Notify;

/// The same number of OS threads and of tokio tasks, all alive and waiting
/// at once. Threads count against RLIMIT_NPROC, a cgroup's pids.max and
/// threads-max: where those are low, pass a smaller --count.
#[derive(Parser)]
struct Args {
    /// How many threads, and how many tasks.
    #[arg(long, default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(1..=50_000))]
    count: u64,
}

/// A line of a /proc file (proc(5)), such as "VmRSS:" in
/// /proc/self/status, in KiB.
fn kib(path: &str, key: &str) -> Result<u64> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {path} (this needs Linux)"))?;
    let line = text
        .lines()
        .find(|l| l.starts_with(key))
        .with_context(|| format!("no {key} in {path}"))?;
    let value = line.split_whitespace().nth(1);
    value
        .with_context(|| format!("empty {key}"))?
        .parse()
        .context("bad value")
}

/// This process's resident memory, and the kernel stacks of every task on
/// the machine, in KiB.
fn memory_kib() -> Result<(u64, u64)> {
    Ok((
        kib("/proc/self/status", "VmRSS:")?,
        kib("/proc/meminfo", "KernelStack:")?,
    ))
}

/// Prints how long it took and how much memory it added, in all and each.
fn report(
    what: &str,
    n: usize,
    start: Instant,
    before: (u64, u64),
) -> Result<()> {
    let (elapsed, now) = (start.elapsed(), memory_kib()?);
    let grown = |now: u64, before: u64| {
        let kib = now.saturating_sub(before);
        format!(
            "+{} MiB ({:.1} KiB each)",
            kib / 1024,
            kib as f64 / n as f64
        )
    };
    println!("{n} {what}: all waiting after {}", human(elapsed));
    println!(
        "  resident memory {}, kernel stacks {}",
        grown(now.0, before.0),
        grown(now.1, before.1)
    );
    Ok(())
}

// ANCHOR: main
fn main() -> Result<()> {
    let count = listings::cli::parse::<Args>().count as usize;
    println!("{}", machine()?);

    // Measured first, on a fresh heap.
    // Tasks: each is a small state machine on the heap, all on this thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .context("no runtime")?;
    runtime.block_on(async {
        let (before, start) = (memory_kib()?, Instant::now());
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
            // Let every task run up to its await.
            tokio::task::yield_now().await;
        }
        report("tokio tasks on 1 thread", count, start, before)?;
        notify.notify_waiters();
        for task in tasks {
            task.await.context("a task failed")?;
        }
        Ok::<_, anyhow::Error>(())
    })?;

    // OS threads: each is a kernel task with its own stack. Each counts
    // itself in, as each task does, then blocks until `release` is set.
    let (waiting, release) = (AtomicUsize::new(0), OnceLock::new());
    let (before, start) = (memory_kib()?, Instant::now());
    thread::scope(|s| {
        let spawned = (0..count).try_for_each(|_| {
            let thread = thread::Builder::new().spawn_scoped(s, || {
                waiting.fetch_add(1, Ordering::SeqCst);
                release.wait();
            });
            thread.map(drop).context("cannot start a thread")
        });
        let reported = spawned.and_then(|()| {
            while waiting.load(Ordering::SeqCst) < count {
                thread::yield_now(); // until every thread has counted itself
            }
            report("OS threads", count, start, before)
        });
        let _ = release.set(()); // lets every thread that started end
        reported // the scope joins them all before it returns
    })
}
// ANCHOR_END: main
