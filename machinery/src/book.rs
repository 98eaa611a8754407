//! What a chapter is, and the book around it: mdBook loaded with the `{{#listing NAME}}`
//! preprocessor, the chapters as the reader sees them, and the checks every build makes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use mdbook_driver::MDBook;
use mdbook_driver::book::{Book, BookItem, Chapter as MdChapter};
use mdbook_driver::builtin_renderers::MarkdownRenderer;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

use crate::claims::{self, ClaimRef};
use crate::directive::{self, Kind as DirectiveKind};
use crate::listing::{Listing, Position};
use crate::output::StoredOutput;
use crate::quiz::{self, Question, Quiz};
use crate::verdict::{self, Judged, Mine, Sentence};
use crate::{Problems, Project, layout};

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
pub struct ListingUse {
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
    /// The quizzes (`src/quizzes/chNN.toml`), by chapter (`ch02`).
    quizzes: BTreeMap<String, Quiz>,
}

/// Where each question of the quizzes is placed, found before any chapter is expanded (the
/// Answers appendix needs them all): its number ("2.3") and its chapter's title, by
/// `(quiz, id)`.
type Placements = BTreeMap<(String, String), (String, String)>;

/// A chapter being expanded: what is written so far, and what the next directive needs to
/// know of the ones before it.
struct Expansion<'c> {
    /// Relative to `src/`.
    chapter: &'c Path,
    /// The chapter's number, which its listings' names must carry.
    number: Option<u32>,
    out: String,
    /// The last numbered listing shown: the next must come after it.
    previous: Option<Position>,
    /// The verdict being read: where its text starts in `out`, and its claims, judged.
    verdict: Option<(usize, Vec<Judged>)>,
    /// The verdicts marked so far, which number their ids.
    verdicts: usize,
    /// The listings shown so far: a question comes after the listing it asks about.
    shown: std::collections::BTreeSet<String>,
    /// The questions placed so far, with their numbers, repeated for print at the end.
    questions: Vec<(String, Question)>,
    /// Where every question of the book is placed.
    placements: &'c Placements,
}

impl Expansion<'_> {
    /// Closes the verdict being read: its text, taken back from `out`, with its mark.
    fn end_verdict(&mut self) -> Option<String> {
        let (start, judged) = self.verdict.take()?;
        self.verdicts += 1;
        let text = self.out.split_off(start);
        let stem = self
            .chapter
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy();
        let id = format!("verdict-{stem}-{}", self.verdicts);
        Some(verdict::render(&id, &judged, &text))
    }
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
            quizzes: Quiz::all(project)?
                .into_iter()
                .map(|q| (q.chapter.clone(), q))
                .collect(),
        })
    }

    /// Shows, under each stored output, the reader's output of the same listing from
    /// `outputs` (a `cargo book compare` folder's outputs), with its claims judged on it.
    fn with_mine(mut self, outputs: &Path) -> ListingPreprocessor {
        self.mine = Some(outputs.to_path_buf());
        self
    }

    /// Expands a chapter's directives; every problem of the chapter is reported, not only
    /// the first.
    fn expand_chapter(
        &self,
        chapter: &mut MdChapter,
        placements: &Placements,
    ) -> Result<()> {
        let Some(path) = chapter.source_path.clone() else {
            return Ok(());
        };
        let content = &chapter.content;
        let mut expansion = Expansion {
            chapter: &path,
            number: chapter.number.as_ref().and_then(|n| n.first().copied()),
            out: String::new(),
            previous: None,
            verdict: None,
            verdicts: 0,
            shown: Default::default(),
            questions: Vec::new(),
            placements,
        };
        let mut last = 0;
        let mut problems = Problems::new();
        for directive in directive::find(content) {
            if directive.escaped {
                continue; // mdBook's `links` shows it as text
            }
            expansion
                .out
                .push_str(&content[last..directive.range.start]);
            last = directive.range.end;
            match self.expand(&mut expansion, &directive, content) {
                Ok(text) => expansion.out.push_str(&text),
                Err(e) => problems.push(format!(
                    "src/{}:{}: {e:#}",
                    path.display(),
                    directive.line
                )),
            }
        }
        problems.into_result()?;
        expansion.out.push_str(&content[last..]);
        let questions: Vec<(String, &Question)> = expansion
            .questions
            .iter()
            .map(|(number, q)| (number.clone(), q))
            .collect();
        expansion
            .out
            .push_str(&quiz::render_print(&chapter.name, &questions));
        chapter.content = expansion.out;
        Ok(())
    }

    /// What one directive of a chapter becomes.
    fn expand(
        &self,
        at: &mut Expansion,
        directive: &directive::Directive,
        content: &str,
    ) -> Result<String> {
        match &directive.kind {
            DirectiveKind::Listing { name, anchor } => {
                let listing =
                    self.listing_in_place(name, at.number, &mut at.previous)?;
                at.shown.insert(name.clone());
                self.render(listing, at.chapter, anchor.as_deref())
            }
            DirectiveKind::Value { listing, name } => {
                self.value_text(listing, name)
            }
            DirectiveKind::Verdict { claims, .. } => {
                let judged = claims
                    .iter()
                    .map(|claim| self.judge(claim))
                    .collect::<Result<Vec<_>>>()?;
                at.verdict = Some((at.out.len(), judged));
                Ok(String::new())
            }
            // Its opening failed, and was reported, when `verdict` is `None`.
            DirectiveKind::VerdictEnd => {
                Ok(at.end_verdict().unwrap_or_default())
            }
            DirectiveKind::Machines { values } => self.render_machines(values),
            DirectiveKind::Quiz { quiz, id } => self.render_quiz(at, quiz, id),
            DirectiveKind::QuizAnswers => {
                Ok(self.render_answers(at.placements))
            }
            DirectiveKind::Outcomes { listing } => {
                self.render_outcomes(listing, at.chapter)
            }
            DirectiveKind::Malformed(problem) => Err(anyhow!("{problem}")),
            DirectiveKind::Include { .. }
            | DirectiveKind::Title
            | DirectiveKind::Unknown(_) => {
                Ok(content[directive.range.clone()].to_owned())
            }
        }
    }

    /// `{{#quiz chNN/ID}}`: the question, in its chapter, after the listing it asks about.
    fn render_quiz(
        &self,
        at: &mut Expansion,
        quiz: &str,
        id: &str,
    ) -> Result<String> {
        let stem = at.chapter.file_stem().unwrap_or_default().to_string_lossy();
        if !stem.starts_with(&format!("{quiz}-")) {
            bail!(
                "{{{{#quiz {quiz}/{id}}}}} in {}: a chapter places the questions of its own \
                 quiz ({}/{}.toml) only",
                at.chapter.display(),
                quiz::QUIZZES_DIR,
                stem.split('-').next().unwrap_or("chNN")
            );
        }
        let question = self
            .quizzes
            .get(quiz)
            .and_then(|q| q.question(id))
            .with_context(|| {
                format!(
                    "{{{{#quiz {quiz}/{id}}}}}: {}/{quiz}.toml has no question with id \
                     {id:?}; fix the id, or add the question",
                    quiz::QUIZZES_DIR
                )
            })?;
        let name = question.evidence.listing();
        let listing = self.listings.get(name).with_context(|| {
            format!(
                "{{{{#quiz {quiz}/{id}}}}}: its evidence names no listing {name:?}; fix \
                 the quiz file"
            )
        })?;
        if Some(listing.position.chapter()) == at.number
            && !at.shown.contains(name)
        {
            bail!(
                "{{{{#quiz {quiz}/{id}}}}} asks about {name}, which this chapter has not \
                 shown yet: place the question after {{{{#listing {name}}}}}"
            );
        }
        let (number, _) = &at.placements[&(quiz.to_owned(), id.to_owned())];
        let reveal = self.reveal(listing, &question.evidence)?;
        at.questions.push((number.clone(), question.clone()));
        Ok(quiz::render_question(quiz, number, question, &reveal))
    }

    /// What a question's "Show the run" shows: the output its evidence reads, and the
    /// reader's under `serve --mine`.
    fn reveal(
        &self,
        listing: &Listing,
        evidence: &quiz::Evidence,
    ) -> Result<quiz::Reveal> {
        let shape = evidence.shape();
        let (label, text) = match shape {
            None => {
                let stored = self.stored_output(listing)?;
                (format!("The book's run: $ {}", stored.command), stored.text)
            }
            Some(shape) => {
                let found = self.machines.shape_output(listing, shape);
                let (machine, output) = found.with_context(|| {
                    format!(
                        "no machine has an output of {} in the shape {shape:?}",
                        listing.name
                    )
                })?;
                (
                    format!(
                        "A run in the shape {shape}, on {machine}: $ {}",
                        output.command
                    ),
                    output.text,
                )
            }
        };
        let mine = match (&self.mine, shape) {
            (Some(dir), None) => listing.output_in(dir).map(|o| o.text),
            _ => None,
        };
        Ok(quiz::Reveal { label, text, mine })
    }

    /// `{{#quiz_answers}}`: every answer, with its explanations, in the order placed.
    fn render_answers(&self, placements: &Placements) -> String {
        let mut by_chapter: Vec<(String, Vec<(String, &Question)>)> =
            Vec::new();
        let mut placed: Vec<_> = placements.iter().collect();
        placed.sort_by_key(|(_, (number, _))| number_key(number));
        for ((quiz, id), (number, title)) in placed {
            let Some(question) =
                self.quizzes.get(quiz).and_then(|q| q.question(id))
            else {
                continue; // reported where it is placed
            };
            match by_chapter.last_mut() {
                Some((t, list)) if t == title => {
                    list.push((number.clone(), question))
                }
                _ => by_chapter
                    .push((title.clone(), vec![(number.clone(), question)])),
            }
        }
        quiz::render_answers(&by_chapter)
    }

    /// Where every question is placed, numbered per chapter in the book's order; a question
    /// placed twice or nowhere is an error naming its quiz file.
    fn placements(&self, book: &Book) -> Result<Placements> {
        let mut placements = Placements::new();
        let mut problems = Problems::new();
        for item in book.iter() {
            let BookItem::Chapter(chapter) = item else {
                continue;
            };
            let Some(path) = &chapter.source_path else {
                continue;
            };
            let number = chapter
                .number
                .as_ref()
                .and_then(|n| n.first().copied())
                .map_or_else(String::new, |n| format!("{n}."));
            let mut count = 0;
            for found in directive::find(&chapter.content) {
                let (DirectiveKind::Quiz { quiz, id }, false) =
                    (&found.kind, found.escaped)
                else {
                    continue;
                };
                count += 1;
                let key = (quiz.clone(), id.clone());
                if placements.contains_key(&key) {
                    problems.push(format!(
                        "src/{}:{}: {{{{#quiz {quiz}/{id}}}}} places a question placed \
                 before; place each question once",
                        path.display(),
                        found.line
                    ));
                }
                placements.insert(
                    key,
                    (format!("{number}{count}"), chapter.name.clone()),
                );
            }
        }
        for quiz in self.quizzes.values() {
            for question in &quiz.questions {
                if !placements
                    .contains_key(&(quiz.chapter.clone(), question.id.clone()))
                {
                    problems.push(format!(
                        "{}: question {} is placed nowhere: add {{{{#quiz {}/{}}}}} to its \
                 chapter, after the listing it asks about",
                        quiz.path.display(),
                        question.id,
                        quiz.chapter,
                        question.id
                    ));
                }
            }
        }
        problems.into_result()?;
        Ok(placements)
    }

    /// The Machines appendix ([`crate::machines::Machines::appendix`]): an HTML block, which
    /// markdown leaves as it is; mdBook's own directives must not run in it.
    fn render_machines(&self, values: &[(String, String)]) -> Result<String> {
        let page = self.machines.appendix(&self.listings, values)?;
        Ok(format!(
            "\n{}\n\n",
            layout::escape_directives(&page.into_string())
        ))
    }

    /// `{{#outcomes LISTING}}`: the listing's possible-outcomes panel
    /// ([`crate::outcomes::panel`]), with, under `--mine`, the reader's counts beside the
    /// book's; its note links to the chapter's section on model checking.
    fn render_outcomes(&self, name: &str, chapter: &Path) -> Result<String> {
        let Some(listing) = self.listings.get(name) else {
            bail!(
                "{{{{#outcomes {name}}}}} names no listing {name:?} (expected {}/{name}.rs \
                 and its .toml); fix the name",
                crate::paths::PROGRAMS_DIR
            );
        };
        let mine = self
            .mine
            .as_ref()
            .and_then(|dir| listing.output_in(dir))
            .map(|fresh| fresh.text);
        let panel = crate::outcomes::listing_panel(
            &self.root,
            listing,
            mine.as_deref(),
        )
        .with_context(|| format!("{{{{#outcomes {name}}}}}"))?;
        // Paths in the book are relative to the chapter's file.
        let up = "../".repeat(chapter.components().count().saturating_sub(1));
        let section = format!("{up}{}", crate::outcomes::SECTION);
        Ok(layout::outcomes(listing, &panel, &section))
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
        Ok(layout::text(&readings[name].text))
    }

    /// `{{#listing NAME}}`: the listing laid out ([`layout::listing`]) with its stored
    /// output, its claims and, with `--mine`, the reader's run.
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
        let verdicts = verdicts_on(listing, &stored.text)?;
        let claims = layout::claims(
            &verdicts,
            "What the text says about this output, checked on the run shown",
            Some(&self.machines.spreads(listing)),
        );
        let shown = layout::Shown {
            include: &include,
            command: &stored.command,
            output: layout::output(&listing.matcher, &stored.text),
            claims,
            mine: self.render_mine(listing),
        };
        Ok(layout::listing(listing, shown))
    }

    /// The "Your run" panel of `serve --mine`, empty without it.
    fn render_mine(&self, listing: &Listing) -> maud::Markup {
        let Some(dir) = &self.mine else {
            return maud::html! {};
        };
        let fresh = listing.output_in(dir);
        let claims = match &fresh {
            Some(fresh) => verdicts_on(listing, &fresh.text)
                .map(|verdicts| {
                    layout::claims(
                        &verdicts,
                        "What the text says, checked on your run",
                        None,
                    )
                })
                .map_err(|e| format!("{e:#}")),
            None => Ok(maud::html! {}),
        };
        let output = fresh
            .as_ref()
            .map(|fresh| layout::output(&listing.matcher, &fresh.text));
        layout::mine(listing, output, claims)
    }
}

/// "2.10" sorts after "2.9": a question's number as numbers.
fn number_key(number: &str) -> Vec<u32> {
    number.split('.').map(|n| n.parse().unwrap_or(0)).collect()
}

/// The listing's claims judged on one of its outputs (none read when it has no claims).
fn verdicts_on(listing: &Listing, text: &str) -> Result<Vec<claims::Verdict>> {
    if listing.spec.claims.is_empty() {
        return Ok(Vec::new());
    }
    let readings = claims::read_values(&listing.spec.values, text)
        .with_context(|| values_unread(listing))?;
    Ok(claims::judge(&listing.spec.claims, &readings))
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

impl Preprocessor for ListingPreprocessor {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn run(&self, _ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
        let placements = self.placements(&book)?;
        let mut problems = Problems::new();
        book.for_each_chapter_mut(|chapter| {
            if let Err(e) = self.expand_chapter(chapter, &placements) {
                problems.push(format!("{e:#}"));
            }
        });
        problems.into_result()?;
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
    pub fn listing_uses(&self) -> BTreeMap<String, Vec<ListingUse>> {
        let mut uses: BTreeMap<String, Vec<ListingUse>> = BTreeMap::new();
        for (path, source) in self.sources() {
            for found in directive::find(&source) {
                if let (DirectiveKind::Listing { name, .. }, false) =
                    (&found.kind, found.escaped)
                {
                    uses.entry(name.clone()).or_default().push(ListingUse {
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
    let mut problems = Problems::new();
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
                     listing, value, verdict, machines, outcomes; mdBook's: include, \
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
    problems.into_result()
}
