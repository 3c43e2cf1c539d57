//! The workstation's screens: metrics bar, receivables chart, collector queue and customer
//! detail in the terminal.
//!
//! - [`app`]: the state; [`update`]: keys, actions and answers change it (pure, tested
//!   without a terminal); [`view`]: draws it.
//! - [`keymap`] and [`theme`]: TOML files with names for actions and styles.
//! - [`commands`]: the `:` commands' table; `export`: `:export` and quitting while a file is
//!   written; [`action_forms`]: the collector actions' forms; [`engage`], [`team`],
//!   [`forecast`], [`viewer`]: the engagement screen, the team screen, the forecast's view
//!   and the attachment viewer.
//! - `event_loop`: the session loop, the same for every terminal; [`run_local`] runs it in
//!   this process's terminal, [`remote::run_remote`] in one it does not own (an SSH session of
//!   `owed serve`).
//!
//! The data comes from the workstation's service ([`crate::workstation`]): each screen is one
//! session of it, and asks and is answered in the service's own types. Nothing here opens the
//! database or reads the command line (the caller builds the [`Setup`]).
//!
//! The loop blocks until something happens (a key, a resize, an answer, a signal, midnight),
//! handles everything queued, then draws once: no CPU while idle. The local terminal
//! (alternate screen, raw mode, no mouse capture) is restored on every exit path, panics that
//! may end it and SIGTERM, SIGHUP and SIGINT included, and around a suspend ([`terminal`]).

pub mod action_forms;
pub mod app;
pub mod commands;
pub mod engage;
mod event_loop;
mod export;
pub mod field;
pub mod forecast;
pub mod graphics;
pub mod key_action;
pub mod keymap;
pub mod remote;
mod screen;
mod sgr;
pub mod team;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;
pub mod viewer;

use crate::domain::Date;
use crate::domain::users::Actor;
use crate::workstation::Workstation;
use crate::{Error, Result};
use app::{App, Session};
use event_loop::{Ended, Front, UiEvent};
use keymap::Keymap;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{BufWriter, IsTerminal, Stdout};
use std::sync::mpsc::{self, Sender};
use theme::Theme;

/// Everything the screens need, built by the caller (the command line, or `owed serve` for a
/// session).
#[derive(Debug, Clone)]
pub struct Setup {
    /// Who works and in what currency and buckets.
    pub session: Session,
    pub keymap: Keymap,
    pub theme: Theme,
    /// What the collector-action forms take from the config.
    pub actions: action_forms::ActionSettings,
    /// The date the figures are as of at the start.
    pub as_of: Date,
    /// The date was chosen (`--as-of`) rather than today: the title says so.
    pub as_of_given: bool,
    /// The saved views, shown as tabs after the built-in ones.
    pub views: Vec<crate::domain::queue::View>,
    /// The config file `:save NAME` adds a view to (`None`: views cannot be saved here).
    pub views_file: Option<std::path::PathBuf>,
    /// How pictures are shown in this process's terminal (over `owed serve`: half blocks).
    pub graphics: crate::config::GraphicsChoice,
    /// The ledger's time zone (`owed config time-zone`), which its days are counted in: the
    /// title names it beside the date.
    pub time_zone: Option<String>,
}

impl Setup {
    /// The theme a terminal that shows no colour gets: `mono`, which marks with bold, dim,
    /// reverse and underline what the colour themes mark with colour (a colour theme with its
    /// colours taken away would leave overdue amounts and days plain), locally and over SSH alike.
    pub fn fit_to(&mut self, caps: &remote::Capabilities) {
        if caps.colors == remote::ColorDepth::Mono
            && !self.theme.colourless()
            && let Some(mono) = Theme::builtin("mono")
        {
            self.theme = mono;
        }
    }

    /// The initial state.
    pub fn app(&self) -> App {
        let mut app = App::new(
            self.session.clone(),
            self.keymap.clone(),
            self.theme.clone(),
            self.as_of,
            self.as_of_given,
        );
        app.action_settings = self.actions.clone();
        app.views = self.views.clone();
        app.views_file = self.views_file.clone();
        app.time_zone = self.time_zone.clone();
        app.graphics = match self.graphics {
            crate::config::GraphicsChoice::Auto => None,
            crate::config::GraphicsChoice::Kitty => Some(graphics::Protocol::Kitty),
            crate::config::GraphicsChoice::Sixel => Some(graphics::Protocol::Sixel),
            crate::config::GraphicsChoice::Halfblocks => Some(graphics::Protocol::HalfBlocks),
        };
        app
    }

    /// The initial state of a session's screen: it knows whether the database can only be
    /// read and whom it serves (what it may write is refused at the key).
    pub fn app_for(&self, session: &crate::workstation::Session) -> App {
        let mut app = self.app();
        app.read_only = session.read_only();
        app.actor = Some(session.actor().clone());
        app.files = session.files().clone();
        // A database that cannot be read now fails the first page, which says why; the
        // filter meanwhile takes the config's reasons.
        app.issue_reasons = session.issue_reasons().unwrap_or_default();
        app
    }
}

/// Refuses to start without a terminal on both sides, or on one that cannot move its
/// cursor (`TERM=dumb`: an editor's shell buffer, a pipe-like console).
pub fn ensure_terminal() -> Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::input(
            "the workstation needs a terminal; for scripts use the subcommands (see `owed --help`)",
        ));
    }
    if std::env::var("TERM").is_ok_and(|t| t.trim().eq_ignore_ascii_case("dumb")) {
        return Err(Error::input(
            "the workstation cannot draw on TERM=dumb; run it in a terminal that moves its cursor (TERM=xterm or the like), or use the subcommands (see `owed --help`)",
        ));
    }
    Ok(())
}

/// What this process's terminal shows under `theme`, from its environment (`TERM`,
/// `COLORTERM`, the locale) by the rule an SSH client's terminal is read by
/// ([`crate::terminal`]): `LANG=C` draws in ASCII. `NO_COLOR` is heeded through the theme
/// (it chose `mono` unless `--theme` named another, which wins): under a theme without colour
/// nothing is drawn in colour, pictures included.
pub fn local_capabilities(theme: &Theme) -> remote::Capabilities {
    let term = std::env::var("TERM").unwrap_or_default();
    let mut caps = remote::Capabilities::detect(&term, |name| {
        (name != "NO_COLOR")
            .then(|| std::env::var(name).ok())
            .flatten()
    });
    if theme.colourless() {
        caps.colors = remote::ColorDepth::Mono;
    }
    caps
}

/// Runs the workstation in this terminal until the collector quits: one session of
/// `workstation` acting as `actor`.
pub fn run_local(setup: Setup, workstation: &Workstation, actor: Actor) -> Result<()> {
    let caps = local_capabilities(&setup.theme);
    let mut setup = setup;
    setup.fit_to(&caps);
    let session = workstation.connect(actor);
    let mut app = setup.app_for(&session);
    let (tx, rx) = mpsc::channel::<UiEvent>();
    event_loop::deliver_to_loop(&session, tx.clone());

    // Our themes already honour NO_COLOR; crossterm's own NO_COLOR handling would turn colour
    // changes into bare resets that wipe reverse video.
    crossterm::style::force_color_output(true);
    app.ascii = !caps.unicode;
    // Text measured on this thread (not only in a frame) is measured as it is drawn.
    let _ascii = view::text::AsciiFrame::set(app.ascii);
    let _guard = terminal::Guard::enter()?;
    let signal_tx = tx.clone();
    let _signals = terminal::watch_signals(move |s| signal_tx.send(UiEvent::Signal(s)).is_ok())?;
    let terminal = screen::Screen::new(Terminal::new(LocalBackend {
        inner: CrosstermBackend::new(BufWriter::with_capacity(1 << 16, std::io::stdout())),
        caps,
    })?);
    let input = spawn_input(tx)?;
    let mut front = LocalFront {
        terminal,
        input,
        choice: setup.graphics,
        protocol: None,
        placed: None,
        stale: false,
        encoded: None,
    };
    let size = front.terminal.size()?;
    // The size first, then one batch: the figures and the first page together.
    app.size = (size.width, size.height);
    if let Some(cell) = front.cell_pixels() {
        app.cell_pixels = cell;
    }
    let mut effects = update::start(&mut app);
    effects.extend(action_forms::bring_back(&mut app, session.take_drafts()));
    let ended = event_loop::run(&mut app, &session, &rx, &mut front, effects)?;
    session.keep_drafts(action_forms::drafts_to_keep(
        &app,
        ended == Ended::InputClosed,
    ));
    Ok(())
}

/// This process's terminal: stdout, measured by crossterm, `$EDITOR` run in it, pictures in
/// its own graphics when it has them ([`graphics`]).
struct LocalFront {
    terminal: screen::Screen<LocalBackend>,
    input: std::sync::Arc<InputControl>,
    /// The config's (or `OWED_GRAPHICS`') choice of graphics.
    choice: crate::config::GraphicsChoice,
    /// The graphics this terminal shows, once decided (asked at most once a run).
    protocol: Option<graphics::Protocol>,
    /// The picture placed over the cells, if any.
    placed: Option<Placed>,
    /// The screen was wiped since it was placed: place it again (or delete it).
    stale: bool,
    /// The escapes of the last picture placed (its request, protocol and area), kept for
    /// placing it again.
    encoded: Option<(u64, graphics::Protocol, ratatui::layout::Rect, Vec<u8>)>,
}

/// A picture placed in the terminal's graphics, and what the screen was when it was.
#[derive(Debug, Clone, PartialEq)]
struct Placed {
    protocol: graphics::Protocol,
    /// The request that made it.
    seq: u64,
    /// The cells it covers.
    area: ratatui::layout::Rect,
    screen: ratatui::layout::Rect,
    /// A digest of the frame's cells under it: when they change, it is placed again.
    cells: u64,
}

/// A digest of `buf`'s cells in `area`.
fn digest(buf: &ratatui::buffer::Buffer, area: ratatui::layout::Rect) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            buf.cell((x, y)).hash(&mut h);
        }
    }
    h.finish()
}

impl LocalFront {
    /// Takes the placed picture off the screen: kitty's deleted, a sixel's cells drawn again
    /// whole.
    fn remove(&mut self) -> Result<()> {
        if let Some(p) = self.placed.take() {
            match p.protocol {
                graphics::Protocol::Kitty => {
                    std::io::Write::write_all(
                        self.terminal.backend_mut(),
                        &graphics::kitty_delete(graphics::IMAGE_ID),
                    )?;
                }
                graphics::Protocol::Sixel if !self.stale => {
                    event_loop::wipe(&mut self.terminal)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Places `p` (the view's blank cells are drawn) in `protocol`, from its top-left cell,
    /// the cursor where it was.
    fn place(
        &mut self,
        protocol: graphics::Protocol,
        p: &view::attachment::Placement,
    ) -> Result<()> {
        let key = (p.seq, protocol, p.area);
        let cached = matches!(&self.encoded, Some((s, pr, a, _)) if (*s, *pr, *a) == key);
        if !cached {
            let bytes = match protocol {
                graphics::Protocol::Kitty => graphics::kitty(
                    graphics::IMAGE_ID,
                    &graphics::png(p.width, p.height, p.rgb),
                    p.area.width,
                    p.area.height,
                ),
                graphics::Protocol::Sixel => graphics::sixel(p.width, p.height, p.rgb),
                graphics::Protocol::HalfBlocks => Vec::new(),
            };
            self.encoded = Some((p.seq, protocol, p.area, bytes));
        }
        let out = self.terminal.backend_mut();
        crossterm::queue!(
            out,
            crossterm::cursor::SavePosition,
            crossterm::cursor::MoveTo(p.area.x, p.area.y)
        )?;
        if let Some((.., bytes)) = &self.encoded {
            std::io::Write::write_all(out, bytes)?;
        }
        crossterm::queue!(out, crossterm::cursor::RestorePosition)?;
        Ok(())
    }
}

impl Drop for LocalFront {
    /// A kitty picture still shown goes with the workstation.
    fn drop(&mut self) {
        if self
            .placed
            .as_ref()
            .is_some_and(|p| p.protocol == graphics::Protocol::Kitty)
        {
            let out = self.terminal.backend_mut();
            let _ = std::io::Write::write_all(out, &graphics::kitty_delete(graphics::IMAGE_ID));
            let _ = std::io::Write::flush(out);
        }
    }
}

/// Crossterm's backend on stdout, drawing each cell as this terminal shows it (colours within
/// its depth, the 16 ANSI ones as 16-colour codes; ASCII when its locale has no Unicode).
struct LocalBackend {
    inner: CrosstermBackend<BufWriter<Stdout>>,
    caps: remote::Capabilities,
}

impl std::io::Write for LocalBackend {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::Write::flush(&mut self.inner)
    }
}

impl ratatui::backend::Backend for LocalBackend {
    type Error = std::io::Error;

    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>,
    {
        let caps = self.caps;
        let out = &mut self.inner;
        if caps.unicode && caps.colors == remote::ColorDepth::TrueColor {
            return sgr::draw(out, content);
        }
        let cells: Vec<(u16, u16, ratatui::buffer::Cell)> = content
            .map(|(x, y, cell)| (x, y, remote::adapt(cell, caps)))
            .collect();
        sgr::draw(out, cells.iter().map(|(x, y, c)| (*x, *y, c)))
    }

    fn hide_cursor(&mut self) -> std::io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> std::io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> std::io::Result<ratatui::layout::Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<ratatui::layout::Position>>(
        &mut self,
        position: P,
    ) -> std::io::Result<()> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> std::io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ratatui::backend::ClearType) -> std::io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> std::io::Result<ratatui::layout::Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> std::io::Result<ratatui::backend::WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> std::io::Result<()> {
        ratatui::backend::Backend::flush(&mut self.inner)
    }
}

impl Front for LocalFront {
    type Backend = LocalBackend;

    fn terminal(&mut self) -> &mut screen::Screen<Self::Backend> {
        &mut self.terminal
    }

    fn measured(&mut self) -> Option<(u16, u16)> {
        self.terminal.size().ok().map(|s| (s.width, s.height))
    }

    fn cell_pixels(&mut self) -> Option<(u16, u16)> {
        let w = crossterm::terminal::window_size().ok()?;
        (w.width > 0 && w.height > 0 && w.columns > 0 && w.rows > 0)
            .then(|| (w.width / w.columns, w.height / w.rows))
            .filter(|(cw, ch)| *cw > 0 && *ch > 0)
    }

    fn graphics(&mut self) -> Result<graphics::Protocol> {
        use crate::config::GraphicsChoice;
        if let Some(p) = self.protocol {
            return Ok(p);
        }
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let p = match self.choice {
            GraphicsChoice::Kitty => graphics::Protocol::Kitty,
            GraphicsChoice::Sixel => graphics::Protocol::Sixel,
            GraphicsChoice::Halfblocks => graphics::Protocol::HalfBlocks,
            GraphicsChoice::Auto
                if graphics::multiplexed(
                    var("TERM").as_deref(),
                    var("TMUX").is_some(),
                    var("STY").is_some(),
                ) =>
            {
                graphics::Protocol::HalfBlocks
            }
            GraphicsChoice::Auto => {
                // The answer is read here, raw: crossterm must not see it as keys.
                self.input.pause();
                let p = graphics::ask(self.terminal.backend_mut(), graphics::QUERY_TIMEOUT);
                self.input.resume();
                // A terminal that knows neither query may have printed it: draw afresh.
                event_loop::wipe(&mut self.terminal)?;
                self.wiped();
                p
            }
        };
        self.protocol = Some(p);
        Ok(p)
    }

    /// The frame, then the picture the viewer shows in the terminal's graphics, all inside
    /// synchronized-update markers. The picture is placed again only when something changed
    /// (another picture, area or screen size, the cells under it, a wipe) and taken off when
    /// the viewer closes or moves on.
    fn draw(&mut self, app: &app::App) -> Result<()> {
        use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
        crossterm::queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        let size = self.terminal.size()?;
        let screen = ratatui::layout::Rect::new(0, 0, size.width, size.height);
        let protocol = app.graphics.unwrap_or_default();
        let wanted = view::attachment::placement(app, screen)
            .filter(|_| protocol != graphics::Protocol::HalfBlocks);
        if wanted.is_none() {
            self.encoded = None;
        }
        if let Some(p) = &self.placed
            && wanted.is_none_or(|w| (w.seq, w.area, screen) != (p.seq, p.area, p.screen))
        {
            self.remove()?;
        }
        let frame = self.terminal.draw(|frame| view::draw(frame, app))?;
        let cells = wanted.map(|w| digest(frame.buffer, w.area));
        if let (Some(w), Some(cells)) = (wanted, cells) {
            let now = Placed {
                protocol,
                seq: w.seq,
                area: w.area,
                screen,
                cells,
            };
            if self.stale || self.placed.as_ref() != Some(&now) {
                // Kitty keeps one picture; a sixel is drawn over what the frame left.
                if self.placed.take().is_some() && protocol == graphics::Protocol::Kitty {
                    std::io::Write::write_all(
                        self.terminal.backend_mut(),
                        &graphics::kitty_delete(graphics::IMAGE_ID),
                    )?;
                }
                self.place(protocol, &w)?;
                self.placed = Some(now);
            }
        }
        self.stale = false;
        crossterm::execute!(self.terminal.backend_mut(), EndSynchronizedUpdate)?;
        Ok(())
    }

    fn wiped(&mut self) {
        self.stale = true;
    }

    fn edit(
        &mut self,
        text: &str,
        instructions: &str,
    ) -> Result<std::result::Result<String, String>> {
        let result = outside(&self.input, || crate::editor::edit(text, instructions))?;
        event_loop::wipe(&mut self.terminal)?;
        self.wiped();
        Ok(result.map_err(|e| e.to_string()))
    }

    fn suspend(&mut self) -> Result<Option<String>> {
        self.input.pause();
        terminal::restore();
        terminal::stop();
        // Continued: by `fg`, or by `kill -TERM %1` in the background (then it ends here).
        if let Some(signal) = terminal::wait_for_terminal() {
            return Err(Error::Signal(signal));
        }
        terminal::reclaim()?;
        self.input.resume();
        event_loop::wipe(&mut self.terminal)?;
        self.wiped();
        Ok(None)
    }

    fn reclaim(&mut self) -> Result<()> {
        // A SIGCONT after a stop from outside (`kill -STOP`): the terminal is taken back once
        // it is this process's again, unless a terminating signal came meanwhile.
        if let Some(signal) = terminal::wait_for_terminal() {
            return Err(Error::Signal(signal));
        }
        terminal::reclaim()
    }
}

/// How long the input reader waits for a key before it looks whether it must pause.
const INPUT_POLL: std::time::Duration = std::time::Duration::from_millis(150);

/// Lets the loop stop the input reader while another program (the editor) has the terminal.
#[derive(Default)]
struct InputControl {
    /// (paused: asked to stop reading, parked: it has stopped).
    state: std::sync::Mutex<(bool, bool)>,
    changed: std::sync::Condvar,
}

impl InputControl {
    /// Asks the reader to stop reading and waits until it has.
    fn pause(&self) {
        let Ok(mut s) = self.state.lock() else { return };
        s.0 = true;
        while !s.1 {
            match self.changed.wait(s) {
                Ok(next) => s = next,
                Err(_) => return,
            }
        }
    }

    /// Lets the reader read again.
    fn resume(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.0 = false;
            self.changed.notify_all();
        }
    }

    /// On the reader's side: waits while paused.
    fn wait_while_paused(&self) {
        let Ok(mut s) = self.state.lock() else { return };
        if !s.0 {
            return;
        }
        s.1 = true;
        self.changed.notify_all();
        while s.0 {
            match self.changed.wait(s) {
                Ok(next) => s = next,
                Err(_) => return,
            }
        }
        s.1 = false;
    }
}

/// Marks the input reader stopped for good when its thread ends, so that pausing it (for the
/// editor, or to read the terminal's answer about graphics) does not wait for it.
struct ReaderStopped(std::sync::Arc<InputControl>);

impl Drop for ReaderStopped {
    fn drop(&mut self) {
        if let Ok(mut s) = self.0.state.lock() {
            s.1 = true;
            self.0.changed.notify_all();
        }
    }
}

/// Reads terminal events on their own thread and forwards them to the loop. It waits for a
/// key a little at a time, so that it can be paused while the editor runs.
fn spawn_input(tx: Sender<UiEvent>) -> Result<std::sync::Arc<InputControl>> {
    let control = std::sync::Arc::new(InputControl::default());
    let reader = std::sync::Arc::clone(&control);
    std::thread::Builder::new()
        .name("owed-input".into())
        .spawn(move || {
            let _stopped = ReaderStopped(std::sync::Arc::clone(&reader));
            loop {
                reader.wait_while_paused();
                match crossterm::event::poll(INPUT_POLL) {
                    Ok(false) => continue,
                    Ok(true) => {}
                    Err(e) => {
                        let _ = tx.send(UiEvent::InputFailed(e.to_string()));
                        return;
                    }
                }
                match crossterm::event::read() {
                    Ok(event) => {
                        if tx.send(UiEvent::Terminal(event)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(UiEvent::InputFailed(e.to_string()));
                        return;
                    }
                }
            }
        })
        .map_err(|e| Error::runtime(format!("cannot start the input reader: {e}")))?;
    Ok(control)
}

/// Runs `f` (the editor, a stop) on the normal screen in cooked mode, with the input reader
/// paused, and puts the workstation's terminal back afterwards.
fn outside<T>(input: &InputControl, f: impl FnOnce() -> T) -> Result<T> {
    input.pause();
    terminal::restore();
    let result = f();
    terminal::reclaim()?;
    input.resume();
    Ok(result)
}
