//! What a chapter is, and the book around it: mdBook loaded with the `{{#listing NAME}}`
//! preprocessor, the chapters as the reader sees them, and the checks every build makes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use mdbook_driver::MDBook;
use mdbook_driver::book::{Book, BookItem, Chapter as MdChapter};
use mdbook_driver::builtin_renderers::MarkdownRenderer;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use regex::Regex;

use crate::Project;
use crate::listing::{Kind, Listing, Position};
use crate::output::StoredOutput;

/// A chapter after preprocessing: includes expanded, listings laid out.
#[derive(Debug, Clone)]
pub struct Chapter {
    /// Relative to `src/`, e.g. `ch01-processes.md`.
    pub path: PathBuf,
    /// The chapter's number in `SUMMARY.md` (none for the introduction and references).
    pub number: Option<u32>,
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
/// code (through mdBook's own `rustdoc_include`, which runs next), the command that runs it
/// and its stored output.
pub struct ListingPreprocessor {
    listings: BTreeMap<String, Listing>,
    root: PathBuf,
    uses: Mutex<BTreeMap<String, Vec<Use>>>,
}

fn directive() -> Regex {
    Regex::new(r"\{\{#listing\s+([^\s}:]+)(?::([\w-]+))?\s*\}\}")
        .expect("valid regex")
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
            uses: Mutex::default(),
        })
    }

    /// Every `{{#listing}}` seen by the last run, by listing name.
    pub fn uses(&self) -> BTreeMap<String, Vec<Use>> {
        self.uses.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn expand_chapter(&self, chapter: &mut MdChapter) -> Result<()> {
        let Some(path) = chapter.source_path.clone() else {
            return Ok(());
        };
        let number = chapter.number.as_ref().and_then(|n| n.first().copied());
        let at = |line: usize| format!("src/{}:{line}", path.display());
        let mut out = String::new();
        let mut last = 0;
        let mut previous: Option<Position> = None;
        for caps in directive().captures_iter(&chapter.content) {
            let whole = caps.get(0).expect("group 0");
            if chapter.content[..whole.start()].ends_with('\\') {
                continue; // escaped: mdBook's `links` shows it as text
            }
            let line = chapter.content[..whole.start()].lines().count() + 1;
            let name = &caps[1];
            let Some(listing) = self.listings.get(name) else {
                bail!(
                    "{}: no listing named {name:?} (expected {}/{name}.rs and its .toml)",
                    at(line),
                    crate::listing::PROGRAMS_DIR
                );
            };
            if Some(listing.position.chapter()) != number {
                bail!(
                    "{}: listing {name} belongs to chapter {} by its name, but this chapter is \
                     number {}; rename the listing",
                    at(line),
                    listing.position.chapter(),
                    number.map_or("-".to_owned(), |n| n.to_string())
                );
            }
            if let (Some(prev), Position::Numbered { .. }) =
                (previous, listing.position)
                && prev >= listing.position
            {
                bail!(
                    "{}: listing {name} comes after listing with a higher or equal number \
                     ({prev}); renumber the listings in the order they appear",
                    at(line)
                );
            }
            if let Position::Numbered { .. } = listing.position {
                previous = Some(listing.position);
            }
            let anchor = caps.get(2).map(|m| m.as_str());
            out.push_str(&chapter.content[last..whole.start()]);
            out.push_str(
                &self
                    .render(listing, &path, anchor)
                    .with_context(|| at(line))?,
            );
            last = whole.end();
            self.uses
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(name.to_owned())
                .or_default()
                .push(Use {
                    chapter: path.clone(),
                    line,
                });
        }
        out.push_str(&chapter.content[last..]);
        chapter.content = out;
        Ok(())
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
            && !source_text.contains(&format!("ANCHOR: {anchor}"))
        {
            bail!(
                "listing {} has no `// ANCHOR: {anchor}` (and `// ANCHOR_END: {anchor}`)",
                listing.name
            );
        }
        let output_path = listing.output_path();
        let stored = std::fs::read_to_string(self.root.join(&output_path))
            .ok()
            .and_then(|text| StoredOutput::parse(&text))
            .with_context(|| {
                format!(
                    "listing {} has no stored output {}; make it with `{}`",
                    listing.name,
                    output_path.display(),
                    listing.refresh_command()
                )
            })?;

        // Paths in the book are relative to the chapter's file.
        let up = "../".repeat(chapter.components().count());
        let include = match anchor {
            Some(anchor) => {
                format!("{up}{}:{anchor}", listing.source.display())
            }
            None => format!("{up}{}", listing.source.display()),
        };
        // skeptic compiles and runs every rust block; measurements are only compiled (the
        // listings test runs them), and a compile-fail listing is checked by the listings test.
        let info = match (listing.kind, listing.spec.release) {
            (Kind::CompileFail, _) => "rust,ignore",
            (Kind::Program, true) => "rust,no_run",
            (Kind::Program, false) => "rust",
        };
        let note = match listing.kind {
            Kind::CompileFail => {
                "\n<p class=\"listing-note\">This program must not compile: the test suite \
                 checks that rustc rejects it with the error shown below.</p>\n"
            }
            Kind::Program => "",
        };
        let fence = fence_for(&stored.text);
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

{fence}text
{output}{fence}

</div>
</figure>
"#,
            label = listing.position,
            title = escape_html(&listing.spec.title),
            file = listing.source.display(),
            command = stored.command,
            name = listing.name,
            output = escape_directives(&stored.text),
        ))
    }
}

/// A code fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// mdBook expands `{{#...}}` everywhere, even in code; an output that prints one must not be.
fn escape_directives(text: &str) -> String {
    text.replace("{{#", "\\{{#")
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Preprocessor for ListingPreprocessor {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn run(&self, _ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        self.uses.lock().unwrap_or_else(|e| e.into_inner()).clear();
        let mut result = Ok(());
        book.for_each_chapter_mut(|chapter| {
            if result.is_ok() {
                result = self.expand_chapter(chapter);
            }
        });
        result.map(|()| book)
    }
}

/// The book, loaded with the project's preprocessor.
pub struct LoadedBook {
    pub md: MDBook,
    listings: std::sync::Arc<ListingPreprocessor>,
}

/// mdBook wants the preprocessor by value; we keep a handle to read what it saw.
struct Shared(std::sync::Arc<ListingPreprocessor>);

impl Preprocessor for Shared {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn run(&self, ctx: &PreprocessorContext, book: Book) -> Result<Book> {
        self.0.run(ctx, book)
    }
}

impl LoadedBook {
    pub fn load(project: &Project) -> Result<LoadedBook> {
        let mut md = MDBook::load(&project.root).with_context(|| {
            format!("cannot load the book at {}", project.root.display())
        })?;
        let listings = std::sync::Arc::new(ListingPreprocessor::new(project)?);
        // Same name as `[preprocessor.listings]` in book.toml: replaces the command-line
        // version in place, keeping its order (before `links`).
        md.with_preprocessor(Shared(listings.clone()));
        Ok(LoadedBook { md, listings })
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
                number: ch.number.as_ref().and_then(|n| n.first().copied()),
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

    /// Where each listing is shown, as seen by the last preprocessing.
    pub fn listing_uses(&self) -> BTreeMap<String, Vec<Use>> {
        self.listings.uses()
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
/// for a missing anchor; both are errors here, as is a directive mdBook does not know.
fn check_chapter(src: &Path, chapter: &Chapter) -> Result<()> {
    let at = |offset: usize| {
        format!(
            "src/{}:{}",
            chapter.path.display(),
            chapter.source[..offset].lines().count() + 1
        )
    };
    let directive =
        Regex::new(r"\{\{#([a-z_]+)\s*([^\s}:]*)(?::([\w-]+))?[^}]*\}\}")
            .expect("valid regex");
    let dir = src.join(chapter.path.parent().unwrap_or(Path::new("")));
    for caps in directive.captures_iter(&chapter.source) {
        let offset = caps.get(0).expect("group 0").start();
        if chapter.source[..offset].ends_with('\\') {
            continue; // escaped: shown as text
        }
        let (kind, file) = (&caps[1], &caps[2]);
        match kind {
            "include" | "rustdoc_include" | "playground" => {}
            "listing" | "title" => continue,
            _ => bail!(
                "{}: unknown directive `{{{{#{kind}}}}}` (escape it as `\\{{{{#{kind} ...}}}}` \
                 to show it as text)",
                at(offset)
            ),
        }
        let path = dir.join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            bail!(
                "{}: `{{{{#{kind} {file}}}}}` names a file that does not exist ({}); \
                 fix the path (it is relative to the chapter)",
                at(offset),
                path.display()
            );
        };
        if let Some(anchor) = caps.get(3).map(|m| m.as_str())
            && anchor.parse::<usize>().is_err()
            && !text.contains(&format!("ANCHOR: {anchor}"))
        {
            bail!(
                "{}: {file} has no `ANCHOR: {anchor}`; add the anchor or fix the include",
                at(offset)
            );
        }
    }
    Ok(())
}
