//! What a stored output is, and how a fresh run is matched against it.
//!
//! An output is the real output of one run of a listing, stored as
//! `listings/output/NAME.txt`: first line `$ COMMAND`, then what the run printed on stdout
//! and stderr, interleaved as it happened.
//!
//! What may legitimately differ between two runs is declared per listing in the `[vary]`
//! table of its sidecar, as narrowly as possible:
//! - `presets`: named patterns shared by many listings (see [`PRESETS`]);
//! - `redact`: `PLACEHOLDER = 'regex'`; the text matched by the regex, or by its group
//!   `(?<redacted>...)` if it has one, is replaced by `[PLACEHOLDER]` on both sides;
//! - `unordered`: regexes, matched against the lines as printed; the lines matching one of
//!   them may come in any order among themselves (they are compared as a multiset), but
//!   must stand on the same lines.
//!
//! Runs of spaces are folded to one before comparing: they are column padding, whose width
//! follows the width of the (redacted) values.
//!
//! Every redaction is matched against the line as printed, never against text another one
//! rewrote, so the order of the declarations does not matter; two that claim the same text
//! are reported ([`Matcher::overlaps`]). snapbox renders the diff.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use facts::output::MACHINE_LABEL;
use facts::units::TIME_UNITS;
use regex::Regex;
use serde::Deserialize;
use snapbox::IntoData;

/// Patterns that many listings need, by name. Each one still only matches text of its shape:
/// a duration is a number with a time unit, never "anything".
pub const PRESETS: &[(&str, &str, &str, &str)] = &[
    (
        "duration",
        "[DURATION]",
        "a duration: differs on every run and every machine",
        // TIME_UNIT: one of `facts::units::TIME_UNITS`, the units the listings print.
        r"(?<redacted>\b\d+(?:\.\d+)?\s?(?:TIME_UNIT))\b",
    ),
    (
        "throughput",
        "[THROUGHPUT]",
        "a throughput: differs on every run and every machine",
        r"(?<redacted>\b\d+(?:\.\d+)?\s?(?:[KMGT]i?B|B)/s)",
    ),
    (
        "std-source",
        "[STD_SOURCE]",
        "where rustc finds std's source: the path and the line move with every Rust release",
        r"--> (?<redacted>/rustc/[0-9a-f]{40}/library/\S+)",
    ),
    (
        "machine",
        "[MACHINE]",
        "the machine the numbers come from: yours will differ",
        // MACHINE_LABEL: `facts::output::MACHINE_LABEL`, what `bench::machine()` prints first.
        r"MACHINE_LABEL(?<redacted>\d+ logical CPUs?, Linux \S+, .+)",
    ),
];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variation {
    #[serde(default)]
    pub presets: Vec<String>,
    #[serde(default)]
    pub redact: BTreeMap<String, Redaction>,
    #[serde(default)]
    pub unordered: Vec<String>,
}

/// One declared redaction: a regex, and optionally what the varying text is, for the
/// reader ("the process ID: new on every run").
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Redaction {
    Pattern(String),
    Explained { pattern: String, why: String },
}

impl Redaction {
    pub fn pattern(&self) -> &str {
        match self {
            Redaction::Pattern(p) | Redaction::Explained { pattern: p, .. } => {
                p
            }
        }
    }

    pub fn why(&self) -> Option<&str> {
        match self {
            Redaction::Pattern(_) => None,
            Redaction::Explained { why, .. } => Some(why),
        }
    }
}

/// A [`Variation`] ready to use.
#[derive(Debug)]
pub struct Matcher {
    redactions: Vec<Redactor>,
    unordered: Vec<Regex>,
}

/// One redaction or preset, compiled.
#[derive(Debug)]
pub(crate) struct Redactor {
    /// How the sidecar declares it: `redact.PID`, `presets = ["duration"]`.
    pub(crate) declared: String,
    /// What the redacted text becomes on both sides: `[PID]`.
    pub(crate) placeholder: String,
    pub(crate) regex: Regex,
    /// What the varying text is, for the reader.
    pub(crate) why: String,
}

/// A part of a line that may differ on the reader's run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub range: std::ops::Range<usize>,
    pub why: String,
}

/// A span of a line that one redaction claims.
#[derive(Debug, Clone)]
pub(crate) struct Span<'m> {
    pub(crate) range: std::ops::Range<usize>,
    pub(crate) by: &'m Redactor,
}

impl Variation {
    pub fn compile(&self) -> Result<Matcher> {
        let mut redactions = Vec::new();
        for preset in &self.presets {
            let Some((_, placeholder, why, pattern)) =
                PRESETS.iter().find(|(n, ..)| n == preset)
            else {
                let known: Vec<_> = PRESETS.iter().map(|(n, ..)| *n).collect();
                bail!("unknown preset {preset:?}; known presets: {known:?}");
            };
            let pattern = pattern
                .replace("TIME_UNIT", &TIME_UNITS.join("|"))
                .replace("MACHINE_LABEL", &regex::escape(MACHINE_LABEL));
            redactions.push(Redactor {
                declared: format!("presets = [{preset:?}]"),
                placeholder: (*placeholder).to_owned(),
                regex: Regex::new(&pattern)?,
                why: (*why).to_owned(),
            });
        }
        for (name, pattern) in &self.redact {
            if name.is_empty()
                || !name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
            {
                bail!(
                    "redaction name {name:?}: use UPPER_CASE letters and underscores"
                );
            }
            let regex = Regex::new(pattern.pattern())
                .with_context(|| format!("redact.{name}"))?;
            redactions.push(Redactor {
                declared: format!("redact.{name}"),
                placeholder: format!("[{name}]"),
                regex,
                why: pattern.why().map_or_else(
                    || format!("differs from run to run: {name}"),
                    str::to_owned,
                ),
            });
        }
        let unordered = self
            .unordered
            .iter()
            .map(|p| Regex::new(p).with_context(|| format!("unordered {p:?}")))
            .collect::<Result<_>>()?;
        Ok(Matcher {
            redactions,
            unordered,
        })
    }
}

impl Matcher {
    pub(crate) fn redactors(&self) -> &[Redactor] {
        &self.redactions
    }

    pub(crate) fn unordered_patterns(&self) -> &[Regex] {
        &self.unordered
    }

    /// Every span of `line` that a redaction claims, each found in the line as printed
    /// (never in text another redaction rewrote), so that the order of the declarations
    /// does not matter. Where two overlap, the one that starts first wins, then the longer,
    /// then the placeholder first in alphabetical order; [`Matcher::overlaps`] reports them.
    pub(crate) fn spans(&self, line: &str) -> Vec<Span<'_>> {
        let mut found = self.all_spans(line);
        found.sort_by(|a, b| {
            (
                a.range.start,
                std::cmp::Reverse(a.range.end),
                &a.by.placeholder,
            )
                .cmp(&(
                    b.range.start,
                    std::cmp::Reverse(b.range.end),
                    &b.by.placeholder,
                ))
        });
        let mut kept: Vec<Span> = Vec::new();
        for span in found {
            if kept
                .last()
                .is_none_or(|last| last.range.end <= span.range.start)
            {
                kept.push(span);
            }
        }
        kept
    }

    fn all_spans(&self, line: &str) -> Vec<Span<'_>> {
        let mut found = Vec::new();
        for redactor in &self.redactions {
            for caps in redactor.regex.captures_iter(line) {
                let part = caps.name("redacted").or_else(|| caps.get(0));
                if let Some(part) = part.filter(|p| !p.is_empty()) {
                    found.push(Span {
                        range: part.range(),
                        by: redactor,
                    });
                }
            }
        }
        found
    }

    /// The parts of `line` that may differ on another run, in order, not overlapping: what
    /// each redaction replaces.
    pub fn marks(&self, line: &str) -> Vec<Mark> {
        self.spans(line)
            .into_iter()
            .map(|span| Mark {
                range: span.range,
                why: span.by.why.clone(),
            })
            .collect()
    }

    /// Whether `line` is one of the lines that may come in any order.
    pub fn is_unordered(&self, line: &str) -> bool {
        self.unordered.iter().any(|r| r.is_match(line))
    }

    /// `line` with each span replaced by its placeholder, and runs of spaces (column
    /// padding around a value whose width varies) folded to one.
    fn redact_line(&self, line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut at = 0;
        for span in self.spans(line) {
            out.push_str(&line[at..span.range.start]);
            out.push_str(&span.by.placeholder);
            at = span.range.end;
        }
        out.push_str(&line[at..]);
        static SPACES: std::sync::LazyLock<Regex> =
            std::sync::LazyLock::new(|| {
                Regex::new(" {2,}").expect("valid regex")
            });
        SPACES.replace_all(&out, " ").into_owned()
    }

    /// The text as compared: variable parts redacted, column padding folded, and unordered
    /// lines put in a canonical order within the lines they occupy. Redactions and unordered
    /// patterns are all matched against the original lines, as the program prints them.
    pub fn normalize(&self, text: &str) -> String {
        let original: Vec<&str> = text.lines().collect();
        let mut lines: Vec<String> =
            original.iter().map(|line| self.redact_line(line)).collect();
        for regex in &self.unordered {
            let slots: Vec<usize> = (0..lines.len())
                .filter(|&i| regex.is_match(original[i]))
                .collect();
            let mut group: Vec<String> =
                slots.iter().map(|&i| lines[i].clone()).collect();
            group.sort_unstable();
            for (slot, line) in slots.into_iter().zip(group) {
                lines[slot] = line;
            }
        }
        lines.join("\n") + "\n"
    }

    /// Declarations that match nothing in `stored` are mistakes (a typo, or a listing that
    /// changed): each must earn its place.
    pub fn unused_declarations(&self, stored: &str) -> Vec<String> {
        let mut unused = Vec::new();
        for redactor in &self.redactions {
            if !redactor.regex.is_match(stored) {
                unused.push(format!(
                    "{} ({}) matches nothing",
                    redactor.declared, redactor.regex
                ));
            }
        }
        for regex in &self.unordered {
            if stored.lines().filter(|l| regex.is_match(l)).count() < 2 {
                unused.push(format!(
                    "unordered {regex:?} (matches fewer than two lines)"
                ));
            }
        }
        unused
    }

    /// Two declarations that claim overlapping text of `stored`: only one of them can
    /// redact it, so the other says more than it does; narrow one of them.
    pub fn overlaps(&self, stored: &str) -> Vec<String> {
        let mut overlaps = Vec::new();
        for (n, line) in stored.lines().enumerate() {
            let spans = self.all_spans(line);
            for (i, a) in spans.iter().enumerate() {
                for b in &spans[i + 1..] {
                    if !std::ptr::eq(a.by, b.by)
                        && a.range.start < b.range.end
                        && b.range.start < a.range.end
                    {
                        overlaps.push(format!(
                            "{} and {} both claim {:?} on line {}",
                            a.by.declared,
                            b.by.declared,
                            &line[a.range.start.min(b.range.start)
                                ..a.range.end.max(b.range.end)],
                            n + 1
                        ));
                    }
                }
            }
        }
        overlaps
    }

    /// `Ok` if `fresh` matches `stored`; otherwise the diff, rendered by snapbox.
    pub fn compare(&self, stored: &str, fresh: &str) -> Result<(), String> {
        self.compare_normalized(&self.normalize(stored), fresh)
    }

    /// [`Matcher::compare`] with the stored side already normalized (it is compared with
    /// many variants of itself when the declarations are exercised).
    pub(crate) fn compare_normalized(
        &self,
        expected: &str,
        fresh: &str,
    ) -> Result<(), String> {
        let actual = self.normalize(fresh);
        if expected == actual {
            return Ok(());
        }
        snapbox::Assert::new()
            .action(snapbox::assert::Action::Verify)
            .try_eq(
                Some(&"fresh run"),
                actual.into_data(),
                expected.to_owned().into_data(),
            )
            .map_err(|e| e.to_string())
    }
}

/// The machine line a listing printed (`bench::machine()`: "machine: 2 logical CPUs, …"),
/// without its label, if it printed one.
pub fn machine_line(text: &str) -> Option<String> {
    text.lines()
        .find_map(|line| line.strip_prefix(MACHINE_LABEL))
        .map(|line| line.trim().to_owned())
}

/// A stored output: the command line it was made with, and what the run printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOutput {
    pub command: String,
    pub text: String,
}

impl StoredOutput {
    /// The output file at `path`, if it exists and starts with `$ COMMAND`: for outputs that
    /// may be absent (a reader's run, another machine's). The book's own are read, with a
    /// message when missing, by [`crate::listing::Listing::stored_output`].
    pub fn read(path: &std::path::Path) -> Option<StoredOutput> {
        StoredOutput::parse(&std::fs::read_to_string(path).ok()?)
    }

    /// An output file's text, read by the one parser the figures use too
    /// (`facts::output`).
    pub fn parse(file: &str) -> Option<StoredOutput> {
        let (command, text) = facts::output::parse(file)?;
        Some(StoredOutput {
            command: command.to_owned(),
            text: text.to_owned(),
        })
    }

    /// The file [`StoredOutput::parse`] reads back.
    pub fn render(&self) -> String {
        facts::output::render(&self.command, &self.text)
    }
}

/// A matcher from a `[vary]` table written as TOML, for the unit tests of this module and
/// of `variation`.
#[cfg(test)]
pub(crate) fn test_matcher(toml: &str) -> Matcher {
    toml::from_str::<Variation>(toml)
        .unwrap()
        .compile()
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::test_matcher as matcher;

    #[test]
    fn redactions_keep_the_shape() {
        let m = matcher(
            "presets = ['duration']\nredact.PID = 'pid (?<redacted>\\d+)'",
        );
        assert!(
            m.compare("pid 12 took 3.5 ms\n", "pid 4567 took 120 µs\n")
                .is_ok()
        );
        // A PID line must still be a PID line, a duration a number with a unit.
        assert!(
            m.compare("pid 12 took 3.5 ms\n", "pid x took 3.5 ms\n")
                .is_err()
        );
        assert!(
            m.compare("pid 12 took 3.5 ms\n", "pid 12 took a while\n")
                .is_err()
        );
    }

    #[test]
    fn unordered_lines_are_a_multiset_in_place() {
        let m = matcher("unordered = ['^worker']");
        let stored = "start\nworker a\nworker b\nend\n";
        assert!(
            m.compare(stored, "start\nworker b\nworker a\nend\n")
                .is_ok()
        );
        assert!(
            m.compare(stored, "start\nworker a\nworker a\nend\n")
                .is_err()
        );
        assert!(
            m.compare(stored, "worker b\nstart\nworker a\nend\n")
                .is_err()
        );
    }

    #[test]
    fn column_padding_does_not_count() {
        let m = matcher("presets = ['duration']");
        assert!(m.compare("a   940 µs   b\n", "a  1.12 ms   b\n").is_ok());
        assert!(m.compare("a 940 µs b\n", "a 940 µs c\n").is_err());
    }

    #[test]
    fn marks_say_what_varies_and_why() {
        let m = matcher(
            "presets = ['duration']\nredact.PID = { pattern = 'pid (?<redacted>\\d+)', why = 'new every run' }",
        );
        let line = "pid 42 took 3.5 ms";
        let marks = m.marks(line);
        assert_eq!(marks.len(), 2);
        assert_eq!(&line[marks[0].range.clone()], "42");
        assert_eq!(marks[0].why, "new every run");
        assert_eq!(&line[marks[1].range.clone()], "3.5 ms");
    }

    #[test]
    fn redactions_do_not_depend_on_their_order() {
        // Both patterns need the words "L2 cache of CPU": applied one after the other, the
        // first would hide them from the second.
        let m = matcher(
            "redact.CACHE = 'L2 cache of CPU \\d+: (?<redacted>\\S+)'\n\
             redact.CPU = 'L2 cache of CPU (?<redacted>\\d+)'",
        );
        let stored = "L2 cache of CPU 0: 512K\n";
        assert!(m.compare(stored, "L2 cache of CPU 3: 2048K\n").is_ok());
        assert!(m.compare(stored, "L3 cache of CPU 3: 2048K\n").is_err());
        assert!(m.overlaps(stored).is_empty());
    }

    #[test]
    fn overlapping_declarations_are_reported() {
        let m = matcher(
            "presets = ['duration']\nredact.TOOK = 'took (?<redacted>.+)'",
        );
        let overlaps = m.overlaps("took 3 ms\n");
        assert_eq!(overlaps.len(), 1, "{overlaps:?}");
        assert!(overlaps[0].contains("redact.TOOK"), "{overlaps:?}");
    }

    #[test]
    fn unused_declarations_are_reported() {
        let m =
            matcher("redact.PID = 'pid (?<redacted>\\d+)'\nunordered = ['^w']");
        assert_eq!(m.unused_declarations("nothing here\n").len(), 2);
        assert!(m.unused_declarations("pid 1\nw\nw\n").is_empty());
    }
}
