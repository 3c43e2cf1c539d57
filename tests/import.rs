//! `owed import`: bad rows are refused with file, line and column and change nothing;
//! re-imports are idempotent; random valid portfolios count back exactly.

mod common;
mod fixture;

use common::{owed_in, stderr, stdout};
use fixture::Portfolio;
use std::path::Path;

fn db_arg(dir: &Path) -> String {
    dir.join("owed.db").to_string_lossy().into_owned()
}

/// Imports the clean fixture, then the fixture with `edit` applied; asserts the second import
/// exits 2 naming `file`, `line` and `column`, and that the database did not change.
fn assert_rejected(
    edit: impl Fn(&str, &str) -> String,
    file: &str,
    line: u32,
    column: &str,
    words: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(dir.path());
    let good = dir.path().join("good");
    Portfolio::contract().write(&good);
    let o = owed_in(dir.path(), &["--db", &db, "import", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = |d: &str| {
        stdout(&owed_in(
            dir.path(),
            &[
                "--db",
                d,
                "report",
                "aging",
                "--as-of",
                "2026-04-30",
                "--json",
            ],
        ))
    };
    let before = report(&db);

    let bad = dir.path().join("bad");
    Portfolio::contract().edit(edit).write(&bad);
    let o = owed_in(dir.path(), &["--db", &db, "import", bad.to_str().unwrap()]);
    let msg = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "exit code for: {msg}");
    let place = format!("{file} line {line}, column {column}");
    assert!(msg.contains(&place), "expected `{place}` in: {msg}");
    assert!(msg.contains(words), "expected `{words}` in: {msg}");
    assert_eq!(msg.trim().lines().count(), 1, "one message: {msg}");
    assert_eq!(
        report(&db),
        before,
        "the database changed after a rejected import"
    );
}

/// Replaces `from` by `to` in `file` only; also appends `extra` lines to it.
fn edit_file(
    file: &'static str,
    from: &'static str,
    to: &'static str,
) -> impl Fn(&str, &str) -> String {
    move |name, text| {
        if name == file {
            text.replacen(from, to, 1)
        } else {
            text.to_string()
        }
    }
}

#[test]
fn unknown_column() {
    assert_rejected(
        edit_file("documents.csv", ",currency\n", ",colour\n"),
        "documents.csv",
        1,
        "8",
        "unknown column `colour`",
    );
}

#[test]
fn missing_required_field() {
    assert_rejected(
        edit_file("customers.csv", "K2,Lumen GmbH", "K2,"),
        "customers.csv",
        3,
        "name",
        "missing",
    );
}

#[test]
fn bad_date() {
    assert_rejected(
        edit_file("documents.csv", "2026-03-20", "2026-02-30"),
        "documents.csv",
        4,
        "doc_date",
        "not a date",
    );
}

#[test]
fn bad_amount() {
    assert_rejected(
        edit_file("documents.csv", "1000.00", "10x00.00"),
        "documents.csv",
        4,
        "amount",
        "not a number",
    );
}

#[test]
fn negative_amount() {
    assert_rejected(
        edit_file("payments.csv", "300.00", "-300.00"),
        "payments.csv",
        3,
        "amount",
        "negative",
    );
}

#[test]
fn unknown_type() {
    assert_rejected(
        edit_file("documents.csv", "debit_note", "debit_memo"),
        "documents.csv",
        6,
        "type",
        "unknown value `debit_memo`",
    );
}

#[test]
fn unknown_status() {
    assert_rejected(
        edit_file("payments.csv", "failure", "bounced"),
        "payments.csv",
        4,
        "status",
        "unknown value `bounced`",
    );
}

#[test]
fn unknown_customer() {
    assert_rejected(
        edit_file("documents.csv", "C2,K3", "C2,K9"),
        "documents.csv",
        6,
        "customer_id",
        "no customer `K9`",
    );
}

#[test]
fn unknown_document() {
    assert_rejected(
        edit_file("applications.csv", "P2,C1", "P2,C7"),
        "applications.csv",
        3,
        "document_id",
        "no document `C7`",
    );
}

#[test]
fn unknown_payment() {
    assert_rejected(
        edit_file("applications.csv", "P1,A1", "P8,A1"),
        "applications.csv",
        2,
        "source_id",
        "no payment or credit note `P8`",
    );
}

#[test]
fn application_larger_than_its_target() {
    // A second application of 70 to A1 (100, 40 already applied) oversettles it.
    assert_rejected(
        |name, text| {
            if name == "applications.csv" {
                format!("{text}A2,A1,70.00,2026-04-10\n")
            } else {
                text.to_string()
            }
        },
        "applications.csv",
        4,
        "amount",
        "applications to `A1` total 110",
    );
}

#[test]
fn application_larger_than_its_source() {
    // P2 (300) already applied 250; 60 more to a new invoice is more than it has.
    assert_rejected(
        |name, text| match name {
            "documents.csv" => {
                format!("{text}C3,K3,invoice,INV-302,2026-04-26,2026-05-26,100.00,USD\n")
            }
            "applications.csv" => format!("{text}P2,C3,60.00,2026-04-26\n"),
            _ => text.to_string(),
        },
        "applications.csv",
        4,
        "amount",
        "from payment `P2` total 310",
    );
}

#[test]
fn application_from_a_failed_payment() {
    assert_rejected(
        |name, text| {
            if name == "applications.csv" {
                format!("{text}P3,C2,10.00,2026-04-26\n")
            } else {
                text.to_string()
            }
        },
        "applications.csv",
        4,
        "source_id",
        "status failure",
    );
}

#[test]
fn currency_without_exchange_rate() {
    // EUR rates start on 2026-03-01; a EUR document of February has none.
    assert_rejected(
        edit_file(
            "documents.csv",
            "B1,K2,invoice,RE-2001,2026-03-20,",
            "B1,K2,invoice,RE-2001,2026-02-20,",
        ),
        "documents.csv",
        4,
        "currency",
        "no exchange rate for EUR",
    );
}

#[test]
fn wrong_number_of_fields() {
    let dir = tempfile::tempdir().unwrap();
    let files = Portfolio::contract()
        .edit(edit_file(
            "payments.csv",
            "P3,K3,2026-04-21,50.00,USD,failure,card",
            "P3,K3,2026-04-21",
        ))
        .write(dir.path());
    let db = db_arg(dir.path());
    let o = owed_in(
        dir.path(),
        &[
            "--db",
            &db,
            "import",
            files[2].to_str().unwrap(),
            files[0].to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("payments.csv line 4"), "{}", stderr(&o));
}

#[test]
fn reimport_changes_nothing_and_updates_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(dir.path());
    let first = dir.path().join("first");
    Portfolio::contract().write(&first);
    let o = owed_in(
        dir.path(),
        &["--db", &db, "import", first.to_str().unwrap()],
    );
    assert!(
        stdout(&o).contains("documents.csv 5 inserted, 0 updated, 0 unchanged"),
        "{}",
        stdout(&o)
    );

    let o = owed_in(
        dir.path(),
        &["--db", &db, "import", first.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for file in [
        "customers.csv 0 inserted, 0 updated, 3 unchanged",
        "documents.csv 0 inserted, 0 updated, 5 unchanged",
        "applications.csv 0 inserted, 0 updated, 2 unchanged",
    ] {
        assert!(out.contains(file), "{file} in {out}");
    }

    // A newer export: C2 paid by a new payment, K3 renamed.
    let newer = dir.path().join("newer");
    Portfolio::contract()
        .edit(|_, text| text.replace("Moss & Sons", "Moss & Daughters"))
        .with_payment("P4,K3,2026-04-28,40.00,USD,success,card")
        .with_application("P4,C2,40.00,2026-04-28")
        .write(&newer);
    let o = owed_in(
        dir.path(),
        &["--db", &db, "import", newer.to_str().unwrap()],
    );
    let out = stdout(&o);
    assert!(
        out.contains("customers.csv 0 inserted, 1 updated, 2 unchanged"),
        "{out}"
    );
    assert!(
        out.contains("payments.csv 1 inserted, 0 updated, 3 unchanged"),
        "{out}"
    );
    assert!(
        out.contains("applications.csv 1 inserted, 0 updated, 2 unchanged"),
        "{out}"
    );
    let aging = stdout(&owed_in(
        dir.path(),
        &[
            "--db",
            &db,
            "report",
            "aging",
            "--as-of",
            "2026-04-30",
            "--json",
        ],
    ));
    let v: serde_json::Value = serde_json::from_str(&aging).unwrap();
    assert_eq!(v["total"]["outstanding"], "1140.00");
    assert_eq!(v["total"]["aging"]["current"], "0.00");
    let k3 = v["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "K3")
        .unwrap();
    assert_eq!(k3["name"], "Moss & Daughters");
}

#[test]
fn custom_fields_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = Portfolio::contract().import(dir.path());
    let custom = store.customer_custom_fields("K1").unwrap();
    assert_eq!(custom.get("cf_region").map(String::as_str), Some("west"));
    assert!(store.customer_custom_fields("K3").unwrap().is_empty());
}

/// The owners of a customer as `owed activity --json` shows them.
fn owners(dir: &Path, db: &str, customer: &str) -> (serde_json::Value, serde_json::Value) {
    let o = owed_in(dir, &["--db", db, "activity", customer, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    (
        v["customer"]["finance_owner"].clone(),
        v["customer"]["sales_owner"].clone(),
    )
}

#[test]
fn reimport_keeps_the_owners_collectors_reassigned() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(dir.path());
    let first = dir.path().join("first");
    Portfolio::contract().write(&first);
    let import = |folder: &Path| {
        let o = owed_in(
            dir.path(),
            &["--db", &db, "import", folder.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    import(&first);
    let assign = |args: &[&str]| {
        let mut all = vec!["--db", db.as_str(), "--as", "alice", "assign"];
        all.extend_from_slice(args);
        let o = owed_in(dir.path(), &all);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    };
    assign(&["K1", "carol"]);
    assign(&["K2", "sam", "--sales"]);

    // The same export again: nothing changes, the reassigned owners stay.
    let out = import(&first);
    assert!(
        out.contains("customers.csv 0 inserted, 0 updated, 3 unchanged"),
        "{out}"
    );
    assert_eq!(owners(dir.path(), &db, "K1").0, "carol");
    assert_eq!(owners(dir.path(), &db, "K2").1, "sam");

    // A newer export gives K1 and K2 new finance owners and renames K1: K1's name changes
    // but its finance owner stays carol's; K2's finance owner (never reassigned) follows the
    // export, and its sales owner (absent from the export) stays sam.
    let newer = dir.path().join("newer");
    Portfolio::contract()
        .edit(|name, text| match name {
            "customers.csv" => text
                .replace("K1,Kite Supplies", "K1,Kite Supplies Ltd")
                .replace("USD,alice,30,west", "USD,dave,30,west")
                .replace("EUR,bob,30", "EUR,erin,30"),
            _ => text.to_string(),
        })
        .write(&newer);
    let out = import(&newer);
    assert!(
        out.contains("customers.csv 0 inserted, 2 updated, 1 unchanged"),
        "{out}"
    );
    assert_eq!(
        owners(dir.path(), &db, "K1"),
        (serde_json::json!("carol"), serde_json::Value::Null)
    );
    assert_eq!(
        owners(dir.path(), &db, "K2"),
        (serde_json::json!("erin"), serde_json::json!("sam"))
    );
    let o = owed_in(dir.path(), &["--db", &db, "activity", "K1", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["customer"]["name"], "Kite Supplies Ltd");
}

#[test]
fn an_unterminated_quote_in_the_last_field_is_a_bad_row() {
    // Unchecked, K1's region swallowed every row after it and the import said "3 inserted"
    // with exit 0.
    assert_rejected(
        edit_file("customers.csv", "alice,30,west\n", "alice,30,\"west\n"),
        "customers.csv",
        2,
        "cf_region",
        "never closed",
    );
}

#[test]
fn an_unterminated_quote_in_a_middle_field_is_a_bad_row() {
    assert_rejected(
        edit_file("documents.csv", ",RE-2001,", ",\"RE-2001,"),
        "documents.csv",
        4,
        "number",
        "never closed",
    );
}

#[test]
fn a_stray_quote_closed_by_a_later_value_is_a_bad_row() {
    // The quote opened before Moss pairs with the one that opens "ap@moss…" on the same row:
    // the row still has seven fields, but not the ones written.
    assert_rejected(
        edit_file(
            "customers.csv",
            "K3,Moss & Sons,ap@moss.example,",
            "K3,\"Moss & Sons,\"ap@moss.example\",",
        ),
        "customers.csv",
        4,
        "name",
        "followed by more text on line 4",
    );
}

#[test]
fn an_id_twice_in_one_file_is_refused_naming_both_lines() {
    assert_rejected(
        |name, text| match name {
            "customers.csv" => format!("{text}K1,Kite Again,,USD,bob,30,\n"),
            _ => text.to_string(),
        },
        "customers.csv",
        5,
        "id",
        "`K1` is also on line 2",
    );
    assert_rejected(
        |name, text| match name {
            "payments.csv" => text.replace("P3,K3", "P1,K3"),
            _ => text.to_string(),
        },
        "payments.csv",
        4,
        "id",
        "`P1` is also on line 2",
    );
    assert_rejected(
        |name, text| match name {
            "applications.csv" => format!("{text}P1,A1,10.00,2026-04-05\n"),
            _ => text.to_string(),
        },
        "applications.csv",
        4,
        "source_id",
        "also on line 2",
    );
    assert_rejected(
        |name, text| match name {
            "exchange_rates.csv" => format!("{text}2026-03-01,eur,1.09\n"),
            _ => text.to_string(),
        },
        "exchange_rates.csv",
        4,
        "date",
        "the rate of EUR on 2026-03-01 is also on line 2",
    );
}

#[test]
fn a_credit_note_with_a_due_date_is_refused() {
    assert_rejected(
        edit_file(
            "documents.csv",
            "CN-7,2026-04-02,,",
            "CN-7,2026-04-02,2026-05-02,",
        ),
        "documents.csv",
        3,
        "due_date",
        "a credit note has no due date",
    );
}

#[test]
fn a_huge_bad_value_is_quoted_cut_short() {
    let huge = "9x".repeat(5 * 1024 * 1024);
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(dir.path());
    Portfolio::contract()
        .edit(|name, text| {
            if name == "payments.csv" {
                text.replace("300.00", &huge)
            } else {
                text.to_string()
            }
        })
        .write(dir.path());
    let o = owed_in(
        dir.path(),
        &["--db", &db, "import", dir.path().to_str().unwrap()],
    );
    let msg = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{msg}");
    assert!(
        msg.starts_with("owed: payments.csv line 3, column amount: `9x9x"),
        "{msg}"
    );
    assert!(msg.contains("(10485760 characters)"), "{msg}");
    assert!(msg.len() < 300, "{} bytes on stderr", msg.len());
}

#[test]
fn a_failed_first_import_leaves_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new/owed.db");
    Portfolio::contract()
        .edit(edit_file("customers.csv", "K2,Lumen GmbH", "K2,"))
        .write(dir.path());
    let o = owed_in(
        dir.path(),
        &[
            "--db",
            db.to_str().unwrap(),
            "import",
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!db.exists(), "a database was left behind");
    assert!(
        !dir.path().join("new").exists(),
        "its folder was left behind"
    );
}

/// `contacts.csv` with a good row and then `bad` (line 3) is refused naming the file, line
/// and column, and writes none of its contacts.
#[test]
fn bad_contacts_are_refused_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(dir.path());
    let good = dir.path().join("good");
    Portfolio::contract().write(&good);
    let o = owed_in(dir.path(), &["--db", &db, "import", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cases = [
        (
            "K1,Kai,kai@kite.example,,boss,no",
            "role",
            "unknown value `boss`",
        ),
        (
            "K1,Kai,not an address,,billing,no",
            "email",
            "is not one email address",
        ),
        (
            "K1,Kai,\"kai@kite.example\r\nBcc: x@evil.example\",,billing,no",
            "email",
            "is not one email address",
        ),
        (
            "K1,Kai,a@kite.example;b@kite.example,,billing,no",
            "email",
            "is not one email address",
        ),
        (
            "K9,Kai,kai@kite.example,,billing,no",
            "customer_id",
            "no customer `K9`",
        ),
        (
            "K1,Kai,kai@kite.example,,billing,maybe",
            "primary",
            "unknown value `maybe`",
        ),
        ("K1,Kai,,,billing,no", "email", "missing"),
    ];
    for (i, (bad, column, words)) in cases.into_iter().enumerate() {
        let files = dir.path().join(format!("contacts{i}"));
        std::fs::create_dir_all(&files).unwrap();
        std::fs::write(
            files.join("contacts.csv"),
            format!(
                "customer_id,name,email,phone,role,primary\n\
                 K1,Kim,kim@kite.example,,billing,yes\n{bad}\n"
            ),
        )
        .unwrap();
        let o = owed_in(
            dir.path(),
            &["--db", &db, "import", files.to_str().unwrap()],
        );
        let msg = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{bad}: {msg}");
        let place = format!("contacts.csv line 3, column {column}");
        assert!(msg.contains(&place), "{bad}: expected `{place}` in: {msg}");
        assert!(msg.contains(words), "{bad}: expected `{words}` in: {msg}");
        assert_eq!(msg.trim().lines().count(), 1, "one message: {msg}");
        let conn = rusqlite::Connection::open(dir.path().join("owed.db")).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "{bad}: the good row before it was written");
    }
}

/// `OWED_LOG=debug` logs where an import's time goes, on stderr; without it the import says
/// nothing there; a value that is no level is refused in one sentence before anything is read.
#[test]
fn the_import_logs_its_phases_at_debug_level() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(dir.path());
    let good = dir.path().join("good");
    Portfolio::contract().write(&good);
    let import = |log: Option<&str>| {
        let mut command =
            common::command_in(dir.path(), &["--db", &db, "import", good.to_str().unwrap()]);
        if let Some(level) = log {
            command.env("OWED_LOG", level);
        }
        command.output().unwrap()
    };
    let refused = import(Some("loud\u{1b}[2J"));
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        stderr(&refused).trim(),
        "owed: OWED_LOG must be error, warn, info, debug, trace or off, not `loud␛[2J`"
    );
    assert!(!dir.path().join("owed.db").exists(), "nothing is written");
    let quiet = import(None);
    assert_eq!(quiet.status.code(), Some(0), "{}", stderr(&quiet));
    assert!(!stderr(&quiet).contains("phase"), "{}", stderr(&quiet));
    let logged = import(Some("debug"));
    assert_eq!(logged.status.code(), Some(0), "{}", stderr(&logged));
    let log = stderr(&logged);
    for phase in [
        "phase documents.csv:",
        "phase indexes of documents:",
        "phase commit:",
    ] {
        assert!(log.contains(phase), "`{phase}` in:\n{log}");
    }
    assert!(log.contains("DEBUG owed::import"), "{log}");
}
