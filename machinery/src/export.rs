//! `cargo book compare --export NAME [--shape SHAPE]`: a reader's full run kept as a result
//! of the repository.
//!
//! It goes to `machines/NAME/` (or, for a shape of that machine such as one CPU,
//! `machines/NAME/shapes/SHAPE/`): the outputs as `compare` stored them, what `compare`
//! printed (every claim's verdict, every measured value beside the book's), a README.md whose
//! generated part is rewritten by each export and whose description of the machine is
//! written by hand, and `why-not.toml`, one entry per claim that failed, to explain by hand.
//! The book test then checks every output against its listing and judges every claim on it
//! (`verify::check_other_machine`, `verify::check_claims_elsewhere`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::Project;
use crate::compare::Report;
use crate::machines::read_reasons;
use crate::paths::{
    COMPARE_OUTPUTS, MACHINE_OUTPUTS, MACHINE_REPORT, MACHINE_SHAPES,
    MACHINE_WHY_NOT, MACHINES_DIR,
};
use crate::verify::TO_EXPLAIN;

/// What the README a first export writes says where the contributor has to describe the
/// machine; the book test refuses a README that still says it.
pub const TO_COMPLETE: &str = "TO COMPLETE";

/// The README's part that each export rewrites lies between these two lines.
const GENERATED_BEGIN: &str =
    "<!-- written by cargo book compare --export: begin -->";
const GENERATED_END: &str =
    "<!-- written by cargo book compare --export: end -->";

/// Whether `name` can name a machine's folder: lower case, digits and dashes, as
/// `intel-xeon-2vcpu`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Writes `machines/NAME/` (or `machines/NAME/shapes/SHAPE/`) from the compare folder `out`
/// and its `report`; returns the folder. Refuses a quick run or one with failures: a result
/// is a full run that ran everything; and a shape of a machine the repository does not have.
pub fn export(
    project: &Project,
    name: &str,
    shape: Option<&str>,
    out: &Path,
    report: &Report,
) -> Result<PathBuf> {
    refuse_incomplete(name, shape, report)?;
    let machine = project.root.join(MACHINES_DIR).join(name);
    let folder = match shape {
        None => machine,
        Some(shape) => {
            if !machine.join("README.md").is_file() {
                bail!(
                    "{}: no such machine; a shape is recorded inside its machine's \
                     folder: export the whole machine first (`cargo book compare --export \
                     {name}`, without taskset or a cpuset)",
                    machine.display()
                );
            }
            machine.join(MACHINE_SHAPES).join(shape)
        }
    };
    copy_outputs(&folder.join(MACHINE_OUTPUTS), out, report)?;
    write(&folder.join(MACHINE_REPORT), &report.terminal())?;
    let readme = folder.join("README.md");
    let kept = std::fs::read_to_string(&readme).ok();
    write(
        &readme,
        &readme_text(kept.as_deref(), project, name, shape, report),
    )?;
    write(
        &folder.join(MACHINE_WHY_NOT),
        &why_not_text(&folder, report)?,
    )?;
    Ok(folder)
}

/// A result is a full run that ran everything: no `--quick`, no listing that failed.
fn refuse_incomplete(
    name: &str,
    shape: Option<&str>,
    report: &Report,
) -> Result<()> {
    let again = match shape {
        Some(shape) => format!("--export {name} --shape {shape}"),
        None => format!("--export {name}"),
    };
    if report.quick {
        bail!(
            "a --quick run has too few repetitions to stand for a machine: run \
             `cargo book compare {again}` without --quick"
        );
    }
    let failed: Vec<&str> = report
        .listings
        .iter()
        .filter(|l| matches!(l.outcome, crate::compare::Outcome::Failed(_)))
        .map(|l| l.name.as_str())
        .collect();
    if !failed.is_empty() {
        bail!(
            "not exported: {} failed on this machine (see the report above); a result \
             holds outputs of listings that ran",
            failed.join(", ")
        );
    }
    Ok(())
}

/// `outputs/` emptied, then filled with the outputs of this run.
fn copy_outputs(outputs: &Path, out: &Path, report: &Report) -> Result<()> {
    if outputs.exists() {
        std::fs::remove_dir_all(outputs)
            .with_context(|| format!("cannot empty {}", outputs.display()))?;
    }
    std::fs::create_dir_all(outputs)
        .with_context(|| format!("cannot create {}", outputs.display()))?;
    for listing in &report.listings {
        let file = facts::output::file_name(&listing.name);
        let from = out.join(COMPARE_OUTPUTS).join(&file);
        std::fs::copy(&from, outputs.join(&file))
            .with_context(|| format!("cannot copy {}", from.display()))?;
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The README: the hand-written description kept, the generated part (machine line, commit,
/// what compare found) written again between its markers.
fn readme_text(
    kept: Option<&str>,
    project: &Project,
    name: &str,
    shape: Option<&str>,
    report: &Report,
) -> String {
    let machine_line = report
        .machines
        .mine
        .as_deref()
        .unwrap_or("(no machine line found)");
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(&project.root)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "(unknown)".to_owned());
    let (held, judged, _) = report.claim_counts();
    let matched = report
        .listings
        .iter()
        .filter(|l| matches!(l.outcome, crate::compare::Outcome::Matches))
        .count();
    let command = match shape {
        Some(shape) => {
            format!("cargo book compare --export {name} --shape {shape}")
        }
        None => format!("cargo book compare --export {name}"),
    };
    let generated = format!(
        "{GENERATED_BEGIN}\n\
         - Its outputs print `{machine_line}`.\n\
         - Made from commit {commit} of the book with `{command}`.\n\
         - What `compare` found: {matched} of {} listings match the book; {held} of {judged} \
         claims hold (`compare-report.txt`); why each other one fails here: `{MACHINE_WHY_NOT}`.\n\
         {GENERATED_END}\n",
        report.listings.len()
    );
    match kept.map(|text| with_generated(text, &generated)) {
        Some(text) => text,
        None => {
            let title = match shape {
                Some(shape) => format!("{name}, shape {shape}"),
                None => name.to_owned(),
            };
            let what = match shape {
                Some(_) => {
                    "how the run was confined (`taskset -c 1`, a cgroup's cpuset or quota) \
                     and why"
                }
                None => {
                    "bare metal or VM, laptop or server, the CPU model, the caches, the \
                     cpuidle driver, a container or CPU limits"
                }
            };
            format!(
                "# {title}\n\n- {TO_COMPLETE}: {what}.\n{generated}\
                 - Outputs removed since, because their listing changed: none.\n"
            )
        }
    }
}

/// `text` with its generated part replaced by `generated`; a README written by hand
/// before the markers existed is kept whole, the part added at its end.
fn with_generated(text: &str, generated: &str) -> String {
    let found = text.find(GENERATED_BEGIN).zip(text.find(GENERATED_END));
    match found {
        Some((begin, end)) if begin < end => {
            let end = end + GENERATED_END.len();
            let end = end + usize::from(text[end..].starts_with('\n'));
            format!("{}{generated}{}", &text[..begin], &text[end..])
        }
        _ => format!("{}\n{generated}", text.trim_end()),
    }
}

/// `why-not.toml`: an entry for every claim that failed in this run, the reason kept where
/// an earlier export's entry was explained, [`TO_EXPLAIN`] where it is new.
fn why_not_text(folder: &Path, report: &Report) -> Result<String> {
    let known = read_reasons(folder)?;
    let mut text = String::from(
        "# Why claims of the book do not hold on this machine: one entry per claim that\n\
         # fails here, saying what about the machine (or this run) makes it fail, from what\n\
         # its output shows. Checked by the book test (machines::NAME::LISTING).\n",
    );
    for listing in &report.listings {
        let failing: Vec<_> = listing
            .claims
            .iter()
            .filter(|row| row.mine.as_ref().is_some_and(|v| !v.holds()))
            .collect();
        if failing.is_empty() {
            continue;
        }
        text += &format!("\n[{}]\n", listing.name);
        for row in failing {
            let id = &row.book.claim.id;
            let reason = known
                .get(&listing.name)
                .and_then(|reasons| reasons.get(id))
                .cloned()
                .unwrap_or_else(|| {
                    format!(
                        "{TO_EXPLAIN}: \"{}\" does not hold here",
                        row.book.claim.says
                    )
                });
            text += &format!("{id} = {}\n", toml::Value::String(reason));
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::{GENERATED_BEGIN, GENERATED_END, valid_name, with_generated};

    #[test]
    fn a_new_export_rewrites_only_the_generated_part() {
        let part = |what: &str| {
            format!("{GENERATED_BEGIN}\n- {what}\n{GENERATED_END}\n")
        };
        let readme = format!("# m\n\n- by hand\n{}- after\n", part("old"));
        assert_eq!(
            with_generated(&readme, &part("new")),
            format!("# m\n\n- by hand\n{}- after\n", part("new"))
        );
        assert_eq!(
            with_generated("# m\n\n- by hand\n", &part("new")),
            format!("# m\n\n- by hand\n{}", part("new"))
        );
    }

    #[test]
    fn machine_names_are_folder_names() {
        assert!(valid_name("intel-xeon-2vcpu"));
        for bad in ["", "-x", "Intel", "a b", "../x", "a/b"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }
}
