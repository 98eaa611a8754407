use std::thread;

use anyhow::{Context, Result, anyhow};

fn main() -> Result<()> {
    let main_thread = thread::current();
    println!("main runs on the thread named {:?}", main_thread.name());

    let worker = thread::Builder::new()
        .name("worker-1".to_owned())
        .spawn(|| {
            let me = thread::current();
            println!("thread running: {}", me.name().unwrap_or("<unnamed>"));
            6 * 7 // what the thread returns, join() hands it over
        })
        .context("failed to spawn the thread")?;

    let answer = worker
        .join()
        .map_err(|_| anyhow!("the worker thread panicked"))?;
    println!("joined worker-1, which returned {answer}");
    Ok(())
}
