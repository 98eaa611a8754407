//! One source for each fact that the listings, the figures and the machinery share, in a
//! crate small enough for all three to depend on: where things are in the project
//! ([`paths`]), and how quantities are printed and read back ([`units`]).

pub mod paths;
pub mod units;
