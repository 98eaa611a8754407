use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::errno::Errno;
use nix::libc::{self, c_int};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::signal::{kill, sigaction};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getpid};

/// Where the handler reports that it ran: the write end of a pipe.
static HANDLED: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_usr1(_: c_int) {
    // write may set errno: keep the interrupted code's (signal-safety(7)).
    let saved = Errno::last_raw();
    let fd: RawFd = HANDLED.load(Ordering::Relaxed);
    // SAFETY: write(2) is async-signal-safe; one byte from a static.
    unsafe { libc::write(fd, b"h".as_ptr().cast(), 1) };
    Errno::set_raw(saved);
}

/// Polls /proc until `pid` sleeps (state S) in a pipe read (its wait
/// channel, where the kernel shows it), for at most 10 s.
fn wait_sleeping(pid: Pid) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
        let after = &stat[stat.rfind(')').context("bad stat")? + 1..];
        let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan"))
            .unwrap_or_default();
        let hidden = wchan.is_empty() || wchan == "0"; // not shown to us
        if after.trim_start().starts_with('S')
            && (hidden || wchan.contains("pipe_read"))
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the parent never blocked in read");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

// ANCHOR: main
/// Blocks in read(2) on an empty pipe; a child interrupts it with
/// SIGUSR1 and, once the handler has run, writes data into the pipe.
fn interrupted_read(flags: SaFlags) -> Result<String> {
    let action =
        SigAction::new(SigHandler::Handler(on_usr1), flags, SigSet::empty());
    // SAFETY: the handler only calls write(2), which is async-signal-safe.
    unsafe { sigaction(Signal::SIGUSR1, &action) }.context("sigaction")?;
    let (mut data_rx, mut data_tx) = std::io::pipe().context("pipe")?;
    let (mut handled_rx, handled_tx) = std::io::pipe().context("pipe")?;
    HANDLED.store(handled_tx.as_raw_fd(), Ordering::Relaxed);
    let parent = getpid();
    // SAFETY: no other thread exists: the child may run any code.
    let child = match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            drop(handled_tx); // only the parent's handler writes into it
            let mut steps = || -> Result<()> {
                wait_sleeping(parent)?; // the parent is blocked in read
                kill(parent, Signal::SIGUSR1)?;
                handled_rx.read_exact(&mut [0u8])?; // the handler has run
                data_tx.write_all(b"data")?;
                Ok(())
            };
            std::process::exit(i32::from(steps().is_err()));
        }
        ForkResult::Parent { child } => child,
    };
    drop(data_tx);
    let mut buf = [0u8; 16];
    let result = match data_rx.read(&mut buf) {
        Ok(n) => format!("Ok({n}): {:?}", String::from_utf8_lossy(&buf[..n])),
        Err(e) => {
            format!("Err({:?})", Errno::from_raw(e.raw_os_error().unwrap_or(0)))
        }
    };
    let status = waitpid(child, None).context("waitpid failed")?;
    // The pipe closes when we return: the handler must not write into it.
    let default = SigAction::new(SigHandler::SigDfl, flags, SigSet::empty());
    // SAFETY: restoring the default action installs no code.
    unsafe { sigaction(Signal::SIGUSR1, &default) }.context("sigaction")?;
    if status != WaitStatus::Exited(child, 0) {
        bail!("the child failed ({status:?}): the read above proves nothing");
    }
    Ok(result)
}

fn main() -> Result<()> {
    let plain = interrupted_read(SaFlags::empty())?;
    println!("handler without SA_RESTART: read returned {plain}");
    let restart = interrupted_read(SaFlags::SA_RESTART)?;
    println!("handler with SA_RESTART:    read returned {restart}");
    Ok(())
}
// ANCHOR_END: main
