use std::io;
use std::sync::{Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use listings::bench::human;

/// The "Threads:" line of /proc/self/status (proc(5)).
fn threads_now() -> Result<u32> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("cannot read /proc/self/status (this needs Linux)")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("Threads:"))
        .context("no Threads line")?;
    let value = line.split_whitespace().nth(1).context("empty line")?;
    value.parse().context("bad Threads line")
}

fn main() -> Result<()> {
    println!("before: {} thread(s)", threads_now()?);
    let (started, finish) = (Barrier::new(9), Barrier::new(9));
    // No thread goes to a barrier before main knows that all eight exist: a
    // barrier cannot be called off (see Listing 2.2).
    let spawned = OnceLock::new();
    let running = thread::scope(|s| -> Result<u32> {
        let handles: io::Result<Vec<_>> = (0..8)
            .map(|_| {
                thread::Builder::new().spawn_scoped(s, || {
                    if *spawned.wait() {
                        started.wait();
                        finish.wait();
                    }
                })
            })
            .collect();
        let _ = spawned.set(handles.is_ok()); // releases them either way
        let handles = handles.context("cannot start a thread")?;
        started.wait();
        // Not `?` here: the threads wait at `finish` until we get there.
        let running = threads_now();
        finish.wait();
        for handle in handles {
            handle.join().map_err(|_| anyhow!("a thread panicked"))?;
        }
        running
    })?;
    println!("with 8 more running: {running} thread(s)");

    // join() has returned for all eight: count again at once, then until
    // the count is back to 1 (or 5 s have passed).
    let joined = Instant::now();
    let first = threads_now()?;
    let (mut now, mut reads) = (first, 1);
    while now != 1 && joined.elapsed() < Duration::from_secs(5) {
        now = threads_now()?;
        reads += 1;
    }
    let waited = human(joined.elapsed());
    println!("right after the joins: {first} thread(s)");
    println!(
        "{reads} read(s) in {waited} after the joins, the last: {now} thread(s)"
    );
    Ok(())
}
