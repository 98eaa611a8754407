use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use clap::Parser;
use nix::errno::Errno;
use nix::libc::{self, c_int};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, getpid};

/// Counts SIGUSR1 and SIGRTMIN sent while blocked, then delivered.
#[derive(Parser)]
struct Args {
    /// How many of each signal the child sends.
    #[arg(long, default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    count: u32,
}

static USR1: AtomicUsize = AtomicUsize::new(0);
static RTMIN: AtomicUsize = AtomicUsize::new(0);

/// The handler: an atomic increment is async-signal-safe, so it may run
/// between any two instructions of the interrupted code.
extern "C" fn on_signal(signo: c_int) {
    let counter = if signo == libc::SIGUSR1 {
        &USR1
    } else {
        &RTMIN
    };
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A signal set, built with libc: nix's `Signal` has no real-time signals.
fn set_of(signals: &[c_int]) -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set before sigaddset uses it.
    unsafe {
        let mut set = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

fn mask(how: c_int, signals: &[c_int]) -> Result<()> {
    let set = set_of(signals);
    // SAFETY: `set` is an initialised sigset_t; the old mask is not wanted.
    let err = unsafe { libc::pthread_sigmask(how, &set, std::ptr::null_mut()) };
    Errno::result(if err == 0 { 0 } else { -1 }).context("pthread_sigmask")?;
    Ok(())
}

// ANCHOR: main
fn main() -> Result<()> {
    let Args { count } = listings::cli::parse();
    let rtmin = libc::SIGRTMIN();
    for signo in [libc::SIGUSR1, rtmin] {
        // SAFETY: the handler only touches atomics (signal-safety(7)).
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_signal as extern "C" fn(c_int) as usize;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `action` is fully initialised (empty sa_mask).
        let rc =
            unsafe { libc::sigaction(signo, &action, std::ptr::null_mut()) };
        Errno::result(rc).context("sigaction failed")?;
    }
    mask(libc::SIG_BLOCK, &[libc::SIGUSR1, rtmin])?;

    let parent = getpid();
    // SAFETY: no other thread exists, so the child may run any code.
    let child = match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            for _ in 0..count {
                // SAFETY: kill(2) is async-signal-safe and takes plain
                // integers; the child does nothing else before exiting.
                unsafe {
                    libc::kill(parent.as_raw(), libc::SIGUSR1);
                    libc::kill(parent.as_raw(), rtmin);
                }
            }
            std::process::exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    if waitpid(child, None).context("waitpid")? != WaitStatus::Exited(child, 0)
    {
        bail!("the child failed");
    }
    println!(
        "the child sent {count} SIGUSR1 and {count} SIGRTMIN, then exited"
    );
    println!(
        "handled while blocked: SIGUSR1 {}, SIGRTMIN {}",
        USR1.load(Ordering::Relaxed),
        RTMIN.load(Ordering::Relaxed)
    );
    mask(libc::SIG_UNBLOCK, &[libc::SIGUSR1, rtmin])?;
    println!(
        "handled after unblocking: SIGUSR1 {}, SIGRTMIN {}",
        USR1.load(Ordering::Relaxed),
        RTMIN.load(Ordering::Relaxed)
    );
    Ok(())
}
// ANCHOR_END: main
