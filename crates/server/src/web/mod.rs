//! Server-rendered pages: sign-in, workspace choice, the requester portal, the agent
//! console and the admin area. Every page works without JavaScript (the script only adds
//! keyboard shortcuts); every form POST carries a CSRF token.

mod admin;
mod admin_email;
mod agent;
pub mod files;
mod kb;
mod notices;
mod portal;
mod sla;
mod tickets_view;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use serde::Deserialize;

use catalyst_app::AppError;
use catalyst_app::auth::SessionInfo;
use catalyst_app::members::MemberView;
use catalyst_domain::{Permission, TenantId};

use crate::http::AppState;
use crate::http::auth::{
    WebSession, client_addr, cookie, same_secret, session_cookie_name, signin_csrf_cookie_name,
};
use crate::http::error::{ApiError, ErrorCode};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/signin", get(signin_page).post(signin_submit))
        .route("/signout", post(signout))
        .route("/tenants", get(tenants_page))
        .route("/tenants/switch", post(switch_tenant))
        .route("/portal", get(portal::list))
        // Forms with files: no general body limit here; the handlers apply the file
        // limit (FILE_MAX_MB) themselves.
        .route(
            "/portal/new",
            get(portal::new_form)
                .post(portal::create)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/portal/tickets/{id}", get(portal::ticket))
        .route(
            "/portal/tickets/{id}/reply",
            post(portal::reply).layer(DefaultBodyLimit::disable()),
        )
        .route("/portal/tickets/{id}/status", post(portal::set_status))
        .route("/agent", get(agent::console))
        .route("/agent/bulk", post(agent::bulk))
        .route("/agent/filters", post(agent::save_filter))
        .route("/agent/filters/{id}/delete", post(agent::delete_filter))
        .route(
            "/agent/tickets/{id}",
            get(agent::ticket).post(agent::update),
        )
        .route("/agent/tickets/{id}/assign", post(agent::assign_me))
        .route(
            "/agent/tickets/{id}/comment",
            post(agent::comment).layer(DefaultBodyLimit::disable()),
        )
        .route("/portal/kb", get(kb::portal_kb))
        .route("/portal/kb/{id}", get(kb::portal_article))
        .route("/portal/kb/{id}/vote", post(kb::portal_vote))
        .route("/portal/search", get(kb::search_page))
        .route("/agent/search", get(kb::search_page))
        .route("/agent/kb", get(kb::agent_kb))
        .route("/agent/kb/new", get(kb::agent_new).post(kb::agent_create))
        .route("/agent/kb/{id}", get(kb::agent_edit).post(kb::agent_update))
        .route("/admin/search", get(kb::admin_search))
        .route("/admin/search/synonyms", post(kb::admin_synonyms))
        .route("/admin/search/reindex", post(kb::admin_reindex))
        .route("/admin", get(admin))
        .route("/admin/members", get(admin_members))
        .route("/admin/queues", get(admin::queues).post(admin::create))
        .route("/admin/queues/{id}", post(admin::update))
        .route("/admin/email", get(admin_email::page))
        .route("/admin/email/settings", post(admin_email::save_settings))
        .route(
            "/admin/email/templates/{kind}",
            post(admin_email::save_template),
        )
        .route(
            "/admin/email/quarantine/{id}/{action}",
            post(admin_email::quarantine_action),
        )
        .route("/admin/sla", get(sla::overview))
        .route(
            "/admin/sla/calendars/new",
            get(sla::new_calendar).post(sla::create_calendar),
        )
        .route(
            "/admin/sla/calendars/{id}",
            get(sla::edit_calendar).post(sla::update_calendar),
        )
        .route(
            "/admin/sla/calendars/{id}/delete",
            post(sla::delete_calendar),
        )
        .route(
            "/admin/sla/calendars/{id}/import",
            post(sla::import_holidays).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/admin/sla/policies/new",
            get(sla::new_policy).post(sla::create_policy),
        )
        .route(
            "/admin/sla/policies/{id}",
            get(sla::edit_policy).post(sla::update_policy),
        )
        .route("/admin/sla/policies/{id}/delete", post(sla::delete_policy))
        .route("/admin/jobs", get(sla::dead_jobs))
        .route("/admin/jobs/{id}/retry", post(sla::retry_job))
        .route("/notifications", get(notices::list))
        .route("/notifications/read", post(notices::mark_read))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
}

/// Navigation shown to signed-in users.
pub struct Nav {
    pub user_name: String,
    pub tenant_name: Option<String>,
    pub is_agent: bool,
    pub is_admin: bool,
    pub multi_tenant: bool,
    pub csrf: String,
    /// Unread notifications, when the page looked them up (the bell shows the count).
    pub unread: Option<u64>,
}

/// What every page's layout needs.
pub struct Chrome {
    pub nav: Option<Nav>,
    pub section: &'static str,
}

impl Chrome {
    fn anonymous() -> Self {
        Chrome {
            nav: None,
            section: "",
        }
    }

    fn for_session(s: &SessionInfo, section: &'static str) -> Self {
        let role = s.active.as_ref().map(|m| m.role);
        Chrome {
            nav: Some(Nav {
                user_name: s.name.clone(),
                tenant_name: s.active.as_ref().map(|m| m.tenant.name.clone()),
                is_agent: role.is_some_and(|r| r.allows(Permission::UseAgentConsole)),
                is_admin: role.is_some_and(|r| r.allows(Permission::ViewMembers)),
                multi_tenant: s.memberships.len() > 1,
                csrf: s.csrf_token.clone(),
                unread: None,
            }),
            section,
        }
    }

    /// The layout of a page for a signed-in user, with the unread count for the bell.
    /// A failed count only hides the number; the page itself still renders.
    async fn with_bell(st: &AppState, s: &SessionInfo, section: &'static str) -> Self {
        let mut c = Chrome::for_session(s, section);
        if let (Some(nav), Some(actor)) = (c.nav.as_mut(), s.actor(None)) {
            match st.app.unread_notifications(&actor).await {
                Ok(n) => nav.unread = Some(n),
                Err(e) => tracing::warn!(error = %e, "unread notifications count failed"),
            }
        }
        c
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    chrome: Chrome,
    csrf: String,
    email: String,
    error: Option<String>,
}

pub struct TenantChoice {
    id: TenantId,
    name: String,
    role: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "tenants.html")]
struct TenantsPage {
    chrome: Chrome,
    csrf: String,
    tenants: Vec<TenantChoice>,
}

#[derive(Template)]
#[template(path = "area.html")]
struct AreaPage {
    chrome: Chrome,
    heading: &'static str,
    intro: String,
    links: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    chrome: Chrome,
    tenant_name: String,
    members: Vec<MemberView>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    heading: String,
    message: String,
}

fn render(status: StatusCode, t: impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            ApiError::new(ErrorCode::Internal).into_response()
        }
    }
}

/// An HTML error page (used for 404s outside the API).
pub fn error_page(status: StatusCode, heading: &str, message: &str, _req: &Request) -> Response {
    render(
        status,
        ErrorPage {
            chrome: Chrome::anonymous(),
            heading: heading.into(),
            message: message.into(),
        },
    )
}

fn denied(s: &SessionInfo) -> Response {
    render(
        StatusCode::FORBIDDEN,
        ErrorPage {
            chrome: Chrome::for_session(s, ""),
            heading: "Access denied".into(),
            message: "Your role in this workspace does not give access to this page.".into(),
        },
    )
}

/// Maps a use-case failure to a page.
fn failure(s: Option<&SessionInfo>, e: AppError) -> Response {
    rejected(s, ApiError::from(e))
}

/// An error page for an API-style error.
fn rejected(s: Option<&SessionInfo>, api: ApiError) -> Response {
    let chrome = s
        .map(|s| Chrome::for_session(s, ""))
        .unwrap_or_else(Chrome::anonymous);
    let (status, title) = api.code.status_and_title();
    render(
        status,
        ErrorPage {
            chrome,
            heading: title.to_string(),
            message: api.detail.unwrap_or_else(|| "Please try again.".into()),
        },
    )
}

fn home_for(s: &SessionInfo) -> Redirect {
    match &s.active {
        Some(m) => Redirect::to(m.role.home_path()),
        None => Redirect::to("/tenants"),
    }
}

async fn home(session: Option<WebSession>) -> Response {
    match session {
        Some(WebSession(s, _)) => home_for(&s).into_response(),
        None => Redirect::to("/signin").into_response(),
    }
}

async fn stylesheet() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        include_str!("../../static/app.js"),
    )
        .into_response()
}

fn new_csrf() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

async fn signin_page(
    State(st): State<AppState>,
    session: Option<WebSession>,
    jar: CookieJar,
) -> Response {
    if let Some(WebSession(s, _)) = session {
        return home_for(&s).into_response();
    }
    let https = st.config.is_https();
    let name = signin_csrf_cookie_name(https);
    let csrf = jar
        .get(name)
        .map(|c| c.value().to_string())
        .unwrap_or_else(new_csrf);
    let jar = jar.add(cookie(name, csrf.clone(), https));
    let page = SignInPage {
        chrome: Chrome::anonymous(),
        csrf,
        email: String::new(),
        error: None,
    };
    (jar, render(StatusCode::OK, page)).into_response()
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

async fn signin_submit(
    State(st): State<AppState>,
    jar: CookieJar,
    parts: Parts,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let https = st.config.is_https();
    let f = match form {
        Ok(Form(f)) => f,
        Err(rej) => return rejected(None, ApiError::from(rej)),
    };
    let expected = jar
        .get(signin_csrf_cookie_name(https))
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let again = |status: StatusCode, msg: String, jar: CookieJar| {
        let page = SignInPage {
            chrome: Chrome::anonymous(),
            csrf: expected.clone(),
            email: f.email.clone(),
            error: Some(msg),
        };
        (jar, render(status, page)).into_response()
    };
    if !same_secret(&f.csrf, &expected) {
        let fresh = new_csrf();
        let page = SignInPage {
            chrome: Chrome::anonymous(),
            csrf: fresh.clone(),
            email: f.email.clone(),
            error: Some("The sign-in form expired. Please try again.".into()),
        };
        let jar = jar.add(cookie(signin_csrf_cookie_name(https), fresh, https));
        return (jar, render(StatusCode::FORBIDDEN, page)).into_response();
    }
    let client = client_addr(&parts, st.config.behind_proxy);
    match st
        .app
        .sign_in(&f.email, &f.password, client.as_deref())
        .await
    {
        Ok(signed) => {
            let jar = jar
                .remove(Cookie::build(signin_csrf_cookie_name(https)).path("/"))
                .add(cookie(
                    session_cookie_name(https),
                    signed.cookie_value,
                    https,
                ));
            (jar, home_for(&signed.session)).into_response()
        }
        Err(AppError::BadCredentials) => again(
            StatusCode::UNAUTHORIZED,
            "Wrong email or password.".into(),
            jar,
        ),
        Err(AppError::Throttled { retry_after_secs }) => {
            let minutes = retry_after_secs.div_ceil(60);
            let mut res = again(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many failed attempts. Try again in {minutes} minute(s)."),
                jar,
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(e) => failure(None, e),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

fn csrf_failed(s: &SessionInfo) -> Response {
    render(
        StatusCode::FORBIDDEN,
        ErrorPage {
            chrome: Chrome::for_session(s, ""),
            heading: "Form expired".into(),
            message: ErrorCode::CsrfFailed.status_and_title().1.into(),
        },
    )
}

async fn signout(
    State(st): State<AppState>,
    session: Option<WebSession>,
    jar: CookieJar,
    form: Result<Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(WebSession(s, value)) = session else {
        return Redirect::to("/signin").into_response();
    };
    let token = form.map(|Form(f)| f.csrf).unwrap_or_default();
    if !same_secret(&token, &s.csrf_token) {
        return csrf_failed(&s);
    }
    if let Err(e) = st.app.sign_out(&value).await {
        return failure(Some(&s), e);
    }
    let jar = jar.remove(Cookie::build(session_cookie_name(st.config.is_https())).path("/"));
    (jar, Redirect::to("/signin")).into_response()
}

async fn tenants_page(session: Option<WebSession>) -> Response {
    let Some(WebSession(s, _)) = session else {
        return Redirect::to("/signin").into_response();
    };
    let current = s.active.as_ref().map(|m| m.tenant.id);
    let tenants = s
        .memberships
        .iter()
        .map(|m| TenantChoice {
            id: m.tenant.id,
            name: m.tenant.name.clone(),
            role: m.role.to_string(),
            current: Some(m.tenant.id) == current,
        })
        .collect();
    let page = TenantsPage {
        chrome: Chrome::for_session(&s, ""),
        csrf: s.csrf_token.clone(),
        tenants,
    };
    render(StatusCode::OK, page)
}

#[derive(Deserialize)]
struct SwitchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tenant: String,
}

async fn switch_tenant(
    State(st): State<AppState>,
    session: Option<WebSession>,
    form: Result<Form<SwitchForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(WebSession(s, _)) = session else {
        return Redirect::to("/signin").into_response();
    };
    let f = match form {
        Ok(Form(f)) => f,
        Err(rej) => return rejected(Some(&s), ApiError::from(rej)),
    };
    if !same_secret(&f.csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    let Ok(tenant) = f.tenant.parse::<TenantId>() else {
        return failure(Some(&s), AppError::NotFound("tenant"));
    };
    match st.app.switch_tenant(&s, tenant).await {
        Ok(m) => Redirect::to(m.role.home_path()).into_response(),
        Err(e) => failure(Some(&s), e),
    }
}

/// The session and its active tenant, or where to send the browser instead.
fn signed_in(session: Option<WebSession>) -> Result<SessionInfo, Redirect> {
    match session {
        None => Err(Redirect::to("/signin")),
        Some(WebSession(s, _)) if s.active.is_none() => Err(Redirect::to("/tenants")),
        Some(WebSession(s, _)) => Ok(s),
    }
}

fn allowed(s: &SessionInfo, p: Permission) -> bool {
    s.active.as_ref().is_some_and(|m| m.role.allows(p))
}

async fn admin(State(st): State<AppState>, session: Option<WebSession>) -> Response {
    let s = match signed_in(session) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    if !allowed(&s, Permission::ViewMembers) {
        return denied(&s);
    }
    render(
        StatusCode::OK,
        AreaPage {
            chrome: Chrome::with_bell(&st, &s, "admin").await,
            heading: "Admin",
            intro: "Configure your workspace.".into(),
            links: vec![
                ("/admin/members", "Members"),
                ("/admin/queues", "Queues"),
                ("/admin/search", "Search and knowledge base"),
                ("/admin/email", "Email"),
                ("/admin/sla", "SLA calendars and policies"),
                ("/admin/jobs", "Failed background jobs"),
            ],
        },
    )
}

async fn admin_members(State(st): State<AppState>, session: Option<WebSession>) -> Response {
    let s = match signed_in(session) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let Some(actor) = s.actor(None) else {
        return Redirect::to("/tenants").into_response();
    };
    match st.app.list_members(&actor).await {
        Ok(members) => render(
            StatusCode::OK,
            MembersPage {
                chrome: Chrome::with_bell(&st, &s, "admin").await,
                tenant_name: actor.tenant.name.clone(),
                members,
            },
        ),
        Err(AppError::Forbidden) => denied(&s),
        Err(e) => failure(Some(&s), e),
    }
}
