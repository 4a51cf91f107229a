//! Local file downloads through HMAC-signed, short-lived URLs (cloud stores use their own
//! SAS / presigned URLs instead). The signature is the authorisation.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use catalyst_store::blob::{BlobError, SignedQuery, content_disposition};

use crate::http::AppState;
use crate::http::error::{ApiError, ErrorCode};

pub async fn download(
    State(s): State<AppState>,
    Path(key): Path<String>,
    q: Result<Query<SignedQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return ApiError::new(ErrorCode::Forbidden)
            .detail("the download link is not valid")
            .into_response();
    };
    let blobs = match s.app.blobs() {
        Ok(b) => b,
        Err(e) => return ApiError::from(e).into_response(),
    };
    match blobs.verify_local(&key, &q, s.app.clock().now()) {
        Ok(()) => {}
        Err(BlobError::Expired) => {
            return ApiError::new(ErrorCode::Forbidden)
                .detail("the download link has expired")
                .into_response();
        }
        Err(_) => {
            return ApiError::new(ErrorCode::Forbidden)
                .detail("the download link is not valid")
                .into_response();
        }
    }
    let (size, stream) = match blobs.get_stream(&key).await {
        Ok(x) => x,
        Err(BlobError::NotFound) => return ApiError::new(ErrorCode::NotFound).into_response(),
        Err(e) => return ApiError::from(catalyst_app::AppError::from(e)).into_response(),
    };
    let mut res = (StatusCode::OK, Body::from_stream(stream)).into_response();
    let h = res.headers_mut();
    let ct = HeaderValue::from_str(&q.ct)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, ct);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&q.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}
