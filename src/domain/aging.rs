//! Aging: days overdue, buckets, and the per-customer figures built from open items.
//!
//! The figures of a customer (or of the portfolio) are accumulated in one pass over its open
//! items as of a date D: [`Figures::add_debit`] for each open invoice or debit note,
//! [`Figures::add_credit`] for each credit note with credit left, and
//! [`Figures::add_unapplied_cash`] for each successful payment not fully applied.
//! All amounts are already in the base currency.

use super::date::days_between;
use super::{Date, Decimal};
use chrono::Datelike;

/// Upper bounds (inclusive, in days overdue) of the overdue buckets; `[30, 60, 90, 120]` gives
/// `current`, `1-30`, `31-60`, `61-90`, `91-120`, `120+`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingBounds {
    upper: Vec<i64>,
}

impl Default for AgingBounds {
    fn default() -> Self {
        AgingBounds {
            upper: vec![30, 60, 90, 120],
        }
    }
}

impl AgingBounds {
    /// Bounds must be positive and strictly increasing.
    pub fn new(upper: Vec<i64>) -> Result<Self, String> {
        if upper.is_empty() {
            return Err("aging_bounds needs at least one bound".into());
        }
        if upper[0] < 1 || upper.windows(2).any(|w| w[1] <= w[0]) {
            return Err(format!(
                "aging_bounds must be positive and strictly increasing, got {upper:?}"
            ));
        }
        Ok(AgingBounds { upper })
    }

    /// The upper bounds as configured.
    pub fn upper(&self) -> &[i64] {
        &self.upper
    }

    /// Number of buckets: `current`, one per bound, and the open-ended last one.
    pub fn len(&self) -> usize {
        self.upper.len() + 2
    }

    /// Always false: there is at least the `current` bucket.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Bucket labels as SPEC names them: `current`, `1-30`, …, `120+`.
    pub fn labels(&self) -> Vec<String> {
        let mut labels = vec!["current".to_string()];
        let mut low = 1;
        for &up in &self.upper {
            labels.push(format!("{low}-{up}"));
            low = up + 1;
        }
        labels.push(format!("{}+", self.upper[self.upper.len() - 1]));
        labels
    }

    /// Each bucket's label beside its amount in `amounts` (one per bucket, in order).
    pub fn labelled<'a>(
        &self,
        amounts: &'a [Decimal],
    ) -> impl Iterator<Item = (String, &'a Decimal)> + use<'a> {
        self.labels().into_iter().zip(amounts)
    }

    /// The bucket index of a number of days overdue (0 = current, for ≤ 0 days).
    pub fn bucket(&self, days_overdue: i64) -> usize {
        if days_overdue <= 0 {
            return 0;
        }
        1 + self.upper.partition_point(|&up| up < days_overdue)
    }

    /// The range of days overdue `[low, high]` of a bucket (`None` = unbounded).
    pub fn days_range(&self, bucket: usize) -> (Option<i64>, Option<i64>) {
        match bucket {
            0 => (None, Some(0)),
            b if b <= self.upper.len() => {
                let low = if b == 1 { 1 } else { self.upper[b - 2] + 1 };
                (Some(low), Some(self.upper[b - 1]))
            }
            _ => (Some(self.upper[self.upper.len() - 1] + 1), None),
        }
    }
}

/// Days overdue at `as_of` of an item due on `due` (negative while not yet due).
pub fn days_overdue(as_of: Date, due: Date) -> i64 {
    days_between(due, as_of)
}

/// Days overdue as a column shows them: the count, or, not yet due, when it falls due
/// (`today`, `in 2`: a reminder before the due date; a negative count read as a sign error).
pub fn days_text(days_overdue: i64) -> String {
    match days_overdue {
        0 => "today".to_string(),
        n if n < 0 => format!("in {}", n.unsigned_abs()),
        n => n.to_string(),
    }
}

/// First and last day of the calendar month of `d`.
pub fn month_of(d: Date) -> (Date, Date) {
    let first = d.with_day(1).unwrap_or(d);
    let next = if d.month() == 12 {
        Date::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        Date::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    let last = next.and_then(|n| n.pred_opt()).unwrap_or(d);
    (first, last)
}

/// A document's outstanding mismatch: what the billing system says is open minus what owed
/// says (positive: billing thinks more is owed).
pub fn mismatch(billing_balance: Decimal, our_balance: Decimal) -> Decimal {
    billing_balance - our_balance
}

/// The receivables figures of a customer or a portfolio as of a date, in the base currency.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figures {
    /// Sum of open balances of invoices and debit notes.
    pub outstanding: Decimal,
    /// Open balances with a due date before the as-of date.
    pub overdue: Decimal,
    /// Credit-note amounts not yet applied.
    pub unutilised_credit: Decimal,
    /// Successful payments not yet applied.
    pub unapplied_cash: Decimal,
    /// Open balances due within the as-of date's calendar month.
    pub collectable_this_month: Decimal,
    /// Open balances per bucket, in the order of [`AgingBounds::labels`].
    pub aging: Vec<Decimal>,
    /// Number of open debit documents.
    pub open_debits: u64,
    /// Days overdue of the oldest open item (0 when nothing is overdue).
    pub max_days_overdue: i64,
    /// Σ |billing system's balance − ours| over documents carrying a billing balance.
    pub outstanding_mismatch: Decimal,
}

/// What is left of each overdue bucket (index 1 on; index 0, current, is 0) once `credit` is
/// set against them oldest first.
pub fn net_by_bucket(aging: &[Decimal], credit: Decimal) -> Vec<Decimal> {
    let mut left = credit.max(Decimal::ZERO);
    let mut out = vec![Decimal::ZERO; aging.len()];
    for i in (1..aging.len()).rev() {
        let take = aging[i].min(left).max(Decimal::ZERO);
        out[i] = aging[i] - take;
        left -= take;
    }
    out
}

impl Figures {
    /// Empty figures with one zero per bucket.
    pub fn new(bounds: &AgingBounds) -> Self {
        Figures {
            aging: vec![Decimal::ZERO; bounds.len()],
            ..Default::default()
        }
    }

    /// Adds an open invoice or debit note. `due` is `None` only for malformed data and then
    /// counts as current.
    pub fn add_debit(
        &mut self,
        bounds: &AgingBounds,
        as_of: Date,
        due: Option<Date>,
        balance: Decimal,
    ) {
        if balance.is_zero() {
            return;
        }
        self.outstanding += balance;
        self.open_debits += 1;
        let days = due.map_or(0, |due| days_overdue(as_of, due));
        if days > 0 {
            self.overdue += balance;
            self.max_days_overdue = self.max_days_overdue.max(days);
        }
        if let Some(due) = due {
            let (first, last) = month_of(as_of);
            if due >= first && due <= last {
                self.collectable_this_month += balance;
            }
        }
        if self.aging.len() != bounds.len() {
            self.aging.resize(bounds.len(), Decimal::ZERO);
        }
        self.aging[bounds.bucket(days)] += balance;
    }

    /// Adds the unapplied part of a credit note.
    pub fn add_credit(&mut self, remaining: Decimal) {
        self.unutilised_credit += remaining;
    }

    /// Adds the unapplied part of a successful payment.
    pub fn add_unapplied_cash(&mut self, remaining: Decimal) {
        self.unapplied_cash += remaining;
    }

    /// Adds a document's mismatch: the billing system's balance against ours.
    pub fn add_mismatch(&mut self, billing_balance: Decimal, our_balance: Decimal) {
        self.outstanding_mismatch += mismatch(billing_balance, our_balance).abs();
    }

    /// Net overdue of one customer: `max(0, overdue − unutilised credit − unapplied cash)`.
    pub fn net_overdue(&self) -> Decimal {
        (self.overdue - self.unutilised_credit - self.unapplied_cash).max(Decimal::ZERO)
    }

    /// Net overdue per bucket: the customer's unutilised credit and unapplied cash set
    /// against its overdue buckets oldest first (as a collector would apply them), what is
    /// left of each. The current bucket is not overdue: 0. The buckets add up to
    /// [`Figures::net_overdue`].
    pub fn net_aging(&self) -> Vec<Decimal> {
        net_by_bucket(&self.aging, self.unutilised_credit + self.unapplied_cash)
    }

    /// True when the customer has nothing open, no credit, and nothing the billing system
    /// says differently (left out of reports: a total is the sum of the rows listed under
    /// it, and a customer the billing system still shows owing is one to look at).
    pub fn is_empty(&self) -> bool {
        self.outstanding.is_zero()
            && self.unutilised_credit.is_zero()
            && self.unapplied_cash.is_zero()
            && self.outstanding_mismatch.is_zero()
    }

    /// Adds another customer's figures into a portfolio total. Net overdue is not additive:
    /// sum [`Figures::net_overdue`] per customer beside this.
    pub fn absorb(&mut self, other: &Figures) {
        self.outstanding += other.outstanding;
        self.overdue += other.overdue;
        self.unutilised_credit += other.unutilised_credit;
        self.unapplied_cash += other.unapplied_cash;
        self.collectable_this_month += other.collectable_this_month;
        if self.aging.len() < other.aging.len() {
            self.aging.resize(other.aging.len(), Decimal::ZERO);
        }
        for (a, b) in self.aging.iter_mut().zip(&other.aging) {
            *a += *b;
        }
        self.open_debits += other.open_debits;
        self.outstanding_mismatch += other.outstanding_mismatch;
        self.max_days_overdue = self.max_days_overdue.max(other.max_days_overdue);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_overdue_read_as_when_before_the_due_date() {
        let shown: Vec<String> = [12, 1, 0, -1, -3].map(super::days_text).into();
        assert_eq!(shown, ["12", "1", "today", "in 1", "in 3"]);
    }

    #[test]
    fn credit_goes_against_the_oldest_overdue_buckets_first() {
        let d = |v: &str| v.parse::<Decimal>().unwrap();
        let aging = [d("100"), d("50"), d("30"), d("20")];
        assert_eq!(
            net_by_bucket(&aging, d("35")),
            vec![d("0"), d("50"), d("15"), d("0")]
        );
        assert_eq!(
            net_by_bucket(&aging, d("0")),
            vec![d("0"), d("50"), d("30"), d("20")]
        );
        assert_eq!(
            net_by_bucket(&aging, d("500")),
            vec![d("0"), d("0"), d("0"), d("0")]
        );
        let total: Decimal = net_by_bucket(&aging, d("35")).iter().sum();
        assert_eq!(total, d("65"), "100 overdue less 35 of credit");
    }

    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Date {
        super::super::date::parse_iso(s).unwrap()
    }
    fn m(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn labels_follow_the_bounds() {
        let b = AgingBounds::default();
        assert_eq!(
            b.labels(),
            ["current", "1-30", "31-60", "61-90", "91-120", "120+"]
        );
        let custom = AgingBounds::new(vec![15, 45]).unwrap();
        assert_eq!(custom.labels(), ["current", "1-15", "16-45", "45+"]);
        assert!(AgingBounds::new(vec![30, 30]).is_err());
        assert!(AgingBounds::new(vec![0, 30]).is_err());
        assert!(AgingBounds::new(vec![]).is_err());
    }

    #[test]
    fn every_bucket_boundary() {
        let b = AgingBounds::default();
        let cases = [
            (-5, 0),
            (0, 0),
            (1, 1),
            (30, 1),
            (31, 2),
            (60, 2),
            (61, 3),
            (90, 3),
            (91, 4),
            (120, 4),
            (121, 5),
            (5000, 5),
        ];
        for (days, bucket) in cases {
            assert_eq!(b.bucket(days), bucket, "{days} days");
        }
        assert_eq!(b.days_range(0), (None, Some(0)));
        assert_eq!(b.days_range(2), (Some(31), Some(60)));
        assert_eq!(b.days_range(5), (Some(121), None));
    }

    #[test]
    fn figures_of_the_contract_fixture_customer_k1() {
        // Invoice 100 due 03-31, 40 paid → 60 open; an unapplied credit note of 100.
        let b = AgingBounds::default();
        let mut f = Figures::new(&b);
        f.add_debit(&b, d("2026-04-30"), Some(d("2026-03-31")), m("60"));
        f.add_credit(m("100"));
        assert_eq!(f.outstanding, m("60"));
        assert_eq!(f.overdue, m("60"));
        assert_eq!(f.aging[1], m("60"));
        assert_eq!(f.net_overdue(), Decimal::ZERO);
        assert_eq!(f.collectable_this_month, Decimal::ZERO);
        assert_eq!(f.max_days_overdue, 30);
    }

    #[test]
    fn mismatches_add_up_by_size() {
        let mut f = Figures::new(&AgingBounds::default());
        f.add_mismatch(m("50"), m("40"));
        f.add_mismatch(m("0"), m("10"));
        assert_eq!(mismatch(m("0"), m("10")), m("-10"));
        assert_eq!(
            f.outstanding_mismatch,
            m("20"),
            "+10 and −10 do not cancel out"
        );
    }

    #[test]
    fn due_today_is_current_and_collectable() {
        let b = AgingBounds::default();
        let mut f = Figures::new(&b);
        f.add_debit(&b, d("2026-04-30"), Some(d("2026-04-30")), m("0.01"));
        assert_eq!(f.overdue, Decimal::ZERO);
        assert_eq!(f.aging[0], m("0.01"));
        assert_eq!(f.collectable_this_month, m("0.01"));
    }

    proptest! {
        #[test]
        fn buckets_sum_to_outstanding(items in proptest::collection::vec((-200i64..400, 1i64..1_000_000), 0..40)) {
            let b = AgingBounds::default();
            let as_of = d("2026-06-15");
            let mut f = Figures::new(&b);
            for (days, cents) in items {
                let due = as_of - chrono::Duration::days(days);
                f.add_debit(&b, as_of, Some(due), Decimal::new(cents, 2));
            }
            let sum: Decimal = f.aging.iter().sum();
            prop_assert_eq!(sum, f.outstanding);
            prop_assert!(f.overdue <= f.outstanding);
            prop_assert!(f.net_overdue() <= f.overdue);
        }
    }
}
