//! Money: parsing, storage units and display.
//!
//! Amounts are [`Decimal`] everywhere. The store keeps them as integer ten-thousandths
//! ([`to_units`] / [`from_units`]) so that SQL sums are exact; an amount with more than four
//! decimal places is refused rather than rounded.

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places kept by the store.
pub const STORE_SCALE: u32 = 4;
const UNITS_PER_ONE: i64 = 10_000;

/// Why an amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    NotANumber,
    Negative,
    TooPrecise,
    TooLarge,
}

impl std::fmt::Display for AmountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AmountError::NotANumber => "is not a number",
            AmountError::Negative => "is negative",
            AmountError::TooPrecise => "has more than 4 decimal places",
            AmountError::TooLarge => {
                "is too large: the most owed can count is 922337203685477.5807"
            }
        })
    }
}

/// Parses a plain decimal amount (`1234.5`, `-3`, no thousands separators, no exponent).
pub fn parse_amount(text: &str) -> Result<Decimal, AmountError> {
    let t = text.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    let valid = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    if !valid {
        return Err(AmountError::NotANumber);
    }
    let value: Decimal = t.parse().map_err(|_| AmountError::NotANumber)?;
    if value.scale() > STORE_SCALE && value.normalize().scale() > STORE_SCALE {
        return Err(AmountError::TooPrecise);
    }
    to_units(value).map_err(|_| AmountError::TooLarge)?;
    Ok(value)
}

/// Parses an amount that must not be negative.
pub fn parse_non_negative(text: &str) -> Result<Decimal, AmountError> {
    let value = parse_amount(text)?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(AmountError::Negative);
    }
    Ok(value)
}

/// The most owed can count, in ten-thousandths (922,337,203,685,477.5807): the largest
/// amount, and the largest sum of a ledger's amounts an import takes (every figure is a sum
/// of some of them).
pub const COUNTABLE_UNITS: i64 = i64::MAX;

/// [`COUNTABLE_UNITS`] as an amount of `currency`, in its minor units (rounded down):
/// `922337203685477.58` for the dollar, `922337203685477` for the won.
pub fn countable(currency: &str) -> String {
    let most = from_units(COUNTABLE_UNITS)
        .round_dp_with_strategy(minor_units(currency), RoundingStrategy::ToZero);
    fixed(most, minor_units(currency))
}

/// Converts an amount to integer ten-thousandths for storage.
pub fn to_units(value: Decimal) -> Result<i64, AmountError> {
    let scaled = value
        .checked_mul(Decimal::from(UNITS_PER_ONE))
        .ok_or(AmountError::TooLarge)?;
    if scaled.fract() != Decimal::ZERO {
        return Err(AmountError::TooPrecise);
    }
    i64::try_from(scaled).map_err(|_| AmountError::TooLarge)
}

/// The largest exchange rate taken: a million units of the base currency per unit (a rupiah
/// base and a bitcoin would need more; no ledger we know of does). A larger one is a rate the
/// wrong way round, or a typing error, and would overflow the sums it takes part in.
pub const MAX_RATE: u32 = 1_000_000;

/// Why an exchange rate could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateError {
    NotPositive,
    TooLarge,
    /// Below one millionth ([`MIN_RATE_DECIMALS`]): only an import refuses it
    /// ([`parse_new_rate`]).
    TooSmall,
    /// More than [`RATE_DECIMALS`] decimal places: only an import refuses it.
    TooPrecise,
}

/// The smallest exchange rate an import takes, as decimal places: a millionth of a unit of
/// the base currency per unit, the inverse of [`MAX_RATE`]. A smaller one is a rate the wrong
/// way round or a typing error, and converted its documents to nothing (they vanished from
/// every figure).
pub const MIN_RATE_DECIMALS: u32 = 6;

/// The most decimal places of an exchange rate an import takes: a millionth's rate with
/// twelve significant digits, more than any bank quotes.
pub const RATE_DECIMALS: u32 = 18;

impl std::fmt::Display for RateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RateError::NotPositive => f.write_str("is not a positive number"),
            RateError::TooLarge => write!(
                f,
                "is more than {MAX_RATE} units of the base currency per unit: is it the wrong \
                 way round?"
            ),
            RateError::TooSmall => write!(
                f,
                "is less than 0.000001 units of the base currency per unit (one millionth): is \
                 it the wrong way round?"
            ),
            RateError::TooPrecise => write!(
                f,
                "has more than {RATE_DECIMALS} decimal places: round it to {RATE_DECIMALS} or \
                 fewer"
            ),
        }
    }
}

/// Parses an exchange rate (units of the base currency per unit): a positive plain decimal
/// (`1.0879`: digits and one point) of at most [`MAX_RATE`].
pub fn parse_rate(text: &str) -> Result<Decimal, RateError> {
    let plain = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.chars().filter(|&c| c == '.').count() <= 1;
    let value: Decimal = match text.parse() {
        Ok(v) if plain => v,
        _ => return Err(RateError::NotPositive),
    };
    if value > Decimal::from(MAX_RATE) {
        Err(RateError::TooLarge)
    } else if value > Decimal::ZERO {
        Ok(value)
    } else {
        Err(RateError::NotPositive)
    }
}

/// [`parse_rate`] of a rate being imported, which must also be at least a millionth
/// ([`MIN_RATE_DECIMALS`]) and have at most [`RATE_DECIMALS`] decimal places. A stored rate
/// is read by [`parse_rate`] alone: one a version before took still converts its rows.
pub fn parse_new_rate(text: &str) -> Result<Decimal, RateError> {
    let value = parse_rate(text)?;
    if value < Decimal::new(1, MIN_RATE_DECIMALS) {
        Err(RateError::TooSmall)
    } else if value.normalize().scale() > RATE_DECIMALS {
        Err(RateError::TooPrecise)
    } else {
        Ok(value)
    }
}

/// Whether `amount` converted at `rate` (text, as stored) is still an amount owed can keep
/// and add up: past that, an amount that fits alone is refused (it overflowed the sums).
pub fn converts_within_store(amount: Decimal, rate: &str) -> bool {
    rate.parse::<Decimal>()
        .ok()
        .and_then(|rate| amount.checked_mul(rate))
        .is_some_and(|v| to_units(v.round_dp(STORE_SCALE)).is_ok())
}

/// Converts stored ten-thousandths back to an amount.
pub fn from_units(units: i64) -> Decimal {
    Decimal::new(units, STORE_SCALE)
}

/// [`from_units`] of a sum of many in 128 bits (a portfolio's figures), which no sum of
/// stored amounts passes; one past a decimal's 96 bits (never reached) is its largest.
pub fn from_wide_units(units: i128) -> Decimal {
    Decimal::try_from_i128_with_scale(units, STORE_SCALE).unwrap_or(if units < 0 {
        Decimal::MIN
    } else {
        Decimal::MAX
    })
}

/// The currencies of ISO 4217 with their minor units (decimal places), sorted by code: the
/// currencies in use (list one of the standard, as amended to 2025, funds codes included) and
/// a few withdrawn since 2020 that a ledger's older documents may still be in (HRK, SLL, CUC,
/// ZWL, ANG). Precious metals, drawing rights and the testing codes (XAU, XDR, XTS, XXX, …)
/// are no money an invoice is billed in, and are not in it.
#[rustfmt::skip]
pub const CURRENCIES: [(&str, u32); 170] = [
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("ANG", 2), ("AOA", 2), ("ARS", 2),
    ("AUD", 2), ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BGN", 2),
    ("BHD", 3), ("BIF", 0), ("BMD", 2), ("BND", 2), ("BOB", 2), ("BOV", 2), ("BRL", 2),
    ("BSD", 2), ("BTN", 2), ("BWP", 2), ("BYN", 2), ("BZD", 2), ("CAD", 2), ("CDF", 2),
    ("CHE", 2), ("CHF", 2), ("CHW", 2), ("CLF", 4), ("CLP", 0), ("CNY", 2), ("COP", 2),
    ("COU", 2), ("CRC", 2), ("CUC", 2), ("CUP", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0),
    ("DKK", 2), ("DOP", 2), ("DZD", 2), ("EGP", 2), ("ERN", 2), ("ETB", 2), ("EUR", 2),
    ("FJD", 2), ("FKP", 2), ("GBP", 2), ("GEL", 2), ("GHS", 2), ("GIP", 2), ("GMD", 2),
    ("GNF", 0), ("GTQ", 2), ("GYD", 2), ("HKD", 2), ("HNL", 2), ("HRK", 2), ("HTG", 2),
    ("HUF", 2), ("IDR", 2), ("ILS", 2), ("INR", 2), ("IQD", 3), ("IRR", 2), ("ISK", 0),
    ("JMD", 2), ("JOD", 3), ("JPY", 0), ("KES", 2), ("KGS", 2), ("KHR", 2), ("KMF", 0),
    ("KPW", 2), ("KRW", 0), ("KWD", 3), ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2),
    ("LKR", 2), ("LRD", 2), ("LSL", 2), ("LYD", 3), ("MAD", 2), ("MDL", 2), ("MGA", 2),
    ("MKD", 2), ("MMK", 2), ("MNT", 2), ("MOP", 2), ("MRU", 2), ("MUR", 2), ("MVR", 2),
    ("MWK", 2), ("MXN", 2), ("MXV", 2), ("MYR", 2), ("MZN", 2), ("NAD", 2), ("NGN", 2),
    ("NIO", 2), ("NOK", 2), ("NPR", 2), ("NZD", 2), ("OMR", 3), ("PAB", 2), ("PEN", 2),
    ("PGK", 2), ("PHP", 2), ("PKR", 2), ("PLN", 2), ("PYG", 0), ("QAR", 2), ("RON", 2),
    ("RSD", 2), ("RUB", 2), ("RWF", 0), ("SAR", 2), ("SBD", 2), ("SCR", 2), ("SDG", 2),
    ("SEK", 2), ("SGD", 2), ("SHP", 2), ("SLE", 2), ("SLL", 2), ("SOS", 2), ("SRD", 2),
    ("SSP", 2), ("STN", 2), ("SVC", 2), ("SYP", 2), ("SZL", 2), ("THB", 2), ("TJS", 2),
    ("TMT", 2), ("TND", 3), ("TOP", 2), ("TRY", 2), ("TTD", 2), ("TWD", 2), ("TZS", 2),
    ("UAH", 2), ("UGX", 0), ("USD", 2), ("USN", 2), ("UYI", 0), ("UYU", 2), ("UYW", 4),
    ("UZS", 2), ("VED", 2), ("VES", 2), ("VND", 0), ("VUV", 0), ("WST", 2), ("XAF", 0),
    ("XCD", 2), ("XCG", 2), ("XOF", 0), ("XPF", 0), ("YER", 2), ("ZAR", 2), ("ZMW", 2),
    ("ZWG", 2), ("ZWL", 2),
];

/// Whether `code` (upper case) is a currency of [`CURRENCIES`].
pub fn is_currency(code: &str) -> bool {
    CURRENCIES.binary_search_by(|(c, _)| (*c).cmp(code)).is_ok()
}

/// Minor units (decimal places) of a currency, as ISO 4217 gives them ([`CURRENCIES`]): 0 for
/// the yen, 3 for the Kuwaiti dinar, 2 for the euro. A code not in the table (stored before
/// imports checked codes) has 2.
pub fn minor_units(currency: &str) -> u32 {
    CURRENCIES
        .binary_search_by(|(c, _)| (*c).cmp(currency))
        .map_or(2, |i| CURRENCIES[i].1)
}

/// Rounds to `dp` decimal places, half away from zero (`0.125` → `0.13`, `-0.125` → `-0.13`),
/// as every figure owed shows is rounded: `Decimal::round_dp` would round an exact half to
/// even (`0.125` → `0.12`).
pub fn round_half_away(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// Rounds to the currency's minor units, half away from zero (how invoices are rounded).
pub fn round_to_currency(value: Decimal, currency: &str) -> Decimal {
    round_half_away(value, minor_units(currency))
}

/// A number as text with exactly `dp` decimal places, rounded half away from zero, no
/// separators (`0.00`, not `0`; `365.0`, not `365`; never `-0.00`).
pub fn fixed(value: Decimal, dp: u32) -> String {
    let mut v = round_half_away(value, dp);
    if v.is_zero() {
        v = Decimal::ZERO;
    }
    v.rescale(dp);
    v.to_string()
}

/// An amount as the reports print it in JSON: the currency's minor units, no separators
/// (`"1234.50"`).
pub fn plain(value: Decimal, currency: &str) -> String {
    fixed(value, minor_units(currency))
}

/// An amount for people: thousands separators and the currency's minor units (`1,234.50`).
pub fn grouped(value: Decimal, currency: &str) -> String {
    grouped_plain(&plain(value, currency))
}

/// An amount already written [`plain`] (`1234.50`) with thousands separators (`1,234.50`).
pub fn grouped_plain(text: &str) -> String {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut out = String::with_capacity(text.len() + int.len() / 3);
    out.push_str(sign);
    out.push_str(&thousands(int));
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// A count for people, with thousands separators (`26,214,401`).
pub fn grouped_count(n: u64) -> String {
    thousands(&n.to_string())
}

/// Digits with a `,` between thousands.
fn thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// An amount in a column of `width`: grouped to the cent while it fits, else [`compact`] —
/// a figure cut at the column's edge reads as another number.
pub fn fitted(value: Decimal, currency: &str, width: usize) -> String {
    let g = grouped(value, currency);
    if g.chars().count() <= width {
        g
    } else {
        compact(value)
    }
}

/// A short amount for tight spaces: `1.2M`, `45.3k`, `950`, `12T` (past 999.9B). Rounded half away from zero,
/// as every amount owed shows (`526.50` is `527`, `12,250` is `12.3k`).
pub fn compact(value: Decimal) -> String {
    let v = round_half_away(value, 0);
    if v.abs() < Decimal::from(10_000) {
        return grouped(v, "JPY");
    }
    // The largest unit the amount reaches, to a tenth of it; one that rounds to a thousand
    // of them goes up a unit (999,960 is 1M, not 1000k).
    let units = [
        (1_000, "k"),
        (1_000_000, "M"),
        (1_000_000_000, "B"),
        (1_000_000_000_000_i64, "T"),
    ];
    let in_unit = |i: usize| {
        let (div, suffix) = units[i];
        (round_half_away(value / Decimal::from(div), 1), suffix)
    };
    let mut i = units
        .iter()
        .rposition(|&(div, _)| v.abs() >= Decimal::from(div))
        .unwrap_or(0);
    if i + 1 < units.len() && in_unit(i).0.abs() >= Decimal::from(1_000) {
        i += 1;
    }
    let (shown, suffix) = in_unit(i);
    format!("{}{suffix}", shown.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn rates_are_positive_plain_decimals_up_to_a_million() {
        assert_eq!(parse_rate("1.0879"), Ok(d("1.0879")));
        assert_eq!(parse_rate("1000000"), Ok(d("1000000")));
        assert_eq!(parse_rate("0.000001"), Ok(d("0.000001")));
        assert_eq!(parse_rate("1000000.0001"), Err(RateError::TooLarge));
        assert_eq!(
            parse_rate("9999999999999999999999999999"),
            Err(RateError::TooLarge)
        );
        for bad in ["", "0", "0.0", "-1", "1e3", " 1", "1.2.3", ".", "abc"] {
            assert_eq!(parse_rate(bad), Err(RateError::NotPositive), "{bad:?}");
        }
    }

    #[test]
    fn minor_units_are_iso_4217_s() {
        // Looked up by binary search: the table must stay sorted, each code once.
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        for (code, places) in [
            ("USD", 2),
            ("EUR", 2),
            ("HUF", 2),
            ("JPY", 0),
            ("XPF", 0),
            ("RWF", 0),
            ("VUV", 0),
            ("KWD", 3),
            ("TND", 3),
            ("CLF", 4),
            ("AED", 2),
            ("ZWL", 2),
        ] {
            assert!(is_currency(code), "{code}");
            assert_eq!(minor_units(code), places, "{code}");
        }
        for code in ["EUE", "XAU", "XDR", "XXX", "usd", "US", ""] {
            assert!(!is_currency(code), "{code}");
        }
        // A code stored before imports checked codes still shows two decimals.
        assert_eq!(minor_units("QQQ"), 2);
    }

    #[test]
    fn an_amount_keeps_its_cents_while_it_fits_its_column() {
        assert_eq!(fitted(d("61242.30"), "USD", 12), "61,242.30");
        assert_eq!(fitted(d("61242.30"), "USD", 8), "61.2k");
        assert_eq!(fitted(d("-1234567.5"), "USD", 13), "-1,234,567.50");
        assert_eq!(fitted(d("-1234567.5"), "USD", 12), "-1.2M");
    }

    #[test]
    fn parses_plain_amounts_and_refuses_the_rest() {
        assert_eq!(parse_amount("1234.50"), Ok(d("1234.50")));
        assert_eq!(parse_amount("0.01"), Ok(d("0.01")));
        assert_eq!(parse_amount("12.3400"), Ok(d("12.34")));
        assert_eq!(parse_amount("10x00.00"), Err(AmountError::NotANumber));
        assert_eq!(parse_amount("1,000"), Err(AmountError::NotANumber));
        assert_eq!(parse_amount("1e5"), Err(AmountError::NotANumber));
        assert_eq!(parse_amount(""), Err(AmountError::NotANumber));
        assert_eq!(parse_amount("."), Err(AmountError::NotANumber));
        assert_eq!(parse_amount("1.23456"), Err(AmountError::TooPrecise));
        assert_eq!(parse_non_negative("-5"), Err(AmountError::Negative));
        assert_eq!(
            parse_amount("99999999999999999999"),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn units_round_trip_exactly() {
        for s in ["0", "0.01", "1234.5678", "-7.25", "900000000000"] {
            assert_eq!(from_units(to_units(d(s)).unwrap()), d(s));
        }
    }

    #[test]
    fn formats_with_minor_units_and_separators() {
        assert_eq!(plain(d("1234.5"), "USD"), "1234.50");
        assert_eq!(plain(d("-0.001"), "USD"), "0.00");
        assert_eq!(plain(d("1234.5"), "JPY"), "1235");
        assert_eq!(grouped(d("1234567.891"), "EUR"), "1,234,567.89");
        assert_eq!(grouped(d("-1000"), "USD"), "-1,000.00");
        assert_eq!(grouped(d("999"), "USD"), "999.00");
        assert_eq!(compact(d("1234567")), "1.2M");
        assert_eq!(compact(d("45321")), "45.3k");
        assert_eq!(compact(d("950.4")), "950");
        // Half away from zero, not to even (the bar said 526 where the report said 526.50).
        assert_eq!(compact(d("526.50")), "527");
        assert_eq!(compact(d("2.5")), "3");
        assert_eq!(compact(d("-2.5")), "-3");
        assert_eq!(compact(d("12250")), "12.3k");
        assert_eq!(compact(d("-12250")), "-12.3k");
        // A tenth of the next unit up is shown in it (it said 1000k).
        assert_eq!(compact(d("999960")), "1M");
        assert_eq!(compact(d("999949")), "999.9k");
        assert_eq!(compact(d("999950000")), "1B");
        // Trillions in T, not thousands of billions (`12000B`).
        assert_eq!(compact(d("12000000000000")), "12T");
        assert_eq!(compact(d("999949999999")), "999.9B");
        assert_eq!(compact(d("999950000000")), "1T");
        assert_eq!(compact(d("1500000000000000")), "1500T");
        assert_eq!(compact(d("-999960")), "-1M");
        assert_eq!(compact(d("9999.4")), "9,999");
        assert_eq!(compact(d("9999.5")), "10k");
    }

    #[test]
    fn fixed_rounds_exact_halves_away_from_zero() {
        assert_eq!(fixed(d("10.125"), 2), "10.13");
        assert_eq!(fixed(d("10.135"), 2), "10.14");
        assert_eq!(fixed(d("0.005"), 2), "0.01");
        assert_eq!(fixed(d("-0.005"), 2), "-0.01");
        assert_eq!(fixed(d("-0.004"), 2), "0.00");
        assert_eq!(fixed(d("12.25"), 1), "12.3");
        assert_eq!(fixed(d("365"), 1), "365.0");
        assert_eq!(fixed(d("0"), 1), "0.0");
    }
}
