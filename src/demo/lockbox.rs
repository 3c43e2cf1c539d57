//! The demo's lockbox folder: a bank's lockbox file generated from the demo's open invoices,
//! with a cheque image per item, so that a new user sees cash application, deductions and
//! images (and can run `owed lockbox import` on it again: it changes nothing).
//!
//! Items pay one open invoice each, customer after customer (a second round takes each
//! customer's next invoice): most name the invoice they pay (by number, else id) and pay it
//! in full; some name none and match the oldest open invoice by amount; some are short
//! (80–97 % of the invoice: a deduction); some match nothing and stay unapplied. The same
//! database, size and seed give the same file and images.

use crate::Result;
use crate::domain::Date;
use crate::domain::date::day_number;
use crate::domain::money;
use crate::store::Store;
use crate::store::ledger::lockbox::OpenInvoice;
use std::io::Write;
use std::path::Path;

/// How many items the demo's lockbox has for a portfolio of `customers`: a few hundred.
pub fn demo_items(customers: usize) -> usize {
    (customers / 7).min(300)
}

/// What a generated lockbox file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockboxCounts {
    pub items: usize,
    pub named: usize,
    pub by_amount: usize,
    pub short: usize,
    pub unmatched: usize,
    /// Bytes of the images written.
    pub image_bytes: u64,
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n.max(1))) >> 64) as u64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemKind {
    Named,
    ByAmount,
    Short,
    Unmatched,
}

/// Writes `dir/lockbox.csv` and its images: `items` items dated `today`, from the open
/// invoices of the database. Returns what it wrote.
pub fn write_lockbox(
    store: &Store,
    dir: &Path,
    items: usize,
    seed: u64,
    today: Date,
) -> Result<LockboxCounts> {
    std::fs::create_dir_all(dir)?;
    let customers = usize::try_from(store.ledger().counts()?.customers).unwrap_or(usize::MAX);
    // Every stride-th customer: about twice as many as items, so most items are a first round.
    let stride = (customers / (items * 2).max(1)).max(1) as i64;
    let invoices = store
        .ledger()
        .open_invoices_sample(day_number(today), stride)?;
    let mut by_customer: Vec<Vec<&OpenInvoice>> = Vec::new();
    for inv in &invoices {
        match by_customer.last_mut() {
            Some(list) if list[0].customer_id == inv.customer_id => list.push(inv),
            _ => by_customer.push(vec![inv]),
        }
    }
    let mut picked: Vec<(usize, &OpenInvoice)> = Vec::new();
    let mut round = 0;
    while picked.len() < items && by_customer.iter().any(|l| l.len() > round) {
        for list in &by_customer {
            if picked.len() == items {
                break;
            }
            if let Some(inv) = list.get(round) {
                picked.push((round, inv));
            }
        }
        round += 1;
    }
    let mut rng = Rng(seed ^ 0x10CB_0C5E);
    let mut counts = LockboxCounts::default();
    let mut csv = std::io::BufWriter::new(std::fs::File::create(
        dir.join(crate::import::lockbox::FILE),
    )?);
    writeln!(
        csv,
        "item_id,date,amount,currency,payer,check_number,invoices,image"
    )?;
    for (n, (round, inv)) in picked.into_iter().enumerate() {
        // A first round may match by amount (the customer's oldest invoice); later rounds
        // name what they pay.
        let kind = match (round == 0, rng.below(100)) {
            (true, 0..=59) | (false, 0..=69) => ItemKind::Named,
            (true, 60..=74) => ItemKind::ByAmount,
            (true, 75..=89) | (false, 70..=87) => ItemKind::Short,
            _ => ItemKind::Unmatched,
        };
        let cents = inv.balance / 100;
        let (cents, invoices) = match kind {
            ItemKind::Named => (cents, reference(inv, &mut rng)),
            ItemKind::ByAmount => (cents, String::new()),
            ItemKind::Short => {
                let paid = cents * (80 + rng.below(18) as i64) / 100;
                (paid.clamp(1, (cents - 1).max(1)), reference(inv, &mut rng))
            }
            // A cheque for something the ledger does not hold (several invoices of another
            // system, a wrong amount): of the invoice's size, but matching no open item.
            ItemKind::Unmatched => (
                cents * (105 + rng.below(95) as i64) / 100 + 37,
                String::new(),
            ),
        };
        match kind {
            ItemKind::Named => counts.named += 1,
            ItemKind::ByAmount => counts.by_amount += 1,
            ItemKind::Short => counts.short += 1,
            ItemKind::Unmatched => counts.unmatched += 1,
        }
        let item_id = format!("{}{:06}", seed % 1000, n + 1);
        let check = 100_000 + n;
        // Lockbox scans are often TIFF: every tenth one here.
        let (image_name, format) = if n % 10 == 9 {
            (format!("cheque-{item_id}.tif"), image::ImageFormat::Tiff)
        } else {
            (format!("cheque-{item_id}.png"), image::ImageFormat::Png)
        };
        let bytes = cheque_image(&inv.customer_name, cents, check, seed ^ n as u64, format)?;
        counts.image_bytes += bytes.len() as u64;
        std::fs::write(dir.join(&image_name), bytes)?;
        let amount = money::plain(money::from_units(cents * 100), &inv.currency);
        writeln!(
            csv,
            "{item_id},{today},{amount},{},{},{check},{},{image_name}",
            inv.currency,
            field(&inv.customer_id),
            field(&invoices)
        )?;
        counts.items += 1;
    }
    csv.flush()?;
    Ok(counts)
}

/// How an item names its invoice: by number mostly, else by id.
fn reference(inv: &OpenInvoice, rng: &mut Rng) -> String {
    match &inv.number {
        Some(number) if rng.below(10) < 7 => number.clone(),
        _ => inv.id.clone(),
    }
}

/// A CSV field, quoted when it needs to be.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Width and height of a generated cheque image, in pixels.
const CHEQUE: (u32, u32) = (640, 272);

/// A scanned-looking cheque: paper speckle, a border, lines for the payee and the words, the
/// amount in a box and the cheque number in the MICR line (seven-segment digits), a
/// signature.
pub fn cheque_image(
    payer: &str,
    cents: i64,
    check: usize,
    seed: u64,
    format: image::ImageFormat,
) -> Result<Vec<u8>> {
    let (w, h) = CHEQUE;
    let mut rng = Rng(seed.wrapping_mul(31).wrapping_add(payer.len() as u64));
    let mut img = image::GrayImage::from_fn(w, h, |_, _| {
        // Paper: mostly white, a light speckle of the scanner.
        let r = rng.below(16) as u8;
        image::Luma([if r < 3 { 226 + r * 6 } else { 250 }])
    });
    let mut ink = |x0: u32, y0: u32, x1: u32, y1: u32, shade: u8| {
        for y in y0.min(h - 1)..=y1.min(h - 1) {
            for x in x0.min(w - 1)..=x1.min(w - 1) {
                img.put_pixel(x, y, image::Luma([shade]));
            }
        }
    };
    // Border, bank name bar, date line, payee line, words line.
    ink(4, 4, w - 5, 6, 40);
    ink(4, h - 7, w - 5, h - 5, 40);
    ink(4, 4, 6, h - 5, 40);
    ink(w - 7, 4, w - 5, h - 5, 40);
    ink(20, 18, 200, 30, 90);
    ink(430, 50, 600, 51, 60);
    ink(20, 110, 430, 111, 60);
    ink(20, 150, 600, 151, 60);
    // The payer's name as blocks of "handwriting" on the payee line, one per letter.
    for (i, c) in payer.chars().take(30).enumerate() {
        if c.is_alphanumeric() {
            let x = 30 + i as u32 * 13;
            let tall = 6 + (u32::from(c) % 9);
            ink(x, 108 - tall, x + 8, 106, 70);
        }
    }
    // The amount box and its digits.
    ink(450, 90, 452, 125, 50);
    ink(450, 90, 620, 92, 50);
    ink(450, 123, 620, 125, 50);
    ink(618, 90, 620, 125, 50);
    let amount = format!("{}.{:02}", cents / 100, cents % 100);
    let mut x = 460;
    for c in amount.chars() {
        segment_digit(&mut ink, c, x, 96, 10, 20);
        x += 14;
    }
    // The MICR line: the cheque number.
    let mut x = 60;
    for c in format!("{check:08}").chars() {
        segment_digit(&mut ink, c, x, 226, 12, 24);
        x += 18;
    }
    // A signature: a wave of varying height.
    let phase = (seed % 97) as f64 / 10.0;
    for step in 0..170u32 {
        let t = f64::from(step) / 12.0 + phase;
        let y = 190.0 + 12.0 * t.sin() * (0.5 + 0.5 * (t * 0.37).cos());
        let x = 420 + step;
        ink(x, y as u32, x + 1, y as u32 + 2, 30);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format)
        .map_err(|e| crate::Error::runtime(format!("cannot draw a demo cheque: {e}")))?;
    Ok(out.into_inner())
}

/// Draws a digit (or a point) in seven segments with its top-left at (x, y).
fn segment_digit(
    ink: &mut impl FnMut(u32, u32, u32, u32, u8),
    c: char,
    x: u32,
    y: u32,
    w: u32,
    h: u32,
) {
    const SEGMENTS: [u8; 10] = [
        0b111_1110, 0b011_0000, 0b110_1101, 0b111_1001, 0b011_0011, 0b101_1011, 0b101_1111,
        0b111_0000, 0b111_1111, 0b111_1011,
    ];
    let Some(d) = c.to_digit(10) else {
        if c == '.' {
            ink(x, y + h - 2, x + 2, y + h, 20);
        }
        return;
    };
    let s = SEGMENTS[d as usize];
    let half = h / 2;
    let on = |bit: u8| s & (1 << (6 - bit)) != 0;
    if on(0) {
        ink(x, y, x + w, y + 1, 20);
    }
    if on(1) {
        ink(x + w - 1, y, x + w, y + half, 20);
    }
    if on(2) {
        ink(x + w - 1, y + half, x + w, y + h, 20);
    }
    if on(3) {
        ink(x, y + h - 1, x + w, y + h, 20);
    }
    if on(4) {
        ink(x, y + half, x + 1, y + h, 20);
    }
    if on(5) {
        ink(x, y, x + 1, y + half, 20);
    }
    if on(6) {
        ink(x, y + half, x + w, y + half + 1, 20);
    }
}

/// A remittance advice (text), a signed purchase order (a one-page PDF) and a delivery photo
/// (PNG) for the demo's attachments.
pub fn demo_files(customer: &str, invoice: &str) -> Vec<(String, Vec<u8>)> {
    let advice = format!(
        "REMITTANCE ADVICE\n\nFrom: {customer}\nPaying: {invoice}\nMethod: cheque by lockbox\n\n\
         Please apply to the invoice above. Questions: accounts payable.\n"
    );
    let po_text = format!("Purchase order for {customer}, signed. Invoice {invoice}.");
    let content = format!(
        "BT /F1 14 Tf 72 720 Td (PURCHASE ORDER) Tj 0 -24 Td ({}) Tj ET",
        po_text.replace(['(', ')', '\\'], " ")
    );
    let pdf = format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
         2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
         3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >> endobj\n\
         4 0 obj << /Length {} >>\nstream\n{content}\nendstream\nendobj\n\
         5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n\
         trailer << /Root 1 0 R >>\n%%EOF\n",
        content.len()
    );
    let mut files = vec![
        ("remittance-advice.txt".to_string(), advice.into_bytes()),
        ("signed-po.pdf".to_string(), pdf.into_bytes()),
    ];
    if let Ok(photo) = cheque_image(customer, 0, 0, 7, image::ImageFormat::Png) {
        files.push(("delivery-note.png".to_string(), photo));
    }
    files
}
