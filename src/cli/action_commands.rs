//! The collector actions on the command line: `owed note | call | promise | dispute |
//! resolve | reopen | followup | done | void-promise | assign`. Each prints one line naming the record
//! written; bad input exits with code 2 and writes nothing, and so does an action dated after
//! today (`--as-of` a later date). One at an earlier date is back-dated, and its line says so.

use super::Context;
use crate::actions::{self, CallForm, DisputeForm, PromiseForm, Recorded};
use crate::domain::action_checks::{OwnerRole, Stamp};
use crate::store::Store;
use crate::{Error, Result};
use std::io::Read;

#[derive(Debug, clap::Args)]
pub struct NoteArgs {
    /// The customer's id.
    pub customer: String,
    /// The note (several words are joined; `-` reads it from stdin).
    pub text: Vec<String>,
    /// Write the note in $EDITOR (starting from TEXT, if given).
    #[arg(long)]
    pub edit: bool,
    /// Record the note this many times, numbered (for load tests and benchmarks).
    #[arg(long, hide = true, default_value_t = 1)]
    pub repeat: u32,
}

#[derive(Debug, clap::Args)]
pub struct CallArgs {
    /// The customer's id.
    pub customer: String,
    /// How it ended: reached, voicemail, no_answer, wrong_number or refused.
    #[arg(long)]
    pub outcome: String,
    /// Who was called (or tried).
    #[arg(long, value_name = "NAME")]
    pub contact: Option<String>,
    /// Also schedule a follow-up on this date (YYYY-MM-DD, +2d, tomorrow, a weekday name).
    #[arg(long, value_name = "DATE")]
    pub followup: Option<String>,
    /// What was said (several words are joined).
    pub text: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct PromiseArgs {
    /// The customer's id.
    pub customer: String,
    /// The amount promised, in the customer's currency.
    #[arg(long, allow_hyphen_values = true)]
    pub amount: String,
    /// The date promised: YYYY-MM-DD, +7d, +2w, tomorrow or a weekday name.
    #[arg(long)]
    pub date: String,
    /// A document the promise covers (repeat, or separate with commas); none: the customer.
    #[arg(long = "document", value_name = "ID", value_delimiter = ',')]
    pub documents: Vec<String>,
    /// What the customer said.
    pub text: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct DisputeArgs {
    /// The customer's id.
    pub customer: String,
    /// Why: one of `dispute_reasons` in the config.
    #[arg(long)]
    pub reason: String,
    /// The amount disputed (default: the named documents' open balances, else the overdue).
    #[arg(long, allow_hyphen_values = true)]
    pub amount: Option<String>,
    /// A disputed document (repeat, or separate with commas).
    #[arg(long = "document", value_name = "ID", value_delimiter = ',')]
    pub documents: Vec<String>,
    /// What the customer contests.
    pub text: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct ResolveArgs {
    /// The issue's number.
    pub issue: String,
    /// How it ended: valid (a credit is due from billing), invalid (the customer is chased
    /// for the gap) or written_off (a manager's decision).
    #[arg(long)]
    pub outcome: Option<String>,
    /// The resolution.
    pub text: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct IssueArgs {
    /// The issue's number.
    pub issue: String,
    /// The resolution (or why it is reopened).
    pub text: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct FollowupArgs {
    /// The customer's id.
    pub customer: String,
    /// When: YYYY-MM-DD, +7d, +2w, tomorrow or a weekday name.
    #[arg(long)]
    pub date: String,
    /// What to do then.
    pub text: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct DoneArgs {
    /// The follow-up's number.
    pub followup: String,
}

#[derive(Debug, clap::Args)]
pub struct VoidArgs {
    /// The promise's number.
    pub promise: String,
    /// Why it is voided.
    pub text: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct AssignArgs {
    /// The customer's id.
    pub customer: String,
    /// The new owner.
    pub owner: String,
    /// Change the sales owner instead of the finance owner.
    #[arg(long)]
    pub sales: bool,
}

fn joined(words: &[String]) -> Option<String> {
    let text = words.join(" ");
    (!text.trim().is_empty()).then_some(text)
}

fn report(recorded: &Recorded) -> Result<()> {
    outln!("{}", recorded.said())
}

/// Records one action now, as the context's collector (with their role), and prints its
/// line. One dated after today is refused before anything is read.
fn record(
    ctx: &Context,
    action: impl FnOnce(&mut Store, &Stamp) -> Result<Recorded>,
) -> Result<()> {
    ctx.dated_by_today()?;
    with_store(ctx, |store| {
        let stamp = ctx.stamp(store)?;
        report(&action(store, &stamp)?)?;
        Ok(())
    })
}

/// Opens the store only once the input that needs no database has been read.
fn with_store<T>(ctx: &Context, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
    let mut store = ctx.open_store()?;
    f(&mut store)
}

pub fn note(ctx: &Context, args: &NoteArgs) -> Result<()> {
    // Before the note is read or written in $EDITOR.
    ctx.dated_by_today()?;
    let mut text = joined(&args.text).unwrap_or_default();
    if text.trim() == "-" {
        text.clear();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::input(format!("cannot read the note from stdin: {e}")))?;
    }
    if args.edit {
        text = crate::editor::edit(
            &text,
            &format!(
                "Note on {}. Save and quit to record it; an empty note records nothing.",
                args.customer
            ),
        )?;
    }
    with_store(ctx, |store| {
        let stamp = ctx.stamp(store)?;
        if args.repeat <= 1 {
            report(&actions::note(store, &stamp, &args.customer, &text)?)?;
            return Ok(());
        }
        for i in 1..=args.repeat {
            actions::note(store, &stamp, &args.customer, &format!("{text} #{i}"))?;
        }
        outln!(
            "{} notes recorded for {}.",
            args.repeat,
            args.customer.trim()
        )?;
        Ok(())
    })
}

pub fn call(ctx: &Context, args: &CallArgs) -> Result<()> {
    let text = joined(&args.text);
    let form = CallForm {
        customer: &args.customer,
        outcome: &args.outcome,
        contact: args.contact.as_deref(),
        followup: args.followup.as_deref(),
        text: text.as_deref(),
    };
    record(ctx, |store, stamp| actions::call(store, stamp, &form))
}

pub fn promise(ctx: &Context, args: &PromiseArgs) -> Result<()> {
    let text = joined(&args.text);
    let form = PromiseForm {
        customer: &args.customer,
        amount: &args.amount,
        date: &args.date,
        documents: &args.documents,
        text: text.as_deref(),
    };
    record(ctx, |store, stamp| {
        actions::promise(store, stamp, &ctx.config, &form)
    })
}

pub fn dispute(ctx: &Context, args: &DisputeArgs) -> Result<()> {
    let text = joined(&args.text);
    let form = DisputeForm {
        customer: &args.customer,
        reason: &args.reason,
        amount: args.amount.as_deref(),
        documents: &args.documents,
        text: text.as_deref(),
    };
    record(ctx, |store, stamp| {
        actions::dispute(store, stamp, &ctx.config, &form)
    })
}

pub fn resolve(ctx: &Context, args: &ResolveArgs) -> Result<()> {
    let text = joined(&args.text);
    record(ctx, |store, stamp| {
        actions::resolve_with(
            store,
            stamp,
            &args.issue,
            args.outcome.as_deref(),
            text.as_deref(),
        )
    })
}

pub fn reopen(ctx: &Context, args: &IssueArgs) -> Result<()> {
    let text = joined(&args.text);
    record(ctx, |store, stamp| {
        actions::reopen(store, stamp, &args.issue, text.as_deref())
    })
}

pub fn followup(ctx: &Context, args: &FollowupArgs) -> Result<()> {
    let text = joined(&args.text).unwrap_or_default();
    record(ctx, |store, stamp| {
        actions::followup(store, stamp, &args.customer, &args.date, &text)
    })
}

pub fn done(ctx: &Context, args: &DoneArgs) -> Result<()> {
    record(ctx, |store, stamp| {
        actions::done(store, stamp, &args.followup)
    })
}

pub fn void_promise(ctx: &Context, args: &VoidArgs) -> Result<()> {
    let text = joined(&args.text);
    record(ctx, |store, stamp| {
        actions::void_promise(store, stamp, &args.promise, text.as_deref())
    })
}

pub fn assign(ctx: &Context, args: &AssignArgs) -> Result<()> {
    let role = if args.sales {
        OwnerRole::Sales
    } else {
        OwnerRole::Finance
    };
    record(ctx, |store, stamp| {
        actions::assign(store, stamp, &args.customer, role, &args.owner)
    })
}
