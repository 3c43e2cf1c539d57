//! Keys from the raw bytes an SSH client sends: one parser for what a terminal types.
//!
//! A local terminal is read through crossterm; over SSH the workstation gets the client
//! terminal's bytes as they were typed, cut into packets anywhere. [`Parser`] turns them into
//! the same [`crossterm::event::Event`]s crossterm would give locally (so the keymap works
//! the same): printable UTF-8, Enter, Tab, Backspace (`0x7f` and `0x08`), Ctrl-letters,
//! arrows, Home/End, PgUp/PgDn, Insert/Delete and F1–F12 in their CSI (`ESC [`) and SS3
//! (`ESC O`) forms with xterm modifiers (`ESC [1;5A` is Ctrl-Up), Alt-x as `ESC x`, focus
//! reports and bracketed paste.
//!
//! Bytes that may be the start of a longer sequence are held until the rest arrives: a
//! packet that ends inside a sequence or inside a UTF-8 character is simply continued by the
//! next one. A lone ESC is ambiguous (the Esc key, or the first byte of an arrow whose rest is
//! still on the wire): the caller waits a few tens of milliseconds, as vim's `ttimeoutlen`
//! does, and then calls [`Parser::flush`], which takes what is held literally (ESC is Esc,
//! `ESC [` is Alt-[). [`Parser::pending`] says whether anything is held.
//!
//! Everything here is hostile input: unknown or malformed sequences, invalid UTF-8 and control
//! characters other than the keys above are dropped, never passed on as text; a sequence that
//! runs past [`MAX_SEQUENCE`] bytes without ending is dropped; a paste keeps at most
//! [`MAX_PASTE`] bytes. Mouse reports are dropped (the workstation never enables the mouse).
//! `0x08` is Backspace, so Ctrl-H is not a key of its own; `0x0a` (which a terminal sends for
//! Ctrl-J, Enter being `0x0d`) is Ctrl-J, as crossterm reports it in raw mode.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};

const ESC: u8 = 0x1b;

/// The longest escape sequence held while waiting for its final byte; a longer one is
/// dropped and what follows is read as keys.
pub const MAX_SEQUENCE: usize = 64;

/// The most bytes one bracketed paste keeps; the rest of a longer paste is dropped.
pub const MAX_PASTE: usize = 256 * 1024;

/// What ends a bracketed paste.
const PASTE_END: &[u8] = b"\x1b[201~";

/// Turns a terminal's input bytes into events, across packet boundaries.
#[derive(Debug, Default)]
pub struct Parser {
    /// Bytes not yet decided: an incomplete sequence or character at the end of the input.
    held: Vec<u8>,
    /// Inside a bracketed paste: the text so far.
    paste: Option<Paste>,
}

/// A bracketed paste being read.
#[derive(Debug, Default)]
struct Paste {
    text: Vec<u8>,
    /// How many bytes of [`PASTE_END`] the input ends with so far.
    matched: usize,
}

impl Paste {
    /// Reads bytes into the paste; returns how many it took when the paste's end was among
    /// them.
    fn take(&mut self, bytes: &[u8]) -> Option<usize> {
        for (i, &b) in bytes.iter().enumerate() {
            if b == PASTE_END[self.matched] {
                self.matched += 1;
                if self.matched == PASTE_END.len() {
                    return Some(i + 1);
                }
                continue;
            }
            // Not the end after all: what looked like its start is text.
            let held = self.matched;
            self.matched = 0;
            self.keep(&PASTE_END[..held]);
            if b == PASTE_END[0] {
                self.matched = 1;
            } else {
                self.keep(&[b]);
            }
        }
        None
    }

    fn keep(&mut self, bytes: &[u8]) {
        let room = MAX_PASTE.saturating_sub(self.text.len());
        self.text.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// The pasted text: line ends as `\n`, control characters other than `\n` and `\t`
    /// dropped.
    fn into_text(self) -> String {
        let raw = String::from_utf8_lossy(&self.text).replace("\r\n", "\n");
        raw.chars()
            .map(|c| if c == '\r' { '\n' } else { c })
            .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
            .collect()
    }
}

/// What the bytes at the start of the input are.
#[derive(Debug, PartialEq)]
enum Step {
    /// An event, from this many bytes.
    Event(Event, usize),
    /// This many bytes mean nothing the workstation uses: dropped.
    Skip(usize),
    /// A bracketed paste starts after this many bytes.
    PasteStart(usize),
    /// The input ends before it can be decided.
    Incomplete,
}

impl Parser {
    /// A parser with nothing held.
    pub fn new() -> Parser {
        Parser::default()
    }

    /// Reads a packet of input, appending the events it completes to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Event>) {
        self.held.extend_from_slice(bytes);
        self.drain(false, out);
    }

    /// Whether bytes are held that more input could still complete (a lone ESC, a partial
    /// sequence or character). Inside a paste nothing is pending: a paste waits for its end.
    pub fn pending(&self) -> bool {
        self.paste.is_none() && !self.held.is_empty()
    }

    /// No more input came in time: takes what is held as it stands (ESC is Esc, `ESC [` and
    /// `ESC O` are Alt-[ and Alt-O, a cut sequence or character is dropped).
    pub fn flush(&mut self, out: &mut Vec<Event>) {
        if self.paste.is_none() {
            self.drain(true, out);
        }
    }

    fn drain(&mut self, at_end: bool, out: &mut Vec<Event>) {
        let mut start = 0;
        while start < self.held.len() {
            if let Some(paste) = &mut self.paste {
                match paste.take(&self.held[start..]) {
                    Some(n) => {
                        start += n;
                        let paste = self.paste.take().unwrap_or_default();
                        out.push(Event::Paste(paste.into_text()));
                        continue;
                    }
                    None => {
                        start = self.held.len();
                        break;
                    }
                }
            }
            match step(&self.held[start..]) {
                Step::Event(event, n) => {
                    out.push(event);
                    start += n;
                }
                Step::Skip(n) => start += n,
                Step::PasteStart(n) => {
                    start += n;
                    self.paste = Some(Paste::default());
                }
                Step::Incomplete => {
                    if at_end {
                        out.extend(cut_short(&self.held[start..]));
                        start = self.held.len();
                    }
                    break;
                }
            }
        }
        self.held.drain(..start);
    }
}

/// What an incomplete input means when nothing more comes.
fn cut_short(held: &[u8]) -> Option<Event> {
    match held {
        [ESC] => Some(key(KeyCode::Esc, KeyModifiers::NONE)),
        [ESC, b @ (b'[' | b'O')] => Some(alt(char_key(*b as char))),
        _ => None,
    }
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, modifiers))
}

/// A typed character, with Shift for an upper-case letter (as crossterm reports it).
fn char_key(c: char) -> Event {
    let modifiers = if c.is_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    key(KeyCode::Char(c), modifiers)
}

fn ctrl(c: char) -> Event {
    key(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn alt(event: Event) -> Event {
    match event {
        Event::Key(mut k) => {
            k.modifiers |= KeyModifiers::ALT;
            Event::Key(k)
        }
        other => other,
    }
}

/// Reads the start of `buf` (not empty).
fn step(buf: &[u8]) -> Step {
    if buf[0] == ESC {
        escape(buf)
    } else {
        plain(buf)
    }
}

/// A key that is not an escape sequence: a control byte or a UTF-8 character.
fn plain(buf: &[u8]) -> Step {
    let one = |event| Step::Event(event, 1);
    match buf[0] {
        b'\r' => one(key(KeyCode::Enter, KeyModifiers::NONE)),
        b'\t' => one(key(KeyCode::Tab, KeyModifiers::NONE)),
        0x7f | 0x08 => one(key(KeyCode::Backspace, KeyModifiers::NONE)),
        0x00 => one(ctrl(' ')),
        c @ 0x01..=0x1a => one(ctrl((c - 1 + b'a') as char)),
        c @ 0x1c..=0x1f => one(ctrl((c - 0x1c + b'4') as char)),
        _ => utf8(buf),
    }
}

/// One UTF-8 character; control characters (C1) and invalid bytes are dropped.
fn utf8(buf: &[u8]) -> Step {
    let need = match buf[0] {
        0x20..=0x7e => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Step::Skip(1),
    };
    let have = buf.len().min(need);
    if buf[1..have].iter().any(|&b| !(0x80..=0xbf).contains(&b)) {
        return Step::Skip(1);
    }
    if buf.len() < need {
        return Step::Incomplete;
    }
    match std::str::from_utf8(&buf[..need])
        .ok()
        .and_then(|s| s.chars().next())
    {
        Some(c) if !c.is_control() => Step::Event(char_key(c), need),
        Some(_) => Step::Skip(need),
        None => Step::Skip(1),
    }
}

/// Input starting with ESC.
fn escape(buf: &[u8]) -> Step {
    match buf.get(1) {
        None => Step::Incomplete,
        Some(b'[') => csi(buf),
        Some(b'O') => ss3(buf),
        // Esc pressed before another escape sequence (or twice): the first is Esc.
        Some(&ESC) => Step::Event(key(KeyCode::Esc, KeyModifiers::NONE), 1),
        // ESC before a key is Alt with that key.
        Some(_) => match plain(&buf[1..]) {
            Step::Event(event, n) => Step::Event(alt(event), n + 1),
            Step::Skip(n) => Step::Skip(n + 1),
            other => other,
        },
    }
}

/// Where a sequence's parameter bytes end: the index of its final byte, or how it fails.
enum Final {
    At(usize),
    /// A byte that cannot be in the sequence is at this index: the sequence is dropped up to
    /// it and the byte is read again as input.
    Broken(usize),
    Incomplete,
}

/// Finds the final byte of a sequence whose parameters start at `from`, accepting `param`
/// bytes, then intermediates (0x20–0x2f), then a final byte (0x40–0x7e).
fn final_byte(buf: &[u8], from: usize, param: impl Fn(u8) -> bool) -> Final {
    let mut i = from;
    let mut intermediates = false;
    while i < buf.len() {
        if i >= MAX_SEQUENCE {
            return Final::Broken(MAX_SEQUENCE);
        }
        let b = buf[i];
        match b {
            0x40..=0x7e => return Final::At(i),
            0x20..=0x2f => intermediates = true,
            _ if param(b) && !intermediates => {}
            _ => return Final::Broken(i),
        }
        i += 1;
    }
    if i >= MAX_SEQUENCE {
        Final::Broken(MAX_SEQUENCE)
    } else {
        Final::Incomplete
    }
}

/// `ESC [ …`: cursor and editing keys, function keys, focus, paste, modifiers.
fn csi(buf: &[u8]) -> Step {
    match buf.get(2) {
        None => return Step::Incomplete,
        // The Linux console's F1–F5: ESC [ [ A … ESC [ [ E.
        Some(b'[') => {
            return match buf.get(3) {
                None => Step::Incomplete,
                Some(&b @ b'A'..=b'E') => {
                    Step::Event(key(KeyCode::F(b - b'A' + 1), KeyModifiers::NONE), 4)
                }
                Some(_) => Step::Skip(4),
            };
        }
        // An X10 mouse report: ESC [ M and three bytes.
        Some(b'M') => {
            return if buf.len() < 6 {
                Step::Incomplete
            } else {
                Step::Skip(6)
            };
        }
        Some(_) => {}
    }
    let end = match final_byte(buf, 2, |b| (0x30..=0x3f).contains(&b)) {
        Final::At(i) => i,
        Final::Broken(i) => return Step::Skip(i),
        Final::Incomplete => return Step::Incomplete,
    };
    let n = end + 1;
    let params = &buf[2..end];
    // Private sequences (`<` mouse, `?` replies) carry no key.
    if params.first().is_some_and(|b| (0x3c..=0x3f).contains(b)) {
        return Step::Skip(n);
    }
    let Some(params) = Params::parse(params) else {
        return Step::Skip(n);
    };
    let event = match buf[end] {
        b'~' => match params.first() {
            200 => return Step::PasteStart(n),
            number => tilde_key(number).map(|code| key(code, params.modifiers())),
        },
        b'u' => csi_u(&params),
        b'Z' => Some(key(
            KeyCode::BackTab,
            KeyModifiers::SHIFT | params.modifiers(),
        )),
        b'I' if params.is_empty() => Some(Event::FocusGained),
        b'O' if params.is_empty() => Some(Event::FocusLost),
        letter if params.first() <= 1 => {
            letter_key(letter).map(|code| key(code, params.modifiers()))
        }
        _ => None,
    };
    match event {
        Some(event) => Step::Event(event, n),
        None => Step::Skip(n),
    }
}

/// `ESC O …`: cursor keys in application mode, F1–F4, the keypad.
fn ss3(buf: &[u8]) -> Step {
    if buf.len() < 3 {
        return Step::Incomplete;
    }
    let end = match final_byte(buf, 2, |b| b.is_ascii_digit() || b == b';') {
        Final::At(i) => i,
        Final::Broken(i) => return Step::Skip(i),
        Final::Incomplete => return Step::Incomplete,
    };
    let n = end + 1;
    let Some(params) = Params::parse(&buf[2..end]) else {
        return Step::Skip(n);
    };
    // Some terminals put the modifier alone: ESC O 5 A.
    let modifiers = match params.numbers.as_slice() {
        [] => KeyModifiers::NONE,
        [m] | [_, m] => modifiers(*m),
        _ => return Step::Skip(n),
    };
    let code = match buf[end] {
        b'M' => Some(KeyCode::Enter),
        b @ b'j'..=b'y' => Some(KeyCode::Char(
            b"*+,-./0123456789"[(b - b'j') as usize] as char,
        )),
        letter => letter_key(letter),
    };
    match code {
        Some(code) => Step::Event(key(code, modifiers), n),
        None => Step::Skip(n),
    }
}

/// The key of a sequence ending in a letter (CSI or SS3).
fn letter_key(letter: u8) -> Option<KeyCode> {
    Some(match letter {
        b'A' => KeyCode::Up,
        b'B' => KeyCode::Down,
        b'C' => KeyCode::Right,
        b'D' => KeyCode::Left,
        b'H' => KeyCode::Home,
        b'F' => KeyCode::End,
        b'P' => KeyCode::F(1),
        b'Q' => KeyCode::F(2),
        b'R' => KeyCode::F(3),
        b'S' => KeyCode::F(4),
        _ => return None,
    })
}

/// The key of `ESC [ number ~` (VT220 style).
fn tilde_key(number: u32) -> Option<KeyCode> {
    Some(match number {
        1 | 7 => KeyCode::Home,
        2 => KeyCode::Insert,
        3 => KeyCode::Delete,
        4 | 8 => KeyCode::End,
        5 => KeyCode::PageUp,
        6 => KeyCode::PageDown,
        11..=15 => KeyCode::F((number - 10) as u8),
        17..=21 => KeyCode::F((number - 11) as u8),
        23..=26 => KeyCode::F((number - 12) as u8),
        28 | 29 => KeyCode::F((number - 13) as u8),
        31..=34 => KeyCode::F((number - 14) as u8),
        _ => return None,
    })
}

/// `ESC [ codepoint ; modifiers u` (fixterms / kitty's legacy form); key releases dropped.
fn csi_u(params: &Params) -> Option<Event> {
    if params.event_kind == Some(3) {
        return None;
    }
    let modifiers = params.modifiers();
    let code = match params.first() {
        13 => KeyCode::Enter,
        9 => KeyCode::Tab,
        27 => KeyCode::Esc,
        8 | 127 => KeyCode::Backspace,
        n => match char::from_u32(n) {
            Some(c) if !c.is_control() => KeyCode::Char(c),
            _ => return None,
        },
    };
    Some(key(code, modifiers))
}

/// The xterm modifier parameter: 1 + a bit mask of Shift, Alt, Ctrl, Super, Hyper, Meta.
fn modifiers(param: u32) -> KeyModifiers {
    let mask = param.saturating_sub(1);
    let mut m = KeyModifiers::NONE;
    for (bit, modifier) in [
        (1, KeyModifiers::SHIFT),
        (2, KeyModifiers::ALT),
        (4, KeyModifiers::CONTROL),
        (8, KeyModifiers::SUPER),
        (16, KeyModifiers::HYPER),
        (32, KeyModifiers::META),
    ] {
        if mask & bit != 0 {
            m |= modifier;
        }
    }
    m
}

/// The numeric parameters of a sequence (`1;5`, `97;5:3`): the first number of each, and
/// kitty's event type (after the modifiers).
#[derive(Debug)]
struct Params {
    numbers: Vec<u32>,
    event_kind: Option<u32>,
}

impl Params {
    /// Reads `n(:n)*(;n(:n)*)*`; `None` for anything else.
    fn parse(bytes: &[u8]) -> Option<Params> {
        if bytes.is_empty() {
            return Some(Params {
                numbers: Vec::new(),
                event_kind: None,
            });
        }
        let text = std::str::from_utf8(bytes).ok()?;
        let mut numbers = Vec::new();
        let mut event_kind = None;
        for (i, field) in text.split(';').enumerate() {
            let mut parts = field.split(':');
            let first = parts.next().unwrap_or("");
            numbers.push(if first.is_empty() {
                1
            } else {
                first.parse().ok()?
            });
            // kitty: modifiers:event-type in the second field.
            if i == 1 {
                event_kind = parts.next().and_then(|k| k.parse().ok());
            }
        }
        Some(Params {
            numbers,
            event_kind,
        })
    }

    fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }

    /// The first parameter (1 when absent, as the sequences default it).
    fn first(&self) -> u32 {
        self.numbers.first().copied().unwrap_or(1)
    }

    /// The modifiers in the second parameter.
    fn modifiers(&self) -> KeyModifiers {
        self.numbers
            .get(1)
            .map_or(KeyModifiers::NONE, |&m| modifiers(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NONE: KeyModifiers = KeyModifiers::NONE;
    const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
    const CTRL: KeyModifiers = KeyModifiers::CONTROL;
    const ALT: KeyModifiers = KeyModifiers::ALT;

    /// Everything `bytes` gives, fed at once and then flushed.
    fn parse(bytes: &[u8]) -> Vec<Event> {
        let mut parser = Parser::new();
        let mut out = Vec::new();
        parser.feed(bytes, &mut out);
        parser.flush(&mut out);
        out
    }

    fn k(code: KeyCode, modifiers: KeyModifiers) -> Event {
        key(code, modifiers)
    }

    fn c(ch: char) -> Event {
        char_key(ch)
    }

    #[test]
    fn printable_text_and_utf8() {
        assert_eq!(parse(b"ab"), vec![c('a'), c('b')]);
        assert_eq!(parse(b"A"), vec![k(KeyCode::Char('A'), SHIFT)]);
        assert_eq!(parse("é日😀".as_bytes()), vec![c('é'), c('日'), c('😀')]);
    }

    #[test]
    fn a_character_split_across_packets_is_one_key() {
        let bytes = "日".as_bytes();
        let mut parser = Parser::new();
        let mut out = Vec::new();
        parser.feed(&bytes[..1], &mut out);
        assert!(out.is_empty() && parser.pending());
        parser.feed(&bytes[1..2], &mut out);
        assert!(out.is_empty());
        parser.feed(&bytes[2..], &mut out);
        assert_eq!(out, vec![c('日')]);
        assert!(!parser.pending());
    }

    #[test]
    fn control_keys() {
        assert_eq!(parse(b"\r"), vec![k(KeyCode::Enter, NONE)]);
        assert_eq!(parse(b"\t"), vec![k(KeyCode::Tab, NONE)]);
        assert_eq!(
            parse(b"\x7f\x08"),
            vec![k(KeyCode::Backspace, NONE), k(KeyCode::Backspace, NONE)]
        );
        assert_eq!(parse(b"\x01"), vec![k(KeyCode::Char('a'), CTRL)]);
        assert_eq!(parse(b"\x04"), vec![k(KeyCode::Char('d'), CTRL)]);
        assert_eq!(parse(b"\x15"), vec![k(KeyCode::Char('u'), CTRL)]);
        assert_eq!(parse(b"\x1a"), vec![k(KeyCode::Char('z'), CTRL)]);
        assert_eq!(parse(b"\x00"), vec![k(KeyCode::Char(' '), CTRL)]);
        assert_eq!(parse(b"\n"), vec![k(KeyCode::Char('j'), CTRL)]);
    }

    #[test]
    fn a_lone_esc_waits_then_is_esc() {
        let mut parser = Parser::new();
        let mut out = Vec::new();
        parser.feed(b"\x1b", &mut out);
        assert!(out.is_empty(), "a lone ESC may start a sequence");
        assert!(parser.pending());
        parser.flush(&mut out);
        assert_eq!(out, vec![k(KeyCode::Esc, NONE)]);
        assert!(!parser.pending());
        assert_eq!(
            parse(b"\x1b\x1b"),
            vec![k(KeyCode::Esc, NONE), k(KeyCode::Esc, NONE)]
        );
        assert_eq!(
            parse(b"\x1b\x1b[A"),
            vec![k(KeyCode::Esc, NONE), k(KeyCode::Up, NONE)]
        );
    }

    #[test]
    fn an_arrow_split_after_esc_is_still_an_arrow() {
        let mut parser = Parser::new();
        let mut out = Vec::new();
        parser.feed(b"\x1b", &mut out);
        parser.feed(b"[", &mut out);
        assert!(out.is_empty());
        parser.feed(b"A", &mut out);
        assert_eq!(out, vec![k(KeyCode::Up, NONE)]);
    }

    #[test]
    fn alt_keys() {
        assert_eq!(parse(b"\x1bx"), vec![k(KeyCode::Char('x'), ALT)]);
        assert_eq!(parse(b"\x1bX"), vec![k(KeyCode::Char('X'), ALT | SHIFT)]);
        assert_eq!(parse(b"\x1b\r"), vec![k(KeyCode::Enter, ALT)]);
        assert_eq!(parse("\x1bé".as_bytes()), vec![k(KeyCode::Char('é'), ALT)]);
        assert_eq!(parse(b"\x1b["), vec![k(KeyCode::Char('['), ALT)]);
        assert_eq!(parse(b"\x1bO"), vec![k(KeyCode::Char('O'), ALT | SHIFT)]);
    }

    #[test]
    fn cursor_and_editing_keys_in_both_forms() {
        for (bytes, code) in [
            (&b"\x1b[A"[..], KeyCode::Up),
            (b"\x1b[B", KeyCode::Down),
            (b"\x1b[C", KeyCode::Right),
            (b"\x1b[D", KeyCode::Left),
            (b"\x1bOA", KeyCode::Up),
            (b"\x1bOB", KeyCode::Down),
            (b"\x1bOC", KeyCode::Right),
            (b"\x1bOD", KeyCode::Left),
            (b"\x1b[H", KeyCode::Home),
            (b"\x1b[F", KeyCode::End),
            (b"\x1bOH", KeyCode::Home),
            (b"\x1bOF", KeyCode::End),
            (b"\x1b[1~", KeyCode::Home),
            (b"\x1b[4~", KeyCode::End),
            (b"\x1b[7~", KeyCode::Home),
            (b"\x1b[8~", KeyCode::End),
            (b"\x1b[2~", KeyCode::Insert),
            (b"\x1b[3~", KeyCode::Delete),
            (b"\x1b[5~", KeyCode::PageUp),
            (b"\x1b[6~", KeyCode::PageDown),
            (b"\x1b[Z", KeyCode::BackTab),
            (b"\x1bOM", KeyCode::Enter),
        ] {
            let expected = if code == KeyCode::BackTab {
                k(code, SHIFT)
            } else {
                k(code, NONE)
            };
            assert_eq!(parse(bytes), vec![expected], "{bytes:?}");
        }
    }

    #[test]
    fn function_keys_f1_to_f12() {
        let forms: [&[&[u8]]; 12] = [
            &[b"\x1bOP", b"\x1b[11~", b"\x1b[[A", b"\x1b[P"],
            &[b"\x1bOQ", b"\x1b[12~", b"\x1b[[B"],
            &[b"\x1bOR", b"\x1b[13~", b"\x1b[[C"],
            &[b"\x1bOS", b"\x1b[14~", b"\x1b[[D"],
            &[b"\x1b[15~", b"\x1b[[E"],
            &[b"\x1b[17~"],
            &[b"\x1b[18~"],
            &[b"\x1b[19~"],
            &[b"\x1b[20~"],
            &[b"\x1b[21~"],
            &[b"\x1b[23~"],
            &[b"\x1b[24~"],
        ];
        for (i, forms) in forms.iter().enumerate() {
            for bytes in forms.iter() {
                assert_eq!(
                    parse(bytes),
                    vec![k(KeyCode::F(i as u8 + 1), NONE)],
                    "{bytes:?}"
                );
            }
        }
    }

    #[test]
    fn modifiers_in_xterm_sequences() {
        assert_eq!(parse(b"\x1b[1;5A"), vec![k(KeyCode::Up, CTRL)]);
        assert_eq!(parse(b"\x1b[1;2D"), vec![k(KeyCode::Left, SHIFT)]);
        assert_eq!(parse(b"\x1b[1;3H"), vec![k(KeyCode::Home, ALT)]);
        assert_eq!(parse(b"\x1b[1;6F"), vec![k(KeyCode::End, CTRL | SHIFT)]);
        assert_eq!(parse(b"\x1b[1;2P"), vec![k(KeyCode::F(1), SHIFT)]);
        assert_eq!(parse(b"\x1b[3;5~"), vec![k(KeyCode::Delete, CTRL)]);
        assert_eq!(parse(b"\x1b[15;3~"), vec![k(KeyCode::F(5), ALT)]);
        assert_eq!(parse(b"\x1b[24;5~"), vec![k(KeyCode::F(12), CTRL)]);
        assert_eq!(parse(b"\x1bO5A"), vec![k(KeyCode::Up, CTRL)]);
        assert_eq!(parse(b"\x1b[97;5u"), vec![k(KeyCode::Char('a'), CTRL)]);
        assert_eq!(parse(b"\x1b[13;2u"), vec![k(KeyCode::Enter, SHIFT)]);
        assert!(parse(b"\x1b[97;5:3u").is_empty(), "a key release is no key");
    }

    #[test]
    fn focus_reports() {
        assert_eq!(parse(b"\x1b[I"), vec![Event::FocusGained]);
        assert_eq!(parse(b"\x1b[O"), vec![Event::FocusLost]);
    }

    #[test]
    fn bracketed_paste_is_one_event_of_clean_text() {
        assert_eq!(
            parse(b"x\x1b[200~line 1\r\nline\t2\x07\x1b[31m\x1b[201~y"),
            vec![c('x'), Event::Paste("line 1\nline\t2[31m".into()), c('y')]
        );
        // The end marker split across packets, and a false start of it inside the text.
        let mut parser = Parser::new();
        let mut out = Vec::new();
        parser.feed(b"\x1b[200~a\x1b[20", &mut out);
        assert!(
            out.is_empty() && !parser.pending(),
            "a paste waits for its end"
        );
        parser.flush(&mut out);
        assert!(out.is_empty(), "no timeout ends a paste");
        parser.feed(b"0b\x1b[2", &mut out);
        parser.feed(b"01~", &mut out);
        assert_eq!(out, vec![Event::Paste("a[200b".into())]);
    }

    #[test]
    fn a_huge_paste_is_cut() {
        let mut bytes = b"\x1b[200~".to_vec();
        bytes.extend(std::iter::repeat_n(b'a', MAX_PASTE + 1000));
        bytes.extend_from_slice(b"\x1b[201~z");
        let events = parse(&bytes);
        assert_eq!(events.len(), 2);
        assert!(matches!(&events[0], Event::Paste(t) if t.len() == MAX_PASTE));
        assert_eq!(events[1], c('z'));
    }

    #[test]
    fn hostile_bytes_are_dropped_not_typed() {
        // Invalid UTF-8, a C1 control, an unknown sequence, mouse reports, a reply.
        assert_eq!(parse(b"\xff\xc3a"), vec![c('a')]);
        assert_eq!(parse("\u{9b}b".as_bytes()), vec![c('b')]);
        assert_eq!(parse(b"\x1b[99xc"), vec![c('c')]);
        assert_eq!(parse(b"\x1b[M !!d"), vec![c('d')]);
        assert_eq!(parse(b"\x1b[<0;10;5Me"), vec![c('e')]);
        assert_eq!(parse(b"\x1b[?62;22cf"), vec![c('f')]);
        assert_eq!(
            parse(b"\x1b[5;10Rg"),
            vec![c('g')],
            "not F3: a position report"
        );
        // A sequence broken by a control byte: dropped up to it, the byte is read.
        assert_eq!(parse(b"\x1b[1;\rh"), vec![k(KeyCode::Enter, NONE), c('h')]);
        // A sequence that never ends is dropped after MAX_SEQUENCE bytes.
        let mut long = b"\x1b[".to_vec();
        long.extend(std::iter::repeat_n(b'1', MAX_SEQUENCE));
        long.push(b'A');
        let events = parse(&long);
        assert_eq!(events.last(), Some(&k(KeyCode::Char('A'), SHIFT)));
        assert!(events[..events.len() - 1].iter().all(|e| *e == c('1')));
    }

    #[test]
    fn a_cut_sequence_at_the_timeout_is_dropped() {
        assert!(parse(b"\x1b[1;").is_empty());
        assert!(parse(b"\x1bO5").is_empty());
        assert!(parse(b"\xe6\x97").is_empty());
    }

    /// Key presses and the bytes a terminal sends for them.
    fn typed() -> impl Strategy<Value = (Vec<u8>, Event)> {
        let fixed: Vec<(&'static [u8], Event)> = vec![
            (b"\r", k(KeyCode::Enter, NONE)),
            (b"\t", k(KeyCode::Tab, NONE)),
            (b"\x7f", k(KeyCode::Backspace, NONE)),
            (b"\x03", k(KeyCode::Char('c'), CTRL)),
            (b"\x1b[A", k(KeyCode::Up, NONE)),
            (b"\x1bOB", k(KeyCode::Down, NONE)),
            (b"\x1b[1;5C", k(KeyCode::Right, CTRL)),
            (b"\x1b[5~", k(KeyCode::PageUp, NONE)),
            (b"\x1b[3;2~", k(KeyCode::Delete, SHIFT)),
            (b"\x1bOP", k(KeyCode::F(1), NONE)),
            (b"\x1b[24~", k(KeyCode::F(12), NONE)),
            (b"\x1bq", k(KeyCode::Char('q'), ALT)),
            (b"\x1b[200~hi\r\x1b[201~", Event::Paste("hi\n".into())),
        ];
        prop_oneof![
            proptest::sample::select(fixed).prop_map(|(b, e)| (b.to_vec(), e)),
            any::<char>()
                .prop_filter("printable", |c| !c.is_control())
                .prop_map(|ch| (ch.to_string().into_bytes(), char_key(ch))),
        ]
    }

    /// Feeds `bytes` to one parser in pieces cut at `cuts` (indices into the bytes), then
    /// flushes it. Returns the events and whether, after each piece, the parser held no more
    /// than one sequence's worth (or was in a paste).
    fn parse_in_pieces(bytes: &[u8], cuts: &[proptest::sample::Index]) -> (Vec<Event>, bool) {
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut parser = Parser::new();
        let mut out = Vec::new();
        let mut bounded = true;
        let mut from = 0;
        for p in points.into_iter().chain([bytes.len()]) {
            parser.feed(&bytes[from..p], &mut out);
            bounded &= parser.paste.is_some() || parser.held.len() <= MAX_SEQUENCE;
            from = p;
        }
        parser.flush(&mut out);
        (out, bounded)
    }

    proptest! {
        /// Typed keys read back as themselves, however the bytes are cut into packets.
        #[test]
        fn keys_survive_any_packet_split(
            keys in proptest::collection::vec(typed(), 0..30),
            cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..10),
        ) {
            let bytes: Vec<u8> = keys.iter().flat_map(|(b, _)| b.clone()).collect();
            let expected: Vec<Event> = keys.into_iter().map(|(_, e)| e).collect();
            prop_assert_eq!(parse_in_pieces(&bytes, &cuts).0, expected);
        }

        /// Any bytes at all give the same events however they are cut (no timeout between
        /// packets), and the parser never holds more than one sequence's worth.
        #[test]
        fn any_bytes_give_the_same_events_however_cut(
            bytes in proptest::collection::vec(
                prop_oneof![
                    any::<u8>(),
                    proptest::sample::select(vec![0x1b_u8, b'[', b'O', b';', b'1', b'5', b'~', b'A'])
                ],
                0..200,
            ),
            cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..20),
        ) {
            let (out, bounded) = parse_in_pieces(&bytes, &cuts);
            prop_assert!(bounded);
            prop_assert_eq!(out, parse(&bytes));
        }
    }
}
