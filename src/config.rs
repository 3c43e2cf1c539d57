//! Configuration: `config.toml` (every key optional) and where files live.
//!
//! The database is `--db`, else `OWED_DB`, else `owed.db` in the platform data dir; the config
//! is `--config`, else `OWED_CONFIG`, else `config.toml` in the platform config dir. The
//! repository's `config/config.toml` documents every key.

use crate::domain::aging::AgingBounds;
use crate::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// SMTP settings for sending reminders.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: Option<String>,
    pub port: Option<u16>,
    /// `none`, `starttls` or `tls`.
    pub security: Option<String>,
    pub username: Option<String>,
    /// The environment variable holding the password (never stored in the file).
    pub password_env: Option<String>,
    pub from: Option<String>,
    /// How long each SMTP step (connecting, each command, the end of the message) may wait
    /// for the server, in seconds (default 30).
    pub timeout_seconds: Option<u64>,
}

/// What a statement of account prints besides the figures (`owed statement`).
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StatementConfig {
    /// Who the statement is from: your company's name, at the top of the page.
    pub company: Option<String>,
    /// Lines under the company's name (address, phone, email).
    pub address: Option<String>,
    /// How to pay (bank account, payment link, the reference to quote), under the totals.
    pub remittance: Option<String>,
}

/// The contents of `config.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub base_currency: String,
    pub aging_bounds: Vec<i64>,
    pub collector: Option<String>,
    pub theme: Option<String>,
    /// Days after a promise's date during which a payment still keeps it.
    pub promise_grace_days: u32,
    /// Reasons offered for issues / disputes.
    pub dispute_reasons: Vec<String>,
    /// Move the cursor to the next customer after saving an action in the workstation.
    pub advance_after_action: bool,
    /// Engagement cycles folder (default: `cycles/` beside the config file).
    pub cycles: Option<PathBuf>,
    pub smtp: SmtpConfig,
    pub statement: StatementConfig,
    /// Where this config was read from (not a key).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_currency: "USD".into(),
            aging_bounds: AgingBounds::default().upper().to_vec(),
            collector: None,
            theme: None,
            promise_grace_days: 3,
            dispute_reasons: [
                "pricing",
                "quantity",
                "quality",
                "missing_po",
                "duplicate",
                "service",
                "other",
            ]
            .map(String::from)
            .to_vec(),
            advance_after_action: true,
            cycles: None,
            smtp: SmtpConfig::default(),
            statement: StatementConfig::default(),
            path: None,
        }
    }
}

impl Config {
    /// Reads the config from `explicit`, else `OWED_CONFIG`, else the platform config dir.
    /// A missing default file gives the defaults; a missing explicit file is an error.
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        let env = std::env::var_os("OWED_CONFIG").map(PathBuf::from);
        match explicit.map(Path::to_path_buf).or(env) {
            Some(path) => Config::from_file(&path),
            None => match default_config_path() {
                Some(path) if path.exists() => Config::from_file(&path),
                _ => Ok(Config::default()),
            },
        }
    }

    /// Reads and validates one config file.
    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::input(format!("cannot read config {}: {e}", path.display())))?;
        let mut config =
            Config::parse(&text).map_err(|e| Error::input(format!("{}: {e}", path.display())))?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses and validates config text.
    pub fn parse(text: &str) -> std::result::Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string().trim().to_string())?;
        config.aging()?;
        let cur = &config.base_currency;
        if cur.len() != 3 || !cur.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "base_currency must be a 3-letter ISO code, got `{cur}`"
            ));
        }
        Ok(config)
    }

    /// The aging bounds.
    pub fn aging(&self) -> std::result::Result<AgingBounds, String> {
        AgingBounds::new(self.aging_bounds.clone())
    }

    /// The collector: `--as`, else `collector` here, else the OS user.
    pub fn collector_name(&self, explicit: Option<&str>) -> String {
        explicit
            .map(str::to_string)
            .or_else(|| self.collector.clone())
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("USERNAME").ok())
            .unwrap_or_else(|| "collector".into())
    }

    /// The engagement cycles folder: explicit, else `cycles` in the config, else `cycles/`
    /// beside the config file.
    pub fn cycles_dir(&self, explicit: Option<&Path>) -> Option<PathBuf> {
        if let Some(p) = explicit {
            return Some(p.to_path_buf());
        }
        let beside = |p: &Path| p.parent().map(|dir| dir.to_path_buf());
        match (&self.cycles, &self.path) {
            (Some(c), Some(cfg)) if c.is_relative() => beside(cfg).map(|d| d.join(c)),
            (Some(c), _) => Some(c.clone()),
            (None, Some(cfg)) => beside(cfg).map(|d| d.join("cycles")),
            (None, None) => default_config_path()
                .and_then(|p| beside(&p))
                .map(|d| d.join("cycles")),
        }
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "owed")
}

/// `config.toml` in the platform config dir.
pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// The database path: explicit (`--db` or `OWED_DB`, resolved by the CLI), else `owed.db` in
/// the platform data dir.
pub fn database_path(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    project_dirs()
        .map(|d| d.data_dir().join("owed.db"))
        .ok_or_else(|| {
            Error::runtime("cannot find a home directory for the database; use --db PATH")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_optional() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn the_shipped_default_config_parses() {
        let text = include_str!("../config/config.toml");
        let c = Config::parse(text).unwrap();
        assert_eq!(c.base_currency, "USD");
        assert_eq!(c.aging_bounds, vec![30, 60, 90, 120]);
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        let e = Config::parse("aging_bounds = [60, 30]").unwrap_err();
        assert!(e.contains("strictly increasing"), "{e}");
        let e = Config::parse("base_currency = \"dollars\"").unwrap_err();
        assert!(e.contains("3-letter"), "{e}");
        let e = Config::parse("colector = \"x\"").unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
    }
}
