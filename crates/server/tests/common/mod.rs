//! Shared helpers of the in-process HTTP tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test binary uses a part

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use catalyst::config::{Config, Overrides};
use catalyst::{http, startup};
use catalyst_app::members::NewMember;
use catalyst_app::{App, AppSettings, ManualClock, SystemActor};
use catalyst_store::blob::BlobStore;
use catalyst_store::testing::TestDb;

pub const PW: &str = "a long enough password";

pub struct TestApp {
    pub router: Router,
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub db: TestDb,
    _files: tempfile::TempDir,
    /// API tokens by email@tenant.
    pub tokens: HashMap<String, String>,
    /// Writes run on it as in the server (SQLite only).
    _lane: Option<http::lane::WriteLane>,
    _group_writer: Option<tokio::task::JoinHandle<()>>,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> String {
        self.header("location")
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.body))
            .to_string()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// `name=value` of a Set-Cookie header for `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(|c| c.split(';').next().unwrap_or_default().to_string())
    }
}

pub async fn answer(res: Response<Body>) -> Answer {
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub fn config(env: &[(&str, &str)]) -> Config {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::load(None, &env, &Overrides::default()).unwrap()
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(config(&[])).await
    }

    pub async fn with_config(cfg: Config) -> Self {
        let db = TestDb::new().await;
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        ));
        let settings = AppSettings {
            max_failures_per_account: 3,
            max_failures_per_ip: 6,
            ..AppSettings::default()
        };
        let files = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(None, None, files.path(), vec![7u8; 32]).unwrap();
        let mut mail = startup::mail_config(&cfg).unwrap();
        if cfg.email.provider == catalyst::config::EmailProvider::File {
            mail.transport = catalyst_app::mail::MailConfig::outbox(files.path());
        }
        let app = App::new(db.store.clone(), clock.clone(), settings)
            .with_blobs(blobs)
            .with_mail(mail);
        let lane = startup::write_lane(&db.store).unwrap();
        // As in the server: on SQLite, writes are grouped by a writer on the lane.
        let group_writer = lane.as_ref().and_then(|l| {
            let h = l.handle()?;
            let _on_lane = h.enter();
            app.start_group_commit()
        });
        let router = http::router(http::AppState {
            write_lane: lane.as_ref().and_then(http::lane::WriteLane::handle),
            ..startup::state(app.clone(), cfg)
        })
        .layer(MockConnectInfo(SocketAddr::from(([10, 1, 2, 3], 5555))));
        let mut t = TestApp {
            router,
            app,
            clock,
            db,
            _files: files,
            tokens: HashMap::new(),
            _lane: lane,
            _group_writer: group_writer,
        };
        t.seed().await;
        t
    }

    /// Tenants acme and globex, each with admin, agent and requester (+ API tokens);
    /// agent@acme.test is also a requester in globex.
    async fn seed(&mut self) {
        let cli = SystemActor::cli();
        for (slug, name) in [("acme", "Acme Corp"), ("globex", "Globex")] {
            self.app.create_tenant(&cli, slug, name).await.unwrap();
            for role in ["admin", "agent", "requester"] {
                let email = format!("{role}@{slug}.test");
                self.app
                    .add_member(
                        &cli,
                        NewMember {
                            tenant_slug: slug,
                            email: &email,
                            name: None,
                            role,
                            password: Some(PW),
                        },
                    )
                    .await
                    .unwrap();
                let tok = self
                    .app
                    .create_token(&cli, slug, &email, "test")
                    .await
                    .unwrap();
                self.tokens.insert(format!("{email}@{slug}"), tok.token);
            }
        }
        self.app
            .add_member(
                &cli,
                NewMember {
                    tenant_slug: "globex",
                    email: "agent@acme.test",
                    name: None,
                    role: "requester",
                    password: None,
                },
            )
            .await
            .unwrap();
    }

    /// Where the `file` email transport of this app writes `.eml` files.
    pub fn outbox(&self) -> std::path::PathBuf {
        self._files.path().join("outbox")
    }

    pub fn token(&self, email: &str, tenant: &str) -> &str {
        &self.tokens[&format!("{email}@{tenant}")]
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        answer(self.router.clone().oneshot(req).await.unwrap()).await
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>, cookie: Option<&str>) -> Answer {
        let mut b = Request::get(path).header(header::ACCEPT, "text/html,application/json");
        if let Some(t) = bearer {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Answer {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", k, url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut b =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// Signs in through the form; returns the session cookie (`name=value`).
    pub async fn sign_in(&self, email: &str) -> String {
        let (csrf_cookie, csrf) = self.signin_form().await;
        let a = self
            .post_form(
                "/signin",
                &[("email", email), ("password", PW), ("csrf", &csrf)],
                Some(&csrf_cookie),
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        a.cookie("catalyst_session").expect("session cookie")
    }

    /// GET /signin: the CSRF cookie and the token in the form.
    pub async fn signin_form(&self) -> (String, String) {
        let page = self.get("/signin", None, None).await;
        assert_eq!(page.status, StatusCode::OK);
        let cookie = page.cookie("catalyst_csrf").expect("csrf cookie");
        let token = hidden_field(&page.body, "csrf");
        (cookie, token)
    }
}

impl TestApp {
    /// A JSON API call with a bearer token and extra headers.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).unwrap()).await
    }

    /// A multipart upload of one file (plus text fields) with a bearer token.
    pub async fn upload(
        &self,
        path: &str,
        token: &str,
        filename: &str,
        content: &[u8],
        fields: &[(&str, &str)],
    ) -> Answer {
        let mut parts: Vec<Part> = fields.iter().map(|(k, v)| Part::Text(k, v)).collect();
        parts.push(Part::File("file", filename, content));
        let req = Request::post(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from(multipart_body(&parts)))
            .unwrap();
        self.send(req).await
    }
}

/// A part of a multipart body: a text field, or a file (field name, file name, content).
pub enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

pub const BOUNDARY: &str = "catalyst-test-boundary";

/// A `multipart/form-data` body of the parts, in order, with [`BOUNDARY`].
pub fn multipart_body(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        match p {
            Part::Text(k, v) => body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            ),
            Part::File(k, name, content) => {
                body.extend_from_slice(
                    format!(
                        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(content);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// Whether an OpenAPI operation answers with a never-ending event stream (walkers that
/// read whole bodies skip it; it has its own tests).
pub fn is_event_stream(op: &serde_json::Value) -> bool {
    op["responses"]["200"]["content"]
        .get("text/event-stream")
        .is_some()
}
