//! What a listing is, and where its files are.
//!
//! A listing is a runnable program (`listings/src/bin/NAME.rs`) or a program that must
//! not compile (`listings/compile-fail/NAME.rs`), each with a sidecar `NAME.toml` that gives
//! its caption and declares how its output may vary between runs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::Project;
use crate::output::Matcher;
use crate::paths::{COMPILE_FAIL_DIR, OUTPUTS_DIR, PROGRAMS_DIR};

/// The edition rustc compiles a compile-fail listing in: the workspace's (`Cargo.toml`).
const EDITION: &str = "2024";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A binary of the `listings` package, run with `cargo run`.
    Program,
    /// A file rustc must reject; its "output" is the compiler's error.
    CompileFail,
}

/// Where a listing stands in the book, read from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Position {
    /// `chNN-MM-name`: listing MM of chapter NN.
    Numbered { chapter: u32, order: u32 },
    /// `chNN-exMM-name`: the solution of exercise MM of chapter NN.
    Exercise { chapter: u32, order: u32 },
}

impl Position {
    pub fn chapter(self) -> u32 {
        match self {
            Position::Numbered { chapter, .. }
            | Position::Exercise { chapter, .. } => chapter,
        }
    }

    /// The position a listing's name gives, if it is a listing's name.
    pub fn parse(name: &str) -> Option<Position> {
        let rest = name.strip_prefix("ch")?;
        let (chapter, rest) = rest.split_once('-')?;
        let (order, short) = rest.split_once('-')?;
        let number =
            |s: &str| (s.len() == 2).then(|| s.parse::<u32>().ok()).flatten();
        let valid_short = !short.is_empty()
            && short.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
            });
        if !valid_short {
            return None;
        }
        let chapter = number(chapter)?;
        match order.strip_prefix("ex") {
            Some(order) => Some(Position::Exercise {
                chapter,
                order: number(order)?,
            }),
            None => Some(Position::Numbered {
                chapter,
                order: number(order)?,
            }),
        }
    }
}

impl fmt::Display for Position {
    /// The label of the caption: "Listing 1.2" or "Exercise 1.1, a solution".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Numbered { chapter, order } => {
                write!(f, "Listing {chapter}.{order}")
            }
            Position::Exercise { chapter, order } => {
                write!(f, "Exercise {chapter}.{order}, a solution")
            }
        }
    }
}

/// The sidecar `NAME.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The caption's title.
    pub title: String,
    /// Arguments the book runs the listing with.
    #[serde(default)]
    pub args: Vec<String>,
    /// A measurement (`measurement = true`): built and run with `--release`, and compiled
    /// but not run by skeptic (the listings test runs it, quick and for the shape of its
    /// output; its claims are judged on the stored, full run).
    #[serde(default)]
    pub measurement: bool,
    /// Arguments the listings test adds to a measurement's run, which it checks only for the
    /// output's shape: less work per repetition, the same lines (e.g. `["--runs", "1"]`).
    #[serde(default)]
    pub shape_args: Vec<String>,
    /// Seconds before a run counts as hung and is killed with its process group.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// The exit code a run must end with (a compile-fail listing must simply fail).
    #[serde(default)]
    pub exit_code: i32,
    /// What may differ from run to run.
    #[serde(default)]
    pub vary: crate::output::Variation,
    /// Bad argument lists the listing must reject: one line on stderr, nothing on stdout,
    /// exit code 2. Required for every listing that takes arguments.
    #[serde(default)]
    pub rejects: Vec<Vec<String>>,
    /// Values read from the output, by name, for the claims and the prose.
    #[serde(default)]
    pub values: crate::claims::ValueSpecs,
    /// What the prose says about the output, checked against it.
    #[serde(default)]
    pub claims: Vec<crate::claims::ClaimSpec>,
    /// Why a program's output supports no claim (e.g. it only prints a greeting).
    #[serde(default)]
    pub no_claims: Option<String>,
    /// A litmus listing's model twin, and what its possible-outcomes panel says besides
    /// ([`crate::outcomes`]): the listing gets the claim `observed-allowed`.
    #[serde(default)]
    pub outcomes: Option<crate::outcomes::OutcomesSpec>,
}

fn default_timeout() -> u64 {
    120
}

#[derive(Debug, Clone)]
pub struct Listing {
    pub name: String,
    pub kind: Kind,
    pub position: Position,
    pub spec: Spec,
    /// The source, relative to the project root.
    pub source: PathBuf,
    /// `spec.vary`, compiled once when the listing is loaded.
    pub matcher: Arc<Matcher>,
}

impl Listing {
    /// Every listing of the project, sorted by name.
    pub fn all(project: &Project) -> Result<Vec<Listing>> {
        let mut listings = Vec::new();
        for (dir, kind) in [
            (PROGRAMS_DIR, Kind::Program),
            (COMPILE_FAIL_DIR, Kind::CompileFail),
        ] {
            let Ok(entries) = std::fs::read_dir(project.root.join(dir)) else {
                continue;
            };
            for entry in entries {
                let path =
                    entry.with_context(|| format!("cannot read {dir}"))?.path();
                if path.extension().is_some_and(|e| e == "rs") {
                    listings.push(Listing::load(project, &path, kind)?);
                }
            }
        }
        listings.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(listings)
    }

    /// The listings named (all of them when no name is given), sorted by name; an unknown
    /// name is an error.
    pub fn chosen(project: &Project, names: &[String]) -> Result<Vec<Listing>> {
        let all = Listing::all(project)?;
        for name in names {
            Listing::named(&all, name)?;
        }
        Ok(all
            .into_iter()
            .filter(|l| names.is_empty() || names.contains(&l.name))
            .collect())
    }

    fn load(project: &Project, path: &Path, kind: Kind) -> Result<Listing> {
        let source = path
            .strip_prefix(&project.root)
            .unwrap_or(path)
            .to_path_buf();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .with_context(|| {
                format!(
                    "{}: not a UTF-8 file name; rename it chNN-MM-short-name.rs",
                    source.display()
                )
            })?
            .to_owned();
        let Some(position) = Position::parse(&name) else {
            bail!(
                "{}: a listing is named chNN-MM-short-name or chNN-exMM-short-name \
                 (lowercase, digits and dashes); rename it",
                source.display()
            );
        };
        let sidecar = source.with_extension("toml");
        let sidecar = sidecar.display();
        let spec_text = std::fs::read_to_string(path.with_extension("toml"))
            .with_context(|| {
                format!(
                    "{}: every listing needs a sidecar {sidecar} with at least \
                     `title = \"...\"`",
                    source.display(),
                )
            })?;
        let mut spec: Spec = toml::from_str(&spec_text).with_context(|| {
            format!(
                "{sidecar}: not a valid sidecar (CONTRIBUTING.md, \"The sidecar\", lists \
                 its keys); fix it"
            )
        })?;
        if let Some(outcomes) = spec.outcomes.clone() {
            use crate::outcomes::{CLAIM_ID, NotAllowed, VALUE};
            if kind == Kind::CompileFail {
                bail!(
                    "{sidecar}: [outcomes] is only for programs that print the outcomes \
                     they observed; remove it"
                );
            }
            if spec.claims.iter().any(|c| c.id == CLAIM_ID)
                || spec.values.contains_key(VALUE)
            {
                bail!(
                    "{sidecar}: [outcomes] gives the listing the claim {CLAIM_ID:?} and \
                     the value {VALUE:?}; rename yours"
                );
            }
            spec.claims.push(outcomes.claim());
            spec.values.insert(
                VALUE.to_owned(),
                crate::claims::ValueSpec::not_allowed(NotAllowed {
                    root: project.root.clone(),
                    spec: outcomes,
                }),
            );
        }
        crate::claims::check_ids(&spec.claims).with_context(|| {
            format!("{sidecar}: invalid [[claims]]; fix them")
        })?;
        if kind == Kind::CompileFail && !spec.rejects.is_empty() {
            bail!(
                "{sidecar}: `rejects` is only for programs (rustc is never run with a \
                 listing's arguments); remove it"
            );
        }
        let matcher = spec.vary.compile().with_context(|| {
            format!("{sidecar}: invalid [vary] declaration; fix it")
        })?;
        Ok(Listing {
            name,
            kind,
            position,
            spec,
            source,
            matcher: Arc::new(matcher),
        })
    }

    /// The listing called `name` among `all`; the message of an unknown name says where
    /// listings live, and which name is nearest.
    pub fn named<'a>(all: &'a [Listing], name: &str) -> Result<&'a Listing> {
        if let Some(listing) = all.iter().find(|l| l.name == name) {
            return Ok(listing);
        }
        let nearest = all
            .iter()
            .map(|l| (edit_distance(&l.name, name), &l.name))
            .min()
            .filter(|(distance, _)| *distance <= name.len().max(6) / 3)
            .map_or_else(String::new, |(_, near)| {
                format!("; did you mean {near}?")
            });
        bail!(
            "no listing named {name:?}: a listing is {PROGRAMS_DIR}/NAME.rs or \
             {COMPILE_FAIL_DIR}/NAME.rs, with its NAME.toml{nearest}"
        )
    }

    /// The folder of the listing's source, relative to the project root.
    pub fn folder(&self) -> &Path {
        self.source.parent().unwrap_or(Path::new(""))
    }

    /// The file name of the listing's source.
    pub fn file_name(&self) -> String {
        self.source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The listing's stored output (`listings/output/NAME.txt`) in the project at `root`;
    /// the one place that reads it, and the one message when it is missing or malformed.
    pub fn stored_output(
        &self,
        root: &Path,
    ) -> anyhow::Result<crate::output::StoredOutput> {
        let path = self.output_path();
        let file = std::fs::read_to_string(root.join(&path)).map_err(|_| {
            anyhow::anyhow!(
                "{}: no stored output of {}; make it with `{}`",
                path.display(),
                self.name,
                self.refresh_command()
            )
        })?;
        crate::output::StoredOutput::parse(&file).ok_or_else(|| {
            anyhow::anyhow!(
                "{}: does not start with `$ COMMAND`; remake it with `{}`",
                path.display(),
                self.refresh_command()
            )
        })
    }

    /// The listing's output in a folder of outputs (`cargo book compare`'s, another
    /// machine's), if there is one.
    pub fn output_in(&self, dir: &Path) -> Option<crate::output::StoredOutput> {
        crate::output::StoredOutput::read(&dir.join(self.output_file()))
    }

    /// The sidecar `NAME.toml` beside the listing's source.
    pub fn sidecar(&self) -> PathBuf {
        self.source.with_extension("toml")
    }

    /// The stored output, relative to the project root.
    pub fn output_path(&self) -> PathBuf {
        Path::new(OUTPUTS_DIR).join(self.output_file())
    }

    /// The name of the listing's output file in any folder of outputs: `NAME.txt`.
    pub fn output_file(&self) -> String {
        facts::output::file_name(&self.name)
    }

    /// The command a reader types to run the listing, as shown in the book.
    pub fn command(&self) -> String {
        let mut words: Vec<String> = match self.kind {
            Kind::Program => {
                let mut words = vec!["cargo".into(), "run".into()];
                if self.spec.measurement {
                    words.push("--release".into());
                }
                words.extend(
                    ["-p", "listings", "--bin", &self.name].map(String::from),
                );
                if !self.spec.args.is_empty() {
                    words.push("--".into());
                }
                words
            }
            // Run in its folder, so that the paths rustc quotes are short enough for the
            // output column (120).
            Kind::CompileFail => {
                let mut words: Vec<String> =
                    ["cd", &self.folder().display().to_string(), "&&", "rustc"]
                        .map(String::from)
                        .to_vec();
                words.extend(self.compiler_args());
                words
            }
        };
        words.extend(self.spec.args.iter().cloned());
        words.join(" ")
    }

    /// rustc's arguments for a compile-fail listing, run in its folder: in the command the
    /// book shows ([`Listing::command`]) and in the one the tests run (`run::run_listing`).
    pub fn compiler_args(&self) -> [String; 3] {
        ["--edition".to_owned(), EDITION.to_owned(), self.file_name()]
    }

    /// The one-line command that rewrites this listing's stored output.
    pub fn refresh_command(&self) -> String {
        format!("cargo book refresh {}", self.name)
    }
}

/// Levenshtein's distance between two names, in characters: how near a mistyped name is.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tell_chapter_and_order() {
        assert_eq!(
            Position::parse("ch01-02-fork"),
            Some(Position::Numbered {
                chapter: 1,
                order: 2
            })
        );
        assert_eq!(
            Position::parse("ch03-ex01-zombie-hunt"),
            Some(Position::Exercise {
                chapter: 3,
                order: 1
            })
        );
        for bad in [
            "fork",
            "ch1-02-fork",
            "ch01-2-fork",
            "ch01-02-",
            "ch01-02-Fork",
        ] {
            assert_eq!(Position::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_distance_between_names() {
        assert_eq!(edit_distance("ch01-02-fork", "ch01-02-fork"), 0);
        assert_eq!(edit_distance("ch01-02-fork", "ch01-02-f00k"), 2);
        assert_eq!(edit_distance("ch01-02-fork", "ch01-03-fork"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
