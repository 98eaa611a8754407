use anyhow::{Context, Result};
use nix::sched::{CpuSet, sched_getaffinity};
use nix::unistd::Pid;

fn main() -> Result<()> {
    let parallelism = std::thread::available_parallelism()
        .context("the number of CPUs cannot be determined")?;
    println!("available_parallelism(): {parallelism}");

    // The CPUs this process may run on (its affinity mask), which available_parallelism
    // takes into account on Linux, along with cgroup CPU quotas.
    let mask = sched_getaffinity(Pid::from_raw(0))
        .context("sched_getaffinity failed")?;
    let allowed =
        (0..CpuSet::count()).filter(|&cpu| mask.is_set(cpu).unwrap_or(false));
    println!("CPUs in the affinity mask: {}", allowed.count());

    let online = std::fs::read_to_string("/sys/devices/system/cpu/online")
        .context(
            "cannot read /sys/devices/system/cpu/online (this needs Linux)",
        )?;
    println!(
        "CPUs online (/sys/devices/system/cpu/online): {}",
        online.trim()
    );
    Ok(())
}
