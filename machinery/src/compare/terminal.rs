//! The report for a terminal: the verdicts first, then what differs, in detail.

use std::fmt::Write as _;

use super::SHARE;
use super::report::{Outcome, Report};
use crate::outcomes::Allowance;
use crate::paths::{COMPARE_OUTPUTS, COMPARE_REPORT};

impl Report {
    /// The report for a terminal: the headline, the claims that do not hold here, the
    /// measured values, what differs or failed, and where the rest is.
    pub fn terminal(&self) -> String {
        let mut t = self.headline().join("\n");
        t.push('\n');
        self.failing_claims(&mut t);
        self.measured_values(&mut t);
        self.possible_outcomes(&mut t);
        self.listing_outcomes(&mut t);
        let _ = writeln!(
            t,
            "\nyour outputs: {}\nthe report as a page: {}\n{SHARE}",
            self.out.join(COMPARE_OUTPUTS).display(),
            self.out.join(COMPARE_REPORT).display()
        );
        t
    }

    /// Each claim that does not hold here: both runs, why it may not hold, and what the
    /// text says resting on it.
    fn failing_claims(&self, t: &mut String) {
        let mut failing = self.claim_rows(true).peekable();
        if failing.peek().is_none() {
            return;
        }
        let _ = writeln!(t, "\nClaims that do not hold on your machine:");
        for (listing, row) in failing {
            let _ =
                writeln!(t, "  {}: \"{}\"", listing.name, row.book.claim.says);
            let yours = row
                .mine
                .as_ref()
                .map_or_else(|| "not judged".to_owned(), ToString::to_string);
            let _ = writeln!(t, "    yours: {yours}");
            let _ = writeln!(t, "    book:  {}", row.book);
            if let Some(why) = &row.book.claim.why_not {
                let _ = writeln!(t, "    why it may not hold: {why}");
            }
            if !row.sentences.is_empty() {
                let _ = writeln!(t, "    what the text says, resting on it:");
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

    /// The measured values, the book's beside the reader's, in columns.
    fn measured_values(&self, t: &mut String) {
        let mut measured = self.measured().peekable();
        if measured.peek().is_none() {
            return;
        }
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

    /// Each litmus listing's outcomes: per case, each outcome, whether the model allows it,
    /// and its count on the book's run and on the reader's.
    fn possible_outcomes(&self, t: &mut String) {
        for (listing, panel) in self.panels() {
            let _ = writeln!(
                t,
                "\nPossible outcomes of {} (allowed by the model {}; book's count / yours):",
                listing.name, panel.model
            );
            for case in &panel.cases {
                let rounds = |n: Option<u64>| {
                    n.map_or_else(
                        || "not run".to_owned(),
                        |n| format!("{n} rounds"),
                    )
                };
                let effort = case
                    .model_effort
                    .as_ref()
                    .map_or_else(String::new, |e| format!("; the model: {e}"));
                let unchecked = match case.rows.first().map(|r| &r.allowed) {
                    Some(Allowance::Unchecked(why)) => {
                        format!(" (not model-checked: {why})")
                    }
                    _ => String::new(),
                };
                let _ = writeln!(
                    t,
                    "  {}: {} / {}{effort}{unchecked}",
                    case.label,
                    rounds(case.book_rounds),
                    rounds(case.mine_rounds)
                );
                for row in &case.rows {
                    let allowed = match &row.allowed {
                        Allowance::Yes => "allowed",
                        Allowance::No => "not found",
                        Allowance::Unchecked(_) => "not model-checked",
                    };
                    let count = |n: Option<u64>| {
                        n.map_or("-".to_owned(), |n| n.to_string())
                    };
                    let news = row.allowed == Allowance::Yes
                        && row.mine.unwrap_or(0) > 0
                        && row.book.unwrap_or(0) == 0;
                    let _ = writeln!(
                        t,
                        "    {:<20} {allowed:<17} {:>12} {:>12}{}",
                        row.outcome,
                        count(row.book),
                        count(row.mine),
                        if news {
                            "  allowed; the book's run did not see it"
                                .to_owned()
                        } else if let (Some(0), Some(why)) =
                            (row.mine, &row.why_unseen)
                        {
                            format!("  unseen here: {why}")
                        } else {
                            String::new()
                        }
                    );
                }
            }
            let forbidden = panel.forbidden_seen(true);
            if !forbidden.is_empty() {
                let _ = writeln!(
                    t,
                    "  your run observed outcomes no execution of the model reached: {}",
                    forbidden.join("; ")
                );
            }
        }
    }

    /// Each listing that differs (with the diff) or failed (with why).
    fn listing_outcomes(&self, t: &mut String) {
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
    }
}
