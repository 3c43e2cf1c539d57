//! The statement of account of one customer as of a date, as a PDF a customer can be sent:
//! `owed statement CUSTOMER -o FILE.pdf`, and the attachment of a reminder with
//! `attach = ["statement"]` (the same document).
//!
//! It lists the open items (invoices and debit notes with a balance at the date, oldest due
//! first, with days overdue), the credits (credit notes with credit left), the unapplied cash,
//! the aging of the open items (current, 1-30, 31-60, 61-90, 91-120, 120+ days overdue), and
//! the balance due (open items less credits and unapplied cash), each by currency in the
//! documents' own currency. The company name and the remittance text (how to pay) come from
//! the config's `[statement]`. Text from the billing data prints as written (an embedded font
//! covers accents, Greek and Cyrillic); control characters print as spaces.

use super::pdf::{PAGE_HEIGHT, PdfDocument};
use crate::config::StatementConfig;
use crate::domain::aging::days_overdue;
use crate::domain::{Date, Decimal, money};
use crate::store::Store;
use crate::store::ledger::ItemKind;
use crate::{Error, Result};
use std::collections::BTreeMap;

/// Aging columns of the statement (days overdue, upper bounds inclusive).
pub const BUCKETS: [&str; 6] = ["current", "1-30", "31-60", "61-90", "91-120", "120+"];

/// One line of the statement.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementLine {
    pub number: String,
    pub kind: String,
    pub doc_date: Date,
    pub due_date: Option<Date>,
    pub days_overdue: i64,
    pub amount: Decimal,
    pub balance: Decimal,
    pub currency: String,
}

/// Per-currency totals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CurrencyTotals {
    pub open: Decimal,
    pub credits: Decimal,
    pub unapplied_cash: Decimal,
    /// By [`BUCKETS`].
    pub aging: [Decimal; 6],
}

impl CurrencyTotals {
    /// Open items less credits and unapplied cash.
    pub fn balance_due(&self) -> Decimal {
        self.open - self.credits - self.unapplied_cash
    }
}

/// A customer's statement of account.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub as_of: Date,
    pub customer_id: String,
    pub customer_name: String,
    pub open_items: Vec<StatementLine>,
    pub credits: Vec<StatementLine>,
    /// By currency.
    pub totals: BTreeMap<String, CurrencyTotals>,
}

fn bucket(days: i64) -> usize {
    match days {
        ..=0 => 0,
        1..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        91..=120 => 4,
        _ => 5,
    }
}

impl Statement {
    /// The statement of customer `cid` as of `as_of`.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for an unknown customer; database failures.
    pub fn compute(store: &Store, cid: i64, as_of: Date, _base_currency: &str) -> Result<Self> {
        let detail = store
            .customer_detail(cid, as_of, 0)?
            .ok_or_else(|| Error::input(format!("no customer has the key {cid}")))?;
        let mut statement = Statement {
            as_of,
            customer_id: detail.header.id.clone(),
            customer_name: detail.header.name.clone(),
            open_items: Vec::new(),
            credits: Vec::new(),
            totals: BTreeMap::new(),
        };
        for d in detail
            .documents
            .iter()
            .filter(|d| d.balance > Decimal::ZERO)
        {
            let days = d.due_date.map_or(0, |due| days_overdue(as_of, due));
            let line = StatementLine {
                number: d.number.clone().unwrap_or_else(|| d.id.clone()),
                kind: d.kind.replace('_', " "),
                doc_date: d.doc_date,
                due_date: d.due_date,
                days_overdue: days,
                amount: d.amount,
                balance: d.balance,
                currency: d.currency.clone(),
            };
            let totals = statement.totals.entry(d.currency.clone()).or_default();
            if d.kind == "credit_note" {
                totals.credits += d.balance;
                statement.credits.push(line);
            } else {
                totals.open += d.balance;
                totals.aging[bucket(days)] += d.balance;
                statement.open_items.push(line);
            }
        }
        let mut cash: Vec<(String, Decimal)> = Vec::new();
        store.for_each_open_item_of(as_of, Some(cid), &[ItemKind::Cash], |item| {
            cash.push((item.currency.clone(), item.balance));
        })?;
        for (currency, amount) in cash {
            statement.totals.entry(currency).or_default().unapplied_cash += amount;
        }
        statement
            .open_items
            .sort_by(|a, b| (a.due_date, &a.number).cmp(&(b.due_date, &b.number)));
        statement
            .credits
            .sort_by(|a, b| (a.doc_date, &a.number).cmp(&(b.doc_date, &b.number)));
        Ok(statement)
    }

    /// The statement as a PDF.
    pub fn to_pdf(&self, config: &StatementConfig) -> Vec<u8> {
        let mut doc = PdfDocument::new(&format!(
            "Statement of account {} {}",
            self.customer_id, self.as_of
        ));
        let left = 50.0;
        let right = 545.0;
        let mut y = PAGE_HEIGHT;
        let header = |doc: &mut PdfDocument, y: &mut f32| {
            doc.page();
            *y = PAGE_HEIGHT - 60.0;
            if let Some(company) = &config.company {
                doc.text(left, *y, 11.0, company);
                *y -= 20.0;
            }
            doc.text(left, *y, 16.0, "Statement of account");
            doc.text_right(right, *y, 10.0, &format!("as of {}", self.as_of));
            *y -= 20.0;
            doc.text(
                left,
                *y,
                11.0,
                &format!("{} ({})", self.customer_name, self.customer_id),
            );
            *y -= 26.0;
        };
        header(&mut doc, &mut y);
        let columns: [(f32, &str, bool); 7] = [
            (left, "Document", false),
            (160.0, "Type", false),
            (235.0, "Date", false),
            (300.0, "Due", false),
            (390.0, "Days", true),
            (480.0, "Balance", true),
            (right, "Currency", true),
        ];
        let section = |doc: &mut PdfDocument, y: &mut f32, title: &str, lines: &[StatementLine]| {
            if *y < 120.0 {
                header(doc, y);
            }
            doc.text(left, *y, 11.0, title);
            *y -= 16.0;
            for (x, name, right_aligned) in columns {
                if right_aligned {
                    doc.text_right(x, *y, 8.5, name);
                } else {
                    doc.text(x, *y, 8.5, name);
                }
            }
            doc.rule(left, right, *y - 4.0);
            *y -= 16.0;
            if lines.is_empty() {
                doc.text(left, *y, 9.0, "none");
                *y -= 14.0;
            }
            for line in lines {
                if *y < 70.0 {
                    header(doc, y);
                    doc.text(left, *y, 11.0, &format!("{title} (continued)"));
                    *y -= 18.0;
                }
                let number: String = line.number.chars().take(22).collect();
                doc.text(left, *y, 9.0, &number);
                doc.text(160.0, *y, 9.0, &line.kind);
                doc.text(235.0, *y, 9.0, &line.doc_date.to_string());
                doc.text(
                    300.0,
                    *y,
                    9.0,
                    &line.due_date.map(|d| d.to_string()).unwrap_or_default(),
                );
                if line.due_date.is_some() {
                    doc.text_right(390.0, *y, 9.0, &line.days_overdue.max(0).to_string());
                }
                doc.text_right(
                    480.0,
                    *y,
                    9.0,
                    &money::grouped(line.balance, &line.currency),
                );
                doc.text_right(right, *y, 9.0, &line.currency);
                *y -= 13.0;
            }
            *y -= 12.0;
        };
        section(&mut doc, &mut y, "Open items", &self.open_items);
        section(&mut doc, &mut y, "Credits", &self.credits);
        for (currency, totals) in &self.totals {
            if y < 170.0 {
                header(&mut doc, &mut y);
            }
            doc.text(left, y, 11.0, &format!("Summary ({currency})"));
            y -= 16.0;
            let width = (right - left) / 6.0;
            for (i, name) in BUCKETS.iter().enumerate() {
                let x = left + width * (i as f32 + 1.0);
                doc.text_right(x, y, 8.5, name);
                doc.text_right(x, y - 13.0, 9.0, &money::grouped(totals.aging[i], currency));
            }
            doc.rule(left, right, y - 4.0);
            y -= 34.0;
            for (label, amount) in [
                ("Open items", totals.open),
                ("Credits", -totals.credits),
                ("Unapplied cash", -totals.unapplied_cash),
            ] {
                doc.text(300.0, y, 9.0, label);
                doc.text_right(480.0, y, 9.0, &money::grouped(amount, currency));
                doc.text_right(right, y, 9.0, currency);
                y -= 13.0;
            }
            doc.rule(300.0, right, y + 9.0);
            doc.text(300.0, y - 2.0, 10.0, "Balance due");
            doc.text_right(
                480.0,
                y - 2.0,
                10.0,
                &money::grouped(totals.balance_due(), currency),
            );
            doc.text_right(right, y - 2.0, 10.0, currency);
            y -= 30.0;
        }
        if let Some(remittance) = &config.remittance {
            let lines: Vec<&str> = remittance.lines().collect();
            if y < 60.0 + 13.0 * lines.len() as f32 {
                header(&mut doc, &mut y);
            }
            doc.text(left, y, 11.0, "How to pay");
            y -= 16.0;
            for line in lines {
                doc.text(left, y, 9.0, line);
                y -= 13.0;
            }
        }
        doc.finish()
    }
}
