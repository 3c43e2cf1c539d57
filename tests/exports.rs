//! `owed export` through the real binary, every workbook read back with a spreadsheet reader
//! (calamine) and its sheet XML: the title row, human headers, numbers typed as numbers, the
//! totals as SUBTOTAL formulas ending at the last data row, the autofilter over the data rows
//! only, the About sheet; the figures of the contract fixture (docs/arithmetic.md) as of 30
//! April 2026; the split at a row limit; CSV on standard output; the queue's tab, filter,
//! sort and owner; the new views' rows.

mod common;
mod workbook;

use calamine::Data;
use common::{csv_column, owed_db, refused, stderr, stdout, write_fixture};
use owed::domain::queue::{SortKey, Tab};
use std::path::{Path, PathBuf};
use workbook::{AMOUNT, COUNT, Sheet, read};

const AS_OF: &str = "2026-04-30";

/// The contract fixture imported, with some collector activity: a note, a promise, a
/// dispute and a short payment (a deduction) resolved.
fn portfolio() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = write_fixture(&dir.path().join("in"), |_, t| t.to_string());
    std::fs::write(
        dir.path().join("config.toml"),
        "dispute_reasons = [\"pricing\", \"short_payment\"]\n",
    )
    .unwrap();
    let mut args = vec!["import".to_string()];
    args.extend(files.iter().map(|f| f.to_str().unwrap().to_string()));
    ok(
        dir.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    alice_on(
        dir.path(),
        "2026-04-10",
        &["note", "K1", "Called, =cmd|' /C calc'!A0 said next week"],
    );
    alice_on(
        dir.path(),
        "2026-04-12",
        &["promise", "K2", "--amount", "500", "--date", "2026-04-20"],
    );
    alice_on(
        dir.path(),
        "2026-04-14",
        &[
            "dispute",
            "K1",
            "--reason",
            "pricing",
            "--amount",
            "10",
            "Price list",
        ],
    );
    alice_on(
        dir.path(),
        "2026-04-15",
        &[
            "dispute",
            "K3",
            "--reason",
            "short_payment",
            "--amount",
            "12.50",
            "--document",
            "C1",
            "Paid short",
        ],
    );
    alice_on(
        dir.path(),
        "2026-04-20",
        &[
            "resolve",
            "2",
            "--outcome",
            "valid",
            "Credit note requested",
        ],
    );
    dir
}

/// Runs `owed --as-of DAY --as alice ARGS`, asserting that it succeeded: alice writing on `day`.
fn alice_on(dir: &Path, day: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--as-of", day, "--as", "alice"];
    all.extend(args);
    ok(dir, &all)
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    owed_db(dir, dir.join("owed.db"), args)
}

fn ok(dir: &Path, args: &[&str]) -> std::process::Output {
    let o = run(dir, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    o
}

/// Exports `view` (with `extra` options) as xlsx as of 30 April 2026.
fn export(dir: &Path, view: &str, extra: &[&str]) -> PathBuf {
    export_to(dir, &format!("{view}.xlsx"), AS_OF, view, extra)
}

/// Exports `view` (with `extra` options) as of `as_of` into `dir/file`, in the format its
/// extension names.
fn export_to(dir: &Path, file: &str, as_of: &str, view: &str, extra: &[&str]) -> PathBuf {
    let path = dir.join(file);
    let mut args = vec![
        "--as-of",
        as_of,
        "export",
        view,
        "-o",
        path.to_str().unwrap(),
    ];
    args.extend(extra);
    ok(dir, &args);
    path
}

/// Exports `view` (with `extra` options) as of `as_of` as CSV to standard output, and returns
/// the run (to read its stdout and stderr).
fn export_stdout(dir: &Path, as_of: &str, view: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["--as-of", as_of, "export", view];
    args.extend(extra);
    args.extend(["-o", "-"]);
    ok(dir, &args)
}

/// The first worksheet of `view` exported as xlsx (with `extra` options), checked as a table
/// (`check_table`) named `title`, and all the worksheets.
fn checked_sheets(dir: &Path, view: &str, extra: &[&str], title: &str) -> Vec<Sheet> {
    let sheets = read(&export(dir, view, extra));
    check_table(&sheets[0], title);
    sheets
}

/// Every table worksheet as SPEC "Exports (additions)" has it (see `workbook::check_table`),
/// as of 30 April 2026. Returns the summed columns.
fn check_table(sheet: &Sheet, view: &str) -> Vec<u32> {
    workbook::check_table(sheet, view, AS_OF)
}

/// The About sheet as of 30 April 2026.
fn check_about(sheets: &[Sheet], view: &str, figure: &str) {
    workbook::check_about(sheets, view, figure, AS_OF)
}

/// The row whose first cell is `key`.
fn row_of(sheet: &Sheet, key: &str) -> u32 {
    sheet
        .data_rows()
        .find(|&r| sheet.text(r, 0) == key)
        .unwrap_or_else(|| panic!("{}: no row {key}", sheet.name))
}

#[test]
fn aging_reads_back_with_the_figures_worked_out_by_hand() {
    let dir = portfolio();
    let sheets = read(&export(dir.path(), "aging", &[]));
    assert_eq!(sheets.len(), 2);
    let s = &sheets[0];
    assert_eq!(
        s.headers(),
        [
            "Customer ID",
            "Customer",
            "Current",
            "1–30 days",
            "31–60 days",
            "61–90 days",
            "91–120 days",
            "120+ days",
            "Outstanding",
            "Overdue",
            "Unutilised credit",
            "Unapplied cash",
            "Net overdue",
            "Outstanding mismatch",
        ]
    );
    let summed = check_table(s, "Aging");
    assert_eq!(
        summed,
        (2..14).collect::<Vec<u32>>(),
        "every amount is totalled"
    );
    assert_eq!(s.data_rows(), 2..5, "K1, K2, K3; the total below them");
    // Amounts and their totals shown with cents and thousands separators.
    for c in summed {
        assert_eq!(s.column_formats(c), [AMOUNT], "{}", s.headers()[c as usize]);
        assert_eq!(s.num_format(s.data_rows().end, c), AMOUNT);
    }
    // Columns fitted: the names are wider than Excel's default, "Moss & Sons" fits.
    assert!(s.width(s.col("Customer")) > workbook::DEFAULT_WIDTH);
    assert!(s.width(s.col("Customer")) >= "Moss & Sons".len() as f64);
    assert!(s.width(s.col("Outstanding mismatch")) >= "Outstanding mismatch".len() as f64);
    // docs/arithmetic.md: K1 60.00 in 1-30 with 100.00 credit (net 0); K2 1,080.00 in 1-30
    // (EUR 1,000 × 1.08); K3 40.00 current and 50.00 cash.
    let k1 = row_of(s, "K1");
    assert_eq!(s.number(k1, s.col("1–30 days")), 60.0);
    assert_eq!(s.number(k1, s.col("Unutilised credit")), 100.0);
    assert_eq!(s.number(k1, s.col("Net overdue")), 0.0);
    let k2 = row_of(s, "K2");
    assert_eq!(s.number(k2, s.col("Net overdue")), 1080.0);
    let k3 = row_of(s, "K3");
    assert_eq!(s.number(k3, s.col("Current")), 40.0);
    assert_eq!(s.number(k3, s.col("Unapplied cash")), 50.0);
    let total = s.data_rows().end;
    assert_eq!(s.text(total, 0), "Total");
    assert_eq!(s.number(total, s.col("Outstanding")), 1180.0);
    assert_eq!(s.number(total, s.col("Overdue")), 1140.0);
    assert_eq!(s.number(total, s.col("Net overdue")), 1080.0);
    check_about(&sheets, "Aging", "Net overdue");

    // The CSV is for programs: machine names, the mismatch too, no total row.
    let csv = export_to(dir.path(), "aging.csv", AS_OF, "aging", &[]);
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "customer_id,name,current,1-30,31-60,61-90,91-120,120+,outstanding,overdue,\
         unutilised_credit,unapplied_cash,net_overdue,outstanding_mismatch"
    );
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(
        lines[2],
        "K2,Lumen GmbH,0.00,1080.00,0.00,0.00,0.00,0.00,1080.00,1080.00,0.00,0.00,1080.00,0.00"
    );
}

#[test]
fn metrics_show_cei_as_a_percentage_and_amounts_as_numbers() {
    let dir = portfolio();
    let sheets = read(&export(dir.path(), "metrics", &[]));
    let s = &sheets[0];
    assert_eq!(s.headers(), ["Metric", "Figure", "Value", "Unit"]);
    check_table(s, "Metrics");
    assert_eq!(s.number(row_of(s, "outstanding"), 2), 1180.0);
    let json: serde_json::Value = serde_json::from_slice(
        &ok(
            dir.path(),
            &["--as-of", AS_OF, "report", "metrics", "--json"],
        )
        .stdout,
    )
    .unwrap();
    let cei = row_of(s, "cei");
    match json["cei"].as_str() {
        Some(v) => {
            let points: f64 = v.parse().unwrap();
            assert!(
                (s.number(cei, 2) - points / 100.0).abs() < 1e-9,
                "CEI as a fraction"
            );
        }
        None => assert_eq!(s.cell(cei, 2), Data::Empty),
    }
    let dso = row_of(s, "dso");
    let days: f64 = json["dso"].as_str().unwrap().parse().unwrap();
    assert!((s.number(dso, 2) - days).abs() < 1e-9);
    // Each figure formatted as what it is: money, days with one decimal, CEI in percent.
    assert_eq!(s.num_format(row_of(s, "outstanding"), 2), AMOUNT);
    assert_eq!(s.num_format(dso, 2), "0.0");
    assert!(json["cei"].is_string(), "the fixture has a CEI: {json}");
    assert_eq!(s.num_format(cei, 2), "0.0%");
    check_about(&sheets, "Metrics", "CEI");
}

#[test]
fn documents_total_the_base_currency_and_split_at_the_row_limit() {
    let dir = portfolio();
    let sheets = read(&export(dir.path(), "documents", &[]));
    let s = &sheets[0];
    let summed = check_table(s, "Documents");
    assert_eq!(
        summed,
        [s.col("Open (USD)")],
        "only the base currency is summed"
    );
    // A1 60.00, A2 credit 100.00 (negative: credit), B1 1,080.00, C2 40.00.
    assert_eq!(s.data_rows().len(), 4);
    assert_eq!(s.number(s.data_rows().end, s.col("Open (USD)")), 1080.0);
    assert!(
        matches!(s.cell(2, s.col("Date")), Data::DateTime(_)),
        "dates typed"
    );
    for header in ["Date", "Due"] {
        let formats = s.column_formats(s.col(header));
        assert_eq!(formats.len(), 1, "{header}: {formats:?}");
        assert!(workbook::is_date_format(&formats[0]), "{formats:?}");
    }
    for header in [
        "Amount (document currency)",
        "Open (document currency)",
        "Open (USD)",
    ] {
        assert_eq!(s.column_formats(s.col(header)), [AMOUNT], "{header}");
    }
    assert_eq!(s.column_formats(s.col("Days overdue")), ["0"]);

    // Two rows a sheet: two sheets, each with its own title, headers and totals, the rows
    // in order across them.
    let split = read(&export(dir.path(), "documents", &["--rows-per-sheet", "3"]));
    let names: Vec<&str> = split.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Documents", "Documents (2)", "About"]);
    assert!(
        split[1].title().contains("continued (part 2)"),
        "{}",
        split[1].title()
    );
    let mut ids = Vec::new();
    for part in &split[..2] {
        check_table(part, "Documents");
        assert_eq!(part.headers(), s.headers());
        ids.extend(part.data_rows().map(|r| part.text(r, 0)));
    }
    let all: Vec<String> = s.data_rows().map(|r| s.text(r, 0)).collect();
    assert_eq!(ids, all);
    assert_eq!(split[0].data_rows().len(), 3);
    check_about(&split, "Documents", "Open balance");
}

#[test]
fn the_forecast_is_a_workbook_of_weekly_cash_and_documents() {
    let dir = portfolio();
    let sheets = read(&export(dir.path(), "forecast", &[]));
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Weekly cash", "Documents", "About"]);
    let weeks = &sheets[0];
    check_table(weeks, "Forecast — Weekly cash");
    assert_eq!(weeks.data_rows().len(), 14, "13 weeks and what comes later");
    let docs = &sheets[1];
    check_table(docs, "Forecast — Documents");
    assert_eq!(
        docs.headers(),
        [
            "Document ID",
            "Number",
            "Customer ID",
            "Customer",
            "Open (USD)",
            "Expected cash (USD)",
            "Due",
            "Predicted payment",
            "Forecast week",
            "Why"
        ]
    );
    let b1 = row_of(docs, "B1");
    assert_eq!(docs.text(b1, 1), "RE-2001");
    assert_eq!(docs.text(b1, 3), "Lumen GmbH");
    // The weeks' expected cash adds up to the documents' expected cash: their balances less
    // what their customers' credit settles.
    let expected = weeks.number(weeks.data_rows().end, 3);
    let cash = docs.number(docs.data_rows().end, 5);
    let open = docs.number(docs.data_rows().end, 4);
    assert!((expected - cash).abs() < 0.005, "{expected} vs {cash}");
    assert!(cash < open, "{cash} vs {open}");
    check_about(&sheets, "Forecast", "Predicted payment date");
}

#[test]
fn the_queue_follows_tab_filter_sort_and_owner() {
    let dir = portfolio();
    // Every customer, by name.
    let sheets = checked_sheets(dir.path(), "queue", &["--sort", "name:asc"], "Queue");
    let s = &sheets[0];
    assert!(s.title().contains("tab All"), "{}", s.title());
    assert!(
        s.title().contains("sorted by name (ascending)"),
        "{}",
        s.title()
    );
    let ids: Vec<String> = s.data_rows().map(|r| s.text(r, 0)).collect();
    assert_eq!(ids, ["K1", "K2", "K3"]);
    assert_eq!(s.number(row_of(s, "K2"), s.col("Overdue (USD)")), 1080.0);
    assert_eq!(s.column_formats(s.col("Overdue (USD)")), [AMOUNT]);
    assert_eq!(s.column_formats(s.col("Follow-ups due")), [COUNT]);
    assert_eq!(s.column_formats(s.col("Days late (oldest)")), ["0"]);
    // Overdue customers of alice (K1 and K3; K3 has nothing overdue).
    let o = export_stdout(
        dir.path(),
        AS_OF,
        "queue",
        &["--tab", "overdue", "--owner", "alice"],
    );
    let text = stdout(&o);
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(rows[0].starts_with("K1,Kite Supplies,alice,USD,60.00,60.00,0.00,100.00,30,"));
    // Its machine name says what it holds, as its title does (it was `credit_USD`, and K3's
    // is unapplied cash).
    assert_eq!(
        csv_column(&text, "customer_id", "K1", "credit_and_cash_USD"),
        ["100.00"]
    );
    // The customers' ids of the overdue queue sorted by `sort`, in the export's order.
    let overdue_ids = |sort: &str| -> Vec<String> {
        let args = ["--filter", "overdue>0", "--sort", sort];
        let o = export_stdout(dir.path(), AS_OF, "queue", &args);
        stdout(&o)
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect()
    };
    // A filter as the workstation takes it, largest overdue first.
    assert_eq!(overdue_ids("overdue"), ["K2", "K1"]);
    // The order as views and `:sort` write it (it was "`overdue asc` is not a sort key").
    assert_eq!(overdue_ids("overdue asc"), ["K1", "K2"]);
    // An open issue's reason, as the workstation finds it (K1's pricing dispute: the
    // export's queue held no issues, so `issue:` gave no rows at all).
    let o = export_stdout(dir.path(), AS_OF, "queue", &["--filter", "issue:pricing"]);
    let ids: Vec<String> = stdout(&o)
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["K1"]);
}

/// The figures of one finance owner's customers say whose they are: the text heading names
/// them as the workbooks' titles do, and the JSON gains `owner` (the metrics' keys "include"
/// SPEC's; the aging's `outstanding_mismatch` extends it as well). Everyone's has neither.
/// The heading said "Metrics as of … in USD" as for the whole portfolio.
#[test]
fn one_owners_reports_name_the_owner() {
    let dir = portfolio();
    for what in ["aging", "metrics"] {
        let text = stdout(&ok(
            dir.path(),
            &["--as-of", AS_OF, "report", what, "--owner", "Alice"],
        ));
        let heading = text.lines().next().unwrap();
        // The ledger's time zone after the date (`(UTC)`).
        assert!(
            heading.contains(" as of 2026-04-30 (")
                && heading.ends_with(") in USD · customers of Alice"),
            "{heading}"
        );
        let everyone = stdout(&ok(dir.path(), &["--as-of", AS_OF, "report", what]));
        assert!(
            !everyone.lines().next().unwrap().contains("customers of"),
            "{everyone}"
        );
        let json = common::json_of(&ok(
            dir.path(),
            &[
                "--as-of", AS_OF, "report", what, "--json", "--owner", "alice",
            ],
        ));
        assert_eq!(json["owner"], "alice", "{what}: {json}");
        let json = common::json_of(&ok(
            dir.path(),
            &["--as-of", AS_OF, "report", what, "--json"],
        ));
        assert!(json.get("owner").is_none(), "{what}: {json}");
    }
    // alice's customers are K1 and K3.
    let aging = common::json_of(&ok(
        dir.path(),
        &[
            "--as-of", AS_OF, "report", "aging", "--json", "--owner", "alice",
        ],
    ));
    let ids = common::texts_of(&aging["customers"], "id");
    assert_eq!(ids, ["K1", "K3"]);
}

/// `export aging|metrics --owner NAME` are the figures of `report aging|metrics --owner NAME`,
/// the workbook's title naming the owner (they were refused: "--owner applies to export queue
/// and plan only"); the views of customers' rows (documents, activity, payments, promises,
/// deductions, forecast) keep that owner's customers; the engagement report, the team and a
/// statement have no such rows and refuse it in one sentence, writing nothing.
#[test]
fn one_owners_exports_are_their_customers_figures_and_rows() {
    let dir = portfolio();
    let alice = ["--owner", "alice"];
    // The aging: alice's customers, K1 and K3, with the report's figures.
    let csv = stdout(&export_stdout(dir.path(), AS_OF, "aging", &alice));
    let report = common::json_of(&ok(
        dir.path(),
        &[
            "--as-of", AS_OF, "report", "aging", "--json", "--owner", "alice",
        ],
    ));
    let ids: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["K1", "K3"], "{csv}");
    for c in report["customers"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let overdue = csv_column(&csv, "customer_id", id, "overdue");
        assert_eq!(overdue, [c["overdue"].as_str().unwrap()], "{id}: {csv}");
    }
    let sheets = checked_sheets(dir.path(), "aging", &alice, "Aging");
    assert!(
        sheets[0].title().contains("customers of alice"),
        "{}",
        sheets[0].title()
    );
    // The metrics: the report's figures, its open issues and promises of alice's customers.
    let csv = stdout(&export_stdout(dir.path(), AS_OF, "metrics", &alice));
    let report = common::json_of(&ok(
        dir.path(),
        &[
            "--as-of", AS_OF, "report", "metrics", "--json", "--owner", "alice",
        ],
    ));
    for key in [
        "outstanding",
        "overdue",
        "open_issue_amount",
        "open_p2p_amount",
    ] {
        let shown = csv_column(&csv, "metric", key, "value");
        assert_eq!(shown, [report[key].as_str().unwrap()], "{key}: {csv}");
    }
    let everyone = stdout(&export_stdout(dir.path(), AS_OF, "metrics", &[]));
    assert_ne!(
        csv_column(&everyone, "metric", "outstanding", "value"),
        csv_column(&csv, "metric", "outstanding", "value")
    );
    let sheets = read(&export(dir.path(), "metrics", &alice));
    assert!(
        sheets[0].title().contains("customers of alice"),
        "{}",
        sheets[0].title()
    );
    // The views of customers' rows keep alice's customers, and say so.
    for view in [
        "documents",
        "activity",
        "payments",
        "promises",
        "deductions",
        "forecast",
    ] {
        let all = stdout(&export_stdout(dir.path(), "2099-01-01", view, &[]));
        let mine = stdout(&export_stdout(dir.path(), "2099-01-01", view, &alice));
        let customers = |text: &str| -> Vec<String> {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let col = reader
                .headers()
                .unwrap()
                .iter()
                .position(|h| h == "customer_id");
            let col = col.unwrap_or_else(|| panic!("{view}: no customer_id in {text}"));
            reader
                .records()
                .map(|r| r.unwrap()[col].to_string())
                .collect()
        };
        let (all, mine) = (customers(&all), customers(&mine));
        let theirs: Vec<&String> = all.iter().filter(|c| *c != "K2").collect();
        assert_eq!(mine.iter().collect::<Vec<_>>(), theirs, "{view}");
        if view != "promises" {
            assert!(!mine.is_empty(), "{view}: alice has rows");
        }
        let path = export_to(dir.path(), &format!("{view}.xlsx"), AS_OF, view, &alice);
        let title = read(&path)[0].title();
        assert!(title.contains("customers of alice"), "{view}: {title}");
    }
    // The promises are K2's, bob's.
    let bobs = stdout(&export_stdout(
        dir.path(),
        AS_OF,
        "promises",
        &["--owner", "bob"],
    ));
    assert_eq!(bobs.lines().count(), 2, "{bobs}");
    // No owner there: refused as the reports refuse it, nothing written.
    let x = dir.path().join("x.csv");
    let x = x.to_str().unwrap();
    for view in ["aging", "metrics", "documents", "forecast"] {
        let o = run(dir.path(), &["export", view, "--owner", "alcie", "-o", x]);
        assert_eq!(
            refused(&o, 2, "no customer's finance owner is `alcie`"),
            "owed: no customer's finance owner is `alcie` (the finance owners are alice, bob)\n"
        );
    }
    // The views without customers' rows refuse it, saying why.
    for (view, why) in [
        (
            "engagement",
            "--owner does not apply to export engagement: its figures are per cycle and reminder, not per customer",
        ),
        (
            "team",
            "--owner does not apply to export team: it has a row per collector already",
        ),
        (
            "statement",
            "--owner does not apply to export statement: a statement is one customer's (--customer ID)",
        ),
    ] {
        let o = run(dir.path(), &["export", view, "--owner", "alice", "-o", x]);
        refused(&o, 2, why);
    }
    let o = run(
        dir.path(),
        &[
            "export",
            "documents",
            "--owner",
            "alice",
            "--customer",
            "K1",
            "-o",
            x,
        ],
    );
    refused(
        &o,
        2,
        "--owner and --customer choose the customers two ways: give one of them",
    );
    assert!(!Path::new(x).exists());
}

/// Every `--owner` takes one rule: a name that owns no customer is refused in one sentence
/// naming the owners there are (exit 2), and nothing is written. `export queue --owner alcie`
/// wrote an empty file (an xlsx of "customers of alcie") and `export plan` an empty plan with a
/// note, while `report metrics` refused.
#[test]
fn an_owner_nobody_has_is_refused_by_every_command_and_nothing_is_written() {
    let dir = portfolio();
    let cycles = common::write_dunning_cycle(dir.path(), "Dear {{ customer.name }}");
    let cycles = cycles.to_str().unwrap();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (queue, plan) = (file("queue.xlsx"), file("plan.csv"));
    let commands: Vec<Vec<&str>> = vec![
        vec!["report", "aging", "--owner", "alcie"],
        vec!["report", "aging", "--json", "--owner", "alcie"],
        vec!["report", "metrics", "--owner", "alcie"],
        vec!["report", "metrics", "--json", "--owner", "alcie"],
        vec!["engage", "plan", "--cycles", cycles, "--owner", "alcie"],
        vec![
            "engage", "plan", "--json", "--cycles", cycles, "--owner", "alcie",
        ],
        vec!["export", "queue", "--owner", "alcie", "-o", &queue],
        vec!["export", "queue", "--owner", "alcie", "-o", "-"],
        vec![
            "export", "plan", "--cycles", cycles, "--owner", "alcie", "-o", &plan,
        ],
    ];
    for args in &commands {
        let mut all = vec!["--as-of", AS_OF];
        all.extend(args);
        let o = run(dir.path(), &all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_eq!(
            stderr(&o),
            "owed: no customer's finance owner is `alcie` (the finance owners are alice, bob)\n",
            "{args:?}"
        );
        assert_eq!(stdout(&o), "", "{args:?}");
    }
    assert!(!Path::new(&queue).exists() && !Path::new(&plan).exists());
    // An empty name is no name.
    for args in [
        vec!["report", "aging", "--owner", " "],
        vec!["export", "queue", "--owner", "", "-o", &queue],
    ] {
        refused(&run(dir.path(), &args), 2, "--owner needs a name");
    }
    assert!(!Path::new(&queue).exists());
}

/// `issue:` names a reason the company uses: a mistyped one is refused naming them (it
/// matched nothing, as if no customer had one), a reason is found without regard to case in
/// every script, and a reason dropped from the config stays searchable while issues have it.
#[test]
fn the_queue_filter_takes_known_issue_reasons_in_any_case() {
    let dir = portfolio();
    let ids = |extra: &[&str]| -> Vec<String> {
        stdout(&export_stdout(dir.path(), AS_OF, "queue", extra))
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect()
    };
    let o = run(
        dir.path(),
        &[
            "--as-of",
            AS_OF,
            "export",
            "queue",
            "--filter",
            "issue:pricng",
            "-o",
            "-",
        ],
    );
    refused(
        &o,
        2,
        "--filter: `pricng` is not an issue reason (try pricing, short_payment)",
    );
    assert_eq!(ids(&["--filter", "issue:PRICING"]), ["K1"]);
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "dispute_reasons = [\"pricing\", \"short_payment\", \"Qualité\"]\n",
    )
    .unwrap();
    alice_on(
        dir.path(),
        "2026-04-16",
        &["dispute", "K2", "--reason", "QUALITÉ", "--amount", "5"],
    );
    assert_eq!(ids(&["--filter", "issue:QUALITÉ"]), ["K2"]);
    // Gone from the config, the reason is still on K2's issue.
    std::fs::write(&config, "dispute_reasons = [\"pricing\"]\n").unwrap();
    assert_eq!(ids(&["--filter", "issue:qualité"]), ["K2"]);
    let o = run(
        dir.path(),
        &[
            "--as-of", AS_OF, "export", "queue", "--filter", "issue:x", "-o", "-",
        ],
    );
    refused(
        &o,
        2,
        "`x` is not an issue reason (try pricing, short_payment, Qualité)",
    );
}

/// By name is alphabetical as a reader files names, accents and case aside: code-point order
/// put `Åkesson`, `Élan` and `Łukasiewicz` after `Zeta`. `owed find` lists customers in
/// the same order.
#[test]
fn the_queue_by_name_files_accented_names_under_their_letter() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        ("Z1", "Zeta Oy"),
        ("L1", "Łukasiewicz sp. z o.o."),
        ("E2", "Élan Énergie S.A."),
        ("A2", "Åkesson Bygg AB"),
        ("A1", "acme"),
        ("L2", "Lund Bygg"),
        ("E1", "Elan Conseil"),
    ];
    let mut customers = String::from("id,name\n");
    let mut documents = String::from("id,customer_id,type,doc_date,due_date,amount\n");
    for (i, (id, name)) in names.iter().enumerate() {
        customers.push_str(&format!("{id},{name}\n"));
        documents.push_str(&format!("D{i},{id},invoice,2026-03-01,2026-03-31,100.00\n"));
    }
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(input.join("customers.csv"), customers).unwrap();
    std::fs::write(input.join("documents.csv"), documents).unwrap();
    ok(dir.path(), &["import", input.to_str().unwrap()]);
    let ids = |o: std::process::Output| -> Vec<String> {
        stdout(&o)
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().to_string())
            .collect()
    };
    let by_name = export_stdout(dir.path(), AS_OF, "queue", &["--sort", "name:asc"]);
    assert_eq!(ids(by_name), ["A1", "A2", "E1", "E2", "L1", "L2", "Z1"]);
    let backwards = export_stdout(dir.path(), AS_OF, "queue", &["--sort", "name:desc"]);
    assert_eq!(ids(backwards), ["Z1", "L2", "L1", "E2", "E1", "A2", "A1"]);
    let found = ok(dir.path(), &["find", "--json", "a"]);
    let found: serde_json::Value = serde_json::from_str(&stdout(&found)).unwrap();
    let found = common::texts_of(&found["customers"], "id");
    // Every name but Lund Bygg's holds an "a".
    assert_eq!(found, ["A1", "A2", "E1", "E2", "L1", "Z1"]);
}

#[test]
fn activity_payments_promises_and_deductions_are_exported() {
    let dir = portfolio();
    // A note is dated by when it was written (today); the rest by their own dates in April.
    let path = export_to(dir.path(), "activity.xlsx", "2099-01-01", "activity", &[]);
    let activity = read(&path);
    let s = &activity[0];
    assert!(
        s.title().starts_with("Activity · as of 2099-01-01"),
        "{}",
        s.title()
    );
    // When each was recorded is a date-time cell (it was text), the time of day shown; the
    // CSV keeps the stamp as written.
    let at = s.col("Recorded at (UTC)");
    assert!(
        matches!(s.cell(2, at), Data::DateTime(_)),
        "{:?}",
        s.cell(2, at)
    );
    assert_eq!(s.num_format(2, at), "yyyy-mm-dd hh:mm:ss");
    let csv = stdout(&export_stdout(dir.path(), "2099-01-01", "activity", &[]));
    let stamp = csv_column(&csv, "kind", "note", "at").remove(0);
    assert!(
        chrono::NaiveDateTime::parse_from_str(&stamp, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
        "{stamp}"
    );
    let last = s.data_rows().end - 1;
    assert_eq!(s.shown(last, at), stamp.replace('T', " ").replace('Z', ""));
    let kinds: Vec<String> = s.data_rows().map(|r| s.text(r, s.col("What"))).collect();
    assert_eq!(
        kinds,
        ["promise", "issue", "issue", "issue resolved", "note"]
    );
    let customers: Vec<String> = s
        .data_rows()
        .map(|r| s.text(r, s.col("Customer ID")))
        .collect();
    assert_eq!(customers, ["K2", "K1", "K3", "K3", "K1"]);
    assert_eq!(s.number(2, s.col("Amount")), 500.0);
    assert_eq!(s.text(2, s.col("Currency")), "EUR");
    assert!(matches!(
        s.cell(2, s.col("Promised for or due")),
        Data::DateTime(_)
    ));
    // The note's text is kept as written: text cells are never formulas in xlsx.
    assert!(s.text(6, s.col("Text")).starts_with("Called, =cmd"));
    // As of 30 April the note has not been written yet.
    let april = read(&export(dir.path(), "activity", &[]));
    check_table(&april[0], "Activity");
    assert_eq!(april[0].data_rows().len(), 4);
    // Of one customer.
    let one = read(&export(dir.path(), "activity", &["--customer", "K3"]));
    assert_eq!(one[0].data_rows().len(), 2);
    assert!(one[0].title().contains("customer K3"));
    // Calls and attachments are records of the log too.
    let remittance = dir.path().join("remittance.txt");
    std::fs::write(&remittance, "paid INV-1001").unwrap();
    let as_alice = |args: &[&str]| {
        let mut all = vec!["--as", "alice"];
        all.extend(args);
        ok(dir.path(), &all);
    };
    as_alice(&[
        "call",
        "K1",
        "--outcome",
        "no_answer",
        "--contact",
        "Ana",
        "rang twice",
    ]);
    as_alice(&[
        "attach",
        "K1",
        remittance.to_str().unwrap(),
        "--text",
        "their remittance",
    ]);
    let s = &read(&export_to(
        dir.path(),
        "all.xlsx",
        "2099-01-01",
        "activity",
        &[],
    ))[0];
    let rows: Vec<(String, String, String)> = s
        .data_rows()
        .map(|r| {
            (
                s.text(r, s.col("What")),
                s.text(r, s.col("Reason, cycle or role")),
                s.text(r, s.col("Text")),
            )
        })
        .filter(|(kind, _, _)| kind == "call" || kind == "attachment")
        .collect();
    assert_eq!(
        rows,
        [
            ("call".into(), "no answer · Ana".into(), "rang twice".into()),
            (
                "attachment".into(),
                "remittance.txt".into(),
                "their remittance".into()
            ),
        ]
    );

    let payments = read(&export(dir.path(), "payments", &[]));
    let s = &payments[0];
    check_table(s, "Payments");
    let p2 = row_of(s, "P2");
    assert_eq!(s.number(p2, s.col("Not applied (payment currency)")), 50.0);
    let p3 = row_of(s, "P3");
    assert_eq!(s.text(p3, s.col("Status")), "failure");
    assert_eq!(
        s.number(p3, s.col("Received (USD)")),
        0.0,
        "a failure is no money"
    );
    assert_eq!(s.number(s.data_rows().end, s.col("Received (USD)")), 340.0);

    let promises = read(&export(dir.path(), "promises", &[]));
    let s = &promises[0];
    check_table(s, "Promises");
    assert_eq!(s.data_rows().len(), 1);
    // 500 promised for 20 April, nothing paid by 23 April (grace 3): broken at 30 April.
    assert_eq!(s.text(2, s.col("State")), "broken");
    assert_eq!(s.text(2, s.col("Customer")), "Lumen GmbH");

    let deductions = read(&export(dir.path(), "deductions", &[]));
    let s = &deductions[0];
    check_table(s, "Deductions");
    assert_eq!(
        s.data_rows().len(),
        1,
        "the pricing dispute is not a deduction"
    );
    assert_eq!(s.text(2, s.col("Reason")), "short payment");
    assert_eq!(s.text(2, s.col("State")), "resolved");
    assert_eq!(s.text(2, s.col("Outcome")), "valid");
    assert_eq!(s.text(2, s.col("Resolution")), "Credit note requested");
    assert_eq!(s.text(2, s.col("Documents")), "C1");
    assert_eq!(s.number(2, s.col("Amount")), 12.5);
    // As of the day before the resolve, it is open.
    let o = export_stdout(dir.path(), "2026-04-19", "deductions", &[]);
    assert!(stdout(&o).contains(",open,,,,,"), "{}", stdout(&o));
}

/// The documents workbook names each type in words, as the statement's does (`credit note`,
/// `debit note`; it showed `credit_note`), and its CSV as the import writes them; the
/// payments' methods likewise (`bank transfer`).
#[test]
fn the_documents_workbook_names_types_in_words_and_its_csv_as_the_import() {
    let dir = portfolio();
    let s = &read(&export(dir.path(), "payments", &[]))[0];
    assert_eq!(s.text(row_of(s, "P1"), s.col("Method")), "bank transfer");
    let csv = stdout(&export_stdout(dir.path(), AS_OF, "payments", &[]));
    assert_eq!(
        csv_column(&csv, "payment_id", "P1", "method"),
        ["bank_transfer"]
    );
    let s = &read(&export(dir.path(), "documents", &[]))[0];
    let csv = stdout(&export_stdout(dir.path(), AS_OF, "documents", &[]));
    for (id, machine, words) in [
        ("A1", "invoice", "invoice"),
        ("A2", "credit_note", "credit note"),
        ("C2", "debit_note", "debit note"),
    ] {
        assert_eq!(s.text(row_of(s, id), s.col("Type")), words, "{id}");
        assert_eq!(
            csv_column(&csv, "document_id", id, "type"),
            [machine],
            "{id}"
        );
    }
}

/// A deduction in euros beside one in dollars: each row has, last, its amount in the base
/// currency (at the rate of the day it was opened), so that the open ones add up to the
/// metrics' `open_deduction_amount`, the bar's "Open deductions". Without it the amounts,
/// USD and EUR mixed, could not be matched to it. The reason is in words in the workbook.
#[test]
fn the_deductions_export_has_the_base_amount_the_metrics_add_up() {
    let dir = portfolio();
    // Lumen (K2) bills in euros: 100.00 short on 16 April, at 1.12.
    alice_on(
        dir.path(),
        "2026-04-16",
        &[
            "dispute",
            "K2",
            "--reason",
            "short_payment",
            "--amount",
            "100",
            "--document",
            "B1",
        ],
    );
    let csv = stdout(&export_stdout(dir.path(), AS_OF, "deductions", &[]));
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",amount_USD"), "{header}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<(String, String, String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let last = r.len() - 1;
            (
                r[1].to_string(),
                r[5].to_string(),
                r[6].to_string(),
                r[9].to_string(),
                r[last].to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "K3".into(),
                "short_payment".into(),
                "USD".into(),
                "resolved".into(),
                "12.50".into()
            ),
            (
                "K2".into(),
                "short_payment".into(),
                "EUR".into(),
                "open".into(),
                "112.00".into()
            ),
        ]
    );
    let metrics = common::json_of(&ok(
        dir.path(),
        &["--as-of", AS_OF, "report", "metrics", "--json"],
    ));
    assert_eq!(metrics["open_deduction_amount"], "112.00");
    let sheets = read(&export(dir.path(), "deductions", &[]));
    let s = &sheets[0];
    assert_eq!(s.headers().last().unwrap(), "Amount (USD)");
    assert_eq!(s.column_formats(s.col("Amount (USD)")), [AMOUNT]);
    assert_eq!(s.number(s.data_rows().end, s.col("Amount (USD)")), 124.5);
    assert_eq!(s.text(3, s.col("Reason")), "short payment");
    check_about(&sheets, "Deductions", "Open deductions");
}

#[test]
fn the_statement_sheet_totals_to_the_balance_due() {
    let dir = portfolio();
    let sheets = checked_sheets(
        dir.path(),
        "statement",
        &["--customer", "K1"],
        "Statement of account",
    );
    let s = &sheets[0];
    assert!(
        s.title().contains("customer K1 Kite Supplies"),
        "{}",
        s.title()
    );
    // INV-100 60.00 open, CN-7 100.00 of credit: balance due −40.00.
    assert_eq!(s.number(s.data_rows().end, s.col("Open")), -40.0);
    check_about(&sheets, "Statement of account", "balance due");
}

/// A path that cannot be written is the user's to fix (exit 2, as a backup's is), and leaves
/// nothing behind.
#[test]
fn a_file_in_a_missing_folder_or_a_folder_is_refused_as_input() {
    let dir = portfolio();
    let missing = dir.path().join("no-such-folder").join("aging.xlsx");
    for (path, says) in [
        (missing.as_path(), "there is no folder"),
        (dir.path(), "it is a folder; name a file in it"),
    ] {
        let o = run(
            dir.path(),
            &[
                "export",
                "aging",
                "--format",
                "xlsx",
                "-o",
                path.to_str().unwrap(),
            ],
        );
        common::refused(&o, 2, says);
    }
    assert!(!missing.parent().unwrap().exists());
    let partial = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().ends_with(".partial"));
    assert!(!partial, "a partial file was left");
}

/// The hidden names an export writes beside its file before renaming it, left in `dir`.
fn partials_in(dir: &Path) -> Vec<String> {
    common::names_in(dir)
        .into_iter()
        .filter(|n| n.contains(".partial"))
        .collect()
}

/// `args` run with a reader on the FIFO `fifo`: what it read, and the run's output. A run
/// still going after a minute is killed (an `owed` waiting on the FIFO for a writer would
/// otherwise keep the test waiting for ever).
fn through_fifo(dir: &Path, fifo: &Path, args: &[&str]) -> (Vec<u8>, std::process::Output) {
    use std::io::Read;
    let reader = {
        let fifo = fifo.to_path_buf();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            std::fs::File::open(fifo)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            bytes
        })
    };
    let mut child = common::command_db(dir, dir.join("owed.db"), args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            // Lets the reader go: it sees a writer come and go.
            drop(std::fs::OpenOptions::new().write(true).open(fifo));
            panic!("owed {args:?} waited on the FIFO for a minute");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    (reader.join().unwrap(), output)
}

/// A FIFO is written straight into, never read first (which would wait for a writer that
/// never comes) and never replaced by a regular file: a reader on the other end gets the
/// CSV, the workbook or the PDF, and the FIFO is still a FIFO.
#[test]
fn an_export_to_a_fifo_streams_into_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = portfolio();
    let fifo = dir.path().join("to-the-mailer");
    let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let path = fifo.to_str().unwrap();
    let formats: [(&[&str], &[u8]); 3] = [
        (&["export", "aging", "--format", "csv"], b"customer_id,"),
        (&["export", "aging", "--format", "xlsx"], b"PK\x03\x04"),
        (&["statement", "K1"], b"%PDF-"),
    ];
    for (command, starts) in formats {
        let mut args = vec!["--as-of", AS_OF];
        args.extend(command);
        args.extend(["-o", path]);
        let (bytes, o) = through_fifo(dir.path(), &fifo, &args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(
            bytes.starts_with(starts),
            "{args:?}: {:?}",
            &bytes[..bytes.len().min(16)]
        );
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "the FIFO was replaced: {kind:?}");
    }
    assert!(partials_in(dir.path()).is_empty());
}

/// A link is followed: the file it points to is replaced (atomically, beside it), the link
/// stays a link; a link to nothing yet makes the file it names; a link to the database is
/// refused as the database is.
#[test]
fn an_export_to_a_link_writes_the_file_it_points_to() {
    let dir = portfolio();
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    let target = reports.join("target.csv");
    std::fs::write(&target, "yesterday's\n").unwrap();
    // A private file written over stays private (it was made world-readable).
    use std::os::unix::fs::PermissionsExt;
    let private = std::fs::Permissions::from_mode(0o600);
    std::fs::set_permissions(&target, private.clone()).unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    export_to(dir.path(), "link.csv", AS_OF, "aging", &[]);
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    let csv = std::fs::read_to_string(&target).unwrap();
    assert!(csv.starts_with("customer_id,"), "{csv}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&target), 0o600);
    // A relative link to a file not there yet.
    let dangling = dir.path().join("later.csv");
    std::os::unix::fs::symlink("reports/later-target.csv", &dangling).unwrap();
    export_to(dir.path(), "later.csv", AS_OF, "aging", &[]);
    assert!(std::fs::symlink_metadata(&dangling).unwrap().is_symlink());
    assert!(
        std::fs::read_to_string(reports.join("later-target.csv"))
            .unwrap()
            .starts_with("customer_id,")
    );
    // A link to the database.
    let to_db = dir.path().join("ledger.csv");
    std::os::unix::fs::symlink(dir.path().join("owed.db"), &to_db).unwrap();
    let o = run(
        dir.path(),
        &["export", "aging", "-o", to_db.to_str().unwrap()],
    );
    refused(&o, 2, "is a database (or one of its files)");
    assert!(partials_in(dir.path()).is_empty());
    assert!(partials_in(&reports).is_empty());
}

/// What is neither a file, a FIFO nor a character device (a socket here) is refused in one
/// sentence, exit 2, and left as it was.
#[test]
fn an_export_to_a_socket_is_refused() {
    use std::os::unix::fs::FileTypeExt;
    let dir = portfolio();
    let socket = dir.path().join("agent.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let path = socket.to_str().unwrap();
    for args in [
        vec!["export", "aging", "--format", "csv", "-o", path],
        vec!["--as-of", AS_OF, "statement", "K1", "-o", path],
    ] {
        let o = run(dir.path(), &args);
        let err = refused(&o, 2, "it is a socket; name a file");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let kind = std::fs::symlink_metadata(&socket).unwrap().file_type();
    assert!(kind.is_socket(), "{kind:?}");
}

/// An export killed part-way (`kill -9`, a power cut) leaves its hidden file beside the
/// target: the next export to that name clears those of processes no longer running — a
/// running process's own stays, as does another name's — also when the name is relative.
#[cfg(target_os = "linux")]
#[test]
fn an_export_clears_what_a_killed_one_left_behind() {
    let dir = portfolio();
    // A process id past any that runs (Linux's largest is 4194304).
    let dead = [
        ".aging.csv.4194999-0.partial",
        ".aging.csv.4194999-17.partial",
    ];
    let alive = format!(".aging.csv.{}-0.partial", std::process::id());
    let kept = [
        alive.as_str(),
        ".other.csv.4194999-0.partial",
        ".aging.csv.4194999-0.partial.mine",
    ];
    for name in dead.iter().chain(&kept) {
        std::fs::write(dir.path().join(name), b"an export cut short").unwrap();
    }
    let o = common::command_db(
        dir.path(),
        dir.path().join("owed.db"),
        &["--as-of", AS_OF, "export", "aging", "-o", "aging.csv"],
    )
    .current_dir(dir.path())
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names = common::names_in(dir.path());
    assert!(names.contains(&"aging.csv".to_string()), "{names:?}");
    for name in dead {
        assert!(!names.iter().any(|n| n == name), "{name} left: {names:?}");
    }
    for name in kept {
        assert!(names.iter().any(|n| n == name), "{name} cleared: {names:?}");
    }
}

/// `-o owed.db` by a slip of the keyboard must not replace the ledger with an export: the
/// database and its write-ahead log are refused, for a sheet and a statement alike, and the
/// database reads as before.
#[test]
fn an_export_never_writes_over_the_database() {
    let dir = portfolio();
    let db = dir.path().join("owed.db");
    let before = std::fs::read(&db).unwrap();
    // A copy of the database under another name is a database too.
    let copy = dir.path().join("ledger-copy");
    std::fs::copy(&db, &copy).unwrap();
    let wal = dir.path().join("owed.db-wal");
    std::fs::write(&wal, b"").unwrap();
    for target in [&db, &copy, &wal] {
        let path = target.to_str().unwrap();
        for args in [
            vec!["export", "aging", "--format", "csv", "-o", path],
            vec!["--as-of", AS_OF, "statement", "K1", "-o", path],
        ] {
            let o = run(dir.path(), &args);
            refused(&o, 2, "is a database (or one of its files)");
        }
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
    ok(dir.path(), &["report", "aging", "--json"]);
    // A file that merely ends like one of SQLite's, with no database beside it, is a file.
    export_to(
        dir.path(),
        "sales-journal",
        AS_OF,
        "aging",
        &["--format", "csv"],
    );
}

#[test]
fn dash_writes_csv_to_standard_output() {
    let dir = portfolio();
    let o = export_stdout(dir.path(), AS_OF, "documents", &[]);
    let text = stdout(&o);
    assert!(
        text.starts_with("document_id,number,type,customer_id,customer,"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 5);
    assert!(stderr(&o).is_empty(), "nothing but the CSV: {}", stderr(&o));
    // An xlsx cannot go there.
    let o = run(
        dir.path(),
        &["export", "aging", "--format", "xlsx", "-o", "-"],
    );
    refused(&o, 2, "standard output");
}

#[test]
fn formula_like_text_is_guarded_in_csv() {
    let dir = portfolio();
    let o = export_stdout(dir.path(), "2099-01-01", "activity", &[]);
    let text = stdout(&o);
    let note = text.lines().find(|l| l.contains(",note,")).unwrap();
    assert!(
        note.contains("Called, =cmd"),
        "only leading = is a formula: {note}"
    );
    let dir2 = tempfile::tempdir().unwrap();
    let files = write_fixture(&dir2.path().join("in"), |_, t| {
        t.replace("Kite Supplies", "=HYPERLINK(\"\"http://x\"\")")
    });
    let mut args = vec!["import".to_string()];
    args.extend(files.iter().map(|f| f.to_str().unwrap().to_string()));
    ok(
        dir2.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let o = ok(
        dir2.path(),
        &["--as-of", AS_OF, "export", "aging", "-o", "-"],
    );
    assert!(stdout(&o).contains("K1,\"'=HYPERLINK"), "{}", stdout(&o));
}

#[test]
fn the_plan_is_what_engage_plan_sends_then_what_it_skips() {
    let dir = portfolio();
    // K2 has no email address: its reminder is skipped.
    common::execute(
        &dir.path().join("owed.db"),
        "UPDATE customers SET email = NULL WHERE id = 'K2'",
    );
    let cycles = common::write_dunning_cycle(dir.path(), "Dear {{ customer.name }}");
    let cycles = cycles.to_str().unwrap();
    let planned = common::json_of(&ok(
        dir.path(),
        &[
            "--as-of", AS_OF, "engage", "plan", "--json", "--cycles", cycles,
        ],
    ));
    let planned = planned.as_array().unwrap();
    let sent: Vec<&serde_json::Value> = planned.iter().filter(|e| e["skipped"] != true).collect();
    assert!(!sent.is_empty());
    // Each says whose customer it goes to (K1 and K3 are alice's, K2 bob's), none when the
    // customer has no finance owner: `null`, as JSON says nothing.
    for e in planned {
        let owner = match e["customer_id"].as_str().unwrap() {
            "K2" => "bob",
            _ => "alice",
        };
        assert_eq!(e["owner"], owner, "{e}");
    }
    let text = stdout(&ok(
        dir.path(),
        &["--as-of", AS_OF, "engage", "plan", "--cycles", cycles],
    ));
    let header = text.lines().nth(1).unwrap();
    assert!(header.contains("customer  owner"), "{text}");
    let k1 = text.lines().find(|l| l.contains(" K1 ")).unwrap();
    assert!(k1.contains(" K1        alice "), "{text}");
    let csv = export_to(dir.path(), "plan.csv", AS_OF, "plan", &["--cycles", cycles]);
    let text = std::fs::read_to_string(csv).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), sent.len());
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    for (row, entry) in rows.iter().zip(&sent) {
        assert_eq!(row[col("cycle")], entry["cycle"]);
        assert_eq!(row[col("reminder")], entry["reminder"]);
        assert_eq!(row[col("customer_id")], entry["customer_id"]);
        assert_eq!(row[col("to")], entry["to"]);
        // Whose customer it goes to: the customer's finance owner, last (added after the
        // others, which programs may read by position).
        assert_eq!(row[col("owner")], entry["owner"]);
        assert_eq!(col("owner"), headers.len() - 1);
    }
    let sheets = read(&export(dir.path(), "plan", &["--cycles", cycles]));
    check_table(&sheets[0], "Engagement plan");
    assert_eq!(sheets[1].name, "Skipped");
    let skipped: Vec<&str> = planned
        .iter()
        .filter(|e| e["skipped"] == true)
        .map(|e| e["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["K2"]);
    let shown = format!("{:?}", sheets[1].values);
    assert!(shown.contains("K2") && shown.contains("address"), "{shown}");
    // A customer nobody owns: `null`.
    common::execute(
        &dir.path().join("owed.db"),
        "UPDATE customers SET finance_owner = NULL WHERE id = 'K1'",
    );
    let planned = common::json_of(&ok(
        dir.path(),
        &[
            "--as-of", AS_OF, "engage", "plan", "--json", "--cycles", cycles,
        ],
    ));
    let k1 = planned
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["customer_id"] == "K1")
        .unwrap();
    assert!(k1["owner"].is_null(), "{k1}");
}

#[test]
fn the_plan_of_one_finance_owner_is_their_customers_alone() {
    let dir = portfolio();
    let db = dir.path().join("owed.db");
    let cycles = common::write_dunning_cycle(dir.path(), "Dear {{ customer.name }}");
    let cycles = cycles.to_str().unwrap();
    let plan_of = |owner: Option<&str>| {
        let mut args = vec![
            "--as-of", AS_OF, "engage", "plan", "--json", "--cycles", cycles,
        ];
        args.extend(owner.map(|o| ["--owner", o]).into_iter().flatten());
        let o = ok(dir.path(), &args);
        let ids: Vec<String> = common::json_of(&o)
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["skipped"] != true)
            .map(|e| e["customer_id"].as_str().unwrap().to_string())
            .collect();
        (ids, stderr(&o))
    };
    let (everyone, _) = plan_of(None);
    assert!(everyone.len() >= 2, "{everyone:?}");
    // The first customer planned is carol's alone; the others are dan's.
    let carols = everyone[0].clone();
    common::execute(&db, "UPDATE customers SET finance_owner = 'dan'");
    common::execute(
        &db,
        &format!("UPDATE customers SET finance_owner = 'carol' WHERE id = '{carols}'"),
    );
    let (theirs, said) = plan_of(Some("Carol"));
    assert!(
        !theirs.is_empty() && theirs.iter().all(|id| *id == carols),
        "{theirs:?}"
    );
    assert!(!said.contains("finance owner"), "{said}");
    let (dans, _) = plan_of(Some("dan"));
    assert_eq!(dans.len() + theirs.len(), everyone.len());
    assert!(!dans.contains(&carols));

    // The export is the same plan, and its title says whose.
    let csv = export_to(
        dir.path(),
        "plan.csv",
        AS_OF,
        "plan",
        &["--cycles", cycles, "--owner", "carol"],
    );
    let text = std::fs::read_to_string(csv).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let exported: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[2].to_string())
        .collect();
    assert_eq!(exported, theirs, "{text}");
    let sheets = read(&export(
        dir.path(),
        "plan",
        &["--cycles", cycles, "--owner", "carol"],
    ));
    let title = format!("{:?}", sheets[0].values.get_value((0, 0)));
    assert!(title.contains("customers of carol"), "{title}");
}

#[test]
fn options_a_view_does_not_take_are_bad_input() {
    let dir = portfolio();
    for (args, says) in [
        (
            vec!["export", "aging", "--tab", "all", "-o", "x.csv"],
            "export queue only",
        ),
        (
            vec!["export", "aging", "--customer", "K1", "-o", "x.csv"],
            "--customer",
        ),
        (vec!["export", "statement", "-o", "x.csv"], "--customer ID"),
        (
            vec!["export", "statement", "--customer", "NOPE", "-o", "x.csv"],
            "no customer has the id `NOPE`",
        ),
        (
            vec!["export", "queue", "--tab", "someday", "-o", "x.csv"],
            "`someday` is not a tab (overdue, all, promises, followups, disputes, replies, risk)",
        ),
        (
            vec!["export", "queue", "--sort", "size", "-o", "x.csv"],
            // Every key the parser takes, `call` too.
            "`size` is not a sort key (overdue, days, outstanding, contact, name, risk, call)",
        ),
        (
            vec!["export", "queue", "--filter", "overdue>>1", "-o", "x.csv"],
            "--filter",
        ),
        (
            vec!["export", "aging", "--cycles", "c", "-o", "x.csv"],
            "--cycles applies to export plan only",
        ),
        (
            vec!["export", "engagement", "--owner", "alice", "-o", "x.csv"],
            "--owner does not apply to export engagement",
        ),
        (
            vec![
                "export",
                "plan",
                "--cycles",
                "no-such-folder",
                "-o",
                "x.csv",
            ],
            "cannot read the engagement cycles folder",
        ),
    ] {
        let o = run(dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert!(!dir.path().join("x.csv").exists());
    }
    // `--help` names every sort key and tab too (its text is typed, not derived).
    let help = run(dir.path(), &["export", "--help"]);
    let help = String::from_utf8_lossy(&help.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for names in [SortKey::names(), Tab::names()] {
        assert!(help.contains(&names), "{names} in {help}");
    }
}

/// A note longer than Excel holds in a cell (one pasted from a long email) is cut in the
/// workbook, saying so, and whole in the CSV: the export does not fail on it.
#[test]
fn a_note_longer_than_a_cell_holds_is_cut_in_the_workbook_and_whole_in_csv() {
    let dir = portfolio();
    let long = format!("Forwarded thread: {}", "remittance advice ".repeat(3_000));
    assert!(long.chars().count() > 32_767);
    ok(dir.path(), &["note", "K3", &long]);
    let path = export_to(dir.path(), "long.xlsx", "2099-01-01", "activity", &[]);
    let sheets = read(&path);
    let s = &sheets[0];
    let text = s
        .data_rows()
        .map(|r| s.text(r, s.col("Text")))
        .find(|t| t.starts_with("Forwarded thread"))
        .expect("the note is exported");
    assert_eq!(text.chars().count(), 32_767);
    assert!(text.starts_with(&long[..1_000]));
    assert!(
        text.ends_with(&format!(
            " … [cut: Excel holds 32767 characters in a cell; this text has {}, and the CSV \
             export or owed activity has it whole]",
            long.trim_end().chars().count()
        )),
        "{}",
        &text[text.len() - 200..]
    );
    let csv = stdout(&export_stdout(dir.path(), "2099-01-01", "activity", &[]));
    assert!(csv.contains(long.trim_end()), "the CSV has it whole");
}

/// The activity export is the record: a note keeps its lines (it was flattened to one line,
/// every run of white space one space), in the CSV and the workbook alike.
#[test]
fn a_notes_lines_are_kept_in_the_activity_export() {
    let dir = portfolio();
    let note = "line one\nline \"two\", with comma\n=line three";
    ok(dir.path(), &["note", "K3", note]);
    let csv = stdout(&export_stdout(dir.path(), "2099-01-01", "activity", &[]));
    let texts = csv_column(&csv, "customer_id", "K3", "text");
    assert!(texts.iter().any(|t| t == note), "{texts:?}");
    let sheets = read(&export_to(
        dir.path(),
        "lines.xlsx",
        "2099-01-01",
        "activity",
        &[],
    ));
    let s = &sheets[0];
    assert!(
        s.data_rows().any(|r| s.text(r, s.col("Text")) == note),
        "the workbook keeps the lines"
    );
}

/// A ledger of `files` (`(name, CSV text)`) imported into a new database.
fn ledger(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::write_files(&dir.path().join("in"), files);
    let mut args = vec!["import".to_string()];
    args.extend(
        files
            .iter()
            .map(|(name, _)| dir.path().join("in").join(name).display().to_string()),
    );
    ok(
        dir.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    dir
}

/// The text of a PDF's pages, whitespace runs as single spaces.
/// The text of `customer`'s statement PDF as of `as_of`, written by `owed statement`.
fn statement_pdf(dir: &Path, as_of: &str, customer: &str) -> String {
    let pdf = dir.join(format!("{customer}.pdf"));
    let path = pdf.to_str().unwrap();
    ok(dir, &["--as-of", as_of, "statement", customer, "-o", path]);
    pdf_text(&pdf)
}

fn pdf_text(path: &Path) -> String {
    let doc = lopdf::Document::load_mem(&std::fs::read(path).unwrap()).unwrap();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).unwrap();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `ledger(files)` in which the documents `finer` name (id, amount in the store's
/// ten-thousandths) hold amounts finer than their currency, as an import kept them before it
/// refused such amounts: what is shown of them is still rounded.
fn ledger_with_finer_amounts(files: &[(&str, &str)], finer: &[(&str, i64)]) -> tempfile::TempDir {
    let dir = ledger(files);
    for (id, units) in finer {
        common::execute(
            &dir.path().join("owed.db"),
            &format!("UPDATE documents SET amount = {units} WHERE id = '{id}'"),
        );
    }
    dir
}

/// Documents G1 in dollars, E1 in euros, all due 1 June 2026; imported in whole cents, then
/// given fractions of a cent by [`HALF_CENT_AMOUNTS`].
const HALF_CENTS: &[(&str, &str)] = &[
    (
        "customers.csv",
        "id,name,email,currency\nG1,Gamma,g@x.example,USD\nE1,Epsilon,e@x.example,EUR\n",
    ),
    (
        "documents.csv",
        "id,customer_id,type,number,doc_date,due_date,amount,currency\n\
         D1,G1,invoice,N1,2026-05-01,2026-06-01,10.13,USD\n\
         D2,G1,invoice,N2,2026-05-01,2026-06-01,10.14,USD\n\
         D3,G1,invoice,N3,2026-05-01,2026-06-01,0.01,USD\n\
         D4,G1,invoice,N4,2026-05-01,2026-06-01,0.01,USD\n\
         D5,G1,invoice,N5,2026-05-01,2026-06-01,0.01,USD\n\
         F1,E1,invoice,NE,2026-05-01,2026-06-01,0.01,EUR\n",
    ),
    (
        "exchange_rates.csv",
        "date,currency,rate\n2026-01-01,EUR,2\n",
    ),
];

/// 10.125, 10.135 and 0.005 dollars three times; 0.0050 euros.
const HALF_CENT_AMOUNTS: &[(&str, i64)] = &[
    ("D1", 101_250),
    ("D2", 101_350),
    ("D3", 50),
    ("D4", 50),
    ("D5", 50),
    ("F1", 50),
];

/// Every amount shown is rounded half away from zero to the currency's cents, and every
/// total is the sum of the figures listed under it: G1 owes 10.13 + 10.14 + 0.01 × 3 =
/// 20.30 (not 20.275 rounded, 20.28) in the aging, the statement PDF, its CSV and its
/// workbook, and a document's own-currency balance reads as its base-currency one.
#[test]
fn amounts_are_rounded_half_away_from_zero_and_totals_add_the_lines_shown() {
    let dir = ledger_with_finer_amounts(HALF_CENTS, HALF_CENT_AMOUNTS);
    let d = dir.path();
    let as_of = "2026-06-30";
    let aging = common::json_of(&ok(d, &["--as-of", as_of, "report", "aging", "--json"]));
    assert_eq!(common::aging_row(&aging, "G1")["outstanding"], "20.30");

    let lines = ["10.13", "10.14", "0.01", "0.01", "0.01"];
    let text = statement_pdf(d, as_of, "G1");
    for want in [
        "Open items USD 20.30",
        "of which overdue USD 20.30",
        "Balance due USD 20.30",
        "USD 0.00 20.30 0.00 0.00 0.00 0.00 20.30",
        "N1 Invoice 2026-05-01 2026-06-01 29 USD 10.13 10.13",
        "N2 Invoice 2026-05-01 2026-06-01 29 USD 10.14 10.14",
        "N3 Invoice 2026-05-01 2026-06-01 29 USD 0.01 0.01",
    ] {
        assert!(text.contains(want), "{want:?} missing from {text}");
    }

    let csv = stdout(&export_stdout(
        d,
        as_of,
        "statement",
        &["--customer", "G1", "--format", "csv"],
    ));
    assert_eq!(csv_column(&csv, "currency", "USD", "open"), lines, "{csv}");
    assert_eq!(
        csv_column(&csv, "currency", "USD", "amount"),
        lines,
        "{csv}"
    );

    let sheets = read(&export_to(
        d,
        "g.xlsx",
        as_of,
        "statement",
        &["--customer", "G1"],
    ));
    let s = &sheets[0];
    let open = s.col("Open");
    let shown: Vec<f64> = s.data_rows().map(|r| s.number(r, open)).collect();
    assert_eq!(shown, [10.13, 10.14, 0.01, 0.01, 0.01]);
    assert!((s.number(s.data_rows().end, open) - 20.30).abs() < 1e-9);

    // The documents export: the balance in the document's currency and in the base currency
    // are one figure for a dollar document; a euro half cent is a cent.
    let docs = stdout(&export_stdout(d, as_of, "documents", &["--format", "csv"]));
    assert_eq!(csv_column(&docs, "customer_id", "G1", "balance"), lines);
    assert_eq!(csv_column(&docs, "customer_id", "G1", "balance_USD"), lines);
    assert_eq!(csv_column(&docs, "customer_id", "E1", "balance"), ["0.01"]);
    assert_eq!(
        csv_column(&docs, "customer_id", "E1", "balance_USD"),
        ["0.01"]
    );

    // EUR 0.0050 is EUR 0.01 on E1's statement, in the PDF and in the CSV alike.
    assert!(statement_pdf(d, as_of, "E1").contains("Balance due EUR 0.01"));
    let csv = stdout(&export_stdout(d, as_of, "statement", &["--customer", "E1"]));
    assert_eq!(csv_column(&csv, "currency", "EUR", "open"), ["0.01"]);
}

/// Documents in currencies whose minor units are not cents: yen (none) and Kuwaiti dinars
/// (three), in a ledger kept in dollars; Y1 and K1 are given finer amounts by
/// [`FINER_THAN_MINOR_UNITS`].
const MINOR_UNITS: &[(&str, &str)] = &[
    (
        "customers.csv",
        "id,name,email,currency\nJ1,Jay,j@x.example,JPY\nW1,Wadi,w@x.example,KWD\n",
    ),
    (
        "documents.csv",
        "id,customer_id,type,number,doc_date,due_date,amount,currency\n\
         Y1,J1,invoice,NY1,2026-05-01,2026-06-01,123457,JPY\n\
         Y2,J1,invoice,NY2,2026-05-01,2026-06-01,10000,JPY\n\
         K1,W1,invoice,NK1,2026-05-01,2026-06-01,1.235,KWD\n",
    ),
    (
        "exchange_rates.csv",
        "date,currency,rate\n2026-01-01,JPY,0.0067\n2026-01-01,KWD,3.25\n",
    ),
];

/// 123456.5 yen and 1.2345 dinars.
const FINER_THAN_MINOR_UNITS: &[(&str, i64)] = &[("Y1", 1_234_565_000), ("K1", 12_345)];

/// An amount is shown with its currency's minor units in CSV and xlsx, as in the PDF: yen
/// without decimals (123456.5 is 123457), dinars with three (1.2345 is 1.235), the dollars
/// they convert to with two; in xlsx the number format has as many decimals, totals too.
#[test]
fn amounts_have_their_currencys_minor_units() {
    let dir = ledger_with_finer_amounts(MINOR_UNITS, FINER_THAN_MINOR_UNITS);
    let d = dir.path();
    let as_of = "2026-06-30";
    let docs = stdout(&export_stdout(d, as_of, "documents", &["--format", "csv"]));
    for column in ["amount", "balance"] {
        assert_eq!(
            csv_column(&docs, "customer_id", "J1", column),
            ["123457", "10000"],
            "{docs}"
        );
        assert_eq!(csv_column(&docs, "customer_id", "W1", column), ["1.235"]);
    }
    // 123456.5 × 0.0067 = 827.1586; 10000 × 0.0067 = 67; 1.2345 × 3.25 = 4.012125.
    assert_eq!(
        csv_column(&docs, "customer_id", "J1", "balance_USD"),
        ["827.16", "67.00"]
    );
    assert_eq!(
        csv_column(&docs, "customer_id", "W1", "balance_USD"),
        ["4.01"]
    );

    let statement = stdout(&export_stdout(
        d,
        as_of,
        "statement",
        &["--customer", "J1", "--format", "csv"],
    ));
    for column in ["amount", "open"] {
        assert_eq!(
            csv_column(&statement, "currency", "JPY", column),
            ["123457", "10000"],
            "{statement}"
        );
    }

    let sheets = read(&export_to(
        d,
        "j1.xlsx",
        as_of,
        "statement",
        &["--customer", "J1"],
    ));
    let s = &sheets[0];
    workbook::check_table(s, "Statement of account", as_of);
    for header in ["Amount", "Open"] {
        assert_eq!(s.column_formats(s.col(header)), ["#,##0"], "{header}");
    }
    let total = s.data_rows().end;
    assert_eq!(s.num_format(total, s.col("Open")), "#,##0");
    assert_eq!(s.number(total, s.col("Open")), 133_457.0);

    // A customer owing in yen and in dinars has no one balance due: the statement's open
    // amounts are not added up (12,345 yen and 1.235 dinars are not 12,346.235 of anything).
    let mixed = ledger(&[
        (
            "customers.csv",
            "id,name,email,currency\nX1,Xi,x@x.example,JPY\n",
        ),
        (
            "documents.csv",
            "id,customer_id,type,number,doc_date,due_date,amount,currency
\
             X1,X1,invoice,NX1,2026-05-01,2026-06-01,12345,JPY\n\
             X2,X1,invoice,NX2,2026-05-01,2026-06-01,1.235,KWD\n",
        ),
        (
            "exchange_rates.csv",
            "date,currency,rate\n2026-01-01,JPY,0.0067\n2026-01-01,KWD,3.25\n",
        ),
    ]);
    let sheets = read(&export_to(
        mixed.path(),
        "x1.xlsx",
        as_of,
        "statement",
        &["--customer", "X1"],
    ));
    let s = &sheets[0];
    workbook::check_table(s, "Statement of account", as_of);
    assert_eq!(s.data_rows().len(), 2);
    let below = s.data_rows().end;
    assert!(
        (0..9).all(|c| s.text(below, c).is_empty()),
        "nothing below the lines: {:?}",
        (0..9).map(|c| s.text(below, c)).collect::<Vec<_>>()
    );

    let sheets = read(&export_to(d, "docs.xlsx", as_of, "documents", &[]));
    let s = &sheets[0];
    workbook::check_table(s, "Documents", as_of);
    let row = |id: &str| s.data_rows().find(|&r| s.text(r, 0) == id).unwrap();
    for header in ["Amount (document currency)", "Open (document currency)"] {
        let c = s.col(header);
        assert_eq!(s.num_format(row("Y1"), c), "#,##0", "{header}");
        assert_eq!(s.number(row("Y1"), c), 123_457.0, "{header}");
        assert_eq!(s.num_format(row("K1"), c), "#,##0.000", "{header}");
        assert_eq!(s.number(row("K1"), c), 1.235, "{header}");
    }
    assert_eq!(s.column_formats(s.col("Open (USD)")), [AMOUNT]);
    assert_eq!(s.num_format(s.data_rows().end, s.col("Open (USD)")), AMOUNT);
}

/// One customer: 700.00 billed and paid in March, 100.00 billed in March and due on the
/// 15th, still open.
const RATIOS: &[(&str, &str)] = &[
    (
        "customers.csv",
        "id,name,email,currency\nM1,Mu,m@x.example,USD\n",
    ),
    (
        "documents.csv",
        "id,customer_id,type,number,doc_date,due_date,amount,currency\n\
         I1,M1,invoice,N1,2026-03-01,2026-03-15,100.00,USD\n\
         I2,M1,invoice,N2,2026-03-01,2026-03-10,700.00,USD\n",
    ),
    (
        "payments.csv",
        "id,customer_id,date,amount,currency,status,method\n\
         P1,M1,2026-03-20,700.00,USD,success,bank_transfer\n",
    ),
    (
        "applications.csv",
        "source_id,document_id,amount,date\nP1,I2,700.00,2026-03-20\n",
    ),
];

/// The ratios of `report metrics --json` (README: "strings with one decimal") always have
/// one decimal, an exact half rounded away from zero, and the metrics CSV and workbook say
/// the same. Worked by hand (docs/arithmetic.md), AR 100, none of it current, sales 800 in
/// March:
/// - 31 March: ADD = 100 ÷ 800 × 90 days (January to March) = 11.25 → 11.3 (not 11.2);
///   DSO = 100 ÷ 800 × 31 = 3.875 → 3.9; CEI = (0 + 800 − 100) ÷ (0 + 800 − 0) = 87.5 %.
/// - 30 April: CEI = (100 + 0 − 100) ÷ (100 + 0 − 0) = 0 → 0.0 (not 0); DSO = 30 + 3.875 =
///   33.875 → 33.9; ADD = 100 ÷ 800 × 89 = 11.125 → 11.1.
#[test]
fn ratios_have_one_decimal_rounded_half_away_from_zero() {
    let dir = ledger(RATIOS);
    let d = dir.path();
    for (as_of, dso, add, cei) in [
        ("2026-03-31", "3.9", "11.3", "87.5"),
        ("2026-04-30", "33.9", "11.1", "0.0"),
    ] {
        let json = common::json_of(&ok(d, &["--as-of", as_of, "report", "metrics", "--json"]));
        for (key, want) in [("dso", dso), ("average_days_delinquent", add), ("cei", cei)] {
            assert_eq!(json[key], want, "{as_of} {key}: {json}");
        }
        let text = stdout(&ok(d, &["--as-of", as_of, "report", "metrics"]));
        assert!(text.contains(&format!("{add} days")), "{text}");
        assert!(text.contains(&format!("{cei} %")), "{text}");

        let csv = stdout(&export_stdout(d, as_of, "metrics", &["--format", "csv"]));
        let file = format!("metrics-{as_of}.xlsx");
        let sheets = read(&export_to(d, &file, as_of, "metrics", &[]));
        let s = &sheets[0];
        for (key, want) in [("dso", dso), ("average_days_delinquent", add), ("cei", cei)] {
            assert_eq!(csv_column(&csv, "metric", key, "value"), [want], "{csv}");
            let points: f64 = want.parse().unwrap();
            let shown = if key == "cei" { points / 100.0 } else { points };
            let row = s.data_rows().find(|&r| s.text(r, 0) == key).unwrap();
            assert!((s.number(row, 2) - shown).abs() < 1e-9, "{as_of} {key}");
        }
    }
}

/// Days overdue are signed wherever a documents export or a statement's CSV or workbook
/// shows them (docs/arithmetic.md: "due today is 0 days overdue; due tomorrow is −1"): as of
/// 30 June, due 29 June is 1, due 30 June 0, due 1 July −1; a credit note has none.
#[test]
fn days_overdue_are_signed_before_the_due_date() {
    let dir = sigma(
        "A,S1,invoice,NA,2026-06-01,2026-06-29,1.00,USD\n\
         B,S1,invoice,NB,2026-06-01,2026-06-30,2.00,USD\n\
         C,S1,invoice,NC,2026-06-01,2026-07-01,3.00,USD\n\
         R,S1,credit_note,NR,2026-06-01,,4.00,USD\n",
        None,
    );
    let (docs, statement, sheets) = sigma_exports(dir.path());
    let days = [("A", "1"), ("B", "0"), ("C", "-1"), ("R", "")];
    for (id, want) in days {
        assert_eq!(
            csv_column(&docs, "document_id", id, "days_overdue"),
            [want],
            "{docs}"
        );
        assert_eq!(
            csv_column(&statement, "id", id, "days_overdue"),
            [want],
            "{statement}"
        );
    }
    let s = &sheets[0];
    let c = s.col("Days overdue");
    for (id, want) in days {
        let row = row_with_id(s, id);
        let shown = match want {
            "" => Data::Empty,
            n => Data::Float(n.parse().unwrap()),
        };
        assert_eq!(s.cell(row, c), shown, "{id}");
    }

    // The contract fixture's own table: C2, due 25 May, is −25 days overdue on 30 April.
    let dir = portfolio();
    let docs = stdout(&export_stdout(dir.path(), AS_OF, "documents", &[]));
    assert_eq!(
        csv_column(&docs, "document_id", "C2", "days_overdue"),
        ["-25"]
    );
}

/// Excel counts a cell's characters in UTF-16 units, two for an emoji: a note of 20,000
/// emoji (under 32,767 characters, 40,000 units) failed the whole export ("String exceeds
/// Excel's limit"). It is cut like any other long text, on a whole character, and its length
/// is said as Excel counts it.
#[test]
fn a_note_of_emoji_longer_than_a_cell_holds_is_cut_not_refused() {
    let dir = portfolio();
    let long = "😀".repeat(20_000);
    ok(dir.path(), &["note", "K3", &long]);
    let path = export_to(dir.path(), "emoji.xlsx", "2099-01-01", "activity", &[]);
    let sheets = read(&path);
    let s = &sheets[0];
    let text = s
        .data_rows()
        .map(|r| s.text(r, s.col("Text")))
        .find(|t| t.starts_with('😀'))
        .expect("the note is exported");
    assert_eq!(
        text.encode_utf16().count(),
        32_767,
        "as many units as a cell holds"
    );
    assert!(
        text.ends_with(
            " … [cut: Excel holds 32767 characters in a cell; this text has 40000, \
                        and the CSV export or owed activity has it whole]"
        ),
        "{}",
        text.chars().rev().take(150).collect::<String>()
    );
}

/// The promises export has, beside each promise's amount, paid and remaining in its own
/// currency, the same in the base currency (at the rate of the day it was recorded) and what
/// is open of it: the open column adds up, in the CSV and in the workbook's total row, to
/// the metrics' open promises (`open_p2p_amount`) at the same as-of date, whatever the
/// currencies.
#[test]
fn the_promises_export_adds_up_to_the_metrics_open_promises() {
    let dir = portfolio();
    // Lumen (K2) in euros (1.12 on 16 April), Kite (K1) in dollars: both open at 30 April.
    alice_on(
        dir.path(),
        "2026-04-16",
        &["promise", "K2", "--amount", "200", "--date", "2026-05-10"],
    );
    alice_on(
        dir.path(),
        "2026-04-28",
        &["promise", "K1", "--amount", "50", "--date", "2026-05-05"],
    );
    // On 18 April the first promise (500 EUR for 20 April) is open too; at 30 April broken.
    for (as_of, open) in [(AS_OF, 2), ("2026-04-18", 2)] {
        let csv = stdout(&export_stdout(dir.path(), as_of, "promises", &[]));
        let header = csv.lines().next().unwrap();
        assert!(
            header.ends_with(",amount_USD,paid_USD,remaining_USD,open_USD"),
            "{header}"
        );
        let cents = |text: &str| -> i64 {
            let d: owed::domain::Decimal = text.parse().unwrap();
            (d * owed::domain::Decimal::from(100)).try_into().unwrap()
        };
        let open_cells: Vec<String> = common::csv_column_all(&csv, "open_USD")
            .into_iter()
            .filter(|v| !v.is_empty())
            .collect();
        assert_eq!(open_cells.len(), open, "{csv}");
        let total: i64 = open_cells.iter().map(|v| cents(v)).sum();
        let metrics = common::json_of(&ok(
            dir.path(),
            &["--as-of", as_of, "report", "metrics", "--json"],
        ));
        let expected = cents(metrics["open_p2p_amount"].as_str().unwrap());
        assert!(expected > 0, "{metrics}");
        assert_eq!(total, expected, "as of {as_of}: {csv}");
        // The euro promise's amount in dollars at the day it was recorded.
        if as_of == AS_OF {
            assert_eq!(
                csv_column(&csv, "promised_date", "2026-05-10", "amount_USD"),
                ["224.00"]
            );
        }
        // The workbook: the same columns, the total row of the open one the same figure.
        let path = export_to(dir.path(), "promises.xlsx", as_of, "promises", &[]);
        let sheets = read(&path);
        let s = &sheets[0];
        let summed = workbook::check_table(s, "Promises", as_of);
        let col = s.col("Open (USD)");
        assert!(summed.contains(&col), "{:?}", s.headers());
        assert_eq!(s.column_formats(col), [AMOUNT]);
        assert_eq!(
            (s.number(s.data_rows().end, col) * 100.0).round() as i64,
            expected,
            "as of {as_of}"
        );
        for h in ["Amount (USD)", "Paid (USD)", "Remaining (USD)"] {
            assert!(s.headers().contains(&h.to_string()), "{:?}", s.headers());
        }
    }
}

/// Every workbook's title names who exported it and when, as its About sheet does; CSV, for
/// programs, has no title and stays as it was.
#[test]
fn a_workbook_says_who_exported_it_and_when() {
    let dir = portfolio();
    let path = dir.path().join("aging.xlsx");
    ok(
        dir.path(),
        &[
            "--as",
            "audrey",
            "--as-of",
            AS_OF,
            "export",
            "aging",
            "-o",
            path.to_str().unwrap(),
        ],
    );
    let sheets = read(&path);
    let title = sheets[0].title();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let said = format!("exported by audrey, {today} ");
    assert!(title.contains(&said) && title.ends_with(" UTC"), "{title}");
    let about = sheets.last().unwrap();
    let by = (0..about.values.height() as u32)
        .find(|&r| about.text(r, 0) == "Exported by")
        .map(|r| about.text(r, 1))
        .unwrap_or_default();
    assert!(by.starts_with(&format!("audrey, {today} ")), "{by}");
    let csv = stdout(&export_stdout(dir.path(), AS_OF, "aging", &[]));
    assert!(csv.starts_with("customer_id,"), "{csv}");
    assert!(!csv.contains("exported by"), "{csv}");
}

/// A voided promise's row said who voided it but not when or why: the reason a finance
/// reviewer looks for was only in `owed activity`.
#[test]
fn a_voided_promise_is_exported_with_when_and_why() {
    let dir = portfolio();
    ok(
        dir.path(),
        &["--as", "bob", "void-promise", "1", "Entered", "twice"],
    );
    let csv = stdout(&export_stdout(dir.path(), "2099-01-01", "promises", &[]));
    let column = |name| csv_column(&csv, "promise_id", "1", name);
    assert_eq!(column("state"), ["voided"]);
    assert_eq!(column("voided_by"), ["bob"]);
    assert_eq!(column("void_reason"), ["Entered twice"]);
    let at = column("voided_at").remove(0);
    assert!(
        chrono::NaiveDateTime::parse_from_str(&at, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
        "{at}"
    );
    // Before it was voided, the row has none of it.
    let before = stdout(&export_stdout(dir.path(), "2026-04-12", "promises", &[]));
    assert_eq!(csv_column(&before, "promise_id", "1", "void_reason"), [""]);
    assert_eq!(csv_column(&before, "promise_id", "1", "voided_at"), [""]);
}

/// Refusing an export onto a link (or a hard link) to a database this process has open does not open the
/// file: closing it would drop every lock the process holds on the database (POSIX locks are
/// the process's), and the next program to close the database deleted its log files under
/// the running one (an `owed serve` whose auditor exported onto such a link).
#[cfg(unix)]
#[test]
fn refusing_the_open_database_keeps_this_process_s_locks() {
    let dir = portfolio();
    let db = dir.path().join("owed.db");
    let store = owed::store::Store::open_existing(&db).unwrap();
    // By a link, and by a hard link: the same file under another name, with no log beside it.
    let link = dir.path().join("live.csv");
    std::os::unix::fs::symlink("owed.db", &link).unwrap();
    let hard = dir.path().join("live.xlsx");
    std::fs::hard_link(&db, &hard).unwrap();
    for name in [&link, &hard] {
        let e = owed::export::write_file(name, b"x").unwrap_err();
        assert!(e.to_string().contains("is a database"), "{e}");
    }
    // Another program opens and closes the database; it is not the last to close it. (The
    // system's SQLite, through Python, as the `sqlite3` shell would: the bundled one of owed
    // and rusqlite does not delete the log on close here, with or without the locks.)
    let Ok(other) = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1])\n\
             c.execute('SELECT count(*) FROM customers').fetchall()\n\
             c.close()",
        )
        .arg(&db)
        .output()
    else {
        eprintln!("no python3 here: the other program cannot be run");
        return;
    };
    assert!(other.status.success(), "{}", stderr(&other));
    assert!(dir.path().join("owed.db-wal").exists());
    assert!(dir.path().join("owed.db-shm").exists());
    drop(store);
}

/// A statement's CSV names each line's type as programs read it, the import's and `export
/// documents`' machine names (`debit_note`, `credit_note`), and its workbook in words
/// (`debit note`): the CSV wrote `debit note` and `credit note`.
#[test]
fn the_statement_csv_names_types_as_the_import_does() {
    let dir = sigma(
        "I,S1,invoice,NI,2026-06-01,2026-06-29,1.00,USD\n\
         D,S1,debit_note,ND,2026-06-01,2026-06-30,2.00,USD\n\
         R,S1,credit_note,NR,2026-06-01,,4.00,USD\n",
        Some("P,S1,2026-06-02,5.00,USD\n"),
    );
    let (docs, csv, sheets) = sigma_exports(dir.path());
    let types = [
        ("I", "invoice", "invoice"),
        ("D", "debit_note", "debit note"),
        ("R", "credit_note", "credit note"),
        ("P", "payment", "payment"),
    ];
    for (id, machine, _) in types {
        assert_eq!(csv_column(&csv, "id", id, "type"), [machine], "{csv}");
        if id != "P" {
            assert_eq!(
                csv_column(&docs, "document_id", id, "type"),
                [machine],
                "{docs}"
            );
        }
    }
    let s = &sheets[0];
    for (id, _, words) in types {
        let row = row_with_id(s, id);
        assert_eq!(s.text(row, s.col("Type")), words, "{id}");
    }
}

/// Sigma (S1, USD) with these document rows (and payment rows), for the statement tests.
fn sigma(documents: &str, payments: Option<&str>) -> tempfile::TempDir {
    let documents =
        format!("id,customer_id,type,number,doc_date,due_date,amount,currency\n{documents}");
    let mut files = vec![
        (
            "customers.csv",
            "id,name,email,currency\nS1,Sigma,s@x.example,USD\n".to_string(),
        ),
        ("documents.csv", documents),
    ];
    if let Some(rows) = payments {
        files.push((
            "payments.csv",
            format!("id,customer_id,date,amount,currency\n{rows}"),
        ));
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(n, c)| (*n, c.as_str())).collect();
    ledger(&files)
}

/// As of 30 June 2026: the documents export and Sigma's statement as CSV, and its workbook.
fn sigma_exports(d: &Path) -> (String, String, Vec<Sheet>) {
    let as_of = "2026-06-30";
    let docs = stdout(&export_stdout(d, as_of, "documents", &["--format", "csv"]));
    let statement = stdout(&export_stdout(
        d,
        as_of,
        "statement",
        &["--customer", "S1", "--format", "csv"],
    ));
    let sheets = read(&export_to(
        d,
        "s1.xlsx",
        as_of,
        "statement",
        &["--customer", "S1"],
    ));
    (docs, statement, sheets)
}

/// The workbook row whose ID column holds `id`.
fn row_with_id(s: &Sheet, id: &str) -> u32 {
    s.data_rows()
        .find(|&r| s.text(r, s.col("ID")) == id)
        .unwrap_or_else(|| panic!("no row {id}"))
}

/// A deduction written off: the CSV names the outcome as `owed resolve --outcome` and
/// `owed activity --json` do (`written_off`, beside the reason `short_payment`), the
/// activity export's `outcome` too; the workbooks, for people, in words (`written off`).
#[test]
fn csv_exports_name_a_written_off_outcome_as_the_command_line_does() {
    let dir = portfolio();
    ok(
        dir.path(),
        &[
            "--as-of",
            "2026-04-21",
            "dispute",
            "K2",
            "--reason",
            "short_payment",
            "--amount",
            "20",
            "--document",
            "B1",
        ],
    );
    ok(
        dir.path(),
        &[
            "--as-of",
            "2026-04-22",
            "resolve",
            "3",
            "--outcome",
            "written_off",
            "wo",
        ],
    );
    let csv = stdout(&export_stdout(dir.path(), AS_OF, "deductions", &[]));
    assert_eq!(
        csv_column(&csv, "issue_id", "3", "outcome"),
        ["written_off"],
        "{csv}"
    );
    assert_eq!(csv_column(&csv, "issue_id", "2", "outcome"), ["valid"]);
    let s = &read(&export(dir.path(), "deductions", &[]))[0];
    let row = (2..s.data_rows().end)
        .find(|&r| s.text(r, s.col("Resolution")) == "wo")
        .unwrap();
    assert_eq!(s.text(row, s.col("Outcome")), "written off");
    let csv = stdout(&export_stdout(dir.path(), AS_OF, "activity", &[]));
    assert_eq!(
        csv_column(&csv, "kind", "issue resolved", "outcome"),
        ["valid", "written_off"],
        "{csv}"
    );
    let s = &read(&export(dir.path(), "activity", &[]))[0];
    let outcomes: Vec<String> = s
        .data_rows()
        .map(|r| s.text(r, s.col("Outcome")))
        .filter(|o| !o.is_empty())
        .collect();
    assert_eq!(outcomes, ["valid", "written off"]);
}

#[test]
fn the_activity_export_takes_a_period_and_who_did_it() {
    let dir = portfolio();
    ok(
        dir.path(),
        &[
            "--as-of",
            "2026-04-13",
            "--as",
            "Bob",
            "promise",
            "K1",
            "--amount",
            "5",
            "--date",
            "2026-04-30",
        ],
    );
    // (date, kind, who) of each row of the CSV.
    let rows = |extra: &[&str]| -> Vec<(String, String, String)> {
        let csv = stdout(&export_stdout(dir.path(), AS_OF, "activity", extra));
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].to_string(), r[2].to_string(), r[5].to_string())
            })
            .collect()
    };
    let row = |d: &str, k: &str, w: &str| (d.to_string(), k.to_string(), w.to_string());
    // From and to are days included, by each entry's own date.
    assert_eq!(
        rows(&["--from", "2026-04-13", "--to", "2026-04-15"]),
        [
            row("2026-04-13", "promise", "Bob"),
            row("2026-04-14", "issue", "alice"),
            row("2026-04-15", "issue", "alice"),
        ]
    );
    assert_eq!(
        rows(&["--from", "2026-04-15"]),
        [
            row("2026-04-15", "issue", "alice"),
            row("2026-04-20", "issue resolved", "alice"),
        ]
    );
    assert_eq!(
        rows(&["--to", "2026-04-12"]),
        [row("2026-04-12", "promise", "alice")]
    );
    // Who did it, as names are compared everywhere: without regard to case.
    assert_eq!(
        rows(&["--by", "bob"]),
        [row("2026-04-13", "promise", "Bob")]
    );
    assert_eq!(
        rows(&["--by", "alice", "--to", "2026-04-14", "--customer", "K1"]),
        [row("2026-04-14", "issue", "alice")]
    );
    // The workbook's title row names the filter.
    let sheets = read(&export(
        dir.path(),
        "activity",
        &[
            "--from",
            "2026-04-13",
            "--to",
            "2026-04-15",
            "--by",
            "alice",
        ],
    ));
    check_table(&sheets[0], "Activity");
    assert!(
        sheets[0]
            .title()
            .contains("· every customer, dated 2026-04-13 to 2026-04-15, by alice · exported by "),
        "{}",
        sheets[0].title()
    );
    assert_eq!(sheets[0].data_rows().len(), 2);
    // Bad values: one sentence, exit 2, nothing written.
    let out = dir.path().join("never.csv");
    let never = out.to_str().unwrap();
    for (args, said) in [
        (
            vec!["export", "activity", "--from", "2026-04-31", "-o", never],
            "`2026-04-31` is not a valid date: April has 30 days",
        ),
        (
            vec![
                "export",
                "activity",
                "--from",
                "2026-04-15",
                "--to",
                "2026-04-12",
                "-o",
                never,
            ],
            "--from 2026-04-15 is after --to 2026-04-12: give the earlier day first",
        ),
        (
            vec!["export", "documents", "--by", "alice", "-o", never],
            "--from, --to and --by apply to export activity only",
        ),
        (
            vec!["export", "activity", "--by", " ", "-o", never],
            "--by needs a name: who recorded the entries",
        ),
    ] {
        let o = run(dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(said), "{args:?}: {}", stderr(&o));
        assert!(!out.exists());
    }
}

/// The customer ids in the column `customer_id` of `csv`, each once, in the order read.
fn customer_ids_in(csv: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in common::csv_column_all(csv, "customer_id") {
        if ids.last() != Some(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Customers are listed by their ids as documents are by their numbers, the numbers inside by
/// value: K2 before K10 in `export documents` and `export aging` and the aging report, where
/// the order of the characters put K10 between K1 and K2.
#[test]
fn customers_are_listed_by_the_value_of_the_numbers_in_their_ids() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_fixture(&dir.path().join("in"), |_, t| t.replace("K3", "K10"));
    let mut args = vec!["import".to_string()];
    args.extend(files.iter().map(|f| f.to_str().unwrap().to_string()));
    ok(
        dir.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let by_value = ["K1", "K2", "K10"];
    for view in ["documents", "aging"] {
        let csv = stdout(&export_stdout(dir.path(), AS_OF, view, &[]));
        assert_eq!(customer_ids_in(&csv), by_value, "{view}: {csv}");
    }
    let text = stdout(&ok(dir.path(), &["--as-of", AS_OF, "report", "aging"]));
    let listed: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| by_value.contains(w))
        .collect();
    assert_eq!(listed, by_value, "{text}");
    // The plan: within each reminder, its customers by id so (K10's debit note due on 25
    // April, so that all three are reminded by the same one).
    common::execute(
        &dir.path().join("owed.db"),
        "UPDATE documents SET due_date = due_date - 30 WHERE id = 'C2'",
    );
    let cycles = common::write_dunning_cycle(dir.path(), "Dear {{ customer.name }}");
    let planned = common::json_of(&ok(
        dir.path(),
        &[
            "--as-of",
            AS_OF,
            "engage",
            "plan",
            "--json",
            "--cycles",
            cycles.to_str().unwrap(),
        ],
    ));
    let key = |e: &serde_json::Value| {
        ["cycle", "reminder", "customer_id"].map(|k| e[k].as_str().unwrap().to_string())
    };
    let keys: Vec<[String; 3]> = planned.as_array().unwrap().iter().map(key).collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| {
        (&a[0], &a[1])
            .cmp(&(&b[0], &b[1]))
            .then_with(|| owed::domain::document::number_order(&a[2], &b[2]))
    });
    assert_eq!(keys, sorted);
    assert!(keys.iter().any(|k| k[2] == "K10"), "{keys:?}");
}

/// Excel keeps 15 significant digits: 12,345,678,901,234.56 written as a number lost its
/// cent (12,345,678,901,234.6), and so did a total past 15 digits, without a word. Such an
/// amount is written as text, as its number format shows it, the total of its column too
/// (`SUBTOTAL` would skip the text), and the export says how many on stderr; an amount of 15
/// digits stays a number, and an export with none says nothing of it.
#[test]
fn amounts_past_excels_fifteen_digits_are_written_as_text_and_said() {
    let dir = ledger(&[
        (
            "customers.csv",
            "id,name,email,currency\nX1,Xi,x@x.example,USD\nX2,Yu,y@y.example,USD\n",
        ),
        (
            "documents.csv",
            "id,customer_id,type,number,doc_date,due_date,amount,currency\n\
             D1,X1,invoice,N1,2026-03-01,2026-04-01,12345678901234.56,USD\n\
             D2,X2,invoice,N2,2026-03-01,2026-04-01,1234567890123.45,USD\n",
        ),
    ]);
    let d = dir.path();
    let path = d.join("aging.xlsx");
    let out = ok(
        d,
        &[
            "--as-of",
            AS_OF,
            "export",
            "aging",
            "-o",
            path.to_str().unwrap(),
        ],
    );
    let said = stderr(&out);
    assert!(
        said.contains(&format!(
            "amounts past Excel's 15 significant digits were written as text in {}",
            path.display()
        )),
        "{said}"
    );
    let sheets = read(&path);
    let s = &sheets[0];
    let outstanding = s.col("Outstanding");
    assert_eq!(
        s.cell(row_of(s, "X1"), outstanding),
        Data::String("12,345,678,901,234.56".into())
    );
    assert_eq!(s.number(row_of(s, "X2"), outstanding), 1_234_567_890_123.45);
    let total = s.data_rows().end;
    assert_eq!(s.text(total, 0), "Total");
    assert_eq!(s.text(total, outstanding), "13,580,246,791,358.01");
    assert_eq!(s.formula(total, outstanding), "");

    // Fifteen digits are a number, and nothing is said.
    let path = d.join("x2.xlsx");
    let out = ok(
        d,
        &[
            "--as-of",
            AS_OF,
            "export",
            "statement",
            "--customer",
            "X2",
            "-o",
            path.to_str().unwrap(),
        ],
    );
    assert!(!stderr(&out).contains("Excel"), "{}", stderr(&out));
    let sheets = read(&path);
    let s = &sheets[0];
    assert_eq!(
        s.number(s.data_rows().start, s.col("Amount")),
        1_234_567_890_123.45
    );
}
