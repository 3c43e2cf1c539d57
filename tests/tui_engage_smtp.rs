//! Reminders sent from the workstation through a real SMTP server on loopback, started by
//! the test (mailin-embedded): the keys' send path, the worker thread, a server that is down.

mod common;
mod smtp_server;
mod workstation;

use common::value;
use owed::tui::engage::send::Stage;
use owed::tui::engage::{EngageRequest, EngageResponse, SendResult};
use owed::workstation::engage::worker::{self, EngageWorker};
use smtp_server::{SmtpServer, closed_port};
use std::time::Duration;
use workstation::Driver;

fn setup(port: u16) -> (tempfile::TempDir, std::path::PathBuf, owed::config::Config) {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let cycles = workstation::cycles(dir.path());
    let config = workstation::engage_config(&cycles, port);
    (dir, db, config)
}

fn source(db: &std::path::Path, config: owed::config::Config) -> EngageWorker {
    workstation::engage_source(db, "alice", config, worker::config_senders())
}

#[test]
fn a_reminder_sent_from_the_workstation_arrives_at_the_smtp_server() {
    let server = SmtpServer::start();
    let (_dir, db, config) = setup(server.port);
    let mut d = Driver::with_engage(&db, "alice", (120, 40), source(&db, config.clone()));
    // Up from the reminder today's plan has for Kite (Firm) to Friendly.
    d.press("G r k <Enter> s");
    assert!(server.received().is_empty(), "nothing before y");
    d.press("y");
    let flow = d.app.engage.flow.as_ref().unwrap();
    assert_eq!(flow.stage, Stage::Done);
    let SendResult::Sent { message_id, .. } = &flow.outcomes[0].result else {
        panic!("{:?} {:?}", flow.outcomes, flow.note)
    };
    let received = server.received();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.to, ["ap@kite.example"]);
    assert_eq!(
        mail.header("To").unwrap(),
        "\"Kite Supplies\" <ap@kite.example>"
    );
    assert_eq!(
        mail.header("Subject").unwrap(),
        "Friendly reminder: 1 open item(s) for Kite Supplies"
    );
    assert_eq!(&mail.header("Message-ID").unwrap(), message_id);
    assert!(mail.text().contains("INV-100"));

    // The same send path on the worker's own thread, as the workstation runs it: the
    // answers come back one by one while the caller waits on nothing else.
    let template = d
        .app
        .engage
        .flow
        .as_ref()
        .unwrap()
        .chosen
        .clone()
        .unwrap()
        .path;
    let (tx, rx) = std::sync::mpsc::channel();
    let requests = worker::spawn(source(&db, config), move |r| tx.send(r).is_ok()).unwrap();
    let acme: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT cid FROM customers WHERE id = 'K6'", [], |r| {
            r.get(0)
        })
        .unwrap();
    requests
        .send(EngageRequest::Send {
            seq: 7,
            as_of: workstation::as_of(),
            template,
            cids: vec![acme],
        })
        .unwrap();
    let first = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    let EngageResponse::Sent { seq: 7, outcome } = first else {
        panic!("{first:?}")
    };
    assert!(outcome.result.is_sent(), "{outcome:?}");
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(30)).unwrap(),
        EngageResponse::SendDone {
            seq: 7,
            error: None
        }
    );
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].to, ["ap@acme.example"]);
}

#[test]
fn a_mail_server_that_is_down_claims_nothing_and_says_so() {
    let (_dir, db, config) = setup(closed_port());
    let mut d = Driver::with_engage(&db, "alice", (120, 40), source(&db, config));
    d.press("G r <Enter> s y");
    let flow = d.app.engage.flow.as_ref().unwrap();
    assert_eq!(flow.stage, Stage::Done);
    assert!(flow.outcomes.is_empty());
    let note = flow.note.clone().unwrap();
    assert!(
        note.contains("cannot reach the mail server") && note.contains("nothing was sent"),
        "{note}"
    );
    let status = d.app.status.clone().unwrap();
    assert!(
        status.error && status.text.contains("cannot reach"),
        "{status:?}"
    );
    assert!(d.screen().contains("cannot reach the mail server"));
    let claimed: i64 = value(&db, "SELECT count(*) FROM reminders WHERE cycle = 'manual'");
    assert_eq!(claimed, 0, "nothing claimed: a later send can go");
}
