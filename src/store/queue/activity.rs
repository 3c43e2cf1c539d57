//! Each customer's activity as the queue needs it: last contact and last call, the latest
//! promise's state, follow-ups due, open issues and unread replies, read in a few grouped
//! queries for every customer (or one, for a row to refresh).

use super::Queue;
use super::{OPEN_ISSUE, PromiseFlag, day_of};
use crate::Result;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::promise::{Promise, PromiseState, promise_progress};
use crate::domain::queue::Tab;
use crate::domain::{Date, Decimal, money};
use crate::store::Store;
use crate::store::activity::promises::{documents_settled_sql, receipt_in, receipts_sql};
use crate::store::ledger::rates::RateCache;
use rusqlite::params;
use std::collections::HashMap;

/// A customer's activity as the queue needs it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RowActivity {
    /// Day number.
    pub(crate) last_contact: Option<i32>,
    /// Day number of the last call, and the days from it to the as-of date.
    pub(crate) last_call: Option<(i32, i32)>,
    pub(crate) promise: PromiseFlag,
    pub(crate) followups_due: u32,
    pub(crate) open_issues: u32,
    pub(crate) unread_replies: u32,
    pub(crate) unverified_replies: u32,
}

impl RowActivity {
    /// The tabs a customer with this activity is in (1 or 0 per tab, in the order of
    /// [`Tab::ALL`]); `overdue`: it has something overdue.
    pub(crate) fn tabs(&self, overdue: bool) -> [u64; Tab::COUNT] {
        let mut tabs = [0u64; Tab::COUNT];
        tabs[Tab::Overdue.index()] = u64::from(overdue);
        tabs[Tab::All.index()] = 1;
        tabs[Tab::Promises.index()] = u64::from(matches!(
            self.promise,
            PromiseFlag::Due | PromiseFlag::Broken
        ));
        tabs[Tab::FollowUps.index()] = u64::from(self.followups_due > 0);
        tabs[Tab::Disputes.index()] = u64::from(self.open_issues > 0);
        tabs[Tab::Replies.index()] = u64::from(self.unread_replies > 0);
        tabs
    }
}

impl<S: std::ops::Deref<Target = Store>> Queue<S> {
    /// Per customer with any: last contact, latest promise's state, follow-ups due, open
    /// issues and unread replies at `as_of`; of every customer, or only of `only` (a row to
    /// refresh). Last contact is the latest note, call, promise or issue a collector
    /// recorded, reminder sent or verified reply: what a run wrote (a lockbox deduction) is
    /// none. A reply from an unverified sender is not contact, but it is unread: the
    /// Replies tab shows it for a person to judge.
    pub(crate) fn customer_activity(
        &self,
        as_of: Date,
        grace_days: u32,
        only: Option<i64>,
    ) -> Result<HashMap<i64, RowActivity>> {
        let day = day_number(as_of);
        let one = |column: &str| only.map_or(String::new(), |cid| format!(" AND {column} = {cid}"));
        let mut out: HashMap<i64, RowActivity> = HashMap::new();
        for (cid, recorded, flag) in self.latest_promise_flags(as_of, grace_days, only)? {
            let a = out.entry(cid).or_default();
            a.promise = flag;
            a.last_contact = Some(recorded);
        }
        // Notes and calls carry a timestamp: the latest per customer from the (cid, at) index,
        // compared as text against the start of the day after `as_of` here (no date
        // arithmetic per row).
        let next_day = crate::store::local_day_start(as_of + chrono::Days::new(1));
        // The day of the latest timestamp per customer in `table`, to `each` (cid, day).
        let latest_days = |table: &str, each: &mut dyn FnMut(i64, i32)| -> Result<()> {
            let mut stmt = self.conn().prepare(&format!(
                "SELECT t.cid, max(t.at) FROM {table} t WHERE t.at < ?1{} GROUP BY t.cid",
                one("t.cid")
            ))?;
            let mut rows = stmt.query(params![next_day])?;
            while let Some(r) = rows.next()? {
                let at: String = r.get(1)?;
                if let Some(d) = crate::store::local_day(&at) {
                    each(r.get(0)?, day_number(d));
                }
            }
            Ok(())
        };
        // The last call is contact, and kept apart too.
        latest_days("calls", &mut |cid, d| {
            let a = out.entry(cid).or_default();
            a.last_contact = a.last_contact.max(Some(d));
            a.last_call = Some((d, day - d));
        })?;
        let mut contact = |cid: i64, d: i32| {
            let last = &mut out.entry(cid).or_default().last_contact;
            *last = (*last).max(Some(d));
        };
        latest_days("notes", &mut contact)?;
        let dated = [
            // A promise is contact when it was made, voided later or not: the customer did
            // promise (its void took the customer's last contact away).
            format!(
                "SELECT cid, max(recorded_date) FROM promises WHERE recorded_date <= ?1{c}
                  GROUP BY cid",
                c = one("cid")
            ),
            // A dispute a collector opened; not a deduction a lockbox file opened in the
            // run's name (`deduction_payments`), which is no contact with the customer (as
            // the team's touches count them, `store::activity::team`).
            format!(
                "SELECT cid, max(opened_date) FROM issues WHERE opened_date <= ?1{c}
                    AND id NOT IN (SELECT issue_id FROM deduction_payments)
                  GROUP BY cid",
                c = one("cid")
            ),
            // From the index of sent reminders by customer alone (schema 13).
            format!(
                "SELECT cid, max(sent_date) FROM reminders INDEXED BY reminders_sent_customer
                  WHERE status = 'sent' AND sent_date <= ?1{c} GROUP BY cid",
                c = one("cid")
            ),
            format!(
                "SELECT cid, max(received_date) FROM replies
                  WHERE verified = 1 AND received_date <= ?1{c} GROUP BY cid",
                c = one("cid")
            ),
        ];
        for sql in &dated {
            let mut stmt = self.conn().prepare(sql)?;
            let mut rows = stmt.query(params![day])?;
            while let Some(r) = rows.next()? {
                contact(r.get(0)?, r.get(1)?);
            }
        }
        let followup_day = day_of("f.at");
        let done_day = day_of("d.at");
        let queries = [
            format!(
                "SELECT f.cid, count(*) FROM followups f
                  WHERE f.due_date <= ?1 AND {followup_day} <= ?1{f}
                    AND NOT EXISTS (SELECT 1 FROM followup_done d
                                     WHERE d.followup_id = f.id AND {done_day} <= ?1)
                  GROUP BY f.cid",
                f = one("f.cid"),
            ),
            format!(
                "SELECT i.cid, count(*) FROM issues i WHERE {OPEN_ISSUE}{i} GROUP BY i.cid",
                i = one("i.cid"),
            ),
            format!(
                "SELECT r.cid, count(*), sum(r.verified = 0) FROM replies r INDEXED BY replies_unread
                  WHERE r.read_at IS NULL AND r.received_date <= ?1{r} GROUP BY r.cid",
                r = one("r.cid"),
            ),
        ];
        for (i, sql) in queries.iter().enumerate() {
            let mut stmt = self.conn().prepare(sql)?;
            let mut rows = stmt.query(params![day])?;
            while let Some(r) = rows.next()? {
                let cid: i64 = r.get(0)?;
                let n: i64 = r.get(1)?;
                let a = out.entry(cid).or_default();
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                match i {
                    0 => a.followups_due = n,
                    1 => a.open_issues = n,
                    _ => {
                        a.unread_replies = n;
                        let unverified: i64 = r.get(2)?;
                        a.unverified_replies = u32::try_from(unverified).unwrap_or(u32::MAX);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The state of each customer's latest promise (by recorded date, then id; one voided by
    /// `as_of` does not count) at `as_of`, for the customers who have one. Receipts count in
    /// the document's currency: a promise on a document in another currency than the
    /// customer's is converted only in the activity view.
    fn latest_promise_flags(
        &self,
        as_of: Date,
        grace_days: u32,
        only: Option<i64>,
    ) -> Result<Vec<(i64, i32, PromiseFlag)>> {
        let day = day_number(as_of);
        let one = only.map_or(String::new(), |cid| format!(" AND p.cid = {cid}"));
        let void_day = day_of("v.at");
        // Each customer's latest promise in one pass: SQLite takes the bare columns from the
        // row holding the max (recorded date, then id).
        // A promise voided by `as_of` does not count (the customer's previous one does), as in
        // the activity view; voids are few: their list once, not a lookup per promise.
        let not_voided = format!(
            "p.id NOT IN (SELECT v.promise_id FROM promise_voids v WHERE {void_day} <= ?1)"
        );
        let latest = format!(
            "SELECT p.id, p.cid, p.amount, p.recorded_date, p.promised_date,
                    max(p.recorded_date * 4294967296 + p.id)
               FROM promises p WHERE p.recorded_date <= ?1 AND {not_voided}{one} GROUP BY p.cid"
        );
        let mut stmt = self.conn().prepare(&latest)?;
        let rows: Vec<(i64, i64, Promise)> = stmt
            .query_map(params![day], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    Promise {
                        amount: money::from_units(r.get(2)?),
                        promised_on: from_day_number(r.get(3)?),
                        due: from_day_number(r.get(4)?),
                        voided: false,
                        documents_settled: false,
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        // Every latest promise's receipts in one query: what was applied from its recording
        // to `as_of` to the documents it names (a seek each), or to any of the customer's
        // invoices and debit notes when it names none. Earlier receipts never count, so they
        // are not read. CROSS JOIN keeps SQLite from scanning every application. Receipts
        // count in the documents' currencies: the same as the promise's, except for the
        // customers marked `other_currency`, whose are read again below, converted.
        let mut receipts: HashMap<i64, Vec<(Date, Decimal)>> = HashMap::new();
        let mut stmt = self.conn().prepare(&format!(
            "WITH latest AS MATERIALIZED (
                SELECT p.id, p.cid, p.recorded_date AS since, max(p.recorded_date * 4294967296 + p.id)
                  FROM promises p WHERE p.recorded_date <= ?1 AND {not_voided}{one} GROUP BY p.cid)
             SELECT l.id, a.date, a.amount
               FROM latest l CROSS JOIN promise_documents pd ON pd.promise_id = l.id
                    CROSS JOIN applications a ON a.did = pd.did AND a.date >= l.since AND a.date <= ?1
             UNION ALL
             SELECT l.id, a.date, a.amount
               FROM latest l CROSS JOIN documents d ON d.cid = l.cid
                    CROSS JOIN applications a ON a.did = d.did AND a.date >= l.since AND a.date <= ?1
              WHERE d.kind <> 'credit_note'
                AND NOT EXISTS (SELECT 1 FROM promise_documents pd WHERE pd.promise_id = l.id)"
        ))?;
        let mut found = stmt.query(params![day])?;
        while let Some(r) = found.next()? {
            receipts
                .entry(r.get(0)?)
                .or_default()
                .push((from_day_number(r.get(1)?), money::from_units(r.get(2)?)));
        }
        self.convert_other_currency_receipts(&not_voided, &one, day, &mut receipts)?;
        let none = Vec::new();
        let mut judged: Vec<(i64, i64, Promise, PromiseState)> = rows
            .into_iter()
            .map(|(id, cid, promise)| {
                let receipts = receipts.get(&id).unwrap_or(&none);
                let state = promise_progress(&promise, receipts, as_of, grace_days).state;
                (id, cid, promise, state)
            })
            .collect();
        // A promise not kept by its receipts is kept when the documents it names are settled
        // in full by its date plus grace: asked of those promises alone, most being kept by
        // their receipts (a lookup of every latest promise's documents and their
        // applications cost the first frame about 150 ms at 100,000 customers).
        let unsettled: Vec<i64> = judged
            .iter()
            .filter(|(.., state)| !matches!(state, PromiseState::Kept | PromiseState::Voided))
            .map(|(id, ..)| *id)
            .collect();
        if !unsettled.is_empty() {
            let ids = serde_json::to_string(&unsettled).unwrap_or_else(|_| "[]".into());
            let settled: std::collections::HashSet<i64> = self
                .conn()
                .prepare(&format!(
                    "SELECT p.id FROM json_each(?2) j CROSS JOIN promises p ON p.id = j.value
                      WHERE {}",
                    documents_settled_sql("p", &format!("min(?1, p.promised_date + {grace_days})"))
                ))?
                .query_map(params![day, ids], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for (id, _, promise, state) in &mut judged {
                if settled.contains(id) {
                    promise.documents_settled = true;
                    let receipts = receipts.get(id).unwrap_or(&none);
                    *state = promise_progress(promise, receipts, as_of, grace_days).state;
                }
            }
        }
        let mut out = Vec::with_capacity(judged.len());
        for (_, cid, promise, state) in judged {
            let flag = match state {
                PromiseState::Open if promise.due > as_of => PromiseFlag::Open,
                PromiseState::Open => PromiseFlag::Due,
                PromiseState::Broken | PromiseState::PartiallyKept => PromiseFlag::Broken,
                PromiseState::Kept | PromiseState::Voided => PromiseFlag::None,
            };
            out.push((cid, day_number(promise.promised_on), flag));
        }
        Ok(out)
    }

    /// The receipts of the latest promises of the customers marked `other_currency`, read
    /// again as the activity view reads them ([`receipts_sql`]: per day and document currency
    /// and rate) and converted into each promise's currency ([`receipt_in`]), in place of
    /// those counted in the documents' currencies. Few customers are marked, so few rows.
    fn convert_other_currency_receipts(
        &self,
        not_voided: &str,
        one: &str,
        day: i32,
        receipts: &mut HashMap<i64, Vec<(Date, Decimal)>>,
    ) -> Result<()> {
        let marked = format!(
            "SELECT p.id, p.cid, p.recorded_date, max(p.recorded_date * 4294967296 + p.id),
                    coalesce(p.currency, c.currency, ?2) AS currency
               FROM customers c INDEXED BY customers_other_currency
                    CROSS JOIN promises p ON p.cid = c.cid
              WHERE c.other_currency AND p.recorded_date <= ?1 AND {not_voided}{one}
              GROUP BY p.cid"
        );
        let base = self.store.base_currency()?.unwrap_or_default();
        // A promise is in its customer's currency (the base currency when it has none).
        let rows: Vec<(i64, (String, i32))> =
            crate::store::rows(self.conn(), &marked, params![day, base], |r| {
                Ok((r.get(0)?, (r.get(4)?, r.get(2)?)))
            })?;
        let promises: HashMap<i64, (String, i32)> = rows.into_iter().collect();
        if promises.is_empty() {
            return Ok(());
        }
        // Those promises by key (integers, read just above), not the query again.
        let ids: Vec<String> = promises.keys().map(i64::to_string).collect();
        let sql = receipts_sql(
            &format!(
                "SELECT id, cid, recorded_date FROM promises WHERE id IN ({})",
                ids.join(", ")
            ),
            "?1",
        );
        let mut rates = RateCache::new(&self.store, &base);
        for id in promises.keys() {
            receipts.remove(id);
        }
        let mut stmt = self.conn().prepare(&sql)?;
        let mut found = stmt.query(params![day])?;
        while let Some(r) = found.next()? {
            let id: i64 = r.get(0)?;
            let Some((currency, recorded)) = promises.get(&id) else {
                continue;
            };
            let amount = receipt_in(
                &mut rates,
                money::from_units(r.get(4)?),
                (&r.get::<_, String>(2)?, &r.get::<_, String>(3)?),
                currency,
                *recorded,
            )?;
            receipts
                .entry(id)
                .or_default()
                .push((from_day_number(r.get(1)?), amount));
        }
        Ok(())
    }
}
