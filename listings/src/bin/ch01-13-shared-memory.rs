use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use clap::Parser;
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

/// Two children count into memory shared with their parent, and into a
/// plain variable.
#[derive(Parser)]
struct Args {
    /// How many times each child adds one
    #[arg(long, default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    increments: u64,
}

// ANCHOR: body
fn main() -> Result<()> {
    let args: Args = listings::cli::parse();
    let len = NonZeroUsize::new(size_of::<AtomicU64>()).context("zero size")?;
    // SAFETY: a fresh anonymous mapping overlaps nothing. MAP_SHARED: after
    // fork, parent and children see the same physical page.
    let page = unsafe {
        let rw = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
        mmap_anonymous(None, len, rw, MapFlags::MAP_SHARED)
    }
    .context("mmap failed")?;
    let counted = count(page.cast(), args.increments);
    // SAFETY: count() has returned, so no reference into the page is left,
    // and it reaped every child that used the page.
    unsafe { munmap(page, len.get()) }.context("munmap failed")?;
    counted
}

/// Forks two children that add to `*page`; returns once both are reaped.
fn count(page: NonNull<AtomicU64>, increments: u64) -> Result<()> {
    // SAFETY: the page is mapped, aligned and zero-filled (a valid AtomicU64
    // holding 0); it stays mapped until after this function returns, which
    // ends this reference's lifetime.
    let shared: &AtomicU64 = unsafe { page.as_ref() };
    let mut plain: u64 = 0; // an ordinary variable: one copy per process
    let (mut children, mut forked) = (Vec::new(), Ok(()));
    for id in 1..=2 {
        // SAFETY: no other thread exists yet, so the child may run any code.
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                for _ in 0..increments {
                    // One indivisible read-modify-write; Relaxed: see text.
                    shared.fetch_add(1, Ordering::Relaxed);
                    plain += 1;
                }
                println!("child {id}: done, its own plain = {plain}");
                std::process::exit(0);
            }
            Ok(ForkResult::Parent { child }) => children.push(child),
            Err(e) => {
                forked = Err(e).context("fork failed"); // reap, then report
                break;
            }
        }
    }
    let reaped: Vec<_> = children.iter().map(|&c| waitpid(c, None)).collect();
    forked?;
    for status in reaped {
        status.context("waitpid failed")?;
    }
    println!("parent: shared = {}", shared.load(Ordering::Relaxed));
    println!("parent: plain  = {plain}");
    Ok(())
}
// ANCHOR_END: body
