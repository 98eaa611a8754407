//! Runs every listing as the book shows it and compares what it prints with its stored output
//! (`listings/output/NAME.txt`), allowing only the variation its sidecar declares.

use std::sync::{Arc, OnceLock};

use book_tests::trial;
use machinery::Project;
use machinery::listing::{Kind, Listing};
use machinery::output::StoredOutput;
use machinery::run::{Executables, build_listings, check_rejection, run_listing};

/// The listings, built once per profile, on first need.
#[derive(Default)]
struct Builds {
    debug: OnceLock<Result<Executables, String>>,
    release: OnceLock<Result<Executables, String>>,
}

impl Builds {
    fn get(&self, project: &Project, release: bool) -> Result<&Executables, String> {
        let cell = if release { &self.release } else { &self.debug };
        cell.get_or_init(|| build_listings(project, release, true).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn check(project: &Project, listing: &Listing, builds: &Builds) -> Result<(), String> {
    let output_path = listing.output_path();
    let shown = output_path.display();
    let fix = format!(
        "if the change is intended, refresh it with `{}` and review the diff",
        listing.refresh_command()
    );
    let file = std::fs::read_to_string(project.root.join(&output_path)).map_err(|_| {
        format!(
            "{}: no stored output {shown}; make it with `{}`",
            listing.source.display(),
            listing.refresh_command()
        )
    })?;
    let stored = StoredOutput::parse(&file)
        .ok_or_else(|| format!("{shown}: does not start with `$ COMMAND`; {fix}"))?;
    if stored.command != listing.command() {
        return Err(format!(
            "{shown}: made with `{}`, but the book now runs `{}`; {fix}",
            stored.command,
            listing.command()
        ));
    }
    let matcher = listing.spec.vary.compile().map_err(|e| format!("{e:#}"))?;
    let unused = matcher.unused_declarations(&stored.text);
    if !unused.is_empty() {
        return Err(format!(
            "{}.toml declares variation that {shown} does not show: {}; remove it or fix it",
            listing.source.with_extension("").display(),
            unused.join("; ")
        ));
    }
    let executables = match listing.kind {
        Kind::Program => builds.get(project, listing.spec.release)?,
        Kind::CompileFail => &Executables::new(),
    };
    let run = run_listing(project, listing, executables).map_err(|e| format!("{e:#}"))?;
    if let Some(problem) = run.problem(listing) {
        return Err(format!(
            "{}: {problem}\n--- what it printed ---\n{}",
            listing.source.display(),
            run.text
        ));
    }
    matcher.compare(&stored.text, &run.text).map_err(|diff| {
        format!(
            "{shown} no longer matches a fresh run of {}:\n{diff}\n{fix}",
            listing.name
        )
    })?;
    let source = std::fs::read_to_string(project.root.join(&listing.source)).unwrap_or_default();
    if source.contains("cli::parse") && listing.spec.rejects.is_empty() {
        return Err(format!(
            "{}: takes arguments but its .toml declares no `rejects = [[...]]`: list bad \
             argument lists (a non-number, zero, an absurd size, an unknown flag)",
            listing.source.display()
        ));
    }
    for args in &listing.spec.rejects {
        let exe = executables
            .get(&listing.name)
            .ok_or_else(|| format!("{}: `rejects` is only for programs", listing.name))?;
        if let Some(problem) = check_rejection(exe, args).map_err(|e| format!("{e:#}"))? {
            return Err(format!("{}: {problem}", listing.source.display()));
        }
    }
    Ok(())
}

fn main() {
    let project = Project::this();
    let trials = match Listing::all(&project) {
        Ok(listings) => {
            let builds = Arc::new(Builds::default());
            listings
                .into_iter()
                .map(|listing| {
                    let (project, builds) = (project.clone(), builds.clone());
                    trial(listing.name.clone(), move || {
                        check(&project, &listing, &builds)
                    })
                })
                .collect()
        }
        Err(e) => vec![trial("listings", move || Err(format!("{e:#}")))],
    };
    book_tests::run(trials)
}
