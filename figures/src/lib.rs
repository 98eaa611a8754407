//! What every figure shares: where its data comes from and where it goes.
//!
//! A figure is one binary `figures/src/bin/NAME.rs` that reads real data — the stored output
//! of a listing (`listings/output/LISTING.txt`, written only by `cargo book refresh`) — and
//! writes `src/img/NAME.svg`. `cargo book figures` runs them all; the book test checks that
//! every committed figure is what its binary draws from the stored outputs today.

use std::path::PathBuf;

use anyhow::{Context, Result};

/// The project root: the nearest folder, from the current directory up,
/// that holds `book.toml` (`cargo book figures` runs each figure from the
/// root). It is found at run time, not compiled in: a target directory
/// shared between clones may hold a binary built in another clone.
pub fn root() -> PathBuf {
    let compiled_in = || {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("figures/ lives in the project root")
            .to_path_buf()
    };
    std::env::current_dir()
        .ok()
        .and_then(|dir| {
            dir.ancestors()
                .find(|d| d.join("book.toml").is_file())
                .map(PathBuf::from)
        })
        .unwrap_or_else(compiled_in)
}

/// The text a listing printed, as stored (without the `$ command` line).
pub fn stored_output(listing: &str) -> Result<String> {
    let path = root()
        .join("listings/output")
        .join(format!("{listing}.txt"));
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {}; run `cargo book refresh {listing}`",
            path.display()
        )
    })?;
    Ok(text
        .split_once('\n')
        .map_or("", |(_, rest)| rest)
        .to_owned())
}

/// Where a figure is written: `FIGURES_DIR` if set (the book test draws into a temporary
/// folder to compare), else `src/img/`.
pub fn svg_path(figure: &str) -> PathBuf {
    let dir = std::env::var_os("FIGURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("src/img"));
    dir.join(format!("{figure}.svg"))
}

/// Colours of the figures. Every figure is drawn on a light card (`CARD`), so that it reads
/// the same in the book's light and dark themes; the colours are chosen for that card.
pub mod palette {
    use plotters::style::RGBColor;
    pub const CARD: RGBColor = RGBColor(0xf6, 0xf7, 0xf9);
    pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
    pub const BLUE: RGBColor = RGBColor(0x3b, 0x82, 0xc4);
    pub const ORANGE: RGBColor = RGBColor(0xe0, 0x7b, 0x28);
    pub const GREEN: RGBColor = RGBColor(0x3a, 0x9a, 0x5b);
    pub const RED: RGBColor = RGBColor(0xc8, 0x3e, 0x3e);
    pub const GREY: RGBColor = RGBColor(0x80, 0x80, 0x80);
}
