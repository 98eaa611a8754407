use std::hint::black_box;
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use listings::bench::{Case, human, machine, repeat_interleaved};
use nix::sys::resource::{UsageWho, getrusage};
use nix::time::{ClockId, clock_gettime};

/// The same CPU-bound work split over more and more threads.
#[derive(Parser)]
struct Args {
    /// Units of work in all (one unit is a short integer loop).
    #[arg(
        long,
        default_value_t = 4_000,
        value_parser = clap::value_parser!(u64).range(1..=10_000_000)
    )]
    units: u64,
}

/// One unit of CPU-bound work that touches no memory.
fn unit(seed: u64) -> u64 {
    (0..120_000).fold(seed, |x, i| black_box(x.wrapping_mul(31) ^ i))
}

/// This thread's time slice, as the scheduler reports it in
/// /proc/thread-self/sched (`se.slice`, in ns; EEVDF kernels, from 6.6).
fn slice() -> Option<Duration> {
    let sched = std::fs::read_to_string("/proc/thread-self/sched").ok()?;
    let line = sched.lines().find(|l| l.starts_with("se.slice "))?;
    let ns = line.split(':').nth(1)?.trim().parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// The CPU time the calling thread has used so far.
fn cpu_time() -> Result<Duration> {
    let clock = ClockId::CLOCK_THREAD_CPUTIME_ID;
    Ok(clock_gettime(clock).context("clock_gettime")?.into())
}

/// Involuntary context switches of this process so far (all its threads).
fn preempted() -> Result<i64> {
    let usage = getrusage(UsageWho::RUSAGE_SELF).context("getrusage failed")?;
    Ok(usage.involuntary_context_switches())
}

/// Splits `units` evenly over `threads` threads, all started in advance
/// and released together: returns the time from the release until the last
/// thread finished its share (no spawn or join in it), the preemptions
/// meanwhile, and the CPU time a thread used, on average.
fn split(threads: u64, units: u64) -> Result<(Duration, i64, Duration)> {
    let go = OnceLock::<Option<Instant>>::new(); // None: a spawn failed
    thread::scope(|s| {
        let mut handles = Vec::new();
        for t in 0..threads {
            let (share, go) =
                (units / threads + u64::from(t < units % threads), &go);
            let spawned = thread::Builder::new().spawn_scoped(s, move || {
                go.wait().map(|_| {
                    black_box((0..share).map(unit).sum::<u64>());
                    (Instant::now(), cpu_time())
                })
            });
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    let _ = go.set(None); // release the others: they stop
                    return Err(e).context("cannot start a thread");
                }
            }
        }
        let before = preempted(); // no `?` before the release
        let start = Instant::now();
        let _ = go.set(Some(start));
        let (mut end, mut cpu) = (start, Duration::ZERO);
        for handle in handles {
            let done =
                handle.join().map_err(|_| anyhow!("a thread panicked"))?;
            let (done, used) = done.context("a thread was not released")?;
            (end, cpu) = (end.max(done), cpu + used?);
        }
        let cpu = cpu.div_f64(threads as f64);
        Ok((end - start, preempted()? - before?, cpu))
    })
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    println!("{}", machine()?);
    match slice() {
        Some(slice) => {
            println!(
                "time slice (se.slice, ms): {:.2}",
                slice.as_secs_f64() * 1e3
            )
        }
        None => println!("time slice (se.slice, ms): unknown"),
    }
    let cpus = thread::available_parallelism()?.get() as u64;
    let counts = [1, cpus, 4 * cpus, 16 * cpus, 64 * cpus];
    let names = ["1 thread", "1 per CPU", "4 per CPU", "16 per CPU"];
    let names = names.into_iter().chain(["64 per CPU"]);
    let mut switches = vec![Vec::new(); counts.len()];
    let mut cpu = vec![Vec::new(); counts.len()];
    let mut cases: Vec<_> = counts
        .iter()
        .zip(switches.iter_mut().zip(cpu.iter_mut()))
        .map(|(&threads, (switches, cpu))| {
            move || {
                let (time, preemptions, used) = split(threads, args.units)?;
                switches.push(preemptions);
                cpu.push(used);
                Ok(time)
            }
        })
        .collect();
    let mut cases: Vec<Case> = cases.iter_mut().map(|c| c as Case).collect();
    // One warm-up round, then five measured ones (three in a quick run,
    // BOOK_QUICK), each running every case, the first case rotating.
    let times = repeat_interleaved(1, 5, &mut cases)?;
    drop(cases);
    println!("{} units of work, {cpus} CPUs available", args.units);
    println!("threads     time: median (min - max)  preemptions  CPU/thread");
    for (((name, t), mut switches), mut cpu) in
        names.zip(&times).zip(switches).zip(cpu)
    {
        // Without the warm-up's; an odd count: the median is the middle one.
        switches.remove(0);
        switches.sort_unstable();
        cpu.remove(0);
        cpu.sort_unstable();
        let preempted = switches[switches.len() / 2];
        let cpu = human(cpu[cpu.len() / 2]);
        let range = format!("({} - {})", human(t.min), human(t.max));
        let median = human(t.median);
        println!(
            "{name:<10} {median:>8} {range:<21} {preempted:>11} {cpu:>11}"
        );
    }
    Ok(())
}
