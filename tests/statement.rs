//! `owed statement CUSTOMER -o FILE.pdf` through the real binary, read back with a PDF parser:
//! the text a reader extracts holds the customer's name (accents, Greek, Cyrillic, CJK), the
//! open items and the totals worked out by hand below; many items run onto more pages;
//! hostile names and bad input are handled; a reminder with `attach = ["statement"]` carries
//! the same document.

mod fixture;
mod smtp_server;

use base64::Engine as _;
use fixture::{Portfolio, owed_on, stderr};
use std::path::{Path, PathBuf};

/// The contract fixture with K1 renamed, a remittance text in the config, and `edit` applied.
fn portfolio(name: &str, edit: impl Fn(&str, &str) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "[statement]\ncompany = \"Acme Receivables Ltd\"\n\
         remittance = \"Pay to IBAN GB33 BUKB 2020 1555 5555 55 quoting the document numbers.\"\n",
    )
    .unwrap();
    let renamed = Portfolio::contract().edit(|file, text| {
        let text = text.replace("K1,Kite Supplies,", &format!("K1,\"{name}\","));
        edit(file, &text)
    });
    renamed.import_with_owed(dir.path());
    dir
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    owed_on(dir, &dir.join("owed.db"), None, args)
}

/// The statement of `customer` as of `as_of`, written to a file and parsed: its pages' text.
fn statement(dir: &Path, customer: &str, as_of: &str) -> Vec<String> {
    let pdf = dir.join(format!("{customer}.pdf"));
    let o = run(
        dir,
        &[
            "--as-of",
            as_of,
            "statement",
            customer,
            "-o",
            pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    pages(&std::fs::read(&pdf).unwrap())
}

/// The text of every page of a PDF, as a reader extracts it.
fn pages(bytes: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF a parser reads");
    let count = doc.get_pages().len() as u32;
    (1..=count)
        .map(|p| doc.extract_text(&[p]).expect("extractable text"))
        .collect()
}

/// Text with whitespace runs as single spaces (extraction breaks lines its own way).
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

const NAME: &str = "Société Ünal — Αθήνα Москва 東京商事 서울";

#[test]
fn the_statement_holds_the_name_the_items_and_the_totals() {
    let dir = portfolio(NAME, |_, t| t.to_string());
    // As of 30 April 2026, K1 owes 60.00 on INV-100 (100.00 less 40.00 paid), 30 days late,
    // and has credit note CN-7's 100.00 unused: balance due 60 − 100 = −40.00.
    let pages = statement(dir.path(), "K1", "2026-04-30");
    assert_eq!(pages.len(), 1);
    let text = squeeze(&pages[0]);
    for want in [
        NAME,
        "Acme Receivables Ltd",
        "Statement of account",
        "as of 2026-04-30",
        "Customer K1",
        "ap@kite.example",
        "INV-100",
        "2026-03-31",
        "Open items USD 60.00",
        "of which overdue USD 60.00",
        "Credit notes USD -100.00",
        "Balance due USD -40.00",
        "CN-7",
        "Pay to IBAN GB33 BUKB 2020 1555 5555 55 quoting the document numbers.",
        "Page 1 of 1",
    ] {
        assert!(text.contains(want), "{want:?} missing from {text}");
    }
    // Aged in 1-30 (30 days late): the aging row reads current 0.00, 1-30 60.00.
    assert!(
        text.contains("USD 0.00 60.00 0.00 0.00 0.00 0.00 60.00"),
        "{text}"
    );
}

#[test]
fn unapplied_payments_and_other_currencies_are_on_the_statement() {
    let dir = portfolio("Kite", |_, t| t.to_string());
    // K3 as of 30 April: C1 paid in full by P2 (300.00, 250.00 applied), C2 (40.00) not yet
    // due; 50.00 of P2 not applied; the failed P3 is not money received.
    let text = squeeze(&statement(dir.path(), "K3", "2026-04-30")[0]);
    for want in [
        "Moss & Sons",
        "DN-301",
        "Payments not yet applied",
        "P2",
        "300.00 50.00",
        "Open items USD 40.00",
        "Payments not applied USD -50.00",
        "Balance due USD -10.00",
    ] {
        assert!(text.contains(want), "{want:?} missing from {text}");
    }
    assert!(!text.contains("INV-300"), "C1 is settled: {text}");
    assert!(!text.contains("P3"), "a failed payment is not cash: {text}");
    // K2's invoice is in euros and stays in euros on its statement.
    let text = squeeze(&statement(dir.path(), "K2", "2026-04-30")[0]);
    assert!(text.contains("Lumen GmbH"), "{text}");
    assert!(text.contains("Balance due EUR 1,000.00"), "{text}");
    // As of 15 April, P2 has not arrived: C1 is open, 65 days late.
    let text = squeeze(&statement(dir.path(), "K3", "2026-04-15")[0]);
    assert!(text.contains("INV-300"), "{text}");
    assert!(text.contains(" 65 USD 250.00 250.00"), "{text}");
    assert!(!text.contains("Payments not yet applied"), "{text}");
}

#[test]
fn many_items_run_onto_numbered_pages_with_the_header_again() {
    let many: String = (1..=120)
        .map(|i| format!("M{i},K1,invoice,MANY-{i:03},2026-03-01,2026-03-31,10.00,USD\n"))
        .collect();
    let dir = portfolio("Kite", |file, t| {
        if file == "documents.csv" {
            format!("{t}{many}")
        } else {
            t.to_string()
        }
    });
    let pages = statement(dir.path(), "K1", "2026-04-30");
    assert!(pages.len() >= 3, "{} pages", pages.len());
    let n = pages.len();
    for (i, page) in pages.iter().enumerate() {
        let text = squeeze(page);
        assert!(text.contains(&format!("Page {} of {n}", i + 1)), "{text}");
        assert!(text.contains("Document Type Date Due Days late"), "{text}");
    }
    let all = squeeze(&pages.concat());
    for i in 1..=120 {
        assert!(all.contains(&format!("MANY-{i:03}")), "MANY-{i:03} missing");
    }
    // 60.00 + 120 × 10.00.
    assert!(all.contains("Open items USD 1,260.00"), "{all}");
}

#[test]
fn a_hostile_name_cannot_reorder_or_hide_text() {
    // A right-to-left override, a bell and a zero-width space in the name: dropped.
    let dir = portfolio("Evil\u{202E}Corp\u{7} \u{200B}Ltd", |_, t| t.to_string());
    let text = squeeze(&statement(dir.path(), "K1", "2026-04-30")[0]);
    assert!(text.contains("EvilCorp Ltd"), "{text}");
    assert!(!text.contains('\u{202E}'));
    // A name longer than the page is cut, not drawn over the totals.
    let long = "Wide ".repeat(200);
    let dir = portfolio(long.trim(), |_, t| t.to_string());
    let text = squeeze(&statement(dir.path(), "K1", "2026-04-30")[0]);
    assert!(text.contains("Wide Wide"), "{text}");
    assert!(text.contains('…'), "{text}");
}

#[test]
fn an_unknown_customer_is_bad_input_and_writes_nothing() {
    let dir = portfolio("Kite", |_, t| t.to_string());
    let pdf = dir.path().join("x.pdf");
    let o = run(
        dir.path(),
        &["statement", "NOPE", "-o", pdf.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).trim(), "owed: no customer has the id `NOPE`");
    assert!(!pdf.exists());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["config.toml", "csv", "owed.db"], "no stray files");
}

#[test]
fn dash_writes_the_pdf_to_standard_output() {
    let dir = portfolio(NAME, |_, t| t.to_string());
    let o = run(
        dir.path(),
        &["--as-of", "2026-04-30", "statement", "K1", "-o", "-"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.starts_with(b"%PDF-"));
    assert!(squeeze(&pages(&o.stdout)[0]).contains(NAME));
}

/// The largest amounts owed takes (922,337,203,685,477.58 dollars, 922,337,203,685,477 yen:
/// ten-thousandths in 64 bits), two of them open in different buckets so that the totals are
/// larger still, a credit note and a payment as large; and the reviewer's customer of twelve
/// and a hundred and twenty-three million dollars.
const LARGEST: &str = "922,337,203,685,477.58";
/// Half the largest: two of them are the most a ledger holds (a ledger adding up to more
/// than owed can count is refused).
const HALF: &str = "461,168,601,842,738.79";
/// A database of `customer` alone (its rows of the files below): M1 has two documents of
/// half the largest amount, Y1 as many yen, each database as much as owed can count.
fn largest_amounts(dir: &Path, config: &str, customer: &str) -> PathBuf {
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let only = |text: &str| -> String {
        let mut lines = text.lines();
        let mut out = format!("{}\n", lines.next().unwrap());
        for line in lines.filter(|l| l.split(',').any(|f| f == customer)) {
            out.push_str(line);
            out.push('\n');
        }
        out
    };
    Portfolio::new()
        .file(
            "customers.csv",
            only(
                "id,name,email,currency\nM1,Max Out,ap@max.example,USD\n\
                 Y1,Yen Max,ap@yen.example,JPY\nC5,Big Spender,ap@big.example,USD\n",
            ),
        )
        .file(
            "documents.csv",
            only(
                "id,customer_id,type,number,doc_date,due_date,amount,currency\n\
                 M-1,M1,invoice,M-1,2026-02-01,2026-03-01,461168601842738.79,USD\n\
                 M-2,M1,debit_note,M-2,2026-04-01,2026-05-01,461168601842738.79,USD\n\
                 Y-1,Y1,invoice,Y-1,2026-02-02,2026-03-01,461168601842738,JPY\n\
                 Y-2,Y1,invoice,Y-2,2026-04-03,2026-05-01,461168601842738,JPY\n\
                 B-1,C5,invoice,B-1,2026-02-03,2026-03-01,12345678.90,USD\n\
                 B-2,C5,invoice,B-2,2026-04-04,2026-05-01,123456789.01,USD\n",
            ),
        )
        .file(
            "exchange_rates.csv",
            "date,currency,rate\n2026-01-01,JPY,0.0065\n",
        )
        .import_with_owed(dir)
}

/// Every figure and bucket label of a statement is printed whole: the columns are as wide as
/// what they hold, the table smaller when that is wider than the page, a label wrapped at its
/// space. Amounts were cut to `123,456,78…` in a 62-point column, labels to `16-45 d…`.
#[test]
fn the_largest_amounts_and_many_aging_buckets_are_never_cut() {
    for bounds in ["", "aging_bounds = [15, 45, 365, 730, 1000, 2000]\n"] {
        let read = |customer: &str| {
            let dir = tempfile::tempdir().unwrap();
            largest_amounts(dir.path(), bounds, customer);
            let pages = statement(dir.path(), customer, "2026-04-30");
            assert_eq!(pages.len(), 1, "{pages:?}");
            let text = squeeze(&pages[0]);
            assert!(!text.contains('…'), "{bounds}: something was cut: {text}");
            text
        };
        let (buckets, labels): (&[&str], &[&str]) = if bounds.is_empty() {
            (
                &["{0}", "0{z}", "{1}", "0{z}", "0{z}", "0{z}"],
                &[
                    "Not", "yet", "due", "1-30", "31-60", "61-90", "91-120", "120+", "days",
                    "Total",
                ],
            )
        } else {
            (
                &["{0}", "0{z}", "0{z}", "{1}", "0{z}", "0{z}", "0{z}", "0{z}"],
                &[
                    "Not",
                    "yet",
                    "due",
                    "1-15",
                    "16-45",
                    "46-365",
                    "366-730",
                    "731-1000",
                    "1001-2000",
                    "2000+",
                    "days",
                    "Total",
                ],
            )
        };
        for (customer, cur, z, due, overdue, total) in [
            ("M1", "USD", ".00", HALF, HALF, LARGEST),
            (
                "Y1",
                "JPY",
                "",
                "461,168,601,842,738",
                "461,168,601,842,738",
                "922,337,203,685,476",
            ),
            (
                "C5",
                "USD",
                ".00",
                "123,456,789.01",
                "12,345,678.90",
                "135,802,467.91",
            ),
        ] {
            let text = read(customer);
            let row: Vec<String> = buckets
                .iter()
                .map(|b| {
                    b.replace("{0}", due)
                        .replace("{1}", overdue)
                        .replace("{z}", z)
                })
                .collect();
            let aging = format!("{cur} {} {total}", row.join(" "));
            for want in [
                aging.as_str(),
                &format!("Open items {cur} {total}"),
                &format!("of which overdue {cur} {overdue}"),
            ] {
                assert!(
                    text.contains(want),
                    "{bounds}: {want:?} missing from {text}"
                );
            }
            for label in labels {
                assert!(
                    text.contains(label),
                    "{bounds}: {label:?} missing from {text}"
                );
            }
        }
        let text = read("M1");
        for want in [
            format!("M-1 Invoice 2026-02-01 2026-03-01 60 USD {HALF} {HALF}"),
            format!("M-2 Debit note 2026-04-01 2026-05-01 USD {HALF} {HALF}"),
            format!("Balance due USD {LARGEST}"),
        ] {
            assert!(
                text.contains(&want),
                "{bounds}: {want:?} missing from {text}"
            );
        }
        let text = read("C5");
        assert!(
            text.contains("B-2 Invoice 2026-04-04 2026-05-01 USD 123,456,789.01 123,456,789.01"),
            "{text}"
        );
    }
}

/// The fixture's euro statement portfolio (a customer in euros with an accented, Greek and
/// Cyrillic name, a partly paid invoice, one not yet due, a credit note and a payment not
/// applied); `[statement]` with a company and a two-line remittance text.
fn euro_portfolio(dir: &Path) -> PathBuf {
    std::fs::write(
        dir.join("config.toml"),
        "[statement]\ncompany = \"Owed Test GmbH\"\n\
         remittance = \"IBAN DE00 1234\\nQuote your customer number\"\n",
    )
    .unwrap();
    Portfolio::euro_statement().import_with_owed(dir)
}

#[test]
fn a_statement_in_euros_with_credit_and_cash_and_a_two_line_remittance() {
    let dir = tempfile::tempdir().unwrap();
    let db = euro_portfolio(dir.path());
    let out = dir.path().join("s2.pdf");
    let args = ["statement", "S2", "-o", out.to_str().unwrap()];
    let o = owed_on(dir.path(), &db, Some("2026-05-01"), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("s2.pdf"), "{}", stderr(&o));
    let pdf = std::fs::read(&out).unwrap();
    assert!(
        pdf.len() < 120_000,
        "the fonts are subsets: {} bytes",
        pdf.len()
    );
    let pages = pages(&pdf);
    assert_eq!(pages.len(), 1);
    let text = squeeze(&pages[0]);
    for want in [
        "Owed Test GmbH",
        "Ærøskøbing Δέλτα Жук ООО",
        "Customer S2",
        "as of 2026-05-01",
        // RE-2001: 1,000.00 less 300.00 paid, 31 days late; RE-2002 not yet due.
        "RE-2001 Invoice 2026-03-01 2026-03-31 31 EUR 1,000.00 700.00",
        "RE-2002 Invoice 2026-04-20 2026-05-20 EUR 250.50 250.50",
        // Aging: 250.50 not yet due, 700.00 in 31-60 days.
        "EUR 250.50 0.00 700.00 0.00 0.00 0.00 950.50",
        "GS-7 2026-04-02 EUR 100.00 100.00",
        "P2 2026-04-12 EUR 40.00 40.00",
        "Open items EUR 950.50",
        "of which overdue EUR 700.00",
        "Credit notes EUR -100.00",
        "Payments not applied EUR -40.00",
        // 950.50 − 100.00 − 40.00.
        "Balance due EUR 810.50",
        "IBAN DE00 1234 Quote your customer number",
    ] {
        assert!(text.contains(want), "{want:?} missing from {text}");
    }
}

/// A cycle folder in `dir` of one reminder, three days after the due date, written with
/// `template` and attaching the customer's statement.
fn statement_cycle(dir: &Path, template: &str) -> PathBuf {
    let cycles = dir.join("cycles");
    std::fs::create_dir_all(cycles.join("templates")).unwrap();
    std::fs::write(
        cycles.join("c.toml"),
        "name = \"Dunning\"\n[[reminder]]\nname = \"Friendly\"\nafter_due_days = 3\n\
         template = \"templates/t.md\"\nattach = [\"statement\"]\n",
    )
    .unwrap();
    std::fs::write(cycles.join("templates/t.md"), template).unwrap();
    cycles
}

/// Runs `engage run` as of `as_of` on the euro portfolio in `dir` with a cycle whose one
/// reminder attaches the statement and renders `template`; the one message received: its
/// text (line ends as `\n`) and the text of the PDF it carries.
fn send_with_statement(dir: &Path, db: &Path, as_of: &str, template: &str) -> (String, String) {
    let server = smtp_server::SmtpServer::start();
    let cycles = statement_cycle(dir, template);
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "{config}[smtp]\nhost = \"127.0.0.1\"\nport = {}\nfrom = \"AR <ar@example.com>\"\n",
            server.port
        ),
    )
    .unwrap();
    let args = ["engage", "run", "--cycles", cycles.to_str().unwrap()];
    let o = owed_on(dir, db, Some(as_of), &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let received = server.received();
    assert_eq!(received.len(), 1);
    let text = received[0].text().replace("\r\n", "\n");
    assert!(text.contains("Content-Type: application/pdf"), "{text}");
    assert!(text.contains("statement-S2.pdf"), "{text}");
    // The attachment's base64 body.
    let part = text.split("Content-Type: application/pdf").nth(1).unwrap();
    let body = part.split("\n\n").nth(1).unwrap();
    let b64: String = body.lines().take_while(|l| !l.starts_with("--")).collect();
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    (text, squeeze(&pages(&pdf)[0]))
}

#[test]
fn a_reminder_with_attach_statement_carries_the_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let db = euro_portfolio(dir.path());
    let template = "Statement for {{ customer.name }}\n\nSee the attachment.\n";
    let (email, pdf) = send_with_statement(dir.path(), &db, "2026-05-01", template);
    assert!(email.contains("See the attachment."), "{email}");
    // The statement owed statement writes.
    assert!(pdf.contains("Ærøskøbing Δέλτα Жук ООО"), "{pdf}");
    assert!(pdf.contains("Balance due EUR 810.50"), "{pdf}");
    assert!(pdf.contains("as of 2026-05-01 "), "{pdf}");
    assert!(!pdf.contains("paid since"), "{pdf}");
}

/// A reminder of an earlier date sent now agrees with its statement: RE-2001, paid in full on
/// 2 May, is out of the email of a run of 1 May ("paid since") and out of the statement it
/// carries, whose balance due is the email's. The statement listed it open, 700.00 more.
#[test]
fn a_back_dated_reminders_statement_leaves_out_what_was_paid_since() {
    let dir = tempfile::tempdir().unwrap();
    let db = euro_portfolio(dir.path());
    let paid = dir.path().join("paid");
    Portfolio::new()
        .file(
            "payments.csv",
            "id,customer_id,date,amount,currency\nP9,S2,2026-05-02,700.00,EUR\n",
        )
        .file(
            "applications.csv",
            "source_id,document_id,amount,date\nP9,E1,700.00,2026-05-02\n",
        )
        .write(&paid);
    let o = owed_on(dir.path(), &db, None, &["import", paid.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let template = "Statement for {{ customer.name }}\n\n{{ table }}\n\
                    Total {{ totals.balance }} {{ totals.currency }}\n";
    let (email, pdf) = send_with_statement(dir.path(), &db, "2026-05-01", template);
    assert!(
        !email.contains("RE-2001") && email.contains("RE-2002"),
        "{email}"
    );
    assert!(email.contains("Total 250.50 EUR"), "{email}");
    assert!(!pdf.contains("RE-2001"), "{pdf}");
    for want in [
        "as of 2026-05-01, less what was paid since",
        "RE-2002 Invoice 2026-04-20 2026-05-20 EUR 250.50 250.50",
        "Open items EUR 250.50",
        // 250.50 − 100.00 of credit − 40.00 not applied.
        "Balance due EUR 110.50",
        "EUR 250.50 0.00 0.00 0.00 0.00 0.00 250.50",
    ] {
        assert!(pdf.contains(want), "{want:?} missing from {pdf}");
    }
    // `owed statement` of that date is the ledger as it stood then.
    let then = squeeze(&statement(dir.path(), "S2", "2026-05-01")[0]);
    assert!(then.contains("Balance due EUR 810.50"), "{then}");
}

/// `owed statement K1` as of 30 April into `pdf`, which succeeds.
fn k1_statement(dir: &Path, pdf: &Path) -> std::process::Output {
    let o = run(
        dir,
        &[
            "--as-of",
            "2026-04-30",
            "statement",
            "K1",
            "-o",
            pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    o
}

/// Reviewer s67: a Thai, Devanagari or emoji name printed as empty boxes, silently. The
/// statement is written all the same, and standard error names what could not be printed and
/// which scripts print; a name of the scripts covered says nothing.
#[test]
fn characters_no_font_prints_are_said_on_standard_error() {
    let dir = portfolio("บริษัท สยาม 🍣 अनुज", |_, t| t.to_string());
    let pdf = dir.path().join("K1.pdf");
    let o = k1_statement(dir.path(), &pdf);
    assert!(pdf.exists());
    let err = stderr(&o);
    assert!(err.contains("warning: the statement of K1 prints"), "{err}");
    for said in [
        "Thai",
        "Devanagari",
        "emoji",
        "บ",
        "🍣",
        "Chinese, Japanese and Korean",
    ] {
        assert!(err.contains(said), "{said} in {err}");
    }
    let dir = portfolio("Ωmega Ελλάς 東京商事 Ünïcode", |_, t| {
        t.to_string()
    });
    let o = k1_statement(dir.path(), &pdf);
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

/// Reviewer s67: a reminder attaching the statement of a customer whose name its fonts cannot
/// print is said by the plan and the dry run, before it goes (and sent all the same).
#[test]
fn the_plan_warns_of_a_statement_it_cannot_print_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = euro_portfolio(dir.path());
    let cycles = statement_cycle(dir.path(), "Hello {{ customer.name }}\n");
    let plan = |args: &[&str]| {
        let mut all = vec!["engage", "plan", "--cycles", cycles.to_str().unwrap()];
        all.extend(args);
        let o = owed_on(dir.path(), &db, Some("2026-05-01"), &all);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stderr(&o)
    };
    assert!(!plan(&[]).contains("empty boxes"), "{}", plan(&[]));
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE customers SET name = 'สยาม ทรัพย์ 🍣' WHERE id = 'S2'",
            [],
        )
        .unwrap();
    let err = plan(&[]);
    assert!(
        err.contains("warning: the statement of S2 prints 10 character(s) as empty boxes"),
        "{err}"
    );
    assert!(err.contains("Thai (ส ย า ม ท …), emoji (🍣)"), "{err}");
    let o = owed_on(
        dir.path(),
        &db,
        Some("2026-05-01"),
        &[
            "engage",
            "run",
            "--dry-run",
            "--cycles",
            cycles.to_str().unwrap(),
        ],
    );
    assert!(stderr(&o).contains("empty boxes"), "{}", stderr(&o));
}
