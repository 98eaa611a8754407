use std::collections::BTreeSet;
use std::io;
use std::sync::{Barrier, Mutex, OnceLock};
use std::thread;

use anyhow::{Context, Result};

// ANCHOR: body
static COUNTER: u64 = 0;

fn main() -> Result<()> {
    let on_heap = Box::new(42_u64);
    let heap_addr = &*on_heap as *const u64 as usize;
    // Each thread notes where its local, the heap value and the static are.
    // The barrier keeps all four alive at once (an ended thread's stack may be
    // reused); none goes to it before main knows all four exist (Listing 2.2).
    let seen = Mutex::new(Vec::new());
    let (all_alive, spawned) = (Barrier::new(4), OnceLock::<bool>::new());
    thread::scope(|s| {
        let workers: io::Result<Vec<_>> = (0..4)
            .map(|_| {
                thread::Builder::new().spawn_scoped(s, || {
                    let local = 0_u64;
                    if !*spawned.wait() {
                        return;
                    }
                    all_alive.wait();
                    let addrs = (
                        &local as *const u64 as usize,
                        &*on_heap as *const u64 as usize,
                        &COUNTER as *const u64 as usize,
                    );
                    seen.lock().expect("no panic holds the lock").push(addrs);
                })
            })
            .collect();
        let _ = spawned.set(workers.is_ok()); // releases them either way
        workers.map(drop).context("cannot start a thread")
    })?;
    let seen = seen.into_inner().ok().context("a thread panicked")?;
    let distinct = |f: fn(&(usize, usize, usize)) -> usize| {
        seen.iter().map(f).collect::<BTreeSet<_>>().len()
    };
    let mut locals: Vec<_> = seen.iter().map(|a| a.0).collect();
    locals.sort_unstable();
    let gap = locals.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(0);
    println!(
        "a local variable: {} distinct addresses in 4 threads, \
         at least {} KiB apart",
        distinct(|a| a.0),
        gap / 1024
    );
    println!(
        "the heap value:   {} distinct address, {heap_addr:#x}",
        distinct(|a| a.1)
    );
    println!("the static:       {} distinct address", distinct(|a| a.2));
    // A thread's stack size is fixed when it is created. Spawned threads get 2
    // MiB by default (RUST_MIN_STACK changes that); this recursion needs more.
    let deep = thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(|| depth(20_000))
        .context("cannot spawn a thread with a 64 MiB stack")?;
    let frames = deep.join().ok().context("the deep thread panicked")?;
    println!("a thread with a 64 MiB stack recursed {frames} frames deep");
    Ok(())
}
// ANCHOR_END: body

/// Recursion that keeps about 512 bytes per frame alive on the stack.
fn depth(n: u64) -> u64 {
    let frame = std::hint::black_box([n; 64]);
    if n == 0 { 0 } else { 1 + depth(frame[0] - 1) }
}
