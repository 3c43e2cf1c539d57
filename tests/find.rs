//! Issue 13 through the real binary and the store: `owed find` finds an invoice by its number
//! or id and a customer by a word of its notes (on the fixture and on the demo); the filter's
//! `note:`/`text:` terms and bare words agree with `owed find`; a call's note is found by
//! `note:` and `text:`, an imported reply by `text:` only; `owed call` logs a call, and
//! with `--followup` its follow-up, in one transaction or not at all; calls count as contact;
//! the full-text index is kept by every write and filled for a database written before it.

mod common;
mod fixture;

use common::{refused, succeeded, texts_of};
use fixture::{Fixture, stderr};
use owed::actions::{self, CallForm, DisputeForm, PromiseForm};
use owed::config::Config;
use owed::domain::action_checks::Stamp;
use owed::domain::aging::AgingBounds;
use owed::domain::queue::{QueueFilter, QueueQuery, Scope, SortKey, Tab};
use owed::domain::users::Role;
use owed::report::Portfolio;
use owed::store::Store;
use serde_json::Value;

const AS: [&str; 4] = ["--as-of", "2026-04-01", "--as", "alice"];

fn run(fx: &Fixture, args: &[&str]) -> std::process::Output {
    let all: Vec<&str> = AS.iter().chain(args).copied().collect();
    fx.owed(&all)
}

/// `owed ARGS` as alice, as of today: what she writes is dated today, and the activity of the
/// fixture's day leaves it out.
fn today(fx: &Fixture, args: &[&str]) -> std::process::Output {
    let all: Vec<&str> = ["--as", "alice"].iter().chain(args).copied().collect();
    fx.owed(&all)
}

/// `owed find --json TEXT` as of today: what the tests write is dated today, and a search as
/// of the fixture's day leaves it out, as the timeline does.
fn find_json(fx: &Fixture, text: &[&str]) -> Value {
    let mut args = vec!["find", "--json"];
    args.extend(text);
    serde_json::from_str(&succeeded(&today(fx, &args))).unwrap()
}

/// The queue's customer ids under a filter, everyone's, all tabs (as of the fixture's date).
fn filtered(store: &Store, text: &str) -> Vec<String> {
    filtered_at(store, text, "2026-04-01")
}

/// [`filtered`] as of today: what the tests write is dated today.
fn searched(store: &Store, text: &str) -> Vec<String> {
    filtered_at(store, text, &chrono::Local::now().date_naive().to_string())
}

/// The queue's customer ids under a filter, everyone's, all tabs, as of `as_of`.
fn filtered_at(store: &Store, text: &str, as_of: &str) -> Vec<String> {
    let bounds = AgingBounds::default();
    let as_of = owed::domain::date::parse_iso(as_of).unwrap();
    let p = Portfolio::compute(store, as_of, None, &bounds, "USD").unwrap();
    store
        .queue()
        .rebuild(as_of, &bounds, &p.customers, 3, "USD", &[])
        .unwrap();
    let mut q = QueueQuery::new("alice");
    q.scope = Scope::Everyone;
    q.tab = Tab::All;
    q.sort = SortKey::Name;
    q.descending = false;
    q.filter = QueueFilter::parse(text, &bounds).unwrap();
    let page = store.queue().page(&q, 0, 1000).unwrap();
    // The mirror in memory counts what SQL selects.
    let mirror = store.queue().mirror().unwrap();
    let matches = store.activity().filter_matches(&q.filter).unwrap();
    assert_eq!(
        mirror.counts(&q, &matches),
        store.queue().counts(&q).unwrap()
    );
    page.rows.into_iter().map(|r| r.id).collect()
}

/// The fixture with document numbers.
fn numbered() -> Fixture {
    let fx = Fixture::new();
    let csv = fx.dir.path().join("csv");
    let docs = fixture::DOCUMENTS
        .replace("id,customer_id,type,", "id,customer_id,type,number,")
        .replace("I1,V1,invoice,", "I1,V1,invoice,INV-4412,")
        .replace("I2,V1,invoice,", "I2,V1,invoice,INV-4413,")
        .replace("I3,V2,invoice,", "I3,V2,invoice,RE-2026-0007,")
        .replace("I4,V2,invoice,", "I4,V2,invoice,,")
        .replace("I5,V3,invoice,", "I5,V3,invoice,A2026-0016412,")
        .replace("N1,V1,credit_note,", "N1,V1,credit_note,CN-1,");
    std::fs::write(csv.join("documents.csv"), docs).unwrap();
    succeeded(&fx.owed(&["import", csv.to_str().unwrap()]));
    fx
}

#[test]
fn an_invoice_number_or_id_finds_its_customer() {
    let fx = numbered();
    let found = find_json(&fx, &["a2026-0016412"]);
    assert_eq!(
        found["documents"],
        serde_json::json!([{"id": "I5", "number": "A2026-0016412", "customer_id": "V3"}])
    );
    assert_eq!(found["customers"], serde_json::json!([]));
    assert_eq!(found["activity"], serde_json::json!([]));
    // By id, any case; a start of a number finds the rest after the whole ones.
    assert_eq!(find_json(&fx, &["i3"])["documents"][0]["customer_id"], "V2");
    let docs = find_json(&fx, &["INV-441"])["documents"].clone();
    let ids = texts_of(&docs, "id");
    assert_eq!(ids, ["I1", "I2"]);
    // A list cut at --limit says how many there are in all.
    let cut = find_json(&fx, &["INV-441", "--limit", "1"]);
    assert_eq!(texts_of(&cut["documents"], "id"), ["I1"]);
    assert_eq!(
        cut["totals"],
        serde_json::json!({"customers": 0, "documents": 2, "activity": 0})
    );
    // For people: the number, the id, the customer.
    let text = succeeded(&run(&fx, &["find", "A2026-0016412"]));
    assert!(
        text.contains("A2026-0016412  I5  invoice  V3 (Yarn & Sons)"),
        "{text}"
    );
    // Names: contains, without regard to case.
    assert_eq!(find_json(&fx, &["yarn"])["customers"][0]["id"], "V3");
    let none = succeeded(&run(&fx, &["find", "nothing-like-it"]));
    assert_eq!(none, "Nothing found for `nothing-like-it`.\n");

    // The queue's filter: a bare word that is a whole number or id keeps its customer.
    let store = fx.store();
    assert_eq!(filtered(&store, "A2026-0016412"), ["V3"]);
    assert_eq!(filtered(&store, "re-2026-0007"), ["V2"]);
    assert_eq!(filtered(&store, "i1"), ["V1"]);
    assert!(filtered(&store, "INV-44").is_empty(), "whole numbers only");
    assert_eq!(
        store
            .activity()
            .customer_documents_named(3, "a2026-0016412")
            .unwrap(),
        ["I5"]
    );
}

#[test]
fn a_notes_word_finds_its_customer_and_the_filter_keeps_it() {
    let fx = Fixture::new();
    succeeded(&run(
        &fx,
        &["note", "V2", "AP says the invoice is waiting for approval"],
    ));
    succeeded(&run(&fx, &["note", "V1", "Left voicemail"]));
    succeeded(&run(
        &fx,
        &[
            "followup",
            "V3",
            "--date",
            "+3d",
            "Ask about the approval workflow",
        ],
    ));
    let found = find_json(&fx, &["approv"]);
    let activity = found["activity"].as_array().unwrap();
    assert_eq!(activity.len(), 2, "{found}");
    let kinds: Vec<(&str, &str)> = activity
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap(),
                a["customer_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(kinds.contains(&("note", "V2")) && kinds.contains(&("followup", "V3")));
    let note = activity.iter().find(|a| a["kind"] == "note").unwrap();
    assert_eq!(note["text"], "AP says the invoice is waiting for approval");
    // The id is the note's, as `owed activity` shows it.
    let timeline: Value =
        serde_json::from_str(&succeeded(&today(&fx, &["activity", "V2", "--json"]))).unwrap();
    assert_eq!(timeline["activity"][0]["id"], note["id"]);
    // Every word must be there.
    assert!(
        find_json(&fx, &["approval", "voicemail"])["activity"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let store = fx.store();
    assert_eq!(searched(&store, "note:approval"), ["V2"]);
    assert_eq!(searched(&store, "text:approval"), ["V1", "V2", "V3"][1..]);
    assert_eq!(searched(&store, "note:\"waiting approval\""), ["V2"]);
    assert!(searched(&store, "note:approval owner:alice").is_empty());
    assert_eq!(searched(&store, "note:voicemail"), ["V1"]);
}

#[test]
fn a_search_as_of_a_date_sees_what_existed_by_then_as_the_timeline_does() {
    // I6 is dated 2026-04-10: before it, it did not exist.
    let late = "I6,V3,invoice,2026-04-10,2026-05-10,300.00,USD";
    let fx = Fixture::of(fixture::Portfolio::actions().with_document(late));
    let mut store = fx.store();
    let stamp = fixture::stamp;
    actions::note(&mut store, &stamp("2026-03-20"), "V1", "kumquat crates").unwrap();
    let form = DisputeForm {
        customer: "V2",
        reason: "quality",
        amount: Some("50"),
        documents: &[],
        text: Some("kumquat quality"),
    };
    actions::dispute(&mut store, &stamp("2026-03-22"), &Config::default(), &form).unwrap();
    let form = CallForm {
        customer: "V2",
        outcome: "reached",
        text: Some("kumquat payment run"),
        ..CallForm::default()
    };
    actions::call(&mut store, &stamp("2026-03-25"), &form).unwrap();
    // Today, in a session as of 2026-03-28: the promise counts from that day, the note from
    // today (the day it was written).
    let back = Stamp {
        at: owed::domain::action_checks::timestamp(chrono::Utc::now()),
        ..stamp("2026-03-28")
    };
    let form = PromiseForm {
        customer: "V3",
        amount: "100",
        date: "2026-04-20",
        documents: &[],
        text: Some("kumquat promise"),
    };
    actions::promise(&mut store, &back, &Config::default(), &form).unwrap();
    actions::note(&mut store, &back, "V3", "kumquat note").unwrap();

    let today = chrono::Local::now().date_naive().to_string();
    let dates = [
        "2026-03-19",
        "2026-03-20",
        "2026-03-22",
        "2026-03-25",
        "2026-03-28",
    ];
    let expected: [(&str, &[&str], &[&str]); 6] = [
        ("2026-03-19", &[], &[]),
        ("2026-03-20", &["V1"], &["V1"]),
        ("2026-03-22", &["V1"], &["V1", "V2"]),
        ("2026-03-25", &["V1", "V2"], &["V1", "V2"]),
        ("2026-03-28", &["V1", "V2"], &["V1", "V2", "V3"]),
        (&today, &["V1", "V2", "V3"], &["V1", "V2", "V3"]),
    ];
    for (as_of, notes, text) in expected {
        assert_eq!(filtered_at(&store, "note:kumquat", as_of), notes, "{as_of}");
        assert_eq!(filtered_at(&store, "text:kumquat", as_of), text, "{as_of}");
    }
    // The same rule as the detail's timeline, kind by kind: a customer is found as of a date
    // when its timeline as of then shows the word.
    for as_of in dates.iter().copied().chain([today.as_str()]) {
        let date = owed::domain::date::parse_iso(as_of).unwrap();
        let shown: Vec<String> = ["V1", "V2", "V3"]
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                let cid = *i as i64 + 1;
                let (entries, _) = store.ledger().activity_timeline(cid, date, 3).unwrap();
                entries.iter().any(|e| e.text.contains("kumquat"))
            })
            .map(|(_, id)| id.to_string())
            .collect();
        assert_eq!(filtered_at(&store, "text:kumquat", as_of), shown, "{as_of}");
    }
    // `call>14` as of 2026-03-22 takes V2 for never called: its call's note is not found yet.
    assert_eq!(
        filtered_at(&store, "call>14 note:\"payment run\"", "2026-03-22"),
        Vec::<String>::new()
    );
    // A document dated later than the date is not found by its number or id.
    assert!(filtered_at(&store, "I6", "2026-04-09").is_empty());
    assert_eq!(filtered_at(&store, "I6", "2026-04-10"), ["V3"]);

    // `owed find` as of a date: the same.
    let find_at = |as_of: &str, text: &str| -> Value {
        let out = fx.owed(&["--as-of", as_of, "find", "--json", text]);
        serde_json::from_str(&succeeded(&out)).unwrap()
    };
    let found = find_at("2026-03-24", "kumquat");
    let kinds: Vec<String> = found["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["kind"].as_str().unwrap(),
                a["customer_id"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(kinds, ["issue V2", "note V1"], "{found}");
    assert_eq!(found["totals"]["activity"], 2);
    assert_eq!(find_at("2026-03-28", "kumquat")["totals"]["activity"], 4);
    assert_eq!(find_at(&today, "kumquat")["totals"]["activity"], 5);
    let early = find_at("2026-04-09", "I6");
    assert_eq!(early["documents"], serde_json::json!([]), "{early}");
    assert_eq!(early["totals"]["documents"], 0);
    assert_eq!(
        find_at("2026-04-10", "I6")["documents"][0]["customer_id"],
        "V3"
    );
    // Customers are there whatever the date.
    assert_eq!(find_at("2026-01-01", "yarn")["customers"][0]["id"], "V3");
}

/// The kinds and customers of what `owed find --json TEXT` finds in the activity.
/// The activity `owed find --json TEXT` finds, each as "KIND CUSTOMER".
fn found_activity(fx: &Fixture, text: &str) -> Vec<String> {
    let found = find_json(fx, &[text]);
    let activity = found["activity"].as_array().unwrap();
    let text = |v: &Value| v.as_str().unwrap().to_string();
    let kind_and_customer = |a: &Value| text(&a["kind"]) + " " + &text(&a["customer_id"]);
    activity.iter().map(kind_and_customer).collect()
}

#[test]
fn a_calls_note_is_found_by_note_and_text() {
    let fx = Fixture::new();
    succeeded(&run(
        &fx,
        &[
            "call",
            "V3",
            "--outcome",
            "reached",
            "Controller says the remittance is with treasury",
        ],
    ));
    // A note on another customer that does not say it.
    succeeded(&run(&fx, &["note", "V1", "Sent the statement again"]));
    let store = fx.store();
    assert_eq!(searched(&store, "note:treasury"), ["V3"]);
    assert_eq!(searched(&store, "text:treasury"), ["V3"]);
    assert_eq!(searched(&store, "note:\"remittance treasury\""), ["V3"]);
    assert!(searched(&store, "note:treasury owner:bob").is_empty());
    assert_eq!(found_activity(&fx, "treasury"), ["call V3"]);
    // A call logged after the search was first made is found too: the index is kept by
    // the write itself.
    succeeded(&run(
        &fx,
        &[
            "call",
            "V2",
            "--outcome",
            "left_voicemail",
            "Asked treasury to call back",
        ],
    ));
    assert_eq!(searched(&store, "note:treasury"), ["V2", "V3"]);
}

#[test]
fn an_imported_reply_is_found_by_text_not_by_note() {
    let fx = Fixture::new();
    let maildir = fx.dir.path().join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    // From V2's address: filed by its sender.
    std::fs::write(
        maildir.join("new").join("1.a.host"),
        "From: ap@weald.example\r\nSubject: Invoice I3 query\r\n\
         Message-ID: <r1@weald.example>\r\nDate: Thu, 02 Apr 2026 09:00:00 +0000\r\n\r\n\
         The quokka department approves payment next week.\r\n",
    )
    .unwrap();
    let out = succeeded(&run(&fx, &["inbox", "import", maildir.to_str().unwrap()]));
    assert!(out.contains("filed V2 (by sender)"), "{out}");
    let store = fx.store();
    // The body and the subject are searched; a reply is no note.
    assert_eq!(searched(&store, "text:quokka"), ["V2"]);
    assert_eq!(searched(&store, "text:\"invoice query\""), ["V2"]);
    assert!(searched(&store, "note:quokka").is_empty());
    assert_eq!(found_activity(&fx, "quokka"), ["reply V2"]);
    // Received on 2 April: as of a day before, it had not come yet.
    assert!(filtered_at(&store, "text:quokka", "2026-03-31").is_empty());
    assert_eq!(filtered_at(&store, "text:quokka", "2026-04-03"), ["V2"]);
}

#[test]
fn nothing_typed_is_search_syntax_and_control_characters_stay_visible() {
    let fx = Fixture::new();
    succeeded(&run(
        &fx,
        &[
            "note",
            "V1",
            "see \u{1b}[31m red \u{1b}[0m \"quoted\" NEAR(x) col:*",
        ],
    ));
    for text in ["NEAR(", "*", "col:", "a AND", "\"quoted\"", "(", "-", "^x"] {
        let out = run(&fx, &["find", text]);
        assert!(out.status.success(), "{text}: {}", stderr(&out));
    }
    // A quote left open is the one thing refused, as the filter refuses it.
    for text in ["\"", "\"quoted"] {
        refused(&run(&fx, &["find", text]), 2, "a quote is not closed");
    }
    let found = find_json(&fx, &["\"quoted\" near"]);
    assert_eq!(found["activity"].as_array().unwrap().len(), 1, "{found}");
    let human = succeeded(&today(&fx, &["find", "red"]));
    assert!(!human.contains('\u{1b}'), "{human:?}");
    assert!(human.contains("␛[31m red"), "{human}");
    // JSON gives the text as stored.
    assert_eq!(
        find_json(&fx, &["red"])["activity"][0]["text"],
        "see \u{1b}[31m red \u{1b}[0m \"quoted\" NEAR(x) col:*"
    );
    let empty = run(&fx, &["find", " "]);
    refused(&empty, 2, "nothing to find");
    // A search past what SQLite's LIKE takes is refused as input, in words (it was
    // "database: LIKE or GLOB pattern too complex", exit 1); as the queue's filter too.
    let long = "x".repeat(50_001);
    refused(
        &run(&fx, &["find", &long]),
        2,
        "the search is 50001 characters long: at most 1000 are taken",
    );
    refused(
        &run(&fx, &["export", "queue", "--filter", &long, "-o", "-"]),
        2,
        "at most 1000 are taken",
    );
    assert!(run(&fx, &["find", &"x".repeat(1000)]).status.success());
}

#[test]
fn a_call_with_a_followup_writes_both_or_nothing() {
    let fx = Fixture::new();
    // A follow-up is dated from the day it is written, whatever the as-of date.
    let in_2d = (owed::cli::today() + chrono::Duration::days(2)).to_string();
    let out = succeeded(&run(
        &fx,
        &[
            "call",
            "V1",
            "--outcome",
            "no_answer",
            "--contact",
            "Maria Lopez",
            "--followup",
            "+2d",
            "rang",
            "the",
            "AP",
            "line",
        ],
    ));
    assert_eq!(
        out,
        format!(
            "Call 1 logged for V1 (Vale Supplies) with Maria Lopez: no answer; \
             follow-up 1 scheduled on {in_2d}. \
             Dated today: the detail's timeline as of 2026-04-01 leaves it out.\n"
        )
    );
    let timeline: Value =
        serde_json::from_str(&succeeded(&today(&fx, &["activity", "V1", "--json"]))).unwrap();
    let entries = timeline["activity"].as_array().unwrap();
    let call = entries.iter().find(|e| e["kind"] == "call").unwrap();
    assert_eq!(call["outcome"], "no_answer");
    assert_eq!(call["contact"], "Maria Lopez");
    assert_eq!(call["text"], "rang the AP line");
    assert_eq!(call["collector"], "alice");
    assert_eq!(call["followup_id"], 1);
    let followup = entries.iter().find(|e| e["kind"] == "followup").unwrap();
    assert_eq!(followup["id"], 1);
    assert_eq!(followup["date"], in_2d.as_str());
    assert_eq!(followup["text"], "Call Maria Lopez again (no answer)");
    assert_eq!(find_json(&fx, &["rang"])["activity"][0]["kind"], "call");

    // Bad input: exit 2, one sentence, nothing written (the follow-up's date is checked
    // before the call is written).
    let before = fx.fingerprint();
    for (args, says) in [
        (
            &["call", "V1", "--outcome", "busy"][..],
            "`busy` is not a call outcome",
        ),
        (
            &[
                "call",
                "V1",
                "--outcome",
                "reached",
                "--followup",
                "2026-03-01",
            ],
            "the follow-up date 2026-03-01 is before today",
        ),
        // A blank date (a script's unset `$NEXT`) is not "no follow-up": the follow-up
        // asked for would be lost without a word.
        (
            &[
                "call",
                "V1",
                "--outcome",
                "no_answer",
                "--followup",
                "",
                "left msg",
            ],
            "the follow-up date is missing",
        ),
        (
            &[
                "call",
                "V1",
                "--outcome",
                "no_answer",
                "--followup",
                " ",
                "left msg",
            ],
            "the follow-up date is missing",
        ),
        (
            &["call", "V9", "--outcome", "reached"],
            "customer `V9` does not exist",
        ),
        (
            &[
                "call",
                "V1",
                "--outcome",
                "reached",
                "--contact",
                "Ma\u{1b}ria",
            ],
            "the contact's name",
        ),
    ] {
        let out = run(&fx, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1);
    }
    // A collector on another's customer: refused inside the transaction, neither written.
    let mut store = fx.store();
    let stamp = owed::domain::action_checks::Stamp::for_actor(
        &owed::domain::users::Actor::new("bob", Role::Collector),
        chrono::Utc::now(),
        owed::domain::date::parse_iso("2026-04-01").unwrap(),
    )
    .unwrap();
    let form = CallForm {
        customer: "V1",
        outcome: "voicemail",
        followup: Some("+2d"),
        ..CallForm::default()
    };
    let e = actions::call(&mut store, &stamp, &form).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("its finance owner is alice"), "{e}");
    drop(store);
    assert_eq!(fx.fingerprint(), before);
}

#[test]
fn calls_are_contact_and_the_queue_filters_and_sorts_by_the_last_call() {
    let fx = Fixture::new();
    let mut store = fx.store();
    for (customer, today) in [("V1", "2026-03-20"), ("V2", "2026-03-30")] {
        let form = CallForm {
            customer,
            outcome: "reached",
            ..CallForm::default()
        };
        actions::call(&mut store, &fixture::stamp(today), &form).unwrap();
    }
    assert_eq!(
        filtered(&store, "call>5"),
        ["V1", "V3"],
        "never called passes >"
    );
    assert_eq!(filtered(&store, "call<=2"), ["V2"]);
    assert_eq!(filtered(&store, "call=12"), ["V1"]);
    let bounds = AgingBounds::default();
    let mut q = QueueQuery::new("alice");
    (q.scope, q.tab) = (Scope::Everyone, Tab::All);
    q.sort_by(SortKey::LastCall);
    let rows = store.queue().page(&q, 0, 10).unwrap().rows;
    let order: Vec<(&str, Option<String>, Option<String>)> = rows
        .iter()
        .map(|r| {
            (
                r.id.as_str(),
                r.last_call.map(|d| d.to_string()),
                r.last_contact.map(|d| d.to_string()),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("V3", None, None),
            ("V1", Some("2026-03-20".into()), Some("2026-03-20".into())),
            ("V2", Some("2026-03-30".into()), Some("2026-03-30".into())),
        ],
        "never called first, then the longest ago; a call is the last contact"
    );
    // A call recorded after the table was built moves its row at once.
    let form = CallForm {
        customer: "V3",
        outcome: "voicemail",
        ..CallForm::default()
    };
    actions::call(&mut store, &fixture::stamp("2026-04-01"), &form).unwrap();
    let as_of = owed::domain::date::parse_iso("2026-04-01").unwrap();
    store.queue().refresh_row(3, as_of, 3).unwrap().unwrap();
    q.filter = QueueFilter::parse("call<1", &bounds).unwrap();
    let rows = store.queue().page(&q, 0, 10).unwrap().rows;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, "V3");
}

#[test]
fn the_index_is_filled_for_a_database_written_before_it() {
    let fx = Fixture::new();
    succeeded(&run(&fx, &["note", "V2", "pallet count disputed"]));
    succeeded(&run(
        &fx,
        &[
            "dispute", "V3", "--reason", "quality", "crates", "arrived", "wet",
        ],
    ));
    succeeded(&run(
        &fx,
        &["resolve", "1", "credit", "for", "the", "wet", "crates"],
    ));
    // Back to schema 8, as an older owed left it (schema 13's index, 11's log of imports,
    // 10's mark, then 9's index).
    {
        fixture::undo_schemas_20_to_23(&fx.db());
        let conn = rusqlite::Connection::open(fx.db()).unwrap();
        conn.execute_batch(
            "DROP TRIGGER promises_currency; DROP TRIGGER issues_currency;
             ALTER TABLE promises DROP COLUMN currency; ALTER TABLE issues DROP COLUMN currency;
             ALTER TABLE engagement_holds DROP COLUMN from_date; DROP INDEX payments_date;
             DROP INDEX reminders_sent_customer;
             DROP TABLE imports; DROP TRIGGER customers_currency_changed; DROP INDEX customers_other_currency;
             ALTER TABLE customers DROP COLUMN other_currency;
             DROP TABLE activity_text; DROP TABLE calls; DROP INDEX documents_number;
             DROP TRIGGER activity_text_note; DROP TRIGGER activity_text_reply;
             DROP TRIGGER activity_text_issue; DROP TRIGGER activity_text_issue_event;
             DROP TRIGGER activity_text_promise; DROP TRIGGER activity_text_promise_void;
             DROP TRIGGER activity_text_followup;
             ALTER TABLE reminders DROP COLUMN cc_addr;
             PRAGMA user_version = 8;",
        )
        .unwrap();
    }
    let found = find_json(&fx, &["wet", "crates"]);
    let activity = found["activity"].as_array().unwrap();
    let kinds: Vec<(&str, i64)> = activity
        .iter()
        .map(|a| (a["kind"].as_str().unwrap(), a["id"].as_i64().unwrap()))
        .collect();
    assert_eq!(kinds, [("issue", 1), ("issue", 1)], "{found}");
    assert_eq!(
        find_json(&fx, &["pallet"])["activity"][0]["customer_id"],
        "V2"
    );
    assert_eq!(fx.store().activity().activity_text_entries().unwrap(), 3);
}

#[test]
fn on_the_demo_an_invoice_number_and_a_notes_word_find_their_customers() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let db = dir.path().join("demo.db");
    let owed = |args: &[&str]| {
        common::owed_with(&db, &config)
            .args(["--as-of", "2026-11-25"])
            .args(args)
            .output()
            .unwrap()
    };
    succeeded(&owed(&[
        "demo",
        "--no-tui",
        "--customers",
        "200",
        "--seed",
        "7",
    ]));
    let store = Store::open_existing(&db).unwrap();
    // Some open invoice's number, as the customer would read it out.
    let as_of = owed::domain::date::parse_iso("2026-11-25").unwrap();
    let page = store
        .activity()
        .find_documents("A2026-", as_of, 500)
        .unwrap();
    let doc = page.items.last().unwrap().clone();
    let number = doc.number.clone().unwrap();
    let found: Value = serde_json::from_str(&succeeded(&owed(&[
        "find",
        "--json",
        &number.to_lowercase(),
    ])))
    .unwrap();
    assert_eq!(found["documents"][0]["number"], number.as_str());
    assert_eq!(
        found["documents"][0]["customer_id"],
        doc.customer_id.as_str()
    );
    // Every demo note the index finds for a word holds it, and it finds them all.
    let found: Value = serde_json::from_str(&succeeded(&owed(&[
        "find", "--json", "--limit", "0", "approval",
    ])))
    .unwrap();
    let activity = found["activity"].as_array().unwrap();
    assert!(!activity.is_empty());
    for a in activity {
        assert!(
            a["text"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("approval"),
            "{a}"
        );
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    // Notes, and what the calls' notes say (the demo's collectors call their customers).
    let with_word: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT text FROM notes UNION ALL SELECT text FROM calls)
              WHERE lower(text) LIKE '%approval%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let written = |a: &&Value| a["kind"] == "note" || a["kind"] == "call";
    let notes_found = activity.iter().filter(written).count();
    assert_eq!(notes_found as i64, with_word);
    assert!(activity.iter().any(|a| a["kind"] == "call"), "{found}");
    // The customer of one of them is kept by the filter.
    let first = activity[0]["customer_id"].as_str().unwrap().to_string();
    let bounds = AgingBounds::default();
    let as_of = owed::domain::date::parse_iso("2026-11-25").unwrap();
    let p = Portfolio::compute(&store, as_of, None, &bounds, "USD").unwrap();
    store
        .queue()
        .rebuild(as_of, &bounds, &p.customers, 3, "USD", &[])
        .unwrap();
    let mut q = QueueQuery::new("nobody");
    (q.scope, q.tab) = (Scope::Everyone, Tab::All);
    q.filter = QueueFilter::parse("note:approval", &bounds).unwrap();
    let rows = store.queue().page(&q, 0, 10_000).unwrap().rows;
    assert!(rows.iter().any(|r| r.id == first));
    let customers: std::collections::HashSet<&str> = activity
        .iter()
        .filter(written)
        .map(|a| a["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(rows.len(), customers.len());
}

/// Names are found without regard to case in every script, as the README promises: `LIKE`
/// folds ASCII letters only, so "ärger" did not find "Ärger GmbH", nor "élan" "Élan", nor
/// "ω" "Ω". The queue's filter agrees (and its copy in memory counts the same).
#[test]
fn find_takes_words_and_quoted_phrases_as_the_filter_does() {
    let fx = Fixture::new();
    let store = fx.store();
    let customers = |text: &str| -> Vec<String> {
        let found = find_json(&fx, &[text]);
        texts_of(&found["customers"], "id")
    };
    // Every word in the name or the id, in any order; a quoted phrase as a whole.
    for (text, ids) in [
        ("yarn sons", &["V3"][..]),
        ("sons yarn", &["V3"]),
        ("\"yarn & sons\"", &["V3"]),
        ("\"YARN & SONS\" v3", &["V3"]),
        ("\"sons yarn\"", &[]),
        ("yarn weald", &[]),
        ("v", &["V1", "V2", "V3"]),
    ] {
        assert_eq!(customers(text), ids, "{text}");
        assert_eq!(searched(&store, text), ids, "the filter: {text}");
    }
    // The words apart, as the shell passes them.
    let found = find_json(&fx, &["yarn", "sons"]);
    assert_eq!(texts_of(&found["customers"], "id"), ["V3"]);
    // A quote left open is refused, as in the filter.
    refused(
        &run(&fx, &["find", "\"yarn & sons"]),
        2,
        "a quote is not closed in `\"yarn & sons`",
    );
}

/// Names are found without regard to case in every script, and with their accents set aside
/// too, as `note:cafe` finds "café" and the order by name files `Élan` under E: "elan" missed
/// "Élan Conseil", "unicode" "Ünïcode GmbH". `owed find`, the queue's filter and its copy in
/// memory alike.
#[test]
fn names_are_found_with_their_accents_set_aside() {
    let fx = Fixture::new();
    let csv = fx.dir.path().join("customers.csv");
    std::fs::write(
        &csv,
        "id,name\nV1,Ärger GmbH\nV2,Élan Conseil SARL\nV3,ΩMEGA Ελλάς\nV4,Ünïcode GmbH\n\
         V5,Straße & Łódź\n",
    )
    .unwrap();
    succeeded(&fx.owed(&["import", csv.to_str().unwrap()]));
    let ids = |found: &Value| -> Vec<String> { texts_of(&found["customers"], "id") };
    for (text, id) in [
        ("ärger", "V1"),
        ("ÄRGER", "V1"),
        ("arger", "V1"),
        ("élan", "V2"),
        ("ÉLAN conseil", "V2"),
        ("ω", "V3"),
        ("elan", "V2"),
        ("ELAN CONSEIL", "V2"),
        ("ελλας", "V3"),
        ("unicode", "V4"),
        ("UNÏCODE", "V4"),
        ("strasse", "V5"),
        ("lodz", "V5"),
    ] {
        assert_eq!(ids(&find_json(&fx, &[text])), [id], "{text}");
    }
    let store = fx.store();
    assert_eq!(filtered(&store, "ärger"), ["V1"]);
    assert_eq!(filtered(&store, "élan"), ["V2"]);
    assert_eq!(filtered(&store, "elan"), ["V2"]);
    assert_eq!(filtered(&store, "unicode"), ["V4"]);
    assert_eq!(filtered(&store, "gmbh"), ["V1", "V4"]);
}

/// Reviewer s67: names are found by the one fold of `domain::text` in every script: Greek
/// final sigma as sigma (`σίσυφος` missed "ΣΊΣΥΦΟΣ ΑΕ"), Turkish dotted and dotless i as i,
/// and the vowel signs of Thai kept (`กิจ` found "กจ" too, its vowel set aside as an accent).
/// `owed find`, the queue's filter and its copy in memory alike.
#[test]
fn names_in_every_script_are_found_by_one_fold() {
    let fx = Fixture::new();
    let csv = fx.dir.path().join("customers.csv");
    std::fs::write(
        &csv,
        "id,name\nG1,ΣΊΣΥΦΟΣ ΑΕ\nG2,Ιωάννης Παπαδόπουλος ΑΕ\nT1,DİYARBAKIR Ilık Ltd\n\
         H1,กิจการดี\nH2,กจ\nF1,ＦＵＬＬＷＩＤＴＨ Corp\n",
    )
    .unwrap();
    succeeded(&fx.owed(&["import", csv.to_str().unwrap()]));
    let ids = |found: &Value| -> Vec<String> { texts_of(&found["customers"], "id") };
    for (text, id) in [
        ("σίσυφος", "G1"),
        ("ΣΙΣΥΦΟΣ", "G1"),
        ("ΙΩΆΝΝΗΣ", "G2"),
        ("ιωαννης", "G2"),
        ("diyarbakir", "T1"),
        ("ılık", "T1"),
        ("กิจ", "H1"),
        ("fullwidth", "F1"),
    ] {
        assert_eq!(ids(&find_json(&fx, &[text])), [id], "{text}");
    }
    let store = fx.store();
    assert_eq!(filtered(&store, "σίσυφος"), ["G1"]);
    assert_eq!(filtered(&store, "diyarbakir"), ["T1"]);
    assert_eq!(filtered(&store, "กิจ"), ["H1"]);
}

/// Reviewer s67: the workstation's `owner:ZOË` keeps zoë's customers, as users are told
/// apart (case and width in any script), in SQL and in the queue's copy in memory alike;
/// `owner:zoe` is someone else's.
#[test]
fn owner_filter_compares_owners_as_users_are_told_apart() {
    let fx = Fixture::new();
    let csv = fx.dir.path().join("customers.csv");
    std::fs::write(
        &csv,
        "id,name,finance_owner\nV1,Vesta,zoë\nV2,Vireo,ZOË\nV3,Volta,zoe\n",
    )
    .unwrap();
    succeeded(&fx.owed(&["import", csv.to_str().unwrap()]));
    let store = fx.store();
    for typed in [
        "owner:ZOË",
        "owner:zoë",
        "owner:ＺＯË",
        "owner:\"Zoe\u{308}\"",
    ] {
        assert_eq!(filtered(&store, typed), ["V1", "V2"], "{typed}");
    }
    assert_eq!(filtered(&store, "owner:zoe"), ["V3"]);
}

/// Reviewer s67: document numbers outside ASCII are found without regard to case or width
/// in any script, and typed decomposed: `owed find re-ü002` and the workstation's /re-ü002
/// missed RE-Ü002 (NOCASE folds ASCII letters only). Their accents count: `re-u002` is
/// another number.
#[test]
fn document_numbers_outside_ascii_are_found_in_any_case() {
    let fx = Fixture::new();
    let csv = fx.dir.path().join("csv");
    std::fs::create_dir_all(&csv).unwrap();
    std::fs::write(
        csv.join("documents.csv"),
        "id,customer_id,type,number,doc_date,due_date,amount,currency\n\
         X1,V1,invoice,RE-Ü002,2026-03-01,2026-03-31,10.00,USD\n\
         X2,V1,invoice,RE-Ü003,2026-03-02,2026-04-01,10.00,USD\n\
         X3,V2,invoice,RE-U002,2026-03-02,2026-04-01,10.00,EUR\n\
         X4,V2,invoice,ＦＷ-9,2026-03-02,2026-04-01,10.00,EUR\n",
    )
    .unwrap();
    succeeded(&fx.owed(&["import", csv.to_str().unwrap()]));
    for typed in [
        "re-ü002",
        "RE-Ü002",
        "re-u\u{308}002",
        "Re-Ü002",
        "ＲＥ-Ü002",
    ] {
        let found = find_json(&fx, &[typed]);
        assert_eq!(texts_of(&found["documents"], "id"), ["X1"], "{typed}");
    }
    assert_eq!(
        texts_of(&find_json(&fx, &["re-ü"])["documents"], "id"),
        ["X1", "X2"]
    );
    assert_eq!(
        texts_of(&find_json(&fx, &["re-u002"])["documents"], "id"),
        ["X3"]
    );
    assert_eq!(
        texts_of(&find_json(&fx, &["fw-9"])["documents"], "id"),
        ["X4"]
    );
    let store = fx.store();
    assert_eq!(filtered(&store, "re-ü002"), ["V1"]);
    assert_eq!(filtered(&store, "re-u\u{308}002"), ["V1"]);
    assert_eq!(filtered(&store, "fw-9"), ["V2"]);
    assert_eq!(
        store
            .activity()
            .customer_documents_named(1, "re-u\u{308}002")
            .unwrap(),
        ["X1"]
    );
}
