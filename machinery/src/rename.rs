//! `cargo book rename OLD NEW`: a listing renamed or renumbered without being run again.
//!
//! The listing's source and sidecar move to the new name, and so do its stored output and
//! the outputs other machines made of it (`machines/NAME/outputs/`). An output's first line,
//! `$ COMMAND`, names the listing; the tool rewrites that line, and only that line, to the
//! command the book now shows: the one exception to "an output is written only by a run",
//! made by the tool, never by hand. Every mention of the old name in the chapters, the
//! sidecars and sources of the listings, the figures' sources, the machines' folders and
//! the top-level documents is rewritten: `{{#listing}}`, `{{#value}}`, `{{#verdict}}`,
//! `{{#machines}}`, `#listing-OLD` links (with their "Listing N.M" text) and a figure's
//! `stored_output("OLD")`. Nothing is written until everything has been checked.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use anyhow::{Context, Result, bail};
use regex::Regex;

use crate::Project;
use crate::listing::{Kind, Listing, Position};
use crate::output::StoredOutput;
use crate::paths::{
    CHAPTERS_DIR, COMPILE_FAIL_DIR, MACHINE_OUTPUTS, MACHINES_DIR, PROGRAMS_DIR,
};

/// The figures' sources, whose `stored_output("LISTING")` name the listings they read.
const FIGURE_SOURCES: &str = "figures/src";

/// What a rename did, relative to the project's root.
#[derive(Debug, Default)]
pub struct Renamed {
    /// Files moved to the new name: (from, to).
    pub moved: Vec<(PathBuf, PathBuf)>,
    /// Files whose text now names the listing by its new name.
    pub rewritten: Vec<PathBuf>,
    /// What is left to the author, each with the file it concerns.
    pub notes: Vec<String>,
}

/// A file to write: its path relative to the root, and its new text.
struct Write {
    path: PathBuf,
    text: String,
}

/// Renames the listing `old` to `new` in the project: see the module's documentation.
pub fn rename(project: &Project, old: &str, new: &str) -> Result<Renamed> {
    let all = Listing::all(project)?;
    let listing = Listing::named(&all, old)?;
    let machines = machine_outputs(project)?;
    let renamed = checked_new_name(project, listing, new, &machines)?;
    let mut plan = Plan::default();
    plan.own_files(project, listing, &renamed, &machines)?;
    plan.mentions(project, listing, &renamed)?;
    if listing.position.chapter() != renamed.position.chapter() {
        plan.done.notes.push(format!(
            "{new} now belongs to chapter {}: move its {{{{#listing {new}}}}} into that \
             chapter, in the order of its number",
            renamed.position.chapter()
        ));
    }
    plan.apply(project)
}

/// The listing as it will be under `new`, once `new` is checked: a listing's name, not its
/// current one, and free in every folder that could hold its files.
fn checked_new_name(
    project: &Project,
    listing: &Listing,
    new: &str,
    machines: &[PathBuf],
) -> Result<Listing> {
    let old = &listing.name;
    let Some(position) = Position::parse(new) else {
        bail!(
            "{new:?} is not a listing's name: chNN-MM-short-name or chNN-exMM-short-name \
             (lowercase, digits and dashes); choose another"
        );
    };
    if old == new {
        bail!("{old} is already called {new}: nothing to rename");
    }
    let dir = Path::new(match listing.kind {
        Kind::Program => PROGRAMS_DIR,
        Kind::CompileFail => COMPILE_FAIL_DIR,
    });
    let renamed = Listing {
        name: new.to_owned(),
        position,
        source: dir.join(format!("{new}.rs")),
        ..listing.clone()
    };
    let mut taken: Vec<PathBuf> = vec![
        Path::new(PROGRAMS_DIR).join(format!("{new}.rs")),
        Path::new(PROGRAMS_DIR).join(format!("{new}.toml")),
        Path::new(COMPILE_FAIL_DIR).join(format!("{new}.rs")),
        Path::new(COMPILE_FAIL_DIR).join(format!("{new}.toml")),
        renamed.output_path(),
    ];
    taken.extend(machines.iter().map(|dir| dir.join(format!("{new}.txt"))));
    if let Some(there) = taken.iter().find(|p| project.root.join(p).exists()) {
        bail!(
            "{}: already exists, so {new} is taken; choose another name, or rename that \
             listing first (renumbering a chapter goes from its last listing to its first)",
            there.display()
        );
    }
    Ok(renamed)
}

/// What a rename will write and remove, gathered before anything is touched.
#[derive(Default)]
struct Plan {
    done: Renamed,
    writes: Vec<Write>,
    removes: Vec<PathBuf>,
}

impl Plan {
    /// The listing's own files, its mentions of itself rewritten too, and its outputs: the
    /// book's and each machine's.
    fn own_files(
        &mut self,
        project: &Project,
        listing: &Listing,
        renamed: &Listing,
        machines: &[PathBuf],
    ) -> Result<()> {
        let (old, new) = (&listing.name, &renamed.name);
        for (from, to) in [
            (listing.source.clone(), renamed.source.clone()),
            (listing.sidecar(), renamed.sidecar()),
        ] {
            let text = read(project, &from)?;
            let text = mentions_renamed(&text, old, new).unwrap_or(text);
            self.moved(from, to, text);
        }
        let mut outputs = vec![(listing.output_path(), renamed.output_path())];
        outputs.extend(machines.iter().map(|dir| {
            (
                dir.join(format!("{old}.txt")),
                dir.join(format!("{new}.txt")),
            )
        }));
        for (from, to) in outputs {
            if !project.root.join(&from).exists() {
                continue;
            }
            let (text, note) =
                output_renamed(project, &from, listing, renamed)?;
            self.done.notes.extend(note);
            self.moved(from, to, text);
        }
        Ok(())
    }

    fn moved(&mut self, from: PathBuf, to: PathBuf, text: String) {
        self.writes.push(Write {
            path: to.clone(),
            text,
        });
        self.removes.push(from.clone());
        self.done.moved.push((from, to));
    }

    /// Every other file that may name the listing, and the "Listing N.M" labels of links.
    fn mentions(
        &mut self,
        project: &Project,
        listing: &Listing,
        renamed: &Listing,
    ) -> Result<()> {
        let (old, new) = (&listing.name, &renamed.name);
        let (old_label, new_label) =
            (listing.position.to_string(), renamed.position.to_string());
        for path in mentioning_files(project)? {
            if self.removes.contains(&path) {
                continue;
            }
            let text = read(project, &path)?;
            let mut changed = mentions_renamed(&text, old, new);
            if path.extension().is_some_and(|e| e == "md") {
                let current = changed.as_deref().unwrap_or(&text);
                if let Some(relabelled) =
                    link_labels_renamed(current, new, &old_label, &new_label)
                {
                    changed = Some(relabelled);
                }
                if old_label != new_label {
                    let after = changed.as_deref().unwrap_or(&text);
                    self.done
                        .notes
                        .extend(label_mentions(&path, after, &old_label));
                }
            }
            if let Some(text) = changed {
                self.done.rewritten.push(path.clone());
                self.writes.push(Write { path, text });
            }
        }
        Ok(())
    }

    /// Writes every new file, then removes the old ones.
    fn apply(self, project: &Project) -> Result<Renamed> {
        for write in &self.writes {
            let path = project.root.join(&write.path);
            std::fs::write(&path, &write.text).with_context(|| {
                format!("cannot write {}", write.path.display())
            })?;
        }
        for path in &self.removes {
            std::fs::remove_file(project.root.join(path))
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
        Ok(self.done)
    }
}

fn read(project: &Project, path: &Path) -> Result<String> {
    std::fs::read_to_string(project.root.join(path))
        .with_context(|| format!("cannot read {}", path.display()))
}

/// Every machine's (and shape's) folder of outputs, relative to the root.
fn machine_outputs(project: &Project) -> Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for (_, folder, _) in crate::machines::result_folders(&project.root)? {
        let outputs = folder.join(MACHINE_OUTPUTS);
        if outputs.is_dir() {
            let relative =
                outputs.strip_prefix(&project.root).unwrap_or(&outputs);
            dirs.push(relative.to_path_buf());
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// An output of `listing` at `path`, its `$ COMMAND` line made the command of `renamed`.
/// A first line that is not the command the book runs today is stale: the rename refuses
/// to carry it over as if it were current. Also returns a note when the run printed the
/// listing's name (a program that prints its own name, a panic's file, rustc's `-->`), which
/// a new run prints otherwise.
fn output_renamed(
    project: &Project,
    path: &Path,
    listing: &Listing,
    renamed: &Listing,
) -> Result<(String, Option<String>)> {
    let shown = path.display();
    let stored = StoredOutput::parse(&read(project, path)?).with_context(|| {
        format!(
            "{shown}: does not start with `$ COMMAND`; remake it with `{}` before renaming",
            listing.refresh_command()
        )
    })?;
    if stored.command != listing.command() {
        bail!(
            "{shown}: made with `{}`, but the book now runs `{}`: it is stale, and a rename \
             would present it as current. Refresh it first (`{}`; for another machine's \
             output, delete it and say so in that machine's README.md)",
            stored.command,
            listing.command(),
            listing.refresh_command()
        );
    }
    let lines: Vec<usize> = stored
        .text
        .lines()
        .enumerate()
        .filter(|(_, line)| mentions_renamed(line, &listing.name, "").is_some())
        .map(|(n, _)| n + 2)
        .collect();
    let note = (!lines.is_empty()).then(|| {
        format!(
            "{}: what the run printed names {} (line {}), as a new run will print {}: \
             refresh it with `{}` (the rename changes only the `$ COMMAND` line)",
            renamed.output_path().display(),
            listing.name,
            lines
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            renamed.name,
            renamed.refresh_command()
        )
    });
    let text = StoredOutput {
        command: renamed.command(),
        text: stored.text,
    }
    .render();
    Ok((text, note))
}

/// The files that may mention a listing by name, relative to the root, sorted: the
/// chapters, the listings' sources and sidecars, the figures' sources, the machines'
/// folders (their outputs aside, their `why-not.toml` included), the listings' manifest and
/// the top-level documents.
fn mentioning_files(project: &Project) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let wanted: [(&str, &[&str]); 5] = [
        (CHAPTERS_DIR, &["md"]),
        (PROGRAMS_DIR, &["rs", "toml"]),
        (COMPILE_FAIL_DIR, &["rs", "toml"]),
        (FIGURE_SOURCES, &["rs"]),
        (MACHINES_DIR, &["md", "txt", "toml"]),
    ];
    for (dir, extensions) in wanted {
        walk(project, Path::new(dir), extensions, &mut files)?;
    }
    // The outputs are moved, their first line rewritten, by `output_renamed`.
    files.retain(|f| f.parent().is_none_or(|p| !p.ends_with(MACHINE_OUTPUTS)));
    for entry in std::fs::read_dir(&project.root)
        .with_context(|| format!("cannot read {}", project.root.display()))?
    {
        let name = PathBuf::from(entry?.file_name());
        if name.extension().is_some_and(|e| e == "md") {
            files.push(name);
        }
    }
    // Each listing's `[[bin]]` entry (`test = false`).
    let manifest = Path::new(crate::paths::LISTINGS_DIR).join("Cargo.toml");
    if project.root.join(&manifest).is_file() {
        files.push(manifest);
    }
    files.sort();
    Ok(files)
}

fn walk(
    project: &Project,
    dir: &Path,
    extensions: &[&str],
    files: &mut Vec<PathBuf>,
) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(project.root.join(dir)) else {
        return Ok(()); // a project without that folder
    };
    for entry in entries {
        let entry =
            entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let path = dir.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            walk(project, &path, extensions, files)?;
        } else if path
            .extension()
            .is_some_and(|e| extensions.iter().any(|x| e == *x))
        {
            files.push(path);
        }
    }
    Ok(())
}

/// A character of a listing's name.
fn in_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `text` with each mention of the listing `old` replaced by `new`, or `None` if it has
/// none. A mention is the whole name: not part of a longer name (`OLD-more`, `xOLD`), and
/// either on its own or right after `listing-` (the id of its figure, `#listing-OLD`).
fn mentions_renamed(text: &str, old: &str, new: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, _) in text.match_indices(old) {
        let end = start + old.len();
        let before = &text[..start];
        let whole_before =
            before.chars().next_back().is_none_or(|c| !in_name(c))
                || before.ends_with("listing-");
        let whole_after =
            text[end..].chars().next().is_none_or(|c| !in_name(c));
        if whole_before && whole_after && start >= last {
            out.push_str(&text[last..start]);
            out.push_str(new);
            last = end;
        }
    }
    if last == 0 {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// A link to the listing's figure, `[Listing 3.6](...#listing-NAME)`, whose text is the old
/// label: the new label instead.
fn link_labels_renamed(
    text: &str,
    name: &str,
    old_label: &str,
    new_label: &str,
) -> Option<String> {
    static LINK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\[([^\]]+)\]\(([^)\s]*#listing-([a-z0-9-]+))\)")
            .expect("valid regex")
    });
    if old_label == new_label {
        return None;
    }
    let mut changed = false;
    let text = LINK.replace_all(text, |caps: &regex::Captures| {
        if &caps[3] == name && &caps[1] == old_label {
            changed = true;
            format!("[{new_label}]({})", &caps[2])
        } else {
            caps[0].to_owned()
        }
    });
    changed.then(|| text.into_owned())
}

/// The places of `text` (the file `path`) that still say "Listing 3.6" outside a link: the
/// author decides whether each means the renamed listing.
fn label_mentions(path: &Path, text: &str, old_label: &str) -> Vec<String> {
    if !old_label.starts_with("Listing ") {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            line.match_indices(old_label).any(|(i, _)| {
                !line[i + old_label.len()..].starts_with(|c: char| c.is_ascii_digit())
                    && !line[..i].ends_with('[')
            })
        })
        .map(|(n, _)| {
            format!(
                "{}:{}: says \"{old_label}\" in its text: if it means the renamed listing, \
                 update the number",
                path.display(),
                n + 1
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_mentions_of_the_name_are_rewritten() {
        let text = "{{#listing ch01-02-fork:all}} [Listing 1.2](a.md#listing-ch01-02-fork) \
                    ch01-02-fork-more xch01-02-fork ch01-02-fork.rs ch01-02-fork/claim \
                    \"ch01-02-fork\"";
        assert_eq!(
            mentions_renamed(text, "ch01-02-fork", "ch01-03-fork").unwrap(),
            "{{#listing ch01-03-fork:all}} [Listing 1.2](a.md#listing-ch01-03-fork) \
             ch01-02-fork-more xch01-02-fork ch01-03-fork.rs ch01-03-fork/claim \
             \"ch01-03-fork\""
        );
        assert_eq!(
            mentions_renamed("ch01-02-forked", "ch01-02-fork", "x"),
            None
        );
    }

    #[test]
    fn link_texts_follow_the_number() {
        let text = "[Listing 1.2](#listing-ch01-03-fork), [see](#listing-ch01-03-fork), \
                    [Listing 1.2](#listing-ch01-02-other)";
        assert_eq!(
            link_labels_renamed(
                text,
                "ch01-03-fork",
                "Listing 1.2",
                "Listing 1.3"
            )
            .unwrap(),
            "[Listing 1.3](#listing-ch01-03-fork), [see](#listing-ch01-03-fork), \
             [Listing 1.2](#listing-ch01-02-other)"
        );
        let notes = label_mentions(
            Path::new("src/a.md"),
            "as Listing 1.2 shows\n[Listing 1.2](x)\nListing 1.21",
            "Listing 1.2",
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("src/a.md:1: "), "{notes:?}");
    }
}
