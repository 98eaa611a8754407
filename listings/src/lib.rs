//! Helpers shared by the listings, kept here so each listing stays about its one idea:
//! [`cli`] parses arguments the book's way, [`bench`] measures the book's way, [`model`]
//! explores every execution of a small model with loom, [`litmus`] counts the outcomes of
//! the same test on real threads.

pub mod bench;
pub mod cli;
pub mod litmus;
pub mod model;
