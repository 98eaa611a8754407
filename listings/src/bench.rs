//! The measurement harness of the book's benchmark listings: warm up,
//! repeat, report the median with the minimum and maximum, interleave the
//! cases of a comparison, and say what machine the numbers come from.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

/// Summary of repeated measurements.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// The middle sample; for an even count, the mean of the two middle
    /// samples.
    pub median: Duration,
    pub min: Duration,
    pub max: Duration,
    pub runs: usize,
}

impl Summary {
    /// Summarizes samples (at least one). The median of an even number of
    /// samples is the mean of the two middle ones.
    pub fn of(mut samples: Vec<Duration>) -> Summary {
        assert!(!samples.is_empty(), "no samples to summarize");
        samples.sort_unstable();
        let n = samples.len();
        let median = if n % 2 == 1 {
            samples[n / 2]
        } else {
            (samples[n / 2 - 1] + samples[n / 2]) / 2
        };
        Summary {
            median,
            min: samples[0],
            max: samples[n - 1],
            runs: n,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "median {} (min {}, max {}, {})",
            human(self.median),
            human(self.min),
            human(self.max),
            facts::output::runs(self.runs)
        )
    }
}

/// Whether the environment asks for a quick run: `BOOK_QUICK=1`, set by
/// `cargo book compare --quick`. The book's outputs are never made quick.
pub fn quick() -> bool {
    std::env::var_os(facts::env::BOOK_QUICK).is_some_and(|v| v == "1")
}

/// How many repetitions to make of `runs`: all of them, or, in a quick run
/// ([`quick`]), a fifth of them (at least 3, never more than asked). A
/// listing that repeats by itself can use this to honour `BOOK_QUICK` too.
pub fn repetitions(runs: usize) -> usize {
    if quick() {
        (runs / 5).max(3).min(runs)
    } else {
        runs
    }
}

/// The warm-ups and repetitions to make: as asked, or in a quick run
/// ([`quick`]) one warm-up and fewer repetitions ([`repetitions`]).
fn paced(warmup: usize, runs: usize) -> (usize, usize) {
    if quick() {
        (warmup.min(1), repetitions(runs))
    } else {
        (warmup, runs)
    }
}

/// Runs `once` `warmup` times unmeasured, then `runs` times, each returning
/// the duration it measured itself (so that set-up and tear-down can stay
/// outside the timed part). In a quick run ([`quick`]) it makes fewer
/// repetitions ([`repetitions`]) and one warm-up; the summary says how many
/// runs it made.
pub fn repeat(
    warmup: usize,
    runs: usize,
    mut once: impl FnMut() -> Result<Duration>,
) -> Result<Summary> {
    let (warmup, runs) = paced(warmup, runs);
    for _ in 0..warmup {
        once()?;
    }
    let samples = (0..runs).map(|_| once()).collect::<Result<Vec<_>>>()?;
    Ok(Summary::of(samples))
}

/// One case of a comparison for [`repeat_interleaved`]: a closure that
/// measures one sample, like the argument of [`repeat`].
pub type Case<'a> = &'a mut dyn FnMut() -> Result<Duration>;

/// Measures the cases of a comparison round-robin, so that a drift of the
/// machine (another program, the clock frequency, the temperature) during
/// the run affects every case alike: first `warmup` unmeasured rounds, then
/// `runs` rounds, each running every case once. Round `r` starts with case
/// `r % cases.len()`, so that no case is always the one that runs first.
/// Returns one [`Summary`] per case, in the order of `cases`.
pub fn repeat_interleaved(
    warmup: usize,
    runs: usize,
    cases: &mut [Case<'_>],
) -> Result<Vec<Summary>> {
    ensure!(!cases.is_empty(), "no cases to measure");
    let n = cases.len();
    let (warmup, runs) = paced(warmup, runs);
    for _ in 0..warmup {
        for case in cases.iter_mut() {
            case()?;
        }
    }
    let mut samples = vec![Vec::with_capacity(runs); n];
    for round in 0..runs {
        for k in 0..n {
            let i = (round + k) % n;
            samples[i].push(cases[i]()?);
        }
    }
    Ok(samples.into_iter().map(Summary::of).collect())
}

/// Times `work` as one sample, for use inside [`repeat`]. Its result goes
/// through [`std::hint::black_box`], so the optimiser cannot drop the work
/// that computed it.
pub fn time<T>(work: impl FnOnce() -> Result<T>) -> Result<Duration> {
    let start = Instant::now();
    std::hint::black_box(work()?);
    Ok(start.elapsed())
}

/// A duration with three significant digits and a unit that fits it ("2.10 µs"). Defined
/// in `facts::units`, beside the parser the test suite reads it back with.
pub use facts::units::human;

/// What the numbers of a measurement depend on, as [`machine`] prints it.
#[derive(Debug, Clone)]
pub struct Machine {
    /// CPUs this process may use: `std::thread::available_parallelism`
    /// (the affinity mask of the calling thread, and a cgroup CPU quota).
    pub cpus: usize,
    /// CPUs online in the whole machine (`/sys/devices/system/cpu/online`).
    pub online: Option<usize>,
    /// Kernel name and release, from uname(2).
    pub kernel: String,
    /// Architecture, from uname(2).
    pub arch: String,
    /// The CPU model (`model name` in /proc/cpuinfo).
    pub model: String,
    /// The `hypervisor` flag of /proc/cpuinfo: the kernel runs in a
    /// virtual machine, whose CPUs are threads of the host (vCPUs).
    pub vm: Option<bool>,
    /// Logical CPUs per physical core (SMT, "hyper-threading"), from
    /// `thread_siblings_list` in sysfs.
    pub threads_per_core: Option<usize>,
}

impl Machine {
    /// Reads the machine's description from uname(2), /proc and /sys.
    pub fn read() -> Result<Machine> {
        let cpus = std::thread::available_parallelism()
            .context("cannot count the CPUs")?
            .get();
        let uname = nix::sys::utsname::uname().context("uname failed")?;
        let cpuinfo =
            std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |name: &str| {
            cpuinfo.lines().find_map(|l| {
                let (key, value) = l.split_once(':')?;
                (key.trim() == name).then(|| value.trim().to_owned())
            })
        };
        let model = field("model name").unwrap_or_else(|| "unknown CPU".into());
        let vm = field("flags")
            .map(|flags| flags.split_whitespace().any(|f| f == "hypervisor"));
        let online = std::fs::read_to_string("/sys/devices/system/cpu/online")
            .ok()
            .and_then(|list| cpu_list(&list))
            .map(|cpus| cpus.len());
        let first = allowed_cpus()?.first().copied().unwrap_or(0);
        let siblings = format!(
            "/sys/devices/system/cpu/cpu{first}/topology/thread_siblings_list"
        );
        let threads_per_core = std::fs::read_to_string(siblings)
            .ok()
            .and_then(|list| cpu_list(&list))
            .map(|cpus| cpus.len());
        Ok(Machine {
            cpus,
            online,
            kernel: format!(
                "{} {}",
                uname.sysname().to_string_lossy(),
                uname.release().to_string_lossy()
            ),
            arch: uname.machine().to_string_lossy().into_owned(),
            model,
            vm,
            threads_per_core,
        })
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.cpus == 1 { "" } else { "s" };
        write!(
            f,
            "{}{} logical CPU{s}, {}, ",
            facts::output::MACHINE_LABEL,
            self.cpus,
            self.kernel
        )?;
        write!(f, "{}, {}", self.arch, self.model)?;
        match self.vm {
            Some(true) => write!(f, ", VM (hypervisor flag)")?,
            Some(false) => write!(f, ", no hypervisor flag")?,
            None => write!(f, ", VM unknown")?,
        }
        match self.threads_per_core {
            Some(1) => write!(f, ", no SMT")?,
            Some(n) => write!(f, ", SMT: {n} threads per core")?,
            None => write!(f, ", SMT unknown")?,
        }
        match self.online {
            Some(online) if online != self.cpus => {
                write!(f, ", {online} online")
            }
            _ => Ok(()),
        }
    }
}

/// One line on the machine the numbers come from: the logical CPUs this
/// process may use, the kernel, the architecture, the CPU model, whether it
/// is a virtual machine, whether its cores run several hardware threads
/// (SMT), and the number of CPUs online if it differs. It starts with
/// `machine: N logical CPUs, Linux RELEASE, `.
pub fn machine() -> Result<String> {
    Ok(Machine::read()?.to_string())
}

/// Parses a kernel CPU list such as `0-3,8,10-11` (cpuset(7), "List
/// format").
fn cpu_list(list: &str) -> Option<Vec<usize>> {
    let mut cpus = Vec::new();
    for part in list.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
                cpus.extend(a..=b)
            }
            None => cpus.push(part.parse().ok()?),
        }
    }
    Some(cpus)
}

/// The CPUs this thread may run on (its affinity mask), in increasing order.
/// A listing that pins threads picks from these, never a fixed number: in a
/// container's cpuset, CPU 0 may not be allowed (sched_setaffinity(2) then
/// fails with EINVAL).
pub fn allowed_cpus() -> Result<Vec<usize>> {
    use nix::sched::{CpuSet, sched_getaffinity};
    let mask = sched_getaffinity(nix::unistd::Pid::from_raw(0))
        .context("sched_getaffinity failed")?;
    Ok((0..CpuSet::count())
        .filter(|&cpu| mask.is_set(cpu).unwrap_or(false))
        .collect())
}

/// Writes CPU numbers (in increasing order) as the kernel writes a CPU list:
/// `0-3,8,10-11`.
pub fn cpu_list_text(cpus: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            cpus[i].to_string()
        } else {
            format!("{}-{}", cpus[i], cpus[j])
        });
        i = j + 1;
    }
    parts.join(",")
}

/// Pins the calling thread to one CPU with sched_setaffinity(2) (pid 0 means
/// the calling thread). Pick `cpu` from [`allowed_cpus`].
pub fn pin_to(cpu: usize) -> Result<()> {
    use nix::sched::{CpuSet, sched_setaffinity};
    let mut set = CpuSet::new();
    set.set(cpu)
        .with_context(|| format!("CPU {cpu} out of range"))?;
    sched_setaffinity(nix::unistd::Pid::from_raw(0), &set)
        .with_context(|| format!("cannot pin a thread to CPU {cpu}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(Summary::of(ms(&[3, 1, 2])).median, ms(&[2])[0]);
        assert_eq!(
            Summary::of(ms(&[4, 1, 3, 2])).median,
            Duration::from_micros(2_500)
        );
    }

    #[test]
    fn cpu_lists() {
        assert_eq!(
            cpu_list("0-3,8,10-11\n"),
            Some(vec![0, 1, 2, 3, 8, 10, 11])
        );
        assert_eq!(cpu_list("5"), Some(vec![5]));
        assert_eq!(cpu_list("x"), None);
        assert_eq!(cpu_list_text(&[0, 1, 2, 3, 8, 10, 11]), "0-3,8,10-11");
        assert_eq!(cpu_list_text(&[1]), "1");
    }

    #[test]
    fn interleaved_rounds_rotate() {
        let order = std::cell::RefCell::new(Vec::new());
        let mut a = || {
            order.borrow_mut().push('a');
            Ok(Duration::ZERO)
        };
        let mut b = || {
            order.borrow_mut().push('b');
            Ok(Duration::ZERO)
        };
        let summaries =
            repeat_interleaved(1, 2, &mut [&mut a, &mut b]).unwrap();
        assert_eq!(summaries.len(), 2);
        assert_eq!(order.into_inner(), ['a', 'b', 'a', 'b', 'b', 'a']);
    }
}
