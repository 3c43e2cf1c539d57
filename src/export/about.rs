//! The formulas a workbook's "About" sheet gives for its figures, in the words of
//! `docs/arithmetic.md` (and `docs/forecast.md`): each view lists those of the figures it
//! shows.

/// A figure and how it is computed. D is the as-of date.
pub type Figure = (&'static str, &'static str);

pub const AS_OF: Figure = (
    "As of D",
    "Every figure is computed as if today were D: documents dated after D do not exist yet; payments, credit notes and applications dated after D have not happened.",
);
pub const OPEN_BALANCE: Figure = (
    "Open balance",
    "amount − Σ applications to the document dated on or before D (for a credit note: the credit not yet applied).",
);
pub const DAYS_OVERDUE: Figure = (
    "Days overdue",
    "D − due date, in calendar days: due today is 0, due tomorrow −1.",
);
pub const BUCKETS: Figure = (
    "Aging buckets",
    "current: 0 or fewer days overdue; then by aging_bounds (default 1–30, 31–60, 61–90, 91–120, 120+; upper bounds inclusive). Each holds Σ open balances of its documents.",
);
pub const OUTSTANDING: Figure = (
    "Outstanding",
    "Σ open balances of invoices and debit notes at D (every bucket).",
);
pub const OVERDUE: Figure = (
    "Overdue",
    "Σ open balances with a due date before D (every bucket but current).",
);
pub const UNUTILISED_CREDIT: Figure = (
    "Unutilised credit",
    "Σ credit notes dated ≤ D − Σ their applications dated ≤ D. Shown beside the buckets, never subtracted from them.",
);
pub const UNAPPLIED_CASH: Figure = (
    "Unapplied cash",
    "Σ successful payments dated ≤ D − Σ their applications dated ≤ D. Failed, voided, in-progress and timed-out attempts are not money received.",
);
pub const NET_OVERDUE: Figure = (
    "Net overdue",
    "Per customer max(0, overdue − unutilised credit − unapplied cash), then summed: one customer's credit does not pay another's invoice.",
);
pub const MISMATCH: Figure = (
    "Outstanding mismatch",
    "Σ |billing_balance − owed's open balance| over the customer's documents dated on or before D that carry a billing_balance (owed's balance after everything imported).",
);
pub const BASE_CURRENCY: Figure = (
    "Base currency",
    "A document, payment or credit note is converted at the latest rate for its currency dated on or before its own date: round(amount × rate, {minor_units}), to the base currency's minor units, half away from zero; totals are sums of the rounded figures.",
);
pub const COLLECTABLE: Figure = (
    "Collectable this month",
    "Σ open balances at D of debit documents due in D's calendar month.",
);
pub const SALES: Figure = (
    "Sales",
    "Σ invoices and debit notes dated in the month, in the base currency (credit notes not subtracted).",
);
pub const DSO: Figure = (
    "DSO (count-back)",
    "Start with AR = outstanding at D; going back a month at a time over the 12 months ending with D's month, subtract whole months' sales while AR covers them (counting their days), then add remaining AR ÷ that month's sales × its days.",
);
pub const ADD: Figure = (
    "Average days delinquent",
    "(AR − current AR) ÷ sales × days: DSO minus the DSO with nothing overdue.",
);
pub const CEI: Figure = (
    "CEI",
    "(beginning AR + sales ÷ N − ending total AR) ÷ (beginning AR + sales ÷ N − ending current AR) × 100, for D's month to date (N = 1); empty when nothing was collectable.",
);
pub const OPEN_ISSUES: Figure = (
    "Open issues",
    "Σ amounts of issues open at D (opened by D, not resolved by then), each converted at the rate of the day it was opened.",
);
pub const OPEN_DEDUCTIONS: Figure = (
    "Open deductions",
    "Σ amounts of the deductions (issues with reason short_payment) open at D, each converted at the rate of the day it was opened: the part of the open issues that are deductions.",
);
pub const OPEN_PROMISES: Figure = (
    "Open promises",
    "Σ remaining of the promises to pay open at D, each converted at the rate of the day it was recorded.",
);
pub const PROMISE_STATE: Figure = (
    "Promise state",
    "Worked out from the money applied to the promise's documents (or any of the customer's) from the day it was recorded through the earlier of D and date + grace: kept when it reaches the amount; open while D ≤ date + grace; then partially kept (some paid) or broken (nothing); voided wins.",
);
pub const ISSUE_STATE: Figure = (
    "Issue state",
    "Open from the day it was opened; the latest resolve or reopen dated on or before D decides.",
);
pub const PREDICTED: Figure = (
    "Predicted payment date",
    "From the customer's own payment history (days late, weighted by recency, with its group's curve as a prior), adjusted for disputes, amounts and open promises; see docs/forecast.md.",
);
pub const WEEKS: Figure = (
    "Forecast weeks",
    "13 weeks from the Monday of the week holding the day after D; each holds the base-currency balances predicted to be paid from that Monday to the Sunday.",
);
pub const QUEUE: Figure = (
    "Queue",
    "One row per customer as the workstation lists it: the tab, filter, sort and owner given; credit is unutilised credit plus unapplied cash; days late is the days overdue of the oldest open item.",
);
pub const STATEMENT: Figure = (
    "Statement",
    "Open debits, credit notes with credit left and payments not applied at D, in each document's own currency; Open is signed (credits and cash negative), so its total per currency is the balance due.",
);
pub const TEAM_PERIOD: Figure = (
    "Week and window",
    "The week runs from the Monday of D's week through D; the window is the 30 days ending on D (both named in the title row).",
);
pub const TEAM_OWNED: Figure = (
    "Customers assigned, overdue",
    "The customers whose finance owner the collector is at D, how many of them have something overdue, and Σ their overdue (base currency).",
);
pub const TOUCH: Figure = (
    "Touched today, this week",
    "Customers on which the collector recorded anything (a note, a call, a promise or its void, an issue or its resolve or reopen, a follow-up or its done, a reminder they signed sent) on D / in the week, on the action's own date where it has one, else its timestamp's day. What an import or a lockbox run wrote (its deductions, their resolves and reopens) is no touch; a reminder is the touch of who signed it (the customer's finance owner, else its sender), not of who ran the send.",
);
pub const CALLS: Figure = (
    "Calls",
    "Calls the collector logged in the window (notes are not counted as calls).",
);
pub const NOTES_AND_DISPUTES: Figure = (
    "Notes, disputes opened, disputes resolved",
    "Notes the collector logged in the window (by the day written), disputes they opened in it (by the day opened) and resolves they recorded in it (by the resolve's date; one resolved, reopened and resolved again counts twice); a deduction a lockbox file opened, or resolved or reopened by an import or a lockbox run, is no one's.",
);
pub const REMINDERS: Figure = (
    "Reminders by hand, by runs",
    "Reminders sent in the window (by the day sent) that the collector signed, whoever sent them: those of their customers (their finance owner signs), and those the collector sent to customers nobody owns. By hand: picked in the workstation (`r`); by runs: sent by an engagement run (`owed engage run`, from cron, or the engagement screen's send).",
);
pub const PROMISES_TAKEN: Figure = (
    "Promises taken, kept, partially kept, broken, open; kept share",
    "Promises the collector recorded in the window (voided ones left out), by their state at D; kept share = kept ÷ (kept + partially kept + broken) × 100, empty when none has come due.",
);
pub const PAID_AFTER_TOUCH: Figure = (
    "Paid within 14 days of a touch",
    "Σ payments applied to the documents of customers the collector touched in the window, from the touch's day through 14 days after it (each application once per collector; a customer touched by two collectors counts for both).",
);
pub const BROKEN_WITHOUT_FOLLOWUP: Figure = (
    "Broken promises without follow-up",
    "Promises whose deadline (date + grace) passed in the window, broken or partially kept, with no touch on the customer by anyone since: work to do, counted on the customer's owner at D whoever took the promise (on the unassigned row when nobody owns it).",
);
pub const REPLIES_WAITING: Figure = (
    "Replies waiting",
    "Unread replies of the customers the collector owns at D.",
);
pub const TOTALS: Figure = (
    "Totals",
    "The Total row below each table is SUBTOTAL(109, …) over the data rows: the sum of the rows the filter shows.",
);

/// The About lines of figures, with the ground rules first and the totals last; amounts in
/// `currency`, the base currency, rounded to its minor units (a yen workbook to 0 decimals,
/// a dinar one to 3).
pub fn lines(figures: &[Figure], currency: &str) -> Vec<(String, String)> {
    let minor_units = crate::domain::money::minor_units(currency).to_string();
    std::iter::once(&AS_OF)
        .chain(figures)
        .chain(std::iter::once(&TOTALS))
        .map(|(a, b)| (a.to_string(), b.replace("{minor_units}", &minor_units)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The About sheet of a yen or a dinar workbook said amounts were converted with
    /// `round(amount × rate, 2)`; they are rounded to the base currency's minor units.
    #[test]
    fn the_conversion_rounds_to_the_base_currencys_minor_units() {
        for (currency, rounding) in [
            ("USD", "round(amount × rate, 2)"),
            ("JPY", "round(amount × rate, 0)"),
            ("KWD", "round(amount × rate, 3)"),
        ] {
            let lines = lines(&[BASE_CURRENCY], currency);
            let (_, text) = lines.iter().find(|(a, _)| a == "Base currency").unwrap();
            assert!(text.contains(rounding), "{currency}: {text}");
        }
    }
}
