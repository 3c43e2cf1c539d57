//! The queue's SQL: pages in any order read from either end agree, and the counts made while
//! building the table agree with the counts SQL makes.

mod workstation;

use owed::domain::aging::AgingBounds;
use owed::domain::queue::{QueueFilter, QueueQuery, Scope, SortKey, Tab};
use owed::import::{ImportOptions, import_paths};
use owed::report::Portfolio;
use owed::store::Store;
use std::fmt::Write as _;

/// 300 customers with assorted balances, ages and owners.
fn portfolio(dir: &std::path::Path) -> Store {
    let csv = dir.join("csv");
    std::fs::create_dir_all(&csv).unwrap();
    let mut customers = String::from("id,name,currency,finance_owner\n");
    let mut documents = String::from("id,customer_id,type,doc_date,due_date,amount,currency\n");
    let owners = ["alice", "Bob", "carol", ""];
    for c in 0..300u32 {
        let owner = owners[(c % 4) as usize];
        writeln!(customers, "C{c},Customer {:03},USD,{owner}", (c * 7) % 300).unwrap();
        for d in 0..(c % 4) {
            let age = (c * 13 + d * 29) % 200;
            let date = workstation::as_of() - chrono::Duration::days(i64::from(age) + 30);
            let due = date + chrono::Duration::days(30);
            // Ties on purpose: many customers share amounts.
            let amount = 100 * (1 + (c % 5));
            writeln!(
                documents,
                "D{c}-{d},C{c},invoice,{date},{due},{amount}.00,USD"
            )
            .unwrap();
        }
    }
    std::fs::write(csv.join("customers.csv"), customers).unwrap();
    std::fs::write(csv.join("documents.csv"), documents).unwrap();
    let mut store = Store::open(&dir.join("q.db")).unwrap();
    import_paths(
        &mut store,
        &[csv],
        &ImportOptions {
            base_currency: "USD".into(),
            progress: false,
        },
    )
    .unwrap();
    store
}

fn build(store: &Store) -> owed::store::queue::UnfilteredCounts {
    let bounds = AgingBounds::default();
    let p = Portfolio::compute(store, workstation::as_of(), None, &bounds, "USD").unwrap();
    store
        .rebuild_queue_summary(workstation::as_of(), &bounds, &p.customers, 3)
        .unwrap()
}

#[test]
fn pages_agree_whichever_end_they_are_read_from() {
    let dir = tempfile::tempdir().unwrap();
    let store = portfolio(dir.path());
    build(&store);
    for tab in [Tab::Overdue, Tab::All] {
        for sort in SortKey::ALL {
            for descending in [true, false] {
                let mut q = QueueQuery::new("alice");
                q.scope = Scope::Everyone;
                q.tab = tab;
                q.sort = sort;
                q.descending = descending;
                let all = store.queue_page(&q, 0, 10_000).unwrap();
                assert_eq!(all.rows.len() as u64, all.total);
                let ids: Vec<i64> = all.rows.iter().map(|r| r.cid).collect();
                let mut paged = Vec::new();
                let mut offset = 0;
                while offset < all.total {
                    let page = store.queue_page(&q, offset, 37).unwrap();
                    assert_eq!(page.offset, offset);
                    paged.extend(page.rows.iter().map(|r| r.cid));
                    offset += 37;
                }
                assert_eq!(paged, ids, "{tab:?} by {sort:?} desc={descending}");
                // The order really is the order asked for.
                let keys: Vec<i64> = all
                    .rows
                    .iter()
                    .map(|r| match sort {
                        SortKey::Overdue => (r.overdue * rust_decimal::Decimal::from(100))
                            .try_into()
                            .unwrap(),
                        SortKey::Days => r.max_days,
                        SortKey::Outstanding => (r.outstanding * rust_decimal::Decimal::from(100))
                            .try_into()
                            .unwrap(),
                        SortKey::LastContact => 0,
                        SortKey::Name => 0,
                    })
                    .collect();
                let sorted = keys.windows(2).all(|w| {
                    if descending {
                        w[0] >= w[1]
                    } else {
                        w[0] <= w[1]
                    }
                });
                assert!(sorted, "{sort:?} desc={descending}");
            }
        }
    }
}

#[test]
fn counts_made_while_building_match_sql() {
    let dir = tempfile::tempdir().unwrap();
    let store = portfolio(dir.path());
    let unfiltered = build(&store);
    for (collector, scope) in [
        ("alice", Scope::Mine),
        ("bob", Scope::Mine),
        ("ALICE", Scope::Mine),
        ("nobody", Scope::Mine),
        ("alice", Scope::Everyone),
    ] {
        let mut q = QueueQuery::new(collector);
        q.scope = scope;
        let sql = store.queue_counts(&q).unwrap();
        assert_eq!(unfiltered.for_query(&q), Some(sql), "{collector} {scope:?}");
    }
    assert_eq!(unfiltered.everyone[Tab::All.index()], 300);
    let mut filtered = QueueQuery::new("alice");
    filtered.filter = QueueFilter::parse("overdue>0", &AgingBounds::default()).unwrap();
    assert_eq!(
        unfiltered.for_query(&filtered),
        None,
        "a filter is counted in SQL"
    );
    let nobody = store.queue_counts(&QueueQuery::new("nobody")).unwrap();
    assert!(nobody.mine_fallback);
}
