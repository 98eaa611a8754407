//! The book's machinery: what a listing, an output, a claim and a chapter are.
//!
//! One crate serves every user of these ideas: the tests (`tests/`), the `cargo book` tool
//! (`main.rs`: build, serve, refresh, compare, rename, tally, figures, pdf, screenshots,
//! preprocess) and the tests' build script, which hands the chapters to skeptic.

pub mod book;
#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "browser")]
pub mod chrome;
pub mod claims;
pub mod compare;
pub mod directive;
pub mod export;
pub mod figures;
pub mod layout;
pub mod listing;
pub mod machines;
pub mod outcomes;
pub mod output;
#[cfg(feature = "browser")]
pub mod pdf;
pub mod quiz;
pub mod refresh;
pub mod rename;
pub mod run;
pub mod serve;
pub mod snippets;
pub mod variation;
pub mod verdict;
pub mod verify;

/// Where things are in the project, and how quantities are printed and read back: shared
/// with the listings and the figures (the `facts` crate).
pub use facts::{paths, units};

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The project: the folder that holds `book.toml`.
#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
}

impl Project {
    /// The project the running program works on, found at run time: the nearest folder
    /// holding `book.toml` above the package cargo runs us for (cargo sets
    /// `CARGO_MANIFEST_DIR` for `cargo run`, `cargo test` and build scripts), else above the
    /// current folder. Never a path compiled in: two clones sharing one `CARGO_TARGET_DIR`
    /// share compiled test binaries, and each must test its own tree.
    pub fn find() -> Result<Project> {
        let start = match std::env::var_os("CARGO_MANIFEST_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => std::env::current_dir()
                .context("cannot read the current folder")?,
        };
        paths::book_root_above(&start)
            .map(|root| Project { root })
            .with_context(|| {
                format!(
                    "no book.toml in {} or above it: run this inside the book's \
                     repository",
                    start.display()
                )
            })
    }

    /// A project elsewhere, e.g. a copy made by a test.
    pub fn at(root: &Path) -> Project {
        Project {
            root: root.to_path_buf(),
        }
    }
}

/// `path` with its `.` and `..` components resolved as text (the file system is not read):
/// `src/../listings/a.rs` is `listings/a.rs`. For messages, which name files relative to
/// the project's root.
pub fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if normal.file_name().is_some() => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// A folder of this process's own in the system's temporary folder (`tempfile`), removed
/// with everything in it when dropped, even after a panic.
#[derive(Debug)]
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    /// `$TMPDIR/PREFIX-XXXXXX`, a new name each time, so that two made at once (a book being
    /// built while another prints) never meet.
    pub fn new(prefix: &str) -> Result<Scratch> {
        tempfile::Builder::new()
            .prefix(&format!("{prefix}-"))
            .tempdir()
            .map(Scratch)
            .with_context(|| {
                format!(
                    "cannot create a temporary folder in {}",
                    std::env::temp_dir().display()
                )
            })
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// Problems found one after another and reported together: a check that finds several says
/// all of them, one a line, rather than only the first.
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    pub fn new() -> Problems {
        Problems::default()
    }

    pub fn push(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when none was found; else one error, the problems one a line.
    pub fn into_result(self) -> Result<()> {
        self.into_result_with(str::to_owned)
    }

    /// `Ok` when none was found; else one error, the message `message` makes of the
    /// problems, one a line.
    pub fn into_result_with(
        self,
        message: impl FnOnce(&str) -> String,
    ) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(anyhow::anyhow!("{}", message(&self.0.join("\n"))))
        }
    }
}
