use std::os::fd::AsFd;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use clap::Parser;
use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::unistd::{pipe, pipe2};

/// The descriptor-leak race: pipe(2) then FD_CLOEXEC is two steps, and a
/// child started by another thread in between inherits the pipe.
#[derive(Parser)]
struct Args {
    /// Children to start for each way of making the pipes.
    #[arg(long, default_value_t = 200,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    children: u32,
    /// Internal: count the pipes this process holds beyond 0, 1 and 2.
    #[arg(long, hide = true)]
    count: bool,
}

/// Pipes held beyond stdin, stdout and stderr (proc(5)): the exit code.
fn count_pipes() -> Result<i32> {
    let mut pipes = 0;
    for entry in std::fs::read_dir("/proc/self/fd").context("no /proc")? {
        let entry = entry.context("cannot list /proc/self/fd")?;
        let fd: i32 = entry.file_name().to_string_lossy().parse()?;
        let target = std::fs::read_link(entry.path()).unwrap_or_default();
        if fd > 2 && target.to_string_lossy().starts_with("pipe:") {
            pipes += 1;
        }
    }
    Ok(pipes)
}

/// Starts `n` children and counts those that hold more pipes than `base`.
fn leaks(n: u32, base: i32) -> Result<u32> {
    let exe = std::env::current_exe().context("cannot find myself")?;
    let mut leaked = 0;
    for _ in 0..n {
        let status = Command::new(&exe).arg("--count").status()?;
        leaked += u32::from(status.code().context("child killed")? > base);
    }
    Ok(leaked)
}

fn make_pipes(two_steps: bool, stop: &AtomicBool) -> Result<()> {
    while !stop.load(Ordering::Relaxed) {
        let (r, w) = if two_steps {
            let (r, w) = pipe().context("pipe failed")?;
            // The window: a fork by another thread here copies r and w
            // without close-on-exec.
            for fd in [r.as_fd(), w.as_fd()] {
                fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))
                    .context("fcntl(F_SETFD) failed")?;
            }
            (r, w)
        } else {
            pipe2(OFlag::O_CLOEXEC).context("pipe2 failed")? // one step
        };
        drop((r, w));
    }
    Ok(())
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    if args.count {
        std::process::exit(count_pipes()?);
    }
    // What a child holds anyway (what we inherited ourselves, say).
    let exe = std::env::current_exe().context("cannot find myself")?;
    let status = Command::new(exe).arg("--count").status()?;
    let base = status.code().context("the first child was killed")?;
    for (way, two_steps) in
        [("pipe + fcntl", true), ("pipe2(O_CLOEXEC)", false)]
    {
        let stop = AtomicBool::new(false);
        let (made, leaked) = std::thread::scope(|s| {
            let maker = s.spawn(|| make_pipes(two_steps, &stop));
            let leaked = leaks(args.children, base);
            stop.store(true, Ordering::Relaxed); // before the join: no hang
            (maker.join().expect("the pipe maker panicked"), leaked)
        });
        made?;
        println!(
            "{way}: {} of {} children got a pipe",
            leaked?, args.children
        );
    }
    Ok(())
}
