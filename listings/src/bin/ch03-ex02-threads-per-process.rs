use std::sync::Barrier;
use std::thread;

use anyhow::{Context, Result};

/// The "Threads:" line of /proc/self/status.
fn threads_now() -> Result<String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("cannot read /proc/self/status (this needs Linux)")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("Threads:"))
        .context("no Threads line")?;
    Ok(line.split_whitespace().nth(1).unwrap_or("?").to_owned())
}

fn main() -> Result<()> {
    println!("before: {} thread(s)", threads_now()?);
    let started = Barrier::new(9);
    let finish = Barrier::new(9);
    thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    started.wait();
                    finish.wait();
                })
            })
            .collect();
        started.wait();
        println!("with 8 more running: {} thread(s)", threads_now()?);
        finish.wait();
        // join() waits until each thread has really ended (pthread_join).
        for handle in handles {
            handle
                .join()
                .map_err(|_| anyhow::anyhow!("a thread panicked"))?;
        }
        Ok(())
    })?;
    // join() returns once a thread's code is done; the kernel removes the task from the
    // process a moment later, so allow it that moment.
    let deadline =
        std::time::Instant::now() + std::time::Duration::from_secs(5);
    while threads_now()? != "1" && std::time::Instant::now() < deadline {
        thread::sleep(std::time::Duration::from_millis(1));
    }
    println!("after joining them: {} thread(s)", threads_now()?);
    Ok(())
}
