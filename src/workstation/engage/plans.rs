//! Today's plan, computed once for every session that asks for it.
//!
//! The sessions' engagement workers ask [`Plans`] for the plan of a date. It answers with the
//! plan it keeps when nothing was committed to the database since that plan was read (by any
//! connection, this process's or another's: the `PRAGMA data_version` of a connection kept
//! for that alone), from the same cycles, on the same day; else it computes the plan again and
//! keeps it instead of the one before. So three collectors opening the engagement screen on
//! the same data get one computation and one plan in memory between them, not one each.
//!
//! A plan is computed on a thread of its own (one for the whole workstation, started at the
//! first plan), on a connection opened for it and closed once the plan is made: a plan reads
//! most of the ledger (every open document, every payment, every customer), and a connection
//! kept open would keep the pages it read mapped in the server's memory (500 MB of the
//! 750 MB demo of 100,000 customers); the plan's working data (the facts of every customer)
//! is freed there too, on the one thread whose memory the next plan reuses. What stays is
//! the plan itself, once.

use crate::config::Config;
use crate::domain::Date;
use crate::engage::cycle::Cycle;
use crate::engage::plan::{self, Plan};
use crate::engage::{self, Cycles};
use crate::store::Store;
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, MutexGuard};

/// A plan as the sessions share it.
#[derive(Debug)]
pub struct SharedPlan {
    pub plan: Plan,
    /// How many cycles it was computed from.
    pub cycles: usize,
}

/// The plans of the workstation's sessions: the last one computed, kept for as long as
/// nothing is committed and the cycles and the day stay the same.
pub struct Plans {
    db: PathBuf,
    config: Config,
    state: Mutex<State>,
}

/// What [`Plans`] holds between two plans.
#[derive(Default)]
struct State {
    /// The connection whose `data_version` tells whether anything was committed since the
    /// plan kept was read (it reads nothing else).
    watch: Option<Store>,
    /// The planner thread.
    planner: Option<Sender<Job>>,
    kept: Option<Kept>,
    computed: usize,
}

/// The plan kept, with what it was computed from.
struct Kept {
    as_of: Date,
    today: Date,
    /// The database's `data_version` (on the watching connection) before it was read.
    version: i64,
    cycles: Vec<Cycle>,
    plan: Arc<SharedPlan>,
}

/// A plan to compute, and where the answer goes.
struct Job {
    cycles: Cycles,
    as_of: Date,
    /// Today's date on this machine, read where the plan was asked for.
    today: Date,
    reply: Sender<Result<(Vec<Cycle>, SharedPlan)>>,
}

/// What [`Plans`] holds, for a look from outside (tests, the server's log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlansHeld {
    /// How many plans were computed.
    pub computed: usize,
    /// The date of the plan kept, if one is.
    pub kept: Option<Date>,
    /// The reminders of the plan kept, sent and skipped.
    pub rows: usize,
}

impl Plans {
    /// The plans of the database at `db` with the cycles, base currency, grace days and
    /// spacing of `config`.
    pub fn new(db: &Path, config: Config) -> Plans {
        Plans {
            db: db.to_path_buf(),
            config,
            state: Mutex::new(State::default()),
        }
    }

    /// The plan as of `as_of`: the one kept when it is still the plan of the data, the
    /// cycles and the day, else one computed now (the asker waits, as any other asking
    /// meanwhile, who then gets it too).
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when the cycles cannot be read (no folder, a bad rule); when the
    /// database cannot be read.
    pub fn plan(&self, as_of: Date) -> Result<Arc<SharedPlan>> {
        let mut state = lock(&self.state);
        let today = chrono::Local::now().date_naive();
        if state.watch.is_none() {
            state.watch = Some(Store::open_existing(&self.db)?);
        }
        let (version, cycles) = match state.watch.as_ref() {
            Some(watch) => (watch.data_version()?, load_cycles(&self.config, watch)?),
            None => return Err(Error::runtime("the engagement plans' connection is closed")),
        };
        if let Some(kept) = &state.kept
            && kept.as_of == as_of
            && kept.today == today
            && kept.version == version
            && kept.cycles == cycles.cycles
        {
            return Ok(Arc::clone(&kept.plan));
        }
        // The plan replaced is freed before the next is computed, beside the sessions.
        if let Some(old) = state.kept.take() {
            crate::workstation::free_beside(old.plan);
        }
        let (cycles, plan) = self.compute(&mut state, cycles, as_of, today)?;
        let plan = Arc::new(plan);
        state.computed += 1;
        state.kept = Some(Kept {
            as_of,
            today,
            version,
            cycles,
            plan: Arc::clone(&plan),
        });
        Ok(plan)
    }

    /// The plan as of `as_of` the sessions were last given, even if something was committed
    /// since (from the same cycles, on the same day), else [`Plans::plan`]: for what only
    /// points the way, as the template the reminder picker starts on, or shows what the
    /// collector was shown, as the preview of a planned reminder (sending it plans again).
    ///
    /// # Errors
    ///
    /// As [`Plans::plan`].
    pub fn recent(&self, as_of: Date) -> Result<Arc<SharedPlan>> {
        {
            let state = lock(&self.state);
            let today = chrono::Local::now().date_naive();
            if let Some(kept) = &state.kept
                && kept.as_of == as_of
                && kept.today == today
            {
                return Ok(Arc::clone(&kept.plan));
            }
        }
        self.plan(as_of)
    }

    /// What is held now.
    pub fn held(&self) -> PlansHeld {
        let state = lock(&self.state);
        PlansHeld {
            computed: state.computed,
            kept: state.kept.as_ref().map(|k| k.as_of),
            rows: state
                .kept
                .as_ref()
                .map_or(0, |k| k.plan.plan.entries.len() + k.plan.plan.skipped.len()),
        }
    }

    /// Computes the plan on the planner thread (started at the first).
    fn compute(
        &self,
        state: &mut State,
        cycles: Cycles,
        as_of: Date,
        today: Date,
    ) -> Result<(Vec<Cycle>, SharedPlan)> {
        let (reply, answer) = mpsc::channel();
        let job = Job {
            cycles,
            as_of,
            today,
            reply,
        };
        let job = match &state.planner {
            Some(planner) => match planner.send(job) {
                Ok(()) => None,
                Err(mpsc::SendError(job)) => Some(job),
            },
            None => Some(job),
        };
        if let Some(job) = job {
            let planner = spawn(self.db.clone(), self.config.clone())?;
            planner
                .send(job)
                .map_err(|_| Error::runtime("the engagement planner stopped"))?;
            state.planner = Some(planner);
        }
        answer
            .recv()
            .map_err(|_| Error::runtime("the engagement planner stopped"))?
    }
}

/// Starts the planner thread: each job is computed on a connection of its own, closed
/// before the answer goes.
fn spawn(db: PathBuf, config: Config) -> Result<Sender<Job>> {
    let (tx, rx) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("owed-plan".into())
        .spawn(move || {
            for job in rx {
                let result = compute(&db, &config, job.cycles, job.as_of, job.today);
                give_back();
                let _ = job.reply.send(result);
            }
        })
        .map_err(|e| Error::runtime(format!("cannot start the engagement planner: {e}")))?;
    Ok(tx)
}

/// The plan of `cycles` as of `as_of`, with the cycles; the connection is closed, and the
/// facts freed, before it returns.
fn compute(
    db: &Path,
    config: &Config,
    cycles: Cycles,
    as_of: Date,
    today: Date,
) -> Result<(Vec<Cycle>, SharedPlan)> {
    let store = Store::open_existing(db)?;
    let plan = plan::compute(&store, &cycles, engage::plan_settings(config, as_of, today))?;
    drop(store);
    let count = cycles.cycles.len();
    Ok((
        cycles.cycles,
        SharedPlan {
            plan,
            cycles: count,
        },
    ))
}

/// Hands the memory the plan's working data was freed from back to the system. The C
/// allocator keeps what a thread freed for that thread's next allocations, and the facts of
/// 100,000 customers left 75 MB of the server's memory taken after the plan was made, until
/// the next; what the plan keeps is not touched.
fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions; it only returns free memory to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The cycles of the config's folder, read now (their files may have changed since), for
/// the ledger of `store` (its custom fields: [`engage::load_cycles_from`]).
///
/// # Errors
///
/// [`Error::Input`] when there is no folder, or a cycle cannot be read.
pub fn load_cycles(config: &Config, store: &Store) -> Result<Cycles> {
    let dir = config
        .cycles_dir(None)
        .ok_or_else(|| Error::input("no engagement cycles folder: set `cycles` in the config"))?;
    if !dir.is_dir() {
        return Err(Error::input(format!(
            "no engagement cycles in {}: put the cycle files there, or set `cycles` in the \
             config (examples in config/cycles/)",
            dir.display()
        )));
    }
    engage::load_cycles_from(config, &dir, store)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
