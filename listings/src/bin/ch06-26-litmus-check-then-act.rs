use std::sync::Mutex;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicI64};

use anyhow::Result;
use listings::litmus::{self, Body};

const START: i64 = 100;
const AMOUNT: i64 = 80;

/// Listing 6.8's racy withdrawal, without its barrier.
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

// ANCHOR: litmus
/// The balance, and whether each thread's withdrawal was granted.
struct Shared<B> {
    balance: B,
    granted: [AtomicBool; 2],
}

/// Rounds of two threads that each withdraw once; prints how many rounds
/// ended with each (withdrawals granted, balance).
fn case<B: Sync>(
    name: &str,
    millis: u64,
    balance: B,
    withdraw: fn(&B) -> bool,
    reset: fn(&B) -> i64, // returns the balance and sets it back to START
) -> Result<()> {
    let sh = Shared {
        balance,
        granted: Default::default(),
    };
    let teller = |i: usize| {
        move |s: &Shared<B>| s.granted[i].store(withdraw(&s.balance), Relaxed)
    };
    let (zero, one) = (teller(0), teller(1));
    let bodies: [Body<Shared<B>>; 2] = [&zero, &one];
    let counts = litmus::run(millis, &sh, &bodies, |s| {
        let granted = s.granted.iter().filter(|g| g.load(Relaxed)).count();
        (granted, reset(&s.balance))
    })?;
    let show = |&(granted, left): &(usize, i64)| {
        format!("({granted} granted, balance {left})")
    };
    let known = [(1, START - AMOUNT), (2, START - 2 * AMOUNT)];
    println!("{}", counts.report(name, &known, show));
    Ok(())
}
// ANCHOR_END: litmus

fn main() -> Result<()> {
    let args: litmus::Args = listings::cli::parse();
    println!("{}", listings::bench::machine()?);
    println!(
        "each round: balance {START}, two threads each withdraw {AMOUNT};"
    );
    println!("(withdrawals granted, balance) at the end of the round:");
    let lock = |m: &Mutex<i64>| {
        let mut balance = m.lock().expect("no panic holding it");
        std::mem::replace(&mut *balance, START)
    };
    let mutex = || Mutex::new(START);
    case(
        "two lock acquisitions",
        args.millis,
        mutex(),
        withdraw_racy,
        lock,
    )?;
    case("one guard", args.millis, mutex(), withdraw, lock)?;
    let swap = |b: &AtomicI64| b.swap(START, Relaxed);
    case(
        "compare_exchange",
        args.millis,
        AtomicI64::new(START),
        withdraw_cas,
        swap,
    )?;
    Ok(())
}
