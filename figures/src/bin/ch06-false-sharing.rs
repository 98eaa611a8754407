//! False sharing, from Listing 6.14's output: the time of every measured run
//! with the counters on one cache line and padded apart, and their medians.

use anyhow::{Context, Result, bail};
use figures::palette;
use plotters::prelude::*;

/// The median of some values (the middle one, as `bench::Summary` takes it).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// A tick label without needless decimals.
fn tick(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn main() -> Result<()> {
    // Rows look like "  3     89.6 ms         123 ms".
    let (mut same, mut apart) = (Vec::new(), Vec::new());
    for line in figures::stored_output("ch06-14-false-sharing")?.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [run, s, su, p, pu] = words.as_slice()
            && run.parse::<u32>().is_ok()
        {
            same.push(figures::millis(&format!("{s} {su}"))?);
            apart.push(figures::millis(&format!("{p} {pu}"))?);
        }
    }
    if same.is_empty() {
        bail!(
            "expected a table of runs in the output of ch06-14-false-sharing"
        );
    }
    let top = same.iter().chain(&apart).fold(0.0, |a: f64, &b| a.max(b));

    let path = figures::svg_path("ch06-false-sharing");
    let root = SVGBackend::new(&path, (640, 380)).into_drawing_area();
    root.fill(&palette::CARD)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Two threads, two counters: time of each run",
            figures::ink(17),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.5..1.5, 0.0..top * 1.15)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(3)
        .x_label_formatter(&|x: &f64| match x.round() as i64 {
            _ if (x - x.round()).abs() > 0.01 => String::new(),
            0 => "on one cache line".to_owned(),
            1 => "padded apart (CachePadded)".to_owned(),
            _ => String::new(),
        })
        .y_desc("time of one run (ms)")
        .y_label_formatter(&|y: &f64| tick(*y))
        .axis_style(palette::GREY)
        .light_line_style(palette::CARD)
        .label_style(figures::ink(13))
        .draw()?;
    let cases = [
        (0.0, &same, palette::ORANGE, "one run, counters on one line"),
        (1.0, &apart, palette::BLUE, "one run, counters padded apart"),
    ];
    for (x, times, colour, label) in cases {
        // Runs spread sideways in the order they ran, so none hides another.
        let n = times.len() as f64;
        chart
            .draw_series(times.iter().enumerate().map(|(i, &t)| {
                let dx = (i as f64 - (n - 1.0) / 2.0) * 0.04;
                Circle::new((x + dx, t), 4, colour.filled())
            }))?
            .label(label)
            .legend(move |(lx, ly)| {
                Circle::new((lx + 10, ly), 4, colour.filled())
            });
    }
    chart
        .draw_series(cases.iter().map(|(x, times, ..)| {
            let m = median(times);
            PathElement::new(
                [(x - 0.3, m), (x + 0.3, m)],
                palette::INK.stroke_width(3),
            )
        }))?
        .label("median of the runs")
        .legend(|(lx, ly)| {
            PathElement::new(
                [(lx, ly), (lx + 20, ly)],
                palette::INK.stroke_width(3),
            )
        });
    figures::draw_legend(&mut chart, SeriesLabelPosition::UpperRight, 13)?;
    root.present().context("cannot write the SVG")?;
    Ok(())
}
