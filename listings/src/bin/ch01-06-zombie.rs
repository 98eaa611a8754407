use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, fork};

/// The state letter of a process, from /proc/PID/stat (proc(5)): R, S, D, T, Z...
fn state(pid: Pid) -> Result<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat (is /proc mounted?)"))?;
    // The command name, in parentheses, may contain spaces: the state follows the last ')'.
    let after_name = stat.rsplit_once(')').context("odd /proc stat line")?.1;
    after_name
        .trim_start()
        .chars()
        .next()
        .context("no state field")
}

fn main() -> Result<()> {
    // SAFETY: no other thread exists yet; the child only calls _exit.
    let child = match unsafe { fork() }.context("fork failed")? {
        // SAFETY: _exit is async-signal-safe and ends the child immediately.
        ForkResult::Child => unsafe { nix::libc::_exit(7) },
        ForkResult::Parent { child } => child,
    };
    // The child exits at once, but stays in the process table until we reap it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while state(child)? != 'Z' {
        if Instant::now() > deadline {
            bail!("the child never became a zombie");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    println!(
        "the child has exited; its state is {:?}: a zombie",
        state(child)?
    );
    println!(
        "waitpid: {:?}",
        waitpid(child, None).context("waitpid failed")?
    );
    let gone = !std::path::Path::new(&format!("/proc/{child}")).exists();
    println!("after waitpid, /proc/<child> is gone: {gone}");
    Ok(())
}
