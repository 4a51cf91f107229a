//! Admin pages beyond the hub: queues.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use catalyst_app::auth::SessionInfo;
use catalyst_app::queues::{QueuePatch, QueueView};
use catalyst_app::{Actor, AppError};
use catalyst_domain::Permission;

use super::tickets_view::{describe, status_of, who};
use super::{Chrome, csrf_failed, denied, failure, rejected, render};
use crate::http::AppState;
use crate::http::auth::{WebSession, same_secret};
use crate::http::error::ApiError;

/// The session and actor of an admin, or the response to send instead.
fn admin_who(session: Option<WebSession>) -> Result<(SessionInfo, Actor), Box<Response>> {
    let (s, actor) = who(session).map_err(|r| Box::new(r.into_response()))?;
    if !actor.role.allows(Permission::ManageMembers) {
        return Err(Box::new(denied(&s)));
    }
    Ok((s, actor))
}

/// A queue row with the values its edit form shows.
pub struct QueueRow {
    q: QueueView,
    name: String,
    description: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_queues.html")]
struct QueuesPage {
    chrome: Chrome,
    csrf: String,
    queues: Vec<QueueRow>,
    new_name: String,
    new_description: String,
    new_error: Option<String>,
    notice: Option<String>,
}

#[derive(Default)]
struct Extras {
    new_name: String,
    new_description: String,
    new_error: Option<String>,
    /// A queue whose edit failed: its id, the values sent and the message.
    edit: Option<(Uuid, String, String, String)>,
    notice: Option<String>,
}

async fn show(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    x: Extras,
    status: StatusCode,
) -> Response {
    let queues = match st.app.list_queues(actor).await {
        Ok((q, _)) => q,
        Err(e) => return failure(Some(s), e),
    };
    let queues = queues
        .into_iter()
        .map(|q| match &x.edit {
            Some((id, name, description, error)) if *id == q.id => QueueRow {
                name: name.clone(),
                description: description.clone(),
                error: Some(error.clone()),
                q,
            },
            _ => QueueRow {
                name: q.name.clone(),
                description: q.description.clone(),
                error: None,
                q,
            },
        })
        .collect();
    render(
        status,
        QueuesPage {
            chrome: Chrome::with_bell(st, s, "admin").await,
            csrf: s.csrf_token.clone(),
            queues,
            new_name: x.new_name,
            new_description: x.new_description,
            new_error: x.new_error,
            notice: x.notice,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// `GET /admin/queues`.
pub async fn queues(
    State(st): State<AppState>,
    session: Option<WebSession>,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let (s, actor) = match admin_who(session) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let notice = match q.map(|Query(q)| q.done).unwrap_or_default().as_str() {
        "created" => Some("The queue was created.".to_string()),
        "saved" => Some("The queue was saved.".to_string()),
        _ => None,
    };
    show(
        &st,
        &s,
        &actor,
        Extras {
            notice,
            ..Extras::default()
        },
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct QueueForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    /// A checkbox: present when checked.
    archived: Option<String>,
}

/// `POST /admin/queues`: a new queue.
pub async fn create(
    State(st): State<AppState>,
    session: Option<WebSession>,
    form: Result<Form<QueueForm>, FormRejection>,
) -> Response {
    let (s, actor) = match admin_who(session) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = match form {
        Ok(Form(f)) => f,
        Err(rej) => return rejected(Some(&s), ApiError::from(rej)),
    };
    if !same_secret(&f.csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    match st.app.create_queue(&actor, &f.name, &f.description).await {
        Ok(_) => Redirect::to("/admin/queues?done=created").into_response(),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            show(
                &st,
                &s,
                &actor,
                Extras {
                    new_name: f.name,
                    new_description: f.description,
                    new_error: Some(describe(&e)),
                    ..Extras::default()
                },
                status_of(&e),
            )
            .await
        }
        Err(e) => failure(Some(&s), e),
    }
}

/// `POST /admin/queues/{id}`: rename, describe, archive or restore a queue.
pub async fn update(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    form: Result<Form<QueueForm>, FormRejection>,
) -> Response {
    let (s, actor) = match admin_who(session) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = match form {
        Ok(Form(f)) => f,
        Err(rej) => return rejected(Some(&s), ApiError::from(rej)),
    };
    if !same_secret(&f.csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return failure(Some(&s), AppError::NotFound("queue"));
    };
    let patch = QueuePatch {
        name: Some(f.name.clone()),
        description: Some(f.description.clone()),
        archived: Some(f.archived.is_some()),
    };
    match st.app.update_queue(&actor, id, patch).await {
        Ok(_) => Redirect::to("/admin/queues?done=saved").into_response(),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            show(
                &st,
                &s,
                &actor,
                Extras {
                    edit: Some((id, f.name, f.description, describe(&e))),
                    ..Extras::default()
                },
                status_of(&e),
            )
            .await
        }
        Err(e) => failure(Some(&s), e),
    }
}
