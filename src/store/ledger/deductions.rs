//! Deductions whose documents are settled: resolved by the run that settled them.
//!
//! A deduction (an issue with reason `short_payment`) says the customer held back part of
//! what its documents owe. When a later payment or credit note settles every document it is
//! on, no money is disputed any more: left open, it would keep counting in the open deductions
//! and keep its customer out of dunning for a gap that is gone. The lockbox run or billing
//! import whose applications settle them resolves it, as of the day they were settled, with
//! the outcome that says how: `invalid` when payments paid the gap (the customer paid what it
//! had deducted), `valid` when credit notes closed it (billing credited the gap), none when
//! both did. Each resolve is marked as a run's (`deduction_run_events`): it is no collector's
//! touch, and an import that takes away the payment that settled it reopens it.

use crate::Result;
use crate::domain::action_checks::Outcome;
use crate::domain::date::from_day_number;
use crate::domain::document::{NamedDocument, labels};
use rusqlite::{Connection, params};

/// Which run settles: the lockbox's or the billing system's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettlingRun {
    Lockbox,
    Import,
}

impl SettlingRun {
    fn words(self) -> &'static str {
        match self {
            SettlingRun::Lockbox => "a lockbox import",
            SettlingRun::Import => "an import",
        }
    }
}

/// A deduction a run resolved because its documents are settled in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledDeduction {
    /// The issue's id.
    pub issue: i64,
    pub customer_id: String,
    /// The payment whose short cheque opened it (`LBX-1`), if a lockbox run did.
    pub payment: Option<String>,
    /// The documents it is on, all settled now.
    pub documents: Vec<NamedDocument>,
    /// The day they were settled (the resolve's date).
    pub date: i32,
    /// `invalid` (paid), `valid` (credited), none (both).
    pub outcome: Option<Outcome>,
    /// What settled them since the deduction opened: payment ids, credit notes' labels.
    pub by: Vec<String>,
}

impl SettledDeduction {
    /// The resolution's text, in the customer's activity: `Resolved by a lockbox import:
    /// INV-1 is paid in full since 2026-04-12 (by LBX-2), so no short payment stands.`
    pub fn text(&self, run: SettlingRun) -> String {
        let n = self.documents.len();
        let how = match self.outcome {
            Some(Outcome::Invalid) => "paid",
            Some(Outcome::Valid) => "credited",
            _ => "settled",
        };
        let by = if self.by.is_empty() {
            String::new()
        } else {
            format!(" (by {})", self.by.join(", "))
        };
        format!(
            "Resolved by {}: {} {} {how} in full since {}{by}, so no short payment stands.",
            run.words(),
            labels(&self.documents),
            if n == 1 { "is" } else { "are" },
            from_day_number(self.date)
        )
    }
}

/// The deductions open now (no resolve or reopen, or a reopen a run wrote: one reopened by
/// hand is its collector's call) on documents that are all settled in full.
const SETTLED: &str = "
    SELECT i.id, c.id, p.id, ifnull(dp.pid, 0), i.opened_date,
           max(i.opened_date, ifnull((SELECT max(e.event_date) FROM issue_events e
                                       WHERE e.issue_id = i.id), i.opened_date))
      FROM issues i
      JOIN customers c ON c.cid = i.cid
      LEFT JOIN deduction_payments dp ON dp.issue_id = i.id
      LEFT JOIN payments p ON p.pid = dp.pid
     WHERE i.reason = 'short_payment'
       AND ifnull((SELECT e.id FROM issue_events e WHERE e.issue_id = i.id
                    ORDER BY e.event_date DESC, e.id DESC LIMIT 1), 0)
           IN (SELECT 0 UNION ALL SELECT r.event_id FROM deduction_run_events r
                WHERE r.kind = 'reopened')
       AND EXISTS (SELECT 1 FROM issue_documents l WHERE l.issue_id = i.id)
       AND NOT EXISTS (SELECT 1 FROM issue_documents l JOIN documents d ON d.did = l.did
                        WHERE l.issue_id = i.id
                          AND d.amount > ifnull((SELECT sum(a.amount) FROM applications a
                                                  WHERE a.did = d.did), 0))
     ORDER BY i.id";

/// Resolves every open deduction whose documents are all settled in full (see the module),
/// by `actor` at `at` (RFC 3339), as of the day the last of them was settled (or the
/// deduction's opening or latest event, if later). Returns them, oldest first.
pub(crate) fn settle_deductions(
    conn: &Connection,
    actor: &str,
    at: &str,
    run: SettlingRun,
) -> Result<Vec<SettledDeduction>> {
    struct Found {
        issue: i64,
        customer_id: String,
        payment: Option<String>,
        pid: i64,
        opened: i32,
        floor: i32,
    }
    let found: Vec<Found> = crate::store::rows(conn, SETTLED, [], |r| {
        Ok(Found {
            issue: r.get(0)?,
            customer_id: r.get(1)?,
            payment: r.get(2)?,
            pid: r.get(3)?,
            opened: r.get(4)?,
            floor: r.get(5)?,
        })
    })?;
    let mut settled = Vec::new();
    for f in found {
        let documents: Vec<NamedDocument> = crate::store::rows(
            conn,
            "SELECT d.did, d.id, d.number FROM issue_documents l JOIN documents d ON d.did = l.did
              WHERE l.issue_id = ?1 ORDER BY d.doc_date, d.did",
            [f.issue],
            |r| {
                Ok(NamedDocument {
                    did: r.get(0)?,
                    id: r.get(1)?,
                    number: r.get(2)?,
                })
            },
        )?;
        let last: i32 = conn.query_row(
            "SELECT ifnull(max(a.date), ?2) FROM issue_documents l
               JOIN applications a ON a.did = l.did WHERE l.issue_id = ?1",
            params![f.issue, f.floor],
            |r| r.get(0),
        )?;
        // What settled them since the deduction opened, its own cheque aside: payments by
        // id, credit notes as people know them.
        let sources: Vec<(String, bool)> = crate::store::rows(
            conn,
            "SELECT CASE WHEN a.source_pid IS NOT NULL THEN p.id
                         ELSE ifnull(nullif(n.number, ''), n.id) END,
                    a.source_pid IS NOT NULL, min(a.date) AS first
               FROM issue_documents l
               JOIN applications a ON a.did = l.did
               LEFT JOIN payments p ON p.pid = a.source_pid
               LEFT JOIN documents n ON n.did = a.source_did
              WHERE l.issue_id = ?1 AND a.date >= ?2 AND ifnull(a.source_pid, 0) <> ?3
              GROUP BY 1, 2 ORDER BY first, 1",
            params![f.issue, f.opened, f.pid],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let paid = sources.iter().any(|(_, payment)| *payment);
        let credited = sources.iter().any(|(_, payment)| !*payment);
        let outcome = match (paid, credited) {
            (true, false) => Some(Outcome::Invalid),
            (false, true) => Some(Outcome::Valid),
            _ => None,
        };
        settled.push(SettledDeduction {
            issue: f.issue,
            customer_id: f.customer_id,
            payment: f.payment,
            documents,
            date: last.max(f.floor),
            outcome,
            by: sources.into_iter().map(|(s, _)| s).collect(),
        });
    }
    let mut resolve = conn.prepare_cached(
        "INSERT INTO issue_events (issue_id, at, collector, kind, event_date, text, outcome)
         VALUES (?1, ?2, ?3, 'resolve', ?4, ?5, ?6)",
    )?;
    let mut mark = conn.prepare_cached(
        "INSERT INTO deduction_run_events (event_id, kind) VALUES (?1, 'settled')",
    )?;
    for s in &settled {
        resolve.execute(params![
            s.issue,
            at,
            actor,
            s.date,
            s.text(run),
            s.outcome.map(Outcome::as_str)
        ])?;
        mark.execute([conn.last_insert_rowid()])?;
    }
    Ok(settled)
}
