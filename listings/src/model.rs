//! Model checking the book's way: every execution of a small concurrent program that
//! [loom] can explore, and the *set* of outcomes they end with.
//!
//! A model is a closure that runs the listing's logic on loom's types (`loom::thread`,
//! `loom::sync::atomic`, `loom::sync::Mutex`) and returns its outcome. [`outcomes`] runs it
//! once per execution loom schedules, until loom has explored them all, and collects what
//! they returned. Loom reads tuning knobs from the environment (`LOOM_MAX_PREEMPTIONS`,
//! ...); the settings here override them, so that every run explores everything and prints
//! the same set.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::time::{Duration, Instant};

thread_local! {
    /// Whether this thread is exploring a model (its panics are loom's findings).
    static EXPLORING: Cell<bool> = const { Cell::new(false) };
}

/// What loom explored: the outcomes every execution ended with, how many executions it
/// ran, and how long that took. The count is of executions *explored* (loom prunes
/// executions equivalent to one already run), not how often an outcome happens on a CPU.
#[derive(Debug)]
pub struct Explored<T> {
    pub outcomes: BTreeSet<T>,
    pub executions: u64,
    pub elapsed: Duration,
    /// Loom found an execution in which every thread waits for another: loom stops there,
    /// so `outcomes` holds what the executions before it ended with. (Loom reports it by
    /// panicking in the blocked thread; a model that may deadlock shares its locks through
    /// std's `Arc`, since loom's `Arc`, dropped during that unwinding, panics again and aborts
    /// the process.)
    pub deadlock: bool,
}

/// A loom builder with no bound on preemptions, permutations or time, whatever the
/// environment says: the exploration is exhaustive and the same on every run.
fn exhaustive() -> loom::model::Builder {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = None;
    builder.max_permutations = None;
    builder.max_duration = None;
    builder.max_branches = 1_000; // loom's default
    builder.checkpoint_file = None;
    builder.log = false;
    builder.location = false;
    builder
}

/// Runs `model` in every execution loom explores; returns the set of its results.
pub fn outcomes<T, F>(model: F) -> Explored<T>
where
    T: Ord + Send + 'static,
    F: Fn() -> T + Sync + Send + 'static,
{
    let seen = Arc::new(Mutex::new((BTreeSet::new(), 0_u64)));
    let record = Arc::clone(&seen);
    // Loom reports a deadlock by panicking; the panic is the finding, so its message is
    // not printed, and the panic is caught here. One hook, installed once for the
    // process, stays quiet on a thread while it explores (loom runs the model's threads
    // on the calling one), so that a panic elsewhere meanwhile (another test) is printed.
    static QUIET_WHILE_EXPLORING: Once = Once::new();
    QUIET_WHILE_EXPLORING.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !EXPLORING.get() {
                previous(info)
            }
        }));
    });
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    EXPLORING.set(true);
    let start = Instant::now();
    let run = panic::catch_unwind(AssertUnwindSafe(|| {
        exhaustive().check(move || {
            let outcome = model();
            let mut seen =
                record.lock().unwrap_or_else(PoisonError::into_inner);
            seen.0.insert(outcome);
            seen.1 += 1;
        })
    }));
    EXPLORING.set(false);
    let elapsed = start.elapsed();
    let deadlock = match run {
        Ok(()) => false,
        Err(payload) if panic_text(&*payload).starts_with("deadlock") => true,
        Err(payload) => {
            // Not a finding but a bug of the model: say what it was.
            eprintln!("the model panicked: {}", panic_text(&*payload));
            panic::resume_unwind(payload)
        }
    };
    let (outcomes, executions) = std::mem::take(
        &mut *seen.lock().unwrap_or_else(PoisonError::into_inner),
    );
    Explored {
        outcomes,
        executions: executions + u64::from(deadlock),
        elapsed,
        deadlock,
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        ""
    }
}

impl<T> Explored<T> {
    /// One case's line, `facts::outcomes::allowed_line`: the label padded to `width`,
    /// then the set, each outcome written by `show`.
    pub fn allowed(
        &self,
        label: &str,
        width: usize,
        show: impl Fn(&T) -> String,
    ) -> String {
        facts::outcomes::allowed_line(
            label,
            width,
            self.outcomes.iter().map(show),
        )
    }

    /// How much was explored: "1080 executions in 235 ms".
    pub fn effort(&self) -> String {
        format!(
            "{} executions in {}",
            self.executions,
            crate::bench::human(self.elapsed)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loom::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use loom::thread;

    #[test]
    fn a_lost_update_is_among_the_outcomes() {
        let explored = outcomes(|| {
            let n = loom::sync::Arc::new(AtomicU64::new(0));
            let m = loom::sync::Arc::clone(&n);
            let t = thread::spawn(move || m.store(m.load(SeqCst) + 1, SeqCst));
            n.store(n.load(SeqCst) + 1, SeqCst);
            t.join().expect("no panic");
            n.load(SeqCst)
        });
        assert_eq!(explored.outcomes, BTreeSet::from([1, 2]));
        assert!(!explored.deadlock);
        assert!(explored.executions > 2);
    }

    /// Two threads each lock their first mutex, then their second; `same` says
    /// whether they take A and B in the same order.
    fn two_threads_lock(same: bool) -> Explored<()> {
        outcomes(move || {
            // std's Arc: loom's panics when dropped while a deadlock unwinds.
            let a = std::sync::Arc::new(loom::sync::Mutex::new(()));
            let b = std::sync::Arc::new(loom::sync::Mutex::new(()));
            let second = if same {
                (a.clone(), b.clone())
            } else {
                (b.clone(), a.clone())
            };
            let threads = [(a, b), second].map(|(x, y)| {
                thread::spawn(move || {
                    let _x = x.lock().expect("no panic holding it");
                    let _y = y.lock().expect("no panic holding it");
                })
            });
            for t in threads {
                t.join().expect("no panic");
            }
        })
    }

    #[test]
    fn a_deadlock_is_found_not_waited_for() {
        let explored = two_threads_lock(false);
        assert!(explored.deadlock);
        assert!(explored.outcomes.len() <= 1);
    }

    #[test]
    fn one_lock_order_never_deadlocks() {
        let explored = two_threads_lock(true);
        assert!(!explored.deadlock);
        assert_eq!(explored.outcomes, BTreeSet::from([()]));
    }
}
