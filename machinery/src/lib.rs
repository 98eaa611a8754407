//! The book's machinery: what a listing, an output and a chapter are.
//!
//! One crate serves the three users of these ideas: the tests (`tests/`), the refresh command
//! (`cargo book refresh`) and the book build (`cargo book build` / `serve`, and the build
//! script that hands the chapters to skeptic).

pub mod book;
#[cfg(feature = "browser")]
pub mod browser;
pub mod claims;
pub mod directive;
pub mod figures;
pub mod listing;
pub mod output;
pub mod refresh;
pub mod run;
pub mod serve;
pub mod snippets;
pub mod verify;

use std::path::{Path, PathBuf};

/// The project: the folder that holds `book.toml`.
#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
}

impl Project {
    /// The project this crate was built in.
    pub fn this() -> Project {
        let machinery = Path::new(env!("CARGO_MANIFEST_DIR"));
        Project::at(
            machinery
                .parent()
                .expect("machinery/ lives in the project root"),
        )
    }

    /// A project elsewhere, e.g. a copy made by a test.
    pub fn at(root: &Path) -> Project {
        Project {
            root: root.to_path_buf(),
        }
    }
}
