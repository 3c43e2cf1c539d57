//! The fields a rule can test, per level, and how a field name written in a
//! rule is resolved (with helpful errors for misspelt or misplaced names).

use std::fmt::{self, Write as _};

/// The three levels a cycle has a rule for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// The customer rule: which customers enter the cycle.
    Customer,
    /// The document rule: which of their documents the reminders are about.
    Document,
    /// The optional payment rule, over the customer's payment profile.
    Payment,
}

impl Level {
    /// Every level, in the order of a cycle file.
    pub const ALL: [Level; 3] = [Level::Customer, Level::Document, Level::Payment];

    /// The lowercase name used in messages (`customer`, `document`, `payment`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Level::Customer => "customer",
            Level::Document => "document",
            Level::Payment => "payment",
        }
    }

    /// Whether custom fields (`cf_*`, always text) exist at this level.
    #[must_use]
    pub fn has_custom_fields(self) -> bool {
        matches!(self, Level::Customer | Level::Document)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The type of a field, which decides the operators and values it takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// A decimal number: money in the base currency, or (for `monthly_dso`)
    /// a number of days. Takes plain numbers such as `1000` or `99.50`.
    Amount,
    /// A calendar date. Takes `YYYY-MM-DD`, `today`, `N days ago`, `in N days`.
    Date,
    /// Free text, compared case-insensitively.
    Text,
    /// A flag. Takes `yes` or `no`.
    YesNo,
    /// A switch (`auto_collection`): a flag that also takes `on` and `off`, as the import
    /// and the workstation write it.
    OnOff,
    /// A whole number, such as a count of attempts or days.
    Integer,
    /// Text restricted to the listed (lowercase) values.
    Enum(&'static [&'static str]),
}

impl FieldType {
    /// The type as a noun phrase with its article, e.g. "an amount field".
    pub(super) fn described(self) -> &'static str {
        match self {
            FieldType::Amount => "an amount field",
            FieldType::Date => "a date field",
            FieldType::Text => "a text field",
            FieldType::YesNo => "a yes/no field",
            FieldType::OnOff => "an on/off field",
            FieldType::Integer => "a whole-number field",
            FieldType::Enum(_) => "a choice field",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::Amount => f.write_str("amount"),
            FieldType::Date => f.write_str("date"),
            FieldType::Text => f.write_str("text"),
            FieldType::YesNo => f.write_str("yes/no"),
            FieldType::OnOff => f.write_str("on/off"),
            FieldType::Integer => f.write_str("whole number"),
            FieldType::Enum(values) => write!(f, "one of {}", values.join(", ")),
        }
    }
}

/// Values of the enumerated fields that come from the import format: document `type`,
/// `last_attempted_payment_status`, `last_attempted_payment_method`, `payment_source_status`,
/// `subscription_status`.
pub use crate::domain::format::{
    DOCUMENT_TYPES, PAYMENT_METHODS, PAYMENT_SOURCE_STATUSES, PAYMENT_STATUSES,
    SUBSCRIPTION_STATUSES,
};
/// Values of `payment_risk`.
pub const PAYMENT_RISKS: &[&str] = &["high", "medium", "low"];
/// Values of `transaction_type`: invoices and debit notes are debits, credit notes credits.
pub const TRANSACTION_TYPES: &[&str] = &["debit", "credit"];
/// Values of `dunning_status` (the billing system's retry state of the last payment).
pub use crate::domain::format::DUNNING_STATUSES;

use FieldType::{Amount, Date, Enum, Integer, OnOff, Text, YesNo};

const CUSTOMER_FIELDS: &[(&str, FieldType)] = &[
    ("outstanding", Amount),
    ("overdue", Amount),
    ("net_overdue", Amount),
    ("open_debits", Amount),
    ("unapplied_cash", Amount),
    ("unutilised_credit", Amount),
    ("aging_current", Amount),
    ("aging_1_30", Amount),
    ("aging_31_60", Amount),
    ("aging_61_90", Amount),
    ("aging_91_120", Amount),
    ("aging_120_plus", Amount),
    ("open_issue_amount", Amount),
    ("open_p2p_amount", Amount),
    ("last_email_date", Date),
    ("last_reply_date", Date),
    ("next_p2p_date", Date),
    ("finance_owner", Text),
    ("sales_owner", Text),
    ("outstanding_mismatch", YesNo),
    ("average_payment_attempts", Amount),
    ("card_last4", Text),
];

const DOCUMENT_FIELDS: &[(&str, FieldType)] = &[
    ("amount", Amount),
    ("balance", Amount),
    ("converted_amount", Amount),
    ("converted_balance", Amount),
    ("open_issue_amount", Amount),
    ("open_p2p_amount", Amount),
    ("doc_date", Date),
    ("due_date", Date),
    ("posting_date", Date),
    ("p2p_date", Date),
    ("last_email_date", Date),
    ("last_reply_date", Date),
    ("type", Enum(DOCUMENT_TYPES)),
    ("transaction_type", Enum(TRANSACTION_TYPES)),
    ("currency", Text),
    ("location", Text),
    ("business_unit", Text),
    ("has_p2p_date", YesNo),
    ("disputed", YesNo),
    ("paid", YesNo),
];

const PAYMENT_FIELDS: &[(&str, FieldType)] = &[
    ("last_attempted_payment_date", Date),
    ("last_attempted_payment_status", Enum(PAYMENT_STATUSES)),
    ("last_attempted_payment_amount", Amount),
    ("last_attempted_payment_method", Enum(PAYMENT_METHODS)),
    ("last_attempted_payment_failure", Text),
    ("last_payment_gateway", Text),
    ("payment_attempts", Integer),
    ("primary_payment_method", Text),
    ("backup_payment_method", Text),
    ("auto_collection", OnOff),
    ("net_term_days", Integer),
    ("payment_risk", Enum(PAYMENT_RISKS)),
    ("payment_source_status", Enum(PAYMENT_SOURCE_STATUSES)),
    ("monthly_dso", Amount),
    ("subscription_status", Enum(SUBSCRIPTION_STATUSES)),
    ("dunning_status", Enum(DUNNING_STATUSES)),
    ("next_retry_date", Date),
];

/// The types of custom fields (`cf_*`), from the config's `[custom_fields]`; a custom field
/// not listed is text. Which custom fields exist at a level may be told too
/// ([`CustomFields::know`]: those the imported customers or documents carry): then a `cf_*`
/// name neither typed here nor among them is an unknown field, a misspelling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomFields {
    types: std::collections::BTreeMap<String, FieldType>,
    /// The custom fields the customers carry, and the documents; `None`: not told, any
    /// `cf_*` name is taken.
    customers: Option<std::collections::BTreeSet<String>>,
    documents: Option<std::collections::BTreeSet<String>>,
}

impl CustomFields {
    /// The type names a config may give: `number`, `date`, `text`.
    pub const TYPE_NAMES: &'static [&'static str] = &["number", "date", "text"];

    /// Types `name` (a `cf_*` name) by `type_name` (`number`, `date` or `text`).
    ///
    /// # Errors
    ///
    /// A sentence when the name is not a custom field name or the type is unknown.
    pub fn insert(&mut self, name: &str, type_name: &str) -> Result<(), String> {
        if !is_custom(name) {
            return Err(format!(
                "`{name}` is not a custom field name (they start with `cf_`)"
            ));
        }
        let ty = match type_name {
            "number" => Amount,
            "date" => Date,
            "text" => Text,
            other => {
                return Err(format!(
                    "custom field `{name}` has the type `{other}`; use number, date or text"
                ));
            }
        };
        self.types.insert(name.to_string(), ty);
        Ok(())
    }

    /// The type of custom field `name`: as configured, else text.
    #[must_use]
    pub fn type_of(&self, name: &str) -> FieldType {
        self.types.get(name).copied().unwrap_or(Text)
    }

    /// Whether the config types `name` (declares it in `[custom_fields]`).
    #[must_use]
    pub fn declares(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    /// Tells which custom fields the records of `level` carry (the `cf_*` columns imported
    /// with a value): from now on a `cf_*` name at that level is known when it is one of
    /// `names` or typed in the config, and refused as a misspelt field otherwise. A level
    /// without custom fields is left as it is.
    pub fn know(&mut self, level: Level, names: impl IntoIterator<Item = String>) {
        let set = names.into_iter().collect();
        match level {
            Level::Customer => self.customers = Some(set),
            Level::Document => self.documents = Some(set),
            Level::Payment => {}
        }
    }

    /// Whether custom fields of `level` are limited to the known ones.
    #[must_use]
    pub fn knows(&self, level: Level) -> bool {
        self.carried(level).is_some()
    }

    fn carried(&self, level: Level) -> Option<&std::collections::BTreeSet<String>> {
        match level {
            Level::Customer => self.customers.as_ref(),
            Level::Document => self.documents.as_ref(),
            Level::Payment => None,
        }
    }

    /// Whether `name` (a `cf_*` name) is a custom field of `level`: typed in the config, or
    /// carried by its records, or anything when they were not told.
    #[must_use]
    pub fn is_known(&self, level: Level, name: &str) -> bool {
        self.declares(name) || self.carried(level).is_none_or(|set| set.contains(name))
    }

    /// The known custom field names of `level`, in order (none when they were not told).
    fn names(&self, level: Level) -> impl Iterator<Item = &str> {
        let carried = self.carried(level);
        let mut names: Vec<&str> = self.types.keys().map(String::as_str).collect();
        names.extend(carried.into_iter().flatten().map(String::as_str));
        names.sort_unstable();
        names.dedup();
        if carried.is_none() {
            names.clear();
        }
        names.into_iter()
    }
}

/// The prefix of custom fields.
pub const CUSTOM_PREFIX: &str = "cf_";

/// The named fields of a level with their types, for help and completion.
///
/// Custom fields (`cf_*`) are not listed; see [`Level::has_custom_fields`].
#[must_use]
pub fn fields(level: Level) -> &'static [(&'static str, FieldType)] {
    match level {
        Level::Customer => CUSTOMER_FIELDS,
        Level::Document => DOCUMENT_FIELDS,
        Level::Payment => PAYMENT_FIELDS,
    }
}

/// The type of field `name` at `level`, or `None` if the level has no such
/// field. Built-in names match case-insensitively; a custom field name must
/// start with `cf_` and is text at customer and document level.
#[must_use]
pub fn field_type(level: Level, name: &str) -> Option<FieldType> {
    if is_custom(name) {
        return level.has_custom_fields().then_some(Text);
    }
    builtin(level, name).map(|(_, ty)| ty)
}

/// A built-in field of `level`, matched case-insensitively.
fn builtin(level: Level, name: &str) -> Option<(&'static str, FieldType)> {
    fields(level)
        .iter()
        .find(|(known, _)| known.eq_ignore_ascii_case(name))
        .copied()
}

/// Whether `name` is a well-formed custom field name (`cf_` and at least one
/// more letter, digit or underscore).
fn is_custom(name: &str) -> bool {
    name.strip_prefix(CUSTOM_PREFIX)
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(is_name_char))
}

/// Whether `c` may appear in a field name after its first character.
pub(super) fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `word` has the shape of a field name (a letter or `_`, then
/// letters, digits and underscores).
pub(super) fn looks_like_field(word: &str) -> bool {
    let mut chars = word.chars();
    chars
        .next()
        .is_some_and(|first| first.is_alphabetic() || first == '_')
        && chars.all(is_name_char)
}

/// Resolves a field name written in a rule at `level` to the name passed to
/// [`super::Fields::get`] and its type, or explains why it cannot be used.
///
/// Built-in names are returned in their canonical lowercase spelling; custom
/// field names verbatim, typed by `custom`.
pub(super) fn resolve(
    level: Level,
    word: &str,
    custom: &CustomFields,
) -> Result<(String, FieldType), String> {
    if is_custom(word) {
        return if level.has_custom_fields() && custom.is_known(level, word) {
            Ok((word.to_string(), custom.type_of(word)))
        } else if level.has_custom_fields() {
            Err(unknown_custom(level, word, custom))
        } else {
            Err(format!(
                "custom fields such as `{word}` belong to customers and documents; \
                 they cannot be used in a {level} rule"
            ))
        };
    }
    if let Some((name, ty)) = builtin(level, word) {
        return Ok((name.to_string(), ty));
    }
    Err(not_at_level(level, word))
}

/// The message for a well-formed `cf_*` name that is no custom field of `level`: neither
/// typed in the config nor carried by any record imported.
fn unknown_custom(level: Level, word: &str, custom: &CustomFields) -> String {
    let mut message = format!("unknown field `{word}` at {level} level");
    let records = match level {
        Level::Document => "documents",
        _ => "customers",
    };
    if let Some(close) = closest(word, custom.names(level)) {
        let _ = write!(message, "; did you mean `{close}`?");
    } else {
        let _ = write!(
            message,
            "; no imported {records} carry it, and `[custom_fields]` in the config does not \
             declare it"
        );
    }
    message
}

/// The message for a name that is not a field of `level`.
fn not_at_level(level: Level, word: &str) -> String {
    let homes: Vec<Level> = Level::ALL
        .into_iter()
        .filter(|&other| builtin(other, word).is_some())
        .collect();
    if !homes.is_empty() {
        return format!(
            "`{}` is a {} field; it cannot be used in a {level} rule",
            word.to_ascii_lowercase(),
            levels_phrase(&homes)
        );
    }
    let names = fields(level).iter().map(|(name, _)| *name);
    let mut message = format!("unknown field `{word}` at {level} level");
    if let Some(close) = closest(word, names) {
        let _ = write!(message, "; did you mean `{close}`?");
    } else if level.has_custom_fields() && word == CUSTOM_PREFIX {
        message.push_str("; a custom field needs a name after `cf_`");
    } else if level.has_custom_fields() && word.to_lowercase().starts_with(CUSTOM_PREFIX) {
        message.push_str("; custom field names start with a lowercase `cf_`");
    }
    message
}

/// "document-level" or "customer- and document-level".
fn levels_phrase(levels: &[Level]) -> String {
    let names: Vec<&str> = levels.iter().map(|level| level.name()).collect();
    match names.split_last() {
        Some((last, [])) => format!("{last}-level"),
        Some((last, rest)) => format!("{}- and {last}-level", rest.join("-, ")),
        None => String::new(),
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough
/// to be a plausible misspelling (case is ignored).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .map(|candidate| (edit_distance(&word, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and transpositions of adjacent characters each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance("overdeu", "overdue"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn levels_phrase_joins_levels() {
        assert_eq!(levels_phrase(&[Level::Document]), "document-level");
        assert_eq!(
            levels_phrase(&[Level::Customer, Level::Document]),
            "customer- and document-level"
        );
    }

    #[test]
    fn no_field_is_listed_twice_at_a_level() {
        for level in Level::ALL {
            let list = fields(level);
            for (i, (name, _)) in list.iter().enumerate() {
                assert!(!list[..i].iter().any(|(other, _)| other == name), "{name}");
                assert!(looks_like_field(name), "{name}");
            }
        }
    }
}
