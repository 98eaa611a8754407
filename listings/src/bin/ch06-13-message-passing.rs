use std::hint::spin_loop;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};

/// Spins until `done` is true, yielding the CPU now and then.
fn wait_for(mut done: impl FnMut() -> bool) {
    let mut spins = 0_u32;
    while !done() {
        spins += 1;
        if spins < 1_000 {
            spin_loop()
        } else {
            thread::yield_now()
        }
    }
}

fn main() -> Result<()> {
    let payload: [AtomicU64; 4] = Default::default(); // the message
    let (ready, ack, done) =
        (AtomicU64::new(0), AtomicU64::new(0), AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_millis(500);
    let (sent, stale) = thread::scope(|s| {
        let consumer = s.spawn(|| {
            let (mut seen, mut stale) = (0, 0);
            loop {
                let mut r = 0;
                wait_for(|| {
                    // Acquire: if this reads r, the payload writes made
                    // before the Release store of r are visible below.
                    r = ready.load(Acquire);
                    r > seen || done.load(Acquire)
                });
                if r == seen {
                    return stale; // done, and nothing new
                }
                let fresh = payload.iter().all(|p| p.load(Relaxed) == r);
                stale += u64::from(!fresh);
                seen = r;
                ack.store(r, Release); // the payload may be reused
            }
        });
        let mut r = 0;
        while r % 1_000 != 0 || Instant::now() < deadline {
            r += 1;
            for p in &payload {
                p.store(r, Relaxed); // ordered by the Release below
            }
            ready.store(r, Release); // publish: "payload r is complete"
            wait_for(|| ack.load(Acquire) == r);
        }
        done.store(true, Release);
        (r, consumer.join())
    });
    let stale = stale.map_err(|_| anyhow!("the consumer panicked"))?;
    println!("Release/Acquire: {sent} messages, {stale} read incomplete");
    Ok(())
}
