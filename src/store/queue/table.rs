//! The TEMP `queue` table itself: its DDL and the batched writing of one row per customer
//! (figures, activity, open issues and promises in the base currency), the date it is as of
//! (for the filter's searches), and a row's figures read back.

use super::Queue;
use super::activity::RowActivity;
use super::mirror::{OwnerSums, ScopeSums};
use super::risk::{QueueRisk, risk_code};
use super::tab_counts::UnfilteredCounts;
use super::{SummaryFigures, units};
use crate::Result;
use crate::domain::aging::{AgingBounds, Figures};
use crate::domain::{Date, Decimal, money};
use crate::store::Store;
use crate::store::activity::search::{AsOfSql, as_of_values};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter};
use std::collections::HashMap;

/// What the queue table keeps of each customer beyond its figures and activity: its open
/// issues and promises in the base currency, for the figures of a part of the portfolio.
#[derive(Debug, Clone, Default)]
pub struct QueueExtras {
    /// Σ open issues per customer key.
    pub issue_base: HashMap<i64, Decimal>,
    /// Σ remaining of open promises per customer key.
    pub promise_base: HashMap<i64, Decimal>,
    /// Every open issue (its customer, reason and base amount).
    pub issues: Vec<crate::store::activity::issues::OpenIssueBase>,
}

impl QueueExtras {
    /// The open issues and promises of every customer at `as_of`, in the `base` currency
    /// (promises counted kept or broken after `grace_days`).
    pub fn read(store: &Store, as_of: Date, grace_days: u32, base: &str) -> Result<QueueExtras> {
        let issues = store.activity().open_issues_base(as_of, base, None)?;
        let promise_base = store
            .activity()
            .open_promise_amounts(as_of, grace_days, base)?;
        let mut issue_base: HashMap<i64, Decimal> = HashMap::new();
        for i in &issues {
            *issue_base.entry(i.cid).or_default() += i.amount;
        }
        Ok(QueueExtras {
            issue_base,
            promise_base,
            issues,
        })
    }
}

/// Everything at once, for [`Queue::write_slice`].
const BUILD_ALL: usize = usize::MAX;

/// What a queue table's rows are made of: each customer's figures, activity, open issues
/// and promises in the base currency, and risk (sorted by `cid`; customers missing from any
/// of them have none).
pub(crate) struct RowSource<'a> {
    pub(crate) bounds: &'a AgingBounds,
    pub(crate) figures: &'a HashMap<i64, Figures>,
    pub(crate) activity: &'a HashMap<i64, RowActivity>,
    pub(crate) extras: &'a QueueExtras,
    pub(crate) risks: &'a [QueueRisk],
}

/// The queue table's date as SQL reads it, from `temp.queue_as_of` (written with the table):
/// what the filter's searches of notes and documents see is what existed by then, as every
/// column of the table is as of then (`call>14` and `note:approval` of one date).
pub(crate) const QUEUE_AS_OF: AsOfSql<'static> = AsOfSql {
    day: "(SELECT day FROM temp.queue_as_of)",
    next_day: "(SELECT next_day FROM temp.queue_as_of)",
};

/// A queue table being written: where it is (`queue`, or `queue_next` beside the one the
/// sessions read), the date it is as of, the last customer written and the tab counts so far.
#[derive(Debug)]
pub struct QueueBuild {
    buckets: usize,
    beside: bool,
    as_of: Date,
    after: Option<i64>,
    counts: UnfilteredCounts,
    sums: OwnerSums,
    /// The finance owner (lowercased) of each customer with open issues.
    issue_owners: HashMap<i64, Option<String>>,
}

impl QueueBuild {
    fn new(buckets: usize, beside: bool, as_of: Date) -> QueueBuild {
        QueueBuild {
            buckets,
            beside,
            as_of,
            after: None,
            counts: UnfilteredCounts::default(),
            sums: OwnerSums::new(),
            issue_owners: HashMap::new(),
        }
    }

    /// Adds a customer's row as written (`row`: its values in the insert's order) to its
    /// owner's sums, in the order of [`ScopeSums::sums`]; remembers its owner when it has
    /// open issues (`issues`).
    fn add_sums(&mut self, cid: i64, owner: Option<String>, row: &[Value], issues: bool) {
        let buckets = self.buckets;
        let int = |i: usize| match row.get(i) {
            Some(Value::Integer(v)) => *v,
            _ => 0,
        };
        let sums = self.sums.entry(owner.clone()).or_insert_with(|| ScopeSums {
            sums: vec![0; SUMMED_COLUMNS.len() + 2 * buckets],
            ..ScopeSums::default()
        });
        sums.customers += 1;
        sums.customers_overdue += u64::from(int(ROW_OVERDUE) > 0);
        for (total, column) in sums.sums.iter_mut().zip(SUMMED_COLUMNS) {
            *total += i128::from(int(column));
        }
        for i in 0..buckets {
            sums.sums[SUMMED_COLUMNS.len() + i] += i128::from(int(ROW_BUCKETS + 2 * i));
            sums.sums[SUMMED_COLUMNS.len() + buckets + i] +=
                i128::from(int(ROW_BUCKETS + 2 * i + 1));
        }
        if issues {
            self.issue_owners.insert(cid, owner);
        }
    }

    /// The names of its queue table and its issues table.
    fn tables(&self) -> (&'static str, &'static str) {
        if self.beside {
            ("queue_next", "queue_issues_next")
        } else {
            ("queue", "queue_issues")
        }
    }

    /// The name of the one-row table of its date ([`QUEUE_AS_OF`] once in place).
    fn as_of_table(&self) -> &'static str {
        if self.beside {
            "queue_as_of_next"
        } else {
            "queue_as_of"
        }
    }
}

/// Where a row's values stand in the insert (`write_slice`'s order): its overdue amount and
/// first aging bucket, and the columns of [`ScopeSums::sums`]'s order (outstanding, overdue,
/// net overdue, credit, cash, collectable, issue base, promise base, follow-ups due).
const ROW_OVERDUE: usize = 6;
const ROW_BUCKETS: usize = 24;
const SUMMED_COLUMNS: [usize; 9] = [5, 6, 7, 8, 9, 10, 20, 21, 14];

impl<S: std::ops::Deref<Target = Store>> Queue<S> {
    /// Rebuilds the TEMP `queue` table: one row per customer with its figures as of `as_of`
    /// (`figures` by customer key, as `Portfolio::compute` gives them; customers missing have
    /// nothing open), its latest promise's state, follow-ups due, open issues (by reason, so
    /// that `issue:pricing` finds them: without them an export filtered so was empty) and
    /// promises in the `base` currency, last contact, and its risk from `risks` (sorted by
    /// `cid`; customers missing have none). Returns the tab counts without a filter, counted
    /// on the way (not the High risk tab's: [`Queue::tab_counts`]).
    pub fn rebuild(
        &self,
        as_of: Date,
        bounds: &AgingBounds,
        figures: &HashMap<i64, Figures>,
        grace_days: u32,
        base: &str,
        risks: &[QueueRisk],
    ) -> Result<UnfilteredCounts> {
        let activity = self.customer_activity(as_of, grace_days, None)?;
        let extras = QueueExtras::read(&self.store, as_of, grace_days, base)?;
        self.write_rows(as_of, bounds, figures, &activity, &extras, risks)
            .map(|(counts, _)| counts)
    }

    /// [`Queue::rebuild`] with the activity read already (by
    /// [`Queue::customer_activity`]), in one transaction.
    pub(crate) fn write_rows(
        &self,
        as_of: Date,
        bounds: &AgingBounds,
        figures: &HashMap<i64, Figures>,
        activity: &HashMap<i64, RowActivity>,
        extras: &QueueExtras,
        risks: &[QueueRisk],
    ) -> Result<(UnfilteredCounts, OwnerSums)> {
        // A deferred transaction: it writes only the TEMP schema, so it must not take the
        // database's write lock away from collectors saving their work.
        let tx = self.conn().unchecked_transaction()?;
        let mut build = QueueBuild::new(bounds.len(), false, as_of);
        self.create_tables(&build)?;
        let rows = RowSource {
            bounds,
            figures,
            activity,
            extras,
            risks,
        };
        while !self.write_slice(&mut build, &rows, BUILD_ALL)? {}
        self.write_issues(&mut build, extras)?;
        self.conn()
            .execute_batch("CREATE INDEX temp.queue_by_overdue ON queue(overdue);")?;
        tx.commit()?;
        Ok((build.counts, build.sums))
    }

    /// Starts writing a new queue table as of `as_of` beside the one being read
    /// (`queue_next`), to be written a part at a time (`Queue::build_step`) and put in the old
    /// one's place ([`Queue::build_swap`]); a build left unfinished is dropped by
    /// [`Queue::build_drop`] (or the next start).
    pub fn build_start(&self, buckets: usize, as_of: Date) -> Result<QueueBuild> {
        let build = QueueBuild::new(buckets, true, as_of);
        self.create_tables(&build)?;
        Ok(build)
    }

    /// Writes the next `limit` customers of a build started by [`Queue::build_start`] (in
    /// `cid` order, in a transaction of their own); true once every customer is written.
    pub(crate) fn build_step(
        &self,
        build: &mut QueueBuild,
        rows: &RowSource<'_>,
        limit: usize,
    ) -> Result<bool> {
        let tx = self.conn().unchecked_transaction()?;
        let done = self.write_slice(build, rows, limit)?;
        tx.commit()?;
        Ok(done)
    }

    /// Writes the open issues of a build whose customers are all written (in a transaction
    /// of their own).
    pub fn build_issues(&self, build: &mut QueueBuild, extras: &QueueExtras) -> Result<()> {
        let tx = self.conn().unchecked_transaction()?;
        self.write_issues(build, extras)?;
        tx.commit()?;
        Ok(())
    }

    /// Puts a build written whole ([`Queue::build_issues`] too) in the place of the queue
    /// table the sessions read, with the default order's index, and returns its tab counts
    /// and sums without a filter. The sort indexes of the other orders are made again when
    /// first sorted by.
    pub fn build_swap(&self, build: QueueBuild) -> Result<(UnfilteredCounts, OwnerSums)> {
        let tx = self.conn().unchecked_transaction()?;
        tx.execute_batch(
            "DROP TABLE IF EXISTS temp.queue;
             DROP TABLE IF EXISTS temp.queue_issues;
             DROP TABLE IF EXISTS temp.queue_as_of;
             ALTER TABLE temp.queue_next RENAME TO queue;
             ALTER TABLE temp.queue_issues_next RENAME TO queue_issues;
             ALTER TABLE temp.queue_as_of_next RENAME TO queue_as_of;
             CREATE INDEX temp.queue_by_overdue ON queue(overdue);",
        )?;
        tx.commit()?;
        Ok((build.counts, build.sums))
    }

    /// Drops a build that will not be finished (the sessions' table stays as it is).
    pub fn build_drop(&self) -> Result<()> {
        self.conn().execute_batch(
            "DROP TABLE IF EXISTS temp.queue_next;
             DROP TABLE IF EXISTS temp.queue_issues_next;
             DROP TABLE IF EXISTS temp.queue_as_of_next;",
        )?;
        Ok(())
    }

    /// Creates a build's (empty) tables and the one of its date, dropping any of the same
    /// names first.
    fn create_tables(&self, build: &QueueBuild) -> Result<()> {
        let (queue, issues) = build.tables();
        let as_of = build.as_of_table();
        let (day, next_day) = as_of_values(build.as_of);
        self.conn().execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.{as_of};
             CREATE TEMP TABLE {as_of} (day INTEGER NOT NULL, next_day TEXT NOT NULL);"
        ))?;
        self.conn().execute(
            &format!("INSERT INTO temp.{as_of} (day, next_day) VALUES (?1, ?2)"),
            params![day, next_day],
        )?;
        let bucket_cols: String = (0..build.buckets)
            .map(|i| format!(", b{i} INTEGER NOT NULL DEFAULT 0, n{i} INTEGER NOT NULL DEFAULT 0"))
            .collect();
        self.conn().execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.{queue};
             CREATE TEMP TABLE {queue} (
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
                last_call INTEGER,
                call_days INTEGER,
                risk INTEGER NOT NULL DEFAULT 0,
                risk_score INTEGER NOT NULL DEFAULT 0,
                issue_base INTEGER NOT NULL DEFAULT 0,
                promise_base INTEGER NOT NULL DEFAULT 0
                {bucket_cols}
             );
             DROP TABLE IF EXISTS temp.{issues};
             CREATE TEMP TABLE {issues} (
                cid INTEGER NOT NULL,
                reason TEXT NOT NULL,
                n INTEGER NOT NULL,
                amount INTEGER NOT NULL,
                PRIMARY KEY (cid, reason)
             ) WITHOUT ROWID;"
        ))?;
        Ok(())
    }

    /// Writes the next `limit` customers after the last one written into a build's table,
    /// counting their tabs; true once every customer is written.
    fn write_slice(
        &self,
        build: &mut QueueBuild,
        source: &RowSource<'_>,
        limit: usize,
    ) -> Result<bool> {
        let buckets = build.buckets;
        let (queue, _) = build.tables();
        let columns = 24 + 2 * buckets;
        let bucket_names: String = (0..buckets).map(|i| format!(", b{i}, n{i}")).collect();
        let insert_sql = |rows: usize| {
            let one = format!("({})", vec!["?"; columns].join(","));
            format!(
                "INSERT INTO temp.{queue} (cid, id, name, finance_owner, currency, outstanding,
                        overdue, net_overdue, credit, cash, collectable, max_days, last_contact,
                        promise, followups_due, open_issues, unread_replies, unverified_replies,
                        last_call, call_days, issue_base, promise_base, risk, risk_score
                        {bucket_names})
                 VALUES {}",
                vec![one; rows].join(",")
            )
        };
        // Many rows per statement: the per-statement cost dominates at 100k customers.
        const BATCH: usize = 200;
        let mut insert_full = self.conn().prepare_cached(&insert_sql(BATCH))?;
        let empty = Figures::new(source.bounds);
        let mut customers = self.conn().prepare_cached(
            "SELECT cid, id, name, finance_owner, currency FROM main.customers
              WHERE cid > ?1 ORDER BY cid LIMIT ?2",
        )?;
        let after = build.after.unwrap_or(i64::MIN);
        let limit_sql = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = customers.query(params![after, limit_sql])?;
        let mut values: Vec<Value> = Vec::with_capacity(columns * BATCH);
        let mut pending = 0;
        let mut written = 0;
        // Both in `cid` order: each customer's risk is the next one's or none.
        let first = source.risks.partition_point(|k| k.cid <= after);
        let mut risks = source.risks[first..].iter().peekable();
        let extras = source.extras;
        while let Some(r) = rows.next()? {
            let cid: i64 = r.get(0)?;
            while risks.next_if(|k| k.cid < cid).is_some() {}
            let risk = risks.next_if(|k| k.cid == cid);
            let f = source.figures.get(&cid).unwrap_or(&empty);
            let a = source.activity.get(&cid).copied().unwrap_or_default();
            let owner: Option<String> = r.get(3)?;
            // Lowered once for the tab counts and the sums by owner (owners compare without
            // case).
            let lowered = owner.as_deref().map(crate::domain::text::person_key);
            build
                .counts
                .add(lowered.as_deref(), a.tabs(f.overdue > Decimal::ZERO));
            let from = values.len();
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
                a.last_call
                    .map_or(Value::Null, |(d, _)| Value::Integer(d.into())),
                a.last_call
                    .map_or(Value::Null, |(_, n)| Value::Integer(n.into())),
                Value::Integer(units(
                    extras.issue_base.get(&cid).copied().unwrap_or_default(),
                )),
                Value::Integer(units(
                    extras.promise_base.get(&cid).copied().unwrap_or_default(),
                )),
                Value::Integer(risk_code(risk.and_then(|k| k.level))),
                Value::Integer(risk.map_or(0, |k| k.score.into())),
            ]);
            let net = f.net_aging();
            for i in 0..buckets {
                values.push(Value::Integer(units(
                    f.aging.get(i).copied().unwrap_or_default(),
                )));
                values.push(Value::Integer(units(
                    net.get(i).copied().unwrap_or_default(),
                )));
            }
            let issues = extras.issue_base.contains_key(&cid);
            build.add_sums(cid, lowered, &values[from..], issues);
            build.after = Some(cid);
            written += 1;
            pending += 1;
            if pending == BATCH {
                insert_full.execute(params_from_iter(values.drain(..)))?;
                pending = 0;
            }
        }
        if pending > 0 {
            self.conn()
                .execute(&insert_sql(pending), params_from_iter(values.drain(..)))?;
        }
        Ok(written < limit)
    }

    /// Writes the open issues by customer and reason into a build's issues table (and adds
    /// them to its owners' sums, by reason lowercased as the scopes count them).
    fn write_issues(&self, build: &mut QueueBuild, extras: &QueueExtras) -> Result<()> {
        let (_, issues) = build.tables();
        let mut insert = self.conn().prepare_cached(&format!(
            "INSERT INTO temp.{issues} (cid, reason, n, amount) VALUES (?1, ?2, 1, ?3)
             ON CONFLICT (cid, reason) DO UPDATE SET n = n + 1, amount = amount + excluded.amount"
        ))?;
        for i in &extras.issues {
            let amount = units(i.amount);
            insert.execute(params![i.cid, i.reason, amount])?;
            if let Some(owner) = build.issue_owners.get(&i.cid)
                && let Some(sums) = build.sums.get_mut(owner)
            {
                // SQLite's `lower`, which the scopes' SQL groups by, folds ASCII only.
                sums.add_issues(&i.reason.to_ascii_lowercase(), 1, i128::from(amount));
            }
        }
        Ok(())
    }

    /// A customer's figures from the summary (its aging as of the summary's date).
    pub fn figures(&self, cid: i64, buckets: usize) -> Result<Option<SummaryFigures>> {
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
}
