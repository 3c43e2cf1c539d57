//! The team screen (issue 17, point 4): a manager's `:team` shows `owed report team`'s
//! figures per collector, computed by the service; a collector's is refused by the service
//! (one sentence on the footer), whatever sends the request.

mod common;
mod snapshot;
mod workstation;

use owed::domain::money::{grouped, plain};
use owed::domain::team::CollectorFigures;
use owed::domain::users::{Actor, Role};
use owed::tui::app::Screen;
use owed::tui::team::REFRESH_INTERVAL;
use owed::tui::update::{self, Effect};
use owed::workstation::{Answer, Request, Response, ServiceSettings, Workstation};
use std::path::Path;
use std::time::{Duration, Instant};
use workstation::{AS_OF, Driver};

/// `owed report team --json` on the database, as of the fixture's date.
fn report_json(dir: &Path, db: &Path) -> serde_json::Value {
    common::json_of(&common::owed_db(
        dir,
        db,
        &["--as-of", AS_OF, "report", "team", "--json"],
    ))
}

/// Dana's (a manager's) team screen of `size`, on the fixture database after `sql`.
fn team_screen_after(sql: &str, size: (u16, u16)) -> (tempfile::TempDir, Driver) {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    common::execute(&db, sql);
    let mut d = Driver::new(&db, "dana", size);
    d.press("M");
    (dir, d)
}

/// The collectors' rows of the JSON, with the screen's row of the same collector next to
/// each: every figure the JSON gives equals the screen's.
fn assert_same_rows(json: &serde_json::Value, rows: &[CollectorFigures]) {
    let listed = json["collectors"].as_array().unwrap();
    assert_eq!(listed.len(), rows.len(), "{json}");
    for (j, r) in listed.iter().zip(rows) {
        let who = &r.collector;
        assert_eq!(j["collector"], *who);
        let n = |key: &str| j[key].as_u64().unwrap_or_else(|| panic!("{key}: {j}"));
        assert_eq!(n("customers_assigned"), r.customers_assigned, "{who}");
        assert_eq!(n("customers_overdue"), r.customers_overdue, "{who}");
        assert_eq!(j["overdue"], plain(r.overdue, "USD"), "{who}");
        assert_eq!(n("touched_today"), r.touched_today, "{who}");
        assert_eq!(n("touched_this_week"), r.touched_this_week, "{who}");
        assert_eq!(n("calls"), r.calls, "{who}");
        assert_eq!(n("promises_taken"), r.promises_taken, "{who}");
        assert_eq!(n("promises_kept"), r.promises_kept, "{who}");
        assert_eq!(n("promises_broken"), r.promises_broken, "{who}");
        assert_eq!(
            j["kept_share"].as_str().map(str::to_string),
            r.kept_share.map(|s| format!("{s:.1}")),
            "{who}"
        );
        assert_eq!(
            j["paid_within_14_days_of_touch"],
            plain(r.paid_after_touch, "USD"),
            "{who}"
        );
        assert_eq!(
            n("broken_promises_without_followup"),
            r.broken_without_followup,
            "{who}"
        );
        assert_eq!(n("replies_waiting"), r.replies_waiting, "{who}");
        assert_eq!(n("notes"), r.notes, "{who}");
        assert_eq!(n("disputes_opened"), r.disputes_opened, "{who}");
        assert_eq!(n("disputes_resolved"), r.disputes_resolved, "{who}");
        assert_eq!(n("reminders_by_hand"), r.reminders_by_hand, "{who}");
        assert_eq!(n("reminders_by_runs"), r.reminders_by_runs, "{who}");
    }
}

/// The screen's line that starts with the collector's name.
fn line_of<'a>(screen: &'a str, name: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.trim_start_matches('"').starts_with(&format!(" {name} ")))
        .unwrap_or_else(|| panic!("no row of {name}:\n{screen}"))
}

#[test]
fn a_managers_team_screen_shows_the_figures_of_report_team() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let json = report_json(dir.path(), &db);
    let mut d = Driver::new(&db, "dana", (120, 40));
    d.press(":team <Enter>");
    assert_eq!(d.app.screen, Screen::Team);
    assert!(
        d.requests
            .iter()
            .any(|r| matches!(r, Request::Team { as_of, .. } if as_of.to_string() == AS_OF))
    );
    let report = d.app.team.report.clone().expect("the team's figures");
    assert_same_rows(&json, &report.collectors);
    // The fixture: alice owns eight customers, bob one (with the unread reply), carol one.
    let names: Vec<&str> = report
        .collectors
        .iter()
        .map(|c| c.collector.as_str())
        .collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    assert_eq!(report.collectors[0].customers_assigned, 8);
    assert_eq!(report.collectors[1].replies_waiting, 1);
    assert_eq!(report.collectors[0].promises_taken, 2);

    // What is drawn: each row's figures, right-aligned in their columns, and the totals.
    let screen = d.screen();
    snapshot::assert("team_120x40", &screen);
    for c in &report.collectors {
        let line = line_of(&screen, &c.collector);
        assert!(
            line.contains(&grouped(c.overdue, "USD")),
            "{line}\n{screen}"
        );
        let share = c.kept_share.map_or("–".to_string(), |s| format!("{s:.1}%"));
        assert!(line.contains(&share), "{line}");
    }
    let total = line_of(&screen, "total");
    assert!(
        total.contains(&grouped(report.totals.overdue, "USD")),
        "{total}"
    );
    assert_eq!(report.totals.customers_assigned, 10);

    // j moves to bob; Enter shows the queue of bob's customers.
    d.press("j <Enter>");
    assert_eq!(d.app.screen, Screen::Main);
    assert_eq!(d.app.query.filter.text, "owner:bob");
    assert_eq!(d.names(), ["Lumen GmbH"]);
    // M opens it again, on the same figures; Esc goes back to the queue.
    d.press("M");
    assert_eq!(d.app.screen, Screen::Team);
    d.press("<Esc>");
    assert_eq!(d.app.screen, Screen::Main);
    // Another date on the team screen: its figures are counted again, as of that date.
    d.press("M :asof <Space> 2026-04-27 <Enter>");
    assert_eq!(d.app.screen, Screen::Team);
    let earlier = d.app.team.report.clone().unwrap();
    assert_eq!(earlier.period.as_of.to_string(), "2026-04-27");
    assert!(d.screen().contains("Team as of 2026-04-27"));
    // alice's promise of 28 April is not taken yet then.
    assert_eq!(earlier.collectors[0].promises_taken, 1);
    d.press("q");
    assert_eq!(d.app.screen, Screen::Main);
    assert!(
        !d.app.quit,
        "q goes back from the team screen, it does not quit"
    );
}

#[test]
fn a_collectors_team_request_is_refused_by_the_service_with_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let mut d = Driver::with_role(&db, "alice", Role::Collector, (120, 40), "default");
    for keys in [":team <Enter>", "M"] {
        let before = d.requests.len();
        d.press(keys);
        // The screen asked: the refusal is the service's.
        assert!(
            d.requests[before..]
                .iter()
                .any(|r| matches!(r, Request::Team { .. })),
            "{keys}"
        );
        assert_eq!(d.app.screen, Screen::Main, "{keys}");
        assert!(d.app.team.report.is_none());
        let footer = d.screen().lines().last().unwrap().to_string();
        assert!(
            footer.contains(
                "alice (collector) may not see the team's figures: the team screen is for managers"
            ),
            "{footer}"
        );
    }
    // At 80 columns the sentence does not fit the footer's line: the footer takes a second
    // row for it, read whole, and gives it back at the next key.
    d.resize(80, 24);
    d.press("M");
    let screen = d.screen();
    let lines: Vec<&str> = screen.lines().map(|l| l.trim_matches('"').trim()).collect();
    let said = lines[lines.len() - 2..].join(" ");
    assert_eq!(
        said, "alice (collector) may not see the team's figures: the team screen is for managers",
        "{screen}"
    );
    d.press("j");
    assert!(!d.screen().contains("team screen is for managers"));
}

#[test]
fn the_service_answers_the_team_request_only_to_managers_and_auditors() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let mut settings = ServiceSettings::from_config(&owed::config::Config::default()).unwrap();
    settings.settings = workstation::settings();
    let ws = Workstation::open(&db, settings).unwrap();
    let ask = |actor: Actor| {
        let session = ws.connect(actor);
        session
            .send(Request::Team {
                seq: 7,
                as_of: workstation::as_of(),
            })
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            match session.recv_timeout(Duration::from_millis(200)) {
                Some(Answer::Data(Response::Team { seq: 7, report })) => return report,
                Some(Answer::Data(Response::Error(e))) => panic!("database: {e}"),
                _ => {}
            }
        }
        panic!("no answer to the team request");
    };
    let refused = ask(Actor::new("alice", Role::Collector)).unwrap_err();
    assert_eq!(
        refused,
        "alice (collector) may not see the team's figures: the team screen is for managers"
    );
    let json = report_json(dir.path(), &db);
    for actor in [
        Actor::new("dana", Role::Manager),
        Actor::new("carol", Role::Auditor),
    ] {
        let report = ask(actor).expect("a manager's and an auditor's answer");
        assert_same_rows(&json, &report.collectors);
    }
}

/// Names come from the database: a finance owner's control characters are drawn visible,
/// never sent to the terminal, and the row keeps its columns.
/// On a terminal that draws in ASCII "paid within 14 days" reads `<=14d`, not `<14d`.
#[test]
fn in_ascii_the_paid_column_says_at_most_with_two_signs() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let mut d = Driver::new(&db, "dana", (160, 40));
    d.app.ascii = true;
    d.press("M");
    d.assert_shows(&["Paid <=14d"], &["≤"]);
}

#[test]
fn a_hostile_owner_name_is_drawn_visible() {
    let sql = "UPDATE customers SET finance_owner = 'ev\u{1b}[2Jil\u{202e}' WHERE id = 'K10'";
    let (_dir, d) = team_screen_after(sql, (120, 40));
    assert_eq!(d.app.screen, Screen::Team);
    let buffer = d.buffer();
    let cells: String = buffer.content().iter().map(|c| c.symbol()).collect();
    assert!(!cells.contains('\u{1b}') && !cells.contains('\u{202e}'));
    let screen = d.screen();
    let row = common::line_where(&screen, |l| l.contains("ev") && l.contains("il"));
    assert!(row.contains("700.00"), "{row}");
}

/// Only the rows that fit are drawn, the totals stay below them, the selection scrolls into
/// view; a narrow terminal leaves the least needed columns out, a too small one shows the
/// usual note.
#[test]
fn the_rows_that_fit_and_the_columns_that_fit() {
    // Ten collectors: each of K1…K9 to one of its own, K10 stays carol's.
    let sql = "UPDATE customers SET finance_owner = 'c' || substr('0' || substr(id, 2), -2)
               WHERE id != 'K10'";
    let (_dir, mut d) = team_screen_after(sql, (80, 16));
    // And alice, who touched customers this week, and bob, who signed K2's reminder of 22
    // April (in the window).
    assert_eq!(d.app.team.rows(), 12);
    let screen = d.screen();
    // 16 rows: title bar, section title, header, 9 rows, rule, totals, unassigned, footer.
    let names = [
        "alice", "bob", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09",
    ];
    let shown: Vec<&str> = names
        .into_iter()
        .filter(|n| screen.contains(&format!(" {n} ")))
        .collect();
    assert_eq!(shown, names[..9], "{screen}");
    assert!(screen.contains(" total "), "{screen}");
    assert!(
        screen.contains("Overdue") && !screen.contains("Today"),
        "{screen}"
    );
    d.press("G");
    let screen = d.screen();
    assert_eq!(d.app.team.cursor, 11);
    assert!(
        screen.contains(" carol ") && !screen.contains(" c01 "),
        "{screen}"
    );
    assert!(screen.contains(" total "), "{screen}");
    d.press("g g");
    assert!(d.screen().contains(" alice "));
    d.resize(50, 12);
    assert!(d.screen().contains("Terminal too small"));
}

/// The team requests among `effects`.
fn team_requests(effects: &[Effect]) -> Vec<Request> {
    workstation::requests_in(effects, |r| matches!(r, Request::Team { .. }))
}

/// The collector under the team screen's cursor.
fn selected_collector(d: &Driver) -> String {
    let report = d.app.team.report.as_ref().expect("the team's figures");
    report.collectors[d.app.team.cursor].collector.clone()
}

/// The team screen refreshes itself: the figures the service sends unasked (after a save, or
/// another process's commit) make it ask for the team's figures again — on the screen only,
/// one request in flight at a time (news meanwhile asks once more when the answer lands), at
/// most one every [`REFRESH_INTERVAL`] (deferred, never dropped); `R` asks at once.
#[test]
fn the_team_screen_asks_again_when_the_data_changes_one_count_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let mut d = Driver::new(&db, "dana", (120, 40));
    let summary = d.app.summary.clone().expect("the figures");
    let news = || Response::Summary(Box::new(summary.clone()));

    // Off the team screen: nothing is counted.
    assert!(team_requests(&update::response(&mut d.app, news())).is_empty());
    assert_eq!(update::wake_at(&d.app), None);

    d.press("M j");
    assert_eq!(d.app.screen, Screen::Team);
    assert_eq!(selected_collector(&d), "bob");
    let opened = d.app.team.last.expect("asked when opened");

    // Within the interval since it was asked: deferred, not dropped.
    d.app.now = opened + Duration::from_secs(1);
    assert!(team_requests(&update::response(&mut d.app, news())).is_empty());
    assert_eq!(update::wake_at(&d.app), Some(opened + REFRESH_INTERVAL));
    assert!(team_requests(&update::tick(&mut d.app)).is_empty());
    d.app.now = opened + REFRESH_INTERVAL;
    let asked = team_requests(&update::tick(&mut d.app));
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(matches!(asked[0], Request::Team { as_of, .. } if as_of == workstation::as_of()));

    // While it is counted, a burst of news asks nothing more, however late it is.
    d.app.now += REFRESH_INTERVAL * 2;
    for _ in 0..20 {
        assert!(team_requests(&update::response(&mut d.app, news())).is_empty());
    }
    assert_eq!(update::wake_at(&d.app), None);

    // Meanwhile a new collector sorts before bob: the rows move, the cursor follows bob.
    common::execute(
        &db,
        "UPDATE customers SET finance_owner = 'aaron' WHERE id = 'K10'",
    );
    let mut fx = Vec::new();
    for answer in d.source.handle_batch(asked) {
        fx.extend(update::response(&mut d.app, answer));
    }
    // The answer lands: exactly one more request, for the news that came meanwhile.
    assert_eq!(team_requests(&fx).len(), 1, "{fx:?}");
    let names: Vec<String> = d
        .app
        .team
        .report
        .as_ref()
        .unwrap()
        .collectors
        .iter()
        .map(|c| c.collector.clone())
        .collect();
    assert_eq!(names[0], "aaron", "{names:?}");
    assert_eq!(selected_collector(&d), "bob");
    assert_eq!(d.app.team.cursor, 2);
    // Its answer: no news since, nothing more.
    d.run(fx);
    assert_eq!(d.app.team.seq, 0);
    assert!(!d.app.team.stale);
    assert_eq!(update::wake_at(&d.app), None);
    assert_eq!(selected_collector(&d), "bob");
    assert!(line_of(&d.screen(), "aaron").contains("700.00"));

    // `R` asks at once, within the interval or not.
    d.app.now = d.app.team.last.unwrap();
    assert_eq!(team_requests(&d.press("R")).len(), 1);

    // A refresh whose answer comes after the screen was left does not open it again.
    d.app.now += REFRESH_INTERVAL;
    let asked = team_requests(&update::response(&mut d.app, news()));
    assert_eq!(asked.len(), 1);
    d.press("<Esc>");
    assert_eq!(d.app.screen, Screen::Main);
    for answer in d.source.handle_batch(asked) {
        assert!(update::response(&mut d.app, answer).is_empty());
    }
    assert_eq!(d.app.screen, Screen::Main);
    // Left: news counts nothing.
    d.app.now += REFRESH_INTERVAL * 2;
    assert!(team_requests(&update::response(&mut d.app, news())).is_empty());
    assert_eq!(update::wake_at(&d.app), None);
}

/// A count asked for on the team screen (`R`) whose answer comes after the screen was left,
/// here for the engagement screen (`:engage`), is dropped: only a request made to open the
/// team screen opens it.
#[test]
fn a_count_asked_on_the_team_screen_does_not_reopen_it_once_left() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let mut d = Driver::new(&db, "dana", (120, 40));
    d.press("M");
    assert_eq!(d.app.screen, Screen::Team);
    let reload = update::update(&mut d.app, owed::tui::key_action::Action::Reload);
    let asked = team_requests(&reload);
    assert_eq!(asked.len(), 1, "{reload:?}");
    d.press(": engage <Enter>");
    assert_eq!(d.app.screen, Screen::Engage);
    for answer in d.source.handle_batch(asked) {
        update::response(&mut d.app, answer);
    }
    assert_eq!(d.app.screen, Screen::Engage);
    // Asked for from there, it opens.
    d.press(": team <Enter>");
    assert_eq!(d.app.screen, Screen::Team);
}

/// The team screen at `width` (alice having written three notes on 29 April): its header
/// line, its lines (without the snapshot's quotes) and alice's notes in the figures.
fn team_columns(width: u16) -> (String, Vec<String>, u64) {
    let (_dir, d) = team_screen_after(
        "INSERT INTO notes (cid, at, collector, text)
         SELECT cid, '2026-04-29T09:00:00Z', 'alice', 'Left a message.' FROM customers
          WHERE finance_owner = 'alice' LIMIT 3",
        (width, 30),
    );
    let screen = d.screen();
    let lines: Vec<String> = screen
        .lines()
        .map(|l| l.trim_matches('"').to_string())
        .collect();
    let header = lines
        .iter()
        .find(|l| l.starts_with(" Collector "))
        .unwrap_or_else(|| panic!("no header:\n{screen}"))
        .clone();
    let notes = d.app.team.report.as_ref().unwrap().collectors[0].notes;
    (header, lines, notes)
}

/// The figure of the row starting with `name` in the column headed `column` (figures are
/// right-aligned under their header).
fn figure_under(header: &str, lines: &[String], name: &str, column: &str) -> String {
    let chars: Vec<char> = header.chars().collect();
    let h: Vec<char> = column.chars().collect();
    let start = (0..chars.len())
        .find(|&i| chars[i..].starts_with(&h))
        .unwrap_or_else(|| panic!("no {column} in {header}"));
    let row = lines
        .iter()
        .find(|l| l.starts_with(&format!(" {name} ")))
        .unwrap();
    let cut: String = row.chars().take(start + h.len()).collect();
    cut.split_whitespace().last().unwrap().to_string()
}

/// The columns `report team` gained (notes, disputes opened and resolved, reminders by hand
/// and by runs) are on the team screen too: every one on a wide terminal; at 120 columns
/// the notes and disputes opened (the least needed leave first); at 80 what fitted before,
/// every line within the 80 columns.
#[test]
fn the_team_screen_shows_notes_disputes_and_reminders_as_wide_as_it_can() {
    let (wide, lines, notes) = team_columns(200);
    for h in [
        "Notes",
        "Disputes",
        "Resolved",
        "Rem hand",
        "Rem runs",
        "Calls",
        "Paid ≤14d",
    ] {
        assert!(wide.contains(h), "{h}: {wide}");
    }
    assert!(notes >= 3);
    assert_eq!(
        figure_under(&wide, &lines, "alice", "Notes"),
        notes.to_string()
    );
    let (at120, lines, _) = team_columns(120);
    for h in [
        "Notes",
        "Disputes",
        "Today",
        "Week",
        "Calls",
        "Broken, no f/u",
        "Replies",
    ] {
        assert!(at120.contains(h), "{h}: {at120}");
    }
    assert_eq!(
        figure_under(&at120, &lines, "alice", "Notes"),
        notes.to_string()
    );
    let (at80, lines, _) = team_columns(80);
    let shown: Vec<&str> = [
        "Customers",
        "Overdue #",
        "Overdue ",
        "Today",
        "Week",
        "Calls",
        "Notes",
        "Disputes",
        "Promises",
        "Kept",
        "Replies",
    ]
    .into_iter()
    .filter(|h| at80.contains(h))
    .collect();
    assert_eq!(
        shown,
        [
            "Customers",
            "Overdue #",
            "Overdue ",
            "Week",
            "Promises",
            "Kept",
            "Replies"
        ]
    );
    for l in &lines {
        assert!(l.chars().count() <= 80, "{l}");
    }
}
