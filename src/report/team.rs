//! `owed report team` / `owed export team`: per-collector figures for managers (the words
//! and rules are in `domain::team`). [`TeamReport::compute`] is what the workstation's
//! manager view calls, with the portfolio it already holds.

use crate::Result;
use crate::domain::Date;
use crate::domain::aging::AgingBounds;
use crate::domain::money::{grouped, plain};
use crate::domain::team::{
    CollectorFigures, OwnedCustomer, Period, TeamInput, Unassigned, WINDOW_DAYS, team,
};
use crate::domain::users::Role;
use crate::report::Portfolio;
use crate::report::table::{Align, TextTable};
use crate::store::Store;
use chrono::Days;

/// The team's figures as of a date.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamReport {
    pub period: Period,
    /// The base currency of the amounts.
    pub currency: String,
    /// One row per collector (finance owners, registered collectors, anyone who recorded
    /// something in the window), by name.
    pub collectors: Vec<CollectorFigures>,
    pub unassigned: Unassigned,
}

impl TeamReport {
    /// Computes the figures as of `as_of` (a fresh portfolio).
    pub fn compute_at(
        store: &Store,
        as_of: Date,
        bounds: &AgingBounds,
        base_currency: &str,
        grace_days: u32,
    ) -> Result<TeamReport> {
        let p = Portfolio::compute(store, as_of, None, bounds, base_currency)?;
        TeamReport::compute(store, &p, grace_days)
    }

    /// Computes the figures as of the portfolio's date, from its overdue amounts.
    pub fn compute(store: &Store, p: &Portfolio, grace_days: u32) -> Result<TeamReport> {
        let as_of = p.as_of;
        let period = Period {
            as_of,
            week_start: crate::engage::report::week_start(as_of),
            window_start: as_of
                .checked_sub_days(Days::new(WINDOW_DAYS - 1))
                .unwrap_or(Date::MIN),
        };
        let from = period.window_start;
        let replies = store.activity().replies_waiting(as_of)?;
        let customers = store
            .activity()
            .finance_owners()?
            .into_iter()
            .map(|(cid, owner)| OwnedCustomer {
                cid,
                owner,
                overdue: p.customers.get(&cid).map(|f| f.overdue).unwrap_or_default(),
                replies_waiting: replies.get(&cid).copied().unwrap_or(0),
            })
            .collect();
        let registered = store.users().list()?;
        let names = registered
            .iter()
            .filter(|u| u.role == Role::Collector)
            .map(|u| u.name.clone())
            .collect();
        let users = registered.into_iter().map(|u| u.name).collect();
        let input = TeamInput {
            customers,
            touches: store.activity().touches(from, as_of)?,
            promises: store
                .activity()
                .promises_for_team(from, as_of, grace_days, &p.currency)?,
            calls: store.activity().calls_by_collector(from, as_of)?,
            logged: store.activity().logged_by_collector(from, as_of)?,
            paid_after_touch: store
                .activity()
                .paid_after_touches(from, as_of, &p.currency)?,
            names,
            users,
        };
        let (collectors, unassigned) = team(&period, &input);
        Ok(TeamReport {
            period,
            currency: p.currency.clone(),
            collectors,
            unassigned,
        })
    }

    /// The JSON shape documented in the README ("Team figures").
    pub fn to_json(&self) -> serde_json::Value {
        let cur = self.currency.as_str();
        serde_json::json!({
            "as_of": self.period.as_of.to_string(),
            "currency": cur,
            "week_start": self.period.week_start.to_string(),
            "window_start": self.period.window_start.to_string(),
            "window_days": WINDOW_DAYS,
            "calls_counted_from": "calls",
            "collectors": self.collectors.iter().map(|c| serde_json::json!({
                "collector": c.collector,
                "customers_assigned": c.customers_assigned,
                "customers_overdue": c.customers_overdue,
                "overdue": plain(c.overdue, cur),
                "touched_today": c.touched_today,
                "touched_this_week": c.touched_this_week,
                "calls": c.calls,
                "notes": c.notes,
                "disputes_opened": c.disputes_opened,
                "disputes_resolved": c.disputes_resolved,
                "reminders_by_hand": c.reminders_by_hand,
                "reminders_by_runs": c.reminders_by_runs,
                "promises_taken": c.promises_taken,
                "promises_kept": c.promises_kept,
                "promises_partially_kept": c.promises_partially_kept,
                "promises_broken": c.promises_broken,
                "promises_open": c.promises_open,
                "kept_share": c.kept_share.map(|s| format!("{s:.1}")),
                "paid_within_14_days_of_touch": plain(c.paid_after_touch, cur),
                "broken_promises_without_followup": c.broken_without_followup,
                "replies_waiting": c.replies_waiting,
            })).collect::<Vec<_>>(),
            "unassigned": {
                "customers": self.unassigned.customers,
                "customers_overdue": self.unassigned.customers_overdue,
                "overdue": plain(self.unassigned.overdue, cur),
                "broken_promises_without_followup": self.unassigned.broken_without_followup,
            },
        })
    }

    /// A table for people.
    pub fn to_text(&self) -> String {
        let cur = self.currency.as_str();
        let mut t = TextTable::new(&[
            ("collector", Align::Left),
            ("customers", Align::Right),
            ("overdue #", Align::Right),
            ("overdue", Align::Right),
            ("today", Align::Right),
            ("week", Align::Right),
            ("calls", Align::Right),
            ("notes", Align::Right),
            ("disputes", Align::Right),
            ("resolved", Align::Right),
            ("rem. by hand", Align::Right),
            ("by runs", Align::Right),
            ("promises", Align::Right),
            ("kept %", Align::Right),
            ("paid ≤14d", Align::Right),
            ("broken, no f/u", Align::Right),
            ("replies", Align::Right),
        ]);
        for c in &self.collectors {
            t.row(vec![
                c.collector.clone(),
                c.customers_assigned.to_string(),
                c.customers_overdue.to_string(),
                grouped(c.overdue, cur),
                c.touched_today.to_string(),
                c.touched_this_week.to_string(),
                c.calls.to_string(),
                c.notes.to_string(),
                c.disputes_opened.to_string(),
                c.disputes_resolved.to_string(),
                c.reminders_by_hand.to_string(),
                c.reminders_by_runs.to_string(),
                c.promises_taken.to_string(),
                c.kept_share.map_or("-".into(), |s| format!("{s:.1}")),
                grouped(c.paid_after_touch, cur),
                c.broken_without_followup.to_string(),
                c.replies_waiting.to_string(),
            ]);
        }
        let mut out = format!(
            "Team as of {} ({cur}); week from {}, calls, notes, disputes, reminders, promises and payments over the {} days from {}\n",
            self.period.as_of, self.period.week_start, WINDOW_DAYS, self.period.window_start
        );
        out.push_str(&t.render());
        let u = &self.unassigned;
        if u.customers > 0 {
            let broken = match u.broken_without_followup {
                0 => String::new(),
                n => format!(", {n} broken promise(s) without a follow-up"),
            };
            out.push_str(&format!(
                "unassigned: {} customer(s), {} overdue, {} {cur}{broken}\n",
                u.customers,
                u.customers_overdue,
                grouped(u.overdue, cur)
            ));
        }
        out
    }
}
