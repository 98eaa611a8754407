use std::sync::{Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::unistd::gettid;

/// Fields of /proc/self/task/TID/stat (proc(5)), counted after the ")" that ends the name.
fn stat_field(tid: i32, index_after_name: usize) -> Result<String> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
        .context("cannot read /proc/self/task/TID/stat (is /proc mounted? this needs Linux)")?;
    let (_, fields) = stat.rsplit_once(')').context("odd stat line")?;
    let value = fields
        .split_whitespace()
        .nth(index_after_name)
        .context("short stat line")?;
    Ok(value.to_owned())
}

/// A line of /proc/self/task/TID/status, such as "voluntary_ctxt_switches".
fn status_field(tid: i32, key: &str) -> Result<String> {
    let status =
        std::fs::read_to_string(format!("/proc/self/task/{tid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with(key))
        .context("no such line")?;
    Ok(line.split_whitespace().last().unwrap_or("?").to_owned())
}

/// Prints what the kernel knows about one thread: it schedules it as a task of its own.
fn report(name: &str, tid: i32) -> Result<()> {
    // The CPU it last ran on, its policy (0 = SCHED_OTHER), its context switches.
    let (cpu, policy) = (stat_field(tid, 36)?, stat_field(tid, 38)?);
    let voluntary = status_field(tid, "voluntary_ctxt_switches")?;
    let involuntary = status_field(tid, "nonvoluntary_ctxt_switches")?;
    println!(
        "{name}: tid {tid}, last ran on CPU {cpu}, scheduling policy {policy}"
    );
    println!(
        "{name}: context switches: {voluntary} voluntary, {involuntary} involuntary"
    );
    Ok(())
}

fn main() -> Result<()> {
    let (tids, reported) = (mpsc::channel(), Barrier::new(3));
    thread::scope(|s| -> Result<()> {
        let sender = tids.0.clone();
        let reported = &reported;
        s.spawn(move || {
            for _ in 0..20 {
                thread::sleep(Duration::from_millis(1)); // gives the CPU up 20 times
            }
            let _ = sender.send(("sleeper", gettid().as_raw()));
            reported.wait(); // stay alive while main reads our files
        });
        let sender = tids.0.clone();
        s.spawn(move || {
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(300) {} // never gives it up
            let _ = sender.send(("spinner", gettid().as_raw()));
            reported.wait();
        });
        let mut threads = [tids.1.recv()?, tids.1.recv()?];
        threads.sort();
        let result = threads
            .iter()
            .try_for_each(|(name, tid)| report(name, *tid));
        reported.wait();
        result
    })
}
