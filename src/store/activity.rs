//! The collectors' activity log: totals that feed the metrics.

use super::Store;
use crate::Result;
use crate::domain::date::day_number;
use crate::domain::{Date, Decimal, money};
use rusqlite::params;

impl Store {
    /// Sum of the amounts of issues open at `as_of`: opened on or before it and not resolved
    /// by then (the latest resolve / reopen event on or before `as_of` decides).
    pub fn open_issue_amount(&self, as_of: Date) -> Result<Decimal> {
        let units: i64 = self.conn().query_row(
            "SELECT ifnull(sum(i.amount), 0) FROM issues i
              WHERE i.opened_date <= ?1
                AND ifnull((SELECT e.kind FROM issue_events e
                             WHERE e.issue_id = i.id AND e.event_date <= ?1
                             ORDER BY e.id DESC LIMIT 1), 'reopen') = 'reopen'",
            params![day_number(as_of)],
            |r| r.get(0),
        )?;
        Ok(money::from_units(units))
    }

    /// Sum of the amounts of promises not voided whose date (plus grace) has not passed at
    /// `as_of`.
    pub fn open_promise_amount(&self, as_of: Date, grace_days: u32) -> Result<Decimal> {
        let units: i64 = self.conn().query_row(
            "SELECT ifnull(sum(p.amount), 0) FROM promises p
              WHERE p.recorded_date <= ?1 AND p.promised_date + ?2 >= ?1
                AND NOT EXISTS (SELECT 1 FROM promise_voids v WHERE v.promise_id = p.id)",
            params![day_number(as_of), grace_days],
            |r| r.get(0),
        )?;
        Ok(money::from_units(units))
    }
}
