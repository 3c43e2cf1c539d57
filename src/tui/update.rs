//! How the state changes: keys become actions through the keymap, actions and the database's
//! answers change the [`App`], and what must happen outside (ask the database, clear the
//! screen, quit) comes back as [`Effect`]s. No terminal and no database here, so every key
//! sequence can be tested.

use super::action::Action;
use super::app::{App, ChartKind, Focus, Mode, PageTicket, Screen, Status};
use super::engage;
use super::forms;
use super::keymap::{Key, KeyContext, Resolved};
use super::view;
use crate::domain::date::parse_relative;
use crate::domain::queue::{QueueFilter, Scope, SortKey, Tab};
use crate::workstation::{Request, Response};
use crossterm::event::{KeyEvent, KeyEventKind};
use tui_input::backend::crossterm::to_input_request;

/// Something the state asks of the outside world.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Ask the database.
    Request(Request),
    /// Ask the engagement worker (plans, previews, sending).
    Engage(super::engage::EngageRequest),
    /// Repaint the whole screen.
    Clear,
    /// Leave the workstation.
    Quit,
    /// Give the terminal back to the shell and stop until continued (`fg`), then draw the
    /// whole screen again.
    Suspend,
    /// Leave the screen, let the collector write `text` in `$EDITOR` (with `instructions` as
    /// comments), come back and hand the result to [`super::forms::edited`].
    Edit { text: String, instructions: String },
}

/// The first requests: the figures as of the app's date and the first page.
pub fn start(app: &mut App) -> Vec<Effect> {
    app.summary_pending = true;
    let mut fx = vec![Effect::Request(Request::Summary { as_of: app.as_of })];
    fx.extend(sync(app));
    fx
}

/// The terminal changed size.
pub fn resize(app: &mut App, width: u16, height: u16) -> Vec<Effect> {
    app.size = (width, height);
    adjust_scroll(app);
    sync(app)
}

/// A key was pressed.
pub fn key(app: &mut App, event: KeyEvent) -> Vec<Effect> {
    if event.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if app.mode == Mode::Form {
        return forms::key(app, event);
    }
    let key = Key::from_event(&event);
    if matches!(app.mode, Mode::Filter | Mode::Command) {
        return match app.keymap.resolve(KeyContext::Input, &[key]) {
            Resolved::Run(action) => update(app, action),
            _ => edit(app, &event),
        };
    }
    app.status = None;
    let context = app.key_context();
    app.pending_keys.push(key);
    loop {
        match app.keymap.resolve(context, &app.pending_keys) {
            Resolved::Run(action) => {
                app.pending_keys.clear();
                return update(app, action);
            }
            Resolved::Pending => return Vec::new(),
            Resolved::Unbound if app.pending_keys.len() > 1 => {
                // `g` then `j`: drop the prefix and try `j` alone.
                app.pending_keys.drain(..app.pending_keys.len() - 1);
            }
            Resolved::Unbound => {
                app.pending_keys.clear();
                return Vec::new();
            }
        }
    }
}

/// Runs an action in the current context.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => {
            app.quit = true;
            return vec![Effect::Quit];
        }
        Action::Redraw => return vec![Effect::Clear],
        Action::Suspend => return vec![Effect::Suspend],
        Action::Noop => return Vec::new(),
        _ => {}
    }
    match app.key_context() {
        KeyContext::Input => input_action(app, action),
        KeyContext::Help => help_action(app, action),
        KeyContext::Detail => detail_action(app, action),
        KeyContext::Chart => chart_action(app, action),
        KeyContext::Queue => queue_action(app, action),
        KeyContext::Engage => engage::screen::action(app, action),
        KeyContext::Send | KeyContext::Confirm => engage::send::action(app, action),
        KeyContext::Form => forms::form_action(app, action),
    }
}

/// An answer from the database arrived.
pub fn response(app: &mut App, response: Response) -> Vec<Effect> {
    match response {
        Response::Summary(summary) => {
            if summary.as_of == app.as_of {
                app.summary = Some(*summary);
                app.summary_pending = false;
                let bars = app.chart_bars();
                app.chart_sel = app.chart_sel.min(bars.saturating_sub(1));
            }
            Vec::new()
        }
        Response::Page { seq, page } => {
            let ticket = match (app.inflight, app.loaded) {
                (Some(t), _) if t.seq == seq => {
                    app.inflight = None;
                    t
                }
                (_, Some(t)) if t.seq == seq => t,
                _ => return Vec::new(),
            };
            app.page = page;
            app.loaded = Some(ticket);
            let total = app.total();
            app.cursor = app.cursor.min(total.saturating_sub(1));
            adjust_scroll(app);
            sync(app)
        }
        Response::Detail { seq, cid, data } => {
            if seq == app.detail_seq && app.detail_cid == Some(cid) {
                app.detail = data.map(|d| *d);
                let rows = view::detail_rows(app);
                let max = detail_max_scroll(app, rows);
                app.detail_scroll = app.detail_scroll.min(max);
            }
            Vec::new()
        }
        Response::RepliesRead {
            cid,
            marked,
            left_tab,
        } => {
            // The row stays until the page is read again; its flag and the count change now.
            if let Some(row) = app.page.rows.iter_mut().find(|r| r.cid == cid) {
                row.unread_replies = 0;
                row.unverified_replies = 0;
            }
            if left_tab {
                let i = Tab::Replies.index();
                app.page.counts[i] = app.page.counts[i].saturating_sub(1);
            }
            if marked > 0 {
                status(
                    app,
                    format!(
                        "{marked} repl{} marked read.",
                        if marked == 1 { "y" } else { "ies" }
                    ),
                );
            }
            Vec::new()
        }
        Response::Dso { as_of, dso } => {
            if let Some(summary) = app.summary.as_mut().filter(|s| s.as_of == as_of) {
                summary.metrics.dso = dso;
                summary.dso_pending = false;
            }
            Vec::new()
        }
        Response::FormData { seq, data, .. } => forms::form_data(app, seq, data),
        Response::Saved { seq, outcome } => forms::saved(app, seq, outcome),
        Response::Forecast(view) => super::forecast::received(app, *view),
        Response::Error(message) => {
            // Whatever was asked may be asked again by the next key.
            app.summary_pending = false;
            app.inflight = None;
            app.detail_cid = None;
            app.status = Some(Status {
                text: format!("database: {message}"),
                error: true,
            });
            Vec::new()
        }
    }
}

fn status(app: &mut App, text: impl Into<String>) {
    app.status = Some(Status {
        text: text.into(),
        error: false,
    });
}

fn error(app: &mut App, text: impl Into<String>) {
    app.status = Some(Status {
        text: text.into(),
        error: true,
    });
}

fn queue_action(app: &mut App, action: Action) -> Vec<Effect> {
    let rows = view::queue_rows(app).max(1) as i64;
    match action {
        Action::Down => move_cursor(app, 1),
        Action::Up => move_cursor(app, -1),
        Action::HalfPageDown => move_cursor(app, (rows / 2).max(1)),
        Action::HalfPageUp => move_cursor(app, -(rows / 2).max(1)),
        Action::PageDown => move_cursor(app, rows),
        Action::PageUp => move_cursor(app, -rows),
        Action::Top => move_cursor(app, i64::MIN / 2),
        Action::Bottom => move_cursor(app, i64::MAX / 2),
        Action::Open => {
            let mut fx = Vec::new();
            if let Some(row) = app.selected() {
                // Opening a customer from the Replies tab marks its replies read.
                if app.query.tab == Tab::Replies && row.unread_replies > 0 {
                    fx.push(Effect::Request(Request::MarkRepliesRead { cid: row.cid }));
                }
                app.screen = Screen::Detail;
                app.detail_scroll = 0;
            }
            fx.extend(sync(app));
            fx
        }
        Action::Mark => {
            if let Some(cid) = app.selected().map(|r| r.cid) {
                if !app.marks.remove(&cid) {
                    app.marks.insert(cid);
                }
                return move_cursor(app, 1);
            }
            Vec::new()
        }
        Action::Filter => {
            app.mode = Mode::Filter;
            app.filter_before = app.query.filter.text.clone();
            app.input = tui_input::Input::new(app.query.filter.text.clone());
            Vec::new()
        }
        Action::Command => {
            app.mode = Mode::Command;
            app.input = tui_input::Input::default();
            Vec::new()
        }
        Action::SortOverdue => sort(app, SortKey::Overdue),
        Action::SortDays => sort(app, SortKey::Days),
        Action::SortOutstanding => sort(app, SortKey::Outstanding),
        Action::SortContact => sort(app, SortKey::LastContact),
        Action::SortName => sort(app, SortKey::Name),
        Action::SortRisk => sort(app, SortKey::Risk),
        Action::NextTab => {
            let i = (app.query.tab.index() + 1) % Tab::ALL.len();
            set_tab(app, Tab::ALL[i])
        }
        Action::PrevTab => {
            let i = (app.query.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len();
            set_tab(app, Tab::ALL[i])
        }
        Action::TabOverdue => set_tab(app, Tab::Overdue),
        Action::TabAll => set_tab(app, Tab::All),
        Action::TabPromises => set_tab(app, Tab::Promises),
        Action::TabFollowUps => set_tab(app, Tab::FollowUps),
        Action::TabDisputes => set_tab(app, Tab::Disputes),
        Action::TabReplies => set_tab(app, Tab::Replies),
        Action::Remind => engage::send::start(app),
        Action::Engage => engage::screen::open_pane(app, None),
        Action::Hold => hold_prompt(app),
        Action::TabHighRisk => set_tab(app, Tab::HighRisk),
        Action::ToggleMine => {
            let scope = match app.query.scope {
                Scope::Mine => Scope::Everyone,
                Scope::Everyone => Scope::Mine,
            };
            set_scope(app, scope)
        }
        Action::ChartCycle => {
            if view::areas(app).chart.is_none() {
                status(app, "The chart needs a taller terminal.");
                return Vec::new();
            }
            app.chart = app.chart.next();
            app.chart_sel = 0;
            Vec::new()
        }
        Action::FocusChart => {
            if view::areas(app).chart.is_none() {
                status(app, "The chart needs a taller terminal.");
                return Vec::new();
            }
            app.focus = Focus::Chart;
            app.chart_sel = app.chart_sel.min(app.chart_bars().saturating_sub(1));
            Vec::new()
        }
        Action::Back => {
            if !app.query.filter.is_empty() {
                app.query.filter = QueueFilter::default();
                status(app, "Filter cleared.");
                return requery(app);
            }
            if !app.marks.is_empty() {
                app.marks.clear();
                status(app, "Marks cleared.");
            }
            Vec::new()
        }
        Action::Help => open_help(app),
        Action::Reload => reload(app),
        Action::Note
        | Action::Promise
        | Action::Dispute
        | Action::Resolve
        | Action::FollowUp
        | Action::Assign => forms::open(app, action),
        _ => Vec::new(),
    }
}

fn chart_action(app: &mut App, action: Action) -> Vec<Effect> {
    let bars = app.chart_bars();
    match action {
        Action::Down => app.chart_sel = (app.chart_sel + 1).min(bars.saturating_sub(1)),
        Action::Up => app.chart_sel = app.chart_sel.saturating_sub(1),
        Action::Top => app.chart_sel = 0,
        Action::Bottom => app.chart_sel = bars.saturating_sub(1),
        Action::ChartCycle => {
            app.chart = app.chart.next();
            app.chart_sel = 0;
        }
        Action::FocusChart | Action::Back => app.focus = Focus::Queue,
        Action::Open => return view_bar(app),
        Action::Help => return open_help(app),
        _ => {}
    }
    Vec::new()
}

/// Enter on a bar: show the customers behind it.
fn view_bar(app: &mut App) -> Vec<Effect> {
    let i = app.chart_sel;
    app.focus = Focus::Queue;
    match app.chart {
        ChartKind::Aging => {
            let labels = app.session.bounds.labels();
            let Some(label) = labels.get(i) else {
                return Vec::new();
            };
            let tab = if i == 0 { Tab::All } else { Tab::Overdue };
            let kept: Vec<&str> = app
                .query
                .filter
                .text
                .split_whitespace()
                .filter(|t| !t.to_ascii_lowercase().starts_with("bucket:"))
                .collect();
            let text = format!("{} bucket:{label}", kept.join(" "));
            app.query.tab = tab;
            status(app, format!("Customers with an amount in {label}."));
            set_filter(app, text.trim())
        }
        ChartKind::Collectable => {
            let (tab, term) = match i {
                0 => (Tab::All, "outstanding>0"),
                1 => (Tab::Overdue, ""),
                _ => (Tab::All, "collectable>0"),
            };
            app.query.tab = tab;
            set_filter(app, term)
        }
        ChartKind::Issues => {
            status(app, "Customers with an open issue.");
            set_tab(app, Tab::Disputes)
        }
        ChartKind::Cash => {
            app.focus = Focus::Chart;
            if let Some(text) = view::cash::describe_week(app, i) {
                status(app, text);
            }
            Vec::new()
        }
    }
}

fn detail_action(app: &mut App, action: Action) -> Vec<Effect> {
    let rows = view::detail_rows(app).max(1);
    let max = detail_max_scroll(app, rows);
    let s = app.detail_scroll;
    app.detail_scroll = match action {
        Action::Down => s.saturating_add(1).min(max),
        Action::Up => s.saturating_sub(1),
        Action::HalfPageDown => s.saturating_add(rows / 2).min(max),
        Action::HalfPageUp => s.saturating_sub(rows / 2),
        Action::PageDown => s.saturating_add(rows).min(max),
        Action::PageUp => s.saturating_sub(rows),
        Action::Top => 0,
        Action::Bottom => max,
        Action::Back => {
            app.screen = Screen::Main;
            return sync(app);
        }
        Action::Help => return open_help(app),
        Action::Command => {
            app.mode = Mode::Command;
            app.input = tui_input::Input::default();
            return Vec::new();
        }
        Action::Note
        | Action::Promise
        | Action::Dispute
        | Action::Resolve
        | Action::FollowUp
        | Action::Assign => return forms::open(app, action),
        Action::Remind => return engage::send::start(app),
        Action::Engage => return engage::screen::open_pane(app, None),
        Action::Hold => return hold_prompt(app),
        _ => s,
    };
    Vec::new()
}

/// `h`: the command line with `hold +7d`, ready to edit or apply.
fn hold_prompt(app: &mut App) -> Vec<Effect> {
    app.mode = Mode::Command;
    app.input = tui_input::Input::new("hold +7d".to_string());
    Vec::new()
}

fn detail_max_scroll(app: &App, rows: u16) -> u16 {
    let width = view::areas(app)
        .detail
        .map_or(0, |r| r.width.saturating_sub(3));
    view::detail::line_count(app, width).saturating_sub(rows)
}

fn open_help(app: &mut App) -> Vec<Effect> {
    app.mode = Mode::Help;
    app.help_scroll = 0;
    Vec::new()
}

fn help_action(app: &mut App, action: Action) -> Vec<Effect> {
    let screen = ratatui::layout::Rect::new(0, 0, app.size.0, app.size.1);
    let rows = view::help::rows(screen).max(1);
    let max = (view::help::lines(app).len() as u16).saturating_sub(rows);
    let s = app.help_scroll;
    app.help_scroll = match action {
        Action::Down => s.saturating_add(1).min(max),
        Action::Up => s.saturating_sub(1),
        Action::HalfPageDown | Action::PageDown => s.saturating_add(rows / 2).min(max),
        Action::HalfPageUp | Action::PageUp => s.saturating_sub(rows / 2),
        Action::Top => 0,
        Action::Bottom => max,
        Action::Back | Action::Help => {
            app.mode = Mode::Normal;
            0
        }
        _ => s,
    };
    Vec::new()
}

/// A key typed into the filter or command line.
fn edit(app: &mut App, event: &KeyEvent) -> Vec<Effect> {
    let Some(request) = to_input_request(&crossterm::event::Event::Key(*event)) else {
        return Vec::new();
    };
    app.input.handle(request);
    if app.mode == Mode::Filter {
        // The queue follows the filter as it is typed; a half-typed term waits quietly.
        let text = app.input.value().to_string();
        match QueueFilter::parse(&text, &app.session.bounds) {
            Ok(filter) => {
                app.status = None;
                if filter != app.query.filter {
                    app.query.filter = filter;
                    return requery(app);
                }
            }
            Err(e) => error(app, e),
        }
    }
    Vec::new()
}

fn input_action(app: &mut App, action: Action) -> Vec<Effect> {
    let text = app.input.value().trim().to_string();
    match (app.mode, action) {
        (Mode::Filter, Action::Submit) => match QueueFilter::parse(&text, &app.session.bounds) {
            Ok(filter) => {
                app.mode = Mode::Normal;
                app.status = None;
                if filter != app.query.filter {
                    app.query.filter = filter;
                    return requery(app);
                }
                sync(app)
            }
            Err(e) => {
                error(app, e);
                Vec::new()
            }
        },
        (Mode::Filter, Action::Cancel) => {
            app.mode = Mode::Normal;
            app.status = None;
            let before = app.filter_before.clone();
            set_filter(app, &before)
        }
        (Mode::Command, Action::Submit) => {
            app.mode = Mode::Normal;
            app.status = None;
            command(app, &text)
        }
        (Mode::Command, Action::Cancel) => {
            app.mode = Mode::Normal;
            app.status = None;
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Runs a `:` command.
pub fn command(app: &mut App, line: &str) -> Vec<Effect> {
    let mut words = line.split_whitespace();
    let Some(name) = words.next() else {
        return Vec::new();
    };
    let rest: Vec<&str> = words.collect();
    if let Some(fx) = engage::command(app, name, &rest) {
        return fx;
    }
    match name {
        "q" | "q!" | "quit" | "exit" | "wq" => {
            app.quit = true;
            vec![Effect::Quit]
        }
        "sort" => {
            let Some(key) = rest.first().and_then(|k| SortKey::parse(k)) else {
                error(
                    app,
                    "sort by overdue, days, outstanding, contact, name or risk",
                );
                return Vec::new();
            };
            match rest.get(1).map(|d| d.to_ascii_lowercase()) {
                None => sort(app, key),
                Some(d) if d == "asc" || d == "desc" => {
                    app.query.sort = key;
                    app.query.descending = d == "desc";
                    requery(app)
                }
                Some(d) => {
                    error(app, format!("`{d}` is not asc or desc"));
                    Vec::new()
                }
            }
        }
        "tab" => match rest.first().and_then(|t| Tab::parse(t)) {
            Some(tab) => set_tab(app, tab),
            None => {
                error(
                    app,
                    "tabs: overdue, all, promises, followups, disputes, replies, risk",
                );
                Vec::new()
            }
        },
        "mine" => set_scope(app, Scope::Mine),
        "all" | "everyone" => set_scope(app, Scope::Everyone),
        "asof" | "as-of" | "as_of" | "date" => {
            let text = rest.join(" ");
            match parse_relative(&text, app.session.today) {
                Some(date) => set_as_of(app, date),
                None => {
                    error(
                        app,
                        format!("`{text}` is not a date (YYYY-MM-DD, today, -7d)"),
                    );
                    Vec::new()
                }
            }
        }
        "filter" | "f" => set_filter(app, &rest.join(" ")),
        "nofilter" | "clear" => set_filter(app, ""),
        "chart" => {
            match rest.first() {
                None => app.chart = app.chart.next(),
                Some(n) => match ChartKind::parse(n) {
                    Some(kind) => app.chart = kind,
                    None => error(app, "charts: aging, collectable, issues, cash"),
                },
            }
            app.chart_sel = 0;
            Vec::new()
        }
        "help" | "h" => open_help(app),
        "reload" | "e" => reload(app),
        "unmark" => {
            app.marks.clear();
            Vec::new()
        }
        "redraw" => vec![Effect::Clear],
        "suspend" | "stop" => vec![Effect::Suspend],
        other => {
            error(
                app,
                format!(
                    "unknown command `{other}` (try :sort, :tab, :mine, :all, :asof, :filter, :q)"
                ),
            );
            Vec::new()
        }
    }
}

fn sort(app: &mut App, key: SortKey) -> Vec<Effect> {
    app.query.sort_by(key);
    requery(app)
}

fn set_tab(app: &mut App, tab: Tab) -> Vec<Effect> {
    app.query.tab = tab;
    requery(app)
}

fn set_scope(app: &mut App, scope: Scope) -> Vec<Effect> {
    app.query.scope = scope;
    requery(app)
}

/// Sets the filter from text; a bad filter leaves the old one and says why.
fn set_filter(app: &mut App, text: &str) -> Vec<Effect> {
    match QueueFilter::parse(text, &app.session.bounds) {
        Ok(filter) => {
            app.query.filter = filter;
            requery(app)
        }
        Err(e) => {
            error(app, e);
            Vec::new()
        }
    }
}

/// Shows everything as of another date (the figures of that date, computed unless another
/// session has them already).
pub fn set_as_of(app: &mut App, date: crate::domain::Date) -> Vec<Effect> {
    app.as_of = date;
    app.as_of_given = true;
    refresh(app, Request::Summary { as_of: date })
}

/// Reads the figures, the page and the detail again (`R`).
fn reload(app: &mut App) -> Vec<Effect> {
    let as_of = app.as_of;
    refresh(app, Request::Reload { as_of })
}

/// Asks for the figures (`figures`), the page and the detail again.
fn refresh(app: &mut App, figures: Request) -> Vec<Effect> {
    app.summary_pending = true;
    app.detail_cid = None;
    let mut fx = vec![Effect::Request(figures)];
    app.generation += 1;
    app.inflight = None;
    fx.extend(sync(app));
    fx.extend(engage::screen::refresh(app));
    fx
}

/// The query changed: back to the top, new pages.
fn requery(app: &mut App) -> Vec<Effect> {
    app.generation += 1;
    app.cursor = 0;
    app.scroll = 0;
    app.inflight = None;
    sync(app)
}

/// Moves the queue's cursor by `delta` rows (within the tab).
pub(crate) fn move_cursor(app: &mut App, delta: i64) -> Vec<Effect> {
    let total = app.total();
    if total == 0 {
        return Vec::new();
    }
    let target = (app.cursor as i64).saturating_add(delta);
    app.cursor = target.clamp(0, total as i64 - 1) as u64;
    adjust_scroll(app);
    sync(app)
}

/// Keeps the cursor on screen, and the screen full when it can be.
fn adjust_scroll(app: &mut App) {
    let rows = view::queue_rows(app).max(1);
    if app.cursor < app.scroll {
        app.scroll = app.cursor;
    } else if app.cursor >= app.scroll + rows {
        app.scroll = app.cursor + 1 - rows;
    }
    let max_scroll = app.total().saturating_sub(rows);
    app.scroll = app.scroll.min(max_scroll);
}

/// Asks for what the screen shows and is not loaded: the rows around the visible ones, and
/// the selected customer's detail.
fn sync(app: &mut App) -> Vec<Effect> {
    let mut fx = Vec::new();
    if let Some(request) = want_page(app) {
        fx.push(Effect::Request(request));
    }
    if let Some(request) = want_detail(app) {
        fx.push(Effect::Request(request));
    }
    fx
}

fn want_page(app: &mut App) -> Option<Request> {
    let rows = view::queue_rows(app).max(1);
    let start = app.scroll;
    let covers = |offset: u64, len: u64, total: Option<u64>| {
        let end = match total {
            Some(t) => (start + rows).min(t),
            None => start + rows,
        };
        offset <= start && offset + len >= end
    };
    // What was asked counts as loaded, even when fewer rows came back (the data changed
    // between the count and the page): asking again would only loop.
    if let Some(t) = app.loaded.filter(|t| t.generation == app.generation)
        && covers(t.offset, t.limit, Some(app.total()))
    {
        return None;
    }
    if let Some(t) = app.inflight
        && t.generation == app.generation
        && covers(t.offset, t.limit, None)
    {
        return None;
    }
    let offset = start.saturating_sub(rows);
    let limit = rows * 3;
    let seq = app.next_seq();
    app.inflight = Some(PageTicket {
        seq,
        generation: app.generation,
        offset,
        limit,
    });
    Some(Request::Page {
        seq,
        as_of: app.as_of,
        query: app.query.clone(),
        offset,
        limit,
    })
}

fn want_detail(app: &mut App) -> Option<Request> {
    let visible = app.screen == Screen::Detail || view::detail_visible(app);
    if !visible {
        return None;
    }
    let cid = app.selected()?.cid;
    if app.detail_cid == Some(cid) {
        return None;
    }
    app.detail_cid = Some(cid);
    app.detail_scroll = 0;
    app.detail_seq = app.next_seq();
    Some(Request::Detail {
        seq: app.detail_seq,
        as_of: app.as_of,
        cid,
    })
}
