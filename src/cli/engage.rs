//! `owed engage plan|run|outbox|release|hold`.

use super::Context;
use crate::domain::text::one_line;
use crate::domain::users::Work;
use crate::domain::{Date, money};
use crate::engage::{self, cycle::Channel, outbox, sms};
use crate::report::table::{Align, TextTable};
use crate::store::engage::HoldDone;
use crate::{Error, Result};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct EngageArgs {
    #[command(subcommand)]
    pub command: EngageCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum EngageCommand {
    /// Which reminders the engagement cycles would send, without sending.
    Plan(PlanArgs),
    /// Send today's reminders over SMTP and record them; never sends one twice.
    Run(RunArgs),
    /// Reminders not sent (pending or failed) and the latest sent.
    Outbox(OutboxArgs),
    /// Put a pending reminder whose delivery is unknown back in the plan (after checking the
    /// mail server's, or the text-message provider's, log that it was not delivered).
    Release(ReleaseArgs),
    /// Hold a customer back from every cycle until a date (inclusive).
    Hold(HoldArgs),
}

#[derive(Debug, clap::Args)]
pub struct CyclesArg {
    /// The engagement cycles folder (default: `cycles` in the config, else `cycles/` beside the config file).
    #[arg(long, value_name = "DIR")]
    pub cycles: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Print JSON: [{"cycle", "reminder", "customer_id", "document_ids", "to"}].
    #[arg(long)]
    pub json: bool,
    /// Only the reminders to this finance owner's customers (default every customer's).
    #[arg(long, value_name = "NAME", value_parser = super::owner_name)]
    pub owner: Option<String>,
    #[command(flatten)]
    pub cycles: CyclesArg,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub cycles: CyclesArg,
    /// Render what would be sent, send and record nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, clap::Args)]
pub struct OutboxArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// How many sent reminders to show.
    #[arg(long, default_value_t = 20)]
    pub sent: usize,
}

#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The reminder's number (from `owed engage outbox`).
    pub id: i64,
    /// Release it even if claimed so recently that a run may be sending it: for a run known
    /// to have ended (killed, or the machine went down).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct HoldArgs {
    /// The customer's id.
    pub customer: String,
    /// Last day of the hold (YYYY-MM-DD, +7d, fri, ... from today, whatever --as-of says), or
    /// `release` to end the one in force.
    #[arg(long, value_name = "DATE")]
    pub until: String,
    /// Why (several words are joined, as a note's are).
    pub text: Vec<String>,
}

pub fn run(ctx: &Context, args: &EngageArgs) -> Result<()> {
    match &args.command {
        EngageCommand::Plan(a) => plan(ctx, a),
        EngageCommand::Run(a) => send(ctx, a),
        EngageCommand::Outbox(a) => show_outbox(ctx, a),
        EngageCommand::Release(a) => release(ctx, a),
        EngageCommand::Hold(a) => hold(ctx, a),
    }
}

/// The cycles of `--cycles DIR`, else of the config's folder; what a person should know of
/// the folder (no cycle in it, a file not read) is said on standard error.
///
/// # Errors
///
/// As [`engage::load_cycles`].
pub fn load_cycles(
    ctx: &Context,
    explicit: Option<&std::path::Path>,
    store: &crate::store::Store,
) -> Result<engage::Cycles> {
    let cycles = engage::load_cycles(&ctx.config, explicit, store)?;
    for warning in cycles.warnings() {
        errln!("warning: {warning}");
    }
    Ok(cycles)
}

fn plan(ctx: &Context, args: &PlanArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let cycles = load_cycles(ctx, args.cycles.cycles.as_deref(), &store)?;
    let owned = super::owned(&store, args.owner.as_deref())?;
    let plan = engage::plan::compute(
        &store,
        &cycles,
        engage::plan_settings(&ctx.config, ctx.as_of, super::today()),
    )?;
    let plan = owners_plan(plan, owned.as_ref());
    large_in_plan(ctx, &store, &cycles, &plan)?;
    for e in &plan.entries {
        warn_if_unprinted(e)?;
    }
    // What a run would refuse, said beside the plan (on stderr: the JSON stays the plan).
    let age = engage::ledger_age(&store, &ctx.config, ctx.as_of)?;
    if let Some(why) = age.sentence() {
        match age {
            engage::LedgerAge::Stale { .. } => errln!("note: {why}; a run sends nothing"),
            _ => errln!("note: {why}"),
        }
    }
    if args.json {
        jsonln!("{}", plan.to_json())?;
        return Ok(());
    }
    let text = plan_text(&plan, &ctx.config.base_currency);
    out!(
        "{}",
        crate::report::as_of_in_zone(&text, plan.as_of, &store.time_zone()?)
    )?;
    Ok(())
}

/// Warns (on stderr) of each email of `plan` naming many documents
/// ([`template::PLAN_SIZE_CHECK_DOCUMENTS`] or more) that renders larger than
/// [`template::LARGE_REMINDER_BYTES`]; one that cannot be rendered is the run's to say.
fn large_in_plan(
    ctx: &Context,
    store: &crate::store::Store,
    cycles: &engage::cycle::Cycles,
    plan: &engage::Plan,
) -> Result<()> {
    use crate::engage::template;
    let mut many = plan
        .entries
        .iter()
        .filter(|e| {
            e.channel != Channel::Sms && e.documents.len() >= template::PLAN_SIZE_CHECK_DOCUMENTS
        })
        .peekable();
    if many.peek().is_none() {
        return Ok(());
    }
    let sender = ctx.actor(store)?;
    let settings =
        engage::send_settings_for(&ctx.config, &sender, ctx.as_of, super::clock(), false)?;
    for e in many {
        if let Ok(mail) = outbox::preview(cycles, e, &settings) {
            warn_if_large(e, mail.size());
        }
    }
    Ok(())
}

/// Says (on stderr) that the statement `e` attaches prints characters of the customer's name
/// as empty boxes ([`crate::export::statement::unprinted_warning`]).
fn warn_if_unprinted(e: &engage::PlanEntry) -> Result<()> {
    if let Some(why) = crate::engage::outbox::statement_unprinted(e)? {
        errln!("warning: {why}");
    }
    Ok(())
}

/// Says (on stderr) that the reminder of `e`, rendered at `bytes`, is too large to send well.
fn warn_if_large(e: &engage::PlanEntry, bytes: usize) {
    let which = which(&e.cycle, &e.reminder, &e.customer_id);
    if let Some(why) = crate::engage::template::large_reminder(&which, bytes, e.documents.len()) {
        errln!("warning: {why}");
    }
}

/// `plan` of the customers of `--owner` alone ([`super::owned`]), or whole.
pub fn owners_plan(plan: engage::Plan, owned: Option<&crate::report::Owned>) -> engage::Plan {
    match owned {
        None => plan,
        Some(owned) => plan.only(&owned.cids),
    }
}

/// The plan as a table for people, with what was skipped and why.
fn plan_text(plan: &engage::Plan, base: &str) -> String {
    let mut t = TextTable::new(&[
        ("cycle", Align::Left),
        ("reminder", Align::Left),
        ("customer", Align::Left),
        ("owner", Align::Left),
        ("to", Align::Left),
        ("docs", Align::Right),
        ("balance", Align::Right),
        ("days", Align::Right),
    ]);
    for e in &plan.entries {
        t.row(vec![
            e.cycle.clone(),
            e.reminder.clone(),
            e.customer_id.clone(),
            e.owner.clone().unwrap_or_default(),
            e.to.clone(),
            e.documents.len().to_string(),
            money::grouped(e.base_balance(base), base),
            crate::domain::aging::days_text(e.days_overdue),
        ]);
    }
    let mut out = format!(
        "Engagement plan as of {}: {} reminder(s)\n",
        plan.as_of,
        plan.entries.len()
    );
    if !plan.entries.is_empty() {
        out.push_str(&t.render());
    }
    for s in &plan.skipped {
        out.push_str(&skipped_line(s));
        out.push('\n');
    }
    if !plan.paused.is_empty() || !plan.held.is_empty() {
        out.push_str(&format!(
            "Of the customers with something open: {} paused by an open promise, {} held back \
             by a manager (the workstation's Held pane lists every hold in force)\n",
            plan.paused.len(),
            plan.held.len()
        ));
    }
    out
}

fn send(ctx: &Context, args: &RunArgs) -> Result<()> {
    if !args.dry_run {
        // A run's reminders are dated by `--as-of`: not after today (a dry run only looks).
        ctx.dated_by_today()?;
    }
    let stop = if args.dry_run {
        outbox::StopSignal::default()
    } else {
        catch_stop_signals()?
    };
    let mut store = ctx.open_store()?;
    let sender = ctx.actor(&store)?;
    if !args.dry_run {
        // Refused before anything is read from the config's [smtp] table or the cycles, or
        // planned: one sentence, without warnings about cycles it may not run.
        store.activity().may(&sender, Work::EngagementRun, None)?;
    }
    let cycles = load_cycles(ctx, args.cycles.cycles.as_deref(), &store)?;
    let plan = engage::plan::compute(
        &store,
        &cycles,
        engage::plan_settings(&ctx.config, ctx.as_of, super::today()),
    )?;
    let channels = sms::Channels::of(&plan.entries);
    // The From address is the SMTP server's to know; a run without emails needs none.
    let settings = engage::send_settings_for(
        &ctx.config,
        &sender,
        ctx.as_of,
        super::clock(),
        channels.emails && !args.dry_run,
    )?;
    // A stale ledger stops a run before it connects; a dry run says so.
    let age = engage::ledger_age(&store, &ctx.config, ctx.as_of)?;
    if !args.dry_run {
        age.check()?;
    }
    if let Some(why) = age.sentence() {
        errln!("note: {why}");
    }
    // Earlier runs' reminders of unknown fate are never resent: said at every run (they are
    // a person's to settle), without failing this one.
    let pending = store.engagement().pending_count()?;
    if pending > 0 {
        errln!(
            "warning: {pending} reminder(s) left pending by earlier runs (maybe delivered): see \
             `{}`, then `{}` once the mail server's (or, for a text message, the text-message \
             provider's) log shows it was not delivered",
            crate::error::command("engage outbox"),
            crate::error::command("engage release ID")
        );
    }
    for s in &plan.skipped {
        errln!("{}", skipped_line(s));
    }
    if args.dry_run {
        // As the run would: a reminder that cannot be rendered is named and the rest go on.
        let mut unrendered = 0;
        for e in &plan.entries {
            let line = if e.channel == Channel::Sms {
                outbox::preview_text(&cycles, e, &settings).map(|text| {
                    format!(
                        "would text {} {}: {}",
                        which(&e.cycle, &e.reminder, &e.customer_id),
                        one_line(&e.to),
                        one_line(&text.replace('\n', " "))
                    )
                })
            } else {
                warn_if_unprinted(e)?;
                outbox::preview(&cycles, e, &settings).map(|mail| {
                    warn_if_large(e, mail.size());
                    format!(
                        "would send {} <{}>: {} ({} document(s))",
                        which(&e.cycle, &e.reminder, &e.customer_id),
                        one_line(&e.to),
                        one_line(&mail.subject),
                        e.documents.len()
                    )
                })
            };
            match line {
                Ok(line) => outln!("{line}")?,
                Err(why) => {
                    unrendered += 1;
                    errln!(
                        "would not send {}: {}",
                        which(&e.cycle, &e.reminder, &e.customer_id),
                        one_line(&why.to_string())
                    );
                }
            }
        }
        outln!(
            "{} reminder(s) would be sent",
            plan.entries.len() - unrendered
        )?;
        if unrendered > 0 {
            return Err(Error::runtime(format!(
                "{unrendered} reminder(s) could not be rendered: the run would not send them"
            )));
        }
        return Ok(());
    }
    let mut mailer =
        sms::Senders::from_config(&ctx.config, channels, stop, |v| std::env::var(v).ok())?;
    // Each outcome is printed as it comes, so that a cron log holds what went out even when
    // a later error (or a kill) ends the run before its summary.
    let mut lost_output = None;
    let report = outbox::run_reporting(
        &mut store,
        &cycles,
        &plan.entries,
        &mut mailer,
        &settings,
        &mut |outcome| {
            if let Err(e) = print_outcome(outcome, &plan.entries) {
                lost_output.get_or_insert(e);
            }
        },
    )?;
    if let Some(e) = lost_output {
        return Err(e);
    }
    // Withdrawn ones are said only when there are any: most runs have none.
    let withdrawn = match report.withdrawn.len() {
        0 => String::new(),
        n => format!(", {n} withdrawn (paid, disputed, held or promised since the run began)"),
    };
    outln!(
        "{} sent, {} already sent by another run (or its customer reminded), {} not sent, \
         {} unknown{withdrawn}",
        report.sent.len(),
        report.already_claimed,
        report.failed.len(),
        report.unknown.len()
    )?;
    if let Some(why) = report.aborted {
        return Err(Error::runtime(format!(
            "stopped: {why}; {} reminder(s) were sent before, the rest are planned again next run",
            report.sent.len()
        )));
    }
    if !report.failed.is_empty() || !report.unknown.is_empty() {
        return Err(Error::runtime(format!(
            "{} reminder(s) could not be sent",
            report.failed.len() + report.unknown.len()
        )));
    }
    Ok(())
}

/// `CYCLE / REMINDER to CUSTOMER`, each on one line: an id from customers.csv that holds a
/// line feed shows it as `↵` rather than forging a second line in a cron log.
fn which(cycle: &str, reminder: &str, customer_id: &str) -> String {
    format!(
        "{} / {} to {}",
        one_line(cycle),
        one_line(reminder),
        one_line(customer_id)
    )
}

/// A reminder the plan skipped, on one line (see [`which`]).
fn skipped_line(s: &engage::plan::Skipped) -> String {
    format!(
        "skipped ({}): {} / {} for {}: {}",
        s.code.code(),
        one_line(&s.cycle),
        one_line(&s.reminder),
        one_line(&s.customer_id),
        one_line(&s.reason)
    )
}

/// One line of a run for one reminder of `entries`: sent (standard output), not sent or
/// unknown (standard error). Every value from outside stays on the line (see [`which`]).
fn print_outcome(outcome: &outbox::EntryOutcome, entries: &[engage::PlanEntry]) -> Result<()> {
    match outcome {
        outbox::EntryOutcome::Sent(s) => outln!(
            "sent {} <{}>: {} [{}] {}",
            which(&s.cycle, &s.reminder, &s.customer_id),
            one_line(&s.to),
            one_line(&s.subject),
            // The first few and how many more (a run named 30,000 on one line).
            one_line(&crate::domain::action_checks::documents_line(&s.documents)),
            one_line(&s.message_id)
        )
        .and_then(|()| {
            let which = which(&s.cycle, &s.reminder, &s.customer_id);
            if let Some(why) =
                crate::engage::template::large_reminder(&which, s.bytes, s.documents.len())
            {
                errln!("warning: {why}");
            }
            Ok(())
        })?,
        outbox::EntryOutcome::AlreadyClaimed => {}
        outbox::EntryOutcome::Withdrawn(w) => outln!(
            "withdrawn {}: {}",
            which(&w.cycle, &w.reminder, &w.customer_id),
            one_line(&w.error)
        )?,
        outbox::EntryOutcome::Failed(f) | outbox::EntryOutcome::ServerLost(f) => errln!(
            "not sent {}: {} (planned again next run)",
            which(&f.cycle, &f.reminder, &f.customer_id),
            one_line(&f.error)
        ),
        outbox::EntryOutcome::Unknown(u) => {
            let id = u.reminder_id.map_or_else(String::new, |id| id.to_string());
            let text = entries.iter().any(|e| {
                e.channel == Channel::Sms
                    && e.cycle == u.cycle
                    && e.reminder == u.reminder
                    && e.customer_id == u.customer_id
            });
            let server = if text {
                "the text-message provider's log"
            } else {
                "the mail server"
            };
            errln!(
                "unknown {} (reminder {id}): {}; it stays pending and is not resent: check \
                 {server}, then `{}` if it was not delivered",
                which(&u.cycle, &u.reminder, &u.customer_id),
                one_line(&u.error),
                crate::error::command(&format!("engage release {id}")),
            );
        }
    }
    Ok(())
}

/// Catches SIGTERM, SIGINT and SIGHUP for a run: the first one raises the returned signal
/// (the run finishes the current step if the message was handed over, abandons it before,
/// releases what it claimed and did not hand over, and exits 1); a second one ends the
/// process at once.
fn catch_stop_signals() -> Result<outbox::StopSignal> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let stop = outbox::StopSignal::default();
    let caught = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    let signals = [SIGTERM, SIGINT, signal_hook::consts::SIGHUP];
    #[cfg(not(unix))]
    let signals = [SIGTERM, SIGINT];
    let register = |signal: i32| -> std::io::Result<()> {
        // Registered first, so it sees the flag as the previous signal left it.
        signal_hook::flag::register_conditional_shutdown(signal, 1, caught.clone())?;
        signal_hook::flag::register(signal, caught.clone())?;
        signal_hook::flag::register_usize(
            signal,
            stop.flag(),
            usize::try_from(signal).unwrap_or(1),
        )?;
        Ok(())
    };
    for signal in signals {
        register(signal)
            .map_err(|e| Error::runtime(format!("cannot catch signal {signal}: {e}")))?;
    }
    Ok(stop)
}

fn show_outbox(ctx: &Context, args: &OutboxArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let rows = store.engagement().outbox(ctx.as_of, args.sent)?;
    if args.json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "customer_id": r.customer_id, "at": r.at, "cycle": r.cycle,
                    "reminder": r.reminder, "to": r.to_addr, "cc": r.cc_addr,
                    "subject": r.subject,
                    "status": r.status, "error": r.problem(), "message_id": r.message_id,
                    "sent_date": r.sent_date.map(|d| d.to_string()),
                    "run_date": r.run_date.map(|d| d.to_string()),
                })
            })
            .collect();
        jsonln!("{}", serde_json::Value::Array(list))?;
        return Ok(());
    }
    let mut t = TextTable::new(&[
        ("id", Align::Right),
        ("status", Align::Left),
        ("at", Align::Left),
        ("cycle", Align::Left),
        ("reminder", Align::Left),
        ("customer", Align::Left),
        ("to", Align::Left),
        ("error", Align::Left),
    ]);
    for r in &rows {
        t.row(vec![
            r.id.to_string(),
            r.status.clone(),
            r.at.clone(),
            r.cycle.clone(),
            r.reminder.clone(),
            r.customer_id.clone(),
            r.to_addr.clone(),
            r.problem().unwrap_or_default(),
        ]);
    }
    out!("{}", t.render())?;
    Ok(())
}

fn release(ctx: &Context, args: &ReleaseArgs) -> Result<()> {
    use crate::store::engage::Release;
    let mut store = ctx.open_store()?;
    let stamp = ctx.stamp(&store)?;
    let window = if args.force {
        chrono::Duration::zero()
    } else {
        crate::domain::engage::in_flight_window(
            ctx.config.smtp.timeout_seconds.unwrap_or(30),
            outbox::RetryPolicy::default().attempts,
        )
    };
    match store.engagement_mut().release_pending_reminder(
        &stamp,
        args.id,
        chrono::Utc::now(),
        window,
    )? {
        Release::Released => {
            outln!(
                "reminder {} released: its documents are planned again next run",
                args.id
            )?;
            Ok(())
        }
        Release::NotPending => Err(Error::input(format!(
            "reminder {} is not pending (see `{}`)",
            args.id,
            crate::error::command("engage outbox")
        ))),
        Release::MaybeInFlight { claimed_at } => Err(Error::input(format!(
            "reminder {} was claimed at {claimed_at}, less than {} minutes ago, and its run has \
             recorded nothing since: a run may be sending it now, and released it would go out \
             twice; release it after that if the mail server's (or text-message provider's) \
             log shows it was not delivered, \
             or now with `{}` if no run is sending (it was killed)",
            args.id,
            window.num_minutes(),
            crate::error::command(&format!("engage release {} --force", args.id))
        ))),
    }
}

fn hold(ctx: &Context, args: &HoldArgs) -> Result<()> {
    ctx.dated_by_today()?;
    let mut store = ctx.open_store()?;
    let stamp = ctx.stamp(&store)?;
    // From the day it is written, as a follow-up's date; `release`: the day before the as-of
    // day, which ends the hold in force then.
    let until =
        crate::domain::action_checks::hold_until(&args.until, crate::actions::written_on(&stamp))
            .map_err(Error::Input)?
            .unwrap_or(ctx.as_of - chrono::Days::new(1));
    let cid = store
        .ledger()
        .customer_key(&args.customer)?
        .ok_or_else(|| Error::no_customer(&args.customer))?;
    let why = (!args.text.is_empty()).then(|| args.text.join(" "));
    let done = store
        .engagement_mut()
        .hold_customer(&stamp, cid, until, why.as_deref())?;
    let who = &args.customer;
    match done {
        HoldDone::NotHeld => outln!("{}", crate::domain::action_checks::not_held(who, false))?,
        HoldDone::Released { was } => outln!(
            "{who} released: back in the cycles (it was held back until {was}){}",
            back_dated(ctx.as_of)
        )?,
        HoldDone::Held => outln!(
            "{who} held back from engagement until {until}{}",
            back_dated(ctx.as_of)
        )?,
    }
    Ok(())
}

/// `, back-dated to D` after a hold's line when it counts from an earlier day than today.
fn back_dated(as_of: Date) -> String {
    if as_of < super::today() {
        format!(", {}", crate::domain::action_checks::back_dated(as_of))
    } else {
        String::new()
    }
}
