//! `cargo book refresh [NAME...]`: the only maker of `listings/output/`.
//!
//! It runs each listing (one at a time, so measurements do not disturb each other) exactly as
//! the book shows it, and stores what it printed. (`cargo book rename` moves an output to a
//! listing's new name and rewrites its `$ COMMAND` line; nothing else writes there.)
//! `cargo book compare` runs listings the same way ([`crate::run::Builds`]) and stores with
//! [`store`], into a folder of its own.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::Project;
use crate::listing::Listing;
use crate::output::StoredOutput;
use crate::run::{Builds, Pace, become_subreaper};

/// Writes what a run printed as the output file of `listing` in `dir`.
pub fn store(dir: &Path, listing: &Listing, text: String) -> Result<()> {
    let stored = StoredOutput {
        command: listing.command(),
        text,
    };
    let path = dir.join(listing.output_file());
    std::fs::write(&path, stored.render())
        .with_context(|| format!("cannot write {}", path.display()))
}

pub fn refresh(project: &Project, names: &[String]) -> Result<()> {
    become_subreaper()?;
    let listings = Listing::chosen(project, names)?;
    let builds = Builds::showing_cargo();
    builds.prepare(project, &listings)?;
    let outputs = project.root.join(crate::paths::OUTPUTS_DIR);
    let mut failed = Vec::new();
    for listing in &listings {
        eprint!("refresh {:<40} ", listing.name);
        let run = builds.run(project, listing, Pace::Full)?;
        if let Some(problem) = run.problem(listing) {
            eprintln!("FAILED: {problem}\n{}", run.text);
            failed.push(listing.name.clone());
            continue;
        }
        store(&outputs, listing, run.text)?;
        eprintln!("ok");
    }
    if !failed.is_empty() {
        bail!(
            "not refreshed, because the run failed: {}",
            failed.join(", ")
        );
    }
    Ok(())
}
