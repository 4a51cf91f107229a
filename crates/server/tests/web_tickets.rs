//! The ticket pages of the web UI, in process: portal, agent console, admin queues. Runs
//! on SQLite, and on PostgreSQL when `CATALYST_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;

use catalyst_app::SystemActor;
use catalyst_app::members::NewMember;
use common::{Answer, BOUNDARY, PW, Part, hidden_field, multipart_body, url_encode};

// ---------- harness ----------

/// The shared test server (tenants acme and globex) plus a second requester in acme.
struct TestApp {
    inner: common::TestApp,
}

/// The ticket id at the end of a `/portal/tickets/{id}` or `/agent/tickets/{id}` path.
fn ticket_id(location: &str) -> String {
    let id = location.rsplit('/').next().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{location}");
    id.to_string()
}

/// A signed-in browser: its session cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

impl TestApp {
    async fn new() -> Self {
        Self::with_env(&[]).await
    }

    async fn with_env(env: &[(&str, &str)]) -> Self {
        let inner = common::TestApp::with_config(common::config(env)).await;
        inner
            .app
            .add_member(
                &SystemActor::cli(),
                NewMember {
                    tenant_slug: "acme",
                    email: "other@acme.test",
                    name: None,
                    role: "requester",
                    password: Some(PW),
                },
            )
            .await
            .unwrap();
        TestApp { inner }
    }

    async fn send(&self, req: Request<Body>) -> Answer {
        self.inner.send(req).await
    }

    async fn get(&self, path: &str, b: Option<&Browser>) -> Answer {
        let mut r = Request::get(path).header(header::ACCEPT, "text/html");
        if let Some(b) = b {
            r = r.header(header::COOKIE, &b.cookie);
        }
        self.send(r.body(Body::empty()).unwrap()).await
    }

    async fn post_form(&self, path: &str, form: &[(&str, &str)], b: &Browser) -> Answer {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", k, url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &b.cookie)
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    async fn post_multipart(&self, path: &str, parts: &[Part<'_>], b: &Browser) -> Answer {
        let req = Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header(header::COOKIE, &b.cookie)
            .body(Body::from(multipart_body(parts)))
            .unwrap();
        self.send(req).await
    }

    /// Signs in through the form (choosing Acme Corp when the user belongs to several
    /// workspaces).
    async fn sign_in(&self, email: &str) -> Browser {
        let cookie = self.inner.sign_in(email).await;
        let mut b = Browser {
            cookie,
            csrf: String::new(),
        };
        let home = self.get("/", Some(&b)).await;
        if home.location() == "/tenants" {
            let page = self.get("/tenants", Some(&b)).await;
            b.csrf = hidden_field(&page.body, "csrf");
            // Workspaces are listed by name: Acme Corp first.
            let acme = hidden_field(&page.body, "tenant");
            let a = self
                .post_form(
                    "/tenants/switch",
                    &[("csrf", &b.csrf), ("tenant", &acme)],
                    &b,
                )
                .await;
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        }
        let portal = self.get("/portal", Some(&b)).await;
        assert_eq!(portal.status, StatusCode::OK, "{}", portal.body);
        b.csrf = hidden_field(&portal.body, "csrf");
        b
    }

    /// Reports an issue through the portal form; returns the ticket id.
    async fn report(&self, b: &Browser, subject: &str, description: &str) -> String {
        let a = self
            .post_multipart(
                "/portal/new",
                &[
                    Part::Text("csrf", &b.csrf),
                    Part::Text("kind", "incident"),
                    Part::Text("subject", subject),
                    Part::Text("description", description),
                    Part::Text("impact", "medium"),
                    Part::Text("urgency", "medium"),
                    Part::File("file", "", b""),
                ],
                b,
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        ticket_id(&a.location())
    }

    /// The ticket as JSON, read through the API with the browser's session.
    async fn ticket_json(&self, b: &Browser, id: &str) -> Value {
        let mut r = Request::get(format!("/v1/tickets/{id}"));
        r = r.header(header::COOKIE, &b.cookie);
        let a = self.send(r.body(Body::empty()).unwrap()).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.json()
    }
}

// ---------- portal ----------

#[tokio::test]
async fn requester_reports_an_issue_with_an_attachment_and_can_download_it() {
    let t = TestApp::new().await;
    let req = t.sign_in("requester@acme.test").await;

    let portal = t.get("/portal", Some(&req)).await;
    assert!(portal.body.contains("<h1>Portal</h1>"), "{}", portal.body);
    assert!(portal.body.contains("My tickets"));
    assert!(portal.body.contains("href=\"/portal/new\""));

    let form = t.get("/portal/new", Some(&req)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("<h1>Report an issue</h1>"));
    assert!(form.body.contains("enctype=\"multipart/form-data\""));
    for label in [
        "Subject",
        "Description",
        "How many people are affected?",
        "How urgent is it?",
        "Attachment",
    ] {
        assert!(form.body.contains(&format!(">{label}</label>")), "{label}");
    }

    let a = t
        .post_multipart(
            "/portal/new",
            &[
                Part::Text("csrf", &req.csrf),
                Part::Text("kind", "incident"),
                Part::Text("subject", "Printer on floor 3 jams"),
                Part::Text("description", "It jams on **every** page."),
                Part::Text("impact", "high"),
                Part::Text("urgency", "medium"),
                Part::File("file", "error-log.txt", b"paper jam in tray 2\n"),
            ],
            &req,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let location = a.location();
    assert!(location.starts_with("/portal/tickets/"), "{location}");

    let page = t.get(&location, Some(&req)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>Printer on floor 3 jams</h1>"));
    assert!(page.body.contains("INC-000001"));
    assert!(
        page.body.contains("<strong>every</strong>"),
        "description rendered"
    );
    assert!(page.body.contains("error-log.txt"));
    assert!(page.body.contains(">New</span>"), "status as text");

    // The download link goes through the API, which redirects to a signed URL.
    let marker = "href=\"/v1/attachments/";
    let start = page.body.find(marker).expect("download link") + "href=\"".len();
    let href = page.body[start..].split('"').next().unwrap().to_string();
    let a = t.get(&href, Some(&req)).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let signed = a.location();
    let path = &signed[signed.find("/files/").expect("signed file URL")..];
    let file = t.get(path, None).await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.body);
    assert_eq!(file.body, "paper jam in tray 2\n");
    assert!(
        file.header("content-disposition")
            .is_some_and(|d| d.contains("error-log.txt"))
    );

    // The list shows it, with status and priority as text.
    let list = t.get("/portal", Some(&req)).await;
    assert!(list.body.contains("INC-000001") && list.body.contains("Printer on floor 3 jams"));
    assert!(
        list.body.contains("P2 – High"),
        "high impact × medium urgency"
    );
    let resolved = t.get("/portal?status=resolved", Some(&req)).await;
    assert!(!resolved.body.contains("INC-000001"), "filtered out");
    assert!(resolved.body.contains("No tickets match this filter"));
}

#[tokio::test]
async fn refused_file_types_and_invalid_input_create_nothing() {
    let t = TestApp::new().await;
    let req = t.sign_in("requester@acme.test").await;

    let a = t
        .post_multipart(
            "/portal/new",
            &[
                Part::Text("csrf", &req.csrf),
                Part::Text("subject", "Please run this tool"),
                Part::Text("description", "see attached"),
                Part::File("file", "tool.exe", b"MZ\x90\x00 not really a program"),
            ],
            &req,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", a.body);
    assert!(a.body.contains("role=\"alert\""), "{}", a.body);
    assert!(a.body.contains("not accepted"), "{}", a.body);
    assert!(
        a.body.contains("value=\"Please run this tool\""),
        "the form keeps what was typed"
    );

    // Empty subject: the form comes back with the message at the field.
    let a = t
        .post_multipart(
            "/portal/new",
            &[
                Part::Text("csrf", &req.csrf),
                Part::Text("subject", "  "),
                Part::Text("description", "Something is off"),
            ],
            &req,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("class=\"error-summary\" role=\"alert\""));
    assert!(
        a.body.contains("href=\"#subject\""),
        "summary links to the field"
    );
    assert!(a.body.contains("id=\"subject-error\""));
    assert!(a.body.contains("aria-invalid=\"true\""));
    assert!(a.body.contains(">Something is off</textarea>"));

    let mine = t.get("/v1/portal/tickets", Some(&req)).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert_eq!(mine.json()["items"], serde_json::json!([]), "no ticket");
    assert!(!t.get("/portal", Some(&req)).await.body.contains("INC-"));
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_with_413_and_the_ticket_says_so() {
    let t = TestApp::with_env(&[("FILE_MAX_MB", "1")]).await;
    let req = t.sign_in("requester@acme.test").await;
    let big = vec![b'a'; 1024 * 1024 + 10];
    let a = t
        .post_multipart(
            "/portal/new",
            &[
                Part::Text("csrf", &req.csrf),
                Part::Text("subject", "Huge log"),
                Part::File("file", "huge.log", &big),
            ],
            &req,
        )
        .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    assert!(
        a.body.contains("larger than the limit of 1 MB"),
        "{}",
        a.body
    );
    assert!(
        a.body
            .contains("was created, but an attachment was refused")
    );
    assert!(
        a.body.contains("No files attached."),
        "the file was not kept"
    );
}

#[tokio::test]
async fn requesters_never_see_other_peoples_tickets() {
    let t = TestApp::new().await;
    let owner = t.sign_in("requester@acme.test").await;
    let id = t.report(&owner, "My laptop is slow", "").await;
    let other = t.sign_in("other@acme.test").await;

    let a = t.get(&format!("/portal/tickets/{id}"), Some(&other)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    assert!(!a.body.contains("My laptop is slow"));
    let a = t.get("/portal/tickets/INC-000001", Some(&other)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        !t.get("/portal", Some(&other))
            .await
            .body
            .contains("INC-000001")
    );
    // Nor may they write to it.
    let a = t
        .post_multipart(
            &format!("/portal/tickets/{id}/reply"),
            &[
                Part::Text("csrf", &other.csrf),
                Part::Text("body", "mine now"),
            ],
            &other,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    // The agent pages are not for requesters.
    let a = t.get(&format!("/agent/tickets/{id}"), Some(&owner)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("Access denied"));
    assert_eq!(
        t.get("/portal/tickets/not-a-ticket", Some(&owner))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

// ---------- agent console ----------

#[tokio::test]
async fn agent_replies_and_notes_and_notes_stay_internal() {
    let t = TestApp::new().await;
    let req = t.sign_in("requester@acme.test").await;
    let id = t
        .report(&req, "VPN drops every hour", "Since Monday.")
        .await;
    let agent = t.sign_in("agent@acme.test").await;

    let console = t.get("/agent", Some(&agent)).await;
    assert_eq!(console.status, StatusCode::OK, "{}", console.body);
    assert!(console.body.contains("<h1>Agent console</h1>"));
    assert!(
        console
            .body
            .contains(&format!("href=\"/agent/tickets/{id}\""))
    );
    assert!(console.body.contains("VPN drops every hour"));
    assert!(
        console.body.contains("No queue <span class=\"count\">1<"),
        "the ticket counts in the unassigned queue"
    );
    assert!(console.body.contains("src=\"/static/app.js\""));

    let reply = "We are looking into the tunnel logs.";
    let note = "Firewall rule 42 looks suspicious.";
    let a = t
        .post_multipart(
            &format!("/agent/tickets/{id}/comment"),
            &[
                Part::Text("csrf", &agent.csrf),
                Part::Text("body", reply),
                Part::Text("visibility", "public"),
            ],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), format!("/agent/tickets/{id}"));
    // The note button sends visibility in the address, since a file comes before it.
    let a = t
        .post_multipart(
            &format!("/agent/tickets/{id}/comment?visibility=private"),
            &[
                Part::Text("csrf", &agent.csrf),
                Part::Text("body", note),
                Part::File("file", "firewall-dump.txt", b"rule 42 deny"),
                Part::Text("visibility", "private"),
            ],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    let page = t.get(&format!("/agent/tickets/{id}"), Some(&agent)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(reply) && page.body.contains(note));
    assert!(page.body.contains("class=\"comment note\""));
    assert!(page.body.contains(">Internal note</span>"));
    assert!(page.body.contains("firewall-dump.txt"));
    assert!(page.body.contains("<h2 id=\"history-title\">History</h2>"));
    assert!(page.body.contains(">Public reply</th>") && page.body.contains(">Internal note</th>"));
    assert!(
        page.body.contains(">Open</span>"),
        "the public reply opened it"
    );

    let mine = t.get(&format!("/portal/tickets/{id}"), Some(&req)).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body.contains(reply), "the requester sees the reply");
    assert!(!mine.body.contains(note), "but not the note");
    assert!(!mine.body.contains("firewall-dump.txt"), "nor its file");
    assert!(!mine.body.contains("Internal note"));
}

#[tokio::test]
async fn agent_changes_a_ticket_with_optimistic_locking() {
    let t = TestApp::new().await;
    let req = t.sign_in("requester@acme.test").await;
    let id = t.report(&req, "Monitor flickers", "").await;
    let agent = t.sign_in("agent@acme.test").await;
    let path = format!("/agent/tickets/{id}");

    let page = t.get(&path, Some(&agent)).await;
    let version = hidden_field(&page.body, "version");
    assert!(page.body.contains("id=\"assign-me\""));
    let a = t
        .post_form(
            &format!("{path}/assign"),
            &[("csrf", &agent.csrf), ("version", &version)],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let json = t.ticket_json(&agent, &id).await;
    assert_eq!(json["assignee"]["email"], "agent@acme.test");

    // The old version is stale now: nothing changes and the current state is shown.
    let a = t
        .post_form(
            &path,
            &[
                ("csrf", &agent.csrf),
                ("version", &version),
                ("status", "in_progress"),
            ],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body.contains("The ticket changed meanwhile"));
    assert_eq!(t.ticket_json(&agent, &id).await["status"], "new");

    // A priority against the matrix needs a reason.
    let version = json["version"].to_string();
    let a = t
        .post_form(
            &path,
            &[
                ("csrf", &agent.csrf),
                ("version", &version),
                ("status", "new"),
                ("impact", "medium"),
                ("urgency", "medium"),
                ("priority", "P1"),
                ("priority_reason", ""),
                ("assignee", json["assignee"]["id"].as_str().unwrap()),
                ("queue", ""),
            ],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("href=\"#f-reason\""), "{}", a.body);
    assert!(a.body.contains("id=\"f-reason-error\""));
    assert_eq!(t.ticket_json(&agent, &id).await["priority"], "P3");

    let a = t
        .post_form(
            &path,
            &[
                ("csrf", &agent.csrf),
                ("version", &version),
                ("status", "in_progress"),
                ("impact", "medium"),
                ("urgency", "medium"),
                ("priority", "P1"),
                ("priority_reason", "CEO's monitor"),
                ("assignee", json["assignee"]["id"].as_str().unwrap()),
                ("queue", ""),
            ],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let json = t.ticket_json(&agent, &id).await;
    assert_eq!(json["status"], "in_progress");
    assert_eq!(json["priority"], "P1");
    let page = t.get(&path, Some(&agent)).await;
    assert!(page.body.contains("CEO&#39;s monitor") || page.body.contains("CEO&#x27;s monitor"));
    // Only the allowed next statuses are offered.
    assert!(page.body.contains("value=\"resolved\"") && !page.body.contains("value=\"closed\""));
}

#[tokio::test]
async fn bulk_changes_are_all_or_nothing() {
    let t = TestApp::new().await;
    let req = t.sign_in("requester@acme.test").await;
    let a_id = t.report(&req, "Keyboard missing keys", "").await;
    let b_id = t.report(&req, "Mouse double-clicks", "").await;
    let agent = t.sign_in("agent@acme.test").await;

    let a = t
        .post_form(
            "/agent/bulk",
            &[
                ("csrf", &agent.csrf),
                ("back", "status=active"),
                ("ids", &a_id),
                ("ids", &b_id),
                ("status", "in_progress"),
                ("assignee", "me"),
            ],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), "/agent?status=active&done=2");
    let done = t.get(&a.location(), Some(&agent)).await;
    assert!(done.body.contains("2 tickets updated."));
    for id in [&a_id, &b_id] {
        let j = t.ticket_json(&agent, id).await;
        assert_eq!(j["status"], "in_progress");
        assert_eq!(j["assignee"]["email"], "agent@acme.test");
    }

    // Resolve A; then "close" both: B cannot go from in progress to closed, so nothing
    // changes and B's number and reason are shown.
    let a = t
        .post_form(
            "/agent/bulk",
            &[
                ("csrf", &agent.csrf),
                ("ids", &a_id),
                ("status", "resolved"),
            ],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = t
        .post_form(
            "/agent/bulk",
            &[
                ("csrf", &agent.csrf),
                ("ids", &a_id),
                ("ids", &b_id),
                ("status", "closed"),
            ],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("Nothing was changed."));
    assert!(
        a.body
            .contains("INC-000002: cannot change status from in_progress to closed"),
        "{}",
        a.body
    );
    assert!(!a.body.contains("INC-000001: "), "A itself was fine");
    assert_eq!(t.ticket_json(&agent, &a_id).await["status"], "resolved");
    assert_eq!(t.ticket_json(&agent, &b_id).await["status"], "in_progress");

    // Nothing selected.
    let a = t
        .post_form(
            "/agent/bulk",
            &[("csrf", &agent.csrf), ("status", "open")],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("Select at least one ticket."));
}

#[tokio::test]
async fn agents_filter_sort_page_and_save_filters() {
    let t = TestApp::new().await;
    let req = t.sign_in("requester@acme.test").await;
    for i in 0..27 {
        t.report(&req, &format!("Issue number {i:02}"), "").await;
    }
    let agent = t.sign_in("agent@acme.test").await;
    let first = t.get("/agent?sort=-created", Some(&agent)).await;
    assert!(first.body.contains("Issue number 26") && !first.body.contains("Issue number 01"));
    let marker = "rel=\"next\"";
    assert!(first.body.contains(marker), "an Older link");
    let start = first
        .body
        .find("<nav aria-label=\"Pages of tickets\"")
        .unwrap();
    let nav = &first.body[start..];
    let href_at = nav.find("href=\"").unwrap() + 6;
    let href = nav[href_at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert!(href.contains("cursor="), "{href}");
    let older = t.get(&href, Some(&agent)).await;
    assert!(older.body.contains("Issue number 01") && !older.body.contains("Issue number 26"));

    let q = t.get("/agent?q=number+07", Some(&agent)).await;
    assert!(q.body.contains("Issue number 07") && !q.body.contains("Issue number 08"));

    let a = t
        .post_form(
            "/agent/filters",
            &[
                ("csrf", &agent.csrf),
                ("name", "Number seven"),
                ("query", "q=number+07&cursor=zzz"),
            ],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = t.get("/agent", Some(&agent)).await;
    assert!(page.body.contains(">Number seven</a>"));
    assert!(
        page.body.contains("href=\"/agent?q=number+07\""),
        "{}",
        page.body
    );
    let form_at = page.body.find("action=\"/agent/filters/").unwrap() + "action=\"".len();
    let action = page.body[form_at..].split('"').next().unwrap().to_string();
    let a = t.post_form(&action, &[("csrf", &agent.csrf)], &agent).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(
        !t.get("/agent", Some(&agent))
            .await
            .body
            .contains("Number seven")
    );

    let bad = t.get("/agent?status=sleeping", Some(&agent)).await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("The filter is not valid"));
}

// ---------- resolution in the portal ----------

#[tokio::test]
async fn requester_confirms_or_rejects_a_resolution() {
    let t = TestApp::new().await;
    let req = t.sign_in("requester@acme.test").await;
    let id = t.report(&req, "Cannot print", "").await;
    let agent = t.sign_in("agent@acme.test").await;
    let a = t
        .post_form(
            "/agent/bulk",
            &[("csrf", &agent.csrf), ("ids", &id), ("status", "resolved")],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    let page = t.get(&format!("/portal/tickets/{id}"), Some(&req)).await;
    assert!(
        page.body.contains("Yes, it&#39;s solved — close it")
            || page.body.contains("Yes, it's solved — close it")
    );
    assert!(page.body.contains("No, reopen"));
    let version = hidden_field(&page.body, "version");
    let a = t
        .post_form(
            &format!("/portal/tickets/{id}/status"),
            &[
                ("csrf", &req.csrf),
                ("version", &version),
                ("status", "open"),
            ],
            &req,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(t.ticket_json(&agent, &id).await["status"], "open");

    // The old version again: stale.
    let a = t
        .post_form(
            &format!("/portal/tickets/{id}/status"),
            &[
                ("csrf", &req.csrf),
                ("version", &version),
                ("status", "closed"),
            ],
            &req,
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(
        a.body
            .contains("The ticket changed meanwhile; here is the current state")
    );
    assert_eq!(t.ticket_json(&agent, &id).await["status"], "open");
}

// ---------- admin ----------

#[tokio::test]
async fn admins_manage_queues_and_agents_may_not() {
    let t = TestApp::new().await;
    let admin = t.sign_in("admin@acme.test").await;
    let hub = t.get("/admin", Some(&admin)).await;
    assert!(hub.body.contains("href=\"/admin/queues\""));
    let page = t.get("/admin/queues", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Queues</h1>"));

    let a = t
        .post_form(
            "/admin/queues",
            &[
                ("csrf", &admin.csrf),
                ("name", "Network"),
                ("description", "Wi-Fi, VPN, cabling"),
            ],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = t.get(&a.location(), Some(&admin)).await;
    assert!(page.body.contains("The queue was created."));
    assert!(page.body.contains(">Network</th>") && page.body.contains("Wi-Fi, VPN, cabling"));

    let a = t
        .post_form(
            "/admin/queues",
            &[("csrf", &admin.csrf), ("name", "x")],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("role=\"alert\""));

    let agent = t.sign_in("agent@acme.test").await;
    assert!(t.get("/agent", Some(&agent)).await.body.contains("Network"));
    let a = t
        .post_form(
            "/admin/queues",
            &[("csrf", &agent.csrf), ("name", "Shadow IT")],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(
        t.get("/admin/queues", Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        !t.get("/agent", Some(&agent))
            .await
            .body
            .contains("Shadow IT")
    );

    // Archive it: it leaves the agents' sidebar.
    let form_at = page.body.find("action=\"/admin/queues/").unwrap() + "action=\"".len();
    let action = page.body[form_at..].split('"').next().unwrap().to_string();
    let a = t
        .post_form(
            &action,
            &[
                ("csrf", &admin.csrf),
                ("name", "Network"),
                ("description", "Wi-Fi, VPN, cabling"),
                ("archived", "on"),
            ],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = t.get("/admin/queues", Some(&admin)).await;
    assert!(page.body.contains("<td>Yes</td>"));
    let console = t.get("/agent", Some(&agent)).await;
    assert!(
        !console.body.contains("Network"),
        "archived queues take no work"
    );
}

// ---------- security ----------

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let t = TestApp::new().await;
    let req = t.sign_in("requester@acme.test").await;
    let id = t.report(&req, "Existing ticket", "").await;
    let agent = t.sign_in("agent@acme.test").await;
    let admin = t.sign_in("admin@acme.test").await;

    let a = t
        .post_multipart(
            "/portal/new",
            &[Part::Text("subject", "Forged"), Part::Text("csrf", "nope")],
            &req,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    let a = t
        .post_multipart(
            "/portal/new",
            &[
                Part::Text("subject", "Forged with a file"),
                Part::File("file", "a.txt", b"x"),
            ],
            &req,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    let a = t
        .post_multipart(
            &format!("/portal/tickets/{id}/reply"),
            &[Part::Text("body", "forged reply")],
            &req,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = t
        .post_multipart(
            &format!("/agent/tickets/{id}/comment?visibility=private"),
            &[Part::Text("body", "forged note")],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    for (path, who) in [
        (format!("/portal/tickets/{id}/status"), &req),
        (format!("/agent/tickets/{id}"), &agent),
        (format!("/agent/tickets/{id}/assign"), &agent),
        ("/agent/bulk".to_string(), &agent),
        ("/agent/filters".to_string(), &agent),
        ("/admin/queues".to_string(), &admin),
    ] {
        let a = t
            .post_form(
                &path,
                &[
                    ("version", "1"),
                    ("status", "in_progress"),
                    ("ids", &id),
                    ("name", "Forged"),
                ],
                who,
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}: {}", a.body);
    }
    let j = t.ticket_json(&agent, &id).await;
    assert_eq!(j["status"], "new");
    assert!(j["assignee"].is_null());
    let mine = t.get("/v1/portal/tickets", Some(&req)).await.json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "nothing forged");
    let page = t.get(&format!("/agent/tickets/{id}"), Some(&agent)).await;
    assert!(!page.body.contains("forged"));
    assert!(
        !t.get("/admin/queues", Some(&admin))
            .await
            .body
            .contains("Forged")
    );
}

#[tokio::test]
async fn descriptions_cannot_inject_markup() {
    let t = TestApp::new().await;
    let req = t.sign_in("requester@acme.test").await;
    let payload = "<script>alert(1)</script><img src=x onerror=alert(1)>";
    let id = t.report(&req, "Odd characters", payload).await;
    let agent = t.sign_in("agent@acme.test").await;
    let reply = t
        .post_multipart(
            &format!("/agent/tickets/{id}/comment"),
            &[Part::Text("csrf", &agent.csrf), Part::Text("body", payload)],
            &agent,
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    for (path, who) in [
        (format!("/portal/tickets/{id}"), &req),
        (format!("/agent/tickets/{id}"), &agent),
    ] {
        let page = t.get(&path, Some(who)).await;
        assert_eq!(page.status, StatusCode::OK);
        let body = page.body.to_lowercase();
        assert!(!body.contains("<script>alert"), "{path}: {}", page.body);
        assert!(!body.contains("onerror="), "{path}: {}", page.body);
        // No inline scripts or handlers at all (the CSP would block them anyway).
        assert!(
            !body.contains("<script>") && !body.contains(" onclick="),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_script_is_served_from_self() {
    let t = TestApp::new().await;
    let a = t.get("/static/app.js", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(a.body.contains("keydown"));
    let csp = t.get("/signin", None).await;
    assert!(
        csp.header("content-security-policy")
            .unwrap()
            .contains("script-src 'self'")
    );
}

#[tokio::test]
async fn admins_manage_email_settings_templates_and_quarantine_in_the_web_ui() {
    let t = TestApp::new().await;
    let admin = t.sign_in("admin@acme.test").await;
    assert!(
        t.get("/admin", Some(&admin))
            .await
            .body
            .contains("href=\"/admin/email\"")
    );
    let page = t.get("/admin/email", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>Email</h1>"));
    assert!(page.body.contains("No held mail."));

    // Turn outbound mail off and set the sender.
    let a = t
        .post_form(
            "/admin/email/settings",
            &[
                ("csrf", &admin.csrf),
                ("inbound_enabled", "on"),
                ("from_address", "help@acme.test"),
                ("from_name", "Acme Help"),
                ("reply_to", ""),
                ("unknown_sender", "quarantine"),
                ("rate_limit_per_hour", "12"),
                ("imap_url", ""),
                ("imap_processed_folder", ""),
            ],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = t.get(&a.location(), Some(&admin)).await;
    assert!(page.body.contains("The email settings were saved."));
    assert!(page.body.contains("value=\"help@acme.test\""));
    assert!(!page.body.contains(
        "id=\"outbound\" name=\"outbound_enabled\" type=\"checkbox\" value=\"on\" checked"
    ));
    assert!(page.body.contains("value=\"quarantine\" selected"));

    // A broken template is refused with the reason; a good one is saved and can be reset.
    let a = t
        .post_form(
            "/admin/email/templates/resolved",
            &[
                ("csrf", &admin.csrf),
                ("subject", "Done: {{ ticket.subject"),
                ("text", ""),
                ("html", ""),
            ],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(
        a.body.contains("role=\"alert\"") && a.body.contains("line 1"),
        "{}",
        a.body
    );
    let a = t
        .post_form(
            "/admin/email/templates/resolved",
            &[
                ("csrf", &admin.csrf),
                ("subject", "Done: {{ ticket.subject }}"),
                ("text", ""),
                ("html", ""),
            ],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = t.get("/admin/email", Some(&admin)).await;
    assert!(page.body.contains("resolved (changed)"));
    let a = t
        .post_form(
            "/admin/email/templates/resolved",
            &[("csrf", &admin.csrf), ("reset", "on")],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(
        !t.get("/admin/email", Some(&admin))
            .await
            .body
            .contains("resolved (changed)")
    );

    // Quarantined mail is listed and can be deleted.
    let held = t
        .inner
        .app
        .ingest_email_for_slug(
            "acme",
            b"From: bot@example.com\r\nAuto-Submitted: auto-replied\r\nSubject: Away until Monday\r\nMessage-ID: <away-1@example.com>\r\n\r\naway\r\n",
            catalyst_app::mail::Source::Cli,
        )
        .await
        .unwrap();
    let catalyst_app::mail::IngestOutcome::Quarantined { id, .. } = held else {
        panic!("{held:?}")
    };
    let page = t.get("/admin/email", Some(&admin)).await;
    assert!(page.body.contains("Away until Monday") && page.body.contains("auto_reply"));
    let a = t
        .post_form(
            &format!("/admin/email/quarantine/{id}/delete"),
            &[("csrf", &admin.csrf)],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(
        t.get("/admin/email", Some(&admin))
            .await
            .body
            .contains("No held mail.")
    );

    // Agents may not see or change any of it.
    let agent = t.sign_in("agent@acme.test").await;
    assert_eq!(
        t.get("/admin/email", Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
    let a = t
        .post_form(
            "/admin/email/settings",
            &[("csrf", &agent.csrf), ("rate_limit_per_hour", "1")],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}
