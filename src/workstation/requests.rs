//! What a session asks of the workstation and what it is answered, in the service's own
//! view types (the rows and the customer's detail are the plain types of
//! [`crate::domain::queue`] and [`crate::domain::customer`]; nothing here holds a connection).

use super::forecast::{CustomerForecast, ForecastView};
use super::save::{FormData, FormKind, SaveJob, SaveOutcome};
use crate::domain::customer::CustomerDetail;
use crate::domain::forecast::cash::CashForecast;
use crate::domain::metrics::Headline;
use crate::domain::queue::{
    IssueReason, QueueFilter, QueuePage, QueueQuery, Scope, ScopeFigures, SummaryFigures,
};
use crate::domain::team::{CollectorFigures, Period, Unassigned};
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
    /// Marks a customer's replies received by `as_of` read (opened from the Replies tab, its
    /// detail as of that date); never coalesced.
    MarkRepliesRead { cid: i64, as_of: Date },
    /// What a collector-action form pre-fills for a customer.
    FormData {
        seq: u64,
        as_of: Date,
        cid: i64,
        kind: FormKind,
    },
    /// Record a collector action (never coalesced: every save is done, in order).
    Save { seq: u64, job: SaveJob },
    /// The keys of every customer a query shows in its tab (`*` marks them all).
    Keys {
        seq: u64,
        as_of: Date,
        query: QueueQuery,
    },
    /// Write what the screen shows to a file (`:export`; never coalesced).
    Export {
        seq: u64,
        as_of: Date,
        job: ExportJob,
    },
    /// An attachment drawn for `cols` × `rows` cells (a picture scaled, a first page), a
    /// picture as `graphics` draws it (half blocks, or pixels for kitty or sixel graphics).
    Attachment {
        seq: u64,
        as_of: Date,
        id: i64,
        cols: u16,
        rows: u16,
        graphics: super::attachment::Graphics,
    },
    /// The team's figures as of a date (the team screen): answered only to a manager or an
    /// auditor ([`crate::domain::users::may_see_team`]).
    Team { seq: u64, as_of: Date },
}

/// The team's figures as `owed report team` computes them (one row per collector, by name),
/// with their totals row ([`crate::domain::team::totals`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TeamView {
    pub period: Period,
    /// The base currency of the amounts.
    pub currency: String,
    pub collectors: Vec<CollectorFigures>,
    pub totals: CollectorFigures,
    /// The customers nobody owns.
    pub unassigned: Unassigned,
}

/// What `:export` writes, where and how.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportJob {
    pub what: ExportWhat,
    pub path: std::path::PathBuf,
    pub format: crate::export::Format,
}

/// A written export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportDone {
    pub path: std::path::PathBuf,
    /// The rows of its main table.
    pub rows: u64,
    /// Amounts written as text, past the digits Excel keeps ([`crate::export::Written`]).
    pub as_text: u64,
    /// A file of that name was there before, and is replaced.
    pub replaced: bool,
    /// Only the marked rows were written (the queue with customers marked).
    pub marked: bool,
}

/// What a screen exports.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportWhat {
    /// The queue as `query` selects and orders it; with customers marked (their keys), only
    /// their rows.
    Queue(QueueQuery, Vec<i64>),
    /// One customer (by key): its open documents and its timeline.
    Customer(i64),
    /// The team's figures as the screen shows them (as `owed export team` writes them).
    Team(Box<TeamView>),
    /// The engagement plan as the screen shows it (as `owed export plan` writes it).
    Plan(Box<super::engage::PlanData>),
}

/// The portfolio at a date: the metrics and what the charts draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub as_of: Date,
    /// The metrics bar's figures.
    pub metrics: Headline,
    /// Open balances per aging bucket.
    pub aging: Vec<Decimal>,
    pub issues: Vec<IssueReason>,
    /// DSO comes in a later answer ([`Response::Dso`]), after the first page.
    pub dso_pending: bool,
    /// When the ledger was last imported (none before the log of imports began).
    pub last_import: Option<ImportStamp>,
}

/// When an import committed, and who ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportStamp {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
}

/// The metrics and charts of the part of the portfolio a session's queue shows: its scope
/// (mine or everyone's) and filter. Answered with the pages of a new scope or filter, and
/// again when the figures change; computed in the service (over the queue table or its copy
/// in memory) and kept per portfolio for every session with that scope and filter.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeSummary {
    pub as_of: Date,
    /// The scope, collector and filter these are of (a session's query, less tab and order).
    pub scope: Scope,
    pub collector: String,
    pub filter: QueueFilter,
    /// "Mine" shows everyone's: the collector owns no customer.
    pub mine_fallback: bool,
    /// Everyone's customers without a filter: the portfolio's own figures (the DSO and the
    /// cash forecast are the [`Summary`]'s and the [`super::forecast::ForecastView`]'s).
    pub everyone: bool,
    /// The figures; their headline's DSO is these customers' own (count-back over their
    /// sales), `None` with `dso_pending` while computing (and when `everyone`).
    pub figures: ScopeFigures,
    pub dso_pending: bool,
    /// Expected receipts by week of these customers (`None` until the forecast is computed).
    pub cash: Option<CashForecast>,
}

impl ScopeSummary {
    /// Whether these are the figures of `query`'s scope and filter.
    pub fn is_for(&self, query: &QueueQuery) -> bool {
        self.scope == query.scope
            && self.filter == query.filter
            && (self.scope == Scope::Everyone || self.collector == query.collector)
    }
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
    /// A save of several parts goes on: how many of its customers are written, and whether
    /// it waits for another program's write lock (an import).
    Saving {
        seq: u64,
        written: usize,
        of: usize,
        waiting: bool,
    },
    /// A save is done; it comes after the refreshed figures, page and detail.
    Saved {
        seq: u64,
        outcome: SaveOutcome,
    },
    /// The forecast as of a date (computed after everything else; the last page and
    /// detail are answered again after it, with the risk and predicted dates).
    Forecast(Box<ForecastView>),
    /// The keys of every customer a query shows in its tab, in no order.
    Keys {
        seq: u64,
        cids: Vec<i64>,
    },
    /// An export is written, or why not.
    Exported {
        seq: u64,
        result: std::result::Result<ExportDone, String>,
    },
    /// The figures of the part of the portfolio the session's queue shows.
    Scope(Box<ScopeSummary>),
    /// An attachment's preview, or why it cannot be shown.
    Attachment {
        seq: u64,
        preview: std::result::Result<Box<super::attachment::AttachmentPreview>, String>,
    },
    /// The team's figures, or why this session may not see them.
    Team {
        seq: u64,
        report: std::result::Result<Box<TeamView>, String>,
    },
    /// The session's user has another role now (a manager changed the users): who it acts
    /// as from now on. Only to a session in one's own shell; one over SSH, whose user was
    /// verified by their key, is cut by the server instead.
    Actor(crate::domain::users::Actor),
    /// A query failed; the message is for the status line.
    Error(String),
}
