//! The requester portal: my tickets, reporting an issue (with attachments), a ticket's
//! public conversation, replies, and confirming or rejecting a resolution.

use crate::web::tickets_view::save_comment;
use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use catalyst_app::auth::SessionInfo;
use catalyst_app::tickets::{CommentView, NewTicket, TicketPatch, TicketView};
use catalyst_app::{Actor, AppError};
use catalyst_domain::{Permission, Status};

use super::tickets_view::{
    AttachmentItem, Begun, FieldMessage, LEVELS, ListParams, Opt, Outcome, STATUS_FILTERS, Stop,
    describe, drive, file_max_bytes, is_stale, message_for, messages, multipart, opts, status_of,
    who,
};
use super::{Chrome, csrf_failed, failure, rejected, render};
use crate::http::AppState;
use crate::http::auth::{WebSession, same_secret};
use crate::http::error::{ApiError, ErrorCode};

// ---------- my tickets ----------

#[derive(Template)]
#[template(path = "portal.html")]
struct PortalPage {
    chrome: Chrome,
    tenant: String,
    status_options: Vec<Opt>,
    tickets: Vec<TicketView>,
    filtered: bool,
    older: Option<String>,
    newest: Option<String>,
    error: Option<String>,
}

/// `/portal`: the caller's own tickets, newest first.
pub async fn list(
    State(st): State<AppState>,
    session: Option<WebSession>,
    q: Result<Query<ListParams>, QueryRejection>,
) -> Response {
    let (s, actor) = match who(session) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    let params = q.map(|Query(p)| p).unwrap_or_default();
    let mut page = PortalPage {
        chrome: Chrome::with_bell(&st, &s, "portal").await,
        tenant: actor.tenant.name.clone(),
        status_options: opts(&STATUS_FILTERS, params.status.trim()),
        tickets: Vec::new(),
        filtered: params.is_filtered(),
        older: None,
        newest: (!params.cursor.is_empty()).then(|| params.link("/portal", None)),
        error: None,
    };
    let listed = match params.to_list_query(&actor, true) {
        Ok(q) => st.app.list_tickets(&actor, q).await,
        Err(e) => Err(e),
    };
    match listed {
        Ok(p) => {
            page.older = p
                .next_cursor
                .as_deref()
                .map(|c| params.link("/portal", Some(c)));
            page.tickets = p.items;
            render(StatusCode::OK, page)
        }
        Err(e @ AppError::Validation(_)) => {
            page.error = Some(describe(&e));
            render(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Err(e) => failure(Some(&s), e),
    }
}

// ---------- report an issue ----------

#[derive(Debug, Clone)]
struct NewForm {
    subject: String,
    description: String,
    impact: String,
    urgency: String,
    kind: String,
}

impl NewForm {
    fn blank() -> Self {
        NewForm {
            subject: String::new(),
            description: String::new(),
            impact: "medium".into(),
            urgency: "medium".into(),
            kind: "incident".into(),
        }
    }

    fn from_texts(t: &HashMap<String, String>) -> Self {
        let get = |k: &str| t.get(k).cloned().unwrap_or_default();
        let or = |k: &str, d: &str| {
            Some(get(k).trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| d.to_string())
        };
        NewForm {
            subject: get("subject"),
            description: get("description"),
            impact: or("impact", "medium"),
            urgency: or("urgency", "medium"),
            kind: or("kind", "incident"),
        }
    }

    fn to_new_ticket(&self) -> NewTicket {
        NewTicket {
            kind: Some(self.kind.clone()),
            subject: self.subject.clone(),
            description: self.description.clone(),
            impact: Some(self.impact.clone()),
            urgency: Some(self.urgency.clone()),
            ..NewTicket::default()
        }
    }
}

fn new_ticket_control(field: &str) -> (&'static str, &'static str) {
    match field {
        "subject" => ("subject", "Subject"),
        "description" => ("description", "Description"),
        "impact" => ("impact", "How many people are affected?"),
        "urgency" => ("urgency", "How urgent is it?"),
        "kind" => ("kind-incident", "What kind of help"),
        "file" => ("file", "Attachment"),
        _ => ("subject", "Form"),
    }
}

#[derive(Template)]
#[template(path = "portal_new.html")]
struct NewPage {
    chrome: Chrome,
    csrf: String,
    form: NewForm,
    impact_options: Vec<Opt>,
    urgency_options: Vec<Opt>,
    errors: Vec<FieldMessage>,
    max_mb: u64,
}

impl NewPage {
    fn err(&self, target: &str) -> Option<String> {
        message_for(&self.errors, target)
    }
}

fn new_page(st: &AppState, s: &SessionInfo, form: NewForm) -> NewPage {
    NewPage {
        chrome: Chrome::for_session(s, "portal"),
        csrf: s.csrf_token.clone(),
        impact_options: opts(&LEVELS, &form.impact),
        urgency_options: opts(&LEVELS, &form.urgency),
        form,
        errors: Vec::new(),
        max_mb: st.config.file_max_mb,
    }
}

/// `GET /portal/new`: the form.
pub async fn new_form(State(st): State<AppState>, session: Option<WebSession>) -> Response {
    let (s, _) = match who(session) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    render(StatusCode::OK, new_page(&st, &s, NewForm::blank()))
}

/// The first step of `POST /portal/new`: checks, then opens the ticket. A file name of
/// a refused type is caught here, before the ticket exists.
async fn begin_report(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    texts: HashMap<String, String>,
    file: Option<String>,
) -> Result<Begun, Box<Response>> {
    if !same_secret(
        texts.get("csrf").map(String::as_str).unwrap_or_default(),
        &s.csrf_token,
    ) {
        return Err(Box::new(csrf_failed(s)));
    }
    let form = NewForm::from_texts(&texts);
    if let Some(name) = &file
        && let Err(e) = catalyst_store::blob::check_declared_name(name)
    {
        let e = AppError::from(e);
        let mut page = new_page(st, s, form);
        page.errors = vec![FieldMessage {
            target: "file".into(),
            label: "Attachment".into(),
            message: describe(&e),
        }];
        return Err(Box::new(render(status_of(&e), page)));
    }
    match st
        .app
        .create_ticket(actor, form.to_new_ticket(), None)
        .await
    {
        Ok((t, _)) => {
            // Articles were suggested on this form and the issue was reported anyway.
            if let Some(d) = texts
                .get("deflection")
                .and_then(|d| d.parse::<uuid::Uuid>().ok())
                && let Err(e) = st
                    .app
                    .deflection_step(
                        actor,
                        d,
                        catalyst_app::search::DeflectionStep::Submitted(t.id),
                    )
                    .await
            {
                tracing::debug!(error = %e, "deflection record not updated");
            }
            Ok(Begun {
                ticket: t.id,
                private: false,
            })
        }
        Err(AppError::Validation(errs)) => {
            let mut page = new_page(st, s, form);
            page.errors = messages(&errs, new_ticket_control);
            Err(Box::new(render(StatusCode::UNPROCESSABLE_ENTITY, page)))
        }
        Err(e) => Err(Box::new(failure(Some(s), e))),
    }
}

/// `POST /portal/new` (multipart): opens the ticket, then streams the files onto it.
pub async fn create(
    State(st): State<AppState>,
    session: Option<WebSession>,
    req: Request,
) -> Response {
    let (s, actor) = match who(session) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
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
    let max = file_max_bytes(&st);
    let outcome = drive(&mut mp, &st.app, &actor, max, |texts, file| {
        begin_report(&st, &s, &actor, texts, file)
    })
    .await;
    after_upload(&st, &s, &actor, outcome, |number| {
        format!("Your ticket {number} was created, but an attachment was refused.")
    })
    .await
}

/// Where a portal form with files ends: the ticket page, or the ticket page with the
/// reason a file was refused (the rest of the form took effect).
async fn after_upload(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    outcome: Result<Outcome, Stop>,
    refused: impl FnOnce(&str) -> String,
) -> Response {
    match outcome {
        Err(Stop::Answered(r)) => *r,
        Err(Stop::Unreadable(e)) => failure(Some(s), e),
        Ok(Outcome {
            begun,
            problem: None,
        }) => Redirect::to(&format!("/portal/tickets/{}", begun.ticket)).into_response(),
        Ok(Outcome {
            begun,
            problem: Some(e),
        }) => match ticket_page(st, s, actor, &begun.ticket.to_string()).await {
            Ok(mut page) => {
                page.problem = Some(format!("{} {}", refused(&page.t.number), describe(&e)));
                render(status_of(&e), page)
            }
            Err(e) => failure(Some(s), e),
        },
    }
}

// ---------- one ticket ----------

#[derive(Template)]
#[template(path = "portal_ticket.html")]
struct TicketPage {
    chrome: Chrome,
    csrf: String,
    t: TicketView,
    comments: Vec<CommentView>,
    attachments: Vec<AttachmentItem>,
    notice: Option<String>,
    problem: Option<String>,
    reply: String,
    reply_error: Option<String>,
    max_mb: u64,
}

impl TicketPage {
    fn resolved(&self) -> bool {
        self.t.status == Status::Resolved
    }

    fn can_reply(&self) -> bool {
        !self.t.status.is_final()
    }
}

/// The page of a ticket as its requester sees it: never internal notes or private files.
async fn ticket_page(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    id: &str,
) -> Result<TicketPage, AppError> {
    let t = st.app.get_ticket(actor, id).await?;
    let comments = st
        .app
        .list_comments(actor, t.id)
        .await?
        .into_iter()
        .filter(|c| !c.is_private)
        .collect();
    let attachments = st
        .app
        .list_attachments(actor, t.id)
        .await?
        .into_iter()
        .filter(|a| !a.is_private)
        .map(AttachmentItem::from)
        .collect();
    Ok(TicketPage {
        chrome: Chrome::with_bell(st, s, "portal").await,
        csrf: s.csrf_token.clone(),
        t,
        comments,
        attachments,
        notice: None,
        problem: None,
        reply: String::new(),
        reply_error: None,
        max_mb: st.config.file_max_mb,
    })
}

/// `GET /portal/tickets/{id}`. Agents looking at someone else's ticket go to the console.
pub async fn ticket(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
) -> Response {
    let (s, actor) = match who(session) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    match ticket_page(&st, &s, &actor, &id).await {
        Ok(page)
            if page.t.requester.id != actor.user_id
                && actor.role.allows(Permission::UseAgentConsole) =>
        {
            Redirect::to(&format!("/agent/tickets/{}", page.t.id)).into_response()
        }
        Ok(page) => render(StatusCode::OK, page),
        Err(e) => failure(Some(&s), e),
    }
}

/// The first step of a reply: checks, then saves the reply text (if any).
async fn begin_reply(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    id: &str,
    texts: HashMap<String, String>,
    file: Option<String>,
) -> Result<Begun, Box<Response>> {
    if !same_secret(
        texts.get("csrf").map(String::as_str).unwrap_or_default(),
        &s.csrf_token,
    ) {
        return Err(Box::new(csrf_failed(s)));
    }
    let body = texts.get("body").cloned().unwrap_or_default();
    let again = |status: StatusCode, message: String| async move {
        match ticket_page(st, s, actor, id).await {
            Ok(mut page) => {
                page.reply = texts.get("body").cloned().unwrap_or_default();
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
        false,
        file.as_deref(),
        "Write a reply or choose a file.",
        again,
    )
    .await
}

/// `POST /portal/tickets/{id}/reply` (multipart): a public reply and/or files.
pub async fn reply(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    let (s, actor) = match who(session) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
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
    let max = file_max_bytes(&st);
    let outcome = drive(&mut mp, &st.app, &actor, max, |texts, file| {
        begin_reply(&st, &s, &actor, &id, texts, file)
    })
    .await;
    after_upload(&st, &s, &actor, outcome, |_| {
        "The attachment was refused.".to_string()
    })
    .await
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    version: String,
}

/// `POST /portal/tickets/{id}/status`: close a resolved ticket or reopen it.
pub async fn set_status(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    form: Result<Form<StatusForm>, FormRejection>,
) -> Response {
    let (s, actor) = match who(session) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
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
        status: Some(f.status.trim().to_string()),
        ..TicketPatch::default()
    };
    let result = st.app.update_ticket(&actor, t.id, version, patch).await;
    let (status, notice, problem) = match result {
        Ok(_) => return Redirect::to(&format!("/portal/tickets/{}", t.id)).into_response(),
        Err(e) if is_stale(&e) => (
            StatusCode::CONFLICT,
            Some("The ticket changed meanwhile; here is the current state.".to_string()),
            None,
        ),
        Err(e @ AppError::Validation(_)) => (status_of(&e), None, Some(describe(&e))),
        Err(e) => return failure(Some(&s), e),
    };
    match ticket_page(&st, &s, &actor, &id).await {
        Ok(mut page) => {
            page.notice = notice;
            page.problem = problem;
            render(status, page)
        }
        Err(e) => failure(Some(&s), e),
    }
}
