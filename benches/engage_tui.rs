//! The workstation's engagement on a large demo portfolio: what the engagement worker takes
//! to answer `E` (today's plan with skipped, holds and outbox), the report pane, `r` (the
//! templates, then one customer's preview) and `Enter` on the plan (a planned preview); what
//! the data worker takes to build the queue (with the Replies tab) and to mark a customer's
//! replies read; and what drawing the engagement screen costs. Sending is measured by
//! `cargo bench --bench engage_smtp`.
//!
//! `cargo bench --bench engage_tui` generates a 100k-customer demo (`OWED_BENCH_CUSTOMERS` to
//! change; `OWED_BENCH_DB=PATH` reuses or keeps one) and uses the cycles of `config/cycles`.

use owed::domain::Date;
use owed::domain::aging::AgingBounds;
use owed::domain::queue::{QueueQuery, Scope, Tab};
use owed::tui::app::{App, Session};
use owed::tui::engage::{self, EngageRequest, EngageResponse};
use owed::tui::keymap::Keymap;
use owed::tui::theme::Theme;
use owed::tui::{update, view};
use owed::workstation::engage::worker::{EngageSettings, EngageWorker, MailerFactory};
use owed::workstation::{PortfolioWorker, Request, Response, Settings};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const OWED: &str = env!("CARGO_BIN_EXE_owed");
const AS_OF: &str = "2026-04-30";

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn line(name: &str, d: Duration, note: &str) {
    println!("{name:<46} {:>9.1} ms  {note}", ms(d));
}

/// Answers one request of the engagement worker, returning its answers and the time taken.
fn ask(source: &mut EngageWorker, request: EngageRequest) -> (Vec<EngageResponse>, Duration) {
    let start = Instant::now();
    let mut out = Vec::new();
    source.handle(request, &mut |r| out.push(r));
    (out, start.elapsed())
}

fn no_mail() -> MailerFactory {
    std::sync::Arc::new(|_, _, _| Err(owed::Error::runtime("the benchmark sends nothing")))
}

fn database(dir: &Path, customers: usize) -> PathBuf {
    if let Ok(path) = std::env::var("OWED_BENCH_DB") {
        let db = PathBuf::from(path);
        if !db.exists() {
            generate(&db, customers);
        }
        return db;
    }
    let db = dir.join("engage-tui.db");
    generate(&db, customers);
    db
}

fn generate(db: &Path, customers: usize) {
    let start = Instant::now();
    let config = tempfile::NamedTempFile::new().expect("an empty config");
    let status = Command::new(OWED)
        .args(["--db", &db.display().to_string(), "--as-of", AS_OF, "demo"])
        .args(["--no-tui", "--customers", &customers.to_string()])
        .env("OWED_CONFIG", config.path())
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run owed demo");
    assert!(status.success(), "owed demo failed");
    line(
        "generate the demo (not the workstation)",
        start.elapsed(),
        "",
    );
}

fn main() {
    let customers: usize = std::env::var("OWED_BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path(), customers);
    let as_of: Date = owed::domain::date::parse_iso(AS_OF).expect("date");
    // Some unread replies, so that the Replies tab has customers.
    let conn = rusqlite::Connection::open(&db).expect("open");
    conn.execute_batch(&format!(
        "INSERT OR IGNORE INTO replies (cid, at, received_date, message_id, from_addr, subject, body)
         SELECT cid, '2026-04-29T10:00:00Z', {day}, '<bench-' || cid || '@example>', 'ap@example',
                'Re: your reminder', 'We will pay next week.'
           FROM customers WHERE cid % 100 = 0",
        day = owed::domain::date::day_number(as_of)
    ))
    .expect("replies");
    drop(conn);

    let mut config = owed::config::Config {
        cycles: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/cycles")),
        ..owed::config::Config::default()
    };
    config.smtp.from = Some("Collections <ar@example.com>".into());
    let mut source = EngageWorker::open(
        &db,
        EngageSettings {
            config,
            actor: owed::domain::users::Actor::new("alice", owed::domain::users::Role::Manager),
            retry: owed::engage::RetryPolicy::default(),
        },
        no_mail(),
    )
    .expect("engagement worker");

    // E: today's plan with what stands beside it.
    let (answers, took) = ask(
        &mut source,
        EngageRequest::Plan {
            seq: 1,
            as_of,
            owner: None,
        },
    );
    let Some(EngageResponse::Plan {
        result: Ok(plan), ..
    }) = answers.into_iter().next()
    else {
        panic!("no plan")
    };
    line(
        "E: plan, skipped, holds, outbox (worker)",
        took,
        &format!(
            "{} reminders, {} skipped, {} paused",
            plan.entries.len(),
            plan.skipped.len(),
            plan.paused
        ),
    );
    let (_, took) = ask(
        &mut source,
        EngageRequest::Plan {
            seq: 2,
            as_of,
            owner: None,
        },
    );
    line("E again (cycles read again, plan again)", took, "");

    // Enter on the plan: a planned email rendered (from the plan in hand).
    if let Some(first) = plan.entries.first() {
        let (_, took) = ask(
            &mut source,
            EngageRequest::PreviewPlanned {
                seq: 3,
                as_of,
                keys: vec![first.key.clone()],
            },
        );
        line("Enter on the plan: preview (worker)", took, "");
    }

    // The report pane.
    let (answers, took) = ask(&mut source, EngageRequest::Report { seq: 4, as_of });
    let sent = match answers.first() {
        Some(EngageResponse::Report {
            result: Ok(report), ..
        }) => report.total.sent,
        _ => 0,
    };
    line(
        "report pane (worker)",
        took,
        &format!("{sent} reminders sent so far"),
    );

    // r: the templates, then one customer's email.
    let (answers, took) = ask(
        &mut source,
        EngageRequest::Templates {
            seq: 5,
            as_of,
            cids: plan
                .entries
                .first()
                .map(|e| vec![e.cid])
                .unwrap_or_default(),
        },
    );
    line("r: templates (worker)", took, "");
    let template = match answers.first() {
        Some(EngageResponse::Templates {
            result: Ok(list), ..
        }) => list.first().map(|t| t.path.clone()),
        _ => None,
    };
    if let (Some(template), Some(first)) = (template, plan.entries.first()) {
        let (_, took) = ask(
            &mut source,
            EngageRequest::Preview {
                seq: 6,
                as_of,
                template: template.clone(),
                cids: vec![first.cid],
            },
        );
        line("r Enter: one customer's preview (worker)", took, "");
        let cids: Vec<i64> = plan.entries.iter().take(50).map(|e| e.cid).collect();
        let (_, took) = ask(
            &mut source,
            EngageRequest::Preview {
                seq: 7,
                as_of,
                template,
                cids: cids.clone(),
            },
        );
        line(
            "r Enter on 50 marked customers (worker)",
            took,
            &format!("{} customers", cids.len()),
        );
    }

    // The data worker: the queue with the Replies tab, and marking replies read.
    let settings = Settings {
        bounds: AgingBounds::default(),
        base_currency: "USD".into(),
        grace_days: 3,
    };
    let mut data = PortfolioWorker::open(&db, settings).expect("data worker");
    let start = Instant::now();
    data.handle(Request::Summary { as_of });
    line(
        "queue figures with unread replies (data worker)",
        start.elapsed(),
        "",
    );
    let mut query = QueueQuery::new("alice");
    query.scope = Scope::Everyone;
    query.tab = Tab::Replies;
    let start = Instant::now();
    let answers = data.handle(Request::Page {
        seq: 1,
        as_of,
        query,
        offset: 0,
        limit: 120,
    });
    let (rows, count) = match answers.last() {
        Some(Response::Page { page, .. }) => (page.rows.clone(), page.counts[Tab::Replies.index()]),
        _ => (Vec::new(), 0),
    };
    line(
        "Replies tab page (data worker)",
        start.elapsed(),
        &format!("{count} customers with unread replies"),
    );
    let mut took = Duration::ZERO;
    for row in rows.iter().take(20) {
        let start = Instant::now();
        data.handle(Request::MarkRepliesRead {
            cid: row.cid,
            as_of,
        });
        took += start.elapsed();
    }
    if !rows.is_empty() {
        line(
            "open from Replies: mark read (data worker, mean)",
            took / rows.len().min(20) as u32,
            "",
        );
    }

    // Drawing the engagement screen with the plan loaded.
    let session = Session {
        collector: "alice".into(),
        base_currency: "USD".into(),
        bounds: AgingBounds::default(),
        today: as_of,
    };
    let mut app = App::new(
        session,
        Keymap::builtin(),
        Theme::builtin("default").expect("theme"),
        as_of,
        true,
    );
    update::resize(&mut app, 120, 40);
    let _ = engage::screen::open_pane(&mut app, None);
    let seq = app.engage.screen.plan_seq;
    let _ = engage::response(
        &mut app,
        EngageResponse::Plan {
            seq,
            result: Ok(plan),
        },
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let draws = 200;
    let start = Instant::now();
    for i in 0..draws {
        let _ = update::update(
            &mut app,
            if i % 2 == 0 {
                owed::tui::key_action::Action::Bottom
            } else {
                owed::tui::key_action::Action::Top
            },
        );
        terminal.draw(|f| view::draw(f, &app)).expect("draw");
    }
    line(
        "key to frame on the plan (G / g g, mean)",
        start.elapsed() / draws,
        "",
    );
}
