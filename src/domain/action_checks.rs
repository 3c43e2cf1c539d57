//! Collector actions: checking what a collector typed before anything is written.
//!
//! Pure functions shared by the command line and the workstation's forms: each takes the text
//! of one field (and what the store says about the records it names) and returns the typed
//! value or one sentence saying what is wrong. A form shows the sentence inline; the command
//! line prints it and exits with code 2.

use super::document::DocumentKind;
use super::users::{Actor, Role};
use super::{Date, Decimal, date, money};
use chrono::{DateTime, SecondsFormat, Utc};

/// Who recorded an action and when: every record of the activity log carries both. The role
/// bounds what the store lets the stamp write (`domain::users::may`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The collector's name.
    pub collector: String,
    /// Their role: what they may write.
    pub role: Role,
    /// Who they are was proven ([`Actor::verified`]).
    pub verified: bool,
    /// RFC 3339 in UTC, to the second (`2026-04-01T09:30:00Z`): sorts as text.
    pub at: String,
    /// The day the action counts from (the as-of date): a promise's receipts are counted from
    /// it, an issue is open from it.
    pub today: Date,
}

impl Stamp {
    /// A stamp for `collector` at `now` (read from the clock by the caller), effective `today`,
    /// unrestricted: the local file's owner, a manager (see [`Stamp::for_actor`]).
    pub fn new(collector: &str, now: DateTime<Utc>, today: Date) -> Result<Stamp, String> {
        Stamp::for_actor(&Actor::new(collector, Role::Manager), now, today)
    }

    /// A stamp for `actor`, with their role, at `now`, effective `today`.
    pub fn for_actor(actor: &Actor, now: DateTime<Utc>, today: Date) -> Result<Stamp, String> {
        let collector = &*super::text::nfc(actor.name.trim());
        if collector.is_empty() {
            return Err("the collector's name is empty; give one with --as NAME".into());
        }
        super::text::check_name(collector)
            .map_err(|e| format!("the collector's name {e}; give another with --as NAME"))?;
        Ok(Stamp {
            collector: collector.to_string(),
            role: actor.role,
            verified: actor.verified,
            at: timestamp(now),
            today,
        })
    }

    /// Who the stamp speaks for.
    pub fn actor(&self) -> Actor {
        Actor {
            verified: self.verified,
            ..Actor::new(self.collector.clone(), self.role)
        }
    }
}

/// Where the as-of date of a write was chosen: what the sentence refusing one dated after
/// today tells the user to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOfFrom {
    /// `--as-of` on the command line.
    CommandLine,
    /// The workstation's date (`:asof`, or the `--as-of` it was started with).
    Workstation,
}

/// A write is dated today or earlier: its as-of date (`as_of`) is not after `today`, this
/// machine's date, read at the edge (the command line, the workstation's service) and passed
/// down. A record dated after today — a promise, an issue resolved, a hold — is in no view
/// until that day, and an issue resolved in the future could be neither resolved nor
/// reopened meanwhile. A date before today is taken: the write is back-dated (see
/// [`back_dated`]). Viewing and reports take any date.
///
/// # Errors
///
/// One sentence naming both dates and what to do.
pub fn dated_by_today(as_of: Date, today: Date, from: AsOfFrom) -> Result<(), String> {
    if as_of <= today {
        return Ok(());
    }
    let what_to_do = match from {
        AsOfFrom::CommandLine => "drop --as-of or give a date up to today",
        AsOfFrom::Workstation => "`:asof today` goes back to today, or `:asof` a date up to today",
    };
    Err(format!(
        "this write is dated {as_of}, after today ({today}): writes are dated today or \
         earlier; {what_to_do}"
    ))
}

/// What the confirmation of a record counted from the as-of date says when that date is
/// before the day it is written (a promise, an issue opened, resolved or reopened, a hold, at
/// an earlier `--as-of` or `:asof`): it counts from that day, as `owed activity` shows it
/// ("counts from …, back-dated"). The one wording of every back-dated write, on the command
/// line (`Back-dated to 2026-12-01.` after the record's line) and in the workstation
/// (`saved (back-dated to 2026-12-01): …`).
pub fn back_dated(as_of: Date) -> String {
    format!("back-dated to {as_of}")
}

/// The activity log's timestamp format: RFC 3339, UTC, whole seconds, `Z`.
pub fn timestamp(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Which owner of a customer an assignment changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnerRole {
    Finance,
    Sales,
}

impl OwnerRole {
    /// The column and JSON name: `finance_owner` or `sales_owner`.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerRole::Finance => "finance_owner",
            OwnerRole::Sales => "sales_owner",
        }
    }

    /// Reads a stored role name.
    pub fn parse(text: &str) -> Option<OwnerRole> {
        match text {
            "finance_owner" => Some(OwnerRole::Finance),
            "sales_owner" => Some(OwnerRole::Sales),
            _ => None,
        }
    }

    /// For sentences: `finance owner` / `sales owner`.
    pub fn label(self) -> &'static str {
        match self {
            OwnerRole::Finance => "finance owner",
            OwnerRole::Sales => "sales owner",
        }
    }
}

/// An amount a collector typed: a plain decimal, more than zero.
pub fn amount(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the amount is missing".into());
    }
    let value = money::parse_amount(t)
        .map_err(|e| format!("the amount {} {e}", crate::error::quoted(t)))?;
    if value <= Decimal::ZERO {
        return Err(format!(
            "the amount must be more than zero, got {}",
            crate::error::quoted(t)
        ));
    }
    Ok(value)
}

/// An amount in `currency` holds no more decimals than the currency shows (cents for most,
/// none for yen): 0.0001 USD would be recorded but shown as 0.00, and pause the customer's
/// reminders for a promise of nothing.
pub fn in_minor_units(amount: Decimal, currency: &str) -> Result<(), String> {
    if money::round_to_currency(amount, currency) == amount {
        return Ok(());
    }
    Err(too_many_decimals(&amount.normalize().to_string(), currency))
}

/// The sentence for an amount (`shown` as the user wrote it) with more decimals than its
/// currency has.
pub fn too_many_decimals(shown: &str, currency: &str) -> String {
    let places = match money::minor_units(currency) {
        0 => "none".to_string(),
        n => n.to_string(),
    };
    format!("the amount {shown} has more decimals than {currency} has ({places})")
}

/// A promise pays at most what is open: on the documents it names, or (naming none) on the
/// customer's invoices and debit notes. More is a slip of the keyboard — a digit too many —
/// that could never be kept and would swell every "open promises" figure; `open` is in the
/// customer's `currency`. (An issue is held to its documents' whole amounts instead, see
/// [`dispute_within_documents`]: a customer may dispute an invoice it has paid.)
pub fn promise_within_open(
    amount: Decimal,
    open: Decimal,
    on_documents: bool,
    currency: &str,
) -> Result<(), String> {
    let whose = if on_documents {
        "open on its documents"
    } else {
        "the customer has open"
    };
    at_most(amount, open, currency, |amount, open| {
        format!("the promise of {amount} is more than the {open} {whose}")
    })
}

/// The customer's open promises together pay at most what it has open: a new promise of
/// `amount` beside those open (`promised` still to come, in all, on the promises numbered
/// `ids`) may take what they leave of `open` (every open invoice and debit note), no more.
/// More could never all be kept and would swell every "open promises" figure (500 promises
/// made "Open promises" eight times the balance); the collector voids one that no longer
/// stands first. Amounts are in the customer's `currency`.
pub fn promises_within_open(
    amount: Decimal,
    promised: Decimal,
    ids: &[i64],
    open: Decimal,
    currency: &str,
) -> Result<(), String> {
    if ids.is_empty() || promised + amount <= open {
        return Ok(());
    }
    let shown = |a: Decimal| format!("{} {currency}", money::grouped(a, currency));
    let left = left_to_promise(promised, ids, open).unwrap_or(open);
    let room = if left.is_zero() {
        "nothing more can be promised".to_string()
    } else {
        format!(
            "at most {} more can be promised, not {}",
            shown(left),
            shown(amount)
        )
    };
    Err(format!(
        "{}, so {room}: void one that no longer stands with `owed void-promise N` first",
        promises_come_to("the customer's", promised, ids, open, currency)
    ))
}

/// What a customer's open promises (`promised` still to come, in all, on the promises
/// numbered `ids`) leave of what it has `open` to promise: `None` when it has none open (a
/// promise may then take all that is open), never less than zero.
pub fn left_to_promise(promised: Decimal, ids: &[i64], open: Decimal) -> Option<Decimal> {
    (!ids.is_empty()).then(|| (open - promised).max(Decimal::ZERO))
}

/// Why nothing more can be promised, for the promise form as it opens on customer `name`
/// (`promised`, `ids`, `open` as [`promises_within_open`] takes them): its open promises
/// already come to all it has open; `void` says how to void one.
pub fn nothing_left_to_promise(
    name: &str,
    (promised, ids, open): (Decimal, &[i64], Decimal),
    currency: &str,
    void: &str,
) -> String {
    format!(
        "{}, so nothing more can be promised: {void}.",
        promises_come_to(&format!("{name}'s"), promised, ids, open, currency)
    )
}

/// "`whose` open promises (1, 2) already come to … of the … it has open", naming five of
/// them at most.
fn promises_come_to(
    whose: &str,
    promised: Decimal,
    ids: &[i64],
    open: Decimal,
    currency: &str,
) -> String {
    let shown = |a: Decimal| format!("{} {currency}", money::grouped(a, currency));
    const NAMED: usize = 5;
    let mut which = ids
        .iter()
        .take(NAMED)
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > NAMED {
        which.push_str(&format!(" and {} more", ids.len() - NAMED));
    }
    format!(
        "{whose} open promises ({which}) already come to {} of the {} it has open",
        shown(promised),
        shown(open)
    )
}

/// A dispute names at most what its documents amount to (`total`, in the customer's
/// `currency`): a customer may dispute an invoice it has paid, but not for more than the
/// invoice. More is a digit too many that would swell every "open issues" figure.
pub fn dispute_within_documents(
    amount: Decimal,
    total: Decimal,
    currency: &str,
) -> Result<(), String> {
    at_most(amount, total, currency, |amount, total| {
        format!("the dispute of {amount} is more than its documents' {total} in all")
    })
}

/// Nothing when `amount` is at most `bound`; else the sentence `refusal` makes of the two, as
/// shown in `currency` (`1,250.00 USD`).
fn at_most(
    amount: Decimal,
    bound: Decimal,
    currency: &str,
    refusal: impl FnOnce(String, String) -> String,
) -> Result<(), String> {
    if amount <= bound {
        return Ok(());
    }
    let shown = |a: Decimal| format!("{} {currency}", money::grouped(a, currency));
    Err(refusal(shown(amount), shown(bound)))
}

/// A date a collector typed: `YYYY-MM-DD`, `today`, `tomorrow`, `+7d`, `+2w` or a weekday
/// name, relative to `today`. `what` names the field in the message (`promise date`).
pub fn date_field(what: &str, text: &str, today: Date) -> Result<Date, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("the {what} is missing"));
    }
    let d = date::parse_relative(t, today).ok_or_else(|| {
        format!(
            "the {what} {} is not a date{}",
            crate::error::quoted(t),
            date::not_a_date_because(t, " (use YYYY-MM-DD, +7d, +2w or a weekday name)")
        )
    })?;
    if !date::in_calendar(d) {
        return Err(format!("the {what}: {}", date::outside_calendar(d)));
    }
    Ok(d)
}

/// How far ahead a promise or a follow-up may be dated, in months. A date beyond it is a slip
/// (`+300000w` for `+3w`, 2062 for 2026), and an open promise holds every reminder back until
/// its date: such a slip would stop dunning the customer for good.
pub const FUTURE_MONTHS: u32 = 24;

/// A date that must not be before `today` (a promise or a follow-up is about the future), nor
/// more than [`FUTURE_MONTHS`] after it.
pub fn future_date(what: &str, text: &str, today: Date) -> Result<Date, String> {
    let d = date_field(what, text, today)?;
    if d < today {
        return Err(format!("the {what} {d} is before today ({today})"));
    }
    within_horizon(what, d, today)
}

/// The last day of a hold on a customer's reminders, typed as `:hold` and `owed engage hold
/// --until` take it: dated like a follow-up, since a hold stops every reminder until that day
/// as an open promise does. `today` is the day the hold is written on, whatever date it is
/// back-dated to (the real today, as a follow-up's: `+7d` at `--as-of 2026-11-20` was a week
/// from then, a hold over before it was written), and a day before it is refused as a
/// follow-up's is. `release` ends the hold instead: `None`.
pub fn hold_until(text: &str, today: Date) -> Result<Option<Date>, String> {
    const WHAT: &str = "hold's last day";
    if text.trim().eq_ignore_ascii_case("release") {
        return Ok(None);
    }
    let d = date_field(WHAT, text, today)?;
    if d < today {
        return Err(format!(
            "the {WHAT} {d} is before today ({today}): give a day from today on, or `release` \
             to end the hold"
        ));
    }
    within_horizon(WHAT, d, today).map(Some)
}

/// What a hold with a past last day (a release) says of customers that were not held: there
/// was nothing to release, and nothing was written. `who` names them (`K8`, `3 customers`),
/// `many` when they are more than one.
pub fn not_held(who: &str, many: bool) -> String {
    let was = if many { "were" } else { "was" };
    format!("{who} {was} not held; nothing changed")
}

/// `d` when it is at most [`FUTURE_MONTHS`] after `today`.
fn within_horizon(what: &str, d: Date, today: Date) -> Result<Date, String> {
    let horizon = today
        .checked_add_months(chrono::Months::new(FUTURE_MONTHS))
        .unwrap_or(today);
    if d > horizon {
        return Err(format!(
            "the {what} {d} is more than {} years after today ({today}): check the year",
            FUTURE_MONTHS / 12
        ));
    }
    Ok(d)
}

/// Required free text (a note, a follow-up): trimmed, not empty. `what` names it.
pub fn required_text(what: &str, text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("the {what} is empty"));
    }
    Ok(t.to_string())
}

/// Optional free text: trimmed, `None` when empty.
pub fn optional_text(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// A dispute reason: one of `reasons` (from the config), compared without regard to case.
pub fn reason(text: &str, reasons: &[String]) -> Result<String, String> {
    let t = text.trim();
    // Without regard to case in every script (`QUALITÉ` is `Qualité`), as `issue:` finds it.
    let key = crate::domain::text::lowered(t);
    reasons
        .iter()
        .find(|r| crate::domain::text::lowered(r) == key)
        .cloned()
        .ok_or_else(|| {
            if t.is_empty() {
                format!(
                    "the dispute reason is missing (one of {})",
                    reasons.join(", ")
                )
            } else {
                format!(
                    "{} is not a dispute reason (one of {})",
                    crate::error::quoted(t),
                    reasons.join(", ")
                )
            }
        })
}

/// An owner's name for an assignment: trimmed, not empty, no control characters.
pub fn owner(text: &str) -> Result<String, String> {
    let t = &*crate::domain::text::nfc(text.trim());
    if t.is_empty() {
        return Err("the new owner's name is empty".into());
    }
    crate::domain::text::refuse_name("the new owner's name", t)?;
    Ok(t.to_string())
}

/// The number of a record (`12` or `#12`); `what` names the kind (`issue`).
pub fn record_id(what: &str, text: &str) -> Result<i64, String> {
    let t = text.trim();
    t.strip_prefix('#')
        .unwrap_or(t)
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{} is not a valid {what} number", crate::error::quoted(t)))
}

/// What the store knows about a document a collector named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentOwner {
    /// The document's key.
    pub did: i64,
    /// The billing system's id of the customer it belongs to.
    pub customer_id: String,
    /// `invoice`, `debit_note` or `credit_note`.
    pub kind: DocumentKind,
    /// How the workstation and messages name it: its number, else its id.
    pub label: String,
    /// Its date: it does not exist before it.
    pub doc_date: Date,
}

/// The word a documents field and `--documents` take for the customer's overdue documents not
/// in dispute (what a promise or a new dispute proposes), however many: a document of the
/// customer whose id or number is this word is that document instead.
pub const OVERDUE_DOCUMENTS: &str = "overdue";

/// How many documents a form proposes by their numbers; more are proposed as
/// [`OVERDUE_DOCUMENTS`], and messages name this many, then count the rest.
pub const DOCUMENTS_NAMED: usize = 5;

/// Document labels for a line: all of them when there are at most [`DOCUMENTS_NAMED`], else
/// the first few and how many more (`MR-1, MR-2, MR-3, MR-4, MR-5 and 28,505 more`).
pub fn documents_line<S: AsRef<str>>(labels: &[S]) -> String {
    let shown: Vec<&str> = labels
        .iter()
        .take(DOCUMENTS_NAMED)
        .map(AsRef::as_ref)
        .collect();
    let rest = labels.len().saturating_sub(DOCUMENTS_NAMED);
    if rest == 0 {
        shown.join(", ")
    } else {
        format!(
            "{} and {} more",
            shown.join(", "),
            crate::domain::money::grouped_count(rest as u64)
        )
    }
}

/// Checks the documents named for `customer_id`: each must exist (`found[i]` is what the store
/// has for `named[i]`), belong to that customer and be an invoice or a debit note. Returns
/// their keys in the order named, without repeats.
pub fn documents(
    customer_id: &str,
    named: &[String],
    found: &[Option<DocumentOwner>],
    today: Date,
) -> Result<Vec<i64>, String> {
    let mut dids = Vec::with_capacity(named.len());
    let mut seen = std::collections::HashSet::with_capacity(named.len());
    for (id, doc) in named.iter().zip(found) {
        let id = id.trim();
        let doc = doc
            .as_ref()
            .ok_or_else(|| format!("document {} does not exist", crate::error::quoted(id)))?;
        if doc.customer_id != customer_id {
            return Err(format!(
                "document {} belongs to customer {}, not {}",
                crate::error::quoted(id),
                crate::error::quoted(&doc.customer_id),
                crate::error::quoted(customer_id)
            ));
        }
        if doc.kind.is_credit() {
            return Err(format!(
                "document {} is a credit note; name invoices or debit notes",
                crate::error::quoted(id)
            ));
        }
        if doc.doc_date > today {
            return Err(format!(
                "document {} is dated {}, after today ({today}): it does not exist yet",
                crate::error::quoted(id),
                doc.doc_date
            ));
        }
        if seen.insert(doc.did) {
            dids.push(doc.did);
        }
    }
    Ok(dids)
}

/// What an event of an issue did: resolve it or reopen it (the latest decides its state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueEventKind {
    Resolve,
    Reopen,
}

impl IssueEventKind {
    /// `resolve` / `reopen`, as the database and JSON spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueEventKind::Resolve => "resolve",
            IssueEventKind::Reopen => "reopen",
        }
    }

    /// The kind spelled `text`.
    pub fn parse(text: &str) -> Option<IssueEventKind> {
        [IssueEventKind::Resolve, IssueEventKind::Reopen]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// Whether an issue is open or resolved (its latest resolve / reopen decides).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueState {
    Open,
    Resolved,
}

impl IssueState {
    /// `open` / `resolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueState::Open => "open",
            IssueState::Resolved => "resolved",
        }
    }
}

/// An issue can be resolved when it exists and is open.
pub fn can_resolve(issue: i64, state: Option<IssueState>) -> Result<(), String> {
    match state {
        None => Err(format!("issue {issue} does not exist")),
        Some(IssueState::Resolved) => Err(format!("issue {issue} is already resolved")),
        Some(IssueState::Open) => Ok(()),
    }
}

/// An issue can be reopened when it exists and is resolved.
pub fn can_reopen(issue: i64, state: Option<IssueState>) -> Result<(), String> {
    match state {
        None => Err(format!("issue {issue} does not exist")),
        Some(IssueState::Open) => Err(format!("issue {issue} is already open")),
        Some(IssueState::Resolved) => Ok(()),
    }
}

/// An issue's resolve or reopen (`kind`) dated `on` comes after what already happened to it
/// (opened, or last resolved or reopened, on `since`): one dated before would be read as
/// happening first, and the issue's state on every later day would not be what the
/// collector was told.
pub fn in_order(issue: i64, kind: &str, since: Date, on: Date) -> Result<(), String> {
    if on >= since {
        return Ok(());
    }
    Err(format!(
        "issue {issue} was last opened, resolved or reopened on {since}: a {kind} must be \
         dated on or after it, not {on}"
    ))
}

/// A promise can be voided when it exists and is not voided yet (`voided` is `None` when it
/// does not exist).
pub fn can_void(promise: i64, voided: Option<bool>) -> Result<(), String> {
    match voided {
        None => Err(format!("promise {promise} does not exist")),
        Some(true) => Err(format!("promise {promise} is already voided")),
        Some(false) => Ok(()),
    }
}

/// A follow-up can be marked done when it exists and is not done yet.
pub fn can_complete(followup: i64, done: Option<bool>) -> Result<(), String> {
    match done {
        None => Err(format!("follow-up {followup} does not exist")),
        Some(true) => Err(format!("follow-up {followup} is already done")),
        Some(false) => Ok(()),
    }
}

/// The documents a dispute of `amount` is about when the collector names none: the overdue
/// ones oldest first, then the others, until their open balances reach the amount.
/// `documents` are (open balance, overdue) oldest due date first; the answer is their
/// positions. A partial dispute takes only what it covers out of dunning.
pub fn covering(documents: &[(Decimal, bool)], amount: Decimal) -> Vec<usize> {
    let mut out = Vec::new();
    let mut covered = Decimal::ZERO;
    let order = documents
        .iter()
        .enumerate()
        .filter(|(_, d)| d.1)
        .chain(documents.iter().enumerate().filter(|(_, d)| !d.1));
    for (i, (balance, _)) in order {
        if covered >= amount {
            break;
        }
        covered += *balance;
        out.push(i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        date::parse_iso(s).unwrap()
    }

    #[test]
    fn open_promises_together_pay_at_most_what_is_open() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let within = |amount, promised, ids: &[i64]| {
            promises_within_open(d(amount), d(promised), ids, d("1000"), "USD")
        };
        assert_eq!(within("1000", "0", &[]), Ok(()));
        assert_eq!(within("400", "600", &[1]), Ok(()));
        assert_eq!(
            within("400.01", "600", &[1]),
            Err(
                "the customer's open promises (1) already come to 600.00 USD of the 1,000.00 \
                 USD it has open, so at most 400.00 USD more can be promised, not 400.01 USD: \
                 void one that no longer stands with `owed void-promise N` first"
                    .into()
            )
        );
        let many: Vec<i64> = (1..=8).collect();
        assert_eq!(
            within("1", "1200", &many),
            Err(
                "the customer's open promises (1, 2, 3, 4, 5 and 3 more) already come to \
                 1,200.00 USD of the 1,000.00 USD it has open, so nothing more can be promised: \
                 void one that no longer stands with `owed void-promise N` first"
                    .into()
            )
        );
    }

    #[test]
    fn a_promise_pays_at_most_what_is_open() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let within = |amount, open, on, cur| promise_within_open(d(amount), d(open), on, cur);
        assert_eq!(within("900", "900", true, "USD"), Ok(()));
        assert_eq!(within("0.01", "900", false, "EUR"), Ok(()));
        assert_eq!(
            within("9000", "900", true, "USD"),
            Err(
                "the promise of 9,000.00 USD is more than the 900.00 USD open on its documents"
                    .into()
            )
        );
        assert_eq!(
            within("1", "0", false, "JPY"),
            Err("the promise of 1 JPY is more than the 0 JPY the customer has open".into())
        );
    }

    #[test]
    fn a_dispute_is_of_at_most_what_its_documents_amount_to() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            dispute_within_documents(d("1000"), d("1000"), "EUR"),
            Ok(())
        );
        assert_eq!(
            dispute_within_documents(d("10000"), d("1000"), "EUR"),
            Err(
                "the dispute of 10,000.00 EUR is more than its documents' 1,000.00 EUR in all"
                    .into()
            )
        );
    }

    #[test]
    fn amounts_must_be_positive_plain_numbers() {
        assert_eq!(amount(" 1250.5 "), Ok("1250.5".parse().unwrap()));
        assert_eq!(
            amount("-5"),
            Err("the amount must be more than zero, got `-5`".into())
        );
        assert_eq!(
            amount("0"),
            Err("the amount must be more than zero, got `0`".into())
        );
        assert_eq!(
            amount("1,000"),
            Err("the amount `1,000` is not a number".into())
        );
        assert_eq!(
            amount("1.00001"),
            Err("the amount `1.00001` has more than 4 decimal places".into())
        );
        assert_eq!(amount(""), Err("the amount is missing".into()));
    }

    #[test]
    fn dates_accept_relative_forms_and_refuse_the_past_where_asked() {
        let today = d("2026-04-01"); // a Wednesday
        assert_eq!(
            date_field("promise date", "+7d", today),
            Ok(d("2026-04-08"))
        );
        assert_eq!(
            date_field("promise date", "fri", today),
            Ok(d("2026-04-03"))
        );
        assert_eq!(
            date_field("promise date", "2026-02-30", today),
            Err("the promise date `2026-02-30` is not a date: February has 28 days".into())
        );
        assert_eq!(future_date("promise date", "today", today), Ok(today));
        assert_eq!(
            future_date("promise date", "2026-03-31", today),
            Err("the promise date 2026-03-31 is before today (2026-04-01)".into())
        );
        // Two years ahead at most: a slip of the year or of the unit is caught.
        assert_eq!(
            future_date("promise date", "2028-04-01", today),
            Ok(d("2028-04-01"))
        );
        assert_eq!(
            future_date("follow-up date", "+300000w", today),
            Err(
                "the follow-up date 7775-11-08 is more than 2 years after today (2026-04-01): \
                 check the year"
                    .into()
            )
        );
        assert!(future_date("promise date", "2028-04-02", today).is_err());
        // A hold is held to the same horizon, and a past day refused as a follow-up's is:
        // `release` ends a hold.
        assert_eq!(
            hold_until("2026-03-01", today),
            Err(
                "the hold's last day 2026-03-01 is before today (2026-04-01): give a day from \
                 today on, or `release` to end the hold"
                    .into()
            )
        );
        assert_eq!(hold_until(" Release ", today), Ok(None));
        assert_eq!(hold_until("today", today), Ok(Some(today)));
        assert_eq!(hold_until("+7d", today), Ok(Some(d("2026-04-08"))));
        assert_eq!(hold_until("2028-04-01", today), Ok(Some(d("2028-04-01"))));
        assert_eq!(
            hold_until("2099-01-01", today),
            Err(
                "the hold's last day 2099-01-01 is more than 2 years after today (2026-04-01): \
                 check the year"
                    .into()
            )
        );
        assert_eq!(
            hold_until("+7d", d("9000-12-31")),
            Err(
                "the hold's last day: 9001-01-07 is outside the dates owed computes with \
                 (1900-01-01 to 9000-12-31)"
                    .into()
            )
        );
    }

    #[test]
    fn reasons_come_from_the_config() {
        let reasons = vec!["pricing".to_string(), "quality".to_string()];
        assert_eq!(reason("Pricing", &reasons), Ok("pricing".into()));
        let accented = vec!["Qualité".to_string()];
        assert_eq!(reason("QUALITÉ", &accented), Ok("Qualité".into()));
        assert_eq!(
            reason("weather", &reasons),
            Err("`weather` is not a dispute reason (one of pricing, quality)".into())
        );
    }

    #[test]
    fn a_partial_dispute_covers_the_oldest_overdue_documents_first() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // Oldest due first: two overdue, then one not due yet, then one more overdue.
        let docs = [
            (d("500"), true),
            (d("700"), true),
            (d("2000"), false),
            (d("73423.88"), true),
        ];
        assert_eq!(covering(&docs, d("1200")), vec![0, 1]);
        assert_eq!(covering(&docs, d("1200.01")), vec![0, 1, 3]);
        assert_eq!(covering(&docs, d("300")), vec![0]);
        // More than everything overdue: the documents not due yet follow.
        assert_eq!(covering(&docs, d("80000")), vec![0, 1, 3, 2]);
        assert_eq!(covering(&[], d("10")), Vec::<usize>::new());
    }

    #[test]
    fn documents_must_exist_and_belong_to_the_customer() {
        let mine = |did| {
            Some(DocumentOwner {
                did,
                customer_id: "K1".into(),
                kind: DocumentKind::Invoice,
                label: "INV-1".into(),
                doc_date: d("2026-03-01"),
            })
        };
        let named = vec!["A1".to_string(), "A3".to_string(), "A1".to_string()];
        assert_eq!(
            documents("K1", &named, &[mine(1), mine(3), mine(1)], d("2026-04-01")),
            Ok(vec![1, 3])
        );
        assert_eq!(
            documents("K1", &named, &[mine(1), None, mine(1)], d("2026-04-01")),
            Err("document `A3` does not exist".into())
        );
        let theirs = Some(DocumentOwner {
            did: 9,
            customer_id: "K2".into(),
            kind: DocumentKind::Invoice,
            label: "INV-9".into(),
            doc_date: d("2026-03-01"),
        });
        assert_eq!(
            documents("K1", &named[..1], &[theirs], d("2026-04-01")),
            Err("document `A1` belongs to customer `K2`, not `K1`".into())
        );
        let credit = Some(DocumentOwner {
            did: 2,
            customer_id: "K1".into(),
            kind: DocumentKind::CreditNote,
            label: "CN-2".into(),
            doc_date: d("2026-03-01"),
        });
        assert!(documents("K1", &named[..1], &[credit], d("2026-04-01")).is_err());
        // Dated after the day the action is taken: not there yet.
        assert_eq!(
            documents("K1", &named[..1], &[mine(1)], d("2026-02-28")),
            Err("document `A1` is dated 2026-03-01, after today (2026-02-28): it does not exist yet".into())
        );
        assert_eq!(in_minor_units(Decimal::new(1025, 2), "USD"), Ok(()));
        assert_eq!(
            in_minor_units(Decimal::new(1, 4), "USD"),
            Err("the amount 0.0001 has more decimals than USD has (2)".into())
        );
        assert_eq!(
            in_minor_units(Decimal::new(1005, 1), "JPY"),
            Err("the amount 100.5 has more decimals than JPY has (none)".into())
        );
    }

    #[test]
    fn state_changes_need_the_right_state() {
        assert_eq!(can_resolve(4, Some(IssueState::Open)), Ok(()));
        assert_eq!(
            can_resolve(4, Some(IssueState::Resolved)),
            Err("issue 4 is already resolved".into())
        );
        assert_eq!(can_resolve(4, None), Err("issue 4 does not exist".into()));
        assert_eq!(can_reopen(4, Some(IssueState::Resolved)), Ok(()));
        assert!(can_reopen(4, Some(IssueState::Open)).is_err());
        assert_eq!(
            can_void(7, Some(true)),
            Err("promise 7 is already voided".into())
        );
        assert_eq!(
            can_complete(2, None),
            Err("follow-up 2 does not exist".into())
        );
    }

    #[test]
    fn record_ids_and_stamps() {
        assert_eq!(record_id("issue", "#12"), Ok(12));
        assert_eq!(
            record_id("issue", "twelve"),
            Err("`twelve` is not a valid issue number".into())
        );
        let now = DateTime::parse_from_rfc3339("2026-04-01T09:30:00.123+02:00")
            .unwrap()
            .with_timezone(&Utc);
        let stamp = Stamp::new(" alice ", now, d("2026-04-01")).unwrap();
        assert_eq!(stamp.at, "2026-04-01T07:30:00Z");
        assert_eq!(stamp.collector, "alice");
        assert_eq!(stamp.role, Role::Manager);
        assert!(Stamp::new(" ", now, d("2026-04-01")).is_err());
        let carol = Actor::new("carol", Role::Auditor);
        let stamp = Stamp::for_actor(&carol, now, d("2026-04-01")).unwrap();
        assert_eq!(stamp.actor(), carol);
    }

    /// A write is dated today or earlier (back-dated); after today it is refused, naming both
    /// dates and what to do where the date was chosen.
    #[test]
    fn writes_are_dated_today_or_earlier() {
        let today = d("2026-12-07");
        for from in [AsOfFrom::CommandLine, AsOfFrom::Workstation] {
            assert_eq!(dated_by_today(today, today, from), Ok(()));
            assert_eq!(dated_by_today(d("2026-12-01"), today, from), Ok(()));
        }
        assert_eq!(
            dated_by_today(d("2027-06-01"), today, AsOfFrom::CommandLine),
            Err(
                "this write is dated 2027-06-01, after today (2026-12-07): writes are dated \
                 today or earlier; drop --as-of or give a date up to today"
                    .into()
            )
        );
        assert_eq!(
            dated_by_today(d("2026-12-08"), today, AsOfFrom::Workstation),
            Err(
                "this write is dated 2026-12-08, after today (2026-12-07): writes are dated \
                 today or earlier; `:asof today` goes back to today, or `:asof` a date up to \
                 today"
                    .into()
            )
        );
        assert_eq!(back_dated(d("2026-12-01")), "back-dated to 2026-12-01");
    }
}

/// How a dispute or deduction ended (`owed resolve ID --outcome …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The customer was right: a credit is due from billing.
    Valid,
    /// The customer was wrong: they are chased for the gap.
    Invalid,
    /// Neither: the amount is written off (a manager's decision).
    WrittenOff,
}

impl Outcome {
    /// Every outcome, in the order they are listed.
    pub const ALL: [Outcome; 3] = [Outcome::Valid, Outcome::Invalid, Outcome::WrittenOff];

    /// As stored and written on the command line: `valid`, `invalid`, `written_off`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Valid => "valid",
            Outcome::Invalid => "invalid",
            Outcome::WrittenOff => "written_off",
        }
    }

    /// What it means, for a form's hint and the timeline: `written off`.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Valid => "valid",
            Outcome::Invalid => "invalid",
            Outcome::WrittenOff => "written off",
        }
    }

    /// What it leads to, in a few words (`a credit is due from billing`).
    pub fn meaning(self) -> &'static str {
        match self {
            Outcome::Valid => "the customer was right: a credit is due from billing",
            Outcome::Invalid => "the customer was wrong: they are chased for the gap",
            Outcome::WrittenOff => "the amount is written off (a manager's decision)",
        }
    }

    /// Reads an outcome as typed.
    pub fn parse(text: &str) -> Result<Outcome, String> {
        let t = text.trim();
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == t)
            .ok_or_else(|| {
                format!(
                    "unknown outcome {}: use valid, invalid or written_off",
                    crate::error::quoted(t)
                )
            })
    }
}
