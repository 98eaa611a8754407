//! The book as a whole: it builds, it shows every listing exactly once, every block the
//! reader sees as Rust is tested by skeptic, the figures are fresh, and every listing's
//! claims hold on its stored output.

use std::sync::{Arc, OnceLock};

use book_tests::checks::{
    Site, architecture_is_mapped, check_links, figures_fresh,
    listings_shown_once, readme_tally_current, references_cited,
    rust_blocks_tested, shows_every_listing,
};
use book_tests::trial;
use machinery::Project;
use machinery::listing::Listing;
use machinery::verify::{check_claims, check_verdicts};

type Check = fn(&Project) -> anyhow::Result<()>;
type SiteCheck = fn(&Site) -> anyhow::Result<()>;

fn main() {
    let project = book_tests::project_or_exit();
    let checks: [(&str, Check); 7] = [
        ("every_reference_is_cited", references_cited),
        ("figures_are_drawn_from_the_stored_outputs", figures_fresh),
        ("every_listing_is_shown_once", listings_shown_once),
        ("every_rust_block_is_tested_by_skeptic", rust_blocks_tested),
        ("every_verdict_rests_on_claims_that_hold", check_verdicts),
        (
            "the_readme_keeps_the_tally_of_verdicts",
            readme_tally_current,
        ),
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
    // The book is built once, by whichever of these checks comes first.
    let site: Arc<OnceLock<Result<Site, String>>> = Arc::default();
    let on_site: [(&str, SiteCheck); 2] = [
        ("book_builds_with_every_listing", shows_every_listing),
        ("internal_links_and_anchors_resolve", |site| {
            check_links(&site.dir)
        }),
    ];
    for (name, check) in on_site {
        let (project, site) = (project.clone(), site.clone());
        trials.push(trial(name, move || {
            let built = site.get_or_init(|| {
                Site::build(&project).map_err(|e| format!("{e:#}"))
            });
            check(built.as_ref().map_err(|e| anyhow::anyhow!("{e}"))?)
        }));
    }
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
    let conclusion = book_tests::run(trials);
    drop(site); // removes the built book
    conclusion.exit()
}
