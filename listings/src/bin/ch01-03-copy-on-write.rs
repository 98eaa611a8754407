use anyhow::{Context, Result};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};

fn main() -> Result<()> {
    let mut counter: u64 = 1;
    let mut words = vec!["hello"]; // on the heap: copied too
    println!("before fork: counter = {counter} at {:p}", &counter);

    // SAFETY: no other thread exists yet, so the child may run any code.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            counter += 41;
            words.push("from the child");
            println!(
                "child:  counter = {counter} at {:p}, words = {words:?}",
                &counter
            );
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            waitpid(child, None).context("waitpid failed")?;
            // The child has finished changing its copy; ours is untouched.
            println!(
                "parent: counter = {counter} at {:p}, words = {words:?}",
                &counter
            );
        }
    }
    Ok(())
}
