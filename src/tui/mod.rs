//! The workstation: metrics bar, receivables chart, collector queue and customer detail in
//! the terminal.
//!
//! - [`app`]: the state; [`update`]: keys, actions and answers change it (pure, tested
//!   without a terminal); [`view`]: draws it.
//! - [`data`]: the worker thread that owns its own database connection and answers requests
//!   (figures, queue pages, customer detail) off the input path.
//! - [`keymap`] and [`theme`]: TOML files with names for actions and styles.
//!
//! The loop blocks until something happens (a key, a resize, an answer, a signal), handles
//! everything queued, then draws once: no timer, no CPU while idle. The terminal (alternate
//! screen, raw mode, no mouse capture) is restored on every exit path, panics and SIGTERM,
//! SIGHUP and SIGINT included, and around a suspend ([`terminal`]).

pub mod action;
pub mod app;
pub mod bench;
pub mod data;
pub mod engage;
pub mod forecast;
pub mod form;
pub mod forms;
pub mod keymap;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;

use crate::cli::Context;
use crate::{Error, Result};
use app::{App, Session};
use crossterm::event::Event;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{execute, queue};
use data::{DataSource, Response, Settings};
use keymap::Keymap;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{BufWriter, IsTerminal, Stdout};
use std::path::PathBuf;
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
    /// A signal to end, suspend or continue.
    Signal(terminal::Signal),
}

/// Everything the workstation needs from the command line and config.
pub struct Setup {
    pub settings: Settings,
    pub session: Session,
    pub keymap: Keymap,
    pub theme: Theme,
    /// What the collector-action forms take from the config.
    pub actions: forms::ActionSettings,
}

impl Setup {
    /// Reads the keymap and theme beside the config, and the arithmetic settings.
    pub fn from_context(ctx: &Context) -> Result<Setup> {
        let bounds = ctx.config.aging().map_err(Error::input)?;
        let config_dir: Option<PathBuf> = ctx
            .config
            .path
            .clone()
            .or_else(crate::config::default_config_path)
            .and_then(|p| p.parent().map(|d| d.to_path_buf()));
        let keymap = Keymap::load(
            config_dir
                .as_ref()
                .map(|d| d.join("keymap.toml"))
                .as_deref(),
        )?;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let theme = Theme::choose(
            ctx.theme.as_deref(),
            ctx.config.theme.as_deref(),
            no_color,
            config_dir.as_deref(),
        )?;
        Ok(Setup {
            settings: Settings {
                bounds: bounds.clone(),
                base_currency: ctx.config.base_currency.clone(),
                grace_days: ctx.config.promise_grace_days,
            },
            session: Session {
                collector: ctx.collector.clone(),
                base_currency: ctx.config.base_currency.clone(),
                bounds,
                today: crate::cli::today(),
            },
            keymap,
            theme,
            actions: forms::ActionSettings::from_config(&ctx.config),
        })
    }

    /// The initial state.
    pub fn app(&self, ctx: &Context) -> App {
        let mut app = App::new(
            self.session.clone(),
            self.keymap.clone(),
            self.theme.clone(),
            ctx.as_of,
            ctx.as_of_given,
        );
        app.action_settings = self.actions.clone();
        app
    }
}

/// Opens the workstation on the context's database and runs it until the collector quits.
pub fn run(ctx: &Context) -> Result<()> {
    run_at(ctx, &ctx.db_path)
}

/// Opens the workstation on the database at `db` (e.g. the demo's) with the context's
/// config, collector and date.
pub fn run_at(ctx: &Context, db: &std::path::Path) -> Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::input(
            "the workstation needs a terminal; for scripts use the subcommands (see `owed --help`)",
        ));
    }
    let setup = Setup::from_context(ctx)?;
    let source = DataSource::open(db, setup.settings.clone())?
        .with_dispute_reasons(setup.actions.dispute_reasons.clone());
    let mut app = setup.app(ctx);
    app.read_only = source.read_only();
    let (tx, rx) = mpsc::channel::<UiEvent>();
    let link = WorkerLink(tx.clone());
    let worker = data::spawn(source, move |r| link.0.send(UiEvent::Data(r)).is_ok())?;
    let engage_source = engage::worker::EngageSource::open(
        db,
        engage::worker::EngageSettings {
            config: ctx.config.clone(),
            collector: ctx.collector.clone(),
            retry: crate::engage::RetryPolicy::default(),
        },
        engage::worker::smtp_mailer(),
    )?;
    let engage_tx = tx.clone();
    let engage_worker = engage::worker::spawn(engage_source, move |r| {
        engage_tx.send(UiEvent::Engage(r)).is_ok()
    })?;

    // Our themes already honour NO_COLOR; crossterm's own NO_COLOR handling would turn colour
    // changes into bare resets that wipe reverse video.
    crossterm::style::force_color_output(true);
    let _guard = terminal::Guard::enter()?;
    let signal_tx = tx.clone();
    let _signals = terminal::watch_signals(move |s| signal_tx.send(UiEvent::Signal(s)).is_ok())?;
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
                Effect::Suspend => {
                    outside(&input, terminal::stop)?;
                    wipe(&mut terminal)?;
                    dirty = true;
                }
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
                UiEvent::Signal(terminal::Signal::Terminate(n)) => return Err(Error::Signal(n)),
                UiEvent::Signal(terminal::Signal::Suspend) => effects.push(Effect::Suspend),
                UiEvent::Signal(terminal::Signal::Continue) => {
                    terminal::reclaim()?;
                    effects.push(Effect::Clear);
                }
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

/// Tells the loop when the worker's side of the channel goes away (it ended or panicked).
struct WorkerLink(Sender<UiEvent>);

impl Drop for WorkerLink {
    fn drop(&mut self) {
        let _ = self.0.send(UiEvent::WorkerGone);
    }
}
