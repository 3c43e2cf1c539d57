//! The forecast's risk in the queue's TEMP table: the workstation computes the forecast after
//! the figures (it reads the whole history); a table built while a forecast of its date is
//! installed gets each customer's risk level and score with its row ([`Queue::rebuild`]),
//! and a forecast that arrives later writes what changed ([`Queue::update_risks`], a slice
//! at a time so that keys pressed meanwhile wait for one slice, not for all), so the High
//! risk tab and the risk order are paged in SQL like the others.

use super::Queue;
use super::mirror::QueueMirror;
use super::tab_counts::UnfilteredCounts;
use crate::Result;
use crate::domain::forecast::RiskLevel;
use crate::domain::queue::Tab;
use crate::store::Store;
use rusqlite::params;
use std::collections::HashMap;

/// One customer's risk as the queue stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueRisk {
    pub cid: i64,
    /// `None`: no risk (none computed, or no documents).
    pub level: Option<RiskLevel>,
    /// 0 to 100 (the risk order).
    pub score: u32,
}

impl QueueRisk {
    /// Customer `cid`'s risk in the queue, a work list: a customer with no open document
    /// (nothing to collect) has none there, so the High risk tab holds only customers to
    /// work; their detail still says how they pay.
    pub fn of(cid: i64, risk: &crate::domain::forecast::Risk, open: bool) -> QueueRisk {
        QueueRisk {
            cid,
            level: open.then_some(risk.level),
            score: if open { risk.score } else { 0 },
        }
    }
}

/// What must be written to a queue table holding `old` for it to hold `new` (both sorted by
/// `cid`): the customers whose risk differs, and those `old` rated and `new` does not (back to
/// no risk).
pub fn risk_changes(old: &[QueueRisk], new: &[QueueRisk]) -> Vec<QueueRisk> {
    debug_assert!(old.is_sorted_by_key(|r| r.cid) && new.is_sorted_by_key(|r| r.cid));
    let none = |cid| QueueRisk {
        cid,
        level: None,
        score: 0,
    };
    let mut changes = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) if o.cid == n.cid => {
                if o != n {
                    changes.push(*n);
                }
                i += 1;
                j += 1;
            }
            (Some(o), Some(n)) if o.cid < n.cid => {
                changes.push(none(o.cid));
                i += 1;
            }
            (Some(o), None) => {
                changes.push(none(o.cid));
                i += 1;
            }
            (_, Some(n)) => {
                changes.push(*n);
                j += 1;
            }
            (None, None) => unreachable!("the loop stops when both are done"),
        }
    }
    changes
}

/// The code of a high risk (the High risk tab's rows: `risk = 3` in SQL).
pub(crate) const HIGH: i64 = 3;

/// The `risk` column's code: 0 not computed (or no documents), 1 low, 2 medium, 3 high.
pub fn risk_code(level: Option<RiskLevel>) -> i64 {
    match level {
        None => 0,
        Some(RiskLevel::Low) => 1,
        Some(RiskLevel::Medium) => 2,
        Some(RiskLevel::High) => HIGH,
    }
}

/// The level of a `risk` code.
pub fn risk_from_code(code: i64) -> Option<RiskLevel> {
    match code {
        1 => Some(RiskLevel::Low),
        2 => Some(RiskLevel::Medium),
        3 => Some(RiskLevel::High),
        _ => None,
    }
}

impl<S: std::ops::Deref<Target = Store>> Queue<S> {
    /// Writes risks into the queue's TEMP table (built by [`Queue::rebuild`]): each customer
    /// listed gets its level and score (none for `level: None`); the others keep theirs. One
    /// statement by key per customer, in one transaction.
    ///
    /// `mirror`, the table's copy in memory: when it was the table's before, it is kept so
    /// after (the High risk tab of each customer listed) instead of being read whole again
    /// (about 0.25 s at 100,000 customers, every session waiting).
    pub fn update_risks(
        &self,
        risks: &[QueueRisk],
        mirror: Option<&mut QueueMirror>,
    ) -> Result<()> {
        let mirror = mirror.filter(|m| m.is_current(&self.store));
        self.write_risks(risks)?;
        if let Some(m) = mirror {
            m.risks_written(risks);
            m.stamp(&self.store);
        }
        Ok(())
    }

    fn write_risks(&self, risks: &[QueueRisk]) -> Result<()> {
        // Writes only the TEMP schema: no write lock on the database.
        let tx = self.conn().unchecked_transaction()?;
        {
            let mut update = tx.prepare_cached(
                "UPDATE temp.queue SET risk = ?2, risk_score = ?3 WHERE cid = ?1",
            )?;
            for r in risks {
                update.execute(params![r.cid, risk_code(r.level), r.score])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The customers a tab holds without a filter: for everyone and by finance owner
    /// (by [`crate::domain::text::person_key`]), for [`UnfilteredCounts::set_tab`].
    pub fn tab_counts(&self, tab: Tab) -> Result<(u64, HashMap<String, u64>)> {
        let sql = match tab {
            Tab::HighRisk => {
                "SELECT finance_owner, count(*) FROM temp.queue WHERE risk = 3
                   GROUP BY finance_owner COLLATE owed_person"
            }
            // The other tabs are counted while the table is written.
            _ => return Err(crate::Error::runtime("only the High risk tab is recounted")),
        };
        let mut stmt = self.conn().prepare_cached(sql)?;
        let mut rows = stmt.query([])?;
        let mut everyone = 0;
        let mut by_owner = HashMap::new();
        while let Some(r) = rows.next()? {
            let owner: Option<String> = r.get(0)?;
            let n = r.get::<_, i64>(1)?.unsigned_abs();
            everyone += n;
            if let Some(owner) = owner {
                *by_owner
                    .entry(crate::domain::text::person_key(&owner))
                    .or_insert(0) += n;
            }
        }
        Ok((everyone, by_owner))
    }
}

impl UnfilteredCounts {
    /// Replaces one tab's counts (for everyone and by owner, lowercased).
    pub fn set_tab(&mut self, tab: Tab, everyone: u64, by_owner: &HashMap<String, u64>) {
        let i = tab.index();
        self.everyone[i] = everyone;
        for (owner, counts) in self.by_owner.iter_mut() {
            counts[i] = by_owner.get(owner).copied().unwrap_or(0);
        }
    }
}
