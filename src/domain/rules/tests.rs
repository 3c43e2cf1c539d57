//! Tests of the rule language through its public interface.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

const TODAY: NaiveDate = match NaiveDate::from_ymd_opt(2026, 1, 31) {
    Some(date) => date,
    None => panic!("bad test date"),
};

fn date(text: &str) -> Value {
    Value::Date(text.parse().expect("test date"))
}

fn amount(text: &str) -> Value {
    Value::Amount(text.parse::<Decimal>().expect("test amount"))
}

fn text(value: &str) -> Value {
    Value::Text(value.to_string())
}

/// The error `src` gives at `level`, as (offset, message).
fn error(level: Level, src: &str) -> (usize, String) {
    match parse(level, src) {
        Ok(expr) => panic!("`{src}` parsed as `{expr}`"),
        Err(error) => (error.offset, error.message),
    }
}

fn error_at(level: Level, src: &str, offset: usize, message: &str) {
    assert_eq!(
        error(level, src),
        (offset, message.to_string()),
        "rule `{src}`"
    );
}

/// Whether `src` holds at `level` for the given field values (others Null).
fn holds(level: Level, src: &str, values: &[(&str, Value)]) -> bool {
    let expr = parse(level, src).unwrap_or_else(|e| panic!("`{src}`: {}", e.message));
    let lookup = |name: &str| {
        values
            .iter()
            .find(|(field, _)| *field == name)
            .map_or(Value::Null, |(_, value)| value.clone())
    };
    expr.eval(&lookup, TODAY)
}

fn customer(src: &str, values: &[(&str, Value)]) -> bool {
    holds(Level::Customer, src, values)
}

fn document(src: &str, values: &[(&str, Value)]) -> bool {
    holds(Level::Document, src, values)
}

fn payment(src: &str, values: &[(&str, Value)]) -> bool {
    holds(Level::Payment, src, values)
}

// ---------------------------------------------------------------- fields

#[test]
fn field_types_cover_every_level() {
    use FieldType::*;
    assert_eq!(field_type(Level::Customer, "overdue"), Some(Amount));
    assert_eq!(field_type(Level::Customer, "aging_120_plus"), Some(Amount));
    assert_eq!(field_type(Level::Customer, "next_p2p_date"), Some(Date));
    assert_eq!(field_type(Level::Customer, "finance_owner"), Some(Text));
    assert_eq!(
        field_type(Level::Customer, "outstanding_mismatch"),
        Some(YesNo)
    );
    assert_eq!(field_type(Level::Customer, "cf_region"), Some(Text));
    assert_eq!(field_type(Level::Customer, "due_date"), None);
    assert_eq!(
        field_type(Level::Document, "type"),
        Some(Enum(DOCUMENT_TYPES))
    );
    assert_eq!(field_type(Level::Document, "cf_project"), Some(Text));
    assert_eq!(field_type(Level::Document, "paid"), Some(YesNo));
    assert_eq!(
        field_type(Level::Payment, "payment_attempts"),
        Some(Integer)
    );
    assert_eq!(field_type(Level::Payment, "net_term_days"), Some(Integer));
    assert_eq!(field_type(Level::Payment, "monthly_dso"), Some(Amount));
    assert_eq!(
        field_type(Level::Payment, "payment_risk"),
        Some(Enum(PAYMENT_RISKS))
    );
    assert_eq!(field_type(Level::Payment, "cf_region"), None);
    assert_eq!(field_type(Level::Payment, "cf_"), None);
    assert_eq!(fields(Level::Customer).len(), 22);
    assert_eq!(fields(Level::Document).len(), 20);
    assert_eq!(fields(Level::Payment).len(), 17);
}

#[test]
fn every_listed_field_parses_with_an_operator_of_its_type() {
    for level in Level::ALL {
        for (name, ty) in fields(level) {
            let src = match ty {
                FieldType::Amount | FieldType::Integer => format!("{name} between 1 and 2"),
                FieldType::Date => format!("{name} >= 3 days ago"),
                FieldType::Text => format!("{name} excludes [a, \"b c\"]"),
                FieldType::YesNo => format!("{name} != yes"),
                FieldType::OnOff => format!("{name} != off"),
                FieldType::Enum(values) => format!("{name} includes [{}]", values.join(", ")),
            };
            let expr = parse(level, &src).unwrap_or_else(|e| panic!("{src}: {}", e.message));
            assert_eq!(expr.field_names(), [*name]);
        }
    }
}

// ---------------------------------------------------------------- SPEC examples

#[test]
fn spec_examples_parse_at_their_levels() {
    let customer =
        "overdue > 1000 and open_issue_amount = 0 and finance_owner includes [alice, bob]";
    let document =
        "type includes [invoice, debit_note] and disputed = no and due_date < 3 days ago";
    let payment = "last_attempted_payment_status includes [failure]";
    assert_eq!(
        parse(Level::Customer, customer).unwrap().to_string(),
        customer
    );
    assert_eq!(
        parse(Level::Document, document).unwrap().to_string(),
        document
    );
    assert_eq!(parse(Level::Payment, payment).unwrap().to_string(), payment);
    assert!(parse(Level::Document, customer).is_err());
    assert!(parse(Level::Customer, document).is_err());
}

#[test]
fn spec_examples_evaluate() {
    let rule = "overdue > 1000 and open_issue_amount = 0 and finance_owner includes [alice, bob]";
    let mut values = vec![
        ("overdue", amount("1000.01")),
        ("open_issue_amount", Value::Integer(0)),
        ("finance_owner", text("Bob")),
    ];
    assert!(customer(rule, &values));
    values[2].1 = text("carol");
    assert!(!customer(rule, &values));

    let rule = "type includes [invoice, debit_note] and disputed = no and due_date < 3 days ago";
    let mut values = vec![
        ("type", text("invoice")),
        ("disputed", Value::Bool(false)),
        ("due_date", date("2026-01-27")),
    ];
    assert!(document(rule, &values));
    values[2].1 = date("2026-01-28");
    assert!(!document(rule, &values));
}

// ---------------------------------------------------------------- errors

#[test]
fn unknown_field_suggests_the_closest() {
    error_at(
        Level::Customer,
        "overdeu > 1000",
        0,
        "unknown field `overdeu` at customer level; did you mean `overdue`?",
    );
    error_at(
        Level::Customer,
        "outstanding > 0 and overdeu > 1",
        20,
        "unknown field `overdeu` at customer level; did you mean `overdue`?",
    );
    error_at(
        Level::Payment,
        "zzz = 1",
        0,
        "unknown field `zzz` at payment level",
    );
    error_at(
        Level::Customer,
        "CF_region = x",
        0,
        "unknown field `CF_region` at customer level; custom field names start with a lowercase `cf_`",
    );
}

#[test]
fn field_of_another_level_names_its_level() {
    error_at(
        Level::Customer,
        "due_date < today",
        0,
        "`due_date` is a document-level field; it cannot be used in a customer rule",
    );
    error_at(
        Level::Payment,
        "last_email_date < today",
        0,
        "`last_email_date` is a customer- and document-level field; it cannot be used in a payment rule",
    );
    error_at(
        Level::Payment,
        "cf_region = north",
        0,
        "custom fields such as `cf_region` belong to customers and documents; \
         they cannot be used in a payment rule",
    );
}

#[test]
fn operator_must_suit_the_field_type() {
    error_at(
        Level::Customer,
        "finance_owner < 5",
        14,
        "`<` cannot be used with `finance_owner`, a text field; use one of =, !=, includes, excludes",
    );
    error_at(
        Level::Customer,
        "overdue includes [1]",
        8,
        "`includes` cannot be used with `overdue`, an amount field; \
         use one of <, >, <=, >=, =, !=, between",
    );
    error_at(
        Level::Document,
        "disputed > no",
        9,
        "`>` cannot be used with `disputed`, a yes/no field; use `= yes` or `= no`",
    );
    error_at(
        Level::Document,
        "type between invoice and credit_note",
        5,
        "`between` cannot be used with `type`, a choice field; use one of =, !=, includes, excludes",
    );
    error_at(
        Level::Document,
        "paid excludes [yes]",
        5,
        "`excludes` cannot be used with `paid`, a yes/no field; use `= yes` or `= no`",
    );
}

#[test]
fn missing_operator() {
    error_at(
        Level::Customer,
        "overdue 1000",
        8,
        "expected one of <, >, <=, >=, =, !=, between after `overdue`, found `1000`",
    );
    error_at(
        Level::Document,
        "disputed",
        8,
        "expected `= yes` or `= no` after `disputed`, found the end of the rule",
    );
}

#[test]
fn bad_dates() {
    error_at(
        Level::Document,
        "due_date < 2026-02-30",
        11,
        "`2026-02-30` is not a valid date: there is no such day",
    );
    error_at(
        Level::Document,
        "due_date < 2026-1-5",
        11,
        "`2026-1-5` is not a date; write dates as YYYY-MM-DD",
    );
    error_at(
        Level::Document,
        "due_date < soon",
        11,
        "expected a date (YYYY-MM-DD, today, N days ago, in N days, this month, last month) after `<`",
    );
    error_at(
        Level::Document,
        "due_date < 3",
        12,
        "expected `days ago` after `3`",
    );
    error_at(
        Level::Document,
        "due_date < 3 days",
        17,
        "expected `ago` after `days`",
    );
    error_at(
        Level::Document,
        "due_date > in x days",
        14,
        "expected a number of days after `in`",
    );
    error_at(
        Level::Document,
        "due_date > in 3 weeks",
        16,
        "expected `days` after `3`",
    );
    error_at(
        Level::Document,
        "due_date > in 100001 days",
        14,
        "too many days: at most 100000 days are allowed",
    );
    error_at(
        Level::Document,
        "due_date > 99999999999999999999999 days ago",
        11,
        "too many days: at most 100000 days are allowed",
    );
}

#[test]
fn bad_choice_value_lists_the_allowed_values() {
    error_at(
        Level::Document,
        "type includes [invoce]",
        15,
        "`invoce` is not a value of `type` (allowed: invoice, debit_note, credit_note); \
         did you mean `invoice`?",
    );
    error_at(
        Level::Payment,
        "payment_risk = severe",
        15,
        "`severe` is not a value of `payment_risk` (allowed: high, medium, low)",
    );
    error_at(
        Level::Payment,
        "payment_risk = ",
        15,
        "expected one of high, medium, low after `=`",
    );
}

#[test]
fn bad_numbers_and_flags() {
    error_at(
        Level::Customer,
        "overdue >",
        9,
        "expected an amount (a plain number such as 1000 or 99.50) after `>`",
    );
    error_at(
        Level::Customer,
        "overdue > $1000",
        10,
        "expected an amount (a plain number such as 1000 or 99.50) after `>`",
    );
    error_at(
        Level::Customer,
        "overdue > 1e5",
        10,
        "expected an amount (a plain number such as 1000 or 99.50) after `>`",
    );
    error_at(
        Level::Payment,
        "payment_attempts > 2.5",
        19,
        "expected a whole number after `>`",
    );
    error_at(
        Level::Customer,
        "overdue > 123456789012345678901234567890",
        10,
        "`123456789012345678901234567890` is too large a number",
    );
    error_at(
        Level::Document,
        "disputed = maybe",
        11,
        "expected `yes` or `no` after `=`",
    );
}

#[test]
fn bad_text_values_and_lists() {
    error_at(
        Level::Customer,
        "finance_owner = and",
        16,
        "expected a text value after `=`; `and` is a keyword, quote it to use it as text",
    );
    error_at(
        Level::Customer,
        "finance_owner includes alice",
        23,
        "expected a list such as [a, b] after `includes`",
    );
    error_at(
        Level::Customer,
        "finance_owner includes [alice bob]",
        30,
        "expected `,` or `]` in the list, found `bob`",
    );
    error_at(
        Level::Customer,
        "finance_owner includes [alice,",
        23,
        "missing `]` to close this `[`",
    );
    error_at(
        Level::Customer,
        "finance_owner includes [alice",
        23,
        "missing `]` to close this `[`",
    );
    error_at(
        Level::Customer,
        "finance_owner includes []",
        24,
        "the list is empty; give at least one value",
    );
    error_at(
        Level::Customer,
        "finance_owner includes [alice, ,]",
        31,
        "expected a text value (a word or a quoted string) after `,`",
    );
    error_at(
        Level::Customer,
        "finance_owner = \"alice",
        16,
        "unterminated string: missing the closing \"",
    );
}

#[test]
fn unbalanced_parentheses() {
    error_at(
        Level::Customer,
        "(overdue > 1",
        0,
        "missing `)` to close this `(`",
    );
    error_at(
        Level::Customer,
        "((overdue > 1) or overdue < 0",
        0,
        "missing `)` to close this `(`",
    );
    error_at(
        Level::Customer,
        "overdue > 1)",
        11,
        "unexpected `)` without a matching `(`",
    );
    error_at(
        Level::Customer,
        "(overdue > 1 x)",
        13,
        "expected `and`, `or` or `)`, found `x`",
    );
    error_at(
        Level::Customer,
        "()",
        1,
        "expected a field name after `(`, found `)`",
    );
}

#[test]
fn trailing_garbage_and_dangling_keywords() {
    error_at(
        Level::Customer,
        "overdue > 1 abc",
        12,
        "expected `and`, `or` or the end of the rule, found `abc`",
    );
    error_at(
        Level::Customer,
        "overdue > 1,000",
        11,
        "expected `and`, `or` or the end of the rule, found `,`",
    );
    error_at(
        Level::Customer,
        "overdue > 1 and",
        15,
        "expected a field name after `and`, found the end of the rule",
    );
    error_at(
        Level::Customer,
        "overdue > 1 and or overdue < 2",
        16,
        "expected a field name after `and`, found `or`",
    );
    error_at(
        Level::Customer,
        "not",
        3,
        "expected a field name after `not`, found the end of the rule",
    );
    error_at(Level::Customer, "", 0, "the rule is empty");
    error_at(Level::Customer, "  \n ", 0, "the rule is empty");
    error_at(
        Level::Customer,
        "overdue ! 1",
        8,
        "unexpected `!`; use `!=` for \"not equal\" or `not` to negate",
    );
}

#[test]
fn between_needs_and_and_ordered_bounds() {
    error_at(
        Level::Customer,
        "overdue between 1",
        17,
        "expected `and` after the first bound of `between`, found the end of the rule",
    );
    error_at(
        Level::Customer,
        "overdue between 1 or 2",
        18,
        "expected `and` after the first bound of `between`, found `or`",
    );
    error_at(
        Level::Customer,
        "overdue between 1 and",
        21,
        "expected an amount (a plain number such as 1000 or 99.50) after `and`",
    );
    let reversed = "empty range: the first bound of `between` is greater than the second; \
                    write the smaller value first";
    error_at(Level::Customer, "overdue between 10 and 1", 16, reversed);
    error_at(
        Level::Document,
        "due_date between today and 30 days ago",
        17,
        reversed,
    );
    error_at(
        Level::Document,
        "due_date between 2026-02-01 and 2026-01-01",
        17,
        reversed,
    );
}

#[test]
fn offsets_count_chars_not_bytes() {
    error_at(
        Level::Customer,
        "finance_owner = \"Zoë Ñúñez\" and overdeu > 1",
        32,
        "unknown field `overdeu` at customer level; did you mean `overdue`?",
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "(".repeat(10_000);
    let (offset, message) = error(Level::Customer, &deep);
    assert_eq!(
        (offset, message.as_str()),
        (64, "the rule is nested too deeply")
    );
    let nots = "not ".repeat(10_000) + "overdue > 1";
    assert_eq!(
        error(Level::Customer, &nots).1,
        "the rule is nested too deeply"
    );
    let fine = format!("{}overdue > 1{}", "(".repeat(60), ")".repeat(60));
    assert!(parse(Level::Customer, &fine).is_ok());
}

#[test]
fn render_shows_the_rule_with_a_caret() {
    let src = "type includes [invoice] and due_date < soon";
    let rendered = parse(Level::Document, src)
        .unwrap_err()
        .render("cycles/standard.toml", src);
    assert_eq!(
        rendered,
        "cycles/standard.toml: error in rule `type includes [invoice] and due_date < soon`\n  \
         type includes [invoice] and due_date < soon\n  \
         \x20                                      ^\n  \
         expected a date (YYYY-MM-DD, today, N days ago, in N days, this month, last month) after `<`"
    );
}

#[test]
fn render_at_the_start() {
    let src = "overdeu > 1000";
    let rendered = parse(Level::Customer, src)
        .unwrap_err()
        .render("c.toml", src);
    assert_eq!(
        rendered,
        "c.toml: error in rule `overdeu > 1000`\n  overdeu > 1000\n  ^\n  \
         unknown field `overdeu` at customer level; did you mean `overdue`?"
    );
}

/// A long rule is not printed whole (twice, with a caret line as long as it): the message
/// quotes its start, cut, and shows about 80 characters around the error with the caret
/// under the bad token.
#[test]
fn render_a_long_rule_shows_a_window_around_the_error() {
    let src = format!("{}ovrdue > 1", "overdue > 1 or ".repeat(3000));
    let error = parse(Level::Customer, &src).unwrap_err();
    let rendered = error.render("c.toml", &src);
    assert!(rendered.len() < 500, "{} bytes", rendered.len());
    let lines: Vec<&str> = rendered.lines().collect();
    assert_eq!(lines.len(), 4, "{rendered}");
    assert_eq!(
        lines[0],
        format!(
            "c.toml: error in rule `{}…` ({} characters)",
            &src[..80],
            src.chars().count()
        )
    );
    // The window ends with the rule, starts cut, and the caret is under `ovrdue`.
    assert!(
        lines[1].starts_with("  …") && lines[1].ends_with(" or ovrdue > 1"),
        "{rendered}"
    );
    assert!(lines[1].chars().count() <= 2 + 80 + 2, "{rendered}");
    let caret = lines[2].chars().count() - 1;
    assert_eq!(lines[2].trim(), "^");
    assert_eq!(
        lines[1].chars().skip(caret).collect::<String>(),
        "ovrdue > 1",
        "{rendered}"
    );
    assert_eq!(
        lines[3],
        "  unknown field `ovrdue` at customer level; did you mean `overdue`?"
    );
    // An error in the middle: cut on both sides.
    let src = format!(
        "{}overdue > x or {}",
        "overdue > 1 or ".repeat(100),
        "overdue > 1 or ".repeat(99) + "overdue > 1"
    );
    let rendered = parse(Level::Customer, &src)
        .unwrap_err()
        .render("c.toml", &src);
    let lines: Vec<&str> = rendered.lines().collect();
    assert!(
        lines[1].starts_with("  …") && lines[1].ends_with('…'),
        "{rendered}"
    );
    let caret = lines[2].chars().count() - 1;
    assert!(
        lines[1]
            .chars()
            .skip(caret)
            .collect::<String>()
            .starts_with("x or overdue"),
        "{rendered}"
    );
}

// ---------------------------------------------------------------- evaluation

#[test]
fn amount_comparisons() {
    let v = [("overdue", amount("1000"))];
    for (rule, expected) in [
        ("overdue > 999.99", true),
        ("overdue > 1000", false),
        ("overdue >= 1000", true),
        ("overdue >= 1000.01", false),
        ("overdue < 1000.01", true),
        ("overdue < 1000", false),
        ("overdue <= 1000", true),
        ("overdue <= 999", false),
        ("overdue = 1000.00", true),
        ("overdue = 1", false),
        ("overdue != 1", true),
        ("overdue != 1000", false),
        ("overdue > -5", true),
        ("overdue == 1000", true),
        ("overdue between 1000 and 2000", true),
        ("overdue between 0 and 1000", true),
        ("overdue between 1000.01 and 2000", false),
    ] {
        assert_eq!(customer(rule, &v), expected, "{rule}");
    }
}

#[test]
fn numbers_are_numbers() {
    assert!(customer("overdue = 5", &[("overdue", Value::Integer(5))]));
    assert!(payment(
        "payment_attempts >= 3",
        &[("payment_attempts", amount("3.0"))]
    ));
    assert!(payment(
        "payment_attempts between 1 and 3",
        &[("payment_attempts", Value::Integer(2))]
    ));
    assert!(!payment(
        "payment_attempts < 2",
        &[("payment_attempts", Value::Integer(2))]
    ));
    assert!(payment(
        "monthly_dso > 45.5",
        &[("monthly_dso", amount("45.6"))]
    ));
    assert!(payment(
        "net_term_days = 30",
        &[("net_term_days", Value::Integer(30))]
    ));
}

#[test]
fn date_comparisons_with_fixed_and_relative_dates() {
    // TODAY is 2026-01-31.
    let v = [("due_date", date("2026-01-28"))];
    for (rule, expected) in [
        ("due_date < 2026-01-29", true),
        ("due_date < 2026-01-28", false),
        ("due_date = 2026-01-28", true),
        ("due_date != 2026-01-28", false),
        ("due_date = 3 days ago", true),
        ("due_date = 3 DAYS AGO", true),
        ("due_date < 3 days ago", false),
        ("due_date <= 3 days ago", true),
        ("due_date > 4 day ago", true),
        ("due_date < today", true),
        ("due_date >= today", false),
        ("due_date < in 1 day", true),
        ("due_date > in 0 days", false),
        ("due_date between 7 days ago and today", true),
        ("due_date between 2 days ago and in 5 days", false),
        ("due_date between 2026-01-01 and 2026-01-28", true),
    ] {
        assert_eq!(document(rule, &v), expected, "{rule}");
    }
    let v = [("next_p2p_date", date("2026-02-03"))];
    assert!(customer("next_p2p_date = in 3 days", &v));
    assert!(customer("next_p2p_date > today", &v));
}

#[test]
fn relative_dates_follow_the_given_day() {
    let expr = parse(Level::Document, "due_date < 30 days ago").unwrap();
    let due = |name: &str| match name {
        "due_date" => date("2026-01-01"),
        _ => Value::Null,
    };
    let day = |text: &str| text.parse::<NaiveDate>().unwrap();
    assert!(!expr.eval(&due, day("2026-01-31")));
    assert!(expr.eval(&due, day("2026-02-01")));
}

#[test]
fn text_comparisons_ignore_case() {
    let v = [("finance_owner", text("Alice"))];
    for (rule, expected) in [
        ("finance_owner = alice", true),
        ("finance_owner = ALICE", true),
        ("finance_owner = bob", false),
        ("finance_owner != bob", true),
        ("finance_owner != 'alice'", false),
        ("finance_owner includes [bob, alice]", true),
        ("finance_owner includes [bob, carol,]", false),
        ("finance_owner excludes [bob]", true),
        ("finance_owner excludes [ALICE]", false),
    ] {
        assert_eq!(customer(rule, &v), expected, "{rule}");
    }
    let v = [("cf_account_name", text("O'Brien Ltd"))];
    assert!(customer("cf_account_name = \"o'brien LTD\"", &v));
    assert!(customer("cf_account_name != O'Brien", &v));
    let v = [("currency", text("EUR"))];
    assert!(document("currency = eur and location != \"and\"", &v));
    // Imported values are stored composed (NFC); a value written decomposed, as some editors
    // save it, is the same text (it matched nothing).
    let v = [("finance_owner", text("Zoë"))];
    for rule in [
        "finance_owner = Zoe\u{308}",
        "finance_owner = \"ZOE\u{308}\"",
        "finance_owner includes [bob, zoe\u{308}]",
    ] {
        assert!(customer(rule, &v), "{rule}");
    }
    assert!(!customer("finance_owner excludes ['Zoe\u{308}']", &v));
}

/// A finance owner is compared as users are told apart ([`crate::domain::text::person_key`]:
/// case and width in every script, `ß` as `ss`, Turkish `İ` as `i`), as `--owner`, `owner:` and
/// the team's rows compare it: `finance_owner includes [zoë]` held for `Zoë` and not for the
/// full-width `ＺＯË` the billing system exported, nor `İlker` for `ilker`. The accents count.
#[test]
fn a_finance_owner_is_compared_as_people_are() {
    for (owner, rule) in [
        ("ZOË", "finance_owner includes [zoë]"),
        ("ＺＯË", "finance_owner includes [bob, zoë]"),
        ("ＺＯË", "finance_owner = \"Zoë\""),
        ("İLKER", "finance_owner = ilker"),
        ("Straße", "finance_owner = STRASSE"),
        ("Ｂｏｂ", "finance_owner includes [bob]"),
    ] {
        let v = [("finance_owner", text(owner))];
        assert!(customer(rule, &v), "{owner}: {rule}");
        let negated = rule
            .replace(" includes ", " excludes ")
            .replace(" = ", " != ");
        assert!(!customer(&negated, &v), "{owner}: {negated}");
    }
    let v = [("finance_owner", text("Zoë"))];
    assert!(!customer("finance_owner = zoe", &v));
    assert!(customer("finance_owner excludes [zoe]", &v));
}

/// `is empty` reads a typed custom field as every comparison does: text that is not a date
/// (or not a number) is no value, so it is empty and compares with nothing.
#[test]
fn a_typed_custom_field_that_does_not_read_as_its_type_is_empty() {
    let mut custom = CustomFields::default();
    custom.insert("cf_tier", "date").unwrap();
    custom.insert("cf_seats", "number").unwrap();
    let holds = |src: &str, value: &str| {
        let expr = parse_with(Level::Customer, src, &custom).unwrap();
        let values: std::collections::HashMap<String, Value> = [
            ("cf_tier".to_string(), text(value)),
            ("cf_seats".to_string(), text(value)),
        ]
        .into();
        expr.eval(&values, TODAY)
    };
    for (src, value, expected) in [
        ("cf_tier is empty", "Gold", true),
        ("cf_tier is not empty", "Gold", false),
        ("cf_tier < 2100-01-01", "Gold", false),
        ("cf_tier is empty", "2026-05-01", false),
        ("cf_tier is not empty", " 2026-05-01 ", true),
        ("cf_tier is empty", "2026-02-30", true),
        ("cf_seats is empty", "Gold", true),
        ("cf_seats is not empty", "Gold", false),
        ("cf_seats is not empty", "12", true),
        ("cf_seats is empty", "  ", true),
    ] {
        assert_eq!(holds(src, value), expected, "{src} with {value:?}");
    }
    // Untyped, the same text is a value.
    assert!(customer(
        "cf_tier is not empty",
        &[("cf_tier", text("Gold"))]
    ));
}

#[test]
fn choice_comparisons() {
    let v = [("type", text("credit_note"))];
    assert!(document("type = credit_note", &v));
    assert!(document("type = 'Credit_Note'", &v));
    assert!(!document("type = invoice", &v));
    assert!(document("type != invoice", &v));
    assert!(document("type excludes [invoice, debit_note]", &v));
    assert!(!document("type includes [invoice, debit_note]", &v));
    let v = [("last_attempted_payment_method", text("bank_transfer"))];
    assert!(payment(
        "last_attempted_payment_method includes [card, bank_transfer]",
        &v
    ));
}

#[test]
fn yes_no_comparisons() {
    let v = [("disputed", Value::Bool(true))];
    assert!(document("disputed = yes", &v));
    assert!(document("disputed = YES", &v));
    assert!(!document("disputed = no", &v));
    assert!(document("disputed != no", &v));
    assert!(!document("disputed != yes", &v));
    assert!(payment(
        "auto_collection = no",
        &[("auto_collection", Value::Bool(false))]
    ));
}

#[test]
fn null_is_only_unequal_and_excluded() {
    for rule in [
        "overdue > 0",
        "overdue < 0",
        "overdue >= 0",
        "overdue <= 0",
        "overdue = 0",
        "overdue between 0 and 1",
        "finance_owner = alice",
        "finance_owner includes [alice]",
        "last_reply_date < today",
        "outstanding_mismatch = no",
    ] {
        assert!(!customer(rule, &[]), "{rule}");
    }
    for rule in [
        "overdue != 0",
        "finance_owner != alice",
        "finance_owner excludes [alice]",
        "last_reply_date != today",
        "outstanding_mismatch != yes",
        "not overdue > 0",
    ] {
        assert!(customer(rule, &[]), "{rule}");
    }
}

#[test]
fn a_value_of_the_wrong_kind_counts_as_missing() {
    let v = [
        ("overdue", text("lots")),
        ("finance_owner", Value::Integer(3)),
    ];
    assert!(!customer("overdue > 0", &v));
    assert!(customer("overdue != 0", &v));
    assert!(!customer("finance_owner = 3", &v));
    assert!(customer("finance_owner excludes [3]", &v));
}

#[test]
fn precedence_is_not_then_and_then_or() {
    let v = |a: i64, b: i64, c: i64| {
        [
            ("outstanding", Value::Integer(a)),
            ("overdue", Value::Integer(b)),
            ("net_overdue", Value::Integer(c)),
        ]
    };
    let rule = "outstanding = 1 or overdue = 1 and net_overdue = 1";
    assert!(customer(rule, &v(1, 0, 0)));
    assert!(!customer(rule, &v(0, 1, 0)));
    assert!(customer(rule, &v(0, 1, 1)));
    let grouped = "(outstanding = 1 or overdue = 1) and net_overdue = 1";
    assert!(!customer(grouped, &v(1, 0, 0)));
    assert!(customer(grouped, &v(1, 0, 1)));
    let negated = "not outstanding = 1 and overdue = 1";
    assert!(customer(negated, &v(0, 1, 0)));
    assert!(!customer(negated, &v(1, 1, 0)));
    assert!(customer(
        "not (outstanding = 1 and overdue = 1)",
        &v(1, 0, 0)
    ));
    assert!(customer("not not outstanding = 1", &v(1, 0, 0)));
    assert!(customer(
        "outstanding = 1 AND NOT overdue = 1 OR net_overdue = 9",
        &v(1, 0, 0)
    ));
}

#[test]
fn between_inside_boolean_and_or() {
    let rule = "balance between 100 and 500 and disputed = no";
    let v = |balance: &str, disputed: bool| {
        [
            ("balance", amount(balance)),
            ("disputed", Value::Bool(disputed)),
        ]
    };
    assert!(document(rule, &v("100", false)));
    assert!(document(rule, &v("500", false)));
    assert!(!document(rule, &v("500.01", false)));
    assert!(!document(rule, &v("300", true)));
    let rule = "disputed = yes or balance between 100 and 500 or paid = yes";
    assert!(document(rule, &v("300", false)));
    assert!(!document(rule, &v("50", false)));
    let rule = "due_date between 10 days ago and today and balance between 1 and 2";
    let values = [("due_date", date("2026-01-25")), ("balance", amount("1.5"))];
    assert!(document(rule, &values));
    let expr = parse(Level::Document, rule).unwrap();
    assert_eq!(expr.field_names(), ["due_date", "balance"]);
}

#[test]
fn keywords_and_field_names_ignore_case() {
    let rule = "OVERDUE > 1 AND Finance_Owner INCLUDES [Alice] And NOT Outstanding Between 5 AND 6";
    let expr = parse(Level::Customer, rule).unwrap();
    assert_eq!(
        expr.field_names(),
        ["overdue", "finance_owner", "outstanding"]
    );
    assert_eq!(
        expr.to_string(),
        "overdue > 1 and finance_owner includes [alice] and not outstanding between 5 and 6"
    );
}

#[test]
fn custom_fields_keep_their_spelling() {
    let expr = parse(Level::Document, "cf_Region = North or cf_Region = south").unwrap();
    assert_eq!(expr.field_names(), ["cf_Region"]);
    let region = |name: &str| match name {
        "cf_Region" => text("NORTH"),
        _ => Value::Null,
    };
    assert!(expr.eval(&region, TODAY));
}

#[test]
fn display_is_canonical_and_minimal() {
    for (src, shown) in [
        (
            "overdue > 1 and (outstanding > 2 and net_overdue > 3)",
            Some("overdue > 1 and outstanding > 2 and net_overdue > 3"),
        ),
        ("(overdue > 1 or outstanding > 2) and net_overdue > 3", None),
        (
            "overdue > 1 or (outstanding > 2 and net_overdue > 3)",
            Some("overdue > 1 or outstanding > 2 and net_overdue > 3"),
        ),
        ("not (overdue > 1 or outstanding > 2)", None),
        (
            "finance_owner includes ['O\"Brien', \"and\", x]",
            Some("finance_owner includes [\"o\\\"brien\", \"and\", x]"),
        ),
        (
            "last_reply_date between 0 days ago and in 2 day",
            Some("last_reply_date between today and in 2 days"),
        ),
    ] {
        let expr = parse(Level::Customer, src).unwrap();
        let printed = expr.to_string();
        assert_eq!(printed, shown.unwrap_or(src));
        assert_eq!(parse(Level::Customer, &printed), Ok(expr));
    }
}

#[test]
fn a_hash_map_gives_field_values() {
    let expr = parse(
        Level::Payment,
        "payment_risk = high and payment_attempts > 2",
    )
    .unwrap();
    let mut values = std::collections::HashMap::new();
    values.insert("payment_risk".to_string(), text("HIGH"));
    assert!(!expr.eval(&values, TODAY));
    values.insert("payment_attempts".to_string(), Value::from(3));
    assert!(expr.eval(&values, TODAY));
    assert_eq!(Value::from(None::<i64>), Value::Null);
}

#[test]
fn custom_field_needs_a_name() {
    error_at(
        Level::Customer,
        "cf_ = x",
        0,
        "unknown field `cf_` at customer level; a custom field needs a name after `cf_`",
    );
    assert_eq!(
        field_type(Level::Document, "DUE_DATE"),
        Some(FieldType::Date)
    );
}

#[test]
fn field_names_are_listed_once_in_order() {
    let expr = parse(
        Level::Customer,
        "overdue > 1 and (finance_owner = a or not overdue < 5) and cf_x = y",
    )
    .unwrap();
    assert_eq!(expr.field_names(), ["overdue", "finance_owner", "cf_x"]);
    assert_eq!(expr.level(), Level::Customer);
}

// ---------------------------------------------------------------- robustness

/// A small xorshift generator, so the byte soup below is reproducible.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn random_bytes_never_panic() {
    let mut state = 0x2545_f491_4f6c_dd1d;
    for _ in 0..20_000 {
        let len = (xorshift(&mut state) % 40) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| xorshift(&mut state).to_le_bytes()[0])
            .collect();
        let src = String::from_utf8_lossy(&bytes);
        for level in Level::ALL {
            check_no_panic(level, &src);
        }
    }
}

/// Parses `src`; an error must point inside (or just after) it and render;
/// a rule must print as something that parses back to itself and evaluate.
fn check_no_panic(level: Level, src: &str) {
    match parse(level, src) {
        Ok(expr) => {
            let printed = expr.to_string();
            assert_eq!(
                parse(level, &printed).as_ref(),
                Ok(&expr),
                "{src} => {printed}"
            );
            let _ = expr.eval(&|_: &str| Value::Null, TODAY);
            let _ = expr.eval(&|_: &str| Value::Integer(1), NaiveDate::MIN);
            let _ = expr.eval(&|_: &str| Value::Date(NaiveDate::MAX), NaiveDate::MAX);
        }
        Err(error) => {
            assert!(error.offset <= src.chars().count(), "{src}: {error:?}");
            assert!(!error.message.is_empty());
            let _ = error.render("f", src);
        }
    }
}

const VOCABULARY: &[&str] = &[
    "overdue",
    "finance_owner",
    "due_date",
    "type",
    "disputed",
    "payment_attempts",
    "payment_risk",
    "cf_region",
    "last_email_date",
    "balance",
    "monthly_dso",
    "auto_collection",
    "<",
    ">",
    "<=",
    ">=",
    "=",
    "!=",
    "==",
    "!",
    "between",
    "includes",
    "excludes",
    "and",
    "or",
    "not",
    "(",
    ")",
    "[",
    "]",
    ",",
    "1000",
    "-5",
    "2.5",
    "0",
    "2026-01-31",
    "2026-02-30",
    "today",
    "3",
    "days",
    "day",
    "ago",
    "in",
    "yes",
    "no",
    "alice",
    "\"O'Brien Ltd\"",
    "'x'",
    "invoice",
    "debit_note",
    "high",
    "failure",
    "\"",
    "é",
    "日本",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_string_never_panics(src in "\\PC{0,60}") {
        for level in Level::ALL {
            check_no_panic(level, &src);
        }
    }

    #[test]
    fn token_soup_never_panics_and_round_trips(
        words in prop::collection::vec(prop::sample::select(VOCABULARY), 0..14),
        glue in prop::sample::select(&[" ", "", "  \n"][..]),
    ) {
        let src = words.join(glue);
        for level in Level::ALL {
            check_no_panic(level, &src);
        }
    }
}

/// Leaves with their truth on [`profile`] at [`TODAY`] (2026-01-31).
const LEAVES: &[(&str, bool)] = &[
    ("overdue > 1000", true),
    ("overdue between 1 and 2.5", false),
    ("overdue between 1500 and 1500", true),
    ("outstanding <= 1999.99", false),
    ("outstanding = 2000", true),
    ("finance_owner includes [bob, ALICE]", true),
    ("finance_owner excludes [alice]", false),
    ("finance_owner = \"O'Brien Ltd\"", false),
    ("last_email_date < 10 days ago", true),
    ("last_email_date = 11 days ago", true),
    ("last_email_date between 2026-01-01 and 2026-01-19", false),
    ("last_email_date >= in 2 days", false),
    ("next_p2p_date > today", false),
    ("next_p2p_date != today", true),
    ("outstanding_mismatch = no", true),
    ("outstanding_mismatch = yes", false),
    ("cf_region = 'north'", true),
    ("cf_region includes [south]", false),
];

fn profile(name: &str) -> Value {
    match name {
        "overdue" => amount("1500"),
        "outstanding" => Value::Integer(2000),
        "finance_owner" => text("Alice"),
        "last_email_date" => date("2026-01-20"),
        "outstanding_mismatch" => Value::Bool(false),
        "cf_region" => text("North"),
        _ => Value::Null,
    }
}

/// A generated rule and whether it holds on [`profile`].
#[derive(Clone, Debug)]
struct Case {
    src: String,
    holds: bool,
    compound: bool,
}

/// Rules built from [`LEAVES`] with `or` of `and`s of optionally negated
/// terms, compound terms in parentheses, so the expected truth follows from
/// the precedence `not` > `and` > `or`.
fn cases() -> impl Strategy<Value = Case> {
    let leaf = prop::sample::select(LEAVES).prop_map(|(src, holds)| Case {
        src: src.to_string(),
        holds,
        compound: false,
    });
    leaf.prop_recursive(4, 40, 4, |inner| {
        let term = (any::<bool>(), inner);
        let group = prop::collection::vec(term, 1..4);
        prop::collection::vec(group, 1..4).prop_map(combine)
    })
}

fn combine(groups: Vec<Vec<(bool, Case)>>) -> Case {
    let mut alternatives = Vec::new();
    let mut holds = false;
    for group in groups {
        let mut terms = Vec::new();
        let mut all = true;
        for (negated, case) in group {
            let term = if case.compound {
                format!("({})", case.src)
            } else {
                case.src
            };
            terms.push(if negated { format!("not {term}") } else { term });
            all &= case.holds != negated;
        }
        alternatives.push(terms.join(" and "));
        holds |= all;
    }
    Case {
        src: alternatives.join(" or "),
        holds,
        compound: true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn generated_rules_evaluate_by_precedence_and_round_trip(case in cases()) {
        let expr = parse(Level::Customer, &case.src).map_err(|e| TestCaseError::fail(e.message))?;
        prop_assert_eq!(expr.eval(&profile, TODAY), case.holds, "{}", case.src);
        let reparsed = parse(Level::Customer, &expr.to_string());
        prop_assert_eq!(reparsed.as_ref(), Ok(&expr));
    }
}

/// Told which custom fields the customers and documents carry, a `cf_*` name among none of
/// them nor typed in the config is a misspelt field, refused at its position with the
/// name meant when one is close (`cf_Seats` is not another text field); untold, any `cf_*`
/// name is taken, as before.
#[test]
fn a_custom_field_no_record_carries_is_unknown_when_they_are_told() {
    let mut custom = CustomFields::default();
    custom.insert("cf_renewal", "date").unwrap();
    assert!(parse_with(Level::Customer, "cf_seat = 10", &custom).is_ok());
    custom.know(
        Level::Customer,
        ["cf_seats".to_string(), "cf_region".to_string()],
    );
    custom.know(Level::Document, ["cf_po".to_string()]);
    let refused = |level, src: &str| {
        let e = parse_with(level, src, &custom).unwrap_err();
        (e.offset, e.message)
    };
    assert_eq!(
        refused(Level::Customer, "overdue > 1 and cf_seat = 10"),
        (
            16,
            "unknown field `cf_seat` at customer level; did you mean `cf_seats`?".to_string()
        )
    );
    assert_eq!(
        refused(Level::Customer, "cf_Seats = 5").1,
        "unknown field `cf_Seats` at customer level; did you mean `cf_seats`?"
    );
    assert_eq!(
        refused(Level::Customer, "cf_po = x").1,
        "unknown field `cf_po` at customer level; no imported customers carry it, and \
         `[custom_fields]` in the config does not declare it"
    );
    assert_eq!(
        refused(Level::Document, "cf_p0 = x").1,
        "unknown field `cf_p0` at document level; did you mean `cf_po`?"
    );
    // Carried, or typed in the config though nothing carries it yet: known, at both levels.
    for (level, src) in [
        (Level::Customer, "cf_seats = 5 and cf_region = north"),
        (Level::Customer, "cf_renewal < today"),
        (Level::Document, "cf_po = x and cf_renewal is empty"),
    ] {
        assert!(parse_with(level, src, &custom).is_ok(), "{src}");
    }
    assert!(custom.knows(Level::Customer) && !custom.knows(Level::Payment));
}
