//! Two collectors at once: two `owed` processes write notes to the same database file at the
//! same time; every note arrives and neither sees "database is locked".

mod fixture;

use fixture::{Fixture, stderr};
use std::process::{Command, Stdio};

const NOTES_EACH: u32 = 250;

#[test]
fn two_processes_writing_notes_lose_none() {
    let fx = Fixture::new();
    let spawn = |collector: &str, customer: &str| {
        Command::new(env!("CARGO_BIN_EXE_owed"))
            .arg("--db")
            .arg(fx.db())
            .args(["--as", collector, "note", customer, "call log"])
            .args(["--repeat", &NOTES_EACH.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Both on the same customer, at the same time.
    let alice = spawn("alice", "V1");
    let bob = spawn("bob", "V1");
    for (name, child) in [("alice", alice), ("bob", bob)] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{name}");
    }
    let store = fx.store();
    let v1 = store.ledger().customer_key("V1").unwrap().unwrap();
    let notes = store.activity().notes(v1).unwrap();
    assert_eq!(notes.len(), 2 * NOTES_EACH as usize);
    for who in ["alice", "bob"] {
        let mut numbers: Vec<u32> = notes
            .iter()
            .filter(|n| n.collector == who)
            .map(|n| n.text.rsplit('#').next().unwrap().parse().unwrap())
            .collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=NOTES_EACH).collect::<Vec<_>>(), "{who}");
    }
}
