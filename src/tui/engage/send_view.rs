//! Draws the send popup: the template picker, the preview (From, To, Subject, documents and
//! the scrollable body), the confirm question, and the progress and outcomes of a send. The
//! popups leave the title bar and the footer (with the keys) visible.

use super::send::{SendFlow, Stage};
use super::{PreviewItem, PreviewMail, SendResult, TemplateHint, TemplateInfo};
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::view::{self, text};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Header lines of the preview above the body at the least: From, To, Subject, reminder,
/// documents, rule (a value too long for its line goes on under itself).
const PREVIEW_HEADER: u16 = 6;

/// Columns of a header line's label (`Subject  `).
const LABEL_W: usize = 9;

/// The area between the title bar and the footer, with a margin.
fn frame_area(screen: Rect) -> Rect {
    Rect::new(
        screen.x + 2,
        screen.y + 1,
        screen.width.saturating_sub(4),
        screen.height.saturating_sub(2),
    )
}

/// A centred popup of at most `width`×`height` inside the frame area.
fn centred(screen: Rect, width: u16, height: u16) -> Rect {
    let f = frame_area(screen);
    let w = width.min(f.width);
    let h = height.min(f.height);
    Rect::new(f.x + (f.width - w) / 2, f.y + (f.height - h) / 2, w, h)
}

/// The preview's rectangle on a screen.
pub fn preview_area(screen: Rect) -> Rect {
    centred(screen, 104, u16::MAX)
}

fn screen_of(app: &App) -> Rect {
    Rect::new(0, 0, app.size.0, app.size.1)
}

/// Lines of the email body the preview shows at once (below the header, as long as the
/// values it wraps make it).
pub fn body_rows(app: &App) -> u16 {
    let area = preview_area(screen_of(app));
    let width = usize::from(area.width.saturating_sub(4));
    let header = app
        .engage
        .flow
        .as_ref()
        .and_then(|f| f.current())
        .and_then(|item| Some(header_lines(item, item.mail.as_ref().ok()?, width)))
        .map_or(PREVIEW_HEADER, |h| h.len() as u16 + 1);
    area.height.saturating_sub(2 + header)
}

/// The preview's header at `width` columns, as (label, text) lines: From, To, Subject (or the
/// text message's length), reminder, documents. A value too long for its line wraps under
/// itself, so that the whole address and subject are read before sending, never cut.
fn header_lines(
    item: &PreviewItem,
    mail: &PreviewMail,
    width: usize,
) -> Vec<(&'static str, String)> {
    let mut fields = vec![("From", mail.from.clone())];
    if mail.text_message {
        // What goes out is the number and the text below: no subject, no HTML.
        fields.push(("To", format!("{} · {}", item.name, mail.to)));
        fields.push((
            "Text",
            format!("text message · {} characters", mail.text.chars().count()),
        ));
    } else {
        fields.push(("To", format!("{} <{}>", item.name, mail.to)));
        fields.push(("Subject", mail.subject.clone()));
    }
    let html = if mail.has_html { " · with HTML" } else { "" };
    fields.push((
        "Reminder",
        format!("{} / {}{html}", mail.cycle, mail.reminder),
    ));
    // The first few and how many more: a reminder about 28,510 documents named them all,
    // thousands of lines that left the body out of reach.
    let docs = match mail.documents.len() {
        1 => "1 document: ".to_string(),
        n => format!(
            "{} documents: ",
            crate::domain::money::grouped_count(n as u64)
        ),
    };
    let named = crate::domain::action_checks::documents_line(&mail.documents);
    fields.push(("About", format!("{docs}{named}")));
    for why in [&mail.too_large, &mail.statement_unprinted]
        .into_iter()
        .flatten()
    {
        fields.push(("Warning", format!("{why}.")));
    }
    let cols = width.saturating_sub(LABEL_W).max(1);
    let mut out = Vec::new();
    for (name, value) in fields {
        for (i, l) in text::wrap(&value, cols).into_iter().enumerate() {
            out.push((if i == 0 { name } else { "" }, l));
        }
    }
    out
}

/// How far the preview's body scrolls.
pub fn max_scroll(app: &App) -> u16 {
    let Some(flow) = &app.engage.flow else {
        return 0;
    };
    let width = preview_area(screen_of(app)).width.saturating_sub(4);
    let lines = body_lines(flow, usize::from(width)).len();
    (lines as u16).saturating_sub(body_rows(app))
}

/// The email body at `width`: lines that fit keep their spacing (the documents table stays
/// aligned); longer ones wrap at spaces.
fn body_lines(flow: &SendFlow, width: usize) -> Vec<String> {
    let Some(item) = flow.current() else {
        return Vec::new();
    };
    let text = match &item.mail {
        Ok(mail) => mail.text.as_str(),
        Err(_) => return Vec::new(),
    };
    text::wrap_lines(text, width)
}

/// Draws the popup when one is open.
pub fn render(app: &App, screen: Rect, buf: &mut Buffer) {
    let Some(flow) = app.engage.flow.as_ref().filter(|f| f.visible) else {
        return;
    };
    match flow.stage {
        Stage::Loading => {
            let note = flow.note.clone().unwrap_or_default();
            let area = centred(screen, (text::width(&note) as u16 + 6).max(40), 5);
            let inner = popup(app, area, buf, &format!("Reminder · {}", flow.label));
            line(buf, inner, 1, &note, app.theme.get(Role::Muted));
        }
        Stage::Picker => picker(app, flow, screen, buf),
        Stage::Preview => preview(app, flow, screen, buf),
        Stage::Confirm => {
            if !flow.previews.is_empty() {
                preview(app, flow, screen, buf);
            }
            confirm(app, flow, screen, buf);
        }
        Stage::Sending | Stage::Done => outcomes(app, flow, screen, buf),
    }
}

/// Clears `area`, draws a bordered box titled `title`, returns the inside.
fn popup(app: &App, area: Rect, buf: &mut Buffer, title: &str) -> Rect {
    let room = usize::from(area.width.saturating_sub(4));
    let title = format!(" {} ", text::truncate(title, room.saturating_sub(2)));
    view::popup_frame(app, area, buf, title)
}

/// Writes one line at row `y` of `inner`, one column in, cut to fit.
/// Writes `content` on the popup's last line (its keys, or a note) in `role`'s style.
fn last_line(app: &App, buf: &mut Buffer, inner: Rect, content: &str, role: Role) {
    line(
        buf,
        inner,
        inner.height.saturating_sub(1),
        content,
        app.theme.get(role),
    );
}

fn line(buf: &mut Buffer, inner: Rect, y: u16, content: &str, style: Style) {
    if y >= inner.height {
        return;
    }
    let room = usize::from(inner.width.saturating_sub(2));
    text::put_n(
        buf,
        inner.x + 1,
        inner.y + y,
        text::truncate(content, room),
        room,
        style,
    );
}

/// The most customers held back the picker names (the others counted).
const HELD_NAMED: usize = 3;

fn picker(app: &App, flow: &SendFlow, screen: Rect, buf: &mut Buffer) {
    let rows = flow.templates.len() as u16;
    // Above the templates: who of them a manager holds back from the cycles, as the plan
    // says it (a reminder by hand still goes).
    let width = 84u16.min(screen.width.saturating_sub(4));
    let inner_w = usize::from(width.saturating_sub(4));
    let mut notes: Vec<String> = flow.held.iter().take(HELD_NAMED).cloned().collect();
    if flow.held.len() > HELD_NAMED {
        notes.push(format!(
            "… and {} more held back",
            flow.held.len() - HELD_NAMED
        ));
    }
    let held: Vec<String> = notes.iter().flat_map(|n| text::wrap(n, inner_w)).collect();
    let top = held.len() as u16;
    let area = centred(screen, 84, rows + 5 + top);
    let inner = popup(
        app,
        area,
        buf,
        &format!("Send a reminder to {} · pick a template", flow.label),
    );
    for (y, l) in held.iter().enumerate() {
        line(buf, inner, y as u16, l, app.theme.get(Role::MetricAlert));
    }
    let inner = Rect {
        y: inner.y + top,
        height: inner.height.saturating_sub(top),
        ..inner
    };
    let header = app.theme.get(Role::Header);
    let name_w = flow
        .templates
        .iter()
        .map(|t| text::width(&t.name) + if t.has_html { 7 } else { 0 })
        .max()
        .unwrap_or(8)
        .clamp(8, 28);
    line(
        buf,
        inner,
        0,
        &format!("  {}  Used by", text::fit("Template", name_w)),
        header,
    );
    let visible = usize::from(inner.height.saturating_sub(2));
    let first = flow.template_sel.saturating_sub(visible.saturating_sub(1));
    for (i, t) in flow.templates.iter().enumerate().skip(first).take(visible) {
        let y = 1 + (i - first) as u16;
        let selected = i == flow.template_sel;
        let row = format!("  {}  {}", text::fit(&template_name(t), name_w), used_by(t));
        line(buf, inner, y, &row, Style::default());
        if selected {
            let r = Rect::new(inner.x, inner.y + y, inner.width, 1);
            buf.set_style(r, app.theme.get(Role::Selected));
        }
    }
    last_line(
        app,
        buf,
        inner,
        "Enter previews the email; nothing is sent before you confirm.",
        Role::Muted,
    );
}

fn template_name(t: &TemplateInfo) -> String {
    if t.has_html {
        format!("{} (+html)", t.name)
    } else {
        t.name.clone()
    }
}

fn used_by(t: &TemplateInfo) -> String {
    let used = if t.used_by.is_empty() {
        "not in a cycle".to_string()
    } else {
        t.used_by.join(", ")
    };
    match t.hint {
        Some(TemplateHint::Planned) => format!("{used} · in today's plan"),
        Some(TemplateHint::SentLast) => format!("{used} · sent last"),
        None => used,
    }
}

fn preview(app: &App, flow: &SendFlow, screen: Rect, buf: &mut Buffer) {
    let area = preview_area(screen);
    let Some(item) = flow.current() else {
        return;
    };
    let which = if flow.previews.len() > 1 {
        format!(" ({} of {})", flow.index + 1, flow.previews.len())
    } else {
        String::new()
    };
    let what = match &flow.chosen {
        Some(t) => format!("Preview · {} · {}{which}", t.name, display_name(item)),
        None => format!("Preview · {}{which}", display_name(item)),
    };
    let inner = popup(app, area, buf, &what);
    let label = app.theme.get(Role::MetricLabel);
    let muted = app.theme.get(Role::Muted);
    let width = inner.width.saturating_sub(2);
    let mail = match &item.mail {
        Ok(mail) => mail,
        Err(e) => {
            line(
                buf,
                inner,
                0,
                &format!("Cannot send to {}:", display_name(item)),
                app.theme.get(Role::Error),
            );
            for (i, l) in text::wrap_lines(e, usize::from(width)).iter().enumerate() {
                line(buf, inner, 1 + i as u16, l, Style::default());
            }
            return;
        }
    };
    let head = header_lines(item, mail, usize::from(width));
    // The warning of a reminder too large comes last, in the alert colour.
    let warning = head
        .iter()
        .position(|l| l.0 == "Warning")
        .unwrap_or(head.len());
    let alert = app.theme.get(Role::MetricAlert);
    for (y, l) in head.iter().enumerate() {
        let spans = Line::from(vec![
            Span::styled(format!("{:<LABEL_W$}", l.0), label),
            if y >= warning {
                Span::styled(l.1.clone(), alert)
            } else {
                Span::raw(l.1.clone())
            },
        ]);
        if (y as u16) < inner.height {
            text::put_line(buf, inner.x + 1, inner.y + y as u16, &spans, width);
        }
    }
    let header = head.len() as u16 + 1;
    let rule = "─".repeat(usize::from(inner.width));
    if header - 1 < inner.height {
        text::put(
            buf,
            inner.x,
            inner.y + header - 1,
            &rule,
            app.theme.get(Role::Border),
        );
    }
    let body = body_lines(flow, usize::from(width));
    let rows = inner.height.saturating_sub(header);
    let max = (body.len() as u16).saturating_sub(rows);
    let scroll = flow.scroll.min(max);
    for (i, l) in body
        .iter()
        .skip(usize::from(scroll))
        .take(usize::from(rows))
        .enumerate()
    {
        line(buf, inner, header + i as u16, l, Style::default());
    }
    if max > 0 {
        let more = format!(
            " {}/{} ",
            (scroll + rows).min(body.len() as u16),
            body.len()
        );
        let x = area.right().saturating_sub(text::width(&more) as u16 + 2);
        text::put(buf, x, area.bottom().saturating_sub(1), &more, muted);
    }
}

fn display_name(item: &super::PreviewItem) -> String {
    if item.name.is_empty() {
        item.customer_id.clone()
    } else {
        item.name.clone()
    }
}

fn confirm(app: &App, flow: &SendFlow, screen: Rect, buf: &mut Buffer) {
    let wanted = flow
        .confirm
        .iter()
        .map(|l| text::width(l) as u16 + 4)
        .max()
        .unwrap_or(40)
        .clamp(48, 96);
    let area = centred(screen, wanted, flow.confirm.len() as u16 + 4);
    let inner = popup(app, area, buf, "Send?");
    for (i, l) in flow.confirm.iter().enumerate() {
        let style = if i == 0 {
            app.theme.get(Role::Heading)
        } else {
            Style::default()
        };
        line(buf, inner, i as u16, l, style);
    }
    last_line(
        app,
        buf,
        inner,
        "y sends · n or Esc goes back",
        Role::FooterKey,
    );
}

fn outcomes(app: &App, flow: &SendFlow, screen: Rect, buf: &mut Buffer) {
    let (sent, not) = flow.tally();
    let title = match flow.stage {
        Stage::Sending => format!(
            "Sending {} of {} …",
            (flow.outcomes.len() + 1).min(flow.total.max(1)),
            flow.total
        ),
        _ if flow.total == 0 && flow.outcomes.is_empty() => "Nothing sent".to_string(),
        _ => format!("Done · {sent} sent, {not} not sent"),
    };
    let mut lines: Vec<(String, Role)> = flow
        .outcomes
        .iter()
        .map(|o| {
            let role = match o.result {
                SendResult::Sent { .. } => Role::Heading,
                SendResult::AlreadySent | SendResult::Withdrawn(_) => Role::Muted,
                _ => Role::Error,
            };
            (super::send::outcome_line(o), role)
        })
        .collect();
    if flow.stage == Stage::Sending {
        lines.push((
            "The workstation stays usable; Esc hides this and the outcome comes to the status \
             line."
                .to_string(),
            Role::Muted,
        ));
    }
    if let Some(note) = &flow.note {
        lines.push((note.clone(), Role::Error));
    }
    let width = 100u16.min(screen.width.saturating_sub(4));
    let inner_w = usize::from(width.saturating_sub(4));
    let wrapped: Vec<(String, Role)> = lines
        .into_iter()
        .flat_map(|(l, role)| {
            text::wrap(&l, inner_w)
                .into_iter()
                .map(move |piece| (piece, role))
        })
        .collect();
    let area = centred(screen, width, wrapped.len() as u16 + 4);
    let inner = popup(app, area, buf, &title);
    for (i, (l, role)) in wrapped.iter().enumerate() {
        line(buf, inner, i as u16, l, app.theme.get(*role));
    }
    if flow.stage == Stage::Done {
        last_line(app, buf, inner, "Esc or Enter closes", Role::FooterKey);
    }
}

#[cfg(test)]
mod tests {
    use super::{PreviewItem, PreviewMail, header_lines};

    /// A reminder about 28,510 documents names the first five and counts the others: the
    /// header stays a few lines and the body in reach (they wrapped to thousands of lines).
    #[test]
    fn the_about_line_of_many_documents_names_a_few_and_counts_the_rest() {
        let mail = PreviewMail {
            from: "ar@example.com".into(),
            to: "ap@megamart.example".into(),
            subject: "Overdue".into(),
            text: "Dear customer".into(),
            has_html: false,
            text_message: false,
            cycle: "key".into(),
            reminder: "key-escalation".into(),
            documents: (1501..30011).map(|i| format!("MR-{i:07}")).collect(),
            too_large: None,
            statement_unprinted: None,
        };
        let item = PreviewItem {
            cid: 1,
            customer_id: "K1".into(),
            name: "MegaMart Retail Group".into(),
            key: None,
            mail: Ok(mail.clone()),
        };
        let lines = header_lines(&item, &mail, 100);
        assert!(!lines.iter().any(|(label, _)| *label == "Warning"));
        // Too large: the last lines say so.
        let large = PreviewMail {
            too_large: Some("key / key-escalation to K1 renders 4.7 MB".into()),
            statement_unprinted: None,
            ..mail.clone()
        };
        let last = header_lines(&item, &large, 100).pop().unwrap();
        assert_eq!(
            last,
            (
                "Warning",
                "key / key-escalation to K1 renders 4.7 MB.".into()
            )
        );
        let about: Vec<&str> = lines
            .iter()
            .skip_while(|(label, _)| *label != "About")
            .map(|(_, text)| text.as_str())
            .collect();
        assert_eq!(
            about.join(" "),
            "28,510 documents: MR-0001501, MR-0001502, MR-0001503, MR-0001504, MR-0001505 and \
             28,505 more"
        );
        assert_eq!(lines.len(), 6, "{lines:?}");
    }
}
