//! The forecast's risk in the queue's TEMP table: the workstation computes the forecast after
//! the figures (it reads the whole history) and writes each customer's risk level and score
//! into `temp.queue` in one statement, so the High risk tab and the risk order are paged in
//! SQL like the others.

use super::Queue;
use super::tab_counts::UnfilteredCounts;
use crate::Result;
use crate::domain::forecast::RiskLevel;
use crate::domain::queue::Tab;
use crate::store::Store;
use rusqlite::params_from_iter;
use rusqlite::types::Value;
use std::collections::HashMap;

/// One customer's risk as the queue stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueRisk {
    pub cid: i64,
    pub level: RiskLevel,
    /// 0 to 100 (the risk order).
    pub score: u32,
}

/// The `risk` column's code: 0 not computed (or no documents), 1 low, 2 medium, 3 high.
pub fn risk_code(level: Option<RiskLevel>) -> i64 {
    match level {
        None => 0,
        Some(RiskLevel::Low) => 1,
        Some(RiskLevel::Medium) => 2,
        Some(RiskLevel::High) => 3,
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
    /// Writes the risks into the queue's TEMP table (built by
    /// [`Queue::rebuild`]): customers listed get their level and score, the others
    /// none. Rows go into a TEMP staging table many at a time, then one `UPDATE … FROM` of the
    /// rows whose risk changed (a forecast computed again after a save moves few).
    pub fn set_risks(&self, risks: &[QueueRisk]) -> Result<()> {
        // Writes only the TEMP schema: no write lock on the database.
        let tx = self.conn().unchecked_transaction()?;
        tx.execute_batch(
            "DROP TABLE IF EXISTS temp.queue_risk;
             CREATE TEMP TABLE queue_risk (
                cid INTEGER PRIMARY KEY,
                risk INTEGER NOT NULL,
                score INTEGER NOT NULL
             );",
        )?;
        const BATCH: usize = 300;
        let insert_sql = |rows: usize| {
            format!(
                "INSERT OR REPLACE INTO temp.queue_risk (cid, risk, score) VALUES {}",
                vec!["(?, ?, ?)"; rows].join(",")
            )
        };
        let mut full = tx.prepare(&insert_sql(BATCH))?;
        for chunk in risks.chunks(BATCH) {
            let values = chunk.iter().flat_map(|r| {
                [
                    Value::Integer(r.cid),
                    Value::Integer(risk_code(Some(r.level))),
                    Value::Integer(r.score.into()),
                ]
            });
            if chunk.len() == BATCH {
                full.execute(params_from_iter(values))?;
            } else {
                tx.execute(&insert_sql(chunk.len()), params_from_iter(values))?;
            }
        }
        drop(full);
        tx.execute_batch(
            "UPDATE temp.queue SET risk = 0, risk_score = 0
              WHERE (risk <> 0 OR risk_score <> 0)
                AND cid NOT IN (SELECT cid FROM temp.queue_risk);
             UPDATE temp.queue SET risk = r.risk, risk_score = r.score
               FROM temp.queue_risk r
              WHERE r.cid = queue.cid AND (queue.risk <> r.risk OR queue.risk_score <> r.score);
             DROP TABLE temp.queue_risk;",
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The customers a tab holds without a filter: for everyone and by finance owner
    /// (lowercased), for [`UnfilteredCounts::set_tab`].
    pub fn tab_counts(&self, tab: Tab) -> Result<(u64, HashMap<String, u64>)> {
        let sql = match tab {
            Tab::HighRisk => {
                "SELECT lower(finance_owner), count(*) FROM temp.queue WHERE risk = 3 GROUP BY 1"
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
                by_owner.insert(owner, n);
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
