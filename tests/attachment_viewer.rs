//! The attachment viewer through the workstation's real service on a real SQLite file (the
//! `Driver`): a lockbox's TIFF cheque and a JPEG photo are drawn, not only named, in half
//! blocks of the picture's own colours within the theme's depth.

mod keys;
mod workstation;

use keys::attach_to_acme;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

/// A picture whose top half is red and bottom half blue, in `format`.
fn red_over_blue(format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(48, 32, |_, y| {
        if y < 16 {
            image::Rgb([220, 0, 0])
        } else {
            image::Rgb([0, 0, 230])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// The half-block cells of the screen, row by row: (foreground, background) of each `▀`.
fn half_blocks(buf: &Buffer) -> Vec<Vec<(Color, Color)>> {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            (area.left()..area.right())
                .filter_map(|x| buf.cell((x, y)))
                .filter(|c| c.symbol() == "▀")
                .map(|c| (c.fg, c.bg))
                .collect::<Vec<_>>()
        })
        .filter(|row| !row.is_empty())
        .collect()
}

/// The same colour, or 24-bit ones a scaling's rounding apart.
fn near(a: Color, b: Color) -> bool {
    match (a, b) {
        (Color::Rgb(r, g, b), Color::Rgb(r2, g2, b2)) => {
            r.abs_diff(r2) <= 3 && g.abs_diff(g2) <= 3 && b.abs_diff(b2) <= 3
        }
        _ => a == b,
    }
}

/// The picture's rows of cells: the upper ones wholly `top`, the lower ones wholly `bottom`,
/// at most one row between (where the halves meet inside a cell, or a JPEG's blur).
fn assert_red_over_blue(rows: &[Vec<(Color, Color)>], top: Color, bottom: Color, screen: &str) {
    assert!(
        rows.len() >= 4,
        "{} rows of half blocks\n{screen}",
        rows.len()
    );
    let whole = |row: &Vec<(Color, Color)>, c: Color| {
        row.iter().all(|(fg, bg)| near(*fg, c) && near(*bg, c))
    };
    let upper = rows.iter().take_while(|r| whole(r, top)).count();
    let lower = rows.iter().rev().take_while(|r| whole(r, bottom)).count();
    // Each row's distinct cells, to say what was drawn.
    let summary: Vec<Vec<(Color, Color)>> = rows
        .iter()
        .map(|r| {
            let mut cells = r.clone();
            cells.dedup();
            cells
        })
        .collect();
    assert!(
        upper >= rows.len() / 2 - 1 && lower >= rows.len() / 2 - 1,
        "{upper} {top:?} rows over {lower} {bottom:?} rows of {}: {summary:?}",
        rows.len()
    );
    assert!(upper + lower + 1 >= rows.len(), "{summary:?}");
    // Every row as wide as the picture's first.
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{summary:?}");
}

#[test]
fn tiff_and_jpeg_attachments_are_drawn_in_half_blocks_of_their_colours() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let tiff = red_over_blue(image::ImageFormat::Tiff);
    assert!(tiff.starts_with(b"II*\0") || tiff.starts_with(b"MM\0*"));
    let jpeg = red_over_blue(image::ImageFormat::Jpeg);
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
    // The TIFF first, so the JPEG is the newest: the viewer opens on it.
    attach_to_acme(
        &db,
        &[("cheque-1001.tif", tiff)],
        "lockbox cheque and a photo",
    );
    attach_to_acme(&db, &[("photo.jpg", jpeg)], "lockbox cheque and a photo");

    for (theme, red, blue) in [
        // The default theme: the nearest of the 16 ANSI colours.
        ("default", Color::Red, Color::Blue),
        // The 256-colour theme: the palette's cube.
        ("256", Color::Indexed(160), Color::Indexed(20)),
    ] {
        let mut d = workstation::Driver::with_theme(&db, "alice", (100, 30), theme);
        d.press("/ acme <Space> corp <Enter> <Enter>");
        assert!(
            d.screen().contains("Attachments · 2 · v opens them"),
            "{}",
            d.screen()
        );
        d.press("v");
        let screen = d.screen();
        assert!(
            screen.contains("Attachment 2: photo.jpg · JPEG image") && screen.contains("1 of 2"),
            "{screen}"
        );
        assert_red_over_blue(&half_blocks(&d.buffer()), red, blue, &screen);
        d.press("j");
        let screen = d.screen();
        assert!(
            screen.contains("Attachment 1: cheque-1001.tif · TIFF image")
                && screen.contains("2 of 2"),
            "{screen}"
        );
        assert_red_over_blue(&half_blocks(&d.buffer()), red, blue, &screen);
        d.press("<Esc>");
        assert!(!d.screen().contains('▀'), "{}", d.screen());
    }

    // The truecolor theme: the TIFF's own pixels.
    let mut d = workstation::Driver::with_theme(&db, "alice", (100, 30), "truecolor");
    d.press("/ acme <Space> corp <Enter> <Enter> v j");
    let rows = half_blocks(&d.buffer());
    assert_red_over_blue(
        &rows,
        Color::Rgb(220, 0, 0),
        Color::Rgb(0, 0, 230),
        &d.screen(),
    );
}

/// The workstation's portfolio in a new folder, with the red-over-blue picture `name` in
/// `format` attached to Acme saying `text`: the folder (kept alive by it) and the database.
fn acme_with(
    (name, format): (&str, image::ImageFormat),
    text: &str,
) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    attach_to_acme(&db, &[(name, red_over_blue(format))], text);
    (dir, db)
}

#[test]
fn a_terminal_with_graphics_gets_the_pictures_pixels_over_blank_cells() {
    use owed::tui::graphics::Protocol;
    use owed::tui::update::Effect;
    use owed::workstation::Request;
    use owed::workstation::attachment::Graphics;
    let (_dir, db) = acme_with(
        ("cheque-1001.tif", image::ImageFormat::Tiff),
        "lockbox cheque and a photo",
    );
    attach_to_acme(
        &db,
        &[("photo.png", red_over_blue(image::ImageFormat::Png))],
        "lockbox cheque and a photo",
    );
    let mut d = workstation::Driver::with_theme(&db, "alice", (100, 30), "default");
    // `auto`, not asked yet; the terminal's cells are 8 × 16 pixels.
    d.app.graphics = None;
    d.app.cell_pixels = (8, 16);
    d.press("/ acme <Space> corp <Enter> <Enter>");
    // Opening a picture asks the terminal first; nothing is asked of the service yet.
    assert_eq!(d.press("v"), vec![Effect::AskGraphics]);
    let fx = owed::tui::viewer::graphics_known(&mut d.app, Protocol::Sixel);
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::Request(Request::Attachment {
                cols: 96,
                rows: 25,
                graphics: Graphics::Sixel { cell: (8, 16) },
                ..
            })]
        ),
        "{fx:?}"
    );
    d.run(fx);
    let screen = ratatui::layout::Rect::new(0, 0, 100, 30);
    let p = owed::tui::view::attachment::placement(&d.app, screen).expect("a picture to place");
    // 48 × 32 scaled into 768 × 396 pixels (whole sixel bands): 594 × 396, over 75 × 25
    // cells from the top-left of the viewer's body.
    assert_eq!((p.width, p.height), (594, 396));
    assert_eq!(p.area, ratatui::layout::Rect::new(2, 2, 75, 25));
    assert_eq!(&p.rgb[..3], &[220, 0, 0]);
    assert_eq!(&p.rgb[p.rgb.len() - 3..], &[0, 0, 230]);
    let first = p.seq;
    // The cells under it are blank: no half blocks.
    assert!(!d.screen().contains('▀'), "{}", d.screen());
    // The next attachment is asked for drawn the same way, without asking the terminal.
    let fx = d.press("j");
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::Request(Request::Attachment {
                graphics: Graphics::Sixel { .. },
                ..
            })]
        ),
        "{fx:?}"
    );
    let next = owed::tui::view::attachment::placement(&d.app, screen).unwrap();
    assert_ne!(next.seq, first);
    // Closed: nothing to place.
    d.press("<Esc>");
    assert!(owed::tui::view::attachment::placement(&d.app, screen).is_none());
}

/// A statement as our own writer makes it (compressed streams, fonts that draw glyph ids)
/// shows its first page of text in the viewer; an escape sequence in a PDF's text is shown,
/// not obeyed.
#[test]
fn a_compressed_pdf_shows_its_first_page_of_text() {
    use owed::export::pdf::{Pdf, Style};
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let mut doc = Pdf::new("Remittance").unwrap();
    doc.text(40.0, 60.0, Style::bold(16.0), "Remittance advice");
    doc.text(40.0, 90.0, Style::regular(10.0), "INV-600");
    doc.text_right(550.0, 90.0, Style::regular(10.0), "12,000.00");
    doc.add_page();
    doc.text(40.0, 60.0, Style::regular(10.0), "Page two is not shown");
    let bytes = doc.finish().unwrap();
    assert!(!bytes.windows(7).any(|w| w == b"INV-600"), "compressed");
    attach_to_acme(
        &db,
        &[("remittance.pdf", bytes)],
        "lockbox cheque and a photo",
    );
    let mut d = workstation::Driver::new(&db, "alice", (100, 30));
    d.press("/ acme <Space> corp <Enter> <Enter> v");
    let screen = d.screen();
    assert!(screen.contains("remittance.pdf · PDF"), "{screen}");
    assert!(screen.contains("Remittance advice"), "{screen}");
    assert!(screen.contains("INV-600  12,000.00"), "{screen}");
    assert!(!screen.contains("Page two"), "{screen}");
    assert!(!screen.contains("cannot be read"), "{screen}");

    // A hand-made one with escape sequences in its compressed text: one written as the PDF
    // escape `\033`, one as the raw byte.
    let content = b"BT /F1 12 Tf 72 720 Td (Evil \\033[2J\x1b]0;pwned\x07 Corp) Tj ET";
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, content).unwrap();
    let packed = z.finish().unwrap();
    let mut hostile = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
        2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n\
        3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>\nendobj\n"
        .to_vec();
    hostile.extend_from_slice(
        format!(
            "4 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
            packed.len()
        )
        .as_bytes(),
    );
    hostile.extend_from_slice(&packed);
    hostile.extend_from_slice(b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n");
    attach_to_acme(&db, &[("evil.pdf", hostile)], "lockbox cheque and a photo");
    let mut d = workstation::Driver::new(&db, "alice", (100, 30));
    d.press("/ acme <Space> corp <Enter> <Enter> v");
    let screen = d.screen();
    assert!(screen.contains("evil.pdf · PDF"), "{screen}");
    assert!(
        screen.contains("Evil ") && screen.contains(" Corp"),
        "{screen}"
    );
    assert!(
        !screen.contains('\u{1b}') && !screen.contains('\u{7}'),
        "{screen:?}"
    );
}

/// On a queue too narrow to show the detail beside it, `v` asks for the customer's detail
/// and opens the viewer when it comes (it said "still loading" however long one waited).
#[test]
fn v_on_a_narrow_queue_opens_the_viewer_once_the_detail_comes() {
    let (_dir, db) = acme_with(("photo.png", image::ImageFormat::Png), "a photo");
    let mut d = workstation::Driver::new(&db, "alice", (80, 24));
    d.press("/ acme <Space> corp <Enter>");
    assert_eq!(d.app.screen, owed::tui::app::Screen::Main);
    assert_eq!(d.selected().as_deref(), Some("Acme Corp"));
    d.press("v");
    assert_eq!(d.app.mode, owed::tui::app::Mode::Attachment);
    let screen = d.screen();
    assert!(screen.contains("photo.png"), "{screen}");
    assert!(!screen.contains("still loading"), "{screen}");
}

/// `v` on a customer without attachments says so, and that `A` attaches files only to a user
/// who may attach them there: not to an auditor, who reads only, nor to a collector on
/// another's customer.
#[test]
fn no_attachments_offers_a_only_to_who_may_attach() {
    use owed::domain::users::Role;
    let (_dir, db) = keys::fixture();
    let status = |d: &workstation::Driver| {
        d.app
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default()
    };
    for (who, role, hint) in [
        ("carol", Role::Auditor, false),
        ("dana", Role::Manager, true),
        ("bob", Role::Collector, true),
        ("alice", Role::Collector, false),
    ] {
        let mut d = workstation::Driver::with_role(&db, who, role, (120, 40), "default");
        d.press("m / lumen <Enter>");
        assert_eq!(d.selected().as_deref(), Some("Lumen GmbH"), "{who}");
        d.press("v");
        let said = status(&d);
        let expected = if hint {
            "No attachments: A attaches files."
        } else {
            "No attachments."
        };
        assert_eq!(said, expected, "{who} ({role})");
    }
}
