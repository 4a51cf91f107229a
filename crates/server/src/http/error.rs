//! Errors as RFC 9457 `application/problem+json`, from one table of stable codes.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use catalyst_app::AppError;
use catalyst_domain::FieldError;

/// Every error code the API can answer with. The table in `ErrorCode::status_and_title`
/// is the single source; docs/api.md lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    ValidationFailed,
    BadRequest,
    UnsupportedMediaType,
    PayloadTooLarge,
    Unauthenticated,
    BadCredentials,
    Forbidden,
    CsrfFailed,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    Internal,
    NotReady,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::ValidationFailed,
        ErrorCode::BadRequest,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Unauthenticated,
        ErrorCode::BadCredentials,
        ErrorCode::Forbidden,
        ErrorCode::CsrfFailed,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Conflict,
        ErrorCode::PreconditionFailed,
        ErrorCode::PreconditionRequired,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::NotReady,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::BadCredentials => "bad_credentials",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::CsrfFailed => "csrf_failed",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::PreconditionRequired => "precondition_required",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
            ErrorCode::NotReady => "not_ready",
        }
    }

    pub fn status_and_title(self) -> (StatusCode, &'static str) {
        match self {
            ErrorCode::ValidationFailed => {
                (StatusCode::UNPROCESSABLE_ENTITY, "The input is not valid")
            }
            ErrorCode::BadRequest => (StatusCode::BAD_REQUEST, "The request is malformed"),
            ErrorCode::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported content type",
            ),
            ErrorCode::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large",
            ),
            ErrorCode::Unauthenticated => (StatusCode::UNAUTHORIZED, "Authentication required"),
            ErrorCode::BadCredentials => (StatusCode::UNAUTHORIZED, "Wrong email or password"),
            ErrorCode::Forbidden => (StatusCode::FORBIDDEN, "Not allowed"),
            ErrorCode::CsrfFailed => (
                StatusCode::FORBIDDEN,
                "The form has expired; reload the page and try again",
            ),
            ErrorCode::NotFound => (StatusCode::NOT_FOUND, "Not found"),
            ErrorCode::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "Method not allowed"),
            ErrorCode::Conflict => (StatusCode::CONFLICT, "Conflicts with existing data"),
            ErrorCode::PreconditionFailed => (
                StatusCode::PRECONDITION_FAILED,
                "Changed by someone else meanwhile",
            ),
            ErrorCode::PreconditionRequired => {
                (StatusCode::PRECONDITION_REQUIRED, "If-Match is required")
            }
            ErrorCode::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts"),
            ErrorCode::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "Internal error"),
            ErrorCode::NotReady => (StatusCode::SERVICE_UNAVAILABLE, "Not ready"),
        }
    }
}

/// One field at fault.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// RFC 9457 problem details.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// `urn:catalyst:problem:<code>`
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable machine-readable code.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// An error answer of the API.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: Option<String>,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            detail: None,
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    pub fn problem(&self) -> Problem {
        let (status, title) = self.code.status_and_title();
        Problem {
            kind: format!("urn:catalyst:problem:{}", self.code.as_str()),
            title: title.to_string(),
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.as_str().to_string(),
            errors: self
                .errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field.to_string(),
                    code: e.code.to_string(),
                    message: e.message.clone(),
                })
                .collect(),
            request_id: super::current_request_id(),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation(errors) => ApiError {
                errors,
                ..ApiError::new(ErrorCode::ValidationFailed)
            },
            AppError::BadCredentials => ApiError::new(ErrorCode::BadCredentials),
            AppError::Unauthenticated => ApiError::new(ErrorCode::Unauthenticated),
            AppError::Forbidden => ApiError::new(ErrorCode::Forbidden),
            AppError::NotFound(what) => {
                ApiError::new(ErrorCode::NotFound).detail(format!("{what} not found"))
            }
            AppError::Conflict(f) => ApiError {
                detail: Some(f.message.clone()),
                errors: vec![f],
                ..ApiError::new(ErrorCode::Conflict)
            },
            AppError::Throttled { retry_after_secs } => ApiError {
                retry_after: Some(retry_after_secs),
                ..ApiError::new(ErrorCode::RateLimited)
                    .detail(format!("try again in {retry_after_secs} seconds"))
            },
            AppError::TooLarge { max_bytes } => {
                ApiError::new(ErrorCode::PayloadTooLarge).detail(format!(
                    "the file is larger than the limit of {} MB",
                    max_bytes / (1024 * 1024)
                ))
            }
            AppError::UnsupportedType(reason) => ApiError {
                errors: vec![FieldError::new("file", "type", reason.clone())],
                ..ApiError::new(ErrorCode::UnsupportedMediaType).detail(reason)
            },
            AppError::Store(err) => {
                tracing::error!(error = %err, "store failure");
                ApiError::new(ErrorCode::Internal)
            }
            AppError::Internal(msg) => {
                tracing::error!(error = %msg, "internal failure");
                ApiError::new(ErrorCode::Internal)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _) = self.code.status_and_title();
        let mut res = (status, Json(self.problem())).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// Maps axum's body-extraction rejections to problems.
impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as J;
        let code = match &r {
            J::MissingJsonContentType(_) => ErrorCode::UnsupportedMediaType,
            J::JsonDataError(_) => ErrorCode::ValidationFailed,
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            _ => ErrorCode::BadRequest,
        };
        ApiError::new(code).detail(r.body_text())
    }
}

impl From<axum::extract::rejection::FormRejection> for ApiError {
    fn from(r: axum::extract::rejection::FormRejection) -> Self {
        let code = match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::ValidationFailed,
            _ => ErrorCode::BadRequest,
        };
        ApiError::new(code).detail(r.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_every_code_is_used() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {}", c.as_str());
        }
        // Every variant must be constructed somewhere outside this table.
        let src_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut sources = String::new();
        let mut stack = vec![src_dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("http/error.rs")
                {
                    sources.push_str(&std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        let this = include_str!("error.rs");
        let from_impls =
            &this[this.find("impl From<AppError>").unwrap()..this.find("#[cfg(test)]").unwrap()];
        for c in ErrorCode::ALL {
            let name = format!("ErrorCode::{c:?}");
            assert!(
                sources.contains(&name) || from_impls.contains(&name),
                "{name} is never used"
            );
        }
    }
}
