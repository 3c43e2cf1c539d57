//! The workstation's state: what is on screen and what has been asked of the database.
//!
//! The state is plain data; [`super::update`] changes it in response to keys and answers, and
//! the view draws it. Nothing here touches the terminal or the database.

use super::action_forms::{ActionForm, ActionSettings};
use super::key_action::Action;
use super::keymap::{Key, KeyContext, Keymap};
use super::theme::Theme;
use crate::domain::Date;
use crate::domain::aging::AgingBounds;
use crate::domain::queue::{QueuePage, QueueRow};
use crate::domain::queue::{QueueQuery, Tab, View};
use crate::workstation::forecast::ForecastView;
use crate::workstation::{DetailData, Summary};
use std::collections::{BTreeSet, VecDeque};
use std::path::PathBuf;
use std::time::Instant;

/// Which screen is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Metrics, chart, queue (and the detail beside it on wide terminals).
    Main,
    /// The selected customer's detail on its own.
    Detail,
    /// The engagement screen: today's plan, skipped, held, outbox, report.
    Engage,
    /// The team screen: every collector's figures (managers and auditors).
    Team,
}

/// A key that waits for an answer the screen is on its way to ([`App::typeahead`]): a page, a
/// detail, a form's defaults or its save. The first one waiting, then every key typed after it;
/// one that acts on the selected row waits as the action it was resolved to when pressed, with
/// the customer the screen kept selected then ([`App::follow`]: the page of a reload), if any:
/// it acts on that customer, or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    Action(Action, Option<Followed>),
    Key(crossterm::event::KeyEvent),
    Paste(String),
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
    /// The attachment viewer ([`App::viewer`]).
    Attachment,
}

/// What the chart draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Open balances per aging bucket.
    Aging,
    /// Net overdue per overdue bucket (credit set against the oldest first), beside the
    /// unutilised credit.
    Overdue,
    /// Outstanding and collectable this month, with the unutilised credit.
    Collectable,
    /// Open issues by reason, each with its share of their amount, and the follow-ups due.
    Issues,
    /// Expected receipts by week (the forecast).
    Cash,
}

impl ChartKind {
    /// Every chart, in the order `c` cycles through them.
    pub const ALL: [ChartKind; 5] = [
        ChartKind::Aging,
        ChartKind::Overdue,
        ChartKind::Collectable,
        ChartKind::Issues,
        ChartKind::Cash,
    ];

    /// The name `:chart` takes (and help shows).
    pub fn name(self) -> &'static str {
        match self {
            ChartKind::Aging => "aging",
            ChartKind::Overdue => "overdue",
            ChartKind::Collectable => "collectable",
            ChartKind::Issues => "issues",
            ChartKind::Cash => "cash",
        }
    }

    /// The last chart `c` shows before it folds the chart.
    pub const LAST: ChartKind = ChartKind::ALL[ChartKind::ALL.len() - 1];

    /// The next chart in the cycle.
    pub fn next(self) -> ChartKind {
        match self {
            ChartKind::Aging => ChartKind::Overdue,
            ChartKind::Overdue => ChartKind::Collectable,
            ChartKind::Collectable => ChartKind::Issues,
            ChartKind::Issues => ChartKind::Cash,
            ChartKind::Cash => ChartKind::Aging,
        }
    }

    /// The name `:chart` takes.
    pub fn parse(text: &str) -> Option<ChartKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "aging" | "ageing" => Some(ChartKind::Aging),
            "overdue" | "net" => Some(ChartKind::Overdue),
            "collectable" | "outstanding" => Some(ChartKind::Collectable),
            "issues" | "disputes" | "reasons" => Some(ChartKind::Issues),
            "cash" | "forecast" | "weeks" => Some(ChartKind::Cash),
            _ => None,
        }
    }
}

/// Whether the chart is shown above the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartFold {
    /// By the terminal's height (the default): folded when it would leave the queue fewer
    /// than [`QUEUE_ROWS_BESIDE_CHART`](super::view::QUEUE_ROWS_BESIDE_CHART) rows.
    Auto,
    /// Shown, whatever rows it leaves the queue, on any terminal of at least
    /// [`CHART_MIN_HEIGHT`](super::view::CHART_MIN_HEIGHT) rows (`c` or `:chart NAME` on a
    /// folded chart).
    Shown,
    /// Folded (`c` after the last chart, `:chart off`).
    Folded,
}

/// The word `:chart` takes to fold the chart.
pub const CHART_OFF: &str = "off";

/// A message on the footer line until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

impl App {
    /// Says `text` on the status line.
    pub fn say(&mut self, text: impl Into<String>) {
        self.say_status(text, false);
    }

    /// Says `text` on the status line as an error.
    pub fn say_error(&mut self, text: impl Into<String>) {
        self.say_status(text, true);
    }

    /// Says `text` on the status line, as an error when `error`.
    pub fn say_status(&mut self, text: impl Into<String>, error: bool) {
        self.status = Some(Status {
            text: text.into(),
            error,
        });
    }
}

/// A customer the queue keeps selected while its page is read again: its key and how titles
/// name it (`Acme Corp (K6)`), to say so when it has left the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    pub cid: i64,
    pub label: String,
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

/// The facts of the session: who, in what currency and buckets, and on what day.
#[derive(Debug, Clone)]
pub struct Session {
    pub collector: String,
    pub base_currency: String,
    pub bounds: AgingBounds,
    /// Today on this machine (for `:asof today`), as the loop last read it: it moves at
    /// midnight ([`super::update::today_is`]). Figures use `App::as_of`.
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
    /// The ledger's time zone, which its days (and "today") are counted in: the title names
    /// it beside the date, where there is room.
    pub time_zone: Option<String>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    pub screen: Screen,
    pub focus: Focus,
    pub mode: Mode,
    /// The text field of the filter or command line.
    pub input: tui_input::Input,
    /// The filter text before `/` was pressed (Esc restores it).
    pub filter_before: String,
    /// Where the queue's cursor and scroll were when `/` was pressed: `Esc` comes back there.
    pub filter_before_at: (u64, u64),
    pub help_scroll: u16,
    /// Where `?` was pressed: help lists that screen's keys first.
    pub help_from: KeyContext,
    pub chart: ChartKind,
    /// Whether the chart is shown (kept, as the chart's kind is, for the session).
    pub chart_fold: ChartFold,
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
    /// Keys typed while the screen waited for an answer (a page, a detail, a form's defaults or
    /// its save), to run in order when it comes.
    pub typeahead: VecDeque<Typed>,
    /// The customer selected when the current query's page was asked for again (`R`, the
    /// day moving on): the page that comes selects it again, wherever it now is. (A page of the
    /// same query answered again, after any session's save or another process's commit, keeps
    /// the customer selected on the page it replaces.)
    pub follow: Option<Followed>,
    /// The customer after the selected one when a form was saved on it: with
    /// `advance_after_action` the cursor moves on to it (the save may have moved the customer
    /// saved on in the queue's order, or out of the tab).
    pub advance_to: Option<i64>,
    /// Absolute position of the cursor in the queue.
    pub cursor: u64,
    /// Absolute position of the first row shown.
    pub scroll: u64,
    /// Marked customers (by key), across tabs and filters.
    pub marks: BTreeSet<i64>,
    pub detail: Option<DetailData>,
    pub detail_cid: Option<i64>,
    /// The customer the detail screen shows: the one it was opened on, whatever happens to
    /// the queue's rows meanwhile (a save that takes it out of the tab must not put another
    /// customer in its place).
    pub pinned: Option<i64>,
    /// The detail's timeline has the focus, with this entry selected (the detail screen).
    pub timeline: Option<usize>,
    /// The detail was opened from a tab with a reason (Replies, Follow-ups, Promises,
    /// Disputes): when it arrives, it is scrolled to that tab's entry of the timeline.
    pub land_on: Option<Tab>,
    /// The timeline's entry the detail landed on: `Tab` selects it first.
    pub landed_entry: Option<usize>,
    pub detail_seq: u64,
    /// The `detail_seq` of the last detail that came ([`App::awaiting_detail`]).
    pub detail_answered: u64,
    /// The detail's first line on screen (a customer's detail may run past 65,535 lines).
    pub detail_scroll: usize,
    /// The detail as last laid out (per customer and width), so a key does not lay out again
    /// tens of thousands of documents ([`super::view::detail::layout`]).
    pub detail_layout: super::view::detail::LayoutCache,
    /// The queue's generation (its query) the detail last landed on a filter's document for:
    /// a new filter naming a document of the customer already shown lands on it too.
    pub landed_generation: Option<u64>,
    pub summary: Option<Summary>,
    /// A summary was asked for and not answered yet.
    pub summary_pending: bool,
    /// The forecast (risk, predicted dates, cash by week), once computed for a date.
    pub forecast: Option<ForecastView>,
    /// The figures of the part of the portfolio the queue shows (its scope and filter), as
    /// last answered: the metrics bar and the charts draw them.
    pub scope: Option<crate::workstation::ScopeSummary>,
    pub status: Option<Status>,
    /// Keys typed so far of a multi-key binding (`g` of `g g`).
    pub pending_keys: Vec<Key>,
    pub seq: u64,
    pub quit: bool,
    /// Exports asked for and not answered yet: their request's seq and file.
    pub exports_pending: Vec<(u64, std::path::PathBuf)>,
    /// Quit was asked for while an export was being written: the workstation ends once the
    /// last is written (and stays, saying why, when one fails).
    pub quit_when_written: bool,
    /// Reminders by hand, the engagement screen and its popups.
    pub engage: super::engage::EngageUi,
    /// The collector-action form being filled in ([`Mode::Form`]).
    pub form: Option<ActionForm>,
    /// What the forms take from the config.
    pub action_settings: ActionSettings,
    /// The reasons an `issue:` filter term may name, read when the session began: the
    /// config's, the deductions' and every recorded issue's (the filter also takes those of
    /// the issues the figures show since).
    pub issue_reasons: Vec<String>,
    /// Forms closed with something typed, kept for when they are opened again.
    pub drafts: super::action_forms::Drafts,
    /// The database can only be read (the title bar says so; saves fail naming the file).
    pub read_only: bool,
    /// Who the session acts as (set when it starts): a form, a reminder or a hold its role may
    /// not write on a customer is refused at the key, before anything is typed (the store's
    /// transaction still decides; `None`: nothing is refused here).
    pub actor: Option<crate::domain::users::Actor>,
    /// Where its files are (`:export`, the attach form): the session's, set when it starts.
    pub files: crate::workstation::FileAccess,
    /// The screen is a session over SSH: it has no `$EDITOR` and cannot be suspended, so those
    /// keys are not offered (pressed, they say why).
    pub remote: bool,
    /// The terminal draws in ASCII (no UTF-8 locale): what names keys or compares says it in
    /// ASCII words and signs, since the cell-by-cell fallback would make `↓` a `v` (a key)
    /// and `≤` a `<` (another meaning).
    pub ascii: bool,
    /// Saved views (`[[view]]` in the config), shown as tabs after the built-in ones.
    pub views: Vec<View>,
    /// The view the queue shows (while its query is the view's).
    pub view: Option<usize>,
    /// The filter the queue had before a saved view was opened: leaving the view for a
    /// built-in tab brings it back (the view's filter is the view's).
    pub filter_before_view: Option<crate::domain::queue::QueueFilter>,
    /// Where `:save` writes views (`None`: it cannot here).
    pub views_file: Option<PathBuf>,
    /// The `*` request in flight (its answer marks the rows).
    pub keys_seq: Option<u64>,
    /// The request in flight for the keys of the customers of the queue's scope, after the
    /// data changed: the marks on customers no longer among them are dropped.
    pub marks_seq: Option<u64>,
    /// The attachment viewer, when open ([`Mode::Attachment`]).
    pub viewer: Option<super::viewer::Viewer>,
    /// `v` was pressed on this customer before its detail was loaded (on a queue too narrow
    /// to show it): the viewer opens when the detail comes, if the customer is still the one
    /// selected.
    pub view_when_loaded: Option<i64>,
    /// How pictures are drawn in this terminal; `None`: the terminal is asked when a picture
    /// is first opened ([`super::update::Effect::AskGraphics`]).
    pub graphics: Option<super::graphics::Protocol>,
    /// The size of a cell in the terminal's pixels (width, height), when it says; (0, 0): it
    /// does not (the service then takes 10 × 20).
    pub cell_pixels: (u16, u16),
    /// The team screen's figures and selection.
    pub team: super::team::TeamScreen,
    /// When the loop woke for what it is handling now: the state's one clock (the team
    /// screen's least interval between automatic refreshes reads it). The loop sets it
    /// before each batch of events; tests set it as they please.
    pub now: Instant,
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
            time_zone: None,
            size: (80, 24),
            screen: Screen::Main,
            focus: Focus::Queue,
            mode: Mode::Normal,
            input: tui_input::Input::default(),
            filter_before: String::new(),
            filter_before_at: (0, 0),
            help_scroll: 0,
            help_from: KeyContext::Queue,
            chart: ChartKind::Aging,
            chart_fold: ChartFold::Auto,
            chart_sel: 0,
            query,
            generation: 0,
            page: QueuePage::default(),
            loaded: None,
            inflight: None,
            typeahead: VecDeque::new(),
            follow: None,
            advance_to: None,
            cursor: 0,
            scroll: 0,
            marks: BTreeSet::new(),
            detail: None,
            detail_cid: None,
            pinned: None,
            timeline: None,
            land_on: None,
            landed_entry: None,
            detail_seq: 0,
            detail_answered: 0,
            detail_scroll: 0,
            detail_layout: Default::default(),
            landed_generation: None,
            summary: None,
            summary_pending: false,
            forecast: None,
            scope: None,
            status: None,
            pending_keys: Vec::new(),
            seq: 0,
            quit: false,
            exports_pending: Vec::new(),
            quit_when_written: false,
            engage: super::engage::EngageUi::default(),
            form: None,
            action_settings: ActionSettings::default(),
            issue_reasons: Vec::new(),
            drafts: super::action_forms::Drafts::default(),
            read_only: false,
            actor: None,
            files: crate::workstation::FileAccess::own(),
            remote: false,
            ascii: false,
            views: Vec::new(),
            view: None,
            filter_before_view: None,
            views_file: None,
            keys_seq: None,
            marks_seq: None,
            viewer: None,
            view_when_loaded: None,
            graphics: Some(super::graphics::Protocol::HalfBlocks),
            cell_pixels: (0, 0),
            team: super::team::TeamScreen::default(),
            now: Instant::now(),
        }
    }

    /// The keymap context of the keyboard now.
    pub fn key_context(&self) -> KeyContext {
        // A popup of the engagement (picker, preview, confirm) has the keyboard.
        let popup = self.engage.key_context();
        match self.mode {
            Mode::Filter | Mode::Command => KeyContext::Input,
            Mode::Help | Mode::Attachment => KeyContext::Help,
            Mode::Form => KeyContext::Form,
            Mode::Normal => match (popup, self.screen, self.focus) {
                (Some(context), _, _) => context,
                (None, Screen::Detail, _) if self.timeline.is_some() => KeyContext::Timeline,
                (None, Screen::Detail, _) => KeyContext::Detail,
                (None, Screen::Engage, _) => KeyContext::Engage,
                (None, Screen::Team, _) => KeyContext::Team,
                (None, Screen::Main, Focus::Chart) => KeyContext::Chart,
                (None, Screen::Main, Focus::Queue) => KeyContext::Queue,
            },
        }
    }

    /// Opens the `?` help, at the keys of where the keyboard is now.
    pub fn open_help(&mut self) {
        let from = self.key_context();
        if from != KeyContext::Help {
            self.help_from = from;
        }
        self.mode = Mode::Help;
        self.help_scroll = 0;
    }

    /// Whether a key's action does something in a context now; the footer offers only those.
    /// On the timeline, done/void/resolve/reopen apply to the selected entry's kind; on the
    /// engagement screen, previewing, sending and marking need a reminder in the plan; a form
    /// or a reminder the user's role may not write on the customers is not offered (the key
    /// still says why).
    pub fn offers(&self, context: KeyContext, action: Action) -> bool {
        if !self.has_terminal_for(action) {
            return false;
        }
        let may = |work| self.refusal(work, &self.targets()).is_none();
        match context {
            KeyContext::Timeline => match action {
                Action::Done | Action::Void | Action::Resolve | Action::Reopen => {
                    let record = self
                        .detail
                        .as_ref()
                        .zip(self.timeline)
                        .and_then(|(d, at)| d.detail.activity.get(at))
                        .and_then(|e| e.record);
                    super::action_forms::record_form(action, record).is_some_and(|k| may(k.work()))
                }
                _ => true,
            },
            _ if action == Action::Remind => may(crate::domain::users::Work::ManualReminder),
            // Not offered where they would only say there is nothing to act on: the row
            // shown has no open issue, the detail shown no attachment (while it loads, they
            // are).
            _ if action == Action::Resolve
                && !self.acts_on_marks()
                && self.selected().is_some_and(|r| r.open_issues == 0) =>
            {
                false
            }
            _ if action == Action::ViewAttachment => self
                .shown_detail()
                .is_none_or(|d| !d.detail.attachments.is_empty()),
            _ if let Some(kind) = super::action_forms::kind_of(action) => may(kind.work()),
            // From a planned reminder's preview, `Enter` and `s` go on to send it now: a
            // manager's, as `s` on the plan.
            KeyContext::Send
                if matches!(action, Action::Send | Action::Open)
                    && self
                        .engage
                        .flow
                        .as_ref()
                        .is_some_and(|f| f.previews_planned()) =>
            {
                self.refusal(crate::domain::users::Work::EngagementRun, &[])
                    .is_none()
            }
            KeyContext::Engage => {
                use crate::domain::users::Work;
                self.engage.screen.offers(action)
                    && match action {
                        Action::Send => may(Work::EngagementRun),
                        Action::Hold => may(Work::Hold),
                        _ => true,
                    }
            }
            // Tab completes on the command line, not in the filter.
            KeyContext::Input => action != Action::Complete || self.mode == Mode::Command,
            _ => true,
        }
    }

    /// Whether the user's role may ever do what `action` asks, on some customer: help lists
    /// only those (an auditor no form, a collector no team screen); whose customer it is is
    /// for the footer and the key to say.
    pub fn role_allows(&self, context: KeyContext, action: Action) -> bool {
        use crate::domain::users::Work;
        let work = match action {
            Action::Team => {
                return self
                    .actor
                    .as_ref()
                    .is_none_or(|a| crate::domain::users::may_see_team(a).is_ok());
            }
            // `s` runs the plan on the engagement screen, sends the previewed one in the send flow.
            Action::Send if context == KeyContext::Engage => Work::EngagementRun,
            Action::Remind | Action::Send => Work::ManualReminder,
            Action::Hold => Work::Hold,
            _ => match super::action_forms::kind_of(action) {
                Some(kind) => kind.work(),
                None => return true,
            },
        };
        self.role_may(work)
    }

    /// Whether the user's role may do `work` at all: a manager all, an auditor none, a
    /// collector the collectors' work (on the customers they own).
    pub fn role_may(&self, work: crate::domain::users::Work) -> bool {
        use crate::domain::users::Role;
        self.actor.as_ref().is_none_or(|a| match a.role {
            Role::Manager => true,
            Role::Auditor => false,
            Role::Collector => work.is_collectors(),
        })
    }

    /// Whether this screen's terminal can do what `action` asks of it: over SSH there is no
    /// `$EDITOR` to run and no shell to suspend to.
    pub fn has_terminal_for(&self, action: Action) -> bool {
        !(self.remote && matches!(action, Action::Suspend | Action::EditExternal))
    }

    /// Whether the loaded page belongs to the current query.
    pub fn page_is_current(&self) -> bool {
        self.loaded.is_some_and(|t| t.generation == self.generation)
    }

    /// Whether the detail of the customer shown is asked for and not here yet (the detail on
    /// screen, if any, is of the customer shown before).
    pub fn awaiting_detail(&self) -> bool {
        self.detail_cid.is_some() && self.detail_answered != self.detail_seq
    }

    /// Whether the page of the current query is asked for and not here yet: the rows on
    /// screen are the last query's (a filter typed a key ago), and which one is selected is
    /// not known until it comes.
    pub fn awaiting_page(&self) -> bool {
        !self.page_is_current()
            && self
                .inflight
                .is_some_and(|t| t.generation == self.generation)
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

    /// The selected customer as [`App::follow`] keeps it.
    pub fn followed(&self) -> Option<Followed> {
        self.selected().map(|r| Followed {
            cid: r.cid,
            label: format!("{} ({})", r.name, r.id),
        })
    }

    /// The row under the cursor, when loaded for the current query.
    pub fn selected(&self) -> Option<&QueueRow> {
        if self.page_is_current() {
            self.row(self.cursor)
        } else {
            None
        }
    }

    /// The customer whose detail is asked for: the selected one, else the one open.
    pub fn detail_customer(&self) -> Option<i64> {
        self.selected().map(|r| r.cid).or(self.detail_cid)
    }

    /// The detail of [`App::detail_customer`], once it is loaded.
    pub fn shown_detail(&self) -> Option<&DetailData> {
        let cid = self.detail_customer()?;
        // Not the one before while the next is asked for.
        self.detail
            .as_ref()
            .filter(|d| self.detail_cid == Some(cid) && d.detail.header.cid == cid)
    }

    /// Whether an action acts on the marked customers: marks are set and the queue is shown
    /// (the detail screen acts on the customer it shows, and leaves the marks as they are).
    pub fn acts_on_marks(&self) -> bool {
        self.screen != Screen::Detail && !self.marks.is_empty()
    }

    /// The customers an action applies to: in the detail screen the customer shown, else the
    /// marked ones (those on the page first, in its order: the form names the first), else
    /// the selected one.
    pub fn targets(&self) -> Vec<i64> {
        if self.screen == Screen::Detail {
            return self.pinned.or(self.detail_cid).into_iter().collect();
        }
        if !self.acts_on_marks() {
            return self.selected().map(|r| vec![r.cid]).unwrap_or_default();
        }
        let on_page: std::collections::HashMap<i64, usize> = self
            .page
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.cid, i))
            .collect();
        let mut cids: Vec<i64> = self.marks.iter().copied().collect();
        cids.sort_by_key(|cid| (on_page.get(cid).copied().unwrap_or(usize::MAX), *cid));
        cids
    }

    /// The customer `cid` as titles name it, `Acme Corp (K6)`, when the screen knows it (the
    /// detail shown, or a loaded row).
    pub fn label(&self, cid: i64) -> Option<String> {
        if let Some(d) = self.detail.as_ref().filter(|d| d.detail.header.cid == cid) {
            let h = &d.detail.header;
            return Some(format!("{} ({})", h.name, h.id));
        }
        self.page
            .rows
            .iter()
            .find(|r| r.cid == cid)
            .map(|r| format!("{} ({})", r.name, r.id))
    }

    /// Why the session's user may not do `work` on one of `cids`: the date on screen is after
    /// today (a write is dated today or earlier: [`App::after_today`]), or the user's role, as
    /// the store would refuse it ("alice (collector) may not write on K2: its finance owner is
    /// bob"), for the customers whose owner the screen knows (the detail shown, a loaded row);
    /// a role's refusal names no customer. `None` when nothing known stands in the way.
    pub fn refusal(&self, work: crate::domain::users::Work, cids: &[i64]) -> Option<String> {
        use crate::domain::users::{Role, Target, Work, may};
        // Marking replies read as they are opened dates nothing: a view of any date does it.
        if work != Work::ReadReplies
            && let Err(why) = crate::domain::action_checks::dated_by_today(
                self.as_of,
                self.session.today,
                crate::domain::action_checks::AsOfFrom::Workstation,
            )
        {
            return Some(why);
        }
        let actor = self.actor.as_ref()?;
        // The customer as the detail or the queue's row knows it.
        let target = |cid: i64| -> Option<Target<'_>> {
            let (customer_id, finance_owner) = match self
                .detail
                .as_ref()
                .map(|d| &d.detail.header)
                .filter(|h| h.cid == cid)
            {
                Some(h) => (h.id.as_str(), h.finance_owner.as_deref()),
                None => {
                    let row = self.page.rows.iter().find(|r| r.cid == cid)?;
                    (row.id.as_str(), row.finance_owner.as_deref())
                }
            };
            Some(Target {
                customer_id,
                finance_owner,
            })
        };
        // A manager's work, or an auditor's session: whoever the customers are (the sentence
        // names the first, as the command line's does).
        if actor.role != Role::Collector || !work.is_collectors() {
            let first = cids.first().and_then(|&cid| target(cid));
            return may(actor, work, first).err();
        }
        cids.iter()
            .find_map(|&cid| may(actor, work, Some(target(cid)?)).err())
    }

    /// The date on screen is after today: a view of that day, read-only (the title says so,
    /// and the keys that write are refused, naming both dates).
    pub fn after_today(&self) -> bool {
        self.as_of > self.session.today
    }

    /// Whether [`App::refusal`] refuses `work` on `cids`; if so, the footer says why.
    pub fn refused(&mut self, work: crate::domain::users::Work, cids: &[i64]) -> bool {
        match self.refusal(work, cids) {
            Some(why) => {
                self.say_error(why);
                true
            }
            None => false,
        }
    }

    /// The figures of the queue's scope and filter as of the date on screen, once answered
    /// (none while a new scope or filter is being counted).
    pub fn scoped(&self) -> Option<&crate::workstation::ScopeSummary> {
        self.scope
            .as_ref()
            .filter(|s| s.as_of == self.as_of && s.is_for(&self.query))
    }

    /// The figures the metrics bar and the chart draw: the queue's scope and filter's
    /// ([`App::scoped`]), else, while those are being counted (a filter typed, changed or
    /// cleared, the scope switched), the last ones answered as of the same date, `true`: not
    /// the queue's, drawn dimmed until its own arrive (blanked to "loading…" for the moment
    /// each keystroke took, the bar and the chart flickered). None of another date.
    pub fn shown_scope(&self) -> Option<(&crate::workstation::ScopeSummary, bool)> {
        self.scope
            .as_ref()
            .filter(|s| s.as_of == self.as_of)
            .map(|s| (s, !s.is_for(&self.query)))
    }

    /// The number of bars of the current chart.
    pub fn chart_bars(&self) -> usize {
        match self.chart {
            // The overdue buckets, then the unutilised credit.
            ChartKind::Aging | ChartKind::Overdue => self.session.bounds.len(),
            ChartKind::Collectable => 3,
            ChartKind::Issues => super::view::chart::issue_rows(self).len(),
            ChartKind::Cash => crate::domain::forecast::cash::WEEKS,
        }
    }

    /// The view the queue shows now: the one chosen last, while the query is still its.
    pub fn current_view(&self) -> Option<&View> {
        self.view
            .and_then(|i| self.views.get(i))
            .filter(|v| v.shown_by(&self.query))
    }

    /// A new request number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}
