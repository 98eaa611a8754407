use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::prctl::set_child_subreaper;
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, fork, getpid, getppid};

// ANCHOR: body
/// The grandchild: waits until its parent has died and someone else has adopted
/// it.
fn grandchild(parent: Pid, subreaper: Pid) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while getppid() == parent {
        if Instant::now() > deadline {
            bail!("grandchild: still not adopted after 10 s");
        }
        sleep(Duration::from_millis(1));
    }
    let adopter = getppid();
    println!("grandchild: parent {parent} died, adopted by {adopter}");
    println!(
        "grandchild: adopted by the subreaper? {}",
        adopter == subreaper
    );
    Ok(())
}

fn main() -> Result<()> {
    // Orphans among our descendants are adopted by us, not by init (PID 1).
    set_child_subreaper(true)
        .context("prctl(PR_SET_CHILD_SUBREAPER) failed")?;
    let subreaper = getpid();
    println!("subreaper: pid {subreaper}");

    // SAFETY: no other thread exists, so the child may run any code.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            let middle = getpid();
            // SAFETY: the middle child has one thread too: its child may run
            // any code.
            match unsafe { fork() }.context("fork failed")? {
                ForkResult::Child => match grandchild(middle, subreaper) {
                    Ok(()) => std::process::exit(0),
                    Err(e) => {
                        eprintln!("{e:#}");
                        std::process::exit(1)
                    }
                },
                ForkResult::Parent { child } => {
                    println!(
                        "middle: pid {middle}, forked {child}, \
                         exiting without waiting"
                    );
                    std::process::exit(0); // the grandchild becomes an orphan
                }
            }
        }
        ForkResult::Parent { child } => {
            let status = waitpid(child, None).context("waitpid failed")?;
            println!("subreaper: reaped the middle child: {status:?}");
        }
    }
    // The only child left is the adopted grandchild: wait for any child.
    let status = waitpid(None, None).context("waitpid failed")?;
    println!("subreaper: reaped the grandchild: {status:?}");
    Ok(())
}
// ANCHOR_END: body
