use std::process::Command;

use anyhow::{Context, Result};
use nix::errno::Errno;
use nix::sys::signal::{SigHandler, Signal, signal};

fn main() -> Result<()> {
    // SAFETY: SIG_IGN installs no handler code.
    unsafe { signal(Signal::SIGCHLD, SigHandler::SigIgn) }
        .context("signal failed")?;
    let mut child = Command::new("true").spawn().context("cannot run true")?;
    let pid = child.id();
    match child.wait() {
        Ok(status) => println!("Child::wait: {status}"),
        Err(e) => {
            let errno = Errno::from_raw(e.raw_os_error().unwrap_or(0));
            println!("Child::wait failed: {errno:?} ({e})");
        }
    }
    let gone = !std::path::Path::new(&format!("/proc/{pid}")).exists();
    println!("/proc/{pid} gone: {gone}, reaped by the kernel, not by us");
    Ok(())
}
