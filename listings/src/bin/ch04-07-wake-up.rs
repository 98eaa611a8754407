use std::hint::spin_loop;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use listings::bench::{allowed_cpus, machine, pin_to, repeat_interleaved};

/// Round trips between two threads: blocking on one CPU, blocking on two,
/// spinning on two.
#[derive(Parser)]
struct Args {
    /// Round trips per measured run.
    #[arg(long, default_value_t = 5_000,
          value_parser = clap::value_parser!(u32).range(10..=10_000_000))]
    trips: u32,
    /// Measured runs of each case.
    #[arg(long, default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=1_000))]
    runs: u64,
}

/// The idle driver of the kernel (cpuidle): how an idle CPU waits.
fn idle_driver() -> String {
    std::fs::read_to_string("/sys/devices/system/cpu/cpuidle/current_driver")
        .map_or_else(|_| "unknown".to_owned(), |s| s.trim().to_owned())
}

// ANCHOR: main
/// Waits until `turn` is `mine` modulo 2, asleep until woken (`block`) or
/// spinning (yielding now and then, so that one CPU also works). False if
/// the other thread gave up.
fn wait_for(
    turn: &AtomicU64,
    stop: &AtomicBool,
    mine: u64,
    block: bool,
) -> bool {
    let mut spins = 0_u32;
    while turn.load(Relaxed) % 2 != mine {
        if stop.load(Relaxed) {
            return false;
        } else if block {
            thread::park(); // returns at once if already unparked
        } else if spins < 1_000 {
            spins += 1;
            spin_loop();
        } else {
            thread::yield_now();
        }
    }
    true
}

/// Plays `trips` round trips as player `me` (0 or 1) on `cpu`: waits for
/// its turn, passes the turn to `peer` by incrementing the counter.
fn player(
    me: u64,
    cpu: usize,
    peer: Thread,
    shared: &Shared,
) -> Result<Duration> {
    let (turn, stop) = (&shared.turn, &shared.stop);
    if let Err(e) = pin_to(cpu) {
        stop.store(true, Relaxed); // tell the peer not to wait for us
        peer.unpark();
        return Err(e);
    }
    let start = Instant::now();
    for _ in 0..shared.trips {
        if !wait_for(turn, stop, me, shared.block) {
            bail!("the other thread stopped");
        }
        turn.fetch_add(1, Relaxed);
        peer.unpark();
    }
    Ok(start.elapsed())
}

// ANCHOR_END: main

struct Shared {
    turn: AtomicU64,
    stop: AtomicBool,
    block: bool,
    trips: u32,
}

/// One run: the time of one round trip between players on `cpus`.
fn play(cpus: [usize; 2], block: bool, trips: u32) -> Result<Duration> {
    let shared = Shared {
        turn: 0.into(),
        stop: false.into(),
        block,
        trips,
    };
    let (to_0, peer_of_0) = mpsc::channel::<Thread>();
    let shared = &shared;
    let times = thread::scope(|s| {
        // Owned by this closure: every way out of it drops the sender, and
        // p0 then stops waiting for a peer.
        let to_0 = to_0;
        let p0 = s.spawn(move || {
            let peer = peer_of_0.recv().context("no peer")?;
            player(0, cpus[0], peer, shared)
        });
        let first = p0.thread().clone();
        let p1 = thread::Builder::new()
            .spawn_scoped(s, move || player(1, cpus[1], first, shared))
            .context("cannot start the second thread")?;
        to_0.send(p1.thread().clone()).ok(); // fails only if p0 is gone
        anyhow::Ok([p0, p1].map(|h| h.join().map_err(|_| anyhow!("panicked"))?))
    })?;
    let [t0, t1] = times;
    Ok(t0?.max(t1?) / trips)
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    println!("{}", machine()?);
    let cpus = allowed_cpus()?;
    let (a, b) = (cpus[0], cpus[cpus.len().min(2) - 1]);
    println!(
        "one CPU: {a}; two CPUs: {a} and {b}; idle driver: {}",
        idle_driver()
    );
    let t = args.trips;
    let s = repeat_interleaved(
        1,
        args.runs as usize,
        &mut [
            &mut || play([a, a], true, t),
            &mut || play([a, b], true, t),
            &mut || play([a, b], false, t),
        ],
    )?;
    println!("median time of one round trip, {t} trips per run:");
    println!("blocking, both threads on one CPU   {}", s[0]);
    println!("blocking, the threads on two CPUs   {}", s[1]);
    println!("spinning, the threads on two CPUs   {}", s[2]);
    Ok(())
}
