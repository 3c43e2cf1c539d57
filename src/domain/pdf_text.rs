//! The text of a PDF's first page, for the attachment viewer: enough of PDF to read what
//! statements, remittance advices and scanned-then-OCRed letters say, within strict limits.
//!
//! The objects are found by scanning the file (`N G obj … endobj`, and inside `/ObjStm`
//! object streams), not through the cross-reference table, so a damaged file still reads.
//! The first page is the first leaf of the page tree (else the first `/Type /Page` object);
//! its content streams are inflated when they are `/FlateDecode` (the usual kind) and read as
//! they are when unfiltered. The strings of `Tj`, `TJ`, `'` and `"` are decoded through their
//! font's `ToUnicode` map when it has one (our own statements' Type 0 fonts), else as
//! Latin-1, and laid out in lines by where they are drawn (top to bottom, left to right).
//!
//! Every PDF is hostile: inflating stops at [`MAX_STREAM`] bytes a stream and [`MAX_TOTAL`]
//! in all (a zip bomb gives its first megabytes, not all of memory), the tokens read are
//! capped ([`MAX_TOKENS`]), the page tree is walked at most [`MAX_DEPTH`] deep without
//! revisiting a node, and nothing here panics on any input: what cannot be read is left out.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;

/// The most bytes one stream inflates to.
pub const MAX_STREAM: usize = 4 * 1024 * 1024;
/// The most bytes all the streams read for one page inflate to.
pub const MAX_TOTAL: usize = 16 * 1024 * 1024;
/// The most tokens read of a page's content.
pub const MAX_TOKENS: usize = 2_000_000;
/// The deepest page tree walked.
pub const MAX_DEPTH: usize = 32;
/// The most objects taken from a file (object streams included).
const MAX_OBJECTS: usize = 500_000;
/// The most codes a font's `ToUnicode` map is given (its ranges counted code by code).
const MAX_CODES: usize = 70_000;
/// The most tokens read of the file's object dictionaries (object streams included).
const MAX_OBJECT_TOKENS: usize = 5_000_000;
/// The most bytes of an object read before its stream (its dictionary).
const MAX_HEAD: usize = 64 * 1024;

/// The lines of text drawn on the first page, at most `lines`; `None` when the file has no
/// page with content this can read (no page tree, or its content is in a filter other than
/// Flate). An empty list: a page without text (a scan).
pub fn first_page_text(bytes: &[u8], lines: usize) -> Option<Vec<String>> {
    let mut budget = MAX_TOTAL;
    let objects = Objects::scan(bytes, &mut budget);
    let page = objects.first_page()?;
    let page_dict = objects.dict(page)?;
    let contents = value(&page_dict, b"Contents")?;
    let refs: Vec<u32> = match contents {
        Value::Ref(id) => vec![id],
        Value::Array(items) => items
            .iter()
            .filter_map(|v| match v {
                Value::Ref(id) => Some(*id),
                _ => None,
            })
            .collect(),
        _ => return None,
    };
    let mut content = Vec::new();
    let mut read_any = false;
    for id in refs.into_iter().take(1000) {
        if let Some(data) = objects.stream(id, &mut budget) {
            content.extend_from_slice(&data);
            content.push(b'\n');
            read_any = true;
        }
    }
    if !read_any {
        return None;
    }
    let fonts = objects.fonts(&page_dict, &mut budget);
    Some(layout(&content, &fonts, lines))
}

/// A PDF token.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Num(f64),
    Name(Vec<u8>),
    Str(Vec<u8>),
    ArrayOpen,
    ArrayClose,
    DictOpen,
    DictClose,
    /// A keyword: an operator, `R`, `obj`, `true`, …
    Word(Vec<u8>),
}

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'\0')
}

fn is_delimiter(b: u8) -> bool {
    is_white(b)
        || matches!(
            b,
            b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
        )
}

/// Reads tokens from PDF bytes.
struct Lexer<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Lexer<'a> {
    fn new(bytes: &'a [u8]) -> Lexer<'a> {
        Lexer { bytes, at: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next_token(&mut self) -> Option<Token> {
        loop {
            let b = self.peek()?;
            if is_white(b) {
                self.at += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.at += 1;
                }
            } else {
                break;
            }
        }
        let b = self.peek()?;
        self.at += 1;
        Some(match b {
            b'[' => Token::ArrayOpen,
            b']' => Token::ArrayClose,
            b'<' if self.peek() == Some(b'<') => {
                self.at += 1;
                Token::DictOpen
            }
            b'>' if self.peek() == Some(b'>') => {
                self.at += 1;
                Token::DictClose
            }
            b'<' => Token::Str(self.hex_string()),
            b'(' => Token::Str(self.literal_string()),
            b'/' => Token::Name(self.regular().to_vec()),
            b'{' | b'}' | b')' | b'>' => Token::Word(vec![b]),
            _ => {
                self.at -= 1;
                let word = self.regular();
                if word.is_empty() {
                    self.at += 1;
                    return Some(Token::Word(vec![b]));
                }
                match std::str::from_utf8(word).ok().and_then(number) {
                    Some(n) => Token::Num(n),
                    None => Token::Word(word.to_vec()),
                }
            }
        })
    }

    /// The regular characters from here (a name's or keyword's).
    fn regular(&mut self) -> &'a [u8] {
        let start = self.at;
        while let Some(c) = self.peek() {
            if is_delimiter(c) {
                break;
            }
            self.at += 1;
        }
        &self.bytes[start..self.at]
    }

    fn hex_string(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(c) = self.peek() {
            self.at += 1;
            if c == b'>' {
                break;
            }
            let Some(v) = (c as char).to_digit(16) else {
                continue;
            };
            match high.take() {
                Some(h) => out.push(h << 4 | v as u8),
                None => high = Some(v as u8),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        out
    }

    fn literal_string(&mut self) -> Vec<u8> {
        let mut depth = 1;
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.at += 1;
            match c {
                b'\\' => {
                    let Some(e) = self.peek() else { break };
                    self.at += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.at += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xFF) as u8);
                        }
                        // A line continued.
                        b'\n' => {}
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.at += 1;
                            }
                        }
                        other => out.push(other),
                    }
                }
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(c);
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// Skips an inline image's data, from just after its `ID` to just after its `EI`.
    fn skip_inline_image(&mut self) {
        let rest = &self.bytes[self.at.min(self.bytes.len())..];
        let mut i = 0;
        while i + 2 <= rest.len() {
            if &rest[i..i + 2] == b"EI"
                && (i == 0 || is_white(rest[i - 1]))
                && rest.get(i + 2).is_none_or(|c| is_delimiter(*c))
            {
                self.at += i + 2;
                return;
            }
            i += 1;
        }
        self.at = self.bytes.len();
    }
}

fn number(s: &str) -> Option<f64> {
    let first = s.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A parsed object value (as much as this needs).
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Num(f64),
    Name(Vec<u8>),
    Str(Vec<u8>),
    Ref(u32),
    Array(Vec<Value>),
    Dict(Vec<(Vec<u8>, Value)>),
    Other,
}

/// Parses one value from `tokens` at `*i` (`N G R` read as a reference), nesting at most 64.
fn parse_value(tokens: &[Token], i: &mut usize, depth: usize) -> Value {
    let Some(t) = tokens.get(*i) else {
        return Value::Other;
    };
    *i += 1;
    match t {
        Token::Num(n) => {
            if let (Some(Token::Num(_)), Some(Token::Word(w))) =
                (tokens.get(*i), tokens.get(*i + 1))
                && w == b"R"
                && *n >= 0.0
                && n.fract() == 0.0
                && *n <= f64::from(u32::MAX)
            {
                *i += 2;
                return Value::Ref(*n as u32);
            }
            Value::Num(*n)
        }
        Token::Name(n) => Value::Name(n.clone()),
        Token::Str(s) => Value::Str(s.clone()),
        Token::ArrayOpen if depth < 64 => {
            let mut items = Vec::new();
            while let Some(t) = tokens.get(*i) {
                if *t == Token::ArrayClose {
                    *i += 1;
                    break;
                }
                items.push(parse_value(tokens, i, depth + 1));
            }
            Value::Array(items)
        }
        Token::DictOpen if depth < 64 => {
            let mut entries = Vec::new();
            while let Some(t) = tokens.get(*i) {
                match t {
                    Token::DictClose => {
                        *i += 1;
                        break;
                    }
                    Token::Name(key) => {
                        let key = key.clone();
                        *i += 1;
                        let v = parse_value(tokens, i, depth + 1);
                        entries.push((key, v));
                    }
                    _ => *i += 1,
                }
            }
            Value::Dict(entries)
        }
        _ => Value::Other,
    }
}

/// The value of `key` in a dictionary.
fn value(dict: &Value, key: &[u8]) -> Option<Value> {
    match dict {
        Value::Dict(entries) => entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone()),
        _ => None,
    }
}

/// Whether a dictionary's `key` is the name `name`.
fn has_name(dict: &Value, key: &[u8], name: &[u8]) -> bool {
    matches!(value(dict, key), Some(Value::Name(n)) if n == name)
}

/// The tokens of `bytes`, at most `max`.
fn tokens(bytes: &[u8], max: usize) -> Vec<Token> {
    let mut lexer = Lexer::new(bytes);
    let mut out = Vec::new();
    while out.len() < max {
        match lexer.next_token() {
            Some(t) => out.push(t),
            None => break,
        }
    }
    out
}

/// An object of the file: its dictionary (or other value) and its stream's raw bytes.
struct Object<'a> {
    value: Value,
    stream: Option<&'a [u8]>,
}

/// The objects of a file by number (the last definition wins, as in an updated file).
struct Objects<'a> {
    by_id: BTreeMap<u32, Object<'a>>,
    /// Values from object streams, owned.
    packed: BTreeMap<u32, Value>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from >= haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The number (digits) ending just before `end` (whitespace skipped first), and where it starts.
fn number_before(bytes: &[u8], end: usize) -> Option<(u32, usize)> {
    let mut i = end;
    while i > 0 && is_white(bytes[i - 1]) {
        i -= 1;
    }
    let stop = i;
    while i > 0 && bytes[i - 1].is_ascii_digit() && stop - i < 10 {
        i -= 1;
    }
    if i == stop {
        return None;
    }
    let n = std::str::from_utf8(&bytes[i..stop]).ok()?.parse().ok()?;
    Some((n, i))
}

impl<'a> Objects<'a> {
    fn scan(bytes: &'a [u8], budget: &mut usize) -> Objects<'a> {
        let mut by_id = BTreeMap::new();
        let mut at = 0;
        let mut work = 0usize;
        // The next `endobj` and `stream` from `at`, found once each as `at` moves on (so a
        // file of many `obj` without an end is read once, not once an object).
        let mut next_end: Option<Option<usize>> = None;
        let mut next_stream: Option<Option<usize>> = None;
        let ahead = |cache: &mut Option<Option<usize>>, needle: &[u8], at: usize| match *cache {
            Some(None) => None,
            Some(Some(p)) if p >= at => Some(p),
            _ => {
                let p = find(bytes, needle, at);
                *cache = Some(p);
                p
            }
        };
        while by_id.len() < MAX_OBJECTS && work < MAX_OBJECT_TOKENS {
            let Some(p) = find(bytes, b"obj", at) else {
                break;
            };
            at = p + 3;
            // `N G obj`, not `endobj` or `object`.
            if p > 0 && !is_white(bytes[p - 1]) {
                continue;
            }
            if bytes.get(p + 3).is_some_and(|c| !is_delimiter(*c)) {
                continue;
            }
            let Some((_generation, g_start)) = number_before(bytes, p) else {
                continue;
            };
            let Some((id, _)) = number_before(bytes, g_start) else {
                continue;
            };
            let end = ahead(&mut next_end, b"endobj", at).unwrap_or(bytes.len());
            let body = &bytes[at..end];
            let in_body = ahead(&mut next_stream, b"stream", at)
                .filter(|s| *s < end)
                .map(|s| s - at);
            let (head, stream) = match in_body {
                Some(s) if !body[..s].ends_with(b"end") => {
                    let mut start = s + 6;
                    if body.get(start) == Some(&b'\r') {
                        start += 1;
                    }
                    if body.get(start) == Some(&b'\n') {
                        start += 1;
                    }
                    (&body[..s], Some(at + start))
                }
                _ => (body, None),
            };
            let toks = tokens(&head[..head.len().min(MAX_HEAD)], 100_000);
            work += toks.len() + 1;
            let mut i = 0;
            let parsed = parse_value(&toks, &mut i, 0);
            let stream = stream.map(|start| {
                // The stated length when it is a number and ends in `endstream`, else up to
                // the first `endstream`.
                let stated = match value(&parsed, b"Length") {
                    Some(Value::Num(n)) if n >= 0.0 => Some(n as usize),
                    _ => None,
                };
                let by_length = stated.and_then(|n| {
                    let stop = start.checked_add(n)?;
                    let after = bytes.get(stop..)?;
                    let trimmed = after.iter().position(|c| !is_white(*c)).unwrap_or(0);
                    after[trimmed..].starts_with(b"endstream").then_some(stop)
                });
                let stop = by_length
                    .or_else(|| find(bytes, b"endstream", start))
                    .unwrap_or(bytes.len());
                let data = &bytes[start..stop.max(start)];
                if by_length.is_some() {
                    at = stop;
                }
                data
            });
            by_id.insert(
                id,
                Object {
                    value: parsed,
                    stream,
                },
            );
        }
        let mut objects = Objects {
            by_id,
            packed: BTreeMap::new(),
        };
        objects.unpack(budget, work);
        objects
    }

    /// Reads the objects kept in `/Type /ObjStm` streams.
    fn unpack(&mut self, budget: &mut usize, mut work: usize) {
        let streams: Vec<u32> = self
            .by_id
            .iter()
            .filter(|(_, o)| has_name(&o.value, b"Type", b"ObjStm"))
            .map(|(id, _)| *id)
            .collect();
        for id in streams {
            let Some(Value::Num(first)) =
                self.by_id.get(&id).and_then(|o| value(&o.value, b"First"))
            else {
                continue;
            };
            let Some(data) = self.stream(id, budget) else {
                continue;
            };
            let first = first.max(0.0) as usize;
            let header = tokens(data.get(..first).unwrap_or(&data), 200_000);
            work += header.len();
            for pair in header.chunks(2) {
                if self.packed.len() + self.by_id.len() >= MAX_OBJECTS || work >= MAX_OBJECT_TOKENS
                {
                    return;
                }
                let [Token::Num(n), Token::Num(offset)] = pair else {
                    continue;
                };
                let Some(body) = first
                    .checked_add(offset.max(0.0) as usize)
                    .and_then(|start| data.get(start..))
                else {
                    continue;
                };
                let toks = tokens(&body[..body.len().min(MAX_HEAD)], 2_000);
                work += toks.len() + 1;
                let mut i = 0;
                let v = parse_value(&toks, &mut i, 0);
                self.packed.entry(*n as u32).or_insert(v);
            }
        }
    }

    /// An object's value (a reference followed).
    fn get(&self, id: u32) -> Option<Value> {
        self.by_id
            .get(&id)
            .map(|o| o.value.clone())
            .or_else(|| self.packed.get(&id).cloned())
    }

    /// A dictionary given directly or by reference.
    fn resolve(&self, v: Value) -> Value {
        match v {
            Value::Ref(id) => self.get(id).unwrap_or(Value::Other),
            v => v,
        }
    }

    fn dict(&self, id: u32) -> Option<Value> {
        self.get(id).filter(|v| matches!(v, Value::Dict(_)))
    }

    /// The stream of object `id`, inflated when it is Flate-compressed, within the budget;
    /// `None` for another filter or nothing read.
    fn stream(&self, id: u32, budget: &mut usize) -> Option<Vec<u8>> {
        let o = self.by_id.get(&id)?;
        let raw = o.stream?;
        let filters: Vec<Vec<u8>> = match value(&o.value, b"Filter").map(|f| self.resolve(f)) {
            None => Vec::new(),
            Some(Value::Name(n)) => vec![n],
            Some(Value::Array(items)) => items
                .into_iter()
                .filter_map(|v| match v {
                    Value::Name(n) => Some(n),
                    _ => None,
                })
                .collect(),
            Some(_) => return None,
        };
        let data = match filters.as_slice() {
            [] => {
                let n = raw.len().min(MAX_STREAM).min(*budget);
                raw[..n].to_vec()
            }
            [f] if f == b"FlateDecode" || f == b"Fl" => inflate(raw, MAX_STREAM.min(*budget))?,
            _ => return None,
        };
        *budget = budget.saturating_sub(data.len());
        Some(data)
    }

    /// The first page: the first leaf of the page tree from the catalog's `/Pages`, else the
    /// first `/Type /Page` object.
    fn first_page(&self) -> Option<u32> {
        let root = self
            .by_id
            .values()
            .map(|o| &o.value)
            .chain(self.packed.values())
            .find(|v| has_name(v, b"Type", b"Catalog"))
            .and_then(|c| value(c, b"Pages"));
        if let Some(Value::Ref(mut node)) = root {
            let mut seen = HashSet::new();
            for _ in 0..MAX_DEPTH {
                if !seen.insert(node) {
                    break;
                }
                let Some(d) = self.dict(node) else { break };
                if has_name(&d, b"Type", b"Page") {
                    return Some(node);
                }
                match value(&d, b"Kids").map(|k| self.resolve(k)) {
                    Some(Value::Array(kids)) => match kids.first() {
                        Some(Value::Ref(kid)) => node = *kid,
                        _ => break,
                    },
                    _ => break,
                }
            }
        }
        self.by_id
            .iter()
            .map(|(id, o)| (*id, &o.value))
            .chain(self.packed.iter().map(|(id, v)| (*id, v)))
            .find(|(_, v)| has_name(v, b"Type", b"Page") && value(v, b"Contents").is_some())
            .map(|(id, _)| id)
    }

    /// The page's fonts by resource name: how their strings read.
    fn fonts(&self, page: &Value, budget: &mut usize) -> BTreeMap<Vec<u8>, FontMap> {
        let mut out = BTreeMap::new();
        // Resources may be inherited from the page tree: follow /Parent a few steps.
        let mut node = Some(page.clone());
        let mut resources = None;
        for _ in 0..MAX_DEPTH {
            let Some(n) = node.take() else { break };
            if let Some(r) = value(&n, b"Resources") {
                resources = Some(self.resolve(r));
                break;
            }
            node = value(&n, b"Parent").map(|p| self.resolve(p));
        }
        let Some(resources) = resources else {
            return out;
        };
        let Some(Value::Dict(fonts)) = value(&resources, b"Font").map(|f| self.resolve(f)) else {
            return out;
        };
        for (name, font) in fonts.into_iter().take(256) {
            let font = self.resolve(font);
            let two_bytes = has_name(&font, b"Subtype", b"Type0");
            let map = match value(&font, b"ToUnicode") {
                Some(Value::Ref(id)) => self
                    .stream(id, budget)
                    .map(|cmap| to_unicode(&cmap))
                    .unwrap_or_default(),
                _ => BTreeMap::new(),
            };
            let width = map
                .keys()
                .next()
                .map(|(_, w)| *w)
                .unwrap_or(if two_bytes { 2 } else { 1 });
            out.insert(
                name,
                FontMap {
                    width,
                    codes: map.into_iter().map(|((c, _), s)| (c, s)).collect(),
                },
            );
        }
        out
    }
}

/// Inflates zlib (or raw deflate) data up to `cap` bytes: what was read before an error or
/// the cap; `None` when nothing was.
fn inflate(raw: &[u8], cap: usize) -> Option<Vec<u8>> {
    fn read_some(mut r: impl Read, cap: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        while out.len() < cap {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n.min(cap - out.len())]),
            }
        }
        out
    }
    let out = read_some(flate2::read::ZlibDecoder::new(raw), cap);
    if !out.is_empty() {
        return Some(out);
    }
    let out = read_some(flate2::read::DeflateDecoder::new(raw), cap);
    (!out.is_empty()).then_some(out)
}

/// How a font's strings read: codes of `width` bytes to text.
#[derive(Debug, Default)]
struct FontMap {
    width: usize,
    codes: BTreeMap<u32, String>,
}

impl FontMap {
    fn decode(&self, bytes: &[u8]) -> String {
        if self.codes.is_empty() {
            if self.width == 2 {
                // Glyph ids without a map: nothing to read.
                return String::new();
            }
            return bytes.iter().map(|b| char::from(*b)).collect();
        }
        let w = self.width.clamp(1, 4);
        bytes
            .chunks(w)
            .map(|c| {
                let code = c.iter().fold(0u32, |a, b| a << 8 | u32::from(*b));
                self.codes.get(&code).cloned().unwrap_or_else(|| {
                    if w == 1 {
                        char::from(c[0]).to_string()
                    } else {
                        "\u{FFFD}".into()
                    }
                })
            })
            .collect()
    }
}

/// A `ToUnicode` CMap: `(code, its width in bytes)` → text, from `bfchar` and `bfrange`.
fn to_unicode(cmap: &[u8]) -> BTreeMap<(u32, usize), String> {
    let toks = tokens(cmap, 1_000_000);
    let mut out = BTreeMap::new();
    let code = |s: &[u8]| -> (u32, usize) {
        let s = &s[s.len().saturating_sub(4)..];
        (
            s.iter().fold(0u32, |a, b| a << 8 | u32::from(*b)),
            s.len().max(1),
        )
    };
    let utf16 = |s: &[u8]| -> String {
        let units: Vec<u16> = s
            .chunks(2)
            .map(|c| u16::from(c[0]) << 8 | u16::from(*c.get(1).unwrap_or(&0)))
            .collect();
        String::from_utf16_lossy(&units)
    };
    let mut i = 0;
    // Codes given, counted as they come (a hostile map may give the same ones again).
    let mut given = 0usize;
    while i < toks.len() && given < MAX_CODES {
        match &toks[i] {
            Token::Word(w) if w == b"beginbfchar" => {
                i += 1;
                while let (Some(Token::Str(src)), Some(dst)) = (toks.get(i), toks.get(i + 1)) {
                    if let Token::Str(dst) = dst {
                        out.insert(code(src), utf16(dst));
                    }
                    given += 1;
                    i += 2;
                }
            }
            Token::Word(w) if w == b"beginbfrange" => {
                i += 1;
                while let (Some(Token::Str(lo)), Some(Token::Str(hi))) =
                    (toks.get(i), toks.get(i + 1))
                {
                    let ((lo, width), (hi, _)) = (code(lo), code(hi));
                    match toks.get(i + 2) {
                        Some(Token::Str(dst)) => {
                            let base: Vec<u16> = dst
                                .chunks(2)
                                .map(|c| u16::from(c[0]) << 8 | u16::from(*c.get(1).unwrap_or(&0)))
                                .collect();
                            for (k, c) in (lo..=hi).take(MAX_CODES - given).enumerate() {
                                given += 1;
                                let mut units = base.clone();
                                if let Some(last) = units.last_mut() {
                                    *last = last.wrapping_add(k as u16);
                                }
                                out.insert((c, width), String::from_utf16_lossy(&units));
                            }
                            i += 3;
                        }
                        Some(Token::ArrayOpen) => {
                            let mut j = i + 3;
                            let mut c = lo;
                            while let Some(Token::Str(dst)) = toks.get(j) {
                                if c <= hi && given < MAX_CODES {
                                    out.insert((c, width), utf16(dst));
                                }
                                given += 1;
                                c = c.saturating_add(1);
                                j += 1;
                            }
                            i = j + 1;
                        }
                        _ => i += 3,
                    }
                    if given >= MAX_CODES {
                        break;
                    }
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// A run of text where it was drawn.
struct Fragment {
    x: f64,
    y: f64,
    text: String,
}

/// The content's text in lines: fragments drawn at the same height (within 2 points) on one
/// line, left to right, top to bottom.
fn layout(content: &[u8], fonts: &BTreeMap<Vec<u8>, FontMap>, lines: usize) -> Vec<String> {
    let none = FontMap::default();
    let mut font: &FontMap = &none;
    let mut lexer = Lexer::new(content);
    let mut operands: Vec<Token> = Vec::new();
    let mut fragments: Vec<Fragment> = Vec::new();
    // The text line matrix's translation and scale, and the leading.
    let (mut lx, mut ly, mut sx, mut sy, mut leading) = (0.0f64, 0.0f64, 1.0f64, 1.0f64, 0.0f64);
    // Where the current fragment was started, and whether one is open.
    let mut open = false;
    let show = |text: String, fragments: &mut Vec<Fragment>, open: &mut bool, x: f64, y: f64| {
        if text.is_empty() {
            return;
        }
        match fragments.last_mut() {
            Some(f) if *open => f.text.push_str(&text),
            _ => fragments.push(Fragment { x, y, text }),
        }
        *open = true;
    };
    for _ in 0..MAX_TOKENS {
        let Some(t) = lexer.next_token() else { break };
        let Token::Word(op) = t else {
            if operands.len() < 64 {
                operands.push(t);
            }
            continue;
        };
        let num = |k: usize| match operands.get(k) {
            Some(Token::Num(n)) => *n,
            _ => 0.0,
        };
        match op.as_slice() {
            b"BT" => {
                (lx, ly, sx, sy) = (0.0, 0.0, 1.0, 1.0);
                open = false;
            }
            b"ET" => open = false,
            b"Tf" => {
                font = match operands.first() {
                    Some(Token::Name(n)) => fonts.get(n).unwrap_or(&none),
                    _ => &none,
                };
            }
            b"TL" => leading = num(0),
            b"Td" | b"TD" => {
                if op == b"TD" {
                    leading = -num(1);
                }
                lx += num(0) * sx;
                ly += num(1) * sy;
                open = false;
            }
            b"Tm" => {
                (sx, sy, lx, ly) = (num(0), num(3), num(4), num(5));
                if sx == 0.0 {
                    sx = 1.0;
                }
                if sy == 0.0 {
                    sy = 1.0;
                }
                open = false;
            }
            b"T*" => {
                ly -= leading * sy;
                open = false;
            }
            b"Tj" | b"'" | b"\"" => {
                if op != b"Tj" {
                    ly -= leading * sy;
                    open = false;
                }
                if let Some(Token::Str(s)) = operands.last() {
                    show(font.decode(s), &mut fragments, &mut open, lx, ly);
                }
            }
            b"TJ" => {
                let mut text = String::new();
                let mut in_array = false;
                for o in &operands {
                    match o {
                        Token::ArrayOpen => in_array = true,
                        Token::Str(s) if in_array => text.push_str(&font.decode(s)),
                        // A wide gap (thousandths of the font size) is a space between words.
                        Token::Num(n) if in_array && *n < -200.0 && !text.ends_with(' ') => {
                            text.push(' ')
                        }
                        _ => {}
                    }
                }
                show(text, &mut fragments, &mut open, lx, ly);
            }
            b"ID" => lexer.skip_inline_image(),
            _ => {}
        }
        operands.clear();
        if fragments.len() > 100_000 {
            break;
        }
    }
    // Top to bottom (PDF heights grow upwards), then left to right.
    fragments.sort_by(|a, b| b.y.total_cmp(&a.y));
    let mut out: Vec<Vec<Fragment>> = Vec::new();
    for f in fragments {
        if f.text.trim().is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(line) if (line[0].y - f.y).abs() < 2.0 => line.push(f),
            _ => {
                if out.len() == lines {
                    break;
                }
                out.push(vec![f]);
            }
        }
    }
    out.into_iter()
        .map(|mut line| {
            line.sort_by(|a, b| a.x.total_cmp(&b.x));
            let parts: Vec<String> = line
                .into_iter()
                .map(|f| f.text.trim().to_string())
                .collect();
            parts.join("  ")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(data).unwrap();
        z.finish().unwrap()
    }

    /// A one-page PDF whose content stream is `content`, compressed when `compress`.
    fn pdf(content: &[u8], compress: bool) -> Vec<u8> {
        if compress {
            pdf_with(&deflate(content), " /Filter /FlateDecode")
        } else {
            pdf_with(content, "")
        }
    }

    /// A one-page PDF whose content stream holds `data` with `filter` in its dictionary.
    fn pdf_with(data: &[u8], filter: &str) -> Vec<u8> {
        let mut out = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
            2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n\
            3 0 obj\n<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>\nendobj\n"
            .to_vec();
        out.extend_from_slice(
            format!("4 0 obj\n<< /Length {}{filter} >>\nstream\n", data.len()).as_bytes(),
        );
        out.extend_from_slice(data);
        out.extend_from_slice(
            b"\nendstream\nendobj\n5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
        );
        out
    }

    #[test]
    fn a_compressed_page_reads_in_lines_top_to_bottom() {
        let content =
            b"BT /F1 12 Tf 72 720 Td (Remittance advice) Tj 0 -14 Td [(Invoice) -250 (INV-1)] TJ \
            ET\nBT 300 706 Td (120.00) Tj ET\nBT 1 0 0 1 72 740 Tm (ACME \\(Pty\\) Ltd) Tj ET";
        let want = [
            "ACME (Pty) Ltd",
            "Remittance advice",
            "Invoice INV-1  120.00",
        ];
        assert_eq!(first_page_text(&pdf(content, true), 10).unwrap(), want);
        assert_eq!(first_page_text(&pdf(content, false), 10).unwrap(), want);
        assert_eq!(first_page_text(&pdf(content, true), 2).unwrap(), want[..2]);
    }

    #[test]
    fn a_page_of_pictures_only_says_so() {
        let bytes = pdf(b"q 100 0 0 100 0 0 cm /Im1 Do Q", true);
        assert_eq!(first_page_text(&bytes, 5), Some(Vec::new()));
        let said =
            crate::domain::attachment::first_page(&bytes, crate::domain::attachment::Kind::Pdf, 5);
        assert!(said[0].contains("no text"), "{said:?}");
        // Another filter than Flate: not read here, and said so by the fallback.
        let lzw = pdf_with(b"\x80\x0b\x60", " /Filter /LZWDecode");
        assert_eq!(first_page_text(&lzw, 5), None);
    }

    #[test]
    fn a_zip_bomb_is_read_only_to_its_cap() {
        // 64 MiB of spaces and then text: compressed to a few dozen kilobytes.
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let spaces = vec![b' '; 1024 * 1024];
        for _ in 0..64 {
            z.write_all(&spaces).unwrap();
        }
        z.write_all(b"BT (never read) Tj ET").unwrap();
        let bomb = z.finish().unwrap();
        assert!(bomb.len() < 200_000, "{}", bomb.len());
        let bombed = pdf_with(&bomb, " /Filter /FlateDecode");
        assert_eq!(inflate(&bomb, MAX_STREAM).unwrap().len(), MAX_STREAM);
        assert_eq!(first_page_text(&bombed, 10), Some(Vec::new()));
    }

    #[test]
    fn to_unicode_maps_chars_and_ranges() {
        let cmap = b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
            2 beginbfchar <0003> <0020> <0024> <0041> endbfchar\n\
            1 beginbfrange <0010> <0012> <0061> endbfrange\n\
            1 beginbfrange <0020> <0021> [<00E9> <D83DDE00>] endbfrange";
        let map = to_unicode(cmap);
        let font = FontMap {
            width: 2,
            codes: map.into_iter().map(|((c, _), s)| (c, s)).collect(),
        };
        assert_eq!(
            font.decode(&[0, 0x24, 0, 3, 0, 0x10, 0, 0x12, 0, 0x20, 0, 0x21]),
            "A ac\u{e9}😀"
        );
        assert_eq!(font.decode(&[0, 0x99]), "\u{FFFD}");
    }

    #[test]
    fn many_objects_without_an_end_are_read_once() {
        // 3 MB of `1 0 obj` with no `endobj`, `stream` or page: read in one pass.
        let mut junk = b"%PDF-1.7\n".to_vec();
        junk.extend(b" 1 0 obj << /A 1 >>".repeat(150_000));
        assert_eq!(first_page_text(&junk, 5), None);
        // A map giving the same range again and again is cut at its cap.
        let cmap = b"1 beginbfrange <0000> <FFFF> <0041> endbfrange ".repeat(1000);
        assert!(to_unicode(&cmap).len() <= MAX_CODES);
    }

    #[test]
    fn broken_and_hostile_files_never_panic() {
        let good = pdf(b"BT (Remittance) Tj ET", true);
        for n in 0..good.len() {
            let _ = first_page_text(&good[..n], 5);
        }
        for junk in [
            &b"%PDF-1.7\n1 0 obj << /Type /Page /Contents [1 0 R 1 0 R] >> endobj"[..],
            b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 1 0 R >> endobj",
            b"%PDF-1.7\n2 0 obj << /Type /Pages /Kids [2 0 R] >> endobj 1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj",
            b"%PDF 0 obj stream\n(((((( endstream",
            b"%PDF-1.7\n1 0 obj <<<<<<<<[[[[[[[(\\",
            b"9999999999999999 0 obj << /Length -5 >> stream\nendstream",
            b"1 0 obj << /Type /ObjStm /First 1e300 /N 1 >> stream\n1 1e300\nendstream endobj",
        ] {
            let _ = first_page_text(junk, 5);
        }
    }
}
