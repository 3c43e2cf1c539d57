//! Dates and money: day arithmetic, whole cents, and their text as the CSVs write it
//! (`YYYY-MM-DD`, `1234.50`, exchange rates) without allocating.

use chrono::Datelike;
use chrono::NaiveDate;
use chrono::TimeDelta;
use chrono::Weekday;
use rust_decimal::Decimal;

/// `date` moved by `days` (negative: earlier).
pub(super) fn shift(date: NaiveDate, days: i64) -> NaiveDate {
    date + TimeDelta::days(days)
}

/// The first `weekday` on or after `date`.
pub(super) fn next_weekday(date: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (weekday.num_days_from_monday() + 7 - date.weekday().num_days_from_monday()) % 7;
    shift(date, i64::from(ahead))
}

/// The generator draws every amount in hundredths ("cents"); in a currency without minor
/// units (yen) a hundredth is a whole unit instead, so that every amount is one the currency
/// can hold (the import refuses 10243.31 yen) and every sum still adds up. A yen invoice is
/// then a hundred times the dollar one, about what the exchange rate makes it.
fn scale(currency: &str) -> u32 {
    if crate::domain::money::minor_units(currency) == 0 {
        0
    } else {
        2
    }
}

pub(super) fn cents_to_decimal(cents: i64, currency: &str) -> Decimal {
    Decimal::new(cents, scale(currency))
}

/// `fraction` of `cents`, at least one cent and at most all of it.
pub(super) fn portion(cents: i64, fraction: f64) -> i64 {
    to_cents(cents as f64 * fraction).clamp(1, cents)
}

/// Rounds a float amount of cents to whole cents.
pub(super) fn to_cents(value: f64) -> i64 {
    value.round() as i64
}

/// A `YYYY-MM-DD` date rendered without allocating.
pub(super) struct DateText([u8; 10]);

impl DateText {
    pub(super) fn new(date: NaiveDate) -> Self {
        let mut buf = *b"0000-00-00";
        let year = date.year().clamp(0, 9999) as u32;
        for (slot, value) in [(3, year), (2, year / 10), (1, year / 100), (0, year / 1000)] {
            buf[slot] = b'0' + (value % 10) as u8;
        }
        buf[5] = b'0' + (date.month() / 10) as u8;
        buf[6] = b'0' + (date.month() % 10) as u8;
        buf[8] = b'0' + (date.day() / 10) as u8;
        buf[9] = b'0' + (date.day() % 10) as u8;
        Self(buf)
    }
}

impl AsRef<[u8]> for DateText {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// An amount of cents rendered as `1234.50` without allocating.
pub(super) struct MoneyText {
    buf: [u8; 24],
    start: usize,
}

impl MoneyText {
    /// `cents` of `currency` as the CSV writes them (see [`cents_to_decimal`]).
    pub(super) fn new(cents: i64, currency: &str) -> Self {
        let mut buf = [0u8; 24];
        let mut pos = buf.len();
        let mut rest = cents.unsigned_abs();
        let mut push = |byte: u8, pos: &mut usize| {
            *pos -= 1;
            buf[*pos] = byte;
        };
        let decimals = scale(currency);
        for _ in 0..decimals {
            push(b'0' + (rest % 10) as u8, &mut pos);
            rest /= 10;
        }
        if decimals > 0 {
            push(b'.', &mut pos);
        }
        loop {
            push(b'0' + (rest % 10) as u8, &mut pos);
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if cents < 0 {
            push(b'-', &mut pos);
        }
        Self { buf, start: pos }
    }
}

impl AsRef<[u8]> for MoneyText {
    fn as_ref(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

/// An exchange rate given in millionths, with 4 to 6 decimals (trailing zeros trimmed).
pub(super) fn rate_text(micros: i64) -> String {
    let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    let keep = text.trim_end_matches('0').len().max(text.len() - 2);
    text[..keep].to_string()
}

#[cfg(test)]
mod tests {
    use super::{DateText, MoneyText, cents_to_decimal, rate_text};
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    #[test]
    fn money_and_dates_render_like_the_import_format() {
        assert_eq!(MoneyText::new(123_450, "USD").as_ref(), b"1234.50");
        assert_eq!(MoneyText::new(1, "EUR").as_ref(), b"0.01");
        assert_eq!(MoneyText::new(0, "USD").as_ref(), b"0.00");
        assert_eq!(MoneyText::new(-250, "GBP").as_ref(), b"-2.50");
        // Yen have no cents: the generator's hundredths are whole yen.
        assert_eq!(MoneyText::new(123_450, "JPY").as_ref(), b"123450");
        assert_eq!(MoneyText::new(0, "JPY").as_ref(), b"0");
        assert_eq!(cents_to_decimal(123_450, "JPY"), Decimal::from(123_450));
        assert_eq!(cents_to_decimal(123_450, "USD"), Decimal::new(123_450, 2));
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date");
        assert_eq!(DateText::new(today).as_ref(), b"2026-11-25");
        assert_eq!(rate_text(1_100_000), "1.1000");
        assert_eq!(rate_text(1_103_450), "1.10345");
        assert_eq!(rate_text(909_091), "0.909091");
    }
}
