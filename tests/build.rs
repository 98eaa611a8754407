//! Hands the book's chapters, as the reader sees them, to skeptic (see machinery::snippets).

fn main() {
    for input in ["../src", "../listings", "../book.toml"] {
        println!("cargo:rerun-if-changed={input}");
    }
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    if let Err(e) = machinery::snippets::generate_tests(
        &machinery::Project::this(),
        out_dir.as_ref(),
    ) {
        panic!("cannot write the snippet tests: {e:#}");
    }
}
