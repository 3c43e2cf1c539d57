//! Engagement in the workstation: reminders sent by hand (`r`), the engagement screen (`E`:
//! today's plan, skipped customers, holds, the outbox and the report).
//!
//! - [`send`]: the send popup's states and keys (template picker, preview, confirm, sending,
//!   outcome), for a reminder sent by hand or a planned one sent now; [`send_view`] draws it.
//! - [`screen`]: the engagement screen's state and keys; [`plan_view`] and [`report_view`]
//!   draw its panes.
//!
//! The engagement worker (plans, previews, holds, sending over SMTP, on its own connection so
//! that nothing slow runs on the input path) is the service's: [`crate::workstation::engage`].
//!
//! The state asks the worker through [`EngageRequest`]s (an [`Effect::Engage`]) and takes its
//! [`EngageResponse`]s in [`response`]. Every request carries a number; answers to an
//! abandoned request are dropped, except the outcomes of a send, which always reach the
//! status line.

pub mod plan_view;
pub mod report_view;
pub mod screen;
pub mod send;
pub mod send_view;

use super::app::App;
use super::keymap::KeyContext;
use super::update::Effect;
pub use crate::workstation::engage::{
    EngageRequest, EngageResponse, PlanData, PlanKey, PlanRow, PreviewItem, PreviewMail,
    SendOutcome, SendResult, SkippedRow, TemplateHint, TemplateInfo,
};

/// The workstation's engagement state.
#[derive(Debug, Clone, Default)]
pub struct EngageUi {
    /// The send popup, while open (or sending with the popup hidden).
    pub flow: Option<send::SendFlow>,
    /// The engagement screen.
    pub screen: screen::EngageScreen,
}

impl EngageUi {
    /// The keymap context of an open popup, if one has the keyboard.
    pub fn key_context(&self) -> Option<KeyContext> {
        self.flow.as_ref().and_then(send::SendFlow::key_context)
    }
}

/// An answer from the engagement worker arrived.
pub fn response(app: &mut App, response: EngageResponse) -> Vec<Effect> {
    match response {
        EngageResponse::Templates { .. }
        | EngageResponse::Previews { .. }
        | EngageResponse::Sent { .. }
        | EngageResponse::SendDone { .. } => send::response(app, response),
        EngageResponse::Plan { .. }
        | EngageResponse::Held { .. }
        | EngageResponse::Report { .. } => screen::response(app, response),
    }
}

/// The `:engage`, `:hold` and `:remind` commands; `None` when `name` is none of them.
pub fn command(app: &mut App, name: &str, rest: &[&str]) -> Option<Vec<Effect>> {
    match name {
        "engage" | "engagement" => Some(screen::open_pane(app, rest.first().copied())),
        "report"
            if rest
                .first()
                .is_some_and(|w| w.eq_ignore_ascii_case("engagement")) =>
        {
            Some(screen::open_pane(app, Some("report")))
        }
        "hold" => Some(screen::hold_command(app, rest)),
        "remind" | "send" => Some(send::start(app)),
        _ => None,
    }
}

/// Asks for the detail of the customer shown again (its timeline changed).
pub fn refresh_detail(app: &mut App) -> Vec<Effect> {
    let Some(cid) = app.detail_cid else {
        return Vec::new();
    };
    app.detail_seq = app.next_seq();
    vec![Effect::Request(crate::workstation::Request::Detail {
        seq: app.detail_seq,
        as_of: app.as_of,
        cid,
    })]
}
