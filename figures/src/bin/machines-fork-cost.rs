//! The cost of fork, and of Command, against the parent's resident memory, on
//! every machine the book has Listing 3.6's output from: the Machines appendix.

use anyhow::{Context, Result, bail};
use figures::palette;
use plotters::prelude::*;

/// (MiB, median in ms) of one series.
type Series = Vec<(f64, f64)>;

/// One colour per machine, in the order the machines come.
const COLOURS: [RGBColor; 4] =
    [palette::BLUE, palette::ORANGE, palette::GREEN, palette::RED];

/// The medians of `fork+wait` and of `Command` in one output of Listing 3.6,
/// whose rows look like "   256  fork+wait    5.36 ms    4.74 ms    12.4 ms".
fn medians(text: &str) -> Result<(Series, Series)> {
    let (mut fork, mut command) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [mib, name, value, unit, ..] = words.as_slice()
            && let Ok(mib) = mib.parse::<f64>()
        {
            let ms = || figures::millis(&format!("{value} {unit}"));
            match *name {
                "fork+wait" => fork.push((mib, ms()?)),
                "Command" => command.push((mib, ms()?)),
                _ => {}
            }
        }
    }
    if fork.len() < 2 || command.len() < 2 {
        bail!("expected a table of sizes in ch03-06-fork-vs-memory's output");
    }
    Ok((fork, command))
}

/// The CPU model of the output's machine line ("AMD EPYC"), if it has one.
fn cpu_model(text: &str) -> Option<&str> {
    let line = text.lines().find(|l| l.starts_with("machine: "))?;
    line.split(", ").nth(3)
}

fn main() -> Result<()> {
    let mut machines = Vec::new();
    for (name, text) in
        figures::outputs_on_every_machine("ch03-06-fork-vs-memory")?
    {
        let label = match cpu_model(&text) {
            Some(model) => format!("{name} ({model})"),
            None => name,
        };
        machines.push((label, medians(&text)?));
    }
    if machines.len() > COLOURS.len() {
        bail!("more machines than colours: add colours to COLOURS");
    }
    let points = || machines.iter().flat_map(|(_, (f, c))| f.iter().chain(c));
    let max_mib = points().map(|p| p.0).fold(0.0, f64::max);
    let max_ms = points().map(|p| p.1).fold(0.0, f64::max);

    let path = figures::svg_path("machines-fork-cost");
    let root = SVGBackend::new(&path, (700, 400)).into_drawing_area();
    root.fill(&palette::CARD)?;
    let mut chart = figures::chart(
        &root,
        "fork + waitpid and Command against the parent's memory, per machine",
        max_mib,
        max_ms,
    )?;
    figures::draw_memory_mesh(&mut chart, "median time (ms)")?;
    for ((label, (fork, command)), colour) in machines.iter().zip(COLOURS) {
        chart
            .draw_series(LineSeries::new(
                fork.iter().copied(),
                colour.stroke_width(3),
            ))?
            .label(format!("{label}: fork + child's _exit + waitpid"))
            .legend(move |(x, y)| {
                PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(3))
            });
        chart.draw_series(
            fork.iter().map(|&p| Circle::new(p, 4, colour.filled())),
        )?;
        chart
            .draw_series(DashedLineSeries::new(
                command.iter().copied(),
                6,
                4,
                colour.stroke_width(2),
            ))?
            .label(format!("{label}: Command /bin/true + wait"))
            .legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + PathElement::new([(0, 0), (8, 0)], colour.stroke_width(2))
                    + PathElement::new(
                        [(12, 0), (20, 0)],
                        colour.stroke_width(2),
                    )
            });
    }
    figures::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, 12)?;
    root.present().context("cannot write the SVG")?;
    Ok(())
}
