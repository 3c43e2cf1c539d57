//! The engagement worker: a thread per session (started when the session first asks) that
//! reads the cycles, takes today's plan from the sessions' shared [`Plans`], renders
//! previews, holds customers and sends reminders (over SMTP, and text messages through the
//! `[sms]` provider, as `owed engage run` does) as the session's actor, off the input path,
//! each request on a connection of its own, closed once it is answered.
//! [`EngageWorker`] answers one request at a time (tests call it directly); [`spawn`] runs it
//! on its thread.
//!
//! Sending follows the engine's at-most-once protocol (`crate::engage::outbox`): the worker
//! connects first (a server that is down claims nothing), then claims, sends and records each
//! reminder, answering after each one so the workstation shows the progress.

use super::plans::{self, Plans, SharedPlan};
use super::{
    EngageRequest, EngageResponse, PlanData, PlanKey, PreviewItem, PreviewMail, SendOutcome,
    SendResult, TemplateHint, TemplateInfo,
};
use crate::config::Config;
use crate::domain::Date;
use crate::domain::action_checks::Stamp;
use crate::domain::date::Clock;
use crate::domain::users::Actor;
use crate::engage::cycle::Channel;
use crate::engage::outbox::StopSignal;
use crate::engage::outbox::{self, EntryOutcome, Mailer};
use crate::engage::plan::{Plan, PlanEntry};
use crate::engage::report::EngagementReport;
use crate::engage::sms::{Channels, Senders};
use crate::engage::template::{RenderedEmail, TemplateRef};
use crate::engage::{self, Cycles, RetryPolicy, SendSettings, manual};
use crate::store::Store;
use crate::store::engage::HoldDone;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// What the worker needs from the command line and config.
#[derive(Debug, Clone)]
pub struct EngageSettings {
    pub config: Config,
    /// Who sends and holds: recorded on what is sent and held (the session's actor).
    pub actor: Actor,
    /// How patiently to retry the mail server.
    pub retry: RetryPolicy,
}

/// Makes the mailer of a send, for the channels it holds (the senders of the config; tests
/// give their own), stopping when the signal is raised as `owed engage run`'s does (before the
/// next reminder, and at once while waiting on the server before a message was handed over;
/// once handed over, its answer is waited for). Shared by every session's engagement worker.
pub type MailerFactory =
    Arc<dyn Fn(&Config, Channels, StopSignal) -> Result<Box<dyn Mailer>> + Send + Sync>;

/// The senders of the config, as `owed engage run` has them: SMTP (`[smtp]`) when a send
/// holds emails, the text-message provider (`[sms]`) when it holds text messages, their
/// secrets from the environment.
pub fn config_senders() -> MailerFactory {
    config_senders_with(|v| std::env::var(v).ok())
}

/// The same, the secrets read through `env` (tests).
pub fn config_senders_with(env: fn(&str) -> Option<String>) -> MailerFactory {
    Arc::new(
        move |config: &Config, channels: Channels, stop: StopSignal| {
            let senders = Senders::from_config(config, channels, stop, env)?;
            Ok(Box::new(senders) as Box<dyn Mailer>)
        },
    )
}

/// The sends of a workstation's engagement workers in progress, and the signal that stops
/// them: what a stopping server (or a workstation ended by `q` or a signal) waits for
/// ([`Sends::finish`]), as `owed engage run` does on SIGTERM, so that a reminder handed over
/// to the mail server has its answer recorded before the process ends (it was left `pending`,
/// maybe delivered, with nothing said).
#[derive(Default)]
pub struct Sends {
    stop: StopSignal,
    /// Each send in progress, by number: the reminder it is delivering, if one.
    inflight: Mutex<BTreeMap<u64, Option<String>>>,
    /// The reminders handed over since the stop whose answer never came (the server's
    /// deadline passed): left `pending`, to be said by [`Sends::finish`].
    left: Mutex<Vec<String>>,
    next: AtomicU64,
    changed: Condvar,
}

impl Sends {
    /// Stops the sends: none claims another reminder, one not yet handed over to the server
    /// is abandoned (its claim released), one handed over waits for the server's answer.
    pub fn stop(&self) {
        self.stop.raise(STOPPING);
    }

    /// Whether [`Sends::stop`] was called.
    pub fn stopped(&self) -> bool {
        self.stop.raised().is_some()
    }

    /// How many sends are in progress.
    pub fn active(&self) -> usize {
        lock(&self.inflight).len()
    }

    /// Stops the sends and waits, at most `timeout`, for those in progress to end. Returns
    /// every reminder left `pending`, maybe delivered: those handed over whose answer never
    /// came (`reminder 12: Standard dunning / Friendly to Acme (C000014), sent by frank`),
    /// then those still being delivered (`Standard dunning / Friendly to Acme (C000014), sent
    /// by frank`, claimed or about to be).
    pub fn finish(&self, timeout: Duration) -> Vec<String> {
        self.stop();
        let inflight = lock(&self.inflight);
        let (inflight, _) = self
            .changed
            .wait_timeout_while(inflight, timeout, |m| !m.is_empty())
            .unwrap_or_else(|e| e.into_inner());
        let still: Vec<String> = inflight
            .values()
            .map(|what| what.clone().unwrap_or_else(|| "a send starting".into()))
            .collect();
        drop(inflight);
        let mut out = lock(&self.left).clone();
        out.extend(still);
        out
    }

    /// A reminder handed over after the stop got no answer: it is left `pending`, `what`
    /// names it for [`Sends::finish`] (no session may be there to see it).
    fn left_pending(&self, what: String) {
        lock(&self.left).push(what);
    }

    /// A send begins: it counts as in progress until the guard is dropped.
    fn begin(self: &Arc<Sends>) -> InFlight {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.inflight).insert(id, None);
        InFlight {
            sends: Arc::clone(self),
            id,
        }
    }

    /// Refuses to go on to the next reminder once the sends are stopping.
    fn go_on(&self) -> Result<()> {
        if self.stopped() {
            return Err(Error::runtime(
                "the workstation is stopping: the rest was not sent",
            ));
        }
        Ok(())
    }
}

/// The number [`Sends::stop`] raises the mailers' stop signal with (SIGTERM's: the server
/// stops on it).
const STOPPING: i32 = 15;

/// A send in progress (see [`Sends`]).
struct InFlight {
    sends: Arc<Sends>,
    id: u64,
}

impl InFlight {
    /// What it is delivering now (`None`: between two reminders).
    fn at(&self, what: Option<String>) {
        if let Some(slot) = lock(&self.sends.inflight).get_mut(&self.id) {
            *slot = what;
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.sends.inflight).remove(&self.id);
        self.sends.changed.notify_all();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What is being delivered, for the log of a stopping server.
fn delivering(actor: &Actor, cycle: &str, reminder: &str, name: &str, customer_id: &str) -> String {
    format!(
        "{} / {} to {} ({}), sent by {}",
        crate::domain::text::one_line(cycle),
        crate::domain::text::one_line(reminder),
        crate::domain::text::one_line(name),
        crate::domain::text::one_line(customer_id),
        crate::domain::text::one_line(&actor.name)
    )
}

/// The database and mail side of the workstation's engagement.
///
/// Between two requests it holds no connection, no cycles and no plan: each request opens
/// the database, reads the cycles and takes the plan from [`Plans`] (shared by the sessions)
/// as it needs them, and lets them go once answered. A session that has left the
/// engagement screen keeps nothing of it here.
pub struct EngageWorker {
    db: PathBuf,
    settings: EngageSettings,
    mailer: MailerFactory,
    plans: Arc<Plans>,
    sends: Arc<Sends>,
}

/// What the worker holds while it answers one request, and lets go after it.
struct Answering<'w> {
    store: Store,
    settings: &'w EngageSettings,
    mailer: &'w MailerFactory,
    plans: &'w Plans,
    sends: &'w Arc<Sends>,
    /// The cycles, once read for this request.
    cycles: Option<Cycles>,
}

/// How many sent reminders the outbox pane shows besides the pending and failed ones.
const OUTBOX_SENT: usize = 20;

impl EngageWorker {
    /// A worker on the database at `db` with plans of its own (tests; the workstation's
    /// sessions share theirs: [`EngageWorker::with_plans`]).
    ///
    /// # Errors
    ///
    /// When the database cannot be opened.
    pub fn open(
        db: &Path,
        settings: EngageSettings,
        mailer: MailerFactory,
    ) -> Result<EngageWorker> {
        let plans = Arc::new(Plans::new(db, settings.config.clone()));
        EngageWorker::with_plans(db, settings, mailer, plans)
    }

    /// A worker on the database at `db` taking its plans from `plans`.
    ///
    /// # Errors
    ///
    /// When the database cannot be opened.
    pub fn with_plans(
        db: &Path,
        settings: EngageSettings,
        mailer: MailerFactory,
        plans: Arc<Plans>,
    ) -> Result<EngageWorker> {
        // Opened once here, so that a database that cannot be opened is said at once.
        drop(Store::open_existing(db)?);
        Ok(EngageWorker {
            db: db.to_path_buf(),
            settings,
            mailer,
            plans,
            sends: Arc::default(),
        })
    }

    /// The same, its sends counted in (and stopped by) `sends`, the workstation's.
    pub fn with_sends(mut self, sends: Arc<Sends>) -> EngageWorker {
        self.sends = sends;
        self
    }

    /// Answers one request; `emit` takes each answer as soon as it is ready. What the answer
    /// needed (the connection, the cycles, the plan) is let go before its last answer goes.
    pub fn handle(&mut self, request: EngageRequest, emit: &mut dyn FnMut(EngageResponse)) {
        let store = match Store::open_existing(&self.db) {
            Ok(store) => store,
            Err(e) => return emit(refused(request, e.to_string())),
        };
        let mut answering = Answering {
            store,
            settings: &self.settings,
            mailer: &self.mailer,
            plans: &self.plans,
            sends: &self.sends,
            cycles: None,
        };
        // Each reminder's outcome goes at once; the answer that ends the request (the only
        // one, but for a send) once the connection is closed.
        let mut last = None;
        answering.handle(request, &mut |r| match r {
            EngageResponse::Sent { .. } => emit(r),
            _ => last = Some(r),
        });
        drop(answering);
        if let Some(r) = last {
            emit(r);
        }
    }
}

/// The answer to `request` when the database cannot be opened.
fn refused(request: EngageRequest, why: String) -> EngageResponse {
    match request {
        EngageRequest::Templates { seq, .. } => EngageResponse::Templates {
            seq,
            result: Err(why),
            held: Vec::new(),
        },
        EngageRequest::Preview { seq, .. } | EngageRequest::PreviewPlanned { seq, .. } => {
            EngageResponse::Previews {
                seq,
                result: Err(why),
            }
        }
        EngageRequest::Send { seq, .. } | EngageRequest::SendPlanned { seq, .. } => {
            EngageResponse::SendDone {
                seq,
                error: Some(why),
            }
        }
        EngageRequest::Plan { seq, .. } => EngageResponse::Plan {
            seq,
            result: Err(why),
        },
        EngageRequest::Hold { seq, until, .. } => EngageResponse::Held {
            seq,
            until,
            result: Err(why),
            written: Vec::new(),
            not_held: Vec::new(),
        },
        EngageRequest::Report { seq, .. } => EngageResponse::Report {
            seq,
            result: Err(why),
        },
    }
}

impl Answering<'_> {
    /// Answers one request.
    fn handle(&mut self, request: EngageRequest, emit: &mut dyn FnMut(EngageResponse)) {
        match request {
            EngageRequest::Templates { seq, as_of, cids } => {
                let result = self.templates(as_of, &cids).map_err(|e| e.to_string());
                // What cannot be read leaves the picker without the note, not without its
                // templates.
                let held = self.held_notes(as_of, &cids).unwrap_or_default();
                emit(EngageResponse::Templates { seq, result, held })
            }
            EngageRequest::Preview {
                seq,
                as_of,
                template,
                cids,
            } => emit(EngageResponse::Previews {
                seq,
                result: self
                    .preview(as_of, &template, &cids)
                    .map_err(|e| e.to_string()),
            }),
            EngageRequest::PreviewPlanned { seq, as_of, keys } => emit(EngageResponse::Previews {
                seq,
                result: self
                    .preview_planned(as_of, &keys)
                    .map_err(|e| e.to_string()),
            }),
            EngageRequest::Send {
                seq,
                as_of,
                template,
                cids,
            } => {
                let error = self
                    .send_manual(seq, as_of, &template, &cids, emit)
                    .err()
                    .map(|e| e.to_string());
                emit(EngageResponse::SendDone { seq, error });
            }
            EngageRequest::SendPlanned { seq, as_of, keys } => {
                let error = self
                    .send_planned(seq, as_of, &keys, emit)
                    .err()
                    .map(|e| e.to_string());
                emit(EngageResponse::SendDone { seq, error });
            }
            EngageRequest::Plan { seq, as_of, owner } => emit(EngageResponse::Plan {
                seq,
                result: self
                    .plan(as_of, owner)
                    .map(Box::new)
                    .map_err(|e| e.to_string()),
            }),
            EngageRequest::Hold {
                seq,
                as_of,
                cids,
                until,
                text,
            } => {
                let (mut written, mut not_held) = (Vec::new(), Vec::new());
                let result = self
                    .hold(
                        as_of,
                        &cids,
                        until,
                        text.as_deref(),
                        &mut written,
                        &mut not_held,
                    )
                    .map_err(|e| e.to_string());
                emit(EngageResponse::Held {
                    seq,
                    until,
                    result,
                    written,
                    not_held,
                });
            }
            EngageRequest::Report { seq, as_of } => emit(EngageResponse::Report {
                seq,
                result: EngagementReport::compute(
                    &self.store,
                    as_of,
                    &self.settings.config.base_currency,
                )
                .map(Box::new)
                .map_err(|e| e.to_string()),
            }),
        }
    }

    /// The cycles, read when this request first needs them (their files may have changed
    /// since the last).
    fn cycles(&mut self) -> Result<&mut Cycles> {
        if self.cycles.is_none() {
            self.cycles = Some(plans::load_cycles(&self.settings.config, &self.store)?);
        }
        self.cycles
            .as_mut()
            .ok_or_else(|| Error::runtime("the engagement cycles are not loaded"))
    }

    /// The plan as of `as_of` (the sessions' shared one, or computed now).
    fn shared_plan(&self, as_of: Date) -> Result<Arc<SharedPlan>> {
        self.plans.plan(as_of)
    }

    /// The sending settings as of a date.
    fn send_settings(&self, as_of: Date) -> Result<SendSettings> {
        let mut s =
            engage::send_settings(&self.settings.config, &self.settings.actor, as_of, CLOCK)?;
        s.retry = self.settings.retry;
        Ok(s)
    }

    /// The sending settings of a send of `channels`, once its date is known to be no later
    /// than today and the ledger fresh enough to send on: a later date or a stale ledger
    /// refuses the send before anything connects or is claimed. A send of text messages only
    /// needs no `[smtp]`, as in `owed engage run`.
    fn settings_to_send(&self, as_of: Date, channels: Channels) -> Result<SendSettings> {
        dated_by_today(as_of)?;
        engage::ledger_age(&self.store, &self.settings.config, as_of)?.check()?;
        let mut s = engage::send_settings_for(
            &self.settings.config,
            &self.settings.actor,
            as_of,
            CLOCK,
            channels.emails,
        )?;
        s.retry = self.settings.retry;
        Ok(s)
    }

    /// Sending settings good enough to render a preview when `from` is not configured.
    /// Returns them with the From line to show.
    fn preview_settings(&self, as_of: Date) -> Result<(SendSettings, String)> {
        Ok(match self.send_settings(as_of) {
            Ok(s) => {
                let from = s.from.to_string();
                (s, from)
            }
            Err(e) => (
                SendSettings {
                    from: "owed <owed@localhost>".parse().map_err(Error::runtime)?,
                    collector: self.settings.actor.name.clone(),
                    role: self.settings.actor.role,
                    base_currency: self.settings.config.base_currency.clone(),
                    as_of,
                    retry: self.settings.retry,
                    statement: crate::export::statement::StatementSettings::from_config(
                        &self.settings.config,
                    )?,
                    min_days_between: self.settings.config.engage.min_days_between.unwrap_or(0),
                    clock: CLOCK,
                },
                format!("— ({e})"),
            ),
        })
    }

    /// The templates a collector can pick, each with its hint for `cids`: `Planned` when the
    /// plan as of `as_of` (the sessions' last of that date, else computed: a plan that cannot
    /// be made marks none) sends its reminder to one of them; else `SentLast` for the
    /// reminder a cycle last sent the first of them.
    fn templates(&mut self, as_of: Date, cids: &[i64]) -> Result<Vec<TemplateInfo>> {
        let planned: Vec<(String, String)> = self
            .plans
            .recent(as_of)
            .map(|shared| planned_reminders(&shared.plan, cids))
            .unwrap_or_default();
        let (hint, reminders) = if planned.is_empty() {
            let last = match cids.first() {
                Some(&cid) => self.store.engagement().last_cycle_reminder(
                    cid,
                    as_of,
                    crate::engage::cycle::MANUAL_CYCLE,
                )?,
                None => None,
            };
            (TemplateHint::SentLast, last.into_iter().collect())
        } else {
            (TemplateHint::Planned, planned)
        };
        let cycles = self.cycles()?;
        let refs = manual::templates(cycles)?;
        let uses = |path: &Path| {
            reminders.iter().any(|(cycle, reminder)| {
                cycles.cycles.iter().any(|c| {
                    c.name == *cycle
                        && c.reminders
                            .iter()
                            .any(|r| r.name == *reminder && r.template.path == path)
                })
            })
        };
        Ok(refs
            .into_iter()
            .map(|t| TemplateInfo {
                hint: uses(&t.path).then_some(hint),
                used_by: cycles
                    .cycles
                    .iter()
                    .flat_map(|c| {
                        c.reminders
                            .iter()
                            .filter(|r| r.template.path == t.path)
                            .map(move |r| format!("{} / {}", c.name, r.name))
                    })
                    .collect(),
                name: t.stem(),
                has_html: t.has_html,
                path: t.path,
            })
            .collect())
    }

    /// The template at `path` among those a collector can pick.
    fn template(&mut self, path: &Path) -> Result<TemplateRef> {
        let cycles = self.cycles()?;
        manual::templates(cycles)?
            .into_iter()
            .find(|t| t.path == path)
            .ok_or_else(|| {
                Error::input(format!(
                    "the template {} is not in the cycles folder any more",
                    path.display()
                ))
            })
    }

    fn preview(&mut self, as_of: Date, path: &Path, cids: &[i64]) -> Result<Vec<PreviewItem>> {
        let template = self.template(path)?;
        let (settings, from) = self.preview_settings(as_of)?;
        let mut out = Vec::with_capacity(cids.len());
        for &cid in cids {
            self.sends.go_on()?;
            let (customer_id, name) = self.customer_named(cid)?;
            let mail = match manual::entry_for(
                &self.store,
                &customer_id,
                &template,
                as_of,
                &settings.base_currency,
            ) {
                Err(e) => Err(e.to_string()),
                Ok(entry) => {
                    let cycles = self.cycles()?;
                    let rendered = manual::preview(cycles, &template, &entry, &settings)?;
                    Ok(preview_mail(&from, &entry, rendered))
                }
            };
            out.push(PreviewItem {
                cid,
                customer_id,
                name,
                key: None,
                mail,
            });
        }
        Ok(out)
    }

    /// Renders planned reminders from the sessions' last plan of `as_of` (else one computed
    /// now): what the collector was shown.
    fn preview_planned(&mut self, as_of: Date, keys: &[PlanKey]) -> Result<Vec<PreviewItem>> {
        let shared = self.plans.recent(as_of)?;
        let plan = &shared.plan;
        let (settings, from) = self.preview_settings(as_of)?;
        self.cycles()?;
        let config = &self.settings.config;
        let Some(cycles) = self.cycles.as_ref() else {
            return Err(Error::runtime("the engagement cycles are not loaded"));
        };
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let item = match find(plan, key) {
                Some(entry) => PreviewItem {
                    cid: entry.cid,
                    customer_id: entry.customer_id.clone(),
                    name: entry.customer_name.clone(),
                    key: Some(key.clone()),
                    mail: match entry.channel {
                        Channel::Email => outbox::preview(cycles, entry, &settings)
                            .map(|r| preview_mail(&from, entry, r)),
                        Channel::Sms => outbox::preview_text(cycles, entry, &settings)
                            .map(|text| preview_text(config, entry, text)),
                    }
                    .map_err(|e| e.to_string()),
                },
                None => PreviewItem {
                    cid: 0,
                    customer_id: key.customer_id.clone(),
                    name: String::new(),
                    key: Some(key.clone()),
                    mail: Err(self.gone(as_of, key, None, plan)?),
                },
            };
            out.push(item);
        }
        Ok(out)
    }

    /// Connects the mailer of a send of `channels`, with the engine's retries.
    fn connect(&mut self, channels: Channels) -> Result<Box<dyn Mailer>> {
        let mut mailer = (self.mailer)(&self.settings.config, channels, self.sends.stop.clone())?;
        outbox::connect_with_retries(mailer.as_mut(), self.settings.retry).map_err(|e| {
            Error::runtime(format!(
                "cannot reach the mail server: {e}; nothing was sent"
            ))
        })?;
        Ok(mailer)
    }

    fn send_manual(
        &mut self,
        seq: u64,
        as_of: Date,
        path: &Path,
        cids: &[i64],
        emit: &mut dyn FnMut(EngageResponse),
    ) -> Result<()> {
        let flight = self.sends.begin();
        let template = self.template(path)?;
        // A reminder by hand is an email.
        let channels = Channels {
            emails: true,
            texts: false,
        };
        let settings = self.settings_to_send(as_of, channels)?;
        let mut mailer = self.connect(channels)?;
        for &cid in cids {
            self.sends.go_on()?;
            let (customer_id, name) = self.customer_named(cid)?;
            let entry = match manual::entry_for(
                &self.store,
                &customer_id,
                &template,
                as_of,
                &settings.base_currency,
            ) {
                Ok(entry) => entry,
                Err(e) => {
                    emit(EngageResponse::Sent {
                        seq,
                        outcome: SendOutcome {
                            cid: Some(cid),
                            customer_id,
                            name,
                            result: SendResult::Failed(e.to_string()),
                        },
                    });
                    continue;
                }
            };
            self.deliver(
                (&flight, seq, &mut *emit),
                &entry,
                (cid, &customer_id, &name),
                |store, cycles| {
                    manual::send(store, cycles, &template, &entry, mailer.as_mut(), &settings)
                },
            )?;
        }
        mailer.close();
        Ok(())
    }

    /// Customer `cid`'s id and name (`#cid` and no name when it is gone).
    fn customer_named(&self, cid: i64) -> Result<(String, String)> {
        let label = self.store.ledger().customer_label(cid)?;
        Ok(label.map_or((format!("#{cid}"), String::new()), |l| (l.id, l.name)))
    }

    /// Delivers `entry` to customer `cid` (`customer_id`, `name`) through `send`, as one
    /// reminder of the send in progress `flight` (which says what it delivers meanwhile, for
    /// a stopping server's log), and emits how it went as answer `seq`. An error when the
    /// send must stop there.
    fn deliver(
        &mut self,
        (flight, seq, emit): (&InFlight, u64, &mut dyn FnMut(EngageResponse)),
        entry: &PlanEntry,
        (cid, customer_id, name): (i64, &str, &str),
        send: impl FnOnce(&mut Store, &Cycles) -> Result<EntryOutcome>,
    ) -> Result<()> {
        let Some(cycles) = self.cycles.as_ref() else {
            return Err(Error::runtime("the engagement cycles are not loaded"));
        };
        let what = delivering(
            &self.settings.actor,
            &entry.cycle,
            &entry.reminder,
            name,
            customer_id,
        );
        flight.at(Some(what.clone()));
        let done = send(&mut self.store, cycles)?;
        if let EntryOutcome::Unknown(u) = &done
            && self.sends.stopped()
        {
            let id = u
                .reminder_id
                .map_or_else(String::new, |id| format!(" {id}"));
            self.sends.left_pending(format!("reminder{id}: {what}"));
        }
        flight.at(None);
        let (result, stop) = send_result(done, entry.channel);
        emit(EngageResponse::Sent {
            seq,
            outcome: SendOutcome {
                cid: Some(cid),
                customer_id: customer_id.to_string(),
                name: name.to_string(),
                result,
            },
        });
        match stop {
            Some(why) => Err(Error::runtime(why)),
            None => Ok(()),
        }
    }

    /// Of `cids`, those held back from the cycles (by the hold the plan of `as_of` reads,
    /// sent now: in force today, else at `as_of`), one sentence each.
    fn held_notes(&self, as_of: Date, cids: &[i64]) -> Result<Vec<String>> {
        let mut notes = Vec::new();
        for &cid in cids {
            if let Some(h) = self
                .store
                .engagement()
                .hold_then_or_now(cid, as_of, CLOCK.today())?
            {
                notes.push(format!(
                    "{} ({}) is {}",
                    crate::domain::text::one_line(&h.name),
                    crate::domain::text::one_line(&h.customer_id),
                    held_sentence(&h)
                ));
            }
        }
        Ok(notes)
    }

    /// Why the reminder of `key` is not in `plan`, the plan of `as_of` just computed (`seen`:
    /// its entry in the plan shown before, if it was there): the customer held back (until
    /// when, by whom, why) or paused by a promise, the reminder skipped (its reason), another
    /// reminder sent instead, its documents paid or disputed since, or sent meanwhile.
    fn gone(
        &self,
        as_of: Date,
        key: &PlanKey,
        seen: Option<&PlanEntry>,
        plan: &Plan,
    ) -> Result<String> {
        let head = format!(
            "{} / {} for {} is no longer in {}",
            key.cycle,
            key.reminder,
            key.customer_id,
            plan_named(as_of)
        );
        let why = self.why_gone(as_of, key, seen, plan)?;
        Ok(format!("{head}: {why}"))
    }

    fn why_gone(
        &self,
        as_of: Date,
        key: &PlanKey,
        seen: Option<&PlanEntry>,
        plan: &Plan,
    ) -> Result<String> {
        let unknown = "sent meanwhile, settled, disputed, paused or held".to_string();
        let Some(cid) = self.store.ledger().customer_key(&key.customer_id)? else {
            return Ok(unknown);
        };
        if plan.held.contains_key(&cid)
            && let Some(h) = self
                .store
                .engagement()
                .hold_then_or_now(cid, as_of, CLOCK.today())?
        {
            return Ok(held_sentence(&h));
        }
        let pauses = self
            .cycles
            .as_ref()
            .and_then(|c| c.get(&key.cycle))
            .is_none_or(|c| c.pause_on_promise);
        if pauses && let Some(date) = plan.paused.get(&cid) {
            return Ok(format!("promised to pay by {date}"));
        }
        if let Some(s) = plan.skipped.iter().find(|s| PlanKey::of(&s.entry) == *key) {
            return Ok(s.reason.clone());
        }
        if let Some(e) = plan.entries.iter().find(|e| e.cid == cid) {
            return Ok(format!("{} / {} goes instead", e.cycle, e.reminder));
        }
        let Some(seen) = seen else {
            return Ok(unknown);
        };
        // What the run's check says of it now: paid or disputed since, else sent.
        let base = &self.settings.config.base_currency;
        Ok(
            match engage::plan::recheck(&self.store, seen, pauses, as_of, CLOCK.today(), base)? {
                Err(why) => why.replace(" since the run began", " since"),
                Ok(_) => "sent meanwhile (the outbox has it)".to_string(),
            },
        )
    }

    fn send_planned(
        &mut self,
        seq: u64,
        as_of: Date,
        keys: &[PlanKey],
        emit: &mut dyn FnMut(EngageResponse),
    ) -> Result<()> {
        let flight = self.sends.begin();
        // A fresh plan: what the collector saw may have been sent or settled since (the plan
        // last shown, kept to say why a reminder left it).
        let seen = self.plans.recent(as_of)?;
        let shared = self.shared_plan(as_of)?;
        let plan = &shared.plan;
        self.cycles()?;
        let channels = Channels::of(keys.iter().filter_map(|k| find(plan, k)));
        let settings = self.settings_to_send(as_of, channels)?;
        let mut mailer = self.connect(channels)?;
        for key in keys {
            self.sends.go_on()?;
            let Some(entry) = find(plan, key) else {
                let why = self.gone(as_of, key, find(&seen.plan, key), plan)?;
                emit(EngageResponse::Sent {
                    seq,
                    outcome: SendOutcome {
                        cid: None,
                        customer_id: key.customer_id.clone(),
                        name: String::new(),
                        result: SendResult::Withdrawn(why),
                    },
                });
                continue;
            };
            self.deliver(
                (&flight, seq, &mut *emit),
                entry,
                (entry.cid, &entry.customer_id, &entry.customer_name),
                |store, cycles| {
                    outbox::send_entry(store, cycles, entry, mailer.as_mut(), &settings)
                },
            )?;
        }
        mailer.close();
        Ok(())
    }

    /// Today's plan beside the holds and the outbox. Cycles that cannot be read (no folder, a
    /// bad rule) leave the plan empty and say why, and the holds and the outbox are still
    /// read: a failed send is looked for there whatever the cycles' state.
    fn plan(&mut self, as_of: Date, owner: Option<String>) -> Result<PlanData> {
        let base = self.settings.config.base_currency.clone();
        let owned: std::collections::HashSet<i64> = match &owner {
            Some(name) => self
                .store
                .ledger()
                .customers_owned_by(name)?
                .into_iter()
                .collect(),
            None => Default::default(),
        };
        // As the queue: someone who owns no customers (a manager, an auditor) sees everyone's.
        let owner = owner.filter(|_| !owned.is_empty());
        let theirs = |cid: i64| owner.is_none() || owned.contains(&cid);
        let (cycles, entries, skipped, paused, cycles_error) = match self.shared_plan(as_of) {
            Ok(shared) => {
                let plan = &shared.plan;
                let (entries, skipped) = super::plan_rows_of(plan, &base, theirs);
                let paused = plan.paused.keys().filter(|&&cid| theirs(cid)).count();
                (shared.cycles, entries, skipped, paused, None)
            }
            Err(e @ Error::Input(_)) => (0, Vec::new(), Vec::new(), 0, Some(e.to_string())),
            Err(e) => return Err(e),
        };
        Ok(PlanData {
            as_of,
            cycles,
            cycles_error,
            entries,
            skipped,
            held: {
                let mut held = self
                    .store
                    .engagement()
                    .holds_then_or_now(as_of, CLOCK.today())?;
                held.retain(|h| theirs(h.cid));
                held
            },
            paused,
            outbox: self.store.engagement().outbox(as_of, OUTBOX_SENT)?,
            owner,
            stale_ledger: engage::ledger_age(&self.store, &self.settings.config, as_of)?.headline(),
        })
    }

    fn hold(
        &mut self,
        as_of: Date,
        cids: &[i64],
        until: Date,
        text: Option<&str>,
        written: &mut Vec<i64>,
        not_held: &mut Vec<i64>,
    ) -> Result<usize> {
        dated_by_today(as_of)?;
        // The session's actor (the role is checked in the hold's transaction) and day.
        let stamp = Stamp::for_actor(&self.settings.actor, chrono::Utc::now(), as_of)
            .map_err(Error::Input)?;
        for &cid in cids {
            let done = self
                .store
                .engagement_mut()
                .hold_customer(&stamp, cid, until, text)?;
            match done {
                HoldDone::NotHeld => not_held.push(cid),
                HoldDone::Held | HoldDone::Released { .. } => written.push(cid),
            }
        }
        Ok(written.len())
    }
}

/// This machine's clock, read here: when a session's reminders are claimed and sent.
const CLOCK: Clock = Clock::Reading(chrono::Local::now);

/// `held back from engagement until DATE by WHO: why`, the reason on one line.
pub fn held_sentence(h: &crate::domain::engage::HoldRow) -> String {
    let why = h
        .text
        .as_deref()
        .map(|t| format!(": {}", crate::domain::text::one_line(t)))
        .unwrap_or_default();
    format!(
        "held back from engagement until {} by {}{why}",
        h.until, h.collector
    )
}

/// Refuses a reminder or a hold dated after today, this machine's date, read here (the
/// screen refuses the keys of a later date; this is for whatever else asks).
fn dated_by_today(as_of: Date) -> Result<()> {
    crate::domain::action_checks::dated_by_today(
        as_of,
        chrono::Local::now().date_naive(),
        crate::domain::action_checks::AsOfFrom::Workstation,
    )
    .map_err(Error::Input)
}

fn find<'a>(plan: &'a Plan, key: &PlanKey) -> Option<&'a PlanEntry> {
    plan.entries.iter().find(|e| PlanKey::of(e) == *key)
}

/// The plan of `as_of` as a sentence names it: today's, else by its date.
fn plan_named(as_of: Date) -> String {
    if as_of == CLOCK.today() {
        "today's plan".to_string()
    } else {
        format!("the plan of {as_of}")
    }
}

/// A text message as it would be sent, as `owed engage run --dry-run` shows it: from
/// `[sms] from` to the number, the text of `NAME.sms.txt` (else the email's subject).
fn preview_text(config: &Config, entry: &PlanEntry, text: String) -> PreviewMail {
    PreviewMail {
        from: config
            .sms
            .from
            .clone()
            .unwrap_or_else(|| "— (set `from` in the config's [sms] table)".into()),
        to: entry.to.clone(),
        subject: crate::engage::template::single_line(text.lines().next().unwrap_or_default()),
        text,
        has_html: false,
        text_message: true,
        cycle: entry.cycle.clone(),
        reminder: entry.reminder.clone(),
        documents: entry.document_names(),
        too_large: None,
        statement_unprinted: None,
    }
}

fn preview_mail(from: &str, entry: &PlanEntry, rendered: RenderedEmail) -> PreviewMail {
    let which = format!(
        "{} / {} to {}",
        entry.cycle, entry.reminder, entry.customer_id
    );
    let too_large =
        crate::engage::template::large_reminder(&which, rendered.size(), entry.documents.len());
    PreviewMail {
        too_large,
        statement_unprinted: crate::engage::outbox::statement_unprinted(entry)
            .ok()
            .flatten(),
        from: from.to_string(),
        to: entry.to.clone(),
        subject: rendered.subject,
        text: rendered.text,
        has_html: rendered.html.is_some(),
        text_message: false,
        cycle: entry.cycle.clone(),
        reminder: entry.reminder.clone(),
        documents: entry.document_names(),
    }
}

/// What a send did, and why to stop when the server (of `channel`) went away.
fn send_result(outcome: EntryOutcome, channel: Channel) -> (SendResult, Option<String>) {
    let server = match channel {
        Channel::Email => "the mail server",
        Channel::Sms => "the text-message provider",
    };
    match outcome {
        EntryOutcome::Sent(s) => (
            SendResult::Sent {
                message_id: s.message_id,
                to: s.to,
            },
            None,
        ),
        EntryOutcome::AlreadyClaimed => (SendResult::AlreadySent, None),
        EntryOutcome::Withdrawn(u) => (SendResult::Withdrawn(u.error), None),
        EntryOutcome::Failed(u) => (SendResult::Failed(u.error), None),
        EntryOutcome::Unknown(u) => {
            let why = format!("{server} was lost ({}); the rest was not sent", u.error);
            (SendResult::Unknown(u.error), Some(why))
        }
        EntryOutcome::ServerLost(u) => {
            let why = format!(
                "{server} became unusable ({}); the rest was not sent",
                u.error
            );
            (SendResult::Failed(u.error), Some(why))
        }
    }
}

/// The (cycle, reminder) of the plan's entries for `cids`: what the cycles send them today
/// (not what they skip: another cycle's reminder won, or one went out too recently).
fn planned_reminders(plan: &Plan, cids: &[i64]) -> Vec<(String, String)> {
    plan.entries
        .iter()
        .filter(|e| cids.contains(&e.cid))
        .map(|e| (e.cycle.clone(), e.reminder.clone()))
        .collect()
}

/// Whether a later request of the same kind makes this one pointless (a newer plan, preview,
/// report or template list was asked for). Sends and holds are never skipped.
fn superseded(request: &EngageRequest, later: &[EngageRequest]) -> bool {
    let kind = |r: &EngageRequest| match r {
        EngageRequest::Templates { .. } => Some(0),
        EngageRequest::Preview { .. } | EngageRequest::PreviewPlanned { .. } => Some(1),
        EngageRequest::Plan { .. } => Some(2),
        EngageRequest::Report { .. } => Some(3),
        EngageRequest::Send { .. }
        | EngageRequest::SendPlanned { .. }
        | EngageRequest::Hold { .. } => None,
    };
    kind(request).is_some_and(|k| later.iter().any(|l| kind(l) == Some(k)))
}

/// Starts the worker thread; answers go through `send` (which returns false when the
/// receiver is gone).
pub fn spawn(
    mut source: EngageWorker,
    send: impl Fn(EngageResponse) -> bool + Send + 'static,
) -> Result<Sender<EngageRequest>> {
    let (tx, rx) = mpsc::channel::<EngageRequest>();
    std::thread::Builder::new()
        .name("owed-engage".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let batch: Vec<EngageRequest> =
                    std::iter::once(first).chain(rx.try_iter()).collect();
                let mut alive = true;
                for (i, request) in batch.iter().enumerate() {
                    if superseded(request, &batch[i + 1..]) {
                        continue;
                    }
                    source.handle(request.clone(), &mut |r| alive &= send(r));
                    if !alive {
                        return;
                    }
                }
            }
        })
        .map_err(|e| Error::runtime(format!("cannot start the engagement worker: {e}")))?;
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_reads_supersede_older_ones_but_sends_never() {
        let as_of = crate::domain::date::parse_iso("2026-04-30").unwrap();
        let plan = |seq| EngageRequest::Plan {
            seq,
            as_of,
            owner: None,
        };
        let send = EngageRequest::SendPlanned {
            seq: 3,
            as_of,
            keys: Vec::new(),
        };
        assert!(superseded(&plan(1), &[plan(2)]));
        assert!(!superseded(&plan(2), std::slice::from_ref(&send)));
        assert!(!superseded(&send, std::slice::from_ref(&send)));
    }
}
