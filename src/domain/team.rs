//! Team figures for managers: per collector, what they own and what they did (issue 17).
//!
//! Pure: [`team`] folds what the store gathered (each customer's finance owner and overdue
//! amount, the touches, the promises with their derived state, …) into one row per
//! collector, as of a date. The words:
//!
//! - a **touch** is any entry a collector recorded on a customer: a note, a call, a promise
//!   or its void, an issue or its resolve / reopen, a follow-up or
//!   its done, a reminder sent (not what a run wrote under their name: a deduction a lockbox
//!   file opened, a deduction's resolve or reopen by an import). A reminder is the touch of
//!   whoever signed it (the customer's finance owner, else its sender), not of whoever ran
//!   the send (cron's OS user). Its day is the action's own
//!   date where it has one (a
//!   promise's recorded date, an issue's opened date, a reminder's sent date), else the day
//!   of its timestamp (UTC);
//! - the **week** runs from its Monday through the as-of date; the **window** is the
//!   [`WINDOW_DAYS`] days ending on the as-of date: calls, notes, disputes opened and
//!   resolved, reminders, promises taken, money after a touch and broken promises are
//!   counted over it.

use super::promise::PromiseState;
use super::{Date, Decimal};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Days in the window the activity figures count over, the as-of date included.
pub const WINDOW_DAYS: u64 = 30;

/// Days after a touch within which money applied counts as paid after it.
pub const PAID_WITHIN_DAYS: i32 = 14;

/// The dates the figures count from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub as_of: Date,
    /// The Monday of the as-of date's week.
    pub week_start: Date,
    /// The first day of the window (`as_of` − 29 days).
    pub window_start: Date,
}

/// A customer: its finance owner and what it has overdue at the as-of date (base currency).
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedCustomer {
    pub cid: i64,
    pub owner: Option<String>,
    pub overdue: Decimal,
    /// Replies received by the as-of date and not read yet.
    pub replies_waiting: u64,
}

/// A collector's touch on a customer on a day (one per collector, customer and day).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Touch {
    pub collector: String,
    pub cid: i64,
    pub day: Date,
}

/// A promise as the figures need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenPromise {
    /// Who took it.
    pub collector: String,
    pub cid: i64,
    /// The day it was recorded.
    pub recorded: Date,
    /// Its last day to be kept (the promised date plus grace).
    pub deadline: Date,
    /// As of the as-of date.
    pub state: PromiseState,
}

/// What the store gathered for [`team`], all as of the period's date.
#[derive(Debug, Clone, Default)]
pub struct TeamInput {
    /// Every customer.
    pub customers: Vec<OwnedCustomer>,
    /// Touches in the window (by anyone).
    pub touches: Vec<Touch>,
    /// Promises recorded in the window, and those whose deadline falls in it.
    pub promises: Vec<TakenPromise>,
    /// Calls logged per collector in the window.
    pub calls: HashMap<String, u64>,
    /// Notes logged and disputes opened and resolved per collector in the window.
    pub logged: HashMap<String, Logged>,
    /// Per collector: money from payments applied to a customer's documents within
    /// [`PAID_WITHIN_DAYS`] of their touch in the window (each application once per
    /// collector), in the base currency.
    pub paid_after_touch: HashMap<String, Decimal>,
    /// Names that get a row even with nothing to show (the registered collectors).
    pub names: Vec<String>,
    /// Every registered user's name: how a row is spelt when its owner is one of them in
    /// another case (`BOB` on customers imported so is the user bob's row).
    pub users: Vec<String>,
}

/// What a collector logged in the window besides calls and promises: notes, and disputes
/// (issues) opened and resolved — not what a run wrote in their name (a deduction a lockbox
/// file opened, a resolve by an import or a lockbox run), as for touches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Logged {
    pub notes: u64,
    /// Issues they opened, on the day opened.
    pub disputes_opened: u64,
    /// Resolves they recorded, on the day of each (an issue resolved, reopened and resolved
    /// again counts twice).
    pub disputes_resolved: u64,
    /// Reminders sent that they signed (their customers', whoever sent them), on the day
    /// sent: by hand (the workstation's `r`, the cycle `manual`) and by engagement runs
    /// (cron's `owed engage run`, the engagement screen's send).
    pub reminders_by_hand: u64,
    pub reminders_by_runs: u64,
}

/// One collector's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CollectorFigures {
    pub collector: String,
    /// Customers whose finance owner they are.
    pub customers_assigned: u64,
    /// Of those, the ones with something overdue.
    pub customers_overdue: u64,
    /// Their overdue amount, in the base currency.
    pub overdue: Decimal,
    /// Customers they touched on the as-of date.
    pub touched_today: u64,
    /// Customers they touched this week.
    pub touched_this_week: u64,
    /// Calls logged in the window.
    pub calls: u64,
    /// Notes logged, disputes opened and resolved in the window ([`Logged`]).
    pub notes: u64,
    pub disputes_opened: u64,
    pub disputes_resolved: u64,
    /// Reminders they signed sent in the window, by hand and by runs ([`Logged`]).
    pub reminders_by_hand: u64,
    pub reminders_by_runs: u64,
    /// Promises they recorded in the window, voided ones left out.
    pub promises_taken: u64,
    /// Of those, by their state at the as-of date.
    pub promises_kept: u64,
    pub promises_partially_kept: u64,
    pub promises_broken: u64,
    pub promises_open: u64,
    /// `kept ÷ (kept + partially kept + broken) × 100`; `None` when none has come due.
    pub kept_share: Option<Decimal>,
    /// See [`TeamInput::paid_after_touch`].
    pub paid_after_touch: Decimal,
    /// Promises (whoever took them) of the customers they own now whose deadline passed in
    /// the window, broken or partially kept, with no touch on the customer by anyone since
    /// the deadline: work to do, so it follows the customer's owner.
    pub broken_without_followup: u64,
    /// Unread replies of the customers they own.
    pub replies_waiting: u64,
}

/// Customers with no finance owner.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unassigned {
    pub customers: u64,
    pub customers_overdue: u64,
    pub overdue: Decimal,
    /// Broken promises without a follow-up on customers nobody owns now.
    pub broken_without_followup: u64,
}

/// The key two spellings of an owner are one row by: trimmed, then as users are told apart
/// ([`super::text::person_key`]: without regard to case or width, composed), as `--owner`
/// and the queue's `owner:` compare finance owners (`ERIN` and `erin`, `AYŞE` and `ayşe`
/// are one person's customers).
pub fn owner_key(name: &str) -> String {
    super::text::person_key(name.trim())
}

/// How each owner's row is spelt, by [`owner_key`]: a registered user's name as registered,
/// else the spelling most of their customers have (of two as common, the one with more
/// lower-case letters: `erin` before `Erin` before `ERIN`).
fn spellings(input: &TeamInput) -> HashMap<String, String> {
    let mut counts: HashMap<String, HashMap<&str, u64>> = HashMap::new();
    for c in &input.customers {
        if let Some(o) = c.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
            *counts
                .entry(owner_key(o))
                .or_default()
                .entry(o)
                .or_default() += 1;
        }
    }
    let others = input
        .names
        .iter()
        .map(String::as_str)
        .chain(input.touches.iter().map(|t| t.collector.as_str()))
        .chain(input.promises.iter().map(|p| p.collector.as_str()))
        .chain(input.calls.keys().map(String::as_str))
        .chain(input.logged.keys().map(String::as_str))
        .chain(input.paid_after_touch.keys().map(String::as_str));
    for o in others.map(str::trim).filter(|o| !o.is_empty()) {
        counts
            .entry(owner_key(o))
            .or_default()
            .entry(o)
            .or_default();
    }
    let mut out: HashMap<String, String> = counts
        .into_iter()
        .map(|(key, spelt)| {
            let best = spelt
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(b.0)))
                .map(|(s, _)| s.to_string())
                .unwrap_or_default();
            (key, best)
        })
        .collect();
    for u in &input.users {
        if let Some(spelt) = out.get_mut(&owner_key(u)) {
            spelt.clone_from(u);
        }
    }
    out
}

/// The rows by [`owner_key`], each spelt as [`spellings`] says.
struct Rows {
    rows: BTreeMap<String, CollectorFigures>,
    spelt: HashMap<String, String>,
}

impl Rows {
    /// The row of `name` (in whatever case), made when missing.
    fn of(&mut self, name: &str) -> &mut CollectorFigures {
        let key = owner_key(name);
        let spelt = &self.spelt;
        self.rows
            .entry(key)
            .or_insert_with_key(|key| CollectorFigures {
                collector: spelt
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| name.trim().to_string()),
                ..CollectorFigures::default()
            })
    }
}

/// The team's figures: one row per collector by name (two spellings of a name that differ
/// only in case are one row, [`owner_key`]), and the customers nobody owns.
pub fn team(period: &Period, input: &TeamInput) -> (Vec<CollectorFigures>, Unassigned) {
    let mut rows = Rows {
        rows: BTreeMap::new(),
        spelt: spellings(input),
    };
    for name in &input.names {
        rows.of(name);
    }
    let mut unassigned = Unassigned::default();
    // Each customer's owner now, for the work to do on it.
    let mut owners: HashMap<i64, &str> = HashMap::new();
    for c in &input.customers {
        let overdue = c.overdue > Decimal::ZERO;
        match c.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
            Some(owner) => {
                owners.insert(c.cid, owner);
                let r = rows.of(owner);
                r.customers_assigned += 1;
                r.customers_overdue += u64::from(overdue);
                r.overdue += c.overdue;
                r.replies_waiting += c.replies_waiting;
            }
            None => {
                unassigned.customers += 1;
                unassigned.customers_overdue += u64::from(overdue);
                unassigned.overdue += c.overdue;
            }
        }
    }
    let mut today: HashMap<String, HashSet<i64>> = HashMap::new();
    let mut week: HashMap<String, HashSet<i64>> = HashMap::new();
    // The latest touch on each customer by anyone, for "no follow-up since".
    let mut latest: HashMap<i64, Date> = HashMap::new();
    for t in input.touches.iter().filter(|t| t.day <= period.as_of) {
        if t.day == period.as_of {
            today
                .entry(owner_key(&t.collector))
                .or_default()
                .insert(t.cid);
            rows.of(&t.collector);
        }
        if t.day >= period.week_start {
            week.entry(owner_key(&t.collector))
                .or_default()
                .insert(t.cid);
            rows.of(&t.collector);
        }
        let l = latest.entry(t.cid).or_insert(t.day);
        *l = (*l).max(t.day);
    }
    for (key, cids) in &today {
        if let Some(r) = rows.rows.get_mut(key) {
            r.touched_today = cids.len() as u64;
        }
    }
    for (key, cids) in &week {
        if let Some(r) = rows.rows.get_mut(key) {
            r.touched_this_week = cids.len() as u64;
        }
    }
    for (name, n) in &input.calls {
        rows.of(name).calls += *n;
    }
    for (name, l) in &input.logged {
        let r = rows.of(name);
        r.notes += l.notes;
        r.disputes_opened += l.disputes_opened;
        r.disputes_resolved += l.disputes_resolved;
        r.reminders_by_hand += l.reminders_by_hand;
        r.reminders_by_runs += l.reminders_by_runs;
    }
    for (name, amount) in &input.paid_after_touch {
        rows.of(name).paid_after_touch += *amount;
    }
    let in_window = |d: Date| d >= period.window_start && d <= period.as_of;
    for p in &input.promises {
        if p.recorded > period.as_of {
            continue;
        }
        // What the collector did stays theirs: the promises they took and how they went.
        if in_window(p.recorded) && p.state != PromiseState::Voided {
            let r = rows.of(&p.collector);
            r.promises_taken += 1;
            match p.state {
                PromiseState::Kept => r.promises_kept += 1,
                PromiseState::PartiallyKept => r.promises_partially_kept += 1,
                PromiseState::Broken => r.promises_broken += 1,
                PromiseState::Open | PromiseState::Voided => r.promises_open += 1,
            }
        }
        // What is left to do on the customer is its owner's now.
        let broke = matches!(p.state, PromiseState::Broken | PromiseState::PartiallyKept);
        if broke && p.deadline >= period.window_start && p.deadline < period.as_of {
            let followed = latest.get(&p.cid).is_some_and(|&d| d > p.deadline);
            if !followed {
                match owners.get(&p.cid) {
                    Some(owner) => rows.of(owner).broken_without_followup += 1,
                    None => unassigned.broken_without_followup += 1,
                }
            }
        }
    }
    let mut out: Vec<CollectorFigures> = rows.rows.into_values().collect();
    for r in &mut out {
        r.kept_share = kept_share(r);
    }
    (out, unassigned)
}

/// `kept ÷ (kept + partially kept + broken) × 100` of a row, to one decimal; `None` when none
/// of its promises has come due.
fn kept_share(r: &CollectorFigures) -> Option<Decimal> {
    let due = r.promises_kept + r.promises_partially_kept + r.promises_broken;
    (due > 0).then(|| {
        super::money::round_half_away(
            Decimal::from(r.promises_kept) * Decimal::ONE_HUNDRED / Decimal::from(due),
            1,
        )
    })
}

/// The team's totals row: each count and amount summed over the rows (a customer touched by
/// two collectors counts for both, as a payment after their touches does), named `total`;
/// the share kept is of the summed promises.
pub fn totals(rows: &[CollectorFigures]) -> CollectorFigures {
    let mut t = CollectorFigures {
        collector: "total".to_string(),
        ..CollectorFigures::default()
    };
    for r in rows {
        t.customers_assigned += r.customers_assigned;
        t.customers_overdue += r.customers_overdue;
        t.overdue += r.overdue;
        t.touched_today += r.touched_today;
        t.touched_this_week += r.touched_this_week;
        t.calls += r.calls;
        t.notes += r.notes;
        t.disputes_opened += r.disputes_opened;
        t.disputes_resolved += r.disputes_resolved;
        t.reminders_by_hand += r.reminders_by_hand;
        t.reminders_by_runs += r.reminders_by_runs;
        t.promises_taken += r.promises_taken;
        t.promises_kept += r.promises_kept;
        t.promises_partially_kept += r.promises_partially_kept;
        t.promises_broken += r.promises_broken;
        t.promises_open += r.promises_open;
        t.paid_after_touch += r.paid_after_touch;
        t.broken_without_followup += r.broken_without_followup;
        t.replies_waiting += r.replies_waiting;
    }
    t.kept_share = kept_share(&t);
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{date as d, dec};

    fn period() -> Period {
        // A Thursday; its week starts on Monday 27 April.
        Period {
            as_of: d("2026-04-30"),
            week_start: d("2026-04-27"),
            window_start: d("2026-04-01"),
        }
    }

    fn touch(who: &str, cid: i64, day: &str) -> Touch {
        Touch {
            collector: who.into(),
            cid,
            day: d(day),
        }
    }

    fn promise(
        who: &str,
        cid: i64,
        recorded: &str,
        deadline: &str,
        state: PromiseState,
    ) -> TakenPromise {
        TakenPromise {
            collector: who.into(),
            cid,
            recorded: d(recorded),
            deadline: d(deadline),
            state,
        }
    }

    #[test]
    fn ownership_touches_and_promises_per_collector() {
        let customer = |cid, owner: Option<&str>, overdue: &str, replies| OwnedCustomer {
            cid,
            owner: owner.map(str::to_string),
            overdue: dec(overdue),
            replies_waiting: replies,
        };
        let input = TeamInput {
            customers: vec![
                customer(1, Some("alice"), "100", 1),
                customer(2, Some("alice"), "0", 0),
                customer(3, Some("bob"), "50", 2),
                customer(4, None, "70", 0),
            ],
            touches: vec![
                touch("alice", 1, "2026-04-30"),
                touch("alice", 1, "2026-04-28"),
                touch("alice", 2, "2026-04-20"),
                touch("bob", 3, "2026-04-26"),
                touch("bob", 1, "2026-04-29"),
            ],
            promises: vec![
                promise("alice", 1, "2026-04-02", "2026-04-10", PromiseState::Kept),
                promise("alice", 2, "2026-04-03", "2026-04-12", PromiseState::Broken),
                promise("alice", 2, "2026-04-05", "2026-04-08", PromiseState::Voided),
                promise(
                    "bob",
                    3,
                    "2026-04-20",
                    "2026-04-24",
                    PromiseState::PartiallyKept,
                ),
                promise("bob", 3, "2026-04-29", "2026-05-06", PromiseState::Open),
                // Taken before the window, broken in it: counts only as broken.
                promise("bob", 1, "2026-03-20", "2026-04-02", PromiseState::Broken),
            ],
            calls: HashMap::from([("alice".to_string(), 3)]),
            logged: HashMap::from([
                (
                    "alice".to_string(),
                    Logged {
                        notes: 2,
                        disputes_opened: 1,
                        reminders_by_runs: 4,
                        ..Logged::default()
                    },
                ),
                (
                    "Bob".to_string(),
                    Logged {
                        disputes_resolved: 1,
                        reminders_by_hand: 1,
                        ..Logged::default()
                    },
                ),
            ]),
            paid_after_touch: HashMap::from([("bob".to_string(), dec("40"))]),
            names: vec!["carl".into()],
            users: vec!["carl".into()],
        };
        let (rows, unassigned) = team(&period(), &input);
        let names: Vec<&str> = rows.iter().map(|r| r.collector.as_str()).collect();
        assert_eq!(names, ["alice", "bob", "carl"]);
        let alice = &rows[0];
        assert_eq!(
            (
                alice.customers_assigned,
                alice.customers_overdue,
                alice.overdue
            ),
            (2, 1, dec("100"))
        );
        assert_eq!((alice.touched_today, alice.touched_this_week), (1, 1));
        assert_eq!((alice.calls, alice.replies_waiting), (3, 1));
        assert_eq!(
            (alice.notes, alice.disputes_opened, alice.disputes_resolved),
            (2, 1, 0)
        );
        assert_eq!(
            (
                rows[1].notes,
                rows[1].disputes_opened,
                rows[1].disputes_resolved
            ),
            (0, 0, 1),
            "Bob is bob's row"
        );
        assert_eq!((alice.reminders_by_hand, alice.reminders_by_runs), (0, 4));
        assert_eq!(
            (rows[1].reminders_by_hand, rows[1].reminders_by_runs),
            (1, 0)
        );
        assert_eq!(
            (
                alice.promises_taken,
                alice.promises_kept,
                alice.promises_broken
            ),
            (2, 1, 1)
        );
        assert_eq!(alice.kept_share, Some(dec("50.0")));
        // Customer 2 was touched on the 20th, after the broken promise's deadline (12th).
        assert_eq!(alice.broken_without_followup, 0);
        let bob = &rows[1];
        assert_eq!((bob.touched_today, bob.touched_this_week), (0, 1));
        assert_eq!(
            (
                bob.promises_taken,
                bob.promises_partially_kept,
                bob.promises_open
            ),
            (2, 1, 1)
        );
        assert_eq!(bob.kept_share, Some(dec("0.0")));
        // Customer 3: deadline 24th, touched 26th; customer 1: deadline 2nd, touched since.
        assert_eq!(bob.broken_without_followup, 0);
        assert_eq!(bob.paid_after_touch, dec("40"));
        assert_eq!(bob.replies_waiting, 2);
        assert_eq!(
            rows[2],
            CollectorFigures {
                collector: "carl".into(),
                ..CollectorFigures::default()
            }
        );
        assert_eq!(
            unassigned,
            Unassigned {
                customers: 1,
                customers_overdue: 1,
                overdue: dec("70"),
                broken_without_followup: 0,
            }
        );
    }

    #[test]
    fn a_broken_promise_needs_a_touch_after_its_deadline() {
        let p = promise("alice", 7, "2026-04-10", "2026-04-20", PromiseState::Broken);
        let count = |touches: Vec<Touch>| {
            let input = TeamInput {
                customers: vec![owned(7, Some("alice"))],
                promises: vec![p.clone()],
                touches,
                ..TeamInput::default()
            };
            team(&period(), &input).0[0].broken_without_followup
        };
        assert_eq!(count(vec![]), 1);
        // On the deadline itself is not after it; anyone's touch after it is.
        assert_eq!(count(vec![touch("alice", 7, "2026-04-20")]), 1);
        assert_eq!(count(vec![touch("bob", 7, "2026-04-21")]), 0);
        // A touch on another customer does not count.
        assert_eq!(count(vec![touch("alice", 8, "2026-04-25")]), 1);
    }

    fn owned(cid: i64, owner: Option<&str>) -> OwnedCustomer {
        OwnedCustomer {
            cid,
            owner: owner.map(str::to_string),
            overdue: dec("10"),
            replies_waiting: 0,
        }
    }

    #[test]
    fn a_broken_promise_left_to_do_is_counted_on_the_customers_owner_now() {
        // bob took both promises; customer 1 is carol's now, customer 2 nobody's.
        let input = TeamInput {
            customers: vec![owned(1, Some("carol")), owned(2, None)],
            promises: vec![
                promise("bob", 1, "2026-04-10", "2026-04-20", PromiseState::Broken),
                promise("bob", 2, "2026-04-10", "2026-04-20", PromiseState::Kept),
                promise("bob", 2, "2026-04-11", "2026-04-21", PromiseState::Broken),
            ],
            ..TeamInput::default()
        };
        let (rows, unassigned) = team(&period(), &input);
        let names: Vec<&str> = rows.iter().map(|r| r.collector.as_str()).collect();
        assert_eq!(names, ["bob", "carol"]);
        let (bob, carol) = (&rows[0], &rows[1]);
        // What bob did stays his: three promises, one kept of three come due.
        assert_eq!((bob.promises_taken, bob.promises_broken), (3, 2));
        assert_eq!(bob.kept_share, Some(dec("33.3")));
        assert_eq!(bob.broken_without_followup, 0);
        // What is left to do follows the customer.
        assert_eq!((carol.customers_assigned, carol.promises_taken), (1, 0));
        assert_eq!(carol.broken_without_followup, 1);
        assert_eq!(unassigned.broken_without_followup, 1);
    }

    #[test]
    fn owners_that_differ_only_in_case_are_one_row() {
        let input = TeamInput {
            customers: vec![
                owned(1, Some("erin")),
                owned(2, Some("erin")),
                owned(3, Some("ERIN")),
                owned(4, Some("BOB")),
                owned(5, Some("Dave")),
                owned(6, Some("DAVE")),
            ],
            touches: vec![touch("Bob", 4, "2026-04-30")],
            calls: HashMap::from([("BOB".to_string(), 2), ("bob".to_string(), 1)]),
            names: vec!["bob".into()],
            users: vec!["bob".into()],
            ..TeamInput::default()
        };
        let (rows, _) = team(&period(), &input);
        let got: Vec<(&str, u64)> = rows
            .iter()
            .map(|r| (r.collector.as_str(), r.customers_assigned))
            .collect();
        // The registered user's spelling, else the most common, else the one in lower case.
        assert_eq!(got, [("bob", 1), ("Dave", 2), ("erin", 3)]);
        assert_eq!((rows[0].calls, rows[0].touched_today), (3, 1));
    }

    #[test]
    fn totals_sum_the_rows_and_take_the_share_of_the_sums() {
        let a = CollectorFigures {
            collector: "alice".into(),
            customers_assigned: 3,
            customers_overdue: 2,
            overdue: dec("550.25"),
            touched_today: 1,
            touched_this_week: 2,
            calls: 4,
            promises_taken: 3,
            promises_kept: 1,
            promises_broken: 1,
            promises_open: 1,
            kept_share: Some(dec("50.0")),
            paid_after_touch: dec("40"),
            broken_without_followup: 1,
            replies_waiting: 2,
            ..CollectorFigures::default()
        };
        let b = CollectorFigures {
            collector: "bob".into(),
            customers_assigned: 1,
            overdue: dec("0.75"),
            promises_taken: 2,
            promises_kept: 1,
            promises_partially_kept: 1,
            kept_share: Some(dec("50.0")),
            paid_after_touch: dec("10"),
            ..CollectorFigures::default()
        };
        let t = totals(&[a, b]);
        assert_eq!(t.collector, "total");
        assert_eq!((t.customers_assigned, t.customers_overdue), (4, 2));
        assert_eq!(t.overdue, dec("551.00"));
        assert_eq!((t.touched_today, t.touched_this_week, t.calls), (1, 2, 4));
        assert_eq!(t.promises_taken, 5);
        // 2 kept of 4 come due.
        assert_eq!(t.kept_share, Some(dec("50.0")));
        assert_eq!(t.paid_after_touch, dec("50"));
        assert_eq!((t.broken_without_followup, t.replies_waiting), (1, 2));
        assert_eq!(totals(&[]).kept_share, None);
    }
}
