//! The write lane: on SQLite, requests that change data run on a runtime of their own.
//!
//! SQLite has one writer, and a write transaction holds it for a dozen statements, each a
//! round trip to the database's worker thread. On the shared runtime every round trip put
//! the request back in a run queue behind the reads being served, so under mixed load the
//! writer stood idle for most of the time it was held and writes queued behind it. On a
//! runtime of their own the writes' continuations run as soon as their statement is done;
//! reads keep the main runtime. PostgreSQL has no single writer and gets no lane.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::runtime::{Handle, Runtime};
use tracing::Instrument;

use super::error::{ApiError, ErrorCode};

/// The runtime that writes run on; dropped (in the background) when the server stops.
pub struct WriteLane {
    runtime: Option<Runtime>,
}

impl WriteLane {
    /// A lane of one worker thread.
    pub fn start() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("catalyst-writes")
            .enable_all()
            .build()?;
        Ok(Self {
            runtime: Some(runtime),
        })
    }

    pub fn handle(&self) -> Option<Handle> {
        self.runtime.as_ref().map(|r| r.handle().clone())
    }
}

impl Drop for WriteLane {
    fn drop(&mut self) {
        // Dropping a runtime from async code would block; let it wind down on its own.
        if let Some(r) = self.runtime.take() {
            r.shutdown_background();
        }
    }
}

/// Aborts the task when the request is dropped (a client gone or the timeout fired), as
/// the request's own future would have been dropped without the lane.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Middleware: runs requests that are not safe methods (POST, PUT, PATCH, DELETE) on the
/// lane, when there is one.
pub async fn route(lane: Option<Handle>, req: Request, next: Next) -> Response {
    let Some(lane) = lane.filter(|_| !req.method().is_safe()) else {
        return next.run(req).await;
    };
    let mut task = AbortOnDrop(lane.spawn(next.run(req).instrument(tracing::Span::current())));
    match (&mut task.0).await {
        Ok(response) => response,
        // A panic in the handler: the same answer the panic layer gives.
        Err(e) => {
            tracing::error!(error = %e, "request task failed");
            ApiError::new(ErrorCode::Internal).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Method, StatusCode};
    use axum::routing::{get, post};
    use tokio::sync::oneshot;
    use tower::ServiceExt;

    use super::*;

    fn thread_name() -> String {
        std::thread::current()
            .name()
            .unwrap_or_default()
            .to_string()
    }

    fn app(lane: &WriteLane, routes: Router) -> Router {
        let h = lane.handle();
        routes.layer(axum::middleware::from_fn(move |req, next| {
            route(h.clone(), req, next)
        }))
    }

    async fn call(router: &Router, method: Method, path: &str) -> (StatusCode, String) {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let res = router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn writes_run_on_the_lane_and_reads_where_they_arrive() {
        let lane = WriteLane::start().unwrap();
        let router = app(
            &lane,
            Router::new().route(
                "/where",
                get(|| async { thread_name() }).post(|| async { thread_name() }),
            ),
        );
        let (status, on) = call(&router, Method::POST, "/where").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(on, "catalyst-writes");
        let (_, on) = call(&router, Method::GET, "/where").await;
        assert_ne!(on, "catalyst-writes");
        assert_eq!(on, thread_name());
    }

    #[tokio::test]
    async fn a_panicking_write_answers_500_and_the_lane_goes_on() {
        let lane = WriteLane::start().unwrap();
        let router = app(
            &lane,
            Router::new()
                .route(
                    "/boom",
                    post(|| async {
                        if thread_name() == "catalyst-writes" {
                            panic!("handler failed");
                        }
                        "not on the lane"
                    }),
                )
                .route("/ok", post(|| async { "fine" })),
        );
        let (status, body) = call(&router, Method::POST, "/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("internal"), "{body}");
        assert_eq!(call(&router, Method::POST, "/ok").await.1, "fine");
    }

    #[tokio::test]
    async fn a_dropped_request_stops_its_write() {
        let lane = WriteLane::start().unwrap();
        let (started_tx, started_rx) = oneshot::channel::<()>();
        let (held_tx, held_rx) = oneshot::channel::<()>();
        let slots = Arc::new(Mutex::new(Some((started_tx, held_tx))));
        let router = app(
            &lane,
            Router::new().route(
                "/slow",
                post(move || {
                    let slots = slots.clone();
                    async move {
                        let (started, _held) = slots.lock().unwrap().take().unwrap();
                        started.send(()).unwrap();
                        // Holds `_held` until the task is dropped.
                        std::future::pending::<()>().await;
                        "never"
                    }
                }),
            ),
        );
        let req = Request::builder()
            .method(Method::POST)
            .uri("/slow")
            .body(Body::empty())
            .unwrap();
        let mut pending = Box::pin(router.oneshot(req));
        tokio::select! {
            _ = &mut pending => panic!("the request finished"),
            r = started_rx => r.unwrap(),
        }
        drop(pending);
        // The handler's task was aborted, which dropped the sender it held.
        let held = tokio::time::timeout(std::time::Duration::from_secs(10), held_rx).await;
        assert!(matches!(held, Ok(Err(_))), "the write kept running");
    }
}
