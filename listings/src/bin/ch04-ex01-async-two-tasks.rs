use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use listings::bench::human;

async fn task(name: &str) {
    println!("starting {name}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("ending {name}");
}

fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .context("cannot build the tokio runtime")?;
    let start = Instant::now();
    // join! polls both futures on this one thread; each await lets the other one run.
    runtime.block_on(async { tokio::join!(task("task-1"), task("task-2")) });
    println!(
        "both tasks done after {} on one thread",
        human(start.elapsed())
    );
    Ok(())
}
