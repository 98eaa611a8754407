use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use nix::sys::resource::{Resource, setrlimit};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// A real invalid memory access: the kernel answers with SIGSEGV.
fn segfault() {
    // SAFETY: not safe at all, on purpose: writing through a null pointer is the crash this
    // listing demonstrates. It only ever runs in a child process.
    unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
}

/// Runs `crash` in a child process and reports how the child ended.
fn in_child(what: &str, crash: fn()) -> Result<()> {
    // SAFETY: the parent has no other thread when it forks; the child may use anything.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            // No core dump file for a crash we cause on purpose.
            let _ = setrlimit(Resource::RLIMIT_CORE, 0, 0);
            crash();
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            match waitpid(child, None).context("waitpid failed")? {
                WaitStatus::Signaled(_, signal, _) => {
                    println!("{what}: the child was killed by {signal}")
                }
                other => println!("{what}: the child ended with {other:?}"),
            }
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    in_child("a process crashes", segfault)?;
    println!("the parent is unaffected and carries on");

    in_child("a thread crashes", || {
        let survivor = thread::spawn(|| {
            thread::sleep(Duration::from_millis(500));
            println!("the other thread finished (never printed)");
        });
        thread::spawn(segfault);
        let _ = survivor.join();
        println!("the child's main thread carried on (never printed)");
    })?;
    println!("a fault in one thread took down every thread of its process");
    Ok(())
}
