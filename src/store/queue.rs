//! The collector's queue, paged from SQL.
//!
//! Every customer's figures as of a date are computed once (one pass over the open items, by
//! the caller) and written into the connection's TEMP table `queue`, one row per customer, with
//! an index for each sort key. The workstation then asks only for the page it shows
//! (`ORDER BY … LIMIT … OFFSET …`) and for the tab counts, so 100k customers cost what 40 do.
//! The table lives as long as the connection and is rebuilt when the as-of date or the data
//! changes.

use super::Store;
use super::queue_risk::risk_from_code;
use crate::Result;
use crate::domain::aging::{AgingBounds, Figures};
use crate::domain::date::{day_number, from_day_number};
use crate::domain::promise::{Promise, PromiseState, promise_progress};
use crate::domain::queue::{AmountField, BucketSel, Predicate, QueueQuery, Scope, SortKey, Tab};
pub use crate::domain::queue::{
    IssueReason, PromiseFlag, QueueCounts, QueuePage, QueueRow, SummaryFigures,
};
use crate::domain::{Date, Decimal, money};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter};
use std::collections::HashMap;

/// A customer's activity as the queue needs it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Activity {
    /// Day number.
    pub(crate) last_contact: Option<i32>,
    pub(crate) promise: PromiseFlag,
    pub(crate) followups_due: u32,
    pub(crate) open_issues: u32,
    pub(crate) unread_replies: u32,
    pub(crate) unverified_replies: u32,
}

impl Activity {
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

/// The tab counts without a filter, for everyone and per finance owner, counted while the
/// queue table is built.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnfilteredCounts {
    pub everyone: [u64; Tab::COUNT],
    /// By finance owner, lowercased (owners compare without case).
    pub by_owner: HashMap<String, [u64; Tab::COUNT]>,
}

impl UnfilteredCounts {
    fn add(&mut self, owner: Option<&str>, tabs: [u64; Tab::COUNT]) {
        for (total, n) in self.everyone.iter_mut().zip(tabs) {
            *total += n;
        }
        if let Some(owner) = owner {
            let slot = self.by_owner.entry(owner.to_ascii_lowercase()).or_default();
            for (total, n) in slot.iter_mut().zip(tabs) {
                *total += n;
            }
        }
    }

    /// One customer (with this finance owner) left the Replies tab: its replies were read.
    pub fn replies_read(&mut self, owner: Option<&str>) {
        let i = Tab::Replies.index();
        self.everyone[i] = self.everyone[i].saturating_sub(1);
        if let Some(slot) = owner.and_then(|o| self.by_owner.get_mut(&o.to_ascii_lowercase())) {
            slot[i] = slot[i].saturating_sub(1);
        }
    }

    /// The counts of an unfiltered query (`None` when it has a filter).
    pub fn for_query(&self, query: &QueueQuery) -> Option<QueueCounts> {
        if !query.filter.is_empty() {
            return None;
        }
        match query.scope {
            Scope::Everyone => Some(QueueCounts {
                counts: self.everyone,
                mine_fallback: false,
            }),
            Scope::Mine => Some(
                match self.by_owner.get(&query.collector.to_ascii_lowercase()) {
                    Some(c) => QueueCounts {
                        counts: *c,
                        mine_fallback: false,
                    },
                    None => QueueCounts {
                        counts: self.everyone,
                        mine_fallback: true,
                    },
                },
            ),
        }
    }
}

/// SQL day number of an RFC 3339 timestamp column's date (same numbering as `day_number`).
pub(crate) fn day_of(column: &str) -> String {
    format!("CAST(julianday(substr({column}, 1, 10)) - 1721424.5 AS INTEGER)")
}

/// An amount as the queue table stores it (integer ten-thousandths).
pub(crate) fn units(value: Decimal) -> i64 {
    money::to_units(value.round_dp(money::STORE_SCALE)).unwrap_or(i64::MAX)
}

impl Store {
    /// Rebuilds the TEMP `queue` table: one row per customer with its figures as of `as_of`
    /// (`figures` by customer key, as `Portfolio::compute` gives them; customers missing have
    /// nothing open), its latest promise's state, follow-ups due, open issues and last contact.
    /// Returns the tab counts without a filter, counted on the way.
    pub fn rebuild_queue_summary(
        &self,
        as_of: Date,
        bounds: &AgingBounds,
        figures: &HashMap<i64, Figures>,
        grace_days: u32,
    ) -> Result<UnfilteredCounts> {
        let activity = self.queue_activity(as_of, grace_days, None)?;
        self.write_queue_summary(bounds, figures, &activity)
    }

    /// [`Store::rebuild_queue_summary`] with the activity read already (by
    /// [`Store::queue_activity`]).
    pub(crate) fn write_queue_summary(
        &self,
        bounds: &AgingBounds,
        figures: &HashMap<i64, Figures>,
        activity: &HashMap<i64, Activity>,
    ) -> Result<UnfilteredCounts> {
        let buckets = bounds.len();
        // A deferred transaction: it writes only the TEMP schema, so it must not take the
        // database's write lock away from collectors saving their work.
        let tx = self.conn().unchecked_transaction()?;
        let bucket_cols: String = (0..buckets)
            .map(|i| format!(", b{i} INTEGER NOT NULL DEFAULT 0"))
            .collect();
        tx.execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.queue;
             CREATE TEMP TABLE queue (
                cid INTEGER PRIMARY KEY,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                finance_owner TEXT,
                currency TEXT,
                outstanding INTEGER NOT NULL DEFAULT 0,
                overdue INTEGER NOT NULL DEFAULT 0,
                net_overdue INTEGER NOT NULL DEFAULT 0,
                credit INTEGER NOT NULL DEFAULT 0,
                cash INTEGER NOT NULL DEFAULT 0,
                collectable INTEGER NOT NULL DEFAULT 0,
                max_days INTEGER NOT NULL DEFAULT 0,
                last_contact INTEGER,
                promise INTEGER NOT NULL DEFAULT 0,
                followups_due INTEGER NOT NULL DEFAULT 0,
                open_issues INTEGER NOT NULL DEFAULT 0,
                unread_replies INTEGER NOT NULL DEFAULT 0,
                unverified_replies INTEGER NOT NULL DEFAULT 0,
                risk INTEGER NOT NULL DEFAULT 0,
                risk_score INTEGER NOT NULL DEFAULT 0
                {bucket_cols}
             );"
        ))?;
        let columns = 18 + buckets;
        let bucket_names: String = (0..buckets).map(|i| format!(", b{i}")).collect();
        let insert_sql = |rows: usize| {
            let one = format!("({})", vec!["?"; columns].join(","));
            format!(
                "INSERT INTO temp.queue (cid, id, name, finance_owner, currency, outstanding,
                        overdue, net_overdue, credit, cash, collectable, max_days, last_contact,
                        promise, followups_due, open_issues, unread_replies, unverified_replies
                        {bucket_names})
                 VALUES {}",
                vec![one; rows].join(",")
            )
        };
        // Many rows per statement: the per-statement cost dominates at 100k customers.
        const BATCH: usize = 200;
        let mut insert_full = tx.prepare(&insert_sql(BATCH))?;
        let mut counts = UnfilteredCounts::default();
        let empty = Figures::new(bounds);
        let mut customers = tx.prepare(
            "SELECT cid, id, name, finance_owner, currency FROM main.customers ORDER BY cid",
        )?;
        let mut rows = customers.query([])?;
        let mut values: Vec<Value> = Vec::with_capacity(columns * BATCH);
        let mut pending = 0;
        while let Some(r) = rows.next()? {
            let cid: i64 = r.get(0)?;
            let f = figures.get(&cid).unwrap_or(&empty);
            let a = activity.get(&cid).copied().unwrap_or_default();
            let owner: Option<String> = r.get(3)?;
            counts.add(owner.as_deref(), a.tabs(f.overdue > Decimal::ZERO));
            values.extend([
                Value::Integer(cid),
                r.get::<_, Value>(1)?,
                r.get::<_, Value>(2)?,
                owner.map_or(Value::Null, Value::Text),
                r.get::<_, Value>(4)?,
                Value::Integer(units(f.outstanding)),
                Value::Integer(units(f.overdue)),
                Value::Integer(units(f.net_overdue())),
                Value::Integer(units(f.unutilised_credit)),
                Value::Integer(units(f.unapplied_cash)),
                Value::Integer(units(f.collectable_this_month)),
                Value::Integer(f.max_days_overdue),
                a.last_contact
                    .map_or(Value::Null, |d| Value::Integer(d.into())),
                Value::Integer(a.promise.code()),
                Value::Integer(a.followups_due.into()),
                Value::Integer(a.open_issues.into()),
                Value::Integer(a.unread_replies.into()),
                Value::Integer(a.unverified_replies.into()),
            ]);
            values.extend(
                (0..buckets)
                    .map(|i| Value::Integer(units(f.aging.get(i).copied().unwrap_or_default()))),
            );
            pending += 1;
            if pending == BATCH {
                insert_full.execute(params_from_iter(values.drain(..)))?;
                pending = 0;
            }
        }
        if pending > 0 {
            tx.execute(&insert_sql(pending), params_from_iter(values.drain(..)))?;
        }
        drop(rows);
        drop(customers);
        drop(insert_full);
        // The default order's index now; the others when first sorted by.
        tx.execute_batch("CREATE INDEX temp.queue_by_overdue ON queue(overdue);")?;
        tx.commit()?;
        Ok(counts)
    }

    /// Clears a customer's unread replies in the queue summary (after
    /// [`Store::mark_replies_read`]), so that it leaves the Replies tab. Returns `Some(owner)`
    /// when it had unread replies (the caller adjusts its tab counts), `None` otherwise.
    pub fn queue_replies_read(&self, cid: i64) -> Result<Option<Option<String>>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .prepare_cached(
                "UPDATE temp.queue SET unread_replies = 0, unverified_replies = 0
                  WHERE cid = ?1 AND unread_replies > 0
                 RETURNING finance_owner",
            )?
            .query_row([cid], |r| r.get(0))
            .optional()?)
    }

    /// Per customer with any: last contact, latest promise's state, follow-ups due, open
    /// issues and unread replies at `as_of`; of every customer, or only of `only` (a row to
    /// refresh). A reply from an unverified sender is not contact, but it is unread: the
    /// Replies tab shows it for a person to judge.
    pub(crate) fn queue_activity(
        &self,
        as_of: Date,
        grace_days: u32,
        only: Option<i64>,
    ) -> Result<HashMap<i64, Activity>> {
        let day = day_number(as_of);
        let one = |column: &str| only.map_or(String::new(), |cid| format!(" AND {column} = {cid}"));
        let mut out: HashMap<i64, Activity> = HashMap::new();
        for (cid, recorded, flag) in self.latest_promise_flags(as_of, grace_days, only)? {
            let a = out.entry(cid).or_default();
            a.promise = flag;
            a.last_contact = Some(recorded);
        }
        let mut contact = |cid: i64, d: i32| {
            let last = &mut out.entry(cid).or_default().last_contact;
            *last = (*last).max(Some(d));
        };
        // Notes carry a timestamp: the latest per customer from the (cid, at) index, compared
        // as text against the day after `as_of` (no date arithmetic per row).
        let next_day = (as_of + chrono::Days::new(1))
            .format("%Y-%m-%d")
            .to_string();
        let mut stmt = self.conn().prepare(&format!(
            "SELECT n.cid, max(n.at) FROM notes n WHERE n.at < ?1{} GROUP BY n.cid",
            one("n.cid")
        ))?;
        let mut rows = stmt.query(params![next_day])?;
        while let Some(r) = rows.next()? {
            let at: String = r.get(1)?;
            if let Some(d) = at.get(..10).and_then(crate::domain::date::parse_iso) {
                contact(r.get(0)?, day_number(d));
            }
        }
        let dated = [
            format!(
                "SELECT cid, max(opened_date) FROM issues WHERE opened_date <= ?1{c} GROUP BY cid",
                c = one("cid")
            ),
            format!(
                "SELECT cid, max(sent_date) FROM reminders WHERE status = 'sent' AND sent_date <= ?1{c} GROUP BY cid",
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

    /// Creates the index for a sort key on first use (the workstation also makes them when
    /// idle, so that the first sort by a key does not wait for its index).
    pub(crate) fn ensure_sort_index(&self, key: SortKey) -> Result<()> {
        let columns = sort_columns(key);
        let name = columns[0].split(' ').next().unwrap_or("overdue");
        self.conn().execute_batch(&format!(
            "CREATE INDEX IF NOT EXISTS temp.queue_by_{name} ON queue({})",
            columns.join(", ")
        ))?;
        Ok(())
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
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        // Every latest promise's receipts in one query: what was applied from its recording
        // to `as_of` to the documents it names (a seek each), or to any of the customer's
        // documents when it names none. Earlier receipts never count, so they are not read.
        // CROSS JOIN keeps SQLite from scanning every application.
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
              WHERE NOT EXISTS (SELECT 1 FROM promise_documents pd WHERE pd.promise_id = l.id)"
        ))?;
        let mut found = stmt.query(params![day])?;
        while let Some(r) = found.next()? {
            receipts
                .entry(r.get(0)?)
                .or_default()
                .push((from_day_number(r.get(1)?), money::from_units(r.get(2)?)));
        }
        let none = Vec::new();
        let mut out = Vec::with_capacity(rows.len());
        for (id, cid, promise) in rows {
            let receipts = receipts.get(&id).unwrap_or(&none);
            let progress = promise_progress(&promise, receipts, as_of, grace_days);
            let flag = match progress.state {
                PromiseState::Open if promise.due > as_of => PromiseFlag::Open,
                PromiseState::Open => PromiseFlag::Due,
                PromiseState::Broken | PromiseState::PartiallyKept => PromiseFlag::Broken,
                PromiseState::Kept | PromiseState::Voided => PromiseFlag::None,
            };
            out.push((cid, day_number(promise.promised_on), flag));
        }
        Ok(out)
    }

    /// The receipts (date, amount) applied to a promise's documents, or to any of the
    /// customer's documents when the promise names none.
    pub fn promise_receipts(&self, promise_id: i64, cid: i64) -> Result<Vec<(Date, Decimal)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT a.date, a.amount FROM applications a JOIN documents d ON d.did = a.did
              WHERE d.cid = ?2
                AND (NOT EXISTS (SELECT 1 FROM promise_documents pd WHERE pd.promise_id = ?1)
                     OR a.did IN (SELECT pd.did FROM promise_documents pd WHERE pd.promise_id = ?1))",
        )?;
        let rows = stmt.query_map(params![promise_id, cid], |r| {
            Ok((from_day_number(r.get(0)?), money::from_units(r.get(1)?)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The rows of every tab for a query's scope and filter (the tab and order do not matter),
    /// and whether "mine" fell back to everyone. Needs [`Store::rebuild_queue_summary`] first.
    pub fn queue_counts(&self, query: &QueueQuery) -> Result<QueueCounts> {
        let mine_fallback = self.mine_falls_back(query)?;
        let (filter_sql, filter_params) = where_clause(query, mine_fallback);
        let sums: Vec<String> = Tab::ALL
            .iter()
            .map(|&t| format!("ifnull(sum({}), 0)", tab_sql(t)))
            .collect();
        let counts_sql = format!(
            "SELECT {} FROM temp.queue WHERE {filter_sql}",
            sums.join(", ")
        );
        let counts: [u64; Tab::COUNT] = self.conn().prepare_cached(&counts_sql)?.query_row(
            params_from_iter(filter_params.iter()),
            |r| {
                let mut c = [0u64; Tab::COUNT];
                for (i, slot) in c.iter_mut().enumerate() {
                    *slot = r.get::<_, i64>(i)?.unsigned_abs();
                }
                Ok(c)
            },
        )?;
        Ok(QueueCounts {
            counts,
            mine_fallback,
        })
    }

    /// Whether "mine" must show everyone: the collector owns no customer.
    fn mine_falls_back(&self, query: &QueueQuery) -> Result<bool> {
        if query.scope == Scope::Everyone {
            return Ok(false);
        }
        let mine: i64 = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM temp.queue WHERE finance_owner = ?1 COLLATE NOCASE)",
            [&query.collector],
            |r| r.get(0),
        )?;
        Ok(mine == 0)
    }

    /// One page of the queue: `limit` rows from `offset` of the rows `query` selects, with the
    /// counts of every tab. Needs [`Store::rebuild_queue_summary`] first.
    pub fn queue_page(&self, query: &QueueQuery, offset: u64, limit: u64) -> Result<QueuePage> {
        let counts = self.queue_counts(query)?;
        self.queue_page_counted(query, offset, limit, &counts, None)
    }

    /// [`Store::queue_page`] with the counts known already (they depend only on the scope and
    /// filter, so a new order or tab can reuse them). `among`: the keys of every row the
    /// query selects, when the caller knows them (few rows: they are read by key and sorted,
    /// instead of the table being read for them).
    pub fn queue_page_counted(
        &self,
        query: &QueueQuery,
        offset: u64,
        limit: u64,
        counted: &QueueCounts,
        among: Option<&[i64]>,
    ) -> Result<QueuePage> {
        let counts = counted.counts;
        let mine_fallback = counted.mine_fallback;
        let (mut filter_sql, filter_params) = where_clause(query, mine_fallback);
        if let Some(keys) = among {
            let list = keys
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            filter_sql = format!("cid IN ({list}) AND {filter_sql}");
        }
        self.ensure_sort_index(query.sort)?;
        let total = counts[query.tab.index()];
        let offset = offset.min(total);
        let end = offset.saturating_add(limit).min(total);
        let n = end - offset;
        // Deep pages are read from the other end, so `G` costs what the first page does.
        let reversed = offset > total / 2;
        let (dir, skip) = if reversed {
            (!query.descending, total - end)
        } else {
            (query.descending, offset)
        };
        let dir = if dir { "DESC" } else { "ASC" };
        // Few rows match: walking the whole sort index to find them costs more than reading
        // the table once and sorting them (`+` keeps SQLite off the index).
        let few = among.is_some() || total < 4 * (skip + n).max(1);
        let sql = format!(
            "SELECT cid, id, name, finance_owner, currency, outstanding, overdue, net_overdue, credit + cash,
                    max_days, last_contact, promise, followups_due, open_issues, unread_replies, risk,
                    unverified_replies
               FROM temp.queue WHERE {filter_sql} AND {tab}
              ORDER BY {order} LIMIT {n} OFFSET {skip}",
            tab = tab_sql(query.tab),
            order = order_by(query.sort, dir, few),
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows: Vec<QueueRow> = stmt
            .query_map(params_from_iter(filter_params.iter()), |r| {
                Ok(QueueRow {
                    cid: r.get(0)?,
                    id: r.get(1)?,
                    name: r.get(2)?,
                    finance_owner: r.get(3)?,
                    currency: r.get(4)?,
                    outstanding: money::from_units(r.get(5)?),
                    overdue: money::from_units(r.get(6)?),
                    net_overdue: money::from_units(r.get(7)?),
                    credit: money::from_units(r.get(8)?),
                    max_days: r.get(9)?,
                    last_contact: r.get::<_, Option<i32>>(10)?.map(from_day_number),
                    promise: PromiseFlag::from_code(r.get(11)?),
                    followups_due: r.get::<_, i64>(12)?.try_into().unwrap_or(u32::MAX),
                    open_issues: r.get::<_, i64>(13)?.try_into().unwrap_or(u32::MAX),
                    unread_replies: r.get::<_, i64>(14)?.try_into().unwrap_or(u32::MAX),
                    unverified_replies: r.get::<_, i64>(16)?.try_into().unwrap_or(u32::MAX),
                    risk: risk_from_code(r.get(15)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        if reversed {
            rows.reverse();
        }
        Ok(QueuePage {
            offset,
            rows,
            total,
            counts,
            mine_fallback,
        })
    }

    /// The first page of an unfiltered query computed from the figures and activity directly,
    /// before the queue table is written: the same rows, in the same order, with the same
    /// counts as [`Store::queue_page`] gives once it is (without a forecast: no risk). `None`
    /// for what needs the table: a filter, the order by name or by risk, the High risk tab, a
    /// later page.
    pub(crate) fn quick_queue_page(
        &self,
        query: &QueueQuery,
        offset: u64,
        limit: u64,
        bounds: &AgingBounds,
        figures: &HashMap<i64, Figures>,
        activity: &HashMap<i64, Activity>,
    ) -> Result<Option<QueuePage>> {
        if !query.filter.is_empty()
            || matches!(query.sort, SortKey::Name | SortKey::Risk)
            || query.tab == Tab::HighRisk
            || offset != 0
        {
            return Ok(None);
        }
        // (cid, owned by the collector) of every customer, in key order.
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT cid, finance_owner FROM customers ORDER BY cid")?;
        let mut rows = stmt.query([])?;
        let mut customers: Vec<(i64, bool)> = Vec::new();
        let mut owns_any = false;
        while let Some(r) = rows.next()? {
            let mine = match r.get_ref(1)? {
                rusqlite::types::ValueRef::Text(t) => {
                    t.eq_ignore_ascii_case(query.collector.as_bytes())
                }
                _ => false,
            };
            owns_any |= mine;
            customers.push((r.get(0)?, mine));
        }
        let mine_fallback = query.scope == Scope::Mine && !owns_any;
        let only_mine = query.scope == Scope::Mine && owns_any;
        let empty = Figures::new(bounds);
        let mut counts = [0u64; Tab::COUNT];
        // Sort keys as SQL orders them (NULL first ascending), then the key.
        let mut chosen: Vec<(Option<i64>, i64)> = Vec::new();
        for &(cid, mine) in &customers {
            if only_mine && !mine {
                continue;
            }
            let f = figures.get(&cid).unwrap_or(&empty);
            let a = activity.get(&cid).copied().unwrap_or_default();
            let tabs = a.tabs(f.overdue > Decimal::ZERO);
            for (count, n) in counts.iter_mut().zip(tabs) {
                *count += n;
            }
            if tabs[query.tab.index()] > 0 {
                let key = match query.sort {
                    SortKey::Overdue => Some(units(f.overdue)),
                    SortKey::Days => Some(f.max_days_overdue),
                    SortKey::Outstanding => Some(units(f.outstanding)),
                    SortKey::LastContact => a.last_contact.map(i64::from),
                    SortKey::Name | SortKey::Risk => None,
                };
                chosen.push((key, cid));
            }
        }
        let total = counts[query.tab.index()];
        let n = usize::try_from(limit.min(total)).unwrap_or(usize::MAX);
        let order = |a: &(Option<i64>, i64), b: &(Option<i64>, i64)| {
            if query.descending { b.cmp(a) } else { a.cmp(b) }
        };
        if n > 0 && n < chosen.len() {
            chosen.select_nth_unstable_by(n - 1, order);
            chosen.truncate(n);
        }
        chosen.sort_unstable_by(order);
        chosen.truncate(n);
        let mut names = self.conn().prepare_cached(
            "SELECT id, name, finance_owner, currency FROM customers WHERE cid = ?1",
        )?;
        let mut page_rows = Vec::with_capacity(chosen.len());
        for (_, cid) in chosen {
            let f = figures.get(&cid).unwrap_or(&empty);
            let a = activity.get(&cid).copied().unwrap_or_default();
            let (id, name, finance_owner, currency) =
                names.query_row([cid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            let dec = |v: Decimal| money::from_units(units(v));
            page_rows.push(QueueRow {
                cid,
                id,
                name,
                finance_owner,
                currency,
                outstanding: dec(f.outstanding),
                overdue: dec(f.overdue),
                net_overdue: dec(f.net_overdue()),
                credit: money::from_units(units(f.unutilised_credit) + units(f.unapplied_cash)),
                max_days: f.max_days_overdue,
                last_contact: a.last_contact.map(from_day_number),
                promise: a.promise,
                followups_due: a.followups_due,
                open_issues: a.open_issues,
                unread_replies: a.unread_replies,
                unverified_replies: a.unverified_replies,
                risk: None,
            });
        }
        Ok(Some(QueuePage {
            offset: 0,
            rows: page_rows,
            total,
            counts,
            mine_fallback,
        }))
    }

    /// A customer's figures from the summary (its aging as of the summary's date).
    pub fn queue_figures(&self, cid: i64, buckets: usize) -> Result<Option<SummaryFigures>> {
        use rusqlite::OptionalExtension;
        let cols: String = (0..buckets).map(|i| format!(", b{i}")).collect();
        let sql = format!(
            "SELECT outstanding, overdue, net_overdue, credit, cash, collectable, max_days {cols}
               FROM temp.queue WHERE cid = ?1"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        Ok(stmt
            .query_row([cid], |r| {
                let mut aging = Vec::with_capacity(buckets);
                for i in 0..buckets {
                    aging.push(money::from_units(r.get(7 + i)?));
                }
                Ok(SummaryFigures {
                    outstanding: money::from_units(r.get(0)?),
                    overdue: money::from_units(r.get(1)?),
                    net_overdue: money::from_units(r.get(2)?),
                    unutilised_credit: money::from_units(r.get(3)?),
                    unapplied_cash: money::from_units(r.get(4)?),
                    collectable_this_month: money::from_units(r.get(5)?),
                    max_days: r.get(6)?,
                    aging,
                })
            })
            .optional()?)
    }

    /// The issues open at `as_of`, grouped by reason, largest amount first.
    pub fn open_issues_by_reason(&self, as_of: Date) -> Result<Vec<IssueReason>> {
        let sql = format!(
            "SELECT i.reason, count(*), sum(i.amount) FROM issues i WHERE {OPEN_ISSUE}
              GROUP BY i.reason ORDER BY sum(i.amount) DESC, i.reason"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![day_number(as_of)], |r| {
            Ok(IssueReason {
                reason: r.get(0)?,
                count: r.get::<_, i64>(1)?.unsigned_abs(),
                amount: money::from_units(r.get(2)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// An issue `i` open at day `?1`: the one definition, [`super::issues::OPEN_AT`].
pub(crate) const OPEN_ISSUE: &str = super::issues::OPEN_AT;

/// The columns (with collation) a sort key orders by, all in the same direction; the first
/// names its index.
fn sort_columns(key: SortKey) -> &'static [&'static str] {
    match key {
        SortKey::Overdue => &["overdue"],
        SortKey::Days => &["max_days"],
        SortKey::Outstanding => &["outstanding"],
        SortKey::LastContact => &["last_contact"],
        SortKey::Name => &["name COLLATE NOCASE"],
        // Equal scores are common (the score moves in steps): the larger overdue first.
        SortKey::Risk => &["risk_score", "overdue"],
    }
}

/// The `ORDER BY` terms of a sort key in a direction (`ASC`/`DESC`), the key last;
/// `no_index`: sort the rows found rather than walk the key's index.
fn order_by(key: SortKey, dir: &str, no_index: bool) -> String {
    let plus = if no_index { "+" } else { "" };
    let mut terms: Vec<String> = sort_columns(key)
        .iter()
        .map(|c| format!("{plus}{c} {dir}"))
        .collect();
    terms.push(format!("cid {dir}"));
    terms.join(", ")
}

/// The SQL condition of a tab on the `queue` table.
pub(crate) fn tab_sql(tab: Tab) -> &'static str {
    match tab {
        Tab::Overdue => "overdue > 0",
        Tab::All => "1",
        Tab::Promises => "promise IN (2, 3)",
        Tab::FollowUps => "followups_due > 0",
        Tab::Disputes => "open_issues > 0",
        Tab::Replies => "unread_replies > 0",
        Tab::HighRisk => "risk = 3",
    }
}

/// The scope and filter of a query as an SQL condition with its parameters.
pub(crate) fn where_clause(query: &QueueQuery, mine_fallback: bool) -> (String, Vec<Value>) {
    let scope_all = query.scope == Scope::Everyone || mine_fallback;
    let mut parts: Vec<String> = vec!["1".into()];
    let mut values: Vec<Value> = Vec::new();
    let bind = |values: &mut Vec<Value>, v: Value| {
        values.push(v);
        format!("?{}", values.len())
    };
    if !scope_all {
        let p = bind(&mut values, Value::Text(query.collector.clone()));
        parts.push(format!("finance_owner = {p} COLLATE NOCASE"));
    }
    for pred in &query.filter.predicates {
        let sql = match pred {
            Predicate::Text(text) => {
                let escaped = text
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                let p = bind(&mut values, Value::Text(format!("%{escaped}%")));
                format!("(name LIKE {p} ESCAPE '\\' OR id LIKE {p} ESCAPE '\\')")
            }
            Predicate::Owner(Some(owner)) => {
                let p = bind(&mut values, Value::Text(owner.clone()));
                format!("finance_owner = {p} COLLATE NOCASE")
            }
            Predicate::Owner(None) => "finance_owner IS NULL".into(),
            Predicate::Currency(cur) => {
                let p = bind(&mut values, Value::Text(cur.clone()));
                format!("currency = {p} COLLATE NOCASE")
            }
            Predicate::Amount(field, cmp, amount) => {
                let column = match field {
                    AmountField::Overdue => "overdue",
                    AmountField::Outstanding => "outstanding",
                    AmountField::NetOverdue => "net_overdue",
                    AmountField::Credit => "(credit + cash)",
                    AmountField::CollectableThisMonth => "collectable",
                };
                let p = bind(&mut values, Value::Integer(units(*amount)));
                format!("{column} {} {p}", cmp.sql())
            }
            Predicate::Days(cmp, n) => {
                let p = bind(&mut values, Value::Integer(*n));
                format!("max_days {} {p}", cmp.sql())
            }
            Predicate::Bucket(BucketSel::Index(i)) => format!("b{i} <> 0"),
            Predicate::Bucket(BucketSel::Over(n)) => {
                let p = bind(&mut values, Value::Integer(*n));
                format!("max_days > {p}")
            }
        };
        parts.push(sql);
    }
    (parts.join(" AND "), values)
}
