//! The `:` commands: one table that both reads a command line ([`find`]) and writes the `?`
//! help ([`help_lines`]), so that the help lists every command and every value a command
//! takes (the sort keys, tabs and charts come from their own lists).

use super::app::ChartKind;
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
    /// What it does, with the values it takes.
    pub help: fn() -> String,
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|t| name(*t)).collect::<Vec<_>>().join(", ")
}

/// Every command, in the order help lists them.
pub const TABLE: &[Spec] = &[
    Spec {
        command: Command::Quit,
        names: &["q", "q!", "quit", "exit", "wq"],
        usage: "",
        help: || "quit".into(),
    },
    Spec {
        command: Command::Sort,
        names: &["sort"],
        usage: "KEY [asc|desc]",
        help: || names(&SortKey::ALL, SortKey::name),
    },
    Spec {
        command: Command::Tab,
        names: &["tab"],
        usage: "NAME",
        help: || names(&Tab::ALL, Tab::name),
    },
    Spec {
        command: Command::Mine,
        names: &["mine"],
        usage: "",
        help: || "my customers".into(),
    },
    Spec {
        command: Command::All,
        names: &["all", "everyone"],
        usage: "",
        help: || "everyone's customers".into(),
    },
    Spec {
        command: Command::AsOf,
        names: &["asof", "as-of", "as_of", "date"],
        usage: "DATE",
        help: || "every figure as of DATE: YYYY-MM-DD, today, -7d, +2w, fri".into(),
    },
    Spec {
        command: Command::Filter,
        names: &["filter", "f"],
        usage: "EXPR",
        help: || "set the filter (alone: clears it)".into(),
    },
    Spec {
        command: Command::NoFilter,
        names: &["nofilter", "clear"],
        usage: "",
        help: || "clear the filter".into(),
    },
    Spec {
        command: Command::View,
        names: &["view", "views"],
        usage: "[NAME]",
        help: || "open a saved view (alone: lists them)".into(),
    },
    Spec {
        command: Command::SaveView,
        names: &["save"],
        usage: "NAME",
        help: || "save the queue's filter, sort, tab and scope as a view".into(),
    },
    Spec {
        command: Command::Export,
        names: &["export"],
        usage: "[csv] FILE",
        help: || {
            "the queue as shown (on a detail: its documents, timeline) to FILE: xlsx, or csv \
             (not over SSH)"
                .into()
        },
    },
    Spec {
        command: Command::Chart,
        names: &["chart"],
        usage: "[NAME]",
        help: || names(&ChartKind::ALL, ChartKind::name),
    },
    Spec {
        command: Command::Reload,
        names: &["reload", "e"],
        usage: "",
        help: || "read everything again".into(),
    },
    Spec {
        command: Command::Unmark,
        names: &["unmark"],
        usage: "",
        help: || "clear the marks".into(),
    },
    Spec {
        command: Command::Engage,
        names: &["engage", "engagement"],
        usage: "[PANE]",
        help: || "engagement: plan, skipped, held, outbox, report".into(),
    },
    Spec {
        command: Command::Engage,
        names: &["report"],
        usage: "engagement",
        help: || "the engagement screen's report".into(),
    },
    Spec {
        command: Command::Team,
        names: &["team"],
        usage: "",
        help: || "every collector's figures, as owed report team (managers)".into(),
    },
    Spec {
        command: Command::Hold,
        names: &["hold"],
        usage: "[DATE] [WHY]",
        help: || "hold back from the cycles until DATE (+7d; release)".into(),
    },
    Spec {
        command: Command::Remind,
        names: &["remind", "send"],
        usage: "",
        help: || "send a reminder by hand (as r)".into(),
    },
    Spec {
        command: Command::Help,
        names: &["help", "h"],
        usage: "",
        help: || "these keys and commands".into(),
    },
    Spec {
        command: Command::Redraw,
        names: &["redraw"],
        usage: "",
        help: || "draw the whole screen again".into(),
    },
    Spec {
        command: Command::Suspend,
        names: &["suspend", "stop"],
        usage: "",
        help: || "give the terminal back to the shell (fg resumes)".into(),
    },
];

/// The command a name stands for.
pub fn find(name: &str) -> Option<&'static Spec> {
    TABLE.iter().find(|s| s.names.contains(&name))
}

/// The help's lines, one per command: `:sort KEY [asc|desc]  overdue, days, …`.
pub fn help_lines() -> Vec<String> {
    TABLE
        .iter()
        .map(|s| {
            let call = format!(":{} {}", s.names[0], s.usage);
            format!("{:<21}{}", call.trim_end(), (s.help)())
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
        let help = help_lines().join("\n");
        for key in SortKey::ALL {
            assert!(help.contains(key.name()), "{}", key.name());
        }
        for tab in Tab::ALL {
            assert!(help.contains(tab.name()), "{}", tab.name());
        }
        for chart in ChartKind::ALL {
            assert!(help.contains(chart.name()), "{}", chart.name());
        }
        assert!(help.contains("-7d"));
    }
}
