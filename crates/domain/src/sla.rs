//! SLA clocks as a pure fold over a ticket's SLA event log.
//!
//! The state of a ticket's clocks is never stored as counters that drift: [`fold`]
//! recomputes it from the events, a [`Calendar`] and the current instant, so it can be
//! recomputed at any time (after a calendar edit, a policy change) and explained line by
//! line ([`SlaState::trace`]).
//!
//! # Semantics
//!
//! * Two metrics run from `Started`: **first response** (stops at the first
//!   `FirstResponse`, or at `Resolved` if nobody replied before) and **resolution** (stops
//!   at `Resolved`; `Reopened` resumes it with its elapsed time kept — the time spent
//!   resolved does not count).
//! * Elapsed time is business time of the calendar while a clock runs.
//! * `Paused`/`Resumed` (a pausing status such as "waiting on user") pause the resolution
//!   clock. They pause the first-response clock only when
//!   [`SlaTargets::pause_first_response`] is set (off by default: common practice is that
//!   the first reply is owed regardless).
//! * A target is a deadline: it is **breached** once elapsed business time reaches it
//!   (elapsed ≥ target), and **met** if the clock stopped before that. `breached_at` is
//!   the instant elapsed reached the target; a breach stays recorded even if the ticket is
//!   resolved later or the target is raised afterwards. A paused clock cannot breach.
//! * **Due soon** is reached at `due_soon_percent` of the target (75 % by default; 0 or
//!   100 and more turn it off).
//! * `TargetsChanged` keeps the elapsed time and recomputes due instants from it; if the
//!   new target is already used up, the breach happens at the change. A stopped clock
//!   keeps the target it was judged by; a reopened ticket takes the targets then in force.
//! * Nonsensical events (Resumed while running, Resolved twice, anything before Started)
//!   are ignored and noted in the trace; an event stamped earlier than its predecessor
//!   counts at its predecessor's instant; events after `now` are not applied yet.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, Holiday};

/// Default share of a target at which a clock becomes due soon.
pub const DEFAULT_DUE_SOON_PERCENT: u8 = 75;

fn default_due_soon_percent() -> u8 {
    DEFAULT_DUE_SOON_PERCENT
}

/// Targets of one SLA policy row (durations are business time, stored as seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaTargets {
    #[serde(default, with = "opt_secs", skip_serializing_if = "Option::is_none")]
    pub first_response: Option<Duration>,
    #[serde(default, with = "opt_secs", skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Duration>,
    #[serde(default = "default_due_soon_percent")]
    pub due_soon_percent: u8,
    /// Whether pausing statuses also pause the first-response clock.
    #[serde(default)]
    pub pause_first_response: bool,
}

impl Default for SlaTargets {
    fn default() -> Self {
        Self {
            first_response: None,
            resolution: None,
            due_soon_percent: DEFAULT_DUE_SOON_PERCENT,
            pause_first_response: false,
        }
    }
}

impl SlaTargets {
    pub fn new(first_response: Option<Duration>, resolution: Option<Duration>) -> Self {
        Self {
            first_response,
            resolution,
            ..Self::default()
        }
    }

    fn target(&self, metric: Metric) -> Option<Duration> {
        match metric {
            Metric::FirstResponse => self.first_response,
            Metric::Resolution => self.resolution,
        }
    }
}

/// What happened to a ticket, as far as its SLA is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SlaEventKind {
    /// The ticket was created under these targets.
    Started {
        targets: SlaTargets,
    },
    /// The ticket entered a pausing status (e.g. waiting on the requester).
    Paused,
    /// The ticket left the pausing status.
    Resumed,
    /// The first public reply of an agent.
    FirstResponse,
    Resolved,
    Reopened,
    /// Priority or policy changed: elapsed time is kept, due instants are recomputed.
    TargetsChanged {
        targets: SlaTargets,
    },
}

impl SlaEventKind {
    fn label(&self) -> &'static str {
        match self {
            SlaEventKind::Started { .. } => "Started",
            SlaEventKind::Paused => "Paused",
            SlaEventKind::Resumed => "Resumed",
            SlaEventKind::FirstResponse => "FirstResponse",
            SlaEventKind::Resolved => "Resolved",
            SlaEventKind::Reopened => "Reopened",
            SlaEventKind::TargetsChanged { .. } => "TargetsChanged",
        }
    }
}

/// One entry of a ticket's SLA event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaEvent {
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: SlaEventKind,
}

impl SlaEvent {
    pub fn new(at: DateTime<Utc>, kind: SlaEventKind) -> Self {
        Self { at, kind }
    }
}

/// The two measured metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    FirstResponse,
    Resolution,
}

impl Metric {
    pub fn label(self) -> &'static str {
        match self {
            Metric::FirstResponse => "First response",
            Metric::Resolution => "Resolution",
        }
    }
    fn lower(self) -> &'static str {
        match self {
            Metric::FirstResponse => "first response",
            Metric::Resolution => "resolution",
        }
    }
}

/// Where a metric's clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClockStatus {
    NotStarted,
    Running,
    Paused,
    Stopped { at: DateTime<Utc> },
}

/// One metric's clock as of `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricState {
    pub metric: Metric,
    #[serde(with = "opt_secs")]
    pub target: Option<Duration>,
    pub status: ClockStatus,
    /// Business time counted so far (up to `now`, or to the stop).
    #[serde(with = "secs")]
    pub elapsed: Duration,
    /// Target minus elapsed, never negative.
    #[serde(with = "opt_secs")]
    pub remaining: Option<Duration>,
    /// While running: the instant elapsed reaches (or reached) the target. Otherwise none.
    pub due_at: Option<DateTime<Utc>>,
    /// While running: the instant elapsed reaches (or reached) the due-soon share.
    pub due_soon_at: Option<DateTime<Utc>>,
    /// Whether the due-soon share has been reached.
    pub due_soon: bool,
    pub breached: bool,
    pub breached_at: Option<DateTime<Utc>>,
    /// Once stopped with a target: whether it stopped before breaching.
    pub met: Option<bool>,
}

/// One stretch in a pausing status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pause {
    pub from: DateTime<Utc>,
    /// `None` while still paused.
    pub to: Option<DateTime<Utc>>,
    /// Business time inside the pause, which the resolution clock did not count.
    #[serde(with = "secs")]
    pub business_time_lost: Duration,
}

/// The SLA state of a ticket, recomputed by [`fold`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaState {
    pub now: DateTime<Utc>,
    pub first_response: MetricState,
    pub resolution: MetricState,
    pub pauses: Vec<Pause>,
    /// Human-readable explanation, in order; local times use the calendar's zone.
    pub trace: Vec<String>,
}

impl SlaState {
    pub fn metric(&self, metric: Metric) -> &MetricState {
        match metric {
            Metric::FirstResponse => &self.first_response,
            Metric::Resolution => &self.resolution,
        }
    }
}

/// What a scheduled SLA timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "metric", rename_all = "snake_case")]
pub enum TimerKind {
    DueSoon(Metric),
    Breach(Metric),
}

/// The next due-soon or breach instant that has not happened yet, so a scheduler can keep
/// a single timer per ticket (and refold when it fires). `None` when no clock is running
/// towards a target.
pub fn next_timer(state: &SlaState) -> Option<(TimerKind, DateTime<Utc>)> {
    let mut best: Option<(TimerKind, DateTime<Utc>)> = None;
    for m in [&state.first_response, &state.resolution] {
        if m.status != ClockStatus::Running {
            continue;
        }
        let mut candidates = Vec::with_capacity(2);
        if !m.breached
            && let Some(at) = m.due_at
        {
            candidates.push((TimerKind::Breach(m.metric), at));
        }
        if !m.due_soon
            && let Some(at) = m.due_soon_at
        {
            candidates.push((TimerKind::DueSoon(m.metric), at));
        }
        for c in candidates {
            // On a tie the breach wins: it is the more important notification.
            let better = match best {
                None => true,
                Some((_, at)) => c.1 < at || (c.1 == at && matches!(c.0, TimerKind::Breach(_))),
            };
            if better {
                best = Some(c);
            }
        }
    }
    best
}

/// Formats a duration compactly: `45s`, `1m30s`, `2h10m`, `8h`, `3d 4h` (days are 24 h).
pub fn format_duration(d: Duration) -> String {
    let total = d.num_seconds();
    let sign = if total < 0 { "-" } else { "" };
    let s = total.unsigned_abs();
    let body = if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        match s % 60 {
            0 => format!("{}m", s / 60),
            r => format!("{}m{r}s", s / 60),
        }
    } else if s < 86_400 {
        match (s % 3600) / 60 {
            0 => format!("{}h", s / 3600),
            m => format!("{}h{m}m", s / 3600),
        }
    } else {
        match (s % 86_400) / 3600 {
            0 => format!("{}d", s / 86_400),
            h => format!("{}d {h}h", s / 86_400),
        }
    };
    format!("{sign}{body}")
}

/// One metric's clock while folding.
#[derive(Debug, Clone)]
struct Clock {
    metric: Metric,
    target: Option<Duration>,
    due_soon_percent: u8,
    started: bool,
    /// Business time of closed running stretches.
    elapsed: Duration,
    /// Start of the current running stretch.
    running_since: Option<DateTime<Utc>>,
    paused: bool,
    stopped_at: Option<DateTime<Utc>>,
    due_soon_at: Option<DateTime<Utc>>,
    breached_at: Option<DateTime<Utc>>,
}

impl Clock {
    fn new(metric: Metric) -> Self {
        Self {
            metric,
            target: None,
            due_soon_percent: DEFAULT_DUE_SOON_PERCENT,
            started: false,
            elapsed: Duration::zero(),
            running_since: None,
            paused: false,
            stopped_at: None,
            due_soon_at: None,
            breached_at: None,
        }
    }

    fn due_soon_threshold(&self) -> Option<Duration> {
        let target = self.target?;
        let pct = i64::from(self.due_soon_percent);
        (1..100)
            .contains(&pct)
            .then(|| Duration::seconds(target.num_seconds() * pct / 100))
    }

    fn is_running(&self) -> bool {
        self.running_since.is_some()
    }

    /// Marks thresholds already reached by the elapsed time as reached at `at` (after a
    /// start or a target change).
    fn settle(&mut self, at: DateTime<Utc>, fx: &mut Fx) {
        if self.due_soon_at.is_none()
            && let Some(thr) = self.due_soon_threshold()
            && self.elapsed >= thr
        {
            self.due_soon_at = Some(at);
        }
        if self.breached_at.is_none()
            && let Some(target) = self.target
            && self.elapsed >= target
        {
            self.breached_at = Some(at);
            fx.line(format!(
                "{} breached at {}",
                self.metric.label(),
                fx.local(at)
            ));
        }
    }

    /// Counts business time up to `to` if running; returns the thresholds crossed on the
    /// way with their trace lines.
    fn advance(&mut self, to: DateTime<Utc>, fx: &Fx) -> Vec<(DateTime<Utc>, String)> {
        let Some(since) = self.running_since else {
            return Vec::new();
        };
        if to <= since {
            return Vec::new();
        }
        let gained = fx.cal.business_time_between(since, to);
        let before = self.elapsed;
        let after = before + gained;
        // Thresholds crossed in this stretch, in order, each with its trace line.
        let mut crossings: Vec<(DateTime<Utc>, String)> = Vec::new();
        if self.due_soon_at.is_none()
            && let Some(thr) = self.due_soon_threshold()
            && after >= thr
        {
            self.due_soon_at = fx.cal.add_business_time(since, thr - before);
            if let Some(at) = self.due_soon_at {
                crossings.push((
                    at,
                    format!(
                        "{} due soon at {} ({} % of {})",
                        self.metric.label(),
                        fx.local(at),
                        self.due_soon_percent,
                        format_duration(self.target.unwrap_or_default())
                    ),
                ));
            }
        }
        if self.breached_at.is_none()
            && let Some(target) = self.target
            && after >= target
        {
            self.breached_at = fx.cal.add_business_time(since, target - before);
            if let Some(at) = self.breached_at {
                crossings.push((
                    at,
                    format!(
                        "{} breached at {} (target {})",
                        self.metric.label(),
                        fx.local(at),
                        format_duration(target)
                    ),
                ));
            }
        }
        self.elapsed = after;
        self.running_since = Some(to);
        crossings
    }

    /// Applies new targets: elapsed time is kept, due soon is re-armed if the new share
    /// lies ahead, a recorded breach stays, and a target already used up breaches now.
    fn retarget(&mut self, targets: &SlaTargets, at: DateTime<Utc>, fx: &mut Fx) {
        let (old, new) = (self.target, targets.target(self.metric));
        if old != new {
            fx.line(format!(
                "Priority changed: {} target {} → {}; {} already elapsed",
                self.metric.lower(),
                old.map_or("none".to_string(), format_duration),
                new.map_or("none".to_string(), format_duration),
                format_duration(self.elapsed)
            ));
        }
        self.target = new;
        self.due_soon_percent = targets.due_soon_percent;
        if self
            .due_soon_threshold()
            .is_none_or(|thr| self.elapsed < thr)
        {
            self.due_soon_at = None;
        }
        self.settle(at, fx);
    }

    fn start(&mut self, at: DateTime<Utc>, targets: &SlaTargets, fx: &mut Fx) {
        self.started = true;
        self.target = targets.target(self.metric);
        self.due_soon_percent = targets.due_soon_percent;
        self.running_since = Some(at);
        self.settle(at, fx);
    }

    fn pause(&mut self) {
        self.running_since = None;
        self.paused = true;
    }

    fn resume(&mut self, at: DateTime<Utc>) {
        self.paused = false;
        self.running_since = Some(at);
    }

    fn stop(&mut self, at: DateTime<Utc>) {
        self.running_since = None;
        self.paused = false;
        self.stopped_at = Some(at);
    }

    fn state(&self, now: DateTime<Utc>, cal: &Calendar) -> MetricState {
        let status = if !self.started {
            ClockStatus::NotStarted
        } else if let Some(at) = self.stopped_at {
            ClockStatus::Stopped { at }
        } else if self.paused {
            ClockStatus::Paused
        } else {
            ClockStatus::Running
        };
        let running = status == ClockStatus::Running;
        let project = |threshold: Duration, reached: Option<DateTime<Utc>>| {
            if !running {
                return None;
            }
            reached.or_else(|| cal.add_business_time(now, threshold - self.elapsed))
        };
        let due_at = self.target.and_then(|t| project(t, self.breached_at));
        let due_soon_at = self
            .due_soon_threshold()
            .and_then(|t| project(t, self.due_soon_at));
        MetricState {
            metric: self.metric,
            target: self.target,
            status,
            elapsed: self.elapsed,
            remaining: self
                .target
                .map(|t| (t - self.elapsed).max(Duration::zero())),
            due_at,
            due_soon_at,
            due_soon: self.due_soon_at.is_some(),
            breached: self.breached_at.is_some(),
            breached_at: self.breached_at,
            met: match status {
                ClockStatus::Stopped { .. } if self.target.is_some() => {
                    Some(self.breached_at.is_none())
                }
                _ => None,
            },
        }
    }
}

/// Shared context of a fold: the calendar and the growing trace.
struct Fx<'a> {
    cal: &'a Calendar,
    trace: Vec<String>,
    holidays_noted: Vec<&'a Holiday>,
}

impl<'a> Fx<'a> {
    fn line(&mut self, s: String) {
        self.trace.push(s);
    }

    fn local(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.cal.zone())
            .format("%a %-d %b %H:%M")
            .to_string()
    }

    fn note_holidays(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) {
        let cal: &'a Calendar = self.cal;
        for h in cal.holidays_between(from, to) {
            if !self.holidays_noted.contains(&h) {
                self.holidays_noted.push(h);
                let day = |d: chrono::NaiveDate| d.format("%a %-d %b").to_string();
                let line = match h.hours {
                    Some(c) => format!(
                        "{} {}–{} is closed ({})",
                        day(h.start),
                        c.from.format("%H:%M"),
                        if c.until == chrono::NaiveTime::MIN {
                            "24:00".to_string()
                        } else {
                            c.until.format("%H:%M").to_string()
                        },
                        h.name
                    ),
                    None if h.start == h.end => {
                        format!("{} is a holiday ({})", day(h.start), h.name)
                    }
                    None => format!(
                        "{} – {} are holidays ({})",
                        day(h.start),
                        day(h.end),
                        h.name
                    ),
                };
                self.trace.push(line);
            }
        }
    }
}

/// Runs both clocks up to `to` and explains, in time order, the thresholds crossed and
/// the holidays the running clocks went across.
fn advance_all(fr: &mut Clock, res: &mut Clock, to: DateTime<Utc>, fx: &mut Fx) {
    let Some(since) = [fr.running_since, res.running_since]
        .into_iter()
        .flatten()
        .min()
    else {
        return;
    };
    let mut crossings = fr.advance(to, fx);
    crossings.extend(res.advance(to, fx));
    crossings.sort_by_key(|c| c.0);
    let mut from = since;
    for (at, line) in crossings {
        fx.note_holidays(from, at);
        fx.line(line);
        from = from.max(at);
    }
    fx.note_holidays(from, to);
}

/// Recomputes a ticket's SLA clocks from its event log as of `now`.
pub fn fold(events: &[SlaEvent], cal: &Calendar, now: DateTime<Utc>) -> SlaState {
    let mut fx = Fx {
        cal,
        trace: Vec::new(),
        holidays_noted: Vec::new(),
    };
    let mut fr = Clock::new(Metric::FirstResponse);
    let mut res = Clock::new(Metric::Resolution);
    let mut current = SlaTargets::default();
    let mut pauses: Vec<Pause> = Vec::new();
    let mut open_pause: Option<DateTime<Utc>> = None;
    let mut last_at: Option<DateTime<Utc>> = None;
    let mut future = 0usize;

    for event in events {
        if event.at > now {
            future += 1;
            continue;
        }
        let at = match last_at {
            Some(prev) if event.at < prev => {
                fx.line(format!(
                    "{} at {} is earlier than the event before it; counted at {}",
                    event.kind.label(),
                    fx.local(event.at),
                    fx.local(prev)
                ));
                prev
            }
            _ => event.at,
        };
        last_at = Some(at);
        let when = fx.local(at);
        let ignore = |fx: &mut Fx, why: &str| {
            fx.line(format!("Ignored {} at {when}: {why}", event.kind.label()));
        };
        if !res.started && !matches!(event.kind, SlaEventKind::Started { .. }) {
            ignore(&mut fx, "the SLA has not started");
            continue;
        }
        advance_all(&mut fr, &mut res, at, &mut fx);
        match &event.kind {
            SlaEventKind::Started { targets } => {
                if res.started {
                    ignore(&mut fx, "already started");
                    continue;
                }
                fx.line(format!(
                    "Started {when} ({}); {}",
                    cal.zone().name(),
                    describe_targets(targets)
                ));
                current = *targets;
                fr.start(at, targets, &mut fx);
                res.start(at, targets, &mut fx);
            }
            SlaEventKind::Paused => {
                if open_pause.is_some() {
                    ignore(&mut fx, "already paused");
                } else if res.stopped_at.is_some() {
                    ignore(&mut fx, "the ticket is resolved");
                } else {
                    open_pause = Some(at);
                    res.pause();
                    if current.pause_first_response && fr.is_running() {
                        fr.pause();
                    }
                    fx.line(format!("Clock paused {when}"));
                }
            }
            SlaEventKind::Resumed => match open_pause.take() {
                None => ignore(&mut fx, "the clock was not paused"),
                Some(from) => {
                    res.resume(at);
                    if fr.paused {
                        fr.resume(at);
                    }
                    close_pause(&mut pauses, from, at, &mut fx);
                }
            },
            SlaEventKind::FirstResponse => {
                if fr.stopped_at.is_some() {
                    ignore(&mut fx, "the first response was already recorded");
                } else {
                    fr.stop(at);
                    fx.line(format!(
                        "First response {when} after {}{}",
                        format_duration(fr.elapsed),
                        verdict(&fr)
                    ));
                }
            }
            SlaEventKind::Resolved => {
                if res.stopped_at.is_some() {
                    ignore(&mut fx, "already resolved");
                } else {
                    if let Some(from) = open_pause.take() {
                        close_pause(&mut pauses, from, at, &mut fx);
                    }
                    res.stop(at);
                    fx.line(format!(
                        "Resolved {when} after {} of business time{}",
                        format_duration(res.elapsed),
                        verdict(&res)
                    ));
                    if fr.stopped_at.is_none() {
                        fr.stop(at);
                        fx.line(format!(
                            "First response counted at resolution, after {}{}",
                            format_duration(fr.elapsed),
                            verdict(&fr)
                        ));
                    }
                }
            }
            SlaEventKind::Reopened => {
                if res.stopped_at.is_none() {
                    ignore(&mut fx, "the ticket is not resolved");
                } else {
                    res.stopped_at = None;
                    res.resume(at);
                    fx.line(format!(
                        "Reopened {when}: resolution clock resumes at {}",
                        format_duration(res.elapsed)
                    ));
                    res.retarget(&current, at, &mut fx);
                }
            }
            SlaEventKind::TargetsChanged { targets } => {
                current = *targets;
                // A stopped clock keeps the target it was judged by; a reopened ticket
                // picks up the targets in force when it reopens.
                for clock in [&mut fr, &mut res] {
                    if clock.stopped_at.is_none() {
                        clock.retarget(targets, at, &mut fx);
                    }
                }
            }
        }
    }

    advance_all(&mut fr, &mut res, now, &mut fx);
    if let Some(from) = open_pause {
        let lost = cal.business_time_between(from, now);
        fx.line(format!(
            "Paused since {} ({} of business time not counted so far)",
            fx.local(from),
            format_duration(lost)
        ));
        pauses.push(Pause {
            from,
            to: None,
            business_time_lost: lost,
        });
    }
    if future > 0 {
        fx.line(format!("{future} event(s) after now not applied yet"));
    }
    let first_response = fr.state(now, cal);
    let resolution = res.state(now, cal);
    for m in [&first_response, &resolution] {
        if m.status == ClockStatus::Running
            && let Some(target) = m.target
        {
            let due = match m.due_at {
                Some(at) if m.breached => format!("breached at {}", fx.local(at)),
                Some(at) => {
                    fx.note_holidays(now, at);
                    format!("due {}", fx.local(at))
                }
                None => "never due: the calendar has no open time ahead".to_string(),
            };
            fx.line(format!(
                "{} running: {} of {} elapsed, {due}",
                m.metric.label(),
                format_duration(m.elapsed),
                format_duration(target)
            ));
        }
    }
    SlaState {
        now,
        first_response,
        resolution,
        pauses,
        trace: fx.trace,
    }
}

fn close_pause(pauses: &mut Vec<Pause>, from: DateTime<Utc>, to: DateTime<Utc>, fx: &mut Fx) {
    let lost = fx.cal.business_time_between(from, to);
    fx.line(format!(
        "Paused {} while waiting on user ({} – {}), {} of business time not counted",
        format_duration(to - from),
        fx.local(from),
        fx.local(to),
        format_duration(lost)
    ));
    pauses.push(Pause {
        from,
        to: Some(to),
        business_time_lost: lost,
    });
}

fn verdict(clock: &Clock) -> String {
    match clock.target {
        None => String::new(),
        Some(t) if clock.breached_at.is_some() => {
            format!(" (target {}): breached", format_duration(t))
        }
        Some(t) => format!(" (target {}): met", format_duration(t)),
    }
}

fn describe_targets(t: &SlaTargets) -> String {
    let part = |name: &str, d: Option<Duration>| match d {
        Some(d) => format!("{name} target {}", format_duration(d)),
        None => format!("no {name} target"),
    };
    format!(
        "{}, {}",
        part("first response", t.first_response),
        part("resolution", t.resolution)
    )
}

impl fmt::Display for TimerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimerKind::DueSoon(m) => write!(f, "{} due soon", m.label()),
            TimerKind::Breach(m) => write!(f, "{} breach", m.label()),
        }
    }
}

/// Serde helpers: durations as whole seconds.
mod secs {
    use chrono::Duration;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_seconds())
    }
}

mod opt_secs {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.num_seconds()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        match Option::<i64>::deserialize(d)? {
            None => Ok(None),
            Some(n) if n < 0 => Err(serde::de::Error::custom("duration must not be negative")),
            Some(n) => Duration::try_seconds(n)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("duration out of range")),
        }
    }
}
