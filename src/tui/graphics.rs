//! Pictures in the local terminal's own graphics: the kitty graphics protocol or sixels where
//! the terminal has them, Unicode half blocks ([`super::view::attachment`]) everywhere else.
//!
//! Which one is chosen by `graphics` in the config or `OWED_GRAPHICS`
//! ([`GraphicsChoice`]). `auto` asks the terminal, once per run and only when a picture is
//! first opened (the first frame never waits): the kitty query ([`QUERY`]) followed by the
//! primary device attributes (DA1) query, whose answer every terminal gives and gives last.
//! Kitty when the kitty query was answered `OK`; else sixel when the DA1 answer lists
//! attribute 4; else half blocks, as for a terminal that answers nothing within
//! [`QUERY_TIMEOUT`]. Under tmux or screen `auto` means half blocks (passing graphics through
//! a multiplexer is unreliable); over `owed serve` pictures are always in half blocks.
//!
//! The pixels come from outside (the service decodes the file and scales it): only what the
//! encoders here make of them reaches the terminal, a PNG of our own for kitty or sixel bands
//! of a fixed palette, never the file's bytes.
//!
//! [`GraphicsChoice`]: crate::config::GraphicsChoice

use std::io::Write;
use std::time::Duration;

/// How pictures are drawn in a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// Unicode half blocks in the cells.
    #[default]
    HalfBlocks,
    /// The kitty graphics protocol.
    Kitty,
    /// Sixel graphics.
    Sixel,
}

/// The question `auto` asks: does the terminal take a kitty image (a 1 × 1 RGB query, id
/// 31, that it answers and does not keep), then its primary device attributes.
pub const QUERY: &[u8] = b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\\x1b[c";

/// How long `auto` waits for the answer.
pub const QUERY_TIMEOUT: Duration = Duration::from_millis(300);

/// The id of the image the workstation shows with kitty graphics (one at a time).
pub const IMAGE_ID: u32 = 3170;

/// Whether the terminal is a multiplexer's (tmux, screen), from `TERM` and whether `TMUX` or
/// `STY` is set.
pub fn multiplexed(term: Option<&str>, tmux: bool, sty: bool) -> bool {
    let term = term.unwrap_or("").trim().to_ascii_lowercase();
    tmux || sty || term.starts_with("screen") || term.starts_with("tmux")
}

/// What the terminal's answer to [`QUERY`] says, once it is whole (its DA1 answer has come):
/// `None` while it is not.
pub fn answered(reply: &[u8]) -> Option<Protocol> {
    let attributes = da1(reply)?;
    Some(if kitty_ok(reply) {
        Protocol::Kitty
    } else if attributes.contains(&4) {
        Protocol::Sixel
    } else {
        Protocol::HalfBlocks
    })
}

/// Whether `reply` holds kitty's `OK` to the query: `ESC _ G i=31 ; OK ESC \`.
fn kitty_ok(reply: &[u8]) -> bool {
    let mut rest = reply;
    while let Some(start) = find(rest, b"\x1b_G") {
        let body = &rest[start + 3..];
        let Some(end) = find(body, b"\x1b\\") else {
            return false;
        };
        let body = &body[..end];
        if let Some(semi) = body.iter().position(|&b| b == b';') {
            let keys = &body[..semi];
            if keys.split(|&b| b == b',').any(|k| k == b"i=31") && &body[semi + 1..] == b"OK" {
                return true;
            }
        }
        rest = &body[end..];
    }
    false
}

/// The attributes of the first whole DA1 answer in `reply` (`ESC [ ? 62 ; 4 ; 22 c`).
fn da1(reply: &[u8]) -> Option<Vec<u32>> {
    let mut rest = reply;
    while let Some(start) = find(rest, b"\x1b[?") {
        let body = &rest[start + 3..];
        let end = body
            .iter()
            .position(|b| !(b.is_ascii_digit() || *b == b';'))?;
        if body[end] == b'c' {
            let attributes = body[..end]
                .split(|&b| b == b';')
                .filter_map(|n| std::str::from_utf8(n).ok()?.parse().ok())
                .collect();
            return Some(attributes);
        }
        rest = &body[end..];
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Asks the terminal on `out` which graphics it shows and reads its answer from the
/// controlling terminal, raw, for at most `timeout`. The caller makes sure nothing else reads
/// the terminal meanwhile (the input reader is paused).
#[cfg(unix)]
pub fn ask(out: &mut impl Write, timeout: Duration) -> Protocol {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    let Ok(tty) = std::fs::File::open("/dev/tty") else {
        return Protocol::HalfBlocks;
    };
    if out.write_all(QUERY).and_then(|()| out.flush()).is_err() {
        return Protocol::HalfBlocks;
    }
    let start = std::time::Instant::now();
    let mut got = Vec::new();
    loop {
        if let Some(p) = answered(&got) {
            return p;
        }
        // An answer that has begun is waited for three times as long: what came after the
        // wait would reach the input reader as keys.
        let wait = if got.contains(&0x1b) {
            timeout * 3
        } else {
            timeout
        };
        let left = (start + wait).saturating_duration_since(std::time::Instant::now());
        if left.is_zero() || got.len() > 64 * 1024 {
            break;
        }
        let mut fd = libc::pollfd {
            fd: tty.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1);
        // SAFETY: one valid pollfd, for the length given.
        let n = unsafe { libc::poll(&mut fd, 1, ms) };
        if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        if n <= 0 {
            break;
        }
        let mut buf = [0u8; 1024];
        match (&tty).read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => got.extend_from_slice(&buf[..k]),
        }
    }
    // No DA1 answer in time: kitty only if it said so.
    if kitty_ok(&got) {
        Protocol::Kitty
    } else {
        Protocol::HalfBlocks
    }
}

/// Without a Unix terminal to read, pictures are drawn in half blocks.
#[cfg(not(unix))]
pub fn ask(_out: &mut impl Write, _timeout: Duration) -> Protocol {
    Protocol::HalfBlocks
}

/// `width` × `height` RGB pixels as a PNG (quickly compressed: it goes to a local terminal).
pub fn png(width: u16, height: u16, rgb: &[u8]) -> Vec<u8> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let mut out = Vec::new();
    let encoder = PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub);
    let n = usize::from(width) * usize::from(height) * 3;
    let mut pixels = rgb[..n.min(rgb.len())].to_vec();
    pixels.resize(n, 0);
    if encoder
        .write_image(
            &pixels,
            u32::from(width),
            u32::from(height),
            image::ExtendedColorType::Rgb8,
        )
        .is_err()
    {
        return Vec::new();
    }
    out
}

/// The kitty escapes that show `png` as image `id` from the cursor over `cols` × `rows`
/// cells: transmitted directly (`t=d`) in base64 chunks of at most 4096 bytes (`m=1` on each
/// but the last), the cursor left where it is (`C=1`), no answer asked (`q=2`).
pub fn kitty(id: u32, png: &[u8], cols: u16, rows: u16) -> Vec<u8> {
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode(png);
    let chunks: Vec<&[u8]> = data.as_bytes().chunks(4096).collect();
    let mut out = Vec::with_capacity(data.len() + chunks.len() * 16 + 64);
    for (i, chunk) in chunks.iter().enumerate() {
        let more = u8::from(i + 1 < chunks.len());
        if i == 0 {
            let _ = write!(
                out,
                "\x1b_Ga=T,f=100,t=d,i={id},c={cols},r={rows},C=1,q=2,m={more};"
            );
        } else {
            let _ = write!(out, "\x1b_Gm={more},q=2;");
        }
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\x1b\\");
    }
    if chunks.is_empty() {
        let _ = write!(
            out,
            "\x1b_Ga=T,f=100,t=d,i={id},c={cols},r={rows},C=1,q=2,m=0;\x1b\\"
        );
    }
    out
}

/// The kitty escape that deletes image `id`, its placements and its data.
pub fn kitty_delete(id: u32) -> Vec<u8> {
    format!("\x1b_Ga=d,d=I,i={id},q=2\x1b\\").into_bytes()
}

/// `width` × `height` RGB pixels as sixels: a DCS with square pixels (`"1;1;W;H`), the
/// palette's colours the picture uses (`#n;2;r;g;b`, in percent), then bands of six rows, one
/// run-length encoded line per colour (`!count` before a sixel repeated four times or more).
/// Colours are the nearest of a fixed palette: the 6 × 6 × 6 cube and 24 greys.
pub fn sixel(width: u16, height: u16, rgb: &[u8]) -> Vec<u8> {
    let (w, h) = (usize::from(width), usize::from(height));
    let mut index: Vec<u8> = rgb
        .chunks_exact(3)
        .take(w * h)
        .map(|p| palette_index([p[0], p[1], p[2]]))
        .collect();
    index.resize(w * h, 0);
    let mut out = Vec::with_capacity(w * h / 2 + 1024);
    let _ = write!(out, "\x1bP0;1;0q\"1;1;{w};{h}");
    let mut used = [false; 256];
    for &i in &index {
        used[usize::from(i)] = true;
    }
    for (i, _) in used.iter().enumerate().filter(|(_, u)| **u) {
        let [r, g, b] = palette_rgb(i as u8);
        let _ = write!(out, "#{i};2;{};{};{}", percent(r), percent(g), percent(b));
    }
    let mut lines: Vec<Vec<u8>> = vec![Vec::new(); 256];
    for top in (0..h).step_by(6) {
        let mut present = [false; 256];
        let mut colours: Vec<u8> = Vec::new();
        for dy in 0..6.min(h - top) {
            for x in 0..w {
                let c = index[(top + dy) * w + x];
                let line = &mut lines[usize::from(c)];
                if !present[usize::from(c)] {
                    present[usize::from(c)] = true;
                    colours.push(c);
                    line.clear();
                    line.resize(w, 0);
                }
                line[x] |= 1 << dy;
            }
        }
        colours.sort_unstable();
        for (k, c) in colours.iter().enumerate() {
            if k > 0 {
                out.push(b'$');
            }
            let _ = write!(out, "#{c}");
            runs(&mut out, &lines[usize::from(*c)]);
        }
        if top + 6 < h {
            out.push(b'-');
        }
    }
    out.extend_from_slice(b"\x1b\\");
    out
}

/// One colour's line of a band, run-length encoded, without its trailing empty sixels.
fn runs(out: &mut Vec<u8>, bits: &[u8]) {
    let end = bits.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let mut i = 0;
    while i < end {
        let b = bits[i];
        let n = bits[i..end].iter().take_while(|&&v| v == b).count();
        let sixel = 63 + b;
        if n >= 4 {
            let _ = write!(out, "!{n}");
            out.push(sixel);
        } else {
            out.extend(std::iter::repeat_n(sixel, n));
        }
        i += n;
    }
}

/// The levels of the palette's colour cube.
const CUBE: [u8; 6] = [0, 51, 102, 153, 204, 255];

/// The palette's colour `i`: 0–215 the cube (36·r + 6·g + b), 216–239 greys 8, 18, …, 238.
fn palette_rgb(i: u8) -> [u8; 3] {
    let i = usize::from(i);
    if i < 216 {
        [CUBE[i / 36], CUBE[i / 6 % 6], CUBE[i % 6]]
    } else {
        let v = (8 + 10 * (i - 216).min(23)) as u8;
        [v, v, v]
    }
}

/// The palette's colour nearest to `rgb`.
fn palette_index([r, g, b]: [u8; 3]) -> u8 {
    let level = |v: u8| (u32::from(v) * 5 + 127) / 255;
    let cube = (36 * level(r) + 6 * level(g) + level(b)) as u8;
    let mean = (u32::from(r) + u32::from(g) + u32::from(b)) / 3;
    let grey = 216 + ((mean.saturating_sub(8) + 5) / 10).min(23) as u8;
    let distance = |i: u8| {
        let p = palette_rgb(i);
        [r, g, b]
            .iter()
            .zip(p)
            .map(|(a, b)| (i32::from(*a) - i32::from(b)).pow(2))
            .sum::<i32>()
    };
    if distance(grey) < distance(cube) {
        grey
    } else {
        cube
    }
}

/// A colour component in percent, as sixel colours are given.
fn percent(v: u8) -> u32 {
    (u32::from(v) * 100 + 127) / 255
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_says_kitty_then_sixel_then_half_blocks() {
        use Protocol::*;
        let kitty = b"\x1b_Gi=31;OK\x1b\\";
        assert_eq!(
            answered(&[kitty.as_slice(), b"\x1b[?62;22c"].concat()),
            Some(Kitty)
        );
        assert_eq!(answered(b"\x1b[?62;4;22c"), Some(Sixel));
        assert_eq!(answered(b"\x1b[?62;22c"), Some(HalfBlocks));
        // Attribute 14 is not 4; a refusal of the kitty query is not kitty.
        assert_eq!(answered(b"\x1b[?64;14c"), Some(HalfBlocks));
        let refused = b"\x1b_Gi=31;ENOTSUPPORTED:no\x1b\\\x1b[?62;4c";
        assert_eq!(answered(refused), Some(Sixel));
        // Not whole yet: the DA1 answer has not come (or only part of it).
        assert_eq!(answered(kitty), None);
        assert_eq!(answered(b"\x1b[?62;4"), None);
        assert_eq!(answered(b""), None);
        // Keys typed meanwhile do not confuse it.
        assert_eq!(answered(b"jk\x1b[A\x1b[?1;2c"), Some(HalfBlocks));
    }

    #[test]
    fn multiplexers_are_told_by_their_environment() {
        assert!(multiplexed(Some("xterm-256color"), true, false));
        assert!(multiplexed(Some("xterm"), false, true));
        assert!(multiplexed(Some("screen-256color"), false, false));
        assert!(multiplexed(Some("tmux-256color"), false, false));
        assert!(!multiplexed(Some("xterm-kitty"), false, false));
        assert!(!multiplexed(None, false, false));
    }

    #[test]
    fn kitty_transmits_base64_chunks_of_4096() {
        assert_eq!(
            kitty(7, b"abc", 2, 1),
            b"\x1b_Ga=T,f=100,t=d,i=7,c=2,r=1,C=1,q=2,m=0;YWJj\x1b\\"
        );
        // 3,075 bytes are 4,100 in base64: a chunk of 4,096 then one of 4.
        let long = kitty(9, &[0u8; 3075], 3, 4);
        let text = String::from_utf8(long).unwrap();
        let head = "\x1b_Ga=T,f=100,t=d,i=9,c=3,r=4,C=1,q=2,m=1;";
        assert!(text.starts_with(head), "{text:.80}");
        let rest = &text[head.len()..];
        assert_eq!(&rest[..4096], "A".repeat(4096));
        assert_eq!(&rest[4096..], "\x1b\\\x1b_Gm=0,q=2;AAAA\x1b\\");
        assert_eq!(kitty_delete(9), b"\x1b_Ga=d,d=I,i=9,q=2\x1b\\");
    }

    #[test]
    fn sixels_are_bands_of_palette_colours_run_length_encoded() {
        // Red then black, one row: black (0) fills the second sixel, red (180) the first.
        assert_eq!(
            String::from_utf8(sixel(2, 1, &[255, 0, 0, 0, 0, 0])).unwrap(),
            "\x1bP0;1;0q\"1;1;2;1#0;2;0;0;0#180;2;100;0;0#0?@$#180@\x1b\\"
        );
        // Five by seven white: a full band of five `~` (all six bits), then a band of one
        // row (`@`, the top bit), each as a run.
        let white = [255u8; 5 * 7 * 3];
        assert_eq!(
            String::from_utf8(sixel(5, 7, &white)).unwrap(),
            "\x1bP0;1;0q\"1;1;5;7#215;2;100;100;100#215!5~-#215!5@\x1b\\"
        );
        // A mid grey is the grey ramp's 128 (50 %), not the cube's 153; runs of three are
        // written out, and rows of a band combine their bits (rows 0 and 2: 1 + 4 = `D`).
        let mut px = Vec::new();
        for y in 0..3 {
            for _ in 0..3 {
                px.extend(if y == 1 { [0, 0, 0] } else { [128, 128, 128] });
            }
        }
        assert_eq!(
            String::from_utf8(sixel(3, 3, &px)).unwrap(),
            "\x1bP0;1;0q\"1;1;3;3#0;2;0;0;0#228;2;50;50;50#0AAA$#228DDD\x1b\\"
        );
    }

    #[test]
    fn the_palette_is_a_cube_and_greys() {
        assert_eq!(palette_rgb(0), [0, 0, 0]);
        assert_eq!(palette_rgb(215), [255, 255, 255]);
        assert_eq!(palette_rgb(216), [8, 8, 8]);
        assert_eq!(palette_rgb(239), [238, 238, 238]);
        assert_eq!(palette_index([200, 30, 30]), 36 * 4 + 6 + 1);
        assert_eq!(palette_index([30, 30, 200]), 36 + 6 + 4);
        assert_eq!(palette_index([12, 12, 12]), 216);
        for i in 0..240u8 {
            assert_eq!(palette_index(palette_rgb(i)), i, "{i}");
        }
    }

    #[test]
    fn a_png_of_our_own_holds_the_pixels() {
        let rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9];
        let png = png(2, 2, &rgb);
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), (2, 2));
        assert_eq!(img.into_raw(), rgb);
    }
}
