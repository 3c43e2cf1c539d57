//! The send popup: a reminder sent by hand (`r` on a customer or on the marked ones: pick a
//! template, preview, confirm, send) or planned reminders sent now from the engagement screen
//! (confirm, send; or preview first).
//!
//! Sending is outward, so it always asks: `y` in the confirm popup is the only key that sends.
//! The worker sends off the input path and answers after each reminder; the popup shows the
//! progress and each outcome (sent with its Message-ID, or the error). `Esc` while sending
//! hides the popup; the outcome then comes to the status line.

use super::{EngageRequest, EngageResponse, PlanKey, PreviewItem, SendOutcome, SendResult};
use super::{TemplateInfo, refresh_detail, screen, send_view};
use crate::tui::app::{App, Screen};
use crate::tui::key_action::Action;
use crate::tui::keymap::KeyContext;
use crate::tui::update::Effect;

/// Where a send started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowKind {
    /// `r`: a template sent by hand to these customers.
    Manual { cids: Vec<i64> },
    /// Planned reminders sent now.
    Planned { keys: Vec<PlanKey> },
}

/// Where the popup is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the worker (templates, previews).
    Loading,
    /// Choosing a template.
    Picker,
    /// Reading the emails, customer by customer.
    Preview,
    /// Asking before anything goes out.
    Confirm,
    /// The worker is sending.
    Sending,
    /// The outcomes, or why nothing could be sent.
    Done,
}

/// The send popup's state.
#[derive(Debug, Clone, PartialEq)]
pub struct SendFlow {
    pub kind: FlowKind,
    pub stage: Stage,
    /// Who it is for (`Kite Supplies`, `3 customers`).
    pub label: String,
    /// What is awaited (Loading), or why nothing could be done (Done).
    pub note: Option<String>,
    pub templates: Vec<TemplateInfo>,
    pub template_sel: usize,
    /// The customers a manager holds back from the cycles, one sentence each (the picker
    /// says so above the templates).
    pub held: Vec<String>,
    /// The template picked (reminders sent by hand).
    pub chosen: Option<TemplateInfo>,
    pub previews: Vec<PreviewItem>,
    /// The customer whose email the preview shows.
    pub index: usize,
    pub scroll: u16,
    /// The confirm popup's lines (who gets what).
    pub confirm: Vec<String>,
    /// What `y` sends.
    pub send_cids: Vec<i64>,
    pub send_keys: Vec<PlanKey>,
    /// Reminders being sent, and the outcomes so far.
    pub total: usize,
    pub outcomes: Vec<SendOutcome>,
    /// The number of the request whose answers this popup takes.
    pub seq: u64,
    /// Hidden while sending in the background.
    pub visible: bool,
}

impl SendFlow {
    /// Ends the flow: the outcomes stay shown, with `note` (what went wrong, if anything).
    fn done(&mut self, note: Option<String>) {
        self.stage = Stage::Done;
        self.note = note;
    }

    fn new(kind: FlowKind, label: String, seq: u64, note: &str) -> SendFlow {
        SendFlow {
            kind,
            stage: Stage::Loading,
            label,
            note: Some(note.to_string()),
            templates: Vec::new(),
            template_sel: 0,
            held: Vec::new(),
            chosen: None,
            previews: Vec::new(),
            index: 0,
            scroll: 0,
            confirm: Vec::new(),
            send_cids: Vec::new(),
            send_keys: Vec::new(),
            total: 0,
            outcomes: Vec::new(),
            seq,
            visible: true,
        }
    }

    /// The keymap context while the popup has the keyboard.
    pub fn key_context(&self) -> Option<KeyContext> {
        if !self.visible {
            return None;
        }
        Some(match self.stage {
            Stage::Confirm => KeyContext::Confirm,
            _ => KeyContext::Send,
        })
    }

    /// Whether the popup shows planned reminders' previews: from there `Enter` and `s` go on
    /// to send them now, which is a manager's (running the cycles).
    pub fn previews_planned(&self) -> bool {
        matches!(self.kind, FlowKind::Planned { .. }) && self.stage == Stage::Preview
    }

    /// The preview shown.
    pub fn current(&self) -> Option<&PreviewItem> {
        self.previews.get(self.index)
    }

    /// Reminders sent so far, and those that were not — once the send is over, every one it
    /// was to send and did not, reached or not (a send that stopped before the first, for a
    /// missing From address, sent none of them).
    pub fn tally(&self) -> (usize, usize) {
        let sent = self.outcomes.iter().filter(|o| o.result.is_sent()).count();
        let counted = if self.stage == Stage::Done {
            self.total.max(self.outcomes.len())
        } else {
            self.outcomes.len()
        };
        (sent, counted - sent)
    }
}

/// `r`: starts a reminder by hand for the customer shown in the detail, else the marked
/// customers, else the selected one.
pub fn start(app: &mut App) -> Vec<Effect> {
    if let Some(flow) = app.engage.flow.as_mut()
        && flow.stage == Stage::Sending
    {
        flow.visible = true;
        app.say("A send is still running.");
        return Vec::new();
    }
    let cids = if app.screen == Screen::Detail {
        app.detail_cid
            .or_else(|| app.selected().map(|r| r.cid))
            .into_iter()
            .collect()
    } else {
        app.targets()
    };
    if cids.is_empty() {
        app.say("No customer selected.");
        return Vec::new();
    }
    if app.refused(crate::domain::users::Work::ManualReminder, &cids) {
        return Vec::new();
    }
    let label = target_label(app, &cids);
    let seq = app.next_seq();
    let request = EngageRequest::Templates {
        seq,
        as_of: app.as_of,
        cids: cids.clone(),
    };
    app.engage.flow = Some(SendFlow::new(
        FlowKind::Manual { cids },
        label,
        seq,
        // The worker reads the templates in a moment; what takes the time (seconds on a
        // large portfolio) is the plan that marks the reminder it has for them.
        "Computing today's plan to mark its reminders…",
    ));
    vec![Effect::Engage(request)]
}

/// Planned reminders: preview them first (Enter on the plan).
pub fn preview_planned(app: &mut App, keys: Vec<PlanKey>) -> Vec<Effect> {
    if keys.is_empty() {
        return Vec::new();
    }
    if busy(app) {
        return Vec::new();
    }
    let seq = app.next_seq();
    let label = planned_label(&keys);
    app.engage.flow = Some(SendFlow::new(
        FlowKind::Planned { keys: keys.clone() },
        label,
        seq,
        "Rendering the emails…",
    ));
    vec![Effect::Engage(EngageRequest::PreviewPlanned {
        seq,
        as_of: app.as_of,
        keys,
    })]
}

/// Planned reminders: send them now, after confirming (`s` on the plan).
pub fn send_planned(app: &mut App, keys: Vec<PlanKey>) -> Vec<Effect> {
    if keys.is_empty() || busy(app) {
        return Vec::new();
    }
    let seq = app.next_seq();
    let label = planned_label(&keys);
    let mut flow = SendFlow::new(FlowKind::Planned { keys: keys.clone() }, label, seq, "");
    flow.note = None;
    flow.confirm = planned_lines(app, &keys);
    flow.send_keys = keys;
    flow.stage = Stage::Confirm;
    app.engage.flow = Some(flow);
    Vec::new()
}

/// A send is running: say so and show it instead of starting another.
fn busy(app: &mut App) -> bool {
    match app.engage.flow.as_mut() {
        Some(flow) if flow.stage == Stage::Sending => {
            flow.visible = true;
            app.say("A send is still running.");
            true
        }
        _ => false,
    }
}

fn target_label(app: &App, cids: &[i64]) -> String {
    if let [cid] = cids {
        let name = app
            .page
            .rows
            .iter()
            .find(|r| r.cid == *cid)
            .map(|r| r.name.clone())
            .or_else(|| {
                app.detail
                    .as_ref()
                    .filter(|_| app.detail_cid == Some(*cid))
                    .map(|d| d.detail.header.name.clone())
            });
        if let Some(name) = name {
            return name;
        }
        return "1 customer".to_string();
    }
    format!("{} customers", cids.len())
}

fn planned_label(keys: &[PlanKey]) -> String {
    match keys {
        [k] => format!("{} / {} · {}", k.cycle, k.reminder, k.customer_id),
        _ => format!("{} planned reminders", keys.len()),
    }
}

/// Who gets what, from the plan on screen.
fn planned_lines(app: &App, keys: &[PlanKey]) -> Vec<String> {
    let rows = app.engage.screen.plan.as_ref().map(|p| &p.entries);
    keys.iter()
        .map(|k| {
            let row = rows.and_then(|rows| rows.iter().find(|r| r.key == *k));
            match row {
                Some(r) => format!("{} / {} → {} <{}>", k.cycle, k.reminder, r.name, r.to),
                None => format!("{} / {} → {}", k.cycle, k.reminder, k.customer_id),
            }
        })
        .collect()
}

/// A key in the popup.
pub fn action(app: &mut App, action: Action) -> Vec<Effect> {
    if action == Action::Help {
        app.open_help();
        return Vec::new();
    }
    let Some(stage) = app.engage.flow.as_ref().map(|f| f.stage) else {
        return Vec::new();
    };
    match stage {
        Stage::Loading => {
            if matches!(action, Action::Back | Action::Cancel) {
                app.engage.flow = None;
            }
            Vec::new()
        }
        Stage::Picker => picker_action(app, action),
        Stage::Preview => preview_action(app, action),
        Stage::Confirm => confirm_action(app, action),
        Stage::Sending => {
            if matches!(action, Action::Back | Action::Cancel) {
                if let Some(flow) = app.engage.flow.as_mut() {
                    flow.visible = false;
                }
                app.say("Sending in the background; the outcome will show here.");
            }
            Vec::new()
        }
        Stage::Done => {
            if matches!(action, Action::Back | Action::Cancel | Action::Open) {
                app.engage.flow = None;
            }
            Vec::new()
        }
    }
}

fn picker_action(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(flow) = app.engage.flow.as_mut() else {
        return Vec::new();
    };
    let last = flow.templates.len().saturating_sub(1);
    let sel = flow.template_sel;
    match action {
        Action::Down => flow.template_sel = (sel + 1).min(last),
        Action::Up => flow.template_sel = sel.saturating_sub(1),
        Action::Top => flow.template_sel = 0,
        Action::Bottom => flow.template_sel = last,
        Action::Open | Action::Send => {
            let (Some(template), FlowKind::Manual { cids }) =
                (flow.templates.get(sel).cloned(), &flow.kind)
            else {
                return Vec::new();
            };
            let cids = cids.clone();
            app.seq += 1;
            let seq = app.seq;
            flow.chosen = Some(template.clone());
            flow.stage = Stage::Loading;
            flow.note = Some(format!("Rendering “{}”…", template.name));
            flow.seq = seq;
            return vec![Effect::Engage(EngageRequest::Preview {
                seq,
                as_of: app.as_of,
                template: template.path,
                cids,
            })];
        }
        Action::Back | Action::Cancel => app.engage.flow = None,
        _ => {}
    }
    Vec::new()
}

fn preview_action(app: &mut App, action: Action) -> Vec<Effect> {
    let rows = send_view::body_rows(app).max(1);
    let max = send_view::max_scroll(app);
    let Some(flow) = app.engage.flow.as_mut() else {
        return Vec::new();
    };
    let s = flow.scroll;
    let count = flow.previews.len();
    match action {
        Action::Down => flow.scroll = s.saturating_add(1).min(max),
        Action::Up => flow.scroll = s.saturating_sub(1),
        Action::HalfPageDown => flow.scroll = s.saturating_add(rows / 2).min(max),
        Action::HalfPageUp => flow.scroll = s.saturating_sub(rows / 2),
        Action::PageDown => flow.scroll = s.saturating_add(rows).min(max),
        Action::PageUp => flow.scroll = s.saturating_sub(rows),
        Action::Top => flow.scroll = 0,
        Action::Bottom => flow.scroll = max,
        Action::NextTab if count > 0 => {
            flow.index = (flow.index + 1) % count;
            flow.scroll = 0;
        }
        Action::PrevTab if count > 0 => {
            flow.index = (flow.index + count - 1) % count;
            flow.scroll = 0;
        }
        Action::Send | Action::Open => {
            // Sending a planned reminder runs the cycles: refused at once to a role that may
            // not, as `s` on the plan is, not after the confirmation.
            if flow.previews_planned()
                && app.refused(crate::domain::users::Work::EngagementRun, &[])
            {
                return Vec::new();
            }
            return to_confirm(app);
        }
        Action::Back | Action::Cancel => {
            if matches!(flow.kind, FlowKind::Manual { .. }) && !flow.templates.is_empty() {
                flow.stage = Stage::Picker;
                flow.previews.clear();
                flow.index = 0;
                flow.scroll = 0;
            } else {
                app.engage.flow = None;
            }
        }
        _ => {}
    }
    Vec::new()
}

/// From the preview to the confirm popup, with the customers that can be sent to.
fn to_confirm(app: &mut App) -> Vec<Effect> {
    let Some(flow) = app.engage.flow.as_mut() else {
        return Vec::new();
    };
    let ok: Vec<&PreviewItem> = flow.previews.iter().filter(|p| p.mail.is_ok()).collect();
    let bad: Vec<&PreviewItem> = flow.previews.iter().filter(|p| p.mail.is_err()).collect();
    if ok.is_empty() {
        let why = bad
            .first()
            .and_then(|p| p.mail.as_ref().err())
            .cloned()
            .unwrap_or_default();
        app.say_error(format!("Nothing to send: {why}"));
        return Vec::new();
    }
    let mut lines = Vec::new();
    match (&flow.kind, &flow.chosen) {
        (FlowKind::Manual { .. }, Some(t)) => {
            let whom = match ok.as_slice() {
                [one] => one.name.clone(),
                many => format!("{} customers", many.len()),
            };
            lines.push(format!("Send “{}” to {whom}?", t.name));
        }
        _ => lines.push(match ok.as_slice() {
            [_] => "Send this planned reminder now?".to_string(),
            many => format!("Send these {} planned reminders now?", many.len()),
        }),
    }
    lines.push(String::new());
    for p in &ok {
        if let Ok(mail) = &p.mail {
            lines.push(if mail.text_message {
                format!("{} · {} (text): {}", p.name, mail.to, mail.subject)
            } else {
                format!("{} <{}>: {}", p.name, mail.to, mail.subject)
            });
            for why in [&mail.too_large, &mail.statement_unprinted]
                .into_iter()
                .flatten()
            {
                lines.push(format!("  warning: {why}."));
            }
        }
    }
    if !bad.is_empty() {
        lines.push(String::new());
        lines.push(format!("{} not sent:", bad.len()));
        for p in &bad {
            if let Err(e) = &p.mail {
                lines.push(format!("{}: {e}", p.customer_id));
            }
        }
    }
    flow.send_cids = ok.iter().map(|p| p.cid).collect();
    flow.send_keys = ok.iter().filter_map(|p| p.key.clone()).collect();
    flow.confirm = lines;
    flow.stage = Stage::Confirm;
    Vec::new()
}

fn confirm_action(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(flow) = app.engage.flow.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::Confirm => {
            app.seq += 1;
            let seq = app.seq;
            let as_of = app.as_of;
            let request = match (&flow.kind, &flow.chosen) {
                (FlowKind::Manual { .. }, Some(t)) => {
                    flow.total = flow.send_cids.len();
                    EngageRequest::Send {
                        seq,
                        as_of,
                        template: t.path.clone(),
                        cids: flow.send_cids.clone(),
                    }
                }
                _ => {
                    flow.total = flow.send_keys.len();
                    EngageRequest::SendPlanned {
                        seq,
                        as_of,
                        keys: flow.send_keys.clone(),
                    }
                }
            };
            flow.seq = seq;
            flow.stage = Stage::Sending;
            flow.note = None;
            flow.outcomes.clear();
            vec![Effect::Engage(request)]
        }
        Action::Back | Action::Cancel => {
            if flow.previews.is_empty() {
                app.engage.flow = None;
            } else {
                flow.stage = Stage::Preview;
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// The worker's answers for the popup.
pub fn response(app: &mut App, response: EngageResponse) -> Vec<Effect> {
    let current = app.engage.flow.as_ref().map(|f| f.seq);
    match response {
        EngageResponse::Templates { seq, result, held } if current == Some(seq) => {
            let Some(flow) = app.engage.flow.as_mut() else {
                return Vec::new();
            };
            match result {
                Ok(templates) if templates.is_empty() => {
                    flow.done(Some("No templates: the cycles folder has none.".into()));
                }
                Ok(templates) => {
                    // On the reminder today's plan has for them, else on the last a cycle
                    // sent them.
                    flow.template_sel =
                        templates.iter().position(|t| t.hint.is_some()).unwrap_or(0);
                    flow.templates = templates;
                    flow.held = held;
                    flow.stage = Stage::Picker;
                    flow.note = None;
                }
                Err(e) => {
                    flow.done(Some(e));
                }
            }
            Vec::new()
        }
        EngageResponse::Previews { seq, result } if current == Some(seq) => {
            let Some(flow) = app.engage.flow.as_mut() else {
                return Vec::new();
            };
            match result {
                Ok(items) => {
                    flow.previews = items;
                    flow.index = 0;
                    flow.scroll = 0;
                    flow.stage = Stage::Preview;
                    flow.note = None;
                }
                Err(e) => {
                    flow.done(Some(e));
                }
            }
            Vec::new()
        }
        EngageResponse::Sent { seq, outcome } => {
            let shows = outcome.cid.is_some() && outcome.cid == app.detail_cid;
            let sent = outcome.result.is_sent();
            match app.engage.flow.as_mut() {
                Some(flow) if flow.seq == seq => flow.outcomes.push(outcome),
                // The popup is gone: the outcome still reaches the collector.
                _ => app.say_status(outcome_line(&outcome), !sent),
            }
            if shows && sent {
                // The customer's timeline shows the reminder at once.
                return refresh_detail(app);
            }
            Vec::new()
        }
        EngageResponse::SendDone { seq, error } if current == Some(seq) => {
            let Some(flow) = app.engage.flow.as_mut() else {
                return Vec::new();
            };
            flow.done(error);
            let summary = summary(flow);
            let failed = flow.note.is_some() || flow.tally().1 > 0;
            if !flow.visible {
                app.engage.flow = None;
            }
            app.say_status(summary, failed);
            let mut fx = refresh_detail(app);
            fx.extend(screen::refresh(app));
            fx
        }
        _ => Vec::new(),
    }
}

/// One outcome as a line: who, and what became of the reminder.
pub fn outcome_line(o: &SendOutcome) -> String {
    let who = if o.name.is_empty() {
        o.customer_id.clone()
    } else {
        o.name.clone()
    };
    match &o.result {
        SendResult::Sent { message_id, to } => {
            format!("Sent to {who} <{to}>, Message-ID {message_id}")
        }
        // Its documents claimed by another send, or the customer reminded meanwhile (the
        // spacing): whatever the plan's date, not "today's".
        SendResult::AlreadySent => {
            format!("{who}: already sent by another send (or the customer reminded meanwhile)")
        }
        SendResult::Failed(e) => format!("Not sent to {who}: {e}"),
        SendResult::Withdrawn(why) => format!("Not sent to {who}: {why}"),
        SendResult::Unknown(e) => format!(
            "{who}: {e}; left pending in the outbox (check the mail server's log, then `{}`)",
            crate::error::command("engage release")
        ),
    }
}

/// The status line after a send.
fn summary(flow: &SendFlow) -> String {
    let (sent, not) = flow.tally();
    let mut text = match (flow.outcomes.as_slice(), &flow.note) {
        ([one], None) => outcome_line(one),
        _ => format!("{sent} sent, {not} not sent."),
    };
    if let Some(e) = &flow.note {
        text.push_str(&format!(" {e}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_send_that_stopped_before_the_first_counts_every_reminder_not_sent() {
        let mut flow = SendFlow::new(
            FlowKind::Manual { cids: vec![1] },
            "Acme Corp".into(),
            1,
            "",
        );
        flow.total = 3;
        flow.stage = Stage::Sending;
        assert_eq!(flow.tally(), (0, 0), "none reached yet");
        flow.done(Some(
            "set `from` in the config's [smtp] table to send reminders".into(),
        ));
        assert_eq!(flow.tally(), (0, 3));
        assert!(
            summary(&flow).starts_with("0 sent, 3 not sent."),
            "{}",
            summary(&flow)
        );
    }

    /// A reminder already claimed says so without "today's": a session at `:asof` an
    /// earlier date got `already sent (today's reminder went out once)`.
    #[test]
    fn a_reminder_already_sent_says_so_whatever_the_date() {
        let line = outcome_line(&SendOutcome {
            cid: Some(1),
            customer_id: "C1".into(),
            name: "Acme Corp".into(),
            result: SendResult::AlreadySent,
        });
        assert_eq!(
            line,
            "Acme Corp: already sent by another send (or the customer reminded meanwhile)"
        );
    }
}
