//! The ticket API end to end in-process, on SQLite and (in CI) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use common::{TestApp, config};

const REQ_A: &str = "requester@acme.test";
const AGENT_A: &str = "agent@acme.test";
const ADMIN_A: &str = "admin@acme.test";

impl TestApp {
    fn t(&self, who: &str) -> String {
        let tenant = who
            .split('@')
            .nth(1)
            .unwrap()
            .trim_end_matches(".test")
            .to_string();
        self.token(who, &tenant).to_string()
    }

    async fn incident(&self, who: &str, subject: &str) -> Value {
        let a = self
            .api(
                "POST",
                "/v1/portal/incidents",
                &self.t(who),
                Some(json!({"subject": subject, "description": "details"})),
                &[],
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        a.json()
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn portal_incident_is_numbered_prioritised_and_tagged() {
    let t = TestApp::new().await;
    let a = t
        .api(
            "POST",
            "/v1/portal/incidents",
            &t.t(REQ_A),
            Some(json!({"subject": "VPN down", "description": "Cannot connect", "priority": "P2"})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let v = a.json();
    assert_eq!(v["number"], "INC-000001");
    assert_eq!(v["status"], "new");
    assert_eq!(v["priority"], "P2");
    assert_eq!(
        (v["impact"].as_str(), v["urgency"].as_str()),
        (Some("high"), Some("medium"))
    );
    assert_eq!(v["requester"]["email"], REQ_A);
    assert_eq!(a.header("etag"), Some("\"1\""));
    let r = t
        .api(
            "POST",
            "/v1/portal/requests",
            &t.t(REQ_A),
            Some(json!({"subject": "New laptop", "impact": "low", "urgency": "high"})),
            &[],
        )
        .await
        .json();
    assert_eq!(r["number"], "REQ-000001", "each kind has its own counter");
    assert_eq!(r["kind"], "service_request");
    assert_eq!(r["priority"], "P3", "low × high in the default matrix");
    let second = t.incident(REQ_A, "Printer jam").await;
    assert_eq!(second["number"], "INC-000002");
    // Another tenant starts at 1.
    assert_eq!(
        t.incident("requester@globex.test", "Other tenant").await["number"],
        "INC-000001"
    );
}

#[tokio::test]
async fn concurrent_creation_gives_gapless_unique_numbers() {
    let t = std::sync::Arc::new(TestApp::new().await);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            t.incident(REQ_A, &format!("Concurrent {i}")).await["number"]
                .as_str()
                .unwrap()
                .to_string()
        }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.unwrap());
    }
    numbers.sort();
    let expected: Vec<String> = (1..=16).map(|n| format!("INC-{n:06}")).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test]
async fn bad_input_gets_field_errors_and_writes_nothing() {
    let t = TestApp::new().await;
    let tok = t.t(REQ_A);
    let a = t
        .api(
            "POST",
            "/v1/portal/incidents",
            &tok,
            Some(json!({"subject": "", "impact": "huge"})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = a.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert!(
        fields.contains(&"subject".to_string()) && fields.contains(&"impact".to_string()),
        "{fields:?}"
    );
    let a = t
        .api(
            "POST",
            "/v1/portal/incidents",
            &tok,
            Some(json!({"subject": "ok subject", "colour": "red"})),
            &[],
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are rejected: {}",
        a.body
    );
    let a = t
        .send(
            Request::post("/v1/portal/incidents")
                .header(header::AUTHORIZATION, format!("Bearer {tok}"))
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("subject=x"))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let a = t
        .send(
            Request::post("/v1/portal/incidents")
                .header(header::AUTHORIZATION, format!("Bearer {tok}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json()["code"], "bad_request");
    // Requesters may not route, assign or create tasks.
    let a = t
        .api(
            "POST",
            "/v1/tickets",
            &tok,
            Some(json!({"subject": "A task", "kind": "task"})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    // An agent's override needs a reason.
    let a = t
        .api(
            "POST",
            "/v1/tickets",
            &t.t(AGENT_A),
            Some(
                json!({"subject": "Override", "impact": "low", "urgency": "low", "priority": "P1"}),
            ),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["errors"][0]["field"], "priorityReason");
    let list = t
        .api("GET", "/v1/tickets", &t.t(AGENT_A), None, &[])
        .await
        .json();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing was written"
    );
    let a = t
        .api(
            "POST",
            "/v1/tickets",
            &t.t(AGENT_A),
            Some(json!({"subject": "Override", "impact": "low", "urgency": "low", "priority": "P1", "priorityReason": "CEO's laptop"})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.json()["priorityReason"], "CEO's laptop");
}

#[tokio::test]
async fn requesters_see_only_their_own_tickets() {
    let t = TestApp::new().await;
    let mine = t.incident(REQ_A, "Mine").await;
    let agents = t.incident(AGENT_A, "The agent's own").await;
    let l = t
        .api(
            "GET",
            "/v1/portal/tickets?mine=true&status=new",
            &t.t(REQ_A),
            None,
            &[],
        )
        .await;
    assert_eq!(l.status, StatusCode::OK);
    let items = l.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], mine["id"]);
    // Even on the agent list, and even asking for someone else's.
    let l = t
        .api(
            "GET",
            &format!(
                "/v1/tickets?requester={}",
                agents["requester"]["id"].as_str().unwrap()
            ),
            &t.t(REQ_A),
            None,
            &[],
        )
        .await;
    let items = l.json()["items"].as_array().unwrap().clone();
    assert_eq!(
        items.len(),
        1,
        "the requester filter is replaced by the requester themself"
    );
    assert_eq!(items[0]["id"], mine["id"]);
    assert_eq!(
        t.api(
            "GET",
            &format!("/v1/tickets/{}", id(&agents)),
            &t.t(REQ_A),
            None,
            &[]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // Agents see all of their tenant; mine=true narrows to their own.
    let l = t
        .api("GET", "/v1/tickets", &t.t(AGENT_A), None, &[])
        .await
        .json();
    assert_eq!(l["items"].as_array().unwrap().len(), 2);
    let l = t
        .api(
            "GET",
            "/v1/portal/tickets?mine=true",
            &t.t(AGENT_A),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    let a = t
        .api(
            "GET",
            "/v1/tickets?status=bogus&sort=sideways",
            &t.t(AGENT_A),
            None,
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["errors"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn lists_filter_sort_and_paginate_with_cursors() {
    let t = TestApp::new().await;
    for i in 0..7 {
        t.incident(REQ_A, &format!("Ticket number {i}")).await;
        t.clock.advance(chrono::Duration::seconds(1));
    }
    let tok = t.t(AGENT_A);
    let mut seen = Vec::new();
    let mut url = "/v1/tickets?limit=3".to_string();
    loop {
        let page = t.api("GET", &url, &tok, None, &[]).await.json();
        for it in page["items"].as_array().unwrap() {
            seen.push(it["subject"].as_str().unwrap().to_string());
        }
        match page["nextCursor"].as_str() {
            Some(c) => url = format!("/v1/tickets?limit=3&cursor={c}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..7).rev().map(|i| format!("Ticket number {i}")).collect();
    assert_eq!(seen, expected, "newest first, each once");
    let asc = t
        .api("GET", "/v1/tickets?sort=created&limit=1", &tok, None, &[])
        .await
        .json();
    assert_eq!(asc["items"][0]["subject"], "Ticket number 0");
    let q = t
        .api("GET", "/v1/tickets?q=NUMBER%205", &tok, None, &[])
        .await
        .json();
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    let q = t
        .api("GET", "/v1/tickets?q=inc-000003", &tok, None, &[])
        .await
        .json();
    assert_eq!(q["items"][0]["number"], "INC-000003");
    let a = t
        .api("GET", "/v1/tickets?cursor=garbage", &tok, None, &[])
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["errors"][0]["field"], "cursor");
}

#[tokio::test]
async fn etag_if_match_and_lifecycle_rules() {
    let t = TestApp::new().await;
    let v = t.incident(REQ_A, "Laptop broken").await;
    let path = format!("/v1/tickets/{}", id(&v));
    let agent = t.t(AGENT_A);
    let g = t.api("GET", &path, &agent, None, &[]).await;
    assert_eq!(g.header("etag"), Some("\"1\""));
    let nm = t
        .api("GET", &path, &agent, None, &[("if-none-match", "\"1\"")])
        .await;
    assert_eq!(nm.status, StatusCode::NOT_MODIFIED);
    let by_number = t
        .api("GET", "/v1/tickets/INC-000001", &agent, None, &[])
        .await;
    assert_eq!(by_number.json()["id"], v["id"]);

    let a = t
        .api(
            "PATCH",
            &path,
            &agent,
            Some(json!({"status": "in_progress"})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::PRECONDITION_REQUIRED);
    let a = t
        .api(
            "PATCH",
            &path,
            &agent,
            Some(json!({"status": "in_progress"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.header("etag"), Some("\"2\""));
    let stale = t
        .api(
            "PATCH",
            &path,
            &agent,
            Some(json!({"status": "resolved"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.json()["code"], "precondition_failed");
    let illegal = t
        .api(
            "PATCH",
            &path,
            &agent,
            Some(json!({"status": "closed"})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(illegal.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(illegal.json()["errors"][0]["code"], "invalid_transition");
    // The requester may not re-prioritise, but may confirm a resolution.
    let req = t.t(REQ_A);
    let a = t
        .api(
            "PATCH",
            &path,
            &req,
            Some(json!({"priority": "P1"})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.json()["errors"][0]["code"], "not_allowed");
    let r = t
        .api(
            "PATCH",
            &path,
            &agent,
            Some(json!({"status": "resolved"})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(r.json()["status"], "resolved");
    assert!(r.json()["resolvedAt"].is_string());
    let c = t
        .api(
            "PATCH",
            &path,
            &req,
            Some(json!({"status": "closed"})),
            &[("if-match", "\"3\"")],
        )
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert_eq!(c.json()["status"], "closed");
    let h = t
        .api("GET", &format!("{path}/history"), &agent, None, &[])
        .await
        .json();
    let fields: Vec<&str> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["created", "status", "status", "status"]);
    assert_eq!(h[3]["actor"], REQ_A);
    // Priority override with a reason is recorded in the history.
    let v2 = t.incident(REQ_A, "Another").await;
    let p2 = format!("/v1/tickets/{}", id(&v2));
    let a = t
        .api(
            "PATCH",
            &p2,
            &agent,
            Some(json!({"priority": "P1"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let a = t
        .api(
            "PATCH",
            &p2,
            &agent,
            Some(json!({"priority": "P1", "priorityReason": "Board meeting"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(a.json()["priority"], "P1");
    let h = t
        .api("GET", &format!("{p2}/history"), &agent, None, &[])
        .await
        .json();
    assert_eq!(h[1]["reason"], "Board meeting");
}

#[tokio::test]
async fn replies_notes_and_their_visibility() {
    let t = TestApp::new().await;
    let v = t.incident(REQ_A, "Outlook asks for password").await;
    let path = format!("/v1/tickets/{}", id(&v));
    let agent = t.t(AGENT_A);
    let req = t.t(REQ_A);
    let n = t
        .api(
            "POST",
            &format!("{path}/comments"),
            &agent,
            Some(json!({"body": "Checked **logs**", "isPrivate": true})),
            &[],
        )
        .await;
    assert_eq!(n.status, StatusCode::CREATED);
    let after_note = t.api("GET", &path, &agent, None, &[]).await.json();
    assert_eq!(
        after_note["status"], "new",
        "an internal note is not a response"
    );
    assert!(after_note["firstResponseAt"].is_null());
    let r = t
        .api(
            "POST",
            &format!("{path}/comments"),
            &agent,
            Some(json!({"body": "On it!"})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let after_reply = t.api("GET", &path, &agent, None, &[]).await.json();
    assert_eq!(after_reply["status"], "open");
    assert!(after_reply["firstResponseAt"].is_string());
    // The requester cannot write notes, and never sees them: not in comments, not in history.
    let a = t
        .api(
            "POST",
            &format!("{path}/comments"),
            &req,
            Some(json!({"body": "sneaky", "isPrivate": true})),
            &[],
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let cs = t
        .api("GET", &format!("{path}/comments"), &req, None, &[])
        .await;
    assert!(!cs.body.contains("Checked"), "{}", cs.body);
    assert_eq!(cs.json().as_array().unwrap().len(), 1);
    let h = t
        .api("GET", &format!("{path}/history"), &req, None, &[])
        .await;
    assert!(!h.body.contains("\"note\""), "{}", h.body);
    let all = t
        .api("GET", &format!("{path}/comments"), &agent, None, &[])
        .await
        .json();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0]["isPrivate"], true);
    assert_eq!(
        all[0]["bodyHtml"].as_str().unwrap().trim(),
        "<p>Checked <strong>logs</strong></p>"
    );
    // A requester's reply to a resolved ticket reopens it.
    let cur = t.api("GET", &path, &agent, None, &[]).await;
    let tag = cur.header("etag").unwrap().to_string();
    t.api(
        "PATCH",
        &path,
        &agent,
        Some(json!({"status": "resolved"})),
        &[("if-match", &tag)],
    )
    .await;
    t.api(
        "POST",
        &format!("{path}/comments"),
        &req,
        Some(json!({"body": "Still broken"})),
        &[],
    )
    .await;
    assert_eq!(
        t.api("GET", &path, &agent, None, &[]).await.json()["status"],
        "open"
    );
}

#[tokio::test]
async fn script_payloads_are_rendered_inert() {
    let t = TestApp::new().await;
    let a = t
        .api(
            "POST",
            "/v1/portal/incidents",
            &t.t(REQ_A),
            Some(json!({"subject": "XSS test", "description": "<script>alert(1)</script><img src=x onerror=alert(1)>[x](javascript:alert(1))"})),
            &[],
        )
        .await
        .json();
    let html = a["descriptionHtml"].as_str().unwrap().to_lowercase();
    assert!(
        !html.contains("<script")
            && !html.contains("onerror")
            && !html.contains("href=\"javascript"),
        "{html}"
    );
    let c = t
        .api(
            "POST",
            &format!("/v1/tickets/{}/comments", id(&a)),
            &t.t(AGENT_A),
            Some(json!({"body": "<svg onload=alert(1)>hi"})),
            &[],
        )
        .await
        .json();
    assert!(!c["bodyHtml"].as_str().unwrap().contains("onload"), "{c}");
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer() {
    let t = TestApp::new().await;
    let tok = t.t(REQ_A);
    let body = json!({"subject": "Retried", "description": "network flaked"});
    let first = t
        .api(
            "POST",
            "/v1/portal/incidents",
            &tok,
            Some(body.clone()),
            &[("idempotency-key", "k-1")],
        )
        .await;
    let again = t
        .api(
            "POST",
            "/v1/portal/incidents",
            &tok,
            Some(body.clone()),
            &[("idempotency-key", "k-1")],
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(first.json()["id"], again.json()["id"]);
    assert_eq!(
        t.api("GET", "/v1/portal/tickets?mine=true", &tok, None, &[])
            .await
            .json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let other = t
        .api(
            "POST",
            "/v1/portal/incidents",
            &tok,
            Some(json!({"subject": "Different"})),
            &[("idempotency-key", "k-1")],
        )
        .await;
    assert_eq!(other.status, StatusCode::CONFLICT);
    assert_eq!(other.json()["errors"][0]["field"], "Idempotency-Key");
    // Keys are per user: another user's same key is independent.
    let b = t
        .api(
            "POST",
            "/v1/portal/incidents",
            &t.t(AGENT_A),
            Some(body),
            &[("idempotency-key", "k-1")],
        )
        .await;
    assert_ne!(b.json()["id"], first.json()["id"]);
    // Comments too.
    let path = format!("/v1/tickets/{}/comments", id(&first.json()));
    let c1 = t
        .api(
            "POST",
            &path,
            &tok,
            Some(json!({"body": "once"})),
            &[("idempotency-key", "c-1")],
        )
        .await;
    let c2 = t
        .api(
            "POST",
            &path,
            &tok,
            Some(json!({"body": "once"})),
            &[("idempotency-key", "c-1")],
        )
        .await;
    assert_eq!(c1.json()["id"], c2.json()["id"]);
    assert_eq!(
        t.api("GET", &path, &tok, None, &[])
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn attachments_upload_download_and_limits() {
    let t = TestApp::with_config(config(&[("FILE_MAX_MB", "1")])).await;
    let v = t.incident(REQ_A, "Screenshot attached").await;
    let up = format!("/v1/tickets/{}/attachments", id(&v));
    let req = t.t(REQ_A);
    let a = t
        .upload(&up, &req, "error log.txt", b"line one\nline two\n", &[])
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let att = a.json();
    assert_eq!(att["filename"], "error log.txt");
    assert_eq!(att["size"], 18);
    let d = t
        .api(
            "GET",
            &format!("/v1/attachments/{}", id(&att)),
            &t.t(AGENT_A),
            None,
            &[],
        )
        .await;
    assert_eq!(d.status, StatusCode::SEE_OTHER);
    let url = d.header("location").unwrap().to_string();
    let path = url
        .split_once("://")
        .map(|(_, rest)| &rest[rest.find('/').unwrap()..])
        .unwrap()
        .to_string();
    let file = t.get(&path, None, None).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.body, "line one\nline two\n");
    assert!(
        file.header("content-disposition")
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(file.header("x-content-type-options"), Some("nosniff"));
    // Tampered and expired links are refused.
    let tampered = path.replace("sig=", "sig=00");
    assert_eq!(
        t.get(&tampered, None, None).await.status,
        StatusCode::FORBIDDEN
    );
    let other_name = path.replace("name=error", "name=evil");
    assert_eq!(
        t.get(&other_name, None, None).await.status,
        StatusCode::FORBIDDEN
    );
    t.clock.advance(chrono::Duration::minutes(10));
    assert_eq!(t.get(&path, None, None).await.status, StatusCode::FORBIDDEN);
    // Limits: size, executables by name and by content.
    let big = vec![b'a'; 1024 * 1024 + 10];
    assert_eq!(
        t.upload(&up, &req, "big.txt", &big, &[]).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let exe = t.upload(&up, &req, "setup.exe", b"hello", &[]).await;
    assert_eq!(exe.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        exe.json()["detail"].as_str().unwrap().contains("exe"),
        "{}",
        exe.body
    );
    let mz = t
        .upload(
            &up,
            &req,
            "holiday.jpg",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
            &[],
        )
        .await;
    assert_eq!(mz.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        t.upload(&up, &req, "run.sh", b"#!/bin/sh\nrm -rf /", &[])
            .await
            .status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    // Private attachments: agents only.
    assert_eq!(
        t.upload(&up, &req, "x.txt", b"x", &[("isPrivate", "true")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let private = t
        .upload(
            &up,
            &t.t(AGENT_A),
            "internal.txt",
            b"secret",
            &[("isPrivate", "true")],
        )
        .await
        .json();
    let listed = t.api("GET", &up, &req, None, &[]).await.json();
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "the requester does not see the private file"
    );
    assert_eq!(
        t.api(
            "GET",
            &format!("/v1/attachments/{}", id(&private)),
            &req,
            None,
            &[]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.api("GET", &up, &t.t(AGENT_A), None, &[])
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// Every ticket route with tenant B's credentials (each role) and tenant A's ids: 404,
/// never data, and no write lands. Same for one requester against another's ticket.
#[tokio::test]
async fn tickets_of_tenant_a_are_invisible_to_tenant_b_and_other_requesters() {
    let t = TestApp::new().await;
    let v = t.incident(REQ_A, "Tenant A secret subject").await;
    let tid = id(&v);
    let att = t
        .upload(
            &format!("/v1/tickets/{tid}/attachments"),
            &t.t(REQ_A),
            "a.txt",
            b"tenant a data",
            &[],
        )
        .await
        .json();
    let aid = id(&att);
    let calls: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/v1/tickets/{tid}"), None),
        ("GET", "/v1/tickets/INC-000001".to_string(), None),
        (
            "PATCH",
            format!("/v1/tickets/{tid}"),
            Some(json!({"status": "cancelled"})),
        ),
        ("GET", format!("/v1/tickets/{tid}/comments"), None),
        (
            "POST",
            format!("/v1/tickets/{tid}/comments"),
            Some(json!({"body": "intrusion"})),
        ),
        ("GET", format!("/v1/tickets/{tid}/history"), None),
        ("GET", format!("/v1/tickets/{tid}/attachments"), None),
        ("GET", format!("/v1/attachments/{aid}"), None),
    ];
    let outsiders = [
        "admin@globex.test",
        "agent@globex.test",
        "requester@globex.test",
    ];
    for who in outsiders.iter().copied().chain(["other@acme.test"]) {
        let token = if who == "other@acme.test" {
            // A second requester inside tenant A.
            let cli = catalyst_app::SystemActor::cli();
            t.app
                .add_member(
                    &cli,
                    catalyst_app::members::NewMember {
                        tenant_slug: "acme",
                        email: who,
                        name: None,
                        role: "requester",
                        password: Some(common::PW),
                    },
                )
                .await
                .unwrap();
            t.app
                .create_token(&cli, "acme", who, "t")
                .await
                .unwrap()
                .token
        } else {
            t.t(who)
        };
        for (method, path, body) in &calls {
            let a = t
                .api(method, path, &token, body.clone(), &[("if-match", "\"1\"")])
                .await;
            assert_eq!(
                a.status,
                StatusCode::NOT_FOUND,
                "{who} {method} {path}: {}",
                a.body
            );
            assert!(
                !a.body.contains("Tenant A secret") && !a.body.contains("tenant a data"),
                "{who} {method} {path} leaked"
            );
        }
        let upload = t
            .upload(
                &format!("/v1/tickets/{tid}/attachments"),
                &token,
                "b.txt",
                b"x",
                &[],
            )
            .await;
        assert_eq!(upload.status, StatusCode::NOT_FOUND, "{who} upload");
        let bulk = t
            .api(
                "POST",
                "/v1/tickets/bulk",
                &token,
                Some(json!({"ids": [tid], "changes": {"status": "cancelled"}})),
                &[],
            )
            .await;
        assert!(
            bulk.status == StatusCode::UNPROCESSABLE_ENTITY || bulk.status == StatusCode::FORBIDDEN,
            "{who} bulk: {}",
            bulk.status
        );
        assert!(!bulk.body.contains("Tenant A secret"));
        let list = t
            .api("GET", "/v1/tickets?q=secret", &token, None, &[])
            .await;
        assert!(!list.body.contains("Tenant A secret"), "{who} list");
    }
    // Nothing changed in tenant A.
    let after = t
        .api(
            "GET",
            &format!("/v1/tickets/{tid}"),
            &t.t(AGENT_A),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(after["status"], "new");
    assert_eq!(after["version"], 1);
    let cs = t
        .api(
            "GET",
            &format!("/v1/tickets/{tid}/comments"),
            &t.t(AGENT_A),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(cs.as_array().unwrap().len(), 0);
    assert_eq!(
        t.api(
            "GET",
            &format!("/v1/tickets/{tid}/attachments"),
            &t.t(AGENT_A),
            None,
            &[]
        )
        .await
        .json()
        .as_array()
        .unwrap()
        .len(),
        1
    );
}

#[tokio::test]
async fn bulk_changes_are_all_or_nothing() {
    let t = TestApp::new().await;
    let a = t.incident(REQ_A, "First one").await;
    let b = t.incident(REQ_A, "Second one").await;
    let agent = t.t(AGENT_A);
    let ok = t
        .api(
            "POST",
            "/v1/tickets/bulk",
            &agent,
            Some(json!({"ids": [id(&a), id(&b)], "changes": {"status": "in_progress"}})),
            &[],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.json()["items"].as_array().unwrap().len(), 2);
    // Resolve one; then "in_progress → open" is fine for one, "resolved → waiting" is not.
    let tag = t
        .api("GET", &format!("/v1/tickets/{}", id(&a)), &agent, None, &[])
        .await
        .header("etag")
        .unwrap()
        .to_string();
    t.api(
        "PATCH",
        &format!("/v1/tickets/{}", id(&a)),
        &agent,
        Some(json!({"status": "resolved"})),
        &[("if-match", &tag)],
    )
    .await;
    let bad = t
        .api(
            "POST",
            "/v1/tickets/bulk",
            &agent,
            Some(json!({"ids": [id(&a), id(&b)], "changes": {"status": "waiting_on_user"}})),
            &[],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let f = bad.json();
    assert_eq!(f["failures"].as_array().unwrap().len(), 1);
    assert_eq!(f["failures"][0]["id"], a["id"]);
    assert_eq!(f["failures"][0]["errors"][0]["code"], "invalid_transition");
    assert_eq!(
        t.api("GET", &format!("/v1/tickets/{}", id(&b)), &agent, None, &[])
            .await
            .json()["status"],
        "in_progress",
        "nothing applied"
    );
    let r = t
        .api(
            "POST",
            "/v1/tickets/bulk",
            &t.t(REQ_A),
            Some(json!({"ids": [id(&b)], "changes": {"status": "open"}})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn queues_are_configured_by_admins_and_counted() {
    let t = TestApp::new().await;
    let admin = t.t(ADMIN_A);
    let agent = t.t(AGENT_A);
    let q = t
        .api(
            "POST",
            "/v1/queues",
            &admin,
            Some(json!({"name": "Network", "description": "VPN and Wi-Fi"})),
            &[],
        )
        .await;
    assert_eq!(q.status, StatusCode::CREATED, "{}", q.body);
    let qid = id(&q.json());
    assert_eq!(
        t.api(
            "POST",
            "/v1/queues",
            &admin,
            Some(json!({"name": "Network"})),
            &[]
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        t.api(
            "POST",
            "/v1/queues",
            &agent,
            Some(json!({"name": "Mine"})),
            &[]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.api("GET", "/v1/queues", &t.t(REQ_A), None, &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let v = t.incident(REQ_A, "Wi-Fi slow").await;
    let a = t
        .api(
            "PATCH",
            &format!("/v1/tickets/{}", id(&v)),
            &agent,
            Some(json!({"queueId": qid, "assigneeId": null})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(a.json()["queue"]["name"], "Network");
    t.incident(REQ_A, "Unrouted").await;
    let l = t.api("GET", "/v1/queues", &agent, None, &[]).await.json();
    assert_eq!(l["items"][0]["openCount"], 1);
    assert_eq!(l["unqueuedOpenCount"], 1);
    let filtered = t
        .api(
            "GET",
            &format!("/v1/tickets?queue={qid}"),
            &agent,
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
    let none = t
        .api("GET", "/v1/tickets?queue=none", &agent, None, &[])
        .await
        .json();
    assert_eq!(none["items"][0]["subject"], "Unrouted");
    let p = t
        .api(
            "PATCH",
            &format!("/v1/queues/{qid}"),
            &admin,
            Some(json!({"archived": true})),
            &[],
        )
        .await;
    assert_eq!(p.json()["archived"], true);
    // An archived queue takes no new tickets; a foreign queue id is unknown.
    let r = t
        .api(
            "POST",
            "/v1/tickets",
            &agent,
            Some(json!({"subject": "Route me", "queueId": qid})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        t.api(
            "PATCH",
            &format!("/v1/queues/{qid}"),
            &t.t("admin@globex.test"),
            Some(json!({"name": "Hijack"})),
            &[]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // Assigning to a requester is refused.
    let who = t.api("GET", "/v1/me", &t.t(REQ_A), None, &[]).await.json()["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = t
        .api(
            "PATCH",
            &format!("/v1/tickets/{}", id(&v)),
            &agent,
            Some(json!({"assigneeId": who})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
}

#[tokio::test]
async fn ticket_settings_are_read_by_agents_and_set_by_admins() {
    let t = TestApp::new().await;
    let g = t
        .api("GET", "/v1/settings/tickets", &t.t(AGENT_A), None, &[])
        .await;
    assert_eq!(g.json()["autoCloseDays"], 7);
    let p = t
        .api(
            "PUT",
            "/v1/settings/tickets",
            &t.t(AGENT_A),
            Some(json!({"autoCloseDays": 3})),
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = t
        .api(
            "PUT",
            "/v1/settings/tickets",
            &t.t(ADMIN_A),
            Some(json!({"autoCloseDays": 0})),
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p.json()["errors"][0]["field"], "autoCloseDays");
    let p = t
        .api(
            "PUT",
            "/v1/settings/tickets",
            &t.t(ADMIN_A),
            Some(json!({"autoCloseDays": 3})),
            &[],
        )
        .await;
    assert_eq!(p.json()["autoCloseDays"], 3);
    // Another tenant is untouched.
    assert_eq!(
        t.api(
            "GET",
            "/v1/settings/tickets",
            &t.t("agent@globex.test"),
            None,
            &[]
        )
        .await
        .json()["autoCloseDays"],
        7
    );
    assert_eq!(
        t.api("GET", "/v1/settings/tickets", &t.t(REQ_A), None, &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn concurrent_comments_on_one_ticket_all_land() {
    let t = std::sync::Arc::new(TestApp::new().await);
    let v = t.incident(REQ_A, "Busy ticket").await;
    let path = format!("/v1/tickets/{}/comments", id(&v));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let (t, path) = (t.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            t.api(
                "POST",
                &path,
                &t.t(AGENT_A),
                Some(json!({"body": format!("note {i}"), "isPrivate": true})),
                &[],
            )
            .await
            .status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::CREATED);
    }
    let all = t.api("GET", &path, &t.t(AGENT_A), None, &[]).await.json();
    assert_eq!(all.as_array().unwrap().len(), 8);
    let after = t
        .api(
            "GET",
            &format!("/v1/tickets/{}", id(&v)),
            &t.t(AGENT_A),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(after["version"], 9, "each comment is one change");
}
