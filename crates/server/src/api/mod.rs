//! The JSON API under `/v1`, plus health probes. Every operation is described in the
//! OpenAPI document generated from these functions.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use catalyst_domain::Role;

pub mod kb;
pub mod mail;
pub mod notify;
pub mod patterns;
pub mod problems;
pub mod sla;
pub mod tickets;

use axum::extract::DefaultBodyLimit;

use crate::config::Config;
use crate::http::AppState;
use crate::http::auth::ApiActor;
use crate::http::error::{ApiError, ErrorCode, Problem};

#[derive(OpenApi)]
#[openapi(
    info(title = "Catalyst ITSM API", description = "Multi-tenant IT service management. Errors are RFC 9457 problem details with a stable `code`."),
    modifiers(&BearerAuth),
    components(schemas(Problem)),
    tags(
        (name = "health", description = "Probes"),
        (name = "account", description = "The caller and their tenant"),
        (name = "portal", description = "Requesters: report and follow their own tickets"),
        (name = "tickets", description = "Incidents, service requests and tasks"),
        (name = "queues", description = "Where tickets wait for agents"),
        (name = "knowledge base", description = "Articles, votes and portal deflection"),
        (name = "search", description = "Full-text search of tickets and articles, synonyms, index status"),
        (name = "notifications", description = "The caller's in-app notifications"),
        (name = "sla", description = "Service level targets, business calendars and ticket clocks"),
        (name = "admin", description = "Tenant administration")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn routes(config: &Config) -> OpenApiRouter<AppState> {
    // Uploads may be larger than other bodies: the file limit plus room for the form.
    let upload_limit =
        usize::try_from((config.file_max_mb + 1) * 1024 * 1024).unwrap_or(usize::MAX);
    let uploads = OpenApiRouter::new()
        .routes(routes!(tickets::upload, tickets::list_attachments))
        .layer(DefaultBodyLimit::max(upload_limit));
    // An inbound email may carry attachments up to the file limit, encoded (base64 adds a third).
    let mail_limit =
        usize::try_from((config.file_max_mb * 2 + 1) * 1024 * 1024).unwrap_or(usize::MAX);
    let inbound = OpenApiRouter::new()
        .routes(routes!(mail::inbound))
        .layer(DefaultBodyLimit::max(mail_limit));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(inbound)
        .routes(routes!(mail::get_settings, mail::update_settings))
        .routes(routes!(mail::create_token))
        .routes(routes!(mail::create_hmac_secret))
        .routes(routes!(mail::list_templates, mail::save_template))
        .routes(routes!(mail::list_quarantine))
        .routes(routes!(mail::release))
        .routes(routes!(mail::delete_quarantined))
        .routes(routes!(mail::failures))
        .routes(routes!(mail::poll))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(me))
        .routes(routes!(members))
        .routes(routes!(tickets::portal_incident))
        .routes(routes!(tickets::portal_request))
        .routes(routes!(tickets::portal_tickets))
        .routes(routes!(tickets::list_tickets, tickets::create_ticket))
        .routes(routes!(tickets::get_ticket, tickets::update_ticket))
        .routes(routes!(tickets::bulk))
        .routes(routes!(tickets::add_comment, tickets::list_comments))
        .routes(routes!(tickets::history))
        .routes(routes!(tickets::download))
        .routes(routes!(tickets::list_queues, tickets::create_queue))
        .routes(routes!(tickets::update_queue))
        .routes(routes!(tickets::get_settings, tickets::put_settings))
        .routes(routes!(kb::list_articles, kb::create_article))
        .routes(routes!(kb::get_article, kb::update_article))
        .routes(routes!(kb::article_versions))
        .routes(routes!(kb::vote_article))
        .routes(routes!(kb::get_synonyms, kb::put_synonyms))
        .routes(routes!(kb::suggestions))
        .routes(routes!(kb::deflection_step))
        .routes(routes!(kb::deflection))
        .routes(routes!(kb::search))
        .routes(routes!(kb::zero_results))
        .routes(routes!(kb::index_status))
        .routes(routes!(kb::reindex))
        .routes(routes!(sla::list_calendars, sla::create_calendar))
        .routes(routes!(
            sla::get_calendar,
            sla::put_calendar,
            sla::delete_calendar
        ))
        .routes(routes!(sla::import_holidays))
        .routes(routes!(sla::list_policies, sla::create_policy))
        .routes(routes!(sla::put_policy, sla::delete_policy))
        .routes(routes!(sla::ticket_sla))
        .routes(routes!(notify::list))
        .routes(routes!(notify::mark_read))
        .routes(routes!(notify::stream))
        .routes(routes!(notify::dead_jobs))
        .routes(routes!(notify::retry_job))
        .merge(uploads)
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database answers and its schema is current.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, body = Health),
        (status = 503, body = Problem, content_type = "application/problem+json")
    )
)]
async fn readyz(State(s): State<AppState>) -> Response {
    let store = s.app.store();
    if let Err(e) = store.ping().await {
        tracing::warn!(error = %e, "readiness: database unreachable");
        return ApiError::new(ErrorCode::NotReady)
            .detail("database unreachable")
            .into_response();
    }
    match store.pending_migrations().await {
        Ok(p) if p.is_empty() => (StatusCode::OK, Json(Health { status: "ready" })).into_response(),
        Ok(p) => ApiError::new(ErrorCode::NotReady)
            .detail(format!(
                "{} migration(s) pending: run `catalyst migrate`",
                p.len()
            ))
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: cannot read migrations");
            ApiError::new(ErrorCode::NotReady)
                .detail("cannot read migration state")
                .into_response()
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MeUser {
    id: String,
    email: String,
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeTenant {
    id: String,
    slug: String,
    name: String,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    user: MeUser,
    tenant: MeTenant,
    /// Effective roles: an admin is also an agent and a requester.
    #[schema(example = json!(["requester", "agent"]))]
    roles: Vec<String>,
}

/// The caller, their current tenant and roles.
#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "account",
    security(("bearer" = [])),
    responses((status = 200, body = Me), problems::Unauthenticated)
)]
async fn me(ApiActor(a): ApiActor) -> Json<Me> {
    Json(Me {
        user: MeUser {
            id: a.user_id.to_string(),
            email: a.email.to_string(),
            name: a.name.clone(),
        },
        tenant: MeTenant {
            id: a.tenant.id.to_string(),
            slug: a.tenant.slug.clone(),
            name: a.tenant.name.clone(),
        },
        roles: a
            .role
            .effective_roles()
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
    })
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    user_id: String,
    email: String,
    name: String,
    #[schema(value_type = String, example = "agent")]
    role: Role,
    joined_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberList {
    items: Vec<Member>,
}

/// Members of the caller's tenant (tenant admins only).
#[utoipa::path(
    get,
    path = "/v1/members",
    tag = "account",
    security(("bearer" = [])),
    responses(
        (status = 200, body = MemberList),
        problems::Unauthenticated,
        problems::Forbidden
    )
)]
async fn members(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<MemberList>, ApiError> {
    let items = s
        .app
        .list_members(&a)
        .await?
        .into_iter()
        .map(|m| Member {
            user_id: m.user_id.to_string(),
            email: m.email,
            name: m.name,
            role: m.role,
            joined_at: m.joined_at,
        })
        .collect();
    Ok(Json(MemberList { items }))
}
