//! `cargo book compare [LISTING...] [--quick] [--out DIR]`: runs the book on the reader's
//! machine and sets the fresh run beside the book's.
//!
//! Each listing is built and run the way `cargo book refresh` runs it ([`Batch`]), one at a
//! time, but its output goes to `DIR/outputs/` (default `target/compare/`), never to
//! `listings/output/`. Then, per listing: does the fresh output match the stored one under
//! the declared variation ([`Matcher`]); per claim: does it hold on the fresh output
//! ([`claims::judge`]), and if not, why it may not (its `why_not`); every measured value (a
//! number with a unit) of the book's run and of this one, with the ratio; the machine lines
//! of both. The figures are redrawn from the fresh outputs (`BOOK_OUTPUTS_DIR`) into
//! `DIR/figures/`. The report is printed and written as one self-contained page,
//! `DIR/report.html`.
//!
//! With `--quick` the listings run with `BOOK_QUICK=1`, which `listings::bench::repeat`
//! reads to make fewer repetitions; the run counts they print are then not compared.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use regex::Regex;

use crate::Project;
use crate::book::{LoadedBook, escape_html};
use crate::claims::{self, ClaimRef, Reading, Value, Verdict};
use crate::listing::{Kind, Listing};
use crate::output::{StoredOutput, machine_line};
use crate::refresh::{Batch, store};
use crate::run::Pace;
use crate::verdict;

/// Where `cargo book compare` writes, relative to the project root, unless told otherwise.
pub const DEFAULT_DIR: &str = "target/compare";

/// How a reader's run, or an error they found, reaches the book: said at the end of every
/// report.
pub const SHARE: &str = "Your run differs, or a claim fails here? Keep it with `cargo book \
compare --export NAME` (a full run) and propose machines/NAME/ with the repository's \"My run \
differs\" issue template (.github/ISSUE_TEMPLATE/); an error in the text goes to its \
\"Erratum\" template.";

/// The fresh outputs, inside the compare folder.
pub const OUTPUTS: &str = "outputs";

/// What to compare, and where to put the run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Listing names; all listings when empty.
    pub listings: Vec<String>,
    /// Fewer repetitions (the listings run with `BOOK_QUICK=1`: [`Pace::Quick`]).
    pub quick: bool,
    /// The compare folder (default [`DEFAULT_DIR`]).
    pub out: PathBuf,
}

/// How a fresh run of a listing compares with the book's.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Same as the stored output, up to what the sidecar declares may vary.
    Matches,
    /// It ran, but its output differs beyond the declared variation (the diff).
    Differs(String),
    /// It did not run as the book says (exit code, hang, leftover process), or the values
    /// its claims need cannot be read from what it printed.
    Failed(String),
}

/// One claim, judged on the book's run and on this one.
#[derive(Debug, Clone)]
pub struct ClaimRow {
    pub book: Verdict,
    /// `None` when the fresh output's values could not be read.
    pub mine: Option<Verdict>,
    /// The verdicts of the prose that rest on this claim.
    pub sentences: Vec<Resting>,
}

impl ClaimRow {
    fn holds_here(&self) -> bool {
        self.mine.as_ref().is_some_and(Verdict::holds)
    }
}

/// A verdict of the prose that rests on a claim: where it is, and its text as a reader
/// reads it (values as the book printed them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resting {
    /// "src/ch03-processes-vs-threads.md:42".
    pub place: String,
    pub text: String,
}

/// The verdicts of the prose, by the claim they rest on.
pub type Sentences = BTreeMap<ClaimRef, Vec<Resting>>;

/// Every verdict the book's prose marks, by claim; its `{{#value}}`s read from the stored
/// outputs.
pub fn sentences(project: &Project) -> Result<Sentences> {
    let listings: BTreeMap<String, Listing> = Listing::all(project)?
        .into_iter()
        .map(|l| (l.name.clone(), l))
        .collect();
    let value = |listing: &str, name: &str| {
        let listing = listings.get(listing)?;
        let stored = listing.stored_output(&project.root).ok()?;
        let mut readings =
            claims::read_values(&listing.spec.values, &stored.text).ok()?;
        readings.remove(name).map(|r| r.text)
    };
    let mut by_claim = Sentences::new();
    for sentence in LoadedBook::load(project)?.sentences() {
        let resting = Resting {
            place: sentence.place(),
            text: verdict::plain_text(&sentence.text, value),
        };
        for claim in sentence.claims {
            by_claim.entry(claim).or_default().push(resting.clone());
        }
    }
    Ok(by_claim)
}

/// A value that is a number with a unit, on both runs.
#[derive(Debug, Clone)]
pub struct Measured {
    pub name: String,
    pub book: String,
    pub mine: String,
    /// This machine's value divided by the book's.
    pub ratio: f64,
}

impl Measured {
    /// "1.96x", or "-" when the book's value is zero.
    pub fn ratio_text(&self) -> String {
        if self.ratio.is_finite() {
            format!("{:.2}x", self.ratio)
        } else {
            "-".to_owned()
        }
    }
}

/// One listing's comparison.
#[derive(Debug, Clone)]
pub struct ListingReport {
    pub name: String,
    pub title: String,
    pub outcome: Outcome,
    pub claims: Vec<ClaimRow>,
    pub measured: Vec<Measured>,
    pub took: Duration,
}

/// A figure as the book draws it and as the reader's run draws it (inline SVG).
#[derive(Debug, Clone)]
pub struct Figure {
    pub name: String,
    pub book: String,
    pub mine: String,
}

/// Everything `cargo book compare` found.
#[derive(Debug, Clone)]
pub struct Report {
    pub quick: bool,
    /// Building the listings, and the whole command (building, running, figures).
    pub built: Duration,
    pub took: Duration,
    /// The machine line of the book's outputs, and of this run (if a listing printed one).
    pub book_machine: Option<String>,
    pub your_machine: Option<String>,
    pub listings: Vec<ListingReport>,
    pub figures: Vec<Figure>,
    /// Why the figures could not be redrawn, if they could not.
    pub figures_problem: Option<String>,
    /// Where the outputs and the HTML report are.
    pub out: PathBuf,
}

impl Report {
    /// No listing failed and every output has the book's shape: exit 0 (claims that do not
    /// hold are not errors: a different machine is not a bug).
    pub fn ok(&self) -> bool {
        self.listings
            .iter()
            .all(|l| matches!(l.outcome, Outcome::Matches))
    }

    /// (claims that hold here, claims judged here, claims in total).
    pub fn claim_counts(&self) -> (usize, usize, usize) {
        let rows = self.listings.iter().flat_map(|l| &l.claims);
        let total = rows.clone().count();
        let judged = rows.clone().filter(|r| r.mine.is_some()).count();
        let hold = rows
            .filter(|r| r.mine.as_ref().is_some_and(Verdict::holds))
            .count();
        (hold, judged, total)
    }

    /// How many verdicts of the prose rest on a claim that does not hold here.
    fn doubted_sentences(&self) -> usize {
        let places: std::collections::BTreeSet<&str> = self
            .listings
            .iter()
            .flat_map(|l| &l.claims)
            .filter(|row| !row.holds_here())
            .flat_map(|row| row.sentences.iter().map(|s| s.place.as_str()))
            .collect();
        places.len()
    }

    fn counts(&self) -> (usize, usize, usize) {
        let count = |f: fn(&Outcome) -> bool| {
            self.listings.iter().filter(|l| f(&l.outcome)).count()
        };
        (
            count(|o| matches!(o, Outcome::Matches)),
            count(|o| matches!(o, Outcome::Differs(_))),
            count(|o| matches!(o, Outcome::Failed(_))),
        )
    }

    fn headline(&self) -> Vec<String> {
        let (matching, differing, failed) = self.counts();
        let (hold, judged, total) = self.claim_counts();
        let mut lines = vec![
            format!(
                "{hold} of {total} claims hold on your machine{}",
                if judged < total {
                    format!(" ({} could not be judged)", total - judged)
                } else {
                    String::new()
                }
            ),
            format!(
                "{matching} of {} listings match the book; {differing} differ, {failed} failed",
                self.listings.len()
            ),
        ];
        let doubted = self.doubted_sentences();
        if doubted > 0 {
            lines[0].push_str(&format!(
                "; {} of the text {} on claims that do not hold here",
                plural(doubted, "sentence"),
                if doubted == 1 { "rests" } else { "rest" }
            ));
        }
        lines.push(format!(
            "book's machine: {}",
            self.book_machine.as_deref().unwrap_or("(not printed)")
        ));
        lines.push(format!(
            "your machine:   {}",
            self.your_machine
                .as_deref()
                .unwrap_or("(no measuring listing was run)")
        ));
        let ran: Duration = self.listings.iter().map(|l| l.took).sum();
        lines.push(format!(
            "{} run in {}, after {} of building ({} in all){}",
            plural(self.listings.len(), "listing"),
            minutes(ran),
            minutes(self.built),
            minutes(self.took),
            if self.quick {
                " (--quick: fewer repetitions)"
            } else {
                ""
            }
        ));
        lines
    }

    /// The report for a terminal: the verdicts first, then what differs, in detail.
    pub fn terminal(&self) -> String {
        let mut t = String::new();
        for line in self.headline() {
            let _ = writeln!(t, "{line}");
        }
        let failing: Vec<(&ListingReport, &ClaimRow)> = self
            .listings
            .iter()
            .flat_map(|l| l.claims.iter().map(move |c| (l, c)))
            .filter(|(_, c)| !c.holds_here())
            .collect();
        if !failing.is_empty() {
            let _ = writeln!(t, "\nClaims that do not hold on your machine:");
            for (listing, row) in failing {
                let _ = writeln!(
                    t,
                    "  {}: \"{}\"",
                    listing.name, row.book.claim.says
                );
                match &row.mine {
                    Some(mine) => {
                        let _ = writeln!(t, "    yours: {mine}");
                    }
                    None => {
                        let _ = writeln!(t, "    yours: not judged");
                    }
                }
                let _ = writeln!(t, "    book:  {}", row.book);
                if let Some(why) = &row.book.claim.why_not {
                    let _ = writeln!(t, "    why it may not hold: {why}");
                }
                if !row.sentences.is_empty() {
                    let _ =
                        writeln!(t, "    what the text says, resting on it:");
                    for sentence in &row.sentences {
                        let _ = writeln!(
                            t,
                            "      {}: {}",
                            sentence.place, sentence.text
                        );
                    }
                }
            }
        }
        let measured: Vec<(&ListingReport, &Measured)> = self
            .listings
            .iter()
            .flat_map(|l| l.measured.iter().map(move |m| (l, m)))
            .collect();
        if !measured.is_empty() {
            let _ = writeln!(
                t,
                "\nMeasured values (yours / book's):\n  {:<48} {:>12} {:>12} {:>7}",
                "listing: value", "book", "yours", "ratio"
            );
            for (listing, m) in measured {
                let _ = writeln!(
                    t,
                    "  {:<48} {:>12} {:>12} {:>7}",
                    format!("{}: {}", listing.name, m.name),
                    m.book,
                    m.mine,
                    m.ratio_text()
                );
            }
        }
        for listing in &self.listings {
            match &listing.outcome {
                Outcome::Matches => {}
                Outcome::Differs(diff) => {
                    let _ = writeln!(
                        t,
                        "\n{} differs from the book beyond what varies:\n{diff}",
                        listing.name
                    );
                }
                Outcome::Failed(why) => {
                    let _ = writeln!(t, "\n{} FAILED: {why}", listing.name);
                }
            }
        }
        let _ = writeln!(
            t,
            "\nyour outputs: {}\nthe report as a page: {}\n{SHARE}",
            self.out.join(OUTPUTS).display(),
            self.out.join("report.html").display()
        );
        t
    }

    /// The report as one self-contained HTML page (inline CSS and SVG, no script).
    pub fn html(&self) -> String {
        let mut h = String::new();
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>The book on your machine</title>\n<style>{STYLE}</style>\n</head>\n\
             <body>\n<h1>The book on your machine</h1>\n<ul class=\"headline\">\n"
        );
        for line in self.headline() {
            let _ = writeln!(h, "<li>{}</li>", escape_html(&line));
        }
        h.push_str("</ul>\n");

        let header = "<tr><th></th><th>listing</th><th>what the book says</th>\
                      <th>on your machine</th><th>on the book's</th></tr>\n";
        let rows = |only_failing: bool| {
            let mut table = String::new();
            for listing in &self.listings {
                for row in &listing.claims {
                    if only_failing && row.holds_here() {
                        continue;
                    }
                    table.push_str(&claim_row(&listing.name, row));
                }
            }
            table
        };
        let failing = rows(true);
        h.push_str(
            "<h2 id=\"claims\">Claims that do not hold on your machine</h2>\n",
        );
        if failing.is_empty() {
            h.push_str(
                "<p class=\"holds\">None: every claim holds here.</p>\n",
            );
        } else {
            let _ = writeln!(
                h,
                "<table class=\"claims\">\n{header}{failing}</table>"
            );
        }
        h.push_str("<h2 id=\"measured\">Measured values</h2>\n<table class=\"measured\">\n<tr><th>listing</th><th>value</th><th>book</th><th>yours</th><th>yours / book</th></tr>\n");
        for listing in &self.listings {
            for m in &listing.measured {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    listing.name,
                    escape_html(&m.name),
                    escape_html(&m.book),
                    escape_html(&m.mine),
                    m.ratio_text()
                );
            }
        }
        h.push_str("</table>\n");
        if self.listings.iter().all(|l| l.measured.is_empty()) {
            h.push_str(
                "<p>No measured value: none of these listings reads a number with a unit \
                 in its <code>[values]</code>.</p>\n",
            );
        }

        if !self.figures.is_empty() || self.figures_problem.is_some() {
            h.push_str("<h2 id=\"figures\">Figures</h2>\n");
        }
        if let Some(problem) = &self.figures_problem {
            let _ = writeln!(
                h,
                "<p class=\"fails\">The figures could not be redrawn: {}</p>",
                escape_html(problem)
            );
        }
        for figure in &self.figures {
            let _ = writeln!(
                h,
                "<h3>{}</h3>\n<div class=\"figures\"><figure>{}<figcaption>the book's run</figcaption></figure>\
                 <figure>{}<figcaption>your run</figcaption></figure></div>",
                figure.name, figure.book, figure.mine
            );
        }

        let _ = writeln!(
            h,
            "<h2 id=\"all-claims\">All claims</h2>\n<details><summary>{} claims, \
             each on your run and on the book's</summary>\n<table class=\"claims\">\n\
             {header}{}</table>\n</details>",
            self.claim_counts().2,
            rows(false)
        );

        h.push_str("<h2 id=\"listings\">Listings</h2>\n");
        for listing in &self.listings {
            let (class, verdict) = match &listing.outcome {
                Outcome::Matches => ("holds", "matches the book".to_owned()),
                Outcome::Differs(_) => {
                    ("fails", "differs beyond what varies".to_owned())
                }
                Outcome::Failed(_) => ("fails", "failed".to_owned()),
            };
            let _ = writeln!(
                h,
                "<section id=\"{name}\"><h3>{name} <span class=\"{class}\">{verdict}</span> \
                 <small>{title}, {took:.1} s</small></h3>",
                name = listing.name,
                title = escape_html(&listing.title),
                took = listing.took.as_secs_f64(),
            );
            match &listing.outcome {
                Outcome::Matches => {}
                Outcome::Differs(text) | Outcome::Failed(text) => {
                    let _ = writeln!(
                        h,
                        "<pre class=\"diff\">{}</pre>",
                        escape_html(text)
                    );
                }
            }
            if let Some(fresh) = StoredOutput::read(
                &self.out.join(OUTPUTS).join(format!("{}.txt", listing.name)),
            ) {
                let _ = writeln!(
                    h,
                    "<details><summary>your output</summary><pre>{}</pre></details>",
                    escape_html(&fresh.text)
                );
            }
            h.push_str("</section>\n");
        }
        let _ = writeln!(h, "<p>{}</p>", escape_html(SHARE));
        h.push_str("</body>\n</html>\n");
        h
    }
}

/// One row of a claims table: the verdict here, the sentence and its check (with why it
/// may not hold, if it does not), the values on both runs.
fn claim_row(listing: &str, row: &ClaimRow) -> String {
    let (class, mark) = match &row.mine {
        Some(v) if v.holds() => ("holds", "✓"),
        Some(_) => ("fails", "✗"),
        None => ("unjudged", "?"),
    };
    let mut why = match (&row.book.claim.why_not, class) {
        (Some(why), "fails" | "unjudged") => format!(
            "<div class=\"why-not\">Why it may not hold: {}</div>",
            escape_html(why)
        ),
        _ => String::new(),
    };
    if class != "holds" && !row.sentences.is_empty() {
        why.push_str(&resting_html(&row.sentences).into_string());
    }
    format!(
        "<tr class=\"{class}\"><td class=\"mark\">{mark}</td>\
         <td><a href=\"#{listing}\">{listing}</a></td>\
         <td>{says}<br><code>{holds}</code>{why}</td><td>{mine}</td><td>{book}</td></tr>\n",
        says = escape_html(&row.book.claim.says),
        holds = escape_html(&row.book.claim.holds),
        mine = row
            .mine
            .as_ref()
            .map_or("not judged".to_owned(), values_html),
        book = values_html(&row.book),
    )
}

/// The verdicts of the prose that rest on a claim, each with its chapter and line.
fn resting_html(sentences: &[Resting]) -> maud::Markup {
    maud::html! {
        div class="rests" {
            "What the text says, resting on it:"
            ul {
                @for sentence in sentences {
                    li { code { (sentence.place) } ": " (sentence.text) }
                }
            }
        }
    }
}

const STYLE: &str = "
body { font: 15px/1.5 system-ui, sans-serif; max-width: 70em; margin: 2em auto;
  padding: 0 1em; color: #222; background: #fff; }
@media (prefers-color-scheme: dark) {
  body { color: #ddd; background: #1d1f21; } a { color: #8cf; }
  th, td { border-color: #444 !important; } pre { background: #2a2c2e !important; } }
h1 { margin-bottom: 0.3em; }
ul.headline { list-style: none; padding: 0; font-size: 1.1em; }
ul.headline li:first-child { font-size: 1.3em; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.5em; text-align: left;
  vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.mark { font-weight: bold; }
.holds { color: #2a7a3f; } .fails { color: #b83232; } .unjudged { color: #a06a00; }
tr.holds, tr.fails, tr.unjudged { color: inherit; }
tr.holds td.mark { color: #2a7a3f; } tr.fails td.mark { color: #b83232; }
.why-not { font-style: italic; margin-top: 0.2em; }
.rests { margin-top: 0.3em; } .rests ul { margin: 0.1em 0; padding-left: 1.2em; }
code, pre { font: 13px/1.4 ui-monospace, monospace; }
pre { background: #f4f5f7; padding: 0.6em; overflow-x: auto; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; }
.figures figure { flex: 1 1 30em; margin: 0; }
.figures svg { max-width: 100%; height: auto; }
figcaption { text-align: center; font-size: 0.9em; opacity: 0.8; }
h3 small { font-weight: normal; opacity: 0.7; }
";

/// "fork = 118 µs, thread = 15 µs", or why the claim could not be judged.
fn values_html(verdict: &Verdict) -> String {
    let values: Vec<String> = verdict
        .values
        .iter()
        .map(|(name, text)| {
            format!("{} = {}", escape_html(name), escape_html(text))
        })
        .collect();
    match &verdict.holds {
        Err(e) => format!("cannot be evaluated: {}", escape_html(e)),
        Ok(_) => values.join(", "),
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn minutes(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Whether a value is a measurement: a number printed with a unit ("118 µs", "2.5 GiB/s",
/// "1.96x"), not a bare count.
fn is_measured(reading: &Reading) -> bool {
    matches!(reading.value, Value::Number(_))
        && reading
            .text
            .chars()
            .last()
            .is_some_and(|c| !c.is_ascii_digit())
}

/// How long a listing is expected to take, for the progress bar's ETA (milliseconds).
fn expected_ms(listing: &Listing, quick: bool) -> u64 {
    match (listing.kind, listing.spec.release, quick) {
        (Kind::CompileFail, ..) => 300,
        (Kind::Program, true, false) => 8_000,
        (Kind::Program, true, true) => 2_500,
        (Kind::Program, false, _) => 500,
    }
}

/// A claim's row, with the verdicts of the prose that rest on it.
fn claim_row_of(
    listing: &Listing,
    book: Verdict,
    mine: Option<Verdict>,
    sentences: &Sentences,
) -> ClaimRow {
    let claim = ClaimRef {
        listing: listing.name.clone(),
        id: book.claim.id.clone(),
    };
    ClaimRow {
        sentences: sentences.get(&claim).cloned().unwrap_or_default(),
        book,
        mine,
    }
}

/// Compares one fresh run with the book's stored output.
fn judge_listing(
    project: &Project,
    listing: &Listing,
    fresh: Result<String, String>,
    pace: Pace,
    sentences: &Sentences,
) -> ListingReport {
    // A missing stored output is the book's fault, and said so: never compared as empty.
    let (stored, fresh) = match listing.stored_output(&project.root) {
        Ok(stored) => (stored.text, fresh),
        Err(e) => (String::new(), Err(format!("{e:#}"))),
    };
    let book_readings =
        claims::read_values(&listing.spec.values, &stored).unwrap_or_default();
    let book_verdicts = claims::judge(&listing.spec.claims, &book_readings);
    let mut report = ListingReport {
        name: listing.name.clone(),
        title: listing.spec.title.clone(),
        outcome: Outcome::Matches,
        claims: Vec::new(),
        measured: Vec::new(),
        took: Duration::ZERO,
    };
    let fresh = match fresh {
        Ok(text) => text,
        Err(problem) => {
            report.outcome = Outcome::Failed(problem);
            report.claims = book_verdicts
                .into_iter()
                .map(|book| claim_row_of(listing, book, None, sentences))
                .collect();
            return report;
        }
    };
    let readings = claims::read_values(&listing.spec.values, &fresh);
    let mine_verdicts = readings
        .as_ref()
        .ok()
        .map(|r| claims::judge(&listing.spec.claims, r));
    report.claims = book_verdicts
        .into_iter()
        .enumerate()
        .map(|(i, book)| {
            let mine = mine_verdicts.as_ref().map(|v| v[i].clone());
            claim_row_of(listing, book, mine, sentences)
        })
        .collect();
    if let Ok(readings) = &readings {
        for (name, mine) in readings {
            if let (Some(book), Value::Number(m)) =
                (book_readings.get(name), &mine.value)
                && let Value::Number(b) = book.value
                && is_measured(book)
                && is_measured(mine)
            {
                report.measured.push(Measured {
                    name: name.clone(),
                    book: book.text.clone(),
                    mine: mine.text.clone(),
                    ratio: if b == 0.0 { f64::NAN } else { m / b },
                });
            }
        }
    }
    let compared = listing.spec.vary.compile().map(|matcher| {
        matcher.compare(&pace.comparable(&stored), &pace.comparable(&fresh))
    });
    report.outcome = match (compared, readings) {
        (Err(e), _) => Outcome::Failed(format!("{e:#}")),
        (_, Err(e)) => Outcome::Failed(format!(
            "the values the book's claims read cannot be read from your output: {e:#}"
        )),
        (Ok(Err(diff)), _) => Outcome::Differs(diff),
        (Ok(Ok(())), _) => Outcome::Matches,
    };
    report
}

/// Runs the chosen listings one at a time, stores their outputs in `OUT/outputs/`, redraws
/// the figures from them, writes `OUT/report.html`, and returns the report.
pub fn compare(project: &Project, options: &Options) -> Result<Report> {
    let started = Instant::now();
    let outputs = options.out.join(OUTPUTS);
    std::fs::create_dir_all(&outputs)
        .with_context(|| format!("cannot create {}", outputs.display()))?;
    eprintln!("building the listings...");
    let batch = Batch::prepare(project, &options.listings, true)?;
    let sentences = sentences(project)?;
    let built = started.elapsed();

    let total: u64 = batch
        .listings
        .iter()
        .map(|l| expected_ms(l, options.quick))
        .sum();
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {percent:>3}% {wide_msg} ETA {eta}",
        )
        .expect("valid template"),
    );
    let say = |line: String| {
        if bar.is_hidden() {
            eprintln!("{line}");
        } else {
            bar.println(line);
        }
    };
    let pace = if options.quick {
        Pace::Quick
    } else {
        Pace::Full
    };
    let mut listings = Vec::new();
    for (i, listing) in batch.listings.iter().enumerate() {
        bar.set_message(format!(
            "[{}/{}] {}",
            i + 1,
            batch.listings.len(),
            listing.name
        ));
        let began = Instant::now();
        let fresh = match batch.run(project, listing, pace) {
            Ok(run) => {
                let problem = run.problem(listing);
                store(&outputs, listing, run.text.clone())?;
                match problem {
                    None => Ok(run.text),
                    Some(p) => Err(format!(
                        "{p}\n--- what it printed ---\n{}",
                        run.text
                    )),
                }
            }
            Err(e) => Err(format!("{e:#}")),
        };
        let mut report =
            judge_listing(project, listing, fresh, pace, &sentences);
        report.took = began.elapsed();
        let verdict = match &report.outcome {
            Outcome::Matches => "matches the book",
            Outcome::Differs(_) => "DIFFERS from the book",
            Outcome::Failed(_) => "FAILED",
        };
        let held = report.claims.iter().filter(|c| c.holds_here()).count();
        say(format!(
            "{:<40} {verdict:<22} claims {held}/{}  {:.1} s",
            listing.name,
            report.claims.len(),
            report.took.as_secs_f64()
        ));
        bar.inc(expected_ms(listing, options.quick));
        listings.push(report);
    }
    bar.finish_and_clear();

    let run: Vec<&str> = listings.iter().map(|l| l.name.as_str()).collect();
    let (figures, figures_problem) =
        match redraw_figures(project, &options.out, &outputs, &run) {
            Ok(figures) => (figures, None),
            Err(e) => (Vec::new(), Some(format!("{e:#}"))),
        };
    let machine_of = |dir: &Path| {
        batch.listings.iter().find_map(|l| {
            let name = format!("{}.txt", l.name);
            std::fs::read_to_string(dir.join(name))
                .ok()
                .and_then(|t| machine_line(&t))
        })
    };
    let report = Report {
        quick: options.quick,
        built,
        took: started.elapsed(),
        book_machine: machine_of(&project.root.join(crate::paths::OUTPUTS_DIR))
            .or_else(|| book_machine(project)),
        your_machine: machine_of(&outputs),
        listings,
        figures,
        figures_problem,
        out: options.out.clone(),
    };
    let page = options.out.join("report.html");
    std::fs::write(&page, report.html())
        .with_context(|| format!("cannot write {}", page.display()))?;
    Ok(report)
}

/// The machine line of any stored output.
fn book_machine(project: &Project) -> Option<String> {
    let dir = project.root.join(crate::paths::OUTPUTS_DIR);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
        .iter()
        .find_map(|f| machine_line(&std::fs::read_to_string(f).ok()?))
}

/// The listings a figure reads: the names in its `stored_output("...")` calls.
fn figure_sources(project: &Project) -> Result<BTreeMap<String, Vec<String>>> {
    static READS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"stored_output\(\s*"([^"]+)""#).expect("valid regex")
    });
    let dir = project.root.join("figures/src/bin");
    let mut figures = BTreeMap::new();
    for entry in std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
    {
        let path = entry?.path();
        let (Some(name), Some("rs")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        let source = std::fs::read_to_string(&path)?;
        let reads = READS
            .captures_iter(&source)
            .map(|c| c[1].to_owned())
            .collect();
        figures.insert(name.to_owned(), reads);
    }
    Ok(figures)
}

/// Redraws the figures whose listings all ran into `OUT/figures/`, from the fresh outputs
/// (the others from the book's, so that every figure binary finds its data), and returns
/// those figures beside the book's.
fn redraw_figures(
    project: &Project,
    out: &Path,
    fresh: &Path,
    run: &[&str],
) -> Result<Vec<Figure>> {
    let wanted: Vec<String> = figure_sources(project)?
        .into_iter()
        .filter(|(_, reads)| {
            !reads.is_empty() && reads.iter().all(|r| run.contains(&r.as_str()))
        })
        .map(|(name, _)| name)
        .collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    // The data: the book's outputs, overlaid with the fresh ones.
    let data = out.join("figure-data");
    let svgs = out.join("figures");
    for dir in [&data, &svgs] {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    for dir in [&project.root.join(crate::paths::OUTPUTS_DIR), fresh] {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if let Some(name) = path.file_name() {
                std::fs::copy(&path, data.join(name))?;
            }
        }
    }
    crate::figures::draw_all(project, Some(&svgs), Some(&data), true)?;
    let inline = |path: PathBuf| -> Result<String> {
        let svg = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(match svg.find("<svg") {
            Some(start) => svg[start..].to_owned(),
            None => svg,
        })
    };
    wanted
        .into_iter()
        .map(|name| {
            Ok(Figure {
                book: inline(project.root.join(format!("src/img/{name}.svg")))?,
                mine: inline(svgs.join(format!("{name}.svg")))?,
                name,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_that_does_not_hold_lists_the_sentences_resting_on_it() {
        let verdict = |holds: bool| Verdict {
            claim: claims::ClaimSpec {
                id: "pinned-same-cost".into(),
                holds: "a < b".into(),
                says: "about the same".into(),
                why_not: None,
            },
            holds: Ok(holds),
            values: vec![("a".into(), "2 µs".into())],
        };
        let resting = Resting {
            place: "src/ch03-x.md:42".into(),
            text: "a round trip costs <about> the same".into(),
        };
        let row = ClaimRow {
            book: verdict(true),
            mine: Some(verdict(false)),
            sentences: vec![resting],
        };
        let report = Report {
            quick: true,
            built: Duration::ZERO,
            took: Duration::ZERO,
            book_machine: None,
            your_machine: None,
            listings: vec![ListingReport {
                name: "ch03-03-context-switch".into(),
                title: "t".into(),
                outcome: Outcome::Matches,
                claims: vec![row],
                measured: Vec::new(),
                took: Duration::ZERO,
            }],
            figures: Vec::new(),
            figures_problem: None,
            out: PathBuf::from("/tmp/x"),
        };
        let terminal = report.terminal();
        assert!(
            terminal.lines().next().unwrap().ends_with(
                "; 1 sentence of the text rests on claims that do not hold here"
            ),
            "{terminal}"
        );
        assert!(
            terminal.contains(
                "      src/ch03-x.md:42: a round trip costs <about> the same"
            ),
            "{terminal}"
        );
        assert!(
            report.html().contains(
                "<code>src/ch03-x.md:42</code>: a round trip costs &lt;about&gt; the same"
            ),
            "{}",
            report.html()
        );
    }

    #[test]
    fn measured_values_have_units() {
        let r = |t: &str| Reading {
            value: claims::parse_value(t),
            text: t.to_owned(),
        };
        assert!(is_measured(&r("118 µs")));
        assert!(is_measured(&r("1.96x")));
        assert!(!is_measured(&r("12")));
        assert!(!is_measured(&r("SIGTERM")));
    }
}
