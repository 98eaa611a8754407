//! Proof that a sidecar's `[vary]` says exactly what varies.
//!
//! Every declared redaction and every unordered group is made to vary in a copy of the
//! stored output, and the matcher must accept the copy; a change outside every declared span
//! must be rejected. A declaration that never varied on the book's machine is exercised all
//! the same, so that a reader's machine is not the first to try it.

use regex_syntax::hir::{Class, Hir, HirKind};

use crate::output::{Matcher, Redactor};

/// What exercising one output found.
#[derive(Debug, Default)]
pub struct Exercise {
    /// Changes inside a declared span (or a reordering) that the matcher accepted.
    pub absorbed: usize,
    /// Changes outside every declared span that the matcher rejected.
    pub rejected: usize,
    /// What went wrong, one sentence each, naming the declaration.
    pub problems: Vec<String>,
}

/// Exercises every declaration of `matcher` on the `stored` text of an output.
pub fn exercise(matcher: &Matcher, stored: &str) -> Exercise {
    let trial = Trial {
        matcher,
        expected: matcher.normalize(stored),
        lines: stored.lines().collect(),
    };
    let mut found = Exercise::default();
    found.problems.extend(matcher.overlaps(stored));
    for redactor in matcher.redactors() {
        trial.vary_redaction(redactor, &mut found);
    }
    for regex in matcher.unordered_patterns() {
        trial.reorder(regex, &mut found);
    }
    trial.change_outside(&mut found);
    found
}

/// The stored output, and copies of it that a matcher must accept or reject.
struct Trial<'m> {
    matcher: &'m Matcher,
    /// The stored output, normalized once.
    expected: String,
    lines: Vec<&'m str>,
}

impl Trial<'_> {
    /// The stored output with line `n` replaced.
    fn with_line(&self, n: usize, line: &str) -> String {
        let mut copy = self.lines.clone();
        copy[n] = line;
        copy.join("\n") + "\n"
    }

    fn accepts(&self, text: &str) -> bool {
        self.matcher
            .compare_normalized(&self.expected, text)
            .is_ok()
    }

    /// Every span `redactor` claims, made to vary in every way a run can make it vary.
    fn vary_redaction(&self, redactor: &Redactor, found: &mut Exercise) {
        for (n, line) in self.lines.iter().enumerate() {
            for span in self.matcher.spans(line) {
                if !std::ptr::eq(span.by, redactor) {
                    continue;
                }
                let original = &line[span.range.clone()];
                // Every kind of change a run can make must be absorbed: another value of
                // the same length, and, for a number, one with a digit more or fewer (a
                // cache of 512K on one machine is 2048K on another).
                for (kind, candidates) in variants(original, redactor) {
                    let absorbed = candidates.iter().any(|v| {
                        let changed = format!(
                            "{}{v}{}",
                            &line[..span.range.start],
                            &line[span.range.end..]
                        );
                        // The same declaration must claim the new text, where the old
                        // one was.
                        let claimed =
                            self.matcher.spans(&changed).iter().any(|s| {
                                std::ptr::eq(s.by, redactor)
                                    && s.range
                                        == (span.range.start
                                            ..span.range.start + v.len())
                            });
                        claimed && self.accepts(&self.with_line(n, &changed))
                    });
                    if absorbed {
                        found.absorbed += 1;
                    } else {
                        found.problems.push(format!(
                            "{} does not absorb {kind} in place of {original:?} on line \
                             {} (tried {candidates:?}); make its pattern match the \
                             values a run can print",
                            redactor.declared,
                            n + 1
                        ));
                    }
                }
            }
        }
    }

    /// Two different lines an unordered pattern matches, swapped.
    fn reorder(&self, regex: &regex::Regex, found: &mut Exercise) {
        let lines = &self.lines;
        let slots: Vec<usize> = (0..lines.len())
            .filter(|&n| regex.is_match(lines[n]))
            .collect();
        let pair = slots
            .iter()
            .flat_map(|&a| slots.iter().map(move |&b| (a, b)))
            .find(|&(a, b)| a < b && lines[a] != lines[b]);
        let Some((a, b)) = pair else {
            found.problems.push(format!(
                "unordered {regex:?}: the lines it matches are all the same, so no order \
                 can differ; remove it"
            ));
            return;
        };
        let mut swapped = lines.clone();
        swapped.swap(a, b);
        if self.accepts(&(swapped.join("\n") + "\n")) {
            found.absorbed += 1;
        } else {
            found.problems.push(format!(
                "unordered {regex:?}: lines {} and {} swapped are rejected",
                a + 1,
                b + 1
            ));
        }
    }

    /// In each line, one character outside every declared span changed: the copy must be
    /// rejected.
    fn change_outside(&self, found: &mut Exercise) {
        for (n, line) in self.lines.iter().enumerate() {
            let spans = self.matcher.spans(line);
            let outside = line.char_indices().find(|&(i, c)| {
                c.is_ascii_alphanumeric()
                    && !spans.iter().any(|s| s.range.contains(&i))
            });
            let Some((i, c)) = outside else { continue };
            let changed =
                format!("{}{}{}", &line[..i], shift(c), &line[i + 1..]);
            if self.accepts(&self.with_line(n, &changed)) {
                found.problems.push(format!(
                    "line {} changed outside every declared span ({:?} instead of \
                     {line:?}) is accepted: a declaration claims more than what varies",
                    n + 1,
                    changed
                ));
            } else {
                found.rejected += 1;
            }
        }
    }
}

/// The kinds of change a run can make to `original`, each with the values that make it:
/// another value of the same length (its digits changed, its letters, both, its last digit
/// or letter, reversed, another alternative its pattern offers), and, where it holds a
/// number, a number one digit longer and one digit shorter.
fn variants(
    original: &str,
    redactor: &Redactor,
) -> Vec<(&'static str, Vec<String>)> {
    let map = |f: fn(char) -> char| original.chars().map(f).collect::<String>();
    let digits = map(|c| if c.is_ascii_digit() { shift(c) } else { c });
    let letters = map(|c| if c.is_ascii_alphabetic() { shift(c) } else { c });
    // Only the last digit or letter: a hexadecimal address stays one, `0x` and all.
    let last = |is: fn(&char) -> bool| {
        original
            .char_indices()
            .rev()
            .find(|(_, c)| is(c))
            .map(|(i, c)| {
                format!(
                    "{}{}{}",
                    &original[..i],
                    shift(c),
                    &original[i + c.len_utf8()..]
                )
            })
    };
    let mut same = vec![digits, letters, map(shift)];
    same.extend(last(char::is_ascii_digit));
    same.extend(last(char::is_ascii_alphabetic));
    same.push(original.chars().rev().collect());
    same.extend(alternatives(redactor.regex.as_str(), original));
    let mut kinds = vec![("another value of the same length", same)];
    let runs: Vec<(usize, usize)> = digit_runs(original);
    if let Some(&(first, _)) = runs.first() {
        // A digit put before any number of the text, or its last digit doubled.
        let (_, last_end) = runs[runs.len() - 1];
        let mut longer: Vec<String> = runs
            .iter()
            .map(|&(start, _)| {
                format!("{}1{}", &original[..start], &original[start..])
            })
            .collect();
        longer.push(format!(
            "{}{}{}",
            &original[..last_end],
            &original[last_end - 1..last_end],
            &original[last_end..]
        ));
        kinds.push(("a number one digit longer", longer));
        // Where the first number has two digits or more ("512K", "14.59", not "1.00",
        // whose decimals are fixed), one of the numbers may have one digit fewer.
        let (_, first_end) = runs[0];
        if first_end - first > 1 {
            let shorter = runs
                .iter()
                .filter(|(start, end)| end - start > 1)
                .map(|&(start, _)| {
                    format!("{}{}", &original[..start], &original[start + 1..])
                })
                .collect();
            kinds.push(("a number one digit shorter", shorter));
        }
    }
    for (_, candidates) in &mut kinds {
        candidates.retain(|v| v != original && !v.is_empty());
    }
    kinds
}

/// The byte ranges of the runs of ASCII digits in `text`.
fn digit_runs(text: &str) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (c.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// The next digit or letter (9 → 0, z → a, keeping the case); anything else unchanged.
fn shift(c: char) -> char {
    match c {
        '9' => '0',
        'z' => 'a',
        'Z' => 'A',
        c if c.is_ascii_alphanumeric() => (c as u8 + 1) as char,
        c => c,
    }
}

/// The values of the group `redacted` of `pattern` that differ from `original` in one
/// place, where the group is a short list of literals (`yes|no`) or characters of one class
/// (`[#.]{60}`, `[01]`): the only values of that kind.
fn alternatives(pattern: &str, original: &str) -> Vec<String> {
    let Ok(hir) = regex_syntax::parse(pattern) else {
        return Vec::new();
    };
    let Some(group) = find_redacted(&hir) else {
        return Vec::new();
    };
    let members = |class: &Class| -> Vec<char> {
        match class {
            Class::Unicode(class) => class
                .iter()
                .flat_map(|r| r.start()..=r.end())
                .take(16)
                .collect(),
            Class::Bytes(_) => Vec::new(),
        }
    };
    match group.kind() {
        HirKind::Alternation(options) => options
            .iter()
            .filter_map(|hir| match hir.kind() {
                HirKind::Literal(l) => String::from_utf8(l.0.to_vec()).ok(),
                _ => None,
            })
            .collect(),
        HirKind::Class(class) => {
            members(class).into_iter().map(String::from).collect()
        }
        // The first character replaced by each other member of the class.
        HirKind::Repetition(r) => match r.sub.kind() {
            HirKind::Class(class) => {
                let mut chars = original.chars();
                let rest: String = chars.by_ref().skip(1).collect();
                members(class)
                    .into_iter()
                    .map(|c| format!("{c}{rest}"))
                    .collect()
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn find_redacted(hir: &Hir) -> Option<&Hir> {
    match hir.kind() {
        HirKind::Capture(c) if c.name.as_deref() == Some("redacted") => {
            Some(&c.sub)
        }
        HirKind::Capture(c) => find_redacted(&c.sub),
        HirKind::Repetition(r) => find_redacted(&r.sub),
        HirKind::Concat(hirs) | HirKind::Alternation(hirs) => {
            hirs.iter().find_map(find_redacted)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::test_matcher as matcher;

    #[test]
    fn a_sound_declaration_absorbs_and_the_rest_rejects() {
        let m = matcher(
            "presets = ['duration']\nredact.PCID = 'pcid: (?<redacted>yes|no)'\n\
             unordered = ['^worker']",
        );
        let found =
            exercise(&m, "took 3.5 ms\npcid: yes\nworker a\nworker b\n");
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        // The duration (another, and one a digit longer), the PCID answer, the two
        // workers' order.
        assert_eq!(found.absorbed, 4);
        assert_eq!(found.rejected, 4);
    }

    #[test]
    fn a_declaration_hidden_by_another_is_found() {
        // Applied in order, CPU would rewrite the words CACHE needs: the bug a second machine
        // found. Matched on the original line, both absorb their change.
        let m = matcher(
            "redact.CPU = 'cache of CPU (?<redacted>\\d+)'\n\
             redact.CACHE = 'cache of CPU \\d+: (?<redacted>\\S+)'",
        );
        let found = exercise(&m, "cache of CPU 0: 512K\n");
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        // CPU: another, longer; CACHE: another, longer, shorter.
        assert_eq!(found.absorbed, 5);
    }

    #[test]
    fn a_line_wholly_redacted_has_nothing_to_reject() {
        let m = matcher("redact.ALL = '^(?<redacted>.+)$'");
        let found = exercise(&m, "anything\n");
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!((found.absorbed, found.rejected), (1, 0));
    }

    #[test]
    fn a_declaration_that_cannot_absorb_is_named() {
        let m = matcher("redact.ZERO = 'count (?<redacted>0)'");
        let found = exercise(&m, "count 0\n");
        assert_eq!(found.problems.len(), 2, "{:?}", found.problems);
        assert!(found.problems[0].contains("redact.ZERO"));
    }

    #[test]
    fn a_number_of_fixed_width_is_found() {
        // The bug a second machine found: 512K on one, 2048K on the other.
        let m = matcher("redact.CACHE = 'L2: (?<redacted>\\d{3}K)'");
        let found = exercise(&m, "L2: 512K\n");
        assert_eq!(found.problems.len(), 2, "{:?}", found.problems);
        assert!(found.problems[0].contains("one digit longer"));
        assert!(found.problems[1].contains("one digit shorter"));
    }
}
