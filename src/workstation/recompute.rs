//! The figures computed again beside the sessions, for another program's commit (a script of
//! `owed note`, an engagement run from cron, an import): computed on a thread and connections
//! of their own, then written into a queue table beside the one the sessions read, a part at
//! a time between their requests (its customers, then its open issues, then its copy in
//! memory for the filters), and put in its place at once. What holds the sessions is the
//! last step: the default order's index, the forecast's High risk count, the customers saved
//! meanwhile brought up to date and answering every session again.
//!
//! `R` pressed in the worker's loop is computed the same way when the figures are of its
//! date: who pressed it sees "loading…" until they are in place, and nobody else waits.
//!
//! The saves made meanwhile (and replies read) are not lost: each customer they touched is
//! brought up to date once the figures are in place, by the difference between what the
//! figures computed beside hold of it and what the database holds now, as a save moves the
//! figures (nothing, when the figures already held it). Past `RECONCILE_MOST` customers
//! they are computed beside again instead, `RETRIES` times at the most, then in place.
//! Figures computed in place since (another date) are newer: those computed beside are
//! dropped.

use super::portfolio::{Computed, PortfolioWorker, SessionId, compute};
use super::requests::Response;
use crate::Result;
use crate::domain::Date;
use crate::store::Store;
use crate::store::queue::mirror::{MirrorReading, QueueMirror};
use crate::store::queue::table::{QueueBuild, RowSource};
use std::collections::BTreeSet;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// Customers written into the queue table beside per turn of the worker's loop: about 40 ms
/// on a 2-core machine, what a key pressed meanwhile waits for at the most.
const BUILD_SLICE: usize = 8_000;

/// Rows of the table beside read into memory per turn (for the filters' counts; read after
/// the swap instead, the whole table at once would hold every session about 0.25 s at
/// 100,000 customers): about 40 ms too.
const MIRROR_SLICE: usize = 20_000;

/// How many customers saved meanwhile are brought up to date once figures computed beside
/// are in place (each as a save is, a few milliseconds, every session waiting); more (a bulk
/// action on marked customers), and the figures are computed beside again.
#[cfg(not(test))]
const RECONCILE_MOST: usize = 100;
#[cfg(test)]
const RECONCILE_MOST: usize = 3;

/// How many times figures computed beside are computed beside again when more customers
/// than [`RECONCILE_MOST`] were saved meanwhile, before they are computed in place (a team
/// saving without a pause would otherwise keep them from ever being shown).
const RETRIES: u8 = 2;

/// Figures computing on a thread, or being written beside: what the portfolio was when they
/// were asked for.
pub struct Recompute {
    rx: Receiver<Result<(Computed, Duration)>>,
    as_of: Date,
    /// The database's `data_version` they are computed at.
    version: i64,
    /// The customers saved since (or whose replies were read): brought up to date by their
    /// difference once the figures are in place.
    saved: BTreeSet<i64>,
    /// How many times the figures had been computed then.
    rebuilds: u64,
    t0: Instant,
    /// Once computed: being written into the queue table beside.
    building: Option<Building>,
    /// The sessions that pressed `R` for them (none: another program's commit brings them):
    /// they are sent the forecast with the figures, as `R` in place does.
    reload_by: Vec<SessionId>,
    /// How many times they were computed beside again after a save overtook them.
    tries: u8,
}

/// Figures computed beside, being written into a queue table beside the sessions' one.
struct Building {
    computed: Computed,
    /// How long computing them took.
    computing: Duration,
    build: QueueBuild,
    /// Once every customer and open issue is written: the table beside being read into
    /// memory.
    mirror: Option<MirrorReading>,
}

impl PortfolioWorker {
    /// Starts computing the figures as of `as_of` on a thread and connections of its own,
    /// for the database at `version`; false when no thread could start.
    pub(super) fn start_recompute(&mut self, as_of: Date, version: i64) -> bool {
        let (tx, rx) = std::sync::mpsc::channel();
        let path = self.path.clone();
        let settings = self.settings.clone();
        let t0 = Instant::now();
        let started = std::thread::Builder::new()
            .name("owed-figures".into())
            .spawn(move || {
                crate::error::panics_handled_on_this_thread();
                let computed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    Store::open_existing(&path).and_then(|store| compute(&store, &settings, as_of))
                }))
                .unwrap_or_else(|_| {
                    Err(crate::Error::runtime(
                        "the figures could not be computed (an internal error; see the log)",
                    ))
                });
                let _ = tx.send(computed.map(|c| (c, t0.elapsed())));
            });
        if started.is_err() {
            return false;
        }
        self.recompute = Some(Recompute {
            rx,
            as_of,
            version,
            saved: BTreeSet::new(),
            rebuilds: self.rebuilds.count,
            t0,
            building: None,
            reload_by: Vec::new(),
            tries: 0,
        });
        true
    }

    /// `R` pressed by `sid` for the figures of `as_of`: computed beside when they are of the
    /// figures' date (in the worker's loop only, where their parts are written between the
    /// sessions' requests), joining figures computing beside already when those are what
    /// `R` would compute. False: `R` is computed in place.
    pub(super) fn reload_beside(&mut self, sid: SessionId, as_of: Date) -> bool {
        if !self.in_loop || self.as_of != Some(as_of) || self.summary.is_none() {
            return false;
        }
        let Ok(version) = self.store.data_version() else {
            return false;
        };
        if let Some(r) = self.recompute.as_mut() {
            // Of the portfolio as it is now (with the saves since, brought in by their
            // difference): no other date, figures computed here or other program's commit
            // since they began.
            let current =
                r.as_of == as_of && r.rebuilds == self.rebuilds.count && r.version == version;
            if current {
                r.reload_by.push(sid);
            }
            return current;
        }
        if !self.start_recompute(as_of, version) {
            return false;
        }
        if let Some(r) = self.recompute.as_mut() {
            r.reload_by.push(sid);
        }
        true
    }

    /// Whether figures computed beside are being written into the queue table beside (the
    /// forecast waits to be installed, and the work for the old table is not done).
    pub(super) fn building_beside(&self) -> bool {
        self.recompute
            .as_ref()
            .is_some_and(|r| r.building.is_some())
    }

    /// A save (or replies read) moved the figures by `cid`'s difference: counted, and
    /// remembered for the figures computing beside.
    pub(super) fn moved(&mut self, cid: i64) {
        self.moves += 1;
        if let Some(r) = self.recompute.as_mut() {
            r.saved.insert(cid);
        }
    }

    /// The next step of figures computed beside, one per turn of the worker's loop: takes
    /// them once computed and starts their queue table beside; writes its next part; once
    /// written whole, puts it in place, installs the figures, brings the customers saved
    /// meanwhile up to date and answers every session again. Unless they are no longer the
    /// latest (another date's figures, or figures computed here since: they are dropped) or
    /// too many customers were saved meanwhile (see [`PortfolioWorker::overtaken`]).
    pub(super) fn finish_recompute(&mut self, emit: &mut dyn FnMut(SessionId, Response)) {
        let Some(mut r) = self.recompute.take() else {
            return;
        };
        let latest = self.as_of == Some(r.as_of) && self.rebuilds.count == r.rebuilds;
        let unmoved = r.saved.len() <= RECONCILE_MOST;
        let Some(mut building) = r.building.take() else {
            let result = match r.rx.try_recv() {
                Err(std::sync::mpsc::TryRecvError::Empty) => {
                    self.recompute = Some(r);
                    return;
                }
                Ok(result) => result,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => Err(crate::Error::runtime(
                    "the figures' thread ended without them",
                )),
            };
            match result {
                Ok((computed, computing)) if latest && unmoved => {
                    match self
                        .store
                        .queue()
                        .build_start(self.settings.bounds.len(), r.as_of)
                    {
                        Ok(build) => {
                            r.building = Some(Building {
                                computed,
                                computing,
                                build,
                                mirror: None,
                            });
                            self.recompute = Some(r);
                        }
                        Err(e) => self.recompute_failed(e, emit),
                    }
                }
                Ok(_) => self.overtaken(r, latest, emit),
                Err(e) => self.recompute_failed(e, emit),
            }
            return;
        };
        if !(latest && unmoved) {
            if let Err(e) = self.store.queue().build_drop() {
                self.broadcast(Response::Error(e.to_string()), emit);
            }
            self.overtaken(r, latest, emit);
            return;
        }
        match self.build_part(&mut building, r.as_of) {
            Ok(None) => {
                r.building = Some(building);
                self.recompute = Some(r);
            }
            Ok(Some(mut mirror)) => {
                let t = Instant::now();
                let Building {
                    computed,
                    computing,
                    build,
                    ..
                } = building;
                if !r.reload_by.is_empty() {
                    // As `R` in place: the forecast is computed again after the figures.
                    self.forecasts.invalidate();
                }
                // What the figures hold of each customer saved meanwhile (before they go).
                let held: Vec<_> = r
                    .saved
                    .iter()
                    .map(|&cid| (cid, super::save::share_in(&computed, cid)))
                    .collect();
                let installed = self.store.queue().build_swap(build).and_then(|written| {
                    self.installed(computed, written, r.version, (r.t0, computing), (None, t))
                });
                match installed {
                    Ok(mut summary) => {
                        mirror.stamp(&self.store);
                        super::free_beside(self.mirror.replace(mirror));
                        self.saved_meanwhile(r.as_of, held);
                        if self.as_of.is_none() {
                            // A customer could not be brought up to date: computed here.
                            match self.rebuild(r.as_of) {
                                Ok(s) => summary = s,
                                Err(e) => {
                                    self.broadcast(Response::Error(e.to_string()), emit);
                                    return;
                                }
                            }
                        } else if let Some(s) = self.summary.clone() {
                            summary = s;
                        }
                        self.broadcast(Response::Summary(Box::new(summary)), emit);
                        self.send_forecast(&r.reload_by, r.as_of, emit);
                        self.answer_again(true, None, emit);
                        self.paced_from(r.t0);
                    }
                    Err(e) => self.recompute_failed(e, emit),
                }
            }
            Err(e) => self.recompute_failed(e, emit),
        }
    }

    /// The next part of a table beside: its customers, then its open issues, then its rows
    /// read into memory; the copy in memory once all is done.
    fn build_part(&self, building: &mut Building, as_of: Date) -> Result<Option<QueueMirror>> {
        let queue = self.store.queue();
        match building.mirror.as_mut() {
            None => {
                let rows = RowSource {
                    bounds: &self.settings.bounds,
                    figures: &building.computed.portfolio.customers,
                    activity: &building.computed.activity,
                    extras: &building.computed.extras,
                    risks: self.forecasts.risks_for(as_of),
                };
                if queue.build_step(&mut building.build, &rows, BUILD_SLICE)? {
                    queue.build_issues(&mut building.build, &building.computed.extras)?;
                    building.mirror = Some(MirrorReading::new("queue_next", "queue_issues_next"));
                }
                Ok(None)
            }
            Some(reading) => {
                if !queue.mirror_part(reading, MIRROR_SLICE)? {
                    return Ok(None);
                }
                match building.mirror.take() {
                    Some(reading) => queue.mirror_finish(reading).map(Some),
                    None => Ok(None),
                }
            }
        }
    }

    /// Figures computed beside were overtaken: by more saves than [`RECONCILE_MOST`]
    /// (`latest`), or by figures computed in place since (they answered every session
    /// already). Overtaken by saves, they are computed beside again, [`RETRIES`] times at
    /// the most; then those of another program's commit are computed in place at the next
    /// look, those of `R` at once.
    fn overtaken(&mut self, r: Recompute, latest: bool, emit: &mut dyn FnMut(SessionId, Response)) {
        if !latest {
            return;
        }
        if r.tries < RETRIES
            && let Ok(version) = self.store.data_version()
            && self.start_recompute(r.as_of, version)
            && let Some(again) = self.recompute.as_mut()
        {
            again.reload_by = r.reload_by;
            again.tries = r.tries + 1;
            return;
        }
        if r.reload_by.is_empty() {
            self.recompute_here = true;
            return;
        }
        self.forecasts.invalidate();
        let t0 = Instant::now();
        match self.rebuild(r.as_of) {
            Ok(summary) => {
                self.broadcast(Response::Summary(Box::new(summary)), emit);
                self.send_forecast(&r.reload_by, r.as_of, emit);
                self.answer_again(true, None, emit);
                self.paced_from(t0);
            }
            Err(e) => self.broadcast(Response::Error(e.to_string()), emit),
        }
    }

    /// The installed forecast of `as_of` to the sessions that pressed `R` (it comes with the
    /// figures they asked for; the others have it).
    fn send_forecast(
        &self,
        sessions: &[SessionId],
        as_of: Date,
        emit: &mut dyn FnMut(SessionId, Response),
    ) {
        if let Some(view) = self.forecasts.view(as_of) {
            for sid in sessions.iter().filter(|s| self.sessions.contains_key(s)) {
                emit(*sid, Response::Forecast(Box::new(view.clone())));
            }
        }
    }

    /// Figures computed beside could not be installed: whatever was written beside is
    /// dropped, the sessions are told, and the next look computes them here.
    fn recompute_failed(&mut self, e: crate::Error, emit: &mut dyn FnMut(SessionId, Response)) {
        let _ = self.store.queue().build_drop();
        self.recompute_here = true;
        self.broadcast(Response::Error(e.to_string()), emit);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::demo::{DemoOptions, ensure_database};
    use crate::domain::aging::AgingBounds;
    use crate::domain::queue::{QueueQuery, ScopeFigures, Tab};
    use crate::domain::users::{Actor, Role};
    use crate::store::queue::mirror::OwnerSums;
    use crate::store::queue::tab_counts::UnfilteredCounts;
    use crate::workstation::files::FileAccess;
    use crate::workstation::portfolio::Settings;
    use crate::workstation::requests::{Request, Summary};
    use crate::workstation::save::{ActionValues, SaveJob};
    use rusqlite::types::Value;
    use std::collections::BTreeMap;

    type Rows = Vec<Vec<Value>>;

    /// Every row of the sessions' queue table and of its open issues, and its date.
    fn dump(store: &Store) -> (Rows, Rows, Rows) {
        let rows = |sql: &str| -> Rows {
            let mut stmt = store.conn().prepare(sql).unwrap();
            let n = stmt.column_count();
            stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        (
            rows("SELECT * FROM temp.queue ORDER BY cid"),
            rows("SELECT * FROM temp.queue_issues ORDER BY cid, reason"),
            rows("SELECT * FROM temp.queue_as_of"),
        )
    }

    /// The tables a build beside leaves behind.
    fn left_beside(store: &Store) -> i64 {
        store
            .conn()
            .query_row(
                "SELECT count(*) FROM temp.sqlite_master WHERE name LIKE '%_next'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// The tab counts but the High risk tab's (the forecast's, counted apart).
    fn but_high_risk(mut c: UnfilteredCounts) -> UnfilteredCounts {
        c.everyone[Tab::HighRisk.index()] = 0;
        for slot in c.by_owner.values_mut() {
            slot[Tab::HighRisk.index()] = 0;
        }
        c
    }

    /// A worker on a 300-customer demo with alice's session, its figures and forecast
    /// computed in place as of `as_of`.
    pub(in crate::workstation) fn demo_worker(as_of: Date) -> (tempfile::TempDir, PortfolioWorker) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo.db");
        let options = DemoOptions {
            customers: 300,
            seed: 7,
            today: as_of,
            base_currency: "USD".into(),
        };
        ensure_database(&db, &options, chrono::Utc::now(), false).unwrap();
        // Some reasons in capitals, as a config's list or an older import may give them: the
        // scopes count a reason whatever its case.
        let capitals = rusqlite::Connection::open(&db)
            .unwrap()
            .execute(
                "UPDATE issues SET reason = upper(reason) WHERE id % 3 = 0 AND reason = 'pricing'",
                [],
            )
            .unwrap();
        assert!(capitals > 0);
        let settings = Settings {
            bounds: AgingBounds::default(),
            base_currency: "USD".into(),
            grace_days: 3,
        };
        let mut worker = PortfolioWorker::open(&db, settings).unwrap();
        worker.join(1, Actor::new("alice", Role::Collector), FileAccess::own());
        // The figures computed in place, and the forecast with its risks.
        worker.handle_all(vec![(1, Request::Summary { as_of })]);
        assert!(worker.forecasts.has(as_of));
        (dir, worker)
    }

    #[test]
    fn a_queue_table_written_beside_in_parts_is_the_one_written_at_once() {
        let as_of = Date::from_ymd_opt(2026, 4, 1).unwrap();
        let (_dir, worker) = demo_worker(as_of);
        let at_once = dump(&worker.store);
        assert!(at_once.0.len() >= 300 && !at_once.1.is_empty() && at_once.2.len() == 1);
        let counts = but_high_risk(worker.unfiltered.clone());

        let computed = compute(&worker.store, &worker.settings, as_of).unwrap();
        let queue = worker.store.queue();
        let mut build = queue
            .build_start(worker.settings.bounds.len(), as_of)
            .unwrap();
        let rows = RowSource {
            bounds: &worker.settings.bounds,
            figures: &computed.portfolio.customers,
            activity: &computed.activity,
            extras: &computed.extras,
            risks: worker.forecasts.risks_for(as_of),
        };
        let mut parts = 1;
        while !queue.build_step(&mut build, &rows, 7).unwrap() {
            parts += 1;
            // The sessions read the table they had all along.
            if parts == 20 {
                assert_eq!(dump(&worker.store), at_once);
            }
        }
        assert!(parts > at_once.0.len() / 7, "{parts} parts");
        queue.build_issues(&mut build, &computed.extras).unwrap();
        // Read into memory in parts too, before it takes the sessions' table's place.
        let mut reading = MirrorReading::new("queue_next", "queue_issues_next");
        let mut read = 1;
        while !queue.mirror_part(&mut reading, 11).unwrap() {
            read += 1;
        }
        assert!(read > at_once.0.len() / 11, "{read} parts");
        let mut mirror = queue.mirror_finish(reading).unwrap();
        let (unfiltered, sums) = queue.build_swap(build).unwrap();
        mirror.stamp(&worker.store);
        let whole = queue.mirror().unwrap();
        assert!(
            mirror == whole,
            "the copy read beside in parts is the table's"
        );
        assert!(mirror.is_current(&worker.store));
        // The same rows, risks included, the same open issues, the same tab counts.
        assert_eq!(dump(&worker.store), at_once);
        assert_eq!(unfiltered, counts);
        // Each owner's sums, counted on the way, are what SQL counts over the table: in one
        // pass by owner, and each owner's "mine" alone; and the figures computed in place
        // counted the same.
        let buckets = worker.settings.bounds.len();
        let figures = |sums: &OwnerSums| -> BTreeMap<Option<String>, ScopeFigures> {
            sums.iter()
                .map(|(owner, s)| (owner.clone(), s.figures(buckets)))
                .collect()
        };
        assert!(sums.len() >= 3, "{:?}", sums.keys());
        assert!(sums.values().any(|s| !s.issues.is_empty()));
        assert_eq!(
            figures(&sums),
            figures(&queue.scope_sums_by_owner().unwrap())
        );
        assert_eq!(figures(&sums), figures(&worker.owner_sums));
        for owner in sums.keys().flatten() {
            let mine = QueueQuery::new(&owner.to_uppercase());
            assert_eq!(
                sums[&Some(owner.clone())].figures(buckets),
                queue.scope_sums(&mine, false).unwrap().figures(buckets),
                "{owner}"
            );
        }
        assert_eq!(left_beside(&worker.store), 0);
        // And the default order's index with it.
        let indexed: i64 = worker
            .store
            .conn()
            .query_row(
                "SELECT count(*) FROM temp.sqlite_master WHERE name = 'queue_by_overdue'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexed, 1);
    }

    /// Takes the figures computed beside until they are being written beside.
    fn until_building(worker: &mut PortfolioWorker) {
        let until = Instant::now() + Duration::from_secs(60);
        while !worker.building_beside() {
            assert!(Instant::now() < until, "the figures' thread answered");
            worker.finish_recompute(&mut |_, _| {});
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn figures_written_beside_bring_in_the_saves_made_meanwhile_and_give_way_to_figures_in_place() {
        let as_of = Date::from_ymd_opt(2026, 4, 1).unwrap();
        let (_dir, mut worker) = demo_worker(as_of);
        let before = dump(&worker.store);
        let computed = worker.rebuilds.count;

        // Written beside and put in place: the sessions are told.
        assert!(worker.start_recompute(as_of, worker.version));
        until_building(&mut worker);
        // The table, its open issues and its date.
        assert_eq!(left_beside(&worker.store), 3);
        let mut told = Vec::new();
        while worker.recompute.is_some() {
            worker.finish_recompute(&mut |_, r| told.push(r));
        }
        assert_eq!(worker.rebuilds.count, computed + 1);
        assert!(told.iter().any(|r| matches!(r, Response::Summary(_))));
        assert_eq!(left_beside(&worker.store), 0);
        assert_eq!(dump(&worker.store), before, "nothing changed meanwhile");
        // With its copy in memory for the filters, read beside too: current, and the table's.
        let copy = worker.mirror.as_ref().expect("read beside");
        assert!(copy.is_current(&worker.store));
        assert!(*copy == worker.store.queue().mirror().unwrap());

        // Saves while they are computed and written (a promise, a dispute, another owner,
        // a note: three customers, one of them twice): they are put in place all the same,
        // each of those customers brought up to date by its difference, and the figures, the
        // table and its tab counts are what computing them whole gives.
        worker.join(2, Actor::new("dana", Role::Manager), FileAccess::own());
        let cids = largest_overdue(&worker, RECONCILE_MOST + 1);
        assert!(worker.start_recompute(as_of, worker.version));
        save(&mut worker, as_of, cids[0], promise());
        until_building(&mut worker);
        save(&mut worker, as_of, cids[1], dispute());
        let assign = other_owner(&worker, cids[2]);
        save(&mut worker, as_of, cids[2], assign);
        note(&mut worker, as_of, cids[0]);
        let told = until_done(&mut worker);
        assert_eq!(worker.rebuilds.count, computed + 2, "installed");
        assert_eq!(left_beside(&worker.store), 0);
        assert!(worker.figures_moved(), "moved by the saves' differences");
        computed_whole(&mut worker, as_of, &told);

        // More customers saved meanwhile than are brought up to date so: what was written
        // beside is dropped, the sessions' table keeps the saves, and they are computed
        // beside again; overtaken once more than `RETRIES` allows, the next look computes
        // them in place.
        let computed = worker.rebuilds.count;
        assert!(worker.start_recompute(as_of, worker.version));
        for tries in 1..=RETRIES + 1 {
            until_building(&mut worker);
            for &cid in &cids {
                note(&mut worker, as_of, cid);
            }
            let saved = dump(&worker.store);
            let mut told = Vec::new();
            worker.finish_recompute(&mut |_, r| told.push(r));
            assert!(told.is_empty(), "{told:?}");
            assert_eq!(worker.rebuilds.count, computed, "not installed");
            assert_eq!(left_beside(&worker.store), 0);
            assert_eq!(dump(&worker.store), saved);
            let again = worker
                .recompute
                .as_ref()
                .map(|r| (r.tries, r.building.is_some()));
            if tries <= RETRIES {
                assert_eq!(again, Some((tries, false)), "computed beside again");
                assert!(!worker.recompute_here);
            } else {
                assert_eq!(again, None);
                assert!(worker.recompute_here);
            }
        }
        worker.recompute_here = false;

        // Figures computed in place meanwhile (another date, then back) are newer.
        worker.recompute_here = false;
        assert!(worker.start_recompute(as_of, worker.version));
        until_building(&mut worker);
        worker.handle_all(vec![(
            1,
            Request::Summary {
                as_of: as_of.pred_opt().unwrap(),
            },
        )]);
        worker.handle_all(vec![(1, Request::Summary { as_of })]);
        let rebuilt = worker.rebuilds.count;
        worker.finish_recompute(&mut |_, _| {});
        assert!(worker.recompute.is_none());
        assert!(!worker.recompute_here);
        assert_eq!(worker.rebuilds.count, rebuilt);
        assert_eq!(left_beside(&worker.store), 0);
    }

    /// A collector action saved by dana (a manager) on customer `cid`: it moves the figures
    /// by its difference, so that `R` computes them again.
    pub(in crate::workstation) fn save(
        worker: &mut PortfolioWorker,
        as_of: Date,
        cid: i64,
        values: ActionValues,
    ) {
        if !worker.sessions.contains_key(&2) {
            worker.join(2, Actor::new("dana", Role::Manager), FileAccess::own());
        }
        let job = SaveJob {
            as_of,
            cids: vec![cid],
            values,
        };
        let outcome = worker.save(2, &job);
        assert_eq!(outcome.error, None, "{job:?}");
        assert!(worker.figures_moved());
    }

    fn note(worker: &mut PortfolioWorker, as_of: Date, cid: i64) {
        let text = "called".into();
        save(worker, as_of, cid, ActionValues::Note { text });
    }

    pub(in crate::workstation) fn promise() -> ActionValues {
        ActionValues::Promise {
            amount: "100".into(),
            date: "2026-04-15".into(),
            documents: Vec::new(),
            text: "by the 15th".into(),
        }
    }

    pub(in crate::workstation) fn dispute() -> ActionValues {
        ActionValues::Dispute {
            reason: "pricing".into(),
            amount: String::new(),
            documents: Vec::new(),
            text: "wrong price".into(),
        }
    }

    /// Customer `cid` given to another finance owner than its own.
    pub(in crate::workstation) fn other_owner(worker: &PortfolioWorker, cid: i64) -> ActionValues {
        let owner: Option<String> = worker
            .store
            .conn()
            .query_row(
                "SELECT finance_owner FROM temp.queue WHERE cid = ?1",
                [cid],
                |r| r.get(0),
            )
            .unwrap();
        let other = if owner.as_deref() == Some("alice") {
            "bob"
        } else {
            "alice"
        };
        ActionValues::Assign {
            owner: other.into(),
            role: crate::domain::action_checks::OwnerRole::Finance,
        }
    }

    /// The `n` customers with the most overdue.
    pub(in crate::workstation) fn largest_overdue(worker: &PortfolioWorker, n: usize) -> Vec<i64> {
        let mut stmt = worker
            .store
            .conn()
            .prepare("SELECT cid FROM temp.queue ORDER BY overdue DESC LIMIT ?1")
            .unwrap();
        stmt.query_map([n as i64], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// The figures the sessions were last told, the queue table, its tab counts and its copy
    /// in memory are what computing them whole in place gives.
    fn computed_whole(worker: &mut PortfolioWorker, as_of: Date, told: &[(SessionId, Response)]) {
        let summary = worker.summary.clone().expect("figures");
        assert_eq!(summaries_to(told, 1).last(), Some(&&summary), "told");
        let table = dump(&worker.store);
        let counts = worker.unfiltered.clone();
        assert!(worker.mirror_current());
        assert!(*worker.mirror.as_ref().unwrap() == worker.store.queue().mirror().unwrap());
        let whole = worker.rebuild(as_of).unwrap();
        assert_eq!(summary, whole);
        assert_eq!(table, dump(&worker.store));
        assert_eq!(counts, worker.unfiltered);
    }

    /// Takes the figures computed beside until they are in place (or dropped), with what the
    /// sessions were told meanwhile.
    fn until_done(worker: &mut PortfolioWorker) -> Vec<(SessionId, Response)> {
        let until = Instant::now() + Duration::from_secs(60);
        let mut told = Vec::new();
        while worker.recompute.is_some() {
            assert!(Instant::now() < until, "the figures' thread answered");
            worker.finish_recompute(&mut |sid, r| told.push((sid, r)));
            std::thread::sleep(Duration::from_millis(2));
        }
        told
    }

    fn summaries_to(told: &[(SessionId, Response)], sid: SessionId) -> Vec<&Summary> {
        told.iter()
            .filter_map(|(s, r)| match r {
                Response::Summary(summary) if *s == sid => Some(&**summary),
                _ => None,
            })
            .collect()
    }

    fn forecasts_to(told: &[(SessionId, Response)], sid: SessionId) -> usize {
        told.iter()
            .filter(|(s, r)| *s == sid && matches!(r, Response::Forecast(_)))
            .count()
    }

    #[test]
    fn r_in_the_loop_is_computed_beside_with_the_saves_made_meanwhile() {
        let as_of = Date::from_ymd_opt(2026, 4, 1).unwrap();
        let (_dir, mut worker) = demo_worker(as_of);
        worker.join(2, Actor::new("dana", Role::Manager), FileAccess::own());
        worker.in_loop = true;
        let cid = largest_overdue(&worker, 1)[0];

        // `R` after a save: alice is not answered the figures yet (her screen says
        // "loading…"), nobody waits for them, and the sessions' table is the one they had.
        note(&mut worker, as_of, cid);
        let saved = dump(&worker.store);
        let computed = worker.rebuilds.count;
        let told = worker.handle_all(vec![(1, Request::Reload { as_of })]);
        assert!(summaries_to(&told, 1).is_empty(), "{told:?}");
        assert!(worker.recompute.is_some());
        assert_eq!(worker.rebuilds.count, computed);
        assert_eq!(dump(&worker.store), saved);
        // dana's `R` meanwhile joins them: they are what it asks for.
        let told = worker.handle_all(vec![(2, Request::Reload { as_of })]);
        assert!(summaries_to(&told, 2).is_empty(), "{told:?}");
        let told = until_done(&mut worker);
        assert_eq!(worker.rebuilds.count, computed + 1);
        assert!(worker.figures_current(as_of));
        // Every session is told the figures, those who pressed `R` the forecast with them,
        // as `R` in place does; and they are what computing them whole gives.
        let whole = compute(&worker.store, &worker.settings, as_of)
            .unwrap()
            .summary;
        for sid in [1, 2] {
            assert_eq!(summaries_to(&told, sid), vec![&whole], "session {sid}");
            assert_eq!(forecasts_to(&told, sid), 1, "session {sid}");
        }
        assert_eq!(dump(&worker.store), saved, "the save's row, computed whole");
        assert_eq!(left_beside(&worker.store), 0);

        // A save meanwhile is brought in by its difference: they are put in place with it.
        note(&mut worker, as_of, cid);
        worker.handle_all(vec![(1, Request::Reload { as_of })]);
        until_building(&mut worker);
        save(&mut worker, as_of, cid, promise());
        let told = until_done(&mut worker);
        assert_eq!(worker.rebuilds.count, computed + 2);
        assert_eq!(forecasts_to(&told, 1), 1);
        computed_whole(&mut worker, as_of, &told);

        // More customers saved meanwhile than are brought in so, again and again: each time
        // they are dropped and computed beside again; the third time in place, and the
        // sessions are told.
        let cids = largest_overdue(&worker, RECONCILE_MOST + 1);
        note(&mut worker, as_of, cid);
        worker.handle_all(vec![(1, Request::Reload { as_of })]);
        let computed = worker.rebuilds.count;
        for tries in 1..=RETRIES + 1 {
            until_building(&mut worker);
            for &cid in &cids {
                note(&mut worker, as_of, cid);
            }
            let mut told = Vec::new();
            worker.finish_recompute(&mut |sid, r| told.push((sid, r)));
            assert_eq!(left_beside(&worker.store), 0);
            if tries <= RETRIES {
                assert!(told.is_empty(), "{told:?}");
                assert_eq!(worker.recompute.as_ref().map(|r| r.tries), Some(tries));
                assert_eq!(worker.rebuilds.count, computed);
            } else {
                assert!(worker.recompute.is_none());
                assert!(!worker.recompute_here);
                assert_eq!(worker.rebuilds.count, computed + 1, "computed in place");
                let whole = compute(&worker.store, &worker.settings, as_of)
                    .unwrap()
                    .summary;
                assert_eq!(summaries_to(&told, 1), vec![&whole]);
                assert_eq!(summaries_to(&told, 2), vec![&whole]);
                assert_eq!(forecasts_to(&told, 1), 1);
                assert_eq!(forecasts_to(&told, 2), 0, "dana did not press it");
            }
        }
        assert!(worker.figures_current(as_of));

        // Outside the loop (the synchronous calls), `R` is computed in place as before.
        worker.in_loop = false;
        note(&mut worker, as_of, cid);
        let told = worker.handle_all(vec![(1, Request::Reload { as_of })]);
        assert!(worker.recompute.is_none());
        assert_eq!(worker.rebuilds.count, computed + 2);
        assert_eq!(summaries_to(&told, 1).len(), 1);
    }
}
