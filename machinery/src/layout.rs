//! How a listing is laid out in a chapter, in HTML built with maud (every text escaped by
//! construction): the caption, the code and the command (markdown, which mdBook renders
//! next), the output with what varies marked, the claims with their verdicts, and, with
//! `serve --mine`, the reader's run; and a litmus listing's possible-outcomes panel. The data
//! comes from the preprocessor (`book.rs`); this module reads nothing.

use std::collections::BTreeMap;

use maud::{Markup, PreEscaped, html};

use crate::claims::{Status, Verdict};
use crate::listing::{Kind, Listing};
use crate::machines::Spread;
use crate::outcomes::{Allowance, Panel};
use crate::output::Matcher;

/// What a listing's figure shows, besides the listing itself.
pub struct Shown<'a> {
    /// The `{{#rustdoc_include}}` path of the code, relative to the chapter.
    pub include: &'a str,
    /// The command the stored output was made with.
    pub command: &'a str,
    /// The stored output, laid out by [`output`].
    pub output: Markup,
    /// The claims under it ([`claims`]) and the reader's run ([`mine`]).
    pub claims: Markup,
    pub mine: Markup,
}

/// The listing's figure: a block of HTML with markdown inside (the code, through mdBook's
/// `rustdoc_include`, and the command), whose blank lines let markdown read those parts.
pub fn listing(listing: &Listing, shown: Shown) -> String {
    // skeptic compiles and runs every rust block, except two kinds the listings test checks:
    // a measurement, which it builds with --release and runs (skeptic could only compile
    // it, in debug and anew on every run: it caches only what it runs), and a compile-fail
    // listing.
    let info = match (listing.kind, listing.spec.measurement) {
        (Kind::CompileFail, _) | (Kind::Program, true) => "rust,ignore",
        (Kind::Program, false) => "rust",
    };
    let code = format!(
        "```{info}\n{{{{#rustdoc_include {}}}}}\n```\n\n",
        shown.include
    );
    let command = format!("```console\n$ {}\n```", shown.command);
    let figure = html! {
        figure class="listing" id={ "listing-" (listing.name) } {
            "\n" (caption(listing)) "\n"
            @if listing.kind == Kind::CompileFail {
                "\n"
                p class="listing-note" {
                    "This program must not compile: the test suite checks that rustc \
                     rejects it with the error shown below."
                }
                "\n"
            }
            "\n" (PreEscaped(code))
            div class="listing-run" { "\n\n" (PreEscaped(command)) "\n\n" }
            "\n"
            div class="listing-output" aria-label={ "Output of " (listing.name) } {
                "\n\n" pre { code class="nohighlight" { (shown.output) } } "\n\n"
                @if shown.output.0.contains("class=\"varies") {
                    p class="output-legend" {
                        span class="varies" { "Underlined" }
                        " parts differ from run to run; hover over one to see why."
                    }
                    "\n"
                }
            }
            "\n" (shown.claims) (shown.mine)
        }
        "\n"
    };
    figure.into_string()
}

/// "Listing 1.2 The title listings/src/bin/ch01-02-fork.rs".
fn caption(listing: &Listing) -> Markup {
    html! {
        figcaption {
            span class="listing-label" { (listing.position) } " "
            span class="listing-title" { (listing.spec.title) } " "
            code class="listing-file" { (listing.source.display()) }
        }
    }
}

/// An output as HTML, each part that may differ on the reader's run wrapped in a
/// `<span class="varies" title="why">`, each line that may come in another order in a
/// `<span class="any-order">`; `{{#` escaped from mdBook.
pub fn output(matcher: &Matcher, text: &str) -> Markup {
    let lines = html! {
        @for line in text.lines() {
            @if matcher.is_unordered(line) {
                span class="any-order" title="lines like this one may come in another order on your run" {
                    (marked(matcher, line))
                }
            } @else {
                (marked(matcher, line))
            }
            "\n"
        }
    };
    PreEscaped(escape_directives(&lines.into_string()))
}

/// One line of an output, what may vary in it marked.
fn marked(matcher: &Matcher, line: &str) -> Markup {
    let mut last = 0;
    let mut parts = Vec::new();
    for mark in matcher.marks(line) {
        parts.push((&line[last..mark.range.start], None));
        parts.push((&line[mark.range.clone()], Some(mark.why)));
        last = mark.range.end;
    }
    parts.push((&line[last..], None));
    html! {
        @for (text, why) in parts {
            @match why {
                Some(why) => span class="varies" title=(why) { (text) },
                None => (text),
            }
        }
    }
}

/// A listing's claims, each with its verdict on one run, under `heading`, and, for the
/// book's run, on how many machines each holds (`spreads`); `{{#` escaped from mdBook.
pub fn claims(
    verdicts: &[Verdict],
    heading: &str,
    spreads: Option<&BTreeMap<String, Spread>>,
) -> Markup {
    if verdicts.is_empty() {
        return html! {};
    }
    let list = html! {
        div class="listing-claims" {
            "\n" p class="claims-title" { (heading) } "\n"
            ul {
                "\n"
                @for verdict in verdicts {
                    (claim(verdict, spreads.and_then(|s| s.get(&verdict.claim.id)))) "\n"
                }
            }
            "\n"
        }
        "\n"
    };
    PreEscaped(escape_directives(&list.into_string()))
}

/// One claim: its mark, its sentence and check, its values, on how many machines it holds,
/// and why it may not hold, if it does not.
fn claim(verdict: &Verdict, spread: Option<&Spread>) -> Markup {
    let status = Status::of(Some(verdict));
    let values: Vec<String> = verdict
        .values
        .iter()
        .map(|(name, text)| format!("{name} = {text}"))
        .collect();
    let spread = spread.filter(|s| s.judged() > 1);
    html! {
        li class={ "claim " (status.class()) } {
            span class="verdict" title=(if verdict.holds() { "holds on this run" } else { "does not hold on this run" }) {
                (status.mark())
            }
            " " (verdict.claim.says) " "
            code class="claim-check" { (verdict.claim.check) } " "
            span class="claim-values" { (values.join(", ")) }
            @if let Some(spread) = spread {
                " " span class="claim-machines" { "(" (spread.summary()) ": " (spread.detail()) ")" }
            }
            @if let (Some(why), false) = (&verdict.claim.why_not, verdict.holds()) {
                " " span class="why-not" { "Why it may not hold: " (why) }
            }
        }
    }
}

/// The "Your run" panel of `serve --mine`: the reader's output and the claims judged on it
/// (or why they cannot be), or a note that compare did not run the listing.
pub fn mine(
    listing: &Listing,
    output: Option<Markup>,
    claims: Result<Markup, String>,
) -> Markup {
    let Some(output) = output else {
        return html! {
            p class="listing-mine-missing" {
                "Not run by your " code { "cargo book compare" } "."
            }
            "\n"
        };
    };
    html! {
        div class="listing-output listing-mine" aria-label={ "Your run of " (listing.name) } {
            "\n\n" pre { code class="nohighlight" { (output) } } "\n\n"
        }
        "\n"
        @match claims {
            Ok(claims) => (claims),
            Err(problem) => {
                p class="claims-title" { "Your output has not the book's shape: " (problem) }
                "\n"
            }
        }
    }
}

/// mdBook expands `{{#...}}` everywhere, even in code; an output that prints one must not be.
pub fn escape_directives(text: &str) -> String {
    text.replace("{{#", "\\{{#")
}

/// A text as HTML.
pub fn text(text: &str) -> String {
    html! { (text) }.into_string()
}

/// `{{#outcomes LISTING}}`: the possible-outcomes panel of a litmus listing, a figure like a
/// listing's, captioned "Possible outcomes of Listing N.M", whose note links to the chapter's
/// section on model checking (`section`, relative to the page); `{{#` escaped from mdBook.
pub fn outcomes(listing: &Listing, panel: &Panel, section: &str) -> String {
    let figure = html! {
        figure class="outcomes" id={ "outcomes-" (listing.name) } {
            "\n"
            figcaption {
                span class="listing-label" { "Possible outcomes of " (listing.position) } " "
                span class="listing-title" { (listing.spec.title) }
            }
            "\n" (outcomes_table(panel)) "\n"
            (outcomes_note(panel, Some(section)))
        }
        "\n"
    };
    format!("\n{}\n\n", escape_directives(&figure.into_string()))
}

/// The panel's table: per case, a header row (its rounds on each run, why it is not
/// model-checked if it is not), then a row per outcome: allowed by the model or not, its
/// count on the book's run (and on the reader's), and, allowed but unseen, why.
pub fn outcomes_table(panel: &Panel) -> Markup {
    let mine = panel.has_mine();
    let columns = if mine { 5 } else { 4 };
    let count = |n: Option<u64>| {
        n.map_or_else(|| "not printed".to_owned(), |n| n.to_string())
    };
    html! {
        table class="outcomes-table" {
            thead {
                tr {
                    th scope="col" { "Outcome" }
                    th scope="col" { "Allowed by the model (" (panel.model_label) ")" }
                    th scope="col" { "Observed on the book's run" }
                    @if mine { th scope="col" { "Observed on your run" } }
                    th scope="col" { "If allowed but unseen, why" }
                }
            }
            @for case in &panel.cases {
                tbody {
                    tr class="outcomes-case" {
                        th scope="rowgroup" colspan=(columns) {
                            (case.label) ": "
                            (case.book_rounds.map_or_else(|| "not run".to_owned(), |n| format!("{n} rounds")))
                            " on the book's run"
                            @if mine {
                                ", " (case.mine_rounds.map_or_else(|| "not run".to_owned(), |n| format!("{n} rounds")))
                                " on yours"
                            }
                            @if let Some(effort) = &case.model_effort {
                                span class="outcomes-effort" { "; the model: " (effort) }
                            }
                            @if let Some(Allowance::Unchecked(why)) = case.rows.first().map(|r| &r.allowed) {
                                span class="outcomes-unchecked" { " — not model-checked: " (why) }
                            }
                        }
                    }
                    @for row in &case.rows {
                        @let seen_forbidden = row.allowed == Allowance::No
                            && (row.book.unwrap_or(0) > 0 || row.mine.unwrap_or(0) > 0);
                        tr class={
                            "outcome "
                            (match row.allowed { Allowance::Yes => "allowed", Allowance::No => "forbidden", Allowance::Unchecked(_) => "unchecked" })
                            @if seen_forbidden { " fails" }
                        } {
                            td { code { (row.outcome) } }
                            td class="outcome-allowed" {
                                @match row.allowed {
                                    Allowance::Yes => "yes",
                                    Allowance::No => "no — in no execution loom explored",
                                    Allowance::Unchecked(_) => "not model-checked",
                                }
                            }
                            td class="num" { (count(row.book)) }
                            @if mine {
                                td class="num" {
                                    (count(row.mine))
                                    @if row.allowed == Allowance::Yes && row.mine.unwrap_or(0) > 0 && row.book.unwrap_or(0) == 0 {
                                        " (allowed: the book's run did not see it)"
                                    }
                                }
                            }
                            td class="outcome-why" { (row.why_unseen.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

/// What the panel's columns mean, the machines the runs were made on and, beside the
/// reader's run, whether every outcome it observed is allowed; `section` links to the
/// chapter's section on model checking.
pub fn outcomes_note(panel: &Panel, section: Option<&str>) -> Markup {
    let forbidden_mine = panel.forbidden_seen(true);
    html! {
        div class="outcomes-note" {
            p {
                "Allowed by the model: “yes” when loom found the outcome in at least one \
                 of the executions it explored of the model twin, " (panel.model_label) " ("
                code { (panel.model) } "); “no” when it found it in none. Where loom models \
                 the orderings involved faithfully, and the twin the listing, “no” means \
                 that the memory model forbids the outcome; where it does not, only that \
                 loom did not find it, which is no proof that it cannot happen. The twin \
                 prints how many executions loom explored: a measure of the search, not \
                 how often an outcome happens. The counts here are how often each outcome \
                 happened on a run, out of its rounds."
                @if let Some(section) = section {
                    " See " a href=(section) { "Every possible outcome, model-checked" } "."
                }
            }
            @if let Some(machine) = &panel.book_machine {
                p { "The book's run: " (machine) "." }
            }
            @if panel.has_mine() {
                @if let Some(machine) = &panel.mine_machine {
                    p { "Your run: " (machine) "." }
                }
                @if forbidden_mine.is_empty() {
                    p class="holds" { "✓ Every outcome your run observed is allowed by the model." }
                } @else {
                    p class="fails" {
                        "✗ Your run observed outcomes no execution of the model reached: "
                        (forbidden_mine.join("; "))
                        ". The model twin, or loom, misses what your machine does: please report it."
                    }
                }
            }
        }
        "\n"
    }
}
