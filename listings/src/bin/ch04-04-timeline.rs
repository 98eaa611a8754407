use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use listings::bench::{human, machine};
use nix::sched::{CpuSet, sched_setaffinity};
use nix::time::{ClockId, clock_gettime};
use nix::unistd::Pid;

const CPU_TIME: Duration = Duration::from_millis(60); // work per thread
const COLUMNS: usize = 60; // the first 15 ms...
const COLUMN: Duration = Duration::from_micros(250); // ...in quarters of a millisecond

/// This thread's CPU time so far (CLOCK_THREAD_CPUTIME_ID).
fn cpu_time() -> Result<Duration> {
    let t = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .context("clock_gettime failed")?;
    Ok(Duration::from(t))
}

/// Works in small slices until it has used CPU_TIME of CPU, noting when each slice ends.
fn worker(start: Instant, go: &Barrier, pin: bool) -> Result<Vec<Duration>> {
    if pin {
        let mut cpu0 = CpuSet::new();
        cpu0.set(0).context("CPU 0 out of range")?;
        sched_setaffinity(Pid::from_raw(0), &cpu0)
            .context("sched_setaffinity failed")?;
    }
    go.wait();
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
    println!(
        "each thread works for {} of CPU time; shown: the first {}, one column per {}",
        human(CPU_TIME),
        human(COLUMN * COLUMNS as u32),
        human(COLUMN)
    );
    println!(
        "# = the thread completed work in that column, . = it did not run"
    );
    for (label, pin) in [
        ("2 threads pinned to CPU 0", true),
        ("2 threads free on all CPUs", false),
    ] {
        let go = Barrier::new(2);
        let start = Instant::now();
        let timelines = thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|_| s.spawn(|| worker(start, &go, pin)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().map_err(|_| anyhow!("panicked"))?)
                .collect::<Result<Vec<_>>>()
        })?;
        println!("{label} (elapsed {}):", human(start.elapsed()));
        for (n, ends) in timelines.iter().enumerate() {
            let mut row = ['.'; COLUMNS];
            for end in ends {
                if let Some(cell) =
                    row.get_mut((end.as_micros() / COLUMN.as_micros()) as usize)
                {
                    *cell = '#';
                }
            }
            println!("  thread {} |{}|", n + 1, row.iter().collect::<String>());
        }
    }
    Ok(())
}
