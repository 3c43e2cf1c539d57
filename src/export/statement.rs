//! The statement of account of one customer as of a date (`owed statement CUSTOMER -o
//! FILE.pdf`, `owed export statement --customer ID`): its open items, credit notes with
//! credit left and payments not yet applied, their totals and aging per currency, and how to
//! pay — a document the customer can be sent.
//!
//! [`statement_pdf`] is the one entry point for a PDF: engagement attaches the same file to
//! reminders. Everything printed that comes from outside (names, numbers, the config's texts)
//! goes through [`super::pdf::clean`], and a text (a name, a reference) is cut to its column,
//! so a hostile value cannot reorder or overprint the page. A figure, a date or a bucket label
//! is never cut: the tables' columns are sized to what they hold ([`place`]).

use super::pdf::{PAGE_WIDTH, Pdf, Style};
use crate::config::Config;
use crate::domain::aging::AgingBounds;
use crate::domain::money::grouped;
use crate::domain::statement::{CurrencyTotals, LineKind, StatementLine, totals};
use crate::domain::{Date, Decimal};
use crate::store::Store;
use crate::{Error, Result};

/// What a statement prints besides the figures, from the config's `[statement]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatementSettings {
    /// Who the statement is from.
    pub company: Option<String>,
    /// Lines under the company's name.
    pub address: Option<String>,
    /// How to pay.
    pub remittance: Option<String>,
    pub bounds: AgingBounds,
}

impl StatementSettings {
    /// The settings of a config (its `[statement]` and aging bounds).
    pub fn from_config(config: &Config) -> Result<StatementSettings> {
        Ok(StatementSettings {
            company: config.statement.company.clone(),
            address: config.statement.address.clone(),
            remittance: config.statement.remittance.clone(),
            bounds: config.aging().map_err(Error::input)?,
        })
    }
}

/// A customer's statement as of a date.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub customer_id: String,
    pub name: String,
    pub email: Option<String>,
    pub as_of: Date,
    /// The aging buckets' labels (`current`, `1-30`, …).
    pub labels: Vec<String>,
    /// Debits (oldest due first), credit notes, then payments not applied.
    pub lines: Vec<StatementLine>,
    /// One per currency of the lines, alphabetical.
    pub totals: Vec<CurrencyTotals>,
    /// What was paid after `as_of` is taken off the lines (the statement a reminder of that
    /// date sent later carries), and something was.
    pub less_paid_since: bool,
}

impl Statement {
    /// Reads the statement of the customer whose id is `customer` as of `as_of`; an unknown
    /// customer is bad input.
    pub fn read(
        store: &Store,
        customer: &str,
        as_of: Date,
        bounds: &AgingBounds,
    ) -> Result<Statement> {
        let cid = store
            .ledger()
            .customer_key(customer)?
            .ok_or_else(|| Error::no_customer(customer))?;
        Statement::of(store, cid, as_of, bounds)
    }

    /// Reads the statement of the customer whose key is `cid` as of `as_of`.
    pub fn of(store: &Store, cid: i64, as_of: Date, bounds: &AgingBounds) -> Result<Statement> {
        let header = store
            .ledger()
            .customer_header(cid)?
            .ok_or_else(|| Error::input(format!("no customer has the key {cid}")))?;
        let lines = store.ledger().statement_lines(cid, as_of)?;
        Ok(Statement {
            customer_id: header.id,
            name: header.name,
            email: header.email,
            as_of,
            labels: bounds.labels(),
            totals: totals(&lines, as_of, bounds),
            lines,
            less_paid_since: false,
        })
    }

    /// The statement of the customer whose key is `cid` that a reminder of `as_of` sent now
    /// carries: as of that date, less what the ledger shows paid since, as the reminder's own
    /// documents and balances are (a back-dated run never chases what was paid since, and its
    /// attachment does not list it as open either).
    pub fn sent_now(
        store: &Store,
        cid: i64,
        as_of: Date,
        bounds: &AgingBounds,
    ) -> Result<Statement> {
        let mut statement = Statement::of(store, cid, as_of, bounds)?;
        let lines = store.ledger().statement_lines_paid_since(cid, as_of)?;
        if lines != statement.lines {
            statement.totals = totals(&lines, as_of, bounds);
            statement.lines = lines;
            statement.less_paid_since = true;
        }
        Ok(statement)
    }

    /// The lines of one kind.
    pub fn lines_of(&self, kind: LineKind) -> impl Iterator<Item = &StatementLine> {
        self.lines.iter().filter(move |l| l.kind == kind)
    }
}

/// The statement of account of the customer whose id is `customer`, as of `as_of`, as a PDF,
/// with the warning of what it could not print ([`unprinted_warning`]), if any.
pub fn statement_pdf(
    store: &Store,
    customer: &str,
    as_of: Date,
    settings: &StatementSettings,
) -> Result<(Vec<u8>, Option<String>)> {
    let statement = Statement::read(store, customer, as_of, &settings.bounds)?;
    let (pdf, unprinted) = render(&statement, settings)?;
    Ok((pdf, unprinted_warning(&statement.customer_id, &unprinted)))
}

/// The warning that the statement of `customer_id` prints `chars` as empty boxes, none when
/// it prints everything: the characters by script (the first few of each), and the scripts
/// its fonts print. "the statement of K1 prints 5 characters as empty boxes, which its fonts
/// do not have: Thai (บ ร ิ ษ ั …), emoji (🍣); it prints Latin, Greek, Cyrillic, Chinese,
/// Japanese and Korean (README, \"Statement of account\")".
pub fn unprinted_warning(customer_id: &str, chars: &[char]) -> Option<String> {
    const SHOWN: usize = 5;
    if chars.is_empty() {
        return None;
    }
    let mut scripts: Vec<(&str, Vec<char>)> = Vec::new();
    for &c in chars {
        let script = crate::export::pdf::script_name(c);
        match scripts.iter_mut().find(|(s, _)| *s == script) {
            Some((_, cs)) => cs.push(c),
            None => scripts.push((script, vec![c])),
        }
    }
    let named: Vec<String> = scripts
        .iter()
        .map(|(script, cs)| {
            let mut shown: Vec<String> = cs
                .iter()
                .take(SHOWN)
                .map(|&c| {
                    // A mark alone, or what a terminal would not show, by its code.
                    if unicode_normalization::char::is_combining_mark(c)
                        || crate::domain::text::visible(&c.to_string()) != c.to_string()
                    {
                        format!("U+{:04X}", c as u32)
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            if cs.len() > SHOWN {
                shown.push("…".into());
            }
            format!("{script} ({})", shown.join(" "))
        })
        .collect();
    Some(format!(
        "the statement of {} prints {} character(s) as empty boxes, which its fonts do not \
         have: {}; it prints Latin, Greek, Cyrillic, Chinese, Japanese and Korean (README, \
         \"Statement of account\")",
        crate::domain::text::one_line(customer_id),
        chars.len(),
        named.join(", ")
    ))
}

const LEFT: f64 = 50.0;
const RIGHT: f64 = PAGE_WIDTH - 50.0;
const TOP: f64 = 56.0;
/// The lowest baseline of the body; the footer is below.
const BOTTOM: f64 = 780.0;
const ROW: f64 = 14.0;
const BODY: Style = Style::regular(9.0);
const HEAD: Style = Style::bold(9.0);
const SMALL: Style = Style::regular(8.0).grey();

/// How a column's text sits.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
}

/// A column of a table: its title, where it would start and how wide it would be on a page
/// of small figures, how it aligns, and whether its text may be cut with `…` (a document's
/// reference; never a figure, a date or a label).
struct Col {
    title: String,
    x: f64,
    width: f64,
    align: Align,
    cut: bool,
}

fn col(title: &str, x: f64, width: f64, align: Align) -> Col {
    Col {
        title: title.to_string(),
        x,
        width,
        align,
        cut: false,
    }
}

/// The first column of a table, holding references: cut with `…` rather than the figures.
fn cut_col(title: &str, width: f64) -> Col {
    Col {
        cut: true,
        ..col(title, LEFT, width, Align::Left)
    }
}

/// The room between two columns.
const GAP: f64 = 4.0;
/// The narrowest a column of references gets before the whole table is drawn smaller.
const MIN_CUT: f64 = 48.0;
/// The distance between the lines of a header that wraps.
const HEAD_LINE: f64 = 10.0;

/// A table's columns on the page: where each starts and how wide it is, its title in lines,
/// and the styles of the header and the rows.
struct Placed {
    spans: Vec<(f64, f64)>,
    titles: Vec<Vec<String>>,
    head: Style,
    body: Style,
    /// The header's height beyond one row.
    extra: f64,
}

/// Places `cols` across the page for `rows`. A figure, a date or a label is never cut: each
/// column is at least as wide as its widest cell and the widest word of its title (a title
/// wider than that wraps at its spaces). Columns keep their places where they have room;
/// one whose text is wider takes the room it needs from its left, down to the column of
/// references (cut, but not below [`MIN_CUT`]); and when even that does not make room (the
/// largest amounts, many aging buckets), the whole table is drawn in a smaller font.
fn place(pdf: &Pdf, cols: &[Col], rows: &[Vec<String>]) -> Placed {
    // The widest cell of each column and its title: whole, or (`wrap`) its widest word.
    let natural = |wrap: bool| -> Vec<f64> {
        cols.iter()
            .enumerate()
            .map(|(i, c)| {
                if c.cut {
                    return MIN_CUT.min(c.width);
                }
                let title = if wrap {
                    c.title
                        .split(' ')
                        .map(|w| pdf.width(w, HEAD))
                        .fold(0.0, f64::max)
                } else {
                    pdf.width(&c.title, HEAD)
                };
                let widest = rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|t| pdf.width(t, BODY))
                    .fold(title, f64::max);
                // A hair more: a figure measured to its column's width is drawn within it.
                widest + 0.5
            })
            .collect()
    };
    // Right to left, each column where it would be unless the one to its right needs room;
    // `None` when the first ones are then left without the room they need.
    let kept = |natural: &[f64]| -> Option<Vec<(f64, f64)>> {
        let mut spans = vec![(0.0, 0.0); cols.len()];
        let mut next = RIGHT + GAP;
        for (i, c) in cols.iter().enumerate().rev() {
            let right = (c.x + c.width).min(next - GAP);
            let x = if c.cut {
                c.x
            } else {
                c.x.min(right - natural[i])
            };
            if x < LEFT - 0.01 || right - x < natural[i] - 0.01 {
                return None;
            }
            spans[i] = (x, right - x);
            next = x;
        }
        Some(spans)
    };
    let narrowest = natural(true);
    let placed = kept(&natural(false)).or_else(|| kept(&narrowest));
    let (spans, head, body, scale) = match placed {
        Some(spans) => (spans, HEAD, BODY, 1.0),
        None => {
            // Side by side at their narrowest, in a font as much smaller as that is too wide;
            // room to spare goes to the references, else to every column alike.
            let needed = narrowest.iter().sum::<f64>() + GAP * (cols.len() - 1) as f64;
            let scale = ((RIGHT - LEFT) / needed).min(1.0);
            let spare = (RIGHT - LEFT - needed * scale).max(0.0);
            let cut = cols.iter().filter(|c| c.cut).count();
            let mut x = LEFT;
            let spans = cols
                .iter()
                .zip(&narrowest)
                .map(|(c, n)| {
                    let more = match (cut, c.cut) {
                        (0, _) => spare / cols.len() as f64,
                        (_, true) => spare / cut as f64,
                        (_, false) => 0.0,
                    };
                    let span = (x, n * scale + more);
                    x += span.1 + GAP * scale;
                    span
                })
                .collect();
            let (head, body) = (
                Style::bold(HEAD.size * scale),
                Style::regular(BODY.size * scale),
            );
            (spans, head, body, scale)
        }
    };
    let titles: Vec<Vec<String>> = cols
        .iter()
        .zip(&spans)
        .map(|(c, &(_, w))| pdf.wrap(&c.title, head, w))
        .collect();
    let lines = titles.iter().map(Vec::len).max().unwrap_or(1).max(1);
    Placed {
        spans,
        titles,
        head,
        body,
        extra: (lines - 1) as f64 * HEAD_LINE * scale,
    }
}

/// The page being filled and where the next line goes.
struct Layout {
    pdf: Pdf,
    y: f64,
}

impl Layout {
    /// Room for `lines` more rows on this page, else a new page.
    fn need(&mut self, lines: f64) {
        if self.y + lines * ROW > BOTTOM {
            self.pdf.add_page();
            self.y = TOP;
        }
    }

    fn header_row(&mut self, cols: &[Col], placed: &Placed) {
        self.pdf
            .fill(LEFT, self.y - 10.0, RIGHT - LEFT, ROW + placed.extra, 0.92);
        for (i, c) in cols.iter().enumerate() {
            let mut y = self.y;
            for line in &placed.titles[i] {
                self.cell(c, placed.spans[i], y, placed.head, line);
                y += HEAD_LINE * placed.head.size / HEAD.size;
            }
        }
        self.y += ROW + placed.extra;
    }

    fn cell(&mut self, c: &Col, (x, width): (f64, f64), y: f64, style: Style, text: &str) {
        let text = if c.cut {
            self.pdf.fit(text, style, width)
        } else {
            super::pdf::clean(text)
        };
        match c.align {
            Align::Left => self.pdf.text(x, y, style, &text),
            Align::Right => self.pdf.text_right(x + width, y, style, &text),
        }
    }

    /// A titled table; its header is drawn again on each page it runs onto.
    fn table(&mut self, title: &str, cols: &[Col], rows: &[Vec<String>]) {
        if rows.is_empty() {
            return;
        }
        let placed = place(&self.pdf, cols, rows);
        self.y += 8.0;
        self.need(3.0 + placed.extra / ROW);
        self.pdf.text(LEFT, self.y, Style::bold(11.0), title);
        self.y += ROW + 2.0;
        self.header_row(cols, &placed);
        for row in rows {
            if self.y > BOTTOM {
                self.need(2.0 + placed.extra / ROW);
                self.header_row(cols, &placed);
            }
            for (i, (c, text)) in cols.iter().zip(row).enumerate() {
                self.cell(c, placed.spans[i], self.y, placed.body, text);
            }
            self.pdf
                .line((LEFT, self.y + 4.0), (RIGHT, self.y + 4.0), 0.3, 0.85);
            self.y += ROW;
        }
    }
}

/// At most `max` of the lines `text` wraps into at `width`; when there are more, the last
/// one shown ends in `…`, so that a cut name, address or remittance text does not read as the
/// whole of it.
fn wrapped(pdf: &Pdf, text: &str, style: Style, width: f64, max: usize) -> Vec<String> {
    let mut lines = pdf.wrap(text, style, width);
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            // `fit` cuts the line and its mark together when both do not fit.
            *last = pdf.fit(&format!("{}…", last.trim_end()), style, width);
        }
    }
    lines
}

/// How a document type reads on a statement.
fn type_label(doc_type: &str) -> &str {
    match doc_type {
        "invoice" => "Invoice",
        "debit_note" => "Debit note",
        "credit_note" => "Credit note",
        "payment" => "Payment",
        other => other,
    }
}

/// A bucket label as a customer reads it.
fn bucket_label(label: &str) -> String {
    if label == "current" {
        "Not yet due".into()
    } else {
        format!("{label} days")
    }
}

/// The columns of the open items: reference, type, date, due date, days late, currency,
/// amount and open balance.
fn debit_cols() -> [Col; 8] {
    [
        cut_col("Document", 112.0),
        col("Type", 166.0, 52.0, Align::Left),
        col("Date", 222.0, 54.0, Align::Left),
        col("Due", 280.0, 54.0, Align::Left),
        col("Days late", 338.0, 44.0, Align::Right),
        col("", 386.0, 20.0, Align::Left),
        col("Amount", 410.0, 62.0, Align::Right),
        col("Open", 476.0, RIGHT - 476.0, Align::Right),
    ]
}

/// The columns of the credit notes and the payments not applied (`what`, and what is `left`
/// of each), the figures under those of the open items.
fn other_cols(what: &str, left: &str) -> [Col; 5] {
    [
        cut_col(what, 168.0),
        col("Date", 222.0, 54.0, Align::Left),
        col("", 386.0, 20.0, Align::Left),
        col("Amount", 410.0, 62.0, Align::Right),
        col(left, 476.0, RIGHT - 476.0, Align::Right),
    ]
}

/// The columns of the aging: the currency, then one per title (the buckets' and the total),
/// sharing the width of the page while their figures are small.
fn aging_cols(titles: &[String]) -> Vec<Col> {
    let first = LEFT + 40.0;
    let width = (RIGHT - first) / titles.len() as f64;
    std::iter::once(col("", LEFT, 40.0, Align::Left))
        .chain(
            titles
                .iter()
                .enumerate()
                .map(|(i, t)| col(t, first + width * i as f64 + GAP, width - GAP, Align::Right)),
        )
        .collect()
}

/// The smallest a table's font gets, as a share of the usual 9 points.
const MIN_SCALE: f64 = 6.0 / 9.0;

/// The aging's columns (`titles`: the buckets' and the total) and `rows` (the currency, then a
/// figure per title) in as few bands, one under the other, as keep its font at
/// [`MIN_SCALE`] or larger: one band unless many buckets hold very large figures.
fn aging_bands(
    pdf: &Pdf,
    titles: &[String],
    rows: &[Vec<String>],
) -> Vec<(Vec<Col>, Vec<Vec<String>>)> {
    let band = |from: usize, to: usize| {
        let rows = rows
            .iter()
            .map(|r| std::iter::once(r[0].clone()).chain(r[from + 1..=to].iter().cloned()))
            .map(Iterator::collect)
            .collect();
        (aging_cols(&titles[from..to]), rows)
    };
    let n = titles.len();
    for parts in 1..=n {
        let size = n.div_ceil(parts);
        let bands: Vec<_> = (0..n)
            .step_by(size)
            .map(|from| band(from, (from + size).min(n)))
            .collect();
        let readable = |(cols, rows): &(Vec<Col>, Vec<Vec<String>>)| {
            place(pdf, cols, rows).body.size >= BODY.size * MIN_SCALE - 0.001
        };
        if size == 1 || bands.iter().all(readable) {
            return bands;
        }
    }
    vec![band(0, n)]
}

/// The statement of account of the customer whose key is `cid` that a reminder of `as_of`
/// sent now carries ([`Statement::sent_now`]: less what was paid since).
pub fn statement_pdf_of(
    store: &Store,
    cid: i64,
    as_of: Date,
    settings: &StatementSettings,
) -> Result<Vec<u8>> {
    render_pdf(
        &Statement::sent_now(store, cid, as_of, &settings.bounds)?,
        settings,
    )
}

/// Lays out a statement as a PDF.
pub fn render_pdf(s: &Statement, settings: &StatementSettings) -> Result<Vec<u8>> {
    render(s, settings).map(|(pdf, _)| pdf)
}

/// [`render_pdf`], with the characters it printed as empty boxes ([`Pdf::unprinted`]).
pub fn render(s: &Statement, settings: &StatementSettings) -> Result<(Vec<u8>, Vec<char>)> {
    let title = format!("Statement of account {} {}", s.customer_id, s.as_of);
    let mut l = Layout {
        pdf: Pdf::new(&title)?,
        y: TOP,
    };
    // Who from (left) and what (right).
    l.y = TOP + 10.0;
    l.pdf
        .text_right(RIGHT, l.y, Style::bold(16.0), "Statement of account");
    let as_of = if s.less_paid_since {
        format!("as of {}, less what was paid since", s.as_of)
    } else {
        format!("as of {}", s.as_of)
    };
    l.pdf
        .text_right(RIGHT, l.y + 16.0, Style::regular(10.0), &as_of);
    let mut left_y = l.y;
    if let Some(company) = settings.company.as_deref().filter(|c| !c.trim().is_empty()) {
        let line = l.pdf.fit(company, Style::bold(13.0), 260.0);
        l.pdf.text(LEFT, left_y, Style::bold(13.0), &line);
        left_y += 14.0;
    }
    if let Some(address) = settings.address.as_deref() {
        for line in wrapped(&l.pdf, address, SMALL, 260.0, 6) {
            l.pdf.text(LEFT, left_y, SMALL, &line);
            left_y += 10.0;
        }
    }
    l.y = left_y.max(l.y + 16.0) + 30.0;

    // To whom (left), the totals (right).
    let top = l.y;
    l.pdf.text(LEFT, l.y, SMALL, "Statement for");
    l.y += 15.0;
    let name_style = Style::bold(12.0);
    for line in wrapped(&l.pdf, &s.name, name_style, 250.0, 3) {
        l.pdf.text(LEFT, l.y, name_style, &line);
        l.y += 15.0;
    }
    let id = l
        .pdf
        .fit(&format!("Customer {}", s.customer_id), BODY, 250.0);
    l.pdf.text(LEFT, l.y, BODY, &id);
    l.y += 12.0;
    if let Some(email) = s.email.as_deref().filter(|e| !e.trim().is_empty()) {
        let email = l.pdf.fit(email, BODY, 250.0);
        l.pdf.text(LEFT, l.y, BODY, &email);
        l.y += 12.0;
    }
    let mut right_y = top;
    let blocks: Vec<Vec<(&str, String, bool)>> = s
        .totals
        .iter()
        .map(|t| {
            let rows = [
                ("Open items", t.open, false),
                ("of which overdue", t.overdue, false),
                ("Credit notes", -t.credit, false),
                ("Payments not applied", -t.cash, false),
                ("Balance due", t.balance_due(), true),
            ];
            rows.into_iter()
                .filter(|&(label, value, strong)| {
                    !value.is_zero() || strong || label == "Open items"
                })
                .map(|(label, value, strong)| {
                    let text = format!("{} {}", t.currency, grouped(value, &t.currency));
                    (label, text, strong)
                })
                .collect()
        })
        .collect();
    // The totals sit right of the customer's name (250 points wide) and are never cut: the
    // widest label and figure move left as far as the name allows, then get a smaller font.
    let widest = |f: &dyn Fn(&(&str, String, bool)) -> f64| {
        blocks.iter().flatten().map(f).fold(0.0, f64::max)
    };
    let needed = widest(&|r| l.pdf.width(r.0, HEAD)) + 10.0 + widest(&|r| l.pdf.width(&r.1, HEAD));
    let room = RIGHT - (LEFT + 260.0);
    let label_x = (RIGHT - needed).clamp(LEFT + 260.0, 330.0);
    let scale = (room / needed).min(1.0);
    let (body, head) = (
        Style::regular(BODY.size * scale),
        Style::bold(HEAD.size * scale),
    );
    for rows in blocks {
        // A currency's rows stay together; those that would run into the footer go on a new
        // page, as a table's rows do (a customer may owe in many currencies).
        if right_y + (rows.len() - 1) as f64 * ROW > BOTTOM {
            l.pdf.add_page();
            right_y = TOP;
            // The left column stayed on the page before.
            l.y = TOP;
        }
        for (label, value, strong) in rows {
            let style = if strong { head } else { body };
            if strong {
                l.pdf
                    .line((label_x, right_y - 9.0), (RIGHT, right_y - 9.0), 0.6, 0.3);
            }
            l.pdf.text(label_x, right_y, style, label);
            l.pdf.text_right(RIGHT, right_y, style, &value);
            right_y += ROW;
        }
        right_y += 6.0;
    }
    l.y = l.y.max(right_y) + 6.0;
    if s.lines.is_empty() {
        l.pdf.text(
            LEFT,
            l.y + 10.0,
            Style::regular(10.0),
            &format!("Nothing is open on this account as of {}.", s.as_of),
        );
        l.y += 24.0;
    }

    // Aging: one row per currency.
    if s.totals.iter().any(|t| !t.open.is_zero()) {
        let titles: Vec<String> = s
            .labels
            .iter()
            .map(|l| bucket_label(l))
            .chain(std::iter::once("Total".to_string()))
            .collect();
        let rows: Vec<Vec<String>> = s
            .totals
            .iter()
            .filter(|t| !t.open.is_zero())
            .map(|t| {
                let values = t.aging.iter().copied().chain(std::iter::once(t.open));
                std::iter::once(t.currency.clone())
                    .chain(values.map(|v| grouped(v, &t.currency)))
                    .collect()
            })
            .collect();
        for (i, (cols, rows)) in aging_bands(&l.pdf, &titles, &rows).iter().enumerate() {
            let title = if i == 0 { "Aging" } else { "Aging, continued" };
            l.table(title, cols, rows);
        }
    }

    let money = |v: Decimal, cur: &str| grouped(v, cur);
    let debits: Vec<Vec<String>> = s
        .lines_of(LineKind::Debit)
        .map(|d| {
            vec![
                d.reference().to_string(),
                type_label(&d.doc_type).to_string(),
                d.date.to_string(),
                d.due_date.map(|x| x.to_string()).unwrap_or_default(),
                d.days_overdue(s.as_of)
                    .filter(|&n| n > 0)
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                d.currency.clone(),
                money(d.amount, &d.currency),
                money(d.open, &d.currency),
            ]
        })
        .collect();
    l.table("Open items", &debit_cols(), &debits);
    let others = |kind: LineKind| -> Vec<Vec<String>> {
        s.lines_of(kind)
            .map(|c| {
                vec![
                    c.reference().to_string(),
                    c.date.to_string(),
                    c.currency.clone(),
                    money(c.amount, &c.currency),
                    money(c.open, &c.currency),
                ]
            })
            .collect()
    };
    l.table(
        "Credit notes",
        &other_cols("Credit note", "Credit left"),
        &others(LineKind::Credit),
    );
    l.table(
        "Payments not yet applied",
        &other_cols("Payment", "Not applied"),
        &others(LineKind::Cash),
    );

    if let Some(text) = settings
        .remittance
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        let lines = wrapped(&l.pdf, text, BODY, RIGHT - LEFT, 40);
        l.y += 12.0;
        l.need(2.0);
        l.pdf.text(LEFT, l.y, Style::bold(11.0), "How to pay");
        l.y += ROW + 2.0;
        for line in &lines {
            l.need(1.0);
            l.pdf.text(LEFT, l.y, BODY, line);
            l.y += 12.0;
        }
    }

    // The footer of every page, now that their number is known.
    let pages = l.pdf.page_count();
    let footer = format!("{} · {} · as of {}", s.name, s.customer_id, s.as_of);
    for i in 0..pages {
        l.pdf.select_page(i);
        let y = BOTTOM + 30.0;
        l.pdf.line((LEFT, y - 11.0), (RIGHT, y - 11.0), 0.3, 0.6);
        let text = l.pdf.fit(&footer, SMALL, 380.0);
        l.pdf.text(LEFT, y, SMALL, &text);
        l.pdf
            .text_right(RIGHT, y, SMALL, &format!("Page {} of {pages}", i + 1));
    }
    let unprinted = l.pdf.unprinted();
    Ok((l.pdf.finish()?, unprinted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::pdf::PAGE_HEIGHT;
    use lopdf::content::Content;

    fn day(y: i32, m: u32, d: u32) -> Date {
        Date::from_ymd_opt(y, m, d).unwrap()
    }

    fn line(kind: LineKind, id: &str, currency: &str, open: i64) -> StatementLine {
        StatementLine {
            kind,
            id: id.into(),
            number: None,
            doc_type: match kind {
                LineKind::Debit => "invoice",
                LineKind::Credit => "credit_note",
                LineKind::Cash => "payment",
            }
            .into(),
            date: day(2026, 2, 1),
            due_date: (kind == LineKind::Debit).then(|| day(2026, 3, 1)),
            amount: Decimal::from(open),
            open: Decimal::from(open),
            currency: currency.into(),
        }
    }

    fn statement(name: &str, lines: Vec<StatementLine>) -> Statement {
        let as_of = day(2026, 4, 30);
        let bounds = AgingBounds::default();
        Statement {
            customer_id: "K7".into(),
            name: name.into(),
            email: None,
            as_of,
            labels: bounds.labels(),
            totals: totals(&lines, as_of, &bounds),
            lines,
            less_paid_since: false,
        }
    }

    /// Every page's text as a reader extracts it, and the baselines (points from the top)
    /// of the text drawn on it.
    fn pages(pdf: &[u8]) -> Vec<(String, Vec<f64>)> {
        let doc = lopdf::Document::load_mem(pdf).unwrap();
        doc.get_pages()
            .into_iter()
            .map(|(n, id)| {
                let content = Content::decode(&doc.get_page_content(id)).unwrap();
                let baselines = content
                    .operations
                    .iter()
                    .filter(|op| op.operator == "Td")
                    .map(|op| PAGE_HEIGHT - f64::from(op.operands[1].as_float().unwrap()))
                    .collect();
                let text = doc.extract_text(&[n]).unwrap();
                (
                    text.split_whitespace().collect::<Vec<_>>().join(" "),
                    baselines,
                )
            })
            .collect()
    }

    /// Sixteen currencies, each with an overdue item, credit and cash (five rows of totals
    /// each): the totals ran past the bottom of page 1, over its footer and off the page.
    #[test]
    fn totals_in_many_currencies_break_onto_the_next_page() {
        let currencies: Vec<String> = (0..16).map(|i| format!("C{:02}", i)).collect();
        let mut lines = Vec::new();
        for c in &currencies {
            lines.push(line(LineKind::Debit, &format!("I-{c}"), c, 100));
            lines.push(line(LineKind::Credit, &format!("CN-{c}"), c, 10));
            lines.push(line(LineKind::Cash, &format!("P-{c}"), c, 5));
        }
        let pdf = render_pdf(
            &statement("Sixteen Currencies", lines),
            &StatementSettings::default(),
        )
        .unwrap();
        let pages = pages(&pdf);
        assert!(pages.len() >= 2, "{} pages", pages.len());
        let footer = BOTTOM + 30.0;
        for (i, (text, baselines)) in pages.iter().enumerate() {
            for &y in baselines {
                assert!(
                    y <= BOTTOM + 0.01 || (y - footer).abs() < 0.01,
                    "page {}: text at {y} below the body: {text}",
                    i + 1
                );
            }
        }
        let all: String = pages.iter().map(|(t, _)| t.as_str()).collect();
        for c in &currencies {
            assert!(all.contains(&format!("Balance due {c} 85")), "{c}: {all}");
        }
    }

    /// A name, an address and a remittance text longer than the room they have are cut with
    /// `…`, so that none reads as complete.
    #[test]
    fn a_cut_name_address_or_remittance_ends_in_an_ellipsis() {
        let name = (1..=80)
            .map(|i| format!("N{i:02}"))
            .collect::<Vec<_>>()
            .join(" ");
        let settings = StatementSettings {
            company: Some("Acme".into()),
            address: Some((1..=10).map(|i| format!("Street A{i}\n")).collect()),
            remittance: Some((1..=50).map(|i| format!("Pay R{i:02}\n")).collect()),
            bounds: AgingBounds::default(),
        };
        let pdf = render_pdf(
            &statement(&name, vec![line(LineKind::Debit, "I1", "USD", 100)]),
            &settings,
        )
        .unwrap();
        let all: String = pages(&pdf)
            .iter()
            .map(|(t, _)| t.clone())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(all.contains("Street A6…"), "{all}");
        assert!(!all.contains("A7"), "{all}");
        assert!(all.contains("Pay R40…"), "{all}");
        assert!(!all.contains("R41"), "{all}");
        // The heading's third line ends in `…` (the footer's cut is another).
        let page1 = &pages(&pdf)[0].0;
        let name_end = page1.find("Customer K7").unwrap();
        assert!(page1[..name_end].trim_end().ends_with('…'), "{page1}");
    }

    /// Whatever the figures, a table's columns lie side by side within the page, each as
    /// wide as its widest cell and title line in the style it is drawn in: no figure or label
    /// is cut or drawn over another. The largest amounts owed takes, in open items, credit
    /// notes and an aging of 1 to 20 bounds.
    #[test]
    fn columns_hold_their_widest_figure_side_by_side_within_the_page() {
        let pdf = Pdf::new("t").unwrap();
        let check = |cols: &[Col], rows: &[Vec<String>]| {
            let placed = place(&pdf, cols, rows);
            let mut end = LEFT - GAP;
            for (i, (c, &(x, w))) in cols.iter().zip(&placed.spans).enumerate() {
                assert!(
                    x >= end - 0.01,
                    "column {i} at {x} overlaps the one before ({end})"
                );
                end = x + w;
                if c.cut {
                    continue;
                }
                let cells = rows.iter().map(|r| (r[i].as_str(), placed.body));
                let titles = placed.titles[i].iter().map(|t| (t.as_str(), placed.head));
                for (text, style) in cells.chain(titles) {
                    assert!(
                        pdf.width(text, style) <= w + 0.01,
                        "{text:?} is wider than column {i} ({w})"
                    );
                }
            }
            assert!(end <= RIGHT + 0.01, "the table ends at {end}");
            // Each title's words are all there, whole.
            for (c, lines) in cols.iter().zip(&placed.titles) {
                assert_eq!(lines.join(" "), c.title);
            }
            placed
        };
        let largest = "922,337,203,685,477.58".to_string();
        let negative = format!("-{largest}");
        let debit = |amount: &str, days: &str| -> Vec<String> {
            [
                "INV-2026-000000000001",
                "Debit note",
                "1900-01-01",
                "1900-01-31",
                days,
            ]
            .into_iter()
            .map(String::from)
            .chain(["USD".to_string(), amount.into(), amount.into()])
            .collect()
        };
        // Small figures: the columns where they always were, in the usual font.
        let placed = check(&debit_cols(), &[debit("100.00", "3")]);
        assert_eq!(placed.body, BODY);
        assert_eq!(placed.spans[6], (410.0, 62.0));
        check(
            &debit_cols(),
            &[debit(&largest, "2612000"), debit("1.00", "")],
        );
        let other = vec![
            "CN-1".to_string(),
            "2026-01-01".into(),
            "USD".into(),
            largest.clone(),
            largest.clone(),
        ];
        check(&other_cols("Credit note", "Credit left"), &[other]);
        for n in 1..=20 {
            let bounds = AgingBounds::new((1..=n).map(|i| i * 1000).collect()).unwrap();
            let titles: Vec<String> = bounds
                .labels()
                .iter()
                .map(|l| bucket_label(l))
                .chain(std::iter::once("Total".to_string()))
                .collect();
            for figure in [negative.as_str(), "123,456,789.01", "0.00"] {
                let row: Vec<String> = std::iter::once("USD".to_string())
                    .chain(titles.iter().map(|_| figure.to_string()))
                    .collect();
                let bands = aging_bands(&pdf, &titles, std::slice::from_ref(&row));
                let mut shown = Vec::new();
                for (cols, rows) in &bands {
                    let placed = check(cols, rows);
                    assert!(
                        placed.body.size >= 6.0 - 0.001,
                        "{n} bounds of {figure}: {} points",
                        placed.body.size
                    );
                    assert_eq!(rows[0][0], "USD");
                    shown.extend(cols.iter().zip(&rows[0]).skip(1));
                }
                // Every bucket once, in order, with its figure.
                let titles_shown: Vec<&String> = shown.iter().map(|(c, _)| &c.title).collect();
                assert_eq!(titles_shown, titles.iter().collect::<Vec<_>>());
                assert!(shown.iter().all(|(_, f)| **f == figure));
                if figure == "0.00" && n <= 6 {
                    assert_eq!(bands.len(), 1, "{n} bounds of small figures");
                }
            }
        }
    }

    #[test]
    fn wrapped_marks_only_a_cut() {
        let pdf = Pdf::new("t").unwrap();
        assert_eq!(wrapped(&pdf, "a\nb", BODY, 100.0, 2), ["a", "b"]);
        assert_eq!(wrapped(&pdf, "a\nb\nc", BODY, 100.0, 2), ["a", "b…"]);
        // A full last line loses its end to the mark, and stays within the width.
        let full = "W".repeat(200);
        let cut = wrapped(&pdf, &format!("{full}\nmore"), BODY, 100.0, 1);
        assert!(
            cut[0].ends_with('…') && pdf.width(&cut[0], BODY) <= 100.0,
            "{cut:?}"
        );
    }
}
