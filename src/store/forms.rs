//! What the workstation's action forms read, and what saving one refreshes.
//!
//! After a collector saves an action, the workstation does not recompute the whole queue: it
//! recomputes the one customer's row of the TEMP `queue` table (last contact, promise flag,
//! follow-ups due, open issues, unread replies, finance owner) and hands back the tabs the row was in before
//! and after, so the tab counts can be corrected by the difference.

use super::Store;
use super::queue::{IssueReason, OPEN_ISSUE, UnfilteredCounts};
use crate::Result;
use crate::domain::date::day_number;
use crate::domain::queue::Tab;
use crate::domain::{Date, money};
use rusqlite::{OptionalExtension, params};

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
        self.old_tabs != self.new_tabs
            || !same_owner(self.old_owner.as_deref(), self.new_owner.as_deref())
    }
}

fn same_owner(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

impl UnfilteredCounts {
    /// Corrects the counts for a row that changed tabs or owner.
    pub fn apply(&mut self, change: &RowChange) {
        let mut shift = |owner: Option<&str>, tabs: [u64; Tab::COUNT], add: bool| {
            let mut slots: Vec<&mut [u64; Tab::COUNT]> = vec![&mut self.everyone];
            if let Some(owner) = owner {
                slots.push(self.by_owner.entry(owner.to_ascii_lowercase()).or_default());
            }
            for slot in slots {
                for (total, n) in slot.iter_mut().zip(tabs) {
                    *total = if add {
                        *total + n
                    } else {
                        total.saturating_sub(n)
                    };
                }
            }
        };
        shift(change.old_owner.as_deref(), change.old_tabs, false);
        shift(change.new_owner.as_deref(), change.new_tabs, true);
        // An owner left with no customer is no owner: "mine" falls back to everyone's.
        self.by_owner.retain(|_, tabs| tabs[Tab::All.index()] > 0);
    }
}

impl Store {
    /// Recomputes one customer's row of the queue table as of `as_of` (the date the table was
    /// built for) after an action; `None` when the table has no such row.
    pub fn refresh_queue_row(
        &self,
        cid: i64,
        as_of: Date,
        grace_days: u32,
    ) -> Result<Option<RowChange>> {
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
                let activity = super::queue::Activity {
                    last_contact: None,
                    promise: super::queue::PromiseFlag::from_code(r.get(2)?),
                    followups_due: count(r.get(3)?),
                    open_issues: count(r.get(4)?),
                    unread_replies: count(r.get(5)?),
                };
                let high_risk = r.get::<_, i64>(6)?
                    == super::queue_risk::risk_code(Some(crate::domain::forecast::RiskLevel::High));
                Ok((owner, overdue, activity, high_risk))
            })
            .optional()?;
        let Some((old_owner, overdue, old_activity, high_risk)) = old else {
            return Ok(None);
        };
        let new = self
            .queue_activity(as_of, grace_days, Some(cid))?
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
                        followups_due = ?5, open_issues = ?6, unread_replies = ?7
                  WHERE cid = ?1",
            )?
            .execute(params![
                cid,
                owner,
                new.last_contact,
                new.promise.code(),
                new.followups_due,
                new.open_issues,
                new.unread_replies
            ])?;
        // The risk stays (the forecast rewrites it), but moves with the owner.
        let tabs = |a: &super::queue::Activity| {
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

    /// One customer's issues open at `as_of`, by reason (as the issues chart counts them).
    pub fn open_issues_by_reason_of(&self, cid: i64, as_of: Date) -> Result<Vec<IssueReason>> {
        let sql = format!(
            "SELECT i.reason, count(*), sum(i.amount) FROM issues i
              WHERE i.cid = ?2 AND {OPEN_ISSUE} GROUP BY i.reason"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![day_number(as_of), cid], |r| {
            Ok(IssueReason {
                reason: r.get(0)?,
                count: r.get::<_, i64>(1)?.unsigned_abs(),
                amount: money::from_units(r.get(2)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The names of every finance and sales owner, sorted without regard to case: what the
    /// assign form completes.
    pub fn owner_names(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT finance_owner FROM customers WHERE finance_owner IS NOT NULL
             UNION SELECT sales_owner FROM customers WHERE sales_owner IS NOT NULL",
        )?;
        let mut names: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        names.sort_by_key(|n| n.to_lowercase());
        names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        Ok(names)
    }
}
