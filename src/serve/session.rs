//! One pty session: the app on its own thread, its input and its output.
//!
//! Three parts run per session. The **pump** (a tokio task) takes the client's raw bytes and
//! window changes in arrival order, turns them into events with `keys::Parser` (waiting
//! [`Settings::escape_timeout`](super::Settings) before taking a held ESC as Esc), and hands
//! them to the app; it ends the app's input when the client's input ends or after the idle
//! timeout. The **app** runs on a plain thread with a [`SessionContext`]: it reads
//! [`Events`] and draws to [`Output`]. The **writer** (a tokio task) sends what the app wrote
//! to the channel as the client's window allows, and when the app has returned, the exit
//! status, EOF and close; then it joins the app's thread.
//!
//! Memory stays bounded whatever the client does. Input: raw bytes and window changes waiting
//! for the pump are counted and a client more than [`MAX_QUEUED_INPUT`] bytes ahead of its
//! app is disconnected; the pump hands events through a queue of [`EVENT_QUEUE`] and waits
//! when it is full (and the workstation takes them from there a few hundred at a time, so
//! that a client typing faster than it works fills that queue instead of one behind it). Output: [`Output`] sends a chunk at each flush (and every [`CHUNK`] bytes) into a
//! queue of [`OUTPUT_CHUNKS`] chunks and blocks the app's thread when it is full; the writer
//! takes the next chunk only once the client's SSH window has room for the last one. A slow
//! client therefore slows its own app's drawing and nothing else; one that stops reading
//! altogether is cut by the idle timeout.

use super::keys::Parser;
use super::terminal::Capabilities;
use crate::domain::users::Actor;
use crossterm::event::Event;
use russh::ChannelWriteHalf;
use russh::server::{Handle, Msg};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Notify, mpsc, oneshot, watch};

/// Raw input bytes a client may have waiting for its app before it is disconnected.
pub const MAX_QUEUED_INPUT: usize = 1 << 20;
/// What a window change waiting for the pump counts for against [`MAX_QUEUED_INPUT`].
pub const RESIZE_COST: usize = 64;
/// Events waiting for the app before the pump waits.
pub const EVENT_QUEUE: usize = 1024;
/// Output chunks waiting for the client's window before the app's writes block.
pub const OUTPUT_CHUNKS: usize = 8;
/// Output is sent at least every this many bytes, flushed or not.
pub const CHUNK: usize = 32 * 1024;

/// What undoes whatever the app set on the client's terminal: bracketed paste off, the main
/// screen back, the cursor shown, attributes reset. Written after every app, however it
/// ended (harmless when the app restored the terminal itself).
const RESTORE: &[u8] = b"\x1b[?2004l\x1b[?1049l\x1b[?25h\x1b[0m";

/// What the app gets from the session's input.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A key, a paste, a resize (`Event::Resize(columns, rows)`), a focus change.
    Event(Event),
    /// No more input will come: the client left, the connection dropped, the session was idle
    /// too long or the server is stopping. The app should return.
    Closed,
}

/// The session's input, in the order the client sent it.
#[derive(Debug)]
pub struct Events {
    rx: mpsc::Receiver<Event>,
}

impl Events {
    /// Waits for the next input. Call it from the app's thread, not from async code.
    pub fn recv(&mut self) -> Input {
        match self.rx.blocking_recv() {
            Some(event) => Input::Event(event),
            None => Input::Closed,
        }
    }

    /// The next input if one is waiting.
    pub fn try_recv(&mut self) -> Option<Input> {
        match self.rx.try_recv() {
            Ok(event) => Some(Input::Event(event)),
            Err(mpsc::error::TryRecvError::Empty) => None,
            Err(mpsc::error::TryRecvError::Disconnected) => Some(Input::Closed),
        }
    }
}

/// Events until the input closes.
impl Iterator for Events {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        self.rx.blocking_recv()
    }
}

/// The session's terminal output: what is written goes to the client's screen at each flush.
///
/// Writes block the app's thread while the client is behind (see the module doc); once the
/// connection is gone they fail with `BrokenPipe`. Use it from the app's thread, not from
/// async code. Dropping it flushes.
#[derive(Debug)]
pub struct Output {
    buf: Vec<u8>,
    tx: mpsc::Sender<Vec<u8>>,
}

impl Output {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.buf);
        self.tx
            .blocking_send(chunk)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl std::io::Write for Output {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.tx.is_closed() {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        let _ = self.send();
    }
}

/// Everything a session's app gets.
#[derive(Debug)]
pub struct SessionContext {
    /// The user whose key was accepted, with their role.
    pub actor: Actor,
    pub events: Events,
    pub output: Output,
    /// The client's terminal size when the session started: (columns, rows). Later sizes
    /// come as `Event::Resize`.
    pub size: (u16, u16),
    pub caps: Capabilities,
    /// Where the client connected from.
    pub peer: Option<SocketAddr>,
    /// What the app adds to the log's line saying the session ended (`a draft kept`).
    pub log_note: LogNote,
}

/// What a session's app adds to the server's log line saying how the session ended (the
/// drafts it kept for the user's next session); set from the app's thread before it returns.
#[derive(Debug, Clone, Default)]
pub struct LogNote(Arc<std::sync::Mutex<Option<String>>>);

impl LogNote {
    /// Says `note` on the line (the last note set wins).
    pub fn set(&self, note: impl Into<String>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(note.into());
    }

    fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Why a session ended, as the log says it: the first cause set wins (the server stopping,
/// the idle timeout, the connection closing, the user cut off, or the app returning by
/// itself: `quit`, an error).
type Cause = Arc<OnceLock<String>>;

/// What a session runs: the workstation in `owed serve`, a small app in tests. It returns
/// when the user quits or when [`Input::Closed`] arrives; an error is shown to the user as
/// one line after the terminal is restored.
pub type App = dyn Fn(SessionContext) -> crate::Result<()> + Send + Sync;

/// The connection's side of a session's input.
#[derive(Debug)]
pub(crate) struct InputLink {
    tx: mpsc::UnboundedSender<Incoming>,
    queued: Arc<AtomicUsize>,
    /// Ends the session from outside.
    pub(crate) ending: Ending,
}

/// Ends a running session from outside (its user removed, its role changed): the app's input
/// ends, and its last frame is followed by the terminal put back and a line saying why, as
/// when it ends by itself; the connection is cut a while later if it is still there. (Cut at
/// once, the client's terminal stayed in the app's screen with the cursor hidden.)
#[derive(Debug, Clone)]
pub(crate) struct Ending {
    farewell: Arc<OnceLock<String>>,
    cut: Arc<Notify>,
}

impl Ending {
    pub(crate) fn end(&self, line: String) {
        let _ = self.farewell.set(line);
        self.cut.notify_one();
    }
}

/// The client's input, for the pump.
#[derive(Debug)]
enum Incoming {
    Bytes(Vec<u8>),
    Resize(u16, u16),
}

/// The client sent more input than its app has read, by more than [`MAX_QUEUED_INPUT`].
#[derive(Debug)]
pub(crate) struct Overflow;

impl InputLink {
    /// Passes on a packet of the client's input.
    pub fn bytes(&self, data: &[u8]) -> Result<(), Overflow> {
        let queued = self.queued.fetch_add(data.len(), Ordering::AcqRel) + data.len();
        if queued > MAX_QUEUED_INPUT {
            return Err(Overflow);
        }
        // The pump has gone only when the session is ending anyway.
        let _ = self.tx.send(Incoming::Bytes(data.to_vec()));
        Ok(())
    }

    /// Passes on a window change: counted with the input as [`RESIZE_COST`] bytes, so that a
    /// storm of them from a client that does not read is cut like a flood of keys.
    pub fn resize(&self, columns: u16, rows: u16) -> Result<(), Overflow> {
        let queued = self.queued.fetch_add(RESIZE_COST, Ordering::AcqRel) + RESIZE_COST;
        if queued > MAX_QUEUED_INPUT {
            return Err(Overflow);
        }
        let _ = self.tx.send(Incoming::Resize(columns, rows));
        Ok(())
    }
}

/// The count of sessions whose app is running, and a way to wait for it to change.
#[derive(Debug, Clone)]
pub struct Sessions {
    count: Arc<watch::Sender<usize>>,
    /// Each user's sessions, reserved before they start and given back once joined.
    by_user: Arc<std::sync::Mutex<HashMap<String, usize>>>,
    /// Set when the server stops: every session ends with this line.
    stop: Arc<watch::Sender<Option<String>>>,
    /// Set when the server is about to cut the connections of the sessions that have not
    /// ended: each puts its client's terminal back itself first ([`Sessions::cut_all`]).
    cut: Arc<watch::Sender<bool>>,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            count: Arc::new(watch::channel(0).0),
            by_user: Arc::default(),
            stop: Arc::new(watch::channel(None).0),
            cut: Arc::new(watch::channel(false).0),
        }
    }
}

impl Sessions {
    /// Ends every session as [`Ending::end`] ends one, with `line` (the server stopping).
    pub(crate) fn end_all(&self, line: &str) {
        self.stop.send_replace(Some(line.to_string()));
    }

    /// Before the server cuts the sessions that did not end in time (an app busy with its
    /// first frame on a loaded machine): each writes the terminal's reset and the stop's
    /// line to its client itself, and sends nothing of its app after them. (Cut as they
    /// were, such clients stayed in the app's screen with the cursor hidden.)
    pub(crate) fn cut_all(&self) {
        self.cut.send_replace(true);
    }

    /// How many apps are running (started and not yet joined).
    pub fn active(&self) -> usize {
        *self.count.borrow()
    }

    /// Waits until exactly `n` apps are running.
    pub async fn wait_for(&self, n: usize) {
        let mut rx = self.count.subscribe();
        let _ = rx.wait_for(|&count| count == n).await;
    }

    fn started(&self) {
        self.count.send_modify(|n| *n += 1);
    }

    /// A place for one more session of `user`, if they have fewer than `max`.
    pub(crate) fn reserve(&self, user: &str, max: usize) -> bool {
        let mut by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        let n = by_user.entry(user.to_string()).or_default();
        if *n >= max {
            return false;
        }
        *n += 1;
        true
    }

    /// Gives back a place [`Sessions::reserve`] gave.
    pub(crate) fn release(&self, user: &str) {
        let mut by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = by_user.get_mut(user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                by_user.remove(user);
            }
        }
    }

    fn ended(&self) {
        self.count.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// What starting a session needs from the connection.
pub(crate) struct Start {
    pub actor: Actor,
    pub peer: Option<SocketAddr>,
    pub size: (u16, u16),
    pub caps: Capabilities,
    /// The channel's output side.
    pub write: ChannelWriteHalf<Msg>,
    /// The connection, to cut it when an idle session does not end by itself.
    pub handle: Handle,
    /// Closes (its sender is dropped) when the channel or the connection is gone.
    pub alive: watch::Receiver<()>,
    pub app: Arc<App>,
    pub sessions: Sessions,
    pub escape_timeout: Duration,
    pub idle_timeout: Option<Duration>,
    /// The sessions running on the connection: when its last one ends, the connection is
    /// closed.
    pub on_connection: Arc<AtomicUsize>,
    /// Who, whence and with what key, as the log says it (`alice (collector) from
    /// 10.0.0.7:51234 (ssh-ed25519 SHA256:…)`).
    pub who: String,
}

/// How long a connection whose last session has ended may stay before it is closed: a
/// client leaves by itself at once (OpenSSH exits when its last channel closes), and one
/// that stayed was outside every limit on connections until the hour's inactivity timeout.
pub const NO_SESSION_GRACE: Duration = Duration::from_secs(5);

/// Starts a session's pump, app thread and writer; returns where its input goes.
pub(crate) fn start(s: Start) -> std::io::Result<InputLink> {
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    let (ev_tx, ev_rx) = mpsc::channel(EVENT_QUEUE);
    let (out_tx, out_rx) = mpsc::channel(OUTPUT_CHUNKS);
    let (done_tx, done_rx) = oneshot::channel();
    let farewell: Arc<OnceLock<String>> = Arc::default();
    let cause = Cause::default();
    let log_note = LogNote::default();

    let ctx = SessionContext {
        actor: s.actor.clone(),
        events: Events { rx: ev_rx },
        output: Output {
            buf: Vec::new(),
            tx: out_tx.clone(),
        },
        size: s.size,
        caps: s.caps,
        peer: s.peer,
        log_note: log_note.clone(),
    };
    let app = s.app.clone();
    let last_words = farewell.clone();
    let app_cause = cause.clone();
    let thread = std::thread::Builder::new()
        .name(thread_name(&s.actor.name))
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| app(ctx)));
            let (code, notice) = match outcome {
                Ok(Ok(())) => {
                    let _ = app_cause.set("quit".into());
                    (0, None)
                }
                Ok(Err(e)) => {
                    let _ = app_cause.set(format!("an error: {}", log_text(&e.to_string())));
                    (1, Some(format!("owed: {e}")))
                }
                Err(_) => {
                    let _ = app_cause.set("an internal error".into());
                    (
                        1,
                        Some("owed: the session stopped on an internal error".into()),
                    )
                }
            };
            let mut tail = RESTORE.to_vec();
            if let Some(line) = notice.or_else(|| last_words.get().cloned()) {
                tail.extend_from_slice(format!("{line}\r\n").as_bytes());
            }
            let _ = out_tx.blocking_send(tail);
            drop(out_tx);
            let _ = done_tx.send(code);
        })?;
    s.sessions.started();
    s.on_connection.fetch_add(1, Ordering::AcqRel);
    let connection = (s.handle.clone(), s.on_connection);
    let ending = Ending {
        farewell,
        cut: Arc::default(),
    };
    tokio::spawn(pump(Pump {
        rx: in_rx,
        queued: queued.clone(),
        events: ev_tx,
        escape_timeout: s.escape_timeout,
        idle_timeout: s.idle_timeout,
        handle: Some(s.handle),
        ending: ending.clone(),
        stop: s.sessions.stop.subscribe(),
        who: s.who.clone(),
        cause: cause.clone(),
    }));
    tokio::spawn(writer(Writer {
        rx: out_rx,
        write: s.write,
        alive: s.alive,
        cut: s.sessions.cut.subscribe(),
        done: done_rx,
        thread,
        sessions: s.sessions,
        name: s.actor.name,
        who: s.who,
        cause,
        log_note,
        connection,
    }));
    Ok(InputLink {
        tx: in_tx,
        queued,
        ending,
    })
}

/// The app thread's name: `owed-ssh-` and the user's name's safe characters.
fn thread_name(user: &str) -> String {
    let safe: String = user
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(32)
        .collect();
    format!("owed-ssh-{safe}")
}

/// The pump's inputs and outputs.
struct Pump {
    rx: mpsc::UnboundedReceiver<Incoming>,
    queued: Arc<AtomicUsize>,
    events: mpsc::Sender<Event>,
    escape_timeout: Duration,
    idle_timeout: Option<Duration>,
    /// The connection, cut a while after an idle timeout (none in unit tests).
    handle: Option<Handle>,
    /// The line shown when the session ends on its own (idle), and how it is ended from
    /// outside.
    ending: Ending,
    /// The server stopping (see [`Sessions::end_all`]).
    stop: watch::Receiver<Option<String>>,
    /// Who, as the log says it (see [`Start::who`]).
    who: String,
    /// Why the session ended, set before the app's input ends.
    cause: Cause,
}

/// How long an idle session's app has to end by itself before the connection is cut.
const IDLE_GRACE: Duration = Duration::from_secs(5);

/// Client input to app events, in order; ends the app's input when the client's ends or the
/// session has been idle too long.
async fn pump(mut p: Pump) {
    let mut parser = Parser::new();
    let mut out = Vec::new();
    let idle = |timeout: Option<Duration>| async move {
        match timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => std::future::pending().await,
        }
    };
    let mut idle_timer = Box::pin(idle(p.idle_timeout));
    let mut stop_open = true;
    // A session that started as the server began to stop ends at once, as the others do.
    if let Some(line) = p.stop.borrow_and_update().clone() {
        let _ = p.cause.set(STOPPING.into());
        let _ = p.ending.farewell.set(line);
        return;
    }
    loop {
        let pending = parser.pending();
        tokio::select! {
            () = p.ending.cut.notified() => {
                let why = p.ending.farewell.get().cloned().unwrap_or_default();
                let _ = p.cause.set(format!(
                    "cut ({})",
                    why.strip_prefix("owed: ").unwrap_or(&why)
                ));
                cut_later(p.handle.take(), why);
                return;
            }
            changed = p.stop.changed(), if stop_open => match changed {
                Ok(()) => {
                    if let Some(line) = p.stop.borrow().clone() {
                        let _ = p.cause.set(STOPPING.into());
                        let _ = p.ending.farewell.set(line);
                        // The server cuts every connection once the sessions have ended.
                        return;
                    }
                }
                Err(_) => stop_open = false,
            },
            incoming = p.rx.recv() => match incoming {
                Some(Incoming::Bytes(bytes)) => {
                    p.queued.fetch_sub(bytes.len(), Ordering::AcqRel);
                    parser.feed(&bytes, &mut out);
                    idle_timer = Box::pin(idle(p.idle_timeout));
                }
                Some(Incoming::Resize(columns, rows)) => {
                    p.queued.fetch_sub(RESIZE_COST, Ordering::AcqRel);
                    out.push(Event::Resize(columns, rows));
                    idle_timer = Box::pin(idle(p.idle_timeout));
                }
                None => {
                    let _ = p.cause.set("the connection closed".into());
                    break;
                }
            },
            () = tokio::time::sleep(p.escape_timeout), if pending => parser.flush(&mut out),
            () = &mut idle_timer => {
                let minutes = p.idle_timeout.map_or(0, |t| t.as_secs().div_ceil(60));
                let unit = if minutes == 1 { "minute" } else { "minutes" };
                // The log said only `alice's session ended`, as for a session quit.
                crate::serve::say!(
                    "{}'s session was cut: {minutes} {unit} without input (the idle timeout)",
                    p.who
                );
                let _ = p.cause.set("the idle timeout".into());
                let _ = p.ending.farewell.set(format!(
                    "owed: disconnected after {minutes} {unit} without input"
                ));
                cut_later(p.handle.take(), "idle".into());
                return;
            }
        }
        for event in out.drain(..) {
            if p.events.send(event).await.is_err() {
                return;
            }
        }
    }
    parser.flush(&mut out);
    for event in out.drain(..) {
        if p.events.send(event).await.is_err() {
            return;
        }
    }
}

/// Cuts the connection after [`IDLE_GRACE`], if its app has not ended it by then (the app's
/// input has ended: it ends, and the writer closes the channel).
fn cut_later(handle: Option<Handle>, why: String) {
    if let Some(handle) = handle {
        tokio::spawn(async move {
            tokio::time::sleep(IDLE_GRACE).await;
            let _ = handle
                .disconnect(russh::Disconnect::ByApplication, why, "en".into())
                .await;
        });
    }
}

/// The writer's inputs.
struct Writer {
    rx: mpsc::Receiver<Vec<u8>>,
    write: ChannelWriteHalf<Msg>,
    alive: watch::Receiver<()>,
    cut: watch::Receiver<bool>,
    done: oneshot::Receiver<u32>,
    thread: std::thread::JoinHandle<()>,
    sessions: Sessions,
    name: String,
    /// Who, as the log says it (see [`Start::who`]).
    who: String,
    cause: Cause,
    log_note: LogNote,
    /// The connection, and its sessions running.
    connection: (Handle, Arc<AtomicUsize>),
}

/// The log's cause of a session the server's stop ended.
const STOPPING: &str = "the server is stopping";

/// A text from the app for the log: on one line, cut.
fn log_text(text: &str) -> String {
    use crate::domain::text::{cut_after, one_line};
    one_line(&cut_after(text, 2 * crate::error::QUOTED_CHARS)).into_owned()
}

/// Waits until the server cuts the sessions that have not ended ([`Sessions::cut_all`]);
/// for ever if it never does.
async fn cut_now(cut: &mut watch::Receiver<bool>) {
    if cut.wait_for(|&cut| cut).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The app's output to the channel, then its exit status; joins the app's thread.
async fn writer(mut w: Writer) {
    let mut open = true;
    loop {
        let chunk = tokio::select! {
            chunk = w.rx.recv() => chunk,
            () = cut_now(&mut w.cut) => {
                // The app has not ended in time: its terminal is put back from here, and the
                // channel ends as a session's does (its exit status, EOF and close), without
                // waiting for the app: the client leaves by itself before the cut. (Only the
                // reset was sent, and the cut 0.3 s later made OpenSSH exit with 255 before it
                // had written it out.)
                let _ = w.cause.set(STOPPING.into());
                let mut tail = RESTORE.to_vec();
                let line = w.sessions.stop.borrow().clone();
                if let Some(line) = line {
                    tail.extend_from_slice(format!("{line}\r\n").as_bytes());
                }
                if w.write.data_bytes(tail).await.is_ok() {
                    let _ = w.write.exit_status(0).await;
                    let _ = w.write.eof().await;
                    let _ = w.write.close().await;
                }
                open = false;
                break;
            }
        };
        let Some(chunk) = chunk else { break };
        tokio::select! {
            sent = w.write.data_bytes(chunk) => if sent.is_err() {
                open = false;
                break;
            },
            _ = w.alive.changed() => {
                open = false;
                break;
            }
        }
    }
    // From here the app's writes fail at once.
    drop(w.rx);
    let code = w.done.await.unwrap_or(1);
    if open {
        let _ = w.write.exit_status(code).await;
        let _ = w.write.eof().await;
        let _ = w.write.close().await;
    }
    let thread = w.thread;
    let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    w.sessions.ended();
    w.sessions.release(&w.name);
    // Why it ended (it said only `alice's session ended`, whether she quit, her connection
    // dropped or the server stopped), and the drafts kept for her next session.
    let cause = w.cause.get().map_or("quit", String::as_str);
    match w.log_note.get() {
        Some(note) => crate::serve::say!("{}'s session ended: {cause}; {note}", w.who),
        None => crate::serve::say!("{}'s session ended: {cause}", w.who),
    }
    let (handle, running) = w.connection;
    if running.fetch_sub(1, Ordering::AcqRel) == 1 {
        // Its last session: closed, unless it opened another meanwhile.
        tokio::spawn(async move {
            tokio::time::sleep(NO_SESSION_GRACE).await;
            if running.load(Ordering::Acquire) == 0 {
                let _ = handle
                    .disconnect(
                        russh::Disconnect::ByApplication,
                        "no session open".into(),
                        "en".into(),
                    )
                    .await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    struct Harness {
        link: InputLink,
        events: mpsc::Receiver<Event>,
        farewell: Arc<OnceLock<String>>,
        task: tokio::task::JoinHandle<()>,
    }

    fn harness(idle: Option<Duration>) -> Harness {
        let (tx, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        let (ev_tx, ev_rx) = mpsc::channel(EVENT_QUEUE);
        let farewell: Arc<OnceLock<String>> = Arc::default();
        let ending = Ending {
            farewell: farewell.clone(),
            cut: Arc::default(),
        };
        let task = tokio::spawn(pump(Pump {
            rx,
            queued: queued.clone(),
            events: ev_tx,
            escape_timeout: Duration::from_millis(50),
            idle_timeout: idle,
            handle: None,
            ending: ending.clone(),
            stop: Sessions::default().stop.subscribe(),
            who: "alice (collector) from ? (?)".into(),
            cause: Cause::default(),
        }));
        Harness {
            link: InputLink { tx, queued, ending },
            events: ev_rx,
            farewell,
            task,
        }
    }

    fn key(code: KeyCode) -> Event {
        Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    /// Lets the pump run until it waits again, at the same (paused) time.
    async fn settle() {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_arrow_in_two_packets_20ms_apart_is_an_arrow() {
        let mut h = harness(None);
        h.link.bytes(b"\x1b").unwrap();
        settle().await;
        tokio::time::advance(Duration::from_millis(20)).await;
        h.link.bytes(b"[A").unwrap();
        settle().await;
        assert_eq!(h.events.try_recv().unwrap(), key(KeyCode::Up));
        assert!(h.events.try_recv().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_lone_esc_is_esc_after_the_timeout_and_not_before() {
        let mut h = harness(None);
        h.link.bytes(b"\x1b").unwrap();
        settle().await;
        tokio::time::advance(Duration::from_millis(40)).await;
        settle().await;
        assert!(h.events.try_recv().is_err(), "still waiting at 40 ms");
        tokio::time::advance(Duration::from_millis(20)).await;
        settle().await;
        assert_eq!(h.events.try_recv().unwrap(), key(KeyCode::Esc));
        // A key typed later is its own key, not Alt with it.
        h.link.bytes(b"x").unwrap();
        settle().await;
        assert_eq!(h.events.try_recv().unwrap(), key(KeyCode::Char('x')));
    }

    #[tokio::test(start_paused = true)]
    async fn resizes_keep_their_place_among_keys() {
        let mut h = harness(None);
        h.link.bytes(b"a").unwrap();
        h.link.resize(100, 30).unwrap();
        h.link.bytes(b"b").unwrap();
        settle().await;
        assert_eq!(h.events.try_recv().unwrap(), key(KeyCode::Char('a')));
        assert_eq!(h.events.try_recv().unwrap(), Event::Resize(100, 30));
        assert_eq!(h.events.try_recv().unwrap(), key(KeyCode::Char('b')));
    }

    #[tokio::test(start_paused = true)]
    async fn input_ends_when_the_client_goes_and_held_esc_is_delivered() {
        let mut h = harness(None);
        h.link.bytes(b"\x1b").unwrap();
        drop(h.link);
        settle().await;
        assert_eq!(h.events.recv().await, Some(key(KeyCode::Esc)));
        assert_eq!(h.events.recv().await, None, "input closed");
        h.task.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_session_is_ended_with_a_notice() {
        let mut h = harness(Some(Duration::from_secs(60 * 60)));
        tokio::time::advance(Duration::from_secs(59 * 60)).await;
        h.link.bytes(b"k").unwrap();
        settle().await;
        assert_eq!(h.events.recv().await, Some(key(KeyCode::Char('k'))));
        // A key restarts the hour.
        tokio::time::advance(Duration::from_secs(59 * 60)).await;
        settle().await;
        assert!(h.events.try_recv().is_err());
        tokio::time::advance(Duration::from_secs(2 * 60)).await;
        settle().await;
        assert_eq!(h.events.recv().await, None, "input closed");
        assert_eq!(
            h.farewell.get().unwrap(),
            "owed: disconnected after 60 minutes without input"
        );
    }

    /// A session's input whose pump never reads (kept, so that sends do not fail).
    fn unread() -> (InputLink, mpsc::UnboundedReceiver<Incoming>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let link = InputLink {
            tx,
            queued: Arc::new(AtomicUsize::new(0)),
            ending: Ending {
                farewell: Arc::default(),
                cut: Arc::default(),
            },
        };
        (link, rx)
    }

    #[tokio::test]
    async fn a_flood_of_unread_input_is_refused() {
        let (link, _pump) = unread();
        let packet = vec![b'a'; 32 * 1024];
        let sent = (0..).take_while(|_| link.bytes(&packet).is_ok()).count();
        assert_eq!(sent, MAX_QUEUED_INPUT / packet.len());
    }

    #[tokio::test]
    async fn a_storm_of_unread_window_changes_is_refused_and_read_ones_are_not() {
        let (link, _pump) = unread();
        let sent = (0..).take_while(|_| link.resize(80, 24).is_ok()).count();
        assert_eq!(sent, MAX_QUEUED_INPUT / RESIZE_COST);
        // Taken by the pump as they come, they never add up.
        let mut h = harness(None);
        for _ in 0..2 * MAX_QUEUED_INPUT / RESIZE_COST {
            h.link.resize(100, 30).unwrap();
            settle().await;
            assert_eq!(h.events.recv().await, Some(Event::Resize(100, 30)));
        }
    }

    #[test]
    fn thread_names_are_safe() {
        assert_eq!(thread_name("alice"), "owed-ssh-alice");
        assert_eq!(thread_name("a\0b c\n"), "owed-ssh-abc");
    }

    #[test]
    fn output_is_sent_at_flush_and_fails_once_the_client_is_gone() {
        use std::io::Write;
        let (tx, mut rx) = mpsc::channel(OUTPUT_CHUNKS);
        let mut out = Output {
            buf: Vec::new(),
            tx,
        };
        out.write_all(b"frame").unwrap();
        assert!(rx.try_recv().is_err(), "nothing before the flush");
        out.flush().unwrap();
        assert_eq!(rx.try_recv().unwrap(), b"frame");
        out.write_all(&vec![b'x'; CHUNK]).unwrap();
        assert_eq!(
            rx.try_recv().unwrap().len(),
            CHUNK,
            "a big write goes unflushed"
        );
        drop(rx);
        let e = out.write_all(b"more").unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    }
}
