//! Text-message reminders (`channel = "sms"`) through the real binary against an in-process
//! HTTP server that speaks the provider's form-encoded shape: sent at most once across a
//! crash and a rerun, retried when the provider asks to come back later, released when it
//! refuses, and counted by the engagement report.

mod common;
mod workstation;

use base64::Engine as _;
use common::{command_db, owed_db, refused, stderr, stdout, succeeded, write_files};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the provider does with the next request.
#[derive(Debug, Clone, Copy)]
enum Act {
    Answer(u16),
    /// Reads the request and never answers.
    Hang,
    /// Reads the request and closes the connection without an answer.
    Drop,
}

/// A request as the provider received it.
#[derive(Debug, Clone)]
struct Request {
    line: String,
    authorization: String,
    form: Vec<(String, String)>,
}

impl Request {
    fn field(&self, name: &str) -> &str {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

#[derive(Clone)]
struct Provider {
    port: u16,
    script: Arc<Mutex<VecDeque<Act>>>,
    requests: Arc<Mutex<Vec<Request>>>,
}

fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

impl Provider {
    fn start() -> Provider {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let provider = Provider {
            port: listener.local_addr().unwrap().port(),
            script: Arc::default(),
            requests: Arc::default(),
        };
        let p = provider.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let p = p.clone();
                std::thread::spawn(move || p.serve(stream));
            }
        });
        provider
    }

    fn serve(&self, mut stream: TcpStream) {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        let (head_end, length) = loop {
            let n = stream.read(&mut chunk).unwrap_or(0);
            if n == 0 {
                return;
            }
            buffer.extend_from_slice(&chunk[..n]);
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buffer[..end]).to_string();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                break (end + 4, length);
            }
        };
        while buffer.len() < head_end + length {
            let n = stream.read(&mut chunk).unwrap_or(0);
            if n == 0 {
                return;
            }
            buffer.extend_from_slice(&chunk[..n]);
        }
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
        let body = String::from_utf8_lossy(&buffer[head_end..head_end + length]).to_string();
        let request = Request {
            line: head.lines().next().unwrap_or("").to_string(),
            authorization: head
                .lines()
                .find_map(|l| l.strip_prefix("Authorization: "))
                .unwrap_or("")
                .to_string(),
            form: body
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (form_decode(k), form_decode(v)))
                .collect(),
        };
        let act = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Act::Answer(201));
        self.requests.lock().unwrap().push(request);
        match act {
            Act::Answer(status) => {
                let body = format!("{{\"sid\": \"SM{status}\", \"status\": \"queued\"}}");
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
            Act::Hang => std::thread::sleep(Duration::from_secs(60)),
            Act::Drop => {}
        }
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    fn wait_for(&self, n: usize) {
        let start = Instant::now();
        while self.requests().len() < n {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the provider got {} requests, not {n}",
                self.requests().len()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

const CUSTOMERS: &str = "id,name,email,phone
C1,Alder Ltd,ap@alder.example,+44 20 7946 0001
C2,Birch & Co,ap@birch.example,+44 (20) 7946-0002
C4,Dogwood,ap@dogwood.example,(020) 7946-0004
C3,Cedar,ap@cedar.example,
";
const DOCUMENTS: &str = "id,customer_id,type,doc_date,due_date,amount
I1,C1,invoice,2026-03-01,2026-04-01,120.00
I2,C2,invoice,2026-03-01,2026-04-01,80.00
I3,C3,invoice,2026-03-01,2026-04-01,50.00
I4,C4,invoice,2026-03-01,2026-04-01,40.00
";
const CYCLE: &str = r#"name = "Texts"
[[reminder]]
name = "Nudge"
after_due_days = 3
channel = "sms"
template = "templates/nudge.md"
"#;

/// A folder with [`setup`]'s database and config, their provider running.
fn with_provider() -> (tempfile::TempDir, Provider, String) {
    let dir = tempfile::tempdir().unwrap();
    let provider = Provider::start();
    let db = setup(dir.path(), &provider);
    (dir, provider, db)
}

/// A database with the portfolio, the SMS cycle and a config pointing at `provider`.
fn setup(dir: &Path, provider: &Provider) -> String {
    let data = dir.join("data");
    write_files(
        dir,
        &[
            ("data/customers.csv", CUSTOMERS),
            ("data/documents.csv", DOCUMENTS),
            ("cycles/texts.toml", CYCLE),
            (
                "cycles/templates/nudge.md",
                "Overdue: {{ customer.name }}\n\n{{ table }}\n",
            ),
            (
                "cycles/templates/nudge.sms.txt",
                "{{ customer.name }}: {{ totals.balance }} {{ totals.currency }} is overdue.\n",
            ),
        ],
    );
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "[sms]\nurl = \"http://127.0.0.1:{}/2010-04-01/Accounts/AC1/Messages.json\"\n\
             account = \"AC1\"\ntoken_env = \"OWED_TEST_SMS_TOKEN\"\nfrom = \"+15550100000\"\n\
             timeout_seconds = 2\n",
            provider.port
        ),
    )
    .unwrap();
    let db = dir.join("owed.db").to_str().unwrap().to_string();
    let o = owed_db(dir, &db, &["import", data.to_str().unwrap()]);
    succeeded(&o);
    db
}

fn run(dir: &Path, db: &str) -> std::process::Command {
    let mut c = command_db(
        dir,
        db,
        &[
            "--as-of",
            "2026-05-01",
            "engage",
            "run",
            "--cycles",
            dir.join("cycles").to_str().unwrap(),
        ],
    );
    c.env("OWED_TEST_SMS_TOKEN", "s3cret");
    c
}

fn outbox(dir: &Path, db: &str) -> Vec<serde_json::Value> {
    let o = owed_db(dir, db, &["engage", "outbox", "--json"]);
    succeeded(&o);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    v.as_array().unwrap().clone()
}

#[test]
#[cfg(unix)]
fn a_text_is_sent_once_across_a_crash_and_a_rerun() {
    let (dir, provider, db) = with_provider();
    // The plan: C1 and C2 by phone; C3 has no phone, C4 no number with + and is skipped.
    let o = owed_db(
        dir.path(),
        &db,
        &[
            "--as-of",
            "2026-05-01",
            "engage",
            "plan",
            "--json",
            "--cycles",
            dir.path().join("cycles").to_str().unwrap(),
        ],
    );
    let plan: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(plan[0]["to"], "+442079460001");
    assert_eq!(plan[0]["channel"], "sms");
    assert_eq!(plan[1]["to"], "+442079460002");
    assert_eq!(plan[2]["customer_id"], "C3");
    assert_eq!(plan[2]["reason"], "no_address");
    // A number without + and the country code is not guessed at.
    assert_eq!(plan[3]["customer_id"], "C4");
    assert_eq!(plan[3]["reason"], "no_address");
    let detail = plan[3]["detail"].as_str().unwrap();
    assert!(detail.contains("must start with +"), "{detail}");

    // C1 is answered; C2's request is read and never answered: the run is killed then.
    provider
        .script
        .lock()
        .unwrap()
        .extend([Act::Answer(201), Act::Hang]);
    let mut child = run(dir.path(), &db)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    provider.wait_for(2);
    child.kill().unwrap();
    child.wait().unwrap();

    let requests = provider.requests();
    assert!(
        requests[0]
            .line
            .starts_with("POST /2010-04-01/Accounts/AC1/Messages.json ")
    );
    let expected = base64::engine::general_purpose::STANDARD.encode("AC1:s3cret");
    assert_eq!(requests[0].authorization, format!("Basic {expected}"));
    assert_eq!(requests[0].field("To"), "+442079460001");
    assert_eq!(requests[0].field("From"), "+15550100000");
    assert_eq!(
        requests[0].field("Body"),
        "Alder Ltd: 120.00 USD is overdue."
    );
    assert_eq!(
        requests[1].field("Body"),
        "Birch & Co: 80.00 USD is overdue."
    );

    let rows = outbox(dir.path(), &db);
    let status = |c: &str| {
        rows.iter()
            .find(|r| r["customer_id"] == c)
            .map(|r| r["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("C1").as_deref(), Some("sent"));
    assert_eq!(status("C2").as_deref(), Some("pending"));

    // The rerun sends nothing: C1 was sent, C2's delivery is unknown.
    let o = run(dir.path(), &db).output().unwrap();
    succeeded(&o);
    assert!(stdout(&o).contains("0 sent"), "{}", stdout(&o));
    assert_eq!(provider.requests().len(), 2, "nothing was sent twice");

    // The report counts the text message sent.
    let o = owed_db(
        dir.path(),
        &db,
        &["--as-of", "2026-05-01", "report", "engagement", "--json"],
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["total"]["sent"], 1);
    assert_eq!(report["total"]["texts_sent"], 1);
    let week = report["weeks"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (week["emails_sent"].clone(), week["texts_sent"].clone()),
        (0.into(), 1.into())
    );

    // After a person checked the provider's log, C2 is released and sent once more. Claimed
    // a moment ago, a run might still be sending it: released only with --force (the run
    // was killed).
    let id = rows.iter().find(|r| r["customer_id"] == "C2").unwrap()["id"].to_string();
    let o = owed_db(dir.path(), &db, &["engage", "release", &id]);
    let err = refused(&o, 2, "a run may be sending it now");
    // On this database: the command it suggests names it.
    assert!(
        err.contains(&format!("`owed --db {db} --config "))
            && err.contains(&format!(" engage release {id} --force`")),
        "{err}"
    );
    let o = owed_db(dir.path(), &db, &["engage", "release", &id, "--force"]);
    succeeded(&o);
    let o = run(dir.path(), &db).output().unwrap();
    succeeded(&o);
    assert_eq!(provider.requests().len(), 3);
    assert_eq!(provider.requests()[2].field("To"), "+442079460002");
}

#[test]
fn a_provider_that_asks_to_wait_is_retried_and_one_that_refuses_releases() {
    let (dir, provider, db) = with_provider();
    // C1: 503, then accepted. C2: 400, refused for good.
    provider
        .script
        .lock()
        .unwrap()
        .extend([Act::Answer(503), Act::Answer(201), Act::Answer(400)]);
    let o = run(dir.path(), &db).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("1 sent"), "{}", stdout(&o));
    assert!(stderr(&o).contains("answered 400"), "{}", stderr(&o));
    assert_eq!(provider.requests().len(), 3);
    let rows = outbox(dir.path(), &db);
    let c2 = rows.iter().find(|r| r["customer_id"] == "C2").unwrap();
    assert_eq!(c2["status"], "failed");
    // Released: the next run sends it.
    let o = run(dir.path(), &db).output().unwrap();
    succeeded(&o);
    assert_eq!(provider.requests().len(), 4);
}

#[test]
fn a_text_needs_the_sms_settings_and_an_https_url() {
    let (dir, provider, db) = with_provider();
    std::fs::write(
        dir.path().join("config.toml"),
        "[sms]\nurl = \"http://sms.example.com/m\"\naccount = \"AC1\"\n\
         token_env = \"OWED_TEST_SMS_TOKEN\"\nfrom = \"+15550100000\"\n",
    )
    .unwrap();
    let o = run(dir.path(), &db).output().unwrap();
    refused(&o, 2, "never sent in clear");
    assert!(provider.requests().is_empty());
    let rows = outbox(dir.path(), &db);
    assert!(rows.is_empty(), "nothing claimed: {rows:?}");
}

/// The token the workstation's senders read (the variable the test configs name).
fn test_token(name: &str) -> Option<String> {
    (name == "OWED_TEST_SMS_TOKEN").then(|| "s3cret".to_string())
}

/// The workstation's engagement worker on `db` as a manager, with the config `setup` wrote
/// (its provider on `port`), sending through the config's senders as `owed serve` does.
fn workstation_worker(
    dir: &Path,
    db: &str,
    port: u16,
) -> owed::workstation::engage::worker::EngageWorker {
    use owed::workstation::engage::worker;
    let text = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    let mut config = owed::config::Config::parse(&text).unwrap();
    config.cycles = Some(dir.join("cycles"));
    config.sms.url = Some(format!(
        "http://127.0.0.1:{port}/2010-04-01/Accounts/AC1/Messages.json"
    ));
    worker::EngageWorker::open(
        Path::new(db),
        worker::EngageSettings {
            config,
            actor: owed::domain::users::Actor::new("alice", owed::domain::users::Role::Manager),
            retry: owed::engage::RetryPolicy {
                attempts: 2,
                first_delay: Duration::from_millis(10),
            },
        },
        worker::config_senders_with(test_token),
    )
    .unwrap()
}

/// What a would-be worker on `db` (its provider on `port`) answers to sending (or, with
/// `preview`, previewing) `customer`'s planned text as of [`as_of`], request `seq`.
fn ask_planned(
    dir: &Path,
    db: &str,
    port: u16,
    preview: bool,
    seq: u64,
    customer: &str,
) -> Vec<owed::workstation::engage::EngageResponse> {
    use owed::workstation::engage::EngageRequest;
    let (as_of, keys) = (as_of(), vec![key(customer)]);
    let request = if preview {
        EngageRequest::PreviewPlanned { seq, as_of, keys }
    } else {
        EngageRequest::SendPlanned { seq, as_of, keys }
    };
    let mut out = Vec::new();
    workstation_worker(dir, db, port).handle(request, &mut |r| out.push(r));
    out
}

fn key(customer: &str) -> owed::workstation::engage::PlanKey {
    owed::workstation::engage::PlanKey {
        cycle: "Texts".into(),
        reminder: "Nudge".into(),
        customer_id: customer.into(),
    }
}

fn as_of() -> owed::domain::Date {
    owed::domain::date::parse_iso("2026-05-01").unwrap()
}

#[test]
fn the_workstation_sends_a_planned_text_through_the_provider() {
    use owed::workstation::engage::{EngageResponse, SendResult};
    let (dir, provider, db) = with_provider();
    let answers = ask_planned(dir.path(), &db, provider.port, false, 1, "C1");
    let outcome = answers
        .iter()
        .find_map(|a| match a {
            EngageResponse::Sent { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{answers:?}"));
    assert!(outcome.result.is_sent(), "{answers:?}");
    assert!(
        matches!(
            answers.last(),
            Some(EngageResponse::SendDone { error: None, .. })
        ),
        "{answers:?}"
    );
    let requests = provider.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].field("To"), "+442079460001");
    assert_eq!(
        requests[0].field("Body"),
        "Alder Ltd: 120.00 USD is overdue."
    );
    let rows = outbox(dir.path(), &db);
    assert_eq!(rows[0]["status"], "sent");

    // A provider that cannot be reached is said as such, not as the mail server.
    let answers = ask_planned(dir.path(), &db, closed_port(), false, 2, "C2");
    let Some(EngageResponse::SendDone {
        error: Some(error), ..
    }) = answers.last()
    else {
        panic!("{answers:?}")
    };
    assert!(error.contains("text-message provider"), "{error}");
    assert!(!error.contains("mail server"), "{error}");
    assert!(
        answers.iter().any(|a| matches!(
            a,
            EngageResponse::Sent {
                outcome: owed::workstation::engage::SendOutcome {
                    result: SendResult::Failed(_),
                    ..
                },
                ..
            }
        )),
        "{answers:?}"
    );
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_workstation_previews_a_planned_text_as_it_is_sent() {
    use owed::workstation::engage::EngageResponse;
    let (dir, provider, db) = with_provider();
    let answers = ask_planned(dir.path(), &db, provider.port, true, 1, "C1");
    let Some(EngageResponse::Previews {
        result: Ok(items), ..
    }) = answers.first()
    else {
        panic!("{answers:?}")
    };
    let mail = items[0].mail.as_ref().unwrap();
    assert!(mail.text_message);
    assert_eq!(mail.to, "+442079460001");
    assert_eq!(mail.from, "+15550100000");
    // The text of nudge.sms.txt, not the email's nudge.md.
    assert_eq!(mail.text, "Alder Ltd: 120.00 USD is overdue.");
    assert!(provider.requests().is_empty(), "a preview sends nothing");

    // On the engagement screen, Enter on the planned row shows the number and the text.
    let mut d = workstation::Driver::with_engage(
        Path::new(&db),
        "alice",
        (120, 40),
        workstation_worker(dir.path(), &db, provider.port),
    );
    d.press("E <Enter>");
    let screen = d.screen();
    assert!(screen.contains("Alder Ltd · +442079460001"), "{screen}");
    assert!(
        screen.contains("Alder Ltd: 120.00 USD is overdue."),
        "{screen}"
    );
    assert!(!screen.contains("Subject"), "{screen}");
    assert!(!screen.contains("Overdue: Alder Ltd"), "{screen}");
}

#[test]
fn refused_credentials_stop_the_run_once_and_nothing_more_is_sent() {
    let (dir, provider, db) = with_provider();
    provider.script.lock().unwrap().extend([Act::Answer(401)]);
    let o = run(dir.path(), &db).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("refused the credentials of account `AC1`"),
        "{err}"
    );
    assert!(err.contains("planned again next run"), "{err}");
    // One request: C2 was not tried with the same credentials.
    assert_eq!(provider.requests().len(), 1, "{err}");
    let rows = outbox(dir.path(), &db);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["status"], "failed");
    // Both are planned again: the next run sends them.
    let o = run(dir.path(), &db).output().unwrap();
    succeeded(&o);
    assert!(stdout(&o).contains("2 sent"), "{}", stdout(&o));
    assert_eq!(provider.requests().len(), 3);
}

#[test]
fn a_text_of_unknown_fate_names_the_provider_in_plain_words() {
    let (dir, provider, db) = with_provider();
    provider.script.lock().unwrap().extend([Act::Drop]);
    let o = run(dir.path(), &db).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("the provider closed the connection"), "{err}");
    assert!(
        err.contains("check the text-message provider's log"),
        "{err}"
    );
    assert!(!err.contains("mail server"), "{err}");
    assert!(!err.contains("Io(") && !err.contains("kind:"), "{err}");
    // The next run's warning names both places a pending reminder's fate is in.
    let o = run(dir.path(), &db).output().unwrap();
    let err = stderr(&o);
    assert!(err.contains("text-message provider's) log"), "{err}");
}
