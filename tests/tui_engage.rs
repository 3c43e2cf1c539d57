//! The workstation's engagement after key sequences, on the fixture database: reminders by
//! hand (`r`: picker, preview, confirm, send), the engagement screen (plan, hold, send now,
//! skipped, outbox, report) and the Replies tab. The engagement worker runs in step with the
//! keys; mail goes to a recorder (the real SMTP server is in `tui_engage_smtp.rs`).

mod common;
mod keys;
mod snapshot;
mod workbook;
mod workstation;

use common::{assert_contains_all, status_text};
use keys::{command, status};
use owed::domain::users::Role;
use owed::tui::app::{Mode, Screen};
use owed::tui::engage::screen::Pane;
use owed::tui::engage::send::{SendFlow, Stage};
use owed::tui::engage::{EngageRequest, SendResult};
use owed::tui::keymap::KeyContext;
use owed::tui::update::Effect;
use owed::workstation::Request;
use workstation::{Driver, Recorder};

struct Fixture {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    cycles: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let cycles = workstation::cycles(dir.path());
    Fixture {
        _dir: dir,
        db,
        cycles,
    }
}

/// SQL that records each of `sent` (rows `id,customer,date,reminder,to,subject`) as a
/// reminder of the standard cycle sent to its customer at 07:00 UTC on its date (to run
/// through `workstation::with_day_numbers`).
fn sent_reminders(sent: &[&str]) -> String {
    let one = |row: &&str| {
        let fields: Vec<&str> = row.splitn(6, ',').collect();
        let [id, customer, date, reminder, to, subject] = fields[..] else {
            panic!("not a reminder sent: {row}");
        };
        format!(
            "INSERT INTO reminders (id, cid, at, collector, cycle, reminder, to_addr, subject,
                                    body, status, sent_at, sent_date, message_id)
             SELECT {id}, cid, '{date}T07:00:00Z', 'alice', 'Standard dunning', '{reminder}',
                    '{to}', '{subject}', 'text', 'sent', '{date}T07:00:01Z', {{{date}}}, '<{id}@x>'
               FROM customers WHERE id = '{customer}';\n"
        )
    };
    sent.iter().map(one).collect()
}

/// The fixture with no email address for `customer`.
fn fixture_without_email(customer: &str) -> Fixture {
    let f = fixture();
    f.execute(&format!(
        "UPDATE customers SET email = NULL WHERE id = '{customer}'"
    ));
    f
}

impl Fixture {
    /// The workstation as `collector`, and the recorder its mail goes to.
    fn driver(&self, collector: &str, size: (u16, u16)) -> (Driver, Recorder) {
        let mail = Recorder::default();
        let config = workstation::engage_config(&self.cycles, 2525);
        let source = workstation::engage_source(&self.db, collector, config, mail.factory());
        (Driver::with_engage(&self.db, collector, size, source), mail)
    }

    /// Alice's outbox (`:engage outbox`) in a terminal of `size`: the screen.
    #[track_caller]
    fn alices_outbox(&self, size: (u16, u16)) -> String {
        let (mut d, _mail) = self.driver("alice", size);
        command(&mut d, "engage outbox");
        assert_eq!(d.app.screen, Screen::Engage);
        assert_eq!(d.app.engage.screen.pane, Pane::Outbox);
        d.screen()
    }

    fn sql<T: rusqlite::types::FromSql>(&self, sql: &str) -> T {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    fn execute(&self, sql: &str) {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        conn.execute_batch(sql).unwrap();
    }

    /// Records the reminders `sent` (as `sent_reminders` takes them) as sent.
    fn record_sent(&self, sent: &[&str]) {
        self.execute(&workstation::with_day_numbers(&sent_reminders(sent)));
    }
}

fn sends(effects: &[Effect]) -> Vec<&EngageRequest> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Engage(
                r @ (EngageRequest::Send { .. } | EngageRequest::SendPlanned { .. }),
            ) => Some(r),
            _ => None,
        })
        .collect()
}

/// The send flow (picker, preview, confirm, done) open on the workstation.
fn send_flow(d: &Driver) -> &SendFlow {
    d.app.engage.flow.as_ref().expect("a send flow is open")
}

fn stage(d: &Driver) -> Option<Stage> {
    d.app.engage.flow.as_ref().map(|f| f.stage)
}

#[test]
fn the_picker_moves_the_preview_scrolls_and_cancelling_sends_nothing() {
    let f = fixture();
    let (mut d, mail) = f.driver("alice", (80, 24));
    d.press("G");
    assert_eq!(d.selected().as_deref(), Some("Kite Supplies"));
    let mut effects = d.press("r");
    assert_eq!(stage(&d), Some(Stage::Picker));
    assert_eq!(d.app.key_context(), KeyContext::Send);
    let flow = send_flow(&d);
    let names: Vec<&str> = flow.templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["friendly", "firm", "final", "courtesy"],
        "the cycle's templates in order, then the others"
    );
    assert_eq!(flow.templates[1].used_by, ["Standard dunning / Firm"]);
    assert!(flow.templates[3].used_by.is_empty());
    effects.extend(d.press("j j G"));
    assert_eq!(send_flow(&d).template_sel, 3);
    effects.extend(d.press("k k g g j"));
    assert_eq!(send_flow(&d).template_sel, 1);
    effects.extend(d.press("<Enter>"));
    assert_eq!(stage(&d), Some(Stage::Preview));
    let flow = send_flow(&d);
    let preview = flow.current().unwrap();
    let mail_preview = preview.mail.as_ref().unwrap();
    assert_eq!(preview.customer_id, "K1");
    assert_eq!(mail_preview.to, "ap@kite.example");
    assert_eq!(mail_preview.subject, "Overdue: 60.00 USD for Kite Supplies");
    assert_eq!(mail_preview.documents, ["INV-100"]);
    assert_eq!(
        (mail_preview.cycle.as_str(), mail_preview.reminder.as_str()),
        ("manual", "firm 2026-04-30")
    );
    assert!(
        d.screen()
            .contains("Subject  Overdue: 60.00 USD for Kite Supplies")
    );
    // The body is longer than the popup at 80×24: it scrolls, and stops at its end.
    effects.extend(d.press("j j"));
    assert_eq!(send_flow(&d).scroll, 2);
    effects.extend(d.press("G"));
    let bottom = send_flow(&d).scroll;
    assert!(bottom > 2, "scrolled to the end: {bottom}");
    effects.extend(d.press("j"));
    assert_eq!(send_flow(&d).scroll, bottom);
    assert!(
        d.screen().contains("Accounts receivable"),
        "the body's last line"
    );
    // s asks first; n goes back to the preview, Esc to the picker, Esc closes.
    effects.extend(d.press("s"));
    assert_eq!(stage(&d), Some(Stage::Confirm));
    assert_eq!(d.app.key_context(), KeyContext::Confirm);
    assert!(d.screen().contains("Send “firm” to Kite Supplies?"));
    effects.extend(d.press("<Enter> <Space> s"));
    assert_eq!(stage(&d), Some(Stage::Confirm), "only y sends");
    effects.extend(d.press("n"));
    assert_eq!(stage(&d), Some(Stage::Preview));
    effects.extend(d.press("<Esc>"));
    assert_eq!(stage(&d), Some(Stage::Picker));
    effects.extend(d.press("<Esc>"));
    assert_eq!(stage(&d), None);
    assert_eq!(d.app.key_context(), KeyContext::Queue);
    assert!(sends(&effects).is_empty(), "nothing was asked to send");
    assert!(mail.sent().is_empty());
    assert_eq!(
        f.sql::<i64>("SELECT count(*) FROM reminders WHERE cycle = 'manual'"),
        0
    );
    // On the detail screen, r is for the customer shown.
    d.press("<Enter>");
    assert_eq!(d.app.screen, Screen::Detail);
    d.press("r");
    let flow = send_flow(&d);
    assert_eq!(flow.label, "Kite Supplies");
    let kite: i64 = f.sql("SELECT cid FROM customers WHERE id = 'K1'");
    assert_eq!(
        flow.kind,
        owed::tui::engage::send::FlowKind::Manual { cids: vec![kite] }
    );
    d.press("<Esc>");
    assert_eq!(d.app.key_context(), KeyContext::Detail);
}

/// Of two cycles due for Kite the same day, the picker marks and starts on the reminder the
/// plan sends (the higher priority's), not the one it skips.
#[test]
fn the_picker_marks_what_the_plan_sends_not_what_it_skips() {
    let f = fixture();
    std::fs::write(
        f.cycles.join("courtesy.toml"),
        "name = \"Courtesy\"\npriority = 50\ncustomer = \"overdue > 0\"\n\n[[reminder]]\n\
         name = \"Courtesy\"\nafter_due_days = 0\ntemplate = \"templates/courtesy.md\"\n",
    )
    .unwrap();
    let (mut d, _mail) = f.driver("alice", (120, 40));
    d.press("G r");
    let flow = send_flow(&d);
    let names: Vec<&str> = flow.templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names[flow.template_sel], "courtesy", "{names:?}");
    let screen = d.screen();
    assert!(
        screen.contains("Courtesy / Courtesy · in today's plan"),
        "{screen}"
    );
    assert!(!screen.contains("Firm · in today's plan"), "{screen}");
}

/// With nothing in today's plan for the customer (Pizza Palace's open dispute keeps it out of
/// the cycle), the picker starts on the reminder a cycle last sent it, said so; a reminder
/// sent by hand since does not count.
#[test]
fn with_nothing_planned_the_picker_starts_on_the_reminder_a_cycle_last_sent() {
    let f = fixture();
    f.record_sent(&[
        "60,K5,2026-04-01,Friendly,ap@pizza.example,Hello",
        "61,K5,2026-04-10,Firm,ap@pizza.example,Overdue",
    ]);
    f.execute(&workstation::with_day_numbers(
        "INSERT INTO reminders (id, cid, at, collector, cycle, reminder, to_addr, subject, body,
                                status, sent_at, sent_date, message_id)
         SELECT 62, cid, '2026-04-20T07:00:00Z', 'alice', 'manual', 'friendly 2026-04-20',
                'ap@pizza.example', 'Hi', 'text', 'sent', '2026-04-20T07:00:01Z', {2026-04-20},
                '<62@x>'
           FROM customers WHERE id = 'K5';",
    ));
    let (mut d, _mail) = f.driver("alice", (120, 40));
    d.press("/ pizza <Enter>");
    assert_eq!(d.selected().as_deref(), Some("🍕 Pizza Palace"));
    d.press("r");
    let flow = send_flow(&d);
    let names: Vec<&str> = flow.templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names[flow.template_sel], "firm", "{names:?}");
    assert!(
        d.screen().contains("Standard dunning / Firm · sent last"),
        "{}",
        d.screen()
    );
    assert!(!d.screen().contains("in today's plan"));
}

#[test]
fn confirming_sends_once_and_the_timeline_shows_the_reminder() {
    let f = fixture();
    let (mut d, mail) = f.driver("alice", (120, 40));
    d.press("G r");
    // The picker starts on the reminder today's plan has for Kite (30 days overdue: Firm);
    // the collector goes up to Friendly.
    let flow = d.app.engage.flow.as_ref().unwrap();
    let names: Vec<&str> = flow.templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names[flow.template_sel], "firm", "{names:?}");
    assert!(
        d.screen()
            .contains("Standard dunning / Firm · in today's plan")
    );
    let effects = d.press("k <Enter> s");
    assert!(sends(&effects).is_empty());
    let effects = d.press("y");
    let asked = sends(&effects);
    assert_eq!(asked.len(), 1, "{effects:?}");
    let EngageRequest::Send { template, cids, .. } = asked[0] else {
        panic!("{asked:?}")
    };
    assert!(template.ends_with("friendly.md"));
    let kite: i64 = f.sql("SELECT cid FROM customers WHERE id = 'K1'");
    assert_eq!(cids, &[kite]);
    // Delivered: the recorder has it, the popup says so with the Message-ID.
    let sent = mail.sent();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].contains("To: \"Kite Supplies\" <ap@kite.example>")
            || sent[0].contains("To: Kite Supplies <ap@kite.example>"),
        "{}",
        sent[0]
    );
    assert_eq!(stage(&d), Some(Stage::Done));
    let flow = send_flow(&d);
    let SendResult::Sent { message_id, to } = &flow.outcomes[0].result else {
        panic!("{:?}", flow.outcomes)
    };
    assert_eq!(to, "ap@kite.example");
    assert!(sent[0].contains(message_id.as_str()));
    assert!(d.screen().contains("Done · 1 sent, 0 not sent"));
    assert!(status_text(&d.app).starts_with("Sent to Kite Supplies"));
    // The detail beside the queue shows the reminder at once.
    let timeline = &d.app.detail.as_ref().unwrap().detail.activity;
    assert_eq!(timeline[0].kind.label(), "reminder");
    assert!(
        timeline[0]
            .text
            .starts_with("manual / friendly 2026-04-30: Friendly reminder"),
        "{}",
        timeline[0].text
    );
    d.press("<Esc>");
    assert_eq!(stage(&d), None);
    // Pressing it all again the same day sends nothing more.
    d.press("r k <Enter> s y");
    let flow = send_flow(&d);
    assert_eq!(flow.outcomes[0].result, SendResult::AlreadySent);
    assert_eq!(mail.sent().len(), 1);
    assert_eq!(
        f.sql::<i64>("SELECT count(*) FROM reminders WHERE cycle = 'manual' AND status = 'sent'"),
        1
    );
}

#[test]
fn marked_customers_get_one_email_each_and_those_without_an_address_are_left_out() {
    let f = fixture_without_email("K4");
    let (mut d, mail) = f.driver("alice", (120, 40));
    // Acme Corp, then Tokyo Trading (no email), then Acme Widgets (not overdue: all open).
    d.press("<Space> <Space> <Space>");
    assert_eq!(d.app.marks.len(), 3);
    d.press("r j j j <Enter>");
    let flow = send_flow(&d);
    assert_eq!(flow.label, "3 customers");
    assert_eq!(flow.chosen.as_ref().unwrap().name, "courtesy");
    let ids = flow.previews.iter().map(|p| p.customer_id.as_str());
    // In the queue's order.
    assert_eq!(ids.collect::<Vec<_>>(), ["K6", "K4", "K7"]);
    assert!(
        flow.previews[1]
            .mail
            .as_ref()
            .unwrap_err()
            .contains("no email address")
    );
    assert!(d.screen().contains("To       Acme Corp <ap@acme.example>"));
    d.press("n");
    assert_eq!(send_flow(&d).index, 1);
    assert!(
        d.screen()
            .contains("Cannot send to 東京商事株式会社 Tokyo Trading")
    );
    d.press("p p");
    assert_eq!(send_flow(&d).index, 2, "wraps around");
    d.press("s");
    let flow = send_flow(&d);
    assert_eq!(flow.confirm[0], "Send “courtesy” to 2 customers?");
    assert!(flow.confirm.iter().any(|l| l.starts_with("K4: ")));
    let effects = d.press("y");
    let EngageRequest::Send { cids, .. } = sends(&effects)[0] else {
        panic!()
    };
    assert_eq!(cids.len(), 2);
    assert_eq!(mail.sent().len(), 2);
    assert_eq!(send_flow(&d).tally(), (2, 0));
}

#[test]
fn export_on_the_engagement_screen_writes_the_plan_shown_as_owed_export_plan_does() {
    let f = fixture_without_email("K10");
    let (mut d, _mail) = f.driver("alice", (120, 40));
    // Everyone's reminders, as `owed export plan` writes them.
    d.press("E m");
    let plan = d.app.engage.screen.plan.clone().unwrap();
    assert_eq!(plan.owner, None);
    let dir = f.db.parent().unwrap();
    let path = dir.join("plan.csv");
    command(&mut d, &format!("export {}", path.display()));
    assert_eq!(
        status_text(&d.app),
        format!("wrote {} ({} rows)", path.display(), plan.entries.len())
    );
    let written = std::fs::read_to_string(&path).unwrap();
    let cli = dir.join("cli.csv");
    common::succeeded(&common::owed_db(
        dir,
        &f.db,
        &[
            "--as-of",
            workstation::AS_OF,
            "export",
            "plan",
            "--cycles",
            f.cycles.to_str().unwrap(),
            "-o",
            cli.to_str().unwrap(),
        ],
    ));
    assert_eq!(written, std::fs::read_to_string(&cli).unwrap());
    let customers: Vec<String> = csv::Reader::from_reader(written.as_bytes())
        .records()
        .map(|r| r.unwrap()[2].to_string())
        .collect();
    // K6's invoice was paid on 5 May, after the plan's date: not chased.
    assert_eq!(customers, ["K4", "K1", "K2"]);
    // The workbook: the plan, then what it skips and why (K10 has no address, K6 paid).
    command(&mut d, &format!("export {}", dir.join("plan").display()));
    let sheets = workbook::read(&dir.join("plan.xlsx"));
    workbook::check_table(&sheets[0], "Engagement plan", workstation::AS_OF);
    let skipped = &sheets[1];
    assert_eq!(skipped.name, "Skipped");
    let text = format!("{:?}", skipped.values);
    assert!(text.contains("K10"), "{text}");
    assert!(text.contains("paid after 2026-04-30"), "{text}");
}

#[test]
fn the_engagement_screen_shows_the_plan_and_holds_a_customer_back() {
    let f = fixture_without_email("K10");
    let (mut d, mail) = f.driver("alice", (120, 40));
    let rows = |d: &Driver| -> Vec<(String, String)> {
        plan_shown(d)
            .entries
            .iter()
            .map(|r| (r.key.reminder.clone(), r.key.customer_id.clone()))
            .collect()
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    // As the queue: alice's own customers' reminders (Lumen is bob's; Acme paid on 5 May,
    // after the plan's date, and is skipped)…
    d.press("E");
    assert_eq!(d.app.screen, Screen::Engage);
    assert_eq!(d.app.key_context(), KeyContext::Engage);
    assert_eq!(rows(&d), pairs(&[("Final", "K4"), ("Firm", "K1")]));
    assert!(
        d.screen()
            .contains("Engagement · as of 2026-04-30 · alice's customers")
    );
    // (Hers alone: no column says whose each is.)
    assert!(!d.screen().contains("Owner"), "{}", d.screen());
    // …and everyone's with `m`, the queue's switch too, each row saying whose customer the
    // reminder goes to (a manager sees which collector's customers are chased).
    d.press("m");
    let screen = d.screen();
    let line_of = |text: &str| {
        screen
            .lines()
            .find(|l| l.contains(text))
            .unwrap_or_else(|| panic!("{text}:\n{screen}"))
            .to_string()
    };
    assert!(line_of("Reminder").contains(" Owner "), "{screen}");
    assert!(line_of("Lumen").contains(" bob "), "{screen}");
    assert!(line_of("Kite").contains(" alice "), "{screen}");
    assert_eq!(d.app.query.scope, owed::domain::queue::Scope::Everyone);
    assert_eq!(
        rows(&d),
        pairs(&[("Final", "K4"), ("Firm", "K1"), ("Friendly", "K2")])
    );
    assert!(
        d.screen()
            .contains("Engagement · as of 2026-04-30 · everyone's")
    );
    let plan = d.app.engage.screen.plan.as_ref().unwrap();
    let skipped: Vec<&str> = plan
        .skipped
        .iter()
        .map(|s| s.customer_id.as_str())
        .collect();
    assert_eq!(skipped, ["K6", "K10"]);
    assert!(plan.skipped[0].reason.contains("paid after 2026-04-30"));
    assert_eq!(plan.paused, 1, "Orbit's open promise");
    snapshot::assert("engage_plan_120x40", &d.screen());
    // Back in the queue, everyone's rows are drawn: the switch, made while the queue was
    // hidden, had asked only for the rows then visible (the rest were `…` until a key).
    d.press("<Esc>");
    assert_eq!(d.app.screen, Screen::Main);
    let total = d.app.total() as usize;
    let shown = d.app.page.rows.len();
    assert!(shown >= total.min(10), "{shown} of {total} rows loaded");
    assert!(!d.screen().contains(" … "), "{}", d.screen());
    d.press("E");
    // Someone who owns no customers (dana, a manager) sees everyone's, as in the queue.
    let (mut dana, _) = f.driver("dana", (120, 40));
    dana.press("E");
    assert_eq!(rows(&dana).len(), 3);
    assert_eq!(dana.app.engage.screen.plan.as_ref().unwrap().owner, None);
    assert!(dana.screen().contains("· everyone's"));
    // With a plan the footer offers previewing, sending and marking; on the skipped
    // reminders (which Enter and s do not act on) it does not.
    let offered = |d: &Driver| -> Vec<String> {
        owed::tui::view::footer::hints(&d.app, KeyContext::Engage)
            .into_iter()
            .map(|(_, desc)| desc)
            .collect()
    };
    assert_contains_all(
        &offered(&d).join("|"),
        &["Preview the email", "Send now…", "Mark"],
    );
    d.press("]");
    assert_eq!(d.app.engage.screen.pane, Pane::Skipped);
    let skipped = offered(&d).join("|");
    assert!(
        !skipped.contains("Preview") && !skipped.contains("Send now"),
        "{skipped}"
    );
    assert!(skipped.contains("Hold"), "{skipped}");
    d.press("[");
    // h: the command line offers a week, Enter holds the selected customer (Kite). The week
    // counts from the day it is written, as a follow-up's date, not from the date on screen
    // (a week from 30 April was a hold over months before it was written).
    d.press("j h");
    assert_eq!(d.app.mode, Mode::Command);
    assert_eq!(d.app.input.value(), "hold +7d");
    let effects = d.press("<Enter>");
    let kite: i64 = f.sql("SELECT cid FROM customers WHERE id = 'K1'");
    let today = chrono::Local::now().date_naive();
    let week = (today + chrono::Days::new(7)).to_string();
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Engage(EngageRequest::Hold { cids, until, .. })
            if cids == &[kite] && until.to_string() == week
    )));
    let plan = d.app.engage.screen.plan.as_ref().unwrap();
    assert!(plan.entries.iter().all(|r| r.key.customer_id != "K1"));
    assert_eq!(plan.held.len(), 1);
    assert_eq!(plan.held[0].customer_id, "K1");
    assert_eq!(plan.held[0].until.to_string(), week);
    assert!(status_text(&d.app).contains(&format!("until {week}")));
    // The Held pane lists it; h there offers to release it.
    d.press("] ]");
    assert_eq!(d.app.engage.screen.pane, Pane::Held);
    assert!(d.screen().contains("Kite Supplies (K1)"));
    d.press("h");
    assert_eq!(d.app.input.value(), "hold release");
    d.press("<Enter>");
    let plan = d.app.engage.screen.plan.as_ref().unwrap();
    assert!(plan.held.is_empty());
    assert!(plan.entries.iter().any(|r| r.key.customer_id == "K1"));
    // A date typed on the command line, with a reason.
    let later = (today + chrono::Days::new(15)).to_string();
    command(&mut d, &format!("hold {later} waiting for the PO"));
    let plan = d.app.engage.screen.plan.as_ref().unwrap();
    assert_eq!(plan.held.len(), 0, "nothing selected in the Held pane");
    d.press("[ [");
    assert_eq!(d.app.engage.screen.pane, Pane::Plan);
    command(&mut d, &format!("hold {later} waiting for PO"));
    let held = &d.app.engage.screen.plan.as_ref().unwrap().held;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].text.as_deref(), Some("waiting for PO"));
    // A day the follow-up form would refuse (a slip of the year) is refused here too, and
    // holds no one.
    let effects = command(&mut d, "hold 2099-01-01 waiting");
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Engage(EngageRequest::Hold { .. }))),
        "{effects:?}"
    );
    assert_eq!(
        status_text(&d.app),
        format!(
            "the hold's last day 2099-01-01 is more than 2 years after today ({today}): check \
             the year"
        )
    );
    // And so is a day before today, as a follow-up's is: `release` ends a hold.
    let yesterday = today - chrono::Days::new(1);
    command(&mut d, &format!("hold {yesterday}"));
    assert_eq!(
        status_text(&d.app),
        format!(
            "the hold's last day {yesterday} is before today ({today}): give a day from today \
             on, or `release` to end the hold"
        )
    );
    assert_eq!(d.app.engage.screen.plan.as_ref().unwrap().held.len(), 1);
    // Esc goes back to the queue.
    d.press("<Esc>");
    assert_eq!(d.app.screen, Screen::Main);
    assert!(mail.sent().is_empty());
}

/// Leaving the engagement screen lets go of its plan and report (at 100,000 customers,
/// thousands of rows each session kept until it ended), and an answer still on its way then
/// is not taken in; opening the screen again asks for the plan again.
#[test]
fn leaving_the_engagement_screen_lets_go_of_its_plan_and_report() {
    let f = fixture();
    let (mut d, _mail) = f.driver("alice", (120, 40));
    d.press("E ] ] ] ]");
    assert_eq!(d.app.engage.screen.pane, Pane::Report);
    assert!(d.app.engage.screen.plan.is_some());
    assert!(d.app.engage.screen.report.is_some());
    d.press("<Esc>");
    assert_eq!(d.app.screen, Screen::Main);
    assert!(d.app.engage.screen.plan.is_none());
    assert!(d.app.engage.screen.report.is_none());
    // Asked for, then left before the answer came.
    let fx = d.press_unanswered("E");
    d.press("<Esc>");
    d.run(fx);
    assert!(d.app.engage.screen.plan.is_none());
    assert!(d.app.engage.screen.report.is_none());
    d.press("E");
    assert_eq!(d.app.screen, Screen::Engage);
    let plan = d.app.engage.screen.plan.as_ref().expect("the plan again");
    let keys: Vec<&str> = plan
        .entries
        .iter()
        .map(|r| r.key.customer_id.as_str())
        .collect();
    assert_eq!(keys, ["K4", "K1"]);
}

/// At 80 columns the plan gives the cycle's and the address's room to the customer's name and
/// keeps the days overdue whole (the cycle's column had pushed "Days" off the edge, and cut
/// names at ten letters).
/// `:asof` on the engagement screen: the plan of the date before goes at once (under the new
/// date's title it was another day's reminders, and sending from it sent them), and the new
/// date's comes in its place.
#[test]
fn another_date_shows_no_plan_of_the_date_before_while_it_is_computed() {
    let f = fixture();
    let (mut d, _mail) = f.driver("alice", (120, 40));
    d.press("E");
    assert!(d.app.engage.screen.plan.is_some());
    let fx = d.press_unanswered(": asof <Space> 2026-01-31 <Enter>");
    assert!(d.app.engage.screen.plan.is_none());
    let screen = d.screen();
    assert!(screen.contains("Engagement · as of 2026-01-31"), "{screen}");
    assert!(screen.contains("Computing"), "{screen}");
    assert!(!screen.contains("Firm"), "{screen}");
    d.run(fx);
    let plan = d.app.engage.screen.plan.as_ref().unwrap();
    assert_eq!(plan.as_of.to_string(), "2026-01-31");
}

#[test]
fn a_narrow_plan_shows_whom_and_how_late_before_which_cycle() {
    let f = fixture_without_email("K10");
    let (mut d, _mail) = f.driver("alice", (80, 24));
    d.press("E m");
    let screen = d.screen();
    // The screen's rows as quoted strings, one a line.
    let rows: Vec<&str> = screen
        .lines()
        .map(|l| l.trim_matches('"').trim_end())
        .collect();
    let header = rows
        .iter()
        .find(|l| l.contains("Reminder") && l.contains("Customer"))
        .unwrap_or_else(|| panic!("no header:\n{screen}"));
    assert!(header.ends_with(" Days"), "{header}");
    assert!(!header.contains("Cycle"), "{header}");
    for entry in &d.app.engage.screen.plan.as_ref().unwrap().entries {
        let row = rows
            .iter()
            .find(|l| l.contains(&entry.documents[0]))
            .unwrap_or_else(|| panic!("{:?} on screen:\n{screen}", entry.documents));
        // At least its first twelve letters (ten before); a name wider than its column is cut
        // with "…", and the fixture's short names read whole (below).
        let name: String = entry.name.chars().take(12).collect();
        assert!(row.contains(&name), "{name} in {row}");
        assert!(row.ends_with(&format!(" {}", entry.days_overdue)), "{row}");
    }
    for whole in ["Kite Supplies", "Lumen GmbH"] {
        assert!(screen.contains(whole), "{whole}:\n{screen}");
    }
    snapshot::assert("engage_plan_80x24", &screen);
    // The Skipped pane likewise: why a reminder cannot go reads whole.
    d.press("]");
    let screen = d.screen();
    let skipped = &d.app.engage.screen.plan.as_ref().unwrap().skipped;
    let why = &skipped
        .iter()
        .find(|s| s.customer_id == "K10")
        .unwrap()
        .reason
        .clone();
    assert!(screen.contains(why.as_str()), "{why}:\n{screen}");
    assert!(!screen.contains("Cycle"), "{screen}");
    // Narrower, the reason's column cuts it: the selected row's reads whole on the pane's last
    // lines, and a name cut keeps the customer's id ("Iron Outfitters Group (C000…" hid it).
    d.resize(60, 24);
    let screen = d.screen();
    assert!(screen.contains("Carol's Cus… (K10)"), "{screen}");
    let first = d.app.engage.screen.plan.as_ref().unwrap().skipped[0]
        .reason
        .clone();
    let below: String = screen
        .lines()
        .skip_while(|l| !l.contains("Why: "))
        .map(|l| l.trim_matches('"').trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        below.contains(&format!("Why: {first}")),
        "{first}:\n{screen}"
    );
}

#[test]
fn send_now_from_the_plan_confirms_then_sends_and_the_outbox_shows_it() {
    let f = fixture();
    let (mut d, mail) = f.driver("alice", (120, 40));
    d.press("E j");
    // Enter previews the planned email.
    d.press("<Enter>");
    assert_eq!(stage(&d), Some(Stage::Preview));
    let preview = d
        .app
        .engage
        .flow
        .as_ref()
        .unwrap()
        .current()
        .unwrap()
        .clone();
    assert_eq!(preview.customer_id, "K1");
    assert_eq!(preview.mail.as_ref().unwrap().reminder, "Firm");
    d.press("<Esc>");
    assert_eq!(stage(&d), None);
    // s asks; Esc cancels; nothing went out.
    let effects = d.press("s <Esc>");
    assert!(sends(&effects).is_empty());
    assert!(mail.sent().is_empty());
    let effects = d.press("s");
    assert_eq!(stage(&d), Some(Stage::Confirm));
    assert!(
        send_flow(&d).confirm[0]
            .contains("Standard dunning / Firm → Kite Supplies <ap@kite.example>")
    );
    assert!(sends(&effects).is_empty());
    let effects = d.press("y");
    assert!(matches!(
        sends(&effects)[0],
        EngageRequest::SendPlanned { keys, .. } if keys.len() == 1 && keys[0].customer_id == "K1"
    ));
    assert_eq!(mail.sent().len(), 1);
    assert!(mail.sent()[0].contains("Overdue: 60.00 USD for Kite Supplies"));
    d.press("<Esc>");
    // The plan no longer has it; the outbox has it, sent.
    let plan = d.app.engage.screen.plan.as_ref().unwrap();
    assert!(plan.entries.iter().all(|r| r.key.customer_id != "K1"));
    assert_eq!(plan.outbox[0].customer_id, "K1");
    assert_eq!(plan.outbox[0].status, "sent");
    d.press("] ] ]");
    assert_eq!(d.app.engage.screen.pane, Pane::Outbox);
    assert!(d.screen().contains("Standard dunning / Firm"));
    // Marks: two at once (of everyone's: alice's other one, Acme, paid after the plan's date).
    d.press("[ [ [ m g g <Space> <Space> s");
    let flow = send_flow(&d);
    assert_eq!(flow.send_keys.len(), 2);
    d.press("y <Esc>");
    assert_eq!(mail.sent().len(), 3);
    assert!(d.app.engage.screen.marks.is_empty());
}

#[test]
fn failed_and_pending_reminders_show_in_the_outbox_with_their_errors() {
    let f = fixture();
    f.execute(
        "INSERT INTO reminders (cid, at, collector, cycle, reminder, to_addr, subject, body, status, error)
         SELECT cid, '2026-04-29T08:00:00Z', 'alice', 'Standard dunning', 'Firm', 'ap@acme.example',
                'Overdue', 'text', 'failed', '550 mailbox unavailable' FROM customers WHERE id = 'K6';
         INSERT INTO reminders (cid, at, collector, cycle, reminder, to_addr, subject, body, status, error)
         SELECT cid, '2026-04-29T08:00:01Z', 'alice', 'Standard dunning', 'Final', 'keiri@tokyo.example',
                'Final notice', 'text', 'pending', 'delivery unknown: connection reset' FROM customers WHERE id = 'K4';",
    );
    let screen = f.alices_outbox((120, 40));
    assert_contains_all(
        &screen,
        &[
            " Outbox 2 ",
            "550 mailbox unavailable",
            "delivery unknown: connection reset",
        ],
    );
    snapshot::assert("engage_outbox_120x40", &screen);
}

/// The outbox's `#` column is as wide as the widest id it lists, at 160 columns as at 80:
/// `owed engage release ID` takes it. Five columns cut the 100,000-customer demo's ids to
/// `1210…`.
#[test]
fn the_outbox_shows_every_reminder_id_whole() {
    let f = fixture();
    f.record_sent(&[
        "121039,K2,2026-04-28,Firm,ap@example.com,Overdue",
        "99990,K6,2026-04-27,Friendly,ap@acme.example,Friendly reminder",
    ]);
    for size in [(160, 40), (80, 24)] {
        let screen = f.alices_outbox(size);
        assert_contains_all(&screen, &["121039 sent ", " 99990 sent ", "     1 sent "]);
        assert!(!screen.contains("1210…"), "{screen}");
        if size.0 == 80 {
            snapshot::assert("engage_outbox_80x24", &screen);
        }
    }
}

#[test]
fn the_report_pane_shows_what_the_reminders_achieved() {
    let f = fixture();
    // Two more reminders sent earlier: Kite's partly paid since, Acme promised within 7 days.
    let sent = sent_reminders(&[
        "50,K1,2026-04-01,Friendly,ap@kite.example,Friendly reminder",
        "51,K6,2026-04-10,Firm,ap@acme.example,Overdue",
    ]);
    let documents = "INSERT INTO reminder_documents (cycle, reminder, did, reminder_id, cycle_key,
                                          reminder_key)
         SELECT 'Standard dunning', 'Friendly', did, 50, 'standard dunning', 'friendly'
           FROM documents WHERE id = 'A1';
         INSERT INTO reminder_documents (cycle, reminder, did, reminder_id, cycle_key,
                                         reminder_key)
         SELECT 'Standard dunning', 'Firm', did, 51, 'standard dunning', 'firm'
           FROM documents WHERE id = 'F1';
         INSERT INTO reminder_documents (cycle, reminder, did, reminder_id, cycle_key,
                                         reminder_key)
         SELECT 'Standard dunning', 'Friendly', d.did, r.id, 'standard dunning', 'friendly'
           FROM documents d, reminders r
          WHERE d.id = 'B1' AND r.cycle = 'Standard dunning' AND r.reminder = 'Friendly'
            AND r.to_addr = 'buchhaltung@lumen.example';";
    f.execute(&workstation::with_day_numbers(&(sent + documents)));
    let (mut d, _mail) = f.driver("alice", (120, 40));
    d.press("E [");
    assert_eq!(d.app.engage.screen.pane, Pane::Report);
    let report = d.app.engage.screen.report.as_ref().unwrap();
    assert_eq!(report.total.sent, 3);
    assert_eq!(report.weeks.len(), 13);
    // Per cycle and week sent: the chart's bars and the cycle's sparkline.
    let sent: u64 = report.cycle_weeks.iter().map(|w| w.sent).sum();
    assert_eq!(sent, 3);
    assert!(
        d.screen().contains("Cycle, last 13 weeks"),
        "{}",
        d.screen()
    );
    snapshot::assert("engage_report_120x40", &d.screen());
    // At 80 columns the cycle's name is cut, not the reminder's: the rows stay apart.
    d.resize(80, 24);
    let screen = d.screen();
    for row in ["Standard d… / Firm", "Standa… / Friendly"] {
        assert!(screen.contains(row), "{row}: {screen}");
    }
    assert!(!screen.contains("more lines below"), "{screen}");
}

/// At 80×24 the Report pane's cycles of the last 13 weeks were cut without a word, the main
/// cycle among those cut (it came in the order of the names): the cycles that sent the most
/// come first now, and a table that does not fit says how much is below.
#[test]
fn the_report_pane_puts_the_busiest_cycle_first_and_says_what_does_not_fit() {
    let f = fixture();
    let mut sql = String::new();
    for (i, (cycle, n)) in [("Alpha", 1), ("Beta", 1), ("Gamma", 1), ("Omega", 3)]
        .iter()
        .enumerate()
    {
        for k in 0..*n {
            let id = 60 + i * 10 + k;
            let friendly = format!("{id},K1,2026-04-20,Friendly,ap@kite.example,Hi");
            sql +=
                &sent_reminders(&[&friendly]).replace("'Standard dunning'", &format!("'{cycle}'"));
        }
    }
    f.execute(&workstation::with_day_numbers(&sql));
    let (mut d, _mail) = f.driver("alice", (80, 24));
    d.press("E [");
    let screen = d.screen();
    let cycles: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains("Cycle, last 13"))
        .skip(1)
        .map_while(|l| l.trim_matches(|c| c == '"' || c == ' ').split(' ').next())
        .take_while(|w| !w.is_empty())
        .collect();
    assert_eq!(
        cycles,
        ["Omega", "Alpha", "Beta", "Gamma", "Standard"],
        "{screen}"
    );
    assert!(!screen.contains("more lines below"), "{screen}");
    d.resize(80, 19);
    d.assert_shows(&["more lines below: j scrolls"], &["it was sent."]);
    d.press("j j j j j j j j j j j j");
    d.assert_shows(&["it was sent."], &["more lines below"]);
}

/// On a terminal that draws in ASCII the report's "at most 7 days" reads `<=7d`, not `<7d`
/// (the cell-by-cell fallback of `≤`), which would say "less than".
#[test]
fn the_report_pane_in_ascii_says_at_most_with_two_signs() {
    let f = fixture();
    let (mut d, _mail) = f.driver("alice", (120, 40));
    d.app.ascii = true;
    d.press("E [");
    assert_eq!(d.app.engage.screen.pane, Pane::Report);
    let heads = [" Replied <=7d", "Promised<=7d", " Paid <=14d"];
    d.assert_shows(&heads, &["≤"]);
}

/// `r` waits on the plan that marks the reminder today's plan has for the customer (4 s on
/// the 100,000-customer demo, 19 s over SSH under load): the popup says so. It said
/// "Reading the templates…", which take a moment.
#[test]
fn the_picker_says_it_is_computing_the_plan_while_it_waits_for_it() {
    let f = fixture();
    let (mut d, _mail) = f.driver("alice", (80, 24));
    d.press("G");
    let fx = d.press_unanswered("r");
    assert_eq!(stage(&d), Some(Stage::Loading));
    let screen = d.screen();
    assert!(screen.contains("Computing today's plan"), "{screen}");
    assert!(!screen.contains("Reading the templates"), "{screen}");
    d.run(fx);
    assert_eq!(stage(&d), Some(Stage::Picker));
}

#[test]
fn picker_and_preview_snapshots() {
    let f = fixture();
    let (mut d, _mail) = f.driver("alice", (120, 40));
    let steps = [
        ("G r", "engage_picker_120x40"),
        ("<Enter>", "engage_preview_120x40"),
        ("s", "engage_confirm_120x40"),
    ];
    snapshot::assert_steps(&steps, |keys| {
        d.press(keys);
        d.screen()
    });
}

#[test]
fn without_cycles_the_popup_says_where_they_should_be_and_the_outbox_still_shows() {
    let f = fixture();
    std::fs::remove_dir_all(&f.cycles).unwrap();
    f.execute(
        "INSERT INTO reminders (cid, at, collector, cycle, reminder, to_addr, subject, body, status, error)
         SELECT cid, '2026-04-29T08:00:00Z', 'alice', 'Standard dunning', 'Firm', 'ap@acme.example',
                'Overdue', 'text', 'failed', '550 mailbox unavailable' FROM customers WHERE id = 'K6';",
    );
    let (mut d, _mail) = f.driver("alice", (120, 40));
    d.press("r");
    assert_eq!(stage(&d), Some(Stage::Done));
    let note = send_flow(&d).note.clone().unwrap();
    assert!(note.contains("no engagement cycles in"), "{note}");
    d.press("<Esc> E");
    let plan = d.app.engage.screen.plan.clone().unwrap();
    let error = plan.cycles_error.clone().unwrap();
    assert!(error.contains("no engagement cycles in"), "{error}");
    assert!(plan.entries.is_empty() && plan.skipped.is_empty());
    // The plan and skipped panes say why; the title counts no cycle.
    for pane in ["plan", "skipped"] {
        command(&mut d, &format!("engage {pane}"));
        let screen = d.screen();
        assert!(
            screen.contains("no engagement cycles in"),
            "{pane}:\n{screen}"
        );
        assert!(!screen.contains("0 cycles"), "{pane}:\n{screen}");
    }
    // A failed send is looked for in the outbox, whatever the cycles' state.
    command(&mut d, "engage outbox");
    assert_contains_all(&d.screen(), &[" Outbox 1 ", "550 mailbox unavailable"]);
    command(&mut d, "engage plan");
    // The footer does not offer them.
    assert_eq!(d.app.key_context(), KeyContext::Engage);
    let offered: Vec<String> = owed::tui::view::footer::hints(&d.app, KeyContext::Engage)
        .into_iter()
        .map(|(_, desc)| desc)
        .collect();
    for desc in ["Preview", "Send", "Mark"] {
        assert!(!offered.iter().any(|o| o.starts_with(desc)), "{offered:?}");
    }
    // Enter and s say there is nothing to preview or send, and start nothing.
    for key in ["<Enter>", "s"] {
        let effects = d.press(key);
        assert!(effects.is_empty(), "{key}: {effects:?}");
        assert!(d.app.engage.flow.is_none(), "{key}");
        assert_eq!(
            status_text(&d.app),
            "No reminder in the plan to preview or send."
        );
    }
}

#[test]
fn a_bad_rule_is_shown_with_its_caret_under_the_place_and_the_outbox_still_shows() {
    let f = fixture();
    std::fs::write(
        f.cycles.join("broken.toml"),
        "name = \"Broken\"\ncustomer = \"overdue >> 100\"\n\n[[reminder]]\nname = \"One\"\n\
         after_due_days = 1\ntemplate = \"templates/friendly.md\"\n",
    )
    .unwrap();
    let (mut d, _mail) = f.driver("alice", (120, 40));
    d.press("E");
    let error = plan_shown(&d).cycles_error.clone();
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("broken.toml, line 2")),
        "{error:?}"
    );
    let screen = d.screen();
    // Each line of the screen as drawn, without the backend's quotes.
    let lines: Vec<&str> = screen.lines().map(|l| l.trim_matches('"')).collect();
    let rule = lines
        .iter()
        .position(|l| l.trim() == "overdue >> 100")
        .expect(&screen);
    // The caret points at what is wrong on the rule's own line (the second `>`).
    let caret = lines[rule + 1].find('^').expect(&screen);
    assert_eq!(&lines[rule][caret..caret + 1], ">", "{screen}");
    command(&mut d, "engage outbox");
    assert!(d.screen().contains(" Outbox "), "{}", d.screen());
}

#[test]
fn an_auditor_or_another_collector_opening_a_reply_leaves_it_unread_for_its_collector() {
    use owed::workstation::Response;
    let f = fixture();
    let unread = || f.sql::<i64>("SELECT count(*) FROM replies WHERE read_at IS NULL");
    let lumen: i64 = f.sql("SELECT cid FROM customers WHERE id = 'K2'");
    // Lumen GmbH is bob's: carol audits, alice collects for others.
    for (who, role) in [("carol", Role::Auditor), ("alice", Role::Collector)] {
        let (mut d, effects) = opens_lumens_reply(&f, who, role);
        assert!(
            !effects
                .iter()
                .any(|e| matches!(e, Effect::Request(Request::MarkRepliesRead { .. }))),
            "{who}: {effects:?}"
        );
        assert_eq!(unread(), 1, "{who}");
        // Asked all the same (an older screen), the service marks nothing.
        let answers = d.source.handle_batch(vec![Request::MarkRepliesRead {
            cid: lumen,
            as_of: d.app.as_of,
        }]);
        assert!(
            answers
                .iter()
                .any(|a| matches!(a, Response::RepliesRead { marked: 0, .. })),
            "{who}: {answers:?}"
        );
        assert_eq!(unread(), 1, "{who}");
        still_in_the_tab(&mut d, who);
    }
    bob_reads_it(&f);
}

/// `who`, a `role`, opens Lumen GmbH (bob's customer) from the Replies tab of every
/// customer: the driver on its detail, and the effects of the Enter.
fn opens_lumens_reply(f: &Fixture, who: &str, role: Role) -> (Driver, Vec<Effect>) {
    let mut d = Driver::with_role(&f.db, who, role, (120, 40), "default");
    d.press("m 6");
    assert_eq!(d.names(), ["Lumen GmbH"], "{who}");
    let effects = d.press("<Enter>");
    assert_eq!(d.app.screen, Screen::Detail, "{who} reads it");
    (d, effects)
}

/// Back from the detail, Lumen's reply is still in the Replies tab.
fn still_in_the_tab(d: &mut Driver, who: &str) {
    d.press("<Esc>");
    assert_eq!(d.app.page.counts[5], 1, "{who}: still in the tab");
}

/// Bob, Lumen's collector, reads its reply: it leaves the tab, read.
fn bob_reads_it(f: &Fixture) {
    let mut d = Driver::with_role(&f.db, "bob", Role::Collector, (120, 40), "default");
    d.press("6 <Enter>");
    assert_eq!(
        f.sql::<i64>("SELECT count(*) FROM replies WHERE read_at IS NULL"),
        0
    );
}

/// A manager opening a reply of a customer a registered user owns only looks, as an auditor
/// does: the reply stays unread for its owner (it left bob's Replies tab, and `report team`
/// counted one reply less waiting for him, "read by dana"). Bob reading it marks it read.
#[test]
fn a_manager_opening_a_reply_leaves_it_unread_for_the_customers_owner() {
    let f = fixture();
    let unread = || f.sql::<i64>("SELECT count(*) FROM replies WHERE read_at IS NULL");
    workstation::register(
        &f.db,
        "dana",
        &[("dana", Role::Manager), ("bob", Role::Collector)],
    );
    let (mut d, _) = opens_lumens_reply(&f, "dana", Role::Manager);
    assert_eq!(unread(), 1, "still bob's to read");
    assert_eq!(
        f.sql::<i64>("SELECT count(*) FROM reply_readers"),
        0,
        "nobody read it"
    );
    still_in_the_tab(&mut d, "dana");
    bob_reads_it(&f);
}

/// A back-dated session opening a customer from the Replies tab marks read only the replies
/// its detail shows, those received by its date: one received later, never seen, stays in
/// the Replies tab of today.
#[test]
fn a_back_dated_session_leaves_later_replies_unread() {
    let f = fixture();
    let later = owed::domain::date::day_number(
        chrono::NaiveDate::parse_from_str(workstation::AS_OF, "%Y-%m-%d").unwrap()
            + chrono::Days::new(5),
    );
    f.execute(&format!(
        "INSERT INTO replies (cid, at, received_date, message_id, from_addr, subject, body, verified)
           SELECT cid, 'x', {later}, '<later@x>', from_addr, 'Re: later', 'We dispute it all.', 1
             FROM replies WHERE cid = (SELECT cid FROM customers WHERE id = 'K2') LIMIT 1;"
    ));
    let (mut d, _mail) = f.driver("bob", (120, 40));
    d.press("6 <Enter>");
    let unread =
        || f.sql::<String>("SELECT group_concat(subject) FROM replies WHERE read_at IS NULL");
    assert_eq!(unread(), "Re: later");
    d.press("<Esc>");
    assert_eq!(
        d.app.page.counts[5], 0,
        "none left as of the session's date"
    );
    keys::command(&mut d, "asof 2026-05-06");
    assert_eq!(d.app.page.counts[5], 1, "the later reply, unread");
}

#[test]
fn opening_a_customer_from_the_replies_tab_marks_its_replies_read() {
    let f = fixture();
    let (mut d, _mail) = f.driver("bob", (120, 40));
    assert_eq!(d.app.page.counts[5], 1, "Lumen's unread reply");
    d.press("6");
    assert_eq!(d.names(), ["Lumen GmbH"]);
    assert_eq!(d.app.page.rows[0].unread_replies, 1);
    assert!(
        d.screen().contains(" Repl 1 "),
        "the tab bar, short titles beside the detail"
    );
    // Moving over it (the detail beside shows it) does not mark it read; opening does.
    assert_eq!(
        f.sql::<i64>("SELECT count(*) FROM replies WHERE read_at IS NULL"),
        1
    );
    let effects = d.press("<Enter>");
    let lumen: i64 = f.sql("SELECT cid FROM customers WHERE id = 'K2'");
    assert!(effects.contains(&Effect::Request(Request::MarkRepliesRead {
        cid: lumen,
        as_of: d.app.as_of
    })));
    assert_eq!(
        f.sql::<i64>("SELECT count(*) FROM replies WHERE read_at IS NULL"),
        0
    );
    assert_eq!(d.app.screen, Screen::Detail);
    assert_eq!(d.app.page.counts[5], 0);
    assert_eq!(d.app.page.rows[0].unread_replies, 0);
    // The timeline shows the reply, with what they wrote.
    let timeline = &d.app.detail.as_ref().unwrap().detail.activity;
    let reply = timeline.iter().find(|e| e.kind.label() == "reply").unwrap();
    assert_eq!(
        reply.text,
        "Re: Invoice RE-2001 is overdue — Wir zahlen nächste Woche."
    );
    assert!(d.screen().contains("Wir zahlen nächste Woche."));
    // The detail lands on the reply (the collector came for it); at 40 rows the whole
    // detail fits, so it is not scrolled: the next test has a short screen.
    assert_eq!((d.app.timeline, d.app.detail_scroll), (None, 0));
    // Back on the queue the row stays until the list is read again; then it is gone.
    d.press("<Esc>");
    assert!(d.screen().contains(" Repl 0 "));
    // Another tab and back: the queue is read again (its counts kept in step, no rebuild).
    let rebuilds = d
        .requests
        .iter()
        .filter(|r| matches!(r, Request::Summary { .. }))
        .count();
    d.press("2 6");
    assert_eq!(d.app.total(), 0);
    assert_eq!(d.app.page.counts[5], 0);
    d.press("m");
    assert_eq!(d.app.page.counts[5], 0, "everyone's count too");
    d.press("/ lumen <Enter>");
    assert_eq!(d.app.page.counts[5], 0, "and a filtered count");
    assert_eq!(
        d.requests
            .iter()
            .filter(|r| matches!(r, Request::Summary { .. }))
            .count(),
        rebuilds
    );
    d.press("<Esc> m R");
    assert_eq!(d.app.total(), 0);
    // Opening it again marks nothing more, and opens on the detail's top as from any tab.
    d.press("2");
    let effects = d.press("<Enter>");
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Request(Request::MarkRepliesRead { .. })))
    );
    assert_eq!((d.app.timeline, d.app.detail_scroll), (None, 0));
}

/// On a screen too short for the whole detail, opening from the Replies tab scrolls to the
/// reply; from another tab the detail opens at its top.
#[test]
fn a_reply_opened_from_its_tab_is_scrolled_into_view_on_a_short_screen() {
    let f = fixture();
    let (mut d, _mail) = f.driver("bob", (80, 20));
    d.press("2 /lumen <Enter> <Enter>");
    assert_eq!(d.app.screen, Screen::Detail);
    assert_eq!(d.app.detail_scroll, 0);
    assert!(!d.screen().contains("Wir zahlen"), "{}", d.screen());
    d.press("<Esc> <Esc> 6 <Enter>");
    assert_eq!(d.app.screen, Screen::Detail);
    let screen = d.screen();
    // Scrolled as far as the detail goes (the reply is its second last entry): the reply
    // is on screen.
    assert!(d.app.detail_scroll > 0, "{screen}");
    assert!(
        screen.contains(" reply ") && screen.contains("Wir zahlen"),
        "{screen}"
    );
    assert_eq!(d.app.timeline, None);
    // Esc goes straight back to the queue, for the next reply.
    d.press("<Esc>");
    assert_eq!(d.app.screen, Screen::Main);
}

#[test]
fn a_reply_from_an_unverified_sender_is_marked_in_the_replies_tab_and_the_timeline() {
    let f = fixture();
    f.execute(&workstation::with_day_numbers(
        "INSERT INTO replies (cid, at, received_date, message_id, in_reply_to, from_addr, subject,
                              body, verified)
         SELECT cid, '2026-04-24T12:00:00Z', {2026-04-24}, '<x@evil.example>', NULL,
                'billing@evil.example', 'Re: Invoice INV-100', 'Our bank details changed.', 0
           FROM customers WHERE id = 'K1';",
    ));
    let (mut d, _mail) = f.driver("alice", (120, 40));
    d.press("6");
    assert_eq!(d.names(), ["Kite Supplies"]);
    let row = &d.app.page.rows[0];
    assert_eq!((row.unread_replies, row.unverified_replies), (1, 1));
    // The row's flag is `?` (an unread reply from an unverified sender), not `R`.
    let screen = d.screen();
    let row = screen
        .lines()
        .find(|l| l.starts_with("\"  Kite Supplies"))
        .and_then(|l| l.split('│').next())
        .unwrap();
    assert!(
        row.trim_end().ends_with('?') && !row.contains(" R"),
        "{row}"
    );
    d.press("<Enter>");
    let timeline = &d.app.detail.as_ref().unwrap().detail.activity;
    let reply = timeline
        .iter()
        .find(|e| e.kind.label() == "reply (?)")
        .unwrap();
    assert_eq!(
        reply.text,
        "UNVERIFIED SENDER billing@evil.example: Re: Invoice INV-100 — Our bank details changed."
    );
    assert_contains_all(
        &d.screen(),
        &["reply (?)", "UNVERIFIED SENDER billing@evil.example"],
    );
    // It is not contact from the customer: the last contact stays the note of 2026-04-20.
    d.press("<Esc>");
    assert_eq!(
        d.app.page.rows[0].last_contact,
        Some(owed::domain::date::parse_iso("2026-04-20").unwrap())
    );
}

#[test]
fn a_reminder_that_named_no_documents_is_not_counted_as_paid() {
    let f = fixture();
    f.record_sent(&["60,K1,2026-04-01,Friendly,ap@kite.example,Friendly reminder"]);
    let store = owed::store::Store::open_existing(&f.db).unwrap();
    let outcomes = store
        .engagement()
        .reminder_outcomes(workstation::as_of())
        .unwrap();
    let none = outcomes.iter().find(|o| o.id == 60).unwrap();
    assert!(!none.paid);
}

#[test]
fn a_stale_ledger_sends_nothing_and_says_why() {
    let f = fixture();
    let (mut d, mail) = f.driver("alice", (120, 40));
    // As if the nightly import had stopped four weeks before the date shown.
    f.execute(&format!(
        "UPDATE imports SET at = '{}'",
        workstation::local_time("2026-04-01", "12:00")
    ));
    d.press("E j");
    // The screen says so before anything is tried.
    let screen = d.screen();
    assert!(
        screen.contains("nothing is sent: ledger imported 2026-04-01, 29 days before"),
        "{screen}"
    );
    let outbox_before = d.app.engage.screen.plan.as_ref().unwrap().outbox.clone();
    d.press("s");
    assert_eq!(stage(&d), Some(Stage::Confirm));
    d.press("y");
    assert!(mail.sent().is_empty(), "nothing went out");
    let note = send_flow(&d).note.clone().unwrap_or_default();
    assert!(
        note.starts_with("the ledger was last imported on 2026-04-01, 29 days before 2026-04-30"),
        "{note}"
    );
    assert!(note.ends_with("nothing was sent"), "{note}");
    d.press("<Esc>");
    let plan = d.app.engage.screen.plan.as_ref().unwrap();
    assert_eq!(plan.outbox, outbox_before, "nothing claimed");
    // A reminder picked by hand (r) is refused the same way.
    d.press("<Esc> r <Enter> s");
    assert_eq!(stage(&d), Some(Stage::Confirm));
    d.press("y");
    assert!(mail.sent().is_empty());
    let note = send_flow(&d).note.clone().unwrap_or_default();
    assert!(note.contains("last imported on 2026-04-01"), "{note}");
}

/// On a narrow terminal the preview's To, Subject and About values wrap under themselves: the
/// whole name, address and subject are read before sending (they were cut with no sign).
#[test]
fn a_narrow_preview_wraps_the_address_and_subject_rather_than_cut_them() {
    let f = fixture();
    f.execute(
        "UPDATE customers SET name = 'Tanaka & Nguyen Corporation of the Greater Metro Area',
                              email = 'finance.department@tanaka-nguyen.example'
          WHERE id = 'K6'",
    );
    let (mut d, _mail) = f.driver("alice", (60, 16));
    d.press("/ tanaka <Enter> r <Enter>");
    assert_eq!(stage(&d), Some(Stage::Preview));
    let item = send_flow(&d).current().expect("a preview").clone();
    let mail = item.mail.as_ref().expect("a mail");
    let screen = d.screen();
    let shown = format!("{} <{}> {}", item.name, mail.to, mail.subject);
    for word in shown.split_whitespace() {
        assert!(screen.contains(word), "{word}:\n{screen}");
    }
}

/// `:hold release` on a customer never held says what `owed engage hold` says, and writes
/// nothing (it said "Released 1 customer(s)" and wrote a release).
#[test]
fn a_release_of_a_customer_not_held_says_so_and_writes_nothing() {
    let f = fixture();
    let (mut d, _mail) = f.driver("alice", (120, 40));
    assert_eq!(d.selected().as_deref(), Some("Acme Corp"));
    command(&mut d, "hold release");
    assert_eq!(status(&d), "Acme Corp (K6) was not held; nothing changed.");
    assert_eq!(f.sql::<i64>("SELECT count(*) FROM engagement_holds"), 0);
    // Held, then released: the release is written, naming the customer.
    command(&mut d, "hold +7d");
    assert!(
        status(&d).starts_with("Held Acme Corp (K6) back from every cycle until "),
        "{}",
        status(&d)
    );
    command(&mut d, "hold release");
    assert_eq!(
        status(&d),
        "Released Acme Corp (K6): back in the cycles (back-dated to 2026-04-30)."
    );
    assert_eq!(f.sql::<i64>("SELECT count(*) FROM engagement_holds"), 2);
    // Released twice: nothing to release the second time.
    command(&mut d, "hold release");
    assert_eq!(status(&d), "Acme Corp (K6) was not held; nothing changed.");
    assert_eq!(f.sql::<i64>("SELECT count(*) FROM engagement_holds"), 2);
}

/// The plan the engagement screen shows (there must be one).
fn plan_shown(d: &Driver) -> &owed::workstation::engage::PlanData {
    d.app.engage.screen.plan.as_ref().expect("a plan shown")
}

/// The engagement requests among `effects` that ask for the plan.
fn plan_requests(effects: &[Effect]) -> Vec<EngageRequest> {
    workstation::engage_requests_in(effects, |r| matches!(r, EngageRequest::Plan { .. }))
}

/// Another session's save or another process's commit (a hold from the command line, here)
/// reaches the engagement screen: the figures the service sends unasked mark the plan out of
/// date in the title, and it is asked for again — one request in flight at a time, at most one
/// every `REFRESH_INTERVAL` (deferred, never dropped) — with the cursor on the same reminder.
/// It had kept the plan of before, and said nothing, until `R`.
#[test]
fn the_engagement_screen_follows_commits_and_says_while_its_plan_is_out_of_date() {
    use owed::tui::engage::screen::REFRESH_INTERVAL;
    use owed::tui::update;
    use owed::workstation::Response;
    use std::time::Duration;
    let f = fixture();
    let (mut d, _mail) = f.driver("alice", (120, 40));
    let summary = d.app.summary.clone().expect("the figures");
    let news = || Response::Summary(Box::new(summary.clone()));
    let selected = |d: &Driver| -> String {
        let s = &d.app.engage.screen;
        s.plan.as_ref().unwrap().entries[s.cursor[Pane::Plan.index()]]
            .key
            .customer_id
            .clone()
    };
    // Off the screen nothing is asked.
    assert!(plan_requests(&update::response(&mut d.app, news())).is_empty());
    d.press("E m j");
    let last = selected(&d);
    let keys = |d: &Driver| -> Vec<String> {
        let plan = d.app.engage.screen.plan.as_ref().unwrap();
        plan.entries
            .iter()
            .map(|r| r.key.customer_id.clone())
            .collect()
    };
    let before = keys(&d);
    assert_eq!(before[0], "K4", "{before:?}");
    assert!(before.len() > 2, "{before:?}");
    assert_ne!(last, "K4");
    let opened = d.app.engage.screen.last.expect("asked when opened");
    assert!(!d.screen().contains("out of date"));

    // Another process holds Final's customer (K4), above the row selected.
    f.execute(&workstation::with_day_numbers(
        "INSERT INTO engagement_holds (cid, at, collector, until_date, text)
         SELECT cid, '2026-04-30T08:00:00Z', 'dana', {2026-05-07}, 'from the shell'
           FROM customers WHERE id = 'K4'",
    ));
    d.app.now = opened + Duration::from_secs(1);
    assert!(plan_requests(&update::response(&mut d.app, news())).is_empty());
    assert!(
        d.screen()
            .contains("Engagement · as of 2026-04-30 · out of date, updating…"),
        "{}",
        d.screen()
    );
    assert_eq!(update::wake_at(&d.app), Some(opened + REFRESH_INTERVAL));
    assert!(plan_requests(&update::tick(&mut d.app)).is_empty());
    d.app.now = opened + REFRESH_INTERVAL;
    let asked = update::tick(&mut d.app);
    assert_eq!(plan_requests(&asked).len(), 1, "{asked:?}");
    // While it is computed, more news asks nothing more.
    d.app.now += REFRESH_INTERVAL * 2;
    for _ in 0..5 {
        assert!(plan_requests(&update::response(&mut d.app, news())).is_empty());
    }
    assert_eq!(update::wake_at(&d.app), None);
    d.run(asked);
    // The answer lands: K4 held, the cursor on the same reminder.
    let s = &d.app.engage.screen;
    let plan = s.plan.as_ref().unwrap();
    assert!(plan.entries.iter().all(|r| r.key.customer_id != "K4"));
    assert_eq!(plan.held.len(), 1);
    assert_eq!(keys(&d).len(), before.len() - 1);
    assert_eq!(selected(&d), last);
    assert!(!d.app.engage.screen.stale);
    assert_eq!(update::wake_at(&d.app), None);
    assert!(!d.screen().contains("out of date"), "{}", d.screen());
    assert!(d.screen().contains(" Held 1 "), "{}", d.screen());
    // Left: news asks nothing.
    d.press("<Esc>");
    d.app.now += REFRESH_INTERVAL * 2;
    assert!(plan_requests(&update::response(&mut d.app, news())).is_empty());
    assert_eq!(update::wake_at(&d.app), None);
}

/// A pending reminder without an error (a live run's claim, or one whose run ended before it
/// recorded the delivery) says both, the live case first, whole at 120 columns: the pane said
/// `maybe delivered: its run ended before it recorded the…` during a run from the command
/// line, its qualifier `(unless a run is sending it now)` cut.
#[test]
fn a_pending_reminder_without_an_error_says_it_may_be_sending_now_whole_at_120_columns() {
    let f = fixture();
    f.execute(
        "INSERT INTO reminders (id, cid, at, collector, cycle, reminder, to_addr, subject, body, status)
         SELECT 2477, cid, '2026-04-29T08:00:00Z', 'dana', 'Standard dunning', 'Final',
                'keiri@tokyo.example', 'Final notice', 'text', 'pending'
           FROM customers WHERE id = 'K4';",
    );
    let screen = f.alices_outbox((120, 36));
    let line = common::line_where(&screen, |l| l.contains("2477"));
    assert_contains_all(
        line,
        &["being sent now, or maybe delivered by a run that ended"],
    );
}

/// Sending a planned reminder now runs the cycles, a manager's: from its preview a collector
/// or an auditor is neither offered `s` nor `Enter` on to "Send this planned reminder now?",
/// and either key is refused at once, in the sentence `s` on the plan says (they reached the
/// confirmation, refused only after `y`).
#[test]
fn a_planned_reminders_preview_offers_sending_it_only_to_a_manager() {
    let f = fixture();
    for (who, role) in [("bob", Role::Collector), ("carol", Role::Auditor)] {
        let mail = Recorder::default();
        let config = workstation::engage_config(&f.cycles, 2525);
        let mut d = Driver::with_role(&f.db, who, role, (120, 40), "default");
        d.engage = Some(workstation::engage_source(
            &f.db,
            who,
            config,
            mail.factory(),
        ));
        d.press("E m");
        assert!(!plan_shown(&d).entries.is_empty());
        // On the plan, `s` is refused at once and not offered.
        assert!(!d.offered().contains(&"Send now…".to_string()), "{who}");
        d.press("s");
        assert_eq!(stage(&d), None, "{who}");
        let refused = status(&d);
        assert!(
            refused.starts_with(&format!("{who} ({role}) may not run engagement cycles")),
            "{who}: {refused}"
        );
        // The preview shows the email, and offers no way on to sending it.
        d.press("<Enter>");
        assert_eq!(stage(&d), Some(Stage::Preview), "{who}");
        assert_eq!(d.app.key_context(), KeyContext::Send);
        let keys = d.offered();
        assert!(
            !keys.contains(&"Send…".to_string()) && !keys.contains(&"Choose / go on".to_string()),
            "{who}: {keys:?}"
        );
        assert!(
            keys.contains(&"Next customer".to_string()),
            "{who}: {keys:?}"
        );
        for key in ["s", "<Enter>"] {
            let effects = d.press(key);
            assert_eq!(stage(&d), Some(Stage::Preview), "{who} {key}");
            assert!(sends(&effects).is_empty());
            assert_eq!(status(&d), refused, "{who} {key}");
        }
        d.press("<Esc>");
        assert_eq!(stage(&d), None);
        assert!(mail.sent().is_empty());
    }
    // A manager goes on to the confirmation.
    let (mut d, _) = f.driver("dana", (120, 40));
    d.press("E <Enter>");
    assert!(d.offered().contains(&"Send…".to_string()));
    d.press("s");
    assert_eq!(stage(&d), Some(Stage::Confirm));
}

/// A planned reminder that left the plan after it was shown says why it was not sent, as
/// `owed engage run`'s `withdrawn …: why` does (it said "sent meanwhile, settled, paused or
/// held" whatever the cause), and names the plan by its date when it is not today's.
#[test]
fn a_planned_reminder_gone_from_the_plan_says_why_and_of_which_date() {
    let f = fixture();
    let (mut d, mail) = f.driver("alice", (120, 40));
    d.press("E m");
    let keys: Vec<String> = plan_shown(&d)
        .entries
        .iter()
        .map(|r| {
            format!(
                "{} / {} for {}",
                r.key.cycle, r.key.reminder, r.key.customer_id
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            "Standard dunning / Final for K4",
            "Standard dunning / Firm for K1",
            "Standard dunning / Firm for K10",
            "Standard dunning / Friendly for K2"
        ]
    );
    // Meanwhile, in another session: Kite (K1) promises to pay by 8 May, Orion (K4) is held
    // back, and Lumen's (K2) invoice is disputed.
    let mut store = owed::store::Store::open_existing(&f.db).unwrap();
    workstation::promise(&mut store, "2026-04-30", "K1", "60", "2026-05-08", &[]);
    workstation::hold(
        &mut store,
        "2026-04-30",
        "K4",
        "2026-05-07",
        Some("on holiday\nback in May"),
    );
    let lumen: Vec<String> = {
        let conn = rusqlite::Connection::open(&f.db).unwrap();
        let mut q = conn
            .prepare(
                "SELECT d.id FROM documents d JOIN customers c ON c.cid = d.cid
                  WHERE c.id = 'K2' ORDER BY d.id",
            )
            .unwrap();
        q.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let docs: Vec<&str> = lumen.iter().map(String::as_str).collect();
    workstation::dispute(&mut store, "2026-04-30", "K2", "10", &docs);
    // K4, K1 and K2 marked, and sent.
    d.press("g g <Space> <Space> j <Space> s y");
    let lines: Vec<String> = send_flow(&d)
        .outcomes
        .iter()
        .map(owed::tui::engage::send::outcome_line)
        .collect();
    let plan = "is no longer in the plan of 2026-04-30";
    assert_eq!(
        lines,
        [
            format!(
                "Not sent to K4: Standard dunning / Final for K4 {plan}: held back from \
                 engagement until 2026-05-07 by alice: on holiday↵back in May"
            ),
            format!(
                "Not sent to K1: Standard dunning / Firm for K1 {plan}: promised to pay by \
                 2026-05-08"
            ),
            // Its one document, B1, by the number Lumen knows it by.
            format!(
                "Not sent to K2: Standard dunning / Friendly for K2 {plan}: RE-2001 paid or \
                 disputed since"
            ),
        ]
    );
    assert!(mail.sent().is_empty());
}

/// A collector's `r` on a customer a manager holds back from the cycles says so in the
/// picker, as the plan does (held until when, by whom, why): the picker and the preview
/// said nothing of it. A reminder by hand still goes.
#[test]
fn the_reminder_picker_says_a_customer_is_held_back() {
    let f = fixture();
    let mut store = owed::store::Store::open_existing(&f.db).unwrap();
    workstation::hold(
        &mut store,
        "2026-04-30",
        "K2",
        "2026-05-07",
        Some("waiting for the PO\u{1b}[2J"),
    );
    let mail = Recorder::default();
    let config = workstation::engage_config(&f.cycles, 2525);
    let mut d = Driver::with_role(&f.db, "bob", Role::Collector, (120, 40), "default");
    d.engage = Some(workstation::engage_source(
        &f.db,
        "bob",
        config,
        mail.factory(),
    ));
    d.press("/ lumen <Enter>");
    assert_eq!(d.selected().as_deref(), Some("Lumen GmbH"));
    d.press("r");
    assert_eq!(stage(&d), Some(Stage::Picker));
    let note = "Lumen GmbH (K2) is held back from engagement until 2026-05-07 by alice: \
                waiting for the PO␛[2J";
    assert_eq!(send_flow(&d).held, [note]);
    let screen = d.screen();
    assert!(
        screen.contains("Lumen GmbH (K2) is held back from engagement until 2026-05-07 by"),
        "{screen}"
    );
    assert!(screen.contains("waiting for the PO␛[2J"), "{screen}");
    // The templates are listed below it, and one still goes on to its preview.
    assert!(screen.contains("Template"), "{screen}");
    d.press("<Enter>");
    assert_eq!(stage(&d), Some(Stage::Preview));
    // A customer not held: no such line.
    d.press("<Esc> <Esc> <Esc> / kite <Enter>");
    let (mut dana, _) = f.driver("dana", (120, 40));
    dana.press("m / kite <Enter> r");
    assert_eq!(stage(&dana), Some(Stage::Picker));
    assert!(send_flow(&dana).held.is_empty());
    assert!(!dana.screen().contains("held back"));
}

/// A planned reminder sent from the engagement screen by a manager was signed with the
/// manager's name, though it reaches alice's customer: it is signed by the customer's finance
/// owner, in the preview as in the email, and the activity keeps who sent it beside.
#[test]
fn a_planned_reminder_is_signed_by_the_customers_owner_whoever_sends_it() {
    let f = fixture();
    let (mut d, mail) = f.driver("dana", (120, 40));
    d.press("E <Enter>");
    let item = send_flow(&d).current().unwrap().clone();
    let owner: String = f.sql(&format!(
        "SELECT finance_owner FROM customers WHERE id = '{}'",
        item.customer_id
    ));
    assert_eq!(owner, "alice", "{}", item.customer_id);
    let signature = |text: &str| text.trim_end().lines().last().unwrap().to_string();
    let previewed = item.mail.unwrap().text;
    assert_eq!(signature(&previewed), "alice", "{previewed}");
    d.press("s y");
    assert_eq!(mail.sent().len(), 1);
    let (by, signed, body): (String, String, String) = {
        let conn = rusqlite::Connection::open(&f.db).unwrap();
        conn.query_row(
            "SELECT r.collector, s.name, r.body FROM reminders r
               JOIN reminder_signers s ON s.reminder_id = r.id ORDER BY r.id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    assert_eq!((by.as_str(), signed.as_str()), ("dana", "alice"));
    assert_eq!(body, previewed, "what was sent is what was shown");
}

/// The Outbox pane at the workstation's date listed reminders of runs dated after it, and
/// dated a pending reminder of a back-dated run by the clock of its claim (December) though
/// the sent ones of that run show their run's date: as of a date it lists what existed then,
/// each row on its run's date.
#[test]
fn the_outbox_pane_lists_the_runs_of_its_date_or_before_on_their_run_dates() {
    let f = fixture();
    let mut sql = sent_reminders(&[
        "70,K2,2026-04-28,Firm,ap@example.com,Overdue",
        "80,K6,2026-05-02,Friendly,ap@acme.example,Friendly reminder of May",
    ]);
    sql.push_str(
        "INSERT INTO reminders (id, cid, at, collector, cycle, reminder, to_addr, subject, body,
                                status, run_date)
         SELECT 90, cid, '2026-12-07T16:18:26Z', 'alice', 'Standard dunning', 'Final',
                'keiri@tokyo.example', 'Final notice', 'text', 'pending', {2026-04-20}
           FROM customers WHERE id = 'K4';
         INSERT INTO reminders (id, cid, at, collector, cycle, reminder, to_addr, subject, body,
                                status, run_date)
         SELECT 100, cid, '2026-12-07T16:19:00Z', 'alice', 'Standard dunning', 'Final',
                'ap@moss.example', 'Final notice of May', 'text', 'pending', {2026-05-03}
           FROM customers WHERE id = 'K3';",
    );
    f.execute(&workstation::with_day_numbers(&sql));
    let screen = f.alices_outbox((120, 40));
    assert_contains_all(&screen, &[" Outbox 1 ", "2026-04-28", "2026-04-20"]);
    for later in ["of May", "2026-12-07", "2026-05-0"] {
        assert!(!screen.contains(later), "{later}: {screen}");
    }
}
