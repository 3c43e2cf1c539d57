//! A small PDF writer: pages of text, lines and shaded boxes, with TrueType fonts embedded as
//! subsets, enough for a statement of account.
//!
//! Text is drawn from DejaVu Sans, and from Droid Sans Fallback for the characters DejaVu has
//! not (Chinese, Japanese, Korean); both are compiled in (`assets/fonts/`, with their licenses), and
//! only the glyphs a document uses are embedded. Each font is a Type 0 font with an identity
//! encoding (two-byte glyph ids) and a `ToUnicode` map, so that readers can search and copy the
//! text. Characters neither font has (Thai, Devanagari and the other scripts of South and
//! South-East Asia, emoji …) print as the empty box of `.notdef` and read back as U+FFFD;
//! [`Pdf::unprinted`] and [`unprinted`] name them, so that a statement says so when written. Control and formatting characters (bidirectional overrides, zero-width marks) are
//! dropped before anything is drawn, so a hostile name cannot reorder or hide text.
//!
//! Coordinates are in points from the top-left corner of an A4 page; streams are compressed.

pub mod font;

use font::Font;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;

/// DejaVu Sans (Bitstream Vera license; `assets/fonts/LICENSE-DejaVu.txt`).
pub const DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// Droid Sans Fallback (Apache 2.0; `assets/fonts/LICENSE-Droid-Apache-2.0.txt`).
pub const DROID_FALLBACK: &[u8] = include_bytes!("../../../assets/fonts/DroidSansFallback.ttf");

/// A4 width in points.
pub const PAGE_WIDTH: f64 = 595.28;
/// A4 height in points.
pub const PAGE_HEIGHT: f64 = 841.89;

/// How text is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Font size in points.
    pub size: f64,
    /// Drawn heavier (filled and outlined).
    pub bold: bool,
    /// Grey level, 0 black to 1 white.
    pub gray: f64,
}

impl Style {
    /// Black regular text of `size` points.
    pub const fn regular(size: f64) -> Style {
        Style {
            size,
            bold: false,
            gray: 0.0,
        }
    }

    /// Black bold text of `size` points.
    pub const fn bold(size: f64) -> Style {
        Style {
            size,
            bold: true,
            gray: 0.0,
        }
    }

    /// The same style in grey.
    pub const fn grey(self) -> Style {
        Style { gray: 0.4, ..self }
    }
}

/// The characters of `text` that neither font has, as [`Pdf::text`] would draw them (empty
/// boxes), in order, once each: what a statement of it cannot print, said before it is sent.
pub fn unprinted(text: &str) -> crate::Result<Vec<char>> {
    static FONTS: std::sync::OnceLock<Option<Vec<Font>>> = std::sync::OnceLock::new();
    let faces = FONTS.get_or_init(|| {
        [
            Font::parse("DejaVuSans", DEJAVU_SANS),
            Font::parse("DroidSansFallback", DROID_FALLBACK),
        ]
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .ok()
    });
    let Some(faces) = faces else {
        return Err(crate::Error::runtime(
            "the statement's fonts cannot be read",
        ));
    };
    let mut out: Vec<char> = Vec::new();
    for c in clean(text).chars() {
        if !out.contains(&c) && faces.iter().all(|f| f.glyph(c).is_none()) {
            out.push(c);
        }
    }
    Ok(out)
}

/// The script (or kind) of a character the fonts lack, to name it in a warning: `Thai`,
/// `Devanagari`, `emoji` …, else `other`.
pub fn script_name(c: char) -> &'static str {
    match c {
        '\u{0590}'..='\u{05FF}' => "Hebrew",
        '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' => "Arabic",
        '\u{0900}'..='\u{097F}' => "Devanagari",
        '\u{0980}'..='\u{09FF}' => "Bengali",
        '\u{0A00}'..='\u{0A7F}' => "Gurmukhi",
        '\u{0A80}'..='\u{0AFF}' => "Gujarati",
        '\u{0B00}'..='\u{0B7F}' => "Oriya",
        '\u{0B80}'..='\u{0BFF}' => "Tamil",
        '\u{0C00}'..='\u{0C7F}' => "Telugu",
        '\u{0C80}'..='\u{0CFF}' => "Kannada",
        '\u{0D00}'..='\u{0D7F}' => "Malayalam",
        '\u{0D80}'..='\u{0DFF}' => "Sinhala",
        '\u{0E00}'..='\u{0E7F}' => "Thai",
        '\u{0E80}'..='\u{0EFF}' => "Lao",
        '\u{0F00}'..='\u{0FFF}' => "Tibetan",
        '\u{1000}'..='\u{109F}' => "Myanmar",
        '\u{1200}'..='\u{139F}' => "Ethiopic",
        '\u{1780}'..='\u{17FF}' => "Khmer",
        '\u{2600}'..='\u{27BF}' | '\u{1F000}'..='\u{1FAFF}' | '\u{FE0F}' => "emoji",
        _ => "other",
    }
}

/// Whether a character is drawn: not a control or an invisible formatting character.
fn printable(c: char) -> bool {
    !(c.is_control()
        || matches!(c,
            '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'))
}

/// Text as it will be drawn: controls and formatting characters dropped, each run of
/// whitespace one space.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if printable(c) {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// The fonts of a document and the glyphs it has used of each.
#[derive(Debug)]
struct Fonts {
    faces: Vec<Font>,
    /// Per face: glyph → the text it stands for (for `ToUnicode`).
    used: Vec<BTreeMap<u16, String>>,
    /// The characters drawn that no face has (printed as the empty box of `.notdef`).
    missing: BTreeSet<char>,
}

impl Fonts {
    fn new() -> crate::Result<Fonts> {
        let faces = vec![
            Font::parse("DejaVuSans", DEJAVU_SANS),
            Font::parse("DroidSansFallback", DROID_FALLBACK),
        ]
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| crate::Error::runtime(e.to_string()))?;
        let used = vec![BTreeMap::new(); faces.len()];
        Ok(Fonts {
            faces,
            used,
            missing: BTreeSet::new(),
        })
    }

    /// The face and glyph of a character: the first face that has it, else `.notdef`.
    fn glyph(&self, c: char) -> (usize, u16) {
        self.faces
            .iter()
            .enumerate()
            .find_map(|(i, f)| f.glyph(c).map(|g| (i, g)))
            .unwrap_or((0, 0))
    }

    /// The width of (cleaned) text in points.
    fn width(&self, text: &str, size: f64) -> f64 {
        text.chars()
            .map(|c| {
                let (face, gid) = self.glyph(c);
                self.faces[face].width_1000(gid)
            })
            .sum::<f64>()
            * size
            / 1000.0
    }

    /// Splits (cleaned) text into runs of one face, recording the glyphs used.
    fn runs(&mut self, text: &str) -> Vec<(usize, Vec<u16>)> {
        let mut runs: Vec<(usize, Vec<u16>)> = Vec::new();
        for c in text.chars() {
            let (face, gid) = self.glyph(c);
            let meaning = if gid == 0 {
                self.missing.insert(c);
                '\u{FFFD}'.to_string()
            } else {
                c.to_string()
            };
            self.used[face].entry(gid).or_insert(meaning);
            match runs.last_mut() {
                Some((f, glyphs)) if *f == face => glyphs.push(gid),
                _ => runs.push((face, vec![gid])),
            }
        }
        runs
    }
}

/// A PDF document being drawn, page by page.
#[derive(Debug)]
pub struct Pdf {
    fonts: Fonts,
    title: String,
    pages: Vec<String>,
    current: usize,
}

impl Pdf {
    /// An empty document with one blank page.
    pub fn new(title: &str) -> crate::Result<Pdf> {
        Ok(Pdf {
            fonts: Fonts::new()?,
            title: clean(title),
            pages: vec![String::new()],
            current: 0,
        })
    }

    /// The characters drawn so far that neither font has: they print as empty boxes.
    pub fn unprinted(&self) -> Vec<char> {
        self.fonts.missing.iter().copied().collect()
    }

    /// Starts a new page and draws on it from now on.
    pub fn add_page(&mut self) {
        self.pages.push(String::new());
        self.current = self.pages.len() - 1;
    }

    /// How many pages there are.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Draws on page `index` (from 0) from now on.
    pub fn select_page(&mut self, index: usize) {
        self.current = index.min(self.pages.len() - 1);
    }

    /// The width of text in points, as [`Pdf::text`] would draw it.
    pub fn width(&self, text: &str, style: Style) -> f64 {
        self.fonts.width(&clean(text), style.size)
    }

    /// Text shortened with `…` to fit `max` points (cleaned first).
    pub fn fit(&self, text: &str, style: Style, max: f64) -> String {
        let text = clean(text);
        if self.fonts.width(&text, style.size) <= max {
            return text;
        }
        let room = max - self.fonts.width("…", style.size);
        let mut out = String::new();
        let mut used = 0.0;
        for c in text.chars() {
            let w = self.fonts.width(c.encode_utf8(&mut [0; 4]), style.size);
            if used + w > room {
                break;
            }
            used += w;
            out.push(c);
        }
        out.push('…');
        out
    }

    /// Text broken into lines of at most `max` points, at spaces where it can be.
    pub fn wrap(&self, text: &str, style: Style, max: f64) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.lines() {
            let mut line = String::new();
            for word in clean(paragraph).split(' ') {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.fonts.width(&candidate, style.size) <= max || line.is_empty() {
                    line = candidate;
                } else {
                    lines.push(std::mem::take(&mut line));
                    line = word.to_string();
                }
                while self.fonts.width(&line, style.size) > max && line.chars().count() > 1 {
                    // A word longer than the line: cut it where it stops fitting.
                    let mut head = String::new();
                    for c in line.chars() {
                        head.push(c);
                        if self.fonts.width(&head, style.size) > max {
                            head.pop();
                            break;
                        }
                    }
                    if head.is_empty() {
                        break;
                    }
                    line = line[head.len()..].to_string();
                    lines.push(head);
                }
            }
            lines.push(line);
        }
        lines
    }

    /// Draws text with its baseline at `y` points from the top, starting at `x`.
    pub fn text(&mut self, x: f64, y: f64, style: Style, text: &str) {
        let text = clean(text);
        if text.is_empty() {
            return;
        }
        let runs = self.fonts.runs(&text);
        let page = &mut self.pages[self.current];
        let _ = write!(page, "BT {} g ", num(style.gray));
        if style.bold {
            let _ = write!(
                page,
                "2 Tr {} w {} G ",
                num(style.size / 30.0),
                num(style.gray)
            );
        }
        let _ = write!(page, "{} {} Td", num(x), num(PAGE_HEIGHT - y));
        for (face, glyphs) in runs {
            let _ = write!(page, " /F{face} {} Tf <", num(style.size));
            for g in glyphs {
                let _ = write!(page, "{g:04X}");
            }
            page.push_str("> Tj");
        }
        if style.bold {
            page.push_str(" 0 Tr");
        }
        page.push_str(" ET\n");
    }

    /// Draws text ending at `right`.
    pub fn text_right(&mut self, right: f64, y: f64, style: Style, text: &str) {
        let w = self.width(text, style);
        self.text(right - w, y, style, text);
    }

    /// A straight line of `width` points in grey `gray`.
    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), width: f64, gray: f64) {
        let _ = writeln!(
            self.pages[self.current],
            "{} w {} G {} {} m {} {} l S",
            num(width),
            num(gray),
            num(from.0),
            num(PAGE_HEIGHT - from.1),
            num(to.0),
            num(PAGE_HEIGHT - to.1)
        );
    }

    /// A filled box whose top-left corner is at `(x, y)`.
    pub fn fill(&mut self, x: f64, y: f64, w: f64, h: f64, gray: f64) {
        let _ = writeln!(
            self.pages[self.current],
            "{} g {} {} {} {} re f",
            num(gray),
            num(x),
            num(PAGE_HEIGHT - y - h),
            num(w),
            num(h)
        );
    }

    /// The finished file.
    pub fn finish(self) -> crate::Result<Vec<u8>> {
        let Pdf {
            fonts,
            title,
            pages,
            ..
        } = self;
        let mut w = Writer::default();
        // 1 catalog, 2 page tree, 3 info; then two objects a page; then five a font used.
        let first_page = 4;
        let first_font = first_page + 2 * pages.len();
        let faces: Vec<usize> = (0..fonts.faces.len())
            .filter(|&i| !fonts.used[i].is_empty())
            .collect();
        let font_id = |face: usize| {
            let slot = faces.iter().position(|&f| f == face).unwrap_or(0);
            first_font + 5 * slot
        };
        w.object(1, "<< /Type /Catalog /Pages 2 0 R >>");
        let kids: Vec<String> = (0..pages.len())
            .map(|i| format!("{} 0 R", first_page + 2 * i))
            .collect();
        w.object(
            2,
            &format!(
                "<< /Type /Pages /Count {} /Kids [{}] >>",
                pages.len(),
                kids.join(" ")
            ),
        );
        w.object(
            3,
            &format!(
                "<< /Title {} /Producer {} >>",
                text_string(&title),
                text_string(&format!("owed {}", env!("CARGO_PKG_VERSION")))
            ),
        );
        let resources: String = faces
            .iter()
            .map(|&f| format!("/F{f} {} 0 R", font_id(f)))
            .collect::<Vec<_>>()
            .join(" ");
        for (i, content) in pages.iter().enumerate() {
            let id = first_page + 2 * i;
            w.object(
                id,
                &format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] \
                     /Resources << /Font << {resources} >> >> /Contents {} 0 R >>",
                    num(PAGE_WIDTH),
                    num(PAGE_HEIGHT),
                    id + 1
                ),
            );
            w.stream(id + 1, "", content.as_bytes())?;
        }
        for (slot, &face) in faces.iter().enumerate() {
            let font = &fonts.faces[face];
            let used = &fonts.used[face];
            let id = first_font + 5 * slot;
            // A subset's name starts with a tag of six capitals.
            let name = format!("OWEDA{}+{}", (b'A' + slot as u8) as char, font.name);
            let scale = |v: i16| (f64::from(v) * 1000.0 / f64::from(font.units_per_em)).round();
            w.object(
                id,
                &format!(
                    "<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H \
                     /DescendantFonts [{} 0 R] /ToUnicode {} 0 R >>",
                    id + 1,
                    id + 4
                ),
            );
            let widths: String = used
                .keys()
                .map(|&g| format!("{g} [{}]", num(font.width_1000(g))))
                .collect::<Vec<_>>()
                .join(" ");
            w.object(
                id + 1,
                &format!(
                    "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} \
                     /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
                     /FontDescriptor {} 0 R /DW 1000 /W [{widths}] /CIDToGIDMap /Identity >>",
                    id + 2
                ),
            );
            let [x0, y0, x1, y1] = font.bbox;
            w.object(
                id + 2,
                &format!(
                    "<< /Type /FontDescriptor /FontName /{name} /Flags 32 \
                     /FontBBox [{} {} {} {}] /ItalicAngle 0 /Ascent {} /Descent {} \
                     /CapHeight {} /StemV 80 /FontFile2 {} 0 R >>",
                    scale(x0),
                    scale(y0),
                    scale(x1),
                    scale(y1),
                    scale(font.ascent),
                    scale(font.descent),
                    scale(font.cap_height),
                    id + 3
                ),
            );
            let glyphs: BTreeSet<u16> = used.keys().copied().collect();
            let file = font
                .subset(&glyphs)
                .map_err(|e| crate::Error::runtime(e.to_string()))?;
            w.stream(id + 3, &format!("/Length1 {}", file.len()), &file)?;
            w.stream(id + 4, "", to_unicode(used).as_bytes())?;
        }
        Ok(w.finish(first_font + 5 * faces.len()))
    }
}

/// A number as PDF writes it: at most two decimals, no trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// A text string for the document information: UTF-16 with a byte-order mark, in hex.
fn text_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

/// The `ToUnicode` map of a font: each glyph used to the text it stands for.
fn to_unicode(used: &BTreeMap<u16, String>) -> String {
    let mut out = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<_> = used.iter().collect();
    for chunk in entries.chunks(100) {
        let _ = writeln!(out, "{} beginbfchar", chunk.len());
        for (gid, text) in chunk {
            let _ = write!(out, "<{gid:04X}> <");
            for unit in text.encode_utf16() {
                let _ = write!(out, "{unit:04X}");
            }
            out.push_str(">\n");
        }
        out.push_str("endbfchar\n");
    }
    out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    out
}

/// The bytes of the file and where each object starts.
#[derive(Default)]
struct Writer {
    out: Vec<u8>,
    offsets: BTreeMap<usize, usize>,
}

impl Writer {
    fn start(&mut self) {
        if self.out.is_empty() {
            // The binary comment tells transfer programs the file is not text.
            self.out.extend_from_slice(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
        }
    }

    fn object(&mut self, id: usize, body: &str) {
        self.start();
        self.offsets.insert(id, self.out.len());
        self.out
            .extend_from_slice(format!("{id} 0 obj\n{body}\nendobj\n").as_bytes());
    }

    fn stream(&mut self, id: usize, dict: &str, data: &[u8]) -> crate::Result<()> {
        self.start();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(data)?;
        let packed = z.finish()?;
        self.offsets.insert(id, self.out.len());
        self.out.extend_from_slice(
            format!(
                "{id} 0 obj\n<< {dict} /Filter /FlateDecode /Length {} >>\nstream\n",
                packed.len()
            )
            .as_bytes(),
        );
        self.out.extend_from_slice(&packed);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
        Ok(())
    }

    fn finish(mut self, count: usize) -> Vec<u8> {
        let xref = self.out.len();
        let mut table = format!("xref\n0 {count}\n0000000000 65535 f \n");
        for id in 1..count {
            let at = self.offsets.get(&id).copied().unwrap_or(0);
            let _ = writeln!(table, "{at:010} 00000 n ");
        }
        let _ = write!(
            table,
            "trailer\n<< /Size {count} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        );
        self.out.extend_from_slice(table.as_bytes());
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_statements_read_back_through_their_fonts_unicode_maps() {
        use crate::domain::pdf_text::first_page_text;
        let mut doc = Pdf::new("Statement").unwrap();
        doc.text(40.0, 60.0, Style::bold(16.0), "Statement of account");
        doc.text(
            40.0,
            90.0,
            Style::regular(10.0),
            "東京商事株式会社 Tokyo Trading",
        );
        doc.text(40.0, 120.0, Style::regular(10.0), "INV-400");
        doc.text_right(550.0, 120.0, Style::regular(10.0), "5,000.00 €");
        // A hostile name: its controls are dropped by the writer, nothing is left to obey.
        doc.text(40.0, 140.0, Style::regular(10.0), "Evil\u{1b}[2J Corp");
        doc.add_page();
        doc.text(40.0, 60.0, Style::regular(10.0), "Second page");
        let bytes = doc.finish().unwrap();
        // Compressed, as every stream the writer makes.
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"/FlateDecode"));
        assert!(!has(b"Statement of account"));
        assert_eq!(
            first_page_text(&bytes, 20).unwrap(),
            [
                "Statement of account",
                "東京商事株式会社 Tokyo Trading",
                "INV-400  5,000.00 €",
                "Evil[2J Corp"
            ]
        );
        assert_eq!(
            crate::domain::attachment::first_page(&bytes, crate::domain::attachment::Kind::Pdf, 1),
            ["Statement of account"]
        );
    }

    #[test]
    fn clean_drops_controls_and_invisible_marks() {
        assert_eq!(clean("A\u{202E}B\u{0}C\u{200B}D"), "ABCD");
        assert_eq!(clean("  two\t\nlines  "), "two lines");
        assert_eq!(clean("Müller 東京"), "Müller 東京");
    }

    #[test]
    fn fit_shortens_with_an_ellipsis() {
        let pdf = Pdf::new("t").unwrap();
        let style = Style::regular(10.0);
        let long = "Präzisionstechnik ".repeat(20);
        let fitted = pdf.fit(&long, style, 100.0);
        assert!(fitted.ends_with('…'));
        assert!(pdf.width(&fitted, style) <= 100.0);
        assert_eq!(pdf.fit("Kite", style, 100.0), "Kite");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        let pdf = Pdf::new("t").unwrap();
        let style = Style::regular(10.0);
        let lines = pdf.wrap(&format!("Pay to {} please", "X".repeat(80)), style, 120.0);
        assert!(lines.len() >= 3, "{lines:?}");
        assert!(lines.iter().all(|l| pdf.width(l, style) <= 120.0));
        assert_eq!(
            lines.concat().replace(' ', ""),
            format!("Payto{}please", "X".repeat(80))
        );
    }

    #[test]
    fn a_document_is_a_pdf_with_its_fonts() {
        let mut pdf = Pdf::new("Statement").unwrap();
        pdf.text(50.0, 50.0, Style::bold(12.0), "Müller 東京");
        let bytes = pdf.finish().unwrap();
        assert!(bytes.starts_with(b"%PDF-1.7"));
        assert!(bytes.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("+DejaVuSans"));
        assert!(text.contains("+DroidSansFallback"));
        // Well under the fonts' own sizes: only the glyphs used are embedded.
        assert!(bytes.len() < 150_000, "{} bytes", bytes.len());
    }
}
