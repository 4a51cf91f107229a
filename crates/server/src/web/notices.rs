//! The notifications page: the latest in-app notifications of the signed-in user, with
//! "mark read" and "mark all read". The bell in the header links here.

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use catalyst_app::AppError;
use catalyst_app::notify::NotificationView;
use catalyst_domain::Permission;

use super::tickets_view::who;
use super::{Chrome, csrf_failed, failure, render};
use crate::http::AppState;
use crate::http::auth::{WebSession, same_secret};

/// How many notifications the page lists.
const LATEST: u64 = 50;

pub struct Item {
    n: NotificationView,
    when: String,
    when_iso: String,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    chrome: Chrome,
    csrf: String,
    unread: u64,
    items: Vec<Item>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// `GET /notifications`.
pub async fn list(
    State(st): State<AppState>,
    session: Option<WebSession>,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let (s, actor) = match who(session) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    let list = match st.app.notifications(&actor, LATEST).await {
        Ok(l) => l,
        Err(e) => return failure(Some(&s), e),
    };
    let agent = actor.role.allows(Permission::UseAgentConsole);
    let notice = match q.map(|Query(q)| q.done).unwrap_or_default().as_str() {
        "one" => Some("The notification was marked read.".to_string()),
        "all" => Some("All notifications were marked read.".to_string()),
        _ => None,
    };
    let mut chrome = Chrome::for_session(&s, "notifications");
    if let Some(nav) = chrome.nav.as_mut() {
        nav.unread = Some(list.unread);
    }
    let items = list
        .items
        .into_iter()
        .map(|n| Item {
            when: n.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            when_iso: n.created_at.to_rfc3339(),
            href: n.ticket_id.map(|t| {
                if agent {
                    format!("/agent/tickets/{t}")
                } else {
                    format!("/portal/tickets/{t}")
                }
            }),
            n,
        })
        .collect();
    render(
        StatusCode::OK,
        NotificationsPage {
            chrome,
            csrf: s.csrf_token.clone(),
            unread: list.unread,
            items,
            notice,
        },
    )
}

/// `POST /notifications/read`: one notification (`id`) or all of them read.
pub async fn mark_read(
    State(st): State<AppState>,
    session: Option<WebSession>,
    body: Bytes,
) -> Response {
    let (s, actor) = match who(session) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    let mut csrf = String::new();
    let mut id = String::new();
    for (k, v) in url::form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf" => csrf = v.into_owned(),
            "id" => id = v.into_owned(),
            _ => {}
        }
    }
    if !same_secret(&csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    let id = match id.trim() {
        "" => None,
        v => match v.parse::<Uuid>() {
            Ok(u) => Some(u),
            Err(_) => return failure(Some(&s), AppError::NotFound("notification")),
        },
    };
    match st.app.mark_notifications_read(&actor, id).await {
        Ok(_) => {
            let done = if id.is_some() { "one" } else { "all" };
            Redirect::to(&format!("/notifications?done={done}")).into_response()
        }
        Err(e) => failure(Some(&s), e),
    }
}
