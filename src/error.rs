//! The crate's error type and how errors map to exit codes.

use std::fmt;

/// Everything that can go wrong in `owed`.
///
/// `Input` errors are the user's to fix (a bad CSV row, an unknown customer, a bad date) and
/// exit with code 2; everything else is a runtime failure and exits with code 1.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad usage or bad input: exit code 2. The message is one sentence naming the file,
    /// line and field where there is one.
    #[error("{0}")]
    Input(String),
    #[error("{}", db_message(.0))]
    Db(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A runtime failure that is not the user's input (SMTP down, terminal lost, ...).
    #[error("{0}")]
    Runtime(String),
    /// Ended by a signal (SIGTERM, SIGHUP, SIGINT): exit code 128 + its number, as a shell
    /// reports a process the signal killed.
    #[error("ended by {}", signal_name(*.0))]
    Signal(i32),
}

impl Error {
    /// SQLite's error code, for an error of the database.
    pub fn sqlite_code(&self) -> Option<rusqlite::ErrorCode> {
        match self {
            Error::Db(db) => db.sqlite_error_code(),
            _ => None,
        }
    }

    /// A bad-input error from anything printable.
    pub fn input(msg: impl fmt::Display) -> Self {
        Error::Input(msg.to_string())
    }

    /// The bad-input error of a customer id no customer has.
    pub fn no_customer(id: &str) -> Self {
        Error::input(format!("no customer has the id {}", quoted(id)))
    }

    /// A runtime error from anything printable.
    pub fn runtime(msg: impl fmt::Display) -> Self {
        Error::Runtime(msg.to_string())
    }

    /// The process exit code for this error (SPEC: 1 runtime failure, 2 bad usage or input).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) => 2,
            Error::Signal(n) => 128 + n,
            _ => 1,
        }
    }
}

/// SQLite's error in words: a value the database holds that owed cannot read says what it
/// is (not "Conversion error from type Text at index: 5").
fn db_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::FromSqlConversionFailure(_, _, inner) => inner.to_string(),
        other => format!("database: {other}"),
    }
}

/// How many characters of a value from outside an error message quotes.
pub const QUOTED_CHARS: usize = 80;

/// A value from outside (a CSV field, an id typed on the command line) as an error message
/// quotes it: in backticks, on one line with its control characters shown
/// ([`crate::domain::text::one_line`]), cut to [`QUOTED_CHARS`] characters with the length it
/// had, so that a 10 MB field is not echoed whole (SPEC "Output that reaches a terminal").
pub fn quoted(value: &str) -> String {
    use crate::domain::text::{first_chars, one_line};
    let kept = first_chars(value, QUOTED_CHARS);
    if kept.len() < value.len() {
        format!(
            "`{}…` ({} characters)",
            one_line(kept),
            value.chars().count()
        )
    } else {
        format!("`{}`", one_line(value))
    }
}

/// Where this run's database and config came from, when not the default places: `--db` /
/// `OWED_DB` and `--config` / `OWED_CONFIG`, set once by the command line
/// ([`set_invocation`]); none in a library user or a test, which has no command line.
static INVOCATION: std::sync::OnceLock<Invocation> = std::sync::OnceLock::new();

/// The database and config a run was told to use (none: the default place).
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    pub db: Option<std::path::PathBuf>,
    pub config: Option<std::path::PathBuf>,
}

/// Records where this run's database and config came from, for [`command`]. The first call
/// wins: a process has one command line.
pub fn set_invocation(invocation: Invocation) {
    let _ = INVOCATION.set(invocation);
}

/// A command the product suggests in a message (`rest`: the subcommand and its arguments,
/// each argument from outside already made a [`shell_word`]), as it must be typed to act on
/// the same database and config as this run: `owed`, then `--db PATH` and `--config PATH`
/// when they did not come from the default places (a restore's "`owed restore … --yes`
/// puts it back", followed as printed in a shell with `OWED_DB` set elsewhere, restored over
/// that database instead).
pub fn command(rest: &str) -> String {
    command_on(INVOCATION.get().cloned().unwrap_or_default(), rest)
}

/// [`command`] for the database and config of `invocation`.
pub fn command_on(invocation: Invocation, rest: &str) -> String {
    let mut out = String::from("owed");
    for (option, path) in [("--db", &invocation.db), ("--config", &invocation.config)] {
        if let Some(path) = path {
            out.push_str(&format!(
                " {option} {}",
                shell_word(&path.to_string_lossy())
            ));
        }
    }
    if !rest.is_empty() {
        out.push(' ');
        out.push_str(rest);
    }
    out
}

/// A value as one word a shell reads back whole: as it is when it holds only plain
/// characters, else in single quotes (a quote inside written `'\''`), or, when it holds a
/// character a terminal must not get raw (a control, a line break, a bidirectional mark:
/// [`crate::domain::text::is_unsafe`]), in `$'…'` with those characters escaped (`\n`,
/// `\x1b`, `\u202e`), which bash, zsh and ksh read back as they were.
pub fn shell_word(text: &str) -> String {
    use std::fmt::Write as _;
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%=".contains(c);
    // A relative path that would read as an option is given from here (`./-x.db`).
    if text.starts_with('-') {
        return shell_word(&format!("./{text}"));
    }
    if !text.is_empty() && text.chars().all(plain) {
        return text.to_string();
    }
    let raw = |c: char| crate::domain::text::is_unsafe(c) || c == '\n' || c == '\t';
    if !text.chars().any(raw) {
        return format!("'{}'", text.replace('\'', r"'\''"));
    }
    let mut out = String::from("$'");
    for c in text.chars() {
        match c {
            '\n' => out.push_str(r"\n"),
            '\t' => out.push_str(r"\t"),
            '\\' => out.push_str(r"\\"),
            '\'' => out.push_str(r"\'"),
            c if raw(c) && u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if raw(c) && u32::from(c) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if raw(c) => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The name of a signal, `SIGTERM`.
fn signal_name(signal: i32) -> String {
    #[cfg(unix)]
    if let Some(name) = signal_hook::low_level::signal_name(signal) {
        return name.to_string();
    }
    format!("signal {signal}")
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suggested_command_names_the_database_and_config_given() {
        let given = Invocation {
            db: Some("restored/copy.db".into()),
            config: Some("/etc/owed/it's.toml".into()),
        };
        assert_eq!(
            command_on(given, "restore x.db --yes"),
            r"owed --db restored/copy.db --config '/etc/owed/it'\''s.toml' restore x.db --yes"
        );
        assert_eq!(
            command_on(Invocation::default(), "engage outbox"),
            "owed engage outbox"
        );
    }

    #[test]
    fn a_shell_word_is_read_back_whole_and_shows_no_control() {
        assert_eq!(shell_word("/home/a/demo.db"), "/home/a/demo.db");
        assert_eq!(shell_word("/home/a b/it's.db"), r"'/home/a b/it'\''s.db'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("-x.db"), "./-x.db");
        assert_eq!(
            shell_word("a\u{1b}[2Jb\nc\u{202e}'d\\"),
            r"$'a\x1b[2Jb\nc\u202e\'d\\'"
        );
    }

    #[test]
    fn quoted_values_are_cut_to_about_80_characters() {
        assert_eq!(quoted("K1"), "`K1`");
        let exact = "é".repeat(QUOTED_CHARS);
        assert_eq!(quoted(&exact), format!("`{exact}`"));
        let long = "é".repeat(10_000_000);
        let q = quoted(&long);
        assert!(q.chars().count() < QUOTED_CHARS + 30, "{}", q.len());
        assert!(q.ends_with("…` (10000000 characters)"), "{q}");
        assert_eq!(quoted("a\x1b[2J\nb"), "`a␛[2J↵b`");
    }
}

thread_local! {
    static PANICS_HANDLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Says that a panic on the calling thread is caught and answered (its work runs under
/// `catch_unwind` and the failure reaches the screen as an error), so the workstation's panic
/// hook leaves the terminal to the screen that goes on rather than restoring it.
pub fn panics_handled_on_this_thread() {
    PANICS_HANDLED.with(|h| h.set(true));
}

/// Whether a panic on the calling thread is caught and answered
/// ([`panics_handled_on_this_thread`]).
pub fn panic_is_handled() -> bool {
    PANICS_HANDLED.with(std::cell::Cell::get)
}

thread_local! {
    static PANIC_EXPECTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, catching a panic of its own as the error `caught` makes of its message, and
/// printing nothing for it: for a library that panics where it should have returned an error
/// (the xlsx writer, on a failed write to its temporary files), so that its caller can say
/// what failed in one sentence of its own. A panic on any other thread is printed as ever.
pub fn catch_panic<T>(
    f: impl FnOnce() -> Result<T>,
    caught: impl FnOnce(&str) -> Error,
) -> Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !PANIC_EXPECTED.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    let was = PANIC_EXPECTED.with(|e| e.replace(true));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    PANIC_EXPECTED.with(|e| e.set(was));
    outcome.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(caught(&message))
    })
}

#[cfg(test)]
mod panic_tests {
    #[test]
    fn a_thread_says_its_panics_are_handled_for_itself_alone() {
        assert!(!super::panic_is_handled());
        std::thread::spawn(|| {
            super::panics_handled_on_this_thread();
            assert!(super::panic_is_handled());
        })
        .join()
        .unwrap();
        assert!(!super::panic_is_handled(), "another thread's word");
    }

    #[test]
    fn a_caught_panic_becomes_the_callers_error_and_the_next_is_not_caught() {
        let caught = super::catch_panic(
            || -> crate::Result<()> { panic!("could not write") },
            |m| crate::Error::runtime(format!("caught: {m}")),
        );
        assert_eq!(caught.unwrap_err().to_string(), "caught: could not write");
        let fine = super::catch_panic(|| Ok(7), |_| crate::Error::runtime("no"));
        assert_eq!(fine.unwrap(), 7);
        assert!(
            !super::PANIC_EXPECTED.with(std::cell::Cell::get),
            "reset after the call"
        );
        let uncaught = std::panic::catch_unwind(|| panic!("not expected"));
        assert!(uncaught.is_err());
    }
}
