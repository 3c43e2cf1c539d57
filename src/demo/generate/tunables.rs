//! The generator's tunables: the history's length, the amounts, and the chances of every
//! unusual event, in one place so the portfolio's shape can be read at a glance.

/// Days of invoice history before `today` (a little over two years).
pub(super) const HISTORY_DAYS: i64 = 760;
/// Exchange rates start this many days before the earliest possible document date.
pub(super) const RATE_LEAD_DAYS: i64 = 7;
/// Collectors (finance owners) and account managers (sales owners).
pub(super) const COLLECTORS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];
/// Smallest and largest debit document, in cents.
pub(super) const MIN_AMOUNT: i64 = 5_000;
pub(super) const MAX_AMOUNT: i64 = 5_000_000;
/// Extra days late per unit of log-size above the customer's usual invoice.
pub(super) const SIZE_EFFECT_DAYS: f64 = 6.0;
/// Share of debit documents that are debit notes (fees, extra charges).
pub(super) const DEBIT_NOTE_SHARE: f64 = 0.03;
/// Chance that any invoice is paid with an unrelated hiccup of 10–60 extra days.
pub(super) const HICCUP_CHANCE: f64 = 0.04;
/// Chance of a goodwill / correction credit note on an undisputed document.
pub(super) const ROUTINE_CREDIT_CHANCE: f64 = 0.04;
/// Chance that a disputed document is settled by a credit note rather than paid late.
pub(super) const DISPUTE_CREDIT_CHANCE: f64 = 0.45;
/// Chance that a payment attempt is voided and re-entered.
pub(super) const VOID_CHANCE: f64 = 0.004;
/// Cumulative thresholds of the receipt quirks (see [`Quirk`](super::settlement::Quirk)).
pub(super) const RESIDUE_BELOW: f64 = 0.002;
pub(super) const OVERPAY_BELOW: f64 = 0.006;
pub(super) const DUPLICATE_BELOW: f64 = 0.008;
pub(super) const NO_REMITTANCE_BELOW: f64 = 0.012;
/// Payments without remittance are only left unapplied if this recent.
pub(super) const NO_REMITTANCE_MAX_AGE_DAYS: i64 = 75;
/// Share of documents whose billing balance deliberately disagrees.
pub(super) const BILLING_MISMATCH_CHANCE: f64 = 0.005;
/// Chance a customer with / without overdue items today has recent notes (and maybe an open promise).
pub(super) const ENGAGED_IF_OVERDUE: f64 = 0.42;
pub(super) const ENGAGED_OTHERWISE: f64 = 0.06;

/// Stream tags, so each purpose draws an independent sequence.
pub(super) const STREAM_CUSTOMER: u64 = 1;
pub(super) const STREAM_ACTIVITY: u64 = 2;
pub(super) const STREAM_RATES: u64 = 3;
