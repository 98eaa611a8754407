use std::cell::RefCell;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use clap::Parser;
use listings::bench::{
    Case, Summary, human, machine, repeat_interleaved, time,
};
use rayon::prelude::*;

/// A pool of worker processes that counts primes, compared with rayon.
#[derive(Parser)]
struct Args {
    /// Count the primes below this number.
    #[arg(long, default_value_t = 400_000,
          value_parser = clap::value_parser!(u64).range(10_000..=100_000_000))]
    below: u64,
    /// Measured runs of each case.
    #[arg(long, default_value_t = 9,
          value_parser = clap::value_parser!(u64).range(1..=1_000))]
    runs: u64,
    /// Internal: run as a worker, reading tasks on stdin.
    #[arg(long, hide = true)]
    worker: bool,
}

/// Deliberately naive trial division, as in Listing 4.6.
fn is_prime(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}

fn count_primes(start: u64, end: u64) -> u64 {
    (start..end).filter(|&n| is_prime(n)).count() as u64
}

/// The worker's side: one task per line, "start end crash", one answer per
/// line. A task marked crash makes it abort, as a bug would.
fn worker() -> Result<()> {
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.context("cannot read a task")?;
        let task: Vec<u64> = line
            .split(' ')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .context("a malformed task")?;
        let [start, end, crash] = task[..] else {
            bail!("a malformed task")
        };
        if crash == 1 {
            // No core dump: this crash is on purpose (prctl(2)).
            nix::sys::prctl::set_dumpable(false).context("prctl failed")?;
            std::process::abort();
        }
        writeln!(out, "{}", count_primes(start, end))
            .context("cannot answer")?;
    }
    Ok(()) // stdin closed: the pool is done with us
}

/// One worker process and the two ends of its pipes.
struct Worker {
    child: Child,
    tasks: ChildStdin,
    answers: BufReader<ChildStdout>,
}

impl Worker {
    /// Starts this same program again, as a worker (Python's "spawn").
    fn start(exe: &Path) -> Result<Worker> {
        let mut child = Command::new(exe)
            .arg("--worker")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot start a worker")?;
        let tasks = child.stdin.take().context("no stdin pipe")?;
        let answers = child.stdout.take().context("no stdout pipe")?;
        let answers = BufReader::new(answers);
        Ok(Worker {
            child,
            tasks,
            answers,
        })
    }
}

struct Pool {
    exe: PathBuf,
    workers: Vec<Worker>,
}

impl Pool {
    fn new(size: usize) -> Result<Pool> {
        let exe = std::env::current_exe().context("cannot find myself")?;
        let mut pool = Pool {
            exe,
            workers: Vec::new(),
        };
        for _ in 0..size {
            // Pushed one by one: if a start fails, Drop stops the others.
            pool.workers.push(Worker::start(&pool.exe)?);
        }
        Ok(pool)
    }

    /// Runs every task; results come back in task order. Task `crash`
    /// (if any) crashes the first worker that runs it.
    fn map(
        &mut self,
        tasks: &[(u64, u64)],
        crash: Option<usize>,
    ) -> Result<Vec<u64>> {
        let next = AtomicUsize::new(0);
        let mut results = vec![0; tasks.len()];
        let (exe, next) = (&self.exe, &next);
        let done = std::thread::scope(|s| {
            // One thread per worker feeds it tasks until none is left.
            let feeders: Vec<_> = (self.workers.iter_mut())
                .map(|w| s.spawn(move || feed(w, exe, tasks, next, crash)))
                .collect();
            feeders
                .into_iter()
                .map(|f| f.join().expect("a feeder panicked"))
                .collect::<Vec<_>>()
        });
        for (i, result) in done
            .into_iter()
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
        {
            results[i] = result;
        }
        Ok(results)
    }
}

// ANCHOR: pool
impl Worker {
    /// Sends one task (a line); `None` if the worker died before answering.
    fn ask(&mut self, task: &str) -> Result<Option<u64>> {
        // One write(2) per task: the pipe is not buffered.
        match self.tasks.write_all(task.as_bytes()) {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => return Ok(None),
            other => other.context("cannot send a task")?,
        }
        let mut answer = String::new();
        let n = self.answers.read_line(&mut answer).context("read failed")?;
        if n == 0 {
            return Ok(None); // EOF: the worker's end of the pipe is closed
        }
        Ok(Some(answer.trim().parse().context("a malformed answer")?))
    }
}

/// Feeds one worker; on a crash, reports it, starts a fresh worker in its
/// place and retries the task there (once).
fn feed(
    w: &mut Worker,
    exe: &Path,
    tasks: &[(u64, u64)],
    next: &AtomicUsize,
    crash: Option<usize>,
) -> Result<Vec<(usize, u64)>> {
    let mut done = Vec::new();
    loop {
        // Relaxed: the counter only hands out indices; no data rides on it.
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(&(start, end)) = tasks.get(i) else {
            return Ok(done);
        };
        for attempt in 0..2 {
            let bomb = u8::from(crash == Some(i) && attempt == 0);
            if let Some(n) = w.ask(&format!("{start} {end} {bomb}\n"))? {
                done.push((i, n));
                break;
            }
            let pid = w.child.id();
            let status = w.child.wait().context("waitpid failed")?;
            println!("task {i}: worker pid {pid} {}", why(status));
            if attempt == 1 {
                bail!("task {i} crashed two workers; giving up");
            }
            println!("task {i}: retried on a fresh worker");
            *w = Worker::start(exe)?; // the old one is reaped already
        }
    }
}

impl Drop for Pool {
    /// No worker outlives the pool, even on an early return.
    fn drop(&mut self) {
        for w in &mut self.workers {
            let _ = w.child.kill(); // Ok even if it has already exited
            let _ = w.child.wait();
        }
    }
}
// ANCHOR_END: pool

/// How a worker ended, with the signal by name.
fn why(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal().map(nix::sys::signal::Signal::try_from) {
        Some(Ok(signal)) => format!("killed by {signal}"),
        _ => status.to_string(),
    }
}

/// The numbers below `below`, cut into `n` tasks.
fn split(below: u64, n: u64) -> Vec<(u64, u64)> {
    (0..n)
        .map(|i| (i * below / n, (i + 1) * below / n))
        .collect()
}

fn on_rayon(tasks: &[(u64, u64)]) -> Vec<u64> {
    tasks.par_iter().map(|&(a, b)| count_primes(a, b)).collect()
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    if args.worker {
        return worker();
    }
    println!("{}", machine()?);
    let size = rayon::current_num_threads();
    let (coarse, fine) = (split(args.below, 20), split(args.below, 20_000));
    println!("worker processes: {size}; 20 tasks; task 5 crashes a worker");
    let counts = Pool::new(size)?.map(&coarse, Some(5))?;
    println!("first results, in task order: {:?}", &counts[..6]);
    println!(
        "primes below {}: {} (pool), the same per task on rayon: {}",
        args.below,
        counts.iter().sum::<u64>(),
        counts == on_rayon(&coarse)
    );

    // Five cases, round-robin (each round starts with another case),
    // after one warm-up round, so that a drift hits every case alike.
    let pool = RefCell::new(Pool::new(size)?);
    let (mut rc, mut pc, mut rf, mut pf, mut start) = (
        || time(|| Ok(std::hint::black_box(on_rayon(&coarse)))),
        || time(|| pool.borrow_mut().map(&coarse, None)),
        || time(|| Ok(std::hint::black_box(on_rayon(&fine)))),
        || time(|| pool.borrow_mut().map(&fine, None)),
        || time(|| Pool::new(size)), // and dropped: killed and reaped
    );
    let mut all: [Case; 5] = [&mut rc, &mut pc, &mut rf, &mut pf, &mut start];
    let summaries = repeat_interleaved(1, args.runs as usize, &mut all)?;
    let [rc, pc, rf, pf, start] = <[Summary; 5]>::try_from(summaries)
        .map_err(|_| anyhow::anyhow!("five cases, five summaries"))?;
    let cases = [
        ("20 tasks, rayon:", rc),
        ("20 tasks, pool:", pc),
        ("20000 tasks, rayon:", rf),
        ("20000 tasks, pool:", pf),
        ("start and stop a pool:", start),
    ];
    for (case, summary) in cases {
        println!("{case:<23} {summary}");
    }
    let per_task = (pf.median.saturating_sub(rf.median)) / 20_000;
    println!("pool minus rayon, per task: {}", human(per_task));
    Ok(())
}
