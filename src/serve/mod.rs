//! `owed serve`: the workstation over SSH, one server process for the whole team.
//!
//! A collector runs `ssh -p PORT NAME@HOST` and gets a session of the app the server was
//! given (the workstation in `owed serve`), sized to their terminal, as the user whose key
//! was accepted (SPEC "Serving the workstation over SSH"). The SSH protocol is russh's, on
//! tokio; this module decides who gets in and what a session is:
//!
//! - `connection`: authentication (public keys only, looked up in a [`Directory`]; the key
//!   must be the login name's) and the channel requests (a pty and a shell, nothing else).
//! - [`session`]: per session, the app on its own thread with a [`SessionContext`] (the
//!   [`Actor`], an [`Events`] input, an [`Output`] that is a `std::io::Write`, the size and
//!   the [`Capabilities`]), the input pump and the output writer, with bounded memory.
//! - [`keys`]: the client's raw bytes to crossterm events, escape sequences split across
//!   packets included (a lone ESC is Esc after [`ESCAPE_TIMEOUT`]).
//! - [`terminal`]: colour depth and Unicode from the pty's `TERM` and the client's locale.
//! - [`host_key`]: the server's ed25519 key, created 0600 on first start.
//!
//! [`Server::bind`] listens; [`Server::run`] accepts connections (each must log in within
//! [`LOGIN_GRACE`], and at most [`MAX_STARTUPS`] may be logging in at once,
//! [`MAX_STARTUPS_PER_SOURCE`] from one address: see `login_grace`) until the future it is
//! given resolves, then ends every session (the apps see [`Input::Closed`]) and joins their threads. A
//! connection that drops, for whatever reason, ends its app the same way; what the app had
//! saved is in the database (every save is a transaction), what it had not is not.
//!
//! An app must draw to its [`Output`] only: never call crossterm's functions that act on the
//! server process's own terminal (`terminal::size`, raw mode, `event::read`). With ratatui,
//! [`ratatui_terminal`] makes a `Terminal` of the session's size; resize it on
//! `Event::Resize`.

mod connection;
pub mod host_key;
pub mod keys;
mod login_grace;
pub mod session;
pub mod terminal;

pub use connection::{MAX_COLUMNS, MAX_ROWS, MAX_SESSIONS_PER_USER};
pub use login_grace::{MAX_STARTUPS, MAX_STARTUPS_PER_SOURCE};
pub use russh::keys::{PrivateKey, PublicKey};
pub use session::{App, Events, Input, LogNote, Output, SessionContext, Sessions};
pub use terminal::{Capabilities, ColorDepth};

use crate::domain::users::Actor;
use crate::{Error, Result};
use connection::Connection;
use russh::MethodKind;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Writes a line of the server's log to stderr: the time (UTC, to the second), `owed serve:`
/// and what happened, so that a log kept in a file says when each user came and went.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::serve::log_line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// One line of the server's log, as the `say!` macro writes it: the time in UTC first.
pub fn log_line(what: std::fmt::Arguments<'_>) {
    let line = format!(
        "{} owed serve: {what}",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
    );
    eprintln!("{line}");
    let mut copies = LOG_COPIES.lock().unwrap_or_else(|e| e.into_inner());
    if !copies.is_empty() {
        copies.retain(|copy| copy.send(line.clone()).is_ok());
    }
}

/// Where each line of the log is sent as well (see [`log_copies`]).
static LOG_COPIES: std::sync::Mutex<Vec<std::sync::mpsc::Sender<String>>> =
    std::sync::Mutex::new(Vec::new());

/// Every line of the log from now on, as it is written to stderr: for tests that run a
/// server in this process (those of several tests at once among them: pick yours by its
/// client's address).
#[doc(hidden)]
pub fn log_copies() -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    LOG_COPIES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(tx);
    rx
}

/// Where `owed serve` listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:2222";
/// The host key's file name beside the database, unless told otherwise.
pub const DEFAULT_HOST_KEY: &str = "host_key.ed25519";
/// Minutes without input after which a session is ended, unless configured.
pub const DEFAULT_IDLE_MINUTES: u32 = 60;
/// How long a lone ESC waits for the rest of a sequence before it is the Esc key.
pub const ESCAPE_TIMEOUT: Duration = Duration::from_millis(50);
/// How long a client has from connecting to logging in (OpenSSH's `LoginGraceTime`).
pub const LOGIN_GRACE: Duration = Duration::from_secs(120);

/// The public-key algorithms the server takes and advertises (`server-sig-algs`): russh's,
/// without `ssh-rsa`, whose SHA-1 signatures OpenSSH refuses by default since 8.8 (an RSA key
/// signs with rsa-sha2-256 or rsa-sha2-512; the connection checks it too).
pub const KEY_ALGORITHMS: &[russh::keys::Algorithm] = {
    use russh::keys::{Algorithm, EcdsaCurve, HashAlg};
    &[
        Algorithm::Ed25519,
        Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP256,
        },
        Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP384,
        },
        Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP521,
        },
        Algorithm::Rsa {
            hash: Some(HashAlg::Sha512),
        },
        Algorithm::Rsa {
            hash: Some(HashAlg::Sha256),
        },
    ]
};

/// How often a closed connection is told in the server's log, at most.
const REFUSAL_NOTE: Duration = Duration::from_secs(60);
/// How long [`Server::run`] waits for the sessions' apps to end once it stops.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long a stopping server lets its sessions end by themselves (their terminals put back)
/// before it cuts the connections. It goes on as soon as they have all ended; 2 s left a
/// session that had just started or been resized on a loaded machine cut before its app
/// had put its terminal back (6 stops in 20). Those still running then have their
/// terminals put back by their writers ([`session::Sessions::cut_all`]) before the cut.
const END_GRACE: Duration = Duration::from_secs(8);
/// How long a stopping server leaves a connection whose sessions have ended (each channel
/// closed after its terminal's reset) for its client to leave by itself, as OpenSSH does at
/// once, before it cuts it. (Cut right behind the close, OpenSSH exited with 255 before it
/// had written out the reset: 12 sessions in 19 stayed in the app's screen.)
const LEAVE_GRACE: Duration = Duration::from_secs(3);

/// Who a public key belongs to.
pub trait Directory: Send + Sync {
    /// The user the key was added for, with their role; `None` for a key nobody has.
    fn owner(&self, key: &PublicKey) -> Option<Actor>;

    /// A number that changes when the users may have changed (the database's
    /// `data_version`): running sessions look their keys up again only then. A directory
    /// that never changes keeps the default.
    fn version(&self) -> u64 {
        0
    }
}

impl<F> Directory for F
where
    F: Fn(&PublicKey) -> Option<Actor> + Send + Sync,
{
    fn owner(&self, key: &PublicKey) -> Option<Actor> {
        self(key)
    }
}

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub host_key: PrivateKey,
    /// A session without input for this long is ended; `None`: never.
    pub idle_timeout: Option<Duration>,
    /// See [`ESCAPE_TIMEOUT`].
    pub escape_timeout: Duration,
    /// See [`LOGIN_GRACE`].
    pub login_grace: Duration,
    /// See [`MAX_STARTUPS`].
    pub max_startups: usize,
    /// See [`MAX_STARTUPS_PER_SOURCE`].
    pub max_startups_per_source: usize,
}

impl Settings {
    /// The settings for a host key and an address, with the default timeouts.
    pub fn new(listen: SocketAddr, host_key: PrivateKey) -> Settings {
        Settings {
            listen,
            host_key,
            idle_timeout: idle_timeout(DEFAULT_IDLE_MINUTES),
            escape_timeout: ESCAPE_TIMEOUT,
            login_grace: LOGIN_GRACE,
            max_startups: MAX_STARTUPS,
            max_startups_per_source: MAX_STARTUPS_PER_SOURCE,
        }
    }
}

/// The idle timeout for a number of minutes (0: none).
pub fn idle_timeout(minutes: u32) -> Option<Duration> {
    (minutes > 0).then(|| Duration::from_secs(u64::from(minutes) * 60))
}

/// What every connection shares.
pub(crate) struct Shared {
    directory: Arc<dyn Directory>,
    app: Arc<App>,
    sessions: Sessions,
    escape_timeout: Duration,
    idle_timeout: Option<Duration>,
    login_grace: Duration,
    startups: Arc<login_grace::Startups>,
    /// The directory's [`Directory::version`], read every [`connection::STANDING_CHECK`] by
    /// one task of the server's: the running sessions look their keys up when it moves.
    users_version: watch::Sender<u64>,
}

/// A bound, not yet serving, SSH server.
pub struct Server {
    listener: tokio::net::TcpListener,
    config: Arc<russh::server::Config>,
    shared: Arc<Shared>,
}

impl Server {
    /// Listens on the settings' address; sessions will run `app` for the users `directory`
    /// knows. Must be called within a tokio runtime.
    pub async fn bind(
        settings: Settings,
        directory: Arc<dyn Directory>,
        app: Arc<App>,
    ) -> Result<Server> {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|e| Error::runtime(format!("cannot listen on {}: {e}", settings.listen)))?;
        let config = russh::server::Config {
            methods: russh::MethodSet::from(&[MethodKind::PublicKey][..]),
            // OpenSSH clients first try "none" to learn the methods: answer that at once.
            auth_rejection_time_initial: Some(Duration::ZERO),
            auth_rejection_time: Duration::from_secs(1),
            max_auth_attempts: 6,
            keys: vec![settings.host_key],
            // The keys (and signatures) taken, as `server-sig-algs` advertises them.
            preferred: russh::Preferred {
                key: std::borrow::Cow::Borrowed(KEY_ALGORITHMS),
                ..russh::Preferred::default()
            },
            // A backstop for connections that never open a session, a minute later than the
            // sessions' own idle timeout (counted from the last input only), so that an idle
            // session can still say why it ends.
            inactivity_timeout: settings.idle_timeout.map(|t| t + Duration::from_secs(60)),
            // A client that vanished (no FIN, no RST) is noticed within a few minutes.
            keepalive_interval: Some(Duration::from_secs(60)),
            keepalive_max: 3,
            nodelay: true,
            ..Default::default()
        };
        Ok(Server {
            listener,
            config: Arc::new(config),
            shared: Arc::new(Shared {
                directory,
                app,
                sessions: Sessions::default(),
                escape_timeout: settings.escape_timeout,
                idle_timeout: settings.idle_timeout,
                login_grace: settings.login_grace,
                startups: login_grace::Startups::new(
                    settings.max_startups,
                    settings.max_startups_per_source,
                ),
                users_version: watch::Sender::new(0),
            }),
        })
    }

    /// The address it listens on (the port chosen when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// The running sessions.
    pub fn sessions(&self) -> Sessions {
        self.shared.sessions.clone()
    }

    /// Serves until `stop` resolves, then disconnects every client and waits (a few seconds
    /// at most) for every session's app to end.
    pub async fn run(self, stop: impl Future<Output = ()> + Send) -> Result<()> {
        let Server {
            listener,
            config,
            shared,
        } = self;
        let (stopping, _) = tokio::sync::broadcast::channel::<()>(1);
        // The connections running, each counted until its task ends.
        let connections = Arc::new(watch::Sender::new(0usize));
        let watching = tokio::spawn(watch_users(shared.clone()));
        let mut last_refusal = None;
        let mut last_accept_error = None;
        tokio::pin!(stop);
        loop {
            let (socket, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    // Out of file descriptors and the like: the clients already in go on.
                    Err(e) => {
                        if last_accept_error
                            .is_none_or(|at: std::time::Instant| at.elapsed() >= REFUSAL_NOTE)
                        {
                            crate::serve::say!(
                                "cannot accept a connection: {e} (this is said once a minute)"
                            );
                            last_accept_error = Some(std::time::Instant::now());
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut stop => break,
            };
            // Past the places for logging in: closed before a byte is read.
            let Some(logged_in) = shared.startups.enter(peer.ip()) else {
                if last_refusal.is_none_or(|at: std::time::Instant| at.elapsed() >= REFUSAL_NOTE) {
                    crate::serve::say!(
                        "closed a connection from {} at once: {} connections may \
                         be logging in, {} from one address (this is said once a minute)",
                        peer.ip(),
                        shared.startups.max(),
                        shared.startups.per_source()
                    );
                    last_refusal = Some(std::time::Instant::now());
                }
                drop(socket);
                continue;
            };
            let _ = socket.set_nodelay(true);
            let told = connection::Told::default();
            let running = Arc::new(std::sync::OnceLock::new());
            let handler = Connection::new(
                shared.clone(),
                Some(peer),
                logged_in.clone(),
                told.clone(),
                running.clone(),
            );
            let received = login_grace::Received::default();
            // Whether a session started on it (a client then leaves by itself at the stop).
            let had_session = logged_in.clone();
            let stream =
                login_grace::Guarded::new(socket, shared.login_grace, logged_in, received.clone());
            let config = config.clone();
            let grace = shared.login_grace;
            let mut stop_rx = stopping.subscribe();
            let counted = Counted::new(&connections);
            tokio::spawn(async move {
                let _counted = counted;
                // Fails when the client is gone, too slow, or no SSH client, before the
                // protocol even starts: said as every other end is (an HTTP request, an SSH-1
                // client or a banner sent a byte at a time left no line).
                let session = match russh::server::run_stream(config, stream, handler).await {
                    Ok(session) => session,
                    Err(e) => {
                        let why = {
                            let sent = received.lock().unwrap_or_else(|e| e.into_inner());
                            before_protocol(&e, &sent, grace)
                        };
                        say!(
                            "the connection from {peer} ended before the SSH protocol \
                             started: {why}"
                        );
                        return;
                    }
                };
                let handle = session.handle();
                let _ = running.set(handle.clone());
                tokio::pin!(session);
                tokio::select! {
                    ended = &mut session => {
                        // How the connection ended, when no other line said it: a connection
                        // that broke on the protocol (a client sending a locale that is no
                        // UTF-8, which the SSH library refuses itself) was dropped without a
                        // line, and every client that closed as clients do was said to have
                        // ended `on an error: early eof`, without its user.
                        let said = told.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(line) = ended_line(ended.err().as_ref(), &said, peer, grace) {
                            say!("{line}");
                        }
                    }
                    _ = stop_rx.recv() => {
                        // Its sessions have ended, each channel closed after the terminal's
                        // reset: the client leaves by itself (see LEAVE_GRACE); one that
                        // stays, and one that never started a session, is cut.
                        if had_session.is_set()
                            && tokio::time::timeout(LEAVE_GRACE, &mut session).await.is_ok()
                        {
                            return;
                        }
                        let _ = handle
                            .disconnect(
                                russh::Disconnect::ByApplication,
                                "the server is stopping".into(),
                                "en".into(),
                            )
                            .await;
                    }
                }
            });
        }
        drop(listener);
        watching.abort();
        // Each session first ends as if by itself, its terminal put back and the reason said;
        // then every connection is cut (cut first, terminals stayed in the app's screen).
        shared.sessions.end_all("owed: the server is stopping");
        if tokio::time::timeout(END_GRACE, shared.sessions.wait_for(0))
            .await
            .is_err()
        {
            // Those still running put their clients' terminals back before the cut.
            shared.sessions.cut_all();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let _ = stopping.send(());
        let sessions = shared.sessions.clone();
        if tokio::time::timeout(STOP_GRACE, sessions.wait_for(0))
            .await
            .is_err()
        {
            crate::serve::say!(
                "{} sessions had not ended {} s after the stop",
                sessions.active(),
                STOP_GRACE.as_secs()
            );
        }
        // The clients leave (or are cut) before the process ends: ended with it, a
        // connection was closed under a client still writing out its terminal's reset.
        let mut left = connections.subscribe();
        let _ = tokio::time::timeout(
            LEAVE_GRACE + Duration::from_secs(1),
            left.wait_for(|&n| n == 0),
        )
        .await;
        Ok(())
    }
}

/// Counts a connection while its task runs.
struct Counted(Arc<watch::Sender<usize>>);

impl Counted {
    fn new(count: &Arc<watch::Sender<usize>>) -> Counted {
        count.send_modify(|n| *n += 1);
        Counted(count.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// Why a connection ended before the SSH protocol started, for the log: what the client
/// sent, escaped and cut.
fn before_protocol(e: &russh::Error, sent: &login_grace::Sent, grace: Duration) -> String {
    match e {
        russh::Error::Version => format!("it sent {}, which is no SSH-2.0 version", sent.shown()),
        e if timed_out(e) => format!(
            "no login within {} s (it sent {})",
            grace.as_secs(),
            sent.shown()
        ),
        e if closed(e) && sent.is_empty() => "it closed without sending anything".into(),
        e if closed(e) => format!("it closed after sending {}", sent.shown()),
        other => format!("{} (it sent {})", error_text(other), sent.shown()),
    }
}

/// The log's line for how a connection ended (`error`: why, when it was not closed as
/// clients close), if one is needed: none for a client that closed after a line named it (its
/// login, or a refusal).
fn ended_line(
    error: Option<&russh::Error>,
    said: &connection::Said,
    peer: SocketAddr,
    grace: Duration,
) -> Option<String> {
    let whose = match &said.user {
        Some(user) => format!("{user}'s connection from {peer}"),
        None => format!("the connection from {peer}"),
    };
    match error {
        None => None,
        Some(e) if closed(e) => None,
        Some(e) if timed_out(e) => Some(match said.user {
            Some(_) => format!(
                "{whose} was cut: no session started within {} s",
                grace.as_secs()
            ),
            None => format!("{whose} was cut: no login within {} s", grace.as_secs()),
        }),
        Some(e) => Some(format!("{whose} ended on an error: {}", error_text(e))),
    }
    .or_else(|| {
        (said.user.is_none() && !said.refused).then(|| format!("{whose} closed before logging in"))
    })
}

/// Whether the connection ended because the client closed it (or went away).
fn closed(e: &russh::Error) -> bool {
    use std::io::ErrorKind;
    match e {
        russh::Error::Disconnect | russh::Error::HUP => true,
        russh::Error::IO(io) => matches!(
            io.kind(),
            ErrorKind::UnexpectedEof
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
        ),
        _ => false,
    }
}

/// Whether the login grace cut the connection (see `login_grace::Guarded`).
fn timed_out(e: &russh::Error) -> bool {
    match e {
        russh::Error::IO(io) => io.kind() == std::io::ErrorKind::TimedOut,
        russh::Error::Elapsed(_) => true,
        _ => false,
    }
}

/// An error of the SSH library as the log says it: on one line, and cut, since it may quote
/// the client (a key-exchange offer that matched nothing wrote 16 KB of the client's text,
/// escaped but whole, into one line).
fn error_text(e: &russh::Error) -> String {
    use crate::domain::text::{cut_after, one_line};
    match e {
        russh::Error::NoCommonAlgo { kind, theirs, .. } => {
            let kind = match kind {
                russh::AlgorithmKind::Kex => "key-exchange",
                russh::AlgorithmKind::Key => "host key",
                russh::AlgorithmKind::Cipher => "cipher",
                russh::AlgorithmKind::Compression => "compression",
                russh::AlgorithmKind::Mac => "MAC",
            };
            format!(
                "no {kind} algorithm in common: the client offered {}",
                crate::error::quoted(&theirs.join(","))
            )
        }
        other => one_line(&cut_after(
            &other.to_string(),
            2 * crate::error::QUOTED_CHARS,
        ))
        .into_owned(),
    }
}

/// Reads the directory's version every [`connection::STANDING_CHECK`] and tells the running
/// sessions when it moved (one cheap read for the whole server, nothing while no one
/// changes anything).
async fn watch_users(shared: Arc<Shared>) {
    loop {
        tokio::time::sleep(connection::STANDING_CHECK).await;
        let directory = shared.directory.clone();
        if let Ok(version) = tokio::task::spawn_blocking(move || directory.version()).await {
            shared.users_version.send_if_modified(|v| {
                let moved = *v != version;
                *v = version;
                moved
            });
        }
    }
}

/// A ratatui terminal drawing to a session's output at a fixed size (the session's; call
/// `resize` on `Event::Resize`). A full-screen viewport would ask the server's own terminal
/// for its size.
pub fn ratatui_terminal(
    output: Output,
    size: (u16, u16),
) -> Result<ratatui::Terminal<ratatui::backend::CrosstermBackend<Output>>> {
    let area = ratatui::layout::Rect::new(0, 0, size.0, size.1);
    ratatui::Terminal::with_options(
        ratatui::backend::CrosstermBackend::new(output),
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(area),
        },
    )
    .map_err(Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SHA-1 RSA signatures (`ssh-rsa`) are neither advertised nor taken; the rest of
    /// russh's list is.
    #[test]
    fn ssh_rsa_is_not_among_the_key_algorithms() {
        use russh::keys::Algorithm;
        assert!(!KEY_ALGORITHMS.contains(&Algorithm::Rsa { hash: None }));
        let theirs: Vec<_> = russh::Preferred::default()
            .key
            .iter()
            .filter(|a| **a != Algorithm::Rsa { hash: None })
            .cloned()
            .collect();
        assert_eq!(KEY_ALGORITHMS, theirs.as_slice());
    }

    /// A client that sends its banner a byte every 2 s is cut by the login grace: the log says
    /// so, with what it had sent.
    #[test]
    fn a_connection_cut_before_the_protocol_says_why() {
        let mut sent = login_grace::Sent::default();
        let grace = Duration::from_secs(120);
        let timed_out = russh::Error::IO(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "no login in time",
        ));
        assert_eq!(
            before_protocol(&timed_out, &sent, grace),
            "no login within 120 s (it sent nothing)"
        );
        assert_eq!(
            before_protocol(&russh::Error::Disconnect, &sent, grace),
            "it closed without sending anything"
        );
        sent.record(b"SSH-2.0-Op");
        assert_eq!(
            before_protocol(&timed_out, &sent, grace),
            "no login within 120 s (it sent `SSH-2.0-Op`)"
        );
        let eof = russh::Error::IO(std::io::ErrorKind::UnexpectedEof.into());
        assert_eq!(
            before_protocol(&eof, &sent, grace),
            "it closed after sending `SSH-2.0-Op`"
        );
    }

    /// A client that closes as clients do is no error (every one was said to have ended `on
    /// an error: early eof`, without its user); one that closes before logging in with no
    /// refusal said gets a line of its own.
    #[test]
    fn a_connection_that_closes_is_no_error_and_errors_name_the_user() {
        let peer: SocketAddr = "10.0.0.7:51234".parse().unwrap();
        let grace = Duration::from_secs(120);
        let eof = russh::Error::IO(std::io::ErrorKind::UnexpectedEof.into());
        let alice = connection::Said {
            user: Some("alice".into()),
            refused: false,
        };
        let refused = connection::Said {
            user: None,
            refused: true,
        };
        let nobody = connection::Said::default();
        for e in [None, Some(&eof), Some(&russh::Error::Disconnect)] {
            assert_eq!(ended_line(e, &alice, peer, grace), None);
            assert_eq!(ended_line(e, &refused, peer, grace), None);
            assert_eq!(
                ended_line(e, &nobody, peer, grace).as_deref(),
                Some("the connection from 10.0.0.7:51234 closed before logging in")
            );
        }
        let timed_out = russh::Error::IO(std::io::ErrorKind::TimedOut.into());
        assert_eq!(
            ended_line(Some(&timed_out), &alice, peer, grace).as_deref(),
            Some("alice's connection from 10.0.0.7:51234 was cut: no session started within 120 s")
        );
        assert_eq!(
            ended_line(Some(&russh::Error::Inconsistent), &alice, peer, grace).as_deref(),
            Some(
                "alice's connection from 10.0.0.7:51234 ended on an error: Inconsistent state \
                 of the protocol"
            )
        );
    }
}
