//! Quizzes: questions a reader answers before looking, each checked against the book's own
//! evidence. One file per chapter, `src/quizzes/chNN.toml`, in mdbook-quiz's schema (its
//! `MultipleChoice` and `ShortAnswer` types, from the `mdbook-quiz-schema` crate) plus what that
//! schema cannot say: the `evidence` that decides the answer, and a `why` for every wrong
//! choice.
//!
//! The evidence is one of:
//!
//! - `output = "LISTING"`: every choice is an output (a fenced block, or the text itself).
//!   Put in place of the stored output's lines `lines = [FIRST, LAST]` (all of them
//!   without `lines`), a right choice must be accepted by the listing's `[vary]` matcher
//!   against its stored output and satisfy every claim of the listing that holds on that
//!   output; a wrong one must be rejected by the matcher or by one of those claims. With `shape = "one-cpu"`, the output
//!   compared against is every `machines/*/shapes/one-cpu/outputs/LISTING.txt`.
//! - `value = "LISTING/NAME"` (with `shape` too): the right answer is the text of the value as
//!   the output printed it (for a value read `all = true`, the set of its distinct texts);
//!   no wrong choice is.
//! - `rustc = "LISTING"`: a compile-fail listing; every choice names a rustc error code
//!   (`E0373`), the right ones are the codes of its stored error, the wrong ones are not.
//! - `values = "LISTING"` (with `shape` too) and `holds = [...]`: one expression over the
//!   listing's `[values]` per choice, the right answers' first, then the distractors', in
//!   the claims' language (Rhai); each must hold on the output for a right choice and fail
//!   for a wrong one. For "what happens on one CPU" and questions a number decides. Each
//!   expression names at least one of the values, and no two choices share one; the Answers
//!   appendix prints each next to its choice.
//! - `model = "LISTING/CASE"`: a model twin's allowed set for one case (`facts::outcomes`);
//!   each choice is an outcome, right if the set holds it, wrong if it does not.
//!
//! Validation reads stored outputs only: it never runs a listing. The preprocessor renders
//! each question where the chapter says `{{#quiz chNN/ID}}` (after the listing it asks
//! about), the questions again at the chapter's end for print, and every answer with its
//! explanations where `{{#quiz_answers}}` stands (the Answers appendix).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::{Context, Result, anyhow, bail};
use maud::{Markup, PreEscaped, html};
use mdbook_quiz_schema as schema;
use regex::Regex;
use serde::Deserialize;

use crate::claims;
use crate::layout;
use crate::listing::{Kind as ListingKind, Listing};
use crate::{Problems, Project};

/// Where the quiz files are, relative to the project root.
pub const QUIZZES_DIR: &str = "src/quizzes";

/// One chapter's quiz: `src/quizzes/chNN.toml`.
#[derive(Debug, Clone)]
pub struct Quiz {
    /// `ch02`: the file's stem, which the chapter's `{{#quiz ch02/ID}}` names.
    pub chapter: String,
    /// Relative to the project root.
    pub path: PathBuf,
    pub questions: Vec<Question>,
}

/// One question, as the reader sees it and as its evidence decides it.
#[derive(Debug, Clone)]
pub struct Question {
    /// Kebab case, unique in its file: `{{#quiz ch02/ID}}` places it.
    pub id: String,
    /// Markdown.
    pub prompt: String,
    pub answer: Answer,
    /// Markdown: why the right answer is right, shown once answered.
    pub context: Option<String>,
    pub evidence: Evidence,
}

/// What the reader gives, and what is right.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Choose one (`multi == false`) or every right one.
    Choice {
        /// The choices in the order shown, each with `None` when it is right and its `why`
        /// (markdown) when it is wrong.
        choices: Vec<Choice>,
        multi: bool,
    },
    /// Type the answer; `answers` are the accepted spellings, the first is the answer.
    Short { answers: Vec<String> },
}

/// One choice of a multiple-choice question.
#[derive(Debug, Clone)]
pub struct Choice {
    /// Markdown.
    pub text: String,
    /// `None` for a right choice; why it is wrong, otherwise.
    pub why: Option<String>,
    /// With `evidence.values`: the expression over the values that decides this choice.
    pub holds: Option<String>,
}

impl Choice {
    pub fn is_right(&self) -> bool {
        self.why.is_none()
    }
}

/// What decides a question's answer (see the module's documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    Output {
        listing: String,
        lines: Option<(usize, usize)>,
        shape: Option<String>,
    },
    Value {
        listing: String,
        value: String,
        shape: Option<String>,
    },
    Rustc {
        listing: String,
    },
    Values {
        listing: String,
        shape: Option<String>,
    },
    Model {
        listing: String,
        case: String,
    },
}

impl Evidence {
    /// The listing whose output decides the question.
    pub fn listing(&self) -> &str {
        match self {
            Evidence::Output { listing, .. }
            | Evidence::Value { listing, .. }
            | Evidence::Rustc { listing }
            | Evidence::Values { listing, .. }
            | Evidence::Model { listing, .. } => listing,
        }
    }

    pub fn shape(&self) -> Option<&str> {
        match self {
            Evidence::Output { shape, .. }
            | Evidence::Value { shape, .. }
            | Evidence::Values { shape, .. } => shape.as_deref(),
            _ => None,
        }
    }

    /// What the reader is told decides the answer: "checked against the stored output of
    /// ch02-07-lost-update".
    pub fn describe(&self) -> String {
        let run = match self.shape() {
            Some(shape) => format!("its runs in the shape {shape} (machines/)"),
            None => "its stored output".to_owned(),
        };
        match self {
            Evidence::Output { listing, .. } => format!(
                "Checked against {listing}: {run}, under what its sidecar declares may vary."
            ),
            Evidence::Value { listing, value, .. } => {
                format!(
                    "Checked against {listing}: the value {value} of {run}."
                )
            }
            Evidence::Rustc { listing } => {
                format!("Checked against {listing}: rustc's stored error.")
            }
            Evidence::Values { listing, .. } => {
                format!(
                    "Checked against {listing}: the values read from {run}."
                )
            }
            Evidence::Model { listing, case } => format!(
                "Checked against {listing}: the set of outcomes the model checker allows \
                 for {case}."
            ),
        }
    }
}

/// The `evidence` table of a question, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    output: Option<String>,
    lines: Option<[usize; 2]>,
    shape: Option<String>,
    value: Option<String>,
    rustc: Option<String>,
    values: Option<String>,
    holds: Option<Vec<String>>,
    model: Option<String>,
}

/// The keys of a question: mdbook-quiz's, and this book's `evidence` and `why`.
const KEYS: &[&str] = &[
    "id", "type", "prompt", "answer", "context", "evidence", "why",
];

fn split_ref(what: &str, text: &str) -> Result<(String, String)> {
    match text.split_once('/') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => {
            Ok((a.into(), b.into()))
        }
        _ => bail!("evidence.{what} = {text:?}: write LISTING/NAME"),
    }
}

impl RawEvidence {
    fn parse(self) -> Result<Evidence> {
        let kinds = [
            &self.output,
            &self.value,
            &self.rustc,
            &self.values,
            &self.model,
        ]
        .iter()
        .filter(|k| k.is_some())
        .count();
        if kinds != 1 {
            bail!(
                "evidence names {kinds} kinds; give exactly one of output = \"LISTING\", \
                 value = \"LISTING/VALUE\", rustc = \"LISTING\", values = \"LISTING\" \
                 (with holds), model = \"LISTING/CASE\""
            );
        }
        if self.lines.is_some() && self.output.is_none() {
            bail!("evidence.lines goes with evidence.output only");
        }
        if self.shape.is_some()
            && (self.rustc.is_some() || self.model.is_some())
        {
            bail!(
                "evidence.shape goes with evidence.output, value or values only"
            );
        }
        if self.holds.is_some() != self.values.is_some() {
            bail!(
                "evidence.holds goes with evidence.values, and evidence.values needs it"
            );
        }
        let lines = match self.lines {
            Some([first, last]) if first >= 1 && first <= last => {
                Some((first, last))
            }
            Some(lines) => bail!(
                "evidence.lines = {lines:?}: write [FIRST, LAST], 1-based lines of what the \
                 listing printed, FIRST <= LAST"
            ),
            None => None,
        };
        Ok(if let Some(listing) = self.output {
            Evidence::Output {
                listing,
                lines,
                shape: self.shape,
            }
        } else if let Some(value) = self.value {
            let (listing, value) = split_ref("value", &value)?;
            Evidence::Value {
                listing,
                value,
                shape: self.shape,
            }
        } else if let Some(listing) = self.rustc {
            Evidence::Rustc { listing }
        } else if let Some(listing) = self.values {
            Evidence::Values {
                listing,
                shape: self.shape,
            }
        } else {
            let (listing, case) =
                split_ref("model", self.model.as_deref().unwrap_or(""))?;
            Evidence::Model { listing, case }
        })
    }
}

static ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").expect("valid regex")
});

/// The order in which a question's choices are shown: mdbook-quiz's `answerIndex` or
/// `sortAnswers` where given, otherwise an order that depends only on the question's id and
/// the choices' texts (a build shows the same order every time; the right one is not first).
fn order(
    id: &str,
    choices: &mut [Choice],
    prompt: &schema::MultipleChoicePrompt,
) {
    if prompt.sort_answers == Some(true) {
        choices.sort_by(|a, b| a.text.cmp(&b.text));
    } else if let Some(at) = prompt.answer_index {
        let right: Vec<Choice> =
            choices.iter().filter(|c| c.is_right()).cloned().collect();
        let mut wrong: Vec<Choice> =
            choices.iter().filter(|c| !c.is_right()).cloned().collect();
        let at = at.min(wrong.len());
        for (i, c) in right.into_iter().enumerate() {
            wrong.insert(at + i, c);
        }
        choices.clone_from_slice(&wrong);
    } else {
        // FNV-1a: stable across builds and Rust releases, unlike std's hasher.
        let key = |c: &Choice| {
            format!("{id}\n{}", c.text)
                .bytes()
                .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                    (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                })
        };
        choices.sort_by_key(key);
    }
}

/// One question's table, read: mdbook-quiz's part by its own types, then this book's keys.
fn read_question(table: &toml::Table) -> Result<Question> {
    let unknown: Vec<&String> = table
        .keys()
        .filter(|k| !KEYS.contains(&k.as_str()))
        .collect();
    if !unknown.is_empty() {
        bail!("unknown keys {unknown:?}; a question has {KEYS:?}");
    }
    let mut quiz_part = table.clone();
    let raw_evidence = quiz_part
        .remove("evidence")
        .context("no `evidence`: say what decides the answer (CONTRIBUTING.md, \"Quizzes\")")?;
    let why: Vec<String> = match quiz_part.remove("why") {
        Some(why) => why
            .try_into()
            .context("`why` is a list of strings, one per distractor")?,
        None => Vec::new(),
    };
    let raw_evidence =
        RawEvidence::deserialize(raw_evidence).context("invalid `evidence`")?;
    let holds = raw_evidence.holds.clone();
    let evidence = raw_evidence.parse()?;
    let question: schema::Question =
        toml::Value::Table(quiz_part)
            .try_into()
            .context("not an mdbook-quiz question (type, prompt, answer)")?;
    let fields_of = |id: Option<String>,
                     context: Option<schema::Markdown>|
     -> Result<_> {
        let id = id.context(
            "no `id`: give it one in kebab case, which {{#quiz chNN/ID}} names",
        )?;
        if !ID.is_match(&id) {
            bail!(
                "id {id:?}: use kebab case (lowercase letters, digits, dashes)"
            );
        }
        Ok((id, context.map(|c| c.0)))
    };
    match question {
        schema::Question::MultipleChoice(schema::MultipleChoice(q)) => {
            let (id, context) = fields_of(q.id, q.context)?;
            let (right, multi) = match q.answer.answer {
                schema::MultipleChoiceAnswerFormat::Single(one) => {
                    (vec![one.0], false)
                }
                schema::MultipleChoiceAnswerFormat::Multi(many) => {
                    (many.into_iter().map(|m| m.0).collect(), true)
                }
            };
            let distractors: Vec<String> =
                q.prompt.distractors.iter().map(|d| d.0.clone()).collect();
            if why.len() != distractors.len() {
                bail!(
                    "{} wrong choices (prompt.distractors) but {} `why`: explain every \
                     wrong choice, in the order of prompt.distractors",
                    distractors.len(),
                    why.len()
                );
            }
            if let Some(empty) = why.iter().position(|w| w.trim().is_empty()) {
                bail!("the `why` of distractor {} is empty", empty + 1);
            }
            if distractors.is_empty() {
                bail!("a multiple-choice question needs wrong choices");
            }
            let mut choices: Vec<Choice> = right
                .into_iter()
                .map(|text| Choice {
                    text,
                    why: None,
                    holds: None,
                })
                .chain(distractors.into_iter().zip(why).map(|(text, why)| {
                    Choice {
                        text,
                        why: Some(why),
                        holds: None,
                    }
                }))
                .collect();
            if let Some(holds) = holds {
                if holds.len() != choices.len() {
                    bail!(
                        "{} choices but {} evidence.holds: one expression per \
                         choice, the right answers' first, then the distractors'",
                        choices.len(),
                        holds.len()
                    );
                }
                let mut seen = BTreeSet::new();
                for holds in &holds {
                    let spaced = holds.split_whitespace().collect::<Vec<_>>();
                    if !seen.insert(spaced.join(" ")) {
                        bail!(
                            "two choices have the same evidence.holds {holds:?}: an \
                             expression must say what its own choice says, so two \
                             choices that say different things differ in what the \
                             evidence must show"
                        );
                    }
                }
                for (choice, holds) in choices.iter_mut().zip(holds) {
                    choice.holds = Some(holds);
                }
            }
            let texts: BTreeSet<&str> =
                choices.iter().map(|c| c.text.as_str()).collect();
            if texts.len() != choices.len() {
                bail!("two choices are the same text");
            }
            order(&id, &mut choices, &q.prompt);
            Ok(Question {
                id,
                prompt: q.prompt.prompt.0,
                answer: Answer::Choice { choices, multi },
                context,
                evidence,
            })
        }
        schema::Question::ShortAnswer(schema::ShortAnswer(q)) => {
            let (id, context) = fields_of(q.id, q.context)?;
            if !why.is_empty() {
                bail!("`why` explains distractors; a ShortAnswer has none");
            }
            if holds.is_some() {
                bail!(
                    "evidence.values decides choices; a ShortAnswer has none"
                );
            }
            let mut answers = vec![q.answer.answer];
            answers.extend(q.answer.alternatives.unwrap_or_default());
            Ok(Question {
                id,
                prompt: q.prompt.prompt.0,
                answer: Answer::Short { answers },
                context,
                evidence,
            })
        }
        schema::Question::Tracing(_) => bail!(
            "type = \"Tracing\" compares one exact stdout; ask \"what will this print\" as a \
             MultipleChoice with evidence.output, which the listing's [vary] decides"
        ),
    }
}

impl Quiz {
    /// Every quiz file of the project, by chapter (`ch02`); none when there is no folder.
    pub fn all(project: &Project) -> Result<Vec<Quiz>> {
        let dir = project.root.join(QUIZZES_DIR);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut quizzes = Vec::new();
        let mut problems = Problems::new();
        for entry in entries {
            let path = entry.context("cannot read src/quizzes")?.path();
            if path.extension().is_some_and(|e| e == "toml") {
                match Quiz::read(project, &path) {
                    Ok(quiz) => quizzes.push(quiz),
                    Err(e) => problems.push(format!("{e:#}")),
                }
            }
        }
        problems.into_result()?;
        quizzes.sort_by(|a, b| a.chapter.cmp(&b.chapter));
        Ok(quizzes)
    }

    fn read(project: &Project, path: &Path) -> Result<Quiz> {
        let relative = path
            .strip_prefix(&project.root)
            .unwrap_or(path)
            .to_path_buf();
        let shown = relative.display().to_string();
        let chapter = path
            .file_stem()
            .and_then(|s| s.to_str())
            .filter(|s| {
                s.len() == 4
                    && s.starts_with("ch")
                    && s[2..].bytes().all(|b| b.is_ascii_digit())
            })
            .with_context(|| {
                format!(
                    "{shown}: name a quiz file chNN.toml, after its chapter"
                )
            })?
            .to_owned();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {shown}"))?;
        let table: toml::Table = toml::from_str(&text)
            .with_context(|| format!("{shown}: not valid TOML"))?;
        if let Some(key) = table.keys().find(|k| *k != "questions") {
            bail!(
                "{shown}: unknown key {key:?}; a quiz file holds [[questions]] only"
            );
        }
        let raw = table
            .get("questions")
            .and_then(|q| q.as_array())
            .with_context(|| format!("{shown}: no [[questions]]"))?;
        let mut questions: Vec<Question> = Vec::new();
        for (n, item) in raw.iter().enumerate() {
            let table = item.as_table().with_context(|| {
                format!("{shown}: question {} is not a table", n + 1)
            })?;
            let question = read_question(table).with_context(|| {
                let id =
                    table.get("id").and_then(|i| i.as_str()).unwrap_or("?");
                format!("{shown}: question {} (id {id})", n + 1)
            })?;
            if questions.iter().any(|q| q.id == question.id) {
                bail!(
                    "{shown}: two questions have the id {:?}; make them unique",
                    question.id
                );
            }
            questions.push(question);
        }
        Ok(Quiz {
            chapter,
            path: relative,
            questions,
        })
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
}

/// The text of a choice as an output or a token: the inside of its first fenced block, or
/// else the text without surrounding backticks and spaces.
pub fn choice_text(markdown: &str) -> String {
    static FENCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?s)```[^\n]*\n(.*?)\n?```").expect("valid regex")
    });
    if let Some(caps) = FENCE.captures(markdown) {
        return caps[1].to_owned();
    }
    let text = markdown.trim();
    match text.strip_prefix('`').and_then(|t| t.strip_suffix('`')) {
        Some(inside) if !inside.contains('`') => inside.trim().to_owned(),
        _ => text.to_owned(),
    }
}

/// The outputs a question's evidence reads: the stored one, or every one of a shape, each
/// with the path it came from.
fn evidence_outputs(
    project: &Project,
    listing: &Listing,
    shape: Option<&str>,
) -> Result<Vec<(String, String)>> {
    let Some(shape) = shape else {
        let stored = listing.stored_output(&project.root)?;
        return Ok(vec![(
            listing.output_path().display().to_string(),
            stored.text,
        )]);
    };
    let found: Vec<(String, String)> =
        crate::machines::Machines::load(project)?
            .shape_outputs(listing, shape)
            .into_iter()
            .map(|(_, path, output)| {
                let path = path
                    .strip_prefix(&project.root)
                    .unwrap_or(&path)
                    .to_path_buf();
                (path.display().to_string(), output.text)
            })
            .collect();
    if found.is_empty() {
        bail!(
            "no machine has an output of {} in the shape {shape:?} \
             (machines/*/shapes/{shape}/outputs/{}); name a shape that has one, or make it \
             with `cargo book compare --export MACHINE --shape {shape}`",
            listing.name,
            listing.output_file()
        );
    }
    Ok(found)
}

/// `stored` with its lines `first..=last` (1-based) replaced by `candidate`'s.
fn splice(
    stored: &str,
    lines: Option<(usize, usize)>,
    candidate: &str,
) -> Result<String> {
    let Some((first, last)) = lines else {
        return Ok(candidate.to_owned());
    };
    let all: Vec<&str> = stored.lines().collect();
    if last > all.len() {
        bail!(
            "evidence.lines = [{first}, {last}], but the output has {} lines",
            all.len()
        );
    }
    let mut out: Vec<&str> = all[..first - 1].to_vec();
    out.extend(candidate.lines());
    out.extend(&all[last..]);
    Ok(out.join("\n") + "\n")
}

/// The texts a right answer must be, read from one output: a value's text (or the set of
/// a list's distinct texts), a compile-fail's error codes, a model's allowed set.
fn right_texts(
    listing: &Listing,
    evidence: &Evidence,
    text: &str,
    path: &str,
) -> Result<BTreeSet<String>> {
    match evidence {
        Evidence::Value { value, .. } => {
            let spec = listing.spec.values.get(value).with_context(|| {
                format!(
                    "{} declares no value {value:?} in [values]; name one of them, or add it",
                    listing.sidecar().display()
                )
            })?;
            let one = BTreeMap::from([(value.clone(), spec.clone())]);
            let readings =
                claims::read_values(&one, text).with_context(|| {
                    format!("{path}: the value {value} cannot be read from it")
                })?;
            let reading = &readings[value];
            Ok(match &reading.value {
                claims::Value::List(_) => {
                    reading.text.split(", ").map(str::to_owned).collect()
                }
                _ => BTreeSet::from([reading.text.clone()]),
            })
        }
        Evidence::Rustc { .. } => {
            if listing.kind != ListingKind::CompileFail {
                bail!(
                    "{} is not a compile-fail listing: evidence.rustc names one in {}",
                    listing.name,
                    crate::paths::COMPILE_FAIL_DIR
                );
            }
            let codes: BTreeSet<String> = CODE
                .find_iter(text)
                .map(|m| m.as_str().to_owned())
                .collect();
            if codes.is_empty() {
                bail!("{path}: rustc's stored error has no error code");
            }
            Ok(codes)
        }
        Evidence::Model { case, .. } => {
            let sets = facts::outcomes::parse_allowed(text);
            sets.get(case).map(|set| set.iter().cloned().collect()).with_context(|| {
                let known: Vec<&String> = sets.keys().collect();
                format!("{path}: no case {case:?} in the model's output (it has {known:?})")
            })
        }
        Evidence::Output { .. } | Evidence::Values { .. } => {
            unreachable!(
                "an output is matched, and values judged, not read as texts"
            )
        }
    }
}

/// Whether every claim of the listing that holds on `stored` holds on `candidate` too: an
/// output the `[vary]` matcher accepts may still be one the listing's claims rule out (one
/// producer's messages swapped, when the whole group is `unordered`). A candidate whose
/// values cannot be read is an error: no claim judged it, so nothing decided it.
fn claims_hold_on(
    listing: &Listing,
    stored: &str,
    candidate: &str,
) -> Result<bool> {
    let claims = &listing.spec.claims;
    if claims.is_empty() {
        return Ok(true);
    }
    let Ok(stored) = claims::read_values(&listing.spec.values, stored) else {
        return Ok(true);
    };
    let holding: Vec<claims::ClaimSpec> = claims::judge(claims, &stored)
        .into_iter()
        .filter(claims::Verdict::holds)
        .map(|v| v.claim)
        .collect();
    if holding.is_empty() {
        return Ok(true);
    }
    let readings = claims::read_values(&listing.spec.values, candidate)
        .with_context(|| {
            format!(
                "the [values] of {} cannot be read from this choice's output, so its \
                 claims cannot judge it: change the choice, or make it one the `[vary]` \
                 matcher rejects",
                listing.name
            )
        })?;
    Ok(claims::judge(&holding, &readings)
        .iter()
        .all(claims::Verdict::holds))
}

/// Whether an expression of `evidence.holds` names at least one of the listing's values.
fn names_a_value(holds: &str, listing: &Listing) -> bool {
    static WORD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").expect("valid regex")
    });
    WORD.find_iter(holds)
        .any(|w| listing.spec.values.contains_key(w.as_str()))
}

/// A short answer as `theme/quiz.js` compares it (its `norm`): trimmed, without surrounding
/// backticks, in lower case.
pub fn norm(text: &str) -> String {
    text.trim().trim_matches('`').trim().to_lowercase()
}

/// The spellings of one right text that a short answer's alternatives may use, each as
/// `norm` leaves it: the text itself, a signal's name without `SIG`, a small count in words.
fn spellings(right: &str) -> BTreeSet<String> {
    let mut all = BTreeSet::from([norm(right)]);
    if let Some(bare) = right.strip_prefix("SIG") {
        all.insert(norm(bare));
    }
    let words: &[&[&str]] = &[
        &["zero", "none", "never"],
        &["one", "once"],
        &["two", "twice"],
        &["three", "thrice"],
        &["four"],
        &["five"],
        &["six"],
        &["seven"],
        &["eight"],
        &["nine"],
        &["ten"],
    ];
    if let Some(words) = right.parse::<usize>().ok().and_then(|n| words.get(n))
    {
        all.extend(words.iter().map(|w| (*w).to_owned()));
    }
    all
}

/// An error code in rustc's error (`error[E0373]`), or in a choice (`E0373`).
static CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"E\d{4}").expect("valid regex"));

/// Whether the evidence accepts one choice as right: `Ok(true)` or `Ok(false)`, or why it
/// cannot say.
fn accepts(
    listing: &Listing,
    evidence: &Evidence,
    outputs: &[(String, String)],
    choice: &str,
    holds: Option<&str>,
) -> Result<bool> {
    let mut verdicts = BTreeSet::new();
    for (path, text) in outputs {
        let verdict = match evidence {
            Evidence::Output { lines, .. } => {
                let candidate = splice(text, *lines, &choice_text(choice))
                    .with_context(|| path.clone())?;
                listing.matcher.compare(text, &candidate).is_ok()
                    && claims_hold_on(listing, text, &candidate)?
            }
            Evidence::Rustc { .. } => {
                let codes = right_texts(listing, evidence, text, path)?;
                let named: Vec<&str> =
                    CODE.find_iter(choice).map(|m| m.as_str()).collect();
                match named.as_slice() {
                    [code] => codes.contains(*code),
                    _ => bail!(
                        "choice {choice:?} names {} error codes: with evidence.rustc, each \
                         choice names exactly one (`E0373`)",
                        named.len()
                    ),
                }
            }
            Evidence::Values { .. } => {
                let holds = holds.context(
                    "evidence.values needs an evidence.holds per choice",
                )?;
                let readings = claims::read_values(&listing.spec.values, text)
                    .with_context(|| {
                        format!(
                            "{path}: the [values] of {} cannot be read from it",
                            listing.name
                        )
                    })?;
                let claim = claims::ClaimSpec {
                    id: "quiz".into(),
                    check: holds.to_owned(),
                    says: String::new(),
                    why_not: None,
                };
                let verdict =
                    claims::judge(std::slice::from_ref(&claim), &readings)
                        .remove(0);
                verdict
                    .outcome
                    .map_err(|e| anyhow!("evidence.holds {holds:?}: {e}"))?
            }
            _ => right_texts(listing, evidence, text, path)?
                .contains(&choice_text(choice)),
        };
        verdicts.insert(verdict);
    }
    match verdicts.len() {
        1 => Ok(verdicts.contains(&true)),
        _ => bail!(
            "the outputs of the shape disagree on choice {choice:?}: ask about what they all \
             show"
        ),
    }
}

/// Checks that the evidence decides `question` the way the quiz says: every right choice
/// accepted, every wrong one rejected (a short answer: its first spelling accepted, and every
/// alternative a spelling of the same text, as `theme/quiz.js` compares them).
pub fn check_question(
    project: &Project,
    listings: &[Listing],
    question: &Question,
) -> Result<()> {
    let listing = Listing::named(listings, question.evidence.listing())?;
    let outputs =
        evidence_outputs(project, listing, question.evidence.shape())?;
    let place = outputs
        .iter()
        .map(|(p, _)| p.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let judge = |text: &str, holds: Option<&str>| {
        accepts(listing, &question.evidence, &outputs, text, holds)
    };
    let mut problems = Vec::new();
    match &question.answer {
        Answer::Choice { choices, multi } => {
            if matches!(question.evidence, Evidence::Value { .. }) && *multi {
                // Every right text must be offered, or the reader cannot give the answer.
                for (_, text) in &outputs {
                    let rights =
                        right_texts(listing, &question.evidence, text, &place)?;
                    for right in rights {
                        if !choices.iter().any(|c| {
                            c.is_right() && choice_text(&c.text) == right
                        }) {
                            problems.push(format!(
                                "the evidence's answer includes {right:?}, which no right \
                                 choice offers"
                            ));
                        }
                    }
                }
            }
            for holds in choices.iter().filter_map(|c| c.holds.as_deref()) {
                if !names_a_value(holds, listing) {
                    problems.push(format!(
                        "evidence.holds {holds:?} names none of the values of {} \
                         ({}): an expression that reads nothing the run printed does \
                         not let the run decide its choice",
                        listing.name,
                        listing
                            .spec
                            .values
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
            for choice in choices {
                let accepted = judge(&choice.text, choice.holds.as_deref())?;
                match (choice.is_right(), accepted) {
                    (true, false) => problems.push(format!(
                        "the right answer {:?} is rejected by the evidence",
                        choice.text.trim()
                    )),
                    (false, true) => problems.push(format!(
                        "the wrong choice {:?} is accepted by the evidence",
                        choice.text.trim()
                    )),
                    _ => {}
                }
            }
            if !*multi && choices.iter().filter(|c| c.is_right()).count() != 1 {
                problems.push(
                    "a single-answer question has one right choice".into(),
                );
            }
        }
        Answer::Short { answers } => {
            if matches!(
                question.evidence,
                Evidence::Output { .. }
                    | Evidence::Rustc { .. }
                    | Evidence::Values { .. }
            ) {
                problems.push(
                    "a ShortAnswer is checked against a value (evidence.value) or a model's \
                     set (evidence.model); ask for an output or a compile error as a \
                     MultipleChoice"
                        .into(),
                );
            } else if !judge(&answers[0], None)? {
                problems.push(format!(
                    "the answer {:?} is not what the evidence reads",
                    answers[0]
                ));
            } else {
                for (_, text) in &outputs {
                    let rights =
                        right_texts(listing, &question.evidence, text, &place)?;
                    let spellings: BTreeSet<String> =
                        rights.iter().flat_map(|r| spellings(r)).collect();
                    for alternative in &answers[1..] {
                        if !spellings.contains(&norm(alternative)) {
                            problems.push(format!(
                                "the alternative {alternative:?} is not a spelling of what \
                                 the evidence reads ({}): an alternative is the same answer \
                                 written otherwise (`SIGABRT`: `ABRT`; `1`: `one`, `once`), \
                                 as quiz.js compares it (trimmed, without backticks, in \
                                 lower case)",
                                rights
                                    .iter()
                                    .map(|r| format!("{r:?}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        }
                    }
                }
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(anyhow!(
        "{}; the evidence ({}) does not decide the question the way it says: make each \
         right choice one the evidence accepts and each wrong choice one it rejects, or \
         name other evidence",
        problems.join("; "),
        place
    ))
}

/// Every question of every quiz, checked against its evidence; every problem reported,
/// each naming the quiz file and the question.
pub fn check_all(project: &Project) -> Result<()> {
    let listings = Listing::all(project)?;
    let mut problems = Problems::new();
    for quiz in Quiz::all(project)? {
        if let Err(e) = check_quiz(project, &listings, &quiz) {
            problems.push(format!("{e:#}"));
        }
    }
    problems.into_result()
}

/// One quiz file's questions, each checked against its evidence.
pub fn check_quiz(
    project: &Project,
    listings: &[Listing],
    quiz: &Quiz,
) -> Result<()> {
    let mut problems = Problems::new();
    for question in &quiz.questions {
        if let Err(e) = check_question(project, listings, question) {
            problems.push(format!(
                "{}: question {}: {e:#}",
                quiz.path.display(),
                question.id
            ));
        }
    }
    problems.into_result()
}

// ---------------------------------------------------------------------------------------
// Rendering

/// A block of HTML that markdown leaves as it is: a blank line would end the HTML block
/// (CommonMark), so each is written as a character reference (a newline, in a `<pre>` or
/// not); mdBook's directives escaped.
fn html_block(html: &str) -> String {
    let escaped = layout::escape_directives(html).replace("\n\n", "\n&#10;");
    format!("\n{escaped}\n\n")
}

/// Markdown as HTML, every `{{#` escaped so that mdBook's directives do not run in it.
fn markdown(text: &str) -> Markup {
    let mut out = String::new();
    pulldown_cmark::html::push_html(
        &mut out,
        pulldown_cmark::Parser::new(text),
    );
    PreEscaped(layout::escape_directives(&out))
}

/// The HTML id of a question: `quiz-ch02-lost-update`.
pub fn html_id(chapter: &str, id: &str) -> String {
    format!("quiz-{chapter}-{id}")
}

/// What the reveal shows: the output the evidence reads, and with `serve --mine` the
/// reader's own.
pub struct Reveal {
    pub label: String,
    pub text: String,
    pub mine: Option<String>,
}

/// One question where the chapter places it: the prompt, the choices (real inputs with
/// labels), Check, Show the run, the verdict (a live region) and the explanations, hidden
/// until answered. `theme/quiz.js` makes it work; without scripts, it is a list of choices.
pub fn render_question(
    chapter: &str,
    number: &str,
    question: &Question,
    reveal: &Reveal,
) -> String {
    let id = html_id(chapter, &question.id);
    let multi = matches!(question.answer, Answer::Choice { multi: true, .. });
    // The listing whose shown output would give the answer away: `theme/quiz.js` covers its
    // output and claims until the question is answered, so that the reader predicts first.
    // A question about another machine's run (a shape) leaves this one's output in view.
    let covers = question
        .evidence
        .shape()
        .is_none()
        .then(|| format!("listing-{}", question.evidence.listing()));
    let page = html! {
        section class="quiz" id=(id) data-quiz={ (chapter) "/" (question.id) }
            data-multi=(multi) data-covers=[covers] aria-labelledby={ (id) "-title" } {
            "\n"
            h4 class="quiz-title" id={ (id) "-title" } { "Quiz " (number) }
            div class="quiz-prompt" { (markdown(&question.prompt)) }
            @match &question.answer {
                Answer::Choice { choices, .. } => {
                    fieldset class="quiz-choices" {
                        legend {
                            @if multi { "Choose every right answer" } @else { "Choose one answer" }
                        }
                        @for (n, choice) in choices.iter().enumerate() {
                            div class="quiz-choice" data-right=(choice.is_right()) {
                                input type=(if multi { "checkbox" } else { "radio" })
                                    name=(id) id={ (id) "-" (n) } value=(n);
                                label for={ (id) "-" (n) } { (markdown(&choice.text)) }
                                @if let Some(why) = &choice.why {
                                    div class="quiz-why" hidden { strong { "Why not: " } (markdown(why)) }
                                }
                            }
                        }
                    }
                }
                Answer::Short { answers } => {
                    label class="quiz-short" {
                        "Your answer: "
                        input type="text" class="quiz-input" autocomplete="off" spellcheck="false"
                            data-answers=(serde_json::to_string(answers).unwrap_or_default());
                    }
                }
            }
            div class="quiz-buttons" {
                button type="button" class="quiz-check" { "Check" }
                " "
                button type="button" class="quiz-show" aria-expanded="false"
                    aria-controls={ (id) "-reveal" } { "Show the run" }
            }
            p class="quiz-result" role="status" aria-live="polite" {}
            @if let Some(context) = &question.context {
                div class="quiz-context" hidden { (markdown(context)) }
            }
            div class="quiz-reveal" id={ (id) "-reveal" } hidden {
                p class="quiz-evidence" { (question.evidence.describe()) }
                p class="quiz-run-label" { (reveal.label) }
                pre { code class="nohighlight" { (reveal.text) } }
                @if let Some(mine) = &reveal.mine {
                    p class="quiz-run-label" { "Your run (cargo book compare)" }
                    pre class="quiz-mine" { code class="nohighlight" { (mine) } }
                }
            }
        }
        "\n"
    };
    html_block(&page.into_string())
}

/// A chapter's questions for print: at the chapter's end, without their answers (hidden on
/// screen).
pub fn render_print(
    chapter_title: &str,
    questions: &[(String, &Question)],
) -> String {
    if questions.is_empty() {
        return String::new();
    }
    let page = html! {
        section class="quiz-print" {
            "\n"
            h2 { "Questions" }
            p { "Answers in the appendix " a href="answers.html" { "Answers to the quizzes" } ", for " (chapter_title) "." }
            ol {
                @for (number, question) in questions {
                    li value=(number.rsplit('.').next().unwrap_or("1")) {
                        (markdown(&question.prompt))
                        @if let Answer::Choice { choices, .. } = &question.answer {
                            ol type="a" { @for choice in choices { li { (markdown(&choice.text)) } } }
                        }
                    }
                }
            }
        }
        "\n"
    };
    format!("\n{}", html_block(&page.into_string()))
}

/// The Answers appendix: every question of every quiz, its answer, why, and why each wrong
/// choice is wrong.
pub fn render_answers(
    quizzes: &[(String, Vec<(String, &Question)>)],
) -> String {
    let page = html! {
        div class="quiz-answers" {
            "\n"
            @for (title, questions) in quizzes {
                h2 { (title) }
                @for (number, question) in questions {
                    section class="quiz-answer" {
                        h3 { "Quiz " (number) }
                        (markdown(&question.prompt))
                        @match &question.answer {
                            Answer::Choice { choices, .. } => {
                                ul {
                                    @for choice in choices {
                                        li class=(if choice.is_right() { "quiz-right" } else { "quiz-wrong" }) {
                                            @if choice.is_right() { strong { "Right: " } } @else { strong { "Wrong: " } }
                                            (markdown(&choice.text))
                                            @if let Some(why) = &choice.why { (markdown(why)) }
                                            @if let Some(holds) = &choice.holds {
                                                p class="quiz-holds" {
                                                    (if choice.is_right() { "Holds on the run: " } else { "Fails on the run: " })
                                                    code { (holds) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                            Answer::Short { answers } => {
                                p { strong { "Answer: " } code { (answers[0]) } }
                            }
                        }
                        @if let Some(context) = &question.context { (markdown(context)) }
                        p class="quiz-evidence" { em { (question.evidence.describe()) } }
                    }
                }
            }
        }
        "\n"
    };
    html_block(&page.into_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How an output question is decided: the choice replaces the stored output's lines
    /// `lines`, and the listing's matcher compares the result with the stored output. Lines
    /// declared `unordered` may be swapped, a redacted PID may be any number; anything else
    /// changed is rejected.
    #[test]
    fn an_output_choice_is_spliced_in_and_matched_under_vary() {
        let matcher = crate::output::test_matcher(
            "unordered = ['^(parent|child):']\nredact.PID = 'pid (?<redacted>\\d+)'\n",
        );
        let stored = "start\nparent: pid 10\nchild: pid 11\nend\n";
        let judge = |choice: &str| {
            let candidate =
                splice(stored, Some((2, 3)), &choice_text(choice)).unwrap();
            matcher.compare(stored, &candidate).is_ok()
        };
        assert!(judge("```text\nchild: pid 42\nparent: pid 7\n```"));
        assert!(judge("```\nparent: pid 1\nchild: pid 2\n```"));
        assert!(!judge("```\nparent: pid 1\n```"), "a line missing");
        assert!(
            !judge("```\nchild: pid 1\nchild: pid 2\n```"),
            "a line changed"
        );
        assert!(
            !judge("```\nparent: pid 1\nchild: pid 2\nend\n```"),
            "a line added"
        );
    }

    #[test]
    fn choice_text_is_a_fenced_block_or_the_text_without_backticks() {
        assert_eq!(choice_text("```text\na\nb\n```"), "a\nb");
        assert_eq!(choice_text(" `SIGKILL` "), "SIGKILL");
        assert_eq!(choice_text("(0, 1)"), "(0, 1)");
    }

    #[test]
    fn the_order_of_choices_is_stable_and_honours_answer_index() {
        let choices = |texts: &[&str]| -> Vec<Choice> {
            texts
                .iter()
                .enumerate()
                .map(|(i, t)| Choice {
                    text: (*t).into(),
                    why: (i > 0).then(|| "no".into()),
                    holds: None,
                })
                .collect()
        };
        let prompt = |index| schema::MultipleChoicePrompt {
            prompt: schema::Markdown(String::new()),
            distractors: Vec::new(),
            answer_index: index,
            sort_answers: None,
        };
        let mut a = choices(&["r", "x", "y", "z"]);
        let mut b = choices(&["r", "x", "y", "z"]);
        order("q", &mut a, &prompt(None));
        order("q", &mut b, &prompt(None));
        assert_eq!(
            a.iter().map(|c| &c.text).collect::<Vec<_>>(),
            b.iter().map(|c| &c.text).collect::<Vec<_>>()
        );
        let mut c = choices(&["r", "x", "y"]);
        order("q", &mut c, &prompt(Some(2)));
        assert!(c[2].is_right());
    }
}
