//! SLA clocks on business calendars.
//!
//! A ticket's clock is a fold over its SLA event log (`ticket_sla_events`), computed by
//! `catalyst_domain::sla::fold` with the calendar of the policy that applies. Every ticket
//! change appends the events it implies (started, paused, resumed, first response,
//! resolved, reopened, targets changed) in its own transaction, refolds, stores the result
//! for lists and reschedules the ticket's one timer job (due soon or breach). The timer
//! job refolds at its time, raises the flags once, audits, notifies and escalates.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use catalyst_domain::calendar::{Calendar, CalendarSpec, Holiday, holidays_from_ics};
use catalyst_domain::sla::{
    self as dsla, ClockStatus, Metric, SlaEvent, SlaEventKind, SlaState, SlaTargets,
};
use catalyst_domain::{FieldError, Permission, Priority, Status, TenantId, TicketKind, UserId};
use catalyst_store::Scope;
use catalyst_store::entity::{business_calendar, sla_policy, ticket, ticket_event, ticket_sla};
use catalyst_store::repo::{jobs as jobs_repo, queues as queues_repo, sla as repo};
use catalyst_store::sea_orm::ConnectionTrait;

use crate::audit::{Change, Who};
use crate::jobs::JobError;
use crate::notify::Notice;
use crate::{Actor, App, AppError, Result, SystemActor};

/// Statuses that pause the resolution clock unless a policy says otherwise.
pub const DEFAULT_PAUSE_STATUSES: &[&str] = &["waiting_on_user"];

fn is_stopped(status: &str) -> bool {
    matches!(status, "resolved" | "closed" | "cancelled")
}

fn timer_key(ticket: Uuid) -> String {
    format!("sla:{ticket}")
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A policy as admins see and edit it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PolicyView {
    pub id: Uuid,
    pub name: String,
    pub position: i32,
    pub kinds: Vec<String>,
    pub priorities: Vec<String>,
    pub queue_id: Option<Uuid>,
    pub calendar_id: Option<Uuid>,
    pub first_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    pub due_soon_percent: i16,
    pub pause_statuses: Vec<String>,
    pub escalate_priority: Option<String>,
    pub escalate_queue_id: Option<Uuid>,
    pub enabled: bool,
}

impl From<&sla_policy::Model> for PolicyView {
    fn from(p: &sla_policy::Model) -> Self {
        Self {
            id: p.id,
            name: p.name.clone(),
            position: p.position,
            kinds: strings(&p.kinds),
            priorities: strings(&p.priorities),
            queue_id: p.queue_id,
            calendar_id: p.calendar_id,
            first_response_minutes: p.first_response_secs.map(|s| s / 60),
            resolution_minutes: p.resolution_secs.map(|s| s / 60),
            due_soon_percent: p.due_soon_percent,
            pause_statuses: strings(&p.pause_statuses),
            escalate_priority: p.escalate_priority.clone(),
            escalate_queue_id: p.escalate_queue_id,
            enabled: p.enabled,
        }
    }
}

/// A policy to create or replace.
#[derive(Debug, Clone, Default)]
pub struct PolicyInput {
    pub name: String,
    pub position: i32,
    pub kinds: Vec<String>,
    pub priorities: Vec<String>,
    pub queue_id: Option<Uuid>,
    pub calendar_id: Option<Uuid>,
    pub first_response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    pub due_soon_percent: Option<i16>,
    pub pause_statuses: Option<Vec<String>>,
    pub escalate_priority: Option<String>,
    pub escalate_queue_id: Option<Uuid>,
    pub enabled: bool,
}

/// A calendar as admins see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CalendarView {
    pub id: Uuid,
    pub name: String,
    pub spec: CalendarSpec,
    /// Open business time per week, in seconds.
    pub weekly_open_secs: i64,
    pub updated_at: DateTime<Utc>,
}

fn calendar_view(c: &business_calendar::Model) -> Result<CalendarView> {
    let cal = parse_calendar(&c.spec)?;
    Ok(CalendarView {
        id: c.id,
        name: c.name.clone(),
        spec: serde_json::from_value(c.spec.clone())
            .map_err(|e| AppError::Internal(format!("stored calendar {}: {e}", c.id)))?,
        weekly_open_secs: cal.weekly_open_time().num_seconds(),
        updated_at: c.updated_at,
    })
}

fn parse_calendar(spec: &serde_json::Value) -> Result<Calendar> {
    serde_json::from_value::<Calendar>(spec.clone())
        .map_err(|e| AppError::Internal(format!("stored calendar is invalid: {e}")))
}

/// Why a ticket's deadline is what it is.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaExplanation {
    pub ticket_id: Uuid,
    pub policy: Option<NamedRef>,
    pub calendar: CalendarRef,
    /// `running`, `due_soon`, `breached`, `paused`, `met`; none without a policy.
    pub summary: Option<String>,
    pub next_due_at: Option<DateTime<Utc>>,
    pub state: SlaState,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NamedRef {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CalendarRef {
    /// None: the built-in 24×7 calendar.
    pub id: Option<Uuid>,
    pub name: String,
    pub zone: String,
}

/// The summary shown in lists and badges.
pub fn summary(s: &SlaState) -> (Option<String>, Option<DateTime<Utc>>) {
    let ms = [&s.first_response, &s.resolution];
    if ms.iter().all(|m| m.target.is_none()) {
        return (None, None);
    }
    let running: Vec<_> = ms
        .iter()
        .filter(|m| m.status == ClockStatus::Running && m.target.is_some())
        .collect();
    let next_due = running.iter().filter_map(|m| m.due_at).min();
    let label = if ms.iter().any(|m| m.breached) {
        "breached"
    } else if running.iter().any(|m| m.due_soon) {
        "due_soon"
    } else if !running.is_empty() {
        "running"
    } else if ms.iter().any(|m| m.status == ClockStatus::Paused) {
        "paused"
    } else {
        "met"
    };
    (Some(label.to_string()), next_due)
}

/// The policy that applies to a ticket: the first enabled match by position.
fn matching<'a>(
    policies: &'a [sla_policy::Model],
    t: &ticket::Model,
) -> Option<&'a sla_policy::Model> {
    policies.iter().find(|p| {
        let kinds = strings(&p.kinds);
        let prios = strings(&p.priorities);
        p.enabled
            && (kinds.is_empty() || kinds.contains(&t.kind))
            && (prios.is_empty() || prios.contains(&t.priority))
            && (p.queue_id.is_none() || p.queue_id == t.queue_id)
    })
}

fn targets_of(p: Option<&sla_policy::Model>) -> SlaTargets {
    match p {
        None => SlaTargets::default(),
        Some(p) => SlaTargets {
            first_response: p.first_response_secs.map(Duration::seconds),
            resolution: p.resolution_secs.map(Duration::seconds),
            due_soon_percent: u8::try_from(p.due_soon_percent).unwrap_or(75),
            pause_first_response: false,
        },
    }
}

fn pauses(p: Option<&sla_policy::Model>, status: &str) -> bool {
    match p {
        Some(p) => strings(&p.pause_statuses).iter().any(|s| s == status),
        None => DEFAULT_PAUSE_STATUSES.contains(&status),
    }
}

fn event_kind_name(k: &SlaEventKind) -> &'static str {
    match k {
        SlaEventKind::Started { .. } => "started",
        SlaEventKind::Paused => "paused",
        SlaEventKind::Resumed => "resumed",
        SlaEventKind::FirstResponse => "first_response",
        SlaEventKind::Resolved => "resolved",
        SlaEventKind::Reopened => "reopened",
        SlaEventKind::TargetsChanged { .. } => "targets_changed",
    }
}

fn to_event(m: &catalyst_store::entity::ticket_sla_event::Model) -> Option<SlaEvent> {
    let mut v = m.data.clone();
    if let Some(o) = v.as_object_mut() {
        o.insert("at".into(), json!(m.at));
    }
    serde_json::from_value(v).ok()
}

/// Keys of the notifications already sent for a ticket (`first_response:due_soon`, …),
/// kept in the clock row's targets JSON under `notified`.
fn notified(c: &ticket_sla::Model) -> Vec<String> {
    c.targets.get("notified").map(strings).unwrap_or_default()
}

fn metric_key(m: Metric) -> &'static str {
    match m {
        Metric::FirstResponse => "first_response",
        Metric::Resolution => "resolution",
    }
}

/// How long remembered SLA policies are trusted without reading them again.
const POLICY_MEMO_SECS: i64 = 30;

/// The SLA policies of each tenant, remembered where this process is the database's only
/// writer (SQLite, with the group writer running), so that creating a ticket or adding a
/// comment does not read them inside the single writer's transaction every time.
///
/// A policy or calendar change forgets its tenant's entry just before it commits: it then
/// holds the only writer, so no write can remember the old policies in between. Entries
/// also expire after [`POLICY_MEMO_SECS`], for changes made by another process.
#[derive(Default)]
pub(crate) struct PolicyMemo {
    on: AtomicBool,
    kept: Mutex<HashMap<TenantId, (DateTime<Utc>, Policies)>>,
}

type Policies = Arc<Vec<sla_policy::Model>>;

impl PolicyMemo {
    pub(crate) fn switch_on(&self) {
        self.on.store(true, Ordering::Relaxed);
    }

    fn get(&self, tenant: TenantId, now: DateTime<Utc>) -> Option<Policies> {
        if !self.on.load(Ordering::Relaxed) {
            return None;
        }
        let kept = self.kept.lock().ok()?;
        let (at, policies) = kept.get(&tenant)?;
        let age = now.signed_duration_since(*at);
        (age >= Duration::zero() && age < Duration::seconds(POLICY_MEMO_SECS))
            .then(|| policies.clone())
    }

    fn put(&self, tenant: TenantId, now: DateTime<Utc>, policies: Policies) {
        if !self.on.load(Ordering::Relaxed) {
            return;
        }
        if let Ok(mut kept) = self.kept.lock() {
            // Bounded: expired entries go when the memo grows large.
            if kept.len() >= 10_000 {
                kept.retain(|_, (at, _)| {
                    now.signed_duration_since(*at) < Duration::seconds(POLICY_MEMO_SECS)
                });
            }
            kept.insert(tenant, (now, policies));
        }
    }

    fn forget(&self, tenant: TenantId) {
        if let Ok(mut kept) = self.kept.lock() {
            kept.remove(&tenant);
        }
    }
}

impl App {
    async fn calendar_for(
        &self,
        db: &impl ConnectionTrait,
        tenant: TenantId,
        p: Option<&sla_policy::Model>,
    ) -> Result<(Calendar, CalendarRef)> {
        if let Some(id) = p.and_then(|p| p.calendar_id)
            && let Some(c) = repo::calendar(db, tenant, id).await?
        {
            let cal = parse_calendar(&c.spec)?;
            let r = CalendarRef {
                id: Some(c.id),
                name: c.name,
                zone: cal.zone().name().to_string(),
            };
            return Ok((cal, r));
        }
        Ok((
            Calendar::always_open(),
            CalendarRef {
                id: None,
                name: "24×7".into(),
                zone: "UTC".into(),
            },
        ))
    }

    /// Appends the SLA events implied by a ticket change (`before` is `None` on creation)
    /// and refolds the clock, inside the change's transaction.
    pub(crate) async fn sla_sync(
        &self,
        db: &impl ConnectionTrait,
        before: Option<&ticket::Model>,
        after: &ticket::Model,
    ) -> Result<()> {
        let tenant = TenantId(after.tenant_id);
        let now = self.clock.now();
        let policies = match self.policy_memo.get(tenant, now) {
            Some(p) => p,
            None => {
                let p = Arc::new(repo::policies(db, tenant).await?);
                self.policy_memo.put(tenant, now, p.clone());
                p
            }
        };
        let policy = matching(&policies, after);
        let clock = match before {
            Some(_) => repo::clock(db, tenant, after.id).await?,
            None => None,
        };
        let old_policy = clock
            .as_ref()
            .and_then(|c| c.policy_id)
            .and_then(|id| policies.iter().find(|p| p.id == id));
        let mut evs: Vec<SlaEventKind> = Vec::new();
        match (before, &clock) {
            (None, _) | (Some(_), None) => {
                let Some(p) = policy else { return Ok(()) };
                if before.is_some() && is_stopped(&after.status) {
                    return Ok(());
                }
                evs.push(SlaEventKind::Started {
                    targets: targets_of(Some(p)),
                });
                if after.first_response_at.is_some() {
                    evs.push(SlaEventKind::FirstResponse);
                }
                if pauses(Some(p), &after.status) {
                    evs.push(SlaEventKind::Paused);
                }
            }
            (Some(b), Some(c)) => {
                if c.policy_id != policy.map(|p| p.id)
                    || targets_of(old_policy) != targets_of(policy)
                {
                    evs.push(SlaEventKind::TargetsChanged {
                        targets: targets_of(policy),
                    });
                }
                if b.first_response_at.is_none() && after.first_response_at.is_some() {
                    evs.push(SlaEventKind::FirstResponse);
                }
                let was_stopped = is_stopped(&b.status);
                let now_stopped = is_stopped(&after.status);
                let was_paused = !was_stopped && pauses(old_policy, &b.status);
                let now_paused = !now_stopped && pauses(policy, &after.status);
                if !was_stopped && now_stopped {
                    if was_paused {
                        evs.push(SlaEventKind::Resumed);
                    }
                    evs.push(SlaEventKind::Resolved);
                } else if was_stopped && !now_stopped {
                    evs.push(SlaEventKind::Reopened);
                    if now_paused {
                        evs.push(SlaEventKind::Paused);
                    }
                } else if !was_paused && now_paused {
                    evs.push(SlaEventKind::Paused);
                } else if was_paused && !now_paused {
                    evs.push(SlaEventKind::Resumed);
                }
            }
        }
        if evs.is_empty() {
            return Ok(());
        }
        for k in &evs {
            let mut data = serde_json::to_value(SlaEvent::new(now, k.clone()))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            if let Some(o) = data.as_object_mut() {
                o.remove("at");
            }
            repo::append_event(db, tenant, after.id, now, event_kind_name(k), data).await?;
        }
        let keep = clock.as_ref().map(notified).unwrap_or_default();
        self.sla_refold(db, after, policy, keep).await?;
        Ok(())
    }

    /// Recomputes a ticket's clock from its log, stores it and reschedules its timer.
    async fn sla_refold(
        &self,
        db: &impl ConnectionTrait,
        t: &ticket::Model,
        policy: Option<&sla_policy::Model>,
        notified: Vec<String>,
    ) -> Result<SlaState> {
        let tenant = TenantId(t.tenant_id);
        let now = self.clock.now();
        let events: Vec<SlaEvent> = repo::events(db, tenant, t.id)
            .await?
            .iter()
            .filter_map(to_event)
            .collect();
        let (cal, cref) = self.calendar_for(db, tenant, policy).await?;
        let state = dsla::fold(&events, &cal, now);
        let (label, next_due) = summary(&state);
        let mut targets = serde_json::to_value(targets_of(policy))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if let Some(o) = targets.as_object_mut() {
            o.insert("notified".into(), json!(notified));
        }
        repo::save_clock(
            db,
            ticket_sla::Model {
                ticket_id: t.id,
                tenant_id: t.tenant_id,
                policy_id: policy.map(|p| p.id),
                calendar_id: cref.id,
                targets,
                response_due_at: state.first_response.due_at,
                resolution_due_at: state.resolution.due_at,
                response_state: status_name(&state.first_response.status).into(),
                resolution_state: status_name(&state.resolution.status).into(),
                due_soon_at: [&state.first_response, &state.resolution]
                    .iter()
                    .filter_map(|m| m.due_soon_at)
                    .min(),
                breached_at: [&state.first_response, &state.resolution]
                    .iter()
                    .filter_map(|m| m.breached_at)
                    .min(),
                due_soon_notified: notified.iter().any(|n| n.ends_with(":due_soon")),
                breach_notified: notified.iter().any(|n| n.ends_with(":breach")),
                updated_at: now,
            },
            label.as_deref(),
            next_due,
        )
        .await?;
        // One timer per ticket: the next due-soon or breach instant not yet announced.
        // A flag that is due but not announced yet (e.g. after downtime) fires at once.
        let pending_flag = [&state.first_response, &state.resolution].iter().any(|m| {
            let key = |flag: &str| format!("{}:{flag}", metric_key(m.metric));
            (m.due_soon && !m.breached && !notified.contains(&key("due_soon")))
                || (m.breached && !notified.contains(&key("breach")))
        });
        let next = if pending_flag {
            Some(now)
        } else {
            dsla::next_timer(&state).map(|(_, at)| at)
        };
        match next {
            Some(at) => {
                jobs_repo::enqueue(
                    db,
                    jobs_repo::NewJob::new("sla.timer", json!({"ticketId": t.id}), at)
                        .tenant(tenant)
                        .dedupe(timer_key(t.id)),
                    now,
                )
                .await?;
            }
            None => {
                jobs_repo::cancel(db, &timer_key(t.id)).await?;
            }
        }
        Ok(state)
    }

    /// The `sla.timer` job: a due-soon or breach instant of a ticket's clock has come.
    pub(crate) async fn on_sla_timer(
        &self,
        tenant: TenantId,
        payload: &serde_json::Value,
    ) -> std::result::Result<(), JobError> {
        let Some(id) = payload
            .get("ticketId")
            .and_then(|v| v.as_str())
            .and_then(|s| Uuid::parse_str(s).ok())
        else {
            return Err(JobError::Fatal("payload has no ticketId".into()));
        };
        let tx = self.store.write(Scope::Tenant(tenant)).await?;
        let Some(mut t) = catalyst_store::repo::tickets::get_for_update(&tx, tenant, id).await?
        else {
            return Ok(());
        };
        let Some(clock) = repo::clock(&tx, tenant, id).await? else {
            return Ok(());
        };
        let policies = repo::policies(&tx, tenant).await?;
        let policy = clock
            .policy_id
            .and_then(|pid| policies.iter().find(|p| p.id == pid));
        let mut sent = notified(&clock);
        let events: Vec<SlaEvent> = repo::events(&tx, tenant, id)
            .await?
            .iter()
            .filter_map(to_event)
            .collect();
        let (cal, _) = self.calendar_for(&tx, tenant, policy).await?;
        let state = dsla::fold(&events, &cal, self.clock.now());
        let who = Who::from(&SystemActor {
            label: "system:sla".into(),
        });
        let mut told: Vec<UserId> = Vec::new();
        for m in [&state.first_response, &state.resolution] {
            for (flag, on, action) in [
                ("due_soon", m.due_soon && !m.breached, "ticket.sla_due_soon"),
                ("breach", m.breached, "ticket.sla_breached"),
            ] {
                let key = format!("{}:{flag}", metric_key(m.metric));
                if flag == "due_soon" && m.breached && !sent.contains(&key) {
                    // Past due soon straight into breach (e.g. after downtime): only the
                    // breach is announced.
                    sent.push(key);
                    continue;
                }
                if !on || sent.contains(&key) {
                    continue;
                }
                sent.push(key);
                let due = m.due_at.or(m.breached_at);
                self.record(
                    &tx,
                    Change {
                        tenant,
                        who: &who,
                        action,
                        target_type: "ticket",
                        target_id: t.id.to_string(),
                        before: None,
                        after: Some(json!({
                            "number": t.number, "metric": metric_key(m.metric),
                            "dueAt": due, "elapsedSecs": m.elapsed.num_seconds(),
                            "targetSecs": m.target.map(|d| d.num_seconds()),
                        })),
                    },
                )
                .await?;
                let watchers = self.ticket_watchers(&tx, &t).await?;
                let (kind, title) = if flag == "breach" {
                    metrics::counter!("sla_breaches_total", "metric" => metric_key(m.metric))
                        .increment(1);
                    (
                        "sla_breached",
                        format!("{}: {} target breached", t.number, m.metric.label()),
                    )
                } else {
                    metrics::counter!("sla_due_soon_total", "metric" => metric_key(m.metric))
                        .increment(1);
                    (
                        "sla_due_soon",
                        format!(
                            "{}: {} due in {}",
                            t.number,
                            m.metric.label().to_lowercase(),
                            dsla::format_duration(m.remaining.unwrap_or_else(Duration::zero))
                        ),
                    )
                };
                self.notify_users(
                    &tx,
                    tenant,
                    &watchers,
                    &Notice {
                        kind,
                        ticket: Some(&t),
                        title,
                        body: t.subject.clone(),
                    },
                )
                .await?;
                told.extend(watchers);
                if flag == "breach"
                    && let Some(p) = policy
                {
                    t = self.escalate(&tx, &who, t, p).await?;
                }
            }
        }
        self.sla_refold(&tx, &t, policy, sent).await?;
        self.commit(tx).await?;
        told.sort_by_key(|u| u.0);
        told.dedup();
        self.announce(tenant, &told);
        Ok(())
    }

    /// On breach: raise the priority and/or move the ticket, as the policy says.
    async fn escalate(
        &self,
        db: &impl ConnectionTrait,
        who: &Who,
        t: ticket::Model,
        p: &sla_policy::Model,
    ) -> Result<ticket::Model> {
        let mut changes: Vec<(&'static str, Option<String>, Option<String>)> = Vec::new();
        let mut next = t.clone();
        if let Some(target) = p.escalate_priority.as_deref()
            && let Ok(target) = target.parse::<Priority>()
            && let Ok(current) = t.priority.parse::<Priority>()
            && target < current
        {
            next.priority = target.as_str().to_string();
            changes.push((
                "priority",
                Some(t.priority.clone()),
                Some(next.priority.clone()),
            ));
        }
        if let Some(q) = p.escalate_queue_id
            && t.queue_id != Some(q)
        {
            next.queue_id = Some(q);
            changes.push((
                "queue",
                t.queue_id.map(|q| q.to_string()),
                Some(q.to_string()),
            ));
        }
        if changes.is_empty() {
            return Ok(t);
        }
        let now = self.clock.now();
        next.version += 1;
        next.updated_at = now;
        let tenant = TenantId(t.tenant_id);
        let saved = catalyst_store::repo::tickets::update_if_version(
            db,
            catalyst_store::sea_orm::ActiveModelTrait::reset_all(ticket::ActiveModel::from(next)),
            tenant,
            t.id,
            t.version,
        )
        .await?
        .ok_or_else(|| AppError::Internal("ticket changed during escalation".into()))?;
        for (field, old, new) in &changes {
            catalyst_store::repo::tickets::insert_event(
                db,
                ticket_event::Model {
                    id: Uuid::now_v7(),
                    tenant_id: t.tenant_id,
                    ticket_id: t.id,
                    at: now,
                    actor_id: None,
                    actor_label: who.label.clone(),
                    field: (*field).to_string(),
                    old_value: old.clone(),
                    new_value: new.clone(),
                    reason: Some(format!("SLA breached (policy {})", p.name)),
                    is_private: false,
                },
            )
            .await?;
        }
        let mut b = serde_json::Map::new();
        let mut a = serde_json::Map::new();
        for (field, old, new) in changes {
            b.insert(field.to_string(), json!(old));
            a.insert(field.to_string(), json!(new));
        }
        self.record(
            db,
            Change {
                tenant,
                who,
                action: "ticket.escalated",
                target_type: "ticket",
                target_id: t.id.to_string(),
                before: Some(serde_json::Value::Object(b)),
                after: Some(serde_json::Value::Object(a)),
            },
        )
        .await?;
        Ok(saved)
    }

    /// The deadline of a ticket, explained (agents).
    pub async fn explain_sla(&self, actor: &Actor, id: Uuid) -> Result<SlaExplanation> {
        actor.require(Permission::UseAgentConsole)?;
        let tenant = actor.tenant.id;
        let tx = self.store.read(Scope::Tenant(tenant)).await?;
        let t = catalyst_store::repo::tickets::get(&tx, tenant, id)
            .await?
            .ok_or(AppError::NotFound("ticket"))?;
        let clock = repo::clock(&tx, tenant, id).await?;
        let policies = repo::policies(&tx, tenant).await?;
        let policy = clock
            .as_ref()
            .and_then(|c| c.policy_id)
            .and_then(|pid| policies.iter().find(|p| p.id == pid));
        let events: Vec<SlaEvent> = repo::events(&tx, tenant, id)
            .await?
            .iter()
            .filter_map(to_event)
            .collect();
        let (cal, cref) = self.calendar_for(&tx, tenant, policy).await?;
        let state = dsla::fold(&events, &cal, self.clock.now());
        let (label, next_due) = summary(&state);
        Ok(SlaExplanation {
            ticket_id: t.id,
            policy: policy.map(|p| NamedRef {
                id: p.id,
                name: p.name.clone(),
            }),
            calendar: cref,
            summary: label,
            next_due_at: next_due,
            state,
        })
    }

    // ---------- calendars ----------

    pub async fn calendars(&self, actor: &Actor) -> Result<Vec<CalendarView>> {
        actor.require(Permission::UseAgentConsole)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        repo::calendars(&tx, actor.tenant.id)
            .await?
            .iter()
            .map(calendar_view)
            .collect()
    }

    pub async fn calendar(&self, actor: &Actor, id: Uuid) -> Result<CalendarView> {
        actor.require(Permission::UseAgentConsole)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        let c = repo::calendar(&tx, actor.tenant.id, id)
            .await?
            .ok_or(AppError::NotFound("calendar"))?;
        calendar_view(&c)
    }

    /// Creates (`id` none) or replaces a calendar. Running clocks are recomputed from
    /// their logs the next time they change or their timer fires; tickets on this
    /// calendar get their timers rescheduled now.
    pub async fn save_calendar(
        &self,
        actor: &Actor,
        id: Option<Uuid>,
        name: &str,
        spec: CalendarSpec,
    ) -> Result<CalendarView> {
        actor.require(Permission::ManageSettings)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(FieldError::new("name", "length", "must be 1–80 characters").into());
        }
        let cal = Calendar::new(spec).map_err(|e| AppError::Validation(e.0))?;
        let spec_json =
            serde_json::to_value(&cal).map_err(|e| AppError::Internal(e.to_string()))?;
        let tenant = actor.tenant.id;
        let now = self.clock.now();
        let tx = self
            .store
            .write(Scope::TenantUser(tenant, actor.user_id))
            .await?;
        let (before, saved) = match id {
            None => {
                let c = repo::insert_calendar(
                    &tx,
                    business_calendar::Model {
                        id: Uuid::now_v7(),
                        tenant_id: tenant.0,
                        name: name.to_string(),
                        spec: spec_json,
                        created_at: now,
                        updated_at: now,
                    },
                )
                .await?;
                (None, c)
            }
            Some(id) => {
                let old = repo::calendar(&tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound("calendar"))?;
                let mut c = old.clone();
                c.name = name.to_string();
                c.spec = spec_json;
                c.updated_at = now;
                let c = repo::update_calendar(&tx, c).await?;
                (Some(old), c)
            }
        };
        self.record(
            &tx,
            Change {
                tenant,
                who: &Who::from(actor),
                action: if before.is_some() {
                    "calendar.updated"
                } else {
                    "calendar.created"
                },
                target_type: "calendar",
                target_id: saved.id.to_string(),
                before: before.map(|b| json!({"name": b.name, "spec": b.spec})),
                after: Some(json!({"name": saved.name, "spec": saved.spec})),
            },
        )
        .await?;
        if id.is_some() {
            self.refold_open_clocks(&tx, tenant, Some(saved.id)).await?;
        }
        let v = calendar_view(&saved)?;
        self.policy_memo.forget(tenant);
        self.commit(tx).await?;
        Ok(v)
    }

    /// Refolds the running clocks of a tenant (optionally only those on one calendar).
    async fn refold_open_clocks(
        &self,
        db: &impl ConnectionTrait,
        tenant: TenantId,
        calendar: Option<Uuid>,
    ) -> Result<u64> {
        let policies = repo::policies(db, tenant).await?;
        let clocks = repo::open_clocks(db, tenant, calendar).await?;
        let mut n = 0;
        for c in clocks {
            let Some(t) = catalyst_store::repo::tickets::get(db, tenant, c.ticket_id).await? else {
                continue;
            };
            let policy = c
                .policy_id
                .and_then(|pid| policies.iter().find(|p| p.id == pid));
            self.sla_refold(db, &t, policy, notified(&c)).await?;
            n += 1;
        }
        Ok(n)
    }

    /// Imports holidays from an iCalendar file into a calendar; returns how many.
    pub async fn import_holidays(&self, actor: &Actor, id: Uuid, ics: &str) -> Result<usize> {
        actor.require(Permission::ManageSettings)?;
        let current = self.calendar(actor, id).await?;
        let zone = current
            .spec
            .zone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| AppError::Internal("stored calendar zone is invalid".into()))?;
        let imported: Vec<Holiday> = holidays_from_ics(ics, zone)
            .map_err(|e| FieldError::new("file", "invalid_ics", e.to_string()))?;
        let n = imported.len();
        let mut spec = current.spec.clone();
        for h in imported {
            if !spec.holidays.contains(&h) {
                spec.holidays.push(h);
            }
        }
        self.save_calendar(actor, Some(id), &current.name, spec)
            .await?;
        Ok(n)
    }

    pub async fn delete_calendar(&self, actor: &Actor, id: Uuid) -> Result<()> {
        actor.require(Permission::ManageSettings)?;
        let tenant = actor.tenant.id;
        let tx = self
            .store
            .write(Scope::TenantUser(tenant, actor.user_id))
            .await?;
        let c = repo::calendar(&tx, tenant, id)
            .await?
            .ok_or(AppError::NotFound("calendar"))?;
        if repo::policies(&tx, tenant)
            .await?
            .iter()
            .any(|p| p.calendar_id == Some(id))
        {
            return Err(AppError::Conflict(FieldError::new(
                "id",
                "in_use",
                "an SLA policy uses this calendar; change the policy first",
            )));
        }
        repo::delete_calendar(&tx, tenant, id).await?;
        self.record(
            &tx,
            Change {
                tenant,
                who: &Who::from(actor),
                action: "calendar.deleted",
                target_type: "calendar",
                target_id: id.to_string(),
                before: Some(json!({"name": c.name})),
                after: None,
            },
        )
        .await?;
        self.policy_memo.forget(tenant);
        self.commit(tx).await
    }

    // ---------- policies ----------

    pub async fn sla_policies(&self, actor: &Actor) -> Result<Vec<PolicyView>> {
        actor.require(Permission::UseAgentConsole)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        Ok(repo::policies(&tx, actor.tenant.id)
            .await?
            .iter()
            .map(PolicyView::from)
            .collect())
    }

    async fn check_policy(
        &self,
        db: &impl ConnectionTrait,
        tenant: TenantId,
        i: &PolicyInput,
    ) -> Result<()> {
        let mut errs = Vec::new();
        let name = i.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            errs.push(FieldError::new("name", "length", "must be 1–80 characters"));
        }
        if !(0..=10_000).contains(&i.position) {
            errs.push(FieldError::new(
                "position",
                "out_of_range",
                "must be 0–10000",
            ));
        }
        for k in &i.kinds {
            if k.parse::<TicketKind>().is_err() {
                errs.push(FieldError::new(
                    "kinds",
                    "unknown",
                    "kinds are incident, service_request, task",
                ));
            }
        }
        for p in &i.priorities {
            if p.parse::<Priority>().is_err() {
                errs.push(FieldError::new(
                    "priorities",
                    "unknown",
                    "priorities are P1–P4",
                ));
            }
        }
        for (field, m) in [
            ("firstResponseMinutes", i.first_response_minutes),
            ("resolutionMinutes", i.resolution_minutes),
        ] {
            if let Some(m) = m
                && !(1..=525_600).contains(&m)
            {
                errs.push(FieldError::new(
                    field,
                    "out_of_range",
                    "must be 1–525600 minutes",
                ));
            }
        }
        if i.first_response_minutes.is_none() && i.resolution_minutes.is_none() {
            errs.push(FieldError::new(
                "resolutionMinutes",
                "required",
                "set a first-response or a resolution target",
            ));
        }
        if let Some(d) = i.due_soon_percent
            && !(1..=99).contains(&d)
        {
            errs.push(FieldError::new(
                "dueSoonPercent",
                "out_of_range",
                "must be 1–99",
            ));
        }
        for s in i.pause_statuses.iter().flatten() {
            match s.parse::<Status>() {
                Ok(st) if !is_stopped(st.as_str()) => {}
                _ => errs.push(FieldError::new(
                    "pauseStatuses",
                    "unknown",
                    "pausing statuses are new, open, in_progress, waiting_on_user",
                )),
            }
        }
        if let Some(p) = &i.escalate_priority
            && p.parse::<Priority>().is_err()
        {
            errs.push(FieldError::new(
                "escalatePriority",
                "unknown",
                "must be P1–P4",
            ));
        }
        for (field, q) in [
            ("queueId", i.queue_id),
            ("escalateQueueId", i.escalate_queue_id),
        ] {
            if let Some(q) = q
                && queues_repo::get(db, tenant, q).await?.is_none()
            {
                errs.push(FieldError::new(
                    field,
                    "unknown",
                    "no such queue in this workspace",
                ));
            }
        }
        if let Some(c) = i.calendar_id
            && repo::calendar(db, tenant, c).await?.is_none()
        {
            errs.push(FieldError::new(
                "calendarId",
                "unknown",
                "no such calendar in this workspace",
            ));
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(errs))
        }
    }

    /// Creates (`id` none) or replaces a policy. Open tickets keep their clocks; the new
    /// targets apply to a ticket from its next change (elapsed time is kept).
    pub async fn save_sla_policy(
        &self,
        actor: &Actor,
        id: Option<Uuid>,
        i: PolicyInput,
    ) -> Result<PolicyView> {
        actor.require(Permission::ManageSettings)?;
        let tenant = actor.tenant.id;
        let now = self.clock.now();
        let tx = self
            .store
            .write(Scope::TenantUser(tenant, actor.user_id))
            .await?;
        self.check_policy(&tx, tenant, &i).await?;
        let dedup = |v: Vec<String>| {
            let mut v = v;
            v.sort();
            v.dedup();
            json!(v)
        };
        let pause = i.pause_statuses.clone().unwrap_or_else(|| {
            DEFAULT_PAUSE_STATUSES
                .iter()
                .map(|s| s.to_string())
                .collect()
        });
        let model = |pid: Uuid, created: DateTime<Utc>| sla_policy::Model {
            id: pid,
            tenant_id: tenant.0,
            name: i.name.trim().to_string(),
            position: i.position,
            kinds: json!(i.kinds),
            priorities: json!(i.priorities),
            queue_id: i.queue_id,
            calendar_id: i.calendar_id,
            first_response_secs: i.first_response_minutes.map(|m| m * 60),
            resolution_secs: i.resolution_minutes.map(|m| m * 60),
            due_soon_percent: i.due_soon_percent.unwrap_or(75),
            pause_statuses: json!(pause),
            escalate_priority: i.escalate_priority.clone(),
            escalate_queue_id: i.escalate_queue_id,
            enabled: i.enabled,
            created_at: created,
            updated_at: now,
        };
        let (before, saved) = match id {
            None => {
                let mut m = model(Uuid::now_v7(), now);
                m.kinds = dedup(i.kinds.clone());
                m.priorities = dedup(i.priorities.clone());
                (None, repo::insert_policy(&tx, m).await?)
            }
            Some(id) => {
                let old = repo::policy(&tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound("SLA policy"))?;
                let mut m = model(id, old.created_at);
                m.kinds = dedup(i.kinds.clone());
                m.priorities = dedup(i.priorities.clone());
                (Some(old), repo::save_policy(&tx, m).await?)
            }
        };
        self.record(
            &tx,
            Change {
                tenant,
                who: &Who::from(actor),
                action: if before.is_some() {
                    "sla_policy.updated"
                } else {
                    "sla_policy.created"
                },
                target_type: "sla_policy",
                target_id: saved.id.to_string(),
                before: before.as_ref().map(|b| json!(PolicyView::from(b))),
                after: Some(json!(PolicyView::from(&saved))),
            },
        )
        .await?;
        let v = PolicyView::from(&saved);
        self.policy_memo.forget(tenant);
        self.commit(tx).await?;
        Ok(v)
    }

    pub async fn delete_sla_policy(&self, actor: &Actor, id: Uuid) -> Result<()> {
        actor.require(Permission::ManageSettings)?;
        let tenant = actor.tenant.id;
        let tx = self
            .store
            .write(Scope::TenantUser(tenant, actor.user_id))
            .await?;
        let p = repo::policy(&tx, tenant, id)
            .await?
            .ok_or(AppError::NotFound("SLA policy"))?;
        repo::delete_policy(&tx, tenant, id).await?;
        self.record(
            &tx,
            Change {
                tenant,
                who: &Who::from(actor),
                action: "sla_policy.deleted",
                target_type: "sla_policy",
                target_id: id.to_string(),
                before: Some(json!(PolicyView::from(&p))),
                after: None,
            },
        )
        .await?;
        self.policy_memo.forget(tenant);
        self.commit(tx).await
    }
}

fn status_name(s: &ClockStatus) -> &'static str {
    match s {
        ClockStatus::NotStarted => "not_started",
        ClockStatus::Running => "running",
        ClockStatus::Paused => "paused",
        ClockStatus::Stopped { .. } => "stopped",
    }
}
