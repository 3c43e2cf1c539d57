//! The team screen (`:team`, `M`): the manager's view of every collector's figures as of the
//! session's date, as `owed report team` computes them (customers assigned, overdue owned,
//! touched today and this week, calls, promises taken and the share kept, money paid within
//! 14 days of a touch, broken promises without follow-up, replies waiting), with a totals row.
//!
//! The screen asks the service ([`Request::Team`]) and opens when the answer comes; the
//! service answers only a manager or an auditor (`domain::users::may_see_team`), so a
//! collector's `:team` ends in the service's sentence on the footer and the queue stays.
//! `Enter` on a collector shows the queue of their customers (everyone's, `owner:NAME`).

use super::app::{App, Screen};
use super::key_action::Action;
use super::update::Effect;
use crate::domain::queue::{QueueFilter, Scope, Tab};
use crate::workstation::{Request, TeamView};

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

/// The service's answer to [`open`]: the screen opens on the figures, or the footer says why
/// not (a stale answer is dropped).
pub fn received(
    app: &mut App,
    seq: u64,
    report: std::result::Result<Box<TeamView>, String>,
) -> Vec<Effect> {
    if seq != app.team.seq {
        return Vec::new();
    }
    app.team.seq = 0;
    match report {
        Ok(report) => {
            if app.screen != Screen::Team {
                app.team.back_to = Some(app.screen);
                app.screen = Screen::Team;
                app.team.cursor = 0;
                app.team.scroll = 0;
                app.status = None;
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
    Vec::new()
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
            app.mode = super::app::Mode::Help;
            app.help_scroll = 0;
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

/// Back to the screen the team screen was opened from.
fn back(app: &mut App) -> Vec<Effect> {
    app.screen = app.team.back_to.take().unwrap_or(Screen::Main);
    app.status = None;
    Vec::new()
}

/// `Enter`: the queue of the selected collector's customers (everyone's, all tabs' customers,
/// filtered by `owner:NAME`).
fn owners_queue(app: &mut App) -> Vec<Effect> {
    let Some(name) = app
        .team
        .report
        .as_ref()
        .and_then(|r| r.collectors.get(app.team.cursor))
        .map(|c| c.collector.clone())
    else {
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
