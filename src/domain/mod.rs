//! Pure receivables logic: no I/O, no clock. Every function takes the as-of date it needs.

pub mod action_checks;
pub mod aging;
pub mod attachment;
pub mod backfill;
pub mod calls;
pub mod customer;
pub mod date;
pub mod document;
pub mod engage;
pub mod forecast;
pub mod format;
pub mod metrics;
pub mod money;
pub mod pdf_text;
pub mod promise;
pub mod queue;
pub mod rules;
pub mod search;
pub mod statement;
pub mod team;
pub mod text;
pub mod users;

pub use chrono::NaiveDate as Date;
pub use rust_decimal::Decimal;

/// What the domain's unit tests write dates and amounts with.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Date, Decimal};

    /// The date `s` (`YYYY-MM-DD`).
    pub fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    /// The amount `s`.
    pub fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }
}
