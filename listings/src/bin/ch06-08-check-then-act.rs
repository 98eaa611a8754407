use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::sync::{Barrier, Mutex};
use std::thread;

use anyhow::{Context, Result, anyhow};

const START: i64 = 100;
const AMOUNT: i64 = 80;

// ANCHOR: withdraw
/// Check under one lock, act under another: a race condition.
fn withdraw_racy(balance: &Mutex<i64>, window: &Barrier) -> bool {
    let enough = *balance.lock().expect("no panic holding it") >= AMOUNT;
    // The lock is free here: the other thread can check the same balance.
    // (The barrier makes that interleaving certain instead of just possible.)
    window.wait();
    if enough {
        *balance.lock().expect("no panic holding it") -= AMOUNT;
    }
    enough
}

/// Check and act under one guard: nobody can slip in between.
fn withdraw(balance: &Mutex<i64>) -> bool {
    let mut balance = balance.lock().expect("no panic holding it");
    let enough = *balance >= AMOUNT;
    if enough {
        *balance -= AMOUNT;
    }
    enough
}

/// Check, then act only if nothing changed since: compare_exchange stores
/// the new balance only if the balance is still the one that was checked.
fn withdraw_cas(balance: &AtomicI64, window: &Barrier) -> bool {
    // Relaxed: the balance is the only shared data, and every change to it
    // is atomic; nothing else is published through it.
    let mut seen = balance.load(Relaxed);
    window.wait(); // the same window as above
    loop {
        if seen < AMOUNT {
            return false;
        }
        match balance.compare_exchange(seen, seen - AMOUNT, Relaxed, Relaxed) {
            Ok(_) => return true,
            Err(now) => seen = now, // changed since we checked: check again
        }
    }
}
// ANCHOR_END: withdraw

/// Two threads each try to withdraw AMOUNT from `balance`.
fn run<B: Sync>(
    balance: B,
    withdraw: impl Fn(&B) -> bool + Sync,
    left: impl Fn(B) -> i64,
) -> Result<()> {
    // One teller is a new thread, the other this one: if the spawn fails,
    // no thread is left waiting at the barrier for a teller that never came.
    let granted = thread::scope(|s| {
        let other = thread::Builder::new()
            .spawn_scoped(s, || withdraw(&balance))
            .context("cannot start a thread")?;
        let mine = withdraw(&balance);
        let other = other.join().map_err(|_| anyhow!("a teller panicked"))?;
        anyhow::Ok([mine, other])
    })?;
    let granted = granted.iter().filter(|&&g| g).count();
    let left = left(balance);
    println!(
        "  {granted} of 2 withdrawals of {AMOUNT} granted, balance {left}"
    );
    Ok(())
}

fn main() -> Result<()> {
    let unlock =
        |m: Mutex<i64>| m.into_inner().unwrap_or_else(|p| p.into_inner());
    println!("balance {START}; two threads each withdraw {AMOUNT}");
    println!("check and act under two lock acquisitions:");
    let window = Barrier::new(2);
    run(Mutex::new(START), |b| withdraw_racy(b, &window), unlock)?;
    println!("check and act under one guard:");
    run(Mutex::new(START), withdraw, unlock)?;
    println!("check and act in one compare_exchange:");
    let cas = |b: &AtomicI64| withdraw_cas(b, &window);
    run(AtomicI64::new(START), cas, AtomicI64::into_inner)?;
    Ok(())
}
