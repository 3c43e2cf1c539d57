//! `:export [xlsx|csv] FILE`: what is on screen, to a file the service writes; and quitting,
//! which waits for a file still being written.

use super::app::{App, Screen};
use super::update::Effect;
use crate::export::Format;
use crate::workstation::{ExportJob, ExportWhat, Request};

/// `:export [xlsx|csv] FILE`: what is on screen to a file — the open customer's documents
/// and timeline on its detail, the team's figures on the team screen, the plan on the
/// engagement screen, else the queue with its tab, filter, sort and scope (with rows
/// marked, those rows only: the status and the title say so). The
/// format is the one named, else the file's extension (`.csv`), else xlsx; a name without an
/// extension gets the format's (`:export overdue` writes `overdue.xlsx`). A folder (`.`, the
/// one the workstation was started in) gets a file named for what is exported and the date
/// (`queue-overdue-2026-04-30.xlsx`).
///
/// One export at a time: another asked for while one is being written is refused, saying
/// which (a large workbook holds its rows in the service's memory while it is built, so a
/// key held down on `:export` must not pile them up).
pub(super) fn command(app: &mut App, args: &[&str]) -> Vec<Effect> {
    if let Some((_, writing)) = app.exports_pending.last() {
        app.say_error(format!(
            "{} is still being written: :export again once it is",
            writing.display()
        ));
        return Vec::new();
    }
    let (format, words) = match args.first().map(|w| w.to_ascii_lowercase()) {
        Some(w) if w == "xlsx" => (Some(Format::Xlsx), &args[1..]),
        Some(w) if w == "csv" => (Some(Format::Csv), &args[1..]),
        _ => (None, args),
    };
    let what = match (app.screen, app.detail.as_ref()) {
        (Screen::Detail, Some(d)) => ExportWhat::Customer(d.detail.header.cid),
        (Screen::Team, _) => match &app.team.report {
            Some(view) => ExportWhat::Team(Box::new(view.clone())),
            None => {
                app.say_error("the team's figures are still being counted: :export once shown");
                return Vec::new();
            }
        },
        (Screen::Engage, _) => match &app.engage.screen.plan {
            Some(plan) => ExportWhat::Plan(Box::new(plan.clone())),
            None => {
                app.say_error("the plan is still being computed: :export once shown");
                return Vec::new();
            }
        },
        // With rows marked, those rows only.
        _ => ExportWhat::Queue(
            app.query.clone(),
            if app.acts_on_marks() {
                app.marks.iter().copied().collect()
            } else {
                Vec::new()
            },
        ),
    };
    let name = words.join(" ");
    if name.trim().is_empty() {
        app.say_error(
            "export to which file? :export [xlsx|csv] FILE, or a folder (. is this one) for \
             VIEW-DATE.xlsx in it",
        );
        return Vec::new();
    }
    let mut path = match app.files.absolute(name.trim()) {
        Ok(path) => path,
        Err(refused) => {
            app.say_error(format!("export: {refused}"));
            return Vec::new();
        }
    };
    let format = format.unwrap_or_else(|| Format::for_path(&path));
    if path.is_dir() {
        let stem = match (&what, app.detail.as_ref()) {
            (ExportWhat::Customer(_), Some(d)) => file_stem(&d.detail.header.id, "customer"),
            (ExportWhat::Customer(_), None) => "customer".to_string(),
            (ExportWhat::Team(_), _) => "team".to_string(),
            (ExportWhat::Plan(_), _) => "plan".to_string(),
            (ExportWhat::Queue(query, _), _) => format!("queue-{}", query.tab.name()),
        };
        path.push(format!("{stem}-{}", app.as_of));
    }
    if path.extension().is_none() {
        path.set_extension(match format {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
        });
    }
    app.say(format!("exporting to {}…", path.display()));
    let seq = app.next_seq();
    app.exports_pending.push((seq, path.clone()));
    vec![Effect::Export(Request::Export {
        seq,
        as_of: app.as_of,
        job: ExportJob { what, path, format },
    })]
}

/// Quits, unless an export is still being written: then quits once it is written (as `:wq`
/// does), and at once when asked again.
pub(super) fn quit(app: &mut App) -> Vec<Effect> {
    if let Some((_, path)) = app.exports_pending.last()
        && !app.quit_when_written
    {
        app.quit_when_written = true;
        app.say(format!(
            "writing {}… quitting once it is written (quit again to quit now)",
            path.display()
        ));
        return Vec::new();
    }
    app.quit = true;
    vec![Effect::Quit]
}

/// A name as part of a file name: letters, digits, `-` and `_` kept (lower case), anything
/// else (a `/`, a dot, a space) as `-`; `fallback` when nothing is left. A customer's id comes
/// from the billing system and may hold anything.
fn file_stem(name: &str, fallback: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_matches('-');
    if stem.is_empty() {
        fallback.to_string()
    } else {
        stem.chars().take(60).collect()
    }
}

/// An export's answer: the status line says the file and its rows, or why not; when quitting
/// waited for it and every export is written, the workstation ends.
pub(super) fn written(
    app: &mut App,
    seq: u64,
    result: Result<crate::workstation::requests::ExportDone, String>,
) -> Vec<Effect> {
    app.exports_pending.retain(|(s, _)| *s != seq);
    let failed = result.is_err();
    match result {
        Ok(done) => app.say(format!(
            "wrote {} ({} {}row{}){}{}",
            done.path.display(),
            done.rows,
            if done.marked { "marked " } else { "" },
            if done.rows == 1 { "" } else { "s" },
            if done.replaced {
                ", replacing the file that was there"
            } else {
                ""
            },
            match done.as_text {
                0 => String::new(),
                1 => " · 1 amount past Excel's 15 significant digits written as text".into(),
                n => format!(" · {n} amounts past Excel's 15 significant digits written as text"),
            }
        )),
        Err(e) if app.quit_when_written => {
            app.quit_when_written = false;
            app.say_error(format!("export: {e} · not quitting, so that you see this"));
        }
        Err(e) => app.say_error(format!("export: {e}")),
    }
    if app.quit_when_written && !failed && app.exports_pending.is_empty() {
        app.quit = true;
        return vec![Effect::Quit];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn a_file_stem_keeps_letters_digits_and_dashes_only() {
        assert_eq!(file_stem("C001428", "customer"), "c001428");
        // A billing system's id may hold anything: no folder, no dot, no escape survives.
        assert_eq!(file_stem("../../etc/passwd", "customer"), "etc-passwd");
        assert_eq!(file_stem("\u{1b}[2J.x", "customer"), "2j-x");
        assert_eq!(file_stem("Émile_03", "customer"), "émile_03");
        assert_eq!(file_stem("///", "customer"), "customer");
        assert_eq!(file_stem(&"x".repeat(300), "customer").len(), 60);
    }
}
