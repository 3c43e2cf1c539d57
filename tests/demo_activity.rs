//! The demo generator's collector activity lands in the activity log, once.

mod common;
mod fixture;

use owed::demo::{DemoOptions, DemoOutcome, ensure_database};
use owed::domain::backfill::{
    PastActivity, PastActivityKind, PastFollowUp, PastReply, PastResolution,
};
use owed::domain::calls::CallOutcome;
use owed::store::activity::action_writes::BackfillCounts;

fn d(s: &str) -> owed::domain::Date {
    owed::domain::date::parse_iso(s).unwrap()
}

/// A demo of 300 customers in USD whose history ends on 1 April 2026, drawn from `seed`.
fn april_first(seed: u64) -> DemoOptions {
    DemoOptions {
        customers: 300,
        seed,
        today: d("2026-04-01"),
        base_currency: "USD".into(),
    }
}

#[test]
fn demo_activity_is_recorded_with_the_demo_and_not_again_on_reuse() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let options = april_first(7);
    let DemoOutcome::Created { activities, .. } =
        ensure_database(&db, &options, made(), false).unwrap()
    else {
        panic!("a new demo database was expected");
    };
    let mut expected = BackfillCounts::default();
    for a in &activities {
        match &a.kind {
            PastActivityKind::Note { .. } => expected.notes += 1,
            PastActivityKind::Call { followup, .. } => {
                expected.calls += 1;
                if let Some(f) = followup {
                    expected.followups += 1;
                    expected.followups_done += u64::from(f.done.is_some());
                }
            }
            PastActivityKind::Reminder(_) => expected.reminders += 1,
            PastActivityKind::Reply(_) => expected.replies += 1,
            PastActivityKind::Promise { .. } => expected.promises += 1,
            PastActivityKind::Dispute { resolved, .. } => {
                expected.issues += 1;
                expected.resolved += u64::from(resolved.is_some());
            }
        }
    }
    assert!(expected.notes > 0 && expected.promises > 0 && expected.issues > 0);
    assert!(
        expected.calls > 0,
        "the demo's collectors call their customers"
    );
    assert!(expected.reminders > 0, "the demo's cycle sent reminders");
    assert!(expected.replies > 0, "customers answered some");
    assert!(
        expected.followups > expected.followups_done && expected.followups_done > 0,
        "the calls' follow-ups, some done, some open: {expected:?}"
    );
    let rows_of = |table: &str| {
        let sql = format!("SELECT count(*) FROM {table}");
        count(&db, &sql).unsigned_abs()
    };
    let stored = || BackfillCounts {
        notes: rows_of("notes"),
        calls: rows_of("calls"),
        followups: rows_of("followups f JOIN calls c ON c.followup_id = f.id"),
        followups_done: rows_of("followup_done"),
        reminders: rows_of("reminders WHERE status = 'sent'"),
        replies: rows_of(
            "replies p JOIN reminders r ON r.message_id = p.in_reply_to AND r.cid = p.cid",
        ),
        promises: rows_of("promises"),
        issues: rows_of("issues WHERE reason <> 'short_payment'"),
        resolved: rows_of("issue_events"),
    };
    assert_eq!(stored(), expected);
    // Each resolve event is dated on its dispute's resolution day.
    let mut resolutions: Vec<i32> = activities
        .iter()
        .filter_map(|a| match &a.kind {
            PastActivityKind::Dispute {
                resolved: Some(r), ..
            } => Some(owed::domain::date::day_number(r.date)),
            _ => None,
        })
        .collect();
    resolutions.sort_unstable();
    let events: Vec<i32> = common::rows(
        &db,
        "SELECT event_date FROM issue_events ORDER BY event_date",
        |r| r.get(0),
    );
    assert_eq!(events, resolutions);
    assert!(matches!(
        ensure_database(&db, &options, made(), false).unwrap(),
        DemoOutcome::Reused
    ));
    assert_eq!(stored(), expected);
}

/// When the tests' demos are made: long after their day.
fn made() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Every timestamp column of the demo's activity, as `table.column`.
const STAMPS: [&str; 11] = [
    "notes.at",
    "calls.at",
    "followups.at",
    "followup_done.at",
    "reminders.at",
    "reminders.sent_at",
    "replies.at",
    "replies.read_at",
    "promises.at",
    "issues.at",
    "issue_events.at",
];

/// The demo's activity stamps of each day: (day, how many).
fn stamps_by_day(db: &std::path::Path) -> Vec<(String, i64)> {
    let all: Vec<String> = STAMPS
        .iter()
        .map(|s| {
            let (table, column) = s.split_once('.').unwrap();
            format!("SELECT {column} AS at FROM {table} WHERE {column} IS NOT NULL")
        })
        .collect();
    let sql = format!(
        "SELECT substr(at, 1, 10), count(*) FROM ({}) GROUP BY 1 ORDER BY 1",
        all.join(" UNION ALL ")
    );
    common::rows(db, &sql, |r| Ok((r.get(0)?, r.get(1)?)))
}

/// The latest timestamp (to the second) in any column of the database named `at` or ending
/// in `_at`: the activity's, the log of imports', the lockbox's.
fn latest_stamp(db: &std::path::Path) -> String {
    let mut columns = Vec::new();
    let tables = "SELECT name FROM sqlite_master WHERE type = 'table'";
    for table in common::rows::<String>(db, tables, |r| r.get(0)) {
        let info = format!("SELECT name, type FROM pragma_table_info('{table}')");
        let found: Vec<(String, String)> = common::rows(db, &info, |r| Ok((r.get(0)?, r.get(1)?)));
        for (column, kind) in found {
            if (column == "at" || column.ends_with("_at")) && kind.eq_ignore_ascii_case("TEXT") {
                columns.push(format!(
                    "SELECT max(substr({column}, 1, 19)) AS at FROM {table}"
                ));
            }
        }
    }
    assert!(columns.len() >= STAMPS.len(), "{columns:?}");
    let latest = format!("SELECT max(at) FROM ({})", columns.join(" UNION ALL "));
    common::value(db, &latest)
}

/// A demo of today made in the morning stamps none of its day's activity (calls, notes,
/// promises, the cycle's reminders, replies read, follow-ups done, disputes resolved) after
/// the moment it was made: that day's stamps are brought into the hours before it, in the
/// same order, and nothing is lost or moves to another day. They were at working hours up to
/// 18:00: a demo made at 08:21 listed calls at 16:57 and promises from 10:43 on, which
/// counted in "touched today". Made again the same day, it is reused.
#[test]
fn a_demo_of_today_stamps_nothing_after_the_moment_it_is_made() {
    let options = april_first(7);
    let today = options.today;
    // At noon (UTC): the demo's day is today, or (east of +12) yesterday, in any time zone.
    let noon = today.and_hms_opt(12, 0, 0).unwrap().and_utc();
    let dir = tempfile::tempdir().unwrap();
    let (db, later) = (dir.path().join("demo.db"), dir.path().join("later.db"));
    ensure_database(&db, &options, noon, false).unwrap();
    // The same demo made long after its day: stamped at its working hours.
    ensure_database(&later, &options, made(), false).unwrap();
    assert!(
        latest_stamp(&later).as_str() > "2026-04-01T12:00:00",
        "the demo of that day has activity after noon: {}",
        latest_stamp(&later)
    );
    assert!(
        latest_stamp(&db).as_str() <= "2026-04-01T12:00:00",
        "{}",
        latest_stamp(&db)
    );
    let by_day = stamps_by_day(&db);
    assert_eq!(by_day, stamps_by_day(&later));
    assert!(
        by_day.iter().any(|(day, n)| day == "2026-04-01" && *n > 0),
        "{by_day:?}"
    );
    // Still in order: a follow-up done after its call, a reply read after it came.
    for broken in [
        "SELECT count(*) FROM calls c JOIN followup_done x ON x.followup_id = c.followup_id
          WHERE x.at < c.at",
        "SELECT count(*) FROM replies WHERE read_at < at",
        "SELECT count(*) FROM issue_events e JOIN issues i ON i.id = e.issue_id WHERE e.at < i.at",
    ] {
        assert_eq!(count(&db, broken), 0, "{broken}");
    }
    // Later the same day the same options find it made.
    let afternoon = today.and_hms_opt(15, 0, 0).unwrap().and_utc();
    assert!(matches!(
        ensure_database(&db, &options, afternoon, false).unwrap(),
        DemoOutcome::Reused
    ));
}

/// Runs `sql` on `db`, returning the one integer it selects.
fn count(db: &std::path::Path, sql: &str) -> i64 {
    common::value(db, sql)
}

#[test]
fn the_recorded_history_is_consistent_and_read_as_of_past_dates() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let options = april_first(11);
    let today = options.today;
    ensure_database(&db, &options, made(), false).unwrap();
    let today_day = owed::domain::date::day_number(today);
    let broken = [
        // A promise is recorded before the date it promises.
        "SELECT count(*) FROM promises WHERE recorded_date >= promised_date",
        // An issue is resolved after it was opened, and not after today.
        &format!(
            "SELECT count(*) FROM issue_events e JOIN issues i ON i.id = e.issue_id
              WHERE e.kind <> 'resolve' OR e.event_date <= i.opened_date OR e.event_date > {today_day}"
        ),
        // Issues and promises name documents of their own customer, dated by then.
        "SELECT count(*) FROM issues i JOIN issue_documents x ON x.issue_id = i.id
           JOIN documents d ON d.did = x.did WHERE d.cid <> i.cid OR d.doc_date > i.opened_date",
        "SELECT count(*) FROM promises p JOIN promise_documents x ON x.promise_id = p.id
           JOIN documents d ON d.did = x.did WHERE d.cid <> p.cid OR d.doc_date > p.recorded_date",
        // One resolve at most per issue.
        "SELECT count(*) FROM (SELECT issue_id FROM issue_events GROUP BY issue_id HAVING count(*) > 1)",
    ];
    for sql in broken {
        assert_eq!(count(&db, sql), 0, "{sql}");
    }
    // The history spans the two years: disputes opened and resolved well before today.
    let year_ago = today_day - 365;
    let old = format!(
        "SELECT count(*) FROM issue_events e JOIN issues i ON i.id = e.issue_id
          WHERE i.opened_date < {year_ago} AND e.event_date < {year_ago}"
    );
    assert!(count(&db, &old) > 0, "no dispute resolved a year ago");

    // A resolved dispute's document is disputed the day before its resolution, not on it.
    let (did, resolved_day): (i64, i32) = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT x.did, e.event_date FROM issue_events e
               JOIN issue_documents x ON x.issue_id = e.issue_id
              WHERE (SELECT count(*) FROM issue_documents y WHERE y.did = x.did) = 1
              ORDER BY e.id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let store = owed::store::Store::open_existing(&db).unwrap();
    let day = owed::domain::date::from_day_number(resolved_day);
    let before = day.pred_opt().unwrap();
    assert!(store.activity().is_document_disputed(did, before).unwrap());
    assert!(!store.activity().is_document_disputed(did, day).unwrap());

    // The forecast's history at a past cutoff knows disputes and promises kept and broken.
    let cutoff = d("2025-10-01");
    let histories = store
        .ledger()
        .histories(&fixture::history_query(cutoff))
        .unwrap();
    let customers = &histories.customers;
    let settled_disputed = customers
        .iter()
        .flat_map(|h| &h.settled)
        .filter(|doc| doc.disputed)
        .count();
    let open_disputed = customers
        .iter()
        .flat_map(|h| &h.open)
        .filter(|doc| doc.disputed)
        .count();
    let kept: u32 = customers.iter().map(|h| h.kept_promises).sum();
    let broken: u32 = customers.iter().map(|h| h.broken_promises).sum();
    let promised = customers
        .iter()
        .flat_map(|h| &h.promises)
        .filter(|p| !p.documents.is_empty())
        .count();
    assert!(
        settled_disputed > 0 && open_disputed > 0 && kept > 0 && broken > 0 && promised > 0,
        "{settled_disputed} {open_disputed} {kept} {broken} {promised}"
    );
}

#[test]
fn a_resolution_before_its_dispute_writes_nothing() {
    let fx = fixture::Fixture::new();
    let before = fx.fingerprint();
    let dispute = alices(
        "V1",
        "2026-03-30",
        PastActivityKind::Dispute {
            reason: "pricing".into(),
            amount: "10".parse().unwrap(),
            document_ids: vec![],
            resolved: Some(PastResolution {
                date: d("2026-03-29"),
                text: "credited".into(),
            }),
        },
    );
    let err = backfill(&fx, &[dispute]).unwrap_err();
    assert!(err.contains("resolved on 2026-03-29"), "{err}");
    assert_eq!(fx.fingerprint(), before);
}

/// Alice's past activity of `kind` on `customer`, on the day `at`.
fn alices(customer: &str, at: &str, kind: PastActivityKind) -> PastActivity {
    PastActivity {
        customer_id: customer.into(),
        collector: "alice".into(),
        at: d(at),
        kind,
    }
}

/// Writes `activity` in one go into the fixture's database: the counts written, or what
/// refused it.
fn backfill(fx: &fixture::Fixture, activity: &[PastActivity]) -> Result<BackfillCounts, String> {
    let mut store = fx.store();
    let written = store.activity_mut().backfill_activity(activity);
    written.map_err(|e| e.to_string())
}

/// Each of `bad`, written in one go after `good`, is refused with `message`, and nothing of
/// either is written.
#[track_caller]
fn refused_whole(fx: &fixture::Fixture, good: &PastActivity, bad: &[PastActivity], message: &str) {
    let before = fx.fingerprint();
    for bad in bad {
        let err = backfill(fx, &[good.clone(), bad.clone()]).unwrap_err();
        assert_eq!(err, message);
        assert_eq!(fx.fingerprint(), before);
    }
}

#[test]
fn a_follow_up_due_or_done_before_its_call_writes_nothing() {
    let fx = fixture::Fixture::new();
    let call = |due: &str, done: Option<&str>| {
        let followup = PastFollowUp {
            due: d(due),
            text: "Call again (no answer)".into(),
            done: done.map(d),
        };
        let kind = PastActivityKind::Call {
            outcome: CallOutcome::NoAnswer,
            text: "No answer".into(),
            followup: Some(followup),
        };
        alices("V1", "2026-03-30", kind)
    };
    let message = "a past follow-up of `V1` on 2026-03-30 is due or done before it";
    let bad = [
        call("2026-03-29", None),
        call("2026-04-01", Some("2026-03-29")),
    ];
    refused_whole(&fx, &call("2026-04-01", None), &bad, message);
    // A good one: the call, its follow-up, and the follow-up done.
    let counts = backfill(&fx, &[call("2026-04-01", Some("2026-04-02"))]).unwrap();
    assert_eq!(
        (counts.calls, counts.followups, counts.followups_done),
        (1, 1, 1)
    );
}

#[test]
fn a_reply_to_a_later_reminder_or_read_before_it_came_writes_nothing() {
    let fx = fixture::Fixture::new();
    let reply = |answers: &str, read: Option<&str>| {
        let reply = PastReply {
            from: "ap@v1.example".into(),
            subject: "Re: Overdue".into(),
            body: "Paying Friday.".into(),
            in_reply_to: d(answers),
            read: read.map(d),
        };
        alices("V1", "2026-03-31", PastActivityKind::Reply(reply))
    };
    let message =
        "a past reply of `V1` on 2026-03-31 answers a later reminder or was read before it came";
    let bad = [
        reply("2026-04-01", None),
        reply("2026-03-30", Some("2026-03-30")),
    ];
    refused_whole(&fx, &reply("2026-03-30", None), &bad, message);
    // A good one lands unread in the Replies tab's table, answering that day's reminder.
    let counts = backfill(&fx, &[reply("2026-03-30", None)]).unwrap();
    assert_eq!(counts.replies, 1);
    let conn = rusqlite::Connection::open(fx.db()).unwrap();
    let (in_reply_to, read): (String, Option<String>) = conn
        .query_row("SELECT in_reply_to, read_at FROM replies", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert!(
        in_reply_to.ends_with(".2026-03-30@owed.invalid>"),
        "{in_reply_to}"
    );
    assert_eq!(read, None);
}

#[test]
fn an_unknown_customer_or_document_writes_nothing() {
    let fx = fixture::Fixture::new();
    let before = fx.fingerprint();
    let note = |customer: &str| {
        let text = "called".into();
        alices(customer, "2026-03-30", PastActivityKind::Note { text })
    };
    let err = backfill(&fx, &[note("V1"), note("V9")]).unwrap_err();
    assert_eq!(err, "past activity names unknown customer `V9`");
    let foreign = PastActivity {
        kind: PastActivityKind::Promise {
            amount: "10".parse().unwrap(),
            date: d("2026-04-10"),
            document_ids: vec!["I3".into()],
        },
        ..note("V1")
    };
    assert!(backfill(&fx, &[note("V1"), foreign]).is_err());
    assert_eq!(fx.fingerprint(), before);
    let counts = backfill(&fx, &[note("V1")]).unwrap();
    assert_eq!(counts.notes, 1);
}
