//! One workstation, many sessions: [`Workstation::open`] starts the back end once on a
//! database; [`Workstation::connect`] gives each screen (the local terminal, every SSH
//! session of `owed serve`) a [`Session`] that sends requests and receives answers.
//!
//! Portfolios are shared by date. The sessions as of the same date look at one portfolio:
//! one [`PortfolioWorker`] on its own thread with one connection, one queue table, one set of
//! figures, one DSO and one forecast; a session keeps only its own view (filter, sort, scope,
//! tab, page, selection — on its side — and its last page and detail requests on the
//! worker's). A session that asks for another date than the others gets a portfolio of that
//! date (what a single user's `:asof` always did), shared with any other session of that date
//! and ended once no session looks at it, so that one collector's month-end review never
//! makes the others wait. A server keeps the portfolio of its today ([`Workstation::keep`]):
//! it is computed before the first session asks, and stays when the last one leaves.
//!
//! A save by one session reaches every session looking at the same portfolio at once (their
//! figures, last page and detail are answered again); the other portfolios, and every
//! portfolio after another process's commit, see it through `PRAGMA data_version` within a
//! second.
//!
//! Each session's engagement worker (plans, previews, holds, sending) starts when the session
//! first asks for it, acting as the session's actor; it opens a connection for each request
//! and holds nothing between them. Today's plan is computed once for every session that asks
//! for it while nothing is committed ([`super::engage::plans`]), and kept once.
//!
//! Drafts: a session that ends hands over its form half-typed and the drafts kept with `Esc`
//! ([`Session::keep_drafts`]); the service keeps each user's, one per form, customers and
//! timeline entry (the latest of each, at most [`MAX_DRAFTS`]), **in memory** (a restart of
//! the server loses them; nothing half-typed is ever written to the database), and the user's
//! next session takes them all ([`Session::take_drafts`]): it reopens the last form, and the
//! same form on each other customer brings its draft back.

use super::engage::plans::{Plans, PlansHeld};
use super::engage::worker::{
    self as engage_worker, EngageSettings, EngageWorker, MailerFactory, Sends,
};
use super::engage::{EngageRequest, EngageResponse};
use super::files::FileAccess;
use super::portfolio::{Envelope, PortfolioWorker, SessionId, Settings};
use super::requests::{Request, Response};
use super::save::FormKind;
use crate::config::Config;
use crate::domain::Date;
use crate::domain::users::Actor;
use crate::engage::RetryPolicy;
use crate::store::Store;
use crate::{Error, Result};
use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// Everything the service takes from the config.
#[derive(Clone)]
pub struct ServiceSettings {
    /// The portfolio's arithmetic.
    pub settings: Settings,
    /// The reasons a dispute may give.
    pub dispute_reasons: Vec<String>,
    /// The engagement's config (cycles, templates, SMTP, base currency).
    pub config: Config,
    /// How patiently a send retries the mail server.
    pub retry: RetryPolicy,
    /// Makes each send's mailer (SMTP, the text-message provider; tests give their own).
    pub mailer: MailerFactory,
}

impl ServiceSettings {
    /// The settings of a config: its arithmetic, dispute reasons and engagement, sending over
    /// SMTP.
    pub fn from_config(config: &Config) -> Result<ServiceSettings> {
        Ok(ServiceSettings {
            settings: Settings {
                bounds: config.aging().map_err(Error::input)?,
                base_currency: config.base_currency.clone(),
                grace_days: config.promise_grace_days,
            },
            dispute_reasons: config.dispute_reasons.clone(),
            config: config.clone(),
            retry: RetryPolicy::default(),
            mailer: engage_worker::config_senders(),
        })
    }
}

/// What a session receives.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// An answer of its portfolio.
    Data(Response),
    /// An answer of its engagement worker.
    Engage(EngageResponse),
    /// Its portfolio's worker stopped (it failed); the sentence says so.
    Stopped(String),
}

/// A form half-typed when its session ended, kept for the user's next session.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub kind: FormKind,
    /// The customers it was for.
    pub cids: Vec<i64>,
    /// Who, as the form's title said (`Acme Corp (K6)`, `3 marked customers`).
    pub target: String,
    /// The customers were the marked ones.
    pub marked: bool,
    /// Each field's text as typed, in the form's order (`None`: not typed into, its default
    /// comes again when the form reopens).
    pub fields: Vec<Option<String>>,
    /// The field that had the cursor.
    pub focus: usize,
    /// The session's as-of date.
    pub as_of: Date,
    /// The timeline entry's record the form acted on (a promise voided, an issue resolved).
    pub record: Option<i64>,
    /// Closed keeping the draft (`Esc`, `y`), rather than open when its session ended.
    pub kept: bool,
}

impl Draft {
    /// Whether `other` is a draft of the same form: its kind, customers and record.
    pub fn same_form(&self, other: &Draft) -> bool {
        let sorted = |cids: &[i64]| {
            let mut cids = cids.to_vec();
            cids.sort_unstable();
            cids
        };
        self.kind == other.kind
            && self.record == other.record
            && sorted(&self.cids) == sorted(&other.cids)
    }
}

/// The most drafts kept for one user: past it the oldest go (each field holds up to 20,000
/// characters).
pub const MAX_DRAFTS: usize = 50;

/// Where a session's answers go.
type Sink = Box<dyn Fn(Answer) -> bool + Send>;

/// A portfolio's worker as the service holds it.
struct Portfolio {
    envelopes: Sender<Envelope>,
    /// Its saves sent and not yet answered (see [`Saves`]).
    saves: Arc<AtomicUsize>,
    sessions: BTreeSet<SessionId>,
    /// Kept when no session looks at it (the server's today).
    kept: bool,
    /// Tells a worker started again apart from the one that stopped.
    generation: u64,
}

/// The service's shared state.
struct Shared {
    db: PathBuf,
    settings: ServiceSettings,
    /// The database can only be read here.
    read_only: bool,
    /// The schema versions opening brought the database from and to, when it did.
    upgraded: Option<(usize, usize)>,
    /// The connection opened to check the database, until the first portfolio takes it.
    spare: Mutex<Option<Store>>,
    next: AtomicU64,
    portfolios: Mutex<HashMap<Date, Portfolio>>,
    sinks: Mutex<HashMap<SessionId, Sink>>,
    /// Each user's drafts, the latest last (in memory only).
    drafts: Mutex<HashMap<String, Vec<Draft>>>,
    /// The saves in progress, of every portfolio.
    saves: Saves,
    /// Today's engagement plan, shared by the sessions' engagement workers.
    plans: Arc<Plans>,
    /// The sessions' sends of reminders in progress.
    sends: Arc<Sends>,
}

/// The saves sessions have sent and no worker has answered yet: what a stopping server or
/// a workstation ended by a signal waits for ([`Workstation::finish_saves`]), so that a
/// bulk note is not cut off part-way by the process's end.
#[derive(Default)]
struct Saves {
    pending: Mutex<usize>,
    changed: std::sync::Condvar,
}

impl Saves {
    fn add(&self, n: usize) {
        *lock(&self.pending) += n;
    }

    fn sub(&self, n: usize) {
        let mut pending = lock(&self.pending);
        *pending = pending.saturating_sub(n);
        self.changed.notify_all();
    }

    /// Waits until none is pending, at most `timeout`; how many still are.
    fn wait(&self, timeout: Duration) -> usize {
        let pending = lock(&self.pending);
        let (pending, _) = self
            .changed
            .wait_timeout_while(pending, timeout, |n| *n > 0)
            .unwrap_or_else(|e| e.into_inner());
        *pending
    }
}

/// Locks a mutex, also after a thread panicked holding it (the maps stay consistent: every
/// change to them is one insert or remove).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// Gives a session's answer to where it goes; false when the session is gone.
    fn deliver(&self, session: SessionId, answer: Answer) -> bool {
        let sinks = lock(&self.sinks);
        sinks.get(&session).is_some_and(|sink| sink(answer))
    }

    /// Starts the worker of a portfolio as of `as_of`.
    fn start(self: &Arc<Shared>, as_of: Date) -> Result<Portfolio> {
        let settings = self.settings.settings.clone();
        let worker = match lock(&self.spare).take() {
            Some(store) => PortfolioWorker::with_store(store, settings)?,
            None => PortfolioWorker::open(&self.db, settings)?,
        }
        .with_dispute_reasons(self.settings.dispute_reasons.clone())
        .with_max_attachment_mb(self.settings.config.max_attachment_mb);
        let generation = self.next.fetch_add(1, Ordering::Relaxed);
        let (envelopes, rx) = mpsc::channel();
        let shared: Weak<Shared> = Arc::downgrade(self);
        let saves = Arc::new(AtomicUsize::new(0));
        let mine = saves.clone();
        std::thread::Builder::new()
            .name("owed-portfolio".into())
            .spawn(move || {
                let to = shared.clone();
                let answered = mine.clone();
                crate::error::panics_handled_on_this_thread();
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                    worker.run(rx, move |session, response| {
                        if let Some(s) = to.upgrade() {
                            if matches!(response, Response::Saved { .. }) {
                                // One save answered: one fewer in progress.
                                if answered
                                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                        n.checked_sub(1)
                                    })
                                    .is_ok()
                                {
                                    s.saves.sub(1);
                                }
                            }
                            s.deliver(session, Answer::Data(response));
                        }
                    })
                }));
                if let Some(s) = shared.upgrade() {
                    // Those it never answered (it failed) are in progress no longer.
                    s.saves.sub(mine.swap(0, Ordering::SeqCst));
                    if run.is_err() {
                        s.stopped(as_of, generation);
                    }
                }
            })
            .map_err(|e| Error::runtime(format!("cannot start the data worker: {e}")))?;
        Ok(Portfolio {
            envelopes,
            saves,
            sessions: BTreeSet::new(),
            kept: false,
            generation,
        })
    }

    /// A portfolio's worker failed: its sessions are told, and the next request of any of
    /// them starts a new one.
    fn stopped(&self, as_of: Date, generation: u64) {
        let sessions = {
            let mut map = lock(&self.portfolios);
            match map.get(&as_of) {
                Some(p) if p.generation == generation => {
                    map.remove(&as_of).map(|p| p.sessions).unwrap_or_default()
                }
                _ => BTreeSet::new(),
            }
        };
        for session in sessions {
            self.deliver(
                session,
                Answer::Stopped("the data worker stopped".to_string()),
            );
        }
    }

    /// The portfolio of `as_of` for a session now at `current` (which it leaves): started
    /// when no session looks at that date yet. Returns its worker's channel.
    fn route(
        self: &Arc<Shared>,
        session: SessionId,
        actor: &Actor,
        files: &FileAccess,
        current: &mut Option<(Date, u64)>,
        as_of: Date,
    ) -> Result<(Sender<Envelope>, Arc<AtomicUsize>)> {
        let mut map = lock(&self.portfolios);
        let here = current
            .is_some_and(|(d, g)| d == as_of && map.get(&d).is_some_and(|p| p.generation == g));
        if !here {
            if let Some((old, _)) = current.take() {
                Shared::leave(&mut map, session, old);
            }
            let p = match map.entry(as_of) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(self.start(as_of)?),
            };
            p.sessions.insert(session);
            p.envelopes
                .send(Envelope::Join {
                    session,
                    actor: actor.clone(),
                    files: files.clone(),
                })
                .map_err(|_| Error::runtime("the data worker stopped"))?;
            *current = Some((as_of, p.generation));
        }
        let p = &map[&as_of];
        Ok((p.envelopes.clone(), p.saves.clone()))
    }

    /// A session leaves the portfolio of `as_of`; one nobody looks at and not kept ends.
    fn leave(map: &mut HashMap<Date, Portfolio>, session: SessionId, as_of: Date) {
        let Some(p) = map.get_mut(&as_of) else {
            return;
        };
        p.sessions.remove(&session);
        let _ = p.envelopes.send(Envelope::Leave { session });
        if p.sessions.is_empty() && !p.kept {
            // Its channel closes: the worker ends after what it is doing.
            map.remove(&as_of);
        }
    }
}

/// The workstation's back end, shared by every session (cheap to clone).
#[derive(Clone)]
pub struct Workstation {
    shared: Arc<Shared>,
}

impl Workstation {
    /// Opens the service on the database at `db`, which must exist (read-only when this
    /// user may only read it; a config of another base currency than the database's is
    /// refused). Nothing is computed until a session asks, or [`Workstation::keep`] says
    /// which portfolio to prepare.
    pub fn open(db: &Path, settings: ServiceSettings) -> Result<Workstation> {
        let store = Store::open_existing(db)?;
        store.check_base_currency(&settings.settings.base_currency)?;
        let settings_config = settings.config.clone();
        Ok(Workstation {
            shared: Arc::new(Shared {
                db: db.to_path_buf(),
                read_only: store.is_read_only(),
                upgraded: store.upgraded(),
                spare: Mutex::new(Some(store)),
                settings,
                // 0 is the synchronous calls' session (`portfolio::LOCAL`).
                next: AtomicU64::new(1),
                portfolios: Mutex::new(HashMap::new()),
                sinks: Mutex::new(HashMap::new()),
                drafts: Mutex::new(HashMap::new()),
                saves: Saves::default(),
                plans: Arc::new(Plans::new(db, settings_config)),
                sends: Arc::default(),
            }),
        })
    }

    /// The schema versions opening the service brought the database from and to, when it
    /// did ([`Store::upgraded`]).
    pub fn upgraded(&self) -> Option<(usize, usize)> {
        self.shared.upgraded
    }

    /// The database the service works on.
    pub fn db(&self) -> &Path {
        &self.shared.db
    }

    /// The settings the service was opened with.
    pub fn settings(&self) -> &ServiceSettings {
        &self.shared.settings
    }

    /// Whether the database can only be read (the title bar says so; writes fail naming
    /// the file).
    pub fn read_only(&self) -> bool {
        self.shared.read_only
    }

    /// Who acts under the name `name` in one's own shell: the registered user of that name
    /// with their role, else the file's owner, a manager (`owed serve` looks users up by key
    /// instead).
    pub fn local_actor(&self, name: &str) -> Result<Actor> {
        let spare = lock(&self.shared.spare);
        match spare.as_ref() {
            Some(store) => store.users().local_actor(name),
            None => Store::open_existing(&self.shared.db)?
                .users()
                .local_actor(name),
        }
    }

    /// A new session acting as `actor` (its saves, holds and sends are recorded for them).
    /// Its answers wait in the session ([`Session::recv_timeout`]) until it says where they
    /// go ([`Session::deliver_to`]).
    pub fn connect(&self, actor: Actor) -> Session {
        self.connect_with(actor, FileAccess::own())
    }

    /// A new session acting as `actor`, whose files are `files` (an SSH session's: only in
    /// the server's files folder).
    pub fn connect_with(&self, actor: Actor, files: FileAccess) -> Session {
        let id = self.shared.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel();
        lock(&self.shared.sinks).insert(id, Box::new(move |a| tx.send(a).is_ok()));
        Session {
            id,
            actor,
            files,
            shared: Arc::clone(&self.shared),
            current: Mutex::new(None),
            answers: Mutex::new(Some(rx)),
            engage: Mutex::new(None),
        }
    }

    /// Keeps the portfolio of `as_of` (the server's today) and computes it now, before a
    /// session asks; the one kept before is kept no longer (it ends once no session looks at
    /// it).
    pub fn keep(&self, as_of: Date) -> Result<()> {
        let mut map = lock(&self.shared.portfolios);
        let released: Vec<Date> = map
            .iter()
            .filter(|(d, p)| p.kept && **d != as_of)
            .map(|(d, _)| *d)
            .collect();
        for d in released {
            if let Some(p) = map.get_mut(&d) {
                p.kept = false;
                if p.sessions.is_empty() {
                    map.remove(&d);
                }
            }
        }
        let p = match map.entry(as_of) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(self.shared.start(as_of)?),
        };
        p.kept = true;
        p.envelopes
            .send(Envelope::Warm { as_of })
            .map_err(|_| Error::runtime("the data worker stopped"))
    }

    /// Waits, at most `timeout`, for the saves sessions have sent to be made (a bulk note on
    /// thousands of customers takes seconds; one waiting for another program's write lock,
    /// up to two minutes): the process ends only after them. Returns how many are still in
    /// progress.
    pub fn finish_saves(&self, timeout: Duration) -> usize {
        self.shared.saves.wait(timeout)
    }

    /// The sessions' sends of reminders: [`Sends::stop`] when the workstation begins to stop
    /// (no reminder is claimed after it), [`Workstation::finish_sends`] before its process
    /// ends.
    pub fn sends(&self) -> Arc<Sends> {
        Arc::clone(&self.shared.sends)
    }

    /// Stops the sessions' sends and waits, at most `timeout`, for the reminders handed over
    /// to the mail server to be answered and recorded (see [`Sends::finish`]): what is still
    /// being delivered then is left `pending`, maybe delivered, and returned.
    pub fn finish_sends(&self, timeout: Duration) -> Vec<String> {
        self.shared.sends.finish(timeout)
    }

    /// How long a send may wait for the answer to a reminder handed over: the mail server's
    /// deadline, or the text-message provider's when one is set (`[sms] url`) and longer.
    pub fn send_deadline(&self) -> Duration {
        let config = &self.shared.settings.config;
        let secs =
            |s: Option<u64>| s.map_or(crate::engage::smtp::DEFAULT_TIMEOUT, Duration::from_secs);
        let mail = secs(config.smtp.timeout_seconds);
        if config.sms.url.is_some() {
            mail.max(secs(config.sms.timeout_seconds))
        } else {
            mail
        }
    }

    /// What the engagement's shared plans hold: how many were computed, and the one kept.
    /// The sessions' engagement workers hold none between requests.
    pub fn plans_held(&self) -> PlansHeld {
        self.shared.plans.held()
    }

    /// The portfolios running: their date and how many sessions look at each.
    pub fn portfolios(&self) -> Vec<(Date, usize)> {
        let mut out: Vec<(Date, usize)> = lock(&self.shared.portfolios)
            .iter()
            .map(|(d, p)| (*d, p.sessions.len()))
            .collect();
        out.sort();
        out
    }
}

/// One screen's link to the workstation: it sends requests and receives answers. Dropping it
/// ends the session (its portfolio forgets it, its engagement worker stops after what it is
/// doing).
pub struct Session {
    id: SessionId,
    actor: Actor,
    /// Where its files are (checked again by the worker on every export and attachment).
    files: FileAccess,
    shared: Arc<Shared>,
    /// The portfolio it looks at: (date, worker generation).
    current: Mutex<Option<(Date, u64)>>,
    /// Its answers, until they are delivered elsewhere.
    answers: Mutex<Option<Receiver<Answer>>>,
    /// Its engagement worker, once asked for.
    engage: Mutex<Option<Sender<EngageRequest>>>,
}

impl Session {
    /// The session's number.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// Who the session acts as.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Whether the database can only be read.
    pub fn read_only(&self) -> bool {
        self.shared.read_only
    }

    /// Where its files are.
    pub fn files(&self) -> &FileAccess {
        &self.files
    }

    /// The reasons an `issue:` filter term may name as the session begins: the config's
    /// dispute reasons, the deductions' and those of every issue recorded
    /// ([`crate::store::Activity::issue_reasons`]), as `owed export queue --filter` checks
    /// them.
    pub fn issue_reasons(&self) -> Result<Vec<String>> {
        let configured = &self.shared.settings.dispute_reasons;
        let spare = lock(&self.shared.spare);
        match spare.as_ref() {
            Some(store) => store.activity().issue_reasons(configured),
            None => Store::open_existing(&self.shared.db)?
                .activity()
                .issue_reasons(configured),
        }
    }

    /// Sends a request to the portfolio of its date (joining it, leaving the one of the
    /// previous date).
    pub fn send(&self, request: Request) -> Result<()> {
        let mut current = lock(&self.current);
        let as_of = match &request {
            Request::Summary { as_of }
            | Request::Reload { as_of }
            | Request::Page { as_of, .. }
            | Request::Detail { as_of, .. }
            | Request::FormData { as_of, .. }
            | Request::Keys { as_of, .. }
            | Request::Export { as_of, .. }
            | Request::Attachment { as_of, .. }
            | Request::Team { as_of, .. } => *as_of,
            Request::Save { job, .. } => job.as_of,
            Request::MarkRepliesRead { .. } => match *current {
                Some((d, _)) => d,
                None => return Err(Error::runtime("the session has no figures yet")),
            },
        };
        let (to, saves) =
            self.shared
                .route(self.id, &self.actor, &self.files, &mut current, as_of)?;
        // Counted before it is sent: the worker may answer at once.
        let save = matches!(request, Request::Save { .. });
        if save {
            saves.fetch_add(1, Ordering::SeqCst);
            self.shared.saves.add(1);
        }
        to.send(Envelope::Request {
            session: self.id,
            request,
        })
        .map_err(|_| {
            if save {
                saves.fetch_sub(1, Ordering::SeqCst);
                self.shared.saves.sub(1);
            }
            Error::runtime("the data worker stopped")
        })
    }

    /// Sends a request to the session's engagement worker (started at the first one).
    pub fn engage(&self, request: EngageRequest) -> Result<()> {
        let mut engage = lock(&self.engage);
        if engage.is_none() {
            let s = &self.shared.settings;
            let worker = EngageWorker::with_plans(
                &self.shared.db,
                EngageSettings {
                    config: s.config.clone(),
                    actor: self.actor.clone(),
                    retry: s.retry,
                },
                Arc::clone(&s.mailer),
                Arc::clone(&self.shared.plans),
            )?
            .with_sends(Arc::clone(&self.shared.sends));
            let shared = Arc::downgrade(&self.shared);
            let id = self.id;
            let tx = engage_worker::spawn(worker, move |r| {
                shared
                    .upgrade()
                    .is_some_and(|s| s.deliver(id, Answer::Engage(r)))
            })?;
            *engage = Some(tx);
        }
        engage
            .as_ref()
            .expect("started above")
            .send(request)
            .map_err(|_| Error::runtime("the engagement worker stopped"))
    }

    /// The next answer, waiting at most `timeout` (`None`: none came, or the answers go
    /// elsewhere).
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Answer> {
        let answers = lock(&self.answers);
        answers.as_ref()?.recv_timeout(timeout).ok()
    }

    /// An answer that is waiting, if any.
    pub fn try_recv(&self) -> Option<Answer> {
        let answers = lock(&self.answers);
        answers.as_ref()?.try_recv().ok()
    }

    /// From now on the session's answers go to `sink` (which returns false once nobody
    /// listens), the ones waiting first.
    pub fn deliver_to(&self, sink: impl Fn(Answer) -> bool + Send + 'static) {
        // Under the sinks' lock no answer is delivered: none comes between the waiting ones
        // and the sink.
        let mut sinks = lock(&self.shared.sinks);
        if let Some(rx) = lock(&self.answers).take() {
            for answer in rx.try_iter() {
                sink(answer);
            }
        }
        sinks.insert(self.id, Box::new(sink));
    }

    /// Keeps drafts for the user's next session, beside those other sessions of theirs kept
    /// (one per form: a later draft of the same form replaces the earlier); how many.
    /// (Only the latest session's form half-typed was kept: two sessions that dropped lost
    /// the first one's, and drafts kept with `Esc` were lost with their session.)
    pub fn keep_drafts(&self, drafts: Vec<Draft>) -> usize {
        let n = drafts.len();
        if n == 0 {
            return 0;
        }
        let mut all = lock(&self.shared.drafts);
        let mine = all.entry(self.actor.name.clone()).or_default();
        for draft in drafts {
            mine.retain(|d| !d.same_form(&draft));
            mine.push(draft);
        }
        let over = mine.len().saturating_sub(MAX_DRAFTS);
        mine.drain(..over);
        n
    }

    /// The user's drafts, the latest last (they are this session's now: taken).
    pub fn take_drafts(&self) -> Vec<Draft> {
        lock(&self.shared.drafts)
            .remove(&self.actor.name)
            .unwrap_or_default()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        lock(&self.shared.sinks).remove(&self.id);
        if let Some((as_of, _)) = lock(&self.current).take() {
            Shared::leave(&mut lock(&self.shared.portfolios), self.id, as_of);
        }
    }
}
