//! Mails per second through the real outbox and SMTP client to a local SMTP server
//! (mailin-embedded on loopback), each reminder claimed, rendered, sent and recorded.
//!
//! `cargo bench --bench engage_smtp [-- N]` (N reminders, default 2000).
//!
//! `cargo bench --bench engage_smtp -- scale [CUSTOMERS] [REMINDERS]` instead measures, on the
//! demo portfolio (default 100,000 customers), `engage plan` with the shipped cycles, then
//! `report engagement` after REMINDERS (default 30,000) reminders were sent (written straight
//! into the outbox, each naming the customer's open documents, spread over 13 weeks, with
//! replies and promises after a tenth of them).

use mailin_embedded::{Handler, Response, Server, SslConfig, response};
use owed::domain::Date;
use owed::engage::outbox::{self, RetryPolicy, SendSettings};
use owed::engage::smtp::{Security, SmtpMailer, SmtpSettings};
use owed::engage::{PlanSettings, cycle, plan};
use owed::import::{ImportOptions, import_paths};
use owed::store::Store;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone)]
struct Count(Arc<AtomicUsize>);

impl Handler for Count {
    fn data_end(&mut self) -> Response {
        self.0.fetch_add(1, Ordering::SeqCst);
        response::OK
    }
}

/// The plan at scale and the engagement report over many reminders.
fn scale(customers: usize, reminders: usize) {
    use owed::demo::{DemoOptions, write_csvs};
    use owed::engage::report::EngagementReport;
    let dir = tempfile::tempdir().unwrap();
    let today = Date::from_ymd_opt(2026, 11, 25).unwrap();
    let options = DemoOptions {
        customers,
        seed: 7,
        today,
        base_currency: "USD".into(),
    };
    let data = dir.path().join("data");
    write_csvs(&options, &data).unwrap();
    let db = dir.path().join("owed.db");
    let mut store = Store::open_or_create(&db).unwrap();
    let t = Instant::now();
    import_paths(
        &mut store,
        &[data],
        &ImportOptions::by("bench", chrono::Utc::now(), "USD"),
    )
    .unwrap();
    println!(
        "scale: {customers} customers imported in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let cycles_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/cycles");
    let cycles = cycle::load_dir(&cycles_dir).unwrap();
    let settings = PlanSettings {
        as_of: today,
        base_currency: "USD",
        promise_grace_days: 3,
        min_days_between: 7,
        today,
    };
    let t = Instant::now();
    let plan = plan::compute(&store, &cycles, settings).unwrap();
    println!(
        "scale: engage plan with the shipped cycles: {} to send, {} skipped, in {:.2} s",
        plan.entries.len(),
        plan.skipped.len(),
        t.elapsed().as_secs_f64()
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let day0 = owed::domain::date::day_number(today);
    conn.execute_batch(&format!(
        "BEGIN;
         INSERT INTO reminders (cid, at, collector, cycle, reminder, to_addr, subject, body, status,
                                message_id, sent_at, sent_date, channel)
           SELECT cid, 'x', 'bench', CASE cid % 3 WHEN 0 THEN 'Standard dunning'
                                                  WHEN 1 THEN 'Key accounts' ELSE 'Card failures' END,
                  'R' || (cid % 2), 'ap@x.example', 's', 'b', 'sent', '<b' || cid || '@x>', 'x',
                  {day0} - (cid % 90), CASE WHEN cid % 10 = 0 THEN 'sms' ELSE 'email' END
             FROM (SELECT DISTINCT cid FROM documents WHERE balance <> 0 AND kind <> 'credit_note')
            LIMIT {reminders};
         INSERT INTO reminder_documents (cycle, reminder, did, reminder_id, cycle_key,
                                         reminder_key)
           SELECT r.cycle, r.reminder, d.did, r.id, lower(r.cycle), lower(r.reminder)
             FROM reminders r
             JOIN documents d ON d.cid = r.cid AND d.balance <> 0 AND d.kind <> 'credit_note';
         INSERT INTO replies (cid, at, received_date, message_id, in_reply_to, from_addr, subject, body)
           SELECT cid, 'x', sent_date + 2, '<re' || id || '@x>', message_id, 'ap@x.example', 're', 'b'
             FROM reminders WHERE id % 10 = 0;
         INSERT INTO promises (cid, at, collector, amount, promised_date, recorded_date)
           SELECT cid, 'x', 'bench', 1000000, sent_date + 10, sent_date + 1
             FROM reminders WHERE id % 10 = 5;
         COMMIT;"
    ))
    .unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM reminders", [], |r| r.get(0))
        .unwrap();
    let docs: i64 = conn
        .query_row("SELECT count(*) FROM reminder_documents", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    let store = Store::open_existing(&db).unwrap();
    let t = Instant::now();
    let report = EngagementReport::compute(&store, today, "USD").unwrap();
    println!(
        "scale: report engagement over {count} reminders ({docs} documents named, {} sent, {} texts) in {:.2} s",
        report.total.sent,
        report.total.texts,
        t.elapsed().as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "scale") {
        let numbers: Vec<usize> = args[at + 1..]
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect();
        scale(
            numbers.first().copied().unwrap_or(100_000),
            numbers.get(1).copied().unwrap_or(30_000),
        );
        return;
    }
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut customers = String::from("id,name,email\n");
    let mut documents = String::from("id,customer_id,type,doc_date,due_date,amount,currency\n");
    for i in 0..n {
        customers.push_str(&format!("C{i},Customer {i},ap{i}@c{i}.example\n"));
        for j in 0..3 {
            documents.push_str(&format!(
                "D{i}-{j},C{i},invoice,2026-02-0{},2026-03-0{},{}.00,USD\n",
                j + 1,
                j + 1,
                100 + i + j
            ));
        }
    }
    std::fs::write(data.join("customers.csv"), customers).unwrap();
    std::fs::write(data.join("documents.csv"), documents).unwrap();
    let mut store = Store::open_or_create(&dir.path().join("owed.db")).unwrap();
    import_paths(
        &mut store,
        &[data],
        &ImportOptions::by("bench", chrono::Utc::now(), "USD"),
    )
    .unwrap();
    let cycles_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/cycles");
    let cycles = cycle::load_dir(&cycles_dir).unwrap();
    let as_of = Date::from_ymd_opt(2026, 4, 30).unwrap();
    let plan = plan::compute(
        &store,
        &cycles,
        PlanSettings {
            as_of,
            base_currency: "USD",
            promise_grace_days: 3,
            min_days_between: 0,
            today: chrono::Local::now().date_naive(),
        },
    )
    .unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(AtomicUsize::new(0));
    let mut server = Server::new(Count(received.clone()));
    server
        .with_name("bench.localhost")
        .with_ssl(SslConfig::None)
        .unwrap()
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });

    let mut mailer = SmtpMailer::new(SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: Security::None,
        credentials: None,
        timeout: Duration::from_secs(30),
    });
    let settings = SendSettings {
        from: "Collections <ar@example.com>".parse().unwrap(),
        collector: "bench".into(),
        role: owed::domain::users::Role::Manager,
        base_currency: "USD".into(),
        as_of,
        retry: RetryPolicy::default(),
        statement: Default::default(),
        min_days_between: 0,
        clock: owed::domain::date::Clock::Reading(chrono::Local::now),
    };
    let start = Instant::now();
    let report = outbox::run(&mut store, &cycles, &plan.entries, &mut mailer, &settings).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(report.sent.len(), plan.entries.len());
    let deadline = Instant::now() + Duration::from_secs(10);
    while received.load(Ordering::SeqCst) < report.sent.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    println!(
        "engage_smtp: {} reminders claimed, rendered, sent over SMTP and recorded in {:.2} s: {:.0} mails/s ({} received by the server)",
        report.sent.len(),
        elapsed.as_secs_f64(),
        report.sent.len() as f64 / elapsed.as_secs_f64(),
        received.load(Ordering::SeqCst)
    );
}
