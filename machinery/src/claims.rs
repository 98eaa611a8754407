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
//! id = "fork-costs-more"                                   # stable: the prose names it
//! holds = "fork > 2.0 * thread"
//! says = "a forked process costs several times a thread"
//! why_not = "a machine where fork is unusually cheap"     # optional
//! ```
//!
//! The group `v` (or the whole match) is the value. A number with a unit becomes a number in
//! the base unit (durations in seconds, sizes in bytes, throughputs in bytes per second);
//! `1.96x` becomes 1.96 and `97%` becomes 97; anything else stays text. Besides Rhai's own
//! functions, a claim may call `distinct(list)`, the list without its repeats.

use std::collections::BTreeMap;
use std::fmt;

use anyhow::{Result, bail};
use regex::Regex;
use serde::Deserialize;

/// How to read one value from an output: a regex, compiled when the sidecar is read, and
/// whether every match is wanted (a list) or it must match exactly once.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawValueSpec")]
pub struct ValueSpec {
    pub pattern: String,
    pub all: bool,
    source: Source,
}

/// Where a value comes from: a regex over the output, or, for the value a litmus listing's
/// claim `observed-allowed` reads, the outcomes it observed against its model twin's
/// ([`crate::outcomes`]).
#[derive(Debug, Clone)]
enum Source {
    Regex(Regex),
    NotAllowed(std::sync::Arc<crate::outcomes::NotAllowed>),
}

impl ValueSpec {
    /// The value [`crate::outcomes::VALUE`] of a litmus listing: the outcomes an output
    /// observed that its model twin does not allow.
    pub fn not_allowed(computed: crate::outcomes::NotAllowed) -> ValueSpec {
        ValueSpec {
            pattern: format!(
                "(the outcomes observed that the model {} does not allow)",
                computed.spec.model
            ),
            all: true,
            source: Source::NotAllowed(std::sync::Arc::new(computed)),
        }
    }
}

/// A `[values]` entry as written: a regex alone, or a table with `all`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawValueSpec {
    One(String),
    Table {
        pattern: String,
        #[serde(default)]
        all: bool,
    },
}

impl TryFrom<RawValueSpec> for ValueSpec {
    type Error = String;

    fn try_from(raw: RawValueSpec) -> Result<ValueSpec, String> {
        let (pattern, all) = match raw {
            RawValueSpec::One(pattern) => (pattern, false),
            RawValueSpec::Table { pattern, all } => (pattern, all),
        };
        let regex = Regex::new(&format!("(?m){pattern}"))
            .map_err(|e| format!("invalid regex '{pattern}': {e}"))?;
        Ok(ValueSpec {
            pattern,
            all,
            source: Source::Regex(regex),
        })
    }
}

/// A statement over the values, and the sentence of the book it supports.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    /// Its name within the sidecar, in kebab case (`pinned-same-cost`): the prose's
    /// `{{#verdict LISTING/ID}}` names it, so it stays as it is once chosen.
    pub id: String,
    /// An expression over the values that must be true: the claim holds when it is
    /// (written `holds = "..."` in the sidecar).
    #[serde(rename = "holds")]
    pub check: String,
    /// The sentence of the book it supports.
    pub says: String,
    /// Why it may not hold on another machine, shown to a reader whose run differs.
    #[serde(default)]
    pub why_not: Option<String>,
}

/// A claim as the prose names it: `LISTING/ID`, e.g. `ch03-03-context-switch/pinned-same-cost`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClaimRef {
    pub listing: String,
    pub id: String,
}

impl std::str::FromStr for ClaimRef {
    type Err = String;

    fn from_str(text: &str) -> Result<ClaimRef, String> {
        match text.split_once('/') {
            Some((listing, id)) if is_kebab(listing) && is_kebab(id) => {
                Ok(ClaimRef {
                    listing: listing.to_owned(),
                    id: id.to_owned(),
                })
            }
            _ => Err(format!(
                "{text:?} is not a claim: write LISTING/ID, e.g. \
                 ch03-03-context-switch/pinned-same-cost"
            )),
        }
    }
}

impl fmt::Display for ClaimRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.listing, self.id)
    }
}

/// Lowercase words of letters and digits joined by single dashes: `pinned-same-cost`.
fn is_kebab(text: &str) -> bool {
    !text.is_empty()
        && text.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Every claim has an id in kebab case, unique within its sidecar.
pub fn check_ids(claims: &[ClaimSpec]) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for claim in claims {
        if !is_kebab(&claim.id) {
            bail!(
                "claim id {:?} (\"{}\") is not in kebab case: use lowercase words joined \
                 by dashes, e.g. \"pinned-same-cost\"",
                claim.id,
                claim.says
            );
        }
        if !seen.insert(claim.id.as_str()) {
            bail!(
                "two claims have the id {:?}: give each claim of a sidecar its own",
                claim.id
            );
        }
    }
    Ok(())
}

/// The `[values]` table of a sidecar: how to read each value, by name.
pub type ValueSpecs = BTreeMap<String, ValueSpec>;

/// A value as the claims see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(f64),
    Text(String),
    List(Vec<Value>),
}

/// A value read from an output: what it means, and the text the output printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub value: Value,
    /// As printed (for a list, the matches joined with ", ").
    pub text: String,
}

/// Reads "2.1 µs" as 2.1e-6, "64 KiB" as 65536, "1.96x" as 1.96, "12" as 12; anything that
/// is not a number with a known unit stays text. The parser is `facts::units::parse`,
/// beside the format the listings print durations with.
pub fn parse_value(text: &str) -> Value {
    match facts::units::parse(text) {
        Some(number) => Value::Number(number),
        None => Value::Text(text.trim().to_owned()),
    }
}

/// Reads every declared value from `output`. Errors name the value and say what is wrong.
pub fn read_values(
    values: &ValueSpecs,
    output: &str,
) -> Result<BTreeMap<String, Reading>> {
    let mut readings = BTreeMap::new();
    for (name, spec) in values {
        let (pattern, all) = (&spec.pattern, spec.all);
        let regex = match &spec.source {
            Source::Regex(regex) => regex,
            Source::NotAllowed(computed) => {
                let reading = computed
                    .read(output)
                    .map_err(|e| anyhow::anyhow!("value {name}: {e:#}"))?;
                readings.insert(name.clone(), reading);
                continue;
            }
        };
        let texts: Vec<&str> = regex
            .captures_iter(output)
            .map(|caps| {
                caps.name("v")
                    .or_else(|| caps.get(0))
                    .map_or("", |m| m.as_str())
            })
            .collect();
        let reading = if all {
            if texts.is_empty() {
                bail!(
                    "value {name}: '{pattern}' matches nothing in the output"
                );
            }
            Reading {
                value: Value::List(
                    texts.iter().map(|t| parse_value(t)).collect(),
                ),
                text: texts.join(", "),
            }
        } else {
            match texts.as_slice() {
                [one] => Reading {
                    value: parse_value(one),
                    text: one.trim().to_owned(),
                },
                [] => bail!(
                    "value {name}: '{pattern}' matches nothing in the output"
                ),
                many => bail!(
                    "value {name}: '{pattern}' matches {} times in the output \
                     (make it match once, or write `{{ pattern = ..., all = true }}`)",
                    many.len()
                ),
            }
        };
        readings.insert(name.clone(), reading);
    }
    Ok(readings)
}

/// A claim judged on one output.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub claim: ClaimSpec,
    /// `Ok(true)`: it holds; `Ok(false)`: it does not; `Err`: it cannot be evaluated.
    pub outcome: Result<bool, String>,
    /// The values the claim names, with their text: "fork = 118 µs".
    pub values: Vec<(String, String)>,
}

impl Verdict {
    pub fn holds(&self) -> bool {
        matches!(self.outcome, Ok(true))
    }
}

/// How a claim fared on one run, as the pages show it: a CSS class and a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Holds,
    Fails,
    /// Not judged: the run is missing, or its values cannot be read.
    Unjudged,
}

impl Status {
    /// The status of a verdict, if the claim was judged.
    pub fn of(verdict: Option<&Verdict>) -> Status {
        match verdict {
            Some(v) if v.holds() => Status::Holds,
            Some(_) => Status::Fails,
            None => Status::Unjudged,
        }
    }

    /// The class the book's and compare's CSS colour it by.
    pub fn class(self) -> &'static str {
        match self {
            Status::Holds => "holds",
            Status::Fails => "fails",
            Status::Unjudged => "unjudged",
        }
    }

    pub fn mark(self) -> &'static str {
        match self {
            Status::Holds => "✓",
            Status::Fails => "✗",
            Status::Unjudged => "?",
        }
    }
}

impl fmt::Display for Verdict {
    /// "holds: fork > 2.0 * thread (fork = 118 µs, thread = 15 µs)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = match &self.outcome {
            Ok(true) => "holds".to_owned(),
            Ok(false) => "does not hold".to_owned(),
            Err(e) => format!("cannot be evaluated ({e})"),
        };
        let values: Vec<String> = self
            .values
            .iter()
            .map(|(name, text)| format!("{name} = {text}"))
            .collect();
        write!(f, "{status}: `{}`", self.claim.check)?;
        if !values.is_empty() {
            write!(f, " ({})", values.join(", "))?;
        }
        Ok(())
    }
}

/// A value as the Rhai expression sees it.
fn to_rhai(value: &Value) -> rhai::Dynamic {
    match value {
        Value::Number(n) => rhai::Dynamic::from_float(*n),
        Value::Text(t) => t.clone().into(),
        Value::List(items) => {
            rhai::Dynamic::from_array(items.iter().map(to_rhai).collect())
        }
    }
}

/// The names an expression uses: each word outside string literals that is not a method
/// (after a dot), with the byte offset where it starts.
fn names_used(expression: &str) -> Vec<(usize, &str)> {
    let mut used = Vec::new();
    let mut chars = expression.char_indices().peekable();
    let mut in_string = false;
    let mut previous = ' ';
    while let Some((i, c)) = chars.next() {
        if in_string {
            if c == '\\' {
                chars.next();
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c.is_alphabetic() || c == '_' {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars
                .peek()
                .filter(|(_, d)| d.is_alphanumeric() || *d == '_')
            {
                end = j + d.len_utf8();
                chars.next();
            }
            if previous != '.' {
                used.push((i, &expression[i..end]));
            }
        }
        if !c.is_whitespace() {
            previous = c;
        }
    }
    used
}

/// Rhai reserves words this book needs as value names (`thread`, `spawn`, `shared`, `sync`,
/// ...): the expression sees every value under the prefix `v_`, added here to each use of a
/// value's name.
fn prefixed(expression: &str, names: &BTreeMap<String, Reading>) -> String {
    let mut out = String::with_capacity(expression.len() + 16);
    let mut last = 0;
    for (start, word) in names_used(expression) {
        if names.contains_key(word) {
            out.push_str(&expression[last..start]);
            out.push_str("v_");
            last = start;
        }
    }
    out.push_str(&expression[last..]);
    out
}

/// `distinct(list)`: the list without its repeats, in order of first appearance, so that
/// `distinct(tids).len() == tids.len()` says no two are equal. Rhai cannot say it itself: a
/// closure that reads the list it is iterating over is refused (the `sync` feature's lock).
fn distinct(list: rhai::Array) -> rhai::Array {
    let mut seen: Vec<rhai::Dynamic> = Vec::with_capacity(list.len());
    for item in list {
        let key = |d: &rhai::Dynamic| (d.type_name(), d.to_string());
        if !seen.iter().any(|s| key(s) == key(&item)) {
            seen.push(item);
        }
    }
    seen
}

/// Rhai's message with the prefix of [`prefixed`] taken off the value names again, and off
/// nothing else: `v_fork` becomes `fork` when `fork` is a value, and the rest of the
/// message (a string of the expression, another name) stays as it was.
fn unprefixed(message: &str, names: &BTreeMap<String, Reading>) -> String {
    static PREFIXED: std::sync::LazyLock<Regex> =
        std::sync::LazyLock::new(|| {
            Regex::new(r"\bv_(\w+)").expect("valid regex")
        });
    PREFIXED
        .replace_all(message, |caps: &regex::Captures| {
            if names.contains_key(&caps[1]) {
                caps[1].to_owned()
            } else {
                caps[0].to_owned()
            }
        })
        .into_owned()
}

thread_local! {
    /// Rhai's engine, made once: making one registers its whole standard library.
    static ENGINE: rhai::Engine = {
        let mut engine = rhai::Engine::new();
        engine.set_max_operations(100_000);
        engine.register_fn("distinct", distinct);
        engine
    };
}

/// Judges every claim on the readings of one output.
pub fn judge(
    claims: &[ClaimSpec],
    readings: &BTreeMap<String, Reading>,
) -> Vec<Verdict> {
    let mut scope = rhai::Scope::new();
    for (name, reading) in readings {
        scope.push_constant_dynamic(
            format!("v_{name}"),
            to_rhai(&reading.value),
        );
    }
    claims
        .iter()
        .map(|claim| {
            let used: std::collections::BTreeSet<&str> =
                names_used(&claim.check)
                    .into_iter()
                    .map(|(_, w)| w)
                    .collect();
            let values = readings
                .iter()
                .filter(|(name, _)| used.contains(name.as_str()))
                .map(|(name, reading)| (name.clone(), reading.text.clone()))
                .collect();
            let outcome = ENGINE
                .with(|engine| {
                    engine.eval_expression_with_scope::<bool>(
                        &mut scope.clone(),
                        &prefixed(&claim.check, readings),
                    )
                })
                .map_err(|e| unprefixed(&e.to_string(), readings));
            Verdict {
                claim: claim.clone(),
                outcome,
                values,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_in_base_units() {
        assert_eq!(parse_value("2.5 µs"), Value::Number(2.5e-6));
        assert_eq!(parse_value("64 KiB"), Value::Number(65536.0));
        assert_eq!(
            parse_value("1.5 GiB/s"),
            Value::Number(1.5 * 1024.0 * 1024.0 * 1024.0)
        );
        assert_eq!(parse_value("1.96x"), Value::Number(1.96));
        assert_eq!(parse_value("97%"), Value::Number(97.0));
        assert_eq!(parse_value("10,000"), Value::Number(10000.0));
        assert_eq!(parse_value(" 12 "), Value::Number(12.0));
        assert_eq!(parse_value("SIGTERM"), Value::Text("SIGTERM".into()));
        assert_eq!(parse_value("12 apples"), Value::Text("12 apples".into()));
    }

    fn values(toml: &str) -> ValueSpecs {
        toml::from_str(toml).unwrap()
    }

    #[test]
    fn a_value_matches_once_or_is_a_list() {
        let out = "fork median 120 µs\nthread median 15 µs\nended by SIGKILL\nended by SIGTERM\n";
        let r = read_values(
            &values("fork = 'fork median (?<v>.+)'\nends = { pattern = 'by (?<v>\\w+)', all = true }"),
            out,
        )
        .unwrap();
        assert_eq!(r["fork"].value, Value::Number(120e-6));
        assert_eq!(r["fork"].text, "120 µs");
        assert_eq!(r["ends"].text, "SIGKILL, SIGTERM");
        assert!(read_values(&values("x = 'median'"), out).is_err());
        assert!(read_values(&values("x = 'nowhere'"), out).is_err());
    }

    #[test]
    fn only_value_names_outside_strings_and_methods_are_prefixed() {
        let reading = Reading {
            value: Value::Number(1.0),
            text: "1".into(),
        };
        let names: BTreeMap<String, Reading> = ["thread", "len"]
            .map(|n| (n.to_owned(), reading.clone()))
            .into();
        assert_eq!(
            prefixed(
                r#"thread > 2 * x.len() && "thread \" len" != len"#,
                &names
            ),
            r#"v_thread > 2 * x.len() && "thread \" len" != v_len"#
        );
    }

    fn claim(check: &str) -> ClaimSpec {
        ClaimSpec {
            id: "c".into(),
            check: check.into(),
            says: "s".into(),
            why_not: None,
        }
    }

    #[test]
    fn claim_ids_are_kebab_case_and_references_name_listing_and_id() {
        assert!(is_kebab("pinned-same-cost") && is_kebab("exit-code-or-124"));
        for bad in ["", "Pinned", "a--b", "-a", "a_b", "a b"] {
            assert!(!is_kebab(bad), "{bad:?}");
        }
        let r: ClaimRef =
            "ch03-03-context-switch/pinned-same-cost".parse().unwrap();
        assert_eq!(r.listing, "ch03-03-context-switch");
        assert_eq!(r.to_string(), "ch03-03-context-switch/pinned-same-cost");
        assert!("ch03-03-context-switch".parse::<ClaimRef>().is_err());
        assert!("a/b/c".parse::<ClaimRef>().is_err());
        let mut twice = vec![claim("x"), claim("y")];
        assert!(check_ids(&twice).is_err());
        twice[1].id = "d".into();
        assert!(check_ids(&twice).is_ok());
    }

    #[test]
    fn claims_are_judged_with_their_values() {
        let out = "fork median 120 µs\nthread median 15 µs\nended by SIGKILL\nended by SIGTERM\n";
        let r = read_values(
            &values("fork = 'fork median (?<v>.+)'\nthread = 'thread median (?<v>.+)'\nends = { pattern = 'by (?<v>\\w+)', all = true }"),
            out,
        )
        .unwrap();
        let v = judge(
            &[
                claim("fork > 2.0 * thread"),
                claim("fork < thread"),
                claim(
                    "ends.len() == 2 && \"SIGTERM\" in ends && ends[0] == \"SIGKILL\"",
                ),
                claim("fork > 2 * thread"),
                claim("nonsense >"),
                claim("fork"),
            ],
            &r,
        );
        assert!(v[0].holds(), "{}", v[0]);
        assert_eq!(v[0].values.len(), 2);
        assert_eq!(v[1].outcome, Ok(false));
        assert!(v[2].holds(), "{}", v[2]);
        assert!(v[3].holds(), "ints and floats mix: {}", v[3]);
        assert!(v[4].outcome.is_err());
        assert!(v[5].outcome.is_err(), "not a boolean");
    }

    #[test]
    fn distinct_drops_repeats_of_numbers_and_texts() {
        let out = "tid 7\ntid 9\ntid 7\nby SIGKILL\nby SIGTERM\nby SIGKILL\n";
        let r = read_values(
            &values("tids = { pattern = 'tid (?<v>\\d+)', all = true }\nends = { pattern = 'by (?<v>\\w+)', all = true }"),
            out,
        )
        .unwrap();
        let v = judge(
            &[
                claim("distinct(tids) == [7, 9]"),
                claim("distinct(tids).len() == tids.len()"),
                claim("distinct(ends).len() == 2 && ends.len() == 3"),
                claim("distinct([1, 2, 3]).len() == 3"),
            ],
            &r,
        );
        assert!(v[0].holds(), "{}", v[0]);
        assert_eq!(v[1].outcome, Ok(false), "7 twice");
        assert!(v[2].holds(), "{}", v[2]);
        assert!(v[3].holds(), "{}", v[3]);
    }

    #[test]
    fn an_error_names_the_values_unprefixed_and_leaves_the_rest() {
        let reading = Reading {
            value: Value::Number(1.0),
            text: "1".into(),
        };
        let names: BTreeMap<String, Reading> =
            [("fork".to_owned(), reading)].into();
        assert_eq!(
            unprefixed("v_fork + v_x (\"v_1\") nv_fork", &names),
            "fork + v_x (\"v_1\") nv_fork"
        );
        let v = judge(&[claim("fork == \"v_1\" + nope")], &names);
        let message = v[0].outcome.clone().unwrap_err();
        assert!(!message.contains("v_fork"), "{message}");
    }
}
