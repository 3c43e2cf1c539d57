//! The queue's row of one customer, refreshed after a save.
//!
//! After a collector saves an action, the workstation does not recompute the whole queue: it
//! recomputes the one customer's row of the TEMP `queue` table (last contact and last call,
//! promise flag, follow-ups due, open issues, unread replies, finance owner) and hands back
//! the tabs the row was in before and after, so the tab counts can be corrected by the
//! difference. Reading a customer's replies clears its row's unread count the same way.

use super::Queue;
use super::filter_sql::where_clause;
use super::tab_counts::UnfilteredCounts;
use crate::Result;
use crate::domain::Date;
use crate::domain::queue::{QueueQuery, Tab};
use crate::store::Store;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params, params_from_iter};

/// One row of the queue before and after a refresh: its finance owner and its tabs (1 or 0
/// per tab, in the order of [`Tab::ALL`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowChange {
    pub old_owner: Option<String>,
    pub old_tabs: [u64; Tab::COUNT],
    pub new_owner: Option<String>,
    pub new_tabs: [u64; Tab::COUNT],
}

impl RowChange {
    /// Whether the row moved between tabs or owners.
    pub fn moved(&self) -> bool {
        self.old_tabs != self.new_tabs || self.owner_changed()
    }

    /// Whether the customer has another finance owner.
    pub fn owner_changed(&self) -> bool {
        !same_owner(self.old_owner.as_deref(), self.new_owner.as_deref())
    }

    /// Moves tab counts of rows the row was and still is among from its old tabs to its new.
    pub fn shift(&self, counts: &mut [u64; Tab::COUNT]) {
        shift(counts, self.old_tabs, false);
        shift(counts, self.new_tabs, true);
    }
}

fn shift(counts: &mut [u64; Tab::COUNT], tabs: [u64; Tab::COUNT], add: bool) {
    for (total, n) in counts.iter_mut().zip(tabs) {
        *total = if add {
            *total + n
        } else {
            total.saturating_sub(n)
        };
    }
}

fn same_owner(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => crate::domain::text::same_person(a, b),
        (None, None) => true,
        _ => false,
    }
}

impl UnfilteredCounts {
    /// Corrects the counts for a row that changed tabs or owner.
    pub fn apply(&mut self, change: &RowChange) {
        let mut move_row = |owner: Option<&str>, tabs: [u64; Tab::COUNT], add: bool| {
            shift(&mut self.everyone, tabs, add);
            if let Some(owner) = owner {
                let slot = self
                    .by_owner
                    .entry(crate::domain::text::person_key(owner))
                    .or_default();
                shift(slot, tabs, add);
            }
        };
        move_row(change.old_owner.as_deref(), change.old_tabs, false);
        move_row(change.new_owner.as_deref(), change.new_tabs, true);
        // An owner left with no customer is no owner: "mine" falls back to everyone's.
        self.by_owner.retain(|_, tabs| tabs[Tab::All.index()] > 0);
    }
}

impl<S: std::ops::Deref<Target = Store>> Queue<S> {
    /// Recomputes one customer's row of the queue table as of `as_of` (the date the table was
    /// built for) after an action; `None` when the table has no such row.
    pub fn refresh_row(&self, cid: i64, as_of: Date, grace_days: u32) -> Result<Option<RowChange>> {
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        let old = self
            .conn()
            .prepare_cached(
                "SELECT finance_owner, overdue, promise, followups_due, open_issues,
                        unread_replies, risk
                   FROM temp.queue WHERE cid = ?1",
            )?
            .query_row([cid], |r| {
                let owner: Option<String> = r.get(0)?;
                let overdue: i64 = r.get(1)?;
                let activity = super::activity::RowActivity {
                    last_contact: None,
                    last_call: None,
                    promise: super::PromiseFlag::from_code(r.get(2)?),
                    followups_due: count(r.get(3)?),
                    open_issues: count(r.get(4)?),
                    unread_replies: count(r.get(5)?),
                    unverified_replies: 0,
                };
                let high_risk = r.get::<_, i64>(6)?
                    == super::risk::risk_code(Some(crate::domain::forecast::RiskLevel::High));
                Ok((owner, overdue, activity, high_risk))
            })
            .optional()?;
        let Some((old_owner, overdue, old_activity, high_risk)) = old else {
            return Ok(None);
        };
        let new = self
            .customer_activity(as_of, grace_days, Some(cid))?
            .remove(&cid)
            .unwrap_or_default();
        let owner: Option<String> = self
            .conn()
            .prepare_cached("SELECT finance_owner FROM main.customers WHERE cid = ?1")?
            .query_row([cid], |r| r.get(0))
            .optional()?
            .flatten();
        self.conn()
            .prepare_cached(
                "UPDATE temp.queue SET finance_owner = ?2, last_contact = ?3, promise = ?4,
                        followups_due = ?5, open_issues = ?6, unread_replies = ?7,
                        unverified_replies = ?8, last_call = ?9, call_days = ?10
                  WHERE cid = ?1",
            )?
            .execute(params![
                cid,
                owner,
                new.last_contact,
                new.promise.code(),
                new.followups_due,
                new.open_issues,
                new.unread_replies,
                new.unverified_replies,
                new.last_call.map(|(d, _)| d),
                new.last_call.map(|(_, n)| n)
            ])?;
        // The risk stays (the forecast rewrites it), but moves with the owner.
        let tabs = |a: &super::activity::RowActivity| {
            let mut tabs = a.tabs(overdue > 0);
            tabs[Tab::HighRisk.index()] = u64::from(high_risk);
            tabs
        };
        Ok(Some(RowChange {
            old_owner,
            old_tabs: tabs(&old_activity),
            new_owner: owner,
            new_tabs: tabs(&new),
        }))
    }

    /// Whether customer `cid`'s row is among those `query`'s scope and filter select (its tab
    /// and order do not matter); `mine_fallback` as the query's counts say.
    pub fn row_matches(&self, cid: i64, query: &QueueQuery, mine_fallback: bool) -> Result<bool> {
        let (filter_sql, mut values) = where_clause(query, mine_fallback);
        values.push(Value::Integer(cid));
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM temp.queue WHERE cid = ?{} AND {filter_sql})",
            values.len()
        );
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row(params_from_iter(values.iter()), |r| r.get(0))?)
    }

    /// Counts a customer's unread replies in the queue summary again (after
    /// [`Engagement::mark_replies_read`](crate::store::engage::Engagement::mark_replies_read),
    /// which may leave replies received after a back-dated session's date unread), those
    /// received by `as_of`, the queue's date. Returns `Some(owner)` when it had unread replies
    /// and has none now: it left the Replies tab (the caller adjusts its tab counts).
    pub fn replies_read(&self, cid: i64, as_of: Date) -> Result<Option<Option<String>>> {
        let left: Option<(Option<String>, i64)> = self
            .conn()
            .prepare_cached(
                "UPDATE temp.queue
                    SET (unread_replies, unverified_replies) = (
                        SELECT count(*), coalesce(sum(r.verified = 0), 0) FROM replies r
                         WHERE r.cid = ?1 AND r.read_at IS NULL AND r.received_date <= ?2)
                  WHERE cid = ?1 AND unread_replies > 0
                 RETURNING finance_owner, unread_replies",
            )?
            .query_row(params![cid, crate::domain::date::day_number(as_of)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        Ok(left.and_then(|(owner, unread)| (unread == 0).then_some(owner)))
    }
}
