//! The queue's SQL: pages in any order read from either end agree, and the counts made while
//! building the table agree with the counts SQL makes.

mod fixture;

use fixture::Portfolio as Files;
use owed::domain::aging::AgingBounds;
use owed::domain::queue::{QueueFilter, QueuePage, QueueQuery, Scope, SortKey, Tab};
use owed::report::Portfolio;
use owed::store::Store;
use owed::store::queue::tab_counts::UnfilteredCounts;
use owed::workstation::Response;
use std::fmt::Write as _;

/// 300 customers with assorted balances, ages and owners.
fn portfolio(dir: &std::path::Path) -> Store {
    portfolio_with(dir, "", "")
}

/// [`portfolio`] with more lines of `customers.csv` and `documents.csv`.
fn portfolio_with(dir: &std::path::Path, more_customers: &str, more_documents: &str) -> Store {
    let mut customers = String::from("id,name,currency,finance_owner\n");
    let mut documents =
        String::from("id,customer_id,type,number,doc_date,due_date,amount,currency\n");
    let owners = ["alice", "Bob", "carol", ""];
    for c in 0..300u32 {
        let owner = owners[(c % 4) as usize];
        writeln!(customers, "C{c},Customer {:03},USD,{owner}", (c * 7) % 300).unwrap();
        for d in 0..(c % 4) {
            let age = (c * 13 + d * 29) % 200;
            let date = fixture::as_of() - chrono::Duration::days(i64::from(age) + 30);
            let due = date + chrono::Duration::days(30);
            // Ties on purpose: many customers share amounts.
            let amount = 100 * (1 + (c % 5));
            writeln!(
                documents,
                "D{c}-{d},C{c},invoice,N{c}-{d},{date},{due},{amount}.00,USD"
            )
            .unwrap();
        }
    }
    customers.push_str(more_customers);
    documents.push_str(more_documents);
    Files::new()
        .file("customers.csv", customers)
        .file("documents.csv", documents)
        .import_as(dir, "q.db")
}

fn build(store: &Store) -> UnfilteredCounts {
    let bounds = AgingBounds::default();
    let p = Portfolio::compute(store, fixture::as_of(), None, &bounds, "USD").unwrap();
    store
        .queue()
        .rebuild(fixture::as_of(), &bounds, &p.customers, 3, "USD", &[])
        .unwrap()
}

#[test]
fn pages_agree_whichever_end_they_are_read_from() {
    let dir = tempfile::tempdir().unwrap();
    let store = portfolio(dir.path());
    build(&store);
    for tab in [Tab::Overdue, Tab::All] {
        for sort in SortKey::ALL {
            for descending in [true, false] {
                let mut q = QueueQuery::new("alice");
                q.scope = Scope::Everyone;
                q.tab = tab;
                q.sort = sort;
                q.descending = descending;
                let all = store.queue().page(&q, 0, 10_000).unwrap();
                assert_eq!(all.rows.len() as u64, all.total);
                let ids: Vec<i64> = all.rows.iter().map(|r| r.cid).collect();
                let mut paged = Vec::new();
                let mut offset = 0;
                while offset < all.total {
                    let page = store.queue().page(&q, offset, 37).unwrap();
                    assert_eq!(page.offset, offset);
                    paged.extend(page.rows.iter().map(|r| r.cid));
                    offset += 37;
                }
                assert_eq!(paged, ids, "{tab:?} by {sort:?} desc={descending}");
                // The order really is the order asked for.
                let keys: Vec<i64> = all
                    .rows
                    .iter()
                    .map(|r| match sort {
                        // No risk written here: equal scores, so by overdue.
                        SortKey::Overdue | SortKey::Risk => (r.overdue
                            * rust_decimal::Decimal::from(100))
                        .try_into()
                        .unwrap(),
                        SortKey::Days => r.max_days,
                        SortKey::Outstanding => (r.outstanding * rust_decimal::Decimal::from(100))
                            .try_into()
                            .unwrap(),
                        SortKey::LastContact | SortKey::LastCall => 0,
                        SortKey::Name => 0,
                    })
                    .collect();
                let sorted = keys.windows(2).all(|w| {
                    if descending {
                        w[0] >= w[1]
                    } else {
                        w[0] <= w[1]
                    }
                });
                assert!(sorted, "{sort:?} desc={descending}");
            }
        }
    }
}

/// The counts kept beside the table are SQL's for each of `collectors`' own customers and
/// for everyone's (as the first collector).
fn counts_match_sql(store: &Store, unfiltered: &UnfilteredCounts, collectors: &[&str]) {
    let mine = collectors.iter().map(|c| (*c, Scope::Mine));
    for (collector, scope) in mine.chain([(collectors[0], Scope::Everyone)]) {
        let mut q = QueueQuery::new(collector);
        q.scope = scope;
        let sql = store.queue().counts(&q).unwrap();
        assert_eq!(unfiltered.for_query(&q), Some(sql), "{collector} {scope:?}");
    }
}

/// The page among a batch's answers.
fn page_of(answers: Vec<Response>) -> QueuePage {
    let page = answers.into_iter().find_map(|a| match a {
        Response::Page { page, .. } => Some(page),
        _ => None,
    });
    page.expect("a page")
}

#[test]
fn counts_made_while_building_match_sql() {
    let dir = tempfile::tempdir().unwrap();
    let store = portfolio(dir.path());
    let unfiltered = build(&store);
    let collectors = ["alice", "bob", "ALICE", "nobody"];
    counts_match_sql(&store, &unfiltered, &collectors);
    assert_eq!(unfiltered.everyone[Tab::All.index()], 300);
    let mut filtered = QueueQuery::new("alice");
    filtered.filter = QueueFilter::parse("overdue>0", &AgingBounds::default()).unwrap();
    assert_eq!(
        unfiltered.for_query(&filtered),
        None,
        "a filter is counted in SQL"
    );
    let nobody = store.queue().counts(&QueueQuery::new("nobody")).unwrap();
    assert!(nobody.mine_fallback);
}

#[test]
fn the_risk_column_holds_the_forecasts_risk_for_the_tab_and_the_order() {
    use owed::domain::forecast::RiskLevel;
    use owed::store::queue::risk::{QueueRisk, risk_changes};
    use std::collections::HashMap;

    let dir = tempfile::tempdir().unwrap();
    let store = portfolio(dir.path());
    let mut unfiltered = build(&store);
    let mut everyone = QueueQuery::new("alice");
    everyone.scope = Scope::Everyone;
    everyone.tab = Tab::All;
    let all = store.queue().page(&everyone, 0, 10_000).unwrap();
    assert!(
        all.rows.iter().all(|r| r.risk.is_none()),
        "none until written"
    );
    // Scores spread over 0..100 with ties; every tenth customer has none.
    let mut risks: Vec<QueueRisk> = all
        .rows
        .iter()
        .filter(|r| r.cid % 10 != 0)
        .map(|r| {
            let score = (r.cid * 37 % 20 * 5) as u32;
            let level = match score {
                50.. => RiskLevel::High,
                25.. => RiskLevel::Medium,
                _ => RiskLevel::Low,
            };
            QueueRisk {
                cid: r.cid,
                level: Some(level),
                score,
            }
        })
        .collect();
    risks.sort_by_key(|r| r.cid);
    let by_cid: HashMap<i64, QueueRisk> = risks.iter().map(|r| (r.cid, *r)).collect();
    // As the workstation installs a forecast: what changed from what the table holds, into
    // the table and its copy in memory, which stays the table's (the one read before any
    // write is kept along, not read again).
    let mut in_table: Vec<QueueRisk> = Vec::new();
    let mut mirror = store.queue().mirror().unwrap();
    let mut write =
        |risks: &[QueueRisk], unfiltered: &mut owed::store::queue::tab_counts::UnfilteredCounts| {
            let changes = risk_changes(&in_table, risks);
            for slice in changes.chunks(7) {
                store
                    .queue()
                    .update_risks(slice, Some(&mut mirror))
                    .unwrap();
            }
            assert!(mirror.is_current(&store));
            assert!(
                mirror == store.queue().mirror().unwrap(),
                "the copy kept along is the table's"
            );
            in_table = risks.to_vec();
            let (n, by_owner) = store.queue().tab_counts(Tab::HighRisk).unwrap();
            unfiltered.set_tab(Tab::HighRisk, n, &by_owner);
            n
        };
    let high = write(&risks, &mut unfiltered);
    let expected_high = risks
        .iter()
        .filter(|r| r.level == Some(RiskLevel::High))
        .count();
    assert_eq!(high as usize, expected_high);
    assert!(expected_high > 20);
    // The counts kept beside the table agree with SQL's, owners compared without case.
    counts_match_sql(&store, &unfiltered, &["alice", "bob", "nobody"]);
    // The tab holds exactly the high-risk customers, each row with its level.
    let mut q = everyone.clone();
    q.tab = Tab::HighRisk;
    let page = store.queue().page(&q, 0, 10_000).unwrap();
    assert_eq!(page.total as usize, expected_high);
    for row in &page.rows {
        assert_eq!(row.risk, Some(RiskLevel::High));
        assert_eq!(by_cid[&row.cid].level, Some(RiskLevel::High));
    }
    // Riskiest first, the larger overdue first among equal scores; pages from both ends
    // agree.
    q.tab = Tab::All;
    q.sort = SortKey::Risk;
    q.descending = true;
    let ordered = store.queue().page(&q, 0, 10_000).unwrap();
    let score = |cid: i64| by_cid.get(&cid).map_or(0, |r| r.score);
    let keys: Vec<(u32, rust_decimal::Decimal)> = ordered
        .rows
        .iter()
        .map(|r| (score(r.cid), r.overdue))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] >= w[1]));
    let mut paged = Vec::new();
    let mut offset = 0;
    while offset < ordered.total {
        let page = store.queue().page(&q, offset, 37).unwrap();
        paged.extend(page.rows.iter().map(|r| r.cid));
        offset += 37;
    }
    let ids: Vec<i64> = ordered.rows.iter().map(|r| r.cid).collect();
    assert_eq!(paged, ids);
    // A new forecast replaces the old one: customers it leaves out have no risk any more.
    let fewer: Vec<QueueRisk> = risks.iter().filter(|r| r.cid % 2 == 0).copied().collect();
    let high = write(&fewer, &mut unfiltered);
    let q_all = store.queue().page(&everyone, 0, 10_000).unwrap();
    for row in &q_all.rows {
        let want = fewer
            .iter()
            .find(|r| r.cid == row.cid)
            .and_then(|r| r.level);
        assert_eq!(row.risk, want, "customer {}", row.cid);
    }
    assert_eq!(
        high as usize,
        fewer
            .iter()
            .filter(|r| r.level == Some(RiskLevel::High))
            .count()
    );
    // A table rebuilt with the risks holds what the updates wrote, row for row.
    let updated = store.queue().page(&q, 0, 10_000).unwrap();
    let bounds = AgingBounds::default();
    let p = Portfolio::compute(&store, fixture::as_of(), None, &bounds, "USD").unwrap();
    store
        .queue()
        .rebuild(fixture::as_of(), &bounds, &p.customers, 3, "USD", &fewer)
        .unwrap();
    let rebuilt = store.queue().page(&q, 0, 10_000).unwrap();
    let risk_of = |page: &QueuePage| -> Vec<(i64, Option<RiskLevel>)> {
        page.rows.iter().map(|r| (r.cid, r.risk)).collect()
    };
    assert_eq!(risk_of(&rebuilt), risk_of(&updated));
    assert!(rebuilt.rows.iter().any(|r| r.risk.is_some()));
}

#[test]
fn first_pages_from_the_figures_match_sql_on_300_customers() {
    use owed::workstation::{PortfolioWorker, Request};
    let dir = tempfile::tempdir().unwrap();
    let store = portfolio(dir.path());
    drop(store);
    let db = dir.path().join("q.db");
    let as_of = fixture::as_of();
    for (collector, scope) in [
        ("alice", Scope::Mine),
        ("BOB", Scope::Mine),
        ("x", Scope::Everyone),
    ] {
        for tab in [Tab::Overdue, Tab::All] {
            for sort in [
                SortKey::Overdue,
                SortKey::Days,
                SortKey::Outstanding,
                SortKey::LastContact,
                SortKey::LastCall,
            ] {
                for descending in [true, false] {
                    for limit in [1, 37, 1000] {
                        let mut query = QueueQuery::new(collector);
                        (query.scope, query.tab, query.sort, query.descending) =
                            (scope, tab, sort, descending);
                        let page = |seq| fixture::page_request(seq, as_of, query.clone(), limit);
                        let mut source = PortfolioWorker::open(&db, fixture::settings()).unwrap();
                        let summary = Request::Summary { as_of };
                        let first = page_of(source.handle_batch_now(vec![summary, page(1)]));
                        assert!(source.rebuilds.first_page_from_figures);
                        let sql = page_of(source.handle(page(2)));
                        assert_eq!(
                            first, sql,
                            "{collector} {tab:?} {sort:?} {descending} {limit}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn counts_and_keys_from_memory_match_sql_under_every_kind_of_filter() {
    let dir = tempfile::tempdir().unwrap();
    // Names with accents, found with their accents and case set aside.
    let mut store = portfolio_with(
        dir.path(),
        "X1,Élan Conseil,USD,alice\nX2,Ünïcode GmbH,USD,Bob\nX3,ELAN Énergie,USD,\n\
         X4,Straße & Söhne,USD,carol\nX5,東京商事,USD,alice\nX6,Nocur Ltd,,alice\n",
        // X6 has no currency: its invoice is in the base currency, as it is.
        "D-X6,X6,invoice,N-X6,2026-03-01,2026-03-31,300.00,\n",
    );
    // Notes on every 7th customer, calls on every 5th, days apart.
    for c in 0..300u32 {
        let day = fixture::as_of() - chrono::Duration::days(i64::from(c % 9));
        let stamp = owed::domain::action_checks::Stamp::new(
            "alice",
            day.and_hms_opt(9, 0, 0).unwrap().and_utc(),
            day,
        )
        .unwrap();
        let id = format!("C{c}");
        if c % 7 == 0 {
            owed::actions::note(&mut store, &stamp, &id, "pallet count disputed").unwrap();
        }
        if c % 5 == 0 {
            let form = owed::actions::CallForm {
                customer: &id,
                outcome: "voicemail",
                text: Some("left a message about the pallets"),
                ..Default::default()
            };
            owed::actions::call(&mut store, &stamp, &form).unwrap();
        }
    }
    // Issues of one reason in two spellings (each the config's of its day): `issue:` finds
    // both, lowered in every script.
    for (c, reason) in [
        (1, "Qualité"),
        (2, "QUALITÉ"),
        (5, "pricing"),
        (9, "Qualité"),
    ] {
        let stamp = owed::domain::action_checks::Stamp::new(
            "alice",
            fixture::as_of().and_hms_opt(9, 0, 0).unwrap().and_utc(),
            fixture::as_of(),
        )
        .unwrap();
        let config = owed::config::Config {
            dispute_reasons: vec![reason.to_string()],
            ..Default::default()
        };
        let form = owed::actions::DisputeForm {
            customer: &format!("C{c}"),
            reason,
            amount: Some("10"),
            ..Default::default()
        };
        owed::actions::dispute(&mut store, &stamp, &config, &form).unwrap();
    }
    build(&store);
    let mirror = store.queue().mirror().unwrap();
    assert!(mirror.is_current(&store));
    let bounds = AgingBounds::default();
    let filters = [
        "",
        "customer 01",
        "CUSTOMER 2",
        "c1",
        "zz",
        "owner:alice",
        "owner:BOB",
        "currency:usd",
        "overdue>0",
        "overdue>=300",
        "outstanding<200",
        "days>60",
        "bucket:90+",
        "bucket:1-30",
        "customer overdue>100",
        "N7-1",
        "d12-0",
        "n7",
        "note:pallet",
        "note:pallets",
        "text:message",
        "customer note:pallet owner:alice",
        "call>3",
        "call<=3",
        "call!=0",
        "call=0",
        "promise:none",
        "promise:broken",
        "net:31-60",
        "net:1-30 unutilised>0",
        "unutilised=0",
        "issue:pricing",
        "issue:qualité",
        "issue:QUALITÉ",
        "elan",
        "ÉLAN",
        "énergie",
        "unicode",
        "strasse",
        "söhne",
        "東京",
        "x",
        "net:90+",
        "net:0+",
        "net:120+ bucket:60+",
    ];
    let mut nonzero = 0;
    for text in filters {
        let filter = QueueFilter::parse(text, &bounds).unwrap();
        for (collector, scope) in [
            ("alice", Scope::Mine),
            ("Bob", Scope::Mine),
            ("nobody", Scope::Mine),
            ("alice", Scope::Everyone),
        ] {
            let mut q = QueueQuery::new(collector);
            q.scope = scope;
            q.filter = filter.clone();
            let sql = store.queue().counts(&q).unwrap();
            let matches = store.activity().filter_matches(&q.filter).unwrap();
            let memory = mirror.counts(&q, &matches);
            assert_eq!(memory, sql, "{text:?} {collector} {scope:?}");
            // The scope's figures: summed in memory in the same pass, and in SQL.
            let (counted, sums) = mirror.figures(&q, &matches);
            assert_eq!(counted, sql, "{text:?} {collector} {scope:?}");
            let summed = store.queue().scope_sums(&q, sql.mine_fallback).unwrap();
            assert_eq!(
                sums.figures(bounds.len()),
                summed.figures(bounds.len()),
                "{text:?} {collector} {scope:?}"
            );
            assert_eq!(sums.customers, sql.counts[Tab::All.index()]);
            nonzero += usize::from(sql.counts[Tab::All.index()] > 0);
            for tab in [Tab::Overdue, Tab::All] {
                q.tab = tab;
                let all = store
                    .queue()
                    .page_counted(&q, 0, 10_000, &sql, None)
                    .unwrap();
                let keys = mirror.keys(&q, &matches);
                let mut expected: Vec<i64> = all.rows.iter().map(|r| r.cid).collect();
                let mut got = keys.clone();
                expected.sort_unstable();
                got.sort_unstable();
                assert_eq!(got, expected, "{text:?} {collector} {scope:?} {tab:?}");
                // The same page, in the same order, read among the keys.
                let among = store
                    .queue()
                    .page_counted(&q, 3, 17, &sql, Some(&keys))
                    .unwrap();
                let plain = store.queue().page_counted(&q, 3, 17, &sql, None).unwrap();
                assert_eq!(among, plain, "{text:?} {collector} {scope:?} {tab:?}");
            }
        }
    }
    assert!(nonzero > 40, "the filters select something");
    let mut q = QueueQuery::new("alice");
    q.scope = Scope::Everyone;
    q.filter = QueueFilter::parse("issue:QUALITÉ", &bounds).unwrap();
    assert_eq!(
        store.queue().counts(&q).unwrap().counts[Tab::All.index()],
        3
    );
    // Every customer is in US dollars, X6 too: a customer without a currency is in the base
    // currency (it was left out).
    for (text, found) in [
        ("elan", 2),
        ("ÉLAN", 2),
        ("unicode", 1),
        ("strasse", 1),
        ("currency:usd", 306),
        ("currency:eur", 0),
    ] {
        q.filter = QueueFilter::parse(text, &bounds).unwrap();
        let counts = store.queue().counts(&q).unwrap();
        assert_eq!(counts.counts[Tab::All.index()], found, "{text}");
    }
}

#[test]
fn the_memory_copy_is_stale_once_the_connection_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = portfolio(dir.path());
    build(&store);
    let mirror = store.queue().mirror().unwrap();
    build(&store);
    assert!(!mirror.is_current(&store), "the table was written again");
    assert!(store.queue().mirror().unwrap().is_current(&store));
}

/// A ledger near the most owed can count, each of two customers disputing more than the
/// other's share: SQL's `sum` over the queue table stopped at "integer overflow", and the
/// workstation showed an error for the scope instead of its figures. They are added in 128
/// bits, as the copy in memory adds them, and agree with it.
#[test]
fn scope_sums_near_what_owed_can_count_do_not_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = portfolio_with(
        dir.path(),
        "X1,Big One,USD,alice\nX2,Big Two,USD,Bob\n",
        "XD1,X1,invoice,XN1,2026-01-01,2026-01-31,450000000000000.00,USD\n\
         XD2,X2,invoice,XN2,2026-01-02,2026-01-31,450000000000000.00,USD\n",
    );
    for customer in ["X1", "X2"] {
        fixture::dispute(
            &mut store,
            fixture::AS_OF,
            customer,
            "900000000000000.00",
            &[],
        );
    }
    build(&store);
    let bounds = AgingBounds::default();
    let mut q = QueueQuery::new("alice");
    q.scope = Scope::Everyone;
    let summed = store.queue().scope_sums(&q, false).unwrap();
    let figures = summed.figures(bounds.len());
    let disputed: owed::domain::Decimal = "1800000000000000.00".parse().unwrap();
    assert!(
        figures.headline.open_issue_amount >= disputed,
        "{}",
        figures.headline.open_issue_amount
    );
    assert!(
        figures.issues.iter().any(|i| i.amount >= disputed),
        "{:?}",
        figures.issues
    );
    let by_owner = store.queue().scope_sums_by_owner().unwrap();
    let mut all = owed::store::queue::mirror::ScopeSums::default();
    for sums in by_owner.values() {
        all.add(sums);
    }
    assert_eq!(all.figures(bounds.len()), figures);
    let mirror = store.queue().mirror().unwrap();
    let matches = store.activity().filter_matches(&q.filter).unwrap();
    assert_eq!(
        mirror.figures(&q, &matches).1.figures(bounds.len()),
        figures
    );
}
