//! The attachment viewer: `v` on a customer opens its attachments, newest first, over the
//! screen; `j` / `k` go to the next and previous one, Esc closes it. The service draws each
//! one for the room the screen has ([`Request::Attachment`]: a picture scaled to the cells,
//! or a first page of text), so that over SSH nothing but the preview leaves the server.
//! The viewer takes the help popup's keys.
//!
//! A picture is drawn as the terminal draws pictures ([`super::graphics`]): in half blocks,
//! or as pixels the front places over the blank cells the view leaves for them.

use super::app::{App, Mode};
use super::graphics::Protocol;
use super::key_action::Action;
use super::update::Effect;
use crate::domain::customer::AttachmentInfo;
use crate::workstation::Request;
use crate::workstation::attachment::{AttachmentPreview, Graphics};

/// The open viewer.
#[derive(Debug, Clone, PartialEq)]
pub struct Viewer {
    /// The customer's attachments, newest first.
    pub list: Vec<AttachmentInfo>,
    /// The one shown.
    pub index: usize,
    /// The request for it.
    pub seq: u64,
    /// Its preview, once drawn by the service (else why it cannot be shown).
    pub preview: Option<Result<AttachmentPreview, String>>,
}

/// The cells a preview may take on a screen of `size`: inside the popup's border, below its
/// title line.
pub fn room(size: (u16, u16)) -> (u16, u16) {
    (
        size.0.saturating_sub(4).max(1),
        size.1.saturating_sub(5).max(1),
    )
}

/// `v`: the selected customer's attachments, once its detail is loaded: on a queue too
/// narrow to show the detail it is asked for here, and the viewer opens when it comes.
pub fn open(app: &mut App) -> Vec<Effect> {
    let list = match (app.shown_detail(), app.detail_customer()) {
        (Some(d), _) => d.detail.attachments.clone(),
        (None, None) => {
            app.say("No customer selected.");
            return Vec::new();
        }
        (None, Some(cid)) => {
            app.say("The customer's detail is still loading: its attachments open when it comes.");
            app.view_when_loaded = Some(cid);
            return super::update::ask_detail(app, cid)
                .map(Effect::Request)
                .into_iter()
                .collect();
        }
    };
    if list.is_empty() {
        // `A` is offered only to who may attach files here (not an auditor, nor a collector
        // on another's customer, nor on a day after today).
        let may_attach = app.detail_customer().is_some_and(|cid| {
            app.refusal(crate::domain::users::Work::Attachment, &[cid])
                .is_none()
        });
        app.say(if may_attach {
            "No attachments: A attaches files."
        } else {
            "No attachments."
        });
        return Vec::new();
    }
    app.viewer = Some(Viewer {
        list,
        index: 0,
        seq: 0,
        preview: None,
    });
    app.mode = Mode::Attachment;
    request(app)
}

/// Asks the service for the attachment shown, drawn as this terminal draws pictures (when
/// that is not known yet, the terminal is asked first).
fn request(app: &mut App) -> Vec<Effect> {
    let seq = app.next_seq();
    let (cols, rows) = room(app.size);
    let as_of = app.as_of;
    let cell = app.cell_pixels;
    let graphics = match app.graphics {
        None => {
            if let Some(v) = app.viewer.as_mut() {
                v.seq = seq;
                v.preview = None;
            }
            return vec![Effect::AskGraphics];
        }
        Some(Protocol::HalfBlocks) => Graphics::HalfBlocks,
        Some(Protocol::Kitty) => Graphics::Kitty { cell },
        Some(Protocol::Sixel) => Graphics::Sixel { cell },
    };
    let Some(v) = app.viewer.as_mut() else {
        return Vec::new();
    };
    v.seq = seq;
    v.preview = None;
    vec![Effect::Request(Request::Attachment {
        seq,
        as_of,
        id: v.list[v.index].id,
        cols,
        rows,
        graphics,
    })]
}

/// The terminal said which graphics it shows: ask for the attachment shown, drawn so.
pub fn graphics_known(app: &mut App, protocol: Protocol) -> Vec<Effect> {
    app.graphics = Some(protocol);
    if app.mode == Mode::Attachment {
        return request(app);
    }
    Vec::new()
}

/// A key of the viewer (the help popup's keymap section).
pub fn action(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(v) = app.viewer.as_mut() else {
        app.mode = Mode::Normal;
        return Vec::new();
    };
    let n = v.list.len();
    match action {
        Action::Back | Action::Help => {
            app.viewer = None;
            app.mode = Mode::Normal;
            Vec::new()
        }
        Action::Down | Action::HalfPageDown | Action::PageDown if n > 1 => {
            v.index = (v.index + 1) % n;
            request(app)
        }
        Action::Up | Action::HalfPageUp | Action::PageUp if n > 1 => {
            v.index = (v.index + n - 1) % n;
            request(app)
        }
        Action::Top if v.index != 0 => {
            v.index = 0;
            request(app)
        }
        Action::Bottom if v.index + 1 != n => {
            v.index = n - 1;
            request(app)
        }
        _ => Vec::new(),
    }
}

/// The service's preview arrived.
pub fn received(
    app: &mut App,
    seq: u64,
    preview: Result<Box<AttachmentPreview>, String>,
) -> Vec<Effect> {
    if let Some(v) = app.viewer.as_mut()
        && v.seq == seq
    {
        v.preview = Some(preview.map(|p| *p));
    }
    Vec::new()
}

/// The screen was resized: draw the attachment again for the new room.
pub fn resized(app: &mut App) -> Vec<Effect> {
    if app.mode == Mode::Attachment {
        return request(app);
    }
    Vec::new()
}
