//! Where things are in the project, relative to its root (the folder that holds
//! [`BOOK_TOML`]). Every path the code names is here.

/// mdBook's configuration; its folder is the project root.
pub const BOOK_TOML: &str = "book.toml";
/// The chapters (mdBook's `src`).
pub const CHAPTERS_DIR: &str = "src";
/// The figures, each drawn by its binary `figures/src/bin/NAME.rs`.
pub const IMAGES_DIR: &str = "src/img";
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
/// mdBook's theme overrides: the listings' CSS and script, the page head.
pub const THEME_DIR: &str = "theme";
/// The architecture map, checked against the folders and the machinery's modules.
pub const ARCHITECTURE_MD: &str = "ARCHITECTURE.md";
/// The machinery's modules.
pub const MACHINERY_SRC_DIR: &str = "machinery/src";

/// The nearest folder at or above `start` that holds [`BOOK_TOML`]: the project root.
pub fn book_root_above(start: &std::path::Path) -> Option<std::path::PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(BOOK_TOML).is_file())
        .map(std::path::Path::to_path_buf)
}
