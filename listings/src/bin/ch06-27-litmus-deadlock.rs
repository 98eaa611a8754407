use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed, Ordering::SeqCst};

use anyhow::Result;
use listings::litmus::{self, Body};

/// The two accounts; which thread holds its first lock and wants its second;
/// whether a thread found its second lock taken by one that wants its own.
struct Shared {
    accounts: [Mutex<i64>; 2],
    wants: [AtomicBool; 2],
    stuck: [AtomicBool; 2],
}

// ANCHOR: litmus
/// Listing 6.9's transfer, once, with no deadline: lock the first account,
/// then *try* the second. If the other thread holds it and wants this
/// thread's first lock in turn, each waits for the other: with `lock` in
/// place of `try_lock`, both would wait for ever. Record that, and back off.
/// If its flag is down, it will let go (it is finishing its transfer, or
/// backing off, or has just taken the lock and will find this thread's flag
/// up and back off): wait for it.
fn transfer(s: &Shared, me: usize, [first, second]: [usize; 2]) {
    let mut from = s.accounts[first].lock().expect("no panic holding it");
    s.wants[me].store(true, SeqCst);
    let to = match s.accounts[second].try_lock() {
        Ok(to) => Some(to),
        Err(_) if s.wants[1 - me].load(SeqCst) => None,
        Err(_) => Some(s.accounts[second].lock().expect("no panic holding it")),
    };
    s.wants[me].store(false, SeqCst);
    match to {
        Some(mut to) => (*from, *to) = (*from - 1, *to + 1),
        None => s.stuck[me].store(true, Relaxed), // dropping `from` unlocks
    }
}

/// The round's outcome: `deadlock` if a thread found its second lock held by
/// the other, which wanted this one's first; else A + B once both transfers
/// are done. Resets the accounts.
fn outcome(s: &Shared) -> String {
    let stuck = s.stuck.iter().any(|t| t.swap(false, Relaxed));
    let total: i64 = s
        .accounts
        .iter()
        .map(|account| {
            let mut balance = account.lock().expect("no panic holding it");
            std::mem::replace(&mut *balance, 100) // the next round's
        })
        .sum();
    match stuck {
        true => "deadlock".to_owned(),
        false => format!("A + B = {total}"),
    }
}
// ANCHOR_END: litmus

fn main() -> Result<()> {
    let args: litmus::Args = listings::cli::parse();
    println!("{}", listings::bench::machine()?);
    println!("each round: thread 1 locks A, then tries B; thread 2 locks its");
    println!("first account, then tries the other:");
    let (a, b) = (0, 1);
    for (name, two) in
        [("opposite orders", [b, a]), ("one global order", [a, b])]
    {
        let sh = Shared {
            accounts: [Mutex::new(100), Mutex::new(100)],
            wants: Default::default(),
            stuck: Default::default(),
        };
        let one = |s: &Shared| transfer(s, 0, [a, b]);
        let other = |s: &Shared| transfer(s, 1, two);
        let bodies: [Body<Shared>; 2] = [&one, &other];
        let counts = litmus::run(args.millis, &sh, &bodies, outcome)?;
        let known = ["A + B = 200".to_owned(), "deadlock".to_owned()];
        println!("{}", counts.report(name, &known, String::clone));
    }
    Ok(())
}
