use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use clap::Parser;
use listings::bench::human;

/// Two worker processes, each waiting 2 seconds.
#[derive(Parser)]
struct Args {
    /// Internal: run as worker NAME (how the program starts itself again).
    #[arg(long, value_name = "NAME", hide = true)]
    worker: Option<String>,
}

const SLEEP: Duration = Duration::from_secs(2);

fn worker(name: &str) {
    println!("starting {name} (pid {})", std::process::id());
    std::thread::sleep(SLEEP);
    println!("ending {name}");
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    if let Some(name) = args.worker {
        worker(&name);
        return Ok(());
    }
    // Like Python's multiprocessing with the "spawn" start method: the same
    // program, started again as a worker.
    let start = Instant::now();
    let exe = std::env::current_exe().context("cannot find this program")?;
    let mut workers: Vec<Child> = Vec::new();
    for name in ["process-1", "process-2"] {
        match Command::new(&exe).args(["--worker", name]).spawn() {
            Ok(child) => workers.push(child),
            Err(e) => {
                // Leave nothing behind: stop and reap the workers started.
                for mut started in workers {
                    started.kill().ok();
                    started.wait().ok();
                }
                return Err(e).with_context(|| format!("cannot start {name}"));
            }
        }
    }
    // Wait for all before judging any: std does not reap a dropped Child.
    let statuses: Vec<_> = workers.iter_mut().map(Child::wait).collect();
    for status in statuses {
        let status = status.context("waiting for a worker failed")?;
        ensure!(status.success(), "a worker failed: {status}");
    }
    println!(
        "both done after {}; the two sleeps add up to {}",
        human(start.elapsed()),
        human(SLEEP * 2)
    );
    Ok(())
}
