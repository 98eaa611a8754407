//! `cargo book pdf [--out book.pdf]`: the book for offline reading. mdBook's `print.html`
//! (every chapter on one page) printed by headless Chromium (`--print-to-pdf`), with the
//! print rules of `theme/listings.css` (`@media print`): each chapter starts on a new page,
//! code is set small enough that an 80-column line fits the page, figures stay SVG (vector).
//! Chromium writes the PDF outline (bookmarks) from the headings.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::Project;
use crate::book::LoadedBook;

/// Debian's Chromium (the browser tests use the same).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Builds the book into a temporary folder and prints it to `out`; returns the PDF's size
/// in bytes.
pub fn print(project: &Project, out: &Path) -> Result<u64> {
    if !Path::new(CHROMIUM).exists() {
        bail!(
            "{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
        );
    }
    let scratch =
        std::env::temp_dir().join(format!("book-pdf-{}", std::process::id()));
    let result = print_in(project, out, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn print_in(project: &Project, out: &Path, scratch: &Path) -> Result<u64> {
    let site =
        LoadedBook::load(project)?.build_html(Some(&scratch.join("site")))?;
    print_site(&site, out, &scratch.join("profile"))
}

/// Prints the `print.html` of a built `site` to `out`, with Chromium's profile in `profile`
/// (a folder of its own: two Chromiums cannot share one); returns the PDF's size in bytes.
pub fn print_site(site: &Path, out: &Path, profile: &Path) -> Result<u64> {
    let page = site.join("print.html");
    let out = if out.is_absolute() {
        out.to_path_buf()
    } else {
        std::env::current_dir()?.join(out)
    };
    let _ = std::fs::remove_file(&out);
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
            "--generate-pdf-document-outline",
            // Time for mdBook's scripts and the fonts before printing.
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", out.display()))
        .arg(file_url(&page))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0) // so that a hung browser is ended with its helpers
        .spawn()
        .context("cannot start chromium")?;
    let group = nix::unistd::Pid::from_raw(child.id() as i32);
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = nix::sys::signal::killpg(
                group,
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = child.wait();
            bail!("chromium did not print the book within 180 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // Chromium's helper processes end with it; make sure none is left.
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    if !status.success() || size == 0 {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            use std::io::Read;
            let _ = pipe.read_to_string(&mut stderr);
        }
        bail!(
            "chromium failed to print {} ({status}):\n{stderr}",
            page.display()
        );
    }
    Ok(size)
}

fn file_url(path: &Path) -> String {
    let path: PathBuf = path.components().collect();
    format!("file://{}", path.display())
}
