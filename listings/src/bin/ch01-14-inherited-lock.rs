use std::io::pipe;
use std::sync::{Mutex, TryLockError, TryLockResult, mpsc};
use std::thread;

use anyhow::{Context, Result, bail};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, read};

// ANCHOR: body
/// 1 if the lock was held by someone else, 0 if this thread got it.
fn held<T>(attempt: TryLockResult<T>) -> i32 {
    matches!(attempt, Err(TryLockError::WouldBlock)) as i32
}

fn main() -> Result<()> {
    let data = Mutex::new(0_u64);
    thread::scope(|s| -> Result<()> {
        let (locked, is_locked) = mpsc::channel();
        // Dropped on every way out of this closure: the worker then ends.
        let (release, released) = mpsc::channel::<()>();
        let data = &data;
        s.spawn(move || {
            if let Ok(mut guard) = data.lock() {
                *guard += 1;
                let _ = locked.send(());
                let _ = released.recv(); // hold the lock until told
            }
        });
        is_locked
            .recv()
            .context("the worker could not take the lock")?;
        println!("worker: holds the lock");

        let (reader, writer) = pipe().context("pipe failed")?;
        // SAFETY: two threads. The child only calls async-signal-safe
        // code: try_lock (one atomic compare-and-swap: no allocation, no
        // system call, no waiting), read, close and _exit.
        let child = match unsafe { fork() }.context("fork failed")? {
            ForkResult::Child => {
                drop(writer);
                let before = held(data.try_lock());
                let _ = read(&reader, &mut [0u8; 1]); // EOF after release
                let after = held(data.try_lock());
                // SAFETY: _exit is async-signal-safe.
                unsafe { nix::libc::_exit(10 + 2 * before + after) }
            }
            ForkResult::Parent { child } => child,
        };
        drop(reader);
        drop(release); // the worker unlocks and ends
        let value = *data.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        println!("parent: worker released it; lock() -> Ok, value {value}");
        drop(writer); // EOF: the child tries again, after the release
        let code = match waitpid(child, None).context("waitpid failed")? {
            WaitStatus::Exited(_, code @ 10..=13) => code - 10,
            other => bail!("the child ended otherwise: {other:?}"),
        };
        let show = |held| if held { "WouldBlock" } else { "Ok" };
        println!("child:  try_lock() before -> {}", show(code & 2 != 0));
        println!("child:  try_lock() after  -> {}", show(code & 1 != 0));
        Ok(())
    })
}
// ANCHOR_END: body
