//! Reading an exported workbook back for the tests: the values and formulas with a
//! spreadsheet reader (calamine), and what calamine does not give (the autofilter, the frozen
//! pane, the column widths, each cell's number format) from the sheet and style XML of the
//! xlsx (a zip). `check_table` holds every table worksheet to SPEC "Exports (additions)".
#![allow(dead_code)]

use calamine::{Data, Reader, Xlsx, open_workbook};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use unicode_width::UnicodeWidthStr;

/// Excel's width of a column no `<col>` sets (Calibri 11).
pub const DEFAULT_WIDTH: f64 = 8.43;

/// One worksheet as read back: values, formulas, the autofilter's range, the frozen pane,
/// the column widths and the number format of every styled cell.
pub struct Sheet {
    pub name: String,
    pub values: calamine::Range<Data>,
    pub formulas: calamine::Range<String>,
    pub autofilter: Option<String>,
    /// The `<pane …/>` element of the sheet view, as written.
    pub pane: Option<String>,
    /// The width of each 0-based column a `<col>` element sets.
    pub widths: HashMap<u32, f64>,
    /// The number format code of each cell (0-based row, column) that has a style.
    pub num_formats: HashMap<(u32, u32), String>,
}

impl Sheet {
    pub fn cell(&self, row: u32, col: u32) -> Data {
        self.values
            .get_value((row, col))
            .cloned()
            .unwrap_or(Data::Empty)
    }

    pub fn text(&self, row: u32, col: u32) -> String {
        match self.cell(row, col) {
            Data::String(s) => s,
            Data::Empty => String::new(),
            other => panic!("{}: cell ({row}, {col}) is {other:?}, not text", self.name),
        }
    }

    /// A text cell's text, or a date cell's date (`2026-04-30`, or with its time of day
    /// `2026-04-30 17:23:27` when it has one).
    pub fn shown(&self, row: u32, col: u32) -> String {
        match self.cell(row, col) {
            Data::DateTime(d) => {
                let serial = d.as_f64();
                let day = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()
                    + chrono::Days::new(serial.trunc() as u64);
                let seconds = ((serial - serial.trunc()) * 86_400.0).round() as u32;
                if seconds == 0 {
                    day.to_string()
                } else {
                    let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0);
                    format!("{day} {}", time.unwrap())
                }
            }
            _ => self.text(row, col),
        }
    }

    pub fn number(&self, row: u32, col: u32) -> f64 {
        match self.cell(row, col) {
            Data::Float(v) => v,
            Data::Int(v) => v as f64,
            other => panic!(
                "{}: cell ({row}, {col}) is {other:?}, not a number",
                self.name
            ),
        }
    }

    pub fn title(&self) -> String {
        self.text(0, 0)
    }

    pub fn headers(&self) -> Vec<String> {
        let width = self.values.end().map_or(0, |(_, c)| c + 1);
        (0..width).map(|c| self.text(1, c)).collect()
    }

    /// The column of a header.
    pub fn col(&self, header: &str) -> u32 {
        self.headers()
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| {
                panic!(
                    "{}: no column {header:?} in {:?}",
                    self.name,
                    self.headers()
                )
            }) as u32
    }

    /// The data rows (0-based row numbers): from the third row to the row before "Total".
    pub fn data_rows(&self) -> std::ops::Range<u32> {
        let last = self.values.end().map_or(0, |(r, _)| r);
        let has_total = (0..=self.values.end().map_or(0, |(_, c)| c))
            .any(|c| self.cell(last, c) == Data::String("Total".into()));
        2..if has_total { last } else { last + 1 }
    }

    pub fn formula(&self, row: u32, col: u32) -> String {
        self.formulas
            .get_value((row, col))
            .cloned()
            .unwrap_or_default()
            .trim_start_matches('=')
            .to_string()
    }

    /// The number format of a cell: `General` when it has none.
    pub fn num_format(&self, row: u32, col: u32) -> &str {
        self.num_formats
            .get(&(row, col))
            .map_or("General", String::as_str)
    }

    /// The number formats of a column's numeric and date cells in the data rows, each once.
    pub fn column_formats(&self, col: u32) -> Vec<String> {
        let mut formats: Vec<String> = self
            .data_rows()
            .filter(|&r| {
                matches!(
                    self.cell(r, col),
                    Data::Float(_) | Data::Int(_) | Data::DateTime(_)
                )
            })
            .map(|r| self.num_format(r, col).to_string())
            .collect();
        formats.dedup();
        formats.sort();
        formats.dedup();
        formats
    }

    /// The width of a 0-based column: Excel's default when no `<col>` sets it.
    pub fn width(&self, col: u32) -> f64 {
        self.widths.get(&col).copied().unwrap_or(DEFAULT_WIDTH)
    }
}

/// Excel's name of a 0-based column.
pub fn letter(col: u32) -> String {
    let mut n = col + 1;
    let mut s = String::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.insert(0, (b'A' + r as u8) as char);
        n = (n - 1) / 26;
    }
    s
}

/// The 0-based (row, column) of a cell reference such as `C12`.
fn position(reference: &str) -> (u32, u32) {
    let split = reference
        .find(|c: char| c.is_ascii_digit())
        .expect("a row number");
    let col = reference[..split]
        .bytes()
        .fold(0u32, |n, b| n * 26 + u32::from(b - b'A' + 1));
    let row: u32 = reference[split..].parse().unwrap();
    (row - 1, col - 1)
}

/// The value of attribute `name` in the text of one XML tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    Some(tag[start..].split('"').next()?.to_string())
}

/// The attributes of the opening tags `<name …>` of an XML text, each as ` a="1" b="2"`.
fn tags(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name} ");
    xml.split(&open)
        .skip(1)
        .map(|rest| format!(" {}", &rest[..rest.find('>').unwrap()]))
        .collect()
}

/// The format code of a built-in number format id (ECMA-376 §18.8.30), those a writer uses.
fn builtin(id: u32) -> String {
    match id {
        0 => "General",
        1 => "0",
        2 => "0.00",
        3 => "#,##0",
        4 => "#,##0.00",
        9 => "0%",
        10 => "0.00%",
        14 => "m/d/yyyy",
        15 => "d-mmm-yy",
        16 => "d-mmm",
        17 => "mmm-yy",
        22 => "m/d/yyyy h:mm",
        _ => "unknown",
    }
    .to_string()
}

/// The number format code of each cell style (`cellXfs` of styles.xml), by style index.
fn style_formats(styles: &str) -> Vec<String> {
    let custom: HashMap<u32, String> = tags(styles, "numFmt")
        .into_iter()
        .map(|t| {
            (
                attribute(&t, "numFmtId").unwrap().parse().unwrap(),
                attribute(&t, "formatCode").unwrap().replace("&quot;", "\""),
            )
        })
        .collect();
    let cell_xfs = styles
        .split("<cellXfs")
        .nth(1)
        .and_then(|rest| rest.split("</cellXfs>").next())
        .expect("cellXfs in styles.xml");
    tags(cell_xfs, "xf")
        .into_iter()
        .map(|t| {
            let id: u32 = attribute(&t, "numFmtId").map_or(0, |v| v.parse().unwrap());
            custom.get(&id).cloned().unwrap_or_else(|| builtin(id))
        })
        .collect()
}

/// Every worksheet of a workbook, in order.
pub fn read(path: &Path) -> Vec<Sheet> {
    let mut book: Xlsx<_> = open_workbook(path).expect("a workbook calamine reads");
    let names = book.sheet_names();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut part = |name: &str| {
        let mut xml = String::new();
        zip.by_name(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .read_to_string(&mut xml)
            .unwrap();
        xml
    };
    let formats = style_formats(&part("xl/styles.xml"));
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let xml = part(&format!("xl/worksheets/sheet{}.xml", i + 1));
            let autofilter = tags(&xml, "autoFilter")
                .first()
                .and_then(|t| attribute(t, "ref"));
            let pane = tags(&xml, "pane").into_iter().next();
            let mut widths = HashMap::new();
            for t in tags(&xml, "col") {
                let min: u32 = attribute(&t, "min").unwrap().parse().unwrap();
                let max: u32 = attribute(&t, "max").unwrap().parse().unwrap();
                let width: f64 = attribute(&t, "width").unwrap().parse().unwrap();
                for c in min..=max {
                    widths.insert(c - 1, width);
                }
            }
            let num_formats = tags(&xml, "c")
                .into_iter()
                .filter_map(|t| {
                    let style: usize = attribute(&t, "s")?.parse().unwrap();
                    Some((
                        position(&attribute(&t, "r").unwrap()),
                        formats[style].clone(),
                    ))
                })
                .collect();
            Sheet {
                name: name.clone(),
                values: book.worksheet_range(name).unwrap(),
                formulas: book.worksheet_formula(name).unwrap(),
                autofilter,
                pane,
                widths,
                num_formats,
            }
        })
        .collect()
}

/// Whether a number format code shows a date.
pub fn is_date_format(code: &str) -> bool {
    let code = code.to_lowercase();
    code.contains('y') && code.contains('d') && code.contains('m')
}

/// The amount format: two decimals with thousands separators.
pub const AMOUNT: &str = "#,##0.00";

/// Whether `code` is an amount's format with some number of decimals: `#,##0` (yen),
/// `#,##0.00`, `#,##0.000` (dinars).
pub fn is_amount_format(code: &str) -> bool {
    code.strip_prefix("#,##0").is_some_and(|rest| {
        rest.is_empty()
            || rest
                .strip_prefix('.')
                .is_some_and(|z| !z.is_empty() && z.chars().all(|c| c == '0'))
    })
}
/// The count format: thousands separators, no decimals.
pub const COUNT: &str = "#,##0";

/// What every table worksheet must be: a title naming the view, the date and the currency;
/// human headers, frozen below; its totals SUBTOTAL(109) over exactly the data rows, equal to
/// their sum, formatted as amounts or counts; the autofilter over the header and data rows
/// only; every number with a number format, every date with a date format; each column at
/// least as wide as its widest text (up to the cap of 60) and a text column no wider than
/// it needs. Returns the summed columns.
pub fn check_table(sheet: &Sheet, view: &str, as_of: &str) -> Vec<u32> {
    let title = sheet.title();
    assert!(title.starts_with(view), "{}: {title}", sheet.name);
    assert!(title.contains(&format!("as of {as_of}")), "{title}");
    assert!(title.contains("USD"), "{title}");
    let headers = sheet.headers();
    assert!(headers.iter().all(|h| !h.is_empty()), "{headers:?}");
    let rows = sheet.data_rows();

    // The header row stays in view: the pane is frozen below row 2, not beside a column.
    let pane = sheet
        .pane
        .as_deref()
        .unwrap_or_else(|| panic!("{}: no frozen pane", sheet.name));
    assert_eq!(
        attribute(pane, "state").as_deref(),
        Some("frozen"),
        "{}: {pane}",
        sheet.name
    );
    assert_eq!(attribute(pane, "ySplit").as_deref(), Some("2"), "{pane}");
    assert_eq!(attribute(pane, "xSplit"), None, "{pane}");
    assert_eq!(
        attribute(pane, "topLeftCell").as_deref(),
        Some("A3"),
        "{pane}"
    );

    // Columns fitted to what they hold (the title row spans them all and does not count).
    for c in 0..headers.len() as u32 {
        assert!(
            sheet.widths.contains_key(&c),
            "{}: column {} has no width",
            sheet.name,
            headers[c as usize]
        );
        let texts: Vec<usize> = std::iter::once(1)
            .chain(rows.clone())
            .filter_map(|r| match sheet.cell(r, c) {
                Data::String(s) => Some(s.width()),
                _ => None,
            })
            .collect();
        let widest = texts.iter().copied().max().unwrap_or(0).min(60) as f64;
        let width = sheet.width(c);
        assert!(
            width >= widest,
            "{}: column {} is {width} wide, its text {widest}",
            sheet.name,
            headers[c as usize]
        );
        let all_text = rows
            .clone()
            .all(|r| matches!(sheet.cell(r, c), Data::String(_) | Data::Empty));
        if all_text {
            assert!(
                width <= widest + 3.0,
                "{}: text column {} is {width} wide for text of {widest}",
                sheet.name,
                headers[c as usize]
            );
        }
    }

    // Numbers and dates typed, with formats.
    for r in rows.clone() {
        for c in 0..headers.len() as u32 {
            let format = sheet.num_format(r, c);
            match sheet.cell(r, c) {
                Data::Float(_) | Data::Int(_) => assert!(
                    format != "General" && !is_date_format(format),
                    "{}: number in {} row {r} has format {format}",
                    sheet.name,
                    headers[c as usize]
                ),
                Data::DateTime(_) => assert!(
                    is_date_format(format),
                    "{}: date in {} row {r} has format {format}",
                    sheet.name,
                    headers[c as usize]
                ),
                _ => {}
            }
        }
    }

    let last_col = letter(headers.len() as u32 - 1);
    assert_eq!(
        sheet.autofilter.as_deref(),
        Some(format!("A2:{last_col}{}", rows.end.max(2)).as_str()),
        "{}: the filter covers the header and data rows, not the total",
        sheet.name
    );
    let mut summed = Vec::new();
    if rows.is_empty() {
        return summed;
    }
    let total_row = rows.end;
    for c in 0..headers.len() as u32 {
        let formula = sheet.formula(total_row, c);
        if formula.is_empty() {
            continue;
        }
        let l = letter(c);
        assert_eq!(
            formula,
            format!("SUBTOTAL(109,{l}3:{l}{})", rows.end),
            "{}: column {}",
            sheet.name,
            headers[c as usize]
        );
        let sum: f64 = rows
            .clone()
            .map(|r| match sheet.cell(r, c) {
                Data::Empty => 0.0,
                _ => sheet.number(r, c),
            })
            .sum();
        assert!(
            (sheet.number(total_row, c) - sum).abs() < 0.005,
            "{}: total of {} is {} not {sum}",
            sheet.name,
            headers[c as usize],
            sheet.number(total_row, c)
        );
        // A total is shown like the column it sums.
        let format = sheet.num_format(total_row, c);
        assert!(
            is_amount_format(format) || format == COUNT,
            "{}: total of {} has format {format}",
            sheet.name,
            headers[c as usize]
        );
        for f in sheet.column_formats(c) {
            assert_eq!(
                f, format,
                "{}: {} is formatted unlike its total",
                sheet.name, headers[c as usize]
            );
        }
        summed.push(c);
    }
    summed
}

/// The About sheet: last, with the view, the date and the owed version, and formulas.
pub fn check_about(sheets: &[Sheet], view: &str, figure: &str, as_of: &str) {
    let about = sheets.last().unwrap();
    assert_eq!(about.name, "About");
    let text: Vec<String> = (0..about.values.height() as u32)
        .map(|r| format!("{} | {}", about.text(r, 0), about.shown(r, 1)))
        .collect();
    let all = text.join("\n");
    assert!(all.contains(&format!("View | {view}")), "{all}");
    assert!(all.contains(&format!("As of | {as_of}")), "{all}");
    let as_of_row = text.iter().position(|l| l.starts_with("As of | ")).unwrap();
    assert!(
        matches!(about.cell(as_of_row as u32, 1), Data::DateTime(_)),
        "the as-of date is a date cell"
    );
    assert!(all.contains("Base currency | USD"), "{all}");
    // What the ledger was: its last import, when and by whom.
    let ledger = text.iter().find(|l| l.starts_with("Ledger imported | "));
    assert!(
        ledger.is_some_and(|l| l.contains(" UTC by ")),
        "no ledger line in About:\n{all}"
    );
    assert!(
        all.contains(&format!("owed {}", env!("CARGO_PKG_VERSION"))),
        "{all}"
    );
    assert!(
        all.contains(figure),
        "{figure:?} missing from About:\n{all}"
    );
    assert!(all.contains("SUBTOTAL(109"), "{all}");
}
