//! `cargo book compare --export NAME`: a reader's full run kept as `machines/NAME/`.
//!
//! The run is kept as a result of the repository: the outputs as `compare` stored them, what
//! `compare` printed (every claim's verdict, every measured value beside the book's) and a
//! README.md to complete by hand (what the machine is). The book test then checks every output against
//! its listing and judges every claim on it (`verify::check_other_machine`,
//! `verify::check_claims_elsewhere`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::Project;
use crate::compare::{OUTPUTS, Report};
use crate::paths::{MACHINE_OUTPUTS, MACHINES_DIR};

/// Whether `name` can name a machine's folder: lower case, digits and dashes, as
/// `intel-xeon-2vcpu`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Writes `machines/NAME/` from the compare folder `out` and its `report`; returns the folder.
/// Refuses a quick run or one with failures: a result is a full run that ran everything.
pub fn export(
    project: &Project,
    name: &str,
    out: &Path,
    report: &Report,
) -> Result<PathBuf> {
    if report.quick {
        bail!(
            "a --quick run has too few repetitions to stand for a machine: run \
             `cargo book compare --export {name}` without --quick"
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
    let folder = project.root.join(MACHINES_DIR).join(name);
    let outputs = folder.join(MACHINE_OUTPUTS);
    if outputs.exists() {
        std::fs::remove_dir_all(&outputs)
            .with_context(|| format!("cannot empty {}", outputs.display()))?;
    }
    std::fs::create_dir_all(&outputs)
        .with_context(|| format!("cannot create {}", outputs.display()))?;
    for listing in &report.listings {
        let file = format!("{}.txt", listing.name);
        let from = out.join(OUTPUTS).join(&file);
        std::fs::copy(&from, outputs.join(&file))
            .with_context(|| format!("cannot copy {}", from.display()))?;
    }
    let text = report.terminal();
    std::fs::write(folder.join("compare-report.txt"), &text)
        .with_context(|| format!("cannot write into {}", folder.display()))?;
    let readme = folder.join("README.md");
    if !readme.exists() {
        std::fs::write(&readme, readme_template(project, name, report))
            .with_context(|| format!("cannot write {}", readme.display()))?;
    }
    Ok(folder)
}

fn readme_template(project: &Project, name: &str, report: &Report) -> String {
    let machine = report
        .your_machine
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
    format!(
        "# {name}\n\n\
         - `{machine}`\n\
         - TO COMPLETE: bare metal or VM, laptop or server, the CPU model, the caches, the \
         cpuidle driver, a container or CPU limits.\n\
         - Made from commit {commit} of the book with `cargo book compare --export {name}`.\n\
         - What `compare` found then: {held} of {judged} claims held.\n\
         - Outputs removed since, because their listing changed: none.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn machine_names_are_folder_names() {
        assert!(valid_name("intel-xeon-2vcpu"));
        for bad in ["", "-x", "Intel", "a b", "../x", "a/b"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }
}
