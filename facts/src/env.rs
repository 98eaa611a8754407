//! The environment variables by which the machinery tells the listings and the figures how to
//! run: set by the machinery, read by `listings::bench` and `figures`.

/// `1` asks a measurement for fewer repetitions (`listings::bench::quick`): set by `cargo
/// book compare --quick` and the listings test, never by `cargo book refresh`.
pub const BOOK_QUICK: &str = "BOOK_QUICK";

/// The project root, for a figure binary (else found above the current folder).
pub const BOOK_ROOT: &str = "BOOK_ROOT";

/// The folder a figure reads outputs from (default: `listings/output/`): `cargo book
/// compare` points it at the reader's run.
pub const BOOK_OUTPUTS_DIR: &str = "BOOK_OUTPUTS_DIR";

/// The folder a figure writes its SVG into (default: `src/img/`): the book test draws into
/// a temporary folder to compare.
pub const FIGURES_DIR: &str = "FIGURES_DIR";
