use std::sync::Barrier;
use std::thread;

use anyhow::{Context, Result, anyhow};
use nix::unistd::{getpid, gettid};

fn main() -> Result<()> {
    println!("main:     pid {}, tid {}", getpid(), gettid());
    // Three workers plus main wait at the barrier, so all of them are alive while main
    // lists the process's tasks.
    let all_started = Barrier::new(4);
    let listed = Barrier::new(4);
    thread::scope(|s| -> Result<()> {
        for n in 1..=3 {
            let (all_started, listed) = (&all_started, &listed);
            s.spawn(move || {
                println!("worker {n}: pid {}, tid {}", getpid(), gettid());
                all_started.wait();
                listed.wait();
            });
        }
        all_started.wait();
        let mut tasks: Vec<u32> = std::fs::read_dir("/proc/self/task")
            .context("cannot list /proc/self/task (is /proc mounted? this needs Linux)")?
            .map(|entry| -> Result<u32> {
                let name = entry?.file_name();
                let name = name.to_str().ok_or_else(|| anyhow!("odd task name"))?;
                Ok(name.parse()?)
            })
            .collect::<Result<_>>()?;
        tasks.sort_unstable();
        println!("/proc/self/task lists {} tasks: {tasks:?}", tasks.len());
        listed.wait();
        Ok(())
    })
}
