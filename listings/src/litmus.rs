//! Litmus tests on real threads, the way litmus7 runs them: the threads of a test meet at
//! the start of every round, run their bodies at the same moment, meet again, and the
//! outcome of the round is counted; rounds go on until a time limit. [`run`] returns how
//! many rounds ended with each outcome, and [`Counts::report`] prints them in the format
//! of `facts::outcomes`, beside which the book sets what the model twin allows
//! (`listings::model`). A count is a frequency on one machine under its load: an outcome
//! with a count of 0 was not seen here, which does not mean it cannot happen.

use std::collections::BTreeMap;
use std::hint::spin_loop;
use std::sync::OnceLock;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use clap::Parser;

/// The arguments of a litmus listing.
#[derive(Parser)]
pub struct Args {
    /// Milliseconds to run each case.
    #[arg(
        long,
        default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(1..=600_000)
    )]
    pub millis: u64,
}

/// One thread's part of a round: what it does to the shared state `S`.
pub type Body<'a, S> = &'a (dyn Fn(&S) + Sync);

/// How many rounds ran, and how many ended with each outcome.
#[derive(Debug)]
pub struct Counts<O> {
    pub rounds: u64,
    pub seen: BTreeMap<O, u64>,
}

impl<O: Ord> Counts<O> {
    /// The case's lines, `facts::outcomes::observed_lines`: the `known` outcomes in their
    /// order, 0 for those never seen, then any other outcome seen, each written by `show`.
    pub fn report(
        &self,
        label: &str,
        known: &[O],
        show: impl Fn(&O) -> String,
    ) -> String {
        let others = self.seen.keys().filter(|o| !known.contains(o));
        let counts = known
            .iter()
            .chain(others)
            .map(|o| (show(o), self.seen.get(o).copied().unwrap_or(0)));
        facts::outcomes::observed_lines(label, self.rounds, counts)
    }
}

/// Where the threads meet: meeting k is over once `arrived` reaches k times the number of
/// threads (every thread arrives at each meeting once, so the count only grows).
struct Meeting {
    arrived: AtomicU64,
    threads: u64,
    halt: AtomicBool, // thread 0 to all: the time is up, stop at this meeting
    broken: AtomicBool, // a thread has left by a panic: nobody waits for it
}

impl Meeting {
    /// Waits for every thread's k-th arrival; false if a thread has left.
    fn meet(&self, k: u64) -> bool {
        // AcqRel, Acquire: what each thread did before it arrived is visible to
        // every thread after the meeting (thread 0's reset of the state too).
        self.arrived.fetch_add(1, AcqRel);
        let mut spins = 0_u32;
        while self.arrived.load(Acquire) < k * self.threads {
            if self.broken.load(Relaxed) {
                return false;
            }
            // Spin, then yield: on one CPU the others need this one's turn.
            spins += 1;
            if spins < 1_000 {
                spin_loop()
            } else {
                thread::yield_now()
            }
        }
        true
    }
}

/// Marks the meeting broken if its thread unwinds, so that no other thread waits for it.
struct Leaving<'a>(&'a Meeting);

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.broken.store(true, Relaxed);
        }
    }
}

/// The rounds of the threads but thread 0: meet, run the body, meet, until halted.
fn follow<S, O>(
    meeting: &Meeting,
    state: &S,
    body: Body<S>,
) -> Option<Counts<O>> {
    for k in 1.. {
        if !meeting.meet(2 * k - 1) || meeting.halt.load(Relaxed) {
            break;
        }
        body(state);
        if !meeting.meet(2 * k) {
            break;
        }
    }
    None
}

/// Runs the test for `millis`: one thread per body, each pinned to a CPU of its own while
/// there are enough (litmus7 pins its threads too: two threads left on one CPU would take
/// turns, and their bodies would never overlap), round after round. After each round, once
/// every body has returned, `outcome` reads what the round left in `state`, and resets it
/// for the next round.
///
/// A body that panics, or a thread that cannot start, ends the test at the next meeting
/// instead of leaving the others waiting there. A body that waits for another body inside
/// the round (a consumer for its producer) must be sure that body cannot panic: the meeting
/// is the only wait this harness can break.
pub fn run<S: Sync, O: Ord + Send>(
    millis: u64,
    state: &S,
    bodies: &[Body<S>],
    outcome: impl FnMut(&S) -> O + Send,
) -> Result<Counts<O>> {
    let cpus = crate::bench::allowed_cpus()?;
    let meeting = Meeting {
        arrived: AtomicU64::new(0),
        threads: bodies.len() as u64,
        halt: AtomicBool::new(false),
        broken: AtomicBool::new(false),
    };
    // The threads start their rounds only once all of them exist: a failed spawn
    // sets `gate` to false, and the ones already started return at once.
    let gate = OnceLock::<bool>::new();
    let mut outcome = Some(outcome);
    thread::scope(|s| {
        let (meeting, gate) = (&meeting, &gate);
        let threads: Result<Vec<_>, _> = bodies
            .iter()
            .enumerate()
            .map(|(i, &body)| {
                let cpu = cpus[i % cpus.len()];
                let outcome = outcome.take(); // thread 0's: it counts
                thread::Builder::new().spawn_scoped(s, move || {
                    if !*gate.wait() {
                        return Ok(None);
                    }
                    let _leaving = Leaving(meeting);
                    if let Err(e) = crate::bench::pin_to(cpu) {
                        meeting.broken.store(true, Relaxed);
                        return Err(e);
                    }
                    match outcome {
                        Some(outcome) => Ok(Some(lead(
                            millis, meeting, state, body, outcome,
                        ))),
                        None => Ok(follow(meeting, state, body)),
                    }
                })
            })
            .collect();
        let _ = gate.set(threads.is_ok());
        let threads = threads.context("cannot start a thread of the test")?;
        let mut counts = None;
        for thread in threads {
            let result = thread
                .join()
                .map_err(|_| anyhow!("a thread of the test panicked"))?;
            counts = counts.or(result?);
        }
        counts.context("a test has a thread")
    })
}

/// Thread 0's rounds: like [`follow`], and it decides when to stop and counts each
/// round's outcome.
fn lead<S, O: Ord>(
    millis: u64,
    meeting: &Meeting,
    state: &S,
    body: Body<S>,
    mut outcome: impl FnMut(&S) -> O,
) -> Counts<O> {
    let deadline = Instant::now() + Duration::from_millis(millis);
    let mut counts = Counts {
        rounds: 0,
        seen: BTreeMap::new(),
    };
    for k in 1.. {
        if counts.rounds % 256 == 0 && Instant::now() >= deadline {
            meeting.halt.store(true, Relaxed); // seen after this meeting
        }
        if !meeting.meet(2 * k - 1) || meeting.halt.load(Relaxed) {
            break;
        }
        body(state);
        if !meeting.meet(2 * k) {
            break;
        }
        *counts.seen.entry(outcome(state)).or_insert(0) += 1;
        counts.rounds += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_runs_once_per_round() {
        let n = AtomicU64::new(0);
        let add = |n: &AtomicU64| {
            n.fetch_add(1, Relaxed);
        };
        let bodies: [Body<AtomicU64>; 3] = [&add, &add, &add];
        let counts = run(20, &n, &bodies, |n| n.swap(0, Relaxed)).unwrap();
        assert!(counts.rounds >= 256);
        assert_eq!(counts.seen, BTreeMap::from([(3, counts.rounds)]));
        let text = counts.report("three", &[2, 3], u64::to_string);
        assert_eq!(
            facts::outcomes::parse_observed(&text)["three"].counts,
            [("2".to_owned(), 0), ("3".to_owned(), counts.rounds)]
        );
    }

    #[test]
    fn a_panicking_thread_ends_the_test_instead_of_hanging_it() {
        let panics = |_: &()| panic!("a bug in a body");
        let fine = |_: &()| {};
        let bodies: [Body<()>; 2] = [&fine, &panics];
        assert!(run(60_000, &(), &bodies, |_| ()).is_err());
    }
}
