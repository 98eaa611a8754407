//! Building the listings and running one of them the way the book says, with a timeout.

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::Project;
use crate::listing::{Kind, Listing};

/// Executables of a package, by binary name, for one profile.
pub type Executables = HashMap<String, PathBuf>;

/// Builds every binary of the `listings` package, in release mode or not, and returns where
/// cargo put them. With `quiet`, cargo's progress is kept and shown only if the build fails.
pub fn build_listings(project: &Project, release: bool, quiet: bool) -> Result<Executables> {
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
    for line in output
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
    {
        let message: serde_json::Value =
            serde_json::from_slice(line).context("cargo printed a line that is not JSON")?;
        if message["reason"] == "compiler-artifact"
            && let (Some(name), Some(path)) = (
                message["target"]["name"].as_str(),
                message["executable"].as_str(),
            )
        {
            executables.insert(name.to_owned(), PathBuf::from(path));
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
    /// Processes of the listing's process group still alive after it exited (then killed).
    pub left_behind: bool,
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
        if self.left_behind {
            return Some("left processes behind in its process group (reap every child)".into());
        }
        let status = self.status?;
        let ok = match listing.kind {
            Kind::CompileFail => !status.success(),
            Kind::Program => status.code() == Some(listing.spec.exit_code),
        };
        (!ok).then(|| match listing.kind {
            Kind::CompileFail => "compiled, but it is declared to fail to compile".to_owned(),
            Kind::Program => format!(
                "ended with {status}, expected exit code {}",
                listing.spec.exit_code
            ),
        })
    }
}

/// Runs a listing with bad arguments and says what is wrong with how it refused them, if
/// anything: it must print one line on stderr, nothing on stdout, and exit with code 2.
pub fn check_rejection(exe: &std::path::Path, args: &[String]) -> Result<Option<String>> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait()?.is_none() {
        if Instant::now() >= deadline {
            let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output()?;
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
    Ok(problem.map(|p| format!("with arguments {args:?}: {p}\n--- stderr ---\n{stderr}")))
}

/// Runs a listing as the reader would (its program, or rustc for a compile-fail listing),
/// in the project root, in a process group of its own that is killed at the timeout.
pub fn run_listing(project: &Project, listing: &Listing, executables: &Executables) -> Result<Run> {
    let mut cmd = match listing.kind {
        Kind::Program => {
            let exe = executables
                .get(&listing.name)
                .with_context(|| format!("{}: cargo built no binary of that name", listing.name))?;
            Command::new(exe)
        }
        Kind::CompileFail => {
            let mut cmd = Command::new("rustc");
            cmd.args(["--edition", "2024"]).arg(&listing.source);
            cmd
        }
    };
    cmd.args(&listing.spec.args)
        .current_dir(&project.root)
        // Messages that depend on the caller's environment stay out of the output.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .process_group(0);
    let (mut reader, writer) = std::io::pipe().context("cannot create a pipe")?;
    cmd.stdout(writer.try_clone()?).stderr(writer);
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", listing.name))?;
    drop(cmd); // closes our copies of the pipe's write end, so EOF can come
    let group = Pid::from_raw(child.id() as i32);

    let collector = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        bytes
    });

    let deadline = Instant::now() + Duration::from_secs(listing.spec.timeout_secs);
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            let _ = killpg(group, Signal::SIGKILL);
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // The group outlives its leader only if the listing left a process running; the kernel
    // does not reuse the group's number while any member lives, so this cannot hit a stranger.
    let left_behind = !timed_out && killpg(group, None).is_ok();
    if left_behind {
        let _ = killpg(group, Signal::SIGKILL);
    }
    let bytes = collector
        .join()
        .map_err(|_| anyhow::anyhow!("the output collector panicked"))?;
    Ok(Run {
        text: String::from_utf8_lossy(&bytes).into_owned(),
        status: (!timed_out).then_some(status),
        timed_out,
        left_behind,
    })
}
