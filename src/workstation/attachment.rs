//! Attachments as a screen shows them: a picture scaled to the cells it is given, or the
//! first page of a text or PDF, made on the service's side so that nothing but the preview
//! leaves it (over SSH no file leaves the server).
//!
//! Pictures (PNG, JPEG, TIFF) are decoded with the `image` crate within limits (a hostile
//! file cannot ask for gigabytes) and scaled to fit `cols` × `2·rows` pixels: a screen draws
//! two pixels per cell with the upper half block `▀` (the top one as its foreground, the
//! bottom one as its background), which every terminal and SSH session shows.

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

/// The largest picture decoded, in pixels a side, and the memory a decoder may take.
const MAX_SIDE: u32 = 20_000;
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// The preview of attachment `id` for `cols` × `rows` cells.
pub fn preview(store: &Store, id: i64, cols: u16, rows: u16) -> Result<AttachmentPreview> {
    let info = store
        .attachment(id)?
        .ok_or_else(|| Error::input(format!("attachment {id} does not exist")))?;
    let bytes = store.attachment_bytes(id)?.unwrap_or_default();
    let kind = Kind::of(&bytes);
    let body = render(&bytes, kind, cols, rows);
    Ok(AttachmentPreview {
        id,
        name: info.name,
        bytes: info.bytes,
        kind,
        payment: info.payment,
        body,
    })
}

/// What `bytes` of `kind` look like in `cols` × `rows` cells.
pub fn render(bytes: &[u8], kind: Kind, cols: u16, rows: u16) -> PreviewBody {
    if kind.is_image() {
        return match picture(bytes, u32::from(cols.max(1)), u32::from(rows.max(1)) * 2) {
            Ok(p) => p,
            Err(e) => PreviewBody::Unshown(format!("this picture cannot be read: {e}")),
        };
    }
    match kind {
        Kind::Text | Kind::Pdf => PreviewBody::Text(first_page(bytes, kind, usize::from(rows))),
        _ => PreviewBody::Unshown(
            "not a picture, text or PDF: get it with `owed attachment get` to open it".into(),
        ),
    }
}

fn picture(bytes: &[u8], width: u32, height: u32) -> std::result::Result<PreviewBody, String> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| e.to_string())?;
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

/// Completions of the last path of `typed` (paths separated by `;`), on this machine: the
/// entries of its folder that start with what is typed, folders with a `/`, each as the
/// whole field would read (for the attach form's Tab).
pub fn path_choices(typed: &str) -> Vec<String> {
    let (head, last) = match typed.rfind(';') {
        Some(i) => (
            format!("{}; ", typed[..i].trim_end()),
            typed[i + 1..].trim_start(),
        ),
        None => (String::new(), typed),
    };
    let (dir_text, _) = match last.rfind('/') {
        Some(i) => (&last[..=i], &last[i + 1..]),
        None => ("", last),
    };
    let dir = match dir_text {
        "" => std::path::PathBuf::from("."),
        d if d.starts_with("~/") => std::env::var_os("HOME")
            .map(|h| std::path::PathBuf::from(h).join(&d[2..]))
            .unwrap_or_else(|| d.into()),
        d => d.into(),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .take(2000)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let is_dir = e.file_type().ok()?.is_dir();
            Some(if is_dir { format!("{name}/") } else { name })
        })
        .collect();
    names.sort();
    names.truncate(500);
    names
        .into_iter()
        .map(|n| format!("{head}{dir_text}{n}"))
        .collect()
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
        let body = render(png.get_ref(), Kind::Png, 40, 10);
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
            render(b"\x89PNG\r\n\x1a\nbroken", Kind::Png, 10, 5),
            PreviewBody::Unshown(_)
        ));
    }

    #[test]
    fn paths_complete_in_their_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("remittance.pdf"), "x").unwrap();
        std::fs::write(dir.path().join("receipt.png"), "x").unwrap();
        std::fs::create_dir(dir.path().join("scans")).unwrap();
        let base = format!("{}/", dir.path().display());
        let all = path_choices(&base);
        assert_eq!(
            all,
            [
                format!("{base}receipt.png"),
                format!("{base}remittance.pdf"),
                format!("{base}scans/")
            ]
        );
        let two = path_choices(&format!("a.txt; {base}r"));
        assert!(
            two.contains(&format!("a.txt; {base}receipt.png")),
            "{two:?}"
        );
    }
}
