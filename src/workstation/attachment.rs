//! Attachments as a screen shows them: a picture scaled to the cells it is given, or the
//! first page of a text or PDF, made on the service's side so that nothing but the preview
//! leaves it (over SSH no file leaves the server).
//!
//! Pictures (PNG, JPEG, TIFF) are decoded with the `image` crate within limits (a hostile
//! file cannot ask for gigabytes) and scaled for the way the screen draws them
//! ([`Graphics`]): to fit `cols` × `2·rows` pixels for Unicode half blocks (two pixels per
//! cell with the upper half block `▀`, the top one as its foreground, the bottom one as its
//! background), which every terminal and SSH session shows; or to fit the cells' area in the
//! terminal's own pixels for kitty or sixel graphics (a local terminal that has them). Either
//! way the screen gets decoded pixels, never the file's bytes.

use crate::domain::attachment::{Kind, first_page, size_label};
use crate::store::Store;
use crate::{Error, Result};

/// What a screen draws of an attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentPreview {
    pub id: i64,
    /// From outside: shown through `domain::text`.
    pub name: String,
    pub bytes: u64,
    pub kind: Kind,
    /// The payment it came with, if any (a lockbox cheque).
    pub payment: Option<String>,
    pub body: PreviewBody,
}

/// The preview's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewBody {
    /// Pixels in rows, `width` × `height` (an even number: two per cell row).
    Picture {
        width: u16,
        height: u16,
        pixels: Vec<[u8; 3]>,
    },
    /// Pixels for a terminal's graphics (kitty, sixel): `width` × `height` RGB pixels in
    /// rows (3 bytes each), to be shown from the top-left cell over `cols` × `rows` cells.
    Bitmap {
        width: u16,
        height: u16,
        cols: u16,
        rows: u16,
        rgb: Vec<u8>,
    },
    /// The first page of a text or PDF.
    Text(Vec<String>),
    /// Why nothing can be shown (not a picture or text, or a picture that cannot be read).
    Unshown(String),
}

impl AttachmentPreview {
    /// One line for a title: `cheque-1001.png · PNG image · 12.4 KB · payment LBX-1001`.
    pub fn title(&self) -> String {
        let mut t = format!(
            "Attachment {}: {} · {} · {}",
            self.id,
            self.name,
            self.kind.label(),
            size_label(self.bytes)
        );
        if let Some(p) = &self.payment {
            t.push_str(&format!(" · payment {p}"));
        }
        t
    }
}

/// How the screen draws a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Graphics {
    /// In Unicode half blocks, two pixels a cell (every terminal, SSH sessions).
    #[default]
    HalfBlocks,
    /// With kitty graphics, in cells of `cell` (width, height) pixels.
    Kitty { cell: (u16, u16) },
    /// In sixels, in cells of `cell` (width, height) pixels: the height is a whole number of
    /// sixel bands (6 pixels), so that the last band does not reach the line below.
    Sixel { cell: (u16, u16) },
}

/// The largest picture decoded, in pixels a side, and the memory a decoder may take.
const MAX_SIDE: u32 = 20_000;
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
/// The largest bitmap made for a terminal's graphics, in pixels a side, and the largest cell
/// taken as measured (a terminal's report is from outside too).
const MAX_BITMAP_SIDE: u32 = 4096;
const MAX_CELL_SIDE: u16 = 128;

/// The preview of attachment `id` for `cols` × `rows` cells, drawn as `graphics` draws.
pub fn preview(
    store: &Store,
    id: i64,
    cols: u16,
    rows: u16,
    graphics: Graphics,
) -> Result<AttachmentPreview> {
    let info = store
        .activity()
        .attachment(id)?
        .ok_or_else(|| Error::input(format!("attachment {id} does not exist")))?;
    let bytes = store.activity().attachment_bytes(id)?.unwrap_or_default();
    let kind = Kind::of(&bytes);
    let body = render(&bytes, kind, cols, rows, graphics);
    Ok(AttachmentPreview {
        id,
        name: info.name,
        bytes: info.bytes,
        kind,
        payment: info.payment,
        body,
    })
}

/// What `bytes` of `kind` look like in `cols` × `rows` cells, drawn as `graphics` draws.
pub fn render(bytes: &[u8], kind: Kind, cols: u16, rows: u16, graphics: Graphics) -> PreviewBody {
    if kind.is_image() {
        let (cols, rows) = (cols.max(1), rows.max(1));
        let drawn = match graphics {
            Graphics::HalfBlocks => picture(bytes, u32::from(cols), u32::from(rows) * 2),
            Graphics::Kitty { cell } => bitmap(bytes, (cols, rows), cell, 1),
            Graphics::Sixel { cell } => bitmap(bytes, (cols, rows), cell, 6),
        };
        return match drawn {
            Ok(p) => p,
            Err(e) => PreviewBody::Unshown(format!("this picture cannot be read: {e}")),
        };
    }
    match kind {
        Kind::Text | Kind::Pdf => PreviewBody::Text(first_page(bytes, kind, usize::from(rows))),
        _ => PreviewBody::Unshown(format!(
            "not a picture, text or PDF: get it with `{}` to open it",
            crate::error::command("attachment get")
        )),
    }
}

/// Decodes a picture within the limits.
fn decode(bytes: &[u8]) -> std::result::Result<image::DynamicImage, String> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    reader.decode().map_err(|e| e.to_string())
}

/// The picture in `width` × `height` pixels for half blocks (an even number of rows).
fn picture(bytes: &[u8], width: u32, height: u32) -> std::result::Result<PreviewBody, String> {
    let img = decode(bytes)?;
    // Cells are about twice as tall as wide, two pixels each: pixels come out square.
    let small = img.thumbnail(width, height).to_rgb8();
    let (w, h) = (small.width(), small.height());
    let h2 = h + h % 2;
    let mut pixels = Vec::with_capacity((w * h2) as usize);
    for y in 0..h2 {
        for x in 0..w {
            pixels.push(if y < h {
                small.get_pixel(x, y).0
            } else {
                [0, 0, 0]
            });
        }
    }
    Ok(PreviewBody::Picture {
        width: u16::try_from(w).unwrap_or(u16::MAX),
        height: u16::try_from(h2).unwrap_or(u16::MAX),
        pixels,
    })
}

/// The picture scaled to fit `cells` (cols, rows) of `cell` pixels each (10 × 20 when the
/// terminal does not say), within [`MAX_BITMAP_SIDE`], its height a multiple of `band`:
/// shrunk by averaging, enlarged by repeating pixels (a small scan stays sharp).
fn bitmap(
    bytes: &[u8],
    (cols, rows): (u16, u16),
    cell: (u16, u16),
    band: u32,
) -> std::result::Result<PreviewBody, String> {
    let img = decode(bytes)?;
    let side = |v: u16, default: u16| {
        u32::from(if v == 0 {
            default
        } else {
            v.min(MAX_CELL_SIDE)
        })
    };
    let (cw, ch) = (side(cell.0, 10), side(cell.1, 20));
    let room_w = (u32::from(cols) * cw).min(MAX_BITMAP_SIDE);
    let room_h = (u32::from(rows) * ch).min(MAX_BITMAP_SIDE);
    let room_h = (room_h - room_h % band).max(band.min(room_h)).max(1);
    let (w, h) = (img.width().max(1), img.height().max(1));
    let scale = f64::min(
        f64::from(room_w) / f64::from(w),
        f64::from(room_h) / f64::from(h),
    );
    let fit = |v: u32, room: u32| ((f64::from(v) * scale).round() as u32).clamp(1, room);
    let (nw, nh) = (fit(w, room_w), fit(h, room_h));
    let scaled = if scale < 1.0 {
        img.thumbnail_exact(nw, nh)
    } else {
        img.resize_exact(nw, nh, image::imageops::FilterType::Nearest)
    };
    let rgb = scaled.to_rgb8();
    let (nw, nh) = (rgb.width(), rgb.height());
    let cells = |v: u32, c: u32| u16::try_from(v.div_ceil(c)).unwrap_or(u16::MAX);
    Ok(PreviewBody::Bitmap {
        width: u16::try_from(nw).unwrap_or(u16::MAX),
        height: u16::try_from(nh).unwrap_or(u16::MAX),
        cols: cells(nw, cw).min(cols),
        rows: cells(nh, ch).min(rows),
        rgb: rgb.into_raw(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_fits_the_cells_two_pixels_a_row() {
        let img = image::RgbImage::from_fn(200, 100, |x, _| {
            if x < 100 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let body = render(png.get_ref(), Kind::Png, 40, 10, Graphics::HalfBlocks);
        let PreviewBody::Picture {
            width,
            height,
            pixels,
        } = body
        else {
            panic!("{body:?}");
        };
        assert_eq!((width, height), (40, 20));
        assert_eq!(pixels.len(), 800);
        assert_eq!(pixels[0], [255, 0, 0]);
        assert_eq!(pixels[39], [0, 0, 255]);
        // Not a picture after all: said, not drawn.
        assert!(matches!(
            render(
                b"\x89PNG\r\n\x1a\nbroken",
                Kind::Png,
                10,
                5,
                Graphics::HalfBlocks
            ),
            PreviewBody::Unshown(_)
        ));
    }

    #[test]
    fn a_bitmap_fits_the_cells_in_the_terminals_pixels() {
        let png = |w: u32, h: u32| {
            let img = image::RgbImage::from_fn(w, h, |x, _| {
                if x < w / 2 {
                    image::Rgb([255, 0, 0])
                } else {
                    image::Rgb([0, 0, 255])
                }
            });
            let mut out = std::io::Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Png).unwrap();
            out.into_inner()
        };
        let bitmap = |bytes: &[u8], cols, rows, graphics| match render(
            bytes,
            Kind::Png,
            cols,
            rows,
            graphics,
        ) {
            PreviewBody::Bitmap {
                width,
                height,
                cols,
                rows,
                rgb,
            } => {
                assert_eq!(rgb.len(), usize::from(width) * usize::from(height) * 3);
                (width, height, cols, rows, rgb)
            }
            other => panic!("{other:?}"),
        };
        // 40 × 10 cells of 10 × 20 pixels: a 200 × 100 picture twice as large, its pixels
        // repeated (the colours stay the picture's own).
        let small = png(200, 100);
        let kitty = Graphics::Kitty { cell: (10, 20) };
        let (w, h, c, r, rgb) = bitmap(&small, 40, 10, kitty);
        assert_eq!((w, h, c, r), (400, 200, 40, 10));
        assert_eq!(&rgb[..3], &[255, 0, 0]);
        assert_eq!(&rgb[rgb.len() - 3..], &[0, 0, 255]);
        // Sixel: whole bands of 6 pixels, 198 of the 200 rows.
        let (w, h, c, r, _) = bitmap(&small, 40, 10, Graphics::Sixel { cell: (10, 20) });
        assert_eq!((w, h, c, r), (396, 198, 40, 10));
        // An unmeasured cell is taken as 10 × 20; a large picture is shrunk.
        let (w, h, c, r, _) = bitmap(&png(2000, 1000), 20, 4, Graphics::Kitty { cell: (0, 0) });
        assert_eq!((w, h, c, r), (160, 80, 16, 4));
        // A terminal's absurd cell size is bounded, and so is the bitmap.
        let (w, h, _, _, _) = bitmap(
            &small,
            300,
            100,
            Graphics::Kitty {
                cell: (60000, 60000),
            },
        );
        assert_eq!((w, h), (4096, 2048));
    }
}
