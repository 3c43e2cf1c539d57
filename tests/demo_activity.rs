//! The demo generator's collector activity lands in the activity log, once.

mod fixture;

use owed::demo::{DemoActivity, DemoActivityKind, DemoOptions, DemoOutcome, ensure_database};
use owed::store::actions::DemoActivityCounts;

fn d(s: &str) -> owed::domain::Date {
    owed::domain::date::parse_iso(s).unwrap()
}

#[test]
fn demo_activity_is_recorded_with_the_demo_and_not_again_on_reuse() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let options = DemoOptions {
        customers: 300,
        seed: 7,
        today: d("2026-04-01"),
        base_currency: "USD".into(),
    };
    let DemoOutcome::Created { activities, .. } = ensure_database(&db, &options, false).unwrap()
    else {
        panic!("a new demo database was expected");
    };
    let mut expected = DemoActivityCounts::default();
    for a in &activities {
        match &a.kind {
            DemoActivityKind::Note { .. } => expected.notes += 1,
            DemoActivityKind::Promise { .. } => expected.promises += 1,
            DemoActivityKind::Dispute { resolved, .. } => {
                expected.issues += 1;
                expected.resolved += u64::from(resolved.is_some());
            }
        }
    }
    assert!(expected.notes > 0 && expected.promises > 0 && expected.issues > 0);
    let count = |table: &str| -> u64 {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap()
        .unsigned_abs()
    };
    let stored = || DemoActivityCounts {
        notes: count("notes"),
        promises: count("promises"),
        issues: count("issues"),
        resolved: count("issue_events"),
    };
    assert_eq!(stored(), expected);
    assert!(matches!(
        ensure_database(&db, &options, false).unwrap(),
        DemoOutcome::Reused
    ));
    assert_eq!(stored(), expected);
}

#[test]
fn an_unknown_customer_or_document_writes_nothing() {
    let fx = fixture::Fixture::new();
    let mut store = fx.store();
    let before = fx.fingerprint();
    let note = |customer: &str| DemoActivity {
        customer_id: customer.into(),
        collector: "alice".into(),
        at: d("2026-03-30"),
        kind: DemoActivityKind::Note {
            text: "called".into(),
        },
    };
    let err = store
        .record_demo_activity(&[note("K1"), note("K9")])
        .unwrap_err();
    assert_eq!(err.to_string(), "demo activity names unknown customer `K9`");
    let foreign = DemoActivity {
        kind: DemoActivityKind::Promise {
            amount: "10".parse().unwrap(),
            date: d("2026-04-10"),
            document_ids: vec!["I3".into()],
        },
        ..note("K1")
    };
    assert!(store.record_demo_activity(&[note("K1"), foreign]).is_err());
    assert_eq!(fx.fingerprint(), before);
    let counts = store.record_demo_activity(&[note("K1")]).unwrap();
    assert_eq!(counts.notes, 1);
}
