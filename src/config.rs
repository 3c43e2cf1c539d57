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

/// `owed serve` settings (SPEC "Serving the workstation over SSH").
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServeConfig {
    /// `ADDR:PORT` to listen on (default `127.0.0.1:2222`).
    pub listen: Option<String>,
    /// The server's host key file (default: `host_key.ed25519` beside the database); a
    /// relative path is relative to the config file.
    pub host_key: Option<PathBuf>,
    /// Minutes without input after which a session is ended; 0 never ends one.
    pub idle_timeout_minutes: u32,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: None,
            host_key: None,
            idle_timeout_minutes: 60,
        }
    }
}

/// Reads a listening address, `ADDR:PORT` (`127.0.0.1:2222`, `[::]:2222`).
pub fn parse_listen(text: &str) -> std::result::Result<std::net::SocketAddr, String> {
    text.trim().parse().map_err(|_| {
        format!("`{text}` is not an address to listen on: use ADDR:PORT, e.g. 127.0.0.1:2222")
    })
}

/// `[engage]`: how the cycles work together.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EngageConfig {
    /// Across all cycles, a customer receives at most one reminder per this many days (the
    /// first day's highest-priority one). Default 0: one a day.
    pub min_days_between: Option<u32>,
}

/// `[sms]`: the text-message provider for `channel = "sms"` (Twilio's form-encoded shape).
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    /// The provider's messages endpoint (`https://…/Messages.json`).
    pub url: Option<String>,
    /// The account (the user of HTTP basic authentication).
    pub account: Option<String>,
    /// The environment variable holding the token (the password; never stored in the file).
    pub token_env: Option<String>,
    /// The sender number or name.
    pub from: Option<String>,
    /// How long each step (connecting, sending, the answer) may wait, in seconds (default 30).
    pub timeout_seconds: Option<u64>,
}

/// `[statement]`: the statement of account.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StatementConfig {
    /// The company sending it, printed at the top.
    pub company: Option<String>,
    /// How to pay: bank details, the reference to quote (printed at the bottom).
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
    pub serve: ServeConfig,
    pub engage: EngageConfig,
    pub sms: SmsConfig,
    pub statement: StatementConfig,
    /// Types of custom fields for the rules: `cf_seats = "number"` (`number`, `date` or
    /// `text`; default text).
    pub custom_fields: std::collections::BTreeMap<String, String>,
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
            serve: ServeConfig::default(),
            engage: EngageConfig::default(),
            sms: SmsConfig::default(),
            statement: StatementConfig::default(),
            custom_fields: std::collections::BTreeMap::new(),
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
        if let Some(listen) = &config.serve.listen {
            parse_listen(listen).map_err(|e| format!("serve.listen: {e}"))?;
        }
        config.custom_field_types()?;
        let cur = &config.base_currency;
        if cur.len() != 3 || !cur.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "base_currency must be a 3-letter ISO code, got `{cur}`"
            ));
        }
        Ok(config)
    }

    /// The custom field types of `[custom_fields]`.
    ///
    /// # Errors
    ///
    /// A sentence naming a bad name or type.
    pub fn custom_field_types(
        &self,
    ) -> std::result::Result<crate::domain::rules::CustomFields, String> {
        let mut types = crate::domain::rules::CustomFields::default();
        for (name, ty) in &self.custom_fields {
            types
                .insert(name, ty)
                .map_err(|e| format!("[custom_fields]: {e}"))?;
        }
        Ok(types)
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

    /// A path from this config: relative ones are relative to the config file's folder.
    pub fn beside(&self, path: &Path) -> PathBuf {
        match (&self.path, path.is_relative()) {
            (Some(cfg), true) => cfg
                .parent()
                .map_or_else(|| path.to_path_buf(), |dir| dir.join(path)),
            _ => path.to_path_buf(),
        }
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
        assert_eq!(c.serve, ServeConfig::default());
    }

    #[test]
    fn serve_settings_read() {
        let c = Config::parse(
            "[serve]\nlisten = \"[::]:2200\"\nhost_key = \"keys/host\"\nidle_timeout_minutes = 0",
        )
        .unwrap();
        assert_eq!(
            parse_listen(c.serve.listen.as_deref().unwrap())
                .unwrap()
                .port(),
            2200
        );
        assert_eq!(c.serve.idle_timeout_minutes, 0);
        let c = Config {
            path: Some(PathBuf::from("/etc/owed/config.toml")),
            ..c
        };
        assert_eq!(
            c.beside(c.serve.host_key.as_deref().unwrap()),
            PathBuf::from("/etc/owed/keys/host")
        );
        assert_eq!(c.beside(Path::new("/abs")), PathBuf::from("/abs"));
    }

    #[test]
    fn bad_configs_say_what_is_wrong() {
        let e = Config::parse("aging_bounds = [60, 30]").unwrap_err();
        assert!(e.contains("strictly increasing"), "{e}");
        let e = Config::parse("base_currency = \"dollars\"").unwrap_err();
        assert!(e.contains("3-letter"), "{e}");
        let e = Config::parse("colector = \"x\"").unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
        let e = Config::parse("[serve]\nlisten = \"localhost\"").unwrap_err();
        assert!(e.contains("serve.listen") && e.contains("ADDR:PORT"), "{e}");
        let e = Config::parse("[serve]\nidle_timeout_minutes = -1").unwrap_err();
        assert!(e.contains("idle_timeout_minutes"), "{e}");
        let e = Config::parse("[custom_fields]\ncf_seats = \"integer\"").unwrap_err();
        assert!(
            e.contains("cf_seats") && e.contains("number, date or text"),
            "{e}"
        );
        let e = Config::parse("[custom_fields]\nseats = \"number\"").unwrap_err();
        assert!(e.contains("start with `cf_`"), "{e}");
    }
}
