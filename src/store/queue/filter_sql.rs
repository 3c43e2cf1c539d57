//! The SQL of a query on the `queue` table: each tab's condition, and the scope and filter
//! as a `WHERE` clause with its bound parameters.

use super::{PromiseFlag, units};
use crate::domain::queue::{
    AmountField, BucketSel, Cmp, Predicate, PromiseSel, QueueQuery, Scope, Tab,
};
use rusqlite::types::Value;

/// A queue row's currency as `currency:` compares it: a customer without one is in the base
/// currency (as the import books its documents, and the detail shows it).
pub(crate) const CURRENCY: &str =
    "ifnull(currency, (SELECT m.value FROM main.meta m WHERE m.key = 'base_currency'))";

/// The queue table's `promise` code of a `promise:` state.
pub(crate) fn promise_code(sel: PromiseSel) -> i64 {
    match sel {
        PromiseSel::None => PromiseFlag::None,
        PromiseSel::Open => PromiseFlag::Open,
        PromiseSel::Due => PromiseFlag::Due,
        PromiseSel::Broken => PromiseFlag::Broken,
    }
    .code()
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

/// The scope and filter of a query as an SQL condition with its parameters (the searches of
/// documents and activity as of the table's own date, [`super::QUEUE_AS_OF`]).
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
        parts.push(format!("finance_owner = {p} COLLATE owed_person"));
    }
    for pred in &query.filter.predicates {
        let sql = match pred {
            Predicate::Text(text) => {
                let pattern = crate::store::activity::search::contains_pattern(text);
                let p = bind(&mut values, Value::Text(pattern));
                let exact = bind(&mut values, Value::Text(text.trim().to_string()));
                format!(
                    "({} OR {} OR cid IN ({}))",
                    crate::store::activity::search::contains_sql("name", &p, text),
                    crate::store::activity::search::contains_sql("id", &p, text),
                    crate::store::activity::search::document_customers_sql(
                        &exact,
                        super::QUEUE_AS_OF.day
                    )
                )
            }
            Predicate::Search(scope, text) => {
                let q = crate::store::activity::search::fts_or_nothing(text);
                let p = bind(&mut values, Value::Text(q));
                format!(
                    "cid IN ({})",
                    crate::store::activity::search::activity_customers_sql(
                        *scope,
                        &p,
                        super::QUEUE_AS_OF
                    )
                )
            }
            Predicate::CallDays(cmp, n) => {
                let p = bind(&mut values, Value::Integer(*n));
                let never = if matches!(cmp, Cmp::Gt | Cmp::Ge | Cmp::Ne) {
                    "call_days IS NULL OR "
                } else {
                    ""
                };
                format!("({never}call_days {} {p})", cmp.sql())
            }
            Predicate::Promise(sel) => format!("promise = {}", promise_code(*sel)),
            Predicate::Owner(Some(owner)) => {
                let p = bind(&mut values, Value::Text(owner.clone()));
                format!("finance_owner = {p} COLLATE owed_person")
            }
            Predicate::Owner(None) => "finance_owner IS NULL".into(),
            Predicate::Currency(cur) => {
                let p = bind(&mut values, Value::Text(cur.clone()));
                format!("{CURRENCY} = {p} COLLATE NOCASE")
            }
            Predicate::Amount(field, cmp, amount) => {
                let column = match field {
                    AmountField::Overdue => "overdue",
                    AmountField::Outstanding => "outstanding",
                    AmountField::NetOverdue => "net_overdue",
                    AmountField::Credit => "(credit + cash)",
                    AmountField::CollectableThisMonth => "collectable",
                    AmountField::Unutilised => "credit",
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
            Predicate::NetBucket(buckets) => {
                let any: Vec<String> = buckets.clone().map(|i| format!("n{i} > 0")).collect();
                format!("({})", any.join(" OR "))
            }
            Predicate::Issue(reason) => {
                // Lowered in every script (`NOCASE` folds ASCII letters only), as the
                // predicate's reason is; the open issues are few.
                let p = bind(&mut values, Value::Text(reason.clone()));
                format!(
                    "cid IN (SELECT qi.cid FROM temp.queue_issues qi WHERE owed_lower(qi.reason) = {p})"
                )
            }
        };
        parts.push(sql);
    }
    (parts.join(" AND "), values)
}
