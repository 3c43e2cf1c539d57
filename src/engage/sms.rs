//! Text messages (`channel = "sms"`) through an HTTP provider in Twilio's shape: one
//! form-encoded `POST` of `To`, `From` and `Body` to the messages endpoint (`[sms] url`),
//! with HTTP basic authentication (`account`, and the token read from the environment
//! variable `token_env` names: never stored, never sent without TLS except to a loopback
//! host).
//!
//! The request is spoken here over a plain or rustls stream (the SMTP client's connector and
//! TLS configuration), one connection per message, each step within `timeout_seconds`
//! (default 30): connecting, writing the request (the TLS handshake with it), and the
//! answer. The outcome keeps the outbox's at-most-once promise:
//!
//! - a 2xx answer: delivered;
//! - 401 or 403 (the credentials are refused): nothing more can be sent, the run stops (as on
//!   an SMTP login refused), the reminder released;
//! - 429 or 503 (the provider asks to come back later): refused for now, retried with the
//!   outbox's backoff; any other 4xx or 5xx answer except those below: refused, released;
//! - 500, 502 or 504, or no answer (a timeout, a broken connection) once the whole request
//!   was written: unknown — a gateway may have passed the message on — left pending;
//! - a failure before the request was written: not delivered (a refused connection is
//!   retried; a timeout or a stop signal is not).

use super::cycle::Channel;
use super::outbox::{Mailer, SendError, StopSignal, TextMessage};
use super::plan::PlanEntry;
use super::secret::Secret;
use super::smtp::{
    SmtpMailer, SmtpSettings, StepError, Stream, cached_tls_config, connect, cut_to, wait_for,
    waiting, write_all,
};
use crate::config::{Config, SmsConfig};
use crate::{Error, Result};
use base64::Engine as _;
use lettre::Message;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::io::{self, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest answer read (the provider's JSON is short).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Where and how to send text messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsSettings {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// The request path (with its query, if any).
    pub path: String,
    pub account: String,
    pub token: Secret,
    pub from: String,
    pub timeout: Duration,
}

impl SmsSettings {
    /// The settings of `[sms]`, the token read through `env`.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] naming the key that is missing or wrong.
    pub fn from_config(
        config: &SmsConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<SmsSettings> {
        let need = |value: &Option<String>, key: &str| {
            value
                .clone()
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| {
                    Error::input(format!(
                        "set `{key}` in the config's [sms] table to send text messages"
                    ))
                })
        };
        let url = need(&config.url, "url")?;
        let account = need(&config.account, "account")?;
        let from = need(&config.from, "from")?;
        let token_env = need(&config.token_env, "token_env")?;
        let token = env(&token_env).filter(|t| !t.is_empty()).ok_or_else(|| {
            Error::input(format!(
                "the environment variable {token_env} ([sms] token_env) holds no token"
            ))
        })?;
        let (tls, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(Error::input(format!(
                "[sms] url `{url}` must start with https://"
            )));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, "/".to_string()),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (
                host.to_string(),
                port.parse::<u16>()
                    .map_err(|_| Error::input(format!("[sms] url `{url}` has a bad port")))?,
            ),
            None => (authority.to_string(), if tls { 443 } else { 80 }),
        };
        if host.is_empty() || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::input(format!("[sms] url `{url}` is not a URL")));
        }
        if !tls && !matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
            return Err(Error::input(format!(
                "[sms] url `{url}` is not https: the token is never sent in clear (http:// \
                 is accepted only for a loopback host)"
            )));
        }
        let seconds = config.timeout_seconds.unwrap_or(30);
        if !(1..=3600).contains(&seconds) {
            return Err(Error::input(format!(
                "[sms] timeout_seconds is {seconds}; give 1 to 3600"
            )));
        }
        Ok(SmsSettings {
            tls,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
            path,
            account,
            token: Secret::new(token),
            from,
            timeout: Duration::from_secs(seconds),
        })
    }

    fn where_(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// Sends text messages over HTTP(S), one connection each.
pub struct SmsClient {
    settings: SmsSettings,
    tls: Option<Arc<ClientConfig>>,
    roots: Option<RootCertStore>,
    stop: StopSignal,
}

impl SmsClient {
    /// A client trusting the webpki roots.
    pub fn new(settings: SmsSettings) -> SmsClient {
        SmsClient {
            settings,
            tls: None,
            roots: None,
            stop: StopSignal::default(),
        }
    }

    /// The same, trusting `roots` instead (tests).
    pub fn with_roots(mut self, roots: RootCertStore) -> SmsClient {
        self.roots = Some(roots);
        self
    }

    /// The same, stopping when `stop` is raised before a request was handed over.
    pub fn with_stop(mut self, stop: StopSignal) -> SmsClient {
        self.stop = stop;
        self
    }

    /// Sends `text` (see the module's outcomes).
    ///
    /// # Errors
    ///
    /// Why it was not (or maybe not) delivered.
    pub fn send(&mut self, text: &TextMessage) -> std::result::Result<(), SendError> {
        let where_ = self.settings.where_();
        let timeout = self.settings.timeout;
        let before = |what: &str, e: StepError| match e {
            StepError::TimedOut => SendError::Fatal(format!(
                "the text-message provider {where_} timed out: {what} took over {} s; \
                 not sent",
                timeout.as_secs()
            )),
            StepError::Stopped(why) => SendError::Fatal(why),
            StepError::Io(e) => SendError::Unreachable(format!(
                "cannot reach the text-message provider {where_}: {e}"
            )),
            other => SendError::Fatal(format!(
                "the text-message provider {where_} failed: {}",
                step_text(other)
            )),
        };
        let tcp = connect(&self.settings.host, self.settings.port, timeout, &self.stop)
            .map_err(|e| before("connecting", e))?;
        let mut stream = if self.settings.tls {
            let config = cached_tls_config(&mut self.tls, self.roots.as_ref())?;
            let name = ServerName::try_from(self.settings.host.clone()).map_err(|e| {
                SendError::Fatal(format!("[sms] host `{}`: {e}", self.settings.host))
            })?;
            let conn = ClientConnection::new(config, name)
                .map_err(|e| SendError::Fatal(format!("cannot set up TLS: {e}")))?;
            Stream::Tls(Box::new(StreamOwned::new(conn, tcp)))
        } else {
            Stream::Plain(tcp)
        };
        if let Some(why) = self.stop.why() {
            return Err(SendError::Fatal(why));
        }
        let request = self.request(text);
        write_all(&mut stream, &request, timeout, None).map_err(|e| match e {
            // A TLS failure (an untrusted certificate) shows as an I/O error of kind
            // InvalidData: nothing was handed over, and trying again would not help.
            StepError::Io(io) if io.kind() == io::ErrorKind::InvalidData => SendError::Fatal(
                format!("the TLS handshake with the text-message provider {where_} failed: {io}"),
            ),
            other => before("sending the request", other),
        })?;
        let answer = read_answer(&mut stream, timeout).map_err(|e| {
            SendError::Unknown(match e {
                StepError::TimedOut => format!(
                    "the text-message provider {where_} sent no answer within {} s after the \
                     message was handed over",
                    timeout.as_secs()
                ),
                other => format!(
                    "the connection to the text-message provider {where_} broke after the \
                     message was handed over: {}",
                    step_text(other)
                ),
            })
        })?;
        let _ = stream.tcp().shutdown(std::net::Shutdown::Both);
        let (status, body) = answer;
        let said = format!(
            "the text-message provider {where_} answered {status}: {}",
            cut(&body)
        );
        match status {
            200..=299 => Ok(()),
            // Bad credentials refuse every message alike: the run stops once, as on an SMTP
            // login refused, rather than ask again for each reminder.
            401 | 403 => Err(SendError::Fatal(format!(
                "the text-message provider {where_} refused the credentials of account `{}` \
                 (it answered {status}): check [sms] account and the token in the variable \
                 [sms] token_env names",
                cut(&self.settings.account)
            ))),
            429 | 503 => Err(SendError::Refused {
                transient: true,
                message: said,
            }),
            500 | 502 | 504 => Err(SendError::Unknown(said)),
            _ => Err(SendError::Refused {
                transient: false,
                message: said,
            }),
        }
    }

    /// The HTTP request: `POST` of `To`, `From`, `Body`, form-encoded, with basic auth.
    fn request(&self, text: &TextMessage) -> Vec<u8> {
        let s = &self.settings;
        let body = format!(
            "To={}&From={}&Body={}",
            form_encode(&text.to),
            form_encode(&s.from),
            form_encode(&text.body)
        );
        let auth = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            s.account,
            s.token.expose()
        ));
        let host = if (s.tls && s.port == 443) || (!s.tls && s.port == 80) {
            s.host.clone()
        } else {
            format!("{}:{}", s.host, s.port)
        };
        format!(
            "POST {} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Accept: application/json\r\nUser-Agent: owed\r\nConnection: close\r\n\r\n{body}",
            s.path,
            body.len()
        )
        .into_bytes()
    }
}

/// `application/x-www-form-urlencoded`: unreserved characters kept, space as `+`, the rest
/// as `%XX` of their UTF-8 bytes.
pub fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// What went wrong in a step, as a sentence for people (not Rust's debug text).
fn step_text(e: StepError) -> String {
    match e {
        StepError::TimedOut => "no answer in time".into(),
        StepError::Stopped(why) => why,
        StepError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            "the provider closed the connection".into()
        }
        StepError::Io(e) => cut(&e.to_string()),
        StepError::Refused(_) => "the provider refused it".into(),
        StepError::Garbled(what) => format!("it answered {}", cut(&what)),
    }
}

/// The provider's text for a message: on one line, cut to about 200 characters.
fn cut(text: &str) -> String {
    cut_to(text, 200)
}

/// Reads the answer's status and body (by `Content-Length`, else to the end) within
/// `timeout` in all.
fn read_answer(stream: &mut Stream, timeout: Duration) -> Result<(u16, String), StepError> {
    let deadline = Instant::now() + timeout;
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut head: Option<(u16, usize, Option<usize>)> = None;
    loop {
        if head.is_none()
            && let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n")
        {
            let text = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let mut lines = text.split("\r\n");
            let status = lines
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|s| s.parse::<u16>().ok())
                .ok_or_else(|| StepError::Garbled(format!("not HTTP: `{}`", cut(&text))))?;
            let length = lines.find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())
                    .flatten()
            });
            head = Some((status, end + 4, length));
        }
        if let Some((status, start, Some(length))) = head
            && buffer.len() >= start + length
        {
            let body = String::from_utf8_lossy(&buffer[start..start + length]).into_owned();
            return Ok((status, body));
        }
        if buffer.len() > MAX_ANSWER_BYTES {
            return Err(StepError::Garbled("an answer too long".into()));
        }
        let wait = wait_for(deadline, None)?;
        stream
            .tcp()
            .set_read_timeout(Some(wait))
            .map_err(StepError::Io)?;
        match stream.read(&mut chunk) {
            Ok(0) => {
                return match head {
                    Some((status, start, _)) => Ok((
                        status,
                        String::from_utf8_lossy(&buffer[start.min(buffer.len())..]).into_owned(),
                    )),
                    None => Err(StepError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    ))),
                };
            }
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if waiting(&e) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && head.is_some() => {
                let (status, start, _) = head.unwrap_or((0, 0, None));
                return Ok((
                    status,
                    String::from_utf8_lossy(&buffer[start.min(buffer.len())..]).into_owned(),
                ));
            }
            Err(e) => return Err(StepError::Io(e)),
        }
    }
}

/// The senders of a run: SMTP for emails (when the plan has any) and the text-message
/// provider (when it has text messages).
pub struct Senders {
    pub smtp: Option<SmtpMailer>,
    pub sms: Option<SmsClient>,
    pub stop: StopSignal,
}

/// What a send holds: emails, text messages or both (which senders it needs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Channels {
    pub emails: bool,
    pub texts: bool,
}

impl Channels {
    /// The channels of `entries`.
    pub fn of<'a>(entries: impl IntoIterator<Item = &'a PlanEntry>) -> Channels {
        entries
            .into_iter()
            .fold(Channels::default(), |c, e| match e.channel {
                Channel::Email => Channels { emails: true, ..c },
                Channel::Sms => Channels { texts: true, ..c },
            })
    }
}

impl Senders {
    /// The senders `channels` need, from the config's `[smtp]` (for emails) and `[sms]` (for
    /// text messages), their secrets read through `env`: `owed engage run` and the
    /// workstation send through the same ones. A table the send does not need is not read,
    /// so a run of text messages only needs no `[smtp]`.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] naming the key of a needed table that is missing or wrong.
    pub fn from_config(
        config: &Config,
        channels: Channels,
        stop: StopSignal,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Senders> {
        let smtp = if channels.emails {
            let settings = SmtpSettings::from_config(&config.smtp, &env)?;
            Some(SmtpMailer::new(settings).with_stop(stop.clone()))
        } else {
            None
        };
        let sms = if channels.texts {
            let settings = SmsSettings::from_config(&config.sms, &env)?;
            Some(SmsClient::new(settings).with_stop(stop.clone()))
        } else {
            None
        };
        Ok(Senders { smtp, sms, stop })
    }
}

impl Mailer for Senders {
    fn connect(&mut self) -> std::result::Result<(), SendError> {
        match &mut self.smtp {
            Some(smtp) => smtp.connect(),
            None => Ok(()),
        }
    }

    fn send(&mut self, message: &Message) -> std::result::Result<(), SendError> {
        match &mut self.smtp {
            Some(smtp) => smtp.send(message),
            None => Err(SendError::Fatal("no SMTP server is set up ([smtp])".into())),
        }
    }

    fn send_text(&mut self, text: &TextMessage) -> std::result::Result<(), SendError> {
        match &mut self.sms {
            Some(sms) => sms.send(text),
            None => Err(SendError::Fatal(
                "no text-message provider is set up ([sms] in the config)".into(),
            )),
        }
    }

    fn close(&mut self) {
        if let Some(smtp) = &mut self.smtp {
            smtp.close();
        }
    }

    fn stop_requested(&self) -> Option<String> {
        self.stop.why()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(url: &str) -> SmsConfig {
        SmsConfig {
            url: Some(url.into()),
            account: Some("AC1".into()),
            token_env: Some("T".into()),
            from: Some("+15550001111".into()),
            timeout_seconds: None,
        }
    }

    #[test]
    fn form_encoding_escapes_everything_but_unreserved() {
        assert_eq!(form_encode("+44 20 7946"), "%2B44+20+7946");
        assert_eq!(form_encode("Grüße & co"), "Gr%C3%BC%C3%9Fe+%26+co");
    }

    #[test]
    fn the_token_is_never_sent_in_clear_but_to_a_loopback_host() {
        let env = |_: &str| Some("secret".to_string());
        let s = SmsSettings::from_config(&cfg("https://api.example.com/2010/Messages.json"), env)
            .unwrap();
        assert_eq!(
            (s.tls, s.port, s.path.as_str()),
            (true, 443, "/2010/Messages.json")
        );
        assert!(!format!("{s:?}").contains("secret"));
        let e = SmsSettings::from_config(&cfg("http://api.example.com/m"), env).unwrap_err();
        assert!(e.to_string().contains("never sent in clear"), "{e}");
        let s = SmsSettings::from_config(&cfg("http://127.0.0.1:8080/m"), env).unwrap();
        assert_eq!((s.tls, s.port), (false, 8080));
        let e = SmsSettings::from_config(&cfg("http://127.0.0.1/m"), |_| None).unwrap_err();
        assert!(e.to_string().contains("holds no token"), "{e}");
    }
}
