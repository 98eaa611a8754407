use anyhow::{Context, Result};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

fn main() -> Result<()> {
    let mut counter: u64 = 1;
    let address = &counter as *const u64;
    println!("before fork: counter = {counter} at {address:p}");

    // SAFETY: no other thread exists yet: the child may use anything, including println!.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            counter += 100;
            println!(
                "child:  counter = {counter} at {:p}",
                &counter as *const u64
            );
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            waitpid(child, None).context("waitpid failed")?;
            // The child has finished changing its copy; ours is untouched.
            println!(
                "parent: counter = {counter} at {:p}",
                &counter as *const u64
            );
        }
    }
    Ok(())
}
