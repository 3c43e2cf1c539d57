//! `owed` with no subcommand: the workstation on the context's database. The command line
//! builds what the screens need ([`tui::Setup`]: the collector, the dates, keymap, theme) and
//! what the service needs ([`ServiceSettings`]), so that neither `tui` nor `workstation`
//! reads the context; the local terminal is one session of the service.

use super::Context;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;
use crate::tui::{self, Setup};
use crate::workstation::{ServiceSettings, Workstation};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// Opens the workstation on the context's database and runs it until the collector quits.
pub fn run(ctx: &Context) -> Result<()> {
    run_at(ctx, &ctx.db_path)
}

/// Opens the workstation on the database at `db` (e.g. the demo's) with the context's
/// config, collector and date.
pub fn run_at(ctx: &Context, db: &Path) -> Result<()> {
    tui::ensure_terminal()?;
    let mut setup = setup(ctx)?;
    let config = service_config(ctx, db);
    let workstation = Workstation::open(db, ServiceSettings::from_config(&config)?)?;
    // The zone of the database opened (the demo's is not `--db`'s).
    setup.time_zone = crate::store::time_zone::of_ledger(db);
    // Before the screen takes the terminal: it stays above the prompt when the workstation
    // ends (the workstation brought a database up to date without a word).
    super::said_upgrade(db, workstation.upgraded());
    let actor = workstation.local_actor(&ctx.collector)?;
    // `--as ALICE` is the user alice: her queue is the customers she owns as registered.
    setup.session.collector = actor.name.clone();
    let ended = tui::run_local(setup, &workstation, actor);
    // Ended by `q` or by a signal, the terminal is back: what the collector saved is
    // finished before the process ends.
    finish_saves(&workstation, |n| {
        errln!("owed: finishing {n} save(s) in progress…");
    });
    finish_sends(&workstation, |line| errln!("owed: {line}"));
    ended
}

/// Waits for the saves the sessions began (see [`Workstation::finish_saves`]) before the
/// process ends, telling `waiting` how many there are when they take a moment: a bulk note
/// cut off when the server stopped was on 491 of 3,326 customers, and a note waiting for the
/// write lock was never written. Those still unmade after the save's own give-up time are
/// said on stderr.
pub fn finish_saves(service: &Workstation, waiting: impl FnOnce(usize)) {
    let pending = service.finish_saves(std::time::Duration::from_millis(200));
    if pending == 0 {
        return;
    }
    waiting(pending);
    let left = service
        .finish_saves(crate::workstation::save::SAVE_GIVE_UP + std::time::Duration::from_secs(10));
    if left > 0 {
        errln!("owed: {left} save(s) could not be finished before the end, and were left part-way");
    }
}

/// Stops the sends of reminders the sessions began and waits for the answers of those handed
/// over to the mail server (see [`Workstation::finish_sends`]), as `owed engage run` does on
/// SIGTERM, telling `say` what it waits for and what it left: a reminder handed over when the
/// server stopped was delivered and left `pending`, and nothing said so. What got no answer
/// (the mail server's deadline passed: its number said), and what is still being delivered
/// after the senders' own deadline and 5 s, is left pending, maybe delivered, and said, each
/// with how to find it.
pub fn finish_sends(service: &Workstation, say: impl Fn(&str)) {
    let mut left = service.finish_sends(std::time::Duration::from_millis(200));
    if left.is_empty() {
        return;
    }
    let sending = service.sends().active();
    if sending > 0 {
        let deadline = service.send_deadline() + std::time::Duration::from_secs(5);
        say(&format!(
            "waiting up to {} s for the mail server's answer to {sending} reminder(s) being sent",
            deadline.as_secs(),
        ));
        left = service.finish_sends(deadline);
    }
    for what in left {
        say(&format!(
            "left pending, maybe delivered (no answer before the end): {what}; `{}` lists it",
            crate::error::command("engage outbox")
        ));
    }
}

/// The config the service on the database `db` runs with: the context's, planning with the
/// demo's example cycles beside the database when the config's cycles folder holds none
/// (`demo::cycles::beside_database`).
pub fn service_config(ctx: &Context, db: &Path) -> crate::config::Config {
    match crate::demo::cycles::beside_database(&ctx.config, db) {
        Some(dir) => crate::config::Config {
            cycles: Some(dir),
            ..ctx.config.clone()
        },
        None => ctx.config.clone(),
    }
}

/// The screens' setup: the keymap and theme beside the config, the collector and the dates.
pub fn setup(ctx: &Context) -> Result<Setup> {
    let bounds = ctx.config.aging().map_err(Error::input)?;
    let config_dir: Option<PathBuf> = ctx
        .config
        .path
        .clone()
        .or_else(crate::config::default_config_path)
        .and_then(|p| p.parent().map(|d| d.to_path_buf()));
    let keymap = Keymap::load(
        config_dir
            .as_ref()
            .map(|d| d.join("keymap.toml"))
            .as_deref(),
    )?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::choose(
        ctx.theme.as_deref(),
        ctx.config.theme.as_deref(),
        no_color,
        config_dir.as_deref(),
    )?;
    Ok(Setup {
        session: tui::app::Session {
            collector: ctx.collector.clone(),
            base_currency: ctx.config.base_currency.clone(),
            bounds,
            today: super::today(),
        },
        keymap,
        theme,
        actions: tui::action_forms::ActionSettings::from_config(&ctx.config),
        as_of: ctx.as_of,
        as_of_given: ctx.as_of_given,
        views: ctx.config.views(),
        views_file: ctx.config.writable_path(),
        graphics: crate::config::GraphicsChoice::choose(
            ctx.config.graphics,
            std::env::var("OWED_GRAPHICS").ok().as_deref(),
        )?,
        time_zone: crate::store::time_zone::of_ledger(&ctx.db_path),
    })
}
