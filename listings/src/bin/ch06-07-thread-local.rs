use std::cell::Cell;
use std::thread;

use anyhow::{Result, anyhow};

/// A per-thread counter that reports its final value when its thread ends.
struct Calls {
    count: Cell<u64>,
}

impl Drop for Calls {
    fn drop(&mut self) {
        let me = thread::current();
        let name = me.name().unwrap_or("unnamed");
        println!("{name} exits: its CALLS drops at {}", self.count.get());
    }
}

thread_local! {
    // Each thread has its own Calls (a const initialiser: nothing to
    // compute); its destructor is registered on the thread's first access.
    static CALLS: Calls = const { Calls { count: Cell::new(0) } };
}

/// Counts calls per thread, without a lock: no other thread can see it.
fn work() {
    CALLS.with(|c| c.count.set(c.count.get() + 1));
}

fn main() -> Result<()> {
    let workers: Vec<_> = [1, 2, 3]
        .into_iter()
        .map(|calls| {
            thread::Builder::new()
                .name(format!("worker {calls}"))
                .spawn(move || (0..calls).for_each(|_| work()))
        })
        .collect::<Result<_, _>>()?;
    for worker in workers {
        // join() returns after the thread's destructors have run.
        worker.join().map_err(|_| anyhow!("a worker panicked"))?;
    }
    work();
    CALLS.with(|c| println!("main's own CALLS: {}", c.count.get()));
    Ok(())
}
