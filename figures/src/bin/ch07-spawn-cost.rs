//! Three ways to start a program against the parent's resident memory, from
//! Listing 7.3's output.

use anyhow::{Context, Result, bail};
use figures::palette;
use plotters::prelude::*;

/// The ways, in the order of the output, with their colour and mark.
const WAYS: [(&str, RGBColor); 3] = [
    ("Command (posix_spawn)", palette::BLUE),
    ("Command + pre_exec", palette::ORANGE),
    ("fork + exec", palette::GREEN),
];

fn mark<DB: DrawingBackend>(
    way: usize,
    (x, y): (f64, f64),
    colour: RGBColor,
) -> DynElement<'static, DB, (f64, f64)> {
    match way {
        0 => Circle::new((x, y), 5, colour.filled()).into_dyn(),
        1 => TriangleMarker::new((x, y), 7, colour.filled()).into_dyn(),
        _ => Cross::new((x, y), 5, colour.stroke_width(3)).into_dyn(),
    }
}

fn main() -> Result<()> {
    // Rows look like "  1024  Command (posix_spawn)     2.40 ms  646 µs  ...".
    let mut series: [Vec<(f64, f64)>; 3] = Default::default(); // (MiB, ms)
    for line in figures::stored_output("ch07-03-spawn-cost")?.lines() {
        let cells: Vec<&str> = line
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        let [mib, name, median, _, _] = cells[..] else {
            continue;
        };
        let Ok(mib) = mib.parse::<f64>() else {
            continue;
        };
        if let Some(way) = WAYS.iter().position(|w| w.0 == name) {
            series[way].push((mib, figures::millis(median)?));
        }
    }
    if series.iter().any(|s| s.len() < 2) {
        bail!("expected a table of sizes in the output of ch07-03-spawn-cost");
    }
    let points = series.iter().flatten();
    let max_mib = points.clone().map(|p| p.0).fold(0.0, f64::max);
    let max_ms = points.map(|p| p.1).fold(0.0, f64::max);

    let path = figures::svg_path("ch07-spawn-cost");
    let root = SVGBackend::new(&path, (700, 380)).into_drawing_area();
    root.fill(&palette::CARD)?;
    let mut chart = figures::chart(
        &root,
        "Starting /bin/true as the parent grows (medians)",
        max_mib,
        max_ms,
    )?;
    figures::draw_memory_mesh(&mut chart, "time to start and reap (ms)")?;
    for (way, (&(name, colour), points)) in WAYS.iter().zip(&series).enumerate()
    {
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(3),
            ))?
            .label(name)
            .legend(move |(x, y)| {
                // Relative to (x, y): a short line with the mark on it.
                let line =
                    PathElement::new([(0, 0), (20, 0)], colour.stroke_width(3));
                EmptyElement::at((x, y))
                    + line
                    + match way {
                        0 => {
                            Circle::new((10, 0), 5, colour.filled()).into_dyn()
                        }
                        1 => TriangleMarker::new((10, 0), 7, colour.filled())
                            .into_dyn(),
                        _ => Cross::new((10, 0), 5, colour.stroke_width(3))
                            .into_dyn(),
                    }
            });
        chart.draw_series(points.iter().map(|&p| mark(way, p, colour)))?;
    }
    figures::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 13)?;
    root.present().context("cannot write the SVG")?;
    Ok(())
}
