//! The title bar: who is working, on what date (one after today is read-only), how fresh the
//! ledger is, whether figures are still loading, and whether the database can only be read.

use super::text;
use crate::domain::Date;
use crate::tui::app::App;
use crate::tui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// Draws the title bar.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let style = app.theme.get(Role::Title);
    buf.set_style(area, style);
    let left = format!(
        " owed · {} · {}",
        app.session.collector, app.session.base_currency
    );
    let mut right = String::new();
    // On the right, which is never cut.
    if app.read_only {
        right.push_str("read-only ");
    }
    if app.summary_pending {
        right.push_str("loading… ");
    }
    let width = usize::from(area.width);
    let ledger = app
        .summary
        .as_ref()
        .and_then(|s| s.last_import.as_ref())
        .and_then(|i| ledger_note(i.at.with_timezone(&chrono::Local).naive_local(), app));
    // A stale ledger is always said; a fresh one where there is room.
    let ledger = ledger.filter(|(_, stale)| *stale || width >= 100);
    // The ledger's time zone after the date, which is a day in it (`today 2026-12-07 ·
    // Europe/Berlin`), where the left part still fits whole; else the date alone.
    let dated = |zone: Option<&str>| {
        let zone = zone.map(|z| format!("· {z} ")).unwrap_or_default();
        if app.after_today() {
            // A view of a day to come: nothing can be written as of it.
            format!(" as of {}, after today: read-only {zone}", app.as_of)
        } else if app.as_of_given {
            format!(" as of {} {zone}", app.as_of)
        } else {
            format!(" today {} {zone}", app.as_of)
        }
    };
    let plain = dated(None);
    let date = match app.time_zone.as_deref().map(|z| dated(Some(z))) {
        Some(zoned)
            if text::width(&left)
                + 1
                + text::width(&right)
                + ledger.as_ref().map_or(0, |(t, _)| text::width(t))
                + text::width(&zoned)
                <= width =>
        {
            zoned
        }
        _ => plain,
    };
    let date_w = text::width(&date);
    let ledger_w = ledger.as_ref().map_or(0, |(t, _)| text::width(t));
    let right_w = text::width(&right) + ledger_w + date_w;
    let left_room = width.saturating_sub(right_w + 1);
    text::put(
        buf,
        area.x,
        area.y,
        &text::truncate(&left, left_room),
        style,
    );
    let mut x = area.x + (width.saturating_sub(right_w)) as u16;
    text::put(buf, x, area.y, &right, style);
    x += text::width(&right) as u16;
    if let Some((note, stale)) = &ledger {
        let note_style = if *stale {
            app.theme.get(Role::TitleAsOf)
        } else {
            style
        };
        text::put(buf, x, area.y, note, note_style);
        x += ledger_w as u16;
    }
    let date_style = if app.as_of_given {
        app.theme.get(Role::TitleAsOf)
    } else {
        style
    };
    text::put(buf, x, area.y, &date, date_style);
}

/// How fresh the ledger is beside the date shown, from its last import (local time): today,
/// ` ledger imported 06:10 `, ` … yesterday ` or its date; on a date chosen, its date when it
/// is older than that date. Stale (`true`) when older than the day before. Nothing when it was
/// imported on or after a date chosen (looking back, the ledger holds all of that day).
pub fn ledger_note(imported: chrono::NaiveDateTime, app: &App) -> Option<(String, bool)> {
    let day: Date = imported.date();
    let days = (app.as_of - day).num_days();
    let when = match days {
        ..0 => return None,
        0 if app.as_of_given => return None,
        0 => imported.format("%H:%M").to_string(),
        1 if !app.as_of_given => "yesterday".to_string(),
        _ => day.to_string(),
    };
    Some((format!(" ledger imported {when} "), days > 1))
}
