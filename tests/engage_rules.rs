//! Engagement a customer would not call spam (issue 15), on small hand-made portfolios whose
//! expected plans are worked out in each test: one reminder a day by cycle priority,
//! `min_days_between`, reminder-level rules, `before_due_days`, promise reminders, the added
//! fields and values of the rule language, and template totals in the customer's currency.

mod fixture;

use fixture::{Entry, Portfolio, entry};
use lettre::Message;
use owed::domain::Date;
use owed::domain::date::day_number;
use owed::domain::rules::{self, CustomFields, Level};
use owed::engage::cycle;
use owed::engage::outbox::{self, Mailer, SendError};
use owed::engage::plan::SkipReason;
use std::path::Path;

fn day(text: &str) -> Date {
    owed::domain::date::parse_iso(text).unwrap()
}

/// The engagement rules tests' one template: the totals in the customer's currency and the
/// base currency.
const TEMPLATE: &str = "{{ reminder }} for {{ customer.name }}\n\n{{ table }}\n\
     Total {{ totals.balance }} {{ totals.currency }} \
     ({{ totals.base_balance }} {{ totals.base_currency }})\n";

type World = fixture::Engagement;

/// `portfolio` imported; `cycle_files` (name, toml) loaded with `custom` types.
fn world_with(portfolio: Portfolio, cycle_files: &[(&str, &str)], custom: &CustomFields) -> World {
    World::new(portfolio, TEMPLATE, cycle_files, custom)
}

/// `portfolio` imported; `cycle_files` (name, toml) loaded without custom field types.
fn world(portfolio: Portfolio, cycle_files: &[(&str, &str)]) -> World {
    world_with(portfolio, cycle_files, &CustomFields::default())
}

/// A one-reminder cycle `name` with `extra` top-level keys and reminder keys `reminder`.
fn cycle_file(name: &str, extra: &str, reminder: &str) -> String {
    format!(
        "name = \"{name}\"\n{extra}\n[[reminder]]\nname = \"Now\"\ntemplate = \"templates/t.md\"\n{reminder}\n"
    )
}

impl World {
    /// The entries to send as of `as_of`.
    fn sends(&self, as_of: &str) -> Vec<Entry> {
        self.entries(day(as_of))
    }

    /// (cycle, reminder, customer, reason) of each skipped reminder.
    fn skips(&self, as_of: &str) -> Vec<(String, String, String, SkipReason)> {
        self.plan(day(as_of))
            .skipped
            .iter()
            .map(|s| {
                (
                    s.cycle.clone(),
                    s.reminder.clone(),
                    s.customer_id.clone(),
                    s.code,
                )
            })
            .collect()
    }

    fn send_all(&mut self, as_of: &str) -> usize {
        self.send(day(as_of), &mut Delivered::default(), 2)
            .sent
            .len()
    }
}

/// A mailer that delivers everything.
#[derive(Default)]
struct Delivered(Vec<Message>);

impl Mailer for Delivered {
    fn connect(&mut self) -> Result<(), SendError> {
        Ok(())
    }

    fn send(&mut self, message: &Message) -> Result<(), SendError> {
        self.0.push(message.clone());
        Ok(())
    }
}

fn skip(c: &str, r: &str, cust: &str, why: SkipReason) -> (String, String, String, SkipReason) {
    (c.into(), r.into(), cust.into(), why)
}

/// Kite Ltd (`K`, with an email) and `docs`.
fn kite(docs: &str) -> Portfolio {
    let customers = "id,name,email\nK,Kite Ltd,ap@kite.example\n";
    Portfolio::new()
        .file("customers.csv", customers)
        .file("documents.csv", docs)
}

/// Kite with one invoice due on 1 May, in two cycles: "Key accounts" (priority 10) from 7
/// days overdue, "Standard" (priority 1) from 3.
fn kite_in_two_cycles() -> World {
    let docs =
        "id,customer_id,type,doc_date,due_date,amount\nI1,K,invoice,2026-04-01,2026-05-01,300.00\n";
    let gentle = cycle_file("Key accounts", "priority = 10", "after_due_days = 7");
    let hard = cycle_file("Standard", "priority = 1", "after_due_days = 3");
    world(kite(docs), &[("a.toml", &hard), ("b.toml", &gentle)])
}

#[test]
fn two_cycles_would_email_one_customer_the_higher_priority_wins() {
    // K's invoice fell due on 1 May: 9 days overdue on the 10th, due in both cycles.
    let w = kite_in_two_cycles();
    assert_eq!(
        w.sends("2026-05-10"),
        vec![entry("Key accounts", "Now", "K", &["I1"])]
    );
    assert_eq!(
        w.skips("2026-05-10"),
        vec![skip("Standard", "Now", "K", SkipReason::Priority)]
    );
    // Said short enough to read beside the customer on the workstation's Skipped pane.
    assert_eq!(
        w.plan(day("2026-05-10")).skipped[0].reason,
        "Key accounts / Now goes today instead (priority 10 over 1)"
    );
    // On the 5th only the standard cycle's reminder is due (4 days overdue): it goes.
    assert_eq!(
        w.sends("2026-05-05"),
        vec![entry("Standard", "Now", "K", &["I1"])]
    );
    // The JSON lists the held-back reminder as skipped, with its reason.
    let json: serde_json::Value =
        serde_json::from_str(&w.plan(day("2026-05-10")).to_json()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[1]["cycle"], "Standard");
    assert_eq!(json[1]["skipped"], true);
    assert_eq!(json[1]["reason"], "priority");
    assert!(json[0].get("skipped").is_none(), "{json}");
}

/// A mailer whose every message is handed over without an answer (a connection lost after
/// the data): delivery not known, the reminder left pending.
struct NoAnswer;

impl Mailer for NoAnswer {
    fn connect(&mut self) -> Result<(), SendError> {
        Ok(())
    }

    fn send(&mut self, _: &Message) -> Result<(), SendError> {
        Err(SendError::Unknown(
            "timed out after the message was handed over".into(),
        ))
    }
}

#[test]
fn a_second_run_the_same_day_sends_nothing_the_first_held_back() {
    let mut w = kite_in_two_cycles();
    // Made before the first run sends (a second run started at the same time).
    let early = w.plan(day("2026-05-10"));
    assert_eq!(w.send_all("2026-05-10"), 1);
    // Run again that day: what priority held back stays held, and the plan says why.
    assert!(w.sends("2026-05-10").is_empty());
    assert_eq!(
        w.skips("2026-05-10"),
        vec![skip("Standard", "Now", "K", SkipReason::MinDaysBetween)]
    );
    let reason = &w.plan(day("2026-05-10")).skipped[0].reason;
    assert_eq!(
        reason,
        "a reminder was sent to K on 2026-05-10: at most one a day"
    );
    // The run that planned before the first sent: its claim finds K reminded today.
    let held_back = &early.skipped[0].entry;
    assert_eq!(held_back.cycle, "Standard");
    let mut mailer = Delivered::default();
    let outcome = outbox::send_entry(
        &mut w.store,
        &w.cycles,
        held_back,
        &mut mailer,
        &fixture::send_settings(day("2026-05-10"), 1),
    )
    .unwrap();
    assert_eq!(outcome, outbox::EntryOutcome::AlreadyClaimed);
    assert!(mailer.0.is_empty());
    // The next day it goes.
    assert_eq!(
        w.sends("2026-05-11"),
        vec![entry("Standard", "Now", "K", &["I1"])]
    );
}

/// A pending reminder counts as a sent one does, on its run's date. It counted by the day of
/// its claim's clock, after every back-dated day, so a run of 1 November killed mid-send held
/// its customer back on every later back-dated day of the month.
#[test]
fn a_reminder_whose_delivery_is_not_known_counts_as_sent_on_its_runs_date() {
    let mut w = kite_in_two_cycles();
    w.min_days_between = 7;
    // Claimed and handed over by the run of 10 May, no answer: pending.
    let report = w.send(day("2026-05-10"), &mut NoAnswer, 1);
    assert_eq!(report.unknown.len(), 1);
    // Whatever else is due for K within the days after it waits, saying why.
    for held in ["2026-05-10", "2026-05-16"] {
        let skips = w.skips(held);
        assert_eq!(skips.len(), 1, "{held}: {skips:?}");
        assert_eq!(skips[0].3, SkipReason::MinDaysBetween);
        let reason = &w.plan(day(held)).skipped[0].reason;
        assert!(
            reason.starts_with("a reminder to K is pending since ") && reason.contains("not known"),
            "{reason}"
        );
    }
    // Seven days after its run's date, the next goes, and is claimed.
    assert_eq!(w.sends("2026-05-17").len(), 1);
    assert_eq!(w.send_all("2026-05-17"), 1);
}

/// A run of an earlier date (`--as-of`) is sent now: a reminder that a run of a later date
/// sent a minute ago holds the customer back as it holds a run of today, in the plan (saying
/// when it was sent) and in the claim, with and without `min_days_between`. Such a
/// reminder sent long ago (by the clock) does not. The back-dated run looked only at the
/// days before its date, and the customer got two reminders 43 seconds apart.
#[test]
fn a_back_dated_run_keeps_to_the_reminders_sent_since_its_date() {
    let today = chrono::Local::now().date_naive();
    for min_days_between in [0, 7] {
        let mut w = kite_in_two_cycles();
        w.min_days_between = min_days_between;
        // Planned before the reminder of today goes (a second run started at the same time).
        let early = w.plan(day("2026-05-05"));
        assert_eq!(early.entries.len(), 1, "{:?}", early.skipped);
        // Today: "Key accounts" (I1 due on 1 May, long overdue).
        assert_eq!(w.send_all(&today.to_string()), 1);
        // As of 5 May only "Standard" is due: held back, and the plan says why.
        assert!(w.sends("2026-05-05").is_empty());
        assert_eq!(
            w.skips("2026-05-05"),
            vec![skip("Standard", "Now", "K", SkipReason::MinDaysBetween)]
        );
        let reason = &w.plan(day("2026-05-05")).skipped[0].reason;
        assert!(
            reason.starts_with(&format!("a reminder was sent to K on {today}"))
                && reason.contains("a run of an earlier date sends now"),
            "{reason}"
        );
        // The run that planned before it: its claim finds K reminded.
        let mut mailer = Delivered::default();
        let settings = owed::engage::outbox::SendSettings {
            min_days_between,
            ..fixture::send_settings(day("2026-05-05"), 1)
        };
        let outcome = outbox::send_entry(
            &mut w.store,
            &w.cycles,
            &early.entries[0],
            &mut mailer,
            &settings,
        )
        .unwrap();
        assert_eq!(outcome, outbox::EntryOutcome::AlreadyClaimed);
        assert!(mailer.0.is_empty());
        // Sent (by the clock) a day longer ago than the spacing: the back-dated run sends.
        let long_ago = today - chrono::Days::new(u64::from(min_days_between.max(1)));
        w.sql(&format!(
            "UPDATE reminders SET sent_at = '{long_ago}T12:00:00Z', at = '{long_ago}T12:00:00Z'"
        ));
        assert_eq!(
            w.sends("2026-05-05"),
            vec![entry("Standard", "Now", "K", &["I1"])]
        );
    }
}

/// The plan is of the day it is given as today, not of the machine's clock: a reminder a
/// run dated 10 May sent (its clock reading 10 May) holds a plan of 5 May back for the
/// `min_days_between = 7` days counted from 10 May to the today given, and on the seventh
/// day no longer; the machine's date (long after) would have let it go every time.
#[test]
fn a_back_dated_plan_counts_the_spacing_to_the_today_it_is_given() {
    let mut w = kite_in_two_cycles();
    w.min_days_between = 7;
    w.today = Some(day("2026-05-10"));
    assert_eq!(w.send_all("2026-05-10"), 1);
    let held = vec![skip("Standard", "Now", "K", SkipReason::MinDaysBetween)];
    for today in ["2026-05-10", "2026-05-12", "2026-05-16"] {
        w.today = Some(day(today));
        assert!(w.sends("2026-05-05").is_empty(), "today {today}");
        assert_eq!(w.skips("2026-05-05"), held, "today {today}");
    }
    let reason = &w.plan(day("2026-05-05")).skipped[0].reason;
    assert!(
        reason.starts_with("a reminder was sent to K on 2026-05-10, fewer than min_days_between"),
        "{reason}"
    );
    w.today = Some(day("2026-05-17"));
    assert_eq!(
        w.sends("2026-05-05"),
        vec![entry("Standard", "Now", "K", &["I1"])]
    );
}

#[test]
fn a_reminder_delivered_but_not_recorded_says_so_and_stays_pending() {
    let docs =
        "id,customer_id,type,doc_date,due_date,amount\nI1,K,invoice,2026-04-01,2026-05-01,300.00\n";
    let hard = cycle_file("Standard", "priority = 1", "after_due_days = 3");
    let mut w = world(kite(docs), &[("a.toml", &hard)]);
    // The database refuses to record it sent (as a full disk would), after the server took
    // the message.
    w.sql(
        "CREATE TRIGGER no_room BEFORE UPDATE OF status ON reminders WHEN NEW.status = 'sent'
         BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
    );
    let plan = w.plan(day("2026-05-05"));
    let mut mailer = Delivered::default();
    let e = outbox::send_entry(
        &mut w.store,
        &w.cycles,
        &plan.entries[0],
        &mut mailer,
        &fixture::send_settings(day("2026-05-05"), 1),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(mailer.0.len(), 1);
    assert!(
        e.contains("was delivered but could not be recorded as sent")
            && e.contains("do not release it"),
        "{e}"
    );
    let outbox = w.store.engagement().outbox(day("2026-05-05"), 10).unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].status, "pending");
    assert!(
        outbox[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .starts_with("delivered; not recorded"),
        "{:?}",
        outbox[0].error
    );
    // Never sent again by a run.
    w.sql("DROP TRIGGER no_room;");
    assert!(w.sends("2026-05-05").is_empty());
}

#[test]
fn equal_priorities_go_by_cycle_name() {
    let docs =
        "id,customer_id,type,doc_date,due_date,amount\nI1,K,invoice,2026-04-01,2026-05-01,300.00\n";
    let a = cycle_file("Alpha", "", "after_due_days = 3");
    let b = cycle_file("Beta", "", "after_due_days = 3");
    let w = world(kite(docs), &[("b.toml", &b), ("a.toml", &a)]);
    assert_eq!(
        w.sends("2026-05-10"),
        vec![entry("Alpha", "Now", "K", &["I1"])]
    );
}

/// Dunning of every document past due: Friendly at 3 days, Firm at 30.
const DUNNING: &str = include_str!("fixture/cycles/dunning_any.toml");

#[test]
fn min_days_between_holds_the_next_days_reminder_and_says_why() {
    // I1 fell due on 1 April: 30 days overdue on 1 May, "Firm". I2 falls due on 1 May and
    // is one day overdue on the 2nd: it would join the furthest reminder, "Firm", at once.
    let docs = "id,customer_id,type,doc_date,due_date,amount
I1,K,invoice,2026-03-02,2026-04-01,300.00
I2,K,invoice,2026-04-01,2026-05-01,200.00
";
    let mut w = world(kite(docs), &[("dunning.toml", DUNNING)]);
    w.min_days_between = 7;
    assert_eq!(
        w.sends("2026-05-01"),
        vec![entry("Dunning", "Firm", "K", &["I1"])]
    );
    assert_eq!(w.send_all("2026-05-01"), 1);
    // The next day: held back, and the plan says why.
    assert!(w.sends("2026-05-02").is_empty());
    let plan = w.plan(day("2026-05-02"));
    assert_eq!(
        w.skips("2026-05-02"),
        vec![skip("Dunning", "Firm", "K", SkipReason::MinDaysBetween)]
    );
    assert_eq!(plan.skipped[0].entry.document_ids(), vec!["I2"]);
    assert!(
        plan.skipped[0].reason.contains("2026-05-01")
            && plan.skipped[0].reason.contains("min_days_between = 7"),
        "{}",
        plan.skipped[0].reason
    );
    let json: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
    assert_eq!(json[0]["reason"], "min_days_between");
    assert_eq!(json[0]["document_ids"], serde_json::json!(["I2"]));
    // Six days after the last reminder still held; seven days after, sent (once).
    assert!(w.sends("2026-05-07").is_empty());
    assert_eq!(
        w.sends("2026-05-08"),
        vec![entry("Dunning", "Firm", "K", &["I2"])]
    );
    assert_eq!(w.send_all("2026-05-08"), 1);
    assert!(w.sends("2026-05-09").is_empty());
    assert!(w.skips("2026-05-09").is_empty());

    // Without min_days_between, the next day's reminder would have gone out at once.
    w.min_days_between = 0;
    w.sql(
        "DELETE FROM reminder_documents WHERE did = (SELECT did FROM documents WHERE id = 'I2');
           DELETE FROM reminders WHERE sent_date = (SELECT max(sent_date) FROM reminders);",
    );
    assert_eq!(
        w.sends("2026-05-02"),
        vec![entry("Dunning", "Firm", "K", &["I2"])]
    );
}

#[test]
fn a_reminder_level_rule_narrows_the_cycles() {
    // K: I1 500 (15 days overdue on 16 May) and I2 1500 (12 days), outstanding 2000.
    // L: I3 500 (20 days). M: I4 1500 (20 days), outstanding 1500.
    let customers = "id,name,email
K,Kite,k@kite.example
L,Lark,l@lark.example
M,Moss,m@moss.example
";
    let docs = "id,customer_id,type,doc_date,due_date,amount
I1,K,invoice,2026-04-01,2026-05-01,500.00
I2,K,invoice,2026-04-04,2026-05-04,1500.00
I3,L,invoice,2026-03-27,2026-04-26,500.00
I4,M,invoice,2026-03-27,2026-04-26,1500.00
";
    let cycle = r#"name = "Dunning"
document = "type = invoice"
[[reminder]]
name = "Friendly"
after_due_days = 3
template = "templates/t.md"
[[reminder]]
name = "Big ones"
after_due_days = 10
customer = "outstanding > 1800"
document = "balance >= 1000"
template = "templates/t.md"
"#;
    let mut w = world(
        Portfolio::new()
            .file("customers.csv", customers)
            .file("documents.csv", docs),
        &[("dunning.toml", cycle)],
    );
    // K: "Big ones" is due (its only document, I2, is 12 days overdue) and names I2 only.
    // L: no document of 1000 or more: "Friendly". M: outstanding 1500, not over 1800.
    assert_eq!(
        w.sends("2026-05-16"),
        vec![
            entry("Dunning", "Big ones", "K", &["I2"]),
            entry("Dunning", "Friendly", "L", &["I3"]),
            entry("Dunning", "Friendly", "M", &["I4"]),
        ]
    );
    assert_eq!(w.send_all("2026-05-16"), 3);
    // The next day "Big ones" has nothing left for K; I1 still has "Friendly" to come (I2,
    // which had the later reminder, never goes back to it).
    assert_eq!(
        w.sends("2026-05-17"),
        vec![entry("Dunning", "Friendly", "K", &["I1"])]
    );
}

#[test]
fn a_before_due_days_reminder_goes_out_three_days_before_the_due_date() {
    // I1 falls due on 10 May, I2 on 20 May.
    let docs = "id,customer_id,type,doc_date,due_date,amount
I1,K,invoice,2026-04-10,2026-05-10,120.00
I2,K,invoice,2026-04-20,2026-05-20,80.00
";
    let soon = cycle_file(
        "Due soon",
        "",
        "before_due_days = 3\ndocument = \"due_date between today and in 3 days\"",
    );
    let mut w = world(kite(docs), &[("soon.toml", &soon)]);
    assert!(w.sends("2026-05-06").is_empty(), "four days before");
    assert_eq!(
        w.sends("2026-05-07"),
        vec![entry("Due soon", "Now", "K", &["I1"])]
    );
    assert_eq!(w.send_all("2026-05-07"), 1);
    assert!(w.sends("2026-05-08").is_empty(), "once");
    assert_eq!(
        w.sends("2026-05-17"),
        vec![entry("Due soon", "Now", "K", &["I2"])]
    );
    // Both days are refused together.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(dir.path().join("templates/t.md"), "x\n").unwrap();
    std::fs::write(
        dir.path().join("c.toml"),
        cycle_file("X", "", "after_due_days = 1\nbefore_due_days = 3"),
    )
    .unwrap();
    let e = cycle::load_dir(dir.path()).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("give one"), "{e}");
}

#[test]
fn a_promise_reminder_goes_out_the_day_before_the_promise_and_a_broken_promise_the_day_after() {
    let docs =
        "id,customer_id,type,doc_date,due_date,amount\nI1,K,invoice,2026-03-01,2026-03-31,400.00\n";
    let reminder = cycle_file(
        "Promise reminder",
        "priority = 20\npause_on_promise = false\ncustomer = \"next_p2p_date = in 1 days\"",
        "",
    );
    let broken = cycle_file(
        "Promise broken",
        "priority = 20\npause_on_promise = false\ncustomer = \"next_p2p_date = 1 days ago\"",
        "",
    );
    let mut w = world(
        kite(docs),
        &[
            ("dunning.toml", DUNNING),
            ("promise.toml", &reminder),
            ("broken.toml", &broken),
        ],
    );
    // K promised on 1 May to pay 400 by 10 May.
    fixture::promise(&mut w.store, "2026-05-01", "K", "400", "2026-05-10", &[]);
    // Dunning pauses on the open promise; the promise rules do not hold yet.
    assert!(w.sends("2026-05-08").is_empty());
    let cid = w.store.ledger().customer_key("K").unwrap().unwrap();
    assert_eq!(
        w.plan(day("2026-05-08")).paused.get(&cid),
        Some(&day("2026-05-10"))
    );
    assert_eq!(
        w.sends("2026-05-09"),
        vec![entry("Promise reminder", "Now", "K", &["I1"])]
    );
    // What its template's `promise` says: the 400.00 still to come, by 10 May.
    let promise = w.plan(day("2026-05-09")).entries[0]
        .promise
        .clone()
        .unwrap();
    assert_eq!(
        (promise.remaining, promise.date, promise.currency.as_str()),
        (
            owed::domain::Decimal::new(40_000, 2),
            day("2026-05-10"),
            "USD"
        )
    );
    assert!(w.sends("2026-05-10").is_empty());
    // The day after: unpaid. Dunning is back, but the broken-promise cycle has priority.
    assert_eq!(
        w.sends("2026-05-11"),
        vec![entry("Promise broken", "Now", "K", &["I1"])]
    );
    assert_eq!(
        w.skips("2026-05-11"),
        vec![skip("Dunning", "Firm", "K", SkipReason::Priority)]
    );
}

#[test]
fn the_added_fields_and_values_select_whom_they_say() {
    let customers = "id,name,email,currency,auto_collection,card_last4,cf_seats,cf_renewal
A,Auto,a@a.example,USD,on,4242,12,2026-05-20
B,Manual,b@b.example,USD,off,,3,2026-07-01
";
    let docs = "id,customer_id,type,doc_date,due_date,amount
IA,A,invoice,2026-04-01,2026-05-01,100.00
IB,B,invoice,2026-03-01,2026-04-20,100.00
";
    // A: three failed attempts then a success and a failure being retried on 12 May;
    // B: one success, then an entry voided (no attempt of the customer's: left out of both
    // the average and the attempts since the success). Average attempts: A 5 / 1 = 5, B 1.
    let payments = "id,customer_id,date,amount,status,method,dunning_status,next_retry_date
PA1,A,2026-05-01,100.00,failure,card,,
PA2,A,2026-05-02,100.00,failure,card,,
PA3,A,2026-05-03,100.00,failure,card,,
PA4,A,2026-05-04,10.00,success,card,,
PA5,A,2026-05-09,100.00,failure,card,in_progress,2026-05-12
PB1,B,2026-04-25,10.00,success,bank_transfer,,
PB2,B,2026-05-05,10.00,voided,bank_transfer,,
";
    let mut custom = CustomFields::default();
    custom.insert("cf_seats", "number").unwrap();
    custom.insert("cf_renewal", "date").unwrap();
    let rule = |name: &str, level: &str, expr: &str| {
        cycle_file(name, &format!("{level} = \"{expr}\""), "")
    };
    let files = [
        rule("OnOff", "payment", "auto_collection = on"),
        rule("Never emailed", "customer", "last_email_date is empty"),
        rule("This month", "document", "due_date = this month"),
        rule("Last month", "document", "due_date = last month"),
        rule("Seats", "customer", "cf_seats > 5"),
        rule("Renewal", "customer", "cf_renewal < 2026-06-01"),
        rule(
            "Debits",
            "document",
            "transaction_type = debit and type = invoice",
        ),
        rule("Card", "customer", "card_last4 = 4242"),
        rule(
            "Retrying",
            "payment",
            "dunning_status = in_progress and next_retry_date = in 2 days",
        ),
        rule("Attempts", "customer", "average_payment_attempts > 1.5"),
        rule("No card", "customer", "card_last4 is empty"),
        rule("Since", "payment", "payment_attempts = 1"),
    ];
    let named: Vec<(String, &str)> = files
        .iter()
        .enumerate()
        .map(|(i, text)| (format!("c{i}.toml"), text.as_str()))
        .collect();
    let cycle_files: Vec<(&str, &str)> = named.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    let w = world_with(
        Portfolio::new()
            .file("customers.csv", customers)
            .file("documents.csv", docs)
            .file("payments.csv", payments),
        &cycle_files,
        &custom,
    );
    // Every cycle alone, as of 10 May: who enters it.
    let who = |cycle: &str| -> Vec<String> {
        let mut plan = w.plan(day("2026-05-10"));
        let mut all: Vec<String> = plan
            .entries
            .drain(..)
            .filter(|e| e.cycle == cycle)
            .map(|e| e.customer_id)
            .chain(
                plan.skipped
                    .drain(..)
                    .filter(|s| s.cycle == cycle)
                    .map(|s| s.customer_id),
            )
            .collect();
        all.sort();
        all
    };
    assert_eq!(who("OnOff"), vec!["A"]);
    assert_eq!(who("Never emailed"), vec!["A", "B"]);
    assert_eq!(who("This month"), vec!["A"]);
    assert_eq!(who("Last month"), vec!["B"]);
    assert_eq!(who("Seats"), vec!["A"]);
    assert_eq!(who("Renewal"), vec!["A"]);
    assert_eq!(who("Debits"), vec!["A", "B"]);
    assert_eq!(who("Card"), vec!["A"]);
    assert_eq!(who("Retrying"), vec!["A"]);
    assert_eq!(who("Attempts"), vec!["A"]);
    assert_eq!(who("No card"), vec!["B"]);
    assert_eq!(who("Since"), vec!["A"]);
}

/// A custom field typed as a date whose value is not one (`Gold`) is empty, as docs say ("a
/// value that does not read as its type is empty"): `is empty` selects it, `is not empty`
/// does not; the same for a number.
#[test]
fn a_typed_custom_field_that_does_not_read_as_its_type_is_empty() {
    let customers = "id,name,email,cf_tier,cf_seats
G,Gold,g@g.example,Gold,many
D,Dated,d@d.example,2026-01-01,12
N,None,n@n.example,,
";
    let docs = "id,customer_id,type,doc_date,due_date,amount
IG,G,invoice,2026-04-01,2026-05-01,100.00
ID,D,invoice,2026-04-01,2026-05-01,100.00
IN,N,invoice,2026-04-01,2026-05-01,100.00
";
    let mut custom = CustomFields::default();
    custom.insert("cf_tier", "date").unwrap();
    custom.insert("cf_seats", "number").unwrap();
    let files = [
        (
            "a.toml",
            cycle_file("Tier empty", "customer = \"cf_tier is empty\"", ""),
        ),
        (
            "b.toml",
            cycle_file("Tier set", "customer = \"cf_tier is not empty\"", ""),
        ),
        (
            "c.toml",
            cycle_file("Seats empty", "customer = \"cf_seats is empty\"", ""),
        ),
        (
            "d.toml",
            cycle_file("Seats set", "customer = \"cf_seats is not empty\"", ""),
        ),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let w = world_with(
        Portfolio::new()
            .file("customers.csv", customers)
            .file("documents.csv", docs),
        &files,
        &custom,
    );
    let plan = w.plan(day("2026-05-10"));
    let who = |cycle: &str| -> Vec<&str> {
        let mut all: Vec<&str> = plan
            .entries
            .iter()
            .filter(|e| e.cycle == cycle)
            .map(|e| e.customer_id.as_str())
            .chain(
                plan.skipped
                    .iter()
                    .filter(|s| s.cycle == cycle)
                    .map(|s| s.customer_id.as_str()),
            )
            .collect();
        all.sort_unstable();
        all
    };
    assert_eq!(who("Tier empty"), vec!["G", "N"]);
    assert_eq!(who("Tier set"), vec!["D"]);
    assert_eq!(who("Seats empty"), vec!["G", "N"]);
    assert_eq!(who("Seats set"), vec!["D"]);
}

#[test]
fn the_rule_language_additions_parse_print_and_refuse_as_documented() {
    let round = |level: Level, src: &str| rules::parse(level, src).unwrap().to_string();
    assert_eq!(
        round(Level::Customer, "last_email_date IS NOT EMPTY"),
        "last_email_date is not empty"
    );
    assert_eq!(
        round(
            Level::Document,
            "due_date between last month and this month"
        ),
        "due_date between last month and this month"
    );
    assert_eq!(
        round(Level::Payment, "auto_collection = off"),
        "auto_collection = no"
    );
    // `on` is for auto_collection only; a custom field is text unless typed.
    let e = rules::parse(Level::Document, "disputed = on").unwrap_err();
    assert!(e.message.contains("`yes` or `no`"), "{}", e.message);
    let e = rules::parse(Level::Customer, "cf_seats > 5").unwrap_err();
    assert!(
        e.message.contains("cannot be used with `cf_seats`"),
        "{}",
        e.message
    );
    let mut custom = CustomFields::default();
    custom.insert("cf_seats", "number").unwrap();
    assert!(rules::parse_with(Level::Customer, "cf_seats > 5", &custom).is_ok());
    let e = rules::parse(Level::Customer, "last_email_date is blank").unwrap_err();
    assert!(e.message.contains("expected `empty`"), "{}", e.message);
    let e = rules::parse(Level::Document, "due_date > this week").unwrap_err();
    assert!(e.message.contains("expected `month`"), "{}", e.message);
    let e = rules::parse(
        Level::Document,
        "due_date between this month and last month",
    )
    .unwrap_err();
    assert!(e.message.contains("empty range"), "{}", e.message);
}

#[test]
fn a_gbp_customers_template_total_is_in_gbp() {
    let customers = "id,name,email,currency\nG,Gannet plc,ap@gannet.example,GBP\n";
    let docs = "id,customer_id,type,doc_date,due_date,amount
G1,G,invoice,2026-04-01,2026-04-15,100.00
G2,G,invoice,2026-04-02,2026-04-16,50.40
";
    let rates = "date,currency,rate\n2026-03-01,GBP,1.25\n";
    let w = world(
        Portfolio::new()
            .file("exchange_rates.csv", rates)
            .file("customers.csv", customers)
            .file("documents.csv", docs),
        &[("dunning.toml", DUNNING)],
    );
    let plan = w.plan(day("2026-05-01"));
    assert_eq!(plan.entries.len(), 1);
    let settings = fixture::send_settings(day("2026-05-01"), 2);
    let mail = outbox::preview(&w.cycles, &plan.entries[0], &settings).unwrap();
    // 100.00 + 50.40 = 150.40 GBP; at 1.25, 125.00 + 63.00 = 188.00 USD.
    assert!(
        mail.text.contains("Total 150.40 GBP (188.00 USD)"),
        "{}",
        mail.text
    );
    // An entry whose reminder is no longer at its place in the cycle is refused, as sending
    // refuses it, rather than previewing the reminder that is there now.
    let mut moved = plan.entries[0].clone();
    moved.reminder = "gone".into();
    let e = outbox::preview(&w.cycles, &moved, &settings).unwrap_err();
    assert!(e.to_string().contains("has no reminder `gone`"), "{e}");
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn reminders_go_to_contact_roles_else_the_primary_billing_contact_else_the_customer() {
    let customers =
        "id,name,email\nK,Kite,k@kite.example\nL,Lark,l@lark.example\nM,Moss,m@moss.example\n";
    let contacts = "customer_id,name,email,phone,role,primary
K,Kim,KIM@kite.example,,billing,yes
K,Kai,kai@kite.example,,escalation,no
L,Lou,lou@lark.example,,ap,no
";
    let docs = "id,customer_id,type,doc_date,due_date,amount
I1,K,invoice,2026-03-01,2026-03-31,100.00
I2,L,invoice,2026-03-01,2026-03-31,100.00
I3,M,invoice,2026-03-01,2026-03-31,100.00
";
    let escalate = cycle_file(
        "Escalate",
        "",
        "after_due_days = 3\nto = [\"escalation\"]\ncc = [\"billing\", \"ap\"]",
    );
    let w = world(
        Portfolio::new()
            .file("customers.csv", customers)
            .file("contacts.csv", contacts)
            .file("documents.csv", docs),
        &[("e.toml", &escalate)],
    );
    let plan = w.plan(day("2026-05-01"));
    let to = addressed(&plan);
    assert_eq!(
        to,
        vec![
            // K: its escalation contact, copied to billing.
            ("K", "kai@kite.example", vec!["kim@kite.example"]),
            // L: no escalation contact, no primary billing contact: the customer; cc ap.
            ("L", "l@lark.example", vec!["lou@lark.example"]),
            ("M", "m@moss.example", vec![]),
        ]
    );
}

/// An address in To is not copied too: with `to = ["billing", "escalation"]` and `cc =
/// ["billing"]` the billing contact is written once, in To; and a copy to the customer's own
/// address, when To falls back to it, is left out however either is capitalised.
#[test]
fn an_address_in_to_is_not_copied_again() {
    let customers = "id,name,email\nK,Kite,k@kite.example\nL,Lark,AP@Lark.example\n";
    let contacts = "customer_id,name,email,phone,role,primary
K,Kim,kim@kite.example,,billing,yes
K,Kai,kai@kite.example,,escalation,no
K,Ann,ann@kite.example,,ap,no
L,Al,ap@lark.example,,ap,no
L,Bo,bo@lark.example,,ap,no
";
    let docs = "id,customer_id,type,doc_date,due_date,amount
I1,K,invoice,2026-03-01,2026-03-31,100.00
I2,L,invoice,2026-03-01,2026-03-31,100.00
";
    let both = cycle_file(
        "Both",
        "",
        "after_due_days = 3\nto = [\"billing\", \"escalation\"]\ncc = [\"billing\", \"ap\"]",
    );
    let mut w = world(
        Portfolio::new()
            .file("customers.csv", customers)
            .file("contacts.csv", contacts)
            .file("documents.csv", docs),
        &[("b.toml", &both)],
    );
    let plan = w.plan(day("2026-05-01"));
    let to = addressed(&plan);
    assert_eq!(
        to,
        vec![
            // K: billing and escalation in To; of the copies only ap is not there already.
            (
                "K",
                "kim@kite.example, kai@kite.example",
                vec!["ann@kite.example"]
            ),
            // L: no contact of its To roles, nor a primary billing one: its own address, which
            // its ap contact Al has too (in other case); Bo is copied.
            ("L", "AP@Lark.example", vec!["bo@lark.example"]),
        ]
    );
    // The message sent: each address once, in To or in Cc.
    let mut mailer = Delivered::default();
    w.send(day("2026-05-01"), &mut mailer, 2);
    assert_eq!(mailer.0.len(), 2);
    for message in &mailer.0 {
        let envelope: Vec<String> = message
            .envelope()
            .to()
            .iter()
            .map(|a| a.to_string().to_lowercase())
            .collect();
        let mut unique = envelope.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), envelope.len(), "{envelope:?}");
    }
}

#[test]
fn shipped_cycles_and_config_use_priority_and_min_days_between() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cycles = cycle::load_dir(&dir.join("config/cycles")).unwrap();
    let key = cycles.get("Key accounts").unwrap();
    let standard = cycles.get("Standard dunning").unwrap();
    assert!(
        key.priority > standard.priority,
        "the gentler key-accounts cycle wins"
    );
    let config = owed::config::Config::from_file(&dir.join("config/config.toml")).unwrap();
    assert_eq!(config.engage.min_days_between, Some(7));
}

#[test]
fn the_report_over_time_counts_each_cycles_weekly_sent_replied_promised_paid() {
    use owed::engage::report::{CycleWeek, EngagementReport};
    let customers =
        "id,name,email\nK,Kite,k@kite.example\nL,Lark,l@lark.example\nM,Moss,m@moss.example\n";
    let docs = "id,customer_id,type,doc_date,due_date,amount
I1,K,invoice,2026-03-02,2026-04-01,300.00
I3,L,invoice,2026-03-21,2026-04-20,100.00
I4,M,invoice,2026-04-01,2026-05-01,50.00
";
    let files = Portfolio::new()
        .file("customers.csv", customers)
        .file("documents.csv", docs);
    let mut w = world(files.clone(), &[("dunning.toml", DUNNING)]);
    // Friday 1 May (week of 27 April): K gets "Firm", L "Friendly"; M is not yet due.
    assert_eq!(w.send_all("2026-05-01"), 2);
    // Friday 8 May (week of 4 May): M, 7 days overdue, gets "Friendly".
    assert_eq!(w.send_all("2026-05-08"), 1);
    // L replies on the 3rd and pays I3 in full on the 5th; K promises on the 2nd.
    w.sql(&format!(
        "INSERT INTO replies (cid, at, received_date, message_id, from_addr, subject, body)
           SELECT cid, 'x', {}, '<r@x>', 'l@lark.example', 'Re', 'paying' FROM customers WHERE id = 'L'",
        day_number(day("2026-05-03")),
    ));
    fixture::promise(&mut w.store, "2026-05-02", "K", "300", "2026-05-20", &[]);
    w.import(
        files
            .file(
                "payments.csv",
                "id,customer_id,date,amount\nP90,L,2026-05-05,100.00\n",
            )
            .file(
                "applications.csv",
                "source_id,document_id,amount,date\nP90,I3,100.00,2026-05-05\n",
            ),
    );
    let report = EngagementReport::compute(&w.store, day("2026-05-15"), "USD").unwrap();
    let week = |start: &str, sent, replied, promised, paid| CycleWeek {
        cycle: "Dunning".into(),
        week_start: day(start),
        sent,
        replied,
        promised,
        paid,
    };
    assert_eq!(
        report.cycle_weeks,
        vec![
            week("2026-04-27", 2, 1, 1, 1),
            week("2026-05-04", 1, 0, 0, 0)
        ]
    );
    let json = report.to_json();
    assert_eq!(json["cycle_weeks"][0]["paid"], 1);
    assert_eq!(json["total"]["texts_sent"], 0);
    assert!(report.to_text().contains("Per cycle and week sent"));
}

/// Each planned reminder's customer, To and Cc, in the plan's order.
fn addressed(plan: &owed::engage::plan::Plan) -> Vec<(&str, &str, Vec<&str>)> {
    plan.entries
        .iter()
        .map(|e| {
            (
                e.customer_id.as_str(),
                e.to.as_str(),
                e.cc.iter().map(String::as_str).collect(),
            )
        })
        .collect()
}

/// `portfolio` with the shipped cycle `cycle` (a file of `config/cycles/`) and the shipped
/// templates.
fn shipped(portfolio: Portfolio, cycle: &str) -> World {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/cycles");
    let read = |path: &Path| std::fs::read_to_string(path).unwrap();
    let mut files = vec![(cycle.to_string(), read(&dir.join(cycle)))];
    for template in std::fs::read_dir(dir.join("templates")).unwrap() {
        let path = template.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        files.push((format!("templates/{name}"), read(&path)));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    World::new(portfolio, TEMPLATE, &files, &CustomFields::default())
}

/// The shipped promise reminder states the promise in the currency it was made in: a yen
/// customer who promised 100,000 JPY and had paid 40,000 of it was told "As agreed, 393.00
/// USD is due" (the rest, in the base currency). It is told the 60,000 JPY still to come.
#[test]
fn the_shipped_promise_reminder_states_the_promise_in_its_own_currency() {
    let customers = "id,name,email,currency\nJ,Yen KK,ap@yen.example,JPY\n";
    let docs = "id,customer_id,type,number,doc_date,due_date,amount
JI1,J,invoice,JP-1,2026-02-10,2026-03-12,150000
";
    let rates = "date,currency,rate\n2026-01-01,JPY,0.0067\n2026-04-01,JPY,0.00655\n";
    let files = Portfolio::new()
        .file("exchange_rates.csv", rates)
        .file("customers.csv", customers)
        .file("documents.csv", docs);
    let mut w = shipped(files.clone(), "promise-reminder.toml");
    fixture::promise(
        &mut w.store,
        "2026-04-30",
        "J",
        "100000",
        "2026-05-10",
        &["JI1"],
    );
    w.import(
        files
            .file(
                "payments.csv",
                "id,customer_id,date,amount\nJP2,J,2026-05-02,40000\n",
            )
            .file(
                "applications.csv",
                "source_id,document_id,amount,date\nJP2,JI1,40000,2026-05-02\n",
            ),
    );
    let plan = w.plan(day("2026-05-09"));
    assert_eq!(plan.entries.len(), 1, "{:?}", plan.skipped);
    let settings = fixture::send_settings(day("2026-05-09"), 2);
    let mail = outbox::preview(&w.cycles, &plan.entries[0], &settings).unwrap();
    assert_eq!(
        mail.subject,
        "Your payment of 60,000 JPY is due 2026-05-10 (Yen KK)"
    );
    assert!(
        mail.text
            .contains("As agreed, 60,000 JPY is due on 2026-05-10."),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains("We have received 40,000 JPY of the 100,000 JPY promised"),
        "{}",
        mail.text
    );
    assert!(!mail.text.contains("USD"), "{}", mail.text);
}

/// A customer billed in two currencies is told what it owes in each, as its statement says
/// it: the shipped Friendly reminder said "Total open: 670.00 USD" to a customer billed in
/// euros and pounds, and "Total: 720.00 USD" (its euros at January's rate) to one billed in
/// dollars and euros.
#[test]
fn the_shipped_reminders_total_two_currencies_per_currency() {
    let customers = "id,name,email,currency
E1,Euro AG,ap@euro.example,EUR
U1,US Inc,ap@us.example,USD
";
    let docs = "id,customer_id,type,number,doc_date,due_date,amount,currency
EI1,E1,invoice,RE-1,2026-03-20,2026-04-19,500.00,EUR
EG1,E1,invoice,RE-G1,2026-03-20,2026-04-19,100.00,GBP
UI1,U1,invoice,US-1,2026-04-01,2026-04-20,500.00,USD
UI2,U1,invoice,US-2,2026-01-20,2026-04-19,200.00,EUR
";
    let rates = "date,currency,rate\n2026-01-01,EUR,1.10\n2026-01-01,GBP,1.20\n";
    let w = shipped(
        Portfolio::new()
            .file("exchange_rates.csv", rates)
            .file("customers.csv", customers)
            .file("documents.csv", docs),
        "standard.toml",
    );
    let plan = w.plan(day("2026-04-30"));
    let settings = fixture::send_settings(day("2026-04-30"), 2);
    let mails: Vec<_> = plan
        .entries
        .iter()
        .map(|e| {
            assert_eq!(e.reminder, "Friendly");
            let mail = outbox::preview(&w.cycles, e, &settings).unwrap();
            (e.customer_id.as_str(), mail)
        })
        .collect();
    assert_eq!(mails.len(), 2, "{:?}", plan.skipped);
    for (customer, total) in [
        ("E1", "500.00 EUR + 100.00 GBP"),
        ("U1", "200.00 EUR + 500.00 USD"),
    ] {
        let (_, mail) = mails.iter().find(|(c, _)| *c == customer).unwrap();
        let html = mail.html.as_deref().unwrap();
        assert!(
            mail.text.contains(&format!("Total open: {total}\n")),
            "{}",
            mail.text
        );
        assert!(
            html.contains(&format!("Total open: <b>{total}</b>")),
            "{html}"
        );
        assert!(!mail.text.contains("670.00") && !mail.text.contains("720.00"));
    }
}
