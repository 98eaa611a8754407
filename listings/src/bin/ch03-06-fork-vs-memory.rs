use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use clap::Parser;
use listings::bench::{Summary, human, machine};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

/// How the cost of fork, and of Command, grows with the memory the parent
/// has touched.
#[derive(Parser)]
struct Args {
    /// Resident sizes to measure, in MiB.
    #[arg(long, value_delimiter = ',', default_value = "0,64,256,1024",
          value_parser = clap::value_parser!(u64).range(0..=8192))]
    sizes: Vec<u64>,
    /// Measured rounds per size.
    #[arg(long, default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    runs: u64,
    /// Pause between the fork and the Command of a round, in ms.
    #[arg(long, default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(0..=1000))]
    settle_ms: u64,
}

// ANCHOR: round
/// One round: a fork whose child only exits, then a Command. Returns the
/// time until waitpid returned, until fork returned in the parent, and
/// the time Command took to start /bin/true and wait for it.
fn round(settle: Duration) -> Result<[Duration; 3]> {
    let start = Instant::now();
    // SAFETY: this process has no other thread; the child only calls _exit.
    let child = match unsafe { fork() }.context("fork failed")? {
        // SAFETY: _exit is async-signal-safe.
        ForkResult::Child => unsafe { nix::libc::_exit(0) },
        ForkResult::Parent { child } => child,
    };
    let returned = start.elapsed();
    waitpid(child, None).context("waitpid failed")?;
    let waited = start.elapsed();
    // A pause between the two cases, so that Command starts on a machine
    // at rest rather than right behind a big fork.
    std::thread::sleep(settle);

    let start = Instant::now();
    let status = Command::new("/bin/true")
        .status()
        .context("cannot run /bin/true")?;
    ensure!(status.success(), "/bin/true failed: {status}");
    Ok([waited, returned, start.elapsed()])
}
// ANCHOR_END: round

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    let settle = Duration::from_millis(args.settle_ms);
    println!("{}", machine()?);
    let thp = "/sys/kernel/mm/transparent_hugepage/enabled";
    let thp = std::fs::read_to_string(thp).unwrap_or("unknown".into());
    println!("transparent huge pages: {}", thp.trim());
    println!(
        "{:>6}  {:<9}  {:>9}  {:>9}  {:>9}",
        "MiB", "what", "median", "min", "max"
    );
    for &mib in &args.sizes {
        // Resident memory: allocate it and write every page, so that each
        // page is really mapped (vec![0; n] would leave them untouched).
        let memory = std::hint::black_box(vec![1_u8; (mib as usize) << 20]);
        let mut samples = [const { Vec::new() }; 3];
        for i in 0..3 + args.runs {
            let durations = round(settle)?;
            if i >= 3 {
                for (samples, d) in samples.iter_mut().zip(durations) {
                    samples.push(d);
                }
            }
        }
        let names = ["fork+wait", "fork", "Command"];
        for (name, samples) in names.iter().zip(samples) {
            let s = Summary::of(samples);
            let (median, min, max) =
                (human(s.median), human(s.min), human(s.max));
            println!("{mib:>6}  {name:<9}  {median:>9}  {min:>9}  {max:>9}");
        }
        drop(std::hint::black_box(memory));
    }
    Ok(())
}
