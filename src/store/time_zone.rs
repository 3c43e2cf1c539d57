//! The ledger's time zone: a property of the database (`meta` key `time_zone`), not of the
//! process reading it. Every moment (a note's, a call's, a promise's writing) is kept in UTC
//! and counted on its day in this zone, and "today" is read in it, whatever `TZ` a shell, a
//! cron job or `owed serve` runs with: a promise written in Auckland just after its midnight
//! and a send run from a UTC cron job five seconds later agree on the day.
//!
//! Written when a database is created, and by migration 32 for one made before, from the
//! zone of the process that does it ([`of_process`]); changed by a manager
//! (`owed config time-zone ZONE`, [`Store::set_time_zone`], in the system's log). Every
//! `owed` process reads it first of all ([`of_ledger`]) and takes it for its own (`cli::run`
//! sets `TZ`), so that chrono's `Local` and SQLite's `'localtime'` both count in it.

use super::Store;
use crate::domain::action_checks::Stamp;
use crate::domain::users::{SystemChange, Work, may};
use crate::{Error, Result};
use std::path::Path;

/// The `meta` key of the ledger's time zone.
pub(crate) const KEY: &str = "time_zone";

/// Where the system's time zone files are (the IANA database, as glibc and chrono read it).
const ZONEINFO: &str = "/usr/share/zoneinfo";

/// Whether `name` is a time zone this machine counts in: `UTC`, the IANA name of a zone file
/// under `/usr/share/zoneinfo` (`Asia/Kabul`; a path that climbs out of it is none), or a
/// fixed offset in the POSIX form `TZ` takes (`XXX-5:30`: five and a half hours east of
/// UTC, no summer time).
pub fn is_known(name: &str) -> bool {
    name == "UTC" || is_zone_file(name) || is_fixed_offset(name)
}

/// Whether `name` names a zone file (a TZif file) under [`ZONEINFO`].
fn is_zone_file(name: &str) -> bool {
    let safe = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if !safe {
        return false;
    }
    let path = Path::new(ZONEINFO).join(name);
    let mut magic = [0u8; 4];
    path.is_file()
        && std::fs::File::open(&path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .is_ok()
        && &magic == b"TZif"
}

/// Whether `name` is a POSIX `TZ` of a fixed offset: three or more letters, then hours
/// (0–24, a sign optional) and optionally `:MM` and `:SS`.
fn is_fixed_offset(name: &str) -> bool {
    let letters = name.chars().take_while(char::is_ascii_alphabetic).count();
    if !(3..=10).contains(&letters) {
        return false;
    }
    let offset = &name[letters..];
    let offset = offset.strip_prefix(['+', '-']).unwrap_or(offset);
    let mut parts = offset.split(':');
    let Some(hours) = parts.next() else {
        return false;
    };
    let number = |p: &str, max: u32| {
        (1..=2).contains(&p.len())
            && p.chars().all(|c| c.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| n <= max)
    };
    number(hours, 24) && parts.clone().count() <= 2 && parts.all(|p| number(p, 59))
}

/// This process's time zone, as a database it creates or brings up to date records it: `TZ`
/// when it names a known zone (a leading `:` aside), else the zone `/etc/localtime` links to,
/// else `UTC`.
pub fn of_process() -> String {
    if let Ok(tz) = std::env::var("TZ") {
        let tz = tz.strip_prefix(':').unwrap_or(&tz);
        if is_known(tz) {
            return tz.to_string();
        }
    }
    std::fs::read_link("/etc/localtime")
        .ok()
        .and_then(|link| {
            let link = link.to_string_lossy().into_owned();
            let (_, name) = link.rsplit_once("zoneinfo/")?;
            is_known(name).then(|| name.to_string())
        })
        .unwrap_or_else(|| "UTC".to_string())
}

/// The time zone of the database at `path`, read without opening it as a [`Store`] (nothing
/// migrated, nothing created, no lock waited on for long): `None` when there is no such file,
/// it cannot be read, it has none (an older schema) or what it has is no zone this machine
/// knows ([`is_known`]).
pub fn of_ledger(path: &Path) -> Option<String> {
    use rusqlite::OpenFlags;
    if !path.is_file() {
        return None;
    }
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    conn.busy_timeout(std::time::Duration::from_secs(2)).ok()?;
    let zone: String = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [KEY], |r| r.get(0))
        .ok()?;
    is_known(&zone).then_some(zone)
}

/// The sentence refusing `name` as a time zone.
fn unknown(name: &str) -> Error {
    Error::input(format!(
        "{} is not a time zone this machine knows: give an IANA name as under {ZONEINFO} \
         (Europe/Berlin, America/New_York, Asia/Kabul) or UTC",
        crate::error::quoted(name)
    ))
}

impl Store {
    /// The ledger's time zone, `UTC` where none is recorded (a database made read-only before
    /// migration 32 could record one cannot be opened by this owed in any case).
    pub fn time_zone(&self) -> Result<String> {
        Ok(self.meta(KEY)?.unwrap_or_else(|| "UTC".to_string()))
    }

    /// Makes `zone` the ledger's time zone, recorded in the system's log with the one it
    /// replaces; a manager's to do. Returns the zone it was.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a zone this machine does not know or an actor who is not a
    /// manager; nothing is written.
    pub fn set_time_zone(&mut self, by: &Stamp, zone: &str) -> Result<String> {
        if !is_known(zone) {
            return Err(unknown(zone));
        }
        may(&by.actor(), Work::ChangeTimeZone, None).map_err(Error::Input)?;
        let tx = self.write_tx()?;
        let old: Option<String> = {
            use rusqlite::OptionalExtension;
            tx.query_row("SELECT value FROM meta WHERE key = ?1", [KEY], |r| r.get(0))
                .optional()?
        };
        let old = old.unwrap_or_else(|| "UTC".to_string());
        if old != zone {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [KEY, zone],
            )?;
            super::users::log(
                &tx,
                by,
                SystemChange::TimeZone,
                "",
                &format!("{old} -> {zone}"),
            )?;
        }
        tx.commit()?;
        Ok(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_names_of_zone_files_utc_or_fixed_offsets() {
        for known in ["UTC", "XXX-5:30:00", "ABC+3", "XXX-0:00:10"] {
            assert!(is_known(known), "{known}");
        }
        if Path::new(ZONEINFO).join("Asia/Kabul").is_file() {
            assert!(is_known("Asia/Kabul"));
            assert!(is_known("America/New_York"));
        }
        for unknown in [
            "",
            "Mars/Olympus",
            "Asia",
            "../../../etc/passwd",
            "/etc/localtime",
            "Asia/../Asia/Kabul",
            "Asia//Kabul",
            "AB-3",
            "XXX-25",
            "XXX-5:60",
            "XXX-5:30:00:00",
            "XXX",
            "Asia/Kabul\n",
        ] {
            assert!(!is_known(unknown), "{unknown:?}");
        }
    }
}
