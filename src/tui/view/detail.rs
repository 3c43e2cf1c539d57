//! The selected customer's detail: who they are, their aging, documents (open first, with days
//! overdue and flags), payments and failed attempts, and the activity timeline.
//!
//! What the queue's filter searched for is marked: a document whose number or id is one of
//! its bare words, and in the timeline the words of its `note:` and `text:` terms in the
//! entries they search.

use super::{prediction, section_title, text};
use crate::domain::Decimal;
use crate::domain::customer::{ActivityKind, Contact, CustomerDetail, DetailDocument};
use crate::domain::document::DocumentKind;
use crate::domain::money::{grouped, grouped_count};
use crate::domain::queue::{Predicate, SearchScope};
use crate::domain::search;
use crate::domain::text::one_line;
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::workstation::DetailData;
use crate::workstation::forecast::{CustomerForecast, DocumentPrediction};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Lines above the content: the title.
pub const CHROME: u16 = 1;

/// Draws the detail; `beside` when it sits right of the queue (a separator on its left).
/// Only the lines on screen are built ([`Layout::lines`]).
pub fn render(app: &App, area: Rect, buf: &mut Buffer, beside: bool) {
    if area.height == 0 {
        return;
    }
    let (x, width) = if beside {
        let border = app.theme.get(Role::Border);
        for y in area.y + 1..area.bottom() {
            text::put(buf, area.x, y, "│", border);
        }
        (area.x + 2, area.width.saturating_sub(3))
    } else {
        (area.x + 1, area.width.saturating_sub(2))
    };
    let title = match &app.detail {
        Some(d) => format!("Customer {}", d.detail.header.id),
        None => "Customer".to_string(),
    };
    section_title(app, area, buf, &title);
    let body_height = area.height.saturating_sub(CHROME);
    let laid = layout(app, width);
    let body = usize::from(body_height);
    let scroll = app.detail_scroll.min(laid.len().saturating_sub(body));
    let rows = Rect::new(x, area.y + CHROME, width, body_height);
    text::put_lines(buf, rows, &laid.lines(app, scroll, body), 0);
    // The timeline's selected entry, when it has the focus.
    if let Some(&(first, last)) = app
        .timeline
        .filter(|_| !beside)
        .and_then(|i| laid.entries().get(i))
    {
        for n in first..=last {
            if n >= scroll && n < scroll + body {
                let y = area.y + CHROME + (n - scroll) as u16;
                buf.set_style(Rect::new(x, y, width, 1), app.theme.get(Role::Selected));
            }
        }
    }
}

/// The first and last line of each timeline entry at this width.
pub fn entry_lines(app: &App, width: u16) -> Vec<(usize, usize)> {
    layout(app, width).entries().to_vec()
}

/// Number of lines the detail has at this width (for scrolling).
pub fn line_count(app: &App, width: u16) -> usize {
    layout(app, width).len()
}

/// The detail's lines at this width, every one of them (the screen builds those it shows).
pub fn lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let laid = layout(app, width);
    laid.lines(app, 0, laid.len())
}

/// The line of the first document the filter names, at this width (to scroll to it).
pub fn matched_document_line(app: &App, width: u16) -> Option<usize> {
    layout(app, width).matched
}

/// The detail as last laid out: one customer's at one width, kept while nothing it shows
/// changes, so that a key or a frame does not lay out again a customer of tens of thousands
/// of documents. A copy of the workstation's state starts without it.
#[derive(Default)]
pub struct LayoutCache(Mutex<Option<Arc<Layout>>>);

impl Clone for LayoutCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for LayoutCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LayoutCache")
    }
}

/// What a layout was made from: the detail that came (its request, and its lists where they
/// are held), the width, whether on its own screen, the date and the filter.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    width: u16,
    full: bool,
    seq: u64,
    lists: [(usize, usize); 6],
    as_of: crate::domain::Date,
    filter: String,
}

impl Key {
    fn of(app: &App, data: &DetailData, width: u16) -> Key {
        fn list<T>(v: &[T]) -> (usize, usize) {
            (v.as_ptr() as usize, v.len())
        }
        let d = &data.detail;
        Key {
            width,
            full: app.screen == crate::tui::app::Screen::Detail,
            seq: app.detail_answered,
            lists: [
                list(&d.documents),
                list(&d.payments),
                list(&d.activity),
                list(&d.contacts),
                list(&d.attachments),
                data.forecast
                    .as_ref()
                    .map_or((0, 0), |f| list(&f.documents)),
            ],
            as_of: app.as_of,
            filter: app.query.filter.text.clone(),
        }
    }
}

/// The detail laid out at one width. Its documents' lines are not held: a customer may have
/// tens of thousands; where each document's lines fall is, and [`Layout::lines`] builds
/// those asked for (the screen's).
pub struct Layout {
    key: Option<Key>,
    /// Header, risk, aging, the documents' heading and column names.
    head: Vec<Line<'static>>,
    docs: Option<DocRows>,
    /// The legend and what was left out of the documents, payments, attachments, timeline
    /// and the contacts the header had no room for.
    tail: Vec<Line<'static>>,
    entries: Vec<(usize, usize)>,
    matched: Option<usize>,
}

/// Where the documents' lines fall.
struct DocRows {
    width: usize,
    columns: DocColumns,
    /// The first line of each document, counted from the first document's; then their end.
    starts: Vec<usize>,
    /// Each document's prediction: where it is in the forecast's.
    predictions: Vec<Option<usize>>,
}

impl Layout {
    /// How many lines the detail has.
    pub fn len(&self) -> usize {
        self.head.len() + self.doc_lines() + self.tail.len()
    }

    /// Whether it has no line (it always has one: what it shows, or why not).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lines built and held, the documents' not among them.
    pub fn held(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// The first and last line of each timeline entry.
    pub fn entries(&self) -> &[(usize, usize)] {
        &self.entries
    }

    fn doc_lines(&self) -> usize {
        self.docs
            .as_ref()
            .map_or(0, |d| d.starts.last().copied().unwrap_or(0))
    }

    /// At most `count` lines from line `from`: only the documents among them are built.
    pub fn lines(&self, app: &App, from: usize, count: usize) -> Vec<Line<'static>> {
        let end = from.saturating_add(count).min(self.len());
        let mut out = Vec::with_capacity(end.saturating_sub(from));
        let (head, rows) = (self.head.len(), self.doc_lines());
        let mut i = from;
        while i < end {
            if i < head {
                out.push(self.head[i].clone());
                i += 1;
            } else if i < head + rows {
                let (Some(docs), Some(data)) = (&self.docs, &app.detail) else {
                    break;
                };
                let r = i - head;
                let k = docs.starts.partition_point(|&s| s <= r) - 1;
                let names = named_documents(app);
                let forecast = data.forecast.as_ref();
                let prediction =
                    docs.predictions[k].and_then(|p| forecast.and_then(|f| f.documents.get(p)));
                let doc = &data.detail.documents[k];
                let built = document_lines(
                    app,
                    doc,
                    &docs.columns,
                    prediction,
                    docs.width,
                    named(doc, &names),
                );
                for line in built.into_iter().skip(r - docs.starts[k]) {
                    if i == end {
                        break;
                    }
                    out.push(line);
                    i += 1;
                }
            } else {
                out.push(self.tail[i - head - rows].clone());
                i += 1;
            }
        }
        out
    }
}

/// The detail laid out at this width: the one laid out before when nothing it shows has
/// changed since.
pub fn layout(app: &App, width: u16) -> Arc<Layout> {
    let Some(data) = &app.detail else {
        return Arc::new(build(app, width, None));
    };
    let key = Key::of(app, data, width);
    let mut cache = app
        .detail_layout
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(laid) = cache.as_ref().filter(|l| l.key.as_ref() == Some(&key)) {
        return Arc::clone(laid);
    }
    let laid = Arc::new(build(app, width, Some(key)));
    *cache = Some(Arc::clone(&laid));
    laid
}

/// The document numbers and ids the filter may name: its bare words.
fn named_documents(app: &App) -> Vec<&str> {
    app.query
        .filter
        .predicates
        .iter()
        .filter_map(|p| match p {
            Predicate::Text(t) => Some(t.trim()),
            _ => None,
        })
        .collect()
}

/// Whether the filter names this document (its id without regard to case, its number as
/// the search compares it: [`crate::domain::document::same_number`]).
fn named(doc: &DetailDocument, names: &[&str]) -> bool {
    names.iter().any(|n| {
        doc.id.eq_ignore_ascii_case(n)
            || doc
                .number
                .as_deref()
                .is_some_and(|x| crate::domain::document::same_number(x, n))
    })
}

/// The words of the filter's text searches that an entry of this kind holds (empty: none of
/// them finds it).
fn searched_words(app: &App, kind: ActivityKind, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in &app.query.filter.predicates {
        let Predicate::Search(scope, query) = p else {
            continue;
        };
        let in_scope = match scope {
            SearchScope::Notes => matches!(kind, ActivityKind::Note | ActivityKind::Call),
            SearchScope::All => !matches!(
                kind,
                ActivityKind::Reminder
                    | ActivityKind::OwnerChange
                    | ActivityKind::FollowUpDone
                    | ActivityKind::Hold
                    | ActivityKind::HoldReleased
            ),
        };
        let words = search::words(query);
        if in_scope && search::matches(&words, text) {
            out.extend(words);
        }
    }
    out
}

/// `text` as spans, the parts `words` match in the match style.
fn marked_spans(app: &App, text: String, words: &[String], base: Style) -> Vec<Span<'static>> {
    let ranges = search::highlights(words, &text);
    if ranges.is_empty() {
        return vec![Span::styled(text, base)];
    }
    let mark = app.theme.get(Role::Match);
    let mut out = Vec::new();
    let mut at = 0;
    for r in ranges {
        if r.start > at {
            out.push(Span::styled(text[at..r.start].to_string(), base));
        }
        out.push(Span::styled(text[r.clone()].to_string(), mark));
        at = r.end;
    }
    if at < text.len() {
        out.push(Span::styled(text[at..].to_string(), base));
    }
    out
}

/// Lays the detail out at this width: every line but the documents', and where those fall.
fn build(app: &App, width: u16, key: Option<Key>) -> Layout {
    let muted = app.theme.get(Role::Muted);
    let Some(data) = &app.detail else {
        // While the queue's page loads, the customer to show is not known yet.
        let text = if app.selected().is_some() || app.detail_cid.is_some() || !app.page_is_current()
        {
            "Loading…"
        } else {
            "No customer selected."
        };
        return Layout {
            key,
            head: vec![Line::styled(text, muted)],
            docs: None,
            tail: Vec::new(),
            entries: Vec::new(),
            matched: None,
        };
    };
    let full = key.as_ref().is_some_and(|k| k.full);
    let width = usize::from(width);
    let mut head = Vec::new();
    let more_contacts = header(app, &data.detail, width, full, &mut head);
    let forecast = data.forecast.as_ref();
    flowed(
        prediction::risk_pieces(
            app,
            forecast,
            // Debits only: a credit note's balance is credit left, nothing to collect.
            data.detail
                .documents
                .iter()
                .any(|d| !d.kind.is_credit() && !d.balance.is_zero()),
        ),
        width,
        muted,
        &mut head,
    );
    aging(app, data, width, &mut head);
    let docs = documents(app, &data.detail, forecast, width, &mut head);
    let matched = docs.as_ref().and_then(|docs| {
        let names = named_documents(app);
        data.detail
            .documents
            .iter()
            .position(|doc| named(doc, &names))
            .map(|k| head.len() + docs.starts[k])
    });
    let mut tail = Vec::new();
    documents_after(app, &data.detail, width, &mut tail);
    payments(app, &data.detail, width, &mut tail);
    attachments(app, &data.detail, width, &mut tail);
    let before = head.len()
        + docs
            .as_ref()
            .map_or(0, |d| d.starts.last().copied().unwrap_or(0));
    let entries = activity(app, &data.detail, width, &mut tail)
        .into_iter()
        .map(|(first, last)| (before + first, before + last))
        .collect();
    if more_contacts {
        all_contacts(app, &data.detail, width, &mut tail);
    }
    Layout {
        key,
        head,
        docs,
        tail,
        entries,
        matched,
    }
}

/// The customer's attachments, newest first (`v` opens them).
fn attachments(app: &App, d: &CustomerDetail, width: usize, out: &mut Vec<Line<'static>>) {
    if d.attachments.is_empty() {
        return;
    }
    heading(
        app,
        format!("Attachments · {} · v opens them", d.attachments.len()),
        out,
    );
    let muted = app.theme.get(Role::Muted);
    for a in &d.attachments {
        let size = crate::domain::attachment::size_label(a.bytes);
        let with = a
            .payment
            .as_ref()
            .map(|p| format!(" · payment {p}"))
            .unwrap_or_default();
        let fixed = 6 + 2 + size.len() + with.len();
        out.push(Line::from(vec![
            Span::styled(format!("{:>5} ", a.id), muted),
            Span::raw(text::truncate(&a.name, width.saturating_sub(fixed))),
            Span::styled(format!("  {size}{with}"), muted),
        ]));
    }
}

/// A section's heading, a blank line above it (a heading is never the first line: the
/// customer's name is).
fn heading(app: &App, text: String, out: &mut Vec<Line<'static>>) {
    out.push(Line::default());
    out.push(Line::styled(text, app.theme.get(Role::Heading)));
}

/// Pieces joined by ` · `, flowed over lines of `width`.
fn flowed(pieces: Vec<Vec<Span<'static>>>, width: usize, sep: Style, out: &mut Vec<Line<'static>>) {
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for piece in pieces {
        let w: usize = piece.iter().map(|s| text::width(&s.content)).sum();
        if used > 0 && used + 3 + w > width {
            out.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        if used > 0 {
            line.push(Span::styled(" · ", sep));
            used += 3;
        }
        line.extend(piece);
        used += w;
    }
    if !line.is_empty() {
        out.push(Line::from(line));
    }
}

/// The most lines the customer's name takes on the detail's own screen (beside the queue it
/// takes one, cut with `…`).
pub const NAME_LINES: usize = 4;

/// The contacts the header lists before `+N more contacts` (all of them when one more would
/// be the last).
pub const HEADER_CONTACTS: usize = 3;

/// The customer's name, owners, terms, contacts: returns whether some contacts had no room
/// (they are listed at the end).
fn header(
    app: &App,
    d: &CustomerDetail,
    width: usize,
    full: bool,
    out: &mut Vec<Line<'static>>,
) -> bool {
    let h = &d.header;
    let muted = app.theme.get(Role::Muted);
    let label = app.theme.get(Role::MetricLabel);
    let field = |name: &str, value: Option<String>| -> Vec<Span<'static>> {
        vec![
            Span::styled(format!("{name} "), label),
            match value {
                Some(v) => Span::raw(v),
                None => Span::styled("—", muted),
            },
        ]
    };
    let name_style = app.theme.get(Role::MetricValue);
    let name = one_line(&h.name);
    if full {
        let mut lines = text::wrap(&name, width);
        if lines.len() > NAME_LINES {
            lines.truncate(NAME_LINES);
            let last = format!("{} …", lines[NAME_LINES - 1]);
            lines[NAME_LINES - 1] = text::truncate(&last, width);
        }
        out.extend(lines.into_iter().map(|l| Line::styled(l, name_style)));
    } else {
        out.push(Line::styled(text::truncate(&name, width), name_style));
    }
    let cur = h
        .currency
        .clone()
        .unwrap_or_else(|| app.session.base_currency.clone());
    flowed(
        vec![
            field("Email", h.email.clone()),
            field("Phone", h.phone.clone()),
        ],
        width,
        muted,
        out,
    );
    let shown = if d.contacts.len() > HEADER_CONTACTS + 1 {
        HEADER_CONTACTS
    } else {
        d.contacts.len()
    };
    contacts(app, &d.contacts[..shown], width, out);
    let more = d.contacts.len() - shown;
    if more > 0 {
        out.push(Line::styled(
            text::truncate(
                &format!(
                    "+{} more contacts, listed at the end of the detail",
                    grouped_count(more as u64)
                ),
                width,
            ),
            muted,
        ));
    }
    flowed(
        vec![
            field("Finance", h.finance_owner.clone()),
            field("Sales", h.sales_owner.clone()),
            field("Terms", h.payment_terms_days.map(|d| format!("net {d}"))),
            field(
                "Limit",
                h.credit_limit
                    .map(|l| format!("{} {cur}", grouped(l, &cur))),
            ),
            field("Currency", Some(cur.clone())),
        ],
        width,
        muted,
        out,
    );
    let mut extra = Vec::new();
    if let Some(on) = h.auto_collection {
        extra.push(field(
            "Auto-collection",
            Some(if on { "on" } else { "off" }.into()),
        ));
    }
    if let Some(s) = &h.payment_source_status {
        extra.push(field("Payment source", Some(s.clone())));
    }
    if let Some(s) = &h.subscription_status {
        extra.push(field("Subscription", Some(s.replace('_', " "))));
    }
    if !extra.is_empty() {
        flowed(extra, width, muted, out);
    }
    more > 0
}

/// The customer's contacts (`contacts.csv`), one a line (flowed on when narrow), the primary
/// billing contact first: name, role (and "primary"), email, phone. Every text is from
/// outside: kept on one line (`one_line`) and drawn through `text::put_line`, which shows
/// control characters.
fn contacts(app: &App, list: &[Contact], width: usize, out: &mut Vec<Line<'static>>) {
    let muted = app.theme.get(Role::Muted);
    let label = app.theme.get(Role::MetricLabel);
    for c in list {
        let name = c.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let role = if c.primary {
            format!("{}, primary", c.role)
        } else {
            c.role.clone()
        };
        let mut pieces = vec![vec![
            Span::styled("Contact ", label),
            match name {
                Some(n) => Span::raw(text::truncate(&one_line(n), width.saturating_sub(8))),
                None => Span::styled("—", muted),
            },
        ]];
        pieces.push(vec![Span::styled(role, muted)]);
        pieces.push(vec![Span::raw(text::truncate(&one_line(&c.email), width))]);
        if let Some(p) = c.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            pieces.push(vec![Span::raw(text::truncate(&one_line(p), width))]);
        }
        flowed(pieces, width, muted, out);
    }
}

/// Every contact, when the header had no room for them all.
fn all_contacts(app: &App, d: &CustomerDetail, width: usize, out: &mut Vec<Line<'static>>) {
    heading(
        app,
        format!("Contacts · {}", grouped_count(d.contacts.len() as u64)),
        out,
    );
    contacts(app, &d.contacts, width, out);
}

fn aging(app: &App, data: &DetailData, width: usize, out: &mut Vec<Line<'static>>) {
    let cur = app.session.base_currency.clone();
    heading(app, format!("Aging in {cur} as of {}", app.as_of), out);
    let Some(f) = &data.figures else {
        out.push(Line::styled("Nothing open.", app.theme.get(Role::Muted)));
        return;
    };
    let muted = app.theme.get(Role::Muted);
    let label = app.theme.get(Role::MetricLabel);
    // A label and an amount, muted when it is zero.
    let amount = |name: &str, v: Decimal, style: Style| {
        let style = if v.is_zero() { muted } else { style };
        vec![
            Span::styled(format!("{name} "), label),
            Span::styled(grouped(v, &cur), style),
        ]
    };
    let buckets: Vec<Vec<Span<'static>>> = app
        .session
        .bounds
        .labelled(&f.aging)
        .enumerate()
        .map(|(i, (l, v))| amount(&l, *v, app.theme.bucket(i)))
        .collect();
    flowed(buckets, width, muted, out);
    let amount = |name: &str, v: Decimal, role: Role| amount(name, v, app.theme.get(role));
    flowed(
        vec![
            amount("Outstanding", f.outstanding, Role::MetricValue),
            amount("Overdue", f.overdue, Role::Overdue),
            amount("Net overdue", f.net_overdue, Role::Overdue),
            amount("Credit", f.unutilised_credit, Role::MetricValue),
            amount("Cash", f.unapplied_cash, Role::MetricValue),
        ],
        width,
        muted,
        out,
    );
}

/// Which columns of the documents' table fit, and how wide each is.
struct DocColumns {
    number: usize,
    overdue: usize,
    open: usize,
    amount: usize,
    /// The due date, the document date and kind as columns; else on the line under each
    /// document.
    due: bool,
    dated: bool,
    kind: bool,
    currency: bool,
    with_amount: bool,
    /// The documents are not all in the base currency and the `Cur` column has no room: the
    /// open balance carries its currency (`350,000 JPY`).
    open_currency: bool,
}

/// Sizes the columns to what is shown: numbers are never cut while the other columns can
/// go instead (the document date and kind then go on the line below). A customer whose
/// documents are not all in the base currency has their currency on every row: in the
/// `Cur` column, else after the open balance.
fn doc_columns(app: &App, d: &CustomerDetail, width: usize) -> DocColumns {
    let widest = |header: &str, values: &mut dyn Iterator<Item = String>| {
        values
            .map(|v| text::width(&v))
            .fold(text::width(header), usize::max)
    };
    let number = widest(
        "Number",
        &mut d.documents.iter().map(|x| label(x).to_string()),
    );
    let overdue = widest(
        "Overdue",
        &mut d
            .documents
            .iter()
            .filter_map(|x| days_overdue(app, x).map(|n| format!("{n}d"))),
    );
    let open = widest(
        "Open",
        &mut d.documents.iter().map(|x| grouped(x.balance, &x.currency)),
    );
    let amount = widest(
        "Amount",
        &mut d
            .documents
            .iter()
            .map(|x| format!("/{}", grouped(x.amount, &x.currency))),
    );
    let c = fit_columns(number, overdue, open, amount, width, false);
    let foreign = d
        .documents
        .iter()
        .any(|x| x.currency != app.session.base_currency);
    if !foreign || c.currency {
        return c;
    }
    // The currency's code (three letters) after each balance.
    fit_columns(number, overdue, open + 4, amount, width, true)
}

/// The columns that fit `width`, in their order of precedence.
fn fit_columns(
    number: usize,
    overdue: usize,
    open: usize,
    amount: usize,
    width: usize,
    open_currency: bool,
) -> DocColumns {
    // Number, days overdue, open balance, flags; the rest as the width allows.
    let base = 1 + overdue + 1 + open + 4;
    let mut c = DocColumns {
        number: number.min(width.saturating_sub(base)).max(6),
        overdue,
        open,
        amount,
        due: false,
        dated: false,
        kind: false,
        currency: false,
        with_amount: false,
        open_currency,
    };
    let mut used = c.number + base;
    for (extra, flag) in [(11, 0), (11, 1), (5, 2), (4, 3), (amount + 1, 4)] {
        // With the currency after the balance, neither it nor the amount after it.
        if used + extra > width || (open_currency && flag >= 3) {
            break;
        }
        used += extra;
        match flag {
            0 => c.due = true,
            1 => c.dated = true,
            2 => c.kind = true,
            3 => c.currency = true,
            _ => c.with_amount = true,
        }
    }
    c
}

/// A document as the workstation names it: its number, else its id.
fn label(doc: &crate::domain::customer::DetailDocument) -> &str {
    doc.number.as_deref().unwrap_or(&doc.id)
}

/// Days past its due date of an open invoice or debit note (none when not overdue).
fn days_overdue(app: &App, doc: &crate::domain::customer::DetailDocument) -> Option<i64> {
    doc.due_date
        .filter(|_| !doc.balance.is_zero() && !doc.kind.is_credit())
        .map(|due| (app.as_of - due).num_days())
        .filter(|&n| n > 0)
}

/// A document's kind, short (`dn`) and in words (`debit note`).
fn kind_word(kind: DocumentKind) -> (&'static str, &'static str) {
    let short = match kind {
        DocumentKind::Invoice => "inv",
        DocumentKind::DebitNote => "dn",
        DocumentKind::CreditNote => "cn",
    };
    (short, kind.words())
}

/// The documents' heading and column names; returns where each document's lines fall (none
/// without documents).
fn documents(
    app: &App,
    d: &CustomerDetail,
    forecast: Option<&CustomerForecast>,
    width: usize,
    out: &mut Vec<Line<'static>>,
) -> Option<DocRows> {
    // Every open document is here; of the settled ones, the newest.
    let open = d.documents.iter().filter(|x| !x.balance.is_zero()).count();
    let (shown, total) = (d.documents.len() as u64, d.documents_total);
    let title = if shown < total {
        format!(
            "Documents · {} open · {} of {} shown",
            grouped_count(open as u64),
            grouped_count(shown),
            grouped_count(total)
        )
    } else {
        format!(
            "Documents · {} open of {}",
            grouped_count(open as u64),
            grouped_count(shown)
        )
    };
    heading(app, title, out);
    if d.documents.is_empty() {
        out.push(Line::styled("No documents.", app.theme.get(Role::Muted)));
        return None;
    }
    // The predictions by document, each found once (a customer may have thousands open).
    let by_id: HashMap<&str, usize> = forecast
        .map(|f| {
            f.documents
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.as_str(), i))
                .collect()
        })
        .unwrap_or_default();
    let c = doc_columns(app, d, width);
    // The columns' names: which date is which, and what the days count.
    let label_style = app.theme.get(Role::MetricLabel);
    let mut head = vec![Span::styled(text::fit("Number", c.number), label_style)];
    if c.kind {
        head.push(Span::styled(" Type", label_style));
    }
    if c.dated {
        head.push(Span::styled(" Dated     ", label_style));
    }
    if c.due {
        head.push(Span::styled(" Due       ", label_style));
    }
    head.push(Span::styled(
        format!(" {}", text::fit_right("Overdue", c.overdue)),
        label_style,
    ));
    head.push(Span::styled(
        format!(" {}", text::fit_right("Open", c.open)),
        label_style,
    ));
    if c.with_amount {
        head.push(Span::styled(
            format!(" {}", text::fit_right("Amount", c.amount)),
            label_style,
        ));
    }
    if c.currency {
        head.push(Span::styled(" Cur", label_style));
    }
    out.push(Line::from(head));
    let mut starts = Vec::with_capacity(d.documents.len() + 1);
    let mut predictions = Vec::with_capacity(d.documents.len());
    let mut at = 0;
    for doc in &d.documents {
        starts.push(at);
        let prediction = by_id.get(doc.id.as_str()).copied();
        predictions.push(prediction);
        let under = under(doc, &c, width);
        let expected = under.predicted && prediction.is_some();
        at += 1
            + usize::from(under.own.is_some())
            + usize::from(expected || !under.about.is_empty())
            + under.held.len();
    }
    starts.push(at);
    Some(DocRows {
        width,
        columns: c,
        starts,
        predictions,
    })
}

/// What goes under a document's row.
struct Under {
    /// What did not fit in the columns, on a line of its own (with the expected date after
    /// it, too long for the width).
    own: Option<String>,
    /// What did not fit in the columns, before the expected date (or alone).
    about: Vec<String>,
    /// The document is to be paid: its expected date is shown, when there is one.
    predicted: bool,
    /// Why it is held out of dunning (a dispute resolved valid or written off), wrapped.
    held: Vec<String>,
}

fn under(doc: &DetailDocument, c: &DocColumns, width: usize) -> Under {
    let closed = doc.balance.is_zero();
    let (_, long) = kind_word(doc.kind);
    // What did not fit in the columns goes on the line under it, with the prediction.
    // (An invoice goes without saying.)
    let kind = (!c.kind && doc.kind != DocumentKind::Invoice).then_some(long);
    let mut about: Vec<String> = match (kind, c.dated) {
        (Some(kind), false) => vec![format!("{kind} dated {}", doc.doc_date)],
        (Some(kind), true) => vec![kind.to_string()],
        (None, false) => vec![format!("dated {}", doc.doc_date)],
        (None, true) => Vec::new(),
    };
    if !c.due && !doc.kind.is_credit() {
        about.insert(0, format!("due {}", due_text(doc)));
    }
    // A settled document's dates matter less than a line each: its kind, if anything.
    if closed {
        about = kind.map(|k| vec![k.to_string()]).unwrap_or_default();
    }
    let predicted = !closed && !doc.kind.is_credit();
    // With the expected date after it, too long for the width: a line of its own.
    let lead = 4 + about.iter().map(|a| text::width(a) + 3).sum::<usize>();
    let own = (predicted && !about.is_empty() && lead + "expected 2026-01-01".len() > width)
        .then(|| std::mem::take(&mut about).join(" · "));
    let held = doc
        .held
        .as_ref()
        .map(|h| text::wrap(&h.reason(), width.saturating_sub(4).max(20)))
        .unwrap_or_default();
    Under {
        own,
        about,
        predicted,
        held,
    }
}

/// A document's due date, `—` for none (a credit note's).
fn due_text(doc: &DetailDocument) -> String {
    match doc.due_date {
        Some(due) if !doc.kind.is_credit() => due.to_string(),
        _ => "—".to_string(),
    }
}

/// A document's lines: its row, then what did not fit and its expected date.
fn document_lines(
    app: &App,
    doc: &DetailDocument,
    c: &DocColumns,
    prediction: Option<&DocumentPrediction>,
    width: usize,
    is_named: bool,
) -> Vec<Line<'static>> {
    let muted = app.theme.get(Role::Muted);
    let closed = doc.balance.is_zero();
    let base = if closed { muted } else { Style::default() };
    let (short, _) = kind_word(doc.kind);
    let days = days_overdue(app, doc);
    let days_style = days.map_or(muted, |n| app.theme.bucket(app.session.bounds.bucket(n)));
    let number_style = if is_named {
        app.theme.get(Role::Match)
    } else {
        base
    };
    let mut spans = vec![Span::styled(text::fit(label(doc), c.number), number_style)];
    if c.kind {
        spans.push(Span::styled(format!(" {}", text::fit(short, 4)), muted));
    }
    if c.dated {
        spans.push(Span::styled(format!(" {}", doc.doc_date), base));
    }
    if c.due {
        spans.push(Span::styled(
            format!(" {}", text::fit(&due_text(doc), 10)),
            base,
        ));
    }
    spans.push(Span::styled(
        format!(
            " {}",
            text::fit_right(&days.map_or("—".into(), |n| format!("{n}d")), c.overdue)
        ),
        days_style,
    ));
    let mut open = grouped(doc.balance, &doc.currency);
    if c.open_currency {
        open = format!("{open} {}", text::fit(&doc.currency, 3));
    }
    spans.push(Span::styled(
        format!(" {}", text::fit_right(&open, c.open)),
        if closed {
            muted
        } else if days.is_some() {
            app.theme.get(Role::Overdue)
        } else {
            base
        },
    ));
    if c.with_amount {
        spans.push(Span::styled(
            format!(
                " {}",
                text::fit_right(
                    &format!("/{}", grouped(doc.amount, &doc.currency)),
                    c.amount
                )
            ),
            muted,
        ));
    }
    if c.currency {
        spans.push(Span::styled(
            format!(" {}", text::fit(&doc.currency, 3)),
            muted,
        ));
    }
    spans.push(Span::raw(" "));
    let flags = [
        (doc.disputed, "D", Role::FlagDisputed),
        (doc.held.is_some(), "H", Role::FlagDisputed),
        (doc.promised, "P", Role::FlagPromised),
        (doc.mismatch, "M", Role::FlagMismatch),
    ];
    for (on, flag, role) in flags {
        if on {
            spans.push(Span::styled(flag, app.theme.get(role)));
        }
    }
    let mut out = vec![Line::from(spans)];
    let under = under(doc, c, width);
    for (i, line) in under.held.iter().enumerate() {
        let lead = if i == 0 { "  ↳ " } else { "    " };
        out.push(Line::styled(format!("{lead}{line}"), muted));
    }
    if let Some(own) = under.own {
        out.push(Line::styled(format!("  ↳ {own}"), muted));
    }
    match prediction.filter(|_| under.predicted) {
        Some(p) => out.push(prediction::expected_line(app, p, width, &under.about)),
        None if !under.about.is_empty() => {
            out.push(Line::styled(
                format!("  ↳ {}", under.about.join(" · ")),
                muted,
            ));
        }
        None => {}
    }
    out
}

/// What follows the documents' rows: the flags' legend and how many were left out.
fn documents_after(app: &App, d: &CustomerDetail, width: usize, out: &mut Vec<Line<'static>>) {
    let muted = app.theme.get(Role::Muted);
    let flagged = d
        .documents
        .iter()
        .any(|x| x.disputed || x.promised || x.mismatch);
    let held = d.documents.iter().any(|x| x.held.is_some());
    if flagged || held {
        if held {
            let legend =
                "D disputed · H held after a dispute · P promised · M billing balance differs";
            left_out(legend, width, muted, out);
        } else {
            out.push(Line::styled(
                "D disputed · P promised · M billing balance differs",
                muted,
            ));
        }
    }
    let (shown, total) = (d.documents.len() as u64, d.documents_total);
    if shown < total {
        let left = grouped_count(total - shown);
        left_out(
            &format!("… {left} older settled documents not shown"),
            width,
            muted,
            out,
        );
    }
}

/// A muted line saying what the detail left out, wrapped at `width`.
fn left_out(sentence: &str, width: usize, muted: Style, out: &mut Vec<Line<'static>>) {
    for line in text::wrap(sentence, width) {
        out.push(Line::styled(line, muted));
    }
}

fn payments(app: &App, d: &CustomerDetail, width: usize, out: &mut Vec<Line<'static>>) {
    let last = d.last_paid.map_or("never".to_string(), |p| p.to_string());
    let (shown, total) = (d.payments.len() as u64, d.payments_total);
    let mut title = format!("Payments · last paid {last}");
    if shown < total {
        title.push_str(&format!(
            " · {} of {} shown",
            grouped_count(shown),
            grouped_count(total)
        ));
    }
    heading(app, title, out);
    let muted = app.theme.get(Role::Muted);
    if d.payments.is_empty() {
        out.push(Line::styled("No payments.", muted));
        return;
    }
    for p in &d.payments {
        let failed = p.status != "success";
        let status_style = if failed {
            app.theme.get(Role::Error)
        } else {
            muted
        };
        let mut status = if failed {
            p.status.clone()
        } else {
            String::new()
        };
        if let Some(reason) = &p.failure_reason {
            status.push_str(&format!(": {reason}"));
        }
        let method = p.method.as_deref().unwrap_or("").replace('_', " ");
        let fixed = 10 + 1 + 12 + 4 + 1 + 13 + 1;
        let rest = width.saturating_sub(fixed);
        out.push(Line::from(vec![
            Span::raw(p.date.to_string()),
            Span::raw(" "),
            Span::raw(text::fit_right(&grouped(p.amount, &p.currency), 12)),
            Span::styled(format!(" {}", text::fit(&p.currency, 3)), muted),
            Span::raw(" "),
            Span::styled(text::fit(&method, 13), muted),
            Span::raw(" "),
            Span::styled(
                text::truncate(status.trim_start_matches(": "), rest),
                status_style,
            ),
        ]));
    }
    if shown < total {
        let left = grouped_count(total - shown);
        let sentence = format!(
            "… {left} older payments not shown: {}",
            crate::error::command("export payments")
        );
        left_out(&sentence, width, muted, out);
    }
}

/// The most lines one timeline entry takes: a note pasted from a long email, or a reply of
/// many pages, is cut there (`owed activity` prints it whole), so the detail stays quick to
/// lay out and the entries after it stay near.
pub const ENTRY_LINES: usize = 40;

/// An entry's text wrapped at `width`, at most [`ENTRY_LINES`] lines, the last saying how
/// much was left out. Only the start of a long text is wrapped.
fn entry_text(text: &str, width: usize) -> Vec<String> {
    let budget = width.max(1) * (ENTRY_LINES + 1);
    let head = crate::domain::text::first_chars(text, budget);
    let mut lines = text::wrap(head, width);
    if lines.len() <= ENTRY_LINES && head.len() == text.len() {
        return lines;
    }
    lines.truncate(ENTRY_LINES - 1);
    lines.push(format!(
        "… cut here, of {} of text (owed activity prints it whole)",
        crate::domain::attachment::size_label(text.len() as u64)
    ));
    lines
}

/// The timeline; returns the first and last line of each entry.
fn activity(
    app: &App,
    d: &CustomerDetail,
    width: usize,
    out: &mut Vec<Line<'static>>,
) -> Vec<(usize, usize)> {
    // The newest entries, then the older ones still open; `owed activity` has the rest.
    let (shown, total) = (d.activity.len() as u64, d.activity_total);
    let title = if shown < total {
        format!(
            "Activity · {} of {} shown",
            grouped_count(shown),
            grouped_count(total)
        )
    } else {
        "Activity".to_string()
    };
    heading(app, title, out);
    let muted = app.theme.get(Role::Muted);
    if d.activity.is_empty() {
        out.push(Line::styled("No activity yet.", muted));
        return Vec::new();
    }
    let line_no = |out: &Vec<Line<'static>>| out.len();
    let mut entries = Vec::with_capacity(d.activity.len());
    // Wide: the text beside date, kind and who; narrow: on the lines below, indented.
    let inline = width >= 70;
    let lead = if inline { 10 + 1 + 9 + 1 + 8 + 1 } else { 2 };
    let text_w = width.saturating_sub(lead).max(10);
    for e in &d.activity {
        let role = match e.kind {
            ActivityKind::Promise => Role::FlagPromised,
            ActivityKind::Issue | ActivityKind::IssueReopened => Role::FlagDisputed,
            ActivityKind::FollowUp => Role::FlagFollowUp,
            ActivityKind::Reminder | ActivityKind::Reply => Role::Heading,
            ActivityKind::UnverifiedReply => Role::MetricAlert,
            _ => Role::MetricLabel,
        };
        let mut first = vec![
            Span::raw(e.date.to_string()),
            Span::raw(" "),
            Span::styled(text::fit(e.kind.label(), 9), app.theme.get(role)),
            Span::raw(" "),
            Span::styled(text::fit(&e.who, 8), muted),
        ];
        let words = searched_words(app, e.kind, &e.text);
        // The record's number, as the commands and the timeline's forms take it.
        let shown = match e.record {
            Some(r) if !matches!(r, crate::domain::customer::EntryRecord::Note(_)) => {
                format!("#{} {}", r.id(), e.text)
            }
            _ => e.text.clone(),
        };
        let mut wrapped = entry_text(&shown, text_w).into_iter();
        if inline {
            first.push(Span::raw(" "));
            let piece = wrapped.next().unwrap_or_default();
            first.extend(marked_spans(app, piece, &words, Style::default()));
        }
        let start = line_no(out);
        out.push(Line::from(first));
        for piece in wrapped {
            let mut line = vec![Span::raw(" ".repeat(lead))];
            line.extend(marked_spans(app, piece, &words, Style::default()));
            out.push(Line::from(line));
        }
        entries.push((start, line_no(out).saturating_sub(1)));
    }
    if shown < total {
        let sentence = format!(
            "… {} older entries not shown (every open issue, promise and follow-up is): {}",
            grouped_count(total - shown),
            crate::error::command(&format!(
                "activity {}",
                crate::error::shell_word(&d.header.id)
            ))
        );
        left_out(&sentence, width, muted, out);
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::{ENTRY_LINES, entry_text};

    #[test]
    fn a_long_entry_is_cut_at_its_line_budget_and_says_so() {
        // Short texts are wrapped whole.
        assert_eq!(
            entry_text("Called AP: paying Friday", 40),
            ["Called AP: paying Friday"]
        );
        // Words of 39 letters take a line each at 40 columns: forty of them are shown whole.
        let word = "x".repeat(39);
        let exact = vec![word.as_str(); ENTRY_LINES].join(" ");
        let lines = entry_text(&exact, 40);
        assert_eq!(lines.len(), ENTRY_LINES);
        assert!(lines.iter().all(|l| *l == word));
        // Six megabytes of words: forty lines, the last one saying it is cut, how much
        // there is, and where it reads whole.
        let long = "invoice approval ".repeat(370_000);
        let lines = entry_text(&long, 60);
        assert_eq!(lines.len(), ENTRY_LINES);
        assert!(
            lines[..ENTRY_LINES - 1]
                .iter()
                .all(|l| l.starts_with("invoice") || l.starts_with("approval"))
        );
        assert_eq!(
            lines[ENTRY_LINES - 1],
            "… cut here, of 6.0 MB of text (owed activity prints it whole)"
        );
        // One line more is cut the same way.
        let over = vec![word.as_str(); ENTRY_LINES + 1].join(" ");
        let lines = entry_text(&over, 40);
        assert_eq!(lines.len(), ENTRY_LINES);
        assert!(
            lines[ENTRY_LINES - 1].starts_with("… cut here, of 1.6 KB"),
            "{lines:?}"
        );
    }
}
