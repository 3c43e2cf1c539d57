//! `owed config time-zone [ZONE]`: the ledger's settings, kept in the database (not in
//! `config.toml`, which is each user's). The time zone is the one every `owed` on the database
//! counts its days in and reads "today" in, whatever `TZ` its shell, cron job or `owed serve`
//! has (`crate::store::time_zone`); only a manager changes it, in the system's log.

use super::Context;
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// The ledger's time zone, whose days every owed on this database counts in (whatever TZ
    /// the shell or cron job has); with ZONE, a manager changes it (in `owed user log`).
    TimeZone(TimeZoneArgs),
}

#[derive(Debug, clap::Args)]
pub struct TimeZoneArgs {
    /// An IANA name as under /usr/share/zoneinfo (Europe/Berlin, America/New_York) or UTC.
    pub zone: Option<String>,
}

pub fn run(ctx: &Context, args: &ConfigArgs) -> Result<()> {
    match &args.command {
        ConfigCommand::TimeZone(a) => time_zone(ctx, a.zone.as_deref()),
    }
}

fn time_zone(ctx: &Context, zone: Option<&str>) -> Result<()> {
    let Some(zone) = zone else {
        let store = ctx.open_store()?;
        let zone = store.time_zone()?;
        return outln!(
            "The ledger's time zone is {zone}: every owed on this database counts its days \
             there, whatever TZ its shell or cron job has."
        );
    };
    let mut store = ctx.open_store()?;
    let stamp = ctx.undated_stamp(&store)?;
    let old = store.set_time_zone(&stamp, zone)?;
    if old == zone {
        return outln!("The ledger's time zone is already {zone}: nothing changed.");
    }
    outln!(
        "The ledger's time zone is now {zone} (was {old}): every owed on this database counts \
         its days there; an `owed serve` or a workstation already open keeps {old} until it is \
         started again."
    )
}
