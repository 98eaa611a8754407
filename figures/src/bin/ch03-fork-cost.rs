//! The cost of fork against the parent's resident memory, from Listing 3.6's output.

use anyhow::{Context, Result, bail};
use figures::palette;
use plotters::prelude::*;

/// A duration as printed by `listings::bench::human`, in milliseconds.
fn millis(text: &str) -> Result<f64> {
    let (value, unit) =
        text.split_once(' ').context("a duration has a unit")?;
    let value: f64 = value.parse().context("a duration is a number")?;
    Ok(match unit {
        "ns" => value / 1e6,
        "µs" => value / 1e3,
        "ms" => value,
        "s" => value * 1e3,
        _ => bail!("unknown unit {unit:?}"),
    })
}

fn main() -> Result<()> {
    // Rows look like "     256     5.36 ms     4.74 ms     12.4 ms".
    let mut points = Vec::new(); // (MiB, median, min, max) in ms
    for line in figures::stored_output("ch03-06-fork-vs-memory")?.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let ([mib, rest @ ..], 7) = (words.as_slice(), words.len())
            && let Ok(mib) = mib.parse::<f64>()
        {
            let d = |i: usize| millis(&format!("{} {}", rest[i], rest[i + 1]));
            points.push((mib, d(0)?, d(2)?, d(4)?));
        }
    }
    if points.len() < 2 {
        bail!(
            "expected a table of sizes in the output of ch03-06-fork-vs-memory"
        );
    }
    let max_mib = points.iter().map(|p| p.0).fold(0.0, f64::max);
    let max_ms = points.iter().map(|p| p.3).fold(0.0, f64::max);

    let path = figures::svg_path("ch03-fork-cost");
    let root = SVGBackend::new(&path, (700, 380)).into_drawing_area();
    root.fill(&palette::CARD)?;
    let ink = |size| ("sans-serif", size).into_font().color(&palette::INK);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "fork + waitpid against the parent's resident memory",
            ink(17),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..max_mib * 1.05, 0.0..max_ms * 1.1)?;
    chart
        .configure_mesh()
        .x_desc("resident memory of the parent (MiB)")
        .y_desc("time (ms)")
        .axis_style(palette::GREY)
        .light_line_style(palette::CARD)
        .label_style(ink(13))
        .draw()?;
    chart.draw_series(points.iter().map(|&(x, _, min, max)| {
        ErrorBar::new_vertical(
            x,
            min,
            (min + max) / 2.0,
            max,
            palette::GREY.stroke_width(2),
            10,
        )
    }))?;
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, p.1)),
            palette::BLUE.stroke_width(3),
        ))?
        .label("median (bars: min to max)")
        .legend(|(x, y)| {
            PathElement::new(
                [(x, y), (x + 20, y)],
                palette::BLUE.stroke_width(3),
            )
        });
    chart.draw_series(
        points
            .iter()
            .map(|p| Circle::new((p.0, p.1), 5, palette::BLUE.filled())),
    )?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(palette::CARD)
        .border_style(palette::GREY)
        .label_font(ink(13))
        .draw()?;
    root.present().context("cannot write the SVG")?;
    Ok(())
}
