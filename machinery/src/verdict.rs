//! Verdicts of the prose, tied to the claims that check them.
//!
//! A chapter marks a clause that states a verdict about an output, and names the claims of
//! the sidecars that check it:
//!
//! ```markdown
//! Pinned, {{#verdict ch03-03-context-switch/pinned-same-cost}}a round trip costs about
//! the same{{/verdict}}.
//! ```
//!
//! The page shows the author's text with a quiet mark (a dotted underline and a small ✓, a
//! button) whose popover gives, for each claim, its sentence, its expression, the values on
//! the run and the verdict ([`render`]). [`Sentence`] is such a verdict as the source has it,
//! for the checks, `cargo book compare` and the [`tally`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use maud::{Markup, PreEscaped, html};

use crate::claims::{ClaimRef, Status, Verdict};
use crate::directive::{self, Kind};
use crate::listing::Listing;

/// A verdict of the prose, as written in a chapter's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// Relative to `src/`, e.g. `ch03-processes-vs-threads.md`.
    pub chapter: PathBuf,
    /// 1-based line of its `{{#verdict}}`.
    pub line: usize,
    pub claims: Vec<ClaimRef>,
    /// The author's text between the tags, as in the source (directives unexpanded).
    pub text: String,
}

impl Sentence {
    /// "src/ch03-processes-vs-threads.md:42".
    pub fn place(&self) -> String {
        format!("src/{}:{}", self.chapter.display(), self.line)
    }
}

/// The verdicts marked in one chapter's source (escaped and malformed ones left out: the
/// preprocessor reports the latter).
pub fn sentences(chapter: &Path, source: &str) -> Vec<Sentence> {
    directive::find(source)
        .into_iter()
        .filter(|d| !d.escaped)
        .filter_map(|d| match d.kind {
            Kind::Verdict { claims, text } => Some(Sentence {
                chapter: chapter.to_path_buf(),
                line: d.line,
                claims,
                text: source[text].to_owned(),
            }),
            _ => None,
        })
        .collect()
}

/// The verdict's text as a reader reads it, on one line: each `{{#value LISTING NAME}}`
/// replaced by what `value` gives for it (left as written if nothing).
pub fn plain_text(
    text: &str,
    value: impl Fn(&str, &str) -> Option<String>,
) -> String {
    let mut out = String::new();
    let mut last = 0;
    for found in directive::find(text) {
        if let Kind::Value { listing, name } = &found.kind
            && !found.escaped
            && let Some(shown) = value(listing, name)
        {
            out.push_str(&text[last..found.range.start]);
            out.push_str(&shown);
            last = found.range.end;
        }
    }
    out.push_str(&text[last..]);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How a claim fared on the reader's run (`cargo book serve --mine`).
#[derive(Debug, Clone)]
pub enum Mine {
    Judged(Verdict),
    /// `cargo book compare` did not run the listing.
    NotRun,
    /// The reader's output has not the book's shape: its values cannot be read.
    Unreadable(String),
}

/// One claim a verdict rests on, judged.
#[derive(Debug, Clone)]
pub struct Judged {
    pub claim: ClaimRef,
    /// "Listing 3.3".
    pub label: String,
    /// On the book's stored run.
    pub book: Verdict,
    /// On the reader's run, when the book is served with `--mine`.
    pub mine: Option<Mine>,
    /// On which of the machines with outputs (`machines/`) the claim holds.
    pub machines: crate::machines::Spread,
}

/// What a claim's mark shows: on the reader's run when the book is served with `--mine`,
/// else on the book's.
fn status_of(judged: &Judged) -> Status {
    match &judged.mine {
        None => Status::of(Some(&judged.book)),
        Some(Mine::Judged(verdict)) => Status::of(Some(verdict)),
        Some(Mine::NotRun | Mine::Unreadable(_)) => Status::Unjudged,
    }
}

/// The worst status of the claims a verdict rests on: one that fails makes it fail.
fn status_of_all(judged: &[Judged]) -> Status {
    let all: Vec<Status> = judged.iter().map(status_of).collect();
    if all.contains(&Status::Fails) {
        Status::Fails
    } else if all.contains(&Status::Unjudged) {
        Status::Unjudged
    } else {
        Status::Holds
    }
}

/// A verdict's text (markdown, kept as it is) wrapped with its mark and the mark's popover,
/// `id` being unique in the book. Inline HTML only, on one line, and safe inside a markdown
/// paragraph: the popover's text is escaped for HTML and for markdown.
pub fn render(id: &str, judged: &[Judged], text: &str) -> String {
    let mine = judged.iter().any(|j| j.mine.is_some());
    let status = status_of_all(judged);
    let run = if mine { "your run" } else { "the book's run" };
    let label = match status {
        Status::Holds => format!("checked: holds on {run}"),
        Status::Fails => format!("checked: does not hold on {run}"),
        Status::Unjudged => {
            "checked on the book's run; not judged on yours".to_owned()
        }
    };
    let claims: Vec<String> =
        judged.iter().map(|j| j.claim.to_string()).collect();
    let mark = html! {
        span class="prose-verdict-anchor" {
            button type="button" class="prose-verdict-mark" aria-label=(label)
                aria-describedby=(id) { (status.mark()) }
            span class="prose-verdict-popover" role="tooltip" id=(id) {
                span class="prose-verdict-heading" {
                    @if mine { "Checked on your run" } @else { "Checked on the book's run" }
                }
                @for j in judged { (claim_html(j)) }
            }
        }
    };
    // On one line: a verdict may stand in a table row, which a newline (a claim's expression
    // written over several lines) would end.
    let mark =
        PreEscaped(markdown_safe(&mark.into_string()).replace('\n', " "));
    // Whitespace that starts the text (the opening tag ended a line) stays outside: a line
    // that holds only an opening tag would start an HTML block, and its paragraph would no
    // longer be read as markdown (CommonMark, HTML blocks, type 7).
    let body = text.trim_start();
    let lead = &text[..text.len() - body.len()];
    let verdict = html! {
        span class={ "prose-verdict " (status.class()) } data-claims=(claims.join(" ")) {
            (PreEscaped(body)) (mark)
        }
    };
    format!("{lead}{}", verdict.into_string())
}

/// One claim in a popover: its sentence, its check, the values, the verdict.
fn claim_html(judged: &Judged) -> Markup {
    let status = status_of(judged);
    let (values, on) = match &judged.mine {
        None => (Some(&judged.book), "on the book's run"),
        Some(Mine::Judged(verdict)) => (Some(verdict), "on your run"),
        Some(_) => (None, ""),
    };
    let verdict_text = match (&judged.mine, values.map(|v| &v.outcome)) {
        (Some(Mine::NotRun), _) => format!(
            "not run on your machine (cargo book compare {}); it holds on the book's run",
            judged.claim.listing
        ),
        (Some(Mine::Unreadable(why)), _) => {
            format!("your output has not the book's shape: {why}")
        }
        (_, Some(Ok(true))) => format!("holds {on}"),
        (_, Some(Ok(false))) => format!("does not hold {on}"),
        (_, Some(Err(e))) => format!("cannot be evaluated {on}: {e}"),
        (_, None) => String::new(),
    };
    html! {
        span class={ "prose-verdict-claim " (status.class()) } {
            span class="prose-verdict-says" {
                "“" (judged.book.claim.says) "” "
                span class="prose-verdict-source" { "(" (judged.label) ", " (judged.claim.id) ")" }
            }
            code class="prose-verdict-check" { (judged.book.claim.check) }
            @if let Some(verdict) = values && !verdict.values.is_empty() {
                span class="prose-verdict-values" { (values_text(verdict)) }
            }
            @if judged.mine.is_some() && !judged.book.values.is_empty() {
                span class="prose-verdict-values" {
                    "book's run: " (values_text(&judged.book))
                }
            }
            span class="prose-verdict-state" { (status.mark()) " " (verdict_text) }
            @if judged.machines.judged() > 1 {
                span class="prose-verdict-machines" {
                    (judged.machines.summary()) " (" (judged.machines.detail()) ")"
                }
            }
            @if let (Status::Fails, Some(why)) = (status, &judged.book.claim.why_not) {
                span class="prose-verdict-why" { "Why it may not hold: " (why) }
            }
        }
    }
}

/// "fork = 118 µs, thread = 15 µs".
fn values_text(verdict: &Verdict) -> String {
    verdict
        .values
        .iter()
        .map(|(name, text)| format!("{name} = {text}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Escapes, in the text between tags, every ASCII punctuation character that markdown (or
/// mdBook's smart punctuation, or its `{{#...}}` directives) could read: inline HTML in a
/// paragraph is raw only in its tags, and its text is still parsed as markdown.
fn markdown_safe(html: &str) -> String {
    let mut out = String::with_capacity(html.len() * 5 / 4);
    let mut in_tag = false;
    let mut in_entity = false;
    for c in html.chars() {
        match c {
            '<' if !in_entity => in_tag = true,
            '>' if in_tag => in_tag = false,
            '&' if !in_tag => in_entity = true,
            ';' if in_entity => in_entity = false,
            c if !in_tag && !in_entity && c.is_ascii_punctuation() => {
                out.push_str(&format!("&#{};", c as u32));
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// The verdicts, claims and values of one chapter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Count {
    /// `{{#verdict}}` marks in the chapter.
    pub verdicts: usize,
    /// Claims of the listings the chapter shows.
    pub claims: usize,
    /// Of those, claims that some verdict of the book rests on.
    pub claims_marked: usize,
    /// `{{#value}}` in the chapter.
    pub values: usize,
}

/// The tally of the book: per chapter (in the book's order), then the claims no verdict
/// rests on.
#[derive(Debug, Clone)]
pub struct Tally {
    pub chapters: Vec<(PathBuf, Count)>,
    /// Claims of the listings the chapters show that no verdict rests on: their sentence is
    /// shown only under their listing's output.
    pub unmarked: Vec<ClaimRef>,
    /// Claims no verdict rests on, of listings no chapter shows: checked, but seen nowhere.
    pub dead: Vec<ClaimRef>,
}

/// Counts, for each chapter source `(path, text)`, its verdicts, the claims of its
/// listings (and how many a verdict rests on) and its values.
pub fn tally(chapters: &[(PathBuf, String)], listings: &[Listing]) -> Tally {
    let by_name: BTreeMap<&str, &Listing> =
        listings.iter().map(|l| (l.name.as_str(), l)).collect();
    let marked: BTreeSet<ClaimRef> = chapters
        .iter()
        .flat_map(|(path, source)| sentences(path, source))
        .flat_map(|s| s.claims)
        .collect();
    let mut unmarked = Vec::new();
    let mut shown = BTreeSet::new();
    let counts = chapters
        .iter()
        .map(|(path, source)| {
            let mut count = Count::default();
            for found in
                directive::find(source).into_iter().filter(|d| !d.escaped)
            {
                match found.kind {
                    Kind::Verdict { .. } => count.verdicts += 1,
                    Kind::Value { .. } => count.values += 1,
                    Kind::Listing { name, .. } => {
                        let Some(listing) = by_name.get(name.as_str()) else {
                            continue;
                        };
                        shown.insert(name.clone());
                        for claim in &listing.spec.claims {
                            let claim = ClaimRef {
                                listing: name.clone(),
                                id: claim.id.clone(),
                            };
                            count.claims += 1;
                            if marked.contains(&claim) {
                                count.claims_marked += 1;
                            } else {
                                unmarked.push(claim);
                            }
                        }
                    }
                    _ => {}
                }
            }
            (path.clone(), count)
        })
        .collect();
    let dead = listings
        .iter()
        .filter(|l| !shown.contains(&l.name))
        .flat_map(|l| {
            l.spec.claims.iter().map(|c| ClaimRef {
                listing: l.name.clone(),
                id: c.id.clone(),
            })
        })
        .filter(|claim| !marked.contains(claim))
        .collect();
    Tally {
        chapters: counts,
        unmarked,
        dead,
    }
}

impl Tally {
    /// The tally as a markdown table, one row per chapter and a row of totals.
    pub fn table(&self) -> String {
        let mut total = Count::default();
        let mut rows = vec![
            "| Chapter | Verdicts marked | Claims | Claims marked | Values |"
                .to_owned(),
            "| --- | ---: | ---: | ---: | ---: |".to_owned(),
        ];
        for (path, count) in &self.chapters {
            if *count == Count::default() {
                continue;
            }
            total.verdicts += count.verdicts;
            total.claims += count.claims;
            total.claims_marked += count.claims_marked;
            total.values += count.values;
            rows.push(row(&format!("`{}`", path.display()), count));
        }
        rows.push(row("**Total**", &total));
        rows.join("\n") + "\n"
    }
}

/// The lines around the tally in the README; what is between them is the table.
pub const README_START: &str =
    "<!-- tally: written by `cargo book tally --readme` -->";
pub const README_END: &str = "<!-- /tally -->";

/// The README's tally table: what stands between [`README_START`] and [`README_END`].
pub fn readme_table(readme: &str) -> Option<&str> {
    let start = readme.find(README_START)? + README_START.len();
    let end = start + readme[start..].find(README_END)?;
    Some(readme[start..end].trim_start_matches('\n'))
}

/// The README with `table` between the tally's markers.
pub fn with_readme_table(readme: &str, table: &str) -> Option<String> {
    let old = readme_table(readme)?;
    let start = old.as_ptr() as usize - readme.as_ptr() as usize;
    Some(format!(
        "{}{table}{}",
        &readme[..start],
        &readme[start + old.len()..]
    ))
}

/// The total of verdicts marked in a tally table, as the README records it.
pub fn verdicts_in_table(table: &str) -> Option<usize> {
    let total = table.lines().find(|l| l.starts_with("| **Total**"))?;
    total.split('|').nth(2)?.trim().parse().ok()
}

fn row(name: &str, count: &Count) -> String {
    format!(
        "| {name} | {} | {} | {} | {} |",
        count.verdicts, count.claims, count.claims_marked, count.values
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_opened_at_the_end_of_a_line_keeps_its_paragraph_markdown() {
        let html = render("v-1", &[], "\nA plain `Command` stays flat");
        assert!(html.starts_with("\n<span class=\"prose-verdict"), "{html}");
        assert!(html.contains(">A plain `Command` stays flat"), "{html}");
    }

    #[test]
    fn the_popover_text_cannot_be_read_as_markdown() {
        assert_eq!(
            markdown_safe("<code class=\"x\">a * b_c &amp; `d` --</code>"),
            "<code class=\"x\">a &#42; b&#95;c &amp; &#96;d&#96; &#45;&#45;</code>"
        );
    }

    #[test]
    fn values_in_a_verdict_read_as_printed() {
        let text = "costs {{#value ch03-05-creation-cost fork}}\n  a time";
        assert_eq!(
            plain_text(text, |l, n| (l == "ch03-05-creation-cost"
                && n == "fork")
                .then(|| "118 µs".to_owned())),
            "costs 118 µs a time"
        );
    }

    #[test]
    fn the_readme_table_is_found_and_replaced_between_its_markers() {
        let readme = format!("a\n{README_START}\n| old |\n{README_END}\nb\n");
        assert_eq!(readme_table(&readme), Some("| old |\n"));
        let table = "| **Total** | 7 | 9 | 3 | 2 |\n";
        let new = with_readme_table(&readme, table).unwrap();
        assert_eq!(new, format!("a\n{README_START}\n{table}{README_END}\nb\n"));
        assert_eq!(verdicts_in_table(table), Some(7));
        assert_eq!(readme_table("no markers"), None);
    }

    #[test]
    fn the_tally_counts_per_chapter_and_names_unmarked_and_dead_claims() {
        let listing = |name: &str, ids: &[&str]| -> Listing {
            let claims: String = ids
                .iter()
                .map(|id| format!("[[claims]]\nid = \"{id}\"\nholds = \"true\"\nsays = \"s\"\n"))
                .collect();
            let spec: crate::listing::Spec =
                toml::from_str(&format!("title = \"t\"\n{claims}")).unwrap();
            Listing {
                name: name.into(),
                kind: crate::listing::Kind::Program,
                position: crate::listing::Position::Numbered {
                    chapter: 1,
                    order: 1,
                },
                matcher: std::sync::Arc::new(spec.vary.compile().unwrap()),
                spec,
                source: PathBuf::from(format!("listings/src/bin/{name}.rs")),
            }
        };
        let listings = [
            listing("ch01-01-a", &["x", "y"]),
            listing("ch01-02-b", &["z"]),
        ];
        let chapters = [
            (
                PathBuf::from("ch01.md"),
                "{{#listing ch01-01-a}}\n{{#verdict ch01-01-a/x}}So{{/verdict}} \
                 {{#value ch01-01-a v}}"
                    .to_owned(),
            ),
            (PathBuf::from("ch02.md"), "Nothing.".to_owned()),
        ];
        let tally = tally(&chapters, &listings);
        let count = Count {
            verdicts: 1,
            claims: 2,
            claims_marked: 1,
            values: 1,
        };
        assert_eq!(tally.chapters[0].1, count);
        assert_eq!(
            tally.unmarked,
            ["ch01-01-a/y".parse::<ClaimRef>().unwrap()]
        );
        assert_eq!(tally.dead, ["ch01-02-b/z".parse::<ClaimRef>().unwrap()]);
        let table = tally.table();
        assert!(table.contains("| `ch01.md` | 1 | 2 | 1 | 1 |"), "{table}");
        assert!(!table.contains("ch02.md"), "{table}");
        assert_eq!(verdicts_in_table(&table), Some(1));
    }

    #[test]
    fn sentences_are_found_with_their_line_and_text() {
        let source =
            "# T\n\nSo {{#verdict a-b/c d-e/f}}it *holds*{{/verdict}}.\n";
        let found = sentences(Path::new("ch01.md"), source);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 3);
        assert_eq!(found[0].text, "it *holds*");
        assert_eq!(found[0].claims.len(), 2);
        assert_eq!(found[0].place(), "src/ch01.md:3");
    }
}
