//! Proof that a sidecar's `[vary]` says exactly what varies: every declared redaction and
//! every unordered group is made to vary in a copy of the stored output, and the matcher must
//! accept the copy; a change outside every declared span must be rejected. A declaration that
//! never varied on the book's machine is exercised all the same, so that a reader's machine is
//! not the first to try it.

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
    let mut found = Exercise::default();
    found.problems.extend(matcher.overlaps(stored));
    let expected = matcher.normalize(stored);
    let lines: Vec<&str> = stored.lines().collect();
    let with_line = |n: usize, line: &str| {
        let mut copy = lines.clone();
        copy[n] = line;
        copy.join("\n") + "\n"
    };
    let accepts =
        |text: &str| matcher.compare_normalized(&expected, text).is_ok();

    for redactor in matcher.redactors() {
        for (n, line) in lines.iter().enumerate() {
            for span in matcher.spans(line) {
                if !std::ptr::eq(span.by, redactor) {
                    continue;
                }
                let original = &line[span.range.clone()];
                let absorbed =
                    variants(original, redactor).into_iter().find(|v| {
                        let changed = format!(
                            "{}{v}{}",
                            &line[..span.range.start],
                            &line[span.range.end..]
                        );
                        // The same declaration must claim the new text, where the old one was.
                        let claimed = matcher.spans(&changed).iter().any(|s| {
                            std::ptr::eq(s.by, redactor)
                                && s.range
                                    == (span.range.start
                                        ..span.range.start + v.len())
                        });
                        claimed && accepts(&with_line(n, &changed))
                    });
                match absorbed {
                    Some(_) => found.absorbed += 1,
                    None => found.problems.push(format!(
                        "{} does not absorb a change of {original:?} on line {}: no other \
                         value of the same shape (digits, letters, the pattern's \
                         alternatives) is accepted there; make its pattern match the \
                         values a run can print",
                        redactor.declared,
                        n + 1
                    )),
                }
            }
        }
    }

    for regex in matcher.unordered_patterns() {
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
            continue;
        };
        let mut swapped = lines.clone();
        swapped.swap(a, b);
        if accepts(&(swapped.join("\n") + "\n")) {
            found.absorbed += 1;
        } else {
            found.problems.push(format!(
                "unordered {regex:?}: lines {} and {} swapped are rejected",
                a + 1,
                b + 1
            ));
        }
    }

    for (n, line) in lines.iter().enumerate() {
        let spans = matcher.spans(line);
        let outside = line.char_indices().find(|&(i, c)| {
            c.is_ascii_alphanumeric()
                && !spans.iter().any(|s| s.range.contains(&i))
        });
        let Some((i, c)) = outside else { continue };
        let changed = format!("{}{}{}", &line[..i], shift(c), &line[i + 1..]);
        if accepts(&with_line(n, &changed)) {
            found.problems.push(format!(
                "line {} changed outside every declared span ({:?} instead of {line:?}) \
                 is accepted: a declaration claims more than what varies",
                n + 1,
                changed
            ));
        } else {
            found.rejected += 1;
        }
    }
    found
}

/// Another value of the same kind as `original`, for each way of making one: its digits
/// changed, its letters changed, both, or another alternative its pattern offers.
fn variants(original: &str, redactor: &Redactor) -> Vec<String> {
    let digits: String = original
        .chars()
        .map(|c| if c.is_ascii_digit() { shift(c) } else { c })
        .collect();
    let letters: String = original
        .chars()
        .map(|c| if c.is_ascii_alphabetic() { shift(c) } else { c })
        .collect();
    let both: String = original.chars().map(shift).collect();
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
    let mut variants = vec![digits, letters, both];
    variants.extend(last(char::is_ascii_digit));
    variants.extend(last(char::is_ascii_alphabetic));
    variants.push(original.chars().rev().collect());
    variants.extend(alternatives(redactor.regex.as_str(), original));
    variants.retain(|v| v != original && !v.is_empty());
    variants
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
    use crate::output::Variation;

    fn matcher(toml: &str) -> Matcher {
        toml::from_str::<Variation>(toml)
            .unwrap()
            .compile()
            .unwrap()
    }

    #[test]
    fn a_sound_declaration_absorbs_and_the_rest_rejects() {
        let m = matcher(
            "presets = ['duration']\nredact.PCID = 'pcid: (?<redacted>yes|no)'\n\
             unordered = ['^worker']",
        );
        let found =
            exercise(&m, "took 3.5 ms\npcid: yes\nworker a\nworker b\n");
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        // The duration, the PCID answer, the two workers' order.
        assert_eq!(found.absorbed, 3);
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
        assert_eq!(found.absorbed, 2);
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
        assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
        assert!(found.problems[0].contains("redact.ZERO"));
    }
}
