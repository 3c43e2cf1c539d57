//! A customer's statement of account as of a date: what is open on the account and what it
//! adds up to, per currency (an account in two currencies has two sets of totals; amounts are
//! never converted on a statement, since the customer pays in the invoice's currency).
//!
//! > open items = Σ open balances of invoices and debit notes at D, aged by days overdue
//! >
//! > balance due = open items − unutilised credit − unapplied cash
//!
//! A negative balance due is money owed to the customer. Each line is rounded to its
//! currency's minor units (half away from zero) before it is added, as docs/arithmetic.md
//! rounds each document on its own: a total is the sum of the figures listed under it.

use super::aging::{AgingBounds, days_overdue};
use super::money::round_to_currency;
use super::{Date, Decimal};

/// What a line of the statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// An invoice or debit note with an open balance.
    Debit,
    /// A credit note with credit left.
    Credit,
    /// A successful payment not fully applied.
    Cash,
}

/// One line of a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementLine {
    pub kind: LineKind,
    /// The billing system's id of the document or payment.
    pub id: String,
    /// The document number, or the payment's reference.
    pub number: Option<String>,
    /// `invoice`, `debit_note`, `credit_note` or `payment`.
    pub doc_type: String,
    pub date: Date,
    pub due_date: Option<Date>,
    pub amount: Decimal,
    /// Open at the as-of date: balance, credit left or cash not applied.
    pub open: Decimal,
    pub currency: String,
}

impl StatementLine {
    /// The number the customer knows the line by: its number, else its id.
    pub fn reference(&self) -> &str {
        self.number
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(&self.id)
    }

    /// Days overdue at `as_of` of a debit with a due date.
    pub fn days_overdue(&self, as_of: Date) -> Option<i64> {
        match (self.kind, self.due_date) {
            (LineKind::Debit, Some(due)) => Some(days_overdue(as_of, due)),
            _ => None,
        }
    }
}

/// The totals of one currency of a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrencyTotals {
    pub currency: String,
    /// Open items by aging bucket (current first).
    pub aging: Vec<Decimal>,
    /// Σ open balances of the debits.
    pub open: Decimal,
    /// Σ open balances of the debits due before the as-of date.
    pub overdue: Decimal,
    /// Credit left on credit notes.
    pub credit: Decimal,
    /// Payments not yet applied.
    pub cash: Decimal,
}

impl CurrencyTotals {
    /// Open items less credit and unapplied cash (negative: owed to the customer).
    pub fn balance_due(&self) -> Decimal {
        self.open - self.credit - self.cash
    }
}

/// The totals of a statement's lines, one per currency in alphabetical order: sums of the
/// lines' open amounts as shown (each rounded to the currency's minor units).
pub fn totals(lines: &[StatementLine], as_of: Date, bounds: &AgingBounds) -> Vec<CurrencyTotals> {
    let mut out: Vec<CurrencyTotals> = Vec::new();
    for line in lines {
        let i = match out.iter().position(|t| t.currency == line.currency) {
            Some(i) => i,
            None => {
                out.push(CurrencyTotals {
                    currency: line.currency.clone(),
                    aging: vec![Decimal::ZERO; bounds.len()],
                    open: Decimal::ZERO,
                    overdue: Decimal::ZERO,
                    credit: Decimal::ZERO,
                    cash: Decimal::ZERO,
                });
                out.len() - 1
            }
        };
        let t = &mut out[i];
        let open = round_to_currency(line.open, &line.currency);
        match line.kind {
            LineKind::Debit => {
                let days = line.days_overdue(as_of).unwrap_or(0);
                t.aging[bounds.bucket(days)] += open;
                t.open += open;
                if days > 0 {
                    t.overdue += open;
                }
            }
            LineKind::Credit => t.credit += open,
            LineKind::Cash => t.cash += open,
        }
    }
    out.sort_by(|a, b| a.currency.cmp(&b.currency));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::date as d;

    fn line(kind: LineKind, due: Option<&str>, open: i64, currency: &str) -> StatementLine {
        StatementLine {
            kind,
            id: "X".into(),
            number: None,
            doc_type: "invoice".into(),
            date: d("2026-01-01"),
            due_date: due.map(d),
            amount: Decimal::from(open),
            open: Decimal::from(open),
            currency: currency.into(),
        }
    }

    #[test]
    fn totals_per_currency_with_aging_and_balance_due() {
        let as_of = d("2026-04-30");
        let lines = [
            line(LineKind::Debit, Some("2026-03-31"), 60, "USD"), // 30 days: 1-30
            line(LineKind::Debit, Some("2026-05-25"), 40, "USD"), // current
            line(LineKind::Debit, Some("2026-01-15"), 500, "EUR"), // 105 days: 91-120
            line(LineKind::Debit, Some("2026-04-30"), 5, "USD"),  // due today: current
            line(LineKind::Credit, None, 100, "USD"),
            line(LineKind::Cash, None, 50, "USD"),
        ];
        let t = totals(&lines, as_of, &AgingBounds::default());
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].currency, "EUR");
        assert_eq!(t[0].aging[4], Decimal::from(500));
        let usd = &t[1];
        assert_eq!(usd.aging[0], Decimal::from(45));
        assert_eq!(usd.aging[1], Decimal::from(60));
        assert_eq!(usd.open, Decimal::from(105));
        assert_eq!(usd.overdue, Decimal::from(60));
        assert_eq!(usd.credit, Decimal::from(100));
        assert_eq!(usd.cash, Decimal::from(50));
        assert_eq!(usd.balance_due(), Decimal::from(-45));
    }

    #[test]
    fn totals_add_the_lines_as_shown_each_rounded_half_away_from_zero() {
        let as_of = d("2026-06-30");
        let mut lines = Vec::new();
        for (open, currency) in [
            ("10.125", "USD"),
            ("10.135", "USD"),
            ("0.005", "USD"),
            ("0.005", "USD"),
            ("0.005", "USD"),
            ("0.005", "EUR"),
            ("0.0050", "EUR"),
            ("123456.5", "JPY"),
        ] {
            let mut l = line(LineKind::Debit, Some("2026-06-01"), 0, currency);
            l.open = open.parse().unwrap();
            lines.push(l);
        }
        let mut credit = line(LineKind::Credit, None, 0, "USD");
        credit.open = "0.005".parse().unwrap();
        lines.push(credit);
        let t = totals(&lines, as_of, &AgingBounds::default());
        let dec = |s: &str| s.parse::<Decimal>().unwrap();
        // 10.13 + 10.14 + 0.01 × 3, not the exact 20.275 rounded (20.28).
        let usd = &t[2];
        assert_eq!(
            (usd.open, usd.overdue, usd.aging[1]),
            (dec("20.30"), dec("20.30"), dec("20.30"))
        );
        assert_eq!(usd.credit, dec("0.01"));
        assert_eq!(usd.balance_due(), dec("20.29"));
        assert_eq!(t[0].open, dec("0.02"), "EUR 0.01 + 0.01");
        assert_eq!(t[1].open, dec("123457"), "JPY to the yen");
    }

    #[test]
    fn reference_is_the_number_else_the_id() {
        let mut l = line(LineKind::Debit, None, 1, "USD");
        assert_eq!(l.reference(), "X");
        l.number = Some("INV-7".into());
        assert_eq!(l.reference(), "INV-7");
        l.number = Some("  ".into());
        assert_eq!(l.reference(), "X");
    }
}
