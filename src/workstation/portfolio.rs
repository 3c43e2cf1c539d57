//! One portfolio as of a date and the sessions looking at it: the worker that owns its own
//! database connection, the queue's TEMP table and its copy in memory, the figures, the DSO
//! and the forecast, so that no query runs on a session's input path.
//!
//! Every request comes from a session ([`SessionId`]); the worker keeps, per session, only
//! what it must answer again (its last page and detail requests) and who it is (the
//! [`Actor`] its saves are recorded for). Everything else is shared: one queue table, one set
//! of tab counts, one summary, one DSO, one forecast, whatever the number of sessions.
//!
//! The worker coalesces per session: of the requests a session queued while the worker was
//! busy it answers only the latest page, detail and form (every save and write is done: each
//! session's in order, the sessions' saves taking turns a part at a time). After a save — by
//! any session — every session's last page and detail are answered again with the summary,
//! so that the change reaches every screen. It watches `PRAGMA data_version` about once a
//! second; when another process (an import, the command line, cron, another portfolio's
//! saves) commits, it recomputes the figures and answers every session's last page and
//! detail again. A session that joins a portfolio already computed
//! is answered from it (its figures, forecast and pages) without computing anything.
//!
//! The team's figures (the team screen, [`Request::Team`]) are answered only to a manager's
//! or an auditor's session; they and exports' files are made on threads beside
//! ([`super::beside`]), so that no other session's key waits for them.
//!
//! [`PortfolioWorker::handle_batch`] and friends answer synchronously for one local session
//! (tests and benchmarks: no thread); [`PortfolioWorker::run`] is the thread's loop, fed by
//! [`Envelope`]s from the service ([`super::Workstation`]).

use super::files::FileAccess;
use super::forecast::{FORECAST_POLL, Forecasts};
use super::requests::{DetailData, ImportStamp, Request, Response, Summary};
use crate::Result;
use crate::domain::aging::AgingBounds;
use crate::domain::metrics::{dso_count_back, dso_sales_from, monthly_sales};
use crate::domain::queue::{QueueCounts, QueueFilter, Scope, SortKey};
use crate::domain::users::{Actor, Role};
use crate::domain::{Date, Decimal};
use crate::report::Portfolio;
use crate::store::Store;
use crate::store::queue::mirror::{OwnerSums, QueueMirror};
use crate::store::queue::tab_counts::UnfilteredCounts;
use crate::store::queue::table::QueueExtras;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How often the worker looks for other processes' commits.
pub const POLL: Duration = Duration::from_millis(750);

/// A session of the workstation, as the service numbers them.
pub type SessionId = u64;

/// The session the synchronous calls ([`PortfolioWorker::handle_batch`] …) answer.
pub const LOCAL: SessionId = 0;

/// What the arithmetic needs from the config.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bounds: AgingBounds,
    pub base_currency: String,
    pub grace_days: u32,
}

/// What the service sends a portfolio's worker.
#[derive(Debug, Clone)]
pub enum Envelope {
    /// A session looks at this portfolio from now on.
    Join {
        session: SessionId,
        actor: Actor,
        files: FileAccess,
    },
    /// A session went to another date, or ended: its last requests are forgotten.
    Leave { session: SessionId },
    /// A session's request.
    Request {
        session: SessionId,
        request: Request,
    },
    /// Compute the figures of this date now, before anyone asks (the shared portfolio of a
    /// server, so that a new session's first page does not wait for them).
    Warm { as_of: Date },
}

/// What the worker keeps of one session.
#[derive(Debug, Clone)]
pub(super) struct Viewer {
    /// Whose saves these are.
    pub(super) actor: Actor,
    /// Where its files are: every export and attachment is checked against it here.
    pub(super) files: FileAccess,
    /// Answered again when the figures or the data change.
    pub(super) last_page: Option<Request>,
    pub(super) last_detail: Option<Request>,
    /// The scope and filter whose figures it was last told, and their version then.
    pub(super) scope_sent: Option<(super::scope::ScopeKey, u64)>,
}

impl Viewer {
    /// A session that has asked for nothing yet.
    fn new(actor: Actor, files: FileAccess) -> Viewer {
        Viewer {
            actor,
            files,
            last_page: None,
            last_detail: None,
            scope_sent: None,
        }
    }
}

/// What one session asked for in a batch (the latest of each kind).
#[derive(Default)]
struct Wanted {
    summary: Option<Date>,
    page: Option<Request>,
    detail: Option<Request>,
    form: Option<Request>,
    keys: Option<Request>,
    attachment: Option<Request>,
    team: Option<Request>,
    writes: Vec<Request>,
}

/// One portfolio's worker: answers its sessions' requests on its own connection.
pub struct PortfolioWorker {
    pub(super) store: Store,
    /// The database file (a second connection reads the activity beside the figures).
    pub(super) path: std::path::PathBuf,
    pub(super) settings: Settings,
    pub(super) as_of: Option<Date>,
    /// The sessions looking at this portfolio.
    pub(super) sessions: BTreeMap<SessionId, Viewer>,
    /// The actor of [`LOCAL`] (the synchronous calls' session).
    pub(super) local_actor: Actor,
    pub(super) version: i64,
    pub(super) checked: Instant,
    /// When the last request arrived (background work waits for a pause in the keys).
    pub(super) last_request: Instant,
    /// What the recomputations of the figures did (how long they took is logged).
    pub rebuilds: Rebuilds,
    /// Tab counts by scope and filter, for the current figures (shared by every session).
    pub(super) counts: HashMap<(Scope, String, QueueFilter), QueueCounts>,
    /// Tab counts without a filter, counted while the figures were written.
    pub(super) unfiltered: UnfilteredCounts,
    /// The DSO still to compute: (as of, outstanding).
    pub(super) dso_pending: Option<(Date, Decimal)>,
    /// The DSO computing on its own thread.
    pub(super) dso_running: Option<Receiver<(Date, Result<Option<Decimal>>)>>,
    /// Sort indexes of the queue table still to make when idle.
    pub(super) pending_indexes: Vec<SortKey>,
    /// Saves being written, a part at a time between the other sessions' requests.
    pub(super) saving: std::collections::VecDeque<super::save::Saving>,
    /// The figures last answered (a saved action moves them by its difference).
    pub(super) summary: Option<Summary>,
    /// The reasons a dispute may give (from the config).
    pub(super) dispute_reasons: Vec<String>,
    /// The largest file the attach form keeps, in megabytes (from the config).
    pub(super) max_attachment_mb: u64,
    /// The forecast: wanted, running on its thread, installed.
    pub forecasts: Forecasts,
    /// A save was committed: fold the WAL into the database when idle (not during a save, nor
    /// right after it, when the screen asks for what moved).
    pub(super) checkpoint_due: bool,
    /// How many times the figures were moved by difference (a save, replies read), ever:
    /// figures computed on a thread meanwhile are not installed over such a move.
    pub(super) moves: u64,
    /// [`PortfolioWorker::moves`] when the figures were last computed whole: while it is
    /// still the count, they are what `R` would compute ([`PortfolioWorker::figures_moved`]).
    moves_computed: u64,
    /// Figures being computed on a thread for another program's commit.
    pub(super) recompute: Option<super::recompute::Recompute>,
    /// Figures computed on a thread were not installed (saves moved the figures meanwhile,
    /// each time they were computed beside again): the next are computed here, so that a
    /// busy team cannot keep them from being shown.
    pub(super) recompute_here: bool,
    /// Answering in the worker's loop ([`PortfolioWorker::run`]), where figures computed
    /// beside are written between the sessions' requests: `R` is computed so there.
    pub(super) in_loop: bool,
    /// When the figures were last computed whole, and how long that took: another program's
    /// commits bring them again at a pace ([`external_rebuild_due`]).
    last_rebuild: Option<(Instant, Duration)>,
    /// The queue table in memory, for the tab counts under a filter.
    pub(super) mirror: Option<QueueMirror>,
    /// What each owner's customers added up to when the figures were last computed whole
    /// (the scopes' figures without a filter while no save has moved them since).
    pub(super) owner_sums: OwnerSums,
    /// The figures of each scope and filter sessions look at (shared by every session).
    pub(super) scopes: HashMap<super::scope::ScopeKey, super::scope::ScopeEntry>,
    /// Bumped whenever those figures change: sessions are told again with their next page.
    pub(super) scope_version: u64,
    /// Scopes whose DSO or cash forecast is still to compute, the latest last.
    pub(super) scope_wanted: Vec<super::scope::ScopeKey>,
    /// A scope's DSO computing on its thread.
    pub(super) scope_dso: Option<super::scope::ScopeDso>,
    /// The team's figures asked for by permitted sessions and not computed yet.
    pub(super) team_wanted: Vec<(SessionId, u64, Date)>,
    /// Exports read and not written yet.
    pub(super) exports_wanted: Vec<super::beside::PendingExport>,
    /// Answers made on threads beside (the team's figures, exports): how many are still
    /// being made, and where they arrive.
    pub(super) beside_running: usize,
    pub(super) beside_done: (
        std::sync::mpsc::Sender<super::beside::Beside>,
        Receiver<super::beside::Beside>,
    ),
}

/// What the recomputations of the figures did. (Where their time went is logged at debug
/// level, target `owed::timing`: `OWED_LOG=debug`, and the workstation's benchmark.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rebuilds {
    /// How many times the figures were computed.
    pub count: u64,
    /// Whether the last one answered the first page from the figures alone (before the
    /// queue's table was written).
    pub first_page_from_figures: bool,
}

/// Answers kept for one session (the synchronous calls).
fn only(session: SessionId, out: &mut Vec<Response>) -> impl FnMut(SessionId, Response) + '_ {
    move |sid, r| {
        if sid == session {
            out.push(r);
        }
    }
}

impl PortfolioWorker {
    /// Opens the database for the worker (read-only when this user may only read it; a
    /// config of another base currency than the database's is refused).
    pub fn open(path: &Path, settings: Settings) -> Result<PortfolioWorker> {
        let store = Store::open_existing(path)?;
        store.check_base_currency(&settings.base_currency)?;
        PortfolioWorker::with_store(store, settings)
    }

    /// The worker on a connection already open (and checked as [`PortfolioWorker::open`]
    /// does) on the database.
    pub fn with_store(store: Store, settings: Settings) -> Result<PortfolioWorker> {
        let path = store.path().to_path_buf();
        // Saves commit on this connection: their checkpoints wait for idle time.
        store.defer_checkpoints()?;
        store.temp_in_memory()?;
        let version = store.data_version()?;
        Ok(PortfolioWorker {
            forecasts: Forecasts::new(&path, &settings.base_currency, settings.grace_days),
            store,
            path,
            as_of: None,
            sessions: BTreeMap::new(),
            // No name: a save by the local session says to give one.
            local_actor: Actor::new("", Role::Manager),
            version,
            checked: Instant::now(),
            last_request: Instant::now(),
            rebuilds: Rebuilds::default(),
            counts: HashMap::new(),
            unfiltered: UnfilteredCounts::default(),
            dso_pending: None,
            dso_running: None,
            pending_indexes: Vec::new(),
            saving: std::collections::VecDeque::new(),
            summary: None,
            dispute_reasons: crate::config::Config::default().dispute_reasons,
            max_attachment_mb: crate::domain::attachment::DEFAULT_MAX_MB,
            settings,
            checkpoint_due: false,
            moves_computed: 0,
            moves: 0,
            recompute: None,
            recompute_here: false,
            in_loop: false,
            last_rebuild: None,
            mirror: None,
            owner_sums: OwnerSums::new(),
            scopes: HashMap::new(),
            scope_version: 0,
            scope_wanted: Vec::new(),
            scope_dso: None,
            team_wanted: Vec::new(),
            exports_wanted: Vec::new(),
            beside_running: 0,
            beside_done: std::sync::mpsc::channel(),
        })
    }

    /// Whether the database can only be read here (the title bar says so; saves fail).
    pub fn read_only(&self) -> bool {
        self.store.is_read_only()
    }

    /// The largest file the attach form keeps (`max_attachment_mb`, the config's).
    pub fn with_max_attachment_mb(mut self, max_mb: u64) -> PortfolioWorker {
        self.max_attachment_mb = max_mb;
        self
    }

    /// The dispute reasons the collector-action forms are checked against (the config's).
    pub fn with_dispute_reasons(mut self, reasons: Vec<String>) -> PortfolioWorker {
        self.dispute_reasons = reasons;
        self
    }

    /// Who the local session (the synchronous calls') acts as: its saves are recorded for
    /// them.
    pub fn acting_as(mut self, actor: Actor) -> PortfolioWorker {
        if let Some(v) = self.sessions.get_mut(&LOCAL) {
            v.actor = actor.clone();
        }
        self.local_actor = actor;
        self
    }

    /// A session looks at this portfolio from now on, acting as `actor`.
    pub fn join(&mut self, session: SessionId, actor: Actor, files: FileAccess) {
        self.sessions.insert(session, Viewer::new(actor, files));
    }

    /// A session left: its last requests are not answered again.
    pub fn leave(&mut self, session: SessionId) {
        self.sessions.remove(&session);
    }

    /// The sessions looking at this portfolio.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// What the worker keeps of a session: the local one joins as the local actor at its
    /// first request; any other it did not know (none should reach it) may read and nothing
    /// more, with no files.
    pub(super) fn viewer(&mut self, session: SessionId) -> &mut Viewer {
        let local = &self.local_actor;
        self.sessions.entry(session).or_insert_with(|| {
            if session == LOCAL {
                Viewer::new(local.clone(), FileAccess::own())
            } else {
                Viewer::new(Actor::new("", Role::Auditor), FileAccess::Nowhere)
            }
        })
    }

    /// Answers a batch of the local session's requests, keeping only the latest of each kind,
    /// in the order summary, writes (all of them, in order), page, detail; then the deferred
    /// work (the DSO, then the forecast, computed here rather than on its thread).
    pub fn handle_batch(&mut self, batch: Vec<Request>) -> Vec<Response> {
        let mut out = Vec::new();
        let batch = batch.into_iter().map(|r| (LOCAL, r)).collect();
        self.answer_with_deferred(batch, &mut only(LOCAL, &mut out));
        out
    }

    /// Answers a batch of several sessions' requests as [`PortfolioWorker::handle_batch`]
    /// does, with the deferred work; each answer names its session.
    pub fn handle_all(&mut self, batch: Vec<(SessionId, Request)>) -> Vec<(SessionId, Response)> {
        let mut out = Vec::new();
        self.answer_with_deferred(batch, &mut |sid, r| out.push((sid, r)));
        out
    }

    /// Answers `batch`, then does the deferred work here (the DSO, the forecast, the scopes'
    /// and the team's figures) rather than on its thread.
    fn answer_with_deferred(
        &mut self,
        batch: Vec<(SessionId, Request)>,
        emit: &mut dyn FnMut(SessionId, Response),
    ) {
        self.answer_batch(batch, emit);
        self.finish_saves(emit);
        self.deferred(emit);
        self.forecast_step(false, emit);
        self.scope_step(false, emit);
        self.beside_step(false, emit);
    }

    /// Answers one request of the local session (a page or detail of another date also brings
    /// that date's figures; a save brings what it changed).
    pub fn handle(&mut self, request: Request) -> Vec<Response> {
        self.handle_batch_now(vec![request])
    }

    /// Answers a batch as [`PortfolioWorker::handle_batch`] does, without the deferred work
    /// (exports are written here).
    pub fn handle_batch_now(&mut self, batch: Vec<Request>) -> Vec<Response> {
        let mut out = Vec::new();
        let batch = batch.into_iter().map(|r| (LOCAL, r)).collect();
        {
            let mut emit = only(LOCAL, &mut out);
            self.answer_batch(batch, &mut emit);
            self.finish_saves(&mut emit);
            self.exports_step(false, &mut emit);
        }
        out
    }

    /// Writes the saves waiting to the end, a part at a time as `run` does (here with no
    /// other requests between), sleeping while another program holds the write lock.
    fn finish_saves(&mut self, emit: &mut dyn FnMut(SessionId, Response)) {
        while !self.saving.is_empty() {
            if let Some(wait) = self.save_retry_in() {
                std::thread::sleep(wait);
            }
            self.answer_batch(Vec::new(), emit);
        }
    }

    /// How long until the save waiting first tries again (another program holds the write
    /// lock); `None`: it goes on at once, or there is none.
    fn save_retry_in(&self) -> Option<Duration> {
        self.saving
            .front()
            .and_then(|s| s.retry_at)
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// When another process committed since the last look, recomputes everything and answers
    /// the local session's last page and detail requests again (the DSO follows as deferred
    /// work).
    pub fn poll_changes(&mut self) -> Vec<Response> {
        let mut out = Vec::new();
        self.poll(false, &mut only(LOCAL, &mut out));
        out
    }

    /// The forecast's turn: takes a finished one and writes the risks it changed into the
    /// queue table (then answers every session's last page and detail again), and starts the
    /// wanted one once the DSO is done — on its thread when `background`, else computed here.
    /// In the background the risks go in a slice per turn (keys pressed meanwhile wait for one
    /// slice, not for all); here all at once.
    fn forecast_step(&mut self, background: bool, emit: &mut dyn FnMut(SessionId, Response)) {
        // A queue table written beside takes the installed forecast's risks: a new one waits
        // until it is in place.
        if !self.forecasts.installing() && !self.building_beside() {
            let mut finished = self.forecasts.take_finished();
            if self.dso_pending.is_none() && finished.is_none() {
                if !background {
                    finished = self.forecasts.compute_now(&self.store);
                } else if self.forecasts.ready_to_start()
                    && let Err(e) = self.forecasts.start()
                {
                    self.broadcast(Response::Error(e.to_string()), emit);
                }
            }
            if let Some(finished) = finished
                && let Err(e) = self.forecasts.install(finished, self.as_of, &self.store)
            {
                self.broadcast(Response::Error(format!("forecast: {e}")), emit);
            }
        }
        while self.forecasts.installing() {
            match self
                .forecasts
                .step(&self.store, &mut self.unfiltered, self.mirror.as_mut())
            {
                Ok(Some(view)) => {
                    self.counts.clear();
                    self.scopes_new_forecast();
                    self.broadcast(Response::Forecast(Box::new(view)), emit);
                    self.answer_again(true, None, emit);
                }
                Ok(None) => {}
                Err(e) => self.broadcast(Response::Error(format!("forecast: {e}")), emit),
            }
            if background {
                return;
            }
        }
    }

    /// Sends an answer to every session.
    pub(super) fn broadcast(&self, response: Response, emit: &mut dyn FnMut(SessionId, Response)) {
        let n = self.sessions.len();
        for (i, sid) in self.sessions.keys().enumerate() {
            if i + 1 == n {
                emit(*sid, response);
                return;
            }
            emit(*sid, response.clone());
        }
    }

    /// Answers every session's last page (and detail, with `details`) again, except those of
    /// `except` (they asked for their own in the same batch), and those of another date than
    /// the figures' (a session on its way elsewhere).
    pub(super) fn answer_again(
        &mut self,
        details: bool,
        except: Option<&BTreeSet<SessionId>>,
        emit: &mut dyn FnMut(SessionId, Response),
    ) {
        let as_of = self.as_of;
        let of_date = |r: &Option<Request>| {
            r.clone().filter(|r| match r {
                Request::Page { as_of: d, .. } | Request::Detail { as_of: d, .. } => {
                    Some(*d) == as_of
                }
                _ => false,
            })
        };
        let again: Vec<(SessionId, Request)> = self
            .sessions
            .iter()
            .filter(|(sid, _)| except.is_none_or(|e| !e.contains(sid)))
            .flat_map(|(sid, v)| {
                let page = of_date(&v.last_page);
                let detail = if details {
                    of_date(&v.last_detail)
                } else {
                    None
                };
                page.into_iter().chain(detail).map(move |r| (*sid, r))
            })
            .collect();
        let (t0, answers) = (Instant::now(), again.len());
        // (Failing, each is counted when its page asks, and says why.)
        let _ = self.count_scopes_at_once();
        let mut pages = Duration::ZERO;
        for (sid, request) in again {
            let t = Instant::now();
            self.answer_one(sid, &request, emit);
            if matches!(request, Request::Page { .. }) {
                pages += t.elapsed();
            }
        }
        // What answering every screen again cost (`OWED_LOG=debug`): with many sessions it
        // can cost more than the figures.
        tracing::debug!(
            target: "owed::timing",
            what = "answered again",
            answers,
            pages_ms = pages.as_secs_f64() * 1e3,
            all_ms = t0.elapsed().as_secs_f64() * 1e3,
        );
    }

    /// Answers one request of a session, or the error it met.
    fn answer_one(
        &mut self,
        sid: SessionId,
        request: &Request,
        emit: &mut dyn FnMut(SessionId, Response),
    ) {
        let mut out = Vec::new();
        if let Err(e) = self.answer(sid, request, &mut out) {
            out.push(Response::Error(e.to_string()));
        }
        for answer in out {
            emit(sid, answer);
        }
    }

    /// Answers a batch: per session the latest request of each kind, every save and write in
    /// order; each answer as soon as it is ready.
    fn answer_batch(
        &mut self,
        batch: Vec<(SessionId, Request)>,
        emit: &mut dyn FnMut(SessionId, Response),
    ) {
        let mut wanted: BTreeMap<SessionId, Wanted> = BTreeMap::new();
        let mut reloads: Vec<(SessionId, Date)> = Vec::new();
        let mut saves = Vec::new();
        for (sid, request) in batch {
            self.viewer(sid);
            let w = wanted.entry(sid).or_default();
            match request {
                Request::Summary { as_of } => w.summary = Some(as_of),
                Request::Reload { as_of } => {
                    w.summary = Some(as_of);
                    reloads.push((sid, as_of));
                }
                Request::Page { .. } => w.page = Some(request),
                Request::Detail { .. } => w.detail = Some(request),
                Request::MarkRepliesRead { .. } | Request::Export { .. } => w.writes.push(request),
                Request::FormData { .. } => w.form = Some(request),
                Request::Keys { .. } => w.keys = Some(request),
                Request::Attachment { .. } => w.attachment = Some(request),
                Request::Team { .. } => w.team = Some(request),
                Request::Save { seq, job } => saves.push((sid, seq, job)),
            }
        }
        for (sid, seq, job) in saves {
            let saving = self.begin_save(sid, seq, job);
            self.saving.push_back(saving);
        }
        // A part of the saves waiting: the rest after the next requests (`run`), or at once
        // (`handle_batch`).
        let (saved, going_on): (Vec<_>, Vec<_>) = if self.saving.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            self.save_waiting(super::save::SAVE_PART)
                .into_iter()
                .partition(|(_, r)| matches!(r, Response::Saved { .. }))
        };
        for (sid, answer) in going_on {
            emit(sid, answer);
        }
        // Every screen is answered again once a save is done (between its parts, a screen
        // that asks is answered as things are).
        let touched = !saved.is_empty();
        let wrote: BTreeSet<SessionId> = wanted
            .iter()
            .filter(|(_, w)| !w.writes.is_empty())
            .map(|(sid, _)| *sid)
            .collect();
        // The figures: read again (`R`, unless they are what that would compute: those who
        // asked are answered from them below), of another date than the computed one, or of
        // data another process changed since.
        reloads.retain(|(_, as_of)| !self.figures_current(*as_of));
        // In the loop, `R` on the figures' date is computed beside: who pressed it is answered
        // when they are in place (its page and detail now, from the figures as they are).
        reloads.retain(|(sid, as_of)| {
            let beside = self.reload_beside(*sid, *as_of);
            if beside && let Some(w) = wanted.get_mut(sid) {
                w.summary = None;
            }
            !beside
        });
        let reload = reloads.last().copied();
        let mut rebuild = reload.map(|(sid, d)| (sid, d, true)).or_else(|| {
            wanted.iter().find_map(|(sid, w)| {
                w.summary
                    .filter(|d| self.as_of != Some(*d) || self.summary.is_none())
                    .map(|d| (*sid, d, false))
            })
        });
        if rebuild.is_none()
            && let Some(as_of) = self.as_of
            && let Some((sid, _)) = wanted.iter().find(|(_, w)| w.summary.is_some())
            && self.store.data_version().is_ok_and(|v| v != self.version)
        {
            rebuild = Some((*sid, as_of, false));
        }
        if touched && rebuild.is_none() {
            // What every screen shows of the customers, again: the figures moved by the
            // difference (or rebuilt when they could not be), the pages and the details.
            if let Some(s) = self.summary.as_ref().filter(|_| self.as_of.is_some()) {
                let s = s.clone();
                self.broadcast(Response::Summary(Box::new(s)), emit);
            }
        }
        let mut answered_figures = BTreeSet::new();
        let mut rebuilt = false;
        if let Some((sid, as_of, again)) = rebuild {
            if again {
                self.forecasts.invalidate();
            }
            // New figures with a first page: the page goes out before the queue table is
            // written (computed from the figures alone when it can be).
            let page = if wrote.is_empty() {
                wanted.get(&sid).and_then(|w| w.page.clone())
            } else {
                None
            };
            match self.rebuild_with(as_of, page.as_ref().map(|p| (sid, p)), emit) {
                Ok((s, quick)) => {
                    rebuilt = true;
                    if quick {
                        answered_figures.insert(sid);
                        if let Some(w) = wanted.get_mut(&sid) {
                            w.page = None;
                        }
                    }
                    for other in self.sessions.keys().copied().collect::<Vec<_>>() {
                        if !answered_figures.contains(&other) {
                            emit(other, Response::Summary(Box::new(s.clone())));
                            answered_figures.insert(other);
                        }
                    }
                }
                Err(e) => {
                    emit(sid, Response::Error(e.to_string()));
                    answered_figures.insert(sid);
                }
            }
        }
        // Sessions joining computed figures: answered from them.
        for (sid, w) in &wanted {
            if w.summary.is_some() && !answered_figures.contains(sid) {
                let as_of = w.summary.unwrap_or_default();
                let mut out = Vec::new();
                if let Err(e) = self.ensure(as_of, &mut out) {
                    out.push(Response::Error(e.to_string()));
                }
                if out.is_empty()
                    && let Some(s) = self.summary.clone()
                {
                    out.push(Response::Summary(Box::new(s)));
                }
                for r in out {
                    emit(*sid, r);
                }
            }
        }
        // A session that asks for the figures gets the forecast with them, when one is
        // installed (the others got it when it was).
        for (sid, w) in &wanted {
            if let Some(as_of) = w.summary
                && let Some(view) = self.forecasts.view(as_of)
                && self.as_of == Some(as_of)
            {
                emit(*sid, Response::Forecast(Box::new(view)));
            }
        }
        let sessions: Vec<SessionId> = self.sessions.keys().copied().collect();
        for sid in sessions {
            let mut w = wanted.remove(&sid).unwrap_or_default();
            // After a save everyone's screen is answered again; after new figures, those of
            // the sessions that did not ask for them (who asked, asks for its pages itself).
            let refresh_all = touched || (rebuilt && w.summary.is_none());
            for request in std::mem::take(&mut w.writes) {
                self.answer_one(sid, &request, emit);
            }
            // Another session's write (replies read) moves this one's page too.
            let others_wrote = wrote.iter().any(|s| *s != sid);
            let again = self.sessions.get(&sid).cloned();
            let of_date = |r: Option<Request>| {
                r.filter(|r| match r {
                    Request::Page { as_of, .. } | Request::Detail { as_of, .. } => {
                        Some(*as_of) == self.as_of
                    }
                    _ => false,
                })
            };
            if w.page.is_none() && (refresh_all || others_wrote) {
                w.page = of_date(again.as_ref().and_then(|v| v.last_page.clone()));
            }
            if w.detail.is_none() && refresh_all {
                w.detail = of_date(again.as_ref().and_then(|v| v.last_detail.clone()));
            }
            for request in w
                .page
                .into_iter()
                .chain(w.detail)
                .chain(w.form)
                .chain(w.keys)
                .chain(w.attachment)
                .chain(w.team)
            {
                self.answer_one(sid, &request, emit);
            }
        }
        for (sid, answer) in saved {
            emit(sid, answer);
        }
    }

    /// Work left for when nothing else waits: the DSO of new figures.
    fn deferred(&mut self, emit: &mut dyn FnMut(SessionId, Response)) {
        let Some((as_of, outstanding)) = self.dso_pending.take() else {
            return;
        };
        let result = self.dso(as_of, outstanding);
        let answer = self.dso_done(as_of, result);
        self.broadcast(answer, emit);
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
        let started = std::thread::Builder::new()
            .name("owed-dso".into())
            .spawn(move || {
                let result = Store::open_existing(&path)
                    .and_then(|store| dso_at(&store, as_of, outstanding));
                let _ = tx.send((as_of, result));
            });
        if started.is_ok() {
            self.dso_running = Some(rx);
        }
        started.is_ok()
    }

    /// Whether the figures were moved by difference since they were last computed whole.
    pub(super) fn figures_moved(&self) -> bool {
        self.moves != self.moves_computed
    }

    /// Whether the figures of `as_of` are what computing them again would give: computed
    /// whole, not moved by a difference since, and no other connection has committed since.
    pub(super) fn figures_current(&self, as_of: Date) -> bool {
        self.as_of == Some(as_of)
            && self.summary.is_some()
            && !self.figures_moved()
            && self.store.data_version().is_ok_and(|v| v == self.version)
    }

    /// Computes the figures as of `as_of` unless they are computed already.
    fn ensure(&mut self, as_of: Date, out: &mut Vec<Response>) -> Result<()> {
        if self.as_of != Some(as_of) {
            let summary = self.rebuild(as_of)?;
            out.push(Response::Summary(Box::new(summary)));
        }
        Ok(())
    }

    fn answer(&mut self, sid: SessionId, request: &Request, out: &mut Vec<Response>) -> Result<()> {
        match request {
            Request::Summary { as_of } => {
                self.ensure(*as_of, out)?;
                if out.is_empty()
                    && let Some(s) = self.summary.clone()
                {
                    out.push(Response::Summary(Box::new(s)));
                }
            }
            Request::Reload { as_of } => {
                let summary = match self.summary.clone() {
                    Some(s) if self.figures_current(*as_of) => s,
                    _ => {
                        self.forecasts.invalidate();
                        self.rebuild(*as_of)?
                    }
                };
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
                self.viewer(sid).last_page = Some(request.clone());
                let key = (query.scope, query.collector.clone(), query.filter.clone());
                // What the filter's documents and text searches let through, read once.
                let mut matches = None;
                let counts = match self
                    .unfiltered
                    .for_query(query)
                    .or(self.counts.get(&key).copied())
                {
                    Some(c) => c,
                    None => {
                        // The tab counts and the figures of the filter in one pass.
                        let m = self.store.activity().filter_matches(&query.filter)?;
                        let (c, sums) = self.mirror()?.figures(query, &m);
                        matches = Some(m);
                        self.counts.insert(key, c);
                        self.keep_scope(query, c.mine_fallback, &sums);
                        c
                    }
                };
                // Few rows under a filter: their keys from memory, so that SQL reads just
                // those instead of the table for them.
                let total = counts.counts[query.tab.index()];
                let few = !query.filter.is_empty() && total <= FEW_ROWS;
                let keys = if few {
                    let m = match matches.take() {
                        Some(m) => m,
                        None => self.store.activity().filter_matches(&query.filter)?,
                    };
                    Some(self.mirror()?.keys(query, &m))
                } else {
                    None
                };
                let mut page = self.store.queue().page_counted(
                    query,
                    *offset,
                    *limit,
                    &counts,
                    keys.as_deref(),
                )?;
                page.risk_counted = self.forecasts.counted(*as_of);
                out.push(Response::Page { seq: *seq, page });
                self.scope_for_page(sid, query, counts.mine_fallback, out)?;
            }
            Request::Detail { seq, as_of, cid } => {
                self.ensure(*as_of, out)?;
                self.viewer(sid).last_detail = Some(request.clone());
                let as_of = *as_of;
                let detail =
                    self.store
                        .ledger()
                        .customer_detail(*cid, as_of, self.settings.grace_days)?;
                let data = match detail {
                    Some(detail) => Some(Box::new(DetailData {
                        figures: self
                            .store
                            .queue()
                            .figures(*cid, self.settings.bounds.len())?,
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
            Request::MarkRepliesRead { cid, as_of } => {
                out.push(self.mark_replies_read(sid, *cid, *as_of)?);
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
                let outcome = self.save(sid, job);
                out.push(Response::Saved { seq: *seq, outcome });
            }
            Request::Keys { seq, as_of, query } => {
                self.ensure(*as_of, out)?;
                let matches = self.store.activity().filter_matches(&query.filter)?;
                let cids = self.mirror()?.keys(query, &matches);
                out.push(Response::Keys { seq: *seq, cids });
            }
            Request::Export { seq, as_of, job } => {
                self.ensure(*as_of, out)?;
                if let Err(refused) = self.want_export(sid, *seq, *as_of, job) {
                    out.push(Response::Exported {
                        seq: *seq,
                        result: Err(refused),
                    });
                }
            }
            Request::Attachment {
                seq,
                id,
                cols,
                rows,
                graphics,
                ..
            } => {
                let preview = super::attachment::preview(&self.store, *id, *cols, *rows, *graphics);
                out.push(Response::Attachment {
                    seq: *seq,
                    preview: preview.map(Box::new).map_err(|e| e.to_string()),
                });
            }
            Request::Team { seq, as_of } => {
                // The role is checked here, at once; the figures are computed beside.
                out.extend(self.want_team(sid, *seq, *as_of));
            }
        }
        Ok(())
    }

    /// Marks a customer's replies read, and takes it out of the Replies tab of the queue
    /// summary and of the counts (this connection's own commit does not change its
    /// `data_version`, so nothing would recompute them).
    /// A session whose user may not ([`crate::domain::users::Work::ReadReplies`]) leaves them
    /// unread.
    fn mark_replies_read(&mut self, sid: SessionId, cid: i64, as_of: Date) -> Result<Response> {
        let actor = self.viewer(sid).actor.clone();
        // The queue table's copy in memory follows the row when it is the table's now.
        let mirror_kept = self.mirror_current();
        let marked = match self.store.engagement_mut().mark_replies_read(
            &actor,
            cid,
            as_of,
            &crate::domain::action_checks::timestamp(chrono::Utc::now()),
        ) {
            Ok(n) => n,
            Err(crate::Error::Input(_)) => {
                return Ok(Response::RepliesRead {
                    cid,
                    marked: 0,
                    left_tab: false,
                });
            }
            Err(e) => return Err(e),
        };
        let mut left_tab = false;
        if marked > 0 {
            self.moved(cid);
        }
        if let Some(queue_day) = self.as_of
            && let Some(owner) = self.store.queue().replies_read(cid, queue_day)?
        {
            left_tab = true;
            self.unfiltered.replies_read(owner.as_deref());
            self.counts.clear();
            self.mirror_follows(cid, mirror_kept)?;
        }
        Ok(Response::RepliesRead {
            cid,
            marked,
            left_tab,
        })
    }

    /// When another process committed since the last look, recomputes everything and answers
    /// every session's last page and detail again (the DSO follows as deferred work).
    ///
    /// `paced` (the thread's loop): while another program keeps committing (a script of
    /// notes, an engagement run from cron, each reminder its own commit), the figures are
    /// computed again at most at the pace [`external_rebuild_due`] sets, not after every
    /// commit, which would hold every session's keys for as long as it goes on.
    fn poll(&mut self, paced: bool, emit: &mut dyn FnMut(SessionId, Response)) {
        self.checked = Instant::now();
        let Some(as_of) = self.as_of else {
            return;
        };
        match self.store.data_version() {
            Ok(v) if v != self.version => {
                // The users may have changed: first, before the figures, which may wait.
                self.follow_roles(emit);
                if paced {
                    if self.recompute.is_some()
                        || !external_rebuild_due(self.last_rebuild, Instant::now())
                    {
                        // Looked at again at the next poll (the version is left unseen).
                        return;
                    }
                    // Computed on a thread while the sessions are answered; only their
                    // writing into the queue table holds them.
                    if !std::mem::take(&mut self.recompute_here) && self.start_recompute(as_of, v) {
                        return;
                    }
                }
                self.version = v;
                let t0 = Instant::now();
                match self.rebuild(as_of) {
                    Ok(summary) => {
                        self.broadcast(Response::Summary(Box::new(summary)), emit);
                        self.answer_again(true, None, emit);
                        self.paced_from(t0);
                    }
                    Err(e) => self.broadcast(Response::Error(e.to_string()), emit),
                }
            }
            Ok(_) => {}
            Err(e) => self.broadcast(Response::Error(e.to_string()), emit),
        }
    }

    /// The sessions in one's own shell act with the role the users table gives their name
    /// now, as their writes do (a name not registered keeps the role it came with: the
    /// file's owner's): a session whose role changed is told ([`Response::Actor`]), so that
    /// its screen offers and refuses what the new role may do. The writes read the role again
    /// in their own transaction whatever the screen knows; a session over SSH (its user
    /// verified by their key) is cut by the server when its role changes.
    pub(super) fn follow_roles(&mut self, emit: &mut dyn FnMut(SessionId, Response)) {
        let mut changed = Vec::new();
        for (sid, viewer) in &self.sessions {
            if viewer.actor.verified {
                continue;
            }
            // Unreadable now, the users are read again at the next change. A name typed in
            // another case is the user it stands for (registered since it started, say).
            let Ok(Some((name, role))) = self.store.users().registered(&viewer.actor.name) else {
                continue;
            };
            if role != viewer.actor.role || name != viewer.actor.name {
                changed.push((*sid, name, role));
            }
        }
        for (sid, name, role) in changed {
            let Some(viewer) = self.sessions.get_mut(&sid) else {
                continue;
            };
            viewer.actor.role = role;
            viewer.actor.name = name;
            if sid == LOCAL {
                self.local_actor = viewer.actor.clone();
            }
            emit(sid, Response::Actor(viewer.actor.clone()));
        }
    }

    /// The pace of another program's commits counts, from `t0`, answering every session
    /// again too (with many sessions it once cost more than the figures).
    pub(super) fn paced_from(&mut self, t0: Instant) {
        self.last_rebuild = Some((Instant::now(), t0.elapsed()));
    }

    /// Computes the figures as of `as_of` and rebuilds the queue summary.
    pub(super) fn rebuild(&mut self, as_of: Date) -> Result<Summary> {
        self.rebuild_with(as_of, None, &mut |_, _| {})
            .map(|(summary, _)| summary)
    }

    /// Computes the figures as of `as_of` and rebuilds the queue summary. When `page` (a
    /// session's) asks for a first page the figures answer alone, the summary and that page
    /// are sent to that session through `emit` before the queue table is written, the figures
    /// of the page's scope (its metrics bar and chart) once it is, and the result says so
    /// (`true`: they went out; else the caller sends the summary).
    fn rebuild_with(
        &mut self,
        as_of: Date,
        page: Option<(SessionId, &Request)>,
        emit: &mut dyn FnMut(SessionId, Response),
    ) -> Result<(Summary, bool)> {
        let t0 = Instant::now();
        // Read first: a commit while the figures are computed is seen at the next look.
        let version = self.store.data_version()?;
        let computed = compute(&self.store, &self.settings, as_of)?;
        let t1 = Instant::now();
        let s = &self.settings;
        // The first page from the figures alone (not when an installed forecast's risks
        // would be missing from it).
        let mut answered = false;
        let mut quick_for = None;
        if let Some((
            sid,
            request @ Request::Page {
                seq,
                as_of: page_as_of,
                query,
                offset,
                limit,
            },
        )) = page
            && *page_as_of == as_of
            && !self.forecasts.has(as_of)
            && let Some(quick) = self.store.queue().quick_page(
                query,
                *offset,
                *limit,
                &s.bounds,
                &computed.portfolio.customers,
                &computed.activity,
            )?
        {
            answered = true;
            quick_for = Some((sid, request.clone()));
            emit(sid, Response::Summary(Box::new(computed.summary.clone())));
            emit(
                sid,
                Response::Page {
                    seq: *seq,
                    page: quick,
                },
            );
        }
        let first_page = answered.then(|| t1.elapsed());
        let summary = self.install(computed, version, (t0, t1 - t0), first_page)?;
        if answered {
            self.rebuilds.first_page_from_figures = true;
        }
        if let Some((sid, request)) = quick_for {
            self.viewer(sid).last_page = Some(request.clone());
            // The metrics bar and chart of that page's scope, now that the figures are in
            // place (each owner's sums counted as the table was written): with its page, as
            // any page's, not with the next page answered — the forecast's, seconds later.
            if let Request::Page { query, .. } = &request {
                let fallback = self
                    .unfiltered
                    .for_query(query)
                    .is_some_and(|c| c.mine_fallback);
                let mut out = Vec::new();
                if let Err(e) = self.scope_for_page(sid, query, fallback, &mut out) {
                    out.push(Response::Error(e.to_string()));
                }
                for answer in out {
                    emit(sid, answer);
                }
            }
        }
        Ok((summary, answered))
    }

    /// Writes figures computed whole into the queue table and makes them the portfolio's:
    /// the tab counts, the summary, the DSO and the forecast to follow. `version` is the
    /// database's `data_version` they were computed at (a later commit brings them again);
    /// `(t0, computing)` when their computation began and how long it took, `first_page` how
    /// long a first page from them took (for the log).
    fn install(
        &mut self,
        computed: Computed,
        version: i64,
        timing: (Instant, Duration),
        first_page: Option<Duration>,
    ) -> Result<Summary> {
        let s = &self.settings;
        let t3 = Instant::now();
        let unfiltered = self.store.queue().write_rows(
            computed.as_of,
            &s.bounds,
            &computed.portfolio.customers,
            &computed.activity,
            &computed.extras,
            self.forecasts.risks_for(computed.as_of),
        )?;
        self.installed(computed, unfiltered, version, timing, (first_page, t3))
    }

    /// Makes figures written into the queue table the portfolio's, as
    /// [`PortfolioWorker::install`] does, with the table's tab counts and each owner's sums
    /// counted while it was written; `t3`: when their writing began.
    pub(super) fn installed(
        &mut self,
        computed: Computed,
        (unfiltered, owner_sums): (UnfilteredCounts, OwnerSums),
        version: i64,
        (t0, computing): (Instant, Duration),
        (first_page, t3): (Option<Duration>, Instant),
    ) -> Result<Summary> {
        let as_of = computed.as_of;
        self.unfiltered = unfiltered;
        self.owner_sums = owner_sums;
        // The forecast of the date, if one is installed, stands until the new one arrives.
        self.forecasts
            .restore(as_of, &self.store, &mut self.unfiltered)?;
        self.as_of = Some(as_of);
        self.counts.clear();
        self.forget_scopes();
        self.dso_pending = Some((as_of, computed.portfolio.total.outstanding));
        self.dso_running = None;
        self.pending_indexes = SortKey::ALL.into_iter().rev().collect();
        self.version = version;
        self.moves_computed = self.moves;
        self.forecasts.want(as_of, self.version);
        self.rebuilds = Rebuilds {
            count: self.rebuilds.count + 1,
            first_page_from_figures: false,
        };
        // Where the time went: one pass over the open items with the totals of open issues
        // and promises (each customer's activity read beside it, on a second connection), the
        // first page from the figures alone (NaN: not answered so), the queue's TEMP table.
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        tracing::debug!(
            target: "owed::timing",
            what = "figures",
            portfolio_ms = ms(computing),
            activity_ms = ms(computed.activity_time),
            first_page_ms = first_page.map_or(f64::NAN, ms),
            queue_table_ms = ms(t3.elapsed()),
        );
        let Computed {
            portfolio,
            extras,
            activity,
            summary,
            ..
        } = computed;
        super::free_beside((portfolio, extras, activity));
        self.summary = Some(summary.clone());
        self.last_rebuild = Some((Instant::now(), t0.elapsed()));
        Ok(summary)
    }

    /// A sort index waits to be built and the keys have paused for it.
    fn index_due(&self) -> bool {
        !self.pending_indexes.is_empty() && self.last_request.elapsed() >= INDEX_AFTER_PAUSE
    }

    /// Whether the queue table in memory is read and still what the table holds.
    pub(super) fn mirror_current(&self) -> bool {
        self.mirror
            .as_ref()
            .is_some_and(|m| m.is_current(&self.store))
    }

    /// Customer `cid`'s row and open issues, just written into the queue table, read into
    /// its copy in memory too, when the copy was the table's before (`kept`) and nothing
    /// else was written since: the copy stays the table's instead of being read again whole.
    pub(super) fn mirror_follows(&mut self, cid: i64, kept: bool) -> Result<()> {
        if kept && let Some(mirror) = self.mirror.as_mut() {
            self.store.queue().mirror_row(cid, mirror)?;
        }
        Ok(())
    }

    /// The queue table in memory for counting under a filter, read again when this
    /// connection has written anything since.
    pub(super) fn mirror(&mut self) -> Result<&QueueMirror> {
        if !self.mirror_current() {
            let read = self.store.queue().mirror()?;
            super::free_beside(self.mirror.replace(read));
        }
        Ok(self.mirror.as_ref().expect("read just now"))
    }

    /// DSO by the count-back method over the monthly sales up to `as_of` (as the metrics
    /// report computes it).
    fn dso(&self, as_of: Date, outstanding: Decimal) -> Result<Option<Decimal>> {
        dso_at(&self.store, as_of, outstanding)
    }

    /// Runs the worker loop: takes the service's envelopes, answers each session as each
    /// answer is ready, does deferred work when nothing waits, and watches for other
    /// processes' commits. Returns when the service hangs up.
    pub fn run(mut self, envelopes: Receiver<Envelope>, mut emit: impl FnMut(SessionId, Response)) {
        let emit: &mut dyn FnMut(SessionId, Response) = &mut emit;
        self.in_loop = true;
        loop {
            self.finish_recompute(emit);
            let finished = self.dso_running.as_ref().map(|rx| rx.try_recv());
            match finished {
                Some(Ok((as_of, result))) => {
                    self.dso_running = None;
                    let answer = self.dso_done(as_of, result);
                    self.broadcast(answer, emit);
                }
                Some(Err(std::sync::mpsc::TryRecvError::Disconnected)) => self.dso_running = None,
                Some(Err(std::sync::mpsc::TryRecvError::Empty)) | None => {}
            }
            let until_poll = POLL.saturating_sub(self.checked.elapsed());
            let wait = if !self.saving.is_empty() {
                self.save_retry_in().unwrap_or(Duration::ZERO)
            } else if self.dso_pending.is_some()
                || self.forecasts.ready_to_start()
                || self.forecasts.installing()
                || self.index_due()
                || self.building_beside()
            {
                Duration::ZERO
            } else if !self.pending_indexes.is_empty() {
                INDEX_AFTER_PAUSE
                    .saturating_sub(self.last_request.elapsed())
                    .min(FORECAST_POLL)
                    .min(until_poll)
            } else if self.forecasts.busy()
                || self.beside_running > 0
                || self.recompute.is_some()
                || self.dso_running.is_some()
                || self.scope_dso.is_some()
                || !self.scope_wanted.is_empty()
            {
                FORECAST_POLL.min(until_poll)
            } else {
                until_poll
            };
            match envelopes.recv_timeout(wait) {
                Ok(first) => {
                    let mut batch = Vec::new();
                    for envelope in std::iter::once(first).chain(envelopes.try_iter()) {
                        match envelope {
                            Envelope::Join {
                                session,
                                actor,
                                files,
                            } => {
                                self.join(session, actor, files);
                                // Its role may have changed since the session started.
                                self.follow_roles(emit);
                            }
                            Envelope::Leave { session } => {
                                // What it asked to save before it ended is still saved, as
                                // its user; its other requests go with it.
                                for (sid, request) in std::mem::take(&mut batch) {
                                    match request {
                                        Request::Save { seq, job } if sid == session => {
                                            let saving = self.begin_save(sid, seq, job);
                                            self.saving.push_back(saving);
                                        }
                                        _ if sid == session => {}
                                        request => batch.push((sid, request)),
                                    }
                                }
                                self.leave(session);
                            }
                            Envelope::Request { session, request } => {
                                batch.push((session, request));
                            }
                            Envelope::Warm { as_of } => {
                                if self.as_of != Some(as_of) {
                                    match self.rebuild(as_of) {
                                        Ok(s) => {
                                            self.broadcast(Response::Summary(Box::new(s)), emit)
                                        }
                                        Err(e) => {
                                            self.broadcast(Response::Error(e.to_string()), emit)
                                        }
                                    }
                                }
                            }
                        }
                    }
                    if !batch.is_empty() {
                        self.last_request = Instant::now();
                        self.answer_batch(batch, emit);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    // The next part of a save, once the requests that came are answered (or
                    // its next try, when another program held the write lock).
                    if !self.saving.is_empty() {
                        if self.save_retry_in().is_none_or(|w| w.is_zero()) {
                            self.answer_batch(Vec::new(), emit);
                        }
                        continue;
                    }
                    if let Some((as_of, outstanding)) = self.dso_pending {
                        if self.spawn_dso(as_of, outstanding) {
                            self.dso_pending = None;
                        } else {
                            self.deferred(emit);
                        }
                        continue;
                    }
                    // The sort indexes, one at a time once the keys have paused, so that the
                    // first sort by a key does not wait for its index, nor a key pressed in
                    // a run of keys for an index being built (25-70 ms each at 100k).
                    // (Not for a table about to be replaced by the one written beside.)
                    if self.index_due()
                        && !self.building_beside()
                        && let Some(key) = self.pending_indexes.pop()
                    {
                        if let Err(e) = self.store.queue().ensure_sort_index(key) {
                            self.broadcast(Response::Error(e.to_string()), emit);
                        }
                        continue;
                    }
                    // The queue table in memory for filters (read again after a change),
                    // once the keys have paused: reading it takes a tenth of a second at
                    // 100k customers, which a key pressed meanwhile would wait for.
                    if self.as_of.is_some()
                        && !self.forecasts.installing()
                        && !self.building_beside()
                        && self.last_request.elapsed() >= MIRROR_AFTER_PAUSE
                        && !self.mirror_current()
                    {
                        if let Err(e) = self.mirror() {
                            self.broadcast(Response::Error(e.to_string()), emit);
                        }
                        continue;
                    }
                    // The DSO and cash forecast of the scopes sessions look at, once the
                    // keys have paused.
                    if (self.scope_dso.is_some() || !self.scope_wanted.is_empty())
                        && self.last_request.elapsed() >= super::scope::SCOPE_AFTER_PAUSE
                    {
                        self.scope_step(true, emit);
                    }
                    // Nothing asked for a while: the WAL of the last saves goes into the
                    // database now, when no one waits for it.
                    if self.checkpoint_due {
                        self.checkpoint();
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // Its last session has gone (or the server is stopping): the saves it
                    // began are finished before the worker ends, not dropped part-way.
                    while !self.saving.is_empty() {
                        if let Some(wait) = self.save_retry_in() {
                            std::thread::sleep(wait);
                        }
                        self.answer_batch(Vec::new(), emit);
                    }
                    return;
                }
            }
            self.beside_step(true, emit);
            self.forecast_step(true, emit);
            if self.checked.elapsed() >= POLL {
                self.poll(true, emit);
            }
        }
    }
}

/// The figures as of a date, computed whole and not yet in the queue table.
pub(super) struct Computed {
    pub(super) as_of: Date,
    pub(super) portfolio: Portfolio,
    pub(super) extras: QueueExtras,
    pub(super) activity: HashMap<i64, crate::store::queue::activity::RowActivity>,
    /// How long the activity took on its second connection.
    activity_time: Duration,
    pub(super) summary: Summary,
}

/// Computes the figures as of `as_of` from `store` (reading only): the open items with the
/// totals of open issues and promises, and each customer's activity on a second connection
/// beside (about as long as each other). The worker's own connection computes them, or a
/// thread's while the worker answers the sessions ([`PortfolioWorker::poll`]).
pub(super) fn compute(store: &Store, s: &Settings, as_of: Date) -> Result<Computed> {
    // Each customer's activity on a second connection while this one reads the open
    // items and the totals of promises and issues: about as long as each other.
    let t_beside = Instant::now();
    let (computed, activity) = store.beside(
        || -> Result<(Portfolio, QueueExtras)> {
            let portfolio = Portfolio::compute(store, as_of, None, &s.bounds, &s.base_currency)?;
            let extras = QueueExtras::read(store, as_of, s.grace_days, &s.base_currency)?;
            Ok((portfolio, extras))
        },
        |second| {
            let activity = second
                .queue()
                .customer_activity(as_of, s.grace_days, None)?;
            Ok((activity, t_beside.elapsed()))
        },
    );
    let (portfolio, extras) = computed?;
    let open_issue_amount: Decimal = extras.issues.iter().map(|i| i.amount).sum();
    let open_p2p_amount: Decimal = extras.promise_base.values().sum();
    let issues = crate::store::activity::issues::by_reason(&extras.issues);
    let (activity, activity_time) = activity?;
    let t = &portfolio.total;
    // The deductions from the same open issues (a save's difference is taken from them).
    let metrics = portfolio.headline(
        open_issue_amount,
        crate::store::activity::issues::deductions(&extras.issues),
        open_p2p_amount,
        None,
    );
    let last_import = store.ledger().last_import()?.map(|run| ImportStamp {
        at: run.at,
        actor: run.actor,
    });
    let summary = Summary {
        as_of,
        metrics,
        aging: t.aging.clone(),
        issues,
        dso_pending: true,
        last_import,
    };
    Ok(Computed {
        as_of,
        portfolio,
        extras,
        activity,
        activity_time,
        summary,
    })
}

/// Another program's commits bring the figures again at most once per this many times what
/// computing them took, counted from the end of the last: at most a fifth of the worker's
/// time goes to them while the commits go on (at 100,000 customers, 1.2 s every 6 s), and a
/// portfolio that computes in 20 ms follows at once.
const EXTERNAL_REBUILD_PACE: u32 = 4;

/// The longest another program's commit waits to be shown, however long the figures take.
const EXTERNAL_REBUILD_WAIT_MAX: Duration = Duration::from_secs(10);

/// Whether another program's commit seen `now` brings the figures again now: when they were
/// never computed, or [`EXTERNAL_REBUILD_PACE`] times their last computation (at most
/// [`EXTERNAL_REBUILD_WAIT_MAX`]) has passed since it ended. A first commit after a quiet
/// while is shown at once; the commits of a busy script, at that pace.
fn external_rebuild_due(last: Option<(Instant, Duration)>, now: Instant) -> bool {
    last.is_none_or(|(ended, took)| {
        now.saturating_duration_since(ended)
            >= (took * EXTERNAL_REBUILD_PACE).min(EXTERNAL_REBUILD_WAIT_MAX)
    })
}

/// How long the keys must have paused before a sort index is built: longer than the gap
/// between keys held down or typed in a run, shorter than a look at the screen.
const INDEX_AFTER_PAUSE: Duration = Duration::from_millis(120);

/// How long the keys must have paused before the queue table is read into memory.
const MIRROR_AFTER_PAUSE: Duration = Duration::from_millis(400);

/// Rows of a filtered tab read by key (from the queue table in memory) rather than by a pass
/// over the table or a walk of its sort index.
const FEW_ROWS: u64 = 2_000;

/// DSO by the count-back method over the monthly sales up to `as_of` (as the metrics report
/// computes it).
fn dso_at(store: &Store, as_of: Date, outstanding: Decimal) -> Result<Option<Decimal>> {
    let sales = store.ledger().sales_by_day(dso_sales_from(as_of), as_of)?;
    Ok(dso_count_back(outstanding, &monthly_sales(as_of, &sales)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workstation::save::{ActionValues, SaveJob};

    /// A worker on a database of one customer, with its figures computed as of `as_of`.
    fn worker(as_of: Date) -> (tempfile::TempDir, PortfolioWorker, i64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("owed.db");
        let store = Store::open_or_create(&path).unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO customers (id, name, currency, finance_owner) \
                 VALUES ('K1', 'Kite Supplies', 'USD', 'alice')",
                [],
            )
            .unwrap();
        let cid = store.conn().last_insert_rowid();
        drop(store);
        let settings = Settings {
            bounds: AgingBounds::default(),
            base_currency: "USD".into(),
            grace_days: 3,
        };
        let mut worker = PortfolioWorker::open(&path, settings).unwrap();
        worker.join(1, Actor::new("alice", Role::Collector), FileAccess::own());
        worker.handle_all(vec![(1, Request::Summary { as_of })]);
        (dir, worker, cid)
    }

    /// Waits for the figures computing on their thread and takes them in.
    fn finish(worker: &mut PortfolioWorker) -> Vec<Response> {
        let mut out = Vec::new();
        let until = Instant::now() + Duration::from_secs(60);
        while worker.recompute.is_some() && Instant::now() < until {
            worker.finish_recompute(&mut |_, r| out.push(r));
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(worker.recompute.is_none(), "the figures' thread answered");
        out
    }

    #[test]
    fn figures_computed_beside_are_installed_unless_a_save_moved_the_figures_meanwhile() {
        let as_of = Date::from_ymd_opt(2026, 4, 30).unwrap();
        let (dir, mut worker, cid) = worker(as_of);
        let computed = worker.rebuilds.count;

        // Computed on a thread and installed: the sessions are told.
        assert!(worker.start_recompute(as_of, worker.version));
        let told = finish(&mut worker);
        assert_eq!(worker.rebuilds.count, computed + 1);
        assert!(told.iter().any(|r| matches!(r, Response::Summary(_))));

        // A save while they compute: they are installed with it, brought in by its
        // difference.
        assert!(worker.start_recompute(as_of, worker.version));
        let saved = worker.handle_all(vec![(
            1,
            Request::Save {
                seq: 1,
                job: SaveJob {
                    as_of,
                    cids: vec![cid],
                    values: ActionValues::Note {
                        text: "called".into(),
                    },
                },
            },
        )]);
        assert!(worker.moves > 0, "{saved:?}");
        let told = finish(&mut worker);
        assert!(told.iter().any(|r| matches!(r, Response::Summary(_))));
        assert_eq!(worker.rebuilds.count, computed + 2);
        assert!(
            worker.figures_moved(),
            "the save brought in by its difference"
        );
        assert!(!worker.recompute_here);
        // Overtaken by saves more often than that (the recompute module's tests), the next
        // look computes them in place: another program commits (after a quiet while), and
        // they are not computed on a thread again.
        worker.recompute_here = true;
        rusqlite::Connection::open(dir.path().join("owed.db"))
            .unwrap()
            .execute("UPDATE customers SET phone = '1'", [])
            .unwrap();
        worker.last_rebuild = None;
        let mut out = Vec::new();
        worker.poll(true, &mut |_, r| out.push(r));
        assert!(worker.recompute.is_none());
        assert_eq!(worker.rebuilds.count, computed + 3, "computed in place");
        assert!(!worker.recompute_here);

        // Figures computed here meanwhile (`R` after a save, another date) are newer: what
        // the thread brings is dropped.
        assert!(worker.start_recompute(as_of, worker.version));
        worker.moves += 1;
        worker.handle_all(vec![(1, Request::Reload { as_of })]);
        assert_eq!(worker.rebuilds.count, computed + 4);
        assert!(finish(&mut worker).is_empty());
        assert_eq!(worker.rebuilds.count, computed + 4);
        assert!(!worker.recompute_here);
    }

    #[test]
    fn another_programs_commits_bring_the_figures_again_at_a_pace() {
        // (Ahead of the clock, so that the instants before it exist however new the machine.)
        let now = Instant::now() + Duration::from_secs(100);
        let ms = Duration::from_millis;
        assert!(external_rebuild_due(None, now), "never computed");
        // 100,000 customers: 1.2 s to compute, so 4.8 s between.
        let big = |ago| Some((now - ms(ago), ms(1_200)));
        assert!(!external_rebuild_due(big(0), now));
        assert!(!external_rebuild_due(big(4_799), now));
        assert!(external_rebuild_due(big(4_800), now));
        assert!(
            external_rebuild_due(big(60_000), now),
            "after a quiet while, at once"
        );
        // A small portfolio follows at once; a huge one waits 10 s at the most.
        assert!(external_rebuild_due(Some((now - ms(80), ms(20))), now));
        assert!(!external_rebuild_due(Some((now - ms(79), ms(20))), now));
        assert!(!external_rebuild_due(
            Some((now - ms(9_999), ms(30_000))),
            now
        ));
        assert!(external_rebuild_due(
            Some((now - ms(10_000), ms(30_000))),
            now
        ));
    }

    /// A session in one's own shell is told when its user's role changes; one over SSH,
    /// whose key proved who they are, is not (the server cuts it), nor is one whose role
    /// stayed.
    #[test]
    fn only_the_sessions_in_ones_own_shell_follow_a_role_change() {
        let as_of = Date::from_ymd_opt(2026, 4, 30).unwrap();
        let (_dir, mut worker, _) = worker(as_of);
        worker.join(
            2,
            Actor::verified("alice", Role::Manager),
            FileAccess::own(),
        );
        worker.join(3, Actor::new("alice", Role::Manager), FileAccess::own());
        worker.join(4, Actor::new("carol", Role::Manager), FileAccess::own());
        // Opened as `--as DANA` before dana was registered: the file's owner until then.
        worker.join(5, Actor::new("DANA", Role::Manager), FileAccess::own());
        worker.join(6, Actor::new("ALICE", Role::Manager), FileAccess::own());
        let root = crate::domain::action_checks::Stamp::for_actor(
            &Actor::new("root", Role::Manager),
            chrono::Utc::now(),
            as_of,
        )
        .unwrap();
        worker
            .store
            .users_mut()
            .add(&root, "dana", Role::Manager, &[])
            .unwrap();
        worker
            .store
            .users_mut()
            .add(&root, "alice", Role::Collector, &[])
            .unwrap();
        let mut told = Vec::new();
        worker.follow_roles(&mut |sid, r| told.push((sid, r)));
        // Session 1 was alice the collector already; carol, not registered, is still the
        // file's owner. A name in another case is the user it names: her role, and her
        // name as registered for what the session records from now on.
        assert_eq!(
            told,
            [
                (3, Response::Actor(Actor::new("alice", Role::Collector))),
                (5, Response::Actor(Actor::new("dana", Role::Manager))),
                (6, Response::Actor(Actor::new("alice", Role::Collector))),
            ]
        );
        assert_eq!(worker.sessions[&2].actor.role, Role::Manager);
        assert_eq!(worker.sessions[&3].actor.role, Role::Collector);
        assert_eq!(
            worker.sessions[&6].actor,
            Actor::new("alice", Role::Collector)
        );
        told.clear();
        worker.follow_roles(&mut |sid, r| told.push((sid, r)));
        assert!(told.is_empty(), "told once");
    }
}
