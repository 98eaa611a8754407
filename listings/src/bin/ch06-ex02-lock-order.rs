use std::sync::{Mutex, MutexGuard};
use std::thread;

use anyhow::{Result, anyhow, ensure};

const ACCOUNTS: usize = 4;
const ROUNDS: usize = 20_000;

/// Locks two different accounts in one global order, the lower index first,
/// whichever way the money goes. Returns the guards as (from, to).
fn lock_pair(
    accounts: &[Mutex<i64>],
    from: usize,
    to: usize,
) -> (MutexGuard<'_, i64>, MutexGuard<'_, i64>) {
    let lock = |i: usize| accounts[i].lock().expect("no panic holding it");
    if from < to {
        let f = lock(from);
        (f, lock(to))
    } else {
        let t = lock(to);
        (lock(from), t)
    }
}

fn main() -> Result<()> {
    let accounts: Vec<Mutex<i64>> =
        (0..ACCOUNTS).map(|_| Mutex::new(1_000)).collect();
    let accounts = &accounts;
    let done: Vec<usize> = thread::scope(|s| {
        // Thread t moves money between accounts t and t + 1 (mod 4), both
        // ways: a ring in which, without one order, a cycle of waits forms.
        let threads: Vec<_> = (0..ACCOUNTS)
            .map(|t| {
                s.spawn(move || {
                    let mut done = 0;
                    for round in 0..ROUNDS {
                        let (from, to) = if round % 2 == 0 {
                            (t, (t + 1) % ACCOUNTS)
                        } else {
                            ((t + 1) % ACCOUNTS, t)
                        };
                        let (mut payer, mut payee) =
                            lock_pair(accounts, from, to);
                        (*payer, *payee) = (*payer - 1, *payee + 1);
                        done += 1;
                    }
                    done
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().map_err(|_| anyhow!("a thread panicked")))
            .collect::<Result<_>>()
    })?;
    let mut total = 0;
    for account in accounts {
        total += *account.lock().map_err(|_| anyhow!("poisoned"))?;
    }
    ensure!(
        total == 1_000 * ACCOUNTS as i64,
        "money appeared or vanished"
    );
    println!("{ACCOUNTS} threads x {ROUNDS} transfers, in both directions");
    println!("transfers done, per thread: {done:?}");
    println!("total after all transfers: {total}");
    Ok(())
}
