//! The collector's queue, paged from SQL.
//!
//! Every customer's figures as of a date are computed once (one pass over the open items, by
//! the caller) and written into the connection's TEMP table `queue`, one row per customer, with
//! an index for each sort key. The workstation then asks only for the page it shows
//! (`ORDER BY … LIMIT … OFFSET …`) and for the tab counts, so 100k customers cost what 40 do.
//! The table lives as long as the connection and is rebuilt when the as-of date or the data
//! changes.
//!
//! By concern: the [`table`] (its DDL and rows), each customer's [`activity`], the
//! [`tab_counts`] and their in-memory [`mirror`] under a typed filter, `paging`, the
//! `filter_sql` both of those mean, the forecast's [`risk`], and the [`row_refresh`] of one
//! customer after a save.
//!
//! [`Queue`] is the queue's type over the store (`store.queue()`); each of those files adds its
//! methods to it.

pub mod activity;
mod filter_sql;
pub mod mirror;
mod paging;
pub mod risk;
pub mod row_refresh;
pub mod tab_counts;
pub mod table;

super::aggregate!(
    /// The collector's queue of a store — the connection's TEMP `queue` table, its pages, tab
    /// counts, filter, in-memory mirror, risks and row refreshes — over `&Store`
    /// ([`Store::queue`](super::Store::queue)): the table is this connection's own, so even
    /// its writes need no `&mut`.
    Queue,
    queue,
    "collector's queue (the connection's TEMP table)"
);

pub use crate::domain::queue::{
    IssueReason, PromiseFlag, QueueCounts, QueuePage, QueueRow, SummaryFigures,
};
use crate::domain::{Decimal, money};
pub(crate) use table::QUEUE_AS_OF;

/// SQL day number (same numbering as `day_number`) of an RFC 3339 UTC timestamp column's
/// day in this machine's time zone ([`crate::store::local_day`]).
pub(crate) fn day_of(column: &str) -> String {
    format!("CAST(julianday({column}, 'localtime', 'start of day') - 1721424.5 AS INTEGER)")
}

/// An amount as the queue table stores it (integer ten-thousandths).
pub(crate) fn units(value: Decimal) -> i64 {
    money::to_units(value.round_dp(money::STORE_SCALE)).unwrap_or(i64::MAX)
}

/// An issue `i` open at day `?1`: the one definition, [`super::activity::issues::OPEN_AT`].
pub(crate) const OPEN_ISSUE: &str = super::activity::issues::OPEN_AT;
