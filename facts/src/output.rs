//! A stored output as a file, and the lines of it that the machinery reads back: written by
//! `cargo book refresh` (and `compare`) and the measurement harness, read by the machinery
//! and the figures. The format and its parser stand side by side, so that they cannot drift
//! apart.
//!
//! A listing's output is the file `NAME.txt` ([`file_name`]): its first line is
//! [`COMMAND_PREFIX`] and the command the book runs, the rest is what the run printed.

/// What the first line of an output file starts with, before the command: `$ `.
pub const COMMAND_PREFIX: &str = "$ ";

/// The file of `listing`'s output in a folder of outputs: `NAME.txt`.
pub fn file_name(listing: &str) -> String {
    format!("{listing}.txt")
}

/// An output file: the command it was made with, and what the run printed. `None` when the
/// file does not start with [`COMMAND_PREFIX`].
pub fn parse(file: &str) -> Option<(&str, &str)> {
    let (first, text) = file.split_once('\n').unwrap_or((file, ""));
    Some((first.strip_prefix(COMMAND_PREFIX)?, text))
}

/// The file [`parse`] reads back as `(command, text)`.
pub fn render(command: &str, text: &str) -> String {
    format!("{COMMAND_PREFIX}{command}\n{text}")
}

/// What the machine line starts with (`listings::bench::machine()`): "machine: 2 logical
/// CPUs, Linux 6.8.0, …".
pub const MACHINE_LABEL: &str = "machine: ";

/// How a measurement says how many repetitions it made: "1000 runs" (`bench::Summary`).
pub fn runs(n: usize) -> String {
    format!("{n} runs")
}

/// A regex that matches every [`runs`] count, which a quick run cuts: `\b\d+ runs\b`.
pub const RUNS_PATTERN: &str = r"\b\d+ runs\b";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_file_reads_back_as_written() {
        let file = render("cargo run -p listings --bin x", "a\nb\n");
        assert_eq!(
            parse(&file),
            Some(("cargo run -p listings --bin x", "a\nb\n"))
        );
        assert_eq!(parse("no command\n"), None);
        assert_eq!(parse("$ alone"), Some(("alone", "")));
    }
}
