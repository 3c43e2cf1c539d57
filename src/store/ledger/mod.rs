//! The ledger as of a date: open items, credit and cash, streamed from SQL.
//!
//! An item's balance at D is its amount minus the applications dated on or before D. The
//! store keeps each document's total applied and the date of its last application, so the
//! rows open at D are: those open now (the partial index `documents_open`), plus those closed
//! since D (`last_applied > D`); only for rows with applications after D are those added back.
//! Documents and payments dated after D are skipped: they do not exist yet.
//!
//! For everyone's debits the split is by the applications instead: those untouched since D
//! (their balance now is their balance then), and those with applications after D, found
//! from the applications dated after D (the index `applications_date`, a range) and read in
//! key order. For one customer, its own rows through its indexes.
//!
//! This module also declares [`Ledger`], the ledger's type over the store; its other methods
//! live beside their SQL in `customers`, `documents`, `payments`, `rates`, `import`,
//! `lockbox`, `deductions`, `statement`, `history` and `customer_detail`.

use super::Store;
use crate::Result;
use crate::domain::date::day_number;
use crate::domain::{Date, Decimal, money};
use rusqlite::params;

pub mod customer_detail;
pub mod customers;
pub mod deductions;
pub mod documents;
pub mod history;
pub mod import;
pub mod lockbox;
pub mod payments;
pub mod rates;
pub mod statement;

super::aggregate!(
    /// The ledger of a store — customers, their documents and payments and what applies
    /// payments to documents, exchange rates, daily sales — read over `&Store`
    /// ([`Store::ledger`]) and written over `&mut Store` ([`Store::ledger_mut`]: an import, a
    /// lockbox file). The other aggregates are [`super::Queue`], [`super::Activity`],
    /// [`super::engage::Engagement`] and [`super::users::Users`].
    Ledger,
    ledger,
    ledger_mut,
    "ledger (customers, documents, payments, rates)"
);

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// Row counts of the billing tables, for summaries and tests.
    pub fn counts(&self) -> Result<Counts> {
        let count = |table: &str| -> Result<u64> {
            let n: i64 =
                self.conn()
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            Ok(n.unsigned_abs())
        };
        Ok(Counts {
            customers: count("customers")?,
            documents: count("documents")?,
            payments: count("payments")?,
            applications: count("applications")?,
            exchange_rates: count("exchange_rates")?,
        })
    }
}

/// Row counts of the billing tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub customers: u64,
    pub documents: u64,
    pub payments: u64,
    pub applications: u64,
    pub exchange_rates: u64,
}

/// What an open item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// An invoice or debit note with a balance.
    Debit,
    /// A credit note with credit left.
    Credit,
    /// A successful payment not fully applied.
    Cash,
}

/// One open item at the as-of date.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenItem {
    pub cid: i64,
    pub kind: ItemKind,
    /// `did` for documents, `pid` for payments.
    pub key: i64,
    pub due_date: Option<Date>,
    /// Open balance at the as-of date, in the item's currency.
    pub balance: Decimal,
    pub currency: String,
    /// Base-currency units per unit, at the item's own date.
    pub rate: Decimal,
}

impl OpenItem {
    /// The balance in the base currency, rounded to its minor units.
    pub fn base_balance(&self, base_currency: &str) -> Decimal {
        money::round_to_currency(self.balance * self.rate, base_currency)
    }
}

const DEBITS_OPEN_NOW: &str = "
    SELECT d.cid, d.did, d.due_date,
           d.balance + CASE WHEN d.last_applied > ?1
               THEN (SELECT ifnull(sum(a.amount), 0) FROM applications a WHERE a.did = d.did AND a.date > ?1)
               ELSE 0 END,
           d.currency, d.rate
      FROM documents d INDEXED BY documents_open
     WHERE d.balance <> 0 AND d.kind <> 'credit_note' AND d.doc_date <= ?1 AND (?2 IS NULL OR d.cid = ?2)";

/// For everyone: the debits open now with nothing applied after D (their balance then is
/// their balance now)...
const DEBITS_UNTOUCHED_SINCE: &str = "
    SELECT d.cid, d.did, d.due_date, d.balance, d.currency, d.rate
      FROM documents d INDEXED BY documents_open
     WHERE d.balance <> 0 AND d.kind <> 'credit_note' AND d.doc_date <= ?1
       AND (d.last_applied IS NULL OR d.last_applied <= ?1) AND ?2 IS NULL";

/// ... and those with applications after D, open now or not, found from the applications
/// dated after D (an index range) and read in key order: their balance now plus what was
/// applied since.
const DEBITS_APPLIED_SINCE: &str = "
    SELECT d.cid, d.did, d.due_date, d.balance + after.amount, d.currency, d.rate
      FROM (SELECT did, sum(amount) AS amount FROM applications INDEXED BY applications_date
             WHERE date > ?1 GROUP BY did) AS after
      CROSS JOIN documents d ON d.did = after.did
     WHERE d.kind <> 'credit_note' AND d.doc_date <= ?1 AND ?2 IS NULL";

const DEBITS_CLOSED_SINCE: &str = "
    SELECT d.cid, d.did, d.due_date,
           (SELECT ifnull(sum(a.amount), 0) FROM applications a WHERE a.did = d.did AND a.date > ?1),
           d.currency, d.rate
      FROM documents d
     WHERE CLOSED_SINCE(d) AND d.balance = 0 AND d.kind <> 'credit_note' AND d.doc_date <= ?1
       AND (?2 IS NULL OR d.cid = ?2)";

const CREDITS_OPEN_NOW: &str = "
    SELECT d.cid, d.did, NULL,
           d.balance + CASE WHEN d.last_applied > ?1
               THEN (SELECT ifnull(sum(a.amount), 0) FROM applications a WHERE a.source_did = d.did AND a.date > ?1)
               ELSE 0 END,
           d.currency, d.rate
      FROM documents d INDEXED BY documents_open
     WHERE d.balance <> 0 AND d.kind = 'credit_note' AND d.doc_date <= ?1 AND (?2 IS NULL OR d.cid = ?2)";

const CREDITS_CLOSED_SINCE: &str = "
    SELECT d.cid, d.did, NULL,
           (SELECT ifnull(sum(a.amount), 0) FROM applications a WHERE a.source_did = d.did AND a.date > ?1),
           d.currency, d.rate
      FROM documents d
     WHERE CLOSED_SINCE(d) AND d.balance = 0 AND d.kind = 'credit_note' AND d.doc_date <= ?1
       AND (?2 IS NULL OR d.cid = ?2)";

const CASH_OPEN_NOW: &str = "
    SELECT p.cid, p.pid, NULL,
           p.unapplied + CASE WHEN p.last_applied > ?1
               THEN (SELECT ifnull(sum(a.amount), 0) FROM applications a WHERE a.source_pid = p.pid AND a.date > ?1)
               ELSE 0 END,
           p.currency, p.rate
      FROM payments p INDEXED BY payments_unapplied
     WHERE p.unapplied <> 0 AND p.date <= ?1 AND (?2 IS NULL OR p.cid = ?2)";

const CASH_CLOSED_SINCE: &str = "
    SELECT p.cid, p.pid, NULL,
           (SELECT ifnull(sum(a.amount), 0) FROM applications a WHERE a.source_pid = p.pid AND a.date > ?1),
           p.currency, p.rate
      FROM payments p
     WHERE CLOSED_SINCE(p) AND p.unapplied = 0 AND p.status = 'success' AND p.date <= ?1
       AND (?2 IS NULL OR p.cid = ?2)";

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// Calls `each` for every open item at `as_of` — of one customer (`cid`), or of all.
    /// One streaming pass; nothing is collected.
    pub fn for_each_open_item(
        &self,
        as_of: Date,
        cid: Option<i64>,
        each: impl FnMut(OpenItem),
    ) -> Result<()> {
        self.for_each_open_item_of(
            as_of,
            cid,
            &[ItemKind::Debit, ItemKind::Credit, ItemKind::Cash],
            each,
        )
    }

    /// Calls `each` for every open item of the given kinds at `as_of`.
    pub fn for_each_open_item_of(
        &self,
        as_of: Date,
        cid: Option<i64>,
        kinds: &[ItemKind],
        mut each: impl FnMut(OpenItem),
    ) -> Result<()> {
        let day = day_number(as_of);
        // Two plans: all customers (a scan of the open-items index) or one customer (a range
        // of it); `?2 IS NULL OR cid = ?2` would stop SQLite from using the customer range.
        // Rows closed since D: for everyone, their keys from the `last_applied` index
        // first, so that the rows and their applications are then read in key order (a
        // third faster than in `last_applied` order); for one customer, its own rows.
        let customer_filter = |sql: &str| match cid {
            None => sql
                .replace("(?2 IS NULL OR d.cid = ?2)", "?2 IS NULL")
                .replace("(?2 IS NULL OR p.cid = ?2)", "?2 IS NULL")
                .replace(
                    "CLOSED_SINCE(d)",
                    "d.did IN (SELECT did FROM documents WHERE last_applied > ?1)",
                )
                .replace(
                    "CLOSED_SINCE(p)",
                    "p.pid IN (SELECT pid FROM payments WHERE last_applied > ?1)",
                ),
            Some(_) => sql
                .replace("(?2 IS NULL OR d.cid = ?2)", "d.cid = ?2")
                .replace("(?2 IS NULL OR p.cid = ?2)", "p.cid = ?2")
                .replace("CLOSED_SINCE(d)", "d.last_applied > ?1")
                .replace("CLOSED_SINCE(p)", "p.last_applied > ?1"),
        };
        // One customer: its open rows, and those closed since D through the `last_applied`
        // index; everyone: the debits split by whether anything was applied after D.
        let debits = match cid {
            Some(_) => [DEBITS_OPEN_NOW, DEBITS_CLOSED_SINCE],
            None => [DEBITS_UNTOUCHED_SINCE, DEBITS_APPLIED_SINCE],
        };
        let passes = [
            (ItemKind::Debit, debits[0]),
            (ItemKind::Debit, debits[1]),
            (ItemKind::Credit, CREDITS_OPEN_NOW),
            (ItemKind::Credit, CREDITS_CLOSED_SINCE),
            (ItemKind::Cash, CASH_OPEN_NOW),
            (ItemKind::Cash, CASH_CLOSED_SINCE),
        ];
        for (kind, sql) in passes {
            if !kinds.contains(&kind) {
                continue;
            }
            let mut stmt = self.conn().prepare_cached(&customer_filter(sql))?;
            let mut rows = stmt.query(params![day, cid])?;
            while let Some(r) = rows.next()? {
                let units: i64 = r.get(3)?;
                if units == 0 {
                    continue;
                }
                let rate: crate::store::StoredRate = r.get(5)?;
                each(OpenItem {
                    cid: r.get(0)?,
                    kind,
                    key: r.get(1)?,
                    due_date: r
                        .get::<_, Option<i32>>(2)?
                        .map(crate::domain::date::from_day_number),
                    balance: money::from_units(units),
                    currency: r.get(4)?,
                    rate: rate.0,
                });
            }
        }
        Ok(())
    }

    /// The outstanding at `as_of` (the open balances of invoices and debit notes) in the base
    /// currency: the portfolio total alone, without the per-customer figures.
    pub fn outstanding_at(&self, as_of: Date, base_currency: &str) -> Result<Decimal> {
        self.outstanding_at_of(as_of, base_currency, None)
    }

    /// [`Ledger::outstanding_at`] of some customers (keys) only, or of all.
    pub fn outstanding_at_of(
        &self,
        as_of: Date,
        base_currency: &str,
        cids: Option<&std::collections::HashSet<i64>>,
    ) -> Result<Decimal> {
        let mut total = Decimal::ZERO;
        self.for_each_open_item_of(as_of, None, &[ItemKind::Debit], |item| {
            if cids.is_none_or(|c| c.contains(&item.cid)) {
                total += item.base_balance(base_currency);
            }
        })?;
        Ok(total)
    }

    /// Sales (invoices and debit notes) per document date in `[from, to]`, in the base
    /// currency, as (date, amount) sorted by date.
    pub fn sales_by_day(&self, from: Date, to: Date) -> Result<Vec<(Date, Decimal)>> {
        crate::store::rows(
            self.conn(),
            "SELECT doc_date, amount FROM sales_daily
              WHERE doc_date BETWEEN ?1 AND ?2 ORDER BY doc_date",
            params![day_number(from), day_number(to)],
            |r| {
                Ok((
                    crate::domain::date::from_day_number(r.get(0)?),
                    money::from_units(r.get(1)?),
                ))
            },
        )
    }

    /// [`Ledger::sales_by_day`] of some customers (keys) only: their invoices and debit notes
    /// dated `from` to `to`, by day, in the base currency (each converted and rounded, then
    /// summed per day, as the daily sales are).
    pub fn sales_by_day_of(
        &self,
        from: Date,
        to: Date,
        base_currency: &str,
        cids: &[i64],
    ) -> Result<Vec<(Date, Decimal)>> {
        // The customers in a TEMP table of this connection: one seek into their documents
        // each, by date.
        let tx = self.conn().unchecked_transaction()?;
        tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS sales_scope (cid INTEGER PRIMARY KEY);
             DELETE FROM temp.sales_scope;",
        )?;
        {
            let mut insert =
                tx.prepare_cached("INSERT OR IGNORE INTO temp.sales_scope VALUES (?1)")?;
            for cid in cids {
                insert.execute([cid])?;
            }
        }
        tx.commit()?;
        let mut stmt = self.conn().prepare_cached(
            "SELECT d.doc_date, d.rate, d.amount
               FROM temp.sales_scope s CROSS JOIN documents d INDEXED BY documents_customer
                    ON d.cid = s.cid AND d.doc_date BETWEEN ?1 AND ?2
              WHERE d.kind <> 'credit_note'
              ORDER BY d.doc_date",
        )?;
        let rows = stmt.query(params![day_number(from), day_number(to)])?;
        sum_by_day(rows, base_currency)
    }
}

/// Rebuilds the daily sales (`sales_daily`, in the base currency) from the documents,
/// streaming the date index in order (no sort), each document converted and rounded on its
/// own: after an import that changed documents or rates, and once by migration 14.
pub(crate) fn rebuild_sales(conn: &rusqlite::Connection, base_currency: &str) -> Result<()> {
    conn.execute("DELETE FROM sales_daily", [])?;
    let mut scan = conn.prepare(
        "SELECT doc_date, rate, amount FROM documents INDEXED BY documents_date
          WHERE kind <> 'credit_note' ORDER BY doc_date",
    )?;
    let days = sum_by_day(scan.query([])?, base_currency)?;
    let mut insert = conn.prepare("INSERT INTO sales_daily (doc_date, amount) VALUES (?1, ?2)")?;
    for (day, amount) in days {
        // Each amount fits (the import checks it), but a day of many such may not: the
        // input's fault, and the import is refused whole.
        let units = money::to_units(amount).map_err(|_| {
            crate::Error::input(format!(
                "the documents dated {day} add up to {amount} {base_currency}, more than owed \
                 can count"
            ))
        })?;
        insert.execute(params![day_number(day), units])?;
    }
    Ok(())
}

/// Rows of (day, rate, units) in day order as (date, amount in the base currency): each row
/// converted at its rate and rounded, then the rows of one day added up.
fn sum_by_day(mut rows: rusqlite::Rows<'_>, base_currency: &str) -> Result<Vec<(Date, Decimal)>> {
    let mut out: Vec<(Date, Decimal)> = Vec::new();
    while let Some(r) = rows.next()? {
        let date = crate::domain::date::from_day_number(r.get(0)?);
        let rate = r.get::<_, crate::store::StoredRate>(1)?.0;
        let amount = money::round_to_currency(money::from_units(r.get(2)?) * rate, base_currency);
        match out.last_mut() {
            Some((d, sum)) if *d == date => *sum += amount,
            _ => out.push((date, amount)),
        }
    }
    Ok(out)
}
