//! Payment histories for the forecast, strictly as of a cutoff date.
//!
//! Only what was known at the cutoff is read: documents dated on or before it, applications
//! dated on or before it (a document's balance and settle date are recomputed from those when
//! it has later applications), issues open at the cutoff (opened on or before it and not
//! resolved by then), promises recorded on or before it (and not voided by then), and payment
//! attempts dated on or before it. Backtests replay the database's history with this.
//!
//! One streaming pass over the documents ordered by customer, plus one query each for the
//! side tables (customers' payment groups, issues, promises, failed attempts) loaded into
//! maps first — never one query per customer.

use crate::Result;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::forecast::{CustomerHistory, CustomerPromise, OpenDoc, SettledDoc};
use crate::domain::promise::{Promise, PromiseState, promise_progress};
use crate::domain::{Date, Decimal, money};
use crate::store::Ledger;
use crate::store::Store;
use rusqlite::params;
use std::collections::HashMap;

/// What to read.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryQuery {
    /// Nothing after this date is known.
    pub cutoff: Date,
    /// Amounts are converted to this currency at each document's own rate.
    pub base_currency: String,
    /// A promise is kept when its amount arrives by its date plus this many days.
    pub promise_grace_days: u32,
    /// Only this customer (`cid`); all when `None`.
    pub customer: Option<i64>,
    /// Also return the billing system's ids of the open documents.
    pub with_ids: bool,
}

/// The histories of every customer with documents at the cutoff, ordered by `cid`.
#[derive(Debug, Clone, Default)]
pub struct Histories {
    pub customers: Vec<CustomerHistory>,
    /// Billing ids of the open documents by `did` (only with `with_ids`).
    pub document_ids: HashMap<i64, String>,
}

impl Histories {
    /// The history of one customer, if it has documents.
    pub fn customer(&self, cid: i64) -> Option<&CustomerHistory> {
        self.customers
            .binary_search_by_key(&cid, |h| h.cid)
            .ok()
            .map(|i| &self.customers[i])
    }
}

/// Debit documents at the cutoff with their applied total and last application date as of
/// the cutoff. The stored totals are used unless the document has applications after it.
const DOCUMENTS: &str = "
    SELECT d.cid, d.did, d.doc_date, ifnull(d.due_date, d.doc_date), d.amount, d.rate,
           CASE WHEN d.last_applied IS NULL OR d.last_applied <= ?1 THEN d.applied
                ELSE (SELECT ifnull(sum(a.amount), 0) FROM applications a
                       WHERE a.did = d.did AND a.date <= ?1) END,
           CASE WHEN d.last_applied IS NULL OR d.last_applied <= ?1 THEN d.last_applied
                ELSE (SELECT max(a.date) FROM applications a
                       WHERE a.did = d.did AND a.date <= ?1) END,
           d.id, d.currency
      FROM documents d
     WHERE d.kind <> 'credit_note' AND d.doc_date <= ?1 AND (?2 IS NULL OR d.cid = ?2)
     ORDER BY d.cid";

/// Whether issue `i` is open at ?1: the latest resolve / reopen event on or before it decides.
const ISSUE_OPEN_AT: &str = "ifnull((SELECT e.kind FROM issue_events e
                         WHERE e.issue_id = i.id AND e.event_date <= ?1
                         ORDER BY e.event_date DESC, e.id DESC LIMIT 1), 'reopen') = 'reopen'";

/// Per document named by an issue opened by the cutoff: when the first was opened, and
/// whether one is open at the cutoff.
fn disputed_documents_sql() -> String {
    format!(
        "SELECT x.did, min(i.opened_date), max({ISSUE_OPEN_AT})
           FROM issues i JOIN issue_documents x ON x.issue_id = i.id
          WHERE i.opened_date <= ?1 AND (?2 IS NULL OR i.cid = ?2)
          GROUP BY x.did"
    )
}

/// Issues open at the cutoff, per customer.
fn open_issues_sql() -> String {
    format!(
        "SELECT i.cid, count(*) FROM issues i
          WHERE i.opened_date <= ?1 AND (?2 IS NULL OR i.cid = ?2) AND {ISSUE_OPEN_AT}
          GROUP BY i.cid"
    )
}

/// Promises recorded by the cutoff and not voided by then, with what was applied towards
/// them from the day they were recorded to the earlier of the cutoff and their date plus
/// grace (?3): to the documents they name, or to any of the customer's when they name none;
/// and whether the documents they name are settled in full by then (kept: see
/// `documents_settled_sql`).
fn promises_sql() -> String {
    format!(
        "
    SELECT p.id, p.cid, p.amount, p.promised_date, p.recorded_date,
           CASE WHEN EXISTS (SELECT 1 FROM promise_documents pd WHERE pd.promise_id = p.id)
                THEN (SELECT ifnull(sum(a.amount), 0)
                        FROM promise_documents pd JOIN applications a ON a.did = pd.did
                       WHERE pd.promise_id = p.id
                         AND a.date BETWEEN p.recorded_date AND min(?1, p.promised_date + ?3))
                ELSE (SELECT ifnull(sum(a.amount), 0)
                        FROM documents d JOIN applications a ON a.did = d.did
                       WHERE d.cid = p.cid
                         AND a.date BETWEEN p.recorded_date AND min(?1, p.promised_date + ?3))
           END,
           (SELECT group_concat(pd.did) FROM promise_documents pd WHERE pd.promise_id = p.id),
           ifnull(p.currency, (SELECT c.currency FROM customers c WHERE c.cid = p.cid)),
           {}
      FROM promises p
     WHERE p.recorded_date <= ?1 AND (?2 IS NULL OR p.cid = ?2)
       AND NOT EXISTS (SELECT 1 FROM promise_voids v
                        WHERE v.promise_id = p.id AND date(v.at, 'localtime') <= ?4)
     ORDER BY p.recorded_date, p.id",
        crate::store::activity::promises::documents_settled_sql(
            "p",
            "min(?1, p.promised_date + ?3)"
        )
    )
}

/// Failed or timed-out payment attempts up to a year before the cutoff.
const FAILED_ATTEMPTS: &str = "
    SELECT cid, date FROM payments
     WHERE status IN ('failure', 'timeout') AND date <= ?1 AND date > ?1 - 366
       AND (?2 IS NULL OR cid = ?2)";

/// How each customer pays, which groups customers for the prior.
const PAYMENT_GROUPS: &str = "
    SELECT cid, auto_collection, primary_payment_method FROM customers
     WHERE ?1 IS NULL OR cid = ?1";

/// What the side tables say about one customer.
#[derive(Default)]
struct CustomerSide {
    group: Option<String>,
    promises: Vec<CustomerPromise>,
    kept: u32,
    broken: u32,
    failed: Vec<Date>,
    open_issues: u32,
}

/// What the side tables say about one document.
#[derive(Default, Clone, Copy)]
struct DocumentSide {
    /// Day number of the first issue opened on it.
    first_issue: Option<i32>,
    issue_open: bool,
}

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// Reads every customer's payment history as of `q.cutoff` (see the module docs).
    pub fn histories(&self, q: &HistoryQuery) -> Result<Histories> {
        let cutoff = day_number(q.cutoff);
        let (mut customers, documents) = self.history_sides(q)?;
        let mut out = Histories::default();
        let mut rates: HashMap<String, Decimal> = HashMap::new();
        let mut stmt = self.conn().prepare_cached(DOCUMENTS)?;
        let mut rows = stmt.query(params![cutoff, q.customer])?;
        let mut current: Option<CustomerHistory> = None;
        while let Some(r) = rows.next()? {
            let cid: i64 = r.get(0)?;
            if current.as_ref().is_none_or(|h| h.cid != cid) {
                if let Some(done) = current.take() {
                    out.customers.push(done);
                }
                let side = customers.remove(&cid).unwrap_or_default();
                current = Some(CustomerHistory {
                    cid,
                    promises: side.promises,
                    kept_promises: side.kept,
                    broken_promises: side.broken,
                    failed_attempts: side.failed,
                    open_issues: side.open_issues,
                    group: side.group,
                    ..Default::default()
                });
            }
            let Some(h) = current.as_mut() else {
                continue;
            };
            let did: i64 = r.get(1)?;
            let doc_date = from_day_number(r.get(2)?);
            let due_date = from_day_number(r.get(3)?);
            let amount_units: i64 = r.get(4)?;
            let rate_text = r.get_ref(5)?.as_str().map_err(rusqlite::Error::from)?;
            let rate = match rates.get(rate_text) {
                Some(rate) => *rate,
                None => {
                    let rate = crate::store::stored_rate(rate_text)?;
                    rates.insert(rate_text.to_string(), rate);
                    rate
                }
            };
            let applied: i64 = r.get(6)?;
            let last: Option<i32> = r.get(7)?;
            let base = |units: i64| {
                let amount = money::from_units(units);
                let converted = if rate == Decimal::ONE {
                    amount
                } else {
                    amount * rate
                };
                money::round_to_currency(converted, &q.base_currency)
            };
            let side = if documents.is_empty() {
                DocumentSide::default()
            } else {
                documents.get(&did).copied().unwrap_or_default()
            };
            if applied >= amount_units {
                let settled = last.unwrap_or(r.get(2)?);
                h.settled.push(SettledDoc {
                    key: did,
                    doc_date,
                    due_date,
                    amount: base(amount_units),
                    settled: from_day_number(settled),
                    disputed: side.first_issue.is_some_and(|d| d <= settled),
                    dispute_opened: side.first_issue.map(from_day_number),
                });
            } else {
                h.open.push(OpenDoc {
                    key: did,
                    doc_date,
                    due_date,
                    amount: base(amount_units),
                    balance: base(amount_units - applied),
                    own_balance: money::from_units(amount_units - applied),
                    currency: r.get(9)?,
                    disputed: side.issue_open,
                    dispute_opened: side.first_issue.map(from_day_number),
                });
                if q.with_ids {
                    out.document_ids.insert(did, r.get(8)?);
                }
            }
        }
        if let Some(done) = current.take() {
            out.customers.push(done);
        }
        Ok(out)
    }

    /// Loads the side tables: per customer (open promises, kept and broken
    /// counts, failed attempts, open issues) and per document (issues, promises).
    fn history_sides(
        &self,
        q: &HistoryQuery,
    ) -> Result<(HashMap<i64, CustomerSide>, HashMap<i64, DocumentSide>)> {
        let cutoff = day_number(q.cutoff);
        let mut customers: HashMap<i64, CustomerSide> = HashMap::new();
        let mut documents: HashMap<i64, DocumentSide> = HashMap::new();

        let mut stmt = self.conn().prepare_cached(PAYMENT_GROUPS)?;
        let mut rows = stmt.query(params![q.customer])?;
        while let Some(r) = rows.next()? {
            let auto: Option<i64> = r.get(1)?;
            let method: Option<String> = r.get(2)?;
            if auto.is_some() || method.is_some() {
                let auto = match auto {
                    Some(0) => "manual",
                    Some(_) => "automatic",
                    None => "unknown",
                };
                let method = method.as_deref().unwrap_or("unknown");
                customers.entry(r.get(0)?).or_default().group = Some(format!("{auto} {method}"));
            }
        }

        let mut stmt = self.conn().prepare_cached(&disputed_documents_sql())?;
        let mut rows = stmt.query(params![cutoff, q.customer])?;
        while let Some(r) = rows.next()? {
            let side = documents.entry(r.get(0)?).or_default();
            side.first_issue = r.get(1)?;
            side.issue_open = r.get::<_, i64>(2)? != 0;
        }

        let mut stmt = self.conn().prepare_cached(&open_issues_sql())?;
        let mut rows = stmt.query(params![cutoff, q.customer])?;
        while let Some(r) = rows.next()? {
            let n: i64 = r.get(1)?;
            customers.entry(r.get(0)?).or_default().open_issues = u32::try_from(n).unwrap_or(0);
        }

        let mut stmt = self.conn().prepare_cached(FAILED_ATTEMPTS)?;
        let mut rows = stmt.query(params![cutoff, q.customer])?;
        while let Some(r) = rows.next()? {
            let date = from_day_number(r.get(1)?);
            customers.entry(r.get(0)?).or_default().failed.push(date);
        }

        let mut rates = super::rates::RateCache::new(&self.store, &q.base_currency);
        let mut stmt = self.conn().prepare_cached(&promises_sql())?;
        let cutoff_text = q.cutoff.to_string();
        let mut rows = stmt.query(params![
            cutoff,
            q.customer,
            q.promise_grace_days,
            cutoff_text
        ])?;
        while let Some(r) = rows.next()? {
            let cid: i64 = r.get(1)?;
            let amount = money::from_units(r.get(2)?);
            let promise = Promise {
                amount,
                promised_on: from_day_number(r.get(4)?),
                due: from_day_number(r.get(3)?),
                voided: false,
                documents_settled: r.get(8)?,
            };
            let received = money::from_units(r.get(5)?);
            let progress = promise_progress(
                &promise,
                &[(promise.promised_on, received)],
                q.cutoff,
                q.promise_grace_days,
            );
            let named: Option<String> = r.get(6)?;
            let side = customers.entry(cid).or_default();
            match progress.state {
                PromiseState::Kept => side.kept += 1,
                PromiseState::Broken | PromiseState::PartiallyKept => side.broken += 1,
                PromiseState::Voided => {}
                PromiseState::Open => {
                    // In the promise's currency (the customer's when it names none): in the
                    // base currency, as the documents' balances it is set against are (a yen
                    // promise covered every invoice).
                    let currency: Option<String> = r.get(7)?;
                    let rate = match &currency {
                        Some(c) => rates.rate(c, r.get(4)?)?,
                        None => Decimal::ONE,
                    };
                    let documents = named
                        .iter()
                        .flat_map(|list| list.split(','))
                        .filter_map(|t| t.parse::<i64>().ok())
                        .collect();
                    // Rounded as each document's base balance is.
                    side.promises.push(CustomerPromise {
                        date: promise.due,
                        amount: money::round_to_currency(
                            progress.remaining * rate,
                            &q.base_currency,
                        ),
                        documents,
                        own_amount: progress.remaining,
                        currency: currency.unwrap_or_else(|| q.base_currency.clone()),
                        rate,
                    });
                }
            }
        }
        Ok((customers, documents))
    }
}
