//! Shared by the book's test harnesses: each check is a libtest-mimic trial that fails with a
//! message naming the file at fault and the command that fixes it, never with a backtrace.

use libtest_mimic::{Arguments, Failed, Trial};

pub mod checks;

/// The book under test, found at run time; a harness that cannot find it fails at once
/// rather than passing having tested nothing.
pub fn project_or_exit() -> machinery::Project {
    machinery::Project::find().unwrap_or_else(|e| {
        eprintln!("error: {e:#}");
        std::process::exit(1)
    })
}

/// A trial whose failure is the message `check` returns.
pub fn trial(
    name: impl Into<String>,
    check: impl FnOnce() -> Result<(), String> + Send + 'static,
) -> Trial {
    Trial::test(name, move || check().map_err(Failed::from))
}

/// Runs the trials with the command line cargo gave, and exits with their verdict.
pub fn run(trials: Vec<Trial>) -> ! {
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

/// Like [`run`], one trial at a time (they share one browser), and returning the verdict so
/// that the caller can clean up before exiting.
pub fn run_serially(trials: Vec<Trial>) -> libtest_mimic::Conclusion {
    let mut arguments = Arguments::from_args();
    arguments.test_threads = Some(1);
    libtest_mimic::run(&arguments, trials)
}
