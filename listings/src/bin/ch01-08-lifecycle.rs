use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Pid, fork};

/// Polls /proc/PID/stat until the process is in `wanted` state (proc(5)).
fn wait_for_state(pid: Pid, wanted: char, meaning: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .context("cannot read /proc/PID/stat (is /proc mounted?)")?;
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim().chars().next());
        if state == Some(wanted) {
            println!("state {wanted}: {meaning}");
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("waited 10 s for state {wanted}, the child is still in {state:?}");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn main() -> Result<()> {
    let (mut reader, mut writer) = std::io::pipe().context("pipe failed")?;
    // SAFETY: no other thread exists yet; the child may use anything.
    let child = match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            // Busy until the first byte comes (running), then block reading (sleeping).
            while !poll(
                &mut [PollFd::new(reader.as_fd(), PollFlags::POLLIN)],
                PollTimeout::ZERO,
            )
            .is_ok_and(|ready| ready > 0)
            {}
            let mut byte = [0; 2];
            let _ = reader.read_exact(&mut byte);
            std::process::exit(0);
        }
        ForkResult::Parent { child } => child,
    };
    wait_for_state(child, 'R', "running (or ready to run), spinning on the CPU")?;
    writer.write_all(b"1").context("write failed")?;
    wait_for_state(child, 'S', "sleeping: waiting for the second byte")?;
    kill(child, Signal::SIGSTOP).context("SIGSTOP failed")?;
    wait_for_state(child, 'T', "stopped by SIGSTOP")?;
    kill(child, Signal::SIGCONT).context("SIGCONT failed")?;
    wait_for_state(child, 'S', "continued by SIGCONT, waiting again")?;
    writer.write_all(b"2").context("write failed")?;
    wait_for_state(child, 'Z', "terminated: a zombie until its parent reaps it")?;
    waitpid(child, None).context("waitpid failed")?;
    let gone = !std::path::Path::new(&format!("/proc/{child}")).exists();
    println!("reaped: /proc/<child> is gone: {gone}");
    Ok(())
}
