//! Attachments: what a file is, what it is called and how big it may be.
//!
//! Files are kept inside the database by their SHA-256 ([`sha256_hex`]): the same bytes
//! attached twice are stored once. Their names come from outside (a collector's file system,
//! a bank's lockbox folder) and are shown through [`crate::domain::text`] like every other
//! outside text. What a file holds is told from its first bytes ([`Kind::of`]), never from
//! its name.

use super::money::grouped_count;

/// The default of `max_attachment_mb` in the config.
pub const DEFAULT_MAX_MB: u64 = 25;

/// The SHA-256 of `bytes` as 64 lower-case hexadecimal digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = String::with_capacity(64);
    for b in digest.as_ref() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// What an attachment holds, as far as the workstation can show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Png,
    Jpeg,
    Tiff,
    Pdf,
    /// UTF-8 text without NUL bytes.
    Text,
    /// Anything else: kept and given back, not shown.
    Other,
}

impl Kind {
    /// Tells the kind from the first bytes of a file.
    pub fn of(bytes: &[u8]) -> Kind {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Kind::Png
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Kind::Jpeg
        } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
            Kind::Tiff
        } else if bytes.starts_with(b"%PDF-") {
            Kind::Pdf
        } else if looks_like_text(bytes) {
            Kind::Text
        } else {
            Kind::Other
        }
    }

    /// Whether it is a picture the workstation draws.
    pub fn is_image(self) -> bool {
        matches!(self, Kind::Png | Kind::Jpeg | Kind::Tiff)
    }

    /// For people: `PNG image`, `PDF`, `text`, `file`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Png => "PNG image",
            Kind::Jpeg => "JPEG image",
            Kind::Tiff => "TIFF image",
            Kind::Pdf => "PDF",
            Kind::Text => "text",
            Kind::Other => "file",
        }
    }
}

/// UTF-8 (a cut last character allowed) without NUL bytes, judged on the first 8 KiB.
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() == 8192,
    }
}

/// The largest attachment in bytes for a `max_attachment_mb` (a megabyte is 1,048,576 bytes).
pub fn max_bytes(max_mb: u64) -> u64 {
    max_mb.saturating_mul(1024 * 1024)
}

/// A size for people: `812 B`, `12.4 KB`, `3.1 MB` (units of 1,024).
pub fn size_label(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.1} KB", b / KB)
    } else if b < KB * KB * KB {
        format!("{:.1} MB", b / KB / KB)
    } else {
        format!("{:.1} GB", b / KB / KB / KB)
    }
}

/// The sentence refusing a file over the limit.
pub fn too_large(name: &str, bytes: u64, max_mb: u64) -> String {
    format!(
        "{name} {}, so nothing was attached",
        over_limit(bytes, max_mb)
    )
}

/// What a file of `bytes` over `max_attachment_mb = max_mb` is, in MiB as the limit is:
/// `is 30.2 MiB, more than the 25 MiB that max_attachment_mb = 25 allows`; in bytes when the
/// size in MiB to one decimal would read as the limit itself (25 MiB and a byte).
pub fn over_limit(bytes: u64, max_mb: u64) -> String {
    let mib = format!("{:.1}", bytes as f64 / (1024.0 * 1024.0));
    if mib.parse::<f64>().is_ok_and(|m| m > max_mb as f64) {
        format!("is {mib} MiB, more than the {max_mb} MiB that max_attachment_mb = {max_mb} allows")
    } else {
        format!(
            "is {} bytes, more than the {} bytes ({max_mb} MiB) that max_attachment_mb = \
             {max_mb} allows",
            grouped_count(bytes),
            grouped_count(max_bytes(max_mb))
        )
    }
}

/// What an entry is when it is a symbolic link, for the sentences that refuse or skip it.
pub const A_LINK: &str = "a symbolic link (links are not followed)";

/// What a path to attach is when it is not a plain file: a folder, a symbolic link (when
/// `kind` is the link's own, from `symlink_metadata`: links from outside are not followed),
/// or a pipe, a socket or a device (opening a pipe would wait for a writer; a device may
/// never end). `None` for a file.
pub fn not_a_file(kind: std::fs::FileType) -> Option<&'static str> {
    if kind.is_file() {
        None
    } else if kind.is_dir() {
        Some("a folder, not a file")
    } else if kind.is_symlink() {
        Some(A_LINK)
    } else {
        Some("not a plain file (a pipe, a socket or a device)")
    }
}

/// The name an attachment is kept under: the last part of the path it came from, as text
/// (bytes that are not UTF-8 replaced). An empty name is `attachment`.
pub fn file_name(path: &std::path::Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.trim().is_empty() {
        "attachment".to_string()
    } else {
        name
    }
}

/// The first page of text of a text or PDF attachment, at most `lines` lines: a text file's
/// first lines; a PDF's first page, its content streams inflated and its strings decoded
/// through their fonts ([`crate::domain::pdf_text`]), else (no page tree to follow) from the
/// literal strings of the file as they stand; a sentence when there is no text to show.
/// Control characters are left for the caller to show ([`crate::domain::text`]).
pub fn first_page(bytes: &[u8], kind: Kind, lines: usize) -> Vec<String> {
    match kind {
        Kind::Text => String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)])
            .lines()
            .take(lines)
            .map(str::to_string)
            .collect(),
        Kind::Pdf => match crate::domain::pdf_text::first_page_text(bytes, lines) {
            Some(text) if !text.is_empty() => text,
            Some(_) => vec![
                "(this PDF's first page has no text, only pictures: get the file to see it)".into(),
            ],
            None => pdf_first_page(bytes, lines),
        },
        _ => Vec::new(),
    }
}

/// The text shown by the first page of a PDF without a page tree to follow, read from the
/// file as it stands: the strings of `Tj` / `TJ` operators, a line per `Td`/`T*`/`ET`. When
/// there are none, one sentence saying the text cannot be shown.
fn pdf_first_page(bytes: &[u8], lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    let mut in_text = false;
    let n = bytes.len();
    // Stop at the end of the first page's content: the first `/Type /Page` after a text block
    // has been read is the next page.
    while i < n && out.len() < lines {
        let b = bytes[i];
        if bytes[i..].starts_with(b"BT") {
            in_text = true;
            i += 2;
            continue;
        }
        if in_text && bytes[i..].starts_with(b"ET") {
            in_text = false;
            if !current.trim().is_empty() {
                out.push(std::mem::take(&mut current));
            }
            current.clear();
            i += 2;
            continue;
        }
        if in_text && b == b'(' {
            let (text, next) = pdf_string(bytes, i + 1);
            current.push_str(&text);
            i = next;
            continue;
        }
        if in_text && (bytes[i..].starts_with(b"Td") || bytes[i..].starts_with(b"T*")) {
            if !current.trim().is_empty() {
                out.push(std::mem::take(&mut current));
            }
            current.clear();
            i += 2;
            continue;
        }
        if !in_text && !out.is_empty() && bytes[i..].starts_with(b"/Type /Page\n") {
            break;
        }
        i += 1;
    }
    if !current.trim().is_empty() && out.len() < lines {
        out.push(current);
    }
    if out.is_empty() {
        out.push("(this PDF's text cannot be read here: get the file to read it)".into());
    }
    out
}

/// A PDF literal string from just after its `(`: its text (octal and character escapes
/// read, bytes taken as Latin-1) and the position after its `)`.
fn pdf_string(bytes: &[u8], mut i: usize) -> (String, usize) {
    let mut depth = 1;
    let mut out = String::new();
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\\' if i + 1 < bytes.len() => {
                let e = bytes[i + 1];
                i += 2;
                match e {
                    b'n' => out.push('\n'),
                    b'r' | b't' | b'b' | b'f' => out.push(' '),
                    b'0'..=b'7' => {
                        let mut v = u32::from(e - b'0');
                        for _ in 0..2 {
                            match bytes.get(i) {
                                Some(d @ b'0'..=b'7') => {
                                    v = v * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push(char::from_u32(v & 0xFF).unwrap_or(' '));
                    }
                    other => out.push(char::from(other)),
                }
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return (out, i + 1);
                }
            }
            _ => {}
        }
        out.push(char::from(b));
        i += 1;
    }
    (out, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_text() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn kinds_from_first_bytes() {
        assert_eq!(Kind::of(b"\x89PNG\r\n\x1a\n...."), Kind::Png);
        assert_eq!(Kind::of(&[0xFF, 0xD8, 0xFF, 0xE0]), Kind::Jpeg);
        assert_eq!(Kind::of(b"II*\0...."), Kind::Tiff);
        assert_eq!(Kind::of(b"MM\0*...."), Kind::Tiff);
        assert_eq!(Kind::of(b"%PDF-1.4"), Kind::Pdf);
        assert_eq!(
            Kind::of("Remittance advice\nInvoice 12".as_bytes()),
            Kind::Text
        );
        assert_eq!(Kind::of(&[0, 1, 2, 3]), Kind::Other);
        assert!(Kind::Tiff.is_image() && !Kind::Pdf.is_image());
    }

    #[test]
    fn sizes_and_limits() {
        assert_eq!(size_label(812), "812 B");
        assert_eq!(size_label(12_698), "12.4 KB");
        assert_eq!(max_bytes(25), 26_214_400);
        assert_eq!(
            too_large("scan.tif", 30 * 1024 * 1024, 25),
            "scan.tif is 30.0 MiB, more than the 25 MiB that max_attachment_mb = 25 allows, so \
             nothing was attached"
        );
        // Just over: a figure that reads as the limit would not say why.
        assert_eq!(
            over_limit(25 * 1024 * 1024 + 1, 25),
            "is 26,214,401 bytes, more than the 26,214,400 bytes (25 MiB) that \
             max_attachment_mb = 25 allows"
        );
        assert_eq!(
            over_limit(25 * 1024 * 1024 + 60_000, 25),
            "is 25.1 MiB, more than the 25 MiB that max_attachment_mb = 25 allows"
        );
    }

    #[test]
    fn first_page_of_text_and_pdf() {
        let text = "line 1\nline 2\nline 3";
        assert_eq!(
            first_page(text.as_bytes(), Kind::Text, 2),
            ["line 1", "line 2"]
        );
        let pdf = b"%PDF-1.4\n1 0 obj << /Type /Page\n >>\nstream\nBT /F1 12 Tf 72 720 Td (Remittance advice) Tj 0 -14 Td (Invoice \\(INV-1\\) 120.00) Tj ET\nendstream\n/Type /Page\nBT (second page) Tj ET";
        assert_eq!(
            first_page(pdf, Kind::Pdf, 10),
            ["Remittance advice", "Invoice (INV-1) 120.00"]
        );
        let unreadable = b"%PDF-1.7\nstream\nx\x9c\x01\x02endstream";
        assert!(first_page(unreadable, Kind::Pdf, 10)[0].contains("cannot be read"));
    }
}
