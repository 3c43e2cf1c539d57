//! `:export` in the workstation: the queue as on screen (tab, filter, sort, scope), the
//! open customer's documents and timeline, or the team's figures, written by the service and
//! read back.

mod common;
mod keys;
mod workbook;
mod workstation;

use calamine::{Data, Reader, Xlsx, open_workbook};
use keys::{command, driver, fixture, status};
use owed::tui::app::Screen;
use owed::tui::update::Effect;
use workstation::Driver;

/// A worksheet's column of values under a header (row 2), data rows only.
fn column(
    book: &mut Xlsx<std::io::BufReader<std::fs::File>>,
    sheet: &str,
    header: &str,
) -> Vec<String> {
    let range = book.worksheet_range(sheet).unwrap();
    let headers: Vec<String> = range
        .rows()
        .nth(1)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let c = headers.iter().position(|h| h == header).unwrap();
    range
        .rows()
        .skip(2)
        .map(|r| r[c].clone())
        .take_while(|v| *v != Data::Empty)
        .map(|v| v.to_string())
        .collect()
}

/// A worksheet's title (its first cell).
fn title(book: &mut Xlsx<std::io::BufReader<std::fs::File>>, sheet: &str) -> String {
    let range = book.worksheet_range(sheet).unwrap();
    range.get_value((0, 0)).unwrap().to_string()
}

/// The names (second column) of a CSV export's rows.
fn csv_names(text: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap()[1].to_string())
        .collect()
}

/// Alice's workstation on the All tab sorted by name, with the names it shows.
fn all_by_name() -> (tempfile::TempDir, Driver, Vec<String>) {
    let (dir, mut d) = driver("alice", (120, 40));
    command(&mut d, "tab all");
    command(&mut d, "sort name asc");
    let on_screen = d.names();
    (dir, d, on_screen)
}

#[test]
fn the_queue_is_exported_as_it_is_on_screen() {
    let (dir, mut d, on_screen) = all_by_name();
    assert!(on_screen.len() >= 3, "{on_screen:?}");
    let path = dir.path().join("queue.xlsx");
    command(&mut d, &format!("export {}", path.display()));
    assert_eq!(
        status(&d),
        format!("wrote {} ({} rows)", path.display(), on_screen.len())
    );
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), ["Queue All", "About"]);
    assert_eq!(column(&mut book, "Queue All", "Customer"), on_screen);
    let title = title(&mut book, "Queue All");
    assert!(title.contains("tab All"), "{title}");
    assert!(title.contains("customers of alice"), "{title}");
    assert!(title.contains("sorted by name (ascending)"), "{title}");
    // A finished table like `owed export`'s: title, frozen headers, typed and formatted
    // cells, fitted widths, the autofilter over the data rows and SUBTOTAL totals below.
    let sheets = workbook::read(&path);
    let queue = &sheets[0];
    let summed = workbook::check_table(queue, "Queue All ·", workstation::AS_OF);
    assert!(
        summed.contains(&queue.col("Overdue (USD)")),
        "{:?}",
        queue.headers()
    );
    assert_eq!(queue.data_rows().len(), on_screen.len());
    workbook::check_about(&sheets, "Queue", "Net overdue", workstation::AS_OF);

    // A filter, everyone's customers, as CSV by the file's name.
    command(&mut d, "all");
    command(&mut d, "filter overdue>0");
    let on_screen = d.names();
    let csv = dir.path().join("overdue.csv");
    command(&mut d, &format!("export {}", csv.display()));
    assert!(status(&d).starts_with("wrote "), "{}", status(&d));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv_names(&text), on_screen);
}

/// With rows marked (`Space`), `:export` writes the marked rows only, and the status and the
/// title say so; every workbook's title names who exported it and when (CSV has no title).
#[test]
fn marked_rows_are_exported_alone_and_the_title_says_who_exported_them() {
    let (dir, mut d, on_screen) = all_by_name();
    assert!(on_screen.len() >= 3, "{on_screen:?}");
    // The first and the third marked.
    d.press("<Space> j <Space>");
    let path = dir.path().join("marked.xlsx");
    command(&mut d, &format!("export {}", path.display()));
    assert_eq!(
        status(&d),
        format!("wrote {} (2 marked rows)", path.display())
    );
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(
        column(&mut book, "Queue All", "Customer"),
        [on_screen[0].clone(), on_screen[2].clone()]
    );
    let title = title(&mut book, "Queue All");
    assert!(title.contains("the 2 marked customers"), "{title}");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(
        title.contains(&format!("exported by alice, {today} ")) && title.ends_with(" UTC"),
        "{title}"
    );
    // CSV likewise keeps only the marked rows.
    let csv = dir.path().join("marked.csv");
    command(&mut d, &format!("export {}", csv.display()));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        csv_names(&text),
        [on_screen[0].clone(), on_screen[2].clone()]
    );
    // Without marks, every row of the view again.
    d.press("<Esc>");
    assert!(d.app.marks.is_empty());
    command(&mut d, &format!("export {}", path.display()));
    assert!(
        status(&d).contains(&format!("({} rows)", on_screen.len())),
        "{}",
        status(&d)
    );
}

/// Someone who owns no customers sees everyone's in "mine", and the file says so: not
/// "customers of zed" over rows that are everyone's.
#[test]
fn a_queue_shown_to_someone_owning_none_is_exported_as_everyones() {
    let (dir, mut d) = driver("zed", (120, 40));
    assert!(d.app.page.mine_fallback, "zed owns no customers");
    let path = dir.path().join("queue.xlsx");
    command(&mut d, &format!("export {}", path.display()));
    assert!(status(&d).starts_with("wrote "), "{}", status(&d));
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    let sheet = book.sheet_names()[0].clone();
    let title = title(&mut book, &sheet);
    assert!(
        title.contains("every collector's customers (zed owns none)"),
        "{title}"
    );
    assert_eq!(column(&mut book, &sheet, "Customer"), d.names());
}

#[test]
fn the_open_customer_is_exported_with_its_documents_and_timeline() {
    let (dir, mut d) = driver("alice", (120, 40));
    d.press("<Enter>");
    assert_eq!(d.app.screen, Screen::Detail);
    let detail = d.app.detail.clone().unwrap().detail;
    let open = detail
        .documents
        .iter()
        .filter(|x| !x.balance.is_zero())
        .count();
    assert!(open > 0);
    let path = dir.path().join("customer.xlsx");
    command(&mut d, &format!("export xlsx {}", path.display()));
    let rows = if open == 1 { "row" } else { "rows" };
    assert_eq!(
        status(&d),
        format!("wrote {} ({open} {rows})", path.display())
    );
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), ["Documents", "Timeline", "About"]);
    let ids = column(&mut book, "Documents", "Customer ID");
    assert_eq!(ids.len(), open);
    assert!(ids.iter().all(|id| *id == detail.header.id), "{ids:?}");
    let title = title(&mut book, "Documents");
    assert!(
        title.contains(&format!("customer {}", detail.header.id)),
        "{title}"
    );
    let timeline = column(&mut book, "Timeline", "Customer ID");
    assert_eq!(timeline.len(), detail.activity.len(), "the whole timeline");
    // Both tables finished like `owed export`'s.
    let sheets = workbook::read(&path);
    let documents = &sheets[0];
    let summed = workbook::check_table(documents, "Customer — Documents", workstation::AS_OF);
    assert_eq!(summed, [documents.col("Open (USD)")]);
    assert_eq!(documents.data_rows().len(), open);
    workbook::check_table(&sheets[1], "Customer — Timeline", workstation::AS_OF);
}

#[test]
fn export_csv_names_the_format_whatever_the_file_is_called() {
    let (dir, mut d, on_screen) = all_by_name();
    // `.xlsx` would make a workbook; `csv` before the name makes it CSV.
    let path = dir.path().join("queue.xlsx");
    command(&mut d, &format!("export csv {}", path.display()));
    assert_eq!(
        status(&d),
        format!("wrote {} ({} rows)", path.display(), on_screen.len())
    );
    let text = std::fs::read_to_string(&path).expect("CSV is text");
    assert!(text.starts_with("customer_id,name,"), "{text}");
    assert_eq!(csv_names(&text), on_screen);

    // And `xlsx` before a `.csv` name makes a workbook.
    let path = dir.path().join("queue.csv");
    command(&mut d, &format!("export xlsx {}", path.display()));
    assert!(status(&d).starts_with("wrote "), "{}", status(&d));
    assert!(std::fs::read(&path).unwrap().starts_with(b"PK"));
    let sheets = workbook::read(&path);
    workbook::check_table(&sheets[0], "Queue All ·", workstation::AS_OF);
}

#[test]
fn a_name_without_an_extension_gets_the_formats() {
    let (dir, mut d, on_screen) = all_by_name();
    command(
        &mut d,
        &format!("export {}", dir.path().join("overdue").display()),
    );
    let path = dir.path().join("overdue.xlsx");
    assert_eq!(
        status(&d),
        format!("wrote {} ({} rows)", path.display(), on_screen.len())
    );
    assert!(std::fs::read(&path).unwrap().starts_with(b"PK"));
    assert!(!dir.path().join("overdue").exists());
    command(
        &mut d,
        &format!("export csv {}", dir.path().join("overdue").display()),
    );
    let text = std::fs::read_to_string(dir.path().join("overdue.csv")).expect("CSV is text");
    assert_eq!(csv_names(&text), on_screen);
}

#[test]
fn the_team_screen_exports_the_figures_it_shows_as_owed_export_team_does() {
    let (dir, db) = fixture();
    // Dana, a manager, on the team screen: the figures it shows.
    let (mut d, shown) = {
        let mut d = Driver::new(&db, "dana", (120, 40));
        d.press("M");
        assert_eq!(d.app.screen, Screen::Team);
        let shown = d.app.team.report.clone();
        (d, shown.expect("the team's figures on screen"))
    };
    assert!(shown.collectors.len() > 1);
    let mut rows: Vec<String> = shown
        .collectors
        .iter()
        .map(|c| c.collector.clone())
        .collect();
    if shown.unassigned.customers > 0 {
        rows.push("(unassigned)".into());
    }
    let path = dir.path().join("team.csv");
    command(&mut d, &format!("export {}", path.display()));
    assert_eq!(
        status(&d),
        format!("wrote {} ({} rows)", path.display(), rows.len())
    );
    let cli = dir.path().join("cli.csv");
    let out = common::owed_db(
        dir.path(),
        &db,
        &[
            "--as-of",
            workstation::AS_OF,
            "export",
            "team",
            "-o",
            cli.to_str().unwrap(),
        ],
    );
    common::succeeded(&out);
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written, std::fs::read_to_string(&cli).unwrap());
    let names = csv::Reader::from_reader(written.as_bytes())
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect::<Vec<_>>();
    assert_eq!(names, rows);
    // A workbook, with its About sheet.
    let xlsx = dir.path().join("team");
    command(&mut d, &format!("export {}", xlsx.display()));
    let sheets = workbook::read(&xlsx.with_extension("xlsx"));
    workbook::check_table(&sheets[0], "Team", workstation::AS_OF);
}

#[test]
fn a_bad_export_says_why_and_writes_nothing() {
    let (dir, mut d) = driver("alice", (120, 40));
    command(&mut d, "export");
    assert!(status(&d).contains("which file"), "{}", status(&d));
    let path = dir.path().join("no-such-folder").join("q.xlsx");
    command(&mut d, &format!("export {}", path.display()));
    assert!(
        status(&d).starts_with("export: cannot write"),
        "{}",
        status(&d)
    );
    assert!(!path.exists());
}

/// Types `:export PATH` without answering it: the export's request.
fn export_unanswered(d: &mut Driver, path: &std::path::Path) -> owed::workstation::Request {
    let effects = d.press_unanswered(&format!(": export <Space> {} <Enter>", path.display()));
    effects
        .into_iter()
        .find_map(|e| match e {
            Effect::Export(r) => Some(r),
            _ => None,
        })
        .expect("an export is asked for")
}

/// Answers `request` and gives the answers to the workstation: what it then asks for.
fn answer(d: &mut Driver, request: owed::workstation::Request) -> Vec<Effect> {
    let answers = d.source.handle_batch(vec![request]);
    answers
        .into_iter()
        .flat_map(|a| owed::tui::update::response(&mut d.app, a))
        .collect()
}

#[test]
fn quitting_while_an_export_is_written_waits_for_the_file_and_quits_once_it_is_there() {
    let (dir, mut d) = driver("alice", (120, 40));
    let path = dir.path().join("queue.xlsx");
    let export = export_unanswered(&mut d, &path);
    let fx = d.press_unanswered("q");
    assert!(!fx.contains(&Effect::Quit), "{fx:?}");
    assert!(!d.app.quit);
    assert_eq!(
        status(&d),
        format!(
            "writing {}… quitting once it is written (quit again to quit now)",
            path.display()
        )
    );
    let fx = answer(&mut d, export);
    assert!(path.is_file());
    assert!(fx.contains(&Effect::Quit), "{fx:?}");
    assert!(d.app.quit);
    assert!(status(&d).starts_with("wrote "), "{}", status(&d));

    // Asked again, it quits at once, the file still being written; `:q` asks as `q` does.
    let (dir, mut d) = driver("alice", (120, 40));
    export_unanswered(&mut d, &dir.path().join("queue.xlsx"));
    let fx = d.press_unanswered(": q <Enter>");
    assert!(!fx.contains(&Effect::Quit), "{fx:?}");
    assert!(status(&d).starts_with("writing "), "{}", status(&d));
    let fx = d.press_unanswered("q");
    assert!(fx.contains(&Effect::Quit), "{fx:?}");
}

#[test]
fn one_export_at_a_time() {
    let (dir, mut d) = driver("alice", (120, 40));
    let first = dir.path().join("first.xlsx");
    let export = export_unanswered(&mut d, &first);
    let fx = d.press_unanswered(&format!(
        ": export <Space> {} <Enter>",
        dir.path().join("second.xlsx").display()
    ));
    assert!(!fx.iter().any(|e| matches!(e, Effect::Export(_))), "{fx:?}");
    assert_eq!(
        status(&d),
        format!(
            "{} is still being written: :export again once it is",
            first.display()
        )
    );
    answer(&mut d, export);
    assert!(first.is_file());
    // Once it is written, the next is taken.
    let second = dir.path().join("second.xlsx");
    command(&mut d, &format!("export {}", second.display()));
    assert!(second.is_file());
    assert!(status(&d).starts_with("wrote "), "{}", status(&d));
}

#[test]
fn an_export_that_fails_while_quitting_keeps_the_workstation_open_to_say_why() {
    let (dir, mut d) = driver("alice", (120, 40));
    let path = dir.path().join("no-such-folder/queue.xlsx");
    let export = export_unanswered(&mut d, &path);
    d.press_unanswered("q");
    let fx = answer(&mut d, export);
    assert!(!fx.contains(&Effect::Quit), "{fx:?}");
    assert!(!d.app.quit);
    let said = status(&d);
    assert!(said.starts_with("export: cannot write"), "{said}");
    assert!(
        said.ends_with("not quitting, so that you see this"),
        "{said}"
    );
    // Nothing is waited for now: quit quits.
    assert!(d.press_unanswered("q").contains(&Effect::Quit));
}

#[test]
fn a_folder_gets_a_file_named_for_the_view_and_the_date_and_a_second_export_says_it_replaced_it() {
    let (dir, mut d, on_screen) = all_by_name();
    let folder = dir.path().join("exports");
    std::fs::create_dir(&folder).unwrap();
    command(&mut d, &format!("export {}", folder.display()));
    let path = folder.join(format!("queue-all-{}.xlsx", workstation::AS_OF));
    assert_eq!(
        status(&d),
        format!("wrote {} ({} rows)", path.display(), on_screen.len())
    );
    let sheets = workbook::read(&path);
    assert_eq!(sheets[0].data_rows().len(), on_screen.len());
    // Nothing was written beside the folder under its own name.
    assert!(!dir.path().join("exports.xlsx").exists());
    // The folder as `.` (`:export .`) names the file without the `/./`.
    command(&mut d, &format!("export {}/.", folder.display()));
    assert_eq!(
        status(&d),
        format!(
            "wrote {} ({} rows), replacing the file that was there",
            path.display(),
            on_screen.len()
        )
    );

    // Again, as CSV into the same folder; then the same file again, which says it replaced
    // the one that was there.
    command(&mut d, &format!("export csv {}", folder.display()));
    let csv = folder.join(format!("queue-all-{}.csv", workstation::AS_OF));
    assert_eq!(
        status(&d),
        format!("wrote {} ({} rows)", csv.display(), on_screen.len())
    );
    command(&mut d, &format!("export csv {}", folder.display()));
    assert_eq!(
        status(&d),
        format!(
            "wrote {} ({} rows), replacing the file that was there",
            csv.display(),
            on_screen.len()
        )
    );
    assert_eq!(
        csv_names(&std::fs::read_to_string(&csv).unwrap()),
        on_screen
    );

    // A customer's detail is named by its id.
    d.press("<Enter>");
    let id = d.app.detail.clone().unwrap().detail.header.id;
    command(&mut d, &format!("export {}", folder.display()));
    let path = folder.join(format!("{}-{}.xlsx", id.to_lowercase(), workstation::AS_OF));
    assert!(
        status(&d).starts_with(&format!("wrote {} (", path.display())),
        "{}",
        status(&d)
    );
    assert!(path.exists());
}

#[test]
fn a_folder_that_does_not_exist_is_named_and_nothing_is_written() {
    let (dir, mut d, _) = all_by_name();
    let missing = dir.path().join("no-such-folder");
    let path = missing.join("queue.xlsx");
    command(&mut d, &format!("export {}", path.display()));
    assert_eq!(
        status(&d),
        format!(
            "export: cannot write {}: there is no folder {}",
            path.display(),
            missing.display()
        )
    );
    assert!(!missing.exists());
}
