//! Engagement: rule-driven reminders sent over SMTP, at most once; replies; the report.
//!
//! - [`cycle`]: the cycle files (`--cycles DIR`, else the config's cycles folder).
//! - [`plan`]: who gets which reminder today, in one pass over the data.
//! - [`template`]: rendering a reminder (minijinja; first line = subject; optional HTML).
//! - [`outbox`]: claiming, sending and recording, at most once (its docs give the protocol).
//! - [`smtp`]: the SMTP dialogue step by step, each step with a deadline (none / STARTTLS /
//!   TLS; the login from the environment, never sent in clear).
//! - [`inbox`]: replies from a Maildir, matched to customers.
//! - [`report`]: what the reminders achieved.
//! - [`secret`]: a password or token, kept out of `Debug` prints.
//!
//! For the workstation: [`load_cycles`], [`plan::compute`], [`outbox::preview`],
//! [`outbox::send_entry`], [`manual`] (a template sent by hand to one customer) and
//! `Store::hold_customer`.

pub mod cycle;
pub mod facts;
pub mod inbox;
pub mod mail;
pub mod manual;
pub mod outbox;
pub mod plan;
pub mod report;
pub mod secret;
pub mod sms;
pub mod smtp;
pub mod template;

use crate::config::Config;
use crate::domain::Date;
use crate::domain::date::Clock;
use crate::domain::rules::{CUSTOM_PREFIX, Level};
use crate::domain::users::Actor;
use crate::store::Store;
use crate::{Error, Result};
use lettre::message::Mailbox;
use std::path::Path;
use std::str::FromStr;

pub use cycle::{Cycle, Cycles};
pub use outbox::{RetryPolicy, SendSettings};
pub use plan::{Plan, PlanEntry, PlanSettings};

/// Loads the cycles of `explicit` (`--cycles DIR`), else of the config's cycles folder, for
/// the ledger of `store` (see [`load_cycles_from`]).
///
/// # Errors
///
/// [`Error::Input`] naming the file, line and rule of the first problem.
pub fn load_cycles(config: &Config, explicit: Option<&Path>, store: &Store) -> Result<Cycles> {
    let dir = config
        .cycles_dir(explicit)
        .ok_or_else(|| Error::input("no engagement cycles folder: give one with --cycles DIR"))?;
    load_cycles_from(config, &dir, store)
}

/// Loads the cycles of `dir`, with the config's custom field types, for the ledger of
/// `store`: a custom field a rule names must be one the config's `[custom_fields]` declares
/// or one some customer (document, in a document rule) carries, else it is a misspelt field
/// (`cf_seat` for `cf_seats`), refused as one.
///
/// # Errors
///
/// [`Error::Input`] naming the file, line and rule of the first problem.
pub fn load_cycles_from(config: &Config, dir: &Path, store: &Store) -> Result<Cycles> {
    let mut custom = config.custom_field_types().map_err(Error::input)?;
    let first = cycle::load_dir_with(dir, &custom);
    // Each custom field named and not declared is looked for (a query that stops at the first
    // record carrying it). Only when one is carried by none, or the folder did not read (a
    // misspelt `cf_Seats > 5` is refused as a text field's comparison before it is looked
    // for), are the names carried all read, and the folder read again knowing them: the
    // error then names the misspelt field, its file, rule and position, and the name meant.
    let unknown = match &first {
        Err(_) => true,
        Ok(cycles) => {
            let mut unknown = false;
            for level in [Level::Customer, Level::Document] {
                for name in cycles.field_names(level) {
                    unknown = unknown
                        || name.starts_with(CUSTOM_PREFIX)
                            && !custom.declares(name)
                            && !store.engagement().carries_custom_field(level, name)?;
                }
            }
            unknown
        }
    };
    if !unknown {
        return first;
    }
    for level in [Level::Customer, Level::Document] {
        match store.engagement().custom_field_names(level) {
            Ok(names) => custom.know(level, names),
            // The folder's own error before the database's.
            Err(e) => return first.and(Err(e)),
        }
    }
    cycle::load_dir_with(dir, &custom)
}

/// How many days the ledger's last import may lie before the day reminders go out on,
/// unless `[engage] max_ledger_age_days` says otherwise: a week, so that a broken nightly
/// import is noticed before customers are chased for what they paid since.
pub const MAX_LEDGER_AGE_DAYS: u32 = 7;

/// How the ledger's last import stands to the day reminders would go out on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerAge {
    /// Imported at most `[engage] max_ledger_age_days` before it, or after it (a run of an
    /// earlier date).
    Fresh,
    /// No import on record: a database imported before the log of imports began.
    Unknown,
    /// Imported `days` days before `as_of`, more than `max`.
    Stale {
        imported: Date,
        as_of: Date,
        days: i64,
        max: u32,
    },
}

impl LedgerAge {
    /// A ledger imported on `imported`, for reminders going out on `as_of`, at most `max`
    /// days later.
    pub fn of(imported: Date, as_of: Date, max: u32) -> LedgerAge {
        let days = (as_of - imported).num_days();
        if days > i64::from(max) {
            LedgerAge::Stale {
                imported,
                as_of,
                days,
                max,
            }
        } else {
            LedgerAge::Fresh
        }
    }

    /// Where sending is concerned, in one sentence (none when fresh).
    pub fn sentence(&self) -> Option<String> {
        match self {
            LedgerAge::Fresh => None,
            LedgerAge::Unknown => Some(
                "no import is on record, so how fresh the ledger is cannot be told (it will be \
                 after the next `owed import`)"
                    .into(),
            ),
            LedgerAge::Stale {
                imported,
                as_of,
                days,
                max,
            } => Some(format!(
                "the ledger was last imported on {imported}, {days} days before {as_of}: \
                 reminders would chase customers for what they may have paid since; import the \
                 billing system's exports first (or raise max_ledger_age_days = {max} in \
                 [engage])"
            )),
        }
    }

    /// What a screen's title says of a stale ledger: `nothing is sent: ledger imported
    /// 2026-04-01, 29 days before` (none otherwise).
    pub fn headline(&self) -> Option<String> {
        match self {
            LedgerAge::Stale { imported, days, .. } => Some(format!(
                "nothing is sent: ledger imported {imported}, {days} days before"
            )),
            _ => None,
        }
    }

    /// Refuses a send on a stale ledger: [`Error::Runtime`] with the sentence.
    ///
    /// # Errors
    ///
    /// When stale.
    pub fn check(&self) -> Result<()> {
        match (self, self.sentence()) {
            (LedgerAge::Stale { .. }, Some(why)) => {
                Err(Error::runtime(format!("{why}; nothing was sent")))
            }
            _ => Ok(()),
        }
    }
}

/// How fresh the ledger is to send reminders on `as_of`: its last import (`owed report
/// imports`, in this machine's time zone) against `[engage] max_ledger_age_days`.
///
/// # Errors
///
/// When the database cannot be read.
pub fn ledger_age(store: &crate::store::Store, config: &Config, as_of: Date) -> Result<LedgerAge> {
    let Some(last) = store.ledger().last_import()? else {
        return Ok(LedgerAge::Unknown);
    };
    let imported = last.at.with_timezone(&chrono::Local).date_naive();
    let max = config
        .engage
        .max_ledger_age_days
        .unwrap_or(MAX_LEDGER_AGE_DAYS);
    Ok(LedgerAge::of(imported, as_of, max))
}

/// The plan settings of `config` as of `as_of`, `today` being this machine's date (read by
/// the caller).
pub fn plan_settings(config: &Config, as_of: Date, today: Date) -> PlanSettings<'_> {
    PlanSettings {
        as_of,
        today,
        base_currency: &config.base_currency,
        promise_grace_days: config.promise_grace_days,
        min_days_between: config.engage.min_days_between.unwrap_or(0),
    }
}

/// The sending settings of `config`: the From address, who sends (with their role), the
/// date and this machine's (`today`, read by the caller).
///
/// # Errors
///
/// [`Error::Input`] when `smtp.from` is missing or not an address.
pub fn send_settings(
    config: &Config,
    sender: &Actor,
    as_of: Date,
    clock: Clock,
) -> Result<SendSettings> {
    let from =
        config.smtp.from.as_deref().ok_or_else(|| {
            Error::input("set `from` in the config's [smtp] table to send reminders")
        })?;
    let from = Mailbox::from_str(from)
        .map_err(|e| Error::input(format!("[smtp] from `{from}` is not an address: {e}")))?;
    settings_from(config, sender, as_of, clock, from)
}

/// The settings of a send from `from`.
fn settings_from(
    config: &Config,
    sender: &Actor,
    as_of: Date,
    clock: Clock,
    from: Mailbox,
) -> Result<SendSettings> {
    Ok(SendSettings {
        from,
        collector: sender.name.clone(),
        role: sender.role,
        base_currency: config.base_currency.clone(),
        as_of,
        retry: RetryPolicy::default(),
        statement: crate::export::statement::StatementSettings::from_config(config)?,
        min_days_between: config.engage.min_days_between.unwrap_or(0),
        clock,
    })
}

/// [`send_settings`] for a send that holds no email (text messages only) or renders without
/// sending (a dry run, a preview): when the config's `[smtp] from` is missing or wrong, the
/// From is `owed <owed@localhost>` (a text message's outbox row takes its Message-ID's domain
/// from it; no email is sent from it).
///
/// # Errors
///
/// [`Error::Input`] when `emails` and `smtp.from` is missing or not an address, or when
/// `[statement]` is wrong.
pub fn send_settings_for(
    config: &Config,
    sender: &Actor,
    as_of: Date,
    clock: Clock,
    emails: bool,
) -> Result<SendSettings> {
    match send_settings(config, sender, as_of, clock) {
        Err(_) if !emails => {
            let from = Mailbox::new(
                Some("owed".into()),
                "owed@localhost".parse().map_err(Error::runtime)?,
            );
            settings_from(config, sender, as_of, clock, from)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::date::parse_iso;

    #[test]
    fn a_ledger_is_stale_only_past_its_days() {
        let d = |s: &str| parse_iso(s).unwrap();
        let run = d("2026-05-08");
        assert_eq!(
            LedgerAge::of(d("2026-05-01"), run, 7),
            LedgerAge::Fresh,
            "7 days: kept"
        );
        assert_eq!(
            LedgerAge::of(d("2026-05-08"), run, 0),
            LedgerAge::Fresh,
            "the same day"
        );
        assert_eq!(
            LedgerAge::of(d("2026-05-20"), run, 0),
            LedgerAge::Fresh,
            "imported later"
        );
        let stale = LedgerAge::of(d("2026-04-30"), run, 7);
        assert!(
            matches!(
                stale,
                LedgerAge::Stale {
                    days: 8,
                    max: 7,
                    ..
                }
            ),
            "{stale:?}"
        );
        let why = stale.check().unwrap_err().to_string();
        assert!(
            why.contains("2026-04-30, 8 days before 2026-05-08"),
            "{why}"
        );
        assert!(why.ends_with("nothing was sent"), "{why}");
        assert!(LedgerAge::Unknown.check().is_ok());
        assert!(LedgerAge::Fresh.sentence().is_none());
    }
}
