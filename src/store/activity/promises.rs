//! Promises to pay with their derived state.
//!
//! A promise's state is never stored: it is worked out as of a date by
//! [`promise_progress`] from the receipts applied to its documents — or to any of the
//! customer's invoices and debit notes when it names none — dated from the day it was recorded.
//! A promise is in its customer's currency; receipts applied to documents in another currency
//! are converted through the base currency (the document's rate, and the promise's rate of the
//! day it was recorded).

use crate::Result;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::document::NamedDocument;
use crate::domain::promise::{Promise, PromiseProgress, PromiseState, promise_progress};
use crate::domain::{Date, Decimal, money};
use crate::store::Activity;
use crate::store::ledger::rates::RateCache;
use crate::store::{DOCUMENT_ORDER, Store};
use rusqlite::types::Value;
use std::collections::HashMap;

/// A promise as recorded, with its state as of a date.
#[derive(Debug, Clone, PartialEq)]
pub struct PromiseView {
    pub id: i64,
    pub cid: i64,
    pub at: String,
    pub collector: String,
    /// In `currency`, the customer's.
    pub amount: Decimal,
    pub currency: String,
    /// The date the customer promised to pay by.
    pub date: Date,
    /// The day it was recorded: receipts count from it.
    pub recorded: Date,
    pub text: Option<String>,
    /// The documents it names; empty for the customer as a whole.
    pub documents: Vec<NamedDocument>,
    pub void: Option<Void>,
    /// State, paid and remaining as of the date asked for.
    pub progress: PromiseProgress,
}

impl PromiseView {
    /// `remaining` in the base currency at the rate of the day the promise was recorded.
    pub fn base_remaining(&self, rates: &mut RateCache) -> Result<Decimal> {
        self.in_base(self.progress.remaining, rates)
    }

    /// `amount` of the promise's currency in the base currency, at the rate of the day the
    /// promise was recorded.
    pub fn in_base(&self, amount: Decimal, rates: &mut RateCache) -> Result<Decimal> {
        let rate = rates.rate(&self.currency, day_number(self.recorded))?;
        Ok(money::round_to_currency(amount * rate, rates.base()))
    }
}

/// Who voided a promise, when, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Void {
    pub at: String,
    pub collector: String,
    pub text: Option<String>,
}

/// Which promises to load.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PromiseFilter {
    /// Every promise of one customer.
    Customer(i64),
    /// Those that can be open at a date: recorded by then, not voided by then, date + grace
    /// not passed. (Kept ones among them are dropped after the derivation.)
    OpenAt { day: i32, grace: u32 },
    /// Every promise recorded on or before a day.
    RecordedBy { day: i32 },
    /// Those recorded from `from` through `to`, and those recorded by `to` whose deadline
    /// (date + grace) is `from` or later (the team figures).
    RecordedOrDueSince { from: i32, to: i32, grace: u32 },
}

impl PromiseFilter {
    /// The `WHERE` condition on `promises p` and its parameters, in order.
    fn sql(self) -> (String, Vec<Value>) {
        match self {
            PromiseFilter::Customer(cid) => ("p.cid = ?".into(), vec![Value::Integer(cid)]),
            PromiseFilter::OpenAt { day, grace } => (
                format!(
                    "p.recorded_date <= ? AND p.promised_date + ? >= ?
                     AND NOT EXISTS (SELECT 1 FROM promise_voids v
                                      WHERE v.promise_id = p.id AND {} <= ?)",
                    crate::store::queue::day_of("v.at")
                ),
                vec![day.into(), i64::from(grace).into(), day.into(), day.into()],
            ),
            PromiseFilter::RecordedBy { day } => ("p.recorded_date <= ?".into(), vec![day.into()]),
            PromiseFilter::RecordedOrDueSince { from, to, grace } => (
                "p.recorded_date <= ? AND (p.recorded_date >= ? OR p.promised_date + ? >= ?)"
                    .into(),
                vec![to.into(), from.into(), i64::from(grace).into(), from.into()],
            ),
        }
    }
}

impl<S: std::ops::Deref<Target = Store>> Activity<S> {
    /// Every promise of a customer with its state as of `as_of`, newest first.
    pub fn customer_promises(
        &self,
        cid: i64,
        as_of: Date,
        grace_days: u32,
        base: &str,
    ) -> Result<Vec<PromiseView>> {
        let mut out =
            self.promises_where(PromiseFilter::Customer(cid), as_of, grace_days, base, true)?;
        out.sort_by_key(|x| std::cmp::Reverse(x.id));
        Ok(out)
    }

    /// Whether customer `cid` has a promise that may pause its reminders at `as_of`: recorded
    /// by then, not voided, its date not passed (whether it is kept is not looked at: a
    /// cheap first look before [`Activity::customer_promises`]).
    pub fn may_have_open_promise(&self, cid: i64, as_of: Date) -> Result<bool> {
        let day = day_number(as_of);
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM promises p
                             WHERE p.cid = ?1 AND p.recorded_date <= ?2 AND p.promised_date >= ?2
                               AND NOT EXISTS (SELECT 1 FROM promise_voids v
                                                WHERE v.promise_id = p.id))",
            )?
            .query_row(rusqlite::params![cid, day], |r| r.get(0))?)
    }

    /// Every promise recorded on or before `as_of`, with its state then, oldest first.
    pub fn promises_recorded_by(
        &self,
        as_of: Date,
        grace_days: u32,
        base: &str,
    ) -> Result<Vec<PromiseView>> {
        let filter = PromiseFilter::RecordedBy {
            day: day_number(as_of),
        };
        let mut out = self.promises_where(filter, as_of, grace_days, base, true)?;
        out.sort_by_key(|p| (p.recorded, p.id));
        Ok(out)
    }

    /// Every promise open at `as_of` (not kept, not voided, date + grace not passed).
    pub fn open_promises(
        &self,
        as_of: Date,
        grace_days: u32,
        base: &str,
    ) -> Result<Vec<PromiseView>> {
        self.open_promises_with(as_of, grace_days, base, true)
    }

    fn open_promises_with(
        &self,
        as_of: Date,
        grace_days: u32,
        base: &str,
        with_documents: bool,
    ) -> Result<Vec<PromiseView>> {
        let filter = PromiseFilter::OpenAt {
            day: day_number(as_of),
            grace: grace_days,
        };
        let mut out = self.promises_where(filter, as_of, grace_days, base, with_documents)?;
        out.retain(|p| p.progress.state == PromiseState::Open);
        Ok(out)
    }

    /// The amount still expected from open promises at `as_of`, in the base currency:
    /// Σ remaining of the promises open then (`open_p2p_amount`).
    pub fn open_promise_amount(&self, as_of: Date, grace_days: u32, base: &str) -> Result<Decimal> {
        Ok(self
            .open_promise_amounts(as_of, grace_days, base)?
            .values()
            .sum())
    }

    /// [`Activity::open_promise_amount`] per customer (key): what the metrics of a part of the
    /// portfolio add up.
    pub fn open_promise_amounts(
        &self,
        as_of: Date,
        grace_days: u32,
        base: &str,
    ) -> Result<HashMap<i64, Decimal>> {
        let mut rates = RateCache::new(&self.store, base);
        let mut out: HashMap<i64, Decimal> = HashMap::new();
        for p in self.open_promises_with(as_of, grace_days, base, false)? {
            *out.entry(p.cid).or_default() += p.base_remaining(&mut rates)?;
        }
        Ok(out)
    }

    /// Loads the promises a filter selects and derives their state as of `as_of`.
    /// `with_documents`: also read the ids of the documents each names (views need them,
    /// totals do not).
    pub(crate) fn promises_where(
        &self,
        filter: PromiseFilter,
        as_of: Date,
        grace_days: u32,
        base: &str,
        with_documents: bool,
    ) -> Result<Vec<PromiseView>> {
        let (cond, args) = filter.sql();
        let mut promises = self.promise_rows(&cond, &args, base)?;
        if promises.is_empty() {
            return Ok(promises);
        }
        let index: HashMap<i64, usize> = promises
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        if with_documents {
            self.attach_documents(&cond, &args, &mut promises, &index)?;
        }
        let receipts = self.receipts(&cond, &args, as_of, &promises, &index, base)?;
        let settled = self.documents_settled(&cond, &args, as_of, grace_days)?;
        for (i, p) in promises.iter_mut().enumerate() {
            let recorded = Promise {
                amount: p.amount,
                promised_on: p.recorded,
                due: p.date,
                // Voided by `as_of` (a void recorded later has not happened yet).
                voided: p
                    .void
                    .as_ref()
                    .is_some_and(|v| crate::store::local_day(&v.at).is_none_or(|d| d <= as_of)),
                documents_settled: settled.contains(&p.id),
            };
            let empty = Vec::new();
            let counted = receipts.get(&i).unwrap_or(&empty);
            p.progress = promise_progress(&recorded, counted, as_of, grace_days);
        }
        Ok(promises)
    }

    fn promise_rows(&self, cond: &str, args: &[Value], base: &str) -> Result<Vec<PromiseView>> {
        let sql = format!(
            "SELECT p.id, p.cid, p.at, p.collector, p.amount, p.promised_date, p.recorded_date,
                    p.text, ifnull(p.currency, c.currency), v.at, v.collector, v.text
               FROM promises p CROSS JOIN customers c ON c.cid = p.cid
               LEFT JOIN promise_voids v ON v.promise_id = p.id
              WHERE {cond}"
        );
        crate::store::rows(self.conn(), &sql, rusqlite::params_from_iter(args), |r| {
            let amount = money::from_units(r.get(4)?);
            let void_at: Option<String> = r.get(9)?;
            Ok(PromiseView {
                id: r.get(0)?,
                cid: r.get(1)?,
                at: r.get(2)?,
                collector: r.get(3)?,
                amount,
                currency: r
                    .get::<_, Option<String>>(8)?
                    .unwrap_or_else(|| base.to_string()),
                date: from_day_number(r.get(5)?),
                recorded: from_day_number(r.get(6)?),
                text: r.get(7)?,
                documents: Vec::new(),
                void: match void_at {
                    Some(at) => Some(Void {
                        at,
                        collector: r.get(10)?,
                        text: r.get(11)?,
                    }),
                    None => None,
                },
                progress: PromiseProgress {
                    state: PromiseState::Open,
                    paid: Decimal::ZERO,
                    remaining: amount,
                },
            })
        })
    }

    fn attach_documents(
        &self,
        cond: &str,
        args: &[Value],
        promises: &mut [PromiseView],
        index: &HashMap<i64, usize>,
    ) -> Result<()> {
        let sql = format!(
            "SELECT pd.promise_id, d.did, d.id, d.number
               FROM promises p CROSS JOIN promise_documents pd ON pd.promise_id = p.id
               CROSS JOIN documents d ON d.did = pd.did
              WHERE {cond} ORDER BY pd.promise_id, ifnull(d.due_date, d.doc_date), {DOCUMENT_ORDER}"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
                promises[i].documents.push(NamedDocument {
                    did: r.get(1)?,
                    id: r.get(2)?,
                    number: r.get(3)?,
                });
            }
        }
        Ok(())
    }

    /// The ids of the promises a filter selects whose documents are settled in full as of
    /// `as_of`, or as of their date plus grace when that is earlier
    /// ([`documents_settled_sql`]).
    fn documents_settled(
        &self,
        cond: &str,
        args: &[Value],
        as_of: Date,
        grace_days: u32,
    ) -> Result<std::collections::HashSet<i64>> {
        let through = format!("min(?, p.promised_date + {grace_days})");
        let sql = format!(
            "SELECT p.id FROM promises p WHERE ({cond}) AND {}",
            documents_settled_sql("p", &through)
        );
        let mut all = args.to_vec();
        all.push(day_number(as_of).into());
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let ids = stmt
            .query_map(rusqlite::params_from_iter(all), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// The receipts counted towards each promise (by position in `promises`), as (date,
    /// amount in the promise's currency), from its recorded day through `as_of`.
    fn receipts(
        &self,
        cond: &str,
        args: &[Value],
        as_of: Date,
        promises: &[PromiseView],
        index: &HashMap<i64, usize>,
        base: &str,
    ) -> Result<HashMap<usize, Vec<(Date, Decimal)>>> {
        let sql = receipts_sql(
            &format!("SELECT p.id, p.cid, p.recorded_date FROM promises p WHERE {cond}"),
            "?",
        );
        let mut all = args.to_vec();
        all.push(day_number(as_of).into());
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(all))?;
        let mut rates = RateCache::new(&self.store, base);
        let mut out: HashMap<usize, Vec<(Date, Decimal)>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let Some(&i) = index.get(&r.get::<_, i64>(0)?) else {
                continue;
            };
            let p = &promises[i];
            let amount = receipt_in(
                &mut rates,
                money::from_units(r.get(4)?),
                (&r.get::<_, String>(2)?, &r.get::<_, String>(3)?),
                &p.currency,
                day_number(p.recorded),
            )?;
            out.entry(i)
                .or_default()
                .push((from_day_number(r.get(1)?), amount));
        }
        Ok(out)
    }
}

/// SQL: whether the documents the promise `p` (a table alias) names are settled in full
/// through the day `through` (SQL over `p`): every invoice and debit note of them has
/// applications dated by then that add up to its amount. What was promised cannot be more
/// than they came to (an invoice corrected down after the promise, then paid): the promise
/// is kept. False for a promise that names none. The activity view, the queue's flags and
/// the forecast's history read the same, so that they agree on every promise.
pub(in crate::store) fn documents_settled_sql(p: &str, through: &str) -> String {
    format!(
        "(EXISTS (SELECT 1 FROM promise_documents sx WHERE sx.promise_id = {p}.id)
          AND NOT EXISTS (SELECT 1 FROM promise_documents sx
                            CROSS JOIN documents sd ON sd.did = sx.did
                           WHERE sx.promise_id = {p}.id AND sd.kind <> 'credit_note'
                             AND sd.amount > (SELECT ifnull(sum(sa.amount), 0)
                                                FROM applications sa
                                               WHERE sa.did = sd.did AND sa.date <= {through})))"
    )
}

/// What receipts towards a promise are made of, per promise, day and document currency and
/// rate: the applications from the promise's recorded day through the as-of day to the
/// documents it names, or to any of the customer's invoices and debit notes when it names
/// none. `selected` is a query of the promises' `(id, cid, recorded_date)` and `as_of` the
/// as-of day's parameter (`?`, after those of `selected`, or `?1`); the rows are
/// `(promise id, day, document currency, document rate, amount in units)`. The activity view
/// and the queue's flags read the same rows, so that they agree on every promise.
pub(in crate::store) fn receipts_sql(selected: &str, as_of: &str) -> String {
    format!(
        "WITH sel AS MATERIALIZED ({selected}),
         targets AS (
            SELECT sel.id AS promise_id, sel.recorded_date AS since, pd.did FROM sel
              CROSS JOIN promise_documents pd ON pd.promise_id = sel.id
            UNION ALL
            SELECT sel.id, sel.recorded_date, d.did FROM sel
             CROSS JOIN documents d ON d.cid = sel.cid
             WHERE d.kind <> 'credit_note'
               AND NOT EXISTS (SELECT 1 FROM promise_documents x WHERE x.promise_id = sel.id))
         SELECT t.promise_id, a.date, d.currency, d.rate, sum(a.amount)
           FROM targets t CROSS JOIN documents d ON d.did = t.did
           CROSS JOIN applications a ON a.did = t.did
          WHERE a.date >= t.since AND a.date <= {as_of}
          GROUP BY t.promise_id, a.date, d.currency, d.rate"
    )
}

/// A receipt on a document (`amount` in its currency, with its `(currency, rate)` as stored),
/// in the promise's currency: converted through the base currency at the document's rate and
/// the promise currency's rate on the day it was recorded, when the two differ.
pub(in crate::store) fn receipt_in(
    rates: &mut RateCache,
    amount: Decimal,
    (currency, rate): (&str, &str),
    promise_currency: &str,
    recorded_day: i32,
) -> Result<Decimal> {
    if currency == promise_currency {
        return Ok(amount);
    }
    let doc_rate = crate::store::stored_rate(rate)?;
    let promise_rate = rates.rate(promise_currency, recorded_day)?;
    if promise_rate.is_zero() {
        return Ok(amount);
    }
    Ok(money::round_to_currency(
        amount * doc_rate / promise_rate,
        promise_currency,
    ))
}
