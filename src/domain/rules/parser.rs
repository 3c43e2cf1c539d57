//! The parser for the boolean structure of a rule (`or`, `and`, `not`,
//! parentheses) and the shape of a comparison. Fields are resolved by
//! [`super::fields`]; operators are checked and values read as the field's
//! type requires by [`super::typing`]. Together they parse and type-check in
//! one left-to-right pass, so the first error in reading order is reported.

use super::ast::{Comparison, Expr, Literal, Node, Test};
use super::error::RuleError;
use super::fields::{CustomFields, FieldType, Level, looks_like_field, resolve};
use super::lexer::{Token, TokenKind, lex};
use super::typing::Operator;

/// How deeply `not` and parentheses may nest, so that no input can exhaust
/// the stack.
const MAX_DEPTH: usize = 64;

/// Words that structure a rule and so cannot be bare text values or fields.
const RESERVED: &[&str] = &["and", "or", "not", "between", "includes", "excludes"];

/// Whether `word` is a reserved keyword (in any case).
pub(super) fn is_reserved(word: &str) -> bool {
    RESERVED
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(word))
}

/// Parses and type-checks `src` as a rule at `level`.
pub(super) fn parse(level: Level, src: &str, custom: &CustomFields) -> Result<Expr, RuleError> {
    let mut parser = Parser {
        tokens: lex(src)?,
        pos: 0,
        level,
        depth: 0,
        custom: custom.clone(),
    };
    if parser.peek().kind == TokenKind::End {
        return Err(RuleError::new(0, "the rule is empty"));
    }
    let root = parser.or_expr()?;
    parser.expect_end()?;
    Ok(Expr { level, root })
}

/// A field resolved at the rule's level.
pub(super) struct Field {
    /// Canonical name (custom fields verbatim).
    pub name: String,
    pub ty: FieldType,
}

/// A cursor over the tokens of one rule.
pub(super) struct Parser {
    /// Never empty: the last token is [`TokenKind::End`].
    tokens: Vec<Token>,
    pos: usize,
    level: Level,
    depth: usize,
    custom: CustomFields,
}

impl Parser {
    /// The current token (the end token once past the end).
    pub(super) fn peek(&self) -> &Token {
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[self.pos.min(last)]
    }

    /// Consumes and returns the current token; the end token is never consumed.
    pub(super) fn next(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::End {
            self.pos += 1;
        }
        token
    }

    /// Consumes the current token if it is the keyword `keyword`.
    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek().is_keyword(keyword);
        if found {
            self.pos += 1;
        }
        found
    }

    /// " after `x`" naming the token before the current one, if any.
    fn after_previous(&self) -> String {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map(|token| format!(" after `{}`", token.text))
            .unwrap_or_default()
    }

    /// Runs `parse` one nesting level deeper (for the `not` or `(` at
    /// `offset`), refusing to go past [`MAX_DEPTH`].
    fn nested<T>(
        &mut self,
        offset: usize,
        parse: impl FnOnce(&mut Self) -> Result<T, RuleError>,
    ) -> Result<T, RuleError> {
        if self.depth >= MAX_DEPTH {
            return Err(RuleError::new(offset, "the rule is nested too deeply"));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    /// `or_expr = and_expr { "or" and_expr }`
    fn or_expr(&mut self) -> Result<Node, RuleError> {
        let mut nodes = vec![self.and_expr()?];
        while self.eat_keyword("or") {
            nodes.push(self.and_expr()?);
        }
        Ok(Node::any(nodes))
    }

    /// `and_expr = not_expr { "and" not_expr }`
    fn and_expr(&mut self) -> Result<Node, RuleError> {
        let mut nodes = vec![self.not_expr()?];
        while self.eat_keyword("and") {
            nodes.push(self.not_expr()?);
        }
        Ok(Node::all(nodes))
    }

    /// `not_expr = "not" not_expr | primary`
    fn not_expr(&mut self) -> Result<Node, RuleError> {
        let offset = self.peek().offset;
        if self.eat_keyword("not") {
            let inner = self.nested(offset, Self::not_expr)?;
            return Ok(Node::Not(Box::new(inner)));
        }
        self.primary()
    }

    /// `primary = "(" or_expr ")" | comparison`
    fn primary(&mut self) -> Result<Node, RuleError> {
        if self.peek().kind != TokenKind::LParen {
            return self.comparison();
        }
        let open = self.next();
        let inner = self.nested(open.offset, Self::or_expr)?;
        let close = self.next();
        match close.kind {
            TokenKind::RParen => Ok(inner),
            TokenKind::End => Err(RuleError::new(open.offset, "missing `)` to close this `(`")),
            _ => Err(RuleError::new(
                close.offset,
                format!("expected `and`, `or` or `)`, found {}", close.quoted()),
            )),
        }
    }

    /// After the whole rule: only the end may follow.
    fn expect_end(&mut self) -> Result<(), RuleError> {
        let token = self.next();
        match token.kind {
            TokenKind::End => Ok(()),
            TokenKind::RParen => Err(RuleError::new(
                token.offset,
                "unexpected `)` without a matching `(`",
            )),
            _ => Err(RuleError::new(
                token.offset,
                format!(
                    "expected `and`, `or` or the end of the rule, found {}",
                    token.quoted()
                ),
            )),
        }
    }

    /// `comparison = field ( cmp_op value | "between" value "and" value
    ///                      | ("includes" | "excludes") list )`
    fn comparison(&mut self) -> Result<Node, RuleError> {
        let field = self.field()?;
        if self.peek().is_keyword("is") {
            let is = self.next();
            let negated = self.eat_keyword("not");
            let empty = self.next();
            if !empty.is_keyword("empty") {
                return Err(RuleError::new(
                    empty.offset,
                    format!(
                        "expected `empty` after `{}`, found {}",
                        if negated { "is not" } else { is.text.as_str() },
                        empty.quoted()
                    ),
                ));
            }
            return Ok(Node::Test(Comparison {
                field: field.name,
                test: Test::Empty(!negated, field.ty),
            }));
        }
        let token = self.next();
        let operator = Operator::for_field(&field, &token)?;
        let test = match operator {
            Operator::Cmp(op) => Test::Compare(op, self.value(&field, &token)?),
            Operator::Between => self.between(&field, &token)?,
            Operator::Includes => Test::Includes(self.list(&field, &token)?),
            Operator::Excludes => Test::Excludes(self.list(&field, &token)?),
        };
        Ok(Node::Test(Comparison {
            field: field.name,
            test,
        }))
    }

    /// A field name, resolved at the rule's level.
    fn field(&mut self) -> Result<Field, RuleError> {
        let after = self.after_previous();
        let token = self.next();
        let Some(word) = token
            .word()
            .filter(|word| looks_like_field(word) && !is_reserved(word))
        else {
            return Err(RuleError::new(
                token.offset,
                format!("expected a field name{after}, found {}", token.quoted()),
            ));
        };
        let (name, ty) = resolve(self.level, word, &self.custom)
            .map_err(|message| RuleError::new(token.offset, message))?;
        Ok(Field { name, ty })
    }

    /// `value "and" value` after `between`; the bounds must not be reversed.
    fn between(&mut self, field: &Field, between: &Token) -> Result<Test, RuleError> {
        let low_offset = self.peek().offset;
        let low = self.value(field, between)?;
        let and = self.next();
        if !and.is_keyword("and") {
            return Err(RuleError::new(
                and.offset,
                format!(
                    "expected `and` after the first bound of `between`, found {}",
                    and.quoted()
                ),
            ));
        }
        let high = self.value(field, &and)?;
        if is_reversed(&low, &high) {
            return Err(RuleError::new(
                low_offset,
                "empty range: the first bound of `between` is greater than the second; \
                 write the smaller value first",
            ));
        }
        Ok(Test::Between(low, high))
    }
}

/// Whether `low` is known, whatever the day, to be greater than `high`.
fn is_reversed(low: &Literal, high: &Literal) -> bool {
    use super::ast::DateLit::{DaysFromToday, Month, On};
    match (low, high) {
        (Literal::Number(low), Literal::Number(high)) => low > high,
        (Literal::Date(On(low)), Literal::Date(On(high))) => low > high,
        (Literal::Date(DaysFromToday(low)), Literal::Date(DaysFromToday(high))) => low > high,
        (Literal::Date(Month(low)), Literal::Date(Month(high))) => low > high,
        _ => false,
    }
}
