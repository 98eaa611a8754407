//! `cargo book refresh [NAME...]`: the only maker of `listings/output/`.
//!
//! It runs each listing (one at a time, so measurements do not disturb each other) exactly as
//! the book shows it, and stores what it printed. (`cargo book rename` moves an output to a
//! listing's new name and rewrites its `$ COMMAND` line; nothing else writes there.)
//!
//! [`Batch`] is what refresh shares with `cargo book compare`: the listings chosen by name,
//! built in the profiles they need, run one at a time.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::Project;
use crate::listing::{Kind, Listing};
use crate::output::StoredOutput;
use crate::run::{Executables, Pace, Run, build_listings, run_listing};

/// Listings chosen by name (all when no name is given), built in the profiles they need.
pub struct Batch {
    pub listings: Vec<Listing>,
    debug: Executables,
    release: Executables,
}

impl Batch {
    /// Chooses the listings named (an unknown name is an error) and builds them; with
    /// `quiet`, cargo's progress is shown only if the build fails.
    pub fn prepare(
        project: &Project,
        names: &[String],
        quiet: bool,
    ) -> Result<Batch> {
        crate::run::become_subreaper()?;
        let all = Listing::all(project)?;
        for name in names {
            Listing::named(&all, name)?;
        }
        let listings: Vec<Listing> = all
            .into_iter()
            .filter(|l| names.is_empty() || names.contains(&l.name))
            .collect();
        let needs = |release: bool| {
            listings
                .iter()
                .any(|l| l.kind == Kind::Program && l.spec.release == release)
        };
        let debug = if needs(false) {
            build_listings(project, false, quiet)?
        } else {
            Executables::new()
        };
        let release = if needs(true) {
            build_listings(project, true, quiet)?
        } else {
            Executables::new()
        };
        Ok(Batch {
            listings,
            debug,
            release,
        })
    }

    /// Runs one listing of the batch as the book shows it.
    pub fn run(
        &self,
        project: &Project,
        listing: &Listing,
        pace: Pace,
    ) -> Result<Run> {
        let executables = if listing.spec.release {
            &self.release
        } else {
            &self.debug
        };
        run_listing(project, listing, executables, pace)
    }
}

/// Writes what a run printed as the output file of `listing` in `dir`.
pub fn store(dir: &Path, listing: &Listing, text: String) -> Result<()> {
    let stored = StoredOutput {
        command: listing.command(),
        text,
    };
    let name = Path::new(&listing.output_path())
        .file_name()
        .map(ToOwned::to_owned)
        .unwrap_or_default();
    let path = dir.join(name);
    std::fs::write(&path, stored.render())
        .with_context(|| format!("cannot write {}", path.display()))
}

pub fn refresh(project: &Project, names: &[String]) -> Result<()> {
    let batch = Batch::prepare(project, names, false)?;
    let outputs = project.root.join(crate::paths::OUTPUTS_DIR);
    let mut failed = Vec::new();
    for listing in &batch.listings {
        eprint!("refresh {:<40} ", listing.name);
        let run = batch.run(project, listing, Pace::Full)?;
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
