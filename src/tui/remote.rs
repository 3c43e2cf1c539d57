//! The workstation in a terminal this process does not own: an SSH session of `owed serve`.
//!
//! The caller (one thread per SSH session) parses the channel's bytes into terminal events
//! and pushes them through an [`EventSender`]; [`run_remote`] runs the same session loop as
//! the local terminal, drawing to any [`Write`] (ratatui's crossterm backend over it, each
//! frame inside synchronized-update markers), at the size the client gave and with what its
//! terminal can show ([`Capabilities`]: colour depth, Unicode or ASCII). Nothing here reads
//! the process's own terminal or asks the client anything (no cursor-position queries): the
//! size comes from the caller, and changes as [`Event::Resize`] events.
//!
//! When the input ends ([`EventSender::close`], or the sender dropped: the connection went
//! away) the loop stops; a form half-typed is handed to the service as the user's draft, and
//! their next session reopens it. There is no `$EDITOR` in a remote session: `Ctrl-E` in a
//! form says so.

use super::event_loop::{self, Ended, Front, UiEvent};
use super::screen::Screen;
use super::{Setup, action_forms, update};
use crate::Result;
use crate::domain::text::in_ascii;
use crate::workstation::Session;
use crossterm::event::Event;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::Color;
use std::io::Write;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use unicode_width::UnicodeWidthStr;

pub use crate::terminal::{Capabilities, ColorDepth};

/// Terminal events sent and not yet taken by the loop, at the most: past it the sender waits,
/// so that a client typing faster than the workstation works is held back where its input
/// is counted (and cut once too far ahead) instead of queueing here without end.
const IN_FLIGHT: usize = 256;

/// The terminal events between the sender and the loop.
#[derive(Debug, Default)]
struct Gate {
    state: Mutex<GateState>,
    room: Condvar,
}

#[derive(Debug, Default)]
struct GateState {
    in_flight: usize,
    /// The loop has ended: nothing more is taken.
    closed: bool,
}

impl Gate {
    /// Waits for room for one more event; false once the loop has ended.
    fn enter(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while state.in_flight >= IN_FLIGHT && !state.closed {
            state = self.room.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.in_flight += 1;
        !state.closed
    }

    fn taken(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.in_flight = state.in_flight.saturating_sub(1);
        self.room.notify_one();
    }

    fn close(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).closed = true;
        self.room.notify_all();
    }
}

/// Closes the gate when the loop ends, however it ends.
struct Closing(Arc<Gate>);

impl Drop for Closing {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Where the caller's terminal events go: keys, resizes, and the end of the input.
pub struct EventSender {
    tx: Sender<UiEvent>,
    gate: Arc<Gate>,
}

impl EventSender {
    /// Passes an event on, waiting while the loop has [`IN_FLIGHT`] not taken yet; false
    /// when the session has ended (nobody reads any more).
    pub fn send(&self, event: Event) -> bool {
        self.gate.enter() && self.tx.send(UiEvent::Terminal(event)).is_ok()
    }

    /// The input has ended (the connection dropped): the session stops, keeping any draft.
    /// Dropping the sender says the same.
    pub fn close(self) {}
}

impl Drop for EventSender {
    fn drop(&mut self) {
        let _ = self.tx.send(UiEvent::InputClosed);
    }
}

/// The session loop's side of the events (give it to [`run_remote`]).
pub struct Events {
    rx: Receiver<UiEvent>,
    /// For the service's answers, which wake the same loop.
    tx: Sender<UiEvent>,
    gate: Arc<Gate>,
}

/// A pair: the caller pushes events into the [`EventSender`], [`run_remote`] takes the
/// [`Events`].
pub fn events() -> (EventSender, Events) {
    let (tx, rx) = mpsc::channel();
    let gate = Arc::new(Gate::default());
    (
        EventSender {
            tx: tx.clone(),
            gate: Arc::clone(&gate),
        },
        Events { rx, tx, gate },
    )
}

/// Runs the workstation for one session until the collector quits or the input ends,
/// drawing to `out` at `size` (columns, rows) with what `caps` says the terminal shows.
/// The session is the service's ([`crate::workstation::Workstation::connect`]); it ends
/// when this returns.
pub fn run_remote<W: Write>(
    setup: Setup,
    session: Session,
    events: Events,
    out: W,
    size: (u16, u16),
    caps: Capabilities,
) -> RemoteEnd {
    let mut drafts_kept = 0;
    let result = run_session(setup, session, events, out, size, caps, &mut drafts_kept);
    RemoteEnd {
        result,
        drafts_kept,
    }
}

/// How a remote session ended.
#[derive(Debug)]
pub struct RemoteEnd {
    /// The loop's end (an error is shown to the user).
    pub result: Result<()>,
    /// The drafts it kept for the user's next session (the server's log says so).
    pub drafts_kept: usize,
}

/// [`run_remote`]'s session; `drafts_kept` is set once it ends, however it ends.
fn run_session<W: Write>(
    setup: Setup,
    session: Session,
    events: Events,
    out: W,
    size: (u16, u16),
    caps: Capabilities,
    drafts_kept: &mut usize,
) -> Result<()> {
    // The themes honour the depth; crossterm's own NO_COLOR handling (this process's
    // environment, not the client's) must not turn colours into bare resets.
    crossterm::style::force_color_output(true);
    let mut setup = setup;
    setup.fit_to(&caps);
    let Events { rx, tx, gate } = events;
    let _closing = Closing(Arc::clone(&gate));
    event_loop::deliver_to_loop(&session, tx);
    let mut backend = SessionBackend {
        inner: CrosstermBackend::new(out),
        size: Size::new(size.0, size.1),
        caps,
    };
    execute!(
        backend,
        EnterAlternateScreen,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    let mut front = RemoteFront {
        terminal: Screen::new(Terminal::new(backend)?),
        gate,
    };
    let mut app = setup.app_for(&session);
    app.size = size;
    app.remote = true;
    app.ascii = !caps.unicode;
    // Text measured on this session's thread (not only in a frame) is measured as drawn.
    let _ascii = super::view::text::AsciiFrame::set(app.ascii);
    // Pictures in half blocks, whatever the server's config says: nothing is asked of the
    // client's terminal, and only cells leave the server.
    app.graphics = Some(super::graphics::Protocol::HalfBlocks);
    let mut effects = update::start(&mut app);
    // Their own folder of the files folder is not theirs alone: said at once, not at the
    // first export.
    if let Some(why) = app.files.own_folder_refused() {
        app.say_error(format!("{why}; until then :export and attaching refuse it"));
    }
    effects.extend(action_forms::bring_back(&mut app, session.take_drafts()));
    let ended = event_loop::run(&mut app, &session, &rx, &mut front, effects);
    // The drafts kept with Esc, and a form half-typed (however the loop ended but by `q`),
    // go to the user's next session.
    *drafts_kept = session.keep_drafts(action_forms::drafts_to_keep(
        &app,
        !matches!(ended, Ok(Ended::Quit)),
    ));
    if matches!(ended, Ok(Ended::Quit)) {
        // The client's terminal as it was (when the connection is still there).
        let backend = front.terminal.backend_mut();
        let _ = execute!(
            backend,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            cursor::Show
        );
    }
    ended.map(|_| ())
}

/// An SSH session's terminal: frames to the channel, the size from the client's events, no
/// editor.
struct RemoteFront<W: Write> {
    terminal: Screen<SessionBackend<W>>,
    gate: Arc<Gate>,
}

impl<W: Write> Front for RemoteFront<W> {
    type Backend = SessionBackend<W>;

    fn terminal(&mut self) -> &mut Screen<Self::Backend> {
        &mut self.terminal
    }

    fn resized(&mut self, width: u16, height: u16) {
        self.terminal.backend_mut().size = Size::new(width, height);
    }

    fn input_taken(&mut self) {
        self.gate.taken();
    }

    fn suspend(&mut self) -> Result<Option<String>> {
        Ok(Some(
            "Ctrl-Z stops only a workstation in your own shell; over SSH, :q ends the session."
                .to_string(),
        ))
    }

    fn edit(
        &mut self,
        _text: &str,
        _instructions: &str,
    ) -> Result<std::result::Result<String, String>> {
        Ok(Err(
            "No $EDITOR over SSH: type the text here (the form keeps it).".to_string(),
        ))
    }
}

/// Crossterm's backend over the session's writer, at the size the client said, drawing each
/// cell as its terminal can show it. It never asks the terminal anything.
pub struct SessionBackend<W: Write> {
    inner: CrosstermBackend<W>,
    size: Size,
    caps: Capabilities,
}

impl<W: Write> Write for SessionBackend<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

impl<W: Write> Backend for SessionBackend<W> {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let caps = self.caps;
        let out = &mut self.inner;
        if caps.unicode && caps.colors == ColorDepth::TrueColor {
            return super::sgr::draw(out, content);
        }
        let cells: Vec<(u16, u16, Cell)> = content
            .map(|(x, y, cell)| (x, y, adapt(cell, caps)))
            .collect();
        super::sgr::draw(out, cells.iter().map(|(x, y, c)| (*x, *y, c)))
    }

    fn hide_cursor(&mut self) -> std::io::Result<()> {
        self.inner.hide_cursor()
    }

    /// A client already gone needs no cursor: not an error (ratatui would print one on the
    /// server's log for every dropped connection).
    fn show_cursor(&mut self) -> std::io::Result<()> {
        match self.inner.show_cursor() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }

    /// Never asked of the client (over a slow link the answer times out): the origin.
    fn get_cursor_position(&mut self) -> std::io::Result<Position> {
        Ok(Position::ORIGIN)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> std::io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> std::io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> std::io::Result<Size> {
        Ok(self.size)
    }

    fn window_size(&mut self) -> std::io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size,
            pixels: Size::new(0, 0),
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

/// A cell as a terminal with `caps` shows it.
pub(crate) fn adapt(cell: &Cell, caps: Capabilities) -> Cell {
    let mut cell = cell.clone();
    cell.fg = color(cell.fg, caps.colors);
    cell.bg = color(cell.bg, caps.colors);
    if !caps.unicode && !cell.symbol().is_ascii() {
        let ascii = ascii(cell.symbol());
        cell.set_symbol(&ascii);
    }
    cell
}

/// A colour within a depth: the nearest one the terminal has.
pub(crate) fn color(c: Color, depth: ColorDepth) -> Color {
    match (depth, c) {
        (ColorDepth::TrueColor, c) => c,
        (ColorDepth::Mono, _) => Color::Reset,
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Color::Indexed(nearest_256(r, g, b)),
        (ColorDepth::Ansi256, c) => c,
        (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => nearest_16(r, g, b),
        (ColorDepth::Ansi16, Color::Indexed(i)) if i >= 16 => {
            let (r, g, b) = rgb_of_index(i);
            nearest_16(r, g, b)
        }
        (ColorDepth::Ansi16, c) => c,
    }
}

/// The 16 ANSI colours as xterm draws them.
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).unsigned_abs();
    d(a.0, b.0).pow(2) + d(a.1, b.1).pow(2) + d(a.2, b.2).pow(2)
}

fn nearest_16(r: u8, g: u8, b: u8) -> Color {
    ANSI16
        .iter()
        .min_by_key(|(_, rgb)| distance(*rgb, (r, g, b)))
        .map_or(Color::Reset, |(c, _)| *c)
}

/// The levels of the xterm colour cube.
const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

fn rgb_of_index(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => ANSI16[usize::from(i)].1,
        16..=231 => {
            let i = i - 16;
            (
                CUBE[usize::from(i / 36)],
                CUBE[usize::from(i / 6 % 6)],
                CUBE[usize::from(i % 6)],
            )
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    (16..=255u8)
        .min_by_key(|i| distance(rgb_of_index(*i), (r, g, b)))
        .unwrap_or(16)
}

/// A cell's symbol in ASCII, as wide as it was: what reaches a cell without being spelt
/// before it was laid out (lines, corners and bars the widgets draw, an ellipsis a cut added),
/// spelt as [`in_ascii`] spells text, cut or padded to the cell's columns (`█` → `#`, `東` →
/// `??`; `ß`, alone in its cell, its first letter).
fn ascii(symbol: &str) -> String {
    let width = symbol.width();
    let mut spelt: String = in_ascii(symbol).chars().take(width).collect();
    if spelt.is_empty() && width > 0 {
        spelt.push('?');
    }
    while spelt.len() < width {
        spelt.push(' ');
    }
    spelt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_waits_once_the_loop_is_behind_and_goes_on_as_it_takes() {
        let gate = Arc::new(Gate::default());
        for _ in 0..IN_FLIGHT {
            assert!(gate.enter());
        }
        let (tx, rx) = mpsc::channel();
        let sender = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || {
                let entered = gate.enter();
                tx.send(entered).unwrap();
                // The loop has ended: a sender waiting is let go, and told so.
                let after = gate.enter();
                tx.send(after).unwrap();
            })
        };
        let wait = std::time::Duration::from_millis(200);
        assert!(
            rx.recv_timeout(wait).is_err(),
            "it waits while the loop is behind"
        );
        gate.taken();
        assert_eq!(rx.recv_timeout(wait * 10), Ok(true));
        assert!(rx.recv_timeout(wait).is_err(), "full again");
        gate.close();
        assert_eq!(rx.recv_timeout(wait * 10), Ok(false));
        sender.join().unwrap();
    }

    #[test]
    fn colours_come_down_to_what_the_terminal_has() {
        assert_eq!(
            color(Color::Rgb(250, 10, 10), ColorDepth::Ansi16),
            Color::LightRed
        );
        assert_eq!(
            color(Color::Indexed(196), ColorDepth::Ansi16),
            Color::LightRed
        );
        assert_eq!(
            color(Color::Rgb(255, 0, 0), ColorDepth::Ansi256),
            Color::Indexed(196)
        );
        assert_eq!(color(Color::Blue, ColorDepth::Ansi16), Color::Blue);
        assert_eq!(color(Color::Blue, ColorDepth::Mono), Color::Reset);
        assert_eq!(
            color(Color::Rgb(1, 2, 3), ColorDepth::TrueColor),
            Color::Rgb(1, 2, 3)
        );
    }

    #[test]
    fn symbols_in_ascii_keep_their_width() {
        assert_eq!(ascii("─"), "-");
        assert_eq!(ascii("┌"), "+");
        assert_eq!(ascii("█"), "#");
        assert_eq!(ascii("…"), "~");
        assert_eq!(ascii("▼"), "v");
        assert_eq!(ascii("東"), "??");
        // Names keep their letters; a sparkline its shape.
        // (What the backend does: only what is not ASCII is changed.)
        let shown = |text: &str| -> String {
            text.chars()
                .map(|c| match c.is_ascii() {
                    true => c.to_string(),
                    false => ascii(&c.to_string()),
                })
                .collect()
        };
        assert_eq!(shown("Élan Müller Łódź Ørsted"), "Elan Muller Lodz Orsted");
        let spark = shown("▁▂▃▄▅▆▇█");
        assert_eq!(spark, "__-#####");
        assert_eq!(ascii("“"), "\"");
        assert_eq!(ascii("e\u{301}"), "e");
        assert_eq!(ascii("☃"), "?");
    }
}
