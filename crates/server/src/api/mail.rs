//! Email: the inbound endpoint (raw RFC 5322 with a per-tenant token) and the admin
//! operations for mail settings, templates, the quarantine and failed deliveries.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use catalyst_app::mail::{IngestOutcome, MailSettingsPatch, Source};

use crate::api::problems::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthenticated, UnsupportedMediaType,
    ValidationFailed,
};
use crate::api::tickets::HashedJson;
use crate::http::AppState;
use crate::http::auth::ApiActor;
use crate::http::error::{ApiError, ErrorCode};

/// What became of an inbound message.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IngestResult {
    /// `created`, `appended`, `duplicate` or `quarantined`.
    #[schema(example = "appended")]
    outcome: String,
    ticket_id: Option<Uuid>,
    #[schema(example = "INC-000123")]
    number: Option<String>,
    comment_id: Option<Uuid>,
    /// How the ticket was found: `in_reply_to`, `references`, `subject_tag`, `new_ticket`,
    /// `closed_ticket`, `stranger_new_ticket`.
    match_reason: Option<String>,
    /// Quarantine entry, when quarantined.
    quarantine_id: Option<Uuid>,
    /// Why it was quarantined: `unparseable`, `stranger`, `rate_limited`, `auto_reply`,
    /// `bounce`, `no_sender`, `own_address`, `inbound_disabled`, …
    reason: Option<String>,
    attachments: usize,
    rejected_attachments: Vec<String>,
}

impl From<IngestOutcome> for IngestResult {
    fn from(o: IngestOutcome) -> Self {
        let empty = IngestResult {
            outcome: String::new(),
            ticket_id: None,
            number: None,
            comment_id: None,
            match_reason: None,
            quarantine_id: None,
            reason: None,
            attachments: 0,
            rejected_attachments: Vec::new(),
        };
        match o {
            IngestOutcome::Created {
                ticket_id,
                number,
                match_reason,
                attachments,
                rejected_attachments,
            } => IngestResult {
                outcome: "created".into(),
                ticket_id: Some(ticket_id),
                number: Some(number),
                match_reason: Some(match_reason),
                attachments,
                rejected_attachments,
                ..empty
            },
            IngestOutcome::Appended {
                ticket_id,
                number,
                comment_id,
                match_reason,
                attachments,
                rejected_attachments,
            } => IngestResult {
                outcome: "appended".into(),
                ticket_id: Some(ticket_id),
                number: Some(number),
                comment_id: Some(comment_id),
                match_reason: Some(match_reason),
                attachments,
                rejected_attachments,
                ..empty
            },
            IngestOutcome::Duplicate => IngestResult {
                outcome: "duplicate".into(),
                ..empty
            },
            IngestOutcome::Quarantined { id, reason } => IngestResult {
                outcome: "quarantined".into(),
                quarantine_id: Some(id),
                reason: Some(reason),
                ..empty
            },
        }
    }
}

/// A raw message body (`message/rfc822`).
pub struct RawMessage(Bytes);

impl<S: Send + Sync> FromRequest<S> for RawMessage {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let ct = ct.to_ascii_lowercase();
                ct.starts_with("message/rfc822") || ct.starts_with("application/octet-stream")
            });
        if !ok {
            return Err(ApiError::new(ErrorCode::UnsupportedMediaType)
                .detail("send the raw message with Content-Type: message/rfc822"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::PayloadTooLarge)
            } else {
                ApiError::new(ErrorCode::BadRequest).detail(e.body_text())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError {
                errors: vec![catalyst_domain::FieldError::new(
                    "body",
                    "required",
                    "the message is empty",
                )],
                ..ApiError::new(ErrorCode::ValidationFailed)
            });
        }
        Ok(RawMessage(bytes))
    }
}

/// Where a signed inbound request names its tenant.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboundQuery {
    /// The tenant's slug; required with an HMAC signature, ignored with a token.
    #[param(max_length = 63)]
    tenant: Option<String>,
}

/// Deliver one inbound email (raw RFC 5322) to a tenant.
///
/// Authenticate in one of two ways:
/// - the tenant's inbound token: `Authorization: Bearer inb_…` (created by an admin with
///   `POST /v1/admin/mail/inbound-token`);
/// - an HMAC signature, for mail services that sign their webhooks: `?tenant=SLUG`,
///   `X-Catalyst-Timestamp: <Unix seconds>` and `X-Catalyst-Signature: sha256=<hex>`, the
///   HMAC-SHA256 of `"<timestamp>.<raw message>"` under the secret from
///   `POST /v1/admin/mail/inbound-hmac-secret`. The timestamp must be within 5 minutes;
///   a replayed message is a duplicate by its Message-ID.
///
/// The message goes through the same pipeline as IMAP polling; the answer says whether
/// it opened a ticket, was added to one, was a duplicate or was quarantined.
#[utoipa::path(
    post,
    path = "/v1/inbound/email",
    tag = "email",
    params(
        InboundQuery,
        ("X-Catalyst-Timestamp" = Option<String>, Header, description = "Unix seconds (HMAC mode)"),
        ("X-Catalyst-Signature" = Option<String>, Header, description = "`sha256=<hex>` (HMAC mode)")
    ),
    security(("bearer" = []), ()),
    request_body(content = Vec<u8>, content_type = "message/rfc822", description = "The raw message"),
    responses(
        (status = 202, body = IngestResult),
        BadRequest,
        Unauthenticated,
        Forbidden,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed
    )
)]
pub async fn inbound(State(s): State<AppState>, req: Request) -> Result<Response, ApiError> {
    // Authenticate before looking at the body: a caller without a token or a tenant with
    // a signing secret learns nothing.
    let headers = req.headers();
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let bearer = text(header::AUTHORIZATION.as_str())
        .and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_string()));
    let signature = text("x-catalyst-signature");
    let timestamp = text("x-catalyst-timestamp");
    let (tenant, hmac_key) = match (bearer, signature) {
        (Some(token), _) => (s.app.authenticate_inbound_token(&token).await?, None),
        (None, Some(sig)) => {
            let slug = axum::extract::Query::<InboundQuery>::try_from_uri(req.uri())
                .ok()
                .and_then(|q| q.0.tenant)
                .ok_or_else(|| {
                    ApiError::new(ErrorCode::Unauthenticated)
                        .detail("a signed request names its tenant with ?tenant=SLUG")
                })?;
            let (tenant, key) = s.app.inbound_hmac_secret(&slug).await?;
            (tenant, Some((key, sig)))
        }
        (None, None) => {
            return Err(ApiError::new(ErrorCode::Unauthenticated).detail(
                "use Authorization: Bearer <inbound token>, or sign the request (X-Catalyst-Signature)",
            ));
        }
    };
    let body = RawMessage::from_request(req, &s).await?;
    if let Some((key, sig)) = hmac_key {
        catalyst_app::mail::verify_inbound_signature(
            &key,
            timestamp.as_deref().unwrap_or_default(),
            &sig,
            &body.0,
            s.app.clock().now(),
        )?;
    }
    let outcome = s.app.ingest_email(tenant, &body.0, Source::Http).await?;
    Ok((StatusCode::ACCEPTED, Json(IngestResult::from(outcome))).into_response())
}

/// The tenant's email settings.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailSettings {
    outbound_enabled: bool,
    inbound_enabled: bool,
    from_address: Option<String>,
    from_name: Option<String>,
    reply_to: Option<String>,
    /// What to do with mail from someone who may not write into the matched ticket.
    #[schema(example = "new_ticket")]
    unknown_sender: String,
    rate_limit_per_hour: i32,
    /// The IMAP URL with the password replaced by `***`.
    #[schema(example = "imaps://helpdesk%40acme.example:***@imap.acme.example/INBOX")]
    imap_url: Option<String>,
    imap_processed_folder: Option<String>,
    /// `ok`, `auth_failed` (an admin must fix the credentials) or `error`.
    imap_status: Option<String>,
    imap_error: Option<String>,
    imap_checked_at: Option<chrono::DateTime<chrono::Utc>>,
    has_inbound_token: bool,
    /// Whether signed (HMAC) inbound requests are accepted.
    has_inbound_hmac_secret: bool,
}

impl From<catalyst_app::mail::MailSettingsView> for MailSettings {
    fn from(v: catalyst_app::mail::MailSettingsView) -> Self {
        MailSettings {
            outbound_enabled: v.outbound_enabled,
            inbound_enabled: v.inbound_enabled,
            from_address: v.from_address,
            from_name: v.from_name,
            reply_to: v.reply_to,
            unknown_sender: v.unknown_sender,
            rate_limit_per_hour: v.rate_limit_per_hour,
            imap_url: v.imap_url,
            imap_processed_folder: v.imap_processed_folder,
            imap_status: v.imap_status,
            imap_error: v.imap_error,
            imap_checked_at: v.imap_checked_at,
            has_inbound_token: v.has_inbound_token,
            has_inbound_hmac_secret: v.has_inbound_hmac_secret,
        }
    }
}

/// Changes to the email settings; absent fields stay, empty strings clear.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MailSettingsChanges {
    outbound_enabled: Option<bool>,
    inbound_enabled: Option<bool>,
    #[schema(max_length = 320)]
    from_address: Option<String>,
    #[schema(max_length = 120)]
    from_name: Option<String>,
    #[schema(max_length = 320)]
    reply_to: Option<String>,
    /// `new_ticket` or `quarantine`.
    #[schema(pattern = "^(new_ticket|quarantine)$")]
    unknown_sender: Option<String>,
    #[schema(minimum = 1, maximum = 10000)]
    #[serde(default, deserialize_with = "opt_json_integer")]
    rate_limit_per_hour: Option<i32>,
    /// `imap://`, `imap+starttls://` or `imaps://user:password@host:port/MAILBOX`;
    /// `***` as the password keeps the stored one.
    #[schema(max_length = 2000)]
    imap_url: Option<String>,
    #[schema(max_length = 200)]
    imap_processed_folder: Option<String>,
}

/// An optional `i32`, also when written with a zero fraction (`610.0`): JSON counts that
/// as an integer.
fn opt_json_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    n.as_i64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 2f64.powi(53))
                .map(|f| f as i64)
        })
        .and_then(|v| i32::try_from(v).ok())
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a 32-bit integer")))
}

/// The tenant's email settings (admins).
#[utoipa::path(get, path = "/v1/admin/mail/settings", tag = "email", security(("bearer" = [])),
    responses((status = 200, body = MailSettings), Unauthenticated, Forbidden))]
pub async fn get_settings(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<MailSettings>, ApiError> {
    Ok(Json(s.app.mail_settings(&a).await?.into()))
}

/// Change the tenant's email settings (admins).
#[utoipa::path(patch, path = "/v1/admin/mail/settings", tag = "email", security(("bearer" = [])),
    request_body = MailSettingsChanges,
    responses((status = 200, body = MailSettings), BadRequest, Unauthenticated, Forbidden, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn update_settings(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: HashedJson<MailSettingsChanges>,
) -> Result<Json<MailSettings>, ApiError> {
    let c = body.value;
    let patch = MailSettingsPatch {
        outbound_enabled: c.outbound_enabled,
        inbound_enabled: c.inbound_enabled,
        from_address: c.from_address,
        from_name: c.from_name,
        reply_to: c.reply_to,
        unknown_sender: c.unknown_sender,
        rate_limit_per_hour: c.rate_limit_per_hour,
        imap_url: c.imap_url,
        imap_processed_folder: c.imap_processed_folder,
    };
    Ok(Json(s.app.update_mail_settings(&a, patch).await?.into()))
}

/// A new inbound token; shown once.
#[derive(Serialize, ToSchema)]
pub struct InboundToken {
    #[schema(example = "inb_acme.3q2-7wZ1c0Jv1aYxQm9wXn4sTg2bLk8e")]
    token: String,
}

/// Create (or replace) the tenant's inbound email token (admins).
#[utoipa::path(post, path = "/v1/admin/mail/inbound-token", tag = "email", security(("bearer" = [])),
    responses((status = 201, body = InboundToken), Unauthenticated, Forbidden))]
pub async fn create_token(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Response, ApiError> {
    let token = s.app.create_inbound_token(&a).await?;
    Ok((StatusCode::CREATED, Json(InboundToken { token })).into_response())
}

/// A new inbound HMAC signing secret; shown once.
#[derive(Serialize, ToSchema)]
pub struct InboundHmacSecret {
    #[schema(example = "whsec_Jm0m5cQ2b3h1sQ9w6vU8kX0yZ4aB7cD1eF2gH3iJ4kL")]
    secret: String,
}

/// Create (or replace) the tenant's secret for signed inbound email (admins).
#[utoipa::path(post, path = "/v1/admin/mail/inbound-hmac-secret", tag = "email", security(("bearer" = [])),
    responses((status = 201, body = InboundHmacSecret), Unauthenticated, Forbidden))]
pub async fn create_hmac_secret(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Response, ApiError> {
    let secret = s.app.create_inbound_hmac_secret(&a).await?;
    Ok((StatusCode::CREATED, Json(InboundHmacSecret { secret })).into_response())
}

/// A notification template (with the tenant's override applied).
#[derive(Serialize, ToSchema)]
pub struct MailTemplate {
    #[schema(example = "agent_reply")]
    kind: String,
    subject: String,
    text: String,
    html: String,
    overridden: bool,
}

impl From<catalyst_app::mail::TemplateView> for MailTemplate {
    fn from(v: catalyst_app::mail::TemplateView) -> Self {
        MailTemplate {
            kind: v.kind,
            subject: v.subject,
            text: v.text,
            html: v.html,
            overridden: v.overridden,
        }
    }
}

/// A template override: minijinja syntax; the HTML part is auto-escaped. Empty or absent
/// parts use the default; all three empty removes the override.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailTemplateInput {
    /// `ticket_created`, `agent_reply`, `requester_reply`, `resolved`, `sla_due_soon` or
    /// `sla_breached`.
    #[schema(
        example = "agent_reply",
        pattern = "^(ticket_created|agent_reply|requester_reply|resolved|sla_due_soon|sla_breached)$"
    )]
    kind: String,
    #[schema(max_length = 65536)]
    subject: Option<String>,
    #[schema(max_length = 65536)]
    text: Option<String>,
    #[schema(max_length = 65536)]
    html: Option<String>,
}

/// The notification templates (admins).
#[utoipa::path(get, path = "/v1/admin/mail/templates", tag = "email", security(("bearer" = [])),
    responses((status = 200, body = Vec<MailTemplate>), Unauthenticated, Forbidden))]
pub async fn list_templates(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<MailTemplate>>, ApiError> {
    Ok(Json(
        s.app
            .mail_templates(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Override a notification template, or remove the override by sending every part empty
/// (admins). A template that does not compile or render is refused with the reason and
/// line.
#[utoipa::path(put, path = "/v1/admin/mail/templates", tag = "email", security(("bearer" = [])),
    request_body = MailTemplateInput,
    responses((status = 200, body = MailTemplate), BadRequest, Unauthenticated, Forbidden, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn save_template(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: HashedJson<MailTemplateInput>,
) -> Result<Json<MailTemplate>, ApiError> {
    let b = body.value;
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    if blank(&b.subject) && blank(&b.text) && blank(&b.html) {
        s.app
            .reset_mail_template(&a, &b.kind)
            .await
            .map_err(kind_error)?;
        let all = s.app.mail_templates(&a).await?;
        return all
            .into_iter()
            .find(|t| t.kind == b.kind)
            .map(|t| Json(t.into()))
            .ok_or_else(|| kind_error(catalyst_app::AppError::NotFound("template")));
    }
    Ok(Json(
        s.app
            .save_mail_template(&a, &b.kind, b.subject, b.text, b.html)
            .await
            .map_err(kind_error)?
            .into(),
    ))
}

/// An unknown template kind is a field error of the body.
fn kind_error(e: catalyst_app::AppError) -> ApiError {
    match e {
        catalyst_app::AppError::NotFound(_) => ApiError {
            errors: vec![catalyst_domain::FieldError::new(
                "kind",
                "unknown",
                "must be ticket_created, agent_reply, requester_reply, resolved, sla_due_soon or sla_breached",
            )],
            ..ApiError::new(ErrorCode::ValidationFailed)
        },
        other => other.into(),
    }
}

/// A quarantined inbound message.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuarantinedMail {
    id: Uuid,
    /// `imap`, `http` or `cli`.
    source: String,
    reason: String,
    detail: Option<String>,
    sender: Option<String>,
    subject: Option<String>,
    message_id: Option<String>,
    size: usize,
    received_at: chrono::DateTime<chrono::Utc>,
}

/// Quarantined inbound mail, newest first (admins).
#[utoipa::path(get, path = "/v1/admin/mail/quarantine", tag = "email", security(("bearer" = [])),
    responses((status = 200, body = Vec<QuarantinedMail>), Unauthenticated, Forbidden))]
pub async fn list_quarantine(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<QuarantinedMail>>, ApiError> {
    Ok(Json(
        s.app
            .list_quarantine(&a)
            .await?
            .into_iter()
            .map(|q| QuarantinedMail {
                id: q.id,
                source: q.source,
                reason: q.reason,
                detail: q.detail,
                sender: q.sender,
                subject: q.subject,
                message_id: q.message_id,
                size: q.size,
                received_at: q.received_at,
            })
            .collect(),
    ))
}

fn parse_id(s: &str) -> Result<Uuid, ApiError> {
    s.parse()
        .map_err(|_| ApiError::new(ErrorCode::NotFound).detail("quarantined message not found"))
}

/// Release (replay) a quarantined message through the pipeline, skipping the check that
/// held it (admins).
#[utoipa::path(post, path = "/v1/admin/mail/quarantine/{id}/release", tag = "email", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = IngestResult), Unauthenticated, Forbidden, NotFound))]
pub async fn release(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<IngestResult>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(s.app.release_quarantined(&a, id).await?.into()))
}

/// Delete a quarantined message (admins).
#[utoipa::path(delete, path = "/v1/admin/mail/quarantine/{id}", tag = "email", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), Unauthenticated, Forbidden, NotFound))]
pub async fn delete_quarantined(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    s.app.delete_quarantined(&a, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A notification that could not be delivered after every retry.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailFailure {
    job_id: Uuid,
    to: Vec<String>,
    subject: String,
    attempts: i32,
    last_error: Option<String>,
    failed_at: chrono::DateTime<chrono::Utc>,
}

/// Notifications that failed for good (admins).
#[utoipa::path(get, path = "/v1/admin/mail/failures", tag = "email", security(("bearer" = [])),
    responses((status = 200, body = Vec<MailFailure>), Unauthenticated, Forbidden))]
pub async fn failures(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<MailFailure>>, ApiError> {
    Ok(Json(
        s.app
            .mail_failures(&a)
            .await?
            .into_iter()
            .map(|f| MailFailure {
                job_id: f.job_id,
                to: f.to,
                subject: f.subject,
                attempts: f.attempts,
                last_error: f.last_error,
                failed_at: f.failed_at,
            })
            .collect(),
    ))
}

/// What one poll of the mailbox did.
#[derive(Serialize, ToSchema)]
pub struct PollResult {
    fetched: usize,
    created: usize,
    appended: usize,
    quarantined: usize,
    duplicates: usize,
    /// `ok`, `auth_failed` or `error`.
    status: Option<String>,
    error: Option<String>,
}

/// Poll the tenant's IMAP mailbox now instead of waiting for the next round (admins).
#[utoipa::path(post, path = "/v1/admin/mail/poll", tag = "email", security(("bearer" = [])),
    responses((status = 200, body = PollResult), Unauthenticated, Forbidden))]
pub async fn poll(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<PollResult>, ApiError> {
    a.require(catalyst_domain::Permission::ManageMembers)?;
    // A failed poll is reported in the settings (status and error), not as a 5xx.
    let r = s.app.poll_imap(a.tenant.id, 50).await.unwrap_or_default();
    let settings = s.app.mail_settings(&a).await?;
    Ok(Json(PollResult {
        fetched: r.fetched,
        created: r.created,
        appended: r.appended,
        quarantined: r.quarantined,
        duplicates: r.duplicates,
        status: settings.imap_status,
        error: settings.imap_error,
    }))
}
