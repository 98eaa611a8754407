//! The report as one self-contained HTML page (inline CSS and SVG, no script), built with
//! maud: every text is escaped by construction; the figures' SVG, drawn by the book's own
//! figure binaries, is inlined as it is.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::SHARE;
use super::report::{ClaimRow, ListingReport, Outcome, Report, Resting};
use crate::claims::{Status, Verdict};

/// The page's style sheet.
const STYLE: &str = include_str!("report.css");

impl Report {
    /// The report as one self-contained HTML page.
    pub fn html(&self) -> String {
        let page = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { "The book on your machine" }
                    style { (PreEscaped(STYLE)) }
                }
                body {
                    h1 { "The book on your machine" }
                    ul class="headline" { @for line in self.headline() { li { (line) } } }
                    (self.failing_claims_html())
                    (self.measured_html())
                    (self.figures_html())
                    (self.outcomes_html())
                    h2 id="all-claims" { "All claims" }
                    details {
                        summary {
                            (self.claim_counts().2) " claims, each on your run and on the book's"
                        }
                        (claims_table(self.claim_rows(false)))
                    }
                    h2 id="listings" { "Listings" }
                    @for listing in &self.listings { (listing_html(listing)) }
                    p { (SHARE) }
                }
            }
        };
        page.into_string()
    }

    fn failing_claims_html(&self) -> Markup {
        let mut failing = self.claim_rows(true).peekable();
        html! {
            h2 id="claims" { "Claims that do not hold on your machine" }
            @if failing.peek().is_none() {
                p class="holds" { "None: every claim holds here." }
            } @else {
                (claims_table(failing))
            }
        }
    }

    fn measured_html(&self) -> Markup {
        html! {
            h2 id="measured" { "Measured values" }
            table class="measured" {
                tr { th { "listing" } th { "value" } th { "book" } th { "yours" } th { "yours / book" } }
                @for (listing, m) in self.measured() {
                    tr {
                        td { (listing.name) } td { (m.name) }
                        td class="num" { (m.book) } td class="num" { (m.mine) }
                        td class="num" { (m.ratio_text()) }
                    }
                }
            }
            @if self.measured().next().is_none() {
                p {
                    "No measured value: none of these listings reads a number with a unit in its "
                    code { "[values]" } "."
                }
            }
        }
    }

    /// Each litmus listing's possible outcomes: what the model allows, what the book's run
    /// and the reader's observed.
    fn outcomes_html(&self) -> Markup {
        html! {
            @if self.panels().next().is_some() {
                h2 id="outcomes" { "Possible outcomes" }
            }
            @for (listing, panel) in self.panels() {
                h3 { a href={ "#" (listing.name) } { (listing.name) } " " small { (listing.title) } }
                (crate::layout::outcomes_table(panel))
                (crate::layout::outcomes_note(panel, None))
            }
        }
    }

    /// Each figure redrawn from the reader's run, beside the book's.
    fn figures_html(&self) -> Markup {
        html! {
            @if !self.figures.is_empty() || self.figures_problem.is_some() {
                h2 id="figures" { "Figures" }
            }
            @if let Some(problem) = &self.figures_problem {
                p class="fails" { "The figures could not be redrawn: " (problem) }
            }
            @for figure in &self.figures {
                h3 { (figure.name) }
                div class="figures" {
                    figure { (PreEscaped(&figure.book)) figcaption { "the book's run" } }
                    figure { (PreEscaped(&figure.mine)) figcaption { "your run" } }
                }
            }
        }
    }
}

/// A table of claims, each with its listing.
fn claims_table<'r>(
    rows: impl Iterator<Item = (&'r ListingReport, &'r ClaimRow)>,
) -> Markup {
    html! {
        table class="claims" {
            tr {
                th {} th { "listing" } th { "what the book says" }
                th { "on your machine" } th { "on the book's" }
            }
            @for (listing, row) in rows { (claim_row(&listing.name, row)) }
        }
    }
}

/// One row of a claims table: the verdict here, the sentence and its check (with why it
/// may not hold, and what the text says resting on it, if it does not), the values on both
/// runs.
fn claim_row(listing: &str, row: &ClaimRow) -> Markup {
    let status = Status::of(row.mine.as_ref());
    let doubted = status != Status::Holds;
    html! {
        tr class=(status.class()) {
            td class="mark" { (status.mark()) }
            td { a href={ "#" (listing) } { (listing) } }
            td {
                (row.book.claim.says) br; code { (row.book.claim.check) }
                @if let (true, Some(why)) = (doubted, &row.book.claim.why_not) {
                    div class="why-not" { "Why it may not hold: " (why) }
                }
                @if doubted && !row.sentences.is_empty() { (resting_html(&row.sentences)) }
            }
            td {
                @match &row.mine {
                    Some(mine) => (values_text(mine)),
                    None => "not judged",
                }
            }
            td { (values_text(&row.book)) }
        }
    }
}

/// The verdicts of the prose that rest on a claim, each with its chapter and line.
fn resting_html(sentences: &[Resting]) -> Markup {
    html! {
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

/// "fork = 118 µs, thread = 15 µs", or why the claim could not be judged.
fn values_text(verdict: &Verdict) -> String {
    match &verdict.outcome {
        Err(e) => format!("cannot be evaluated: {e}"),
        Ok(_) => verdict
            .values
            .iter()
            .map(|(name, text)| format!("{name} = {text}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A listing's section: its verdict, the diff or why it failed, and what it printed.
fn listing_html(listing: &ListingReport) -> Markup {
    let (class, verdict, detail) = match &listing.outcome {
        Outcome::Matches => ("holds", "matches the book", None),
        Outcome::Differs(diff) => {
            ("fails", "differs beyond what varies", Some(diff))
        }
        Outcome::Failed(why) => ("fails", "failed", Some(why)),
    };
    html! {
        section id=(listing.name) {
            h3 {
                (listing.name) " " span class=(class) { (verdict) } " "
                small { (listing.title) ", " (format!("{:.1}", listing.took.as_secs_f64())) " s" }
            }
            @if let Some(detail) = detail { pre class="diff" { (detail) } }
            @if let Some(mine) = &listing.mine {
                details { summary { "your output" } pre { (mine) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::super::report::{MachineLines, Report};
    use super::*;
    use crate::claims::{ClaimSpec, Verdict};

    #[test]
    fn a_claim_that_does_not_hold_lists_the_sentences_resting_on_it() {
        let verdict = |holds: bool| Verdict {
            claim: ClaimSpec {
                id: "pinned-same-cost".into(),
                check: "a < b".into(),
                says: "about the same".into(),
                why_not: None,
            },
            outcome: Ok(holds),
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
            machines: MachineLines::default(),
            listings: vec![ListingReport {
                name: "ch03-03-context-switch".into(),
                title: "t".into(),
                outcome: Outcome::Matches,
                claims: vec![row],
                measured: Vec::new(),
                took: Duration::ZERO,
                mine: Some("a <b>\n".into()),
                outcomes: None,
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
        let html = report.html();
        assert!(
            html.contains(
                "<code>src/ch03-x.md:42</code>: a round trip costs &lt;about&gt; the same"
            ),
            "{html}"
        );
        assert!(html.contains("<pre>a &lt;b&gt;\n</pre>"), "{html}");
    }

    #[test]
    fn an_allowed_outcome_only_the_readers_run_missed_shows_its_why() {
        let spec: crate::outcomes::OutcomesSpec = toml::from_str(
            "model = \"m\"\n[[unseen]]\ncase = \"Fenced\"\noutcome = \"(1, 0)\"\nwhy = \"one CPU\"",
        )
        .unwrap();
        let allowed = crate::outcomes::Allowed::from([(
            "Fenced".to_owned(),
            vec!["(0, 1)".to_owned(), "(1, 0)".to_owned()],
        )]);
        let run = |other: u64| {
            facts::outcomes::observed_lines(
                "Fenced",
                5 + other,
                [("(0, 1)", 5), ("(1, 0)", other)],
            )
        };
        let panel =
            crate::outcomes::panel(&spec, &allowed, &run(5), Some(&run(0)));
        let row = &panel.cases[0].rows[1];
        assert_eq!(
            (row.outcome.as_str(), row.book, row.mine),
            ("(1, 0)", Some(5), Some(0))
        );
        assert_eq!(row.why_unseen.as_deref(), Some("one CPU"));
    }

    #[test]
    fn a_litmus_listing_shows_its_outcomes_with_the_readers_counts() {
        let spec: crate::outcomes::OutcomesSpec =
            toml::from_str("model = \"ch06-20-model-store-buffering\"")
                .unwrap();
        let allowed = crate::outcomes::Allowed::from([(
            "Fenced".to_owned(),
            vec!["(0, 1)".to_owned(), "(1, 0)".to_owned()],
        )]);
        let run = |zero: u64| {
            facts::outcomes::observed_lines(
                "Fenced",
                10 + zero,
                [("(0, 0)", zero), ("(0, 1)", 5), ("(1, 0)", 5)],
            )
        };
        let panel =
            crate::outcomes::panel(&spec, &allowed, &run(0), Some(&run(2)));
        let report = Report {
            quick: false,
            built: Duration::ZERO,
            took: Duration::ZERO,
            machines: MachineLines::default(),
            listings: vec![ListingReport {
                name: "ch06-12-litmus".into(),
                title: "t".into(),
                outcome: Outcome::Matches,
                claims: Vec::new(),
                measured: Vec::new(),
                took: Duration::ZERO,
                mine: None,
                outcomes: Some(panel),
            }],
            figures: Vec::new(),
            figures_problem: None,
            out: PathBuf::from("/tmp/x"),
        };
        let terminal = report.terminal();
        for part in [
            "Possible outcomes of ch06-12-litmus (allowed by the model ch06-20-model-store-buffering; book's count / yours):",
            "  Fenced: 10 rounds / 12 rounds",
            "    (0, 0)               not found                    0            2",
            "  your run observed outcomes no execution of the model reached: (0, 0) in Fenced",
        ] {
            assert!(terminal.contains(part), "{part:?} is not in:\n{terminal}");
        }
        let html = report.html();
        for part in [
            "<h2 id=\"outcomes\">Possible outcomes</h2>",
            "<th scope=\"col\">Observed on your run</th>",
            "<tr class=\"outcome forbidden fails\">",
            "Your run observed outcomes no execution of the model reached: (0, 0) in Fenced",
        ] {
            assert!(html.contains(part), "{part:?} is not in:\n{html}");
        }
    }
}
