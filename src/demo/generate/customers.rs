//! The customer profile: the behaviour archetype and latent lateness, segment, region,
//! payment methods, terms and billing timeline drawn for each customer before its ledger.

use chrono::NaiveDate;
use chrono::Weekday;

use super::DemoBehaviour;
use super::currencies::Market;
use super::dates_money::shift;
use super::names::{BUSINESS_UNITS, draw_email, draw_identity, draw_phone};
use super::rng::{Rng, exp};
use super::tunables::{COLLECTORS, HISTORY_DAYS};

/// How a customer pays, the driver of everything the forecaster has to learn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Archetype {
    /// Pays around the due date.
    Prompt,
    /// A few days to two weeks late.
    Steady,
    /// 20–60 days late, routinely.
    ChronicLate,
    /// Pays most invoices in two or three instalments.
    Partial,
    /// Disputes a third of its invoices: paid very late or credited.
    Disputer,
    /// Card on file keeps failing; declines before each eventual success.
    CardFailing,
    /// Paid for a while, then stopped; recent invoices wide open.
    Stopped,
}

/// Share of each archetype, in percent.
pub(super) const ARCHETYPES: [(Archetype, u32); 7] = [
    (Archetype::Prompt, 35),
    (Archetype::Steady, 20),
    (Archetype::ChronicLate, 15),
    (Archetype::Partial, 10),
    (Archetype::Disputer, 8),
    (Archetype::CardFailing, 8),
    (Archetype::Stopped, 4),
];

/// The latent lateness of a customer, in days after the due date.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lateness {
    pub(super) mean: f64,
    pub(super) spread: f64,
    /// Change of the mean per year of the relationship (negative: improving).
    pub(super) drift_per_year: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Segment {
    Smb,
    Mid,
    Enterprise,
}

impl Segment {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Segment::Smb => "smb",
            Segment::Mid => "mid",
            Segment::Enterprise => "enterprise",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Region {
    NorthAmerica,
    Latam,
    Emea,
    Apac,
}

impl Region {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Region::NorthAmerica => "na",
            Region::Latam => "latam",
            Region::Emea => "emea",
            Region::Apac => "apac",
        }
    }

    fn locations(self) -> &'static [&'static str] {
        match self {
            Region::NorthAmerica => &["New York", "Chicago", "Austin", "Toronto"],
            Region::Latam => &["São Paulo", "Mexico City", "Bogotá"],
            Region::Emea => &["London", "Berlin", "Paris", "Amsterdam", "Dublin"],
            Region::Apac => &["Singapore", "Sydney", "Tokyo"],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Method {
    Card,
    BankTransfer,
    DirectDebit,
    Cheque,
}

impl Method {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Method::Card => "card",
            Method::BankTransfer => "bank_transfer",
            Method::DirectDebit => "direct_debit",
            Method::Cheque => "cheque",
        }
    }

    /// Charged by us through a gateway, rather than sent by the customer.
    pub(super) fn is_automatic(self) -> bool {
        matches!(self, Method::Card | Method::DirectDebit)
    }
}

/// When the customer was billed and when (if ever) it stopped paying.
pub(super) struct Timeline {
    pub(super) start: NaiveDate,
    pub(super) billing_end: NaiveDate,
    pub(super) stop_paying: Option<NaiveDate>,
}

/// Everything fixed about one customer before its ledger is drawn.
pub(super) struct Customer<'m> {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) phone: String,
    pub(super) currency: &'m str,
    pub(super) finance_owner: &'static str,
    pub(super) sales_owner: &'static str,
    pub(super) terms_days: i64,
    pub(super) credit_limit: i64,
    pub(super) auto_collection: bool,
    pub(super) primary_method: Method,
    pub(super) backup_method: Option<Method>,
    pub(super) source_status: &'static str,
    pub(super) subscription_status: &'static str,
    pub(super) segment: Segment,
    pub(super) region: Region,
    pub(super) location: &'static str,
    pub(super) business_unit: &'static str,
    pub(super) archetype: Archetype,
    pub(super) lateness: Lateness,
    pub(super) timeline: Timeline,
    /// The customer's usual invoice, in cents.
    pub(super) typical_amount: f64,
    pub(super) document_count: usize,
    /// Weekday of the customer's AP payment run, if it batches payments.
    pub(super) payment_run: Option<Weekday>,
    pub(super) gateway: &'static str,
    /// The decline the customer's card usually gets.
    pub(super) usual_failure: &'static str,
    pub(super) behaviour: &'m DemoBehaviour,
}

pub(super) fn draw_customer<'m>(
    index: usize,
    market: &'m Market,
    behaviour: &'m DemoBehaviour,
    history_start: NaiveDate,
    today: NaiveDate,
    rng: &mut Rng,
) -> Customer<'m> {
    let archetype = rng.weighted(&behaviour.archetypes());
    let segment = rng.weighted(&[
        (Segment::Smb, 60),
        (Segment::Mid, 30),
        (Segment::Enterprise, 10),
    ]);
    let (name, currency, region) = draw_identity(index, market, rng);
    let email = draw_email(&name, index, rng);
    let phone = draw_phone(region, currency, rng);
    let (primary_method, backup_method) = draw_payment_methods(segment, archetype, rng);
    let auto_collection = if primary_method.is_automatic() {
        rng.chance(0.9)
    } else {
        rng.chance(0.05)
    };
    let timeline = draw_timeline(archetype, history_start, today, rng);
    let subscription_status = draw_subscription_status(archetype, &timeline, today, rng);
    let lateness = draw_lateness(archetype, auto_collection, behaviour, rng);
    let source_status = draw_source_status(archetype, primary_method, rng);
    Customer {
        id: format!("C{:06}", index + 1),
        name,
        email,
        phone,
        currency,
        finance_owner: rng.pick(&COLLECTORS),
        sales_owner: rng.pick(&COLLECTORS),
        terms_days: draw_terms(segment, rng),
        credit_limit: draw_credit_limit(segment, rng),
        auto_collection,
        primary_method,
        backup_method,
        source_status,
        subscription_status,
        segment,
        region,
        location: rng.pick(region.locations()),
        business_unit: rng.pick(&BUSINESS_UNITS),
        archetype,
        lateness,
        timeline,
        typical_amount: draw_typical_amount(segment, rng),
        document_count: draw_document_count(archetype, rng),
        payment_run: draw_payment_run(segment, primary_method, behaviour, rng),
        gateway: rng.pick(&["stripe", "adyen", "braintree"]),
        usual_failure: usual_failure(source_status, rng),
        behaviour,
    }
}

/// The latent lateness of each archetype; a quarter of the steady ones drift over time.
fn draw_lateness(
    archetype: Archetype,
    auto_collection: bool,
    behaviour: &DemoBehaviour,
    rng: &mut Rng,
) -> Lateness {
    let (mean, spread) = match archetype {
        Archetype::Prompt if auto_collection => (0.0, 0.4),
        Archetype::Prompt => (rng.uniform(-3.0, 2.0), rng.uniform(1.0, 3.0)),
        Archetype::Steady => (rng.uniform(3.0, 15.0), rng.uniform(3.0, 8.0)),
        Archetype::ChronicLate => (rng.uniform(20.0, 60.0), rng.uniform(6.0, 15.0)),
        Archetype::Partial => (rng.uniform(0.0, 20.0), rng.uniform(4.0, 10.0)),
        Archetype::Disputer => (rng.uniform(5.0, 25.0), rng.uniform(5.0, 12.0)),
        Archetype::CardFailing => (rng.uniform(-2.0, 6.0), rng.uniform(2.0, 6.0)),
        Archetype::Stopped => (rng.uniform(5.0, 30.0), rng.uniform(4.0, 10.0)),
    };
    let drifts = !matches!(archetype, Archetype::Stopped | Archetype::CardFailing);
    let drift_per_year = if drifts && rng.chance(behaviour.drift_share) {
        rng.uniform(-10.0, 20.0)
    } else {
        0.0
    };
    Lateness {
        mean: mean * behaviour.lateness_scale,
        spread: spread * behaviour.spread_scale,
        drift_per_year,
    }
}

/// Established customers span the whole history; a third joined later. Stopped payers
/// stopped paying 100–240 days ago but are still billed for a while.
fn draw_timeline(
    archetype: Archetype,
    history_start: NaiveDate,
    today: NaiveDate,
    rng: &mut Rng,
) -> Timeline {
    let established = archetype == Archetype::Stopped || rng.chance(0.65);
    let start = if established {
        shift(history_start, rng.int(0, 45))
    } else {
        shift(today, -rng.int(30, HISTORY_DAYS - 60))
    };
    let (billing_end, stop_paying) = if archetype == Archetype::Stopped {
        let stop = shift(today, -rng.int(100, 240)).max(shift(start, 30));
        (shift(today, -rng.int(0, 45)), Some(stop))
    } else {
        (shift(today, -rng.int(0, 20)), None)
    };
    Timeline {
        start,
        billing_end: billing_end.max(start),
        stop_paying,
    }
}

pub(super) fn draw_region(currency: &str, rng: &mut Rng) -> Region {
    match currency {
        "EUR" | "GBP" => Region::Emea,
        _ => rng.weighted(&[
            (Region::NorthAmerica, 75),
            (Region::Apac, 15),
            (Region::Latam, 10),
        ]),
    }
}

fn draw_payment_methods(
    segment: Segment,
    archetype: Archetype,
    rng: &mut Rng,
) -> (Method, Option<Method>) {
    use Method::{BankTransfer, Card, Cheque, DirectDebit};
    let primary = match (archetype, segment) {
        (Archetype::CardFailing, _) => Card,
        (_, Segment::Smb) => rng.weighted(&[
            (Card, 50),
            (DirectDebit, 25),
            (BankTransfer, 20),
            (Cheque, 5),
        ]),
        (_, Segment::Mid) => rng.weighted(&[
            (BankTransfer, 40),
            (Card, 25),
            (DirectDebit, 25),
            (Cheque, 10),
        ]),
        (_, Segment::Enterprise) => rng.weighted(&[
            (BankTransfer, 70),
            (Cheque, 15),
            (DirectDebit, 10),
            (Card, 5),
        ]),
    };
    let backup = if rng.chance(0.55) {
        Some(rng.pick(&[Card, BankTransfer, DirectDebit, Cheque]))
            .filter(|&method| method != primary)
    } else {
        None
    };
    (primary, backup)
}

fn draw_source_status(archetype: Archetype, primary: Method, rng: &mut Rng) -> &'static str {
    match archetype {
        Archetype::CardFailing => {
            rng.weighted(&[("expired", 40), ("invalid", 30), ("expiring", 30)])
        }
        _ if primary.is_automatic() => {
            rng.weighted(&[("valid", 90), ("expiring", 7), ("invalid", 3)])
        }
        _ => "valid",
    }
}

/// The decline reason matching the state of the customer's card.
fn usual_failure(source_status: &str, rng: &mut Rng) -> &'static str {
    match source_status {
        "expired" => "card_expired",
        "invalid" => rng.pick(&["do_not_honor", "card_declined"]),
        _ => "insufficient_funds",
    }
}

fn draw_subscription_status(
    archetype: Archetype,
    timeline: &Timeline,
    today: NaiveDate,
    rng: &mut Rng,
) -> &'static str {
    if archetype == Archetype::Stopped {
        rng.weighted(&[("cancelled", 50), ("paused", 25), ("non_renewing", 25)])
    } else if (today - timeline.start).num_days() < 60 {
        rng.weighted(&[("in_trial", 50), ("active", 50)])
    } else {
        rng.weighted(&[
            ("active", 88),
            ("non_renewing", 5),
            ("paused", 3),
            ("future", 2),
            ("cancelled", 2),
        ])
    }
}

fn draw_terms(segment: Segment, rng: &mut Rng) -> i64 {
    match segment {
        Segment::Smb => rng.weighted(&[(15, 20), (30, 65), (45, 10), (60, 5)]),
        Segment::Mid => rng.weighted(&[(15, 5), (30, 55), (45, 20), (60, 20)]),
        Segment::Enterprise => rng.weighted(&[(30, 30), (45, 30), (60, 40)]),
    }
}

/// A round credit limit in cents.
fn draw_credit_limit(segment: Segment, rng: &mut Rng) -> i64 {
    let (step, low, high) = match segment {
        Segment::Smb => (1_000, 5, 25),
        Segment::Mid => (5_000, 5, 20),
        Segment::Enterprise => (50_000, 2, 20),
    };
    rng.int(low, high) * step * 100
}

/// The customer's usual invoice in cents: log-normal around the segment's median.
fn draw_typical_amount(segment: Segment, rng: &mut Rng) -> f64 {
    let median = match segment {
        Segment::Smb => 30_000.0,
        Segment::Mid => 250_000.0,
        Segment::Enterprise => 900_000.0,
    };
    (median * exp(0.6 * rng.normal())).clamp(8_000.0, 3_000_000.0)
}

/// About ten documents on average, log-normal between 1 and 40.
fn draw_document_count(archetype: Archetype, rng: &mut Rng) -> usize {
    let count = (7.4 * exp(0.8 * rng.normal())).round().clamp(1.0, 40.0) as usize;
    if archetype == Archetype::Stopped {
        count.max(4)
    } else {
        count
    }
}

/// Larger customers paying by transfer or cheque batch payments into a weekly run.
fn draw_payment_run(
    segment: Segment,
    primary: Method,
    behaviour: &DemoBehaviour,
    rng: &mut Rng,
) -> Option<Weekday> {
    let batches = segment != Segment::Smb
        && !primary.is_automatic()
        && rng.chance(behaviour.payment_run_share);
    batches.then(|| {
        rng.pick(&[
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Fri,
        ])
    })
}
