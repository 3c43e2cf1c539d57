//! The workstation's state: what is on screen and what has been asked of the database.
//!
//! The state is plain data; [`super::update`] changes it in response to keys and answers, and
//! the view draws it. Nothing here touches the terminal or the database.

use super::forms::{ActionForm, ActionSettings};
use super::keymap::{Key, KeyContext, Keymap};
use super::theme::Theme;
use crate::domain::Date;
use crate::domain::aging::AgingBounds;
use crate::domain::queue::QueueQuery;
use crate::domain::queue::{QueuePage, QueueRow};
use crate::workstation::forecast::ForecastView;
use crate::workstation::{DetailData, Summary};
use std::collections::BTreeSet;

/// Which screen is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Metrics, chart, queue (and the detail beside it on wide terminals).
    Main,
    /// The selected customer's detail on its own.
    Detail,
    /// The engagement screen: today's plan, skipped, held, outbox, report.
    Engage,
}

/// What has the keyboard on the main screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Queue,
    Chart,
}

/// What is being typed, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// The `/` filter field.
    Filter,
    /// The `:` command line.
    Command,
    /// The `?` help popup.
    Help,
    /// A collector-action form ([`App::form`]).
    Form,
}

/// What the chart draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Open balances per aging bucket.
    Aging,
    /// Outstanding, overdue and collectable this month.
    Collectable,
    /// Open issues by reason.
    Issues,
    /// Expected receipts by week (the forecast).
    Cash,
}

impl ChartKind {
    /// The next chart in the cycle.
    pub fn next(self) -> ChartKind {
        match self {
            ChartKind::Aging => ChartKind::Collectable,
            ChartKind::Collectable => ChartKind::Issues,
            ChartKind::Issues => ChartKind::Cash,
            ChartKind::Cash => ChartKind::Aging,
        }
    }

    /// The name `:chart` takes.
    pub fn parse(text: &str) -> Option<ChartKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "aging" | "ageing" => Some(ChartKind::Aging),
            "collectable" | "outstanding" => Some(ChartKind::Collectable),
            "issues" | "disputes" | "reasons" => Some(ChartKind::Issues),
            "cash" | "forecast" | "weeks" => Some(ChartKind::Cash),
            _ => None,
        }
    }
}

/// A message on the footer line until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// A page request in flight or answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageTicket {
    pub seq: u64,
    /// The query generation it was asked for.
    pub generation: u64,
    pub offset: u64,
    pub limit: u64,
}

/// Fixed facts of the session.
#[derive(Debug, Clone)]
pub struct Session {
    pub collector: String,
    pub base_currency: String,
    pub bounds: AgingBounds,
    /// Today on this machine (for `:asof today`); figures use `App::as_of`.
    pub today: Date,
}

/// The whole state of the workstation.
#[derive(Debug, Clone)]
pub struct App {
    pub session: Session,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Every figure is as of this date.
    pub as_of: Date,
    /// The date was chosen (`--as-of`, `:asof`) rather than today: the title says so.
    pub as_of_given: bool,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub screen: Screen,
    pub focus: Focus,
    pub mode: Mode,
    /// The text field of the filter or command line.
    pub input: tui_input::Input,
    /// The filter text before `/` was pressed (Esc restores it).
    pub filter_before: String,
    pub help_scroll: u16,
    pub chart: ChartKind,
    /// The selected bar when the chart has the focus.
    pub chart_sel: usize,
    pub query: QueueQuery,
    /// Bumped whenever the query changes; pages of older generations are stale.
    pub generation: u64,
    /// The rows loaded (a window around what is shown) and the counts.
    pub page: QueuePage,
    /// The request the loaded page answered.
    pub loaded: Option<PageTicket>,
    /// A page request not answered yet.
    pub inflight: Option<PageTicket>,
    /// Absolute position of the cursor in the queue.
    pub cursor: u64,
    /// Absolute position of the first row shown.
    pub scroll: u64,
    /// Marked customers (by key), across tabs and filters.
    pub marks: BTreeSet<i64>,
    pub detail: Option<DetailData>,
    pub detail_cid: Option<i64>,
    pub detail_seq: u64,
    pub detail_scroll: u16,
    pub summary: Option<Summary>,
    /// A summary was asked for and not answered yet.
    pub summary_pending: bool,
    /// The forecast (risk, predicted dates, cash by week), once computed for a date.
    pub forecast: Option<ForecastView>,
    pub status: Option<Status>,
    /// Keys typed so far of a multi-key binding (`g` of `g g`).
    pub pending_keys: Vec<Key>,
    pub seq: u64,
    pub quit: bool,
    /// Reminders by hand, the engagement screen and its popups.
    pub engage: super::engage::EngageUi,
    /// The collector-action form being filled in ([`Mode::Form`]).
    pub form: Option<ActionForm>,
    /// What the forms take from the config.
    pub action_settings: ActionSettings,
    /// The database can only be read (the title bar says so; saves fail naming the file).
    pub read_only: bool,
}

impl App {
    /// A new workstation state; nothing is loaded until the first effects are run.
    pub fn new(
        session: Session,
        keymap: Keymap,
        theme: Theme,
        as_of: Date,
        as_of_given: bool,
    ) -> App {
        let query = QueueQuery::new(&session.collector);
        App {
            session,
            keymap,
            theme,
            as_of,
            as_of_given,
            size: (80, 24),
            screen: Screen::Main,
            focus: Focus::Queue,
            mode: Mode::Normal,
            input: tui_input::Input::default(),
            filter_before: String::new(),
            help_scroll: 0,
            chart: ChartKind::Aging,
            chart_sel: 0,
            query,
            generation: 0,
            page: QueuePage::default(),
            loaded: None,
            inflight: None,
            cursor: 0,
            scroll: 0,
            marks: BTreeSet::new(),
            detail: None,
            detail_cid: None,
            detail_seq: 0,
            detail_scroll: 0,
            summary: None,
            summary_pending: false,
            forecast: None,
            status: None,
            pending_keys: Vec::new(),
            seq: 0,
            quit: false,
            engage: super::engage::EngageUi::default(),
            form: None,
            action_settings: ActionSettings::default(),
            read_only: false,
        }
    }

    /// The keymap context of the keyboard now.
    pub fn key_context(&self) -> KeyContext {
        // A popup of the engagement (picker, preview, confirm) has the keyboard.
        let popup = self.engage.key_context();
        match self.mode {
            Mode::Filter | Mode::Command => KeyContext::Input,
            Mode::Help => KeyContext::Help,
            Mode::Form => KeyContext::Form,
            Mode::Normal => match (popup, self.screen, self.focus) {
                (Some(context), _, _) => context,
                (None, Screen::Detail, _) => KeyContext::Detail,
                (None, Screen::Engage, _) => KeyContext::Engage,
                (None, Screen::Main, Focus::Chart) => KeyContext::Chart,
                (None, Screen::Main, Focus::Queue) => KeyContext::Queue,
            },
        }
    }

    /// Whether the loaded page belongs to the current query.
    pub fn page_is_current(&self) -> bool {
        self.loaded.is_some_and(|t| t.generation == self.generation)
    }

    /// Rows in the current tab (as last counted).
    pub fn total(&self) -> u64 {
        self.page.total
    }

    /// The row at absolute position `i`, when loaded.
    pub fn row(&self, i: u64) -> Option<&QueueRow> {
        let rel = i.checked_sub(self.page.offset)?;
        self.page.rows.get(usize::try_from(rel).ok()?)
    }

    /// The row under the cursor, when loaded for the current query.
    pub fn selected(&self) -> Option<&QueueRow> {
        if self.page_is_current() {
            self.row(self.cursor)
        } else {
            None
        }
    }

    /// The customers an action applies to: the marked ones, else the selected one.
    pub fn targets(&self) -> Vec<i64> {
        if self.marks.is_empty() {
            self.selected().map(|r| vec![r.cid]).unwrap_or_default()
        } else {
            self.marks.iter().copied().collect()
        }
    }

    /// The number of bars of the current chart.
    pub fn chart_bars(&self) -> usize {
        match self.chart {
            ChartKind::Aging => self.session.bounds.len(),
            ChartKind::Collectable => 3,
            ChartKind::Issues => self.summary.as_ref().map_or(0, |s| s.issues.len()),
            ChartKind::Cash => crate::domain::forecast::cash::WEEKS,
        }
    }

    /// A new request number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}
