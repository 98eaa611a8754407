//! Command-line arguments, parsed with clap, failing the book's way: one line on stderr and
//! exit code 2.

use clap::Parser;
use clap::error::ErrorKind;

/// Parses this process's arguments into `T`. `--help` prints the help and exits 0; a bad
/// argument prints clap's one-line error (`error: invalid value ...`) and exits 2.
pub fn parse<T: Parser>() -> T {
    match T::try_parse() {
        Ok(args) => args,
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            e.exit()
        }
        Err(e) => {
            let rendered = e.render().to_string();
            eprintln!(
                "{}",
                rendered.lines().next().unwrap_or("error: bad arguments")
            );
            std::process::exit(2);
        }
    }
}
