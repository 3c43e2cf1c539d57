//! One SSH connection: who it is, and what its channels may do.
//!
//! Authentication is by public key only: the key must be one of the directory's, and it must
//! belong to the user named in the login (`ssh alice@host` with a key of bob's is refused).
//! Passwords, keyboard-interactive, host-based and certificates are refused.
//!
//! A session channel gets the workstation when it asks for a pty and then a shell; its
//! `TERM`, size and the accepted environment variables choose the capabilities. A shell
//! without a pty, a command (`ssh host cmd`, with or without `-t`) and subsystems (`sftp`) are
//! refused with one line on the channel, which is then closed. Forwarding of ports, agents and
//! X11 is refused, and logged once a connection for each kind. Every refusal and every cut in
//! the log names the user, their address and their key. Input before the shell starts is
//! dropped.

use super::Shared;
use super::login_grace::LoggedIn;
use super::session::{self, InputLink, Start};
use super::terminal::{self, Capabilities};
use crate::domain::users::Actor;
use russh::keys::{Certificate, PublicKey};
use russh::server::Handle;
use russh::server::{
    Auth, ChannelOpenHandle, Handler, Msg, PublicKeyOffer, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId, ChannelOpenFailure, ChannelWriteHalf, Pty};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::watch;

/// Session channels one connection may have open at once (OpenSSH's connection sharing opens
/// one per `ssh` sharing it).
const MAX_CHANNELS: usize = 8;

/// The longest login name looked at (no user may have a longer one); longer ones are refused
/// unread.
const MAX_USER: usize = crate::domain::users::MAX_USER_NAME;

/// Refusal for everything but an interactive terminal.
const NEEDS_PTY: &str = "owed: this server serves the workstation to a terminal only: connect with \
                         plain `ssh`, from a terminal and without a command";

/// Refusal for a terminal that cannot move its cursor, as the local workstation says it.
const DUMB: &str = "owed: the workstation cannot draw on TERM=dumb; connect from a terminal \
                    that moves its cursor (TERM=xterm or the like)";

/// The forwardings refused, as the log names them.
const LOCAL: &str = "local port forwarding (ssh -L)";
const REMOTE: &str = "remote port forwarding (ssh -R)";
const AGENT: &str = "agent forwarding (ssh -A)";
const X11: &str = "X11 forwarding (ssh -X)";

/// A connection's state, for russh's callbacks.
pub(crate) struct Connection {
    shared: Arc<Shared>,
    peer: Option<SocketAddr>,
    /// Who was authenticated, once they have been.
    actor: Option<Actor>,
    /// The key they proved they hold.
    key: Option<PublicKey>,
    /// Whether a refused key was logged (once a connection: a client offers its keys one by
    /// one, and OpenSSH never signs with one the server turned down).
    refusal_logged: bool,
    /// Whether a refused password or keyboard-interactive login was logged (once a
    /// connection too).
    method_logged: bool,
    /// The kinds of forwarding refused whose refusal was logged (once a connection each: a
    /// client may ask for thousands).
    forwarding_logged: Vec<&'static str>,
    /// What the log was told of the connection, for the line its end may need.
    told: Told,
    /// Told when their first session starts: the login grace no longer applies.
    logged_in: LoggedIn,
    /// The sessions running on the connection (see [`session::NO_SESSION_GRACE`]).
    sessions: Arc<std::sync::atomic::AtomicUsize>,
    channels: HashMap<ChannelId, ChannelState>,
    /// The connection, set once it runs: closed when its user is removed.
    handle: Arc<OnceLock<Handle>>,
    /// Dropped with the connection: its watch ([`keep_connection`]) ends.
    _gone: watch::Sender<()>,
    gone_rx: watch::Receiver<()>,
}

/// What the server's log was told of a connection: shared by its handler and the task that
/// runs it, which says how it ended once the handler is gone.
#[derive(Debug, Default)]
pub(crate) struct Said {
    /// The user who logged in, as the log names them.
    pub user: Option<String>,
    /// A refusal named the connection (a key, a password), so a client that then leaves
    /// needs no line of its own.
    pub refused: bool,
}

/// See [`Said`].
pub(crate) type Told = Arc<std::sync::Mutex<Said>>;

/// Whether a public-key login signs with SHA-1 (`ssh-rsa`), which is refused: its
/// signatures can be forged at a cost within reach, and OpenSSH turned it off by default in
/// 8.8 (the server advertises only rsa-sha2-256 and rsa-sha2-512 for RSA keys, see
/// `serve::KEY_ALGORITHMS`).
fn sha1(algorithm: &russh::keys::Algorithm) -> bool {
    *algorithm == russh::keys::Algorithm::Rsa { hash: None }
}

/// A key as the log names it: its algorithm and SHA-256 fingerprint, as `ssh-keygen -l`
/// shows them (`ssh-ed25519 SHA256:…`).
fn key_said(key: &PublicKey) -> String {
    format!(
        "{} {}",
        key.algorithm(),
        key.fingerprint(russh::keys::HashAlg::Sha256)
    )
}

/// A session channel.
struct ChannelState {
    /// Its output side, until a session takes it.
    write: Option<ChannelWriteHalf<Msg>>,
    pty: Option<PtyRequest>,
    /// The accepted environment variables, in the order sent.
    env: Vec<(String, String)>,
    /// Whether the session has started on it.
    started: bool,
    /// Where input goes while the session runs and the client sends input.
    input: Option<InputLink>,
    /// Dropped when the channel closes: the session's writer stops waiting on it.
    _alive: watch::Sender<()>,
    alive_rx: watch::Receiver<()>,
}

/// How often a running session's user is looked up again: one whose role changed is
/// disconnected within this, one removed within twice this (their writes are checked
/// against the role they have now at once: see `store::activity::action_writes`).
pub(super) const STANDING_CHECK: Duration = Duration::from_secs(2);

/// What a running session's user is checked against.
struct Standing {
    directory: Arc<dyn super::Directory>,
    /// Moves when the users may have changed.
    users: watch::Receiver<u64>,
    key: PublicKey,
    /// Who they were when the session started.
    actor: Actor,
    /// Ends the session, its terminal put back and the reason said.
    ending: super::session::Ending,
    /// Closed when the session's channel closes.
    alive: watch::Receiver<()>,
}

/// What the directory says now of a key a user logged in with.
enum Now {
    /// The same user with the same role.
    Same,
    /// The same user with another role.
    Role(Actor),
    /// The key belongs to another user.
    Elsewhere,
    /// Nobody has the key (or the users could not be read).
    Removed,
}

/// How `now` (the key's owner as the directory says now) stands to `was`, who logged in.
fn standing_now(was: &Actor, now: Option<Actor>) -> Now {
    match now {
        Some(now) if now == *was => Now::Same,
        Some(now) if now.name == was.name => Now::Role(now),
        Some(_) => Now::Elsewhere,
        None => Now::Removed,
    }
}

/// Why a user is cut: their key is now `now`'s (who is not them), or nobody's.
const KEY_ELSEWHERE: &str = "your key now belongs to another user";
/// Why a removed user (or one whose key was removed) is cut.
const REMOVED: &str = "your user or key was removed from this server";

/// The key's owner, looked up off the connection's task (the directory may read the
/// database); `None` also when the lookup failed.
async fn look_up(directory: &Arc<dyn super::Directory>, key: &PublicKey) -> Option<Actor> {
    let (directory, key) = (directory.clone(), key.clone());
    tokio::task::spawn_blocking(move || directory.owner(&key))
        .await
        .ok()
        .flatten()
}

/// Waits until the users may have changed (`users` moved), or, after a key was not found
/// once (`missed`), [`STANDING_CHECK`] at most; `false` when `gone` closed or the server
/// stopped watching.
async fn next_check(
    users: &mut watch::Receiver<u64>,
    gone: &mut watch::Receiver<()>,
    missed: bool,
) -> bool {
    let again = async {
        if missed {
            tokio::time::sleep(STANDING_CHECK).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        changed = gone.changed() => changed.is_ok(),
        changed = users.changed() => changed.is_ok(),
        () = again => true,
    }
}

/// Disconnects the session's client once its key no longer belongs to the user it logged in
/// as with that role (a manager removed the user, the key, or changed the role): what the
/// session may do is decided when it starts, and it must not outlive the decision.
async fn keep_standing(mut s: Standing) {
    // A key not found twice in a row: once may be the users failing to be read (then it is
    // looked up again after a while, whatever the users do).
    let mut missed = false;
    while next_check(&mut s.users, &mut s.alive, missed).await {
        let why = match standing_now(&s.actor, look_up(&s.directory, &s.key).await) {
            Now::Same => {
                missed = false;
                continue;
            }
            Now::Role(now) => format!("your role is now {}: connect again", now.role),
            Now::Elsewhere => KEY_ELSEWHERE.to_string(),
            Now::Removed if !std::mem::replace(&mut missed, true) => continue,
            Now::Removed => REMOVED.to_string(),
        };
        crate::serve::say!("{}'s session was cut: {why}", s.actor.name);
        s.ending.end(format!("owed: {why}"));
        return;
    }
}

/// What a logged-in connection's user is checked against (see [`keep_connection`]).
struct Watch {
    directory: Arc<dyn super::Directory>,
    users: watch::Receiver<u64>,
    key: PublicKey,
    actor: Actor,
    /// The connection, once it runs.
    handle: Arc<OnceLock<Handle>>,
    /// Closed when the connection has ended.
    gone: watch::Receiver<()>,
    /// Its sessions running.
    sessions: Arc<std::sync::atomic::AtomicUsize>,
    /// Who and whence, as the log says it.
    who: String,
}

/// Closes a logged-in connection without a session running (`ssh -M -fN`, or between
/// sessions) once its key no longer belongs to its user: it stayed open, and a session opened
/// on it later was let in. (Running sessions are cut by their own [`keep_standing`], and the
/// connection a while after its last; one whose user has another role stays, and its next
/// session starts with the new role.)
async fn keep_connection(mut w: Watch) {
    let mut missed = false;
    while next_check(&mut w.users, &mut w.gone, missed).await {
        let why = match standing_now(&w.actor, look_up(&w.directory, &w.key).await) {
            Now::Same => {
                missed = false;
                continue;
            }
            Now::Role(now) => {
                missed = false;
                w.actor = now;
                continue;
            }
            Now::Elsewhere => KEY_ELSEWHERE,
            Now::Removed if !std::mem::replace(&mut missed, true) => continue,
            Now::Removed => REMOVED,
        };
        if w.sessions.load(std::sync::atomic::Ordering::Acquire) > 0 {
            return;
        }
        crate::serve::say!("{}'s connection was closed: {why}", w.who);
        if let Some(handle) = w.handle.get() {
            let _ = handle
                .disconnect(russh::Disconnect::ByApplication, why.into(), "en".into())
                .await;
        }
        return;
    }
}

/// The most sessions one user may have at once (every session is a thread and a screen on
/// the server; a script that reconnects in a loop must not take them all).
pub const MAX_SESSIONS_PER_USER: usize = 8;

/// The widest terminal a session is drawn for: a wider window gets a screen this wide at
/// its left. The session's screen is held cell by cell (twice, to send only what changed),
/// so a client's 65,535 × 65,535 must not make the server hold four billion cells; 640 × 240
/// is more than a 4K monitor shows at a small font.
pub const MAX_COLUMNS: u16 = 640;
/// The tallest terminal a session is drawn for (see [`MAX_COLUMNS`]).
pub const MAX_ROWS: u16 = 240;

/// What a pty request asked for.
struct PtyRequest {
    term: String,
    columns: u16,
    rows: u16,
}

/// A terminal dimension as sent (u32, possibly 0 or huge) kept within `max`.
fn dimension(value: u32, default: u16, max: u16) -> u16 {
    match value {
        0 => default,
        v => v.min(u32::from(max)) as u16,
    }
}

/// A pty's size as sent, within [`MAX_COLUMNS`] × [`MAX_ROWS`] (80 × 24 for a 0).
fn pty_size(col_width: u32, row_height: u32) -> (u16, u16) {
    (
        dimension(col_width, 80, MAX_COLUMNS),
        dimension(row_height, 24, MAX_ROWS),
    )
}

impl Connection {
    /// The client sent input (keys or window changes) faster than its app reads it, by more
    /// than the session takes: it is disconnected, and the log says who.
    fn flooded(&self, session: &mut Session) -> Result<(), russh::Error> {
        let name = self.actor.as_ref().map_or("?", |a| a.name.as_str());
        crate::serve::say!("{name} sent input faster than it was read; disconnected");
        session.disconnect(
            russh::Disconnect::ByApplication,
            "too much input at once",
            "en",
        )
    }

    /// Where the client is, as the log says it (`10.0.0.7:51234`).
    fn from(&self) -> String {
        self.peer.map_or("?".into(), |p| p.to_string())
    }

    /// The logged-in user as the log names them: `alice (collector) from 10.0.0.7:51234
    /// (ssh-ed25519 SHA256:…)`.
    fn who(&self) -> String {
        let (name, role) = self
            .actor
            .as_ref()
            .map_or(("?", "?".to_string()), |a| (&a.name, a.role.to_string()));
        let key = self.key.as_ref().map_or("?".into(), key_said);
        format!("{name} ({role}) from {} ({key})", self.from())
    }

    /// Notes in the log that the client was refused something.
    fn told_refused(&self) {
        self.told.lock().unwrap_or_else(|e| e.into_inner()).refused = true;
    }

    /// Logs a key refused for `user`, the first of the connection.
    fn log_refusal(&mut self, user: &str, key: &PublicKey) {
        if std::mem::replace(&mut self.refusal_logged, true) {
            return;
        }
        crate::serve::say!(
            "refused a key for {} from {} ({})",
            crate::error::quoted(user),
            self.from(),
            key_said(key)
        );
        self.told_refused();
    }

    /// Logs an RSA key offered with SHA-1 signatures (`ssh-rsa`) for `user`, the first
    /// refusal of the connection: OpenSSH refuses them by default since 8.8.
    fn log_sha1_refused(&mut self, user: &str, key: &PublicKey) {
        if std::mem::replace(&mut self.refusal_logged, true) {
            return;
        }
        crate::serve::say!(
            "refused a key for {} from {} ({}): it was to sign with SHA-1 (ssh-rsa); \
             only rsa-sha2-256 and rsa-sha2-512 are taken",
            crate::error::quoted(user),
            self.from(),
            key_said(key)
        );
        self.told_refused();
    }

    /// Logs a login by `method` (a password, keyboard-interactive) refused for `user`, the
    /// first of the connection: only keys are taken. (Such tries left no line, and the
    /// connection's end said `ended on an error: early eof`.)
    fn log_method_refused(&mut self, user: &str, method: &str) {
        if std::mem::replace(&mut self.method_logged, true) {
            return;
        }
        crate::serve::say!(
            "refused {method} for {} from {}: only keys are taken",
            crate::error::quoted(user),
            self.from()
        );
        self.told_refused();
    }

    pub(crate) fn new(
        shared: Arc<Shared>,
        peer: Option<SocketAddr>,
        logged_in: LoggedIn,
        told: Told,
        handle: Arc<OnceLock<Handle>>,
    ) -> Connection {
        let (gone, gone_rx) = watch::channel(());
        Connection {
            handle,
            _gone: gone,
            gone_rx,
            shared,
            peer,
            actor: None,
            key: None,
            refusal_logged: false,
            method_logged: false,
            forwarding_logged: Vec::new(),
            told,
            sessions: Arc::default(),
            logged_in,
            channels: HashMap::new(),
        }
    }

    /// The user the key belongs to, when it is `user`'s.
    async fn owner(&self, user: &str, key: &PublicKey) -> Option<Actor> {
        if user.is_empty() || user.len() > MAX_USER {
            return None;
        }
        let actor = look_up(&self.shared.directory, key).await?;
        // A name is composed (NFC) as registered: `Zoë` typed either way is her.
        (actor.name == crate::domain::text::nfc(user)).then_some(actor)
    }

    /// Answers a request the server does not serve (`what`: a command, a subsystem, a shell
    /// without a terminal): a failure on a session that has started, else refused (see
    /// [`Self::refuse`]); the log says who asked (it said only `ended on an error: early
    /// eof`, without the user).
    fn refuse_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
        what: &str,
    ) -> Result<(), russh::Error> {
        crate::serve::say!(
            "refused {what} to {}: only the workstation on a terminal is served",
            self.who()
        );
        match self.channels.get(&channel) {
            Some(state) if state.started => session.channel_failure(channel),
            _ => self.refuse(channel, session),
        }
    }

    /// Logs a forwarding refused (`what`: of a local port, `-L`; of a remote one, `-R`; of
    /// the agent, `-A`; of X11), the first of its kind on the connection: a client that asks
    /// again and again gets no more lines. (It was refused without a line.)
    fn log_forwarding_refused(&mut self, what: &'static str) {
        if self.forwarding_logged.contains(&what) {
            return;
        }
        self.forwarding_logged.push(what);
        crate::serve::say!(
            "refused {what} to {}: only the workstation on a terminal is served",
            self.who()
        );
    }

    /// Refuses a channel to a port or a socket (`ssh -L`), logged as [`Self::log_forwarding_refused`]
    /// says.
    async fn refuse_local_forwarding(&mut self, reply: ChannelOpenHandle) {
        self.log_forwarding_refused(LOCAL);
        reply
            .reject(ChannelOpenFailure::AdministrativelyProhibited)
            .await;
    }

    /// Refuses a channel request with the line that says a terminal is needed, and closes the
    /// channel.
    fn refuse(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), russh::Error> {
        self.refuse_with(channel, session, NEEDS_PTY)
    }

    /// Refuses a channel request with one line, and closes the channel.
    fn refuse_with(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
        line: &str,
    ) -> Result<(), russh::Error> {
        // The request is answered (OpenSSH exits at a failed request without showing what
        // came with it), then the line on stderr, exit status 1, and the channel closes.
        session.channel_success(channel)?;
        session.extended_data(channel, 1, format!("{line}\r\n").into_bytes())?;
        session.exit_status_request(channel, 1)?;
        session.eof(channel)?;
        session.close(channel)?;
        self.channels.remove(&channel);
        Ok(())
    }

    /// Starts the session on a channel that has its pty, as the user the key belongs to now:
    /// a user removed since logging in is refused and the connection closed, one given
    /// another role since gets a session of it (each session had the role of the login).
    async fn start(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), russh::Error> {
        let (Some(was), Some(key)) = (self.actor.clone(), self.key.clone()) else {
            return self.refuse(channel, session);
        };
        // Watched from before the lookup: a change after it is seen by the session's watch.
        let users = self.shared.users_version.subscribe();
        let actor = match standing_now(&was, look_up(&self.shared.directory, &key).await) {
            Now::Same => was,
            Now::Role(now) => {
                self.actor = Some(now.clone());
                now
            }
            lapsed => {
                let why = match lapsed {
                    Now::Elsewhere => KEY_ELSEWHERE,
                    _ => REMOVED,
                };
                crate::serve::say!("refused a session to {}: {why}", self.who());
                self.actor = None;
                self.refuse_with(channel, session, &format!("owed: {why}"))?;
                return session.disconnect(russh::Disconnect::ByApplication, why, "en");
            }
        };
        let who = self.who();
        let Some(state) = self.channels.get_mut(&channel) else {
            return Ok(());
        };
        let (Some(pty), Some(write)) = (&state.pty, state.write.take()) else {
            return self.refuse(channel, session);
        };
        let caps = Capabilities::detect(&pty.term, &state.env);
        // Refused as the local workstation refuses it (it drew the full screen on it).
        if caps.term == "dumb" {
            crate::serve::say!(
                "refused a session to {who}: its terminal is TERM=dumb, which cannot draw the \
                 workstation"
            );
            return self.refuse_with(channel, session, DUMB);
        }
        if !self
            .shared
            .sessions
            .reserve(&actor.name, MAX_SESSIONS_PER_USER)
        {
            crate::serve::say!(
                "refused a session to {}: {MAX_SESSIONS_PER_USER} of theirs are open, the most \
                 one user may",
                who
            );
            let line = format!(
                "owed: you have {MAX_SESSIONS_PER_USER} sessions open on this server, the most \
                 one user may: end one (q) and connect again"
            );
            return self.refuse_with(channel, session, &line);
        }
        let start = Start {
            actor: actor.clone(),
            peer: self.peer,
            size: (pty.columns, pty.rows),
            caps,
            write,
            handle: session.handle(),
            alive: state.alive_rx.clone(),
            app: self.shared.app.clone(),
            sessions: self.shared.sessions.clone(),
            escape_timeout: self.shared.escape_timeout,
            idle_timeout: self.shared.idle_timeout,
            on_connection: self.sessions.clone(),
            who,
        };
        match session::start(start) {
            Ok(link) => {
                let ending = link.ending.clone();
                state.input = Some(link);
                state.started = true;
                // In: the login grace no longer applies, and the place it held while logging
                // in is free (a connection that logs in and opens nothing is what a flood
                // does: it keeps both).
                self.logged_in.set();
                tokio::spawn(keep_standing(Standing {
                    directory: self.shared.directory.clone(),
                    users,
                    key,
                    actor: actor.clone(),
                    ending,
                    alive: state.alive_rx.clone(),
                }));
                session.channel_success(channel)?;
                crate::serve::say!(
                    "{} ({}) started a session from {} ({})",
                    actor.name,
                    actor.role,
                    self.from(),
                    self.key.as_ref().map_or("?".into(), key_said)
                );
                Ok(())
            }
            Err(e) => {
                self.shared.sessions.release(&actor.name);
                crate::serve::say!("cannot start a session for {}: {e}", actor.name);
                self.refuse(channel, session)
            }
        }
    }
}

impl Handler for Connection {
    type Error = russh::Error;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        Ok(Auth::reject())
    }

    async fn auth_password(&mut self, user: &str, _password: &str) -> Result<Auth, Self::Error> {
        self.log_method_refused(user, "a password");
        Ok(Auth::reject())
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        _response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        self.log_method_refused(user, "keyboard-interactive");
        Ok(Auth::reject())
    }

    async fn auth_openssh_certificate(
        &mut self,
        _user: &str,
        _certificate: &Certificate,
    ) -> Result<Auth, Self::Error> {
        Ok(Auth::reject())
    }

    /// A key offered before it is proven: refused at once when it is not the user's, which
    /// spares the client a signature and lets it try its next key.
    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        if sha1(offer.algorithm) {
            self.log_sha1_refused(user, offer.public_key);
            return Ok(Auth::reject());
        }
        Ok(match self.owner(user, offer.public_key).await {
            Some(_) => Auth::Accept,
            None => {
                self.log_refusal(user, offer.public_key);
                Auth::reject()
            }
        })
    }

    /// A key whose possession the client has proven: the user is in.
    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        // A client may sign without offering first.
        if sha1(key.algorithm) {
            self.log_sha1_refused(user, key.public_key);
            return Ok(Auth::reject());
        }
        // Watched from before the lookup: a change after it is seen.
        let users = self.shared.users_version.subscribe();
        match self.owner(user, key.public_key).await {
            Some(actor) => {
                self.told.lock().unwrap_or_else(|e| e.into_inner()).user = Some(actor.name.clone());
                self.actor = Some(actor.clone());
                self.key = Some(key.public_key.clone());
                tokio::spawn(keep_connection(Watch {
                    directory: self.shared.directory.clone(),
                    users,
                    key: key.public_key.clone(),
                    actor,
                    handle: self.handle.clone(),
                    gone: self.gone_rx.clone(),
                    sessions: self.sessions.clone(),
                    who: self.who(),
                }));
                Ok(Auth::Accept)
            }
            None => {
                self.log_refusal(user, key.public_key);
                Ok(Auth::reject())
            }
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.actor.is_none() || self.channels.len() >= MAX_CHANNELS {
            reply
                .reject(ChannelOpenFailure::AdministrativelyProhibited)
                .await;
            return Ok(());
        }
        // Requests and data reach this handler; the channel's own copy of them is not read.
        let id = channel.id();
        let (read, write) = channel.split();
        drop(read);
        let (alive, alive_rx) = watch::channel(());
        self.channels.insert(
            id,
            ChannelState {
                write: Some(write),
                pty: None,
                env: Vec::new(),
                started: false,
                input: None,
                _alive: alive,
                alive_rx,
            },
        );
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match self.channels.get_mut(&channel) {
            Some(state) if !state.started => {
                let (columns, rows) = pty_size(col_width, row_height);
                state.pty = Some(PtyRequest {
                    term: terminal::clean_term(term),
                    columns,
                    rows,
                });
                session.channel_success(channel)?;
            }
            _ => session.channel_failure(channel)?,
        }
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        variable_name: &str,
        variable_value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match self.channels.get_mut(&channel) {
            Some(state)
                if !state.started
                    && terminal::accepts_env(variable_name)
                    && state.env.len() < terminal::ACCEPTED_ENV.len() * 2 =>
            {
                state.env.push((
                    variable_name.to_string(),
                    terminal::clean_env_value(variable_value),
                ));
                session.channel_success(channel)?;
            }
            _ => session.channel_failure(channel)?,
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match self.channels.get(&channel) {
            Some(state) if !state.started && state.pty.is_some() => {
                self.start(channel, session).await
            }
            Some(state) if state.started => session.channel_failure(channel),
            _ => self.refuse_request(channel, session, "a session without a terminal"),
        }
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let command = crate::error::quoted(&String::from_utf8_lossy(data));
        self.refuse_request(channel, session, &format!("the command {command}"))
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let name = crate::error::quoted(name);
        self.refuse_request(channel, session, &format!("the subsystem {name}"))
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        _x11_auth_protocol: &str,
        _x11_auth_cookie: &str,
        _x11_screen_number: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.log_forwarding_refused(X11);
        session.channel_failure(channel)
    }

    /// `ssh -A`: refused (the session is the workstation; nothing on the server may use the
    /// client's keys).
    async fn agent_request(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        self.log_forwarding_refused(AGENT);
        Ok(false)
    }

    /// `ssh -L` (a port, or a socket): refused, the server connects nowhere for a client.
    #[allow(clippy::too_many_arguments)]
    async fn channel_open_direct_tcpip(
        &mut self,
        _channel: Channel<Msg>,
        _host_to_connect: &str,
        _port_to_connect: u32,
        _originator_address: &str,
        _originator_port: u32,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.refuse_local_forwarding(reply).await;
        Ok(())
    }

    async fn channel_open_direct_streamlocal(
        &mut self,
        _channel: Channel<Msg>,
        _socket_path: &str,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.refuse_local_forwarding(reply).await;
        Ok(())
    }

    /// `ssh -R` (a port, or a socket): refused, the server listens for no client.
    async fn tcpip_forward(
        &mut self,
        _address: &str,
        _port: &mut u32,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        self.log_forwarding_refused(REMOTE);
        Ok(false)
    }

    async fn streamlocal_forward(
        &mut self,
        _socket_path: &str,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        self.log_forwarding_refused(REMOTE);
        Ok(false)
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let mut overflow = false;
        if let Some(state) = self.channels.get_mut(&channel) {
            let (columns, rows) = pty_size(col_width, row_height);
            match (&state.input, &mut state.pty) {
                (Some(input), _) => overflow = input.resize(columns, rows).is_err(),
                (None, Some(pty)) => {
                    pty.columns = columns;
                    pty.rows = rows;
                }
                (None, None) => {}
            }
        }
        if overflow {
            self.flooded(session)?;
        }
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let overflow = match self.channels.get(&channel).and_then(|s| s.input.as_ref()) {
            Some(input) => input.bytes(data).is_err(),
            None => false,
        };
        if overflow {
            self.flooded(session)?;
        }
        Ok(())
    }

    /// The client will send no more input: the session's app is told its input has closed.
    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(state) = self.channels.get_mut(&channel) {
            state.input = None;
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }
}
