//! The collector's queue: which customers it shows (tab, scope, filter) and in what order.
//!
//! Pure: the filter language is parsed here into [`Predicate`]s that the store turns into SQL.
//!
//! # Filter language
//! Terms separated by spaces, all of which must hold:
//! - a bare word (`acme`, `"moss & sons"` in quotes) matches the customer's name or id
//!   (accents and case aside: [`super::text::fold`]), or
//!   is the number or id of one of its documents (`A2026-0016412`, `inv-0016412`: the whole
//!   of it, without regard to case); a quoted text is such a word whatever it holds
//!   (`"Zeta: Holdings"`, `"Z:5"`: a `:` or an operator in quotes is not a key's);
//! - `note:approval` (`note:"payment run"`): a note or a call's note of the customer holds
//!   every word (see [`super::search`]: from three letters, as the start of a word too);
//!   `text:` the same
//!   over everything written about the customer: notes, calls, replies (subject and body),
//!   issues (their text and resolutions), promises' and follow-ups' texts;
//! - `owner:alice` (finance owner; `owner:none` for none), `currency:EUR` (the customer's
//!   currency, the base currency for a customer without one; also `cur:`); `promise:broken` (the latest promise's state: `open`, `due`,
//!   `broken`, or `none`: none, or the latest kept or voided; any other word is refused);
//! - `issue:pricing` (an open issue of that reason, lowered in every script; the reason must
//!   be a known one: [`QueueFilter::check_issue_reasons`], beside the parse, where the
//!   reasons are known);
//! - `bucket:31-60` (any amount in that aging bucket, by its label), `bucket:90+` (something
//!   more than 90 days overdue); `net:31-60`, `net:90+` (net overdue there, `N+` from a
//!   bucket's first day);
//! - comparisons `overdue>5000`, `outstanding<=100`, `net>0`, `credit>0`, `collectable>0`
//!   (amounts in the base currency; `1.5k`, `2m`, `1b`, `3t`; a comma only between thousands:
//!   `1,500,000`), `days>=60` (days past due of the oldest item),
//!   `call>14` (days since the last call; a customer never called counts as called longest
//!   ago: it passes `>`, `>=` and `!=`, never `<`, `<=` or `=`), with `< <= > >= = !=`.

use super::aging::AgingBounds;
use super::forecast::RiskLevel;
use super::{Date, Decimal};

/// The queue's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    /// Customers with something overdue (the default).
    Overdue,
    /// Every customer.
    All,
    /// Customers whose latest promise to pay is due (its date reached, not kept) or broken.
    Promises,
    /// Customers with a follow-up due on or before the as-of date.
    FollowUps,
    /// Customers with an open issue / dispute.
    Disputes,
    /// Customers with replies to reminders nobody has read yet.
    Replies,
    /// Customers the forecast rates high risk (see `domain::forecast::risk`).
    HighRisk,
}

impl Tab {
    /// How many tabs there are.
    pub const COUNT: usize = 7;

    /// Every tab, in display order.
    pub const ALL: [Tab; Tab::COUNT] = [
        Tab::Overdue,
        Tab::All,
        Tab::Promises,
        Tab::FollowUps,
        Tab::Disputes,
        Tab::Replies,
        Tab::HighRisk,
    ];

    /// The tab's position in [`Tab::ALL`].
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|&t| t == self).unwrap_or(0)
    }

    /// The title shown on the tab.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Overdue => "Overdue",
            Tab::All => "All",
            Tab::Promises => "Promises",
            Tab::FollowUps => "Follow-ups",
            Tab::Disputes => "Disputes",
            Tab::Replies => "Replies",
            Tab::HighRisk => "High risk",
        }
    }

    /// A shorter title, for when the tabs do not fit.
    pub fn short(self) -> &'static str {
        match self {
            Tab::Overdue => "Overdue",
            Tab::All => "All",
            Tab::Promises => "P2P",
            Tab::FollowUps => "F-up",
            Tab::Disputes => "Disp",
            Tab::Replies => "Repl",
            Tab::HighRisk => "Risk",
        }
    }

    /// The name used on the command line (`:tab disputes`).
    pub fn name(self) -> &'static str {
        match self {
            Tab::Overdue => "overdue",
            Tab::All => "all",
            Tab::Promises => "promises",
            Tab::FollowUps => "followups",
            Tab::Disputes => "disputes",
            Tab::Replies => "replies",
            Tab::HighRisk => "risk",
        }
    }

    /// Every tab's name, for a sentence: `overdue, all, …, risk`.
    pub fn names() -> String {
        Tab::ALL.map(Tab::name).join(", ")
    }

    /// Reads a tab name, accepting a few spellings (`follow-ups`, `dispute`, `p2p`).
    pub fn parse(text: &str) -> Option<Tab> {
        let t = text.trim().to_ascii_lowercase().replace(['-', '_'], "");
        Some(match t.as_str() {
            "overdue" => Tab::Overdue,
            "all" => Tab::All,
            "promises" | "promise" | "p2p" => Tab::Promises,
            "followups" | "followup" => Tab::FollowUps,
            "disputes" | "dispute" | "issues" => Tab::Disputes,
            "replies" | "reply" | "inbox" => Tab::Replies,
            "risk" | "highrisk" | "high" | "risky" => Tab::HighRisk,
            _ => return None,
        })
    }
}

/// What the queue is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// Overdue amount (largest first by default).
    Overdue,
    /// Days past due of the oldest open item (oldest first by default).
    Days,
    /// Outstanding amount (largest first by default).
    Outstanding,
    /// Date of the last contact (longest ago, never contacted first, by default).
    LastContact,
    /// Name (A to Z by default).
    Name,
    /// The forecast's risk score, then the overdue amount (riskiest first by default).
    Risk,
    /// Date of the last call (never called, then longest ago, first by default).
    LastCall,
}

impl SortKey {
    /// Every key, in display order.
    pub const ALL: [SortKey; 7] = [
        SortKey::Overdue,
        SortKey::Days,
        SortKey::Outstanding,
        SortKey::LastContact,
        SortKey::Name,
        SortKey::Risk,
        SortKey::LastCall,
    ];

    /// Whether this key sorts descending when first chosen.
    pub fn descending_by_default(self) -> bool {
        matches!(
            self,
            SortKey::Overdue | SortKey::Days | SortKey::Outstanding | SortKey::Risk
        )
    }

    /// The name used on the command line (`:sort overdue`).
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Overdue => "overdue",
            SortKey::Days => "days",
            SortKey::Outstanding => "outstanding",
            SortKey::LastContact => "contact",
            SortKey::Name => "name",
            SortKey::Risk => "risk",
            SortKey::LastCall => "call",
        }
    }

    /// Every key's name, for a sentence: `overdue, days, …, call`.
    pub fn names() -> String {
        SortKey::ALL.map(SortKey::name).join(", ")
    }

    /// Reads a sort key name (`overdue`, `days`, `outstanding`, `contact`, `name`, `risk`,
    /// `call`).
    pub fn parse(text: &str) -> Option<SortKey> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "overdue" | "amount" => SortKey::Overdue,
            "days" | "age" | "oldest" => SortKey::Days,
            "outstanding" | "open" => SortKey::Outstanding,
            "contact" | "last_contact" | "lastcontact" | "last-contact" => SortKey::LastContact,
            "name" => SortKey::Name,
            "risk" | "score" => SortKey::Risk,
            "call" | "last_call" | "lastcall" | "last-call" | "called" => SortKey::LastCall,
            _ => return None,
        })
    }
}

/// Whose customers the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Customers whose finance owner is the current collector.
    Mine,
    /// Every collector's customers.
    Everyone,
}

/// An amount field of the queue that filters compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AmountField {
    Overdue,
    Outstanding,
    NetOverdue,
    /// Unutilised credit plus unapplied cash.
    Credit,
    CollectableThisMonth,
    /// Unutilised credit alone (credit notes not applied yet).
    Unutilised,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Cmp {
    /// The SQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Eq => "=",
            Cmp::Ne => "<>",
        }
    }

    /// Whether `a` compares to `b` so (what [`Cmp::sql`] means in SQL).
    pub fn holds(self, a: i64, b: i64) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
        }
    }
}

/// What a text search (`note:`, `text:`) looks through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchScope {
    /// Notes and calls' notes (`note:`).
    Notes,
    /// Everything written about the customer (`text:`): notes, calls, replies, issues and
    /// their resolutions, promises' and follow-ups' texts.
    All,
}

/// Which state of the customer's latest promise `promise:` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromiseSel {
    /// No promise, or the latest was kept or voided.
    None,
    /// Promised for a date still ahead.
    Open,
    /// Its date has come, not kept yet (grace running).
    Due,
    /// Broken (or only partly kept).
    Broken,
}

/// Which aging the `bucket:` term asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BucketSel {
    /// Some amount in this bucket (index into [`AgingBounds::labels`]).
    Index(usize),
    /// Something more than this many days overdue.
    Over(i64),
}

/// One condition of a filter; a filter holds when all its predicates do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Predicate {
    /// Name or id contains this text (accents and case aside), or it is the number or id of
    /// one of the customer's documents (case-insensitive).
    Text(String),
    /// Activity holding every word of this text (see [`super::search`]).
    Search(SearchScope, String),
    /// Finance owner is this name (case-insensitive); `None` for customers without one.
    Owner(Option<String>),
    /// The customer's currency.
    Currency(String),
    /// An amount compared to a number in the base currency.
    Amount(AmountField, Cmp, Decimal),
    /// Days past due of the oldest open item compared to a number.
    Days(Cmp, i64),
    /// Aging bucket.
    Bucket(BucketSel),
    /// Days since the last call (as of the queue's date) compared to a number; never called
    /// passes `>`, `>=` and `!=` only.
    CallDays(Cmp, i64),
    /// The state of the latest promise.
    Promise(PromiseSel),
    /// Some net overdue in one of these buckets (indices into [`AgingBounds::labels`]):
    /// overdue there once the customer's credit is set against its oldest overdue buckets.
    /// One for `net:31-60`, those from a bucket on for `net:60+`.
    NetBucket(std::ops::RangeInclusive<usize>),
    /// An open issue of this reason (lowered in every script: `issue:QUALITÉ` finds
    /// `Qualité`).
    Issue(String),
}

impl Predicate {
    /// Whether a collector's action can change what this predicate lets through: a text
    /// search, the days since the last call, the state of the latest promise, the open
    /// issues.
    pub fn follows_actions(&self) -> bool {
        matches!(
            self,
            Predicate::Search(..)
                | Predicate::CallDays(..)
                | Predicate::Promise(_)
                | Predicate::Issue(_)
        )
    }
}

/// A parsed filter: the text as typed and its predicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct QueueFilter {
    pub text: String,
    pub predicates: Vec<Predicate>,
}

impl QueueFilter {
    /// True when the filter lets everything through.
    pub fn is_empty(&self) -> bool {
        self.predicates.is_empty()
    }

    /// Parses filter text (see the module docs). The error is one sentence for the status line.
    pub fn parse(text: &str, bounds: &AgingBounds) -> Result<QueueFilter, String> {
        super::search::check_length(text)?;
        let mut predicates = Vec::new();
        for term in typed_terms(text)? {
            predicates.push(parse_term(&term, bounds)?);
        }
        Ok(QueueFilter {
            text: text.trim().to_string(),
            predicates,
        })
    }

    /// Refuses an `issue:` reason that is none of `known` (without regard to case, in every
    /// script), naming them: a mistyped reason matched nothing, as if no customer had one.
    /// `known` is the config's reasons with those of the issues recorded (a reason dropped
    /// from the config stays searchable).
    pub fn check_issue_reasons(&self, known: &[String]) -> Result<(), String> {
        for p in &self.predicates {
            if let Predicate::Issue(reason) = p
                && !known
                    .iter()
                    .any(|k| super::text::lowered(k) == reason.as_str())
            {
                return Err(format!(
                    "`{reason}` is not an issue reason (try {})",
                    known.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// The reasons an `issue:` term may name: `configured` (the config's), then those of
/// `recorded` issues not among them, each once without regard to case.
pub fn issue_reasons<'a>(
    configured: &'a [String],
    recorded: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in configured.iter().map(String::as_str).chain(recorded) {
        let key = super::text::lowered(r);
        if !out.iter().any(|o| super::text::lowered(o) == key) {
            out.push(r.to_string());
        }
    }
    out
}

/// The whole question the queue asks the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueQuery {
    pub tab: Tab,
    pub sort: SortKey,
    pub descending: bool,
    pub scope: Scope,
    /// The current collector (for [`Scope::Mine`]).
    pub collector: String,
    pub filter: QueueFilter,
}

impl QueueQuery {
    /// The default queue of a collector: overdue customers of theirs, largest overdue first.
    pub fn new(collector: &str) -> QueueQuery {
        QueueQuery {
            tab: Tab::Overdue,
            sort: SortKey::Overdue,
            descending: true,
            scope: Scope::Mine,
            collector: collector.to_string(),
            filter: QueueFilter::default(),
        }
    }

    /// Sorts by `key`; choosing the current key again reverses the order.
    pub fn sort_by(&mut self, key: SortKey) {
        if self.sort == key {
            self.descending = !self.descending;
        } else {
            self.sort = key;
            self.descending = key.descending_by_default();
        }
    }
}

/// A sort as views and `:sort` write it: `overdue desc`.
pub fn sort_text(key: SortKey, descending: bool) -> String {
    format!("{} {}", key.name(), if descending { "desc" } else { "asc" })
}

/// Reads `KEY [asc|desc]` (`overdue desc`, `name`) or `KEY:asc|desc` (`overdue:desc`): the
/// key and whether it sorts descending (without a direction, the key's own default). Views,
/// `:sort` and `--sort` take both ways of writing it.
pub fn parse_sort(text: &str) -> Result<(SortKey, bool), String> {
    let text = text.replacen(':', " ", 1);
    let mut words = text.split_whitespace();
    let key_text = words.next().unwrap_or("");
    let key = SortKey::parse(key_text)
        .ok_or_else(|| format!("`{key_text}` is not a sort key ({})", SortKey::names()))?;
    let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
        None => key.descending_by_default(),
        Some("desc" | "descending") => true,
        Some("asc" | "ascending") => false,
        Some(other) => return Err(format!("`{other}` is not a direction (asc or desc)")),
    };
    if let Some(extra) = words.next() {
        return Err(format!("`{extra}` is one word too many after the sort key"));
    }
    Ok((key, descending))
}

/// A saved view (`[[view]]` in the config): a name and what it sets of the queue; what it
/// leaves out stays as it was.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct View {
    pub name: String,
    pub filter: QueueFilter,
    /// The key and whether descending.
    pub sort: Option<(SortKey, bool)>,
    pub tab: Option<Tab>,
    pub scope: Option<Scope>,
}

impl View {
    /// Reads a view's fields as the config writes them; the error names what is wrong.
    pub fn parse(
        name: &str,
        filter: Option<&str>,
        sort: Option<&str>,
        tab: Option<&str>,
        scope: Option<&str>,
        bounds: &AgingBounds,
    ) -> Result<View, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("a view needs a name".into());
        }
        super::text::refuse_name("the view name", name)?;
        let filter = QueueFilter::parse(filter.unwrap_or(""), bounds)?;
        let sort = sort.map(parse_sort).transpose()?;
        let tab = tab
            .map(|t| {
                Tab::parse(t).ok_or_else(|| format!("`{t}` is not a tab (one of {})", Tab::names()))
            })
            .transpose()?;
        let scope = scope
            .map(|s| match s.trim().to_ascii_lowercase().as_str() {
                "mine" => Ok(Scope::Mine),
                "everyone" | "all" => Ok(Scope::Everyone),
                other => Err(format!("`{other}` is not a scope (mine or everyone)")),
            })
            .transpose()?;
        Ok(View {
            name: name.to_string(),
            filter,
            sort,
            tab,
            scope,
        })
    }

    /// The view of a query as it is: its filter, sort, tab and scope, under `name`.
    pub fn of_query(name: &str, query: &QueueQuery) -> View {
        View {
            name: name.trim().to_string(),
            filter: query.filter.clone(),
            sort: Some((query.sort, query.descending)),
            tab: Some(query.tab),
            scope: Some(query.scope),
        }
    }

    /// Sets what the view sets on `query`.
    pub fn apply(&self, query: &mut QueueQuery) {
        query.filter = self.filter.clone();
        if let Some((key, descending)) = self.sort {
            (query.sort, query.descending) = (key, descending);
        }
        if let Some(tab) = self.tab {
            query.tab = tab;
        }
        if let Some(scope) = self.scope {
            query.scope = scope;
        }
    }

    /// Whether `query` shows this view (what the view sets, it has).
    pub fn shown_by(&self, query: &QueueQuery) -> bool {
        let mut applied = query.clone();
        self.apply(&mut applied);
        applied == *query
    }
}

/// The views shipped as defaults (the product description's): largest value, most days past
/// due, high risk, broken promises.
pub fn default_views() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    // (name, filter, sort, tab)
    vec![
        ("largest value", "", "outstanding desc", "all"),
        ("most days past due", "", "days desc", "overdue"),
        ("high risk", "", "risk desc", "risk"),
        ("broken promises", "promise:broken", "overdue desc", "all"),
    ]
}

/// A term as typed, its quotes taken off.
#[derive(Debug, PartialEq)]
struct Term {
    text: String,
    /// Where in `text` its first quoted part begins (its length when nothing is quoted): a
    /// `:` or an operator from there on is part of the text searched for, so that
    /// `"Zeta: Holdings"` and `"Z:5"` are names and numbers, not filter keys.
    quoted_from: usize,
}

impl Term {
    /// The part typed before any quote, where a key or an operator may be.
    fn open(&self) -> &str {
        &self.text[..self.quoted_from]
    }
}

/// Splits on whitespace, keeping double-quoted parts together: the words and phrases
/// `owed find` looks for, their quotes taken off.
pub fn split_terms(text: &str) -> Result<Vec<String>, String> {
    Ok(typed_terms(text)?.into_iter().map(|t| t.text).collect())
}

/// Splits on whitespace, keeping double-quoted parts together: the filter's terms, each with
/// where its quoted part begins.
fn typed_terms(text: &str) -> Result<Vec<Term>, String> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut quoted_from = None;
    let mut quoted = false;
    let mut end = |current: &mut String, quoted_from: &mut Option<usize>| {
        if !current.is_empty() {
            let text = std::mem::take(current);
            let quoted_from = quoted_from.take().unwrap_or(text.len());
            terms.push(Term { text, quoted_from });
        }
        *quoted_from = None;
    };
    for ch in text.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                quoted_from.get_or_insert(current.len());
            }
            c if c.is_whitespace() && !quoted => end(&mut current, &mut quoted_from),
            c => current.push(c),
        }
    }
    if quoted {
        return Err("a quote is not closed".into());
    }
    end(&mut current, &mut quoted_from);
    Ok(terms)
}

/// Every kind of filter term, as an example and what it matches: the `?` help lists them, an
/// unknown `key:` is answered with their keys, and a test holds them to [`parse_term`]
/// (each parses, and together they reach every [`Predicate`]).
pub const FILTER_TERMS: &[(&str, &str)] = &[
    (
        "acme",
        "name or id contains acme (in quotes: \"two words\", \"Z:5\")",
    ),
    (
        "INV-600",
        "a document's number or id, whole: its customer, the detail landing on it",
    ),
    (
        "note:approval",
        "a note or call's note holds every word (note:\"payment run\")",
    ),
    (
        "text:\"payment run\"",
        "the same in everything written: notes, calls, replies, issues, promises",
    ),
    ("owner:alice", "finance owner (owner:none for none)"),
    ("currency:EUR", "the customer's currency"),
    (
        "bucket:31-60",
        "some amount in that bucket; bucket:90+ over 90 days",
    ),
    (
        "net:31-60",
        "net overdue in that bucket, credit set against it; net:90+ from 91 days",
    ),
    (
        "issue:pricing",
        "an open issue of that reason (a known one, in any case)",
    ),
    (
        "promise:broken",
        "the latest promise: open, due, broken (or only partly kept) or none",
    ),
    (
        "overdue>5000",
        "also outstanding, net, credit, unutilised, collectable; 1.5k, 2m",
    ),
    ("days>=60", "days past due of the oldest item"),
    (
        "call>14",
        "days since the last call (never called passes >, >=, !=)",
    ),
];

/// How the value of a `key:value` term is read: from the key as typed (lowered), the value
/// and the aging bounds.
type ValueParser = fn(&str, &str, &AgingBounds) -> Result<Predicate, String>;

fn parse_term(term: &Term, bounds: &AgingBounds) -> Result<Predicate, String> {
    if let Some(colon) = term.open().find(':') {
        let (key, value) = (&term.text[..colon], &term.text[colon + 1..]);
        let key = key.to_ascii_lowercase();
        let parse: ValueParser = match key.as_str() {
            "owner" | "finance_owner" => |_, value, _| {
                Ok(Predicate::Owner(
                    (!value.eq_ignore_ascii_case("none"))
                        .then(|| super::text::nfc(value).into_owned()),
                ))
            },
            "currency" | "cur" => |_, value, _| {
                if value.len() == 3 && value.chars().all(|c| c.is_ascii_alphabetic()) {
                    Ok(Predicate::Currency(value.to_ascii_uppercase()))
                } else {
                    Err(format!("`{value}` is not a currency code like EUR"))
                }
            },
            "bucket" | "aging" => {
                |_, value, bounds| parse_bucket(value, bounds).map(Predicate::Bucket)
            }
            "note" | "notes" => |key, value, _| parse_search(SearchScope::Notes, key, value),
            "text" => |key, value, _| parse_search(SearchScope::All, key, value),
            "promise" | "p2p" => |_, value, _| parse_promise(value).map(Predicate::Promise),
            "net" => |_, value, bounds| parse_net(value, bounds).map(Predicate::NetBucket),
            "issue" | "reason" => {
                |_, value, _| Ok(Predicate::Issue(super::text::lowered(value).into_owned()))
            }
            _ => {
                let keys: Vec<&str> = FILTER_TERMS
                    .iter()
                    .filter_map(|(term, _)| term.split_once(':').map(|(k, _)| k))
                    .collect();
                // A name or document number with a colon in it (`Z:5`) is searched for in
                // quotes: the sentence says so, with the term to type.
                return Err(format!(
                    "unknown filter `{key}:` (try {}:; to search for the text, quote it: \"{}\")",
                    keys.join(":, "),
                    term.text
                ));
            }
        };
        if value.is_empty() {
            return Err(format!("`{}` needs a value after the colon", term.text));
        }
        return parse(&key, value, bounds);
    }
    if let Some((field, op, value)) = split_comparison(term) {
        return parse_comparison(field, op, value);
    }
    Ok(Predicate::Text(term.text.clone()))
}

/// Splits `overdue>=5000` into its parts when it contains an operator before any quote.
fn split_comparison(term: &Term) -> Option<(&str, Cmp, &str)> {
    let pos = term.open().find(['<', '>', '=', '!'])?;
    let (field, rest) = term.text.split_at(pos);
    let (op, len) = match rest.as_bytes() {
        [b'<', b'=', ..] => (Cmp::Le, 2),
        [b'>', b'=', ..] => (Cmp::Ge, 2),
        [b'!', b'=', ..] => (Cmp::Ne, 2),
        [b'<', b'>', ..] => (Cmp::Ne, 2),
        [b'=', b'=', ..] => (Cmp::Eq, 2),
        [b'<', ..] => (Cmp::Lt, 1),
        [b'>', ..] => (Cmp::Gt, 1),
        [b'=', ..] => (Cmp::Eq, 1),
        _ => return None,
    };
    Some((field, op, &rest[len..]))
}

fn parse_comparison(field: &str, op: Cmp, value: &str) -> Result<Predicate, String> {
    let field_lc = field.to_ascii_lowercase();
    if value.is_empty() {
        return Err(format!("`{field}{}` needs a number after it", op.sql()));
    }
    if matches!(
        field_lc.as_str(),
        "days" | "age" | "call" | "called" | "lastcall"
    ) {
        let n: i64 = value
            .parse()
            .map_err(|_| format!("`{value}` is not a whole number of days"))?;
        return Ok(if field_lc == "days" || field_lc == "age" {
            Predicate::Days(op, n)
        } else {
            Predicate::CallDays(op, n)
        });
    }
    let amount_field = match field_lc.as_str() {
        "overdue" => AmountField::Overdue,
        "outstanding" | "open" => AmountField::Outstanding,
        "net" | "net_overdue" => AmountField::NetOverdue,
        "credit" => AmountField::Credit,
        "collectable" => AmountField::CollectableThisMonth,
        "unutilised" | "unutilized" | "unutilised_credit" => AmountField::Unutilised,
        "" => {
            return Err(format!(
                "`{op_text}{value}` needs a field before it, like overdue{op_text}{value}",
                op_text = op.sql()
            ));
        }
        _ => {
            return Err(format!(
                "unknown field `{field}` (try overdue, outstanding, net, credit, unutilised, collectable, days, call)"
            ));
        }
    };
    let cleaned = ungrouped(value)?;
    let (number, scale) = match cleaned.to_ascii_lowercase() {
        s if s.ends_with('k') => (s[..s.len() - 1].to_string(), 1_000),
        s if s.ends_with('m') => (s[..s.len() - 1].to_string(), 1_000_000),
        s if s.ends_with('b') => (s[..s.len() - 1].to_string(), 1_000_000_000),
        s if s.ends_with('t') => (s[..s.len() - 1].to_string(), 1_000_000_000_000_i64),
        s => (s, 1),
    };
    let amount = super::money::parse_amount(&number)
        .map_err(|e| format!("`{value}` {e}"))?
        .checked_mul(Decimal::from(scale))
        .ok_or_else(|| format!("`{value}` is too large"))?;
    Ok(Predicate::Amount(amount_field, op, amount))
}

/// An amount as typed without its separators: `_` anywhere, and `,` only between groups of
/// exactly three digits of the whole part (`1,234.56`, `1,500,000`). A decimal comma is
/// refused, not read as a separator: `overdue>1,5k` was taken as 15,000.
fn ungrouped(value: &str) -> Result<String, String> {
    let text: String = value.chars().filter(|&c| c != '_').collect();
    if !text.contains(',') {
        return Ok(text);
    }
    let unsigned = text.strip_prefix('-').unwrap_or(&text);
    let end = unsigned
        .find(|c: char| !c.is_ascii_digit() && c != ',')
        .unwrap_or(unsigned.len());
    let (whole, rest) = unsigned.split_at(end);
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or_default();
    if (1..=3).contains(&first.len()) && groups.all(|g| g.len() == 3) && !rest.contains(',') {
        return Ok(text.replace(',', ""));
    }
    let decimal = text.replace(',', ".");
    Err(
        if text.matches(',').count() == 1
            && super::money::parse_amount(
                &decimal.replace(['k', 'K', 'm', 'M', 'b', 'B', 't', 'T'], ""),
            )
            .is_ok()
        {
            format!(
                "`{value}` is not an amount: write {decimal} (a comma only separates thousands)"
            )
        } else {
            format!(
                "`{value}` is not an amount (a comma only separates thousands, as in 1,500,000)"
            )
        },
    )
}

fn parse_search(scope: SearchScope, key: &str, value: &str) -> Result<Predicate, String> {
    if super::search::words(value).is_empty() {
        return Err(format!("`{key}:` needs a word to search for"));
    }
    Ok(Predicate::Search(scope, value.to_string()))
}

fn parse_promise(value: &str) -> Result<PromiseSel, String> {
    Ok(match value.to_ascii_lowercase().as_str() {
        // Not `kept`: the queue does not tell a kept promise from none, and taking one for
        // the other answered `promise:kept` with customers who never promised anything.
        "none" => PromiseSel::None,
        "open" => PromiseSel::Open,
        "due" => PromiseSel::Due,
        "broken" => PromiseSel::Broken,
        _ => {
            return Err(format!(
                "`{value}` is not a promise state (try open, due, broken, none)"
            ));
        }
    })
}

/// The overdue buckets of `net:`: one by its label (`31-60`), or `N+` (as `bucket:` takes it)
/// from a bucket's first day on: `90+` is 91-120 and 120+. Net overdue is counted by bucket,
/// so an N that starts no bucket (`45+`) is refused rather than read as the bucket round it.
fn parse_net(value: &str, bounds: &AgingBounds) -> Result<std::ops::RangeInclusive<usize>, String> {
    let last = bounds.len() - 1;
    match parse_bucket(value, bounds) {
        Ok(BucketSel::Index(i)) if i > 0 => return Ok(i..=i),
        Ok(BucketSel::Over(n)) => {
            let i = bounds.bucket(n.saturating_add(1));
            if bounds.days_range(i).0 == Some(n.saturating_add(1)) {
                return Ok(i..=last);
            }
        }
        _ => {}
    }
    let starts: Vec<String> = std::iter::once(0)
        .chain(bounds.upper().iter().copied())
        .map(|n| format!("{n}+"))
        .collect();
    Err(format!(
        "`net:` takes an overdue bucket ({}) or N+ from a bucket's start ({})",
        bounds.labels()[1..].join(", "),
        starts.join(", ")
    ))
}

fn parse_bucket(value: &str, bounds: &AgingBounds) -> Result<BucketSel, String> {
    let labels = bounds.labels();
    if let Some(i) = labels.iter().position(|l| l.eq_ignore_ascii_case(value)) {
        return Ok(BucketSel::Index(i));
    }
    if let Some(n) = value.strip_suffix('+').and_then(|n| n.parse::<i64>().ok())
        && n >= 0
    {
        return Ok(BucketSel::Over(n));
    }
    Err(format!(
        "`{value}` is not a bucket (try {} or N+)",
        labels.join(", ")
    ))
}

// The queue as the store reads it and the workstation shows it: plain rows, no connection.

/// Where a customer's latest promise to pay stands, as the queue flags it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PromiseFlag {
    /// No promise, or the latest was kept or voided.
    #[default]
    None,
    /// Promised for a date still ahead.
    Open,
    /// The promised date has come (grace running) and it is not kept yet.
    Due,
    /// The date and grace passed without (all) the money.
    Broken,
}

impl PromiseFlag {
    pub(crate) fn code(self) -> i64 {
        match self {
            PromiseFlag::None => 0,
            PromiseFlag::Open => 1,
            PromiseFlag::Due => 2,
            PromiseFlag::Broken => 3,
        }
    }

    pub(crate) fn from_code(code: i64) -> PromiseFlag {
        match code {
            1 => PromiseFlag::Open,
            2 => PromiseFlag::Due,
            3 => PromiseFlag::Broken,
            _ => PromiseFlag::None,
        }
    }
}

/// One customer's line in the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub cid: i64,
    pub id: String,
    pub name: String,
    pub finance_owner: Option<String>,
    pub currency: Option<String>,
    pub outstanding: Decimal,
    pub overdue: Decimal,
    pub net_overdue: Decimal,
    /// Unutilised credit plus unapplied cash.
    pub credit: Decimal,
    /// Days past due of the oldest open item (0 when nothing is overdue).
    pub max_days: i64,
    /// The last note, call, promise or issue a collector recorded (a lockbox deduction is
    /// none), reminder sent or reply, on or before the as-of date.
    pub last_contact: Option<Date>,
    /// The last call, on or before the as-of date.
    pub last_call: Option<Date>,
    pub promise: PromiseFlag,
    pub followups_due: u32,
    pub open_issues: u32,
    /// Replies received by the as-of date that nobody has read yet.
    pub unread_replies: u32,
    /// Of those, the ones from a sender outside the customer's addresses and domains.
    pub unverified_replies: u32,
    /// The forecast's risk level (`None` until the workstation has computed the forecast, and
    /// for customers without documents).
    pub risk: Option<RiskLevel>,
}

/// How many customers each tab holds for a scope and filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueCounts {
    /// Rows per tab, in the order of [`Tab::ALL`].
    pub counts: [u64; Tab::COUNT],
    /// The collector owns no customer, so "mine" shows everyone's.
    pub mine_fallback: bool,
}

/// One page of the queue and the counts around it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueuePage {
    /// Position of `rows[0]` in the whole (filtered, sorted) list.
    pub offset: u64,
    pub rows: Vec<QueueRow>,
    /// Rows in the current tab.
    pub total: u64,
    /// Rows per tab, in the order of [`Tab::ALL`].
    pub counts: [u64; Tab::COUNT],
    /// The collector owns no customer, so the page shows everyone's (the title says so).
    pub mine_fallback: bool,
    /// The High risk tab was counted from the forecast of the page's date (else its count
    /// is not known yet, and the rows carry no risk).
    pub risk_counted: bool,
}

/// Figures of one customer in the summary: its aging and a few flags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SummaryFigures {
    pub outstanding: Decimal,
    pub overdue: Decimal,
    pub net_overdue: Decimal,
    pub unutilised_credit: Decimal,
    pub unapplied_cash: Decimal,
    pub collectable_this_month: Decimal,
    pub max_days: i64,
    /// Per bucket, in the order of [`AgingBounds::labels`].
    pub aging: Vec<Decimal>,
}

/// The figures of a part of the portfolio (the customers a scope and filter of the queue
/// select), in the base currency: what the metrics bar and the charts show of it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScopeFigures {
    /// Customers in it.
    pub customers: u64,
    /// Its headline figures, the scope's own; the DSO only once computed for it (it reads a
    /// year of its sales, so the service fills it in when keys pause).
    pub headline: crate::domain::metrics::Headline,
    /// Open balances per bucket, in the order of [`AgingBounds::labels`].
    pub aging: Vec<Decimal>,
    /// Net overdue per bucket (credit set against the oldest overdue buckets first).
    pub net_aging: Vec<Decimal>,
    /// Follow-ups due by the date.
    pub followups_due: u64,
    /// Open issues by reason, largest amount first.
    pub issues: Vec<IssueReason>,
}

/// Open issues at a date, grouped by reason.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueReason {
    pub reason: String,
    pub count: u64,
    pub amount: Decimal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::dec;

    fn parse(text: &str) -> Result<Vec<Predicate>, String> {
        QueueFilter::parse(text, &AgingBounds::default()).map(|f| f.predicates)
    }

    #[test]
    fn the_listed_filter_terms_parse_and_reach_every_kind_of_term() {
        let mut reached = std::collections::BTreeSet::new();
        for (term, _) in FILTER_TERMS {
            let predicates = parse(term).unwrap_or_else(|e| panic!("{term}: {e}"));
            let [p] = predicates.as_slice() else {
                panic!("{term}: {predicates:?}")
            };
            // A new kind of term fails to compile here until it is listed.
            reached.insert(match p {
                Predicate::Text(_) => "text",
                Predicate::Search(..) => "search",
                Predicate::Owner(_) => "owner",
                Predicate::Currency(_) => "currency",
                Predicate::Amount(..) => "amount",
                Predicate::Days(..) => "days",
                Predicate::Bucket(_) => "bucket",
                Predicate::CallDays(..) => "call",
                Predicate::Promise(_) => "promise",
                Predicate::NetBucket(_) => "net",
                Predicate::Issue(_) => "issue",
            });
        }
        assert_eq!(reached.len(), 11, "{reached:?}");
        let e = parse("colour:red").unwrap_err();
        assert!(
            e.contains("(try note:, text:, owner:, currency:, bucket:, net:, issue:, promise:;"),
            "{e}"
        );
    }

    #[test]
    fn quotes_keep_a_colon_or_an_operator_in_the_text_searched_for() {
        assert_eq!(
            parse("\"Zeta: Holdings\" \"Z:5\" Z\":\"5 \"A>B\" note:\"a: b\"").unwrap(),
            vec![
                Predicate::Text("Zeta: Holdings".into()),
                Predicate::Text("Z:5".into()),
                Predicate::Text("Z:5".into()),
                Predicate::Text("A>B".into()),
                Predicate::Search(SearchScope::Notes, "a: b".into()),
            ]
        );
        // Unquoted, a word that is no key is refused, saying how to search for it.
        let e = parse("Z:5").unwrap_err();
        assert_eq!(
            e,
            "unknown filter `z:` (try note:, text:, owner:, currency:, bucket:, net:, issue:, \
             promise:; to search for the text, quote it: \"Z:5\")"
        );
    }

    #[test]
    fn words_and_fields_combine() {
        assert_eq!(
            parse("acme overdue>5000 bucket:90+ owner:alice currency:eur").unwrap(),
            vec![
                Predicate::Text("acme".into()),
                Predicate::Amount(AmountField::Overdue, Cmp::Gt, dec("5000")),
                Predicate::Bucket(BucketSel::Over(90)),
                Predicate::Owner(Some("alice".into())),
                Predicate::Currency("EUR".into()),
            ]
        );
        assert_eq!(parse("  ").unwrap(), vec![]);
        assert_eq!(
            parse("\"moss & sons\"").unwrap(),
            vec![Predicate::Text("moss & sons".into())]
        );
    }

    #[test]
    fn operators_buckets_and_suffixes() {
        assert_eq!(
            parse("outstanding<=1.5k days>=60 net!=0 bucket:31-60 bucket:current owner:none")
                .unwrap(),
            vec![
                Predicate::Amount(AmountField::Outstanding, Cmp::Le, dec("1500")),
                Predicate::Days(Cmp::Ge, 60),
                Predicate::Amount(AmountField::NetOverdue, Cmp::Ne, dec("0")),
                Predicate::Bucket(BucketSel::Index(2)),
                Predicate::Bucket(BucketSel::Index(0)),
                Predicate::Owner(None),
            ]
        );
        assert_eq!(
            parse("bucket:120+").unwrap(),
            vec![Predicate::Bucket(BucketSel::Index(5))],
            "a bucket's own label wins over the N+ reading"
        );
    }

    #[test]
    fn net_buckets_issues_and_unutilised_credit() {
        assert_eq!(
            parse("net:31-60 issue:Pricing unutilised>0").unwrap(),
            vec![
                Predicate::NetBucket(2..=2),
                Predicate::Issue("pricing".into()),
                Predicate::Amount(AmountField::Unutilised, Cmp::Gt, dec("0")),
            ]
        );
        // `N+` as `bucket:` takes it, from where a bucket starts.
        assert_eq!(
            parse("net:90+ net:0+ net:120+ bucket:90+").unwrap(),
            vec![
                Predicate::NetBucket(4..=5),
                Predicate::NetBucket(1..=5),
                Predicate::NetBucket(5..=5),
                Predicate::Bucket(BucketSel::Over(90)),
            ]
        );
        for bad in ["current", "45+", "old"] {
            assert_eq!(
                parse(&format!("net:{bad}")).unwrap_err(),
                "`net:` takes an overdue bucket (1-30, 31-60, 61-90, 91-120, 120+) or N+ from a \
                 bucket's start (0+, 30+, 60+, 90+, 120+)"
            );
        }
    }

    #[test]
    fn issue_reasons_are_known_ones_in_any_case_and_script() {
        let configured = vec!["pricing".to_string(), "Qualité".to_string()];
        let known = issue_reasons(&configured, ["short_payment", "QUALITÉ", "legacy"]);
        assert_eq!(known, ["pricing", "Qualité", "short_payment", "legacy"]);
        let filter = |text: &str| QueueFilter::parse(text, &AgingBounds::default()).unwrap();
        assert_eq!(
            filter("issue:QUALITÉ").predicates,
            [Predicate::Issue("qualité".into())]
        );
        for ok in [
            "issue:QUALITÉ",
            "issue:Legacy",
            "reason:pricing acme",
            "acme",
        ] {
            assert_eq!(filter(ok).check_issue_reasons(&known), Ok(()), "{ok}");
        }
        assert_eq!(
            filter("issue:pricng").check_issue_reasons(&known),
            Err(
                "`pricng` is not an issue reason (try pricing, Qualité, short_payment, legacy)"
                    .into()
            )
        );
    }

    #[test]
    fn a_comma_only_separates_thousands() {
        let amount = |text: &str| match parse(&format!("overdue>{text}")) {
            Ok(p) => match p.as_slice() {
                [Predicate::Amount(_, _, a)] => Ok(*a),
                other => panic!("{other:?}"),
            },
            Err(e) => Err(e),
        };
        assert_eq!(amount("1,234.56"), Ok(dec("1234.56")));
        assert_eq!(amount("1,500,000"), Ok(dec("1500000")));
        assert_eq!(amount("1,500k"), Ok(dec("1500000")));
        assert_eq!(amount("-1,000"), Ok(dec("-1000")));
        assert_eq!(amount("1.5k"), Ok(dec("1500")));
        // Billions and trillions, in either case (`1b` was not a number).
        assert_eq!(amount("1b"), Ok(dec("1000000000")));
        assert_eq!(amount("2.5B"), Ok(dec("2500000000")));
        assert_eq!(amount("1t"), Ok(dec("1000000000000")));
        assert_eq!(amount("12T"), Ok(dec("12000000000000")));
        assert_eq!(
            amount("1,5b"),
            Err("`1,5b` is not an amount: write 1.5b (a comma only separates thousands)".into())
        );
        assert_eq!(
            amount("1,5k"),
            Err("`1,5k` is not an amount: write 1.5k (a comma only separates thousands)".into())
        );
        assert_eq!(
            amount(",5"),
            Err("`,5` is not an amount: write .5 (a comma only separates thousands)".into())
        );
        for bad in ["1,,0", "1,5,000", "1234,567", "1,000.5,0", "1,00"] {
            let e = amount(bad).unwrap_err();
            assert!(e.starts_with(&format!("`{bad}` is not an amount")), "{e}");
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(parse("colour:red").unwrap_err().contains("unknown filter"));
        assert!(parse("overdue>lots").unwrap_err().contains("not a number"));
        assert!(parse("bucket:old").unwrap_err().contains("not a bucket"));
        assert!(
            parse("currency:euro")
                .unwrap_err()
                .contains("currency code")
        );
        assert!(parse("size>3").unwrap_err().contains("unknown field"));
        assert!(parse(">3").unwrap_err().contains("needs a field"));
        assert!(parse("days>x").unwrap_err().contains("whole number"));
        assert!(parse("\"open").unwrap_err().contains("quote"));
        assert!(parse("overdue>").unwrap_err().contains("needs a number"));
    }

    #[test]
    fn searches_calls_and_promises() {
        assert_eq!(
            parse("note:\"payment run\" text:approv call>14 called<=3 promise:broken").unwrap(),
            vec![
                Predicate::Search(SearchScope::Notes, "payment run".into()),
                Predicate::Search(SearchScope::All, "approv".into()),
                Predicate::CallDays(Cmp::Gt, 14),
                Predicate::CallDays(Cmp::Le, 3),
                Predicate::Promise(PromiseSel::Broken),
            ]
        );
        assert!(parse("note:\"--\"").unwrap_err().contains("needs a word"));
        for state in ["maybe", "kept", "brokn"] {
            assert_eq!(
                parse(&format!("promise:{state}")).unwrap_err(),
                format!("`{state}` is not a promise state (try open, due, broken, none)")
            );
        }
        // Every enumerated value is one of its list, never silently another.
        assert!(parse("bucket:91-121").unwrap_err().contains("not a bucket"));
        assert!(parse("bucket:x+").unwrap_err().contains("not a bucket"));
        assert!(parse("net:old").unwrap_err().contains("overdue bucket"));
        assert!(parse("call>soon").unwrap_err().contains("whole number"));
        assert_eq!(SortKey::parse("call"), Some(SortKey::LastCall));
        assert!(!SortKey::LastCall.descending_by_default());
    }

    #[test]
    fn views_set_what_they_name_and_keep_the_rest() {
        let bounds = AgingBounds::default();
        let v = View::parse(
            "big EU",
            Some("currency:EUR overdue>10k"),
            Some("outstanding"),
            Some("all"),
            None,
            &bounds,
        )
        .unwrap();
        let mut q = QueueQuery::new("alice");
        q.scope = Scope::Everyone;
        assert!(!v.shown_by(&q));
        v.apply(&mut q);
        assert_eq!(
            (q.tab, q.sort, q.descending, q.scope),
            (Tab::All, SortKey::Outstanding, true, Scope::Everyone)
        );
        assert_eq!(q.filter.text, "currency:EUR overdue>10k");
        assert!(v.shown_by(&q));
        let saved = View::of_query("again", &q);
        let back = View::parse(
            "again",
            Some(&saved.filter.text),
            Some(&sort_text(q.sort, q.descending)),
            Some(q.tab.name()),
            Some("everyone"),
            &bounds,
        )
        .unwrap();
        assert_eq!(back, saved);
        for (name, filter, sort, tab) in default_views() {
            View::parse(name, Some(filter), Some(sort), Some(tab), None, &bounds).unwrap();
        }
        let e = View::parse("x", None, Some("size"), None, None, &bounds).unwrap_err();
        assert!(e.contains("not a sort key"), "{e}");
        let e = View::parse("x", None, Some("name up"), None, None, &bounds).unwrap_err();
        assert!(e.contains("direction"), "{e}");
        let e = View::parse("x", None, None, Some("later"), None, &bounds).unwrap_err();
        assert!(e.contains("not a tab"), "{e}");
        let e = View::parse("x", None, None, None, Some("team"), &bounds).unwrap_err();
        assert!(e.contains("not a scope"), "{e}");
        assert!(View::parse(" ", None, None, None, None, &bounds).is_err());
        assert!(View::parse("a\u{1b}[2J", None, None, None, None, &bounds).is_err());
    }

    #[test]
    fn a_sort_is_written_with_a_space_or_a_colon() {
        for (text, sort) in [
            ("overdue desc", (SortKey::Overdue, true)),
            ("overdue:asc", (SortKey::Overdue, false)),
            ("Name:DESC", (SortKey::Name, true)),
            (" name ", (SortKey::Name, false)),
            ("days:", (SortKey::Days, true)),
        ] {
            assert_eq!(parse_sort(text), Ok(sort), "{text}");
        }
        assert_eq!(
            parse_sort("size desc"),
            Err(
                "`size` is not a sort key (overdue, days, outstanding, contact, name, risk, call)"
                    .into()
            )
        );
        assert!(parse_sort("name:up").unwrap_err().contains("direction"));
        assert!(parse_sort("name desc x").unwrap_err().contains("too many"));
    }

    #[test]
    fn sorting_again_reverses() {
        let mut q = QueueQuery::new("alice");
        assert_eq!((q.sort, q.descending), (SortKey::Overdue, true));
        q.sort_by(SortKey::Overdue);
        assert_eq!((q.sort, q.descending), (SortKey::Overdue, false));
        q.sort_by(SortKey::Name);
        assert_eq!((q.sort, q.descending), (SortKey::Name, false));
        q.sort_by(SortKey::Name);
        assert!(q.descending);
        q.sort_by(SortKey::Days);
        assert!(q.descending);
    }

    #[test]
    fn names_round_trip() {
        for t in Tab::ALL {
            assert_eq!(Tab::parse(t.name()), Some(t));
        }
        for k in SortKey::ALL {
            assert_eq!(SortKey::parse(k.name()), Some(k));
        }
        assert_eq!(Tab::parse("Follow-ups"), Some(Tab::FollowUps));
    }
}
