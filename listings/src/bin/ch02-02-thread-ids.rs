use std::io;
use std::sync::{Barrier, OnceLock};
use std::thread;

use anyhow::{Context, Result, anyhow};
use nix::unistd::{getpid, gettid};

/// The thread IDs listed in /proc/self/task, sorted.
fn tasks() -> Result<Vec<i32>> {
    let dir = std::fs::read_dir("/proc/self/task")
        .context("cannot list /proc/self/task (is /proc mounted?)")?;
    let mut tids = Vec::new();
    for entry in dir {
        let name = entry.context("cannot read /proc/self/task")?.file_name();
        let tid = name.to_str().and_then(|n| n.parse().ok());
        tids.push(tid.context("a task whose name is not a number")?);
    }
    tids.sort_unstable();
    Ok(tids)
}

fn main() -> Result<()> {
    println!("main:     pid {}, tid {}", getpid(), gettid());
    // Three workers plus main: each barrier lets them go on only when all
    // four have reached it, so all are alive while main lists the tasks.
    let all_started = Barrier::new(4);
    let listed = Barrier::new(4);
    // A barrier cannot be called off, so no worker goes to it before main
    // knows that all three exist: `spawned` is set once, true or false.
    let spawned = OnceLock::new();
    thread::scope(|s| {
        let workers: io::Result<Vec<_>> = (1..=3)
            .map(|n| {
                let (spawned, all_started, listed) =
                    (&spawned, &all_started, &listed);
                thread::Builder::new().spawn_scoped(s, move || {
                    // Only main prints: a `println!` that panics (stdout
                    // closed) would keep this worker from the barriers.
                    let (pid, tid) = (getpid(), gettid());
                    if *spawned.wait() {
                        all_started.wait();
                        listed.wait();
                    }
                    format!("worker {n}: pid {pid}, tid {tid}")
                })
            })
            .collect();
        let _ = spawned.set(workers.is_ok()); // releases the workers either way
        let workers = workers.context("cannot start a worker thread")?;
        all_started.wait();
        let tids = tasks(); // no `?` here: the workers wait for main below
        listed.wait();
        for worker in workers {
            let line =
                worker.join().map_err(|_| anyhow!("a worker panicked"))?;
            println!("{line}");
        }
        let tids = tids?;
        println!("/proc/self/task lists {} tasks: {tids:?}", tids.len());
        Ok(())
    })
}
