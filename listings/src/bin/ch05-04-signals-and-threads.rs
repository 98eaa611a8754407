use std::os::unix::thread::JoinHandleExt;
use std::process::Command;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use nix::sys::pthread::pthread_kill;
use nix::sys::signal::{SigSet, Signal, kill};
use nix::unistd::{getpid, gettid};

/// The signals in a mask, as /proc prints it: 16 hex digits, bit n-1 for
/// signal n.
fn names(hex: &str) -> String {
    let bits = u64::from_str_radix(hex.trim(), 16).unwrap_or(0);
    let names: Vec<&str> = (1..=64)
        .filter(|n| bits & (1u64 << (n - 1)) != 0)
        .map(|n| Signal::try_from(n).map_or("other", Signal::as_str))
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(" ")
    }
}

/// What is pending for the calling thread alone (SigPnd) and for the
/// whole process (ShdPnd), from /proc/self/task/<tid>/status.
fn pending() -> Result<String> {
    let path = format!("/proc/self/task/{}/status", gettid());
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path}"))?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map_or("?".into(), names)
    };
    Ok(format!(
        "thread {}, process {}",
        field("SigPnd:"),
        field("ShdPnd:")
    ))
}

/// The signals blocked in a program started with `Command` (grep reads its
/// own /proc/self/status).
fn child_mask() -> Result<String> {
    let out = Command::new("grep")
        .args(["SigBlk:", "/proc/self/status"])
        .output()
        .context("cannot run grep")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let hex = text.trim().strip_prefix("SigBlk:").context("no SigBlk")?;
    Ok(names(hex))
}

// ANCHOR: main
const TEN_S: Duration = Duration::from_secs(10);

/// The one thread that takes the process's signals, synchronously.
fn receiver(signals: SigSet, done: Sender<Signal>) -> Result<()> {
    loop {
        let signal = signals.wait().context("sigwait failed")?;
        println!("signals: sigwait returned {signal}");
        let _ = done.send(signal);
        if signal == Signal::SIGTERM {
            return Ok(());
        }
    }
}

/// A worker that, when told to, looks at what is pending for it.
fn worker(go: Receiver<()>, done: Sender<Signal>) -> Result<()> {
    if go.recv().is_err() {
        return Ok(()); // main gave up: nothing to do
    }
    println!("worker:  pending: {}", pending()?);
    let signal = SigSet::from(Signal::SIGUSR2).wait().context("sigwait")?;
    println!("worker:  sigwait returned {signal}");
    let _ = done.send(signal);
    Ok(())
}

fn main() -> Result<()> {
    use Signal::*;
    // Blocked before any thread starts, so every thread inherits the mask.
    let signals = SigSet::from_iter([SIGUSR1, SIGUSR2, SIGTERM]);
    signals.thread_block().context("pthread_sigmask failed")?;
    let (done, acks) = channel();
    let (go, go_rx) = channel();
    let d = done.clone();
    let rx = thread::spawn(move || receiver(signals, d));
    let wk = thread::spawn(move || worker(go_rx, done));

    let steps = || -> Result<()> {
        println!("main:    kill(process, SIGUSR1)");
        kill(getpid(), SIGUSR1).context("kill failed")?;
        acks.recv_timeout(TEN_S).context("no answer")?;
        println!("main:    pthread_kill(worker, SIGUSR2)");
        pthread_kill(wk.as_pthread_t(), SIGUSR2).context("pthread_kill")?;
        go.send(()).context("the worker is gone")?;
        acks.recv_timeout(TEN_S).context("no answer")?;
        println!("main:    a child run by Command blocks {}", child_mask()?);
        Ok(())
    };
    let result = steps();
    // Whatever happened, stop the receiver, release the worker, join both.
    println!("main:    kill(process, SIGTERM)");
    kill(getpid(), SIGTERM).context("kill failed")?;
    drop(go);
    let joined = [rx.join(), wk.join()];
    for outcome in joined {
        outcome.map_err(|_| anyhow::anyhow!("a thread panicked"))??;
    }
    result
}
// ANCHOR_END: main
