//! Every Rust block of the book, compiled and run by skeptic as the reader sees it.
//! Test names are `CHAPTER_sect_SECTION_line_N`: line N of `src/CHAPTER.md`.

include!(concat!(env!("OUT_DIR"), "/snippet-tests.rs"));
