//! The `{{#...}}` directives of a chapter, found once, typed, with their line.
//!
//! The preprocessor expands them, the chapter check verifies them, the snippet mapping counts
//! the listings among them, the tally counts the verdicts and values. One parser, so that all
//! agree (mdBook's `find_links` plays the same role for its own preprocessor), with mdBook's
//! grammar, so that every directive mdBook expands is seen here: `{{ #include x}}` too.
//!
//! One directive has a closing tag: `{{#verdict LISTING/ID ...}}text{{/verdict}}` marks a
//! verdict of the prose and names the claims that check it. The two tags are paired here,
//! and a pair that is broken (unclosed, nested, across paragraphs) is a [`Kind::Malformed`]
//! directive whose message says how to fix it.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::claims::ClaimRef;

/// What a directive asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `{{#listing NAME}}` or `{{#listing NAME:ANCHOR}}`: lay out a listing.
    Listing {
        name: String,
        anchor: Option<String>,
    },
    /// `{{#value LISTING NAME}}`: the text of a value read from a listing's output.
    Value { listing: String, name: String },
    /// mdBook's own `include`, `rustdoc_include` or `playground`, with its path and anchor
    /// (or line range).
    Include {
        kind: String,
        path: String,
        anchor: Option<String>,
    },
    /// `{{#verdict LISTING/ID ...}}`: the start of a verdict of the prose, checked by these
    /// claims; its text runs to the `{{/verdict}}` that closes it.
    Verdict {
        claims: Vec<ClaimRef>,
        /// Byte range of the text between the two tags.
        text: Range<usize>,
    },
    /// `{{/verdict}}`: the end of the verdict before it.
    VerdictEnd,
    /// `{{#machines LISTING/VALUE ...}}`: the machines the book has run on, these values
    /// on each, and the claims that do not hold on every one (the Machines appendix).
    Machines { values: Vec<(String, String)> },
    /// `{{#quiz chNN/ID}}`: a question of the quiz file `src/quizzes/chNN.toml`, placed
    /// after the listing its evidence names.
    Quiz { quiz: String, id: String },
    /// `{{#quiz_answers}}`: every quiz's answers and explanations (the Answers appendix).
    QuizAnswers,
    /// `{{#outcomes LISTING}}`: the possible-outcomes panel of a litmus listing (its
    /// sidecar's `[outcomes]`).
    Outcomes { listing: String },
    /// mdBook's `title`, which needs no checking.
    Title,
    /// Anything else: an error unless escaped.
    Unknown(String),
    /// A directive written wrongly; the message says what is wrong and how to fix it.
    Malformed(String),
}

/// One directive found in a chapter's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub kind: Kind,
    /// Byte range of the whole `{{#...}}` in the source.
    pub range: Range<usize>,
    /// 1-based line of its first character.
    pub line: usize,
    /// Written as `\{{#...}}`: shown as text, never expanded.
    pub escaped: bool,
}

/// mdBook's grammar (`find_links`: `\{\{\s*\#([a-zA-Z0-9_]+)\s+([^}]+)\}\}`), so that every
/// directive mdBook expands is seen here too, `{{ #include x}}` included; and this book's
/// closing tag, `{{/verdict}}`.
static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\{\{\s*#([a-zA-Z0-9_]+)\s*([^}]*?)\s*\}\}|\{\{\s*/verdict\s*\}\}",
    )
    .expect("valid regex")
});

/// mdBook's anchor lines (`take_lines.rs`): `ANCHOR: NAME`, the name made of word
/// characters and dashes.
static ANCHOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ANCHOR:\s*([\w-]+)").expect("valid regex"));

/// Whether `source` has the anchor `name` as mdBook reads it: a line `ANCHOR: name`, the
/// whole name (`ANCHOR: main_loop` is not the anchor `main`).
pub fn has_anchor(source: &str, name: &str) -> bool {
    source
        .lines()
        .any(|line| ANCHOR.captures(line).is_some_and(|caps| &caps[1] == name))
}

/// A blank line: the end of a paragraph.
static BLANK_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\n[ \t]*\n").expect("valid regex"));

/// Every directive of `text`, in order, escaped ones included (marked as such).
pub fn find(text: &str) -> Vec<Directive> {
    let mut found: Vec<Directive> = DIRECTIVE
        .captures_iter(text)
        .map(|caps| {
            let whole = caps.get(0).expect("group 0");
            let kind = match (caps.get(1), caps.get(2)) {
                (Some(kind), Some(args)) => {
                    parse_kind(kind.as_str(), args.as_str())
                }
                _ => Kind::VerdictEnd,
            };
            Directive {
                kind,
                range: whole.range(),
                line: text[..whole.start()].matches('\n').count() + 1,
                // As mdBook escapes: `\{{#` only (`\{{ #x}}` is expanded).
                escaped: text[..whole.start()].ends_with('\\')
                    && !whole.as_str()[2..].starts_with(char::is_whitespace),
            }
        })
        .collect();
    pair_verdicts(text, &mut found);
    found
}

/// Pairs each `{{#verdict}}` with the `{{/verdict}}` that follows it, and turns every tag
/// that has no partner, or whose verdict spans paragraphs, into [`Kind::Malformed`].
fn pair_verdicts(text: &str, found: &mut [Directive]) {
    let mut open: Option<usize> = None;
    for i in 0..found.len() {
        if found[i].escaped {
            continue;
        }
        match &found[i].kind {
            Kind::Verdict { .. } => {
                if let Some(previous) = open.replace(i) {
                    found[previous].kind = Kind::Malformed(
                        "this {{#verdict}} is not closed before the next one: \
                         end it with {{/verdict}} (verdicts do not nest)"
                            .to_owned(),
                    );
                }
            }
            Kind::VerdictEnd => match open.take() {
                None => {
                    found[i].kind = Kind::Malformed(
                        "this {{/verdict}} closes no {{#verdict LISTING/ID}}: \
                         remove it or add the opening tag"
                            .to_owned(),
                    )
                }
                Some(start) => {
                    let inside = found[start].range.end..found[i].range.start;
                    let holds_listing = found[start + 1..i].iter().any(|d| {
                        matches!(d.kind, Kind::Listing { .. }) && !d.escaped
                    });
                    if holds_listing {
                        found[start].kind = Kind::Malformed(
                            "this verdict holds a {{#listing}}: a verdict marks a clause \
                             of the prose; close it before the listing"
                                .to_owned(),
                        );
                    } else if BLANK_LINE.is_match(&text[inside.clone()]) {
                        found[start].kind = Kind::Malformed(
                            "this verdict spans paragraphs: a {{#verdict}} marks a \
                             clause or a sentence; close it with {{/verdict}} in the \
                             same paragraph"
                                .to_owned(),
                        );
                        found[i].kind = Kind::Malformed(
                            "this {{/verdict}} closes a verdict opened in another \
                             paragraph"
                                .to_owned(),
                        );
                    } else if let Kind::Verdict { text, .. } =
                        &mut found[start].kind
                    {
                        *text = inside;
                    }
                }
            },
            _ => {}
        }
    }
    if let Some(start) = open {
        found[start].kind = Kind::Malformed(
            "this {{#verdict}} is never closed: end the verdict's text with {{/verdict}}"
                .to_owned(),
        );
    }
}

/// `LISTING/ID LISTING/ID ...`: the claims a verdict rests on.
fn parse_claims(args: &str) -> Kind {
    let mut claims = Vec::new();
    for word in args.split_whitespace() {
        match word.parse::<ClaimRef>() {
            Ok(claim) => claims.push(claim),
            Err(e) => return Kind::Malformed(e),
        }
    }
    if claims.is_empty() {
        return Kind::Malformed(
            "{{#verdict}} names no claim: write {{#verdict LISTING/ID}}, with the id \
             of a [[claims]] entry of the listing's sidecar"
                .to_owned(),
        );
    }
    Kind::Verdict {
        claims,
        text: 0..0, // set when its end is found
    }
}

/// `LISTING/VALUE LISTING/VALUE ...`: the values the Machines appendix sets side by side.
fn parse_values(args: &str) -> Kind {
    let mut values = Vec::new();
    for word in args.split_whitespace() {
        match word.split_once('/') {
            Some((listing, value))
                if !listing.is_empty() && !value.is_empty() =>
            {
                values.push((listing.to_owned(), value.to_owned()));
            }
            _ => {
                return Kind::Malformed(format!(
                    "{{{{#machines}}}}: {word:?} is not LISTING/VALUE (a name of the \
                     listing's [values])"
                ));
            }
        }
    }
    Kind::Machines { values }
}

fn parse_kind(kind: &str, args: &str) -> Kind {
    let mut words = args.split_whitespace();
    let first = words.next().unwrap_or("");
    let split = |s: &str| match s.split_once(':') {
        Some((path, anchor)) => (path.to_owned(), Some(anchor.to_owned())),
        None => (s.to_owned(), None),
    };
    match kind {
        "listing" => {
            let (name, anchor) = split(first);
            Kind::Listing { name, anchor }
        }
        "value" => Kind::Value {
            listing: first.to_owned(),
            name: words.next().unwrap_or("").to_owned(),
        },
        "include" | "rustdoc_include" | "playground" => {
            let (path, anchor) = split(first);
            Kind::Include {
                kind: kind.to_owned(),
                path,
                anchor,
            }
        }
        "verdict" => parse_claims(args),
        "machines" => parse_values(args),
        "quiz" => match first.split_once('/') {
            Some((quiz, id))
                if !quiz.is_empty()
                    && !id.is_empty()
                    && words.next().is_none() =>
            {
                Kind::Quiz {
                    quiz: quiz.to_owned(),
                    id: id.to_owned(),
                }
            }
            _ => Kind::Malformed(format!(
                "{{{{#quiz}}}}: {args:?} is not chNN/ID (a question of src/quizzes/chNN.toml)"
            )),
        },
        "quiz_answers" => Kind::QuizAnswers,
        "outcomes" => match (first, words.next()) {
            (listing, None) if !listing.is_empty() => Kind::Outcomes {
                listing: listing.to_owned(),
            },
            _ => Kind::Malformed(
                "write {{#outcomes LISTING}}, the name of one litmus listing"
                    .to_owned(),
            ),
        },
        "title" => Kind::Title,
        other => Kind::Unknown(other.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, usize, bool)> {
        find(text)
            .into_iter()
            .map(|d| (d.kind, d.line, d.escaped))
            .collect()
    }

    #[test]
    fn listing_with_and_without_anchor() {
        assert_eq!(
            kinds("a\n{{#listing ch01-02-fork}}\n{{#listing ch01-03-x:main}}"),
            vec![
                (
                    Kind::Listing {
                        name: "ch01-02-fork".into(),
                        anchor: None
                    },
                    2,
                    false
                ),
                (
                    Kind::Listing {
                        name: "ch01-03-x".into(),
                        anchor: Some("main".into())
                    },
                    3,
                    false
                ),
            ]
        );
    }

    #[test]
    fn line_of_a_directive_in_the_middle_of_a_line() {
        let found = find("one\ntwo {{#value ch01-02-fork pid}} three");
        assert_eq!(found[0].line, 2);
        assert_eq!(
            found[0].kind,
            Kind::Value {
                listing: "ch01-02-fork".into(),
                name: "pid".into()
            }
        );
        assert_eq!(
            &"one\ntwo {{#value ch01-02-fork pid}}"[found[0].range.clone()],
            "{{#value ch01-02-fork pid}}"
        );
    }

    #[test]
    fn escaped_directives_are_marked() {
        let found = find(r"write \{{#listing NAME}} to show one");
        assert!(found[0].escaped);
    }

    #[test]
    fn includes_and_unknown_kinds() {
        assert_eq!(
            kinds(
                "{{#include ../a.rs:10:20}} {{#rustdoc_include b.rs}} {{#listng x}} {{#title T}}"
            ),
            vec![
                (
                    Kind::Include {
                        kind: "include".into(),
                        path: "../a.rs".into(),
                        anchor: Some("10:20".into())
                    },
                    1,
                    false
                ),
                (
                    Kind::Include {
                        kind: "rustdoc_include".into(),
                        path: "b.rs".into(),
                        anchor: None
                    },
                    1,
                    false
                ),
                (Kind::Unknown("listng".into()), 1, false),
                (Kind::Title, 1, false),
            ]
        );
    }

    #[test]
    fn padding_inside_the_braces() {
        assert_eq!(
            kinds("{{#listing   ch01-02-fork  }}")[0].0,
            Kind::Listing {
                name: "ch01-02-fork".into(),
                anchor: None
            }
        );
    }

    #[test]
    fn spaces_after_the_braces_as_mdbook_reads_them() {
        // mdBook expands `{{ #include x}}`: the checks must see it.
        assert_eq!(
            kinds("{{ #include nope.rs}} {{  #listing ch01-02-fork }}"),
            vec![
                (
                    Kind::Include {
                        kind: "include".into(),
                        path: "nope.rs".into(),
                        anchor: None
                    },
                    1,
                    false
                ),
                (
                    Kind::Listing {
                        name: "ch01-02-fork".into(),
                        anchor: None
                    },
                    1,
                    false
                ),
            ]
        );
        // Only `\{{#` is an escape to mdBook; `\{{ #` is expanded, after the backslash.
        assert!(find(r"\{{#include a.rs}}")[0].escaped);
        assert!(!find(r"\{{ #include a.rs}}")[0].escaped);
        assert_eq!(
            kinds("{{#Include a.rs}}")[0].0,
            Kind::Unknown("Include".into())
        );
        assert_eq!(find("a {{ /verdict }}")[0].range, 2..16);
    }

    #[test]
    fn an_anchor_is_its_whole_name() {
        let source =
            "// ANCHOR: main_loop\nfn f() {}\n// ANCHOR_END: main_loop\n";
        assert!(has_anchor(source, "main_loop"));
        assert!(!has_anchor(source, "main"));
        assert!(has_anchor("//ANCHOR:all\n", "all"));
        assert!(!has_anchor("// ANCHOR_END: all\n", "all"));
    }

    #[test]
    fn a_verdict_is_paired_with_its_end_and_may_hold_values() {
        let text = "So {{#verdict a-b/c d-e/f}}it costs\n{{#value a-b x}}{{/verdict}}.";
        let found = find(text);
        let Kind::Verdict {
            claims,
            text: inside,
        } = &found[0].kind
        else {
            panic!("{:?}", found[0].kind)
        };
        assert_eq!(claims.len(), 2);
        assert_eq!(claims[1].to_string(), "d-e/f");
        assert_eq!(&text[inside.clone()], "it costs\n{{#value a-b x}}");
        assert!(matches!(found[1].kind, Kind::Value { .. }));
        assert_eq!(found[2].kind, Kind::VerdictEnd);
        assert_eq!(found[2].line, 2);
    }

    fn malformed(text: &str) -> Vec<(usize, String)> {
        find(text)
            .into_iter()
            .filter_map(|d| match d.kind {
                Kind::Malformed(why) => Some((d.line, why)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn broken_verdicts_say_what_is_wrong() {
        let unclosed = malformed("a\n{{#verdict a-b/c}}never closed");
        assert_eq!(unclosed[0].0, 2);
        assert!(unclosed[0].1.contains("never closed"), "{unclosed:?}");
        let across = malformed("{{#verdict a-b/c}}one\n\ntwo{{/verdict}}");
        assert!(across[0].1.contains("spans paragraphs"), "{across:?}");
        assert_eq!(across[1].0, 3);
        let nested =
            malformed("{{#verdict a-b/c}}x {{#verdict a-b/d}}y{{/verdict}}");
        assert!(nested[0].1.contains("do not nest"), "{nested:?}");
        let stray = malformed("text{{/verdict}}");
        assert!(stray[0].1.contains("closes no"), "{stray:?}");
        let no_claim = malformed("{{#verdict}}x{{/verdict}}");
        assert!(no_claim[0].1.contains("names no claim"), "{no_claim:?}");
        let bad_ref = malformed("{{#verdict pinned}}x{{/verdict}}");
        assert!(bad_ref[0].1.contains("LISTING/ID"), "{bad_ref:?}");
        assert!(malformed(r"\{{#verdict a-b/c}} shown as text").is_empty());
        let listing = malformed(
            "{{#verdict a-b/c}}x {{#listing ch01-01-a}} y{{/verdict}}",
        );
        assert!(listing[0].1.contains("holds a {{#listing}}"), "{listing:?}");
    }
}
