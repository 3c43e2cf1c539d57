//! `owed engage run` against a real SMTP server on loopback, started by the test: delivered
//! messages and their headers, header injection, reruns, a server that is down, two
//! concurrent runs; and against a scripted server that hangs on purpose at a chosen step:
//! deadlines, no retry after a timeout, no password in clear, signals mid-run.

mod common;
mod fixture;
mod smtp_server;
mod workbook;

use common::{
    assert_contains_all, first_entry, json_of, names_in, refused, rows, said, stderr, stdout,
    succeeded, text_pairs, value, write_dunning_cycle, write_files,
};
use smtp_server::{HangAt, Received, Script, ScriptedServer, SmtpServer, closed_port};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const AS_OF: &str = "2026-04-30";

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    /// A database with `customers` (id, name, email as CSV cells) each owing one overdue
    /// invoice, a cycle with one reminder, and a config pointing at `port`.
    fn new(customers: &[(&str, &str, &str)], port: u16) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut c = String::from("id,name,email\n");
        let mut d = String::from("id,customer_id,type,doc_date,due_date,amount,currency\n");
        for (i, (id, name, email)) in customers.iter().enumerate() {
            c.push_str(&format!("{id},{name},{email}\n"));
            d.push_str(&format!(
                "INV-{i},{id},invoice,2026-03-01,2026-03-31,{}.00,USD\n",
                100 + i
            ));
        }
        write_files(&data, &[("customers.csv", &c), ("documents.csv", &d)]);
        write_dunning_cycle(
            dir.path(),
            "Reminder for {{ customer.name }}\n\nHello {{ customer.name }},\n\n{{ table }}\n\n\
             {{ collector }}\n",
        );
        let setup = Setup { dir };
        setup.set_port(port);
        let o = setup.owed(&["import", data.to_str().unwrap()]);
        succeeded(&o);
        setup
    }

    /// Kite Supplies (K1, ap@kite.example) and Lark (K2, ap@lark.example), with a config
    /// pointing at `port`.
    fn kite_and_lark(port: u16) -> Setup {
        Setup::new(
            &[
                ("K1", "Kite Supplies", "ap@kite.example"),
                ("K2", "Lark", "ap@lark.example"),
            ],
            port,
        )
    }

    /// A database with `n` plain customers (`plain_customers`) and a config pointing at
    /// `port`.
    fn plain(n: usize, port: u16) -> Setup {
        Setup::new(&as_refs(&plain_customers(n)), port)
    }

    /// The Message-ID of the reminder sent to `to`, from the outbox.
    fn message_id_to(&self, to: &str) -> String {
        let outbox = self.outbox();
        let row = outbox.iter().find(|r| r["to"] == to);
        let row = row.unwrap_or_else(|| panic!("nothing to {to} in {outbox:?}"));
        row["message_id"].as_str().unwrap().to_string()
    }

    fn set_port(&self, port: u16) {
        self.set_smtp(port, "security = \"none\"\n");
    }

    /// The config with the server at `port` and `more` lines in its [smtp] table.
    fn set_smtp(&self, port: u16, more: &str) {
        std::fs::write(
            self.dir.path().join("config.toml"),
            format!(
                "collector = \"alice\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {port}\n\
                 from = \"Collections <ar@example.com>\"\n{more}"
            ),
        )
        .unwrap();
    }

    /// Runs `owed engage run` with a user name and a password (from the environment) for the
    /// server at `port`, over `security`.
    fn run_with_password(&self, port: u16, security: &str) -> Output {
        self.set_smtp(
            port,
            &format!(
                "security = \"{security}\"\nusername = \"ar@example.com\"\n\
                 password_env = \"OWED_TEST_PW\"\n"
            ),
        );
        self.command(&["engage", "run"])
            .env("OWED_TEST_PW", "hunter2")
            .output()
            .unwrap()
    }

    /// Starts `owed ARGS` with its output piped, to wait for later.
    fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_owed"));
        c.args(["--db", self.db().to_str().unwrap(), "--as-of", AS_OF])
            .args(args)
            .env("OWED_CONFIG", self.dir.path().join("config.toml"))
            .env_remove("OWED_DB");
        c
    }

    fn owed(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs `owed ARGS` as of `as_of` rather than [`AS_OF`].
    fn owed_on(&self, as_of: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_owed"))
            .args(["--db", self.db().to_str().unwrap(), "--as-of", as_of])
            .args(args)
            .env("OWED_CONFIG", self.dir.path().join("config.toml"))
            .env_remove("OWED_DB")
            .output()
            .unwrap()
    }

    /// A second cycle, Escalation (one reminder, Firm, 3 days after due), in its own folder.
    fn escalation_cycle(&self) -> String {
        let other = self.dir.path().join("cyc-a");
        write_files(
            &other,
            &[
                (
                    "escalation.toml",
                    "name = \"Escalation\"\n[[reminder]]\nname = \"Firm\"\nafter_due_days = 3\n\
                     template = \"templates/firm.md\"\n",
                ),
                (
                    "templates/firm.md",
                    "Firm reminder\n\nPlease pay {{ table }}\n",
                ),
            ],
        );
        other.to_str().unwrap().to_string()
    }

    /// Runs `owed ARGS`, asserts that it succeeded and returns its stdout.
    fn run_ok(&self, args: &[&str]) -> String {
        succeeded(&self.owed(args))
    }

    /// Runs `owed ARGS` (a `--json` command), asserts that it succeeded and returns its JSON.
    fn json(&self, args: &[&str]) -> serde_json::Value {
        json_of(&self.owed(args))
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("owed.db")
    }

    /// Stores `email` (an SQL expression) as customer `id`'s address, as a database written
    /// before the import refused addresses that are none may hold it.
    fn store_email(&self, id: &str, email: &str) {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        let sql = format!("UPDATE customers SET email = {email} WHERE id = ?1");
        assert_eq!(conn.execute(&sql, [id]).unwrap(), 1, "{id}");
    }

    /// The replies filed, in order: their sender and whether it is verified.
    fn replies_verified(&self) -> Vec<(String, bool)> {
        rows(
            &self.db(),
            "SELECT from_addr, verified FROM replies ORDER BY id",
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Imports `csv` as contacts.csv.
    fn import_contacts(&self, csv: &str) {
        let contacts = self.dir.path().join("contacts");
        write_files(&contacts, &[("contacts.csv", csv)]);
        succeeded(&self.owed(&["import", contacts.to_str().unwrap()]));
    }

    /// Runs `owed engage run`, asserting that it succeeded, and returns the messages `server`
    /// received, asserting that they are `count`.
    fn send(&self, server: &SmtpServer, count: usize) -> Vec<Received> {
        self.run_ok(&["engage", "run"]);
        let received = server.received();
        assert_eq!(received.len(), count);
        received
    }

    fn outbox(&self) -> Vec<serde_json::Value> {
        let o = self.owed(&["engage", "outbox", "--json"]);
        succeeded(&o);
        serde_json::from_slice::<Vec<serde_json::Value>>(&o.stdout).unwrap()
    }
}

fn plain_customers(n: usize) -> Vec<(String, String, String)> {
    (0..n)
        .map(|i| {
            (
                format!("K{i:03}"),
                format!("Customer {i}"),
                format!("ap{i}@c{i}.example"),
            )
        })
        .collect()
}

fn as_refs(v: &[(String, String, String)]) -> Vec<(&str, &str, &str)> {
    v.iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect()
}

#[test]
fn delivers_reminders_with_their_headers_once_and_refuses_header_injection() {
    let server = SmtpServer::start();
    let setup = Setup::new(
        &[
            ("K1", "Kite & Supplies", "ap@kite.example"),
            // A name with CR LF and a header after it.
            (
                "K2",
                "\"Evil Corp\r\nBcc: victim@example.com\"",
                "ap@evil.example",
            ),
            ("K3", "Sneaky", "ap@sneaky.example"),
        ],
        server.port,
    );
    // An address with CR LF and a header after it.
    setup.store_email(
        "K3",
        "'ap@sneaky.example' || char(13, 10) || 'Bcc: victim2@example.com'",
    );
    // An HTML alternative beside the template.
    std::fs::write(
        setup.dir.path().join("cycles/templates/friendly.html"),
        "<p>Hello {{ customer.name }}</p>\n",
    )
    .unwrap();
    let o = setup.owed(&["engage", "run"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("2 sent"), "{}", stdout(&o));
    said(&o, "K3");
    said(&o, "invalid email address");

    let received = server.received();
    assert_eq!(received.len(), 2);
    let outbox = setup.outbox();
    assert_eq!(outbox.len(), 2);
    for m in &received {
        assert_eq!(m.from, "ar@example.com");
        assert_eq!(m.to.len(), 1, "one envelope recipient: {:?}", m.to);
        let to = &m.to[0];
        let row = outbox
            .iter()
            .find(|r| r["to"].as_str() == Some(to.as_str()))
            .unwrap_or_else(|| panic!("no outbox row for {to}"));
        assert_eq!(row["status"], "sent");
        assert_eq!(row["sent_date"], AS_OF);
        // The Message-ID recorded is the one delivered.
        assert_eq!(
            m.header("Message-ID").as_deref(),
            row["message_id"].as_str()
        );
        assert!(m.header("To").unwrap().contains(to.as_str()));
        assert_eq!(m.header("From").unwrap(), "Collections <ar@example.com>");
        assert!(m.header("In-Reply-To").is_none());
        assert!(m.header("References").is_none());
        // Nothing added a header.
        assert!(m.header("Bcc").is_none(), "{}", m.text());
        for (name, _) in m.headers() {
            assert!(
                !name.eq_ignore_ascii_case("bcc") && !name.contains(' '),
                "unexpected header line `{name}` in\n{}",
                m.text()
            );
        }
    }
    let kite = received
        .iter()
        .find(|m| m.to == ["ap@kite.example"])
        .unwrap();
    assert_eq!(
        kite.header("Subject").as_deref(),
        Some("Reminder for Kite & Supplies")
    );
    assert!(kite.text().contains("INV-0"), "{}", kite.text());
    assert!(
        kite.header("Content-Type")
            .unwrap()
            .starts_with("multipart/alternative"),
        "{}",
        kite.text()
    );
    // The plain part as written, the HTML part escaped.
    assert!(
        kite.text().contains("Hello Kite & Supplies,"),
        "{}",
        kite.text()
    );
    assert!(
        kite.text().contains("<p>Hello Kite &amp; Supplies</p>"),
        "{}",
        kite.text()
    );
    assert!(kite.text().contains("alice"));
    let evil = received
        .iter()
        .find(|m| m.to == ["ap@evil.example"])
        .unwrap();
    // The name arrives on one line, its CR LF made spaces.
    assert!(
        evil.header("Subject")
            .unwrap()
            .contains("Evil Corp  Bcc: victim@example.com"),
        "{:?}",
        evil.header("Subject")
    );

    // The engagement report and its export count them.
    let report = setup.json(&["report", "engagement", "--json"]);
    assert_eq!(report["reminders"][0]["cycle"], "Dunning");
    assert_eq!(report["reminders"][0]["sent"], 2);
    let csv = setup.dir.path().join("engagement.csv");
    let csv_path = csv.to_str().unwrap();
    setup.run_ok(&["export", "engagement", "--format", "csv", "-o", csv_path]);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.contains("Dunning,Friendly,2,0,0,0,0,0.00"), "{text}");
    // The workbook: a table like every export's, the same row, counts and amounts typed.
    let xlsx = setup.dir.path().join("engagement.xlsx");
    let o = setup.owed(&["export", "engagement", "-o", xlsx.to_str().unwrap()]);
    succeeded(&o);
    let sheets = workbook::read(&xlsx);
    let s = &sheets[0];
    assert_eq!(s.name, "Engagement");
    let summed = workbook::check_table(s, "Engagement", AS_OF);
    workbook::check_about(&sheets, "Engagement", "Base currency", AS_OF);
    assert_eq!(
        s.headers(),
        [
            "Cycle",
            "Reminder",
            "Sent",
            "Of them texts",
            "Replied",
            "Promised within 7 days",
            "Paid within 14 days",
            "Collected (USD)"
        ]
    );
    assert_eq!(summed, [2, 3, 4, 5, 6, 7]);
    assert_eq!(s.data_rows().len(), 1);
    assert_eq!(s.text(2, 0), "Dunning");
    assert_eq!(s.text(2, 1), "Friendly");
    assert_eq!(s.number(2, 2), 2.0);
    assert_eq!(s.num_format(2, 2), workbook::COUNT);
    assert_eq!(s.number(2, 3), 0.0, "no texts");
    assert_eq!(s.number(2, 7), 0.0);
    assert_eq!(s.num_format(2, 7), workbook::AMOUNT);
    // The report's two series, as its JSON has them (they were left out of the export).
    let weeks = &sheets[1];
    assert_eq!(weeks.name, "Weeks");
    workbook::check_table(weeks, "Engagement — Weeks", AS_OF);
    let json_weeks = report["weeks"].as_array().unwrap();
    assert_eq!(weeks.data_rows().len(), json_weeks.len());
    let sent: f64 = weeks
        .data_rows()
        .map(|r| weeks.number(r, weeks.col("Emails sent")))
        .sum();
    assert_eq!(sent, 2.0);
    let cycles = &sheets[2];
    assert_eq!(cycles.name, "Cycles by week");
    workbook::check_table(cycles, "Engagement — Cycles by week", AS_OF);
    assert_eq!(
        cycles.data_rows().len(),
        report["cycle_weeks"].as_array().unwrap().len()
    );
    assert_eq!(cycles.text(2, 0), "Dunning");
    assert_eq!(cycles.number(2, cycles.col("Sent")), 2.0);

    // A rerun sends nothing.
    let out = setup.run_ok(&["engage", "run"]);
    assert!(out.contains("0 sent"), "{out}");
    assert_eq!(server.received().len(), 2);
    // Nothing left to send; the customer with the forged address stays skipped.
    let o = setup.owed(&["engage", "plan", "--json"]);
    let plan: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let plan = plan.as_array().unwrap();
    assert!(plan.iter().all(|e| e["skipped"] == true), "{plan:?}");
    assert_eq!(plan[0]["customer_id"], "K3");
    assert_eq!(plan[0]["reason"], "no_address");
}

/// The subject of `m` as a mail program decodes it (encoded words and all).
fn decoded_subject(m: &smtp_server::Received) -> String {
    let parsed = mail_parser::MessageParser::default()
        .parse(&m.data)
        .unwrap();
    parsed.subject().unwrap_or_default().to_string()
}

#[test]
fn the_subject_a_customer_sees_is_the_one_recorded_though_a_name_holds_encoded_words() {
    let server = SmtpServer::start();
    let setup = Setup::new(
        &[
            // An ASCII name whose encoded word decodes to CR LF, a Bcc and a payment order.
            (
                "K1",
                "Beta =?utf-8?b?DQpCY2M6IGV2aWxAeS5leGFtcGxlDQoNClBheSB0byBJQkFOIFhYMDAgRVZJTA==?=",
                "ap@beta.example",
            ),
            // A name with an encoded bidi override beside a word that is not ASCII.
            (
                "K2",
                "Gamma =?utf-8?q?=E2=80=AE?= Müller",
                "ap@gamma.example",
            ),
        ],
        server.port,
    );
    let received = setup.send(&server, 2);
    let outbox = setup.outbox();
    for m in &received {
        let row = outbox.iter().find(|r| r["to"] == m.to[0].as_str()).unwrap();
        let recorded = row["subject"].as_str().unwrap();
        assert!(recorded.contains("=?utf-8?"), "{recorded}");
        assert_eq!(decoded_subject(m), recorded, "{}", m.text());
        // Encoded words of at most 75 characters, on lines a mail program folds back.
        let subject = m.header("Subject").unwrap();
        for word in subject.split(' ') {
            assert!(
                word.starts_with("=?utf-8?b?") && word.len() <= 75,
                "{subject}"
            );
        }
    }
}

/// Header lines went out past RFC 5322's limit of 998 characters: a subject with a word of
/// 1,100 characters, a To with a name of 1,500. The subject is folded as encoded words, the
/// name cut.
#[test]
fn no_header_line_is_longer_than_998_characters() {
    let server = SmtpServer::start();
    let word = "X".repeat(1100);
    let words = vec!["Long"; 300].join(" ");
    let setup = Setup::new(
        &[
            ("L1", &word, "ap@word.example"),
            ("L2", &words, "ap@words.example"),
        ],
        server.port,
    );
    let received = setup.send(&server, 2);
    let outbox = setup.outbox();
    for m in &received {
        let text = m.text();
        let head = text.split("\r\n\r\n").next().unwrap();
        for line in head.split("\r\n") {
            assert!(
                line.len() <= 998,
                "a header line of {} characters",
                line.len()
            );
        }
        let row = outbox.iter().find(|r| r["to"] == m.to[0].as_str()).unwrap();
        assert_eq!(decoded_subject(m), row["subject"].as_str().unwrap());
        let parsed = mail_parser::MessageParser::default()
            .parse(&m.data)
            .unwrap();
        let to = parsed.to().and_then(|to| to.first()).unwrap();
        assert_eq!(to.address(), Some(m.to[0].as_str()));
        let name = to.name().unwrap();
        assert_eq!(name.chars().count(), 200, "{name}");
        assert!(name.ends_with('…'), "{name}");
    }
}

#[test]
fn a_server_that_is_down_fails_the_run_and_records_nothing() {
    let setup = Setup::plain(3, closed_port());
    let o = setup.owed(&["engage", "run"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("cannot reach the SMTP server 127.0.0.1:"),
        "{err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");
    assert!(setup.outbox().is_empty());
    // Once the server is up, the next run sends everything.
    let server = SmtpServer::start();
    setup.set_port(server.port);
    setup.send(&server, 3);
}

#[test]
fn two_concurrent_runs_send_each_reminder_exactly_once() {
    let server = SmtpServer::start();
    let setup = Setup::plain(40, server.port);
    let spawn = || setup.spawn(&["engage", "run"]);
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    succeeded(&a);
    succeeded(&b);
    let received = server.received();
    let recipients: BTreeSet<String> = received.iter().map(|m| m.to[0].clone()).collect();
    assert_eq!(received.len(), 40, "each reminder delivered once");
    assert_eq!(recipients.len(), 40);
    let sent =
        |o: &Output| -> usize { stdout(o).lines().filter(|l| l.starts_with("sent ")).count() };
    assert_eq!(sent(&a) + sent(&b), 40);
    let statuses: Vec<(String, i64)> = rows(
        &setup.db(),
        "SELECT status, count(*) FROM reminders GROUP BY status",
        |r| Ok((r.get(0)?, r.get(1)?)),
    );
    assert_eq!(statuses, vec![("sent".to_string(), 40)]);
}

/// Kite's reminder goes to its billing contact (Kim Berg), copied to its escalation contact
/// (Kai Lund, at `kai`), beside a sales contact nobody writes to.
fn copying_the_escalation_contact(setup: &Setup, kai: &str) {
    std::fs::write(
        setup.dir.path().join("cycles/dunning.toml"),
        "name = \"Dunning\"\ncustomer = \"overdue > 0\"\n\
         [[reminder]]\nname = \"Friendly\"\nafter_due_days = 3\n\
         template = \"templates/friendly.md\"\nto = [\"billing\"]\ncc = [\"escalation\"]\n",
    )
    .unwrap();
    setup.import_contacts(&format!(
        "customer_id,name,email,phone,role,primary\n\
         K1,Kim Berg,kim@kite.example,+1 555 0102,billing,yes\n\
         K1,Kai Lund,{kai},+1 555 0103,escalation,no\n\
         K1,Sam Sales,sam@kite.example,,sales,no\n"
    ));
}

#[test]
fn a_reminder_to_the_billing_contact_copies_the_escalation_contact() {
    let server = SmtpServer::start();
    let setup = Setup::kite_and_lark(server.port);
    copying_the_escalation_contact(&setup, "KAI@kite.example");

    let o = setup.owed(&["engage", "run"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let received = server.received();
    assert_eq!(received.len(), 2, "{received:?}");
    let kite = received
        .iter()
        .find(|m| m.to.contains(&"kim@kite.example".to_string()))
        .unwrap_or_else(|| panic!("no message to the billing contact: {received:?}"));
    // The envelope holds the billing contact and the escalation contact's copy, nobody else.
    let envelope: BTreeSet<&str> = kite.to.iter().map(String::as_str).collect();
    assert_eq!(
        envelope,
        BTreeSet::from(["kim@kite.example", "kai@kite.example"]),
        "{}",
        kite.text()
    );
    let to = kite.header("To").unwrap();
    assert!(to.contains("kim@kite.example"), "{to}");
    assert!(!to.contains("kai@") && !to.contains("ap@kite"), "{to}");
    let cc = kite
        .header("Cc")
        .unwrap_or_else(|| panic!("no Cc: {}", kite.text()));
    assert_eq!(cc, "kai@kite.example");
    assert!(kite.header("Bcc").is_none(), "{}", kite.text());
    // A customer without contacts: its own address, no copy.
    let lark = received.iter().find(|m| m.to != kite.to).unwrap();
    assert_eq!(lark.to, ["ap@lark.example"]);
    assert!(lark.header("Cc").is_none(), "{}", lark.text());
    // The record of what was sent says who was copied (it said only who it was to).
    let outbox = setup.outbox();
    let copied: Vec<(&str, Option<&str>)> = outbox
        .iter()
        .map(|r| (r["to"].as_str().unwrap(), r["cc"].as_str()))
        .collect();
    assert!(
        copied.contains(&("kim@kite.example", Some("kai@kite.example"))),
        "{copied:?}"
    );
    assert!(copied.contains(&("ap@lark.example", None)), "{copied:?}");
    let activity = setup.owed(&["activity", "K1"]);
    let text = stdout(&activity);
    assert!(
        text.contains("to kim@kite.example (cc kai@kite.example)"),
        "{text}"
    );
}

/// `ap@d09.example, AP@D09.example` went out as two To addresses and two RCPTs; copies were
/// already sent once each. Each address goes once, compared without regard to case.
#[test]
fn an_address_written_twice_in_another_case_is_sent_to_once() {
    let server = SmtpServer::start();
    let setup = Setup::new(
        &[("D09", "Dee", "\"ap@d09.example, AP@D09.example\"")],
        server.port,
    );
    let received = setup.send(&server, 1);
    assert_eq!(received[0].to, ["ap@d09.example"]);
    let to = received[0].header("To").unwrap();
    assert_eq!(
        to.to_lowercase().matches("ap@d09.example").count(),
        1,
        "{to}"
    );
}

#[test]
fn dry_run_sends_and_records_nothing() {
    let server = SmtpServer::start();
    let setup = Setup::plain(2, server.port);
    let o = setup.owed(&["engage", "run", "--dry-run"]);
    succeeded(&o);
    assert!(
        stdout(&o).contains("2 reminder(s) would be sent"),
        "{}",
        stdout(&o)
    );
    assert!(server.received().is_empty());
    assert!(setup.outbox().is_empty());
}

#[test]
fn a_bad_cycle_file_is_a_usage_error_naming_it() {
    let setup = Setup::plain(1, closed_port());
    let cycles: &Path = &setup.dir.path().join("cycles");
    std::fs::write(
        cycles.join("dunning.toml"),
        "name = \"Dunning\"\ncustomer = \"overdue >> 0\"\n\
         [[reminder]]\nname = \"Friendly\"\nafter_due_days = 3\ntemplate = \"templates/friendly.md\"\n",
    )
    .unwrap();
    let o = setup.owed(&["engage", "plan", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("dunning.toml, line 2, column 22, customer rule"),
        "{err}"
    );
    assert!(err.contains("overdue >> 0"), "{err}");
}

/// An empty or mistyped cycles folder ran silently (`0 sent`, exit 0), and `engage plan`
/// said `0 reminder(s)`. Both warn, naming the folder and the files that look like cycles
/// and are not read; an empty folder may be meant, so they still exit 0.
#[test]
fn an_empty_cycles_folder_is_warned_of() {
    let setup = Setup::plain(1, closed_port());
    let empty = setup.dir.path().join("emptyc");
    write_files(&empty, &[("std.TOML", ""), ("readme.txt", "")]);
    let dir = empty.to_str().unwrap();
    let warning = format!(
        "warning: no engagement cycles in {dir} (cycle files end in .toml): nothing is planned"
    );
    let skipped = format!("warning: {dir}/std.TOML is not read: cycle files end in .toml");
    for args in [
        &["engage", "plan", "--cycles", dir][..],
        &["engage", "run", "--cycles", dir],
    ] {
        let o = setup.owed(args);
        succeeded(&o);
        assert_contains_all(&stderr(&o), &[&warning, &skipped]);
    }
    // The default folder beside the config, emptied.
    std::fs::remove_file(setup.dir.path().join("cycles/dunning.toml")).unwrap();
    let o = setup.owed(&["engage", "plan"]);
    assert!(stdout(&o).contains("0 reminder(s)"), "{}", stdout(&o));
    let cycles = setup.dir.path().join("cycles");
    let warning = format!(
        "warning: no engagement cycles in {} (cycle files",
        cycles.display()
    );
    said(&o, &warning);
}

/// A server on loopback and a database of `n` plain customers whose reminders it has
/// received (the server is kept for as long as the test runs).
fn reminders_sent(n: usize) -> (SmtpServer, Setup) {
    let server = SmtpServer::start();
    let setup = Setup::plain(n, server.port);
    setup.run_ok(&["engage", "run"]);
    (server, setup)
}

/// Writes a message into the Maildir's new/ folder.
fn deliver_to_maildir(maildir: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(maildir.join("new")).unwrap();
    std::fs::create_dir_all(maildir.join("cur")).unwrap();
    std::fs::create_dir_all(maildir.join("tmp")).unwrap();
    std::fs::write(maildir.join("new").join(name), text.replace('\n', "\r\n")).unwrap();
}

#[test]
fn replies_are_matched_by_thread_then_by_sender_and_filed_once() {
    let (_server, setup) = reminders_sent(3);
    let [k0, k1] = ["ap0@c0.example", "ap1@c1.example"].map(|to| setup.message_id_to(to));
    let maildir = setup.dir.path().join("Maildir");
    // From another address at K000, answering its reminder.
    deliver_to_maildir(
        &maildir,
        "1.a.host",
        &format!(
            "From: CFO <cfo@elsewhere.example>\nTo: ar@example.com\nSubject: Re: Reminder\n\
             Message-ID: <r1@elsewhere.example>\nIn-Reply-To: {k0}\n\
             Date: Sat, 02 May 2026 09:00:00 +0000\n\nWe will pay on Friday.\n"
        ),
    );
    // K001's reminder named only in References.
    deliver_to_maildir(
        &maildir,
        "2.b.host",
        &format!(
            "From: ap1@c1.example\nSubject: =?utf-8?Q?Re=3A_R=C3=BCckfrage?=\n\
             Message-ID: <r2@c1.example>\nReferences: <older@c1.example> {k1}\n\
             Date: Sun, 03 May 2026 10:00:00 +0200\n\nWhich invoice?\n"
        ),
    );
    // No threading headers: matched by the sender's address (any case), no Message-ID.
    deliver_to_maildir(
        &maildir,
        "3.c.host",
        "From: \"AP\" <AP2@C2.example>\nSubject: Paid\nDate: Mon, 04 May 2026 08:00:00 +0000\n\nDone.\n",
    );
    // A stranger.
    deliver_to_maildir(
        &maildir,
        "4.d.host",
        "From: spam@nowhere.example\nSubject: Offer\nMessage-ID: <s@nowhere>\n\nBuy.\n",
    );
    let md = maildir.to_str().unwrap();
    let o = setup.owed(&["inbox", "import", md]);
    succeeded(&o);
    assert_contains_all(
        &stdout(&o),
        &[
            // The CFO writes from another domain: filed, but unverified.
            "filed K000 (reply to a reminder) UNVERIFIED: the sender cfo@elsewhere.example",
            "filed K001 (reply to a reminder): Re: Rückfrage",
            "filed K002 (by sender): Paid",
            "3 filed, 0 already filed, 1 unmatched; 1 filed from an unverified sender",
        ],
    );
    assert_contains_all(&stderr(&o), &["spam@nowhere.example"]);
    assert_eq!(names_in(&maildir.join("new")), vec!["4.d.host"]);
    assert_eq!(
        names_in(&maildir.join("cur")),
        vec!["1.a.host:2,S", "2.b.host:2,S", "3.c.host:2,S"]
    );

    let rows: Vec<(String, Option<String>, String, String)> = rows(
        &setup.db(),
        "SELECT c.id, r.in_reply_to, r.from_addr, r.body FROM replies r
               JOIN customers c ON c.cid = r.cid ORDER BY c.id",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    );
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].1.as_deref(), Some(k0.as_str()));
    assert_eq!(rows[0].2, "cfo@elsewhere.example");
    assert_eq!(rows[0].3, "We will pay on Friday.\n");
    assert_eq!(rows[1].1.as_deref(), Some(k1.as_str()));
    assert_eq!(rows[2].1, None);
    let received: i64 = value(
        &setup.db(),
        "SELECT received_date FROM replies WHERE from_addr = 'ap1@c1.example'",
    );
    assert_eq!(
        received,
        i64::from(owed::domain::date::day_number(
            owed::domain::Date::from_ymd_opt(2026, 5, 3).unwrap()
        ))
    );

    // Importing again files nothing new; a filed message put back in new/ is not filed twice.
    std::fs::copy(
        maildir.join("cur/3.c.host:2,S"),
        maildir.join("new/5.e.host"),
    )
    .unwrap();
    let o = setup.owed(&["inbox", "import", md]);
    assert!(
        stdout(&o).contains("0 filed, 1 already filed, 1 unmatched"),
        "{}",
        stdout(&o)
    );
    let count: i64 = value(&setup.db(), "SELECT count(*) FROM replies");
    assert_eq!(count, 3);
}

/// Who filed a reply, and the run that filed it, are on record: the reply's `collector` was
/// null and the run was in no log. The run is in the log of imports (kind `inbox`: when, who,
/// the Maildir, what it did); the reply names who filed it, and once read, who read it and
/// when (`owed activity`).
#[test]
fn who_filed_a_reply_and_who_read_it_are_on_record() {
    let setup = Setup::kite_and_lark(closed_port());
    let maildir = setup.dir.path().join("Maildir");
    deliver_to_maildir(
        &maildir,
        "1.a.host",
        "From: ap@kite.example\nSubject: Paid\nMessage-ID: <p1@kite.example>\n\
         Date: Wed, 29 Apr 2026 08:00:00 +0000\n\nPaid on Monday.\n",
    );
    let md = maildir.to_str().unwrap();
    let o = setup.owed(&["--as", "dana", "inbox", "import", md]);
    assert_contains_all(&stdout(&o), &["1 filed, 0 already filed, 0 unmatched"]);
    let reply = |setup: &Setup| {
        let activity = setup.json(&["activity", "K1", "--json"]);
        activity["activity"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "reply")
            .unwrap()
            .clone()
    };
    let filed = reply(&setup);
    assert_eq!(filed["collector"], "dana", "{filed}");
    assert_eq!(filed["read"], false, "{filed}");
    assert_eq!(filed["read_by"], serde_json::Value::Null, "{filed}");
    assert_eq!(filed["read_at"], serde_json::Value::Null, "{filed}");
    // The run, in the log of imports.
    let runs = setup.json(&["report", "imports", "--json"]);
    let run = &runs[0];
    assert_eq!(run["kind"], "inbox", "{runs}");
    assert_eq!(run["actor"], "dana", "{runs}");
    assert_eq!(
        run["files"],
        serde_json::json!([maildir
            .canonicalize()
            .unwrap()
            .join("new")
            .display()
            .to_string()]),
        "{runs}"
    );
    assert_eq!(
        run["summary"], "1 filed, 0 already filed, 0 unmatched",
        "{runs}"
    );
    // A run that files nothing writes nothing, and is not logged.
    let o = setup.owed(&["--as", "dana", "inbox", "import", md]);
    assert_contains_all(&stdout(&o), &["0 filed, 0 already filed, 0 unmatched"]);
    assert_eq!(setup.json(&["report", "imports", "--json"]), runs);
    // The workstation's Replies tab marks them read: by whom, when.
    let mut store = owed::store::Store::open_existing(&setup.db()).unwrap();
    let k1: i64 = value(&setup.db(), "SELECT cid FROM customers WHERE id = 'K1'");
    let alice = owed::domain::users::Actor::new("alice", owed::domain::users::Role::Manager);
    let marked = store
        .engagement_mut()
        .mark_replies_read(
            &alice,
            k1,
            owed::domain::Date::from_ymd_opt(2026, 4, 30).unwrap(),
            "2026-04-30T09:15:00Z",
        )
        .unwrap();
    assert_eq!(marked, 1);
    drop(store);
    let read = reply(&setup);
    assert_eq!(read["read"], true, "{read}");
    assert_eq!(read["read_by"], "alice", "{read}");
    assert_eq!(read["read_at"], "2026-04-30T09:15:00Z", "{read}");
    assert_eq!(read["collector"], "dana", "{read}");
    let text = setup.run_ok(&["activity", "K1"]);
    assert_contains_all(&text, &["filed by dana; read by alice"]);
}

/// A customer's contacts (`contacts.csv`) are its addresses: a reply from the primary
/// billing contact the reminder went to, at a domain of its own, is verified, and one without
/// threading headers is matched by its sender (any case); an address the contacts of two
/// customers share matches neither, and one a customer has twice (its own and a contact's)
/// matches it.
#[test]
fn a_reply_from_a_customers_contact_is_the_customers() {
    let server = SmtpServer::start();
    let setup = Setup::kite_and_lark(server.port);
    setup.import_contacts(
        "customer_id,name,email,role,primary\n\
         K1,Kim Berg,Kim@Berg-Books.example,billing,yes\n\
         K1,Pat Agent,pat@agency.example,ap,no\n\
         K2,Pat Agent,pat@agency.example,ap,no\n\
         K2,Lark AP,ap@lark.example,ap,no\n",
    );
    setup.run_ok(&["engage", "run"]);
    let kim = setup.message_id_to("kim@berg-books.example");
    let maildir = setup.dir.path().join("Maildir");
    let replies = [
        format!(
            "From: Kim Berg <kim@berg-books.example>\nSubject: Re: Reminder\n\
             Message-ID: <c1@berg-books.example>\nIn-Reply-To: {kim}\n\
             Date: Thu, 30 Apr 2026 09:00:00 +0000\n\nPaying Friday.\n"
        ),
        "From: KIM@berg-books.example\nSubject: Paid\nMessage-ID: <c2@berg-books.example>\n\
         Date: Fri, 01 May 2026 09:00:00 +0000\n\nDone.\n"
            .to_string(),
        "From: pat@agency.example\nSubject: Paid too\nMessage-ID: <c3@agency.example>\n\
         Date: Fri, 01 May 2026 10:00:00 +0000\n\nDone.\n"
            .to_string(),
        // The customer's own address, also one of its contacts': still its one customer.
        "From: ap@lark.example\nSubject: Paid as well\nMessage-ID: <c4@lark.example>\n\
         Date: Fri, 01 May 2026 11:00:00 +0000\n\nDone.\n"
            .to_string(),
    ];
    for (name, text) in ["1.a.host", "2.b.host", "3.c.host", "4.d.host"]
        .iter()
        .zip(&replies)
    {
        deliver_to_maildir(&maildir, name, text);
    }
    let o = setup.owed(&["inbox", "import", maildir.to_str().unwrap()]);
    let out = succeeded(&o);
    assert_contains_all(
        &out,
        &[
            "filed K1 (reply to a reminder): Re: Reminder",
            "filed K1 (by sender): Paid",
            "filed K2 (by sender): Paid as well",
            "3 filed, 0 already filed, 1 unmatched",
        ],
    );
    assert!(!out.contains("UNVERIFIED"), "{out}");
    assert_contains_all(&stderr(&o), &["pat@agency.example"]);
    assert_eq!(names_in(&maildir.join("new")), vec!["3.c.host"]);
    assert_eq!(
        setup.replies_verified(),
        [
            ("kim@berg-books.example", true),
            ("kim@berg-books.example", true),
            ("ap@lark.example", true)
        ]
        .map(|(a, v)| (a.to_string(), v))
    );
}

/// A customer's email written `Name <addr>` (as customers.csv takes it) is the address inside
/// the angle brackets: a reply from it is matched by its sender.
#[test]
fn a_customer_email_with_a_name_matches_by_its_address() {
    let setup = Setup::new(
        &[
            ("K1", "Kite Supplies", "Kite AP <AP@kite.example>"),
            (
                "K2",
                "Lark",
                "Lark <ap@lark.example>; Lark CFO <cfo@lark.example>",
            ),
        ],
        closed_port(),
    );
    let maildir = setup.dir.path().join("Maildir");
    for (name, from) in [
        ("1.a.host", "ap@kite.example"),
        ("2.b.host", "cfo@lark.example"),
    ] {
        deliver_to_maildir(
            &maildir,
            name,
            &format!("From: {from}\nSubject: Paid\nMessage-ID: <{name}>\n\nDone.\n"),
        );
    }
    let o = setup.owed(&["inbox", "import", maildir.to_str().unwrap()]);
    assert_contains_all(
        &succeeded(&o),
        &[
            "filed K1 (by sender): Paid",
            "filed K2 (by sender): Paid",
            "2 filed, 0 already filed, 0 unmatched",
        ],
    );
}

#[test]
fn a_folder_that_is_not_a_maildir_is_refused() {
    let setup = Setup::new(&[], closed_port());
    let o = setup.owed(&["inbox", "import", setup.dir.path().to_str().unwrap()]);
    refused(&o, 2, "not a Maildir");
    // A path that is not there was "not a Maildir: it has no new/ folder".
    let missing = setup.dir.path().join("none");
    let o = setup.owed(&["inbox", "import", missing.to_str().unwrap()]);
    assert_eq!(
        refused(&o, 2, "does not exist"),
        format!("owed: {} does not exist\n", missing.display())
    );
}

/// An empty file was "no customer for 05.empty from an unknown sender:  (left in new/)".
#[test]
fn an_empty_message_is_skipped_saying_it_is_empty() {
    let setup = Setup::plain(1, closed_port());
    let maildir = setup.dir.path().join("Maildir");
    deliver_to_maildir(&maildir, "1.empty", "");
    deliver_to_maildir(&maildir, "2.blank", "\r\n\r\n");
    let o = setup.owed(&["inbox", "import", maildir.to_str().unwrap()]);
    succeeded(&o);
    assert_contains_all(
        &stderr(&o),
        &[
            "skipped 1.empty: the file is empty (left in new/)",
            "skipped 2.blank: the file holds only blank lines (left in new/)",
        ],
    );
    assert_contains_all(
        &stdout(&o),
        &["0 filed, 0 already filed, 0 unmatched, 2 skipped"],
    );
    assert_eq!(names_in(&maildir.join("new")), vec!["1.empty", "2.blank"]);
}

/// A reply whose `Date` header is in the future (a sender's clock, a forger) is received on
/// the day it is filed, not then: it was filed and moved to cur/, and stayed out of the
/// activity and the unread count until 2100.
#[test]
fn a_reply_dated_in_the_future_is_received_the_day_it_is_filed() {
    let setup = Setup::kite_and_lark(closed_port());
    let maildir = setup.dir.path().join("Maildir");
    deliver_to_maildir(
        &maildir,
        "1.a.host",
        "From: ap@kite.example\nSubject: Paid\nMessage-ID: <f1@kite.example>\n\
         Date: Fri, 01 Jan 2100 00:00:00 +0000\n\nDone.\n",
    );
    succeeded(&setup.owed(&["inbox", "import", maildir.to_str().unwrap()]));
    // Filed as of AS_OF, today on this machine: the later of the two.
    let today = chrono::Local::now().date_naive();
    let filed = today.max(AS_OF.parse().unwrap());
    let received: i64 = value(&setup.db(), "SELECT received_date FROM replies");
    assert_eq!(
        received,
        i64::from(owed::domain::date::day_number(filed)),
        "filed on {filed}"
    );
    let day = filed.to_string();
    let activity = json_of(
        &Command::new(env!("CARGO_BIN_EXE_owed"))
            .args(["--db", setup.db().to_str().unwrap(), "--as-of", &day])
            .args(["activity", "K1", "--json"])
            .env("OWED_CONFIG", setup.dir.path().join("config.toml"))
            .env_remove("OWED_DB")
            .output()
            .unwrap(),
    );
    let replies: Vec<_> = activity["activity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "reply")
        .collect();
    assert_eq!(replies.len(), 1, "{activity}");
    assert_eq!(replies[0]["received_date"], day.as_str());
}

/// Runs `owed engage run` and how long it took.
fn timed_run(setup: &Setup) -> (Output, Duration) {
    let start = Instant::now();
    let o = setup.owed(&["engage", "run"]);
    (o, start.elapsed())
}

fn plan_customers(setup: &Setup) -> Vec<String> {
    let plan = setup.json(&["engage", "plan", "--json"]);
    plan.as_array()
        .unwrap()
        .iter()
        .map(|e| e["customer_id"].as_str().unwrap().to_string())
        .collect()
}

/// Sends `child` the signal named (`TERM`, `KILL`) and waits for it to end.
#[cfg(unix)]
fn signal_and_wait(child: std::process::Child, signal: &str) -> Output {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait_with_output().unwrap()
}

fn statuses(setup: &Setup) -> Vec<String> {
    setup
        .outbox()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_server_that_hangs_after_data_stops_the_run_within_twice_the_timeout() {
    let server = ScriptedServer::hanging_at(HangAt::Dot);
    let setup = Setup::plain(7, server.port);
    setup.set_smtp(server.port, "timeout_seconds = 2\n");
    let (o, took) = timed_run(&setup);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(took < Duration::from_secs(4), "took {took:?}");
    let err = stderr(&o);
    assert!(
        err.contains("timed out after the message was handed over"),
        "{err}"
    );
    assert!(err.contains("unknown Dunning / Friendly to K000"), "{err}");
    assert!(err.contains("stopped:"), "{err}");
    assert_eq!(server.connections(), 1);
    assert_eq!(server.messages(), 1);
    // The one handed over stays pending ("unknown"); the six others were never claimed.
    assert_eq!(statuses(&setup), ["pending"]);
    let due = plan_customers(&setup);
    assert_eq!(due.len(), 6, "{due:?}");
    assert!(!due.contains(&"K000".to_string()));
}

#[test]
fn every_step_has_a_deadline_and_a_timeout_is_never_retried() {
    for (hang_at, step, claimed) in [
        (HangAt::Greeting, "no greeting within 1 s", false),
        (HangAt::Ehlo, "no answer to EHLO", false),
        (HangAt::StartTls, "no answer to STARTTLS", false),
        (HangAt::Mail, "no answer to MAIL FROM", true),
        (HangAt::Rcpt, "no answer to RCPT TO", true),
        (HangAt::Data, "no answer to DATA", true),
    ] {
        let server = ScriptedServer::start(Script {
            hang_at: Some(hang_at),
            starttls: true,
            ..Script::default()
        });
        let setup = Setup::plain(3, server.port);
        let security = if hang_at == HangAt::StartTls {
            "starttls"
        } else {
            "none"
        };
        setup.set_smtp(
            server.port,
            &format!("security = \"{security}\"\ntimeout_seconds = 1\n"),
        );
        let (o, took) = timed_run(&setup);
        assert_eq!(o.status.code(), Some(1), "{hang_at:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("timed out") && err.contains(step),
            "{hang_at:?}: {err}"
        );
        assert!(!err.contains("refused"), "{hang_at:?}: {err}");
        // One connection: a timeout is not retried (the old fixed 30 s deadline, retried
        // four times, took minutes).
        assert_eq!(server.connections(), 1, "{hang_at:?}");
        assert!(took < Duration::from_secs(10), "{hang_at:?} took {took:?}");
        assert_eq!(server.messages(), 0);
        // Nothing handed over: nothing pending, the claim (if any) released.
        let expected: &[&str] = if claimed { &["failed"] } else { &[] };
        assert_eq!(statuses(&setup), expected, "{hang_at:?}");
        assert_eq!(plan_customers(&setup).len(), 3, "{hang_at:?}");
    }
}

#[test]
fn a_password_is_never_sent_without_tls() {
    let server = ScriptedServer::start(Script {
        auth: true,
        ..Script::default()
    });
    let setup = Setup::plain(1, server.port);
    let o = setup.run_with_password(server.port, "none");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("in clear") && err.contains("starttls"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    assert_eq!(server.connections(), 0, "refused before connecting");
    assert!(setup.outbox().is_empty());

    // With STARTTLS asked for and a server that does not offer it, nothing goes in clear
    // either, and the run is not retried.
    let o = setup.run_with_password(server.port, "starttls");
    refused(&o, 1, "does not offer STARTTLS");
    assert_eq!(server.connections(), 1);
    assert!(
        !server.lines().iter().any(|l| l.starts_with("AUTH")),
        "{:?}",
        server.lines()
    );
    assert!(setup.outbox().is_empty());
}

#[cfg(unix)]
#[test]
fn a_signal_mid_run_releases_the_reminder_it_had_not_handed_over() {
    for signal in ["TERM", "INT", "HUP"] {
        let server = ScriptedServer::hanging_at(HangAt::Mail);
        let setup = Setup::plain(3, server.port);
        // The default deadline (30 s): the signal, not the timeout, ends the run.
        let child = setup.spawn(&["engage", "run"]);
        // The first reminder is claimed and its MAIL FROM waits for an answer.
        server.wait_for_line("MAIL FROM");
        let killed = Instant::now();
        let o = signal_and_wait(child, signal);
        assert!(
            killed.elapsed() < Duration::from_secs(20),
            "SIG{signal}: {:?}",
            killed.elapsed()
        );
        assert_eq!(o.status.code(), Some(1), "SIG{signal}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("interrupted by SIG{signal}")),
            "{err}"
        );
        // Released, not stranded: no pending row, all three planned again.
        assert_eq!(statuses(&setup), ["failed"], "SIG{signal}: {err}");
        assert_eq!(plan_customers(&setup).len(), 3, "SIG{signal}");
    }
}

/// A reminder that renders larger than 1 MB (here 1,201 documents at a kilobyte each; the
/// shipped templates' 30,000 rendered 4.7 MB) is said by the plan, the dry run and the run,
/// naming the reminder, the customer and the size; nothing warned, and most mail servers
/// refuse 10–25 MB. A small one is not.
#[test]
fn a_reminder_larger_than_a_megabyte_is_warned_of() {
    let server = SmtpServer::start();
    let setup = Setup::kite_and_lark(server.port);
    let data = setup.dir.path().join("data");
    let mut d = String::from("id,customer_id,type,doc_date,due_date,amount,currency\n");
    d.push_str("INV-0,K1,invoice,2026-03-01,2026-03-31,100.00,USD\n");
    d.push_str("INV-1,K2,invoice,2026-03-01,2026-03-31,101.00,USD\n");
    for i in 0..1200 {
        d.push_str(&format!(
            "MR-{i:05},K1,invoice,2026-03-01,2026-03-31,1.00,USD\n"
        ));
    }
    write_files(&data, &[("documents.csv", &d)]);
    succeeded(&setup.owed(&["import", data.to_str().unwrap()]));
    let filler = "x".repeat(1000);
    std::fs::write(
        setup.dir.path().join("cycles/templates/friendly.md"),
        format!(
            "Reminder for {{{{ customer.name }}}}\n\n\
             {{% for d in documents %}}{{{{ d.number }}}} {filler}\n{{% endfor %}}"
        ),
    )
    .unwrap();
    let warning = "warning: Dunning / Friendly to K1 renders 1.2 MB for 1,201 document(s), more \
                   than 1 MB: many mail servers refuse a message of 10–25 MB";
    for args in [
        &["engage", "plan"][..],
        &["engage", "run", "--dry-run"],
        &["engage", "run"],
    ] {
        let o = setup.owed(args);
        let err = stderr(&o);
        assert!(o.status.success(), "{args:?}: {err}");
        assert!(err.contains(warning), "{args:?}: {err}");
        assert!(!err.contains("to K2 renders"), "{args:?}: {err}");
    }
    assert_eq!(server.received().len(), 2, "warned, not refused");
}

/// A template that fails on one customer's values (it passed the sample rendered when the
/// cycles were loaded) stopped the run at that customer with exit 2, printing nothing of what
/// had gone out, and every later run stopped there again. That reminder is not sent, said so
/// with the template's error, and the others are.
#[test]
fn a_reminder_that_cannot_be_rendered_is_not_sent_and_the_run_goes_on() {
    let server = SmtpServer::start();
    let setup = Setup::plain(3, server.port);
    std::fs::write(
        setup.dir.path().join("cycles/templates/friendly.md"),
        "Reminder for {{ customer.name }}\n\
         {% if customer.id == \"K001\" %}{{ customer.nosuch }}{% endif %}\n{{ table }}\n",
    )
    .unwrap();
    // The dry run says the same, and goes on past K001 too.
    let o = setup.owed(&["engage", "run", "--dry-run"]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert_contains_all(
        &out,
        &[
            "would send Dunning / Friendly to K000",
            "would send Dunning / Friendly to K002",
            "2 reminder(s) would be sent",
        ],
    );
    assert_contains_all(
        &err,
        &[
            "would not send Dunning / Friendly to K001: ",
            "friendly.md, line 2: template error: undefined value",
        ],
    );
    assert!(server.received().is_empty());
    let o = setup.owed(&["engage", "run"]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert_contains_all(
        &out,
        &[
            "sent Dunning / Friendly to K000 <ap0@c0.example>",
            "sent Dunning / Friendly to K002 <ap2@c2.example>",
            "2 sent, 0 already sent by another run (or its customer reminded), 1 not sent, \
             0 unknown",
        ],
    );
    assert_contains_all(
        &err,
        &[
            "not sent Dunning / Friendly to K001: ",
            "friendly.md, line 2: template error: undefined value",
            "(planned again next run)",
            "1 reminder(s) could not be sent",
        ],
    );
    assert_eq!(server.received().len(), 2);
    // The outbox keeps it, failed with the template's error (it left no trace but the run's
    // stderr); nothing was claimed for K001: it is planned again (and fails again until the
    // template is mended), K000 and K002 are not.
    assert_eq!(statuses(&setup), ["sent", "failed", "sent"]);
    let failed = setup
        .outbox()
        .into_iter()
        .find(|r| r["status"] == "failed")
        .unwrap();
    assert_eq!(failed["customer_id"], "K001", "{failed}");
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("friendly.md, line 2: template error"),
        "{failed}"
    );
    assert_eq!(plan_customers(&setup), ["K001"]);
    // The customer's activity says why it failed too (it showed `— failed` and no error). As
    // of today: a reminder not sent is in the timeline from the day it was tried.
    let today = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_owed"));
        c.args(["--db", setup.db().to_str().unwrap()])
            .args(args)
            .env("OWED_CONFIG", setup.dir.path().join("config.toml"))
            .env_remove("OWED_DB");
        c.output().unwrap()
    };
    let reminder = first_entry(
        &json_of(&today(&["activity", "K001", "--json"])),
        "reminder",
    );
    assert_eq!(reminder["status"], "failed", "{reminder}");
    assert_eq!(reminder["error"].as_str(), Some(error), "{reminder}");
    let sent = first_entry(&setup.json(&["activity", "K000", "--json"]), "reminder");
    assert!(sent["error"].is_null(), "{sent}");
    let text = succeeded(&today(&["activity", "K001"]));
    assert!(
        text.contains(&format!("— failed: {}", error.lines().next().unwrap())),
        "{text}"
    );
}

/// An id holding a line feed (a quoted CSV cell) was printed raw in a run's lines: it forged
/// a second line in the cron log. Every value from outside stays on its line, as `↵`.
#[test]
fn a_runs_lines_show_a_line_feed_in_an_id_and_forge_no_line() {
    let server = SmtpServer::start();
    let setup = Setup::new(
        &[
            (
                "\"J1\nsent Fake / Line to C99 <x@y.example>: forged\"",
                "Jay",
                "ap@jay.example",
            ),
            ("\"J2\nskipped (fake)\"", "Kay", "ap@kay.example"),
        ],
        server.port,
    );
    setup.store_email("J2\nskipped (fake)", "'not an address'");
    let forged = |text: &str| {
        text.lines()
            .any(|l| l.starts_with("sent Fake") || l.starts_with("skipped (fake)"))
    };
    for args in [&["engage", "run", "--dry-run"][..], &["engage", "run"]] {
        let o = setup.owed(args);
        let (out, err) = (stdout(&o), stderr(&o));
        assert!(!forged(&out) && !forged(&err), "{out}{err}");
        assert!(out.contains(" to J1↵sent Fake / Line to C99"), "{out}");
        assert!(err.contains(" for J2↵skipped (fake): "), "{err}");
    }
    assert_eq!(server.received().len(), 1);
    let plan = setup.run_ok(&["engage", "plan"]);
    assert!(!forged(&plan), "{plan}");
    assert!(plan.contains(" for J2↵skipped (fake): "), "{plan}");
}

/// A run printed what it had sent only when it ended: killed while waiting on the server, its
/// log showed nothing of the reminder already delivered. Each one is printed as it goes.
#[cfg(unix)]
#[test]
fn a_run_prints_each_reminder_as_it_is_sent() {
    let server = ScriptedServer::start(Script {
        hang_at: Some(HangAt::Mail),
        after_messages: 1,
        ..Script::default()
    });
    let setup = Setup::plain(3, server.port);
    let child = setup.spawn(&["engage", "run"]);
    // K000 delivered; the MAIL FROM of K001 waits for an answer.
    let deadline = Instant::now() + Duration::from_secs(30);
    while server
        .lines()
        .iter()
        .filter(|l| l.starts_with("MAIL FROM"))
        .count()
        < 2
    {
        assert!(Instant::now() < deadline, "{:?}", server.lines());
        std::thread::sleep(Duration::from_millis(10));
    }
    let o = signal_and_wait(child, "KILL");
    assert_eq!(o.status.code(), None, "killed");
    let out = stdout(&o);
    assert!(
        out.contains("sent Dunning / Friendly to K000 <ap0@c0.example>"),
        "{out}"
    );
    assert!(!out.contains("K001"), "{out}");
}

/// `n` customers' reminders run to a server that holds the first message unanswered, the run
/// killed (-9) meanwhile: that reminder is left pending. Later runs send to the server returned.
#[cfg(unix)]
fn killed_mid_send(n: usize) -> (Setup, SmtpServer) {
    let hanging = ScriptedServer::hanging_at(HangAt::Dot);
    let setup = Setup::plain(n, hanging.port);
    let child = setup.spawn(&["engage", "run"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while hanging.messages() < 1 {
        assert!(Instant::now() < deadline, "{:?}", hanging.lines());
        std::thread::sleep(Duration::from_millis(10));
    }
    signal_and_wait(child, "KILL");
    assert_eq!(statuses(&setup), ["pending"]);
    let server = SmtpServer::start();
    setup.set_port(server.port);
    (setup, server)
}

/// A run killed after it handed a message over (kill -9: nothing recorded) left its reminder
/// pending with no error, and later runs never mentioned it (exit 0). Each run now warns of
/// it, still exiting 0 when it sent all it tried, and the outbox says why it is pending.
#[cfg(unix)]
#[test]
fn a_reminder_left_pending_by_a_killed_run_is_warned_of_at_every_run() {
    let (setup, server) = killed_mid_send(2);
    let warning = "warning: 1 reminder(s) left pending by earlier runs (maybe delivered): see \
                   `owed --db ";
    for sent in ["1 sent", "0 sent"] {
        let o = setup.owed(&["engage", "run"]);
        let out = succeeded(&o);
        assert!(out.contains(sent), "{out}");
        said(&o, warning);
        // Each command it suggests acts on this database.
        said(&o, " engage outbox`, then `owed --db ");
        said(&o, " engage release ID` once");
    }
    assert_eq!(server.received().len(), 1, "K000 is never resent");
    let said = "being sent now, or maybe delivered by a run that ended";
    let pending = setup.outbox();
    let pending = pending.iter().find(|r| r["status"] == "pending").unwrap();
    assert_eq!(pending["to"], "ap0@c0.example");
    assert!(
        pending["error"].as_str().unwrap().starts_with(said),
        "{pending}"
    );
    let table = setup.run_ok(&["engage", "outbox"]);
    assert!(table.contains(said), "{table}");
}

#[cfg(unix)]
#[test]
fn links_and_special_files_in_a_maildir_are_skipped_not_followed() {
    let setup = Setup::plain(1, closed_port());
    let maildir = setup.dir.path().join("Maildir");
    deliver_to_maildir(
        &maildir,
        "1.a.host",
        "From: ap0@c0.example\nSubject: Paid\nMessage-ID: <ok@c0.example>\n\nDone.\n",
    );
    // Outside the Maildir: a file that would be filed for K000 if the link were followed.
    let secret = setup.dir.path().join("secret.eml");
    std::fs::write(
        &secret,
        "From: ap0@c0.example\nSubject: SECRET-SUBJECT\nMessage-ID: <secret@x>\n\nSECRET-TOKEN\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&secret, maildir.join("new/2.link.host")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", maildir.join("new/3.etc.host")).unwrap();
    // A pipe nobody writes to: reading it would block for ever.
    let fifo = maildir.join("new/4.fifo.host");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let md = maildir.to_str().unwrap();
    let o = setup.owed(&["inbox", "import", md]);
    succeeded(&o);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_contains_all(
        &out,
        &[
            "filed K000 (by sender): Paid",
            "1 filed, 0 already filed, 0 unmatched, 3 skipped",
        ],
    );
    assert_contains_all(
        &err,
        &[
            "skipped 2.link.host: a symbolic link (links are not followed)",
            "skipped 3.etc.host: a symbolic link",
            "skipped 4.fifo.host: not a regular file",
        ],
    );
    assert!(!out.contains("SECRET") && !err.contains("SECRET"));
    // The links and the pipe stay where they were; nothing of theirs was filed.
    assert_eq!(
        names_in(&maildir.join("new")),
        vec!["2.link.host", "3.etc.host", "4.fifo.host"]
    );
    let subjects: Vec<String> = rows(&setup.db(), "SELECT subject || body FROM replies", |r| {
        r.get(0)
    });
    assert_eq!(subjects, vec!["PaidDone.\n".to_string()]);

    // A cur/ that is a link is refused before anything is read or moved.
    std::fs::remove_dir_all(maildir.join("cur")).unwrap();
    std::os::unix::fs::symlink(setup.dir.path(), maildir.join("cur")).unwrap();
    let o = setup.owed(&["inbox", "import", md]);
    refused(
        &o,
        2,
        "is a symbolic link: owed does not follow links in a Maildir",
    );
}

/// A message that cannot be read (mode 000) stopped the import with exit 1: the messages
/// after it were never read, every night, and those filed before it were never reported. It
/// is skipped and reported like a link, and the others are filed.
#[cfg(unix)]
#[test]
fn a_message_that_cannot_be_read_is_skipped_and_the_others_are_filed() {
    use std::os::unix::fs::PermissionsExt;
    let setup = Setup::plain(2, closed_port());
    let maildir = setup.dir.path().join("Maildir");
    for (name, i) in [("1.a.host", 0), ("2.b.host", 9), ("3.c.host", 1)] {
        deliver_to_maildir(
            &maildir,
            name,
            &format!(
                "From: ap{i}@c{i}.example\nSubject: Paid {i}\nMessage-ID: <p{i}@x>\n\nDone.\n"
            ),
        );
    }
    let locked = maildir.join("new/2.b.host");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&locked).is_ok() {
        // Run as root, every file reads (the unit test of `read_message` covers this case).
        return;
    }
    let o = setup.owed(&["inbox", "import", maildir.to_str().unwrap()]);
    succeeded(&o);
    assert_contains_all(
        &stdout(&o),
        &[
            "filed K000 (by sender): Paid 0",
            "filed K001 (by sender): Paid 1",
            "2 filed, 0 already filed, 0 unmatched, 1 skipped",
        ],
    );
    assert_contains_all(
        &stderr(&o),
        &[
            "skipped 2.b.host: cannot read it: Permission denied",
            "(left in new/)",
        ],
    );
    assert_eq!(names_in(&maildir.join("new")), vec!["2.b.host"]);
}

#[test]
fn a_reply_from_outside_the_customer_is_filed_unverified_and_shown_so() {
    let (_server, setup) = reminders_sent(2);
    let [k0, k1] = ["ap0@c0.example", "ap1@c1.example"].map(|to| setup.message_id_to(to));
    let maildir = setup.dir.path().join("Maildir");
    let replies = [
        // Someone who learnt K000's reminder's Message-ID.
        format!(
            "From: Accounts <billing@evil.example>\nSubject: Re: Reminder\n\
             Message-ID: <x1@evil.example>\nIn-Reply-To: {k0}\n\
             Date: Thu, 30 Apr 2026 09:00:00 +0000\n\nOur bank details changed: pay to IBAN XX.\n"
        ),
        // Another address in K001's own domain.
        format!(
            "From: cfo@c1.example\nSubject: Re: Reminder\nMessage-ID: <x2@c1.example>\n\
             In-Reply-To: {k1}\nDate: Thu, 30 Apr 2026 10:00:00 +0000\n\nPaying Friday.\n"
        ),
    ];
    for (name, text) in ["1.a.host", "2.b.host"].iter().zip(&replies) {
        deliver_to_maildir(&maildir, name, text);
    }
    let o = setup.owed(&["inbox", "import", maildir.to_str().unwrap()]);
    succeeded(&o);
    assert_contains_all(
        &stdout(&o),
        &[
            "filed K000 (reply to a reminder) UNVERIFIED: the sender billing@evil.example is not \
             among the customer's addresses or domains: Re: Reminder",
            "filed K001 (reply to a reminder): Re: Reminder",
            "2 filed, 0 already filed, 0 unmatched; 1 filed from an unverified sender",
        ],
    );
    assert_eq!(
        setup.replies_verified(),
        [("billing@evil.example", false), ("cfo@c1.example", true)]
            .map(|(a, v)| (a.to_string(), v))
    );

    // `activity`: marked in the text, `"verified": false` in the JSON.
    let reply = first_entry(&setup.json(&["activity", "K000", "--json"]), "reply");
    assert_eq!(reply["verified"], false, "{reply}");
    assert_eq!(reply["from"], "billing@evil.example");
    let text = setup.run_ok(&["activity", "K000"]);
    assert_contains_all(
        &text,
        &[
            "from billing@evil.example on 2026-04-30 — UNVERIFIED SENDER",
            // What it says, under its subject: the collector reads it before acting on it.
            "    Re: Reminder\n    Our bank details changed: pay to IBAN XX.\n",
        ],
    );
    let reply = first_entry(&setup.json(&["activity", "K001", "--json"]), "reply");
    assert_eq!(reply["verified"], true, "{reply}");

    // The engagement report counts only the verified reply as the customer's answer.
    let report = setup.json(&["report", "engagement", "--json"]);
    assert_eq!(report["reminders"][0]["sent"], 2, "{report}");
    assert_eq!(report["reminders"][0]["replied"], 1, "{report}");
}

/// A run of a date before money came in: the first customer's invoice was paid in full on
/// 5 May, and a run as of 30 April (the reviewer's case: a back-dated run, sent today) must not
/// chase it. The plan of that day says it was skipped, and why; the other customer is sent
/// to as planned.
#[test]
fn a_run_of_an_earlier_date_does_not_chase_what_was_paid_since() {
    let server = SmtpServer::start();
    let setup = Setup::plain(2, server.port);
    let data = setup.dir.path().join("paid");
    write_files(
        &data,
        &[
            (
                "payments.csv",
                "id,customer_id,date,amount,currency\nP1,K000,2026-05-05,100.00,USD\n\
                 P2,K001,2026-05-05,60.00,USD\n",
            ),
            (
                "applications.csv",
                "source_id,document_id,amount,date\nP1,INV-0,100.00,2026-05-05\n\
                 P2,INV-1,60.00,2026-05-05\n",
            ),
        ],
    );
    succeeded(&setup.owed(&["import", data.to_str().unwrap()]));
    let o = setup.owed(&["engage", "plan", "--json"]);
    let plan = json_of(&o);
    let skipped: Vec<&serde_json::Value> = plan
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["skipped"] == true)
        .collect();
    assert_eq!(skipped.len(), 1, "{plan}");
    assert_eq!(skipped[0]["customer_id"], "K000");
    assert_eq!(skipped[0]["reason"], "paid_since");
    // Where it would have gone, as every other skipped reminder says.
    assert_eq!(skipped[0]["to"], "ap0@c0.example");
    assert_eq!(
        skipped[0]["detail"],
        "INV-0 paid after 2026-04-30: the ledger shows it settled since"
    );
    let out = setup.run_ok(&["engage", "run"]);
    assert!(out.contains("1 sent, 0 already sent"), "{out}");
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["ap1@c1.example"], "only K001 is chased");
    // K001 paid 60.00 of its 101.00 since: it is asked for the 41.00 left, not the 101.00 of
    // the plan's day.
    let body = String::from_utf8_lossy(&received[0].data);
    assert!(body.contains("41.00") && !body.contains("101.00"), "{body}");
}

/// A run of an earlier date is sent now: a customer reminded by today's run gets nothing from
/// a run of 30 April a minute later (another cycle, in its own folder), one a day as with
/// `min_days_between = 7`, and the plan of that date says why. Each customer got a second
/// reminder 43 seconds after the first: the back-dated run looked only at the days before
/// its date.
#[test]
fn a_back_dated_run_sends_nothing_to_a_customer_reminded_today() {
    let server = SmtpServer::start();
    let setup = Setup::kite_and_lark(server.port);
    let today = Command::new(env!("CARGO_BIN_EXE_owed"))
        .args(["--db", setup.db().to_str().unwrap(), "engage", "run"])
        .env("OWED_CONFIG", setup.dir.path().join("config.toml"))
        .env_remove("OWED_DB")
        .output()
        .unwrap();
    succeeded(&today);
    assert_eq!(server.received().len(), 2);
    let other = setup.escalation_cycle();
    let other = other.as_str();
    let config = setup.dir.path().join("config.toml");
    for spacing in ["", "[engage]\nmin_days_between = 7\n"] {
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, format!("{text}{spacing}")).unwrap();
        let plan = setup.json(&["engage", "plan", "--cycles", other, "--json"]);
        let plan = plan.as_array().unwrap();
        assert_eq!(plan.len(), 2, "{plan:?}");
        for entry in plan {
            assert_eq!(entry["skipped"], true, "{entry}");
            assert_eq!(entry["reason"], "min_days_between", "{entry}");
            let detail = entry["detail"].as_str().unwrap();
            assert!(
                detail.contains("a run of an earlier date sends now"),
                "{detail}"
            );
        }
        let out = setup.run_ok(&["engage", "run", "--cycles", other]);
        assert!(out.contains("0 sent"), "{out}");
        assert_eq!(server.received().len(), 2, "{spacing}");
    }
}

#[test]
fn a_stale_ledger_stops_the_run_before_it_connects() {
    let server = SmtpServer::start();
    let setup = Setup::plain(2, server.port);
    // As if the nightly import had stopped four weeks before the run's date.
    rusqlite::Connection::open(setup.db())
        .unwrap()
        .execute(
            "UPDATE imports SET at = ?1",
            [fixture::local_time("2026-04-01", "12:00")],
        )
        .unwrap();
    let o = setup.owed(&["engage", "run"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("the ledger was last imported on 2026-04-01, 29 days before 2026-04-30"),
        "{err}"
    );
    assert!(err.contains("max_ledger_age_days = 7"), "{err}");
    assert!(err.trim_end().ends_with("nothing was sent"), "{err}");
    assert!(server.received().is_empty());
    assert!(setup.outbox().is_empty());
    // The plan says it beside the plan; a dry run says it and goes on.
    let o = setup.owed(&["engage", "plan", "--json"]);
    succeeded(&o);
    said(&o, "last imported on 2026-04-01");
    said(&o, "a run sends nothing");
    assert_eq!(json_of(&o).as_array().unwrap().len(), 2, "the plan as ever");
    let o = setup.owed(&["engage", "run", "--dry-run"]);
    succeeded(&o);
    said(&o, "note: the ledger was last imported");
    assert!(stdout(&o).contains("2 reminder(s) would be sent"));
    // A team that imports monthly says so in its config.
    let config = setup.dir.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[engage]\nmax_ledger_age_days = 30\n");
    std::fs::write(&config, text).unwrap();
    setup.send(&server, 2);
    // A database with no import on record (imported before the log began): said, not refused.
    rusqlite::Connection::open(setup.db())
        .unwrap()
        .execute("DELETE FROM imports", [])
        .unwrap();
    let o = setup.owed(&["engage", "run"]);
    succeeded(&o);
    said(&o, "note: no import is on record");
}

/// A customer email written with a name (`Kite AP <ap@kite.example>`, a quoted name with a
/// comma) is sent to the address inside: both were skipped as `no_address` ("invalid email
/// address"), though replies from them were matched.
#[test]
fn an_email_with_a_name_is_sent_to_its_address() {
    let server = SmtpServer::start();
    let setup = Setup::new(
        &[
            ("K1", "Kite", "Kite AP <ap@kite.example>"),
            ("K2", "Berg", "\"\"\"Berg, Kim\"\" <kim@berg.example>\""),
        ],
        server.port,
    );
    let out = setup.run_ok(&["engage", "run"]);
    assert!(out.contains("2 sent"), "{out}");
    let mut to = server.recipients();
    to.sort();
    assert_eq!(to, ["ap@kite.example", "kim@berg.example"]);
}

/// An email whose domain is an IP address (`ap@[127.0.0.1]`, as a database imported before
/// the import refused it holds) was planned and dry-run as sent, and every run failed on it
/// ("missing destination address") and exited 1: it is skipped as `no_address`, so the plan,
/// the dry run and the run agree.
#[test]
fn an_email_to_an_ip_address_is_skipped_as_having_no_address() {
    let server = SmtpServer::start();
    let setup = Setup::plain(3, server.port);
    setup.store_email("K001", "'ap@[127.0.0.1]'");
    setup.store_email("K002", "'ap@[IPv6:::1]'");
    let plan = setup.json(&["engage", "plan", "--json"]);
    let skipped = text_pairs(&plan, |e| e["skipped"] == true, "customer_id", "reason");
    assert_eq!(
        skipped,
        [("K001", "no_address"), ("K002", "no_address")],
        "{plan}"
    );
    let o = setup.owed(&["engage", "run", "--dry-run"]);
    let out = succeeded(&o);
    assert!(
        out.contains("would send Dunning / Friendly to K000"),
        "{out}"
    );
    assert!(!out.contains("K001") && !out.contains("K002"), "{out}");
    said(&o, "its domain is an IP address");
    let out = setup.run_ok(&["engage", "run"]);
    assert!(out.contains("1 sent"), "{out}");
    assert_eq!(server.recipients(), ["ap0@c0.example"]);
}

/// `ap@bücher.example` went in RCPT TO as it is, which a server without SMTPUTF8 (this one)
/// refuses: every run failed on it. Its domain goes in punycode, in the envelope and in To;
/// an address whose local part is not ASCII still needs SMTPUTF8, and says so.
#[test]
fn a_domain_that_is_not_ascii_is_sent_in_punycode() {
    let server = SmtpServer::start();
    let customers = [
        ("K1", "Bücher", "ap@bücher.example"),
        ("K2", "Zoë", "zoë@kite.example"),
    ];
    let o = Setup::new(&customers, server.port).owed(&["engage", "run"]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(out.contains("sent Dunning / Friendly to K1"), "{out}{err}");
    assert!(
        err.contains("not sent Dunning / Friendly to K2")
            && err.contains("the server does not support SMTPUTF8"),
        "{out}{err}"
    );
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["ap@xn--bcher-kva.example"]);
    let to = received[0].header("To").unwrap();
    assert!(to.contains("<ap@xn--bcher-kva.example>"), "{to}");
    // The reply may come from the spelling the reminder went to: it is still Bücher's.
    let setup = Setup::new(&customers, server.port);
    let maildir = setup.dir.path().join("Maildir");
    deliver_to_maildir(
        &maildir,
        "1.a.host",
        "From: ap@xn--bcher-kva.example\nSubject: Paid\nMessage-ID: <p1@x.example>\n\
         Date: Thu, 30 Apr 2026 09:00:00 +0000\n\nDone.\n",
    );
    let out = stdout(&setup.owed(&["inbox", "import", maildir.to_str().unwrap()]));
    assert!(out.contains("filed K1 (by sender): Paid"), "{out}");
}

/// A reminder sent by a back-dated run (`--as-of`) is in the customer's activity as of that
/// date: `owed activity --as-of` read it by the clock's time of sending, and left it out
/// until the real day, while the workstation's timeline showed it.
#[test]
fn a_back_dated_runs_reminder_is_in_the_activity_of_its_day() {
    let server = SmtpServer::start();
    let setup = Setup::plain(1, server.port);
    let out = setup.run_ok(&["engage", "run"]);
    assert!(out.contains("1 sent"), "{out}");
    let activity = setup.json(&["activity", "K000", "--json"]);
    let kinds: Vec<&str> = activity["activity"]
        .as_array()
        .unwrap_or_else(|| panic!("{activity}"))
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"reminder"), "{activity}");
}

/// The subject is a template's first line that is not blank. One whose first line rendered
/// blank for a customer made its second line the subject and sent an email without a body;
/// that reminder is not sent, and says why.
#[test]
fn a_reminder_whose_body_renders_empty_is_not_sent() {
    let server = SmtpServer::start();
    let setup = Setup::plain(3, server.port);
    std::fs::write(
        setup.dir.path().join("cycles/templates/friendly.md"),
        "{% if customer.id != \"K001\" %}Reminder for {{ customer.name }}{% endif %}\n\
         Hello {{ customer.name }}\n",
    )
    .unwrap();
    let o = setup.owed(&["engage", "run"]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert_contains_all(
        &out,
        &[
            "sent Dunning / Friendly to K000",
            "sent Dunning / Friendly to K002",
        ],
    );
    assert_contains_all(
        &err,
        &[
            "not sent Dunning / Friendly to K001: ",
            "friendly.md: the body renders empty (the subject is the first line that is not \
             blank: `Hello ",
        ],
    );
    assert_eq!(server.received().len(), 2);
    assert_eq!(statuses(&setup), ["sent", "failed", "sent"]);
}

/// A copy's address the server refuses fails the whole reminder; the error said only "answered
/// RCPT TO with 550", so the collector could not tell the escalation contact was the problem.
/// It names the address refused.
#[test]
fn a_refused_recipient_is_named() {
    let server = ScriptedServer::start(Script {
        refuse_rcpt: Some("kai@"),
        ..Script::default()
    });
    let setup = Setup::kite_and_lark(server.port);
    copying_the_escalation_contact(&setup, "kai@kite.example");
    let o = setup.owed(&["engage", "run"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("answered RCPT TO <kai@kite.example> with 550 5.1.1 no such user"),
        "{err}"
    );
}

/// The activity export's rows of `kind` as (column → value) maps, in the file's order.
fn export_rows(csv: &str, kind: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect::<std::collections::HashMap<_, _>>()
        })
        .filter(|r| r["kind"] == kind)
        .collect()
}

/// A reminder the server refused is in the activity export, with its status, its error, its
/// recipient and its documents, as `owed activity` shows it: the export listed the sent
/// reminders only (`WHERE r.sent_date IS NOT NULL`), though it is "every record of the log".
#[test]
fn a_failed_reminder_is_in_the_activity_export_with_its_error() {
    let server = ScriptedServer::start(Script {
        refuse_rcpt: Some("ap@lark"),
        ..Script::default()
    });
    let setup = Setup::kite_and_lark(server.port);
    let o = setup.owed(&["engage", "run"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let shown = setup.run_ok(&["activity", "K2"]);
    assert!(shown.contains("— failed: "), "{shown}");

    let csv = setup.run_ok(&["export", "activity", "--format", "csv", "-o", "-"]);
    let rows = export_rows(&csv, "reminder");
    let of = |id: &str| {
        rows.iter()
            .find(|r| r["customer_id"] == id)
            .unwrap_or_else(|| panic!("no reminder of {id} in {csv}"))
    };
    let (sent, failed) = (of("K1"), of("K2"));
    assert_eq!(
        (sent["status"].as_str(), sent["error"].as_str()),
        ("sent", "")
    );
    assert_eq!(sent["to"], "ap@kite.example");
    assert_eq!(sent["documents"], "INV-0");
    assert_eq!(failed["status"], "failed", "{failed:?}");
    assert!(
        failed["error"].contains("550 5.1.1 no such user"),
        "{failed:?}"
    );
    assert_eq!(failed["to"], "ap@lark.example");
    assert_eq!(failed["date"], AS_OF);

    // The workbook too, and the workstation's detail of the customer.
    let path = setup.dir.path().join("activity.xlsx");
    setup.run_ok(&["export", "activity", "-o", path.to_str().unwrap()]);
    let s = &workbook::read(&path)[0];
    let statuses: Vec<String> = s
        .data_rows()
        .filter(|&r| s.text(r, s.col("What")) == "reminder")
        .map(|r| s.text(r, s.col("Status")))
        .collect();
    assert_eq!(statuses, ["sent", "failed"]);
    let store = owed::store::Store::open_existing(&setup.db()).unwrap();
    let k2 = store.ledger().customer_key("K2").unwrap().unwrap();
    let day = owed::domain::date::parse_iso(AS_OF).unwrap();
    let detail = store.ledger().customer_detail(k2, day, 3).unwrap().unwrap();
    let reminder = detail
        .activity
        .iter()
        .find(|e| e.kind == owed::domain::customer::ActivityKind::Reminder)
        .expect("the failed reminder in the detail's timeline");
    assert!(reminder.text.contains("(failed)"), "{}", reminder.text);
}

/// A run's line and the customer's activity named a reminder's documents by their ids
/// (`[INV-1]`), where the README promises their numbers: the number now, the id when there is
/// none; the activity's JSON keeps the ids, the numbers beside them.
#[test]
fn a_run_and_the_activity_name_a_reminders_documents_by_their_numbers() {
    let server = SmtpServer::start();
    let setup = Setup::kite_and_lark(server.port);
    let numbers = setup.dir.path().join("numbers");
    write_files(
        &numbers,
        &[(
            "documents.csv",
            "id,customer_id,type,number,doc_date,due_date,amount,currency\n\
             INV-1,K2,invoice,A2026-0001,2026-03-01,2026-03-31,101.00,USD\n",
        )],
    );
    succeeded(&setup.owed(&["import", numbers.to_str().unwrap()]));
    let out = setup.run_ok(&["engage", "run"]);
    let line = |customer: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("sent Dunning / Friendly to {customer} ")))
            .unwrap_or_else(|| panic!("nothing sent to {customer}: {out}"))
            .to_string()
    };
    assert!(line("K2").contains(" [A2026-0001] "), "{out}");
    assert!(line("K1").contains(" [INV-0] "), "{out}");
    let text = setup.run_ok(&["activity", "K2"]);
    assert!(text.contains("\n    A2026-0001\n"), "{text}");
    let reminder = first_entry(&setup.json(&["activity", "K2", "--json"]), "reminder");
    assert_eq!(reminder["documents"], serde_json::json!(["INV-1"]));
    assert_eq!(
        reminder["document_numbers"],
        serde_json::json!(["A2026-0001"])
    );
    let kite = first_entry(&setup.json(&["activity", "K1", "--json"]), "reminder");
    assert_eq!(kite["document_numbers"], serde_json::json!([null]));
}

/// A reminder the server refused and one of unknown delivery released by hand keep the
/// documents they were about (the release deleted them with the claim: `'documents': []`,
/// where a sent one showed `['INV-0']`), while the documents are planned again; and the
/// release is recorded beside the run's error (`delivery unknown: …`), not over it.
#[test]
fn a_failed_or_released_reminder_keeps_its_documents_and_its_error() {
    let refusing = ScriptedServer::start(Script {
        refuse_rcpt: Some("ap@lark"),
        ..Script::default()
    });
    let setup = Setup::kite_and_lark(refusing.port);
    assert_eq!(setup.owed(&["engage", "run"]).status.code(), Some(1));
    let failed = first_entry(&setup.json(&["activity", "K2", "--json"]), "reminder");
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(
        failed["documents"],
        serde_json::json!(["INV-1"]),
        "{failed}"
    );
    assert!(failed["released_by"].is_null(), "{failed}");
    assert_eq!(plan_customers(&setup), ["K2"]);
    let csv = setup.run_ok(&["export", "activity", "-o", "-"]);
    let row = export_rows(&csv, "reminder")
        .into_iter()
        .find(|r| r["customer_id"] == "K2")
        .unwrap();
    assert_eq!(row["documents"], "INV-1");

    // Handed over, never answered: pending, its delivery unknown.
    let hanging = ScriptedServer::hanging_at(HangAt::Dot);
    let setup = Setup::plain(1, hanging.port);
    setup.set_smtp(hanging.port, "security = \"none\"\ntimeout_seconds = 1\n");
    assert_eq!(setup.owed(&["engage", "run"]).status.code(), Some(1));
    assert_eq!(statuses(&setup), ["pending"]);
    let pending = setup.outbox().remove(0);
    let error = pending["error"].as_str().unwrap().to_string();
    assert!(error.starts_with("delivery unknown: "), "{pending}");
    let id = pending["id"].to_string();
    let said = setup.run_ok(&["engage", "release", &id]);
    assert!(said.contains("released"), "{said}");
    let released = first_entry(&setup.json(&["activity", "K000", "--json"]), "reminder");
    assert_eq!(released["status"], "failed", "{released}");
    assert_eq!(released["error"], error.as_str(), "{released}");
    assert_eq!(released["released_by"], "alice", "{released}");
    assert!(released["released_at"].is_string(), "{released}");
    assert_eq!(
        released["documents"],
        serde_json::json!(["INV-0"]),
        "{released}"
    );
    let text = setup.run_ok(&["activity", "K000"]);
    assert!(
        text.contains(&format!("— failed: {error} (released by alice at ")),
        "{text}"
    );
    let outbox = setup.outbox().remove(0);
    let shown = outbox["error"].as_str().unwrap();
    assert!(
        shown.starts_with(&format!("{error}; released by alice at ")),
        "{outbox}"
    );
    let csv = setup.run_ok(&["export", "activity", "-o", "-"]);
    let row = export_rows(&csv, "reminder").remove(0);
    assert_eq!(row["error"], shown, "{row:?}");
    assert_eq!(row["documents"], "INV-0", "{row:?}");
    assert_eq!(plan_customers(&setup), ["K000"]);
}

/// The customers K1 and K2 carry `cf_seats` (and K2 `cf_region`), imported beside their
/// names; the dunning cycle's customer rule is `rule`, written as TOML's basic string
/// holds it (escapes and all).
fn with_seats_and_rule(setup: &Setup, rule: &str) {
    let seats = setup.dir.path().join("seats");
    write_files(
        &seats,
        &[(
            "customers.csv",
            "id,name,cf_seats,cf_region\nK1,Kite Supplies,12,\nK2,Lark,3,north\n",
        )],
    );
    succeeded(&setup.owed(&["import", seats.to_str().unwrap()]));
    std::fs::write(
        setup.dir.path().join("cycles/dunning.toml"),
        format!(
            "name = \"Dunning\"\ncustomer = \"{rule}\"\n[[reminder]]\nname = \"Friendly\"\n\
             after_due_days = 3\ntemplate = \"templates/friendly.md\"\n"
        ),
    )
    .unwrap();
}

/// `cf_seat = 10` planned nothing, exit 0, without a word, and `cf_Seats > 5` was taken for
/// another text field: a custom field that neither `[custom_fields]` declares nor any
/// imported customer carries is a misspelt field, refused as one (file, rule, position, and
/// the name meant when one is close), by `plan` and by a run from cron, which sends nothing.
#[test]
fn a_misspelt_custom_field_is_an_error_naming_the_file_the_rule_and_the_position() {
    let server = SmtpServer::start();
    let setup = Setup::kite_and_lark(server.port);
    for (rule, column, shown, said) in [
        (
            "cf_seat = 10",
            13,
            "cf_seat = 10",
            "unknown field `cf_seat` at customer level; did you mean `cf_seats`?",
        ),
        (
            "overdue > 0 and cf_Seats > 5",
            29,
            "overdue > 0 and cf_Seats > 5",
            "unknown field `cf_Seats` at customer level; did you mean `cf_seats`?",
        ),
        (
            "cf_tier = gold",
            13,
            "cf_tier = gold",
            "unknown field `cf_tier` at customer level",
        ),
    ] {
        with_seats_and_rule(&setup, rule);
        for args in [&["engage", "plan", "--json"][..], &["engage", "run"]] {
            let o = setup.owed(args);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?} {rule}: {err}");
            assert!(
                err.contains(&format!(
                    "dunning.toml, line 2, column {column}, customer rule: error in rule \
                     `{shown}`"
                )),
                "{err}"
            );
            assert!(err.contains(said), "{err}");
            assert!(stdout(&o).is_empty(), "{}", stdout(&o));
        }
    }
    assert!(server.received().is_empty());
    assert!(setup.outbox().is_empty());
    // Known names work: imported (`cf_seats`, `cf_region` though K1 leaves it empty), or
    // declared in the config though no customer carries it yet.
    with_seats_and_rule(&setup, "cf_seats = 12 or cf_region = south");
    let plan = setup.json(&["engage", "plan", "--json"]);
    let planned: Vec<&str> = plan
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(planned, ["K1"], "{plan}");
    let config = setup.dir.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[custom_fields]\ncf_tier = \"text\"\n");
    std::fs::write(&config, text).unwrap();
    with_seats_and_rule(&setup, "cf_tier = gold");
    succeeded(&setup.owed(&["engage", "plan", "--json"]));
}

/// ESC and BEL in a rule were shown as spaces in its error (`al [31mice `): the rule is
/// quoted, and its line shown, with them made visible as every outside text is (`␛`, `␇`),
/// the caret still under the bad field.
#[test]
fn a_rules_control_characters_are_made_visible_in_its_error() {
    let setup = Setup::kite_and_lark(closed_port());
    with_seats_and_rule(
        &setup,
        r#"finance_owner = \"al\u001b[31mice\u0007\" and bogus = 1"#,
    );
    let o = setup.owed(&["engage", "plan", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].ends_with("error in rule `finance_owner = \"al␛[31mice␇\" and bogus = 1`"),
        "{err}"
    );
    assert_eq!(lines[1], "  finance_owner = \"al␛[31mice␇\" and bogus = 1");
    let caret = lines[2].chars().count() - 1;
    assert_eq!(lines[2].trim(), "^", "{err}");
    assert!(
        lines[1]
            .chars()
            .skip(caret)
            .collect::<String>()
            .starts_with("bogus"),
        "{err}"
    );
}

/// Reminders were signed with the name of whoever ran them: from cron as root, every email of
/// the month ended "Kind regards,\nroot", whoever owned the customer, and a customer moved to
/// another collector by an import was still signed root. A reminder is signed by the
/// customer's finance owner (the config's collector only for a customer without one); who ran
/// the send stays the reminder's collector in the activity, with the signature beside it.
#[test]
fn a_reminder_is_signed_by_the_customers_finance_owner_not_by_who_ran_it() {
    let server = SmtpServer::start();
    let setup = Setup::plain(3, server.port);
    let owners = setup.dir.path().join("owners");
    write_files(
        &owners,
        &[(
            "customers.csv",
            "id,name,email,finance_owner\nK000,Customer 0,ap0@c0.example,bob\n\
             K001,Customer 1,ap1@c1.example,\nK002,Customer 2,ap2@c2.example,carol\n",
        )],
    );
    succeeded(&setup.owed(&["import", owners.to_str().unwrap()]));
    // carol hands K002 over to dave in the billing system.
    write_files(
        &owners,
        &[(
            "customers.csv",
            "id,name,email,finance_owner\nK000,Customer 0,ap0@c0.example,bob\n\
             K001,Customer 1,ap1@c1.example,\nK002,Customer 2,ap2@c2.example,dave\n",
        )],
    );
    succeeded(&setup.owed(&["import", owners.to_str().unwrap()]));
    let out = setup.run_ok(&["engage", "run"]);
    assert!(out.contains("3 sent"), "{out}");
    let received = server.received();
    let signature = |to: &str| {
        let mail = received.iter().find(|m| m.to == [to]).unwrap().text();
        let body = mail.replace("\r\n", "\n");
        body.trim_end().lines().last().unwrap().to_string()
    };
    assert_eq!(signature("ap0@c0.example"), "bob");
    assert_eq!(signature("ap1@c1.example"), "alice", "no owner: the sender");
    assert_eq!(signature("ap2@c2.example"), "dave", "the owner now");
    for (id, signed) in [("K000", "bob"), ("K001", "alice"), ("K002", "dave")] {
        let activity = setup.json(&["activity", id, "--json"]);
        let reminder = first_entry(&activity, "reminder");
        assert_eq!(reminder["collector"], "alice", "who ran it: {reminder}");
        assert_eq!(reminder["signed_by"], signed, "{reminder}");
    }
    let shown = setup.run_ok(&["activity", "K000"]);
    assert!(shown.contains("signed by bob"), "{shown}");
}

/// A run of 30 April killed mid-send (kill -9) left its reminder pending; every later
/// back-dated run then skipped the customer ("a reminder to K000 is pending since …, its
/// delivery not known") whatever its date, as the claim's clock day is after all of them, so
/// the ladder's next steps never went. A pending reminder counts on its run's date, as a sent
/// one does: it holds the customer back on 30 April, not on 1 May, and the warning of its
/// unknown delivery stays.
#[cfg(unix)]
#[test]
fn a_reminder_left_pending_by_a_killed_back_dated_run_counts_on_its_runs_date() {
    let (setup, server) = killed_mid_send(1);
    let other = setup.escalation_cycle();
    let plan_of = |as_of: &str| {
        json_of(&setup.owed_on(as_of, &["engage", "plan", "--cycles", &other, "--json"]))
    };
    // The run's own day: one a day.
    let same_day = plan_of(AS_OF);
    let entry = &same_day.as_array().unwrap()[0];
    assert_eq!(entry["reason"], "min_days_between", "{same_day}");
    assert!(
        entry["detail"].as_str().unwrap().contains("pending since"),
        "{entry}"
    );
    // The next day: Escalation goes.
    let next_day = plan_of("2026-05-01");
    let entry = &next_day.as_array().unwrap()[0];
    assert_eq!(entry["customer_id"], "K000", "{next_day}");
    assert!(entry.get("skipped").is_none(), "{next_day}");
    let o = setup.owed_on("2026-05-01", &["engage", "run", "--cycles", &other]);
    let out = succeeded(&o);
    assert!(out.contains("1 sent"), "{out}");
    said(&o, "warning: 1 reminder(s) left pending by earlier runs");
    assert_eq!(server.received().len(), 1);
}

/// `owed engage outbox --as-of 2026-11-14` listed the reminders of the runs of 15 November
/// and after: as of a date, the outbox shows what existed then, each reminder on its run's
/// date (sent, pending or failed), as the Report pane counts them.
#[test]
fn the_outbox_as_of_a_date_lists_only_the_runs_of_that_date_or_before() {
    let server = SmtpServer::start();
    let setup = Setup::plain(1, server.port);
    succeeded(&setup.owed_on("2026-04-29", &["engage", "run"]));
    let other = setup.escalation_cycle();
    succeeded(&setup.owed_on("2026-05-01", &["engage", "run", "--cycles", &other]));
    assert_eq!(server.received().len(), 2);
    let listed = |as_of: &str| -> Vec<String> {
        let o = setup.owed_on(as_of, &["engage", "outbox", "--json", "--sent", "3"]);
        json_of(&o)
            .as_array()
            .unwrap()
            .iter()
            .map(|r| format!("{} {}", r["cycle"].as_str().unwrap(), r["run_date"]))
            .collect()
    };
    assert_eq!(listed("2026-04-28"), Vec::<String>::new());
    assert_eq!(listed("2026-04-30"), ["Dunning \"2026-04-29\""]);
    assert_eq!(
        listed("2026-05-01"),
        ["Escalation \"2026-05-01\"", "Dunning \"2026-04-29\""]
    );
    let table = succeeded(&setup.owed_on("2026-04-30", &["engage", "outbox"]));
    assert!(!table.contains("Escalation"), "{table}");
}

/// A run the disk fills part-way through stops as a signal stops it: the reminders it sent
/// before are recorded sent, and it says how many, that the rest are planned again next run,
/// and the summary line (it said "the disk is full: …, so nothing was saved" after sending
/// and recording two). The third reminder's claim needs more room than the disk has (a
/// trigger writes 64 MB with it, on a disk with 16 MB a file).
#[cfg(unix)]
#[test]
fn a_run_the_disk_fills_part_way_says_what_it_sent_before() {
    let server = SmtpServer::start();
    let setup = Setup::plain(4, server.port);
    let conn = rusqlite::Connection::open(setup.db()).unwrap();
    conn.execute_batch(
        "CREATE TABLE filler (b BLOB);
         CREATE TRIGGER filler BEFORE INSERT ON reminders
           WHEN (SELECT count(*) FROM reminders) >= 2
         BEGIN INSERT INTO filler VALUES (zeroblob(64000000)); END;",
    )
    .unwrap();
    drop(conn);
    let o = common::on_a_disk_with_room(setup.command(&["engage", "run"]), 16 * 1024);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("sent ")).count(),
        2,
        "{out}"
    );
    assert!(
        out.ends_with(
            "2 sent, 0 already sent by another run (or its customer reminded), 0 not sent, \
             0 unknown\n"
        ),
        "{out}"
    );
    // The file size limit fails the write as a failing disk does (`EFBIG`, not `ENOSPC`).
    let db = setup.db().display().to_string();
    assert!(
        err.starts_with(&format!(
            "owed: stopped: the disk is full or failing: {db} could not be read or written"
        )),
        "{err}"
    );
    assert!(
        err.ends_with(
            ", so no more was sent; 2 reminder(s) were sent before, the rest are planned again \
             next run\n"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(statuses(&setup), ["sent", "sent"]);
    assert_eq!(server.received().len(), 2);
    assert_eq!(plan_customers(&setup).len(), 2);
}

/// An `owed inbox import` killed after it filed replies is in the log of imports with what it
/// filed: it was recorded only at the end, and a killed run was in no log. Each reply's
/// transaction records the run (the first) or brings its summary up to date.
#[cfg(unix)]
#[test]
fn an_inbox_import_killed_part_way_is_in_the_log_with_what_it_filed() {
    use std::io::BufRead;
    let setup = Setup::kite_and_lark(closed_port());
    let maildir = setup.dir.path().join("Maildir");
    for i in 0..400 {
        deliver_to_maildir(
            &maildir,
            &format!("{i:04}.a.host"),
            &format!(
                "From: ap@kite.example\nSubject: Paid {i}\nMessage-ID: <p{i}@kite.example>\n\
                 Date: Wed, 29 Apr 2026 08:00:00 +0000\n\nPaid on Monday.\n"
            ),
        );
    }
    let mut child = setup.spawn(&["inbox", "import", maildir.to_str().unwrap()]);
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("filed K1"), "{first}");
    child.kill().unwrap();
    child.wait().unwrap();
    let filed: i64 = value(&setup.db(), "SELECT count(*) FROM replies");
    assert!((1..400).contains(&filed), "{filed}");
    let logged: i64 = value(
        &setup.db(),
        "SELECT count(*) FROM imports WHERE kind = 'inbox'",
    );
    assert_eq!(logged, 1);
    let summary: String = value(
        &setup.db(),
        "SELECT summary FROM imports WHERE kind = 'inbox'",
    );
    assert_eq!(
        summary,
        format!("{filed} filed so far (the run has not finished)")
    );
}
