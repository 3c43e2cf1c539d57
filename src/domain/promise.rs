//! The derived state of a promise to pay (P2P).
//!
//! A promise records only what the customer said: an amount, a date, and
//! whether a collector voided it. Whether it was kept is never stored; it is
//! derived, as of a date, from the receipts applied after it was made.

use super::{Date, Decimal};
use chrono::Days;

/// Where a promise stands as of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromiseState {
    /// Not yet kept, and its date (plus grace) has not passed.
    Open,
    /// The promised amount was received by the date plus grace.
    Kept,
    /// The date plus grace passed with some, but not all, of the amount received.
    PartiallyKept,
    /// The date plus grace passed with nothing received.
    Broken,
    /// Withdrawn by a collector; wins over every other state.
    Voided,
}

impl PromiseState {
    /// The snake_case name used in reports and JSON (`"partially_kept"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Kept => "kept",
            Self::PartiallyKept => "partially_kept",
            Self::Broken => "broken",
            Self::Voided => "voided",
        }
    }
}

/// A promise to pay, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Promise {
    /// The amount promised, in the documents' currency.
    pub amount: Decimal,
    /// The day the promise was recorded; receipts before it do not count.
    pub promised_on: Date,
    /// The date the customer promised to pay by.
    pub due: Date,
    /// Withdrawn by a collector.
    pub voided: bool,
    /// The documents it names are settled in full, as of the date judged (no later than
    /// its date plus grace): what was promised cannot be more than they came to (an
    /// invoice corrected down after the promise, then paid), so it is kept. Always false for
    /// a promise that names none.
    pub documents_settled: bool,
}

/// A promise's state with the money counted towards it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromiseProgress {
    pub state: PromiseState,
    /// Receipts counted towards the promise, between 0 and the promised amount.
    pub paid: Decimal,
    /// `amount − paid`, never negative; 0 once the documents it names are settled.
    pub remaining: Decimal,
}

/// Derives a promise's state as of `as_of`.
///
/// `receipts` are the `(date, amount)` of payments and credits applied to the
/// promise's documents (or to the customer when the promise names none), of
/// any dates. Those dated from `promised_on` through
/// `min(as_of, due + grace_days)` are counted:
///
/// `paid = min(amount, max(0, Σ counted receipts))`, `remaining = amount − paid`
///
/// - `Voided` when voided, whatever was paid;
/// - `Kept` when `paid = amount`, which can happen before `due`, or when the documents it
///   names are settled in full (`remaining` is then 0, and `paid` what was received);
/// - `Open` when not kept and `as_of ≤ due + grace_days` (the last grace day
///   is still open);
/// - after that, `PartiallyKept` when `0 < paid < amount`, `Broken` when
///   nothing was paid.
///
/// A promise of zero (or a negative amount) is kept at once.
pub fn promise_progress(
    p: &Promise,
    receipts: &[(Date, Decimal)],
    as_of: Date,
    grace_days: u32,
) -> PromiseProgress {
    let deadline = deadline(p.due, grace_days);
    let amount = p.amount.max(Decimal::ZERO);
    let received = counted_receipts(receipts, p.promised_on, as_of.min(deadline));
    let paid = received.max(Decimal::ZERO).min(amount);
    let settled = p.documents_settled && !p.voided;
    let state = state(p.voided, paid, amount, settled, as_of > deadline);
    PromiseProgress {
        state,
        paid,
        remaining: if settled {
            Decimal::ZERO
        } else {
            amount - paid
        },
    }
}

/// `due + grace_days`, or the last representable date when that overflows.
fn deadline(due: Date, grace_days: u32) -> Date {
    due.checked_add_days(Days::new(u64::from(grace_days)))
        .unwrap_or(Date::MAX)
}

/// Sum of the receipts dated `from ..= through`.
fn counted_receipts(receipts: &[(Date, Decimal)], from: Date, through: Date) -> Decimal {
    receipts
        .iter()
        .filter(|(date, _)| (from..=through).contains(date))
        .map(|&(_, amount)| amount)
        .sum()
}

/// The state from what was paid and whether the deadline has passed.
fn state(
    voided: bool,
    paid: Decimal,
    amount: Decimal,
    documents_settled: bool,
    past_deadline: bool,
) -> PromiseState {
    if voided {
        PromiseState::Voided
    } else if paid >= amount || documents_settled {
        PromiseState::Kept
    } else if !past_deadline {
        PromiseState::Open
    } else if paid > Decimal::ZERO {
        PromiseState::PartiallyKept
    } else {
        PromiseState::Broken
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{date, dec};
    use proptest::prelude::*;

    /// 500 promised on 1 April for 10 April.
    fn promise() -> Promise {
        Promise {
            amount: dec("500"),
            promised_on: date("2026-04-01"),
            due: date("2026-04-10"),
            voided: false,
            documents_settled: false,
        }
    }

    fn receipts(rows: &[(&str, &str)]) -> Vec<(Date, Decimal)> {
        rows.iter().map(|&(d, a)| (date(d), dec(a))).collect()
    }

    fn progress(rows: &[(&str, &str)], as_of: &str, grace: u32) -> PromiseProgress {
        promise_progress(&promise(), &receipts(rows), date(as_of), grace)
    }

    /// The progress expected: `state`, `paid` and `remaining` of the 500 promised.
    fn progressed(state: PromiseState, paid: &str, remaining: &str) -> PromiseProgress {
        PromiseProgress {
            state,
            paid: dec(paid),
            remaining: dec(remaining),
        }
    }

    fn state_at(rows: &[(&str, &str)], as_of: &str, grace: u32) -> PromiseState {
        progress(rows, as_of, grace).state
    }

    #[test]
    fn open_until_paid_or_due() {
        assert_eq!(
            progress(&[], "2026-04-05", 0),
            progressed(PromiseState::Open, "0", "500")
        );
    }

    #[test]
    fn kept_before_the_due_date() {
        assert_eq!(
            progress(&[("2026-04-03", "500")], "2026-04-04", 0),
            progressed(PromiseState::Kept, "500", "0")
        );
    }

    #[test]
    fn kept_by_several_partial_payments() {
        let rows = [
            ("2026-04-02", "200"),
            ("2026-04-06", "150"),
            ("2026-04-10", "150"),
        ];
        assert_eq!(state_at(&rows, "2026-04-05", 0), PromiseState::Open);
        assert_eq!(progress(&rows, "2026-04-05", 0).paid, dec("200"));
        assert_eq!(state_at(&rows, "2026-04-10", 0), PromiseState::Kept);
        assert_eq!(state_at(&rows, "2026-06-30", 0), PromiseState::Kept);
    }

    #[test]
    fn overpayment_is_capped_at_the_promise() {
        assert_eq!(
            progress(
                &[("2026-04-02", "450"), ("2026-04-03", "100")],
                "2026-04-20",
                0,
            ),
            progressed(PromiseState::Kept, "500", "0")
        );
    }

    #[test]
    fn partially_kept_after_the_deadline() {
        assert_eq!(
            progress(&[("2026-04-08", "499.99")], "2026-04-11", 0),
            progressed(PromiseState::PartiallyKept, "499.99", "0.01")
        );
    }

    #[test]
    fn broken_when_nothing_came() {
        assert_eq!(
            progress(&[], "2026-04-11", 0),
            progressed(PromiseState::Broken, "0", "500")
        );
    }

    #[test]
    fn receipts_before_the_promise_are_ignored() {
        let rows = [("2026-03-31", "500"), ("2026-04-01", "100")];
        let got = progress(&rows, "2026-04-11", 0);
        assert_eq!(
            (got.state, got.paid),
            (PromiseState::PartiallyKept, dec("100"))
        );
    }

    #[test]
    fn receipts_after_as_of_are_ignored() {
        let rows = [("2026-04-09", "500")];
        assert_eq!(state_at(&rows, "2026-04-08", 0), PromiseState::Open);
        assert_eq!(state_at(&rows, "2026-04-09", 0), PromiseState::Kept);
    }

    #[test]
    fn receipts_after_the_deadline_do_not_mend_it() {
        let rows = [("2026-04-11", "500")];
        assert_eq!(state_at(&rows, "2026-04-30", 0), PromiseState::Broken);
        let rows = [("2026-04-10", "100"), ("2026-04-11", "400")];
        assert_eq!(
            state_at(&rows, "2026-04-30", 0),
            PromiseState::PartiallyKept
        );
    }

    #[test]
    fn grace_boundary() {
        // Due 10 April, 3 grace days: the 13th is still open, the 14th broken.
        assert_eq!(state_at(&[], "2026-04-13", 3), PromiseState::Open);
        assert_eq!(state_at(&[], "2026-04-14", 3), PromiseState::Broken);
        // Money on the last grace day keeps it; a day later does not.
        assert_eq!(
            state_at(&[("2026-04-13", "500")], "2026-04-20", 3),
            PromiseState::Kept
        );
        assert_eq!(
            state_at(&[("2026-04-14", "500")], "2026-04-20", 3),
            PromiseState::Broken
        );
        // Without grace the due date itself is the last open day.
        assert_eq!(state_at(&[], "2026-04-10", 0), PromiseState::Open);
        assert_eq!(state_at(&[], "2026-04-11", 0), PromiseState::Broken);
    }

    #[test]
    fn voided_wins_but_still_reports_the_money() {
        let voided = Promise {
            voided: true,
            ..promise()
        };
        let paid = promise_progress(
            &voided,
            &receipts(&[("2026-04-02", "500")]),
            date("2026-04-05"),
            0,
        );
        assert_eq!(paid, progressed(PromiseState::Voided, "500", "0"));
        let late = promise_progress(&voided, &[], date("2026-05-01"), 0);
        assert_eq!(late.state, PromiseState::Voided);
    }

    #[test]
    fn a_reversal_lowers_what_was_paid_but_never_below_zero() {
        let rows = [
            ("2026-04-02", "300"),
            ("2026-04-03", "-300"),
            ("2026-04-04", "-50"),
        ];
        let got = progress(&rows, "2026-04-11", 0);
        assert_eq!(
            (got.state, got.paid, got.remaining),
            (PromiseState::Broken, dec("0"), dec("500"))
        );
    }

    /// Its invoice corrected down from 500 to 200 after it was made, then paid: the
    /// documents it names are settled, so it is kept, nothing remaining, whenever judged.
    #[test]
    fn kept_when_the_documents_it_names_are_settled_in_full() {
        let settled = Promise {
            documents_settled: true,
            ..promise()
        };
        let paid = receipts(&[("2026-04-09", "200")]);
        for as_of in ["2026-04-09", "2026-05-01"] {
            assert_eq!(
                promise_progress(&settled, &paid, date(as_of), 3),
                progressed(PromiseState::Kept, "200", "0"),
                "{as_of}"
            );
        }
        let voided = Promise {
            voided: true,
            ..settled
        };
        assert_eq!(
            promise_progress(&voided, &paid, date("2026-05-01"), 3).state,
            PromiseState::Voided
        );
    }

    #[test]
    fn zero_promise_is_kept_at_once() {
        let zero = Promise {
            amount: dec("0"),
            ..promise()
        };
        assert_eq!(
            promise_progress(&zero, &[], date("2026-04-01"), 0).state,
            PromiseState::Kept
        );
    }

    #[test]
    fn huge_grace_does_not_overflow() {
        assert_eq!(state_at(&[], "2026-04-11", u32::MAX), PromiseState::Open);
    }

    #[test]
    fn state_names() {
        let all = [
            PromiseState::Open,
            PromiseState::Kept,
            PromiseState::PartiallyKept,
            PromiseState::Broken,
            PromiseState::Voided,
        ];
        let names: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            ["open", "kept", "partially_kept", "broken", "voided"]
        );
    }

    proptest! {
        #[test]
        fn paid_never_exceeds_the_counted_receipts(
            amount_cents in 0i64..1_000_000,
            rows in prop::collection::vec((0u32..60, 0i64..500_000), 0..12),
            as_of_day in 0u32..60,
            grace in 0u32..10,
            voided: bool,
        ) {
            let start = date("2026-03-25");
            let day = |n: u32| start + Days::new(u64::from(n));
            let p = Promise {
                amount: Decimal::new(amount_cents, 2),
                promised_on: day(7),
                due: day(20),
                voided,
                documents_settled: false,
            };
            let receipts: Vec<_> = rows.iter().map(|&(d, c)| (day(d), Decimal::new(c, 2))).collect();
            let as_of = day(as_of_day);
            let got = promise_progress(&p, &receipts, as_of, grace);

            let last_counted = as_of.min(p.due + Days::new(u64::from(grace)));
            let counted: Decimal = receipts
                .iter()
                .filter(|(d, _)| *d >= p.promised_on && *d <= last_counted)
                .map(|&(_, a)| a)
                .sum();
            prop_assert!(got.paid <= counted);
            prop_assert!(got.paid >= Decimal::ZERO && got.paid <= p.amount);
            prop_assert_eq!(got.paid + got.remaining, p.amount);
            prop_assert_eq!(voided, got.state == PromiseState::Voided);
        }
    }
}
