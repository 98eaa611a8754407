use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

fn main() -> Result<()> {
    let size = NonZeroUsize::new(size_of::<AtomicU64>()).context("zero size")?;
    // One page of memory that fork will share rather than copy: MAP_SHARED (mmap(2)).
    // SAFETY: a fresh anonymous mapping overlaps nothing we use.
    let page = unsafe {
        mmap_anonymous(
            None,
            size,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_SHARED,
        )
    }
    .context("mmap failed")?;
    // SAFETY: the mapping is zeroed, aligned to a page, and lives until munmap below; an
    // AtomicU64 may be accessed from several processes at once.
    let shared = unsafe { page.cast::<AtomicU64>().as_ref() };
    let mut private = 0_u64;

    // SAFETY: no other thread exists yet; the child may use anything.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            for _ in 0..1_000 {
                shared.fetch_add(1, Ordering::Relaxed);
                private += 1;
            }
            println!(
                "child:  shared = {}, private = {private}",
                shared.load(Ordering::Relaxed)
            );
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            waitpid(child, None).context("waitpid failed")?;
            println!(
                "parent: shared = {}, private = {private}",
                shared.load(Ordering::Relaxed)
            );
        }
    }
    // SAFETY: `shared` is not used after this point.
    unsafe { munmap(page, size.get()) }.context("munmap failed")?;
    Ok(())
}
