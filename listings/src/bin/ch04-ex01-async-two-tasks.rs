use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use listings::bench::human;

async fn task(name: &str) {
    let thread = std::thread::current().id();
    println!("starting {name} on {thread:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let thread = std::thread::current().id();
    println!("ending {name} on {thread:?}");
}

/// The `Threads:` line of /proc/self/status: the threads of this process.
fn os_threads() -> Result<String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("cannot read /proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("Threads:"));
    let count = line.and_then(|l| l.split_whitespace().nth(1));
    Ok(count
        .context("no Threads: line in /proc/self/status")?
        .to_owned())
}

fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .context("cannot build the tokio runtime")?;
    let main_thread = std::thread::current().id();
    let start = Instant::now();
    // join! polls both futures on this one thread; each await lets the
    // other one run.
    let threads = runtime.block_on(async {
        tokio::join!(task("task-1"), task("task-2"));
        os_threads()
    })?;
    println!(
        "both tasks done after {}; main is {main_thread:?}; \
         OS threads in this process: {threads}",
        human(start.elapsed())
    );
    Ok(())
}
