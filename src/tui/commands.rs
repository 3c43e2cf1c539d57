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
    does: Does,
}

/// What a command does, for help: words, or the values it takes from their own list.
enum Does {
    Text(&'static str),
    Values(fn() -> String),
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
            does: Does::Text(does),
        }
    }

    /// A command whose help lists the values it takes.
    const fn values(
        command: Command,
        names: &'static [&'static str],
        usage: &'static str,
        values: fn() -> String,
    ) -> Spec {
        Spec {
            command,
            names,
            usage,
            does: Does::Values(values),
        }
    }

    /// What it does, with the values it takes.
    pub fn help(&self) -> String {
        match self.does {
            Does::Text(text) => text.to_string(),
            Does::Values(values) => values(),
        }
    }
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|t| name(*t)).collect::<Vec<_>>().join(", ")
}

/// Every command, in the order help lists them.
pub const TABLE: &[Spec] = &[
    Spec::new(
        Command::Quit,
        &["q", "q!", "quit", "exit", "wq"],
        "",
        "quit",
    ),
    Spec::values(Command::Sort, &["sort"], "KEY [asc|desc]", || {
        names(&SortKey::ALL, SortKey::name)
    }),
    Spec::values(Command::Tab, &["tab"], "NAME", || {
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
        "every figure as of DATE: YYYY-MM-DD, today, -7d, +2w, fri",
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
         team's figures; on the engagement screen: the plan) to FILE: xlsx, or csv (not over \
         SSH)",
    ),
    Spec::values(Command::Chart, &["chart"], "[NAME]", || {
        names(&ChartKind::ALL, ChartKind::name)
    }),
    Spec::new(
        Command::Reload,
        &["reload", "e"],
        "",
        "read everything again",
    ),
    Spec::new(Command::Unmark, &["unmark"], "", "clear the marks"),
    Spec::new(
        Command::Engage,
        &["engage", "engagement"],
        "[PANE]",
        "engagement: plan, skipped, held, outbox, report",
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
    TABLE.iter().find(|s| s.names.contains(&name))
}

/// The help's rows, one per command: its call (`:sort KEY [asc|desc]`) and what it does.
pub fn help_rows() -> Vec<(String, String)> {
    TABLE
        .iter()
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
        let help: String = help_rows()
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
        assert!(help.contains("-7d"));
    }
}
