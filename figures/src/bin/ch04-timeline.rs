//! The timeline of Listing 4.4: which thread ran when, on one CPU and on two.

use anyhow::{Context, Result, bail};
use figures::palette;
use plotters::prelude::*;

/// One "2 threads ..." block of the listing's output: its title and its two rows.
struct Panel {
    title: String,
    rows: Vec<Vec<bool>>,
}

fn parse(output: &str) -> Result<(Vec<Panel>, f64)> {
    let mut panels: Vec<Panel> = Vec::new();
    let mut column_ms = None;
    for line in output.lines() {
        if let Some(rest) = line.split("one column per ").nth(1) {
            let micros: f64 = rest
                .trim_end_matches(" µs")
                .parse()
                .context("column width")?;
            column_ms = Some(micros / 1000.0);
        } else if line.starts_with("2 threads") {
            panels.push(Panel {
                title: line.trim_end_matches(':').to_owned(),
                rows: Vec::new(),
            });
        } else if let Some((_, row)) = line.split_once('|') {
            let row = row
                .trim_end_matches('|')
                .chars()
                .map(|c| c == '#')
                .collect();
            panels
                .last_mut()
                .context("a row before any panel")?
                .rows
                .push(row);
        }
    }
    if panels.len() != 2 || panels.iter().any(|p| p.rows.len() != 2) {
        bail!(
            "expected two panels of two rows in the output of ch04-04-timeline"
        );
    }
    Ok((panels, column_ms.context("no column width in the output")?))
}

fn main() -> Result<()> {
    let (panels, column_ms) =
        parse(&figures::stored_output("ch04-04-timeline")?)?;
    let path = figures::svg_path("ch04-timeline");
    let root = SVGBackend::new(&path, (760, 320)).into_drawing_area();
    root.fill(&palette::CARD)?;
    let colours = [palette::BLUE, palette::ORANGE];
    for (area, panel) in root.split_evenly((2, 1)).iter().zip(&panels) {
        let width = panel.rows[0].len() as f64 * column_ms;
        let mut chart = ChartBuilder::on(area)
            .caption(&panel.title, figures::ink(16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..width, 0.0..2.0)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(5) // ticks at 0, 0.5, ... 2: the rows' centres are 0.5 and 1.5
            .y_label_formatter(&|y: &f64| match (y * 2.0).round() as i32 {
                3 => "thread 1".to_owned(),
                1 => "thread 2".to_owned(),
                _ => String::new(),
            })
            .x_desc("time since the start (ms)")
            .axis_style(palette::GREY)
            .label_style(figures::ink(12))
            .draw()?;
        for (n, row) in panel.rows.iter().enumerate() {
            let band = 1.0 - n as f64; // thread 1 on top
            let ran = row.iter().enumerate().filter(|(_, ran)| **ran);
            chart.draw_series(ran.map(|(col, _)| {
                let x = col as f64 * column_ms;
                let (low, high) = (band + 0.1, band + 0.9);
                Rectangle::new(
                    [(x, low), (x + column_ms, high)],
                    colours[n].filled(),
                )
            }))?;
        }
    }
    root.present().context("cannot write the SVG")?;
    Ok(())
}
