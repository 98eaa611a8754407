use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use listings::bench::human;

fn main() -> Result<()> {
    // 1. An unpark() that comes first is not lost: it leaves a token that
    //    the next park() consumes and returns at once.
    thread::current().unpark();
    let start = Instant::now();
    thread::park_timeout(Duration::from_secs(2)); // a bound, in case
    println!(
        "park() after unpark() returned in {}",
        human(start.elapsed())
    );

    // 2. park() may also return with no unpark at all, so a thread parks in
    //    a loop until the condition it waits for is true.
    let ready = AtomicBool::new(false);
    let parks = thread::scope(|s| {
        let waiter = s.spawn(|| {
            let mut parks = 0;
            // Acquire pairs with the Release below: once the flag reads
            // true, everything written before it is visible here.
            while !ready.load(Ordering::Acquire) {
                thread::park();
                parks += 1;
            }
            parks
        });
        thread::sleep(Duration::from_millis(50));
        ready.store(true, Ordering::Release);
        waiter.thread().unpark(); // after the store, or the wake-up is early
        waiter.join()
    })
    .map_err(|_| anyhow!("the waiter panicked"))?;
    println!("the waiter parked {parks} time(s) before it saw the flag");
    Ok(())
}
