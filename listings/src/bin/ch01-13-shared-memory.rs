use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use clap::Parser;
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

/// Two children count into memory shared with their parent, and into a plain variable.
#[derive(Parser)]
struct Args {
    /// How many times each child adds one
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    increments: u64,
}

fn main() -> Result<()> {
    let args: Args = listings::cli::parse();
    let len = NonZeroUsize::new(size_of::<AtomicU64>()).context("zero size")?;
    // SAFETY: a fresh anonymous mapping overlaps nothing. MAP_SHARED: after fork, parent and
    // children see the same physical page, instead of each getting its own copy.
    let page = unsafe {
        mmap_anonymous(
            None,
            len,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
        )
    }
    .context("mmap failed")?;
    // SAFETY: the mapping is page-aligned and zero-filled (a valid AtomicU64 holding 0), and
    // it stays mapped until the munmap at the end, after every child has exited.
    let shared: &AtomicU64 = unsafe { page.cast::<AtomicU64>().as_ref() };
    let mut plain: u64 = 0; // an ordinary variable: each process gets its own copy

    let mut children = Vec::new();
    for id in 1..=2 {
        // SAFETY: no other thread exists yet, so the child may run any code.
        match unsafe { fork() }.context("fork failed")? {
            ForkResult::Child => {
                for _ in 0..args.increments {
                    shared.fetch_add(1, Ordering::Relaxed); // one indivisible read-modify-write
                    plain += 1;
                }
                println!("child {id}: done, its own plain = {plain}");
                std::process::exit(0);
            }
            ForkResult::Parent { child } => children.push(child),
        }
    }
    for child in children {
        waitpid(child, None).context("waitpid failed")?;
    }
    println!("parent: shared = {}", shared.load(Ordering::Relaxed));
    println!("parent: plain  = {plain}");
    // SAFETY: `shared` is not used after this point, and no child is left to use the page.
    unsafe { munmap(page, len.get()) }.context("munmap failed")?;
    Ok(())
}
