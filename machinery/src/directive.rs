//! The `{{#...}}` directives of a chapter, found once, typed, with their line: the
//! preprocessor expands them, the chapter check verifies them, the snippet mapping counts the
//! listings among them. One parser, so that all three agree (mdBook's `find_links` plays the
//! same role for its own preprocessor).

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

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
    /// mdBook's `title`, which needs no checking.
    Title,
    /// Anything else: an error unless escaped.
    Unknown(String),
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

static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{\{#([a-z_]+)\s*([^}]*?)\s*\}\}").expect("valid regex")
});

/// Every directive of `text`, in order, escaped ones included (marked as such).
pub fn find(text: &str) -> Vec<Directive> {
    DIRECTIVE
        .captures_iter(text)
        .map(|caps| {
            let whole = caps.get(0).expect("group 0");
            let (kind, args) = (&caps[1], &caps[2]);
            Directive {
                kind: parse_kind(kind, args),
                range: whole.range(),
                line: text[..whole.start()].matches('\n').count() + 1,
                escaped: text[..whole.start()].ends_with('\\'),
            }
        })
        .collect()
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
}
