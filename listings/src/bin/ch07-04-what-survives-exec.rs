use std::ffi::CString;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;

use anyhow::{Context, Result};
use clap::Parser;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal};

/// What survives execve: the program sets things up, then execs itself.
#[derive(Parser)]
struct Args {
    /// Internal: the program after exec, told the old PID, two fds and
    /// what each one was (its /proc/self/fd link, such as pipe:[1234]).
    #[arg(long, hide = true, num_args = 5,
          value_names = ["PID", "FD", "FD", "WAS", "WAS"])]
    after_exec: Option<Vec<String>>,
}

/// What descriptor `fd` refers to, from its /proc/self/fd link (proc(5)),
/// or None if it is not open.
fn target(fd: i32) -> Option<String> {
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    Some(link.to_string_lossy().into_owned())
}

/// How this process treats `signal`, from the SigIgn and SigCgt masks of
/// /proc/self/status (proc(5)): bit n-1 stands for signal n.
fn disposition(signal: Signal) -> Result<&'static str> {
    let status = std::fs::read_to_string("/proc/self/status")
        .context("cannot read /proc/self/status")?;
    let mask = |name: &str| -> Result<u64> {
        let line = status.lines().find_map(|l| l.strip_prefix(name));
        let hex = line.with_context(|| format!("no {name} line"))?.trim();
        u64::from_str_radix(hex, 16).context("a malformed mask")
    };
    let bit = 1 << (signal as i32 - 1);
    Ok(if mask("SigIgn:")? & bit != 0 {
        "ignored"
    } else if mask("SigCgt:")? & bit != 0 {
        "handled"
    } else {
        "default"
    })
}

fn report(when: &str) -> Result<()> {
    for signal in [Signal::SIGUSR1, Signal::SIGUSR2, Signal::SIGPIPE] {
        println!("{when}: {signal} {}", disposition(signal)?);
    }
    let var = std::env::var("BOOK_CHAPTER").unwrap_or_else(|_| "unset".into());
    println!("{when}: BOOK_CHAPTER={var}");
    Ok(())
}

extern "C" fn on_usr1(_: nix::libc::c_int) {}

// ANCHOR: before
fn before_exec() -> Result<()> {
    // std opens everything with O_CLOEXEC; pipe(2) without flags does not.
    let (std_end, _w) = std::io::pipe().context("pipe failed")?;
    let (raw_end, raw_w) = nix::unistd::pipe().context("pipe(2) failed")?;
    nix::unistd::write(&raw_w, b"written before exec").context("write")?;
    drop(raw_w);
    let usr1 = SigHandler::Handler(on_usr1);
    let usr1 = SigAction::new(usr1, SaFlags::empty(), SigSet::empty());
    // SAFETY: the handler does nothing, which is async-signal-safe.
    unsafe { nix::sys::signal::sigaction(Signal::SIGUSR1, &usr1) }
        .context("sigaction failed")?;
    // SAFETY: ignoring a signal runs no code of ours.
    unsafe { nix::sys::signal::signal(Signal::SIGUSR2, SigHandler::SigIgn) }
        .context("signal failed")?;
    // SAFETY: no other thread exists to read the environment meanwhile.
    unsafe { std::env::set_var("BOOK_CHAPTER", "7") };

    let pid = std::process::id();
    let (a, b) = (std_end.as_raw_fd(), raw_end.as_raw_fd());
    println!("before exec: pid {pid}, fd {a} from std, fd {b} from pipe(2)");
    report("before exec")?;
    let exe = std::env::current_exe().context("cannot find myself")?;
    let exe = CString::new(exe.into_os_string().into_vec())?;
    let was = |fd| target(fd).context("not open");
    let argv: Vec<CString> = [
        pid.to_string(),
        a.to_string(),
        b.to_string(),
        was(a)?,
        was(b)?,
    ]
    .into_iter()
    .map(CString::new)
    .collect::<Result<_, _>>()?;
    let flag = CString::from(c"--after-exec");
    let argv = [[exe.clone(), flag].as_slice(), &argv].concat();
    // Replaces this program; returns only if it fails.
    let err = nix::unistd::execv(&exe, &argv).unwrap_err();
    Err(err).context("execv failed")
}
// ANCHOR_END: before

fn after_exec(args: &[String]) -> Result<()> {
    let [pid, std_end, raw_end, std_was, raw_was] = args else {
        anyhow::bail!("--after-exec takes five values");
    };
    let number = |s: &String| s.parse::<i32>().context("not a number");
    let (pid, std_end, raw_end) =
        (number(pid)?, number(std_end)?, number(raw_end)?);
    let me = std::process::id() as i32;
    println!("after exec: pid {me}, the same process: {}", me == pid);
    // The same number may have been reused by the new program's start-up:
    // what counts is that it still refers to the same pipe.
    let same = |fd, was: &String| target(fd).as_ref() == Some(was);
    for (fd, from, was) in
        [(std_end, "std", std_was), (raw_end, "pipe(2)", raw_was)]
    {
        let state = if same(fd, was) {
            "still open"
        } else {
            "closed by exec"
        };
        println!("after exec: fd {fd} from {from}: {state}");
    }
    if same(raw_end, raw_was) {
        // SAFETY: the descriptor is open (checked above), and nothing else
        // in this program owns it.
        let mut pipe =
            std::fs::File::from(unsafe { OwnedFd::from_raw_fd(raw_end) });
        let mut text = String::new();
        pipe.read_to_string(&mut text)
            .context("cannot read the pipe")?;
        println!("after exec: read {text:?} from fd {raw_end}");
    }
    report("after exec")
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    match args.after_exec.as_deref() {
        Some(values) => after_exec(values),
        None => before_exec(),
    }
}
