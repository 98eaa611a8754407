//! What the figures draw with (plotters): the palette, the font, the legend.

use anyhow::Result;
use plotters::coord::CoordTranslate;
use plotters::prelude::*;

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
