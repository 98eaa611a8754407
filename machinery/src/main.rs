//! `cargo book COMMAND`: build or serve the book, refresh the listings' outputs.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use machinery::Project;
use machinery::book::LoadedBook;

const USAGE: &str = "usage: cargo book build [DIR] | serve [PORT] | refresh [LISTING...] | figures | screenshots | preprocess";

fn main() -> ExitCode {
    // mdBook reports problems through `tracing`; show them.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_max_level(tracing::Level::WARN)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let project = Project::this();
    match args.first().map(String::as_str) {
        Some("build") => {
            let dest = args.get(1).map(std::path::PathBuf::from);
            let started = std::time::Instant::now();
            let dir =
                LoadedBook::load(&project)?.build_html(dest.as_deref())?;
            println!("built {} in {:.2?}", dir.display(), started.elapsed());
            Ok(())
        }
        Some("serve") => {
            let port = match args.get(1) {
                Some(p) => {
                    p.parse().with_context(|| format!("not a port: {p:?}"))?
                }
                None => 3000,
            };
            let dir = LoadedBook::load(&project)?.build_html(None)?;
            machinery::serve::serve(&dir, port)
        }
        Some("figures") => {
            for name in machinery::figures::draw_all(&project, None, false)? {
                println!("drew src/img/{name}.svg");
            }
            Ok(())
        }
        #[cfg(feature = "browser")]
        Some("screenshots") => {
            let dir = project.root.join("screenshots");
            let written = machinery::browser::screenshots(&project, &dir)?;
            println!(
                "wrote {} screenshots to {}",
                written.len(),
                dir.display()
            );
            Ok(())
        }
        #[cfg(not(feature = "browser"))]
        Some("screenshots") => {
            bail!("screenshots need the browser: cargo screenshots")
        }
        Some("refresh") => machinery::refresh::refresh(&project, &args[1..]),
        Some("preprocess") => preprocess(&project, &args[1..]),
        _ => bail!("{USAGE}"),
    }
}

/// The mdBook preprocessor protocol, so that a plain `mdbook build` works too.
fn preprocess(project: &Project, args: &[String]) -> Result<()> {
    use mdbook_preprocessor::Preprocessor;
    if args.first().map(String::as_str) == Some("supports") {
        return Ok(());
    }
    let (ctx, book) = mdbook_preprocessor::parse_input(std::io::stdin())?;
    let preprocessor = machinery::book::ListingPreprocessor::new(project)?;
    let book = preprocessor.run(&ctx, book)?;
    serde_json::to_writer(std::io::stdout(), &book)?;
    Ok(())
}
