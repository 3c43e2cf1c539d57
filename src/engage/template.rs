//! Reminder templates: minijinja, the first rendered line is the subject.
//!
//! A template `templates/friendly.md` renders the plain-text email: its first line (without
//! an optional `Subject:` prefix) is the subject, the rest (leading blank lines dropped) the
//! body. When `templates/friendly.html` exists beside it, it renders the HTML alternative
//! (its whole output is the HTML body; values are HTML-escaped there). A text message
//! (`channel = "sms"`) carries `templates/friendly.sms.txt` when it exists beside it (its
//! whole output, trimmed, at most three segments: see [`fit_sms`]), else the email's subject.
//!
//! The context (see [`EmailContext`]): `customer` (`id`, `name`, `email`; the whole
//! account's `outstanding`, `unutilised_credit`, `unapplied_cash` and `net_balance` in its
//! `base_currency`), `documents` (a list
//! of `id`, `number`, `type`, `doc_date`, `due_date`, `days_overdue`, `amount`, `balance`,
//! `currency`), `table` (the documents as an aligned plain-text table: number, date, due date,
//! "12 days overdue" or "due in 3 days", balance, currency), `totals` (`count`;
//! `balances`: the sum per currency written out, `500.00 EUR + 100.00 GBP`, never converted,
//! as a statement's totals are not; `by_currency`: the same as a list of `currency`,
//! `balance`; `balance` and `currency`: in the documents' own currency when they share one,
//! as a customer's documents usually do, else in the base currency; `base_balance` and
//! `base_currency`: always in the base currency; and `max_days_overdue`), `promise` (the customer's open promises to pay, in
//! the currency they were made in: `promised`, `paid`, `remaining` (also `amount`) and
//! `currency`; `base_amount` and `base_currency`; the next `date`), `collector`, `cycle`,
//! `reminder`, `today`. Amounts
//! are formatted with thousands separators and the currency's minor units. Undefined
//! variables are errors, caught when the cycles are loaded by rendering a sample.
//!
//! Text that comes from the billing data is made single-line (control characters become
//! spaces) before it reaches a template, so a customer name cannot start a new line of the
//! subject or of a header; bidirectional controls and characters that draw nothing are left
//! out of it, so that it cannot reorder or hide what the email says around it.

use crate::domain::aging::days_overdue;
use crate::domain::document::DocumentKind;
use crate::domain::{Date, Decimal, money};
use crate::error::{QUOTED_CHARS, quoted};
use crate::report::table::{Align, TextTable};
use crate::{Error, Result};
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The compiled templates of a set of cycles, by key (the template's path as given).
pub struct TemplateSet {
    env: Environment<'static>,
}

impl Default for TemplateSet {
    fn default() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Errors name the undefined expression and carry the template's source (for the
        // text at the error) in every build, not only in debug builds.
        env.set_debug(true);
        TemplateSet { env }
    }
}

impl std::fmt::Debug for TemplateSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateSet").finish_non_exhaustive()
    }
}

/// A template loaded into a [`TemplateSet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRef {
    /// The plain-text template's file.
    pub path: PathBuf,
    /// Whether an HTML alternative exists beside it.
    pub has_html: bool,
    /// Whether a text-message version (`NAME.sms.txt`) exists beside it.
    pub has_sms: bool,
}

/// The longest text message sent in the GSM 7-bit alphabet, in septets: three concatenated
/// segments of 153.
pub const SMS_MAX_CHARS: usize = 459;

/// The longest text message sent as UCS-2 (when a character is not in the GSM alphabet), in
/// UTF-16 units: three concatenated segments of 67.
pub const SMS_MAX_UCS2_UNITS: usize = 201;

/// How many septets `c` takes in the GSM 03.38 alphabet (2 for its extension table), or none
/// when it is not in it and the message goes as UCS-2.
fn gsm7_septets(c: char) -> Option<usize> {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                         ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    if BASIC.contains(c) {
        Some(1)
    } else if "^{}\\[~]|€\u{c}".contains(c) {
        Some(2)
    } else {
        None
    }
}

/// `text` within three SMS segments: as it is when it fits, else cut and ended with `...` in
/// the GSM alphabet (459 septets in all; `…` is not in it and would make the text UCS-2, 7
/// segments for 459 characters), or with `…` when the text is UCS-2 already (201 units).
pub fn fit_sms(text: &str) -> String {
    let gsm: Option<Vec<usize>> = text.chars().map(gsm7_septets).collect();
    let (sizes, most, ellipsis, ellipsis_size) = match gsm {
        Some(sizes) => (sizes, SMS_MAX_CHARS, "...", 3),
        None => (
            text.chars().map(char::len_utf16).collect(),
            SMS_MAX_UCS2_UNITS,
            "…",
            1,
        ),
    };
    if sizes.iter().sum::<usize>() <= most {
        return text.to_string();
    }
    let mut used = 0;
    let mut short = String::new();
    for (c, size) in text.chars().zip(sizes) {
        if used + size > most - ellipsis_size {
            break;
        }
        used += size;
        short.push(c);
    }
    let mut short = short.trim_end().to_string();
    short.push_str(ellipsis);
    short
}

/// The text-message version's path: `friendly.md` → `friendly.sms.txt`.
pub fn sms_path(text: &Path) -> PathBuf {
    let stem = text
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    text.with_file_name(format!("{stem}.sms.txt"))
}

impl TemplateRef {
    fn sms_key(&self) -> String {
        sms_path(&self.path).display().to_string()
    }

    fn text_key(&self) -> String {
        self.path.display().to_string()
    }

    fn html_key(&self) -> String {
        html_path(&self.path).display().to_string()
    }

    /// The template's name: its file name without extension (`friendly`).
    pub fn stem(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// The HTML alternative's path: the template's with the extension `.html`.
pub fn html_path(text: &Path) -> PathBuf {
    text.with_extension("html")
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

impl RenderedEmail {
    /// Its bytes: subject, text and HTML, as rendered (before the message's encoding and
    /// any attachment).
    pub fn size(&self) -> usize {
        self.subject.len() + self.text.len() + self.html.as_ref().map_or(0, String::len)
    }
}

/// The size of a rendered reminder above which owed warns (1 MB): many mail servers refuse
/// messages of 10–25 MB, and no customer reads the tens of thousands of lines it takes (the
/// shipped templates list every document the reminder is about: some 160 bytes each, text
/// and HTML, so 30,000 documents render 4.7 MB).
pub const LARGE_REMINDER_BYTES: usize = 1024 * 1024;

/// The plan names this many documents or more in a reminder: `owed engage plan` renders it
/// to check its size (the others are far below [`LARGE_REMINDER_BYTES`] with any sensible
/// template, and rendering every reminder of a large plan would take seconds).
pub const PLAN_SIZE_CHECK_DOCUMENTS: usize = 1_000;

/// The warning for reminder `which` (`Standard / Friendly to K1`) about `documents` documents
/// when its rendering (`bytes`) is larger than [`LARGE_REMINDER_BYTES`]; none otherwise.
pub fn large_reminder(which: &str, bytes: usize, documents: usize) -> Option<String> {
    (bytes > LARGE_REMINDER_BYTES).then(|| {
        format!(
            "{which} renders {} for {} document(s), more than 1 MB: many mail servers refuse \
             a message of 10–25 MB and no customer reads that many lines, so list fewer in its \
             template and attach the statement (docs/engagement.md, \"Large reminders\")",
            crate::domain::attachment::size_label(bytes as u64),
            money::grouped_count(documents as u64)
        )
    })
}

impl TemplateSet {
    /// Loads (once) the template at `path` and its HTML alternative if there is one,
    /// compiles them, and renders a sample so that an unknown variable is an error now.
    pub fn load(&mut self, path: &Path) -> Result<TemplateRef> {
        let html = html_path(path);
        let sms = sms_path(path);
        let template = TemplateRef {
            path: path.to_path_buf(),
            has_html: html.is_file() && html != path,
            has_sms: sms.is_file() && sms != path,
        };
        let key = template.text_key();
        if self.env.get_template(&key).is_ok() {
            return Ok(template);
        }
        let source = crate::files::read_text(path, "template ")?;
        self.env
            .add_template_owned(key, source)
            .map_err(|e| template_error(path, &e))?;
        if template.has_html {
            let source = crate::files::read_text(&html, "template ")?;
            self.env
                .add_template_owned(template.html_key(), source)
                .map_err(|e| template_error(&html, &e))?;
        }
        if template.has_sms {
            let source = crate::files::read_text(&sms, "template ")?;
            self.env
                .add_template_owned(template.sms_key(), source)
                .map_err(|e| template_error(&sms, &e))?;
        }
        self.render(&template, &EmailContext::sample())?;
        if template.has_sms {
            self.render_sms(&template, &EmailContext::sample())?;
        }
        Ok(template)
    }

    /// The text message of `template` with `context`: its `.sms.txt` version rendered and
    /// trimmed, else the email's subject; control characters other than line breaks become
    /// spaces, and the text is cut to three segments ([`fit_sms`]).
    pub fn render_sms(&self, template: &TemplateRef, context: &EmailContext) -> Result<String> {
        let text = if template.has_sms {
            self.env
                .get_template(&template.sms_key())
                .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(context))))
                .map_err(|e| template_error(&sms_path(&template.path), &e))?
        } else {
            self.render(template, context)?.subject
        };
        let clean: String = text
            .trim()
            .replace("\r\n", "\n")
            .chars()
            .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
            .collect();
        if clean.is_empty() {
            return Err(Error::input(format!(
                "{}: the text message renders empty",
                sms_path(&template.path).display()
            )));
        }
        Ok(fit_sms(&clean))
    }

    /// Renders `template` with `context`.
    pub fn render(&self, template: &TemplateRef, context: &EmailContext) -> Result<RenderedEmail> {
        let text = self
            .env
            .get_template(&template.text_key())
            .and_then(|t| t.render(minijinja::Value::from(minijinja::value::Serde(context))))
            .map_err(|e| template_error(&template.path, &e))?;
        let first_blank = text.lines().next().is_some_and(|l| l.trim().is_empty());
        let (subject, text) = split_subject(&text).ok_or_else(|| {
            Error::input(format!(
                "{}: the first line (the subject) renders empty",
                template.path.display()
            ))
        })?;
        // The subject is the first line that is not blank: a first line that rendered blank
        // for this customer made the next one the subject and left the email without a body.
        // (A template of one line, a subject alone, is the author's choice.)
        if first_blank && text.trim().is_empty() {
            return Err(Error::input(format!(
                "{}: the body renders empty (the subject is the first line that is not blank: \
                 {})",
                template.path.display(),
                crate::error::quoted(&subject)
            )));
        }
        let html = if template.has_html {
            Some(
                self.env
                    .get_template(&template.html_key())
                    .and_then(|t| {
                        t.render(minijinja::Value::from(minijinja::value::Serde(context)))
                    })
                    .map_err(|e| template_error(&html_path(&template.path), &e))?,
            )
        } else {
            None
        };
        Ok(RenderedEmail {
            subject,
            text,
            html,
        })
    }
}

/// The variables a template sees, for the message of an undefined one.
const VARIABLES: &str =
    "customer, documents, table, totals, promise, collector, cycle, reminder, today";

/// A template's error for a person: the file, the line, what is wrong and where. An undefined
/// variable is named (`customer.nam`); for another error the template's text at the error is
/// quoted. The names and text come from the template (from outside): they are quoted.
fn template_error(path: &Path, e: &minijinja::Error) -> Error {
    let mut message = path.display().to_string();
    if let Some(line) = e.line() {
        message.push_str(&format!(", line {line}"));
    }
    // The template's text the error points at (the environment keeps debug info, so the
    // error carries its template's source).
    let at = e
        .range()
        .zip(e.template_source())
        .and_then(|(range, source)| source.get(range))
        .map(str::trim)
        .filter(|text| !text.is_empty());
    if e.kind() == minijinja::ErrorKind::UndefinedError {
        // minijinja describes the undefined expression as "`customer.nam` is undefined";
        // without that, the text at the error is the expression.
        let named = e
            .detail()
            .and_then(|d| d.strip_prefix('`'))
            .and_then(|d| d.split_once("` is undefined"))
            .map(|(name, _)| name)
            .or(at);
        message.push_str(": template error: undefined value");
        if let Some(name) = named {
            message.push(' ');
            message.push_str(&quoted(name));
        }
        message.push_str(&format!(" (a template sees {VARIABLES})"));
        return Error::input(message);
    }
    message.push_str(&format!(": template error: {}", e.kind()));
    if let Some(detail) = e.detail() {
        message.push_str(": ");
        message.push_str(&crate::domain::text::one_line(
            &crate::domain::text::cut_after(detail, QUOTED_CHARS * 2),
        ));
    }
    if let Some(text) = at {
        message.push_str(" at ");
        message.push_str(&quoted(text));
    }
    Error::input(message)
}

/// Splits rendered text into the subject (first non-empty line, without a `Subject:`
/// prefix) and the body (the rest, leading blank lines dropped). `None` when the subject is
/// empty.
fn split_subject(text: &str) -> Option<(String, String)> {
    let text = text.trim_start_matches(['\r', '\n']);
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let first = first.trim();
    let subject = first
        .strip_prefix("Subject:")
        .or_else(|| first.strip_prefix("subject:"))
        .unwrap_or(first)
        .trim();
    if subject.is_empty() {
        return None;
    }
    let body = rest.trim_start_matches(['\r', '\n']).replace("\r\n", "\n");
    Some((single_line(subject), body))
}

/// `text` on one line: every control character (CR, LF, tab, ...) becomes a space, and
/// bidirectional controls and characters that draw nothing are left out (the customer's mail
/// program would obey or hide them: a name could reorder the amount written after it).
pub fn single_line(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_control() || !crate::domain::text::is_unsafe(*c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// What a template sees.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EmailContext {
    pub customer: CustomerContext,
    pub documents: Vec<DocumentContext>,
    /// The documents as an aligned plain-text table.
    pub table: String,
    pub totals: Totals,
    /// The customer's open promises to pay: what is still to come and the next date (empty
    /// strings when it has none open, and in a reminder by hand).
    pub promise: PromiseContext,
    pub collector: String,
    pub cycle: String,
    pub reminder: String,
    pub today: String,
}

/// The customer's open promises in a template, in the currency they were made in (the
/// customer's): a yen customer promised yen, and is reminded of yen.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct PromiseContext {
    /// What is still to come of them (`60,000`): the same as `remaining`, the name templates
    /// used before there was `remaining`.
    pub amount: String,
    /// The currency of `amount`, `promised`, `paid` and `remaining`: the promises' own, or the
    /// base currency when they were made in more than one.
    pub currency: String,
    /// What was promised (`100,000`).
    pub promised: String,
    /// What has been paid towards it (`40,000`).
    pub paid: String,
    /// What is still to come (`60,000`).
    pub remaining: String,
    /// What is still to come in the base currency (`384.00`), each promise at the rate of the
    /// day it was recorded (as the rules' `open_p2p_amount`).
    pub base_amount: String,
    pub base_currency: String,
    /// The next promised date (`2026-05-10`).
    pub date: String,
}

/// A customer's open promises to pay, as a reminder states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenPromise {
    /// The next promised date.
    pub date: Date,
    /// The currency the promises were made in; the base currency when they were made in
    /// more than one (a customer whose currency changed between them).
    pub currency: String,
    /// Promised, paid towards them, and still to come, in `currency`.
    pub promised: Decimal,
    pub paid: Decimal,
    pub remaining: Decimal,
    /// Still to come, in the base currency.
    pub base_remaining: Decimal,
}

/// The customer in a template.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CustomerContext {
    pub id: String,
    pub name: String,
    pub email: String,
    /// Its whole account as of the reminder's date, in the base currency (not only the
    /// documents the reminder is about): what its invoices and debit notes still have open,
    pub outstanding: String,
    /// its credit notes' amounts not applied (its credit),
    pub unutilised_credit: String,
    /// its payments not applied,
    pub unapplied_cash: String,
    /// and what it owes once they are set against it: `outstanding − unutilised_credit −
    /// unapplied_cash`, negative when it is in credit (`-150.00`).
    pub net_balance: String,
    /// The currency of those four: the base currency.
    pub base_currency: String,
}

/// A customer's whole account as a reminder states it ([`CustomerContext`]), in the base
/// currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CustomerBalances {
    pub outstanding: Decimal,
    pub unutilised_credit: Decimal,
    pub unapplied_cash: Decimal,
}

impl CustomerBalances {
    /// Of a customer's figures.
    pub fn of(f: &crate::domain::aging::Figures) -> CustomerBalances {
        CustomerBalances {
            outstanding: f.outstanding,
            unutilised_credit: f.unutilised_credit,
            unapplied_cash: f.unapplied_cash,
        }
    }

    /// What it owes once its credit and unapplied cash are set against what is open
    /// (negative: in credit).
    pub fn net(&self) -> Decimal {
        self.outstanding - self.unutilised_credit - self.unapplied_cash
    }
}

/// A document in a template (amounts formatted in its currency).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DocumentContext {
    pub id: String,
    pub number: String,
    #[serde(rename = "type")]
    pub kind: DocumentKind,
    pub doc_date: String,
    pub due_date: String,
    pub days_overdue: i64,
    pub amount: String,
    pub balance: String,
    pub currency: String,
}

/// Totals of the documents in a template.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Totals {
    pub count: usize,
    /// The sum of balances in the documents' currency when they share one, else in the base
    /// currency.
    pub balance: String,
    /// The documents' currency when they share one, else the base currency.
    pub currency: String,
    /// The sum of balances in the base currency.
    pub base_balance: String,
    /// The base currency.
    pub base_currency: String,
    /// Sums per document currency, sorted by currency.
    pub by_currency: Vec<CurrencyTotal>,
    /// The sums per currency written out, each with its currency and joined by ` + `
    /// (`500.00 EUR + 100.00 GBP`; one currency: `500.00 EUR`): what a customer billed in
    /// two currencies owes, neither converted into a currency it was not billed in.
    pub balances: String,
    pub max_days_overdue: i64,
}

/// A sum of balances in one currency.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CurrencyTotal {
    pub currency: String,
    pub balance: String,
}

/// One document as the context builder needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentFacts {
    pub id: String,
    pub number: Option<String>,
    pub kind: DocumentKind,
    pub doc_date: Date,
    pub due_date: Option<Date>,
    pub amount: Decimal,
    pub balance: Decimal,
    pub currency: String,
    pub rate: Decimal,
}

/// Who and what a reminder is for.
#[derive(Debug, Clone, Copy)]
pub struct ContextInput<'a> {
    pub customer_id: &'a str,
    pub customer_name: &'a str,
    pub email: &'a str,
    pub collector: &'a str,
    pub cycle: &'a str,
    pub reminder: &'a str,
    pub base_currency: &'a str,
    pub today: Date,
    /// The customer's open promises.
    pub promise: Option<&'a OpenPromise>,
    /// Its whole account, in the base currency (none: nothing open, no credit).
    pub balances: Option<&'a CustomerBalances>,
}

/// A document's standing as the customer reads it in the table: "12 days overdue", "due
/// today", "due in 3 days" (a reminder may name documents not yet due).
fn due_phrase(days_overdue: i64) -> String {
    let days = |n: i64| {
        if n == 1 {
            "1 day".to_string()
        } else {
            format!("{n} days")
        }
    };
    match days_overdue {
        0 => "due today".to_string(),
        n if n > 0 => format!("{} overdue", days(n)),
        n => format!("due in {}", days(-n)),
    }
}

impl EmailContext {
    /// Builds the context for `documents` (shown in the order given).
    pub fn build(input: ContextInput<'_>, documents: &[DocumentFacts]) -> EmailContext {
        let mut base_total = Decimal::ZERO;
        let mut by_currency: std::collections::BTreeMap<&str, Decimal> = Default::default();
        let mut max_days = i64::MIN;
        let mut table = TextTable::new(&[
            ("Document", Align::Left),
            ("Date", Align::Left),
            ("Due", Align::Left),
            ("Status", Align::Left),
            ("Balance", Align::Right),
            ("Currency", Align::Left),
        ]);
        let docs: Vec<DocumentContext> = documents
            .iter()
            .map(|d| {
                base_total += money::round_to_currency(d.balance * d.rate, input.base_currency);
                // Each balance as the table shows it, so that the total is their sum.
                *by_currency.entry(&d.currency).or_default() +=
                    money::round_to_currency(d.balance, &d.currency);
                let days = d.due_date.map_or(0, |due| days_overdue(input.today, due));
                max_days = max_days.max(days);
                let number = single_line(d.number.as_deref().unwrap_or(&d.id));
                let doc = DocumentContext {
                    id: single_line(&d.id),
                    number: number.clone(),
                    kind: d.kind,
                    doc_date: d.doc_date.to_string(),
                    due_date: d.due_date.map(|x| x.to_string()).unwrap_or_default(),
                    days_overdue: days,
                    amount: money::grouped(d.amount, &d.currency),
                    balance: money::grouped(d.balance, &d.currency),
                    currency: single_line(&d.currency),
                };
                table.row(vec![
                    number,
                    doc.doc_date.clone(),
                    doc.due_date.clone(),
                    d.due_date.map(|_| due_phrase(days)).unwrap_or_default(),
                    doc.balance.clone(),
                    doc.currency.clone(),
                ]);
                doc
            })
            .collect();
        let (balance, currency) = match by_currency.iter().collect::<Vec<_>>().as_slice() {
            [(only, sum)] => (money::grouped(**sum, only), single_line(only)),
            _ => (
                money::grouped(base_total, input.base_currency),
                input.base_currency.to_string(),
            ),
        };
        let account = input.balances.copied().unwrap_or_default();
        let base = |amount: Decimal| money::grouped(amount, input.base_currency);
        EmailContext {
            customer: CustomerContext {
                id: single_line(input.customer_id),
                name: single_line(input.customer_name),
                email: single_line(input.email),
                outstanding: base(account.outstanding),
                unutilised_credit: base(account.unutilised_credit),
                unapplied_cash: base(account.unapplied_cash),
                net_balance: base(account.net()),
                base_currency: input.base_currency.to_string(),
            },
            table: table.render().trim_end().to_string(),
            totals: Totals {
                count: docs.len(),
                balance,
                currency,
                base_balance: money::grouped(base_total, input.base_currency),
                base_currency: input.base_currency.to_string(),
                balances: by_currency
                    .iter()
                    .map(|(currency, balance)| {
                        format!(
                            "{} {}",
                            money::grouped(*balance, currency),
                            single_line(currency)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" + "),
                by_currency: by_currency
                    .into_iter()
                    .map(|(currency, balance)| CurrencyTotal {
                        currency: single_line(currency),
                        balance: money::grouped(balance, currency),
                    })
                    .collect(),
                max_days_overdue: if docs.is_empty() { 0 } else { max_days },
            },
            documents: docs,
            promise: input
                .promise
                .map(|p| {
                    let own = |amount: Decimal| money::grouped(amount, &p.currency);
                    PromiseContext {
                        amount: own(p.remaining),
                        currency: single_line(&p.currency),
                        promised: own(p.promised),
                        paid: own(p.paid),
                        remaining: own(p.remaining),
                        base_amount: money::grouped(p.base_remaining, input.base_currency),
                        base_currency: input.base_currency.to_string(),
                        date: p.date.to_string(),
                    }
                })
                .unwrap_or_default(),
            collector: single_line(input.collector),
            cycle: input.cycle.to_string(),
            reminder: input.reminder.to_string(),
            today: input.today.to_string(),
        }
    }

    /// A sample context, rendered when a template is loaded to catch its mistakes early.
    pub fn sample() -> EmailContext {
        let today = Date::from_ymd_opt(2026, 1, 31).unwrap_or_default();
        let doc = DocumentFacts {
            id: "INV-1".into(),
            number: Some("1001".into()),
            kind: DocumentKind::Invoice,
            doc_date: Date::from_ymd_opt(2025, 12, 1).unwrap_or_default(),
            due_date: Date::from_ymd_opt(2025, 12, 31),
            amount: Decimal::new(120_000, 2),
            balance: Decimal::new(100_000, 2),
            currency: "USD".into(),
            rate: Decimal::ONE,
        };
        let promise = OpenPromise {
            date: today,
            currency: "USD".into(),
            promised: Decimal::new(50_000, 2),
            paid: Decimal::new(10_000, 2),
            remaining: Decimal::new(40_000, 2),
            base_remaining: Decimal::new(40_000, 2),
        };
        let balances = CustomerBalances {
            outstanding: Decimal::new(100_000, 2),
            unutilised_credit: Decimal::new(15_000, 2),
            unapplied_cash: Decimal::new(5_000, 2),
        };
        EmailContext::build(
            ContextInput {
                customer_id: "C1",
                customer_name: "Sample Customer",
                email: "ap@example.com",
                collector: "collector",
                cycle: "Sample",
                reminder: "Sample",
                base_currency: "USD",
                today,
                promise: Some(&promise),
                balances: Some(&balances),
            },
            &[doc],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_text_is_cut_to_three_segments_in_its_own_alphabet() {
        let short = "Acme: 1,234.56 USD is overdue (INV-1).";
        assert_eq!(fit_sms(short), short);
        // GSM 7-bit: cut to 459 septets, ending `...` (`…` would make it UCS-2).
        let long = format!("Acme: {} INV-1", "word ".repeat(200));
        let cut = fit_sms(&long);
        assert!(cut.ends_with("...") && !cut.contains('…'), "{cut}");
        assert!(cut.chars().count() <= SMS_MAX_CHARS, "{}", cut.len());
        assert!(cut.chars().all(|c| gsm7_septets(c).is_some()));
        // The extension table counts two septets: 300 `€` are 600.
        let euros = fit_sms(&"€".repeat(300));
        assert_eq!(euros.chars().count(), 228 + 3, "{euros}");
        // A text that is UCS-2 anyway (Japanese) is cut to 201 units, ending `…`.
        let kana = fit_sms(&"お支払い".repeat(100));
        assert_eq!(kana.encode_utf16().count(), SMS_MAX_UCS2_UNITS);
        assert!(kana.ends_with('…'));
    }

    /// minijinja names an undefined expression only in its debug mode, which is on by default
    /// in debug builds alone: a release build said "undefined value" and no name. The set
    /// turns it on, so every build names it.
    #[test]
    fn templates_keep_debug_info_in_every_build() {
        let set = TemplateSet::default();
        assert!(set.env.debug());
        let mut set = set;
        set.env.add_template("t", "Hi {{ customer.nam }}").unwrap();
        let e = set
            .env
            .get_template("t")
            .and_then(|t| {
                t.render(minijinja::Value::from(minijinja::value::Serde(
                    EmailContext::sample(),
                )))
            })
            .unwrap_err();
        assert_eq!(
            template_error(Path::new("t.md"), &e).to_string(),
            "t.md, line 1: template error: undefined value `customer.nam` (a template sees \
             customer, documents, table, totals, promise, collector, cycle, reminder, today)"
        );
    }

    /// A reminder larger than a megabyte is said, with its name, customer and size; one of a
    /// megabyte is not. The size counts the subject, the text and the HTML.
    #[test]
    fn a_reminder_larger_than_a_megabyte_is_said() {
        let mail = RenderedEmail {
            subject: "Overdue".into(),
            text: "x".repeat(LARGE_REMINDER_BYTES - 7 - 100),
            html: Some("y".repeat(100)),
        };
        assert_eq!(mail.size(), LARGE_REMINDER_BYTES);
        assert_eq!(large_reminder("D / F to K1", mail.size(), 3), None);
        assert_eq!(
            large_reminder("Standard / Final to K1", 4_928_307, 30_000).as_deref(),
            Some(
                "Standard / Final to K1 renders 4.7 MB for 30,000 document(s), more than 1 MB: \
                 many mail servers refuse a message of 10–25 MB and no customer reads that many \
                 lines, so list fewer in its template and attach the statement \
                 (docs/engagement.md, \"Large reminders\")"
            )
        );
    }

    /// What docs/engagement.md ("Large reminders") proposes in place of `{{ table }}`: the
    /// first documents, and how many more.
    #[test]
    fn a_template_may_list_the_first_documents_and_count_the_rest() {
        let mut set = TemplateSet::default();
        set.env
            .add_template(
                "t",
                "{% for d in documents[:1] %}{{ d.number }} {{ d.balance }}\n{% endfor %}\
                 {% if documents|length > 1 %}and {{ documents|length - 1 }} more: see the \
                 attached statement{% endif %}",
            )
            .unwrap();
        let mut context = EmailContext::sample();
        let render = |context: &EmailContext| {
            set.env
                .get_template("t")
                .unwrap()
                .render(minijinja::Value::from(minijinja::value::Serde(context)))
                .unwrap()
        };
        assert_eq!(render(&context), "1001 1,000.00\n");
        context.documents = vec![context.documents[0].clone(); 3];
        assert_eq!(
            render(&context),
            "1001 1,000.00\nand 2 more: see the attached statement"
        );
    }

    /// The shipped promise reminder states what was promised, and when (it said the open
    /// balance: "Your payment of 400.00 USD" to a customer who had promised 150.00); without
    /// an open promise (a reminder by hand) it says only that the payment is due.
    #[test]
    fn the_promise_reminder_states_the_promise() {
        let mut set = TemplateSet::default();
        set.env
            .add_template(
                "p",
                include_str!("../../config/cycles/templates/promise-reminder.md"),
            )
            .unwrap();
        let render = |context: &EmailContext| {
            set.env
                .get_template("p")
                .unwrap()
                .render(minijinja::Value::from(minijinja::value::Serde(context)))
                .unwrap()
        };
        let mut context = EmailContext::sample();
        let promise = |promised: &str, paid: &str, remaining: &str| PromiseContext {
            amount: remaining.into(),
            currency: "USD".into(),
            promised: promised.into(),
            paid: paid.into(),
            remaining: remaining.into(),
            base_amount: remaining.into(),
            base_currency: "USD".into(),
            date: "2026-05-10".into(),
        };
        context.promise = promise("150.00", "0.00", "150.00");
        let text = render(&context);
        assert!(
            text.starts_with("Your payment of 150.00 USD is due 2026-05-10 (Sample Customer)"),
            "{text}"
        );
        assert!(
            text.contains("As agreed, 150.00 USD is due on 2026-05-10.\nFor reference"),
            "{text}"
        );
        // Part of it paid: the rest is due, and what arrived is acknowledged.
        context.promise = promise("150.00", "50.00", "100.00");
        let text = render(&context);
        assert!(
            text.contains(
                "As agreed, 100.00 USD is due on 2026-05-10.\nWe have received 50.00 USD of the \
                 150.00 USD promised: thank you.\n"
            ),
            "{text}"
        );
        context.promise = PromiseContext::default();
        let text = render(&context);
        assert!(
            text.starts_with("Your promised payment is due tomorrow (Sample Customer)"),
            "{text}"
        );
    }

    #[test]
    fn the_first_line_is_the_subject() {
        let (s, b) = split_subject("\nSubject: Hello\n\n\nBody\nmore\n").unwrap();
        assert_eq!(s, "Hello");
        assert_eq!(b, "Body\nmore\n");
        let (s, b) = split_subject("Overdue invoices\r\nDear X").unwrap();
        assert_eq!(s, "Overdue invoices");
        assert_eq!(b, "Dear X");
        assert!(split_subject("  \nbody").is_none());
    }

    #[test]
    fn billing_text_cannot_break_lines() {
        let mut input_name = String::from("Evil Corp\r\nBcc: victim@example.com");
        input_name.push('\u{0}');
        assert_eq!(
            single_line(&input_name),
            "Evil Corp  Bcc: victim@example.com "
        );
        // Reordering what follows (`Acme, due 00.005 USD` shown as `Acme, due 500.00 USD`)
        // or hiding a character: left out.
        assert_eq!(
            single_line("Acme\u{202e}\u{2066}, due\u{2069}\u{200b} \u{feff}Co"),
            "Acme, due Co"
        );
        assert_eq!(single_line("Zoë Ångström 東京"), "Zoë Ångström 東京");
    }

    #[test]
    fn the_context_formats_amounts_and_totals() {
        let today = Date::from_ymd_opt(2026, 4, 30).unwrap();
        let doc = |id: &str, due: (i32, u32, u32), bal: i64, cur: &str, rate: i64| DocumentFacts {
            id: id.into(),
            number: None,
            kind: DocumentKind::Invoice,
            doc_date: Date::from_ymd_opt(2026, 1, 1).unwrap(),
            due_date: Date::from_ymd_opt(due.0, due.1, due.2),
            amount: Decimal::new(bal, 2),
            balance: Decimal::new(bal, 2),
            currency: cur.into(),
            rate: Decimal::new(rate, 2),
        };
        let ctx = EmailContext::build(
            ContextInput {
                customer_id: "K1",
                customer_name: "Kite\nSupplies",
                email: "ap@kite.example",
                collector: "alice",
                cycle: "c",
                reminder: "r",
                base_currency: "USD",
                today,
                promise: None,
                balances: None,
            },
            &[
                doc("A1", (2026, 3, 31), 123_456, "USD", 100),
                doc("B1", (2026, 4, 19), 100_000, "EUR", 108),
            ],
        );
        assert_eq!(ctx.customer.name, "Kite Supplies");
        assert_eq!(ctx.documents[0].balance, "1,234.56");
        assert_eq!(ctx.documents[0].days_overdue, 30);
        assert_eq!(ctx.documents[1].days_overdue, 11);
        // Two currencies: the total is in the base currency.
        assert_eq!(ctx.totals.balance, "2,314.56");
        assert_eq!(ctx.totals.currency, "USD");
        assert_eq!(ctx.totals.base_balance, "2,314.56");
        assert_eq!(ctx.totals.max_days_overdue, 30);
        assert_eq!(ctx.totals.by_currency.len(), 2);
        assert!(ctx.table.contains("A1"), "{}", ctx.table);
        assert!(ctx.table.contains(" 30 days overdue "), "{}", ctx.table);
        // Every column has a heading over its underline (the currency's had none).
        let lines: Vec<&str> = ctx.table.lines().collect();
        let headings: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(
            headings,
            ["Document", "Date", "Due", "Status", "Balance", "Currency"],
            "{}",
            ctx.table
        );
        assert_eq!(lines[1].split_whitespace().count(), headings.len());
    }

    /// A customer's documents in two currencies: 500.00 EUR and 100.00 GBP (670.00 USD).
    fn two_currencies() -> EmailContext {
        let doc = |id: &str, balance: i64, currency: &str, rate: i64| DocumentFacts {
            id: id.into(),
            number: None,
            kind: DocumentKind::Invoice,
            doc_date: Date::from_ymd_opt(2026, 3, 20).unwrap(),
            due_date: Date::from_ymd_opt(2026, 4, 19),
            amount: Decimal::new(balance, 2),
            balance: Decimal::new(balance, 2),
            currency: currency.into(),
            rate: Decimal::new(rate, 2),
        };
        EmailContext::build(
            ContextInput {
                customer_id: "E1",
                customer_name: "Euro AG",
                email: "ap@euro.example",
                collector: "alice",
                cycle: "c",
                reminder: "r",
                base_currency: "USD",
                today: Date::from_ymd_opt(2026, 4, 30).unwrap(),
                promise: None,
                balances: None,
            },
            &[
                doc("RE-1", 50_000, "EUR", 112),
                doc("RE-G1", 10_000, "GBP", 110),
            ],
        )
    }

    /// The totals of documents in two currencies are per currency, as a statement's are: the
    /// shipped templates said "Total open: 670.00 USD" to a customer billed in euros and
    /// pounds, and nothing in dollars. One currency reads as it did.
    #[test]
    fn totals_of_two_currencies_are_per_currency() {
        let ctx = two_currencies();
        assert_eq!(ctx.totals.balances, "500.00 EUR + 100.00 GBP");
        // The variables of before are as they were.
        assert_eq!(
            (ctx.totals.balance.as_str(), ctx.totals.currency.as_str()),
            ("670.00", "USD")
        );
        let ctx = EmailContext::sample();
        assert_eq!(ctx.totals.balances, "1,000.00 USD");
    }

    /// Every shipped template (its text, HTML and text-message versions) states a total of
    /// two currencies per currency, and none converts it into the base currency.
    #[test]
    fn the_shipped_templates_state_totals_per_currency() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/cycles/templates");
        let mut set = TemplateSet::default();
        let ctx = two_currencies();
        let mut stating = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let template = set.load(&path).unwrap();
            let email = set.render(&template, &ctx).unwrap();
            let sms = set.render_sms(&template, &ctx).unwrap();
            let parts = [
                email.subject,
                email.text,
                email.html.unwrap_or_default(),
                sms,
            ];
            for part in &parts {
                assert!(!part.contains("USD"), "{}: {part}", path.display());
            }
            let states = |part: &String| part.contains("500.00 EUR + 100.00 GBP");
            if parts.iter().any(states) {
                stating.push(template.stem());
                // The HTML and the text message say it too.
                assert!(!template.has_html || states(&parts[2]), "{}", parts[2]);
                assert!(!template.has_sms || states(&parts[3]), "{}", parts[3]);
            }
        }
        stating.sort();
        assert_eq!(
            stating,
            [
                "card-update-again",
                "due-soon",
                "final",
                "firm",
                "friendly",
                "key-courtesy",
                "key-escalation",
                "promise-reminder"
            ]
        );
    }

    /// `totals.max_days_overdue` is the oldest document's lateness: the final notice said "The
    /// documents below are now more than 22 days past due" above documents 22, 12 and 3 days
    /// overdue. Every shipped sentence using it says it is the oldest's.
    #[test]
    fn the_shipped_templates_say_the_most_days_overdue_are_the_oldest_documents() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/cycles/templates");
        let mut using = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines().filter(|l| l.contains("max_days_overdue")) {
                using += 1;
                assert!(line.contains("the oldest"), "{}: {line}", path.display());
            }
        }
        assert!(
            using >= 3,
            "the shipped templates use totals.max_days_overdue"
        );
    }

    /// A promise is given to templates in the currency it was made in, with that currency's
    /// minor units (yen have none), and in the base currency beside it.
    #[test]
    fn the_promise_is_in_its_own_currency() {
        let today = Date::from_ymd_opt(2026, 5, 9).unwrap();
        let promise = OpenPromise {
            date: Date::from_ymd_opt(2026, 5, 10).unwrap(),
            currency: "JPY".into(),
            promised: Decimal::new(100_000, 0),
            paid: Decimal::new(40_000, 0),
            remaining: Decimal::new(60_000, 0),
            base_remaining: Decimal::new(39_300, 2),
        };
        let ctx = EmailContext::build(
            ContextInput {
                customer_id: "J1",
                customer_name: "Yen KK",
                email: "ap@yen.example",
                collector: "alice",
                cycle: "c",
                reminder: "r",
                base_currency: "USD",
                today,
                promise: Some(&promise),
                balances: None,
            },
            &[],
        );
        assert_eq!(
            ctx.promise,
            PromiseContext {
                amount: "60,000".into(),
                currency: "JPY".into(),
                promised: "100,000".into(),
                paid: "40,000".into(),
                remaining: "60,000".into(),
                base_amount: "393.00".into(),
                base_currency: "USD".into(),
                date: "2026-05-10".into(),
            }
        );
    }

    /// A reminder's total is the sum of the balances its table lists, each rounded half away
    /// from zero: 10.13 + 10.14 + 0.01 = 20.28, not the exact 20.265 rounded (20.27).
    #[test]
    fn the_total_is_the_sum_of_the_balances_listed() {
        let doc = |id: &str, balance: &str| DocumentFacts {
            id: id.into(),
            number: None,
            kind: DocumentKind::Invoice,
            doc_date: Date::from_ymd_opt(2026, 5, 1).unwrap(),
            due_date: Date::from_ymd_opt(2026, 6, 1),
            amount: balance.parse().unwrap(),
            balance: balance.parse().unwrap(),
            currency: "USD".into(),
            rate: Decimal::ONE,
        };
        let ctx = EmailContext::build(
            ContextInput {
                customer_id: "G1",
                customer_name: "Gamma",
                email: "g@x.example",
                collector: "alice",
                cycle: "c",
                reminder: "r",
                base_currency: "USD",
                today: Date::from_ymd_opt(2026, 6, 30).unwrap(),
                promise: None,
                balances: None,
            },
            &[doc("D1", "10.125"), doc("D2", "10.135"), doc("D3", "0.005")],
        );
        let shown: Vec<&str> = ctx.documents.iter().map(|d| d.balance.as_str()).collect();
        assert_eq!(shown, ["10.13", "10.14", "0.01"]);
        assert_eq!(ctx.totals.balance, "20.28");
        assert_eq!(ctx.totals.by_currency[0].balance, "20.28");
        assert_eq!(ctx.totals.base_balance, "20.28");
    }

    /// The table a customer reads says how each document stands in words: a reminder may name
    /// documents not yet due, and "Days -2" read as nothing to a customer.
    #[test]
    fn the_table_says_overdue_or_due_in_words() {
        assert_eq!(due_phrase(30), "30 days overdue");
        assert_eq!(due_phrase(1), "1 day overdue");
        assert_eq!(due_phrase(0), "due today");
        assert_eq!(due_phrase(-1), "due in 1 day");
        assert_eq!(due_phrase(-3), "due in 3 days");
    }
}
