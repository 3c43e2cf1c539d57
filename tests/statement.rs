//! The statement of account as PDF: `owed statement` writes one a standard reader opens (a
//! well-formed file whose cross-reference table points at its objects, one page, text
//! extractable through its font's ToUnicode map, names with accents and non-Latin letters
//! as written, totals present), and a reminder with `attach = ["statement"]` carries the
//! same document.

mod common;
mod smtp_server;

use base64::Engine as _;
use common::{owed_in, stderr, stdout};
use flate2::read::ZlibDecoder;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

const CUSTOMERS: &str = "id,name,email,currency
K2,Ærøskøbing Δέλτα Жук ООО,ap@aero.example,EUR
K3,Plain,ap@plain.example,USD
";
const DOCUMENTS: &str = "id,customer_id,type,number,doc_date,due_date,amount,currency
E1,K2,invoice,RE-2001,2026-03-01,2026-03-31,1000.00,EUR
E2,K2,invoice,RE-2002,2026-04-20,2026-05-20,250.50,EUR
N1,K2,credit_note,GS-7,2026-04-02,,100.00,EUR
";
const PAYMENTS: &str = "id,customer_id,date,amount,currency
P1,K2,2026-04-10,300.00,EUR
P2,K2,2026-04-12,40.00,EUR
";
const APPLICATIONS: &str = "source_id,document_id,amount,date
P1,E1,300.00,2026-04-10
";
const RATES: &str = "date,currency,rate\n2026-03-01,EUR,1.10\n";

fn setup(dir: &Path) -> String {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    for (name, text) in [
        ("customers.csv", CUSTOMERS),
        ("documents.csv", DOCUMENTS),
        ("payments.csv", PAYMENTS),
        ("applications.csv", APPLICATIONS),
        ("exchange_rates.csv", RATES),
    ] {
        std::fs::write(data.join(name), text).unwrap();
    }
    std::fs::write(
        dir.join("config.toml"),
        "[statement]\ncompany = \"Owed Test GmbH\"\nremittance = \"IBAN DE00 1234\\nQuote your customer number\"\n",
    )
    .unwrap();
    let db = dir.join("owed.db").to_str().unwrap().to_string();
    let o = owed_in(dir, &["--db", &db, "import", data.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    db
}

/// What a reader gets out of a PDF: its pages and the text of each shown string.
struct Parsed {
    pages: usize,
    text: Vec<String>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Reads `pdf` as a reader would: the cross-reference table must point at every object, the
/// streams inflate, and the shown glyphs map back to text through the ToUnicode CMap.
fn parse(pdf: &[u8]) -> Parsed {
    assert!(pdf.starts_with(b"%PDF-1."), "not a PDF");
    let tail = String::from_utf8_lossy(&pdf[pdf.len().saturating_sub(64)..]).to_string();
    assert!(tail.trim_end().ends_with("%%EOF"), "{tail}");
    let start: usize = tail
        .split("startxref")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let xref = String::from_utf8_lossy(&pdf[start..]).to_string();
    assert!(xref.starts_with("xref"), "startxref points at {xref:.20}");
    let mut lines = xref.lines().skip(1);
    let count: usize = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    for (id, line) in lines.take(count).enumerate() {
        if line.ends_with(" n ") || line.ends_with(" n") {
            let offset: usize = line[..10].parse().unwrap();
            let expected = format!("{id} 0 obj");
            assert_eq!(
                &pdf[offset..offset + expected.len()],
                expected.as_bytes(),
                "object {id}"
            );
        }
    }
    let mut streams = Vec::new();
    let mut at = 0;
    while let Some(s) = find(pdf, b"stream\n", at) {
        let end = find(pdf, b"\nendstream", s).unwrap();
        let mut data = Vec::new();
        ZlibDecoder::new(&pdf[s + 7..end])
            .read_to_end(&mut data)
            .unwrap();
        streams.push(data);
        at = end + 10;
    }
    let mut map: HashMap<String, String> = HashMap::new();
    for s in &streams {
        let text = String::from_utf8_lossy(s);
        if text.contains("beginbfchar") {
            for line in text
                .lines()
                .filter(|l| l.starts_with('<') && l.contains("> <"))
            {
                let (g, u) = line.split_once("> <").unwrap();
                let units: Vec<u16> = u
                    .trim_end_matches('>')
                    .as_bytes()
                    .chunks(4)
                    .map(|c| u16::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
                    .collect();
                map.insert(
                    g.trim_start_matches('<').to_string(),
                    String::from_utf16(&units).unwrap(),
                );
            }
        }
    }
    let mut text = Vec::new();
    for s in &streams {
        let content = String::from_utf8_lossy(s);
        for part in content.split("> Tj").filter(|p| p.contains(" Td <")) {
            let hex = part.rsplit(" Td <").next().unwrap();
            let shown: String = hex
                .as_bytes()
                .chunks(4)
                .map(|c| map[std::str::from_utf8(c).unwrap()].clone())
                .collect();
            text.push(shown);
        }
    }
    let pages = String::from_utf8_lossy(pdf).matches("/Type /Page ").count();
    Parsed { pages, text }
}

#[test]
fn owed_statement_writes_a_pdf_with_the_open_items_credits_cash_and_totals() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let out = dir.path().join("k2.pdf");
    let o = owed_in(
        dir.path(),
        &[
            "--db",
            &db,
            "--as-of",
            "2026-05-01",
            "statement",
            "K2",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("k2.pdf"), "{}", stdout(&o));
    let pdf = std::fs::read(&out).unwrap();
    assert!(
        pdf.len() < 120_000,
        "the font is a subset: {} bytes",
        pdf.len()
    );
    let parsed = parse(&pdf);
    assert_eq!(parsed.pages, 1);
    let has = |s: &str| parsed.text.iter().any(|t| t == s);
    assert!(has("Owed Test GmbH"), "{:?}", parsed.text);
    assert!(has("Ærøskøbing Δέλτα Жук ООО (K2)"), "{:?}", parsed.text);
    assert!(has("as of 2026-05-01"));
    // Open items: RE-2001 1,000.00 less 300.00 = 700.00, 31 days overdue; RE-2002 not due.
    assert!(
        has("RE-2001") && has("700.00") && has("31"),
        "{:?}",
        parsed.text
    );
    assert!(has("RE-2002") && has("250.50"));
    // Credits: GS-7 100.00; unapplied cash: P2 40.00.
    assert!(has("GS-7") && has("100.00"));
    assert!(has("Unapplied cash") && has("-40.00"));
    // Aging: 700.00 in 31-60, 250.50 current; balance due 950.50 - 100.00 - 40.00.
    assert!(has("31-60") && has("810.50"), "{:?}", parsed.text);
    assert!(has("Balance due"));
    assert!(has("IBAN DE00 1234") && has("Quote your customer number"));

    // An unknown customer: exit 2, nothing written.
    let none = dir.path().join("none.pdf");
    let o = owed_in(
        dir.path(),
        &[
            "--db",
            &db,
            "statement",
            "NOPE",
            "-o",
            none.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("NOPE"), "{}", stderr(&o));
    assert!(!none.exists());
}

#[test]
fn a_long_statement_runs_over_several_pages() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let mut docs = String::from("id,customer_id,type,doc_date,due_date,amount,currency\n");
    for i in 0..120 {
        docs.push_str(&format!(
            "X{i},K3,invoice,2026-03-01,2026-03-31,10.00,USD\n"
        ));
    }
    let more = dir.path().join("more");
    std::fs::create_dir_all(&more).unwrap();
    std::fs::write(more.join("documents.csv"), docs).unwrap();
    let o = owed_in(dir.path(), &["--db", &db, "import", more.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("k3.pdf");
    let o = owed_in(
        dir.path(),
        &[
            "--db",
            &db,
            "--as-of",
            "2026-05-01",
            "statement",
            "K3",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let parsed = parse(&std::fs::read(&out).unwrap());
    assert!(parsed.pages >= 3, "{} pages", parsed.pages);
    assert!(parsed.text.iter().any(|t| t == "X119"));
    assert!(
        parsed.text.iter().any(|t| t == "1,200.00"),
        "{:?}",
        parsed.text
    );
}

#[test]
fn a_reminder_with_attach_statement_carries_the_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let server = smtp_server::SmtpServer::start();
    let cycles = dir.path().join("cycles");
    std::fs::create_dir_all(cycles.join("templates")).unwrap();
    std::fs::write(
        cycles.join("c.toml"),
        "name = \"Dunning\"\n[[reminder]]\nname = \"Friendly\"\nafter_due_days = 3\n\
         template = \"templates/t.md\"\nattach = [\"statement\"]\n",
    )
    .unwrap();
    std::fs::write(
        cycles.join("templates/t.md"),
        "Statement for {{ customer.name }}\n\nSee the attachment.\n",
    )
    .unwrap();
    let config = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "{config}[smtp]\nhost = \"127.0.0.1\"\nport = {}\nfrom = \"AR <ar@example.com>\"\n",
            server.port
        ),
    )
    .unwrap();
    let o = owed_in(
        dir.path(),
        &[
            "--db",
            &db,
            "--as-of",
            "2026-05-01",
            "engage",
            "run",
            "--cycles",
            cycles.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let received = server.received();
    assert_eq!(received.len(), 1);
    let text = received[0].text().replace("\r\n", "\n");
    assert!(text.contains("Content-Type: application/pdf"), "{text}");
    assert!(text.contains("statement-K2.pdf"), "{text}");
    assert!(text.contains("See the attachment."), "{text}");
    // The attachment's base64 body is the statement.
    let part = text.split("Content-Type: application/pdf").nth(1).unwrap();
    let body = part.split("\n\n").nth(1).unwrap();
    let b64: String = body.lines().take_while(|l| !l.starts_with("--")).collect();
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let parsed = parse(&pdf);
    assert!(
        parsed
            .text
            .iter()
            .any(|t| t == "Ærøskøbing Δέλτα Жук ООО (K2)")
    );
}
