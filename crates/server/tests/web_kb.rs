//! The knowledge-base and search pages of the web UI, in process.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod common;

use axum::http::StatusCode;
use common::{TestApp, hidden_field};

struct Browser {
    cookie: String,
    csrf: String,
}

async fn browser(t: &TestApp, email: &str) -> Browser {
    let cookie = t.sign_in(email).await;
    let page = t.get("/portal", None, Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    Browser {
        csrf: hidden_field(&page.body, "csrf"),
        cookie,
    }
}

async fn post(t: &TestApp, b: &Browser, path: &str, form: &[(&str, &str)]) -> common::Answer {
    let mut f = vec![("csrf", b.csrf.as_str())];
    f.extend_from_slice(form);
    t.post_form(path, &f, Some(&b.cookie)).await
}

#[tokio::test]
async fn agents_write_with_preview_and_requesters_read_search_and_vote() {
    let t = TestApp::new().await;
    let admin = browser(&t, "admin@acme.test").await;
    let req = browser(&t, "requester@acme.test").await;

    let fields = [
        ("title", "Connect to the VPN"),
        ("body", "Open **GlobalConnect** and sign in."),
        ("category", "Network"),
        ("tags", "vpn, remote"),
        ("visibility", "public"),
        ("status", "published"),
    ];
    let mut preview = fields.to_vec();
    preview.push(("action", "preview"));
    let p = post(&t, &admin, "/agent/kb/new", &preview).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(
        p.body.contains("<strong>GlobalConnect</strong>"),
        "the preview is rendered"
    );
    assert!(
        t.get("/agent/kb", None, Some(&admin.cookie))
            .await
            .body
            .contains("No articles")
    );

    let mut save = fields.to_vec();
    save.push(("action", "save"));
    let s = post(&t, &admin, "/agent/kb/new", &save).await;
    assert_eq!(s.status, StatusCode::SEE_OTHER, "{}", s.body);
    let editor = s.location();
    let id = editor.rsplit('/').next().unwrap().to_string();
    let list = t.get("/agent/kb", None, Some(&admin.cookie)).await;
    assert!(list.body.contains("Connect to the VPN"));
    assert!(
        t.get(&editor, None, Some(&admin.cookie))
            .await
            .body
            .contains("Version 1")
    );

    // Empty title: the editor comes back with the message and what was typed.
    let mut bad = save.clone();
    bad[0] = ("title", "");
    bad.push(("version", "1"));
    let b = post(&t, &admin, &editor, &bad).await;
    assert_eq!(b.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(b.body.contains("role=\"alert\""));
    // A stale form (someone saved meanwhile) is refused, not applied.
    let mut stale = save.clone();
    stale.push(("version", "0"));
    assert_eq!(
        post(&t, &admin, &editor, &stale).await.status,
        StatusCode::CONFLICT
    );

    t.app.search_catch_up().await.unwrap();
    let found = t.get("/portal/kb?q=vnp", None, Some(&req.cookie)).await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains("<mark>VPN</mark>"), "{}", found.body);
    let page = t
        .get(&format!("/portal/kb/{id}"), None, Some(&req.cookie))
        .await;
    assert!(page.body.contains("<strong>GlobalConnect</strong>"));
    let v = post(
        &t,
        &req,
        &format!("/portal/kb/{id}/vote"),
        &[("helpful", "yes")],
    )
    .await;
    assert_eq!(v.status, StatusCode::SEE_OTHER);
    assert!(
        t.get(&v.location(), None, Some(&req.cookie))
            .await
            .body
            .contains("1 found this helpful")
    );

    let s = t
        .get("/portal/search?q=globalconnect", None, Some(&req.cookie))
        .await;
    assert!(s.body.contains("1 result"), "{}", s.body);
    // Absurd page numbers are clamped to the deepest page the index serves: no huge
    // allocation, no overflow (both once took the process down).
    for page in ["100000000", "922337203685477582", "18446744073709551615"] {
        let deep = t
            .get(
                &format!("/portal/search?q=globalconnect&page={page}"),
                None,
                Some(&req.cookie),
            )
            .await;
        assert_eq!(deep.status, StatusCode::OK, "page {page}: {}", deep.body);
        assert!(deep.body.contains("1 result"), "{}", deep.body);
    }
    assert_eq!(
        t.get("/agent/kb", None, Some(&req.cookie)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.get("/admin/search", None, Some(&req.cookie)).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn admins_edit_synonyms_see_zero_result_queries_and_reindex() {
    let t = TestApp::new().await;
    let admin = browser(&t, "admin@acme.test").await;
    t.app.search_catch_up().await.unwrap();
    t.get("/agent/search?q=flux+capacitor", None, Some(&admin.cookie))
        .await;

    let page = t.get("/admin/search", None, Some(&admin.cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("flux capacitor"));

    let bad = post(
        &t,
        &admin,
        "/admin/search/synonyms",
        &[("synonyms", "lonely")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("needs at least one synonym"));
    let ok = post(
        &t,
        &admin,
        "/admin/search/synonyms",
        &[("synonyms", "VPN, virtual private network\nwifi, wireless")],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let page = t.get(&ok.location(), None, Some(&admin.cookie)).await;
    assert!(
        page.body
            .contains("vpn, virtual private network\nwifi, wireless")
    );

    let r = post(&t, &admin, "/admin/search/reindex", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Reindexed: 0 of 0 tickets"), "{}", r.body);
}

#[tokio::test]
async fn article_lists_are_paged() {
    let t = TestApp::new().await;
    let agent = t.token("agent@acme.test", "acme").to_string();
    for i in 0..53 {
        let visibility = if i % 10 == 9 { "internal" } else { "public" };
        let a = t
            .api(
                "POST",
                "/v1/kb/articles",
                &agent,
                Some(serde_json::json!({
                    "title": format!("Paged article {i:02}"),
                    "body": "Text.",
                    "visibility": visibility,
                    "status": "published",
                })),
                &[],
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    }
    let req = browser(&t, "requester@acme.test").await;
    let admin = browser(&t, "admin@acme.test").await;
    let count = |body: &str| body.matches("Paged article").count();

    // Requesters: 48 public articles, 50 per page.
    let p1 = t.get("/portal/kb", None, Some(&req.cookie)).await;
    assert_eq!(p1.status, StatusCode::OK);
    assert_eq!(count(&p1.body), 48, "{}", p1.body);
    assert!(!p1.body.contains("Page 1 of"), "one page only: {}", p1.body);

    // Agents: all 53 in the knowledge-base list, over two pages.
    let a1 = t.get("/agent/kb", None, Some(&admin.cookie)).await;
    assert_eq!(count(&a1.body), 50);
    assert!(a1.body.contains("Page 1 of 2"), "{}", a1.body);
    assert!(a1.body.contains("page=2"), "{}", a1.body);
    let a2 = t.get("/agent/kb?page=2", None, Some(&admin.cookie)).await;
    assert_eq!(count(&a2.body), 3, "{}", a2.body);
    assert!(a2.body.contains("Page 2 of 2"));
    // The status tab is kept across pages; absurd pages answer, empty.
    let pub2 = t
        .get(
            "/agent/kb?status=published&page=2",
            None,
            Some(&admin.cookie),
        )
        .await;
    assert!(
        pub2.body.contains("status=published&amp;page=1"),
        "{}",
        pub2.body
    );
    for page in ["0", "999999999", "18446744073709551615"] {
        let r = t
            .get(&format!("/portal/kb?page={page}"), None, Some(&req.cookie))
            .await;
        assert_eq!(r.status, StatusCode::OK, "page {page}: {}", r.body);
    }
    let far = t.get("/portal/kb?page=3", None, Some(&req.cookie)).await;
    assert!(far.body.contains("No more articles"), "{}", far.body);
}
