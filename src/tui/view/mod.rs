//! Drawing: the whole screen from the [`App`] state. Widgets only read the state; they never
//! touch the database or change anything.
//!
//! Main screen, top to bottom: the title bar, the metrics bar, the chart (folded on a
//! terminal too short to leave the queue [`QUEUE_ROWS_BESIDE_CHART`] rows, or by `c`) and the
//! queue (with the selected customer's detail on the right from [`WIDE`] columns up), the
//! footer. Below [`MIN_WIDTH`]×[`MIN_HEIGHT`] a note asks for a bigger terminal instead.

pub mod action_form;
pub mod attachment;
pub mod cash;
pub mod chart;
pub mod detail;
pub mod footer;
pub mod help;
pub mod metrics;
pub mod prediction;
pub mod queue;
pub mod team;
pub mod text;
pub mod title;

use super::app::{App, ChartFold, Mode, Screen};
use super::theme::Role;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

/// Clears `area` and draws a popup's frame there, bordered in the popup style with `title`
/// (already cut to fit) on its top edge; returns the inside.
pub fn popup_frame(app: &App, area: Rect, buf: &mut Buffer, title: String) -> Rect {
    Clear.render(area, buf);
    let block = Block::bordered()
        .title(title)
        .border_style(app.theme.get(Role::Popup));
    let inner = block.inner(area);
    block.render(area, buf);
    inner
}

/// Narrowest terminal the workstation draws in.
pub const MIN_WIDTH: u16 = 60;
/// Lowest terminal the workstation draws in.
pub const MIN_HEIGHT: u16 = 16;
/// From this width on the detail sits beside the queue.
pub const WIDE: u16 = 100;
/// From this height on the chart may be shown.
pub const CHART_MIN_HEIGHT: u16 = 22;
/// The rows of customers the queue keeps below the chart: on a terminal too short for both,
/// the chart folds by itself (unless `c` or `:chart` asked for it). At 80×24 it left nine.
pub const QUEUE_ROWS_BESIDE_CHART: u16 = 12;

/// Where each part of the main screen goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub title: Rect,
    pub metrics: Rect,
    pub chart: Option<Rect>,
    pub queue: Rect,
    pub detail: Option<Rect>,
    pub footer: Rect,
}

/// Whether the terminal is big enough to draw in.
pub fn fits(size: (u16, u16)) -> bool {
    size.0 >= MIN_WIDTH && size.1 >= MIN_HEIGHT
}

/// The layout of the screen for the app's size and state.
pub fn areas(app: &App) -> Areas {
    areas_in(app, Rect::new(0, 0, app.size.0, app.size.1))
}

/// The layout of the screen in `area` (the frame being drawn, which wins over the size the
/// app last heard of).
pub fn areas_in(app: &App, area: Rect) -> Areas {
    layout(app, area, app.screen)
}

/// Whether the main screen shows the chart (at the app's size and with its fold), whichever
/// screen is shown now.
pub fn chart_shown(app: &App) -> bool {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    layout(app, area, Screen::Main).chart.is_some()
}

/// The layout of `screen` in `area`.
fn layout(app: &App, area: Rect, screen: Screen) -> Areas {
    let [title, body, footer] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(footer::height(app, area.width, area.height)),
    ]));
    // The screens that draw their own body have no metrics or chart; the team screen draws
    // its body in the queue's place (`team`), the engagement screen its own
    // (`engage::plan_view`), the detail screen in the detail's.
    let none = Rect::new(body.x, body.y, body.width, 0);
    let own_body = match screen {
        Screen::Team => Some((body, None)),
        Screen::Engage => Some((none, None)),
        Screen::Detail => Some((none, Some(body))),
        Screen::Main => None,
    };
    if let Some((queue, detail)) = own_body {
        return Areas {
            title,
            metrics: none,
            chart: None,
            queue,
            detail,
            footer,
        };
    }
    let metrics_height = metrics::height(app, body.width);
    let [metrics, rest] = body.layout(&Layout::vertical([
        Constraint::Length(metrics_height),
        Constraint::Fill(1),
    ]));
    let (left, detail) = if area.width >= WIDE {
        let left_width = (u32::from(rest.width) * 58 / 100) as u16;
        let [left, right] = rest.layout(&Layout::horizontal([
            Constraint::Length(left_width.max(MIN_WIDTH)),
            Constraint::Fill(1),
        ]));
        (left, Some(right))
    } else {
        (rest, None)
    };
    let chart_height = chart::height(app);
    let shown = area.height >= CHART_MIN_HEIGHT
        && match app.chart_fold {
            ChartFold::Folded => false,
            ChartFold::Shown => true,
            // By the terminal's size alone (the bar's usual height, not its rows of the
            // moment): the chart does not show while the figures load, then fold.
            ChartFold::Auto => {
                body.height
                    .saturating_sub(metrics::usual_height(app, body.width))
                    >= chart_height + queue::CHROME + QUEUE_ROWS_BESIDE_CHART
            }
        };
    let (chart, queue) = if shown {
        let [chart, queue] = left.layout(&Layout::vertical([
            Constraint::Length(chart_height),
            Constraint::Fill(1),
        ]));
        (Some(chart), queue)
    } else {
        (None, left)
    };
    Areas {
        title,
        metrics,
        chart,
        queue,
        detail,
        footer,
    }
}

/// Rows of customers the queue shows at once.
pub fn queue_rows(app: &App) -> u64 {
    u64::from(areas(app).queue.height.saturating_sub(queue::CHROME))
}

/// Whether the selected customer's detail is on screen.
pub fn detail_visible(app: &App) -> bool {
    fits(app.size) && areas(app).detail.is_some()
}

/// Lines of the detail that fit at once.
pub fn detail_rows(app: &App) -> u16 {
    areas(app)
        .detail
        .map_or(0, |r| r.height.saturating_sub(detail::CHROME))
}

/// Draws the whole screen, then [`text::settle`]s it: nothing from outside reaches the
/// terminal raw, whichever widget drew it.
pub fn draw(frame: &mut Frame, app: &App) {
    let _ascii = text::AsciiFrame::set(app.ascii);
    draw_screen(frame, app);
    text::settle(frame.buffer_mut());
}

fn draw_screen(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if !fits((area.width, area.height)) {
        too_small(frame, area, typing(app));
        return;
    }
    let a = areas_in(app, area);
    let buf = frame.buffer_mut();
    title::render(app, a.title, buf);
    if app.screen == Screen::Main {
        metrics::render(app, a.metrics, buf);
        if let Some(chart_area) = a.chart {
            chart::render(app, chart_area, buf);
        }
        queue::render(app, a.queue, buf);
    }
    if app.screen == Screen::Engage {
        let body = Rect::new(
            area.x,
            a.title.bottom(),
            area.width,
            a.footer.y - a.title.bottom(),
        );
        crate::tui::engage::plan_view::render(app, body, buf);
    }
    if app.screen == Screen::Team {
        team::render(app, a.queue, buf);
    }
    if let Some(detail_area) = a.detail {
        detail::render(app, detail_area, buf, app.screen == Screen::Main);
    }
    if let Some(cursor) = footer::render(app, a.footer, buf) {
        frame.set_cursor_position(cursor);
    }
    crate::tui::engage::send_view::render(app, area, frame.buffer_mut());
    if app.mode == Mode::Help {
        help::render(app, area, frame.buffer_mut());
    }
    if app.mode == Mode::Attachment {
        attachment::render(app, area, frame.buffer_mut());
    }
    if app.mode == Mode::Form
        && let Some(cursor) = action_form::render(app, area, frame.buffer_mut())
    {
        frame.set_cursor_position(cursor);
    }
}

/// What is being typed, if anything: a form, the filter or the command line. Behind the
/// too-small note it waits as it is, and `q` does not quit.
pub fn typing(app: &App) -> Option<&'static str> {
    match app.mode {
        Mode::Form => Some("the form"),
        Mode::Filter => Some("the filter"),
        Mode::Command => Some("the command line"),
        _ => None,
    }
}

fn too_small(frame: &mut Frame, area: Rect, typing: Option<&str>) {
    let (w, h) = (area.width, area.height);
    let long = vec![
        "Terminal too small".to_string(),
        format!("{w}×{h} here; owed needs at least {MIN_WIDTH}×{MIN_HEIGHT}."),
        match typing {
            Some(what) => format!("Enlarge it to go on with {what}."),
            None => "Enlarge the window, or press q to quit.".to_string(),
        },
    ];
    // The lines wrapped at the width (on a very small terminal); where the sentences would
    // be cut at the bottom, the same said in fewer words.
    let wrapped = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .flat_map(|l| text::wrap(l, usize::from(w)))
            .collect()
    };
    let mut lines = wrapped(&long);
    if lines.len() > usize::from(h) {
        lines = wrapped(&[
            "Terminal too small".to_string(),
            format!("{w}×{h}; needs {MIN_WIDTH}×{MIN_HEIGHT}."),
            if typing.is_some() {
                "Enlarge to go on.".to_string()
            } else {
                "Enlarge, or q quits.".to_string()
            },
        ]);
    }
    let height = area
        .height
        .min(u16::try_from(lines.len()).unwrap_or(u16::MAX));
    let top = area.height.saturating_sub(height) / 2;
    let target = Rect::new(area.x, area.y + top, area.width, height);
    let lines: Vec<Line> = lines.into_iter().map(Line::from).collect();
    frame.render_widget(Paragraph::new(lines).centered(), target);
}

/// Draws a section's title line: `─ Title ───────` across `area`'s first row.
pub fn section_title(app: &App, area: Rect, buf: &mut ratatui::buffer::Buffer, title: &str) {
    use super::theme::Role;
    if area.height == 0 || area.width == 0 {
        return;
    }
    let border = app.theme.get(Role::Border);
    let heading = app.theme.get(Role::Heading);
    let rule: String = "─".repeat(usize::from(area.width));
    text::put(buf, area.x, area.y, &rule, border);
    let room = usize::from(area.width).saturating_sub(4);
    let shown = format!(" {} ", text::fit_parts(title, room.saturating_sub(2)));
    text::put_n(buf, area.x + 1, area.y, shown, room, heading);
}

/// Dims what the metrics bar or the chart drew in `area` while its figures are not yet the
/// queue's own ([`App::shown_scope`]: those of the filter before, until the new filter's
/// arrive).
pub fn dim_while_stale(app: &App, area: Rect, buf: &mut Buffer) {
    if app.shown_scope().is_some_and(|(_, stale)| stale) {
        buf.set_style(area, app.theme.get(Role::Muted));
    }
}

/// Draws a muted `note` from `area`'s first line, two columns in, wrapped over as many lines as
/// it has (what an empty list says).
pub fn empty_note(app: &App, area: Rect, buf: &mut ratatui::buffer::Buffer, note: &str) {
    let cols = usize::from(area.width.saturating_sub(2));
    for (y, line) in (area.y..area.bottom()).zip(text::wrap(note, cols)) {
        text::put_n(
            buf,
            area.x + 2,
            y,
            &line,
            cols,
            app.theme.get(super::theme::Role::Muted),
        );
    }
}

/// Draws one tab's `label` at `x` on `area`'s first line (highlighted when `current`) and a
/// space after it, and returns where the next tab starts; `None`, drawing nothing, when the
/// label does not fit.
pub fn tab(
    app: &App,
    area: Rect,
    buf: &mut ratatui::buffer::Buffer,
    x: u16,
    label: &str,
    current: bool,
) -> Option<u16> {
    use super::theme::Role;
    if x + text::width(label) as u16 > area.right() {
        return None;
    }
    let style = app
        .theme
        .get(if current { Role::TabActive } else { Role::Tab });
    let x = text::put(buf, x, area.y, label, style);
    Some(text::put(
        buf,
        x,
        area.y,
        " ",
        ratatui::style::Style::default(),
    ))
}
