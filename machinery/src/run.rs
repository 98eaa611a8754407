//! Building the listings and running one of them the way the book says, with a timeout.

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use cargo_metadata::Message;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use wait_timeout::ChildExt;

use crate::Project;
use crate::listing::{Kind, Listing};

/// How hard a run of a measuring listing works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// As the book runs it: every repetition (refresh, compare).
    Full,
    /// Fewer repetitions (`BOOK_QUICK=1`, read by `listings::bench::quick`), the same work
    /// in each: `cargo book compare --quick`, whose numbers are still compared.
    Quick,
    /// Quick, and with the sidecar's `shape_args` (less work in each repetition): the
    /// listings test, which checks only the output's shape.
    Shape,
}

impl Pace {
    /// `text` as it can be compared with a run at another pace: run counts, which a quick
    /// run cuts ("1000 runs", "9 runs each"), become "N runs".
    pub fn comparable(self, text: &str) -> std::borrow::Cow<'_, str> {
        static RUNS: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| {
                regex::Regex::new(facts::output::RUNS_PATTERN)
                    .expect("valid regex")
            });
        match self {
            Pace::Full => text.into(),
            Pace::Quick | Pace::Shape => RUNS.replace_all(text, "N runs"),
        }
    }
}

/// Executables of a package, by binary name, for one profile.
pub type Executables = HashMap<String, PathBuf>;

/// The listings, built once per profile on first need (debug for the programs, release for
/// the measurements), and run as the book shows them: shared by the listings test, `cargo
/// book refresh` and `cargo book compare`.
#[derive(Default)]
pub struct Builds {
    /// cargo's progress shown as it builds (refresh), rather than only when a build fails.
    show_cargo: bool,
    /// A failed build is kept as its message, to report it to every listing that needs it.
    debug: OnceLock<Result<Executables, String>>,
    release: OnceLock<Result<Executables, String>>,
    /// What a compile-fail listing runs with: nothing built.
    none: Executables,
}

impl Builds {
    /// Builds that show cargo's progress as they happen.
    pub fn showing_cargo() -> Builds {
        Builds {
            show_cargo: true,
            ..Builds::default()
        }
    }

    /// Builds already made, e.g. a test's stand-in programs.
    pub fn prebuilt(debug: Executables, release: Executables) -> Builds {
        Builds {
            debug: OnceLock::from(Ok(debug)),
            release: OnceLock::from(Ok(release)),
            ..Builds::default()
        }
    }

    /// The executables of the profile `listing` runs in (none for a compile-fail listing).
    pub fn for_listing(
        &self,
        project: &Project,
        listing: &Listing,
    ) -> Result<&Executables> {
        if listing.kind == Kind::CompileFail {
            return Ok(&self.none);
        }
        let release = listing.spec.measurement;
        let cell = if release { &self.release } else { &self.debug };
        cell.get_or_init(|| {
            build_listings(project, release, !self.show_cargo)
                .map_err(|e| format!("{e:#}"))
        })
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Builds now every profile `listings` need, so that a build that fails does so before
    /// anything runs.
    pub fn prepare(
        &self,
        project: &Project,
        listings: &[Listing],
    ) -> Result<()> {
        for listing in listings {
            self.for_listing(project, listing)?;
        }
        Ok(())
    }

    /// Runs one listing as the book shows it.
    pub fn run(
        &self,
        project: &Project,
        listing: &Listing,
        pace: Pace,
    ) -> Result<Run> {
        run_listing(project, listing, self.for_listing(project, listing)?, pace)
    }
}

/// Builds every binary of the `listings` package, in release mode or not, and returns where
/// cargo put them. With `quiet`, cargo's progress is kept and shown only if the build fails.
pub fn build_listings(
    project: &Project,
    release: bool,
    quiet: bool,
) -> Result<Executables> {
    build_binaries(project, "listings", release, quiet)
}

/// Builds every binary of `package` and returns where cargo put them.
pub fn build_binaries(
    project: &Project,
    package: &str,
    release: bool,
    quiet: bool,
) -> Result<Executables> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&project.root).args([
        "build",
        "-p",
        package,
        "--bins",
        "--message-format=json-render-diagnostics",
    ]);
    if release {
        cmd.arg("--release");
    }
    cmd.stdout(Stdio::piped()).stderr(if quiet {
        Stdio::piped()
    } else {
        Stdio::inherit()
    });
    let output = cmd
        .output()
        .with_context(|| format!("cannot run cargo to build {package}"))?;
    if !output.status.success() {
        bail!(
            "building the {package} package failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let mut executables = HashMap::new();
    for message in Message::parse_stream(output.stdout.as_slice()) {
        if let Message::CompilerArtifact(artifact) =
            message.context("cannot read cargo's messages")?
            && let Some(executable) = artifact.executable
        {
            executables
                .insert(artifact.target.name, executable.into_std_path_buf());
        }
    }
    Ok(executables)
}

/// What one run of a listing did.
pub struct Run {
    /// stdout and stderr, interleaved as written (both go to one pipe).
    pub text: String,
    pub status: Option<ExitStatus>,
    /// The run exceeded its timeout and was killed, with its whole process group.
    pub timed_out: bool,
    /// Processes of the listing's process group still there after it exited (then killed
    /// and reaped), described for the failure message.
    pub left_behind: Vec<String>,
}

impl Run {
    /// Why the run does not count, if it does not.
    pub fn problem(&self, listing: &Listing) -> Option<String> {
        let timeout = listing.spec.timeout_secs;
        if self.timed_out {
            return Some(format!(
                "did not finish within {timeout} s and was killed (a hang? raise timeout_secs in \
                 its .toml only if it really needs longer)"
            ));
        }
        if !self.left_behind.is_empty() {
            return Some(format!(
                "left processes behind: {}; wait for every child it creates",
                self.left_behind.join("; ")
            ));
        }
        let status = self.status?;
        let ok = match listing.kind {
            Kind::CompileFail => !status.success(),
            Kind::Program => status.code() == Some(listing.spec.exit_code),
        };
        (!ok).then(|| match listing.kind {
            Kind::CompileFail => {
                "compiled, but it is declared to fail to compile".to_owned()
            }
            Kind::Program => format!(
                "ended with {status}, expected exit code {}",
                listing.spec.exit_code
            ),
        })
    }
}

/// Runs a listing with bad arguments and says what is wrong with how it refused them, if
/// anything: it must print one line on stderr, nothing on stdout, and exit with code 2.
pub fn rejection_problem(
    exe: &std::path::Path,
    args: &[String],
) -> Result<Option<String>> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    let group = Pid::from_raw(child.id() as i32);
    if child.wait_timeout(Duration::from_secs(30))?.is_none() {
        let _ = killpg(group, Signal::SIGKILL);
    }
    let output = child.wait_with_output()?;
    clean_up_group(group);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let problem = if output.status.code() != Some(2) {
        Some(format!("exited with {} instead of code 2", output.status))
    } else if stderr.lines().count() != 1 {
        Some(format!(
            "printed {} lines on stderr instead of one",
            stderr.lines().count()
        ))
    } else if !output.stdout.is_empty() {
        Some("printed on stdout; a refusal goes to stderr only".to_owned())
    } else {
        None
    };
    Ok(problem.map(|p| {
        format!("with arguments {args:?}: {p}\n--- stderr ---\n{stderr}")
    }))
}

/// Runs a listing as the reader would (its program, or rustc for a compile-fail listing),
/// in the project root, in a process group of its own that is killed at the timeout.
pub fn run_listing(
    project: &Project,
    listing: &Listing,
    executables: &Executables,
    pace: Pace,
) -> Result<Run> {
    let mut cmd = command(project, listing, executables, pace)?;
    let (mut reader, writer) =
        std::io::pipe().context("cannot create a pipe")?;
    cmd.stdout(writer.try_clone()?).stderr(writer);
    let mut child = spawn(&mut cmd)
        .with_context(|| format!("cannot start {}", listing.name))?;
    drop(cmd); // closes our copies of the pipe's write end, so EOF can come
    let group = Pid::from_raw(child.id() as i32);

    let (sender, collected) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        let _ = sender.send(bytes);
    });

    let timeout = Duration::from_secs(listing.spec.timeout_secs);
    let (status, timed_out) = match child
        .wait_timeout(timeout)
        .with_context(|| format!("cannot wait for {}", listing.name))?
    {
        Some(status) => (status, false),
        None => {
            let _ = killpg(group, Signal::SIGKILL);
            (child.wait()?, true)
        }
    };
    // The leader is reaped: whatever is still in its group was left behind. (The kernel does
    // not reuse the group's number while any member lives, so this never names a stranger.)
    let left_behind = if timed_out {
        Vec::new()
    } else {
        group_members(group)
    };
    clean_up_group(group);
    let bytes = collected
        .recv_timeout(Duration::from_secs(10))
        .with_context(|| {
            format!(
                "{}: 10 s after it ended, a process outside its process group still holds \
                 its output pipe (a child that left the group with setsid or setpgid); wait \
                 for every child before exiting",
                listing.source.display()
            )
        })?;
    Ok(Run {
        text: String::from_utf8_lossy(&bytes).into_owned(),
        status: (!timed_out).then_some(status),
        timed_out,
        left_behind,
    })
}

/// The command that runs a listing as the book shows it, at `pace`, in a process group of
/// its own, with nothing from the caller's environment that would change what it prints.
fn command(
    project: &Project,
    listing: &Listing,
    executables: &Executables,
    pace: Pace,
) -> Result<Command> {
    let mut cmd = match listing.kind {
        Kind::Program => {
            let exe = executables.get(&listing.name).with_context(|| {
                format!(
                    "{}: cargo built no binary {} (the `listings` package makes one \
                     per file of {}); run `cargo build -p listings --bins` and fix what \
                     it reports",
                    listing.source.display(),
                    listing.name,
                    crate::paths::PROGRAMS_DIR
                )
            })?;
            let mut cmd = Command::new(exe);
            cmd.current_dir(&project.root);
            cmd
        }
        Kind::CompileFail => {
            let mut cmd = Command::new("rustc");
            cmd.args(listing.compiler_args())
                .current_dir(project.root.join(listing.folder()));
            cmd
        }
    };
    cmd.args(&listing.spec.args)
        // Messages that depend on the caller's environment stay out of the output.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .process_group(0);
    use facts::env::BOOK_QUICK;
    match pace {
        Pace::Full => cmd.env_remove(BOOK_QUICK),
        Pace::Quick => cmd.env(BOOK_QUICK, "1"),
        Pace::Shape => cmd.env(BOOK_QUICK, "1").args(&listing.spec.shape_args),
    };
    Ok(cmd)
}

/// Starts `cmd`. ETXTBSY: a program just written (a test's stand-in) is still open for
/// writing in a child that another thread forked and that has not yet called exec
/// (execve(2)); that window is microseconds, so a start refused for it is tried again.
fn spawn(cmd: &mut Command) -> std::io::Result<std::process::Child> {
    let mut attempt = 0;
    loop {
        match cmd.spawn() {
            Err(e)
                if e.raw_os_error()
                    == Some(nix::errno::Errno::ETXTBSY as i32)
                    && attempt < 5 =>
            {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(20 * attempt));
            }
            result => return result,
        }
    }
}

/// Makes this process a child subreaper (`prctl(2)`): the processes a listing orphans are
/// then adopted by us instead of init, zombies included, so a leak is seen, not hidden.
pub fn become_subreaper() -> Result<()> {
    nix::sys::prctl::set_child_subreaper(true)
        .context("prctl(PR_SET_CHILD_SUBREAPER) failed")
}

/// The processes of a process group, described as "pid N (name), state S", from `/proc`.
pub fn group_members(group: Pid) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut members = Vec::new();
    for entry in entries.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat"))
        else {
            continue;
        };
        // proc(5): "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')'))
        else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        if fields.get(2) == Some(&group.as_raw().to_string().as_str()) {
            members.push(format!(
                "pid {} ({}), state {}",
                stat[..open].trim(),
                &stat[open + 1..close],
                fields[0]
            ));
        }
    }
    members
}

/// Kills what is left of a process group and reaps those of its members that are ours (all
/// of them when we are a subreaper: a member whose parent dies is adopted by us at once).
/// Blocking waits are enough: a process with `SIGKILL` pending cannot `fork` any more
/// (the kernel refuses, `kernel/fork.c`), so the group only shrinks, and `waitpid` says
/// `ECHILD` once no child of ours is left in it.
fn clean_up_group(group: Pid) {
    use nix::errno::Errno;
    use nix::sys::wait::waitpid;
    loop {
        // Again each time: a member may have been created before the last signal landed.
        let _ = killpg(group, Signal::SIGKILL);
        match waitpid(Pid::from_raw(-group.as_raw()), None) {
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(_) => return, // ECHILD: no child of ours left in the group
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pace;

    #[test]
    fn quick_runs_do_not_compare_run_counts() {
        let text = "median 1 ms (min 1 ms, max 2 ms, 1000 runs)";
        assert_eq!(Pace::Full.comparable(text), text);
        assert_eq!(
            Pace::Quick.comparable(text),
            "median 1 ms (min 1 ms, max 2 ms, N runs)"
        );
    }
}
