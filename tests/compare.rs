//! `cargo book compare` on two quick listings, into a temporary folder: the fresh outputs go
//! there (never to `listings/output/`), and the report has its shape — the verdict on the
//! claims first, the machine lines, one line per listing, and a self-contained HTML page.

use machinery::Project;
use machinery::compare::{Options, Outcome, compare};
use machinery::listing::{Kind, Listing};
use machinery::paths::{COMPARE_OUTPUTS, COMPARE_REPORT};

#[test]
fn compare_runs_listings_into_its_own_folder_and_reports() {
    let project = Project::find().unwrap();
    // Two quick programs (no measurement) whose sidecars make claims.
    let chosen: Vec<Listing> = Listing::all(&project)
        .unwrap()
        .into_iter()
        .filter(|l| {
            l.kind == Kind::Program
                && !l.spec.measurement
                && !l.spec.claims.is_empty()
        })
        .take(2)
        .collect();
    assert_eq!(
        chosen.len(),
        2,
        "the book has two quick listings with claims"
    );
    let stored_before: Vec<String> = chosen
        .iter()
        .map(|l| {
            std::fs::read_to_string(project.root.join(l.output_path())).unwrap()
        })
        .collect();
    let scratch = machinery::Scratch::new("compare-test").unwrap();
    let out = scratch.path().to_path_buf();
    let options = Options {
        listings: chosen.iter().map(|l| l.name.clone()).collect(),
        quick: true,
        out: out.clone(),
    };
    let report = compare(&project, &options).unwrap();
    let terminal = report.terminal();
    let html = std::fs::read_to_string(out.join(COMPARE_REPORT)).unwrap();
    let fresh: Vec<bool> = chosen
        .iter()
        .map(|l| out.join(COMPARE_OUTPUTS).join(l.output_file()).is_file())
        .collect();
    drop(scratch);

    for (listing, before) in chosen.iter().zip(&stored_before) {
        let after =
            std::fs::read_to_string(project.root.join(listing.output_path()))
                .unwrap();
        assert_eq!(&after, before, "compare wrote {}", listing.name);
    }
    assert_eq!(fresh, [true, true], "the fresh outputs are in OUT/outputs/");
    assert_eq!(report.listings.len(), 2);
    for listing in &report.listings {
        assert!(
            matches!(listing.outcome, Outcome::Matches),
            "{} on this machine: {:?}",
            listing.name,
            listing.outcome
        );
        assert!(listing.claims.iter().all(|c| c.mine.is_some()));
    }
    assert!(report.ok());
    let (hold, judged, total) = report.claim_counts();
    assert!(total >= 2 && judged == total && hold <= total);

    // What a reader sees first: how many claims hold, then the listings, the machines.
    let first: Vec<&str> = terminal.lines().take(4).collect();
    assert!(
        first[0].starts_with(&format!("{hold} of {total} claims hold")),
        "{terminal}"
    );
    assert!(
        first[1].starts_with("2 of 2 listings match the book"),
        "{terminal}"
    );
    assert!(first[2].starts_with("book's machine: "), "{terminal}");
    assert!(first[3].starts_with("your machine: "), "{terminal}");
    assert!(terminal.contains("report.html"), "{terminal}");

    // One page, nothing fetched: inline style, no script, no external resource.
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<style>"));
    for outside in ["<script", "<link", "src=\"http", "href=\"http"] {
        assert!(!html.contains(outside), "the page loads {outside}");
    }
    for section in ["id=\"claims\"", "id=\"measured\"", "id=\"listings\""] {
        assert!(html.contains(section), "no {section} in the page");
    }
    for listing in &chosen {
        assert!(html.contains(&format!("id=\"{}\"", listing.name)));
    }
}
