use std::sync::{RwLock, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};

/// What a try_read() or try_write() would do now.
fn attempt<G>(result: Result<G, TryLockError<G>>) -> &'static str {
    match result {
        Ok(_) => "Ok (granted)",
        Err(TryLockError::WouldBlock) => "WouldBlock",
        Err(TryLockError::Poisoned(_)) => "Poisoned",
    }
}

fn main() -> Result<()> {
    let lock = RwLock::new(vec![1, 2, 3]);
    let first = lock.read().map_err(|_| anyhow!("poisoned"))?;
    println!("one reader holds the lock:");
    println!("  a second try_read():  {}", attempt(lock.try_read()));
    println!("  a try_write():        {}", attempt(lock.try_write()));

    thread::scope(|s| {
        let writer = s.spawn(|| {
            lock.write().map_err(|_| anyhow!("poisoned"))?.push(4);
            Ok::<_, anyhow::Error>(())
        });
        // Poll until a new reader is refused: the writer is then queued.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut refused = false;
        while !refused && Instant::now() < deadline {
            refused = lock.try_read().is_err();
            thread::sleep(Duration::from_millis(1));
        }
        println!("a writer is waiting (blocked in write()):");
        println!("  a second try_read():  {}", attempt(lock.try_read()));
        drop(first); // the last reader leaves: the writer goes first
        writer
            .join()
            .map_err(|_| anyhow!("the writer panicked"))??;
        if !refused {
            bail!("new readers were never refused within 5 s");
        }
        Ok::<_, anyhow::Error>(())
    })?;
    let data = lock.read().map_err(|_| anyhow!("poisoned"))?;
    println!("after the writer: {data:?}");
    Ok(())
}
