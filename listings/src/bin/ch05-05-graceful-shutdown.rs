use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

/// Runs `body` in a child and returns its PID once the child has written
/// one byte to say that it is ready (its signal set-up is done).
fn spawn(body: fn(&mut dyn Write) -> Result<()>) -> Result<Pid> {
    let (mut ready_rx, mut ready_tx) = std::io::pipe().context("pipe")?;
    // SAFETY: this process has one thread when it forks: the child may run
    // any code, including starting threads.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            drop(ready_rx);
            let code = match body(&mut ready_tx) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("child: {e:#}");
                    1
                }
            };
            std::process::exit(code);
        }
        ForkResult::Parent { child } => {
            drop(ready_tx);
            let mut byte = [0u8];
            ready_rx.read_exact(&mut byte).context("the child died")?;
            Ok(child)
        }
    }
}

/// Prints when dropped: on a normal return, not after SIGKILL.
struct Cleanup(&'static str);
impl Drop for Cleanup {
    fn drop(&mut self) {
        println!("{}: cleanup ran", self.0);
    }
}

// ANCHOR: pool
/// Three workers take jobs until SIGTERM or SIGINT; a job is never cut short.
fn pool(ready: &mut dyn Write) -> Result<()> {
    let _cleanup = Cleanup("pool");
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        // The handler signal-hook installs only stores true into `stop`.
        signal_hook::flag::register(signal as i32, Arc::clone(&stop))
            .context("cannot install the handler")?;
    }
    let all_busy = Barrier::new(4); // three workers and this thread
    let (counts, told): (Vec<(u32, u32)>, _) = thread::scope(|s| {
        let workers: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let (mut started, mut finished) = (0, 0);
                    loop {
                        started += 1;
                        if started == 1 {
                            all_busy.wait(); // every worker is in a job
                        }
                        thread::sleep(Duration::from_millis(100)); // a job
                        finished += 1;
                        // Relaxed: the flag carries no data, only a request.
                        if stop.load(Ordering::Relaxed) {
                            return (started, finished);
                        }
                    }
                })
            })
            .collect();
        all_busy.wait();
        let told = ready.write_all(b"r"); // now the parent may signal
        if told.is_err() {
            stop.store(true, Ordering::Relaxed); // no signal will come
        }
        let counts = workers.into_iter().map(|w| w.join().unwrap_or((0, 1)));
        (counts.collect(), told)
    });
    told.context("cannot tell the parent")?;
    let started: u32 = counts.iter().map(|c| c.0).sum();
    let finished: u32 = counts.iter().map(|c| c.1).sum();
    println!(
        "pool: {} workers joined; jobs started {started}, finished {finished}",
        counts.len()
    );
    Ok(())
}

fn main() -> Result<()> {
    let pid = spawn(pool)?;
    println!("parent: SIGTERM to the pool");
    kill(pid, Signal::SIGTERM).context("kill failed")?;
    match waitpid(pid, None).context("waitpid failed")? {
        WaitStatus::Exited(_, code) => {
            println!("parent: pool exited, code {code}")
        }
        other => println!("parent: pool ended: {other:?}"),
    }
    Ok(())
}
// ANCHOR_END: pool
