//! The measurement harness of the book's benchmark listings: warm up, repeat, report the
//! median with the minimum and maximum, and say what machine the numbers come from.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// Summary of repeated measurements.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub median: Duration,
    pub min: Duration,
    pub max: Duration,
    pub runs: usize,
}

impl Summary {
    /// Summarizes samples (at least one).
    pub fn of(mut samples: Vec<Duration>) -> Summary {
        assert!(!samples.is_empty(), "no samples to summarize");
        samples.sort_unstable();
        Summary {
            median: samples[samples.len() / 2],
            min: samples[0],
            max: samples[samples.len() - 1],
            runs: samples.len(),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "median {} (min {}, max {}, {} runs)",
            human(self.median),
            human(self.min),
            human(self.max),
            self.runs
        )
    }
}

/// Whether the environment asks for a quick run: `BOOK_QUICK=1`, set by
/// `cargo book compare --quick`. The book's outputs are never made quick.
pub fn quick() -> bool {
    std::env::var_os("BOOK_QUICK").is_some_and(|v| v == "1")
}

/// How many repetitions to make of `runs`: all of them, or, in a quick run ([`quick`]), a
/// fifth of them (at least 3, never more than asked). A listing that repeats by itself
/// instead of through [`repeat`] can use this to honour `BOOK_QUICK` too.
pub fn repetitions(runs: usize) -> usize {
    if quick() {
        (runs / 5).max(3).min(runs)
    } else {
        runs
    }
}

/// Runs `once` `warmup` times unmeasured, then `runs` times, each returning the duration it
/// measured itself (so that set-up and tear-down can stay outside the timed part). In a
/// quick run ([`quick`]) it makes fewer repetitions ([`repetitions`]) and one warm-up; the
/// summary says how many runs it made.
pub fn repeat(
    warmup: usize,
    runs: usize,
    mut once: impl FnMut() -> Result<Duration>,
) -> Result<Summary> {
    let (warmup, runs) = if quick() {
        (warmup.min(1), repetitions(runs))
    } else {
        (warmup, runs)
    };
    for _ in 0..warmup {
        once()?;
    }
    let samples = (0..runs).map(|_| once()).collect::<Result<Vec<_>>>()?;
    Ok(Summary::of(samples))
}

/// Times `work` as one sample, for use inside [`repeat`].
pub fn time<T>(work: impl FnOnce() -> Result<T>) -> Result<Duration> {
    let start = Instant::now();
    work()?;
    Ok(start.elapsed())
}

/// A duration with three significant digits and a unit that fits it.
pub fn human(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    let (value, unit) = match ns {
        n if n < 1e3 => (n, "ns"),
        n if n < 1e6 => (n / 1e3, "µs"),
        n if n < 1e9 => (n / 1e6, "ms"),
        n => (n / 1e9, "s"),
    };
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {unit}")
}

/// One line on the machine the numbers come from: logical CPUs, kernel, architecture, CPU.
pub fn machine() -> Result<String> {
    let cpus = std::thread::available_parallelism()
        .context("cannot count the CPUs")?;
    let uname = nix::sys::utsname::uname().context("uname failed")?;
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    Ok(format!(
        "machine: {cpus} logical CPUs, {} {}, {} ({model})",
        uname.sysname().to_string_lossy(),
        uname.release().to_string_lossy(),
        uname.machine().to_string_lossy(),
    ))
}

/// The CPUs this thread may run on (its affinity mask), in increasing order. A listing
/// that pins threads picks from these, never a fixed number: in a container's cpuset, CPU 0
/// may not be allowed (sched_setaffinity(2) then fails with EINVAL).
pub fn allowed_cpus() -> Result<Vec<usize>> {
    use nix::sched::{CpuSet, sched_getaffinity};
    let mask = sched_getaffinity(nix::unistd::Pid::from_raw(0))
        .context("sched_getaffinity failed")?;
    Ok((0..CpuSet::count())
        .filter(|&cpu| mask.is_set(cpu).unwrap_or(false))
        .collect())
}
