//! The workstation's service with several sessions at once, in-process on a real SQLite file:
//! one portfolio shared by the sessions of a date, a save by one reaching the others, views
//! kept apart, drafts kept for the user's next session, and the session loop driven as
//! `owed serve` drives it (events from a channel, frames to a pipe read back with vt100).

mod common;
mod workstation;

use common::{execute, value};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use owed::domain::Date;
use owed::domain::queue::{QueueFilter, QueueQuery, Scope, Tab};
use owed::domain::users::{Actor, Role};
use owed::tui::action_forms::ActionSettings;
use owed::tui::app::Session as AppSession;
use owed::tui::keymap::Keymap;
use owed::tui::remote::{self, Capabilities, ColorDepth};
use owed::tui::theme::Theme;
use owed::tui::{Setup, remote::EventSender};
use owed::workstation::save::{ActionValues, SaveJob, SaveOutcome};
use owed::workstation::{
    Answer, EngageRequest, EngageResponse, ExportJob, ExportWhat, FileAccess, PortfolioWorker,
    Request, Response, ServiceSettings, Session, UserFolders, Workstation,
};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long to wait for an answer or a frame (generous: CI machines can be slow). Only a
/// limit on waiting; nothing is timed.
const PATIENCE: Duration = Duration::from_secs(60);

/// The sessions' date: today (this machine's), so that what is written today (a note counts
/// from the day it was written) is in every answer. Not tomorrow: a write is dated today or
/// earlier.
fn as_of() -> Date {
    chrono::Local::now().date_naive()
}

fn fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    (dir, db)
}

/// The fixture database and a workstation service on it.
fn serviced() -> (tempfile::TempDir, PathBuf, Workstation) {
    let (dir, db) = fixture();
    let ws = service(&db);
    (dir, db, ws)
}

fn service(db: &Path) -> Workstation {
    let mut settings = ServiceSettings::from_config(&owed::config::Config::default()).unwrap();
    settings.settings = workstation::settings();
    settings.mailer = workstation::Recorder::default().factory();
    Workstation::open(db, settings).unwrap()
}

fn cid(db: &Path, id: &str) -> i64 {
    value(db, &format!("SELECT cid FROM customers WHERE id = '{id}'"))
}

/// Everyone's customers, all tabs, optionally filtered.
fn everyone(name: &str, filter: &str) -> QueueQuery {
    let mut q = QueueQuery::new(name);
    q.scope = Scope::Everyone;
    q.tab = Tab::All;
    q.filter = QueueFilter::parse(filter, &workstation::settings().bounds).unwrap();
    q
}

fn page(seq: u64, query: QueueQuery) -> Request {
    Request::Page {
        seq,
        as_of: as_of(),
        query,
        offset: 0,
        limit: 50,
    }
}

/// Waits for the outcome of the save numbered `seq`.
fn saved(session: &Session, seq: u64) -> SaveOutcome {
    wait_for(session, |r| match r {
        Response::Saved { seq: n, outcome } if *n == seq => Some(outcome.clone()),
        _ => None,
    })
}

/// Waits for an answer of the data worker that `pick` takes.
fn wait_for<T>(session: &Session, mut pick: impl FnMut(&Response) -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        match session.recv_timeout(Duration::from_millis(200)) {
            Some(Answer::Data(Response::Error(e))) => panic!("database: {e}"),
            Some(Answer::Data(r)) => {
                if let Some(t) = pick(&r) {
                    return t;
                }
            }
            Some(Answer::Stopped(why)) => panic!("{why}"),
            Some(Answer::Engage(_)) | None => {}
        }
    }
    panic!("no such answer came");
}

/// A portfolio worker on `db` with each of `collectors` joined, as sessions 1, 2, …, seeing
/// their own files.
fn worker_with(db: &Path, collectors: &[&str]) -> PortfolioWorker {
    let mut worker = PortfolioWorker::open(db, workstation::settings()).unwrap();
    for (session, &name) in (1..).zip(collectors) {
        worker.join(
            session,
            Actor::new(name, Role::Collector),
            FileAccess::own(),
        );
    }
    worker
}

/// Opens a session on the fixture's date: its figures, everyone's queue and one detail.
fn open(ws: &Workstation, name: &str, filter: &str, detail: i64) -> Session {
    let s = ws.connect(Actor::new(name, Role::Collector));
    let as_of = as_of();
    s.send(Request::Summary { as_of }).unwrap();
    s.send(page(1, everyone(name, filter))).unwrap();
    s.send(Request::Detail {
        seq: 2,
        as_of,
        cid: detail,
    })
    .unwrap();
    wait_for(&s, |r| {
        matches!(r, Response::Page { seq: 1, .. }).then_some(())
    });
    wait_for(&s, |r| {
        matches!(r, Response::Detail { seq: 2, .. }).then_some(())
    });
    s
}

fn note(seq: u64, cid: i64, text: &str) -> Request {
    Request::Save {
        seq,
        job: SaveJob {
            as_of: as_of(),
            cids: vec![cid],
            values: ActionValues::Note { text: text.into() },
        },
    }
}

#[test]
fn a_note_saved_in_one_session_reaches_the_other_without_asking() {
    let (_dir, db, ws) = serviced();
    let acme = cid(&db, "K6");
    let start = chrono::Local::now().date_naive();
    let a = open(&ws, "alice", "", acme);
    let b = open(&ws, "bob", "", acme);
    // One portfolio for both: the date is the same.
    assert_eq!(ws.portfolios(), [(as_of(), 2)]);

    a.send(note(3, acme, "Called AP: paying Friday")).unwrap();
    let outcome = saved(&a, 3);
    assert_eq!(outcome.error, None);

    // Bob asked for nothing: his page and detail (the same request numbers) come again, the
    // page first, with Acme's last contact and the note (a page answered before the save, when
    // the forecast arrived, may come first: it has no such contact).
    let row = wait_for(&b, |r| match r {
        Response::Page { seq: 1, page } => page
            .rows
            .iter()
            .find(|r| r.cid == acme && r.last_contact.is_some_and(|d| d >= start))
            .cloned(),
        _ => None,
    });
    assert_eq!(row.name, "Acme Corp");
    let timeline = wait_for(&b, |r| match r {
        Response::Detail {
            seq: 2,
            data: Some(d),
            ..
        } if d
            .detail
            .activity
            .iter()
            .any(|e| e.text.contains("paying Friday")) =>
        {
            Some(d.detail.activity.clone())
        }
        _ => None,
    });
    let entry = timeline
        .iter()
        .find(|e| e.text.contains("paying Friday"))
        .unwrap();
    assert_eq!(entry.who, "alice", "recorded for the session's actor");
    let collector: String = value(
        &db,
        "SELECT collector FROM notes WHERE text = 'Called AP: paying Friday'",
    );
    assert_eq!(collector, "alice");
}

/// A save for thousands of marked customers is written a part at a time: another session's
/// request is answered between two parts, not after the whole save.
#[test]
fn a_long_save_does_not_hold_up_another_sessions_screen() {
    let (_dir, db, ws) = serviced();
    let acme = cid(&db, "K6");
    let kite = cid(&db, "K1");
    let a = open(&ws, "alice", "", acme);
    let b = open(&ws, "bob", "", acme);
    // Alice's note for 600 customers (Acme 600 times: the fixture has eight).
    let many = 600;
    a.send(Request::Save {
        seq: 3,
        job: SaveJob {
            as_of: as_of(),
            cids: vec![acme; many],
            values: ActionValues::Note {
                text: "Statement sent".into(),
            },
        },
    })
    .unwrap();
    b.send(Request::Detail {
        seq: 7,
        as_of: as_of(),
        cid: kite,
    })
    .unwrap();
    wait_for(&b, |r| {
        matches!(r, Response::Detail { seq: 7, .. }).then_some(())
    });
    let written: i64 = value(
        &db,
        "SELECT count(*) FROM notes WHERE text = 'Statement sent'",
    );
    assert!(
        (written as usize) < many,
        "bob's detail waited for all {written} notes"
    );
    // Alice is told how far it is, then that it is done, once.
    let (written, of) = wait_for(&a, |r| match r {
        Response::Saving {
            seq: 3,
            written,
            of,
            waiting: false,
        } => Some((*written, *of)),
        _ => None,
    });
    assert!(
        written > 0 && written < many && of == many,
        "{written} of {of}"
    );
    let outcome = saved(&a, 3);
    assert_eq!((outcome.error, outcome.recorded.len()), (None, many));
    let written: i64 = value(
        &db,
        "SELECT count(*) FROM notes WHERE text = 'Statement sent'",
    );
    assert_eq!(written as usize, many);
}

/// A note for many marked customers.
fn bulk_note(seq: u64, cid: i64, many: usize, text: &str) -> Request {
    Request::Save {
        seq,
        job: SaveJob {
            as_of: as_of(),
            cids: vec![cid; many],
            values: ActionValues::Note { text: text.into() },
        },
    }
}

/// Another session's single save is done between two parts of a long save, not after it:
/// the saves of the sessions take turns, a part each (each session's own in order).
#[test]
fn a_single_save_is_done_between_the_parts_of_another_sessions_long_save() {
    let (_dir, db, ws) = serviced();
    let acme = cid(&db, "K6");
    let lumen = cid(&db, "K2");
    let a = open(&ws, "alice", "", acme);
    let b = open(&ws, "bob", "", lumen);
    let many = 1000;
    a.send(bulk_note(3, acme, many, "Statement sent")).unwrap();
    // Alice's save has begun before bob's comes.
    wait_for(&a, |r| {
        matches!(r, Response::Saving { seq: 3, .. }).then_some(())
    });
    b.send(note(9, lumen, "Paying Monday")).unwrap();
    let outcome = saved(&b, 9);
    assert_eq!((outcome.error, outcome.recorded.len()), (None, 1));
    // The worker answers in order: had bob's note waited for the whole of alice's save,
    // her answer would be there already.
    while let Some(answer) = a.try_recv() {
        assert!(
            !matches!(answer, Answer::Data(Response::Saved { seq: 3, .. })),
            "bob's note waited for alice's {many} notes"
        );
    }
    let outcome = saved(&a, 3);
    assert_eq!((outcome.error, outcome.recorded.len()), (None, many));
}

/// A long save folds the write-ahead log into the database as it goes: the `-wal` stays a
/// few megabytes (5.5 MB here), instead of growing by every customer's pages until the save
/// ends (77 MB here; 1.2 GB for a note to 20,000 customers, which a full disk then had no
/// room to fold back).
#[test]
fn a_long_save_keeps_the_write_ahead_log_small() {
    let (_dir, db, ws) = serviced();
    let acme = cid(&db, "K6");
    let a = open(&ws, "alice", "", acme);
    let many = 1500;
    a.send(bulk_note(3, acme, many, "Statement sent")).unwrap();
    let wal = owed::store::log_files(&db)[0].clone();
    let mut largest = 0;
    let outcome = wait_for(&a, |r| {
        largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        match r {
            Response::Saved { seq: 3, outcome } => Some(outcome.clone()),
            _ => None,
        }
    });
    assert_eq!((outcome.error, outcome.recorded.len()), (None, many));
    let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
    let bound = 16 << 20;
    assert!(
        size.max(largest) < bound,
        "the -wal grew to {} bytes ({size} at the end) for {many} notes",
        size.max(largest)
    );
}

/// Another program holding the write lock (an import from cron) does not hold up the
/// screens: the save waits for it a tenth of a second at a time, the other sessions answered
/// meanwhile, and is written once the lock is free.
#[test]
fn a_save_waiting_for_an_import_does_not_hold_up_the_screens() {
    let (_dir, db, ws) = serviced();
    let acme = cid(&db, "K6");
    let kite = cid(&db, "K1");
    let a = open(&ws, "alice", "", acme);
    let b = open(&ws, "bob", "", acme);
    let import = rusqlite::Connection::open(&db).unwrap();
    import.execute_batch("BEGIN IMMEDIATE").unwrap();
    a.send(note(3, acme, "Called during the import")).unwrap();
    // Bob's detail comes back while alice's note waits (before, it came after the wait,
    // up to 30 s, or the note failed "database is locked").
    for seq in [7, 8] {
        b.send(Request::Detail {
            seq,
            as_of: as_of(),
            cid: kite,
        })
        .unwrap();
        wait_for(&b, |r| {
            matches!(r, Response::Detail { seq: n, .. } if *n == seq).then_some(())
        });
    }
    // Alice is told why her note waits.
    wait_for(&a, |r| {
        matches!(
            r,
            Response::Saving {
                seq: 3,
                written: 0,
                of: 1,
                waiting: true
            }
        )
        .then_some(())
    });
    while let Some(answer) = a.try_recv() {
        assert!(
            !matches!(answer, Answer::Data(Response::Saved { .. })),
            "the note was answered while the lock was held"
        );
    }
    import.execute_batch("COMMIT").unwrap();
    let outcome = saved(&a, 3);
    assert_eq!((outcome.error, outcome.recorded.len()), (None, 1));
    let written: i64 = value(
        &db,
        "SELECT count(*) FROM notes WHERE text = 'Called during the import'",
    );
    assert_eq!(written, 1);
}

#[test]
fn one_sessions_filter_does_not_change_anothers_page() {
    let (_dir, db, ws) = serviced();
    let zephyr = cid(&db, "K8");
    let a = open(&ws, "alice", "zephyr", zephyr);
    let b = open(&ws, "bob", "", zephyr);
    a.send(note(3, zephyr, "Left a voicemail")).unwrap();
    // Both pages are answered again after the save, each under its own query.
    let a_rows = wait_for(&a, |r| match r {
        Response::Page { seq: 1, page } => Some(page.rows.len()),
        _ => None,
    });
    let b_page = wait_for(&b, |r| match r {
        Response::Page { seq: 1, page } => Some(page.clone()),
        _ => None,
    });
    assert_eq!(a_rows, 1, "alice's filter: Zephyr Labs only");
    assert_eq!(b_page.total, 10, "bob's page: every customer");
    assert!(b_page.rows.iter().any(|r| r.name == "Kite Supplies"));
}

#[test]
fn another_processs_commit_reaches_every_session() {
    let (_dir, db, ws) = serviced();
    let kite = cid(&db, "K1");
    let a = open(&ws, "alice", "", kite);
    let b = open(&ws, "bob", "", kite);
    // The command line, cron or an import commit on their own connection.
    execute(
        &db,
        &format!(
            "INSERT INTO notes (cid, at, collector, text)
             VALUES ({kite}, '2026-04-30T10:00:00Z', 'carol', 'Noted from a shell')"
        ),
    );
    for s in [&a, &b] {
        wait_for(s, |r| match r {
            Response::Detail {
                seq: 2,
                data: Some(d),
                ..
            } => d
                .detail
                .activity
                .iter()
                .any(|e| e.text == "Noted from a shell")
                .then_some(()),
            _ => None,
        });
    }
}

#[test]
fn another_date_gets_a_portfolio_of_its_own_for_as_long_as_it_is_looked_at() {
    let (_dir, db, ws) = serviced();
    let kite = cid(&db, "K1");
    let as_of = as_of();
    let a = open(&ws, "alice", "", kite);
    let c = ws.connect(Actor::new("carol", Role::Manager));
    let month_end = Date::from_ymd_opt(2026, 3, 31).unwrap();
    c.send(Request::Summary { as_of: month_end }).unwrap();
    let summary = wait_for(&c, |r| match r {
        Response::Summary(s) => Some(s.clone()),
        _ => None,
    });
    assert_eq!(summary.as_of, month_end);
    assert_eq!(ws.portfolios(), [(month_end, 1), (as_of, 1)]);
    // Back to the others' date: the month-end portfolio ends.
    c.send(Request::Summary { as_of }).unwrap();
    wait_for(&c, |r| match r {
        Response::Summary(s) if s.as_of == as_of => Some(()),
        _ => None,
    });
    assert_eq!(ws.portfolios(), [(as_of, 2)]);
    drop(c);
    drop(a);
    assert!(ws.portfolios().is_empty(), "nothing kept without keep()");

    // A server keeps its today's portfolio, computed before anyone asks.
    ws.keep(as_of).unwrap();
    assert_eq!(ws.portfolios(), [(as_of, 0)]);
    let late = open(&ws, "bob", "", kite);
    drop(late);
    assert_eq!(ws.portfolios(), [(as_of, 0)]);
}

/// Sends the note `text` on `customer` as the collector `user` straight to the service and
/// returns the save's outcome, asserting that nothing was recorded.
fn refused_note(
    user: &str,
    customer: &str,
    text: &str,
) -> (tempfile::TempDir, PathBuf, SaveOutcome) {
    let (dir, db, ws) = serviced();
    let session = ws.connect(Actor::new(user, Role::Collector));
    session.send(note(1, cid(&db, customer), text)).unwrap();
    let outcome = saved(&session, 1);
    assert!(outcome.recorded.is_empty(), "{outcome:?}");
    (dir, db, outcome)
}

#[test]
fn a_refused_write_comes_back_as_a_sentence() {
    let (_dir, _db, outcome) = refused_note("  ", "K1", "Who wrote this?");
    assert!(
        outcome.error.as_deref().unwrap().contains("name is empty"),
        "{outcome:?}"
    );
}

#[test]
fn a_collectors_note_on_anothers_customer_is_refused_for_the_session_as_from_the_shell() {
    let (_dir, db, outcome) = refused_note("bob", "K6", "Not mine to write");
    assert_eq!(
        outcome.error.as_deref(),
        Some("bob (collector) may not write on K6: its finance owner is alice")
    );
    let written: i64 = value(
        &db,
        "SELECT count(*) FROM notes WHERE text = 'Not mine to write'",
    );
    assert_eq!(written, 0);
}

#[test]
fn holds_are_recorded_for_the_sessions_actor() {
    let (_dir, db, ws) = serviced();
    let lumen = cid(&db, "K2");
    let b = ws.connect(Actor::new("bob", Role::Manager));
    let until = Date::from_ymd_opt(2026, 5, 15).unwrap();
    b.engage(EngageRequest::Hold {
        seq: 1,
        as_of: Date::from_ymd_opt(2026, 4, 30).unwrap(),
        cids: vec![lumen],
        until,
        text: Some("waiting for the PO".into()),
    })
    .unwrap();
    let deadline = Instant::now() + PATIENCE;
    let held = loop {
        assert!(Instant::now() < deadline, "no answer");
        if let Some(Answer::Engage(EngageResponse::Held { result, .. })) =
            b.recv_timeout(Duration::from_millis(200))
        {
            break result;
        }
    };
    assert_eq!(held, Ok(1));
    let sql = format!("SELECT collector FROM engagement_holds WHERE cid = {lumen}");
    let who: String = value(&db, &sql);
    assert_eq!(who, "bob");
}

/// The engagement plan a session asks for, as of 30 April (the fixture's cycles' date).
fn engage_plan(
    session: &Session,
    seq: u64,
    owner: Option<&str>,
) -> owed::workstation::engage::PlanData {
    session
        .engage(EngageRequest::Plan {
            seq,
            as_of: Date::from_ymd_opt(2026, 4, 30).unwrap(),
            owner: owner.map(str::to_string),
        })
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(Instant::now() < deadline, "no plan came");
        if let Some(Answer::Engage(EngageResponse::Plan { seq: n, result })) =
            session.recv_timeout(Duration::from_millis(200))
            && n == seq
        {
            return *result.unwrap();
        }
    }
}

/// Today's plan is computed once for the sessions that ask while nothing is committed, and
/// kept once, whoever asked: no session's engagement worker holds a plan (or a connection)
/// between requests, so a session that has left the engagement screen keeps nothing of it.
/// Each session's worker had kept its own plan, and its own connection's map of the ledger,
/// until the session ended (730 MB a session at 100,000 customers). A commit (here a hold,
/// by a session's own worker) has the next plan computed again.
#[test]
fn sessions_share_one_plan_until_something_is_committed() {
    let (dir, db) = fixture();
    let cycles = workstation::cycles(dir.path());
    let mut settings =
        ServiceSettings::from_config(&workstation::engage_config(&cycles, 2525)).unwrap();
    settings.settings = workstation::settings();
    settings.mailer = workstation::Recorder::default().factory();
    let ws = Workstation::open(&db, settings).unwrap();
    let april = Date::from_ymd_opt(2026, 4, 30).unwrap();
    let alice = ws.connect(Actor::new("alice", Role::Collector));
    let dana = ws.connect(Actor::new("dana", Role::Manager));
    let customers = |p: &owed::workstation::engage::PlanData| -> Vec<String> {
        p.entries
            .iter()
            .map(|r| r.key.customer_id.clone())
            .collect()
    };
    let mine = engage_plan(&alice, 1, Some("alice"));
    assert_eq!(customers(&mine), ["K4", "K1"]);
    let everyone = engage_plan(&dana, 1, None);
    assert_eq!(customers(&everyone), ["K4", "K1", "K10", "K2"]);
    assert_eq!(everyone.cycles, 1);
    let held = ws.plans_held();
    assert_eq!(
        (held.computed, held.kept),
        (1, Some(april)),
        "one plan for both"
    );
    assert_eq!(held.rows, 5, "its reminders and the one skipped");
    assert_eq!(engage_plan(&alice, 2, Some("alice")), mine);
    assert_eq!(ws.plans_held().computed, 1);
    // A hold is a commit: the next plan is computed again, without the customer held.
    let kite = cid(&db, "K1");
    dana.engage(EngageRequest::Hold {
        seq: 2,
        as_of: april,
        cids: vec![kite],
        until: Date::from_ymd_opt(2026, 5, 7).unwrap(),
        text: None,
    })
    .unwrap();
    let deadline = Instant::now() + PATIENCE;
    while !matches!(
        dana.recv_timeout(Duration::from_millis(200)),
        Some(Answer::Engage(EngageResponse::Held { .. }))
    ) {
        assert!(Instant::now() < deadline, "no hold came");
    }
    let mine = engage_plan(&alice, 3, Some("alice"));
    assert_eq!(customers(&mine), ["K4"]);
    assert_eq!(mine.held.len(), 1);
    assert_eq!(engage_plan(&dana, 4, None).entries.len(), 3);
    let held = ws.plans_held();
    assert_eq!((held.computed, held.kept), (2, Some(april)));
    // The sessions gone, the one plan is all there is.
    drop((alice, dana));
    assert_eq!(ws.plans_held().rows, 4);
}

#[test]
fn a_session_joining_a_computed_portfolio_is_answered_from_it() {
    let (_dir, db) = fixture();
    let mut worker = worker_with(&db, &["alice", "bob"]);
    let as_of = as_of();
    let first = worker.handle_all(vec![
        (1, Request::Summary { as_of }),
        (1, page(1, everyone("alice", ""))),
    ]);
    assert!(
        first
            .iter()
            .any(|(s, r)| *s == 1 && matches!(r, Response::Forecast(_)))
    );
    let computed = worker.rebuilds;
    assert_eq!(computed.count, 1);
    let joined = worker.handle_all(vec![
        (2, Request::Summary { as_of }),
        (2, page(1, everyone("bob", ""))),
    ]);
    assert_eq!(worker.rebuilds, computed, "nothing computed again");
    let kinds: Vec<&str> = joined
        .iter()
        .map(|(s, r)| {
            assert_eq!(*s, 2, "only bob asked");
            match r {
                Response::Summary(_) => "summary",
                Response::Forecast(_) => "forecast",
                Response::Page { .. } => "page",
                Response::Scope(_) => "scope",
                other => panic!("not asked for: {other:?}"),
            }
        })
        .collect();
    // The page's scope figures (everyone's, as the portfolio has them) follow the page.
    assert_eq!(kinds, ["summary", "forecast", "page", "scope"]);
}

#[test]
fn reload_computes_the_figures_again_only_when_they_may_have_moved() {
    let (_dir, db) = fixture();
    let mut worker = worker_with(&db, &["alice", "bob"]);
    let as_of = as_of();
    worker.handle_all(vec![(1, Request::Summary { as_of })]);
    let computed = worker.rebuilds.count;
    let summary_of = |answers: &[(u64, Response)]| {
        answers.iter().find_map(|(s, r)| match r {
            Response::Summary(summary) => Some((*s, summary.metrics.clone())),
            _ => None,
        })
    };
    let before = summary_of(&worker.handle_all(vec![(1, Request::Summary { as_of })]))
        .unwrap()
        .1;

    // Nothing changed since the figures were computed: `R` is answered from them, with the
    // forecast the screen drops on `R`, and computes nothing (at 100,000 customers that is a
    // second and more that every other session would wait).
    let answers = worker.handle_all(vec![(2, Request::Reload { as_of })]);
    assert_eq!(worker.rebuilds.count, computed, "nothing computed again");
    assert_eq!(summary_of(&answers), Some((2, before.clone())));
    assert!(
        answers
            .iter()
            .any(|(s, r)| *s == 2 && matches!(r, Response::Forecast(_)))
    );

    // A save moved the figures by difference: `R` computes them whole.
    let acme = cid(&db, "K6");
    worker.handle_all(vec![(1, note(1, acme, "called, no answer"))]);
    worker.handle_all(vec![(2, Request::Reload { as_of })]);
    assert_eq!(worker.rebuilds.count, computed + 1, "after a save");
    worker.handle_all(vec![(2, Request::Reload { as_of })]);
    assert_eq!(
        worker.rebuilds.count,
        computed + 1,
        "and not again after that"
    );

    // Another connection committed (an import, the command line): computed again.
    execute(
        &db,
        "UPDATE documents SET amount = amount + 10000 \
         WHERE did = (SELECT min(did) FROM documents WHERE kind = 'invoice')",
    );
    let answers = worker.handle_all(vec![(2, Request::Reload { as_of })]);
    assert_eq!(
        worker.rebuilds.count,
        computed + 2,
        "after another's commit"
    );
    assert_ne!(
        summary_of(&answers).unwrap().1,
        before,
        "the amount changed"
    );
}

#[test]
fn only_each_sessions_latest_page_is_answered() {
    let (_dir, db) = fixture();
    let mut worker = PortfolioWorker::open(&db, workstation::settings()).unwrap();
    let as_of = as_of();
    worker.handle_all(vec![(1, Request::Summary { as_of })]);
    let answers = worker.handle_all(vec![
        (1, page(1, everyone("alice", ""))),
        (2, page(1, everyone("bob", "kite"))),
        (1, page(2, everyone("alice", "acme"))),
        (2, page(2, everyone("bob", "lumen"))),
    ]);
    let pages: Vec<(u64, u64, Vec<String>)> = answers
        .into_iter()
        .filter_map(|(s, r)| match r {
            Response::Page { seq, page } => {
                Some((s, seq, page.rows.into_iter().map(|r| r.name).collect()))
            }
            // Each page's figures come with it.
            Response::Scope(_) => None,
            other => panic!("not asked for: {other:?}"),
        })
        .collect();
    assert_eq!(
        pages,
        [
            (
                1,
                2,
                vec!["Acme Widgets".to_string(), "Acme Corp".to_string()]
            ),
            (2, 2, vec!["Lumen GmbH".to_string()]),
        ]
    );
}

// ---- The session loop as `owed serve` runs it. ----

/// What a session drew, as the client's terminal received it.
#[derive(Clone, Default)]
struct Pipe(Arc<Mutex<Vec<u8>>>);

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Pipe {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }

    /// The screen as a terminal of `size` shows it after the last whole frame: a frame
    /// being written (its bytes come in several writes) is not looked at half drawn, as a
    /// terminal that honours synchronized updates would not show it.
    fn screen(&self, size: (u16, u16)) -> String {
        const FRAME_END: &[u8] = b"\x1b[?2026l";
        let nz = |n: u16| std::num::NonZeroU16::new(n).unwrap();
        let mut parser = vt100::Parser::new(nz(size.1), nz(size.0), 0);
        let bytes = self.bytes();
        let whole = bytes
            .windows(FRAME_END.len())
            .rposition(|w| w == FRAME_END)
            .map_or(0, |i| i + FRAME_END.len());
        parser.process(&bytes[..whole]);
        parser.screen().contents()
    }

    /// Waits until the screen shows `text`; returns it.
    fn wait_for(&self, size: (u16, u16), text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen(size);
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "`{text}` never showed:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn setup(name: &str) -> Setup {
    Setup {
        session: AppSession {
            collector: name.into(),
            base_currency: "USD".into(),
            bounds: workstation::settings().bounds,
            today: as_of(),
        },
        keymap: Keymap::builtin(),
        theme: Theme::builtin("default").unwrap(),
        actions: ActionSettings::default(),
        as_of: as_of(),
        as_of_given: true,
        views: Vec::new(),
        views_file: None,
        graphics: owed::config::GraphicsChoice::Halfblocks,
        time_zone: None,
    }
}

/// A session loop on its own thread, as one SSH session of `owed serve`.
struct Remote {
    events: Option<EventSender>,
    pipe: Pipe,
    size: (u16, u16),
    thread: Option<std::thread::JoinHandle<owed::Result<()>>>,
}

impl Remote {
    fn start(ws: &Workstation, name: &str, size: (u16, u16), caps: Capabilities) -> Remote {
        Remote::start_with(ws, name, size, caps, None)
    }

    /// As `owed serve` starts a session: its files in the server's files folder `files`
    /// (none without one).
    fn start_with(
        ws: &Workstation,
        name: &str,
        size: (u16, u16),
        caps: Capabilities,
        files: Option<&Path>,
    ) -> Remote {
        let (events, loop_events) = remote::events();
        let pipe = Pipe::default();
        let out = pipe.clone();
        let session = ws.connect_with(
            Actor::new(name, Role::Collector),
            FileAccess::over_ssh(files, name, &UserFolders::of(["alice", "dana"])),
        );
        let setup = setup(name);
        let thread = std::thread::spawn(move || {
            remote::run_remote(setup, session, loop_events, out, size, caps).result
        });
        Remote {
            events: Some(events),
            pipe,
            size,
            thread: Some(thread),
        }
    }

    /// The collector `name`'s session in a 120×40 terminal of the default capabilities.
    fn collector(ws: &Workstation, name: &str) -> Remote {
        Remote::start(ws, name, (120, 40), Capabilities::default())
    }

    /// Presses `key` (no modifiers).
    fn press(&self, key: KeyCode) {
        self.key(key, KeyModifiers::NONE);
    }

    fn key(&self, code: KeyCode, modifiers: KeyModifiers) {
        assert!(
            self.events
                .as_ref()
                .unwrap()
                .send(Event::Key(KeyEvent::new(code, modifiers)))
        );
    }

    /// Opens the note form (`n`) and types `text` into it.
    fn note(&self, text: &str) {
        self.press(KeyCode::Char('n'));
        self.type_text(text);
    }

    /// Closes the open form keeping a draft (`Esc`, `y`); the screen that says so.
    fn keep_draft(&self) -> String {
        self.press(KeyCode::Esc);
        self.wait_for("Close? y: keep a draft");
        self.press(KeyCode::Char('y'));
        self.wait_for("Draft kept")
    }

    fn type_text(&self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.pipe.wait_for(self.size, text)
    }

    /// The connection drops: the input ends, the loop returns.
    fn hang_up(mut self) -> owed::Result<()> {
        self.events.take().unwrap().close();
        self.thread.take().unwrap().join().unwrap()
    }
}

/// Two of alice's sessions drop, each with a form half-typed, one with a note kept as a draft
/// (`Esc`, `y`) as well: her next session opens the last one's form, says the others are
/// kept, and the same form on each customer brings each back. (Only the last session's form
/// came back; the others, and every draft kept with `y`, were lost without a word.)
#[test]
fn every_draft_of_sessions_that_dropped_comes_back() {
    let (_dir, db, ws) = serviced();
    let one = Remote::collector(&ws, "alice");
    one.wait_for("Customer K4");
    one.note("Kept for later");
    one.wait_for("Kept for later");
    let kept = one.keep_draft();
    assert!(
        kept.contains("Tokyo Trading (K4) brings it back."),
        "{kept}"
    );
    one.press(KeyCode::Char('j'));
    let next = one.wait_for("Customer K7");
    assert!(!next.contains("Customer K4"), "{next}");
    one.note("Dropped in the first");
    one.wait_for("Dropped in the first");
    let two = Remote::collector(&ws, "alice");
    two.wait_for("Customer K4");
    two.press(KeyCode::Char('p'));
    two.wait_for("Promise to pay");
    two.type_text("1234.56");
    two.wait_for("1234.56");
    assert!(one.hang_up().is_ok());
    assert!(two.hang_up().is_ok());

    let three = Remote::collector(&ws, "alice");
    let screen = three.wait_for("1234.56");
    assert!(screen.contains("your last session ended"), "{screen}");
    three.wait_for("2 more drafts kept");
    // The promise closed (kept), each note comes back on its customer.
    three.keep_draft();
    three.press(KeyCode::Char('j'));
    three.wait_for("Customer K7");
    three.note("");
    three.wait_for("Dropped in the first");
    three.keep_draft();
    three.press(KeyCode::Char('k'));
    three.wait_for("Customer K4");
    three.note("");
    three.wait_for("Kept for later");
    three.press(KeyCode::Enter);
    three.wait_for("saved: Note");
    assert!(three.hang_up().is_ok());
    let written: i64 = value(
        &db,
        "SELECT count(*) FROM notes WHERE text = 'Kept for later'",
    );
    assert_eq!(written, 1);
    // What was not saved is still kept, the promise and the second note, listed.
    let four = Remote::collector(&ws, "alice");
    four.wait_for("2 drafts kept: ");
    four.press(KeyCode::Char('j'));
    four.wait_for("Customer K7");
    four.note("");
    four.wait_for("Dropped in the first");
    assert!(four.hang_up().is_ok());
}

#[test]
fn the_remote_loop_draws_the_queue_to_a_pipe_and_follows_resizes() {
    let (_dir, _db, ws) = serviced();
    let r = Remote::collector(&ws, "alice");
    let screen = r.wait_for("Acme Widgets");
    assert!(screen.contains("owed · alice · USD"), "{screen}");
    assert!(screen.contains("Outstanding"), "the metrics bar:\n{screen}");
    assert!(screen.contains("Kite Supplies"));
    // Frames come whole, inside synchronized-update markers.
    let bytes = r.pipe.bytes();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("\x1b[?2026h") && text.contains("\x1b[?2026l"));
    assert!(
        text.starts_with("\x1b[?1049h"),
        "the alternate screen first"
    );
    // The client's window shrinks: the next frames are laid out for it.
    r.events.as_ref().unwrap().send(Event::Resize(70, 20));
    let small = r.pipe.wait_for((70, 20), "Queue");
    assert!(
        !small.contains("Customer K"),
        "no detail beside at 70 columns"
    );
    assert!(r.hang_up().is_ok());
}

#[test]
fn a_form_half_typed_when_the_connection_drops_is_offered_to_the_users_next_session() {
    let (_dir, db, ws) = serviced();
    let r = Remote::collector(&ws, "alice");
    // The first of alice's overdue customers is Tokyo Trading.
    r.wait_for("Customer K4");
    // What a terminal of one's own does is not offered over SSH: help lists no suspending
    // (it lists redrawing, as in one's own shell), the form's text no $EDITOR.
    r.press(KeyCode::Char('?'));
    r.wait_for("Keys · Esc closes");
    r.key(KeyCode::Char('d'), KeyModifiers::CONTROL);
    let help = r.wait_for("Redraw the screen");
    assert!(!help.contains("Suspend"), "{help}");
    // Nor among the commands, at the end of help.
    r.press(KeyCode::Char('G'));
    let commands = r.wait_for(":redraw");
    assert!(!commands.contains(":suspend"), "{commands}");
    r.press(KeyCode::Esc);
    r.note("Spoke to their AP lead");
    let form = r.wait_for("Spoke to their AP lead");
    assert!(form.contains("Tokyo Trading (K4)"), "{form}");
    assert!(!form.contains("$EDITOR"), "{form}");
    // Pressed all the same, the key says why.
    r.key(KeyCode::Char('e'), KeyModifiers::CONTROL);
    r.wait_for("No $EDITOR over SSH");
    assert!(r.hang_up().is_ok());
    let written: i64 = value(&db, "SELECT count(*) FROM notes WHERE text LIKE 'Spoke%'");
    assert_eq!(written, 0, "nothing half-typed is written");

    // Someone else's session does not get it.
    assert!(
        ws.connect(Actor::new("bob", Role::Collector))
            .take_drafts()
            .is_empty()
    );
    // Alice's next session opens with it, on the same customer.
    let again = Remote::collector(&ws, "alice");
    let screen = again.wait_for("Spoke to their AP lead");
    assert!(screen.contains("Tokyo Trading (K4)"), "{screen}");
    assert!(screen.contains("your last session ended"), "{screen}");
    // It saves as any note would.
    again.press(KeyCode::Enter);
    again.wait_for("saved: Note");
    assert!(again.hang_up().is_ok());
    let collector: String = value(
        &db,
        "SELECT collector FROM notes WHERE text = 'Spoke to their AP lead'",
    );
    assert_eq!(collector, "alice");
}

#[test]
fn a_note_by_alice_shows_in_bobs_frame() {
    let (_dir, _db, ws) = serviced();
    let alice = Remote::collector(&ws, "alice");
    let bob = Remote::collector(&ws, "bob");
    // Both on Acme Widgets (alice's): bob looks at everyone's queue (he owns Lumen only).
    alice.wait_for("Acme Widgets");
    alice.type_text("/widgets");
    alice.press(KeyCode::Enter);
    alice.wait_for("Customer K7");
    bob.wait_for("Lumen GmbH");
    bob.press(KeyCode::Char('m'));
    bob.wait_for("Acme Widgets");
    bob.type_text("/widgets");
    bob.press(KeyCode::Enter);
    bob.wait_for("Customer K7");
    alice.note("Promised the remittance advice");
    alice.press(KeyCode::Enter);
    alice.wait_for("saved: Note");
    let screen = bob.wait_for("Promised the remittance advice");
    assert!(screen.contains("alice"), "{screen}");
    assert!(alice.hang_up().is_ok());
    assert!(bob.hang_up().is_ok());
}

#[test]
fn a_refusal_shows_on_the_remote_screen_as_a_sentence_before_anything_is_typed() {
    let (_dir, _db, ws) = serviced();
    let bob = Remote::collector(&ws, "bob");
    bob.wait_for("Lumen GmbH");
    // Everyone's queue: Tokyo Trading, alice's, comes first.
    bob.press(KeyCode::Char('m'));
    bob.wait_for("Customer K4");
    bob.press(KeyCode::Char('n'));
    let screen = bob.wait_for("may not write on K4");
    assert!(screen.contains("its finance owner is alice"), "{screen}");
    assert!(!screen.contains("Note · "), "no form opens:\n{screen}");
    assert!(bob.hang_up().is_ok());
}

#[test]
fn an_ascii_terminal_gets_only_ascii_and_a_mono_one_no_colours() {
    let (_dir, _db, ws) = serviced();
    let ascii = Remote::start(
        &ws,
        "alice",
        (120, 40),
        Capabilities {
            colors: ColorDepth::Ansi16,
            unicode: false,
        },
    );
    let screen = ascii.wait_for("Acme Widgets");
    assert!(
        screen.contains("- Queue | mine"),
        "lines and dots in ASCII:\n{screen}"
    );
    assert!(ascii.pipe.bytes().iter().all(u8::is_ascii));
    assert!(ascii.hang_up().is_ok());

    let mono = Remote::start(
        &ws,
        "alice",
        (120, 40),
        Capabilities {
            colors: ColorDepth::Mono,
            unicode: true,
        },
    );
    mono.wait_for("Acme Widgets");
    let text = String::from_utf8_lossy(&mono.pipe.bytes()).into_owned();
    for colour in ["[38;5;", "[48;5;", "[38;2;", "[48;2;"] {
        assert!(
            !text.contains(colour),
            "a colour ({colour}) in a mono session"
        );
    }
    assert!(
        text.contains("\x1b[7m"),
        "reverse video marks the selection"
    );
    assert!(mono.hang_up().is_ok());
}

#[test]
fn over_ssh_without_a_files_folder_export_and_attach_are_refused_and_write_nothing() {
    let (dir, _db, ws) = serviced();
    let r = Remote::collector(&ws, "alice");
    r.wait_for("Acme Widgets");
    // The file would be written on the server, as the server's user.
    let path = dir.path().join("queue.xlsx");
    r.type_text(&format!(":export {}", path.display()));
    r.press(KeyCode::Enter);
    r.wait_for("has none");
    assert!(!path.exists());
    // Attaching would read the server's files: refused at the key, before anything is typed.
    r.press(KeyCode::Char('A'));
    r.wait_for("Cannot attach files");
    assert!(r.hang_up().is_ok());
}

#[test]
fn over_ssh_an_export_lands_in_the_users_own_folder_of_the_files_folder_and_nowhere_else() {
    let (dir, _db, ws) = serviced();
    let root = dir.path().join("files");
    std::fs::create_dir(&root).unwrap();
    let r = Remote::start_with(
        &ws,
        "alice",
        (120, 40),
        Capabilities::default(),
        Some(&root),
    );
    r.wait_for("Acme Widgets");
    r.type_text(":export queue");
    r.press(KeyCode::Enter);
    r.wait_for("wrote");
    assert!(root.join("alice/queue.xlsx").is_file());
    // Hers alone, whatever the server's umask: made 0755 and 0644, every local account read
    // every user's exports.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            std::fs::metadata(root.join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("alice"), 0o700);
        assert_eq!(mode("alice/queue.xlsx"), 0o600);
    }
    // In another user's folder: refused, their file left as it was.
    std::fs::create_dir(root.join("dana")).unwrap();
    std::fs::write(root.join("dana/team.csv"), "the team's figures").unwrap();
    r.type_text(":export ../dana/team.csv");
    r.press(KeyCode::Enter);
    r.wait_for("dana's folder");
    assert_eq!(
        std::fs::read_to_string(root.join("dana/team.csv")).unwrap(),
        "the team's figures"
    );
    r.press(KeyCode::Esc);
    // Beside the folder, by its path or by `..`: refused, nothing written.
    let outside = dir.path().join("out.xlsx");
    for typed in [outside.display().to_string(), "../../out.xlsx".to_string()] {
        r.type_text(&format!(":export {typed}"));
        r.press(KeyCode::Enter);
        r.wait_for("outside");
        assert!(!outside.exists(), "{typed}");
        r.press(KeyCode::Esc);
    }
    assert!(r.hang_up().is_ok());
}

/// The service itself checks every attachment and export of a session over SSH, whatever its
/// screen sent: the server's user can read the database, the host key and its own
/// environment (the SMTP password), which a collector must not.
#[test]
fn the_service_reads_and_writes_an_ssh_sessions_files_only_in_the_files_folder() {
    let (dir, db, ws) = serviced();
    let acme = cid(&db, "K6");
    let root = dir.path().join("files");
    std::fs::create_dir_all(root.join("scans")).unwrap();
    std::fs::create_dir_all(root.join("alice")).unwrap();
    // As alice's first session makes it: hers alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.join("alice"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
    }
    std::fs::write(root.join("scans/remittance.txt"), "paid 1,200.00").unwrap();
    std::fs::write(root.join("alice/po.txt"), "alice's").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "the server's").unwrap();
    let s = ws.connect_with(
        Actor::new("dana", Role::Manager),
        FileAccess::over_ssh(Some(&root), "dana", &UserFolders::of(["alice", "dana"])),
    );
    let attach = |seq: u64, path: &str| Request::Save {
        seq,
        job: SaveJob {
            as_of: as_of(),
            cids: vec![acme],
            values: ActionValues::Attach {
                paths: vec![path.to_string()],
                text: "remittance".into(),
            },
        },
    };
    let secret = dir.path().join("secret.txt").display().to_string();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("scans/link.txt")).unwrap();
    let mut refused = vec![secret, "../../secret.txt".to_string()];
    if cfg!(unix) {
        refused.extend(["/proc/self/environ".to_string(), "../scans/link.txt".into()]);
    }
    for (seq, path) in (1..).zip(&refused) {
        s.send(attach(seq, path)).unwrap();
        let error = saved(&s, seq).error.unwrap_or_default();
        assert!(
            error.contains("outside the server's files folder")
                && error.contains("nothing was attached"),
            "{path}: {error}"
        );
    }
    // Another user's folder, a manager's session or not.
    s.send(attach(8, "../alice/po.txt")).unwrap();
    let error = saved(&s, 8).error.unwrap_or_default();
    assert!(error.contains("alice's folder"), "{error}");
    assert_eq!(value::<i64>(&db, "SELECT count(*) FROM attachments"), 0);
    s.send(attach(10, "../scans/remittance.txt")).unwrap();
    assert_eq!(saved(&s, 10).error, None);
    assert_eq!(value::<i64>(&db, "SELECT count(*) FROM attachments"), 1);

    let export = |seq: u64, path: PathBuf| Request::Export {
        seq,
        as_of: as_of(),
        job: ExportJob {
            what: ExportWhat::Customer(acme),
            path,
            format: owed::export::Format::Xlsx,
        },
    };
    let exported = |seq: u64| {
        wait_for(&s, |r| match r {
            Response::Exported { seq: n, result } if *n == seq => Some(result.clone()),
            _ => None,
        })
    };
    let outside = dir.path().join("acme.xlsx");
    s.send(export(11, outside.clone())).unwrap();
    let e = exported(11).unwrap_err();
    assert!(e.contains("outside the server's files folder"), "{e}");
    assert!(!outside.exists());
    s.send(export(13, root.join("alice/acme.xlsx"))).unwrap();
    let e = exported(13).unwrap_err();
    assert!(e.contains("alice's folder"), "{e}");
    assert!(!root.join("alice/acme.xlsx").exists());
    s.send(export(12, root.join("dana/acme.xlsx"))).unwrap();
    let done = exported(12).unwrap();
    assert_eq!(
        done.path,
        root.canonicalize().unwrap().join("dana/acme.xlsx")
    );
    assert!(done.path.is_file());
}

/// A promise of `amount` from `cid`, due in three weeks.
fn promise(seq: u64, cid: i64, amount: &str) -> Request {
    let date = as_of() + chrono::Days::new(21);
    Request::Save {
        seq,
        job: SaveJob {
            as_of: as_of(),
            cids: vec![cid],
            values: ActionValues::Promise {
                amount: amount.into(),
                date: date.format("%Y-%m-%d").to_string(),
                documents: Vec::new(),
                text: String::new(),
            },
        },
    }
}

/// The figures of the session's bar told right after its page of `total` rows (the first
/// page, answered again after a save), the DSO left out (computed later, on a thread).
fn bar_after_page(session: &Session, total: u64) -> owed::domain::queue::ScopeFigures {
    wait_for(session, |r| match r {
        Response::Page { seq: 1, page } if page.total == total => Some(()),
        _ => None,
    });
    let mut figures = wait_for(session, |r| match r {
        Response::Scope(s) => Some(s.figures.clone()),
        _ => None,
    });
    figures.headline.dso = None;
    figures
}

/// What `filter` over everyone's adds up to, computed from the database by a service of its
/// own (as `R` would).
fn fresh_bar(db: &Path, filter: &str) -> owed::domain::queue::ScopeFigures {
    let ws = service(db);
    let s = ws.connect(Actor::new("bob", Role::Collector));
    s.send(page(1, everyone("bob", filter))).unwrap();
    let mut figures = wait_for(&s, |r| match r {
        Response::Scope(s) => Some(s.figures.clone()),
        _ => None,
    });
    figures.headline.dso = None;
    figures
}

/// One session's bar over a filter of the promises' state, while another session's saves
/// move customers into it (a promise) and out of it (the promise voided): it covers the
/// customers the filter lets through, as figures computed afresh do, not those it held before.
#[test]
fn a_filtered_bar_follows_another_sessions_save_that_moves_a_customer_across_the_filter() {
    let (_dir, db, ws) = serviced();
    let tokyo = cid(&db, "K4");
    let widgets = cid(&db, "K7");
    // Bob watches everyone's open promises (none yet: the fixture's are past their dates);
    // alice saves.
    let bob = open(&ws, "bob", "promise:open", tokyo);
    let alice = open(&ws, "alice", "", tokyo);
    let save = |request: Request| {
        let Request::Save { seq, .. } = request else {
            unreachable!()
        };
        alice.send(request).unwrap();
        assert_eq!(saved(&alice, seq).error, None);
    };
    save(promise(10, tokyo, "1000"));
    let bar = bar_after_page(&bob, 1);
    assert_eq!(bar.customers, 1, "Tokyo Trading came into the filter");
    assert_eq!(bar, fresh_bar(&db, "promise:open"));
    save(promise(11, widgets, "300"));
    let bar = bar_after_page(&bob, 2);
    assert_eq!(bar, fresh_bar(&db, "promise:open"));
    // Tokyo's promise voided: it leaves the filter, and the bar holds Acme Widgets alone.
    let id: i64 = value(&db, &format!("SELECT id FROM promises WHERE cid = {tokyo}"));
    save(Request::Save {
        seq: 12,
        job: SaveJob {
            as_of: as_of(),
            cids: vec![tokyo],
            values: ActionValues::VoidPromise {
                promise: id,
                text: String::new(),
            },
        },
    });
    let bar = bar_after_page(&bob, 1);
    assert_eq!(bar.customers, 1, "Tokyo Trading left the filter");
    assert_eq!(bar, fresh_bar(&db, "promise:open"));
}

/// A page of `query` as of `as_of`, numbered `seq`.
fn page_as_of(seq: u64, as_of: Date, query: QueueQuery) -> Request {
    Request::Page {
        seq,
        as_of,
        query,
        offset: 0,
        limit: 50,
    }
}

/// What session 1 was answered, by kind, each scope's and forecast's with its date.
fn kinds_to_one(answers: &[(u64, Response)]) -> Vec<String> {
    answers
        .iter()
        .filter(|(s, _)| *s == 1)
        .map(|(_, r)| match r {
            Response::Summary(s) => format!("summary {}", s.as_of),
            Response::Page { .. } => "page".into(),
            Response::Scope(s) => format!("scope {}", s.as_of),
            Response::Forecast(f) => format!("forecast {}", f.as_of),
            Response::Dso { .. } => "dso".into(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// The metrics bar and the chart (the figures of the page's scope) come with the first page
/// of new figures, as soon as the figures are computed, not with the forecast, which follows
/// (seconds at 100,000 customers): at the start and after `:asof`, mine or everyone's. They
/// used to wait for the forecast whenever the figures and the first page were asked in one
/// batch (the page then answered from the figures alone).
#[test]
fn the_figures_of_the_first_page_go_out_before_the_forecast() {
    let (_dir, db) = fixture();
    let mut worker = worker_with(&db, &["alice"]);
    let month_end = Date::from_ymd_opt(2026, 3, 31).unwrap();
    for (as_of, query) in [
        (as_of(), QueueQuery::new("alice")),
        (month_end, everyone("alice", "")),
    ] {
        let answers = worker.handle_all(vec![
            (1, Request::Summary { as_of }),
            (1, page_as_of(1, as_of, query.clone())),
        ]);
        let kinds = kinds_to_one(&answers);
        let at = |kind: &str| kinds.iter().position(|k| *k == format!("{kind} {as_of}"));
        let (scope, forecast) = (at("scope"), at("forecast"));
        assert!(scope.is_some() && forecast.is_some(), "{kinds:?}");
        assert!(scope < forecast, "{kinds:?}");
        // Right after the page, and of its scope.
        assert_eq!(
            kinds[..3],
            [
                format!("summary {as_of}"),
                "page".into(),
                format!("scope {as_of}")
            ],
            "{kinds:?}"
        );
        let Some((_, Response::Scope(first))) = answers
            .iter()
            .find(|(_, r)| matches!(r, Response::Scope(_)))
        else {
            unreachable!()
        };
        assert!(first.is_for(&query));
    }
}

/// What the portfolio's worker sends, waited for one at a time: `pick` takes the one waited
/// for; a forecast before `forecast_released` fails the test.
fn next_from<T>(
    answers: &std::sync::mpsc::Receiver<(u64, Response)>,
    forecast_released: bool,
    mut pick: impl FnMut(&Response) -> Option<T>,
) -> T {
    let deadline = Instant::now() + PATIENCE;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok((_, r)) = answers.recv_timeout(left) else {
            break;
        };
        match &r {
            Response::Error(e) => panic!("database: {e}"),
            Response::Forecast(f) if !forecast_released => {
                panic!("a forecast held back came: {f:?}")
            }
            _ => {}
        }
        if let Some(t) = pick(&r) {
            return t;
        }
    }
    panic!("no such answer came");
}

/// A forecast held back (as one of a large portfolio under load is, for seconds) holds back
/// neither the figures, nor the page, nor the metrics bar and chart of the page's scope: in
/// the worker's own loop, at the start, after `R` and after `:asof`; the forecast comes once
/// released.
#[test]
fn a_forecast_held_back_holds_back_neither_the_figures_nor_the_bar() {
    use owed::workstation::portfolio::Envelope;
    let (_dir, db) = fixture();
    let mut worker = PortfolioWorker::open(&db, workstation::settings()).unwrap();
    let (release, held) = std::sync::mpsc::channel::<()>();
    worker.forecasts.hold(held);
    let (envelopes, inbox) = std::sync::mpsc::channel();
    let (answer, answers) = std::sync::mpsc::channel();
    let request = |request: Request| Envelope::Request {
        session: 1,
        request,
    };
    let as_of = as_of();
    let mine = QueueQuery::new("alice");
    // The screen's first requests, there before the worker looks (one batch, as a local
    // terminal's usually are).
    envelopes
        .send(Envelope::Join {
            session: 1,
            actor: Actor::new("alice", Role::Collector),
            files: FileAccess::own(),
        })
        .unwrap();
    envelopes.send(request(Request::Summary { as_of })).unwrap();
    envelopes
        .send(request(page_as_of(1, as_of, mine.clone())))
        .unwrap();
    let running = std::thread::spawn(move || {
        worker.run(inbox, move |sid, r| {
            let _ = answer.send((sid, r));
        })
    });
    let scope_of = |date: Date| {
        move |r: &Response| match r {
            Response::Scope(s) if s.as_of == date => Some((**s).clone()),
            _ => None,
        }
    };
    let scope = next_from(&answers, false, scope_of(as_of));
    assert!(scope.is_for(&mine));

    // `R` after a save: the figures computed again (beside), and the bar with them.
    let acme = cid(&db, "K6");
    envelopes
        .send(request(note(2, acme, "called, no answer")))
        .unwrap();
    next_from(&answers, false, |r| {
        matches!(r, Response::Saved { seq: 2, .. }).then_some(())
    });
    envelopes.send(request(Request::Reload { as_of })).unwrap();
    envelopes
        .send(request(page_as_of(3, as_of, mine.clone())))
        .unwrap();
    next_from(&answers, false, |r| {
        matches!(r, Response::Summary(s) if s.as_of == as_of).then_some(())
    });
    let scope = next_from(&answers, false, scope_of(as_of));
    assert!(scope.is_for(&mine));

    // `:asof` another date: its figures, page and bar.
    let month_end = Date::from_ymd_opt(2026, 3, 31).unwrap();
    envelopes
        .send(request(Request::Summary { as_of: month_end }))
        .unwrap();
    envelopes
        .send(request(page_as_of(4, month_end, mine.clone())))
        .unwrap();
    let scope = next_from(&answers, false, scope_of(month_end));
    assert!(scope.is_for(&mine));

    // Released, the forecast of the date on screen comes (the one held, of the date before,
    // is dropped).
    drop(release);
    let forecast = next_from(&answers, true, |r| match r {
        Response::Forecast(f) => Some(f.as_of),
        _ => None,
    });
    assert_eq!(forecast, month_end);
    drop(envelopes);
    running.join().unwrap();
}

/// A mailer that tells when a message is handed over, then takes `answer` to answer it, and
/// records it; `unanswered`: no answer comes after all (the mail server's timeout), its
/// delivery unknown.
struct SlowMailer {
    handed: std::sync::mpsc::Sender<String>,
    answer: Duration,
    sent: Arc<Mutex<Vec<String>>>,
    unanswered: bool,
}

impl owed::engage::outbox::Mailer for SlowMailer {
    fn connect(&mut self) -> Result<(), owed::engage::outbox::SendError> {
        Ok(())
    }

    fn send(&mut self, message: &lettre::Message) -> Result<(), owed::engage::outbox::SendError> {
        let text = String::from_utf8_lossy(&message.formatted()).into_owned();
        let _ = self.handed.send(text.clone());
        std::thread::sleep(self.answer);
        if self.unanswered {
            return Err(owed::engage::outbox::SendError::Unknown(
                "the SMTP server timed out after the message was handed over".into(),
            ));
        }
        self.sent.lock().unwrap().push(text);
        Ok(())
    }
}

/// What [`slow_sends`] gives.
type SlowSends = (
    Workstation,
    Session,
    std::sync::mpsc::Receiver<String>,
    Arc<Mutex<Vec<String>>>,
);

/// A workstation whose sends take `answer` for the mail server to answer each message, and
/// dana sending K4's and K1's reminders of her plan, the first handed over: the service, her
/// session, what is handed over next (as it is) and what was answered.
fn slow_sends(db: &Path, cycles: &Path, answer: Duration) -> SlowSends {
    sends_answered(db, cycles, answer, false)
}

/// [`slow_sends`], the answer never coming when `unanswered` (the mailer times out after
/// `answer`).
fn sends_answered(db: &Path, cycles: &Path, answer: Duration, unanswered: bool) -> SlowSends {
    let (handed, handed_rx) = std::sync::mpsc::channel();
    let handed = Arc::new(Mutex::new(handed));
    let sent = Arc::new(Mutex::new(Vec::new()));
    let mut settings =
        ServiceSettings::from_config(&workstation::engage_config(cycles, 2525)).unwrap();
    settings.settings = workstation::settings();
    let answered = Arc::clone(&sent);
    settings.mailer = Arc::new(move |_config, _channels, _stop| {
        Ok(Box::new(SlowMailer {
            handed: handed.lock().unwrap().clone(),
            answer,
            sent: Arc::clone(&answered),
            unanswered,
        }) as Box<dyn owed::engage::outbox::Mailer>)
    });
    let ws = Workstation::open(db, settings).unwrap();
    let dana = ws.connect(Actor::new("dana", Role::Manager));
    let keys = engage_plan(&dana, 1, None)
        .entries
        .iter()
        .filter(|r| ["K4", "K1"].contains(&r.key.customer_id.as_str()))
        .map(|r| r.key.clone())
        .collect::<Vec<_>>();
    assert_eq!(keys.len(), 2, "{keys:?}");
    dana.engage(EngageRequest::SendPlanned {
        seq: 2,
        as_of: Date::from_ymd_opt(2026, 4, 30).unwrap(),
        keys,
    })
    .unwrap();
    handed_rx
        .recv_timeout(PATIENCE)
        .expect("a message handed over");
    (ws, dana, handed_rx, sent)
}

/// The reminders of the outbox: (customer id, status).
fn reminders(db: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT c.id, r.status FROM reminders r JOIN customers c ON c.cid = r.cid
              ORDER BY r.id",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A workstation that stops while a session's send has handed a reminder over to the mail
/// server waits for the server's answer and records it, and claims no reminder after it, as
/// `owed engage run` does on SIGTERM: `owed serve` stopped at once, the mail arrived and the
/// reminder stayed `pending`, with nothing in the log.
#[test]
fn a_stopping_workstation_records_the_answer_of_a_reminder_handed_over() {
    let (dir, db) = fixture();
    let cycles = workstation::cycles(dir.path());
    let before = reminders(&db);
    let (ws, dana, handed, sent) = slow_sends(&db, &cycles, Duration::from_millis(1500));
    assert_eq!(ws.sends().active(), 1);
    // The server stops now: it waits for the answer, and sends nothing more.
    let left = ws.finish_sends(PATIENCE);
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(sent.lock().unwrap().len(), 1);
    let after = reminders(&db);
    let new: Vec<_> = after[before.len()..].to_vec();
    assert_eq!(new, [("K4".to_string(), "sent".to_string())], "{after:?}");
    assert!(handed.try_recv().is_err(), "the second was not sent");
    drop(dana);
}

/// A reminder handed over when the workstation stopped whose answer never came (the mail
/// server's timeout) is left `pending`, and said with its number, customer and cycle: `owed
/// serve` stopped, waited, and its log named nothing though the outbox showed it pending.
#[test]
fn a_stopping_workstation_names_the_reminder_whose_answer_never_came() {
    let (dir, db) = fixture();
    let cycles = workstation::cycles(dir.path());
    let before = reminders(&db);
    let (ws, dana, handed, sent) = sends_answered(&db, &cycles, Duration::from_millis(1500), true);
    let left = ws.finish_sends(PATIENCE);
    assert!(sent.lock().unwrap().is_empty());
    let after = reminders(&db);
    assert_eq!(
        after[before.len()..],
        [("K4".to_string(), "pending".to_string())],
        "{after:?}"
    );
    let id: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT max(id) FROM reminders", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].starts_with(&format!("reminder {id}: Standard dunning / Final to "))
            && left[0].contains("(K4), sent by dana"),
        "{left:?}"
    );
    assert!(handed.try_recv().is_err(), "the second was not sent");
    drop(dana);
}

/// The stopping workstation waits for the mail server's answer as long as the server may
/// take (its `timeout_seconds`): it said "up to 35 s" with a 10 s timeout, counting the
/// text-message provider's 30 s default though no `[sms]` was set.
#[test]
fn a_stopping_workstation_waits_as_long_as_the_channels_set() {
    let (dir, db) = fixture();
    let cycles = workstation::cycles(dir.path());
    let mut config = workstation::engage_config(&cycles, 2525);
    config.smtp.timeout_seconds = Some(10);
    let ws = Workstation::open(&db, ServiceSettings::from_config(&config).unwrap()).unwrap();
    assert_eq!(ws.send_deadline(), Duration::from_secs(10));
    config.sms.url = Some("https://sms.example/Messages.json".into());
    config.sms.timeout_seconds = Some(20);
    let ws = Workstation::open(&db, ServiceSettings::from_config(&config).unwrap()).unwrap();
    assert_eq!(ws.send_deadline(), Duration::from_secs(20));
}

/// Past the deadline, the reminder still waiting for the server's answer is said, to be
/// found in the outbox (left `pending`: maybe delivered).
#[test]
fn a_stopping_workstation_says_which_reminder_it_left_pending() {
    let (dir, db) = fixture();
    let cycles = workstation::cycles(dir.path());
    let (ws, dana, handed, _sent) = slow_sends(&db, &cycles, Duration::from_secs(3));
    let left = ws.finish_sends(Duration::from_millis(200));
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].starts_with("Standard dunning / Final to ")
            && left[0].ends_with("(K4), sent by dana"),
        "{left:?}"
    );
    // It ends by itself, recorded, and nothing after it is sent.
    assert!(ws.finish_sends(PATIENCE).is_empty());
    assert!(handed.try_recv().is_err());
    drop(dana);
}
