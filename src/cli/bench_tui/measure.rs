//! `owed bench-tui`'s measurements: the workstation on a database (not a test: timings vary).
//!
//! - first frame: from start (config, keymap, theme, database open) to the first frame drawn,
//!   and to the first frame with the figures and the queue;
//! - key to frame: for moves, sorts, filters and searches (`note:`, `text:`, a document
//!   number), the time from the key to the frame drawn right after it, and to the frame
//!   drawn once the worker has answered (the worker is the real thread, the frame is
//!   rendered into a `TestBackend`);
//! - bytes: what crossterm writes for the first frame and for a one-row move (a
//!   `CrosstermBackend` over a `Vec<u8>`);
//! - idle: CPU time used by the process while nothing happens, from 1.5 s after the last key
//!   (Linux);
//! - saves (`--saves N`, writes to the database): for notes, promises and disputes through
//!   their forms, the time from Enter to the frame that shows "saved: …" with the refreshed
//!   metrics, queue and timeline, and to the frame once the cursor has moved on to the next
//!   customer and its detail is in.
//! - forecast: when it arrives after the first frame with data (it runs on its own thread),
//!   moves made while it computes, and its compute and apply time in the worker.

use crate::cli::Context;
use crate::cli::workstation::{self as cli_workstation};
use crate::tui::app::App;
use crate::tui::field::FieldId;
use crate::tui::update::{self, Effect};
use crate::tui::{forecast, view};
use crate::workstation::{
    self as data, Answer, PortfolioWorker, Response, ServiceSettings, Session, Workstation,
};
use crate::{Error, Result};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::time::{Duration, Instant};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub width: u16,
    pub height: u16,
    /// Key presses per kind.
    pub iterations: usize,
    /// How long to watch the idle process.
    pub idle: Duration,
    /// Saves of each kind of action to time (0: none; they write to the database).
    pub saves: usize,
}

/// Latencies of one kind of key, in milliseconds.
#[derive(Debug, Clone, Default)]
pub struct Latency {
    pub samples: usize,
    pub frame_p50: f64,
    pub frame_p99: f64,
    pub settled_p50: f64,
    pub settled_p99: f64,
    pub settled_max: f64,
}

/// The measurements.
#[derive(Debug, Clone, Default)]
pub struct BenchReport {
    pub customers: u64,
    pub documents: u64,
    pub first_frame_ms: f64,
    /// The first frame with the queue's rows.
    pub first_queue_frame_ms: f64,
    /// The first frame with everything asked for answered (the detail too).
    pub first_data_frame_ms: f64,
    /// From start to the frame with the forecast (risk, cash chart).
    pub forecast_frame_ms: f64,
    /// Moves pressed while the forecast computed.
    pub moves_during_forecast: Latency,
    pub moves: Latency,
    pub sorts: Latency,
    pub filters: Latency,
    /// Searches of the timeline's text and document numbers typed into `/`.
    pub searches: Latency,
    pub first_frame_bytes: usize,
    pub move_bytes: usize,
    pub move_detail_bytes: usize,
    pub idle_cpu_ms: Option<f64>,
    pub idle_seconds: f64,
    /// The worker's side of a start: (phase, ms).
    pub phases: Vec<(&'static str, f64)>,
    /// Enter in a form → the frame showing it saved (`frame_*`), → the next customer's detail
    /// in (`settled_*`), per kind of action.
    pub saves: Vec<(&'static str, Latency)>,
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "database: {} customers, {} documents",
            self.customers, self.documents
        )?;
        writeln!(
            f,
            "first frame (loading):        {:8.1} ms",
            self.first_frame_ms
        )?;
        writeln!(
            f,
            "first frame with the queue:   {:8.1} ms",
            self.first_queue_frame_ms
        )?;
        writeln!(
            f,
            "first frame with the detail:  {:8.1} ms",
            self.first_data_frame_ms
        )?;
        writeln!(
            f,
            "frame with the forecast:      {:8.1} ms",
            self.forecast_frame_ms
        )?;
        for (name, ms) in &self.phases {
            writeln!(f, "  worker alone: {name:18} {ms:8.1} ms")?;
        }
        writeln!(
            f,
            "key → frame, then → frame with the worker's answer (ms):"
        )?;
        for (name, l) in [
            ("moves while forecasting", &self.moves_during_forecast),
            ("moves", &self.moves),
            ("sorts", &self.sorts),
            ("filters", &self.filters),
            ("searches", &self.searches),
        ] {
            writeln!(
                f,
                "  {name:23} n={:4}  frame p50 {:6.2} p99 {:6.2}  answered p50 {:6.2} p99 {:6.2} max {:6.2}",
                l.samples, l.frame_p50, l.frame_p99, l.settled_p50, l.settled_p99, l.settled_max
            )?;
        }
        if !self.saves.is_empty() {
            writeln!(
                f,
                "save (Enter in a form) → frame showing it saved, then → next customer's detail in (ms):"
            )?;
        }
        for (name, l) in &self.saves {
            writeln!(
                f,
                "  {name:16} n={:4}  saved p50 {:6.2} p99 {:6.2}  moved on p50 {:6.2} p99 {:6.2} max {:6.2}",
                l.samples, l.frame_p50, l.frame_p99, l.settled_p50, l.settled_p99, l.settled_max
            )?;
        }
        writeln!(
            f,
            "bytes, first frame:           {:8}",
            self.first_frame_bytes
        )?;
        writeln!(f, "bytes, one-row move:          {:8}", self.move_bytes)?;
        writeln!(
            f,
            "bytes, its detail arriving:   {:8}",
            self.move_detail_bytes
        )?;
        match self.idle_cpu_ms {
            Some(ms) => writeln!(
                f,
                "CPU while idle for {:.0} s:      {:8.1} ms",
                self.idle_seconds, ms
            ),
            None => writeln!(f, "CPU while idle: not measured on this platform"),
        }
    }
}

/// The app, a session of the real service (its worker threads) and a test terminal, driven
/// key by key.
struct Harness {
    app: App,
    session: Session,
    terminal: Terminal<TestBackend>,
}

impl Harness {
    fn apply(&mut self, effects: Vec<Effect>) -> Result<usize> {
        let mut sent = 0;
        for e in effects {
            if let Effect::Request(r) = e {
                self.session.send(r)?;
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// The next answer of the data worker (the engagement's are not measured here).
    fn answer(&self, timeout: Duration, late: &str) -> Result<Response> {
        loop {
            match self.session.recv_timeout(timeout) {
                Some(Answer::Data(Response::Error(e))) => {
                    return Err(Error::runtime(format!("database: {e}")));
                }
                Some(Answer::Data(r)) => return Ok(r),
                Some(Answer::Engage(_)) => {}
                Some(Answer::Stopped(why)) => return Err(Error::runtime(why)),
                None => return Err(Error::runtime(late.to_string())),
            }
        }
    }

    /// Takes the worker's answers until `done` holds.
    fn wait_until(&mut self, done: impl Fn(&App) -> bool) -> Result<()> {
        while !done(&self.app) {
            let answer = self.answer(Duration::from_secs(120), "the data worker did not answer")?;
            let more = update::response(&mut self.app, answer);
            self.apply(more)?;
        }
        Ok(())
    }

    /// Waits until every request is answered (and those the answers lead to).
    fn settle(&mut self, sent: usize) -> Result<()> {
        let mut waiting = sent > 0;
        while waiting {
            let answer = self.answer(Duration::from_secs(120), "the data worker did not answer")?;
            let more = update::response(&mut self.app, answer);
            self.apply(more)?;
            waiting = !settled(&self.app);
        }
        Ok(())
    }

    fn draw(&mut self) -> Result<()> {
        let app = &self.app;
        self.terminal
            .draw(|f| view::draw(f, app))
            .map_err(|e| Error::runtime(e.to_string()))?;
        Ok(())
    }

    /// Presses a key; returns (ms to the first frame, ms to the answered frame).
    fn press(&mut self, key: KeyEvent) -> Result<(f64, f64)> {
        let t = Instant::now();
        let fx = update::key(&mut self.app, key);
        let sent = self.apply(fx)?;
        self.draw()?;
        let frame = ms(t.elapsed());
        self.settle(sent)?;
        self.draw()?;
        Ok((frame, ms(t.elapsed())))
    }

    /// Waits for the forecast and the answers it brings, then draws.
    fn await_forecast(&mut self) -> Result<()> {
        while forecast::current(&self.app).is_none() || !settled(&self.app) {
            let answer = self.answer(Duration::from_secs(300), "the forecast did not arrive")?;
            let more = update::response(&mut self.app, answer);
            self.apply(more)?;
        }
        self.draw()
    }
}

/// Nothing asked of the worker is unanswered.
fn settled(app: &App) -> bool {
    let detail_loaded = match app.detail_cid {
        None => true,
        Some(cid) => app
            .detail
            .as_ref()
            .is_some_and(|d| d.detail.header.cid == cid),
    };
    app.inflight.is_none() && !app.summary_pending && detail_loaded
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ch(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn latency(samples: &[(f64, f64)]) -> Latency {
    let mut frames: Vec<f64> = samples.iter().map(|s| s.0).collect();
    let mut settled: Vec<f64> = samples.iter().map(|s| s.1).collect();
    frames.sort_by(f64::total_cmp);
    settled.sort_by(f64::total_cmp);
    Latency {
        samples: samples.len(),
        frame_p50: percentile(&frames, 0.5),
        frame_p99: percentile(&frames, 0.99),
        settled_p50: percentile(&settled, 0.5),
        settled_p99: percentile(&settled, 0.99),
        settled_max: settled.last().copied().unwrap_or(0.0),
    }
}

/// Runs the measurements on the context's database.
pub fn run(ctx: &Context, options: &BenchOptions) -> Result<BenchReport> {
    let start = Instant::now();
    let setup = cli_workstation::setup(ctx)?;
    let service = ServiceSettings::from_config(&ctx.config)?;
    let settings = service.settings.clone();
    let workstation = Workstation::open(&ctx.db_path, service)?;
    let actor = workstation.local_actor(&ctx.collector)?;
    let session = workstation.connect(actor);
    let mut app = setup.app();
    // Everyone's customers: the largest queue the database has.
    app.query.scope = crate::domain::queue::Scope::Everyone;
    let terminal = Terminal::new(TestBackend::new(options.width, options.height))
        .map_err(|e| Error::runtime(e.to_string()))?;
    let mut h = Harness {
        app,
        session,
        terminal,
    };
    // The size first, then one batch: the figures and the first page together.
    h.app.size = (options.width, options.height);
    let fx = update::start(&mut h.app);
    h.apply(fx)?;
    h.draw()?;
    let first_frame_ms = ms(start.elapsed());
    // Answers one by one: the frame with the queue's rows, then the one with everything asked
    // for (the detail too).
    let mut first_queue_frame_ms = None;
    while first_queue_frame_ms.is_none() || !settled(&h.app) {
        let answer = h.answer(Duration::from_secs(120), "the data worker did not answer")?;
        let more = update::response(&mut h.app, answer);
        h.apply(more)?;
        if first_queue_frame_ms.is_none() && h.app.loaded.is_some() {
            h.draw()?;
            first_queue_frame_ms = Some(ms(start.elapsed()));
        }
    }
    h.draw()?;
    let first_data_frame_ms = ms(start.elapsed());
    let first_queue_frame_ms = first_queue_frame_ms.unwrap_or(first_data_frame_ms);

    let n = options.iterations.max(1);
    // The forecast computes on its own thread now: keys still answer.
    let mut during = Vec::new();
    while during.len() < n && forecast::current(&h.app).is_none() {
        let k = if during.len() % 2 == 0 {
            ch('j')
        } else {
            ch('k')
        };
        during.push(h.press(k)?);
    }
    h.await_forecast()?;
    let forecast_frame_ms = ms(start.elapsed());
    let mut moves = Vec::with_capacity(n * 2);
    for i in 0..n * 2 {
        let k = if i % 20 < 15 { ch('j') } else { ch('k') };
        moves.push(h.press(k)?);
    }
    let mut sorts = Vec::with_capacity(n);
    let sort_keys = ['O', 'D', 'U', 'L', 'N', 'O'];
    for i in 0..n {
        sorts.push(h.press(ch(sort_keys[i % sort_keys.len()]))?);
    }
    let mut filters = Vec::with_capacity(n * 8);
    let queries = ["acme", "overdue>5000", "bucket:90+", "days>60", "zz"];
    let mut i = 0;
    while filters.len() < n * 4 {
        let q = queries[i % queries.len()];
        i += 1;
        filters.push(h.press(ch('/'))?);
        for c in q.chars() {
            filters.push(h.press(ch(c))?);
        }
        filters.push(h.press(key(KeyCode::Enter))?);
        filters.push(h.press(key(KeyCode::Esc))?);
    }
    // Searches typed the same way: the notes' words (FTS5), all activity, a document number.
    let searches_typed = ["note:approval", "text:\"payment run\"", "A2024-0000001"];
    let mut searches = Vec::with_capacity(n * 4);
    let mut i = 0;
    while searches.len() < n * 2 {
        let q = searches_typed[i % searches_typed.len()];
        i += 1;
        searches.push(h.press(ch('/'))?);
        for c in q.chars() {
            searches.push(h.press(ch(c))?);
        }
        searches.push(h.press(key(KeyCode::Enter))?);
        searches.push(h.press(key(KeyCode::Esc))?);
    }
    // Bytes: the same state drawn through crossterm into memory.
    let (first_frame_bytes, move_bytes, move_detail_bytes) = bytes(&mut h, options)?;
    // Idle before the saves: a promise or dispute saved restarts the forecast a moment later,
    // which is work, not idling.
    let (idle_cpu_ms, idle_seconds) = idle(options.idle);
    let saves = if options.saves > 0 {
        saves(&mut h, options.saves)?
    } else {
        Vec::new()
    };
    let counts = crate::store::Store::open_existing(&ctx.db_path)?
        .ledger()
        .counts()?;
    let phases = phases(ctx, &settings, &h.app)?;
    Ok(BenchReport {
        customers: counts.customers,
        documents: counts.documents,
        phases,
        first_frame_ms,
        first_queue_frame_ms,
        first_data_frame_ms,
        forecast_frame_ms,
        moves_during_forecast: latency(&during),
        moves: latency(&moves),
        sorts: latency(&sorts),
        filters: latency(&filters),
        searches: latency(&searches),
        first_frame_bytes,
        move_bytes,
        move_detail_bytes,
        idle_cpu_ms,
        idle_seconds,
        saves,
    })
}

/// Times `n` saves of a note, a promise and a dispute through their forms, walking down the
/// queue (the cursor moves on after each).
fn saves(h: &mut Harness, n: usize) -> Result<Vec<(&'static str, Latency)>> {
    // Key sequences typed into each form once its defaults are in (the promise keeps the
    // proposed amount and documents, the dispute takes the first reason and the default
    // amount).
    let kinds: [(&str, char, &[KeyEvent]); 3] = [
        (
            "notes",
            'n',
            &[ch('C'), ch('a'), ch('l'), ch('l'), ch('e'), ch('d')],
        ),
        (
            "promises",
            'p',
            &[key(KeyCode::Down), ch('+'), ch('7'), ch('d')],
        ),
        ("disputes", 'i', &[key(KeyCode::Tab)]),
    ];
    let mut out = Vec::new();
    for (name, open, typed) in kinds {
        out.push((name, save_latency(h, n, name, open, typed)?));
    }
    // The same with a filter on the queue: its tab counts are counted again after a save.
    for k in [ch('/')]
        .into_iter()
        .chain("overdue>1k".chars().map(ch))
        .chain([key(KeyCode::Enter)])
    {
        let fx = update::key(&mut h.app, k);
        let sent = h.apply(fx)?;
        h.settle(sent)?;
    }
    let (name, open, typed) = kinds[0];
    out.push(("notes, filtered", save_latency(h, n, name, open, typed)?));
    Ok(out)
}

/// Times `n` saves of one form. A promise form that proposes no amount (its customer's open
/// promises leave nothing to promise, its overdue documents all in dispute, as a short
/// payment leaves one, or none overdue) is
/// closed and the cursor moves on: the keys typed keep the proposal, and there is none.
fn save_latency(
    h: &mut Harness,
    n: usize,
    name: &str,
    open: char,
    typed: &[KeyEvent],
) -> Result<Latency> {
    {
        let mut samples = Vec::with_capacity(n);
        let mut passed = 0;
        while samples.len() < n {
            let fx = update::key(&mut h.app, ch(open));
            h.apply(fx)?;
            h.wait_until(|app| app.form.as_ref().is_some_and(|f| f.data.is_some()))?;
            let proposes = |app: &App| {
                app.form
                    .as_ref()
                    .and_then(|f| f.field(FieldId::Amount))
                    .is_none_or(|f| !f.value().is_empty())
            };
            if open == 'p' && !proposes(&h.app) {
                passed += 1;
                if passed > n.max(100) {
                    return Err(Error::runtime(format!(
                        "the {name} form proposed no amount for {passed} customers in a row \
                         down the queue: nothing to save"
                    )));
                }
                let fx = update::key(&mut h.app, key(KeyCode::Esc));
                h.apply(fx)?;
                let fx = update::key(&mut h.app, ch('j'));
                let sent = h.apply(fx)?;
                h.settle(sent)?;
                continue;
            }
            passed = 0;
            for k in typed {
                let fx = update::key(&mut h.app, *k);
                h.apply(fx)?;
            }
            let t = Instant::now();
            let fx = update::key(&mut h.app, key(KeyCode::Enter));
            if h.apply(fx)? == 0 {
                return Err(Error::runtime(format!(
                    "the {name} form on {} did not save: {:?}",
                    h.app.form.as_ref().map_or("", |f| f.target.as_str()),
                    h.app.form.as_ref().and_then(|f| f.message.clone())
                )));
            }
            h.draw()?;
            h.wait_until(|app| app.form.is_none())?;
            h.draw()?;
            let saved = ms(t.elapsed());
            if h.app.status.as_ref().is_none_or(|s| s.error) {
                return Err(Error::runtime(format!(
                    "saving a {name} form failed: {:?}",
                    h.app.status
                )));
            }
            if !settled(&h.app) {
                h.settle(1)?;
            }
            h.draw()?;
            samples.push((saved, ms(t.elapsed())));
        }
        Ok(latency(&samples))
    }
}

fn bytes(h: &mut Harness, options: &BenchOptions) -> Result<(usize, usize, usize)> {
    let area = Rect::new(0, 0, options.width, options.height);
    let counter = ByteCounter::default();
    let mut term = Terminal::with_options(
        CrosstermBackend::new(counter.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(area),
        },
    )?;
    let mut frame = |app: &App| -> Result<usize> {
        let before = counter.bytes();
        term.draw(|f| view::draw(f, app))?;
        Ok(counter.bytes() - before)
    };
    let first = frame(&h.app)?;
    let fx = update::key(&mut h.app, ch('j'));
    let sent = h.apply(fx)?;
    let moved = frame(&h.app)?;
    h.settle(sent)?;
    let detail = frame(&h.app)?;
    Ok((first, moved, detail))
}

/// Times the worker's answers to a start on their own connection: the figures (by phase), the
/// first page and a detail.
fn phases(ctx: &Context, settings: &data::Settings, app: &App) -> Result<Vec<(&'static str, f64)>> {
    let log = super::timing_log::TimingLog::install().unwrap_or_default();
    let mut source = PortfolioWorker::open(&ctx.db_path, settings.clone())?;
    let as_of = app.as_of;
    let mut first = app.query.clone();
    first.filter = Default::default();
    let t = Instant::now();
    source.handle_batch_now(vec![
        data::Request::Summary { as_of },
        data::Request::Page {
            seq: 0,
            as_of,
            query: first,
            offset: 0,
            limit: 150,
        },
    ]);
    let figures = ms(t.elapsed());
    let timings = log.last("figures");
    let t = Instant::now();
    source.handle_batch(Vec::new());
    let deferred = ms(t.elapsed());
    let forecast = log.last("forecast");
    let dso = deferred - forecast.ms("compute_ms") - forecast.ms("apply_ms");
    let mut query = app.query.clone();
    query.sort = crate::domain::queue::SortKey::Overdue;
    query.descending = true;
    query.filter = Default::default();
    let t = Instant::now();
    let answers = source.handle(data::Request::Page {
        seq: 1,
        as_of,
        query: query.clone(),
        offset: 0,
        limit: 150,
    });
    let page = ms(t.elapsed());
    let (cid, total) = answers
        .iter()
        .find_map(|a| match a {
            Response::Page { page, .. } => Some((page.rows.first().map(|r| r.cid), page.total)),
            _ => None,
        })
        .unwrap_or((None, 0));
    let t = Instant::now();
    let answers = source.handle(data::Request::Page {
        seq: 2,
        as_of,
        query,
        offset: total.saturating_sub(150),
        limit: 150,
    });
    let last_page = ms(t.elapsed());
    drop(answers);
    let t = Instant::now();
    if let Some(cid) = cid {
        source.handle(data::Request::Detail { seq: 3, as_of, cid });
    }
    let detail = ms(t.elapsed());
    // The data changed: the figures again, the forecast of the date written back at once.
    let t = Instant::now();
    source.handle(data::Request::Reload { as_of });
    let again = ms(t.elapsed());
    Ok(vec![
        ("figures, in all", figures),
        ("… open items ∥ activity", timings.ms("portfolio_ms")),
        ("…   the activity alone", timings.ms("activity_ms")),
        ("… first page (figures)", timings.ms("first_page_ms")),
        ("… queue table", timings.ms("queue_table_ms")),
        ("DSO (after the page)", dso),
        ("forecast (after it)", forecast.ms("compute_ms")),
        ("… risk into the queue", forecast.ms("apply_ms")),
        ("…   its longest slice", forecast.ms("longest_slice_ms")),
        ("first page (SQL)", page),
        ("last page", last_page),
        ("customer detail", detail),
        ("figures again + risk", again),
    ])
}

/// A writer that only counts what is written to it.
#[derive(Clone, Default)]
struct ByteCounter(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl ByteCounter {
    fn bytes(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .fetch_add(buf.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// CPU time (ms) the process uses while nobody touches it, from /proc.
/// How long after the last key the idle watch starts.
const IDLE_SETTLE: Duration = Duration::from_millis(1500);

fn idle(wait: Duration) -> (Option<f64>, f64) {
    // What follows the last key first (the queue table read into memory once the keys
    // pause, a forecast's risks written): then nothing should run at all.
    std::thread::sleep(IDLE_SETTLE);
    let before = cpu_ms();
    std::thread::sleep(wait);
    let after = cpu_ms();
    let used = before.zip(after).map(|(b, a)| a - b);
    (used, wait.as_secs_f64())
}

fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // Clock ticks are 100 per second on Linux.
    Some((utime + stime) * 10.0)
}
