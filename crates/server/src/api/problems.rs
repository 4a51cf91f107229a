//! The problem answers of the API as OpenAPI responses, one type per status, to list in
//! `responses(...)` of `#[utoipa::path]`. They only describe answers; `ApiError` makes them.

use utoipa::IntoResponses;

use crate::http::error::Problem;

/// `bad_request`: the body can't be parsed, e.g. malformed JSON or a broken multipart form.
#[derive(IntoResponses)]
#[response(status = 400, content_type = "application/problem+json")]
pub struct BadRequest(pub Problem);

/// `unauthenticated`: no valid token or session.
#[derive(IntoResponses)]
#[response(status = 401, content_type = "application/problem+json")]
pub struct Unauthenticated(pub Problem);

/// `forbidden`: the caller's role doesn't allow this; `csrf_failed`: a session request
/// without its CSRF token.
#[derive(IntoResponses)]
#[response(status = 403, content_type = "application/problem+json")]
pub struct Forbidden(pub Problem);

/// `not_found`: no such resource in this tenant.
#[derive(IntoResponses)]
#[response(status = 404, content_type = "application/problem+json")]
pub struct NotFound(pub Problem);

/// `conflict`: conflicts with existing data, e.g. a taken name, or an `Idempotency-Key`
/// reused with a different body.
#[derive(IntoResponses)]
#[response(status = 409, content_type = "application/problem+json")]
pub struct Conflict(pub Problem);

/// `precondition_failed`: `If-Match` names an older version.
#[derive(IntoResponses)]
#[response(status = 412, content_type = "application/problem+json")]
pub struct PreconditionFailed(pub Problem);

/// `payload_too_large`: the body exceeds the limit.
#[derive(IntoResponses)]
#[response(status = 413, content_type = "application/problem+json")]
pub struct PayloadTooLarge(pub Problem);

/// `unsupported_media_type`: the body isn't in the documented content type.
#[derive(IntoResponses)]
#[response(status = 415, content_type = "application/problem+json")]
pub struct UnsupportedMediaType(pub Problem);

/// `validation_failed`: a field is invalid; `errors` lists each one.
#[derive(IntoResponses)]
#[response(status = 422, content_type = "application/problem+json")]
pub struct ValidationFailed(pub Problem);

/// `precondition_required`: `If-Match` is missing.
#[derive(IntoResponses)]
#[response(status = 428, content_type = "application/problem+json")]
pub struct PreconditionRequired(pub Problem);
