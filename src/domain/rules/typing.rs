//! Type checking: which operators each field type accepts, and reading the
//! value(s) after an operator as the field's type requires.
//!
//! | type          | operators                              | values                                   |
//! |---------------|----------------------------------------|------------------------------------------|
//! | amount        | `< > <= >= = !=`, `between`            | `1000`, `99.50`, `-5`                    |
//! | whole number  | `< > <= >= = !=`, `between`            | `3`, `-1`                                |
//! | date          | `< > <= >= = !=`, `between`            | `2026-01-31`, `today`, `N days ago`, `in N days` |
//! | text          | `= !=`, `includes`, `excludes`         | `alice`, `"O'Brien Ltd"`, `'x'`          |
//! | choice        | `= !=`, `includes`, `excludes`         | one of the field's values                |
//! | yes/no        | `= !=`                                 | `yes`, `no`                              |
//! | on/off        | `= !=`                                 | `on`, `off`, `yes`, `no`                 |
//!
//! Every type also takes `is empty` and `is not empty`; dates also take `this month` and
//! `last month`.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::ast::{CmpOp, DateLit, Literal};
use super::error::RuleError;
use super::fields::{FieldType, closest};
use super::lexer::{Token, TokenKind};
use super::parser::{Field, Parser, is_reserved};
use crate::domain::text::person_key;

/// The largest `N` in `N days ago` / `in N days` (about 270 years), so that
/// resolving a relative date can never leave the calendar.
pub const MAX_DAYS: i64 = 100_000;

/// What follows a field name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Operator {
    Cmp(CmpOp),
    Between,
    Includes,
    Excludes,
}

impl Operator {
    /// The operator `token` is, if it is one that `field` takes.
    pub fn for_field(field: &Field, token: &Token) -> Result<Operator, RuleError> {
        let Some(operator) = Operator::of(token) else {
            return Err(RuleError::new(
                token.offset,
                format!(
                    "expected {} after `{}`, found {}",
                    Operator::choices(field.ty),
                    field.name,
                    token.quoted()
                ),
            ));
        };
        if operator.accepts(field.ty) {
            return Ok(operator);
        }
        Err(RuleError::new(
            token.offset,
            format!(
                "`{}` cannot be used with `{}`, {}; use {}",
                operator.name(),
                field.name,
                field.ty.described(),
                Operator::choices(field.ty)
            ),
        ))
    }

    /// The operator `token` is, if any.
    fn of(token: &Token) -> Option<Operator> {
        match token.kind {
            TokenKind::Op(op) => Some(Operator::Cmp(op)),
            _ if token.is_keyword("between") => Some(Operator::Between),
            _ if token.is_keyword("includes") => Some(Operator::Includes),
            _ if token.is_keyword("excludes") => Some(Operator::Excludes),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Operator::Cmp(op) => op.symbol(),
            Operator::Between => "between",
            Operator::Includes => "includes",
            Operator::Excludes => "excludes",
        }
    }

    /// Whether a field of type `ty` accepts this operator.
    fn accepts(self, ty: FieldType) -> bool {
        match self {
            Operator::Cmp(op) if !op.is_ordering() => true,
            Operator::Cmp(_) | Operator::Between => is_ordered(ty),
            Operator::Includes | Operator::Excludes => is_textual(ty),
        }
    }

    /// The operators a field of type `ty` accepts, for messages.
    fn choices(ty: FieldType) -> &'static str {
        if is_ordered(ty) {
            "one of <, >, <=, >=, =, !=, between"
        } else if is_textual(ty) {
            "one of =, !=, includes, excludes"
        } else if ty == FieldType::OnOff {
            "`= on`, `= off`, `= yes` or `= no`"
        } else {
            "`= yes` or `= no`"
        }
    }
}

fn is_ordered(ty: FieldType) -> bool {
    matches!(ty, FieldType::Amount | FieldType::Integer | FieldType::Date)
}

fn is_textual(ty: FieldType) -> bool {
    matches!(ty, FieldType::Text | FieldType::Enum(_))
}

/// What a value of type `ty` looks like, for messages.
fn expectation(ty: FieldType) -> String {
    match ty {
        FieldType::Amount => "an amount (a plain number such as 1000 or 99.50)".to_string(),
        FieldType::Integer => "a whole number".to_string(),
        FieldType::Date => {
            "a date (YYYY-MM-DD, today, N days ago, in N days, this month, last month)".to_string()
        }
        FieldType::Text => "a text value (a word or a quoted string)".to_string(),
        FieldType::Enum(values) => format!("one of {}", values.join(", ")),
        FieldType::YesNo => "`yes` or `no`".to_string(),
        FieldType::OnOff => "`on`, `off`, `yes` or `no`".to_string(),
    }
}

/// "expected <a value of type `ty`> after `<after>`", pointing at `found`.
fn expected(ty: FieldType, after: &Token, found: &Token) -> RuleError {
    RuleError::new(
        found.offset,
        format!("expected {} after `{}`", expectation(ty), after.text),
    )
}

impl Parser {
    /// One value of the field's type, written after the token `after`.
    pub(super) fn value(&mut self, field: &Field, after: &Token) -> Result<Literal, RuleError> {
        match field.ty {
            FieldType::Amount | FieldType::Integer => self.number(field.ty, after),
            FieldType::Date => self.date(after).map(Literal::Date),
            FieldType::Text | FieldType::Enum(_) => self.text_like(field, after).map(Literal::Text),
            FieldType::YesNo => self.yes_no(after, false),
            FieldType::OnOff => self.yes_no(after, true),
        }
    }

    /// `list = "[" value { "," value } [ "," ] "]"` of text or choice values.
    pub(super) fn list(&mut self, field: &Field, after: &Token) -> Result<Vec<String>, RuleError> {
        let open = self.next();
        if open.kind != TokenKind::LBracket {
            return Err(RuleError::new(
                open.offset,
                format!("expected a list such as [a, b] after `{}`", after.text),
            ));
        }
        if self.peek().kind == TokenKind::RBracket {
            let offset = self.peek().offset;
            return Err(RuleError::new(
                offset,
                "the list is empty; give at least one value",
            ));
        }
        let mut items = Vec::new();
        let mut separator = open.clone();
        loop {
            items.push(self.text_like(field, &separator)?);
            separator = self.next();
            match separator.kind {
                TokenKind::Comma if self.peek().kind == TokenKind::RBracket => {
                    self.next();
                    return Ok(items);
                }
                TokenKind::Comma if self.peek().kind != TokenKind::End => {}
                TokenKind::RBracket => return Ok(items),
                TokenKind::Comma | TokenKind::End => {
                    return Err(RuleError::new(open.offset, "missing `]` to close this `[`"));
                }
                _ => {
                    return Err(RuleError::new(
                        separator.offset,
                        format!(
                            "expected `,` or `]` in the list, found {}",
                            separator.quoted()
                        ),
                    ));
                }
            }
        }
    }

    /// A number; for whole-number fields without a fractional part.
    fn number(&mut self, ty: FieldType, after: &Token) -> Result<Literal, RuleError> {
        let token = self.next();
        let text = token
            .atom()
            .filter(|text| is_number(text))
            .filter(|text| ty != FieldType::Integer || !text.contains('.'))
            .ok_or_else(|| expected(ty, after, &token))?;
        Decimal::from_str(text)
            .map(Literal::Number)
            .map_err(|_| RuleError::new(token.offset, format!("`{text}` is too large a number")))
    }

    /// `date = YYYY-MM-DD | "today" | N ("day"|"days") "ago" | "in" N ("day"|"days")`
    fn date(&mut self, after: &Token) -> Result<DateLit, RuleError> {
        let token = self.next();
        if token.is_keyword("today") {
            Ok(DateLit::DaysFromToday(0))
        } else if token.is_keyword("this") || token.is_keyword("last") {
            let month = self.next();
            if !month.is_keyword("month") {
                return Err(RuleError::new(
                    month.offset,
                    format!("expected `month` after `{}`", token.text),
                ));
            }
            Ok(DateLit::Month(if token.is_keyword("this") {
                0
            } else {
                -1
            }))
        } else if token.is_keyword("in") {
            self.days_ahead(&token).map(DateLit::DaysFromToday)
        } else if let Some(text) = token.atom().filter(|text| looks_like_date(text)) {
            calendar_date(text, &token).map(DateLit::On)
        } else if token.word().is_some_and(is_digits) {
            self.days_ago(&token).map(DateLit::DaysFromToday)
        } else {
            Err(expected(FieldType::Date, after, &token))
        }
    }

    /// `N ("day"|"days")` after `in`, as +N.
    fn days_ahead(&mut self, in_token: &Token) -> Result<i64, RuleError> {
        let count = self.next();
        if !count.word().is_some_and(is_digits) {
            return Err(RuleError::new(
                count.offset,
                format!("expected a number of days after `{}`", in_token.text),
            ));
        }
        let days = day_count(&count)?;
        self.day_unit(&count, "`days`")?;
        Ok(days)
    }

    /// `("day"|"days") "ago"` after the count token, as -N.
    fn days_ago(&mut self, count: &Token) -> Result<i64, RuleError> {
        let days = day_count(count)?;
        let unit = self.day_unit(count, "`days ago`")?;
        let ago = self.next();
        if !ago.is_keyword("ago") {
            return Err(RuleError::new(
                ago.offset,
                format!("expected `ago` after `{}`", unit.text),
            ));
        }
        Ok(-days)
    }

    /// Consumes `day` or `days` after `count`; otherwise says `wanted` was expected.
    fn day_unit(&mut self, count: &Token, wanted: &str) -> Result<Token, RuleError> {
        let unit = self.next();
        if unit.is_keyword("day") || unit.is_keyword("days") {
            Ok(unit)
        } else {
            Err(RuleError::new(
                unit.offset,
                format!("expected {wanted} after `{}`", count.text),
            ))
        }
    }

    /// A text value (bare word or quoted), or for a choice field one of its values.
    fn text_like(&mut self, field: &Field, after: &Token) -> Result<String, RuleError> {
        match field.ty {
            FieldType::Enum(values) => self.choice(field, values, after),
            _ => self.text(after),
        }
    }

    /// A bare word that is not a keyword, or a quoted string; folded as people's names are
    /// told apart ([`person_key`]: composed, case and width folded), as the values it is
    /// compared with are. `Zoë` written decomposed (`Zoe` and a combining diaeresis, as some
    /// editors save it) matched nothing, nor `zoë` the owner `ＺＯË` exported full width.
    fn text(&mut self, after: &Token) -> Result<String, RuleError> {
        let token = self.next();
        match &token.kind {
            TokenKind::Quoted(text) => Ok(person_key(text)),
            TokenKind::Word(word) if !is_reserved(word) => Ok(person_key(word)),
            TokenKind::Word(word) => Err(RuleError::new(
                token.offset,
                format!(
                    "expected a text value after `{}`; `{word}` is a keyword, quote it to use it as text",
                    after.text
                ),
            )),
            _ => Err(expected(FieldType::Text, after, &token)),
        }
    }

    /// One of `values` (case-insensitive), bare or quoted; returned lowercase.
    fn choice(
        &mut self,
        field: &Field,
        values: &'static [&'static str],
        after: &Token,
    ) -> Result<String, RuleError> {
        let token = self.next();
        let Some(text) = token.atom() else {
            return Err(expected(field.ty, after, &token));
        };
        let folded = text.to_lowercase();
        if values.contains(&folded.as_str()) {
            return Ok(folded);
        }
        let suggestion = closest(text, values.iter().copied())
            .map(|value| format!("; did you mean `{value}`?"))
            .unwrap_or_default();
        Err(RuleError::new(
            token.offset,
            format!(
                "`{text}` is not a value of `{}` (allowed: {}){suggestion}",
                field.name,
                values.join(", ")
            ),
        ))
    }

    /// `yes` or `no` (and `on` or `off` when `switch`).
    fn yes_no(&mut self, after: &Token, switch: bool) -> Result<Literal, RuleError> {
        let token = self.next();
        if token.is_keyword("yes") || (switch && token.is_keyword("on")) {
            Ok(Literal::Bool(true))
        } else if token.is_keyword("no") || (switch && token.is_keyword("off")) {
            Ok(Literal::Bool(false))
        } else {
            let ty = if switch {
                FieldType::OnOff
            } else {
                FieldType::YesNo
            };
            Err(expected(ty, after, &token))
        }
    }
}

/// `["-"] digits ["." digits]`
fn is_number(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    is_digits(whole) && is_digits(fraction)
}

/// One or more ASCII digits.
fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Digits and dashes starting with a digit and containing a dash: meant as a
/// date, whether or not it is a valid one.
fn looks_like_date(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit())
        && text.contains('-')
        && text.chars().all(|c| c.is_ascii_digit() || c == '-')
}

/// A `YYYY-MM-DD` date that exists in the calendar.
fn calendar_date(text: &str, token: &Token) -> Result<NaiveDate, RuleError> {
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(not_a_date(text, token));
    };
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return Err(not_a_date(text, token));
    }
    let parsed = (year.parse(), month.parse(), day.parse());
    let (Ok(year), Ok(month), Ok(day)) = parsed else {
        return Err(not_a_date(text, token));
    };
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        RuleError::new(
            token.offset,
            format!("`{text}` is not a valid date: there is no such day"),
        )
    })
}

fn not_a_date(text: &str, token: &Token) -> RuleError {
    RuleError::new(
        token.offset,
        format!("`{text}` is not a date; write dates as YYYY-MM-DD"),
    )
}

/// The day count written in `token` (digits), at most [`MAX_DAYS`].
fn day_count(token: &Token) -> Result<i64, RuleError> {
    token
        .text
        .parse::<i64>()
        .ok()
        .filter(|days| *days <= MAX_DAYS)
        .ok_or_else(|| {
            RuleError::new(
                token.offset,
                format!("too many days: at most {MAX_DAYS} days are allowed"),
            )
        })
}
