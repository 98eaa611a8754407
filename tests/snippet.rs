//! How each snippet test (a Rust block of the book, compiled and run by skeptic) runs and
//! fails. The build script wraps every test skeptic generates in [`run`], which
//! - reports a failure like a compiler error: the block's place in the book
//!   (`src/CHAPTER.md:LINE`), then rustc's own error (skeptic prints it), then a hint;
//!   skeptic's rustc command line (tens of thousands of characters of `--extern`) only when
//!   [`SHOW_COMMAND`] is set;
//! - runs the snippet again when starting it failed with `ETXTBSY` ("Text file busy"):
//!   skeptic's binary cache opens a compiled snippet for writing (to store it, or to mark it
//!   as recently used) on one worker thread while another worker may be forking; the forked
//!   child holds a copy of that descriptor until it calls `exec`, and the kernel refuses to
//!   execute a file that is open for writing (`execve(2)`, ETXTBSY). The refused `exec`
//!   never started the program, so starting it again is safe; the window is a few
//!   microseconds, so a retry after a short pause finds it closed.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::time::Duration;

/// Set this environment variable (to anything) to see skeptic's command line of a failing
/// snippet.
pub const SHOW_COMMAND: &str = "BOOK_SNIPPET_COMMAND";

/// How often a snippet whose `exec` met ETXTBSY is started again before the test fails.
const ETXTBSY_ATTEMPTS: u32 = 5;

/// Runs one snippet test (`test` calls skeptic) for the block at `at` (`src/FILE.md:LINE`).
pub fn run(at: &str, test: impl Fn()) {
    quiet_skeptic_panics();
    // libtest shows what a test printed only if it fails: this line then comes first.
    eprintln!(
        "{at}: a Rust block of the book, compiled and run as the reader sees it"
    );
    for attempt in 1..=ETXTBSY_ATTEMPTS {
        let Err(payload) = panic::catch_unwind(AssertUnwindSafe(&test)) else {
            return;
        };
        let message = text_of(&*payload);
        if is_etxtbsy(&message) && attempt < ETXTBSY_ATTEMPTS {
            std::thread::sleep(Duration::from_millis(20 * u64::from(attempt)));
            continue;
        }
        eprintln!("{}", explain(at, &message));
        // Not `panic!`: the hook would print the message a second time.
        panic::resume_unwind(payload);
    }
}

/// What a failure of skeptic means, and what to do about it.
pub fn explain(at: &str, message: &str) -> String {
    let rerun = "re-run it alone with `cargo test --test snippets -- NAME` (NAME as above)";
    let command = format!("set {SHOW_COMMAND}=1 to see skeptic's command line");
    if message.contains("--crate-type") {
        format!(
            "error: the Rust block at {at} does not compile (rustc's error is above; its \
             line numbers count the lines of the block as compiled)\n\
             hint: fix the block at {at}, or, if it is a {{{{#listing}}}}, the listing's \
             source, so that it compiles as the reader sees it; {rerun}; {command}"
        )
    } else if message.starts_with("Command failed") {
        format!(
            "error: the Rust block at {at} compiles, but its program failed when run \
             (what it printed is above)\n\
             hint: a block that only makes sense as part of a larger program is marked \
             ```rust,no_run or ```rust,ignore; {rerun}"
        )
    } else if is_etxtbsy(message) {
        format!(
            "error: the Rust block at {at} could not be started {ETXTBSY_ATTEMPTS} times \
             (ETXTBSY): {message}\nhint: {rerun}"
        )
    } else {
        format!(
            "error: the Rust block at {at} failed: {message}\nhint: {rerun}"
        )
    }
}

/// skeptic's message when starting a program failed because its file was open for
/// writing: `Could not run COMMAND: Text file busy (os error 26)`.
fn is_etxtbsy(message: &str) -> bool {
    let errno = nix::errno::Errno::ETXTBSY as i32;
    message.starts_with("Could not run")
        && message.ends_with(&format!("(os error {errno})"))
}

fn text_of(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// skeptic reports a failure by panicking with its whole command line; the panic hook
/// would print it before [`run`] can say anything. Its panics are kept quiet unless
/// [`SHOW_COMMAND`] is set; every other panic is printed as usual.
fn quiet_skeptic_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let show = std::env::var_os(SHOW_COMMAND).is_some();
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let from_skeptic = info
                .location()
                .is_some_and(|at| at.file().contains("skeptic"));
            if show || !from_skeptic {
                default(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_refused_exec_is_retried() {
        assert!(is_etxtbsy(
            "Could not run \"/t/.skeptic-bin/ab\": Text file busy (os error 26)"
        ));
        assert!(!is_etxtbsy("Command failed:\n\"/t/.skeptic-bin/ab\""));
        assert!(!is_etxtbsy(
            "Could not run \"rustc\": No such file or directory (os error 2)"
        ));
    }

    #[test]
    fn the_hint_names_the_place_and_hides_the_command() {
        let message =
            "Command failed:\n\"rustc\" \"--crate-type=bin\" \"--extern\"";
        let hint = explain("src/ch01-one.md:5", message);
        assert!(
            hint.contains("src/ch01-one.md:5 does not compile"),
            "{hint}"
        );
        assert!(!hint.contains("--extern"), "{hint}");
    }
}
