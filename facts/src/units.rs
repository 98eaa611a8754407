//! Quantities as the book prints them, and read back: the format of a duration and the
//! parser of every quantity side by side, so that they cannot drift apart. The listings
//! print with [`human`] (re-exported as `listings::bench::human`); the machinery reads
//! outputs with [`parse`] (the claims' values) and recognises durations by
//! [`TIME_UNITS`] (the `duration` preset of `[vary]`).

use std::time::Duration;

/// Every time unit [`parse`] reads, as [`human`] and the listings write them.
pub const TIME_UNITS: &[&str] = &["ns", "µs", "us", "ms", "s", "min"];

/// A duration with three significant digits and its unit: "812 ns", "2.10 µs", "45.3 ms",
/// "1.20 s".
pub fn human(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    let (value, unit) = match ns {
        n if n < 1e3 => (n, "ns"),
        n if n < 1e6 => (n / 1e3, "µs"),
        n if n < 1e9 => (n / 1e6, "ms"),
        n => (n / 1e9, "s"),
    };
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {unit}")
}

/// Reads a number with an optional unit in the unit's base: "2.1 µs" as 2.1e-6 (seconds),
/// "64 KiB" as 65536 (bytes), "1.2 GiB/s" in bytes per second, "1.96x" as 1.96, "97%" as
/// 97, "12,345" as 12345. `None` when the text is not a number with a known unit.
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, unit) = split_number(text)?;
    let unit = unit.strip_prefix(char::is_whitespace).unwrap_or(unit);
    let number: f64 = number.replace(',', "").parse().ok()?;
    Some(match unit_factor(unit)? {
        // Divide, so that "2.5 µs" is exactly the float nearest 2.5e-6.
        Factor::Divide(f) => number / f,
        Factor::Multiply(f) => number * f,
    })
}

enum Factor {
    Multiply(f64),
    Divide(f64),
}

/// The factor that turns a number with this unit into the unit's base, if it is a unit.
fn unit_factor(unit: &str) -> Option<Factor> {
    let size = |u: &str| -> Option<f64> {
        Some(match u {
            "B" => 1.0,
            "KiB" => 1024.0,
            "MiB" => 1024.0 * 1024.0,
            "GiB" => 1024.0 * 1024.0 * 1024.0,
            "TiB" => 1024.0f64.powi(4),
            "kB" | "KB" => 1e3,
            "MB" => 1e6,
            "GB" => 1e9,
            "TB" => 1e12,
            _ => return None,
        })
    };
    Some(match unit {
        "" | "x" | "×" | "%" => Factor::Multiply(1.0),
        "ns" => Factor::Divide(1e9),
        "µs" | "us" => Factor::Divide(1e6),
        "ms" => Factor::Divide(1e3),
        "s" => Factor::Multiply(1.0),
        "min" => Factor::Multiply(60.0),
        u => Factor::Multiply(match u.strip_suffix("/s") {
            Some(per_second) => size(per_second)?,
            None => size(u)?,
        }),
    })
}

/// Splits "12,345.6e3 unit" into the number ("12,345.6e3") and the rest: an optional sign,
/// digits (in groups of three after a comma, if commas are used), an optional fraction and
/// an optional exponent.
fn split_number(text: &str) -> Option<(&str, &str)> {
    let bytes = text.as_bytes();
    let digits_from = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let start = i;
    i = digits_from(i);
    if i == start {
        return None;
    }
    if text[start..i].len() <= 3 {
        while bytes.get(i) == Some(&b',') && digits_from(i + 1) == i + 4 {
            i += 4;
        }
    }
    if bytes.get(i) == Some(&b'.') {
        let end = digits_from(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(i + 1), Some(b'+' | b'-')));
        let end = digits_from(i + 1 + sign);
        if end > i + 1 + sign {
            i = end;
        }
    }
    let rest = &text[i..];
    let unit = rest.strip_prefix(char::is_whitespace).unwrap_or(rest);
    unit.chars()
        .all(|c| c.is_ascii_alphabetic() || "µ%×/".contains(c))
        .then_some((&text[..i], rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_printed_duration_reads_back_as_itself() {
        let mut ns: u64 = 1;
        while ns < 10_000_000_000_000 {
            for d in [ns, ns * 3 / 2, ns * 999 / 100, ns * 5 - 1] {
                let printed = human(Duration::from_nanos(d));
                let read = parse(&printed)
                    .unwrap_or_else(|| panic!("{printed:?} does not parse"));
                let exact = d as f64 / 1e9;
                // Three significant digits: off by at most half of the last one.
                assert!(
                    (read - exact).abs() <= exact * 0.005 + 1e-12,
                    "{d} ns printed as {printed:?}, read as {read} s"
                );
            }
            ns *= 10;
        }
    }

    #[test]
    fn durations_are_printed_in_the_time_units_the_parser_knows() {
        for ns in [1, 1_500, 2_500_000, 3_000_000_000] {
            let printed = human(Duration::from_nanos(ns));
            let unit = printed.split(' ').nth(1).unwrap();
            assert!(TIME_UNITS.contains(&unit), "{printed}");
        }
    }

    #[test]
    fn quantities_read_in_their_base_unit() {
        assert_eq!(parse("2.5 µs"), Some(2.5e-6));
        assert_eq!(parse("64 KiB"), Some(65536.0));
        assert_eq!(parse("1.5 GiB/s"), Some(1.5 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse("1.96x"), Some(1.96));
        assert_eq!(parse("97%"), Some(97.0));
        assert_eq!(parse("12,345"), Some(12345.0));
        assert_eq!(parse("-3"), Some(-3.0));
        assert_eq!(parse("1e3 ns"), Some(1e-6));
        assert_eq!(parse(" 2 min "), Some(120.0));
        for text in ["fork", "12 apples", "1,23", "3.", "", "12 ms!", "SIGTERM"]
        {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
