use std::ffi::{c_char, c_void};
use std::mem::MaybeUninit;
use std::process::Command;
use std::ptr;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, ensure};
use clap::Parser;
use listings::bench::{machine, repeat_interleaved};
use nix::errno::Errno;
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

/// What it costs to create (and wait for) a process, a new program and a
/// thread.
#[derive(Parser)]
struct Args {
    /// Measured creations of each kind.
    #[arg(long, default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    runs: u64,
}

unsafe extern "C" {
    /// glibc's flag: non-zero until the process first creates a thread.
    /// When it is zero, glibc's fork also takes (and then resets) the stdio
    /// and malloc locks (posix/fork.c). `mut`: glibc writes it while Rust
    /// code runs, and an immutable static that changes is undefined
    /// behaviour, whoever changes it.
    static mut __libc_single_threaded: c_char;
}

fn glibc_single_threaded() -> c_char {
    // SAFETY: glibc defines this byte, and the read copies it through a raw
    // pointer (no reference to a `static mut`). Only pthread_create writes
    // it, in the thread that calls it, and that is this thread: no write
    // can race with the read.
    unsafe { ptr::read_volatile(&raw const __libc_single_threaded) }
}

// ANCHOR: cases
fn fork_wait() -> Result<Duration> {
    let start = Instant::now();
    // SAFETY: measured before this process creates any thread; the child
    // calls only the async-signal-safe _exit.
    match unsafe { fork() }.context("fork failed")? {
        // SAFETY: _exit is async-signal-safe.
        ForkResult::Child => unsafe { nix::libc::_exit(0) },
        ForkResult::Parent { child } => {
            waitpid(child, None).context("waitpid failed")?
        }
    };
    Ok(start.elapsed())
}

fn command() -> Result<Duration> {
    let start = Instant::now();
    let status = Command::new("/bin/true")
        .status()
        .context("cannot run /bin/true")?;
    ensure!(status.success(), "/bin/true failed: {status}");
    Ok(start.elapsed())
}

fn std_thread() -> Result<Duration> {
    let start = Instant::now();
    thread::spawn(|| {})
        .join()
        .map_err(|_| anyhow!("the thread panicked"))?;
    Ok(start.elapsed())
}

extern "C" fn nothing(_: *mut c_void) -> *mut c_void {
    ptr::null_mut()
}

fn pthread() -> Result<Duration> {
    let start = Instant::now();
    let mut id = MaybeUninit::uninit();
    // SAFETY: `nothing` is a valid start routine that ignores its argument;
    // null attributes mean the defaults.
    let rc = unsafe {
        nix::libc::pthread_create(
            id.as_mut_ptr(),
            ptr::null(),
            nothing,
            ptr::null_mut(),
        )
    };
    if rc != 0 {
        return Err(Errno::from_raw(rc)).context("pthread_create failed");
    }
    // SAFETY: pthread_create succeeded, so `id` is set; joined exactly once.
    let rc =
        unsafe { nix::libc::pthread_join(id.assume_init(), ptr::null_mut()) };
    if rc != 0 {
        return Err(Errno::from_raw(rc)).context("pthread_join failed");
    }
    Ok(start.elapsed())
}
// ANCHOR_END: cases

fn main() -> Result<()> {
    let runs = listings::cli::parse::<Args>().runs as usize;
    println!("{}", machine()?);
    println!("glibc single-threaded flag: {}", glibc_single_threaded());
    // Processes first, while no thread has ever existed.
    let processes =
        repeat_interleaved(10, runs, &mut [&mut fork_wait, &mut command])?;
    println!("fork + _exit + waitpid:        {}", processes[0]);
    println!("Command /bin/true + wait:      {}", processes[1]);
    let threads =
        repeat_interleaved(10, runs, &mut [&mut std_thread, &mut pthread])?;
    println!("std::thread::spawn + join:     {}", threads[0]);
    println!("pthread_create + pthread_join: {}", threads[1]);
    println!("glibc single-threaded flag: {}", glibc_single_threaded());
    Ok(())
}
