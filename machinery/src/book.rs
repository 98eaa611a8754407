//! What a chapter is, and the book around it: mdBook loaded with the `{{#listing NAME}}`
//! preprocessor, the chapters as the reader sees them, and the checks every build makes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use mdbook_driver::MDBook;
use mdbook_driver::book::{Book, BookItem, Chapter as MdChapter};
use mdbook_driver::builtin_renderers::MarkdownRenderer;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

use crate::Project;
use crate::claims::{self, ClaimRef};
use crate::directive::{self, Kind as DirectiveKind};
use crate::listing::{Kind, Listing, Position};
use crate::output::{Matcher, StoredOutput};
use crate::verdict::{self, Judged, Mine, Sentence};

/// A chapter after preprocessing: includes expanded, listings laid out.
#[derive(Debug, Clone)]
pub struct Chapter {
    /// Relative to `src/`, e.g. `ch01-processes.md`.
    pub path: PathBuf,
    pub source: String,
    pub expanded: String,
}

/// Where a listing is shown: the chapter file and the line of its `{{#listing}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    pub chapter: PathBuf,
    pub line: usize,
}

/// Expands `{{#listing NAME}}` and `{{#listing NAME:ANCHOR}}` into the listing's caption, its
/// code (through mdBook's own `rustdoc_include`, which runs next), the command that runs it,
/// its stored output with what varies marked, and its claims; and `{{#value LISTING NAME}}`
/// into the text of a value read from a listing's output.
pub struct ListingPreprocessor {
    listings: BTreeMap<String, Listing>,
    root: PathBuf,
    /// The reader's outputs (`cargo book serve --mine`), shown under the stored ones.
    mine: Option<PathBuf>,
    /// Every machine with outputs, to say on how many each claim holds.
    machines: crate::machines::Machines,
}

impl ListingPreprocessor {
    pub const NAME: &'static str = "listings";

    pub fn new(project: &Project) -> Result<ListingPreprocessor> {
        let listings = Listing::all(project)?
            .into_iter()
            .map(|l| (l.name.clone(), l))
            .collect();
        Ok(ListingPreprocessor {
            listings,
            root: project.root.clone(),
            mine: None,
            machines: crate::machines::Machines::load(project)?,
        })
    }

    /// Shows, under each stored output, the reader's output of the same listing from
    /// `outputs` (a `cargo book compare` folder's outputs), with its claims judged on it.
    pub fn with_mine(mut self, outputs: &Path) -> ListingPreprocessor {
        self.mine = Some(outputs.to_path_buf());
        self
    }

    /// Expands a chapter's directives; every problem of the chapter is reported, not only
    /// the first.
    fn expand_chapter(&self, chapter: &mut MdChapter) -> Result<()> {
        let Some(path) = chapter.source_path.clone() else {
            return Ok(());
        };
        let number = chapter.number.as_ref().and_then(|n| n.first().copied());
        let at = |line: usize| format!("src/{}:{line}", path.display());
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let content = &chapter.content;
        let mut out = String::new();
        let mut last = 0;
        let mut previous: Option<Position> = None;
        let mut problems = Vec::new();
        // The verdict being read: where its text starts in `out`, and its claims, judged.
        let mut verdict: Option<(usize, Vec<Judged>)> = None;
        let mut verdicts = 0;
        for directive in directive::find(content) {
            if directive.escaped {
                continue; // mdBook's `links` shows it as text
            }
            out.push_str(&content[last..directive.range.start]);
            last = directive.range.end;
            let expansion = match &directive.kind {
                DirectiveKind::Listing { name, anchor } => self
                    .listing_in_place(name, number, &mut previous)
                    .and_then(|listing| {
                        self.render(listing, &path, anchor.as_deref())
                    }),
                DirectiveKind::Value { listing, name } => {
                    self.value_text(listing, name)
                }
                DirectiveKind::Verdict { claims, .. } => claims
                    .iter()
                    .map(|claim| self.judge(claim))
                    .collect::<Result<Vec<_>>>()
                    .map(|judged| {
                        verdict = Some((out.len(), judged));
                        String::new()
                    }),
                // Its opening failed, and was reported, when `verdict` is `None`.
                DirectiveKind::VerdictEnd => Ok(verdict
                    .take()
                    .map(|(start, judged)| {
                        verdicts += 1;
                        let text = out.split_off(start);
                        let id = format!("verdict-{stem}-{verdicts}");
                        verdict::render(&id, &judged, &text)
                    })
                    .unwrap_or_default()),
                DirectiveKind::Machines { values } => {
                    self.render_machines(values)
                }
                DirectiveKind::Malformed(problem) => Err(anyhow!("{problem}")),
                DirectiveKind::Include { .. }
                | DirectiveKind::Title
                | DirectiveKind::Unknown(_) => {
                    Ok(content[directive.range.clone()].to_owned())
                }
            };
            match expansion {
                Ok(text) => out.push_str(&text),
                Err(e) => {
                    problems.push(format!("{}: {e:#}", at(directive.line)))
                }
            }
        }
        if !problems.is_empty() {
            bail!("{}", problems.join("\n"));
        }
        out.push_str(&content[last..]);
        chapter.content = out;
        Ok(())
    }

    /// The Machines appendix: every machine the book has outputs from, the `values` read on
    /// each, and every claim that does not hold on all of them, with its `why_not`. Built
    /// with maud: machine lines and values come from contributed files, and are escaped.
    fn render_machines(&self, values: &[(String, String)]) -> Result<String> {
        use maud::html;
        let machines = &self.machines.all;
        let line_of = |machine: &crate::machines::Machine| match machine
            .lines()
            .as_slice()
        {
            [] => "(none printed)".to_owned(),
            [(line, _)] => line.clone(),
            several => several
                .iter()
                .map(|(line, n)| format!("{line} ({n} outputs)"))
                .collect::<Vec<_>>()
                .join("; "),
        };
        let mut rows = Vec::new();
        for (listing_name, value) in values {
            let listing =
                self.listings.get(listing_name).with_context(|| {
                    format!(
                        "{{{{#machines}}}} names no listing {listing_name:?} (expected \
                         {}/{listing_name}.rs and its .toml); fix the name",
                        crate::paths::PROGRAMS_DIR
                    )
                })?;
            let spec = listing.spec.values.get(value).with_context(|| {
                format!(
                    "{{{{#machines}}}}: {} has no value {value:?} in its [values] \
                     (it has: {}); name one of them, or add it",
                    listing.sidecar().display(),
                    value_names(listing)
                )
            })?;
            let one = BTreeMap::from([(value.clone(), spec.clone())]);
            let cells: Vec<String> = machines
                .iter()
                .map(|machine| {
                    machine
                        .output(listing_name)
                        .and_then(|o| claims::read_values(&one, &o.text).ok())
                        .and_then(|r| r.into_iter().next())
                        .map_or_else(|| "—".to_owned(), |r| r.1.text)
                })
                .collect();
            rows.push((listing.position.to_string(), value.clone(), cells));
        }
        let mut not_everywhere = Vec::new();
        let mut everywhere = 0;
        for listing in self.listings.values() {
            let spreads = self.machines.spreads(listing);
            for claim in &listing.spec.claims {
                match spreads.get(&claim.id) {
                    Some(spread) if !spread.fails_on.is_empty() => {
                        not_everywhere.push((listing, claim, spread.clone()))
                    }
                    Some(_) => everywhere += 1,
                    None => {}
                }
            }
        }
        let page = html! {
            p { strong { "Which machines." } " Each folder of outputs, and the machine lines its outputs print." }
            table class="machines" {
                thead { tr { th { "Machine" } th { "Its machine lines" } th { "Listings run" } } }
                tbody {
                    @for machine in machines {
                        tr {
                            td { (machine.name) }
                            td { (line_of(machine)) }
                            td { (self.listings.keys().filter(|n| machine.output(n).is_some()).count()) }
                        }
                    }
                }
            }
            p { strong { "Key measures." } " Each as its listing printed it on that machine (\"—\": no output of that listing there)." }
            table class="machines" {
                thead { tr { th { "Value" } @for machine in machines { th { (machine.name) } } } }
                tbody {
                    @for (label, value, cells) in &rows {
                        tr {
                            td { (label) " " code { (value) } }
                            @for cell in cells { td { (cell) } }
                        }
                    }
                }
            }
            p { strong { "Claims that do not hold on every machine." } " With the reason its sidecar gives." }
            table class="machines" {
                thead { tr { th { "Claim" } th { "What it says" } th { "Does not hold on" } th { "Why it may not" } } }
                tbody {
                    @for (listing, claim, spread) in &not_everywhere {
                        tr {
                            td { (listing.position) " " code { (claim.id) } }
                            td { (claim.says) }
                            td { (spread.fails_on.join(", ")) }
                            td { (claim.why_not.as_deref().unwrap_or("(not said)")) }
                        }
                    }
                }
            }
            p { "Every other claim, " (everywhere) " of them, holds on every machine that ran its listing." }
        };
        // An HTML block: markdown leaves it as it is; mdBook's own directives must not run.
        Ok(format!("\n{}\n\n", escape_directives(&page.into_string())))
    }

    /// A claim a verdict of the prose names, judged on the stored output (and, with
    /// `--mine`, on the reader's).
    pub fn judge(&self, claim: &ClaimRef) -> Result<Judged> {
        let Some(listing) = self.listings.get(&claim.listing) else {
            bail!(
                "{{{{#verdict {claim}}}}} names no listing {:?} (expected {}/{}.rs and \
                 its .toml)",
                claim.listing,
                crate::paths::PROGRAMS_DIR,
                claim.listing
            );
        };
        let sidecar = listing.source.with_extension("toml");
        let Some(index) =
            listing.spec.claims.iter().position(|c| c.id == claim.id)
        else {
            let ids: Vec<&str> =
                listing.spec.claims.iter().map(|c| c.id.as_str()).collect();
            bail!(
                "{{{{#verdict {claim}}}}}: {} has no claim with id {:?} (its claims: {}); \
                 name one of them, or add the [[claims]] entry that checks this verdict",
                sidecar.display(),
                claim.id,
                if ids.is_empty() {
                    "none".to_owned()
                } else {
                    ids.join(", ")
                }
            );
        };
        let judge_on = |text: &str| -> Result<claims::Verdict> {
            let readings = claims::read_values(&listing.spec.values, text)?;
            let mut verdicts = claims::judge(&listing.spec.claims, &readings);
            Ok(verdicts.swap_remove(index))
        };
        let stored = self.stored_output(listing)?;
        let book =
            judge_on(&stored.text).with_context(|| values_unread(listing))?;
        let mine = self.mine.as_ref().map(|dir| match listing.output_in(dir) {
            None => Mine::NotRun,
            Some(fresh) => match judge_on(&fresh.text) {
                Ok(verdict) => Mine::Judged(verdict),
                Err(e) => Mine::Unreadable(format!("{e:#}")),
            },
        });
        Ok(Judged {
            claim: claim.clone(),
            label: listing.position.to_string(),
            book,
            mine,
            machines: self
                .machines
                .spreads(listing)
                .remove(&claim.id)
                .unwrap_or_default(),
        })
    }

    /// The listing a directive names, checked to belong here and to come in order.
    fn listing_in_place(
        &self,
        name: &str,
        chapter: Option<u32>,
        previous: &mut Option<Position>,
    ) -> Result<&Listing> {
        let Some(listing) = self.listings.get(name) else {
            bail!(
                "no listing named {name:?} (expected {}/{name}.rs and its .toml)",
                crate::paths::PROGRAMS_DIR
            );
        };
        if Some(listing.position.chapter()) != chapter {
            bail!(
                "listing {name} belongs to chapter {} by its name, but this chapter is \
                 number {}; rename the listing (`cargo book rename {name} NEW`) or show it \
                 in its chapter",
                listing.position.chapter(),
                chapter.map_or("-".to_owned(), |n| n.to_string())
            );
        }
        if let Position::Numbered { .. } = listing.position {
            if let Some(prev) = *previous
                && prev >= listing.position
            {
                if prev == listing.position {
                    bail!(
                        "listing {name} is shown a second time in this chapter; show it \
                         once, and link to it elsewhere as [{prev}](#listing-{name})"
                    );
                }
                bail!(
                    "listing {name} ({}) comes after {prev}: the listings of a chapter are \
                     numbered in the order they appear; renumber them with `cargo book \
                     rename OLD NEW`, which does not run them again",
                    listing.position
                );
            }
            *previous = Some(listing.position);
        }
        Ok(listing)
    }

    fn stored_output(&self, listing: &Listing) -> Result<StoredOutput> {
        listing.stored_output(&self.root)
    }

    /// `{{#value LISTING NAME}}`: the value's text as the stored output printed it.
    fn value_text(&self, listing: &str, name: &str) -> Result<String> {
        let Some(listing) = self.listings.get(listing) else {
            bail!(
                "{{{{#value {listing} {name}}}}} names no listing {listing:?} (expected \
                 {}/{listing}.rs and its .toml); fix the name",
                crate::paths::PROGRAMS_DIR
            );
        };
        if !listing.spec.values.contains_key(name) {
            bail!(
                "{{{{#value {} {name}}}}}: {} declares no value {name:?} in [values] (it \
                 has: {}); name one of them, or add it",
                listing.name,
                listing.sidecar().display(),
                value_names(listing)
            );
        }
        let stored = self.stored_output(listing)?;
        let readings = claims::read_values(&listing.spec.values, &stored.text)
            .with_context(|| values_unread(listing))?;
        Ok(escape_html(&readings[name].text))
    }

    fn render(
        &self,
        listing: &Listing,
        chapter: &Path,
        anchor: Option<&str>,
    ) -> Result<String> {
        let source_text =
            std::fs::read_to_string(self.root.join(&listing.source))
                .with_context(|| {
                    format!("cannot read {}", listing.source.display())
                })?;
        if let Some(anchor) = anchor
            && !directive::has_anchor(&source_text, anchor)
        {
            bail!(
                "listing {} has no `// ANCHOR: {anchor}` (and `// ANCHOR_END: {anchor}`)",
                listing.name
            );
        }
        let stored = self.stored_output(listing)?;

        // Paths in the book are relative to the chapter's file.
        let up = "../".repeat(chapter.components().count());
        let include = match anchor {
            Some(anchor) => {
                format!("{up}{}:{anchor}", listing.source.display())
            }
            None => format!("{up}{}", listing.source.display()),
        };
        // skeptic compiles and runs every rust block, except two kinds the listings test
        // checks: a measurement, which it builds with --release and runs (skeptic could only
        // compile it, in debug and anew on every run: it caches only what it runs), and a
        // compile-fail listing.
        let info = match (listing.kind, listing.spec.release) {
            (Kind::CompileFail, _) | (Kind::Program, true) => "rust,ignore",
            (Kind::Program, false) => "rust",
        };
        let note = match listing.kind {
            Kind::CompileFail => {
                "\n<p class=\"listing-note\">This program must not compile: the test suite \
                 checks that rustc rejects it with the error shown below.</p>\n"
            }
            Kind::Program => "",
        };
        let output = render_marked(&listing.matcher, &stored.text);
        let claims = render_claims(
            listing,
            &stored.text,
            "What the text says about this output, checked on the run shown",
            Some(&self.machines.spreads(listing)),
        )?;
        let mine = self.render_mine(listing)?;
        Ok(format!(
            r#"<figure class="listing" id="listing-{name}">
<figcaption><span class="listing-label">{label}</span> <span class="listing-title">{title}</span> <code class="listing-file">{file}</code></figcaption>
{note}
```{info}
{{{{#rustdoc_include {include}}}}}
```

<div class="listing-run">

```console
$ {command}
```

</div>
<div class="listing-output" aria-label="Output of {name}">

<pre><code class="nohighlight">{output}</code></pre>

{legend}</div>
{claims}{mine}</figure>
"#,
            label = listing.position,
            title = escape_html(&listing.spec.title),
            file = listing.source.display(),
            command = stored.command,
            name = listing.name,
            output = escape_directives(&output),
            legend = if output.contains("class=\"varies") {
                "<p class=\"output-legend\"><span class=\"varies\">Underlined</span> \
                 parts differ from run to run; hover over one to see why.</p>\n"
            } else {
                ""
            },
        ))
    }
}

impl ListingPreprocessor {
    /// The "Your run" panel of `serve --mine`: the reader's output and the claims on it.
    fn render_mine(&self, listing: &Listing) -> Result<String> {
        let Some(dir) = &self.mine else {
            return Ok(String::new());
        };
        let Some(fresh) = listing.output_in(dir) else {
            return Ok("<p class=\"listing-mine-missing\">Not run by your \
                       <code>cargo book compare</code>.</p>\n"
                .to_owned());
        };
        let output = render_marked(&listing.matcher, &fresh.text);
        let claims = render_claims(
            listing,
            &fresh.text,
            "What the text says, checked on your run",
            None,
        )
        .unwrap_or_else(|e| {
            format!(
                "<p class=\"claims-title\">Your output has not the book's shape: {}</p>\n",
                escape_html(&format!("{e:#}"))
            )
        });
        Ok(format!(
            "<div class=\"listing-output listing-mine\" aria-label=\"Your run of {name}\">\n\n\
             <pre><code class=\"nohighlight\">{output}</code></pre>\n\n</div>\n{claims}",
            name = listing.name,
            output = escape_directives(&output),
        ))
    }
}

/// The stored output as HTML, each part that may differ on the reader's run wrapped in a
/// `<span class="varies" title="why">`, each line that may come in another order in a
/// `<span class="any-order">`.
pub(crate) fn render_marked(matcher: &Matcher, text: &str) -> String {
    let mut html = String::new();
    for line in text.lines() {
        let mut marked = String::new();
        let mut last = 0;
        for mark in matcher.marks(line) {
            marked.push_str(&escape_html(&line[last..mark.range.start]));
            marked.push_str(&format!(
                "<span class=\"varies\" title=\"{}\">{}</span>",
                escape_html(&mark.why),
                escape_html(&line[mark.range.clone()])
            ));
            last = mark.range.end;
        }
        marked.push_str(&escape_html(&line[last..]));
        if matcher.is_unordered(line) {
            html.push_str(&format!(
                "<span class=\"any-order\" title=\"lines like this one may come in \
                 another order on your run\">{marked}</span>\n"
            ));
        } else {
            html.push_str(&marked);
            html.push('\n');
        }
    }
    html
}

/// The listing's claims, each with its verdict on the run `stored`, under `heading`, and, for
/// the book's run, on how many machines each holds (`spreads`).
fn render_claims(
    listing: &Listing,
    stored: &str,
    heading: &str,
    spreads: Option<&BTreeMap<String, crate::machines::Spread>>,
) -> Result<String> {
    if listing.spec.claims.is_empty() {
        return Ok(String::new());
    }
    let readings = claims::read_values(&listing.spec.values, stored)
        .with_context(|| values_unread(listing))?;
    let mut html = format!(
        "<div class=\"listing-claims\">\n<p class=\"claims-title\">{heading}</p>\n<ul>\n"
    );
    for verdict in claims::judge(&listing.spec.claims, &readings) {
        let (class, mark) = if verdict.holds() {
            ("holds", "✓")
        } else {
            ("fails", "✗")
        };
        let values: Vec<String> = verdict
            .values
            .iter()
            .map(|(name, text)| format!("{name} = {}", escape_html(text)))
            .collect();
        let why_not = match (&verdict.claim.why_not, verdict.holds()) {
            (Some(why), false) => format!(
                " <span class=\"why-not\">Why it may not hold: {}</span>",
                escape_html(why)
            ),
            _ => String::new(),
        };
        let machines = spreads
            .and_then(|s| s.get(&verdict.claim.id))
            .filter(|s| s.holds_on.len() + s.fails_on.len() > 1)
            .map_or_else(String::new, |s| {
                format!(
                    " <span class=\"claim-machines\">({}: {})</span>",
                    s.summary(),
                    escape_html(&s.detail()),
                )
            });
        html.push_str(&format!(
            "<li class=\"claim {class}\"><span class=\"verdict\" title=\"{title}\">{mark}</span> \
             {says} <code class=\"claim-check\">{holds}</code> \
             <span class=\"claim-values\">{values}</span>{machines}{why_not}</li>\n",
            title = if verdict.holds() {
                "holds on this run"
            } else {
                "does not hold on this run"
            },
            says = escape_html(&verdict.claim.says),
            holds = escape_html(&verdict.claim.holds),
            values = values.join(", "),
        ));
    }
    html.push_str("</ul>\n</div>\n");
    Ok(escape_directives(&html))
}

/// The names of a listing's `[values]`, for a message.
fn value_names(listing: &Listing) -> String {
    let names: Vec<&str> =
        listing.spec.values.keys().map(String::as_str).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// The context of a value that cannot be read from an output: where, and what to do.
fn values_unread(listing: &Listing) -> String {
    format!(
        "{}: the [values] of {} cannot be read from it; fix the pattern, or refresh the \
         output with `{}`",
        listing.output_path().display(),
        listing.sidecar().display(),
        listing.refresh_command()
    )
}

/// mdBook expands `{{#...}}` everywhere, even in code; an output that prints one must not be.
fn escape_directives(text: &str) -> String {
    text.replace("{{#", "\\{{#")
}

pub(crate) fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Preprocessor for ListingPreprocessor {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn run(&self, _ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let mut problems = Vec::new();
        book.for_each_chapter_mut(|chapter| {
            if let Err(e) = self.expand_chapter(chapter) {
                problems.push(format!("{e:#}"));
            }
        });
        if !problems.is_empty() {
            bail!("{}", problems.join("\n"));
        }
        Ok(book)
    }
}

/// The book, loaded with the project's preprocessor.
pub struct LoadedBook {
    pub md: MDBook,
}

impl LoadedBook {
    pub fn load(project: &Project) -> Result<LoadedBook> {
        LoadedBook::load_with_mine(project, None)
    }

    /// The book, with the reader's outputs from `mine` beside the stored ones, if given.
    pub fn load_with_mine(
        project: &Project,
        mine: Option<&Path>,
    ) -> Result<LoadedBook> {
        let mut preprocessor = ListingPreprocessor::new(project)?;
        if let Some(mine) = mine {
            preprocessor = preprocessor.with_mine(mine);
        }
        let mut md = MDBook::load(&project.root).with_context(|| {
            format!("cannot load the book at {}", project.root.display())
        })?;
        // Same name as `[preprocessor.listings]` in book.toml: replaces the command-line
        // version in place, keeping its order (before `links`).
        md.with_preprocessor(preprocessor);
        Ok(LoadedBook { md })
    }

    /// The chapters as the reader sees them, checked: nothing left unexpanded.
    pub fn chapters(&self) -> Result<Vec<Chapter>> {
        let (book, _) = self
            .md
            .preprocess_book(&MarkdownRenderer::new())
            .context("preprocessing the book failed")?;
        let src = self.md.source_dir();
        let mut chapters = Vec::new();
        for item in book.iter() {
            let BookItem::Chapter(ch) = item else {
                continue;
            };
            let Some(path) = ch.source_path.clone() else {
                continue;
            };
            let source = std::fs::read_to_string(src.join(&path))
                .with_context(|| {
                    format!("cannot read src/{}", path.display())
                })?;
            chapters.push(Chapter {
                path,
                source,
                expanded: ch.content.clone(),
            });
        }
        for chapter in &chapters {
            check_chapter(&src, chapter)?;
        }
        Ok(chapters)
    }

    /// Every chapter's source, in the book's order: its path (relative to `src/`) and text.
    pub fn sources(&self) -> Vec<(PathBuf, String)> {
        self.md
            .book
            .iter()
            .filter_map(|item| match item {
                BookItem::Chapter(ch) => {
                    Some((ch.source_path.clone()?, ch.content.clone()))
                }
                _ => None,
            })
            .collect()
    }

    /// Where each listing is shown: every `{{#listing}}` of every chapter's source.
    pub fn listing_uses(&self) -> BTreeMap<String, Vec<Use>> {
        let mut uses: BTreeMap<String, Vec<Use>> = BTreeMap::new();
        for (path, source) in self.sources() {
            for found in directive::find(&source) {
                if let (DirectiveKind::Listing { name, .. }, false) =
                    (&found.kind, found.escaped)
                {
                    uses.entry(name.clone()).or_default().push(Use {
                        chapter: path.clone(),
                        line: found.line,
                    });
                }
            }
        }
        uses
    }

    /// The verdicts, claims and values of each chapter, and the claims no verdict rests on.
    pub fn tally(&self, project: &Project) -> Result<verdict::Tally> {
        Ok(verdict::tally(&self.sources(), &Listing::all(project)?))
    }

    /// Every verdict the prose marks, in the book's order.
    pub fn sentences(&self) -> Vec<Sentence> {
        self.sources()
            .iter()
            .flat_map(|(path, source)| verdict::sentences(path, source))
            .collect()
    }

    /// Builds the HTML book into `dest` (default: `book/`), after checking the chapters.
    pub fn build_html(&mut self, dest: Option<&Path>) -> Result<PathBuf> {
        self.chapters()?;
        if let Some(dest) = dest {
            self.md.config.build.build_dir = dest.to_path_buf();
        }
        self.md.build().context("mdBook failed to build the book")?;
        Ok(self.md.build_dir_for("html"))
    }
}

/// mdBook only logs a failed `{{#include}}` and leaves it in the text, and includes nothing
/// for a missing anchor; both are errors here, as is a directive mdBook does not know. Every
/// problem of the chapter is reported.
fn check_chapter(src: &Path, chapter: &Chapter) -> Result<()> {
    let at = |line: usize| format!("src/{}:{line}", chapter.path.display());
    let dir = src.join(chapter.path.parent().unwrap_or(Path::new("")));
    let mut problems = Vec::new();
    for found in directive::find(&chapter.source) {
        if found.escaped {
            continue; // shown as text
        }
        let (kind, file, anchor) = match &found.kind {
            DirectiveKind::Include { kind, path, anchor } => {
                (kind, path, anchor)
            }
            DirectiveKind::Unknown(kind) => {
                problems.push(format!(
                    "{}: unknown directive `{{{{#{kind}}}}}`: fix its name (this book's: \
                     listing, value, verdict, machines; mdBook's: include, \
                     rustdoc_include, playground, title), or escape it as \
                     `\\{{{{#{kind} ...}}}}` to show it as text",
                    at(found.line)
                ));
                continue;
            }
            _ => continue, // expanded, and so checked, by the preprocessor
        };
        let path = dir.join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            problems.push(format!(
                "{}: `{{{{#{kind} {file}}}}}` names a file that does not exist ({}); \
                 fix the path (it is relative to the chapter)",
                at(found.line),
                crate::lexically_normal(
                    &Path::new(crate::paths::CHAPTERS_DIR)
                        .join(chapter.path.parent().unwrap_or(Path::new("")))
                        .join(file)
                )
                .display()
            ));
            continue;
        };
        // `file.rs:10:20` is a line range, not an anchor.
        if let Some(anchor) = anchor
            && !anchor.starts_with(|c: char| c.is_ascii_digit() || c == ':')
            && !directive::has_anchor(&text, anchor)
        {
            problems.push(format!(
                "{}: {file} has no `ANCHOR: {anchor}`; add the anchor or fix the include",
                at(found.line)
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        bail!("{}", problems.join("\n"))
    }
}
