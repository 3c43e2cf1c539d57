//! Engagement as the workstation lists it: holds in force and the outbox's reminders. Plain
//! data read by the store, shown by the engagement screen.

use super::Date;

/// A hold in force: a customer held back from every cycle until a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRow {
    pub cid: i64,
    pub customer_id: String,
    pub name: String,
    /// Last day of the hold.
    pub until: Date,
    pub collector: String,
    pub text: Option<String>,
    pub at: String,
}

/// A reminder row of the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub customer_id: String,
    pub at: String,
    pub cycle: String,
    pub reminder: String,
    pub to_addr: String,
    pub subject: String,
    pub status: String,
    /// Who it was copied to; `None`: nobody.
    pub cc_addr: Option<String>,
    pub error: Option<String>,
    pub message_id: Option<String>,
    pub sent_date: Option<Date>,
    /// The day its run was for, sent or not (none when recorded before it was kept).
    pub run_date: Option<Date>,
    /// Who released it by hand (`owed engage release`), and when.
    pub released: Option<Released>,
}

impl OutboxRow {
    /// The day the outbox lists it on: its run's date (a sent one's `sent_date` is it), else,
    /// recorded before that was kept, the day it was claimed.
    pub fn date(&self) -> Option<Date> {
        self.sent_date
            .or(self.run_date)
            .or_else(|| claim_day(&self.at))
    }

    /// What went wrong, for the outbox's error column: the recorded error, else, for a
    /// pending row, that a run is sending it now or its run ended before it recorded the
    /// delivery (a crash or a kill between the claim and the record leaves no error to show),
    /// the live case first and short enough for the workstation's outbox at 120 columns;
    /// then who released it, if anyone did.
    pub fn problem(&self) -> Option<String> {
        let error = match (&self.error, self.status.as_str()) {
            (Some(e), _) => Some(e.clone()),
            (None, "pending") => Some(PENDING_UNRECORDED.to_string()),
            (None, _) => None,
        };
        with_release(error.as_deref(), self.released.as_ref())
    }
}

/// A pending reminder's release by hand (`owed engage release`): who, and when (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    pub by: String,
    pub at: String,
}

impl std::fmt::Display for Released {
    /// `released by dana at 2026-12-06T10:00:00Z`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "released by {} at {}", self.by, self.at)
    }
}

/// A reminder's error with its release after it (`delivery unknown: …; released by dana at
/// …`), as the outbox shows it: the release is recorded beside the error, never over it.
pub fn with_release(error: Option<&str>, released: Option<&Released>) -> Option<String> {
    match (error, released) {
        (Some(e), Some(r)) => Some(format!("{e}; {r}")),
        (None, Some(r)) => Some(r.to_string()),
        (e, None) => e.map(str::to_string),
    }
}

/// How long after its claim a pending reminder without an error may still be in a live run's
/// hands: a run gives one message `attempts` tries of up to `timeout_seconds` each (and a few
/// seconds of backoff), so at least ten minutes, more with a long SMTP timeout.
pub fn in_flight_window(timeout_seconds: u64, attempts: u32) -> chrono::Duration {
    let run = timeout_seconds.saturating_mul(u64::from(attempts.max(1))) + 60;
    chrono::Duration::seconds(i64::try_from(run).unwrap_or(i64::MAX / 1000).max(600))
}

/// Whether a pending reminder claimed at `at` (RFC 3339) with no error recorded may still be
/// in the hands of a live run at `now` (see [`in_flight_window`]): released then, the run
/// would deliver it and a later run send it again. One whose run recorded an error (its fate
/// unknown) is no longer in any run's hands; an unreadable `at` is taken as long ago.
pub fn may_be_in_flight(
    at: &str,
    error: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
    window: chrono::Duration,
) -> bool {
    error.is_none()
        && chrono::DateTime::parse_from_rfc3339(at)
            .is_ok_and(|claimed| now - claimed.to_utc() < window)
}

/// What the outbox says of a pending reminder without an error.
pub const PENDING_UNRECORDED: &str = "being sent now, or maybe delivered by a run that ended";

/// Whether a reminder sent (or claimed) on `day` keeps a customer from another by `as_of`,
/// at most one per `min_days_between` days (`[engage] min_days_between`; 0: one a day). A
/// day after `as_of` (a plan made for an earlier date) keeps it too.
pub fn too_soon(day: Date, as_of: Date, min_days_between: u32) -> bool {
    (as_of - day).num_days() < i64::from(min_days_between.max(1))
}

/// Whether a reminder sent keeps a customer from another by a run of `as_of` made on `today`
/// (at most one per `min_days_between` days; 0: one a day). One sent by a run of `run_date`
/// on or before `as_of` counts on that date, as the runs of each day in turn (a missed day
/// caught up the next) keep to the spacing. One sent by a run of a later date counts by the
/// day it was delivered, `sent_day` (unknown: it holds): a run of an earlier date is sent
/// now, so a reminder delivered a minute ago holds the customer back whatever the run's date.
pub fn sent_too_soon(
    run_date: Date,
    sent_day: Option<Date>,
    as_of: Date,
    today: Date,
    min_days_between: u32,
) -> bool {
    if run_date <= as_of {
        too_soon(run_date, as_of, min_days_between)
    } else {
        sent_day.is_none_or(|day| too_soon(day, today, min_days_between))
    }
}

/// Whether a reminder claimed and still pending (in flight, or its delivery not known) keeps
/// a customer from another by a run of `as_of` made on `today`: as a sent one does
/// ([`sent_too_soon`]), on its run's date `run_date` when that is `as_of` or earlier, else by
/// the day it was claimed, `claimed`, counted back from `today` (it may have been delivered
/// then). One recorded before its run's date was kept counts from the day it was claimed;
/// one whose claim's day cannot be read either holds.
pub fn pending_too_soon(
    run_date: Option<Date>,
    claimed: Option<Date>,
    as_of: Date,
    today: Date,
    min_days_between: u32,
) -> bool {
    match run_date.or(claimed) {
        Some(run) => sent_too_soon(run, claimed, as_of, today, min_days_between),
        None => true,
    }
}

/// The local day of a reminder claimed at `at` (RFC 3339, as the outbox stores it).
pub fn claim_day(at: &str) -> Option<Date> {
    chrono::DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&chrono::Local).date_naive())
}

/// The address in `Name <a@b>`, else the text, trimmed: how a customer's `email` may write
/// one (the customers.csv import keeps it as given).
pub fn address_in(text: &str) -> &str {
    match (text.rfind('<'), text.rfind('>')) {
        (Some(start), Some(end)) if start < end => text[start + 1..end].trim(),
        _ => text.trim(),
    }
}

/// An address as replies are matched by it: [`address_in`], lowercase, its domain in ASCII
/// (punycode). A reminder to `ap@bücher.example` goes as `ap@xn--bcher-kva.example`, and the
/// reply may come back in either spelling.
pub fn address_key(text: &str) -> String {
    let address = address_in(text).to_lowercase();
    match address.rsplit_once('@') {
        Some((user, domain)) if !domain.is_ascii() => match ascii_domain(domain) {
            Some(ascii) => format!("{user}@{ascii}"),
            None => address,
        },
        _ => address,
    }
}

/// `domain` in ASCII: one that is not is written in punycode (`bücher.example` as
/// `xn--bcher-kva.example`), as reminders are sent to it. `None` when it cannot be; lettre
/// checks every address with this same conversion, so a stored address's domain always can.
pub fn ascii_domain(domain: &str) -> Option<String> {
    if domain.is_ascii() {
        Some(domain.to_string())
    } else {
        idna::domain_to_ascii(domain).ok()
    }
}

/// The parts of an email field between the `,` and `;` that are not inside a quoted name or
/// angle brackets.
pub fn split_addresses(field: &str) -> Vec<&str> {
    let (mut parts, mut start, mut quoted, mut angled) = (Vec::new(), 0, false, false);
    for (i, c) in field.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angled = true,
            '>' if !quoted => angled = false,
            ',' | ';' if !quoted && !angled => {
                parts.push(&field[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&field[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::date::parse_iso;

    #[test]
    fn one_reminder_per_spacing_and_one_a_day_without() {
        let d = |s: &str| parse_iso(s).unwrap();
        assert!(too_soon(d("2026-05-01"), d("2026-05-01"), 0));
        assert!(!too_soon(d("2026-05-01"), d("2026-05-02"), 0));
        assert!(too_soon(d("2026-05-01"), d("2026-05-07"), 7));
        assert!(!too_soon(d("2026-05-01"), d("2026-05-08"), 7));
        assert!(too_soon(d("2026-05-03"), d("2026-05-01"), 7));
        assert!(claim_day("2026-05-01T12:00:00Z").is_some());
        // By a run of a later date than this one's: by the day it was delivered.
        let (run, today) = (d("2026-12-07"), d("2026-12-07"));
        assert!(sent_too_soon(run, Some(today), d("2026-12-01"), today, 7));
        assert!(sent_too_soon(run, Some(today), d("2026-12-01"), today, 0));
        assert!(sent_too_soon(run, None, d("2026-12-01"), today, 0));
        let week_ago = d("2026-11-30");
        assert!(!sent_too_soon(
            run,
            Some(week_ago),
            d("2026-12-01"),
            today,
            7
        ));
        assert!(sent_too_soon(
            run,
            Some(d("2026-12-01")),
            d("2026-12-01"),
            today,
            7
        ));
        // By a run of its date or before: by that date, whenever it was delivered.
        let may = d("2026-05-01");
        assert!(!sent_too_soon(may, Some(today), d("2026-05-08"), today, 7));
        assert!(sent_too_soon(may, Some(today), d("2026-05-07"), today, 7));
        assert_eq!(claim_day("yesterday"), None);
    }

    /// A pending reminder of a back-dated run counted by its claim's clock day, after every
    /// back-dated day: the customer got nothing on any of them. It counts on its run's date.
    #[test]
    fn a_pending_reminder_counts_on_its_runs_date_as_a_sent_one() {
        let d = |s: &str| parse_iso(s).unwrap();
        let (run, claimed, today) = (d("2026-11-01"), d("2026-12-07"), d("2026-12-07"));
        assert!(pending_too_soon(Some(run), Some(claimed), run, today, 0));
        assert!(!pending_too_soon(
            Some(run),
            Some(claimed),
            d("2026-11-02"),
            today,
            0
        ));
        assert!(pending_too_soon(
            Some(run),
            Some(claimed),
            d("2026-11-07"),
            today,
            7
        ));
        assert!(!pending_too_soon(
            Some(run),
            Some(claimed),
            d("2026-11-08"),
            today,
            7
        ));
        // A run of an earlier date than the pending one's: by the day it was claimed.
        assert!(pending_too_soon(Some(today), Some(claimed), run, today, 0));
        // Recorded before the run's date was kept: by the day it was claimed.
        assert!(pending_too_soon(None, Some(claimed), run, today, 0));
        assert!(!pending_too_soon(
            None,
            Some(run),
            d("2026-11-02"),
            today,
            0
        ));
        assert!(pending_too_soon(None, None, run, today, 0));
    }

    #[test]
    fn an_address_is_the_one_inside_angle_brackets() {
        assert_eq!(address_in("Kite AP <AP@kite.example>"), "AP@kite.example");
        assert_eq!(address_in(" ap@kite.example "), "ap@kite.example");
        assert_eq!(
            split_addresses("\"Berg, Kim\" <kim@x.example>, a@x.example; <b,c@x>"),
            ["\"Berg, Kim\" <kim@x.example>", " a@x.example", " <b,c@x>"]
        );
        assert_eq!(
            address_in("\"A <b>\" < ap@kite.example >"),
            "ap@kite.example"
        );
        assert_eq!(
            address_in("broken <ap@kite.example"),
            "broken <ap@kite.example"
        );
    }
}
