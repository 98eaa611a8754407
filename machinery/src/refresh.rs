//! `cargo book refresh [NAME...]`: the only writer of `listings/output/`. It runs each listing
//! (one at a time, so measurements do not disturb each other) exactly as the book shows it,
//! and stores what it printed.

use anyhow::{Context, Result, bail};

use crate::Project;
use crate::listing::{Kind, Listing};
use crate::output::StoredOutput;
use crate::run::{Executables, build_listings, run_listing};

pub fn refresh(project: &Project, names: &[String]) -> Result<()> {
    crate::run::become_subreaper()?;
    let all = Listing::all(project)?;
    for name in names {
        if !all.iter().any(|l| &l.name == name) {
            bail!("no listing named {name:?}");
        }
    }
    let chosen: Vec<&Listing> = all
        .iter()
        .filter(|l| names.is_empty() || names.contains(&l.name))
        .collect();
    let needs = |release: bool| {
        chosen
            .iter()
            .any(|l| l.kind == Kind::Program && l.spec.release == release)
    };
    let debug = if needs(false) {
        build_listings(project, false, false)?
    } else {
        Executables::new()
    };
    let release = if needs(true) {
        build_listings(project, true, false)?
    } else {
        Executables::new()
    };

    let mut failed = Vec::new();
    for listing in chosen {
        let executables = if listing.spec.release {
            &release
        } else {
            &debug
        };
        eprint!("refresh {:<40} ", listing.name);
        let run = run_listing(project, listing, executables)?;
        if let Some(problem) = run.problem(listing) {
            eprintln!("FAILED: {problem}\n{}", run.text);
            failed.push(listing.name.clone());
            continue;
        }
        let stored = StoredOutput {
            command: listing.command(),
            text: run.text,
        };
        let path = project.root.join(listing.output_path());
        std::fs::write(&path, stored.render())
            .with_context(|| format!("cannot write {}", path.display()))?;
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
