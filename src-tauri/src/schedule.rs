//! Scheduled syncs: while the app runs, each connection is synced on its own every period (its
//! own, kept with it; `RECKON_SYNC_PERIOD_SECS` overrides them all), one sync at a time through
//! the sync job slot, paused while its vendor cannot be reached (backing off), and followed by a
//! check. Each open error that check finds and the check before it did not is raised as a
//! desktop notification; clicking it (or coming back to the window) opens the finding.
//!
//! [`Planner`] decides when (pure: time is a parameter, so tests drive it with a fake clock);
//! [`run_due`] runs one due sync; [`start`] is the loop on Tauri's async runtime.

use std::collections::{BTreeMap, HashSet};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reckon::check::CheckReport;
use reckon::model::Severity;
use reckon::sync::{self, ApiError, Customers, SyncError, SyncProgress, SyncRequest, SyncSink};

use crate::dto::{AppError, ConnectionView, NotifiedFinding, ScheduleState, ScheduleView};
use crate::state::{blocking, AppState};

/// `RECKON_SYNC_PERIOD_SECS=N`: every connection is synced every N seconds, whatever its own
/// period (the end-to-end test uses seconds; 0 turns scheduled syncs off).
pub const PERIOD_ENV: &str = "RECKON_SYNC_PERIOD_SECS";
/// `RECKON_NOTIFY_LOG=FILE`: each notification the app raises is also appended to FILE as one
/// JSON line (the end-to-end test reads it; no notification server is needed for that).
pub const NOTIFY_LOG_ENV: &str = "RECKON_NOTIFY_LOG";
/// How often the loop looks for a due connection.
pub const TICK: Duration = Duration::from_secs(1);
/// The first wait after a vendor could not be reached; each failure in a row doubles it, up to
/// the connection's period.
pub const OFFLINE_FIRST_RETRY: Duration = Duration::from_secs(30);
/// How long a due sync waits when another sync holds the job slot.
pub const BUSY_RETRY: Duration = Duration::from_secs(5);

/// How a scheduled sync ended, as the planner needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    /// Synced and checked: due again a period from now.
    Synced,
    /// The vendor could not be reached (no connection, DNS, timeouts): paused, retried sooner
    /// and sooner no more, backing off.
    Offline(String),
    /// Any other failure (a rejected key, a bad answer): shown, and tried again a period later.
    Failed(String),
    /// Another sync holds the job slot: tried again shortly.
    Busy,
}

#[derive(Debug, Clone)]
struct Slot {
    /// As kept with the connection, in seconds (0: off).
    stored_secs: i64,
    next: Duration,
    running: bool,
    /// Failures to reach the vendor in a row.
    offline: u32,
    last_run: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

/// When each connection is due. Time is `Duration` since the loop started, passed in.
#[derive(Debug, Default)]
pub struct Planner {
    slots: BTreeMap<i64, Slot>,
    /// `RECKON_SYNC_PERIOD_SECS`.
    override_period: Option<Duration>,
}

impl Planner {
    pub fn new(override_period: Option<Duration>) -> Planner {
        Planner { slots: BTreeMap::new(), override_period }
    }

    /// The period a connection is synced at; `None`: only when asked.
    pub fn period(&self, stored_secs: i64) -> Option<Duration> {
        period_of(self.override_period, stored_secs)
    }

    /// Follows the kept connections (`(id, period in seconds)`): a new one is first due a period
    /// from `now`, a removed one is forgotten, a changed period counts from `now`.
    pub fn track(&mut self, connections: &[(i64, i64)], now: Duration) {
        let kept: HashSet<i64> = connections.iter().map(|(id, _)| *id).collect();
        self.slots.retain(|id, _| kept.contains(id));
        for &(id, secs) in connections {
            let period = self.period(secs).unwrap_or_default();
            let slot = self.slots.entry(id).or_insert(Slot {
                stored_secs: secs,
                next: now + period,
                running: false,
                offline: 0,
                last_run: None,
                last_error: None,
            });
            if slot.stored_secs != secs {
                slot.stored_secs = secs;
                slot.next = now + period;
            }
        }
    }

    /// The connection to sync now, if any (the one due longest), marked running. Never while a
    /// scheduled sync runs.
    pub fn next_due(&mut self, now: Duration) -> Option<i64> {
        if self.slots.values().any(|s| s.running) {
            return None;
        }
        let override_period = self.override_period;
        let (&id, slot) = self
            .slots
            .iter_mut()
            .filter(|(_, s)| period_of(override_period, s.stored_secs).is_some() && s.next <= now)
            .min_by_key(|(id, s)| (s.next, **id))?;
        slot.running = true;
        Some(id)
    }

    /// Records how the sync of `id` that [`Self::next_due`] handed out ended, at `now`
    /// (`wall`: the same moment by the calendar, to show).
    pub fn finished(&mut self, id: i64, run: Run, now: Duration, wall: DateTime<Utc>) {
        let Some(period) = self.slots.get(&id).map(|s| self.period(s.stored_secs).unwrap_or_default()) else {
            return;
        };
        let Some(slot) = self.slots.get_mut(&id) else { return };
        slot.running = false;
        match run {
            Run::Synced => {
                slot.offline = 0;
                slot.last_run = Some(wall);
                slot.last_error = None;
                slot.next = now + period;
            }
            Run::Offline(why) => {
                slot.offline += 1;
                slot.last_error = Some(why);
                slot.next = now + offline_wait(period, slot.offline);
            }
            Run::Failed(why) => {
                slot.offline = 0;
                slot.last_run = Some(wall);
                slot.last_error = Some(why);
                slot.next = now + period;
            }
            Run::Busy => slot.next = now + BUSY_RETRY.min(period),
        }
    }

    /// "Sync now" synced `id` by hand: its next scheduled sync is a period after it.
    pub fn synced_by_hand(&mut self, id: i64, now: Duration, wall: DateTime<Utc>) {
        let Some(period) = self.slots.get(&id).map(|s| self.period(s.stored_secs).unwrap_or_default()) else {
            return;
        };
        if let Some(slot) = self.slots.get_mut(&id) {
            slot.offline = 0;
            slot.last_run = Some(wall);
            slot.last_error = None;
            slot.next = now + period;
        }
    }

    /// Where the schedule of `id` stands, for the Connections list.
    pub fn status(&self, id: i64, stored_secs: i64, now: Duration, wall: DateTime<Utc>) -> ScheduleView {
        let period = self.period(stored_secs);
        let slot = self.slots.get(&id);
        let state = match (period, slot) {
            (None, _) => ScheduleState::Off,
            (_, Some(s)) if s.running => ScheduleState::Syncing,
            (_, Some(s)) if s.offline > 0 => ScheduleState::Offline,
            _ => ScheduleState::Waiting,
        };
        let next_at = match (period, slot) {
            (Some(_), Some(s)) if !s.running => {
                let wait = s.next.saturating_sub(now);
                Some(rfc3339(wall + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::zero())))
            }
            _ => None,
        };
        ScheduleView {
            state,
            period_secs: period.map_or(0, |p| p.as_secs() as i64),
            overridden: self.override_period.is_some(),
            next_at,
            last_at: slot.and_then(|s| s.last_run).map(rfc3339),
            last_error: slot.and_then(|s| s.last_error.clone()),
        }
    }
}

/// `override_period`, else `stored_secs`; `None` for 0 (only when asked).
fn period_of(override_period: Option<Duration>, stored_secs: i64) -> Option<Duration> {
    let period = override_period.unwrap_or(Duration::from_secs(stored_secs.max(0) as u64));
    (!period.is_zero()).then_some(period)
}

/// The `kind` of a notification about a ledger below its low-balance threshold.
pub const LOW_BALANCE: &str = "low_balance";

/// The wait after the `failures`-th failure in a row to reach a vendor: from 30 s (or the
/// period, if shorter), doubling, never longer than the period (or 30 s, if longer).
pub fn offline_wait(period: Duration, failures: u32) -> Duration {
    let first = OFFLINE_FIRST_RETRY.min(period);
    let cap = period.max(OFFLINE_FIRST_RETRY);
    first.saturating_mul(1u32 << failures.saturating_sub(1).min(20)).min(cap)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Whether a sync failed because the vendor could not be reached at all (connection refused,
/// DNS, timeouts): the connection is offline, not broken.
pub fn is_offline(e: &SyncError) -> bool {
    matches!(e, SyncError::Api(ApiError::Transport { .. }))
}

/// The open errors of `after` whose IDs `before` (every error the previous check saw) lacks,
/// as notifications: the title names the ledger, the body the kind and the delta.
pub fn new_errors(before: &HashSet<String>, after: &CheckReport) -> Vec<NotifiedFinding> {
    after
        .open()
        .filter(|f| f.finding.severity() == Severity::Error && !before.contains(&f.finding.id))
        .map(|f| {
            let chain = format!("{} · {}", f.finding.chain.account, f.finding.chain.currency);
            let kind = f.finding.kind.as_str().to_string();
            let delta = f.finding.delta.map(reckon::money::format_signed);
            let words = kind.replace('_', " ");
            // A balance break names the entry before it and the entry where it breaks: the last one.
            let body = match (&delta, f.finding.transaction_ids.last()) {
                (Some(d), Some(t)) => format!("New {words}: off by {d} at {t}"),
                (Some(d), None) => format!("New {words}: off by {d}"),
                (None, Some(t)) => format!("New {words} at {t}"),
                (None, None) => format!("New {words}"),
            };
            NotifiedFinding {
                id: 0,
                chain_id: f.chain_id,
                finding_id: f.finding.id.clone(),
                kind,
                delta,
                title: format!("Reckon: {chain}"),
                body,
                at: String::new(),
            }
        })
        .collect()
}

/// IDs of every error finding of a check, explained or not: the next check's "new" is measured
/// against them (an error explained and reopened later is not new).
pub fn error_ids(report: &CheckReport) -> HashSet<String> {
    report.findings.iter().filter(|f| f.finding.severity() == Severity::Error).map(|f| f.finding.id.clone()).collect()
}

/// What the scheduler keeps: the planner, the notifications raised this session (the test hook
/// reads them), the one waiting to be opened, and the optional log file.
#[derive(Debug)]
pub struct Watch {
    origin: Instant,
    planner: Mutex<Planner>,
    sent: Mutex<Vec<NotifiedFinding>>,
    pending: Mutex<Option<NotifiedFinding>>,
    log: Option<PathBuf>,
}

impl Watch {
    pub fn new(override_period: Option<Duration>, log: Option<PathBuf>) -> Watch {
        Watch {
            origin: Instant::now(),
            planner: Mutex::new(Planner::new(override_period)),
            sent: Mutex::new(Vec::new()),
            pending: Mutex::new(None),
            log,
        }
    }

    /// From the environment: `RECKON_SYNC_PERIOD_SECS`, `RECKON_NOTIFY_LOG`.
    pub fn from_env() -> Watch {
        let period = std::env::var(PERIOD_ENV).ok().and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
        let log = std::env::var_os(NOTIFY_LOG_ENV).filter(|v| !v.is_empty()).map(PathBuf::from);
        Watch::new(period, log)
    }

    /// Time on the planner's clock.
    pub fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    pub fn planner(&self) -> MutexGuard<'_, Planner> {
        self.planner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every notification raised this session, oldest first.
    pub fn sent(&self) -> Vec<NotifiedFinding> {
        self.sent.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Keeps a notification about to be raised: numbered, recorded, logged, and waiting to be
    /// opened. Returns it numbered.
    fn record(&self, mut n: NotifiedFinding, wall: DateTime<Utc>) -> NotifiedFinding {
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        n.id = sent.len() as i32 + 1;
        n.at = rfc3339(wall);
        sent.push(n.clone());
        drop(sent);
        if let Some(path) = &self.log {
            use std::io::Write;
            let line = serde_json::to_string(&n).unwrap_or_default();
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| writeln!(f, "{line}"));
            if let Err(e) = written {
                eprintln!("reckon: cannot append to {}: {e}", path.display());
            }
        }
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(n.clone());
        n
    }

    /// The notification clicked (by its number): it becomes the one to open.
    pub fn activate(&self, id: i32) -> bool {
        let Some(n) = self.sent().into_iter().find(|n| n.id == id) else { return false };
        *self.pending.lock().unwrap_or_else(|p| p.into_inner()) = Some(n);
        true
    }

    /// Whether a notification's finding waits to be opened.
    pub fn has_pending(&self) -> bool {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// The finding a notification asks to open, once.
    pub fn take_pending(&self) -> Option<NotifiedFinding> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// A kept connection as the Connections list shows it: with where its schedule stands.
pub fn connection_view(state: &AppState, c: &reckon::store::SyncConnection) -> ConnectionView {
    let watch = state.watch();
    let schedule = watch.planner().status(c.id, c.period_secs, watch.now(), Utc::now());
    crate::dto::connection_view(c, schedule)
}

/// A sync's progress goes nowhere; it stops once the job is cancelled (the Cancel button stops a
/// scheduled sync as it does Sync now).
struct Quiet(Arc<AtomicBool>);

impl SyncSink for Quiet {
    fn progress(&mut self, _: &SyncProgress) -> ControlFlow<()> {
        if self.0.load(Ordering::SeqCst) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// What one pass of the loop did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pass {
    pub connection_id: i64,
    pub run: Run,
    /// The notifications raised for new errors, numbered.
    pub raised: Vec<NotifiedFinding>,
}

/// Runs the sync of the connection due at `now` on the planner's clock, if any, then the check;
/// hands each new open error to `raise` (after recording it). `None`: nothing was due.
pub async fn run_due(state: &AppState, now: Duration, raise: &(dyn Fn(&NotifiedFinding) + Sync)) -> Option<Pass> {
    let watch = state.watch();
    let connections = match state.with_db(|db| Ok(db.store.connections()?)).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("reckon: scheduled sync: {}", e.message);
            return None;
        }
    };
    let id = {
        let mut planner = watch.planner();
        planner.track(&connections.iter().map(|c| (c.id, c.period_secs)).collect::<Vec<_>>(), now);
        planner.next_due(now)?
    };
    let started = Instant::now();
    let (run, found) = match connections.into_iter().find(|c| c.id == id) {
        Some(connection) => sync_and_check(state, &connection).await.unwrap_or_else(|run| (run, Vec::new())),
        None => (Run::Failed(format!("connection {id} is gone")), Vec::new()),
    };
    let raised: Vec<NotifiedFinding> = found.into_iter().map(|n| watch.record(n, Utc::now())).collect();
    for n in &raised {
        raise(n);
    }
    watch.planner().finished(id, run.clone(), now + started.elapsed(), Utc::now());
    Some(Pass { connection_id: id, run, raised })
}

/// One scheduled sync of `connection` and the check after it: how it ended and the new open
/// errors (a sync that failed halfway keeps the pages it stored, so it is checked too).
async fn sync_and_check(
    state: &AppState,
    connection: &reckon::store::SyncConnection,
) -> Result<(Run, Vec<NotifiedFinding>), Run> {
    let vendor = sync::vendor(&connection.source)
        .ok_or_else(|| Run::Failed(format!("unknown source {:?}", connection.source)))?;
    let key = match state.session_key(vendor.key_name) {
        Some(key) => key,
        None => blocking(move || Ok(sync::key::find_key(vendor.key_name).key))
            .await
            .map_err(|e| Run::Failed(e.message))?
            .ok_or_else(|| {
                Run::Failed(format!(
                    "no {} API key is known in this session: Connect account… again with the key",
                    vendor.key_name
                ))
            })?,
    };
    let base = sync::BaseUrl::parse(&connection.base_url).map_err(|e| Run::Failed(e.to_string()))?;
    let job = state.begin_sync().map_err(|_| Run::Busy)?;
    // What the previous check saw: the new errors are measured against it. A ledger that went
    // below its threshold before this sync (an import in the window) was shown there already.
    let before = state
        .with_db(|db| {
            let ids = db.error_ids();
            db.take_crossed();
            ids
        })
        .await
        .map_err(|e| Run::Failed(e.message))?;
    let mut request = SyncRequest::new(vendor, base, key, Utc::now());
    request.customers = connection.customer.clone().map_or(Customers::All, Customers::One);
    let cancel = job.cancel_flag();
    request.cancel = Some(cancel.clone());
    let this = state.clone();
    let synced = blocking(move || {
        let _job = job;
        let mut store = this.open_store()?;
        let synced = tauri::async_runtime::block_on(sync::sync(&mut store, &request, &mut Quiet(cancel)));
        Ok(match synced {
            Ok(_) => Run::Synced,
            Err(e) if is_offline(&e) => Run::Offline(e.to_string()),
            Err(e) => Run::Failed(AppError::from(e).message),
        })
    })
    .await
    .map_err(|e| Run::Failed(e.message))?;
    // The sync wrote through its own connection: walk again, whatever it did.
    let (after, crossed) = state
        .with_db(|db| {
            db.changed();
            let report = db.report()?;
            Ok((report, db.take_crossed()))
        })
        .await
        .map_err(|e| Run::Failed(e.message))?;
    let mut raised = new_errors(&before, &after);
    raised.extend(crossed.iter().map(low_balance));
    Ok((synced, raised))
}

/// A ledger gone below its low-balance threshold, as a notification: the title names the
/// ledger, the body the balance and the threshold; `delta` is how far below it is. Clicking it
/// opens the ledger's watch on the Ledgers screen (it has no finding: `finding_id` is empty).
pub fn low_balance(a: &reckon::watch::threshold::LowBalanceAlert) -> NotifiedFinding {
    NotifiedFinding {
        id: 0,
        chain_id: a.chain_id,
        finding_id: String::new(),
        kind: LOW_BALANCE.to_string(),
        delta: Some(reckon::money::format_signed(a.balance - a.threshold)),
        title: format!("Reckon: {} · {}", a.chain.account, a.chain.currency),
        body: format!(
            "Balance {} is below your alert at {}",
            reckon::money::format(a.balance),
            reckon::money::format(a.threshold)
        ),
        at: String::new(),
    }
}

/// Starts the loop: every [`TICK`], the due connection (if any) is synced and checked, each
/// new open error is raised through `raise`, and `after` is told of each pass (the window
/// refreshes what it shows).
pub fn start(
    state: AppState,
    raise: impl Fn(&NotifiedFinding) + Send + Sync + 'static,
    after: impl Fn(&Pass) + Send + Sync + 'static,
) {
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = state.watch().now();
            if let Some(pass) = run_due(&state, now, &raise).await {
                after(&pass);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    fn wall() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-10T09:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_connection_is_due_one_period_after_it_is_first_seen_and_again_a_period_after_each_sync() {
        let mut p = Planner::new(None);
        p.track(&[(1, 900), (2, 60)], Duration::ZERO);
        assert_eq!(p.next_due(59 * Duration::from_secs(1)), None);
        assert_eq!(p.next_due(MIN), Some(2));
        // One at a time: while 2 runs, nothing else is handed out, however late.
        assert_eq!(p.next_due(20 * MIN), None);
        p.finished(2, Run::Synced, MIN + Duration::from_secs(3), wall());
        // 2 has been due again since 2 min 3 s, 1 since minute 15: the one due longest first.
        assert_eq!(p.next_due(20 * MIN), Some(2));
        p.finished(2, Run::Synced, 20 * MIN, wall());
        assert_eq!(p.next_due(20 * MIN), Some(1));
        p.finished(1, Run::Synced, 20 * MIN, wall());
        assert_eq!(p.next_due(21 * MIN - Duration::from_secs(1)), None);
        assert_eq!(p.next_due(21 * MIN), Some(2));
    }

    #[test]
    fn an_offline_connection_backs_off_and_resumes_its_period_once_it_syncs() {
        let mut p = Planner::new(None);
        p.track(&[(7, 900)], Duration::ZERO);
        let mut now = 15 * MIN;
        let mut waits = Vec::new();
        for _ in 0..7 {
            assert_eq!(p.next_due(now), Some(7));
            p.finished(7, Run::Offline("no answer".into()), now, wall());
            let view = p.status(7, 900, now, wall());
            assert_eq!(view.state, ScheduleState::Offline);
            assert_eq!(view.last_error.as_deref(), Some("no answer"));
            let wait = p.slots[&7].next - now;
            assert_eq!(p.next_due(now + wait - Duration::from_secs(1)), None, "paused until then");
            waits.push(wait.as_secs());
            now += wait;
        }
        assert_eq!(waits, [30, 60, 120, 240, 480, 900, 900]);
        assert_eq!(p.next_due(now), Some(7));
        p.finished(7, Run::Synced, now, wall());
        assert_eq!(p.status(7, 900, now, wall()).state, ScheduleState::Waiting);
        assert_eq!(p.next_due(now + 15 * MIN - Duration::from_secs(1)), None);
        assert_eq!(p.next_due(now + 15 * MIN), Some(7));
    }

    #[test]
    fn a_busy_slot_retries_shortly_and_sync_now_restarts_the_period() {
        let mut p = Planner::new(None);
        p.track(&[(3, 600)], Duration::ZERO);
        assert_eq!(p.next_due(10 * MIN), Some(3));
        p.finished(3, Run::Busy, 10 * MIN, wall());
        assert_eq!(p.next_due(10 * MIN + Duration::from_secs(4)), None);
        assert_eq!(p.next_due(10 * MIN + BUSY_RETRY), Some(3));
        p.finished(3, Run::Synced, 10 * MIN + BUSY_RETRY, wall());
        p.synced_by_hand(3, 15 * MIN, wall());
        assert_eq!(p.next_due(25 * MIN - Duration::from_secs(1)), None);
        assert_eq!(p.next_due(25 * MIN), Some(3));
    }

    #[test]
    fn periods_change_count_from_now_turn_off_and_yield_to_the_override() {
        let mut p = Planner::new(None);
        p.track(&[(1, 900)], Duration::ZERO);
        p.track(&[(1, 0)], 5 * MIN);
        assert_eq!(p.next_due(60 * MIN), None);
        assert_eq!(p.status(1, 0, 60 * MIN, wall()).state, ScheduleState::Off);
        p.track(&[(1, 120)], 60 * MIN);
        assert_eq!(p.next_due(61 * MIN), None);
        assert_eq!(p.next_due(62 * MIN), Some(1));
        // A removed connection is forgotten.
        p.track(&[], 63 * MIN);
        assert!(p.slots.is_empty());

        let mut fast = Planner::new(Some(Duration::from_secs(3)));
        fast.track(&[(1, 900), (2, 0)], Duration::ZERO);
        assert_eq!(fast.next_due(Duration::from_secs(3)), Some(1));
        fast.finished(1, Run::Synced, Duration::from_secs(3), wall());
        assert_eq!(fast.next_due(Duration::from_secs(3)), Some(2));
        let view = fast.status(1, 900, Duration::from_secs(4), wall());
        assert_eq!((view.period_secs, view.overridden), (3, true));
        assert_eq!(view.next_at.as_deref(), Some("2026-03-10T09:00:02Z"));
        assert_eq!(offline_wait(Duration::from_secs(3), 1), Duration::from_secs(3));
        assert_eq!(offline_wait(Duration::from_secs(3), 5), Duration::from_secs(30));
    }
}
