//! Idle connections against a thread-per-connection server and a tokio
//! server, from Listing 8.3's output: memory (resident, page tables, kernel
//! stacks), setup time, round trip (medians over the runs).

use anyhow::{Context, Result, bail, ensure};
use figures::palette;
use plotters::prelude::*;

/// A size as the listing prints it in KiB ("10.2 KiB", "16.0 KiB/conn").
fn kib(value: &str, unit: &str) -> Result<f64> {
    ensure!(
        unit.starts_with("KiB"),
        "expected a size in KiB, found {unit:?}"
    );
    value.parse().context("a number of KiB")
}

#[derive(Default)]
struct Server {
    rss_kib: Vec<(f64, f64)>, // (connections, KiB per connection)
    pte_kib: Vec<(f64, f64)>, // (connections, KiB per connection)
    kernel_kib: Vec<(f64, f64)>, // (connections, KiB per connection)
    setup_ms: Vec<(f64, f64)>,
    rtt_us: Vec<(f64, f64)>,
}

fn parse(output: &str) -> Result<[Server; 2]> {
    let mut servers = [Server::default(), Server::default()];
    for line in output.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let index = match w.first() {
            Some(&"threads") => 0,
            Some(&"tokio") => 1,
            _ => continue,
        };
        let server = &mut servers[index];
        let conns: f64 = w[1].parse().context("connections")?;
        // Memory rows: kind conns threads X MiB Y KiB P KiB/conn K KiB/conn
        if w.len() == 11 && w[4] == "MiB" {
            server.rss_kib.push((conns, kib(w[5], w[6])?));
            server.pte_kib.push((conns, kib(w[7], w[8])?));
            server.kernel_kib.push((conns, kib(w[9], w[10])?));
        // Time rows: kind conns S unit (min, max) M unit (min, max)
        } else if w.len() == 14 {
            let ms = |v, u| figures::millis(&format!("{v} {u}"));
            server.setup_ms.push((conns, ms(w[2], w[3])?));
            server.rtt_us.push((conns, ms(w[8], w[9])? * 1e3));
        }
    }
    if servers
        .iter()
        .any(|s| s.rss_kib.len() < 2 || s.rtt_us.len() < 2)
    {
        bail!("expected the two tables of ch08-03-idle-connections");
    }
    Ok(servers)
}

type Series<'a> = (&'a str, RGBColor, &'a [(f64, f64)]);

/// One panel: connections (log scale) against a value, one line a series.
fn panel(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    title: &str,
    y_desc: &str,
    log_y: bool,
    series: &[Series],
) -> Result<()> {
    let max_x = series
        .iter()
        .flat_map(|s| s.2.iter().map(|p| p.0))
        .fold(100.0, f64::max);
    let (min_y, max_y) = series
        .iter()
        .flat_map(|s| s.2.iter().map(|p| p.1))
        .fold((f64::MAX, 0.0_f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title, figures::ink(16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55);
    let x = (70.0..max_x * 1.4).log_scale();
    let label_x = |x: &f64| format!("{x:.0}");
    // Ticks without needless decimals: whole numbers, or one decimal
    // only below 10.
    let label_y = |y: &f64| {
        if *y >= 10.0 || y.fract() == 0.0 {
            format!("{y:.0}")
        } else {
            format!("{y:.1}")
        }
    };
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc("idle connections")
                .y_desc(y_desc)
                .x_label_formatter(&label_x)
                .y_label_formatter(&label_y)
                .axis_style(palette::GREY)
                .light_line_style(palette::CARD)
                .label_style(figures::ink(12))
                .draw()?;
            for &(name, colour, points) in series {
                chart
                    .draw_series(LineSeries::new(
                        points.iter().copied(),
                        colour.stroke_width(3),
                    ))?
                    .label(name)
                    .legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + PathElement::new(
                                [(0, 0), (20, 0)],
                                colour.stroke_width(3),
                            )
                            + Circle::new((10, 0), 4, colour.filled())
                    });
                chart.draw_series(
                    points.iter().map(|&p| Circle::new(p, 4, colour.filled())),
                )?;
            }
            figures::draw_legend(
                &mut chart,
                SeriesLabelPosition::UpperLeft,
                12,
            )?;
        }};
    }
    if log_y {
        let y = (min_y * 0.5..max_y * 3.0).log_scale();
        draw!(builder.build_cartesian_2d(x, y)?);
    } else {
        draw!(builder.build_cartesian_2d(x, 0.0..max_y * 1.5)?);
    }
    Ok(())
}

fn main() -> Result<()> {
    let [threads, tokio] =
        parse(&figures::stored_output("ch08-03-idle-connections")?)?;
    let path = figures::svg_path("ch08-connections");
    let root = SVGBackend::new(&path, (960, 340)).into_drawing_area();
    root.fill(&palette::CARD)?;
    let areas = root.split_evenly((1, 3));
    panel(
        &areas[0],
        "server memory per connection",
        "KiB per connection",
        false,
        &[
            ("thread: kernel stack", palette::ORANGE, &threads.kernel_kib),
            ("thread: RSS", palette::RED, &threads.rss_kib),
            ("thread: page tables", palette::GREEN, &threads.pte_kib),
            ("tokio task: RSS", palette::BLUE, &tokio.rss_kib),
        ],
    )?;
    panel(
        &areas[1],
        "setup: connect, one echo each",
        "time (ms)",
        true,
        &[
            ("thread per connection", palette::RED, &threads.setup_ms),
            ("tokio task per connection", palette::BLUE, &tokio.setup_ms),
        ],
    )?;
    panel(
        &areas[2],
        "one round trip among the idle",
        "median (µs)",
        false,
        &[
            ("thread per connection", palette::RED, &threads.rtt_us),
            ("tokio task per connection", palette::BLUE, &tokio.rtt_us),
        ],
    )?;
    root.present().context("cannot write the SVG")?;
    Ok(())
}
