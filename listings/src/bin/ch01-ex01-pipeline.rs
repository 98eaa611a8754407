use std::ffi::CString;
use std::io::pipe;

use anyhow::{Context, Result};
use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, dup2_stdin, dup2_stdout, execvp, fork};

// ANCHOR: body
/// Forks a child that runs `connect` to rewire stdin or stdout, then execs.
fn spawn(
    argv: &[&str],
    connect: impl FnOnce() -> nix::Result<()>,
) -> Result<Pid> {
    // Prepared before the fork: the child only rewires and execs.
    let argv: Vec<CString> = argv
        .iter()
        .map(|&a| CString::new(a))
        .collect::<Result<_, _>>()?;
    // SAFETY: this program never starts a thread, so the child may run
    // any code.
    match unsafe { fork() }.context("fork failed")? {
        ForkResult::Child => {
            // std ignores SIGPIPE before main, and exec keeps an ignored
            // signal ignored: give the new program the default back.
            // SAFETY: SIG_DFL installs no handler; signal(2) is
            // async-signal-safe.
            let reset = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
            match reset.and_then(|_| connect()) {
                Ok(()) => {
                    let Err(e) = execvp(&argv[0], &argv);
                    eprintln!("exec {:?} failed: {e}", argv[0]);
                }
                Err(e) => eprintln!("cannot prepare the child: {e}"),
            }
            std::process::exit(127);
        }
        ForkResult::Parent { child } => Ok(child),
    }
}

fn main() -> Result<()> {
    // The shell's `printf 'cherry\napple\nbanana\n' | sort`, by hand.
    // std's pipe ends are close-on-exec: exec closes the originals in
    // each child, and only the copies dup2 made (stdin, stdout) survive.
    let (reader, writer) = pipe().context("pipe failed")?;
    let producer = spawn(&["printf", r"cherry\napple\nbanana\n"], || {
        dup2_stdout(&writer)
    })?;
    let consumer = spawn(&["sort"], || dup2_stdin(&reader));
    // The parent closes its ends too: sort sees end-of-file only when every
    // write end is closed, and the parent holds one.
    drop(reader);
    drop(writer);
    // Reap both (the producer even if sort could not be started) before
    // printing, so that our lines come after everything sort printed.
    let printf = waitpid(producer, None).context("waitpid failed");
    let sort =
        consumer.and_then(|pid| waitpid(pid, None).context("waitpid failed"));
    for (name, status) in [("printf", printf), ("sort", sort)] {
        match status? {
            WaitStatus::Exited(_, code) => {
                println!("{name} exited with code {code}")
            }
            other => println!("{name} ended otherwise: {other:?}"),
        }
    }
    Ok(())
}
// ANCHOR_END: body
