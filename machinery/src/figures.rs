//! The figures: one binary of the `figures` package per figure, each drawing
//! `src/img/NAME.svg` from real data (see `figures/src/lib.rs`).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use facts::env;

use crate::Project;
use crate::run::build_binaries;

/// Draws every figure into `dir` (default: `src/img/`) from the outputs in `outputs`
/// (default: `listings/output/`; `cargo book compare` passes the reader's run), and returns
/// their names.
pub fn draw_all(
    project: &Project,
    dir: Option<&Path>,
    outputs: Option<&Path>,
    quiet: bool,
) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let mut executables: Vec<_> =
        build_binaries(project, "figures", false, quiet)?
            .into_iter()
            .collect();
    executables.sort();
    for (name, exe) in executables {
        let mut cmd = Command::new(&exe);
        cmd.current_dir(&project.root)
            .env(env::BOOK_ROOT, &project.root);
        if let Some(dir) = dir {
            cmd.env(env::FIGURES_DIR, dir);
        }
        if let Some(outputs) = outputs {
            cmd.env(env::BOOK_OUTPUTS_DIR, outputs);
        }
        let output = cmd
            .output()
            .with_context(|| format!("cannot run the figure {name}"))?;
        if !output.status.success() {
            bail!(
                "{}/{name}.rs failed ({}):\n{}",
                crate::paths::FIGURES_SRC_DIR,
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        names.push(name);
    }
    Ok(names)
}
