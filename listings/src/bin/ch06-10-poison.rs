use std::sync::Mutex;
use std::thread;

use anyhow::Result;

/// Two accounts that should always sum to 200.
#[derive(Debug)]
struct Accounts {
    a: i64,
    b: i64,
}

fn main() -> Result<()> {
    let accounts = Mutex::new(Accounts { a: 100, b: 100 });
    let crashed = thread::scope(|s| {
        s.spawn(|| {
            let mut guard = accounts.lock().expect("not poisoned yet");
            guard.a -= 50;
            // Dies halfway through: the guard is dropped during unwinding,
            // which unlocks the Mutex and marks it poisoned.
            let amounts: Vec<i64> = Vec::new();
            guard.b += amounts[0];
        })
        .join()
        .is_err()
    });
    println!("the updating thread panicked: {crashed}");
    println!("is_poisoned(): {}", accounts.is_poisoned());
    match accounts.lock() {
        Ok(guard) => println!("lock() -> Ok: {guard:?}"),
        Err(poisoned) => {
            // The lock is held now; the data is reachable, possibly broken.
            let guard = poisoned.into_inner();
            println!("lock() -> Err(PoisonError), data: {guard:?}");
            println!("a + b = {}, not 200: repair it", guard.a + guard.b);
        }
    }
    let mut guard = accounts.lock().unwrap_or_else(|p| p.into_inner());
    guard.b += 50; // the repair
    drop(guard);
    accounts.clear_poison(); // declare the data consistent again
    let guard = accounts.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    println!("after repair and clear_poison(): lock() -> Ok: {guard:?}");
    Ok(())
}
