//! The engagement plan's rules (furthest reminder, disputes, promise pause, already sent,
//! holds, skipped addresses) and the outbox's semantics on failures, through the library with
//! a scripted mailer.

mod fixture;

use fixture::{Portfolio, entry};
use lettre::Message;
use owed::domain::aging::AgingBounds;
use owed::domain::date::day_number;
use owed::domain::rules::Value;
use owed::domain::{Date, Decimal};
use owed::engage::PlanEntry;
use owed::engage::facts::{Facts, Needs, parse_custom};
use owed::engage::outbox::{self, Mailer, SendError, SendSettings};
use owed::report::Portfolio as Figures;
use owed::report::metrics::Metrics;
use owed::store::activity::CustomerFlags;
use owed::store::engage::Release;
use std::collections::VecDeque;
use std::path::Path;

/// Dunning of overdue customers' invoices and debit notes: Friendly at 3 days, Firm at 30.
const DUNNING: &str = include_str!("fixture/cycles/dunning.toml");

/// A reminder to update the card of a customer on automatic collection whose last attempt
/// failed.
const CARDS: &str = include_str!("fixture/cycles/cards.toml");

fn day(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd_opt(y, m, d).unwrap()
}

/// The engagement plan tests' one template.
const TEMPLATE: &str =
    "{{ reminder }} for {{ customer.name }}\n\n{{ table }}\nTotal {{ totals.balance }}\n";

type World = fixture::Engagement;

impl World {
    /// The fixture's engagement portfolio with `cycle_files`.
    fn of(cycle_files: &[(&str, &str)]) -> World {
        World::with(Portfolio::engagement(), cycle_files)
    }

    /// `portfolio` imported, with `cycle_files`.
    fn with(portfolio: Portfolio, cycle_files: &[(&str, &str)]) -> World {
        World::new(portfolio, TEMPLATE, cycle_files, &Default::default())
    }

    fn customers(&self, as_of: Date) -> Vec<String> {
        self.entries(as_of).into_iter().map(|e| e.2).collect()
    }

    fn is_paused(&self, as_of: Date, customer: &str) -> bool {
        let cid = self.store.ledger().customer_key(customer).unwrap().unwrap();
        self.plan(as_of).paused.contains_key(&cid)
    }

    /// A customer-level amount field as the rules read it.
    fn customer_amount(&self, as_of: Date, customer: &str, field: &str) -> Decimal {
        let facts = Facts::gather(&self.store, as_of, &Needs::all(), "USD", 3).unwrap();
        let c = self.store.engagement().customer(customer).unwrap().unwrap();
        match facts.customer_value(&c, &parse_custom(None), field) {
            Value::Amount(a) => a,
            other => panic!("{field} of {customer}: {other:?}"),
        }
    }

    /// A customer's queue flags.
    fn flags(&self, as_of: Date, customer: &str) -> CustomerFlags {
        let cid = self.store.ledger().customer_key(customer).unwrap().unwrap();
        self.store
            .activity()
            .customer_flags(cid, as_of, 3, "USD")
            .unwrap()
    }

    /// The metrics bar as of `as_of`.
    fn metrics(&self, as_of: Date) -> Metrics {
        let p = Figures::compute(&self.store, as_of, None, &AgingBounds::default(), "USD").unwrap();
        Metrics::compute(&self.store, &p, 3).unwrap()
    }

    fn send_all(&mut self, as_of: Date, mailer: &mut FakeMailer) -> outbox::RunReport {
        self.send(as_of, mailer, 3)
    }

    /// Sends `entries`, a plan made earlier, as of `as_of` through a mailer that delivers
    /// every message.
    fn send_planned(
        &mut self,
        entries: &[PlanEntry],
        as_of: Date,
    ) -> (outbox::RunReport, FakeMailer) {
        let (mut mailer, settings) = (FakeMailer::default(), settings(as_of));
        let report = outbox::run(
            &mut self.store,
            &self.cycles,
            entries,
            &mut mailer,
            &settings,
        );
        (report.unwrap(), mailer)
    }
}

fn settings(as_of: Date) -> SendSettings {
    fixture::send_settings(as_of, 3)
}

/// A cycle of one reminder, due at once, for the customers `rule` selects.
fn customer_cycle(name: &str, rule: &str) -> String {
    format!(
        "name = \"{name}\"\ncustomer = \"{rule}\"\n[[reminder]]\nname = \"Now\"\n\
         after_due_days = 0\ntemplate = \"templates/t.md\"\n"
    )
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// A mailer that answers from a script (then succeeds) and keeps what it delivered.
#[derive(Default)]
struct FakeMailer {
    script: VecDeque<Result<(), SendError>>,
    delivered: Vec<Message>,
    attempts: usize,
    connect_fails: bool,
    /// A stop signal raised once this many messages were delivered.
    stop_after: Option<usize>,
}

impl Mailer for FakeMailer {
    fn connect(&mut self) -> Result<(), SendError> {
        if self.connect_fails {
            Err(SendError::Unreachable(
                "cannot reach the SMTP server".into(),
            ))
        } else {
            Ok(())
        }
    }

    fn send(&mut self, message: &Message) -> Result<(), SendError> {
        self.attempts += 1;
        let answer = self.script.pop_front().unwrap_or(Ok(()));
        if answer.is_ok() {
            self.delivered.push(message.clone());
        }
        answer
    }

    fn stop_requested(&self) -> Option<String> {
        self.stop_after
            .filter(|&n| self.delivered.len() >= n)
            .map(|_| "interrupted by SIGTERM".to_string())
    }
}

/// The server's answer that refuses a message for good.
fn refused_for_good() -> Result<(), SendError> {
    Err(SendError::Refused {
        transient: false,
        message: "550 no such mailbox".into(),
    })
}

/// The connection broken after the message was handed over: its fate unknown.
fn lost_after_handing_over() -> Result<(), SendError> {
    Err(SendError::Unknown("connection reset".into()))
}

fn status_counts(db: &Path) -> (i64, i64, i64, i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    (
        count("SELECT count(*) FROM reminders WHERE status = 'sent'"),
        count("SELECT count(*) FROM reminders WHERE status = 'pending'"),
        count("SELECT count(*) FROM reminders WHERE status = 'failed'"),
        count("SELECT count(*) FROM reminder_documents"),
    )
}

#[test]
fn only_the_furthest_due_reminder_is_sent_and_customers_without_email_are_skipped() {
    let w = World::of(&[("dunning.toml", DUNNING)]);
    let plan = w.plan(day(2026, 4, 30));
    assert_eq!(
        w.entries(day(2026, 4, 30)),
        vec![
            // Sorted by cycle, reminder, customer: "Firm" < "Friendly".
            entry("Dunning", "Firm", "C1", &["I1"]),
            entry("Dunning", "Friendly", "C2", &["I2", "I3"]),
            entry("Dunning", "Friendly", "C3", &["I4"]),
            entry("Dunning", "Friendly", "C5", &["I6"]),
        ]
    );
    assert_eq!(plan.skipped.len(), 1);
    assert_eq!(plan.skipped[0].customer_id, "C4");
    assert_eq!(plan.skipped[0].reason, "no email address");
    // Before the first reminder is due nothing is planned: I2 and I3 are 1 and -1 days
    // overdue on 2026-04-26.
    assert!(!w.customers(day(2026, 4, 26)).contains(&"C2".to_string()));
    let json: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
    assert_eq!(
        json[1],
        serde_json::json!({"cycle": "Dunning", "reminder": "Friendly", "customer_id": "C2",
                            "document_ids": ["I2", "I3"], "to": "b@beta.example",
                            "owner": "bob"})
    );
}

#[test]
fn sent_documents_are_not_planned_again_and_earlier_reminders_count_as_passed() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let mut mailer = FakeMailer::default();
    let report = w.send_all(day(2026, 4, 30), &mut mailer);
    assert_eq!(report.sent.len(), 4);
    assert_eq!(mailer.delivered.len(), 4);
    // A rerun the same day plans nothing.
    assert!(w.entries(day(2026, 4, 30)).is_empty());
    // The next day: C1 had "Firm"; "Friendly" does not come back.
    assert!(w.entries(day(2026, 5, 1)).is_empty());
    // A month later C2's documents are 35 and 33 days overdue: "Firm" for both.
    // A new invoice of C2 joins the reminder it has not had.
    w.import(
        Portfolio::engagement().with_document("I8,C2,invoice,2026-03-29,2026-04-28,10.00,USD"),
    );
    let later = w.entries(day(2026, 5, 30));
    assert!(
        later.contains(&entry("Dunning", "Firm", "C2", &["I2", "I3", "I8"])),
        "{later:?}"
    );
    assert!(!later.iter().any(|e| e.2 == "C1"), "{later:?}");
}

/// A cycle renamed by case only, or saved again by an editor that decomposes its accents,
/// is the cycle that sent: neither its plan nor a claim of the old plan sends again.
#[test]
fn a_cycle_or_reminder_renamed_by_case_or_accent_encoding_sends_nothing_again() {
    let composed = DUNNING
        .replace("\"Dunning\"", "\"Relanc\u{e9}\"")
        .replace("\"Firm\"", "\"Ferm\u{e9}\"");
    let mut w = World::of(&[("dunning.toml", &composed)]);
    let mut mailer = FakeMailer::default();
    let before = w.plan(day(2026, 4, 30));
    assert_eq!(w.send_all(day(2026, 4, 30), &mut mailer).sent.len(), 4);
    let renamed = DUNNING
        .replace("\"Dunning\"", "\" RELANCE\u{301}\"")
        .replace("\"Firm\"", "\"FERME\u{301}\"")
        .replace("\"Friendly\"", "\"friendly\"");
    let other = World::of(&[("dunning.toml", &renamed)]);
    w.cycles = other.cycles;
    assert!(w.entries(day(2026, 4, 30)).is_empty());
    assert!(w.entries(day(2026, 5, 1)).is_empty());
    // Nor does a plan made under the old names claim again under the new ones.
    let mut again = before.entries.clone();
    for e in &mut again {
        e.cycle = w.cycles.cycles[0].name.clone();
        e.reminder = w.cycles.cycles[0].reminders[e.reminder_index].name.clone();
    }
    let report = outbox::run(
        &mut w.store,
        &w.cycles,
        &again,
        &mut mailer,
        &settings(day(2026, 5, 1)),
    )
    .unwrap();
    assert!(report.sent.is_empty(), "{:?}", report.sent);
    assert_eq!(mailer.delivered.len(), 4);
    // A new invoice of C1 gets the firm reminder under its new spelling; the engagement
    // report counts both spellings as one reminder (it showed two rows that looked alike).
    w.import(
        Portfolio::engagement().with_document("I9,C1,invoice,2026-02-20,2026-03-22,50.00,USD"),
    );
    assert_eq!(w.send_all(day(2026, 5, 1), &mut mailer).sent.len(), 1);
    let engagement =
        owed::engage::report::EngagementReport::compute(&w.store, day(2026, 5, 1), "USD").unwrap();
    let rows: Vec<(String, u64)> = engagement
        .reminders
        .iter()
        .map(|r| (owed::domain::text::name_key(&r.reminder), r.sent))
        .collect();
    assert_eq!(
        rows,
        [("ferm\u{e9}".to_string(), 2), ("friendly".to_string(), 3)]
    );
}

/// Opens the database again (bringing its schema up to date) and renames the cycle and its
/// reminder by case: what was sent must still be found.
fn reopened_with_the_cycle_renamed_by_case(w: &mut World) {
    w.store = owed::store::Store::open_existing(&w.db).unwrap();
    let renamed = DUNNING
        .replace("\"Dunning\"", "\"DUNNING\"")
        .replace("\"Firm\"", "\"FIRM\"");
    w.cycles = World::of(&[("dunning.toml", &renamed)]).cycles;
}

/// What a database sent before its records were keyed by name (schema 19) is found by the
/// key once it is opened: the renamed cycle sends nothing again.
#[test]
fn what_was_sent_before_the_name_keys_is_found_by_them() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let mut mailer = FakeMailer::default();
    assert_eq!(w.send_all(day(2026, 4, 30), &mut mailer).sent.len(), 4);
    fixture::undo_schemas_20_to_23(&w.db);
    w.sql("PRAGMA user_version = 19;");
    reopened_with_the_cycle_renamed_by_case(&mut w);
    assert!(w.entries(day(2026, 5, 1)).is_empty());
}

#[test]
fn disputed_documents_leave_dunning_until_resolved() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    fixture::dispute(&mut w.store, "2026-04-20", "C3", "100", &["I4"]);
    fixture::dispute(&mut w.store, "2026-04-20", "C2", "1", &["I2"]);
    let s = w.entries(day(2026, 4, 30));
    assert!(!s.iter().any(|e| e.2 == "C3"), "{s:?}");
    // C2 keeps its undisputed invoice only.
    assert!(
        s.contains(&entry("Dunning", "Friendly", "C2", &["I3"])),
        "{s:?}"
    );
    // A plan of a day before the issue was opened is sent now: it leaves I4 out too, as it
    // leaves out what was paid since (it emailed what the customer disputed meanwhile).
    assert!(!w.customers(day(2026, 4, 19)).contains(&"C3".to_string()));
    // Resolved on 2026-04-28: back in the plan from then on, and in that of the 19th.
    let stamp = fixture::stamp;
    owed::actions::resolve(&mut w.store, &stamp("2026-04-28"), "1", None).unwrap();
    assert!(w.customers(day(2026, 4, 30)).contains(&"C3".to_string()));
    assert!(w.customers(day(2026, 4, 19)).contains(&"C3".to_string()));
    // Reopened: out again.
    owed::actions::reopen(&mut w.store, &stamp("2026-04-29"), "1", None).unwrap();
    assert!(!w.customers(day(2026, 4, 30)).contains(&"C3".to_string()));
}

/// A document whose issue was resolved `written_off` or `valid` (billing owes a credit)
/// stays out of dunning until billing settles it: it went straight back into the plan.
/// Resolved `invalid` (chase the customer for it), it is chased again.
#[test]
fn documents_resolved_valid_or_written_off_stay_out_of_dunning() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    fixture::dispute(&mut w.store, "2026-04-20", "C3", "100", &["I4"]);
    fixture::dispute(&mut w.store, "2026-04-20", "C2", "1", &["I2"]);
    let stamp = fixture::stamp;
    let resolve = |w: &mut World, day: &str, issue: &str, outcome: &str| {
        owed::actions::resolve_with(&mut w.store, &stamp(day), issue, Some(outcome), None).unwrap();
    };
    resolve(&mut w, "2026-04-28", "1", "written_off");
    resolve(&mut w, "2026-04-28", "2", "valid");
    let s = w.entries(day(2026, 4, 30));
    assert!(!s.iter().any(|e| e.2 == "C3"), "{s:?}");
    assert!(
        s.contains(&entry("Dunning", "Friendly", "C2", &["I3"])),
        "{s:?}"
    );
    // Reopened and resolved invalid: the customer is chased for it again.
    owed::actions::reopen(&mut w.store, &stamp("2026-04-29"), "1", None).unwrap();
    resolve(&mut w, "2026-04-29", "1", "invalid");
    assert!(w.customers(day(2026, 4, 30)).contains(&"C3".to_string()));
}

/// A reminder left out because its documents are held after a dispute resolved
/// `written_off` or `valid` is listed with the skipped (`held_after_dispute`), saying why
/// in words, in the plan's text and JSON: the plan dropped it without a word. A customer
/// whose only open document is held is not counted held back or paused; one resolved
/// `invalid` is chased and listed nowhere.
#[test]
fn a_reminder_left_out_for_a_held_document_says_why() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    fixture::dispute(&mut w.store, "2026-04-20", "C3", "100", &["I4"]);
    fixture::dispute(&mut w.store, "2026-04-20", "C2", "1", &["I2"]);
    let stamp = fixture::stamp;
    owed::actions::resolve_with(
        &mut w.store,
        &stamp("2026-04-28"),
        "1",
        Some("written_off"),
        Some("\u{1b}[2Jconceded"),
    )
    .unwrap();
    owed::actions::resolve_with(
        &mut w.store,
        &stamp("2026-04-28"),
        "2",
        Some("invalid"),
        None,
    )
    .unwrap();
    let plan = w.plan(day(2026, 4, 30));
    assert!(!plan.entries.iter().any(|e| e.customer_id == "C3"));
    let held: Vec<_> = plan
        .skipped
        .iter()
        .filter(|s| s.code.code() == "held_after_dispute")
        .collect();
    assert_eq!(held.len(), 1, "{:?}", plan.skipped);
    let s = held[0];
    assert_eq!(
        (s.cycle.as_str(), s.customer_id.as_str()),
        ("Dunning", "C3")
    );
    assert_eq!(s.entry.document_ids(), vec!["I4"]);
    assert_eq!(
        s.reason,
        "I4 held: dispute 1 resolved written off on 2026-04-28, until billing settles it"
    );
    assert!(plan.held.is_empty() && plan.paused.is_empty());
    // Nor does a reminder by hand chase it (it did: a reminder of a written-off invoice).
    let t = owed::engage::manual::templates(&mut w.cycles).unwrap()[0].clone();
    let by_hand = owed::engage::manual::entry_for(&w.store, "C3", &t, day(2026, 4, 30), "USD");
    assert_eq!(
        by_hand.unwrap_err().to_string(),
        "C3 has no open document to remind about that is not disputed or held after a dispute"
    );
    let json: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
    let skipped: Vec<&serde_json::Value> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["reason"] == "held_after_dispute")
        .collect();
    assert_eq!(skipped.len(), 1, "{json}");
    assert_eq!(skipped[0]["customer_id"], "C3");
    assert_eq!(skipped[0]["document_ids"], serde_json::json!(["I4"]));
    assert_eq!(skipped[0]["skipped"], true);
    assert_eq!(skipped[0]["detail"], s.reason.as_str());
    // Resolved invalid: I2 is chased again, nothing says held.
    assert!(!plan.skipped.iter().any(|s| s.customer_id == "C2"));
    // Reopened: disputed again, no longer listed as held.
    owed::actions::reopen(&mut w.store, &stamp("2026-04-29"), "1", None).unwrap();
    let plan = w.plan(day(2026, 4, 30));
    assert!(
        !plan.skipped.iter().any(|s| s.customer_id == "C3"),
        "{:?}",
        plan.skipped
    );
}

#[test]
fn an_open_promise_pauses_the_customer_until_its_date() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    fixture::promise(&mut w.store, "2026-04-28", "C2", "500", "2026-05-05", &[]);
    let plan = w.plan(day(2026, 4, 30));
    assert!(!plan.entries.iter().any(|e| e.customer_id == "C2"));
    assert_eq!(plan.paused.len(), 1);
    // On the promised date still paused; the day after, it has passed.
    assert!(!w.customers(day(2026, 5, 5)).contains(&"C2".to_string()));
    assert!(w.customers(day(2026, 5, 6)).contains(&"C2".to_string()));
    // A voided promise pauses nothing.
    let stamp = fixture::stamp("2026-04-29");
    owed::actions::void_promise(&mut w.store, &stamp, "1", None).unwrap();
    assert!(w.customers(day(2026, 4, 30)).contains(&"C2".to_string()));
}

#[test]
fn a_kept_promise_no_longer_pauses() {
    // C2 promised 300 by 2026-05-05, and 300 were applied to its documents on 2026-04-29.
    let paid = Portfolio::engagement()
        .with_payment("P99,C2,2026-04-29,300.00,USD,success,bank_transfer")
        .file(
            "applications.csv",
            "source_id,document_id,amount,date\nP99,I2,300.00,2026-04-29\n",
        );
    let mut w = World::with(paid, &[("dunning.toml", DUNNING)]);
    fixture::promise(&mut w.store, "2026-04-28", "C2", "300", "2026-05-05", &[]);
    let s = w.entries(day(2026, 4, 30));
    assert!(
        s.contains(&entry("Dunning", "Friendly", "C2", &["I3"])),
        "{s:?}"
    );
}

#[test]
fn a_hold_keeps_a_customer_out_until_its_last_day() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let cid = w.store.ledger().customer_key("C5").unwrap().unwrap();
    w.store
        .engagement_mut()
        .hold_customer(
            &fixture::stamp("2026-04-30"),
            cid,
            day(2026, 5, 2),
            Some("on holiday"),
        )
        .unwrap();
    let plan = w.plan(day(2026, 4, 30));
    assert!(!plan.entries.iter().any(|e| e.customer_id == "C5"));
    assert_eq!(plan.held.get(&cid), Some(&day(2026, 5, 2)));
    assert!(!w.customers(day(2026, 5, 2)).contains(&"C5".to_string()));
    assert!(w.customers(day(2026, 5, 3)).contains(&"C5".to_string()));
    // Placed on 30 April, it holds nothing back before: the plan of the 29th has C5.
    assert!(w.customers(day(2026, 4, 29)).contains(&"C5".to_string()));
    // A later hold until a past date releases it.
    w.store
        .engagement_mut()
        .hold_customer(&fixture::stamp("2026-04-30"), cid, day(2026, 4, 1), None)
        .unwrap();
    assert!(w.customers(day(2026, 4, 30)).contains(&"C5".to_string()));
}

/// A run of an earlier day (`--as-of`) sends now: a document disputed since its date is not
/// chased, as one paid since is not. (It was emailed: the dispute was not open "as of" the
/// run's date.)
#[test]
fn a_back_dated_run_does_not_chase_what_was_disputed_since() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let as_of = day(2026, 4, 30);
    let plan = w.plan(as_of);
    fixture::dispute(&mut w.store, "2026-05-03", "C3", "1000", &["I4"]);
    fixture::dispute(&mut w.store, "2026-05-03", "C2", "300", &["I2"]);
    let (report, _) = w.send_planned(&plan.entries, as_of);
    let withdrawn: Vec<_> = report.withdrawn.iter().map(|u| &u.customer_id).collect();
    assert_eq!(withdrawn, ["C3"]);
    let c2 = report.sent.iter().find(|s| s.customer_id == "C2").unwrap();
    assert_eq!(c2.documents, ["I3"]);
}

/// A pending reminder whose run recorded nothing may be in a live run's hands: released
/// then, the run delivered it and the next run sent it again (a customer got two "Update your
/// card" emails the same day). It is refused until the run's time for one message has
/// passed; one whose run recorded its unknown fate, or claimed long enough ago (the run was
/// killed), is released.
#[test]
fn a_reminder_a_run_may_be_sending_is_not_released() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let mut mailer = FakeMailer::default();
    assert_eq!(w.send_all(day(2026, 4, 30), &mut mailer).sent.len(), 4);
    // As a run leaves its reminder between the claim and the record: pending, no error.
    w.sql("UPDATE reminders SET status = 'pending', error = NULL WHERE id = 1");
    let window = owed::domain::engage::in_flight_window(30, 4);
    assert_eq!(window.num_minutes(), 10);
    let mut release = |now| {
        w.store
            .engagement_mut()
            .release_pending_reminder(&fixture::stamp("2026-04-30"), 1, now, window)
            .unwrap()
    };
    let now = chrono::Utc::now();
    assert!(matches!(release(now), Release::MaybeInFlight { .. }));
    assert!(matches!(
        release(now + chrono::Duration::minutes(9)),
        Release::MaybeInFlight { .. }
    ));
    assert_eq!(
        release(now + chrono::Duration::minutes(11)),
        Release::Released
    );
    // A long SMTP timeout lengthens the window: 4 tries of 5 minutes and a minute.
    assert_eq!(
        owed::domain::engage::in_flight_window(300, 4).num_minutes(),
        21
    );
}

/// A run sends what is due when each reminder's turn comes, not what was due when it began:
/// a payment, dispute, hold or promise recorded meanwhile (an import, a collector in the
/// workstation; a run of many reminders takes minutes) withdraws the reminder, and a
/// document paid in part is asked for what is open now. (Every planned reminder went out,
/// from the plan's snapshot.)
#[test]
fn what_changed_since_the_run_began_withdraws_its_reminders() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let as_of = day(2026, 4, 30);
    let plan = w.plan(as_of);
    let planned: Vec<_> = plan.entries.iter().map(|e| e.customer_id.clone()).collect();
    assert_eq!(planned, ["C1", "C2", "C3", "C5"]);
    // Meanwhile: C1 promises, C2 disputes I2 and pays 50 of I3, C3 pays I4 whole, C5 is held.
    fixture::promise(&mut w.store, "2026-04-30", "C1", "500", "2026-05-08", &[]);
    fixture::dispute(&mut w.store, "2026-04-30", "C2", "300", &["I2"]);
    w.import(
        Portfolio::engagement()
            .with_payment("P98,C3,2026-04-30,1000.00,USD,success,bank_transfer")
            .with_payment("P99,C2,2026-04-30,50.00,USD,success,bank_transfer")
            .file(
                "applications.csv",
                "source_id,document_id,amount,date\n\
                 P98,I4,1000.00,2026-04-30\nP99,I3,50.00,2026-04-30\n",
            ),
    );
    fixture::hold(&mut w.store, "2026-04-30", "C5", "2026-05-09", None);

    let (report, mailer) = w.send_planned(&plan.entries, as_of);
    assert_eq!(
        withdrawn(&report),
        [
            ("C1", "promised to pay by 2026-05-08 since the run began"),
            ("C3", "I4 paid or disputed since the run began"),
            (
                "C5",
                "held back from engagement until 2026-05-09 since the run began"
            ),
        ]
    );
    // C2 is reminded of I3 alone, for the 150.00 still open.
    assert_eq!(report.sent.len(), 1);
    assert_eq!(report.sent[0].customer_id, "C2");
    assert_eq!(report.sent[0].documents, ["I3"]);
    assert_eq!(mailer.delivered.len(), 1);
    let body = String::from_utf8_lossy(&mailer.delivered[0].formatted()).into_owned();
    assert!(body.contains("Total 150.00"), "{body}");
    // Nothing was claimed for the withdrawn: (sent, pending, failed, claimed documents).
    assert_eq!(status_counts(&w.db), (1, 0, 0, 1));
}

/// A plan of an earlier date (`--as-of`) is sent now: a customer held back today, or who
/// promised today to pay by a date to come, gets nothing from it, as a document disputed
/// today is not chased. Placed today, neither was in force at the plan's date: the plan of
/// 30 April reminded both.
#[test]
fn an_earlier_dates_plan_leaves_out_who_is_held_or_promised_today() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let as_of = day(2026, 4, 30);
    let today = chrono::Local::now().date_naive();
    let (until, promised) = (today + chrono::Days::new(7), today + chrono::Days::new(5));
    let c5 = w.store.ledger().customer_key("C5").unwrap().unwrap();
    let c1 = w.store.ledger().customer_key("C1").unwrap().unwrap();
    let stamp = fixture::stamp(&today.to_string());
    w.store
        .engagement_mut()
        .hold_customer(&stamp, c5, until, Some("held"))
        .unwrap();
    fixture::promise(
        &mut w.store,
        &today.to_string(),
        "C1",
        "500",
        &promised.to_string(),
        &[],
    );
    let plan = w.plan(as_of);
    let planned: Vec<_> = plan
        .entries
        .iter()
        .map(|e| e.customer_id.as_str())
        .collect();
    assert_eq!(planned, ["C2", "C3"]);
    assert_eq!(plan.held.get(&c5), Some(&until));
    assert_eq!(plan.paused.get(&c1), Some(&promised));
    // The screen's Held pane lists the hold, with its reason.
    let holds = w
        .store
        .engagement()
        .holds_then_or_now(as_of, today)
        .unwrap();
    let held: Vec<_> = holds
        .iter()
        .map(|h| (h.customer_id.as_str(), h.until, h.text.as_deref()))
        .collect();
    assert_eq!(held, [("C5", until, Some("held"))]);
    // The plan of today says the same; a hold placed today changes nothing the day before
    // when that day's plan is sent that day (no later today).
    assert!(!w.customers(today).contains(&"C5".to_string()));
    assert!(
        w.store
            .engagement()
            .holds_then_or_now(as_of, as_of)
            .unwrap()
            .is_empty()
    );
}

/// Sending a plan of an earlier date checks the holds and promises in force today too, just
/// before each claim: made before the hold and the promise, the plan of 30 April still had
/// C1 and C5, and both were reminded.
#[test]
fn sending_an_earlier_dates_plan_withdraws_who_is_held_or_promised_today() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let as_of = day(2026, 4, 30);
    let plan = w.plan(as_of);
    let today = day(2026, 5, 20);
    fixture::hold(&mut w.store, "2026-05-20", "C5", "2026-05-27", None);
    fixture::promise(&mut w.store, "2026-05-20", "C1", "500", "2026-05-25", &[]);
    let settings = SendSettings {
        clock: fixture::clock_on(today),
        ..settings(as_of)
    };
    let mut mailer = FakeMailer::default();
    let report = outbox::run(
        &mut w.store,
        &w.cycles,
        &plan.entries,
        &mut mailer,
        &settings,
    )
    .unwrap();
    assert_eq!(
        withdrawn(&report),
        [
            ("C1", "promised to pay by 2026-05-25 since the run began"),
            (
                "C5",
                "held back from engagement until 2026-05-27 since the run began"
            ),
        ]
    );
    let sent: Vec<_> = report.sent.iter().map(|s| s.customer_id.as_str()).collect();
    assert_eq!(sent, ["C2", "C3"]);
}

#[test]
fn payment_rules_read_the_latest_attempt() {
    let mut w = World::of(&[("cards.toml", CARDS), ("dunning.toml", DUNNING)]);
    let s = w.entries(day(2026, 4, 30));
    let cards: Vec<_> = s.iter().filter(|e| e.0 == "Cards").collect();
    assert_eq!(cards, vec![&entry("Cards", "Update card", "C5", &["I6"])]);
    // One reminder a day: of equal priorities the first cycle by name, "Cards"; the dunning
    // reminder waits, skipped for priority.
    assert!(!s.contains(&entry("Dunning", "Friendly", "C5", &["I6"])));
    let skipped = w.plan(day(2026, 4, 30)).skipped;
    assert!(
        skipped.iter().any(|k| k.cycle == "Dunning"
            && k.customer_id == "C5"
            && k.code == owed::engage::plan::SkipReason::Priority),
        "{skipped:?}"
    );
    // A successful attempt afterwards: the card cycle lets go.
    w.import(Portfolio::engagement().with_payment("P2,C5,2026-04-20,0.10,USD,success,card"));
    assert!(!w.entries(day(2026, 4, 30)).iter().any(|e| e.0 == "Cards"));
}

#[test]
fn transient_failures_are_retried_and_refusals_release_the_documents() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let mut mailer = FakeMailer {
        script: VecDeque::from([
            // C1: two transient refusals, then delivered.
            Err(SendError::Refused {
                transient: true,
                message: "451 try later".into(),
            }),
            Err(SendError::Refused {
                transient: true,
                message: "451 try later".into(),
            }),
            Ok(()),
            // C2: refused for good.
            refused_for_good(),
            // C3: the connection broke after the message was handed over: the server is
            // lost, the run stops there (C5 is not claimed).
            lost_after_handing_over(),
        ]),
        ..FakeMailer::default()
    };
    let report = w.send_all(day(2026, 4, 30), &mut mailer);
    let sent: Vec<&str> = report.sent.iter().map(|s| s.customer_id.as_str()).collect();
    assert_eq!(sent, vec!["C1"]);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].customer_id, "C2");
    assert!(report.failed[0].error.contains("550"));
    assert_eq!(report.unknown.len(), 1);
    assert_eq!(report.unknown[0].customer_id, "C3");
    assert!(
        report
            .aborted
            .as_deref()
            .unwrap()
            .contains("connection reset"),
        "{:?}",
        report.aborted
    );
    assert_eq!(mailer.delivered.len(), 1);
    // sent C1; pending C3; failed C2 (its claims released); C5 never claimed.
    assert_eq!(status_counts(&w.db), (1, 1, 1, 2));
    // The next run plans C2 and C5 again, but never C3, whose delivery is unknown.
    assert_eq!(
        w.customers(day(2026, 4, 30)),
        vec!["C2".to_string(), "C5".to_string()]
    );
    // After a person released C3, it is planned again.
    let id = report.unknown[0].reminder_id.unwrap();
    let window = owed::domain::engage::in_flight_window(30, 4);
    let mut release = |id, now| {
        w.store
            .engagement_mut()
            .release_pending_reminder(&fixture::stamp("2026-04-30"), id, now, window)
            .unwrap()
    };
    let now = chrono::Utc::now();
    assert_eq!(release(id, now), Release::Released);
    assert_eq!(release(id, now), Release::NotPending);
    assert_eq!(
        w.customers(day(2026, 4, 30)),
        vec!["C2".to_string(), "C3".to_string(), "C5".to_string()]
    );
}

/// A run dated in the past (`--as-of`) shows its failed and pending reminders in the
/// customer's activity as of that date, as it shows those it sent: all of the run's day.
#[test]
fn a_back_dated_runs_failed_and_pending_reminders_are_in_the_activity_of_its_day() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let mut mailer = FakeMailer {
        script: VecDeque::from([Ok(()), refused_for_good(), lost_after_handing_over()]),
        ..FakeMailer::default()
    };
    w.send_all(day(2026, 4, 30), &mut mailer);
    assert_eq!(status_counts(&w.db), (1, 1, 1, 2));
    for (customer, status) in [("C1", "sent"), ("C2", "failed"), ("C3", "pending")] {
        let cid = w.store.ledger().customer_key(customer).unwrap().unwrap();
        let statuses = |as_of: Date| -> Vec<String> {
            let timeline = w.store.activity().timeline(cid, as_of, 3, "USD").unwrap();
            timeline
                .entries
                .iter()
                .filter_map(|e| match e {
                    owed::store::activity::Entry::Reminder(r) => Some(r.status.clone()),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(statuses(day(2026, 4, 30)), [status], "{customer}");
        assert!(statuses(day(2026, 4, 29)).is_empty(), "{customer}");
    }
}

#[test]
fn a_fatal_failure_is_never_retried_and_stops_the_run() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let mut mailer = FakeMailer {
        script: VecDeque::from([
            Ok(()),
            Err(SendError::Fatal(
                "the SMTP server timed out: no answer to MAIL FROM within 1 s".into(),
            )),
        ]),
        ..FakeMailer::default()
    };
    let report = w.send_all(day(2026, 4, 30), &mut mailer);
    assert_eq!(mailer.attempts, 2, "the timeout was not retried");
    assert_eq!(report.sent.len(), 1);
    assert!(report.aborted.as_deref().unwrap().contains("timed out"));
    // One sent, the second released; the others were never claimed.
    assert_eq!(status_counts(&w.db), (1, 0, 1, 1));
    assert_eq!(w.plan(day(2026, 4, 30)).entries.len(), 3);
}

#[test]
fn a_stop_signal_ends_the_run_before_the_next_claim() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let mut mailer = FakeMailer {
        stop_after: Some(2),
        ..FakeMailer::default()
    };
    let report = w.send_all(day(2026, 4, 30), &mut mailer);
    assert_eq!(report.sent.len(), 2);
    assert_eq!(report.aborted.as_deref(), Some("interrupted by SIGTERM"));
    // Nothing claimed after the signal: no pending row strands a reminder.
    assert_eq!(status_counts(&w.db).1, 0);
    assert_eq!(w.plan(day(2026, 4, 30)).entries.len(), 2);
}

#[test]
fn an_unreachable_server_claims_nothing() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let mut mailer = FakeMailer {
        connect_fails: true,
        ..FakeMailer::default()
    };
    let plan = w.plan(day(2026, 4, 30));
    let e = outbox::run(
        &mut w.store,
        &w.cycles,
        &plan.entries,
        &mut mailer,
        &settings(day(2026, 4, 30)),
    )
    .unwrap_err();
    assert_eq!(e.exit_code(), 1);
    assert!(e.to_string().contains("nothing was sent"), "{e}");
    assert_eq!(status_counts(&w.db), (0, 0, 0, 0));
    assert_eq!(mailer.attempts, 0);
}

#[test]
fn a_server_lost_mid_run_stops_the_run_and_releases_the_current_reminder() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let down = || {
        Err(SendError::Unreachable(
            "cannot reach the SMTP server: connection refused".into(),
        ))
    };
    let mut mailer = FakeMailer {
        script: VecDeque::from([Ok(()), down(), down(), down()]),
        ..FakeMailer::default()
    };
    let report = w.send_all(day(2026, 4, 30), &mut mailer);
    assert_eq!(report.sent.len(), 1);
    assert!(report.aborted.is_some());
    // One sent, the second released; the others were never claimed.
    assert_eq!(status_counts(&w.db), (1, 0, 1, 1));
    assert_eq!(w.plan(day(2026, 4, 30)).entries.len(), 3);
}

#[test]
fn the_engagement_report_counts_what_followed_each_reminder_as_of_a_date() {
    use owed::engage::report::EngagementReport;
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let mut mailer = FakeMailer::default();
    assert_eq!(w.send_all(day(2026, 4, 30), &mut mailer).sent.len(), 4);
    let d = |y, m, dd| day_number(day(y, m, dd));
    w.sql(&format!(
        "INSERT INTO replies (cid, at, received_date, message_id, from_addr, subject, body)
           SELECT cid, 'x', {reply}, '<r@x>', 'b@beta.example', 'Re', 'ok' FROM customers WHERE id = 'C2';
         INSERT INTO replies (cid, at, received_date, message_id, from_addr, subject, body)
           SELECT cid, 'x', {late}, '<late@x>', 'g@gamma.example', 'Re', 'late' FROM customers WHERE id = 'C3';",
        reply = d(2026, 5, 2),
        late = d(2026, 5, 12),
    ));
    fixture::promise(&mut w.store, "2026-05-01", "C3", "1000", "2026-05-15", &[]);
    let paid = Portfolio::engagement()
        .with_payment("P90,C1,2026-05-05,500.00,USD,success,bank_transfer")
        .with_payment("P91,C5,2026-05-10,100.00,USD,success,bank_transfer")
        .file(
            "applications.csv",
            "source_id,document_id,amount,date\nP90,I1,500.00,2026-05-05\nP91,I6,100.00,2026-05-10\n",
        );
    w.import(paid);
    let r = EngagementReport::compute(&w.store, day(2026, 5, 20), "USD").unwrap();
    let stats = |name: &str| {
        r.reminders
            .iter()
            .find(|s| s.reminder == name)
            .unwrap()
            .clone()
    };
    let firm = stats("Firm");
    assert_eq!(
        (firm.sent, firm.replied, firm.promised, firm.paid),
        (1, 0, 0, 1)
    );
    assert_eq!(firm.collected.to_string(), "500.00");
    let friendly = stats("Friendly");
    // C2 replied within 7 days; C3's reply came 12 days later; C3 promised the next day.
    assert_eq!(
        (
            friendly.sent,
            friendly.replied,
            friendly.promised,
            friendly.paid
        ),
        (3, 1, 1, 0)
    );
    assert_eq!(friendly.collected.to_string(), "100.00");
    assert_eq!(r.total.sent, 4);
    let json = r.to_json();
    assert_eq!(json["total"]["collected"], "600.00");
    let week = |start: Date| {
        r.weeks
            .iter()
            .find(|w| w.week_start == start)
            .copied()
            .unwrap()
    };
    let w1 = week(day(2026, 4, 27));
    assert_eq!((w1.emails_sent, w1.replies), (4, 1));
    assert_eq!(week(day(2026, 5, 11)).replies, 1);
    assert_eq!(r.weeks.len(), 13);
    assert_eq!(r.weeks.last().unwrap().week_start, day(2026, 5, 18));

    // As of 2026-05-01 nothing was paid or collected yet, and no reply had arrived.
    let early = EngagementReport::compute(&w.store, day(2026, 5, 1), "USD").unwrap();
    assert_eq!(early.total.paid, 0);
    assert_eq!(early.total.replied, 0);
    assert_eq!(early.total.promised, 1);
    assert!(early.total.collected.is_zero());
}

#[test]
fn a_manual_reminder_previews_and_sends_once_a_day() {
    use owed::engage::manual;
    use owed::engage::outbox::EntryOutcome;
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let templates = manual::templates(&mut w.cycles).unwrap();
    assert_eq!(templates.len(), 1);
    let t = templates[0].clone();
    let as_of = day(2026, 4, 30);
    let entry = manual::entry_for(&w.store, "C2", &t, as_of, "USD").unwrap();
    assert_eq!(entry.reminder, "t 2026-04-30");
    assert_eq!(entry.document_ids(), vec!["I2", "I3"]);
    let mail = manual::preview(&w.cycles, &t, &entry, &settings(as_of)).unwrap();
    assert_eq!(mail.subject, "t 2026-04-30 for Beta");
    assert!(
        mail.text.contains("I2") && mail.text.contains("Total 500.00"),
        "{}",
        mail.text
    );
    let mut mailer = FakeMailer::default();
    let send = |w: &mut World, entry: &PlanEntry, as_of: Date, mailer: &mut FakeMailer| {
        let settings = settings(as_of);
        manual::send(&mut w.store, &w.cycles, &t, entry, mailer, &settings)
    };
    let first = send(&mut w, &entry, as_of, &mut mailer);
    assert!(matches!(first.unwrap(), EntryOutcome::Sent(_)));
    let again = send(&mut w, &entry, as_of, &mut mailer);
    assert_eq!(again.unwrap(), EntryOutcome::AlreadyClaimed);
    assert_eq!(mailer.delivered.len(), 1);
    let tomorrow = manual::entry_for(&w.store, "C2", &t, day(2026, 5, 1), "USD").unwrap();
    let next = send(&mut w, &tomorrow, day(2026, 5, 1), &mut mailer);
    assert!(matches!(next.unwrap(), EntryOutcome::Sent(_)));
    // A manual reminder does not use up the cycle's reminders: they wait for the next day
    // without one (at most one reminder a day, by hand or of a cycle).
    assert!(!w.customers(as_of).contains(&"C2".to_string()));
    assert!(w.customers(day(2026, 5, 2)).contains(&"C2".to_string()));
    let e = manual::entry_for(&w.store, "C4", &t, as_of, "USD").unwrap_err();
    assert!(e.to_string().contains("no email address"), "{e}");
}

/// A cycle whose customer rule waits a week after an email (as the shipped Key accounts),
/// of a higher priority than the dunning.
const KEY: &str = "name = \"Key\"
priority = 20
customer = \"last_email_date < 7 days ago or last_email_date is empty\"
document = \"type includes [invoice, debit_note] and due_date < today\"
[[reminder]]
name = \"Escalation\"
after_due_days = 3
template = \"templates/t.md\"
";

/// A reminder sent by hand holds the customer back from the cycles for the days
/// `min_days_between` counts, and the plan lists every reminder it holds back, saying why:
/// the higher-priority one that would have gone too. Its cycle's rule read the email sent by
/// hand, and the plan (`engage plan --json`, `engage run`) had dropped it without a word,
/// listing only the lower-priority reminder it had skipped.
#[test]
fn a_reminder_sent_by_hand_leaves_the_reminder_it_stands_in_for_skipped_with_why() {
    use owed::engage::manual;
    use owed::engage::plan::SkipReason;
    let mut w = World::of(&[("dunning.toml", DUNNING), ("key.toml", KEY)]);
    w.min_days_between = 7;
    let as_of = day(2026, 4, 30);
    let skipped = |w: &World, as_of: Date| -> Vec<(String, String, SkipReason, String)> {
        let plan = w.plan(as_of);
        assert!(
            plan.entries.iter().all(|e| e.customer_id != "C2"),
            "{plan:?}"
        );
        plan.skipped
            .iter()
            .filter(|s| s.customer_id == "C2")
            .map(|s| {
                (
                    s.cycle.clone(),
                    s.reminder.clone(),
                    s.code,
                    s.reason.clone(),
                )
            })
            .collect()
    };
    // Before: Key's Escalation goes to Beta (C2), the dunning's Friendly is skipped for it.
    assert!(
        w.entries(as_of)
            .contains(&entry("Key", "Escalation", "C2", &["I2", "I3"]))
    );
    let plan = w.plan(as_of);
    let beta: Vec<_> = plan
        .skipped
        .iter()
        .filter(|s| s.customer_id == "C2")
        .collect();
    assert_eq!(beta.len(), 1);
    assert_eq!(beta[0].code, SkipReason::Priority);
    // The collector sends one by hand.
    let t = manual::templates(&mut w.cycles).unwrap()[0].clone();
    let by_hand = manual::entry_for(&w.store, "C2", &t, as_of, "USD").unwrap();
    let mut mailer = FakeMailer::default();
    manual::send(
        &mut w.store,
        &w.cycles,
        &t,
        &by_hand,
        &mut mailer,
        &settings(as_of),
    )
    .unwrap();
    assert_eq!(mailer.delivered.len(), 1);
    // Both cycles' reminders are held back, and say why, that day and while the days run.
    for as_of in [as_of, day(2026, 5, 6)] {
        let why = "a reminder was sent to C2 on 2026-04-30, fewer than min_days_between = 7 \
                   days ago";
        assert_eq!(
            skipped(&w, as_of),
            [
                ("Dunning", "Friendly", SkipReason::MinDaysBetween, why),
                ("Key", "Escalation", SkipReason::MinDaysBetween, why),
            ]
            .map(|(c, r, code, why)| (
                c.to_string(),
                r.to_string(),
                code,
                why.to_string()
            ))
        );
    }
    let json: serde_json::Value = serde_json::from_str(&w.plan(as_of).to_json()).unwrap();
    let key = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["cycle"] == "Key" && e["customer_id"] == "C2")
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(key["reason"], "min_days_between");
    assert_eq!(key["document_ids"], serde_json::json!(["I2", "I3"]));
    // Once the days have passed the rules read the email again: Key's own waits a week after
    // it, so the dunning goes on 7 May (and nothing went meanwhile).
    assert!(w.entries(day(2026, 5, 6)).iter().all(|e| e.2 != "C2"));
    assert!(w.entries(day(2026, 5, 7)).contains(&entry(
        "Dunning",
        "Friendly",
        "C2",
        &["I2", "I3"]
    )));
}

#[test]
fn a_manual_reminder_goes_to_the_primary_billing_contact_else_the_customer() {
    use owed::engage::manual;
    let contacts = "customer_id,name,email,phone,role,primary\n\
                    C2,Esme,esme@beta.example,,escalation,yes\n\
                    C2,Bo,bo@beta.example,,billing,no\n\
                    C2,Bill,bill@beta.example,,billing,yes\n\
                    C4,Dee,dee@delta.example,,billing,yes\n";
    let mut w = World::with(
        Portfolio::engagement().file("contacts.csv", contacts),
        &[("dunning.toml", DUNNING)],
    );
    let t = manual::templates(&mut w.cycles).unwrap()[0].clone();
    let as_of = day(2026, 4, 30);
    let beta = manual::entry_for(&w.store, "C2", &t, as_of, "USD").unwrap();
    assert_eq!((beta.to.as_str(), beta.cc.len()), ("bill@beta.example", 0));
    // Delta has no email of its own: its primary billing contact is enough.
    let delta = manual::entry_for(&w.store, "C4", &t, as_of, "USD");
    assert_eq!(
        delta.map(|e| e.to).ok().as_deref(),
        Some("dee@delta.example")
    );
    // Without contacts, the customer's own address.
    let acme = manual::entry_for(&w.store, "C1", &t, as_of, "USD").unwrap();
    assert_eq!(acme.to, "a@acme.example");
}

/// The actions' fixture: V1 and V3 in USD, V2 in EUR at 1.10 USD from April.
fn fixture_world(cycle_files: &[(&str, &str)]) -> World {
    World::with(Portfolio::actions(), cycle_files)
}

/// A document's `amount` and `balance` are its own currency's figures (I3's 800.00 EUR is
/// not over 850, nor its balance of 500.00 EUR over 520), `converted_amount` and
/// `converted_balance` the base currency's (864.00 and 540.00 USD are), as
/// docs/engagement.md says: SPEC lists both pairs.
#[test]
fn a_documents_amount_is_in_its_currency_and_its_converted_amount_in_the_base() {
    let cycle = |rule: &str| {
        let text = format!(
            "name = \"Big\"\ndocument = \"{rule}\"\n[[reminder]]\nname = \"Now\"\n\
             after_due_days = 0\ntemplate = \"templates/t.md\"\n"
        );
        fixture_world(&[("big.toml", &text)]).entries(day(2026, 4, 20))
    };
    let v1 = entry("Big", "Now", "V1", &["I1"]);
    let v2 = entry("Big", "Now", "V2", &["I3"]);
    for (field, over) in [("amount", 850), ("balance", 520)] {
        assert_eq!(
            cycle(&format!("{field} > {over}")),
            std::slice::from_ref(&v1)
        );
        assert_eq!(
            cycle(&format!("converted_{field} > {over}")),
            [v1.clone(), v2.clone()]
        );
    }
}

#[test]
fn a_eur_customers_open_issue_amount_is_compared_in_the_base_currency() {
    let issues = customer_cycle("Issues", "open_issue_amount > 105");
    let mut w = fixture_world(&[("issues.toml", &issues)]);
    // 100 EUR on I3 is 110 USD (over 105); V1's 100 USD is not.
    fixture::dispute(&mut w.store, "2026-04-15", "V2", "100", &["I3"]);
    fixture::dispute(&mut w.store, "2026-04-15", "V1", "100", &["I1"]);
    let as_of = day(2026, 4, 20);
    let issues = |customer| w.customer_amount(as_of, customer, "open_issue_amount");
    assert_eq!(issues("V2"), dec("110"));
    assert_eq!(issues("V1"), dec("100"));
    // The same figures as the metrics bar and the queue's flags.
    assert_eq!(w.metrics(as_of).headline.open_issue_amount, dec("210"));
    assert_eq!(w.flags(as_of, "V2").open_issue_base, dec("110"));
    // V2 is reminded of its undisputed invoice only.
    assert_eq!(
        w.entries(as_of),
        vec![entry("Issues", "Now", "V2", &["I4"])]
    );
    // Before the disputes were opened nobody had an open issue.
    assert_eq!(w.entries(day(2026, 4, 14)), vec![]);
}

#[test]
fn a_eur_customers_open_promise_amount_is_what_remains_in_the_base_currency() {
    let promises = customer_cycle("Promises", "open_p2p_amount between 105 and 115");
    let mut w = fixture_world(&[("promises.toml", &promises)]);
    // V2 promises 500 EUR by 16 April on the 10th, and pays 300 + 100 EUR on the 12th and
    // 14th: 100 EUR remain, 110 USD at the rate of the day it was recorded.
    fixture::promise(&mut w.store, "2026-04-10", "V2", "500", "2026-04-16", &[]);
    // On the 18th its date has passed (no pause), but it is open for three days of grace.
    let as_of = day(2026, 4, 18);
    assert!(!w.is_paused(as_of, "V2"));
    let promised = |as_of| w.customer_amount(as_of, "V2", "open_p2p_amount");
    assert_eq!(promised(as_of), dec("110"));
    assert_eq!(w.metrics(as_of).headline.open_p2p_amount, dec("110"));
    assert_eq!(w.flags(as_of, "V2").open_promise_base, dec("110"));
    assert_eq!(
        w.entries(as_of),
        vec![entry("Promises", "Now", "V2", &["I3", "I4"])]
    );
    // After the grace it is partially kept, no longer open.
    let later = day(2026, 4, 20);
    assert_eq!(promised(later), dec("0"));
    assert_eq!(w.entries(later), vec![]);
}

#[test]
fn a_kept_promise_in_the_customers_currency_no_longer_pauses() {
    let mut w = fixture_world(&[("dunning.toml", DUNNING)]);
    // V2 promises 100 EUR for I4 on 13 April, by the 30th; 100 EUR reach I4 on the 14th.
    fixture::promise(
        &mut w.store,
        "2026-04-13",
        "V2",
        "100",
        "2026-04-30",
        &["I4"],
    );
    assert!(w.is_paused(day(2026, 4, 13), "V2"));
    assert!(!w.customers(day(2026, 4, 13)).contains(&"V2".to_string()));
    // Kept: dunning resumes.
    let as_of = day(2026, 4, 20);
    assert!(!w.is_paused(as_of, "V2"));
    assert_eq!(w.customer_amount(as_of, "V2", "open_p2p_amount"), dec("0"));
    assert!(
        w.entries(as_of)
            .contains(&entry("Dunning", "Friendly", "V2", &["I3", "I4"])),
        "{:?}",
        w.entries(as_of)
    );
}

#[test]
fn an_unverified_reply_is_not_the_customers_last_reply() {
    let w = World::of(&[("dunning.toml", DUNNING)]);
    let d = |y, m, dd| day_number(day(y, m, dd));
    w.sql(&format!(
        "INSERT INTO replies (cid, at, received_date, message_id, from_addr, subject, body, verified)
           SELECT cid, 'x', {early}, '<a@x>', 'ap@alpha.example', 'Re', 'ok', 1 FROM customers WHERE id = 'C1';
         INSERT INTO replies (cid, at, received_date, message_id, from_addr, subject, body, verified)
           SELECT cid, 'x', {late}, '<b@x>', 'x@evil.example', 'Re', 'pay elsewhere', 0 FROM customers WHERE id = 'C1';
         INSERT INTO replies (cid, at, received_date, message_id, from_addr, subject, body, verified)
           SELECT cid, 'x', {late}, '<c@x>', 'x@evil.example', 'Re', 'pay elsewhere', 0 FROM customers WHERE id = 'C2';",
        early = d(2026, 4, 10),
        late = d(2026, 4, 20),
    ));
    let last = w
        .store
        .engagement()
        .last_reply_dates(day(2026, 4, 30))
        .unwrap();
    let cid = |id: &str| w.store.ledger().customer_key(id).unwrap().unwrap();
    assert_eq!(last.get(&cid("C1")), Some(&day(2026, 4, 10)));
    assert_eq!(last.get(&cid("C2")), None);
}

/// An owed of schema 19 or older that went on sending while a newer one upgraded the database
/// wrote its reminders without name keys: they are found once the database is opened again,
/// and from then on such an owed cannot write one at all.
#[test]
fn what_an_older_owed_sent_after_the_upgrade_is_found_by_the_keys() {
    let mut w = World::of(&[("dunning.toml", DUNNING)]);
    let mut mailer = FakeMailer::default();
    assert_eq!(w.send_all(day(2026, 4, 30), &mut mailer).sent.len(), 4);
    // The database as schema 22 left it after the older run's writes: its rows keyless.
    w.sql(
        "DROP TRIGGER reminder_documents_keyed;
         UPDATE reminder_documents SET cycle_key = NULL, reminder_key = NULL;
         PRAGMA user_version = 22;",
    );
    reopened_with_the_cycle_renamed_by_case(&mut w);
    assert!(w.entries(day(2026, 5, 1)).is_empty());
    // An older owed inserting without the keys is refused, saying why: nothing it would
    // send is recorded, so it sends nothing.
    let older = rusqlite::Connection::open(&w.db).unwrap();
    let refused = older
        .execute_batch(
            "INSERT INTO reminder_documents (cycle, reminder, did, reminder_id)
             SELECT 'Other', reminder, did, reminder_id FROM reminder_documents LIMIT 1",
        )
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("brought up to date by a newer owed"),
        "{refused}"
    );
}

/// The reminders a run withdrew: (customer id, why).
fn withdrawn(report: &outbox::RunReport) -> Vec<(&str, &str)> {
    report
        .withdrawn
        .iter()
        .map(|u| (u.customer_id.as_str(), u.error.as_str()))
        .collect()
}

/// A template could not tell the customer its credit (credit notes not applied), its
/// unapplied cash or what it owes once they are set against its invoices: the variables
/// `customer.unutilised_credit`, `customer.unapplied_cash`, `customer.net_balance` (with
/// `customer.outstanding` and `customer.base_currency`), its whole account in the base
/// currency, formatted as the other amounts. A cycle whose rules read none of the figures
/// gets them too, and so does a reminder by hand; a customer in net credit is told a negative
/// net balance.
#[test]
fn templates_state_the_customers_credit_unapplied_cash_and_net_balance() {
    use owed::engage::manual;
    let template = "{{ customer.name }}\n\
        open {{ customer.outstanding }}, credit {{ customer.unutilised_credit }}, \
        cash {{ customer.unapplied_cash }}, net {{ customer.net_balance }} \
        {{ customer.base_currency }}\n";
    let portfolio = Portfolio::engagement()
        .with_document("N2,C2,credit_note,2026-04-01,,150.00,USD")
        .with_payment("P2,C2,2026-04-20,50.00,USD,success,cheque")
        .with_document("N3,C3,credit_note,2026-04-02,,1250.00,USD");
    // No rule of this cycle reads the customers' figures.
    let cycle = "name = \"Plain\"\ncustomer = \"open_issue_amount = 0\"\n\
        document = \"due_date < today\"\n[[reminder]]\nname = \"Now\"\n\
        after_due_days = 0\ntemplate = \"templates/t.md\"\n";
    let mut w = World::new(
        portfolio,
        template,
        &[("plain.toml", cycle)],
        &Default::default(),
    );
    let as_of = day(2026, 4, 30);
    let plan = w.plan(as_of);
    let text_of = |customer: &str| {
        let entry = plan
            .entries
            .iter()
            .find(|e| e.customer_id == customer)
            .unwrap_or_else(|| panic!("no entry for {customer}"));
        let reminder = &w.cycles.cycles[0].reminders[0];
        outbox::render_entry(
            &w.cycles.templates,
            &reminder.template,
            entry,
            &settings(as_of),
        )
        .unwrap()
        .text
    };
    assert_eq!(
        text_of("C2").trim(),
        "open 500.00, credit 150.00, cash 50.00, net 300.00 USD"
    );
    assert_eq!(
        text_of("C3").trim(),
        "open 1,000.00, credit 1,250.00, cash 0.00, net -250.00 USD"
    );
    let templates = manual::templates(&mut w.cycles).unwrap();
    let t = templates[0].clone();
    let entry = manual::entry_for(&w.store, "C1", &t, as_of, "USD").unwrap();
    let mail = manual::preview(&w.cycles, &t, &entry, &settings(as_of)).unwrap();
    assert_eq!(
        mail.text.trim(),
        "open 500.00, credit 0.00, cash 0.00, net 500.00 USD"
    );
}
