use std::hint::black_box;
use std::io::{self, PipeReader, PipeWriter, Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Parser;
use listings::bench::{Summary, allowed_cpus, human, machine};
use nix::sched::{CpuSet, sched_setaffinity};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, fork};

/// Round trips of one byte between two processes or two threads: free or pinned
/// to one CPU, and with a working set each side reads between switches.
#[derive(Parser)]
struct Args {
    /// Round trips per measured run without a working set (fewer with one).
    #[arg(long, default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    trips: u64,
}

/// Working sets, in KiB, from none to more than a typical L2 cache.
const SIZES_KIB: [usize; 5] = [0, 64, 256, 1024, 4096];
const RUNS: usize = 5;

// ANCHOR: shown
/// Reads one byte of every cache line of the working set: after the other side
/// ran, the lines it evicted (and, without PCID, the TLB) must be refilled.
fn touch(set: &[u8]) {
    black_box(set.iter().step_by(64).fold(0_u8, |a, &b| a.wrapping_add(b)));
}

// ANCHOR_END: shown

/// Echoes each byte back, touching `set` first, until the other side hangs up.
fn echo(mut from: PipeReader, mut to: PipeWriter, set: &[u8]) {
    let mut byte = [0];
    while from.read_exact(&mut byte).is_ok() {
        touch(set);
        if to.write_all(&byte).is_err() {
            break;
        }
    }
}

/// Touches `set`, sends a byte and waits for it to come back, `trips` times.
fn ping(
    mut to: PipeWriter,
    mut from: PipeReader,
    trips: u64,
    set: &[u8],
) -> Result<Duration> {
    let (mut byte, start) = ([1], Instant::now());
    for _ in 0..trips {
        touch(set);
        to.write_all(&byte).context("write failed")?;
        from.read_exact(&mut byte).context("read failed")?;
    }
    Ok(start.elapsed()) // dropping `to` ends the echo loop
}

/// Two pipes: (parent's end up, child's end up), (child's down, parent's down).
fn two_pipes() -> Result<((PipeReader, PipeWriter), (PipeReader, PipeWriter))> {
    Ok((
        io::pipe().context("pipe failed")?,
        io::pipe().context("pipe failed")?,
    ))
}

// ANCHOR: shown
fn processes(trips: u64, mine: &[u8], its: &[u8]) -> Result<Duration> {
    let ((up_rx, up_tx), (down_rx, down_tx)) = two_pipes()?;
    // SAFETY: this process has no other thread here (the thread case joins its
    // thread before returning), so the child may run any code; it ends with
    // _exit, which skips the exit-time work that belongs to the parent.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            drop((up_tx, down_rx));
            echo(up_rx, down_tx, its);
            // SAFETY: _exit ends the process at once; nothing runs after it.
            unsafe { nix::libc::_exit(0) }
        }
        ForkResult::Parent { child } => {
            drop((up_rx, down_tx));
            let elapsed = ping(up_tx, down_rx, trips, mine); // closes both
            waitpid(child, None).context("waitpid failed")?;
            elapsed
        }
    }
}

// ANCHOR_END: shown

/// The same reading without switches: one thread reads its set twice a trip.
fn alone(trips: u64, mine: &[u8], _its: &[u8]) -> Result<Duration> {
    let start = Instant::now();
    for _ in 0..trips {
        touch(mine);
        touch(mine);
    }
    Ok(start.elapsed())
}

// ANCHOR: shown
fn threads(trips: u64, mine: &[u8], its: &[u8]) -> Result<Duration> {
    let ((up_rx, up_tx), (down_rx, down_tx)) = two_pipes()?;
    thread::scope(|s| {
        let echoer = s.spawn(|| echo(up_rx, down_tx, its));
        let elapsed = ping(up_tx, down_rx, trips, mine); // closes both
        echoer.join().map_err(|_| anyhow!("echo thread panicked"))?;
        elapsed
    })
}
// ANCHOR_END: shown

/// One measured case: its label, the CPUs it may use, its working set, how to
/// run it, and its samples.
struct Case {
    label: String,
    cpus: CpuSet,
    kib: usize,
    run: fn(u64, &[u8], &[u8]) -> Result<Duration>,
    samples: Vec<Duration>,
}

impl Case {
    fn new(label: &str, cpus: &[usize], kib: usize) -> Result<Case> {
        let mut set = CpuSet::new();
        for &cpu in cpus {
            set.set(cpu).context("CPU number out of range")?;
        }
        let run = match label {
            "2 processes" => processes,
            "2 threads" => threads,
            _ => alone,
        };
        let label = label.to_owned();
        Ok(Case {
            label,
            cpus: set,
            kib,
            run,
            samples: Vec::new(),
        })
    }
}

/// Whether the CPU flags in /proc/cpuinfo include `pcid`.
fn has_pcid() -> Result<bool> {
    let info = std::fs::read_to_string("/proc/cpuinfo")
        .context("cannot read /proc/cpuinfo")?;
    Ok(info
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|flag| flag == "pcid")))
}

/// The L2 cache size of `cpu` as sysfs says it (e.g. "512K"), if it does.
fn l2_size(cpu: usize) -> String {
    let dir = format!("/sys/devices/system/cpu/cpu{cpu}/cache/index2");
    let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}"));
    match (read("level"), read("size")) {
        (Ok(level), Ok(size)) if level.trim() == "2" => size.trim().to_owned(),
        _ => "unknown".to_owned(),
    }
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    println!("{}", machine()?);
    let pcid = if has_pcid()? { "yes" } else { "no" };
    println!("pcid in /proc/cpuinfo: {pcid}");
    // ANCHOR: shown
    // In main: the CPUs come from this thread's affinity mask, never "CPU 0".
    let all = allowed_cpus()?;
    let one = [all[0]]; // pinned: both sides share the first allowed CPU
    // ANCHOR_END: shown
    println!("L2 cache of CPU {}: {}", one[0], l2_size(one[0]));
    let mut cases = vec![
        Case::new("2 processes", &all, 0)?,
        Case::new("2 threads", &all, 0)?,
    ];
    for kib in SIZES_KIB {
        cases.push(Case::new("no switch", &one, kib)?);
        cases.push(Case::new("2 processes", &one, kib)?);
        cases.push(Case::new("2 threads", &one, kib)?);
    }
    for run in 0..=RUNS {
        for case in &mut cases {
            // Each side reads its own set: two separate buffers, filled so
            // that their pages are really there.
            let (mine, its) =
                (vec![1; case.kib << 10], vec![2; case.kib << 10]);
            let trips = match case.kib {
                0 => args.trips,
                kib => (args.trips * 8 / kib as u64).max(20),
            };
            // ANCHOR: shown
            // In main, for each run of each case (the cases take turns):
            // children and threads inherit the affinity of their creator.
            sched_setaffinity(Pid::from_raw(0), &case.cpus)
                .context("sched_setaffinity failed")?;
            let elapsed = (case.run)(trips, &mine, &its)?;
            // ANCHOR_END: shown
            if run > 0 {
                case.samples.push(elapsed / trips as u32); // run 0 warms up
            }
        }
    }
    println!("median time of one round trip over {RUNS} runs, interleaved");
    let medians: Vec<_> = cases
        .iter()
        .map(|c| match (c.label.as_str(), c.kib) {
            ("no switch", 0) => "-".to_owned(), // nothing to read
            _ => human(Summary::of(c.samples.clone()).median),
        })
        .collect();
    println!(
        "pinned to CPU {} (2 switches a round trip), each side reading its \
         working set:",
        one[0]
    );
    println!("  working set    no switch  2 processes    2 threads");
    for (kib, row) in SIZES_KIB.iter().zip(medians[2..].chunks(3)) {
        let cells: String = row.iter().map(|m| format!(" {m:>12}")).collect();
        println!("  {kib:>7} KiB{cells}");
    }
    let list: Vec<_> = all.iter().map(|c| c.to_string()).collect();
    println!("free to run on CPUs {}, no working set:", list.join(","));
    for (case, median) in cases.iter().zip(&medians).take(2) {
        println!("  {:<12} {median:>9} per round trip", case.label);
    }
    Ok(())
}
