//! `owed report team` and `owed export team` on the fixture's team portfolio, whose figures
//! are worked out by hand below (issue 17, point 4).
//!
//! As of Thursday 30 April 2026: the week runs from Monday 27 April, the window from 1 April.
//! USD only, promise grace 3 days (the default).
//!
//! | customer | owner | documents | applied | overdue at 30 Apr |
//! | --- | --- | --- | --- | --- |
//! | A1 | alice | 1000 due 1 Mar | 50 on 20 Mar, 400 on 12 Apr | 550 |
//! | A2 | alice | 300 due 1 May | — | 0 (not yet due) |
//! | B1 | bob | 500 due 15 Mar | 100 on 20 Apr, 150 on 29 Apr | 250 |
//! | U1 | — | 70 due 31 Mar | — | 70 |
//!
//! Activity (the day of each entry):
//! - alice: call A2 30 Mar (before the window); call A1 10 Apr; promise A1 10 Apr (400 by
//!   15 Apr: kept by the 400 of 12 Apr); follow-up A1 11 Apr; promise A2 11 Apr (100 by
//!   14 Apr, deadline 17 Apr: broken, and nobody touched A2 since); promise A1 20 Apr,
//!   voided 21 Apr; note and call A1 30 Apr.
//! - bob: promise B1 1 Apr (200 by 5 Apr, deadline 8 Apr: broken; bob's call of 28 Apr
//!   follows it up); call B1 28 Apr.
//! - dana (manager): note and call U1 29 Apr. carl: a registered collector with nothing.
//! - a reply from B1 received 29 Apr, unread.
//!
//! So:
//! - alice: 2 customers, 1 overdue, 550.00; touched today 1 (A1), this week 1; calls 2 (those
//!   of 10 and 30 Apr; notes are no calls); promises taken 2 (the voided one left out), 1
//!   kept, 1 broken, 50.0 % kept; paid within 14 days of a touch: the 400 of 12 Apr (after the call and
//!   promise of 10 Apr and the follow-up of 11 Apr: counted once) = 400.00; 1 broken promise
//!   without follow-up (A2); no replies waiting.
//! - bob: 1 customer, 1 overdue, 250.00; today 0, this week 1 (B1 on 28 Apr); calls 1;
//!   promises 1, broken, 0.0 %; paid: the 150 of 29 Apr (1 day after his call); the 100 of
//!   20 Apr is 19 days after his promise of 1 Apr, not counted; 150.00; 0 broken without
//!   follow-up; 1 reply waiting.
//! - carl: zeros. dana: touched this week 1 (U1), calls 1, nothing else.
//! - unassigned: 1 customer, 1 overdue, 70.00.

mod common;
mod fixture;
mod workbook;

use calamine::Data;
use common::{assert_contains_all, command_in, stderr, stdout};
use fixture::Portfolio;
use owed::actions::{self, PromiseForm};
use owed::config::Config;
use owed::domain::action_checks::Stamp;
use owed::domain::users::Role;
use owed::store::Store;
use std::path::Path;

use common::{ALICE_KEY as CARL, DANA_KEY as DANA};

fn owed(dir: &Path, args: &[&str]) -> String {
    let db = dir.join("owed.db");
    let mut all = vec!["--db", db.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = command_in(dir, &all).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// `owed --as-of 2026-04-30 ARGS` on the database in `dir`: its stdout (asserting success).
fn owed_on_april_30(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["--as-of", "2026-04-30"];
    all.extend_from_slice(args);
    owed(dir, &all)
}

/// A stamp of `who` on `day` (`MM-DD` of 2026) at 09:00 local time.
fn stamp(who: &str, day: &str) -> Stamp {
    Stamp {
        collector: who.into(),
        role: Role::Manager,
        verified: false,
        at: fixture::local_time(&format!("2026-{day}"), "09:00"),
        today: owed::domain::date::parse_iso(&format!("2026-{day}")).unwrap(),
    }
}

fn promise(store: &mut Store, who: &str, day: &str, customer: &str, amount: &str, by: &str) {
    let form = PromiseForm {
        customer,
        amount,
        date: by,
        documents: &[],
        text: None,
    };
    actions::promise(store, &stamp(who, day), &Config::default(), &form).unwrap();
}

fn call(store: &mut Store, who: &str, day: &str, customer: &str, outcome: &str, text: &str) {
    let form = actions::CallForm {
        customer,
        outcome,
        text: Some(text),
        ..actions::CallForm::default()
    };
    actions::call(store, &stamp(who, day), &form).unwrap();
}

fn portfolio() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    Portfolio::team().import_with_owed(dir.path());
    owed(
        dir.path(),
        &[
            "--as", "root", "user", "add", "dana", "--key", DANA, "--role", "manager",
        ],
    );
    owed(
        dir.path(),
        &[
            "--as",
            "dana",
            "user",
            "add",
            "carl",
            "--key",
            CARL,
            "--role",
            "collector",
        ],
    );

    let mut store = Store::open_or_create(&dir.path().join("owed.db")).unwrap();
    let s = &mut store;
    call(s, "alice", "03-30", "A2", "voicemail", "Before the window.");
    call(s, "alice", "04-10", "A1", "reached", "Called.");
    promise(s, "alice", "04-10", "A1", "400", "2026-04-15");
    actions::followup(s, &stamp("alice", "04-11"), "A1", "2026-04-18", "Check.").unwrap();
    promise(s, "alice", "04-11", "A2", "100", "2026-04-14");
    promise(s, "alice", "04-20", "A1", "10", "2026-04-25");
    actions::void_promise(s, &stamp("alice", "04-21"), "3", Some("typo")).unwrap();
    actions::note(s, &stamp("alice", "04-30"), "A1", "Today.").unwrap();
    call(s, "alice", "04-30", "A1", "no_answer", "");
    promise(s, "bob", "04-01", "B1", "200", "2026-04-05");
    call(s, "bob", "04-28", "B1", "reached", "Chased.");
    actions::note(s, &stamp("dana", "04-29"), "U1", "Who owns this?").unwrap();
    call(s, "dana", "04-29", "U1", "wrong_number", "");
    let b1 = store.ledger().customer_key("B1").unwrap().unwrap();
    store
        .engagement_mut()
        .insert_reply(&owed::store::engage::NewReply {
            cid: b1,
            at: "2026-04-29T10:00:00Z",
            received_date: owed::domain::date::parse_iso("2026-04-29").unwrap(),
            message_id: "<r1@birch.example>",
            in_reply_to: None,
            from_addr: "ap@birch.example",
            subject: "Re: overdue",
            body: "Paying the rest next week.",
            verified: true,
            filed_by: "dana",
        })
        .unwrap();
    dir
}

/// The rows worked out in the module's doc, as `export team --format csv` writes them: the
/// collector; assigned, overdue customers, overdue; touched today, this week, calls, notes,
/// disputes opened and resolved, reminders by hand and by runs; promises
/// taken, kept, partially kept, broken, open, kept share; paid after a touch, broken without
/// follow-up, replies waiting.
const EXPECTED: [&str; 4] = [
    "alice,2,1,550.00,1,1,2,1,0,0,0,0,2,1,0,1,0,50.0,400.00,1,0",
    "bob,1,1,250.00,0,1,1,0,0,0,0,0,1,0,0,1,0,0.0,150.00,0,1",
    "carl,0,0,0.00,0,0,0,0,0,0,0,0,0,0,0,0,0,,0.00,0,0",
    "dana,0,0,0.00,0,1,1,1,0,0,0,0,0,0,0,0,0,,0.00,0,0",
];

/// How the JSON gives each of a row's fields, in the CSV's order.
enum Field {
    Count(&'static str),
    Text(&'static str),
    /// Text, or null (written empty).
    Maybe(&'static str),
}

const FIELDS: [Field; 21] = [
    Field::Text("collector"),
    Field::Count("customers_assigned"),
    Field::Count("customers_overdue"),
    Field::Text("overdue"),
    Field::Count("touched_today"),
    Field::Count("touched_this_week"),
    Field::Count("calls"),
    Field::Count("notes"),
    Field::Count("disputes_opened"),
    Field::Count("disputes_resolved"),
    Field::Count("reminders_by_hand"),
    Field::Count("reminders_by_runs"),
    Field::Count("promises_taken"),
    Field::Count("promises_kept"),
    Field::Count("promises_partially_kept"),
    Field::Count("promises_broken"),
    Field::Count("promises_open"),
    Field::Maybe("kept_share"),
    Field::Text("paid_within_14_days_of_touch"),
    Field::Count("broken_promises_without_followup"),
    Field::Count("replies_waiting"),
];

/// A collector's row of the JSON written as the CSV writes it, each field of its JSON type.
fn csv_of(row: &serde_json::Value) -> String {
    let field = |f: &Field| match *f {
        Field::Count(k) => row[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k}: {row}"))
            .to_string(),
        Field::Text(k) => row[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k}: {row}"))
            .into(),
        Field::Maybe(k) if row[k].is_null() => String::new(),
        Field::Maybe(k) => row[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k}: {row}"))
            .into(),
    };
    FIELDS.iter().map(field).collect::<Vec<_>>().join(",")
}

#[test]
fn report_team_json_gives_the_figures_worked_out_by_hand() {
    let dir = portfolio();
    let json = team_json(dir.path(), "2026-04-30");
    assert_eq!(json["as_of"], "2026-04-30");
    assert_eq!(json["currency"], "USD");
    assert_eq!(json["week_start"], "2026-04-27");
    assert_eq!(json["window_start"], "2026-04-01");
    assert_eq!(json["window_days"], 30);
    assert_eq!(json["calls_counted_from"], "calls");
    let u = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k}: {v}"));
    let s = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap().to_string();
    assert_eq!(collector_rows(&json), EXPECTED);
    assert_eq!(
        json["unassigned"],
        serde_json::json!({"customers": 1, "customers_overdue": 1, "overdue": "70.00",
                           "broken_promises_without_followup": 0})
    );

    // As of 16 April: the week from 13 April, the window from 18 March. Alice's A2 promise
    // (deadline 17 Apr) is still open; bob's is broken and not followed up yet.
    let json = team_json(dir.path(), "2026-04-16");
    let alice = &json["collectors"][0];
    assert_eq!(alice["collector"], "alice");
    assert_eq!(
        (u(alice, "promises_taken"), u(alice, "promises_open")),
        (2, 1)
    );
    assert_eq!(u(alice, "calls"), 2, "the calls of 30 Mar and 10 Apr");
    let bob = &json["collectors"][1];
    assert_eq!(u(bob, "broken_promises_without_followup"), 1);
    assert_eq!(s(bob, "paid_within_14_days_of_touch"), "0.00");

    let text = owed_on_april_30(dir.path(), &["report", "team"]);
    assert_contains_all(
        &text,
        &[
            "alice",
            "550.00",
            "unassigned: 1 customer(s), 1 overdue, 70.00 USD",
        ],
    );
}

/// A lockbox run's deductions counted as touches of whoever ran it: dana's bank file, with a
/// cheque short of Umber's invoice (a customer no one owns), gave her a touch on Umber the
/// day of the cheque, and the cheque itself as paid within 14 days of it (50.00). A
/// deduction the bank's file opened is no collector's touch: the team's figures are as
/// before, but for what Umber has overdue.
#[test]
fn a_lockbox_runs_deductions_are_no_touches() {
    let dir = portfolio();
    let lockbox = common::folder_of(
        dir.path(),
        "lockbox",
        &[(
            "lockbox.csv",
            "item_id,date,amount,currency,payer,check_number,invoices\n\
             1,2026-04-25,50.00,USD,U1,901,IU1\n",
        )],
    );
    let lockbox = lockbox.to_str().unwrap();
    let said = owed_on_april_30(dir.path(), &["--as", "dana", "lockbox", "import", lockbox]);
    assert!(said.contains("1 deductions opened"), "{said}");
    let json = team_json(dir.path(), "2026-04-30");
    assert_eq!(collector_rows(&json), EXPECTED);
    assert_eq!(
        json["unassigned"],
        serde_json::json!({"customers": 1, "customers_overdue": 1, "overdue": "20.00",
                           "broken_promises_without_followup": 0})
    );
}

/// `owed export team --format FORMAT -o TO` as of 30 April 2026.
fn export(dir: &Path, format: &str, to: &Path) {
    let to = to.to_str().unwrap();
    owed_on_april_30(dir, &["export", "team", "--format", format, "-o", to]);
}

#[test]
fn export_team_writes_the_same_figures() {
    let dir = portfolio();
    let csv = dir.path().join("team.csv");
    export(dir.path(), "csv", &csv);
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "collector,customers_assigned,customers_overdue,overdue_USD,touched_today,\
         touched_this_week,calls,notes,disputes_opened,disputes_resolved,reminders_by_hand,\
         reminders_by_runs,promises_taken,\
         promises_kept,promises_partially_kept,\
         promises_broken,promises_open,kept_share,paid_within_14_days_of_touch_USD,\
         broken_promises_without_followup,replies_waiting"
    );
    let body: Vec<String> = lines[1..].iter().map(|l| l.to_string()).collect();
    let unassigned = "(unassigned),1,1,70.00,,,,,,,,,,,,,,,,0,";
    let want: Vec<&str> = EXPECTED.into_iter().chain([unassigned]).collect();
    assert_eq!(body, want);

    let xlsx = dir.path().join("team.xlsx");
    export(dir.path(), "xlsx", &xlsx);
    // The workbook read back: a table like every export's, the same figures as the CSV,
    // typed and formatted (counts, amounts, the kept share in percent).
    let sheets = workbook::read(&xlsx);
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Team", "About"]);
    let s = &sheets[0];
    let summed = workbook::check_table(s, "Team", "2026-04-30");
    workbook::check_about(&sheets, "Team", "Promise state", "2026-04-30");
    // The title names the week and the window the figures count, and what they count
    // (reminders too, which the sheet has columns for), as `report team` does, and About says
    // what each figure of the sheet counts (it explained three).
    let title = s.title();
    assert!(
        title.contains("week from 2026-04-27") && title.contains("30 days from 2026-04-01"),
        "{title}"
    );
    assert!(
        title.contains("calls, notes, disputes, reminders, promises and payments over the 30 days"),
        "{title}"
    );
    let about = sheets.last().unwrap();
    let explained: Vec<String> = (0..about.values.height() as u32)
        .map(|r| about.text(r, 0))
        .collect();
    for figure in [
        "Week and window",
        "Customers assigned, overdue",
        "Touched today, this week",
        "Calls",
        "Notes, disputes opened, disputes resolved",
        "Reminders by hand, by runs",
        "Promises taken, kept, partially kept, broken, open; kept share",
        "Paid within 14 days of a touch",
        "Broken promises without follow-up",
        "Replies waiting",
    ] {
        assert!(
            explained.iter().any(|e| e == figure),
            "{figure}: {explained:?}"
        );
    }
    assert_eq!(s.headers()[0], "Collector");
    assert_eq!(s.headers()[17], "Kept share");
    assert_eq!(summed.len(), 19, "every count and amount is totalled");
    assert_eq!(s.data_rows().len(), body.len());
    for (r, line) in s.data_rows().zip(&body) {
        for (c, field) in line.split(',').enumerate() {
            let c = c as u32;
            let got = s.cell(r, c);
            match field.parse::<f64>() {
                _ if field.is_empty() => assert_eq!(got, Data::Empty, "{line}: column {c}"),
                Err(_) => assert_eq!(s.text(r, c), field, "{line}"),
                Ok(v) if c == 17 => {
                    assert!((s.number(r, c) - v / 100.0).abs() < 1e-9, "{line}");
                    assert_eq!(s.num_format(r, c), "0.0%", "{line}");
                }
                Ok(v) => {
                    assert_eq!(s.number(r, c), v, "{line}: column {c}");
                    let format = if field.contains('.') {
                        workbook::AMOUNT
                    } else {
                        workbook::COUNT
                    };
                    assert_eq!(s.num_format(r, c), format, "{line}: column {c}");
                }
            }
        }
    }
    let total = s.data_rows().end;
    assert_eq!(s.text(total, 0), "Total");
    assert_eq!(s.number(total, 3), 870.0, "550 + 250 + 70 overdue");
}

/// The team's figures are a manager's or an auditor's, from the shell as on the team screen:
/// a registered collector is refused in one sentence (exit 2) and no file is written.
#[test]
fn a_collector_may_not_see_the_teams_figures_from_the_shell() {
    let dir = portfolio();
    let db = dir.path().join("owed.db");
    let run = |who: &str, args: &[&str]| {
        let mut all = vec![
            "--db",
            db.to_str().unwrap(),
            "--as",
            who,
            "--as-of",
            "2026-04-30",
        ];
        all.extend_from_slice(args);
        command_in(dir.path(), &all).output().unwrap()
    };
    let refused = run("carl", &["report", "team"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert_eq!(
        stderr(&refused).trim(),
        "owed: carl (collector) may not see the team's figures: the team screen is for managers"
    );
    let file = dir.path().join("team.xlsx");
    let refused = run("carl", &["export", "team", "-o", file.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(!file.exists(), "nothing is written");
    let shown = run("dana", &["report", "team", "--json"]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let exported = run("dana", &["export", "team", "-o", file.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert!(file.exists());
}

/// `report team --json` as of `as_of`.
fn team_json(dir: &Path, as_of: &str) -> serde_json::Value {
    serde_json::from_str(&owed(dir, &["--as-of", as_of, "report", "team", "--json"])).unwrap()
}

/// The collectors' rows of a team report, as CSV lines of FIELDS.
fn collector_rows(json: &serde_json::Value) -> Vec<String> {
    json["collectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(csv_of)
        .collect()
}

/// The row of `name` in `report team --json` as of 30 April 2026.
fn team_row(dir: &Path, name: &str) -> serde_json::Value {
    common::first_where(
        &team_json(dir, "2026-04-30"),
        "collectors",
        "collector",
        name,
    )
}

/// A broken promise nobody followed up is work to do on the customer: when the customer moves
/// to another collector, the count moves with it; the promise taken, and how it went, stay
/// with who took it.
#[test]
fn a_broken_promise_without_followup_follows_the_customer_to_its_new_owner() {
    let dir = portfolio();
    // A2's promise, alice's, broke on 17 April and nobody touched A2 since.
    owed(dir.path(), &["--as", "dana", "assign", "A2", "carl"]);
    let alice = team_row(dir.path(), "alice");
    assert_eq!(
        csv_of(&alice),
        "alice,1,1,550.00,1,1,2,1,0,0,0,0,2,1,0,1,0,50.0,400.00,0,0"
    );
    let carl = team_row(dir.path(), "carl");
    assert_eq!(
        csv_of(&carl),
        "carl,1,0,0.00,0,0,0,0,0,0,0,0,0,0,0,0,0,,0.00,1,0"
    );
    let text = owed_on_april_30(dir.path(), &["report", "team"]);
    let cells = |name: &str| -> Vec<String> {
        let line = text.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().map(str::to_string).collect()
    };
    // The table's last two columns: broken, no f/u; replies.
    assert_eq!(cells("carl")[15..], ["1", "0"], "{text}");
    assert_eq!(cells("alice")[15..], ["0", "0"], "{text}");
}

/// The team's rows (collector, customers assigned) as of 30 April once dana has imported
/// `customers` (a customers.csv) over the portfolio.
fn owners_imported(dir: &tempfile::TempDir, customers: &str) -> Vec<(String, u64)> {
    let csv = dir.path().join("owners");
    std::fs::create_dir_all(&csv).unwrap();
    std::fs::write(csv.join("customers.csv"), customers).unwrap();
    owed(
        dir.path(),
        &["--as", "dana", "import", csv.to_str().unwrap()],
    );
    let json = team_json(dir.path(), "2026-04-30");
    json["collectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["collector"].as_str().unwrap().to_string(),
                r["customers_assigned"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Owners that differ only in case are one person's customers, as `--owner` counts them: one
/// row, under the spelling most of them have (or the registered user's).
#[test]
fn owners_in_two_cases_are_one_row_of_the_team() {
    let dir = portfolio();
    let rows = owners_imported(
        &dir,
        "id,name,finance_owner\nA2,Apex,ALICE\nB1,Birch,CARL\n",
    );
    // alice and ALICE: one each, alice first by its lower case; CARL is the user carl; bob
    // owned B1 only and stays, for what he did.
    let want = [("alice", 2), ("bob", 0), ("carl", 1), ("dana", 0)];
    let want: Vec<(String, u64)> = want.iter().map(|(n, c)| (n.to_string(), *c)).collect();
    assert_eq!(rows, want);
    let metrics: serde_json::Value = serde_json::from_str(&owed(
        dir.path(),
        &["report", "metrics", "--json", "--owner", "alice"],
    ))
    .unwrap();
    assert_eq!(metrics["owner"], "alice");
}

/// Notes logged and disputes opened and resolved per collector in the window: what a manager
/// reviewing a week asks first. A dispute is counted by who opened it and, once per resolve,
/// by who resolved it, each on its own day; before the window is not counted.
#[test]
fn notes_and_disputes_opened_and_resolved_are_counted_per_collector() {
    let dir = portfolio();
    let mut store = Store::open_existing(&dir.path().join("owed.db")).unwrap();
    let s = &mut store;
    let config = Config::default();
    let dispute = |s: &mut Store, who: &str, day: &str, customer: &str| {
        let form = actions::DisputeForm {
            customer,
            reason: "pricing",
            amount: Some("10"),
            documents: &[],
            text: None,
        };
        actions::dispute(s, &stamp(who, day), &config, &form).unwrap();
    };
    actions::note(s, &stamp("alice", "03-25"), "A1", "Before the window.").unwrap();
    actions::note(s, &stamp("alice", "04-02"), "A1", "In it.").unwrap();
    dispute(s, "bob", "03-20", "B1"); // issue 1, before the window
    dispute(s, "alice", "04-15", "A1"); // issue 2
    dispute(s, "alice", "04-16", "A2"); // issue 3
    actions::resolve(s, &stamp("bob", "04-02"), "1", None).unwrap();
    actions::resolve(s, &stamp("bob", "04-17"), "2", None).unwrap();
    actions::resolve(s, &stamp("dana", "04-18"), "3", Some("credited")).unwrap();
    drop(store);
    let counts = |json: &serde_json::Value, name: &str| {
        let row = common::first_where(json, "collectors", "collector", name);
        let u = |k: &str| row[k].as_u64().unwrap_or_else(|| panic!("{k}: {row}"));
        (u("notes"), u("disputes_opened"), u("disputes_resolved"))
    };
    let april = team_json(dir.path(), "2026-04-30");
    assert_eq!(
        counts(&april, "alice"),
        (2, 2, 0),
        "the notes of 2 and 30 Apr"
    );
    assert_eq!(
        counts(&april, "bob"),
        (0, 0, 2),
        "issue 1 opened before the window"
    );
    assert_eq!(counts(&april, "dana"), (1, 0, 1));
    assert_eq!(counts(&april, "carl"), (0, 0, 0));
    // As of 16 April the window runs from 18 March: the note of 25 March is in it, the
    // resolves of 17 and 18 April are not yet.
    let mid = team_json(dir.path(), "2026-04-16");
    assert_eq!(counts(&mid, "alice"), (2, 2, 0));
    assert_eq!(
        counts(&mid, "bob"),
        (0, 1, 1),
        "issue 1 opened on 20 Mar, in the window"
    );

    let text = owed_on_april_30(dir.path(), &["report", "team"]);
    let header = text.lines().nth(1).unwrap();
    assert!(
        header.contains("calls")
            && header.contains("notes")
            && header.contains("disputes")
            && header.contains("resolved"),
        "{text}"
    );
}

/// Reviewer s67: owners outside ASCII compare as users do, in case and width (`JÓZEF`,
/// `ＪÓＺＥＦ` and `józef` are one person, `AYŞE` and `ayşe` too), in the team's rows and in
/// every `--owner`; `jozef` is someone else.
#[test]
fn owners_in_two_cases_of_any_script_are_one_owner() {
    let dir = portfolio();
    let rows = owners_imported(
        &dir,
        "id,name,finance_owner\nA2,Apex,józef\nB1,Birch,JÓZEF\nU1,Umber,ayşe\nU2,Ultra,AYŞE\n",
    );
    for name in ["józef", "ayşe"] {
        let theirs: Vec<_> = rows
            .iter()
            .filter(|(n, _)| owed::domain::text::same_person(n, name))
            .collect();
        assert_eq!(theirs.len(), 1, "{name}: {rows:?}");
        assert_eq!(theirs[0].1, 2, "{name}: {rows:?}");
    }
    for typed in ["JÓZEF", "józef", "ＪÓＺＥＦ", "Jo\u{301}zef"] {
        let aging: serde_json::Value = serde_json::from_str(&owed(
            dir.path(),
            &["report", "aging", "--json", "--owner", typed],
        ))
        .unwrap();
        let n = aging["customers"].as_array().map_or(0, Vec::len);
        assert_eq!(n, 2, "{typed}: {aging}");
    }
    owed(dir.path(), &["report", "metrics", "--owner", "AYŞE"]);
    let out = dir.path().join("q.csv");
    owed(
        dir.path(),
        &[
            "export",
            "queue",
            "--owner",
            "AYŞE",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    let db = dir.path().join("owed.db");
    let jozef = command_in(
        dir.path(),
        &[
            "--db",
            db.to_str().unwrap(),
            "report",
            "aging",
            "--owner",
            "jozef",
        ],
    )
    .output()
    .unwrap();
    assert!(!jozef.status.success(), "jozef is not józef");
}

/// A reminder sent on `day` (`MM-DD` of 2026) to `customer` by `sender` in `cycle`, with
/// `status`, signed by `signer` (none: recorded before reminders named their signer).
fn reminder(
    db: &Path,
    (day, customer, sender, cycle, status): (&str, &str, &str, &str, &str),
    signer: Option<&str>,
) {
    let sent = format!("CAST(julianday('2026-{day}') - 1721424.5 AS INTEGER)");
    common::execute(
        db,
        &format!(
            "INSERT INTO reminders (cid, at, collector, cycle, reminder, to_addr, subject, body,
                                    status, sent_at, sent_date)
             SELECT cid, '2026-{day}T06:00:00Z', '{sender}', '{cycle}', 'Friendly',
                    'ap@example.com', 'Overdue', 'Please pay.', '{status}',
                    '2026-{day}T06:00:01Z', CASE WHEN '{status}' = 'sent' THEN {sent} END
               FROM customers WHERE id = '{customer}'"
        ),
    );
    if let Some(signer) = signer {
        common::execute(
            db,
            &format!(
                "INSERT INTO reminder_signers (reminder_id, name)
                 VALUES ((SELECT max(id) FROM reminders), '{signer}')"
            ),
        );
    }
}

/// Cron's engagement run, as root, sent alice's customers two reminders and bob's one, each
/// signed by the customer's owner, and one to U1 (nobody's) that root signed; dana sent one
/// by hand (the workstation's `r`) to alice's A2, alice signing it; bob sent one by hand
/// before reminders named their signer; one of the run's failed. Each is counted for who
/// signed it, by hand or by runs, and is their touch: root's row says only its one reminder
/// to U1, where it said three touches.
#[test]
fn reminders_are_counted_for_who_signed_them_by_hand_and_by_runs() {
    let dir = portfolio();
    let db = dir.path().join("owed.db");
    let run = |day, customer, status| (day, customer, "root", "Dunning", status);
    reminder(&db, run("04-29", "A1", "sent"), Some("alice"));
    reminder(&db, run("04-29", "A2", "sent"), Some("alice"));
    reminder(&db, run("04-29", "B1", "sent"), Some("bob"));
    reminder(&db, run("04-29", "U1", "sent"), Some("root"));
    reminder(&db, run("04-29", "A1", "failed"), Some("alice"));
    reminder(
        &db,
        ("04-30", "A2", "dana", "manual", "sent"),
        Some("alice"),
    );
    reminder(&db, ("04-20", "B1", "bob", "manual", "sent"), None);
    // Before the window: counted nowhere.
    reminder(&db, run("03-20", "B1", "sent"), Some("bob"));
    let json = team_json(dir.path(), "2026-04-30");
    let row = |name: &str| {
        let row = common::first_where(&json, "collectors", "collector", name);
        let u = |k: &str| row[k].as_u64().unwrap_or_else(|| panic!("{k}: {row}"));
        [
            u("reminders_by_hand"),
            u("reminders_by_runs"),
            u("touched_today"),
            u("touched_this_week"),
        ]
    };
    // alice: A1 touched today (her note and call), A2 too (dana's reminder she signed); A1
    // and A2 this week.
    assert_eq!(row("alice"), [1, 2, 2, 2]);
    assert_eq!(row("bob"), [1, 1, 0, 1]);
    assert_eq!(row("root"), [0, 1, 0, 1]);
    assert_eq!(row("dana"), [0, 0, 0, 1], "U1, her note and call");
    assert_eq!(row("carl"), [0, 0, 0, 0]);
    let text = owed_on_april_30(dir.path(), &["report", "team"]);
    let header = text.lines().nth(1).unwrap();
    assert!(
        header.contains("rem. by hand") && header.contains("by runs"),
        "{text}"
    );
    assert!(text.lines().next().unwrap().contains("reminders"), "{text}");
}
