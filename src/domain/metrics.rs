//! Period metrics over monthly figures: DSO (count-back and simple), CEI and
//! average days delinquent, plus the calendar helpers that cut a history into
//! months. Pure arithmetic on [`Decimal`]; no `f64`, no I/O.
//!
//! Conventions shared by every function here (see `docs/arithmetic.md`):
//! - *Sales* are the credit sales billed in a period: invoices and debit notes
//!   by document date, in the base currency. Credit notes are not subtracted:
//!   the AR these metrics divide is the sum of open balances of debit
//!   documents, so the sales it is compared with are those same debit
//!   documents (credit notes lower AR when applied, and are shown beside it
//!   when not).
//! - Results are returned unrounded; rounding is the presentation's job.
//! - A figure that would divide by zero sales (or a zero base) is `None`,
//!   never zero and never infinity.

use super::date::days_between;
use super::{Date, Decimal};
use chrono::Months;

/// First and last day of the calendar month containing `d`: the aging
/// module's `month_of`, under the name the metrics use.
pub use super::aging::month_of as month_bounds;

/// A portfolio's headline figures at a date, in the base currency: what the workstation's
/// metrics bar shows and `owed report metrics` starts with.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Headline {
    pub outstanding: Decimal,
    pub overdue: Decimal,
    pub net_overdue: Decimal,
    pub unutilised_credit: Decimal,
    pub unapplied_cash: Decimal,
    pub collectable_this_month: Decimal,
    pub open_issue_amount: Decimal,
    /// The part of `open_issue_amount` that is deductions (short payments).
    pub open_deduction_amount: Decimal,
    pub open_p2p_amount: Decimal,
    /// Days sales outstanding, count-back over up to twelve months (None: no sales, or not
    /// computed yet).
    pub dso: Option<Decimal>,
    pub customers_overdue: u64,
}

/// The figures of one calendar month, all in the base currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthFigures {
    /// First day of the month.
    pub month_start: Date,
    /// Days counted for the month: its length, or the as-of day of month for
    /// the current, partial month.
    pub days: u32,
    /// Credit sales billed in the month: invoices + debit notes by document
    /// date (credit notes not subtracted).
    pub sales: Decimal,
    /// Total AR (sum of open balances) at the month's last counted day.
    pub ending_ar: Decimal,
    /// The part of `ending_ar` not yet due (days overdue ≤ 0).
    pub ending_current_ar: Decimal,
}

/// DSO by the count-back method.
///
/// Walk back from the latest month: while the remaining AR is at least that
/// month's sales, subtract them and count the month's days; in the first
/// month whose sales exceed what remains, add `remaining ÷ sales × days` and
/// stop.
///
/// `DSO = Σ days(fully covered months) + remaining ÷ sales(next month) × days(next month)`
///
/// AR 212,000 over sales 100,000 / 80,000 / 70,000 (latest first, 30-day
/// months): `30 + 30 + 32,000 ÷ 70,000 × 30 = 73.714…`.
///
/// - AR larger than all the sales given counts every month's days in full:
///   the result is then a floor (the window is too short), so pass enough
///   months (a year or two).
/// - A month with zero sales is counted whole while AR remains (negative
///   sales, which gross billings never are, count as zero).
/// - AR of zero (or less) gives `Some(0)`.
/// - `None` when the months given hold no sales at all.
pub fn dso_count_back(
    ending_ar: Decimal,
    months_latest_first: &[(Decimal, u32)],
) -> Option<Decimal> {
    let total_sales: Decimal = months_latest_first
        .iter()
        .map(|&(sales, _)| sales.max(Decimal::ZERO))
        .sum();
    if total_sales <= Decimal::ZERO {
        return None;
    }
    let mut remaining = ending_ar;
    let mut days_counted = Decimal::ZERO;
    for &(sales, days) in months_latest_first {
        if remaining <= Decimal::ZERO {
            break;
        }
        let sales = sales.max(Decimal::ZERO);
        if remaining >= sales {
            remaining -= sales;
            days_counted += Decimal::from(days);
        } else {
            return Some(days_counted + remaining * Decimal::from(days) / sales);
        }
    }
    Some(days_counted)
}

/// DSO, simple: `ending AR ÷ credit sales of the period × days in the period`.
///
/// 150,000 ÷ 1,800,000 × 365 = 30.416…
///
/// `None` when sales are zero or negative.
pub fn dso_simple(ending_ar: Decimal, sales: Decimal, days: u32) -> Option<Decimal> {
    if sales <= Decimal::ZERO {
        return None;
    }
    Some(ending_ar * Decimal::from(days) / sales)
}

/// Collection effectiveness index, in percent, with the sales averaged over
/// the period (`N` = number of months):
///
/// `CEI = (beginning AR + sales ÷ N − ending total AR)
///      ÷ (beginning AR + sales ÷ N − ending current AR) × 100`
///
/// Sales 3,390 + 3,610 + 3,890 = 10,890, beginning AR 6,200, ending total
/// 6,340, ending current 3,590, N = 3 → `3,490 ÷ 6,240 × 100 = 55.93…`.
/// (The variant without `÷ N` would give 79.6; for a single month, N = 1,
/// the two agree.)
///
/// `None` when `months` is 0 or the denominator is not positive (nothing
/// was collectable, so there is no effectiveness to measure). Not clamped:
/// an ending AR above `beginning AR + sales ÷ N` gives a negative CEI.
pub fn cei(
    beginning_ar: Decimal,
    sales_total: Decimal,
    months: u32,
    ending_total_ar: Decimal,
    ending_current_ar: Decimal,
) -> Option<Decimal> {
    if months == 0 {
        return None;
    }
    let collectable = beginning_ar + sales_total / Decimal::from(months);
    let denominator = collectable - ending_current_ar;
    if denominator <= Decimal::ZERO {
        return None;
    }
    Some((collectable - ending_total_ar) / denominator * Decimal::ONE_HUNDRED)
}

/// CEI of each month on its own (N = 1), in the order given.
///
/// A month's beginning AR is the `ending_ar` of the previous calendar month,
/// looked up by `month_start` in the same slice (so the slice may be in
/// either order). A month whose previous month is not in the slice, such as
/// the oldest one, gets `None`, as does any month [`cei`] rejects.
pub fn cei_monthly(months: &[MonthFigures]) -> Vec<(Date, Option<Decimal>)> {
    months
        .iter()
        .map(|month| {
            let value = previous_month(months, month.month_start).and_then(|previous| {
                cei(
                    previous.ending_ar,
                    month.sales,
                    1,
                    month.ending_ar,
                    month.ending_current_ar,
                )
            });
            (month.month_start, value)
        })
        .collect()
}

/// The entry of `months` for the calendar month before the one containing `start`.
fn previous_month(months: &[MonthFigures], start: Date) -> Option<&MonthFigures> {
    let wanted = month_bounds(start).0.checked_sub_months(Months::new(1))?;
    months
        .iter()
        .find(|m| month_bounds(m.month_start).0 == wanted)
}

/// Average days delinquent: DSO minus the best possible DSO.
///
/// `ADD = AR ÷ sales × days − current AR ÷ sales × days
///      = (AR − current AR) ÷ sales × days`
///
/// AR 15,000, current 4,000, sales 10,000 in 30 days → `45 − 12 = 33`.
///
/// `None` when sales are zero or negative.
pub fn average_days_delinquent(
    ar: Decimal,
    current_ar: Decimal,
    sales: Decimal,
    days: u32,
) -> Option<Decimal> {
    dso_simple(ar - current_ar, sales, days)
}

/// The `n` calendar months ending with the one containing `as_of`, latest
/// first, each as `(first day, last day)`. The current month ends at
/// `as_of`, not at its calendar end, so that a count-back at D counts D's
/// day of month for it. Fewer than `n` when the calendar runs out.
pub fn months_back(as_of: Date, n: usize) -> Vec<(Date, Date)> {
    let first_of_current = month_bounds(as_of).0;
    (0..n)
        .map_while(|i| {
            let back = Months::new(u32::try_from(i).ok()?);
            let (first, last) = month_bounds(first_of_current.checked_sub_months(back)?);
            Some((first, last.min(as_of)))
        })
        .collect()
}

/// Months of sales the DSO count-back may walk through.
pub const DSO_MONTHS: usize = 12;

/// The first day of the sales the DSO as of `as_of` reads (the first of [`DSO_MONTHS`] months).
pub fn dso_sales_from(as_of: Date) -> Date {
    months_back(as_of, DSO_MONTHS).last().map_or(as_of, |s| s.0)
}

/// The sales of each of the DSO's months as of `as_of`, latest first, with the month's days
/// (the current one up to `as_of`): what [`dso_count_back`] walks. `sales_by_day` holds
/// (day, sales) pairs from [`dso_sales_from`] to `as_of`, in any order.
pub fn monthly_sales(as_of: Date, sales_by_day: &[(Date, Decimal)]) -> Vec<(Decimal, u32)> {
    months_back(as_of, DSO_MONTHS)
        .iter()
        .map(|&(first, last)| {
            let total = sales_by_day
                .iter()
                .filter(|(d, _)| *d >= first && *d <= last)
                .map(|(_, a)| *a)
                .sum();
            (total, days_inclusive(first, last))
        })
        .collect()
}

/// Days from `first` through `last`, both included; 0 when `last < first`.
pub fn days_inclusive(first: Date, last: Date) -> u32 {
    let days = days_between(first, last) + 1;
    u32::try_from(days.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{date, dec};
    use proptest::prelude::*;
    use rust_decimal::RoundingStrategy;

    fn one_dp(d: Decimal) -> Decimal {
        d.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
    }

    #[test]
    fn the_dsos_months_sum_each_months_sales_from_twelve_months_back() {
        // As of 15 March 2026: March counts 15 days, February 28, … April 2025 is the twelfth.
        let as_of = date("2026-03-15");
        assert_eq!(dso_sales_from(as_of), date("2025-04-01"));
        let sales = [
            (date("2026-03-01"), dec("100")),
            (date("2026-03-15"), dec("50")),
            (date("2026-02-28"), dec("30")),
            (date("2025-04-01"), dec("7")),
            (date("2025-03-31"), dec("1000")),
        ];
        let months = monthly_sales(as_of, &sales);
        assert_eq!(months.len(), DSO_MONTHS);
        assert_eq!(months[0], (dec("150"), 15));
        assert_eq!(months[1], (dec("30"), 28));
        assert_eq!(months[11], (dec("7"), 30));
        assert_eq!(months.iter().map(|m| m.0).sum::<Decimal>(), dec("187"));
        // AR 165 = March's 150 (15 days) + half of February's 30 (14 days).
        assert_eq!(dso_count_back(dec("165"), &months), Some(dec("29")));
    }

    fn months(sales: &[&str]) -> Vec<(Decimal, u32)> {
        sales.iter().map(|s| (dec(s), 30)).collect()
    }

    // --- DSO, count-back ---

    #[test]
    fn count_back_worked_example() {
        let dso = dso_count_back(dec("212000"), &months(&["100000", "80000", "70000"])).unwrap();
        assert_eq!(one_dp(dso), dec("73.7"));
        // 60 + 32,000 / 70,000 × 30, unrounded.
        assert_eq!(dso, dec("60") + dec("32000") * dec("30") / dec("70000"));
    }

    #[test]
    fn count_back_within_the_latest_month() {
        let dso = dso_count_back(dec("50000"), &months(&["100000", "80000"])).unwrap();
        assert_eq!(dso, dec("15"));
    }

    #[test]
    fn count_back_ar_equal_to_a_month_counts_it_whole() {
        let dso = dso_count_back(dec("100000"), &months(&["100000", "80000"])).unwrap();
        assert_eq!(dso, dec("30"));
    }

    #[test]
    fn count_back_ar_beyond_all_sales_counts_every_day() {
        let window = [(dec("100"), 31), (dec("100"), 28), (dec("100"), 31)];
        assert_eq!(dso_count_back(dec("1000"), &window), Some(dec("90")));
    }

    #[test]
    fn count_back_uses_each_months_own_length() {
        // February (28 days) then January (31 days): 28 + 50/100 × 31.
        let window = [(dec("100"), 28), (dec("100"), 31)];
        assert_eq!(dso_count_back(dec("150"), &window), Some(dec("43.5")));
    }

    #[test]
    fn count_back_zero_sales_month_is_counted_whole_while_ar_remains() {
        let window = [(dec("0"), 30), (dec("100"), 30)];
        assert_eq!(dso_count_back(dec("50"), &window), Some(dec("45")));
    }

    #[test]
    fn count_back_zero_ar_is_zero_days() {
        assert_eq!(
            dso_count_back(dec("0"), &months(&["0", "100"])),
            Some(dec("0"))
        );
        assert_eq!(dso_count_back(dec("0"), &months(&["100"])), Some(dec("0")));
    }

    #[test]
    fn count_back_without_sales_is_none() {
        assert_eq!(dso_count_back(dec("500"), &[]), None);
        assert_eq!(dso_count_back(dec("500"), &months(&["0", "0"])), None);
        assert_eq!(dso_count_back(dec("0"), &months(&["0"])), None);
    }

    // --- DSO, simple; ADD ---

    #[test]
    fn simple_dso_worked_example() {
        let dso = dso_simple(dec("150000"), dec("1800000"), 365).unwrap();
        assert_eq!(one_dp(dso), dec("30.4"));
    }

    #[test]
    fn simple_dso_edges() {
        assert_eq!(dso_simple(dec("100"), dec("0"), 30), None);
        assert_eq!(dso_simple(dec("100"), dec("-5"), 30), None);
        assert_eq!(dso_simple(dec("0"), dec("100"), 30), Some(dec("0")));
        assert_eq!(dso_simple(dec("100"), dec("100"), 0), Some(dec("0")));
    }

    #[test]
    fn add_worked_example() {
        let add = average_days_delinquent(dec("15000"), dec("4000"), dec("10000"), 30);
        assert_eq!(add, Some(dec("33")));
        let dso = dso_simple(dec("15000"), dec("10000"), 30).unwrap();
        let best = dso_simple(dec("4000"), dec("10000"), 30).unwrap();
        assert_eq!((dso, best), (dec("45"), dec("12")));
    }

    #[test]
    fn add_edges() {
        assert_eq!(
            average_days_delinquent(dec("15000"), dec("4000"), dec("0"), 30),
            None
        );
        // Everything current: nothing delinquent.
        assert_eq!(
            average_days_delinquent(dec("4000"), dec("4000"), dec("10000"), 30),
            Some(dec("0"))
        );
        assert_eq!(
            average_days_delinquent(dec("0"), dec("0"), dec("10000"), 31),
            Some(dec("0"))
        );
    }

    // --- CEI ---

    #[test]
    fn cei_worked_example_with_sales_per_month() {
        let sales = dec("3390") + dec("3610") + dec("3890");
        let value = cei(dec("6200"), sales, 3, dec("6340"), dec("3590")).unwrap();
        assert_eq!(one_dp(value), dec("55.9"));
    }

    #[test]
    fn cei_without_dividing_sales_is_the_other_variant() {
        // The same figures with N = 1 give the variant DOMAIN.md mentions.
        let sales = dec("3390") + dec("3610") + dec("3890");
        let value = cei(dec("6200"), sales, 1, dec("6340"), dec("3590")).unwrap();
        assert_eq!(one_dp(value), dec("79.6"));
    }

    #[test]
    fn cei_edges() {
        assert_eq!(cei(dec("100"), dec("100"), 0, dec("50"), dec("10")), None);
        // Nothing collectable: zero denominator.
        assert_eq!(cei(dec("0"), dec("0"), 1, dec("0"), dec("0")), None);
        // Everything collected.
        assert_eq!(
            cei(dec("100"), dec("50"), 1, dec("0"), dec("0")),
            Some(dec("100"))
        );
        // Nothing collected, all of it overdue.
        assert_eq!(
            cei(dec("100"), dec("50"), 1, dec("150"), dec("0")),
            Some(dec("0"))
        );
    }

    fn figures(month_start: &str, sales: &str, ending_ar: &str, current: &str) -> MonthFigures {
        let start = date(month_start);
        let (first, last) = month_bounds(start);
        MonthFigures {
            month_start: start,
            days: days_inclusive(first, last),
            sales: dec(sales),
            ending_ar: dec(ending_ar),
            ending_current_ar: dec(current),
        }
    }

    #[test]
    fn cei_monthly_chains_ending_ar_into_the_next_month() {
        let history = [
            figures("2026-01-01", "1000", "6200", "3000"),
            figures("2026-02-01", "3390", "6000", "3500"),
            figures("2026-03-01", "3610", "6340", "3590"),
        ];
        let got = cei_monthly(&history);
        let feb = cei(dec("6200"), dec("3390"), 1, dec("6000"), dec("3500"));
        let mar = cei(dec("6000"), dec("3610"), 1, dec("6340"), dec("3590"));
        assert_eq!(
            got,
            vec![
                (date("2026-01-01"), None),
                (date("2026-02-01"), feb),
                (date("2026-03-01"), mar)
            ]
        );
        // (6,200 + 3,390 − 6,000) ÷ (6,200 + 3,390 − 3,500) × 100
        assert_eq!(one_dp(feb.unwrap()), dec("58.9"));
    }

    #[test]
    fn cei_monthly_accepts_latest_first_and_skips_gaps() {
        let history = [
            figures("2026-04-01", "100", "50", "50"),
            figures("2026-02-01", "100", "80", "10"),
            figures("2026-01-01", "100", "40", "40"),
        ];
        let got = cei_monthly(&history);
        assert_eq!(got[0], (date("2026-04-01"), None), "March is missing");
        assert_eq!(
            got[1],
            (
                date("2026-02-01"),
                cei(dec("40"), dec("100"), 1, dec("80"), dec("10"))
            )
        );
        assert_eq!(got[2], (date("2026-01-01"), None));
        assert!(cei_monthly(&[]).is_empty());
    }

    #[test]
    fn cei_monthly_crosses_the_year() {
        let history = [
            figures("2025-12-01", "0", "500", "0"),
            figures("2026-01-01", "0", "250", "0"),
        ];
        assert_eq!(cei_monthly(&history)[1].1, Some(dec("50")));
    }

    // --- calendar ---

    #[test]
    fn month_bounds_of_short_and_long_months() {
        assert_eq!(
            month_bounds(date("2026-02-14")),
            (date("2026-02-01"), date("2026-02-28"))
        );
        assert_eq!(
            month_bounds(date("2024-02-29")),
            (date("2024-02-01"), date("2024-02-29"))
        );
        assert_eq!(
            month_bounds(date("2026-12-31")),
            (date("2026-12-01"), date("2026-12-31"))
        );
        assert_eq!(
            month_bounds(date("2026-04-01")),
            (date("2026-04-01"), date("2026-04-30"))
        );
        assert_eq!(month_bounds(Date::MAX).1, Date::MAX);
    }

    #[test]
    fn months_back_caps_the_current_month_at_as_of() {
        let got = months_back(date("2026-03-15"), 3);
        assert_eq!(
            got,
            vec![
                (date("2026-03-01"), date("2026-03-15")),
                (date("2026-02-01"), date("2026-02-28")),
                (date("2026-01-01"), date("2026-01-31")),
            ]
        );
        let days: Vec<u32> = got.iter().map(|&(f, l)| days_inclusive(f, l)).collect();
        assert_eq!(days, vec![15, 28, 31]);
    }

    #[test]
    fn months_back_at_month_end_is_whole_and_crosses_years() {
        let got = months_back(date("2026-01-31"), 2);
        assert_eq!(
            got,
            vec![
                (date("2026-01-01"), date("2026-01-31")),
                (date("2025-12-01"), date("2025-12-31"))
            ]
        );
        assert!(months_back(date("2026-01-31"), 0).is_empty());
    }

    #[test]
    fn months_back_stops_where_the_calendar_does() {
        let got = months_back(Date::MIN, 3);
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn days_inclusive_counts_both_ends() {
        assert_eq!(days_inclusive(date("2026-04-01"), date("2026-04-30")), 30);
        assert_eq!(days_inclusive(date("2026-04-01"), date("2026-04-01")), 1);
        assert_eq!(days_inclusive(date("2026-04-02"), date("2026-04-01")), 0);
    }

    // --- properties ---

    /// Amounts from 0.00 to 9,999,999.99.
    fn money() -> impl Strategy<Value = Decimal> {
        (0i64..1_000_000_000).prop_map(|cents| Decimal::new(cents, 2))
    }

    /// Monthly sales, often zero so that empty months are exercised.
    fn sales() -> impl Strategy<Value = Decimal> {
        prop_oneof![1 => Just(Decimal::ZERO), 3 => money()]
    }

    proptest! {
        #[test]
        fn count_back_is_monotone_in_ar(
            window in prop::collection::vec((sales(), 28u32..=31), 1..8),
            a in money(),
            b in money(),
        ) {
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            let at_low = dso_count_back(low, &window);
            let at_high = dso_count_back(high, &window);
            prop_assert_eq!(at_low.is_some(), at_high.is_some());
            if let (Some(l), Some(h)) = (at_low, at_high) {
                prop_assert!(l <= h, "DSO({low}) = {l} > DSO({high}) = {h}");
            }
        }

        #[test]
        fn count_back_never_exceeds_the_window(
            window in prop::collection::vec((sales(), 28u32..=31), 1..8),
            ar in money(),
        ) {
            let total_days: u32 = window.iter().map(|&(_, d)| d).sum();
            if let Some(dso) = dso_count_back(ar, &window) {
                prop_assert!(dso >= Decimal::ZERO && dso <= Decimal::from(total_days));
            }
        }
    }
}
