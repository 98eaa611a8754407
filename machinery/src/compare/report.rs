//! What `cargo book compare` found: the model of the report, and the judging of one
//! listing's run on the reader's machine against the book's stored output. No I/O: the
//! renderers ([`super::terminal`], [`super::html`]) read only this.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::Project;
use crate::book::LoadedBook;
use crate::claims::{self, ClaimRef, Reading, Value, Verdict};
use crate::listing::Listing;
use crate::output::StoredOutput;
use crate::run::Pace;
use crate::verdict;

/// How the reader's run of a listing compares with the book's.
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

/// One claim, judged on the book's run and on the reader's.
#[derive(Debug, Clone)]
pub struct ClaimRow {
    pub book: Verdict,
    /// On the reader's run; `None` when its values could not be read.
    pub mine: Option<Verdict>,
    /// The verdicts of the prose that rest on this claim.
    pub sentences: Vec<Resting>,
}

impl ClaimRow {
    pub fn holds_here(&self) -> bool {
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
    /// The reader's value divided by the book's.
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
    /// What the reader's run printed, if it ran.
    pub mine: Option<String>,
    /// A litmus listing's possible-outcomes panel, the reader's counts beside the book's
    /// (`None` for other listings, or when the model's output cannot be read).
    pub outcomes: Option<crate::outcomes::Panel>,
}

/// A figure as the book draws it and as the reader's run draws it (inline SVG).
#[derive(Debug, Clone)]
pub struct Figure {
    pub name: String,
    pub book: String,
    pub mine: String,
}

/// The machine lines (`bench::machine()`) of the book's run and of the reader's, if a
/// listing that was run printed one.
#[derive(Debug, Clone, Default)]
pub struct MachineLines {
    pub book: Option<String>,
    pub mine: Option<String>,
}

/// Everything `cargo book compare` found.
#[derive(Debug, Clone)]
pub struct Report {
    pub quick: bool,
    /// Building the listings, and the whole command (building, running, figures).
    pub built: Duration,
    pub took: Duration,
    pub machines: MachineLines,
    pub listings: Vec<ListingReport>,
    pub figures: Vec<Figure>,
    /// Why the figures could not be redrawn, if they could not.
    pub figures_problem: Option<String>,
    /// The compare folder: the reader's outputs and the HTML report.
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
        let hold = rows.filter(|r| r.holds_here()).count();
        (hold, judged, total)
    }

    /// Every claim with its listing; with `only_failing`, those that do not hold here.
    pub fn claim_rows(
        &self,
        only_failing: bool,
    ) -> impl Iterator<Item = (&ListingReport, &ClaimRow)> {
        self.listings
            .iter()
            .flat_map(|l| l.claims.iter().map(move |c| (l, c)))
            .filter(move |(_, c)| !(only_failing && c.holds_here()))
    }

    /// Every litmus listing's panel of possible outcomes, with its listing.
    pub fn panels(
        &self,
    ) -> impl Iterator<Item = (&ListingReport, &crate::outcomes::Panel)> {
        self.listings
            .iter()
            .filter_map(|l| l.outcomes.as_ref().map(|p| (l, p)))
    }

    /// Every measured value with its listing.
    pub fn measured(
        &self,
    ) -> impl Iterator<Item = (&ListingReport, &Measured)> {
        self.listings
            .iter()
            .flat_map(|l| l.measured.iter().map(move |m| (l, m)))
    }

    /// How many verdicts of the prose rest on a claim that does not hold here.
    fn doubted_sentences(&self) -> usize {
        let places: BTreeSet<&str> = self
            .claim_rows(true)
            .flat_map(|(_, row)| row.sentences.iter().map(|s| s.place.as_str()))
            .collect();
        places.len()
    }

    /// (listings that match, that differ, that failed).
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

    /// The first lines of the report, in the terminal and on the page: the claims, the
    /// listings, the machines, the time.
    pub fn headline(&self) -> Vec<String> {
        let mut lines = vec![self.claims_line(), self.listings_line()];
        lines.push(format!(
            "book's machine: {}",
            self.machines.book.as_deref().unwrap_or("(not printed)")
        ));
        lines.push(format!(
            "your machine:   {}",
            self.machines
                .mine
                .as_deref()
                .unwrap_or("(no measuring listing was run)")
        ));
        let ran: Duration = self.listings.iter().map(|l| l.took).sum();
        lines.push(format!(
            "{} run in {}, after {} of building ({} in all){}",
            plural(self.listings.len(), "listing"),
            duration_text(ran),
            duration_text(self.built),
            duration_text(self.took),
            if self.quick {
                " (--quick: fewer repetitions)"
            } else {
                ""
            }
        ));
        lines
    }

    /// "12 of 14 claims hold on your machine (…); 2 sentences of the text rest on …".
    fn claims_line(&self) -> String {
        let (hold, judged, total) = self.claim_counts();
        let mut line = format!("{hold} of {total} claims hold on your machine");
        if judged < total {
            line.push_str(&format!(
                " ({} could not be judged)",
                total - judged
            ));
        }
        let doubted = self.doubted_sentences();
        if doubted > 0 {
            line.push_str(&format!(
                "; {} of the text {} on claims that do not hold here",
                plural(doubted, "sentence"),
                if doubted == 1 { "rests" } else { "rest" }
            ));
        }
        line
    }

    fn listings_line(&self) -> String {
        let (matching, differing, failed) = self.counts();
        format!(
            "{matching} of {} listings match the book; {differing} differ, {failed} failed",
            self.listings.len()
        )
    }
}

/// "3 listings", "1 sentence".
pub(super) fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// "12.3 s", or "2 min 5 s" from a minute on.
fn duration_text(d: Duration) -> String {
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

/// Compares the reader's run (what it printed, or why it does not count) with the book's
/// stored output: the outcome, every claim judged on both runs, every measured value on
/// both. The report's `took` and `mine` (what the run printed) are the caller's to fill.
pub fn judge_listing(
    listing: &Listing,
    stored: Result<StoredOutput>,
    mine: Result<String, String>,
    pace: Pace,
    sentences: &Sentences,
) -> ListingReport {
    // A missing stored output is the book's fault, and said so: never compared as empty.
    let (stored, mine) = match stored {
        Ok(stored) => (stored.text, mine),
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
        mine: None,
        outcomes: None,
    };
    let mine = match mine {
        Ok(text) => text,
        Err(problem) => {
            report.outcome = Outcome::Failed(problem);
            report.claims = claim_rows(listing, book_verdicts, None, sentences);
            return report;
        }
    };
    let readings = claims::read_values(&listing.spec.values, &mine);
    let mine_verdicts = readings
        .as_ref()
        .ok()
        .map(|r| claims::judge(&listing.spec.claims, r));
    report.claims =
        claim_rows(listing, book_verdicts, mine_verdicts, sentences);
    if let Ok(readings) = &readings {
        report.measured = measured(&book_readings, readings);
    }
    let compared = listing
        .matcher
        .compare(&pace.comparable(&stored), &pace.comparable(&mine));
    report.outcome = match (compared, readings) {
        (_, Err(e)) => Outcome::Failed(format!(
            "the values the book's claims read cannot be read from your output: {e:#}"
        )),
        (Err(diff), _) => Outcome::Differs(diff),
        (Ok(()), _) => Outcome::Matches,
    };
    report
}

/// Each claim's row: its verdict on the book's run and on the reader's (`mine`, in the same
/// order, when its values could be read), with the verdicts of the prose that rest on it.
fn claim_rows(
    listing: &Listing,
    book: Vec<Verdict>,
    mine: Option<Vec<Verdict>>,
    sentences: &Sentences,
) -> Vec<ClaimRow> {
    let mut mine = mine.map(Vec::into_iter);
    book.into_iter()
        .map(|book| {
            let claim = ClaimRef {
                listing: listing.name.clone(),
                id: book.claim.id.clone(),
            };
            ClaimRow {
                sentences: sentences.get(&claim).cloned().unwrap_or_default(),
                mine: mine.as_mut().and_then(Iterator::next),
                book,
            }
        })
        .collect()
}

/// The values that are measurements on both runs, with their ratio.
fn measured(
    book: &BTreeMap<String, Reading>,
    mine: &BTreeMap<String, Reading>,
) -> Vec<Measured> {
    let mut measured = Vec::new();
    for (name, mine) in mine {
        if let (Some(book), Value::Number(m)) = (book.get(name), &mine.value)
            && let Value::Number(b) = book.value
            && is_measured(book)
            && is_measured(mine)
        {
            measured.push(Measured {
                name: name.clone(),
                book: book.text.clone(),
                mine: mine.text.clone(),
                ratio: if b == 0.0 { f64::NAN } else { m / b },
            });
        }
    }
    measured
}

#[cfg(test)]
mod tests {
    use super::*;

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
