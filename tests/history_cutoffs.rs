//! The store's payment histories as of a cutoff: only what was known then (documents,
//! applications, issues open, promises recorded), read from a ledger imported through the real
//! import. (The forecast's backtest replays these cutoffs.)

mod fixture;

use fixture::Portfolio;
use owed::domain::date::parse_iso;
use owed::domain::{Date, Decimal};
use owed::store::Store;
use owed::store::ledger::history::{Histories, HistoryQuery};

fn d(s: &str) -> Date {
    parse_iso(s).unwrap()
}

/// The fixture's cutoffs portfolio, with the collectors' issues and promises recorded
/// through their actions on the days they happened: an issue on D2 (opened 02-25, resolved
/// 03-10), one on D4 (opened 03-05), a promise on D2 (recorded 02-26 for 03-06) and one on
/// D4 (recorded 03-02 for 03-04).
fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Portfolio::cutoffs().import(dir.path());
    let s = &mut store;
    fixture::dispute(s, "2026-02-25", "H1", "60", &["D2"]);
    fixture::promise(s, "2026-02-26", "H1", "60", "2026-03-06", &["D2"]);
    fixture::promise(s, "2026-03-02", "H1", "60", "2026-03-04", &["D4"]);
    fixture::dispute(s, "2026-03-05", "H1", "100", &["D4"]);
    owed::actions::resolve(s, &fixture::stamp("2026-03-10"), "1", None).unwrap();
    (dir, store)
}

fn histories(store: &Store, cutoff: &str) -> Histories {
    let query = HistoryQuery {
        with_ids: true,
        ..fixture::history_query(d(cutoff))
    };
    store.ledger().histories(&query).unwrap()
}

fn ids(h: &Histories, keys: impl Iterator<Item = i64>) -> Vec<String> {
    let mut out: Vec<String> = keys
        .map(|k| h.document_ids.get(&k).cloned().unwrap_or(format!("#{k}")))
        .collect();
    out.sort();
    out
}

#[test]
fn only_what_was_known_at_the_cutoff() {
    let (_dir, store) = store();
    let all = histories(&store, "2026-03-01");
    assert_eq!(all.customers.len(), 2);
    let k1 = &all.customers[0];
    assert_eq!(k1.settled.len(), 1);
    assert_eq!(k1.settled[0].settled, d("2026-02-05"));
    assert_eq!(ids(&all, k1.open.iter().map(|o| o.key)), ["D2", "D4"]);
    let d2 = k1
        .open
        .iter()
        .find(|o| all.document_ids[&o.key] == "D2")
        .unwrap();
    let d4 = k1
        .open
        .iter()
        .find(|o| all.document_ids[&o.key] == "D4")
        .unwrap();
    // Paid 40 before the cutoff, 60 after: 60 open, disputed, promised.
    assert_eq!(d2.balance, Decimal::from(60));
    assert!(d2.disputed);
    assert_eq!(d2.dispute_opened, Some(d("2026-02-25")));
    let naming = |key: i64| {
        k1.promises
            .iter()
            .filter(|p| p.documents.contains(&key))
            .map(|p| p.date)
            .collect::<Vec<_>>()
    };
    assert_eq!(naming(d2.key), [d("2026-03-06")]);
    // Paid in full after the cutoff; its issue and promise came after it too.
    assert_eq!(d4.balance, Decimal::from(100));
    assert!(!d4.disputed);
    assert_eq!(d4.dispute_opened, None);
    assert_eq!(naming(d4.key), []);
    assert_eq!(k1.failed_attempts, vec![d("2026-02-15")]);
    assert_eq!(
        (k1.open_issues, k1.kept_promises, k1.broken_promises),
        (1, 0, 0)
    );
    assert_eq!(k1.group.as_deref(), Some("manual bank_transfer"));
    assert_eq!(all.customers[1].group, None);
}

#[test]
fn later_cutoffs_see_settlements_resolutions_and_broken_promises() {
    let (_dir, store) = store();
    let all = histories(&store, "2026-03-15");
    let k1 = &all.customers[0];
    // D4 was paid on 03-05; D2 is still open, its issue resolved on 03-10.
    assert_eq!(k1.settled.len(), 2);
    let d4 = k1
        .settled
        .iter()
        .find(|s| s.settled == d("2026-03-05"))
        .unwrap();
    assert!(d4.disputed, "its issue was opened on the day it was paid");
    assert_eq!(d4.dispute_opened, Some(d("2026-03-05")));
    assert_eq!(ids(&all, k1.open.iter().map(|o| o.key)), ["D2", "D3"]);
    assert!(k1.open.iter().all(|o| !o.disputed));
    // Nothing arrived on D2 between 02-26 and 03-09: broken. The D4 promise (made on
    // 03-02 for 03-04) was kept on 03-05, within the grace.
    assert_eq!((k1.kept_promises, k1.broken_promises), (1, 1));
    assert_eq!(k1.open_issues, 1);
    assert_eq!(k1.failed_attempts, vec![d("2026-02-15"), d("2026-03-15")]);
    // At the end D2 settles on the date of its last application.
    let end = histories(&store, "2026-04-30");
    let d2 = end.customers[0]
        .settled
        .iter()
        .find(|s| s.doc_date == d("2026-02-01"))
        .unwrap();
    assert_eq!(d2.settled, d("2026-03-20"));
}

#[test]
fn one_customer_only() {
    let (_dir, store) = store();
    let cid = store.ledger().customer_key("H2").unwrap().unwrap();
    let query = HistoryQuery {
        customer: Some(cid),
        ..fixture::history_query(d("2026-03-01"))
    };
    let one = store.ledger().histories(&query).unwrap();
    assert_eq!(one.customers.len(), 1);
    assert_eq!(one.customers[0].cid, cid);
    assert!(one.document_ids.is_empty());
    assert!(one.customer(cid).is_some());
}
