use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, gettid};

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
            if let Err(e) = ready_rx.read_exact(&mut byte) {
                let _ = waitpid(child, None); // it has exited: reap it
                return Err(e).context("the child died");
            }
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
/// The thread (its TID) in which the SIGTERM handler ran; 0 before.
static HANDLED_IN: AtomicI32 = AtomicI32::new(0);

/// What a worker returns: the jobs it started, whether `stop` was set
/// during its last job, how long that job took, and its thread's TID.
type End = (u32, bool, Duration, Pid);

/// One worker: takes 100 ms jobs until `stop` is set, and looks at it only
/// between jobs.
fn worker(stop: &AtomicBool, busy: mpsc::Sender<()>) -> End {
    let mut started = 0;
    loop {
        // Relaxed: the flag carries no data, only a request.
        let before = stop.load(Ordering::Relaxed);
        let job = Instant::now();
        started += 1;
        let _ = busy.send(()); // "I am in a job"; only the first one counts
        thread::sleep(Duration::from_millis(100)); // the job
        if stop.load(Ordering::Relaxed) {
            return (started, !before, job.elapsed(), gettid());
        }
    }
}

/// Three workers take jobs until SIGTERM or SIGINT.
fn pool(ready: &mut dyn Write) -> Result<()> {
    let _cleanup = Cleanup("pool");
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        // signal-hook's handler stores true into `stop` (and saves errno,
        // and first calls any handler installed before it).
        signal_hook::flag::register(signal as i32, Arc::clone(&stop))
            .context("cannot install the handler")?;
    }
    // SAFETY: the action, run in the handler, makes one system call that
    // only returns the caller's TID, and an atomic store: no lock, no
    // allocation, no panic, errno untouched (async-signal-safe).
    unsafe {
        signal_hook::low_level::register(Signal::SIGTERM as i32, || {
            HANDLED_IN.store(gettid().as_raw(), Ordering::Relaxed)
        })
    }
    .context("cannot install the handler")?;
    let (busy_tx, busy_rx) = mpsc::channel();
    let ends = thread::scope(|s| {
        let mut workers = Vec::new();
        for _ in 0..3 {
            let (stop, busy) = (&stop, busy_tx.clone());
            let spawned = thread::Builder::new()
                .spawn_scoped(s, move || worker(stop, busy));
            // On an error, the workers already started see `stop` after
            // their job, and the scope joins them: nobody waits forever.
            match spawned.context("cannot start a worker") {
                Ok(w) => workers.push(w),
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        for _ in 0..3 {
            let _ = busy_rx.recv(); // every worker is in a job
        }
        // Blocked here, after the spawns (the workers do not block them):
        // the kernel, which would pick this thread, picks a worker.
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGTERM);
        mask.add(Signal::SIGINT);
        let told = mask.thread_block().context("pthread_sigmask");
        if let Err(e) = told.and_then(|()| {
            ready.write_all(b"r").context("cannot tell the parent")
        }) {
            stop.store(true, Ordering::Relaxed); // no signal will come
            return Err(e);
        }
        let ends = workers.into_iter().map(|w| w.join());
        ends.collect::<Result<Vec<_>, _>>()
            .map_err(|_| anyhow::anyhow!("a worker panicked"))
    })?;
    let started: u32 = ends.iter().map(|e| e.0).sum();
    let during = ends.iter().filter(|e| e.1).count();
    let shortest = ends.iter().filter(|e| e.1).map(|e| e.2).min();
    let ms = shortest.unwrap_or_default().as_secs_f64() * 1e3;
    // Relaxed: the handler ran in a thread joined since, or in this one.
    let tid = HANDLED_IN.load(Ordering::Relaxed);
    let ran_in = if tid == gettid().as_raw() {
        "the main thread"
    } else if ends.iter().any(|e| e.3.as_raw() == tid) {
        "a worker"
    } else {
        "no thread of the pool"
    };
    println!(
        "pool: {} workers joined, {started} jobs started",
        ends.len()
    );
    println!("pool: {during} jobs were running when the signal came");
    println!("pool: the shortest of them took {ms:.1} ms");
    println!("pool: the SIGTERM handler ran in {ran_in}");
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
