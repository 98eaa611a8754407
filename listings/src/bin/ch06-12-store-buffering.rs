use std::sync::atomic::Ordering::{self, Acquire, Relaxed, Release, SeqCst};
use std::sync::atomic::{AtomicU64, fence};

use anyhow::Result;
use crossbeam_utils::CachePadded;
use listings::litmus::{self, Body};

/// X and Y, and what each thread read in the round (each on its own cache
/// line, so that no write to one disturbs the others).
#[derive(Default)]
struct Shared {
    x: CachePadded<AtomicU64>,
    y: CachePadded<AtomicU64>,
    read: [CachePadded<AtomicU64>; 2],
}

// ANCHOR: litmus
/// One thread's side of a round: store 1 to `mine`, then read `theirs`;
/// with `fenced`, a `fence(SeqCst)` between the two.
fn side(mine: &AtomicU64, theirs: &AtomicU64, read: &AtomicU64, case: Case) {
    let (_, store, load, fenced) = case;
    mine.store(1, store);
    if fenced {
        fence(SeqCst);
    }
    read.store(theirs.load(load), Relaxed); // counted once the round is over
}

type Case = (&'static str, Ordering, Ordering, bool);
const CASES: [Case; 4] = [
    ("Relaxed", Relaxed, Relaxed, false),
    ("Release/Acquire", Release, Acquire, false),
    ("SeqCst", SeqCst, SeqCst, false),
    ("Relaxed + fence(SeqCst)", Relaxed, Relaxed, true),
];
// ANCHOR_END: litmus

fn main() -> Result<()> {
    let args: litmus::Args = listings::cli::parse();
    println!("{}", listings::bench::machine()?);
    println!("each round: thread 0 stores X = 1, reads Y;");
    println!("            thread 1 stores Y = 1, reads X;");
    println!("(what thread 0 read, what thread 1 read), per round:");
    let pairs = [(0, 0), (0, 1), (1, 0), (1, 1)];
    for case in CASES {
        let sh = Shared::default();
        let zero = |s: &Shared| side(&s.x, &s.y, &s.read[0], case);
        let one = |s: &Shared| side(&s.y, &s.x, &s.read[1], case);
        let bodies: [Body<Shared>; 2] = [&zero, &one];
        let counts = litmus::run(args.millis, &sh, &bodies, |s| {
            let read = (s.read[0].load(Relaxed), s.read[1].load(Relaxed));
            s.x.store(0, Relaxed); // X and Y start the next round at 0
            s.y.store(0, Relaxed);
            read
        })?;
        println!(
            "{}",
            counts.report(case.0, &pairs, |(a, b)| format!("({a}, {b})"))
        );
    }
    Ok(())
}
