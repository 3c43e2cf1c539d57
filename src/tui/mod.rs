//! The workstation's screens: metrics bar, receivables chart, collector queue and customer
//! detail in the terminal.
//!
//! - [`app`]: the state; [`update`]: keys, actions and answers change it (pure, tested
//!   without a terminal); [`view`]: draws it.
//! - [`keymap`] and [`theme`]: TOML files with names for actions and styles.
//!
//! The data comes from the workstation's service ([`crate::workstation`]) through requests
//! and answers in its own view types: nothing here opens the database or reads the command
//! line (the caller builds the [`Setup`]).
//!
//! The loop blocks until something happens (a key, a resize, an answer), handles everything
//! queued, then draws once: no timer, no CPU while idle. The terminal (alternate screen, raw
//! mode, no mouse capture) is restored on every exit path, panics included.

pub mod action;
pub mod app;
pub mod engage;
pub mod forecast;
pub mod form;
pub mod forms;
pub mod keymap;
pub mod theme;
pub mod update;
pub mod view;

use crate::domain::Date;
use crate::workstation::engage::worker::{self as engage_worker, EngageSettings, EngageWorker};
use crate::workstation::{self as service, PortfolioWorker, Response, Settings};
use crate::{Error, Result};
use app::{App, Session};
use crossterm::event::Event;
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute, queue};
use keymap::Keymap;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{BufWriter, IsTerminal, Stdout, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use theme::Theme;
use update::Effect;

/// What wakes the loop.
enum UiEvent {
    Terminal(Event),
    Data(Response),
    Engage(engage::EngageResponse),
    /// The terminal cannot be read any more.
    InputFailed(String),
    /// The data worker stopped.
    WorkerGone,
}

/// Everything the screens need, built by the caller (the command line, or `owed serve` for a
/// session).
#[derive(Debug, Clone)]
pub struct Setup {
    /// Who works and in what currency and buckets.
    pub session: Session,
    pub keymap: Keymap,
    pub theme: Theme,
    /// What the collector-action forms take from the config.
    pub actions: forms::ActionSettings,
    /// The date the figures are as of at the start.
    pub as_of: Date,
    /// The date was chosen (`--as-of`) rather than today: the title says so.
    pub as_of_given: bool,
}

impl Setup {
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
        app
    }
}

/// Refuses to start without a terminal on both sides.
pub fn ensure_terminal() -> Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::input(
            "the workstation needs a terminal; for scripts use the subcommands (see `owed --help`)",
        ));
    }
    Ok(())
}

/// Runs the workstation in this terminal on the database at `db` until the collector quits.
pub fn run_local(
    setup: Setup,
    db: &Path,
    settings: Settings,
    engage_settings: EngageSettings,
) -> Result<()> {
    let source = PortfolioWorker::open(db, settings)?
        .with_dispute_reasons(setup.actions.dispute_reasons.clone());
    let mut app = setup.app();
    let (tx, rx) = mpsc::channel::<UiEvent>();
    let link = WorkerLink(tx.clone());
    let worker = service::portfolio::spawn(source, move |r| link.0.send(UiEvent::Data(r)).is_ok())?;
    let engage_source = EngageWorker::open(db, engage_settings, engage_worker::smtp_mailer())?;
    let engage_tx = tx.clone();
    let engage_worker = engage_worker::spawn(engage_source, move |r| {
        engage_tx.send(UiEvent::Engage(r)).is_ok()
    })?;

    // Our themes already honour NO_COLOR; crossterm's own NO_COLOR handling would turn colour
    // changes into bare resets that wipe reverse video.
    crossterm::style::force_color_output(true);
    let _guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(BufWriter::with_capacity(
        1 << 16,
        std::io::stdout(),
    )))?;
    let input = spawn_input(tx)?;
    let size = terminal.size()?;
    // The size first, then one batch: the figures and the first page together.
    app.size = (size.width, size.height);
    let mut effects = update::start(&mut app);
    let mut dirty = true;
    // Effects of effects (the editor's text), run before waiting again.
    let mut pending: Vec<Effect> = Vec::new();
    loop {
        // A resize whose event is still queued: lay out for the size the terminal has now.
        let size = terminal.size()?;
        if (size.width, size.height) != app.size {
            effects.extend(update::resize(&mut app, size.width, size.height));
            dirty = true;
        }
        for effect in effects.drain(..) {
            match effect {
                Effect::Request(request) => worker
                    .send(request)
                    .map_err(|_| Error::runtime("the data worker stopped"))?,
                Effect::Engage(request) => engage_worker
                    .send(request)
                    .map_err(|_| Error::runtime("the engagement worker stopped"))?,
                Effect::Clear => {
                    wipe(&mut terminal)?;
                    dirty = true;
                }
                Effect::Quit => return Ok(()),
                Effect::Edit { text, instructions } => {
                    let result = outside(&input, || crate::editor::edit(&text, &instructions))?;
                    wipe(&mut terminal)?;
                    dirty = true;
                    pending.extend(forms::edited(&mut app, result.map_err(|e| e.to_string())));
                }
            }
        }
        effects.append(&mut pending);
        if !effects.is_empty() {
            continue;
        }
        if dirty {
            draw(&mut terminal, &app)?;
            dirty = false;
        }
        // Block until something happens, then take everything that is queued.
        let first = rx
            .recv()
            .map_err(|_| Error::runtime("the terminal and the data worker are gone"))?;
        for event in std::iter::once(first).chain(rx.try_iter()) {
            match event {
                UiEvent::Terminal(Event::Key(k)) => {
                    effects.extend(update::key(&mut app, k));
                    dirty = true;
                }
                UiEvent::Terminal(Event::Resize(w, h)) => {
                    effects.extend(update::resize(&mut app, w, h));
                    dirty = true;
                }
                UiEvent::Terminal(_) => {}
                UiEvent::Data(response) => {
                    effects.extend(update::response(&mut app, response));
                    dirty = true;
                }
                UiEvent::Engage(response) => {
                    effects.extend(engage::response(&mut app, response));
                    dirty = true;
                }
                UiEvent::InputFailed(e) => {
                    return Err(Error::runtime(format!("cannot read the terminal: {e}")));
                }
                UiEvent::WorkerGone => return Err(Error::runtime("the data worker stopped")),
            }
            if effects.contains(&Effect::Quit) {
                break;
            }
        }
    }
}

/// Draws one frame inside synchronized-update markers (the terminal shows it all at once).
fn draw(terminal: &mut Terminal<CrosstermBackend<BufWriter<Stdout>>>, app: &App) -> Result<()> {
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    terminal.draw(|frame| view::draw(frame, app))?;
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    Ok(())
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

/// Clears the screen and forgets what was drawn, so that the next frame is drawn whole.
/// (Not `Terminal::clear`, which asks the terminal where its cursor is: over a slow link that
/// query can time out, and a terminal that does not answer stops the workstation.)
fn wipe(terminal: &mut Terminal<CrosstermBackend<BufWriter<Stdout>>>) -> Result<()> {
    // An empty frame: ratatui's idea of the screen becomes blank, then the screen too.
    terminal.draw(|_| {})?;
    execute!(
        terminal.backend_mut(),
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    Ok(())
}

/// Reads terminal events on their own thread and forwards them to the loop. It waits for a
/// key a little at a time, so that it can be paused while the editor runs.
fn spawn_input(tx: Sender<UiEvent>) -> Result<std::sync::Arc<InputControl>> {
    let control = std::sync::Arc::new(InputControl::default());
    let reader = std::sync::Arc::clone(&control);
    std::thread::Builder::new()
        .name("owed-input".into())
        .spawn(move || {
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

/// Runs `f` (the editor) on the normal screen in cooked mode, with the input reader paused,
/// and puts the workstation's terminal back afterwards.
fn outside<T>(input: &InputControl, f: impl FnOnce() -> T) -> Result<T> {
    input.pause();
    restore_terminal();
    let result = f();
    crossterm::terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(std::io::stdout(), EnterAlternateScreen, cursor::Hide)?;
    input.resume();
    Ok(result)
}

/// Tells the loop when the worker's side of the channel goes away (it ended or panicked).
struct WorkerLink(Sender<UiEvent>);

impl Drop for WorkerLink {
    fn drop(&mut self) {
        let _ = self.0.send(UiEvent::WorkerGone);
    }
}

/// Whether the terminal is in the workstation's modes (raw, alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal in raw mode on the alternate screen, and puts it back when dropped, or
/// when anything panics.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> Result<TerminalGuard> {
        install_panic_hook();
        crossterm::terminal::enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = TerminalGuard;
        execute!(std::io::stdout(), EnterAlternateScreen, cursor::Hide)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Leaves the alternate screen, shows the cursor and leaves raw mode, once.
fn restore_terminal() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = std::io::stdout();
        let _ = execute!(out, LeaveAlternateScreen, cursor::Show);
        let _ = crossterm::terminal::disable_raw_mode();
        let _ = out.flush();
    }
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}
