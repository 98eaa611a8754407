//! What an output is: the real output of one run of a listing, stored as
//! `listings/output/NAME.txt` (first line `$ COMMAND`, then what the run printed on stdout
//! and stderr, interleaved as it happened), and how a fresh run is matched against it.
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
//! Redacting and comparing are snapbox's; this module only feeds it the declarations.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use facts::units::TIME_UNITS;
use regex::Regex;
use serde::Deserialize;
use snapbox::{IntoData, Redactions};

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
        "machine",
        "[MACHINE]",
        "the machine the numbers come from: yours will differ",
        r"machine: (?<redacted>\d+ logical CPUs?, Linux \S+, .+)",
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
    /// Each redaction with its placeholder, kept to check that it matches something.
    redactions: Vec<(&'static str, Regex)>,
    /// What each redaction is, for the reader, in the same order.
    whys: Vec<String>,
    unordered: Vec<Regex>,
}

/// A part of a line that may differ on the reader's run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub range: std::ops::Range<usize>,
    pub why: String,
}

impl Variation {
    pub fn compile(&self) -> Result<Matcher> {
        let mut redactions = Vec::new();
        let mut whys = Vec::new();
        for preset in &self.presets {
            let Some((_, placeholder, why, pattern)) =
                PRESETS.iter().find(|(n, ..)| n == preset)
            else {
                let known: Vec<_> = PRESETS.iter().map(|(n, ..)| *n).collect();
                bail!("unknown preset {preset:?}; known presets: {known:?}");
            };
            let pattern = pattern.replace("TIME_UNIT", &TIME_UNITS.join("|"));
            redactions.push((*placeholder, Regex::new(&pattern)?));
            whys.push((*why).to_owned());
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
            // snapbox wants `'static` placeholders; a handful of short strings per run.
            let placeholder: &'static str =
                Box::leak(format!("[{name}]").into_boxed_str());
            redactions.push((placeholder, regex));
            whys.push(pattern.why().map_or_else(
                || format!("differs from run to run: {name}"),
                str::to_owned,
            ));
        }
        let unordered = self
            .unordered
            .iter()
            .map(|p| Regex::new(p).with_context(|| format!("unordered {p:?}")))
            .collect::<Result<_>>()?;
        Ok(Matcher {
            redactions,
            whys,
            unordered,
        })
    }
}

impl Matcher {
    /// The parts of `line` that may differ on another run, in order, not overlapping: what
    /// each redaction would replace.
    pub fn marks(&self, line: &str) -> Vec<Mark> {
        let mut marks: Vec<Mark> = Vec::new();
        for ((_, regex), why) in self.redactions.iter().zip(&self.whys) {
            for caps in regex.captures_iter(line) {
                let Some(part) = caps.name("redacted").or_else(|| caps.get(0))
                else {
                    continue;
                };
                let range = part.range();
                if range.is_empty()
                    || marks.iter().any(|m| {
                        m.range.start < range.end && range.start < m.range.end
                    })
                {
                    continue;
                }
                marks.push(Mark {
                    range,
                    why: why.clone(),
                });
            }
        }
        marks.sort_by_key(|m| m.range.start);
        marks
    }

    /// Whether `line` is one of the lines that may come in any order.
    pub fn is_unordered(&self, line: &str) -> bool {
        self.unordered.iter().any(|r| r.is_match(line))
    }

    /// The text as compared: variable parts redacted, runs of spaces (column padding around
    /// a value whose width varies) folded to one, and unordered lines put in a canonical
    /// order within the lines they occupy. Unordered patterns are matched against the
    /// original lines, so they are written against what the program prints.
    pub fn normalize(&self, text: &str) -> Result<String> {
        let mut redactions = Redactions::new();
        for (placeholder, regex) in &self.redactions {
            redactions
                .insert(placeholder, regex.clone())
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let spaces = Regex::new(" {2,}").expect("valid regex");
        let original: Vec<&str> = text.lines().collect();
        let mut lines: Vec<String> = original
            .iter()
            .map(|line| {
                spaces
                    .replace_all(&redactions.redact(line), " ")
                    .into_owned()
            })
            .collect();
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
        Ok(lines.join("\n") + "\n")
    }

    /// Declarations that match nothing in `stored` are mistakes (a typo, or a listing that
    /// changed): each must earn its place.
    pub fn unused_declarations(&self, stored: &str) -> Vec<String> {
        let mut unused = Vec::new();
        for (placeholder, regex) in &self.redactions {
            if !regex.is_match(stored) {
                unused.push(format!("redaction {placeholder} ({regex})"));
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

    /// `Ok` if `fresh` matches `stored`; otherwise the diff, rendered by snapbox.
    pub fn compare(&self, stored: &str, fresh: &str) -> Result<(), String> {
        let expected = self.normalize(stored).map_err(|e| e.to_string())?;
        let actual = self.normalize(fresh).map_err(|e| e.to_string())?;
        if expected == actual {
            return Ok(());
        }
        snapbox::Assert::new()
            .action(snapbox::assert::Action::Verify)
            .try_eq(
                Some(&"fresh run"),
                actual.into_data(),
                expected.into_data(),
            )
            .map_err(|e| e.to_string())
    }
}

/// A stored output: the command line it was made with, and what the run printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOutput {
    pub command: String,
    pub text: String,
}

impl StoredOutput {
    pub fn parse(file: &str) -> Option<StoredOutput> {
        let (first, text) = file.split_once('\n').unwrap_or((file, ""));
        let command = first.strip_prefix("$ ")?.to_owned();
        Some(StoredOutput {
            command,
            text: text.to_owned(),
        })
    }

    pub fn render(&self) -> String {
        format!("$ {}\n{}", self.command, self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(toml: &str) -> Matcher {
        toml::from_str::<Variation>(toml)
            .unwrap()
            .compile()
            .unwrap()
    }

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
    fn unused_declarations_are_reported() {
        let m =
            matcher("redact.PID = 'pid (?<redacted>\\d+)'\nunordered = ['^w']");
        assert_eq!(m.unused_declarations("nothing here\n").len(), 2);
        assert!(m.unused_declarations("pid 1\nw\nw\n").is_empty());
    }
}
