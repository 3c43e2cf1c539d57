//! The rule language of engagement cycles.
//!
//! A cycle has up to three rules, one per [`Level`]: which customers enter it,
//! which of their documents it reminds about, and (optionally) which payment
//! profiles qualify. A rule is a boolean expression over the fields of its
//! level:
//!
//! ```text
//! overdue > 1000 and open_issue_amount = 0 and finance_owner includes [alice, bob]
//! type includes [invoice, debit_note] and disputed = no and due_date < 3 days ago
//! last_attempted_payment_status includes [failure]
//! ```
//!
//! [`parse`] reads and type-checks a rule in one pass and returns an [`Expr`]
//! or the first [`RuleError`] in reading order; [`Expr::eval`] decides whether
//! the rule holds for the field values a [`Fields`] gives, on a given day.
//!
//! # Grammar
//!
//! In EBNF; keywords are case-insensitive, white space separates tokens and
//! is otherwise ignored.
//!
//! ```text
//! rule        = or_expr ;
//! or_expr     = and_expr , { "or" , and_expr } ;
//! and_expr    = not_expr , { "and" , not_expr } ;
//! not_expr    = "not" , not_expr | primary ;
//! primary     = "(" , or_expr , ")" | comparison ;
//! comparison  = field , ( cmp_op , value
//!                       | "between" , value , "and" , value
//!                       | ( "includes" | "excludes" ) , list
//!                       | "is" , [ "not" ] , "empty" ) ;
//! cmp_op      = "<" | ">" | "<=" | ">=" | "=" | "==" | "!=" ;
//! list        = "[" , value , { "," , value } , [ "," ] , "]" ;
//! value       = number | date | text | "yes" | "no" ;   (* as the field's type requires *)
//! number      = [ "-" ] , digits , [ "." , digits ] ;
//! date        = digit4 , "-" , digit2 , "-" , digit2      (* a real calendar day *)
//!             | "today" | "this" , "month" | "last" , "month"
//!             | digits , ( "day" | "days" ) , "ago"
//!             | "in" , digits , ( "day" | "days" ) ;
//! text        = word | quoted ;
//! quoted      = '"' , { char - '"' | "\" , char } , '"'
//!             | "'" , { char - "'" | "\" , char } , "'" ;
//! field       = letter_or_underscore , { letter | digit | "_" } ;
//! word        = ? a run of characters other than white space and ( ) [ ] , < > = ! "
//!                 that does not start with ' ? ;
//! ```
//!
//! Precedence is `not` > `and` > `or`. The `and` of `between A and B` is not
//! the boolean `and`: values are read as the field's type requires, so after
//! `between` exactly one value is read, then `and`, then the upper bound.
//!
//! # Types
//!
//! Every field has a [`FieldType`] ([`fields()`] lists them per level; custom
//! fields `cf_*` are text at customer and document level unless [`CustomFields`]
//! types them as numbers or dates). Ordering operators and `between` take
//! amount, whole-number and date fields; `=` and `!=` take every type, with
//! `yes`/`no` for yes/no fields (and `on`/`off` too for `auto_collection`);
//! `includes` and `excludes` take text and choice fields; `is empty` and
//! `is not empty` take every field and test whether it has a value.
//!
//! `this month` and `last month` are months, not days: `due_date = this month`
//! holds for any day of the as-of date's month, `<` means before its first day,
//! `>` after its last, `<=` and `>=` include it; `between last month and this
//! month` runs from the first day of the one to the last day of the other. A choice value must be one of the field's
//! values. Amount fields take any plain number (negative ones too, e.g.
//! `balance < 0`); whole-number fields (`payment_attempts`, `net_term_days`)
//! take whole numbers only; `monthly_dso` is a decimal number of days and
//! typed as an amount. Bare text values cannot be the keywords `and`, `or`,
//! `not`, `between`, `includes`, `excludes`; quote them. Choice values are
//! folded to lowercase; text values as people's names are told apart
//! ([`crate::domain::text::person_key`]: case and width in every script, `ß` as
//! `ss`, composed as imported values are stored: `Zoë` written decomposed is
//! `Zoë`, `ＺＯË` is `zoë`; the accents count). `between A and B` with A known to exceed B
//! (two numbers, two fixed dates or two relative dates) is rejected as empty.
//! At most 100000 days may be written in a relative date, and `not` and
//! parentheses nest at most 64 deep.
//!
//! Built-in field names are case-insensitive; custom field names are passed
//! to [`Fields::get`] exactly as written (they name import columns).
//!
//! # Evaluation
//!
//! - Relative dates resolve against the `today` given to [`Expr::eval`]; the
//!   clock is never read.
//! - Numbers are numbers: [`Value::Integer`] and [`Value::Amount`] compare
//!   with each other and with any number literal.
//! - Text compares by that same fold (a finance owner `ＺＯË` exported full
//!   width is `zoë`, as `--owner` and the team's rows compare owners);
//!   `includes [..]` holds when the value equals one of the listed values,
//!   `excludes [..]` when it equals none.
//! - A missing value ([`Value::Null`]), or a value of a kind that does not
//!   fit the field's type, makes every comparison false except `!=` and
//!   `excludes`, which are true: a customer without a finance owner does not
//!   have `finance_owner = alice` but does have `finance_owner != alice`.
//!   `not` inverts the result as usual. `is empty` holds for a missing value
//!   (and for blank text): `last_email_date is empty` is "never emailed".
//! - A custom field typed as a number or a date compares its text read as one
//!   (`12`, `2026-05-01`); text that does not read so is a missing value, for
//!   `is empty` too: `cf_renewal is empty` holds for `Gold` when `cf_renewal`
//!   is typed as a date.

mod ast;
mod error;
mod eval;
mod fields;
mod lexer;
mod parser;
mod typing;

#[cfg(test)]
mod tests;

pub use ast::Expr;
pub use error::RuleError;
pub use eval::{Fields, Value};
pub(crate) use fields::closest;
pub use fields::{
    CUSTOM_PREFIX, CustomFields, DOCUMENT_TYPES, DUNNING_STATUSES, FieldType, Level,
    PAYMENT_METHODS, PAYMENT_RISKS, PAYMENT_SOURCE_STATUSES, PAYMENT_STATUSES,
    SUBSCRIPTION_STATUSES, TRANSACTION_TYPES, field_type, fields,
};
pub use typing::MAX_DAYS;

/// Parses the rule `src` and checks it against the fields of `level`.
///
/// The error points at the first problem in reading order: a syntax error,
/// an unknown or misplaced field, an operator the field's type does not
/// take, or a value that does not fit the field.
///
/// # Errors
///
/// A [`RuleError`] with the char offset of the first problem and a one-line
/// message; [`RuleError::render`] formats it for a person.
pub fn parse(level: Level, src: &str) -> Result<Expr, RuleError> {
    parser::parse(level, src, &CustomFields::default())
}

/// [`parse`], with custom fields typed by `custom` (untyped ones are text).
///
/// # Errors
///
/// As [`parse`].
pub fn parse_with(level: Level, src: &str, custom: &CustomFields) -> Result<Expr, RuleError> {
    parser::parse(level, src, custom)
}
