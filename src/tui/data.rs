//! The workstation's data: requests to the database and their answers, and the worker thread
//! that owns its own connection so that no query runs on the input path.
//!
//! The worker coalesces: of the requests queued while it was busy it answers only the latest
//! of each kind. It watches `PRAGMA data_version` about once a second; when another process
//! commits, it recomputes the figures and answers the last page and detail requests again.

use super::forecast::{CustomerForecast, FORECAST_POLL, ForecastView, Forecasts};
use crate::Result;
use crate::domain::aging::AgingBounds;
use crate::domain::metrics::{days_inclusive, dso_count_back, months_back};
use crate::domain::queue::QueueQuery;
use crate::domain::queue::{QueueFilter, Scope, SortKey};
use crate::domain::{Date, Decimal};
use crate::report::Portfolio;
use crate::store::Store;
use crate::store::customer_detail::CustomerDetail;
use crate::store::queue::{IssueReason, QueueCounts, QueuePage, SummaryFigures, UnfilteredCounts};
use crate::store::queue_counts::QueueMirror;
use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

pub mod save;

use save::{FormData, FormKind, SaveJob, SaveOutcome};

/// How often the worker looks for other processes' commits.
pub const POLL: Duration = Duration::from_millis(750);

/// Months of sales the DSO count-back walks through (as the metrics report).
const DSO_MONTHS: usize = 12;

/// What the arithmetic needs from the config.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bounds: AgingBounds,
    pub base_currency: String,
    pub grace_days: u32,
}

/// A question for the database.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Compute every figure as of this date (rebuilds the queue summary).
    Summary { as_of: Date },
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

/// An answer from the database.
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

/// The database side: answers requests on its own connection.
pub struct DataSource {
    store: Store,
    /// The database file (a second connection reads the activity beside the figures).
    path: std::path::PathBuf,
    settings: Settings,
    as_of: Option<Date>,
    last_page: Option<Request>,
    last_detail: Option<Request>,
    version: i64,
    checked: Instant,
    /// When the last request arrived (background work waits for a pause in the keys).
    last_request: Instant,
    /// How long the last recomputation took, by phase.
    pub timings: RebuildTimings,
    /// Tab counts by scope and filter, for the current figures.
    counts: HashMap<(Scope, String, QueueFilter), QueueCounts>,
    /// Tab counts without a filter, counted while the figures were written.
    unfiltered: UnfilteredCounts,
    /// The DSO still to compute: (as of, outstanding).
    dso_pending: Option<(Date, Decimal)>,
    /// The DSO computing on its own thread.
    dso_running: Option<Receiver<(Date, Result<Option<Decimal>>)>>,
    /// Sort indexes of the queue table still to make when idle.
    pending_indexes: Vec<SortKey>,
    /// The figures last answered (a saved action moves them by its difference).
    summary: Option<Summary>,
    /// The reasons a dispute may give (from the config).
    dispute_reasons: Vec<String>,
    /// The forecast: wanted, running on its thread, installed.
    pub forecasts: Forecasts,
    /// A save was committed: fold the WAL into the database when idle (not during a save, nor
    /// right after it, when the screen asks for what moved).
    checkpoint_due: bool,
    /// The queue table in memory, for the tab counts under a filter.
    mirror: Option<QueueMirror>,
}

/// Where the time of a recomputation of the figures went (for the benchmark).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RebuildTimings {
    /// One pass over the open items with the totals of open issues and promises, and beside
    /// it each customer's activity.
    pub portfolio: Duration,
    /// Each customer's activity alone (on the second connection).
    pub activity: Duration,
    /// The first page from the figures alone, when it was answered so.
    pub first_page: Option<Duration>,
    /// Writing the queue's TEMP table.
    pub queue_table: Duration,
}

impl DataSource {
    /// Opens the database for the worker (read-only when this user may only read it; a
    /// config of another base currency than the database's is refused).
    pub fn open(path: &Path, settings: Settings) -> Result<DataSource> {
        let store = Store::open_existing(path)?;
        store.check_base_currency(&settings.base_currency)?;
        // Saves commit on this connection: their checkpoints wait for idle time.
        store.defer_checkpoints()?;
        store.temp_in_memory()?;
        let version = store.data_version()?;
        Ok(DataSource {
            store,
            path: path.to_path_buf(),
            as_of: None,
            last_page: None,
            last_detail: None,
            version,
            checked: Instant::now(),
            last_request: Instant::now(),
            timings: RebuildTimings::default(),
            counts: HashMap::new(),
            unfiltered: UnfilteredCounts::default(),
            dso_pending: None,
            dso_running: None,
            pending_indexes: Vec::new(),
            summary: None,
            dispute_reasons: crate::config::Config::default().dispute_reasons,
            forecasts: Forecasts::new(path, &settings.base_currency, settings.grace_days),
            settings,
            checkpoint_due: false,
            mirror: None,
        })
    }

    /// Whether the database can only be read here (the title bar says so; saves fail).
    pub fn read_only(&self) -> bool {
        self.store.is_read_only()
    }

    /// The dispute reasons the collector-action forms are checked against (the config's).
    pub fn with_dispute_reasons(mut self, reasons: Vec<String>) -> DataSource {
        self.dispute_reasons = reasons;
        self
    }

    /// Answers a batch of requests, keeping only the latest of each kind, in the order
    /// summary, writes (all of them, in order), page, detail; then the deferred work (the DSO,
    /// then the forecast, computed here rather than on its thread).
    pub fn handle_batch(&mut self, batch: Vec<Request>) -> Vec<Response> {
        let mut out = Vec::new();
        self.answer_batch(batch, &mut |r| {
            out.push(r);
            true
        });
        out.extend(self.deferred());
        out.extend(self.forecast_step(false));
        out
    }

    /// The forecast's turn: installs a finished one (then answers the last page and detail
    /// again), and starts the wanted one once the DSO is done — on its thread when
    /// `background`, else computed here.
    fn forecast_step(&mut self, background: bool) -> Vec<Response> {
        let mut out = Vec::new();
        let mut finished = self.forecasts.take_finished();
        if self.dso_pending.is_none() && finished.is_none() {
            if !background {
                finished = self.forecasts.compute_now(&self.store);
            } else if self.forecasts.ready_to_start()
                && let Err(e) = self.forecasts.start()
            {
                out.push(Response::Error(e.to_string()));
            }
        }
        let Some(finished) = finished else {
            return out;
        };
        let installed =
            self.forecasts
                .install(finished, self.as_of, &self.store, &mut self.unfiltered);
        match installed {
            Ok(Some(view)) => {
                self.counts.clear();
                out.push(Response::Forecast(Box::new(view)));
                let mut batch: Vec<Request> = self.last_page.iter().cloned().collect();
                batch.extend(self.last_detail.clone());
                self.answer_batch(batch, &mut |r| {
                    out.push(r);
                    true
                });
            }
            Ok(None) => {}
            Err(e) => out.push(Response::Error(format!("forecast: {e}"))),
        }
        out
    }

    /// Answers a batch (the latest request of each kind), each answer as soon as it is ready.
    /// Returns false when `emit` says the receiver is gone.
    fn answer_batch(
        &mut self,
        batch: Vec<Request>,
        emit: &mut dyn FnMut(Response) -> bool,
    ) -> bool {
        let mut summary = None;
        let mut page = None;
        let mut detail = None;
        let mut writes = Vec::new();
        let mut form = None;
        let mut saves = Vec::new();
        for request in batch {
            match request {
                Request::Summary { .. } => summary = Some(request),
                Request::Page { .. } => page = Some(request),
                Request::Detail { .. } => detail = Some(request),
                Request::MarkRepliesRead { .. } => writes.push(request),
                Request::FormData { .. } => form = Some(request),
                Request::Save { seq, job } => saves.push((seq, job)),
            }
        }
        let mut saved = Vec::new();
        for (seq, job) in saves {
            let outcome = self.save(&job);
            saved.push(Response::Saved { seq, outcome });
        }
        if !saved.is_empty() {
            // What the screen shows of the customers, again: the figures moved by the
            // difference (or rebuilt when they could not be), the page and the detail.
            if summary.is_none()
                && let Some(s) = self.summary.as_ref().filter(|_| self.as_of.is_some())
                && !emit(Response::Summary(Box::new(s.clone())))
            {
                return false;
            }
            page = page.or_else(|| self.last_page.clone());
            detail = detail.or_else(|| self.last_detail.clone());
        }
        // New figures with a first page: the page goes out before the queue table is
        // written (computed from the figures alone when it can be).
        if let Some(Request::Summary { as_of }) = summary
            && writes.is_empty()
        {
            summary = None;
            self.forecasts.invalidate();
            match self.rebuild_with(as_of, page.as_ref(), emit) {
                Ok((_, true)) => page = None,
                Ok((s, false)) => {
                    if !emit(Response::Summary(Box::new(s))) {
                        return false;
                    }
                }
                Err(e) => {
                    if !emit(Response::Error(e.to_string())) {
                        return false;
                    }
                }
            }
        }
        let order = summary
            .into_iter()
            .chain(writes)
            .chain(page)
            .chain(detail)
            .chain(form);
        for request in order {
            let mut out = Vec::new();
            if let Err(e) = self.answer(&request, &mut out) {
                out.push(Response::Error(e.to_string()));
            }
            for answer in out {
                if !emit(answer) {
                    return false;
                }
            }
        }
        saved.into_iter().all(emit)
    }

    /// Work left for when nothing else waits: the DSO of new figures.
    fn deferred(&mut self) -> Option<Response> {
        let (as_of, outstanding) = self.dso_pending.take()?;
        let result = self.dso(as_of, outstanding);
        Some(self.dso_done(as_of, result))
    }

    /// Takes a DSO in (the summary keeps it) and answers it.
    fn dso_done(&mut self, as_of: Date, result: Result<Option<Decimal>>) -> Response {
        match result {
            Ok(dso) => {
                if let Some(s) = self.summary.as_mut().filter(|s| s.as_of == as_of) {
                    s.metrics.dso = dso;
                    s.dso_pending = false;
                }
                Response::Dso { as_of, dso }
            }
            Err(e) => Response::Error(e.to_string()),
        }
    }

    /// Starts the DSO (a year of sales: 200 ms at 100k customers) on its own thread and
    /// connection, so that keys are answered meanwhile; false when no thread could start.
    fn spawn_dso(&mut self, as_of: Date, outstanding: Decimal) -> bool {
        let (tx, rx) = std::sync::mpsc::channel();
        let path = self.path.clone();
        let base = self.settings.base_currency.clone();
        let started = std::thread::Builder::new()
            .name("owed-dso".into())
            .spawn(move || {
                let result = Store::open_existing(&path)
                    .and_then(|store| dso_at(&store, &base, as_of, outstanding));
                let _ = tx.send((as_of, result));
            });
        if started.is_ok() {
            self.dso_running = Some(rx);
        }
        started.is_ok()
    }

    /// Answers one request (a page or detail of another date also brings that date's
    /// figures; a save brings what it changed).
    pub fn handle(&mut self, request: Request) -> Vec<Response> {
        self.handle_batch_now(vec![request])
    }

    /// Answers a batch as [`DataSource::handle_batch`] does, without the deferred work.
    pub fn handle_batch_now(&mut self, batch: Vec<Request>) -> Vec<Response> {
        let mut out = Vec::new();
        self.answer_batch(batch, &mut |r| {
            out.push(r);
            true
        });
        out
    }

    /// Computes the figures as of `as_of` unless they are computed already.
    fn ensure(&mut self, as_of: Date, out: &mut Vec<Response>) -> Result<()> {
        if self.as_of != Some(as_of) {
            let summary = self.rebuild(as_of)?;
            out.push(Response::Summary(Box::new(summary)));
        }
        Ok(())
    }

    fn answer(&mut self, request: &Request, out: &mut Vec<Response>) -> Result<()> {
        match request {
            Request::Summary { as_of } => {
                self.forecasts.invalidate();
                let summary = self.rebuild(*as_of)?;
                out.push(Response::Summary(Box::new(summary)));
            }
            Request::Page {
                seq,
                as_of,
                query,
                offset,
                limit,
            } => {
                self.ensure(*as_of, out)?;
                self.last_page = Some(request.clone());
                let key = (query.scope, query.collector.clone(), query.filter.clone());
                let counts = match self
                    .unfiltered
                    .for_query(query)
                    .or(self.counts.get(&key).copied())
                {
                    Some(c) => c,
                    None => {
                        let c = self.mirror()?.counts(query);
                        self.counts.insert(key, c);
                        c
                    }
                };
                // Few rows under a filter: their keys from memory, so that SQL reads just
                // those instead of the table for them.
                let total = counts.counts[query.tab.index()];
                let few = !query.filter.is_empty() && total <= FEW_ROWS;
                let keys = if few {
                    Some(self.mirror()?.keys(query))
                } else {
                    None
                };
                let page = self.store.queue_page_counted(
                    query,
                    *offset,
                    *limit,
                    &counts,
                    keys.as_deref(),
                )?;
                out.push(Response::Page { seq: *seq, page });
            }
            Request::Detail { seq, as_of, cid } => {
                self.ensure(*as_of, out)?;
                self.last_detail = Some(request.clone());
                let as_of = *as_of;
                let detail = self
                    .store
                    .customer_detail(*cid, as_of, self.settings.grace_days)?;
                let data = match detail {
                    Some(detail) => Some(Box::new(DetailData {
                        figures: self.store.queue_figures(*cid, self.settings.bounds.len())?,
                        forecast: self.forecasts.customer(as_of, *cid),
                        detail,
                    })),
                    None => None,
                };
                out.push(Response::Detail {
                    seq: *seq,
                    cid: *cid,
                    data,
                });
            }
            Request::MarkRepliesRead { cid } => {
                out.push(self.mark_replies_read(*cid)?);
            }
            Request::FormData {
                seq,
                as_of,
                cid,
                kind,
            } => {
                let data = self.form_data(*as_of, *cid, *kind);
                out.push(Response::FormData {
                    seq: *seq,
                    cid: *cid,
                    data: data.map(Box::new).map_err(|e| e.to_string()),
                });
            }
            Request::Save { seq, job } => {
                let outcome = self.save(job);
                out.push(Response::Saved { seq: *seq, outcome });
            }
        }
        Ok(())
    }

    /// Marks a customer's replies read, and takes it out of the Replies tab of the queue
    /// summary and of the counts (this connection's own commit does not change its
    /// `data_version`, so nothing would recompute them).
    fn mark_replies_read(&mut self, cid: i64) -> Result<Response> {
        let marked = self
            .store
            .mark_replies_read(cid, &crate::engage::outbox::now())?;
        let mut left_tab = false;
        if self.as_of.is_some()
            && let Some(owner) = self.store.queue_replies_read(cid)?
        {
            left_tab = true;
            self.unfiltered.replies_read(owner.as_deref());
            self.counts.clear();
        }
        Ok(Response::RepliesRead {
            cid,
            marked,
            left_tab,
        })
    }

    /// When another process committed since the last look, recomputes everything and answers
    /// the last page and detail requests again (the DSO follows as deferred work).
    pub fn poll_changes(&mut self) -> Vec<Response> {
        self.checked = Instant::now();
        let Some(as_of) = self.as_of else {
            return Vec::new();
        };
        match self.store.data_version() {
            Ok(v) if v != self.version => {
                self.version = v;
                let mut batch = vec![Request::Summary { as_of }];
                batch.extend(self.last_page.clone());
                batch.extend(self.last_detail.clone());
                let mut out = Vec::new();
                self.answer_batch(batch, &mut |r| {
                    out.push(r);
                    true
                });
                out
            }
            Ok(_) => Vec::new(),
            Err(e) => vec![Response::Error(e.to_string())],
        }
    }

    /// Computes the figures as of `as_of` and rebuilds the queue summary.
    fn rebuild(&mut self, as_of: Date) -> Result<Summary> {
        self.rebuild_with(as_of, None, &mut |_| true)
            .map(|(summary, _)| summary)
    }

    /// Computes the figures as of `as_of` and rebuilds the queue summary. When `page` asks
    /// for a first page the figures answer alone, the summary and that page are sent through
    /// `emit` before the queue table is written, and the result says so (`true`: both went
    /// out; else the caller sends the summary).
    fn rebuild_with(
        &mut self,
        as_of: Date,
        page: Option<&Request>,
        emit: &mut dyn FnMut(Response) -> bool,
    ) -> Result<(Summary, bool)> {
        let s = &self.settings;
        let t0 = Instant::now();
        // Each customer's activity on a second connection while this one reads the open
        // items and the totals of promises and issues: about as long as each other.
        let store = &self.store;
        let (computed, activity) = std::thread::scope(|scope| {
            let path = &self.path;
            let beside = scope.spawn(move || {
                let t = Instant::now();
                let activity = Store::open_existing(path)
                    .and_then(|store| store.queue_activity(as_of, s.grace_days, None));
                activity.map(|a| (a, t.elapsed()))
            });
            let computed = (|| -> Result<(Portfolio, Decimal, Decimal, Vec<IssueReason>)> {
                let portfolio =
                    Portfolio::compute(store, as_of, None, &s.bounds, &s.base_currency)?;
                let issues = store.open_issue_amount(as_of, &s.base_currency)?;
                let promises = store.open_promise_amount(as_of, s.grace_days, &s.base_currency)?;
                let reasons = store.open_issues_by_reason(as_of)?;
                Ok((portfolio, issues, promises, reasons))
            })();
            let activity = beside
                .join()
                .unwrap_or_else(|_| Err(crate::Error::runtime("reading the activity failed")));
            (computed, activity)
        });
        let (portfolio, open_issue_amount, open_p2p_amount, issues) = computed?;
        let (activity, activity_time) = activity?;
        let t1 = Instant::now();
        let t = &portfolio.total;
        let metrics = BarMetrics {
            outstanding: t.outstanding,
            overdue: t.overdue,
            net_overdue: portfolio.net_overdue,
            collectable_this_month: t.collectable_this_month,
            unutilised_credit: t.unutilised_credit,
            unapplied_cash: t.unapplied_cash,
            open_issue_amount,
            open_p2p_amount,
            dso: None,
            customers_overdue: portfolio.customers_overdue,
        };
        let summary = Summary {
            as_of,
            metrics,
            aging: t.aging.clone(),
            issues,
            dso_pending: true,
        };
        // The first page from the figures alone (not when an installed forecast's risks
        // would be missing from it).
        let mut answered = false;
        if let Some(
            request @ Request::Page {
                seq,
                as_of: page_as_of,
                query,
                offset,
                limit,
            },
        ) = page
            && *page_as_of == as_of
            && !self.forecasts.has(as_of)
            && let Some(quick) = self.store.quick_queue_page(
                query,
                *offset,
                *limit,
                &s.bounds,
                &portfolio.customers,
                &activity,
            )?
        {
            answered = true;
            self.last_page = Some(request.clone());
            let seq = *seq;
            // Whether anyone still listens shows at the next answer.
            let _ = emit(Response::Summary(Box::new(summary.clone())))
                && emit(Response::Page { seq, page: quick });
        }
        let t3 = Instant::now();
        self.unfiltered =
            self.store
                .write_queue_summary(&s.bounds, &portfolio.customers, &activity)?;
        // The forecast of the date, if one is installed, stands until the new one arrives.
        self.forecasts
            .restore(as_of, &self.store, &mut self.unfiltered)?;
        self.as_of = Some(as_of);
        self.counts.clear();
        self.dso_pending = Some((as_of, portfolio.total.outstanding));
        self.dso_running = None;
        self.pending_indexes = SortKey::ALL.into_iter().rev().collect();
        self.version = self.store.data_version()?;
        self.forecasts.want(as_of, self.version);
        self.timings = RebuildTimings {
            portfolio: t1 - t0,
            activity: activity_time,
            first_page: answered.then(|| t3 - t1),
            queue_table: t3.elapsed(),
        };
        self.summary = Some(summary.clone());
        Ok((summary, answered))
    }

    /// Whether the queue table in memory is read and still what the table holds.
    fn mirror_current(&self) -> bool {
        self.mirror
            .as_ref()
            .is_some_and(|m| m.is_current(&self.store))
    }

    /// The queue table in memory for counting under a filter, read again when this
    /// connection has written anything since.
    fn mirror(&mut self) -> Result<&QueueMirror> {
        if !self.mirror_current() {
            self.mirror = Some(self.store.queue_mirror()?);
        }
        Ok(self.mirror.as_ref().expect("read just now"))
    }

    /// DSO by the count-back method over the monthly sales up to `as_of` (as the metrics
    /// report computes it).
    fn dso(&self, as_of: Date, outstanding: Decimal) -> Result<Option<Decimal>> {
        dso_at(
            &self.store,
            &self.settings.base_currency,
            as_of,
            outstanding,
        )
    }

    /// Runs the worker loop: answers requests from `requests` through `send` as each answer
    /// is ready, does deferred work when no request waits, and watches for other processes'
    /// commits. Returns when either side hangs up.
    pub fn run(mut self, requests: Receiver<Request>, send: impl Fn(Response) -> bool) {
        let mut emit = |r: Response| send(r);
        loop {
            let finished = self.dso_running.as_ref().map(|rx| rx.try_recv());
            match finished {
                Some(Ok((as_of, result))) => {
                    self.dso_running = None;
                    let answer = self.dso_done(as_of, result);
                    if !emit(answer) {
                        return;
                    }
                }
                Some(Err(std::sync::mpsc::TryRecvError::Disconnected)) => self.dso_running = None,
                Some(Err(std::sync::mpsc::TryRecvError::Empty)) | None => {}
            }
            let until_poll = POLL.saturating_sub(self.checked.elapsed());
            let wait = if self.dso_pending.is_some()
                || self.forecasts.ready_to_start()
                || !self.pending_indexes.is_empty()
            {
                Duration::ZERO
            } else if self.forecasts.busy() || self.dso_running.is_some() {
                FORECAST_POLL.min(until_poll)
            } else {
                until_poll
            };
            match requests.recv_timeout(wait) {
                Ok(first) => {
                    self.last_request = Instant::now();
                    let mut batch = vec![first];
                    batch.extend(requests.try_iter());
                    if !self.answer_batch(batch, &mut emit) {
                        return;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Some((as_of, outstanding)) = self.dso_pending {
                        if self.spawn_dso(as_of, outstanding) {
                            self.dso_pending = None;
                        } else if let Some(answer) = self.deferred()
                            && !emit(answer)
                        {
                            return;
                        }
                        continue;
                    }
                    // The sort indexes, one at a time between requests, so that the first
                    // sort by a key does not wait for its index.
                    if let Some(key) = self.pending_indexes.pop() {
                        if let Err(e) = self.store.ensure_sort_index(key)
                            && !emit(Response::Error(e.to_string()))
                        {
                            return;
                        }
                        continue;
                    }
                    // The queue table in memory for filters (read again after a change),
                    // once the keys have paused: reading it takes a tenth of a second at
                    // 100k customers, which a key pressed meanwhile would wait for.
                    if self.as_of.is_some()
                        && self.last_request.elapsed() >= MIRROR_AFTER_PAUSE
                        && !self.mirror_current()
                    {
                        if let Err(e) = self.mirror()
                            && !emit(Response::Error(e.to_string()))
                        {
                            return;
                        }
                        continue;
                    }
                    // Nothing asked for a while: the WAL of the last saves goes into the
                    // database now, when no one waits for it.
                    if self.checkpoint_due {
                        self.checkpoint();
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
            for answer in self.forecast_step(true) {
                if !emit(answer) {
                    return;
                }
            }
            if self.checked.elapsed() >= POLL {
                for answer in self.poll_changes() {
                    if !emit(answer) {
                        return;
                    }
                }
            }
        }
    }
}

/// How long the keys must have paused before the queue table is read into memory.
const MIRROR_AFTER_PAUSE: Duration = Duration::from_millis(400);

/// Rows of a filtered tab read by key (from the queue table in memory) rather than by a pass
/// over the table or a walk of its sort index.
const FEW_ROWS: u64 = 2_000;

/// DSO by the count-back method over the monthly sales up to `as_of` (as the metrics report
/// computes it).
fn dso_at(store: &Store, base: &str, as_of: Date, outstanding: Decimal) -> Result<Option<Decimal>> {
    let spans = months_back(as_of, DSO_MONTHS);
    let oldest = spans.last().map_or(as_of, |s| s.0);
    let sales = store.sales_by_day(oldest, as_of, base)?;
    let month_sales: Vec<(Decimal, u32)> = spans
        .iter()
        .map(|(first, last)| {
            let total = sales
                .iter()
                .filter(|(d, _)| d >= first && d <= last)
                .map(|(_, a)| *a)
                .sum();
            (total, days_inclusive(*first, *last))
        })
        .collect();
    Ok(dso_count_back(outstanding, &month_sales))
}

/// Starts the worker thread on its own connection; answers go through `send` (which returns
/// false when the receiver is gone).
pub fn spawn(
    source: DataSource,
    send: impl Fn(Response) -> bool + Send + 'static,
) -> Result<Sender<Request>> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("owed-data".into())
        .spawn(move || source.run(rx, send))
        .map_err(|e| crate::Error::runtime(format!("cannot start the data worker: {e}")))?;
    Ok(tx)
}
