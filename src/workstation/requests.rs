//! What a session asks of the workstation and what it is answered, in the service's own
//! view types (the rows and the customer's detail are the plain types of
//! [`crate::domain::queue`] and [`crate::domain::customer`]; nothing here holds a connection).

use super::forecast::{CustomerForecast, ForecastView};
use super::save::{FormData, FormKind, SaveJob, SaveOutcome};
use crate::domain::customer::CustomerDetail;
use crate::domain::queue::{IssueReason, QueuePage, QueueQuery, SummaryFigures};
use crate::domain::{Date, Decimal};

/// A question for the database, from one session.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// The figures as of this date: answered from the portfolio when it is computed for that
    /// date and current, else computed (the queue table is rebuilt).
    Summary { as_of: Date },
    /// Read everything again as of this date (`R`): the figures, the queue table and the
    /// forecast are computed again, for every session looking at that portfolio.
    Reload { as_of: Date },
    /// A page of the queue as of a date (the figures are computed first when they are of
    /// another date).
    Page {
        seq: u64,
        as_of: Date,
        query: QueueQuery,
        offset: u64,
        limit: u64,
    },
    /// One customer's detail as of a date.
    Detail { seq: u64, as_of: Date, cid: i64 },
    /// Marks a customer's replies read (opened from the Replies tab); never coalesced.
    MarkRepliesRead { cid: i64 },
    /// What a collector-action form pre-fills for a customer.
    FormData {
        seq: u64,
        as_of: Date,
        cid: i64,
        kind: FormKind,
    },
    /// Record a collector action (never coalesced: every save is done, in order).
    Save { seq: u64, job: SaveJob },
}

/// The metrics bar's figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarMetrics {
    pub outstanding: Decimal,
    pub overdue: Decimal,
    pub net_overdue: Decimal,
    pub collectable_this_month: Decimal,
    pub unutilised_credit: Decimal,
    pub unapplied_cash: Decimal,
    pub open_issue_amount: Decimal,
    pub open_p2p_amount: Decimal,
    pub dso: Option<Decimal>,
    pub customers_overdue: u64,
}

/// The portfolio at a date: the metrics and what the charts draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub as_of: Date,
    pub metrics: BarMetrics,
    /// Open balances per aging bucket.
    pub aging: Vec<Decimal>,
    pub issues: Vec<IssueReason>,
    /// DSO comes in a later answer ([`Response::Dso`]), after the first page.
    pub dso_pending: bool,
}

/// A customer's detail with its figures.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailData {
    pub detail: CustomerDetail,
    pub figures: Option<SummaryFigures>,
    /// Risk and predicted payment dates (`None` until the forecast of the date is computed).
    pub forecast: Option<CustomerForecast>,
}

/// An answer from the database, to one session.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Summary(Box<Summary>),
    Page {
        seq: u64,
        page: QueuePage,
    },
    Detail {
        seq: u64,
        cid: i64,
        data: Option<Box<DetailData>>,
    },
    /// A customer's replies were marked read: `marked` of them; `left_tab` when it had unread
    /// replies in the queue (so the Replies tab counts one less).
    RepliesRead {
        cid: i64,
        marked: usize,
        left_tab: bool,
    },
    /// The DSO of the figures as of a date (it reads a year of sales, so it comes last).
    Dso {
        as_of: Date,
        dso: Option<Decimal>,
    },
    /// What a form pre-fills, or why it cannot be opened.
    FormData {
        seq: u64,
        cid: i64,
        data: std::result::Result<Box<FormData>, String>,
    },
    /// A save is done; it comes after the refreshed figures, page and detail.
    Saved {
        seq: u64,
        outcome: SaveOutcome,
    },
    /// The forecast as of a date (computed after everything else; the last page and
    /// detail are answered again after it, with the risk and predicted dates).
    Forecast(Box<ForecastView>),
    /// A query failed; the message is for the status line.
    Error(String),
}
