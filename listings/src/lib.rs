//! Helpers shared by the listings, kept here so each listing stays about its one idea:
//! [`cli`] parses arguments the book's way, [`bench`] measures the book's way.

pub mod bench;
pub mod cli;
