//! The `:` commands: one table that both reads a command line ([`find`]) and writes the `?`
//! help ([`help_rows`]), so that the help lists every command and every value a command
//! takes (the sort keys, tabs and charts come from their own lists).

use super::app::{CHART_OFF, ChartKind};
use super::engage::screen::Pane;
use crate::domain::queue::{SortKey, Tab};

/// What a command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Quit,
    Sort,
    Tab,
    Mine,
    All,
    AsOf,
    Filter,
    NoFilter,
    Chart,
    Reload,
    Unmark,
    Help,
    Redraw,
    Suspend,
    /// The engagement screen (`:engage [PANE]`, `:report engagement`).
    Engage,
    Hold,
    Remind,
    /// Open a saved view (`:view NAME`; alone: lists them).
    View,
    /// Save the queue as it is as a view (`:save NAME`).
    SaveView,
    /// Write what the screen shows to a file (`:export [csv] FILE`).
    Export,
    /// The team screen (`:team`; managers and auditors).
    Team,
}

/// One command: its names (the first is the one help shows), what it takes, what it does.
pub struct Spec {
    pub command: Command,
    pub names: &'static [&'static str],
    pub usage: &'static str,
    /// What it does, for help (before the values, when it takes some from a list).
    does: &'static str,
    /// The values its first word takes, from their own list: help lists them, Tab completes
    /// them.
    values: Option<fn() -> Vec<&'static str>>,
}

impl Spec {
    const fn new(
        command: Command,
        names: &'static [&'static str],
        usage: &'static str,
        does: &'static str,
    ) -> Spec {
        Spec {
            command,
            names,
            usage,
            does,
            values: None,
        }
    }

    /// A command whose help lists the values it takes after `does`.
    const fn values(
        command: Command,
        names: &'static [&'static str],
        usage: &'static str,
        does: &'static str,
        values: fn() -> Vec<&'static str>,
    ) -> Spec {
        Spec {
            values: Some(values),
            ..Spec::new(command, names, usage, does)
        }
    }

    /// What it does, with the values it takes.
    pub fn help(&self) -> String {
        match self.values {
            None => self.does.to_string(),
            Some(values) => format!("{}{}", self.does, values().join(", ")),
        }
    }
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|t| name(*t)).collect()
}

/// Every command, in the order help lists them.
pub const TABLE: &[Spec] = &[
    Spec::new(
        Command::Quit,
        &["q", "q!", "quit", "exit", "wq"],
        "",
        "quit",
    ),
    Spec::values(Command::Sort, &["sort"], "KEY [asc|desc]", "", || {
        names(&SortKey::ALL, SortKey::name)
    }),
    Spec::values(Command::Tab, &["tab"], "NAME", "", || {
        names(&Tab::ALL, Tab::name)
    }),
    Spec::new(Command::Mine, &["mine"], "", "my customers"),
    Spec::new(
        Command::All,
        &["all", "everyone"],
        "",
        "everyone's customers",
    ),
    Spec::new(
        Command::AsOf,
        &["asof", "as-of", "as_of", "date"],
        "DATE",
        "every figure as of DATE: YYYY-MM-DD, today, or -7d, +2w, fri from the date shown",
    ),
    Spec::new(
        Command::Filter,
        &["filter", "f"],
        "EXPR",
        "set the filter (alone: clears it)",
    ),
    Spec::new(
        Command::NoFilter,
        &["nofilter", "clear"],
        "",
        "clear the filter",
    ),
    Spec::new(
        Command::View,
        &["view", "views"],
        "[NAME]",
        "open a saved view (alone: lists them)",
    ),
    Spec::new(
        Command::SaveView,
        &["save"],
        "NAME",
        "save the queue's filter, sort, tab and scope as a view",
    ),
    Spec::new(
        Command::Export,
        &["export"],
        "[csv] FILE",
        "the queue as shown (on a detail: its documents, timeline; on the team screen: the \
         team's figures; on the engagement screen: the plan) to FILE: xlsx, or csv; into a \
         folder as VIEW-DATE.xlsx (over SSH: in your folder of the server's files folder)",
    ),
    Spec::values(Command::Chart, &["chart"], "[NAME]", "", || {
        let mut values = names(&ChartKind::ALL, ChartKind::name);
        values.push(CHART_OFF);
        values
    }),
    Spec::new(
        Command::Reload,
        &["reload", "e"],
        "",
        "read everything again",
    ),
    Spec::new(Command::Unmark, &["unmark"], "", "clear the marks"),
    Spec::values(
        Command::Engage,
        &["engage", "engagement"],
        "[PANE]",
        "engagement: ",
        || names(&Pane::ALL, Pane::name),
    ),
    Spec::new(
        Command::Engage,
        &["report"],
        "engagement",
        "the engagement screen's report",
    ),
    Spec::new(
        Command::Team,
        &["team"],
        "",
        "every collector's figures, as owed report team (managers)",
    ),
    Spec::new(
        Command::Hold,
        &["hold"],
        "[DATE] [WHY]",
        "hold back from the cycles until DATE (+7d; release)",
    ),
    Spec::new(
        Command::Remind,
        &["remind", "send"],
        "",
        "send a reminder by hand (as r)",
    ),
    Spec::new(Command::Help, &["help", "h"], "", "these keys and commands"),
    Spec::new(
        Command::Redraw,
        &["redraw"],
        "",
        "draw the whole screen again",
    ),
    Spec::new(
        Command::Suspend,
        &["suspend", "stop"],
        "",
        "give the terminal back to the shell (fg resumes)",
    ),
];

/// The command a name stands for.
pub fn find(name: &str) -> Option<&'static Spec> {
    // Without regard to case, as their values are (`:Sort Name`).
    TABLE
        .iter()
        .find(|s| s.names.iter().any(|n| n.eq_ignore_ascii_case(name)))
}

impl Spec {
    /// How many words the command takes at most after its name (`None`: any number, as a
    /// filter, a name or a date such as `in 2 weeks`).
    pub fn most_words(&self) -> Option<usize> {
        match self.command {
            Command::Quit
            | Command::Mine
            | Command::All
            | Command::NoFilter
            | Command::Reload
            | Command::Unmark
            | Command::Help
            | Command::Redraw
            | Command::Suspend
            | Command::Remind
            | Command::Team => Some(0),
            Command::Tab | Command::Chart => Some(1),
            Command::Sort => Some(2),
            Command::AsOf
            | Command::Filter
            | Command::Engage
            | Command::Hold
            | Command::View
            | Command::SaveView
            | Command::Export => None,
        }
    }
}

/// What Tab makes of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The line, completed as far as every choice agrees.
    pub line: String,
    /// The choices left when more than one fits (empty when one did, or none).
    pub choices: Vec<String>,
}

/// Completes the last word of a command line: a command's name while it is the only word,
/// else a value of the command's first argument (a sort key, tab, chart, pane or, for
/// `:view`, one of `views`), or a sort's direction. One fitting word is completed whole,
/// followed by a space when more may follow; several are completed as far as they agree and
/// returned as choices.
pub fn complete(line: &str, views: &[&str]) -> Completion {
    let unchanged = || Completion {
        line: line.to_string(),
        choices: Vec::new(),
    };
    let (head, word) = match line.rfind(' ') {
        Some(at) => (&line[..=at], &line[at + 1..]),
        None => ("", line),
    };
    let before: Vec<&str> = head.split_whitespace().collect();
    let (candidates, takes_more): (Vec<String>, bool) = match before.as_slice() {
        [] => {
            let mut names: Vec<String> = Vec::new();
            for spec in TABLE {
                if let Some(n) = spec.names.iter().find(|n| n.starts_with(word))
                    && !names.iter().any(|m| m == n)
                {
                    names.push(n.to_string());
                }
            }
            let usage = |name: &str| find(name).is_some_and(|s| !s.usage.is_empty());
            let more = names.len() == 1 && usage(&names[0]);
            (names, more)
        }
        [command] => {
            let Some(spec) = find(command) else {
                return unchanged();
            };
            let values: Vec<&str> = match (spec.command, spec.values) {
                (Command::View, _) => views.to_vec(),
                (_, Some(values)) => values(),
                (_, None) => return unchanged(),
            };
            let lowered = word.to_lowercase();
            let fitting = values
                .into_iter()
                .filter(|v| v.to_lowercase().starts_with(&lowered))
                .map(str::to_string)
                .collect();
            (fitting, spec.command == Command::Sort)
        }
        [command, _] if find(command).is_some_and(|s| s.command == Command::Sort) => {
            let fitting = ["asc", "desc"]
                .into_iter()
                .filter(|d| d.starts_with(&word.to_lowercase()))
                .map(str::to_string)
                .collect();
            (fitting, false)
        }
        _ => return unchanged(),
    };
    match candidates.as_slice() {
        [] => unchanged(),
        [one] => Completion {
            line: format!("{head}{one}{}", if takes_more { " " } else { "" }),
            choices: Vec::new(),
        },
        many => {
            let common = many[1..].iter().fold(many[0].clone(), |acc, c| {
                acc.chars()
                    .zip(c.chars())
                    .take_while(|(a, b)| a == b)
                    .map(|(a, _)| a)
                    .collect()
            });
            let grown = if common.chars().count() > word.chars().count() {
                common
            } else {
                word.to_string()
            };
            Completion {
                line: format!("{head}{grown}"),
                choices: many.to_vec(),
            }
        }
    }
}

/// The help's rows, one per command: its call (`:sort KEY [asc|desc]`) and what it does.
pub fn help_rows(shown: impl Fn(Command) -> bool) -> Vec<(String, String)> {
    TABLE
        .iter()
        .filter(|s| shown(s.command))
        .map(|s| {
            let call = format!(":{} {}", s.names[0], s.usage);
            (call.trim_end().to_string(), s.help())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_help_lists_every_value() {
        let mut all: Vec<&str> = TABLE.iter().flat_map(|s| s.names.iter().copied()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a name stands for one command");
        let help: String = help_rows(|_| true)
            .into_iter()
            .map(|(call, help)| format!("{call} {help}\n"))
            .collect();
        for key in SortKey::ALL {
            assert!(help.contains(key.name()), "{}", key.name());
        }
        for tab in Tab::ALL {
            assert!(help.contains(tab.name()), "{}", tab.name());
        }
        for chart in ChartKind::ALL {
            assert!(help.contains(chart.name()), "{}", chart.name());
        }
        assert!(help.contains("cash, off"), "{help}");
        assert!(help.contains("-7d"));
    }

    fn completed(line: &str) -> (String, Vec<String>) {
        let c = complete(line, &["Largest value", "Broken promises", "Big ones"]);
        (c.line, c.choices)
    }

    #[test]
    fn tab_completes_a_command_then_its_value() {
        // One command fits: whole, with a space when it takes more.
        assert_eq!(completed("exp"), ("export ".into(), vec![]));
        assert_eq!(completed("unm"), ("unmark".into(), vec![]));
        // Several: as far as they agree, and which they are.
        assert_eq!(
            completed("re"),
            (
                "re".into(),
                vec![
                    "reload".into(),
                    "report".into(),
                    "remind".into(),
                    "redraw".into()
                ]
            )
        );
        // A command's other names are not other choices.
        assert_eq!(completed("eng"), ("engage ".into(), vec![]));
        // A command's values: the sort keys take a direction after them.
        assert_eq!(completed("sort over"), ("sort overdue ".into(), vec![]));
        assert_eq!(completed("tab disp"), ("tab disputes".into(), vec![]));
        assert_eq!(completed("engage out"), ("engage outbox".into(), vec![]));
        assert_eq!(completed("chart iss"), ("chart issues".into(), vec![]));
        // Saved views by their names, whatever the case.
        assert_eq!(
            completed("view b"),
            (
                "view b".into(),
                vec!["Broken promises".into(), "Big ones".into()]
            )
        );
        assert_eq!(completed("view la"), ("view Largest value".into(), vec![]));
        // Nothing fits, or nothing to complete: the line stays.
        assert_eq!(completed("xyz"), ("xyz".into(), vec![]));
        assert_eq!(completed("asof to"), ("asof to".into(), vec![]));
        assert_eq!(
            completed("sort overdue d"),
            ("sort overdue desc".into(), vec![])
        );
        assert_eq!(
            completed("sort overdue "),
            ("sort overdue ".into(), vec!["asc".into(), "desc".into()])
        );
        assert_eq!(
            completed("sort overdue desc x"),
            ("sort overdue desc x".into(), vec![])
        );
    }
}
