//! The workstation's figures of a part of the portfolio (the queue's scope) are the reports'
//! figures of the same customers: `owed report metrics --owner NAME` and `owed report aging
//! --owner NAME` on the demo.

mod fixture;

use fixture::{owed_ok, owed_on, stderr};
use owed::config::Config;
use owed::domain::Decimal;
use owed::domain::aging::AgingBounds;
use owed::domain::money::{fixed, plain};
use owed::domain::queue::{QueueQuery, Scope};
use owed::domain::users::{Actor, Role};
use owed::workstation::save::{ActionValues, SaveJob};
use owed::workstation::{
    FileAccess, PortfolioWorker, Request, Response, ScopeSummary, SessionId, Settings, Summary,
};
use std::path::Path;

const AS_OF: &str = "2026-11-25";

fn report(dir: &Path, db: &Path, what: &str, owner: Option<&str>) -> serde_json::Value {
    let mut args = vec!["report", what, "--json"];
    if let Some(o) = owner {
        args.extend(["--owner", o]);
    }
    serde_json::from_str(&owed_ok(dir, db, Some(AS_OF), &args)).unwrap()
}

/// A demo of `customers` customers as of [`AS_OF`]: its folder, database and date.
fn demo(customers: usize) -> (tempfile::TempDir, std::path::PathBuf, owed::domain::Date) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let n = customers.to_string();
    let args = ["demo", "--no-tui", "--customers", n.as_str()];
    owed_ok(dir.path(), &db, Some(AS_OF), &args);
    (dir, db, owed::domain::date::parse_iso(AS_OF).unwrap())
}

#[test]
fn the_scoped_figures_equal_the_reports_of_the_same_customers() {
    let (dir, db, as_of) = demo(2000);
    let bounds = AgingBounds::default();
    let settings = Settings {
        bounds: bounds.clone(),
        base_currency: "USD".into(),
        grace_days: Config::default().promise_grace_days,
    };
    let mut worker = PortfolioWorker::open(&db, settings).unwrap();
    for (scope, owner) in [
        (Scope::Mine, Some("alice")),
        (Scope::Mine, Some("BOB")),
        (Scope::Everyone, None),
    ] {
        let mut query = QueueQuery::new(owner.unwrap_or("alice"));
        query.scope = scope;
        let answers = worker.handle_batch(fixture::first_requests(as_of, query));
        let scoped: ScopeSummary = answers
            .iter()
            .rev()
            .find_map(|a| match a {
                Response::Scope(s) => Some((**s).clone()),
                _ => None,
            })
            .expect("the scope's figures came with the page");
        let summary: Option<Summary> = answers.iter().find_map(|a| match a {
            Response::Summary(s) => Some((**s).clone()),
            _ => None,
        });
        let f = &scoped.figures;
        assert!(
            f.customers > 0 && !f.headline.outstanding.is_zero(),
            "{owner:?}"
        );
        let metrics = report(dir.path(), &db, "metrics", owner);
        let amounts = [
            ("outstanding", f.headline.outstanding),
            ("overdue", f.headline.overdue),
            ("net_overdue", f.headline.net_overdue),
            ("unutilised_credit", f.headline.unutilised_credit),
            ("unapplied_cash", f.headline.unapplied_cash),
            ("collectable_this_month", f.headline.collectable_this_month),
            ("open_issue_amount", f.headline.open_issue_amount),
            ("open_p2p_amount", f.headline.open_p2p_amount),
        ];
        for (name, ours) in amounts {
            assert_eq!(
                metrics[name].as_str().unwrap(),
                plain(ours, "USD"),
                "{name} of {owner:?}"
            );
        }
        assert_eq!(
            metrics["customers_overdue"].as_u64().unwrap(),
            f.headline.customers_overdue,
            "{owner:?}"
        );
        // A part's DSO is its own (computed once the keys pause); everyone's the summary's.
        let dso = if scoped.everyone {
            assert!(!scoped.dso_pending);
            summary.expect("everyone's figures").metrics.dso
        } else {
            assert!(!scoped.dso_pending, "computed by now");
            scoped.figures.headline.dso
        };
        assert_eq!(
            metrics["dso"].as_str().map(str::to_string),
            dso.map(|d: Decimal| fixed(d, 1)),
            "DSO of {owner:?}"
        );
        // The aging chart's buckets are the aging report's.
        let aging = report(dir.path(), &db, "aging", owner);
        for (label, ours) in bounds.labels().iter().zip(&f.aging) {
            assert_eq!(
                aging["total"]["aging"][label].as_str().unwrap(),
                plain(*ours, "USD"),
                "{label} of {owner:?}"
            );
        }
        assert_eq!(
            aging["total"]["net_overdue"].as_str().unwrap(),
            plain(f.headline.net_overdue, "USD")
        );
        // Net overdue by bucket adds up to the net overdue.
        assert_eq!(f.net_aging.iter().sum::<Decimal>(), f.headline.net_overdue);
    }
    // Nobody of that name: refused in one sentence.
    let zed = ["report", "metrics", "--owner", "zed"];
    let out = owed_on(dir.path(), &db, Some(AS_OF), &zed);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no customer's finance owner is `zed`"),
        "{}",
        stderr(&out)
    );
}

/// The figures of the scope a session's page shows, from a batch's answers.
fn scope_of(answers: &[(SessionId, Response)], session: SessionId) -> ScopeSummary {
    answers
        .iter()
        .rev()
        .find_map(|(sid, a)| match a {
            Response::Scope(s) if *sid == session => Some((**s).clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("session {session} was told its scope's figures"))
}

#[test]
fn sessions_whose_scopes_hold_the_same_customers_see_the_same_figures_and_each_its_own_scope() {
    let (dir, db, as_of) = demo(300);
    let mut worker = PortfolioWorker::open(&db, fixture::settings()).unwrap();
    // A manager on everyone's, "mine" of someone who owns no customer (everyone's again),
    // alice's, and alice's under her name in capitals: all asked for in one batch.
    let sessions = [
        (1, "frank", Role::Manager, Scope::Everyone),
        (2, "zed", Role::Collector, Scope::Mine),
        (3, "alice", Role::Collector, Scope::Mine),
        (4, "ALICE", Role::Collector, Scope::Mine),
        (5, "bob", Role::Collector, Scope::Mine),
    ];
    let mut batch = Vec::new();
    for (sid, name, role, scope) in sessions {
        worker.join(sid, Actor::new(name, role), FileAccess::own());
        let mut query = QueueQuery::new(name);
        query.scope = scope;
        batch.extend(
            fixture::first_requests(as_of, query)
                .into_iter()
                .map(|r| (sid, r)),
        );
    }
    let answers = worker.handle_all(batch);
    let [frank, zed, alice, capitals, bob] = [1, 2, 3, 4, 5].map(|sid| scope_of(&answers, sid));
    // Each is told of its own scope and name.
    assert_eq!(
        [&frank, &zed, &alice, &capitals].map(|s| (s.scope, s.collector.as_str())),
        [
            (Scope::Everyone, "frank"),
            (Scope::Mine, "zed"),
            (Scope::Mine, "alice"),
            (Scope::Mine, "ALICE")
        ]
    );
    assert!(frank.everyone && zed.everyone && zed.mine_fallback);
    assert!(!alice.everyone && !capitals.everyone && !capitals.mine_fallback);
    // The same customers, the same figures (and the DSO of alice's, computed once the keys
    // paused); other customers, others.
    assert_eq!(zed.figures, frank.figures);
    assert_eq!(capitals.figures, alice.figures);
    assert!(alice.figures.headline.dso.is_some());
    assert!(alice.figures.customers < frank.figures.customers);
    assert_ne!(bob.figures, alice.figures);
    // Everyone's are the report's of everyone, alice's of alice, bob's of bob.
    for (figures, owner) in [
        (&zed.figures, None),
        (&capitals.figures, Some("alice")),
        (&bob.figures, Some("bob")),
    ] {
        let metrics = report(dir.path(), &db, "metrics", owner);
        assert_eq!(
            metrics["outstanding"].as_str().unwrap(),
            plain(figures.headline.outstanding, "USD"),
            "{owner:?}"
        );
        assert_eq!(
            metrics["open_p2p_amount"].as_str().unwrap(),
            plain(figures.headline.open_p2p_amount, "USD"),
            "{owner:?}"
        );
    }
    // A promise on one of alice's customers moves both of her scopes and both of everyone's
    // by the same amount.
    let cid = answers
        .iter()
        .find_map(|(sid, a)| match a {
            Response::Page { page, .. } if *sid == 3 => page.rows.first().map(|r| r.cid),
            _ => None,
        })
        .expect("alice has customers");
    let promise = Request::Save {
        seq: 9,
        job: SaveJob {
            as_of,
            cids: vec![cid],
            values: ActionValues::Promise {
                amount: "123.45".into(),
                date: "2026-12-01".into(),
                documents: Vec::new(),
                text: String::new(),
            },
        },
    };
    let answers = worker.handle_all(vec![(3, promise)]);
    let saved = answers.iter().find_map(|(_, a)| match a {
        Response::Saved { outcome, .. } => Some(outcome.clone()),
        _ => None,
    });
    assert_eq!(saved.expect("saved").error, None);
    let moved = |before: &ScopeSummary, sid| {
        scope_of(&answers, sid).figures.headline.open_p2p_amount
            - before.figures.headline.open_p2p_amount
    };
    let amount: Decimal = "123.45".parse().unwrap();
    assert_eq!(
        [
            moved(&frank, 1),
            moved(&zed, 2),
            moved(&alice, 3),
            moved(&capitals, 4)
        ],
        [amount; 4]
    );
}
