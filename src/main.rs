//! The `owed` binary: parse the command line, hand it to the library.

use clap::Parser;

fn main() {
    let args = match owed::cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => std::process::exit(owed::cli::usage_error(e)),
    };
    std::process::exit(owed::cli::run(args));
}
