//! Runs every listing as the book shows it and compares what it prints with its stored output
//! (`listings/output/NAME.txt`), allowing only the variation its sidecar declares; see
//! `machinery::verify` for everything checked.
//!
//! Listings run in parallel (libtest-mimic's threads), except the measurements
//! (`release = true` in the sidecar): their output shape may depend on having the machine
//! alone, so each runs with no other listing running. They come last, and take the lock
//! below for writing while the others hold it for reading; a waiting writer keeps new
//! readers out (std's `RwLock` on Linux prefers writers), so a measurement starts as soon
//! as the listings already running end.

use std::sync::{Arc, RwLock};

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
                anyhow::bail!(
                    "no listing found under listings/: nothing would be tested"
                )
            })]
        }
        Ok((mut listings, project)) => {
            // Measurements last (stable: by name within each group).
            listings.sort_by_key(|listing| listing.spec.release);
            let builds = Arc::new(Builds::default());
            let machine = Arc::new(RwLock::new(()));
            listings
                .into_iter()
                .map(|listing| {
                    let (project, builds, machine) =
                        (project.clone(), builds.clone(), machine.clone());
                    trial(listing.name.clone(), move || {
                        // A poisoned lock only means another trial panicked.
                        let _alone;
                        let _shared;
                        if listing.spec.release {
                            _alone = machine
                                .write()
                                .unwrap_or_else(|e| e.into_inner());
                        } else {
                            _shared = machine
                                .read()
                                .unwrap_or_else(|e| e.into_inner());
                        }
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
