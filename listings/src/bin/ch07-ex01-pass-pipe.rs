use std::io::{ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::process::{Child, Command};

use anyhow::{Context, Result, bail};
use clap::Parser;
use nix::sys::socket::{
    ControlMessage, ControlMessageOwned, MsgFlags, getsockopt, recvmsg,
    sendmsg, sockopt::PeerCredentials,
};

/// Passes the read end of a pipe to another program over a Unix socket.
#[derive(Parser)]
struct Args {
    /// Internal: run as the receiver, connecting to this abstract socket.
    #[arg(long, hide = true)]
    receive: Option<String>,
}

fn receive(name: &str) -> Result<()> {
    let addr = SocketAddr::from_abstract_name(name).context("bad name")?;
    let sock = UnixStream::connect_addr(&addr).context("connect failed")?;
    let mut byte = [0_u8];
    let mut iov = [IoSliceMut::new(&mut byte)];
    let mut space = nix::cmsg_space!(RawFd);
    let flags = MsgFlags::MSG_CMSG_CLOEXEC;
    let msg =
        recvmsg::<()>(sock.as_raw_fd(), &mut iov, Some(&mut space), flags)
            .context("recvmsg failed")?;
    if msg.flags.contains(MsgFlags::MSG_CTRUNC) {
        bail!("descriptors truncated (MSG_CTRUNC)");
    }
    let Some(ControlMessageOwned::ScmRights(fds)) =
        msg.cmsgs().context("bad control message")?.next()
    else {
        bail!("no descriptor came");
    };
    let [fd] = fds[..] else {
        bail!("expected one descriptor, got {}", fds.len());
    };
    // SAFETY: the kernel just installed this descriptor for us.
    let mut pipe = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let mut text = String::new();
    pipe.read_to_string(&mut text)
        .context("cannot read the pipe")?;
    println!("receiver (pid {}): read {text:?}", std::process::id());
    Ok(())
}

/// Accepts the receiver's connection, unless it ends first. Anyone may
/// connect to an abstract name (unix(7)): check who did, by SO_PEERCRED.
fn accept(listener: &UnixListener, receiver: &mut Child) -> Result<UnixStream> {
    listener.set_nonblocking(true).context("nonblocking")?;
    loop {
        match listener.accept() {
            Ok((sock, _)) => {
                let peer = getsockopt(&sock, PeerCredentials)
                    .context("SO_PEERCRED")?;
                if u32::try_from(peer.pid()).ok() != Some(receiver.id()) {
                    bail!("pid {} connected, not the receiver", peer.pid());
                }
                sock.set_nonblocking(false).context("blocking")?;
                return Ok(sock);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if let Some(s) = receiver.try_wait().context("waitpid")? {
                    bail!("the receiver ended before connecting: {s}");
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(e).context("accept failed"),
        }
    }
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    if let Some(name) = args.receive {
        return receive(&name);
    }
    let name = format!("book-ch07-ex01-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(&name).context("bad name")?;
    let listener = UnixListener::bind_addr(&addr).context("bind failed")?;
    let exe = std::env::current_exe().context("cannot find myself")?;
    // The receiver inherits no pipe: std's pipes are close-on-exec.
    let (read_end, mut write_end) = std::io::pipe().context("pipe failed")?;
    let mut receiver = Command::new(exe)
        .args(["--receive", &name])
        .spawn()
        .context("cannot start the receiver")?;
    let accepted = accept(&listener, &mut receiver);
    // No one else may connect now, and no connection waits in the queue.
    drop(listener);
    let sent = accepted.and_then(|s| {
        let fds = [read_end.as_raw_fd()];
        let cmsg = [ControlMessage::ScmRights(&fds)];
        let iov = [IoSlice::new(b"p")];
        sendmsg::<()>(s.as_raw_fd(), &iov, &cmsg, MsgFlags::empty(), None)
            .context("sendmsg failed")
    });
    drop(read_end); // the receiver has its own copy now
    // After a failure, a receiver that connected waits in recvmsg for a
    // descriptor that will never come: kill it, or the wait never ends.
    let killed = match &sent {
        Err(_) => receiver.kill().context("kill"),
        Ok(_) => Ok(()),
    };
    // Written after the pass, through our end of the pipe.
    let written = sent.and_then(|_| {
        write_end
            .write_all(b"sent through the pipe")
            .context("write")
    });
    drop(write_end); // end of file for the receiver
    let status = receiver.wait().context("waitpid failed")?;
    killed?;
    written?;
    println!(
        "sender (pid {}): receiver ended: {status}",
        std::process::id()
    );
    Ok(())
}
