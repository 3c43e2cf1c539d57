//! The `owed` binary: parse the command line, hand it to the library.

use clap::Parser;

fn main() {
    let args = owed::cli::Cli::parse();
    std::process::exit(owed::cli::run(args));
}
