//! Runs every listing as the book shows it and compares what it prints with its stored output
//! (`listings/output/NAME.txt`), allowing only the variation its sidecar declares; see
//! `machinery::verify` for everything checked.

use std::sync::Arc;

use book_tests::trial;
use machinery::Project;
use machinery::listing::Listing;
use machinery::verify::{Builds, check_listing};

fn main() {
    let project = Project::find();
    // Orphans and zombies a listing leaves are adopted by this process and so detected.
    if let Err(e) = machinery::run::become_subreaper() {
        eprintln!("warning: {e:#}; leaked orphans may go unnoticed");
    }
    let trials = match project.and_then(|p| Ok((Listing::all(&p)?, p))) {
        Ok((listings, _)) if listings.is_empty() => {
            vec![trial("listings", || {
                Err("no listing found under listings/: nothing would be tested"
                    .into())
            })]
        }
        Ok((listings, project)) => {
            let builds = Arc::new(Builds::default());
            listings
                .into_iter()
                .map(|listing| {
                    let (project, builds) = (project.clone(), builds.clone());
                    trial(listing.name.clone(), move || {
                        check_listing(&project, &listing, &builds)
                    })
                })
                .collect()
        }
        Err(e) => vec![trial("listings", move || Err(format!("{e:#}")))],
    };
    book_tests::run(trials)
}
