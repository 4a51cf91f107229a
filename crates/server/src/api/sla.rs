//! SLA over JSON: business calendars, policies and the explanation of a ticket's clock.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use catalyst_app::AppError;
use catalyst_app::sla::{CalendarView, PolicyInput, PolicyView, SlaExplanation};
use catalyst_domain::FieldError;
use catalyst_domain::calendar::{CalendarSpec, ClosedHours, Holiday, OpeningInterval};
use catalyst_domain::sla::{ClockStatus, MetricState};

use super::problems::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthenticated,
    UnsupportedMediaType, ValidationFailed,
};
use super::tickets::{HashedJson, parse_id};
use crate::http::AppState;
use crate::http::auth::ApiActor;
use crate::http::error::{ApiError, ErrorCode};

// ---------- calendars ----------

/// A weekday.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl From<Day> for Weekday {
    fn from(d: Day) -> Self {
        match d {
            Day::Mon => Weekday::Mon,
            Day::Tue => Weekday::Tue,
            Day::Wed => Weekday::Wed,
            Day::Thu => Weekday::Thu,
            Day::Fri => Weekday::Fri,
            Day::Sat => Weekday::Sat,
            Day::Sun => Weekday::Sun,
        }
    }
}

impl From<Weekday> for Day {
    fn from(d: Weekday) -> Self {
        match d {
            Weekday::Mon => Day::Mon,
            Weekday::Tue => Day::Tue,
            Weekday::Wed => Day::Wed,
            Weekday::Thu => Day::Thu,
            Weekday::Fri => Day::Fri,
            Weekday::Sat => Day::Sat,
            Weekday::Sun => Day::Sun,
        }
    }
}

/// Local wall-clock time `HH:MM`.
const TIME: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

/// Open hours on one weekday, in the calendar's zone. An end at or before the start
/// runs into the next day (`22:00`–`06:00`); `00:00`–`00:00` is the whole day.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Interval {
    weekday: Day,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "08:00")]
    start: String,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "18:00")]
    end: String,
}

/// A closed day or range of days; with `from`/`until` only those hours of a single day.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HolidayBody {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    start: NaiveDate,
    /// Inclusive; the same as `start` for one day.
    end: NaiveDate,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    from: Option<String>,
    /// `00:00` means the end of the day.
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    until: Option<String>,
}

/// A business calendar to create or replace.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CalendarInput {
    #[schema(min_length = 1, max_length = 80, example = "Business hours")]
    name: String,
    /// IANA time zone.
    #[schema(example = "Europe/Berlin", max_length = 64)]
    zone: String,
    #[schema(max_items = 70)]
    intervals: Vec<Interval>,
    #[serde(default)]
    #[schema(max_items = 1000)]
    holidays: Vec<HolidayBody>,
}

/// A business calendar.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalendarBody {
    id: Uuid,
    name: String,
    zone: String,
    intervals: Vec<Interval>,
    holidays: Vec<HolidayBody>,
    /// Open business time per week.
    weekly_open_secs: i64,
    updated_at: DateTime<Utc>,
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

impl From<CalendarView> for CalendarBody {
    fn from(c: CalendarView) -> Self {
        Self {
            id: c.id,
            name: c.name,
            zone: c.spec.zone,
            intervals: c
                .spec
                .intervals
                .iter()
                .map(|i| Interval {
                    weekday: i.weekday.into(),
                    start: hhmm(i.start),
                    end: hhmm(i.end_time()),
                })
                .collect(),
            holidays: c
                .spec
                .holidays
                .into_iter()
                .map(|h| HolidayBody {
                    name: h.name,
                    start: h.start,
                    end: h.end,
                    from: h.hours.map(|x| hhmm(x.from)),
                    until: h.hours.map(|x| hhmm(x.until)),
                })
                .collect(),
            weekly_open_secs: c.weekly_open_secs,
            updated_at: c.updated_at,
        }
    }
}

fn time(v: &str, field: &'static str, at: String, errors: &mut Vec<FieldError>) -> NaiveTime {
    match NaiveTime::parse_from_str(v, "%H:%M") {
        Ok(t) if v.len() == 5 => t,
        _ => {
            errors.push(FieldError::new(
                field,
                "format",
                format!("{at}: {v:?} must be a time HH:MM ({TIME})"),
            ));
            NaiveTime::MIN
        }
    }
}

fn spec(i: CalendarInput) -> Result<(String, CalendarSpec), AppError> {
    let mut errors = Vec::new();
    let intervals = i
        .intervals
        .iter()
        .enumerate()
        .map(|(n, iv)| {
            let s = time(
                &iv.start,
                "intervals",
                format!("interval {n} start"),
                &mut errors,
            );
            let e = time(
                &iv.end,
                "intervals",
                format!("interval {n} end"),
                &mut errors,
            );
            OpeningInterval::from_times(iv.weekday.into(), s, e)
        })
        .collect();
    let holidays = i
        .holidays
        .into_iter()
        .enumerate()
        .map(|(n, h)| {
            let hours = match (&h.from, &h.until) {
                (None, None) => None,
                (Some(f), Some(u)) => Some(ClosedHours {
                    from: time(f, "holidays", format!("holiday {n} from"), &mut errors),
                    until: time(u, "holidays", format!("holiday {n} until"), &mut errors),
                }),
                _ => {
                    errors.push(FieldError::new(
                        "holidays",
                        "incomplete",
                        "give both from and until, or neither",
                    ));
                    None
                }
            };
            Holiday {
                name: h.name,
                start: h.start,
                end: h.end,
                hours,
            }
        })
        .collect();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok((
        i.name,
        CalendarSpec {
            zone: i.zone,
            intervals,
            holidays,
        },
    ))
}

/// The tenant's business calendars (agents read, admins change).
#[utoipa::path(get, path = "/v1/sla/calendars", tag = "sla", security(("bearer" = [])),
    responses((status = 200, body = Vec<CalendarBody>), Unauthenticated, Forbidden))]
pub async fn list_calendars(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<CalendarBody>>, ApiError> {
    Ok(Json(
        s.app
            .calendars(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Create a business calendar (admins).
#[utoipa::path(post, path = "/v1/sla/calendars", tag = "sla", security(("bearer" = [])), request_body = CalendarInput,
    responses((status = 201, body = CalendarBody), BadRequest, Unauthenticated, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn create_calendar(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: HashedJson<CalendarInput>,
) -> Result<(StatusCode, Json<CalendarBody>), ApiError> {
    let (name, spec) = spec(body.value)?;
    let c = s.app.save_calendar(&a, None, &name, spec).await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// One business calendar.
#[utoipa::path(get, path = "/v1/sla/calendars/{id}", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CalendarBody), Unauthenticated, Forbidden, NotFound))]
pub async fn get_calendar(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<CalendarBody>, ApiError> {
    let id = parse_id(&id, "calendar")?;
    Ok(Json(s.app.calendar(&a, id).await?.into()))
}

/// Replace a business calendar (admins). Running clocks on it are recomputed from their
/// event logs and their timers rescheduled.
#[utoipa::path(put, path = "/v1/sla/calendars/{id}", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = CalendarInput,
    responses((status = 200, body = CalendarBody), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn put_calendar(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    body: HashedJson<CalendarInput>,
) -> Result<Json<CalendarBody>, ApiError> {
    let id = parse_id(&id, "calendar")?;
    let (name, spec) = spec(body.value)?;
    Ok(Json(
        s.app.save_calendar(&a, Some(id), &name, spec).await?.into(),
    ))
}

/// Delete a business calendar that no policy uses (admins).
#[utoipa::path(delete, path = "/v1/sla/calendars/{id}", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), Unauthenticated, Forbidden, NotFound, Conflict))]
pub async fn delete_calendar(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id, "calendar")?;
    s.app.delete_calendar(&a, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many holidays an import added.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Imported {
    imported: usize,
    calendar: CalendarBody,
}

/// Import holidays from an iCalendar (`.ics`) file sent as the body (admins): all-day
/// events become closed days, timed events closed hours. Existing holidays are kept.
#[utoipa::path(post, path = "/v1/sla/calendars/{id}/holidays", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body(content = String, content_type = "text/calendar", description = "An iCalendar file"),
    responses((status = 200, body = Imported), BadRequest, Unauthenticated, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn import_holidays(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Imported>, ApiError> {
    let id = parse_id(&id, "calendar")?;
    // Another tenant's (or an unknown) calendar is not found, whatever was sent.
    s.app.calendar(&a, id).await?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ct.starts_with("text/calendar") {
        return Err(ApiError::new(ErrorCode::UnsupportedMediaType)
            .detail("send the .ics file with Content-Type: text/calendar"));
    }
    let text = std::str::from_utf8(&body).map_err(|_| {
        ApiError::from(AppError::from(FieldError::new(
            "file",
            "encoding",
            "an iCalendar file must be UTF-8",
        )))
    })?;
    let imported = s.app.import_holidays(&a, id, text).await?;
    let calendar = s.app.calendar(&a, id).await?.into();
    Ok(Json(Imported { imported, calendar }))
}

// ---------- policies ----------

/// Ticket kind.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    Incident,
    ServiceRequest,
    Task,
}

/// ITIL priority.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
pub enum PriorityName {
    P1,
    P2,
    P3,
    P4,
}

/// A status that can pause the resolution clock.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum PausingStatus {
    New,
    Open,
    InProgress,
    WaitingOnUser,
}

fn name_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// An SLA policy to create or replace. The first enabled policy (by `position`) whose
/// kinds, priorities and queue match a ticket applies to it.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyBody {
    #[schema(min_length = 1, max_length = 80)]
    name: String,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000)]
    position: i32,
    /// Empty: every kind.
    #[serde(default)]
    kinds: Vec<KindName>,
    /// Empty: every priority.
    #[serde(default)]
    priorities: Vec<PriorityName>,
    queue_id: Option<Uuid>,
    /// None: around the clock (24×7).
    calendar_id: Option<Uuid>,
    /// Business minutes to the first public agent reply.
    #[schema(minimum = 1, maximum = 525600)]
    first_response_minutes: Option<i64>,
    /// Business minutes to resolution (pauses excluded).
    #[schema(minimum = 1, maximum = 525600)]
    resolution_minutes: Option<i64>,
    /// Share of a target after which the ticket is due soon (default 75).
    #[schema(minimum = 1, maximum = 99)]
    due_soon_percent: Option<i16>,
    /// Default: `waiting_on_user`.
    pause_statuses: Option<Vec<PausingStatus>>,
    /// On breach, raise the priority to this (if lower).
    escalate_priority: Option<PriorityName>,
    /// On breach, move the ticket to this queue.
    escalate_queue_id: Option<Uuid>,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

impl From<PolicyBody> for PolicyInput {
    fn from(b: PolicyBody) -> Self {
        PolicyInput {
            name: b.name,
            position: b.position,
            kinds: b.kinds.iter().map(name_of).collect(),
            priorities: b.priorities.iter().map(name_of).collect(),
            queue_id: b.queue_id,
            calendar_id: b.calendar_id,
            first_response_minutes: b.first_response_minutes,
            resolution_minutes: b.resolution_minutes,
            due_soon_percent: b.due_soon_percent,
            pause_statuses: b.pause_statuses.map(|v| v.iter().map(name_of).collect()),
            escalate_priority: b.escalate_priority.as_ref().map(name_of),
            escalate_queue_id: b.escalate_queue_id,
            enabled: b.enabled,
        }
    }
}

/// An SLA policy.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    id: Uuid,
    name: String,
    position: i32,
    #[schema(value_type = Vec<KindName>)]
    kinds: Vec<String>,
    #[schema(value_type = Vec<PriorityName>)]
    priorities: Vec<String>,
    queue_id: Option<Uuid>,
    calendar_id: Option<Uuid>,
    first_response_minutes: Option<i64>,
    resolution_minutes: Option<i64>,
    due_soon_percent: i16,
    #[schema(value_type = Vec<PausingStatus>)]
    pause_statuses: Vec<String>,
    #[schema(value_type = Option<PriorityName>)]
    escalate_priority: Option<String>,
    escalate_queue_id: Option<Uuid>,
    enabled: bool,
}

impl From<PolicyView> for Policy {
    fn from(p: PolicyView) -> Self {
        Self {
            id: p.id,
            name: p.name,
            position: p.position,
            kinds: p.kinds,
            priorities: p.priorities,
            queue_id: p.queue_id,
            calendar_id: p.calendar_id,
            first_response_minutes: p.first_response_minutes,
            resolution_minutes: p.resolution_minutes,
            due_soon_percent: p.due_soon_percent,
            pause_statuses: p.pause_statuses,
            escalate_priority: p.escalate_priority,
            escalate_queue_id: p.escalate_queue_id,
            enabled: p.enabled,
        }
    }
}

/// The tenant's SLA policies in match order (agents read, admins change).
#[utoipa::path(get, path = "/v1/sla/policies", tag = "sla", security(("bearer" = [])),
    responses((status = 200, body = Vec<Policy>), Unauthenticated, Forbidden))]
pub async fn list_policies(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Policy>>, ApiError> {
    Ok(Json(
        s.app
            .sla_policies(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Create an SLA policy (admins). It applies to tickets created or changed from now on.
#[utoipa::path(post, path = "/v1/sla/policies", tag = "sla", security(("bearer" = [])), request_body = PolicyBody,
    responses((status = 201, body = Policy), BadRequest, Unauthenticated, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn create_policy(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: HashedJson<PolicyBody>,
) -> Result<(StatusCode, Json<Policy>), ApiError> {
    let p = s.app.save_sla_policy(&a, None, body.value.into()).await?;
    Ok((StatusCode::CREATED, Json(p.into())))
}

/// Replace an SLA policy (admins). A ticket under it takes the new targets at its next
/// change, keeping the business time already elapsed.
#[utoipa::path(put, path = "/v1/sla/policies/{id}", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = PolicyBody,
    responses((status = 200, body = Policy), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn put_policy(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    body: HashedJson<PolicyBody>,
) -> Result<Json<Policy>, ApiError> {
    let id = parse_id(&id, "SLA policy")?;
    Ok(Json(
        s.app
            .save_sla_policy(&a, Some(id), body.value.into())
            .await?
            .into(),
    ))
}

/// Delete an SLA policy (admins).
#[utoipa::path(delete, path = "/v1/sla/policies/{id}", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), Unauthenticated, Forbidden, NotFound))]
pub async fn delete_policy(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id, "SLA policy")?;
    s.app.delete_sla_policy(&a, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------- a ticket's clock ----------

/// Where a metric's clock stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    NotStarted,
    Running,
    Paused,
    Stopped,
}

/// One metric (first response or resolution) of a ticket's clock.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricBody {
    /// Target in business seconds; none if the policy has no target for it.
    target_secs: Option<i64>,
    state: ClockState,
    /// When it stopped (met or not).
    stopped_at: Option<DateTime<Utc>>,
    /// Business seconds counted so far.
    elapsed_secs: i64,
    remaining_secs: Option<i64>,
    /// While running: when the target is (or was) reached.
    due_at: Option<DateTime<Utc>>,
    due_soon_at: Option<DateTime<Utc>>,
    due_soon: bool,
    breached: bool,
    breached_at: Option<DateTime<Utc>>,
    /// Once stopped with a target: whether it was met.
    met: Option<bool>,
}

impl From<MetricState> for MetricBody {
    fn from(m: MetricState) -> Self {
        let (state, stopped_at) = match m.status {
            ClockStatus::NotStarted => (ClockState::NotStarted, None),
            ClockStatus::Running => (ClockState::Running, None),
            ClockStatus::Paused => (ClockState::Paused, None),
            ClockStatus::Stopped { at } => (ClockState::Stopped, Some(at)),
        };
        Self {
            target_secs: m.target.map(|d| d.num_seconds()),
            state,
            stopped_at,
            elapsed_secs: m.elapsed.num_seconds(),
            remaining_secs: m.remaining.map(|d| d.num_seconds()),
            due_at: m.due_at,
            due_soon_at: m.due_soon_at,
            due_soon: m.due_soon,
            breached: m.breached,
            breached_at: m.breached_at,
            met: m.met,
        }
    }
}

/// A stretch in a pausing status.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PauseBody {
    from: DateTime<Utc>,
    /// None while still paused.
    to: Option<DateTime<Utc>>,
    /// Business seconds the resolution clock did not count.
    business_secs: i64,
}

/// A named reference.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Named {
    id: Uuid,
    name: String,
}

/// The calendar a clock runs on.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CalendarRefBody {
    /// None: the built-in 24×7 calendar.
    id: Option<Uuid>,
    name: String,
    zone: String,
}

/// A ticket's SLA deadline, explained.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlaBody {
    ticket_id: Uuid,
    /// None: no policy applies to the ticket.
    policy: Option<Named>,
    calendar: CalendarRefBody,
    #[schema(value_type = Option<super::tickets::SlaSummary>)]
    summary: Option<String>,
    next_due_at: Option<DateTime<Utc>>,
    first_response: MetricBody,
    resolution: MetricBody,
    pauses: Vec<PauseBody>,
    /// Human-readable explanation, in order; local times in the calendar's zone.
    trace: Vec<String>,
    /// The instant this was computed for.
    now: DateTime<Utc>,
}

impl From<SlaExplanation> for SlaBody {
    fn from(e: SlaExplanation) -> Self {
        Self {
            ticket_id: e.ticket_id,
            policy: e.policy.map(|p| Named {
                id: p.id,
                name: p.name,
            }),
            calendar: CalendarRefBody {
                id: e.calendar.id,
                name: e.calendar.name,
                zone: e.calendar.zone,
            },
            summary: e.summary,
            next_due_at: e.next_due_at,
            now: e.state.now,
            first_response: e.state.first_response.into(),
            resolution: e.state.resolution.into(),
            pauses: e
                .state
                .pauses
                .into_iter()
                .map(|p| PauseBody {
                    from: p.from,
                    to: p.to,
                    business_secs: p.business_time_lost.num_seconds(),
                })
                .collect(),
            trace: e.state.trace,
        }
    }
}

/// The ticket's SLA clock: policy, calendar, targets, elapsed and remaining business
/// time, pauses, due times and a readable trace (agents).
#[utoipa::path(get, path = "/v1/tickets/{id}/sla", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = SlaBody), Unauthenticated, Forbidden, NotFound))]
pub async fn ticket_sla(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<SlaBody>, ApiError> {
    let id = parse_id(&id, "ticket")?;
    Ok(Json(s.app.explain_sla(&a, id).await?.into()))
}
