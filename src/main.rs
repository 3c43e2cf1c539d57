//! The `owed` binary: parse the command line, hand it to the library.

fn main() {
    let args = match owed::cli::parse() {
        Ok(args) => args,
        Err(code) => std::process::exit(code),
    };
    std::process::exit(owed::cli::run(args));
}
