//! Where things are in the project, relative to its root (the folder that holds
//! [`BOOK_TOML`]). Every path the code names is here; a figure's or a listing's file in
//! these folders is named by [`svg_file`] and [`crate::output::file_name`].

/// mdBook's configuration; its folder is the project root.
pub const BOOK_TOML: &str = "book.toml";
/// The chapters (mdBook's `src`).
pub const CHAPTERS_DIR: &str = "src";
/// The figures, each drawn by its binary `figures/src/bin/NAME.rs`.
pub const IMAGES_DIR: &str = "src/img";
/// The References chapter, whose every entry some chapter cites.
pub const REFERENCES_MD: &str = "src/references.md";
/// The figure binaries, `NAME.rs` each, drawing `src/img/NAME.svg`.
pub const FIGURES_SRC_DIR: &str = "figures/src/bin";
/// The `listings` package: programs, compile-fail files and stored outputs.
pub const LISTINGS_DIR: &str = "listings";
/// Runnable listings `NAME.rs` with their sidecars `NAME.toml`.
pub const PROGRAMS_DIR: &str = "listings/src/bin";
/// Listings rustc must reject, with their sidecars.
pub const COMPILE_FAIL_DIR: &str = "listings/compile-fail";
/// Stored outputs `NAME.txt`, written only by `cargo book refresh`.
pub const OUTPUTS_DIR: &str = "listings/output";
/// Outputs from other machines: `machines/MACHINE/outputs/NAME.txt`, one folder a machine,
/// with a README.md that describes it.
pub const MACHINES_DIR: &str = "machines";
/// The folder of a machine's outputs, inside its folder under [`MACHINES_DIR`].
pub const MACHINE_OUTPUTS: &str = "outputs";
/// The shapes of a machine (one CPU, a cpuset), each a folder like a machine's, inside its
/// folder under [`MACHINES_DIR`]: `machines/MACHINE/shapes/SHAPE/`.
pub const MACHINE_SHAPES: &str = "shapes";
/// Why claims of the book fail on one machine (or shape), in its folder: one entry per claim
/// that does not hold there.
pub const MACHINE_WHY_NOT: &str = "why-not.toml";
/// What `cargo book compare` printed for the run a machine's folder keeps.
pub const MACHINE_REPORT: &str = "compare-report.txt";
/// mdBook's theme overrides: the listings' CSS and script, the page head.
pub const THEME_DIR: &str = "theme";
/// Where `cargo book compare` writes (unless told `--out DIR`): the reader's outputs in
/// [`COMPARE_OUTPUTS`], the figures, `report.html`.
pub const COMPARE_DIR: &str = "target/compare";
/// The reader's outputs, inside a compare folder.
pub const COMPARE_OUTPUTS: &str = "outputs";
/// The page of compare's report, inside a compare folder.
pub const COMPARE_REPORT: &str = "report.html";
/// The figures drawn from the reader's run, inside a compare folder.
pub const COMPARE_FIGURES: &str = "figures";
/// The outputs those figures are drawn from (the book's, overlaid with the reader's).
pub const COMPARE_FIGURE_DATA: &str = "figure-data";
/// Where `cargo screenshots` writes its images (git-ignored).
pub const SCREENSHOTS_DIR: &str = "screenshots";
/// The README, which keeps the tally of verdicts.
pub const README_MD: &str = "README.md";
/// Every input of the built book, which `cargo book serve` watches and the live-reload test
/// copies: the chapters (the quizzes among them), the listings with their outputs, other
/// machines' outputs (the Machines appendix, the one-CPU quiz questions), the theme,
/// `book.toml`.
pub const BOOK_INPUTS: &[&str] = &[
    CHAPTERS_DIR,
    LISTINGS_DIR,
    MACHINES_DIR,
    THEME_DIR,
    BOOK_TOML,
];
/// The architecture map, checked against the folders and the machinery's modules.
pub const ARCHITECTURE_MD: &str = "ARCHITECTURE.md";
/// The machinery's modules.
pub const MACHINERY_SRC_DIR: &str = "machinery/src";

/// The file a figure draws, in [`IMAGES_DIR`] or another folder: `NAME.svg`.
pub fn svg_file(figure: &str) -> String {
    format!("{figure}.svg")
}

/// The nearest folder at or above `start` that holds [`BOOK_TOML`]: the project root.
pub fn book_root_above(start: &std::path::Path) -> Option<std::path::PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(BOOK_TOML).is_file())
        .map(std::path::Path::to_path_buf)
}
