//! The forecast in the workstation: the High risk tab and the risk order, the predicted
//! payment dates in the detail, the cash chart — on a small portfolio with a payment history,
//! as of a fixed date.

mod fixture;
mod snapshot;

use fixture::{AS_OF, Driver, Portfolio as Files};
use owed::domain::Decimal;
use owed::domain::date::parse_iso;
use owed::domain::forecast::RiskLevel;
use owed::domain::queue::{SortKey, Tab};
use owed::report::forecast::Forecast;
use owed::store::Store;
use owed::tui::app::{ChartKind, Focus};
use owed::workstation::{PortfolioWorker, Request, Response};
use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Who pays how. Invoices are issued on the 15th of each month from May 2025 to April 2026,
/// net 30; `late` gives the days late of each settled invoice by month (None: still open).
struct Behaviour {
    id: &'static str,
    name: &'static str,
    owner: &'static str,
    amount: &'static str,
    late: fn(usize) -> Option<i64>,
}

const BEHAVIOURS: &[Behaviour] = &[
    Behaviour {
        id: "K1",
        name: "Prompt Paper",
        owner: "alice",
        amount: "1000.00",
        // On time, a day or two either side; April's invoice is not due yet.
        late: |m| (m < 11).then_some([0, 1, -1, 2][m % 4]),
    },
    Behaviour {
        id: "K2",
        name: "Slow Steel",
        owner: "alice",
        amount: "2500.00",
        // Three to four weeks late; March and April open.
        late: |m| (m < 10).then_some(22 + (m as i64 % 4) * 2),
    },
    Behaviour {
        id: "K3",
        name: "Worsening Works",
        owner: "alice",
        amount: "4000.00",
        // On time for a season, then later and later; the last five are open.
        late: |m| match m {
            0..=2 => Some(1),
            3..=6 => Some(15 + (m as i64 - 3) * 10),
            _ => None,
        },
    },
    Behaviour {
        id: "K4",
        name: "Disputed Dyes",
        owner: "alice",
        amount: "1500.00",
        // About a week late; March (disputed) and April open.
        late: |m| (m < 10).then_some(5 + (m as i64 % 3)),
    },
    Behaviour {
        id: "K5",
        name: "Big Buyer Inc",
        owner: "bob",
        amount: "9000.00",
        // Two months late, then nothing since November.
        late: |m| (m < 6).then_some(55 + m as i64),
    },
];

/// A customer without any history: one open invoice.
const NEW_CUSTOMER: &str = "K6,New Nook,alice";

fn date(s: &str) -> owed::domain::Date {
    parse_iso(s).unwrap()
}

/// Builds the portfolio in `dir`: the CSVs imported, broken promises (Worsening Works), a
/// dispute on Disputed Dyes' March invoice, failed payments (Big Buyer). Returns the database.
fn build(dir: &Path) -> PathBuf {
    let mut customers = String::from("id,name,currency,finance_owner,payment_terms_days\n");
    let mut documents = String::from("id,customer_id,type,doc_date,due_date,amount,currency\n");
    let mut payments = String::from("id,customer_id,date,amount,currency,status,method\n");
    let mut applications = String::from("source_id,document_id,amount,date\n");
    for b in BEHAVIOURS {
        writeln!(customers, "{},{},USD,{},30", b.id, b.name, b.owner).unwrap();
        for m in 0..12 {
            let issued = date("2025-05-15") + chrono::Months::new(m as u32);
            let due = issued + chrono::Days::new(30);
            let doc = format!("{}-{:02}", b.id, m + 1);
            writeln!(
                documents,
                "{doc},{},invoice,{issued},{due},{},USD",
                b.id, b.amount
            )
            .unwrap();
            if let Some(late) = (b.late)(m) {
                let paid = due + chrono::TimeDelta::days(late);
                assert!(paid <= date(AS_OF), "{doc} is paid by the as-of date");
                writeln!(
                    payments,
                    "P{doc},{},{paid},{},USD,success,bank_transfer",
                    b.id, b.amount
                )
                .unwrap();
                writeln!(applications, "P{doc},{doc},{},{paid}", b.amount).unwrap();
            }
        }
    }
    let (id, rest) = NEW_CUSTOMER.split_once(',').unwrap();
    let (name, owner) = rest.split_once(',').unwrap();
    writeln!(customers, "{id},{name},USD,{owner},30").unwrap();
    writeln!(
        documents,
        "{id}-01,{id},invoice,2026-04-10,2026-05-10,700.00,USD"
    )
    .unwrap();
    for (i, day) in ["2026-03-02", "2026-04-01"].iter().enumerate() {
        writeln!(payments, "F{i},K5,{day},9000.00,USD,failure,card").unwrap();
    }
    let mut store = Files::new()
        .file("customers.csv", customers)
        .file("documents.csv", documents)
        .file("payments.csv", payments)
        .file("applications.csv", applications)
        .import(dir);
    // Promised twice for the December and January invoices; nothing came.
    fixture::promise(
        &mut store,
        "2026-02-01",
        "K3",
        "4000.00",
        "2026-02-20",
        &["K3-08"],
    );
    fixture::promise(
        &mut store,
        "2026-03-10",
        "K3",
        "4000.00",
        "2026-03-20",
        &["K3-09"],
    );
    fixture::dispute(&mut store, "2026-04-20", "K4", "1500.00", &["K4-11"]);
    dir.join("owed.db")
}

fn portfolio() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = build(dir.path());
    (dir, db)
}

/// The forecast as the report computes it, for the expectations.
fn forecast(db: &Path) -> Forecast {
    let store = Store::open_existing(db).unwrap();
    Forecast::compute(&store, fixture::as_of(), "USD", 3).unwrap()
}

/// Customer key by billing id.
fn cids(db: &Path) -> HashMap<String, i64> {
    let store = Store::open_existing(db).unwrap();
    store
        .ledger()
        .customer_labels()
        .unwrap()
        .into_iter()
        .map(|(cid, l)| (l.id, cid))
        .collect()
}

/// `owed export queue` of `db` as of the fixture's date with `args`, to standard output, its
/// base currency USD: the CSV, asserting the export succeeded.
fn export_queue(dir: &Path, db: &Path, args: &[&str]) -> String {
    std::fs::write(dir.join("none.toml"), "base_currency = \"USD\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_owed"))
        .args(["--db", db.to_str().unwrap(), "--as-of", AS_OF])
        .args(["export", "queue"])
        .args(args)
        .args(["-o", "-"])
        .env("OWED_CONFIG", dir.join("none.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_high_risk_tab_counts_and_lists_the_forecasts_high_risk_customers() {
    let (_dir, db) = portfolio();
    let f = forecast(&db);
    let ids = cids(&db);
    let high: Vec<i64> = f
        .risks
        .iter()
        .filter(|(_, r)| r.level == RiskLevel::High)
        .map(|(c, _)| *c)
        .collect();
    assert!(
        high.contains(&ids["K3"]) && high.contains(&ids["K5"]),
        "the worsening payer with a broken promise and the silent one are high risk: {:?}",
        f.risks
    );
    assert!(!high.contains(&ids["K1"]), "the prompt payer is not");
    let bobs = usize::from(high.contains(&ids["K5"]));

    let mut d = Driver::new(&db, "alice", (120, 40));
    let tab = Tab::HighRisk.index();
    assert_eq!(
        d.app.page.counts[tab] as usize,
        high.len() - bobs,
        "alice's"
    );
    // The tab's title is short beside the detail.
    assert!(
        d.screen()
            .contains(&format!(" Risk {} ", high.len() - bobs))
    );
    d.press("] ] ] ] ] ]");
    assert_eq!(d.app.query.tab, Tab::HighRisk, "the last tab");
    let listed: Vec<i64> = d.app.page.rows.iter().map(|r| r.cid).collect();
    assert_eq!(listed.len(), high.len() - bobs);
    assert!(listed.iter().all(|c| high.contains(c)));
    assert!(
        d.app
            .page
            .rows
            .iter()
            .all(|r| r.risk == Some(RiskLevel::High))
    );
    d.press("m");
    assert_eq!(d.app.page.counts[tab] as usize, high.len(), "everyone's");
    // A filter counts in SQL.
    d.press("/ Works <Enter>");
    assert_eq!(d.app.page.counts[tab], 1);
    assert_eq!(d.names(), ["Worsening Works"]);
    // `:tab risk` and `7` reach it too.
    d.press("<Esc> 1 : tab <Space> risk <Enter>");
    assert_eq!(d.app.query.tab, Tab::HighRisk);
    d.press("1 7");
    assert_eq!(d.app.query.tab, Tab::HighRisk);
}

#[test]
fn the_risk_order_is_riskiest_first_then_the_larger_overdue() {
    let (_dir, db, mut d) = opened();
    let f = forecast(&db);
    d.press("m 2 !");
    assert_eq!(
        (d.app.query.sort, d.app.query.descending),
        (SortKey::Risk, true)
    );
    let rows = &d.app.page.rows;
    assert_eq!(rows.len(), BEHAVIOURS.len() + 1);
    let score = |cid: i64| f.risks.get(&cid).map_or(0, |r| r.score);
    let mut expected: Vec<(u32, Decimal, i64)> = rows
        .iter()
        .map(|r| (score(r.cid), r.overdue, r.cid))
        .collect();
    expected.sort_by(|a, b| b.cmp(a));
    let got: Vec<i64> = rows.iter().map(|r| r.cid).collect();
    let want: Vec<i64> = expected.iter().map(|e| e.2).collect();
    assert_eq!(got, want);
    assert!(
        score(got[0]) > score(*got.last().unwrap()),
        "the scores differ"
    );
    assert!(d.screen().contains("Flag▼"), "the header shows the order");
    d.press("!");
    let reversed: Vec<i64> = d.app.page.rows.iter().map(|r| r.cid).collect();
    assert_eq!(reversed, want.into_iter().rev().collect::<Vec<_>>());
    // The high-risk rows carry the flag.
    let screen = d.screen();
    let line = screen
        .lines()
        .find(|l| l.contains("Worsening Works"))
        .unwrap();
    assert!(line.contains('!'), "{line}");
}

#[test]
fn the_chart_cycle_reaches_the_cash_forecast() {
    let (_dir, db, mut d) = opened();
    let f = forecast(&db);
    d.press("c c c c");
    assert_eq!(d.app.chart, ChartKind::Cash);
    assert!(d.screen().contains(" in 13 weeks · later "));
    d.press("<Tab> j j");
    assert_eq!(d.app.focus, Focus::Chart);
    assert_eq!(d.app.chart_sel, 2);
    let week = &f.cash.weeks[2];
    assert!(d.screen().contains(&format!("week of {}", week.start)));
    d.press("G");
    assert_eq!(d.app.chart_sel, 12, "thirteen weeks");
    d.press("<Enter>");
    let status = d.app.status.as_ref().unwrap().text.clone();
    assert!(
        status.starts_with(&format!("Week of {}", f.cash.weeks[12].start)),
        "{status}"
    );
    // After the last chart `c` folds it (the aging comes first again).
    d.press("c");
    assert_eq!(d.app.focus, Focus::Queue);
    assert!(owed::tui::view::areas(&d.app).chart.is_none());
    d.press("c");
    assert_eq!(d.app.chart, ChartKind::Aging, "and round again");
    d.press("<Esc> : chart <Space> cash <Enter>");
    assert_eq!(d.app.chart, ChartKind::Cash);
}

#[test]
fn the_detail_shows_each_open_documents_predicted_date_and_reason() {
    let (_dir, db, mut d) = opened();
    let f = forecast(&db);
    let ids = cids(&db);
    d.press("/ dyes <Enter>");
    let data = d.app.detail.as_ref().unwrap();
    assert_eq!(data.detail.header.id, "K4");
    let mine = data
        .forecast
        .as_ref()
        .expect("the forecast came with the detail");
    let risk = &f.risks[&ids["K4"]];
    assert_eq!(mine.risk.as_ref(), Some(risk));
    let screen = d.screen();
    for doc in f.documents.iter().filter(|x| x.customer_id == "K4") {
        assert!(
            screen.contains(&format!("expected {}", doc.predicted)),
            "{} predicted {}",
            doc.id,
            doc.predicted
        );
        // How the date was made, right after it (cut to the pane here, after the document's
        // date, which the pane's columns had no room for).
        let after = format!("expected {} · ", doc.predicted);
        let line = screen
            .lines()
            .find(|l| l.contains(&after))
            .unwrap_or_else(|| panic!("{after}: {screen}"));
        let how = line[line.find(&after).unwrap() + after.len()..]
            .trim_end_matches([' ', '"'])
            .trim_end_matches('…');
        let method = doc.method.as_str();
        assert!(
            !how.is_empty() && (method.starts_with(how) || how.starts_with(method)),
            "{how:?} for {method}: {screen}"
        );
    }
    let disputed = f.documents.iter().find(|x| x.id == "K4-11").unwrap();
    assert!(disputed.reason.contains("disputed"), "{}", disputed.reason);
    assert!(disputed.predicted > fixture::as_of());
    d.press("<Enter>");
    // Full width: how, with the method's error on this ledger when it was checked.
    let screen = d.screen();
    for doc in f.documents.iter().filter(|x| x.customer_id == "K4") {
        let how = match doc.backtest_mae {
            Some(mae) => format!("{}, {mae:.1} d on this ledger", doc.method.as_str()),
            None => doc.method.as_str().to_string(),
        };
        assert!(
            screen.contains(&format!("↳ expected {} · {how} · ", doc.predicted)),
            "{how}\n{screen}"
        );
    }
    assert!(
        f.documents.iter().any(|x| x.backtest_mae.is_some()),
        "the check scored this ledger"
    );
    snapshot::assert("forecast_detail_120x40", &screen);
}

#[test]
fn the_cash_chart_on_the_main_screen() {
    let (_dir, _db, mut d) = opened();
    d.press("c c c c");
    snapshot::assert("forecast_cash_120x40", &d.screen());
    d.press("<Tab> j j j");
    snapshot::assert("forecast_cash_focus_120x40", &d.screen());
}

#[test]
fn the_forecast_comes_after_the_first_page_and_detail() {
    let (_dir, db) = portfolio();
    let mut source = PortfolioWorker::open(&db, fixture::settings()).unwrap();
    let as_of = fixture::as_of();
    let mut query = owed::domain::queue::QueueQuery::new("alice");
    query.tab = Tab::All;
    let mut batch = fixture::first_requests(as_of, query);
    let cid = cids(&db)["K3"];
    batch.push(Request::Detail { seq: 2, as_of, cid });
    let answers = source.handle_batch(batch);
    let kinds: Vec<&str> = answers
        .iter()
        // The figures of the session's scope come with its pages (tested elsewhere).
        .filter(|a| !matches!(a, Response::Scope(_)))
        .map(|a| match a {
            Response::Summary(_) => "summary",
            Response::Page { page, .. } if page.rows.iter().any(|r| r.risk.is_some()) => {
                "page with risk"
            }
            Response::Page { .. } => "page",
            Response::Detail { data, .. } if data.as_ref().unwrap().forecast.is_some() => {
                "detail with forecast"
            }
            Response::Detail { .. } => "detail",
            Response::Dso { .. } => "dso",
            Response::Forecast(_) => "forecast",
            Response::Error(e) => panic!("{e}"),
            other => panic!("not asked for: {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "summary",
            "page",
            "detail",
            "dso",
            "forecast",
            "page with risk",
            "detail with forecast"
        ]
    );
    // Nothing new: no second forecast.
    assert!(source.handle_batch(Vec::new()).is_empty());
}

/// The workstation on the portfolio as alice, at 120×40.
fn opened() -> (tempfile::TempDir, PathBuf, Driver) {
    let (dir, db) = portfolio();
    let d = Driver::new(&db, "alice", (120, 40));
    (dir, db, d)
}

/// The workstation on the portfolio with Slow Steel found and in the detail, none of its
/// documents' predictions saying they are disputed.
fn slow_steel() -> (tempfile::TempDir, PathBuf, Driver) {
    let (dir, db, mut d) = opened();
    d.press("/ slow <Enter>");
    assert!(reasons(&d).iter().all(|r| !r.contains("disputed")));
    (dir, db, d)
}

/// The reasons of the predictions in the detail's forecast.
fn reasons(d: &Driver) -> Vec<String> {
    let f = d.app.detail.as_ref().unwrap().forecast.as_ref().unwrap();
    f.documents.iter().map(|p| p.reason.clone()).collect()
}

#[test]
fn a_dispute_recorded_elsewhere_shows_in_the_next_forecast() {
    let (_dir, db, mut d) = slow_steel();
    // Another collector disputes Slow Steel's March invoice.
    let mut other = Store::open_existing(&db).unwrap();
    fixture::dispute(&mut other, AS_OF, "K2", "2500.00", &["K2-11"]);
    let mut answers = d.source.poll_changes();
    answers.extend(d.source.handle_batch(Vec::new()));
    assert!(answers.iter().any(|a| matches!(a, Response::Forecast(_))));
    for a in answers {
        let fx = owed::tui::update::response(&mut d.app, a);
        d.run(fx);
    }
    assert!(
        reasons(&d).iter().any(|r| r.contains("disputed")),
        "{:?}",
        reasons(&d)
    );
}

#[test]
fn until_the_forecast_arrives_the_screen_says_so() {
    let (_dir, _db, mut d) = opened();
    d.app.forecast = None;
    d.app.page.risk_counted = false;
    if let Some(scope) = d.app.scope.as_mut() {
        scope.cash = None;
    }
    if let Some(data) = d.app.detail.as_mut() {
        data.forecast = None;
    }
    d.press("c c c c");
    let screen = d.screen();
    assert!(screen.contains(" Risk … "), "{screen}");
    assert!(screen.contains("Cash forecast · computing…"));
    assert!(screen.contains("Risk computing…"));
}

#[test]
fn a_dispute_saved_in_the_workstation_moves_the_forecast() {
    let (_dir, _db, mut d) = slow_steel();
    d.press("i pricing <Enter>");
    let status = d.app.status.as_ref().unwrap().text.clone();
    assert!(
        status.starts_with("saved (back-dated to 2026-04-30): Issue"),
        "{status}"
    );
    assert!(
        reasons(&d).iter().any(|r| r.contains("disputed")),
        "{:?}",
        reasons(&d)
    );
    // The detail on its own screen has the room for the whole reason.
    d.press("<Enter>");
    assert!(d.screen().contains("disputed"), "{}", d.screen());
}

#[test]
fn a_high_risk_customer_given_to_another_owner_takes_its_risk_along() {
    let (_dir, _db, mut d) = opened();
    let tab = Tab::HighRisk.index();
    let mine = d.app.page.counts[tab];
    d.press("/ works <Enter> a bob <Enter>");
    let status = d.app.status.as_ref().unwrap().text.clone();
    // (Dated today, after the fixture's date.)
    let saved = format!("saved (dated today, not as of {AS_OF}): Owner change");
    assert!(status.starts_with(&saved), "{status}");
    d.press("<Esc>");
    assert_eq!(d.app.page.counts[tab], mine - 1, "alice's");
    let counts = d.app.page.counts;
    d.press("R");
    assert_eq!(d.app.page.counts, counts, "as the figures read again count");
    d.press("m");
    let everyone = d.app.page.counts[tab];
    assert_eq!(
        everyone,
        mine + 1,
        "bob's Big Buyer and now Worsening Works"
    );
}

/// The High risk tab is a work list: a customer rated high risk for how they pay, with
/// nothing open any more, was listed there at 0.00 outstanding. They are not; their detail
/// still shows the risk.
#[test]
fn a_high_risk_customer_with_nothing_open_is_not_in_the_high_risk_tab() {
    let (dir, db) = portfolio();
    let ids = cids(&db);
    // Big Buyer pays its six open invoices on the as-of date.
    let mut payments = String::from("id,customer_id,date,amount,currency,status,method\n");
    let mut applications = String::from("source_id,document_id,amount,date\n");
    for m in 7..=12 {
        let doc = format!("K5-{m:02}");
        writeln!(
            payments,
            "P{doc},K5,{AS_OF},9000.00,USD,success,bank_transfer"
        )
        .unwrap();
        writeln!(applications, "P{doc},{doc},9000.00,{AS_OF}").unwrap();
    }
    let mut store = Store::open_existing(&db).unwrap();
    Files::new()
        .file("payments.csv", payments)
        .file("applications.csv", applications)
        .import_into(&mut store, &dir.path().join("paid"));
    drop(store);
    let f = forecast(&db);
    assert_eq!(f.risks[&ids["K5"]].level, RiskLevel::High, "{:?}", f.risks);
    assert!(
        f.documents.iter().all(|d| d.cid != ids["K5"]),
        "nothing open"
    );

    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("m ] ] ] ] ] ]");
    assert_eq!(d.app.query.tab, Tab::HighRisk);
    let listed: Vec<i64> = d.app.page.rows.iter().map(|r| r.cid).collect();
    assert!(listed.contains(&ids["K3"]), "{listed:?}");
    assert!(!listed.contains(&ids["K5"]), "{listed:?}");
    assert_eq!(
        d.app.page.counts[Tab::HighRisk.index()] as usize,
        listed.len()
    );
    // The command line's queue export says the same.
    let csv = export_queue(dir.path(), &db, &["--tab", "risk"]);
    assert!(csv.lines().any(|l| l.starts_with("K3,")), "{csv}");
    assert!(!csv.lines().any(|l| l.starts_with("K5,")), "{csv}");
}

/// A customer with only credits (a credit note and an unapplied payment, no invoice) has
/// nothing to rate: the detail said `Risk computing…` for ever (its credit note's balance
/// was taken for an open document), and `export queue --sort risk` left its risk blank.
#[test]
fn a_customer_with_only_credits_has_nothing_open_to_rate() {
    let (dir, db) = portfolio();
    let mut store = Store::open_existing(&db).unwrap();
    Files::new()
        .file(
            "customers.csv",
            "id,name,currency,finance_owner,payment_terms_days\nK7,Credit Crane,USD,alice,30\n",
        )
        .file(
            "documents.csv",
            "id,customer_id,type,doc_date,due_date,amount,currency\n\
             CN-7,K7,credit_note,2026-02-01,,300.00,USD\n",
        )
        .file(
            "payments.csv",
            "id,customer_id,date,amount,currency,status,method\n\
             P-7,K7,2026-03-01,50.00,USD,success,cheque\n",
        )
        .import_into(&mut store, &dir.path().join("credits"));
    drop(store);

    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("2 / crane <Enter>");
    let data = d.app.detail.as_ref().expect("the detail");
    assert!(data.forecast.is_some(), "the forecast is in");
    let screen = d.screen();
    assert!(screen.contains("Credit Crane"), "{screen}");
    assert!(screen.contains("Risk — nothing open to rate"), "{screen}");
    assert!(!screen.contains("computing…"), "{screen}");

    let csv = export_queue(dir.path(), &db, &["--sort", "risk"]);
    let row = csv.lines().find(|l| l.starts_with("K7,")).expect(&csv);
    assert!(row.ends_with(",none"), "{row}");
    // The customers rated keep their level.
    assert!(
        csv.lines()
            .filter(|l| !l.starts_with("K7,") && !l.starts_with("customer_id"))
            .all(|l| l.ends_with(",high") || l.ends_with(",medium") || l.ends_with(",low")),
        "{csv}"
    );
}
