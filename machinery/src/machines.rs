//! The machines the book has run on: the book's own (its stored outputs, `listings/output/`)
//! and every machine of `machines/NAME/outputs/` (`cargo book compare --export`). For each
//! claim, on which of them it holds: shown under each output, in the verdicts' popovers and
//! in the Machines appendix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::Project;
use crate::claims::{self, Verdict};
use crate::listing::Listing;
use crate::output::{StoredOutput, machine_line};
use crate::paths::{MACHINE_OUTPUTS, MACHINES_DIR, OUTPUTS_DIR};

/// The name the book's own machine goes by, beside the folders of `machines/`.
pub const BOOK: &str = "the book's machine";

/// One machine and where its outputs are.
#[derive(Debug, Clone)]
pub struct Machine {
    /// [`BOOK`], or the folder's name under `machines/`.
    pub name: String,
    /// Its outputs, `NAME.txt` each.
    pub outputs: PathBuf,
}

impl Machine {
    /// Its output of `listing`, if it has one.
    pub fn output(&self, listing: &str) -> Option<StoredOutput> {
        StoredOutput::read(&self.outputs.join(format!("{listing}.txt")))
    }

    /// The machine lines its outputs print (`bench::machine()`), each with how many outputs
    /// print it: one line for a run made at once, more where outputs were made apart.
    pub fn lines(&self) -> Vec<(String, usize)> {
        let mut lines: BTreeMap<String, usize> = BTreeMap::new();
        for entry in std::fs::read_dir(&self.outputs)
            .into_iter()
            .flatten()
            .flatten()
        {
            if let Some(line) = std::fs::read_to_string(entry.path())
                .ok()
                .and_then(|text| machine_line(&text))
            {
                *lines.entry(line).or_default() += 1;
            }
        }
        let mut lines: Vec<(String, usize)> = lines.into_iter().collect();
        lines.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        lines
    }
}

/// On which machines one claim holds, and on which it does not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spread {
    pub holds_on: Vec<String>,
    pub fails_on: Vec<String>,
}

impl Spread {
    /// "holds on 2 of 2 machines".
    pub fn summary(&self) -> String {
        let judged = self.holds_on.len() + self.fails_on.len();
        let machines = if judged == 1 { "machine" } else { "machines" };
        format!("holds on {} of {judged} {machines}", self.holds_on.len())
    }

    /// Where it was judged and how: "the book's machine; not on intel-xeon-2vcpu".
    pub fn detail(&self) -> String {
        let (holds, fails) =
            (self.holds_on.join(", "), self.fails_on.join(", "));
        match (holds.is_empty(), fails.is_empty()) {
            (_, true) => holds,
            (true, false) => format!("not on {fails}"),
            (false, false) => format!("{holds}; not on {fails}"),
        }
    }
}

/// Every machine the book has outputs from, the book's first.
#[derive(Debug, Clone)]
pub struct Machines {
    pub all: Vec<Machine>,
}

impl Machines {
    pub fn load(project: &Project) -> Result<Machines> {
        let mut all = vec![Machine {
            name: BOOK.to_owned(),
            outputs: project.root.join(OUTPUTS_DIR),
        }];
        let dir = project.root.join(MACHINES_DIR);
        if dir.is_dir() {
            let mut others = Vec::new();
            for entry in std::fs::read_dir(&dir)
                .with_context(|| format!("cannot read {}", dir.display()))?
            {
                let path = entry?.path();
                if path.join(MACHINE_OUTPUTS).is_dir() {
                    others.push(Machine {
                        name: file_name(&path),
                        outputs: path.join(MACHINE_OUTPUTS),
                    });
                }
            }
            others.sort_by(|a, b| a.name.cmp(&b.name));
            all.extend(others);
        }
        Ok(Machines { all })
    }

    /// The listing's claims judged on each machine that has an output of it (an output
    /// whose values cannot be read counts as none).
    /// An output whose machine line is one an earlier folder's output of the same listing
    /// printed comes from the same machine: it is counted once.
    pub fn verdicts(&self, listing: &Listing) -> Vec<(&Machine, Vec<Verdict>)> {
        let mut lines_seen = Vec::new();
        self.all
            .iter()
            .filter_map(|machine| {
                let output = machine.output(&listing.name)?;
                if let Some(line) = machine_line(&output.text) {
                    if lines_seen.contains(&line) {
                        return None;
                    }
                    lines_seen.push(line);
                }
                let readings =
                    claims::read_values(&listing.spec.values, &output.text)
                        .ok()?;
                Some((machine, claims::judge(&listing.spec.claims, &readings)))
            })
            .collect()
    }

    /// For each claim of the listing (by id), the machines it holds on and those it does not.
    pub fn spreads(&self, listing: &Listing) -> BTreeMap<String, Spread> {
        let mut spreads: BTreeMap<String, Spread> = listing
            .spec
            .claims
            .iter()
            .map(|c| (c.id.clone(), Spread::default()))
            .collect();
        for (machine, verdicts) in self.verdicts(listing) {
            for verdict in verdicts {
                let spread =
                    spreads.entry(verdict.claim.id.clone()).or_default();
                if verdict.holds() {
                    spread.holds_on.push(machine.name.clone());
                } else {
                    spread.fails_on.push(machine.name.clone());
                }
            }
        }
        spreads
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn a_spread_says_where() {
        let spread = Spread {
            holds_on: vec!["the book's".into()],
            fails_on: vec!["intel".into()],
        };
        assert_eq!(spread.summary(), "holds on 1 of 2 machines");
        assert_eq!(spread.detail(), "the book's; not on intel");
    }
}
