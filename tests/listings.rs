//! Runs every listing as the book shows it and compares what it prints with its stored output
//! (`listings/output/NAME.txt`), allowing only the variation its sidecar declares; see
//! `machinery::verify` for everything checked.
//!
//! Listings run in parallel (libtest-mimic's threads), the measurements (`measurement = true`)
//! too: the test checks only the shape of their output, from a short run
//! (`machinery::run::Pace::Shape`), and their claims are judged on the stored output of a
//! full run made on a quiet machine (`cargo book refresh`). They start first, being the
//! longest, so that the short listings fill the time around them.

use std::sync::Arc;

use book_tests::trial;
use machinery::Project;
use machinery::listing::Listing;
use machinery::run::Builds;
use machinery::verify::check_listing;

fn main() {
    let project = Project::find();
    // Orphans and zombies a listing leaves are adopted by this process and so detected.
    if let Err(e) = machinery::run::become_subreaper() {
        eprintln!("warning: {e:#}; leaked orphans may go unnoticed");
    }
    let trials = match project.and_then(|p| Ok((Listing::all(&p)?, p))) {
        Ok((listings, _)) if listings.is_empty() => {
            vec![trial("listings", || {
                anyhow::bail!(
                    "no listing found under listings/: nothing would be tested"
                )
            })]
        }
        Ok((mut listings, project)) => {
            // Measurements first (stable: by name within each group).
            listings.sort_by_key(|listing| !listing.spec.measurement);
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
        Err(e) => vec![trial("listings", move || Err(e))],
    };
    // Listings mostly wait (for children, pipes, sleeps), so twice as many run at once as
    // there are CPUs.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    book_tests::run_with_threads(trials, 2 * cpus)
}
