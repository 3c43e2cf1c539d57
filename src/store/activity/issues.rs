//! Issues / disputes with their state, and the documents they take out of dunning.
//!
//! An issue is open from the day it was opened until a resolve; a reopen opens it again. As of
//! a date D, the latest resolve / reopen recorded with a date on or before D decides. A
//! document linked to an issue open at D is *disputed* at D. An issue's amount is in its
//! customer's currency, converted to the base currency at the rate of the day it was opened.

use crate::Result;
use crate::domain::action_checks::{IssueEventKind, IssueState};
use crate::domain::date::{day_number, from_day_number};
use crate::domain::document::NamedDocument;
use crate::domain::{Date, Decimal, money};
use crate::store::Activity;
use crate::store::ledger::rates::RateCache;
use crate::store::queue::{IssueReason, OPEN_ISSUE};
use crate::store::{DOCUMENT_ORDER, Store};
use rusqlite::params;
use rusqlite::types::Value;
use std::collections::{HashMap, HashSet};

/// An issue as recorded, with its state as of a date.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueView {
    pub id: i64,
    pub cid: i64,
    pub at: String,
    pub collector: String,
    pub reason: String,
    /// In `currency`, the customer's.
    pub amount: Decimal,
    pub currency: String,
    pub opened: Date,
    pub text: Option<String>,
    /// The documents it names.
    pub documents: Vec<NamedDocument>,
    /// Resolves and reopens, oldest first.
    pub events: Vec<IssueEvent>,
    /// As of the date asked for.
    pub state: IssueState,
}

impl IssueView {
    /// The latest resolve event that still stands (the issue is resolved), if any.
    pub fn resolution(&self) -> Option<&IssueEvent> {
        match self.state {
            IssueState::Resolved => self
                .events
                .iter()
                .rev()
                .find(|e| e.kind == IssueEventKind::Resolve),
            IssueState::Open => None,
        }
    }

    /// `amount` in the base currency at the rate of the day the issue was opened.
    pub fn base_amount(&self, rates: &mut RateCache) -> Result<Decimal> {
        let rate = rates.rate(&self.currency, day_number(self.opened))?;
        Ok(money::round_to_currency(self.amount * rate, rates.base()))
    }
}

/// An issue event's kind read from the `kind` column; another spelling there is an error.
impl rusqlite::types::FromSql for IssueEventKind {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        crate::store::kind_column(value, IssueEventKind::parse, "issue event")
    }
}

/// A resolve or a reopen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueEvent {
    pub id: i64,
    pub kind: IssueEventKind,
    pub at: String,
    pub collector: String,
    pub date: Date,
    pub text: Option<String>,
    /// A resolve's outcome: `valid`, `invalid` or `written_off` (none: resolved without one).
    pub outcome: Option<String>,
}

/// The reason of the issues a short payment opens: deductions.
pub const DEDUCTION_REASON: &str = "short_payment";

/// The SQL condition "issue `i` is open at day ?1": opened by then, and its latest resolve /
/// reopen dated by then (by date, then as recorded; none: open) is a reopen.
pub(crate) const OPEN_AT: &str = "i.opened_date <= ?1
    AND ifnull((SELECT e.kind FROM issue_events e
                 WHERE e.issue_id = i.id AND e.event_date <= ?1
                 ORDER BY e.event_date DESC, e.id DESC LIMIT 1), 'reopen') = 'reopen'";

/// The SQL condition "issue `i` holds its documents out of dunning at day ?1": open (as
/// [`OPEN_AT`]), or resolved with the outcome `valid` (billing owes a credit) or
/// `written_off`: what billing is to settle is not chased meanwhile. Once billing settles it
/// the document has no balance left and nothing chases it anyway; a reopen, or a resolve
/// `invalid` or without an outcome, lets it be chased again.
pub(crate) const HOLDS_AT: &str = "i.opened_date <= ?1
    AND ifnull((SELECT CASE WHEN e.kind = 'resolve' AND e.outcome IN ('valid', 'written_off')
                            THEN 'held' ELSE e.kind END
                 FROM issue_events e
                 WHERE e.issue_id = i.id AND e.event_date <= ?1
                 ORDER BY e.event_date DESC, e.id DESC LIMIT 1), 'reopen') IN ('reopen', 'held')";

/// The SQL condition on issue `i` for one customer (`?2`) or all (`?2` null): one customer's
/// through its index, as `?2 IS NULL OR i.cid = ?2` would scan every issue.
fn of_customer(cid: Option<i64>) -> &'static str {
    match cid {
        Some(_) => "i.cid = ?2",
        None => "?2 IS NULL",
    }
}

/// An issue open at a date, with its amount in the base currency.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenIssueBase {
    pub cid: i64,
    pub reason: String,
    pub amount: Decimal,
}

/// Σ the deductions among open issues (reason [`DEDUCTION_REASON`]).
pub fn deductions(issues: &[OpenIssueBase]) -> Decimal {
    issues
        .iter()
        .filter(|i| i.reason == DEDUCTION_REASON)
        .map(|i| i.amount)
        .sum()
}

/// Open issues grouped by reason (count, amount in the base currency), largest amount first.
pub fn by_reason(issues: &[OpenIssueBase]) -> Vec<crate::domain::queue::IssueReason> {
    let mut out: Vec<crate::domain::queue::IssueReason> = Vec::new();
    for i in issues {
        match out.iter_mut().find(|r| r.reason == i.reason) {
            Some(r) => {
                r.count += 1;
                r.amount += i.amount;
            }
            None => out.push(crate::domain::queue::IssueReason {
                reason: i.reason.clone(),
                count: 1,
                amount: i.amount,
            }),
        }
    }
    out.sort_by(|a, b| {
        b.amount
            .cmp(&a.amount)
            .then_with(|| a.reason.cmp(&b.reason))
    });
    out
}

/// A row `reason, count(*), sum(amount)` of the open issues grouped by reason.
fn issue_reason(r: &rusqlite::Row) -> rusqlite::Result<IssueReason> {
    Ok(IssueReason {
        reason: r.get(0)?,
        count: r.get::<_, i64>(1)?.unsigned_abs(),
        amount: money::from_units(r.get(2)?),
    })
}

impl<S: std::ops::Deref<Target = Store>> Activity<S> {
    /// The reasons an `issue:` filter term may name: `configured` (the config's), the
    /// deductions' ([`DEDUCTION_REASON`], which the lockbox opens) and those of every issue
    /// recorded, a reason since dropped from the config too (see
    /// [`crate::domain::queue::issue_reasons`]).
    pub fn issue_reasons(&self, configured: &[String]) -> Result<Vec<String>> {
        let recorded: Vec<String> = crate::store::rows(
            self.conn(),
            "SELECT DISTINCT reason FROM issues ORDER BY reason",
            [],
            |r| r.get(0),
        )?;
        Ok(crate::domain::queue::issue_reasons(
            configured,
            std::iter::once(DEDUCTION_REASON).chain(recorded.iter().map(String::as_str)),
        ))
    }

    /// The issues open at `as_of`, grouped by reason, largest amount first.
    pub fn open_issues_by_reason(&self, as_of: Date) -> Result<Vec<IssueReason>> {
        let sql = format!(
            "SELECT i.reason, count(*), sum(i.amount) FROM issues i WHERE {OPEN_ISSUE}
              GROUP BY i.reason ORDER BY sum(i.amount) DESC, i.reason"
        );
        crate::store::rows(self.conn(), &sql, params![day_number(as_of)], issue_reason)
    }

    /// One customer's issues open at `as_of`, by reason (as the issues chart counts them).
    pub fn open_issues_by_reason_of(&self, cid: i64, as_of: Date) -> Result<Vec<IssueReason>> {
        let sql = format!(
            "SELECT i.reason, count(*), sum(i.amount) FROM issues i
              WHERE i.cid = ?2 AND {OPEN_ISSUE} GROUP BY i.reason"
        );
        crate::store::rows(
            self.conn(),
            &sql,
            params![day_number(as_of), cid],
            issue_reason,
        )
    }

    /// Every issue of a customer with its state as of `as_of`, newest first.
    pub fn customer_issues(&self, cid: i64, as_of: Date, base: &str) -> Result<Vec<IssueView>> {
        let mut out = self.issues_where("i.cid = ?1", &[Value::Integer(cid)], as_of, base)?;
        out.sort_by_key(|x| std::cmp::Reverse(x.id));
        Ok(out)
    }

    /// Every issue open at `as_of`.
    pub fn open_issues(&self, as_of: Date, base: &str) -> Result<Vec<IssueView>> {
        let day = Value::Integer(day_number(as_of).into());
        self.issues_where(OPEN_AT, &[day], as_of, base)
    }

    /// Every issue opened on or before `as_of` whose reason is one of `reasons`, with its
    /// state then, oldest first.
    pub fn issues_with_reasons(
        &self,
        reasons: &[&str],
        as_of: Date,
        base: &str,
    ) -> Result<Vec<IssueView>> {
        if reasons.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; reasons.len()].join(", ");
        let mut args: Vec<Value> = vec![Value::Integer(day_number(as_of).into())];
        args.extend(reasons.iter().map(|r| Value::Text(r.to_string())));
        let cond = format!("i.opened_date <= ?1 AND i.reason IN ({marks})");
        let mut out = self.issues_where(&cond, &args, as_of, base)?;
        out.sort_by_key(|i| (i.opened, i.id));
        Ok(out)
    }

    /// Σ amounts of the issues open at `as_of`, in the base currency (`open_issue_amount`).
    /// The issues of [`Activity::open_issues`] without their documents and events: each
    /// amount converted at its opening date, as [`IssueView::base_amount`] does.
    pub fn open_issue_amount(&self, as_of: Date, base: &str) -> Result<Decimal> {
        Ok(self
            .open_issues_base(as_of, base, None)?
            .iter()
            .map(|i| i.amount)
            .sum())
    }

    /// Σ amounts of the deductions (issues with reason `short_payment`) open at `as_of`, in
    /// the base currency (`open_deduction_amount`): a part of [`Activity::open_issue_amount`].
    pub fn open_deduction_amount(&self, as_of: Date, base: &str) -> Result<Decimal> {
        Ok(deductions(&self.open_issues_base(as_of, base, None)?))
    }

    /// One customer's share of [`Activity::open_deduction_amount`] (what an action on it moves).
    pub fn customer_open_deduction_amount(
        &self,
        cid: i64,
        as_of: Date,
        base: &str,
    ) -> Result<Decimal> {
        Ok(deductions(&self.open_issues_base(
            as_of,
            base,
            Some(cid),
        )?))
    }

    /// Every issue open at `as_of` (of every customer, or of `only`) with its amount in the
    /// base currency, converted at the rate of the day it was opened, as
    /// [`Activity::open_issue_amount`] adds them up: what the issues by reason and the metrics
    /// of a part of the portfolio add up too.
    pub fn open_issues_base(
        &self,
        as_of: Date,
        base: &str,
        only: Option<i64>,
    ) -> Result<Vec<OpenIssueBase>> {
        let mut rates = RateCache::new(&self.store, base);
        let mut out = Vec::new();
        let one = of_customer(only);
        let sql = format!(
            "SELECT i.amount, ifnull(i.currency, c.currency), i.opened_date, i.cid, i.reason
               FROM issues i CROSS JOIN customers c ON c.cid = i.cid WHERE {OPEN_AT} AND {one}"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params![day_number(as_of), only])?;
        while let Some(r) = rows.next()? {
            let amount = money::from_units(r.get(0)?);
            let currency = r
                .get_ref(1)?
                .as_str_or_null()
                .map_err(rusqlite::Error::from)?
                .unwrap_or(base);
            let rate = rates.rate(currency, r.get(2)?)?;
            out.push(OpenIssueBase {
                cid: r.get(3)?,
                reason: r.get(4)?,
                amount: money::round_to_currency(amount * rate, base),
            });
        }
        Ok(out)
    }

    /// The documents disputed at `as_of` (linked to an issue open then): of one customer, or
    /// of all with `None`. Keys (`did`).
    pub fn disputed_documents(&self, cid: Option<i64>, as_of: Date) -> Result<HashSet<i64>> {
        self.disputed_on_day(cid, day_number(as_of))
    }

    /// The documents a reminder sent now of a plan dated `as_of` must not chase: those
    /// disputed at `as_of`, and those disputed now (an issue opened since, still open), as a
    /// run of an earlier day does not chase what was paid since.
    /// Those documents count the ones an issue resolved `valid` or `written_off` holds
    /// ([`HOLDS_AT`]) as well: billing is to settle them, and nothing chases them meanwhile.
    pub fn disputed_then_or_now(&self, cid: Option<i64>, as_of: Date) -> Result<HashSet<i64>> {
        let mut disputed = self.documents_held_on_day(cid, day_number(as_of), HOLDS_AT)?;
        // Every issue's latest state: no issue or event is dated after the last day.
        disputed.extend(self.documents_held_on_day(cid, i32::MAX, HOLDS_AT)?);
        Ok(disputed)
    }

    /// Why the documents an issue resolved `valid` or `written_off` holds at `as_of` (as
    /// [`HOLDS_AT`]) are held, of those no issue open then is on: of one customer, or of all
    /// with `None`. By key (`did`); of several such issues, the latest resolved.
    pub fn dispute_holds(
        &self,
        cid: Option<i64>,
        as_of: Date,
    ) -> Result<HashMap<i64, crate::domain::customer::DisputeHold>> {
        self.dispute_holds_on_day(cid, day_number(as_of))
    }

    /// Why the documents [`Self::disputed_then_or_now`] leaves out of a plan dated `as_of`
    /// are held, of those no issue is open on then or now: as of the plan's date, else now.
    pub fn dispute_holds_then_or_now(
        &self,
        cid: Option<i64>,
        as_of: Date,
    ) -> Result<HashMap<i64, crate::domain::customer::DisputeHold>> {
        let mut holds = self.dispute_holds_on_day(cid, i32::MAX)?;
        holds.extend(self.dispute_holds_on_day(cid, day_number(as_of))?);
        let open_now = self.disputed_on_day(cid, i32::MAX)?;
        holds.retain(|did, _| !open_now.contains(did));
        Ok(holds)
    }

    fn dispute_holds_on_day(
        &self,
        cid: Option<i64>,
        day: i32,
    ) -> Result<HashMap<i64, crate::domain::customer::DisputeHold>> {
        let which = of_customer(cid);
        // The latest resolve or reopen of each issue by then (by date, then as recorded).
        let sql = format!(
            "SELECT l.did, i.id, e.outcome, e.event_date
               FROM issues i CROSS JOIN issue_documents l ON l.issue_id = i.id
                    CROSS JOIN issue_events e
                    ON e.id = (SELECT e2.id FROM issue_events e2
                                WHERE e2.issue_id = i.id AND e2.event_date <= ?1
                                ORDER BY e2.event_date DESC, e2.id DESC LIMIT 1)
              WHERE i.opened_date <= ?1 AND {which}
                AND e.kind = 'resolve' AND e.outcome IN ('valid', 'written_off')
                AND NOT EXISTS (SELECT 1 FROM issue_documents x
                                  CROSS JOIN issues i ON i.id = x.issue_id
                                 WHERE x.did = l.did AND {OPEN_AT})
              ORDER BY e.event_date, e.id"
        );
        let rows: Vec<(i64, crate::domain::customer::DisputeHold)> =
            crate::store::rows(self.conn(), &sql, rusqlite::params![day, cid], |r| {
                Ok((
                    r.get(0)?,
                    crate::domain::customer::DisputeHold {
                        issue: r.get(1)?,
                        outcome: r.get(2)?,
                        resolved: from_day_number(r.get(3)?),
                    },
                ))
            })?;
        // The latest resolved last: it stays.
        Ok(rows.into_iter().collect())
    }

    fn disputed_on_day(&self, cid: Option<i64>, day: i32) -> Result<HashSet<i64>> {
        self.documents_held_on_day(cid, day, OPEN_AT)
    }

    /// The documents linked to an issue that meets `held` (SQL of `i`, day ?1) at `day`.
    fn documents_held_on_day(
        &self,
        cid: Option<i64>,
        day: i32,
        held: &str,
    ) -> Result<HashSet<i64>> {
        let which = of_customer(cid);
        let sql = format!(
            "SELECT DISTINCT l.did FROM issues i CROSS JOIN issue_documents l ON l.issue_id = i.id
              WHERE {held} AND {which}"
        );
        crate::store::rows(self.conn(), &sql, rusqlite::params![day, cid], |r| r.get(0))
    }

    /// Whether one document is disputed at `as_of`.
    pub fn is_document_disputed(&self, did: i64, as_of: Date) -> Result<bool> {
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM issue_documents l CROSS JOIN issues i ON i.id = l.issue_id
                             WHERE l.did = ?2 AND {OPEN_AT})"
        );
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row(rusqlite::params![day_number(as_of), did], |r| r.get(0))?)
    }

    fn issues_where(
        &self,
        cond: &str,
        args: &[Value],
        as_of: Date,
        base: &str,
    ) -> Result<Vec<IssueView>> {
        let sql = format!(
            "SELECT i.id, i.cid, i.at, i.collector, i.reason, i.amount,
                    ifnull(i.currency, c.currency), i.opened_date,
                    i.text
               FROM issues i CROSS JOIN customers c ON c.cid = i.cid WHERE {cond}"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
            Ok(IssueView {
                id: r.get(0)?,
                cid: r.get(1)?,
                at: r.get(2)?,
                collector: r.get(3)?,
                reason: r.get(4)?,
                amount: money::from_units(r.get(5)?),
                currency: r
                    .get::<_, Option<String>>(6)?
                    .unwrap_or_else(|| base.to_string()),
                opened: from_day_number(r.get(7)?),
                text: r.get(8)?,
                documents: Vec::new(),
                events: Vec::new(),
                state: IssueState::Open,
            })
        })?;
        let mut issues: Vec<IssueView> = rows.collect::<rusqlite::Result<_>>()?;
        if issues.is_empty() {
            return Ok(issues);
        }
        let index: HashMap<i64, usize> =
            issues.iter().enumerate().map(|(i, x)| (x.id, i)).collect();

        let sql = format!(
            "SELECT l.issue_id, d.did, d.id, d.number FROM issues i
               CROSS JOIN issue_documents l ON l.issue_id = i.id CROSS JOIN documents d ON d.did = l.did
              WHERE {cond} ORDER BY l.issue_id, ifnull(d.due_date, d.doc_date), {DOCUMENT_ORDER}"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
                issues[i].documents.push(NamedDocument {
                    did: r.get(1)?,
                    id: r.get(2)?,
                    number: r.get(3)?,
                });
            }
        }

        let sql = format!(
            "SELECT e.issue_id, e.id, e.kind, e.at, e.collector, e.event_date, e.text, e.outcome
               FROM issues i CROSS JOIN issue_events e ON e.issue_id = i.id
              WHERE {cond} ORDER BY e.issue_id, e.event_date, e.id"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
                issues[i].events.push(IssueEvent {
                    id: r.get(1)?,
                    kind: r.get(2)?,
                    at: r.get(3)?,
                    collector: r.get(4)?,
                    date: from_day_number(r.get(5)?),
                    text: r.get(6)?,
                    outcome: r.get(7)?,
                });
            }
        }
        for issue in &mut issues {
            issue.state = state_at(&issue.events, as_of);
        }
        Ok(issues)
    }
}

/// The state at `as_of`: the latest event dated on or before it (by date, then as recorded:
/// `events` come in that order) decides; none: open.
fn state_at(events: &[IssueEvent], as_of: Date) -> IssueState {
    match events.iter().rev().find(|e| e.date <= as_of) {
        Some(e) if e.kind == IssueEventKind::Resolve => IssueState::Resolved,
        _ => IssueState::Open,
    }
}
