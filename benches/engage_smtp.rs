//! Mails per second through the real outbox and SMTP client to a local SMTP server
//! (mailin-embedded on loopback), each reminder claimed, rendered, sent and recorded.
//!
//! `cargo bench --bench engage_smtp [-- N]` (N reminders, default 2000).

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

fn main() {
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
        &ImportOptions {
            base_currency: "USD".into(),
            progress: false,
        },
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
