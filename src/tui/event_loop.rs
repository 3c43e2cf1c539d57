//! The session loop, whatever the terminal: the local one ([`super::run_local`]) or an SSH
//! channel's ([`super::remote::run_remote`]).
//!
//! It blocks until something happens (a key, a resize, an answer of the service), handles
//! everything queued, then draws once, inside synchronized-update markers: no CPU while
//! idle, and a timer only for what is deferred ([`update::wake_at`]: the team screen's next
//! refresh) and for midnight, when a session that follows today moves to the new day
//! ([`update::today_is`]; the date is read here, at each wake, and passed down). What
//! differs between terminals is behind [`Front`]: where frames go, whether the terminal can
//! be measured, whether an editor can be run, whether pictures are placed in the terminal's
//! own graphics (the local one's kitty or sixel: [`super::graphics`]).

use super::app::App;
use super::screen::Screen;
use super::terminal::Signal;
use super::update::{self, Effect};
use super::{action_forms, engage, view};
use crate::domain::Date;
use crate::workstation::{Answer, EngageResponse, Response, Session};
use crate::{Error, Result};
use crossterm::event::Event;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{execute, queue};
use ratatui::backend::Backend;
use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// What wakes the loop.
pub(crate) enum UiEvent {
    Terminal(Event),
    Data(Response),
    Engage(EngageResponse),
    /// The terminal cannot be read any more.
    InputFailed(String),
    /// The terminal's input ended (the connection dropped).
    InputClosed,
    /// The service's worker stopped; why.
    WorkerGone(String),
    /// A signal to this process: end, suspend or continue (the local terminal only).
    Signal(super::terminal::Signal),
}

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The collector quit.
    Quit,
    /// The terminal's input ended.
    InputClosed,
}

/// Events taken from the queue per turn of the loop, at the most.
const EVENTS_PER_TURN: usize = 64;
/// While turns come back to back, the most time between two frames.
const DRAW_EVERY: Duration = Duration::from_millis(100);

/// A terminal as the loop sees it.
pub(crate) trait Front {
    type Backend: Backend<Error = std::io::Error> + Write;

    fn terminal(&mut self) -> &mut Screen<Self::Backend>;

    /// The size the terminal has now, when it can be measured (a resize whose event is
    /// still queued); `None` when only resize events say so.
    fn measured(&mut self) -> Option<(u16, u16)> {
        None
    }

    /// The terminal was resized to `width` × `height` (an event said so).
    fn resized(&mut self, _width: u16, _height: u16) {}

    /// The size of a cell in pixels (width, height), when the terminal says.
    fn cell_pixels(&mut self) -> Option<(u16, u16)> {
        None
    }

    /// Which graphics the terminal shows pictures in (asked when a picture is first opened
    /// and the config says `auto`): half blocks unless the front knows better.
    fn graphics(&mut self) -> Result<super::graphics::Protocol> {
        Ok(super::graphics::Protocol::HalfBlocks)
    }

    /// Draws one frame of `app` (with whatever the front places over the cells).
    fn draw(&mut self, app: &App) -> Result<()> {
        draw(self.terminal(), app)
    }

    /// The screen was wiped ([`wipe`]): whatever was placed over the cells is gone.
    fn wiped(&mut self) {}

    /// The loop took one terminal event off its queue (a front whose sender waits for room
    /// is told there is some).
    fn input_taken(&mut self) {}

    /// Lets the collector write `text` in an editor (with `instructions` as comments):
    /// the text written, or why there is none.
    fn edit(
        &mut self,
        text: &str,
        instructions: &str,
    ) -> Result<std::result::Result<String, String>>;

    /// Gives the terminal back to the shell and stops until continued (Ctrl-Z); `Some`: why
    /// this terminal cannot (for the status line).
    fn suspend(&mut self) -> Result<Option<String>>;

    /// Takes the terminal back after the process was continued (a shell may have reset it).
    fn reclaim(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Where a session's answers go: into the loop's events.
pub(crate) fn deliver_to_loop(session: &Session, tx: Sender<UiEvent>) {
    session.deliver_to(move |answer| {
        let event = match answer {
            Answer::Data(r) => UiEvent::Data(r),
            Answer::Engage(r) => UiEvent::Engage(r),
            Answer::Stopped(why) => UiEvent::WorkerGone(why),
        };
        tx.send(event).is_ok()
    });
}

/// Runs the loop from `effects` (the start's requests) until the collector quits or the
/// input ends.
pub(crate) fn run<F: Front>(
    app: &mut App,
    session: &Session,
    events: &Receiver<UiEvent>,
    front: &mut F,
    mut effects: Vec<Effect>,
) -> Result<Ended> {
    let mut dirty = true;
    // Effects of effects (the editor's text), run before waiting again.
    let mut pending: Vec<Effect> = Vec::new();
    // The last turn took a whole turn's worth (more may be queued), and when a frame was
    // last drawn.
    let mut busy = false;
    let mut last_draw = Instant::now();
    // The day may have changed since the caller read it.
    effects.extend(update::today_is(app, Clock::read().today));
    loop {
        // A resize whose event is still queued: lay out for the size the terminal has now.
        if let Some((w, h)) = front.measured()
            && (w, h) != app.size
        {
            if let Some(cell) = front.cell_pixels() {
                app.cell_pixels = cell;
            }
            effects.extend(update::resize(app, w, h));
            dirty = true;
        }
        for effect in effects.drain(..) {
            match effect {
                Effect::Request(request) => session.send(request)?,
                Effect::Engage(request) => session.engage(request)?,
                Effect::Clear => {
                    wipe(front.terminal())?;
                    front.wiped();
                    dirty = true;
                }
                Effect::AskGraphics => {
                    if let Some(cell) = front.cell_pixels() {
                        app.cell_pixels = cell;
                    }
                    let protocol = front.graphics()?;
                    pending.extend(super::viewer::graphics_known(app, protocol));
                    dirty = true;
                }
                Effect::Quit => return Ok(Ended::Quit),
                Effect::Suspend => {
                    if let Some(why) = front.suspend()? {
                        app.say_error(why);
                    }
                    dirty = true;
                }
                Effect::Export(request) => session.send(request)?,
                Effect::Edit { text, instructions } => {
                    let result = front.edit(&text, &instructions)?;
                    dirty = true;
                    pending.extend(action_forms::edited(app, result));
                }
                Effect::SaveView(view) => {
                    let result = match &app.views_file {
                        Some(path) => crate::config::save_view(path, &view)
                            .map(|()| path.display().to_string())
                            .map_err(|e| e.to_string()),
                        None => Err("views are saved from your own terminal (`owed`)".into()),
                    };
                    dirty = true;
                    pending.extend(update::view_saved(app, view, result));
                }
            }
        }
        effects.append(&mut pending);
        if !effects.is_empty() {
            continue;
        }
        // While keys come faster than a turn takes them (a paste), a frame at most every
        // DRAW_EVERY: drawing a form of thousands of characters after every turn kept a
        // core busy for a minute on a pasted megabyte. The last one is always drawn.
        if dirty && !(busy && last_draw.elapsed() < DRAW_EVERY) {
            front.draw(app)?;
            dirty = false;
            last_draw = Instant::now();
        }
        // Block until something happens (or something deferred is due, or midnight comes),
        // then take everything that is queued.
        let gone = || Error::runtime("the terminal and the data worker are gone");
        let due = Clock::read().next_look;
        let due = update::wake_at(app).map_or(due, |d| d.min(due));
        // A frame not drawn yet: only what is already queued, then it is drawn.
        let wait = if dirty {
            Duration::ZERO
        } else {
            due.saturating_duration_since(Instant::now())
        };
        let first = match events.recv_timeout(wait) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return Err(gone()),
        };
        app.now = Instant::now();
        // Before the keys: a date typed after midnight counts from the new day.
        let moved = update::today_is(app, Clock::read().today);
        dirty |= !moved.is_empty();
        effects.extend(moved);
        // At most a turn's worth before the effects run and the screen is drawn: a client
        // typing faster than that sees each turn, and the rest waits in the queue.
        let mut taken = 0;
        for event in first
            .into_iter()
            .chain(events.try_iter())
            .take(EVENTS_PER_TURN)
        {
            taken += 1;
            if matches!(event, UiEvent::Terminal(_)) {
                front.input_taken();
            }
            match event {
                UiEvent::Terminal(Event::Key(k)) => {
                    effects.extend(update::key(app, k));
                    dirty = true;
                }
                UiEvent::Terminal(Event::Resize(w, h)) => {
                    front.resized(w, h);
                    if let Some(cell) = front.cell_pixels() {
                        app.cell_pixels = cell;
                    }
                    effects.extend(update::resize(app, w, h));
                    dirty = true;
                }
                UiEvent::Terminal(Event::Paste(text)) => {
                    effects.extend(update::paste(app, &text));
                    dirty = true;
                }
                UiEvent::Terminal(_) => {}
                UiEvent::Data(response) => {
                    effects.extend(update::response(app, response));
                    dirty = true;
                }
                UiEvent::Engage(response) => {
                    effects.extend(engage::response(app, response));
                    dirty = true;
                }
                UiEvent::InputFailed(e) => {
                    return Err(Error::runtime(format!("cannot read the terminal: {e}")));
                }
                UiEvent::InputClosed => return Ok(Ended::InputClosed),
                UiEvent::WorkerGone(why) => return Err(Error::runtime(why)),
                UiEvent::Signal(Signal::Terminate(n)) => return Err(Error::Signal(n)),
                UiEvent::Signal(Signal::Suspend) => effects.push(Effect::Suspend),
                UiEvent::Signal(Signal::Continue) => {
                    front.reclaim()?;
                    effects.push(Effect::Clear);
                }
            }
            if effects.contains(&Effect::Quit) {
                break;
            }
        }
        busy = taken == EVENTS_PER_TURN;
        effects.extend(update::tick(app));
    }
}

/// The longest the loop sleeps without reading the date again: the wait for midnight is
/// measured on a clock that stands still while the machine sleeps and does not follow the
/// wall clock when it is set.
const DATE_LOOK: Duration = Duration::from_secs(15 * 60);

/// This machine's date, read at the top (the loop) and passed down to the state.
struct Clock {
    /// Today in this machine's time zone.
    today: Date,
    /// When to read it again: the next midnight, or sooner ([`DATE_LOOK`]).
    next_look: Instant,
}

impl Clock {
    fn read() -> Clock {
        let now = chrono::Local::now();
        let wait = until_next_day(&now).map_or(DATE_LOOK, |w| w.min(DATE_LOOK));
        Clock {
            today: now.date_naive(),
            next_look: Instant::now() + wait,
        }
    }
}

/// How long from `now` until the next day starts in its time zone; `None` when that day has
/// no midnight (a clock moved forward over it: the loop looks again a while later).
fn until_next_day<Tz: chrono::TimeZone>(now: &chrono::DateTime<Tz>) -> Option<Duration> {
    let midnight = now.date_naive().succ_opt()?.and_hms_opt(0, 0, 0)?;
    let start = now.timezone().from_local_datetime(&midnight).earliest()?;
    (start - now.clone()).to_std().ok()
}

/// Draws one frame inside synchronized-update markers (the terminal shows it all at once).
pub(crate) fn draw<B: Backend<Error = std::io::Error> + Write>(
    terminal: &mut Screen<B>,
    app: &App,
) -> Result<()> {
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    terminal.draw(|frame| view::draw(frame, app))?;
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    Ok(())
}

/// Clears the screen and forgets what was drawn, so that the next frame is drawn whole.
/// (Not `Terminal::clear`, which asks the terminal where its cursor is: over a slow link that
/// query can time out, and a terminal that does not answer stops the workstation.)
pub(crate) fn wipe<B: Backend<Error = std::io::Error> + Write>(
    terminal: &mut Screen<B>,
) -> Result<()> {
    // An empty frame: ratatui's idea of the screen becomes blank, then the screen too.
    terminal.draw(|_| {})?;
    execute!(
        terminal.backend_mut(),
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    terminal.forget();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, TimeZone};

    #[test]
    fn the_next_day_starts_at_midnight_in_the_time_zone_of_now() {
        let new_york = FixedOffset::west_opt(5 * 3600).unwrap();
        let now = new_york.with_ymd_and_hms(2026, 12, 6, 23, 59, 45).unwrap();
        assert_eq!(until_next_day(&now), Some(Duration::from_secs(15)));
        // At midnight itself, the day has just begun: the next is a whole day away.
        let now = new_york.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
        assert_eq!(until_next_day(&now), Some(Duration::from_secs(86_400)));
        // 23:59:45 in New York is 04:59:45 in UTC: the next UTC day is 19 hours off.
        let utc = now.with_timezone(&chrono::Utc) - chrono::Duration::seconds(15);
        assert_eq!(
            until_next_day(&utc),
            Some(Duration::from_secs(19 * 3600 + 15))
        );
    }
}
