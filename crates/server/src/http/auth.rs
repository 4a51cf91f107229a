//! Who is calling: API tokens, browser sessions and CSRF protection.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use subtle::ConstantTimeEq;

use catalyst_app::Actor;
use catalyst_app::auth::SessionInfo;

use super::error::{ApiError, ErrorCode};
use super::{AppState, REQUEST_ID};

/// Cookie holding the session token.
pub fn session_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-catalyst_session"
    } else {
        "catalyst_session"
    }
}

/// Cookie holding the pre-session CSRF token of the sign-in form (double submit).
pub fn signin_csrf_cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-catalyst_csrf"
    } else {
        "catalyst_csrf"
    }
}

/// A cookie with our defaults: HttpOnly, SameSite=Lax, path /, Secure under https.
pub fn cookie(name: &'static str, value: String, https: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(https)
        .path("/")
        .build()
}

pub fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Compares secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && a.as_bytes().ct_eq(b.as_bytes()).into()
}

fn record_tenant(actor: &Actor) {
    tracing::Span::current().record("tenant_id", tracing::field::display(actor.tenant.id));
}

/// The caller of an API endpoint: a bearer token, or a browser session (state-changing
/// methods then need the session's CSRF token in `X-CSRF-Token`).
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let rid = request_id(parts);
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(|| {
                    ApiError::new(ErrorCode::Unauthenticated)
                        .detail("use Authorization: Bearer <token>")
                })?;
            let actor = state.app.authenticate_token(token, rid).await?;
            record_tenant(&actor);
            return Ok(ApiActor(actor));
        }
        let session = Option::<WebSession>::from_request_parts(parts, state)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated))?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !same_secret(sent, &session.0.csrf_token) {
                return Err(ApiError::new(ErrorCode::CsrfFailed));
            }
        }
        let actor = session.0.actor(rid).ok_or_else(|| {
            ApiError::new(ErrorCode::Unauthenticated).detail("choose a workspace first")
        })?;
        record_tenant(&actor);
        Ok(ApiActor(actor))
    }
}

/// The browser session of the request, with its cookie value.
pub struct WebSession(pub SessionInfo, pub String);

impl OptionalFromRequestParts<AppState> for WebSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(c) = jar.get(session_cookie_name(state.config.is_https())) else {
            return Ok(None);
        };
        let value = c.value().to_string();
        let info = state.app.session(&value).await?;
        if let Some(a) = info.as_ref().and_then(|s| s.active.as_ref()) {
            tracing::Span::current().record("tenant_id", tracing::field::display(a.tenant.id));
        }
        Ok(info.map(|s| WebSession(s, value)))
    }
}

/// The client's address, when the server knows it (for sign-in throttling). Behind a
/// reverse proxy (`CATALYST_BEHIND_PROXY=true`) it is the last `X-Forwarded-For` entry,
/// the one the proxy itself appended; otherwise the TCP peer.
pub fn client_addr(parts: &Parts, behind_proxy: bool) -> Option<String> {
    if behind_proxy
        && let Some(last) = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|s| !s.is_empty())
    {
        return Some(last.to_string());
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}
