//! Documents as of a date, with their customer: the documents view and export.

use crate::Result;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::document::DocumentKind;
use crate::domain::{Date, Decimal, money};
use crate::store::Ledger;
use crate::store::Store;
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

/// A document open at the as-of date.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentLine {
    pub id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub kind: DocumentKind,
    pub number: Option<String>,
    pub doc_date: Date,
    pub due_date: Option<Date>,
    pub amount: Decimal,
    /// Open balance (credit left, for credit notes) at the as-of date, document currency.
    pub balance: Decimal,
    pub currency: String,
    pub rate: Decimal,
    pub billing_balance: Option<Decimal>,
}

const OPEN_DOCUMENTS: &str = concat!(
    "
    SELECT d.id, c.id, c.name, d.kind, d.number, d.doc_date, d.due_date, d.amount,
           d.balance + CASE WHEN d.last_applied > ?1 THEN
               (SELECT ifnull(sum(a.amount), 0) FROM applications a
                 WHERE (a.did = d.did OR a.source_did = d.did) AND a.date > ?1)
               ELSE 0 END AS open,
           d.currency, d.rate, d.billing_balance
      FROM documents d JOIN customers c ON c.cid = d.cid
     WHERE d.doc_date <= ?1 AND (d.balance <> 0 OR d.last_applied > ?1)
       AND (?2 IS NULL OR d.cid = ?2)
     ORDER BY c.id COLLATE owed_number, ifnull(d.due_date, d.doc_date), ",
    crate::store::document_order!()
);

/// A document's kind read from the `kind` column; another spelling there is an error (the
/// import writes only these).
impl rusqlite::types::FromSql for DocumentKind {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        crate::store::kind_column(value, DocumentKind::parse, "document kind")
    }
}

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// Calls `each` for every document open at `as_of` (of one customer with `cid`), ordered
    /// by customer id (the numbers in it by value, as documents' numbers are:
    /// [`crate::domain::document::number_order`]), due date and label.
    pub fn for_each_open_document(
        &self,
        as_of: Date,
        cid: Option<i64>,
        mut each: impl FnMut(DocumentLine) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn().prepare_cached(OPEN_DOCUMENTS)?;
        let mut rows = stmt.query(params![day_number(as_of), cid])?;
        while let Some(r) = rows.next()? {
            let open: i64 = r.get(8)?;
            if open == 0 {
                continue;
            }
            let rate: crate::store::StoredRate = r.get(10)?;
            each(DocumentLine {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                customer_name: r.get(2)?,
                kind: r.get(3)?,
                number: r.get(4)?,
                doc_date: from_day_number(r.get(5)?),
                due_date: r.get::<_, Option<i32>>(6)?.map(from_day_number),
                amount: money::from_units(r.get(7)?),
                balance: money::from_units(open),
                currency: r.get(9)?,
                rate: rate.0,
                billing_balance: r.get::<_, Option<i64>>(11)?.map(money::from_units),
            })?;
        }
        Ok(())
    }
}

/// A bare full scan of the documents table (count and sum of amounts) on a connection
/// with SQLite's defaults, as the `sqlite3` shell would run it (no memory map, the
/// default page cache): the yardstick the scale benchmark compares the reports with.
pub fn bare_scan_for_benchmarks(path: &std::path::Path) -> Result<(i64, i64)> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    Ok(conn.query_row(
        "SELECT count(*), sum(amount) FROM documents NOT INDEXED",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// Calls `each(cid, billing_balance, our_balance, rate)` for every document dated on or
    /// before `as_of` whose billing-system balance differs from ours now (of one customer with
    /// `cid`): a document dated later does not exist yet at `as_of`, nor what the billing
    /// system says of it.
    pub fn for_each_mismatch(
        &self,
        as_of: Date,
        cid: Option<i64>,
        mut each: impl FnMut(i64, Decimal, Decimal, Decimal),
    ) -> Result<()> {
        let sql = match cid {
            None => "SELECT cid, billing_balance, balance, rate FROM documents INDEXED BY documents_mismatch
                      WHERE billing_balance IS NOT NULL AND billing_balance <> balance
                        AND doc_date <= ?1 AND ?2 IS NULL",
            Some(_) => "SELECT cid, billing_balance, balance, rate FROM documents INDEXED BY documents_mismatch
                      WHERE billing_balance IS NOT NULL AND billing_balance <> balance
                        AND doc_date <= ?1 AND cid = ?2",
        };
        let mut stmt = self.conn().prepare_cached(sql)?;
        let mut rows = stmt.query(params![day_number(as_of), cid])?;
        while let Some(r) = rows.next()? {
            let rate: crate::store::StoredRate = r.get(3)?;
            each(
                r.get(0)?,
                money::from_units(r.get(1)?),
                money::from_units(r.get(2)?),
                rate.0,
            );
        }
        Ok(())
    }
}

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// The billing system's ids of documents by key.
    pub fn document_ids(&self, dids: &[i64]) -> Result<HashMap<i64, String>> {
        self.document_texts("SELECT id FROM documents WHERE did = ?1", dids)
    }

    /// The numbers of documents by key (documents without a number are left out).
    pub fn document_numbers(&self, dids: &[i64]) -> Result<HashMap<i64, String>> {
        self.document_texts(
            "SELECT number FROM documents WHERE did = ?1 AND number IS NOT NULL",
            dids,
        )
    }

    /// A text of documents by key (`sql`: of one `did`, no row when it has none).
    fn document_texts(&self, sql: &str, dids: &[i64]) -> Result<HashMap<i64, String>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let mut out = HashMap::with_capacity(dids.len());
        for &did in dids {
            if let Some(text) = stmt.query_row([did], |r| r.get(0)).optional()? {
                out.insert(did, text);
            }
        }
        Ok(out)
    }
}
