//! Text from outside the program made safe to write on a terminal (SPEC "Output that reaches
//! a terminal").
//!
//! A customer's name, a note, an owner, a reply's subject or a value quoted in an error can
//! hold characters a terminal obeys instead of showing: an escape sequence that clears the
//! screen, sets the window title or writes the clipboard (OSC 52), a carriage return that
//! overwrites the line, a line separator, a bidirectional override that reorders what follows.
//! [`visible`] is the one function every human writer passes such text through. It shows each
//! of these characters as something a person can read, and leaves every other character as
//! it is:
//!
//! | characters | shown as |
//! |---|---|
//! | C0 controls U+0000–U+001F, except newline and tab | their Control Picture: `␀` … `␟` (ESC `␛`, BEL `␇`, CR `␍`) |
//! | DEL U+007F | `␡` |
//! | C1 controls U+0080–U+009F (NEL U+0085 among them) | `<U+0085>` |
//! | line and paragraph separators U+2028, U+2029 | `<U+2028>`, `<U+2029>` |
//! | bidirectional controls U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069 | `<U+202E>` |
//! | characters that draw nothing: soft hyphen U+00AD, U+180E, zero-width space and non-joiner U+200B, U+200C, word joiner and invisible operators U+2060–U+2064, U+FEFF, tags U+E0000–U+E007F | `<U+200B>` |
//!
//! The last row is not obeyed, but hidden: `Acme` and `Ac<U+200B>me` would look the same in a
//! list and be two customers, and a terminal that draws one of them as a box moves every
//! column after it. (The zero-width joiner and variation selectors stay: they make one emoji
//! of several, and the workstation measures them apart.) And a grapheme keeps at most
//! [`GRAPHEME_MOST`] characters: a letter under ten thousand accents is one character wide,
//! and a terminal stacks them over the lines above and below.
//!
//! What it returns holds none of them, so showing it again changes nothing. [`one_line`] also
//! shows newlines (`↵`) and tabs (a space), for a value that must stay on its line (a table
//! cell, a name in a sentence, a value an error quotes: [`crate::error::quoted`]). Names given
//! on the command line go through [`check_name`], which refuses them, quoted the same way.
//!
//! JSON output does not use any of this: serde_json escapes what JSON escapes, and a value
//! read back is the value that was written.

use std::borrow::Cow;
use std::fmt::Write as _;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The most characters one grapheme keeps: a letter and its accents, a Devanagari conjunct, a
/// flag, an emoji and its skin tone fit well within it; the marks stacked past it are left
/// out.
pub const GRAPHEME_MOST: usize = 8;

/// Whether `c` draws nothing where it stands: Unicode's default-ignorable characters (the
/// joiners, variation selectors and fillers among them) and the blank braille cell. An email
/// address holding one looks like another address and is none a mail server delivers.
pub fn draws_nothing(c: char) -> bool {
    is_unsafe(c)
        || matches!(
            c,
            '\u{34f}'
                | '\u{115f}'..='\u{1160}'
                | '\u{17b4}'..='\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2060}'..='\u{206f}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fff8}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
}

/// Whether `c` must not reach a terminal raw (newline and tab may).
pub fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{b}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{ad}'
            | '\u{180e}'
            | '\u{200b}'
            | '\u{200c}'
            | '\u{2060}'..='\u{2064}'
            | '\u{feff}'
            | '\u{e0000}'..='\u{e007f}'
    )
}

/// Whether a grapheme of `text` holds more than [`GRAPHEME_MOST`] characters.
fn overlong(text: &str) -> bool {
    !text.is_ascii()
        && text
            .graphemes(true)
            .any(|g| g.chars().nth(GRAPHEME_MOST).is_some())
}

/// Writes how an unsafe character is shown.
fn show(c: char, out: &mut String) {
    match c {
        // The Control Pictures block has one picture per C0 control, in order.
        '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + u32::from(c)).unwrap_or('?')),
        '\u{7f}' => out.push('␡'),
        _ => {
            let _ = write!(out, "<U+{:04X}>", u32::from(c));
        }
    }
}

/// The text with every character that must not reach a terminal raw made visible (see the
/// table in the module's documentation). Text that has none is returned as it is.
pub fn visible(text: &str) -> Cow<'_, str> {
    shown(text, false)
}

/// Like [`visible`], and newlines shown as `↵` and tabs as a space: for a value that must stay
/// on one line (a table cell, a name inside a sentence), so that it cannot start a line of its
/// own.
pub fn one_line(text: &str) -> Cow<'_, str> {
    shown(text, true)
}

fn shown(text: &str, one_line: bool) -> Cow<'_, str> {
    let changes = |c: char| is_unsafe(c) || (one_line && (c == '\n' || c == '\t'));
    // Up to the first character that changes, as it is (all of it goes grapheme by grapheme
    // when one is too long: it may stand before that).
    let first = match text.find(changes) {
        _ if overlong(text) => 0,
        None => return Cow::Borrowed(text),
        Some(first) => first,
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    for g in text[first..].graphemes(true) {
        for c in g.chars().take(GRAPHEME_MOST) {
            match c {
                '\n' if one_line => out.push('↵'),
                '\t' if one_line => out.push(' '),
                c if is_unsafe(c) => show(c, &mut out),
                c => out.push(c),
            }
        }
    }
    Cow::Owned(out)
}

/// Zero-width characters that only join or select (ZWJ, variation selectors): a terminal that
/// counts code points and one that counts graphemes disagree on what they produce.
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200d}' | '\u{fe00}'..='\u{fe0f}' | '\u{e0100}'..='\u{e01ef}')
}

/// Whether a grapheme takes as many columns counted whole as counted by code points (a
/// lone character does: a control one is left out of a line, not measured).
pub fn agrees(g: &str) -> bool {
    let mut chars = g.chars();
    if chars.next().is_none() || chars.next().is_none() {
        return true;
    }
    let by_char: usize = g.chars().map(|c| c.width().unwrap_or(0)).sum();
    UnicodeWidthStr::width(g) == by_char
}

/// Whether `text` is drawn as it is: nothing to show, join or cut (a grapheme longer than
/// [`GRAPHEME_MOST`] is cut by [`visible`]).
pub fn is_settled(text: &str) -> bool {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return true;
    }
    !text
        .chars()
        .any(|c| is_unsafe(c) || is_joiner(c) || c == '\n' || c == '\t')
        && text
            .graphemes(true)
            .all(|g| agrees(g) && g.chars().nth(GRAPHEME_MOST).is_none())
}

/// The text as the workstation draws it and the command line's tables print it, on one line: control characters made visible,
/// newlines shown as `↵` and tabs as a space (two names must not read alike: "Line1↵Line2"
/// was drawn "Line1Line2"), joiners and variation selectors dropped, and each grapheme that
/// measures differently by code point cut to its first character (see the module's
/// documentation).
pub fn in_columns(text: &str) -> Cow<'_, str> {
    if is_settled(text) {
        return Cow::Borrowed(text);
    }
    let mut out: String = one_line(text).chars().filter(|c| !is_joiner(*c)).collect();
    // Cutting one grapheme can let its neighbours form another: again until nothing changes
    // (each round removes characters, so it ends).
    loop {
        let mut next = String::with_capacity(out.len());
        let mut changed = false;
        for g in out.graphemes(true) {
            if agrees(g) {
                next.push_str(g);
            } else {
                changed = true;
                next.extend(g.chars().next());
            }
        }
        out = next;
        if !changed {
            return Cow::Owned(out);
        }
    }
}

/// The text as a terminal that draws in ASCII (`LANG=C`, a Latin-1 locale, `TERM=vt100`)
/// shows it, spelt before it is laid out so that its columns are measured as drawn (a local
/// workstation and an SSH session alike; cell by cell a letter could not become two):
/// compatibility forms as the ASCII they stand for (full-width `ＡＢＣ１` as `ABC1`, the ligature
/// `ﬁ` as `fi`, `№` as `No`), accents left off (`Élan` → `Elan`), the Latin letters that do not
/// decompose spelt as their base letters (`ß` → `ss`, `Œ` → `OE`, `Æ` → `AE`, `ø` → `o`,
/// `ł` → `l`, `þ` → `th`), lines and corners `-`, `|` and `+`, blocks `#`, arrows, dots, quotes
/// and dashes their nearest signs, a control character's picture its caret form (`␛` → `^[`),
/// and what has no ASCII spelling `?`, one a column (`東` → `??`). ASCII text is returned as
/// it is.
pub fn in_ascii(text: &str) -> Cow<'_, str> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else if let Some(spelt) = ascii_spelling(c) {
            out.push_str(spelt);
        } else if let Some(picture) = caret_of_picture(c) {
            out.push_str(&picture);
        } else {
            // Its compatibility decomposition, each part spelt in turn: accents left off.
            for part in c.nfkd() {
                if part.is_ascii() {
                    out.push(part);
                } else if let Some(spelt) = ascii_spelling(part) {
                    out.push_str(spelt);
                } else if !is_combining_mark(part) {
                    let columns = part.width().unwrap_or(0);
                    out.extend(std::iter::repeat_n('?', columns));
                }
            }
        }
    }
    Cow::Owned(out)
}

/// `^[` for `␛`, the Control Picture of a C0 control ([`visible`]) in caret notation; `^?`
/// for `␡`.
fn caret_of_picture(c: char) -> Option<String> {
    match u32::from(c) {
        n @ 0x2400..=0x241f => char::from_u32(n - 0x2400 + 0x40).map(|k| format!("^{k}")),
        0x2421 => Some("^?".to_string()),
        _ => None,
    }
}

/// How [`in_ascii`] spells a character that does not decompose to ASCII: a Latin letter of
/// its own, a line, a block, an arrow, a sign.
fn ascii_spelling(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'ẞ' => "SS",
        'Æ' => "AE",
        'æ' => "ae",
        'Œ' => "OE",
        'œ' => "oe",
        'Ø' => "O",
        'ø' => "o",
        'Ł' => "L",
        'ł' => "l",
        'Đ' | 'Ð' => "D",
        'đ' | 'ð' => "d",
        'Ħ' => "H",
        'ħ' => "h",
        'Ŧ' => "T",
        'ŧ' => "t",
        'Þ' => "TH",
        'þ' => "th",
        'ı' => "i",
        'ĸ' => "q",
        'Ŋ' => "NG",
        'ŋ' => "ng",
        '▁' | '▂' => "_",
        '▃' => "-",
        '▅' | '▆' | '▇' => "#",
        '“' | '”' | '„' | '″' => "\"",
        '‘' | '’' | '‚' | '′' => "'",
        '↵' => "/",
        '─' | '━' | '═' | '╌' | '┄' | '—' | '–' | '‐' | '‑' | '‒' | '−' => {
            "-"
        }
        '│' | '┃' | '║' | '╎' | '┆' | '▏' | '▕' => "|",
        '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' | '╭' | '╮' | '╰' | '╯' | '╔' | '╗'
        | '╚' | '╝' | '╠' | '╣' | '╦' | '╩' | '╬' | '┏' | '┓' | '┗' | '┛' => {
            "+"
        }
        '█' | '▉' | '▊' | '▋' | '▌' | '▍' | '▎' | '▀' | '▄' | '▐' | '░' | '▒' | '▓' | '■' => {
            "#"
        }
        // A cut must not read as a full stop, nor a mark as one ("usually pays 31 days." was
        // cut; "." began a marked row).
        '…' => "~",
        '·' => "|",
        '•' | '∙' => "*",
        '▼' | '↓' | '▾' => "v",
        '▲' | '↑' | '▴' => "^",
        '→' | '↳' | '▶' | '›' | '»' | '≥' => ">",
        '←' | '◀' | '‹' | '«' | '≤' => "<",
        '×' => "x",
        '÷' => "/",
        '⁄' => "/",
        '✓' | '✔' => "*",
        '€' => "EUR",
        '£' => "GBP",
        '¥' => "JPY",
        '©' => "(c)",
        '®' => "(R)",
        '°' => "o",
        '§' => "S",
        '¡' => "!",
        '¿' => "?",
        '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => " ",
        _ => return None,
    })
}

/// `text` on one line, at most `width` characters, around the first of `words` it holds
/// (compared without regard to case): runs of white space, line breaks included, become one
/// space, and `…` stands where text was left out — so that a search's result shows why it
/// matched. Made [`visible`] too.
pub fn excerpt(text: &str, words: &[&str], width: usize) -> String {
    let flat: Vec<char> = visible(&text.split_whitespace().collect::<Vec<_>>().join(" "))
        .chars()
        .collect();
    let width = width.max(2);
    if flat.len() <= width {
        return flat.into_iter().collect();
    }
    let lower: String = flat.iter().flat_map(|c| c.to_lowercase()).collect();
    // The match's position in characters (lowercasing keeps the count for the text we meet;
    // where it would not, the start is the fallback).
    let at = words
        .iter()
        .map(|w| w.trim().to_lowercase())
        .filter(|w| !w.is_empty())
        .filter_map(|w| lower.find(&w).map(|byte| lower[..byte].chars().count()))
        .min()
        .filter(|_| lower.chars().count() == flat.len())
        .unwrap_or(0);
    // Some context before the match, the window kept inside the text.
    let start = at.saturating_sub(width / 4).min(flat.len() - (width - 1));
    let start = if start <= 1 { 0 } else { start };
    let lead = usize::from(start > 0);
    let room = width - lead;
    let end = (start + room).min(flat.len());
    let cut_end = end < flat.len();
    let mut out = String::new();
    if lead == 1 {
        out.push('…');
    }
    let take = if cut_end { room - 1 } else { room };
    out.extend(&flat[start..(start + take).min(flat.len())]);
    if cut_end {
        out.push('…');
    }
    out
}

/// Checks a name given on the command line or in the config (a collector, an owner, a user):
/// it may not hold a control character of any kind, newline and tab included, nor a
/// bidirectional control or a character that draws nothing. Refused, the sentence's first
/// part (each caller says what to do): the name quoted and the characters it may not hold
/// named, both shown as everywhere else ([`name_shown`]): `` `al␛ice` holds a control
/// character (shown as ␛), which a name may not hold ``.
pub fn check_name(text: &str) -> Result<(), String> {
    match refused_name(text) {
        Some((said, _)) => Err(said),
        None => Ok(()),
    }
}

/// [`check_name`] for a name given in a form or a file, the sentence whole: `whose` names it
/// (`the view name`), and what to do ends it (`…; give it without that character`).
pub fn refuse_name(whose: &str, text: &str) -> Result<(), String> {
    match refused_name(text) {
        Some((said, several)) => Err(format!(
            "{whose} {said}; give it without {}",
            if several {
                "those characters"
            } else {
                "that character"
            }
        )),
        None => Ok(()),
    }
}

/// What is wrong with a name (see [`check_name`]), and whether it holds more than one
/// character it may not.
fn refused_name(text: &str) -> Option<(String, bool)> {
    let refused = |c: char| c.is_control() || is_unsafe(c);
    let bad: Vec<char> = text.chars().filter(|&c| refused(c)).collect();
    if bad.is_empty() {
        return None;
    }
    let control = |c: &char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
    let several = bad.len() > 1;
    let what = match (bad.iter().all(control), bad.iter().any(control), several) {
        (true, _, false) => "a control character",
        (true, _, true) => "control characters",
        (false, false, false) => "an invisible character",
        (false, false, true) => "invisible characters",
        (false, true, _) => "control and invisible characters",
    };
    // Each character once, in the order met, a few at most.
    const NAMED: usize = 4;
    let mut shown: Vec<String> = Vec::new();
    for &c in &bad {
        let one = name_shown(c.encode_utf8(&mut [0; 4]));
        if !shown.contains(&one) {
            shown.push(one);
        }
    }
    let list = match shown.len() {
        1 => shown[0].clone(),
        n if n <= NAMED => format!("{} and {}", shown[..n - 1].join(", "), shown[n - 1]),
        _ => format!("{}, …", shown[..NAMED].join(", ")),
    };
    Some((
        format!(
            "{} holds {what} (shown as {list}), which a name may not hold",
            crate::error::quoted(&name_shown(text))
        ),
        several,
    ))
}

/// A name refused, written as [`visible`] and [`one_line`] write text (C0 controls as their
/// Control Pictures, `␛`; a newline as `↵`; the rest as `<U+202E>`), but for a tab, shown
/// as its picture `␉` (a space left nothing to see), and every other character that draws
/// nothing or is a space but the plain one as `<U+00A0>`, as [`hidden_shown`] shows them.
fn name_shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push('↵'),
            '\t' => out.push('␉'),
            c if is_unsafe(c) => show(c, &mut out),
            c if c != ' ' && (c.is_whitespace() || draws_nothing(c)) => {
                let _ = write!(out, "<U+{:04X}>", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// The 1-based line of byte `offset` in `text` (a file's error names the line of what is
/// wrong in it).
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The first `n` characters of `text` (all of it when shorter): where a long text from
/// outside is cut to what is kept or shown.
pub fn first_chars(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// `text` with every character that draws nothing or reorders text ([`draws_nothing`]: the
/// controls among them) and every space but the plain one (a tab, a line feed, a no-break
/// space) written as `<U+200B>`: a value quoted where it is refused for holding one (an
/// email address, a phone number) shows the character that is wrong, where a quote through
/// [`one_line`] would hide a zero-width space or show a no-break space as a space.
pub fn hidden_shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c != ' ' && (c.is_whitespace() || draws_nothing(c)) {
            let _ = write!(out, "<U+{:04X}>", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` cut after its first `n` characters, with `…` where it was cut.
pub fn cut_after(text: &str, n: usize) -> Cow<'_, str> {
    let kept = first_chars(text, n);
    if kept.len() < text.len() {
        Cow::Owned(format!("{kept}…"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A person's name in its composed form (Unicode NFC): `Zoë` typed on one machine and
/// `Zoe` + a combining diaeresis exported by another are the same name, compared byte for
/// byte wherever an owner meets a user.
pub fn nfc(text: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};
    if text.is_ascii() || is_nfc_quick(text.chars()) == IsNormalized::Yes {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.nfc().collect())
    }
}

/// A name as two spellings of it are told to be one person's: [`fold`] without setting
/// accents aside (`józef` and `jozef` may be two people; `JÓZEF`, `Józef`, `ＪÓＺＥＦ` and
/// `Jo\u{301}zef` are one). Users, finance owners and the owners typed to `--owner`,
/// `owner:` and the team's rows all compare by it.
pub fn person_key(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    fold_chars(text, false)
}

/// Whether `a` and `b` are one person's name ([`person_key`]), quickly when both are ASCII.
pub fn same_person(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        person_key(a) == person_key(b)
    }
}

/// The order of [`person_key`]: the collation `owed_person` of the store's SQL, which
/// compares and groups finance owners (`ZOË` is `zoë`; SQLite's `NOCASE` folds ASCII only).
pub fn person_order(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        person_key(a).cmp(&person_key(b))
    }
}

/// The one fold by which text is compared when it is searched and names are ordered: a
/// customer's name or id, a document's number, a finance owner ([`person_key`], its accents
/// kept). Compatibility forms folded (NFKD: full-width `ＡＢＣ` is `abc`, `ﬁ` is `fi`),
/// accents set aside (the combining diacritical marks; the vowel signs of Thai or Devanagari
/// are letters of their word and stay), case folded in every script, with the letters whose
/// case depends on the language folded together: `ß` and `ẞ` are `ss`, final `ς` is `σ`,
/// Turkish `ı` and `İ` are `i`; the Latin letters that do not decompose spelled as their base
/// letters (`ł` → `l`, `ø` → `o`, `æ` → `ae`, `œ` → `oe`, `þ` → `th` …). Composed again (NFC)
/// at the end, so that text typed decomposed folds as text stored composed. `elan` finds
/// `Élan Conseil`, `unicode` finds `Ünïcode GmbH`, `strasse` finds `Straße`, as `note:cafe`
/// finds "café"; the name order ([`alphabetical`]) compares these letters first.
pub fn fold(text: &str) -> std::borrow::Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        std::borrow::Cow::Borrowed(text)
    } else if text.is_ascii() {
        std::borrow::Cow::Owned(text.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Owned(fold_chars(text, true))
    }
}

/// The characters of [`fold`] (`accents`: set aside too, else only the case folded, as
/// [`person_key`]).
fn fold_chars(text: &str, accents: bool) -> String {
    use unicode_normalization::UnicodeNormalization;
    let out: String = fold_iter(text, accents).collect();
    if out.is_ascii() {
        out
    } else {
        out.nfc().collect()
    }
}

/// [`fold_chars`] one character at a time, not composed again (the name order compares
/// two names only as far as their first difference).
fn fold_iter(text: &str, accents: bool) -> impl Iterator<Item = char> + '_ {
    use unicode_normalization::UnicodeNormalization;
    let mut after_i = false;
    text.nfkd()
        .filter(move |&c| {
            // `İ` decomposes to `I` and a dot above: without the dot, as `i`.
            let dot = c == '\u{307}' && after_i;
            after_i = matches!(c, 'i' | 'I');
            !(dot || (accents && is_accent(c)))
        })
        .flat_map(move |c| {
            let base: &'static str = match c {
                'ß' | 'ẞ' => "ss",
                'ς' => "σ",
                'ı' => "i",
                _ if !accents => "",
                'ł' | 'Ł' => "l",
                'ø' | 'Ø' => "o",
                'đ' | 'Đ' | 'ð' | 'Ð' => "d",
                'ħ' | 'Ħ' => "h",
                'ŧ' | 'Ŧ' => "t",
                'æ' | 'Æ' => "ae",
                'œ' | 'Œ' => "oe",
                'þ' | 'Þ' => "th",
                _ => "",
            };
            let lower = base.is_empty().then(|| c.to_lowercase());
            base.chars().chain(lower.into_iter().flatten())
        })
}

/// The combining marks [`fold`] sets aside: the diacritical marks of the Latin, Greek and
/// Cyrillic letters (their blocks), not the vowel signs and viramas other scripts spell
/// their words with.
fn is_accent(c: char) -> bool {
    matches!(
        c,
        '\u{300}'..='\u{36f}'
            | '\u{483}'..='\u{489}'
            | '\u{1ab0}'..='\u{1aff}'
            | '\u{1dc0}'..='\u{1dff}'
            | '\u{20d0}'..='\u{20ff}'
            | '\u{fe20}'..='\u{fe2f}'
    )
}

/// `text` in lower case in every script, as searches compare names and ids (SQLite's `lower`
/// and `LIKE` fold ASCII letters only).
pub fn lowered(text: &str) -> std::borrow::Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.to_lowercase())
    }
}

/// The key a cycle or reminder name is known by: trimmed, composed (NFC) and in lower case in
/// every script. `Firm`, ` FIRM ` and `Relancé` saved decomposed by another editor are the
/// names people read as one, so the record of what was sent is looked up by this key.
pub fn name_key(text: &str) -> String {
    nfc(&lowered(&nfc(text.trim()))).into_owned()
}

/// The order customers are listed in by name: alphabetical as a reader expects it, not by
/// code point. Accents and case are set aside first (`Élan` files under E beside `Elan`,
/// `Åkesson` under A, `Łukasiewicz` under L; code-point order put all three after Z), then
/// case decides (`ACME` before `acme`), then the code points, so that the order is total and
/// the same everywhere. The root order of the Unicode collation algorithm for Latin letters
/// (a Swede files `Å` after `Z`; no single order suits every language); other scripts keep
/// their code-point order after the Latin one.
pub fn alphabetical(a: &str, b: &str) -> std::cmp::Ordering {
    let folded = if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        // Compared as they are folded, so that the first letter that differs decides
        // without folding the rest (a sort of 100,000 names compares two millions of pairs).
        fold_iter(a, true).cmp(fold_iter(b, true))
    };
    folded
        .then_with(|| lowered(a).cmp(&lowered(b)))
        .then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_sets_accents_and_case_aside_as_the_name_order_does() {
        assert_eq!(fold("acme"), "acme");
        assert!(matches!(fold("acme"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(fold("ACME Inc"), "acme inc");
        assert_eq!(fold("Élan Conseil"), "elan conseil");
        assert_eq!(fold("Ünïcode GmbH"), "unicode gmbh");
        assert_eq!(fold("Straße Łódź Ærø"), "strasse lodz aero");
        // Decomposed as another editor saves it, the same.
        assert_eq!(fold("E\u{301}lan"), "elan");
        assert_eq!(fold("東京商事"), "東京商事");
    }

    /// The reviewer's texts from around the world: each pair folds to one text.
    #[test]
    fn one_fold_for_every_script() {
        for (a, b) in [
            ("σίσυφος", "ΣΊΣΥΦΟΣ"),
            ("ΙΩΆΝΝΗΣ", "Ιωάννης"),
            ("πληρωμή", "ΠΛΗΡΩΜΗ"),
            ("τιμη", "Τιμή"),
            ("grosse", "Größe"),
            ("GRÖSSE", "Größe"),
            ("diyarbakır", "DİYARBAKIR"),
            ("ilik", "ılık"),
            ("re-ü002", "RE-Ü002"),
            ("re-u\u{308}002", "RE-Ü002"),
            ("ＦＵＬＬＷＩＤＴＨ", "fullwidth"),
            ("muller", "Müller"),
            ("Œuvre", "oeuvre"),
        ] {
            assert_eq!(fold(a), fold(b), "{a} {b}");
        }
        // Vowel signs, viramas and kana voicing are letters of their words, kept.
        assert_eq!(fold("สัปดาห์"), "สัปดาห์");
        assert_eq!(fold("क्षत्रिय"), "क्षत्रिय");
        assert_eq!(fold("ガス"), "ガス");
        assert_eq!(fold("ｶﾞｽ"), "ガス");
        assert_eq!(fold("회사"), "회사");
        // Thai and Devanagari names found and ordered by what they spell.
        assert_ne!(fold("กิ"), fold("ก"));
        assert_ne!(alphabetical("กิ", "ก"), std::cmp::Ordering::Equal);
        // A person's name keeps its accents; its case and width are folded.
        assert_eq!(person_key("ZOË"), person_key("zoë"));
        assert_eq!(person_key("ＺＯË"), "zoë");
        assert_eq!(person_key("AYŞE"), "ayşe");
        assert_eq!(person_key("Zoe\u{308}"), "zoë");
        assert_ne!(person_key("józef"), person_key("jozef"));
        assert_eq!(person_key("İLKER"), person_key("ilker"));
        assert_eq!(person_key("STRAẞE"), person_key("straße"));
    }

    /// Hand-sorted as a phone book would: accents and case aside, then case.
    #[test]
    fn names_sort_alphabetically_accents_and_case_aside() {
        let mut names = vec![
            "Zeta Oy",
            "Łukasiewicz sp. z o.o.",
            "Élan Énergie S.A.",
            "elan conseil",
            "Åkesson Bygg AB",
            "Acme",
            "ACME",
            "Ørsted",
            "Lund",
            "Ærø Fisk",
            "東京商事",
            "Straße 1",
            "Strasse 2",
            "Elan Conseil",
        ];
        names.sort_by(|a, b| alphabetical(a, b));
        assert_eq!(
            names,
            [
                "ACME",
                "Acme",
                "Ærø Fisk",
                "Åkesson Bygg AB",
                "Elan Conseil",
                "elan conseil",
                "Élan Énergie S.A.",
                "Łukasiewicz sp. z o.o.",
                "Lund",
                "Ørsted",
                "Straße 1",
                "Strasse 2",
                "Zeta Oy",
                "東京商事",
            ]
        );
    }

    /// SQLite needs a collation to be an order: never equal for different texts, and
    /// antisymmetric, whether either side is ASCII or not.
    #[test]
    fn alphabetical_order_is_total() {
        use std::cmp::Ordering::*;
        let texts = [
            "a", "A", "á", "Á", "a\u{301}", "ab", "ä", "b", "", " a", "ss", "ß",
        ];
        for a in texts {
            for b in texts {
                let ab = alphabetical(a, b);
                assert_eq!(ab, alphabetical(b, a).reverse(), "{a:?} {b:?}");
                assert_eq!(ab == Equal, a == b, "{a:?} {b:?}");
            }
        }
    }

    /// The reviewer's texts on a terminal without Unicode: each letter spelt as ASCII, not
    /// `?`, and only what has no ASCII spelling `?`, one a column.
    #[test]
    fn text_is_spelt_in_ascii_for_a_terminal_without_unicode() {
        for (text, ascii) in [
            ("Straße", "Strasse"),
            ("STRAẞE", "STRASSE"),
            ("Œuvre Ærø œ æ", "OEuvre AEro oe ae"),
            ("Łódź Øre Þór Đakovo", "Lodz Ore THor Dakovo"),
            ("ＦＵＬＬ ＷＩＤＴＨ １２３", "FULL WIDTH 123"),
            ("ﬁnance ﬂow", "finance flow"),
            ("Élan Ünïcode Nguyễn", "Elan Unicode Nguyen"),
            ("E\u{301}lan", "Elan"),
            ("№ 5 ½", "No 5 1/2"),
            ("東京 Co", "???? Co"),
            ("a\u{a0}b — c… d · e • f", "a b - c~ d | e * f"),
            ("␛[2J␇␡", "^[[2J^G^?"),
            ("─┼│█▼→", "-+|#v>"),
            ("Kite Supplies", "Kite Supplies"),
        ] {
            assert_eq!(in_ascii(text), ascii, "{text}");
        }
        assert!(matches!(in_ascii("plain"), Cow::Borrowed("plain")));
        // Whatever it is given, it gives ASCII.
        let all: String = (0x80u32..0x3000).filter_map(char::from_u32).collect();
        assert!(in_ascii(&all).is_ascii());
    }

    #[test]
    fn hidden_characters_are_shown_by_their_code_point() {
        assert_eq!(
            hidden_shown("+1 555\u{200b}0100\u{a0}\t\n\u{202e}\u{1b}"),
            "+1 555<U+200B>0100<U+00A0><U+0009><U+000A><U+202E><U+001B>"
        );
        assert_eq!(hidden_shown("Grüße +44 20"), "Grüße +44 20");
    }

    #[test]
    fn names_are_one_key_whatever_their_case_or_composition() {
        let composed = "Relanc\u{e9}";
        let decomposed = "Relance\u{301}";
        assert_ne!(composed, decomposed);
        assert_eq!(name_key(composed), name_key(decomposed));
        assert_eq!(name_key(" RELANC\u{c9} "), name_key(decomposed));
        assert_eq!(name_key("Firm"), "firm");
        assert_ne!(name_key("Firm"), name_key("Friendly"));
    }

    #[test]
    fn a_cut_says_where_it_cut() {
        assert_eq!(first_chars("Ørsted A/S", 6), "Ørsted");
        assert_eq!(first_chars("Ørsted", 60), "Ørsted");
        assert_eq!(cut_after("Ørsted A/S", 6), "Ørsted…");
        assert_eq!(cut_after("Ørsted", 6), "Ørsted");
        assert_eq!(cut_after("", 0), "");
    }

    #[test]
    fn an_excerpt_shows_where_the_words_are() {
        let reply = "Re: Overdue: 53.02 USD for Swift Networks LLC\nHello,\n\nWe need the purchase \
                     order number on A2026-0001 before we can process it. Please resend.";
        let e = excerpt(reply, &["purchase", "order"], 60);
        assert_eq!(e.chars().count(), 60, "{e}");
        assert!(e.starts_with('…') && e.ends_with('…'), "{e}");
        assert!(e.contains("We need the purchase order number"), "{e}");
        // Found near the start, or not at all: from the start.
        assert_eq!(
            excerpt(reply, &["overdue"], 30),
            "Re: Overdue: 53.02 USD for Sw…"
        );
        assert_eq!(excerpt(reply, &["nowhere"], 12), "Re: Overdue…");
        // Near the end: the window ends with the text.
        let e = excerpt(reply, &["RESEND"], 40);
        assert!(e.starts_with('…') && e.ends_with("Please resend."), "{e}");
        assert_eq!(e.chars().count(), 40);
        // Short text as it is, on one line, made visible.
        assert_eq!(excerpt("a\n\nb\x1b[2J", &["b"], 40), "a b␛[2J");
    }

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        let evil = "\x1b]52;c;aGVsbG8=\x07\x1b]0;TITLE\x07\x1b[2J Evil Co";
        assert_eq!(visible(evil), "␛]52;c;aGVsbG8=␇␛]0;TITLE␇␛[2J Evil Co");
        assert_eq!(visible("a\rb\x00c\x7fd"), "a␍b␀c␡d");
        assert_eq!(visible("x\u{85}y\u{9b}z"), "x<U+0085>y<U+009B>z");
        assert_eq!(visible("a\u{2028}b\u{2029}"), "a<U+2028>b<U+2029>");
        assert_eq!(
            visible("\u{202e}cod.exe\u{2066}\u{200f}"),
            "<U+202E>cod.exe<U+2066><U+200F>"
        );
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in [
            "Kite Supplies",
            "東京商事 株式会社",
            "Café Ünïcode — 🍕",
            "👩\u{200d}💻 Dev GmbH",
            "two\nlines\twith a tab",
            "",
        ] {
            assert!(
                matches!(visible(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn shown_text_has_nothing_left_to_show() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let once = visible(&all).into_owned();
        assert!(!once.chars().any(is_unsafe));
        assert_eq!(visible(&once), once);
        let line = one_line(&all).into_owned();
        assert!(!line.contains(['\n', '\t']));
        assert_eq!(one_line(&line), line);
    }

    #[test]
    fn first_chars_cuts_at_a_character_not_a_byte() {
        assert_eq!(first_chars("Überweisung", 2), "Üb");
        assert_eq!(first_chars("abc", 3), "abc");
        assert_eq!(first_chars("abc", 10), "abc");
        assert_eq!(first_chars("", 1), "");
    }

    #[test]
    fn one_line_keeps_a_value_on_its_line() {
        assert_eq!(one_line("Evil\nK9  Trusted\tCo"), "Evil↵K9  Trusted Co");
        assert_eq!(visible("Evil\nK9"), "Evil\nK9");
    }

    #[test]
    fn names_with_control_characters_are_refused() {
        assert!(check_name("alice").is_ok());
        assert!(check_name("Zoë Ångström").is_ok());
        for bad in ["al\x1bice", "a\nb", "a\tb", "\u{85}", "x\u{202e}", "\u{7f}"] {
            let e = check_name(bad).unwrap_err();
            assert!(!e.chars().any(is_unsafe), "{e}");
            assert!(!e.contains(['\n', '\t']), "{e}");
            assert!(e.ends_with(", which a name may not hold"), "{e}");
        }
        // One way of showing a C0 control, the README's: its Control Picture, in the quote
        // and in what says which it is.
        assert_eq!(
            check_name("al\x1bice").unwrap_err(),
            "`al␛ice` holds a control character (shown as ␛), which a name may not hold"
        );
        assert!(check_name("\x1b[2J").unwrap_err().contains("`␛[2J`"));
        // A tab was quoted as a space: `al ice`; a line feed as a line break.
        assert!(
            check_name("al\tice")
                .unwrap_err()
                .starts_with("`al␉ice` holds a control character (shown as ␉)")
        );
        assert!(
            check_name("ali\nce")
                .unwrap_err()
                .starts_with("`ali↵ce` holds")
        );
        assert_eq!(
            check_name("ali\u{200b}ce").unwrap_err(),
            "`ali<U+200B>ce` holds an invisible character (shown as <U+200B>), which a name \
             may not hold"
        );
        assert_eq!(
            check_name("\x1b]0;T\x07\x1b[2J\u{202e}").unwrap_err(),
            "`␛]0;T␇␛[2J<U+202E>` holds control and invisible characters (shown as ␛, ␇ and \
             <U+202E>), which a name may not hold"
        );
        // With what to do, for the names a form or a file gives.
        assert_eq!(
            refuse_name("the view name", "bo\x1bb").unwrap_err(),
            "the view name `bo␛b` holds a control character (shown as ␛), which a name may not \
             hold; give it without that character"
        );
        assert!(
            refuse_name("the view name", "b\x07o\x07b")
                .unwrap_err()
                .ends_with(
                    "holds control characters (shown as ␇), which a name may not hold; \
                            give it without those characters"
                )
        );
        assert_eq!(refuse_name("the view name", "bob"), Ok(()));
    }

    #[test]
    fn characters_that_draw_nothing_are_shown() {
        assert_eq!(visible("Ac\u{200b}me"), "Ac<U+200B>me");
        assert_eq!(
            visible("\u{feff}Kite\u{ad}\u{2060}\u{e0041}"),
            "<U+FEFF>Kite<U+00AD><U+2060><U+E0041>"
        );
        // What makes one emoji of several stays.
        assert_eq!(visible("👩\u{200d}💻 ❤\u{fe0f}"), "👩\u{200d}💻 ❤\u{fe0f}");
    }

    #[test]
    fn a_grapheme_keeps_a_few_marks_at_most() {
        let zalgo = format!("Z{}algo", "\u{301}".repeat(9_990));
        let shown = visible(&zalgo);
        assert_eq!(
            shown,
            format!("Z{}algo", "\u{301}".repeat(GRAPHEME_MOST - 1))
        );
        assert_eq!(visible(&shown), shown);
        // Before a control character too, and on one line.
        let both = format!("A{}\x1b[2J\nB", "\u{308}".repeat(40));
        assert_eq!(
            one_line(&both),
            format!("A{}␛[2J↵B", "\u{308}".repeat(GRAPHEME_MOST - 1))
        );
        // Accents, conjuncts, flags and skin tones as they are.
        for text in [
            "Nguyễn Thị Ánh",
            "क्षत्रिय",
            "🇯🇵 🇩🇪",
            "👍🏽",
            "e\u{301}\u{302}\u{303}",
        ] {
            assert!(matches!(visible(text), Cow::Borrowed(_)), "{text}");
        }
    }
}
