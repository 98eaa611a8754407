use std::hint::spin_loop;
use std::sync::atomic::Ordering::{self, Acquire, Relaxed, Release, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::thread;
use std::time::Duration;

use anyhow::{Result, anyhow};
use clap::Parser;
use crossbeam_utils::CachePadded;

/// The store-buffering litmus test, run for a while with each ordering.
#[derive(Parser)]
struct Args {
    /// Milliseconds to run each ordering.
    #[arg(
        long,
        default_value_t = 1500,
        value_parser = clap::value_parser!(u64).range(1..=600_000)
    )]
    millis: u64,
}

/// The two locations of the test, and where each thread has got to.
#[derive(Default)]
struct Shared {
    x: CachePadded<AtomicU64>,
    y: CachePadded<AtomicU64>,
    round: [CachePadded<AtomicU64>; 2],
    stop: AtomicBool, // main to thread 0: time is up
    halt: AtomicBool, // thread 0 to both: stop at this round
}

const BATCH: u64 = 1_000;

/// Waits until the other thread has reached round `r` as well.
fn meet(sh: &Shared, me: usize, r: u64) {
    // Release/Acquire: what each did before arriving is visible after.
    sh.round[me].store(r, Release);
    let mut spins = 0_u32;
    while sh.round[1 - me].load(Acquire) < r {
        spins += 1;
        if spins < 1_000 {
            spin_loop()
        } else {
            thread::yield_now()
        }
    }
}

// ANCHOR: litmus
/// One thread's side: in round r, store r to `mine`, then read `theirs`.
/// Returns, per round, whether the read saw the other thread's store.
fn side(sh: &Shared, me: usize, orders: (Ordering, Ordering)) -> Vec<bool> {
    let (mine, theirs) = if me == 0 {
        (&sh.x, &sh.y)
    } else {
        (&sh.y, &sh.x)
    };
    let (store, load) = orders;
    let mut saw = Vec::new();
    for r in 1.. {
        if me == 0 && r % BATCH == 0 && sh.stop.load(Relaxed) {
            sh.halt.store(true, Relaxed); // before meeting thread 1 at r
        }
        meet(sh, me, r);
        if r % BATCH == 0 && sh.halt.load(Relaxed) {
            break; // both threads stop at the same round
        }
        mine.store(r, store);
        saw.push(theirs.load(load) >= r); // < r: a value from an old round
    }
    saw
}
// ANCHOR_END: litmus

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    println!("{}", listings::bench::machine()?);
    println!("round r: thread 0 stores X = r, reads Y;");
    println!("         thread 1 stores Y = r, reads X");
    let cases = [
        ("Relaxed", (Relaxed, Relaxed)),
        ("Release/Acquire", (Release, Acquire)),
        ("SeqCst", (SeqCst, SeqCst)),
    ];
    for (name, orders) in cases {
        let sh = Shared::default();
        let (saw0, saw1) = thread::scope(|s| {
            let zero = s.spawn(|| side(&sh, 0, orders));
            let one = s.spawn(|| side(&sh, 1, orders));
            thread::sleep(Duration::from_millis(args.millis));
            sh.stop.store(true, Relaxed); // thread 0 sees it soon enough
            (zero.join(), one.join())
        });
        let saw0 = saw0.map_err(|_| anyhow!("thread 0 panicked"))?;
        let saw1 = saw1.map_err(|_| anyhow!("thread 1 panicked"))?;
        let both_zero =
            saw0.iter().zip(&saw1).filter(|(a, b)| !*a && !*b).count();
        println!(
            "{name:<16} {both_zero:>7} of {:>8} rounds read 0 and 0",
            saw0.len().min(saw1.len())
        );
    }
    Ok(())
}
