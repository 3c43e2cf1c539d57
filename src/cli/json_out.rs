//! JSON on standard output with nothing a terminal obeys (SPEC "Output that reaches a
//! terminal"): serde_json escapes the C0 controls, and writes every other character as it
//! is — DEL, the C1 controls (a terminal that reads UTF-8 obeys `U+009B 2 J` as ESC `[2J`),
//! line separators, bidirectional controls and characters that draw nothing
//! ([`crate::domain::text::is_unsafe`]). [`JsonOut`] writes each of them as a `\uXXXX`
//! escape instead. JSON's structure is ASCII, so they can only stand inside strings, where
//! the escape means the same character: a program reading the JSON gets the same values.

use crate::domain::text::is_unsafe;
use std::io::Write;

/// A writer of JSON text that escapes what [`is_unsafe`] names (see the module).
pub struct JsonOut<W: Write> {
    inner: W,
    /// The start of a character cut by the end of the last write (at most 3 bytes).
    pending: Vec<u8>,
}

impl<W: Write> JsonOut<W> {
    pub fn new(inner: W) -> Self {
        JsonOut {
            inner,
            pending: Vec::new(),
        }
    }

    /// Writes what is whole of `bytes` and keeps the start of a character they cut.
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        // Most JSON is plain printable ASCII: nothing to look at character by character.
        if bytes
            .iter()
            .all(|&b| (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\t')
        {
            return self.inner.write_all(bytes);
        }
        let (text, rest) = match std::str::from_utf8(bytes) {
            Ok(text) => (text, &[][..]),
            Err(e) if e.error_len().is_none() => {
                let (whole, cut) = bytes.split_at(e.valid_up_to());
                // The prefix is valid by the error's own word.
                (std::str::from_utf8(whole).unwrap_or_default(), cut)
            }
            // Not UTF-8 (serde_json never writes that): passed on as it is.
            Err(_) => return self.inner.write_all(bytes),
        };
        let bytes = text.as_bytes();
        let mut from = 0;
        let mut at = 0;
        while at < bytes.len() {
            if !may_start_unsafe(bytes[at]) {
                at += 1;
                continue;
            }
            // A character starts here (no continuation byte is in the set).
            let c = text[at..].chars().next().unwrap_or_default();
            if is_unsafe(c) {
                self.inner.write_all(&bytes[from..at])?;
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(self.inner, "\\u{unit:04x}")?;
                }
                from = at + c.len_utf8();
            }
            at += c.len_utf8().max(1);
        }
        self.inner.write_all(&bytes[from..])?;
        self.pending = rest.to_vec();
        Ok(())
    }
}

/// Whether `byte` may begin a character [`is_unsafe`] names: a C0 control, DEL, or the first
/// byte of the UTF-8 of U+0080–U+00BF (`C2`), U+061C (`D8`), U+180E (`E1`), U+2000–U+2FFF
/// (`E2`), U+FEFF (`EF`) or the tags (`F3`). None of them is a continuation byte, so where one
/// stands a character starts.
fn may_start_unsafe(byte: u8) -> bool {
    matches!(
        byte,
        0x00..=0x1f | 0x7f | 0xc2 | 0xd8 | 0xe1 | 0xe2 | 0xef | 0xf3
    )
}

impl<W: Write> Write for JsonOut<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() {
            self.put(buf)?;
        } else {
            let mut joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(buf);
            self.put(&joined)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let cut = std::mem::take(&mut self.pending);
            self.inner.write_all(&cut)?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn written(value: &Value, chunk: usize) -> String {
        let text = value.to_string();
        let mut out = JsonOut::new(Vec::new());
        for piece in text.as_bytes().chunks(chunk) {
            out.write_all(piece).unwrap();
        }
        out.flush().unwrap();
        String::from_utf8(out.inner).unwrap()
    }

    #[test]
    fn every_character_to_escape_begins_with_a_byte_looked_at() {
        for c in (0..=0x10ffff)
            .filter_map(char::from_u32)
            .filter(|c| is_unsafe(*c))
        {
            let mut utf8 = [0u8; 4];
            let first = c.encode_utf8(&mut utf8).as_bytes()[0];
            assert!(may_start_unsafe(first), "{:04X}", u32::from(c));
        }
    }

    #[test]
    fn what_a_terminal_obeys_is_escaped_and_reads_back_the_same() {
        let value = json!({
            "name": "Clear\u{9d}52;c;cHduZWQ=\u{9c}\u{9b}2J Co",
            "note": "a\u{7f}b\u{2028}c\u{202e}d\u{200b}e\u{e0041}",
            "plain": "Zoë Ångström 東京 👩\u{200d}💻 \"quoted\"\n",
        });
        // Cut anywhere, a character split across two writes included.
        for chunk in [1, 2, 3, 5, 64, 4096] {
            let out = written(&value, chunk);
            assert!(!out.chars().any(is_unsafe), "{out}");
            assert!(
                out.contains(r"Clear\u009d52;c;cHduZWQ=\u009c\u009b2J Co"),
                "{out}"
            );
            assert!(out.contains(r"\udb40\udc41"), "{out}");
            assert!(out.contains("Zoë Ångström 東京 👩\u{200d}💻"), "{out}");
            let back: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(back, value);
        }
    }
}
