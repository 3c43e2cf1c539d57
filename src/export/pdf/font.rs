//! TrueType fonts for the PDF writer: reading the few tables a PDF needs (character map,
//! advance widths, metrics) and writing a subset that holds only the glyphs a document uses.
//!
//! The subset keeps every glyph id (so the PDF can use them as CIDs with an identity map):
//! the glyphs not used are left empty in `glyf`, which is where a font's size is. Composite
//! glyphs (an accented letter built from a letter and an accent) keep their components.
//! The tables a PDF reader needs of an embedded TrueType font are kept (`head`, `hhea`,
//! `maxp`, `hmtx`, `loca`, `glyf`, and the hinting tables `cvt `, `fpgm`, `prep`); the
//! character map is not, since the PDF maps codes to glyphs itself.
//!
//! Font files are trusted (they are compiled in), but every read is still bounds-checked: a
//! malformed table gives [`FontError`], never a panic.

use std::collections::{BTreeMap, BTreeSet};

/// A font file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontError(pub String);

impl std::fmt::Display for FontError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "font: {}", self.0)
    }
}

type FontResult<T> = Result<T, FontError>;

fn bad(what: &str) -> FontError {
    FontError(what.to_string())
}

fn u16_at(data: &[u8], at: usize) -> FontResult<u16> {
    data.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| bad("truncated table"))
}

fn i16_at(data: &[u8], at: usize) -> FontResult<i16> {
    u16_at(data, at).map(|v| v as i16)
}

fn u32_at(data: &[u8], at: usize) -> FontResult<u32> {
    data.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| bad("truncated table"))
}

/// Where a character map subtable is and how it is laid out.
#[derive(Debug, Clone, Copy)]
enum Cmap {
    /// Format 4 (the Basic Multilingual Plane), at this offset in the file.
    Segments(usize),
    /// Format 12 (every plane), at this offset in the file.
    Groups(usize),
}

/// A TrueType font read from its file.
#[derive(Debug, Clone)]
pub struct Font {
    /// The PostScript name written into the PDF (without a subset tag).
    pub name: &'static str,
    data: &'static [u8],
    tables: BTreeMap<[u8; 4], (usize, usize)>,
    cmap: Cmap,
    /// Font units per em.
    pub units_per_em: u16,
    num_glyphs: u16,
    long_loca: bool,
    advances: Vec<u16>,
    /// Font bounding box in font units.
    pub bbox: [i16; 4],
    pub ascent: i16,
    pub descent: i16,
    pub cap_height: i16,
}

impl Font {
    /// Reads a font file.
    pub fn parse(name: &'static str, data: &'static [u8]) -> FontResult<Font> {
        let count = u16_at(data, 4)? as usize;
        let mut tables = BTreeMap::new();
        for i in 0..count {
            let rec = 12 + 16 * i;
            let tag: [u8; 4] = data
                .get(rec..rec + 4)
                .and_then(|t| t.try_into().ok())
                .ok_or_else(|| bad("truncated table directory"))?;
            let offset = u32_at(data, rec + 8)? as usize;
            let length = u32_at(data, rec + 12)? as usize;
            if offset
                .checked_add(length)
                .is_none_or(|end| end > data.len())
            {
                return Err(bad("table outside the file"));
            }
            tables.insert(tag, (offset, length));
        }
        let table = |tag: &[u8; 4]| {
            tables
                .get(tag)
                .map(|&(o, l)| &data[o..o + l])
                .ok_or_else(|| FontError(format!("no {} table", String::from_utf8_lossy(tag))))
        };
        let head = table(b"head")?;
        let hhea = table(b"hhea")?;
        let maxp = table(b"maxp")?;
        let hmtx = table(b"hmtx")?;
        table(b"loca")?;
        table(b"glyf")?;
        let units_per_em = u16_at(head, 18)?;
        if units_per_em == 0 {
            return Err(bad("zero units per em"));
        }
        let bbox = [
            i16_at(head, 36)?,
            i16_at(head, 38)?,
            i16_at(head, 40)?,
            i16_at(head, 42)?,
        ];
        let long_loca = i16_at(head, 50)? == 1;
        let ascent = i16_at(hhea, 4)?;
        let descent = i16_at(hhea, 6)?;
        let metrics = u16_at(hhea, 34)? as usize;
        let num_glyphs = u16_at(maxp, 4)?;
        if metrics == 0 || metrics > num_glyphs as usize {
            return Err(bad("bad number of horizontal metrics"));
        }
        let mut advances = Vec::with_capacity(num_glyphs as usize);
        for g in 0..metrics {
            advances.push(u16_at(hmtx, 4 * g)?);
        }
        let last = advances[metrics - 1];
        advances.resize(num_glyphs as usize, last);
        let cap_height = match table(b"OS/2") {
            Ok(os2) if u16_at(os2, 0)? >= 2 => i16_at(os2, 88)?,
            _ => ascent,
        };
        let cmap = Self::find_cmap(data, tables.get(b"cmap").copied())?;
        Ok(Font {
            name,
            data,
            tables,
            cmap,
            units_per_em,
            num_glyphs,
            long_loca,
            advances,
            bbox,
            ascent,
            descent,
            cap_height,
        })
    }

    /// The Unicode character map: format 12 when there is one (every plane), else format 4.
    fn find_cmap(data: &[u8], cmap: Option<(usize, usize)>) -> FontResult<Cmap> {
        let (start, _) = cmap.ok_or_else(|| bad("no cmap table"))?;
        let count = u16_at(data, start + 2)? as usize;
        let mut segments = None;
        for i in 0..count {
            let rec = start + 4 + 8 * i;
            let platform = u16_at(data, rec)?;
            let encoding = u16_at(data, rec + 2)?;
            let at = start + u32_at(data, rec + 4)? as usize;
            let unicode = platform == 0 || (platform == 3 && (encoding == 1 || encoding == 10));
            if !unicode {
                continue;
            }
            match u16_at(data, at)? {
                12 => return Ok(Cmap::Groups(at)),
                4 => segments = segments.or(Some(Cmap::Segments(at))),
                _ => {}
            }
        }
        segments.ok_or_else(|| bad("no Unicode character map"))
    }

    /// The glyph of a character, `None` when the font has none.
    pub fn glyph(&self, c: char) -> Option<u16> {
        let code = c as u32;
        let gid = match self.cmap {
            Cmap::Segments(at) => self.segment_glyph(at, code).ok()?,
            Cmap::Groups(at) => self.group_glyph(at, code).ok()?,
        };
        (gid != 0 && gid < self.num_glyphs).then_some(gid)
    }

    fn segment_glyph(&self, at: usize, code: u32) -> FontResult<u16> {
        if code > 0xFFFF {
            return Ok(0);
        }
        let code = code as u16;
        let d = self.data;
        let segs = (u16_at(d, at + 6)? / 2) as usize;
        let ends = at + 14;
        let starts = ends + 2 * segs + 2;
        let deltas = starts + 2 * segs;
        let ranges = deltas + 2 * segs;
        // The first segment whose end is at or after the code (ends are sorted).
        let (mut lo, mut hi) = (0, segs);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if u16_at(d, ends + 2 * mid)? < code {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == segs || u16_at(d, starts + 2 * lo)? > code {
            return Ok(0);
        }
        let start = u16_at(d, starts + 2 * lo)?;
        let delta = u16_at(d, deltas + 2 * lo)?;
        let range = u16_at(d, ranges + 2 * lo)? as usize;
        if range == 0 {
            return Ok(code.wrapping_add(delta));
        }
        let glyph_at = ranges + 2 * lo + range + 2 * (code - start) as usize;
        let gid = u16_at(d, glyph_at)?;
        Ok(if gid == 0 { 0 } else { gid.wrapping_add(delta) })
    }

    fn group_glyph(&self, at: usize, code: u32) -> FontResult<u16> {
        let d = self.data;
        let groups = u32_at(d, at + 12)? as usize;
        let (mut lo, mut hi) = (0, groups);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let g = at + 16 + 12 * mid;
            if u32_at(d, g + 4)? < code {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == groups {
            return Ok(0);
        }
        let g = at + 16 + 12 * lo;
        let start = u32_at(d, g)?;
        if start > code {
            return Ok(0);
        }
        Ok(u16::try_from(u32_at(d, g + 8)? + (code - start)).unwrap_or(0))
    }

    /// The advance width of a glyph in font units.
    pub fn advance(&self, gid: u16) -> u16 {
        self.advances.get(gid as usize).copied().unwrap_or(0)
    }

    /// The advance of a glyph in thousandths of the font size (PDF glyph space).
    pub fn width_1000(&self, gid: u16) -> f64 {
        f64::from(self.advance(gid)) * 1000.0 / f64::from(self.units_per_em)
    }

    fn table(&self, tag: &[u8; 4]) -> Option<&'static [u8]> {
        self.tables.get(tag).map(|&(o, l)| &self.data[o..o + l])
    }

    /// The bytes of a glyph's outline (empty for a glyph without contours).
    fn glyph_data(&self, gid: u16) -> FontResult<&'static [u8]> {
        let loca = self.table(b"loca").ok_or_else(|| bad("no loca table"))?;
        let glyf = self.table(b"glyf").ok_or_else(|| bad("no glyf table"))?;
        let g = gid as usize;
        let (start, end) = if self.long_loca {
            (
                u32_at(loca, 4 * g)? as usize,
                u32_at(loca, 4 * g + 4)? as usize,
            )
        } else {
            (
                2 * u16_at(loca, 2 * g)? as usize,
                2 * u16_at(loca, 2 * g + 2)? as usize,
            )
        };
        if start > end || end > glyf.len() {
            return Err(bad("glyph outside the glyf table"));
        }
        Ok(&glyf[start..end])
    }

    /// The glyphs a composite glyph is built from (none for a simple glyph).
    fn components(&self, gid: u16) -> FontResult<Vec<u16>> {
        const WORDS: u16 = 0x0001;
        const SCALE: u16 = 0x0008;
        const MORE: u16 = 0x0020;
        const XY_SCALE: u16 = 0x0040;
        const TWO_BY_TWO: u16 = 0x0080;
        let g = self.glyph_data(gid)?;
        if g.is_empty() || i16_at(g, 0)? >= 0 {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let mut at = 10;
        loop {
            let flags = u16_at(g, at)?;
            out.push(u16_at(g, at + 2)?);
            at += 4 + if flags & WORDS != 0 { 4 } else { 2 };
            at += if flags & SCALE != 0 {
                2
            } else if flags & XY_SCALE != 0 {
                4
            } else if flags & TWO_BY_TWO != 0 {
                8
            } else {
                0
            };
            if flags & MORE == 0 {
                return Ok(out);
            }
        }
    }

    /// A font file holding only the glyphs `used` (and `.notdef`), with every glyph id kept.
    pub fn subset(&self, used: &BTreeSet<u16>) -> FontResult<Vec<u8>> {
        // The glyphs used and, for composites, their components (to any depth).
        let mut keep: BTreeSet<u16> = BTreeSet::new();
        let mut todo: Vec<u16> = std::iter::once(0).chain(used.iter().copied()).collect();
        while let Some(g) = todo.pop() {
            if g < self.num_glyphs && keep.insert(g) {
                todo.extend(self.components(g)?);
            }
        }
        let mut glyf = Vec::new();
        let mut loca = Vec::with_capacity(4 * (self.num_glyphs as usize + 1));
        for g in 0..self.num_glyphs {
            loca.extend_from_slice(&(glyf.len() as u32).to_be_bytes());
            if keep.contains(&g) {
                glyf.extend_from_slice(self.glyph_data(g)?);
                while glyf.len() % 4 != 0 {
                    glyf.push(0);
                }
            }
        }
        loca.extend_from_slice(&(glyf.len() as u32).to_be_bytes());
        let mut head = self
            .table(b"head")
            .ok_or_else(|| bad("no head table"))?
            .to_vec();
        if head.len() < 54 {
            return Err(bad("short head table"));
        }
        head[8..12].copy_from_slice(&[0; 4]); // checkSumAdjustment, set below
        head[50..52].copy_from_slice(&1i16.to_be_bytes()); // long offsets in loca
        let mut tables: Vec<([u8; 4], Vec<u8>)> = vec![(*b"head", head), (*b"loca", loca)];
        tables.push((*b"glyf", glyf));
        for tag in [b"cvt ", b"fpgm", b"hhea", b"hmtx", b"maxp", b"prep"] {
            if let Some(t) = self.table(tag) {
                tables.push((*tag, t.to_vec()));
            }
        }
        tables.sort_by_key(|t| t.0);
        Ok(write_font(tables))
    }
}

/// The checksum of a table: the sum of its big-endian 32-bit words, zero-padded.
fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// A font file from its tables (sorted by tag), with the directory and checksums.
fn write_font(tables: Vec<([u8; 4], Vec<u8>)>) -> Vec<u8> {
    let n = tables.len() as u16;
    let pow = 1u16 << (15 - n.leading_zeros().min(15));
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&(pow * 16).to_be_bytes());
    out.extend_from_slice(&(pow.trailing_zeros() as u16).to_be_bytes());
    out.extend_from_slice(&(n * 16 - pow * 16).to_be_bytes());
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, data) in &tables {
        if tag == b"head" {
            head_at = Some(offset);
        }
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        offset += data.len().div_ceil(4) * 4;
    }
    for (_, data) in &tables {
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(4) * 4, 0);
    }
    if let Some(at) = head_at {
        let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at + 8..at + 12].copy_from_slice(&adjust.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dejavu() -> Font {
        Font::parse("DejaVuSans", super::super::DEJAVU_SANS).unwrap()
    }

    #[test]
    fn maps_characters_of_both_fonts() {
        let dejavu = dejavu();
        let droid = Font::parse("DroidSansFallback", super::super::DROID_FALLBACK).unwrap();
        for c in ['A', 'é', 'ß', 'Ж', 'Ω', 'ł'] {
            assert!(dejavu.glyph(c).is_some(), "{c} in DejaVu Sans");
        }
        for c in ['東', '京', 'テ', '서', '울', '华'] {
            assert!(dejavu.glyph(c).is_none(), "{c} not in DejaVu Sans");
            assert!(droid.glyph(c).is_some(), "{c} in Droid Sans Fallback");
        }
        assert!(dejavu.glyph('\u{10FFFD}').is_none());
        // Different letters, different glyphs; the widths are the font's.
        assert_ne!(dejavu.glyph('A'), dejavu.glyph('B'));
        let m = dejavu.glyph('m').unwrap();
        let i = dejavu.glyph('i').unwrap();
        assert!(dejavu.width_1000(m) > 2.0 * dejavu.width_1000(i));
    }

    #[test]
    fn a_subset_keeps_the_glyphs_used_and_their_components() {
        let font = dejavu();
        let a = font.glyph('a').unwrap();
        let e_acute = font.glyph('é').unwrap();
        let sub = font.subset(&BTreeSet::from([a, e_acute])).unwrap();
        assert!(sub.len() < 120_000, "subset of {} bytes", sub.len());
        let leaked: &'static [u8] = Box::leak(sub.into_boxed_slice());
        // The subset is a font again: same glyph ids, the used outlines present.
        let tables = {
            let n = u16_at(leaked, 4).unwrap() as usize;
            (0..n)
                .map(|i| leaked[12 + 16 * i..16 + 16 * i].to_vec())
                .collect::<Vec<_>>()
        };
        assert!(tables.iter().any(|t| t == b"glyf"));
        assert!(!tables.iter().any(|t| t == b"cmap"));
        let mut copy = font.clone();
        copy.data = leaked;
        copy.tables = BTreeMap::new();
        for i in 0..tables.len() {
            let rec = 12 + 16 * i;
            let tag: [u8; 4] = leaked[rec..rec + 4].try_into().unwrap();
            let o = u32_at(leaked, rec + 8).unwrap() as usize;
            let l = u32_at(leaked, rec + 12).unwrap() as usize;
            copy.tables.insert(tag, (o, l));
        }
        copy.long_loca = true;
        assert_eq!(copy.glyph_data(a).unwrap(), font.glyph_data(a).unwrap());
        assert_eq!(
            copy.glyph_data(e_acute).unwrap(),
            font.glyph_data(e_acute).unwrap()
        );
        let components = font.components(e_acute).unwrap();
        assert!(!components.is_empty(), "é is built from e and an accent");
        for c in components {
            assert!(
                !copy.glyph_data(c).unwrap().is_empty(),
                "component {c} kept"
            );
        }
        let b = font.glyph('b').unwrap();
        assert!(copy.glyph_data(b).unwrap().is_empty(), "b is not used");
        // The whole file sums to the magic number once the adjustment is in.
        assert_eq!(checksum(leaked), 0xB1B0_AFBA);
    }
}
