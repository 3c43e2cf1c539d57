//! Collector actions from the workstation's forms, on the worker's connection.
//!
//! A form asks for what it pre-fills ([`FormData`]); Enter sends a [`SaveJob`], which the
//! worker records through [`crate::actions`] (the functions the command line uses), then
//! refreshes what the screen shows of the customer: its queue row and the tab counts, the
//! metrics bar's open promise and issue amounts and the issues chart (each by the customer's
//! difference, not by recomputing the portfolio), then the page and the detail on screen.

use super::portfolio::{Computed, PortfolioWorker, SessionId};
use super::requests::Summary;
use crate::actions::{self, DisputeForm, FormDefaults, PromiseForm, Recorded};
use crate::config::Config;
use crate::domain::action_checks::{self as check, IssueState, OwnerRole, Stamp};
use crate::domain::customer::{CustomerCard, EntryRecord};
use crate::domain::queue::IssueReason;
use crate::domain::queue::{Predicate, QueueQuery};
use crate::domain::text::one_line;
use crate::domain::users::{Actor, Work};
use crate::domain::{Date, Decimal};
use crate::{Error, Result};
use std::time::{Duration, Instant};

/// The forms of the workstation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormKind {
    Note,
    Promise,
    Dispute,
    Resolve,
    FollowUp,
    Assign,
    Call,
    /// A follow-up of the timeline marked done.
    FollowUpDone,
    /// A promise of the timeline voided.
    VoidPromise,
    /// A resolved issue of the timeline reopened.
    Reopen,
    Attach,
}

impl FormKind {
    /// What saving it writes, as the store checks it against the user's role (writing an
    /// issue off, a manager's, is checked when that outcome is chosen).
    pub fn work(self) -> Work {
        match self {
            FormKind::Note => Work::Note,
            FormKind::Promise | FormKind::VoidPromise => Work::Promise,
            FormKind::Dispute | FormKind::Resolve | FormKind::Reopen => Work::Dispute,
            FormKind::FollowUp | FormKind::FollowUpDone => Work::Followup,
            FormKind::Assign => Work::Assign,
            FormKind::Call => Work::Call,
            FormKind::Attach => Work::Attachment,
        }
    }

    /// The form's title.
    pub fn title(self) -> &'static str {
        match self {
            FormKind::Note => "Note",
            FormKind::Promise => "Promise to pay",
            FormKind::Dispute => "Dispute",
            FormKind::Resolve => "Resolve a dispute",
            FormKind::FollowUp => "Follow-up",
            FormKind::Assign => "Assign an owner",
            FormKind::Call => "Call",
            FormKind::FollowUpDone => "Follow-up done",
            FormKind::VoidPromise => "Void a promise",
            FormKind::Reopen => "Reopen a dispute",
            FormKind::Attach => "Attach files",
        }
    }

    /// Whether the form may apply to every marked customer (else to one at a time).
    pub fn applies_to_marks(self) -> bool {
        matches!(
            self,
            FormKind::Note | FormKind::FollowUp | FormKind::Assign | FormKind::Call
        )
    }
}

/// An issue that can be resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueChoice {
    pub id: i64,
    pub reason: String,
    /// In `currency`, the customer's.
    pub amount: Decimal,
    pub currency: String,
    pub opened: Date,
}

/// An issue of the customer resolved as of the form's date, with who resolved it and how:
/// the resolve form names them when its issue is resolved elsewhere while it is open.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedIssue {
    pub id: i64,
    /// Who resolved it.
    pub by: String,
    /// Its outcome as stored (`invalid`), if one was given.
    pub outcome: Option<String>,
}

impl ResolvedIssue {
    /// `bob resolved issue 3 a moment ago: invalid` (`when`: `a moment ago`, or empty).
    pub fn sentence(&self, when: &str) -> String {
        let how = self
            .outcome
            .as_deref()
            .map(|o| check::Outcome::parse(o).map_or(o, |o| o.label()))
            .map_or(String::new(), |o| format!(": {o}"));
        let when = if when.is_empty() {
            String::new()
        } else {
            format!(" {when}")
        };
        format!("{} resolved issue {}{when}{how}", self.by, self.id)
    }
}

/// What a form pre-fills and checks against, for its (first) customer.
#[derive(Debug, Clone, PartialEq)]
pub struct FormData {
    pub customer: CustomerCard,
    /// The overdue amount and documents, and every open balance (promise and dispute forms).
    pub defaults: Option<FormDefaults>,
    /// The customer's open issues, newest first (resolve form).
    pub open_issues: Vec<IssueChoice>,
    /// The customer's resolved issues, newest first (resolve form).
    pub resolved_issues: Vec<ResolvedIssue>,
    /// Whom the assign form offers: the registered collectors and managers when users are
    /// registered, else every finance and sales owner's name.
    pub owners: Vec<String>,
    /// Every registered user's name and role (assign form): whom a finance owner may be
    /// ([`crate::domain::users::finance_owner`]).
    pub users: Vec<(String, crate::domain::users::Role)>,
    /// Whom the call form offers to call: the customer's contacts, then its own phone and
    /// email (call form).
    pub contacts: Vec<String>,
}

/// A form's fields as typed (checked again by [`crate::actions`] when saved).
#[derive(Debug, Clone, PartialEq)]
pub enum ActionValues {
    Note {
        text: String,
    },
    Promise {
        amount: String,
        date: String,
        documents: Vec<String>,
        text: String,
    },
    Dispute {
        reason: String,
        /// Empty: the documents' open balances, else the overdue amount.
        amount: String,
        documents: Vec<String>,
        text: String,
    },
    Resolve {
        issue: String,
        /// `valid`, `invalid`, `written_off` (a manager's); empty: none.
        outcome: String,
        text: String,
    },
    FollowUp {
        date: String,
        text: String,
    },
    Assign {
        owner: String,
        role: OwnerRole,
    },
    Call {
        outcome: String,
        contact: String,
        /// Empty: no follow-up.
        followup: String,
        text: String,
    },
    /// Mark the follow-up of this number done.
    FollowUpDone {
        followup: i64,
    },
    /// Void the promise of this number.
    VoidPromise {
        promise: i64,
        text: String,
    },
    /// Reopen the issue of this number.
    Reopen {
        issue: i64,
        text: String,
    },
    /// Files on the machine the workstation runs on (the server, over SSH).
    Attach {
        paths: Vec<String>,
        text: String,
    },
}

/// An action to record for one or more customers. The collector recorded is the session's
/// actor (the job cannot name another).
#[derive(Debug, Clone, PartialEq)]
pub struct SaveJob {
    /// The session's as-of date: the day the action counts from.
    pub as_of: Date,
    /// The customers, in order (the marked ones, or the selected one).
    pub cids: Vec<i64>,
    pub values: ActionValues,
}

/// What saving did.
#[derive(Debug, Clone, PartialEq)]
pub struct SaveOutcome {
    /// What was recorded, in the order of the job's customers.
    pub recorded: Vec<Recorded>,
    /// Why the next customer's action was refused (nothing more was written after it).
    pub error: Option<String>,
    /// How many customers the job named.
    pub targets: usize,
    /// Customers left alone because the action was done already (an assignment to the owner
    /// they have).
    pub skipped: usize,
}

/// A save being written, some customers at a time: the worker answers the other sessions
/// between its parts, so that one collector's note to thousands of marked customers does not
/// hold up everyone's screens ([`SAVE_PART`]).
#[derive(Debug)]
pub(super) struct Saving {
    pub session: SessionId,
    /// Who saves (the session's actor when it asked, should the session end meanwhile).
    actor: Actor,
    pub seq: u64,
    pub job: SaveJob,
    /// The next of the job's customers to save.
    next: usize,
    pub outcome: SaveOutcome,
    /// Another program holds the write lock (an import): the next customer is tried again
    /// then, the other sessions answered meanwhile.
    pub retry_at: Option<Instant>,
    /// Since when the lock has been held against this save.
    busy_since: Option<Instant>,
}

impl Saving {
    /// Every customer is saved, or one was refused (nothing more is written then).
    pub fn done(&self) -> bool {
        self.outcome.error.is_some() || self.next >= self.job.cids.len()
    }
}

/// How many customers of a save the worker writes before it answers other sessions again
/// (about a tenth of a second on the 100,000-customer demo, at 2.2 ms a customer).
pub(super) const SAVE_PART: usize = 50;

/// How long a save's customer waits for another program's write lock before the worker
/// answers the other sessions and tries it again ([`SAVE_RETRY`] later).
const SAVE_LOCK_WAIT: Duration = Duration::from_millis(100);
/// How long after a busy write the save tries again.
const SAVE_RETRY: Duration = Duration::from_millis(250);
/// How long a save waits for another program's write lock in all before it gives up.
pub const SAVE_GIVE_UP: Duration = Duration::from_secs(120);

/// A customer's share of the metrics bar and the issues chart.
pub(super) struct Share {
    open_promise_base: Decimal,
    open_issue_base: Decimal,
    open_deduction_base: Decimal,
    issues: Vec<IssueReason>,
    /// Its open issues one by one (base currency), for the queue table.
    open_issues: Vec<crate::store::activity::issues::OpenIssueBase>,
    /// Its follow-ups due, as its queue row counts them.
    followups_due: i64,
}

impl Share {
    /// A customer's share from its open issues one by one (base currency), its open promises'
    /// remaining amount and its follow-ups due: the totals the figures add up from them.
    fn of(
        open_issues: Vec<crate::store::activity::issues::OpenIssueBase>,
        open_promise_base: Decimal,
        followups_due: i64,
    ) -> Share {
        Share {
            open_promise_base,
            open_issue_base: open_issues.iter().map(|i| i.amount).sum(),
            open_deduction_base: crate::store::activity::issues::deductions(&open_issues),
            issues: crate::store::activity::issues::by_reason(&open_issues),
            open_issues,
            followups_due,
        }
    }

    /// What a scope's figures hold of it.
    fn scope(&self) -> super::scope::ScopeShare {
        super::scope::ScopeShare {
            open_promise_base: self.open_promise_base,
            open_issue_base: self.open_issue_base,
            issues: self.issues.clone(),
            followups_due: self.followups_due,
        }
    }
}

impl PortfolioWorker {
    /// What the form of `kind` needs for customer `cid` as of `as_of`.
    pub(super) fn form_data(&self, as_of: Date, cid: i64, kind: FormKind) -> Result<FormData> {
        let base = &self.settings.base_currency;
        let customer = self
            .store
            .activity()
            .customer_card(cid, base)?
            .ok_or_else(|| Error::input("the customer no longer exists"))?;
        let defaults = match kind {
            FormKind::Promise | FormKind::Dispute => Some(actions::form_defaults(
                &self.store,
                &customer.id,
                as_of,
                &self.action_config(),
            )?),
            _ => None,
        };
        let issues = match kind {
            FormKind::Resolve => self.store.activity().customer_issues(cid, as_of, base)?,
            _ => Vec::new(),
        };
        let resolved_issues = issues
            .iter()
            .filter_map(|i| {
                let r = i.resolution()?;
                Some(ResolvedIssue {
                    id: i.id,
                    by: r.collector.clone(),
                    outcome: r.outcome.clone(),
                })
            })
            .collect();
        let open_issues = issues
            .into_iter()
            .filter(|i| i.state == IssueState::Open && i.opened <= as_of)
            .map(|i| IssueChoice {
                id: i.id,
                reason: i.reason,
                amount: i.amount,
                currency: i.currency,
                opened: i.opened,
            })
            .collect();
        let users = match kind {
            FormKind::Assign => self.store.users().roster()?,
            _ => Vec::new(),
        };
        let owners = match kind {
            FormKind::Assign if !users.is_empty() => users
                .iter()
                .filter(|(_, role)| *role != crate::domain::users::Role::Auditor)
                .map(|(name, _)| name.clone())
                .collect(),
            FormKind::Assign => self.store.ledger().owner_names()?,
            _ => Vec::new(),
        };
        // Whom to call: the customer's contacts (`contacts.csv`, the primary billing contact
        // first, each as "Name, phone" or "Name <email>"), then its own phone and email.
        let contacts = match kind {
            FormKind::Call => {
                let mut out: Vec<String> = Vec::new();
                let people = self.store.engagement().customer_contacts(cid)?;
                let own = customer.phone.iter().chain(customer.email.iter());
                let labels = people
                    .iter()
                    .map(|c| c.call_label())
                    .chain(own.map(|c| one_line(c.trim()).into_owned()));
                for label in labels {
                    if !label.is_empty() && !out.contains(&label) {
                        out.push(label);
                    }
                }
                out
            }
            _ => Vec::new(),
        };
        Ok(FormData {
            customer,
            defaults,
            open_issues,
            resolved_issues,
            owners,
            users,
            contacts,
        })
    }

    /// Saves `job` for the session whole (every customer, now).
    pub(super) fn save(&mut self, session: SessionId, job: &SaveJob) -> SaveOutcome {
        let mut saving = self.begin_save(session, 0, job.clone());
        self.save_part(&mut saving, usize::MAX);
        self.end_save(&saving);
        saving.outcome
    }

    /// A save to write: its date checked first (not after today, this machine's date, read
    /// here: the screen refuses the keys of a later date, whatever asks), then its files (a
    /// session's attachments are its own to read: over SSH only in the files folder, whatever
    /// the screen checked). Refused, it is done at once with the error.
    pub(super) fn begin_save(&mut self, session: SessionId, seq: u64, mut job: SaveJob) -> Saving {
        let mut outcome = SaveOutcome {
            recorded: Vec::new(),
            error: None,
            targets: job.cids.len(),
            skipped: 0,
        };
        if let Err(why) = check::dated_by_today(
            job.as_of,
            chrono::Local::now().date_naive(),
            check::AsOfFrom::Workstation,
        ) {
            outcome.error = Some(why);
        } else if let ActionValues::Attach { paths, .. } = &mut job.values {
            let files = &self.viewer(session).files;
            match paths
                .iter()
                .map(|p| {
                    files
                        .readable(p)
                        .map(|p| p.display().to_string())
                        .map_err(|e| e.to_string())
                })
                .collect::<std::result::Result<Vec<_>, _>>()
            {
                Ok(resolved) => *paths = resolved,
                Err(refused) => {
                    outcome.error = Some(format!("{refused}, so nothing was attached"));
                }
            }
        }
        Saving {
            session,
            actor: self.viewer(session).actor.clone(),
            seq,
            job,
            next: 0,
            outcome,
            retry_at: None,
            busy_since: None,
        }
    }

    /// Saves up to `budget` more of the save's customers (each in its own transaction), in
    /// order; the first refusal ends it. While another program holds the write lock (an
    /// import), it stops and says when to try again ([`Saving::retry_at`]), so that the
    /// worker answers the other sessions meanwhile; after [`SAVE_GIVE_UP`] it gives up.
    pub(super) fn save_part(&mut self, saving: &mut Saving, budget: usize) {
        let actor = saving.actor.clone();
        let mut left = budget;
        saving.retry_at = None;
        let _ = self.store.wait_for_writers(Some(SAVE_LOCK_WAIT));
        while !saving.done() && left > 0 {
            let Some(&cid) = saving.job.cids.get(saving.next) else {
                break;
            };
            left -= 1;
            match self.save_one(&actor, &saving.job, cid) {
                Ok(Some(recorded)) => saving.outcome.recorded.push(recorded),
                Ok(None) => saving.outcome.skipped += 1,
                Err(e) if crate::store::is_busy(&e) => {
                    let now = Instant::now();
                    let since = *saving.busy_since.get_or_insert(now);
                    if now.duration_since(since) < SAVE_GIVE_UP {
                        saving.retry_at = Some(now + SAVE_RETRY);
                        break;
                    }
                    saving.outcome.error = Some(format!(
                        "another program kept the database to itself for {} s (an import or \
                         a restore), so this was not saved{}: try again when it is done",
                        SAVE_GIVE_UP.as_secs(),
                        if saving.outcome.recorded.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " for the last {} customers",
                                saving.job.cids.len() - saving.next
                            )
                        }
                    ));
                    break;
                }
                Err(e) => {
                    // After some were saved, the sentence says which were not (a full disk
                    // part-way through a note to thousands of marked customers).
                    let unsaved = match saving.job.cids.len() - saving.next {
                        _ if saving.next == 0 => crate::store::NOTHING_SAVED.to_string(),
                        1 => "the last customer was not saved".to_string(),
                        n => format!("the last {n} customers were not saved"),
                    };
                    let sentence =
                        crate::store::write_failure_then(self.store.path(), &e, &unsaved);
                    saving.outcome.error = Some(sentence.unwrap_or(e).to_string());
                }
            }
            saving.busy_since = None;
            saving.next += 1;
        }
        // A long save leaves no idle time for the checkpoint: the log is folded in between
        // two parts once it is long, so that it stays a few megabytes.
        if self.checkpoint_due && self.store.log_is_long() {
            self.checkpoint();
        }
        let _ = self.store.wait_for_writers(None);
    }

    /// A save is written: promises and disputes move predicted dates and risk, so a new
    /// forecast (on its thread; this connection's own commit does not change its
    /// `data_version`).
    pub(super) fn end_save(&mut self, saving: &Saving) {
        let moves_forecast = matches!(
            saving.job.values,
            ActionValues::Promise { .. }
                | ActionValues::Dispute { .. }
                | ActionValues::Resolve { .. }
                | ActionValues::VoidPromise { .. }
                | ActionValues::Reopen { .. }
        );
        if moves_forecast && !saving.outcome.recorded.is_empty() {
            self.forecasts.saved(std::time::Instant::now());
            if let Some(as_of) = self.as_of {
                self.forecasts.want(as_of, self.version);
            }
        }
    }

    /// Writes up to `budget` customers of the saves waiting: the answers of the saves that
    /// are done, and how far the one going on is. Each session's saves are written in the
    /// order it asked for them; the sessions take turns, a part each, so that another
    /// collector's single note is written between two parts of a note to thousands of marked
    /// customers rather than after all of them.
    pub(super) fn save_waiting(&mut self, budget: usize) -> Vec<(SessionId, super::Response)> {
        let mut answers = Vec::new();
        let mut left = budget;
        while left > 0
            && self
                .saving
                .front()
                .is_some_and(|s| s.retry_at.is_none_or(|at| at <= Instant::now()))
            && let Some(mut saving) = self.saving.pop_front()
        {
            let from = saving.next;
            self.save_part(&mut saving, left);
            left = left.saturating_sub(saving.next - from);
            if saving.done() {
                self.end_save(&saving);
                answers.push((
                    saving.session,
                    super::Response::Saved {
                        seq: saving.seq,
                        outcome: saving.outcome,
                    },
                ));
            } else {
                answers.push((
                    saving.session,
                    super::Response::Saving {
                        seq: saving.seq,
                        written: saving.next,
                        of: saving.job.cids.len(),
                        waiting: saving.retry_at.is_some(),
                    },
                ));
                let (session, waiting) = (saving.session, saving.retry_at.is_some());
                self.saving.push_front(saving);
                // Another session's turn (a save waiting for another program's write lock
                // stays first: the others would wait for the same lock).
                if !waiting {
                    self.next_sessions_turn(session);
                }
                break;
            }
        }
        answers
    }

    /// Puts `session`'s saves behind those of the other sessions, each in the order it was
    /// asked for.
    fn next_sessions_turn(&mut self, session: SessionId) {
        if self.saving.iter().all(|s| s.session == session) {
            return;
        }
        let (mine, others): (std::collections::VecDeque<_>, _) = std::mem::take(&mut self.saving)
            .into_iter()
            .partition(|s| s.session == session);
        self.saving = others;
        self.saving.extend(mine);
    }

    /// Records the job for one customer; `None` when it was done already (one of several
    /// marked customers assigned to the owner it has).
    fn save_one(&mut self, actor: &Actor, job: &SaveJob, cid: i64) -> Result<Option<Recorded>> {
        let base = self.settings.base_currency.clone();
        let card = self
            .store
            .activity()
            .customer_card(cid, &base)?
            .ok_or_else(|| Error::input("the customer no longer exists"))?;
        if let ActionValues::Assign { owner, role } = &job.values
            && job.cids.len() > 1
        {
            let current = match role {
                OwnerRole::Finance => &card.finance_owner,
                OwnerRole::Sales => &card.sales_owner,
            };
            if current
                .as_deref()
                .is_some_and(|c| crate::domain::text::same_person(c, owner.trim()))
            {
                return Ok(None);
            }
        }
        // Every write goes through `crate::actions` as the actor, with their role: what it may
        // not do is refused there, the same way as from the command line.
        let stamp = Stamp::for_actor(actor, chrono::Utc::now(), job.as_of).map_err(Error::Input)?;
        // The figures on screen are of this date: they can follow the change by difference.
        let incremental = self.as_of == Some(job.as_of) && self.summary.is_some();
        let before = if incremental {
            Some(self.share(cid, job.as_of)?)
        } else {
            None
        };
        // The queue table's copy in memory follows the row when it is the table's now.
        let mirror_kept = incremental && self.mirror_current();
        let recorded = self.record(job, &stamp, &card)?;
        self.checkpoint_due = true;
        let refreshed = match before {
            Some(before) => self.refresh(cid, job.as_of, before, mirror_kept),
            None => Ok(false),
        };
        if !matches!(refreshed, Ok(true)) {
            // Start over from the database at the next answer.
            self.as_of = None;
        }
        Ok(Some(recorded))
    }

    /// Writes one customer's action through [`crate::actions`].
    fn record(&mut self, job: &SaveJob, stamp: &Stamp, card: &CustomerCard) -> Result<Recorded> {
        let config = self.action_config();
        // The files are read before the write lock is taken: the other writers do not wait
        // for the disk.
        let files = match &job.values {
            ActionValues::Attach { paths, .. } => {
                let paths: Vec<std::path::PathBuf> =
                    paths.iter().map(std::path::PathBuf::from).collect();
                actions::read_attachments(&paths, self.max_attachment_mb)?
            }
            _ => Vec::new(),
        };
        let id = card.id.as_str();
        // The checks here (whose the record is) and the action's own in its write
        // transaction: what they read cannot change before the write.
        self.store.in_one_write(|store| match &job.values {
            ActionValues::Note { text } => actions::note(store, stamp, id, text),
            ActionValues::Promise {
                amount,
                date,
                documents,
                text,
            } => actions::promise(
                store,
                stamp,
                &config,
                &PromiseForm {
                    customer: id,
                    amount,
                    date,
                    documents,
                    text: Some(text),
                },
            ),
            ActionValues::Dispute {
                reason,
                amount,
                documents,
                text,
            } => actions::dispute(
                store,
                stamp,
                &config,
                &DisputeForm {
                    customer: id,
                    reason,
                    amount: Some(amount.as_str()).filter(|a| !a.trim().is_empty()),
                    documents,
                    text: Some(text),
                },
            ),
            ActionValues::Resolve {
                issue,
                outcome,
                text,
            } => {
                let number = check::record_id("issue", issue).map_err(Error::Input)?;
                if let Some((owner, _)) = store.activity().issue_state(number)?
                    && owner != card.cid
                {
                    return Err(Error::input(format!(
                        "issue {number} is not one of {}'s",
                        card.name
                    )));
                }
                let outcome = Some(outcome.as_str()).filter(|o| !o.trim().is_empty());
                actions::resolve_with(store, stamp, issue, outcome, Some(text))
            }
            ActionValues::FollowUp { date, text } => {
                actions::followup(store, stamp, id, date, text)
            }
            ActionValues::Assign { owner, role } => actions::assign(store, stamp, id, *role, owner),
            ActionValues::Call {
                outcome,
                contact,
                followup,
                text,
            } => actions::call(
                store,
                stamp,
                &actions::CallForm {
                    customer: id,
                    outcome,
                    contact: Some(contact.as_str()),
                    // The form's date may be left empty: no follow-up.
                    followup: Some(followup.as_str()).filter(|f| !f.trim().is_empty()),
                    text: Some(text.as_str()),
                },
            ),
            ActionValues::FollowUpDone { followup } => {
                mine(
                    store,
                    EntryRecord::FollowUp {
                        id: *followup,
                        done: false,
                        due: false,
                    },
                    card,
                )?;
                actions::done(store, stamp, &followup.to_string())
            }
            ActionValues::VoidPromise { promise, text } => {
                mine(
                    store,
                    EntryRecord::Promise {
                        id: *promise,
                        voided: false,
                    },
                    card,
                )?;
                actions::void_promise(store, stamp, &promise.to_string(), Some(text))
            }
            ActionValues::Reopen { issue, text } => {
                mine(
                    store,
                    EntryRecord::Issue {
                        id: *issue,
                        open: false,
                    },
                    card,
                )?;
                actions::reopen(store, stamp, &issue.to_string(), Some(text))
            }
            ActionValues::Attach { text, .. } => actions::attach(
                store,
                stamp,
                &actions::AttachForm {
                    customer: id,
                    files: &files,
                    documents: &[],
                    text: Some(text),
                },
            ),
        })
    }

    /// Folds the WAL into the database, when nothing waits, or between two parts of a long
    /// save once the log is long ([`crate::store::Store::log_is_long`]): this connection's
    /// commits do not (a checkpoint at every commit of a save made it ten times slower). A
    /// checkpoint that cannot finish now is finished by a later one, or by another process's
    /// commit.
    pub(super) fn checkpoint(&mut self) {
        self.checkpoint_due = false;
        let _ = self.store.checkpoint_passive();
    }

    /// The config the actions check against.
    fn action_config(&self) -> Config {
        Config {
            base_currency: self.settings.base_currency.clone(),
            promise_grace_days: self.settings.grace_days,
            dispute_reasons: self.dispute_reasons.clone(),
            ..Config::default()
        }
    }

    /// A customer's share of the open promise and issue totals and of the issues chart.
    fn share(&self, cid: i64, as_of: Date) -> Result<Share> {
        let s = &self.settings;
        let flags =
            self.store
                .activity()
                .customer_flags(cid, as_of, s.grace_days, &s.base_currency)?;
        // Issues converted one by one at their day's rate, as the figures add them up.
        let open_issues =
            self.store
                .activity()
                .open_issues_base(as_of, &s.base_currency, Some(cid))?;
        Ok(Share::of(
            open_issues,
            flags.open_promise_base,
            self.store.queue().followups_due(cid)?,
        ))
    }

    /// Brings the queue row, the tab counts and the summary up to date after an action on
    /// `cid` (and the row in the table's copy in memory, with `mirror_kept`: it was the
    /// table's before the action). Returns false when the row was not in the table (the
    /// figures must be rebuilt).
    fn refresh(&mut self, cid: i64, as_of: Date, before: Share, mirror_kept: bool) -> Result<bool> {
        let grace = self.settings.grace_days;
        // Whatever happens below, the figures are no longer what they were computed as.
        self.moved(cid);
        let Some(change) = self.store.queue().refresh_row(cid, as_of, grace)? else {
            return Ok(false);
        };
        // What each cached filter holds is brought up to date below: only those shown now.
        self.forget_unshown();
        // The tab counts move by the difference. An action changes nothing a filter looks at
        // but the owner: a filtered count the row is in moves too, unless the owner changed
        // (then they are counted again when asked for).
        self.unfiltered.apply(&change);
        // A filter on what actions write (a text search, the last call, the promise's state)
        // is counted again when asked for.
        self.counts
            .retain(|(_, _, filter), _| !filter.predicates.iter().any(Predicate::follows_actions));
        if change.owner_changed() {
            self.counts.clear();
        } else if change.moved() {
            for ((scope, collector, filter), counts) in self.counts.iter_mut() {
                let mut query = QueueQuery::new(collector);
                query.scope = *scope;
                query.filter = filter.clone();
                if self
                    .store
                    .queue()
                    .row_matches(cid, &query, counts.mine_fallback)?
                {
                    change.shift(&mut counts.counts);
                }
            }
        }
        let after = self.share(cid, as_of)?;
        self.store
            .queue()
            .set_extras(cid, &after.open_issues, after.open_promise_base)?;
        // Only this customer's row and open issues were written since the copy was current.
        self.mirror_follows(cid, mirror_kept)?;
        if let Some(summary) = self.summary.as_mut() {
            patch(summary, &before, &after);
        }
        self.scopes_saved(cid, change.owner_changed(), &before.scope(), &after.scope())?;
        Ok(true)
    }
}

impl PortfolioWorker {
    /// Brings the customers saved while the figures just installed were computed beside up
    /// to date, each by the difference between `held` (what those figures hold of it) and
    /// the database now, as a save does (nothing moves when they held it already). On any
    /// failure the figures are computed again at the next look.
    pub(super) fn saved_meanwhile(&mut self, as_of: Date, held: Vec<(i64, Share)>) {
        for (cid, before) in held {
            let kept = self.mirror_current();
            if !matches!(self.refresh(cid, as_of, before, kept), Ok(true)) {
                self.as_of = None;
                return;
            }
        }
    }
}

/// What figures computed whole hold of customer `cid`: its share of the open promise and
/// issue totals, of the issues chart, and its follow-ups due (as its queue row counts them).
pub(super) fn share_in(computed: &Computed, cid: i64) -> Share {
    let open_issues: Vec<_> = computed
        .extras
        .issues
        .iter()
        .filter(|i| i.cid == cid)
        .cloned()
        .collect();
    Share::of(
        open_issues,
        computed
            .extras
            .promise_base
            .get(&cid)
            .copied()
            .unwrap_or_default(),
        computed
            .activity
            .get(&cid)
            .map_or(0, |a| i64::from(a.followups_due)),
    )
}

/// Refuses a record of the timeline that is not the customer's (a form can only name the
/// records of the customer it is for).
fn mine(store: &crate::store::Store, record: EntryRecord, card: &CustomerCard) -> Result<()> {
    match store.activity().record_customer(record)? {
        Some(cid) if cid == card.cid => Ok(()),
        Some(_) => Err(Error::input(format!(
            "{} {} is not one of {}'s",
            record.noun(),
            record.id(),
            card.name
        ))),
        None => Err(Error::input(format!(
            "{} {} does not exist",
            record.noun(),
            record.id()
        ))),
    }
}

/// Moves the summary's open promise and issue amounts and issues by reason by a customer's
/// difference.
fn patch(summary: &mut Summary, before: &Share, after: &Share) {
    let m = &mut summary.metrics;
    m.open_p2p_amount += after.open_promise_base - before.open_promise_base;
    m.open_issue_amount += after.open_issue_base - before.open_issue_base;
    m.open_deduction_amount += after.open_deduction_base - before.open_deduction_base;
    super::scope::patch_reasons(&mut summary.issues, &before.issues, &after.issues, false);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::users::Role;
    use crate::workstation::files::FileAccess;
    use crate::workstation::recompute::{
        self,
        tests::{demo_worker, dispute, largest_overdue, other_owner, promise},
    };
    use crate::workstation::requests::{Request, Response};

    /// A full disk part-way through a note to many customers: the sentence says that the
    /// rest was not saved, not that nothing was (those before it were).
    #[test]
    fn a_full_disk_part_way_through_a_long_save_says_the_rest_was_not_saved() {
        let as_of = Date::from_ymd_opt(2026, 4, 1).unwrap();
        let (_dir, mut worker) = demo_worker(as_of);
        worker.join(2, Actor::new("dana", Role::Manager), FileAccess::own());
        let cid = largest_overdue(&worker, 1)[0];
        // The database may grow by a few pages only: the disk fills a few notes in.
        let conn = worker.store.conn();
        let pages: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        conn.pragma_update(None, "max_page_count", pages + 2)
            .unwrap();
        let many = 500;
        let job = SaveJob {
            as_of,
            cids: vec![cid; many],
            values: ActionValues::Note {
                text: "Statement sent: the balance is overdue, please pay".repeat(20),
            },
        };
        let outcome = worker.save(2, &job);
        let saved = outcome.recorded.len();
        let error = outcome.error.expect("the disk filled");
        assert!(saved > 0 && saved < many, "{saved}: {error}");
        assert!(error.starts_with("the disk is full: "), "{error}");
        assert!(
            error.contains(&format!(
                "so the last {} customers were not saved",
                many - saved
            )),
            "{error}"
        );
        assert!(!error.contains("nothing was saved"), "{error}");
    }

    #[test]
    fn a_save_keeps_the_queue_tables_copy_in_memory_the_tables_without_reading_it_again() {
        let as_of = Date::from_ymd_opt(2026, 4, 1).unwrap();
        let (_dir, mut worker) = demo_worker(as_of);
        worker.join(2, Actor::new("dana", Role::Manager), FileAccess::own());
        worker.mirror().unwrap();
        let one = |worker: &PortfolioWorker, sql: &str, cid: i64| -> i64 {
            worker
                .store
                .conn()
                .query_row(sql, [cid], |r| r.get(0))
                .unwrap()
        };
        let open_issues = "SELECT count(*) FROM temp.queue_issues WHERE cid = ?1";
        let cid = largest_overdue(&worker, 1)[0];
        let issues_before = one(&worker, open_issues, cid);
        let save = |worker: &mut PortfolioWorker, what: &str, values: ActionValues| {
            recompute::tests::save(worker, as_of, cid, values);
            assert!(worker.mirror_current(), "{what}: kept along");
            let kept = worker.mirror.as_ref().expect("the copy");
            assert!(
                *kept == worker.store.queue().mirror().unwrap(),
                "{what}: the copy kept along is the table's"
            );
        };
        save(&mut worker, "a promise", promise());
        save(&mut worker, "a dispute", dispute());
        let issues = one(&worker, open_issues, cid);
        assert!(
            issues > issues_before,
            "the dispute is an open issue of the row"
        );
        let issue = one(
            &worker,
            "SELECT id FROM issues WHERE cid = ?1 ORDER BY id DESC LIMIT 1",
            cid,
        );
        save(
            &mut worker,
            "a resolution",
            ActionValues::Resolve {
                issue: issue.to_string(),
                outcome: String::new(),
                text: "credited".into(),
            },
        );
        assert_eq!(one(&worker, open_issues, cid), issues_before);
        let assign = other_owner(&worker, cid);
        save(&mut worker, "another owner", assign);
        // Replies read (opened from the Replies tab) take the row out of that tab.
        let replied = one(
            &worker,
            "SELECT cid FROM temp.queue WHERE unread_replies > ?1 ORDER BY cid DESC LIMIT 1",
            0,
        );
        let told = worker.handle_all(vec![(
            2,
            Request::MarkRepliesRead {
                cid: replied,
                as_of,
            },
        )]);
        assert!(
            told.iter()
                .any(|(_, r)| matches!(r, Response::RepliesRead { left_tab: true, .. })),
            "{told:?}"
        );
        assert!(worker.mirror_current(), "replies read: kept along");
        assert!(
            *worker.mirror.as_ref().expect("the copy") == worker.store.queue().mirror().unwrap()
        );
    }
}
