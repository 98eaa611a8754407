//! The cost of fork, and of Command, against the parent's resident memory,
//! from Listing 3.6's output.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use figures::palette;
use plotters::prelude::*;

/// (MiB, median, min, max) in ms.
type Point = (f64, f64, f64, f64);

/// The series of the figure: the name in the output, the label, the colour.
const SERIES: [(&str, &str, RGBColor); 3] = [
    ("fork+wait", "fork + child's _exit + waitpid", palette::BLUE),
    (
        "fork",
        "fork, until it returns in the parent",
        palette::GREEN,
    ),
    ("Command", "Command /bin/true + wait", palette::ORANGE),
];

fn main() -> Result<()> {
    // Rows look like "   256  fork+wait    5.36 ms    4.74 ms    12.4 ms".
    let mut series: BTreeMap<&str, Vec<Point>> = BTreeMap::new();
    for line in figures::stored_output("ch03-06-fork-vs-memory")?.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [mib, name, v1, u1, v2, u2, v3, u3] = words.as_slice()
            && let Ok(mib) = mib.parse::<f64>()
            && let Some((key, _, _)) = SERIES.iter().find(|s| s.0 == *name)
        {
            let ms = |v, u| figures::millis(&format!("{v} {u}"));
            let point = (mib, ms(v1, u1)?, ms(v2, u2)?, ms(v3, u3)?);
            series.entry(key).or_default().push(point);
        }
    }
    if series.len() != SERIES.len() || series.values().any(|s| s.len() < 2) {
        bail!("expected a table of sizes in ch03-06-fork-vs-memory's output");
    }
    let all = || series.values().flatten();
    let max_mib = all().map(|p| p.0).fold(0.0, f64::max);
    let max_ms = all().map(|p| p.3).fold(0.0, f64::max);

    let path = figures::svg_path("ch03-fork-cost");
    let root = SVGBackend::new(&path, (700, 400)).into_drawing_area();
    root.fill(&palette::CARD)?;
    let mut chart = figures::chart(
        &root,
        "Creating a process against the parent's memory",
        max_mib,
        max_ms,
    )?;
    figures::draw_memory_mesh(&mut chart, "time (ms)")?;
    for (key, label, colour) in SERIES {
        let points = &series[key];
        // A bar from the fastest to the slowest run, capped at both ends.
        chart.draw_series(points.iter().flat_map(|&(x, _, min, max)| {
            let cap = max_mib * 0.006;
            [(x, min, x, max), (x - cap, min, x + cap, min)]
                .into_iter()
                .chain([(x - cap, max, x + cap, max)])
                .map(move |(x0, y0, x1, y1)| {
                    PathElement::new(
                        [(x0, y0), (x1, y1)],
                        colour.stroke_width(1),
                    )
                })
        }))?;
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|p| (p.0, p.1)),
                colour.stroke_width(3),
            ))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(3))
            });
        chart.draw_series(
            points
                .iter()
                .map(|p| Circle::new((p.0, p.1), 4, colour.filled())),
        )?;
    }
    // Explains the marks the series share.
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label("dot: median of the runs; bar: fastest to slowest run")
        .legend(|(x, y)| {
            EmptyElement::at((x + 10, y))
                + Circle::new((0, 0), 4, palette::GREY.filled())
                + PathElement::new(
                    [(0, -7), (0, 7)],
                    palette::GREY.stroke_width(1),
                )
        });
    figures::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 13)?;
    root.present().context("cannot write the SVG")?;
    Ok(())
}
