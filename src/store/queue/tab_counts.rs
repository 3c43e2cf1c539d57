//! The tab counts: without a filter, counted while the table is written and kept by the
//! caller (for everyone and per finance owner); with one, summed in SQL over the table.

use super::Queue;
use super::QueueCounts;
use super::filter_sql::{tab_sql, where_clause};
use crate::Result;
use crate::domain::queue::{QueueQuery, Scope, Tab};
use crate::store::Store;
use rusqlite::params_from_iter;
use std::collections::HashMap;

/// The tab counts without a filter, for everyone and per finance owner, counted while the
/// queue table is built.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnfilteredCounts {
    pub everyone: [u64; Tab::COUNT],
    /// By finance owner, by [`crate::domain::text::person_key`] (owners compare without case
    /// or width, as users do).
    pub by_owner: HashMap<String, [u64; Tab::COUNT]>,
}

impl UnfilteredCounts {
    /// Counts a customer's tabs, under its finance owner already lowered.
    pub(super) fn add(&mut self, lowered_owner: Option<&str>, tabs: [u64; Tab::COUNT]) {
        for (total, n) in self.everyone.iter_mut().zip(tabs) {
            *total += n;
        }
        if let Some(owner) = lowered_owner {
            let slot = match self.by_owner.get_mut(owner) {
                Some(slot) => slot,
                None => self.by_owner.entry(owner.to_string()).or_default(),
            };
            for (total, n) in slot.iter_mut().zip(tabs) {
                *total += n;
            }
        }
    }

    /// One customer (with this finance owner) left the Replies tab: its replies were read.
    pub fn replies_read(&mut self, owner: Option<&str>) {
        let i = Tab::Replies.index();
        self.everyone[i] = self.everyone[i].saturating_sub(1);
        if let Some(slot) =
            owner.and_then(|o| self.by_owner.get_mut(&crate::domain::text::person_key(o)))
        {
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
                match self
                    .by_owner
                    .get(&crate::domain::text::person_key(&query.collector))
                {
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

impl<S: std::ops::Deref<Target = Store>> Queue<S> {
    /// The rows of every tab for a query's scope and filter (the tab and order do not matter),
    /// and whether "mine" fell back to everyone. Needs [`Queue::rebuild`] first.
    pub fn counts(&self, query: &QueueQuery) -> Result<QueueCounts> {
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
    pub fn mine_falls_back(&self, query: &QueueQuery) -> Result<bool> {
        if query.scope == Scope::Everyone {
            return Ok(false);
        }
        let mine: i64 = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM temp.queue WHERE finance_owner = ?1 COLLATE owed_person)",
            [&query.collector],
            |r| r.get(0),
        )?;
        Ok(mine == 0)
    }
}
