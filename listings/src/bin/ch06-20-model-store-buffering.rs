use loom::sync::Arc;
use loom::sync::atomic::Ordering::{self, Acquire, Relaxed, Release, SeqCst};
use loom::sync::atomic::{AtomicU64, fence};
use loom::thread;

use listings::model::outcomes;

/// One round of Listing 6.12's test, on loom's types: thread 0 stores X = 1
/// and reads Y, thread 1 stores Y = 1 and reads X; with `fenced`, each puts
/// a `fence(SeqCst)` between its store and its load. Returns what each read.
fn round(store: Ordering, load: Ordering, fenced: bool) -> (u64, u64) {
    let (x, y) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let side = move |mine: Arc<AtomicU64>, theirs: Arc<AtomicU64>| {
        mine.store(1, store);
        if fenced {
            fence(SeqCst);
        }
        theirs.load(load)
    };
    let one = thread::spawn({
        let (x, y) = (x.clone(), y.clone());
        move || side(y, x)
    });
    let r0 = side(x, y);
    (r0, one.join().expect("thread 1 does not panic"))
}

fn main() {
    println!("one round; in every execution, (what thread 0 read from Y,");
    println!("what thread 1 read from X) is one of:");
    let cases = [
        ("Relaxed", Relaxed, Relaxed, false),
        ("Release/Acquire", Release, Acquire, false),
        // SeqCst, checked as its fence form: loom 0.7 allows (0, 0) for SeqCst
        // loads and stores, which C++20 forbids (tokio-rs/loom#180).
        ("Relaxed + fence(SeqCst)", Relaxed, Relaxed, true),
    ];
    for (name, store, load, fenced) in cases {
        let read = outcomes(move || round(store, load, fenced));
        let show = |(r0, r1): &(u64, u64)| format!("({r0}, {r1})");
        println!("{}", read.allowed(name, 23, show));
        println!("{:23}  {}", "", read.effort());
    }
}
