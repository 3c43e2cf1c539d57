//! The queue table's rows in memory, for counting the tabs under a filter as it is typed.
//!
//! Every keystroke of `/` asks for the rows of all seven tabs under a new filter. In SQL that
//! is a pass over the whole TEMP table with a `LIKE` per row (10–30 ms at 100k customers); in
//! memory it is a loop over compact rows (a few ms). The mirror is read from `temp.queue`
//! itself and stands only while this connection has changed nothing since
//! (`sqlite3_total_changes`), so it never disagrees with the table: any write (a save, new
//! figures, a forecast's risk) makes the next count read it again. Filters mean here exactly
//! what [`super::queue::where_clause`] makes them mean in SQL (`LIKE` and `NOCASE` fold ASCII
//! letters only); a test holds the two to the same counts.

use super::Store;
use super::queue::{QueueCounts, promise_code, tab_sql, units};
use super::search::FilterMatches;
use crate::Result;
use crate::domain::queue::{AmountField, BucketSel, Cmp, Predicate, QueueQuery, Scope, Tab};
use std::collections::HashSet;

/// One row of `temp.queue`, as much as filters and tabs read.
struct Row {
    cid: i64,
    /// Name and id, ASCII letters lowered (as `LIKE` compares them).
    name: Box<str>,
    id: Box<str>,
    finance_owner: Option<Box<str>>,
    currency: Option<Box<str>>,
    /// Units of: overdue, outstanding, net overdue, credit + cash, collectable this month.
    amounts: [i64; 5],
    max_days: i64,
    /// Bit i: bucket i holds something.
    buckets: u32,
    /// Bit i: in tab `Tab::ALL[i]`.
    tabs: u32,
    /// Days since the last call (`None`: never called).
    call_days: Option<i64>,
    /// The latest promise's state, as `temp.queue` codes it.
    promise: i64,
}

/// The queue table in memory, as of this connection's `total_changes`.
pub struct QueueMirror {
    changes: u64,
    rows: Vec<Row>,
}

impl Store {
    /// Reads `temp.queue` into memory. Needs [`Store::rebuild_queue_summary`] first.
    pub fn queue_mirror(&self) -> Result<QueueMirror> {
        let buckets: i64 = self.conn().query_row(
            "SELECT count(*) FROM temp.pragma_table_info('queue') WHERE name GLOB 'b[0-9]*'",
            [],
            |r| r.get(0),
        )?;
        let bucket_bits: String = (0..buckets.clamp(0, 31))
            .map(|i| format!(" + ((b{i} <> 0) << {i})"))
            .collect();
        let tab_bits: String = Tab::ALL
            .iter()
            .enumerate()
            .map(|(i, t)| format!(" + (({}) << {i})", tab_sql(*t)))
            .collect();
        let sql = format!(
            "SELECT name, id, finance_owner, currency, overdue, outstanding, net_overdue,
                    credit + cash, collectable, max_days, 0{bucket_bits}, 0{tab_bits}, cid,
                    call_days, promise
               FROM temp.queue"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        let text =
            |v: rusqlite::types::ValueRef| -> Option<Box<str>> { v.as_str().ok().map(Box::from) };
        while let Some(r) = rows.next()? {
            let lowered = |i: usize| -> rusqlite::Result<Box<str>> {
                Ok(r.get_ref(i)?
                    .as_str()?
                    .to_ascii_lowercase()
                    .into_boxed_str())
            };
            out.push(Row {
                cid: r.get(12)?,
                name: lowered(0)?,
                id: lowered(1)?,
                finance_owner: text(r.get_ref(2)?),
                currency: text(r.get_ref(3)?),
                amounts: [r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?],
                max_days: r.get(9)?,
                buckets: r.get(10)?,
                tabs: r.get(11)?,
                call_days: r.get(13)?,
                promise: r.get(14)?,
            });
        }
        Ok(QueueMirror {
            changes: self.conn().total_changes(),
            rows: out,
        })
    }
}

impl QueueMirror {
    /// Whether the table is as it was read: the connection has changed nothing since.
    pub fn is_current(&self, store: &Store) -> bool {
        store.conn().total_changes() == self.changes
    }

    /// The rows of every tab for a query's scope and filter, as [`Store::queue_counts`]
    /// counts them in SQL; `matches`: what the filter's predicates that look beyond the
    /// table let through ([`Store::filter_matches`]).
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
        let owns = |r: &Row| {
            r.finance_owner
                .as_deref()
                .is_some_and(|o| o.eq_ignore_ascii_case(&query.collector))
        };
        let mine_fallback = query.scope == Scope::Mine && !self.rows.iter().any(owns);
        let scope_all = query.scope == Scope::Everyone || mine_fallback;
        let texts: Vec<String> = query
            .filter
            .predicates
            .iter()
            .map(|p| match p {
                Predicate::Text(t) => t.to_ascii_lowercase(),
                _ => String::new(),
            })
            .collect();
        for row in &self.rows {
            if !scope_all && !owns(row) {
                continue;
            }
            let all = query
                .filter
                .predicates
                .iter()
                .zip(&texts)
                .enumerate()
                .all(|(i, (p, lowered))| holds(p, lowered, matches.get(i), row));
            if all {
                each(row);
            }
        }
        mine_fallback
    }
}

/// Whether one predicate holds for a row (`lowered`: a text predicate's text, lowered;
/// `found`: the customers it lets through beyond the table's columns).
fn holds(p: &Predicate, lowered: &str, found: Option<&HashSet<i64>>, row: &Row) -> bool {
    let found = || found.is_some_and(|set| set.contains(&row.cid));
    let same = |column: &Option<Box<str>>, value: &str| {
        column
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(value))
    };
    match p {
        Predicate::Text(_) => row.name.contains(lowered) || row.id.contains(lowered) || found(),
        Predicate::Search(..) => found(),
        Predicate::CallDays(cmp, n) => match row.call_days {
            Some(days) => cmp.holds(days, *n),
            None => matches!(cmp, Cmp::Gt | Cmp::Ge | Cmp::Ne),
        },
        Predicate::Promise(sel) => row.promise == promise_code(*sel),
        Predicate::Owner(Some(owner)) => same(&row.finance_owner, owner),
        Predicate::Owner(None) => row.finance_owner.is_none(),
        Predicate::Currency(currency) => same(&row.currency, currency),
        Predicate::Amount(field, cmp, amount) => {
            let column = match field {
                AmountField::Overdue => row.amounts[0],
                AmountField::Outstanding => row.amounts[1],
                AmountField::NetOverdue => row.amounts[2],
                AmountField::Credit => row.amounts[3],
                AmountField::CollectableThisMonth => row.amounts[4],
            };
            cmp.holds(column, units(*amount))
        }
        Predicate::Days(cmp, n) => cmp.holds(row.max_days, *n),
        Predicate::Bucket(BucketSel::Index(i)) => *i < 32 && row.buckets >> i & 1 == 1,
        Predicate::Bucket(BucketSel::Over(n)) => row.max_days > *n,
    }
}
