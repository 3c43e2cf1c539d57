//! Reading an email (RFC 5322 / MIME) far enough to file a reply: the threading headers,
//! the sender, the subject, the date and the plain-text body.
//!
//! Headers are unfolded; encoded words (RFC 2047, `=?utf-8?B?...?=` and `?Q?`) are decoded in
//! the subject and the sender's name; the body is the first `text/plain` part (else the first
//! `text/html` part with its tags stripped), decoded from base64 or quoted-printable and from
//! UTF-8, US-ASCII or ISO-8859-1 / Windows-1252. Attachments are ignored.

use crate::domain::Date;
use base64::Engine as _;

/// At most this many characters of body are kept.
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

/// Parses a whole message.
pub fn parse(raw: &[u8]) -> ParsedMail {
    let (headers, body) = split_head(raw);
    let header = |name: &str| -> Option<String> {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let ids = |name: &str| header(name).map(|v| message_ids(&v)).unwrap_or_default();
    ParsedMail {
        message_id: ids("Message-ID").into_iter().next().or_else(|| {
            header("Message-ID")
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(|v| format!("<{v}>"))
        }),
        in_reply_to: ids("In-Reply-To"),
        references: ids("References"),
        from: header("From").and_then(|v| address_of(&v)),
        subject: header("Subject")
            .map(|v| single_line(&decode_words(&v)))
            .unwrap_or_default(),
        date: header("Date").and_then(|v| date_of(&v)),
        body: truncate(&body_text(&headers, body), MAX_BODY_CHARS),
    }
}

type Headers = Vec<(String, String)>;

/// The unfolded headers and the body bytes.
fn split_head(raw: &[u8]) -> (Headers, &[u8]) {
    let (head, body) = match find(raw, b"\r\n\r\n") {
        Some(i) => (&raw[..i], &raw[i + 4..]),
        None => match find(raw, b"\n\n") {
            Some(i) => (&raw[..i], &raw[i + 2..]),
            None => (raw, &raw[raw.len()..]),
        },
    };
    let text = String::from_utf8_lossy(head);
    let mut headers: Headers = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    (headers, body)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The `<...>` tokens of a header value.
pub fn message_ids(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let id = &rest[start..start + len + 1];
        if id.len() > 2 && !id.contains(char::is_whitespace) {
            out.push(id.to_string());
        }
        rest = &rest[start + len + 1..];
    }
    out
}

/// The address in a `From` value (`Name <a@b>` or `a@b`), lowercase.
fn address_of(value: &str) -> Option<String> {
    let candidate = match (value.rfind('<'), value.rfind('>')) {
        (Some(start), Some(end)) if start < end => value[start + 1..end].to_string(),
        _ => value
            .split_whitespace()
            .find(|w| w.contains('@'))?
            .trim_matches(|c| c == '"' || c == '(' || c == ')')
            .to_string(),
    };
    let candidate = candidate.trim().to_lowercase();
    candidate.contains('@').then_some(candidate)
}

/// The calendar day of an RFC 2822 date (comments such as `(UTC)` ignored).
fn date_of(value: &str) -> Option<Date> {
    let mut clean = String::with_capacity(value.len());
    let mut depth = 0u32;
    for c in value.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => clean.push(c),
            _ => {}
        }
    }
    chrono::DateTime::parse_from_rfc2822(clean.trim())
        .ok()
        .map(|d| d.date_naive())
}

/// Decodes RFC 2047 encoded words; white space between two encoded words is dropped.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut pending_space = String::new();
    let mut last_was_word = false;
    while !rest.is_empty() {
        if let Some((decoded, used)) = encoded_word(rest) {
            if !last_was_word {
                out.push_str(&pending_space);
            }
            pending_space.clear();
            out.push_str(&decoded);
            rest = &rest[used..];
            last_was_word = true;
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        if c.is_whitespace() {
            pending_space.push(c);
        } else {
            out.push_str(&pending_space);
            pending_space.clear();
            out.push(c);
            last_was_word = false;
        }
        rest = &rest[c.len_utf8()..];
    }
    if !last_was_word {
        out.push_str(&pending_space);
    }
    out
}

/// An encoded word at the start of `text`: its decoded text and its length in bytes.
fn encoded_word(text: &str) -> Option<(String, usize)> {
    let inner = text.strip_prefix("=?")?;
    let (charset, rest) = inner.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let payload = &rest[..end];
    if payload.contains(char::is_whitespace) || charset.is_empty() {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD
            .decode(payload.trim_end_matches('='))
            .or_else(|_| base64::engine::general_purpose::STANDARD.decode(payload))
            .or_else(|_| {
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(payload.trim_end_matches('='))
            })
            .ok()?,
        "Q" | "q" => quoted_printable::decode(
            payload.replace('_', " "),
            quoted_printable::ParseMode::Robust,
        )
        .ok()?,
        _ => return None,
    };
    // The charset may carry a language: `utf-8*en`.
    let charset = charset.split('*').next().unwrap_or(charset);
    let used = 2 + inner.len() - (rest.len() - end - 2);
    Some((decode_charset(&bytes, charset), used))
}

/// Bytes in `charset` as text.
fn decode_charset(bytes: &[u8], charset: &str) -> String {
    match charset.to_ascii_lowercase().as_str() {
        "iso-8859-1" | "latin1" | "iso8859-1" | "windows-1252" | "cp1252" | "iso-8859-15" => {
            bytes.iter().map(|&b| char::from(b)).collect()
        }
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// A header parameter such as `boundary` or `charset` (`text/plain; charset="utf-8"`).
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The readable text of a part with `headers` and `body`.
fn body_text(headers: &Headers, body: &[u8]) -> String {
    find_text(headers, body, 0, "text/plain")
        .or_else(|| find_text(headers, body, 0, "text/html").map(|h| strip_tags(&h)))
        .unwrap_or_default()
        .replace("\r\n", "\n")
}

fn find_text(headers: &Headers, body: &[u8], depth: u32, want: &str) -> Option<String> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let content_type = header("Content-Type").unwrap_or("text/plain");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime.starts_with("multipart/") {
        if depth > 8 {
            return None;
        }
        let boundary = parameter(content_type, "boundary")?;
        return parts(body, &boundary).into_iter().find_map(|part| {
            let (h, b) = split_head(part);
            find_text(&h, b, depth + 1, want)
        });
    }
    if mime != want {
        return None;
    }
    let disposition = header("Content-Disposition").unwrap_or("");
    if disposition
        .trim()
        .to_ascii_lowercase()
        .starts_with("attachment")
    {
        return None;
    }
    let decoded = match header("Content-Transfer-Encoding")
        .unwrap_or("7bit")
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "base64" => {
            let compact: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            base64::engine::general_purpose::STANDARD
                .decode(&compact)
                .unwrap_or_default()
        }
        "quoted-printable" => quoted_printable::decode(body, quoted_printable::ParseMode::Robust)
            .unwrap_or_else(|_| body.to_vec()),
        _ => body.to_vec(),
    };
    let charset = parameter(content_type, "charset").unwrap_or_else(|| "utf-8".into());
    Some(decode_charset(&decoded, &charset))
}

/// The parts of a multipart body.
fn parts<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let mut out = Vec::new();
    let mut starts = Vec::new();
    let mut i = 0;
    while let Some(pos) = find(&body[i..], delimiter.as_bytes()) {
        let at = i + pos;
        // A delimiter starts a line.
        if at == 0 || body[at - 1] == b'\n' {
            starts.push(at);
        }
        i = at + delimiter.len();
    }
    for pair in starts.windows(2) {
        let mut start = pair[0] + delimiter.len();
        if body[start..].starts_with(b"--") {
            break;
        }
        while start < body.len() && matches!(body[start], b'\r' | b'\n' | b' ' | b'\t') {
            if body[start] == b'\n' {
                start += 1;
                break;
            }
            start += 1;
        }
        let mut end = pair[1];
        if end > start && body[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && body[end - 1] == b'\r' {
            end -= 1;
        }
        out.push(&body[start..end.max(start)]);
    }
    out
}

/// HTML as plain text: tags dropped, common entities decoded, line breaks for blocks.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut tag = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                let name = tag.trim_start_matches('/').to_ascii_lowercase();
                if ["br", "p", "div", "tr", "li"]
                    .iter()
                    .any(|t| name.split_whitespace().next() == Some(t))
                {
                    out.push('\n');
                }
            }
            _ if in_tag => tag.push(c),
            _ => out.push(c),
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
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

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => text[..i].to_string(),
        None => text.to_string(),
    }
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
        assert_eq!(
            decode_words("=?UTF-8?B?UmU6IFLDpGNobnVuZw==?= =?utf-8?Q?_Nr=2E_5?="),
            "Re: Rächnung Nr. 5"
        );
        assert_eq!(
            decode_words("=?iso-8859-1?Q?M=FCller?= GmbH"),
            "Müller GmbH"
        );
        assert_eq!(decode_words("plain  text"), "plain  text");
        assert_eq!(decode_words("=?bogus"), "=?bogus");
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
