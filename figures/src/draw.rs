//! What the figures draw with (plotters): the palette, the font, the legend.

use anyhow::Result;
use plotters::coord::CoordTranslate;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

/// The figures' font, in their ink colour, at `size` pixels.
pub fn ink(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&palette::INK)
}

/// A chart on `root` framed as the figures that plot a time against the parent's memory frame
/// it: the caption in 17-pixel ink, a 15-pixel margin, room for the axis labels, the x axis
/// from 0 to a twentieth above `x_max` and the y axis from 0 to a tenth above `y_max`.
pub fn chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    caption: &str,
    x_max: f64,
    y_max: f64,
) -> Result<
    ChartContext<
        'a,
        SVGBackend<'b>,
        Cartesian2d<RangedCoordf64, RangedCoordf64>,
    >,
> {
    Ok(ChartBuilder::on(root)
        .caption(caption, ink(17))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max * 1.05, 0.0..y_max * 1.1)?)
}

/// A tick label: the value with at most two decimals, trailing zeros dropped (`0.5`, `12`).
pub fn tick(value: &f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Draws the grid and the axes of a [`chart`] of a time against the parent's memory: the x
/// axis in MiB, the y axis described by `y_desc`, both labelled with [`tick`].
pub fn draw_memory_mesh<'a, 'b: 'a>(
    chart: &mut ChartContext<
        'a,
        SVGBackend<'b>,
        Cartesian2d<RangedCoordf64, RangedCoordf64>,
    >,
    y_desc: &str,
) -> Result<()> {
    chart
        .configure_mesh()
        .x_desc("resident memory of the parent (MiB)")
        .y_desc(y_desc)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .axis_style(palette::GREY)
        .light_line_style(palette::CARD)
        .label_style(ink(13))
        .draw()?;
    Ok(())
}

/// Draws the chart's series labels the way every figure does: at `position`, on the card,
/// framed in grey, in `size`-pixel ink.
pub fn draw_legend<'a, 'b: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
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
