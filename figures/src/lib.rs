//! What every figure shares: where its data comes from and where it goes.
//!
//! A figure is one binary `figures/src/bin/NAME.rs` that reads real data — the stored output
//! of a listing (`listings/output/LISTING.txt`, written only by `cargo book refresh`) — and
//! writes `src/img/NAME.svg`. `cargo book figures` runs them all; the book test checks that
//! every committed figure is what its binary draws from the stored outputs today.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use facts::paths;
use plotters::coord::CoordTranslate;
use plotters::prelude::*;

/// The project root: `BOOK_ROOT` (set by `cargo book figures` and the tests), else the
/// nearest folder above the current one that holds `book.toml`, else the current folder.
/// Found at run time, never compiled in.
pub fn root() -> PathBuf {
    if let Some(root) = std::env::var_os("BOOK_ROOT") {
        return PathBuf::from(root);
    }
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    paths::book_root_above(&here).unwrap_or(here)
}

/// The text a listing printed, as stored (without the `$ command` line). The outputs are
/// read from `BOOK_OUTPUTS_DIR` if set (`cargo book compare` draws the reader's figures
/// from the reader's run), else from `listings/output/`.
pub fn stored_output(listing: &str) -> Result<String> {
    let dir = match std::env::var_os("BOOK_OUTPUTS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => root().join(paths::OUTPUTS_DIR),
    };
    let path = dir.join(format!("{listing}.txt"));
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
        .unwrap_or_else(|| root().join(paths::IMAGES_DIR));
    dir.join(format!("{figure}.svg"))
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

/// The figures' font, in their ink colour, at `size` pixels.
pub fn ink(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&palette::INK)
}

/// Draws the chart's series labels the way every figure does: at `position`, on the card,
/// framed in grey, in `size`-pixel ink.
pub fn draw_legend<'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    position: SeriesLabelPosition,
    size: u32,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(palette::CARD)
        .border_style(palette::GREY)
        .label_font(ink(size))
        .draw()?;
    Ok(())
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
