use anyhow::{Context, Result};
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// How each child is made to end.
const ENDINGS: [(&str, fn() -> !); 3] = [
    ("exits with code 3", || std::process::exit(3)),
    ("aborts", || std::process::abort()),
    ("is killed by SIGKILL", || {
        let _ = nix::sys::signal::raise(Signal::SIGKILL);
        std::process::exit(0)
    }),
];

fn main() -> Result<()> {
    for (what, end) in ENDINGS {
        // SAFETY: no other thread exists; the child may use anything.
        match unsafe { fork() }.context("fork failed")? {
            ForkResult::Child => {
                // Not dumpable: no core dump, even through core_pattern's pipe.
                let _ = nix::sys::prctl::set_dumpable(false);
                end()
            }
            ForkResult::Parent { child } => {
                let verdict =
                    match waitpid(child, None).context("waitpid failed")? {
                        WaitStatus::Exited(_, code) => {
                            format!("exited normally with code {code}")
                        }
                        WaitStatus::Signaled(_, signal, core) => {
                            format!(
                                "was killed by {signal}{}",
                                if core { " (core dumped)" } else { "" }
                            )
                        }
                        other => format!("ended otherwise: {other:?}"),
                    };
                println!("a child that {what}: {verdict}");
            }
        }
    }
    Ok(())
}
