//! Sending over SMTP: one connection per run, reused for every message, driven step by step
//! with a deadline on each step.
//!
//! `security` is `none` (plain SMTP, default port 25), `starttls` (upgrade required, port
//! 587) or `tls` (TLS from the first byte, port 465). With a `username`, the password is read
//! from the environment variable `password_env` names: it is never stored, and it is never
//! sent without TLS (`security = "none"` with a username is refused before connecting).
//!
//! The session is spoken here, step by step (connect, TLS handshake, greeting, EHLO,
//! STARTTLS, AUTH, MAIL, RCPT, DATA, the message and its terminating dot), over a plain or
//! rustls stream; lettre builds the message and the commands and parses the answers. Each
//! step has a deadline (`smtp.timeout_seconds`, default 30): an answer must come within it
//! (a server that trickles its answer byte by byte does not stretch it), and a write may
//! wait that long for the server to read. A step that times out is never retried and the
//! connection is dropped without a QUIT (nothing would answer it).
//!
//! A failure is classified by when it happened (see [`SendError`]): before the message was
//! handed over it is "not delivered" — retried with backoff when the connection was refused
//! or broke ([`SendError::Unreachable`]), never when the server timed out, refused the login,
//! or a signal asked the run to stop ([`SendError::Fatal`]); a 4xx/5xx answer to the message
//! is "not delivered"; no answer, or a broken connection, once the message and its dot were
//! written is "unknown".

use super::outbox::{Mailer, SendError, StopSignal};
use super::secret::Secret;
use crate::config::SmtpConfig;
use crate::{Error, Result};
use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::commands::{Auth, Data, Ehlo, Mail, Quit, Rcpt, Starttls};
use lettre::transport::smtp::extension::{
    ClientId, Extension, MailBodyParameter, MailParameter, ServerInfo,
};
use lettre::transport::smtp::response::{Response, Severity};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::config::SmtpSecurity as Security;

/// The default deadline of each SMTP step.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest `timeout_seconds` accepted (an hour).
const MAX_TIMEOUT_SECONDS: u64 = 3600;

/// Where and how to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// User name and password.
    pub credentials: Option<(String, Secret)>,
    /// The deadline of each step.
    pub timeout: Duration,
}

impl SmtpSettings {
    /// The settings of the config's `[smtp]` table; `env` reads environment variables.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a missing host, an unknown security, a timeout out of range, a
    /// username with `security = "none"` (the password would cross the network in clear), or
    /// a username without a password variable (or with one that is not set).
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
        let security = config.security.unwrap_or(Security::None);
        let port = config.port.unwrap_or(match security {
            Security::None => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        });
        let timeout = match config.timeout_seconds {
            None => DEFAULT_TIMEOUT,
            Some(s @ 1..=MAX_TIMEOUT_SECONDS) => Duration::from_secs(s),
            Some(s) => {
                return Err(Error::input(format!(
                    "[smtp] timeout_seconds must be between 1 and {MAX_TIMEOUT_SECONDS}, not {s}"
                )));
            }
        };
        let credentials = match &config.username {
            None => None,
            Some(_) if security == Security::None => {
                return Err(Error::input(
                    "[smtp] has a username but security = \"none\": the password would cross \
                     the network in clear, so owed will not send it; set security to \
                     \"starttls\" or \"tls\"",
                ));
            }
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
                Some((user.clone(), Secret::new(password)))
            }
        };
        Ok(SmtpSettings {
            host,
            port,
            security,
            credentials,
            timeout,
        })
    }

    fn where_(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// A [`Mailer`] over one SMTP connection.
pub struct SmtpMailer {
    settings: SmtpSettings,
    hello: ClientId,
    session: Option<Session>,
    /// The TLS configuration (the platform-independent webpki roots), built on first use.
    tls: Option<Arc<ClientConfig>>,
    stop: StopSignal,
}

impl SmtpMailer {
    /// A mailer that connects on first use.
    pub fn new(settings: SmtpSettings) -> SmtpMailer {
        SmtpMailer {
            settings,
            hello: ClientId::default(),
            session: None,
            tls: None,
            stop: StopSignal::default(),
        }
    }

    /// The same, stopping when `stop` is raised: before the next reminder, and at once while
    /// waiting on the server before a message was handed over.
    pub fn with_stop(mut self, stop: StopSignal) -> SmtpMailer {
        self.stop = stop;
        self
    }

    fn open(&mut self) -> std::result::Result<Session, SendError> {
        let tls = match self.settings.security {
            Security::None => None,
            Security::StartTls | Security::Tls => Some(cached_tls_config(&mut self.tls, None)?),
        };
        Session::open(&self.settings, &self.hello, tls, &self.stop)
    }
}

/// The TLS client configuration kept in `cache`, made on first use trusting `roots` (the
/// public web roots when `None`).
pub(super) fn cached_tls_config(
    cache: &mut Option<Arc<ClientConfig>>,
    roots: Option<&RootCertStore>,
) -> std::result::Result<Arc<ClientConfig>, SendError> {
    if let Some(config) = cache {
        return Ok(config.clone());
    }
    let roots = roots.cloned().unwrap_or_else(|| {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        roots
    });
    let config = Arc::new(tls_config(roots)?);
    *cache = Some(config.clone());
    Ok(config)
}

/// A TLS client configuration trusting `roots` (TLS 1.2 and 1.3, ring).
pub(super) fn tls_config(roots: RootCertStore) -> std::result::Result<ClientConfig, SendError> {
    Ok(
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| SendError::Fatal(format!("cannot set up TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

impl Mailer for SmtpMailer {
    fn connect(&mut self) -> std::result::Result<(), SendError> {
        if self.session.is_some() {
            return Ok(());
        }
        let session = self.open()?;
        self.session = Some(session);
        Ok(())
    }

    fn send(&mut self, message: &Message) -> std::result::Result<(), SendError> {
        self.connect()?;
        let Some(session) = self.session.as_mut() else {
            return Err(SendError::Unreachable("not connected".into()));
        };
        let result = session.deliver(message);
        match &result {
            Ok(()) => {}
            // After a refusal the server still listens: say goodbye without waiting; the next
            // message opens a fresh session.
            Err(SendError::Refused { .. }) => {
                if let Some(mut session) = self.session.take() {
                    session.quit_quietly();
                }
            }
            // After a timeout or a broken connection nothing would answer.
            Err(_) => self.session = None,
        }
        result
    }

    fn close(&mut self) {
        if let Some(mut session) = self.session.take() {
            if self.stop.raised().is_some() {
                session.quit_quietly();
            } else {
                session.quit();
            }
        }
    }

    fn stop_requested(&self) -> Option<String> {
        self.stop.why()
    }
}

/// One step of the dialogue, as errors name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Connect,
    Tls,
    Greeting,
    Ehlo,
    StartTls,
    Auth,
    Mail,
    Rcpt,
    Data,
    /// The message and its terminating dot.
    Message,
    Quit,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::Connect => "connecting",
            Step::Tls => "the TLS handshake",
            Step::Greeting => "the greeting",
            Step::Ehlo => "EHLO",
            Step::StartTls => "STARTTLS",
            Step::Auth => "the login (AUTH)",
            Step::Mail => "MAIL FROM",
            Step::Rcpt => "RCPT TO",
            Step::Data => "DATA",
            Step::Message => "the end of the message",
            Step::Quit => "QUIT",
        })
    }
}

/// What went wrong in a step.
#[derive(Debug)]
pub(super) enum StepError {
    /// No answer (or no progress writing) within the step's deadline.
    TimedOut,
    /// The stop signal was raised while the step waited.
    Stopped(String),
    /// The connection broke or was closed.
    Io(io::Error),
    /// The server answered 4xx or 5xx.
    Refused(Response),
    /// The answer was not SMTP (or too long).
    Garbled(String),
}

/// The socket, plain or under TLS (the SMS client's too).
pub(super) enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    pub(super) fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// How often a step waiting on the server looks at the stop signal.
const POLL: Duration = Duration::from_millis(100);

/// The longest answer accepted (lettre's own limit is 100 kB; EHLO answers are short).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// An open SMTP session.
struct Session {
    /// `None` only while the stream is being wrapped in TLS.
    stream: Option<Stream>,
    /// Bytes read and not yet consumed as an answer.
    buffer: Vec<u8>,
    info: ServerInfo,
    timeout: Duration,
    /// `host:port`, for messages.
    where_: String,
    stop: StopSignal,
}

impl Session {
    /// Connects, secures, greets and logs in, each step within the deadline.
    fn open(
        settings: &SmtpSettings,
        hello: &ClientId,
        tls: Option<Arc<ClientConfig>>,
        stop: &StopSignal,
    ) -> std::result::Result<Session, SendError> {
        let where_ = settings.where_();
        let timeout = settings.timeout;
        let fail = |step: Step, e: StepError| session_error(&where_, timeout, step, e);
        let tcp = connect(&settings.host, settings.port, timeout, stop)
            .map_err(|e| fail(Step::Connect, e))?;
        let _ = tcp.set_nodelay(true);
        let mut session = Session {
            stream: Some(Stream::Plain(tcp)),
            buffer: Vec::new(),
            info: ServerInfo::default(),
            timeout,
            where_: where_.clone(),
            stop: stop.clone(),
        };
        let tls_for = |session: &mut Session| -> std::result::Result<(), SendError> {
            let Some(config) = tls.clone() else {
                return Ok(());
            };
            session
                .upgrade(config, &settings.host)
                .map_err(|e| fail(Step::Tls, e))
        };
        if settings.security == Security::Tls {
            tls_for(&mut session)?;
        }
        session
            .answer(Step::Greeting, true)
            .map_err(|e| fail(Step::Greeting, e))?;
        session.ehlo(hello).map_err(|e| fail(Step::Ehlo, e))?;
        if settings.security == Security::StartTls {
            if !session.info.supports_feature(Extension::StartTls) {
                return Err(SendError::Fatal(format!(
                    "the SMTP server {where_} does not offer STARTTLS (security = \"starttls\"), \
                     so nothing was sent in clear"
                )));
            }
            session
                .command(Step::StartTls, Starttls, true)
                .map_err(|e| fail(Step::StartTls, e))?;
            tls_for(&mut session)?;
            session.ehlo(hello).map_err(|e| fail(Step::Ehlo, e))?;
        }
        if let Some((user, password)) = &settings.credentials {
            session.login(user, password.expose())?;
        }
        Ok(session)
    }

    fn stream(&mut self) -> io::Result<&mut Stream> {
        self.stream
            .as_mut()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "no connection"))
    }

    /// Wraps the connection in TLS and completes the handshake within the deadline.
    fn upgrade(&mut self, config: Arc<ClientConfig>, host: &str) -> Result<(), StepError> {
        // Bytes the server sent with its STARTTLS answer would be taken for answers under TLS
        // (STARTTLS injection): none may be waiting.
        if !self.buffer.is_empty() {
            return Err(StepError::Io(io::Error::other(
                "the server sent more than its answer before TLS started",
            )));
        }
        let name = ServerName::try_from(host.to_string()).map_err(|e| {
            StepError::Io(io::Error::other(format!(
                "`{host}` is not a host name for TLS: {e}"
            )))
        })?;
        let conn =
            ClientConnection::new(config, name).map_err(|e| StepError::Io(io::Error::other(e)))?;
        let tcp = match self.stream.take() {
            Some(Stream::Plain(tcp)) => tcp,
            other => {
                self.stream = other;
                return Ok(());
            }
        };
        let mut tls = StreamOwned::new(conn, tcp);
        let deadline = Instant::now() + self.timeout;
        while tls.conn.is_handshaking() {
            if let Some(why) = self.stop.why() {
                return Err(StepError::Stopped(why));
            }
            let wait = remaining(deadline).ok_or(StepError::TimedOut)?;
            let wait = wait.min(POLL);
            tls.sock
                .set_read_timeout(Some(wait))
                .map_err(StepError::Io)?;
            tls.sock
                .set_write_timeout(Some(wait))
                .map_err(StepError::Io)?;
            match tls.conn.complete_io(&mut tls.sock) {
                Ok((0, 0)) if tls.conn.is_handshaking() && !tls.conn.wants_write() => {
                    return Err(StepError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    )));
                }
                Ok(_) => {}
                Err(e) if waiting(&e) => {}
                Err(e) => return Err(StepError::Io(e)),
            }
        }
        self.stream = Some(Stream::Tls(Box::new(tls)));
        Ok(())
    }

    fn ehlo(&mut self, hello: &ClientId) -> Result<(), StepError> {
        let answer = self.command(Step::Ehlo, Ehlo::new(hello.clone()), true)?;
        self.info = ServerInfo::from_response(&answer)
            .map_err(|e| StepError::Garbled(format!("unreadable EHLO answer: {e}")))?;
        Ok(())
    }

    /// AUTH PLAIN, else LOGIN; never retried.
    fn login(&mut self, user: &str, password: &str) -> std::result::Result<(), SendError> {
        let where_ = self.where_.clone();
        let Some(mechanism) = self
            .info
            .get_auth_mechanism(&[Mechanism::Plain, Mechanism::Login])
        else {
            return Err(SendError::Fatal(format!(
                "the SMTP server {where_} offers no login method owed knows (PLAIN or LOGIN)"
            )));
        };
        let credentials = Credentials::new(user.to_string(), password.to_string());
        let timeout = self.timeout;
        let fail = |e: StepError| match e {
            StepError::TimedOut => SendError::Fatal(format!(
                "the SMTP server {where_} timed out during the login of {user}: no answer within \
                 {}",
                seconds(timeout)
            )),
            StepError::Refused(r) => SendError::Fatal(format!(
                "the SMTP server {where_} refused the login of {user}: {}",
                answer_text(&r)
            )),
            StepError::Stopped(why) => SendError::Fatal(format!("{why} during the login")),
            StepError::Io(e) => SendError::Fatal(format!(
                "the connection to the SMTP server {where_} broke during the login of {user}: {e}"
            )),
            StepError::Garbled(m) => SendError::Fatal(format!(
                "the SMTP server {where_} answered the login of {user} with {m}"
            )),
        };
        let first = Auth::new(mechanism, credentials.clone(), None)
            .map_err(|e| SendError::Fatal(format!("cannot build the login: {e}")))?;
        let mut answer = self.command(Step::Auth, first, true).map_err(fail)?;
        let mut challenges = 0;
        while answer.has_code(334) {
            challenges += 1;
            if challenges > 10 {
                return Err(fail(StepError::Garbled("too many challenges".into())));
            }
            let next = Auth::new_from_response(mechanism, credentials.clone(), &answer)
                .map_err(|e| fail(StepError::Garbled(format!("an unreadable challenge ({e})"))))?;
            answer = self.command(Step::Auth, next, true).map_err(fail)?;
        }
        Ok(())
    }

    /// MAIL, RCPT, DATA, then the message and its terminating dot in one write.
    fn deliver(&mut self, message: &Message) -> std::result::Result<(), SendError> {
        let where_ = self.where_.clone();
        let timeout = self.timeout;
        // Before the message is handed over: not delivered. A refused recipient is named: one
        // copy's bad address fails the whole message, and the collector must know which.
        let before_to = |step: Step, to: Option<&lettre::Address>, e: StepError| match e {
            StepError::Refused(r) => SendError::Refused {
                transient: transient(&r),
                message: format!(
                    "not delivered: {where_} answered {step}{} with {}",
                    to.map(|a| format!(" <{a}>")).unwrap_or_default(),
                    answer_text(&r)
                ),
            },
            other => match session_error(&where_, timeout, step, other) {
                SendError::Unreachable(m) => SendError::Unreachable(format!("not delivered: {m}")),
                SendError::Fatal(m) => SendError::Fatal(format!("not delivered: {m}")),
                e => e,
            },
        };
        let before = |step: Step, e: StepError| before_to(step, None, e);
        if let Some(why) = self.stop.why() {
            return Err(SendError::Fatal(format!(
                "{why} before the message was handed over"
            )));
        }
        let envelope = message.envelope();
        let bytes = message.formatted();
        let mut options = Vec::new();
        let non_ascii = envelope
            .to()
            .iter()
            .chain(envelope.from())
            .any(|a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii {
            if !self.info.supports_feature(Extension::SmtpUtfEight) {
                return Err(SendError::Refused {
                    transient: false,
                    message: "not delivered: the address is not ASCII and the server does not \
                              support SMTPUTF8"
                        .into(),
                });
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !bytes.is_ascii() && self.info.supports_feature(Extension::EightBitMime) {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        self.command(
            Step::Mail,
            Mail::new(envelope.from().cloned(), options),
            true,
        )
        .map_err(|e| before(Step::Mail, e))?;
        for to in envelope.to() {
            self.command(Step::Rcpt, Rcpt::new(to.clone(), vec![]), true)
                .map_err(|e| before_to(Step::Rcpt, Some(to), e))?;
        }
        self.command(Step::Data, Data, true)
            .map_err(|e| before(Step::Data, e))?;
        // The message and its terminating dot go out in one write: sent as two, Nagle's
        // algorithm and the server's delayed ACK would add 40 ms to every message. Until the
        // write completed the dot was not all sent, so the message was not handed over.
        let block = data_block(&bytes);
        self.write(&block, false)
            .map_err(|e| before(Step::Message, e))?;
        // Handed over: from here on, no answer means "unknown". The stop signal is not
        // looked at: the answer is worth waiting for.
        match self.answer(Step::Message, false) {
            Ok(_) => Ok(()),
            Err(StepError::Refused(r)) => Err(SendError::Refused {
                transient: transient(&r),
                message: format!(
                    "not delivered: {where_} refused the message: {}",
                    answer_text(&r)
                ),
            }),
            Err(StepError::TimedOut) => Err(SendError::Unknown(format!(
                "the SMTP server {where_} timed out after the message was handed over: no answer \
                 to its end within {}",
                seconds(timeout)
            ))),
            Err(StepError::Io(e)) => Err(SendError::Unknown(format!(
                "the connection to {where_} broke after the message was handed over: {e}"
            ))),
            Err(StepError::Garbled(m)) => Err(SendError::Unknown(format!(
                "{where_} answered the message with {m}"
            ))),
            Err(StepError::Stopped(why)) => Err(SendError::Unknown(why)),
        }
    }

    /// Writes `command` and reads the answer (see [`Session::answer`]).
    fn command(
        &mut self,
        step: Step,
        command: impl std::fmt::Display,
        stoppable: bool,
    ) -> Result<Response, StepError> {
        self.write(command.to_string().as_bytes(), stoppable)?;
        self.answer(step, stoppable)
    }

    /// Writes all of `bytes` (see [`write_all`]).
    fn write(&mut self, bytes: &[u8], stoppable: bool) -> Result<(), StepError> {
        let timeout = self.timeout;
        let stop = self.stop.clone();
        let stream = self.stream().map_err(StepError::Io)?;
        write_all(stream, bytes, timeout, stoppable.then_some(&stop))
    }

    /// Reads one answer within the deadline; a 4xx or 5xx answer is [`StepError::Refused`].
    fn answer(&mut self, step: Step, stoppable: bool) -> Result<Response, StepError> {
        let deadline = Instant::now() + self.timeout;
        let stop = self.stop.clone();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(answer) = self.take_answer(step)? {
                return if answer.is_positive() {
                    Ok(answer)
                } else {
                    Err(StepError::Refused(answer))
                };
            }
            let wait = wait_for(deadline, stoppable.then_some(&stop))?;
            let stream = self.stream().map_err(StepError::Io)?;
            stream
                .tcp()
                .set_read_timeout(Some(wait))
                .map_err(StepError::Io)?;
            match stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(StepError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    )));
                }
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if waiting(&e) => {}
                Err(e) => return Err(StepError::Io(e)),
            }
        }
    }

    /// The first complete answer in the buffer, consumed.
    fn take_answer(&mut self, step: Step) -> Result<Option<Response>, StepError> {
        let mut start = 0;
        let mut text = String::new();
        while let Some(len) = self.buffer[start..].iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&self.buffer[start..start + len]);
            let line = line.trim_end_matches('\r');
            start += len + 1;
            let last = line.as_bytes().get(3) != Some(&b'-');
            // "250" alone is a complete answer; lettre's parser wants the space.
            if line.len() == 3 {
                text.push_str(line);
                text.push(' ');
            } else {
                text.push_str(line);
            }
            text.push_str("\r\n");
            if last {
                self.buffer.drain(..start);
                return Response::from_str(&text).map(Some).map_err(|_| {
                    StepError::Garbled(format!("something that is not SMTP: `{}`", cut(&text)))
                });
            }
        }
        if self.buffer.len() > MAX_ANSWER_BYTES {
            return Err(StepError::Garbled(format!(
                "an answer to {step} longer than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        Ok(None)
    }

    /// QUIT, waiting for the answer within the deadline.
    fn quit(&mut self) {
        let _ = self.command(Step::Quit, Quit, false);
        self.shutdown();
    }

    /// QUIT without waiting for an answer.
    fn quit_quietly(&mut self) {
        if let Ok(stream) = self.stream() {
            let _ = stream
                .tcp()
                .set_write_timeout(Some(Duration::from_millis(200)));
            let _ = stream.write_all(Quit.to_string().as_bytes());
            let _ = stream.flush();
        }
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stream) = self.stream.take() {
            let _ = stream.tcp().shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Resolves `host` and connects to the first address that answers, within `timeout` in all.
pub(super) fn connect(
    host: &str,
    port: u16,
    timeout: Duration,
    stop: &StopSignal,
) -> Result<TcpStream, StepError> {
    let deadline = Instant::now() + timeout;
    // The system resolver has no deadline of its own: ask it on a thread and wait for it
    // no longer than the step's (the thread ends on its own).
    let (tx, rx) = std::sync::mpsc::channel();
    let target = (host.to_string(), port);
    std::thread::Builder::new()
        .name("smtp-resolve".into())
        .spawn(move || {
            let _ = tx.send(target.to_socket_addrs().map(Iterator::collect::<Vec<_>>));
        })
        .map_err(StepError::Io)?;
    let addresses: Vec<SocketAddr> = loop {
        let wait = wait_for(deadline, Some(stop))?;
        match rx.recv_timeout(wait) {
            Ok(result) => break result.map_err(StepError::Io)?,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(StepError::Io(io::Error::other("the name lookup failed")));
            }
        }
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the host name has no address");
    for address in addresses {
        let wait = remaining(deadline).ok_or(StepError::TimedOut)?;
        if let Some(why) = stop.why() {
            return Err(StepError::Stopped(why));
        }
        match TcpStream::connect_timeout(&address, wait) {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last = e,
        }
    }
    if remaining(deadline).is_none() || last.kind() == io::ErrorKind::TimedOut {
        return Err(StepError::TimedOut);
    }
    Err(StepError::Io(last))
}

/// The time left before `deadline`, `None` once it passed.
fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

/// How long the next wait may be: up to the deadline, in slices of [`POLL`] when a stop
/// signal is watched.
pub(super) fn wait_for(
    deadline: Instant,
    stop: Option<&StopSignal>,
) -> Result<Duration, StepError> {
    if let Some(why) = stop.and_then(StopSignal::why) {
        return Err(StepError::Stopped(why));
    }
    let left = remaining(deadline).ok_or(StepError::TimedOut)?;
    Ok(if stop.is_some() { left.min(POLL) } else { left })
}

/// Writes all of `bytes` and flushes; each write may wait up to `timeout` for the server to
/// read (the deadline starts again after each write that made progress), and gives up when
/// `stop` is raised. The read timeout is set too: a TLS stream may read while it writes (its
/// handshake).
pub(super) fn write_all(
    stream: &mut Stream,
    bytes: &[u8],
    timeout: Duration,
    stop: Option<&StopSignal>,
) -> Result<(), StepError> {
    let mut deadline = Instant::now() + timeout;
    let mut written = 0;
    while written < bytes.len() {
        let wait = wait_for(deadline, stop)?;
        stream
            .tcp()
            .set_write_timeout(Some(wait))
            .map_err(StepError::Io)?;
        let _ = stream.tcp().set_read_timeout(Some(wait));
        match stream.write(&bytes[written..]) {
            Ok(0) => return Err(StepError::Io(io::ErrorKind::WriteZero.into())),
            Ok(n) => {
                written += n;
                deadline = Instant::now() + timeout;
            }
            Err(e) if waiting(&e) => {}
            Err(e) => return Err(StepError::Io(e)),
        }
    }
    loop {
        let wait = wait_for(deadline, stop)?;
        stream
            .tcp()
            .set_write_timeout(Some(wait))
            .map_err(StepError::Io)?;
        match stream.flush() {
            Ok(()) => return Ok(()),
            Err(e) if waiting(&e) => {}
            Err(e) => return Err(StepError::Io(e)),
        }
    }
}

/// Whether an I/O error only says the wait ran out (a socket timeout reads as `WouldBlock`
/// on Unix, `TimedOut` on Windows) or a signal interrupted it.
pub(super) fn waiting(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// A failure while opening the session, or in a step before the message was handed over.
fn session_error(where_: &str, timeout: Duration, step: Step, e: StepError) -> SendError {
    match e {
        StepError::TimedOut if step == Step::Connect => SendError::Fatal(format!(
            "cannot reach the SMTP server {where_}: connecting timed out after {}",
            seconds(timeout)
        )),
        StepError::TimedOut if step == Step::Greeting => SendError::Fatal(format!(
            "the SMTP server {where_} timed out: no greeting within {}",
            seconds(timeout)
        )),
        StepError::TimedOut => SendError::Fatal(format!(
            "the SMTP server {where_} timed out: no answer to {step} within {}",
            seconds(timeout)
        )),
        StepError::Stopped(why) if step == Step::Connect => {
            SendError::Fatal(format!("{why} while connecting"))
        }
        StepError::Stopped(why) => SendError::Fatal(format!("{why} while waiting for {step}")),
        StepError::Io(e) if step == Step::Connect => {
            SendError::Unreachable(format!("cannot reach the SMTP server {where_}: {e}"))
        }
        StepError::Io(e) if step == Step::Tls => {
            SendError::Fatal(format!("TLS with the SMTP server {where_} failed: {e}"))
        }
        StepError::Io(e) => SendError::Unreachable(format!(
            "the connection to the SMTP server {where_} broke at {step}: {e}"
        )),
        // A busy server (421 at the greeting) may take us later; anything else is final.
        StepError::Refused(r) if transient(&r) => SendError::Unreachable(format!(
            "the SMTP server {where_} refused {step}: {}",
            answer_text(&r)
        )),
        StepError::Refused(r) => SendError::Fatal(format!(
            "the SMTP server {where_} refused {step}: {}",
            answer_text(&r)
        )),
        StepError::Garbled(m) => {
            SendError::Fatal(format!("the SMTP server {where_} answered {step} with {m}"))
        }
    }
}

/// Whether an answer is a 4xx (the same may pass later).
fn transient(r: &Response) -> bool {
    r.code().severity == Severity::TransientNegativeCompletion
}

/// An answer as text for a message: code and first line, control characters made spaces,
/// cut to about 120 characters.
fn answer_text(r: &Response) -> String {
    let code: u16 = r.code().into();
    cut(&format!("{code} {}", r.first_line().unwrap_or("")))
}

/// Server text for a message: on one line, cut to about 120 characters.
fn cut(text: &str) -> String {
    cut_to(text, 120)
}

/// A server's text for a message: control characters as spaces, trimmed, cut after `chars`
/// characters with `…`.
pub(super) fn cut_to(text: &str, chars: usize) -> String {
    let one: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    crate::domain::text::cut_after(one.trim(), chars).into_owned()
}

/// A duration for people: `30 s`, `1.5 s`.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A message's DATA block: dot-stuffed (RFC 5321 4.5.2), CRLF line ends, then `.` alone on
/// a line.
fn data_block(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 50 + 8);
    let mut lines: Vec<&[u8]> = message.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
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
            data_block(b"Subject: x\r\n\r\n.hidden\r\nok\r\n"),
            b"Subject: x\r\n\r\n..hidden\r\nok\r\n.\r\n"
        );
        assert_eq!(data_block(b"a\nb"), b"a\r\nb\r\n.\r\n");
        // Bytes that are not UTF-8 go through as they are.
        assert_eq!(data_block(b"\xff\n"), b"\xff\r\n.\r\n");
    }

    #[test]
    fn settings_default_ports_by_security() {
        let s = SmtpSettings::from_config(&cfg("[smtp]\nhost = \"m\"\n"), |_| None).unwrap();
        assert_eq!((s.port, s.security), (25, Security::None));
        assert_eq!(s.timeout, DEFAULT_TIMEOUT);
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
    fn the_timeout_comes_from_the_config() {
        let s =
            SmtpSettings::from_config(&cfg("[smtp]\nhost = \"m\"\ntimeout_seconds = 5\n"), |_| {
                None
            })
            .unwrap();
        assert_eq!(s.timeout, Duration::from_secs(5));
        for bad in ["0", "3601"] {
            let e = SmtpSettings::from_config(
                &cfg(&format!("[smtp]\nhost = \"m\"\ntimeout_seconds = {bad}\n")),
                |_| None,
            )
            .unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains("timeout_seconds"), "{e}");
        }
    }

    #[test]
    fn the_password_comes_from_the_named_variable() {
        let c = cfg(
            "[smtp]\nhost = \"m\"\nsecurity = \"tls\"\nusername = \"u\"\npassword_env = \"PW\"\n",
        );
        let s =
            SmtpSettings::from_config(&c, |v| (v == "PW").then(|| "secret".to_string())).unwrap();
        assert_eq!(s.credentials, Some(("u".into(), Secret::from("secret"))));
        assert!(!format!("{s:?}").contains("secret"));
        let e = SmtpSettings::from_config(&c, |_| None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("PW") && e.contains("not set"), "{e}");
        let e = SmtpSettings::from_config(
            &cfg("[smtp]\nhost = \"m\"\nsecurity = \"starttls\"\nusername = \"u\"\n"),
            |_| None,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("password_env"), "{e}");
    }

    #[test]
    fn a_login_without_tls_is_refused() {
        for security in ["", "security = \"none\"\n"] {
            let c = cfg(&format!(
                "[smtp]\nhost = \"m\"\n{security}username = \"u\"\npassword_env = \"PW\"\n"
            ));
            let e = SmtpSettings::from_config(&c, |_| Some("secret".into())).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            let text = e.to_string();
            assert!(
                text.contains("in clear") && text.contains("starttls"),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_settings_are_input_errors() {
        let e = SmtpSettings::from_config(&cfg(""), |_| None).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        // An unknown security never gets this far: the config refuses it when it is read
        // (`config::tests::smtp_security_is_read_once_with_the_config`).
    }

    /// What the TLS test server does with AUTH.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Login {
        Accept,
        Refuse,
        Hang,
    }

    /// A TLS-capable SMTP server for the tests (rustls, the fixture certificate for
    /// `localhost`): STARTTLS or TLS from the first byte, AUTH as `login` says. Returns its
    /// port, its connection count and the lines it received (AUTH lines tagged with whether
    /// TLS was up).
    fn tls_server(
        implicit: bool,
        login: Login,
    ) -> (
        u16,
        Arc<std::sync::atomic::AtomicUsize>,
        Arc<std::sync::Mutex<Vec<String>>>,
    ) {
        use rustls::ServerConnection;
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs =
            CertificateDer::pem_slice_iter(include_bytes!("../../tests/fixture/tls/leaf.pem"))
                .collect::<std::result::Result<Vec<_>, _>>()
                .unwrap();
        let key = PrivateKeyDer::from_pem_slice(include_bytes!("../../tests/fixture/tls/leaf.key"))
            .unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (c, l) = (connections.clone(), lines.clone());
        trait Io: Read + Write + Send {}
        impl<T: Read + Write + Send> Io for T {}
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { continue };
                c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (config, lines) = (config.clone(), l.clone());
                std::thread::spawn(move || -> io::Result<()> {
                    let tls = |tcp: &TcpStream| -> io::Result<Box<dyn Io>> {
                        let conn =
                            ServerConnection::new(config.clone()).map_err(io::Error::other)?;
                        Ok(Box::new(StreamOwned::new(conn, tcp.try_clone()?)))
                    };
                    let mut io: Box<dyn Io> = if implicit {
                        tls(&tcp)?
                    } else {
                        Box::new(tcp.try_clone()?)
                    };
                    let mut secure = implicit;
                    // Byte by byte, so that nothing after STARTTLS is read in clear.
                    let read_line = |io: &mut Box<dyn Io>| -> io::Result<Option<String>> {
                        let mut line = Vec::new();
                        let mut byte = [0u8; 1];
                        loop {
                            if io.read(&mut byte)? == 0 {
                                return Ok(None);
                            }
                            line.push(byte[0]);
                            if byte[0] == b'\n' {
                                return Ok(Some(String::from_utf8_lossy(&line).trim_end().into()));
                            }
                        }
                    };
                    io.write_all(b"220 tls.localhost ESMTP\r\n")?;
                    while let Some(line) = read_line(&mut io)? {
                        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
                        let tag = if secure { "tls" } else { "clear" };
                        lines.lock().unwrap().push(format!("{tag} {verb}"));
                        match verb.as_str() {
                            "EHLO" if secure => {
                                io.write_all(b"250-tls.localhost\r\n250 AUTH PLAIN LOGIN\r\n")?;
                            }
                            "EHLO" => io.write_all(b"250-tls.localhost\r\n250 STARTTLS\r\n")?,
                            "STARTTLS" => {
                                io.write_all(b"220 go ahead\r\n")?;
                                io.flush()?;
                                io = tls(&tcp)?;
                                secure = true;
                            }
                            "AUTH" => match login {
                                Login::Accept => io.write_all(b"235 2.7.0 ok\r\n")?,
                                Login::Refuse => {
                                    io.write_all(b"535 5.7.8 bad credentials\r\n")?;
                                }
                                Login::Hang => {
                                    while read_line(&mut io)?.is_some() {}
                                    return Ok(());
                                }
                            },
                            "MAIL" | "RCPT" => io.write_all(b"250 ok\r\n")?,
                            "DATA" => {
                                io.write_all(b"354 go ahead\r\n")?;
                                while read_line(&mut io)?.is_some_and(|l| l != ".") {}
                                io.write_all(b"250 queued\r\n")?;
                            }
                            "QUIT" => {
                                io.write_all(b"221 bye\r\n")?;
                                io.flush()?;
                                return Ok(());
                            }
                            _ => io.write_all(b"502 no\r\n")?,
                        }
                        io.flush()?;
                    }
                    Ok(())
                });
            }
        });
        (port, connections, lines)
    }

    /// A mailer for `localhost:port` that trusts the fixture CA.
    fn test_mailer(port: u16, security: Security, timeout: Duration) -> SmtpMailer {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(include_bytes!("../../tests/fixture/tls/ca.pem"))
        {
            roots.add(cert.unwrap()).unwrap();
        }
        let mut mailer = SmtpMailer::new(SmtpSettings {
            host: "localhost".into(),
            port,
            security,
            credentials: Some(("ar@example.com".into(), Secret::from("hunter2"))),
            timeout,
        });
        mailer.tls = Some(Arc::new(tls_config(roots).unwrap()));
        mailer
    }

    fn message() -> Message {
        Message::builder()
            .from("ar@example.com".parse().unwrap())
            .to("ap@kite.example".parse().unwrap())
            .subject("Reminder")
            .body("Hello\r\n.dot\r\n".to_string())
            .unwrap()
    }

    fn quick_retries() -> super::super::outbox::RetryPolicy {
        super::super::outbox::RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(10),
        }
    }

    /// Connects once to a [`tls_server`] (TLS from the first byte with `Security::Tls`,
    /// STARTTLS otherwise) with the quick retries, the platform's roots when `untrusted` (they
    /// do not include the test CA), and checks that the fatal error that must come of it came
    /// on the first connection. Returns its message and how many `AUTH` commands the server
    /// saw.
    fn failed_connection(
        security: Security,
        login: Login,
        timeout: Duration,
        untrusted: bool,
    ) -> (String, usize) {
        let (port, connections, lines) = tls_server(security == Security::Tls, login);
        let mut mailer = test_mailer(port, security, timeout);
        if untrusted {
            mailer.tls = None;
        }
        let e =
            super::super::outbox::connect_with_retries(&mut mailer, quick_retries()).unwrap_err();
        let SendError::Fatal(m) = e else {
            panic!("{e:?}")
        };
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
        let logins = lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.ends_with("AUTH"))
            .count();
        (m, logins)
    }

    #[test]
    fn starttls_and_tls_log_in_and_deliver_under_tls() {
        for (implicit, security) in [(false, Security::StartTls), (true, Security::Tls)] {
            let (port, connections, lines) = tls_server(implicit, Login::Accept);
            let mut mailer = test_mailer(port, security, Duration::from_secs(10));
            mailer.send(&message()).unwrap();
            mailer.send(&message()).unwrap();
            mailer.close();
            assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
            let lines = lines.lock().unwrap().clone();
            let expected: &[&str] = if implicit {
                &["tls EHLO", "tls AUTH", "tls MAIL", "tls RCPT", "tls DATA"]
            } else {
                &[
                    "clear EHLO",
                    "clear STARTTLS",
                    "tls EHLO",
                    "tls AUTH",
                    "tls MAIL",
                    "tls RCPT",
                    "tls DATA",
                ]
            };
            assert_eq!(&lines[..expected.len()], expected, "{lines:?}");
            assert_eq!(lines.iter().filter(|l| l.ends_with("DATA")).count(), 2);
            assert_eq!(lines.last().map(String::as_str), Some("tls QUIT"));
        }
    }

    #[test]
    fn an_untrusted_certificate_stops_before_the_login() {
        let (m, logins) = failed_connection(
            Security::StartTls,
            Login::Accept,
            Duration::from_secs(10),
            true,
        );
        assert!(
            m.contains("TLS with the SMTP server localhost:") && m.contains("failed"),
            "{m}"
        );
        assert_eq!(logins, 0);
    }

    #[test]
    fn a_refused_login_is_never_retried() {
        let (m, logins) =
            failed_connection(Security::Tls, Login::Refuse, Duration::from_secs(10), false);
        assert!(
            m.contains("refused the login of ar@example.com: 535"),
            "{m}"
        );
        assert_eq!(logins, 1);
    }

    #[test]
    fn a_login_that_gets_no_answer_timed_out_and_is_not_retried() {
        let (m, logins) = failed_connection(
            Security::StartTls,
            Login::Hang,
            Duration::from_millis(300),
            false,
        );
        assert!(
            m.contains("timed out during the login of ar@example.com"),
            "{m}"
        );
        assert!(!m.contains("refused"), "{m}");
        assert_eq!(logins, 1);
    }

    #[test]
    fn a_tls_handshake_that_gets_no_answer_times_out() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Accepted by the kernel, never answered.
        let mut mailer = test_mailer(port, Security::Tls, Duration::from_millis(300));
        let e =
            super::super::outbox::connect_with_retries(&mut mailer, quick_retries()).unwrap_err();
        assert_eq!(
            e,
            SendError::Fatal(format!(
                "the SMTP server localhost:{port} timed out: no answer to the TLS handshake \
                 within 0.3 s"
            ))
        );
        drop(listener);
    }

    #[test]
    fn bytes_sent_in_clear_with_the_starttls_answer_are_refused() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let auth = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = auth.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let (tcp, _) = listener.accept().unwrap();
            let mut out = tcp.try_clone().unwrap();
            let mut input = std::io::BufReader::new(tcp);
            out.write_all(b"220 x\r\n").unwrap();
            let mut line = String::new();
            while input.read_line(&mut line).unwrap_or(0) > 0 {
                if line.starts_with("EHLO") {
                    out.write_all(b"250-x\r\n250 STARTTLS\r\n").unwrap();
                } else if line.starts_with("STARTTLS") {
                    // An answer the attacker slips in, to be read as if it came under TLS.
                    out.write_all(b"220 go ahead\r\n235 2.7.0 ok\r\n").unwrap();
                } else if line.starts_with("AUTH") {
                    seen.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                line.clear();
            }
        });
        let mut mailer = test_mailer(port, Security::StartTls, Duration::from_secs(10));
        let e = mailer.connect().unwrap_err();
        let SendError::Fatal(m) = e else {
            panic!("{e:?}")
        };
        assert!(m.starts_with("TLS with the SMTP server localhost:"), "{m}");
        assert!(!auth.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[test]
    fn a_server_that_hangs_up_during_the_tls_handshake_fails_at_once() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                drop(tcp);
            }
        });
        let mut mailer = test_mailer(port, Security::Tls, Duration::from_secs(30));
        let start = Instant::now();
        let e = mailer.connect().unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
        let SendError::Fatal(m) = e else {
            panic!("{e:?}")
        };
        assert!(m.starts_with("TLS with the SMTP server localhost:"), "{m}");
    }

    #[test]
    fn a_stop_signal_abandons_a_step_that_waits() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = StopSignal::default();
        let mut mailer =
            test_mailer(port, Security::None, Duration::from_secs(30)).with_stop(stop.clone());
        mailer.settings.credentials = None;
        let raiser = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(200));
                stop.raise(15);
            })
        };
        let start = Instant::now();
        let e = mailer.connect().unwrap_err();
        raiser.join().unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(
            e,
            SendError::Fatal("interrupted by SIGTERM while waiting for the greeting".into())
        );
        assert_eq!(
            mailer.stop_requested().as_deref(),
            Some("interrupted by SIGTERM")
        );
        drop(listener);
    }

    #[test]
    fn answers_are_read_line_by_line() {
        let mut s = Session {
            stream: None,
            buffer: b"250-first\r\n250-8BITMIME\r\n250 last\r\n220".to_vec(),
            info: ServerInfo::default(),
            timeout: Duration::from_secs(1),
            where_: "m:25".into(),
            stop: StopSignal::default(),
        };
        let r = s.take_answer(Step::Ehlo).unwrap().unwrap();
        assert_eq!(
            r.message().collect::<Vec<_>>(),
            ["first", "8BITMIME", "last"]
        );
        assert_eq!(s.buffer, b"220");
        assert!(s.take_answer(Step::Ehlo).unwrap().is_none());
        s.buffer.extend_from_slice(b"\n");
        assert!(s.take_answer(Step::Ehlo).unwrap().unwrap().has_code(220));
        s.buffer = b"\x1b[2Jgarbage\r\n".to_vec();
        let Err(StepError::Garbled(m)) = s.take_answer(Step::Ehlo) else {
            panic!()
        };
        assert!(!m.contains('\x1b'), "{m}");
    }
}
