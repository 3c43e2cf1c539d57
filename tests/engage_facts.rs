//! The engagement rules read promises and issues exactly as the collector actions derive them
//! (open, kept, disputed) and in the base currency, like the metrics bar and the queue.

use chrono::{TimeZone, Utc};
use owed::actions::{self, DisputeForm, PromiseForm};
use owed::config::Config;
use owed::domain::actions::Stamp;
use owed::domain::{Date, Decimal};
use owed::engage::facts::{Facts, Needs, parse_custom};
use owed::engage::{Cycles, Plan, PlanSettings, cycle, plan};
use owed::import::{ImportOptions, import_paths};
use owed::report::Portfolio;
use owed::report::metrics::Metrics;
use owed::store::Store;
use std::path::{Path, PathBuf};

const CUSTOMERS: &str = "id,name,email,currency
E1,Euro GmbH,ap@euro.example,EUR
U1,Dollar Inc,ap@dollar.example,USD
";
const DOCUMENTS: &str = "id,customer_id,type,doc_date,due_date,amount,currency
EI1,E1,invoice,2026-03-01,2026-03-31,1000.00,EUR
EI2,E1,invoice,2026-03-05,2026-04-04,500.00,EUR
UI1,U1,invoice,2026-03-01,2026-03-31,1000.00,USD
UI2,U1,invoice,2026-03-05,2026-04-04,500.00,USD
";
/// One EUR is 1.20 USD all year.
const RATES: &str = "date,currency,rate
2026-01-01,EUR,1.20
";

const DUNNING: &str = r#"name = "Dunning"
customer = "overdue > 0"
document = "due_date < today"
[[reminder]]
name = "Friendly"
after_due_days = 3
template = "templates/t.md"
"#;

/// 100 EUR of open issues is 120 USD: over 110, where 100 USD is not.
const ISSUES: &str = r#"name = "Issues"
customer = "open_issue_amount > 110"
[[reminder]]
name = "About the dispute"
after_due_days = 0
template = "templates/t.md"
"#;

/// 150 EUR still expected from a promise of 200 EUR is 180 USD.
const PROMISES: &str = r#"name = "Promises"
customer = "open_p2p_amount between 175 and 185"
[[reminder]]
name = "About the promise"
after_due_days = 0
template = "templates/t.md"
"#;

fn day(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd_opt(y, m, d).unwrap()
}

fn stamp(today: Date) -> Stamp {
    Stamp::new(
        "alice",
        Utc.with_ymd_and_hms(2026, 4, 10, 9, 0, 0).unwrap(),
        today,
    )
    .unwrap()
}

struct World {
    dir: tempfile::TempDir,
    store: Store,
    cycles: Cycles,
    config: Config,
}

impl World {
    fn new(cycle_files: &[(&str, &str)]) -> World {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("customers.csv"), CUSTOMERS).unwrap();
        std::fs::write(data.join("documents.csv"), DOCUMENTS).unwrap();
        std::fs::write(data.join("exchange_rates.csv"), RATES).unwrap();
        let mut store = Store::open(&dir.path().join("owed.db")).unwrap();
        import(&mut store, &data);
        let cycles_dir = dir.path().join("cycles");
        std::fs::create_dir_all(cycles_dir.join("templates")).unwrap();
        std::fs::write(cycles_dir.join("templates/t.md"), "{{ reminder }}\n").unwrap();
        for (name, text) in cycle_files {
            std::fs::write(cycles_dir.join(name), text).unwrap();
        }
        let cycles = cycle::load_dir(&cycles_dir).unwrap();
        World {
            dir,
            store,
            cycles,
            config: Config::default(),
        }
    }

    /// Imports payments and their applications (a later export of the billing system).
    fn pay(&mut self, payments: &str, applications: &str) {
        let data: PathBuf = self.dir.path().join("payments");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(
            data.join("payments.csv"),
            format!("id,customer_id,date,amount,currency,status\n{payments}"),
        )
        .unwrap();
        std::fs::write(
            data.join("applications.csv"),
            format!("source_id,document_id,amount,date\n{applications}"),
        )
        .unwrap();
        import(&mut self.store, &data);
    }

    fn promise(&mut self, today: Date, customer: &str, amount: &str, date: &str, docs: &[&str]) {
        let documents: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
        let form = PromiseForm {
            customer,
            amount,
            date,
            documents: &documents,
            text: None,
        };
        actions::promise(&mut self.store, &stamp(today), &self.config, &form).unwrap();
    }

    fn dispute(&mut self, today: Date, customer: &str, amount: &str, docs: &[&str]) {
        let documents: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
        let form = DisputeForm {
            customer,
            reason: "pricing",
            amount: Some(amount),
            documents: &documents,
            text: None,
        };
        actions::dispute(&mut self.store, &stamp(today), &self.config, &form).unwrap();
    }

    fn plan(&self, as_of: Date) -> Plan {
        plan::compute(
            &self.store,
            &self.cycles,
            PlanSettings {
                as_of,
                base_currency: "USD",
                promise_grace_days: self.config.promise_grace_days,
            },
        )
        .unwrap()
    }

    /// (cycle, customer, documents) of each entry.
    fn summary(&self, as_of: Date) -> Vec<(String, String, Vec<String>)> {
        self.plan(as_of)
            .entries
            .iter()
            .map(|e| {
                (
                    e.cycle.clone(),
                    e.customer_id.clone(),
                    e.document_ids().iter().map(|s| s.to_string()).collect(),
                )
            })
            .collect()
    }

    fn cid(&self, id: &str) -> i64 {
        self.store.customer_key(id).unwrap().unwrap()
    }

    fn is_paused(&self, as_of: Date, id: &str) -> bool {
        self.plan(as_of).paused.contains_key(&self.cid(id))
    }

    /// A customer-level field as the rules see it.
    fn customer_value(&self, as_of: Date, id: &str, field: &str) -> Decimal {
        let facts = Facts::gather(
            &self.store,
            as_of,
            &Needs::all(),
            "USD",
            self.config.promise_grace_days,
        )
        .unwrap();
        let customer = self
            .store
            .engage_customers(false)
            .unwrap()
            .into_iter()
            .find(|c| c.id == id)
            .unwrap();
        match facts.customer_value(&customer, &parse_custom(None), field) {
            owed::domain::rules::Value::Amount(a) => a,
            other => panic!("{field} is not an amount: {other:?}"),
        }
    }

    fn metrics(&self, as_of: Date) -> Metrics {
        let p = Portfolio::compute(&self.store, as_of, None, &Default::default(), "USD").unwrap();
        Metrics::compute(&self.store, &p, self.config.promise_grace_days).unwrap()
    }
}

fn import(store: &mut Store, dir: &Path) {
    import_paths(
        store,
        &[dir.to_path_buf()],
        &ImportOptions {
            base_currency: "USD".into(),
            progress: false,
        },
    )
    .unwrap();
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn a_eur_customers_open_issue_amount_is_compared_in_the_base_currency() {
    let mut w = World::new(&[("issues.toml", ISSUES)]);
    let today = day(2026, 4, 10);
    w.dispute(today, "E1", "100.00", &["EI1"]);
    w.dispute(today, "U1", "100.00", &["UI1"]);
    let as_of = day(2026, 4, 20);

    assert_eq!(
        w.customer_value(as_of, "E1", "open_issue_amount"),
        dec("120")
    );
    assert_eq!(
        w.customer_value(as_of, "U1", "open_issue_amount"),
        dec("100")
    );
    // The rules and the metrics bar count the same issues the same way.
    assert_eq!(w.metrics(as_of).open_issue_amount, dec("220"));
    let flags = w
        .store
        .customer_flags(w.cid("E1"), as_of, 3, "USD")
        .unwrap();
    assert_eq!(flags.open_issue_base, dec("120"));

    // 120 USD > 110: E1 is reminded of its undisputed invoice only; U1's 100 USD is not.
    assert_eq!(
        w.summary(as_of),
        vec![(
            "Issues".to_string(),
            "E1".to_string(),
            vec!["EI2".to_string()]
        )]
    );
    // Before the disputes were opened, neither customer had an open issue.
    assert_eq!(w.summary(day(2026, 4, 9)), vec![]);
}

#[test]
fn a_eur_customers_open_promise_amount_is_what_remains_in_the_base_currency() {
    let mut w = World::new(&[("promises.toml", PROMISES)]);
    // E1 promises 200 EUR by 2026-04-18 and pays 50 EUR of it on 2026-04-12.
    w.promise(day(2026, 4, 10), "E1", "200.00", "2026-04-18", &[]);
    w.pay(
        "PE1,E1,2026-04-12,50.00,EUR,success\n",
        "PE1,EI2,50.00,2026-04-12\n",
    );
    // 2026-04-20: the date has passed (no pause), but the promise is still open within the
    // three days of grace; 150 EUR remain, 180 USD.
    let as_of = day(2026, 4, 20);
    assert!(!w.is_paused(as_of, "E1"));
    assert_eq!(w.customer_value(as_of, "E1", "open_p2p_amount"), dec("180"));
    assert_eq!(w.metrics(as_of).open_p2p_amount, dec("180"));
    let flags = w
        .store
        .customer_flags(w.cid("E1"), as_of, 3, "USD")
        .unwrap();
    assert_eq!(flags.open_promise_base, dec("180"));
    assert_eq!(
        w.summary(as_of),
        vec![(
            "Promises".to_string(),
            "E1".to_string(),
            vec!["EI1".to_string(), "EI2".to_string()]
        )]
    );
    // Once the grace has run out the promise is partially kept, no longer open.
    let later = day(2026, 4, 22);
    assert_eq!(w.customer_value(later, "E1", "open_p2p_amount"), dec("0"));
    assert_eq!(w.summary(later), vec![]);
}

#[test]
fn a_kept_promise_no_longer_pauses_dunning() {
    let mut w = World::new(&[("dunning.toml", DUNNING)]);
    // E1 promises 300 EUR for EI2 by 2026-05-01.
    w.promise(day(2026, 4, 10), "E1", "300.00", "2026-05-01", &["EI2"]);
    assert!(w.is_paused(day(2026, 4, 20), "E1"));
    assert!(!w.summary(day(2026, 4, 20)).iter().any(|e| e.1 == "E1"));

    // It pays the 300 EUR on 2026-04-15: kept, so dunning resumes from that day.
    w.pay(
        "PE1,E1,2026-04-15,300.00,EUR,success\n",
        "PE1,EI2,300.00,2026-04-15\n",
    );
    assert!(w.is_paused(day(2026, 4, 14), "E1"));
    assert!(!w.is_paused(day(2026, 4, 20), "E1"));
    assert_eq!(
        w.customer_value(day(2026, 4, 20), "E1", "open_p2p_amount"),
        dec("0")
    );
    assert_eq!(
        w.summary(day(2026, 4, 20)),
        vec![
            (
                "Dunning".to_string(),
                "E1".to_string(),
                vec!["EI1".to_string(), "EI2".to_string()]
            ),
            (
                "Dunning".to_string(),
                "U1".to_string(),
                vec!["UI1".to_string(), "UI2".to_string()]
            ),
        ]
    );
}
