//! The possible-outcomes panel of a litmus listing: its observed counts paired with the sets
//! its model twin allows, the claim `observed-allowed` judged on any run of it, and the rules
//! that keep the two listings in step.
//!
//! A litmus listing runs a small concurrent test many times and prints, per case, how often
//! it saw each outcome (`facts::outcomes::observed_lines`); its model twin, a loom listing,
//! prints per case the set of outcomes it found in every execution it explored
//! (`facts::outcomes::allowed_line`). The litmus listing's sidecar names the twin:
//!
//! ```toml
//! [outcomes]
//! model = "ch06-20-model-store-buffering"
//! unchecked = { SeqCst = "why this case has no twin case" }
//! [[outcomes.unseen]]
//! case = "Relaxed"
//! outcome = "(0, 0)"
//! why = "why a run may not see it"
//! ```
//!
//! The allowed sets are always read from the twin's *stored* output: a model's run is the
//! same on every machine. The claim [`CLAIM_ID`] is added to the sidecar's claims when it is
//! loaded, judged through a value computed here ([`VALUE`]), so that every user of claims
//! (the listing's panel, verdicts, `cargo book compare`, the machines' outputs, the tally)
//! sees it as any other. [`check`] enforces the rules between the two outputs; [`panel`]
//! builds the rows the `{{#outcomes LISTING}}` directive shows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use facts::outcomes::{Observed, ROUNDS, parse_allowed, parse_observed};
use serde::Deserialize;

use crate::claims::{ClaimSpec, Reading, Value};
use crate::listing::{Listing, Position};
use crate::output::StoredOutput;
use crate::paths::{OUTPUTS_DIR, PROGRAMS_DIR};

/// The id of the claim every listing with `[outcomes]` gets.
pub const CLAIM_ID: &str = "observed-allowed";

/// The name of the value the claim reads: every outcome observed that the twin forbids.
pub const VALUE: &str = "not_allowed";

/// The chapter's section that explains what a model checker shows and what it cannot see,
/// relative to `src/`; the panel links to it.
pub const SECTION: &str =
    "ch06-multithreading.md#every-possible-outcome-model-checked";

/// The `[outcomes]` table of a litmus listing's sidecar.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomesSpec {
    /// The model twin, whose stored output gives each case's allowed set.
    pub model: String,
    /// Cases with no twin case, each with why it cannot be model-checked.
    #[serde(default)]
    pub unchecked: BTreeMap<String, String>,
    /// Allowed outcomes a run may not see, each with why.
    #[serde(default)]
    pub unseen: Vec<Unseen>,
}

/// An allowed outcome that a run may not see, and why (shown in the panel).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unseen {
    pub case: String,
    pub outcome: String,
    pub why: String,
}

impl OutcomesSpec {
    /// The reason given for `outcome` of `case` to go unseen, if there is one.
    fn why_unseen(&self, case: &str, outcome: &str) -> Option<&str> {
        self.unseen
            .iter()
            .find(|u| u.case == case && u.outcome == outcome)
            .map(|u| u.why.as_str())
    }

    /// The claim the listing gets: every outcome observed is allowed by the twin.
    pub fn claim(&self) -> ClaimSpec {
        let model = Position::parse(&self.model)
            .map_or_else(|| self.model.clone(), |p| p.to_string());
        ClaimSpec {
            id: CLAIM_ID.to_owned(),
            check: format!("{VALUE} == []"),
            says: format!(
                "every outcome observed is one that the model ({model}) allows"
            ),
            why_not: None,
        }
    }
}

/// Each case's allowed set, by label, as the twin prints it.
pub type Allowed = BTreeMap<String, Vec<String>>;

/// The twin's stored output, relative to the project's root.
fn model_output(model: &str) -> PathBuf {
    Path::new(OUTPUTS_DIR).join(facts::output::file_name(model))
}

/// The allowed sets of the twin `model`, read from its stored output in the project at
/// `root`.
pub fn allowed(root: &Path, model: &str) -> Result<Allowed> {
    let path = model_output(model);
    let sets = parse_allowed(&model_text(root, model)?);
    if sets.is_empty() {
        bail!(
            "{}: prints no allowed set (a line `LABEL  {{outcome, ...}}`, written by \
             facts::outcomes::allowed_line); is {model} a model twin?",
            path.display()
        );
    }
    Ok(sets)
}

/// What the twin `model` printed, from its stored output in the project at `root`.
fn model_text(root: &Path, model: &str) -> Result<String> {
    let path = model_output(model);
    let text = std::fs::read_to_string(root.join(&path)).map_err(|_| {
        anyhow!(
            "{}: no stored output of the model {model}; make it with `cargo book \
             refresh {model}`",
            path.display()
        )
    })?;
    let stored = StoredOutput::parse(&text).ok_or_else(|| {
        anyhow!(
            "{}: does not start with `$ COMMAND`; remake it with `cargo book refresh \
             {model}`",
            path.display()
        )
    })?;
    Ok(stored.text)
}

/// The effort a twin printed for each case, by label: the line right after the case's set,
/// when it counts executions (`210 executions in 29.3 ms`), trimmed.
pub fn efforts(text: &str) -> BTreeMap<String, String> {
    let mut efforts = BTreeMap::new();
    let mut previous: Option<String> = None;
    for line in text.lines() {
        let set = parse_allowed(line);
        if let Some(label) = previous.take()
            && set.is_empty()
            && line.contains("execution")
        {
            efforts.insert(label, line.trim().to_owned());
        }
        previous = set.into_keys().next();
    }
    efforts
}

/// The cases of a litmus listing's output, in the order it prints them.
pub fn observed(text: &str) -> Vec<(String, Observed)> {
    let lines: Vec<&str> = text.lines().collect();
    let place = |label: &str| {
        let header = format!("{label}: ");
        lines
            .iter()
            .position(|l| {
                l.trim_start().starts_with(&header)
                    && l.trim_end().ends_with(ROUNDS)
            })
            .unwrap_or(usize::MAX)
    };
    let mut cases: Vec<(String, Observed)> =
        parse_observed(text).into_iter().collect();
    cases.sort_by_cached_key(|(label, _)| place(label));
    cases
}

/// Every outcome observed (count above 0) in a case the twin checks that its set does not
/// hold, as "OUTCOME in CASE, N of R rounds"; an error when the output has no case, or a
/// case neither the twin nor `unchecked` accounts for.
pub fn not_allowed(
    spec: &OutcomesSpec,
    allowed: &Allowed,
    text: &str,
) -> Result<Vec<String>> {
    let cases = observed(text);
    if cases.is_empty() {
        bail!(
            "the output prints no case (a line `LABEL: N {ROUNDS}` and the counts under \
             it, written by facts::outcomes::observed_lines)"
        );
    }
    let mut found = Vec::new();
    for (label, case) in cases {
        if spec.unchecked.contains_key(&label) {
            continue;
        }
        let Some(set) = allowed.get(&label) else {
            bail!(
                "case {label:?} has no case in the model {} and no `unchecked` reason",
                spec.model
            );
        };
        for (outcome, count) in &case.counts {
            if *count > 0 && !set.contains(outcome) {
                found.push(format!(
                    "{outcome} in {label}, {count} of {} rounds",
                    case.rounds
                ));
            }
        }
    }
    Ok(found)
}

/// The value [`VALUE`], computed from an output of the litmus listing and the twin's stored
/// output in the project at `root`.
#[derive(Debug, Clone)]
pub struct NotAllowed {
    pub root: PathBuf,
    pub spec: OutcomesSpec,
}

impl NotAllowed {
    /// The outcomes observed that the twin forbids: a list, whose text is "none" when empty.
    pub fn read(&self, output: &str) -> Result<Reading> {
        let allowed = allowed(&self.root, &self.spec.model)?;
        let found = not_allowed(&self.spec, &allowed, output)?;
        Ok(Reading {
            text: if found.is_empty() {
                "none".to_owned()
            } else {
                found.join("; ")
            },
            value: Value::List(found.into_iter().map(Value::Text).collect()),
        })
    }
}

/// What the model says of one outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allowance {
    /// The twin found it in some execution.
    Yes,
    /// The twin checks the case and never found it.
    No,
    /// The case is not model-checked; why.
    Unchecked(String),
}

/// One outcome of one case in the panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub outcome: String,
    pub allowed: Allowance,
    /// Its count on the book's stored run (`None`: not printed there).
    pub book: Option<u64>,
    /// Its count on the reader's run, when there is one.
    pub mine: Option<u64>,
    /// Why an allowed outcome the book's run did not see may go unseen.
    pub why_unseen: Option<String>,
}

/// One case of the panel: its rounds on each run, and a row per outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub label: String,
    /// How much search the twin's case took, as it printed it (`210 executions in 29.3 ms`).
    pub model_effort: Option<String>,
    pub book_rounds: Option<u64>,
    pub mine_rounds: Option<u64>,
    pub rows: Vec<Row>,
}

/// The possible-outcomes panel of a litmus listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    /// The twin's label ("Listing 6.20") and name.
    pub model_label: String,
    pub model: String,
    pub cases: Vec<Case>,
    /// The machine lines of the book's run and of the reader's, if they print one.
    pub book_machine: Option<String>,
    pub mine_machine: Option<String>,
}

impl Panel {
    /// Whether a reader's run is shown beside the book's.
    pub fn has_mine(&self) -> bool {
        self.cases.iter().any(|c| c.mine_rounds.is_some())
    }

    /// The outcomes the model forbids that a run observed (the reader's with `mine`, else
    /// the book's): "OUTCOME in CASE".
    pub fn forbidden_seen(&self, mine: bool) -> Vec<String> {
        self.cases
            .iter()
            .flat_map(|case| {
                case.rows
                    .iter()
                    .filter(move |row| {
                        let count = if mine { row.mine } else { row.book };
                        row.allowed == Allowance::No && count.unwrap_or(0) > 0
                    })
                    .map(move |row| {
                        format!("{} in {}", row.outcome, case.label)
                    })
            })
            .collect()
    }
}

/// The panel's rows: per case (the book's run's order, then cases only the reader's run
/// prints), one row per outcome printed on either run or allowed by the twin.
pub fn panel(
    spec: &OutcomesSpec,
    allowed: &Allowed,
    book: &str,
    mine: Option<&str>,
) -> Panel {
    let book_cases = observed(book);
    let mine_cases = mine.map(observed).unwrap_or_default();
    let mut labels: Vec<&String> = book_cases.iter().map(|(l, _)| l).collect();
    for (label, _) in &mine_cases {
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    let find = |cases: &'_ [(String, Observed)], label: &str| {
        cases
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, c)| c.clone())
    };
    let count = |case: &Option<Observed>, outcome: &str| {
        case.as_ref().and_then(|c| {
            c.counts.iter().find(|(o, _)| o == outcome).map(|(_, n)| *n)
        })
    };
    let cases = labels
        .into_iter()
        .map(|label| {
            let (in_book, in_mine) =
                (find(&book_cases, label), find(&mine_cases, label));
            let set = allowed.get(label);
            let mut outcomes: Vec<String> = Vec::new();
            let printed = [&in_book, &in_mine]
                .into_iter()
                .flatten()
                .flat_map(|c| c.counts.iter().map(|(o, _)| o));
            for outcome in printed.chain(set.into_iter().flatten()) {
                if !outcomes.contains(outcome) {
                    outcomes.push(outcome.clone());
                }
            }
            let rows = outcomes
                .into_iter()
                .map(|outcome| {
                    let allowance = match (spec.unchecked.get(label), set) {
                        (Some(why), _) => Allowance::Unchecked(why.clone()),
                        (None, Some(set)) if set.contains(&outcome) => {
                            Allowance::Yes
                        }
                        (None, Some(_)) => Allowance::No,
                        (None, None) => Allowance::Unchecked(format!(
                            "the model {} has no case {label}",
                            spec.model
                        )),
                    };
                    let book = count(&in_book, &outcome);
                    let mine = count(&in_mine, &outcome);
                    // Unseen on the book's run, or on the reader's when there is one.
                    let why_unseen = (allowance != Allowance::No
                        && (book.unwrap_or(0) == 0 || mine == Some(0)))
                    .then(|| spec.why_unseen(label, &outcome))
                    .flatten()
                    .map(str::to_owned);
                    Row {
                        mine,
                        allowed: allowance,
                        book,
                        why_unseen,
                        outcome,
                    }
                })
                .collect();
            Case {
                label: label.clone(),
                model_effort: None,
                book_rounds: in_book.map(|c| c.rounds),
                mine_rounds: in_mine.map(|c| c.rounds),
                rows,
            }
        })
        .collect();
    Panel {
        model_label: Position::parse(&spec.model)
            .map_or_else(|| spec.model.clone(), |p| p.to_string()),
        model: spec.model.clone(),
        cases,
        book_machine: crate::output::machine_line(book),
        mine_machine: mine.and_then(crate::output::machine_line),
    }
}

/// The listing's panel, from its stored output and its twin's, with the reader's output
/// (`mine`) beside them if given; an error when the listing has no `[outcomes]`.
pub fn listing_panel(
    root: &Path,
    listing: &Listing,
    mine: Option<&str>,
) -> Result<Panel> {
    let spec = spec_of(listing)?;
    let allowed = allowed(root, &spec.model)?;
    let efforts = efforts(&model_text(root, &spec.model)?);
    let stored = listing.stored_output(root)?;
    let mut panel = panel(spec, &allowed, &stored.text, mine);
    for case in &mut panel.cases {
        case.model_effort = efforts.get(&case.label).cloned();
    }
    Ok(panel)
}

/// The listing's `[outcomes]`, or an error that says how to give it one.
fn spec_of(listing: &Listing) -> Result<&OutcomesSpec> {
    listing.spec.outcomes.as_ref().ok_or_else(|| {
        anyhow!(
            "{} has no [outcomes] table: only a litmus listing, whose sidecar names its \
             model twin (`[outcomes] model = \"chNN-MM-model-NAME\"`), has a panel of \
             possible outcomes (CONTRIBUTING.md, \"Every possible outcome\")",
            listing.sidecar().display()
        )
    })
}

/// The rules between a litmus listing's stored output and its twin's: every case has a twin
/// case or an `unchecked` reason; every outcome the twin allows in a case is printed (0 when
/// unseen), so that the two vocabularies cannot drift apart; every allowed outcome the
/// stored run did not see has an `unseen` entry with its `why`; no entry is stale. Every
/// problem is reported, each saying what to do.
pub fn check(root: &Path, listing: &Listing) -> Result<()> {
    let Some(spec) = &listing.spec.outcomes else {
        return Ok(());
    };
    let sidecar = listing.sidecar();
    let sidecar = sidecar.display();
    let output = listing.output_path();
    let output = output.display();
    let model = &spec.model;
    if !root
        .join(PROGRAMS_DIR)
        .join(format!("{model}.rs"))
        .is_file()
    {
        bail!(
            "{sidecar}: [outcomes] model = {model:?} names no listing (expected \
             {PROGRAMS_DIR}/{model}.rs, a model twin); fix the name"
        );
    }
    let allowed = allowed(root, model).map_err(|e| {
        anyhow!("{sidecar}: [outcomes] model = {model:?}: {e:#}")
    })?;
    let stored = listing.stored_output(root)?;
    let cases = observed(&stored.text);
    if cases.is_empty() {
        bail!(
            "{output}: prints no case (a line `LABEL: N {ROUNDS}`, then a line `  COUNT  \
             OUTCOME` per outcome, written by facts::outcomes::observed_lines), but \
             {sidecar} has [outcomes]; print the counts that way, or remove the table"
        );
    }
    let mut problems = Vec::new();
    let labels: BTreeSet<&str> =
        cases.iter().map(|(l, _)| l.as_str()).collect();
    for (label, case) in &cases {
        let printed: Vec<&str> =
            case.counts.iter().map(|(o, _)| o.as_str()).collect();
        if spec.unchecked.contains_key(label) {
            if allowed.contains_key(label) {
                problems.push(format!(
                    "case {label:?}: the model {model} checks it (its output prints the \
                     case's allowed set), yet {sidecar} says it is unchecked; remove \
                     its `unchecked` entry"
                ));
            }
            continue;
        }
        let Some(set) = allowed.get(label) else {
            problems.push(format!(
                "case {label:?} of {output} has no case in the model {model} (its cases: \
                 {}); spell the label the same in both listings, add the case to the \
                 model, or say why it cannot be model-checked in {sidecar}: \
                 `unchecked = {{ \"{label}\" = \"...\" }}` under [outcomes]",
                allowed.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
            continue;
        };
        let missing: Vec<&str> = set
            .iter()
            .map(String::as_str)
            .filter(|o| !printed.contains(o))
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "case {label:?}: {output} does not print {}, which the model {model} \
                 allows ({{{}}}); the litmus listing must print every outcome its model \
                 allows, with 0 when unseen, spelled as the model spells it",
                missing.join(", "),
                set.join(", ")
            ));
        }
        for (outcome, count) in &case.counts {
            if *count > 0 || !set.contains(outcome) {
                continue;
            }
            match spec.why_unseen(label, outcome).map(str::trim) {
                Some(why) if !why.is_empty() => {}
                Some(_) => problems.push(format!(
                    "case {label:?}: the `why` of the unseen outcome {outcome} in \
                     {sidecar} is empty; say why a run may not see it"
                )),
                None => problems.push(format!(
                    "case {label:?}: the stored run never saw {outcome}, which the model \
                     {model} allows; say why a run may not see it in {sidecar}: \
                     [[outcomes.unseen]] case = {label:?}, outcome = {outcome:?}, \
                     why = \"...\" (x86 is TSO, one CPU, too few rounds...)"
                )),
            }
        }
    }
    for label in spec.unchecked.keys() {
        if !labels.contains(label.as_str()) {
            problems.push(format!(
                "{sidecar}: `unchecked` names a case {label:?} that {output} does not \
                 print; fix the label or remove the entry"
            ));
        }
    }
    for unseen in &spec.unseen {
        let (label, outcome) = (&unseen.case, &unseen.outcome);
        let case = cases.iter().find(|(l, _)| l == label).map(|(_, c)| c);
        let known = match (case, allowed.get(label)) {
            (None, _) => false,
            (Some(_), Some(set)) if !spec.unchecked.contains_key(label) => {
                set.contains(outcome)
            }
            (Some(case), _) => case.counts.iter().any(|(o, _)| o == outcome),
        };
        if !known {
            problems.push(format!(
                "{sidecar}: [[outcomes.unseen]] case = {label:?}, outcome = {outcome:?} \
                 names no outcome the model {model} allows in a case {output} prints (an \
                 outcome the model forbids needs no reason to go unseen); fix it or \
                 remove the entry"
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    bail!(
        "{} and its model {model} are out of step:\n  {}",
        listing.name,
        problems.join("\n  ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use facts::outcomes::{allowed_line, observed_lines};

    fn spec() -> OutcomesSpec {
        toml::from_str(
            r#"model = "ch06-20-model-store-buffering"
unchecked = { SeqCst = "loom 0.7 reports (0, 0) for SeqCst (tokio-rs/loom#180)" }
[[unseen]]
case = "Relaxed"
outcome = "(1, 1)"
why = "the two threads rarely overlap"
"#,
        )
        .unwrap()
    }

    fn allowed_sets() -> Allowed {
        let pairs = ["(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)"];
        parse_allowed(&format!(
            "{}\n  210 executions in 29.3 ms\n{}\n",
            allowed_line("Relaxed", 8, pairs),
            allowed_line("Release/Acquire", 8, pairs),
        ))
    }

    fn run(relaxed: [u64; 4], seqcst_zero: u64) -> String {
        let pairs = ["(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)"];
        format!(
            "machine: 2 logical CPUs, x86_64\n{}\n{}\n",
            observed_lines(
                "SeqCst",
                10,
                pairs.into_iter().zip([seqcst_zero, 5, 5, 0])
            ),
            observed_lines("Relaxed", 10, pairs.into_iter().zip(relaxed)),
        )
    }

    #[test]
    fn the_panel_has_a_row_per_outcome_allowed_or_printed() {
        let panel = panel(
            &spec(),
            &allowed_sets(),
            &run([3, 4, 3, 0], 0),
            Some(&run([1, 4, 4, 1], 2)),
        );
        assert_eq!(panel.model_label, "Listing 6.20");
        assert_eq!(
            panel.book_machine.as_deref(),
            Some("2 logical CPUs, x86_64")
        );
        let labels: Vec<&str> =
            panel.cases.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["SeqCst", "Relaxed"], "in the order printed");
        let seqcst = &panel.cases[0];
        assert!(
            matches!(seqcst.rows[0].allowed, Allowance::Unchecked(ref why) if why.contains("#180"))
        );
        assert_eq!(
            (seqcst.rows[0].book, seqcst.rows[0].mine),
            (Some(0), Some(2))
        );
        let relaxed = &panel.cases[1];
        assert_eq!(relaxed.book_rounds, Some(10));
        assert_eq!(relaxed.rows.len(), 4);
        assert!(relaxed.rows.iter().all(|r| r.allowed == Allowance::Yes));
        let unseen = &relaxed.rows[3];
        assert_eq!(unseen.outcome, "(1, 1)");
        assert_eq!(
            (unseen.book, unseen.mine, unseen.why_unseen.as_deref()),
            (Some(0), Some(1), Some("the two threads rarely overlap"))
        );
        assert_eq!(relaxed.rows[0].why_unseen, None, "seen: no reason shown");
    }

    #[test]
    fn each_cases_effort_is_the_line_after_its_set() {
        let text = format!(
            "one round:\n{}\n  210 executions in 29.3 ms\n{}\nthe end, 3 executions\n",
            allowed_line("Relaxed", 8, ["(0, 0)"]),
            allowed_line("Fenced", 8, ["(0, 1)"]),
        );
        let found =
            efforts(&format!("{text}{}\n", allowed_line("Last", 8, ["x"])));
        assert_eq!(found["Relaxed"], "210 executions in 29.3 ms");
        assert_eq!(found["Fenced"], "the end, 3 executions");
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn an_outcome_the_model_forbids_is_named_with_its_case() {
        let mut spec = spec();
        let mut sets = allowed_sets();
        sets.insert("SeqCst".into(), vec!["(0, 1)".into(), "(1, 0)".into()]);
        assert_eq!(
            not_allowed(&spec, &sets, &run([3, 4, 3, 0], 2))
                .unwrap()
                .len(),
            0,
            "an unchecked case is not judged"
        );
        spec.unchecked.clear();
        assert_eq!(
            not_allowed(&spec, &sets, &run([3, 4, 3, 0], 2)).unwrap(),
            ["(0, 0) in SeqCst, 2 of 10 rounds"]
        );
        let rows = panel(&spec, &sets, &run([3, 4, 3, 0], 2), None);
        assert_eq!(rows.cases[0].rows[0].allowed, Allowance::No);
        assert_eq!(
            rows.cases[0].rows[3].allowed,
            Allowance::No,
            "(1, 1), printed"
        );
        sets.remove("SeqCst");
        let error =
            not_allowed(&spec, &sets, &run([3, 4, 3, 0], 2)).unwrap_err();
        assert!(
            error.to_string().contains("\"SeqCst\" has no case"),
            "{error}"
        );
        assert!(not_allowed(&spec, &sets, "nothing\n").is_err());
    }
}
