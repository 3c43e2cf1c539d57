//! What a key can do: every action has a name the keymap TOML uses (`run = "down"`).

/// An action of the workstation. What it does can depend on where the focus is (`down`
/// moves the queue's cursor, the chart's bar or scrolls the detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

impl Action {
    /// Every action with its keymap name.
    pub const NAMES: &[(Action, &str)] = &[
        (Action::Quit, "quit"),
        (Action::Back, "back"),
        (Action::Help, "help"),
        (Action::Redraw, "redraw"),
        (Action::Suspend, "suspend"),
        (Action::Down, "down"),
        (Action::Up, "up"),
        (Action::Top, "top"),
        (Action::Bottom, "bottom"),
        (Action::HalfPageDown, "half_page_down"),
        (Action::HalfPageUp, "half_page_up"),
        (Action::PageDown, "page_down"),
        (Action::PageUp, "page_up"),
        (Action::Open, "open"),
        (Action::Mark, "mark"),
        (Action::Filter, "filter"),
        (Action::Command, "command"),
        (Action::SortOverdue, "sort_overdue"),
        (Action::SortDays, "sort_days"),
        (Action::SortOutstanding, "sort_outstanding"),
        (Action::SortContact, "sort_contact"),
        (Action::SortName, "sort_name"),
        (Action::SortRisk, "sort_risk"),
        (Action::NextTab, "next_tab"),
        (Action::PrevTab, "prev_tab"),
        (Action::TabOverdue, "tab_overdue"),
        (Action::TabAll, "tab_all"),
        (Action::TabPromises, "tab_promises"),
        (Action::TabFollowUps, "tab_followups"),
        (Action::TabDisputes, "tab_disputes"),
        (Action::TabHighRisk, "tab_high_risk"),
        (Action::ToggleMine, "toggle_mine"),
        (Action::ChartCycle, "chart_cycle"),
        (Action::FocusChart, "focus_chart"),
        (Action::Reload, "reload"),
        (Action::Submit, "submit"),
        (Action::Cancel, "cancel"),
        (Action::Note, "note"),
        (Action::Promise, "promise"),
        (Action::Dispute, "dispute"),
        (Action::FollowUp, "followup"),
        (Action::Remind, "remind"),
        (Action::Engage, "engage"),
        (Action::Send, "send"),
        (Action::Confirm, "confirm"),
        (Action::Hold, "hold"),
        (Action::TabReplies, "tab_replies"),
        (Action::Resolve, "resolve"),
        (Action::Call, "call"),
        (Action::MarkAll, "mark_all"),
        (Action::SortCall, "sort_call"),
        (Action::Assign, "assign"),
        (Action::NextField, "next_field"),
        (Action::PrevField, "prev_field"),
        (Action::Complete, "complete"),
        (Action::CompleteBack, "complete_back"),
        (Action::EditExternal, "edit_external"),
        (Action::FocusTimeline, "focus_timeline"),
        (Action::Done, "done"),
        (Action::Void, "void"),
        (Action::Reopen, "reopen"),
        (Action::Attach, "attach"),
        (Action::ViewAttachment, "view_attachment"),
        (Action::Team, "team"),
        (Action::Noop, "noop"),
    ];

    /// The action's keymap name.
    pub fn name(self) -> &'static str {
        Action::NAMES
            .iter()
            .find(|(a, _)| *a == self)
            .map_or("noop", |(_, n)| n)
    }

    /// The action a keymap name stands for.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(a, _)| *a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for (action, name) in Action::NAMES {
            assert_eq!(Action::from_name(name), Some(*action));
            assert_eq!(action.name(), *name);
        }
        let mut names: Vec<&str> = Action::NAMES.iter().map(|(_, n)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::NAMES.len());
        assert_eq!(Action::from_name("fly"), None);
    }
}
