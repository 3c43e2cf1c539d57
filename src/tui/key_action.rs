//! What a key can do: every action has a name the keymap TOML uses (`run = "down"`).

use crate::domain::queue::Tab;

/// An action of the workstation. What it does can depend on where the focus is (`down`
/// moves the queue's cursor, the chart's bar or scrolls the detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave the workstation.
    Quit,
    /// Go back: close the detail screen or the chart focus, else clear the filter, else the
    /// marks.
    Back,
    /// Show or hide the keys.
    Help,
    /// Repaint the whole screen.
    Redraw,
    /// Give the terminal back to the shell until `fg` (Ctrl-Z, as in any terminal program).
    Suspend,
    Down,
    Up,
    Top,
    Bottom,
    HalfPageDown,
    HalfPageUp,
    PageDown,
    PageUp,
    /// Open the selected customer's detail; on the chart, filter the queue by the bar.
    Open,
    /// Mark or unmark the selected row (for actions on several customers) and move down.
    Mark,
    /// Start typing a filter.
    Filter,
    /// Start typing a command (`:sort days`).
    Command,
    SortOverdue,
    SortDays,
    SortOutstanding,
    SortContact,
    SortName,
    /// Sort by the forecast's risk (riskiest first).
    SortRisk,
    NextTab,
    PrevTab,
    TabOverdue,
    TabAll,
    TabPromises,
    #[serde(rename = "tab_followups")]
    TabFollowUps,
    TabDisputes,
    /// Customers the forecast rates high risk.
    TabHighRisk,
    /// Toggle between my customers and everyone's.
    ToggleMine,
    /// Cycle the chart: aging, outstanding vs collectable, issues by reason.
    ChartCycle,
    /// Move the focus between the queue and the chart.
    FocusChart,
    /// Re-read everything from the database.
    Reload,
    /// In a text field: apply it.
    Submit,
    /// In a text field: abandon it.
    Cancel,
    /// Log a note for the selected or marked customers (collector actions).
    Note,
    /// Record a promise to pay (collector actions).
    Promise,
    /// Open an issue / dispute (collector actions).
    Dispute,
    /// Schedule a follow-up (collector actions).
    #[serde(rename = "followup")]
    FollowUp,
    /// Send a reminder by hand: pick a template, preview, confirm.
    Remind,
    /// Open the engagement screen (today's plan, skipped, held, outbox, report).
    Engage,
    /// Send (after confirming): from the preview, or the selected plan entry now.
    Send,
    /// Yes: do the outward action the popup asks about.
    Confirm,
    /// Hold a customer back from the engagement cycles (until a date).
    Hold,
    /// The queue's Replies tab (customers with unread replies).
    TabReplies,
    /// Resolve one of the customer's open disputes (collector actions).
    Resolve,
    /// Give the customer (or the marked ones) another finance or sales owner.
    Assign,
    /// Log a call with the selected (or marked) customers: outcome, contact, follow-up.
    Call,
    /// Mark every row of the current view (tab, scope and filter).
    MarkAll,
    /// Sort by the last call (never called, then longest ago, first).
    SortCall,
    /// In a form: the next field.
    NextField,
    /// In a form: the previous field.
    PrevField,
    /// In a form: complete or cycle the choices of a field that has them, else the next field.
    Complete,
    /// In a form: cycle the choices backwards, else the previous field.
    CompleteBack,
    /// In a form: write the text in `$EDITOR`.
    EditExternal,
    /// In the detail: move the focus onto the timeline's entries (and back).
    FocusTimeline,
    /// On a timeline entry: mark the follow-up done.
    Done,
    /// On a timeline entry: void the promise.
    Void,
    /// On a timeline entry: reopen the resolved issue.
    Reopen,
    /// Attach files to the selected customer (a form with a path field).
    Attach,
    /// Open the selected customer's attachments (a picture drawn in the terminal).
    ViewAttachment,
    /// Open the team screen: every collector's figures (for managers).
    Team,
    /// Nothing: unbinds a default key in a user keymap.
    Noop,
}

/// The built-in queue tabs and the actions that show them.
const TAB_ACTIONS: [(Tab, Action); Tab::COUNT] = [
    (Tab::Overdue, Action::TabOverdue),
    (Tab::All, Action::TabAll),
    (Tab::Promises, Action::TabPromises),
    (Tab::FollowUps, Action::TabFollowUps),
    (Tab::Disputes, Action::TabDisputes),
    (Tab::Replies, Action::TabReplies),
    (Tab::HighRisk, Action::TabHighRisk),
];

impl Action {
    /// The queue tab this action shows, if it shows one.
    pub fn tab(self) -> Option<Tab> {
        TAB_ACTIONS
            .iter()
            .find(|(_, a)| *a == self)
            .map(|(t, _)| *t)
    }

    /// The action that shows queue tab `tab`.
    pub fn showing(tab: Tab) -> Action {
        TAB_ACTIONS
            .iter()
            .find(|(t, _)| *t == tab)
            .map_or(Action::TabAll, |(_, a)| *a)
    }

    /// The action a keymap name stands for (`half_page_down`): the variant's name in
    /// snake case, as serde reads it.
    pub fn from_name(name: &str) -> Option<Action> {
        use serde::Deserialize as _;
        use serde::de::IntoDeserializer as _;
        let name: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            name.into_deserializer();
        Action::deserialize(name).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tab_has_its_action_and_back() {
        for tab in Tab::ALL {
            assert_eq!(Action::showing(tab).tab(), Some(tab), "{tab:?}");
        }
        assert_eq!(Action::Quit.tab(), None);
    }

    #[test]
    fn keymap_names_are_the_variants_in_snake_case() {
        assert_eq!(Action::from_name("quit"), Some(Action::Quit));
        assert_eq!(
            Action::from_name("half_page_down"),
            Some(Action::HalfPageDown)
        );
        assert_eq!(
            Action::from_name("tab_high_risk"),
            Some(Action::TabHighRisk)
        );
        assert_eq!(
            Action::from_name("view_attachment"),
            Some(Action::ViewAttachment)
        );
        // The two names the keymap spelled before it was derived.
        assert_eq!(Action::from_name("followup"), Some(Action::FollowUp));
        assert_eq!(
            Action::from_name("tab_followups"),
            Some(Action::TabFollowUps)
        );
        assert_eq!(Action::from_name("fly"), None);
        assert_eq!(Action::from_name("Quit"), None);
        assert_eq!(Action::from_name(""), None);
    }
}
