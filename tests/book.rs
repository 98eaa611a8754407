//! The book as a whole: it builds, it shows every listing exactly once, every block the
//! reader sees as Rust is tested by skeptic, the figures are fresh, and every listing's
//! claims hold on its stored output.

use book_tests::checks::{
    architecture_is_mapped, builds, figures_fresh, links_resolve,
    listings_shown_once, references_cited, rust_blocks_tested,
};
use book_tests::trial;
use machinery::Project;
use machinery::listing::Listing;
use machinery::verify::check_claims;

type Check = fn(&Project) -> anyhow::Result<()>;

fn main() {
    let project = book_tests::project_or_exit();
    let checks: [(&str, Check); 7] = [
        ("every_reference_is_cited", references_cited),
        ("internal_links_and_anchors_resolve", links_resolve),
        ("figures_are_drawn_from_the_stored_outputs", figures_fresh),
        ("book_builds_with_every_listing", builds),
        ("every_listing_is_shown_once", listings_shown_once),
        ("every_rust_block_is_tested_by_skeptic", rust_blocks_tested),
        (
            "architecture_map_names_every_folder_and_module",
            architecture_is_mapped,
        ),
    ];
    let mut trials: Vec<_> = checks
        .into_iter()
        .map(|(name, check)| {
            let project = project.clone();
            trial(name, move || check(&project))
        })
        .collect();
    // Each listing's claims, judged on its stored output.
    match Listing::all(&project) {
        Ok(listings) => trials.extend(listings.into_iter().map(|listing| {
            let project = project.clone();
            trial(format!("claims::{}", listing.name), move || {
                check_claims(&project, &listing)
            })
        })),
        Err(e) => trials.push(trial("claims", move || Err(e))),
    }
    book_tests::run(trials)
}
