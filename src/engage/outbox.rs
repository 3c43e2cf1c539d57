//! The outbox: claiming, sending and recording reminders, at most once.
//!
//! # The protocol
//!
//! For each reminder of the plan, in order:
//!
//! 1. **Claim.** One write transaction re-checks which of the reminder's documents are still
//!    free (not claimed for this reminder or a later one of the cycle), renders the email for
//!    those, and inserts the `reminders` row (status `pending`, with its Message-ID) and one
//!    `reminder_documents` row per document. The primary key (cycle, reminder, document) is
//!    the guarantee: a second run (a rerun, a concurrent run, a run after a crash) cannot
//!    claim a claimed document, so it skips the reminder.
//! 2. **Send** over SMTP, retrying transient failures (4xx replies, a connection refused or
//!    dropped before the message was handed over) with exponential backoff. A step that
//!    timed out, a login refused or timed out, and a stop signal are never retried.
//! 3. **Record** the outcome:
//!    - delivered (the server accepted the message): `sent`, with `sent_at` (the clock) and
//!      `sent_date` (the run's as-of date);
//!    - certainly not delivered (the server refused it, or failed or timed out before the
//!      message was handed over, or a signal stopped the run before): `failed` with the
//!      error, and its documents are released so that the next run plans them again (with
//!      fresh balances and addresses);
//!    - unknown (the message and its terminating dot were written, and no answer came: a
//!      timeout or a broken connection): stays `pending` with the error, documents still
//!      claimed. It is never resent automatically: at most once wins over at least once.
//!      `owed engage outbox` lists such reminders; `owed engage release ID` puts one back in
//!      the plan after a person checked the mail server's log.
//!
//! A crash between claim and record also leaves a `pending` row: again never resent without
//! a person.
//!
//! A reminder whose email cannot be made for its customer (a template that fails on its
//! values, though it rendered the sample when the cycles were loaded) claims nothing: it is
//! reported failed with the template's error, and a run goes on with the next.
//!
//! Text messages (`channel = "sms"`) follow the same protocol through
//! [`Mailer::send_text`] (see [`super::sms`]): an answer from the provider is delivered or
//! refused, and no answer once the request was written is unknown. A reminder with
//! `attach = ["statement"]` carries the customer's statement of account as of the run's
//! date as a PDF, less what was paid since as the email is (built before the claim, so a
//! failure to build it claims nothing). A run first connects to the server: when it cannot be reached (after the
//! retries) the run claims nothing and fails. A server lost mid-run — unreachable after the
//! retries, timed out, or silent after a message was handed over — stops the run (exit 1),
//! and so does a stop signal (SIGTERM, SIGINT, SIGHUP: the current step is finished when the
//! message was handed over, abandoned before): what was sent stays sent, the current
//! reminder is released unless its delivery is unknown, and the rest was never claimed, so
//! it is planned again next time.

use super::cycle::{Channel, Cycle, Cycles, MANUAL_CYCLE, Reminder};
use super::plan::PlanEntry;
use super::template::{
    ContextInput, DocumentFacts, EmailContext, RenderedEmail, TemplateRef, TemplateSet, single_line,
};
use crate::domain::date::Clock;
use crate::domain::engage::ascii_domain;
use crate::domain::text::cut_after;
use crate::domain::users::{Actor, Role, Work};
use crate::store::Store;
use crate::store::engage::{NewReminder, Spacing};
use crate::{Error, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The addresses in a customer's email field (separated by `,` or `;`), each a bare address
/// or one with a name (`Accounts <ap@kite.example>`, `"Berg, Kim" <kim@x.example>`), each
/// once: an address written again, compared without regard to case as the copies (Cc) are,
/// is left out (`ap@d09.example, AP@D09.example` was two To addresses and two RCPTs).
///
/// # Errors
///
/// A sentence saying why there is no valid address (none, or one that is not an address;
/// control characters such as CR and LF never make a valid address).
pub fn recipients(email: &str) -> std::result::Result<Vec<Address>, String> {
    let mut out = Vec::new();
    for part in crate::domain::engage::split_addresses(email) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if part.chars().any(char::is_control) {
            // Shown, not made a space: the character named is to be seen in the quote.
            return Err(format!(
                "invalid email address `{}`: it contains a control character",
                crate::domain::text::hidden_shown(part)
            ));
        }
        let parsed = if part.contains('<') {
            lettre::message::Mailbox::from_str(part).map(|m| m.email)
        } else {
            Address::from_str(part)
        };
        match parsed {
            // What draws nothing or reorders text is in no deliverable address, and shows
            // one address where another is: `ap@acme.test<U+202E>gro.live`.
            Ok(a)
                if a.to_string()
                    .chars()
                    .any(|c| c.is_whitespace() || crate::domain::text::draws_nothing(c)) =>
            {
                return Err(format!(
                    "invalid email address `{}`: it holds a space, an invisible or a \
                     direction character",
                    crate::domain::text::hidden_shown(part)
                ));
            }
            // An IP address in brackets (`ap@[127.0.0.1]`) is an address by RFC 5321, but
            // lettre cannot build a message to one: it was planned, and failed every run.
            Ok(a) if a.domain().starts_with('[') => {
                return Err(format!(
                    "invalid email address `{}`: its domain is an IP address, and a reminder \
                     goes to a domain name",
                    crate::domain::text::hidden_shown(part)
                ));
            }
            Ok(a) => {
                let key = a.to_string().to_lowercase();
                if !out
                    .iter()
                    .any(|o: &Address| o.to_string().to_lowercase() == key)
                {
                    out.push(a);
                }
            }
            Err(e) => return Err(format!("invalid email address `{part}`: {e}")),
        }
    }
    if out.is_empty() {
        return Err("no email address".into());
    }
    Ok(out)
}

/// Why a message was not (or maybe not) delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The server could not be reached, or the connection broke, before the message was
    /// handed over (connection refused, a 4xx greeting): another attempt may work.
    Unreachable(String),
    /// The server cannot be used this run, and another attempt would not help: a step timed
    /// out, the login was refused or timed out, TLS failed, or a stop signal was raised.
    /// Nothing was handed over.
    Fatal(String),
    /// The server refused the message: not delivered. Transient refusals (4xx) may be
    /// retried.
    Refused { transient: bool, message: String },
    /// The message and its terminating dot were handed over and no answer came (a timeout
    /// or a broken connection): it may have been delivered.
    Unknown(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Unreachable(m) | SendError::Fatal(m) | SendError::Unknown(m) => {
                f.write_str(m)
            }
            SendError::Refused { message, .. } => f.write_str(message),
        }
    }
}

/// A text message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMessage {
    /// The phone number (`+` and digits).
    pub to: String,
    pub body: String,
}

/// Something that delivers messages: SMTP ([`super::smtp::SmtpMailer`]), SMTP and a
/// text-message provider ([`super::sms::Senders`]), or a test double.
pub trait Mailer {
    /// Opens the connection (no-op when open).
    fn connect(&mut self) -> std::result::Result<(), SendError>;
    /// Delivers one message (connecting first when needed).
    fn send(&mut self, message: &Message) -> std::result::Result<(), SendError>;
    /// Delivers one text message; without a provider, nothing is sent.
    fn send_text(&mut self, text: &TextMessage) -> std::result::Result<(), SendError> {
        let _ = text;
        Err(SendError::Fatal(
            "no text-message provider is set up ([sms] in the config)".into(),
        ))
    }
    /// Closes the connection politely.
    fn close(&mut self) {}
    /// Why the run should stop now (a signal was caught), if it should: looked at before
    /// each reminder is claimed.
    fn stop_requested(&self) -> Option<String> {
        None
    }
}

/// A request to stop a run, raised by a signal handler with the signal's number
/// ([`StopSignal::flag`] is what `signal_hook::flag::register_usize` sets).
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<AtomicUsize>);

impl StopSignal {
    /// The flag a signal handler sets to the signal's number.
    pub fn flag(&self) -> Arc<AtomicUsize> {
        self.0.clone()
    }

    /// Raises it, as the handler of `signal` does.
    pub fn raise(&self, signal: i32) {
        self.0.store(
            usize::try_from(signal).unwrap_or(1).max(1),
            Ordering::SeqCst,
        );
    }

    /// The signal that raised it.
    pub fn raised(&self) -> Option<i32> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            n => Some(i32::try_from(n).unwrap_or(i32::MAX)),
        }
    }

    /// Why to stop, for messages: `interrupted by SIGTERM`.
    pub fn why(&self) -> Option<String> {
        self.raised().map(|n| {
            let name = match n {
                1 => "SIGHUP".to_string(),
                2 => "SIGINT".to_string(),
                15 => "SIGTERM".to_string(),
                n => format!("signal {n}"),
            };
            format!("interrupted by {name}")
        })
    }
}

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per message (and for the first connection), at least 1.
    pub attempts: u32,
    /// Wait before the second attempt; doubled for each later one.
    pub first_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(250),
        }
    }
}

impl RetryPolicy {
    fn delay(&self, attempt: u32) -> Duration {
        self.first_delay * 2u32.saturating_pow(attempt.saturating_sub(1))
    }
}

/// Who sends and when.
#[derive(Debug, Clone)]
pub struct SendSettings {
    pub from: Mailbox,
    pub collector: String,
    /// The sender's role: a cycle's reminders are a manager's to send, a manual one a
    /// collector's on their own customers (checked before anything is claimed).
    pub role: Role,
    pub base_currency: String,
    /// The run's date: the reminders' `sent_date`.
    pub as_of: crate::domain::Date,
    pub retry: RetryPolicy,
    /// What the statement of account prints besides the figures (`[statement]`, the aging
    /// bounds).
    pub statement: crate::export::statement::StatementSettings,
    /// `[engage] min_days_between`, checked again as a cycle's reminder is claimed.
    pub min_days_between: u32,
    /// The caller's clock: when each reminder is claimed and sent, and today's date (a
    /// reminder sent by a run of a later date counts back from it).
    pub clock: Clock,
}

impl SendSettings {
    /// Who sends.
    pub fn actor(&self) -> Actor {
        Actor::new(self.collector.clone(), self.role)
    }
}

/// A reminder delivered by a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentReminder {
    pub reminder_id: i64,
    pub cycle: String,
    pub reminder: String,
    pub customer_id: String,
    pub to: String,
    /// The documents it was about, as the customer knows them: their numbers, else their ids.
    pub documents: Vec<String>,
    pub subject: String,
    pub message_id: String,
    /// Its rendered size in bytes ([`RenderedEmail::size`]): a run warns of one too large
    /// ([`super::template::large_reminder`]).
    pub bytes: usize,
}

/// A reminder a run could not deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undelivered {
    /// Its row in the outbox; none when nothing was claimed (its email could not be
    /// rendered).
    pub reminder_id: Option<i64>,
    pub cycle: String,
    pub reminder: String,
    pub customer_id: String,
    pub error: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    pub sent: Vec<SentReminder>,
    /// Reminders whose documents another run had claimed meanwhile.
    pub already_claimed: usize,
    /// Reminders no longer due when their turn came (paid, disputed, held or promised since
    /// the run began): not sent, nothing claimed.
    pub withdrawn: Vec<Undelivered>,
    /// Refused by the server (released), or not rendered for its customer (a template error:
    /// nothing claimed); planned again next run.
    pub failed: Vec<Undelivered>,
    /// Outcome unknown: left pending, never resent automatically.
    pub unknown: Vec<Undelivered>,
    /// Why the run stopped early (the server was lost, a signal, a write the database refused:
    /// a full disk), if it did.
    pub aborted: Option<String>,
}

/// What [`send_entry`] did with one plan entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryOutcome {
    Sent(SentReminder),
    AlreadyClaimed,
    /// Not sent: paid, disputed, held or promised since the run began (`error` says which;
    /// nothing claimed, see [`crate::engage::plan::recheck`]).
    Withdrawn(Undelivered),
    /// Refused by the server, or not rendered (see [`RunReport::failed`]): the run goes on.
    Failed(Undelivered),
    /// Handed over without an answer: left pending. The server is lost: stop the run.
    Unknown(Undelivered),
    /// The server could not be used (unreachable after the retries, timed out, login
    /// refused) or a stop signal came before the message was handed over: the claim was
    /// released; stop the run.
    ServerLost(Undelivered),
}

/// What a run stopped by a write the database refused did not do.
const NO_MORE_SENT: &str = "no more was sent";

/// Connects, then sends every entry of `entries` (see the module's protocol).
///
/// # Errors
///
/// A runtime error when the server cannot be reached before anything was claimed (nothing
/// is written then), or when the database fails otherwise than refusing a write (a full disk
/// stops the run: [`RunReport::aborted`] says why).
pub fn run(
    store: &mut Store,
    cycles: &Cycles,
    entries: &[PlanEntry],
    mailer: &mut dyn Mailer,
    settings: &SendSettings,
) -> Result<RunReport> {
    run_reporting(store, cycles, entries, mailer, settings, &mut |_| {})
}

/// [`run`], telling `each` every entry's outcome as soon as it is known: a run's log then
/// shows what went out even when a later error (or a kill) ends the run before its report.
///
/// # Errors
///
/// As [`run`].
pub fn run_reporting(
    store: &mut Store,
    cycles: &Cycles,
    entries: &[PlanEntry],
    mailer: &mut dyn Mailer,
    settings: &SendSettings,
    each: &mut dyn FnMut(&EntryOutcome),
) -> Result<RunReport> {
    let mut report = RunReport::default();
    store
        .activity()
        .may(&settings.actor(), Work::EngagementRun, None)?;
    if entries.is_empty() {
        return Ok(report);
    }
    connect_with_retries(mailer, settings.retry)
        .map_err(|e| Error::runtime(format!("{e}; nothing was sent")))?;
    for entry in entries {
        if let Some(why) = mailer.stop_requested() {
            report.aborted = Some(why);
            break;
        }
        let outcome = match send_entry(store, cycles, entry, mailer, settings) {
            Ok(outcome) => outcome,
            // A write the database refused (a full disk, a file made read-only, another
            // program holding it past the wait) stops the run there as a signal does: what
            // went out before is sent and recorded, the rest planned again next run.
            Err(e) => match crate::store::write_failure_then(store.path(), &e, NO_MORE_SENT) {
                Some(why) => {
                    report.aborted = Some(why.to_string());
                    break;
                }
                None => return Err(e),
            },
        };
        each(&outcome);
        match outcome {
            EntryOutcome::Sent(s) => report.sent.push(s),
            EntryOutcome::AlreadyClaimed => report.already_claimed += 1,
            EntryOutcome::Withdrawn(w) => report.withdrawn.push(w),
            EntryOutcome::Failed(u) => report.failed.push(u),
            EntryOutcome::Unknown(u) => {
                report.aborted = Some(u.error.clone());
                report.unknown.push(u);
                break;
            }
            EntryOutcome::ServerLost(u) => {
                report.aborted = Some(u.error.clone());
                report.failed.push(u);
                break;
            }
        }
    }
    mailer.close();
    Ok(report)
}

/// Connects `mailer`, retrying with `retry`'s backoff when the server could not be reached
/// (never after a timeout or a refused login); the workstation connects first too, so that a
/// server that is down claims nothing.
///
/// # Errors
///
/// The last attempt's error.
pub fn connect_with_retries(
    mailer: &mut dyn Mailer,
    retry: RetryPolicy,
) -> std::result::Result<(), SendError> {
    let mut attempt = 1;
    loop {
        if let Some(why) = mailer.stop_requested() {
            return Err(SendError::Fatal(why));
        }
        match mailer.connect() {
            Ok(()) => return Ok(()),
            Err(SendError::Unreachable(_)) if attempt < retry.attempts.max(1) => {
                std::thread::sleep(retry.delay(attempt));
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The cycle and reminder `entry` was planned from.
///
/// # Errors
///
/// [`Error::Input`] when the cycles no longer have that cycle, or that reminder at its place.
fn planned_reminder<'a>(
    cycles: &'a Cycles,
    entry: &PlanEntry,
) -> Result<(&'a Cycle, &'a Reminder)> {
    let cycle = cycles
        .get(&entry.cycle)
        .ok_or_else(|| Error::input(format!("no engagement cycle is named `{}`", entry.cycle)))?;
    let reminder = cycle
        .reminders
        .get(entry.reminder_index)
        .filter(|r| r.name == entry.reminder)
        .ok_or_else(|| {
            Error::input(format!(
                "cycle `{}` has no reminder `{}`",
                entry.cycle, entry.reminder
            ))
        })?;
    Ok((cycle, reminder))
}

/// Claims, sends and records one plan entry (the TUI's "send now" calls this too).
pub fn send_entry(
    store: &mut Store,
    cycles: &Cycles,
    entry: &PlanEntry,
    mailer: &mut dyn Mailer,
    settings: &SendSettings,
) -> Result<EntryOutcome> {
    let (cycle, reminder) = planned_reminder(cycles, entry)?;
    let template = &reminder.template;
    let taken_by = later_reminders(cycle, entry.reminder_index);
    let recheck = crate::engage::plan::recheck(
        store,
        entry,
        cycle.pause_on_promise,
        settings.as_of,
        settings.clock.today(),
        &settings.base_currency,
    )?;
    let entry = match recheck {
        Ok(entry) => entry,
        Err(why) => {
            return Ok(EntryOutcome::Withdrawn(Undelivered {
                reminder_id: None,
                cycle: entry.cycle.clone(),
                reminder: entry.reminder.clone(),
                customer_id: entry.customer_id.clone(),
                error: why,
            }));
        }
    };
    deliver_entry(
        store,
        &cycles.templates,
        template,
        &taken_by,
        &entry,
        mailer,
        settings,
    )
}

/// Claims `entry`'s documents for its (cycle, reminder) unless claimed for any of
/// `taken_by`, renders `template`, sends and records (see the module's protocol). Refused
/// first ([`Error::Input`], nothing claimed) when the sender's role does not allow it: a
/// cycle's reminder is a manager's, a manual one (cycle `manual`) a collector's on the
/// customers they own.
pub fn deliver_entry(
    store: &mut Store,
    templates: &TemplateSet,
    template: &TemplateRef,
    taken_by: &[&str],
    entry: &PlanEntry,
    mailer: &mut dyn Mailer,
    settings: &SendSettings,
) -> Result<EntryOutcome> {
    let work = if entry.cycle == MANUAL_CYCLE {
        Work::ManualReminder
    } else {
        Work::EngagementRun
    };
    store
        .activity()
        .may(&settings.actor(), work, Some(entry.cid))?;
    let dids: Vec<i64> = entry.documents.iter().map(|d| d.did).collect();
    let sms = entry.channel == Channel::Sms;
    let to = if sms {
        Vec::new()
    } else {
        recipients(&entry.to).map_err(Error::input)?
    };
    let cc: Vec<Address> = entry
        .cc
        .iter()
        .filter_map(|a| recipients(a).ok())
        .flatten()
        .collect();
    // Recorded with the reminder: the message went to them too.
    let cc_addr = (!cc.is_empty()).then(|| {
        cc.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    });
    let attachment = if entry.attach_statement && !sms {
        let pdf = crate::export::statement::statement_pdf_of(
            store,
            entry.cid,
            settings.as_of,
            &settings.statement,
        )?;
        Some((
            format!("statement-{}.pdf", file_safe(&entry.customer_id)),
            pdf,
        ))
    } else {
        None
    };
    let message_id = if sms {
        new_message_id(&settings.from).replacen("<owed.", "<owed.sms.", 1)
    } else {
        new_message_id(&settings.from)
    };
    // A cycle's reminder keeps to the spacing even when another run reminded the customer
    // since the plan was made; a collector's own is theirs to send.
    let spacing = (entry.cycle != MANUAL_CYCLE).then_some(Spacing {
        cid: entry.cid,
        as_of: settings.as_of,
        days: settings.min_days_between,
        today: settings.clock.today(),
    });
    // The outbox's row of this reminder, before its message is made (and as it stays when
    // it cannot be made).
    let unmade = || NewReminder {
        cid: entry.cid,
        at: settings.clock.stamp(),
        collector: settings.collector.clone(),
        signed_by: single_line(signer(entry, settings)),
        cycle: entry.cycle.clone(),
        reminder: entry.reminder.clone(),
        to_addr: entry.to.clone(),
        cc_addr: cc_addr.clone(),
        subject: String::new(),
        body: String::new(),
        html: None,
        message_id: String::new(),
        channel: entry.channel.as_str(),
        run_date: settings.as_of,
    };
    // Why the email could not be made for this customer (a template that fails on its
    // values): the claim is rolled back, and the reminder is reported not sent, so that one
    // customer's data does not stop a run for everyone planned after it.
    let mut unrendered: Option<String> = None;
    let claimed =
        store
            .engagement_mut()
            .claim_reminder(&entry.cycle, taken_by, &dids, spacing, |free| {
                let docs: Vec<DocumentFacts> = entry
                    .documents
                    .iter()
                    .filter(|d| free.contains(&d.did))
                    .map(document_facts)
                    .collect();
                let context = EmailContext::build(context_input(entry, settings), &docs);
                let make = || -> Result<(RenderedEmail, Outgoing)> {
                    Ok(if sms {
                        let body = templates.render_sms(template, &context)?;
                        let rendered = RenderedEmail {
                            subject: single_line(body.lines().next().unwrap_or_default())
                                .chars()
                                .take(78)
                                .collect(),
                            text: body.clone(),
                            html: None,
                        };
                        let text = TextMessage {
                            to: entry.to.clone(),
                            body,
                        };
                        (rendered, Outgoing::Text(text))
                    } else {
                        let rendered = templates.render(template, &context)?;
                        let message = build_message(
                            settings,
                            &entry.customer_name,
                            &to,
                            &cc,
                            &rendered,
                            attachment.as_ref(),
                            &message_id,
                        )
                        .map_err(Error::input)?;
                        (rendered, Outgoing::Email(Box::new(message)))
                    })
                };
                let (rendered, message) =
                    make().inspect_err(|e| unrendered = Some(e.to_string()))?;
                let row = NewReminder {
                    subject: rendered.subject.clone(),
                    body: rendered.text.clone(),
                    html: rendered.html.clone(),
                    message_id: message_id.clone(),
                    ..unmade()
                };
                Ok(((rendered, message), row))
            });
    let claimed = match (claimed, unrendered) {
        (Err(_), Some(error)) => {
            let id = store
                .engagement_mut()
                .record_unmade_reminder(&unmade(), &error)?;
            return Ok(EntryOutcome::Failed(Undelivered {
                reminder_id: Some(id),
                cycle: entry.cycle.clone(),
                reminder: entry.reminder.clone(),
                customer_id: entry.customer_id.clone(),
                error,
            }));
        }
        (claimed, _) => claimed?,
    };
    let Some((id, free, (rendered, message))) = claimed else {
        return Ok(EntryOutcome::AlreadyClaimed);
    };
    let undelivered = |error: String| Undelivered {
        reminder_id: Some(id),
        cycle: entry.cycle.clone(),
        reminder: entry.reminder.clone(),
        customer_id: entry.customer_id.clone(),
        error,
    };
    let mut attempt = 1;
    loop {
        let last = attempt >= settings.retry.attempts.max(1);
        let result = match &message {
            Outgoing::Email(m) => mailer.send(m),
            Outgoing::Text(t) => mailer.send_text(t),
        };
        match result {
            Ok(()) => {
                if let Err(e) = store.engagement_mut().mark_reminder_sent(
                    id,
                    &settings.clock.stamp(),
                    settings.as_of,
                ) {
                    // Handed over, not recorded (a full disk): it stays pending, never sent
                    // again by a run, and whoever reads the outbox must not release it.
                    let why = crate::store::write_failure(store.path(), &e)
                        .unwrap_or(e)
                        .to_string();
                    let said = format!(
                        "the reminder {id} to {} was delivered but could not be recorded as \
                         sent ({why}); it stays pending in the outbox: do not release it",
                        entry.to
                    );
                    let _ = store
                        .engagement_mut()
                        .note_reminder_unknown(id, &format!("delivered; not recorded: {why}"));
                    return Err(Error::runtime(said));
                }
                return Ok(EntryOutcome::Sent(SentReminder {
                    reminder_id: id,
                    cycle: entry.cycle.clone(),
                    reminder: entry.reminder.clone(),
                    customer_id: entry.customer_id.clone(),
                    to: entry.to.clone(),
                    documents: entry
                        .documents
                        .iter()
                        .filter(|d| free.contains(&d.did))
                        .map(|d| {
                            crate::domain::document::label(&d.id, d.number.as_deref()).to_string()
                        })
                        .collect(),
                    bytes: rendered.size(),
                    subject: rendered.subject,
                    message_id,
                }));
            }
            Err(
                SendError::Refused {
                    transient: true, ..
                }
                | SendError::Unreachable(_),
            ) if !last && mailer.stop_requested().is_none() => {
                std::thread::sleep(settings.retry.delay(attempt));
                attempt += 1;
            }
            Err(SendError::Unreachable(e) | SendError::Fatal(e)) => {
                store.engagement_mut().release_reminder(id, &e)?;
                return Ok(EntryOutcome::ServerLost(undelivered(e)));
            }
            Err(SendError::Refused { message, .. }) => {
                store.engagement_mut().release_reminder(id, &message)?;
                return Ok(EntryOutcome::Failed(undelivered(message)));
            }
            Err(SendError::Unknown(e)) => {
                let e = format!("delivery unknown: {e}");
                store.engagement_mut().note_reminder_unknown(id, &e)?;
                return Ok(EntryOutcome::Unknown(undelivered(e)));
            }
        }
    }
}

/// The warning that the statement `entry` attaches (an email's `attach = ["statement"]`)
/// prints characters of the customer's name as empty boxes, the fonts lacking them (Thai,
/// Devanagari, emoji …); none when it attaches none or prints the name whole. The plan, the
/// dry run and the workstation's preview say it before the statement goes.
pub fn statement_unprinted(entry: &PlanEntry) -> Result<Option<String>> {
    if !entry.attach_statement || entry.channel == Channel::Sms {
        return Ok(None);
    }
    let chars = crate::export::pdf::unprinted(&entry.customer_name)?;
    Ok(crate::export::statement::unprinted_warning(
        &entry.customer_id,
        &chars,
    ))
}

/// Renders the email `entry` would send, without claiming or sending anything.
pub fn preview(
    cycles: &Cycles,
    entry: &PlanEntry,
    settings: &SendSettings,
) -> Result<RenderedEmail> {
    let (_, reminder) = planned_reminder(cycles, entry)?;
    render_entry(&cycles.templates, &reminder.template, entry, settings)
}

/// Renders the text message `entry` would send (a `channel = "sms"` reminder).
pub fn preview_text(cycles: &Cycles, entry: &PlanEntry, settings: &SendSettings) -> Result<String> {
    let (_, reminder) = planned_reminder(cycles, entry)?;
    let docs: Vec<DocumentFacts> = entry.documents.iter().map(document_facts).collect();
    let context = EmailContext::build(context_input(entry, settings), &docs);
    cycles.templates.render_sms(&reminder.template, &context)
}

/// Renders `template` for `entry`'s customer and documents.
pub fn render_entry(
    templates: &TemplateSet,
    template: &TemplateRef,
    entry: &PlanEntry,
    settings: &SendSettings,
) -> Result<RenderedEmail> {
    let docs: Vec<DocumentFacts> = entry.documents.iter().map(document_facts).collect();
    let context = EmailContext::build(context_input(entry, settings), &docs);
    templates.render(template, &context)
}

/// What a claim hands to the sender.
enum Outgoing {
    Email(Box<Message>),
    Text(TextMessage),
}

/// `text` with only letters, digits, `-` and `_` (others become `_`), for a file name.
fn file_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn later_reminders(cycle: &Cycle, index: usize) -> Vec<&str> {
    cycle.reminders[index.min(cycle.reminders.len())..]
        .iter()
        .map(|r| r.name.as_str())
        .collect()
}

/// Who signs `entry`'s message (the templates' `collector`): the customer's finance owner,
/// else (a customer without one) the sender. Who sent it stays the reminder's collector.
pub fn signer<'a>(entry: &'a PlanEntry, settings: &'a SendSettings) -> &'a str {
    entry.owner.as_deref().unwrap_or(&settings.collector)
}

fn context_input<'a>(entry: &'a PlanEntry, settings: &'a SendSettings) -> ContextInput<'a> {
    ContextInput {
        customer_id: &entry.customer_id,
        customer_name: &entry.customer_name,
        email: &entry.to,
        collector: signer(entry, settings),
        cycle: &entry.cycle,
        reminder: &entry.reminder,
        base_currency: &settings.base_currency,
        today: settings.as_of,
        promise: entry.promise.as_ref(),
        balances: entry.balances.as_ref(),
    }
}

fn document_facts(d: &crate::store::engage::EngageDocument) -> DocumentFacts {
    DocumentFacts {
        id: d.id.clone(),
        number: d.number.clone(),
        kind: d.kind,
        doc_date: d.doc_date,
        due_date: d.due_date,
        amount: d.amount,
        balance: d.balance,
        currency: d.currency.clone(),
        rate: d.rate,
    }
}

/// The email: From the config, To the customer (its name made single-line), Cc, the rendered
/// subject and text, an HTML alternative when the template has one, `attachment` (a file
/// name and PDF bytes) when given, and `message_id`. Every header goes through lettre's
/// typed builders but the Subject, which `subject_header` encodes itself from a single line:
/// no text can add a header.
///
/// # Errors
///
/// A sentence when lettre refuses the message.
pub fn build_message(
    settings: &SendSettings,
    customer_name: &str,
    to: &[Address],
    cc: &[Address],
    rendered: &RenderedEmail,
    attachment: Option<&(String, Vec<u8>)>,
    message_id: &str,
) -> std::result::Result<Message, String> {
    // The name is only a label: an over-long one is cut (a 1,500-character name made a To
    // line of 1,521 characters, past RFC 5322's limit of 998); the address is what counts.
    let name = cut_after(single_line(customer_name).trim(), DISPLAY_NAME_CHARS - 1).into_owned();
    let from = Mailbox::new(
        settings.from.name.clone(),
        ascii_address(&settings.from.email),
    );
    let mut builder = Message::builder()
        .from(from)
        .raw_header(subject_header(&single_line(&rendered.subject)))
        .message_id(Some(message_id.to_string()));
    for address in to {
        builder = builder.to(Mailbox::new(
            (!name.is_empty()).then(|| name.clone()),
            ascii_address(address),
        ));
    }
    for address in cc {
        builder = builder.cc(Mailbox::new(None, ascii_address(address)));
    }
    let plain = || {
        SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(rendered.text.clone())
    };
    let result = match (&rendered.html, attachment) {
        (Some(html), None) => builder.multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            html.clone(),
        )),
        (None, None) => builder.singlepart(plain()),
        (html, Some((name, bytes))) => {
            let body = match html {
                Some(html) => {
                    MultiPart::alternative_plain_html(rendered.text.clone(), html.clone())
                }
                None => MultiPart::mixed().singlepart(plain()),
            };
            let pdf = ContentType::parse("application/pdf")
                .map_err(|e| format!("cannot build the email: {e}"))?;
            let file = Attachment::new(name.clone()).body(bytes.clone(), pdf);
            let mixed = if html.is_some() {
                MultiPart::mixed().multipart(body).singlepart(file)
            } else {
                body.singlepart(file)
            };
            builder.multipart(mixed)
        }
    };
    result.map_err(|e| format!("cannot build the email: {e}"))
}

/// The most characters of a customer's name shown beside its addresses in To (`…` included).
const DISPLAY_NAME_CHARS: usize = 200;

/// The most bytes of the subject one encoded word carries: 39 bytes are 52 base64
/// characters, a 64-character word, so that `Subject: ` and the first word fit a line of 78.
const ENCODED_WORD_BYTES: usize = 39;

/// The longest word of a subject sent as it is: lettre folds a header only between words, and
/// a longer one would not fit a line of 78 after `Subject: ` (120 document numbers joined by
/// commas made a line of 1,801 characters, past RFC 5322's limit of 998).
const LONGEST_PLAIN_WORD: usize = 78 - "Subject: ".len();

/// The Subject header, so that the customer's mail program shows exactly `subject` (the one
/// the outbox records). A subject of printable ASCII without `=?` whose words fit a line goes
/// as it is, folded between words. Otherwise lettre would leave its ASCII words as they are —
/// and a mail program decodes an `=?utf-8?b?…?=` in a customer's name into whatever it
/// encodes (CR LF, a fake `Bcc:`, a bidi override), and a word longer than a line stays one
/// line — so the whole subject is written as RFC 2047 encoded words (UTF-8, base64), each
/// whole characters and at most 75 characters long, one per folded line: nothing in it is
/// interpreted.
fn subject_header(subject: &str) -> HeaderValue {
    let name = HeaderName::new_from_ascii_str("Subject");
    if subject.is_ascii()
        && !subject.contains("=?")
        && subject
            .split(' ')
            .all(|word| word.len() <= LONGEST_PLAIN_WORD)
    {
        return HeaderValue::new(name, subject.to_string());
    }
    let mut encoded = String::with_capacity(subject.len() * 2);
    let mut rest = subject;
    while !rest.is_empty() {
        let mut end = rest.len().min(ENCODED_WORD_BYTES);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        if !encoded.is_empty() {
            encoded.push_str("\r\n ");
        }
        encoded.push_str("=?utf-8?b?");
        encoded.push_str(&BASE64.encode(&rest[..end]));
        encoded.push_str("?=");
        rest = &rest[end..];
    }
    HeaderValue::dangerous_new_pre_encoded(name, subject.to_string(), encoded)
}

/// A fresh Message-ID in the domain of the From address: `<owed.TIME.RANDOM@domain>`. A
/// domain that is not ASCII is written in punycode (`bücher.example` as
/// `xn--bcher-kva.example`): a msg-id may not be encoded, and lettre would send it as RFC 2047
/// encoded words, so the id a reply quotes would not be the one the outbox stored.
pub fn new_message_id(from: &Mailbox) -> String {
    let domain = ascii_domain(from.email.domain()).unwrap_or_else(|| "localhost".to_string());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    format!("<owed.{nanos:x}.{:016x}@{}>", hasher.finish(), domain)
}

/// `address` as a server without SMTPUTF8 takes it: when the part before the `@` is ASCII,
/// a domain that is not is written in punycode (`ap@bücher.example` went as it is in RCPT TO,
/// and such a server refused it every run). A local part that is not ASCII has no such
/// spelling: it still needs SMTPUTF8.
fn ascii_address(address: &Address) -> Address {
    if address.domain().is_ascii() || !address.user().is_ascii() {
        return address.clone();
    }
    ascii_domain(address.domain())
        .and_then(|domain| Address::new(address.user(), domain).ok())
        .unwrap_or_else(|| address.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_validated() {
        assert_eq!(recipients("ap@kite.example").unwrap().len(), 1);
        assert_eq!(
            recipients("ap@kite.example; cfo@kite.example,")
                .unwrap()
                .len(),
            2
        );
        assert_eq!(recipients("  ").unwrap_err(), "no email address");
        // With names, a comma inside a quoted one (they were refused, "no_address").
        let named = recipients("Acme AP <ap@acme.example>; \"Berg, Kim\" <kim@x.example>").unwrap();
        assert_eq!(
            named.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["ap@acme.example", "kim@x.example"]
        );
        // Each address once, compared without regard to case.
        let twice = recipients("ap@d09.example, AP@D09.example; Kim <ap@D09.example>").unwrap();
        assert_eq!(
            twice.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["ap@d09.example"]
        );
        let e = recipients("ap@kite.example\r\nBcc: victim@example.com").unwrap_err();
        assert_eq!(
            e,
            "invalid email address `ap@kite.example<U+000D><U+000A>Bcc: victim@example.com`: \
             it contains a control character"
        );
        assert!(recipients("not an address").is_err());
        // An IP address for a domain: lettre builds no message to it (with a name, its
        // parser already refuses it).
        for literal in [
            "ap@[127.0.0.1]",
            "ap@[IPv6:::1]",
            "ap@kite.example, ap@[10.0.0.1]",
        ] {
            let e = recipients(literal).unwrap_err();
            assert!(e.contains("its domain is an IP address"), "{literal}: {e}");
        }
        assert!(recipients("AP <ap@[127.0.0.1]>").is_err());
    }

    #[test]
    fn message_ids_are_unique_and_in_the_senders_domain() {
        let from: Mailbox = "Collections <ar@example.com>".parse().unwrap();
        let a = new_message_id(&from);
        let b = new_message_id(&from);
        assert_ne!(a, b);
        assert!(
            a.starts_with("<owed.") && a.ends_with("@example.com>"),
            "{a}"
        );
    }

    #[test]
    fn a_subject_to_encode_is_encoded_whole_in_short_words_of_whole_characters() {
        let header = |subject: &str| {
            let mut headers = lettre::message::header::Headers::new();
            headers.insert_raw(subject_header(subject));
            headers.to_string()
        };
        assert_eq!(header("Reminder: INV-1"), "Subject: Reminder: INV-1\r\n");
        for subject in [
            "Rechnung für Müller =?utf-8?q?=E2=80=AE?= — 3 Belege, 1.234,56 € fällig seit März",
            "=?x?",
            "日本語の件名日本語の件名日本語の件名日本語の件名",
            // A word longer than a line: folded as encoded words too.
            &(1..=120)
                .map(|n| format!("INV-{n:04}"))
                .collect::<Vec<_>>()
                .join(","),
        ] {
            let text = header(subject);
            assert!(text.is_ascii(), "{text}");
            for line in text.trim_end().split("\r\n") {
                assert!(line.len() <= 78, "{line}");
                let word = line.trim_start_matches("Subject:").trim_start();
                assert!(word.starts_with("=?utf-8?b?") && word.len() <= 75, "{line}");
            }
            let raw = format!("{text}\r\nbody");
            let parsed = mail_parser::MessageParser::default()
                .parse(raw.as_bytes())
                .unwrap();
            assert_eq!(parsed.subject(), Some(subject));
        }
    }

    #[test]
    fn a_message_id_in_a_domain_that_is_not_ascii_is_sent_as_it_is_stored() {
        let from: Mailbox = "Collections <ar@bücher.example>".parse().unwrap();
        let id = new_message_id(&from);
        assert!(id.ends_with("@xn--bcher-kva.example>"), "{id}");
        let to = recipients("ap@kite.example").unwrap();
        let message =
            build_message(&settings(from), "Kite", &to, &[], &hello(), None, &id).unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        assert!(
            text.contains(&format!("\r\nMessage-ID: {id}\r\n")),
            "{text}"
        );
    }

    /// The settings of a manager's run from `from` on 2026-04-30.
    fn settings(from: Mailbox) -> SendSettings {
        SendSettings {
            from,
            collector: "alice".into(),
            role: Role::Manager,
            base_currency: "USD".into(),
            as_of: crate::domain::Date::from_ymd_opt(2026, 4, 30).unwrap(),
            retry: RetryPolicy::default(),
            statement: crate::export::statement::StatementSettings::default(),
            min_days_between: 0,
            clock: Clock::Fixed(
                chrono::TimeZone::with_ymd_and_hms(&chrono::Local, 2026, 4, 30, 12, 0, 0).unwrap(),
            ),
        }
    }

    fn hello() -> RenderedEmail {
        RenderedEmail {
            subject: "Reminder".into(),
            text: "Hello".into(),
            html: None,
        }
    }

    /// `ap@bücher.example` went as it is in RCPT TO, which a server without SMTPUTF8 refuses:
    /// with an ASCII local part, the domain is sent in punycode, in the envelope and the
    /// headers; a local part that is not ASCII is left as it is (it needs SMTPUTF8).
    #[test]
    fn a_domain_that_is_not_ascii_is_sent_in_punycode() {
        let from: Mailbox = "Collections <ar@bücher.example>".parse().unwrap();
        let to = recipients("ap@bücher.example; zoë@kite.example").unwrap();
        let cc = recipients("cfo@bücher.example").unwrap();
        let message =
            build_message(&settings(from), "Bücher", &to, &cc, &hello(), None, "<x@y>").unwrap();
        let envelope = message.envelope();
        let shown = |a: &Address| a.to_string();
        assert_eq!(
            envelope.to().iter().map(shown).collect::<Vec<_>>(),
            [
                "ap@xn--bcher-kva.example",
                "zoë@kite.example",
                "cfo@xn--bcher-kva.example"
            ]
        );
        assert_eq!(
            envelope.from().map(shown).as_deref(),
            Some("ar@xn--bcher-kva.example")
        );
        let text = String::from_utf8_lossy(&message.formatted()).into_owned();
        assert!(text.contains("<ap@xn--bcher-kva.example>"), "{text}");
        assert!(text.contains("Cc: cfo@xn--bcher-kva.example\r\n"), "{text}");
        assert!(!text.contains("bücher"), "{text}");
    }

    #[test]
    fn retry_delays_double() {
        let p = RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(100),
        };
        assert_eq!(p.delay(1), Duration::from_millis(100));
        assert_eq!(p.delay(3), Duration::from_millis(400));
    }
}
