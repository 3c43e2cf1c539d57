//! One customer's statement lines as of a date: open debits, credit notes with credit left
//! and successful payments not fully applied, read through the customer's own indexes.

use crate::Result;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::statement::{LineKind, StatementLine};
use crate::domain::{Date, Decimal, money};
use crate::store::Ledger;
use crate::store::Store;
use rusqlite::params;

/// A customer's documents dated by D (?1), open: the amount less what was applied to it (a
/// debit) or from it (a credit note) on or before ?3 (D, or later for what was paid since).
const DOCUMENTS: &str = concat!(
    "
    SELECT d.kind, d.id, d.number, d.doc_date, d.due_date, d.amount, d.currency,
           d.amount - CASE WHEN d.kind = 'credit_note'
               THEN (SELECT ifnull(sum(a.amount), 0) FROM applications a
                      WHERE a.source_did = d.did AND a.date <= ?3)
               ELSE (SELECT ifnull(sum(a.amount), 0) FROM applications a
                      WHERE a.did = d.did AND a.date <= ?3) END AS open
      FROM documents d INDEXED BY documents_customer
     WHERE d.cid = ?2 AND d.doc_date <= ?1
     ORDER BY d.kind = 'credit_note', ifnull(d.due_date, d.doc_date), ",
    crate::store::document_order!()
);

/// A customer's successful payments dated by D (?1) with cash not applied on or before ?3.
const PAYMENTS: &str = "
    SELECT p.id, p.reference, p.date, p.amount, p.currency,
           p.amount - (SELECT ifnull(sum(a.amount), 0) FROM applications a
                        WHERE a.source_pid = p.pid AND a.date <= ?3)
      FROM payments p INDEXED BY payments_customer
     WHERE p.cid = ?2 AND p.date <= ?1 AND p.status = 'success'
     ORDER BY p.date, p.id";

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// The lines of customer `cid`'s statement at `as_of`: debits (oldest due first), then
    /// credit notes, then unapplied payments; only what is open.
    pub fn statement_lines(&self, cid: i64, as_of: Date) -> Result<Vec<StatementLine>> {
        self.statement_lines_applied(cid, as_of, day_number(as_of))
    }

    /// The lines of customer `cid`'s statement at `as_of` less what was paid since: every
    /// application on file counts, whatever its date (as a reminder of that date sent now
    /// asks only for what is still open). A document settled since is not a line.
    pub fn statement_lines_paid_since(&self, cid: i64, as_of: Date) -> Result<Vec<StatementLine>> {
        self.statement_lines_applied(cid, as_of, i32::MAX)
    }

    /// The lines dated by `as_of`, with the applications dated on or before the day number
    /// `applied` taken off.
    fn statement_lines_applied(
        &self,
        cid: i64,
        as_of: Date,
        applied: i32,
    ) -> Result<Vec<StatementLine>> {
        let day = day_number(as_of);
        let mut lines = Vec::new();
        let mut stmt = self.conn().prepare_cached(DOCUMENTS)?;
        let mut rows = stmt.query(params![day, cid, applied])?;
        while let Some(r) = rows.next()? {
            let open: i64 = r.get(7)?;
            if open == 0 {
                continue;
            }
            let doc_type: String = r.get(0)?;
            lines.push(StatementLine {
                kind: if doc_type == "credit_note" {
                    LineKind::Credit
                } else {
                    LineKind::Debit
                },
                id: r.get(1)?,
                number: r.get(2)?,
                doc_type,
                date: from_day_number(r.get(3)?),
                due_date: r.get::<_, Option<i32>>(4)?.map(from_day_number),
                amount: money::from_units(r.get(5)?),
                currency: r.get(6)?,
                open: money::from_units(open),
            });
        }
        let mut stmt = self.conn().prepare_cached(PAYMENTS)?;
        let mut rows = stmt.query(params![day, cid, applied])?;
        while let Some(r) = rows.next()? {
            let open = money::from_units(r.get(5)?);
            if open == Decimal::ZERO {
                continue;
            }
            lines.push(StatementLine {
                kind: LineKind::Cash,
                id: r.get(0)?,
                number: r.get(1)?,
                doc_type: "payment".into(),
                date: from_day_number(r.get(2)?),
                due_date: None,
                amount: money::from_units(r.get(3)?),
                currency: r.get(4)?,
                open,
            });
        }
        Ok(lines)
    }
}
