//! The admin page for email: settings, templates, quarantine, undelivered notifications.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use catalyst_app::auth::SessionInfo;
use catalyst_app::mail::{
    MailFailureView, MailSettingsPatch, MailSettingsView, QuarantineView, TemplateView,
};
use catalyst_app::{Actor, AppError};
use catalyst_domain::Permission;

use super::tickets_view::{describe, status_of, who};
use super::{Chrome, csrf_failed, denied, failure, rejected, render};
use crate::http::AppState;
use crate::http::auth::{WebSession, same_secret};
use crate::http::error::ApiError;

#[derive(Template)]
#[template(path = "admin_email.html")]
struct EmailPage {
    chrome: Chrome,
    csrf: String,
    settings: MailSettingsView,
    templates: Vec<TemplateView>,
    quarantine: Vec<QuarantineView>,
    failures: Vec<MailFailureView>,
    notice: Option<String>,
    error: Option<String>,
    open_kind: Option<String>,
}

fn admin_who(session: Option<WebSession>) -> Result<(SessionInfo, Actor), Box<Response>> {
    let (s, actor) = who(session).map_err(|r| Box::new(r.into_response()))?;
    if !actor.role.allows(Permission::ManageMembers) {
        return Err(Box::new(denied(&s)));
    }
    Ok((s, actor))
}

async fn show(
    st: &AppState,
    s: &SessionInfo,
    actor: &Actor,
    notice: Option<String>,
    error: Option<String>,
    open_kind: Option<String>,
    status: StatusCode,
) -> Response {
    let loaded = async {
        Ok::<_, AppError>((
            st.app.mail_settings(actor).await?,
            st.app.mail_templates(actor).await?,
            st.app.list_quarantine(actor).await?,
            st.app.mail_failures(actor).await?,
        ))
    }
    .await;
    let (settings, templates, quarantine, failures) = match loaded {
        Ok(x) => x,
        Err(e) => return failure(Some(s), e),
    };
    render(
        status,
        EmailPage {
            chrome: Chrome::for_session(s, "admin"),
            csrf: s.csrf_token.clone(),
            settings,
            templates,
            quarantine,
            failures,
            notice,
            error,
            open_kind,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// `GET /admin/email`.
pub async fn page(
    State(st): State<AppState>,
    session: Option<WebSession>,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let (s, actor) = match admin_who(session) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let notice = match q.map(|Query(q)| q.done).unwrap_or_default().as_str() {
        "settings" => Some("The email settings were saved.".to_string()),
        "template" => Some("The template was saved.".to_string()),
        "reset" => Some("The default template applies again.".to_string()),
        "released" => Some("The message was released.".to_string()),
        "deleted" => Some("The message was deleted.".to_string()),
        _ => None,
    };
    show(&st, &s, &actor, notice, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    outbound_enabled: Option<String>,
    inbound_enabled: Option<String>,
    #[serde(default)]
    from_address: String,
    #[serde(default)]
    from_name: String,
    #[serde(default)]
    reply_to: String,
    #[serde(default)]
    unknown_sender: String,
    #[serde(default)]
    rate_limit_per_hour: String,
    #[serde(default)]
    imap_url: String,
    #[serde(default)]
    imap_processed_folder: String,
}

/// `POST /admin/email/settings`.
pub async fn save_settings(
    State(st): State<AppState>,
    session: Option<WebSession>,
    form: Result<Form<SettingsForm>, FormRejection>,
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
    let Ok(rate) = f.rate_limit_per_hour.trim().parse::<i32>() else {
        let msg = "Messages per sender and hour: enter a whole number.".to_string();
        return show(
            &st,
            &s,
            &actor,
            None,
            Some(msg),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let patch = MailSettingsPatch {
        outbound_enabled: Some(f.outbound_enabled.is_some()),
        inbound_enabled: Some(f.inbound_enabled.is_some()),
        from_address: Some(f.from_address),
        from_name: Some(f.from_name),
        reply_to: Some(f.reply_to),
        unknown_sender: Some(f.unknown_sender),
        rate_limit_per_hour: Some(rate),
        imap_url: Some(f.imap_url),
        imap_processed_folder: Some(f.imap_processed_folder),
    };
    match st.app.update_mail_settings(&actor, patch).await {
        Ok(_) => Redirect::to("/admin/email?done=settings").into_response(),
        Err(e @ AppError::Validation(_)) => {
            show(
                &st,
                &s,
                &actor,
                None,
                Some(describe(&e)),
                None,
                status_of(&e),
            )
            .await
        }
        Err(e) => failure(Some(&s), e),
    }
}

#[derive(Deserialize)]
pub struct TemplateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    html: String,
    reset: Option<String>,
}

/// `POST /admin/email/templates/{kind}`: save or reset a template.
pub async fn save_template(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(kind): Path<String>,
    form: Result<Form<TemplateForm>, FormRejection>,
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
    if f.reset.is_some() {
        return match st.app.reset_mail_template(&actor, &kind).await {
            Ok(()) => Redirect::to("/admin/email?done=reset").into_response(),
            Err(e) => failure(Some(&s), e),
        };
    }
    match st
        .app
        .save_mail_template(&actor, &kind, Some(f.subject), Some(f.text), Some(f.html))
        .await
    {
        Ok(_) => Redirect::to("/admin/email?done=template").into_response(),
        Err(e @ AppError::Validation(_)) => {
            show(
                &st,
                &s,
                &actor,
                None,
                Some(describe(&e)),
                Some(kind),
                status_of(&e),
            )
            .await
        }
        Err(e) => failure(Some(&s), e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/email/quarantine/{id}/{action}`: `release` or `delete`.
pub async fn quarantine_action(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path((id, action)): Path<(String, String)>,
    form: Result<Form<CsrfForm>, FormRejection>,
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
        return failure(Some(&s), AppError::NotFound("quarantined message"));
    };
    let result = match action.as_str() {
        "release" => st
            .app
            .release_quarantined(&actor, id)
            .await
            .map(|_| "released"),
        "delete" => st
            .app
            .delete_quarantined(&actor, id)
            .await
            .map(|_| "deleted"),
        _ => Err(AppError::NotFound("action")),
    };
    match result {
        Ok(done) => Redirect::to(&format!("/admin/email?done={done}")).into_response(),
        Err(e) => failure(Some(&s), e),
    }
}
