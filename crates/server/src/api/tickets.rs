//! Tickets, comments, attachments and queues over JSON.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use futures::SinkExt;
use futures::channel::{mpsc, oneshot};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use catalyst_app::attachments::AttachmentView;
use catalyst_app::queues::{QueuePatch, QueueView};
use catalyst_app::tickets::{
    BulkFailure, CommentView, HistoryEntry, Idempotency, ListQuery, NewTicket, TicketPatch,
    TicketView, UserRef,
};
use catalyst_domain::FieldError;
use catalyst_store::repo::tickets::{Filter, Sort};

use super::patterns;
use super::problems::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed,
    PreconditionRequired, Unauthenticated, UnsupportedMediaType, ValidationFailed,
};
use crate::http::AppState;
use crate::http::auth::ApiActor;
use crate::http::error::{ApiError, ErrorCode, Problem};
use crate::http::form_data::FormData;

/// How long signed download links live.
pub const DOWNLOAD_TTL: Duration = Duration::from_secs(300);

// ---------- documentation-only schemas ----------
//
// Inputs take these values as strings and the app checks them (answering with field
// errors); these types only list the values in the OpenAPI document.

/// Kind of ticket.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Incident,
    ServiceRequest,
    Task,
}

/// Where a ticket is in its life.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Open,
    InProgress,
    WaitingOnUser,
    Resolved,
    Closed,
    Cancelled,
}

/// ITIL impact or urgency.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    High,
    Medium,
    Low,
}

/// ITIL priority, P1 (critical) to P4 (low).
#[derive(Serialize, ToSchema)]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

/// Order of a ticket list.
#[derive(Serialize, ToSchema)]
pub enum TicketSort {
    #[serde(rename = "-updated")]
    UpdatedDesc,
    #[serde(rename = "updated")]
    UpdatedAsc,
    #[serde(rename = "-created")]
    CreatedDesc,
    #[serde(rename = "created")]
    CreatedAsc,
    #[serde(rename = "priority")]
    Priority,
    /// Soonest SLA deadline first; tickets without a running clock last.
    #[serde(rename = "due")]
    Due,
}

/// Where a ticket's SLA clock stands.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaSummary {
    Running,
    DueSoon,
    Breached,
    Paused,
    Met,
}

// ---------- wire types ----------

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    id: String,
    name: String,
    email: String,
}

impl From<UserRef> for Person {
    fn from(u: UserRef) -> Self {
        Person {
            id: u.id.to_string(),
            name: u.name,
            email: u.email,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueSummary {
    id: Uuid,
    name: String,
}

/// A ticket.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    id: Uuid,
    /// Human number, e.g. `INC-000042`.
    #[schema(example = "INC-000042")]
    number: String,
    #[schema(value_type = Kind)]
    kind: String,
    subject: String,
    /// Markdown.
    description: String,
    /// Sanitised HTML rendering of the description.
    description_html: String,
    #[schema(value_type = Status)]
    status: String,
    #[schema(value_type = Level)]
    impact: String,
    #[schema(value_type = Level)]
    urgency: String,
    #[schema(value_type = Priority)]
    priority: String,
    priority_reason: Option<String>,
    queue: Option<QueueSummary>,
    requester: Person,
    assignee: Option<Person>,
    parent_id: Option<Uuid>,
    /// Changes on every update; also the ETag.
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    first_response_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    /// SLA summary for agents (none for requesters, or without a policy).
    #[schema(value_type = Option<SlaSummary>)]
    sla_state: Option<String>,
    /// The next SLA deadline of a running clock (agents).
    sla_next_due_at: Option<DateTime<Utc>>,
}

impl From<TicketView> for Ticket {
    fn from(t: TicketView) -> Self {
        Ticket {
            id: t.id,
            number: t.number,
            kind: t.kind.as_str().into(),
            subject: t.subject,
            description: t.description,
            description_html: t.description_html,
            status: t.status.as_str().into(),
            impact: t.impact.as_str().into(),
            urgency: t.urgency.as_str().into(),
            priority: t.priority.as_str().into(),
            priority_reason: t.priority_reason,
            queue: t.queue.map(|q| QueueSummary {
                id: q.id,
                name: q.name,
            }),
            requester: t.requester.into(),
            assignee: t.assignee.map(Into::into),
            parent_id: t.parent_id,
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
            first_response_at: t.first_response_at,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
            sla_state: t.sla_state,
            sla_next_due_at: t.sla_next_due_at,
        }
    }
}

/// A ticket in a list: everything but the description (fetch the ticket for that).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketSummary {
    id: Uuid,
    #[schema(example = "INC-000042")]
    number: String,
    #[schema(value_type = Kind)]
    kind: String,
    subject: String,
    #[schema(value_type = Status)]
    status: String,
    #[schema(value_type = Level)]
    impact: String,
    #[schema(value_type = Level)]
    urgency: String,
    #[schema(value_type = Priority)]
    priority: String,
    queue: Option<QueueSummary>,
    requester: Person,
    assignee: Option<Person>,
    parent_id: Option<Uuid>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    first_response_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    /// SLA summary for agents (none for requesters, or without a policy).
    #[schema(value_type = Option<SlaSummary>)]
    sla_state: Option<String>,
    /// The next SLA deadline of a running clock (agents).
    sla_next_due_at: Option<DateTime<Utc>>,
}

impl From<TicketView> for TicketSummary {
    fn from(t: TicketView) -> Self {
        TicketSummary {
            id: t.id,
            number: t.number,
            kind: t.kind.as_str().into(),
            subject: t.subject,
            status: t.status.as_str().into(),
            impact: t.impact.as_str().into(),
            urgency: t.urgency.as_str().into(),
            priority: t.priority.as_str().into(),
            queue: t.queue.map(|q| QueueSummary {
                id: q.id,
                name: q.name,
            }),
            requester: t.requester.into(),
            assignee: t.assignee.map(Into::into),
            parent_id: t.parent_id,
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
            first_response_at: t.first_response_at,
            resolved_at: t.resolved_at,
            sla_state: t.sla_state,
            sla_next_due_at: t.sla_next_due_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketList {
    items: Vec<TicketSummary>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Comment {
    id: Uuid,
    author: Person,
    is_private: bool,
    body: String,
    body_html: String,
    created_at: DateTime<Utc>,
}

impl From<CommentView> for Comment {
    fn from(c: CommentView) -> Self {
        Comment {
            id: c.id,
            author: c.author.into(),
            is_private: c.is_private,
            body: c.body,
            body_html: c.body_html,
            created_at: c.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    id: Uuid,
    ticket_id: Uuid,
    filename: String,
    content_type: String,
    size: i64,
    sha256: String,
    is_private: bool,
    created_at: DateTime<Utc>,
    /// Redirects to a short-lived signed download URL.
    download_url: String,
}

impl From<AttachmentView> for Attachment {
    fn from(a: AttachmentView) -> Self {
        Attachment {
            download_url: format!("/v1/attachments/{}", a.id),
            id: a.id,
            ticket_id: a.ticket_id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            is_private: a.is_private,
            created_at: a.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryItem {
    at: DateTime<Utc>,
    actor: String,
    field: String,
    old_value: Option<String>,
    new_value: Option<String>,
    reason: Option<String>,
}

impl From<HistoryEntry> for HistoryItem {
    fn from(h: HistoryEntry) -> Self {
        HistoryItem {
            at: h.at,
            actor: h.actor,
            field: h.field,
            old_value: h.old_value,
            new_value: h.new_value,
            reason: h.reason,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Queue {
    id: Uuid,
    name: String,
    description: String,
    archived: bool,
    /// Unresolved tickets in the queue.
    open_count: i64,
}

impl From<QueueView> for Queue {
    fn from(q: QueueView) -> Self {
        Queue {
            id: q.id,
            name: q.name,
            description: q.description,
            archived: q.archived,
            open_count: q.open_count,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueList {
    items: Vec<Queue>,
    /// Unresolved tickets in no queue.
    unqueued_open_count: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortalTicketInput {
    #[schema(schema_with = patterns::subject, example = "VPN down")]
    subject: String,
    #[serde(default)]
    #[schema(
        schema_with = patterns::description,
        example = "Cannot connect since this morning"
    )]
    description: String,
    /// Default medium.
    #[schema(value_type = Option<Level>)]
    impact: Option<String>,
    /// Default medium.
    #[schema(value_type = Option<Level>)]
    urgency: Option<String>,
    /// P1–P4 (any case). Given alone it sets the matching impact and urgency.
    #[schema(pattern = r"^[Pp][1-4]$")]
    priority: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TicketInput {
    /// Default incident.
    #[schema(value_type = Option<Kind>)]
    kind: Option<String>,
    #[schema(schema_with = patterns::subject)]
    subject: String,
    #[serde(default)]
    #[schema(schema_with = patterns::description)]
    description: String,
    #[schema(value_type = Option<Level>)]
    impact: Option<String>,
    #[schema(value_type = Option<Level>)]
    urgency: Option<String>,
    /// P1–P4 (any case).
    #[schema(pattern = r"^[Pp][1-4]$")]
    priority: Option<String>,
    /// Required when the priority differs from the impact × urgency matrix.
    priority_reason: Option<String>,
    queue_id: Option<Uuid>,
    requester_id: Option<Uuid>,
    parent_id: Option<Uuid>,
}

/// `null` clears a field; leaving it out keeps it.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TicketChanges {
    #[schema(schema_with = patterns::subject_or_null)]
    subject: Option<String>,
    #[schema(value_type = Option<Status>)]
    status: Option<String>,
    #[schema(value_type = Option<Level>)]
    impact: Option<String>,
    #[schema(value_type = Option<Level>)]
    urgency: Option<String>,
    /// P1–P4 (any case).
    #[schema(pattern = r"^[Pp][1-4]$")]
    priority: Option<String>,
    /// Required when the priority differs from the impact × urgency matrix.
    priority_reason: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    assignee_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    queue_id: Option<Option<Uuid>>,
}

fn double_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Uuid>>, D::Error> {
    Option::<Uuid>::deserialize(d).map(Some)
}

impl From<TicketChanges> for TicketPatch {
    fn from(c: TicketChanges) -> Self {
        TicketPatch {
            subject: c.subject,
            status: c.status,
            impact: c.impact,
            urgency: c.urgency,
            priority: c.priority,
            priority_reason: c.priority_reason,
            assignee_id: c.assignee_id,
            queue_id: c.queue_id,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommentInput {
    #[schema(schema_with = patterns::comment_body)]
    body: String,
    /// An internal note (agents only), never shown to requesters.
    #[serde(default)]
    is_private: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkInput {
    #[schema(min_items = 1, max_items = 500)]
    ids: Vec<Uuid>,
    changes: TicketChanges,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkTicketError {
    id: Uuid,
    errors: Vec<crate::http::error::ProblemField>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkResult {
    /// The changed tickets (all of them, or none when `failures` is not empty).
    items: Vec<Ticket>,
    failures: Vec<BulkTicketError>,
}

/// A file part: bytes of any kind, so no JSON type.
fn file_part() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
        .content_media_type("application/octet-stream")
        .description(Some("The file."))
        .build()
}

/// The form of an upload: the optional `isPrivate`, then `file`, last. No other fields.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UploadForm {
    #[schema(schema_with = file_part)]
    pub file: Vec<u8>,
    /// An internal attachment (agents only).
    #[schema(nullable = false)]
    pub is_private: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueInput {
    #[schema(schema_with = patterns::queue_name)]
    name: String,
    #[serde(default)]
    #[schema(schema_with = patterns::queue_description)]
    description: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueChanges {
    #[schema(schema_with = patterns::queue_name_or_null)]
    name: Option<String>,
    #[schema(schema_with = patterns::queue_description_or_null)]
    description: Option<String>,
    archived: Option<bool>,
}

/// Filters of ticket lists. Lists take comma-separated values.
#[derive(Deserialize, IntoParams, Default)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// Only tickets I requested.
    mine: Option<bool>,
    #[param(schema_with = patterns::status_filter)]
    status: Option<String>,
    #[param(schema_with = patterns::kind_filter)]
    kind: Option<String>,
    #[param(schema_with = patterns::priority_filter)]
    priority: Option<String>,
    #[param(schema_with = patterns::queue_filter)]
    queue: Option<String>,
    #[param(schema_with = patterns::assignee_filter)]
    assignee: Option<String>,
    /// A requester's user id.
    requester: Option<Uuid>,
    #[param(schema_with = patterns::sla_filter)]
    sla: Option<String>,
    created_from: Option<DateTime<Utc>>,
    created_to: Option<DateTime<Utc>>,
    updated_from: Option<DateTime<Utc>>,
    updated_to: Option<DateTime<Utc>>,
    /// Text in the subject or number.
    q: Option<String>,
    /// Default `-updated`.
    #[param(value_type = Option<TicketSort>, inline)]
    sort: Option<String>,
    /// `nextCursor` of the previous page.
    cursor: Option<String>,
    /// Default 25.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
}

// ---------- helpers ----------

/// A JSON body and the hash of the raw request (for `Idempotency-Key`).
pub struct HashedJson<T> {
    pub value: T,
    pub hash: String,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for HashedJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"));
        if !json {
            return Err(ApiError::new(ErrorCode::UnsupportedMediaType)
                .detail("send Content-Type: application/json"));
        }
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::PayloadTooLarge)
            } else {
                ApiError::new(ErrorCode::BadRequest).detail(e.body_text())
            }
        })?;
        let mut h = Sha256::new();
        h.update(method.as_str().as_bytes());
        h.update(b" ");
        h.update(path.as_bytes());
        h.update(b"\n");
        h.update(&bytes);
        let value = serde_json::from_slice::<T>(&bytes).map_err(|e| {
            use serde_json::error::Category;
            let code = match e.classify() {
                Category::Data => ErrorCode::ValidationFailed,
                _ => ErrorCode::BadRequest,
            };
            ApiError::new(code).detail(e.to_string())
        })?;
        Ok(HashedJson {
            value,
            hash: hex::encode(h.finalize()),
        })
    }
}

/// The `Idempotency-Key` header, if sent: 1–200 visible ASCII characters.
fn idempotency(headers: &HeaderMap, hash: &str) -> Result<Option<Idempotency>, ApiError> {
    let Some(v) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = v.to_str().unwrap_or_default().trim();
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError {
            errors: vec![FieldError::new(
                "Idempotency-Key",
                "format",
                "must be 1 to 200 visible ASCII characters",
            )],
            ..ApiError::new(ErrorCode::ValidationFailed)
        });
    }
    Ok(Some(Idempotency {
        key: key.to_string(),
        request_hash: hash.to_string(),
    }))
}

pub(crate) fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

fn with_etag(status: StatusCode, t: TicketView) -> Response {
    let tag = etag(t.version);
    let mut res = (status, Json(Ticket::from(t))).into_response();
    res.headers_mut().insert(header::ETAG, tag);
    res
}

fn split(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn validate_each<T: std::str::FromStr<Err = FieldError>>(
    values: &[String],
    field: &'static str,
    errors: &mut Vec<FieldError>,
) {
    for v in values {
        if let Err(e) = v.parse::<T>() {
            errors.push(FieldError { field, ..e });
        }
    }
}

fn list_query(q: TicketQuery, actor: &catalyst_app::Actor) -> Result<ListQuery, ApiError> {
    let mut errors = Vec::new();
    let mut statuses = split(&q.status);
    if let Some(i) = statuses.iter().position(|s| s == "active") {
        statuses.remove(i);
        statuses.extend(["new", "open", "in_progress", "waiting_on_user"].map(String::from));
    }
    validate_each::<catalyst_domain::Status>(&statuses, "status", &mut errors);
    let kinds = split(&q.kind);
    validate_each::<catalyst_domain::TicketKind>(&kinds, "kind", &mut errors);
    let priorities: Vec<String> = split(&q.priority)
        .into_iter()
        .map(|p| p.to_uppercase())
        .collect();
    validate_each::<catalyst_domain::Priority>(&priorities, "priority", &mut errors);
    let opt_uuid = |v: Option<&str>,
                    field: &'static str,
                    errors: &mut Vec<FieldError>|
     -> Option<Option<Uuid>> {
        match v.map(str::trim) {
            None | Some("") => None,
            Some("none") => Some(None),
            Some("me") if field == "assignee" => Some(Some(actor.user_id.0)),
            Some(s) => match s.parse() {
                Ok(u) => Some(Some(u)),
                Err(_) => {
                    errors.push(FieldError::new(field, "format", "must be an id or none"));
                    None
                }
            },
        }
    };
    let sla_states = split(&q.sla);
    for v in &sla_states {
        if !["running", "due_soon", "breached", "paused", "met"].contains(&v.as_str()) {
            errors.push(FieldError::new(
                "sla",
                "unknown",
                "SLA states are running, due_soon, breached, paused, met",
            ));
        }
    }
    let queue = opt_uuid(q.queue.as_deref(), "queue", &mut errors);
    let assignee = opt_uuid(q.assignee.as_deref(), "assignee", &mut errors);
    let sort = match q.sort.as_deref().unwrap_or("-updated") {
        "-updated" => Sort::UpdatedDesc,
        "updated" => Sort::UpdatedAsc,
        "-created" => Sort::CreatedDesc,
        "created" => Sort::CreatedAsc,
        "priority" => Sort::Priority,
        "due" => Sort::SlaDue,
        _ => {
            errors.push(FieldError::new(
                "sort",
                "unknown",
                "must be -updated, updated, -created, created, priority or due",
            ));
            Sort::UpdatedDesc
        }
    };
    if !errors.is_empty() {
        return Err(ApiError {
            errors,
            ..ApiError::new(ErrorCode::ValidationFailed)
        });
    }
    let requester = if q.mine.unwrap_or(false) {
        Some(actor.user_id.0)
    } else {
        q.requester
    };
    Ok(ListQuery {
        filter: Filter {
            kinds,
            statuses,
            priorities,
            queue,
            assignee,
            requester,
            created_from: q.created_from,
            created_to: q.created_to,
            updated_from: q.updated_from,
            updated_to: q.updated_to,
            text: q.q,
            sla_states,
        },
        sort,
        cursor: q.cursor,
        limit: q.limit.unwrap_or(25),
    })
}

pub(crate) fn bad_query(e: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::new(ErrorCode::ValidationFailed).detail(e.body_text())
}

pub(crate) fn parse_id(s: &str, what: &'static str) -> Result<Uuid, ApiError> {
    s.parse()
        .map_err(|_| ApiError::new(ErrorCode::NotFound).detail(format!("{what} not found")))
}

// ---------- handlers ----------

async fn portal_create(
    state: &AppState,
    actor: &catalyst_app::Actor,
    headers: &HeaderMap,
    body: HashedJson<PortalTicketInput>,
    kind: &str,
) -> Result<Response, ApiError> {
    let idem = idempotency(headers, &body.hash)?;
    let i = body.value;
    let (t, _replayed) = state
        .app
        .create_ticket(
            actor,
            NewTicket {
                kind: Some(kind.into()),
                subject: i.subject,
                description: i.description,
                impact: i.impact,
                urgency: i.urgency,
                priority: i.priority,
                ..NewTicket::default()
            },
            idem,
        )
        .await?;
    Ok(with_etag(StatusCode::CREATED, t))
}

/// Report an incident (as the caller).
#[utoipa::path(post, path = "/v1/portal/incidents", tag = "portal", security(("bearer" = [])),
    request_body = PortalTicketInput,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, pattern = "^[!-~]{1,200}$", description = "Retry-safe key: 1–200 visible ASCII characters")),
    responses((status = 201, body = Ticket, headers(("ETag" = String, description = "The ticket's version, for `If-Match`"))), BadRequest, Unauthenticated, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn portal_incident(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    headers: HeaderMap,
    body: HashedJson<PortalTicketInput>,
) -> Result<Response, ApiError> {
    portal_create(&s, &a, &headers, body, "incident").await
}

/// Ask for something (a generic service request, as the caller).
#[utoipa::path(post, path = "/v1/portal/requests", tag = "portal", security(("bearer" = [])),
    request_body = PortalTicketInput,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, pattern = "^[!-~]{1,200}$", description = "Retry-safe key: 1–200 visible ASCII characters")),
    responses((status = 201, body = Ticket, headers(("ETag" = String, description = "The ticket's version, for `If-Match`"))), BadRequest, Unauthenticated, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn portal_request(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    headers: HeaderMap,
    body: HashedJson<PortalTicketInput>,
) -> Result<Response, ApiError> {
    portal_create(&s, &a, &headers, body, "service_request").await
}

/// The caller's tickets (requesters always get only their own).
#[utoipa::path(get, path = "/v1/portal/tickets", tag = "portal", security(("bearer" = [])), params(TicketQuery),
    responses((status = 200, body = TicketList), Unauthenticated, ValidationFailed))]
pub async fn portal_tickets(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    q: Result<Query<TicketQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<TicketList>, ApiError> {
    let Query(mut q) = q.map_err(bad_query)?;
    q.mine = Some(true);
    list(&s, &a, q).await
}

async fn list(
    s: &AppState,
    a: &catalyst_app::Actor,
    q: TicketQuery,
) -> Result<Json<TicketList>, ApiError> {
    let page = s.app.list_tickets(a, list_query(q, a)?).await?;
    Ok(Json(TicketList {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Tickets with filters, sort and cursor pagination (requesters: their own only).
#[utoipa::path(get, path = "/v1/tickets", tag = "tickets", security(("bearer" = [])), params(TicketQuery),
    responses((status = 200, body = TicketList), Unauthenticated, ValidationFailed))]
pub async fn list_tickets(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    q: Result<Query<TicketQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<TicketList>, ApiError> {
    let Query(q) = q.map_err(bad_query)?;
    list(&s, &a, q).await
}

/// Open a ticket of any kind (agents may set queue, requester, priority override, parent).
#[utoipa::path(post, path = "/v1/tickets", tag = "tickets", security(("bearer" = [])), request_body = TicketInput,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, pattern = "^[!-~]{1,200}$", description = "Retry-safe key: 1–200 visible ASCII characters")),
    responses((status = 201, body = Ticket, headers(("ETag" = String, description = "The ticket's version, for `If-Match`"))), BadRequest, Unauthenticated, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn create_ticket(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    headers: HeaderMap,
    body: HashedJson<TicketInput>,
) -> Result<Response, ApiError> {
    let idem = idempotency(&headers, &body.hash)?;
    let i = body.value;
    let (t, _replayed) = s
        .app
        .create_ticket(
            &a,
            NewTicket {
                kind: i.kind,
                subject: i.subject,
                description: i.description,
                impact: i.impact,
                urgency: i.urgency,
                priority: i.priority,
                priority_reason: i.priority_reason,
                queue_id: i.queue_id,
                requester_id: i.requester_id,
                parent_id: i.parent_id,
            },
            idem,
        )
        .await?;
    Ok(with_etag(StatusCode::CREATED, t))
}

/// One ticket, by id or number (`INC-000042`). Sends an `ETag`; `If-None-Match` gives 304.
#[utoipa::path(get, path = "/v1/tickets/{id}", tag = "tickets", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Ticket id or number, e.g. `INC-000042`"),
        ("If-None-Match" = Option<String>, Header, nullable = false, description = "An ETag from an earlier GET")
    ),
    responses(
        (status = 200, body = Ticket, headers(("ETag" = String, description = "The ticket's version, for `If-Match`"))),
        (status = 304, description = "Not modified", headers(("ETag" = String, description = "The ticket's version, for `If-Match`"))),
        Unauthenticated, NotFound
    ))]
pub async fn get_ticket(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let t = s.app.get_ticket(&a, &id).await?;
    let tag = etag(t.version);
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == tag) {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        res.headers_mut().insert(header::ETAG, tag);
        return Ok(res);
    }
    Ok(with_etag(StatusCode::OK, t))
}

pub(crate) fn if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    let v = headers.get(header::IF_MATCH).ok_or_else(|| {
        ApiError::new(ErrorCode::PreconditionRequired)
            .detail("send If-Match with the ticket's ETag")
    })?;
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| {
            ApiError::new(ErrorCode::PreconditionFailed)
                .detail("If-Match does not match the ticket's ETag")
        })
}

/// Change a ticket. Needs `If-Match` with its ETag: 428 without, 412 when it changed meanwhile.
#[utoipa::path(patch, path = "/v1/tickets/{id}", tag = "tickets", security(("bearer" = [])), request_body = TicketChanges,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag from GET")),
    responses(
        (status = 200, body = Ticket, headers(("ETag" = String, description = "The ticket's version, for `If-Match`"))),
        BadRequest, Unauthenticated, Forbidden, NotFound, PreconditionFailed, PayloadTooLarge,
        UnsupportedMediaType, ValidationFailed, PreconditionRequired
    ))]
pub async fn update_ticket(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: HashedJson<TicketChanges>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "ticket")?;
    let version = if_match(&headers)?;
    let t = s
        .app
        .update_ticket(&a, id, version, body.value.into())
        .await
        .map_err(stale_to_412)?;
    Ok(with_etag(StatusCode::OK, t))
}

pub(crate) fn stale_to_412(e: catalyst_app::AppError) -> ApiError {
    match e {
        catalyst_app::AppError::Conflict(f) if f.code == "stale" => {
            ApiError::new(ErrorCode::PreconditionFailed).detail(f.message)
        }
        other => other.into(),
    }
}

/// Change many tickets at once, all or nothing; failures are listed per ticket.
#[utoipa::path(post, path = "/v1/tickets/bulk", tag = "tickets", security(("bearer" = [])), request_body = BulkInput,
    responses(
        (status = 200, body = BulkResult),
        BadRequest, Unauthenticated, Forbidden, PayloadTooLarge, UnsupportedMediaType,
        (status = 422, description = "Per ticket failures (nothing changed), or invalid input", content(
            (BulkResult = "application/json"),
            (Problem = "application/problem+json")
        ))
    ))]
pub async fn bulk(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: HashedJson<BulkInput>,
) -> Result<Response, ApiError> {
    let b = body.value;
    match s.app.bulk_update(&a, &b.ids, b.changes.into()).await? {
        Ok(items) => Ok(Json(BulkResult {
            items: items.into_iter().map(Into::into).collect(),
            failures: vec![],
        })
        .into_response()),
        Err(failures) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(BulkResult {
                items: vec![],
                failures: failures
                    .into_iter()
                    .map(|BulkFailure { id, errors }| BulkTicketError {
                        id,
                        errors: errors
                            .into_iter()
                            .map(|e| crate::http::error::ProblemField {
                                field: e.field.into(),
                                code: e.code.into(),
                                message: e.message,
                            })
                            .collect(),
                    })
                    .collect(),
            }),
        )
            .into_response()),
    }
}

/// Reply publicly, or (agents) add an internal note.
#[utoipa::path(post, path = "/v1/tickets/{id}/comments", tag = "tickets", security(("bearer" = [])), request_body = CommentInput,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, nullable = false, pattern = "^[!-~]{1,200}$", description = "Retry-safe key: 1–200 visible ASCII characters")),
    responses((status = 201, body = Comment), BadRequest, Unauthenticated, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed, NotFound))]
pub async fn add_comment(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: HashedJson<CommentInput>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "ticket")?;
    let idem = idempotency(&headers, &body.hash)?;
    let (c, _replayed) = s
        .app
        .add_comment(&a, id, &body.value.body, body.value.is_private, idem)
        .await?;
    Ok((StatusCode::CREATED, Json(Comment::from(c))).into_response())
}

/// The conversation (requesters never get internal notes).
#[utoipa::path(get, path = "/v1/tickets/{id}/comments", tag = "tickets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Comment>), Unauthenticated, NotFound))]
pub async fn list_comments(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<Comment>>, ApiError> {
    let id = parse_id(&id, "ticket")?;
    Ok(Json(
        s.app
            .list_comments(&a, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Field-by-field history.
#[utoipa::path(get, path = "/v1/tickets/{id}/history", tag = "tickets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<HistoryItem>), Unauthenticated, NotFound))]
pub async fn history(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<HistoryItem>>, ApiError> {
    let id = parse_id(&id, "ticket")?;
    Ok(Json(
        s.app
            .ticket_history(&a, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Upload a file: multipart field `file`, last, after the optional `isPrivate=true` (agents).
/// Larger than `FILE_MAX_MB` → 413; executables and scripts → 415; other fields → 422.
#[utoipa::path(post, path = "/v1/tickets/{id}/attachments", tag = "tickets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = Attachment),
        BadRequest, Unauthenticated, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType,
        ValidationFailed
    ))]
pub async fn upload(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    multipart: Result<FormData, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "ticket")?;
    let FormData(multipart) = multipart
        .map_err(|e| ApiError::new(ErrorCode::UnsupportedMediaType).detail(e.body_text()))?;
    let max = s.config.file_max_mb * 1024 * 1024;
    // The file streams into storage while the form is read. Its stream only ends once
    // the rest of the form checked out, so a bad form stores nothing.
    let (meta_tx, meta_rx) = oneshot::channel::<(String, bool)>();
    let (bytes_tx, bytes_rx) = mpsc::channel::<std::io::Result<Bytes>>(1);
    let store = async {
        let (filename, is_private) = meta_rx.await.ok()?;
        Some(
            s.app
                .add_attachment(&a, id, &filename, is_private, bytes_rx, max)
                .await,
        )
    };
    let (form, stored) = tokio::join!(read_upload_form(multipart, meta_tx, bytes_tx), store);
    form?;
    match stored {
        Some(att) => Ok((StatusCode::CREATED, Json(Attachment::from(att?))).into_response()),
        None => Err(ApiError {
            errors: vec![FieldError::new(
                "file",
                "required",
                "send the file in a multipart field named file",
            )],
            ..ApiError::new(ErrorCode::ValidationFailed)
        }),
    }
}

/// Reads an upload form: the optional `isPrivate`, then `file`, which must come last.
/// Sends the file's name and privacy to `meta`, then its content to `bytes`. A form error
/// is also sent down `bytes` (when the file has started), so that it is not stored.
async fn read_upload_form(
    mut multipart: Multipart,
    meta: oneshot::Sender<(String, bool)>,
    mut bytes: mpsc::Sender<std::io::Result<Bytes>>,
) -> Result<(), ApiError> {
    let invalid = |field: &'static str, code: &'static str, message: &str| ApiError {
        errors: vec![FieldError::new(field, code, message)],
        ..ApiError::new(ErrorCode::ValidationFailed)
    };
    let mut is_private = false;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name() {
            Some("isPrivate") => {
                is_private = match field.text().await.map_err(multipart_error)?.trim() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(invalid("isPrivate", "format", "must be true or false")),
                };
            }
            Some("file") => {
                let filename = field.file_name().unwrap_or("file").to_string();
                if meta.send((filename, is_private)).is_err() {
                    return Ok(());
                }
                let error = loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if bytes.send(Ok(chunk)).await.is_err() {
                                // Storing failed already; that error is the answer.
                                return Ok(());
                            }
                        }
                        Ok(None) => {
                            drop(field);
                            break match multipart.next_field().await {
                                Ok(None) => return Ok(()),
                                Ok(Some(_)) => invalid(
                                    "file",
                                    "not_last",
                                    "send the file last, after isPrivate",
                                ),
                                Err(e) => multipart_error(e),
                            };
                        }
                        Err(e) => break multipart_error(e),
                    }
                };
                let _ = bytes
                    .send(Err(std::io::Error::other("the upload form is invalid")))
                    .await;
                return Err(error);
            }
            Some(other) => {
                let message = format!("unknown field {other:?}: send isPrivate and file");
                return Err(invalid("form", "unknown", &message));
            }
            None => return Err(invalid("form", "unknown", "every field needs a name")),
        }
    }
    Ok(())
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge)
    } else {
        ApiError::new(ErrorCode::BadRequest).detail(e.body_text())
    }
}

/// Files on a ticket (requesters do not get private ones).
#[utoipa::path(get, path = "/v1/tickets/{id}/attachments", tag = "tickets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Attachment>), Unauthenticated, NotFound))]
pub async fn list_attachments(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Vec<Attachment>>, ApiError> {
    let id = parse_id(&id, "ticket")?;
    Ok(Json(
        s.app
            .list_attachments(&a, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Redirects (303) to a short-lived signed download URL.
#[utoipa::path(get, path = "/v1/attachments/{id}", tag = "tickets", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 303, description = "To the signed URL", headers(("Location" = String, description = "The signed URL"))),
        Unauthenticated, NotFound
    ))]
pub async fn download(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "attachment")?;
    let url = s
        .app
        .attachment_url(&a, id, &s.config.web_base_url, DOWNLOAD_TTL)
        .await?;
    let mut res = Redirect::to(&url).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// Queues with open-ticket counts (agents).
#[utoipa::path(get, path = "/v1/queues", tag = "queues", security(("bearer" = [])),
    responses((status = 200, body = QueueList), Unauthenticated, Forbidden))]
pub async fn list_queues(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<QueueList>, ApiError> {
    let (items, unqueued) = s.app.list_queues(&a).await?;
    Ok(Json(QueueList {
        items: items.into_iter().map(Into::into).collect(),
        unqueued_open_count: unqueued,
    }))
}

/// Create a queue (admins).
#[utoipa::path(post, path = "/v1/queues", tag = "queues", security(("bearer" = [])), request_body = QueueInput,
    responses((status = 201, body = Queue), BadRequest, Unauthenticated, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn create_queue(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: HashedJson<QueueInput>,
) -> Result<Response, ApiError> {
    let q = s
        .app
        .create_queue(&a, &body.value.name, &body.value.description)
        .await?;
    Ok((StatusCode::CREATED, Json(Queue::from(q))).into_response())
}

/// Rename, describe or archive a queue (admins).
#[utoipa::path(patch, path = "/v1/queues/{id}", tag = "queues", security(("bearer" = [])), request_body = QueueChanges, params(("id" = Uuid, Path)),
    responses((status = 200, body = Queue), BadRequest, Unauthenticated, Forbidden, Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed, NotFound))]
pub async fn update_queue(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    body: HashedJson<QueueChanges>,
) -> Result<Json<Queue>, ApiError> {
    let id = parse_id(&id, "queue")?;
    let c = body.value;
    let q = s
        .app
        .update_queue(
            &a,
            id,
            QueuePatch {
                name: c.name,
                description: c.description,
                archived: c.archived,
            },
        )
        .await?;
    Ok(Json(q.into()))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TicketSettingsBody {
    /// Resolved tickets close by themselves after this many days (1–365; default 7).
    #[serde(deserialize_with = "json_integer")]
    #[schema(minimum = 1, maximum = 365)]
    auto_close_days: i32,
}

/// An `i32`, also when written with a zero fraction (`7.0`): JSON counts that as an integer.
fn json_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    n.as_i64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 2f64.powi(53))
                .map(|f| f as i64)
        })
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a 32-bit integer")))
}

/// Ticket workflow settings of the tenant (agents read, admins change).
#[utoipa::path(get, path = "/v1/settings/tickets", tag = "queues", security(("bearer" = [])),
    responses((status = 200, body = TicketSettingsBody), Unauthenticated, Forbidden))]
pub async fn get_settings(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<TicketSettingsBody>, ApiError> {
    let t = s.app.ticket_settings(&a).await?;
    Ok(Json(TicketSettingsBody {
        auto_close_days: t.auto_close_days,
    }))
}

/// Change the ticket workflow settings (admins).
#[utoipa::path(put, path = "/v1/settings/tickets", tag = "queues", security(("bearer" = [])), request_body = TicketSettingsBody,
    responses(
        (status = 200, body = TicketSettingsBody),
        BadRequest, Unauthenticated, Forbidden, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
    ))]
pub async fn put_settings(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: HashedJson<TicketSettingsBody>,
) -> Result<Json<TicketSettingsBody>, ApiError> {
    let t = s
        .app
        .set_ticket_settings(&a, body.value.auto_close_days)
        .await?;
    Ok(Json(TicketSettingsBody {
        auto_close_days: t.auto_close_days,
    }))
}
