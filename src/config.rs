//! Configuration: `config.toml` (every key optional) and where files live.
//!
//! The database is `--db`, else `OWED_DB`, else `owed.db` in the platform data dir; the config
//! is `--config`, else `OWED_CONFIG`, else `config.toml` in the platform config dir. The
//! repository's `config/config.toml` documents every key.

use crate::domain::aging::AgingBounds;
use crate::domain::queue::{Scope, View, sort_text};
use crate::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// SMTP settings for sending reminders.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: Option<String>,
    pub port: Option<u16>,
    /// `none` (the default), `starttls` or `tls`: read once, when the config is.
    pub security: Option<SmtpSecurity>,
    pub username: Option<String>,
    /// The environment variable holding the password (never stored in the file).
    pub password_env: Option<String>,
    pub from: Option<String>,
    /// How long each SMTP step (connecting, each command, the end of the message) may wait
    /// for the server, in seconds (default 30).
    pub timeout_seconds: Option<u64>,
}

/// How the SMTP connection is secured (`[smtp] security`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP (default port 25).
    None,
    /// Plain, upgraded with STARTTLS, which the server must offer (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
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
    /// The folder where SSH sessions read the files they attach and write their exports (each
    /// user's own folder in it is where a relative name starts); a relative path is relative
    /// to the config file. Without it, files are refused over SSH.
    pub files: Option<PathBuf>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            listen: None,
            host_key: None,
            idle_timeout_minutes: 60,
            files: None,
        }
    }
}

/// A saved view of the queue (`[[view]]`): a name, and what it sets (see
/// [`crate::domain::queue::View`]); what it leaves out stays as it was.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ViewConfig {
    pub name: String,
    /// In the filter language of `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// `KEY [asc|desc]`: overdue, days, outstanding, contact, name, risk, call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// overdue, all, promises, followups, disputes, replies, risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tab: Option<String>,
    /// mine or everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl ViewConfig {
    /// The view these fields describe, or what is wrong with them.
    pub fn view(&self, bounds: &AgingBounds) -> std::result::Result<View, String> {
        View::parse(
            &self.name,
            self.filter.as_deref(),
            self.sort.as_deref(),
            self.tab.as_deref(),
            self.scope.as_deref(),
            bounds,
        )
    }

    /// The fields of a view, as `:save` writes them.
    pub fn of_view(view: &View) -> ViewConfig {
        ViewConfig {
            name: view.name.clone(),
            filter: Some(view.filter.text.clone()).filter(|f| !f.is_empty()),
            sort: view.sort.map(|(k, d)| sort_text(k, d)),
            tab: view.tab.map(|t| t.name().to_string()),
            scope: view.scope.map(|s| {
                match s {
                    Scope::Mine => "mine",
                    Scope::Everyone => "everyone",
                }
                .to_string()
            }),
        }
    }
}

/// Reads a listening address, `ADDR:PORT` (`127.0.0.1:2222`, `[::]:2222`).
pub fn parse_listen(text: &str) -> std::result::Result<std::net::SocketAddr, String> {
    text.trim().parse().map_err(|_| {
        format!("`{text}` is not an address to listen on: use ADDR:PORT, e.g. 127.0.0.1:2222")
    })
}

/// The views shipped when the config names none.
fn default_views() -> Vec<ViewConfig> {
    crate::domain::queue::default_views()
        .into_iter()
        .map(|(name, filter, sort, tab)| ViewConfig {
            name: name.into(),
            filter: Some(filter.to_string()).filter(|f| !f.is_empty()),
            sort: Some(sort.into()),
            tab: Some(tab.into()),
            scope: None,
        })
        .collect()
}

/// `[engage]`: how the cycles work together.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EngageConfig {
    /// Across all cycles, a customer receives at most one reminder per this many days (the
    /// first day's highest-priority one). Default 0: one a day.
    pub min_days_between: Option<u32>,
    /// Reminders are not sent when the ledger's last import is more than this many days
    /// before the day they would go out on. Default [`crate::engage::MAX_LEDGER_AGE_DAYS`].
    pub max_ledger_age_days: Option<u32>,
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
    /// The company sending it: your company's name, at the top of the page.
    pub company: Option<String>,
    /// Lines under the company's name (address, phone, email).
    pub address: Option<String>,
    /// How to pay: bank details, a payment link, the reference to quote (under the totals).
    pub remittance: Option<String>,
}

/// How the workstation shows pictures in its own terminal (`graphics`, `OWED_GRAPHICS`):
/// over `owed serve` always in half blocks.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GraphicsChoice {
    /// Ask the terminal when a picture is first opened: kitty graphics, else sixel, else
    /// half blocks (half blocks under tmux and screen).
    #[default]
    Auto,
    Kitty,
    Sixel,
    /// Unicode half blocks, which every terminal shows.
    Halfblocks,
}

impl GraphicsChoice {
    /// The choice named `text` (as in the config); `None` for another word.
    pub fn parse(text: &str) -> Option<GraphicsChoice> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(GraphicsChoice::Auto),
            "kitty" => Some(GraphicsChoice::Kitty),
            "sixel" => Some(GraphicsChoice::Sixel),
            "halfblocks" => Some(GraphicsChoice::Halfblocks),
            _ => None,
        }
    }

    /// `OWED_GRAPHICS` (given: `env`) over the config's `graphics`.
    pub fn choose(config: GraphicsChoice, env: Option<&str>) -> Result<GraphicsChoice> {
        match env.filter(|v| !v.trim().is_empty()) {
            None => Ok(config),
            Some(v) => GraphicsChoice::parse(v).ok_or_else(|| {
                Error::input(format!(
                    "OWED_GRAPHICS must be auto, kitty, sixel or halfblocks, not {}",
                    crate::error::quoted(v)
                ))
            }),
        }
    }
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
    /// The largest file `owed attach` (and a lockbox image) keeps, in megabytes of 1,048,576
    /// bytes.
    pub max_attachment_mb: u64,
    /// How pictures are shown in the workstation's own terminal.
    pub graphics: GraphicsChoice,
    /// Engagement cycles folder (default: `cycles/` beside the config file).
    pub cycles: Option<PathBuf>,
    pub smtp: SmtpConfig,
    pub serve: ServeConfig,
    /// Saved views of the queue, shown as tabs after the built-in ones (`[[view]]`; without
    /// any, the four shipped ones).
    #[serde(rename = "view")]
    pub views: Vec<ViewConfig>,
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
            max_attachment_mb: crate::domain::attachment::DEFAULT_MAX_MB,
            graphics: GraphicsChoice::Auto,
            cycles: None,
            smtp: SmtpConfig::default(),
            serve: ServeConfig::default(),
            views: default_views(),
            engage: EngageConfig::default(),
            sms: SmsConfig::default(),
            statement: StatementConfig::default(),
            custom_fields: std::collections::BTreeMap::new(),
            path: None,
        }
    }
}

impl Config {
    /// Reads the config from `explicit` (`--config` or `OWED_CONFIG`, resolved by the CLI),
    /// else from the platform config dir. A missing default file gives the defaults; a missing
    /// explicit file is an error.
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        match explicit {
            Some(path) => Config::from_file(path),
            None => match default_config_path() {
                Some(path) if path.exists() => Config::from_file(&path),
                _ => Ok(Config::default()),
            },
        }
    }

    /// Reads and validates one config file.
    pub fn from_file(path: &Path) -> Result<Config> {
        let text = crate::files::read_text(path, "config ")?;
        let mut config =
            Config::parse(&text).map_err(|e| Error::input(format!("{}: {e}", path.display())))?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses and validates config text.
    pub fn parse(text: &str) -> std::result::Result<Config, String> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| e.to_string().trim().to_string())?;
        // A code written in lower case (`usd`) is the same code, as the CSVs read it.
        if config.base_currency.len() == 3
            && config
                .base_currency
                .chars()
                .all(|c| c.is_ascii_alphabetic())
        {
            config.base_currency.make_ascii_uppercase();
        }
        let bounds = config.aging()?;
        if let Some(listen) = &config.serve.listen {
            parse_listen(listen).map_err(|e| format!("serve.listen: {e}"))?;
        }
        let mut names: Vec<String> = Vec::new();
        for v in &config.views {
            let view = v
                .view(&bounds)
                .map_err(|e| format!("[[view]] {}: {e}", crate::error::quoted(v.name.trim())))?;
            let key = view.name.to_lowercase();
            if names.contains(&key) {
                return Err(format!(
                    "two views are named {}: give each [[view]] its own name",
                    crate::error::quoted(&view.name)
                ));
            }
            names.push(key);
        }
        config.custom_field_types()?;
        let cur = &config.base_currency;
        if cur.len() != 3 || !cur.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "base_currency must be a 3-letter ISO code, got `{cur}`"
            ));
        }
        if !crate::domain::money::is_currency(cur) {
            return Err(format!(
                "base_currency `{cur}` is not an ISO 4217 currency code"
            ));
        }
        Ok(config)
    }

    /// The saved views, in the order of the config (checked when it was read).
    pub fn views(&self) -> Vec<View> {
        let Ok(bounds) = self.aging() else {
            return Vec::new();
        };
        self.views
            .iter()
            .filter_map(|v| v.view(&bounds).ok())
            .collect()
    }

    /// The file `:save` writes views to: the one this config was read from, else
    /// `config.toml` in the platform config dir.
    pub fn writable_path(&self) -> Option<PathBuf> {
        self.path.clone().or_else(default_config_path)
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
            .or_else(os_user)
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

/// Adds `view` to the config file at `path` (none yet: one is made): appended as a
/// `[[view]]` table, the rest of the file left as it is. A config that named no view showed
/// the shipped ones: they are written first, so that they stay. A name the file has already
/// (read now: another session may have saved one since) is refused (exit 2), and so is a file
/// that does not read, or would not read back; nothing is written then. The file is replaced
/// whole (written beside it, then renamed).
pub fn save_view(path: &Path, view: &View) -> Result<()> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(Error::runtime(format!(
                "cannot read config {}: {e}",
                path.display()
            )));
        }
    };
    let config = Config::parse(&text)
        .map_err(|e| Error::input(format!("cannot save the view: {}: {e}", path.display())))?;
    if config
        .views
        .iter()
        .any(|v| v.name.trim().eq_ignore_ascii_case(view.name.trim()))
    {
        return Err(Error::input(format!(
            "a view named {} exists already: choose another name, or change it in {}",
            crate::error::quoted(&view.name),
            path.display()
        )));
    }
    let names_views = text
        .parse::<toml::Table>()
        .map(|t| t.contains_key("view"))
        .unwrap_or(false);
    let mut views: Vec<ViewConfig> = if names_views {
        Vec::new()
    } else {
        config.views.clone()
    };
    views.push(ViewConfig::of_view(view));
    #[derive(serde::Serialize)]
    struct Views<'a> {
        view: &'a [ViewConfig],
    }
    let added = toml::to_string(&Views { view: &views })
        .map_err(|e| Error::runtime(format!("cannot write the view: {e}")))?;
    let mut new_text = text.clone();
    if !new_text.is_empty() && !new_text.ends_with('\n') {
        new_text.push('\n');
    }
    if !new_text.is_empty() {
        new_text.push('\n');
    }
    new_text.push_str(&added);
    Config::parse(&new_text).map_err(|e| {
        Error::input(format!(
            "cannot save the view in {}: the file would not read back ({e})",
            path.display()
        ))
    })?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::runtime(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut temp = path.as_os_str().to_owned();
    temp.push(".saving");
    let temp = PathBuf::from(temp);
    let write = std::fs::write(&temp, &new_text).and_then(|()| std::fs::rename(&temp, path));
    write.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Error::runtime(format!("cannot write config {}: {e}", path.display()))
    })
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

/// The user this process runs as: `USER`, `LOGNAME` (cron sets it), `USERNAME` (Windows),
/// else the name the system gives the effective user id (an `env -i` run).
fn os_user() -> Option<String> {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|n| !n.trim().is_empty()))
        .or_else(account_name)
}

#[cfg(unix)]
fn account_name() -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: every pointer handed to getpwuid_r points to memory of the size given, which
    // lives until the name is copied out of it.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            libc::geteuid(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut found,
        );
        if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        std::ffi::CStr::from_ptr(pwd.pw_name)
            .to_str()
            .ok()
            .map(str::to_string)
    }
}

#[cfg(not(unix))]
fn account_name() -> Option<String> {
    None
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
        assert_eq!(
            c.views,
            Config::default().views,
            "the shipped views, written out"
        );
        assert_eq!(c.serve, ServeConfig::default());
    }

    /// A config saved in Windows-1252 or UTF-16 gave the reader's own "stream did not contain
    /// valid UTF-8", with no place in the file; the cycle files' message names it.
    #[test]
    fn a_config_that_is_not_utf8_names_the_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            b"base_currency = \"EUR\"\ncollector = \"J\xfcrgen\"\n",
        )
        .unwrap();
        assert_eq!(
            Config::from_file(&path).unwrap_err().to_string(),
            format!(
                "{}, line 2, column 15: not valid UTF-8 (the byte 0xFC; save the config as UTF-8)",
                path.display()
            )
        );
        // UTF-16, with its byte order mark.
        let utf16: Vec<u8> = "collector = \"alice\"\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        std::fs::write(&path, [&[0xFF, 0xFE][..], &utf16].concat()).unwrap();
        let e = Config::from_file(&path).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().ends_with(
                ", line 1, column 1: not valid UTF-8 (the byte 0xFF; save the config as UTF-8)"
            ),
            "{e}"
        );
    }

    #[test]
    fn smtp_security_is_read_once_with_the_config() {
        let read = |v: &str| Config::parse(&format!("[smtp]\nsecurity = \"{v}\"\n"));
        assert_eq!(
            read("none").unwrap().smtp.security,
            Some(SmtpSecurity::None)
        );
        assert_eq!(
            read("starttls").unwrap().smtp.security,
            Some(SmtpSecurity::StartTls)
        );
        assert_eq!(read("tls").unwrap().smtp.security, Some(SmtpSecurity::Tls));
        let e = read("ssl").unwrap_err();
        assert!(e.contains("line 2, column 12"), "{e}");
        assert!(
            e.contains("unknown variant `ssl`, expected one of `none`, `starttls`, `tls`"),
            "{e}"
        );
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
    fn views_ship_as_defaults_and_are_checked() {
        let c = Config::default();
        let names: Vec<String> = c.views().into_iter().map(|v| v.name).collect();
        assert_eq!(
            names,
            [
                "largest value",
                "most days past due",
                "high risk",
                "broken promises"
            ]
        );
        let c =
            Config::parse("[[view]]\nname = \"EU\"\nfilter = \"currency:EUR\"\nsort = \"days\"\n")
                .unwrap();
        assert_eq!(
            c.views().len(),
            1,
            "a config's views replace the shipped ones"
        );
        let e = Config::parse("[[view]]\nname = \"x\"\nfilter = \"colour:red\"\n").unwrap_err();
        assert!(
            e.contains("[[view]] `x`") && e.contains("unknown filter"),
            "{e}"
        );
        let e = Config::parse("[[view]]\nname = \"x\"\n[[view]]\nname = \"X\"\n").unwrap_err();
        assert!(e.contains("two views"), "{e}");
    }

    #[test]
    fn saving_a_view_keeps_the_file_and_the_shipped_views() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "# mine\ncollector = \"alice\"").unwrap();
        let config = Config::from_file(&path).unwrap();
        let bounds = config.aging().unwrap();
        let view = View::parse(
            "EU \"big\"",
            Some("currency:EUR note:\"approval\""),
            Some("overdue asc"),
            Some("all"),
            Some("everyone"),
            &bounds,
        )
        .unwrap();
        save_view(&path, &view).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# mine\ncollector = \"alice\"\n"),
            "{text}"
        );
        let again = Config::from_file(&path).unwrap();
        let views = again.views();
        assert_eq!(views.len(), 5, "{text}");
        assert_eq!(views[4], view);
        // The same name again: refused, the file untouched.
        let e = save_view(&path, &view).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        // A second one only adds itself.
        let other = View::parse("other", None, None, Some("risk"), None, &bounds).unwrap();
        save_view(&path, &other).unwrap();
        assert_eq!(Config::from_file(&path).unwrap().views().len(), 6);
        // No file yet: one is made.
        let fresh = dir.path().join("sub/config.toml");
        save_view(&fresh, &other).unwrap();
        assert_eq!(Config::from_file(&fresh).unwrap().views().len(), 5);
    }

    /// A currency code in lower case is the same code, as the CSVs read it: `usd` was
    /// refused as "must be a 3-letter ISO code".
    #[test]
    fn a_base_currency_in_lower_case_is_read_in_capitals() {
        let c = Config::parse("base_currency = \"usd\"").unwrap();
        assert_eq!(c.base_currency, "USD");
        let c = Config::parse("base_currency = \"Jpy\"").unwrap();
        assert_eq!(c.base_currency, "JPY");
        let e = Config::parse("base_currency = \"usx\"").unwrap_err();
        assert!(e.contains("`USX` is not an ISO 4217"), "{e}");
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
        let e = Config::parse("graphics = \"iterm\"").unwrap_err();
        assert!(e.contains("graphics") && e.contains("halfblocks"), "{e}");
    }

    #[test]
    fn graphics_are_chosen_by_the_config_then_the_environment() {
        use GraphicsChoice::*;
        assert_eq!(Config::default().graphics, Auto);
        let c = Config::parse("graphics = \"sixel\"").unwrap();
        assert_eq!(c.graphics, Sixel);
        assert_eq!(GraphicsChoice::choose(Sixel, None).unwrap(), Sixel);
        assert_eq!(GraphicsChoice::choose(Sixel, Some("")).unwrap(), Sixel);
        assert_eq!(
            GraphicsChoice::choose(Sixel, Some("HalfBlocks")).unwrap(),
            Halfblocks
        );
        assert_eq!(GraphicsChoice::choose(Auto, Some("kitty")).unwrap(), Kitty);
        let e = GraphicsChoice::choose(Auto, Some("iterm2")).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("OWED_GRAPHICS"), "{e}");
    }
}
