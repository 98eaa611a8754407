//! `cargo book COMMAND`: the book's own tool (an alias in `.cargo/config.toml`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use machinery::Project;
use machinery::book::LoadedBook;

/// Build, serve, refresh and check the executable book.
#[derive(Parser)]
#[command(name = "cargo book", bin_name = "cargo book")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the book (HTML, with search) into book/ or DEST.
    Build {
        /// Where to write the HTML book.
        #[arg(long, value_name = "DIR")]
        dest: Option<PathBuf>,
    },
    /// Serve the book at http://127.0.0.1:PORT/, rebuild it when a chapter, listing,
    /// sidecar, output or theme file changes, and reload the open pages.
    Serve {
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Open the book in the default web browser.
        #[arg(long)]
        open: bool,
    },
    /// Run listings as the book shows them and store their outputs in listings/output/
    /// (all of them, one at a time, or only those named). Run it on a quiet machine.
    Refresh {
        /// Listing names, e.g. ch01-02-fork.
        listings: Vec<String>,
    },
    /// Redraw every figure in src/img/ from the stored outputs.
    Figures,
    /// PNG screenshots of every page, light and dark, into screenshots/ (needs Chromium;
    /// run as `cargo screenshots`, which enables the browser feature).
    Screenshots,
    /// The mdBook preprocessor protocol, so that a plain `mdbook build` works too.
    Preprocess {
        #[command(subcommand)]
        supports: Option<Supports>,
    },
}

#[derive(Subcommand)]
enum Supports {
    /// Whether the preprocessor supports RENDERER (exit 0) or not (exit 1).
    Supports { renderer: String },
}

fn main() -> ExitCode {
    // mdBook reports problems through `tracing`; show them.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_max_level(tracing::Level::WARN)
        .init();
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<ExitCode> {
    let project = Project::find()?;
    match command {
        Command::Build { dest } => {
            let started = std::time::Instant::now();
            let dir =
                LoadedBook::load(&project)?.build_html(dest.as_deref())?;
            println!("built {} in {:.2?}", dir.display(), started.elapsed());
        }
        Command::Serve { port, open } => {
            machinery::serve::serve(&project, port, open)?;
        }
        Command::Refresh { listings } => {
            machinery::refresh::refresh(&project, &listings)?;
        }
        Command::Figures => {
            for name in machinery::figures::draw_all(&project, None, false)? {
                println!("drew src/img/{name}.svg");
            }
        }
        Command::Screenshots => screenshots(&project)?,
        Command::Preprocess {
            supports: Some(Supports::Supports { renderer }),
        } => {
            // Listings are laid out as HTML: only the HTML renderer (and mdBook's own
            // markdown renderer, which the tests use) can show them.
            return Ok(match renderer.as_str() {
                "html" | "markdown" => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            });
        }
        Command::Preprocess { supports: None } => preprocess(&project)?,
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "browser")]
fn screenshots(project: &Project) -> Result<()> {
    let dir = project.root.join("screenshots");
    let written = machinery::browser::screenshots(project, &dir)?;
    println!("wrote {} screenshots to {}", written.len(), dir.display());
    Ok(())
}

#[cfg(not(feature = "browser"))]
fn screenshots(_: &Project) -> Result<()> {
    anyhow::bail!(
        "screenshots need the browser feature: run `cargo screenshots`"
    )
}

/// Reads mdBook's `[context, book]` on stdin and writes the expanded book on stdout.
fn preprocess(project: &Project) -> Result<()> {
    use mdbook_preprocessor::Preprocessor;
    let (ctx, book) = mdbook_preprocessor::parse_input(std::io::stdin())?;
    let preprocessor = machinery::book::ListingPreprocessor::new(project)?;
    let book = preprocessor.run(&ctx, book)?;
    serde_json::to_writer(std::io::stdout(), &book)?;
    Ok(())
}
