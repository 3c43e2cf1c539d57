//! The team screen (`:team`, `M`): the manager's view of every collector's figures as of the
//! session's date, as `owed report team` computes them (customers assigned, overdue owned,
//! touched today and this week, calls, promises taken and the share kept, money paid within
//! 14 days of a touch, broken promises without follow-up, replies waiting), with a totals row.
//!
//! The screen asks the service ([`Request::Team`]) and opens when the answer comes; the
//! service answers only a manager or an auditor (`domain::users::may_see_team`), so a
//! collector's `:team` ends in the service's sentence on the footer and the queue stays.
//! `Enter` on a collector shows the queue of their customers (everyone's, `owner:NAME`).
//!
//! The screen refreshes itself. The service tells every session when the data changed — it
//! sends the figures ([`crate::workstation::Response::Summary`]) after any session's save and
//! after another process's commit (its `data_version` watch) — and while the team screen is
//! shown (or its opening is awaited) such news marks the figures stale ([`changed`]); they
//! are asked for again when nothing is in flight and [`REFRESH_INTERVAL`] has passed since
//! they were last asked for ([`tick`]; the loop wakes for it at [`wake_at`]). So a session has
//! at most one count in flight, a burst of saves costs one more count, not one each, and the
//! last change is never lost. The cursor stays on the same collector (by name) and the
//! scroll where it was. `R` asks at once, whatever the interval; off the screen nothing is
//! counted (`open` asks anew).
//!
//! This lives here rather than in the service: only the session knows which screen it shows,
//! and the service already tells it of every change; the service would otherwise have to
//! track who looks at the team screen and recount for them unasked. The time comes in
//! through [`App::now`], which the loop sets, so that every rule here can be tested.

use super::app::{App, Screen};
use super::key_action::Action;
use super::update::Effect;
use crate::domain::queue::{QueueFilter, Scope, Tab};
use crate::workstation::{Request, TeamView};
use std::time::{Duration, Instant};

/// The least time between a request for the team's figures and an automatic one after it:
/// counting them takes about 0.8 s at 100,000 customers, and the figures of a busy team
/// change with every save. A manual `R` does not wait for it.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(3);

/// The team screen's state.
#[derive(Debug, Clone, Default)]
pub struct TeamScreen {
    /// The figures last answered (of `as_of`).
    pub report: Option<TeamView>,
    /// The request whose answer is awaited (0: none).
    pub seq: u64,
    /// The selected collector (its row in the report).
    pub cursor: usize,
    /// The first collector's row shown.
    pub scroll: usize,
    /// The screen `Esc` goes back to.
    pub back_to: Option<Screen>,
    /// The data changed since the figures shown (or awaited) were asked for: they are asked
    /// for again when due ([`tick`]).
    pub stale: bool,
    /// When the figures were last asked for: the next automatic request waits
    /// [`REFRESH_INTERVAL`] from then.
    pub last: Option<Instant>,
    /// The request awaited was asked for from another screen, to open this one: only such an
    /// answer opens it (a count asked for on the screen — `R`, a refresh — is dropped once
    /// the screen is left, by whichever way).
    pub opening: bool,
}

impl TeamScreen {
    /// Rows of collectors (the totals row is not selectable).
    pub fn rows(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.collectors.len())
    }
}

/// `:team` / `M`: asks for the team's figures as of the session's date; the screen opens
/// with the answer (or the footer says why not).
pub fn open(app: &mut App) -> Vec<Effect> {
    let seq = app.next_seq();
    app.team.seq = seq;
    app.team.stale = false;
    app.team.opening = app.screen != Screen::Team;
    app.team.last = Some(app.now);
    if app.screen != Screen::Team {
        app.say("Counting the team's figures…");
    }
    vec![Effect::Request(Request::Team {
        seq,
        as_of: app.as_of,
    })]
}

/// The date changed or everything is read again: asks again when the screen is shown.
pub fn refresh(app: &mut App) -> Vec<Effect> {
    if app.screen == Screen::Team {
        return open(app);
    }
    app.team.report = None;
    Vec::new()
}

/// The data changed (the service sent the figures unasked): while the screen is shown or
/// its opening awaited, its figures are stale and asked for again when due.
pub fn changed(app: &mut App) -> Vec<Effect> {
    if app.screen != Screen::Team && app.team.seq == 0 {
        return Vec::new();
    }
    app.team.stale = true;
    tick(app)
}

/// Asks for the figures again when they are stale, the screen is shown, nothing is in flight
/// and [`REFRESH_INTERVAL`] has passed since they were last asked for (as of [`App::now`]).
pub fn tick(app: &mut App) -> Vec<Effect> {
    match wake_at(app) {
        Some(due) if due <= app.now => open(app),
        _ => Vec::new(),
    }
}

/// When [`tick`] will ask for stale figures (the loop wakes then); `None`: nothing waits.
pub fn wake_at(app: &App) -> Option<Instant> {
    let t = &app.team;
    if app.screen != Screen::Team || !t.stale || t.seq != 0 {
        return None;
    }
    Some(t.last.map_or(app.now, |last| last + REFRESH_INTERVAL))
}

/// The service's answer to [`open`]: the screen opens on the figures (or shows them anew,
/// on the collector selected before), or the footer says why not; a stale answer, or a
/// refresh's once the screen is left, is dropped. Figures stale meanwhile are asked for
/// again when due.
pub fn received(
    app: &mut App,
    seq: u64,
    report: std::result::Result<Box<TeamView>, String>,
) -> Vec<Effect> {
    if seq != app.team.seq {
        return Vec::new();
    }
    app.team.seq = 0;
    if !app.team.opening && app.screen != Screen::Team {
        return Vec::new();
    }
    match report {
        Ok(report) => {
            if app.screen != Screen::Team {
                app.team.back_to = Some(app.screen);
                app.screen = Screen::Team;
                app.team.cursor = 0;
                app.team.scroll = 0;
                app.status = None;
            } else if let Some(i) = selected_name(app)
                .and_then(|name| report.collectors.iter().position(|c| c.collector == name))
            {
                // The rows may come in another order: the cursor follows its collector.
                app.team.cursor = i;
            }
            let rows = report.collectors.len();
            app.team.report = Some(*report);
            app.team.cursor = app.team.cursor.min(rows.saturating_sub(1));
            keep_cursor_shown(app);
        }
        Err(refused) => {
            app.say_error(refused);
        }
    }
    tick(app)
}

/// The name of the selected collector, if any.
fn selected_name(app: &App) -> Option<String> {
    app.team
        .report
        .as_ref()
        .and_then(|r| r.collectors.get(app.team.cursor))
        .map(|c| c.collector.clone())
}

/// A key on the team screen.
pub fn action(app: &mut App, action: Action) -> Vec<Effect> {
    let rows = app.team.rows();
    let last = rows.saturating_sub(1);
    let page = super::view::team::body_rows(app).max(1);
    let at = app.team.cursor;
    app.team.cursor = match action {
        Action::Down => (at + 1).min(last),
        Action::Up => at.saturating_sub(1),
        Action::Top => 0,
        Action::Bottom => last,
        Action::HalfPageDown => (at + page / 2).min(last),
        Action::HalfPageUp => at.saturating_sub(page / 2),
        Action::PageDown => (at + page).min(last),
        Action::PageUp => at.saturating_sub(page),
        Action::Back => return back(app),
        Action::Open => return owners_queue(app),
        Action::Reload => return open(app),
        Action::Help => {
            app.open_help();
            return Vec::new();
        }
        Action::Command => {
            app.mode = super::app::Mode::Command;
            app.input = tui_input::Input::default();
            return Vec::new();
        }
        _ => at,
    };
    keep_cursor_shown(app);
    Vec::new()
}

/// The screen is left: a refresh in flight is forgotten, nothing more is counted.
fn leave(app: &mut App) {
    app.team.seq = 0;
    app.team.stale = false;
}

/// Back to the screen the team screen was opened from.
fn back(app: &mut App) -> Vec<Effect> {
    leave(app);
    app.screen = app.team.back_to.take().unwrap_or(Screen::Main);
    app.status = None;
    crate::tui::update::queue_shown_again(app)
}

/// `Enter`: the queue of the selected collector's customers (everyone's, all tabs' customers,
/// filtered by `owner:NAME`).
fn owners_queue(app: &mut App) -> Vec<Effect> {
    let Some(name) = selected_name(app) else {
        return Vec::new();
    };
    let term = if name.contains(char::is_whitespace) {
        format!("owner:\"{name}\"")
    } else {
        format!("owner:{name}")
    };
    let filter = match QueueFilter::parse(&term, &app.session.bounds) {
        Ok(f) => f,
        Err(e) => {
            app.say_error(format!("cannot show their customers: {e}"));
            return Vec::new();
        }
    };
    leave(app);
    app.screen = Screen::Main;
    app.team.back_to = None;
    app.view = None;
    app.query.scope = Scope::Everyone;
    app.query.tab = Tab::All;
    app.query.filter = filter;
    app.say(format!(
        "{}'s customers · Esc clears the filter",
        crate::domain::text::one_line(&name)
    ));
    super::update::requery(app)
}

/// Scrolls so that the selected collector is on screen (after a key, an answer or a resize).
pub(crate) fn keep_cursor_shown(app: &mut App) {
    let page = super::view::team::body_rows(app).max(1);
    let t = &mut app.team;
    if t.cursor < t.scroll {
        t.scroll = t.cursor;
    } else if t.cursor >= t.scroll + page {
        t.scroll = t.cursor + 1 - page;
    }
    t.scroll = t.scroll.min(t.rows().saturating_sub(page));
}
