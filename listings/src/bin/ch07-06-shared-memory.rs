use std::cell::UnsafeCell;
use std::io::{ErrorKind, IoSlice, IoSliceMut, Read};
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result, bail};
use clap::Parser;
use nix::fcntl::{FcntlArg, SealFlag, fcntl};
use nix::libc;
use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::mman::{MapFlags, ProtFlags, mmap};
use nix::sys::socket::{self, ControlMessage, ControlMessageOwned, MsgFlags};

/// Two processes share a memfd: a writer that crashes half-way, a reader.
#[derive(Parser)]
struct Args {
    /// Internal: run as the writer, with a socket as standard input.
    #[arg(long, hide = true)]
    writer: bool,
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

/// The seals the reader sets: the size is fixed for good (fcntl(2)).
const SEALS: SealFlag = SealFlag::F_SEAL_SHRINK
    .union(SealFlag::F_SEAL_GROW)
    .union(SealFlag::F_SEAL_SEAL);

/// Maps the memfd shared, as the `Shared` it holds. Only a sealed memfd:
/// one that a peer could shrink would make our accesses raise SIGBUS.
fn map(fd: &OwnedFd) -> Result<&'static Shared> {
    let seals = fcntl(fd, FcntlArg::F_GET_SEALS).context("F_GET_SEALS")?;
    if !SealFlag::from_bits_truncate(seals).contains(SEALS) {
        bail!("the memfd is not sealed against resizing");
    }
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

/// True once the reader's end of the socket is closed: it has gone.
fn reader_gone(mut sock: &UnixStream) -> bool {
    match sock.read(&mut [0_u8]) {
        Err(e) if e.kind() == ErrorKind::WouldBlock => false,
        _ => true, // end of file (or an error): no one to write for
    }
}

// ANCHOR: writer-and-reader
fn writer() -> Result<()> {
    // Our standard input is our end of the reader's socket pair.
    let stdin = std::io::stdin().as_fd().try_clone_to_owned();
    let sock = UnixStream::from(stdin.context("no standard input")?);
    let shared = map(&recv_fd(&sock)?)?;
    sock.set_nonblocking(true).context("nonblocking")?;
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
            // No core dump, whatever core_pattern says (prctl(2)).
            nix::sys::prctl::set_dumpable(false).context("prctl")?;
            std::process::abort(); // ...and the writer crashes, lock held
        }
        write_record(shared, text.as_bytes(), text.len());
        unlock(shared);
        shared.posted.store(u32::from(i), Ordering::Release);
        futex_wake(&shared.posted);
        while shared.taken.load(Ordering::Acquire) < u32::from(i) {
            if reader_gone(&sock) {
                bail!("the reader has gone"); // do not wait for ever
            }
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
// ANCHOR_END: writer-and-reader

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
        MsgFlags::MSG_CMSG_CLOEXEC, // close-on-exec from the start
    )
    .context("recvmsg")?;
    let mut received = Vec::new();
    for cmsg in msg.cmsgs().context("bad control message")? {
        if let ControlMessageOwned::ScmRights(fds) = cmsg {
            // SAFETY: the kernel just installed these descriptors for us,
            // and nothing else owns them.
            let owned =
                fds.iter().map(|&fd| unsafe { OwnedFd::from_raw_fd(fd) });
            received.extend(owned);
        }
    }
    if msg.flags.contains(MsgFlags::MSG_CTRUNC) {
        bail!("descriptors truncated (MSG_CTRUNC): the kernel closed them");
    }
    match <[OwnedFd; 1]>::try_from(received) {
        Ok([fd]) => Ok(fd),
        Err(fds) => bail!("expected one descriptor, got {}", fds.len()),
    }
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
    if args.writer {
        return writer();
    }
    let flags = MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING;
    let memfd =
        memfd_create(c"book-shared", flags).context("memfd_create failed")?;
    nix::unistd::ftruncate(&memfd, size_of::<Shared>() as i64)
        .context("ftruncate failed")?;
    fcntl(&memfd, FcntlArg::F_ADD_SEALS(SEALS)).context("F_ADD_SEALS")?;
    let shared = map(&memfd)?;
    init_robust_lock(shared)?;
    // A socket pair, not a name: only the writer gets the other end.
    let (sock, theirs) = UnixStream::pair().context("socketpair failed")?;
    let exe = std::env::current_exe().context("cannot find myself")?;
    let mut writer = Writer(
        Command::new(exe)
            .arg("--writer")
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .spawn()
            .context("cannot start the writer")?,
    );
    send_fd(&sock, memfd.as_raw_fd())?;
    println!(
        "reader: sent a sealed memfd of {} bytes to the writer",
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
