//! The engagement screen (`E`, `:engage`): today's plan as of the session's date (who gets
//! which reminder), the customers skipped (no valid email address), the holds, the outbox
//! (pending and failed reminders with their errors, then the latest sent) and the engagement
//! report. From the plan a collector previews a reminder (`Enter`), sends it now (`s`, after
//! confirming) or holds the customer back (`h`: `:hold +7d` on the command line, editable).
//!
//! The screen follows the data as the team screen does ([`crate::tui::team`]): the figures the
//! service sends unasked after any session's save or another process's commit mark the plan
//! out of date ([`changed`], said in the title), and it is asked for again when none is in
//! flight and [`REFRESH_INTERVAL`] has passed since it was last asked for ([`tick`]). The
//! plan is the sessions' shared one (`crate::workstation::engage::plans`), computed again
//! only when something was committed.

use super::{EngageRequest, EngageResponse, PlanData, PlanKey, plan_view, send};
use crate::domain::Date;
use crate::domain::action_checks::hold_until;
use crate::domain::queue::Scope;
use crate::domain::users::Work;
use crate::engage::report::EngagementReport;
use crate::tui::app::{App, Mode, Screen};
use crate::tui::key_action::Action;
use crate::tui::update::Effect;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// The least time between a request for the plan and an automatic one after it (the data
/// changed meanwhile): the plan takes about 2 s at 100,000 customers, and a cycle run from
/// the command line commits each reminder. `R` does not wait for it.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(5);

/// The panes of the engagement screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Plan,
    Skipped,
    Held,
    Outbox,
    Report,
}

impl Pane {
    /// Every pane, in display order.
    pub const ALL: [Pane; 5] = [
        Pane::Plan,
        Pane::Skipped,
        Pane::Held,
        Pane::Outbox,
        Pane::Report,
    ];

    /// The position in [`Pane::ALL`].
    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|&p| p == self).unwrap_or(0)
    }

    /// The title on the pane's tab.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Plan => "Plan",
            Pane::Skipped => "Skipped",
            Pane::Held => "Held",
            Pane::Outbox => "Outbox",
            Pane::Report => "Report",
        }
    }

    /// The pane's name on the command line (`:engage outbox`).
    pub fn name(self) -> &'static str {
        match self {
            Pane::Plan => "plan",
            Pane::Skipped => "skipped",
            Pane::Held => "held",
            Pane::Outbox => "outbox",
            Pane::Report => "report",
        }
    }

    /// Reads a pane name (`:engage outbox`).
    pub fn parse(text: &str) -> Option<Pane> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "plan" | "today" => Pane::Plan,
            "skipped" | "skip" => Pane::Skipped,
            "held" | "holds" | "hold" => Pane::Held,
            "outbox" | "pending" | "failed" => Pane::Outbox,
            "report" | "stats" => Pane::Report,
            _ => return None,
        })
    }
}

/// The engagement screen's state.
#[derive(Debug, Clone, Default)]
pub struct EngageScreen {
    pub pane: Pane,
    pub plan: Option<PlanData>,
    pub plan_seq: u64,
    pub plan_loading: bool,
    pub plan_error: Option<String>,
    pub report: Option<EngagementReport>,
    pub report_seq: u64,
    pub report_loading: bool,
    pub report_error: Option<String>,
    /// The selected row of each pane (the report's scroll).
    pub cursor: [usize; 5],
    /// The first row shown of each pane.
    pub scroll: [usize; 5],
    /// Plan entries marked for sending together.
    pub marks: BTreeSet<PlanKey>,
    /// The screen `Esc` goes back to.
    pub back_to: Option<Screen>,
    /// The data changed since the plan shown (or awaited) was asked for (a save in any
    /// session, another process's commit): the title says the plan is out of date, and it
    /// is asked for again when due ([`tick`]).
    pub stale: bool,
    /// When the plan was last asked for: the next automatic request waits
    /// [`REFRESH_INTERVAL`] from then.
    pub last: Option<Instant>,
}

impl EngageScreen {
    /// Lets go of the plan and the report once the screen is left (thousands of rows each at
    /// 100,000 customers, kept per session): opening it again asks for them (the plan is the
    /// sessions' shared one, answered at once while nothing was committed). Where the
    /// cursors were is kept.
    pub fn forget(&mut self) {
        self.plan = None;
        self.plan_error = None;
        self.plan_loading = false;
        self.report = None;
        self.report_error = None;
        self.report_loading = false;
        self.marks.clear();
        self.stale = false;
        // An answer still on its way is not taken in either (numbers start at 1).
        self.plan_seq = 0;
        self.report_seq = 0;
    }

    /// Rows in a pane (as loaded).
    pub fn rows(&self, pane: Pane) -> usize {
        match (pane, &self.plan) {
            (Pane::Plan, Some(p)) => p.entries.len(),
            (Pane::Skipped, Some(p)) => p.skipped.len(),
            (Pane::Held, Some(p)) => p.held.len(),
            (Pane::Outbox, Some(p)) => p.outbox.len(),
            (Pane::Report, _) => self.report.as_ref().map_or(0, |r| r.reminders.len() + 1),
            _ => 0,
        }
    }

    /// The plan entries an action applies to: the marked ones, else the selected one.
    pub fn targets(&self) -> Vec<PlanKey> {
        if !self.marks.is_empty() {
            return self.marks.iter().cloned().collect();
        }
        self.plan
            .as_ref()
            .and_then(|p| p.entries.get(self.cursor[Pane::Plan.index()]))
            .map(|r| vec![r.key.clone()])
            .unwrap_or_default()
    }

    /// Whether a key does something on this screen now (the footer offers only those).
    pub fn offers(&self, action: Action) -> bool {
        match action {
            Action::Open | Action::Send | Action::Mark => {
                self.pane == Pane::Plan && !self.targets().is_empty()
            }
            Action::Hold => !self.hold_targets().is_empty(),
            _ => true,
        }
    }

    /// The customers `:hold` applies to on this screen.
    fn hold_targets(&self) -> Vec<i64> {
        let Some(plan) = &self.plan else {
            return Vec::new();
        };
        let at = self.cursor[self.pane.index()];
        let mut cids: Vec<i64> = match self.pane {
            Pane::Plan if !self.marks.is_empty() => plan
                .entries
                .iter()
                .filter(|r| self.marks.contains(&r.key))
                .map(|r| r.cid)
                .collect(),
            Pane::Plan => plan.entries.get(at).map(|r| r.cid).into_iter().collect(),
            Pane::Skipped => plan
                .skipped
                .get(at)
                .and_then(|r| r.cid)
                .into_iter()
                .collect(),
            Pane::Held => plan.held.get(at).map(|r| r.cid).into_iter().collect(),
            Pane::Outbox | Pane::Report => Vec::new(),
        };
        cids.sort_unstable();
        cids.dedup();
        cids
    }
}

/// Opens the engagement screen on a pane (`plan` when none is named) and asks for today's
/// plan (and the report when it is shown).
pub fn open_pane(app: &mut App, name: Option<&str>) -> Vec<Effect> {
    let pane = match name {
        None => Pane::Plan,
        Some(n) => match Pane::parse(n) {
            Some(p) => p,
            None => {
                app.say_error(format!(
                    "`{n}`: engage panes are plan, skipped, held, outbox, report"
                ));
                return Vec::new();
            }
        },
    };
    if app.screen != Screen::Engage {
        app.engage.screen.back_to = Some(app.screen);
        app.screen = Screen::Engage;
    }
    app.engage.screen.pane = pane;
    let mut fx = request_plan(app);
    if pane == Pane::Report {
        fx.extend(request_report(app));
    }
    fx
}

fn request_plan(app: &mut App) -> Vec<Effect> {
    let seq = app.next_seq();
    let now = app.now;
    let s = &mut app.engage.screen;
    s.plan_seq = seq;
    s.plan_loading = true;
    s.stale = false;
    s.last = Some(now);
    // The queue's scope: a collector's own customers' reminders, or everyone's (`m`).
    let owner = (app.query.scope == Scope::Mine).then(|| app.query.collector.clone());
    vec![Effect::Engage(EngageRequest::Plan {
        seq,
        as_of: app.as_of,
        owner,
    })]
}

fn request_report(app: &mut App) -> Vec<Effect> {
    let seq = app.next_seq();
    let s = &mut app.engage.screen;
    s.report_seq = seq;
    s.report_loading = true;
    vec![Effect::Engage(EngageRequest::Report {
        seq,
        as_of: app.as_of,
    })]
}

/// Something changed what the screen shows (a send, a hold, another date): ask again when
/// it is on screen, else forget it so that opening it asks.
pub fn refresh(app: &mut App) -> Vec<Effect> {
    if app.screen != Screen::Engage {
        app.engage.screen.forget();
        return Vec::new();
    }
    let mut fx = request_plan(app);
    if app.engage.screen.pane == Pane::Report || app.engage.screen.report.is_some() {
        fx.extend(request_report(app));
    }
    fx
}

/// The data changed (the service sent the figures unasked, after a save in any session or
/// another process's commit): while the screen is shown, its plan (and report) are out of
/// date and asked for again when due.
pub fn changed(app: &mut App) -> Vec<Effect> {
    if app.screen != Screen::Engage {
        return Vec::new();
    }
    app.engage.screen.stale = true;
    tick(app)
}

/// Asks for the plan (and the report, when shown) again when it is out of date, the screen is
/// shown, no plan is on its way and [`REFRESH_INTERVAL`] has passed since it was last asked
/// for (as of [`App::now`]). So a session has at most one plan in flight, and a run that
/// commits each reminder costs one plan every few seconds, not one per reminder.
pub fn tick(app: &mut App) -> Vec<Effect> {
    match wake_at(app) {
        Some(due) if due <= app.now => refresh(app),
        _ => Vec::new(),
    }
}

/// When [`tick`] will ask for an out-of-date plan (the loop wakes then); `None`: nothing
/// waits.
pub fn wake_at(app: &App) -> Option<Instant> {
    let s = &app.engage.screen;
    if app.screen != Screen::Engage || !s.stale || s.plan_loading {
        return None;
    }
    Some(s.last.map_or(app.now, |last| last + REFRESH_INTERVAL))
}

/// A key on the engagement screen.
pub fn action(app: &mut App, action: Action) -> Vec<Effect> {
    let pane = app.engage.screen.pane;
    let rows = plan_view::body_rows(app).max(1);
    match action {
        Action::Down => move_cursor(app, 1),
        Action::Up => move_cursor(app, -1),
        Action::HalfPageDown => move_cursor(app, (rows / 2).max(1) as i64),
        Action::HalfPageUp => move_cursor(app, -((rows / 2).max(1) as i64)),
        Action::PageDown => move_cursor(app, rows as i64),
        Action::PageUp => move_cursor(app, -(rows as i64)),
        Action::Top => move_cursor(app, i64::MIN / 2),
        Action::Bottom => move_cursor(app, i64::MAX / 2),
        Action::NextTab | Action::PrevTab => {
            let n = Pane::ALL.len();
            let i = pane.index();
            let next = if action == Action::NextTab {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            return show_pane(app, Pane::ALL[next]);
        }
        Action::Mark if pane == Pane::Plan => {
            let s = &mut app.engage.screen;
            let at = s.cursor[Pane::Plan.index()];
            if let Some(key) = s
                .plan
                .as_ref()
                .and_then(|p| p.entries.get(at))
                .map(|r| r.key.clone())
            {
                if !s.marks.remove(&key) {
                    s.marks.insert(key);
                }
                move_cursor(app, 1);
            }
        }
        Action::Open | Action::Send if pane == Pane::Plan => {
            let keys = app.engage.screen.targets();
            if keys.is_empty() {
                app.say("No reminder in the plan to preview or send.");
                return Vec::new();
            }
            if action == Action::Open {
                return send::preview_planned(app, keys);
            }
            if app.refused(Work::EngagementRun, &[]) {
                return Vec::new();
            }
            return send::send_planned(app, keys);
        }
        Action::Hold => {
            let cids = app.engage.screen.hold_targets();
            if cids.is_empty() {
                app.say("No customer to hold here.");
                return Vec::new();
            }
            if app.refused(Work::Hold, &cids) {
                return Vec::new();
            }
            let default = if pane == Pane::Held {
                "hold release"
            } else {
                "hold +7d"
            };
            app.mode = Mode::Command;
            app.input = tui_input::Input::new(default.to_string());
        }
        Action::Reload => return refresh(app),
        Action::ToggleMine => {
            // The queue's switch: the plan, skipped and held rows of my customers, or
            // everyone's. Marks and cursors were of the rows shown before.
            let s = &mut app.engage.screen;
            s.marks.clear();
            s.cursor = [0; 5];
            s.scroll = [0; 5];
            let mut fx = crate::tui::update::toggle_scope(app);
            fx.extend(refresh(app));
            return fx;
        }
        Action::Back => {
            if !app.engage.screen.marks.is_empty() {
                app.engage.screen.marks.clear();
                app.say("Marks cleared.");
            } else {
                app.screen = app.engage.screen.back_to.take().unwrap_or(Screen::Main);
                app.engage.screen.forget();
                return crate::tui::update::queue_shown_again(app);
            }
        }
        Action::Help => app.open_help(),
        Action::Command => {
            app.mode = Mode::Command;
            app.input = tui_input::Input::default();
        }
        _ => {}
    }
    Vec::new()
}

fn show_pane(app: &mut App, pane: Pane) -> Vec<Effect> {
    app.engage.screen.pane = pane;
    let s = &app.engage.screen;
    if pane == Pane::Report && s.report.is_none() && !s.report_loading {
        return request_report(app);
    }
    Vec::new()
}

fn move_cursor(app: &mut App, delta: i64) {
    let rows = plan_view::body_rows(app).max(1);
    let s = &mut app.engage.screen;
    let i = s.pane.index();
    let total = s.rows(s.pane);
    if total == 0 {
        s.cursor[i] = 0;
        s.scroll[i] = 0;
        return;
    }
    let target = (s.cursor[i] as i64).saturating_add(delta);
    s.cursor[i] = target.clamp(0, total as i64 - 1) as usize;
    keep_visible(s, i, rows, total);
}

fn keep_visible(s: &mut EngageScreen, i: usize, rows: usize, total: usize) {
    if s.cursor[i] < s.scroll[i] {
        s.scroll[i] = s.cursor[i];
    } else if s.cursor[i] >= s.scroll[i] + rows {
        s.scroll[i] = s.cursor[i] + 1 - rows;
    }
    s.scroll[i] = s.scroll[i].min(total.saturating_sub(rows));
}

/// What each pane's cursor is on, by identity: the plan's reminder, the skipped reminder,
/// the held customer, the outbox's reminder.
struct Selected {
    plan: Option<PlanKey>,
    skipped: Option<(String, String, String)>,
    held: Option<i64>,
    outbox: Option<i64>,
}

fn selected_rows(s: &EngageScreen, plan: &PlanData) -> Selected {
    let at = |pane: Pane| s.cursor[pane.index()];
    Selected {
        plan: plan.entries.get(at(Pane::Plan)).map(|r| r.key.clone()),
        skipped: plan
            .skipped
            .get(at(Pane::Skipped))
            .map(|r| (r.cycle.clone(), r.reminder.clone(), r.customer_id.clone())),
        held: plan.held.get(at(Pane::Held)).map(|r| r.cid),
        outbox: plan.outbox.get(at(Pane::Outbox)).map(|r| r.id),
    }
}

/// Where the rows `selected` names are in `plan`, for those it still has.
fn find_rows(plan: &PlanData, selected: &Selected) -> Vec<(Pane, usize)> {
    let mut found = Vec::new();
    if let Some(key) = &selected.plan
        && let Some(i) = plan.entries.iter().position(|r| r.key == *key)
    {
        found.push((Pane::Plan, i));
    }
    if let Some((cycle, reminder, customer)) = &selected.skipped
        && let Some(i) = plan.skipped.iter().position(|r| {
            r.cycle == *cycle && r.reminder == *reminder && r.customer_id == *customer
        })
    {
        found.push((Pane::Skipped, i));
    }
    if let Some(cid) = selected.held
        && let Some(i) = plan.held.iter().position(|r| r.cid == cid)
    {
        found.push((Pane::Held, i));
    }
    if let Some(id) = selected.outbox
        && let Some(i) = plan.outbox.iter().position(|r| r.id == id)
    {
        found.push((Pane::Outbox, i));
    }
    found
}

/// `:hold DATE [WHY]` (`+7d` when no date, `release` to end a hold): holds the customers of
/// the selection (the plan's marked or selected entry, the skipped or held customer; in the
/// queue the marked or selected customers, in the detail the customer shown) back from every
/// cycle until DATE, inclusive.
pub fn hold_command(app: &mut App, rest: &[&str]) -> Vec<Effect> {
    // Dated like a follow-up, from the day it is written whatever date is on screen (a slip
    // of the year would stop dunning for good), as `owed engage hold` is; `release`: the day
    // before the date on screen, which ends the hold in force then.
    let written_on = app.session.today.max(app.as_of);
    let release = app.as_of - chrono::Days::new(1);
    let (until, why) = match rest.first().copied() {
        None => (written_on + chrono::Days::new(7), &rest[..0]),
        Some(word) => match hold_until(word, written_on) {
            Ok(date) => (date.unwrap_or(release), &rest[1..]),
            Err(why) => {
                app.say_error(why);
                return Vec::new();
            }
        },
    };
    let cids = match app.screen {
        Screen::Engage => app.engage.screen.hold_targets(),
        Screen::Detail => app.detail_cid.into_iter().collect(),
        _ => app.targets(),
    };
    if cids.is_empty() {
        app.say("No customer to hold.");
        return Vec::new();
    }
    if app.refused(Work::Hold, &cids) {
        return Vec::new();
    }
    let text = why.join(" ");
    hold(app, cids, until, (!text.is_empty()).then_some(text))
}

fn hold(app: &mut App, cids: Vec<i64>, until: Date, text: Option<String>) -> Vec<Effect> {
    let seq = app.next_seq();
    vec![Effect::Engage(EngageRequest::Hold {
        seq,
        as_of: app.as_of,
        cids,
        until,
        text,
    })]
}

/// The worker's answers for the screen.
pub fn response(app: &mut App, response: EngageResponse) -> Vec<Effect> {
    match response {
        EngageResponse::Plan { seq, result } if seq == app.engage.screen.plan_seq => {
            let rows = plan_view::body_rows(app).max(1);
            let s = &mut app.engage.screen;
            s.plan_loading = false;
            match result {
                Ok(plan) => {
                    s.marks.retain(|k| plan.entries.iter().any(|r| r.key == *k));
                    // Each pane's cursor stays on its reminder, customer or hold where the
                    // new plan still has it (rows come and go above it).
                    let selected = s.plan.as_ref().map(|old| selected_rows(s, old));
                    s.plan = Some(*plan);
                    s.plan_error = None;
                    if let (Some(selected), Some(new)) = (selected, s.plan.as_ref()) {
                        let found = find_rows(new, &selected);
                        for (pane, at) in found {
                            // On the same line of the screen, where it can be.
                            let i = pane.index();
                            s.scroll[i] = (s.scroll[i] + at).saturating_sub(s.cursor[i]);
                            s.cursor[i] = at;
                        }
                    }
                    for pane in [Pane::Plan, Pane::Skipped, Pane::Held, Pane::Outbox] {
                        let i = pane.index();
                        let total = s.rows(pane);
                        s.cursor[i] = s.cursor[i].min(total.saturating_sub(1));
                        keep_visible(s, i, rows, total);
                    }
                }
                Err(e) => {
                    s.plan = None;
                    s.plan_error = Some(e);
                }
            }
            // Changed again while it was computed: asked for again when due.
            tick(app)
        }
        EngageResponse::Report { seq, result } if seq == app.engage.screen.report_seq => {
            let s = &mut app.engage.screen;
            s.report_loading = false;
            match result {
                Ok(report) => {
                    s.report = Some(*report);
                    s.report_error = None;
                }
                Err(e) => {
                    s.report = None;
                    s.report_error = Some(e);
                }
            }
            Vec::new()
        }
        EngageResponse::Held {
            until,
            result,
            written,
            not_held,
            ..
        } => {
            // A hold counts from the date on screen: before today, it is back-dated to it.
            let dated = if app.as_of < app.session.today {
                format!(" ({})", crate::domain::action_checks::back_dated(app.as_of))
            } else {
                String::new()
            };
            // One customer by name, more by how many.
            let who = |app: &App, cids: &[i64]| match cids {
                [cid] => app.label(*cid).unwrap_or(format!("customer {cid}")),
                many => format!("{} customers", many.len()),
            };
            let many = |cids: &[i64]| cids.len() > 1;
            match result {
                Ok(_) if until < app.as_of => match (written.is_empty(), not_held.is_empty()) {
                    (true, false) => app.say(format!(
                        "{}.",
                        crate::domain::action_checks::not_held(
                            &who(app, &not_held),
                            many(&not_held),
                        )
                    )),
                    (false, false) => app.say(format!(
                        "Released {}: back in the cycles{dated}; {} {} not held.",
                        who(app, &written),
                        who(app, &not_held),
                        if many(&not_held) { "were" } else { "was" }
                    )),
                    (_, true) => app.say(format!(
                        "Released {}: back in the cycles{dated}.",
                        who(app, &written)
                    )),
                },
                Ok(_) => app.say(format!(
                    "Held {} back from every cycle until {until}{dated}.",
                    who(app, &written)
                )),
                Err(e) => app.say_error(format!("Not held: {e}")),
            }
            app.engage.screen.marks.clear();
            // The hold is in the customer's timeline too.
            let mut effects = refresh(app);
            effects.extend(super::refresh_detail(app));
            effects
        }
        _ => Vec::new(),
    }
}
