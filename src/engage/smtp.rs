//! Sending over SMTP with lettre: one connection per run, reused for every message.
//!
//! `security` is `none` (plain SMTP, default port 25), `starttls` (upgrade required, port
//! 587) or `tls` (TLS from the first byte, port 465). With a `username`, the password is read
//! from the environment variable `password_env` names: it is never stored.
//!
//! The session is driven command by command (MAIL, RCPT, DATA, then the message) so that a
//! failure is classified by when it happened: anything before the message is handed over is
//! "not delivered" (safe to retry); a 4xx/5xx answer to the message is "not delivered"; a
//! broken connection while or after handing over the message is "unknown".

use super::outbox::{Mailer, SendError};
use crate::config::SmtpConfig;
use crate::{Error, Result};
use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use std::time::Duration;

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    None,
    StartTls,
    Tls,
}

/// Where and how to connect.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// User name and password.
    pub credentials: Option<(String, String)>,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .finish_non_exhaustive()
    }
}

impl SmtpSettings {
    /// The settings of the config's `[smtp]` table; `env` reads environment variables.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a missing host, an unknown security, or a username without a
    /// password variable (or with one that is not set).
    pub fn from_config(
        config: &SmtpConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<SmtpSettings> {
        let host = config
            .host
            .clone()
            .filter(|h| !h.trim().is_empty())
            .ok_or_else(|| {
                Error::input("set `host` in the config's [smtp] table to send reminders")
            })?;
        let security = match config.security.as_deref().unwrap_or("none") {
            "none" => Security::None,
            "starttls" => Security::StartTls,
            "tls" => Security::Tls,
            other => {
                return Err(Error::input(format!(
                    "[smtp] security must be none, starttls or tls, not `{other}`"
                )));
            }
        };
        let port = config.port.unwrap_or(match security {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        });
        let credentials = match &config.username {
            None => None,
            Some(user) => {
                let var = config.password_env.as_deref().ok_or_else(|| {
                    Error::input(
                        "[smtp] has a username but no password_env naming the variable that \
                         holds the password",
                    )
                })?;
                let password = env(var).ok_or_else(|| {
                    Error::input(format!(
                        "the SMTP password variable {var} (smtp.password_env) is not set"
                    ))
                })?;
                Some((user.clone(), password))
            }
        };
        Ok(SmtpSettings {
            host,
            port,
            security,
            credentials,
            timeout: Duration::from_secs(30),
        })
    }
}

/// A [`Mailer`] over one SMTP connection.
pub struct SmtpMailer {
    settings: SmtpSettings,
    hello: ClientId,
    conn: Option<SmtpConnection>,
}

impl SmtpMailer {
    /// A mailer that connects on first use.
    pub fn new(settings: SmtpSettings) -> SmtpMailer {
        SmtpMailer {
            settings,
            hello: ClientId::default(),
            conn: None,
        }
    }

    fn where_(&self) -> String {
        format!("{}:{}", self.settings.host, self.settings.port)
    }

    fn open(&self) -> std::result::Result<SmtpConnection, SendError> {
        let s = &self.settings;
        let unreachable = |e: lettre::transport::smtp::Error| {
            SendError::Unreachable(format!(
                "cannot reach the SMTP server {}: {e}",
                self.where_()
            ))
        };
        let tls = || {
            TlsParameters::new(s.host.clone()).map_err(|e| {
                SendError::Unreachable(format!("TLS setup for {} failed: {e}", self.where_()))
            })
        };
        let mut conn = match s.security {
            Security::None | Security::StartTls => SmtpConnection::connect(
                (s.host.as_str(), s.port),
                Some(s.timeout),
                &self.hello,
                None,
                None,
            )
            .map_err(unreachable)?,
            Security::Tls => SmtpConnection::connect(
                (s.host.as_str(), s.port),
                Some(s.timeout),
                &self.hello,
                Some(&tls()?),
                None,
            )
            .map_err(unreachable)?,
        };
        if s.security == Security::StartTls {
            conn.starttls(&tls()?, &self.hello).map_err(|e| {
                SendError::Unreachable(format!("STARTTLS with {} failed: {e}", self.where_()))
            })?;
        }
        if let Some((user, password)) = &s.credentials {
            conn.auth(
                &[Mechanism::Plain, Mechanism::Login],
                &Credentials::new(user.clone(), password.clone()),
            )
            .map_err(|e| {
                SendError::Unreachable(format!(
                    "the SMTP server {} refused the login of {user}: {e}",
                    self.where_()
                ))
            })?;
        }
        Ok(conn)
    }
}

impl Mailer for SmtpMailer {
    fn connect(&mut self) -> std::result::Result<(), SendError> {
        if self.conn.as_ref().is_some_and(|c| !c.has_broken()) {
            return Ok(());
        }
        self.conn = Some(self.open()?);
        Ok(())
    }

    fn send(&mut self, message: &Message) -> std::result::Result<(), SendError> {
        self.connect()?;
        let Some(conn) = self.conn.as_mut() else {
            return Err(SendError::Unreachable("not connected".into()));
        };
        let result = deliver(conn, message);
        if result.is_err() {
            conn.abort();
            self.conn = None;
        }
        result
    }

    fn close(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = conn.quit();
        }
    }
}

/// MAIL, RCPT, DATA and the message on an open connection.
fn deliver(conn: &mut SmtpConnection, message: &Message) -> std::result::Result<(), SendError> {
    let envelope = message.envelope();
    let bytes = message.formatted();
    let before = |e: lettre::transport::smtp::Error| SendError::Refused {
        // A 5xx is final; a 4xx or a broken connection before the message may pass next time.
        transient: !e.is_permanent(),
        message: format!("not delivered: {e}"),
    };
    let mut options = Vec::new();
    let non_ascii = envelope
        .to()
        .iter()
        .chain(envelope.from())
        .any(|a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii());
    if non_ascii {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(SendError::Refused {
                transient: false,
                message: "not delivered: the address is not ASCII and the server does not \
                          support SMTPUTF8"
                    .into(),
            });
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !bytes.is_ascii() && conn.server_info().supports_feature(Extension::EightBitMime) {
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    conn.command(Mail::new(envelope.from().cloned(), options))
        .map_err(before)?;
    for to in envelope.to() {
        conn.command(Rcpt::new(to.clone(), vec![]))
            .map_err(before)?;
    }
    conn.command(Data).map_err(before)?;
    // The message and its terminating dot go out in one write: sent as two, Nagle's
    // algorithm and the server's delayed ACK would add 40 ms to every message.
    let result = match String::from_utf8(bytes) {
        Ok(text) => conn.command(DataBlock(&text)),
        Err(e) => conn.message(e.as_bytes()),
    };
    result.map_err(|e| {
        if e.is_transient() || e.is_permanent() {
            SendError::Refused {
                transient: e.is_transient(),
                message: format!("not delivered: {e}"),
            }
        } else {
            SendError::Unknown(format!(
                "the connection broke while the message was handed over: {e}"
            ))
        }
    })?;
    Ok(())
}

/// A message's DATA block: dot-stuffed (RFC 5321 4.5.2), CRLF line ends, then `.` alone on
/// a line.
struct DataBlock<'a>(&'a str);

impl std::fmt::Display for DataBlock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0.replace("\r\n", "\n");
        let text = text.strip_suffix('\n').unwrap_or(&text);
        for line in text.split('\n') {
            if line.starts_with('.') {
                f.write_str(".")?;
            }
            f.write_str(line)?;
            f.write_str("\r\n")?;
        }
        f.write_str(".\r\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> SmtpConfig {
        crate::config::Config::parse(text).unwrap().smtp
    }

    #[test]
    fn data_blocks_are_dot_stuffed_and_terminated() {
        assert_eq!(
            DataBlock("Subject: x\r\n\r\n.hidden\r\nok\r\n").to_string(),
            "Subject: x\r\n\r\n..hidden\r\nok\r\n.\r\n"
        );
        assert_eq!(DataBlock("a\nb").to_string(), "a\r\nb\r\n.\r\n");
    }

    #[test]
    fn settings_default_ports_by_security() {
        let s = SmtpSettings::from_config(&cfg("[smtp]\nhost = \"m\"\n"), |_| None).unwrap();
        assert_eq!((s.port, s.security), (25, Security::None));
        let s =
            SmtpSettings::from_config(&cfg("[smtp]\nhost = \"m\"\nsecurity = \"tls\"\n"), |_| None)
                .unwrap();
        assert_eq!((s.port, s.security), (465, Security::Tls));
        let s = SmtpSettings::from_config(
            &cfg("[smtp]\nhost = \"m\"\nsecurity = \"starttls\"\nport = 2525\n"),
            |_| None,
        )
        .unwrap();
        assert_eq!((s.port, s.security), (2525, Security::StartTls));
    }

    #[test]
    fn the_password_comes_from_the_named_variable() {
        let c = cfg("[smtp]\nhost = \"m\"\nusername = \"u\"\npassword_env = \"PW\"\n");
        let s =
            SmtpSettings::from_config(&c, |v| (v == "PW").then(|| "secret".to_string())).unwrap();
        assert_eq!(s.credentials, Some(("u".into(), "secret".into())));
        assert!(!format!("{s:?}").contains("secret"));
        let e = SmtpSettings::from_config(&c, |_| None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("PW") && e.contains("not set"), "{e}");
        let e =
            SmtpSettings::from_config(&cfg("[smtp]\nhost = \"m\"\nusername = \"u\"\n"), |_| None)
                .unwrap_err()
                .to_string();
        assert!(e.contains("password_env"), "{e}");
    }

    #[test]
    fn bad_settings_are_input_errors() {
        let e = SmtpSettings::from_config(&cfg(""), |_| None).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e =
            SmtpSettings::from_config(&cfg("[smtp]\nhost = \"m\"\nsecurity = \"ssl\"\n"), |_| None)
                .unwrap_err();
        assert!(e.to_string().contains("none, starttls or tls"));
    }
}
