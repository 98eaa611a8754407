//! `cargo book compare [LISTING...] [--quick] [--out DIR]`: runs the book on the reader's
//! machine and sets the reader's run beside the book's.
//!
//! Each listing is built and run the way `cargo book refresh` runs it ([`Builds`]), one at a
//! time, but its output goes to `DIR/outputs/` (default `target/compare/`), never to
//! `listings/output/`. Then, per listing: does the reader's output match the stored one
//! under the declared variation; per claim: does it hold on the reader's output, and if not,
//! why it may not (its `why_not`); every measured value (a number with a unit) of the book's
//! run and of this one, with the ratio; the machine lines of both ([`report`]). The figures
//! are redrawn from the reader's outputs (`BOOK_OUTPUTS_DIR`) into `DIR/figures/`
//! ([`figures`]). A litmus listing's possible-outcomes panel is drawn again with the
//! reader's counts beside the book's ([`crate::outcomes`]). The report is printed ([`terminal`]) and written as one self-contained
//! page, `DIR/report.html` ([`html`]).
//!
//! With `--quick` the listings run with `BOOK_QUICK=1`, which `listings::bench::repeat`
//! reads to make fewer repetitions; the run counts they print are then not compared.

mod figures;
mod html;
mod report;
mod terminal;

pub use report::{
    ClaimRow, Figure, ListingReport, MachineLines, Measured, Outcome, Report,
    Resting, Sentences, judge_listing, sentences,
};

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::Project;
use crate::listing::{Kind, Listing};
use crate::machines::{BOOK, Machine};
use crate::output::machine_line;
use crate::paths::{COMPARE_OUTPUTS, COMPARE_REPORT, OUTPUTS_DIR};
use crate::refresh::store;
use crate::run::{Builds, Pace, become_subreaper};

/// How a reader's run, or an error they found, reaches the book: said at the end of every
/// report.
pub const SHARE: &str = "Your run differs, or a claim fails here? Keep it with `cargo book \
compare --export NAME` (a full run) and propose machines/NAME/ with the repository's \"My run \
differs\" issue template (.github/ISSUE_TEMPLATE/); an error in the text goes to its \
\"Erratum\" template.";

/// What to compare, and where to put the run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Listing names; all listings when empty.
    pub listings: Vec<String>,
    /// Fewer repetitions (the listings run with `BOOK_QUICK=1`: [`Pace::Quick`]).
    pub quick: bool,
    /// The compare folder (default `target/compare`, [`crate::paths::COMPARE_DIR`]).
    pub out: PathBuf,
}

impl Options {
    /// Where the reader's outputs go: `OUT/outputs/`.
    pub fn outputs(&self) -> PathBuf {
        self.out.join(COMPARE_OUTPUTS)
    }
}

/// Runs the chosen listings one at a time, stores their outputs in `OUT/outputs/`, redraws
/// the figures from them, writes `OUT/report.html`, and returns the report.
pub fn compare(project: &Project, options: &Options) -> Result<Report> {
    let started = Instant::now();
    let outputs = options.outputs();
    std::fs::create_dir_all(&outputs)
        .with_context(|| format!("cannot create {}", outputs.display()))?;
    eprintln!("building the listings...");
    become_subreaper()?;
    let chosen = Listing::chosen(project, &options.listings)?;
    let builds = Builds::default();
    builds.prepare(project, &chosen)?;
    let sentences = sentences(project)?;
    let built = started.elapsed();

    let listings = run_all(project, options, &builds, &chosen, &sentences)?;
    let ran: Vec<&str> = listings.iter().map(|l| l.name.as_str()).collect();
    let (figures, figures_problem) =
        match figures::redraw(project, &options.out, &outputs, &ran) {
            Ok(figures) => (figures, None),
            Err(e) => (Vec::new(), Some(format!("{e:#}"))),
        };
    let report = Report {
        quick: options.quick,
        built,
        took: started.elapsed(),
        machines: machine_lines(project, &chosen, &listings),
        listings,
        figures,
        figures_problem,
        out: options.out.clone(),
    };
    let page = options.out.join(COMPARE_REPORT);
    std::fs::write(&page, report.html())
        .with_context(|| format!("cannot write {}", page.display()))?;
    Ok(report)
}

/// Runs each listing, stores what it printed, and judges it, with a progress bar (its
/// estimated time from [`expected_ms`]) and one line per listing.
fn run_all(
    project: &Project,
    options: &Options,
    builds: &Builds,
    chosen: &[Listing],
    sentences: &Sentences,
) -> Result<Vec<ListingReport>> {
    let bar = ProgressBar::new(
        chosen.iter().map(|l| expected_ms(l, options.quick)).sum(),
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {percent:>3}% {wide_msg} ETA {eta}",
        )
        .expect("valid template"),
    );
    let pace = if options.quick {
        Pace::Quick
    } else {
        Pace::Full
    };
    let mut reports = Vec::new();
    for (i, listing) in chosen.iter().enumerate() {
        bar.set_message(format!(
            "[{}/{}] {}",
            i + 1,
            chosen.len(),
            listing.name
        ));
        let began = Instant::now();
        let (mine, printed) =
            run_one(project, builds, listing, pace, &options.outputs())?;
        let stored = listing.stored_output(&project.root);
        let mut report = judge_listing(listing, stored, mine, pace, sentences);
        report.took = began.elapsed();
        if listing.spec.outcomes.is_some() {
            report.outcomes = crate::outcomes::listing_panel(
                &project.root,
                listing,
                printed.as_deref(),
            )
            .ok();
        }
        report.mine = printed;
        let line = progress_line(&report);
        if bar.is_hidden() {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
        bar.inc(expected_ms(listing, options.quick));
        reports.push(report);
    }
    bar.finish_and_clear();
    Ok(reports)
}

/// Runs one listing and stores what it printed in `outputs`: what it printed if the run
/// counts (else why not, with what it printed), and what it printed if it started.
fn run_one(
    project: &Project,
    builds: &Builds,
    listing: &Listing,
    pace: Pace,
    outputs: &Path,
) -> Result<(Result<String, String>, Option<String>)> {
    let run = match builds.run(project, listing, pace) {
        Ok(run) => run,
        Err(e) => return Ok((Err(format!("{e:#}")), None)),
    };
    store(outputs, listing, run.text.clone())?;
    let mine = match run.problem(listing) {
        None => Ok(run.text.clone()),
        Some(p) => Err(format!("{p}\n--- what it printed ---\n{}", run.text)),
    };
    Ok((mine, Some(run.text)))
}

/// "ch01-02-fork    matches the book    claims 2/2  0.3 s".
fn progress_line(report: &ListingReport) -> String {
    let verdict = match &report.outcome {
        Outcome::Matches => "matches the book",
        Outcome::Differs(_) => "DIFFERS from the book",
        Outcome::Failed(_) => "FAILED",
    };
    let held = report.claims.iter().filter(|c| c.holds_here()).count();
    format!(
        "{:<40} {verdict:<22} claims {held}/{}  {:.1} s",
        report.name,
        report.claims.len(),
        report.took.as_secs_f64()
    )
}

/// How long a listing is expected to take, for the progress bar's ETA (milliseconds).
fn expected_ms(listing: &Listing, quick: bool) -> u64 {
    match (listing.kind, listing.spec.measurement, quick) {
        (Kind::CompileFail, ..) => 300,
        (Kind::Program, true, false) => 8_000,
        (Kind::Program, true, true) => 2_500,
        (Kind::Program, false, _) => 500,
    }
}

/// The machine line of the book's run (of the listings run, else the one most of the
/// stored outputs print) and of the reader's.
fn machine_lines(
    project: &Project,
    chosen: &[Listing],
    reports: &[ListingReport],
) -> MachineLines {
    let book = chosen
        .iter()
        .find_map(|l| machine_line(&l.stored_output(&project.root).ok()?.text))
        .or_else(|| {
            let book = Machine {
                name: BOOK.to_owned(),
                folder: None,
                outputs: project.root.join(OUTPUTS_DIR),
                shape: None,
            };
            book.lines().into_iter().next().map(|(line, _)| line)
        });
    let mine = reports
        .iter()
        .find_map(|r| machine_line(r.mine.as_deref()?));
    MachineLines { book, mine }
}
