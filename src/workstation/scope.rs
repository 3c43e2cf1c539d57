//! The figures of the part of the portfolio a session's queue shows (its scope, mine or
//! everyone's, and its filter): the metrics bar and the charts of that part, computed in the
//! service for every session with that scope and filter.
//!
//! The sums come from the queue table: in SQL for a scope without a filter, from the table's
//! copy in memory for a filter (in the same pass that counts the tabs as it is typed). They
//! are kept per portfolio by scope and filter, moved by a save's difference like the
//! portfolio's own figures (a filter a save can move customers into or out of is counted
//! again instead), and answered ([`Response::Scope`]) with a session's page when
//! its scope or filter is new to it or the figures changed since it was last told. What
//! needs the customers one by one (the DSO over their sales, the cash forecast of their
//! documents) is computed when the keys pause, the DSO on a thread of its own, and answered
//! again once there.

use super::portfolio::{PortfolioWorker, SessionId};
use super::requests::{Request, Response, ScopeSummary};
use crate::Result;
use crate::domain::forecast::cash::CashForecast;
use crate::domain::metrics::{dso_count_back, dso_sales_from, monthly_sales};
use crate::domain::queue::{IssueReason, Predicate, QueueFilter, QueueQuery, Scope, ScopeFigures};
use crate::domain::{Date, Decimal};
use crate::store::Store;
use crate::store::queue::mirror::{OwnerSums, ScopeSums};
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// What a session's queue shows of the portfolio: its scope, collector and filter.
pub type ScopeKey = (Scope, String, QueueFilter);

/// How long the keys must have paused before the DSO and cash forecast of a scope are
/// computed.
pub const SCOPE_AFTER_PAUSE: Duration = Duration::from_millis(150);

/// The key of a query's scope and filter.
pub fn key_of(query: &QueueQuery) -> ScopeKey {
    (query.scope, query.collector.clone(), query.filter.clone())
}

/// The query of a key (its tab and order do not matter).
fn query_of(key: &ScopeKey) -> QueueQuery {
    let mut query = QueueQuery::new(&key.1);
    query.scope = key.0;
    query.filter = key.2.clone();
    query
}

/// The figures of one scope and filter, as the portfolio keeps them.
#[derive(Debug, Clone)]
pub struct ScopeEntry {
    pub mine_fallback: bool,
    pub figures: ScopeFigures,
    /// The customers in it (computed when first needed).
    pub cids: Option<Vec<i64>>,
    /// The DSO of their sales (`None`: not computed yet).
    pub dso: Option<Option<Decimal>>,
    /// Their cash forecast (`None`: not computed, or no forecast yet).
    pub cash: Option<CashForecast>,
}

impl ScopeEntry {
    /// Everyone's customers without a filter: the portfolio's own figures.
    fn everyone(&self, key: &ScopeKey) -> bool {
        key.2.is_empty() && (key.0 == Scope::Everyone || self.mine_fallback)
    }
}

/// A scope's sums without a filter from each owner's: everyone's (their total) or its
/// collector's.
fn sums_of(by_owner: &OwnerSums, key: &ScopeKey, fallback: bool) -> ScopeSums {
    if key.0 == Scope::Everyone || fallback {
        let mut everyone = ScopeSums::default();
        for part in by_owner.values() {
            everyone.add(part);
        }
        everyone
    } else {
        by_owner
            .get(&Some(crate::domain::text::person_key(&key.1)))
            .cloned()
            .unwrap_or_default()
    }
}

/// Whether two scopes and filters select the same customers: the same filter over everyone's
/// (a manager's "everyone", or "mine" of someone who owns no customer) or over one
/// collector's (named without regard to case, as "mine" compares owners).
fn same_customers(a: &ScopeKey, a_fallback: bool, b: &ScopeKey, b_fallback: bool) -> bool {
    let everyones = |k: &ScopeKey, fallback| k.0 == Scope::Everyone || fallback;
    a.2 == b.2
        && match (everyones(a, a_fallback), everyones(b, b_fallback)) {
            (true, true) => true,
            (false, false) => crate::domain::text::same_person(&a.1, &b.1),
            _ => false,
        }
}

/// A DSO computing on its thread for a scope.
pub struct ScopeDso {
    key: ScopeKey,
    answer: Receiver<Result<Option<Decimal>>>,
}

impl PortfolioWorker {
    /// Keeps the sums counted for a query's filter in memory (with its tab counts) as the
    /// figures of its scope and filter.
    pub(super) fn keep_scope(&mut self, query: &QueueQuery, mine_fallback: bool, sums: &ScopeSums) {
        let buckets = self.settings.bounds.len();
        self.scopes
            .entry(key_of(query))
            .or_insert_with(|| ScopeEntry {
                mine_fallback,
                figures: sums.figures(buckets),
                cids: None,
                dso: None,
                cash: None,
            });
    }

    /// Whether each owner's sums counted with the figures are still theirs: no save has
    /// moved the figures since they were computed whole.
    fn owner_sums_current(&self) -> bool {
        !self.figures_moved() && !self.owner_sums.is_empty()
    }

    /// Before every session's page is answered again after new figures: the scopes without
    /// a filter that they show and that are not counted yet, from each owner's sums counted
    /// with the figures while no save has moved them since; else in one pass over the queue
    /// table by owner when there are several (everyone's as the owners' total), rather than
    /// one pass each. One alone is then counted by itself when its page asks.
    pub(super) fn count_scopes_at_once(&mut self) -> Result<()> {
        let mut missing: Vec<(ScopeKey, bool)> = Vec::new();
        for viewer in self.sessions.values() {
            let Some(Request::Page { query, as_of, .. }) = &viewer.last_page else {
                continue;
            };
            if !query.filter.is_empty() || Some(*as_of) != self.as_of {
                continue;
            }
            let key = key_of(query);
            let fallback = self
                .unfiltered
                .for_query(query)
                .is_some_and(|c| c.mine_fallback);
            let counted = self.scopes.contains_key(&key)
                || missing
                    .iter()
                    .any(|(k, f)| same_customers(k, *f, &key, fallback));
            if !counted {
                missing.push((key, fallback));
            }
        }
        // What each owner's customers added up to when the figures were computed, while no
        // save has moved them since; else one pass for several.
        let counted;
        let by_owner = if self.owner_sums_current() {
            &self.owner_sums
        } else if missing.len() >= 2 {
            counted = self.store.queue().scope_sums_by_owner()?;
            &counted
        } else {
            return Ok(());
        };
        let sums: Vec<ScopeSums> = missing
            .iter()
            .map(|(key, fallback)| sums_of(by_owner, key, *fallback))
            .collect();
        for ((key, fallback), sums) in missing.into_iter().zip(&sums) {
            self.keep_scope(&query_of(&key), fallback, sums);
        }
        Ok(())
    }

    /// After a page of `query`: the figures of its scope and filter for the session, when it
    /// has not been told them since they last changed.
    pub(super) fn scope_for_page(
        &mut self,
        sid: SessionId,
        query: &QueueQuery,
        mine_fallback: bool,
        out: &mut Vec<Response>,
    ) -> Result<()> {
        let key = key_of(query);
        let version = self.scope_version;
        if self.viewer(sid).scope_sent.as_ref() == Some(&(key.clone(), version)) {
            return Ok(());
        }
        // Another session's scope with the same customers has its figures already (after new
        // figures, every manager's "everyone" and every "mine" that shows everyone's would
        // otherwise sum the whole table again, one after another).
        if !self.scopes.contains_key(&key)
            && let Some(same) = self
                .scopes
                .iter()
                .find(|(k, e)| same_customers(k, e.mine_fallback, &key, mine_fallback))
                .map(|(_, e)| ScopeEntry {
                    mine_fallback,
                    ..e.clone()
                })
        {
            self.scopes.insert(key.clone(), same);
        }
        if !self.scopes.contains_key(&key) {
            let sums = if query.filter.is_empty() && self.owner_sums_current() {
                sums_of(&self.owner_sums, &key, mine_fallback)
            } else if query.filter.is_empty() {
                self.store.queue().scope_sums(query, mine_fallback)?
            } else {
                let matches = self.store.activity().filter_matches(&query.filter)?;
                self.mirror()?.figures(query, &matches).1
            };
            self.keep_scope(query, mine_fallback, &sums);
        }
        if let Some(summary) = self.scope_summary(&key) {
            out.push(Response::Scope(Box::new(summary)));
        }
        self.viewer(sid).scope_sent = Some((key.clone(), version));
        self.want_scope(&key);
        Ok(())
    }

    /// What a session is told of a scope and filter.
    fn scope_summary(&self, key: &ScopeKey) -> Option<ScopeSummary> {
        let entry = self.scopes.get(key)?;
        let everyone = entry.everyone(key);
        let mut figures = entry.figures.clone();
        figures.headline.dso = entry.dso.flatten();
        Some(ScopeSummary {
            as_of: self.as_of?,
            scope: key.0,
            collector: key.1.clone(),
            filter: key.2.clone(),
            mine_fallback: entry.mine_fallback,
            everyone,
            figures,
            dso_pending: !everyone && entry.dso.is_none(),
            cash: entry.cash.clone(),
        })
    }

    /// The DSO and cash forecast of a scope are wanted, unless they are there (or are the
    /// portfolio's own).
    fn want_scope(&mut self, key: &ScopeKey) {
        let Some(entry) = self.scopes.get(key) else {
            return;
        };
        let cash_due = entry.cash.is_none() && self.as_of.is_some_and(|d| self.forecasts.has(d));
        if !entry.everyone(key) && (entry.dso.is_none() || cash_due) {
            self.scope_wanted.retain(|k| k != key);
            self.scope_wanted.push(key.clone());
        }
    }

    /// Keeps the tab counts and scope figures of what some session shows now, and forgets
    /// those of the filters typed past on the way (each keystroke of `/` is one): they are
    /// counted again if anyone asks, and a save does not pay for each of them.
    pub(super) fn forget_unshown(&mut self) {
        let shown: std::collections::HashSet<ScopeKey> = self
            .sessions
            .values()
            .filter_map(|v| match &v.last_page {
                Some(Request::Page { query, .. }) => Some(key_of(query)),
                _ => None,
            })
            .chain(
                self.sessions
                    .values()
                    .filter_map(|v| v.scope_sent.as_ref().map(|(k, _)| k.clone())),
            )
            .collect();
        self.counts.retain(|k, _| shown.contains(k));
        self.scopes.retain(|k, _| shown.contains(k));
    }

    /// The figures changed (new figures, a forecast, a save): every session is told again
    /// with its next page.
    pub(super) fn scopes_changed(&mut self) {
        self.scope_version += 1;
    }

    /// New figures: every scope is counted again when asked.
    pub(super) fn forget_scopes(&mut self) {
        self.scopes.clear();
        self.scope_wanted.clear();
        self.scope_dso = None;
        self.scopes_changed();
    }

    /// A forecast was installed: the scopes' cash forecasts are computed again.
    pub(super) fn scopes_new_forecast(&mut self) {
        for entry in self.scopes.values_mut() {
            entry.cash = None;
        }
        let keys: Vec<ScopeKey> = self.scopes.keys().cloned().collect();
        for key in keys {
            self.want_scope(&key);
        }
        self.scopes_changed();
    }

    /// After a save on customer `cid`: the figures of every scope it is in move by its
    /// difference (`before`, `after`: its open promises, open issues by reason, follow-ups
    /// due); all are counted again when its owner changed, and those whose filter looks at
    /// what an action writes (a text search, the last call, the promise's state, the open
    /// issues) whenever one is saved: the save may have moved the customer into or out of
    /// the filter, and then its whole share (its outstanding, its aging, …) comes or goes,
    /// not a difference. They are counted again with the tab counts, in the same pass, when
    /// a page of them is next answered.
    pub(super) fn scopes_saved(
        &mut self,
        cid: i64,
        owner_changed: bool,
        before: &ScopeShare,
        after: &ScopeShare,
    ) -> Result<()> {
        let follows_actions = |f: &QueueFilter| f.predicates.iter().any(Predicate::follows_actions);
        if owner_changed {
            self.scopes.clear();
        } else {
            self.scopes.retain(|k, _| !follows_actions(&k.2));
            self.counts.retain(|k, _| !follows_actions(&k.2));
            let keys: Vec<(ScopeKey, bool)> = self
                .scopes
                .iter()
                .map(|(k, e)| (k.clone(), e.mine_fallback))
                .collect();
            for (key, fallback) in keys {
                if self
                    .store
                    .queue()
                    .row_matches(cid, &query_of(&key), fallback)?
                    && let Some(entry) = self.scopes.get_mut(&key)
                {
                    patch(&mut entry.figures, before, after);
                }
            }
        }
        self.scopes_changed();
        Ok(())
    }

    /// When the keys have paused: the DSO and cash forecast of the scopes sessions look at,
    /// the DSO on its thread (`background`) or here. Tells the sessions of a scope once its
    /// part is there.
    pub(super) fn scope_step(
        &mut self,
        background: bool,
        emit: &mut dyn FnMut(SessionId, Response),
    ) {
        if let Some(running) = self.scope_dso.as_ref() {
            match running.answer.try_recv() {
                Ok(result) => {
                    let key = running.key.clone();
                    self.scope_dso = None;
                    if let Some(entry) = self.scopes.get_mut(&key) {
                        // A DSO that failed shows as none; the figures stand.
                        entry.dso = Some(result.ok().flatten());
                    }
                    self.tell_scope(&key, emit);
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => return,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => self.scope_dso = None,
            }
        }
        let Some(as_of) = self.as_of else {
            return;
        };
        while let Some(key) = self.scope_wanted.pop() {
            // Only a scope some session still shows: the filters typed past on the way to
            // the last one are not worth their DSO.
            let shown = self
                .sessions
                .values()
                .any(|v| v.scope_sent.as_ref().is_some_and(|(k, _)| *k == key));
            if !shown {
                continue;
            }
            if let Err(e) = self.scope_work(&key, as_of, background, emit) {
                self.broadcast_error(e.to_string(), emit);
            }
            if self.scope_dso.is_some() {
                return;
            }
        }
    }

    fn scope_work(
        &mut self,
        key: &ScopeKey,
        as_of: Date,
        background: bool,
        emit: &mut dyn FnMut(SessionId, Response),
    ) -> Result<()> {
        let Some(entry) = self.scopes.get(key) else {
            return Ok(());
        };
        if entry.everyone(key) {
            return Ok(());
        }
        let fallback = entry.mine_fallback;
        let cids = match entry.cids.clone() {
            Some(cids) => cids,
            None => {
                let query = query_of(key);
                let cids = if query.filter.is_empty() {
                    self.store.queue().scope_keys(&query, fallback)?
                } else {
                    let matches = self.store.activity().filter_matches(&query.filter)?;
                    self.mirror()?.scope_keys(&query, &matches)
                };
                if let Some(entry) = self.scopes.get_mut(key) {
                    entry.cids = Some(cids.clone());
                }
                cids
            }
        };
        let mut told = false;
        if let Some(entry) = self.scopes.get_mut(key)
            && entry.cash.is_none()
            && let Some(cash) = self.forecasts.cash_of(as_of, &cids)
        {
            entry.cash = Some(cash);
            told = true;
        }
        let Some(entry) = self.scopes.get(key) else {
            return Ok(());
        };
        if entry.dso.is_none() {
            let outstanding = entry.figures.headline.outstanding;
            let base = self.settings.base_currency.clone();
            if background {
                let (tx, answer) = std::sync::mpsc::channel();
                let path = self.path.clone();
                let started = std::thread::Builder::new()
                    .name("owed-scope-dso".into())
                    .spawn(move || {
                        let result = Store::open_existing(&path)
                            .and_then(|store| dso_of(&store, &base, as_of, outstanding, &cids));
                        let _ = tx.send(result);
                    });
                if started.is_ok() {
                    self.scope_dso = Some(ScopeDso {
                        key: key.clone(),
                        answer,
                    });
                }
            } else {
                let dso = dso_of(&self.store, &base, as_of, outstanding, &cids)?;
                if let Some(entry) = self.scopes.get_mut(key) {
                    entry.dso = Some(dso);
                }
                told = true;
            }
        }
        if told {
            self.tell_scope(key, emit);
        }
        Ok(())
    }

    /// Tells every session looking at a scope and filter its figures again.
    fn tell_scope(&mut self, key: &ScopeKey, emit: &mut dyn FnMut(SessionId, Response)) {
        let Some(summary) = self.scope_summary(key) else {
            return;
        };
        let sessions: Vec<SessionId> = self
            .sessions
            .iter()
            .filter(|(_, v)| v.scope_sent.as_ref().is_some_and(|(k, _)| k == key))
            .map(|(sid, _)| *sid)
            .collect();
        for sid in sessions {
            emit(sid, Response::Scope(Box::new(summary.clone())));
        }
    }

    fn broadcast_error(&self, message: String, emit: &mut dyn FnMut(SessionId, Response)) {
        for sid in self.sessions.keys() {
            emit(*sid, Response::Error(message.clone()));
        }
    }
}

/// A customer's share of a scope's figures that a save can move.
#[derive(Debug, Clone, Default)]
pub struct ScopeShare {
    pub open_promise_base: Decimal,
    pub open_issue_base: Decimal,
    /// Its open issues by reason (base currency).
    pub issues: Vec<IssueReason>,
    pub followups_due: i64,
}

/// Moves a scope's figures by a customer's difference.
fn patch(f: &mut ScopeFigures, before: &ScopeShare, after: &ScopeShare) {
    f.headline.open_p2p_amount += after.open_promise_base - before.open_promise_base;
    f.headline.open_issue_amount += after.open_issue_base - before.open_issue_base;
    let followups = i64::try_from(f.followups_due).unwrap_or(i64::MAX) + after.followups_due
        - before.followups_due;
    f.followups_due = followups.max(0).unsigned_abs();
    patch_reasons(&mut f.issues, &before.issues, &after.issues, true);
    let deduction = crate::store::activity::issues::DEDUCTION_REASON;
    f.headline.open_deduction_amount = f
        .issues
        .iter()
        .filter(|r| r.reason.eq_ignore_ascii_case(deduction))
        .map(|r| r.amount)
        .sum();
}

/// Moves issues by reason by a customer's difference (reasons lowered when `lower`, as the
/// scopes count them), largest amount first.
pub fn patch_reasons(
    reasons: &mut Vec<IssueReason>,
    before: &[IssueReason],
    after: &[IssueReason],
    lower: bool,
) {
    for (list, add) in [(before, false), (after, true)] {
        for r in list {
            let name = if lower {
                r.reason.to_ascii_lowercase()
            } else {
                r.reason.clone()
            };
            let i = match reasons.iter().position(|i| i.reason == name) {
                Some(i) => i,
                None => {
                    reasons.push(IssueReason {
                        reason: name,
                        count: 0,
                        amount: Decimal::ZERO,
                    });
                    reasons.len() - 1
                }
            };
            let slot = &mut reasons[i];
            if add {
                slot.count += r.count;
                slot.amount += r.amount;
            } else {
                slot.count = slot.count.saturating_sub(r.count);
                slot.amount -= r.amount;
            }
        }
    }
    reasons.retain(|i| i.count > 0);
    reasons.sort_by(|a, b| {
        b.amount
            .cmp(&a.amount)
            .then_with(|| a.reason.cmp(&b.reason))
    });
}

/// DSO by the count-back method of some customers (keys): their outstanding against their
/// own monthly sales up to `as_of` (as `owed report metrics --owner` computes it).
pub fn dso_of(
    store: &Store,
    base: &str,
    as_of: Date,
    outstanding: Decimal,
    cids: &[i64],
) -> Result<Option<Decimal>> {
    let sales = store
        .ledger()
        .sales_by_day_of(dso_sales_from(as_of), as_of, base, cids)?;
    Ok(dso_count_back(outstanding, &monthly_sales(as_of, &sales)))
}
