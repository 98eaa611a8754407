//! The checks of one listing, of its claims and of the verdicts resting on them.
//!
//! [`check_listing`] (the listings test): its stored output exists and was made with today's
//! command, every `[vary]` declaration is used, a fresh run matches it within the declared
//! variation, it leaves no process behind, it refuses bad arguments the book's way, and its
//! `fork`s are justified. [`check_claims`], [`check_variation`], [`check_other_machine`],
//! [`check_claims_elsewhere`] and [`check_verdicts`] (the book test): its claims hold on its
//! stored output, its `[vary]` is exercised, other machines' outputs match it, and every
//! claim a verdict of the prose names holds.

use anyhow::{Context, Result, anyhow, bail};

use crate::Project;
use crate::listing::{Kind, Listing};
use crate::output::StoredOutput;
use crate::run::{Executables, Pace, rejection_problem, run_listing};

/// The listings as the checks build them (see [`crate::run::Builds`]).
pub use crate::run::Builds;

/// Everything the test suite checks about one listing; the error is the failure message,
/// which names the file at fault and the command that fixes it.
pub fn check_listing(
    project: &Project,
    listing: &Listing,
    builds: &Builds,
) -> Result<()> {
    let stored = listing.stored_output(&project.root)?;
    check_stored_command(listing, &stored)?;
    check_declarations_used(listing, &stored)?;
    let executables = builds.for_listing(project, listing)?;
    check_fresh_run(project, listing, executables, &stored)?;
    let source = std::fs::read_to_string(project.root.join(&listing.source))
        .with_context(|| format!("cannot read {}", listing.source.display()))?;
    check_fork_safety(listing, &source)?;
    rejection_problems(listing, &source, executables)
}

/// What to do when a listing's output changed: refresh it, if that is intended.
fn refresh_fix(listing: &Listing) -> String {
    format!(
        "if the change is intended, refresh it with `{}` and review the diff",
        listing.refresh_command()
    )
}

/// The stored output was made with the command the book shows today.
fn check_stored_command(
    listing: &Listing,
    stored: &StoredOutput,
) -> Result<()> {
    if stored.command != listing.command() {
        bail!(
            "{}: made with `{}`, but the book now runs `{}`; {}",
            listing.output_path().display(),
            stored.command,
            listing.command(),
            refresh_fix(listing)
        );
    }
    Ok(())
}

/// Every declaration of the listing's `[vary]` matches something in its stored output.
fn check_declarations_used(
    listing: &Listing,
    stored: &StoredOutput,
) -> Result<()> {
    let unused = listing.matcher.unused_declarations(&stored.text);
    if !unused.is_empty() {
        bail!(
            "{}.toml declares variation that {} does not show: {}; remove it or fix it",
            listing.source.with_extension("").display(),
            listing.output_path().display(),
            unused.join("; ")
        );
    }
    Ok(())
}

/// A fresh run ends as declared, leaves nothing behind, and prints what the stored output
/// shows, within the declared variation. A measurement is checked for its shape, which
/// needs only a short run (its claims are judged on the stored output, from a full run).
fn check_fresh_run(
    project: &Project,
    listing: &Listing,
    executables: &Executables,
    stored: &StoredOutput,
) -> Result<()> {
    let pace = if listing.spec.measurement {
        Pace::Shape
    } else {
        Pace::Full
    };
    let run = run_listing(project, listing, executables, pace)?;
    if let Some(problem) = run.problem(listing) {
        bail!(
            "{}: {problem}\n--- what it printed ---\n{}",
            listing.source.display(),
            run.text
        );
    }
    let (stored_text, run_text) =
        (pace.comparable(&stored.text), pace.comparable(&run.text));
    listing
        .matcher
        .compare(&stored_text, &run_text)
        .map_err(|diff| {
            anyhow!(
                "{} no longer matches a fresh run of {}:\n{diff}\n{}",
                listing.output_path().display(),
                listing.name,
                refresh_fix(listing)
            )
        })
}

/// A listing that takes arguments declares bad ones (`rejects`), and refuses each the
/// book's way.
fn rejection_problems(
    listing: &Listing,
    source: &str,
    executables: &Executables,
) -> Result<()> {
    if source.contains("cli::parse") && listing.spec.rejects.is_empty() {
        bail!(
            "{}: {} takes arguments (`cli::parse`) but its sidecar declares no \
             `rejects = [[...]]`: list bad argument lists it must refuse (a non-number, \
             zero, an absurd size, an unknown flag)",
            listing.sidecar().display(),
            listing.source.display()
        );
    }
    for args in &listing.spec.rejects {
        let exe = executables.get(&listing.name).with_context(|| {
            format!(
                "{}: `rejects` is only for programs (rustc is never run with a listing's \
                 arguments); remove it",
                listing.sidecar().display()
            )
        })?;
        if let Some(problem) = rejection_problem(exe, args)? {
            bail!("{}: {problem}", listing.source.display());
        }
    }
    Ok(())
}

/// Every `unsafe { fork() }` has a SAFETY comment just above it that says which rule makes it
/// sound: no other thread exists yet, or the child only does async-signal-safe work.
fn check_fork_safety(listing: &Listing, source: &str) -> Result<()> {
    let lines: Vec<&str> = source.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if !(line.contains("unsafe") && line.contains("fork()")) {
            continue;
        }
        let comment: String = lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with("//"))
            .map(|l| l.to_lowercase())
            .collect();
        let justified = comment.contains("safety:")
            && (comment.contains("thread")
                || comment.contains("async-signal-safe"));
        if !justified {
            bail!(
                "{}:{}: fork needs a `// SAFETY:` comment right above it saying why it is sound: \
                 no other thread exists yet, or the child only calls async-signal-safe \
                 functions before _exit/exec (signal-safety(7))",
                listing.source.display(),
                i + 1
            );
        }
    }
    Ok(())
}

/// The listing's claims hold on its stored output, and every value it declares can be read
/// from it; a litmus listing is first checked to be in step with its model twin
/// ([`check_outcomes`]). Deterministic: it judges the stored run, never a fresh one.
pub fn check_claims(project: &Project, listing: &Listing) -> Result<()> {
    let sidecar = listing.sidecar();
    let sidecar = sidecar.display();
    let output_path = listing.output_path();
    if listing.kind == Kind::Program
        && listing.spec.claims.is_empty()
        && listing.spec.no_claims.is_none()
    {
        bail!(
            "{sidecar}: no [[claims]]: state what the chapter says about this output \
             (see CONTRIBUTING.md, Claims), or say why there is nothing to claim with \
             `no_claims = \"...\"`"
        );
    }
    if listing.spec.values.is_empty() && listing.spec.claims.is_empty() {
        return Ok(());
    }
    check_outcomes(project, listing)?;
    let stored = listing.stored_output(&project.root)?;
    let readings =
        crate::claims::read_values(&listing.spec.values, &stored.text)
            .map_err(|e| {
                anyhow!(
                    "{sidecar}: {e:#} of {}; fix the pattern in [values]",
                    output_path.display()
                )
            })?;
    let failed: Vec<String> =
        crate::claims::judge(&listing.spec.claims, &readings)
            .into_iter()
            .filter(|verdict| !verdict.holds())
            .map(|verdict| {
                format!("  claim \"{}\" {verdict}", verdict.claim.says)
            })
            .collect();
    if failed.is_empty() {
        return Ok(());
    }
    bail!(
        "{}: the stored output of {} no longer supports what the book says:\n{}\n\
         If the output is right, fix the sentence in the chapter and the claim in \
         {sidecar}; if the run was disturbed, refresh it on a quiet machine with `{}`",
        output_path.display(),
        listing.name,
        failed.join("\n"),
        listing.refresh_command()
    );
}

/// A litmus listing and its model twin are in step ([`crate::outcomes::check`]): every case
/// has a twin case or an `unchecked` reason, every allowed outcome is printed, and every one
/// the stored run did not see says why it may go unseen. Nothing to check without
/// `[outcomes]`.
pub fn check_outcomes(project: &Project, listing: &Listing) -> Result<()> {
    crate::outcomes::check(&project.root, listing)
}

/// Every declaration of the listing's `[vary]` absorbs a change of the text it claims, and a
/// change anywhere else is rejected (see [`crate::variation`]); returns what was exercised.
pub fn check_variation(
    project: &Project,
    listing: &Listing,
) -> Result<crate::variation::Exercise> {
    let stored = listing.stored_output(&project.root)?;
    let found = crate::variation::exercise(&listing.matcher, &stored.text);
    if !found.problems.is_empty() {
        bail!(
            "{}: its [vary] does not say exactly what varies in {}:\n  {}",
            listing.sidecar().display(),
            listing.output_path().display(),
            found.problems.join("\n  ")
        );
    }
    Ok(found)
}

/// An output of the listing made on another machine (`machines/NAME/outputs/`) matches the
/// book's stored output within the declared variation. A result that differs there is a
/// value for a claim to judge, not something to redact.
pub fn check_other_machine(
    project: &Project,
    listing: &Listing,
    other: &std::path::Path,
) -> Result<()> {
    let stored = listing.stored_output(&project.root)?;
    let shown = other.display();
    let theirs = other_output(project, other)?;
    let stale = format!(
        "if {} changed since that machine ran it, its output there is stale: delete {shown} \
         (and say so in that machine's README.md)",
        listing.name
    );
    if theirs.command != stored.command {
        bail!(
            "{shown}: made with `{}`, but the book runs `{}`; {stale}",
            theirs.command,
            stored.command
        );
    }
    listing
        .matcher
        .compare(&stored.text, &theirs.text)
        .map_err(|diff| {
            anyhow!(
                "{shown} does not match {} within what {} declares:\n{diff}\n\
                 A line that depends on the machine (a cache size, a CPU model) is declared \
                 in [vary] with its `why`; a result that differs is a value judged by a \
                 claim, with a `why_not`; otherwise, {stale}",
                listing.output_path().display(),
                listing.sidecar().display()
            )
        })
}

/// An output made on another machine (`machines/NAME[/shapes/SHAPE]/outputs/LISTING.txt`,
/// relative to the project's root), read and parsed.
fn other_output(
    project: &Project,
    other: &std::path::Path,
) -> Result<StoredOutput> {
    let shown = other.display();
    let file = std::fs::read_to_string(project.root.join(other))
        .with_context(|| format!("cannot read {shown}"))?;
    StoredOutput::parse(&file).with_context(|| {
        format!(
            "{shown}: does not start with `$ COMMAND`, as every output `cargo book compare` \
             writes does; export that machine's run again, or delete the file"
        )
    })
}

/// The listing's claims judged on an output made on another machine
/// (`machines/NAME[/shapes/SHAPE]/outputs/LISTING.txt`): each one that does not hold there
/// must say why it may not (the claim's `why_not`, which the book shows every reader) and why
/// it fails on that machine (an entry of the machine's `why-not.toml`); otherwise it is a
/// finding: the claim, or the sentence resting on it, says more than the book can promise a
/// reader. An entry for a claim that holds there, or that does not exist, is stale. Returns how
/// many claims held and how many were judged.
pub fn check_claims_elsewhere(
    project: &Project,
    listing: &Listing,
    other: &std::path::Path,
) -> Result<(usize, usize)> {
    let shown = other.display();
    let theirs = other_output(project, other)?;
    let readings = crate::claims::read_values(
        &listing.spec.values,
        &theirs.text,
    )
    .map_err(|e| {
        anyhow!(
            "{}: {e:#} of {shown}; its [values] must read every machine's \
                     output",
            listing.sidecar().display()
        )
    })?;
    let verdicts = crate::claims::judge(&listing.spec.claims, &readings);
    let held = verdicts.iter().filter(|v| v.holds()).count();
    // machines/NAME/outputs/LISTING.txt: the machine's folder is two levels up.
    let folder = other
        .parent()
        .and_then(std::path::Path::parent)
        .unwrap_or(std::path::Path::new(""));
    let why_not_file = folder.join(crate::paths::MACHINE_WHY_NOT);
    let reasons = crate::machines::read_reasons(&project.root.join(folder))?
        .remove(&listing.name)
        .unwrap_or_default();
    let problems = unexplained(listing, &verdicts, reasons, &why_not_file);
    if !problems.is_empty() {
        bail!(
            "{shown}: claims of {} that fail there are not explained:\n{}",
            listing.name,
            problems.join("\n")
        );
    }
    Ok((held, verdicts.len()))
}

/// The failures of a listing's claims on another machine that are not explained: a failing
/// claim needs its `why_not` and an entry in that machine's `why-not.toml` (`reasons`, the
/// listing's section); an entry for a claim that holds there, or that does not exist, is
/// stale. A litmus listing's `observed-allowed` that fails is never explained away.
fn unexplained(
    listing: &Listing,
    verdicts: &[crate::claims::Verdict],
    mut reasons: std::collections::BTreeMap<String, String>,
    why_not_file: &std::path::Path,
) -> Vec<String> {
    let mut problems = Vec::new();
    for verdict in verdicts {
        let claim = &verdict.claim;
        let reason = reasons.remove(&claim.id);
        if verdict.holds() {
            if reason.is_some() {
                problems.push(format!(
                    "  claim {} holds there: remove its entry from [{}] of {}",
                    claim.id,
                    listing.name,
                    why_not_file.display()
                ));
            }
            continue;
        }
        if claim.id == crate::outcomes::CLAIM_ID
            && listing.spec.outcomes.is_some()
        {
            problems.push(format!(
                "  claim {} \"{}\" {verdict}: this machine observed an outcome the model \
                 forbids, a finding and not a difference of machines (no `why-not.toml` \
                 entry explains it): the model twin misses what the litmus listing does, or \
                 loom misses what the hardware does; fix the twin, or the set the text \
                 states",
                claim.id, claim.says
            ));
            continue;
        }
        if claim.why_not.is_none() {
            problems.push(format!(
                "  claim {} \"{}\" {verdict}: no `why_not` in {}; say what about a \
                 machine makes it fail, or, if the claim says more than the book can \
                 promise, fix it and the sentence resting on it",
                claim.id,
                claim.says,
                listing.sidecar().display()
            ));
        }
        match reason.as_deref().map(str::trim) {
            None => problems.push(format!(
                "  claim {} \"{}\" {verdict}: say why it fails on this machine in {}, \
                 under [{}]: {} = \"...\"",
                claim.id,
                claim.says,
                why_not_file.display(),
                listing.name,
                claim.id
            )),
            Some(text) if text.is_empty() || text.starts_with(TO_EXPLAIN) => {
                problems.push(format!(
                    "  claim {}: its entry in {} is still to write: say why it fails \
                     on this machine, from what the output shows",
                    claim.id,
                    why_not_file.display()
                ))
            }
            Some(_) => {}
        }
    }
    for id in reasons.keys() {
        problems.push(format!(
            "  {} names a claim {id} that {} does not have: fix the id or remove the \
             entry",
            why_not_file.display(),
            listing.sidecar().display()
        ));
    }
    problems
}

/// What `cargo book compare --export` writes in a machine's `why-not.toml` for each claim
/// that failed, for the contributor to replace with the reason.
pub const TO_EXPLAIN: &str = "TO EXPLAIN";

/// Every claim a verdict of the prose rests on exists and holds on its listing's stored
/// output; each failure names the chapter and line of the verdict, the claim and its values.
pub fn check_verdicts(project: &Project) -> Result<()> {
    let book = crate::book::LoadedBook::load(project)?;
    let preprocessor = crate::book::ListingPreprocessor::new(project)?;
    let mut problems = crate::Problems::new();
    for sentence in book.sentences() {
        for claim in &sentence.claims {
            match preprocessor.judge(claim) {
                Ok(judged) if judged.book.holds() => {}
                Ok(judged) => problems.push(format!(
                    "{}: \"{}\" rests on {claim} (\"{}\"), which the stored output \
                     {}/{}.txt does not support: {}\n  If the output is right, fix the \
                     sentence and the claim; if the run was disturbed, refresh it on a \
                     quiet machine with `cargo book refresh {}`",
                    sentence.place(),
                    crate::verdict::plain_text(&sentence.text, |_, _| None),
                    judged.book.claim.says,
                    crate::paths::OUTPUTS_DIR,
                    claim.listing,
                    judged.book,
                    claim.listing,
                )),
                Err(e) => {
                    problems.push(format!("{}: {e:#}", sentence.place()))
                }
            }
        }
    }
    problems.into_result()
}
