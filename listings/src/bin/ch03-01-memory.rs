use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use anyhow::{Context, Result, anyhow};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn main() -> Result<()> {
    // A child process increments the counter: in its own copy of the memory.
    // SAFETY: no other thread exists yet; the child may use anything.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            COUNTER.fetch_add(1, Ordering::Relaxed);
            println!(
                "child process: counter = {}",
                COUNTER.load(Ordering::Relaxed)
            );
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            waitpid(child, None).context("waitpid failed")?;
        }
    }
    println!(
        "parent after the child: counter = {}",
        COUNTER.load(Ordering::Relaxed)
    );

    // A thread increments the counter: the same memory as ours.
    thread::spawn(|| {
        COUNTER.fetch_add(1, Ordering::Relaxed);
        println!("thread: counter = {}", COUNTER.load(Ordering::Relaxed));
    })
    .join()
    .map_err(|_| anyhow!("the thread panicked"))?;
    println!(
        "parent after the thread: counter = {}",
        COUNTER.load(Ordering::Relaxed)
    );
    Ok(())
}
