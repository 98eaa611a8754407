use std::io;
use std::sync::{Barrier, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use listings::bench::{allowed_cpus, human, machine, pin_to};
use nix::time::{ClockId, clock_gettime};

const CPU_TIME: Duration = Duration::from_millis(60); // work per thread
const COLUMNS: usize = 60; // the first 15 ms...
const COLUMN: Duration = Duration::from_micros(250); // ...in 0.25 ms columns

/// This thread's CPU time so far (CLOCK_THREAD_CPUTIME_ID).
fn cpu_time() -> Result<Duration> {
    let t = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .context("clock_gettime failed")?;
    Ok(Duration::from(t))
}

/// One row of the timeline: `#` in the columns where a slice ended.
fn row(ends: &[Duration]) -> String {
    let mut row = ['.'; COLUMNS];
    for end in ends {
        let column = (end.as_micros() / COLUMN.as_micros()) as usize;
        if let Some(cell) = row.get_mut(column) {
            *cell = '#';
        }
    }
    row.iter().collect()
}

/// The longest time between two consecutive slice ends of one thread.
fn longest_pause(ends: &[Duration]) -> Duration {
    let pairs = ends.windows(2);
    pairs.map(|w| w[1] - w[0]).max().unwrap_or_default()
}

// ANCHOR: main
/// Works in small slices until it has used CPU_TIME of CPU, noting when
/// each slice ends.
fn worker(
    start: Instant,
    go: &Barrier,
    pin: Option<usize>,
) -> Result<Vec<Duration>> {
    let pinned = pin.map(pin_to).transpose();
    go.wait(); // reached even if pinning failed: no thread waits forever
    pinned?;
    let (mut ends, begin, mut x) = (Vec::new(), cpu_time()?, 1_u64);
    while cpu_time()? - begin < CPU_TIME {
        for _ in 0..5_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        }
        ends.push(start.elapsed());
    }
    std::hint::black_box(x);
    Ok(ends)
}

fn main() -> Result<()> {
    println!("{}", machine()?);
    let one = allowed_cpus()?[0]; // the first CPU this process may use
    println!(
        "each thread works for {} of CPU time; shown: the first {}, \
         one column per {}",
        human(CPU_TIME),
        human(COLUMN * COLUMNS as u32),
        human(COLUMN)
    );
    println!("# = the thread completed work in that column, . = it did not");
    for (label, pin) in [
        (format!("2 threads pinned to CPU {one}"), Some(one)),
        ("2 threads free on the allowed CPUs".to_owned(), None),
    ] {
        let (go, spawned) = (Barrier::new(2), OnceLock::new());
        let start = Instant::now();
        let timelines = thread::scope(|s| {
            let handles: io::Result<Vec<_>> = (0..2)
                .map(|_| {
                    thread::Builder::new().spawn_scoped(s, || {
                        // No thread goes to the barrier unless both exist.
                        match spawned.wait() {
                            true => worker(start, &go, pin),
                            false => Err(anyhow!("the other did not start")),
                        }
                    })
                })
                .collect();
            let _ = spawned.set(handles.is_ok()); // releases them either way
            handles
                .context("cannot start a thread")?
                .into_iter()
                .map(|h| h.join().map_err(|_| anyhow!("panicked"))?)
                .collect::<Result<Vec<_>>>()
        })?;
        print_timelines(&label, start.elapsed(), &timelines);
    }
    Ok(())
}
// ANCHOR_END: main

/// Prints the two rows, and how often both threads ran and paused.
fn print_timelines(label: &str, elapsed: Duration, ends: &[Vec<Duration>]) {
    println!("{label} (elapsed {}):", human(elapsed));
    let rows: Vec<_> = ends.iter().map(|e| row(e)).collect();
    for (n, row) in rows.iter().enumerate() {
        println!("  thread {} |{row}|", n + 1);
    }
    let both = (0..COLUMNS)
        .filter(|&c| rows.iter().all(|r| r.as_bytes()[c] == b'#'))
        .count();
    let pause = ends.iter().map(|e| longest_pause(e)).max();
    println!(
        "  both ran in {both} of {COLUMNS} columns; longest pause of a \
         thread: {}",
        human(pause.unwrap_or_default())
    );
}
