//! One source for each fact that the listings, the figures and the machinery share, in a
//! crate small enough for all three to depend on: where things are in the project
//! ([`paths`]), how quantities are printed and read back ([`units`]), what an output file
//! and the lines read back from it look like ([`output`]), how a concurrent test's allowed
//! and observed outcomes are printed ([`outcomes`]), and the environment variables the
//! machinery sets for the listings and the figures ([`env`]).

pub mod env;
pub mod outcomes;
pub mod output;
pub mod paths;
pub mod units;
