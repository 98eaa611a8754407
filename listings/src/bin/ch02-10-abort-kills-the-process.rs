use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use nix::sys::signal::Signal;

/// Runs itself again as a child whose thread aborts.
#[derive(Parser)]
struct Args {
    /// Internal: be the child that aborts
    #[arg(long, hide = true)]
    victim: bool,
}

fn main() -> Result<()> {
    if listings::cli::parse::<Args>().victim {
        victim();
    }
    // Run this same program again as a child, so that what dies is the child.
    let exe = std::env::current_exe().context("cannot find this program")?;
    let status = Command::new(exe)
        .arg("--victim")
        .status()
        .context("cannot run the child")?;
    match status.signal().map(Signal::try_from) {
        Some(Ok(signal)) => {
            println!("parent: the child was killed by {signal}")
        }
        _ => println!("parent: the child ended with {status}"),
    }
    Ok(())
}

/// Two threads; one aborts. abort() raises SIGABRT, which ends the whole
/// process.
fn victim() -> ! {
    let sleeper = thread::spawn(|| {
        thread::sleep(Duration::from_secs(10));
        println!("child: the sleeping thread woke up");
    });
    let aborter = thread::spawn(|| {
        println!("child: one thread calls abort()");
        std::process::abort();
    });
    let _ = aborter.join();
    let _ = sleeper.join();
    println!("child: main thread after the joins");
    std::process::exit(0)
}
