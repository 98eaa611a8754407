use std::cell::UnsafeCell;
use std::io::{ErrorKind, IoSlice, IoSliceMut};
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use nix::libc;
use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::mman::{MapFlags, ProtFlags, mmap};
use nix::sys::socket::{self, ControlMessage, ControlMessageOwned, MsgFlags};

/// Two processes share a memfd: a writer that crashes half-way, a reader.
#[derive(Parser)]
struct Args {
    /// Internal: run as the writer, connecting to this abstract socket.
    #[arg(long, hide = true)]
    writer: Option<String>,
}

/// The layout both processes map: a lock, two futex words, one record.
#[repr(C)]
struct Shared {
    lock: UnsafeCell<libc::pthread_mutex_t>, // process-shared, robust
    posted: AtomicU32, // records written so far (a futex word)
    taken: AtomicU32,  // records read so far (a futex word)
    record: UnsafeCell<[u8; 26]>, // written and read under the lock
}

/// Sleeps until `word` may have changed from `seen` (or 100 ms pass).
/// Without FUTEX_PRIVATE_FLAG: the waker is another process (futex(2)).
fn futex_wait(word: &AtomicU32, seen: u32) {
    let timeout = libc::timespec {
        tv_sec: 0,
        tv_nsec: 100_000_000,
    };
    // SAFETY: `word` is a valid, aligned u32 for the whole call; the result
    // (woken, EAGAIN, ETIMEDOUT, EINTR) is re-checked by every caller.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            seen,
            &raw const timeout,
        )
    };
}

fn futex_wake(word: &AtomicU32) {
    // SAFETY: `word` is a valid, aligned u32; waking has no other effect.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE,
            i32::MAX,
        )
    };
}

/// Maps the memfd shared, as the `Shared` it holds.
fn map(fd: &OwnedFd) -> Result<&'static Shared> {
    let len = NonZeroUsize::new(size_of::<Shared>()).context("empty")?;
    let (rw, shared) = (
        ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
        MapFlags::MAP_SHARED,
    );
    // SAFETY: a new mapping overlaps nothing of ours.
    let ptr = unsafe { mmap(None, len, rw, shared, fd, 0) }.context("mmap")?;
    // SAFETY: page-aligned, as long as `Shared`, and never unmapped (it
    // lives until the process ends); the fields are shared only through
    // atomics and the lock.
    Ok(unsafe { ptr.cast::<Shared>().as_ref() })
}

/// Copies `text` into the record; only `len` bytes of it if a crash comes.
fn write_record(shared: &Shared, text: &[u8], len: usize) {
    let dst = shared.record.get().cast::<u8>();
    // SAFETY: the caller holds the lock, so no one else touches the record;
    // len <= text.len() <= 26.
    unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), dst, len) };
}

/// Locks; 0, or EOWNERDEAD if the last owner died holding the lock.
fn lock(shared: &Shared) -> i32 {
    // SAFETY: an initialised process-shared mutex inside the mapping.
    unsafe { libc::pthread_mutex_lock(shared.lock.get()) }
}

fn unlock(shared: &Shared) {
    // SAFETY: locked by this thread.
    unsafe { libc::pthread_mutex_unlock(shared.lock.get()) };
}

// ANCHOR: writer
fn writer(name: &str) -> Result<()> {
    let addr = SocketAddr::from_abstract_name(name).context("bad name")?;
    let sock = UnixStream::connect_addr(&addr).context("connect failed")?;
    let shared = map(&recv_fd(&sock)?)?;
    for i in 1..=4_u8 {
        let text = format!(
            "record {i}: {}",
            char::from(b'0' + i).to_string().repeat(16)
        );
        if lock(shared) != 0 {
            bail!("cannot take the lock");
        }
        if i == 4 {
            write_record(shared, text.as_bytes(), 13); // half of it...
            shared.posted.store(4, Ordering::Release);
            futex_wake(&shared.posted);
            nix::sys::resource::setrlimit(
                nix::sys::resource::Resource::RLIMIT_CORE,
                0,
                0,
            )?;
            std::process::abort(); // ...and the writer crashes, lock held
        }
        write_record(shared, text.as_bytes(), text.len());
        unlock(shared);
        shared.posted.store(u32::from(i), Ordering::Release);
        futex_wake(&shared.posted);
        while shared.taken.load(Ordering::Acquire) < u32::from(i) {
            futex_wait(&shared.taken, u32::from(i) - 1); // sleep, not spin
        }
    }
    Ok(())
}

fn reader(shared: &Shared, writer: &mut Child) -> Result<()> {
    for seen in 0.. {
        while shared.posted.load(Ordering::Acquire) == seen {
            if let Some(status) = writer.try_wait().context("waitpid")? {
                bail!("the writer ended early: {status}");
            }
            futex_wait(&shared.posted, seen);
        }
        let locked = lock(shared);
        if locked != 0 && locked != libc::EOWNERDEAD {
            bail!("cannot take the lock: error {locked}");
        }
        // SAFETY: we hold the lock (EOWNERDEAD too means we hold it).
        let record = unsafe { *shared.record.get() };
        let text = String::from_utf8_lossy(&record).into_owned();
        if locked == libc::EOWNERDEAD {
            println!("reader: the lock's owner died (EOWNERDEAD): {text:?}");
            // SAFETY: we hold the lock, as EOWNERDEAD says.
            unsafe { libc::pthread_mutex_consistent(shared.lock.get()) };
            unlock(shared);
            return Ok(());
        }
        println!("reader: {text:?}");
        unlock(shared);
        shared.taken.store(seen + 1, Ordering::Release);
        futex_wake(&shared.taken);
    }
    Ok(())
}
// ANCHOR_END: writer

fn send_fd(sock: &UnixStream, fd: RawFd) -> Result<()> {
    let fds = [fd];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    let iov = [IoSlice::new(b"m")];
    socket::sendmsg::<()>(
        sock.as_raw_fd(),
        &iov,
        &cmsg,
        MsgFlags::empty(),
        None,
    )
    .context("sendmsg failed")?;
    Ok(())
}

fn recv_fd(sock: &UnixStream) -> Result<OwnedFd> {
    let mut byte = [0_u8];
    let mut iov = [IoSliceMut::new(&mut byte)];
    let mut space = nix::cmsg_space!(RawFd);
    let msg = socket::recvmsg::<()>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .context("recvmsg")?;
    for cmsg in msg.cmsgs().context("bad control message")? {
        if let ControlMessageOwned::ScmRights(fds) = cmsg {
            // SAFETY: the kernel just installed this descriptor for us.
            return Ok(unsafe { OwnedFd::from_raw_fd(fds[0]) });
        }
    }
    bail!("no descriptor came")
}

/// The writer process, killed and reaped on every way out.
struct Writer(Child);

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    if let Some(name) = args.writer {
        return writer(&name);
    }
    let memfd = memfd_create(c"book-shared", MFdFlags::MFD_CLOEXEC)
        .context("memfd_create failed")?;
    nix::unistd::ftruncate(&memfd, size_of::<Shared>() as i64)
        .context("ftruncate failed")?;
    let shared = map(&memfd)?;
    init_robust_lock(shared)?;
    // A name in the abstract namespace (unix(7)): nothing to clean up.
    let name = format!("book-ch07-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(&name).context("bad name")?;
    let listener = UnixListener::bind_addr(&addr).context("bind failed")?;
    let exe = std::env::current_exe().context("cannot find myself")?;
    let mut writer = Writer(
        Command::new(exe)
            .args(["--writer", &name])
            .spawn()
            .context("cannot start the writer")?,
    );
    listener.set_nonblocking(true).context("nonblocking")?;
    let sock = loop {
        match listener.accept() {
            Ok((sock, _)) => break sock,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if let Some(s) = writer.0.try_wait().context("waitpid")? {
                    bail!("the writer ended before connecting: {s}");
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e).context("accept failed"),
        }
    };
    sock.set_nonblocking(false).context("blocking")?;
    send_fd(&sock, memfd.as_raw_fd())?;
    println!(
        "reader: sent a {}-byte memfd to the writer",
        size_of::<Shared>()
    );
    reader(shared, &mut writer.0)?;
    let status = writer.0.wait().context("waitpid failed")?;
    println!("reader: the writer ended: {}", describe(status));
    Ok(())
}

fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal().map(nix::sys::signal::Signal::try_from) {
        Some(Ok(signal)) => format!("killed by {signal}"),
        _ => status.to_string(),
    }
}

/// A process-shared, robust mutex (pthread_mutexattr_setrobust(3)).
fn init_robust_lock(shared: &Shared) -> Result<()> {
    let mut attr = std::mem::MaybeUninit::uninit();
    let lock = shared.lock.get();
    // SAFETY: attr is initialised by the first call before any other use;
    // the mutex lies in our mapping and no other process maps it yet.
    let errors = unsafe {
        [
            libc::pthread_mutexattr_init(attr.as_mut_ptr()),
            libc::pthread_mutexattr_setpshared(
                attr.as_mut_ptr(),
                libc::PTHREAD_PROCESS_SHARED,
            ),
            libc::pthread_mutexattr_setrobust(
                attr.as_mut_ptr(),
                libc::PTHREAD_MUTEX_ROBUST,
            ),
            libc::pthread_mutex_init(lock, attr.as_ptr()),
            libc::pthread_mutexattr_destroy(attr.as_mut_ptr()),
        ]
    };
    if let Some(&e) = errors.iter().find(|&&e| e != 0) {
        bail!("cannot set up the lock: {}", nix::errno::Errno::from_raw(e));
    }
    Ok(())
}
