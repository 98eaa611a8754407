//! Hands the book's chapters, as the reader sees them, to skeptic (see machinery::snippets).
//! If the book cannot be found, the build fails; if it cannot be expanded, the generated
//! snippet test is one that fails with the reason (`snippets::generate_tests`): a test suite
//! that cannot see the book must not pass having tested nothing.

fn main() {
    use machinery::paths::{BOOK_TOML, CHAPTERS_DIR, LISTINGS_DIR};
    for input in [CHAPTERS_DIR, LISTINGS_DIR, BOOK_TOML] {
        println!("cargo:rerun-if-changed=../{input}");
    }
    // The target the snippets are compiled for, for the failing-snippet fixture test.
    let target = std::env::var("TARGET").expect("cargo sets TARGET");
    println!("cargo:rustc-env=SNIPPET_TARGET={target}");
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    let result = machinery::Project::find().and_then(|project| {
        machinery::snippets::generate_tests(&project, out_dir.as_ref())
    });
    if let Err(e) = result {
        panic!("cannot write the snippet tests: {e:#}");
    }
}
