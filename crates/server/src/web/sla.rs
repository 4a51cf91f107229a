//! SLA in the browser: the badge of a ticket in the agent list, the SLA panel of the
//! agent's ticket page, and the admin pages for business calendars, SLA policies and
//! failed (dead) background jobs.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use serde::Deserialize;
use uuid::Uuid;

use catalyst_app::auth::SessionInfo;
use catalyst_app::jobs::JobView;
use catalyst_app::sla::{CalendarView, PolicyInput, PolicyView, SlaExplanation};
use catalyst_app::tickets::TicketView;
use catalyst_app::{Actor, App, AppError};
use catalyst_domain::calendar::{CalendarSpec, ClosedHours};
use catalyst_domain::sla::{ClockStatus, MetricState, format_duration};
use catalyst_domain::{Calendar, FieldError, Holiday, OpeningInterval, Permission, Status};

use super::tickets_view::{
    FieldMessage, KINDS, Opt, describe, message_for, messages, multipart, opts, priorities,
    status_of, who,
};
use super::{Chrome, csrf_failed, denied, failure, rejected, render};
use crate::http::AppState;
use crate::http::auth::{WebSession, same_secret};
use crate::http::error::{ApiError, ErrorCode};

// ---------- the badge in the agent list ----------

/// The SLA of a ticket in a list: its state in words (and a colour), and the business
/// time left until (or past) the next deadline.
pub struct SlaBadge {
    /// `running`, `due_soon`, `breached`, `paused` or `met` (the CSS class suffix).
    pub state: String,
    pub label: &'static str,
    /// "2h10m left", "overdue 35m"; none when no clock is running.
    pub time: Option<String>,
    pub due_iso: Option<String>,
}

/// The words for an SLA state.
pub fn state_label(state: &str) -> &'static str {
    match state {
        "running" => "On track",
        "due_soon" => "Due soon",
        "breached" => "Breached",
        "paused" => "Paused",
        "met" => "Met",
        _ => "Unknown",
    }
}

/// The policy the app applies to a ticket: the first enabled match by position.
fn policy_for<'a>(policies: &'a [PolicyView], t: &TicketView) -> Option<&'a PolicyView> {
    policies.iter().find(|p| {
        p.enabled
            && (p.kinds.is_empty() || p.kinds.iter().any(|k| k == t.kind.as_str()))
            && (p.priorities.is_empty() || p.priorities.iter().any(|k| k == t.priority.as_str()))
            && (p.queue_id.is_none() || p.queue_id == t.queue.as_ref().map(|q| q.id))
    })
}

/// Business time from `a` to `b` on a calendar (wall-clock time without one).
fn business_between(cal: Option<&Calendar>, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
    match cal {
        Some(c) => c.business_time_between(a, b),
        None => b - a,
    }
}

/// The badges of listed tickets (in order). Business time is measured on the calendar
/// of the policy that matches each ticket now.
pub async fn badges(app: &App, actor: &Actor, tickets: &[TicketView]) -> Vec<Option<SlaBadge>> {
    let now = app.clock().now();
    let running = tickets.iter().any(|t| t.sla_next_due_at.is_some());
    let (policies, calendars) = if running {
        match (app.sla_policies(actor).await, app.calendars(actor).await) {
            (Ok(p), Ok(c)) => (p, c),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "SLA badges fall back to wall-clock time");
                (Vec::new(), Vec::new())
            }
        }
    } else {
        (Vec::new(), Vec::new())
    };
    let cals: HashMap<Uuid, Calendar> = calendars
        .into_iter()
        .filter_map(|c| Calendar::new(c.spec).ok().map(|cal| (c.id, cal)))
        .collect();
    tickets
        .iter()
        .map(|t| {
            let state = t.sla_state.clone()?;
            let cal = policy_for(&policies, t)
                .and_then(|p| p.calendar_id)
                .and_then(|id| cals.get(&id));
            let time = t.sla_next_due_at.map(|due| {
                if due > now {
                    format!("{} left", format_duration(business_between(cal, now, due)))
                } else {
                    format!(
                        "overdue {}",
                        format_duration(business_between(cal, due, now))
                    )
                }
            });
            Some(SlaBadge {
                label: state_label(&state),
                state,
                time,
                due_iso: t.sla_next_due_at.map(|d| d.to_rfc3339()),
            })
        })
        .collect()
}

// ---------- the panel on the ticket page ----------

pub struct MetricRow {
    pub label: &'static str,
    pub target: String,
    pub elapsed: String,
    pub remaining: String,
    pub due_local: String,
    pub due_utc: String,
    pub due_iso: String,
    pub state: &'static str,
    pub state_label: &'static str,
}

pub struct PauseRow {
    pub from: String,
    pub to: String,
    pub lost: String,
}

/// Why the ticket's deadlines are what they are.
pub struct SlaPanel {
    pub policy: Option<String>,
    pub calendar: String,
    pub zone: String,
    pub summary: Option<(String, &'static str)>,
    pub metrics: Vec<MetricRow>,
    pub pauses: Vec<PauseRow>,
    pub trace: Vec<String>,
}

fn metric_state(m: &MetricState) -> (&'static str, &'static str) {
    if m.target.is_none() {
        ("none", "No target")
    } else if m.breached {
        ("breached", "Breached")
    } else if m.met == Some(true) {
        ("met", "Met")
    } else if m.status == ClockStatus::Paused {
        ("paused", "Paused")
    } else if m.due_soon {
        ("due_soon", "Due soon")
    } else {
        match m.status {
            ClockStatus::Running => ("running", "Running"),
            ClockStatus::NotStarted => ("none", "Not started"),
            ClockStatus::Paused => ("paused", "Paused"),
            ClockStatus::Stopped { .. } => ("met", "Stopped"),
        }
    }
}

impl SlaPanel {
    pub fn of(x: SlaExplanation) -> Self {
        // The zone of the calendar, through the domain's own parsing.
        let zone = Calendar::new(CalendarSpec {
            zone: x.calendar.zone.clone(),
            intervals: Vec::new(),
            holidays: Vec::new(),
        })
        .ok()
        .map(|c| c.zone());
        let local = |d: DateTime<Utc>| match zone {
            Some(z) => d
                .with_timezone(&z)
                .format("%a %-d %b %Y %H:%M %Z")
                .to_string(),
            None => d.format("%a %-d %b %Y %H:%M UTC").to_string(),
        };
        let utc = |d: DateTime<Utc>| d.format("%Y-%m-%d %H:%M UTC").to_string();
        let metrics = [&x.state.first_response, &x.state.resolution]
            .into_iter()
            .map(|m| {
                let (state, state_label) = metric_state(m);
                MetricRow {
                    label: m.metric.label(),
                    target: m
                        .target
                        .map(format_duration)
                        .unwrap_or_else(|| "None".into()),
                    elapsed: format_duration(m.elapsed),
                    remaining: m.remaining.map(format_duration).unwrap_or_default(),
                    due_local: m.due_at.map(local).unwrap_or_default(),
                    due_utc: m.due_at.map(utc).unwrap_or_default(),
                    due_iso: m.due_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
                    state,
                    state_label,
                }
            })
            .collect();
        let pauses = x
            .state
            .pauses
            .iter()
            .map(|p| PauseRow {
                from: local(p.from),
                to: p.to.map(local).unwrap_or_else(|| "still paused".into()),
                lost: format_duration(p.business_time_lost),
            })
            .collect();
        SlaPanel {
            policy: x.policy.map(|p| p.name),
            calendar: x.calendar.name,
            zone: x.calendar.zone,
            summary: x.summary.map(|s| {
                let l = state_label(&s);
                (s, l)
            }),
            metrics,
            pauses,
            trace: x.state.trace,
        }
    }
}

// ---------- admin: access ----------

/// The session and actor of someone who may change workspace settings.
fn settings_who(session: Option<WebSession>) -> Result<(SessionInfo, Actor), Box<Response>> {
    let (s, actor) = who(session).map_err(|r| Box::new(r.into_response()))?;
    if !actor.role.allows(Permission::ManageSettings) {
        return Err(Box::new(denied(&s)));
    }
    Ok((s, actor))
}

macro_rules! settings_or_return {
    ($session:expr) => {
        match settings_who($session) {
            Ok(x) => x,
            Err(r) => return *r,
        }
    };
}

/// Name/value pairs of a urlencoded form body (keys may repeat).
fn pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

fn all(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, v)| k == key && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
        .collect()
}

fn parse_id(id: &str, what: &'static str) -> Result<Uuid, AppError> {
    id.parse::<Uuid>().map_err(|_| AppError::NotFound(what))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
    n: String,
}

// ---------- admin: overview ----------

pub struct CalendarRow {
    id: Uuid,
    name: String,
    zone: String,
    weekly: String,
    holidays: usize,
}

pub struct PolicyRow {
    p: PolicyView,
    applies: String,
    calendar: String,
    first_response: String,
    resolution: String,
}

#[derive(Template)]
#[template(path = "admin_sla.html")]
struct OverviewPage {
    chrome: Chrome,
    csrf: String,
    calendars: Vec<CalendarRow>,
    policies: Vec<PolicyRow>,
    notice: Option<String>,
    problem: Option<String>,
}

fn minutes(m: Option<i64>) -> String {
    m.map(|m| format_duration(Duration::minutes(m)))
        .unwrap_or_else(|| "None".into())
}

async fn overview_page(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    notice: Option<String>,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let loaded = async {
        let cals = st.app.calendars(actor).await?;
        let policies = st.app.sla_policies(actor).await?;
        let (queues, _) = st.app.list_queues(actor).await?;
        Ok::<_, AppError>((cals, policies, queues))
    };
    let (cals, policies, queues) = match loaded.await {
        Ok(x) => x,
        Err(e) => return failure(Some(s), e),
    };
    let cal_names: HashMap<Uuid, String> = cals.iter().map(|c| (c.id, c.name.clone())).collect();
    let queue_names: HashMap<Uuid, String> =
        queues.iter().map(|q| (q.id, q.name.clone())).collect();
    let policies = policies
        .into_iter()
        .map(|p| {
            let mut parts = Vec::new();
            if !p.kinds.is_empty() {
                parts.push(
                    p.kinds
                        .iter()
                        .map(|k| kind_label(k))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
            }
            if !p.priorities.is_empty() {
                parts.push(p.priorities.join(", "));
            }
            if let Some(q) = p.queue_id {
                parts.push(format!(
                    "queue {}",
                    queue_names.get(&q).cloned().unwrap_or_default()
                ));
            }
            PolicyRow {
                applies: if parts.is_empty() {
                    "All tickets".into()
                } else {
                    parts.join("; ")
                },
                calendar: p
                    .calendar_id
                    .and_then(|c| cal_names.get(&c).cloned())
                    .unwrap_or_else(|| "24×7".into()),
                first_response: minutes(p.first_response_minutes),
                resolution: minutes(p.resolution_minutes),
                p,
            }
        })
        .collect();
    render(
        status,
        OverviewPage {
            chrome: Chrome::with_bell(st, s, "admin").await,
            csrf: s.csrf_token.clone(),
            calendars: cals
                .into_iter()
                .map(|c| CalendarRow {
                    id: c.id,
                    weekly: format_duration(Duration::seconds(c.weekly_open_secs)),
                    holidays: c.spec.holidays.len(),
                    zone: c.spec.zone,
                    name: c.name,
                })
                .collect(),
            policies,
            notice,
            problem,
        },
    )
}

fn kind_label(k: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(v, _)| *v == k)
        .map(|(_, l)| *l)
        .unwrap_or("Unknown kind")
}

/// `GET /admin/sla`: calendars and policies (in match order).
pub async fn overview(
    State(st): State<AppState>,
    session: Option<WebSession>,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let (s, actor) = settings_or_return!(session);
    let notice = match q.map(|Query(q)| q.done).unwrap_or_default().as_str() {
        "calendar_deleted" => Some("The calendar was deleted.".to_string()),
        "policy_saved" => Some("The SLA policy was saved.".to_string()),
        "policy_deleted" => Some("The SLA policy was deleted.".to_string()),
        _ => None,
    };
    overview_page(&st, &s, &actor, notice, None, StatusCode::OK).await
}

// ---------- admin: calendars ----------

const DAYS: [(Weekday, &str, &str); 7] = [
    (Weekday::Mon, "mon", "Monday"),
    (Weekday::Tue, "tue", "Tuesday"),
    (Weekday::Wed, "wed", "Wednesday"),
    (Weekday::Thu, "thu", "Thursday"),
    (Weekday::Fri, "fri", "Friday"),
    (Weekday::Sat, "sat", "Saturday"),
    (Weekday::Sun, "sun", "Sunday"),
];

/// Blank holiday rows offered below the existing ones.
const BLANK_HOLIDAYS: usize = 2;
/// At most this many holiday rows are read from a form.
const MAX_HOLIDAY_ROWS: usize = 1000;

pub struct Slot {
    /// `mon1`, `mon2`, … (the control names are `{key}_start` and `{key}_end`).
    key: String,
    n: usize,
    start: String,
    end: String,
    error: Option<String>,
}

pub struct DayRow {
    label: &'static str,
    slots: Vec<Slot>,
}

pub struct HolidayRow {
    i: usize,
    name: String,
    start: String,
    end: String,
    from: String,
    until: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_calendar.html")]
struct CalendarPage {
    chrome: Chrome,
    csrf: String,
    id: Option<Uuid>,
    title: String,
    name: String,
    zone: String,
    days: Vec<DayRow>,
    holidays: Vec<HolidayRow>,
    weekly: Option<String>,
    errors: Vec<FieldMessage>,
    notice: Option<String>,
    import_error: Option<String>,
}

impl CalendarPage {
    fn err(&self, target: &str) -> Option<String> {
        message_for(&self.errors, target)
    }
}

fn time_text(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

fn blank_holiday(i: usize) -> HolidayRow {
    HolidayRow {
        i,
        name: String::new(),
        start: String::new(),
        end: String::new(),
        from: String::new(),
        until: String::new(),
        error: None,
    }
}

/// The form's values for a stored calendar (or a new one).
fn calendar_form(c: Option<&CalendarView>) -> (String, String, Vec<DayRow>, Vec<HolidayRow>) {
    let spec = c.map(|c| c.spec.clone()).unwrap_or_else(|| CalendarSpec {
        zone: "UTC".into(),
        intervals: Vec::new(),
        holidays: Vec::new(),
    });
    let days = DAYS
        .iter()
        .map(|(wd, key, label)| {
            let mut ivs: Vec<&OpeningInterval> =
                spec.intervals.iter().filter(|i| i.weekday == *wd).collect();
            ivs.sort_by_key(|i| i.start);
            let count = ivs.len().max(2);
            let slots = (0..count)
                .map(|n| {
                    let iv = ivs.get(n);
                    Slot {
                        key: format!("{key}{}", n + 1),
                        n: n + 1,
                        start: iv.map(|i| time_text(i.start)).unwrap_or_default(),
                        end: iv.map(|i| time_text(i.end_time())).unwrap_or_default(),
                        error: None,
                    }
                })
                .collect();
            DayRow { label, slots }
        })
        .collect();
    let mut holidays: Vec<HolidayRow> = spec
        .holidays
        .iter()
        .enumerate()
        .map(|(i, h)| HolidayRow {
            i,
            name: h.name.clone(),
            start: h.start.to_string(),
            end: h.end.to_string(),
            from: h.hours.map(|x| time_text(x.from)).unwrap_or_default(),
            until: h.hours.map(|x| time_text(x.until)).unwrap_or_default(),
            error: None,
        })
        .collect();
    let n = holidays.len();
    holidays.extend((n..n + BLANK_HOLIDAYS).map(blank_holiday));
    (
        c.map(|c| c.name.clone()).unwrap_or_default(),
        spec.zone,
        days,
        holidays,
    )
}

fn parse_time(v: &str) -> Option<NaiveTime> {
    let v = v.trim();
    NaiveTime::parse_from_str(v, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(v, "%H:%M:%S"))
        .ok()
}

fn parse_date(v: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok()
}

/// A calendar form as sent: the values to show again, the spec when every field could
/// be read, and the messages of the fields that could not.
struct SentCalendar {
    name: String,
    zone: String,
    days: Vec<DayRow>,
    holidays: Vec<HolidayRow>,
    spec: Option<CalendarSpec>,
    errors: Vec<FieldMessage>,
}

fn read_calendar(form: &[(String, String)]) -> SentCalendar {
    let mut errors = Vec::new();
    let mut intervals = Vec::new();
    let mut days = Vec::new();
    for (wd, key, label) in DAYS {
        let mut slots = Vec::new();
        let mut n = 1;
        loop {
            let k = format!("{key}{n}");
            let start = first(form, &format!("{k}_start")).trim().to_string();
            let end = first(form, &format!("{k}_end")).trim().to_string();
            let present = form
                .iter()
                .any(|(f, _)| *f == format!("{k}_start") || *f == format!("{k}_end"));
            if !present && n > 2 {
                break;
            }
            let mut slot = Slot {
                key: k.clone(),
                n,
                start,
                end,
                error: None,
            };
            match (slot.start.is_empty(), slot.end.is_empty()) {
                (true, true) => {}
                (false, true) | (true, false) => {
                    slot.error = Some("enter both the opening and the closing time".into());
                }
                (false, false) => match (parse_time(&slot.start), parse_time(&slot.end)) {
                    (Some(s), Some(e)) if e > s || e == NaiveTime::MIN => {
                        intervals.push(OpeningInterval::from_times(wd, s, e));
                    }
                    (Some(_), Some(_)) => {
                        slot.error =
                            Some("must close after it opens (use 00:00 for midnight)".to_string());
                    }
                    _ => slot.error = Some("enter times as HH:MM, like 09:00".into()),
                },
            }
            if let Some(m) = &slot.error {
                errors.push(FieldMessage {
                    target: format!("{k}_start"),
                    label: format!("{label}, hours {n}"),
                    message: m.clone(),
                });
            }
            slots.push(slot);
            n += 1;
        }
        days.push(DayRow { label, slots });
    }
    let rows = first(form, "rows")
        .trim()
        .parse::<usize>()
        .unwrap_or(0)
        .min(MAX_HOLIDAY_ROWS);
    let mut holidays = Vec::new();
    let mut spec_holidays = Vec::new();
    let mut i = 0;
    for r in 0..rows {
        let f = |name: &str| first(form, &format!("h{r}_{name}")).trim().to_string();
        let mut row = HolidayRow {
            i,
            name: f("name"),
            start: f("start"),
            end: f("end"),
            from: f("from"),
            until: f("until"),
            error: None,
        };
        let empty = [&row.name, &row.start, &row.end, &row.from, &row.until]
            .iter()
            .all(|v| v.is_empty());
        if empty || !f("remove").is_empty() {
            continue;
        }
        i += 1;
        let start = parse_date(&row.start);
        let end = if row.end.is_empty() {
            start
        } else {
            parse_date(&row.end)
        };
        let hours = match (row.from.is_empty(), row.until.is_empty()) {
            (true, true) => Ok(None),
            (false, false) => match (parse_time(&row.from), parse_time(&row.until)) {
                (Some(from), Some(until)) => Ok(Some(ClosedHours { from, until })),
                _ => Err("enter closed hours as HH:MM, like 13:00"),
            },
            _ => Err("enter both closed-hours times, or neither for a whole day"),
        };
        match (start, end, hours) {
            (Some(start), Some(end), Ok(hours)) => spec_holidays.push(Holiday {
                name: row.name.clone(),
                start,
                end,
                hours,
            }),
            (_, _, Err(m)) => row.error = Some(m.into()),
            _ => row.error = Some("enter dates as YYYY-MM-DD, like 2026-12-25".into()),
        }
        if let Some(m) = &row.error {
            errors.push(FieldMessage {
                target: format!("h{}_name", row.i),
                label: format!("Holiday {}", row.i + 1),
                message: m.clone(),
            });
        }
        holidays.push(row);
    }
    for (n, row) in holidays.iter_mut().enumerate() {
        row.i = n;
    }
    let n = holidays.len();
    let extra = if first(form, "action") == "more" {
        BLANK_HOLIDAYS + 3
    } else {
        BLANK_HOLIDAYS
    };
    holidays.extend((n..n + extra).map(blank_holiday));
    let zone = first(form, "zone").trim().to_string();
    SentCalendar {
        name: first(form, "name").to_string(),
        spec: errors.is_empty().then(|| CalendarSpec {
            zone: zone.clone(),
            intervals,
            holidays: spec_holidays,
        }),
        zone,
        days,
        holidays,
        errors,
    }
}

fn calendar_control(field: &str) -> (&'static str, &'static str) {
    match field {
        "name" => ("c-name", "Name"),
        "zone" => ("c-zone", "Time zone"),
        "intervals" => ("c-hours", "Opening hours"),
        "holidays" => ("c-holidays", "Holidays"),
        "file" => ("c-file", "iCalendar file"),
        _ => ("c-name", "Calendar"),
    }
}

#[allow(clippy::too_many_arguments)]
async fn calendar_page(
    st: &AppState,
    s: &SessionInfo,
    id: Option<Uuid>,
    sent: SentCalendar,
    weekly: Option<String>,
    notice: Option<String>,
    import_error: Option<String>,
    status: StatusCode,
) -> Response {
    let title = if id.is_some() {
        format!("Calendar {}", sent.name)
    } else {
        "New calendar".to_string()
    };
    render(
        status,
        CalendarPage {
            chrome: Chrome::with_bell(st, s, "admin").await,
            csrf: s.csrf_token.clone(),
            id,
            title,
            name: sent.name,
            zone: sent.zone,
            days: sent.days,
            holidays: sent.holidays,
            weekly,
            errors: sent.errors,
            notice,
            import_error,
        },
    )
}

fn stored(c: Option<&CalendarView>) -> SentCalendar {
    let (name, zone, days, holidays) = calendar_form(c);
    SentCalendar {
        name,
        zone,
        days,
        holidays,
        spec: None,
        errors: Vec::new(),
    }
}

/// `GET /admin/sla/calendars/new`.
pub async fn new_calendar(State(st): State<AppState>, session: Option<WebSession>) -> Response {
    let (s, _) = settings_or_return!(session);
    calendar_page(
        &st,
        &s,
        None,
        stored(None),
        None,
        None,
        None,
        StatusCode::OK,
    )
    .await
}

/// `GET /admin/sla/calendars/{id}`.
pub async fn edit_calendar(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let (s, actor) = settings_or_return!(session);
    let c = match parse_id(&id, "calendar") {
        Ok(id) => st.app.calendar(&actor, id).await,
        Err(e) => Err(e),
    };
    let c = match c {
        Ok(c) => c,
        Err(e) => return failure(Some(&s), e),
    };
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let notice = match q.done.as_str() {
        "created" => Some("The calendar was created.".to_string()),
        "saved" => Some("The calendar was saved.".to_string()),
        "imported" => Some(match q.n.trim() {
            "1" => "1 holiday was imported.".to_string(),
            n => format!("{n} holidays were imported."),
        }),
        _ => None,
    };
    let weekly = Some(format_duration(Duration::seconds(c.weekly_open_secs)));
    calendar_page(
        &st,
        &s,
        Some(c.id),
        stored(Some(&c)),
        weekly,
        notice,
        None,
        StatusCode::OK,
    )
    .await
}

async fn save_calendar(
    st: &AppState,
    session: Option<WebSession>,
    id: Option<Uuid>,
    body: &[u8],
) -> Response {
    let (s, actor) = settings_or_return!(session);
    let form = pairs(body);
    if !same_secret(first(&form, "csrf"), &s.csrf_token) {
        return csrf_failed(&s);
    }
    if let Some(id) = id
        && let Err(e) = st.app.calendar(&actor, id).await
    {
        return failure(Some(&s), e);
    }
    let mut sent = read_calendar(&form);
    if first(&form, "action") == "more" {
        return calendar_page(st, &s, id, sent, None, None, None, StatusCode::OK).await;
    }
    let Some(spec) = sent.spec.take() else {
        return calendar_page(
            st,
            &s,
            id,
            sent,
            None,
            None,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    match st.app.save_calendar(&actor, id, &sent.name, spec).await {
        Ok(c) => {
            let done = if id.is_some() { "saved" } else { "created" };
            Redirect::to(&format!("/admin/sla/calendars/{}?done={done}", c.id)).into_response()
        }
        Err(AppError::Validation(errs)) => {
            sent.errors = messages(&errs, calendar_control);
            calendar_page(
                st,
                &s,
                id,
                sent,
                None,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e @ AppError::Conflict(_)) => {
            sent.errors = vec![FieldMessage {
                target: "c-name".into(),
                label: "Name".into(),
                message: describe(&e),
            }];
            calendar_page(st, &s, id, sent, None, None, None, status_of(&e)).await
        }
        Err(e) => failure(Some(&s), e),
    }
}

/// `POST /admin/sla/calendars/new`: a new calendar from the weekly grid.
pub async fn create_calendar(
    State(st): State<AppState>,
    session: Option<WebSession>,
    body: Bytes,
) -> Response {
    save_calendar(&st, session, None, &body).await
}

/// `POST /admin/sla/calendars/{id}`: replaces a calendar's name, zone, hours and holidays.
pub async fn update_calendar(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    match parse_id(&id, "calendar") {
        Ok(id) => save_calendar(&st, session, Some(id), &body).await,
        Err(e) => match settings_who(session) {
            Ok((s, _)) => failure(Some(&s), e),
            Err(r) => *r,
        },
    }
}

/// `POST /admin/sla/calendars/{id}/delete`.
pub async fn delete_calendar(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (s, actor) = settings_or_return!(session);
    if !same_secret(first(&pairs(&body), "csrf"), &s.csrf_token) {
        return csrf_failed(&s);
    }
    let result = match parse_id(&id, "calendar") {
        Ok(id) => st.app.delete_calendar(&actor, id).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to("/admin/sla?done=calendar_deleted").into_response(),
        Err(e @ AppError::Conflict(_)) => {
            let msg = format!("The calendar was not deleted: {}.", describe(&e));
            overview_page(&st, &s, &actor, None, Some(msg), StatusCode::CONFLICT).await
        }
        Err(e) => failure(Some(&s), e),
    }
}

/// `POST /admin/sla/calendars/{id}/import` (multipart): holidays from an `.ics` file.
pub async fn import_holidays(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (s, actor) = settings_or_return!(session);
    let id = match parse_id(&id, "calendar") {
        Ok(id) => id,
        Err(e) => return failure(Some(&s), e),
    };
    let mut mp = match multipart(&st, req).await {
        Ok(m) => m,
        Err(e) => {
            return rejected(
                Some(&s),
                ApiError::new(ErrorCode::UnsupportedMediaType).detail(e.body_text()),
            );
        }
    };
    let max = super::tickets_view::file_max_bytes(&st);
    let mut csrf = String::new();
    let mut ics: Option<Vec<u8>> = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return failure(Some(&s), super::tickets_view::multipart_failure(&e, max));
            }
        };
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "file" => match field.bytes().await {
                Ok(b) => ics = Some(b.to_vec()),
                Err(e) => {
                    return failure(Some(&s), super::tickets_view::multipart_failure(&e, max));
                }
            },
            _ => {}
        }
    }
    if !same_secret(&csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    let current = match st.app.calendar(&actor, id).await {
        Ok(c) => c,
        Err(e) => return failure(Some(&s), e),
    };
    let result = match ics.filter(|b| !b.is_empty()) {
        None => Err(AppError::Validation(vec![FieldError::new(
            "file",
            "required",
            "choose an iCalendar (.ics) file",
        )])),
        Some(bytes) => match String::from_utf8(bytes) {
            Ok(text) => st.app.import_holidays(&actor, id, &text).await,
            Err(_) => Err(AppError::Validation(vec![FieldError::new(
                "file",
                "invalid_ics",
                "the file is not a text iCalendar (.ics) file",
            )])),
        },
    };
    match result {
        Ok(n) => {
            Redirect::to(&format!("/admin/sla/calendars/{id}?done=imported&n={n}")).into_response()
        }
        Err(e @ AppError::Validation(_)) => {
            let weekly = Some(format_duration(Duration::seconds(current.weekly_open_secs)));
            calendar_page(
                &st,
                &s,
                Some(id),
                stored(Some(&current)),
                weekly,
                None,
                Some(describe(&e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => failure(Some(&s), e),
    }
}

// ---------- admin: policies ----------

/// The values of the policy form.
#[derive(Default, Clone)]
pub struct PolicyFields {
    name: String,
    position: String,
    kinds: Vec<String>,
    priorities: Vec<String>,
    queue: String,
    calendar: String,
    first_response: String,
    resolution: String,
    due_soon: String,
    pauses: Vec<String>,
    escalate_priority: String,
    escalate_queue: String,
    enabled: bool,
}

impl PolicyFields {
    fn of(p: &PolicyView) -> Self {
        let id = |v: Option<Uuid>| v.map(|u| u.to_string()).unwrap_or_default();
        let num = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        PolicyFields {
            name: p.name.clone(),
            position: p.position.to_string(),
            kinds: p.kinds.clone(),
            priorities: p.priorities.clone(),
            queue: id(p.queue_id),
            calendar: id(p.calendar_id),
            first_response: num(p.first_response_minutes),
            resolution: num(p.resolution_minutes),
            due_soon: p.due_soon_percent.to_string(),
            pauses: p.pause_statuses.clone(),
            escalate_priority: p.escalate_priority.clone().unwrap_or_default(),
            escalate_queue: id(p.escalate_queue_id),
            enabled: p.enabled,
        }
    }

    fn new_policy() -> Self {
        PolicyFields {
            position: "100".into(),
            due_soon: "75".into(),
            pauses: catalyst_app::sla::DEFAULT_PAUSE_STATUSES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            enabled: true,
            ..PolicyFields::default()
        }
    }

    fn read(form: &[(String, String)]) -> Self {
        let t = |k: &str| first(form, k).trim().to_string();
        PolicyFields {
            name: first(form, "name").to_string(),
            position: t("position"),
            kinds: all(form, "kinds"),
            priorities: all(form, "priorities"),
            queue: t("queue"),
            calendar: t("calendar"),
            first_response: t("first_response"),
            resolution: t("resolution"),
            due_soon: t("due_soon"),
            pauses: all(form, "pauses"),
            escalate_priority: t("escalate_priority"),
            escalate_queue: t("escalate_queue"),
            enabled: !first(form, "enabled").is_empty(),
        }
    }

    /// The use case's input, or the fields that are not even numbers or ids.
    fn input(&self) -> Result<PolicyInput, Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut uuid = |v: &str, field: &'static str| -> Option<Uuid> {
            if v.is_empty() {
                return None;
            }
            v.parse()
                .map_err(|_| {
                    errs.push(FieldError::new(field, "unknown", "choose from the list"));
                })
                .ok()
        };
        let queue_id = uuid(&self.queue, "queueId");
        let calendar_id = uuid(&self.calendar, "calendarId");
        let escalate_queue_id = uuid(&self.escalate_queue, "escalateQueueId");
        let mut number = |v: &str, field: &'static str| -> Option<i64> {
            if v.is_empty() {
                return None;
            }
            v.parse()
                .map_err(|_| {
                    errs.push(FieldError::new(field, "format", "enter a whole number"));
                })
                .ok()
        };
        let position = number(&self.position, "position").unwrap_or(0);
        let first_response_minutes = number(&self.first_response, "firstResponseMinutes");
        let resolution_minutes = number(&self.resolution, "resolutionMinutes");
        let due_soon = number(&self.due_soon, "dueSoonPercent");
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        let due_soon_percent = due_soon.map(|d| i16::try_from(d).unwrap_or(i16::MAX));
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(PolicyInput {
            name: self.name.clone(),
            position,
            kinds: self.kinds.clone(),
            priorities: self.priorities.clone(),
            queue_id,
            calendar_id,
            first_response_minutes,
            resolution_minutes,
            due_soon_percent,
            pause_statuses: Some(self.pauses.clone()),
            escalate_priority: Some(self.escalate_priority.clone()).filter(|p| !p.is_empty()),
            escalate_queue_id,
            enabled: self.enabled,
        })
    }
}

fn policy_control(field: &str) -> (&'static str, &'static str) {
    match field {
        "name" => ("p-name", "Name"),
        "position" => ("p-position", "Position"),
        "kinds" => ("p-kinds", "Kinds"),
        "priorities" => ("p-priorities", "Priorities"),
        "queueId" => ("p-queue", "Queue"),
        "calendarId" => ("p-calendar", "Calendar"),
        "firstResponseMinutes" => ("p-first", "First response target"),
        "resolutionMinutes" => ("p-resolution", "Resolution target"),
        "dueSoonPercent" => ("p-due-soon", "Due soon at"),
        "pauseStatuses" => ("p-pauses", "Pausing statuses"),
        "escalatePriority" => ("p-esc-priority", "Escalate to priority"),
        "escalateQueueId" => ("p-esc-queue", "Escalate to queue"),
        _ => ("p-name", "Policy"),
    }
}

/// A checkbox of a group.
pub struct Check {
    id: String,
    value: String,
    label: String,
    checked: bool,
}

fn checks(prefix: &str, list: &[(&str, &str)], chosen: &[String]) -> Vec<Check> {
    list.iter()
        .map(|(v, l)| Check {
            id: format!("{prefix}-{v}"),
            value: (*v).to_string(),
            label: (*l).to_string(),
            checked: chosen.iter().any(|c| c == v),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "admin_policy.html")]
struct PolicyPage {
    chrome: Chrome,
    csrf: String,
    id: Option<Uuid>,
    title: String,
    f: PolicyFields,
    kinds: Vec<Check>,
    priorities: Vec<Check>,
    pauses: Vec<Check>,
    queue_options: Vec<Opt>,
    calendar_options: Vec<Opt>,
    escalate_priority_options: Vec<Opt>,
    escalate_queue_options: Vec<Opt>,
    errors: Vec<FieldMessage>,
}

impl PolicyPage {
    fn err(&self, target: &str) -> Option<String> {
        message_for(&self.errors, target)
    }
}

async fn policy_page(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    id: Option<Uuid>,
    f: PolicyFields,
    errors: Vec<FieldMessage>,
    status: StatusCode,
) -> Response {
    let loaded = async {
        let (queues, _) = st.app.list_queues(actor).await?;
        let cals = st.app.calendars(actor).await?;
        Ok::<_, AppError>((queues, cals))
    };
    let (queues, cals) = match loaded.await {
        Ok(x) => x,
        Err(e) => return failure(Some(s), e),
    };
    let queue_opts = |none: &str, current: &str| {
        let mut v = vec![Opt {
            value: String::new(),
            label: none.to_string(),
            selected: current.is_empty(),
        }];
        v.extend(queues.iter().map(|q| Opt {
            value: q.id.to_string(),
            label: if q.archived {
                format!("{} (archived)", q.name)
            } else {
                q.name.clone()
            },
            selected: current == q.id.to_string(),
        }));
        v
    };
    let mut calendar_options = vec![Opt {
        value: String::new(),
        label: "24×7 (always open, UTC)".into(),
        selected: f.calendar.is_empty(),
    }];
    calendar_options.extend(cals.iter().map(|c| Opt {
        value: c.id.to_string(),
        label: format!("{} ({})", c.name, c.spec.zone),
        selected: f.calendar == c.id.to_string(),
    }));
    let prios = priorities();
    let mut escalate_priority_options = vec![Opt {
        value: String::new(),
        label: "Do not change".into(),
        selected: f.escalate_priority.is_empty(),
    }];
    escalate_priority_options.extend(opts(&prios, &f.escalate_priority));
    let pausable: Vec<(&str, &str)> = Status::ALL
        .iter()
        .filter(|s| s.is_active())
        .map(|s| (s.as_str(), s.label()))
        .collect();
    let title = match id {
        Some(_) => format!("SLA policy {}", f.name),
        None => "New SLA policy".to_string(),
    };
    render(
        status,
        PolicyPage {
            chrome: Chrome::with_bell(st, s, "admin").await,
            csrf: s.csrf_token.clone(),
            id,
            title,
            kinds: checks("p-kind", &KINDS, &f.kinds),
            priorities: checks("p-prio", &prios, &f.priorities),
            pauses: checks("p-pause", &pausable, &f.pauses),
            queue_options: queue_opts("Any queue", &f.queue),
            escalate_queue_options: queue_opts("Do not move", &f.escalate_queue),
            calendar_options,
            escalate_priority_options,
            errors,
            f,
        },
    )
}

async fn find_policy(st: &AppState, actor: &Actor, id: &str) -> Result<PolicyView, AppError> {
    let id = parse_id(id, "SLA policy")?;
    st.app
        .sla_policies(actor)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(AppError::NotFound("SLA policy"))
}

/// `GET /admin/sla/policies/new`.
pub async fn new_policy(State(st): State<AppState>, session: Option<WebSession>) -> Response {
    let (s, actor) = settings_or_return!(session);
    let f = PolicyFields::new_policy();
    policy_page(&st, &s, &actor, None, f, Vec::new(), StatusCode::OK).await
}

/// `GET /admin/sla/policies/{id}`.
pub async fn edit_policy(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
) -> Response {
    let (s, actor) = settings_or_return!(session);
    match find_policy(&st, &actor, &id).await {
        Ok(p) => {
            let f = PolicyFields::of(&p);
            policy_page(&st, &s, &actor, Some(p.id), f, Vec::new(), StatusCode::OK).await
        }
        Err(e) => failure(Some(&s), e),
    }
}

async fn save_policy(
    st: &AppState,
    session: Option<WebSession>,
    id: Option<&str>,
    body: &[u8],
) -> Response {
    let (s, actor) = settings_or_return!(session);
    let form = pairs(body);
    if !same_secret(first(&form, "csrf"), &s.csrf_token) {
        return csrf_failed(&s);
    }
    let id = match id {
        None => None,
        Some(id) => match find_policy(st, &actor, id).await {
            Ok(p) => Some(p.id),
            Err(e) => return failure(Some(&s), e),
        },
    };
    let f = PolicyFields::read(&form);
    let result = match f.input() {
        Ok(input) => st.app.save_sla_policy(&actor, id, input).await,
        Err(errs) => Err(AppError::Validation(errs)),
    };
    match result {
        Ok(_) => Redirect::to("/admin/sla?done=policy_saved").into_response(),
        Err(AppError::Validation(errs)) => {
            let errors = messages(&errs, policy_control);
            policy_page(
                st,
                &s,
                &actor,
                id,
                f,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e @ AppError::Conflict(_)) => {
            let errors = vec![FieldMessage {
                target: "p-name".into(),
                label: "Name".into(),
                message: describe(&e),
            }];
            policy_page(st, &s, &actor, id, f, errors, status_of(&e)).await
        }
        Err(e) => failure(Some(&s), e),
    }
}

/// `POST /admin/sla/policies/new`.
pub async fn create_policy(
    State(st): State<AppState>,
    session: Option<WebSession>,
    body: Bytes,
) -> Response {
    save_policy(&st, session, None, &body).await
}

/// `POST /admin/sla/policies/{id}`.
pub async fn update_policy(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    save_policy(&st, session, Some(&id), &body).await
}

/// `POST /admin/sla/policies/{id}/delete`.
pub async fn delete_policy(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (s, actor) = settings_or_return!(session);
    if !same_secret(first(&pairs(&body), "csrf"), &s.csrf_token) {
        return csrf_failed(&s);
    }
    let result = match parse_id(&id, "SLA policy") {
        Ok(id) => st.app.delete_sla_policy(&actor, id).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to("/admin/sla?done=policy_deleted").into_response(),
        Err(e) => failure(Some(&s), e),
    }
}

// ---------- admin: dead jobs ----------

pub struct JobRow {
    j: JobView,
    failed_at: String,
    failed_iso: String,
    error: String,
    ticket: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage {
    chrome: Chrome,
    csrf: String,
    jobs: Vec<JobRow>,
    notice: Option<String>,
}

/// `GET /admin/jobs`: background jobs that failed for good, with a retry button.
pub async fn dead_jobs(
    State(st): State<AppState>,
    session: Option<WebSession>,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let (s, actor) = settings_or_return!(session);
    let jobs = match st.app.dead_jobs(&actor).await {
        Ok(j) => j,
        Err(e) => return failure(Some(&s), e),
    };
    let notice = (q.map(|Query(q)| q.done).unwrap_or_default() == "retried")
        .then(|| "The job was put back in the queue.".to_string());
    let jobs = jobs
        .into_iter()
        .map(|j| JobRow {
            failed_at: j.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            failed_iso: j.updated_at.to_rfc3339(),
            error: j
                .last_error
                .clone()
                .unwrap_or_else(|| "No error was recorded.".into()),
            ticket: j
                .payload
                .get("ticket")
                .or_else(|| j.payload.get("ticketId"))
                .and_then(|v| v.as_str())
                .and_then(|v| v.parse::<Uuid>().ok())
                .map(|u| u.to_string()),
            j,
        })
        .collect();
    render(
        StatusCode::OK,
        JobsPage {
            chrome: Chrome::with_bell(&st, &s, "admin").await,
            csrf: s.csrf_token.clone(),
            jobs,
            notice,
        },
    )
}

/// `POST /admin/jobs/{id}/retry`.
pub async fn retry_job(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (s, actor) = settings_or_return!(session);
    if !same_secret(first(&pairs(&body), "csrf"), &s.csrf_token) {
        return csrf_failed(&s);
    }
    let result = match parse_id(&id, "job") {
        Ok(id) => st.app.retry_job(&actor, id).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to("/admin/jobs?done=retried").into_response(),
        Err(e) => failure(Some(&s), e),
    }
}
