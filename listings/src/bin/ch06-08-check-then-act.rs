use std::sync::{Barrier, Mutex};
use std::thread;

use anyhow::{Result, anyhow};

const START: i64 = 100;
const AMOUNT: i64 = 80;

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

/// Two threads each try to withdraw AMOUNT from START.
fn run(withdraw: impl Fn(&Mutex<i64>) -> bool + Sync) -> Result<()> {
    let balance = Mutex::new(START);
    let granted = thread::scope(|s| {
        let teller = || s.spawn(|| withdraw(&balance));
        [teller(), teller()].map(|t| t.join())
    });
    let granted = granted
        .into_iter()
        .collect::<Result<Vec<bool>, _>>()
        .map_err(|_| anyhow!("a teller panicked"))?;
    let granted = granted.iter().filter(|&&g| g).count();
    let left = *balance.lock().map_err(|_| anyhow!("poisoned"))?;
    println!(
        "  {granted} of 2 withdrawals of {AMOUNT} granted, balance {left}"
    );
    Ok(())
}

fn main() -> Result<()> {
    println!("balance {START}; two threads each withdraw {AMOUNT}");
    println!("check and act under two lock acquisitions:");
    let window = Barrier::new(2);
    run(|b| withdraw_racy(b, &window))?;
    println!("check and act under one guard:");
    run(withdraw)?;
    Ok(())
}
