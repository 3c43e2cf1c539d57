//! `owed lockbox import DIR` through the real binary on a portfolio worked out by hand: a
//! cheque that pays the invoice it names, one matched by amount to a run of the oldest
//! invoices, a short payment that opens a deduction, and one that matches nothing; the cheque
//! images kept with their payment and visible from the document paid; importing again
//! changes nothing; bad rows name the file, line and column and write nothing. Deductions
//! resolve with an outcome (written off: a manager's), from the command line and the
//! workstation's resolve form, and show in the metrics.

mod common;

use common::{first_entry, json_of, succeeded};
use owed::domain::action_checks::Stamp;
use owed::domain::users::Role;
use owed::store::Store;
use owed::tui::field::FieldId;
use rusqlite::Connection;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

const CUSTOMERS: &str = "\
id,name,email,currency,finance_owner
K1,Kite Supplies,ap@kite.example,USD,alice
K2,Lumen GmbH,ap@lumen.example,USD,bob
K3,Moss & Sons,ap@moss.example,USD,alice
";

const DOCUMENTS: &str = "\
id,customer_id,type,number,doc_date,due_date,amount
I1,K1,invoice,INV-1,2026-03-01,2026-03-31,1000.00
I2,K1,invoice,INV-2,2026-03-05,2026-04-04,500.00
I3,K1,invoice,INV-3,2026-03-20,2026-04-19,300.00
J1,K2,invoice,RE-1,2026-03-10,2026-04-09,800.00
J2,K2,invoice,RE-2,2026-03-12,2026-04-11,200.00
M1,K3,invoice,INV-9,2026-02-01,2026-03-03,400.00
";

/// 1001 pays INV-1 exactly; 1002 (payer by name, no invoice named) matches J1 + J2, the run
/// of K2's oldest invoices; 1003 names INV-3 and I2 (oldest first: I2 500 paid, I3 150 of
/// 300) and is 150 short; 1004 matches nothing and stays unapplied.
const LOCKBOX: &str = "\
item_id,date,amount,currency,payer,check_number,invoices,image
1001,2026-04-15,1000.00,USD,K1,5001,INV-1,cheque-1001.png
1002,2026-04-15,1000.00,USD,Lumen GmbH,5002,,cheque-1002.tif
1003,2026-04-15,650.00,USD,K1,5003,INV-3;I2,
1004,2026-04-15,123.45,USD,K3,5004,,
";

struct Fx {
    dir: tempfile::TempDir,
}

impl Fx {
    fn new() -> Fx {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("csv");
        std::fs::create_dir(&csv).unwrap();
        std::fs::write(csv.join("customers.csv"), CUSTOMERS).unwrap();
        std::fs::write(csv.join("documents.csv"), DOCUMENTS).unwrap();
        // A rate no cheque in dinars can be converted at without passing what owed can add
        // up (no document is in them).
        std::fs::write(
            csv.join("exchange_rates.csv"),
            "date,currency,rate\n2026-01-01,KWD,1000000\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("config.toml"), "").unwrap();
        let fx = Fx { dir };
        let out = fx.owed(&["import", csv.to_str().unwrap()]);
        succeeded(&out);
        fx
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("owed.db")
    }

    fn owed(&self, args: &[&str]) -> Output {
        self.owed_on("2026-04-15", args)
    }

    /// `owed` as alice, as of `day`.
    fn owed_on(&self, day: &str, args: &[&str]) -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_owed"))
            .arg("--db")
            .arg(self.db())
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .args(["--as-of", day, "--as", "alice"])
            .args(args)
            .env_remove("OWED_DB")
            .env_remove("OWED_CONFIG")
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    }

    /// A lockbox folder with `csv` as lockbox.csv and the two cheque images.
    /// [`Fx::lockbox`] of the lockbox file's header and `rows`.
    fn items(&self, name: &str, rows: &str) -> PathBuf {
        self.lockbox(
            name,
            &format!("item_id,date,amount,currency,payer,check_number,invoices,image\n{rows}"),
        )
    }

    fn lockbox(&self, name: &str, csv: &str) -> PathBuf {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("lockbox.csv"), csv).unwrap();
        std::fs::write(
            dir.join("cheque-1001.png"),
            picture(image::ImageFormat::Png),
        )
        .unwrap();
        std::fs::write(
            dir.join("cheque-1002.tif"),
            picture(image::ImageFormat::Tiff),
        )
        .unwrap();
        dir
    }

    fn import(&self, dir: &Path) -> Value {
        let out = self.owed(&["lockbox", "import", dir.to_str().unwrap(), "--json"]);
        succeeded(&out);
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn query(&self, sql: &str) -> Vec<Vec<String>> {
        let conn = Connection::open(self.db()).unwrap();
        let mut stmt = conn.prepare(sql).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        let mut out = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            out.push(
                (0..n)
                    .map(|i| match r.get::<_, rusqlite::types::Value>(i).unwrap() {
                        rusqlite::types::Value::Null => "NULL".to_string(),
                        rusqlite::types::Value::Integer(v) => v.to_string(),
                        rusqlite::types::Value::Real(v) => v.to_string(),
                        rusqlite::types::Value::Text(v) => v,
                        rusqlite::types::Value::Blob(v) => format!("{} bytes", v.len()),
                    })
                    .collect(),
            );
        }
        out
    }

    /// Every row of every table a lockbox import can write.
    fn fingerprint(&self) -> String {
        let mut out = String::new();
        for table in [
            "payments",
            "applications",
            "documents",
            "issues",
            "issue_documents",
            "blobs",
            "attachments",
            "attachment_documents",
        ] {
            out.push_str(&format!(
                "{table}: {:?}\n",
                self.query(&format!("SELECT * FROM {table}"))
            ));
        }
        out
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A small cheque-like picture in `format` (its bytes differ by format).
fn picture(format: image::ImageFormat) -> Vec<u8> {
    let img = image::GrayImage::from_fn(60, 24, |x, y| {
        image::Luma([if (x + y) % 7 == 0 { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn units(v: &str) -> String {
    // Amounts are stored in ten-thousandths.
    let d: rust_decimal::Decimal = v.parse().unwrap();
    (d * rust_decimal::Decimal::from(10_000))
        .normalize()
        .to_string()
}

#[test]
fn a_lockbox_file_gives_exactly_the_payments_applications_deduction_and_unapplied_by_hand() {
    let fx = Fx::new();
    let dir = fx.lockbox("lockbox", LOCKBOX);
    let summary = fx.import(&dir);
    assert_eq!(summary["items"], 4);
    assert_eq!(summary["payments"], 4);
    assert_eq!(summary["unchanged"], 0);
    assert_eq!(summary["applications"], 5);
    assert_eq!(summary["images"], 2);

    // Four successful cheque payments, with their cheque numbers.
    assert_eq!(
        fx.query(
            "SELECT p.id, c.id, p.amount, p.status, p.method, p.reference, p.applied, p.unapplied
               FROM payments p JOIN customers c ON c.cid = p.cid ORDER BY p.id"
        ),
        [
            [
                "LBX-1001",
                "K1",
                &units("1000"),
                "success",
                "cheque",
                "5001",
                &units("1000"),
                "0"
            ],
            [
                "LBX-1002",
                "K2",
                &units("1000"),
                "success",
                "cheque",
                "5002",
                &units("1000"),
                "0"
            ],
            [
                "LBX-1003",
                "K1",
                &units("650"),
                "success",
                "cheque",
                "5003",
                &units("650"),
                "0"
            ],
            [
                "LBX-1004",
                "K3",
                &units("123.45"),
                "success",
                "cheque",
                "5004",
                "0",
                &units("123.45")
            ],
        ]
    );
    // Named invoice; the run of K2's oldest; I2 before I3 (oldest first) with 150 of I3's 300;
    // each on the cheque's date.
    assert_eq!(
        fx.query(
            "SELECT p.id, d.id, a.amount, a.date = p.date FROM applications a
               JOIN payments p ON p.pid = a.source_pid JOIN documents d ON d.did = a.did
              ORDER BY p.id, d.id"
        ),
        [
            ["LBX-1001", "I1", &units("1000"), "1"],
            ["LBX-1002", "J1", &units("800"), "1"],
            ["LBX-1002", "J2", &units("200"), "1"],
            ["LBX-1003", "I2", &units("500"), "1"],
            ["LBX-1003", "I3", &units("150"), "1"],
        ]
    );
    assert_eq!(
        fx.query("SELECT id, balance FROM documents ORDER BY id"),
        [
            ["I1", "0"],
            ["I2", "0"],
            ["I3", &units("150")],
            ["J1", "0"],
            ["J2", "0"],
            ["M1", &units("400")],
        ]
    );
    // The deduction: 800 owed on INV-3 and I2, 650 paid: 150 short, on I3 (left open).
    assert_eq!(
        fx.query(
            "SELECT c.id, i.reason, i.amount, i.collector FROM issues i
               JOIN customers c ON c.cid = i.cid"
        ),
        [["K1", "short_payment", &units("150"), "alice"]]
    );
    assert_eq!(
        fx.query("SELECT d.id FROM issue_documents l JOIN documents d ON d.did = l.did"),
        [["I3"]]
    );
    let deductions = summary["deductions"].as_array().unwrap();
    assert_eq!(deductions.len(), 1);
    assert_eq!(deductions[0]["payment"], "LBX-1003");
    assert_eq!(deductions[0]["amount"], "150.00");
    assert_eq!(deductions[0]["documents"], serde_json::json!(["I3"]));
    // Unapplied: only 1004, all of it.
    let unmatched = summary["unmatched"].as_array().unwrap();
    assert_eq!(unmatched.len(), 1, "{unmatched:?}");
    assert_eq!(unmatched[0]["payment"], "LBX-1004");
    assert_eq!(unmatched[0]["customer_id"], "K3");
    assert_eq!(unmatched[0]["unapplied"], "123.45");

    // The metrics: unapplied cash and the deduction beside the open issues.
    let metrics = json_of(&fx.owed(&["report", "metrics", "--json"]));
    assert_eq!(metrics["unapplied_cash"], "123.45");
    assert_eq!(metrics["open_issue_amount"], "150.00");
    assert_eq!(metrics["open_deduction_amount"], "150.00");

    // The cheque image is the payment's, and the document it paid shows it.
    let store = Store::open_existing(&fx.db()).unwrap();
    let did = |id: &str| -> i64 {
        fx.query(&format!("SELECT did FROM documents WHERE id = '{id}'"))[0][0]
            .parse()
            .unwrap()
    };
    let on_i1 = store.activity().document_attachments(did("I1")).unwrap();
    assert_eq!(on_i1.len(), 1);
    assert_eq!(on_i1[0].name, "cheque-1001.png");
    assert_eq!(on_i1[0].payment.as_deref(), Some("LBX-1001"));
    let on_j2 = store.activity().document_attachments(did("J2")).unwrap();
    assert_eq!(on_j2[0].name, "cheque-1002.tif");
    assert!(
        store
            .activity()
            .document_attachments(did("M1"))
            .unwrap()
            .is_empty()
    );
    let bytes = store
        .activity()
        .attachment_bytes(on_j2[0].id)
        .unwrap()
        .unwrap();
    assert_eq!(bytes, picture(image::ImageFormat::Tiff));
    // And the customer's activity lists it (as of today: it was filed today).
    let today = chrono::Local::now().date_naive().to_string();
    let activity = json_of(&fx.owed_on(&today, &["activity", "K2", "--json"]));
    let entry = first_entry(&activity, "attachment");
    assert_eq!(entry["name"], "cheque-1002.tif");
    assert_eq!(entry["payment"], "LBX-1002");
    assert_eq!(entry["bytes"], bytes.len());
}

/// The lockbox's output and the customer's activity named a deduction's document by its id
/// (`on I3`), where the README promises its number (`INV-3`) — the id only when it has none.
/// The JSON keeps the ids, the numbers beside them.
#[test]
fn the_lockbox_and_the_activity_name_documents_by_their_numbers() {
    let fx = Fx::new();
    let dir = fx.lockbox("lockbox", LOCKBOX);
    let out = fx.owed(&["lockbox", "import", dir.to_str().unwrap()]);
    succeeded(&out);
    let said = text(&out.stdout);
    let line = said
        .lines()
        .find(|l| l.starts_with("  issue 1 "))
        .unwrap_or_else(|| panic!("no deduction in {said}"));
    assert!(line.ends_with("  on INV-3"), "{said}");
    // A document without a number, promised and attached to: named by its id.
    let csv = fx.dir.path().join("unnumbered");
    std::fs::create_dir(&csv).unwrap();
    std::fs::write(
        csv.join("documents.csv"),
        "id,customer_id,type,doc_date,due_date,amount\nM2,K3,invoice,2026-03-01,2026-03-31,50.00\n",
    )
    .unwrap();
    succeeded(&fx.owed(&["import", csv.to_str().unwrap()]));
    succeeded(&fx.owed(&[
        "promise",
        "K3",
        "--amount",
        "100",
        "--date",
        "+7d",
        "--document",
        "M1",
        "--document",
        "M2",
    ]));
    succeeded(&fx.owed(&[
        "attach",
        "K3",
        dir.join("cheque-1001.png").to_str().unwrap(),
        "--document",
        "INV-9",
    ]));

    let activity = text(&fx.owed(&["activity", "K1"]).stdout);
    assert!(
        activity.contains("issue 1: short_payment, 150.00 USD on INV-3 — open"),
        "{activity}"
    );
    let activity = text(&fx.owed(&["activity", "K3"]).stdout);
    assert!(
        activity.contains("promise 1: 100.00 USD by 2026-04-22 for INV-9, M2 — open"),
        "{activity}"
    );
    let today = chrono::Local::now().date_naive().to_string();
    let activity = text(&fx.owed_on(&today, &["activity", "K3"]).stdout);
    assert!(
        activity.contains("cheque-1001.png (") && activity.contains(") on INV-9\n"),
        "{activity}"
    );

    let json = json_of(&fx.owed(&["activity", "K1", "--json"]));
    let issue = first_entry(&json, "issue");
    assert_eq!(issue["documents"], serde_json::json!(["I3"]));
    assert_eq!(issue["document_numbers"], serde_json::json!(["INV-3"]));
    let json = json_of(&fx.owed_on(&today, &["activity", "K3", "--json"]));
    let promise = first_entry(&json, "promise");
    assert_eq!(promise["documents"], serde_json::json!(["M1", "M2"]));
    assert_eq!(
        promise["document_numbers"],
        serde_json::json!(["INV-9", null])
    );
    let attachment = first_entry(&json, "attachment");
    assert_eq!(attachment["documents"], serde_json::json!(["M1"]));
    assert_eq!(attachment["document_numbers"], serde_json::json!(["INV-9"]));

    // The lockbox's JSON: the ids, and the numbers beside them.
    let other = Fx::new();
    let summary = other.import(&other.lockbox("lockbox", LOCKBOX));
    assert_eq!(
        summary["deductions"][0]["documents"],
        serde_json::json!(["I3"])
    );
    assert_eq!(
        summary["deductions"][0]["document_numbers"],
        serde_json::json!(["INV-3"])
    );
}

#[test]
fn importing_the_same_lockbox_again_changes_nothing() {
    let fx = Fx::new();
    let dir = fx.lockbox("lockbox", LOCKBOX);
    fx.import(&dir);
    let before = fx.fingerprint();
    let again = fx.import(&dir);
    assert_eq!(fx.fingerprint(), before);
    assert_eq!(again["payments"], 0);
    assert_eq!(again["unchanged"], 4);
    assert_eq!(again["applications"], 0);
    assert_eq!(again["deductions"], serde_json::json!([]));
    // What stays unapplied is still listed.
    assert_eq!(again["unmatched"][0]["payment"], "LBX-1004");

    // An item that comes back changed is refused, naming its line.
    let changed = LOCKBOX.replace("123.45", "123.50");
    let dir = fx.lockbox("changed", &changed);
    let out = fx.owed(&["lockbox", "import", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("lockbox.csv line 5, column item_id: item `1004` was imported before"),
        "{err}"
    );
    assert_eq!(fx.fingerprint(), before);
}

#[test]
fn bad_rows_name_the_file_line_and_column_and_write_nothing() {
    let fx = Fx::new();
    let before = fx.fingerprint();
    let cases: &[(&str, &str, &str)] = &[
        (
            "1004,2026-04-15,123.45,",
            "1004,2026-04-15,12x,",
            "line 5, column amount",
        ),
        (
            "1003,2026-04-15,650.00,USD,K1",
            "1003,2026-04-15,650.00,USD,K9",
            "line 4, column payer: no customer has the id or name `K9`",
        ),
        // More decimals than the currency has: kept, it would be shown rounded.
        (
            "1004,2026-04-15,123.45,",
            "1004,2026-04-15,123.455,",
            "line 5, column amount: the amount 123.455 has more decimals than USD has (2)",
        ),
        (
            "1004,2026-04-15,123.45,USD",
            "1004,2026-04-15,500.5,JPY",
            "line 5, column amount: the amount 500.5 has more decimals than JPY has (none)",
        ),
        // Taken alone, but too large once converted (the workstation showed a wrapped,
        // negative unapplied cash).
        (
            "1004,2026-04-15,123.45,USD",
            "1004,2026-04-15,100000000000.000,KWD",
            "line 5, column amount: the amount 100000000000 KWD is too large once converted \
             to USD at 1000000 USD per KWD",
        ),
        // Each cheque fits, but the ledger's documents and payments with them did not, as
        // `owed import` refuses: named at the row that crosses it, with the limit.
        (
            "1004,2026-04-15,123.45,",
            "1004,2026-04-15,922337203680000.00,",
            "lockbox.csv line 5, column amount: with payment `LBX-1004` of 922337203680000.00 \
             USD the ledger's documents and payments add up to more than \
             922,337,203,685,477.58 USD, the most owed can count",
        ),
        ("1004,2026-04-15", "1004,2026-04-31", "line 5, column date"),
        (
            "cheque-1002.tif",
            "../owed.db",
            "line 3, column image: `../owed.db` is not a file name",
        ),
        (
            "cheque-1002.tif",
            "missing.png",
            "line 3, column image: cannot read `missing.png`",
        ),
        (
            "1003,2026-04-15,650.00,USD",
            "1003,2026-04-15,650.00,CHF",
            "line 4, column currency: no exchange rate for CHF",
        ),
        (
            "1004,2026-04-15",
            "1001,2026-04-15",
            "line 5, column item_id: the item `1001` is also on line 2",
        ),
        (
            "item_id,",
            "item,",
            "lockbox.csv line 1, column 1: unknown column `item`",
        ),
    ];
    for (i, (from, to, expected)) in cases.iter().enumerate() {
        // As the bank sent it, and as a file saved on Windows (CR LF): the same line.
        for (ending, file) in [
            ("lf", LOCKBOX.replace(from, to)),
            ("crlf", LOCKBOX.replace(from, to).replace('\n', "\r\n")),
        ] {
            let dir = fx.lockbox(&format!("bad{i}-{ending}"), &file);
            let out = fx.owed(&["lockbox", "import", dir.to_str().unwrap()]);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{to} ({ending}): {err}");
            assert!(err.contains(expected), "{to} ({ending}): {err}");
            assert_eq!(err.trim().lines().count(), 1, "{err}");
            assert_eq!(fx.fingerprint(), before, "{to}");
        }
    }
    // An image that is a pipe (opening it would make the import wait for a writer) is
    // refused before it is opened; one that is a symbolic link is not followed, wherever it
    // points (else a link to any file the user may read is stored as a cheque image).
    #[cfg(unix)]
    {
        let secret = fx.dir.path().join("secret.txt");
        std::fs::write(&secret, "not a cheque").unwrap();
        let link = "is a symbolic link (links are not followed)";
        for (name, expected) in [
            ("pipe", "is not a plain file (a pipe, a socket or a device)"),
            ("link-out", link),
            ("link-in", link),
        ] {
            let dir = fx.lockbox(name, &LOCKBOX.replace("cheque-1002.tif", "odd.tif"));
            let odd = dir.join("odd.tif");
            match name {
                "pipe" => {
                    let c = std::ffi::CString::new(odd.to_str().unwrap()).unwrap();
                    // SAFETY: a valid NUL-terminated path.
                    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
                }
                "link-out" => std::os::unix::fs::symlink(&secret, &odd).unwrap(),
                _ => std::os::unix::fs::symlink(dir.join("cheque-1001.png"), &odd).unwrap(),
            }
            let out = fx.owed(&["lockbox", "import", dir.to_str().unwrap()]);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name}: {err}");
            assert!(
                err.contains(&format!(
                    "lockbox.csv line 3, column image: `odd.tif` {expected}"
                )),
                "{name}: {err}"
            );
            assert_eq!(err.trim().lines().count(), 1, "{err}");
            assert_eq!(fx.fingerprint(), before, "{name}");
        }
    }
    // An image just over max_attachment_mb: the sentence says by how much, in bytes.
    let config = fx.dir.path().join("config.toml");
    std::fs::write(&config, "max_attachment_mb = 1\n").unwrap();
    let dir = fx.lockbox("big", LOCKBOX);
    std::fs::write(dir.join("cheque-1002.tif"), vec![0u8; 1024 * 1024 + 1]).unwrap();
    let out = fx.owed(&["lockbox", "import", dir.to_str().unwrap()]);
    std::fs::write(&config, "").unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "lockbox.csv line 3, column image: `cheque-1002.tif` is 1,048,577 bytes, more than \
             the 1,048,576 bytes (1 MiB) that max_attachment_mb = 1 allows"
        ),
        "{err}"
    );
    assert_eq!(fx.fingerprint(), before);
    // No folder, or no lockbox.csv in it.
    let out = fx.owed(&[
        "lockbox",
        "import",
        fx.dir.path().join("nowhere").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is not a folder"),
        "{}",
        text(&out.stderr)
    );
    let empty = fx.dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = fx.owed(&["lockbox", "import", empty.to_str().unwrap()]);
    assert!(
        text(&out.stderr).contains("holds no lockbox.csv"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(fx.fingerprint(), before);
}

/// Tokyo Trading (K4) owes 5,000.00 on INV-400 and sends 4,600.00 for it by lockbox on
/// 2026-04-16, imported by dana: 400.00 short, one deduction opened.
fn tokyo_pays_400_short(dir: &Path, db: &Path) {
    let lockbox = dir.join("lockbox");
    std::fs::create_dir(&lockbox).unwrap();
    std::fs::write(
        lockbox.join("lockbox.csv"),
        "item_id,date,amount,currency,payer,check_number,invoices,image\n\
         77,2026-04-16,4600.00,USD,K4,9001,INV-400,\n",
    )
    .unwrap();
    let mut store = Store::open_existing(db).unwrap();
    let summary = owed::import::lockbox::import_lockbox(
        &mut store,
        &lockbox,
        &stamp("dana", Role::Manager),
        &owed::import::lockbox::LockboxOptions {
            base_currency: "USD".into(),
            max_attachment_mb: 25,
            logged_as: None,
        },
    )
    .unwrap();
    assert_eq!(summary.deductions.len(), 1, "{summary:?}");
}

fn stamp(name: &str, role: Role) -> Stamp {
    Stamp {
        collector: name.into(),
        role,
        verified: false,
        at: "2026-04-16T09:00:00Z".into(),
        today: owed::domain::date::parse_iso("2026-04-16").unwrap(),
    }
}

#[test]
fn deductions_resolve_with_an_outcome_and_writing_off_is_a_managers() {
    let fx = Fx::new();
    fx.import(&fx.lockbox("lockbox", LOCKBOX));
    let issue = fx.query("SELECT id FROM issues")[0][0].clone();
    let mut store = Store::open_existing(&fx.db()).unwrap();

    // alice owns K1 as a collector: she may resolve it, but not write it off.
    let alice = stamp("alice", Role::Collector);
    let e = owed::actions::resolve_with(&mut store, &alice, &issue, Some("written_off"), None)
        .unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("only a manager may"), "{e}");
    let e =
        owed::actions::resolve_with(&mut store, &alice, &issue, Some("maybe"), None).unwrap_err();
    assert!(e.to_string().contains("unknown outcome `maybe`"), "{e}");
    assert_eq!(fx.query("SELECT count(*) FROM issue_events"), [["0"]]);
    // A lockbox file is a manager's too: it writes on every collector's customers.
    let e = owed::import::lockbox::import_lockbox(
        &mut store,
        &fx.dir.path().join("lockbox"),
        &alice,
        &owed::import::lockbox::LockboxOptions {
            base_currency: "USD".into(),
            max_attachment_mb: 25,
            logged_as: None,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("import lockbox files"), "{e}");
    drop(store);

    // The local user is a manager: written off, through the command line.
    let out = fx.owed(&[
        "resolve",
        &issue,
        "--outcome",
        "written_off",
        "small",
        "gap",
    ]);
    succeeded(&out);
    assert!(
        text(&out.stdout).contains("resolved (written off)"),
        "{}",
        text(&out.stdout)
    );
    let activity = json_of(&fx.owed(&["activity", "K1", "--json"]));
    let deduction = first_entry(&activity, "issue");
    assert_eq!(deduction["reason"], "short_payment");
    assert_eq!(deduction["state"], "resolved");
    assert_eq!(deduction["outcome"], "written_off");
    assert_eq!(deduction["events"][0]["outcome"], "written_off");
    assert_eq!(deduction["resolution"], "small gap");
    // Resolved: no open deduction in the metrics any more.
    let metrics = json_of(&fx.owed(&["report", "metrics", "--json"]));
    assert_eq!(metrics["open_deduction_amount"], "0.00");
}

mod workstation;

#[test]
fn the_metrics_bar_shows_open_deductions_beside_open_issues() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    tokyo_pays_400_short(dir.path(), &db);
    let mut d = workstation::Driver::new(&db, "alice", (120, 40));
    let screen = d.screen();
    // Right after the open issues (the bar flows onto a second row here).
    let bar: String = screen.lines().take(4).collect::<Vec<_>>().join(" ");
    let issues = bar.find("Open issues 1,200").expect(&screen);
    let deductions = bar.find("Open deductions 400").expect(&screen);
    let promises = bar.find("Open promises").expect(&screen);
    assert!(issues < deductions && deductions < promises, "{bar}");
    // Resolved from the workstation's form: the bar follows at once.
    d.press("/ tokyo <Enter> I");
    assert!(d.screen().contains("short_payment"), "{}", d.screen());
    d.press("<Enter>");
    // The bar counts the customers the queue shows: Tokyo's issues are all resolved now.
    d.assert_shows(&["Open issues 0"], &["Open deductions"]);
    // Everyone's again: the other customers' issues remain.
    d.press(": nofilter <Enter>");
    d.assert_shows(&["Open issues 800"], &["Open deductions"]);
}

/// The queue's last contact (`Seen`) is a collector's action, a reminder sent or a reply: a
/// deduction the lockbox import opened is a run's bookkeeping, and leaves it as it was (it
/// made a customer nobody had been in touch with for weeks look seen the day of the cheque).
#[test]
fn a_deduction_the_lockbox_opened_is_not_contact_in_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let seen = |db: &Path| {
        let d = workstation::Driver::new(db, "dana", (120, 40));
        d.app
            .page
            .rows
            .iter()
            .find(|r| r.id == "K4")
            .map(|r| r.last_contact)
            .expect("Tokyo Trading in dana's queue")
    };
    let before = seen(&db);
    tokyo_pays_400_short(dir.path(), &db);
    assert!(
        before < owed::domain::date::parse_iso("2026-04-16"),
        "{before:?}"
    );
    assert_eq!(seen(&db), before);
    // A dispute a collector opens by hand is contact, as before.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_owed"))
        .arg("--db")
        .arg(&db)
        .args(["--as-of", "2026-04-30", "--as", "dana"])
        .args(["dispute", "K4", "--reason", "pricing", "--amount", "10"])
        .env_remove("OWED_DB")
        .env_remove("OWED_CONFIG")
        .output()
        .unwrap();
    succeeded(&out);
    assert_eq!(seen(&db), owed::domain::date::parse_iso("2026-04-30"));
}

use common::{ALICE_KEY, DANA_KEY};

/// The workstation's resolve form takes the outcome through the same write as `owed resolve
/// --outcome`: a collector's `written_off` is refused with the command line's sentence and
/// writes nothing, `invalid` is hers to choose, and a manager writes the deduction off.
#[test]
fn the_resolve_form_saves_an_outcome_and_writing_off_stays_a_managers() {
    let fx = Fx::new();
    fx.import(&fx.lockbox("lockbox", LOCKBOX));
    let issue = fx.query("SELECT id FROM issues")[0][0].clone();
    // dana manages, alice (K1's finance owner) collects.
    for (name, key, role) in [
        ("dana", DANA_KEY, "manager"),
        ("alice", ALICE_KEY, "collector"),
    ] {
        let out = fx.owed(&["user", "add", name, "--key", key, "--role", role]);
        succeeded(&out);
    }
    // What the command line says to alice's write-off.
    let out = fx.owed(&["resolve", &issue, "--outcome", "written_off"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    let sentence = stderr.trim().strip_prefix("owed: ").expect(&stderr);
    assert!(sentence.contains("only a manager may"), "{sentence}");

    // The same from alice's workstation: Tab cycles the outcomes.
    let mut d =
        workstation::Driver::with_role(&fx.db(), "alice", Role::Collector, (120, 40), "default");
    d.press("/ kite <Enter> I");
    let field = |d: &workstation::Driver| {
        let form = d.app.form.as_ref().expect("the resolve form is open");
        let f = form.field(FieldId::Outcome).expect("an outcome field");
        (f.value().to_string(), f.refused.clone())
    };
    assert_eq!(field(&d).0, "", "no outcome unless one is chosen");
    let screen = d.screen();
    assert!(screen.contains("short_payment"), "{screen}");
    assert!(
        screen.contains("optional; Tab: valid, invalid, written_off (a manager's)"),
        "{screen}"
    );
    d.press("<Down> <Tab>");
    assert_eq!(field(&d).0, "valid");
    d.press("<Tab>");
    assert_eq!(field(&d).0, "invalid");
    d.press("<Tab>");
    assert_eq!(field(&d).0, "written_off");
    assert!(
        d.screen()
            .contains("the amount is written off (a manager's decision)"),
        "{}",
        d.screen()
    );
    d.press("<Enter>");
    let form = d.app.form.as_ref().expect("a refused form stays open");
    assert_eq!(
        form.message.as_ref().map(|m| m.text.as_str()),
        Some(format!("Not saved: {sentence}").as_str())
    );
    assert_eq!(field(&d).1.as_deref(), Some(sentence), "under the outcome");
    // Wrapped under the field, the sentence reads whole (it was cut at the popup's width).
    let screen = d.screen();
    let first = sentence.split(':').next().unwrap();
    let words: Vec<&str> = first.split(' ').take(3).collect();
    assert!(screen.contains(&words.join(" ")), "{screen}");
    assert!(screen.contains("│              manager may "), "{screen}");
    assert_eq!(fx.query("SELECT count(*) FROM issue_events"), [["0"]]);

    // An unknown outcome is refused as it is typed, before any save.
    d.press("<C-u> maybe <Enter>");
    let form = d.app.form.as_ref().expect("still open");
    assert!(
        form.message
            .as_ref()
            .is_some_and(|m| m.text
                == "Not saved: unknown outcome `maybe`: use valid, invalid or written_off"),
        "{:?}",
        form.message
    );
    // invalid: the customer is chased for the gap; hers to decide.
    d.press("<C-u> <S-Tab> <S-Tab> <Down> Customer <Space> took <Space> the <Space> early <Space> discount <Space> late <Enter>");
    assert!(d.app.form.is_none(), "{}", d.screen());
    let status = d.app.status.as_ref().map(|s| s.text.clone()).unwrap();
    assert_eq!(
        status,
        format!("saved (back-dated to 2026-04-30): Issue {issue} resolved (invalid).")
    );
    assert_eq!(
        fx.query("SELECT collector, kind, outcome, text FROM issue_events"),
        [[
            "alice",
            "resolve",
            "invalid",
            "Customer took the early discount late"
        ]]
    );
    // The detail's timeline names the outcome.
    d.press("<Enter>");
    assert!(
        d.screen()
            .contains("#1 short_payment, invalid — Customer took"),
        "{}",
        d.screen()
    );

    // alice reopens it from the timeline (its newest entry, the resolution); dana, a
    // manager, writes it off from her workstation.
    d.press("<Tab> o Disputed <Space> again <Enter>");
    let status = d.app.status.as_ref().map(|s| s.text.clone()).unwrap();
    assert_eq!(
        status,
        format!("saved (back-dated to 2026-04-30): Issue {issue} reopened.")
    );
    let mut d =
        workstation::Driver::with_role(&fx.db(), "dana", Role::Manager, (120, 40), "default");
    // Kite is alice's: dana finds it among everyone's.
    d.press("m / kite <Enter>");
    d.press("I <Down> w <Tab> <Enter>");
    assert!(d.app.form.is_none(), "{}", d.screen());
    let status = d.app.status.as_ref().map(|s| s.text.clone()).unwrap();
    assert_eq!(
        status,
        format!("saved (back-dated to 2026-04-30): Issue {issue} resolved (written off).")
    );
    // As of the workstation's day, where the three events are.
    let activity = json_of(&fx.owed_on(workstation::AS_OF, &["activity", "K1", "--json"]));
    let deduction = first_entry(&activity, "issue");
    assert_eq!(deduction["state"], "resolved", "{deduction}");
    assert_eq!(deduction["outcome"], "written_off", "{deduction}");
    let outcomes: Vec<&Value> = deduction["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["outcome"])
        .collect();
    assert!(outcomes.contains(&&Value::from("invalid")), "{deduction}");
    assert!(
        outcomes.contains(&&Value::from("written_off")),
        "{deduction}"
    );
    // Undoing the write-off is a manager's too: alice reopening it could then resolve it her
    // own way.
    let out = fx.owed(&["reopen", &issue, "undo the write-off"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("may not reopen an issue written off on K1: only a manager may"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(fx.query("SELECT count(*) FROM issue_events"), [["3"]]);
}

/// A cheque naming an invoice it can pay and another it cannot (a typo, another customer's)
/// says which it could not use: they were dropped without a word once one named invoice was
/// found. 2001 pays INV-3 (300) with 350 and names INV-999, which does not exist: 50
/// unapplied, said with INV-999. 2002 pays 50 of INV-2 (500: a deduction of 450) and names
/// INV-9, K3's.
#[test]
fn a_named_invoice_the_cheque_cannot_pay_is_said() {
    let fx = Fx::new();
    let dir = fx.items(
        "typo",
        "2001,2026-04-15,350.00,USD,K1,1,INV-3;INV-999,\n\
         2002,2026-04-15,50.00,USD,K1,2,INV-2;INV-9,\n",
    );
    let summary = fx.import(&dir);
    let unmatched = summary["unmatched"].as_array().unwrap();
    assert_eq!(unmatched.len(), 1, "{summary}");
    assert_eq!(
        unmatched[0]["reason"],
        "50.00 more than the invoices it names still owe; `INV-999` named no open invoice of \
         the payer in USD"
    );
    assert_eq!(
        summary["not_found"],
        serde_json::json!([not_found("2001", "INV-999"), not_found("2002", "INV-9")])
    );
    assert_eq!(summary["deductions"].as_array().unwrap().len(), 1);
}

/// An entry of `not_found`: K1's USD item `item`, whose `reference` named no open invoice.
fn not_found(item: &str, reference: &str) -> serde_json::Value {
    serde_json::json!({"item_id": item, "payment": format!("LBX-{item}"), "customer_id": "K1",
                       "currency": "USD", "references": [reference]})
}

/// A reference that names no open invoice of the payer is listed under `not_found` whatever
/// took the money, not only when another named invoice did: 3001 names INV-8 (none such) and
/// its 1000.00 is matched by amount to INV-1; 3002 names INV-9 (K3's) and matches nothing.
/// Both were in neither list before (3002 only in its unapplied reason). 3003 pays INV-3 and
/// names INV-1 too, which 3001 has just paid: a second payment of it to follow up, listed as
/// well (it was said nowhere).
#[test]
fn a_named_reference_that_is_no_open_invoice_is_listed_whatever_took_the_money() {
    let fx = Fx::new();
    let dir = fx.items(
        "fallback",
        "3001,2026-04-15,1000.00,USD,K1,1,INV-8,\n\
         3002,2026-04-15,77.00,USD,K1,2,INV-9,\n\
         3003,2026-04-15,300.00,USD,K1,3,INV-1;INV-3,\n",
    );
    let summary = fx.import(&dir);
    assert_eq!(summary["applications"], 2, "{summary}");
    assert_eq!(
        summary["not_found"],
        serde_json::json!([
            not_found("3001", "INV-8"),
            not_found("3002", "INV-9"),
            not_found("3003", "INV-1")
        ])
    );
    // The text says so too, on a fresh database.
    let fx = Fx::new();
    let dir = fx.items("fallback", "3001,2026-04-15,1000.00,USD,K1,1,INV-8,\n");
    let out = fx.owed(&["lockbox", "import", dir.to_str().unwrap()]);
    succeeded(&out);
    let shown = text(&out.stdout);
    assert!(
        shown.contains(
            "Named, but no open invoice of the payer:\n  LBX-3001     K1         `INV-8` (in USD)"
        ),
        "{shown}"
    );
}

/// A lockbox run that committed is in the log of imports (`owed report imports`), with its
/// file and what it did; it was not listed at all. It does not say how fresh the ledger is:
/// a bank's cheques refresh no invoice, so the last billing import still does.
#[test]
fn a_lockbox_run_is_in_the_log_of_imports() {
    let fx = Fx::new();
    let dir = fx.lockbox("box", LOCKBOX);
    fx.import(&dir);
    let out = fx.owed(&["report", "imports", "--json"]);
    succeeded(&out);
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0]["kind"], "lockbox");
    common::assert_logged(
        &runs[0],
        "alice",
        &dir.join("lockbox.csv"),
        "lockbox.csv 4 items: 4 cheque payments written, 0 unchanged; 5 applications; 2 images \
         attached; 1 deductions opened; 1 items with money unapplied",
    );
    assert_eq!(runs[1]["kind"], "billing");
    // The table for people lists it too.
    let table = text(&fx.owed(&["report", "imports"]).stdout);
    assert!(table.contains("lockbox.csv 4 items"), "{table}");
    // The ledger is as fresh as its last billing import.
    let store = Store::open_existing(&fx.db()).unwrap();
    let last = store.ledger().last_import().unwrap().unwrap();
    assert_eq!(last.kind, owed::store::ledger::import::ImportKind::Billing);
    // A run that stopped at a bad row is not logged.
    let bad = fx.items("bad", "9001,2026-04-15,1.00,USD,NOBODY,1,,\n");
    let out = fx.owed(&["lockbox", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let out = fx.owed(&["report", "imports", "--json"]);
    let runs: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 2, "{runs}");
}

/// A cheque the bank bounces after the lockbox applied it short: the billing system's next
/// export says its payment `LBX-…` was voided. Its applications were taken away, but the
/// deduction it opened stayed open: the invoice stayed out of dunning, the metrics counted
/// the gap, and nothing said why. The import now withdraws it — resolved by the import, as
/// of the day it was opened, its text saying why — and says so in its line and in the log of
/// imports. The deduction of a database from before the link (migration 26) is found by its
/// text.
#[test]
fn a_voided_cheque_withdraws_the_deduction_it_opened() {
    let fx = Fx::new();
    // 500 of RE-1's 800: a deduction of 300 on J1.
    let summary = fx.import(&fx.items("short", "1001,2026-04-15,500.00,USD,K2,C1001,RE-1,\n"));
    assert_eq!(summary["deductions"][0]["issue"], 1, "{summary}");
    let metrics = json_of(&fx.owed(&["report", "metrics", "--json"]));
    assert_eq!(metrics["open_deduction_amount"], "300.00");
    // As a database of schema 25 holds it: the deduction named its payment in its text alone.
    let conn = Connection::open(fx.db()).unwrap();
    conn.execute_batch("DELETE FROM deduction_payments; PRAGMA user_version = 25;")
        .unwrap();
    drop(conn);

    let bounced = common::folder_of(
        fx.dir.path(),
        "bounced",
        &[(
            "payments.csv",
            "id,customer_id,date,amount,status,method\nLBX-1001,K2,2026-04-15,500.00,voided,cheque\n",
        )],
    );
    let out = fx.owed(&["import", bounced.to_str().unwrap()]);
    succeeded(&out);
    let said = text(&out.stdout);
    assert!(
        said.contains(
            "1 application of payments no longer successful taken away; 1 deduction withdrawn, \
             its payment no longer successful: issue 1 of LBX-1001 (voided)"
        ),
        "{said}"
    );
    assert_eq!(said.trim().lines().count(), 1, "{said}");

    // No open deduction, as of any day since the cheque.
    for day in ["2026-04-15", "2026-04-30"] {
        let metrics = json_of(&fx.owed_on(day, &["report", "metrics", "--json"]));
        assert_eq!(metrics["open_deduction_amount"], "0.00", "{day}");
        assert_eq!(metrics["open_issue_amount"], "0.00", "{day}");
    }
    // Resolved by the import, saying why, in the customer's activity.
    let activity = json_of(&fx.owed(&["activity", "K2", "--json"]));
    let deduction = first_entry(&activity, "issue");
    assert_eq!(deduction["state"], "resolved", "{deduction}");
    assert_eq!(deduction["outcome"], Value::Null);
    assert_eq!(
        deduction["resolution"],
        "Withdrawn by an import: the billing system's export gives payment LBX-1001 the status \
         voided, so its cheque paid nothing and no short payment stands."
    );
    assert_eq!(deduction["events"][0]["collector"], "alice");
    assert_eq!(deduction["events"][0]["date"], "2026-04-15");
    // The ERP's list says so too.
    let export = text(&fx.owed(&["export", "deductions", "-o", "-"]).stdout);
    let row = export.lines().nth(1).unwrap();
    assert!(
        row.contains(",resolved,2026-04-15,alice,,\"Withdrawn by an import"),
        "{row}"
    );
    // And the log of imports.
    let runs = json_of(&fx.owed(&["report", "imports", "--json"]));
    assert!(
        runs[0]["summary"].as_str().unwrap().ends_with(
            "1 deduction withdrawn, its payment no longer successful: issue 1 of LBX-1001 (voided)"
        ),
        "{runs}"
    );
    // The same export again withdraws nothing more.
    let out = fx.owed(&["import", bounced.to_str().unwrap()]);
    succeeded(&out);
    assert!(
        !text(&out.stdout).contains("withdrawn"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(fx.query("SELECT count(*) FROM issue_events"), [["1"]]);
}

/// A billing export that books a cheque the lockbox already applied settles the invoice
/// twice: refused, as any application beyond its document is, but the message hid why (the
/// stored part was the bank's payment). It now says which part is the lockbox's and how to
/// reconcile: void `LBX-…` first with a payments.csv of its own. Done so, the billing
/// export goes in, and the deduction the cheque opened is withdrawn with it.
#[test]
fn a_billing_export_booking_a_lockbox_cheque_again_says_how_to_reconcile() {
    let fx = Fx::new();
    fx.import(&fx.items("short", "1001,2026-04-15,500.00,USD,K2,C1001,RE-1,\n"));
    let billing = common::folder_of(
        fx.dir.path(),
        "billing",
        &[(
            "payments.csv",
            "id,customer_id,date,amount,method,reference\nP9,K2,2026-04-16,500.00,cheque,C1001\n",
        )],
    );
    std::fs::write(
        billing.join("applications.csv"),
        "source_id,document_id,amount,date\nP9,J1,500.00,2026-04-16\n",
    )
    .unwrap();
    let before = fx.fingerprint();
    let out = fx.owed(&["import", billing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert_eq!(
        text(&out.stderr).trim(),
        "owed: applications.csv line 2, column amount: applications to `RE-1` (id `J1`) total \
         1000.00 USD, more than its amount 800.00 USD, of which 500.00 USD from lockbox payment \
         `LBX-1001`: \
         if this export books the same cheque, void the lockbox's payment first by importing a \
         payments.csv with the header `id,customer_id,date,amount,status` and the row \
         `LBX-1001,K2,2026-04-15,500.00,voided`, then import this export again"
    );
    assert_eq!(fx.fingerprint(), before);

    // As the message says.
    let void = common::folder_of(
        fx.dir.path(),
        "void",
        &[(
            "payments.csv",
            "id,customer_id,date,amount,status\nLBX-1001,K2,2026-04-15,500.00,voided\n",
        )],
    );
    succeeded(&fx.owed(&["import", void.to_str().unwrap()]));
    succeeded(&fx.owed(&["import", billing.to_str().unwrap()]));
    assert_eq!(
        fx.query("SELECT balance FROM documents WHERE id = 'J1'"),
        [[units("300")]]
    );
    let metrics = json_of(&fx.owed(&["report", "metrics", "--json"]));
    assert_eq!(metrics["open_deduction_amount"], "0.00");
}

/// A named invoice dated after the cheque cannot be what it pays, and the reason said it
/// named "no open invoice of the payer"; it now says the invoice is dated after the cheque.
/// Invoice numbers are matched as `owed find` matches them, without regard to case (`inv-3`
/// paid nothing), unless that names two documents: then the reason says so.
#[test]
fn a_named_invoice_is_found_in_any_case_and_one_dated_later_is_said() {
    let fx = Fx::new();
    let more = common::folder_of(
        fx.dir.path(),
        "more",
        &[(
            "documents.csv",
            "id,customer_id,type,number,doc_date,due_date,amount\n\
         X1,K3,invoice,AB-1,2026-03-01,2026-03-31,70.00\n\
         X2,K3,invoice,ab-1,2026-03-02,2026-04-01,80.00\n",
        )],
    );
    succeeded(&fx.owed(&["import", more.to_str().unwrap()]));
    let dir = fx.items(
        "cases",
        "2001,2026-03-15,300.00,USD,K1,1,INV-3,\n\
         2002,2026-04-15,300.00,USD,K1,2,inv-3,\n\
         2003,2026-04-15,75.00,USD,K3,3,Ab-1,\n\
         2004,2026-04-15,70.00,USD,K3,4,AB-1,\n",
    );
    let summary = fx.import(&dir);
    let reasons = unmatched_reasons(&summary);
    assert_eq!(
        reasons,
        [
            (
                "2001",
                "`INV-3` is dated 2026-03-20, after the cheque of 2026-03-15, and no open \
                 invoice or run of the oldest matches its amount"
            ),
            (
                "2003",
                "`Ab-1` names 2 documents of the payer without regard to case (`X1`, `X2`): \
                 write it as the document has it, and no open invoice or run of the oldest \
                 matches its amount"
            ),
        ],
        "{summary}"
    );
    // `inv-3` paid INV-3, and `AB-1` as written the one so numbered.
    assert_eq!(
        fx.query(
            "SELECT p.id, d.id, a.amount FROM applications a
               JOIN payments p ON p.pid = a.source_pid JOIN documents d ON d.did = a.did
              ORDER BY p.id"
        ),
        [
            ["LBX-2002", "I3", &units("300")],
            ["LBX-2004", "X1", &units("70")]
        ]
    );
}

/// A number outside ASCII is matched as `owed find` and the forms match it: without regard to
/// case or width in any script (`RE-Ü002` and `ＲＥ-Ü003` in the bank's file pay `re-ü002` and
/// `re-ü003`; SQLite's `NOCASE` folds ASCII only, and they paid nothing), the accents counting
/// (`RE-U004` names no document `re-ü004`). A payer's name is one customer's in any case and
/// width too.
#[test]
fn a_number_outside_ascii_is_found_in_any_case_and_width() {
    let fx = Fx::new();
    let more = common::folder_of(
        fx.dir.path(),
        "more",
        &[
            ("customers.csv", "id,name,currency\nK9,Zoë Ökobau,USD\n"),
            (
                "documents.csv",
                "id,customer_id,type,number,doc_date,due_date,amount\n\
                 U2,K9,invoice,re-ü002,2026-03-01,2026-03-31,70.00\n\
                 U3,K9,invoice,re-ü003,2026-03-02,2026-04-01,80.00\n\
                 U4,K9,invoice,re-ü004,2026-03-03,2026-04-02,90.00\n",
            ),
        ],
    );
    succeeded(&fx.owed(&["import", more.to_str().unwrap()]));
    let dir = fx.items(
        "world",
        "3001,2026-04-15,75.00,USD,K9,1,RE-Ü002,\n\
         3002,2026-04-15,85.00,USD,ＺＯË ÖKOBAU,2,ＲＥ-Ü003,\n\
         3003,2026-04-15,95.00,USD,K9,3,RE-U004,\n",
    );
    let summary = fx.import(&dir);
    let reasons = unmatched_reasons(&summary);
    assert_eq!(
        reasons,
        [
            ("3001", "5.00 more than the invoices it names still owe"),
            ("3002", "5.00 more than the invoices it names still owe"),
            (
                "3003",
                "`RE-U004` named no open invoice of the payer in USD, and no open invoice or \
                 run of the oldest matches its amount"
            ),
        ],
        "{summary:#}"
    );
    assert_eq!(
        fx.query(
            "SELECT p.id, d.id, a.amount FROM applications a
               JOIN payments p ON p.pid = a.source_pid JOIN documents d ON d.did = a.did
              WHERE p.id LIKE 'LBX-300%' ORDER BY p.id"
        ),
        [
            ["LBX-3001", "U2", &units("70")],
            ["LBX-3002", "U3", &units("80")]
        ]
    );
}

impl Fx {
    /// A folder `name` holding a payments.csv of `rows` (`id,customer_id,date,amount,status`
    /// each): the billing system's word on the lockbox's payments.
    fn statuses(&self, name: &str, rows: &str) -> PathBuf {
        common::folder_of(
            self.dir.path(),
            name,
            &[(
                "payments.csv",
                &format!("id,customer_id,date,amount,status\n{rows}"),
            )],
        )
    }

    /// A billing export of bank transfers, each `(payment, customer, date, amount, document)`
    /// paying that amount of one document on its date.
    fn transfers(&self, paid: &[(&str, &str, &str, &str, &str)]) -> PathBuf {
        let mut payments = String::from("id,customer_id,date,amount,method\n");
        let mut applications = String::from("source_id,document_id,amount,date\n");
        for (id, customer, date, amount, document) in paid {
            payments.push_str(&format!("{id},{customer},{date},{amount},bank_transfer\n"));
            applications.push_str(&format!("{id},{document},{amount},{date}\n"));
        }
        common::folder_of(
            self.dir.path(),
            "transfers",
            &[
                ("payments.csv", &payments),
                ("applications.csv", &applications),
            ],
        )
    }

    /// `owed import DIR`, which must succeed: its one line.
    fn import_billing(&self, dir: &Path) -> String {
        let said = succeeded(&self.owed(&["import", dir.to_str().unwrap()]));
        assert_eq!(said.trim().lines().count(), 1, "{said}");
        said
    }

    /// The applications of payments: payment, document, amount, date.
    fn applications(&self) -> Vec<Vec<String>> {
        self.query(
            "SELECT p.id, d.id, a.amount, date(a.date + 1721424.5) FROM applications a
               JOIN payments p ON p.pid = a.source_pid JOIN documents d ON d.did = a.did
              ORDER BY p.id, d.id, a.date",
        )
    }

    /// What the ledger keeps applied to and from every document and payment.
    fn applied(&self) -> Vec<Vec<String>> {
        let mut rows =
            self.query("SELECT id, applied, last_applied, balance FROM documents ORDER BY id");
        rows.extend(
            self.query("SELECT id, applied, last_applied, unapplied FROM payments ORDER BY id"),
        );
        rows
    }

    /// The figures of `owed report aging` and `report metrics` as of `day`, without what
    /// says how fresh the ledger is.
    fn figures(&self, day: &str) -> (Value, Value, Value) {
        let aging = json_of(&self.owed_on(day, &["report", "aging", "--json"]));
        let metrics = json_of(&self.owed_on(day, &["report", "metrics", "--json"]));
        (
            aging["total"].clone(),
            aging["customers"].clone(),
            metrics
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| !k.contains("import"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }
}

/// The changes of `applications.csv` an import's run in `owed report imports --json` logged:
/// (id, old, new).
fn logged_applications(run: &Value) -> Vec<(String, Value, Value)> {
    run["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["file"] == "applications.csv")
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["old"].clone(),
                c["new"].clone(),
            )
        })
        .collect()
}

/// A lockbox cheque the billing system voided, then gives back as successful (presented
/// again, a void undone): the void took its applications away and withdrew its deduction, and
/// the success brought neither back — its invoices were open and dunned though the money was
/// in, and the cheque showed as unapplied cash. The billing export never carries the
/// lockbox's applications, so the import now gives them back as they were, reopens the
/// deduction (its short payment stands again), says both in its line, and logs each
/// application it gave back. Bad input beside it changes nothing; a dry run writes nothing.
#[test]
fn a_cheque_successful_again_gets_back_its_applications_and_its_deduction() {
    let fx = Fx::new();
    fx.import(&fx.lockbox("lockbox", LOCKBOX));
    let (applications, applied) = (fx.applications(), fx.applied());
    let days = ["2026-04-15", "2026-04-30"];
    let figures: Vec<_> = days.iter().map(|d| fx.figures(d)).collect();
    assert_eq!(figures[1].2["open_deduction_amount"], "150.00");
    let rows = |status: &str| {
        format!("LBX-1001,K1,2026-04-15,1000.00,{status}\nLBX-1003,K1,2026-04-15,650.00,{status}\n")
    };

    let said = fx.import_billing(&fx.statuses("void", &rows("voided")));
    assert!(
        said.contains(
            "3 applications of payments no longer successful taken away; 1 deduction \
             withdrawn, its payment no longer successful: issue 1 of LBX-1003 (voided)"
        ),
        "{said}"
    );
    assert_eq!(
        fx.query("SELECT id, balance FROM documents WHERE id LIKE 'I%' ORDER BY id"),
        [
            ["I1", &units("1000")],
            ["I2", &units("500")],
            ["I3", &units("300")]
        ]
    );

    // Successful again, beside a bad row: refused, nothing written.
    let again = fx.statuses("again", &rows("success"));
    std::fs::write(
        again.join("applications.csv"),
        "source_id,document_id,amount,date\nLBX-1004,NOPE,1.00,2026-04-16\n",
    )
    .unwrap();
    let before = fx.fingerprint();
    common::refused(
        &fx.owed(&["import", again.to_str().unwrap()]),
        2,
        "applications.csv line 2, column document_id",
    );
    assert_eq!(fx.fingerprint(), before);
    std::fs::remove_file(again.join("applications.csv")).unwrap();
    // A dry run says what it would give back, and writes nothing either.
    let out = fx.owed(&["import", "--dry-run", again.to_str().unwrap()]);
    let would = succeeded(&out);
    assert!(
        would.contains("3 applications of lockbox payments successful again restored"),
        "{would}"
    );
    assert_eq!(fx.fingerprint(), before);

    let said = fx.import_billing(&again);
    assert!(
        said.contains(
            "payments.csv 0 inserted, 2 updated, 0 unchanged; 3 applications of lockbox \
             payments successful again restored; 1 deduction reopened, its payment successful \
             again: issue 1 of LBX-1003"
        ),
        "{said}"
    );
    // Exactly as before the void: the applications, what the ledger keeps applied, every
    // figure as of the cheque's day and after.
    assert_eq!(fx.applications(), applications);
    assert_eq!(fx.applied(), applied);
    for (day, figures) in days.iter().zip(&figures) {
        assert_eq!(&fx.figures(day), figures, "{day}");
    }
    // The deduction stands again, as of every day since the cheque, its reopening saying why.
    let activity = json_of(&fx.owed(&["activity", "K1", "--json"]));
    let deduction = first_entry(&activity, "issue");
    assert_eq!(deduction["state"], "open", "{deduction}");
    let events = deduction["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{deduction}");
    assert_eq!(events[0]["kind"], "resolve");
    assert_eq!(events[1]["kind"], "reopen");
    assert_eq!(events[1]["collector"], "alice");
    assert_eq!(events[1]["date"], "2026-04-15");
    assert_eq!(
        events[1]["text"],
        "Reopened by an import: the billing system's export gives payment LBX-1003 the status \
         success again and its applications are restored, so the short payment stands again."
    );
    // In the log of imports: the line, and each application given back with its amount, as
    // the void logged each taken away.
    let runs = json_of(&fx.owed(&["report", "imports", "--json"]));
    assert!(
        runs[0]["summary"]
            .as_str()
            .unwrap()
            .ends_with("1 deduction reopened, its payment successful again: issue 1 of LBX-1003"),
        "{runs}"
    );
    let each = [
        ("LBX-1001 → I1 on 2026-04-15", "1000.00"),
        ("LBX-1003 → I2 on 2026-04-15", "500.00"),
        ("LBX-1003 → I3 on 2026-04-15", "150.00"),
    ];
    let given: Vec<_> = each
        .iter()
        .map(|(id, amount)| (id.to_string(), Value::Null, Value::from(*amount)))
        .collect();
    let taken: Vec<_> = each
        .iter()
        .map(|(id, amount)| (id.to_string(), Value::from(*amount), Value::Null))
        .collect();
    assert_eq!(logged_applications(&runs[0]), given);
    assert_eq!(logged_applications(&runs[1]), taken);
    let table = text(&fx.owed(&["report", "imports"]).stdout);
    assert!(
        table.contains("LBX-1001 → I1 on 2026-04-15 amount none → 1,000.00"),
        "{table}"
    );

    // The same export again gives back nothing more.
    let said = fx.import_billing(&again);
    assert!(
        !said.contains("restored") && !said.contains("reopened"),
        "{said}"
    );
    assert_eq!(fx.applications(), applications);
    assert_eq!(fx.query("SELECT count(*) FROM issue_events"), [["2"]]);
}

/// Successful again after other payments settled its invoices meanwhile, a cheque gets back
/// only what they still have open (the rest stays unapplied cash), and the import's line says
/// which application did not come back in full and why.
#[test]
fn a_cheque_successful_again_gets_back_only_what_its_documents_still_have_open() {
    let fx = Fx::new();
    // 1001 pays INV-1 (1000.00); 1002 the run of K2's oldest, J1 and J2 (800.00 + 200.00).
    fx.import(&fx.items(
        "box",
        "1001,2026-04-15,1000.00,USD,K1,5001,INV-1,\n1002,2026-04-15,1000.00,USD,K2,5002,,\n",
    ));
    let rows = |status: &str| {
        format!(
            "LBX-1001,K1,2026-04-15,1000.00,{status}\nLBX-1002,K2,2026-04-15,1000.00,{status}\n"
        )
    };
    fx.import_billing(&fx.statuses("void", &rows("voided")));
    // Meanwhile K1 pays 600.00 of I1 by transfer, K2 all of J1.
    let transfers = fx.transfers(&[
        ("P8", "K1", "2026-04-20", "600.00", "I1"),
        ("P9", "K2", "2026-04-20", "800.00", "J1"),
    ]);
    fx.import_billing(&transfers);

    let said = fx.import_billing(&fx.statuses("again", &rows("success")));
    assert!(
        said.contains(
            "; 3 applications of lockbox payments successful again restored, 2 of them not in \
             full: LBX-1001 → I1 on 2026-04-15 400.00 of 1000.00 USD (I1 had only that open: \
             another payment or credit note settled it meanwhile), LBX-1002 → J1 on 2026-04-15 \
             0.00 of 800.00 USD (J1 had nothing open: another payment or credit note settled it \
             meanwhile)"
        ),
        "{said}"
    );
    assert_eq!(
        fx.applications(),
        [
            ["LBX-1001", "I1", &units("400"), "2026-04-15"],
            ["LBX-1002", "J2", &units("200"), "2026-04-15"],
            ["P8", "I1", &units("600"), "2026-04-20"],
            ["P9", "J1", &units("800"), "2026-04-20"],
        ]
    );
    assert_eq!(
        fx.query("SELECT id, balance FROM documents WHERE id IN ('I1', 'J1', 'J2') ORDER BY id"),
        [["I1", "0"], ["J1", "0"], ["J2", "0"]]
    );
    assert_eq!(
        fx.query("SELECT id, unapplied FROM payments ORDER BY id"),
        [
            ["LBX-1001", &units("600")],
            ["LBX-1002", &units("800")],
            ["P8", "0"],
            ["P9", "0"]
        ]
    );
    // As of a day between the cheque and the transfer, I1 had the cheque's 400.00 paid.
    let aging = json_of(&fx.owed_on("2026-04-17", &["report", "aging", "--json"]));
    assert_eq!(common::aging_row(&aging, "K1")["outstanding"], "1400.00");
    let aging = json_of(&fx.owed_on("2026-04-30", &["report", "aging", "--json"]));
    assert_eq!(common::aging_row(&aging, "K1")["outstanding"], "800.00");
    assert_eq!(aging["total"]["unapplied_cash"], "1400.00");
    // Logged as given back: only what was written.
    let runs = json_of(&fx.owed(&["report", "imports", "--json"]));
    assert_eq!(
        logged_applications(&runs[0]),
        [
            (
                "LBX-1001 → I1 on 2026-04-15".to_string(),
                Value::Null,
                Value::from("400.00")
            ),
            (
                "LBX-1002 → J2 on 2026-04-15".to_string(),
                Value::Null,
                Value::from("200.00")
            ),
        ]
    );
}

/// A deduction withdrawn with its voided cheque is not reopened when the cheque is
/// successful again but its short payment no longer stands: the customer paid the gap
/// meanwhile (its documents are settled), or other payments settled what the cheque paid
/// (not all its applications came back, so its money is not short). The line says which
/// and why.
#[test]
fn a_deduction_whose_short_payment_no_longer_stands_stays_withdrawn() {
    let fx = Fx::new();
    // 1003: 650.00 of INV-3 and I2's 800.00, 150.00 short on I3 (issue 1); 1005: 500.00 of
    // RE-1's 800.00, 300.00 short on J1 (issue 2).
    fx.import(&fx.items(
        "short",
        "1003,2026-04-15,650.00,USD,K1,5003,INV-3;I2,\n1005,2026-04-15,500.00,USD,K2,5005,RE-1,\n",
    ));
    let rows = |status: &str| {
        format!("LBX-1003,K1,2026-04-15,650.00,{status}\nLBX-1005,K2,2026-04-15,500.00,{status}\n")
    };
    fx.import_billing(&fx.statuses("void", &rows("voided")));
    // K1 pays the gap, 150.00 of I3; K2 all of J1.
    let transfers = fx.transfers(&[
        ("P7", "K1", "2026-04-22", "150.00", "I3"),
        ("P9", "K2", "2026-04-22", "800.00", "J1"),
    ]);
    fx.import_billing(&transfers);

    let said = fx.import_billing(&fx.statuses("again", &rows("success")));
    assert!(
        said.contains(
            "; 3 applications of lockbox payments successful again restored, 1 of them not in \
             full: LBX-1005 → J1 on 2026-04-15 0.00 of 500.00 USD (J1 had nothing open: another \
             payment or credit note settled it meanwhile); 2 deductions left withdrawn: issue 1 \
             of LBX-1003 (the documents it is on are settled), issue 2 of LBX-1005 (not all its \
             payment's applications could be restored)"
        ),
        "{said}"
    );
    assert!(!said.contains("reopened"), "{said}");
    for day in ["2026-04-15", "2026-04-30"] {
        let metrics = json_of(&fx.owed_on(day, &["report", "metrics", "--json"]));
        assert_eq!(metrics["open_deduction_amount"], "0.00", "{day}");
    }
    for customer in ["K1", "K2"] {
        let activity = json_of(&fx.owed(&["activity", customer, "--json"]));
        let deduction = first_entry(&activity, "issue");
        assert_eq!(deduction["state"], "resolved", "{deduction}");
        assert_eq!(deduction["events"].as_array().unwrap().len(), 1);
    }
}

/// A cheque voided by an owed of schema 26, which kept nothing of what it took away but the
/// log of imports, gets its applications and its deduction back all the same: the upgrade
/// reads them from the log and the resolution's text.
#[test]
fn a_cheque_voided_before_schema_27_gets_back_its_applications_and_its_deduction() {
    let fx = Fx::new();
    fx.import(&fx.items("short", "1003,2026-04-15,650.00,USD,K1,5003,INV-3;I2,\n"));
    let applications = fx.applications();
    let row = |status: &str| format!("LBX-1003,K1,2026-04-15,650.00,{status}\n");
    fx.import_billing(&fx.statuses("void", &row("voided")));
    // As a database of schema 26 holds it.
    let conn = Connection::open(fx.db()).unwrap();
    conn.execute_batch(
        "DELETE FROM withdrawn_applications; DELETE FROM deduction_withdrawals;
         PRAGMA user_version = 26;",
    )
    .unwrap();
    drop(conn);

    let said = fx.import_billing(&fx.statuses("again", &row("success")));
    assert!(
        said.contains(
            "2 applications of lockbox payments successful again restored; 1 deduction \
             reopened, its payment successful again: issue 1 of LBX-1003"
        ),
        "{said}"
    );
    assert_eq!(fx.applications(), applications);
    let metrics = json_of(&fx.owed(&["report", "metrics", "--json"]));
    assert_eq!(metrics["open_deduction_amount"], "150.00");
}

/// A document moved to another customer while its cheque was voided no longer fits the
/// cheque: successful again, the cheque gets nothing back there and the line says why,
/// instead of the export being refused for an application it does not carry.
#[test]
fn a_document_that_no_longer_fits_the_cheque_gets_nothing_back_and_says_why() {
    let fx = Fx::new();
    fx.import(&fx.items("box", "1001,2026-04-15,1000.00,USD,K1,5001,INV-1,\n"));
    let row = |status: &str| format!("LBX-1001,K1,2026-04-15,1000.00,{status}\n");
    fx.import_billing(&fx.statuses("void", &row("voided")));
    let moved = common::folder_of(
        fx.dir.path(),
        "moved",
        &[(
            "documents.csv",
            "id,customer_id,type,number,doc_date,due_date,amount\n\
             I1,K3,invoice,INV-1,2026-03-01,2026-03-31,1000.00\n",
        )],
    );
    fx.import_billing(&moved);

    let said = fx.import_billing(&fx.statuses("again", &row("success")));
    assert!(
        said.contains(
            "; 1 application of lockbox payments successful again restored, not in full: \
             LBX-1001 → I1 on 2026-04-15 0.00 of 1000.00 USD (I1 now belongs to another \
             customer than LBX-1001)"
        ),
        "{said}"
    );
    assert_eq!(fx.applications(), Vec::<Vec<String>>::new());
    assert_eq!(
        fx.query("SELECT unapplied FROM payments WHERE id = 'LBX-1001'"),
        [[units("1000")]]
    );
}

/// A cheque short of the invoice it names opens a deduction; a later cheque that paid the gap
/// (matched by amount to what the invoice still owed) settled the invoice, yet the deduction
/// stayed open: the metrics counted 400.00 of open deductions on a paid invoice, as if money
/// were still disputed. A deduction whose documents are all settled is now resolved by the
/// run that settled them, as of the day they were: with the outcome `invalid` when payments
/// paid the gap (the customer paid what it had deducted), `valid` when a credit note closed
/// it (billing credited the gap), in the customer's activity, the run's output and JSON, and
/// the line of `owed import` when the billing export's payment or credit is what settles it.
#[test]
fn a_deduction_is_resolved_when_its_documents_are_settled() {
    let fx = Fx::new();
    // 1: 600.00 of INV-1's 1000.00 (named in another case): 400.00 short on I1 (issue 1).
    // 2: 400.00, naming nothing: I1's 400.00 left, the oldest single invoice of that balance.
    let dir = fx.items(
        "gap",
        "1,2026-04-10,600.00,USD,K1,11,inv-1,\n2,2026-04-12,400.00,USD,K1,12,,\n",
    );
    let out = fx.owed(&["lockbox", "import", dir.to_str().unwrap()]);
    let said = succeeded(&out);
    assert!(
        said.contains("; 1 deductions opened; 1 deductions resolved, their documents settled;"),
        "{said}"
    );
    assert!(
        said.contains(
            "\nDeductions resolved (their documents settled in full):\n  \
             issue 1      LBX-1        K1         invalid      on INV-1\n"
        ),
        "{said}"
    );
    assert_eq!(
        fx.query("SELECT id, balance FROM documents WHERE id IN ('I1', 'I2') ORDER BY id"),
        [["I1", "0"], ["I2", &units("500")]]
    );
    // Open between the two cheques, no longer from the day the second paid the gap.
    for (day, open) in [
        ("2026-04-11", "400.00"),
        ("2026-04-12", "0.00"),
        ("2026-04-15", "0.00"),
    ] {
        let metrics = json_of(&fx.owed_on(day, &["report", "metrics", "--json"]));
        assert_eq!(metrics["open_deduction_amount"], open, "{day}");
    }
    let activity = json_of(&fx.owed(&["activity", "K1", "--json"]));
    let deduction = first_entry(&activity, "issue");
    assert_eq!(deduction["state"], "resolved", "{deduction}");
    assert_eq!(deduction["outcome"], "invalid");
    assert_eq!(
        deduction["resolution"],
        "Resolved by a lockbox import: INV-1 is paid in full since 2026-04-12 (by LBX-2), so \
         no short payment stands."
    );
    assert_eq!(deduction["events"][0]["collector"], "alice");
    assert_eq!(deduction["events"][0]["date"], "2026-04-12");
    // The ERP's list gives the outcome.
    let export = text(&fx.owed(&["export", "deductions", "-o", "-"]).stdout);
    let row = export.lines().nth(1).unwrap();
    assert!(
        row.contains(",resolved,2026-04-12,alice,invalid,\"Resolved by a lockbox import"),
        "{row}"
    );
    // The same file again resolves nothing more.
    let again = fx.import(&dir);
    assert_eq!(again["deductions_resolved"], serde_json::json!([]));
    assert_eq!(fx.query("SELECT count(*) FROM issue_events"), [["1"]]);

    // The JSON, on a fresh database.
    let other = Fx::new();
    let summary = other.import(&other.items(
        "gap",
        "1,2026-04-10,600.00,USD,K1,11,inv-1,\n2,2026-04-12,400.00,USD,K1,12,,\n",
    ));
    assert_eq!(
        summary["deductions_resolved"],
        serde_json::json!([{"issue": 1, "customer_id": "K1", "payment": "LBX-1",
                            "outcome": "invalid", "date": "2026-04-12",
                            "documents": ["I1"], "document_numbers": ["INV-1"]}])
    );

    // 3: 100.00 of INV-3's 300.00, 200.00 short (issue 2); 4: 400.00 of INV-2's 500.00,
    // 100.00 short (issue 3). The billing export then pays I3's 200.00 (P7) and credits
    // I2's 100.00 (credit note CN-1).
    fx.import(&fx.items(
        "more",
        "3,2026-04-13,100.00,USD,K1,13,INV-3,\n4,2026-04-13,400.00,USD,K1,14,INV-2,\n",
    ));
    let billing = common::folder_of(
        fx.dir.path(),
        "billing",
        &[
            (
                "documents.csv",
                "id,customer_id,type,number,doc_date,due_date,amount\n\
                 N1,K1,credit_note,CN-1,2026-04-14,,100.00\n",
            ),
            (
                "payments.csv",
                "id,customer_id,date,amount,method\nP7,K1,2026-04-14,200.00,bank_transfer\n",
            ),
            (
                "applications.csv",
                "source_id,document_id,amount,date\nP7,I3,200.00,2026-04-14\n\
                 N1,I2,100.00,2026-04-14\n",
            ),
        ],
    );
    let said = fx.import_billing(&billing);
    assert!(
        said.trim_end().ends_with(
            "; 2 deductions resolved, their documents settled: issue 2 on INV-3 (invalid), \
             issue 3 on INV-2 (valid)"
        ),
        "{said}"
    );
    let activity = json_of(&fx.owed(&["activity", "K1", "--json"]));
    let resolution = |id: i64| {
        activity["activity"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "issue" && e["id"] == id)
            .map(|e| (e["outcome"].clone(), e["resolution"].clone()))
            .unwrap()
    };
    assert_eq!(
        resolution(2),
        (
            Value::from("invalid"),
            Value::from(
                "Resolved by an import: INV-3 is paid in full since 2026-04-14 (by P7), so no \
                 short payment stands."
            )
        )
    );
    assert_eq!(
        resolution(3),
        (
            Value::from("valid"),
            Value::from(
                "Resolved by an import: INV-2 is credited in full since 2026-04-14 (by CN-1), \
                 so no short payment stands."
            )
        )
    );
    let metrics = json_of(&fx.owed(&["report", "metrics", "--json"]));
    assert_eq!(metrics["open_deduction_amount"], "0.00");
    let metrics = json_of(&fx.owed_on("2026-04-13", &["report", "metrics", "--json"]));
    assert_eq!(metrics["open_deduction_amount"], "300.00");

    // P7 voided: I3 owes its 200.00 again, and the deduction stands again, as of every day
    // since it was resolved.
    let said = fx.import_billing(&fx.statuses("void", "P7,K1,2026-04-14,200.00,voided\n"));
    assert!(
        said.trim_end().ends_with(
            "; 1 application of payments no longer successful taken away; 1 deduction \
             reopened, its documents open again: issue 2"
        ),
        "{said}"
    );
    for day in ["2026-04-14", "2026-04-15"] {
        let metrics = json_of(&fx.owed_on(day, &["report", "metrics", "--json"]));
        assert_eq!(metrics["open_deduction_amount"], "200.00", "{day}");
    }
    let activity = json_of(&fx.owed(&["activity", "K1", "--json"]));
    let reopened = activity["activity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "issue" && e["id"] == 2)
        .unwrap();
    assert_eq!(reopened["state"], "open", "{reopened}");
}

/// A short cheque naming an invoice that does not exist beside one it pays: the deduction's
/// text said "paid 100.00 USD of 300.00 USD owed on INV-3, INV-99", naming an invoice no one
/// owes. It names the invoices found; the unknown one is under not found, as it was.
#[test]
fn a_deductions_text_names_only_the_invoices_found() {
    let fx = Fx::new();
    let summary = fx.import(&fx.items("typo", "5,2026-04-15,100.00,USD,K1,55,INV-3;INV-99,\n"));
    assert_eq!(
        summary["not_found"],
        serde_json::json!([not_found("5", "INV-99")])
    );
    assert_eq!(
        fx.query("SELECT text FROM issues"),
        [[
            "Short payment: cheque 55 (lockbox item 5, payment LBX-5) paid 100.00 USD of 300.00 \
             USD owed on INV-3."
        ]]
    );
}

/// A cheque dated years ahead was accepted: its money was unapplied and in no figure of
/// today, and it could not be corrected (an item that comes back changed is refused). An item
/// dated after the date the import is as of is refused, naming the file, line and column, and
/// nothing is written.
#[test]
fn a_cheque_dated_after_the_import_is_refused() {
    let fx = Fx::new();
    let before = fx.fingerprint();
    let dir = fx.items(
        "ahead",
        "1,2026-04-15,1.00,USD,K1,12,,\n3,2031-01-01,1.00,USD,K1,13,,\n",
    );
    let out = fx.owed(&["lockbox", "import", dir.to_str().unwrap()]);
    common::refused(
        &out,
        2,
        "lockbox.csv line 3, column date: the cheque is dated 2031-01-01, after 2026-04-15, the \
         date this import is as of: a cheque the bank received is dated by then; correct the \
         date",
    );
    assert_eq!(fx.fingerprint(), before);
    // As of its day, it goes in.
    let out = fx.owed_on(
        "2026-04-16",
        &[
            "lockbox",
            "import",
            fx.items("next", "6,2026-04-16,1.00,USD,K1,16,,\n")
                .to_str()
                .unwrap(),
        ],
    );
    succeeded(&out);
}

/// The unmatched items of a lockbox import's summary: (item id, why), in its order.
fn unmatched_reasons(summary: &serde_json::Value) -> Vec<(&str, &str)> {
    summary["unmatched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["item_id"].as_str().unwrap(),
                u["reason"].as_str().unwrap(),
            )
        })
        .collect()
}
