use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use listings::bench::human;
use tokio::task::JoinSet;

fn main() -> Result<()> {
    // A runtime with a single OS thread: every task below runs on it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .context("cannot build the tokio runtime")?;
    runtime.block_on(async {
        let start = Instant::now();
        let mut tasks = JoinSet::new();
        // 100 tasks waiting 10 ms, 20 ms, ..., 1000 ms: 50.5 s of waiting in all.
        for n in 1..=100_u64 {
            tasks.spawn(async move {
                tokio::time::sleep(Duration::from_millis(10 * n)).await;
                std::thread::current().id()
            });
        }
        let mut threads = BTreeSet::new();
        while let Some(result) = tasks.join_next().await {
            threads.insert(format!("{:?}", result.context("a task failed")?));
        }
        let total: u64 = (1..=100).map(|n| 10 * n).sum();
        println!(
            "100 tasks waited {} in total",
            human(Duration::from_millis(total))
        );
        println!("they ran on {} OS thread(s)", threads.len());
        println!(
            "all done after {}, about the longest wait (1 s)",
            human(start.elapsed())
        );
        Ok(())
    })
}
