use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};
use clap::Parser;
use nix::sys::socket::{
    ControlMessage, ControlMessageOwned, MsgFlags, recvmsg, sendmsg,
};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getppid};

/// Python's forkserver, small: a single-threaded server forks the workers.
#[derive(Parser)]
struct Args {
    /// Workers to ask the server for.
    #[arg(long, default_value_t = 3,
          value_parser = clap::value_parser!(u8).range(1..=50))]
    workers: u8,
    /// Internal: run as the fork server, its control socket on stdin.
    #[arg(long, hide = true)]
    server: bool,
}

/// The `Threads:` line of /proc/self/status (proc(5)).
fn threads() -> Result<String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("cannot read /proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("Threads:"));
    Ok(line.context("no Threads line")?[8..].trim().to_owned())
}

/// Sends one byte and a file descriptor (SCM_RIGHTS, unix(7)).
fn send_fd(sock: &UnixStream, byte: u8, fd: BorrowedFd) -> Result<()> {
    let fds = [fd.as_raw_fd()];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    let byte = [byte];
    let iov = [IoSlice::new(&byte)];
    sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None)
        .context("sendmsg failed")?;
    Ok(())
}

/// Receives what `send_fd` sent; `None` at end of file.
fn recv_fd(sock: &UnixStream) -> Result<Option<(u8, OwnedFd)>> {
    let mut byte = [0_u8];
    let mut iov = [IoSliceMut::new(&mut byte)];
    let mut space = nix::cmsg_space!(RawFd);
    // Close-on-exec, as every descriptor should be; the workers never exec,
    // though: what keeps each from inheriting the others' sockets is that
    // the server closes its copy after each fork.
    let flags = MsgFlags::MSG_CMSG_CLOEXEC;
    let msg =
        recvmsg::<()>(sock.as_raw_fd(), &mut iov, Some(&mut space), flags)
            .context("recvmsg failed")?;
    if msg.bytes == 0 {
        return Ok(None);
    }
    if msg.flags.contains(MsgFlags::MSG_CTRUNC) {
        bail!("descriptors truncated (MSG_CTRUNC)");
    }
    for cmsg in msg.cmsgs().context("bad control message")? {
        if let ControlMessageOwned::ScmRights(fds) = cmsg {
            let [fd] = fds[..] else {
                bail!("expected one descriptor, got {}", fds.len());
            };
            // SAFETY: the kernel just installed this descriptor for us.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            return Ok(Some((byte[0], fd)));
        }
    }
    bail!("a request without a descriptor")
}

// ANCHOR: server
/// The server: receives (task, socket) requests and forks a worker for each.
fn server() -> Result<()> {
    let control = std::io::stdin().as_fd().try_clone_to_owned();
    let control = UnixStream::from(control.context("no control socket")?);
    let null = std::fs::File::open("/dev/null").context("/dev/null")?;
    nix::unistd::dup2_stdin(null).context("dup2")?; // one copy: `control`
    let (mut workers, mut ended) = (Vec::new(), Vec::new());
    while let Some((task, conn)) = recv_fd(&control)? {
        reap_finished(&mut ended)?; // zombies do not pile up
        let threads = threads()?;
        // SAFETY: the server is a fresh exec of this program and starts no
        // thread, so it is single-threaded: the child may run any code.
        match unsafe { fork() }.context("fork failed")? {
            ForkResult::Child => {
                let answer = format!(
                    "worker pid {}, child of the server (pid {}, {threads} \
                     thread at fork): {task}² = {}\n",
                    std::process::id(),
                    getppid(),
                    u32::from(task).pow(2)
                );
                drop(control); // a worker must not keep the server's socket
                let mut conn = UnixStream::from(conn);
                let code =
                    i32::from(conn.write_all(answer.as_bytes()).is_err());
                std::process::exit(code);
            }
            // Close our copy now: later workers must not inherit it.
            ForkResult::Parent { child } => workers.push(child),
        }
    }
    // The parent closed the control socket: reap the rest, then report.
    for &pid in &workers {
        if !ended.iter().any(|s: &WaitStatus| s.pid() == Some(pid)) {
            ended.push(waitpid(pid, None).context("waitpid failed")?);
        }
    }
    for pid in workers {
        match ended.iter().find(|s| s.pid() == Some(pid)) {
            Some(WaitStatus::Exited(pid, code)) => {
                println!("fork server: reaped worker {pid}, exit code {code}")
            }
            other => println!("fork server: reaped {other:?}"),
        }
    }
    Ok(())
}
// ANCHOR_END: server

/// Reaps every worker that has ended, without waiting (waitpid(2)).
fn reap_finished(ended: &mut Vec<WaitStatus>) -> Result<()> {
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return Ok(()),
            Ok(status) => ended.push(status),
            Err(nix::errno::Errno::ECHILD) => return Ok(()), // none left
            Err(e) => return Err(e).context("waitpid failed"),
        }
    }
}

fn ask(control: &UnixStream, workers: u8) -> Result<()> {
    for task in 1..=workers {
        let (mut mine, theirs) = UnixStream::pair().context("socketpair")?;
        send_fd(control, task, theirs.as_fd())?;
        drop(theirs); // only the worker holds the other end now
        let mut answer = String::new();
        mine.read_to_string(&mut answer).context("no answer")?;
        print!("{answer}");
    }
    Ok(())
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    if args.server {
        return server();
    }
    // Start the server before the helper threads: a spawn is safe with
    // threads, but the server then inherits no descriptor they open
    // without close-on-exec.
    let (control, theirs) = UnixStream::pair().context("socketpair failed")?;
    let exe = std::env::current_exe().context("cannot find myself")?;
    let mut server = Command::new(exe)
        .arg("--server")
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .spawn()
        .context("cannot start the fork server")?;
    let quit = AtomicBool::new(false);
    let asked = std::thread::scope(|s| {
        // Now the parent grows threads, as real programs do.
        let helpers: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    while !quit.load(Ordering::Acquire) {
                        std::thread::park();
                    }
                })
            })
            .collect();
        let asked = threads().and_then(|n| {
            println!("parent pid {}: {n} threads", std::process::id());
            ask(&control, args.workers)
        });
        quit.store(true, Ordering::Release);
        helpers.iter().for_each(|h| h.thread().unpark());
        asked // every helper is joined when the scope ends
    });
    drop(control); // end of file for the server
    let status = server.wait().context("cannot wait for the server")?;
    asked?;
    println!("fork server ended: {status}");
    Ok(())
}
