//! Customer risk: "who should I worry about?" — high, medium or low, with its reasons.
//!
//! A score from 0 to 100 adds points for each warning sign, and every sign that scores is
//! named in the reasons (largest first):
//!
//! | sign | points |
//! | --- | --- |
//! | typically pays ≥ 45 / ≥ 30 / ≥ 15 / ≥ 7 days late | 35 / 25 / 15 / 5 |
//! | its next document is paid after the due date with probability ≥ 90 % / ≥ 75 % | 8 / 4 |
//! | paying ≥ 15 / ≥ 7 days later recently than before | 25 / 10 |
//! | broken promises: 1 / 2 or more | 15 / 25 |
//! | open issues: 1–2 / 3 or more | 10 / 15 |
//! | overdue share of the open balance ≥ 75 % / ≥ 40 % | 15 / 8 |
//! | in default (below) / oldest overdue document ≥ 90 / ≥ 60 days | 50 / 15 / 8 |
//! | failed payment attempts in the last 90 days: 1 / 2 or more | 8 / 15 |
//!
//! High from 50 points, medium from 25, low below. A customer in default is high risk on
//! that sign alone, whatever its history: the definition of default banks report under
//! (Basel II §452, the EU's CRR article 178 and the EBA's guidelines EBA/GL/2016/07) is a
//! material obligation more than 90 days past due, with days past due not counted while
//! the obligation is disputed. Material here: what is past due, less the customer's credit
//! and cash in hand, is at least 1 % of its open balance (the EBA's relative threshold; its
//! absolute one, in euros, is left out as the ledger's currency may be any); a document
//! counts toward it with at least a tenth of its own amount open (ours).
//!
//! Typical lateness is the customer's model profile (its own history shrunk toward the
//! portfolio), so a single late invoice does not make a new customer high risk; the
//! probability of paying late is the model's, calibrated on the ledger's own history by the
//! self-check (see [`super::check`]).

use super::model::{Model, Profile, describe_late};
use super::{CustomerHistory, days};
use crate::domain::Decimal;

/// Risk level, lowest first (so `max` is the riskiest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

impl RiskLevel {
    /// The name used by the rule language and JSON: `high`, `medium`, `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }

    /// Parses `high|medium|low` (any case).
    pub fn parse(text: &str) -> Option<RiskLevel> {
        match text.trim().to_ascii_lowercase().as_str() {
            "high" => Some(RiskLevel::High),
            "medium" => Some(RiskLevel::Medium),
            "low" => Some(RiskLevel::Low),
            _ => None,
        }
    }
}

impl std::fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A customer's risk with its score and reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub level: RiskLevel,
    /// 0 to 100.
    pub score: u32,
    /// The warning signs that scored, largest first.
    pub reasons: Vec<String>,
}

/// Score from which a customer is high risk.
pub const HIGH_FROM: u32 = 50;
/// Score from which a customer is medium risk.
pub const MEDIUM_FROM: u32 = 25;

/// Days back that count failed payment attempts.
const FAILED_WINDOW_DAYS: f64 = 90.0;

impl Model {
    /// The customer's risk as of the model's date (with the model's own, uncalibrated
    /// probability of paying late).
    pub fn risk(&self, h: &CustomerHistory) -> Risk {
        let profile = self.profile(h);
        let p_late = self.p_late_new(h, &profile);
        self.risk_with(h, &profile, p_late)
    }

    /// The risk from an already computed profile and the probability `p_late` that the
    /// customer's next document is paid after its due date.
    pub fn risk_with(&self, h: &CustomerHistory, p: &Profile, p_late: f64) -> Risk {
        let mut signs: Vec<(u32, String)> = Vec::new();
        let typical = if p.settled_count > 0 {
            p.typical_late
        } else {
            p.prior_late
        };
        signs.push((
            late_points(typical),
            format!("pays {}", describe_late(typical)),
        ));
        let likely_points = match p_late {
            x if x >= 0.9 => 8,
            x if x >= 0.75 => 4,
            _ => 0,
        };
        signs.push((
            likely_points,
            // A model is never certain: at most 99 %.
            format!(
                "{:.0}% likely to pay late",
                (p_late * 100.0).floor().min(99.0)
            ),
        ));
        signs.push((
            trend_points(p.trend),
            format!("paying {:.0} days later than before", p.trend),
        ));
        let broken_points = match h.broken_promises {
            0 => 0,
            1 => 15,
            _ => 25,
        };
        signs.push((
            broken_points,
            format!(
                "{} broken promise{}",
                h.broken_promises,
                plural(h.broken_promises)
            ),
        ));
        let issue_points = match h.open_issues {
            0 => 0,
            1 | 2 => 10,
            _ => 15,
        };
        signs.push((
            issue_points,
            format!("{} open issue{}", h.open_issues, plural(h.open_issues)),
        ));

        let open = h.open_balance();
        let overdue: Decimal = h
            .open
            .iter()
            .filter(|o| o.due_date < self.as_of)
            .map(|o| o.balance)
            .sum();
        if open > Decimal::ZERO && overdue > Decimal::ZERO {
            let share = overdue / open;
            let share_points = if share >= Decimal::new(75, 2) {
                15
            } else if share >= Decimal::new(40, 2) {
                8
            } else {
                0
            };
            let percent = (share * Decimal::ONE_HUNDRED).round();
            signs.push((share_points, format!("{percent}% of the balance overdue")));
        }
        let oldest = h
            .open
            .iter()
            .map(|o| days(o.due_date, self.as_of))
            .fold(0.0, f64::max);
        let in_default = in_default(h, self.as_of);
        let oldest_points = match oldest {
            _ if in_default => HIGH_FROM,
            d if d >= 90.0 => 15,
            d if d >= 60.0 => 8,
            _ => 0,
        };
        signs.push((
            oldest_points,
            format!("oldest item {oldest:.0} days overdue"),
        ));
        let failed = h
            .failed_attempts
            .iter()
            .filter(|&&d| d <= self.as_of && days(d, self.as_of) < FAILED_WINDOW_DAYS)
            .count() as u32;
        let failed_points = match failed {
            0 => 0,
            1 => 8,
            _ => 15,
        };
        signs.push((
            failed_points,
            format!("{failed} failed payment{} in 90 days", plural(failed)),
        ));

        signs.retain(|(points, _)| *points > 0);
        signs.sort_by_key(|s| std::cmp::Reverse(s.0));
        let score = signs.iter().map(|s| s.0).sum::<u32>().min(100);
        let level = if score >= HIGH_FROM {
            RiskLevel::High
        } else if score >= MEDIUM_FROM {
            RiskLevel::Medium
        } else {
            RiskLevel::Low
        };
        Risk {
            level,
            score,
            reasons: signs.into_iter().map(|s| s.1).collect(),
        }
    }
}

/// Days past due after which an undisputed, material document puts its customer in default.
const DEFAULT_AFTER_DAYS: f64 = 90.0;

/// Whether the customer is in default as of `as_of`: what it owes more than
/// [`DEFAULT_AFTER_DAYS`] past due, less its credit and cash in hand, is at least 1 % of what
/// it owes in all (less the same). Counted toward it: documents not disputed (days past due
/// do not count while the customer disputes the debt) with at least a tenth of their own
/// amount still open (the remainder of a short payment is a deduction to clear, not an unpaid
/// debt). A hundred small invoices a year overdue are a default though none is 1 % alone;
/// an overdue invoice the customer's unapplied payment covers is not.
fn in_default(h: &CustomerHistory, as_of: crate::domain::Date) -> bool {
    let past_due: Decimal = h
        .open
        .iter()
        .filter(|o| {
            !o.disputed
                && o.balance * Decimal::TEN >= o.amount
                && days(o.due_date, as_of) > DEFAULT_AFTER_DAYS
        })
        .map(|o| o.balance)
        .sum();
    let credit = h.credit.max(Decimal::ZERO);
    let unpaid = past_due - credit;
    let owed = h.open_balance() - credit;
    unpaid > Decimal::ZERO && unpaid * Decimal::ONE_HUNDRED >= owed
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The points of a customer's typical days late, counted in the whole days its reason shows
/// ("pays 15 days late" scores as 15, whatever fraction was rounded to it).
pub(super) fn late_points(typical: f64) -> u32 {
    match typical.round() {
        t if t >= 45.0 => 35,
        t if t >= 30.0 => 25,
        t if t >= 15.0 => 15,
        t if t >= 7.0 => 5,
        _ => 0,
    }
}

/// The points of paying later lately, in the whole days its reason shows.
pub(super) fn trend_points(trend: f64) -> u32 {
    match trend.round() {
        t if t >= 15.0 => 25,
        t if t >= 7.0 => 10,
        _ => 0,
    }
}
