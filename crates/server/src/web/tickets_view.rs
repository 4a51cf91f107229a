//! Pieces shared by the portal and agent ticket pages: list filters from the query
//! string, multipart forms with files, field error messages and display helpers.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use futures::TryStreamExt;
use serde::Deserialize;
use uuid::Uuid;

use catalyst_app::attachments::AttachmentView;
use catalyst_app::auth::SessionInfo;
use catalyst_app::tickets::ListQuery;
use catalyst_app::{Actor, App, AppError};
use catalyst_domain::{FieldError, Priority, Status, TicketKind};
use catalyst_store::repo::tickets::{Filter, Sort};

use crate::http::AppState;
use crate::http::auth::WebSession;
use crate::http::form_data::FormData;

/// The signed-in session with an active workspace and its actor, or where to go instead.
pub fn who(session: Option<WebSession>) -> Result<(SessionInfo, Actor), Redirect> {
    let s = super::signed_in(session)?;
    let actor = s
        .actor(crate::http::current_request_id())
        .ok_or_else(|| Redirect::to("/tenants"))?;
    Ok((s, actor))
}

/// An option of a select.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Options from (value, label) pairs, with `current` selected.
pub fn opts(list: &[(&str, &str)], current: &str) -> Vec<Opt> {
    list.iter()
        .map(|(v, l)| Opt {
            value: (*v).to_string(),
            label: (*l).to_string(),
            selected: *v == current,
        })
        .collect()
}

/// Statuses offered in list filters: (value, label).
pub const STATUS_FILTERS: [(&str, &str); 9] = [
    ("", "All"),
    ("active", "Active (not yet resolved)"),
    ("new", "New"),
    ("open", "Open"),
    ("in_progress", "In progress"),
    ("waiting_on_user", "Waiting on user"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
    ("cancelled", "Cancelled"),
];

/// Sort orders offered in the agent list: (value, label).
pub const SORTS: [(&str, &str); 4] = [
    ("-updated", "Recently updated"),
    ("-created", "Newest first"),
    ("priority", "Highest priority"),
    ("due", "Next due"),
];

/// SLA states an agent may filter on: (value, label).
pub const SLA_FILTERS: [(&str, &str); 6] = [
    ("breached", "Breached"),
    ("due_soon", "Due soon"),
    ("running", "Running"),
    ("paused", "Paused"),
    ("met", "Met"),
    ("breached,due_soon", "Breached or due soon"),
];

/// The SLA states a ticket can be in.
const SLA_STATES: [&str; 5] = ["running", "due_soon", "breached", "paused", "met"];

/// Impact and urgency levels: (value, label).
pub const LEVELS: [(&str, &str); 3] = [("high", "High"), ("medium", "Medium"), ("low", "Low")];

/// Ticket kinds an agent may filter on: (value, label).
pub const KINDS: [(&str, &str); 3] = [
    ("incident", "Incident"),
    ("service_request", "Service request"),
    ("task", "Task"),
];

/// Priorities: (value, label).
pub fn priorities() -> Vec<(&'static str, &'static str)> {
    [Priority::P1, Priority::P2, Priority::P3, Priority::P4]
        .into_iter()
        .map(|p| (p.as_str(), p.label()))
        .collect()
}

/// Filters, sort and page of a ticket list, as sent by the GET filter forms. Unknown
/// parameters are ignored; empty ones mean "any".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    pub status: String,
    pub priority: String,
    pub kind: String,
    pub queue: String,
    pub assignee: String,
    pub q: String,
    /// SLA states, comma-separated (agents only).
    pub sla: String,
    pub sort: String,
    pub cursor: String,
    /// How many tickets a bulk change just updated (confirmation message).
    pub done: String,
}

/// The filter keys, in the order they appear in query strings.
const FILTER_KEYS: [&str; 8] = [
    "status", "priority", "kind", "queue", "assignee", "q", "sla", "sort",
];

fn split(v: &str) -> Vec<String> {
    v.split(',')
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

impl ListParams {
    /// Parses a query string (as stored in a saved filter or sent back by a form).
    pub fn from_query(query: &str) -> Self {
        let mut p = ListParams::default();
        for (k, v) in url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            let v = v.into_owned();
            match k.as_ref() {
                "status" => p.status = v,
                "priority" => p.priority = v,
                "kind" => p.kind = v,
                "queue" => p.queue = v,
                "assignee" => p.assignee = v,
                "q" => p.q = v,
                "sla" => p.sla = v,
                "sort" => p.sort = v,
                _ => {}
            }
        }
        p
    }

    fn get(&self, key: &str) -> &str {
        match key {
            "status" => &self.status,
            "priority" => &self.priority,
            "kind" => &self.kind,
            "queue" => &self.queue,
            "assignee" => &self.assignee,
            "q" => &self.q,
            "sla" => &self.sla,
            "sort" => &self.sort,
            _ => "",
        }
    }

    /// The filters and sort as a query string without `?` (no cursor): what a saved
    /// filter stores and what links back to this list carry.
    pub fn canonical(&self) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for k in FILTER_KEYS {
            let v = self.get(k).trim();
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }

    /// `path` with these filters and, when given, a cursor.
    pub fn link(&self, path: &str, cursor: Option<&str>) -> String {
        let mut q = self.canonical();
        if let Some(c) = cursor {
            let mut s = url::form_urlencoded::Serializer::new(q);
            s.append_pair("cursor", c);
            q = s.finish();
        }
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{q}")
        }
    }

    /// Whether any filter is set (sort aside).
    pub fn is_filtered(&self) -> bool {
        FILTER_KEYS
            .iter()
            .filter(|k| **k != "sort")
            .any(|k| !self.get(k).trim().is_empty())
    }

    /// The list query for the use case. `mine` limits the list to the actor's own
    /// tickets (the portal); the app enforces that for requesters anyway.
    pub fn to_list_query(&self, actor: &Actor, mine: bool) -> Result<ListQuery, AppError> {
        let mut errors = Vec::new();
        let mut statuses = split(&self.status);
        if let Some(i) = statuses.iter().position(|s| s == "active") {
            statuses.remove(i);
            statuses.extend(
                Status::ALL
                    .into_iter()
                    .filter(|s| s.is_active())
                    .map(|s| s.as_str().to_string()),
            );
        }
        validate_each::<Status>(&statuses, "status", &mut errors);
        let kinds = split(&self.kind);
        validate_each::<TicketKind>(&kinds, "kind", &mut errors);
        let priorities: Vec<String> = split(&self.priority)
            .into_iter()
            .map(|p| p.to_uppercase())
            .collect();
        validate_each::<Priority>(&priorities, "priority", &mut errors);
        let opt_uuid =
            |v: &str, field: &'static str, errors: &mut Vec<FieldError>| -> Option<Option<Uuid>> {
                match v.trim() {
                    "" | "any" => None,
                    "none" => Some(None),
                    "me" if field == "assignee" => Some(Some(actor.user_id.0)),
                    s => match s.parse() {
                        Ok(u) => Some(Some(u)),
                        Err(_) => {
                            errors.push(FieldError::new(field, "format", "is not a known choice"));
                            None
                        }
                    },
                }
            };
        let sla_states = if mine { Vec::new() } else { split(&self.sla) };
        if sla_states.iter().any(|s| !SLA_STATES.contains(&s.as_str())) {
            errors.push(FieldError::new(
                "sla",
                "unknown",
                "is not a known SLA state",
            ));
        }
        let queue = opt_uuid(&self.queue, "queue", &mut errors);
        let assignee = opt_uuid(&self.assignee, "assignee", &mut errors);
        let sort = match self.sort.trim() {
            "" => {
                if mine {
                    Sort::CreatedDesc
                } else {
                    Sort::UpdatedDesc
                }
            }
            "-updated" => Sort::UpdatedDesc,
            "updated" => Sort::UpdatedAsc,
            "-created" => Sort::CreatedDesc,
            "created" => Sort::CreatedAsc,
            "priority" => Sort::Priority,
            // SLA clocks are for agents; the portal never orders or filters by them.
            "due" if mine => Sort::CreatedDesc,
            "due" => Sort::SlaDue,
            _ => {
                errors.push(FieldError::new("sort", "unknown", "is not a known order"));
                Sort::UpdatedDesc
            }
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let text = Some(self.q.trim().to_string()).filter(|q| !q.is_empty());
        Ok(ListQuery {
            filter: Filter {
                kinds,
                statuses,
                priorities,
                queue,
                assignee,
                requester: mine.then_some(actor.user_id.0),
                text,
                sla_states,
                ..Filter::default()
            },
            sort,
            cursor: Some(self.cursor.trim().to_string()).filter(|c| !c.is_empty()),
            limit: 25,
        })
    }
}

/// One field's message, for an error summary and the field itself.
#[derive(Debug, Clone)]
pub struct FieldMessage {
    /// The id of the form control it belongs to (the summary links to it).
    pub target: String,
    pub label: String,
    pub message: String,
}

/// Field errors as messages; `control` maps an app field name to (control id, label).
pub fn messages(
    errors: &[FieldError],
    control: impl Fn(&str) -> (&'static str, &'static str),
) -> Vec<FieldMessage> {
    errors
        .iter()
        .map(|e| {
            let (target, label) = control(e.field);
            FieldMessage {
                target: target.to_string(),
                label: label.to_string(),
                message: e.message.clone(),
            }
        })
        .collect()
}

/// The message of the first error on control `target`, if any.
pub fn message_for(msgs: &[FieldMessage], target: &str) -> Option<String> {
    msgs.iter()
        .find(|m| m.target == target)
        .map(|m| m.message.clone())
}

/// A human text for a use-case failure that is shown next to a form.
pub fn describe(e: &AppError) -> String {
    match e {
        AppError::Validation(errs) => errs
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        AppError::TooLarge { max_bytes } => format!(
            "The file is larger than the limit of {} MB.",
            max_bytes / (1024 * 1024)
        ),
        AppError::UnsupportedType(reason) => {
            format!("This type of file is not accepted: {reason}.")
        }
        AppError::Conflict(f) => f.message.clone(),
        AppError::NotFound(what) => format!("The {what} was not found."),
        AppError::Forbidden => "Your role does not allow this.".into(),
        _ => "Something went wrong. Please try again.".into(),
    }
}

/// The HTTP status of a use-case failure.
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Whether a failure is the optimistic-lock conflict of a ticket change.
pub fn is_stale(e: &AppError) -> bool {
    matches!(e, AppError::Conflict(f) if f.code == "stale")
}

/// Largest size of one attached file.
pub fn file_max_bytes(st: &AppState) -> u64 {
    st.config.file_max_mb * 1024 * 1024
}

/// The multipart body of a form with files: the file limit plus room for the text
/// fields. (The route itself has no body limit; this one applies instead.)
pub async fn multipart(st: &AppState, req: Request) -> Result<Multipart, MultipartRejection> {
    use tower::{Layer, ServiceExt};
    let limit = usize::try_from((st.config.file_max_mb + 1) * 1024 * 1024).unwrap_or(usize::MAX);
    let svc = DefaultBodyLimit::max(limit).layer(tower::service_fn(|req: Request| async move {
        Ok::<_, std::convert::Infallible>(FormData::from_request(req, &()).await.map(|f| f.0))
    }));
    match svc.oneshot(req).await {
        Ok(m) => m,
        Err(never) => match never {},
    }
}

/// A chosen file of a multipart form, not yet read.
pub struct FilePart<'a> {
    pub field: Field<'a>,
    pub filename: String,
}

/// What the first step of a form with files did: the ticket the files go onto, and
/// whether they are private.
pub struct Begun {
    pub ticket: Uuid,
    pub private: bool,
}

/// The shared middle of a reply or note form: refuses an empty form and a refused file
/// name before anything is saved, then saves the text (if any). `again` re-renders the
/// form with a message and a status.
#[allow(clippy::too_many_arguments)]
pub async fn save_comment<A, Fut>(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    id: &str,
    body: &str,
    private: bool,
    file: Option<&str>,
    empty_message: &str,
    again: A,
) -> Result<Begun, Box<Response>>
where
    A: FnOnce(StatusCode, String) -> Fut,
    Fut: std::future::Future<Output = Box<Response>>,
{
    if body.trim().is_empty() && file.is_none() {
        return Err(again(StatusCode::UNPROCESSABLE_ENTITY, empty_message.to_string()).await);
    }
    if let Some(name) = file
        && let Err(e) = catalyst_store::blob::check_declared_name(name)
    {
        let e = AppError::from(e);
        return Err(again(status_of(&e), describe(&e)).await);
    }
    let t = st
        .app
        .get_ticket(actor, id)
        .await
        .map_err(|e| Box::new(super::failure(Some(s), e)))?;
    if !body.trim().is_empty()
        && let Err(e) = st.app.add_comment(actor, t.id, body, private, None).await
    {
        return Err(match e {
            AppError::Validation(_) | AppError::Conflict(_) => {
                again(status_of(&e), describe(&e)).await
            }
            e => Box::new(super::failure(Some(s), e)),
        });
    }
    Ok(Begun {
        ticket: t.id,
        private,
    })
}

/// Why a form with files stopped early.
pub enum Stop {
    /// The first step answered (CSRF failure, validation errors, ...).
    Answered(Box<Response>),
    /// The form could not be read before the first step ran.
    Unreadable(AppError),
}

/// The end of a form with files whose first step ran: a file that was refused, if any.
pub struct Outcome {
    pub begun: Begun,
    pub problem: Option<AppError>,
}

/// Reads a multipart form whose file inputs come last: the text fields are collected
/// until the first chosen file (empty file inputs are skipped); then `begin` runs once
/// with the texts and the declared name of that file (or at the end, with `None`), and
/// every chosen file is streamed onto the ticket it returns. Text fields after the first
/// file are not read.
pub async fn drive<F, Fut>(
    mp: &mut Multipart,
    app: &App,
    actor: &Actor,
    max_bytes: u64,
    begin: F,
) -> Result<Outcome, Stop>
where
    F: FnOnce(HashMap<String, String>, Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<Begun, Box<Response>>>,
{
    let mut texts: HashMap<String, String> = HashMap::new();
    let mut begin = Some(begin);
    let mut begun: Option<Begun> = None;
    let mut problem = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if begun.is_none() => {
                return Err(Stop::Unreadable(multipart_failure(&e, max_bytes)));
            }
            Err(e) => {
                problem = Some(multipart_failure(&e, max_bytes));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name != "file" {
            if begun.is_none() && !name.is_empty() && !texts.contains_key(&name) {
                match field.text().await {
                    Ok(v) => {
                        texts.insert(name, v);
                    }
                    Err(e) => return Err(Stop::Unreadable(multipart_failure(&e, max_bytes))),
                }
            }
            continue;
        }
        let filename = field.file_name().unwrap_or_default().trim().to_string();
        if filename.is_empty() {
            continue;
        }
        if let Some(b) = begin.take() {
            let first = b(std::mem::take(&mut texts), Some(filename.clone())).await;
            begun = Some(first.map_err(Stop::Answered)?);
        }
        let Some(b) = &begun else { break };
        let part = FilePart { field, filename };
        if let Err(e) = attach(app, actor, b.ticket, part, b.private, max_bytes).await {
            problem = Some(e);
            break;
        }
    }
    let begun = match (begun, begin) {
        (Some(b), _) => b,
        (None, Some(b)) => b(texts, None).await.map_err(Stop::Answered)?,
        (None, None) => {
            return Err(Stop::Unreadable(AppError::Internal(
                "the form was not handled".into(),
            )));
        }
    };
    Ok(Outcome { begun, problem })
}

/// A multipart failure as a use-case failure (a body over the limit is "too large").
pub fn multipart_failure(e: &MultipartError, max_bytes: u64) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge { max_bytes }
    } else {
        AppError::Validation(vec![FieldError::new(
            "form",
            "malformed",
            "the form could not be read; please try again",
        )])
    }
}

/// Streams a chosen file onto a ticket.
pub async fn attach(
    app: &App,
    actor: &Actor,
    ticket: Uuid,
    part: FilePart<'_>,
    is_private: bool,
    max_bytes: u64,
) -> Result<AttachmentView, AppError> {
    catalyst_store::blob::check_declared_name(&part.filename).map_err(AppError::from)?;
    let over = Arc::new(AtomicBool::new(false));
    let flag = over.clone();
    let stream = part.field.map_err(move |e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            flag.store(true, Ordering::Relaxed);
        }
        std::io::Error::other(e.body_text())
    });
    let res = app
        .add_attachment(
            actor,
            ticket,
            &part.filename,
            is_private,
            Box::pin(stream),
            max_bytes,
        )
        .await;
    match res {
        Err(_) if over.load(Ordering::Relaxed) => Err(AppError::TooLarge { max_bytes }),
        other => other,
    }
}

/// A file size for people: "532 bytes", "14 KB", "2.5 MB".
pub fn human_size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1024.0 {
        format!("{bytes} bytes")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.0} KB", b / 1024.0)
    } else {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    }
}

/// An attachment as listed on a ticket page.
pub struct AttachmentItem {
    pub href: String,
    pub filename: String,
    pub size: String,
    pub is_private: bool,
    pub when: String,
    pub when_iso: String,
}

impl From<AttachmentView> for AttachmentItem {
    fn from(a: AttachmentView) -> Self {
        AttachmentItem {
            href: format!("/v1/attachments/{}", a.id),
            size: human_size(a.size),
            when: a.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            when_iso: a.created_at.to_rfc3339(),
            filename: a.filename,
            is_private: a.is_private,
        }
    }
}

/// A status label for any stored status text.
pub fn status_label(s: &str) -> String {
    s.parse::<Status>()
        .map(|s| s.label().to_string())
        .unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_query_keeps_known_filters_in_order() {
        let p = ListParams::from_query(
            "?q=vpn+down&status=active&evil=1&cursor=abc&sort=priority&sla=breached",
        );
        assert_eq!(
            p.canonical(),
            "status=active&q=vpn+down&sla=breached&sort=priority"
        );
        assert!(p.is_filtered());
        assert_eq!(
            p.link("/agent", Some("c1")),
            "/agent?status=active&q=vpn+down&sla=breached&sort=priority&cursor=c1"
        );
        assert_eq!(ListParams::default().link("/agent", None), "/agent");
        assert!(!ListParams::from_query("sort=-created").is_filtered());
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(12), "12 bytes");
        assert_eq!(human_size(4096), "4 KB");
        assert_eq!(human_size(5 * 1024 * 1024 / 2), "2.5 MB");
    }
}
