//! A small fixed portfolio for the workstation's tests, and a driver that runs the app's
//! effects against the database synchronously (no terminal, no thread).
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use owed::domain::Date;
use owed::domain::aging::AgingBounds;
use owed::domain::users::{Actor, Role};
use owed::import::{ImportOptions, import_paths};
use owed::store::Store;
use owed::tui::app::{App, Session};
use owed::tui::engage::{self as tui_engage, EngageRequest};
use owed::tui::keymap::{Key, Keymap};
use owed::tui::theme::Theme;
use owed::tui::update::{self, Effect};
use owed::tui::view;
use owed::workstation::engage::worker::EngageWorker;
use owed::workstation::{PortfolioWorker, Request, Settings};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};

pub const AS_OF: &str = "2026-04-30";

pub fn as_of() -> Date {
    owed::domain::date::parse_iso(AS_OF).unwrap()
}

const CUSTOMERS: &str = "\
id,name,email,phone,currency,finance_owner,sales_owner,payment_terms_days,credit_limit
K1,Kite Supplies,ap@kite.example,+1 555 0101,USD,alice,sam,30,5000
K2,Lumen GmbH,buchhaltung@lumen.example,,EUR,bob,,30,
K3,Moss & Sons,ap@moss.example,,USD,alice,,30,
K4,東京商事株式会社 Tokyo Trading,keiri@tokyo.example,,USD,alice,sam,45,20000
K5,🍕 Pizza Palace,owner@pizza.example,,USD,alice,,15,
K6,Acme Corp,ap@acme.example,+1 555 0199,USD,alice,sam,30,50000
K7,Acme Widgets,ap@widgets.example,,USD,alice,,30,
K8,Zephyr Labs,billing@zephyr.example,,USD,alice,,30,
K9,Orbit Ltd,ap@orbit.example,,USD,alice,,30,
K10,Carol's Customer,ap@carol.example,,USD,carol,,30,
";

const DOCUMENTS: &str = "\
id,customer_id,type,number,doc_date,due_date,amount,currency,billing_balance
A1,K1,invoice,INV-100,2026-03-01,2026-03-31,100.00,USD,
A2,K1,credit_note,CN-7,2026-04-02,,100.00,USD,
B1,K2,invoice,RE-2001,2026-03-20,2026-04-19,1000.00,EUR,
C1,K3,invoice,INV-300,2026-01-10,2026-02-09,250.00,USD,
D1,K4,invoice,INV-400,2025-12-01,2026-01-15,5000.00,USD,
D2,K4,invoice,INV-401,2026-04-15,2026-05-15,1200.00,USD,
E1,K5,invoice,INV-500,2025-10-01,2025-11-01,800.00,USD,
F1,K6,invoice,INV-600,2026-02-08,2026-03-10,12000.00,USD,11000.00
G1,K7,invoice,INV-700,2026-03-29,2026-04-28,3000.00,USD,
H1,K8,invoice,INV-800,2026-02-01,2026-03-03,500.00,USD,
I1,K9,invoice,INV-900,2026-04-30,2026-05-30,2500.00,USD,
J1,K10,invoice,INV-1000,2026-03-01,2026-03-31,700.00,USD,
";

const PAYMENTS: &str = "\
id,customer_id,date,amount,currency,status,method,failure_reason
P1,K1,2026-04-05,40.00,USD,success,bank_transfer,
P2,K3,2026-04-20,300.00,USD,success,cheque,
P3,K3,2026-04-21,50.00,USD,failure,card,insufficient funds
P4,K8,2026-03-01,500.00,USD,success,card,
P5,K6,2026-05-05,12000.00,USD,success,bank_transfer,
";

const APPLICATIONS: &str = "\
source_id,document_id,amount,date
P1,A1,40.00,2026-04-05
P2,C1,250.00,2026-04-20
P4,H1,500.00,2026-03-01
P5,F1,12000.00,2026-05-05
";

const RATES: &str = "\
date,currency,rate
2026-03-01,EUR,1.08
2026-04-01,EUR,1.12
";

/// What the engagement cycles sent and the inbox filed (written as they write them; they are
/// no collector action).
const ENGAGEMENT: &str = "
INSERT INTO reminders (cid, at, collector, cycle, reminder, to_addr, subject, body, status, sent_at, sent_date)
    SELECT cid, '2026-04-22T07:00:00Z', 'bob', 'Standard dunning', 'Friendly', 'buchhaltung@lumen.example',
           'Invoice RE-2001 is overdue', 'Dear customer…', 'sent', '2026-04-22T07:00:05Z', {2026-04-22}
      FROM customers WHERE id = 'K2';
INSERT INTO replies (cid, at, received_date, message_id, from_addr, subject, body)
    SELECT cid, '2026-04-23T12:00:00Z', {2026-04-23}, '<r1@lumen.example>', 'buchhaltung@lumen.example',
           'Re: Invoice RE-2001 is overdue', 'Wir zahlen nächste Woche.' FROM customers WHERE id = 'K2';
";

/// Builds the fixture database in `dir` and returns its path.
pub fn build(dir: &Path) -> PathBuf {
    let csv = dir.join("csv");
    std::fs::create_dir_all(&csv).unwrap();
    for (name, text) in [
        ("customers.csv", CUSTOMERS),
        ("documents.csv", DOCUMENTS),
        ("payments.csv", PAYMENTS),
        ("applications.csv", APPLICATIONS),
        ("exchange_rates.csv", RATES),
    ] {
        std::fs::write(csv.join(name), text).unwrap();
    }
    let db = dir.join("owed.db");
    let mut store = Store::open_or_create(&db).unwrap();
    import_paths(
        &mut store,
        &[csv],
        &ImportOptions {
            base_currency: "USD".into(),
            progress: false,
        },
    )
    .unwrap();
    collectors_activity(&mut store);
    drop(store);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(&with_day_numbers(ENGAGEMENT)).unwrap();
    db
}

/// The collectors' notes, promises, dispute and follow-up, recorded through the collector
/// actions (as `owed note`, `owed promise`, … would), each at its own moment.
fn collectors_activity(store: &mut Store) {
    use owed::actions::{self, DisputeForm, PromiseForm};
    let config = owed::config::Config::default();
    let at = |when: &str| {
        let now = chrono::DateTime::parse_from_rfc3339(when)
            .unwrap()
            .with_timezone(&chrono::Utc);
        owed::domain::action_checks::Stamp::new("alice", now, now.date_naive()).unwrap()
    };
    let note = "Called AP, they will check the credit note and call back";
    actions::note(store, &at("2026-04-20T10:00:00Z"), "K1", note).unwrap();
    let later = "A note after the as-of date";
    actions::note(store, &at("2026-05-02T09:00:00Z"), "K1", later).unwrap();
    let f1 = ["F1".to_string()];
    let half = PromiseForm {
        customer: "K6",
        amount: "5000",
        date: "2026-04-25",
        documents: &f1,
        text: Some("CFO promised half"),
    };
    actions::promise(store, &at("2026-04-15T14:00:00Z"), &config, &half).unwrap();
    let rest = PromiseForm {
        customer: "K9",
        amount: "2500",
        date: "2026-05-10",
        documents: &[],
        text: None,
    };
    actions::promise(store, &at("2026-04-28T11:00:00Z"), &config, &rest).unwrap();
    let e1 = ["E1".to_string()];
    let dispute = DisputeForm {
        customer: "K5",
        reason: "pricing",
        amount: Some("800"),
        documents: &e1,
        text: Some("Charged the old menu price"),
    };
    actions::dispute(store, &at("2026-04-02T08:30:00Z"), &config, &dispute).unwrap();
    let call_back = "Call back about the PO number";
    actions::followup(
        store,
        &at("2026-04-27T16:00:00Z"),
        "K7",
        "2026-04-29",
        call_back,
    )
    .unwrap();
}

/// `ACTIVITY` with each `{YYYY-MM-DD}` replaced by the store's day number of that date.
pub fn with_day_numbers(sql: &str) -> String {
    let mut out = String::new();
    let mut rest = sql;
    while let Some(start) = rest.find("{20") {
        out.push_str(&rest[..start]);
        let end = start + 12;
        let date = owed::domain::date::parse_iso(&rest[start + 1..end - 1]).unwrap();
        out.push_str(&owed::domain::date::day_number(date).to_string());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

pub fn settings() -> Settings {
    Settings {
        bounds: AgingBounds::default(),
        base_currency: "USD".into(),
        grace_days: 3,
    }
}

/// The app and its database, driven without a terminal.
pub struct Driver {
    pub app: App,
    pub source: PortfolioWorker,
    /// Every request the app made, in order.
    pub requests: Vec<Request>,
    /// The engagement worker, run in step with the keys (none: its requests are only
    /// recorded).
    pub engage: Option<EngageWorker>,
    /// Every request made of the engagement worker, in order.
    pub engage_requests: Vec<EngageRequest>,
}

impl Driver {
    /// Opens the workstation on `db` as `collector`, at a terminal size, and loads it.
    pub fn new(db: &Path, collector: &str, size: (u16, u16)) -> Driver {
        Driver::with_theme(db, collector, size, "default")
    }

    pub fn with_theme(db: &Path, collector: &str, size: (u16, u16), theme: &str) -> Driver {
        Driver::with_role(db, collector, Role::Manager, size, theme)
    }

    /// Opens the workstation on `db` as `collector` with `role` (what the service lets the
    /// session see and write).
    pub fn with_role(
        db: &Path,
        collector: &str,
        role: Role,
        size: (u16, u16),
        theme: &str,
    ) -> Driver {
        let session = Session {
            collector: collector.into(),
            base_currency: "USD".into(),
            bounds: AgingBounds::default(),
            today: as_of(),
        };
        let app = App::new(
            session,
            Keymap::builtin(),
            Theme::builtin(theme).unwrap(),
            as_of(),
            true,
        );
        let source = PortfolioWorker::open(db, settings())
            .unwrap()
            .acting_as(Actor::new(collector, role));
        let mut d = Driver {
            app,
            source,
            requests: Vec::new(),
            engage: None,
            engage_requests: Vec::new(),
        };
        d.app.size = size;
        let fx = update::start(&mut d.app);
        d.run(fx);
        d
    }

    /// Opens the workstation with an engagement worker that answers in step.
    pub fn with_engage(
        db: &Path,
        collector: &str,
        size: (u16, u16),
        engage: EngageWorker,
    ) -> Driver {
        let mut d = Driver::new(db, collector, size);
        d.engage = Some(engage);
        d
    }

    /// Answers the effects' requests (and those the answers lead to) until none is left.
    pub fn run(&mut self, effects: Vec<Effect>) {
        let mut pending: Vec<Request> = Vec::new();
        let mut engage: Vec<EngageRequest> = Vec::new();
        let sort = |e: Effect, pending: &mut Vec<Request>, engage: &mut Vec<EngageRequest>| match e
        {
            // A local terminal's export is a request like any other.
            Effect::Request(r) | Effect::Export(r) => pending.push(r),
            Effect::Engage(r) => engage.push(r),
            _ => {}
        };
        for e in effects {
            sort(e, &mut pending, &mut engage);
        }
        while !pending.is_empty() || !engage.is_empty() {
            self.requests.extend(pending.iter().cloned());
            let answers = self.source.handle_batch(std::mem::take(&mut pending));
            for answer in answers {
                for e in update::response(&mut self.app, answer) {
                    sort(e, &mut pending, &mut engage);
                }
            }
            for request in std::mem::take(&mut engage) {
                self.engage_requests.push(request.clone());
                let Some(worker) = self.engage.as_mut() else {
                    continue;
                };
                let mut answers = Vec::new();
                worker.handle(request, &mut |r| answers.push(r));
                for answer in answers {
                    for e in tui_engage::response(&mut self.app, answer) {
                        sort(e, &mut pending, &mut engage);
                    }
                }
            }
        }
    }

    /// Types keys: tokens separated by spaces; `<Enter>`-style names are one key, other
    /// tokens are typed character by character (`<Space>` types a space).
    pub fn press(&mut self, keys: &str) -> Vec<Effect> {
        let mut all = Vec::new();
        for token in keys.split(' ').filter(|t| !t.is_empty()) {
            let events: Vec<KeyEvent> = if token.starts_with('<') && token.len() > 2 {
                vec![event(Key::parse(token).unwrap())]
            } else {
                token
                    .chars()
                    .map(|c| {
                        let mods = if c.is_ascii_uppercase() {
                            KeyModifiers::SHIFT
                        } else {
                            KeyModifiers::NONE
                        };
                        KeyEvent::new(KeyCode::Char(c), mods)
                    })
                    .collect()
            };
            for e in events {
                let fx = update::key(&mut self.app, e);
                all.extend(fx.iter().cloned());
                self.run(fx);
            }
        }
        all
    }

    /// Resizes the terminal.
    pub fn resize(&mut self, w: u16, h: u16) {
        let fx = update::resize(&mut self.app, w, h);
        self.run(fx);
    }

    /// The screen as text, one quoted line per row (wide characters take their two columns).
    pub fn screen(&self) -> String {
        let (w, h) = self.app.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal.draw(|f| view::draw(f, &self.app)).unwrap();
        terminal
            .backend()
            .to_string()
            .lines()
            .map(|l| match l.rfind("\" Hidden by multi-width symbols") {
                Some(i) => &l[..=i],
                None => l,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The rendered buffer, for style checks.
    pub fn buffer(&self) -> ratatui::buffer::Buffer {
        let (w, h) = self.app.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal.draw(|f| view::draw(f, &self.app)).unwrap();
        terminal.backend().buffer().clone()
    }

    /// Names of the loaded rows, in order.
    pub fn names(&self) -> Vec<String> {
        self.app.page.rows.iter().map(|r| r.name.clone()).collect()
    }

    /// The name under the cursor.
    pub fn selected(&self) -> Option<String> {
        self.app.selected().map(|r| r.name.clone())
    }
}

fn event(key: Key) -> KeyEvent {
    KeyEvent::new(key.code, key.modifiers)
}

/// The fixture's engagement cycle: three reminders by days overdue.
const STANDARD_CYCLE: &str = r#"name = "Standard dunning"
customer = "overdue > 0 and open_issue_amount = 0"

[[reminder]]
name = "Friendly"
after_due_days = 3
template = "templates/friendly.md"

[[reminder]]
name = "Firm"
after_due_days = 30
template = "templates/firm.md"

[[reminder]]
name = "Final"
after_due_days = 90
template = "templates/final.md"
"#;

const FRIENDLY: &str = "Friendly reminder: {{ totals.count }} open item(s) for {{ customer.name }}

Hello {{ customer.name }},

This is a friendly reminder that the following is past due:

{{ table }}

Total open: {{ totals.balance }} {{ totals.currency }}

If you have already paid, please ignore this message.

Kind regards,
{{ collector }}
";

const FIRM: &str = "Overdue: {{ totals.balance }} {{ totals.currency }} for {{ customer.name }}

Hello {{ customer.name }},

Despite our earlier reminder, the following documents are still unpaid:

{{ table }}

Total overdue: {{ totals.balance }} {{ totals.currency }}, the oldest {{ totals.max_days_overdue }} days past due.

Please arrange payment within 7 days, or reply to tell us when we can expect it.
If something is wrong with an invoice, reply and say what: we will look at it at once
and hold further reminders while we do.

You can pay by bank transfer to the account on the invoice,
quoting the invoice number, or by card through the link on it.

Regards,
{{ collector }}
Accounts receivable
";

const FINAL: &str = "Final notice: {{ customer.name }}

Hello {{ customer.name }},

{{ totals.balance }} {{ totals.currency }} is {{ totals.max_days_overdue }} days past due.
Unless we receive payment within 7 days, we will pass the matter on.

{{ collector }}
";

const COURTESY: &str = "Statement for {{ customer.name }}

Hello {{ customer.name }},

For your records, your open items as of {{ today }}:

{{ table }}

{{ collector }}
";

/// The fixture's engagement cycles in `dir/cycles`: one cycle of three reminders, and a
/// template that no cycle uses. Returns the folder.
pub fn cycles(dir: &Path) -> PathBuf {
    let cycles = dir.join("cycles");
    std::fs::create_dir_all(cycles.join("templates")).unwrap();
    std::fs::write(cycles.join("standard.toml"), STANDARD_CYCLE).unwrap();
    for (name, text) in [
        ("friendly.md", FRIENDLY),
        ("firm.md", FIRM),
        ("final.md", FINAL),
        ("courtesy.md", COURTESY),
    ] {
        std::fs::write(cycles.join("templates").join(name), text).unwrap();
    }
    cycles
}

/// A config with the fixture's cycles and a mail server on 127.0.0.1:`port`.
pub fn engage_config(cycles: &Path, port: u16) -> owed::config::Config {
    let mut config = owed::config::Config {
        cycles: Some(cycles.to_path_buf()),
        ..owed::config::Config::default()
    };
    config.smtp.host = Some("127.0.0.1".into());
    config.smtp.port = Some(port);
    config.smtp.security = Some(owed::config::SmtpSecurity::None);
    config.smtp.from = Some("Collections <ar@example.com>".into());
    config
}

/// The engagement worker on `db` as `collector`, with `config`, sending through `mailer`;
/// retries are quick.
pub fn engage_source(
    db: &Path,
    collector: &str,
    config: owed::config::Config,
    mailer: owed::workstation::engage::worker::MailerFactory,
) -> EngageWorker {
    EngageWorker::open(
        db,
        owed::workstation::engage::worker::EngageSettings {
            config,
            actor: Actor::new(collector, Role::Manager),
            retry: owed::engage::RetryPolicy {
                attempts: 2,
                first_delay: std::time::Duration::from_millis(10),
            },
        },
        mailer,
    )
    .unwrap()
}

/// A mailer that keeps what it is given (the messages as sent on the wire).
#[derive(Clone, Default)]
pub struct Recorder(pub std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Recorder {
    /// The mailer factory for the engagement worker.
    pub fn factory(&self) -> owed::workstation::engage::worker::MailerFactory {
        let inbox = self.clone();
        std::sync::Arc::new(move |_config| {
            Ok(Box::new(inbox.clone()) as Box<dyn owed::engage::outbox::Mailer>)
        })
    }

    /// The messages sent so far.
    pub fn sent(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl owed::engage::outbox::Mailer for Recorder {
    fn connect(&mut self) -> Result<(), owed::engage::outbox::SendError> {
        Ok(())
    }

    fn send(&mut self, message: &lettre::Message) -> Result<(), owed::engage::outbox::SendError> {
        let text = String::from_utf8_lossy(&message.formatted()).into_owned();
        self.0.lock().unwrap().push(text);
        Ok(())
    }
}
