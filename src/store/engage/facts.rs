//! The bulk facts of the ledger the cycles' rules and the templates read: every customer with
//! its columns and contacts, the open debits as of a date, the latest payment attempts and the
//! monthly sales. Every read is one query over all customers (or all open documents),
//! returning plain structs, so that planning is one pass over the data whatever the number of
//! cycles and rules.

use super::{Engagement, date_of};
use crate::Result;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::document::DocumentKind;
use crate::domain::rules::Level;
use crate::domain::{Date, Decimal, money};
use crate::store::Store;
use rusqlite::params;
use std::collections::{HashMap, HashSet};

/// An invoice or debit note open at the as-of date.
#[derive(Debug, Clone, PartialEq)]
pub struct EngageDocument {
    pub did: i64,
    pub cid: i64,
    pub id: String,
    pub kind: DocumentKind,
    pub number: Option<String>,
    pub doc_date: Date,
    pub due_date: Option<Date>,
    pub posting_date: Option<Date>,
    /// In the document's currency.
    pub amount: Decimal,
    /// Open balance at the as-of date, in the document's currency.
    pub balance: Decimal,
    pub currency: String,
    /// Base-currency units per unit, at the document date.
    pub rate: Decimal,
    pub location: Option<String>,
    pub business_unit: Option<String>,
    /// `cf_*` fields as JSON, read only when asked for.
    pub custom: Option<String>,
    /// Settled since the as-of date (by money applied after it, up to now): what a
    /// reminder of that date must not chase.
    pub paid_since: bool,
    /// What was applied to it after the as-of date (up to now), in its currency: a reminder
    /// of that date sent now asks for the balance less this.
    pub paid_after: Decimal,
}

/// The latest payment attempt of a customer at the as-of date.
#[derive(Debug, Clone, PartialEq)]
pub struct LastAttempt {
    pub date: Date,
    pub status: String,
    /// In the base currency (at the payment's rate).
    pub amount: Decimal,
    pub method: Option<String>,
    pub failure_reason: Option<String>,
    pub gateway: Option<String>,
    /// Attempts since the latest successful payment (all attempts when none succeeded).
    pub attempts_since_success: i64,
    /// The billing system's retry state of this attempt (`dunning_status`).
    pub dunning_status: Option<String>,
    /// When the billing system will try again.
    pub next_retry_date: Option<Date>,
    /// Every attempt by the as-of date (voided ones left out).
    pub attempts: i64,
    /// Of them, the successful ones.
    pub successes: i64,
}

impl LastAttempt {
    /// Attempts per successful payment (all attempts when none succeeded), to two places.
    pub fn average_attempts(&self) -> Decimal {
        (Decimal::from(self.attempts) / Decimal::from(self.successes.max(1))).round_dp(2)
    }
}

pub use crate::domain::customer::{Contact, Customer};

/// The columns both queries below read: the balance now (col 9) and what was applied after
/// the as-of date (col 15), whose sum is the balance at the as-of date.
const OPEN_DEBIT_COLUMNS: &str = "
    SELECT d.did, d.cid, d.id, d.kind, d.number, d.doc_date, d.due_date, d.posting_date, d.amount,
           d.balance, d.currency, d.rate, d.location, d.business_unit,
           CASE WHEN ?2 THEN d.custom END,
           CASE WHEN d.last_applied > ?1
               THEN (SELECT ifnull(sum(a.amount), 0) FROM applications a WHERE a.did = d.did AND a.date > ?1)
               ELSE 0 END";

/// Debits open now, dated by the as-of date.
const OPEN_DEBITS_NOW: &str = "
      FROM documents d INDEXED BY documents_open
     WHERE d.balance <> 0 AND d.kind <> 'credit_note' AND d.doc_date <= ?1";

/// Debits settled since the as-of date (open then).
const OPEN_DEBITS_CLOSED_SINCE: &str = "
      FROM documents d
     WHERE d.last_applied > ?1 AND d.balance = 0 AND d.kind <> 'credit_note' AND d.doc_date <= ?1";

/// The same of every customer, found by the date money was last applied and sorted by
/// customer (to be sorted, SQLite would rather walk every document by customer).
const ALL_OPEN_DEBITS_CLOSED_SINCE: &str = "
      FROM documents d INDEXED BY documents_last_applied
     WHERE d.last_applied > ?1 AND d.balance = 0 AND d.kind <> 'credit_note' AND d.doc_date <= ?1
     ORDER BY d.cid";

impl<S: std::ops::Deref<Target = Store>> Engagement<S> {
    /// Calls `each` with every customer that has an invoice or debit note open at `as_of`,
    /// and those documents, one customer at a time in key order (`custom` read only when
    /// `customer_custom`, `document_custom`). The customers and the documents are read side
    /// by side, each in key order, so that only one customer's are held at a time: held
    /// whole, the 100,000 customers' columns and their 116,000 open documents were 135 MB of
    /// a plan's memory.
    pub fn for_each_customer_open_debits(
        &self,
        as_of: Date,
        customer_custom: bool,
        document_custom: bool,
        mut each: impl FnMut(Customer, Vec<EngageDocument>) -> Result<()>,
    ) -> Result<()> {
        let day = day_number(as_of);
        let mut customers = self.conn().prepare_cached(&format!(
            "{} ORDER BY c.cid",
            crate::store::ledger::customers::CUSTOMER_SELECT
        ))?;
        let mut customers = customers.query([customer_custom])?;
        // Open now: the index of open documents gives them in key order. Settled since the
        // as-of date: a few for a recent date, sorted.
        let mut now = self.conn().prepare_cached(&format!(
            "{OPEN_DEBIT_COLUMNS} {OPEN_DEBITS_NOW} ORDER BY d.cid"
        ))?;
        let mut now = now.query(params![day, document_custom])?;
        let mut since = self.conn().prepare_cached(&format!(
            "{OPEN_DEBIT_COLUMNS} {ALL_OPEN_DEBITS_CLOSED_SINCE}"
        ))?;
        let mut since = since.query(params![day, document_custom])?;
        let mut next_now = next_open_debit(&mut now, false)?;
        let mut next_since = next_open_debit(&mut since, true)?;
        let mut customer: Option<Customer> = None;
        loop {
            let cid = match (&next_now, &next_since) {
                (Some(a), Some(b)) => a.cid.min(b.cid),
                (Some(a), None) => a.cid,
                (None, Some(b)) => b.cid,
                (None, None) => return Ok(()),
            };
            let mut docs = Vec::new();
            while let Some(d) = next_now.take_if(|d| d.cid == cid) {
                docs.push(d);
                next_now = next_open_debit(&mut now, false)?;
            }
            while let Some(d) = next_since.take_if(|d| d.cid == cid) {
                docs.push(d);
                next_since = next_open_debit(&mut since, true)?;
            }
            while customer.as_ref().is_none_or(|c| c.cid < cid) {
                match customers.next()? {
                    Some(r) => customer = Some(crate::store::ledger::customers::customer_row(r)?),
                    None => return Ok(()),
                }
            }
            if let Some(c) = customer.take_if(|c| c.cid == cid) {
                each(c, docs)?;
            }
        }
    }

    /// Every customer's contacts (`contacts.csv`), primary ones first.
    pub fn contacts_by_customer(&self) -> Result<HashMap<i64, Vec<Contact>>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT cid, name, email, phone, role, is_primary FROM contacts
              ORDER BY cid, is_primary DESC, id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out: HashMap<i64, Vec<Contact>> = HashMap::new();
        while let Some(r) = rows.next()? {
            out.entry(r.get(0)?).or_default().push(Contact {
                name: r.get(1)?,
                email: r.get(2)?,
                phone: r.get(3)?,
                role: r.get(4)?,
                primary: r.get(5)?,
            });
        }
        Ok(out)
    }

    /// One customer's contacts (`contacts.csv`) as the detail and the call form list them:
    /// the primary billing contact first, then the other primary ones, then the rest in the
    /// order they were imported.
    pub fn customer_contacts(&self, cid: i64) -> Result<Vec<Contact>> {
        crate::store::rows(
            self.conn(),
            "SELECT name, email, phone, role, is_primary FROM contacts WHERE cid = ?1
              ORDER BY is_primary AND role = 'billing' DESC, is_primary DESC, id",
            [cid],
            |r| {
                Ok(Contact {
                    name: r.get(0)?,
                    email: r.get(1)?,
                    phone: r.get(2)?,
                    role: r.get(3)?,
                    primary: r.get(4)?,
                })
            },
        )
    }

    /// One customer by the billing system's id.
    pub fn customer(&self, id: &str) -> Result<Option<Customer>> {
        let Some(cid) = self.store.ledger().customer_key(id)? else {
            return Ok(None);
        };
        Ok(self.store.ledger().customers_where(false, Some(cid))?.pop())
    }

    /// Calls `each` for every invoice and debit note open at `as_of` (of one customer with
    /// `cid`); `custom` is read only when `with_custom`.
    pub fn for_each_open_debit(
        &self,
        as_of: Date,
        with_custom: bool,
        cid: Option<i64>,
        mut each: impl FnMut(EngageDocument),
    ) -> Result<()> {
        let day = day_number(as_of);
        for (sql, paid_since) in [(OPEN_DEBITS_NOW, false), (OPEN_DEBITS_CLOSED_SINCE, true)] {
            let sql = match cid {
                Some(_) => format!("{OPEN_DEBIT_COLUMNS} {sql} AND d.cid = ?3"),
                None => format!("{OPEN_DEBIT_COLUMNS} {sql} AND ?3 IS NULL"),
            };
            let mut stmt = self.conn().prepare_cached(&sql)?;
            let mut rows = stmt.query(params![day, with_custom, cid])?;
            while let Some(d) = next_open_debit(&mut rows, paid_since)? {
                each(d);
            }
        }
        Ok(())
    }

    /// Customers with a document dated by `as_of` whose billing-system balance differs from
    /// ours (as the reports' `outstanding_mismatch` counts them).
    pub fn customers_with_mismatch(&self, as_of: Date) -> Result<HashSet<i64>> {
        crate::store::rows(
            self.conn(),
            "SELECT DISTINCT cid FROM documents
              WHERE billing_balance IS NOT NULL AND billing_balance <> balance
                AND doc_date <= ?1",
            [day_number(as_of)],
            |r| r.get(0),
        )
    }

    /// The latest payment attempt of every customer that has one by `as_of`.
    ///
    /// One sequential scan of the payments (no sort, and not through the index of their
    /// dates: in its order each row was a lookup of the table, 1.9 s of CPU at 1.1 million
    /// payments against 0.2 s): per customer the latest attempt and the latest success are
    /// kept, with the keys of the unsuccessful attempts, counted against the latest success
    /// at the end.
    pub fn last_payment_attempts(
        &self,
        as_of: Date,
        base_currency: &str,
    ) -> Result<HashMap<i64, LastAttempt>> {
        #[derive(Default)]
        struct Seen {
            latest: Option<((i32, i64), LastAttempt)>,
            last_success: Option<(i32, i64)>,
            failures: Vec<(i32, i64)>,
            attempts: i64,
            successes: i64,
        }
        let mut stmt = self.conn().prepare_cached(
            "SELECT cid, date, pid, status, amount, rate, method, failure_reason, gateway,
                    dunning_status, next_retry_date
               FROM payments NOT INDEXED WHERE date <= ?1",
        )?;
        let mut rows = stmt.query([day_number(as_of)])?;
        let mut seen: HashMap<i64, Seen> = HashMap::new();
        while let Some(r) = rows.next()? {
            let cid: i64 = r.get(0)?;
            let key: (i32, i64) = (r.get(1)?, r.get(2)?);
            let status: String = r.get(3)?;
            let s = seen.entry(cid).or_default();
            if status != "voided" {
                s.attempts += 1;
                s.successes += i64::from(status == "success");
            }
            // A voided entry is the company's, no attempt of the customer's: left out of the
            // attempts since the latest success, as from `average_payment_attempts`.
            if status == "success" {
                s.last_success = s.last_success.max(Some(key));
            } else if status != "voided" {
                s.failures.push(key);
            }
            if s.latest.as_ref().is_some_and(|(k, _)| *k > key) {
                continue;
            }
            let amount = money::round_to_currency(
                money::from_units(r.get(4)?) * r.get::<_, crate::store::StoredRate>(5)?.0,
                base_currency,
            );
            s.latest = Some((
                key,
                LastAttempt {
                    date: from_day_number(key.0),
                    status,
                    amount,
                    method: r.get(6)?,
                    failure_reason: r.get(7)?,
                    gateway: r.get(8)?,
                    attempts_since_success: 0,
                    dunning_status: r.get(9)?,
                    next_retry_date: date_of(r.get(10)?),
                    attempts: 0,
                    successes: 0,
                },
            ));
        }
        Ok(seen
            .into_iter()
            .filter_map(|(cid, s)| {
                let (_, mut last) = s.latest?;
                last.attempts_since_success = s
                    .failures
                    .iter()
                    .filter(|k| s.last_success.is_none_or(|ok| **k > ok))
                    .count() as i64;
                last.attempts = s.attempts;
                last.successes = s.successes;
                Some((cid, last))
            })
            .collect())
    }

    /// Sales (invoices and debit notes) per customer and calendar month (the month's first
    /// day) with document dates in `[from, to]`, in the base currency.
    pub fn monthly_sales_by_customer(
        &self,
        from: Date,
        to: Date,
        base_currency: &str,
    ) -> Result<HashMap<i64, HashMap<Date, Decimal>>> {
        use chrono::Datelike;
        let mut stmt = self.conn().prepare_cached(
            "SELECT cid, doc_date, amount, rate FROM documents
              WHERE doc_date BETWEEN ?1 AND ?2 AND kind <> 'credit_note'",
        )?;
        let mut rows = stmt.query(params![day_number(from), day_number(to)])?;
        let mut out: HashMap<i64, HashMap<Date, Decimal>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let date = from_day_number(r.get(1)?);
            let month = date.with_day(1).unwrap_or(date);
            let amount = money::round_to_currency(
                money::from_units(r.get(2)?) * r.get::<_, crate::store::StoredRate>(3)?.0,
                base_currency,
            );
            *out.entry(r.get(0)?).or_default().entry(month).or_default() += amount;
        }
        Ok(out)
    }
}

/// The table whose records carry the custom fields of a rule's `level` (none for the
/// payment level).
fn custom_table(level: Level) -> Option<&'static str> {
    match level {
        Level::Customer => Some("customers"),
        Level::Document => Some("documents"),
        Level::Payment => None,
    }
}

impl<S: std::ops::Deref<Target = Store>> Engagement<S> {
    /// Whether a customer (at `Level::Document`: a document) carries the custom field `name`
    /// with a value (an import's `cf_*` column; an empty cell is no value). Stops at the
    /// first that does.
    pub fn carries_custom_field(&self, level: Level, name: &str) -> Result<bool> {
        let Some(table) = custom_table(level) else {
            return Ok(false);
        };
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {table} t, json_each(t.custom) j
                             WHERE t.custom <> '{{}}' AND j.key = ?1)"
        );
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row([name], |r| r.get(0))?)
    }

    /// Every custom field name the customers (at `Level::Document`: the documents) carry
    /// with a value, in order. Reads every one of them.
    pub fn custom_field_names(&self, level: Level) -> Result<Vec<String>> {
        let Some(table) = custom_table(level) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT DISTINCT j.key FROM {table} t, json_each(t.custom) j
              WHERE t.custom <> '{{}}' ORDER BY 1"
        );
        crate::store::rows(self.conn(), &sql, [], |r| r.get(0))
    }
}

/// The next document of a query of [`OPEN_DEBIT_COLUMNS`] open at the as-of date (one
/// settled by then, with nothing applied after it, is passed over).
fn next_open_debit(
    rows: &mut rusqlite::Rows<'_>,
    paid_since: bool,
) -> Result<Option<EngageDocument>> {
    while let Some(r) = rows.next()? {
        let paid_after: i64 = r.get(15)?;
        let open = r.get::<_, i64>(9)? + paid_after;
        if open <= 0 {
            continue;
        }
        return Ok(Some(EngageDocument {
            did: r.get(0)?,
            cid: r.get(1)?,
            id: r.get(2)?,
            kind: r.get(3)?,
            number: r.get(4)?,
            doc_date: from_day_number(r.get(5)?),
            due_date: date_of(r.get(6)?),
            posting_date: date_of(r.get(7)?),
            amount: money::from_units(r.get(8)?),
            balance: money::from_units(open),
            currency: r.get(10)?,
            rate: r.get::<_, crate::store::StoredRate>(11)?.0,
            location: r.get(12)?,
            business_unit: r.get(13)?,
            custom: r.get(14)?,
            paid_since,
            paid_after: money::from_units(paid_after),
        }));
    }
    Ok(None)
}
