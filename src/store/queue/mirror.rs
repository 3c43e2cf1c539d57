//! The queue table's rows in memory, for counting the tabs under a filter as it is typed.
//!
//! Every keystroke of `/` asks for the rows of all seven tabs under a new filter. In SQL that
//! is a pass over the whole TEMP table with a `LIKE` per row (10–30 ms at 100k customers); in
//! memory it is a loop over compact rows (a few ms). The mirror is read from `temp.queue`
//! itself and stands only while this connection has changed nothing since
//! (`sqlite3_total_changes`), so it never disagrees with the table: any other write makes
//! the next count read it again. The writes the workstation makes most often are made to
//! the copy too, which stays current: a save's row and open issues and replies read
//! (`Queue::mirror_row`), a forecast's risks ([`Queue::update_risks`]); new figures are
//! read beside before their table takes the sessions' one's place. Filters mean here exactly
//! what `super::filter_sql::where_clause` makes them mean in SQL (names and ids with accents
//! and case set aside, issue reasons lowered in every script, owners as users are told
//! apart (`owed_person`: case and width in every script), currencies by `NOCASE`); a test
//! holds the two to the same counts.

use super::Queue;
use super::filter_sql::{CURRENCY, promise_code, tab_sql};
use super::risk::{HIGH, QueueRisk, risk_code};
use super::{QueueCounts, units};
use crate::Result;
use crate::domain::metrics::Headline;
use crate::domain::money;
use crate::domain::queue::{
    AmountField, BucketSel, Cmp, IssueReason, Predicate, QueueQuery, Scope, ScopeFigures, Tab,
};
use crate::domain::text::{fold, lowered};
use crate::store::Store;
use crate::store::activity::search::FilterMatches;
use std::collections::{HashMap, HashSet};

/// One row of `temp.queue`, as much as filters and tabs read.
#[derive(PartialEq)]
struct Row {
    cid: i64,
    /// Name and id, accents and case set aside (as `owed_fold(…) LIKE` compares them).
    name: Box<str>,
    id: Box<str>,
    finance_owner: Option<Box<str>>,
    /// The customer's, else the base currency (as `currency:` compares it).
    currency: Option<Box<str>>,
    /// Units of: overdue, outstanding, net overdue, credit + cash, collectable this month,
    /// unutilised credit.
    amounts: [i64; 6],
    max_days: i64,
    /// Bit i: bucket i holds something.
    buckets: u32,
    /// Bit i: bucket i holds some net overdue.
    net_buckets: u32,
    /// Bit i: in tab `Tab::ALL[i]`.
    tabs: u32,
    /// Days since the last call (`None`: never called).
    call_days: Option<i64>,
    /// The latest promise's state, as `temp.queue` codes it.
    promise: i64,
}

/// What a scope's figures add up per row ([`QueueMirror::sums`] holds them, a stride per
/// row): these, then each bucket, then each bucket's net overdue.
const SUMMED: [&str; 9] = [
    "outstanding",
    "overdue",
    "net_overdue",
    "credit",
    "cash",
    "collectable",
    "issue_base",
    "promise_base",
    "followups_due",
];

/// The queue table in memory, as of this connection's `total_changes`.
#[derive(PartialEq)]
pub struct QueueMirror {
    changes: u64,
    rows: Vec<Row>,
    /// Buckets of the aging.
    buckets: usize,
    /// Per row, `SUMMED` then the buckets then their net overdue.
    sums: Vec<i64>,
    /// The open issues' reasons, lowered.
    reasons: Vec<Box<str>>,
    /// Per row, where its issues start in `issues` (one more: the end).
    issue_spans: Vec<u32>,
    /// (reason, issues, units) of each row's open issues, by row.
    issues: Vec<(u16, i64, i64)>,
}

/// The queue table being read into memory a part at a time (`Queue::mirror_part`): the
/// sessions' table, or the one written beside it.
pub struct MirrorReading {
    table: &'static str,
    issues_table: &'static str,
    buckets: Option<usize>,
    /// The key the next part starts after.
    after: i64,
    rows: Vec<Row>,
    sums: Vec<i64>,
}

impl MirrorReading {
    pub(crate) fn new(table: &'static str, issues_table: &'static str) -> MirrorReading {
        MirrorReading {
            table,
            issues_table,
            buckets: None,
            after: i64::MIN,
            rows: Vec::new(),
            sums: Vec::new(),
        }
    }
}

impl QueueMirror {
    /// Marks the copy as the table's as it is now (after the table it was read from took
    /// the sessions' one's place, or the same change was made to both).
    pub(crate) fn stamp(&mut self, store: &Store) {
        self.changes = store.conn().total_changes();
    }

    /// The risks [`Queue::update_risks`] wrote into the table, made to the copy: the only
    /// thing of a row's risk it holds is whether the row is in the High risk tab.
    pub(crate) fn risks_written(&mut self, risks: &[QueueRisk]) {
        let bit = 1u32 << Tab::HighRisk.index();
        for r in risks {
            if let Ok(i) = self.rows.binary_search_by_key(&r.cid, |row| row.cid) {
                if risk_code(r.level) == HIGH {
                    self.rows[i].tabs |= bit;
                } else {
                    self.rows[i].tabs &= !bit;
                }
            }
        }
    }
}

/// What each finance owner's customers add up to without a filter, by owner lowercased
/// (`None`: customers without one).
pub type OwnerSums = HashMap<Option<String>, ScopeSums>;

/// What a scope's rows add up to, in units (see [`QueueMirror::figures`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScopeSums {
    pub customers: u64,
    pub customers_overdue: u64,
    /// `SUMMED`, then each bucket, then each bucket's net overdue: in 128 bits, so that no
    /// sum of customers' figures wraps (each customer's fits 64; a portfolio of them might
    /// not, and showed negative billions).
    pub sums: Vec<i128>,
    /// (reason, issues, units).
    pub issues: Vec<(String, i64, i128)>,
}

impl ScopeSums {
    /// Adds another part's sums to these (everyone's are the sum of every owner's).
    pub fn add(&mut self, other: &ScopeSums) {
        self.customers += other.customers;
        self.customers_overdue += other.customers_overdue;
        if self.sums.len() < other.sums.len() {
            self.sums.resize(other.sums.len(), 0);
        }
        for (total, v) in self.sums.iter_mut().zip(&other.sums) {
            *total += v;
        }
        for (reason, n, amount) in &other.issues {
            self.add_issues(reason, *n, *amount);
        }
    }

    /// Adds `n` open issues of `amount` units under `reason` (lowered, as the scopes count
    /// reasons).
    pub fn add_issues(&mut self, reason: &str, n: i64, amount: i128) {
        match self.issues.iter_mut().find(|(r, _, _)| r == reason) {
            Some(slot) => {
                slot.1 += n;
                slot.2 += amount;
            }
            None => self.issues.push((reason.to_string(), n, amount)),
        }
    }

    /// The figures they make, `buckets` buckets.
    pub fn figures(&self, buckets: usize) -> ScopeFigures {
        let at = |i: usize| money::from_wide_units(self.sums.get(i).copied().unwrap_or(0));
        let mut issues: Vec<IssueReason> = self
            .issues
            .iter()
            .filter(|(_, n, _)| *n > 0)
            .map(|(reason, n, amount)| IssueReason {
                reason: reason.clone(),
                count: n.unsigned_abs(),
                amount: money::from_wide_units(*amount),
            })
            .collect();
        issues.sort_by(|a, b| {
            b.amount
                .cmp(&a.amount)
                .then_with(|| a.reason.cmp(&b.reason))
        });
        let deduction = crate::store::activity::issues::DEDUCTION_REASON;
        ScopeFigures {
            customers: self.customers,
            headline: Headline {
                open_deduction_amount: issues
                    .iter()
                    .filter(|r| r.reason.eq_ignore_ascii_case(deduction))
                    .map(|r| r.amount)
                    .sum(),
                customers_overdue: self.customers_overdue,
                outstanding: at(0),
                overdue: at(1),
                net_overdue: at(2),
                unutilised_credit: at(3),
                unapplied_cash: at(4),
                collectable_this_month: at(5),
                open_issue_amount: at(6),
                open_p2p_amount: at(7),
                dso: None,
            },
            followups_due: u64::try_from(self.sums.get(8).copied().unwrap_or(0).unsigned_abs())
                .unwrap_or(u64::MAX),
            aging: (0..buckets).map(|i| at(SUMMED.len() + i)).collect(),
            net_aging: (0..buckets)
                .map(|i| at(SUMMED.len() + buckets + i))
                .collect(),
            issues,
        }
    }
}

impl<S: std::ops::Deref<Target = Store>> Queue<S> {
    /// Reads `temp.queue` into memory. Needs [`Queue::rebuild`] first.
    pub fn mirror(&self) -> Result<QueueMirror> {
        let mut reading = MirrorReading::new("queue", "queue_issues");
        while !self.mirror_part(&mut reading, usize::MAX)? {}
        self.mirror_finish(reading)
    }

    /// Reads the next `limit` rows (by key) of the table being read into memory; true once
    /// every row is read.
    pub(crate) fn mirror_part(&self, reading: &mut MirrorReading, limit: usize) -> Result<bool> {
        let table = reading.table;
        let buckets = match reading.buckets {
            Some(b) => b,
            None => {
                let b = self.buckets_of(table)?;
                reading.buckets = Some(b);
                b
            }
        };
        let bucket_bits: String = (0..buckets.clamp(0, 31))
            .map(|i| format!(" + ((b{i} <> 0) << {i})"))
            .collect();
        let tab_bits: String = Tab::ALL
            .iter()
            .enumerate()
            .map(|(i, t)| format!(" + (({}) << {i})", tab_sql(*t)))
            .collect();
        let net_bits: String = (0..buckets.clamp(0, 31))
            .map(|i| format!(" + ((n{i} > 0) << {i})"))
            .collect();
        let summed: String = SUMMED
            .iter()
            .map(|c| format!(", {c}"))
            .chain((0..buckets).map(|i| format!(", b{i}")))
            .chain((0..buckets).map(|i| format!(", n{i}")))
            .collect();
        let sql = format!(
            "SELECT name, id, finance_owner, {CURRENCY}, overdue, outstanding, net_overdue,
                    credit + cash, collectable, max_days, 0{bucket_bits}, 0{tab_bits}, cid,
                    credit, 0{net_bits}, call_days, promise{summed}
               FROM temp.{table} WHERE cid > ?1 ORDER BY cid LIMIT ?2"
        );
        let stride = SUMMED.len() + 2 * buckets;
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let after = reading.after;
        let limit_sql = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = stmt.query(rusqlite::params![after, limit_sql])?;
        let text =
            |v: rusqlite::types::ValueRef| -> Option<Box<str>> { v.as_str().ok().map(Box::from) };
        let mut read = 0;
        while let Some(r) = rows.next()? {
            let folded = |i: usize| -> rusqlite::Result<Box<str>> {
                Ok(fold(r.get_ref(i)?.as_str()?).into())
            };
            reading.rows.push(Row {
                cid: r.get(12)?,
                name: folded(0)?,
                id: folded(1)?,
                finance_owner: text(r.get_ref(2)?),
                currency: text(r.get_ref(3)?),
                amounts: [
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(13)?,
                ],
                max_days: r.get(9)?,
                buckets: r.get(10)?,
                net_buckets: r.get(14)?,
                tabs: r.get(11)?,
                call_days: r.get(15)?,
                promise: r.get(16)?,
            });
            for i in 0..stride {
                reading.sums.push(r.get(17 + i)?);
            }
            read += 1;
        }
        reading.after = reading.rows.last().map_or(reading.after, |r| r.cid);
        Ok(read < limit)
    }

    /// Ends a reading: each row's open issues, read whole.
    pub(crate) fn mirror_finish(&self, reading: MirrorReading) -> Result<QueueMirror> {
        let MirrorReading {
            issues_table,
            rows: out,
            buckets,
            sums,
            ..
        } = reading;
        // Each row's open issues, in the rows' order (by key).
        let mut reasons: Vec<Box<str>> = Vec::new();
        let mut issues = Vec::new();
        let mut issue_spans = Vec::with_capacity(out.len() + 1);
        let mut stmt = self.conn().prepare(&format!(
            "SELECT cid, reason, n, amount FROM temp.{issues_table} ORDER BY cid, reason"
        ))?;
        let found: Vec<(i64, String, i64, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut next = found.iter().peekable();
        for row in &out {
            issue_spans.push(u32::try_from(issues.len()).unwrap_or(u32::MAX));
            while let Some((cid, reason, n, amount)) = next.next_if(|f| f.0 <= row.cid) {
                if *cid != row.cid {
                    continue;
                }
                issues.push((reason_index(&mut reasons, reason), *n, *amount));
            }
        }
        issue_spans.push(u32::try_from(issues.len()).unwrap_or(u32::MAX));
        Ok(QueueMirror {
            changes: self.conn().total_changes(),
            rows: out,
            buckets: buckets.unwrap_or(0),
            sums,
            reasons,
            issue_spans,
            issues,
        })
    }
}

impl<S: std::ops::Deref<Target = Store>> Queue<S> {
    /// Reads one customer's row and open issues into the copy in memory again, after a save
    /// wrote them (and nothing else) into the table: a copy that was the table's before the
    /// save is again after, instead of the whole table read again at the next count under a
    /// filter (about 0.25 s at 100,000 customers, every session waiting). False when the
    /// customer is in neither: the copy is then as it was, no longer current.
    pub(crate) fn mirror_row(&self, cid: i64, mirror: &mut QueueMirror) -> Result<bool> {
        let Ok(i) = mirror.rows.binary_search_by_key(&cid, |r| r.cid) else {
            return Ok(false);
        };
        let mut reading = MirrorReading::new("queue", "queue_issues");
        reading.buckets = Some(mirror.buckets);
        reading.after = cid.saturating_sub(1);
        self.mirror_part(&mut reading, 1)?;
        let Some(row) = reading.rows.pop().filter(|r| r.cid == cid) else {
            return Ok(false);
        };
        let stride = reading.sums.len();
        mirror.rows[i] = row;
        mirror.sums[i * stride..(i + 1) * stride].copy_from_slice(&reading.sums);
        let mut stmt = self.conn().prepare_cached(
            "SELECT reason, n, amount FROM temp.queue_issues WHERE cid = ?1 ORDER BY reason",
        )?;
        let found: Vec<(String, i64, i64)> = stmt
            .query_map([cid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let issues: Vec<(u16, i64, i64)> = found
            .iter()
            .map(|(reason, n, amount)| (reason_index(&mut mirror.reasons, reason), *n, *amount))
            .collect();
        let span = mirror.issue_spans[i] as usize..mirror.issue_spans[i + 1] as usize;
        let (was, now) = (span.len(), issues.len());
        mirror.issues.splice(span, issues);
        for s in &mut mirror.issue_spans[i + 1..] {
            *s = u32::try_from(*s as usize + now - was).unwrap_or(u32::MAX);
        }
        mirror.stamp(&self.store);
        Ok(true)
    }
}

impl<S: std::ops::Deref<Target = Store>> Queue<S> {
    /// How many aging buckets a queue table (of the TEMP schema) has columns for.
    fn buckets_of(&self, table: &str) -> Result<usize> {
        let n: i64 = self.conn().query_row(
            &format!(
                "SELECT count(*) FROM temp.pragma_table_info('{table}') WHERE name GLOB 'b[0-9]*'"
            ),
            [],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}

/// The index of an open issue's reason (lowered) among those the copy holds, added when new.
fn reason_index(reasons: &mut Vec<Box<str>>, reason: &str) -> u16 {
    let reason = reason.to_ascii_lowercase();
    let index = match reasons.iter().position(|x| **x == *reason) {
        Some(i) => i,
        None => {
            reasons.push(reason.into_boxed_str());
            reasons.len() - 1
        }
    };
    u16::try_from(index).unwrap_or(u16::MAX)
}

/// The sums of one row of a query that selects, from column `from`, the customers, those
/// overdue and then the `stride` sums, each in the two columns of [`wide_sum`].
fn sums_at(r: &rusqlite::Row<'_>, from: usize, stride: usize) -> rusqlite::Result<ScopeSums> {
    let mut sums = ScopeSums {
        customers: r.get::<_, i64>(from)?.unsigned_abs(),
        customers_overdue: r.get::<_, i64>(from + 1)?.unsigned_abs(),
        sums: Vec::with_capacity(stride),
        issues: Vec::new(),
    };
    for i in 0..stride {
        sums.sums.push(wide_at(r, from + 2 + 2 * i)?);
    }
    Ok(sums)
}

/// `sum(c)` of an integer column in SQL, in two halves that never overflow (SQLite's `sum`
/// stops at "integer overflow" past 64 bits, which a portfolio's figures may pass though each
/// customer's fits): its high 32 bits summed, then its low; [`wide_at`] reads them back.
fn wide_sum(c: &str) -> String {
    format!("ifnull(sum(({c}) >> 32), 0), ifnull(sum(({c}) & 4294967295), 0)")
}

/// The sum [`wide_sum`] selected from column `at` (and the next), in 128 bits.
fn wide_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<i128> {
    let high = i128::from(r.get::<_, i64>(at)?);
    let low = i128::from(r.get::<_, i64>(at + 1)?);
    Ok((high << 32) + low)
}

impl<S: std::ops::Deref<Target = Store>> Queue<S> {
    /// The queue table's summed columns as SQL (`, ` and [`wide_sum`] of each, two columns
    /// each, in the order of [`ScopeSums::sums`]) and how many sums there are.
    fn summed(&self) -> Result<(String, usize)> {
        let buckets = self.buckets_of("queue")?;
        let summed: String = SUMMED
            .iter()
            .map(|c| c.to_string())
            .chain((0..buckets).map(|i| format!("b{i}")))
            .chain((0..buckets).map(|i| format!("n{i}")))
            .map(|c| format!(", {}", wide_sum(&c)))
            .collect();
        Ok((summed, SUMMED.len() + 2 * buckets))
    }

    /// What the rows a query's scope and filter select add up to, counted in SQL over the
    /// queue table (as [`QueueMirror::figures`] does in memory); `mine_fallback` as the
    /// query's counts say.
    pub fn scope_sums(&self, query: &QueueQuery, mine_fallback: bool) -> Result<ScopeSums> {
        let (filter, params) = super::filter_sql::where_clause(query, mine_fallback);
        let (summed, stride) = self.summed()?;
        let sql = format!(
            "SELECT count(*), ifnull(sum(overdue > 0), 0){summed} FROM temp.queue WHERE {filter}"
        );
        let mut sums = self
            .conn()
            .prepare_cached(&sql)?
            .query_row(rusqlite::params_from_iter(params.iter()), |r| {
                sums_at(r, 0, stride)
            })?;
        let sql = format!(
            "SELECT lower(qi.reason), sum(qi.n), {} FROM temp.queue_issues qi
              WHERE qi.cid IN (SELECT cid FROM temp.queue WHERE {filter})
              GROUP BY lower(qi.reason)",
            wide_sum("qi.amount")
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        sums.issues = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?, wide_at(r, 2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(sums)
    }

    /// What every finance owner's customers add up to without a filter, in one pass over
    /// the queue table, by owner lowercased (`None`: customers without one), as
    /// [`Queue::scope_sums`] counts each owner's "mine"; everyone's are their total
    /// ([`ScopeSums::add`]).
    pub fn scope_sums_by_owner(&self) -> Result<OwnerSums> {
        let (summed, stride) = self.summed()?;
        let owner = |o: Option<String>| o.map(|o| crate::domain::text::person_key(&o));
        let mut out = OwnerSums::new();
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT finance_owner, count(*), ifnull(sum(overdue > 0), 0){summed}
               FROM temp.queue GROUP BY finance_owner COLLATE owed_person"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            out.insert(owner(r.get(0)?), sums_at(r, 1, stride)?);
        }
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT q.finance_owner, lower(qi.reason), sum(qi.n), {}
               FROM temp.queue_issues qi JOIN temp.queue q ON q.cid = qi.cid
              GROUP BY q.finance_owner COLLATE owed_person, lower(qi.reason)",
            wide_sum("qi.amount")
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(sums) = out.get_mut(&owner(r.get(0)?)) {
                sums.issues.push((r.get(1)?, r.get(2)?, wide_at(r, 3)?));
            }
        }
        Ok(out)
    }

    /// The keys of the customers a query's scope and filter select (any tab).
    pub fn scope_keys(&self, query: &QueueQuery, mine_fallback: bool) -> Result<Vec<i64>> {
        let (filter, params) = super::filter_sql::where_clause(query, mine_fallback);
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT cid FROM temp.queue WHERE {filter} ORDER BY cid"
        ))?;
        let keys = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(keys)
    }

    /// After a save: a customer's open issues and promises in the base currency, in the queue
    /// table (its row and its issues by reason).
    pub(crate) fn set_extras(
        &self,
        cid: i64,
        issues: &[crate::store::activity::issues::OpenIssueBase],
        promise_base: crate::domain::Decimal,
    ) -> Result<()> {
        let issue_base: crate::domain::Decimal = issues.iter().map(|i| i.amount).sum();
        self.conn()
            .prepare_cached(
                "UPDATE temp.queue SET issue_base = ?2, promise_base = ?3 WHERE cid = ?1",
            )?
            .execute(rusqlite::params![
                cid,
                units(issue_base),
                units(promise_base)
            ])?;
        self.conn()
            .prepare_cached("DELETE FROM temp.queue_issues WHERE cid = ?1")?
            .execute([cid])?;
        let mut insert = self.conn().prepare_cached(
            "INSERT INTO temp.queue_issues (cid, reason, n, amount) VALUES (?1, ?2, 1, ?3)
             ON CONFLICT (cid, reason) DO UPDATE SET n = n + 1, amount = amount + excluded.amount",
        )?;
        for i in issues {
            insert.execute(rusqlite::params![cid, i.reason, units(i.amount)])?;
        }
        Ok(())
    }

    /// A customer's follow-ups due, as its queue row counts them.
    pub(crate) fn followups_due(&self, cid: i64) -> Result<i64> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .prepare_cached("SELECT followups_due FROM temp.queue WHERE cid = ?1")?
            .query_row([cid], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }
}

impl QueueMirror {
    /// Whether the table is as it was read: the connection has changed nothing since.
    pub fn is_current(&self, store: &Store) -> bool {
        store.conn().total_changes() == self.changes
    }

    /// The rows of every tab for a query's scope and filter, as [`Queue::counts`]
    /// counts them in SQL; `matches`: what the filter's predicates that look beyond the
    /// table let through ([`Activity::filter_matches`](crate::store::Activity::filter_matches)).
    pub fn counts(&self, query: &QueueQuery, matches: &FilterMatches) -> QueueCounts {
        let mut counts = [0u64; Tab::COUNT];
        let mine_fallback = self.each_selected(query, matches, |row| {
            for (i, c) in counts.iter_mut().enumerate() {
                *c += u64::from(row.tabs >> i & 1);
            }
        });
        QueueCounts {
            counts,
            mine_fallback,
        }
    }

    /// The tab counts of a query's scope and filter, and what its rows add up to (the
    /// figures of that part of the portfolio), in one pass.
    pub fn figures(&self, query: &QueueQuery, matches: &FilterMatches) -> (QueueCounts, ScopeSums) {
        let mut counts = [0u64; Tab::COUNT];
        let stride = SUMMED.len() + 2 * self.buckets;
        let mut sums = ScopeSums {
            sums: vec![0; stride],
            ..ScopeSums::default()
        };
        let mut by_reason = vec![(0i64, 0i128); self.reasons.len()];
        let mine_fallback = self.each_selected_at(query, matches, |i, row| {
            for (t, c) in counts.iter_mut().enumerate() {
                *c += u64::from(row.tabs >> t & 1);
            }
            sums.customers += 1;
            sums.customers_overdue += u64::from(row.amounts[0] > 0);
            for (total, v) in sums
                .sums
                .iter_mut()
                .zip(&self.sums[i * stride..(i + 1) * stride])
            {
                *total += i128::from(*v);
            }
            let span = self.issue_spans[i] as usize..self.issue_spans[i + 1] as usize;
            for (reason, n, amount) in &self.issues[span] {
                let slot = &mut by_reason[usize::from(*reason)];
                slot.0 += n;
                slot.1 += i128::from(*amount);
            }
        });
        sums.issues = self
            .reasons
            .iter()
            .zip(by_reason)
            .map(|(r, (n, a))| (r.to_string(), n, a))
            .collect();
        (
            QueueCounts {
                counts,
                mine_fallback,
            },
            sums,
        )
    }

    /// The keys (`cid`) of every row the query's scope and filter select (any tab).
    pub fn scope_keys(&self, query: &QueueQuery, matches: &FilterMatches) -> Vec<i64> {
        let mut keys = Vec::new();
        self.each_selected(query, matches, |row| keys.push(row.cid));
        keys
    }

    /// The keys (`cid`) of the rows in the query's tab under its scope and filter.
    pub fn keys(&self, query: &QueueQuery, matches: &FilterMatches) -> Vec<i64> {
        let tab = query.tab.index();
        let mut keys = Vec::new();
        self.each_selected(query, matches, |row| {
            if row.tabs >> tab & 1 == 1 {
                keys.push(row.cid);
            }
        });
        keys
    }

    /// Calls `each` for every row the query's scope and filter select (any tab); returns
    /// whether "mine" fell back to everyone.
    fn each_selected(
        &self,
        query: &QueueQuery,
        matches: &FilterMatches,
        mut each: impl FnMut(&Row),
    ) -> bool {
        self.each_selected_at(query, matches, |_, row| each(row))
    }

    /// [`QueueMirror::each_selected`] with each row's position.
    fn each_selected_at(
        &self,
        query: &QueueQuery,
        matches: &FilterMatches,
        mut each: impl FnMut(usize, &Row),
    ) -> bool {
        let owns = |r: &Row| {
            r.finance_owner
                .as_deref()
                .is_some_and(|o| crate::domain::text::same_person(o, &query.collector))
        };
        let mine_fallback = query.scope == Scope::Mine && !self.rows.iter().any(owns);
        let scope_all = query.scope == Scope::Everyone || mine_fallback;
        let texts: Vec<String> = query
            .filter
            .predicates
            .iter()
            .map(|p| match p {
                Predicate::Text(t) => fold(t).into_owned(),
                _ => String::new(),
            })
            .collect();
        // An issue reason's positions among the mirror's, lowered in every script as the
        // predicate's is (`Qualité` and `QUALITÉ` are two of the mirror's; none: no row has
        // one).
        let reasons: Vec<Vec<u16>> = query
            .filter
            .predicates
            .iter()
            .map(|p| match p {
                Predicate::Issue(r) => (0..self.reasons.len())
                    .filter(|&i| lowered(&self.reasons[i]) == r.as_str())
                    .filter_map(|i| u16::try_from(i).ok())
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        for (i, row) in self.rows.iter().enumerate() {
            if !scope_all && !owns(row) {
                continue;
            }
            let all = query
                .filter
                .predicates
                .iter()
                .zip(&texts)
                .zip(&reasons)
                .enumerate()
                .all(|(k, ((p, folded), reason))| match p {
                    Predicate::Issue(_) => {
                        let span = self.issue_spans[i] as usize..self.issue_spans[i + 1] as usize;
                        self.issues[span]
                            .iter()
                            .any(|(x, n, _)| reason.contains(x) && *n > 0)
                    }
                    _ => holds(p, folded, matches.get(k), row),
                });
            if all {
                each(i, row);
            }
        }
        mine_fallback
    }
}

/// Whether one predicate holds for a row (`folded`: a text predicate's text, folded;
/// `found`: the customers it lets through beyond the table's columns).
fn holds(p: &Predicate, folded: &str, found: Option<&HashSet<i64>>, row: &Row) -> bool {
    let found = || found.is_some_and(|set| set.contains(&row.cid));
    let same = |column: &Option<Box<str>>, value: &str| {
        column
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(value))
    };
    match p {
        Predicate::Text(_) => row.name.contains(folded) || row.id.contains(folded) || found(),
        Predicate::Search(..) => found(),
        Predicate::CallDays(cmp, n) => match row.call_days {
            Some(days) => cmp.holds(days, *n),
            None => matches!(cmp, Cmp::Gt | Cmp::Ge | Cmp::Ne),
        },
        Predicate::Promise(sel) => row.promise == promise_code(*sel),
        Predicate::Owner(Some(owner)) => row
            .finance_owner
            .as_deref()
            .is_some_and(|o| crate::domain::text::same_person(o, owner)),
        Predicate::Owner(None) => row.finance_owner.is_none(),
        Predicate::Currency(currency) => same(&row.currency, currency),
        Predicate::Amount(field, cmp, amount) => {
            let column = match field {
                AmountField::Overdue => row.amounts[0],
                AmountField::Outstanding => row.amounts[1],
                AmountField::NetOverdue => row.amounts[2],
                AmountField::Credit => row.amounts[3],
                AmountField::CollectableThisMonth => row.amounts[4],
                AmountField::Unutilised => row.amounts[5],
            };
            cmp.holds(column, units(*amount))
        }
        Predicate::Days(cmp, n) => cmp.holds(row.max_days, *n),
        Predicate::Bucket(BucketSel::Index(i)) => *i < 32 && row.buckets >> i & 1 == 1,
        Predicate::Bucket(BucketSel::Over(n)) => row.max_days > *n,
        Predicate::NetBucket(buckets) => buckets
            .clone()
            .any(|i| i < 32 && row.net_buckets >> i & 1 == 1),
        // Answered from the row's issues by the caller.
        Predicate::Issue(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two owners' customers each near what one sum can hold add up to what they hold: the
    /// workstation showed their sum wrapped (`Outstanding -344674.4B`).
    #[test]
    fn sums_of_customers_do_not_wrap() {
        let part = ScopeSums {
            customers: 1,
            customers_overdue: 1,
            sums: vec![i128::from(i64::MAX); SUMMED.len()],
            issues: vec![("dispute".into(), 1, i128::from(i64::MAX))],
        };
        let mut all = part.clone();
        all.add(&part);
        let figures = all.figures(0);
        let twice = money::from_units(i64::MAX) * crate::domain::Decimal::from(2);
        assert_eq!(figures.headline.outstanding, twice);
        assert_eq!(figures.headline.overdue, twice);
        assert_eq!(figures.issues[0].amount, twice);
    }
}
