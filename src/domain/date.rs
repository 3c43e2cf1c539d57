//! Dates: strict ISO parsing and the day numbers the store keeps.

use chrono::{Datelike, NaiveDate};

/// Parses `YYYY-MM-DD` strictly (`2026-02-30` and `2026-2-3` are errors).
pub fn parse_iso(text: &str) -> Option<NaiveDate> {
    let b = text.trim().as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)
}

/// Why `text`, written as `YYYY-MM-DD` with a month of 1–12 and a day of 1–31, names no day:
/// `2027 has no 29 February`, `April has 30 days`; `None` for any other text (a date, or
/// text that is not of that shape), which the caller's own words describe.
pub fn impossible_day(text: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let b = text.trim().as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || parse_iso(text).is_some() {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let name = MONTHS[month as usize - 1];
    if month == 2 && day == 29 {
        return Some(format!("{year} has no 29 February"));
    }
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(i32::try_from(year).ok()? + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month + 1, 1)
    }?;
    let days = next.pred_opt()?.day();
    Some(format!("{name} has {days} days"))
}

/// The words after "is not a date" for `text`: `: 2027 has no 29 February` where it names an
/// impossible day ([`impossible_day`]), else `hint` (` (YYYY-MM-DD)`).
pub fn not_a_date_because(text: &str, hint: &str) -> String {
    impossible_day(text).map_or_else(|| hint.to_string(), |why| format!(": {why}"))
}

/// The first date `owed` computes with.
pub const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date");

/// The last date `owed` computes with: every horizon after it (the forecast looks up to three
/// years past a due date, the cash forecast thirteen weeks past the as-of date) stays within
/// the four-digit years of `YYYY-MM-DD` (9999-12-31 would print `+10000-01-30`).
pub const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(9000, 12, 31).expect("a date");

/// Whether a date is within [`FIRST_DAY`] and [`LAST_DAY`].
pub fn in_calendar(date: NaiveDate) -> bool {
    (FIRST_DAY..=LAST_DAY).contains(&date)
}

/// Why a date outside [`in_calendar`] is refused.
pub fn outside_calendar(date: NaiveDate) -> String {
    format!("{date} is outside the dates owed computes with ({FIRST_DAY} to {LAST_DAY})")
}

/// The store's integer day number of a date (days from 0001-01-01, day 1).
pub fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// The date of a store day number.
pub fn from_day_number(n: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(n).unwrap_or(NaiveDate::MIN)
}

/// The date itself on a working day (Monday to Friday), else the Monday after it: the day a
/// collector can act on (public holidays are not known here).
pub fn working_day(date: NaiveDate) -> NaiveDate {
    let skip = match date.weekday() {
        chrono::Weekday::Sat => 2,
        chrono::Weekday::Sun => 1,
        _ => 0,
    };
    date.checked_add_days(chrono::Days::new(skip))
        .unwrap_or(date)
}

/// Days from `from` to `to` (positive when `to` is later).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

/// Parses a date as a collector types it: `YYYY-MM-DD`, `today`, `tomorrow`, `+7d`, `+2w`,
/// `-3d`, or a weekday name (`fri`, `friday`: the next such day after `today`).
pub fn parse_relative(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    let t = text.trim().to_ascii_lowercase();
    if let Some(d) = parse_iso(&t) {
        return Some(d);
    }
    match t.as_str() {
        "today" => return Some(today),
        "tomorrow" => return today.succ_opt(),
        "yesterday" => return today.pred_opt(),
        _ => {}
    }
    if let Some(rest) = t.strip_prefix('+').or_else(|| t.strip_prefix("in ")) {
        return offset(rest.trim(), today, 1);
    }
    if let Some(rest) = t.strip_prefix('-') {
        return offset(rest.trim(), today, -1);
    }
    weekday(&t).map(|wd| {
        let mut d = today.succ_opt().unwrap_or(today);
        while d.weekday() != wd {
            d = d.succ_opt().unwrap_or(d);
        }
        d
    })
}

fn offset(spec: &str, today: NaiveDate, sign: i64) -> Option<NaiveDate> {
    let split = spec
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(spec.len());
    let (num, unit) = spec.split_at(split);
    let n: i64 = num.parse().ok()?;
    let days = match unit.trim() {
        "" | "d" | "day" | "days" => n,
        "w" | "week" | "weeks" => n.checked_mul(7)?,
        _ => return None,
    };
    // Checked all the way: `+99999999999w` panicked in chrono (a form checks its date at
    // every frame, so it ended a served session as the digits were typed).
    today.checked_add_signed(chrono::TimeDelta::try_days(days.checked_mul(sign)?)?)
}

fn weekday(t: &str) -> Option<chrono::Weekday> {
    use chrono::Weekday::*;
    let days = [
        ("monday", Mon),
        ("tuesday", Tue),
        ("wednesday", Wed),
        ("thursday", Thu),
        ("friday", Fri),
        ("saturday", Sat),
        ("sunday", Sun),
    ];
    days.iter()
        .find(|(name, _)| t.len() >= 3 && name.starts_with(t))
        .map(|&(_, wd)| wd)
}

/// Where an operation that takes a while (a send run, an inbox import) reads the moment of
/// each record it writes, and today's date on this machine: given by the caller at the edge
/// (the CLI, the workstation's service: `Clock::Reading(chrono::Local::now)`), so that
/// nothing below reads the machine's clock, and a test runs as if it were another moment.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// The moment each time it is asked, from this reading of a clock.
    Reading(fn() -> chrono::DateTime<chrono::Local>),
    /// Always this moment.
    Fixed(chrono::DateTime<chrono::Local>),
}

impl Clock {
    /// The moment now.
    pub fn now(self) -> chrono::DateTime<chrono::Local> {
        match self {
            Clock::Reading(read) => read(),
            Clock::Fixed(at) => at,
        }
    }

    /// Today's date, in this machine's time zone.
    pub fn today(self) -> NaiveDate {
        self.now().date_naive()
    }

    /// The moment now as the activity log stamps it: RFC 3339 in UTC, to the second.
    pub fn stamp(self) -> String {
        super::action_checks::timestamp(self.now().with_timezone(&chrono::Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_impossible_day_says_why() {
        assert_eq!(
            impossible_day("2027-02-29").as_deref(),
            Some("2027 has no 29 February")
        );
        assert_eq!(
            impossible_day("2028-02-30").as_deref(),
            Some("February has 29 days")
        );
        assert_eq!(
            impossible_day("2026-02-31").as_deref(),
            Some("February has 28 days")
        );
        assert_eq!(
            impossible_day("2026-04-31").as_deref(),
            Some("April has 30 days")
        );
        assert_eq!(impossible_day("2026-12-32"), None);
        for other in [
            "2026-13-01",
            "2026-00-10",
            "2026-04-00",
            "2026-04-30",
            "soon",
            "+1d",
        ] {
            assert_eq!(impossible_day(other), None, "{other}");
        }
    }

    fn d(s: &str) -> NaiveDate {
        parse_iso(s).unwrap()
    }

    #[test]
    fn iso_is_strict() {
        assert!(parse_iso("2026-02-30").is_none());
        assert!(parse_iso("2026-2-3").is_none());
        assert!(parse_iso("26-02-03").is_none());
        assert_eq!(
            parse_iso("2024-02-29"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
    }

    #[test]
    fn an_offset_too_large_for_any_date_is_none() {
        let today = d("2026-12-06");
        for text in [
            "+99999999999w",
            "-99999999999w",
            "+9999999999999999999d",
            "+999999999999999w",
        ] {
            assert_eq!(parse_relative(text, today), None, "{text}");
        }
        assert_eq!(parse_relative("+2w", today), Some(d("2026-12-20")));
    }

    #[test]
    fn day_numbers_round_trip() {
        let x = d("2026-11-25");
        assert_eq!(from_day_number(day_number(x)), x);
        assert_eq!(day_number(d("2026-03-01")) - day_number(d("2026-02-28")), 1);
    }

    #[test]
    fn relative_dates() {
        let today = d("2026-11-25"); // a Wednesday
        assert_eq!(parse_relative("+7d", today), Some(d("2026-12-02")));
        assert_eq!(parse_relative("+2w", today), Some(d("2026-12-09")));
        assert_eq!(parse_relative("in 3 days", today), Some(d("2026-11-28")));
        assert_eq!(parse_relative("fri", today), Some(d("2026-11-27")));
        assert_eq!(parse_relative("Wednesday", today), Some(d("2026-12-02")));
        assert_eq!(parse_relative("tomorrow", today), Some(d("2026-11-26")));
        assert_eq!(parse_relative("2026-12-31", today), Some(d("2026-12-31")));
        assert_eq!(parse_relative("fr", today), None);
        assert_eq!(parse_relative("+7x", today), None);
        assert_eq!(parse_relative("soon", today), None);
    }
}
