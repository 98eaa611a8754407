//! The figures redrawn from the reader's run: each figure whose listings all ran (as
//! `figures::INPUTS` declares them), beside the book's.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::report::Figure;
use crate::Project;
use crate::paths::{
    COMPARE_FIGURE_DATA, COMPARE_FIGURES, IMAGES_DIR, OUTPUTS_DIR, svg_file,
};

/// The figures all of whose listings are among those that ran (`ran`).
fn redrawable(ran: &[&str]) -> Vec<&'static str> {
    // The figures crate, not `crate::figures` (which runs its binaries).
    ::figures::INPUTS
        .iter()
        .filter(|(_, reads)| reads.iter().all(|r| ran.contains(r)))
        .map(|(name, _)| *name)
        .collect()
}

/// Redraws the figures whose listings all ran into `OUT/figures/`, from the reader's
/// outputs in `mine` (the others from the book's, so that every figure binary finds its
/// data), and returns those figures beside the book's.
pub fn redraw(
    project: &Project,
    out: &Path,
    mine: &Path,
    ran: &[&str],
) -> Result<Vec<Figure>> {
    let wanted = redrawable(ran);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    // The data: the book's outputs, overlaid with the reader's.
    let data = out.join(COMPARE_FIGURE_DATA);
    let svgs = out.join(COMPARE_FIGURES);
    for dir in [&data, &svgs] {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    for dir in [&project.root.join(OUTPUTS_DIR), mine] {
        copy_files(dir, &data)?;
    }
    crate::figures::draw_all(project, Some(&svgs), Some(&data), true)?;
    wanted
        .into_iter()
        .map(|name| {
            Ok(Figure {
                book: inline(
                    project.root.join(IMAGES_DIR).join(svg_file(name)),
                )?,
                mine: inline(svgs.join(svg_file(name)))?,
                name: name.to_owned(),
            })
        })
        .collect()
}

/// Copies every file of `from` into `to`.
fn copy_files(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from)
        .with_context(|| format!("cannot read {}", from.display()))?
    {
        let path = entry?.path();
        if let Some(name) = path.file_name() {
            std::fs::copy(&path, to.join(name))
                .with_context(|| format!("cannot copy {}", path.display()))?;
        }
    }
    Ok(())
}

/// An SVG file as it goes inline into a page: from its `<svg` on.
fn inline(path: PathBuf) -> Result<String> {
    let svg = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_figure_is_redrawn_only_when_all_its_listings_ran() {
        let (figure, reads) = ::figures::INPUTS[0];
        assert!(super::redrawable(reads).contains(&figure));
        assert!(super::redrawable(&reads[1..]).is_empty());
        assert!(super::redrawable(&[]).is_empty());
    }
}
