use std::fmt;

use loom::sync::Arc;
use loom::sync::atomic::AtomicU64;
use loom::sync::atomic::Ordering::{self, Acquire, Relaxed, Release, SeqCst};
use loom::thread;

use listings::model::outcomes;

/// What the consumer found when it looked once.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Found {
    NotReady,
    Complete,
    Incomplete,
}

/// One message of Listing 6.13, on loom's types: the producer stores the
/// four payload words (Relaxed), then `ready` with `publish`; the consumer
/// loads `ready` once with `receive` and, if it is set, reads the payload.
fn message(publish: Ordering, receive: Ordering) -> Found {
    let payload: Arc<[AtomicU64; 4]> = Arc::default();
    let ready = Arc::new(AtomicU64::new(0));
    let producer = thread::spawn({
        let (payload, ready) = (payload.clone(), ready.clone());
        move || {
            for p in payload.iter() {
                p.store(1, Relaxed);
            }
            ready.store(1, publish);
        }
    });
    let found = if ready.load(receive) == 0 {
        Found::NotReady
    } else if payload.iter().all(|p| p.load(Relaxed) == 1) {
        Found::Complete
    } else {
        Found::Incomplete
    };
    producer.join().expect("the producer does not panic");
    found
}

fn main() {
    println!("one message; in every execution, the consumer found one of:");
    for (name, publish, receive) in [
        ("Relaxed", Relaxed, Relaxed),
        ("Release/Acquire", Release, Acquire),
        ("SeqCst", SeqCst, SeqCst),
    ] {
        let found = outcomes(move || message(publish, receive));
        println!("{}", found.allowed(name, 15, ToString::to_string));
        println!("{:15}  {}", "", found.effort());
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Found::NotReady => "not ready",
            Found::Complete => "complete",
            Found::Incomplete => "INCOMPLETE",
        })
    }
}
