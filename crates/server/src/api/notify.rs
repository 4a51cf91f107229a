//! In-app notifications (with a live stream) and the dead-jobs view of admins.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, Utc};
use futures::Stream;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use catalyst_app::jobs::JobView;
use catalyst_app::notify::{NotificationList, NotificationView};

use super::problems::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, UnsupportedMediaType,
    ValidationFailed,
};
use super::tickets::{HashedJson, parse_id};
use crate::http::AppState;
use crate::http::auth::ApiActor;
use crate::http::error::ApiError;

/// One notification.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    id: Uuid,
    /// e.g. `sla_due_soon`, `sla_breached`, `ticket_assigned`, `requester_replied`.
    kind: String,
    ticket_id: Option<Uuid>,
    title: String,
    body: String,
    created_at: DateTime<Utc>,
    read: bool,
}

impl From<NotificationView> for Notification {
    fn from(n: NotificationView) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            ticket_id: n.ticket_id,
            title: n.title,
            body: n.body,
            created_at: n.created_at,
            read: n.read,
        }
    }
}

/// The caller's latest notifications.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notifications {
    unread: u64,
    items: Vec<Notification>,
}

impl From<NotificationList> for Notifications {
    fn from(l: NotificationList) -> Self {
        Self {
            unread: l.unread,
            items: l.items.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// Default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u64>,
}

/// Which notifications to mark read.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarkRead {
    /// One notification; omit to mark all read.
    id: Option<Uuid>,
}

/// How many were marked read.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Marked {
    marked: u64,
    unread: u64,
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/v1/notifications", tag = "notifications", security(("bearer" = [])), params(NotificationsQuery),
    responses((status = 200, body = Notifications), BadRequest, Unauthenticated, ValidationFailed))]
pub async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    q: Result<Query<NotificationsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Notifications>, ApiError> {
    let Query(q) = q.map_err(super::tickets::bad_query)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(
            catalyst_app::AppError::from(catalyst_domain::FieldError::new(
                "limit",
                "out_of_range",
                "must be 1–200",
            ))
            .into(),
        );
    }
    Ok(Json(s.app.notifications(&a, limit).await?.into()))
}

/// Marks one notification, or all, read.
#[utoipa::path(post, path = "/v1/notifications/read", tag = "notifications", security(("bearer" = [])), request_body = MarkRead,
    responses((status = 200, body = Marked), BadRequest, Unauthenticated, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn mark_read(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: HashedJson<MarkRead>,
) -> Result<Json<Marked>, ApiError> {
    let marked = s.app.mark_notifications_read(&a, body.value.id).await?;
    let unread = s.app.unread_notifications(&a).await?;
    Ok(Json(Marked { marked, unread }))
}

/// A live stream (Server-Sent Events) of the caller's unread count: an `unread` event
/// at once and whenever it changes, with the count as data.
#[utoipa::path(get, path = "/v1/notifications/stream", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", body = String, description = "`event: unread` with the count as data"), Unauthenticated))]
pub async fn stream(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let first = s.app.unread_notifications(&a).await?;
    let rx = s.app.subscribe_live();
    let app = s.app.clone();
    struct St {
        app: catalyst_app::App,
        actor: catalyst_app::Actor,
        rx: tokio::sync::broadcast::Receiver<catalyst_app::notify::LiveSignal>,
        last: Option<u64>,
        first: Option<u64>,
    }
    let st = St {
        app,
        actor: a,
        rx,
        last: None,
        first: Some(first),
    };
    let events = futures::stream::unfold(st, |mut st| async move {
        if let Some(n) = st.first.take() {
            st.last = Some(n);
            return Some((Ok(Event::default().event("unread").data(n.to_string())), st));
        }
        loop {
            // Another node may have written the notification: re-count now and then too.
            let changed = tokio::select! {
                r = st.rx.recv() => match r {
                    Ok(sig) => sig.tenant == st.actor.tenant.id && sig.user == st.actor.user_id,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                },
                _ = tokio::time::sleep(Duration::from_secs(30)) => true,
            };
            if !changed {
                continue;
            }
            let Ok(n) = st.app.unread_notifications(&st.actor).await else {
                continue;
            };
            if st.last != Some(n) {
                st.last = Some(n);
                return Some((Ok(Event::default().event("unread").data(n.to_string())), st));
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// A job as admins see it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    id: Uuid,
    kind: String,
    /// `dead` here.
    state: String,
    run_at: DateTime<Utc>,
    attempts: i32,
    max_attempts: i32,
    last_error: Option<String>,
    payload: serde_json::Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<JobView> for Job {
    fn from(j: JobView) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            state: j.state,
            run_at: j.run_at,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            payload: j.payload,
            created_at: j.created_at,
            updated_at: j.updated_at,
        }
    }
}

/// Jobs of the tenant that ran out of attempts (admins).
#[utoipa::path(get, path = "/v1/admin/jobs/dead", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<Job>), Unauthenticated, Forbidden))]
pub async fn dead_jobs(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<Job>>, ApiError> {
    Ok(Json(
        s.app
            .dead_jobs(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Puts a dead job back in the queue, due now (admins).
#[utoipa::path(post, path = "/v1/admin/jobs/{id}/retry", tag = "admin", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 202, description = "Queued again"), Unauthenticated, Forbidden, NotFound))]
pub async fn retry_job(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id, "job")?;
    s.app.retry_job(&a, id).await?;
    Ok(StatusCode::ACCEPTED)
}
