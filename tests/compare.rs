//! `cargo book compare` on two quick listings and one measurement, into a temporary folder:
//! the fresh outputs go there (never to `listings/output/`), and the report has its shape —
//! the verdict on the claims first, the machine lines, one line per listing, the measured
//! values of both runs side by side, and a self-contained HTML page.

use machinery::Project;
use machinery::claims::read_values;
use machinery::compare::{Options, Outcome, compare};
use machinery::listing::{Kind, Listing};
use machinery::paths::COMPARE_REPORT;

#[test]
fn compare_runs_listings_into_its_own_folder_and_reports() {
    let project = Project::find().unwrap();
    let all = Listing::all(&project).unwrap();
    let with_claims =
        |l: &&Listing| l.kind == Kind::Program && !l.spec.claims.is_empty();
    // Two quick programs, and the first measurement (run quick: `BOOK_QUICK=1`), all with
    // claims; the measurement's values are numbers with units.
    let mut chosen: Vec<&Listing> = all
        .iter()
        .filter(with_claims)
        .filter(|l| !l.spec.measurement)
        .take(2)
        .collect();
    let measurement = all
        .iter()
        .filter(with_claims)
        .find(|l| l.spec.measurement)
        .expect("the book has a measurement with claims");
    chosen.push(measurement);
    assert_eq!(
        chosen.len(),
        3,
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
    for (listing, before) in chosen.iter().zip(&stored_before) {
        assert!(
            out.join(machinery::paths::COMPARE_OUTPUTS)
                .join(listing.output_file())
                .is_file(),
            "no fresh output of {} in OUT/outputs/",
            listing.name
        );
        let after =
            std::fs::read_to_string(project.root.join(listing.output_path()))
                .unwrap();
        assert_eq!(&after, before, "compare wrote {}", listing.name);
    }

    assert_eq!(report.listings.len(), 3);
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
    let claims: usize = chosen.iter().map(|l| l.spec.claims.len()).sum();
    assert_eq!((judged, total), (claims, claims));

    // The measurement's values, the book's as its stored output prints them, beside this
    // run's, with their ratio.
    let measured = &report
        .listings
        .iter()
        .find(|l| l.name == measurement.name)
        .unwrap()
        .measured;
    let stored = measurement.stored_output(&project.root).unwrap();
    let book = read_values(&measurement.spec.values, &stored.text).unwrap();
    assert!(
        !measured.is_empty(),
        "{}: no measured value",
        measurement.name
    );
    for value in measured {
        assert_eq!(value.book, book[&value.name].text, "{}", value.name);
        assert!(
            !value.mine.is_empty(),
            "{}: not read on this run",
            value.name
        );
        assert!(value.ratio > 0.0, "{}: ratio {}", value.name, value.ratio);
        assert!(
            html.contains(&value.book) && html.contains(&value.ratio_text()),
            "{} is not in the page's measured values",
            value.name
        );
    }

    // What a reader sees first: how many claims hold, then the listings, the machines.
    let first: Vec<&str> = terminal.lines().take(4).collect();
    assert!(
        first[0].starts_with(&format!("{hold} of {total} claims hold")),
        "{terminal}"
    );
    assert!(
        first[1].starts_with("3 of 3 listings match the book"),
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
