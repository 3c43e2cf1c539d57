//! A small PDF writer for text documents: A4 pages of lines of text in one embedded
//! TrueType font (DejaVu Sans, `assets/fonts/`), so names with accents and non-Latin letters
//! (Greek, Cyrillic, …) print as written, and their text can be copied and searched.
//!
//! The font is embedded as a CID-keyed TrueType font (`Identity-H`: a glyph id per
//! character) holding only the glyphs used (the others are emptied, their ids kept), with
//! the glyph widths (`W`) and a `ToUnicode` map for text extraction. Content streams and the
//! font are deflated. Characters the font lacks print as its missing-glyph box.

use flate2::Compression;
use flate2::write::ZlibEncoder;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;

/// DejaVu Sans (Bitstream Vera license, `assets/fonts/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;

/// A piece of text placed on a page.
#[derive(Debug, Clone, PartialEq)]
struct Placed {
    x: f32,
    y: f32,
    size: f32,
    text: String,
}

/// A document being written: pages of placed text and rules.
#[derive(Debug, Default)]
pub struct PdfDocument {
    pages: Vec<Vec<Placed>>,
    lines: Vec<Vec<(f32, f32, f32)>>,
    title: String,
}

impl PdfDocument {
    /// An empty document titled `title` (the PDF's metadata).
    pub fn new(title: &str) -> PdfDocument {
        PdfDocument {
            pages: Vec::new(),
            lines: Vec::new(),
            title: title.to_string(),
        }
    }

    /// Starts a new page.
    pub fn page(&mut self) {
        self.pages.push(Vec::new());
        self.lines.push(Vec::new());
    }

    /// Pages so far.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Writes `text` with its left end at (`x`, `y`) in points from the bottom left.
    pub fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        if self.pages.is_empty() {
            self.page();
        }
        let clean: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if let Some(page) = self.pages.last_mut() {
            page.push(Placed {
                x,
                y,
                size,
                text: clean,
            });
        }
    }

    /// Writes `text` with its right end at `right`.
    pub fn text_right(&mut self, right: f32, y: f32, size: f32, text: &str) {
        let width = text_width(text, size);
        self.text(right - width, y, size, text);
    }

    /// A horizontal rule from `x1` to `x2` at `y`.
    pub fn rule(&mut self, x1: f32, x2: f32, y: f32) {
        if self.pages.is_empty() {
            self.page();
        }
        if let Some(lines) = self.lines.last_mut() {
            lines.push((x1, x2, y));
        }
    }

    /// The PDF file.
    pub fn finish(&self) -> Vec<u8> {
        let font = Font::parse(FONT);
        let mut used: BTreeMap<u16, char> = BTreeMap::new();
        for page in &self.pages {
            for p in page {
                for c in p.text.chars() {
                    used.entry(font.glyph(c)).or_insert(c);
                }
            }
        }
        let mut w = Writer::default();
        w.bytes.extend_from_slice(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
        // Object numbers: 1 catalog, 2 pages, 3 font, 4 CID font, 5 descriptor,
        // 6 ToUnicode, 7 font file, 8 info, then a page and its content for each page.
        let page_ids: Vec<usize> = (0..self.pages.len()).map(|i| 9 + 2 * i).collect();
        w.object(1, b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
        let kids: Vec<String> = page_ids.iter().map(|id| format!("{id} 0 R")).collect();
        w.object(
            2,
            format!(
                "<< /Type /Pages /Kids [{}] /Count {} >>",
                kids.join(" "),
                page_ids.len()
            )
            .into_bytes(),
        );
        w.object(
            3,
            b"<< /Type /Font /Subtype /Type0 /BaseFont /OWEDAA+DejaVuSans /Encoding /Identity-H \
              /DescendantFonts [4 0 R] /ToUnicode 6 0 R >>"
                .to_vec(),
        );
        let widths: Vec<String> = used
            .keys()
            .map(|&g| format!("{g} [{}]", font.advance_1000(g)))
            .collect();
        w.object(
            4,
            format!(
                "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /OWEDAA+DejaVuSans \
                 /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
                 /FontDescriptor 5 0 R /DW {} /W [{}] /CIDToGIDMap /Identity >>",
                font.advance_1000(0),
                widths.join(" ")
            )
            .into_bytes(),
        );
        let (x0, y0, x1, y1) = font.bbox_1000();
        w.object(
            5,
            format!(
                "<< /Type /FontDescriptor /FontName /OWEDAA+DejaVuSans /Flags 32 \
                 /FontBBox [{x0} {y0} {x1} {y1}] /ItalicAngle 0 /Ascent {} /Descent {} \
                 /CapHeight {} /StemV 80 /FontFile2 7 0 R >>",
                font.ascent_1000(),
                font.descent_1000(),
                font.ascent_1000()
            )
            .into_bytes(),
        );
        w.stream(6, "", to_unicode(&used).as_bytes());
        let subset = font.subset(&used.keys().copied().collect());
        w.stream(7, &format!("/Length1 {}", subset.len()), &subset);
        w.object(
            8,
            format!(
                "<< /Title {} /Producer (owed) >>",
                pdf_text_string(&self.title)
            )
            .into_bytes(),
        );
        for (i, page) in self.pages.iter().enumerate() {
            let id = page_ids[i];
            w.object(
                id,
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
                     /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                    id + 1
                )
                .into_bytes(),
            );
            let mut content = String::new();
            for (x1, x2, y) in &self.lines[i] {
                content.push_str(&format!("0.5 w {x1:.2} {y:.2} m {x2:.2} {y:.2} l S\n"));
            }
            for p in page {
                let hex: String = p
                    .text
                    .chars()
                    .map(|c| format!("{:04X}", font.glyph(c)))
                    .collect();
                content.push_str(&format!(
                    "BT /F1 {:.1} Tf {:.2} {:.2} Td <{hex}> Tj ET\n",
                    p.size, p.x, p.y
                ));
            }
            w.stream(id + 1, "", content.as_bytes());
        }
        w.finish(8)
    }
}

/// The width of `text` at `size` points.
pub fn text_width(text: &str, size: f32) -> f32 {
    let font = Font::parse(FONT);
    let units: u32 = text
        .chars()
        .map(|c| u32::from(font.advance(font.glyph(c))))
        .sum();
    units as f32 * size / f32::from(font.units_per_em.max(1))
}

/// A PDF text string: UTF-16BE with its byte-order mark, as hex.
fn pdf_text_string(text: &str) -> String {
    let mut hex = String::from("<FEFF");
    for unit in text.encode_utf16() {
        hex.push_str(&format!("{unit:04X}"));
    }
    hex.push('>');
    hex
}

/// The `ToUnicode` CMap: each glyph id used back to its character.
fn to_unicode(used: &BTreeMap<u16, char>) -> String {
    let mut out = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(&u16, &char)> = used.iter().collect();
    for chunk in entries.chunks(100) {
        out.push_str(&format!("{} beginbfchar\n", chunk.len()));
        for (g, c) in chunk {
            let mut units = [0u16; 2];
            let utf16: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            out.push_str(&format!("<{g:04X}> <{utf16}>\n"));
        }
        out.push_str("endbfchar\n");
    }
    out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    out
}

/// The bytes of a PDF file with the offsets of its objects.
#[derive(Default)]
struct Writer {
    bytes: Vec<u8>,
    offsets: BTreeMap<usize, usize>,
}

impl Writer {
    fn object(&mut self, id: usize, body: Vec<u8>) {
        self.offsets.insert(id, self.bytes.len());
        self.bytes
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
        self.bytes.extend_from_slice(&body);
        self.bytes.extend_from_slice(b"\nendobj\n");
    }

    /// A deflated stream object with extra dictionary entries `extra`.
    fn stream(&mut self, id: usize, extra: &str, data: &[u8]) {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        let packed = encoder
            .write_all(data)
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        let mut body = format!(
            "<< /Length {} /Filter /FlateDecode {extra} >>\nstream\n",
            packed.len()
        )
        .into_bytes();
        body.extend_from_slice(&packed);
        body.extend_from_slice(b"\nendstream");
        self.object(id, body);
    }

    fn finish(mut self, info: usize) -> Vec<u8> {
        let size = self.offsets.keys().max().copied().unwrap_or(0) + 1;
        let xref = self.bytes.len();
        let mut table = format!("xref\n0 {size}\n0000000000 65535 f \n");
        for id in 1..size {
            match self.offsets.get(&id) {
                Some(offset) => table.push_str(&format!("{offset:010} 00000 n \n")),
                None => table.push_str("0000000000 65535 f \n"),
            }
        }
        table.push_str(&format!(
            "trailer\n<< /Size {size} /Root 1 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n"
        ));
        self.bytes.extend_from_slice(table.as_bytes());
        self.bytes
    }
}

/// The parts of a TrueType font the writer reads.
struct Font<'a> {
    data: &'a [u8],
    tables: BTreeMap<[u8; 4], (usize, usize)>,
    units_per_em: u16,
    long_loca: bool,
    glyphs: u16,
    metrics: u16,
}

fn u16_at(data: &[u8], at: usize) -> u16 {
    data.get(at..at + 2)
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
}

fn i16_at(data: &[u8], at: usize) -> i16 {
    u16_at(data, at) as i16
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    data.get(at..at + 4)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

impl<'a> Font<'a> {
    fn parse(data: &'a [u8]) -> Font<'a> {
        let count = usize::from(u16_at(data, 4));
        let mut tables = BTreeMap::new();
        for i in 0..count {
            let at = 12 + 16 * i;
            let Some(tag) = data.get(at..at + 4) else {
                break;
            };
            let tag = [tag[0], tag[1], tag[2], tag[3]];
            let offset = u32_at(data, at + 8) as usize;
            let length = u32_at(data, at + 12) as usize;
            if offset + length <= data.len() {
                tables.insert(tag, (offset, length));
            }
        }
        let mut font = Font {
            data,
            tables,
            units_per_em: 2048,
            long_loca: false,
            glyphs: 0,
            metrics: 0,
        };
        if let Some(head) = font.table(b"head") {
            font.units_per_em = u16_at(head, 18);
            font.long_loca = i16_at(head, 50) == 1;
        }
        font.glyphs = font.table(b"maxp").map_or(0, |m| u16_at(m, 4));
        font.metrics = font.table(b"hhea").map_or(0, |h| u16_at(h, 34));
        font
    }

    fn table(&self, tag: &[u8; 4]) -> Option<&'a [u8]> {
        let (offset, length) = *self.tables.get(tag)?;
        self.data.get(offset..offset + length)
    }

    /// The glyph of `c` (0, the missing-glyph box, when the font has none).
    fn glyph(&self, c: char) -> u16 {
        let Some(cmap) = self.table(b"cmap") else {
            return 0;
        };
        let code = u32::from(c);
        let subtables = usize::from(u16_at(cmap, 2));
        let mut format4 = None;
        for i in 0..subtables {
            let at = 4 + 8 * i;
            let (platform, encoding) = (u16_at(cmap, at), u16_at(cmap, at + 2));
            let offset = u32_at(cmap, at + 4) as usize;
            match (platform, encoding, u16_at(cmap, offset)) {
                (3, 10, 12) | (0, 4, 12) => return format12(cmap, offset, code),
                (3, 1, 4) | (0, 3, 4) => format4 = Some(offset),
                _ => {}
            }
        }
        match (format4, u16::try_from(code)) {
            (Some(offset), Ok(code)) => format4_glyph(cmap, offset, code),
            _ => 0,
        }
    }

    fn advance(&self, glyph: u16) -> u16 {
        let Some(hmtx) = self.table(b"hmtx") else {
            return 0;
        };
        let index = glyph.min(self.metrics.saturating_sub(1));
        u16_at(hmtx, 4 * usize::from(index))
    }

    fn scale(&self, units: i32) -> i32 {
        units * 1000 / i32::from(self.units_per_em.max(1))
    }

    fn advance_1000(&self, glyph: u16) -> i32 {
        self.scale(i32::from(self.advance(glyph)))
    }

    fn bbox_1000(&self) -> (i32, i32, i32, i32) {
        let head = self.table(b"head").unwrap_or_default();
        (
            self.scale(i32::from(i16_at(head, 36))),
            self.scale(i32::from(i16_at(head, 38))),
            self.scale(i32::from(i16_at(head, 40))),
            self.scale(i32::from(i16_at(head, 42))),
        )
    }

    fn ascent_1000(&self) -> i32 {
        self.scale(i32::from(self.table(b"hhea").map_or(0, |h| i16_at(h, 4))))
    }

    fn descent_1000(&self) -> i32 {
        self.scale(i32::from(self.table(b"hhea").map_or(0, |h| i16_at(h, 6))))
    }

    /// Where glyph `g`'s outline is in `glyf`.
    fn outline(&self, g: u16) -> (usize, usize) {
        let Some(loca) = self.table(b"loca") else {
            return (0, 0);
        };
        let i = usize::from(g);
        if self.long_loca {
            (
                u32_at(loca, 4 * i) as usize,
                u32_at(loca, 4 * i + 4) as usize,
            )
        } else {
            (
                2 * usize::from(u16_at(loca, 2 * i)),
                2 * usize::from(u16_at(loca, 2 * i + 2)),
            )
        }
    }

    /// The glyphs a composite glyph `g` is built of.
    fn components(&self, g: u16) -> Vec<u16> {
        let Some(glyf) = self.table(b"glyf") else {
            return Vec::new();
        };
        let (start, end) = self.outline(g);
        let Some(outline) = glyf.get(start..end) else {
            return Vec::new();
        };
        if outline.len() < 10 || i16_at(outline, 0) >= 0 {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut at = 10;
        loop {
            let flags = u16_at(outline, at);
            out.push(u16_at(outline, at + 2));
            at += 4;
            at += if flags & 0x0001 != 0 { 4 } else { 2 };
            at += if flags & 0x0008 != 0 {
                2
            } else if flags & 0x0040 != 0 {
                4
            } else if flags & 0x0080 != 0 {
                8
            } else {
                0
            };
            if flags & 0x0020 == 0 || at >= outline.len() {
                return out;
            }
        }
    }

    /// The font with only `keep` (and glyph 0, and their components) outlined: the other
    /// glyphs keep their ids with empty outlines. Tables a PDF reader does not need (layout,
    /// kerning, names of glyphs) are left out.
    fn subset(&self, keep: &BTreeSet<u16>) -> Vec<u8> {
        let mut keep = keep.clone();
        keep.insert(0);
        let mut queue: Vec<u16> = keep.iter().copied().collect();
        while let Some(g) = queue.pop() {
            for c in self.components(g) {
                if keep.insert(c) {
                    queue.push(c);
                }
            }
        }
        let glyf = self.table(b"glyf").unwrap_or_default();
        let mut new_glyf: Vec<u8> = Vec::new();
        let mut loca: Vec<u32> = Vec::with_capacity(usize::from(self.glyphs) + 1);
        for g in 0..self.glyphs {
            loca.push(new_glyf.len() as u32);
            if keep.contains(&g) {
                let (start, end) = self.outline(g);
                if let Some(bytes) = glyf.get(start..end) {
                    new_glyf.extend_from_slice(bytes);
                    while !new_glyf.len().is_multiple_of(4) {
                        new_glyf.push(0);
                    }
                }
            }
        }
        loca.push(new_glyf.len() as u32);
        let mut new_loca = Vec::with_capacity(loca.len() * 4);
        for offset in &loca {
            new_loca.extend_from_slice(&offset.to_be_bytes());
        }
        let mut head = self.table(b"head").unwrap_or_default().to_vec();
        if head.len() >= 52 {
            head[8..12].copy_from_slice(&[0, 0, 0, 0]);
            head[50..52].copy_from_slice(&1i16.to_be_bytes());
        }
        let mut tables: Vec<([u8; 4], Vec<u8>)> = Vec::new();
        for tag in [b"cvt ", b"fpgm", b"hhea", b"hmtx", b"maxp", b"prep"] {
            if let Some(t) = self.table(tag) {
                tables.push((*tag, t.to_vec()));
            }
        }
        tables.push((*b"glyf", new_glyf));
        tables.push((*b"head", head));
        tables.push((*b"loca", new_loca));
        tables.sort_by_key(|t| t.0);
        write_font(&tables)
    }
}

/// A TrueType file of `tables` (sorted by tag).
fn write_font(tables: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let count = tables.len() as u16;
    let mut power = 1u16;
    let mut log = 0u16;
    while power * 2 <= count {
        power *= 2;
        log += 1;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(&(power * 16).to_be_bytes());
    out.extend_from_slice(&log.to_be_bytes());
    out.extend_from_slice(&(count * 16 - power * 16).to_be_bytes());
    let mut offset = 12 + 16 * tables.len();
    let mut data = Vec::new();
    for (tag, bytes) in tables {
        let mut padded = bytes.clone();
        while !padded.len().is_multiple_of(4) {
            padded.push(0);
        }
        let checksum = padded
            .chunks(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .fold(0u32, u32::wrapping_add);
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum.to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        offset += padded.len();
        data.extend_from_slice(&padded);
    }
    out.extend_from_slice(&data);
    out
}

fn format4_glyph(cmap: &[u8], offset: usize, code: u16) -> u16 {
    let segments = usize::from(u16_at(cmap, offset + 6) / 2);
    let ends = offset + 14;
    let starts = ends + 2 * segments + 2;
    let deltas = starts + 2 * segments;
    let ranges = deltas + 2 * segments;
    for i in 0..segments {
        let end = u16_at(cmap, ends + 2 * i);
        if code > end {
            continue;
        }
        let start = u16_at(cmap, starts + 2 * i);
        if code < start {
            return 0;
        }
        let delta = u16_at(cmap, deltas + 2 * i);
        let range = u16_at(cmap, ranges + 2 * i);
        if range == 0 {
            return code.wrapping_add(delta);
        }
        let at = ranges + 2 * i + usize::from(range) + 2 * usize::from(code - start);
        let glyph = u16_at(cmap, at);
        return if glyph == 0 {
            0
        } else {
            glyph.wrapping_add(delta)
        };
    }
    0
}

fn format12(cmap: &[u8], offset: usize, code: u32) -> u16 {
    let groups = u32_at(cmap, offset + 12) as usize;
    for i in 0..groups {
        let at = offset + 16 + 12 * i;
        let (start, end, first) = (u32_at(cmap, at), u32_at(cmap, at + 4), u32_at(cmap, at + 8));
        if (start..=end).contains(&code) {
            return u16::try_from(first + (code - start)).unwrap_or(0);
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_maps_latin_greek_and_cyrillic() {
        let font = Font::parse(FONT);
        for c in ['A', 'é', 'ß', 'Ω', 'Ж'] {
            assert_ne!(font.glyph(c), 0, "{c}");
        }
        assert!(font.advance(font.glyph('W')) > font.advance(font.glyph('i')));
    }

    #[test]
    fn a_subset_keeps_glyph_ids_and_is_small() {
        let font = Font::parse(FONT);
        let keep: BTreeSet<u16> = "Müller".chars().map(|c| font.glyph(c)).collect();
        let subset = font.subset(&keep);
        assert!(subset.len() < FONT.len() / 5, "{}", subset.len());
        let small = Font::parse(&subset);
        assert_eq!(small.glyphs, font.glyphs);
        let g = font.glyph('M');
        assert!(small.outline(g).1 > small.outline(g).0);
        let dropped = font.glyph('Q');
        assert_eq!(small.outline(dropped).0, small.outline(dropped).1);
    }
}
