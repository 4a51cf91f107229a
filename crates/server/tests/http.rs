//! In-process HTTP tests (`tower::ServiceExt::oneshot`) on SQLite, and on PostgreSQL when
//! `CATALYST_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use common::{PW, TestApp, config, hidden_field};

#[tokio::test]
async fn probes_docs_and_metrics_answer_with_security_headers() {
    let t = TestApp::new().await;
    for path in ["/healthz", "/readyz", "/openapi.json", "/docs/", "/signin"] {
        let a = t.get(path, None, None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
        assert!(
            a.header("x-request-id").is_some_and(|v| !v.is_empty()),
            "{path}"
        );
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"));
        assert!(
            a.header("content-security-policy")
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert!(
            a.header("strict-transport-security").is_none(),
            "no HSTS over http"
        );
    }
    let csp1 = t
        .get("/signin", None, None)
        .await
        .header("content-security-policy")
        .unwrap()
        .to_string();
    let csp2 = t
        .get("/signin", None, None)
        .await
        .header("content-security-policy")
        .unwrap()
        .to_string();
    assert!(
        csp1.contains("'nonce-") && csp1 != csp2,
        "a fresh nonce per request"
    );
    let m = t.get("/metrics", None, None).await;
    assert!(m.body.contains("http_requests_total"), "{}", m.body);
    assert!(m.body.contains("route=\"/signin\""), "{}", m.body);
    assert!(m.body.contains("http_request_duration_seconds_bucket"));
    // An incoming request id is kept.
    let a = t
        .send(
            Request::get("/healthz")
                .header("x-request-id", "abc-123")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(a.header("x-request-id"), Some("abc-123"));
}

#[tokio::test]
async fn openapi_document_describes_the_api() {
    let t = TestApp::new().await;
    let doc = t.get("/openapi.json", None, None).await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for p in ["/healthz", "/readyz", "/v1/me", "/v1/members"] {
        assert!(doc["paths"][p].is_object(), "{p} missing");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn hsts_and_secure_cookies_under_https() {
    let t = TestApp::with_config(config(&[("WEB_BASE_URL", "https://help.example.com")])).await;
    let a = t.get("/signin", None, None).await;
    assert!(
        a.header("strict-transport-security")
            .unwrap()
            .contains("max-age=")
    );
    let set = a.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(
        set.starts_with("__Host-catalyst_csrf=") && set.contains("Secure"),
        "{set}"
    );
}

#[tokio::test]
async fn me_reports_user_tenant_and_effective_roles() {
    let t = TestApp::new().await;
    let a = t
        .get("/v1/me", Some(t.token("admin@acme.test", "acme")), None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let me = a.json();
    assert_eq!(me["user"]["email"], "admin@acme.test");
    assert_eq!(me["tenant"]["slug"], "acme");
    assert_eq!(
        me["roles"],
        serde_json::json!(["requester", "agent", "admin"])
    );
    let r = t
        .get(
            "/v1/me",
            Some(t.token("requester@globex.test", "globex")),
            None,
        )
        .await
        .json();
    assert_eq!(r["tenant"]["slug"], "globex");
    assert_eq!(r["roles"], serde_json::json!(["requester"]));
}

#[tokio::test]
async fn bad_credentials_get_a_problem_with_a_stable_code() {
    let t = TestApp::new().await;
    for auth in [
        "Bearer nonsense",
        "Basic YTpi",
        "Bearer cat_00000000000000000000000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        let a = t
            .send(
                Request::get("/v1/me")
                    .header(header::AUTHORIZATION, auth)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{auth}");
        assert_eq!(a.header("content-type"), Some("application/problem+json"));
        assert_eq!(a.json()["code"], "unauthenticated");
    }
    let a = t.get("/v1/me", None, None).await;
    assert_eq!(a.json()["code"], "unauthenticated");
    assert_eq!(
        a.json()["requestId"].as_str(),
        a.header("x-request-id"),
        "problems carry the request id"
    );
    let a = t
        .send(Request::post("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.json()["code"], "method_not_allowed");
    let a = t.get("/v1/nothing-here", None, None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.json()["code"], "not_found");
}

#[tokio::test]
async fn members_are_for_admins_of_the_same_tenant_only() {
    let t = TestApp::new().await;
    let a = t
        .get(
            "/v1/members",
            Some(t.token("admin@acme.test", "acme")),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let emails: Vec<String> = a.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        emails,
        ["admin@acme.test", "agent@acme.test", "requester@acme.test"]
    );
    for who in ["agent@acme.test", "requester@acme.test"] {
        let a = t.get("/v1/members", Some(t.token(who, "acme")), None).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(a.json()["code"], "forbidden");
    }
    let b = t
        .get(
            "/v1/members",
            Some(t.token("admin@globex.test", "globex")),
            None,
        )
        .await;
    assert_eq!(b.status, StatusCode::OK);
    let emails: Vec<String> = b.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap().to_string())
        .collect();
    // agent@acme.test is also a member of globex; acme's other members are not listed.
    let mut emails = emails;
    emails.sort();
    assert_eq!(
        emails,
        [
            "admin@globex.test",
            "agent@acme.test",
            "agent@globex.test",
            "requester@globex.test"
        ]
    );
}

/// Walks every `/v1` GET operation of the OpenAPI document with tenant B's credentials
/// (each role) and asserts that nothing of tenant A comes back. New routes are covered
/// automatically.
#[tokio::test]
async fn tenant_b_credentials_never_return_tenant_a_data() {
    let t = TestApp::new().await;
    let acme = t
        .get("/v1/me", Some(t.token("admin@acme.test", "acme")), None)
        .await
        .json();
    let acme_markers = [
        acme["tenant"]["id"].as_str().unwrap().to_string(),
        "Acme Corp".to_string(),
        "requester@acme.test".to_string(),
        "admin@acme.test".to_string(),
    ];
    let doc = t.get("/openapi.json", None, None).await.json();
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/")
            || ops.get("get").is_none()
            || path.contains('{')
            || common::is_event_stream(&ops["get"])
        {
            continue;
        }
        for role in ["admin", "agent", "requester"] {
            let a = t
                .get(
                    path,
                    Some(t.token(&format!("{role}@globex.test"), "globex")),
                    None,
                )
                .await;
            assert!(
                a.status.is_success()
                    || a.status == StatusCode::FORBIDDEN
                    || a.status == StatusCode::NOT_FOUND,
                "{path} as {role}: {}",
                a.status
            );
            for m in &acme_markers {
                assert!(
                    !a.body.contains(m.as_str()),
                    "{path} as globex {role} leaked {m}: {}",
                    a.body
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 6, "walked {checked} operations");
}

#[tokio::test]
async fn sign_in_reaches_the_role_home_and_pages_are_guarded() {
    let t = TestApp::new().await;
    // Signed out: pages redirect to the sign-in form.
    for p in [
        "/",
        "/portal",
        "/agent",
        "/admin",
        "/admin/members",
        "/tenants",
    ] {
        let a = t.get(p, None, None).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{p}");
        assert_eq!(a.header("location"), Some("/signin"), "{p}");
    }
    let admin = t.sign_in("admin@acme.test").await;
    let a = t.get("/", None, Some(&admin)).await;
    assert_eq!(a.header("location"), Some("/admin"));
    let page = t.get("/admin/members", None, Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("requester@acme.test") && !page.body.contains("globex.test"));

    let req = t.sign_in("requester@acme.test").await;
    assert_eq!(
        t.get("/", None, Some(&req)).await.header("location"),
        Some("/portal")
    );
    let portal = t.get("/portal", None, Some(&req)).await;
    assert_eq!(portal.status, StatusCode::OK);
    assert!(
        !portal.body.contains("href=\"/admin\""),
        "no admin link for requesters"
    );
    for p in ["/admin", "/admin/members", "/agent"] {
        let a = t.get(p, None, Some(&req)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{p}");
        assert!(a.body.contains("Access denied"), "{p}");
    }
    // The session also authenticates API reads.
    let me = t.get("/v1/me", None, Some(&req)).await.json();
    assert_eq!(me["user"]["email"], "requester@acme.test");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let t = TestApp::new().await;
    let (cookie, csrf) = t.signin_form().await;
    let wrong = t
        .post_form(
            "/signin",
            &[
                ("email", "admin@acme.test"),
                ("password", "not the password"),
                ("csrf", &csrf),
            ],
            Some(&cookie),
        )
        .await;
    let unknown = t
        .post_form(
            "/signin",
            &[
                ("email", "ghost@acme.test"),
                ("password", "not the password"),
                ("csrf", &csrf),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.body.contains("role=\"alert\"") && wrong.body.contains("Wrong email or password")
    );
    assert_eq!(
        wrong.body.replace("admin@acme.test", "X"),
        unknown.body.replace("ghost@acme.test", "X"),
        "same page apart from the echoed email"
    );
    assert!(wrong.cookie("catalyst_session").is_none());
}

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let t = TestApp::new().await;
    let (cookie, csrf) = t.signin_form().await;
    // No token, wrong token, token without its cookie.
    for (form_csrf, c) in [
        ("", Some(cookie.as_str())),
        ("forged", Some(cookie.as_str())),
        (csrf.as_str(), None),
    ] {
        let a = t
            .post_form(
                "/signin",
                &[
                    ("email", "admin@acme.test"),
                    ("password", PW),
                    ("csrf", form_csrf),
                ],
                c,
            )
            .await;
        assert_eq!(
            a.status,
            StatusCode::FORBIDDEN,
            "csrf={form_csrf:?} cookie={c:?}"
        );
        assert!(a.cookie("catalyst_session").is_none());
    }
    let session = t.sign_in("admin@acme.test").await;
    let a = t
        .post_form("/signout", &[("csrf", "forged")], Some(&session))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.get("/admin", None, Some(&session)).await.status,
        StatusCode::OK,
        "still signed in"
    );
    // API writes with a session cookie need the X-CSRF-Token header.
    let a = t
        .send(
            Request::post("/v1/me")
                .header(header::COOKIE, &session)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let t = TestApp::new().await;
    let session = t.sign_in("agent@globex.test").await;
    let page = t.get("/agent", None, Some(&session)).await;
    let csrf = hidden_field(&page.body, "csrf");
    let a = t
        .post_form("/signout", &[("csrf", &csrf)], Some(&session))
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.header("location"), Some("/signin"));
    // Replaying the old cookie does not work.
    let a = t.get("/agent", None, Some(&session)).await;
    assert_eq!(a.header("location"), Some("/signin"));
    assert_eq!(
        t.get("/v1/me", None, Some(&session)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sessions_expire() {
    let t = TestApp::new().await;
    let session = t.sign_in("admin@acme.test").await;
    t.clock.advance(chrono::Duration::hours(13));
    assert_eq!(
        t.get("/admin", None, Some(&session))
            .await
            .header("location"),
        Some("/signin")
    );
}

#[tokio::test]
async fn a_member_of_two_tenants_chooses_and_switches_but_not_into_foreign_ones() {
    let t = TestApp::new().await;
    let s = t.sign_in("agent@acme.test").await;
    assert_eq!(
        t.get("/", None, Some(&s)).await.header("location"),
        Some("/tenants")
    );
    let page = t.get("/tenants", None, Some(&s)).await;
    assert!(
        page.body.contains("Choose a workspace")
            && page.body.contains("Acme Corp")
            && page.body.contains("Globex")
    );
    let me = t.get("/v1/me", None, Some(&s)).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "no tenant chosen yet");
    let csrf = hidden_field(&page.body, "csrf");
    let globex = t
        .get("/v1/me", Some(t.token("admin@globex.test", "globex")), None)
        .await
        .json()["tenant"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = t
        .post_form(
            "/tenants/switch",
            &[("csrf", &csrf), ("tenant", &globex)],
            Some(&s),
        )
        .await;
    assert_eq!(a.header("location"), Some("/portal"));
    assert_eq!(
        t.get("/v1/me", None, Some(&s)).await.json()["tenant"]["slug"],
        "globex"
    );
    assert_eq!(
        t.get("/agent", None, Some(&s)).await.status,
        StatusCode::FORBIDDEN,
        "a requester in globex"
    );

    // A requester of acme cannot switch into globex, even with its id.
    let r = t.sign_in("requester@acme.test").await;
    let csrf = hidden_field(&t.get("/portal", None, Some(&r)).await.body, "csrf");
    let a = t
        .post_form(
            "/tenants/switch",
            &[("csrf", &csrf), ("tenant", &globex)],
            Some(&r),
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.get("/v1/me", None, Some(&r)).await.json()["tenant"]["slug"],
        "acme"
    );
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled_with_retry_after() {
    let t = TestApp::new().await;
    let (cookie, csrf) = t.signin_form().await;
    for _ in 0..3 {
        let a = t
            .post_form(
                "/signin",
                &[
                    ("email", "admin@acme.test"),
                    ("password", "wrong password"),
                    ("csrf", &csrf),
                ],
                Some(&cookie),
            )
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let a = t
        .post_form(
            "/signin",
            &[
                ("email", "admin@acme.test"),
                ("password", PW),
                ("csrf", &csrf),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900);
    assert!(a.body.contains("Too many failed attempts"));
    t.clock.advance(chrono::Duration::seconds(retry as i64 + 1));
    let a = t
        .post_form(
            "/signin",
            &[
                ("email", "admin@acme.test"),
                ("password", PW),
                ("csrf", &csrf),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_rejected_without_effect() {
    let t = TestApp::with_config(config(&[("CATALYST_BODY_LIMIT_KB", "4")])).await;
    let (cookie, csrf) = t.signin_form().await;
    let big = "x".repeat(8 * 1024);
    let a = t
        .post_form(
            "/signin",
            &[
                ("email", "admin@acme.test"),
                ("password", &big),
                ("csrf", &csrf),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    let a = t
        .send(
            Request::post("/signin")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::COOKIE, &cookie)
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", a.body);
}
