//! The store's payment histories as of a cutoff: only what was known then (documents,
//! applications, issues open, promises recorded), read from a ledger imported through the real
//! import. (The forecast's backtest replays these cutoffs.)

use owed::domain::date::{day_number, parse_iso};
use owed::domain::{Date, Decimal};
use owed::import::{ImportOptions, import_paths};
use owed::store::Store;
use owed::store::history::{Histories, HistoryQuery};
use rusqlite::params;

fn d(s: &str) -> Date {
    parse_iso(s).unwrap()
}

const CUSTOMERS: &str =
    "id,name,auto_collection,primary_payment_method\nK1,Kite,off,bank_transfer\nK2,Lumen,,\n";
const DOCUMENTS: &str = "id,customer_id,type,doc_date,due_date,amount
D1,K1,invoice,2026-01-01,2026-01-31,100.00
D2,K1,invoice,2026-02-01,2026-03-03,100.00
D3,K1,invoice,2026-03-10,2026-04-09,100.00
D4,K1,invoice,2026-02-10,2026-03-12,100.00
E1,K2,invoice,2026-01-15,2026-02-14,50.00
";
const PAYMENTS: &str = "id,customer_id,date,amount,status
P1,K1,2026-02-05,100.00,success
P2,K1,2026-02-20,40.00,success
P3,K1,2026-03-20,60.00,success
P4,K1,2026-03-05,100.00,success
F1,K1,2026-02-15,100.00,failure
F2,K1,2026-03-15,100.00,timeout
";
const APPLICATIONS: &str = "source_id,document_id,amount,date
P1,D1,100.00,2026-02-05
P2,D2,40.00,2026-02-20
P3,D2,60.00,2026-03-20
P4,D4,100.00,2026-03-05
";

/// A store with the documents above, an issue on D2 (opened 02-25, resolved 03-10), one
/// on D4 (opened 03-05), a promise on D2 (recorded 02-26 for 03-06) and one recorded
/// after the cutoff.
fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("customers.csv", CUSTOMERS),
        ("documents.csv", DOCUMENTS),
        ("payments.csv", PAYMENTS),
        ("applications.csv", APPLICATIONS),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut store = Store::open_or_create(&dir.path().join("owed.db")).unwrap();
    let options = ImportOptions {
        base_currency: "USD".into(),
        progress: false,
    };
    import_paths(&mut store, &[dir.path().to_path_buf()], &options).unwrap();
    // The collectors' issues and promises, dated in the past: written into the file
    // beside the store (a second connection, as another process would).
    let conn = rusqlite::Connection::open(dir.path().join("owed.db")).unwrap();
    let day = |s: &str| day_number(d(s));
    let did = |id: &str| -> i64 {
        conn.query_row("SELECT did FROM documents WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let cid = store.ledger().customer_key("K1").unwrap().unwrap();
    let issue = |id: i64, opened: &str, doc: i64| {
        conn.execute(
            "INSERT INTO issues (id, cid, at, collector, reason, amount, opened_date)
                 VALUES (?1, ?2, ?3, 'alice', 'pricing', 0, ?4)",
            params![id, cid, format!("{opened}T10:00:00Z"), day(opened)],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO issue_documents (issue_id, did) VALUES (?1, ?2)",
            params![id, doc],
        )
        .unwrap();
    };
    issue(1, "2026-02-25", did("D2"));
    issue(2, "2026-03-05", did("D4"));
    conn.execute(
        "INSERT INTO issue_events (issue_id, at, collector, kind, event_date)
             VALUES (1, '2026-03-10T10:00:00Z', 'alice', 'resolve', ?1)",
        [day("2026-03-10")],
    )
    .unwrap();
    let promise =
        |id: i64, recorded: &str, date: &str, doc: i64| {
            conn.execute(
                "INSERT INTO promises (id, cid, at, collector, amount, promised_date, recorded_date)
                 VALUES (?1, ?2, ?3, 'alice', 600000, ?4, ?5)",
                params![id, cid, format!("{recorded}T10:00:00Z"), day(date), day(recorded)],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO promise_documents (promise_id, did) VALUES (?1, ?2)",
                params![id, doc],
            )
            .unwrap();
        };
    promise(1, "2026-02-26", "2026-03-06", did("D2"));
    promise(2, "2026-03-02", "2026-03-04", did("D4"));
    (dir, store)
}

fn histories(store: &Store, cutoff: &str) -> Histories {
    store
        .ledger()
        .histories(&HistoryQuery {
            cutoff: d(cutoff),
            base_currency: "USD".into(),
            promise_grace_days: 3,
            customer: None,
            with_ids: true,
        })
        .unwrap()
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
    assert_eq!(d2.promised, Some(d("2026-03-06")));
    // Paid in full after the cutoff; its issue and promise came after it too.
    assert_eq!(d4.balance, Decimal::from(100));
    assert!(!d4.disputed);
    assert_eq!(d4.dispute_opened, None);
    assert_eq!(d4.promised, None);
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
    let cid = store.ledger().customer_key("K2").unwrap().unwrap();
    let one = store
        .ledger()
        .histories(&HistoryQuery {
            cutoff: d("2026-03-01"),
            base_currency: "USD".into(),
            promise_grace_days: 3,
            customer: Some(cid),
            with_ids: false,
        })
        .unwrap();
    assert_eq!(one.customers.len(), 1);
    assert_eq!(one.customers[0].cid, cid);
    assert!(one.document_ids.is_empty());
    assert!(one.customer(cid).is_some());
}
