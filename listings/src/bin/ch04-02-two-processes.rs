use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use listings::bench::human;

fn main() -> Result<()> {
    // Like Python's multiprocessing.Process: the same program, started again as a worker.
    let mut args = std::env::args().skip(1);
    if let (Some(flag), Some(name)) = (args.next(), args.next())
        && flag == "--worker"
    {
        println!("starting {name} (pid {})", std::process::id());
        std::thread::sleep(Duration::from_secs(2));
        println!("ending {name}");
        return Ok(());
    }

    let start = Instant::now();
    let exe = std::env::current_exe().context("cannot find this program")?;
    let mut workers = Vec::new();
    for name in ["process-1", "process-2"] {
        let child = Command::new(&exe).args(["--worker", name]).spawn();
        workers.push(child.with_context(|| format!("cannot start {name}"))?);
    }
    for mut worker in workers {
        let status = worker.wait().context("waiting for a worker failed")?;
        if !status.success() {
            bail!("a worker failed: {status}");
        }
    }
    println!(
        "both workers done after {}, not 4 s",
        human(start.elapsed())
    );
    Ok(())
}
