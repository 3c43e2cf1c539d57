//! The forecast in the workstation's service: each open document's predicted payment date with its
//! reason, the 13-week cash forecast and every customer's risk ([`Forecast::compute`]).
//!
//! The forecast reads the whole portfolio's history (seconds at 100k customers), so the
//! worker never computes it on the input path: once the figures, the first page and the DSO
//! are answered, it runs on a thread of its own with its own connection, and the worker
//! picks the result up between requests. The worker then writes each customer's risk into
//! the queue's TEMP table (the High risk tab and the risk order are paged in SQL), answers
//! [`ForecastView`] and the last page and detail again. It is computed once per as-of date
//! and again when the data changes: at once for a new date, when the figures are asked for
//! again (`R`); after a promise, dispute or resolution saved in the workstation (its own
//! commits do not change the connection's `data_version`) once the saves have paused for
//! [`SAVE_SETTLE`]; at most every [`RECOMPUTE_SPACING`] for changes of the data. Until the new one arrives, the
//! previous forecast of the same date stays on screen.

use crate::domain::Date;
use crate::domain::forecast::Risk;
use crate::domain::forecast::cash::CashForecast;
use crate::report::forecast::Forecast;
use crate::store::Store;
use crate::store::queue::mirror::QueueMirror;
use crate::store::queue::risk::{QueueRisk, risk_changes};
use crate::store::queue::tab_counts::UnfilteredCounts;
use crate::{Error, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// Least time between two forecasts started because the data changed (another collector's
/// commits come often; the forecast costs seconds of CPU at 100k customers).
pub const RECOMPUTE_SPACING: Duration = Duration::from_secs(10);

/// How often the worker looks whether the forecast thread is done while it runs.
pub const FORECAST_POLL: Duration = Duration::from_millis(50);

/// How long the collector's saves must have stopped before the forecast they moved is
/// started again: a run of saves (a promise on each of ten customers) costs one forecast,
/// started when the collector pauses, not one per save competing with the next save.
pub const SAVE_SETTLE: Duration = Duration::from_secs(2);

/// How many customers' risks are written into the queue table at a time, between requests:
/// about 8 ms at 100k customers on a 2-core machine, what a key pressed meanwhile waits at
/// most.
const RISK_SLICE: usize = 5_000;

/// The version of a forecast that no data version matches.
const STALE: i64 = i64::MIN;

/// What the screen shows of the portfolio's forecast (the per-customer parts come with the
/// detail, the risk with the queue's rows).
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastView {
    pub as_of: Date,
    /// Expected receipts by week, in the base currency.
    pub cash: CashForecast,
    /// Open documents predicted.
    pub documents: usize,
    /// Customers rated high risk (everyone's).
    pub high_risk: u64,
}

/// One open document's predicted payment date.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentPrediction {
    /// The billing id (as the detail's documents carry it).
    pub id: String,
    pub predicted: Date,
    /// "usually pays 12 days late; disputed".
    pub reason: String,
    /// Its open balance in the base currency.
    pub balance: crate::domain::Decimal,
    /// The cash the forecast expects for it then: its balance less what the customer's
    /// credit and cash in hand settle.
    pub cash: crate::domain::Decimal,
    /// How the date was made (model, median, promise) and that method's mean absolute
    /// error in days on this ledger's recent history, when checked.
    pub method: crate::domain::forecast::Method,
    pub backtest_mae: Option<f64>,
}

/// One customer's part of the forecast, for the detail.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerForecast {
    /// `None`: the customer has no documents (nothing to judge by).
    pub risk: Option<Risk>,
    pub documents: Vec<DocumentPrediction>,
}

/// A forecast computed (or failed) for a date and data version, already indexed by customer
/// on the thread that computed it (the worker only writes the risks into the queue).
pub struct Finished {
    as_of: Date,
    version: i64,
    result: Result<Prepared>,
    compute: Duration,
}

/// A forecast indexed for the workstation: by customer, and the risks by `cid`.
struct Prepared {
    customers: HashMap<i64, CustomerForecast>,
    risks: Vec<QueueRisk>,
    cash: CashForecast,
    documents: usize,
}

impl Prepared {
    fn new(forecast: Forecast) -> Prepared {
        let documents = forecast.documents.len();
        let mut customers: HashMap<i64, CustomerForecast> =
            HashMap::with_capacity(forecast.risks.len());
        for d in forecast.documents {
            customers
                .entry(d.cid)
                .or_default()
                .documents
                .push(DocumentPrediction {
                    id: d.id,
                    predicted: d.predicted,
                    reason: d.reason,
                    balance: d.balance,
                    cash: d.cash,
                    method: d.method,
                    backtest_mae: d.backtest_mae,
                });
        }
        let mut risks = Vec::with_capacity(forecast.risks.len());
        for (cid, risk) in forecast.risks {
            let open = customers.get(&cid).is_some_and(|c| !c.documents.is_empty());
            risks.push(QueueRisk::of(cid, &risk, open));
            customers.entry(cid).or_default().risk = Some(risk);
        }
        risks.sort_by_key(|r| r.cid);
        Prepared {
            customers,
            risks,
            cash: forecast.cash,
            documents,
        }
    }
}

/// Computes the forecast and indexes it (on the forecast's thread).
fn compute_prepared(store: &Store, as_of: Date, base: &str, grace: u32) -> Result<Prepared> {
    Forecast::compute(store, as_of, base, grace).map(Prepared::new)
}

struct Running {
    as_of: Date,
    version: i64,
    answer: Receiver<Finished>,
}

/// The forecast installed: by customer, and the risks for the queue table.
struct Loaded {
    as_of: Date,
    version: i64,
    customers: HashMap<i64, CustomerForecast>,
    risks: Vec<QueueRisk>,
    /// What was answered (a session that joins later is given it too).
    view: ForecastView,
}

/// What is left of installing a forecast: the risks that changed, written a slice at a time.
struct Installing {
    changes: Vec<QueueRisk>,
    /// How many of them are written.
    next: usize,
    compute: Duration,
    /// On the worker's thread, in all and the longest slice.
    spent: Duration,
    longest: Duration,
    slices: usize,
    /// The High risk tab as counted over the table: `None` when it must be counted again
    /// once the risks are written; the count kept when the new forecast changes no risk of
    /// a table that holds a whole forecast's (counted then, and moved by every save since).
    counted: Option<u64>,
}

/// The worker's side: which forecast is wanted, running and installed.
pub struct Forecasts {
    path: PathBuf,
    base_currency: String,
    grace_days: u32,
    /// The forecast to compute next: as of a date, for a data version.
    wanted: Option<(Date, i64)>,
    running: Option<Running>,
    loaded: Option<Loaded>,
    /// The loaded forecast's risks still being written into the queue table.
    installing: Option<Installing>,
    /// The queue table holds the whole of a forecast's risks of the loaded forecast's date:
    /// the loaded one's, or, while that one is being written over it, the one before it.
    written: bool,
    /// How many at a time ([`RISK_SLICE`]).
    slice: usize,
    last_start: Option<Instant>,
    /// The collector asked for fresh figures: the next start does not wait for the spacing.
    asked: bool,
    /// The collector saved what moves the forecast: none starts before this instant.
    settle_until: Option<Instant>,
    /// What the next forecast started waits for before it computes ([`Forecasts::hold`]).
    held: Option<Receiver<()>>,
}

impl Forecasts {
    /// Nothing wanted yet; threads open the database at `path`.
    pub fn new(path: &Path, base_currency: &str, grace_days: u32) -> Forecasts {
        Forecasts {
            path: path.to_path_buf(),
            base_currency: base_currency.to_string(),
            grace_days,
            wanted: None,
            running: None,
            loaded: None,
            installing: None,
            written: false,
            slice: RISK_SLICE,
            last_start: None,
            asked: false,
            settle_until: None,
            held: None,
        }
    }

    /// Holds the next forecast started on its thread back until `release` is sent to, or
    /// its sender dropped: a forecast as slow as it pleases (seconds at 100,000 customers,
    /// more under load), for the tests of what must not wait for it.
    pub fn hold(&mut self, release: Receiver<()>) {
        self.held = Some(release);
    }

    /// The figures as of `as_of` were (re)computed on data `version`: a forecast of them is
    /// wanted unless it is installed or running already.
    pub fn want(&mut self, as_of: Date, version: i64) {
        let have = |d: Date, v: i64| d == as_of && v == version;
        if self
            .loaded
            .as_ref()
            .is_some_and(|l| have(l.as_of, l.version))
            || self
                .running
                .as_ref()
                .is_some_and(|r| have(r.as_of, r.version))
        {
            self.wanted = None;
            return;
        }
        self.wanted = Some((as_of, version));
    }

    /// The figures are being read again on request (`R`), or the collector saved what moves
    /// the forecast (its own commits do not change this connection's `data_version`): the
    /// installed or running forecast no longer counts as current, so the next
    /// [`Forecasts::want`] asks for a new one (the installed one stays on screen until it
    /// arrives), without waiting for the spacing.
    pub fn invalidate(&mut self) {
        if let Some(l) = self.loaded.as_mut() {
            l.version = STALE;
        }
        if let Some(r) = self.running.as_mut() {
            r.version = STALE;
        }
        self.asked = true;
    }

    /// The collector saved a promise, dispute or resolution (its own commit does not change
    /// this connection's `data_version`): the installed or running forecast is no longer
    /// current, and a new one starts once the saves have stopped for [`SAVE_SETTLE`] and
    /// [`RECOMPUTE_SPACING`] has passed since the previous start.
    pub fn saved(&mut self, now: Instant) {
        if let Some(l) = self.loaded.as_mut() {
            l.version = STALE;
        }
        if let Some(r) = self.running.as_mut() {
            r.version = STALE;
        }
        self.settle_until = Some(now + SAVE_SETTLE);
    }

    /// A forecast is computing on its thread.
    pub fn busy(&self) -> bool {
        self.running.is_some()
    }

    /// A wanted forecast may start now: none runs, and a recomputation after a change of
    /// the data waits [`RECOMPUTE_SPACING`] after the previous start.
    pub fn ready_to_start(&self) -> bool {
        self.ready_at(Instant::now())
    }

    fn ready_at(&self, now: Instant) -> bool {
        let Some((as_of, _)) = self.wanted else {
            return false;
        };
        if self.running.is_some() || self.installing.is_some() {
            return false;
        }
        let new_date = self.loaded.as_ref().is_none_or(|l| l.as_of != as_of);
        if new_date || self.asked {
            return true;
        }
        if self.settle_until.is_some_and(|t| now < t) {
            return false;
        }
        self.last_start
            .is_none_or(|t| now.saturating_duration_since(t) >= RECOMPUTE_SPACING)
    }

    /// Starts the wanted forecast on its own thread and connection.
    pub fn start(&mut self) -> Result<()> {
        let Some((as_of, version)) = self.wanted.take() else {
            return Ok(());
        };
        self.asked = false;
        let (tx, answer) = mpsc::channel();
        let path = self.path.clone();
        let base = self.base_currency.clone();
        let grace = self.grace_days;
        let held = self.held.take();
        std::thread::Builder::new()
            .name("owed-forecast".into())
            .spawn(move || {
                if let Some(release) = held {
                    let _ = release.recv();
                }
                let t = Instant::now();
                let result = Store::open_existing(&path)
                    .and_then(|store| compute_prepared(&store, as_of, &base, grace));
                let _ = tx.send(Finished {
                    as_of,
                    version,
                    result,
                    compute: t.elapsed(),
                });
            })
            .map_err(|e| Error::runtime(format!("cannot start the forecast: {e}")))?;
        self.last_start = Some(Instant::now());
        self.running = Some(Running {
            as_of,
            version,
            answer,
        });
        Ok(())
    }

    /// The forecast the thread finished, if it has.
    pub fn take_finished(&mut self) -> Option<Finished> {
        let running = self.running.as_ref()?;
        let finished = match running.answer.try_recv() {
            Ok(f) => f,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => Finished {
                as_of: running.as_of,
                version: running.version,
                result: Err(Error::runtime("the forecast stopped")),
                compute: Duration::ZERO,
            },
        };
        self.running = None;
        Some(finished)
    }

    /// Computes the wanted forecast here, on `store` (tests and benchmarks: no thread).
    pub fn compute_now(&mut self, store: &Store) -> Option<Finished> {
        let (as_of, version) = self.wanted.take()?;
        let t = Instant::now();
        let result = compute_prepared(store, as_of, &self.base_currency, self.grace_days);
        self.last_start = Some(t);
        Some(Finished {
            as_of,
            version,
            result,
            compute: t.elapsed(),
        })
    }

    /// Takes a finished forecast when it is of the figures' date `current` (a forecast of
    /// another date is dropped: the one of the new date is wanted already): from now on its
    /// predictions are the customers', and what it changes in the queue table's risks waits to
    /// be written by [`Forecasts::step`], a slice at a time.
    pub fn install(
        &mut self,
        finished: Finished,
        current: Option<Date>,
        store: &Store,
    ) -> Result<()> {
        let Finished {
            as_of,
            version,
            result,
            compute,
        } = finished;
        let prepared = result?;
        if current != Some(as_of) {
            return Ok(());
        }
        // Defensive: a forecast is not started while one is being written, but should one
        // arrive, the table is brought to the installed one first, so that the difference
        // below is taken from what the table holds (its High risk tab was never counted).
        let uncounted = self.installing.is_some();
        if let Some(mut pending) = self.installing.take() {
            store
                .queue()
                .update_risks(&pending.changes[pending.next..], None)?;
            pending.next = pending.changes.len();
        }
        let t = Instant::now();
        let changes = risk_changes(self.risks_for(as_of), &prepared.risks);
        // Over a forecast of the same date, the table holds a whole forecast's risks all
        // along (some of each); over none, only once the last slice is in.
        self.written = self.written && self.has(as_of);
        let counted = self
            .loaded
            .as_ref()
            .filter(|_| self.written && changes.is_empty() && !uncounted)
            .map(|l| l.view.high_risk);
        super::free_beside(self.loaded.take());
        self.loaded = Some(Loaded {
            as_of,
            version,
            customers: prepared.customers,
            risks: prepared.risks,
            view: ForecastView {
                as_of,
                cash: prepared.cash,
                documents: prepared.documents,
                high_risk: 0,
            },
        });
        self.installing = Some(Installing {
            changes,
            next: 0,
            compute,
            spent: t.elapsed(),
            longest: Duration::ZERO,
            slices: 0,
            counted,
        });
        Ok(())
    }

    /// A forecast taken by [`Forecasts::install`] still has risks to write.
    pub fn installing(&self) -> bool {
        self.installing.is_some()
    }

    /// Writes the next slice of the installing forecast's risks into the queue table (and
    /// into its copy in memory, `mirror`, when that is the table's); once all are in,
    /// recounts the High risk tab and returns what the screen shows.
    pub fn step(
        &mut self,
        store: &Store,
        unfiltered: &mut UnfilteredCounts,
        mirror: Option<&mut QueueMirror>,
    ) -> Result<Option<ForecastView>> {
        let Some(pending) = self.installing.as_mut() else {
            return Ok(None);
        };
        let t = Instant::now();
        // A slice per step, then the count in a step of its own (each about as long).
        if pending.next < pending.changes.len() {
            let end = pending.changes.len().min(pending.next + self.slice);
            if let Err(e) = store
                .queue()
                .update_risks(&pending.changes[pending.next..end], mirror)
            {
                // What the table holds is no longer known: the forecast is not shown (the
                // next one, or the next rebuild, writes every rated customer's risk again).
                self.installing = None;
                self.loaded = None;
                self.written = false;
                return Err(e);
            }
            pending.next = end;
            pending.slices += 1;
            pending.spent += t.elapsed();
            pending.longest = pending.longest.max(t.elapsed());
            return Ok(None);
        }
        let Some(as_of) = self.loaded.as_ref().map(|l| l.as_of) else {
            self.installing = None;
            return Ok(None);
        };
        match pending.counted {
            // No risk changed: the table's count stands (a pass over it at 100,000
            // customers, every session waiting, saved).
            Some(n) => {
                if let Some(l) = self.loaded.as_mut() {
                    l.view.high_risk = n;
                }
            }
            None => {
                self.recount(as_of, store, unfiltered)?;
            }
        }
        self.written = true;
        let mut pending = self.installing.take().expect("installing above");
        pending.spent += t.elapsed();
        pending.longest = pending.longest.max(t.elapsed());
        // Where the time went (`OWED_LOG=debug`; the workstation's benchmark reads it):
        // computing and indexing on its own thread, then, on the worker's, the risks that
        // changed written into the queue table a slice at a time (all of them, and the
        // longest a key could have waited for) and the High risk tab counted.
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        tracing::debug!(
            target: "owed::timing",
            what = "forecast",
            compute_ms = ms(pending.compute),
            apply_ms = ms(pending.spent),
            longest_slice_ms = ms(pending.longest),
            changed = pending.changes.len(),
            slices = pending.slices,
        );
        Ok(self.view(as_of))
    }

    /// The risks a queue table built as of `as_of` holds: the installed forecast's, when it
    /// is of that date (none else).
    pub fn risks_for(&self, as_of: Date) -> &[QueueRisk] {
        self.loaded
            .as_ref()
            .filter(|l| l.as_of == as_of)
            .map_or(&[], |l| &l.risks)
    }

    /// The queue table was just rebuilt as of `as_of` with [`Forecasts::risks_for`] that date
    /// (the data changed: the previous forecast of the date stands until the new one):
    /// nothing of an installing forecast of the date is left to write, one of another date
    /// will not be shown. Recounts the High risk tab; returns the high-risk customers (0 when
    /// no forecast of that date is installed).
    pub fn restore(
        &mut self,
        as_of: Date,
        store: &Store,
        unfiltered: &mut UnfilteredCounts,
    ) -> Result<u64> {
        if !self.has(as_of) {
            self.installing = None;
            return Ok(0);
        }
        if let Some(pending) = self.installing.as_mut() {
            pending.next = pending.changes.len();
        }
        self.written = true;
        self.recount(as_of, store, unfiltered)
    }

    /// Whether the queue table's risks as of `as_of` are a forecast's (the High risk tab's
    /// count and the risk order can be shown): one of that date is installed, and written
    /// whole, or being written over another of the same date.
    pub fn counted(&self, as_of: Date) -> bool {
        self.has(as_of) && self.written
    }

    /// Counts the High risk tab of the queue table (as of `as_of`, the installed forecast's
    /// date).
    fn recount(
        &mut self,
        as_of: Date,
        store: &Store,
        unfiltered: &mut UnfilteredCounts,
    ) -> Result<u64> {
        let Some(loaded) = self.loaded.as_mut().filter(|l| l.as_of == as_of) else {
            return Ok(0);
        };
        let (everyone, by_owner) = store
            .queue()
            .tab_counts(crate::domain::queue::Tab::HighRisk)?;
        unfiltered.set_tab(crate::domain::queue::Tab::HighRisk, everyone, &by_owner);
        loaded.view.high_risk = everyone;
        Ok(everyone)
    }

    /// What the screen shows of the forecast of `as_of`, once one is installed (and its risks
    /// written).
    pub fn view(&self, as_of: Date) -> Option<ForecastView> {
        if self.installing.is_some() {
            return None;
        }
        self.loaded
            .as_ref()
            .filter(|l| l.as_of == as_of)
            .map(|l| l.view.clone())
    }

    /// The cash forecast of some customers (keys) as of `as_of`, once the forecast of that
    /// date is installed: their documents' balances by predicted week.
    pub fn cash_of(
        &self,
        as_of: Date,
        cids: &[i64],
    ) -> Option<crate::domain::forecast::cash::CashForecast> {
        let loaded = self.loaded.as_ref().filter(|l| l.as_of == as_of)?;
        let predictions = cids
            .iter()
            .filter_map(|cid| loaded.customers.get(cid))
            .flat_map(|c| c.documents.iter().map(|d| (d.predicted, d.cash)));
        Some(crate::domain::forecast::cash::weekly(
            as_of,
            loaded.view.cash.weeks.len(),
            predictions,
        ))
    }

    /// Whether a forecast of `as_of` is installed (its risks go into a rebuilt queue table).
    pub fn has(&self, as_of: Date) -> bool {
        self.loaded.as_ref().is_some_and(|l| l.as_of == as_of)
    }

    /// A customer's part of the forecast as of `as_of`, once computed (`Some` with no risk
    /// and no documents for a customer without documents).
    pub fn customer(&self, as_of: Date, cid: i64) -> Option<CustomerForecast> {
        let loaded = self.loaded.as_ref().filter(|l| l.as_of == as_of)?;
        Some(loaded.customers.get(&cid).cloned().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installed(as_of: Date, version: i64) -> Forecasts {
        let mut f = Forecasts::new(Path::new("unused.db"), "EUR", 0);
        f.loaded = Some(Loaded {
            as_of,
            version,
            customers: HashMap::new(),
            risks: Vec::new(),
            view: ForecastView {
                as_of,
                cash: CashForecast {
                    weeks: Vec::new(),
                    beyond: crate::domain::Decimal::ZERO,
                },
                documents: 0,
                high_risk: 0,
            },
        });
        f
    }

    #[test]
    fn saves_wait_until_they_pause_and_the_spacing_has_passed() {
        let as_of = Date::from_ymd_opt(2026, 11, 25).unwrap();
        let mut f = installed(as_of, 7);
        let t0 = Instant::now();
        f.last_start = Some(t0);
        f.want(as_of, 7);
        assert!(!f.ready_at(t0), "the installed forecast is current");

        f.saved(t0);
        f.want(as_of, 7);
        assert!(f.wanted.is_some(), "a save makes the installed one stale");
        assert!(
            !f.ready_at(t0 + Duration::from_secs(1)),
            "saves still coming"
        );
        // A second save a second later pushes the start out again.
        f.saved(t0 + Duration::from_secs(1));
        assert!(!f.ready_at(t0 + Duration::from_secs(2)));
        // Settled, but the previous forecast started less than the spacing ago.
        assert!(!f.ready_at(t0 + Duration::from_secs(5)));
        assert!(f.ready_at(t0 + RECOMPUTE_SPACING));
    }

    #[test]
    fn asking_again_or_a_new_date_does_not_wait() {
        let as_of = Date::from_ymd_opt(2026, 11, 25).unwrap();
        let mut f = installed(as_of, 7);
        let t0 = Instant::now();
        f.last_start = Some(t0);
        f.saved(t0);
        f.want(as_of.pred_opt().unwrap(), 7);
        assert!(f.ready_at(t0), "a new as-of date starts at once");
        f.want(as_of, 7);
        f.invalidate();
        f.want(as_of, 7);
        assert!(f.ready_at(t0), "R starts at once");
    }

    /// The queue table's risks, by `cid`.
    fn table_risks(store: &Store) -> Vec<(i64, Option<crate::domain::forecast::RiskLevel>)> {
        let mut q = crate::domain::queue::QueueQuery::new("nobody");
        q.scope = crate::domain::queue::Scope::Everyone;
        q.tab = crate::domain::queue::Tab::All;
        let mut rows: Vec<_> = store
            .queue()
            .page(&q, 0, 1_000)
            .unwrap()
            .rows
            .iter()
            .map(|r| (r.cid, r.risk))
            .collect();
        rows.sort_unstable();
        rows
    }

    fn finished(as_of: Date, risks: &[QueueRisk]) -> Finished {
        Finished {
            as_of,
            version: 1,
            result: Ok(Prepared {
                customers: HashMap::new(),
                risks: risks.to_vec(),
                cash: CashForecast {
                    weeks: Vec::new(),
                    beyond: crate::domain::Decimal::ZERO,
                },
                documents: 0,
            }),
            compute: Duration::ZERO,
        }
    }

    #[test]
    fn risks_go_into_the_queue_a_slice_at_a_time_and_the_view_comes_with_the_last() {
        use crate::domain::forecast::RiskLevel;
        use std::fmt::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("csv");
        std::fs::create_dir(&csv).unwrap();
        let mut customers = String::from("id,name,currency\n");
        for c in 0..23 {
            writeln!(customers, "C{c},Customer {c},USD").unwrap();
        }
        std::fs::write(csv.join("customers.csv"), customers).unwrap();
        let mut store = Store::open_or_create(&dir.path().join("owed.db")).unwrap();
        let options = crate::import::ImportOptions::by("test", chrono::Utc::now(), "USD");
        crate::import::import_paths(&mut store, &[csv], &options).unwrap();
        let as_of = Date::from_ymd_opt(2026, 11, 25).unwrap();
        let bounds = crate::domain::aging::AgingBounds::default();
        let mut unfiltered = store
            .queue()
            .rebuild(as_of, &bounds, &HashMap::new(), 0, "USD", &[])
            .unwrap();
        let cids: Vec<i64> = table_risks(&store).iter().map(|(cid, _)| *cid).collect();
        assert_eq!(cids.len(), 23);
        let level = |n: i64| match n % 3 {
            0 => RiskLevel::High,
            1 => RiskLevel::Medium,
            _ => RiskLevel::Low,
        };
        // Every customer rated but the last.
        let first: Vec<QueueRisk> = cids[..22]
            .iter()
            .map(|&cid| QueueRisk {
                cid,
                level: Some(level(cid)),
                score: (cid % 100) as u32,
            })
            .collect();
        let mut f = Forecasts::new(Path::new("unused.db"), "USD", 0);
        f.slice = 5;
        f.install(finished(as_of, &first), Some(as_of), &store)
            .unwrap();
        assert!(!f.counted(as_of), "nothing written yet");
        let mut steps = 0;
        let view = loop {
            steps += 1;
            let done = f.step(&store, &mut unfiltered, None).unwrap();
            if let Some(view) = done {
                break view;
            }
            assert!(
                f.installing() && f.view(as_of).is_none(),
                "not shown half written"
            );
            assert!(
                !f.counted(as_of),
                "the first forecast of the date is half written"
            );
        };
        assert_eq!(steps, 6, "22 risks, 5 at a time, then the count");
        assert!(!f.installing());
        let want = |risks: &[QueueRisk]| {
            let mut want: Vec<_> = cids.iter().map(|&cid| (cid, None)).collect();
            for r in risks {
                want.iter_mut().find(|(c, _)| *c == r.cid).unwrap().1 = r.level;
            }
            want
        };
        assert_eq!(table_risks(&store), want(&first));
        let high = first
            .iter()
            .filter(|r| r.level == Some(RiskLevel::High))
            .count() as u64;
        assert_eq!(view.high_risk, high);
        assert_eq!(
            unfiltered.everyone[crate::domain::queue::Tab::HighRisk.index()],
            high
        );

        // The next forecast writes what changed only: one customer less, one more, one
        // level moved; one slice.
        let mut second = first.clone();
        second.remove(0);
        second[3].level = Some(RiskLevel::High);
        second[3].score = 99;
        second.push(QueueRisk {
            cid: cids[22],
            level: Some(RiskLevel::Low),
            score: 1,
        });
        f.install(finished(as_of, &second), Some(as_of), &store)
            .unwrap();
        assert!(f.counted(as_of), "over a whole forecast of the same date");
        assert!(
            f.step(&store, &mut unfiltered, None).unwrap().is_none(),
            "one slice"
        );
        assert!(
            f.step(&store, &mut unfiltered, None).unwrap().is_some(),
            "the count"
        );
        assert_eq!(table_risks(&store), want(&second));
        let high = |risks: &[QueueRisk]| {
            risks
                .iter()
                .filter(|r| r.level == Some(RiskLevel::High))
                .count() as u64
        };
        assert_eq!(f.view(as_of).unwrap().high_risk, high(&second));

        // A forecast that changes no risk writes nothing and does not count the tab again
        // (a pass over the whole table): its count is the table's as counted before. A row
        // set high behind its back shows that it was not counted again.
        let behind = "UPDATE temp.queue SET risk = ?2 WHERE cid = ?1";
        store
            .conn()
            .execute(behind, rusqlite::params![first[0].cid, 3])
            .unwrap();
        f.install(finished(as_of, &second), Some(as_of), &store)
            .unwrap();
        let view = f
            .step(&store, &mut unfiltered, None)
            .unwrap()
            .expect("at once: nothing to write, nothing to count");
        assert_eq!(view.high_risk, high(&second));
        assert_eq!(
            unfiltered.everyone[crate::domain::queue::Tab::HighRisk.index()],
            high(&second)
        );
        store
            .conn()
            .execute(behind, rusqlite::params![first[0].cid, 0])
            .unwrap();

        // A forecast arriving while another is half written (should one): the table is
        // brought to the first, whose count was never taken, so the tab is counted even
        // though the second changes nothing.
        // The same customers as the second, every one at `level`.
        let all_at = |level: RiskLevel| -> Vec<QueueRisk> {
            second
                .iter()
                .map(|r| QueueRisk {
                    level: Some(level),
                    ..*r
                })
                .collect()
        };
        let all_high = all_at(RiskLevel::High);
        f.install(finished(as_of, &all_high), Some(as_of), &store)
            .unwrap();
        assert!(f.step(&store, &mut unfiltered, None).unwrap().is_none());
        f.install(finished(as_of, &all_high), Some(as_of), &store)
            .unwrap();
        let view = loop {
            if let Some(view) = f.step(&store, &mut unfiltered, None).unwrap() {
                break view;
            }
        };
        assert_eq!(view.high_risk, all_high.len() as u64);
        assert_eq!(table_risks(&store), want(&all_high));

        // Halfway through a third, the table is rebuilt (the data changed): it is built with
        // the third's risks, and the install ends at its next step.
        let third = all_at(RiskLevel::Medium);
        f.install(finished(as_of, &third), Some(as_of), &store)
            .unwrap();
        assert!(f.step(&store, &mut unfiltered, None).unwrap().is_none());
        unfiltered = store
            .queue()
            .rebuild(
                as_of,
                &bounds,
                &HashMap::new(),
                0,
                "USD",
                f.risks_for(as_of),
            )
            .unwrap();
        assert_eq!(f.restore(as_of, &store, &mut unfiltered).unwrap(), 0);
        let view = f
            .step(&store, &mut unfiltered, None)
            .unwrap()
            .expect("done");
        assert_eq!(view.high_risk, 0);
        assert_eq!(table_risks(&store), want(&third));

        // A forecast of another date than the figures' is not taken.
        let other = as_of.pred_opt().unwrap();
        f.install(finished(other, &first), Some(as_of), &store)
            .unwrap();
        assert!(!f.installing());
        assert_eq!(f.risks_for(as_of), third.as_slice());
    }
}
