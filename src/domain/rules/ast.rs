//! The checked syntax tree, and its canonical printed form.
//!
//! A tree is only built by the parser, after every field has been resolved
//! and every value checked against its field's type, so evaluation cannot
//! meet a type error.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::fields::{FieldType, Level};
use super::lexer::{continues_word, starts_word};
use super::parser::is_reserved;

/// A parsed and type-checked rule; evaluate it with [`Expr::eval`].
///
/// `Display` prints it in a canonical form (lowercase keywords, minimal
/// parentheses, folded text) that parses back to an equal `Expr`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub(super) level: Level,
    pub(super) root: Node,
}

impl Expr {
    /// The level the rule was checked against.
    #[must_use]
    pub fn level(&self) -> Level {
        self.level
    }

    /// The fields the rule refers to, each once, in order of first mention,
    /// so that the caller computes only those.
    #[must_use]
    pub fn field_names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        self.root.collect_fields(&mut names);
        names
    }
}

/// A node of the boolean structure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Node {
    /// Holds when all hold (`and`); never directly contains another `All`.
    All(Vec<Node>),
    /// Holds when any holds (`or`); never directly contains another `Any`.
    Any(Vec<Node>),
    Not(Box<Node>),
    Test(Comparison),
}

impl Node {
    /// `and` of `nodes`, flattening nested `and`s; a single node is itself.
    pub fn all(nodes: Vec<Node>) -> Node {
        Self::join(nodes, Node::All, |node| match node {
            Node::All(inner) => Ok(inner),
            other => Err(other),
        })
    }

    /// `or` of `nodes`, flattening nested `or`s; a single node is itself.
    pub fn any(nodes: Vec<Node>) -> Node {
        Self::join(nodes, Node::Any, |node| match node {
            Node::Any(inner) => Ok(inner),
            other => Err(other),
        })
    }

    fn join(
        nodes: Vec<Node>,
        make: fn(Vec<Node>) -> Node,
        split: fn(Node) -> Result<Vec<Node>, Node>,
    ) -> Node {
        let mut flat = Vec::with_capacity(nodes.len());
        for node in nodes {
            match split(node) {
                Ok(inner) => flat.extend(inner),
                Err(single) => flat.push(single),
            }
        }
        match <[Node; 1]>::try_from(flat) {
            Ok([single]) => single,
            Err(flat) => make(flat),
        }
    }

    fn collect_fields<'a>(&'a self, names: &mut Vec<&'a str>) {
        match self {
            Node::All(nodes) | Node::Any(nodes) => {
                for node in nodes {
                    node.collect_fields(names);
                }
            }
            Node::Not(node) => node.collect_fields(names),
            Node::Test(test) => {
                if !names.contains(&test.field.as_str()) {
                    names.push(&test.field);
                }
            }
        }
    }
}

/// One comparison of a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Comparison {
    /// The name passed to [`super::Fields::get`].
    pub field: String,
    pub test: Test,
}

/// What a comparison checks of the field's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Test {
    Compare(CmpOp, Literal),
    /// Inclusive at both ends.
    Between(Literal, Literal),
    /// Text values, already folded to lowercase.
    Includes(Vec<String>),
    /// Text values, already folded to lowercase.
    Excludes(Vec<String>),
    /// `is empty` (true) or `is not empty` (false), of a field of the given type: a value
    /// that does not read as that type (a custom field typed as a number or a date) is empty.
    Empty(bool, FieldType),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CmpOp {
    Lt,
    Gt,
    Le,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    /// Whether this operator orders values (and so needs an ordered type).
    pub fn is_ordering(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Gt => ">",
            CmpOp::Le => "<=",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
        }
    }
}

/// A checked value written in a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Literal {
    /// For amount and whole-number fields.
    Number(Decimal),
    Date(DateLit),
    /// For text and choice fields, folded to lowercase.
    Text(String),
    /// For yes/no fields.
    Bool(bool),
}

/// A date value: fixed, or relative to the evaluation day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DateLit {
    On(NaiveDate),
    /// `today` is 0, `N days ago` is -N, `in N days` is N.
    DaysFromToday(i64),
    /// A whole month relative to the evaluation day's: `this month` is 0, `last month` -1.
    Month(i32),
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root.fmt(f)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::All(nodes) => write_joined(f, nodes, " and ", |n| matches!(n, Node::Any(_))),
            Node::Any(nodes) => write_joined(f, nodes, " or ", |_| false),
            Node::Not(node) => {
                f.write_str("not ")?;
                write_maybe_parenthesized(f, node, matches!(**node, Node::All(_) | Node::Any(_)))
            }
            Node::Test(test) => write!(f, "{test}"),
        }
    }
}

fn write_joined(
    f: &mut fmt::Formatter<'_>,
    nodes: &[Node],
    separator: &str,
    needs_parens: fn(&Node) -> bool,
) -> fmt::Result {
    for (i, node) in nodes.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        write_maybe_parenthesized(f, node, needs_parens(node))?;
    }
    Ok(())
}

fn write_maybe_parenthesized(f: &mut fmt::Formatter<'_>, node: &Node, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({node})")
    } else {
        write!(f, "{node}")
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = &self.field;
        match &self.test {
            Test::Compare(op, value) => write!(f, "{field} {} {value}", op.symbol()),
            Test::Between(low, high) => write!(f, "{field} between {low} and {high}"),
            Test::Includes(values) => write!(f, "{field} includes {}", List(values)),
            Test::Excludes(values) => write!(f, "{field} excludes {}", List(values)),
            Test::Empty(true, _) => write!(f, "{field} is empty"),
            Test::Empty(false, _) => write!(f, "{field} is not empty"),
        }
    }
}

struct List<'a>(&'a [String]);

impl fmt::Display for List<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, value) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write_text(f, value)?;
        }
        f.write_str("]")
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Number(number) => write!(f, "{number}"),
            Literal::Date(date) => write!(f, "{date}"),
            Literal::Text(text) => write_text(f, text),
            Literal::Bool(true) => f.write_str("yes"),
            Literal::Bool(false) => f.write_str("no"),
        }
    }
}

impl fmt::Display for DateLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DateLit::On(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            DateLit::DaysFromToday(0) => f.write_str("today"),
            DateLit::DaysFromToday(days) if days < 0 => write!(f, "{} days ago", -days),
            DateLit::DaysFromToday(days) => write!(f, "in {days} days"),
            DateLit::Month(0) => f.write_str("this month"),
            DateLit::Month(_) => f.write_str("last month"),
        }
    }
}

/// Writes text bare when it reads back as the same single word, else quoted.
fn write_text(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    if is_bare_word(text) {
        return f.write_str(text);
    }
    f.write_str("\"")?;
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

fn is_bare_word(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(starts_word) && chars.all(continues_word) && !is_reserved(text)
}
