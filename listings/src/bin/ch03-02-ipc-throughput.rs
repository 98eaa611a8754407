use std::cell::UnsafeCell;
use std::hint::{black_box, spin_loop};
use std::io::{self, Read, Write};
use std::num::NonZeroUsize;
use std::os::unix::net::UnixStream;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, ensure};
use clap::Parser;
use crossbeam_utils::CachePadded;
use listings::bench::{Summary, machine};
use nix::fcntl::{FcntlArg, fcntl};
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

const MSG: usize = 64 * 1024; // bytes per message
const SLOTS: usize = 4; // messages in flight in the ring: 256 KiB
const LINE: usize = 64; // bytes per cache line
const FILL: u8 = 7; // every byte of a message but its sequence number

/// Moves the same data from a producer to a consumer through a pipe, a Unix
/// socket and a ring in shared memory, each between two threads and between two
/// processes, and compares them with the producer's copies done alone.
#[derive(Parser)]
struct Args {
    /// MiB to move per run.
    #[arg(long, default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(1..=1_024))]
    mib: u64,
    /// Measured runs per case.
    #[arg(long, default_value_t = 9,
          value_parser = clap::value_parser!(u64).range(1..=1_000))]
    runs: u64,
}

/// A zeroed buffer of `len` bytes whose slice from `.1` starts on a page. Every
/// buffer here is page-aligned, like the ring's slots: on some CPUs a copy runs
/// many times slower when its destination is a few bytes past its source modulo
/// 4 KiB (on the AMD EPYC VM this was written on, 16 bytes: 50 times slower).
fn page_aligned(len: usize) -> (Vec<u8>, usize) {
    let buf = vec![0; len + 4096];
    let start = buf.as_ptr().align_offset(4096);
    (buf, start)
}

/// Writes message number `i` into its first 8 bytes.
fn stamp(msg: &mut [u8], i: usize) {
    msg[..8].copy_from_slice(&(i as u64).to_ne_bytes());
}

// ANCHOR: shown
/// The consumer's work per message: check its number, and one byte of each
/// of its other cache lines. Cheap, but it brings every line to the consumer's
/// CPU, and its result decides the exit status: the optimiser cannot drop it.
fn check(msg: &[u8], i: usize) -> bool {
    msg[..8] == (i as u64).to_ne_bytes()
        && msg.iter().step_by(LINE).skip(1).all(|&b| b == FILL)
}
// ANCHOR_END: shown

/// Waits until `ready()`: spins briefly, then yields the CPU at each try (on
/// one CPU the other side cannot run while we spin). Gives up after 10 s.
fn wait_until(ready: impl Fn() -> bool) -> io::Result<()> {
    let (mut tries, start) = (0_u32, Instant::now());
    while !ready() {
        tries += 1;
        if tries < 100 {
            spin_loop();
        } else if start.elapsed() < Duration::from_secs(10) {
            thread::yield_now();
        } else {
            return Err(io::ErrorKind::TimedOut.into());
        }
    }
    Ok(())
}

// ANCHOR: shown
/// SLOTS message slots and two counters, each on its own cache lines, so that
/// the side that writes one does not slow down the side that writes the other.
#[repr(C)]
struct Ring {
    written: CachePadded<AtomicUsize>, // messages the producer has published
    read: CachePadded<AtomicUsize>,    // messages the consumer is done with
    slots: [Slot; SLOTS],
}

/// One message's place in the ring, starting on a page like every buffer here.
#[repr(C, align(4096))]
struct Slot(UnsafeCell<[u8; MSG]>);

// SAFETY: the slots are only touched through `push` and `pop`, whose callers
// promise one producer and one consumer, each taking i = 0, 1, 2, ... in turn;
// the counters then hand each slot to one side at a time; they are atomics.
unsafe impl Sync for Ring {}

impl Ring {
    /// Producer: copies message `i` into slot `i % SLOTS` once it is free.
    ///
    /// # Safety
    /// Only one thread or process pushes, with `i` = 0, 1, 2, ... in turn.
    unsafe fn push(&self, i: usize, msg: &[u8]) -> io::Result<()> {
        // Acquire pairs with the consumer's Release of `read`: its reads of the
        // slot's old message happened before the copy below overwrites it.
        wait_until(|| i - self.read.load(Ordering::Acquire) < SLOTS)?;
        let slot = self.slots[i % SLOTS].0.get().cast::<u8>();
        // SAFETY: the consumer is done with this slot (above) and reads it
        // again only after the store below; `msg` (MSG bytes) is not in it.
        unsafe { slot.copy_from_nonoverlapping(msg[..MSG].as_ptr(), MSG) };
        // Release: the copy is visible to whoever Acquires `written` > i.
        self.written.store(i + 1, Ordering::Release);
        Ok(())
    }

    /// Consumer: lends message `i`, in place in its slot, to `f`.
    ///
    /// # Safety
    /// Only one thread or process pops, with `i` = 0, 1, 2, ... in turn.
    unsafe fn pop<T>(
        &self,
        i: usize,
        f: impl FnOnce(&[u8]) -> T,
    ) -> io::Result<T> {
        // Acquire pairs with the producer's Release: its copy is visible now.
        wait_until(|| self.written.load(Ordering::Acquire) > i)?;
        // SAFETY: message i is published (above), and the producer does not
        // overwrite its slot until it Acquires our store below.
        let out = f(unsafe { &*self.slots[i % SLOTS].0.get() });
        // Release: our reads of the slot happen before its next overwrite.
        self.read.store(i + 1, Ordering::Release);
        Ok(out)
    }
}
// ANCHOR_END: shown

/// A fresh ring in an anonymous MAP_SHARED mapping: the same memory for
/// threads, and for a forked child too.
struct SharedRing(NonNull<Ring>);

impl SharedRing {
    fn new() -> Result<Self> {
        let len = NonZeroUsize::new(size_of::<Ring>()).context("empty ring")?;
        // SAFETY: a fresh anonymous mapping overlaps nothing.
        let map = unsafe {
            mmap_anonymous(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
            )
        }
        .context("mmap failed")?;
        Ok(SharedRing(map.cast()))
    }

    fn ring(&self) -> &Ring {
        // SAFETY: the mapping is page-aligned and zero-filled, which is a valid
        // Ring (counters at 0), and stays mapped until `self` is dropped, which
        // the borrow of `self` prevents while the reference lives.
        unsafe { self.0.as_ref() }
    }
}

impl Drop for SharedRing {
    fn drop(&mut self) {
        // SAFETY: no reference from `ring()` outlives `self`; a forked child
        // has its own mapping of the pages, unaffected by this munmap.
        let _ = unsafe { munmap(self.0.cast(), size_of::<Ring>()) };
    }
}

// ANCHOR: shown
/// Producer over a byte stream: one `write` system call per message.
fn send(mut to: impl Write, n: usize) -> io::Result<()> {
    let (mut buf, at) = page_aligned(MSG);
    let msg = &mut buf[at..][..MSG];
    msg.fill(FILL);
    for i in 0..n {
        stamp(msg, i);
        to.write_all(msg)?;
    }
    Ok(())
}

/// Consumer over a byte stream: `read` copies each message into `buf`.
fn receive(mut from: impl Read, n: usize) -> bool {
    let (mut buf, at) = page_aligned(MSG);
    let buf = &mut buf[at..][..MSG];
    (0..n).all(|i| from.read_exact(buf).is_ok() && check(buf, i))
}
// ANCHOR_END: shown

/// Producer over the ring: one copy per message, into the ring.
fn push_all(ring: &Ring, n: usize) -> io::Result<()> {
    let (mut buf, at) = page_aligned(MSG);
    let msg = &mut buf[at..][..MSG];
    msg.fill(FILL);
    for i in 0..n {
        stamp(msg, i);
        // SAFETY: main runs one push_all and one pop_all on each fresh ring,
        // and i counts up from 0.
        unsafe { ring.push(i, msg) }?;
    }
    Ok(())
}

/// Consumer over the ring: copies each message out of its slot, as `read`
/// does out of the kernel, frees the slot, then checks the copy. It takes every
/// message even after a bad one, so that the producer never waits in vain.
fn pop_all(ring: &Ring, n: usize) -> bool {
    let (mut buf, at) = page_aligned(MSG);
    let buf = &mut buf[at..][..MSG];
    let mut good = true;
    for i in 0..n {
        // SAFETY: main runs one push_all and one pop_all on each fresh ring,
        // and i counts up from 0.
        match unsafe { ring.pop(i, |msg| buf.copy_from_slice(msg)) } {
            Ok(()) => good &= check(buf, i),
            Err(_) => return false,
        }
    }
    good
}

/// The yardstick: one side's copies alone. One thread copies each message, as
/// the producer does, from its 64 KiB buffer into the next of SLOTS slots of a
/// 256 KiB buffer: the same bytes through the same cache-sized memory as the
/// ring, with no second side to wait for or to hand the lines to.
fn copy_only(n: usize) -> Duration {
    let (mut src, from) = page_aligned(MSG);
    let (mut dst, to) = page_aligned(SLOTS * MSG);
    let (src, dst) = (&mut src[from..][..MSG], &mut dst[to..][..SLOTS * MSG]);
    src.fill(FILL);
    dst.fill(1); // so that no page is first touched while timed
    let start = Instant::now();
    for i in 0..n {
        stamp(src, i);
        let slot = &mut dst[(i % SLOTS) * MSG..][..MSG];
        slot.copy_from_slice(black_box(&*src));
        black_box(&mut *slot);
    }
    start.elapsed()
}

/// Consumer in a second thread, producer in this one. Timed from the spawn to
/// the join.
fn threads<C: Send, P>(
    (consumer_end, producer_end): (C, P),
    consume: impl FnOnce(C) -> bool + Send,
    produce: impl FnOnce(P) -> io::Result<()>,
) -> Result<Duration> {
    let start = Instant::now();
    let (sent, received) = thread::scope(|s| {
        let consumer = s.spawn(move || consume(consumer_end));
        let sent = produce(producer_end); // drops its end: EOF for a stream
        (sent, consumer.join())
    });
    let elapsed = start.elapsed();
    sent.context("producer failed")?;
    let ok = received.map_err(|_| anyhow!("consumer panicked"))?;
    ensure!(ok, "consumer saw bad data");
    Ok(elapsed)
}

/// Consumer in a forked child, producer in this process. Timed from the fork to
/// the child's exit, which is reaped on every path.
fn processes<C, P>(
    (consumer_end, producer_end): (C, P),
    consume: impl FnOnce(C) -> bool,
    produce: impl FnOnce(P) -> io::Result<()>,
) -> Result<Duration> {
    let start = Instant::now();
    // SAFETY: this process has no other thread here (the thread cases join
    // theirs before returning), so the child may run any code; it ends with
    // _exit, which skips the exit-time work that belongs to the parent.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            drop(producer_end); // else a stream's reader never sees EOF
            let code = if consume(consumer_end) { 0 } else { 1 };
            // SAFETY: _exit ends the process at once; nothing runs after it.
            unsafe { nix::libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            drop(consumer_end);
            let sent = produce(producer_end);
            if sent.is_err() {
                let _ = kill(child, Signal::SIGKILL); // it may wait for more
            }
            let status = waitpid(child, None).context("waitpid failed")?;
            let elapsed = start.elapsed();
            sent.context("producer failed")?;
            ensure!(
                status == WaitStatus::Exited(child, 0),
                "consumer failed: {status:?}"
            );
            Ok(elapsed)
        }
    }
}

/// One case: a name, and one timed transfer of `n` messages.
type Case = (&'static str, Box<dyn Fn(usize) -> Result<Duration>>);

fn cases() -> Vec<Case> {
    vec![
        ("copy alone, 1 thread", Box::new(|n| Ok(copy_only(n)))),
        (
            "pipe, 2 threads",
            Box::new(|n| {
                let ends = io::pipe().context("pipe failed")?;
                threads(ends, |rx| receive(rx, n), |tx| send(tx, n))
            }),
        ),
        (
            "pipe, 2 processes",
            Box::new(|n| {
                let ends = io::pipe().context("pipe failed")?;
                processes(ends, |rx| receive(rx, n), |tx| send(tx, n))
            }),
        ),
        (
            "pipe of 1 MiB, 2 processes",
            Box::new(|n| {
                let ends = io::pipe().context("pipe failed")?;
                fcntl(&ends.1, FcntlArg::F_SETPIPE_SZ(1 << 20))
                    .context("F_SETPIPE_SZ failed")?;
                processes(ends, |rx| receive(rx, n), |tx| send(tx, n))
            }),
        ),
        (
            "Unix socket, 2 threads",
            Box::new(|n| {
                let ends = UnixStream::pair().context("socketpair failed")?;
                threads(ends, |rx| receive(rx, n), |tx| send(tx, n))
            }),
        ),
        (
            "Unix socket, 2 processes",
            Box::new(|n| {
                let ends = UnixStream::pair().context("socketpair failed")?;
                processes(ends, |rx| receive(rx, n), |tx| send(tx, n))
            }),
        ),
        (
            "shared ring, 2 threads",
            Box::new(|n| {
                let shared = SharedRing::new()?;
                let ring = shared.ring();
                threads((ring, ring), |r| pop_all(r, n), |r| push_all(r, n))
            }),
        ),
        (
            "shared ring, 2 processes",
            Box::new(|n| {
                let shared = SharedRing::new()?;
                let ring = shared.ring();
                processes((ring, ring), |r| pop_all(r, n), |r| push_all(r, n))
            }),
        ),
    ]
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    let n = ((args.mib as usize) << 20) / MSG;
    println!("{}", machine()?);
    println!(
        "{} MiB in {} KiB messages, ring of {} KiB; {} runs per case, \
         interleaved",
        args.mib,
        MSG >> 10,
        (SLOTS * MSG) >> 10,
        args.runs
    );
    let cases = cases();
    let mut samples = vec![Vec::new(); cases.len()];
    for run in 0..=args.runs {
        for ((_, once), times) in cases.iter().zip(&mut samples) {
            let elapsed = once(n)?;
            if run > 0 {
                times.push(elapsed); // run 0 warms up
            }
        }
    }
    let rate = |s: &Summary| (n * MSG) as f64 / s.median.as_secs_f64();
    let summaries: Vec<_> = samples.into_iter().map(Summary::of).collect();
    let limit = rate(&summaries[0]);
    for ((name, _), summary) in cases.iter().zip(&summaries) {
        println!(
            "{name:<28} {:>6.2} GiB/s {:>5.2}x the copy ({summary})",
            rate(summary) / f64::from(1 << 30),
            rate(summary) / limit
        );
    }
    Ok(())
}
