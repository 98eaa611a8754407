//! What every figure shares: where its data comes from and where it goes.
//!
//! A figure is one binary `figures/src/bin/NAME.rs` that reads real data — the stored output
//! of a listing (`listings/output/LISTING.txt`, written only by `cargo book refresh`) — and
//! writes `src/img/NAME.svg`. `cargo book figures` runs them all; the book test checks that
//! every committed figure is what its binary draws from the stored outputs today.
//!
//! Which listings each figure reads is declared once, in [`INPUTS`]: `cargo book compare`
//! redraws a figure from a reader's run when all its listings ran, and [`stored_output`]
//! refuses to read a listing its figure does not declare.
//!
//! Without the default feature `draw` (plotters), this crate is only [`INPUTS`] and the
//! reading of outputs: what the machinery needs of it.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use facts::{env, output, paths};

/// Every figure, by the name of its binary, with the listings whose stored outputs it reads.
/// A test checks that each binary of `src/bin/` is here; [`stored_output`] checks that a
/// figure reads only what it declares.
pub const INPUTS: &[(&str, &[&str])] = &[
    ("ch03-fork-cost", &["ch03-06-fork-vs-memory"]),
    ("ch04-timeline", &["ch04-04-timeline"]),
    ("ch06-false-sharing", &["ch06-14-false-sharing"]),
    ("ch07-spawn-cost", &["ch07-03-spawn-cost"]),
    ("ch08-connections", &["ch08-03-idle-connections"]),
    ("machines-fork-cost", &["ch03-06-fork-vs-memory"]),
];

/// The listings `figure` reads, if it is a figure of [`INPUTS`].
pub fn inputs(figure: &str) -> Option<&'static [&'static str]> {
    INPUTS
        .iter()
        .find(|(name, _)| *name == figure)
        .map(|(_, reads)| *reads)
}

/// The project root: `BOOK_ROOT` (set by `cargo book figures` and the tests), else the
/// nearest folder above the current one that holds `book.toml`, else the current folder.
/// Found at run time, never compiled in.
pub fn root() -> PathBuf {
    if let Some(root) = std::env::var_os(env::BOOK_ROOT) {
        return PathBuf::from(root);
    }
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    paths::book_root_above(&here).unwrap_or(here)
}

/// The text a listing printed, as stored (without the `$ command` line). The outputs are
/// read from `BOOK_OUTPUTS_DIR` if set (`cargo book compare` draws the reader's figures
/// from the reader's run), else from `listings/output/`. The running figure must declare
/// the listing in [`INPUTS`].
pub fn stored_output(listing: &str) -> Result<String> {
    let figure = running_figure();
    if !inputs(&figure).is_some_and(|reads| reads.contains(&listing)) {
        bail!(
            "{}/{figure}.rs reads the output of {listing}, which figures::INPUTS \
             (figures/src/lib.rs) does not declare for it: add it there",
            paths::FIGURES_SRC_DIR
        );
    }
    let dir = match std::env::var_os(env::BOOK_OUTPUTS_DIR) {
        Some(dir) => PathBuf::from(dir),
        None => root().join(paths::OUTPUTS_DIR),
    };
    let path = dir.join(output::file_name(listing));
    let file = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "{figure}: cannot read {}; run `cargo book refresh {listing}`",
            path.display()
        )
    })?;
    match output::parse(&file) {
        Some((_, text)) => Ok(text.to_owned()),
        None => bail!(
            "{figure}: {} does not start with `{}COMMAND`; remake it with `cargo book \
             refresh {listing}`",
            path.display(),
            output::COMMAND_PREFIX
        ),
    }
}

/// A listing's output on every machine the book has one from, for a figure that compares
/// machines: first the book's own ([`stored_output`]; "your machine" when `cargo book
/// compare` draws from the reader's run), then `machines/NAME/outputs/LISTING.txt` of each
/// machine folder, by name. Shapes of a machine (one CPU, a cpuset) are not other machines
/// and are left out. Each comes with the name to show for it.
pub fn outputs_on_every_machine(
    listing: &str,
) -> Result<Vec<(String, String)>> {
    let own = if std::env::var_os(env::BOOK_OUTPUTS_DIR).is_some() {
        "your machine"
    } else {
        "the book's machine"
    };
    let mut all = vec![(own.to_owned(), stored_output(listing)?)];
    let machines = root().join(paths::MACHINES_DIR);
    let mut folders: Vec<PathBuf> = match std::fs::read_dir(&machines) {
        Ok(entries) => entries.flatten().map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    };
    folders.sort();
    for folder in folders {
        let path = folder
            .join(paths::MACHINE_OUTPUTS)
            .join(output::file_name(listing));
        let Ok(file) = std::fs::read_to_string(&path) else {
            continue; // that machine has no output of this listing
        };
        let Some((_, text)) = output::parse(&file) else {
            bail!(
                "{}: does not start with `{}COMMAND`; the book test names what to do",
                path.display(),
                output::COMMAND_PREFIX
            );
        };
        let name = folder.file_name().unwrap_or_default().to_string_lossy();
        all.push((name.into_owned(), text.to_owned()));
    }
    Ok(all)
}

/// The figure this process draws: the name of its binary.
fn running_figure() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.file_stem()?.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// Where a figure is written: `FIGURES_DIR` if set (the book test draws into a temporary
/// folder to compare), else `src/img/`.
pub fn svg_path(figure: &str) -> PathBuf {
    let dir = std::env::var_os(env::FIGURES_DIR)
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(paths::IMAGES_DIR));
    dir.join(paths::svg_file(figure))
}

/// A duration as `listings::bench::human` prints it ("2.40 ms"), in milliseconds, read by
/// the book's one parser of quantities (`facts::units::parse`).
pub fn millis(text: &str) -> Result<f64> {
    let unit = text.split_whitespace().nth(1).unwrap_or("");
    match facts::units::parse(text) {
        Some(seconds) if facts::units::TIME_UNITS.contains(&unit) => {
            Ok(seconds * 1e3)
        }
        _ => bail!(
            "{text:?} is not a duration as the listings print one (a number and one of \
             {:?}): the stored output this figure reads no longer prints it; fix the figure's \
             parsing, or refresh the listing it reads",
            facts::units::TIME_UNITS
        ),
    }
}

#[cfg(feature = "draw")]
mod draw;
#[cfg(feature = "draw")]
pub use draw::{chart, draw_legend, draw_memory_mesh, ink, palette, tick};

#[cfg(test)]
mod tests {
    use super::INPUTS;

    #[test]
    fn every_figure_binary_declares_its_inputs() {
        let bin =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin");
        let mut binaries: Vec<String> = std::fs::read_dir(&bin)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "rs"))
            .map(|path| {
                path.file_stem().unwrap().to_string_lossy().into_owned()
            })
            .collect();
        binaries.sort();
        let mut declared: Vec<String> =
            INPUTS.iter().map(|(name, _)| (*name).to_owned()).collect();
        declared.sort();
        assert_eq!(
            binaries, declared,
            "figures::INPUTS must list every binary of figures/src/bin/, and only those"
        );
        assert!(INPUTS.iter().all(|(_, reads)| !reads.is_empty()));
    }
}
