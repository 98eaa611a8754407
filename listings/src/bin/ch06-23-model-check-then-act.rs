use loom::sync::atomic::AtomicI64;
use loom::sync::atomic::Ordering::Relaxed;
use loom::sync::{Arc, Mutex};
use loom::thread;

use listings::model::outcomes;

const START: i64 = 100;
const AMOUNT: i64 = 80;

/// Listing 6.8's racy withdrawal, on loom's types, without its barrier:
/// loom tries every interleaving, so nothing needs to force one.
fn withdraw_racy(balance: &Mutex<i64>) -> bool {
    let enough = *balance.lock().expect("no panic holding it") >= AMOUNT;
    if enough {
        *balance.lock().expect("no panic holding it") -= AMOUNT;
    }
    enough
}

/// Listing 6.8's withdrawal under one guard.
fn withdraw(balance: &Mutex<i64>) -> bool {
    let mut balance = balance.lock().expect("no panic holding it");
    let enough = *balance >= AMOUNT;
    if enough {
        *balance -= AMOUNT;
    }
    enough
}

/// Listing 6.8's withdrawal by compare_exchange, without its barrier.
fn withdraw_cas(balance: &AtomicI64) -> bool {
    let mut seen = balance.load(Relaxed);
    loop {
        if seen < AMOUNT {
            return false;
        }
        match balance.compare_exchange(seen, seen - AMOUNT, Relaxed, Relaxed) {
            Ok(_) => return true,
            Err(now) => seen = now,
        }
    }
}

/// Two threads each withdraw once; returns (withdrawals granted, balance).
fn run<B: Send + Sync + 'static>(
    balance: B,
    withdraw: fn(&B) -> bool,
    left: fn(&B) -> i64,
) -> (usize, i64) {
    let balance = Arc::new(balance);
    let other = thread::spawn({
        let balance = balance.clone();
        move || withdraw(&balance)
    });
    let mine = withdraw(&balance);
    let other = other.join().expect("the other teller does not panic");
    (usize::from(mine) + usize::from(other), left(&balance))
}

fn main() {
    let show = |&(granted, left): &(usize, i64)| {
        format!("({granted} granted, balance {left})")
    };
    println!("balance {START}, two threads each withdraw {AMOUNT};");
    println!("in every execution, (withdrawals granted, balance) is one of:");
    let lock = |m: &Mutex<i64>| *m.lock().expect("no panic holding it");
    let racy = outcomes(move || run(Mutex::new(START), withdraw_racy, lock));
    println!("{}", racy.allowed("two lock acquisitions", 21, show));
    println!("{:21}  {}", "", racy.effort());
    let guard = outcomes(move || run(Mutex::new(START), withdraw, lock));
    println!("{}", guard.allowed("one guard", 21, show));
    println!("{:21}  {}", "", guard.effort());
    let load = |b: &AtomicI64| b.load(Relaxed);
    let cas = outcomes(move || run(AtomicI64::new(START), withdraw_cas, load));
    println!("{}", cas.allowed("compare_exchange", 21, show));
    println!("{:21}  {}", "", cas.effort());
}
