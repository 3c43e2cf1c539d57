//! What a key can do: every action has a name the keymap TOML uses (`run = "down"`).

use super::keymap::KeyContext;
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

/// Where each action does something: the contexts whose dispatch in
/// [`super::update::update`] (and a form's, for [`KeyContext::Form`]) acts on it. The
/// keymap refuses an entry that runs an action in a section not listed here (it would only
/// sit in `?`); `tests/tui_keymap.rs` runs every action in every context and checks that
/// what happens agrees with this table.
mod acts {
    use super::KeyContext::{self, *};

    /// Everywhere but a form, which keeps its keys for typing.
    pub const ALL_BUT_FORM: &[KeyContext] = &[
        Queue, Chart, Detail, Timeline, Engage, Team, Send, Confirm, Help, Input,
    ];
    /// Where a list or a text scrolls.
    pub const MOVE: &[KeyContext] = &[Queue, Chart, Detail, Timeline, Engage, Team, Send, Help];
    /// Where it scrolls by pages.
    pub const PAGE: &[KeyContext] = &[Queue, Detail, Engage, Team, Send, Help];
    /// Where a popup or a screen can be left (and help opened).
    pub const BACK: &[KeyContext] = &[
        Queue, Chart, Detail, Timeline, Engage, Team, Send, Confirm, Help,
    ];
    /// Where a customer is at hand (the queue's selected row, the detail's customer).
    pub const CUSTOMER: &[KeyContext] = &[Queue, Detail];
}

impl Action {
    /// The keymap sections where this action does something (see [`acts`]); none for
    /// `noop`, which every section takes to unbind a key.
    pub fn contexts(self) -> &'static [KeyContext] {
        use KeyContext::*;
        match self {
            Action::Quit => acts::ALL_BUT_FORM,
            Action::Redraw | Action::Suspend => &KeyContext::ALL,
            Action::Back | Action::Help => acts::BACK,
            Action::Down | Action::Up | Action::Top | Action::Bottom => acts::MOVE,
            Action::HalfPageDown | Action::HalfPageUp | Action::PageDown | Action::PageUp => {
                acts::PAGE
            }
            Action::Open => &[Queue, Chart, Engage, Team, Send],
            Action::Mark | Action::ToggleMine => &[Queue, Engage],
            Action::Filter
            | Action::SortOverdue
            | Action::SortDays
            | Action::SortOutstanding
            | Action::SortContact
            | Action::SortName
            | Action::SortRisk
            | Action::SortCall
            | Action::MarkAll
            | Action::TabOverdue
            | Action::TabAll
            | Action::TabPromises
            | Action::TabFollowUps
            | Action::TabDisputes
            | Action::TabReplies
            | Action::TabHighRisk
            | Action::Team => &[Queue],
            Action::Command => &[Queue, Detail, Engage, Team],
            Action::NextTab | Action::PrevTab => &[Queue, Engage, Send],
            Action::ChartCycle | Action::FocusChart => &[Queue, Chart],
            Action::Reload => &[Queue, Engage, Team],
            Action::Submit | Action::Complete => &[Input, Form],
            Action::Cancel => &[Send, Confirm, Input, Form],
            Action::NextField | Action::PrevField | Action::CompleteBack | Action::EditExternal => {
                &[Form]
            }
            Action::Note
            | Action::Promise
            | Action::Dispute
            | Action::FollowUp
            | Action::Assign
            | Action::Call
            | Action::Attach
            | Action::Remind
            | Action::Engage
            | Action::ViewAttachment => acts::CUSTOMER,
            Action::Resolve => &[Queue, Detail, Timeline],
            Action::Hold => &[Queue, Detail, Engage],
            Action::Send => &[Engage, Send],
            Action::Confirm => &[Confirm],
            Action::FocusTimeline => &[Detail, Timeline],
            Action::Done | Action::Void | Action::Reopen => &[Timeline],
            Action::Noop => &[],
        }
    }

    /// Every action, in the order of the enum (from the names serde reads, so none is
    /// left out).
    pub fn all() -> Vec<Action> {
        variant_names()
            .iter()
            .filter_map(|name| Action::from_name(name))
            .collect()
    }

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

/// The names of [`Action`]'s variants as the keymap writes them: serde's derive hands them to
/// the deserializer it is given, which keeps them and reads nothing.
fn variant_names() -> &'static [&'static str] {
    use serde::de::{Error as _, Visitor};
    type Error = serde::de::value::Error;
    struct Names<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Names<'_> {
        type Error = Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(Error::custom("only the names are read"))
        }
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            variants: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Error> {
            *self.0 = variants;
            Err(Error::custom("only the names are read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct
            identifier ignored_any
        }
    }
    let mut names: &'static [&'static str] = &[];
    let _ = <Action as serde::Deserialize>::deserialize(Names(&mut names));
    names
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
        let all = Action::all();
        assert!(all.len() > 60, "{all:?}");
        assert_eq!(all.first(), Some(&Action::Quit));
        assert_eq!(all.last(), Some(&Action::Noop));
        assert!(all.contains(&Action::TabFollowUps) && all.contains(&Action::FollowUp));
        assert_eq!(Action::from_name("Quit"), None);
        assert_eq!(Action::from_name(""), None);
    }
}
