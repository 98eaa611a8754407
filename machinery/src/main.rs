//! `cargo book COMMAND`: the book's own tool (an alias in `.cargo/config.toml`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use machinery::book::LoadedBook;
use machinery::{Project, paths};

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
        /// Show your outputs from `cargo book compare` (target/compare/outputs/) under
        /// the book's, each with the claims judged on your run.
        #[arg(long)]
        mine: bool,
    },
    /// Run listings as the book shows them and store their outputs in listings/output/
    /// (all of them, one at a time, or only those named). Run it on a quiet machine.
    Refresh {
        /// Listing names, e.g. ch01-02-fork.
        listings: Vec<String>,
    },
    /// Rename or renumber a listing without running it again: its source, sidecar and
    /// stored outputs (the book's and other machines', whose `$ COMMAND` line is rewritten)
    /// and every mention of it (chapters, sidecars, figures, machines/, *.md). Refuses when
    /// NEW exists or OLD is unknown.
    Rename {
        /// The listing's name today, e.g. ch03-06-fork-vs-memory.
        old: String,
        /// Its new name, e.g. ch03-07-fork-vs-memory.
        new: String,
    },
    /// Run the book on your machine and compare: every listing (or those named), one at
    /// a time, into target/compare/outputs/; which outputs match the book, which claims
    /// hold here, every measured value beside the book's. Writes target/compare/report.html.
    /// Exits 0 when claims differ, 1 when a listing fails or its output differs.
    Compare {
        /// Listing names, e.g. ch01-02-fork.
        listings: Vec<String>,
        /// Fewer repetitions in the measurements (sets BOOK_QUICK=1 for the listings).
        #[arg(long)]
        quick: bool,
        /// Where to write the outputs and the report.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Keep this full run as a result of the repository, machines/NAME/ (its outputs,
        /// the report, a README.md to complete), which the tests then check.
        #[arg(long, value_name = "NAME", value_parser = machine_name,
              conflicts_with_all = ["quick", "listings"])]
        export: Option<String>,
        /// With --export: this run is a shape of that machine (one CPU under `taskset -c 1`,
        /// a container's cpuset), kept in machines/NAME/shapes/SHAPE/.
        #[arg(long, value_name = "SHAPE", value_parser = machine_name, requires = "export")]
        shape: Option<String>,
    },
    /// Print the book (print.html) to a PDF, with one bookmark per chapter, through a
    /// headless Chrome or Chromium (found as the README says: BOOK_CHROME, PATH, ...).
    Pdf {
        /// Where to write the PDF.
        #[arg(long, value_name = "FILE", default_value = "book.pdf")]
        out: PathBuf,
    },
    /// Redraw every figure in src/img/ from the stored outputs.
    Figures,
    /// Count, per chapter, the verdicts the prose marks ({{#verdict}}), the claims of the
    /// listings it shows (and how many a verdict rests on) and the values it quotes
    /// ({{#value}}); print the table the README keeps.
    Tally {
        /// Write the table into README.md, between its tally markers.
        #[arg(long)]
        readme: bool,
        /// Also list the claims no verdict of the prose rests on yet.
        #[arg(long)]
        unmarked: bool,
        /// With --readme: write a table with fewer checked verdicts than the README records
        /// (refused otherwise: the count only grows).
        #[arg(long, requires = "readme")]
        allow_fewer: bool,
    },
    /// PNG screenshots of every page, light and dark, into screenshots/ (needs Chrome or
    /// Chromium).
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
    if matches!(
        cli.command,
        Command::Compare { .. } | Command::Refresh { .. }
    ) {
        default_signal_dispositions();
    }
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
        Command::Serve { port, open, mine } => {
            serve(&project, port, open, mine)?;
        }
        Command::Compare {
            listings,
            quick,
            out,
            export,
            shape,
        } => {
            let options = machinery::compare::Options {
                listings,
                quick,
                out: out
                    .unwrap_or_else(|| project.root.join(paths::COMPARE_DIR)),
            };
            return compare(
                &project,
                &options,
                export.as_deref(),
                shape.as_deref(),
            );
        }
        Command::Pdf { out } => pdf(&project, &out)?,
        Command::Refresh { listings } => {
            machinery::refresh::refresh(&project, &listings)?;
        }
        Command::Rename { old, new } => {
            let done = machinery::rename::rename(&project, &old, &new)?;
            for (from, to) in &done.moved {
                println!("moved {} -> {}", from.display(), to.display());
            }
            for path in &done.rewritten {
                println!("rewrote {}", path.display());
            }
            for note in &done.notes {
                println!("note: {note}");
            }
        }
        Command::Figures => {
            for name in
                machinery::figures::draw_all(&project, None, None, false)?
            {
                println!(
                    "drew {}/{}",
                    paths::IMAGES_DIR,
                    paths::svg_file(&name)
                );
            }
        }
        Command::Tally {
            readme,
            unmarked,
            allow_fewer,
        } => tally(&project, readme, unmarked, allow_fewer)?,
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

/// `cargo book serve`; with `mine`, the reader's outputs from compare's default folder.
fn serve(project: &Project, port: u16, open: bool, mine: bool) -> Result<()> {
    let outputs = project
        .root
        .join(paths::COMPARE_DIR)
        .join(paths::COMPARE_OUTPUTS);
    if mine && !outputs.is_dir() {
        anyhow::bail!(
            "no {} yet: run `cargo book compare` first",
            outputs.display()
        );
    }
    let mine = mine.then_some(outputs.as_path());
    machinery::serve::serve(project, port, open, mine)
}

/// `cargo book compare`: the report printed, the run exported as `machines/NAME/` if asked;
/// a failure when a listing failed or its output differs.
fn compare(
    project: &Project,
    options: &machinery::compare::Options,
    export: Option<&str>,
    shape: Option<&str>,
) -> Result<ExitCode> {
    let report = machinery::compare::compare(project, options)?;
    println!("{}", report.terminal());
    if let Some(name) = export {
        let folder = machinery::export::export(
            project,
            name,
            shape,
            &options.out,
            &report,
        )?;
        println!(
            "exported to {}: complete its README.md and why-not.toml, then \
             propose it (see machines/README.md)",
            folder.display()
        );
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Listings run as from a terminal: with the default action for every signal. An ignored
/// signal stays ignored through fork and exec (signal(7)), and a tool started in the
/// background inherits ignored signals (a script's `cmd &` ignores SIGINT and SIGQUIT,
/// `nohup` SIGHUP); a listing that shows what SIGINT does would then wait forever.
fn default_signal_dispositions() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    for sig in [
        Signal::SIGHUP,
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGTERM,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGALRM,
        Signal::SIGCHLD,
        Signal::SIGTSTP,
        Signal::SIGTTIN,
        Signal::SIGTTOU,
    ] {
        // SAFETY: no other thread exists yet, and SIG_DFL replaces only SIG_IGN: the
        // previous disposition is put back when it was anything else.
        unsafe {
            if let Ok(previous) = signal(sig, SigHandler::SigDfl)
                && !matches!(previous, SigHandler::SigIgn)
            {
                let _ = signal(sig, previous);
            }
        }
    }
}

/// Prints the tally; with `readme`, writes it into the README; with `unmarked`, lists the
/// claims no verdict rests on.
fn tally(
    project: &Project,
    readme: bool,
    unmarked: bool,
    allow_fewer: bool,
) -> Result<()> {
    use anyhow::Context;
    use machinery::verdict;
    let tally = LoadedBook::load(project)?.tally(project)?;
    let table = tally.table();
    print!("{table}");
    let list = |title: &str, claims: &[_]| {
        println!("\n{title} ({}):", claims.len());
        for claim in claims {
            println!("  {claim}");
        }
    };
    if !tally.dead.is_empty() {
        list(
            "Dead claims: of listings no chapter shows, and no verdict rests on them",
            &tally.dead,
        );
    }
    if unmarked {
        list("Claims no verdict of the prose rests on", &tally.unmarked);
    }
    if readme {
        let path = project.root.join(paths::README_MD);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        // The count of checked verdicts only grows: lowering it is a decision, said aloud.
        let recorded =
            verdict::readme_table(&text).and_then(verdict::verdicts_in_table);
        if let (Some(was), Some(now)) =
            (recorded, verdict::verdicts_in_table(&table))
            && now < was
            && !allow_fewer
        {
            anyhow::bail!(
                "README.md records {was} checked verdicts and the chapters now mark {now}: \
                 a verdict lost its mark. Restore it (or mark what replaced it); if the \
                 sentence is gone for good, rerun with --allow-fewer and say why in the commit"
            );
        }
        let Some(new) = verdict::with_readme_table(&text, &table) else {
            anyhow::bail!(
                "README.md has no tally markers: put the lines `{}` and `{}` where the \
                 table goes",
                verdict::README_START,
                verdict::README_END
            );
        };
        std::fs::write(&path, new)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote the table into README.md");
    }
    Ok(())
}

#[cfg(feature = "browser")]
fn screenshots(project: &Project) -> Result<()> {
    let dir = project.root.join(machinery::paths::SCREENSHOTS_DIR);
    let written = machinery::browser::screenshots(project, &dir)?;
    println!("wrote {} screenshots to {}", written.len(), dir.display());
    Ok(())
}

#[cfg(feature = "browser")]
fn pdf(project: &Project, out: &std::path::Path) -> Result<()> {
    let started = std::time::Instant::now();
    let bytes = machinery::pdf::print(project, out)?;
    println!(
        "wrote {} ({} KiB) in {:.1?}",
        out.display(),
        bytes / 1024,
        started.elapsed()
    );
    Ok(())
}

#[cfg(not(feature = "browser"))]
fn screenshots(_: &Project) -> Result<()> {
    without_browser("screenshots")
}

#[cfg(not(feature = "browser"))]
fn pdf(_: &Project, _: &std::path::Path) -> Result<()> {
    without_browser("pdf")
}

#[cfg(not(feature = "browser"))]
fn without_browser(command: &str) -> Result<()> {
    anyhow::bail!(
        "`{command}` needs the browser feature: run `cargo book {command}` (the alias \
         enables it), or add `--features browser` to `cargo run -p machinery`"
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

/// A machine's name for `--export`: a folder name under machines/.
fn machine_name(name: &str) -> Result<String, String> {
    if machinery::export::valid_name(name) {
        Ok(name.to_owned())
    } else {
        Err(
            "use lower-case letters, digits and dashes, e.g. intel-xeon-2vcpu"
                .into(),
        )
    }
}
