// std's Arc, not loom's: loom's makes every drop a scheduling point,
// which panics again while a deadlocked execution unwinds.
use std::sync::Arc;

use loom::sync::Mutex;
use loom::thread;

use facts::outcomes::allowed_line;
use listings::model::{Explored, outcomes};

type Account = Arc<Mutex<i64>>;

/// Listing 6.9's transfer, on loom's types, with a plain `lock` for the
/// second lock (no deadline): loom, not a timer, finds the deadlock.
fn transfer(first: &Account, second: &Account) {
    let mut from = first.lock().expect("no panic holding it");
    let mut to = second.lock().expect("no panic holding it");
    (*from, *to) = (*from - 1, *to + 1);
}

/// Two threads transfer, in the orders `one` and `two`; returns A + B once
/// both are done.
fn run(one: [usize; 2], two: [usize; 2]) -> i64 {
    let accounts = [Arc::new(Mutex::new(100)), Arc::new(Mutex::new(100))];
    let threads = [one, two].map(|order| {
        let [first, second] = order.map(|i| accounts[i].clone());
        thread::spawn(move || transfer(&first, &second))
    });
    for thread in threads {
        thread.join().expect("no thread panics");
    }
    accounts
        .iter()
        .map(|a| *a.lock().expect("no panic holding it"))
        .sum()
}

fn main() {
    let (a, b) = (0, 1);
    println!("opposite orders: thread 1 locks A then B, thread 2 B then A");
    println!("one global order: both threads lock A then B");
    println!("in every execution, both finish (A + B is then shown)");
    println!("or both wait for ever (deadlock):");
    report("opposite orders", outcomes(move || run([a, b], [b, a])));
    report("one global order", outcomes(move || run([a, b], [a, b])));
}

fn report(label: &str, explored: Explored<i64>) {
    let ends = explored.outcomes.iter().map(|t| format!("A + B = {t}"));
    let stuck = explored.deadlock.then(|| "deadlock".to_owned());
    println!("{}", allowed_line(label, 16, ends.chain(stuck)));
    println!("{:16}  {}", "", explored.effort());
}
