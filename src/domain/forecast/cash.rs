//! The cash forecast: expected receipts by week, from predicted payment dates and balances.
//!
//! Weeks run Monday to Sunday. The first week is the one holding the day after the as-of
//! date (the first day a payment can be predicted for): for an as-of date from Monday to
//! Saturday that is the as-of date's own week, for a Sunday the next one. Each document's
//! whole open balance is expected on its predicted date; balances predicted after the last
//! week are reported apart, as `beyond`.

use crate::domain::{Date, Decimal};
use chrono::{Datelike, Days};

/// Weeks in the cash forecast.
pub const WEEKS: usize = 13;

/// Expected receipts in one week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    /// The Monday the week starts on.
    pub start: Date,
    /// Balances predicted to be paid from `start` to the following Sunday.
    pub amount: Decimal,
}

/// The weekly cash forecast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashForecast {
    pub weeks: Vec<Week>,
    /// Balances predicted after the last week.
    pub beyond: Decimal,
}

impl CashForecast {
    /// Expected within the forecast's weeks.
    pub fn within(&self) -> Decimal {
        self.weeks.iter().map(|w| w.amount).sum()
    }
}

/// The cash to expect for each of `h`'s open documents (in their order): its balance, less
/// what the customer's credit and cash in hand (its open credit notes and unapplied payments)
/// settle, set against its documents oldest due first, as they are applied. A customer whose
/// credit exceeds what is open pays no cash: its documents are settled by credit. The dates
/// the model predicts are the same.
pub fn after_credit(h: &super::CustomerHistory) -> Vec<Decimal> {
    let mut cash: Vec<Decimal> = h.open.iter().map(|d| d.balance).collect();
    let mut left = h.credit.max(Decimal::ZERO);
    if left.is_zero() {
        return cash;
    }
    let mut order: Vec<usize> = (0..h.open.len()).collect();
    order.sort_by_key(|&i| (h.open[i].due_date, h.open[i].key));
    for i in order {
        let take = cash[i].max(Decimal::ZERO).min(left);
        cash[i] -= take;
        left -= take;
        if left.is_zero() {
            break;
        }
    }
    cash
}

/// The Monday starting the forecast's first week (see the module docs).
pub fn first_week_start(as_of: Date) -> Date {
    let first_day = as_of + Days::new(1);
    let back = u64::from(first_day.weekday().num_days_from_monday());
    first_day - Days::new(back)
}

/// Buckets `(predicted date, balance)` pairs into `weeks` weeks from [`first_week_start`].
/// Dates before the first week (which a prediction never has) count in the first.
pub fn weekly(
    as_of: Date,
    weeks: usize,
    predictions: impl IntoIterator<Item = (Date, Decimal)>,
) -> CashForecast {
    let start = first_week_start(as_of);
    let mut out: Vec<Week> = (0..weeks)
        .map(|i| Week {
            start: start + Days::new(7 * i as u64),
            amount: Decimal::ZERO,
        })
        .collect();
    let mut beyond = Decimal::ZERO;
    for (date, amount) in predictions {
        let index = ((date - start).num_days().max(0) / 7) as usize;
        match out.get_mut(index) {
            Some(w) => w.amount += amount,
            None => beyond += amount,
        }
    }
    CashForecast { weeks: out, beyond }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::date::parse_iso;

    fn d(s: &str) -> Date {
        parse_iso(s).unwrap()
    }

    #[test]
    fn weeks_start_on_the_monday_of_the_first_payable_day() {
        // 2026-03-18 is a Wednesday; 2026-03-22 a Sunday.
        assert_eq!(first_week_start(d("2026-03-18")), d("2026-03-16"));
        assert_eq!(first_week_start(d("2026-03-16")), d("2026-03-16"));
        assert_eq!(first_week_start(d("2026-03-21")), d("2026-03-16"));
        assert_eq!(first_week_start(d("2026-03-22")), d("2026-03-23"));
    }

    #[test]
    fn buckets_sum_to_the_balances_within_the_horizon() {
        let as_of = d("2026-03-18");
        let dec = |s: &str| s.parse::<Decimal>().unwrap();
        let preds = vec![
            (d("2026-03-19"), dec("100.00")), // week 0
            (d("2026-03-22"), dec("50.50")),  // Sunday: still week 0
            (d("2026-03-23"), dec("10.00")),  // Monday: week 1
            (d("2026-06-14"), dec("7.00")),   // last day of week 12
            (d("2026-06-15"), dec("999.99")), // beyond
        ];
        let total_within: Decimal = preds
            .iter()
            .filter(|(date, _)| *date < d("2026-06-15"))
            .map(|p| p.1)
            .sum();
        let f = weekly(as_of, WEEKS, preds);
        assert_eq!(f.weeks.len(), 13);
        assert_eq!(f.weeks[0].amount, dec("150.50"));
        assert_eq!(f.weeks[1].amount, dec("10.00"));
        assert_eq!(f.weeks[12].start, d("2026-06-08"));
        assert_eq!(f.weeks[12].amount, dec("7.00"));
        assert_eq!(f.beyond, dec("999.99"));
        assert_eq!(f.within(), total_within);
    }
}
