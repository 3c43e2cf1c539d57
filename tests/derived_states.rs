//! Promise and issue states derived from the imported ledger, through the actions API and
//! the store, over dates and partial payments.

mod common;
mod fixture;

use common::{first_entry, text_pairs};
use fixture::{Fixture, stamp};
use owed::actions::{self, DisputeForm};
use owed::config::Config;
use owed::domain::promise::PromiseState::{self, Broken, Kept, Open, PartiallyKept, Voided};
use owed::domain::{Date, Decimal};
use owed::store::Store;
use owed::store::activity::QueueTabs;

fn d(s: &str) -> Date {
    owed::domain::date::parse_iso(s).unwrap()
}

/// The customers of each of the queue's activity tabs as of `as_of` (3 days' grace).
fn tabs_on(store: &Store, as_of: &str) -> QueueTabs {
    store.activity().queue_tabs(d(as_of), 3).unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn promise(store: &mut Store, customer: &str, amount: &str, date: &str, docs: &[&str]) -> i64 {
    fixture::promise(store, "2026-04-01", customer, amount, date, docs)
}

/// The five promises of the scenarios, recorded on 1 April with the default 3 days' grace:
/// 1 V1 300 on I1 by 10 Apr (300 applied 8 Apr; 100 applied 25 Mar does not count),
/// 2 V1 500 on I2 by 10 Apr (200 applied 9 Apr),
/// 3 V3 400, no documents, by 10 Apr (400 applied 20 Apr, too late),
/// 4 V2 400 EUR, no documents, by 15 Apr (300 on I3 12 Apr + 100 on I4 14 Apr),
/// 5 V3 100 on I5 by 30 Apr, voided.
///
/// Promises 3 and 5 together are more than V3 has open (400): a new one is refused so
/// ([`owed::domain::action_checks::promises_within_open`]), so 5 is written as a database
/// from before that check holds it, to the store directly.
fn scenarios() -> (Fixture, Store) {
    let fx = Fixture::new();
    let mut store = fx.store();
    assert_eq!(promise(&mut store, "V1", "300", "2026-04-10", &["I1"]), 1);
    assert_eq!(promise(&mut store, "V1", "500", "2026-04-10", &["I2"]), 2);
    assert_eq!(promise(&mut store, "V3", "400", "2026-04-10", &[]), 3);
    assert_eq!(promise(&mut store, "V2", "400", "+14d", &[]), 4);
    let i5: i64 = rusqlite::Connection::open(fx.db())
        .unwrap()
        .query_row("SELECT did FROM documents WHERE id = 'I5'", [], |r| {
            r.get(0)
        })
        .unwrap();
    let overlapping = owed::store::activity::action_writes::NewPromise {
        cid: store.ledger().customer_key("V3").unwrap().unwrap(),
        amount: dec("100"),
        date: d("2026-04-30"),
        dids: vec![i5],
        text: None,
    };
    let written = store
        .activity_mut()
        .add_promise(&stamp("2026-04-01"), &overlapping)
        .unwrap();
    assert_eq!(written, 5);
    actions::void_promise(&mut store, &stamp("2026-04-02"), "5", Some("wrong amount")).unwrap();
    (fx, store)
}

/// (state, paid, remaining) of promise `id` as of `as_of`.
fn progress(store: &Store, id: i64, as_of: &str) -> (PromiseState, Decimal, Decimal) {
    let cid = store
        .ledger()
        .customer_key(match id {
            1 | 2 => "V1",
            4 => "V2",
            _ => "V3",
        })
        .unwrap()
        .unwrap();
    let p = store
        .activity()
        .customer_promises(cid, d(as_of), 3, "USD")
        .unwrap()
        .into_iter()
        .find(|p| p.id == id)
        .unwrap();
    (p.progress.state, p.progress.paid, p.progress.remaining)
}

/// Asserts promise `id`'s (state, paid, remaining) as of `as_of`.
#[track_caller]
fn assert_progress(store: &Store, id: i64, as_of: &str, expected: (PromiseState, &str, &str)) {
    let (state, paid, remaining) = expected;
    let want = (state, dec(paid), dec(remaining));
    assert_eq!(
        progress(store, id, as_of),
        want,
        "promise {id} as of {as_of}"
    );
}

/// Asserts promise `id`'s state as of `as_of`.
#[track_caller]
fn assert_state(store: &Store, id: i64, as_of: &str, state: PromiseState) {
    assert_eq!(
        progress(store, id, as_of).0,
        state,
        "promise {id} as of {as_of}"
    );
}

#[test]
fn kept_when_the_promised_amount_arrives_and_earlier_receipts_do_not_count() {
    let (_fx, store) = scenarios();
    assert_progress(&store, 1, "2026-04-07", (Open, "0", "300"));
    assert_progress(&store, 1, "2026-04-08", (Kept, "300", "0"));
    assert_state(&store, 1, "2026-06-30", Kept);
}

#[test]
fn partially_kept_after_the_grace_days() {
    let (_fx, store) = scenarios();
    assert_progress(&store, 2, "2026-04-09", (Open, "200", "300"));
    assert_state(&store, 2, "2026-04-13", Open);
    assert_progress(&store, 2, "2026-04-14", (PartiallyKept, "200", "300"));
}

#[test]
fn broken_when_the_money_comes_after_the_grace_days() {
    let (_fx, store) = scenarios();
    assert_state(&store, 3, "2026-04-13", Open);
    assert_progress(&store, 3, "2026-04-14", (Broken, "0", "400"));
    // The 400 applied on 20 April does not mend it.
    assert_state(&store, 3, "2026-04-25", Broken);
}

#[test]
fn a_promise_naming_no_documents_counts_receipts_on_any_of_them() {
    let (_fx, store) = scenarios();
    assert_progress(&store, 4, "2026-04-13", (Open, "300", "100"));
    assert_progress(&store, 4, "2026-04-14", (Kept, "400", "0"));
}

#[test]
fn voided_is_voided_whatever_happens_and_cannot_be_voided_twice() {
    let (_fx, mut store) = scenarios();
    assert_state(&store, 5, "2026-04-05", Voided);
    assert_state(&store, 5, "2026-05-30", Voided);
    let err = actions::void_promise(&mut store, &stamp("2026-04-03"), "5", None).unwrap_err();
    assert_eq!(err.to_string(), "promise 5 is already voided");
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn open_promise_amount_sums_what_open_promises_still_expect_in_base_currency() {
    let (_fx, store) = scenarios();
    // 13 April: 1 kept, 2 open (300 left), 3 open (400 left), 4 open (100 EUR left at the
    // 1 April rate 1.10 = 110 USD), 5 voided.
    assert_eq!(
        store
            .activity()
            .open_promise_amount(d("2026-04-13"), 3, "USD")
            .unwrap(),
        dec("810.00")
    );
    // 14 April: 2 and 3 are past their grace, 4 is kept.
    assert_eq!(
        store
            .activity()
            .open_promise_amount(d("2026-04-14"), 3, "USD")
            .unwrap(),
        dec("0")
    );
    // Before anything was recorded nothing is open.
    assert_eq!(
        store
            .activity()
            .open_promise_amount(d("2026-03-31"), 3, "USD")
            .unwrap(),
        dec("0")
    );
}

#[test]
fn queue_tabs_follow_each_customers_latest_promise() {
    let (_fx, store) = scenarios();
    let key = |id: &str| store.ledger().customer_key(id).unwrap().unwrap();
    let mut v1_v3 = vec![key("V1"), key("V3")];
    v1_v3.sort();
    let tabs = tabs_on(&store, "2026-04-12");
    assert_eq!(tabs.promises_due, v1_v3);
    assert!(tabs.promises_broken.is_empty());
    let tabs = tabs_on(&store, "2026-04-14");
    assert!(tabs.promises_due.is_empty());
    assert_eq!(tabs.promises_broken, v1_v3);

    let flags = store
        .activity()
        .customer_flags(key("V2"), d("2026-04-13"), 3, "USD")
        .unwrap();
    assert_eq!(flags.next_promise_date, Some(d("2026-04-15")));
    assert_eq!(flags.open_promise_amount, dec("100"));
    assert_eq!(flags.open_promise_base, dec("110.00"));
    assert_eq!(flags.promise_due, None);
}

#[test]
fn issues_are_open_until_resolved_and_their_documents_are_disputed_meanwhile() {
    let fx = Fixture::new();
    let mut store = fx.store();
    let config = Config::default();
    let i3 = vec!["I3".to_string()];
    let form = DisputeForm {
        customer: "V2",
        reason: "pricing",
        amount: None,
        documents: &i3,
        text: Some("unit price"),
    };
    let opened = actions::dispute(&mut store, &stamp("2026-04-01"), &config, &form).unwrap();
    // Default amount: I3's open balance on 1 April, 800 EUR.
    assert!(opened.message.contains("800.00 EUR"), "{}", opened.message);
    let whole = DisputeForm {
        customer: "V3",
        reason: "quality",
        ..Default::default()
    };
    let v3 = actions::dispute(&mut store, &stamp("2026-04-01"), &config, &whole).unwrap();
    // No documents: V3's overdue on 1 April, I5's 400.
    assert!(v3.message.contains("400.00 USD"), "{}", v3.message);

    let v2 = store
        .activity()
        .customer_card_by_id("V2", "USD")
        .unwrap()
        .unwrap()
        .cid;
    let i3_key = store.activity().document_owners(v2, &i3).unwrap()[0]
        .as_ref()
        .unwrap()
        .did;
    let as_of = |s: &str| store.activity().open_issue_amount(d(s), "USD").unwrap();
    // 800 EUR at 1.10 + 400 USD.
    assert_eq!(as_of("2026-04-05"), dec("1280.00"));
    assert_eq!(as_of("2026-03-31"), dec("0"));

    actions::resolve(
        &mut store,
        &stamp("2026-04-10"),
        "1",
        Some("credit note agreed"),
    )
    .unwrap();
    let err = actions::resolve(&mut store, &stamp("2026-04-10"), "1", None).unwrap_err();
    assert_eq!(err.to_string(), "issue 1 is already resolved");
    assert_eq!(
        store
            .activity()
            .open_issue_amount(d("2026-04-09"), "USD")
            .unwrap(),
        dec("1280.00")
    );
    assert_eq!(
        store
            .activity()
            .open_issue_amount(d("2026-04-10"), "USD")
            .unwrap(),
        dec("400.00")
    );
    assert!(
        store
            .activity()
            .disputed_documents(None, d("2026-04-09"))
            .unwrap()
            .contains(&i3_key)
    );
    assert!(
        store
            .activity()
            .disputed_documents(None, d("2026-04-10"))
            .unwrap()
            .is_empty()
    );
    assert!(
        !store
            .activity()
            .is_document_disputed(i3_key, d("2026-04-10"))
            .unwrap()
    );

    actions::reopen(&mut store, &stamp("2026-04-12"), "#1", None).unwrap();
    assert!(
        store
            .activity()
            .is_document_disputed(i3_key, d("2026-04-12"))
            .unwrap()
    );
    assert!(
        !store
            .activity()
            .is_document_disputed(i3_key, d("2026-04-11"))
            .unwrap()
    );
    let tabs = tabs_on(&store, "2026-04-12");
    assert_eq!(tabs.disputes.len(), 2);
}

#[test]
fn followups_are_due_until_done() {
    let fx = Fixture::new();
    let mut store = fx.store();
    let f = actions::followup(&mut store, &stamp("2026-04-01"), "V1", "+3d", "call Anna").unwrap();
    let v1 = store.ledger().customer_key("V1").unwrap().unwrap();
    assert!(tabs_on(&store, "2026-04-03").followups_due.is_empty());
    assert_eq!(tabs_on(&store, "2026-04-04").followups_due, vec![v1]);
    actions::done(&mut store, &stamp("2026-04-04"), &f.id.to_string()).unwrap();
    assert!(tabs_on(&store, "2026-04-04").followups_due.is_empty());
    let err = actions::done(&mut store, &stamp("2026-04-04"), &f.id.to_string()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("follow-up {} is already done", f.id)
    );
}

#[test]
fn assigning_an_owner_changes_the_customer_and_logs_it() {
    let fx = Fixture::new();
    let mut store = fx.store();
    let r = actions::assign(
        &mut store,
        &stamp("2026-04-01"),
        "V1",
        owed::domain::action_checks::OwnerRole::Finance,
        "carol",
    )
    .unwrap();
    assert_eq!(
        r.message,
        "Owner change 1: Finance owner of V1 (Vale Supplies) is now carol (was alice)."
    );
    let card = v1_card(&store);
    assert_eq!(card.finance_owner.as_deref(), Some("carol"));
    let changes = store.activity().owner_changes(card.cid).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].old_owner.as_deref(), Some("alice"));
}

/// An owner given in another case than a registered user's name (`CAROL` for carol) is that
/// user: stored as given, the customer was in her "mine" but refused to her, and the team's
/// figures counted two owners.
#[test]
fn an_owner_given_in_another_case_is_the_registered_users_name() {
    let fx = Fixture::new();
    let mut store = fx.store();
    let day = stamp("2026-04-01");
    store
        .users_mut()
        .add(&day, "carol", owed::domain::users::Role::Manager, &[])
        .unwrap();
    let r = actions::assign(
        &mut store,
        &day,
        "V1",
        owed::domain::action_checks::OwnerRole::Finance,
        "CAROL",
    )
    .unwrap();
    assert_eq!(
        r.message,
        "Owner change 1: Finance owner of V1 (Vale Supplies) is now carol (the user's name as \
         registered; `CAROL` was given) (was alice)."
    );
    assert_eq!(v1_card(&store).finance_owner.as_deref(), Some("carol"));
    // Typed in full width (an input method's): the same user, who has it already.
    let e = actions::assign(
        &mut store,
        &day,
        "V1",
        owed::domain::action_checks::OwnerRole::Finance,
        "ｃａｒｏｌ",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "carol is already the finance owner of customer `V1`"
    );
}

fn v1_card(store: &owed::store::Store) -> owed::domain::customer::CustomerCard {
    store
        .activity()
        .customer_card_by_id("V1", "USD")
        .unwrap()
        .unwrap()
}

#[test]
fn form_defaults_propose_the_overdue_amount_and_documents() {
    let fx = Fixture::new();
    let store = fx.store();
    let on = |day: &str| actions::form_defaults(&store, "V1", d(day), &Config::default()).unwrap();
    // 1 April: I1 (due 31 March) has 900 left after the 100 of 25 March; I2 is not due yet.
    let first = on("2026-04-01");
    assert_eq!(first.overdue, dec("900"));
    let labels = |f: &actions::FormDefaults| -> Vec<String> {
        f.overdue_documents()
            .map(|d| d.label().to_string())
            .collect()
    };
    assert_eq!(labels(&first), ["I1"]);
    assert_eq!(first.find("I2").map(|d| d.balance), Some(dec("500")));
    assert_eq!(first.currency, "USD");
    // 10 April: 300 more on I1 (8 April), 200 on I2 (9 April), I2 overdue since 5 April.
    let later = on("2026-04-10");
    assert_eq!(later.overdue, dec("900"));
    assert_eq!(labels(&later), ["I1", "I2"]);
    let v2 = actions::form_defaults(&store, "V2", d("2026-04-10"), &Config::default()).unwrap();
    assert_eq!((v2.currency.as_str(), v2.overdue), ("EUR", dec("800")));
}

#[test]
fn per_customer_flags_add_up_to_the_portfolio_totals() {
    let (_fx, mut store) = scenarios();
    fixture::dispute(&mut store, "2026-04-03", "V2", "250", &["I3"]);
    let keys: Vec<i64> = ["V1", "V2", "V3"]
        .iter()
        .map(|id| store.ledger().customer_key(id).unwrap().unwrap())
        .collect();
    for day in [
        "2026-04-01",
        "2026-04-05",
        "2026-04-09",
        "2026-04-13",
        "2026-04-14",
    ] {
        let (mut promised, mut disputed) = (Decimal::ZERO, Decimal::ZERO);
        for &cid in &keys {
            let f = store
                .activity()
                .customer_flags(cid, d(day), 3, "USD")
                .unwrap();
            promised += f.open_promise_base;
            disputed += f.open_issue_base;
        }
        assert_eq!(
            promised,
            store
                .activity()
                .open_promise_amount(d(day), 3, "USD")
                .unwrap(),
            "{day}"
        );
        assert_eq!(
            disputed,
            store.activity().open_issue_amount(d(day), "USD").unwrap(),
            "{day}"
        );
    }
}

#[test]
fn a_void_counts_from_its_own_date() {
    let (_fx, store) = scenarios();
    // Promise 5 was recorded on 1 April and voided on 2 April.
    assert_state(&store, 5, "2026-04-01", Open);
    assert_state(&store, 5, "2026-04-03", Voided);
    let v3 = store.ledger().customer_key("V3").unwrap().unwrap();
    // On 1 April V3's latest promise is 5 (open, due 30 April): not in a promise tab; once
    // it is voided, promise 3 (due 10 April) is V3's latest again.
    let tabs = tabs_on(&store, "2026-04-01");
    assert!(!tabs.promises_due.contains(&v3));
    let tabs = tabs_on(&store, "2026-04-12");
    assert!(tabs.promises_due.contains(&v3));
}

#[test]
fn the_queue_tabs_agree_with_each_customers_promises() {
    let (_fx, store) = scenarios();
    for as_of in [
        "2026-04-01",
        "2026-04-09",
        "2026-04-12",
        "2026-04-14",
        "2026-05-05",
    ] {
        let tabs = store.activity().queue_tabs(d(as_of), 3).unwrap();
        for id in ["V1", "V2", "V3"] {
            let cid = store.ledger().customer_key(id).unwrap().unwrap();
            // The latest promise not voided by then, as the customer's promise list has it.
            let latest = store
                .activity()
                .customer_promises(cid, d(as_of), 3, "USD")
                .unwrap()
                .into_iter()
                .filter(|p| p.recorded <= d(as_of) && p.progress.state != PromiseState::Voided)
                .max_by_key(|p| (p.recorded, p.id));
            let due = latest
                .as_ref()
                .is_some_and(|p| p.progress.state == PromiseState::Open && p.date <= d(as_of));
            let broken = latest
                .as_ref()
                .is_some_and(|p| matches!(p.progress.state, Broken | PartiallyKept));
            assert_eq!(tabs.promises_due.contains(&cid), due, "{id} due at {as_of}");
            assert_eq!(
                tabs.promises_broken.contains(&cid),
                broken,
                "{id} broken at {as_of}"
            );
        }
    }
}

/// Events recorded out of date order (a reopen entered after a resolve but dated before it):
/// the state at a date follows the events' dates, everywhere an issue's state is read.
#[test]
fn an_issues_state_follows_its_events_dates_not_the_order_they_were_recorded_in() {
    let fx = Fixture::new();
    let mut store = fx.store();
    let id = fixture::dispute(&mut store, "2026-04-01", "V3", "400", &["I5"]);
    actions::resolve(&mut store, &stamp("2026-04-10"), &id.to_string(), None).unwrap();
    let conn = rusqlite::Connection::open(fx.db()).unwrap();
    let day = |s: &str| owed::domain::date::day_number(d(s));
    conn.execute(
        "INSERT INTO issue_events (issue_id, kind, at, collector, event_date)
         VALUES (?1, 'reopen', '2026-04-11T09:00:00Z', 'alice', ?2)",
        rusqlite::params![id, day("2026-04-05")],
    )
    .unwrap();
    let v3 = store.ledger().customer_key("V3").unwrap().unwrap();
    let i5 = store
        .activity()
        .document_owners(v3, &["I5".to_string()])
        .unwrap()[0]
        .as_ref()
        .unwrap()
        .did;
    // 7 April: reopened on the 5th, not yet resolved again.
    assert_eq!(
        store
            .activity()
            .open_issue_amount(d("2026-04-07"), "USD")
            .unwrap(),
        dec("400")
    );
    assert!(
        store
            .activity()
            .is_document_disputed(i5, d("2026-04-07"))
            .unwrap()
    );
    // 12 April: the resolve of the 10th is the latest by date.
    assert_eq!(
        store
            .activity()
            .open_issue_amount(d("2026-04-12"), "USD")
            .unwrap(),
        dec("0")
    );
    assert!(
        !store
            .activity()
            .is_document_disputed(i5, d("2026-04-12"))
            .unwrap()
    );
    assert!(tabs_on(&store, "2026-04-12").disputes.is_empty());
    let issue = store
        .activity()
        .customer_issues(v3, d("2026-04-12"), "USD")
        .unwrap()
        .into_iter()
        .find(|i| i.id == id)
        .unwrap();
    assert_eq!(
        issue.state,
        owed::domain::action_checks::IssueState::Resolved
    );
}

/// A promise in the customer's currency on a document in another: receipts are converted at
/// the document's rate, in the queue's flags and tabs as in the customer's promise list.
/// V1 bills in USD; E1 is an EUR invoice of 15 March (1.08 USD), paid 100 EUR on 12 April
/// — 108 USD, which keeps a promise of 105 USD (unconverted, 100 would fall short).
#[test]
fn a_promise_on_a_document_in_another_currency_counts_its_receipts_converted() {
    let fx = Fixture::of(
        fixture::Portfolio::actions()
            .with_document("E1,V1,invoice,2026-03-15,2026-04-14,300.00,EUR")
            .with_payment("P9,V1,2026-04-12,100.00,EUR")
            .with_application("P9,E1,100.00,2026-04-12"),
    );
    let mut store = fx.store();
    let id = promise(&mut store, "V1", "105", "2026-04-14", &["E1"]);
    let v1 = store.ledger().customer_key("V1").unwrap().unwrap();
    let state = |as_of: &str| {
        let p = store
            .activity()
            .customer_promises(v1, d(as_of), 3, "USD")
            .unwrap();
        p.into_iter().find(|p| p.id == id).unwrap().progress.state
    };
    assert_eq!(state("2026-04-11"), Open);
    assert_eq!(state("2026-04-20"), Kept);
    for as_of in ["2026-04-11", "2026-04-14", "2026-04-20"] {
        let tabs = tabs_on(&store, as_of);
        assert!(!tabs.promises_broken.contains(&v1), "broken at {as_of}");
        assert!(!tabs.promises_due.contains(&v1), "due at {as_of}");
    }
    // The detail's timeline says the same.
    let detail = store
        .ledger()
        .customer_detail(v1, d("2026-04-20"), 3)
        .unwrap()
        .unwrap();
    let texts: Vec<&str> = detail.activity.iter().map(|e| e.text.as_str()).collect();
    assert!(
        texts.contains(&"105.00 USD by 2026-04-14 (kept)"),
        "{texts:?}"
    );
}

/// A customer whose currency changes (here by a re-import of its row) has its promises in the
/// new currency, and the receipts on its documents in the old one are converted — in the
/// queue's tabs as in its promise list. V3's I5 (400 USD) is paid in full on 20 April, its
/// I7 (200 USD) not at all; V3, now billed in EUR, promised 500 EUR for both on 1 April (1.10
/// USD; 545.45 EUR open): 363.64 EUR arrived, and the promise is only partly kept.
#[test]
fn a_customer_whose_currency_changes_has_its_receipts_converted_in_the_queue() {
    let fx = Fixture::new();
    let mut store = fx.store();
    fixture::Portfolio::new()
        .file(
            "customers.csv",
            "id,name,email,currency,finance_owner\nV3,Yarn & Sons,ap@yarn.example,EUR,alice\n",
        )
        .file(
            "documents.csv",
            "id,customer_id,type,doc_date,due_date,amount,currency\n\
             I7,V3,invoice,2026-03-20,2026-04-19,200.00,USD\n",
        )
        .import_into(&mut store, &fx.dir.path().join("again"));
    let id = promise(&mut store, "V3", "500", "2026-04-22", &["I5", "I7"]);
    let v3 = store.ledger().customer_key("V3").unwrap().unwrap();
    let promises = store
        .activity()
        .customer_promises(v3, d("2026-04-30"), 3, "USD")
        .unwrap();
    let p = promises.into_iter().find(|p| p.id == id).unwrap();
    assert_eq!(p.currency, "EUR");
    assert_eq!(
        (p.progress.state, p.progress.paid),
        (PartiallyKept, dec("363.64"))
    );
    assert!(tabs_on(&store, "2026-04-30").promises_broken.contains(&v3));
}

/// Makes `tz` the ledger's time zone (`owed config time-zone`).
fn ledger_zone(fx: &Fixture, tz: &str) {
    let out = fixture::owed_command(fx.dir.path(), &fx.db(), None, &["config", "time-zone", tz])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", fixture::stderr(&out));
}

/// Whether the activity log as of `as_of` (`owed export activity`), run in the time zone
/// `tz` with the ledger's time zone `tz` too, lists `text`.
fn activity_lists(fx: &Fixture, tz: &str, as_of: &str, text: &str) -> bool {
    ledger_zone(fx, tz);
    lists_in(fx, tz, as_of, text)
}

/// Whether the activity log as of `as_of`, run in the time zone `tz` (whatever the ledger's),
/// lists `text`.
fn lists_in(fx: &Fixture, tz: &str, as_of: &str, text: &str) -> bool {
    let args = ["export", "activity", "--format", "csv", "-o", "-"];
    let out = fixture::owed_command(fx.dir.path(), &fx.db(), Some(as_of), &args)
        .env("TZ", tz)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", fixture::stderr(&out));
    fixture::stdout(&out).contains(text)
}

/// A moment belongs to its day in the ledger's time zone (`owed config time-zone`), whatever
/// `TZ` the process reading it has.
#[test]
fn a_moment_belongs_to_its_day_in_the_ledgers_time_zone() {
    let fx = Fixture::new();
    // Logged at 22:00 in New York on 29 April: 02:00 UTC on the 30th.
    let at = chrono::DateTime::parse_from_rfc3339("2026-04-30T02:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let day = owed::domain::date::parse_iso("2026-04-29").unwrap();
    let stamp = owed::domain::action_checks::Stamp::new("alice", at, day).unwrap();
    actions::note(&mut fx.store(), &stamp, "V1", "called back late").unwrap();
    // A collector in New York sees it on the 29th, the day they logged it.
    assert!(activity_lists(
        &fx,
        "America/New_York",
        "2026-04-29",
        "called back late"
    ));
    // Where it was already the 30th, it is the 30th's.
    assert!(!activity_lists(
        &fx,
        "UTC",
        "2026-04-29",
        "called back late"
    ));
    assert!(activity_lists(&fx, "UTC", "2026-04-30", "called back late"));
    assert!(!activity_lists(
        &fx,
        "Asia/Tokyo",
        "2026-04-29",
        "called back late"
    ));
    // And its time is shown in the zone its day is counted in.
    let shown = |zone: &str, tz: &str| {
        ledger_zone(&fx, zone);
        let out = fixture::owed_command(fx.dir.path(), &fx.db(), None, &["activity", "V1"])
            .env("TZ", tz)
            .output()
            .unwrap();
        fixture::stdout(&out)
    };
    assert!(shown("America/New_York", "America/New_York").contains("2026-04-29 22:00:00"));
    assert!(shown("UTC", "UTC").contains("2026-04-30 02:00:00"));
    // The ledger's zone, not the reader's: a process in Tokyo reads New York's day and time.
    assert!(shown("America/New_York", "Asia/Tokyo").contains("2026-04-29 22:00:00 -04:00"));
    assert!(lists_in(
        &fx,
        "Asia/Tokyo",
        "2026-04-29",
        "called back late"
    ));
}

/// Entries written in the same second (a script of notes, a call saved with its follow-up)
/// are newest first in the detail's timeline, as `owed activity` lists them: the timeline
/// sorted by day and second only, and showed the oldest of them on top.
#[test]
fn the_timeline_is_newest_first_within_one_second() {
    let fx = Fixture::new();
    let mut store = fx.store();
    let at = stamp("2026-04-20");
    for n in 1..=5 {
        actions::note(&mut store, &at, "V2", &format!("note {n}")).unwrap();
    }
    let v2 = store.ledger().customer_key("V2").unwrap().unwrap();
    let detail = store
        .ledger()
        .customer_detail(v2, d("2026-04-20"), 3)
        .unwrap()
        .unwrap();
    let notes: Vec<&str> = detail
        .activity
        .iter()
        .map(|e| e.text.as_str())
        .filter(|t| t.starts_with("note "))
        .collect();
    assert_eq!(notes, ["note 5", "note 4", "note 3", "note 2", "note 1"]);
}

/// The activity export's rows as (column → value) maps, in the file's order.
fn csv_records(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// A resolve, a reopen and a manager's write-off of one issue in the same second (a script
/// runs them so): every view lists them in the order they happened. The activity export sorted
/// them by kind (resolved, resolved, reopened: the issue seemed to end reopened), the
/// detail's timeline put both resolves above the reopen, and the export told a resolve from
/// a write-off only by its free text.
#[test]
fn events_of_one_second_are_listed_in_the_order_they_happened() {
    use owed::domain::customer::ActivityKind;
    let fx = Fixture::new();
    let mut store = fx.store();
    let id = fixture::dispute(&mut store, "2026-04-01", "V3", "400", &["I5"]).to_string();
    let by = |who: &str| owed::domain::action_checks::Stamp {
        collector: who.into(),
        ..stamp("2026-04-20")
    };
    actions::resolve_with(
        &mut store,
        &by("bob"),
        &id,
        Some("invalid"),
        Some("price was right"),
    )
    .unwrap();
    actions::reopen(&mut store, &by("bob"), &id, Some("they insist")).unwrap();
    actions::resolve_with(
        &mut store,
        &by("dana"),
        &id,
        Some("written_off"),
        Some("written off by manager"),
    )
    .unwrap();

    // The detail's timeline, newest first.
    let v3 = store.ledger().customer_key("V3").unwrap().unwrap();
    let detail = store
        .ledger()
        .customer_detail(v3, d("2026-04-20"), 3)
        .unwrap()
        .unwrap();
    let events: Vec<(ActivityKind, &str)> = detail
        .activity
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                ActivityKind::Issue | ActivityKind::IssueResolved | ActivityKind::IssueReopened
            )
        })
        .map(|e| (e.kind, e.who.as_str()))
        .collect();
    assert_eq!(
        events,
        [
            (ActivityKind::IssueResolved, "dana"),
            (ActivityKind::IssueReopened, "bob"),
            (ActivityKind::IssueResolved, "bob"),
            (ActivityKind::Issue, "alice"),
        ]
    );

    // `owed activity`: the issue's events oldest first, the last one standing.
    let o = fx.owed(&["--as-of", "2026-04-20", "activity", "V3", "--json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let issue = first_entry(&json, "issue");
    let events = text_pairs(&issue["events"], |_| true, "kind", "collector");
    assert_eq!(
        events,
        [("resolve", "bob"), ("reopen", "bob"), ("resolve", "dana")]
    );
    assert_eq!(issue["outcome"], "written_off", "{issue}");

    // The export: oldest first, each event with its own id (rising in the order written)
    // and a resolve's outcome in a column of its own.
    let o = fx.owed(&[
        "--as-of",
        "2026-04-20",
        "export",
        "activity",
        "--customer",
        "V3",
        "-o",
        "-",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows: Vec<_> = csv_records(&String::from_utf8(o.stdout).unwrap())
        .into_iter()
        .filter(|r| r["kind"].starts_with("issue") && r["record"] == id)
        .collect();
    let seen: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r["kind"].as_str(), r["who"].as_str(), r["outcome"].as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("issue", "alice", ""),
            ("issue resolved", "bob", "invalid"),
            ("issue reopened", "bob", ""),
            ("issue resolved", "dana", "written_off"),
        ]
    );
    let ids: Vec<i64> = rows[1..]
        .iter()
        .map(|r| {
            let id = r["event_id"].strip_prefix("issue-event-").unwrap();
            id.parse().unwrap()
        })
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

/// A promise on an invoice whose amount was corrected down, then paid in full: it promised
/// 500 on I2 (200 paid 9 April), and I2 came to 200 after all. Its documents are settled, so
/// it is kept (it read "partially kept (paid 200, remaining 300)" and flagged V1 broken), in
/// the activity, the queue's tabs and flags and the open promises' amount.
#[test]
fn a_promise_whose_documents_are_settled_in_full_is_kept() {
    let (fx, mut store) = scenarios();
    let corrected = fixture::Portfolio::new().file(
        "documents.csv",
        "id,customer_id,type,doc_date,due_date,amount,currency\n\
         I2,V1,invoice,2026-03-05,2026-04-04,200.00,USD\n",
    );
    corrected.import_into(&mut store, &fx.dir.path().join("corrected"));
    assert_progress(&store, 2, "2026-04-08", (Open, "0", "500"));
    assert_progress(&store, 2, "2026-04-09", (Kept, "200", "0"));
    assert_progress(&store, 2, "2026-04-30", (Kept, "200", "0"));
    // 13 April: 3 open (400 left), 4 open (110 USD left); 2 kept.
    assert_eq!(
        store
            .activity()
            .open_promise_amount(d("2026-04-13"), 3, "USD")
            .unwrap(),
        dec("510.00")
    );
    let v1 = store.ledger().customer_key("V1").unwrap().unwrap();
    let tabs = tabs_on(&store, "2026-04-14");
    assert!(!tabs.promises_broken.contains(&v1), "{tabs:?}");
    assert!(!tabs.promises_due.contains(&v1), "{tabs:?}");
}
