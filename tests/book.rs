//! The book as a whole: it builds, it shows every listing exactly once, every block the
//! reader sees as Rust is tested by skeptic, the figures are fresh, and every listing's
//! claims hold on its stored output (a litmus listing's once it is in step with its model
//! twin).

use std::sync::{Arc, OnceLock};

use book_tests::checks::{
    Site, architecture_is_mapped, check_links, figures_fresh,
    lines_fit_their_columns, listing_binaries_not_harnesses,
    listings_shown_once, machine_folder_well_formed, machine_output_listing,
    readme_tally_current, references_cited, rust_blocks_tested,
    shows_every_listing,
};
use book_tests::trial;
use machinery::Project;
use machinery::listing::Listing;
use machinery::verify::{
    check_claims, check_claims_elsewhere, check_other_machine, check_variation,
    check_verdicts,
};

type Check = fn(&Project) -> anyhow::Result<()>;
type SiteCheck = fn(&Site) -> anyhow::Result<()>;

fn main() {
    let project = book_tests::project_or_exit();
    let checks: &[(&str, Check)] = &[
        (
            "code_and_outputs_fit_their_columns",
            lines_fit_their_columns,
        ),
        ("every_reference_is_cited", references_cited),
        (
            "listing_binaries_are_not_test_harnesses",
            listing_binaries_not_harnesses,
        ),
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
        .iter()
        .map(|&(name, check)| {
            let project = project.clone();
            trial(name, move || check(&project))
        })
        .collect();
    // The book is built once, by whichever of these checks comes first.
    let site: Arc<OnceLock<Result<Site, String>>> = Arc::default();
    let on_site: &[(&str, SiteCheck)] = &[
        ("book_builds_with_every_listing", shows_every_listing),
        ("internal_links_and_anchors_resolve", |site| {
            check_links(&site.dir)
        }),
    ];
    for &(name, check) in on_site {
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
    // Each quiz's questions, decided by their evidence (stored outputs only: nothing runs).
    match machinery::quiz::Quiz::all(&project)
        .and_then(|quizzes| Ok((quizzes, Listing::all(&project)?)))
    {
        Ok((quizzes, listings)) => {
            let listings = Arc::new(listings);
            trials.extend(quizzes.into_iter().map(|quiz| {
                let (project, listings) = (project.clone(), listings.clone());
                trial(format!("quizzes::{}", quiz.chapter), move || {
                    machinery::quiz::check_quiz(&project, &listings, &quiz)
                })
            }));
        }
        Err(e) => trials.push(trial("quizzes", move || Err(e))),
    }
    trials.push(trial("every_declared_variation_is_exercised", {
        let project = project.clone();
        move || variations_exercised(&project)
    }));
    trials.extend(other_machines(&project));
    let conclusion = book_tests::run(trials);
    drop(site); // removes the built book
    conclusion.exit()
}

/// Every listing's `[vary]` is exercised on its stored output: each declared span made to
/// vary must be absorbed, each change outside them rejected.
fn variations_exercised(project: &Project) -> anyhow::Result<()> {
    let (mut absorbed, mut rejected, mut failures) = (0, 0, Vec::new());
    for listing in Listing::all(project)? {
        match check_variation(project, &listing) {
            Ok(found) => {
                absorbed += found.absorbed;
                rejected += found.rejected;
            }
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    if !failures.is_empty() {
        anyhow::bail!("{}", failures.join("\n"));
    }
    eprintln!(
        "variations: {absorbed} declared changes absorbed, {rejected} other changes rejected"
    );
    Ok(())
}

/// One trial per output of another machine (`machines/MACHINE/outputs/NAME.txt`, and of each
/// of its shapes, `machines/MACHINE/shapes/SHAPE/outputs/NAME.txt`): it matches the book's
/// stored output within the listing's declared variation, and every claim that does not hold
/// on it says why it may not (`why_not`) and why it fails there (`why-not.toml`).
fn other_machines(project: &Project) -> Vec<libtest_mimic::Trial> {
    let found = || -> anyhow::Result<Vec<libtest_mimic::Trial>> {
        let listings = Listing::all(project)?;
        let mut trials = Vec::new();
        for (name, absolute, _shape) in
            machinery::machines::result_folders(&project.root)?
        {
            // A machine's (or shape's) folder says what the machine is, under a name a
            // folder can have.
            let folder = absolute.strip_prefix(&project.root)?.to_path_buf();
            trials.push(trial(format!("machines::{name}::folder"), {
                let (project, folder) = (project.clone(), folder.clone());
                move || machine_folder_well_formed(&project, &folder)
            }));
            let outputs = folder.join(machinery::paths::MACHINE_OUTPUTS);
            if !absolute.join(machinery::paths::MACHINE_OUTPUTS).is_dir() {
                continue;
            }
            for file in std::fs::read_dir(project.root.join(&outputs))
                .map_err(|e| anyhow::anyhow!("{}: {e}", outputs.display()))?
            {
                let relative = outputs.join(file?.file_name());
                let stem = relative
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned();
                let listing = machine_output_listing(&listings, &relative);
                let project = project.clone();
                trials.push(trial(
                    format!("machines::{name}::{stem}"),
                    move || {
                        let listing = listing?;
                        check_other_machine(&project, &listing, &relative)?;
                        check_claims_elsewhere(&project, &listing, &relative)
                            .map(drop)
                    },
                ));
            }
        }
        Ok(trials)
    };
    found().unwrap_or_else(|e| vec![trial("machines", move || Err(e))])
}
