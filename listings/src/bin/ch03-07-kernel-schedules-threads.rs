use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use nix::unistd::gettid;

/// Field `n` (counted from 1, as in proc(5)) of /proc/self/task/TID/stat.
fn stat_field(tid: i32, n: usize) -> Result<String> {
    let path = format!("/proc/self/task/{tid}/stat");
    let stat = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path} (this needs Linux)"))?;
    // Field 2, the name, is in parentheses and may contain spaces.
    let (_, after_name) = stat.rsplit_once(')').context("odd stat line")?;
    let value = after_name
        .split_whitespace()
        .nth(n - 3)
        .with_context(|| format!("no field {n} in {path}"))?;
    Ok(value.to_owned())
}

/// The value of a line of /proc/self/task/TID/status, such as
/// "voluntary_ctxt_switches".
fn status_field(tid: i32, key: &str) -> Result<String> {
    let path = format!("/proc/self/task/{tid}/status");
    let status = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path}"))?;
    let line = status
        .lines()
        .find(|l| l.split(':').next() == Some(key))
        .with_context(|| format!("no {key} in {path}"))?;
    let value = line.split_whitespace().last();
    Ok(value.with_context(|| format!("empty {key}"))?.to_owned())
}

// ANCHOR: main
/// What the kernel keeps about the calling thread, read from its own
/// /proc/self/task/TID/ directory just before the thread ends.
fn report(name: &str) -> Result<String> {
    let tid = gettid().as_raw();
    // Field 39: the CPU it last ran on; field 41: its scheduling policy.
    let (cpu, policy) = (stat_field(tid, 39)?, stat_field(tid, 41)?);
    let policy = match policy.parse() {
        Ok(nix::libc::SCHED_OTHER) => "SCHED_OTHER".to_owned(),
        _ => format!("policy {policy}"),
    };
    let voluntary = status_field(tid, "voluntary_ctxt_switches")?;
    let involuntary = status_field(tid, "nonvoluntary_ctxt_switches")?;
    Ok(format!(
        "{name}: tid {tid}, last ran on CPU {cpu}, {policy}\n\
         {name}: context switches: {voluntary} voluntary, \
         {involuntary} involuntary"
    ))
}

fn main() -> Result<()> {
    let (reports, received) = mpsc::channel();
    let sleeper = reports.clone();
    let sleeping = thread::spawn(move || {
        for _ in 0..20 {
            thread::sleep(Duration::from_millis(1)); // gives the CPU up
        }
        let _ = sleeper.send(report("sleeper"));
    });
    let spinning = thread::spawn(move || {
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(300) {} // never blocks
        let _ = reports.send(report("spinner"));
    });
    let joined = [sleeping.join(), spinning.join()];
    if joined.iter().any(Result::is_err) {
        return Err(anyhow!("a thread panicked"));
    }
    let mut lines = received.iter().collect::<Result<Vec<_>>>()?;
    lines.sort(); // "sleeper" before "spinner", whichever finished first
    println!("{}", lines.join("\n"));
    Ok(())
}
// ANCHOR_END: main
