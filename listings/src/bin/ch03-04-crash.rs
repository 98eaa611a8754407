use std::io::{PipeWriter, Read, Write};
use std::num::NonZeroUsize;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use listings::bench::human;
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous};
use nix::sys::prctl::set_dumpable;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// Runs `body` in a child process; reports how the child ended, after how
/// long, and what its threads wrote to a pipe before that.
fn in_child(what: &str, body: fn(&PipeWriter) -> Result<()>) -> Result<()> {
    let (mut reader, writer) = std::io::pipe().context("pipe failed")?;
    let start = Instant::now();
    // SAFETY: this process never starts a thread, so when it forks it has
    // only one: the child may run any code.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            // No core dump for a crash we cause on purpose: a process that
            // is not dumpable gets none, even if core_pattern pipes to a
            // program.
            let _ = set_dumpable(false);
            let code = match body(&writer) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("child: {e:#}");
                    1
                }
            };
            std::process::exit(code);
        }
        ForkResult::Parent { child } => {
            drop(writer); // else our own copy would keep the pipe open
            let status = waitpid(child, None).context("waitpid failed")?;
            let elapsed = human(start.elapsed());
            let mut written = String::new();
            reader.read_to_string(&mut written).context("read failed")?;
            match status {
                WaitStatus::Signaled(_, signal, _) => println!(
                    "{what}: the child was killed by {signal} after {elapsed}"
                ),
                other => println!("{what}: the child ended with {other:?}"),
            }
            println!("  lines its threads wrote: {}", written.lines().count());
            for line in written.lines() {
                println!("  > {line}");
            }
        }
    }
    Ok(())
}

// ANCHOR: main
/// A real invalid memory access: a write to a page mapped PROT_NONE. The
/// CPU faults and the kernel sends SIGSEGV to the thread that did it.
fn segfault() -> Result<()> {
    let len = NonZeroUsize::new(4096).context("zero length")?;
    // SAFETY: a fresh anonymous mapping overlaps nothing.
    let page = unsafe {
        mmap_anonymous(None, len, ProtFlags::PROT_NONE, MapFlags::MAP_PRIVATE)
    }
    .context("mmap failed")?;
    // SAFETY: none, on purpose: the page forbids every access, so this write
    // is the crash this listing shows. It only ever runs in a child process.
    unsafe { page.cast::<u8>().write_volatile(1) };
    Ok(())
}

fn main() -> Result<()> {
    in_child("a process crashes", |_| segfault())?;
    println!("the parent carries on");

    in_child("a thread crashes", |mut pipe| {
        thread::scope(|s| -> Result<()> {
            s.spawn(move || {
                thread::sleep(Duration::from_millis(500));
                writeln!(pipe, "the other thread woke up after 500 ms")
            });
            let crashing = s.spawn(segfault);
            thread::sleep(Duration::from_millis(500));
            writeln!(pipe, "the main thread woke up after 500 ms")?;
            // Reached only if there was no crash: report why (mmap failed?).
            crashing
                .join()
                .map_err(|_| anyhow!("the thread panicked"))?
        })
    })?;
    Ok(())
}
// ANCHOR_END: main
