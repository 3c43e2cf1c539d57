//! Reports: the portfolio's figures as of a date, aging and metrics, as JSON (SPEC "Report
//! output") and as aligned tables for people.

pub mod activity;
pub mod aging;
pub mod backtest;
pub mod forecast;
pub mod metrics;
pub mod table;
pub mod team;

/// `text` (a report's text) with the ledger's time zone after its first `as of DATE`, in
/// parentheses: `Aging as of 2026-04-30 (Europe/Berlin) in USD`. The date is a day in that
/// zone (`owed config time-zone`), which only that command showed; the JSON outputs keep
/// SPEC's shapes.
pub fn as_of_in_zone(text: &str, as_of: Date, zone: &str) -> String {
    let said = format!("as of {as_of}");
    match text.find(&said) {
        Some(at) => {
            let end = at + said.len();
            format!("{} ({zone}){}", &text[..end], &text[end..])
        }
        None => text.to_string(),
    }
}

use crate::Result;
use crate::domain::aging::{AgingBounds, Figures};
use crate::domain::metrics::Headline;
use crate::domain::{Date, Decimal};
use crate::store::Store;
use crate::store::ledger::ItemKind;
use std::collections::{HashMap, HashSet};

/// Every customer's figures and the portfolio's, from one pass over the open items.
#[derive(Debug, Clone)]
pub struct Portfolio {
    pub as_of: Date,
    pub currency: String,
    pub bounds: AgingBounds,
    /// Sums over customers; net overdue is summed per customer in `net_overdue`.
    pub total: Figures,
    /// Σ max(0, overdue − credit − cash) per customer.
    pub net_overdue: Decimal,
    /// Customers with something overdue.
    pub customers_overdue: u64,
    /// Figures by customer key (`cid`), for customers with anything open.
    pub customers: HashMap<i64, Figures>,
    /// The finance owner whose customers these are (`--owner`), `None` for every customer.
    pub owner: Option<String>,
}

impl Portfolio {
    /// The headline figures: these figures' with what they do not hold, the open issues (the
    /// deductions among them) and promises, and the DSO.
    pub fn headline(
        &self,
        open_issue_amount: Decimal,
        open_deduction_amount: Decimal,
        open_p2p_amount: Decimal,
        dso: Option<Decimal>,
    ) -> Headline {
        let t = &self.total;
        Headline {
            outstanding: t.outstanding,
            overdue: t.overdue,
            net_overdue: self.net_overdue,
            unutilised_credit: t.unutilised_credit,
            unapplied_cash: t.unapplied_cash,
            collectable_this_month: t.collectable_this_month,
            open_issue_amount,
            open_deduction_amount,
            open_p2p_amount,
            dso,
            customers_overdue: self.customers_overdue,
        }
    }

    /// Computes the figures of every customer (or of one, with `cid`) as of `as_of`.
    pub fn compute(
        store: &Store,
        as_of: Date,
        cid: Option<i64>,
        bounds: &AgingBounds,
        base_currency: &str,
    ) -> Result<Portfolio> {
        let mut customers: HashMap<i64, Figures> = HashMap::new();
        store.ledger().for_each_open_item(as_of, cid, |item| {
            let base = item.base_balance(base_currency);
            let f = customers
                .entry(item.cid)
                .or_insert_with(|| Figures::new(bounds));
            match item.kind {
                ItemKind::Debit => f.add_debit(bounds, as_of, item.due_date, base),
                ItemKind::Credit => f.add_credit(base),
                ItemKind::Cash => f.add_unapplied_cash(base),
            }
        })?;
        store
            .ledger()
            .for_each_mismatch(as_of, cid, |cid, billing, ours, rate| {
                let to_base =
                    |v: Decimal| crate::domain::money::round_to_currency(v * rate, base_currency);
                customers
                    .entry(cid)
                    .or_insert_with(|| Figures::new(bounds))
                    .add_mismatch(to_base(billing), to_base(ours));
            })?;
        let mut p = Portfolio {
            as_of,
            currency: base_currency.to_string(),
            bounds: bounds.clone(),
            total: Figures::new(bounds),
            net_overdue: Decimal::ZERO,
            customers_overdue: 0,
            customers,
            owner: None,
        };
        p.add_up();
        Ok(p)
    }

    /// The portfolio of some customers only (keys): a collector's (`--owner`).
    pub fn restricted(mut self, cids: &HashSet<i64>) -> Portfolio {
        self.customers.retain(|cid, _| cids.contains(cid));
        self.add_up();
        self
    }

    /// The portfolio of one finance owner's customers, saying whose they are.
    pub fn owned(self, owned: &Owned) -> Portfolio {
        Portfolio {
            owner: Some(owned.name.clone()),
            ..self.restricted(&owned.cids)
        }
    }

    /// The totals from the customers' figures.
    fn add_up(&mut self) {
        let mut total = Figures::new(&self.bounds);
        let mut net_overdue = Decimal::ZERO;
        let mut customers_overdue = 0;
        for f in self.customers.values() {
            total.absorb(f);
            net_overdue += f.net_overdue();
            if f.overdue > Decimal::ZERO {
                customers_overdue += 1;
            }
        }
        self.total = total;
        self.net_overdue = net_overdue;
        self.customers_overdue = customers_overdue;
    }
}

/// One finance owner's customers (`--owner NAME`): the name as given and their keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Owned {
    pub name: String,
    pub cids: HashSet<i64>,
}

/// The customers (keys) whose finance owner is `owner` (without regard to case or width in any
/// script, as users are told apart: [`crate::domain::text::person_key`]), for the
/// reports, exports and plans of one collector's customers. Every `--owner` takes this one
/// rule: an empty name, or one that owns no customer, is refused (a mistyped name gave an
/// empty file, or the figures of nobody, as if they were someone's), naming the owners there
/// are.
pub fn owned_by(store: &Store, owner: &str) -> Result<Owned> {
    let name = owner.trim();
    if name.is_empty() {
        return Err(crate::Error::input("--owner needs a name"));
    }
    let cids = store.ledger().customers_owned_by(name)?;
    if cids.is_empty() {
        return Err(crate::Error::input(format!(
            "no customer's finance owner is {}{}",
            crate::error::quoted(name),
            owners_there_are(store)?
        )));
    }
    Ok(Owned {
        name: name.to_string(),
        cids: cids.into_iter().collect(),
    })
}

/// What to give instead of an owner nobody has: ` (the finance owners are alice, bob)`, the
/// first few with how many more, or ` (no customer has a finance owner)`.
fn owners_there_are(store: &Store) -> Result<String> {
    const NAMED: usize = 8;
    let owners = store.ledger().finance_owner_names()?;
    if owners.is_empty() {
        return Ok(" (no customer has a finance owner)".into());
    }
    let mut named: Vec<String> = owners
        .iter()
        .take(NAMED)
        .map(|o| {
            crate::domain::text::one_line(crate::domain::text::first_chars(o, 40)).into_owned()
        })
        .collect();
    if owners.len() > NAMED {
        named.push(format!("{} more", owners.len() - NAMED));
    }
    Ok(format!(" (the finance owners are {})", named.join(", ")))
}

/// How a report's heading names its customers: ` · customers of alice`, or nothing for every
/// customer.
pub fn scope_heading(owner: Option<&str>) -> String {
    owner.map_or_else(String::new, |o| {
        format!(" · customers of {}", crate::domain::text::one_line(o))
    })
}

/// A moment kept as RFC 3339 UTC text, for people: `2026-12-04 22:00:00 -05:00` in this
/// machine's time zone, the one its day is counted in (`crate::store` counts days so), with
/// its offset from UTC (beside the logs' UTC times, a local time without one was read as
/// UTC); the text as it is when it is not such a moment.
pub fn local_time(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at).map_or_else(
        |_| at.replace('T', " ").trim_end_matches('Z').to_string(),
        |t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S %:z")
                .to_string()
        },
    )
}
