//! The machines the book has run on, and on which of them each claim holds.
//!
//! The book's own machine (its stored outputs, `listings/output/`) and every machine of
//! `machines/NAME/outputs/` (`cargo book compare --export`), with the shapes of each (one
//! CPU, a cpuset: `machines/NAME/shapes/SHAPE/outputs/`), and why claims fail on each
//! (`why-not.toml`). For each claim, on which of them it holds: shown under each output, in
//! the verdicts' popovers and in the Machines appendix, whose HTML is built here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use maud::{Markup, html};

use crate::Project;
use crate::claims::{self, Verdict};
use crate::listing::Listing;
use crate::output::{StoredOutput, machine_line};
use crate::paths::{
    MACHINE_OUTPUTS, MACHINE_SHAPES, MACHINE_WHY_NOT, MACHINES_DIR, OUTPUTS_DIR,
};

/// The name the book's own machine goes by, beside the folders of `machines/`.
pub const BOOK: &str = "the book's machine";

/// Why claims fail on one machine: listing name → claim id → the reason, as that machine's
/// `why-not.toml` gives it (`[ch03-03-context-switch]` then `l2-fits-one = "..."`).
pub type Reasons = BTreeMap<String, BTreeMap<String, String>>;

/// One machine, or one shape of a machine, and where its outputs are.
#[derive(Debug, Clone)]
pub struct Machine {
    /// [`BOOK`], the folder's name under `machines/`, or for a shape `NAME/SHAPE`.
    pub name: String,
    /// The folder under `machines/` (none for the book's own machine).
    pub folder: Option<PathBuf>,
    /// Its outputs, `NAME.txt` each.
    pub outputs: PathBuf,
    /// For a shape, the shape's name (`one-cpu`); the machine is the folder above.
    pub shape: Option<String>,
}

/// The result folders under `machines/`: each machine's folder, then the folders of its
/// shapes (`machines/NAME/shapes/SHAPE/`), with their names (`NAME`, `NAME/SHAPE`); only
/// folders, sorted by name.
pub fn result_folders(
    root: &Path,
) -> Result<Vec<(String, PathBuf, Option<String>)>> {
    let mut found = Vec::new();
    for machine in sorted_folders(&root.join(MACHINES_DIR))? {
        let name = file_name(&machine);
        let shapes = sorted_folders(&machine.join(MACHINE_SHAPES))?;
        found.push((name.clone(), machine, None));
        for shape in shapes {
            let shape_name = file_name(&shape);
            found.push((
                format!("{name}/{shape_name}"),
                shape,
                Some(shape_name),
            ));
        }
    }
    Ok(found)
}

fn sorted_folders(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
    {
        let path = entry?.path();
        if path.is_dir() {
            folders.push(path);
        }
    }
    folders.sort();
    Ok(folders)
}

/// Reads a result folder's `why-not.toml` (none: no claim fails there).
pub fn read_reasons(folder: &Path) -> Result<Reasons> {
    let path = folder.join(MACHINE_WHY_NOT);
    if !path.exists() {
        return Ok(Reasons::new());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| {
        format!(
            "{}: expected [LISTING] sections of `claim-id = \"why it fails here\"`",
            path.display()
        )
    })
}

impl Machine {
    /// Its output of `listing`, if it has one.
    pub fn output(&self, listing: &str) -> Option<StoredOutput> {
        StoredOutput::read(
            &self.outputs.join(facts::output::file_name(listing)),
        )
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

/// On which machines one claim holds, and on which it does not; shapes of a machine (one
/// CPU, a cpuset) apart, since they are not other machines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spread {
    pub holds_on: Vec<String>,
    pub fails_on: Vec<String>,
    pub shapes_holding: Vec<String>,
    pub shapes_failing: Vec<String>,
    /// For each machine or shape it fails on, the reason its `why-not.toml` gives.
    pub reasons: BTreeMap<String, String>,
}

impl Spread {
    /// How many machines and shapes judged it.
    pub fn judged(&self) -> usize {
        self.holds_on.len()
            + self.fails_on.len()
            + self.shapes_holding.len()
            + self.shapes_failing.len()
    }

    /// "holds on 2 of 2 machines", and ", on 0 of 1 shape" when shapes ran the listing.
    pub fn summary(&self) -> String {
        let count = |holds: usize, fails: usize, one: &str| {
            let judged = holds + fails;
            let s = if judged == 1 { "" } else { "s" };
            format!("{holds} of {judged} {one}{s}")
        };
        let mut text = format!(
            "holds on {}",
            count(self.holds_on.len(), self.fails_on.len(), "machine")
        );
        if !self.shapes_holding.is_empty() || !self.shapes_failing.is_empty() {
            text += &format!(
                ", on {}",
                count(
                    self.shapes_holding.len(),
                    self.shapes_failing.len(),
                    "shape"
                )
            );
        }
        text
    }

    /// Where it was judged and how: "the book's machine; not on intel-xeon-2vcpu".
    pub fn detail(&self) -> String {
        let holds: Vec<&str> = self
            .holds_on
            .iter()
            .chain(&self.shapes_holding)
            .map(String::as_str)
            .collect();
        let fails: Vec<&str> = self
            .fails_on
            .iter()
            .chain(&self.shapes_failing)
            .map(String::as_str)
            .collect();
        let (holds, fails) = (holds.join(", "), fails.join(", "));
        match (holds.is_empty(), fails.is_empty()) {
            (_, true) => holds,
            (true, false) => format!("not on {fails}"),
            (false, false) => format!("{holds}; not on {fails}"),
        }
    }

    /// Whether it fails on some machine or shape.
    pub fn fails_somewhere(&self) -> bool {
        !self.fails_on.is_empty() || !self.shapes_failing.is_empty()
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
            folder: None,
            outputs: project.root.join(OUTPUTS_DIR),
            shape: None,
        }];
        for (name, folder, shape) in result_folders(&project.root)? {
            let outputs = folder.join(MACHINE_OUTPUTS);
            if outputs.is_dir() {
                all.push(Machine {
                    name,
                    folder: Some(folder),
                    outputs,
                    shape,
                });
            }
        }
        Ok(Machines { all })
    }

    /// Every output of `listing` made in the shape `shape` (`one-cpu`), on any machine: the
    /// machine's name (`NAME/SHAPE`), the file (relative to the root) and the output.
    pub fn shape_outputs(
        &self,
        listing: &Listing,
        shape: &str,
    ) -> Vec<(String, PathBuf, StoredOutput)> {
        self.all
            .iter()
            .filter(|m| m.shape.as_deref() == Some(shape))
            .filter_map(|m| {
                let output = listing.output_in(&m.outputs)?;
                let path = m.outputs.join(listing.output_file());
                Some((m.name.clone(), path, output))
            })
            .collect()
    }

    /// The first output of `listing` in the shape `shape`, with its machine's name.
    pub fn shape_output(
        &self,
        listing: &Listing,
        shape: &str,
    ) -> Option<(String, StoredOutput)> {
        self.shape_outputs(listing, shape)
            .into_iter()
            .next()
            .map(|(name, _, output)| (name, output))
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
            let reasons = machine
                .folder
                .as_deref()
                .map(read_reasons)
                .and_then(Result::ok)
                .and_then(|mut r| r.remove(&listing.name))
                .unwrap_or_default();
            for verdict in verdicts {
                let spread =
                    spreads.entry(verdict.claim.id.clone()).or_default();
                let name = machine.name.clone();
                match (verdict.holds(), machine.shape.is_some()) {
                    (true, false) => spread.holds_on.push(name),
                    (true, true) => spread.shapes_holding.push(name),
                    (false, shape) => {
                        if let Some(reason) = reasons.get(&verdict.claim.id) {
                            spread.reasons.insert(name.clone(), reason.clone());
                        }
                        if shape {
                            spread.shapes_failing.push(name)
                        } else {
                            spread.fails_on.push(name)
                        }
                    }
                }
            }
        }
        spreads
    }
}

/// One row of the appendix's table of key measures: the listing's label, the value's name,
/// and the value as each machine printed it ("—" where it has no output of the listing).
struct MeasureRow {
    label: String,
    value: String,
    cells: Vec<String>,
}

impl Machines {
    /// The Machines appendix (`{{#machines LISTING/VALUE ...}}`): every machine the book has
    /// outputs from, the `values` read on each, and every claim that does not hold on all
    /// of them, with its `why_not`. Machine lines and values come from contributed files:
    /// the HTML escapes them by construction (maud).
    pub fn appendix(
        &self,
        listings: &BTreeMap<String, Listing>,
        values: &[(String, String)],
    ) -> Result<Markup> {
        let rows = values
            .iter()
            .map(|(listing, value)| self.measure_row(listings, listing, value))
            .collect::<Result<Vec<_>>>()?;
        let mut not_everywhere = Vec::new();
        let mut everywhere = 0;
        for listing in listings.values() {
            let spreads = self.spreads(listing);
            for claim in &listing.spec.claims {
                match spreads.get(&claim.id) {
                    Some(spread) if spread.fails_somewhere() => {
                        not_everywhere.push((listing, claim, spread.clone()))
                    }
                    Some(_) => everywhere += 1,
                    None => {}
                }
            }
        }
        Ok(html! {
            (self.machines_table(listings))
            (self.measures_table(&rows))
            p {
                strong { "Claims that do not hold on every machine." }
                " Why each may not, as its sidecar says; and, for each machine or shape it \
                 fails on, why it fails there, as that machine's "
                code { "why-not.toml" } " says."
            }
            table class="machines" {
                thead {
                    tr {
                        th { "Claim" } th { "What it says" } th { "Why it may not" }
                        th { "Where it does not hold, and why" }
                    }
                }
                tbody {
                    @for (listing, claim, spread) in &not_everywhere {
                        tr {
                            td { (listing.position) " " code { (claim.id) } }
                            td { (claim.says) }
                            td { (claim.why_not.as_deref().unwrap_or("(not said)")) }
                            td {
                                @for name in spread.fails_on.iter().chain(&spread.shapes_failing) {
                                    p {
                                        strong { (name) } ": "
                                        (spread.reasons.get(name).map_or("(not said)", String::as_str))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            p { "Every other claim, " (everywhere) " of them, holds on every machine that ran its listing." }
        })
    }

    /// The value `value` of `listing` on every machine.
    fn measure_row(
        &self,
        listings: &BTreeMap<String, Listing>,
        name: &str,
        value: &str,
    ) -> Result<MeasureRow> {
        let listing = listings.get(name).with_context(|| {
            format!(
                "{{{{#machines}}}} names no listing {name:?} (expected \
                 {}/{name}.rs and its .toml); fix the name",
                crate::paths::PROGRAMS_DIR
            )
        })?;
        let spec = listing.spec.values.get(value).with_context(|| {
            let names: Vec<&str> =
                listing.spec.values.keys().map(String::as_str).collect();
            format!(
                "{{{{#machines}}}}: {} has no value {value:?} in its [values] \
                 (it has: {}); name one of them, or add it",
                listing.sidecar().display(),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            )
        })?;
        let one = BTreeMap::from([(value.to_owned(), spec.clone())]);
        let cells = self
            .all
            .iter()
            .map(|machine| {
                machine
                    .output(name)
                    .and_then(|o| claims::read_values(&one, &o.text).ok())
                    .and_then(|r| r.into_iter().next())
                    .map_or_else(|| "—".to_owned(), |r| r.1.text)
            })
            .collect();
        Ok(MeasureRow {
            label: listing.position.to_string(),
            value: value.to_owned(),
            cells,
        })
    }

    /// Each machine, the machine lines its outputs print, and how many listings it ran.
    fn machines_table(&self, listings: &BTreeMap<String, Listing>) -> Markup {
        let lines_of = |machine: &Machine| match machine.lines().as_slice() {
            [] => "(none printed)".to_owned(),
            [(line, _)] => line.clone(),
            several => several
                .iter()
                .map(|(line, n)| format!("{line} ({n} outputs)"))
                .collect::<Vec<_>>()
                .join("; "),
        };
        html! {
            p { strong { "Which machines." } " Each folder of outputs, and the machine lines its outputs print." }
            table class="machines" {
                thead { tr { th { "Machine" } th { "Its machine lines" } th { "Listings run" } } }
                tbody {
                    @for machine in &self.all {
                        tr {
                            td { (machine.name) }
                            td { (lines_of(machine)) }
                            td { (listings.keys().filter(|n| machine.output(n).is_some()).count()) }
                        }
                    }
                }
            }
        }
    }

    /// The key measures, each on every machine.
    fn measures_table(&self, rows: &[MeasureRow]) -> Markup {
        html! {
            p { strong { "Key measures." } " Each as its listing printed it on that machine (\"—\": no output of that listing there)." }
            table class="machines" {
                thead { tr { th { "Value" } @for machine in &self.all { th { (machine.name) } } } }
                tbody {
                    @for row in rows {
                        tr {
                            td { (row.label) " " code { (row.value) } }
                            @for cell in &row.cells { td { (cell) } }
                        }
                    }
                }
            }
        }
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
        let mut spread = Spread {
            holds_on: vec!["the book's".into()],
            fails_on: vec!["intel".into()],
            ..Spread::default()
        };
        assert_eq!(spread.summary(), "holds on 1 of 2 machines");
        assert_eq!(spread.detail(), "the book's; not on intel");
        spread.shapes_failing.push("intel/one-cpu".into());
        assert_eq!(
            spread.summary(),
            "holds on 1 of 2 machines, on 0 of 1 shape"
        );
        assert_eq!(spread.detail(), "the book's; not on intel, intel/one-cpu");
    }
}
