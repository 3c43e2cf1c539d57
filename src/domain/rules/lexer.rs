//! The lexer: splits a rule into tokens, each tagged with its char offset.
//!
//! Tokens are punctuation (`(` `)` `[` `]` `,`), comparison operators, quoted
//! strings and *words*. A word is a maximal run of characters that are not
//! white space, punctuation, operator characters or double quotes, and that
//! does not start with a single quote (so `O'Brien`, `2026-01-31`, `-5` and
//! `bank_transfer` are single words). Keywords, numbers, dates and field
//! names are all words; the parser tells them apart.

use super::ast::CmpOp;
use super::error::RuleError;

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum TokenKind {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Op(CmpOp),
    Word(String),
    /// A quoted string, quotes removed and escapes resolved.
    Quoted(String),
    /// The end of the rule; always the last token.
    End,
}

/// A token with where it starts and how it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Token {
    pub kind: TokenKind,
    /// Char offset of the token's first character.
    pub offset: usize,
    /// The source text of the token (empty for [`TokenKind::End`]).
    pub text: String,
}

impl Token {
    /// The token for use in a message: "`text`", or "the end of the rule".
    pub fn quoted(&self) -> String {
        const MAX: usize = 30;
        match self.kind {
            TokenKind::End => "the end of the rule".to_string(),
            _ if self.text.chars().count() > MAX => {
                let start: String = self.text.chars().take(MAX).collect();
                format!("`{start}…`")
            }
            _ => format!("`{}`", self.text),
        }
    }

    /// Whether the token is the bare word `keyword`, in any case.
    pub fn is_keyword(&self, keyword: &str) -> bool {
        matches!(&self.kind, TokenKind::Word(word) if word.eq_ignore_ascii_case(keyword))
    }

    /// The token's text if it is a word or a quoted string.
    pub fn atom(&self) -> Option<&str> {
        match &self.kind {
            TokenKind::Word(text) | TokenKind::Quoted(text) => Some(text),
            _ => None,
        }
    }

    /// The token's text if it is a bare word.
    pub fn word(&self) -> Option<&str> {
        match &self.kind {
            TokenKind::Word(text) => Some(text),
            _ => None,
        }
    }
}

/// Characters that end a word (besides white space).
const DELIMITERS: &[char] = &['(', ')', '[', ']', ',', '<', '>', '=', '!', '"'];

/// Whether `c` may start a word.
pub(super) fn starts_word(c: char) -> bool {
    continues_word(c) && c != '\''
}

/// Whether `c` may continue a word.
pub(super) fn continues_word(c: char) -> bool {
    !c.is_whitespace() && !DELIMITERS.contains(&c)
}

/// Splits `src` into tokens, ending with [`TokenKind::End`].
pub(super) fn lex(src: &str) -> Result<Vec<Token>, RuleError> {
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(&c) = chars.get(at) {
        if c.is_whitespace() {
            at += 1;
            continue;
        }
        let (kind, len) = token_at(&chars, at)?;
        let text = chars[at..at + len].iter().collect();
        tokens.push(Token {
            kind,
            offset: at,
            text,
        });
        at += len;
    }
    tokens.push(Token {
        kind: TokenKind::End,
        offset: chars.len(),
        text: String::new(),
    });
    Ok(tokens)
}

/// The token starting at `chars[at]` (not white space) and its length in chars.
fn token_at(chars: &[char], at: usize) -> Result<(TokenKind, usize), RuleError> {
    let next = chars.get(at + 1).copied();
    let simple = |kind| Ok((kind, 1));
    match chars[at] {
        '(' => simple(TokenKind::LParen),
        ')' => simple(TokenKind::RParen),
        '[' => simple(TokenKind::LBracket),
        ']' => simple(TokenKind::RBracket),
        ',' => simple(TokenKind::Comma),
        '<' | '>' | '=' | '!' => operator(chars[at], next, at),
        quote @ ('"' | '\'') => quoted(chars, at, quote),
        _ => Ok(word(chars, at)),
    }
}

/// A comparison operator starting with `first`; `==` is accepted for `=`.
fn operator(first: char, next: Option<char>, at: usize) -> Result<(TokenKind, usize), RuleError> {
    let with_equals = next == Some('=');
    let op = match (first, with_equals) {
        ('<', false) => CmpOp::Lt,
        ('<', true) => CmpOp::Le,
        ('>', false) => CmpOp::Gt,
        ('>', true) => CmpOp::Ge,
        ('=', _) => CmpOp::Eq,
        ('!', true) => CmpOp::Ne,
        _ => {
            return Err(RuleError::new(
                at,
                "unexpected `!`; use `!=` for \"not equal\" or `not` to negate",
            ));
        }
    };
    Ok((TokenKind::Op(op), 1 + usize::from(with_equals)))
}

/// A string in `quote`s starting at `chars[at]`; a backslash makes the next
/// character literal.
fn quoted(chars: &[char], at: usize, quote: char) -> Result<(TokenKind, usize), RuleError> {
    let mut value = String::new();
    let mut i = at + 1;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => {
                let Some(&escaped) = chars.get(i + 1) else {
                    break;
                };
                value.push(escaped);
                i += 2;
            }
            c if c == quote => return Ok((TokenKind::Quoted(value), i + 1 - at)),
            c => {
                value.push(c);
                i += 1;
            }
        }
    }
    Err(RuleError::new(
        at,
        format!("unterminated string: missing the closing {quote}"),
    ))
}

/// The word starting at `chars[at]`.
fn word(chars: &[char], at: usize) -> (TokenKind, usize) {
    let len = chars[at..]
        .iter()
        .take_while(|&&c| continues_word(c))
        .count();
    let text = chars[at..at + len].iter().collect();
    (TokenKind::Word(text), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        lex(src).unwrap().into_iter().map(|t| t.kind).collect()
    }

    fn word(text: &str) -> TokenKind {
        TokenKind::Word(text.to_string())
    }

    #[test]
    fn splits_operators_without_spaces() {
        assert_eq!(
            kinds("a<=-5"),
            [
                word("a"),
                TokenKind::Op(CmpOp::Le),
                word("-5"),
                TokenKind::End
            ]
        );
        assert_eq!(
            kinds("a!=b==c"),
            [
                word("a"),
                TokenKind::Op(CmpOp::Ne),
                word("b"),
                TokenKind::Op(CmpOp::Eq),
                word("c"),
                TokenKind::End
            ]
        );
    }

    #[test]
    fn offsets_count_chars_not_bytes() {
        let tokens = lex("é  =x").unwrap();
        let offsets: Vec<usize> = tokens.iter().map(|t| t.offset).collect();
        assert_eq!(offsets, [0, 3, 4, 5]);
    }

    #[test]
    fn quoted_strings_keep_spaces_and_escapes() {
        assert_eq!(
            kinds(r#"["O'Brien Ltd", 'a \'b\'']"#),
            [
                TokenKind::LBracket,
                TokenKind::Quoted("O'Brien Ltd".into()),
                TokenKind::Comma,
                TokenKind::Quoted("a 'b'".into()),
                TokenKind::RBracket,
                TokenKind::End
            ]
        );
    }

    #[test]
    fn apostrophe_inside_a_word_is_part_of_it() {
        assert_eq!(kinds("O'Brien"), [word("O'Brien"), TokenKind::End]);
    }

    #[test]
    fn unterminated_string_points_at_its_quote() {
        let err = lex("a = \"abc").unwrap_err();
        assert_eq!(err.offset, 4);
        assert_eq!(err.message, "unterminated string: missing the closing \"");
    }

    #[test]
    fn lone_bang_is_an_error() {
        let err = lex("not ! a").unwrap_err();
        assert_eq!(err.offset, 4);
    }
}
