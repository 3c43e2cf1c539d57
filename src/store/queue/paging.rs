//! One page of the queue: the sort keys' indexes and `ORDER BY` terms, deep pages read from
//! the other end, and the first page computed from the figures before the table exists.

use super::Queue;
use super::activity::RowActivity;
use super::filter_sql::{tab_sql, where_clause};
use super::risk::risk_from_code;
use super::{PromiseFlag, QueueCounts, QueuePage, QueueRow, units};
use crate::Result;
use crate::domain::aging::{AgingBounds, Figures};
use crate::domain::date::from_day_number;
use crate::domain::queue::{QueueQuery, Scope, SortKey, Tab};
use crate::domain::{Decimal, money};
use crate::store::Store;
use rusqlite::params_from_iter;
use std::collections::HashMap;

impl<S: std::ops::Deref<Target = Store>> Queue<S> {
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

    /// One page of the queue: `limit` rows from `offset` of the rows `query` selects, with the
    /// counts of every tab. Needs [`Queue::rebuild`] first.
    pub fn page(&self, query: &QueueQuery, offset: u64, limit: u64) -> Result<QueuePage> {
        let counts = self.counts(query)?;
        self.page_counted(query, offset, limit, &counts, None)
    }

    /// [`Queue::page`] with the counts known already (they depend only on the scope and
    /// filter, so a new order or tab can reuse them). `among`: the keys of every row the
    /// query selects, when the caller knows them (few rows: they are read by key and sorted,
    /// instead of the table being read for them).
    pub fn page_counted(
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
                    unverified_replies, last_call
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
                    last_call: r.get::<_, Option<i32>>(17)?.map(from_day_number),
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
            risk_counted: false,
        })
    }

    /// The first page of an unfiltered query computed from the figures and activity directly,
    /// before the queue table is written: the same rows, in the same order, with the same
    /// counts as [`Queue::page`] gives once it is (without a forecast: no risk). `None`
    /// for what needs the table: a filter, the order by name or by risk, the High risk tab, a
    /// later page.
    pub(crate) fn quick_page(
        &self,
        query: &QueueQuery,
        offset: u64,
        limit: u64,
        bounds: &AgingBounds,
        figures: &HashMap<i64, Figures>,
        activity: &HashMap<i64, RowActivity>,
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
                        || (!t.is_ascii()
                            && std::str::from_utf8(t).is_ok_and(|t| {
                                crate::domain::text::same_person(t, &query.collector)
                            }))
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
                    SortKey::LastCall => a.last_call.map(|(d, _)| i64::from(d)),
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
                last_call: a.last_call.map(|(d, _)| from_day_number(d)),
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
            risk_counted: false,
        }))
    }
}

/// The columns (with collation) a sort key orders by, all in the same direction; the first
/// names its index.
fn sort_columns(key: SortKey) -> &'static [&'static str] {
    match key {
        SortKey::Overdue => &["overdue"],
        SortKey::Days => &["max_days"],
        SortKey::Outstanding => &["outstanding"],
        SortKey::LastContact => &["last_contact"],
        SortKey::LastCall => &["last_call"],
        SortKey::Name => &["name COLLATE owed_name"],
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
