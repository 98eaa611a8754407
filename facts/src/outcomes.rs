//! The outcomes of a small concurrent test, as a program prints them and the machinery reads
//! them back: the set a model checker *allows* (a model twin's output, `listings::model`) and
//! the counts real runs *observed* (a litmus listing's output, `listings::litmus`). Writer and
//! parser stand side by side, so that they cannot drift apart.
//!
//! Each case of a test (an ordering, a variant of the code) has a label, the same in the twin
//! and in the listing, and its outcomes are written the same way in both (`(0, 1)`,
//! `INCOMPLETE`). A twin prints one line per case, the label, two spaces or more, and the set:
//!
//! ```text
//! Relaxed          {(0, 0), (0, 1), (1, 0), (1, 1)}
//! ```
//!
//! A litmus listing prints a header per case, then one line per outcome with its count,
//! outcomes it never saw included with 0 when it knows them (the way litmus7 prints its
//! histograms, count first):
//!
//! ```text
//! Relaxed: 1000 rounds
//!     12  (0, 0)
//!    988  (0, 1)
//! ```

use std::collections::BTreeMap;
use std::fmt::Display;

/// One case's allowed set, as a twin prints it: the label padded to `width`, then the set.
pub fn allowed_line<T: Display>(
    label: &str,
    width: usize,
    outcomes: impl IntoIterator<Item = T>,
) -> String {
    let items: Vec<String> =
        outcomes.into_iter().map(|o| o.to_string()).collect();
    format!("{label:<width$}  {{{}}}", items.join(", "))
}

/// One case's observed counts, as a litmus listing prints them: the header line and one line
/// per outcome, in the order given, counts right-aligned. No trailing newline.
pub fn observed_lines<T: Display>(
    label: &str,
    rounds: u64,
    counts: impl IntoIterator<Item = (T, u64)>,
) -> String {
    let counts: Vec<(String, u64)> = counts
        .into_iter()
        .map(|(o, n)| (o.to_string(), n))
        .collect();
    let width = counts
        .iter()
        .map(|(_, n)| n.to_string().len())
        .max()
        .unwrap_or(1);
    let mut text = format!("{label}: {rounds} {ROUNDS}");
    for (outcome, n) in counts {
        text.push_str(&format!("\n  {n:>width$}  {outcome}"));
    }
    text
}

/// The word after a case's number of runs in its header: `Relaxed: 1000 rounds`.
pub const ROUNDS: &str = "rounds";

/// Every case's allowed set found in a twin's output, by label, each outcome as printed.
pub fn parse_allowed(text: &str) -> BTreeMap<String, Vec<String>> {
    text.lines()
        .filter_map(|line| {
            let set = line.trim_end().strip_suffix('}')?;
            let (label, items) = set.split_once("  ")?;
            let items = items.trim_start().strip_prefix('{')?;
            let label = label.trim();
            (!label.is_empty())
                .then(|| (label.to_owned(), split_top_level(items)))
        })
        .collect()
}

/// What real runs observed in one case: how many rounds, and each outcome printed with its
/// count (0 included), in the order printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub rounds: u64,
    pub counts: Vec<(String, u64)>,
}

/// Every case found in a litmus listing's output, by label.
pub fn parse_observed(text: &str) -> BTreeMap<String, Observed> {
    let mut cases = BTreeMap::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some((label, rounds)) = header(line) else {
            continue;
        };
        let mut counts = Vec::new();
        while let Some((n, outcome)) = lines.peek().and_then(|l| count_line(l))
        {
            counts.push((outcome.to_owned(), n));
            lines.next();
        }
        cases.insert(label.to_owned(), Observed { rounds, counts });
    }
    cases
}

/// `Relaxed: 1000 rounds` → ("Relaxed", 1000).
fn header(line: &str) -> Option<(&str, u64)> {
    let rest = line.strip_suffix(ROUNDS)?.strip_suffix(' ')?;
    let (label, rounds) = rest.rsplit_once(": ")?;
    let label = label.trim();
    Some((label, rounds.trim().parse().ok()?)).filter(|_| !label.is_empty())
}

/// `    162504  (0, 0)` → (162504, "(0, 0)"): indented, a count, two spaces, the outcome.
fn count_line(line: &str) -> Option<(u64, &str)> {
    let rest = line.strip_prefix("  ")?.trim_start();
    let (n, outcome) = rest.split_once("  ")?;
    Some((n.parse().ok()?, outcome)).filter(|(_, o)| !o.is_empty())
}

/// `(0, 0), (0, 1)` → ["(0, 0)", "(0, 1)"]: split at the commas outside brackets.
fn split_top_level(items: &str) -> Vec<String> {
    let (mut parts, mut depth, mut start) = (Vec::new(), 0_i32, 0);
    for (i, c) in items.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(items[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = items[start..].trim();
    if !last.is_empty() {
        parts.push(last.to_owned());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allowed_set_reads_back_as_written() {
        let pairs = ["(0, 0)", "(0, 1)", "(1, 1)"];
        let text = format!(
            "one round; in every execution:\n{}\n{}\n  210 executions in 29.3 ms\n",
            allowed_line("Relaxed", 24, pairs),
            allowed_line("Relaxed + fence(SeqCst)", 24, ["(0, 1)"]),
        );
        let sets = parse_allowed(&text);
        assert_eq!(sets["Relaxed"], pairs);
        assert_eq!(sets["Relaxed + fence(SeqCst)"], ["(0, 1)"]);
        assert_eq!(sets.len(), 2);
    }

    #[test]
    fn observed_counts_read_back_as_written() {
        let text = format!(
            "machine: 2 logical CPUs\n{}\n{}\nthe end\n",
            observed_lines("Relaxed", 30, [("(0, 0)", 12), ("(1, 1)", 0)]),
            observed_lines("SeqCst", 5, [("INCOMPLETE", 5)]),
        );
        let cases = parse_observed(&text);
        assert_eq!(
            cases["Relaxed"],
            Observed {
                rounds: 30,
                counts: vec![("(0, 0)".into(), 12), ("(1, 1)".into(), 0)]
            }
        );
        assert_eq!(cases["SeqCst"].counts, [("INCOMPLETE".to_owned(), 5)]);
        assert_eq!(cases.len(), 2);
    }
}
