//! The statement of account of one customer as of a date (`owed statement CUSTOMER -o
//! FILE.pdf`, `owed export statement --customer ID`): its open items, credit notes with
//! credit left and payments not yet applied, their totals and aging per currency, and how to
//! pay — a document the customer can be sent.
//!
//! [`statement_pdf`] is the one entry point for a PDF: engagement attaches the same file to
//! reminders. Everything printed that comes from outside (names, numbers, the config's texts)
//! goes through [`super::pdf::clean`] and is cut to its column, so a hostile value cannot reorder or
//! overprint the page.

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
        })
    }

    /// The lines of one kind.
    pub fn lines_of(&self, kind: LineKind) -> impl Iterator<Item = &StatementLine> {
        self.lines.iter().filter(move |l| l.kind == kind)
    }
}

/// The statement of account of the customer whose id is `customer`, as of `as_of`, as a PDF.
pub fn statement_pdf(
    store: &Store,
    customer: &str,
    as_of: Date,
    settings: &StatementSettings,
) -> Result<Vec<u8>> {
    let statement = Statement::read(store, customer, as_of, &settings.bounds)?;
    render_pdf(&statement, settings)
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

/// A column of a table: its title, where it starts, how wide it is and how it aligns.
struct Col {
    title: &'static str,
    x: f64,
    width: f64,
    align: Align,
}

const fn col(title: &'static str, x: f64, width: f64, align: Align) -> Col {
    Col {
        title,
        x,
        width,
        align,
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

    fn header_row(&mut self, cols: &[Col]) {
        self.pdf.fill(LEFT, self.y - 10.0, RIGHT - LEFT, ROW, 0.92);
        for c in cols {
            self.cell(c, HEAD, c.title);
        }
        self.y += ROW;
    }

    fn cell(&mut self, c: &Col, style: Style, text: &str) {
        let text = self.pdf.fit(text, style, c.width);
        match c.align {
            Align::Left => self.pdf.text(c.x, self.y, style, &text),
            Align::Right => self.pdf.text_right(c.x + c.width, self.y, style, &text),
        }
    }

    /// A titled table; its header is drawn again on each page it runs onto.
    fn table(&mut self, title: &str, cols: &[Col], rows: &[Vec<String>]) {
        if rows.is_empty() {
            return;
        }
        self.y += 8.0;
        self.need(3.0);
        self.pdf.text(LEFT, self.y, Style::bold(11.0), title);
        self.y += ROW + 2.0;
        self.header_row(cols);
        for row in rows {
            if self.y > BOTTOM {
                self.need(2.0);
                self.header_row(cols);
            }
            for (c, text) in cols.iter().zip(row) {
                self.cell(c, BODY, text);
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

/// The statement of account of the customer whose key is `cid` (a reminder's attachment).
pub fn statement_pdf_of(
    store: &Store,
    cid: i64,
    as_of: Date,
    settings: &StatementSettings,
) -> Result<Vec<u8>> {
    render_pdf(
        &Statement::of(store, cid, as_of, &settings.bounds)?,
        settings,
    )
}

/// Lays out a statement as a PDF.
pub fn render_pdf(s: &Statement, settings: &StatementSettings) -> Result<Vec<u8>> {
    let title = format!("Statement of account {} {}", s.customer_id, s.as_of);
    let mut l = Layout {
        pdf: Pdf::new(&title)?,
        y: TOP,
    };
    // Who from (left) and what (right).
    l.y = TOP + 10.0;
    l.pdf
        .text_right(RIGHT, l.y, Style::bold(16.0), "Statement of account");
    l.pdf.text_right(
        RIGHT,
        l.y + 16.0,
        Style::regular(10.0),
        &format!("as of {}", s.as_of),
    );
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
    let label_x = 330.0;
    for t in &s.totals {
        let rows = [
            ("Open items", t.open, false),
            ("of which overdue", t.overdue, false),
            ("Credit notes", -t.credit, false),
            ("Payments not applied", -t.cash, false),
            ("Balance due", t.balance_due(), true),
        ];
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|&(label, value, strong)| !value.is_zero() || strong || label == "Open items")
            .collect();
        // A currency's rows stay together; those that would run into the footer go on a new
        // page, as a table's rows do (a customer may owe in many currencies).
        if right_y + (rows.len() - 1) as f64 * ROW > BOTTOM {
            l.pdf.add_page();
            right_y = TOP;
            // The left column stayed on the page before.
            l.y = TOP;
        }
        for (label, value, strong) in rows {
            let style = if strong { HEAD } else { BODY };
            if strong {
                l.pdf
                    .line((label_x, right_y - 9.0), (RIGHT, right_y - 9.0), 0.6, 0.3);
            }
            l.pdf.text(label_x, right_y, style, label);
            l.pdf.text_right(
                RIGHT,
                right_y,
                style,
                &format!("{} {}", t.currency, grouped(value, &t.currency)),
            );
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
        let n = s.labels.len() + 1;
        let first = LEFT + 40.0;
        let width = (RIGHT - first) / n as f64;
        let titles: Vec<String> = s
            .labels
            .iter()
            .map(|l| bucket_label(l))
            .chain(std::iter::once("Total".to_string()))
            .collect();
        l.y += 8.0;
        l.need(4.0);
        l.pdf.text(LEFT, l.y, Style::bold(11.0), "Aging");
        l.y += ROW + 2.0;
        l.pdf.fill(LEFT, l.y - 10.0, RIGHT - LEFT, ROW, 0.92);
        for (i, t) in titles.iter().enumerate() {
            let right = first + width * (i + 1) as f64;
            let text = l.pdf.fit(t, HEAD, width - 4.0);
            l.pdf.text_right(right, l.y, HEAD, &text);
        }
        l.y += ROW;
        for t in s.totals.iter().filter(|t| !t.open.is_zero()) {
            l.need(1.0);
            l.pdf.text(LEFT, l.y, BODY, &t.currency);
            let values = t.aging.iter().copied().chain(std::iter::once(t.open));
            for (i, v) in values.enumerate() {
                let right = first + width * (i + 1) as f64;
                let text = l.pdf.fit(&grouped(v, &t.currency), BODY, width - 4.0);
                l.pdf.text_right(right, l.y, BODY, &text);
            }
            l.y += ROW;
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
    l.table(
        "Open items",
        &[
            col("Document", LEFT, 112.0, Align::Left),
            col("Type", 166.0, 56.0, Align::Left),
            col("Date", 226.0, 54.0, Align::Left),
            col("Due", 284.0, 54.0, Align::Left),
            col("Days late", 332.0, 48.0, Align::Right),
            col("", 386.0, 24.0, Align::Left),
            col("Amount", 410.0, 62.0, Align::Right),
            col("Open", 476.0, RIGHT - 476.0, Align::Right),
        ],
        &debits,
    );
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
    let other_cols = |what: &'static str, left: &'static str| {
        [
            col(what, LEFT, 170.0, Align::Left),
            col("Date", 226.0, 54.0, Align::Left),
            col("", 386.0, 24.0, Align::Left),
            col("Amount", 410.0, 62.0, Align::Right),
            col(left, 476.0, RIGHT - 476.0, Align::Right),
        ]
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
    l.pdf.finish()
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
