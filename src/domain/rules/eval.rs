//! Evaluation of a checked rule against one customer, document or payment
//! profile.
//!
//! Semantics:
//! - Relative dates resolve against the `today` given to [`Expr::eval`]; the
//!   clock is never read.
//! - Numbers are numbers: an [`Value::Integer`] compares with a decimal value
//!   and an [`Value::Amount`] with a whole-number value.
//! - Text compares as people's names are told apart (`person_key`: case and
//!   width folded in every script, the accents kept); `includes [..]`
//!   holds when the value equals one of the listed values, `excludes [..]`
//!   when it equals none of them.
//! - A missing value ([`Value::Null`]), or a value of a kind that does not
//!   fit the field's type, makes every comparison false except `!=` and
//!   `excludes`, which are true: a customer with no finance owner does not
//!   have `finance_owner = alice`, and does have `finance_owner != alice`.
//!   `not` inverts the result as usual.
//! - `is empty` holds for such a value too: no value, blank text, or text that
//!   does not read as the field's type (a custom field typed as a number or a
//!   date), so that `is empty` and every comparison agree on what is there.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::BuildHasher;

use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::Decimal;

use super::ast::{CmpOp, Comparison, DateLit, Expr, Literal, Node, Test};
use super::fields::FieldType;
use crate::domain::text::person_key;

/// The value of a field, as the caller computes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// No value (no owner, no reply yet, ...).
    Null,
    /// A decimal number: money in the base currency, or days for `monthly_dso`.
    Amount(Decimal),
    /// A whole number; compares with amounts as a number.
    Integer(i64),
    Date(NaiveDate),
    /// Text, or the value of a choice field (matched case-insensitively).
    Text(String),
    /// The value of a yes/no field.
    Bool(bool),
}

impl From<Decimal> for Value {
    fn from(value: Decimal) -> Self {
        Value::Amount(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Integer(value)
    }
}

impl From<NaiveDate> for Value {
    fn from(value: NaiveDate) -> Self {
        Value::Date(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(value.to_string())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

/// Gives the values of fields by name (the names [`Expr::field_names`]
/// returns); a field the caller has no value for is [`Value::Null`].
pub trait Fields {
    /// The value of field `name` (a built-in name in lowercase, or a custom
    /// field name as written in the rule).
    fn get(&self, name: &str) -> Value;
}

/// A map from field names to values; absent names are [`Value::Null`].
impl<S: BuildHasher> Fields for HashMap<String, Value, S> {
    fn get(&self, name: &str) -> Value {
        HashMap::get(self, name).cloned().unwrap_or(Value::Null)
    }
}

/// Any `Fn(&str) -> Value` gives field values.
impl<F: Fn(&str) -> Value> Fields for F {
    fn get(&self, name: &str) -> Value {
        self(name)
    }
}

impl Expr {
    /// Whether the rule holds for the profile `fields` on the day `today`.
    pub fn eval(&self, fields: &dyn Fields, today: NaiveDate) -> bool {
        self.root.holds(fields, today)
    }
}

impl Node {
    fn holds(&self, fields: &dyn Fields, today: NaiveDate) -> bool {
        match self {
            Node::All(nodes) => nodes.iter().all(|node| node.holds(fields, today)),
            Node::Any(nodes) => nodes.iter().any(|node| node.holds(fields, today)),
            Node::Not(node) => !node.holds(fields, today),
            Node::Test(comparison) => comparison.holds(fields, today),
        }
    }
}

impl Comparison {
    fn holds(&self, fields: &dyn Fields, today: NaiveDate) -> bool {
        self.test.holds(&fields.get(&self.field), today)
    }
}

impl Test {
    fn holds(&self, value: &Value, today: NaiveDate) -> bool {
        match self {
            Test::Compare(op, literal) => match literal.compare(value, today) {
                Some(ordering) => op.accepts(ordering),
                None => *op == CmpOp::Ne,
            },
            Test::Between(low, high) => {
                low.compare(value, today).is_some_and(Ordering::is_ge)
                    && high.compare(value, today).is_some_and(Ordering::is_le)
            }
            Test::Includes(values) => text_of(value).is_some_and(|text| values.contains(&text)),
            Test::Excludes(values) => text_of(value).is_none_or(|text| !values.contains(&text)),
            Test::Empty(empty, ty) => is_empty(value, *ty) == *empty,
        }
    }
}

impl CmpOp {
    /// Whether `value OP literal` holds when `value.cmp(literal)` is `ordering`.
    fn accepts(self, ordering: Ordering) -> bool {
        match self {
            CmpOp::Lt => ordering.is_lt(),
            CmpOp::Gt => ordering.is_gt(),
            CmpOp::Le => ordering.is_le(),
            CmpOp::Ge => ordering.is_ge(),
            CmpOp::Eq => ordering.is_eq(),
            CmpOp::Ne => ordering.is_ne(),
        }
    }
}

impl Literal {
    /// How `value` compares to this literal (`value.cmp(self)`), or `None`
    /// when the value is missing or of a kind that does not compare.
    fn compare(&self, value: &Value, today: NaiveDate) -> Option<Ordering> {
        match self {
            Literal::Number(number) => Some(number_of(value)?.cmp(number)),
            Literal::Date(DateLit::Month(months)) => {
                let (first, last) = month_of(today, *months)?;
                let day = date_of(value)?;
                Some(if day < first {
                    Ordering::Less
                } else if day > last {
                    Ordering::Greater
                } else {
                    Ordering::Equal
                })
            }
            Literal::Date(date) => Some(date_of(value)?.cmp(&date.resolve(today)?)),
            Literal::Text(text) => Some(text_of(value)?.as_str().cmp(text.as_str())),
            Literal::Bool(flag) => Some(bool_of(value)?.cmp(flag)),
        }
    }
}

/// The first and last day of the month `months` from `today`'s (0: its own, -1: the one
/// before).
fn month_of(today: NaiveDate, months: i32) -> Option<(NaiveDate, NaiveDate)> {
    let first_this = today.with_day(1)?;
    let first = if months < 0 {
        first_this.checked_sub_months(Months::new(months.unsigned_abs()))?
    } else {
        first_this.checked_add_months(Months::new(months.unsigned_abs()))?
    };
    let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
    Some((first, last))
}

/// Whether a value of a field of type `ty` is missing: no value, blank text, or a value that
/// does not read as the type (a custom field typed as a number or a date whose text is not
/// one), as every comparison reads it.
fn is_empty(value: &Value, ty: FieldType) -> bool {
    match ty {
        FieldType::Amount | FieldType::Integer => number_of(value).is_none(),
        FieldType::Date => date_of(value).is_none(),
        _ => match value {
            Value::Null => true,
            Value::Text(text) => text.trim().is_empty(),
            _ => false,
        },
    }
}

impl DateLit {
    /// The calendar date meant on the day `today` (a month's first day for a month).
    fn resolve(self, today: NaiveDate) -> Option<NaiveDate> {
        match self {
            DateLit::On(date) => Some(date),
            DateLit::Month(months) => month_of(today, months).map(|(first, _)| first),
            DateLit::DaysFromToday(days) => {
                let span = Days::new(days.unsigned_abs());
                if days < 0 {
                    today.checked_sub_days(span)
                } else {
                    today.checked_add_days(span)
                }
            }
        }
    }
}

/// A number; text (a custom field typed as a number) read as one.
fn number_of(value: &Value) -> Option<Decimal> {
    match value {
        Value::Amount(amount) => Some(*amount),
        Value::Integer(integer) => Some(Decimal::from(*integer)),
        Value::Text(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A date; text (a custom field typed as a date) read as `YYYY-MM-DD`.
fn date_of(value: &Value) -> Option<NaiveDate> {
    match value {
        Value::Date(date) => Some(*date),
        Value::Text(text) => NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok(),
        _ => None,
    }
}

/// Text folded as people's names are told apart ([`person_key`]), as literals are.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Text(text) => Some(person_key(text)),
        _ => None,
    }
}

fn bool_of(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        _ => None,
    }
}
