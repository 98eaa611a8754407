use std::collections::HashSet;
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
    // 100 tasks waiting 10 ms, 20 ms, ..., 1000 ms.
    let waits: Vec<_> =
        (1..=100).map(|n| Duration::from_millis(10 * n)).collect();
    runtime.block_on(async {
        let start = Instant::now();
        let mut tasks = JoinSet::new();
        for &wait in &waits {
            tasks.spawn(async move {
                tokio::time::sleep(wait).await;
                std::thread::current().id()
            });
        }
        let mut threads = HashSet::new();
        while let Some(result) = tasks.join_next().await {
            threads.insert(result.context("a task failed")?);
        }
        let elapsed = start.elapsed();
        let total: Duration = waits.iter().sum();
        let longest = waits.iter().max().copied().unwrap_or_default();
        println!("{} tasks waited {} in total", waits.len(), human(total));
        println!("the longest single wait: {}", human(longest));
        println!("they ran on {} OS thread(s)", threads.len());
        println!("all done after {}", human(elapsed));
        Ok(())
    })
}
