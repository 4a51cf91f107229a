//! The agent console: queues, the ticket list with filters, saved filters and bulk
//! changes, and the ticket page with controls, conversation, notes and history.

use crate::web::tickets_view::save_comment;
use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use catalyst_app::auth::SessionInfo;
use catalyst_app::tickets::{CommentView, HistoryEntry, TicketPatch, TicketView};
use catalyst_app::{Actor, AppError};
use catalyst_domain::{Changer, FieldError, Permission, Status};

use super::sla::{SlaBadge, SlaPanel, badges};
use super::tickets_view::{
    AttachmentItem, Begun, FieldMessage, KINDS, LEVELS, ListParams, Opt, Outcome, SLA_FILTERS,
    SORTS, STATUS_FILTERS, Stop, describe, drive, file_max_bytes, is_stale, message_for, messages,
    multipart, opts, priorities, status_label, status_of, who,
};
use super::{Chrome, csrf_failed, denied, failure, rejected, render};
use crate::http::AppState;
use crate::http::auth::{WebSession, same_secret};
use crate::http::error::{ApiError, ErrorCode};

/// The session and actor of an agent, or the response to send instead.
fn agent_who(session: Option<WebSession>) -> Result<(SessionInfo, Actor), Box<Response>> {
    let (s, actor) = who(session).map_err(|r| Box::new(r.into_response()))?;
    if !actor.role.allows(Permission::UseAgentConsole) {
        return Err(Box::new(denied(&s)));
    }
    Ok((s, actor))
}

macro_rules! agent_or_return {
    ($session:expr) => {
        match agent_who($session) {
            Ok(x) => x,
            Err(r) => return *r,
        }
    };
}

/// Name/value pairs of an `application/x-www-form-urlencoded` body (keys may repeat).
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

fn opt(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Opt {
    Opt {
        value: value.into(),
        label: label.into(),
        selected,
    }
}

/// `Some(id)` for an id, `None` for "" or "none"; `Err` for anything else.
fn parse_choice(v: &str) -> Result<Option<Uuid>, ()> {
    match v.trim() {
        "" | "none" => Ok(None),
        s => s.parse().map(Some).map_err(|_| ()),
    }
}

// ---------- the console ----------

pub struct QueueLink {
    name: String,
    count: i64,
    href: String,
    current: bool,
}

pub struct SavedLink {
    id: Uuid,
    name: String,
    href: String,
}

pub struct Row {
    t: TicketView,
    checked: bool,
    sla: Option<SlaBadge>,
}

#[derive(Template)]
#[template(path = "agent.html")]
struct ConsolePage {
    chrome: Chrome,
    csrf: String,
    queues: Vec<QueueLink>,
    unqueued: QueueLink,
    mine: QueueLink,
    saved: Vec<SavedLink>,
    params: ListParams,
    status_options: Vec<Opt>,
    priority_options: Vec<Opt>,
    kind_options: Vec<Opt>,
    queue_options: Vec<Opt>,
    assignee_options: Vec<Opt>,
    sort_options: Vec<Opt>,
    sla_options: Vec<Opt>,
    bulk_status_options: Vec<Opt>,
    bulk_queue_options: Vec<Opt>,
    bulk_priority_options: Vec<Opt>,
    rows: Vec<Row>,
    older: Option<String>,
    newest: Option<String>,
    back: String,
    done: Option<String>,
    problems: Vec<String>,
    filter_name: String,
}

/// What a console render adds to the list: messages and the tickets to keep selected.
#[derive(Default)]
struct ConsoleExtras {
    problems: Vec<String>,
    selected: Vec<Uuid>,
    filter_name: String,
}

async fn console_page(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    params: ListParams,
    extras: ConsoleExtras,
) -> Result<ConsolePage, AppError> {
    let (queues, unqueued) = st.app.list_queues(actor).await?;
    let saved = st.app.saved_filters(actor).await?;
    let mut problems = extras.problems;
    let listed = match params.to_list_query(actor, false) {
        Ok(q) => st.app.list_tickets(actor, q).await,
        Err(e) => Err(e),
    };
    let (items, next) = match listed {
        Ok(p) => (p.items, p.next_cursor),
        Err(e @ AppError::Validation(_)) => {
            problems.push(format!("The filter is not valid: {}.", describe(&e)));
            (Vec::new(), None)
        }
        Err(e) => return Err(e),
    };
    // A sidebar link is current when the list shows exactly what it links to.
    let is_link = |queue: &str, assignee: &str| {
        params.status.trim() == "active"
            && params.queue.trim() == queue
            && params.assignee.trim() == assignee
            && params.priority.trim().is_empty()
            && params.kind.trim().is_empty()
            && params.q.trim().is_empty()
            && params.sla.trim().is_empty()
    };
    let cur_queue = params.queue.trim();
    let mut queue_options = vec![
        opt("", "Any queue", cur_queue.is_empty()),
        opt("none", "No queue", cur_queue == "none"),
    ];
    let mut bulk_queue_options = vec![opt("", "Keep", true), opt("none", "No queue", false)];
    for q in &queues {
        let id = q.id.to_string();
        if !q.archived || cur_queue == id {
            queue_options.push(opt(id.clone(), q.name.clone(), cur_queue == id));
        }
        if !q.archived {
            bulk_queue_options.push(opt(id, q.name.clone(), false));
        }
    }
    let prios = priorities();
    let mut priority_options = vec![opt("", "Any priority", params.priority.trim().is_empty())];
    priority_options.extend(opts(&prios, params.priority.trim()));
    let mut kind_options = vec![opt("", "Any kind", params.kind.trim().is_empty())];
    kind_options.extend(opts(&KINDS, params.kind.trim()));
    let mut bulk_status_options = vec![opt("", "Keep", true)];
    bulk_status_options.extend(
        Status::ALL
            .iter()
            .map(|s| opt(s.as_str(), s.label(), false)),
    );
    let mut bulk_priority_options = vec![opt("", "Keep", true)];
    bulk_priority_options.extend(opts(&prios, ""));
    let sort = match params.sort.trim() {
        "" => "-updated",
        s => s,
    };
    let mut sla_options = vec![opt("", "Any", params.sla.trim().is_empty())];
    sla_options.extend(opts(&SLA_FILTERS, params.sla.trim()));
    let badges = badges(&st.app, actor, &items).await;
    Ok(ConsolePage {
        chrome: Chrome::with_bell(st, s, "agent").await,
        csrf: s.csrf_token.clone(),
        unqueued: QueueLink {
            name: "No queue".into(),
            count: unqueued,
            href: "/agent?status=active&queue=none".into(),
            current: is_link("none", ""),
        },
        mine: QueueLink {
            name: "Assigned to me".into(),
            count: 0,
            href: "/agent?status=active&assignee=me".into(),
            current: is_link("", "me"),
        },
        queues: queues
            .iter()
            .filter(|q| !q.archived)
            .map(|q| QueueLink {
                name: q.name.clone(),
                count: q.open_count,
                href: format!("/agent?status=active&queue={}", q.id),
                current: is_link(&q.id.to_string(), ""),
            })
            .collect(),
        saved: saved
            .into_iter()
            .map(|f| SavedLink {
                href: ListParams::from_query(&f.query).link("/agent", None),
                id: f.id,
                name: f.name,
            })
            .collect(),
        status_options: opts(&STATUS_FILTERS, params.status.trim()),
        priority_options,
        kind_options,
        queue_options,
        assignee_options: opts(
            &[("", "Anyone"), ("me", "Me"), ("none", "Nobody")],
            params.assignee.trim(),
        ),
        sort_options: opts(&SORTS, sort),
        sla_options,
        bulk_status_options,
        bulk_queue_options,
        bulk_priority_options,
        rows: items
            .into_iter()
            .zip(badges)
            .map(|(t, sla)| Row {
                checked: extras.selected.contains(&t.id),
                t,
                sla,
            })
            .collect(),
        older: next.as_deref().map(|c| params.link("/agent", Some(c))),
        newest: (!params.cursor.trim().is_empty()).then(|| params.link("/agent", None)),
        back: params.canonical(),
        done: params.done.trim().parse::<usize>().ok().map(|n| match n {
            1 => "1 ticket updated.".to_string(),
            n => format!("{n} tickets updated."),
        }),
        problems,
        filter_name: extras.filter_name,
        params,
    })
}

async fn show_console(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    params: ListParams,
    extras: ConsoleExtras,
    status: StatusCode,
) -> Response {
    match console_page(st, s, actor, params, extras).await {
        Ok(page) => render(status, page),
        Err(AppError::Forbidden) => denied(s),
        Err(e) => failure(Some(s), e),
    }
}

/// `GET /agent`: queues, saved filters and the filtered ticket list.
pub async fn console(
    State(st): State<AppState>,
    session: Option<WebSession>,
    q: Result<Query<ListParams>, QueryRejection>,
) -> Response {
    let (s, actor) = agent_or_return!(session);
    let params = q.map(|Query(p)| p).unwrap_or_default();
    show_console(
        &st,
        &s,
        &actor,
        params,
        ConsoleExtras::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /agent/bulk`: one change to all selected tickets, all or nothing.
pub async fn bulk(
    State(st): State<AppState>,
    session: Option<WebSession>,
    body: Bytes,
) -> Response {
    let (s, actor) = agent_or_return!(session);
    let form = pairs(&body);
    if !same_secret(first(&form, "csrf"), &s.csrf_token) {
        return csrf_failed(&s);
    }
    let params = ListParams::from_query(first(&form, "back"));
    let mut problems = Vec::new();
    let mut ids = Vec::new();
    for (k, v) in &form {
        if k == "ids" {
            match v.parse::<Uuid>() {
                Ok(id) if !ids.contains(&id) => ids.push(id),
                Ok(_) => {}
                Err(_) => problems.push("A selected ticket does not exist.".to_string()),
            }
        }
    }
    let text = |k: &str| Some(first(&form, k).trim().to_string()).filter(|v| !v.is_empty());
    let mut patch = TicketPatch {
        status: text("status"),
        priority: text("priority"),
        priority_reason: text("priority_reason"),
        ..TicketPatch::default()
    };
    match first(&form, "assignee").trim() {
        "" => {}
        "me" => patch.assignee_id = Some(Some(actor.user_id.0)),
        "none" => patch.assignee_id = Some(None),
        _ => problems.push("Choose me or nobody as the assignee.".into()),
    }
    match parse_choice(first(&form, "queue")) {
        _ if first(&form, "queue").trim().is_empty() => {}
        Ok(q) => patch.queue_id = Some(q),
        Err(()) => problems.push("Choose a queue from the list.".into()),
    }
    if ids.is_empty() {
        problems.push("Select at least one ticket.".into());
    }
    if patch.is_empty() {
        problems.push("Choose what to change.".into());
    }
    let again = |problems: Vec<String>| {
        show_console(
            &st,
            &s,
            &actor,
            params.clone(),
            ConsoleExtras {
                problems,
                selected: ids.clone(),
                ..ConsoleExtras::default()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    if !problems.is_empty() {
        return again(problems).await;
    }
    match st.app.bulk_update(&actor, &ids, patch).await {
        Ok(Ok(done)) => {
            let back = params.link("/agent", None);
            let sep = if back.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{back}{sep}done={}", done.len())).into_response()
        }
        Ok(Err(failures)) => {
            let mut problems = vec!["Nothing was changed.".to_string()];
            for f in failures {
                let number = match st.app.get_ticket(&actor, &f.id.to_string()).await {
                    Ok(t) => t.number,
                    Err(_) => f.id.to_string(),
                };
                let msgs: Vec<String> = f.errors.into_iter().map(|e| e.message).collect();
                problems.push(format!("{number}: {}", msgs.join("; ")));
            }
            again(problems).await
        }
        Err(e @ AppError::Validation(_)) => again(vec![describe(&e)]).await,
        Err(e) => failure(Some(&s), e),
    }
}

#[derive(Deserialize)]
pub struct SaveFilterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

/// `POST /agent/filters`: saves the current filters under a name.
pub async fn save_filter(
    State(st): State<AppState>,
    session: Option<WebSession>,
    form: Result<Form<SaveFilterForm>, FormRejection>,
) -> Response {
    let (s, actor) = agent_or_return!(session);
    let f = match form {
        Ok(Form(f)) => f,
        Err(rej) => return rejected(Some(&s), ApiError::from(rej)),
    };
    if !same_secret(&f.csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    let params = ListParams::from_query(&f.query);
    match st
        .app
        .save_filter(&actor, &f.name, &params.canonical())
        .await
    {
        Ok(_) => Redirect::to(&params.link("/agent", None)).into_response(),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            let status = status_of(&e);
            show_console(
                &st,
                &s,
                &actor,
                params,
                ConsoleExtras {
                    problems: vec![format!("The filter was not saved: {}", describe(&e))],
                    filter_name: f.name,
                    ..ConsoleExtras::default()
                },
                status,
            )
            .await
        }
        Err(e) => failure(Some(&s), e),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /agent/filters/{id}/delete`.
pub async fn delete_filter(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    form: Result<Form<CsrfOnly>, FormRejection>,
) -> Response {
    let (s, actor) = agent_or_return!(session);
    let token = form.map(|Form(f)| f.csrf).unwrap_or_default();
    if !same_secret(&token, &s.csrf_token) {
        return csrf_failed(&s);
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return failure(Some(&s), AppError::NotFound("saved filter"));
    };
    match st.app.delete_saved_filter(&actor, id).await {
        Ok(()) => Redirect::to("/agent").into_response(),
        Err(e) => failure(Some(&s), e),
    }
}

// ---------- one ticket ----------

/// One line of the history table.
pub struct HistoryRow {
    when: String,
    when_iso: String,
    who: String,
    what: String,
    from: String,
    to: String,
    reason: String,
}

/// The values shown in the controls form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Controls {
    csrf: String,
    version: String,
    status: String,
    priority: String,
    priority_reason: String,
    impact: String,
    urgency: String,
    assignee: String,
    queue: String,
}

impl Controls {
    fn of(t: &TicketView) -> Self {
        Controls {
            status: t.status.as_str().into(),
            priority: t.priority.as_str().into(),
            impact: t.impact.as_str().into(),
            urgency: t.urgency.as_str().into(),
            assignee: t
                .assignee
                .as_ref()
                .map(|a| a.id.to_string())
                .unwrap_or_default(),
            queue: t
                .queue
                .as_ref()
                .map(|q| q.id.to_string())
                .unwrap_or_default(),
            ..Controls::default()
        }
    }
}

fn control_of(field: &str) -> (&'static str, &'static str) {
    match field {
        "status" => ("f-status", "Status"),
        "priority" => ("f-priority", "Priority"),
        "priorityReason" => ("f-reason", "Reason for priority change"),
        "impact" => ("f-impact", "Impact"),
        "urgency" => ("f-urgency", "Urgency"),
        "assigneeId" => ("f-assignee", "Assignee"),
        "queueId" => ("f-queue", "Queue"),
        _ => ("f-status", "Ticket"),
    }
}

#[derive(Template)]
#[template(path = "agent_ticket.html")]
struct TicketPage {
    chrome: Chrome,
    csrf: String,
    t: TicketView,
    status_options: Vec<Opt>,
    priority_options: Vec<Opt>,
    impact_options: Vec<Opt>,
    urgency_options: Vec<Opt>,
    assignee_options: Vec<Opt>,
    queue_options: Vec<Opt>,
    priority_reason: String,
    comments: Vec<CommentView>,
    attachments: Vec<AttachmentItem>,
    history: Vec<HistoryRow>,
    tasks: Vec<TicketView>,
    sla: SlaPanel,
    notice: Option<String>,
    problem: Option<String>,
    errors: Vec<FieldMessage>,
    reply: String,
    reply_error: Option<String>,
    reply_private: bool,
    assigned_to_me: bool,
    max_mb: u64,
}

impl TicketPage {
    fn err(&self, target: &str) -> Option<String> {
        message_for(&self.errors, target)
    }

    fn is_final(&self) -> bool {
        self.t.status.is_final()
    }
}

fn history_rows(
    entries: Vec<HistoryEntry>,
    people: &HashMap<String, String>,
    queues: &HashMap<String, String>,
) -> Vec<HistoryRow> {
    let name_in = |map: &HashMap<String, String>, v: Option<String>, empty: &str| match v {
        None => String::new(),
        Some(v) if v.is_empty() => empty.to_string(),
        Some(v) => map.get(&v).cloned().unwrap_or(v),
    };
    entries
        .into_iter()
        .map(|h| {
            let (what, from, to) = match h.field.as_str() {
                "created" => (
                    "Created".to_string(),
                    String::new(),
                    h.new_value.unwrap_or_default(),
                ),
                "status" => (
                    "Status".into(),
                    h.old_value.as_deref().map(status_label).unwrap_or_default(),
                    h.new_value.as_deref().map(status_label).unwrap_or_default(),
                ),
                "assignee" => (
                    "Assignee".into(),
                    name_in(people, h.old_value, "Unassigned"),
                    name_in(people, h.new_value, "Unassigned"),
                ),
                "queue" => (
                    "Queue".into(),
                    name_in(queues, h.old_value, "No queue"),
                    name_in(queues, h.new_value, "No queue"),
                ),
                "reply" => ("Public reply".into(), String::new(), String::new()),
                "note" => ("Internal note".into(), String::new(), String::new()),
                "attachment" => (
                    "Attachment".into(),
                    String::new(),
                    h.new_value.unwrap_or_default(),
                ),
                other => {
                    let mut c = other.chars();
                    let what = c
                        .next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default();
                    (
                        what,
                        h.old_value.unwrap_or_default(),
                        h.new_value.unwrap_or_default(),
                    )
                }
            };
            HistoryRow {
                when: h.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                when_iso: h.at.to_rfc3339(),
                who: h.actor,
                what,
                from,
                to,
                reason: h.reason.unwrap_or_default(),
            }
        })
        .collect()
}

/// Everything of the agent's ticket page; `controls` are the values to show in the
/// form (the ticket's own when `None`).
async fn ticket_page(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    id: &str,
    controls: Option<Controls>,
) -> Result<TicketPage, AppError> {
    let t = st.app.get_ticket(actor, id).await?;
    let comments = st.app.list_comments(actor, t.id).await?;
    let attachments = st
        .app
        .list_attachments(actor, t.id)
        .await?
        .into_iter()
        .map(AttachmentItem::from)
        .collect();
    let history = st.app.ticket_history(actor, t.id).await?;
    let tasks = st.app.child_tickets(actor, t.id).await?;
    let sla = SlaPanel::of(st.app.explain_sla(actor, t.id).await?);
    let agents = st.app.list_agents(actor).await?;
    let (queues, _) = st.app.list_queues(actor).await?;
    let c = controls.unwrap_or_else(|| Controls::of(&t));

    let mut status_options = vec![opt(
        t.status.as_str(),
        format!("{} (current)", t.status.label()),
        c.status == t.status.as_str(),
    )];
    status_options.extend(
        t.status
            .next(Changer::Agent)
            .iter()
            .map(|n| opt(n.as_str(), n.label(), c.status == n.as_str())),
    );
    let mut assignee_options = vec![opt("", "Unassigned", c.assignee.is_empty())];
    let mut people: HashMap<String, String> = HashMap::new();
    for a in &agents {
        let id = a.id.to_string();
        people.insert(id.clone(), a.name.clone());
        assignee_options.push(opt(
            id.clone(),
            format!("{} ({})", a.name, a.email),
            c.assignee == id,
        ));
    }
    if let Some(a) = &t.assignee
        && !agents.iter().any(|x| x.id == a.id)
    {
        let id = a.id.to_string();
        people.insert(id.clone(), a.name.clone());
        assignee_options.push(opt(id.clone(), a.name.clone(), c.assignee == id));
    }
    let mut queue_options = vec![opt("", "No queue", c.queue.is_empty())];
    let mut queue_names: HashMap<String, String> = HashMap::new();
    for q in &queues {
        let id = q.id.to_string();
        queue_names.insert(id.clone(), q.name.clone());
        let current = t.queue.as_ref().is_some_and(|x| x.id == q.id);
        if !q.archived || current {
            queue_options.push(opt(id.clone(), q.name.clone(), c.queue == id));
        }
    }
    Ok(TicketPage {
        chrome: Chrome::with_bell(st, s, "agent").await,
        csrf: s.csrf_token.clone(),
        status_options,
        priority_options: opts(&priorities(), &c.priority),
        impact_options: opts(&LEVELS, &c.impact),
        urgency_options: opts(&LEVELS, &c.urgency),
        assignee_options,
        queue_options,
        priority_reason: c.priority_reason.clone(),
        comments,
        attachments,
        history: history_rows(history, &people, &queue_names),
        tasks,
        sla,
        notice: None,
        problem: None,
        errors: Vec::new(),
        reply: String::new(),
        reply_error: None,
        reply_private: false,
        assigned_to_me: t.assignee.as_ref().is_some_and(|a| a.id == actor.user_id),
        max_mb: st.config.file_max_mb,
        t,
    })
}

/// `GET /agent/tickets/{id}`.
pub async fn ticket(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
) -> Response {
    let (s, actor) = agent_or_return!(session);
    match ticket_page(&st, &s, &actor, &id, None).await {
        Ok(page) => render(StatusCode::OK, page),
        Err(e) => failure(Some(&s), e),
    }
}

/// The page again after a stale version: the current state and a message.
async fn changed_meanwhile(st: &AppState, s: &SessionInfo, actor: &Actor, id: &str) -> Response {
    match ticket_page(st, s, actor, id, None).await {
        Ok(mut page) => {
            page.notice =
                Some("The ticket changed meanwhile; here is the current state.".to_string());
            render(StatusCode::CONFLICT, page)
        }
        Err(e) => failure(Some(s), e),
    }
}

/// `POST /agent/tickets/{id}`: status, priority, impact, urgency, assignee, queue.
pub async fn update(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    form: Result<Form<Controls>, FormRejection>,
) -> Response {
    let (s, actor) = agent_or_return!(session);
    let f = match form {
        Ok(Form(f)) => f,
        Err(rej) => return rejected(Some(&s), ApiError::from(rej)),
    };
    if !same_secret(&f.csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    let t = match st.app.get_ticket(&actor, &id).await {
        Ok(t) => t,
        Err(e) => return failure(Some(&s), e),
    };
    let version = f.version.trim().parse::<i64>().unwrap_or(-1);
    if version != t.version {
        return changed_meanwhile(&st, &s, &actor, &id).await;
    }
    let mut errors = Vec::new();
    let changed = |new: &str, old: &str| {
        let new = new.trim();
        (!new.is_empty() && new != old).then(|| new.to_string())
    };
    let mut patch = TicketPatch {
        status: changed(&f.status, t.status.as_str()),
        impact: changed(&f.impact, t.impact.as_str()),
        urgency: changed(&f.urgency, t.urgency.as_str()),
        priority: changed(&f.priority, t.priority.as_str()),
        ..TicketPatch::default()
    };
    if patch.priority.is_some() {
        patch.priority_reason =
            Some(f.priority_reason.trim().to_string()).filter(|r| !r.is_empty());
    }
    match parse_choice(&f.assignee) {
        Ok(a) if a != t.assignee.as_ref().map(|x| x.id.0) => patch.assignee_id = Some(a),
        Ok(_) => {}
        Err(()) => errors.push(FieldError::new(
            "assigneeId",
            "unknown",
            "choose an agent from the list",
        )),
    }
    match parse_choice(&f.queue) {
        Ok(q) if q != t.queue.as_ref().map(|x| x.id) => patch.queue_id = Some(q),
        Ok(_) => {}
        Err(()) => errors.push(FieldError::new(
            "queueId",
            "unknown",
            "choose a queue from the list",
        )),
    }
    let result = if errors.is_empty() {
        if patch.is_empty() {
            return Redirect::to(&format!("/agent/tickets/{}", t.id)).into_response();
        }
        st.app.update_ticket(&actor, t.id, version, patch).await
    } else {
        Err(AppError::Validation(errors))
    };
    match result {
        Ok(_) => Redirect::to(&format!("/agent/tickets/{}", t.id)).into_response(),
        Err(e) if is_stale(&e) => changed_meanwhile(&st, &s, &actor, &id).await,
        Err(AppError::Validation(errs)) => match ticket_page(&st, &s, &actor, &id, Some(f)).await {
            Ok(mut page) => {
                page.errors = messages(&errs, control_of);
                render(StatusCode::UNPROCESSABLE_ENTITY, page)
            }
            Err(e) => failure(Some(&s), e),
        },
        Err(e) => failure(Some(&s), e),
    }
}

#[derive(Deserialize)]
pub struct VersionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
}

/// `POST /agent/tickets/{id}/assign`: assign the ticket to the caller.
pub async fn assign_me(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    form: Result<Form<VersionForm>, FormRejection>,
) -> Response {
    let (s, actor) = agent_or_return!(session);
    let f = match form {
        Ok(Form(f)) => f,
        Err(rej) => return rejected(Some(&s), ApiError::from(rej)),
    };
    if !same_secret(&f.csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    let t = match st.app.get_ticket(&actor, &id).await {
        Ok(t) => t,
        Err(e) => return failure(Some(&s), e),
    };
    let version = f.version.trim().parse::<i64>().unwrap_or(-1);
    let patch = TicketPatch {
        assignee_id: Some(Some(actor.user_id.0)),
        ..TicketPatch::default()
    };
    match st.app.update_ticket(&actor, t.id, version, patch).await {
        Ok(_) => Redirect::to(&format!("/agent/tickets/{}", t.id)).into_response(),
        Err(e) if is_stale(&e) => changed_meanwhile(&st, &s, &actor, &id).await,
        Err(e @ AppError::Validation(_)) => match ticket_page(&st, &s, &actor, &id, None).await {
            Ok(mut page) => {
                page.problem = Some(describe(&e));
                render(StatusCode::UNPROCESSABLE_ENTITY, page)
            }
            Err(e) => failure(Some(&s), e),
        },
        Err(e) => failure(Some(&s), e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommentQuery {
    visibility: String,
}

/// The first step of a comment: checks, then saves the reply or note (if any).
async fn begin_comment(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    id: &str,
    query_visibility: String,
    texts: HashMap<String, String>,
    file: Option<String>,
) -> Result<Begun, Box<Response>> {
    if !same_secret(
        texts.get("csrf").map(String::as_str).unwrap_or_default(),
        &s.csrf_token,
    ) {
        return Err(Box::new(csrf_failed(s)));
    }
    let visibility = Some(query_visibility)
        .filter(|v| !v.trim().is_empty())
        .or_else(|| texts.get("visibility").cloned())
        .unwrap_or_default();
    let private = visibility.trim() == "private";
    let body = texts.get("body").cloned().unwrap_or_default();
    let again = |status: StatusCode, message: String| async move {
        match ticket_page(st, s, actor, id, None).await {
            Ok(mut page) => {
                page.reply = texts.get("body").cloned().unwrap_or_default();
                page.reply_private = private;
                page.reply_error = Some(message);
                Box::new(render(status, page))
            }
            Err(e) => Box::new(failure(Some(s), e)),
        }
    };
    save_comment(
        st,
        s,
        actor,
        id,
        &body,
        private,
        file.as_deref(),
        "Write a reply or a note, or choose a file.",
        again,
    )
    .await
}

/// `POST /agent/tickets/{id}/comment` (multipart): a public reply or an internal note,
/// with optional files (private with a note). The "Add internal note" button also puts
/// `visibility=private` in the address, because a chosen file is sent before the button.
pub async fn comment(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    q: Result<Query<CommentQuery>, QueryRejection>,
    req: Request,
) -> Response {
    let (s, actor) = agent_or_return!(session);
    let mut mp = match multipart(&st, req).await {
        Ok(m) => m,
        Err(e) => {
            return rejected(
                Some(&s),
                ApiError::new(ErrorCode::UnsupportedMediaType).detail(e.body_text()),
            );
        }
    };
    let visibility = q.map(|Query(q)| q.visibility).unwrap_or_default();
    let max = file_max_bytes(&st);
    let outcome = drive(&mut mp, &st.app, &actor, max, |texts, file| {
        begin_comment(&st, &s, &actor, &id, visibility, texts, file)
    })
    .await;
    match outcome {
        Err(Stop::Answered(r)) => *r,
        Err(Stop::Unreadable(e)) => failure(Some(&s), e),
        Ok(Outcome {
            begun,
            problem: None,
        }) => Redirect::to(&format!("/agent/tickets/{}", begun.ticket)).into_response(),
        Ok(Outcome {
            begun,
            problem: Some(e),
        }) => match ticket_page(&st, &s, &actor, &begun.ticket.to_string(), None).await {
            Ok(mut page) => {
                page.problem = Some(format!("The attachment was refused. {}", describe(&e)));
                render(status_of(&e), page)
            }
            Err(e) => failure(Some(&s), e),
        },
    }
}
