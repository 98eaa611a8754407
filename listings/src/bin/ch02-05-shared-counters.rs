use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use anyhow::{Result, anyhow};

const THREADS: u64 = 4;
const INCREMENTS: u64 = 100_000;

fn main() -> Result<()> {
    // A Mutex lets one thread at a time change the value; Arc shares ownership
    // of it.
    let locked = Arc::new(Mutex::new(0_u64));
    // An atomic needs no lock for a single read-modify-write such as fetch_add.
    let atomic = Arc::new(AtomicU64::new(0));

    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (locked, atomic) = (Arc::clone(&locked), Arc::clone(&atomic));
            thread::spawn(move || {
                for _ in 0..INCREMENTS {
                    *locked
                        .lock()
                        .expect("no thread panics holding the lock") += 1;
                    atomic.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().map_err(|_| anyhow!("a thread panicked"))?;
    }

    let locked = *locked.lock().map_err(|_| anyhow!("poisoned lock"))?;
    println!(
        "{THREADS} threads x {INCREMENTS} increments = {}",
        THREADS * INCREMENTS
    );
    println!("Arc<Mutex<u64>>: {locked}");
    println!("Arc<AtomicU64>:  {}", atomic.load(Ordering::Relaxed));
    Ok(())
}
