//! False sharing, from Listing 6.14's output: the time of every measured run
//! with the counters on one cache line and padded apart, and their medians,
//! for fetch_add (left) and for plain stores (right), each on its own scale.

use anyhow::{Context, Result, bail};
use figures::palette;
use plotters::prelude::*;

/// The median of some values, as `bench::Summary` takes it: the middle
/// one, or the mean of the two middle ones for an even count.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// A tick label without needless decimals.
fn tick(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// One panel: the runs of one kind of write, on one line and padded apart.
fn panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    title: &str,
    [same, apart]: [&[f64]; 2],
    legend: bool,
) -> Result<()> {
    let top = same.iter().chain(apart).fold(0.0, |a: f64, &b| a.max(b));
    let mut chart = ChartBuilder::on(area)
        .caption(title, figures::ink(15))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(-0.5..1.5, 0.0..top * 1.4)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(3)
        .x_label_formatter(&|x: &f64| match x.round() as i64 {
            _ if (x - x.round()).abs() > 0.01 => String::new(),
            0 => "on one cache line".to_owned(),
            1 => "padded apart".to_owned(),
            _ => String::new(),
        })
        .y_desc("time of one run (ms)")
        .y_label_formatter(&|y: &f64| tick(*y))
        .axis_style(palette::GREY)
        .light_line_style(palette::CARD)
        .label_style(figures::ink(13))
        .draw()?;
    let cases = [
        (0.0, same, palette::ORANGE, "one run, counters on one line"),
        (1.0, apart, palette::BLUE, "one run, counters padded apart"),
    ];
    for (x, times, colour, label) in cases {
        // Runs spread sideways in the order they ran, so none hides another.
        let n = times.len() as f64;
        let dots =
            chart.draw_series(times.iter().enumerate().map(|(i, &t)| {
                let dx = (i as f64 - (n - 1.0) / 2.0) * 0.04;
                Circle::new((x + dx, t), 4, colour.filled())
            }))?;
        if legend {
            dots.label(label).legend(move |(lx, ly)| {
                Circle::new((lx + 10, ly), 4, colour.filled())
            });
        }
    }
    let bars = chart.draw_series(cases.iter().map(|(x, times, ..)| {
        let m = median(times);
        PathElement::new(
            [(x - 0.3, m), (x + 0.3, m)],
            palette::INK.stroke_width(3),
        )
    }))?;
    if legend {
        bars.label("median of the runs").legend(|(lx, ly)| {
            PathElement::new(
                [(lx, ly), (lx + 20, ly)],
                palette::INK.stroke_width(3),
            )
        });
        figures::draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 12)?;
    }
    Ok(())
}

fn main() -> Result<()> {
    // Lines look like "runs (ms), store, padded:   2.01 1.98 2.03": fetch_add
    // on one line and padded, then store on one line and padded.
    let mut cases: Vec<Vec<f64>> = Vec::new();
    for line in figures::stored_output("ch06-14-false-sharing")?.lines() {
        if let Some(runs) = line.strip_prefix("runs (ms), ")
            && let Some((_, times)) = runs.split_once(':')
        {
            let times = times.split_whitespace().map(str::parse::<f64>);
            cases.push(times.collect::<Result<_, _>>()?);
        }
    }
    if cases.len() != 4 || cases.iter().any(Vec::is_empty) {
        bail!(
            "expected a table of runs in the output of ch06-14-false-sharing"
        );
    }

    let path = figures::svg_path("ch06-false-sharing");
    let root = SVGBackend::new(&path, (760, 400)).into_drawing_area();
    root.fill(&palette::CARD)?;
    let root = root.titled(
        "Two threads, two counters: time of each run",
        figures::ink(17),
    )?;
    let panels = root.split_evenly((1, 2));
    panel(&panels[0], "fetch_add", [&cases[0], &cases[1]], false)?;
    panel(&panels[1], "store", [&cases[2], &cases[3]], true)?;
    root.present().context("cannot write the SVG")?;
    Ok(())
}
