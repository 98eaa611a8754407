use std::thread;

use anyhow::{Context, Result, anyhow};
use listings::bench::allowed_cpus;
use nix::sched::{CpuSet, sched_setaffinity};
use nix::unistd::Pid;

fn main() -> Result<()> {
    let parallelism = thread::available_parallelism()
        .context("the amount of parallelism cannot be determined")?;
    println!("main thread: available_parallelism() = {parallelism}");
    // The CPUs in the calling thread's affinity mask (sched_getaffinity(0)).
    let cpus = allowed_cpus()?;
    println!("main thread: CPUs in its affinity mask: {}", cpus.len());

    let online = std::fs::read_to_string("/sys/devices/system/cpu/online")
        .context("cannot read /sys/devices/system/cpu/online")?;
    println!(
        "CPUs online (/sys/devices/system/cpu/online): {}",
        online.trim()
    );

    // A thread pinned to one CPU: the same call now answers for its mask.
    let last = *cpus.last().context("the affinity mask is empty")?;
    let pinned = thread::spawn(move || -> Result<usize> {
        let mut one = CpuSet::new();
        one.set(last).context("CPU number out of range")?;
        // Pid 0: the calling thread only, not the whole process.
        sched_setaffinity(Pid::from_raw(0), &one)
            .context("sched_setaffinity failed")?;
        let n = thread::available_parallelism()
            .context("the amount of parallelism cannot be determined")?;
        Ok(n.get())
    });
    let n = pinned
        .join()
        .map_err(|_| anyhow!("the thread panicked"))??;
    println!("thread pinned to CPU {last}: available_parallelism() = {n}");
    Ok(())
}
