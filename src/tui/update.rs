//! How the state changes: keys become actions through the keymap, actions and the database's
//! answers change the [`App`], and what must happen outside (ask the database, clear the
//! screen, quit) comes back as [`Effect`]s. No terminal and no database here, so every key
//! sequence can be tested.

use super::action_forms;
use super::app::{
    App, CHART_OFF, ChartFold, ChartKind, Focus, Followed, Mode, PageTicket, Screen, Typed,
};
use super::engage;
use super::key_action::Action;
use super::keymap::{Key, KeyContext, Resolved};
use super::view;
use crate::domain::customer::{ActivityKind, EntryRecord};
use crate::domain::date::{self, parse_relative};
use crate::domain::queue::{Predicate, QueueFilter, Scope, SortKey, Tab, View};
use crate::workstation::{Request, Response};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
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
    /// comments), come back and hand the result to [`super::action_forms::edited`].
    Edit { text: String, instructions: String },
    /// Add this view to the config file (`:save NAME`), then tell [`view_saved`].
    SaveView(View),
    /// Write a file on this machine (`:export`): a request for the database, sent only where
    /// the terminal is this machine's own (not over SSH).
    Export(Request),
    /// Find out which graphics the terminal shows (a picture is opened for the first time
    /// and the config says `auto`), then tell [`super::viewer::graphics_known`].
    AskGraphics,
}

/// The first requests: the figures as of the app's date and the first page.
pub fn start(app: &mut App) -> Vec<Effect> {
    app.summary_pending = true;
    let mut fx = vec![Effect::Request(Request::Summary { as_of: app.as_of })];
    fx.extend(sync(app));
    fx
}

/// Time passed (the loop woke at [`wake_at`], or for anything else, with [`App::now`] set):
/// what was deferred and is due now.
pub fn tick(app: &mut App) -> Vec<Effect> {
    let mut fx = super::team::tick(app);
    fx.extend(engage::screen::tick(app));
    fx
}

/// The loop read this machine's date (at each wake, and at midnight when nothing else wakes
/// it): on a new day the session moves to it, as a collector who leaves the workstation open
/// overnight expects of "today". The figures, the queue, days overdue, the dates forms take
/// (`today`, `+1w`) and saves count from it, and `:asof today` means it; a date chosen
/// (`--as-of`, `:asof` another day) stays.
pub fn today_is(app: &mut App, today: crate::domain::Date) -> Vec<Effect> {
    if today == app.session.today {
        return Vec::new();
    }
    app.session.today = today;
    if app.as_of_given {
        return Vec::new();
    }
    move_to(app, today);
    refresh(app, Request::Summary { as_of: today })
}

/// When something deferred is due ([`tick`]); `None`: the loop may sleep until an event.
pub fn wake_at(app: &App) -> Option<std::time::Instant> {
    match (super::team::wake_at(app), engage::screen::wake_at(app)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The terminal changed size.
pub fn resize(app: &mut App, width: u16, height: u16) -> Vec<Effect> {
    app.size = (width, height);
    // A chart folded by the terminal's height has no bar to choose.
    if app.focus == Focus::Chart && !view::chart_shown(app) {
        app.focus = Focus::Queue;
    }
    adjust_scroll(app);
    super::team::keep_cursor_shown(app);
    let mut fx = sync(app);
    fx.extend(super::viewer::resized(app));
    fx
}

/// A key was pressed.
pub fn key(app: &mut App, event: KeyEvent) -> Vec<Effect> {
    if event.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if !app.typeahead.is_empty() || waits_for_answer(app, &event) {
        // Behind what the screen waits for, in the order typed ([`App::typeahead`]).
        wait(app, Typed::Key(event));
        return Vec::new();
    }
    if !super::view::fits(app.size) {
        // Behind the note that asks for a bigger terminal nothing acts but the `q` it offers
        // (a form, a filter or a command line half-typed stays as it is: a key typed into it
        // unseen, or an Enter saving it, would be a change nobody saw; `q` there is a letter).
        let quit = event.code == KeyCode::Char('q')
            && event.modifiers.is_empty()
            && view::typing(app).is_none();
        return if quit {
            update(app, Action::Quit)
        } else {
            Vec::new()
        };
    }
    if app.mode == Mode::Form {
        return action_forms::key(app, event);
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
                if waits_for_page(app, action) {
                    let meant = app.follow.clone();
                    wait(app, Typed::Action(action, meant));
                    return Vec::new();
                }
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
    // A form keeps its keys as its own keys do ([`action_forms::key`]): `q` bound to quit
    // there must not throw a half-typed form away.
    if app.key_context() == KeyContext::Form {
        return action_forms::form_action(app, action);
    }
    match action {
        Action::Quit => return super::export::quit(app),
        Action::Redraw => return vec![Effect::Clear],
        Action::Suspend => return vec![Effect::Suspend],
        Action::Noop => return Vec::new(),
        _ => {}
    }
    match app.key_context() {
        KeyContext::Input => input_action(app, action),
        KeyContext::Help if app.mode == Mode::Attachment => super::viewer::action(app, action),
        KeyContext::Help => help_action(app, action),
        KeyContext::Detail => detail_action(app, action),
        KeyContext::Timeline => timeline_action(app, action),
        KeyContext::Chart => chart_action(app, action),
        KeyContext::Queue => queue_action(app, action),
        KeyContext::Engage => engage::screen::action(app, action),
        KeyContext::Team => super::team::action(app, action),
        KeyContext::Send | KeyContext::Confirm => engage::send::action(app, action),
        KeyContext::Form => action_forms::form_action(app, action),
    }
}

/// How many keys may wait ([`App::typeahead`]): beyond it (a long save of many marked
/// customers, typed on), keys are not taken, and the screen says so.
const TYPEAHEAD_MAX: usize = 256;

/// Puts a key behind what the screen waits for.
fn wait(app: &mut App, typed: Typed) {
    if app.typeahead.len() >= TYPEAHEAD_MAX {
        app.say_error(format!(
            "{TYPEAHEAD_MAX} keys wait already for the screen: this one is not taken"
        ));
        return;
    }
    app.typeahead.push_back(typed);
    if action_forms::saving_now(app)
        && let Some(form) = app.form.as_mut()
    {
        action_forms::still_saving(form);
    }
}

/// Whether `action` waits for the page of the current query: a key that acts on the selected
/// row (`I`, `Enter`, `Space`, `r`, …) pressed on the queue while it is on its way (`/pizza`
/// typed, then `I` at once, the rows of `/pizz` still on screen) would find none selected
/// and say "No customer selected." though a row is shown. With no rows on screen (a new date
/// loading) it does not wait: there is no row the collector meant.
fn waits_for_page(app: &App, action: Action) -> bool {
    let on_selection = matches!(
        action,
        Action::Open | Action::Mark | Action::Remind | Action::Hold | Action::ViewAttachment
    ) || action_forms::kind_of(action).is_some();
    on_selection
        && app.key_context() == KeyContext::Queue
        && app.awaiting_page()
        && !app.page.rows.is_empty()
}

/// Whether a key typed now waits for an answer the screen is on its way to: the detail of the
/// customer just opened (`Enter`, then `Tab` and `d` at once would act on the timeline of the
/// customer shown before), a form's save (the next note typed at once was dropped), or a
/// form's defaults before `Enter` saves it (it said "the amount is missing" beside the amount
/// proposed a moment later).
fn waits_for_answer(app: &App, event: &KeyEvent) -> bool {
    match app.mode {
        Mode::Form => action_forms::waits(app, event),
        Mode::Normal => {
            matches!(app.key_context(), KeyContext::Detail | KeyContext::Timeline)
                && app.awaiting_detail()
        }
        _ => false,
    }
}

/// Whether a key that waited still waits.
fn still_waits(app: &App, typed: &Typed) -> bool {
    match typed {
        Typed::Action(action, _) => waits_for_page(app, *action),
        Typed::Key(event) => waits_for_answer(app, event),
        Typed::Paste(_) => action_forms::saving_now(app),
    }
}

/// Runs the keys that waited ([`App::typeahead`]) as far as nothing stops them: a key that
/// waits again (`Enter` typed among them opens a detail still to come) keeps the rest behind
/// it. A key refused (an error said) drops the keys typed after it, which were meant to follow
/// it: run against the queue they would sort, mark and open what nobody asked for. A key typed
/// for the customer a reload kept selected, which its page no longer selects (it left the
/// view), is dropped in the same way: it never acts on the customer that took its place.
fn run_typeahead(app: &mut App) -> Vec<Effect> {
    let mut fx = Vec::new();
    let mut rest = std::mem::take(&mut app.typeahead).into_iter();
    while let Some(typed) = rest.next() {
        if still_waits(app, &typed) {
            app.typeahead.push_back(typed);
            app.typeahead.extend(rest);
            break;
        }
        if let Typed::Action(_, Some(meant)) = &typed
            && app.selected().map(|r| r.cid) != Some(meant.cid)
        {
            let mut text = format!(
                "{} is no longer in this view: the key typed for it was not run",
                meant.label
            );
            match rest.len() {
                0 => text.push('.'),
                1 => text.push_str(" (1 key typed after it was not run)."),
                n => text.push_str(&format!(" ({n} keys typed after it were not run).")),
            }
            app.say_error(text);
            break;
        }
        let before = app.status.clone();
        fx.extend(match typed {
            Typed::Action(action, _) => update(app, action),
            Typed::Key(event) => key(app, event),
            Typed::Paste(text) => paste(app, &text),
        });
        if !app.typeahead.is_empty() {
            app.typeahead.extend(rest);
            break;
        }
        let refused = app.status.as_ref().is_some_and(|s| s.error) && app.status != before;
        let dropped = rest.len();
        if refused && dropped > 0 {
            if let Some(status) = app.status.as_mut() {
                status
                    .text
                    .push_str(&format!(" ({dropped} keys typed after it were not run)"));
            }
            break;
        }
    }
    fx
}

/// An answer from the database arrived; then the keys that waited for it run.
pub fn response(app: &mut App, response: Response) -> Vec<Effect> {
    let mut fx = answer(app, response);
    if !app.typeahead.is_empty() {
        fx.extend(run_typeahead(app));
    }
    fx
}

fn answer(app: &mut App, response: Response) -> Vec<Effect> {
    match response {
        Response::Summary(summary) => {
            if summary.as_of != app.as_of {
                return Vec::new();
            }
            // Figures not asked for: the data changed (a save, another process's commit).
            // Those asked for came with the team's own request when its screen was shown
            // ([`refresh`]).
            let news = !app.summary_pending;
            app.summary = Some(*summary);
            app.summary_pending = false;
            let bars = app.chart_bars();
            app.chart_sel = app.chart_sel.min(bars.saturating_sub(1));
            if news {
                let mut fx = super::team::changed(app);
                fx.extend(engage::screen::changed(app));
                fx.extend(action_forms::data_changed(app));
                fx.extend(check_marks(app));
                return fx;
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
            // The customer selected stays selected: on the page this one replaces (the same
            // query's, answered again after a save or another process's commit), or the one
            // a reload kept.
            let kept = if ticket.generation == app.generation {
                let follow = app.follow.take();
                if app.page_is_current() {
                    app.followed()
                } else {
                    follow
                }
            } else {
                None
            };
            app.page = page;
            app.loaded = Some(ticket);
            let total = app.total();
            app.cursor = app.cursor.min(total.saturating_sub(1));
            if let Some(kept) = kept {
                keep_selected(app, kept);
            }
            adjust_scroll(app);
            let fx = sync(app);
            // A new filter that keeps the customer shown (`/N00650` on the first row's
            // customer) names a document of its detail: it lands there as on a new customer.
            if app.landed_generation != Some(ticket.generation)
                && app.detail_cid.is_some()
                && app.detail.as_ref().map(|d| d.detail.header.cid) == app.detail_cid
            {
                land_on_document(app);
                app.landed_generation = Some(ticket.generation);
            }
            fx
        }
        Response::Detail { seq, cid, data } => {
            if seq == app.detail_seq && app.detail_cid == Some(cid) {
                app.detail_answered = seq;
                let first = app
                    .detail
                    .as_ref()
                    .is_none_or(|d| d.detail.header.cid != cid);
                app.detail = data.map(|d| *d);
                // The timeline's selection stays (a save adds an entry: it may now be on the
                // one before), within the entries there are.
                let entries = app.detail.as_ref().map_or(0, |d| d.detail.activity.len());
                app.timeline = app
                    .timeline
                    .filter(|_| entries > 0)
                    .map(|i| i.min(entries - 1));
                if first {
                    land_on_document(app);
                    app.landed_generation = Some(app.generation);
                } else {
                    let rows = usize::from(view::detail_rows(app));
                    app.detail_scroll = app.detail_scroll.min(detail_max_scroll(app, rows));
                }
                // A detail read again (after a save) may have entries before the one landed
                // on: Tab selects the newest again.
                if !first {
                    app.landed_entry = None;
                }
                land_on_entry(app);
                // `v` pressed while it loaded: the viewer, if the customer is still selected
                // and nothing else was opened meanwhile.
                if app.view_when_loaded.take() == Some(cid)
                    && app.mode == Mode::Normal
                    && app.detail_customer() == Some(cid)
                {
                    app.status = None;
                    return super::viewer::open(app);
                }
                if !first {
                    // Its figures may have moved under an open form.
                    return action_forms::refresh_data(app, cid);
                }
            }
            Vec::new()
        }
        Response::RepliesRead {
            cid,
            marked,
            left_tab,
        } => {
            // The row stays until the page is read again; its flag and the count change now
            // (nothing changes when nothing was marked: the user only looked).
            if let Some(row) = app
                .page
                .rows
                .iter_mut()
                .find(|r| r.cid == cid)
                .filter(|_| marked > 0 || left_tab)
            {
                row.unread_replies = 0;
                row.unverified_replies = 0;
            }
            if left_tab {
                let i = Tab::Replies.index();
                app.page.counts[i] = app.page.counts[i].saturating_sub(1);
            }
            if marked > 0 {
                app.say(format!(
                    "{marked} repl{} marked read.",
                    if marked == 1 { "y" } else { "ies" }
                ));
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
        Response::FormData { seq, data, .. } => action_forms::form_data(app, seq, data),
        Response::Saving {
            seq,
            written,
            of,
            waiting,
        } => action_forms::saving(app, seq, written, of, waiting),
        Response::Saved { seq, outcome } => action_forms::saved(app, seq, outcome),
        Response::Attachment { seq, preview } => super::viewer::received(app, seq, preview),
        Response::Team { seq, report } => super::team::received(app, seq, report),
        Response::Forecast(view) => super::forecast::received(app, *view),
        Response::Keys { seq, cids } if app.marks_seq == Some(seq) => {
            app.marks_seq = None;
            marks_in_scope(app, &cids);
            Vec::new()
        }
        Response::Keys { seq, cids } => {
            if app.keys_seq == Some(seq) {
                app.keys_seq = None;
                let before = app.marks.len();
                app.marks.extend(cids.iter().copied());
                let added = app.marks.len() - before;
                app.say(format!(
                        "{} customer{} of this view marked ({added} more); actions apply to the {} marked · Esc clears",
                        cids.len(),
                        if cids.len() == 1 { "" } else { "s" },
                        app.marks.len()
                    ));
            }
            Vec::new()
        }
        Response::Exported { seq, result } => super::export::written(app, seq, result),
        Response::Scope(scope) => {
            if scope.as_of == app.as_of && scope.is_for(&app.query) {
                app.scope = Some(*scope);
                let bars = app.chart_bars();
                app.chart_sel = app.chart_sel.min(bars.saturating_sub(1));
            }
            Vec::new()
        }
        Response::Actor(actor) => {
            // The user's role changed (in one's own shell): the keys offered and refused at
            // once follow it, as the writes already do.
            if app.actor.as_ref().is_some_and(|a| a.role != actor.role) {
                app.say(format!(
                    "Your role is now {} (the users changed): what the keys offer follows it.",
                    actor.role
                ));
            }
            app.actor = Some(actor);
            Vec::new()
        }
        Response::Error(message) => {
            // Whatever was asked may be asked again by the next key.
            app.summary_pending = false;
            app.inflight = None;
            app.detail_cid = None;
            app.say_error(format!("database: {message}"));
            // Keys that waited have nothing to act on: dropped, the error shown; and a form
            // whose defaults did not come goes, as when they fail ([`action_forms::form_data`]).
            app.typeahead.clear();
            action_forms::defaults_failed(app);
            Vec::new()
        }
    }
}

/// A page came in place of one on which `kept` was selected: the cursor goes to it, wherever
/// the page now has it (a save re-ranked it, a customer before it left). Not on the page, it
/// has left the view (assigned to someone else, no longer overdue) or moved out of the rows
/// read: the row that took its place is selected, and the status line says so while the queue
/// is shown (after what it said already).
fn keep_selected(app: &mut App, kept: Followed) {
    if let Some(i) = app.page.rows.iter().position(|r| r.cid == kept.cid) {
        app.cursor = app.page.offset + i as u64;
        return;
    }
    if app.screen != Screen::Main {
        return;
    }
    let whole = app.page.offset == 0 && app.page.rows.len() as u64 >= app.total();
    let text = if whole {
        format!("{} is no longer in this view.", kept.label)
    } else {
        format!(
            "{} is no longer among the rows around the cursor: it left this view or moved in \
             its order.",
            kept.label
        )
    };
    match app.status.as_mut() {
        Some(status) => status.text = format!("{} · {text}", status.text),
        None => app.say(text),
    }
}

/// The data changed with customers marked in the collector's own queue: asks for the keys of
/// the customers it holds now (every tab, no filter), so that marks on those that left it (a
/// manager assigned one to someone else) are dropped rather than acted on unseen.
fn check_marks(app: &mut App) -> Vec<Effect> {
    if app.marks.is_empty() || app.query.scope != Scope::Mine {
        return Vec::new();
    }
    let seq = app.next_seq();
    app.marks_seq = Some(seq);
    let query = crate::domain::queue::QueueQuery {
        tab: Tab::All,
        filter: QueueFilter::default(),
        ..app.query.clone()
    };
    vec![Effect::Request(Request::Keys {
        seq,
        as_of: app.as_of,
        query,
    })]
}

/// The answer to [`check_marks`]: the marks on customers not in `cids` are dropped, and the
/// status line says so (after what it said already: a save refused for that customer).
fn marks_in_scope(app: &mut App, cids: &[i64]) {
    if app.query.scope != Scope::Mine {
        return;
    }
    let scope: std::collections::HashSet<i64> = cids.iter().copied().collect();
    let before = app.marks.len();
    app.marks.retain(|cid| scope.contains(cid));
    let dropped = before - app.marks.len();
    if dropped == 0 {
        return;
    }
    let text = match dropped {
        1 => format!(
            "Mark dropped: 1 marked customer is no longer among {}'s customers.",
            app.query.collector
        ),
        n => format!(
            "Marks dropped: {n} marked customers are no longer among {}'s customers.",
            app.query.collector
        ),
    };
    match app.status.as_mut() {
        Some(status) => status.text = format!("{} · {text}", status.text),
        None => app.say(text),
    }
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
                let cid = row.cid;
                // The detail lands on the entry the tab is about (`land_on_entry`); from the
                // Replies tab the replies are marked read — when it is the user's to do: an
                // auditor or another collector only looks.
                let replies = app.query.tab == Tab::Replies && row.unread_replies > 0;
                if replies
                    && app
                        .refusal(crate::domain::users::Work::ReadReplies, &[cid])
                        .is_none()
                {
                    fx.push(Effect::Request(Request::MarkRepliesRead {
                        cid,
                        as_of: app.as_of,
                    }));
                }
                app.land_on = Some(app.query.tab);
                app.landed_entry = None;
                app.pinned = Some(cid);
                app.screen = Screen::Detail;
                app.detail_scroll = 0;
                // A filter naming one of its documents: scrolled to it, as beside the queue.
                if app.detail.as_ref().map(|d| d.detail.header.cid) == Some(cid) {
                    land_on_document(app);
                }
            }
            fx.extend(sync(app));
            // The detail may be here already (it was beside the queue).
            land_on_entry(app);
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
            app.filter_before_at = (app.cursor, app.scroll);
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
        Action::SortCall => sort(app, SortKey::LastCall),
        Action::NextTab => step_tab(app, 1),
        Action::PrevTab => step_tab(app, -1),
        Action::MarkAll => mark_all(app),
        action if let Some(tab) = action.tab() => set_tab(app, tab),
        Action::Remind => engage::send::start(app),
        Action::Engage => engage::screen::open_pane(app, None),
        Action::Team => super::team::open(app),
        Action::Hold => hold_prompt(app),
        Action::ToggleMine => toggle_scope(app),
        Action::ChartCycle => cycle_chart(app),
        Action::FocusChart => {
            // A folded chart is shown to take the focus.
            let fx = if view::chart_shown(app) {
                Vec::new()
            } else {
                show_chart(app, None)
            };
            if view::chart_shown(app) {
                app.focus = Focus::Chart;
                app.chart_sel = app.chart_sel.min(app.chart_bars().saturating_sub(1));
            }
            fx
        }
        Action::Back => {
            if !app.query.filter.is_empty() {
                app.query.filter = QueueFilter::default();
                app.say("Filter cleared.");
                return requery(app);
            }
            if !app.marks.is_empty() {
                app.marks.clear();
                app.say("Marks cleared.");
            }
            Vec::new()
        }
        Action::Help => open_help(app),
        Action::Reload => reload(app),
        action if action_forms::kind_of(action).is_some() => action_forms::open(app, action),
        Action::ViewAttachment => super::viewer::open(app),
        _ => Vec::new(),
    }
}

/// `]` / `[`: the next (or previous) tab, the saved views coming after the built-in tabs.
fn step_tab(app: &mut App, delta: i64) -> Vec<Effect> {
    let builtin = Tab::ALL.len() as i64;
    let n = builtin + app.views.len() as i64;
    let now = match app.current_view() {
        Some(_) => builtin + app.view.unwrap_or(0) as i64,
        None => app.query.tab.index() as i64,
    };
    let next = (now + delta).rem_euclid(n);
    if next < builtin {
        set_tab(app, Tab::ALL[next as usize])
    } else {
        open_view(app, (next - builtin) as usize)
    }
}

/// Shows saved view `i`: its filter, sort, tab and scope.
fn open_view(app: &mut App, i: usize) -> Vec<Effect> {
    let Some(view) = app.views.get(i).cloned() else {
        return Vec::new();
    };
    if app.current_view().is_none() {
        app.filter_before_view = Some(app.query.filter.clone());
    }
    view.apply(&mut app.query);
    app.view = Some(i);
    app.say(format!("View: {}", view.name));
    requery(app)
}

/// `*`: asks for every customer of the current view, to mark them.
fn mark_all(app: &mut App) -> Vec<Effect> {
    let seq = app.next_seq();
    app.keys_seq = Some(seq);
    vec![Effect::Request(Request::Keys {
        seq,
        as_of: app.as_of,
        query: app.query.clone(),
    })]
}

/// `:save NAME` was written to the config (or not): the view becomes a tab, and current.
pub fn view_saved(app: &mut App, view: View, result: Result<String, String>) -> Vec<Effect> {
    match result {
        Ok(file) => {
            app.say(format!("View `{}` saved in {file}.", view.name));
            app.views.push(view);
            app.view = Some(app.views.len() - 1);
        }
        Err(e) => app.say_error(format!("View not saved: {e}")),
    }
    Vec::new()
}

/// `c` (and `:chart` alone): the next chart; after the last one the chart folds, giving its
/// rows to the queue (the first chart comes next); a folded chart (by `c`, `:chart off` or the
/// terminal's height) is shown again.
fn cycle_chart(app: &mut App) -> Vec<Effect> {
    if !view::chart_shown(app) {
        return show_chart(app, None);
    }
    if app.chart == ChartKind::LAST {
        return fold_chart(app);
    }
    app.chart = app.chart.next();
    app.chart_sel = 0;
    Vec::new()
}

/// Shows the chart (`kind`, else the one it was), whatever rows it leaves the queue; on a
/// terminal too short for any chart, says so and records nothing: a taller terminal later
/// folds or shows the chart by its height, as if the key had not been pressed.
fn show_chart(app: &mut App, kind: Option<ChartKind>) -> Vec<Effect> {
    if app.size.1 < view::CHART_MIN_HEIGHT {
        app.say(format!(
            "The chart needs a taller terminal: at least {} rows.",
            view::CHART_MIN_HEIGHT
        ));
        return Vec::new();
    }
    app.chart_fold = ChartFold::Shown;
    if let Some(kind) = kind {
        app.chart = kind;
    }
    app.chart_sel = 0;
    adjust_scroll(app);
    sync(app)
}

/// Folds the chart: its rows go to the queue, until `c` or `:chart NAME` shows it again.
fn fold_chart(app: &mut App) -> Vec<Effect> {
    app.chart_fold = ChartFold::Folded;
    app.chart = ChartKind::ALL[0];
    app.chart_sel = 0;
    app.focus = Focus::Queue;
    app.say("Chart folded: c shows it again.");
    sync(app)
}

fn chart_action(app: &mut App, action: Action) -> Vec<Effect> {
    let bars = app.chart_bars();
    match action {
        Action::Down => app.chart_sel = (app.chart_sel + 1).min(bars.saturating_sub(1)),
        Action::Up => app.chart_sel = app.chart_sel.saturating_sub(1),
        Action::Top => app.chart_sel = 0,
        Action::Bottom => app.chart_sel = bars.saturating_sub(1),
        Action::ChartCycle => return cycle_chart(app),
        Action::FocusChart | Action::Back => app.focus = Focus::Queue,
        Action::Open => return view_bar(app),
        Action::Help => return open_help(app),
        _ => {}
    }
    Vec::new()
}

/// Enter on a bar: show exactly the customers behind it, within the queue's scope and
/// filter (the filter gains the bar's term, in place of another bar's).
fn view_bar(app: &mut App) -> Vec<Effect> {
    let i = app.chart_sel;
    app.focus = Focus::Queue;
    let labels = app.session.bounds.labels();
    let (tab, term, what) = match app.chart {
        ChartKind::Aging => {
            let Some(label) = labels.get(i) else {
                return Vec::new();
            };
            let tab = if i == 0 { Tab::All } else { Tab::Overdue };
            (
                tab,
                format!("bucket:{label}"),
                format!("Customers with an amount in {label}."),
            )
        }
        ChartKind::Overdue => match labels.get(i + 1) {
            Some(label) => (
                Tab::Overdue,
                format!("net:{label}"),
                format!("Customers with net overdue in {label}."),
            ),
            None => (
                Tab::All,
                "unutilised>0".to_string(),
                "Customers with unutilised credit.".to_string(),
            ),
        },
        ChartKind::Collectable => match i {
            0 => (
                Tab::All,
                "outstanding>0".to_string(),
                "Customers with something outstanding.".to_string(),
            ),
            1 => (
                Tab::All,
                "collectable>0".to_string(),
                "Customers with something collectable this month.".to_string(),
            ),
            _ => (
                Tab::All,
                "unutilised>0".to_string(),
                "Customers with unutilised credit.".to_string(),
            ),
        },
        ChartKind::Issues => match view::chart::issue_rows(app).get(i) {
            Some(view::chart::IssueRow::Reason(reason, ..)) => (
                Tab::Disputes,
                if reason.contains(char::is_whitespace) {
                    format!("issue:\"{reason}\"")
                } else {
                    format!("issue:{reason}")
                },
                format!("Customers with an open {} issue.", reason.replace('_', " ")),
            ),
            Some(view::chart::IssueRow::More(..)) => (
                Tab::Disputes,
                String::new(),
                "Customers with an open issue.".to_string(),
            ),
            Some(view::chart::IssueRow::FollowUps(_)) => (
                Tab::FollowUps,
                String::new(),
                "Customers with a follow-up due.".to_string(),
            ),
            None => return Vec::new(),
        },
        ChartKind::Cash => {
            app.focus = Focus::Chart;
            if let Some(text) = view::cash::describe_week(app, i) {
                app.say(text);
            }
            return Vec::new();
        }
    };
    // The filter as typed, less any term a bar added before.
    let charted = |t: &str| {
        let t = t.to_ascii_lowercase();
        ["bucket:", "net:", "issue:"]
            .iter()
            .any(|p| t.starts_with(p))
            || ["outstanding>0", "collectable>0", "unutilised>0"].contains(&t.as_str())
    };
    let kept: Vec<&str> = app
        .query
        .filter
        .text
        .split_whitespace()
        .filter(|t| !charted(t))
        .collect();
    let text = format!("{} {term}", kept.join(" "));
    app.query.tab = tab;
    let fx = set_filter(app, text.trim());
    app.say(what);
    fx
}

fn detail_action(app: &mut App, action: Action) -> Vec<Effect> {
    let rows = usize::from(view::detail_rows(app).max(1));
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
            app.pinned = None;
            app.timeline = None;
            app.land_on = None;
            app.landed_entry = None;
            adjust_scroll(app);
            return sync(app);
        }
        Action::Help => return open_help(app),
        Action::Command => {
            app.mode = Mode::Command;
            app.input = tui_input::Input::default();
            return Vec::new();
        }
        action if action_forms::kind_of(action).is_some() => {
            return action_forms::open(app, action);
        }
        Action::ViewAttachment => return super::viewer::open(app),
        Action::Remind => return engage::send::start(app),
        Action::Engage => return engage::screen::open_pane(app, None),
        Action::Hold => return hold_prompt(app),
        Action::FocusTimeline => {
            let entries = app.detail.as_ref().map_or(0, |d| d.detail.activity.len());
            if entries == 0 {
                app.say("The timeline has no entries to act on.");
                return Vec::new();
            }
            // The entry the detail landed on (opened from a tab), else the newest.
            let landed = app.landed_entry.filter(|&i| i < entries);
            app.timeline = Some(landed.unwrap_or(0));
            show_entry(app);
            return Vec::new();
        }
        _ => s,
    };
    Vec::new()
}

/// A key with the focus on the detail's timeline: move between its entries, act on the one
/// selected, or go back to the detail.
fn timeline_action(app: &mut App, action: Action) -> Vec<Effect> {
    let entries = app.detail.as_ref().map_or(0, |d| d.detail.activity.len());
    let last = entries.saturating_sub(1);
    let at = app.timeline.unwrap_or(0).min(last);
    match action {
        Action::Down => app.timeline = Some((at + 1).min(last)),
        Action::Up => app.timeline = Some(at.saturating_sub(1)),
        Action::Top => app.timeline = Some(0),
        Action::Bottom => app.timeline = Some(last),
        Action::FocusTimeline | Action::Back => {
            app.timeline = None;
            return Vec::new();
        }
        Action::Help => return open_help(app),
        Action::Done | Action::Void | Action::Resolve | Action::Reopen => {
            let entry = app
                .detail
                .as_ref()
                .and_then(|d| d.detail.activity.get(at))
                .cloned();
            return match entry {
                Some(entry) => action_forms::open_record(app, action, &entry),
                None => Vec::new(),
            };
        }
        _ => {}
    }
    show_entry(app);
    Vec::new()
}

/// Scrolls the detail so that the selected timeline entry is on screen.
fn show_entry(app: &mut App) {
    let Some(i) = app.timeline else { return };
    let rows = usize::from(view::detail_rows(app).max(1));
    let Some((first, last)) = view::detail::entry_lines(app, detail_width(app))
        .get(i)
        .copied()
    else {
        return;
    };
    if first < app.detail_scroll {
        app.detail_scroll = first;
    } else if last >= app.detail_scroll + rows {
        app.detail_scroll = (last + 1).saturating_sub(rows).min(first);
    }
}

/// A detail opened from a tab with a reason, once its customer's detail is here: scrolled
/// to the entry that puts the customer in that tab (at the top of the detail, as far as it
/// goes) — from Replies the newest reply, from Follow-ups the oldest open follow-up that is
/// due (not a newer one due later), from Promises the newest promise not voided (the
/// latest, whose state the tab is about), from Disputes the newest open issue. `Esc` still
/// goes straight back to the queue, for the next one; `Tab` acts on that entry.
fn land_on_entry(app: &mut App) {
    let Some(tab) = app.land_on else {
        return;
    };
    let wanted = |e: &crate::domain::customer::ActivityEntry| match tab {
        Tab::Replies => matches!(e.kind, ActivityKind::Reply | ActivityKind::UnverifiedReply),
        Tab::FollowUps => matches!(
            e.record,
            Some(EntryRecord::FollowUp {
                done: false,
                due: true,
                ..
            })
        ),
        Tab::Promises => matches!(e.record, Some(EntryRecord::Promise { voided: false, .. })),
        Tab::Disputes => matches!(e.record, Some(EntryRecord::Issue { open: true, .. })),
        _ => false,
    };
    // Not yet: the pinned customer's detail has not come. The timeline runs newest first:
    // the oldest follow-up due is the last found.
    let Some(found) = app
        .detail
        .as_ref()
        .filter(|d| app.pinned == Some(d.detail.header.cid))
        .map(|d| {
            let mut entries = d.detail.activity.iter();
            if tab == Tab::FollowUps {
                entries.rposition(wanted)
            } else {
                entries.position(wanted)
            }
        })
    else {
        return;
    };
    app.land_on = None;
    let Some(i) = found else {
        return;
    };
    app.landed_entry = Some(i);
    let rows = usize::from(view::detail_rows(app));
    if let Some((first, _)) = view::detail::entry_lines(app, detail_width(app))
        .get(i)
        .copied()
    {
        app.detail_scroll = first.min(detail_max_scroll(app, rows));
    }
}

/// The width the detail's lines are laid out at.
fn detail_width(app: &App) -> u16 {
    let inset = if app.screen == Screen::Detail { 2 } else { 3 };
    view::areas(app)
        .detail
        .map_or(0, |r| r.width.saturating_sub(inset))
}

/// `h`: the command line with `hold +7d`, ready to edit or apply.
fn hold_prompt(app: &mut App) -> Vec<Effect> {
    if app.refused(crate::domain::users::Work::Hold, &app.targets()) {
        return Vec::new();
    }
    app.mode = Mode::Command;
    app.input = tui_input::Input::new("hold +7d".to_string());
    Vec::new()
}

fn detail_max_scroll(app: &App, rows: usize) -> usize {
    view::detail::line_count(app, detail_width(app)).saturating_sub(rows)
}

fn open_help(app: &mut App) -> Vec<Effect> {
    app.open_help();
    Vec::new()
}

fn help_action(app: &mut App, action: Action) -> Vec<Effect> {
    let screen = ratatui::layout::Rect::new(0, 0, app.size.0, app.size.1);
    let rows = view::help::rows(screen).max(1);
    let max =
        (view::help::lines(app, view::help::text_width(screen)).len() as u16).saturating_sub(rows);
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

/// The most characters the filter or command line takes.
pub const LINE_MAX_CHARS: usize = 500;

/// Text pasted into the terminal (bracketed paste). It is typed, in one go, into the form's
/// field, the filter or the command line; anywhere else it is not taken for keys, which
/// would run whatever its letters are bound to (an email pasted into the wrong window).
pub fn paste(app: &mut App, text: &str) -> Vec<Effect> {
    if !app.typeahead.is_empty() || action_forms::saving_now(app) {
        wait(app, Typed::Paste(text.to_string()));
        return Vec::new();
    }
    if !super::view::fits(app.size) {
        // As a key: nothing typed unseen behind the note that asks for a bigger terminal.
        return Vec::new();
    }
    match app.mode {
        Mode::Form => action_forms::paste(app, text),
        Mode::Filter | Mode::Command => {
            let (input, cut) = super::field::pasted(&app.input, text, LINE_MAX_CHARS, false);
            app.input = input;
            let fx = line_changed(app);
            if cut {
                app.say_error(format!("at most {LINE_MAX_CHARS} characters on this line"));
            }
            fx
        }
        _ => {
            app.say_error(
                "Pasted text is not taken for keys: paste into a form (n for a note), \
                 the filter (/) or the command line (:).",
            );
            Vec::new()
        }
    }
}

/// A key typed into the filter or command line.
fn edit(app: &mut App, event: &KeyEvent) -> Vec<Effect> {
    let Some(request) = to_input_request(&crossterm::event::Event::Key(*event)) else {
        return Vec::new();
    };
    // A filter or command is a line: a pasted page would requery the queue at every letter.
    if super::field::would_overflow(&app.input, &request, LINE_MAX_CHARS) {
        app.say_error(format!("at most {LINE_MAX_CHARS} characters on this line"));
        return Vec::new();
    }
    app.input.handle(request);
    line_changed(app)
}

/// The filter or command line's text changed.
fn line_changed(app: &mut App) -> Vec<Effect> {
    if app.mode == Mode::Command {
        // The choices Tab offered are gone once another key is typed.
        app.status = None;
    }
    if app.mode == Mode::Filter {
        // The queue follows the filter as it is typed; a half-typed term waits quietly.
        let text = app.input.value().to_string();
        match parse_filter(app, &text) {
            Ok(filter) => {
                app.status = None;
                if filter != app.query.filter {
                    app.query.filter = filter;
                    return requery(app);
                }
            }
            Err(e) => app.say_error(e),
        }
    }
    Vec::new()
}

fn input_action(app: &mut App, action: Action) -> Vec<Effect> {
    let text = app.input.value().trim().to_string();
    match (app.mode, action) {
        (Mode::Filter, Action::Submit) => match parse_filter(app, &text) {
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
                app.say_error(e);
                Vec::new()
            }
        },
        (Mode::Filter, Action::Cancel) => {
            app.mode = Mode::Normal;
            app.status = None;
            let before = app.filter_before.clone();
            let mut fx = set_filter(app, &before);
            // The same rows as before `/`: the same one selected, at the same place.
            (app.cursor, app.scroll) = app.filter_before_at;
            fx.extend(sync(app));
            fx
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
        (Mode::Command, Action::Complete) => {
            let views: Vec<&str> = app.views.iter().map(|v| v.name.as_str()).collect();
            let done = super::commands::complete(app.input.value(), &views);
            app.input = tui_input::Input::new(done.line);
            app.status = None;
            if !done.choices.is_empty() {
                app.say(done.choices.join(" · "));
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Runs a `:` command (the names and what each takes: [`super::commands::TABLE`]).
pub fn command(app: &mut App, line: &str) -> Vec<Effect> {
    use super::commands::{Command, find};
    let mut words = line.split_whitespace();
    let Some(name) = words.next() else {
        return Vec::new();
    };
    let rest: Vec<&str> = words.collect();
    let Some(spec) = find(name) else {
        app.say_error(format!("unknown command `{name}` (:help lists them)"));
        return Vec::new();
    };
    // The name as the table writes it, whatever case it was typed in.
    let name = name.to_ascii_lowercase();
    let name = name.as_str();
    // The words past what it takes are refused, not ignored (`:q now` quit).
    if let Some(most) = spec.most_words()
        && rest.len() > most
    {
        let takes = match spec.usage {
            "" => "no words".to_string(),
            usage => usage.to_string(),
        };
        app.say_error(format!(
            "`:{name}` takes {takes}: remove `{}`",
            rest[most..].join(" ")
        ));
        return Vec::new();
    }
    match spec.command {
        Command::Engage | Command::Hold | Command::Remind => {
            match engage::command(app, name, &rest) {
                Some(fx) => fx,
                None => {
                    app.say_error(format!("use :{name} {}", spec.usage));
                    Vec::new()
                }
            }
        }
        Command::Quit => super::export::quit(app),
        Command::Sort => {
            let Some(key) = rest.first().and_then(|k| SortKey::parse(k)) else {
                app.say_error(match rest.first() {
                    Some(k) => format!("`{k}` is not a sort key ({})", spec.help()),
                    None => format!("`:{name}` needs a sort key ({})", spec.help()),
                });
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
                    app.say_error(format!("`{d}` is not asc or desc"));
                    Vec::new()
                }
            }
        }
        Command::Tab => match rest.first().and_then(|t| Tab::parse(t)) {
            Some(tab) => set_tab(app, tab),
            None => {
                app.say_error(match rest.first() {
                    Some(t) => format!("`{t}` is not a tab ({})", spec.help()),
                    None => format!("`:{name}` needs a tab ({})", spec.help()),
                });
                Vec::new()
            }
        },
        Command::Mine => set_scope(app, Scope::Mine),
        Command::All => set_scope(app, Scope::Everyone),
        Command::AsOf => {
            let text = rest.join(" ");
            if text.is_empty() {
                app.say_error(format!("`:{name}` needs a date (YYYY-MM-DD, today, -7d)"));
                return Vec::new();
            }
            // `today` is this machine's day, which the session follows again; every other
            // relative form (`-7d`, `+2w`, `yesterday`, a weekday) counts from the session's
            // date, as the forms' dates do: `-7d` as of 31 January is 24 January.
            let parsed = if text.trim().eq_ignore_ascii_case("today") {
                Some(app.session.today)
            } else {
                parse_relative(&text, app.as_of)
            };
            match parsed {
                // The dates `--as-of` takes, refused in the same words: the session keeps its
                // date (9999-12-31 put forecast dates in year +10000, and holds in +40357).
                Some(d) if !date::in_calendar(d) => {
                    app.say_error(date::outside_calendar(d));
                    Vec::new()
                }
                Some(date) => set_as_of(app, date),
                None => {
                    app.say_error(format!(
                        "`{text}` is not a date{}",
                        date::not_a_date_because(&text, " (YYYY-MM-DD, today, -7d)")
                    ));
                    Vec::new()
                }
            }
        }
        Command::Filter => set_filter(app, &rest.join(" ")),
        Command::SaveView => save_view(app, &rest.join(" ")),
        Command::View => {
            let name = rest.join(" ");
            if name.trim().is_empty() {
                let names: Vec<&str> = app.views.iter().map(|v| v.name.as_str()).collect();
                if names.is_empty() {
                    app.say("No saved views: `:save NAME` saves this one.");
                } else {
                    app.say(format!("Views: {}", names.join(", ")));
                }
                return Vec::new();
            }
            let found = app
                .views
                .iter()
                .position(|v| v.name.eq_ignore_ascii_case(name.trim()))
                .or_else(|| {
                    let lowered = name.trim().to_lowercase();
                    let starting: Vec<usize> = (0..app.views.len())
                        .filter(|&i| app.views[i].name.to_lowercase().starts_with(&lowered))
                        .collect();
                    (starting.len() == 1).then(|| starting[0])
                });
            match found {
                Some(i) => open_view(app, i),
                None => {
                    app.say_error(format!(
                        "no view named `{}` (:view lists them)",
                        name.trim()
                    ));
                    Vec::new()
                }
            }
        }
        Command::NoFilter => set_filter(app, ""),
        Command::Chart => match rest.first() {
            None => cycle_chart(app),
            Some(n) if n.trim().eq_ignore_ascii_case(CHART_OFF) => fold_chart(app),
            Some(n) => match ChartKind::parse(n) {
                Some(kind) => show_chart(app, Some(kind)),
                None => {
                    app.say_error(format!("`{n}` is not a chart ({})", spec.help()));
                    Vec::new()
                }
            },
        },
        Command::Help => open_help(app),
        Command::Reload => reload(app),
        Command::Unmark => {
            app.marks.clear();
            Vec::new()
        }
        Command::Redraw => vec![Effect::Clear],
        Command::Export => super::export::command(app, &rest),
        Command::Suspend => vec![Effect::Suspend],
        Command::Team => super::team::open(app),
    }
}

fn sort(app: &mut App, key: SortKey) -> Vec<Effect> {
    app.query.sort_by(key);
    requery(app)
}

fn set_tab(app: &mut App, tab: Tab) -> Vec<Effect> {
    // Out of a saved view: its filter goes with it, the one from before comes back.
    if app.current_view().is_some()
        && let Some(filter) = app.filter_before_view.take()
    {
        app.query.filter = filter;
    }
    app.view = None;
    app.query.tab = tab;
    requery(app)
}

/// `m`: my customers or everyone's, the other of the two (the queue's switch; the engagement
/// screen follows it).
pub(crate) fn toggle_scope(app: &mut App) -> Vec<Effect> {
    let scope = match app.query.scope {
        Scope::Mine => Scope::Everyone,
        Scope::Everyone => Scope::Mine,
    };
    set_scope(app, scope)
}

fn set_scope(app: &mut App, scope: Scope) -> Vec<Effect> {
    app.query.scope = scope;
    requery(app)
}

/// Reads filter text as the queue takes it: an `issue:` term must name a reason the session
/// knows (the config's, every recorded issue's as the session began, and those of the open
/// issues its figures show), as `owed export queue --filter` checks them.
fn parse_filter(app: &App, text: &str) -> Result<QueueFilter, String> {
    let filter = QueueFilter::parse(text, &app.session.bounds)?;
    if filter
        .predicates
        .iter()
        .any(|p| matches!(p, Predicate::Issue(_)))
    {
        let configured: Vec<String> = app
            .action_settings
            .dispute_reasons
            .iter()
            .chain(&app.issue_reasons)
            .cloned()
            .collect();
        let shown = app
            .summary
            .iter()
            .flat_map(|s| &s.issues)
            .chain(app.scope.iter().flat_map(|s| &s.figures.issues))
            .map(|r| r.reason.as_str());
        let known = crate::domain::queue::issue_reasons(&configured, shown);
        filter.check_issue_reasons(&known)?;
    }
    Ok(filter)
}

/// Sets the filter from text; a bad filter leaves the old one and says why.
fn set_filter(app: &mut App, text: &str) -> Vec<Effect> {
    match parse_filter(app, text) {
        Ok(filter) => {
            app.query.filter = filter;
            requery(app)
        }
        Err(e) => {
            app.say_error(e);
            Vec::new()
        }
    }
}

/// Shows everything as of another date (the figures of that date, computed unless another
/// session has them already); today's is not a date chosen. A date after today is a view of
/// that day, read-only: said here, and in the title while it lasts.
pub fn set_as_of(app: &mut App, date: crate::domain::Date) -> Vec<Effect> {
    move_to(app, date);
    app.as_of_given = date != app.session.today;
    if app.after_today() {
        app.say(format!(
            "As of {date}, after today ({}): a view of that day, read-only (writes are dated \
             today or earlier); `:asof today` goes back to today.",
            app.session.today
        ));
    }
    refresh(app, Request::Summary { as_of: date })
}

/// The session's date becomes `date`. The rows, counts and detail of the date before go: under
/// the new date's title they were figures of another day (their days since the last contact,
/// counted from the new date, read `-309d`), and a key could act on a row of that day. The
/// queue, the detail and the engagement screen's plan say they are loading until the new
/// date's are in.
fn move_to(app: &mut App, date: crate::domain::Date) {
    if date != app.as_of {
        app.page = crate::domain::queue::QueuePage::default();
        app.loaded = None;
        app.detail = None;
        app.engage.screen.plan = None;
        app.engage.screen.report = None;
    }
    app.as_of = date;
}

/// Reads the figures, the page and the detail again (`R`).
fn reload(app: &mut App) -> Vec<Effect> {
    let as_of = app.as_of;
    refresh(app, Request::Reload { as_of })
}

/// Asks for the figures (`figures`), the page and the detail again.
fn refresh(app: &mut App, figures: Request) -> Vec<Effect> {
    // The page read again selects the same customer (a page not in yet: the one kept before).
    if let Some(selected) = app.followed() {
        app.follow = Some(selected);
    }
    app.summary_pending = true;
    app.detail_cid = None;
    // The forecast comes again with the figures when the portfolio of the date has one; one
    // kept from before may be of a portfolio that has ended since.
    app.forecast = None;
    let mut fx = vec![Effect::Request(figures)];
    app.generation += 1;
    app.inflight = None;
    fx.extend(sync(app));
    fx.extend(engage::screen::refresh(app));
    fx.extend(super::team::refresh(app));
    fx
}

/// `:save NAME`: the queue as it is (filter, sort, tab, scope) becomes a saved view.
fn save_view(app: &mut App, name: &str) -> Vec<Effect> {
    let name = name.trim();
    if name.is_empty() {
        app.say_error("`:save NAME` names the view");
        return Vec::new();
    }
    if let Err(e) = crate::domain::text::refuse_name("the view name", name) {
        app.say_error(e);
        return Vec::new();
    }
    if app.views.iter().any(|v| v.name.eq_ignore_ascii_case(name)) {
        app.say_error(format!(
            "a view named `{name}` exists already: choose another name"
        ));
        return Vec::new();
    }
    vec![Effect::SaveView(View::of_query(name, &app.query))]
}

/// The query changed: back to the top, new pages.
pub(crate) fn requery(app: &mut App) -> Vec<Effect> {
    app.follow = None;
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

/// Moves the queue's cursor to row `at` (absolute, within the tab).
pub(crate) fn select_row(app: &mut App, at: u64) -> Vec<Effect> {
    move_cursor(app, at as i64 - app.cursor as i64)
}

/// The queue shown again after a screen that hid it (engagement, team): kept on screen, and
/// the rows it now shows asked for (a scope switched while it was hidden left it with the
/// few rows then visible, the rest drawn as `…` until a key).
pub(crate) fn queue_shown_again(app: &mut App) -> Vec<Effect> {
    adjust_scroll(app);
    sync(app)
}

/// Keeps the cursor on screen, and the screen full when it can be — once the queue is on
/// screen: a page that arrives while another screen hides it (after a save in the detail)
/// must not scroll it as if it were one row high.
fn adjust_scroll(app: &mut App) {
    let rows = view::queue_rows(app);
    if rows == 0 {
        return;
    }
    if app.cursor < app.scroll {
        app.scroll = app.cursor;
    } else if app.cursor >= app.scroll + rows {
        app.scroll = app.cursor + 1 - rows;
    }
    let max_scroll = app.total().saturating_sub(rows);
    app.scroll = app.scroll.min(max_scroll);
}

/// A search for a document's number lands on it: the detail scrolled to bring it into view
/// (within the detail's scroll).
fn land_on_document(app: &mut App) {
    // Not on screen (the queue alone): `Enter` lands when it opens the detail.
    if view::areas(app).detail.is_none() {
        return;
    }
    let rows = usize::from(view::detail_rows(app));
    let max = detail_max_scroll(app, rows);
    if let Some(line) = view::detail::matched_document_line(app, detail_width(app)) {
        app.detail_scroll = line.saturating_sub(1);
    }
    app.detail_scroll = app.detail_scroll.min(max);
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
    // The detail screen stays on its customer; beside the queue it follows the cursor.
    let cid = match app.pinned.filter(|_| app.screen == Screen::Detail) {
        Some(cid) => cid,
        None => match app.selected() {
            Some(row) => row.cid,
            None => {
                // A view that has loaded and holds no one (a filter that matches none): the
                // customer selected before is not in it, and must not look selected. While a
                // page loads, the detail stays as it was.
                if app.page_is_current() && app.total() == 0 {
                    app.detail = None;
                    app.detail_cid = None;
                    app.timeline = None;
                }
                return None;
            }
        },
    };
    ask_detail(app, cid)
}

/// The request for customer `cid`'s detail, unless it is the one loaded or asked for already.
pub(crate) fn ask_detail(app: &mut App, cid: i64) -> Option<Request> {
    if app.detail_cid == Some(cid) {
        return None;
    }
    app.detail_cid = Some(cid);
    app.detail_scroll = 0;
    app.timeline = None;
    app.detail_seq = app.next_seq();
    Some(Request::Detail {
        seq: app.detail_seq,
        as_of: app.as_of,
        cid,
    })
}
