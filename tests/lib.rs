//! Shared by the book's test harnesses: each check is a libtest-mimic trial that fails with a
//! message naming the file at fault and the command that fixes it, never with a backtrace.
//! Checks return `anyhow::Result`; the error becomes the message only here, in [`trial`].

use libtest_mimic::{Arguments, Failed, Trial};

pub mod checks;
pub mod snippet;

/// The book under test, found at run time; a harness that cannot find it fails at once
/// rather than passing having tested nothing.
pub fn project_or_exit() -> machinery::Project {
    machinery::Project::find().unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        std::process::exit(1)
    })
}

/// A trial whose failure is the message of the error `check` returns, with its causes.
pub fn trial(
    name: impl Into<String>,
    check: impl FnOnce() -> anyhow::Result<()> + Send + 'static,
) -> Trial {
    Trial::test(name, move || {
        check().map_err(|e| Failed::from(format!("{e:#}")))
    })
}

/// Runs the trials with the command line cargo gave, and returns their verdict, so that the
/// caller can clean up before exiting with it.
pub fn run(trials: Vec<Trial>) -> libtest_mimic::Conclusion {
    libtest_mimic::run(&Arguments::from_args(), trials)
}

/// Like [`run`], with `threads` trials at a time unless the command line says otherwise
/// (`--test-threads`).
pub fn run_with_threads(trials: Vec<Trial>, threads: usize) -> ! {
    let mut arguments = Arguments::from_args();
    arguments.test_threads.get_or_insert(threads);
    libtest_mimic::run(&arguments, trials).exit()
}

/// Like [`run`], one trial at a time (they share one browser), and returning the verdict so
/// that the caller can clean up before exiting.
pub fn run_serially(trials: Vec<Trial>) -> libtest_mimic::Conclusion {
    let mut arguments = Arguments::from_args();
    arguments.test_threads = Some(1);
    libtest_mimic::run(&arguments, trials)
}
