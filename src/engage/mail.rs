//! Reading an email (RFC 5322 / MIME) far enough to file a reply: the threading headers,
//! the sender, the subject, the date and the plain-text body.
//!
//! The message is parsed by `mail-parser` (headers unfolded, RFC 2047 encoded words, MIME
//! parts, base64 and quoted-printable, every charset `encoding_rs` knows: a Windows-1252 or
//! ISO-8859-15 `€` is a `€`). The body is the first `text/plain` part of the text body
//! (else the first `text/html` part as text: its head, styles and scripts dropped, entities
//! decoded); attachments are ignored.

use crate::domain::Date;
use crate::domain::text::first_chars;
use mail_parser::{HeaderValue, Message, MessageParser, PartType};
use std::borrow::Cow;

/// At most this many characters of body are kept; a longer body ends with a line saying where
/// it was cut ([`kept_body`]).
pub const MAX_BODY_CHARS: usize = 64 * 1024;

/// What a reply is filed with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedMail {
    /// `<id@host>`, with angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The sender's address, lowercase.
    pub from: Option<String>,
    pub subject: String,
    /// The day of the `Date` header, in the sender's time zone.
    pub date: Option<Date>,
    pub body: String,
}

impl ParsedMail {
    /// The Message-IDs this mail answers, most specific first: In-Reply-To, then References
    /// from the latest back.
    pub fn thread_ids(&self) -> Vec<&str> {
        self.in_reply_to
            .iter()
            .chain(self.references.iter().rev())
            .map(String::as_str)
            .collect()
    }
}

/// Parses a whole message. Whatever cannot be read is left empty: a reply is filed with what
/// its sender's mailer got right.
pub fn parse(raw: &[u8]) -> ParsedMail {
    let raw = lone_crs_as_line_ends(raw);
    let Some(message) = MessageParser::default().parse(raw.as_ref()) else {
        return ParsedMail::default();
    };
    ParsedMail {
        message_id: message.message_id().and_then(bracketed),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        from: message
            .from()
            .and_then(|from| from.first())
            .and_then(|addr| addr.address())
            .map(|a| a.trim().to_lowercase())
            .filter(|a| a.contains('@')),
        subject: message.subject().map(single_line).unwrap_or_default(),
        // The calendar day as the sender wrote it (in their time zone).
        date: message
            .date()
            .and_then(|d| Date::from_ymd_opt(i32::from(d.year), d.month.into(), d.day.into())),
        body: kept_body(&body_text(&message)),
    }
}

/// `raw` with each carriage return not followed by a line feed made a CRLF. Old Mac mailers
/// (and some scripts) end lines with a lone CR; `mail-parser` reads those as one line, so the
/// headers ran together and `From:` was read from the Message-ID's address. A lone CR is a
/// line end, as the CSV and cycle readers take it.
fn lone_crs_as_line_ends(raw: &[u8]) -> Cow<'_, [u8]> {
    let lone = |at: usize| raw[at] == b'\r' && raw.get(at + 1) != Some(&b'\n');
    if !(0..raw.len()).any(lone) {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + 64);
    for (at, &b) in raw.iter().enumerate() {
        out.push(b);
        if lone(at) {
            out.push(b'\n');
        }
    }
    Cow::Owned(out)
}

/// The first [`MAX_BODY_CHARS`] characters of `text`; when it is longer, a last line says it
/// was cut, so that whoever reads the reply knows there was more.
fn kept_body(text: &str) -> String {
    let kept = first_chars(text, MAX_BODY_CHARS);
    if kept.len() < text.len() {
        format!("{kept}\n… (cut at {MAX_BODY_CHARS} characters)")
    } else {
        text.to_string()
    }
}

/// A Message-ID as `<id>`; none when it is empty or holds white space.
fn bracketed(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    (!id.is_empty() && !id.contains(|c: char| c.is_whitespace() || c.is_control()))
        .then(|| format!("<{id}>"))
}

/// The Message-IDs of a threading header (In-Reply-To, References), in their order.
fn ids(value: &HeaderValue) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => bracketed(id).into_iter().collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|id| bracketed(id)).collect(),
        _ => Vec::new(),
    }
}

/// The first plain-text part of the text body, else the first HTML part as text.
fn body_text(message: &Message) -> String {
    let plain = message.text_bodies().find_map(|part| match &part.body {
        PartType::Text(text) => Some(text.to_string()),
        _ => None,
    });
    let html = || {
        message.html_bodies().find_map(|part| match &part.body {
            PartType::Html(html) => Some(html_text(html)),
            _ => None,
        })
    };
    plain
        .or_else(html)
        .unwrap_or_default()
        .replace("\r\n", "\n")
}

/// The text of an HTML body, by mail-parser's `html_to_text`: the head (title included),
/// styles, scripts and comments dropped, tags removed, entities decoded (named, `&#8364;` and
/// `&#x20AC;`). It ends a line at `<br>` and `</p>` only; blocks that are lines too (`div`,
/// `li`, `tr`, as mailers write them) get a `<br>` after them first, so their text does not
/// run together. A non-breaking space is a space.
fn html_text(html: &str) -> String {
    const BLOCK_ENDS: [&str; 3] = ["</div>", "</li>", "</tr>"];
    let lower = html.to_ascii_lowercase();
    let mut broken = String::with_capacity(html.len() + 64);
    let mut from = 0;
    for (at, end) in lower.match_indices('<').filter_map(|(at, _)| {
        BLOCK_ENDS
            .iter()
            .find(|end| lower[at..].starts_with(**end))
            .map(|end| (at, end.len()))
    }) {
        broken.push_str(&html[from..at + end]);
        broken.push_str("<br>");
        from = at + end;
    }
    broken.push_str(&html[from..]);
    mail_parser::decoders::html::html_to_text(&broken)
        .replace('\u{a0}', " ")
        .trim()
        .to_string()
}

fn single_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_unfolded_and_ids_extracted() {
        let raw = b"Message-ID: <r1@client.example>\r\nIn-Reply-To: <owed.1@example.com>\r\n\
References: <a@x>\r\n <owed.1@example.com>\r\nFrom: \"Kite AP\" <AP@Kite.Example>\r\n\
Subject: Re: Reminder\r\nDate: Thu, 30 Apr 2026 23:30:00 -0700 (PDT)\r\n\r\nWe paid.\r\n";
        let m = parse(raw);
        assert_eq!(m.message_id.as_deref(), Some("<r1@client.example>"));
        assert_eq!(m.in_reply_to, vec!["<owed.1@example.com>"]);
        assert_eq!(m.references, vec!["<a@x>", "<owed.1@example.com>"]);
        assert_eq!(
            m.thread_ids(),
            vec!["<owed.1@example.com>", "<owed.1@example.com>", "<a@x>"]
        );
        assert_eq!(m.from.as_deref(), Some("ap@kite.example"));
        assert_eq!(m.subject, "Re: Reminder");
        assert_eq!(m.date, Date::from_ymd_opt(2026, 4, 30));
        assert_eq!(m.body, "We paid.\n");
    }

    #[test]
    fn encoded_words_are_decoded() {
        let subject = |value: &str| parse(format!("Subject: {value}\r\n\r\nx").as_bytes()).subject;
        assert_eq!(
            subject("=?UTF-8?B?UmU6IFLDpGNobnVuZw==?= =?utf-8?Q?_Nr=2E_5?="),
            "Re: Rächnung Nr. 5"
        );
        assert_eq!(subject("=?iso-8859-1?Q?M=FCller?= GmbH"), "Müller GmbH");
        assert_eq!(subject("=?windows-1252?Q?=80_50?="), "€ 50");
        assert_eq!(subject("plain  text"), "plain  text");
        assert_eq!(subject("=?bogus"), "=?bogus");
    }

    #[test]
    fn a_euro_sign_in_a_western_charset_is_a_euro_sign() {
        // 0x80 in Windows-1252 and 0xA4 in ISO-8859-15 are `€`; read as Latin-1 they were a
        // control character and `¤`.
        let body = |charset: &str, byte: u8| {
            let mut raw = format!(
                "From: ap@kite.example\r\nContent-Type: text/plain; charset={charset}\r\n\r\n"
            )
            .into_bytes();
            raw.extend_from_slice(b"We paid 50 ");
            raw.push(byte);
            parse(&raw).body
        };
        assert_eq!(body("windows-1252", 0x80), "We paid 50 €");
        assert_eq!(body("iso-8859-15", 0xA4), "We paid 50 €");
        assert_eq!(body("iso-8859-1", 0xA4), "We paid 50 ¤");
    }

    #[test]
    fn the_plain_part_of_a_multipart_message_is_the_body() {
        let raw = "From: a@b.example\nSubject: x\nContent-Type: multipart/alternative; boundary=\"XX\"\n\n\
preamble\n--XX\nContent-Type: text/html\n\n<p>html</p>\n--XX\n\
Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n\
Wir zahlen am Freitag =E2=80=93 danke.=\n Gr=C3=BC=C3=9Fe\n--XX--\n";
        let m = parse(raw.as_bytes());
        assert_eq!(m.body, "Wir zahlen am Freitag – danke. Grüße");
        let html_only =
            "From: a@b.example\nContent-Type: text/html\n\n<p>Paid&nbsp;today</p><br>Thanks";
        assert_eq!(parse(html_only.as_bytes()).body, "Paid today\n\nThanks");
        let b64 = "From: a@b.example\nContent-Transfer-Encoding: base64\n\nV2UgcGFpZC4=\n";
        assert_eq!(parse(b64.as_bytes()).body, "We paid.");
    }

    #[test]
    fn an_html_body_is_its_text_without_head_style_or_script_and_with_entities_decoded() {
        // As Outlook writes one (the reviewer's message).
        let raw = "From: Delta AP <ar@delta.example>\nContent-Type: text/html; charset=utf-8\n\n\
<html><head><title>Payment advice</title><style>p.MsoNormal {margin:0cm; \
font-family:\"Calibri\";}</style><script>var x=1;</script></head><body><!-- a comment -->\
<p class=MsoNormal>We paid &euro;500 &#8364; &#x20AC; today.</p><p>Thanks &amp; regards</p>\
</body></html>";
        assert_eq!(
            parse(raw.as_bytes()).body,
            "We paid €500 € € today.\nThanks & regards"
        );
        // A style or script in the body is dropped too; blocks stay lines.
        let raw = "From: a@b.example\nContent-Type: text/html\n\n<DIV>We paid</DIV>\
<style>div {color: red}</style><div>on Friday &lt;3&gt;</div><script>alert(1)</script>\
<ul><li>INV-1</li><li>INV-2</li></ul>";
        assert_eq!(
            parse(raw.as_bytes()).body,
            "We paid\non Friday <3>\nINV-1\nINV-2"
        );
    }

    #[test]
    fn a_body_too_long_is_cut_and_says_so() {
        let long = format!("From: a@b.example\n\n{}", "é".repeat(MAX_BODY_CHARS + 10));
        let body = parse(long.as_bytes()).body;
        let mark = "\n… (cut at 65536 characters)";
        assert!(body.ends_with(mark), "{}", &body[body.len() - 40..]);
        assert_eq!(body.chars().count(), MAX_BODY_CHARS + mark.chars().count());
        // A body of the limit exactly is kept whole, unmarked.
        let whole = format!("From: a@b.example\n\n{}", "x".repeat(MAX_BODY_CHARS));
        assert_eq!(parse(whole.as_bytes()).body, "x".repeat(MAX_BODY_CHARS));
    }

    #[test]
    fn lone_carriage_returns_end_lines() {
        // The sender was read from the Message-ID: "no customer … from m13@acme.example".
        let raw =
            b"From: ap@acme.example\rSubject: lone cr\rMessage-ID: <m13@acme.example>\r\rbody\r";
        let m = parse(raw);
        assert_eq!(m.from.as_deref(), Some("ap@acme.example"));
        assert_eq!(m.subject, "lone cr");
        assert_eq!(m.message_id.as_deref(), Some("<m13@acme.example>"));
        assert_eq!(m.body, "body\n");
        // CRLF and LF messages are read as they were.
        assert_eq!(
            lone_crs_as_line_ends(b"a\r\nb\nc"),
            Cow::Borrowed(&b"a\r\nb\nc"[..])
        );
        assert_eq!(
            lone_crs_as_line_ends(b"a\rb\r\n\r").as_ref(),
            b"a\r\nb\r\n\r\n"
        );
    }

    #[test]
    fn missing_headers_leave_fields_empty() {
        let m = parse(b"no headers at all");
        assert_eq!(m.message_id, None);
        assert_eq!(m.from, None);
        assert_eq!(m.date, None);
        assert_eq!(parse(b"From: someone\n\nx").from, None);
        assert_eq!(
            parse(b"From: bob@example.com (Bob)\n\nx").from.as_deref(),
            Some("bob@example.com")
        );
    }
}
