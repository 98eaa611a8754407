//! Claims: what the book's prose says about a listing's output, checked against it.
//!
//! A sidecar names values read from the output and states claims over them:
//!
//! ```toml
//! [values]
//! fork = 'fork\+exit\+wait +median (?<v>\S+ \S+)'     # must match exactly once
//! ends = { pattern = 'ended by (?<v>SIG\w+)', all = true }  # every match, a list
//!
//! [[claims]]
//! holds = "fork > 2.0 * thread"
//! says = "a forked process costs several times a thread"
//! why_not = "a machine where fork is unusually cheap"     # optional
//! ```
//!
//! The group `v` (or the whole match) is the value. A number with a unit becomes a number in
//! the base unit (durations in seconds, sizes in bytes, throughputs in bytes per second);
//! `1.96x` becomes 1.96 and `97%` becomes 97; anything else stays text.

use std::collections::BTreeMap;

use serde::Deserialize;

/// How to read one value from an output.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ValueSpec {
    /// A regex that must match exactly once.
    One(String),
    /// A regex, and whether every match is wanted (a list).
    Table {
        pattern: String,
        #[serde(default)]
        all: bool,
    },
}

/// A statement over the values, and the sentence of the book it supports.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    /// An expression over the values that must be true.
    pub holds: String,
    /// The sentence of the book it supports.
    pub says: String,
    /// Why it may not hold on another machine, shown to a reader whose run differs.
    #[serde(default)]
    pub why_not: Option<String>,
}

/// The `[values]` table of a sidecar.
pub type Values = BTreeMap<String, ValueSpec>;
