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
