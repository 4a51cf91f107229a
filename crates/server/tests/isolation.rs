//! The tenant-isolation matrix, derived from the OpenAPI document so that every new
//! route is covered: each operation is called with tenant B's credentials (admin, agent,
//! requester) and tenant A's ids, and with another requester of tenant A on the first
//! requester's resources. Every answer must be 404 or 403 where it names A's resources,
//! none may contain A's data, and no write may land in tenant A (A's audit chain, which
//! records every change, must not grow).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod common;

use axum::http::StatusCode;
use serde_json::{Value, json};

use catalyst_app::SystemActor;
use catalyst_app::members::NewMember;
use catalyst_store::Scope;
use catalyst_store::repo::jobs;
use common::{PW, TestApp};

/// A body that the operation would accept, so that the check is about authorisation and
/// not about input validation.
fn body_for(method: &str, path: &str) -> Option<Value> {
    let b = match (method, path) {
        ("post", "/v1/portal/incidents" | "/v1/portal/requests") => {
            json!({"subject": "Intruder ticket"})
        }
        ("post", "/v1/tickets") => json!({"subject": "Intruder ticket"}),
        ("patch", "/v1/tickets/{id}") => json!({"status": "cancelled"}),
        ("post", "/v1/tickets/bulk") => return None, // filled in with A's id below
        ("post", "/v1/tickets/{id}/comments") => json!({"body": "intrusion", "isPrivate": false}),
        ("post", "/v1/queues") => json!({"name": "Intruder queue"}),
        ("patch", "/v1/queues/{id}") => json!({"name": "Hijacked"}),
        ("put", "/v1/settings/tickets") => json!({"autoCloseDays": 1}),
        ("post", "/v1/kb/articles") => json!({"title": "Intruder article", "body": "x"}),
        ("patch", "/v1/kb/articles/{id}") => json!({"title": "Hijacked", "status": "published"}),
        ("post", "/v1/kb/articles/{id}/votes") => json!({"helpful": false}),
        ("put", "/v1/kb/synonyms") => json!({"groups": [["acme", "hijacked"]]}),
        ("post", "/v1/kb/suggestions") => json!({"text": "acme secret"}),
        ("post", "/v1/kb/deflections/{id}") => {
            json!({"step": "submitted", "ticketId": "0190a3e8-0000-7000-8000-000000000000"})
        }
        ("post", "/v1/sla/calendars") | ("put", "/v1/sla/calendars/{id}") => {
            calendar_body("Hijacked calendar")
        }
        ("post", "/v1/sla/policies") | ("put", "/v1/sla/policies/{id}") => {
            json!({"name": "Hijacked policy", "resolutionMinutes": 1})
        }
        ("post", "/v1/notifications/read") => json!({}),
        ("get" | "head" | "delete", _) => return None,
        _ => json!({}),
    };
    Some(b)
}

fn calendar_body(name: &str) -> Value {
    json!({"name": name, "zone": "Europe/Berlin",
           "intervals": [{"weekday": "Mon", "start": "09:00", "end": "17:00"}]})
}

struct TenantA {
    ticket: String,
    article: String,
    deflection: String,
    attachment: String,
    queue: String,
    quarantined: String,
    calendar: String,
    policy: String,
    job: String,
    markers: Vec<String>,
}

async fn tenant_a(t: &TestApp) -> TenantA {
    let admin = t.token("admin@acme.test", "acme").to_string();
    let req = t.token("requester@acme.test", "acme").to_string();
    let q = t
        .api(
            "POST",
            "/v1/queues",
            &admin,
            Some(json!({"name": "Acme Secret Queue"})),
            &[],
        )
        .await
        .json();
    let v = t
        .api(
            "POST",
            "/v1/portal/incidents",
            &req,
            Some(
                json!({"subject": "Acme secret subject", "description": "acme secret description"}),
            ),
            &[],
        )
        .await
        .json();
    let ticket = v["id"].as_str().unwrap().to_string();
    let a = t
        .upload(
            &format!("/v1/tickets/{ticket}/attachments"),
            &req,
            "acme-secret.txt",
            b"acme secret file",
            &[],
        )
        .await
        .json();
    t.api(
        "POST",
        &format!("/v1/tickets/{ticket}/comments"),
        &req,
        Some(json!({"body": "acme secret reply"})),
        &[],
    )
    .await;
    // A draft internal article (nobody but tenant A's agents may read it) and a published
    // one that the requester gets suggested, which makes a deflection record.
    let agent = t.token("agent@acme.test", "acme").to_string();
    let article = t
        .api(
            "POST",
            "/v1/kb/articles",
            &agent,
            Some(json!({"title": "Acme secret runbook", "body": "acme secret steps", "visibility": "internal"})),
            &[],
        )
        .await
        .json();
    let cal = t
        .api(
            "POST",
            "/v1/sla/calendars",
            &admin,
            Some(calendar_body("Acme secret calendar")),
            &[],
        )
        .await
        .json();
    t.api(
        "POST",
        "/v1/kb/articles",
        &agent,
        Some(json!({"title": "Acme secret printer guide", "body": "acme secret printing", "status": "published"})),
        &[],
    )
    .await;
    t.app.search_catch_up().await.unwrap();
    let d = t
        .api(
            "POST",
            "/v1/kb/suggestions",
            &req,
            Some(json!({"text": "printer"})),
            &[],
        )
        .await
        .json();
    let policy = t
        .api(
            "POST",
            "/v1/sla/policies",
            &admin,
            Some(json!({"name": "Acme secret policy", "resolutionMinutes": 60, "calendarId": cal["id"]})),
            &[],
        )
        .await
        .json();
    // A dead job of tenant A.
    let tenant = t.app.tenant_by_slug("acme").await.unwrap().id;
    let tx = t.db.store.write(Scope::Tenant(tenant)).await.unwrap();
    let job = jobs::enqueue(
        &tx,
        jobs::NewJob::new("acme.secret", json!({}), t.app.clock().now()).tenant(tenant),
        t.app.clock().now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    t.app.drain_jobs().await.unwrap();
    let me = t.api("GET", "/v1/me", &admin, None, &[]).await.json();
    // An automatic reply lands in tenant A's email quarantine.
    let held = t
        .app
        .ingest_email_for_slug(
            "acme",
            b"From: Acme secret sender <ooo@acme.test>\r\nAuto-Submitted: auto-replied\r\nSubject: Acme secret away\r\nMessage-ID: <acme-ooo@acme.test>\r\n\r\nacme secret absence\r\n",
            catalyst_app::mail::Source::Cli,
        )
        .await
        .unwrap();
    let catalyst_app::mail::IngestOutcome::Quarantined {
        id: quarantined, ..
    } = held
    else {
        panic!("not quarantined: {held:?}");
    };
    TenantA {
        article: article["id"].as_str().unwrap().to_string(),
        deflection: d["deflectionId"].as_str().unwrap().to_string(),
        quarantined: quarantined.to_string(),
        ticket,
        attachment: a["id"].as_str().unwrap().to_string(),
        queue: q["id"].as_str().unwrap().to_string(),
        calendar: cal["id"].as_str().unwrap().to_string(),
        policy: policy["id"].as_str().unwrap().to_string(),
        job: job.to_string(),
        markers: vec![
            "Acme secret".into(),
            "acme secret".into(),
            "Acme Corp".into(),
            "requester@acme.test".into(),
            me["tenant"]["id"].as_str().unwrap().to_string(),
        ],
    }
}

/// Fills `{id}` with the tenant-A resource the path is about.
fn fill(path: &str, a: &TenantA) -> String {
    let id = if path.starts_with("/v1/tickets/") {
        &a.ticket
    } else if path.starts_with("/v1/attachments/") {
        &a.attachment
    } else if path.starts_with("/v1/queues/") {
        &a.queue
    } else if path.starts_with("/v1/kb/articles/") {
        &a.article
    } else if path.starts_with("/v1/kb/deflections/") {
        &a.deflection
    } else if path.starts_with("/v1/admin/mail/quarantine/") {
        &a.quarantined
    } else if path.starts_with("/v1/sla/calendars/") {
        &a.calendar
    } else if path.starts_with("/v1/sla/policies/") {
        &a.policy
    } else if path.starts_with("/v1/admin/jobs/") {
        &a.job
    } else {
        panic!(
            "{path}: which tenant-A resource does its path parameter name? Add it to the isolation matrix."
        );
    };
    path.replace("{id}", id)
}

async fn audit_entries(t: &TestApp) -> u64 {
    t.app.verify_audit("acme").await.unwrap().unwrap().entries
}

#[tokio::test]
async fn no_route_lets_another_tenant_or_requester_reach_tenant_a() {
    let t = TestApp::new().await;
    let a = tenant_a(&t).await;
    // A second requester inside tenant A.
    let cli = SystemActor::cli();
    t.app
        .add_member(
            &cli,
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
    let other = t
        .app
        .create_token(&cli, "acme", "other@acme.test", "t")
        .await
        .unwrap()
        .token;
    let before = audit_entries(&t).await;
    let agent = t.token("agent@acme.test", "acme").to_string();
    let ticket_before = t
        .api(
            "GET",
            &format!("/v1/tickets/{}", a.ticket),
            &agent,
            None,
            &[],
        )
        .await
        .json();

    let doc = t.get("/openapi.json", None, None).await.json();
    let mut calls = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str())
                || common::is_event_stream(op)
            {
                continue;
            }
            let targets_a = path.contains('{');
            let url = if targets_a {
                fill(path, &a)
            } else {
                path.clone()
            };
            let mut body = body_for(method, path);
            if path == "/v1/tickets/bulk" {
                body = Some(json!({"ids": [a.ticket], "changes": {"status": "cancelled"}}));
            }
            let upper = method.to_uppercase();
            let mut callers: Vec<(String, String)> = ["admin", "agent", "requester"]
                .iter()
                .map(|r| {
                    (
                        format!("{r}@globex.test"),
                        t.token(&format!("{r}@globex.test"), "globex").to_string(),
                    )
                })
                .collect();
            if targets_a {
                callers.push(("other@acme.test".into(), other.clone()));
            }
            for (who, token) in callers {
                let answer = if method == "post" && path.ends_with("/attachments") {
                    t.upload(&url, &token, "intruder.txt", b"intruder", &[])
                        .await
                } else {
                    t.api(&upper, &url, &token, body.clone(), &[("if-match", "\"1\"")])
                        .await
                };
                calls += 1;
                for m in &a.markers {
                    assert!(
                        !answer.body.contains(m.as_str()),
                        "{who} {upper} {url} leaked {m:?}: {}",
                        answer.body
                    );
                }
                if targets_a || path == "/v1/tickets/bulk" {
                    let allowed = [StatusCode::NOT_FOUND, StatusCode::FORBIDDEN];
                    let ok = allowed.contains(&answer.status)
                        || (path == "/v1/tickets/bulk"
                            && answer.status == StatusCode::UNPROCESSABLE_ENTITY);
                    assert!(ok, "{who} {upper} {url}: {} {}", answer.status, answer.body);
                } else {
                    assert!(
                        !answer.status.is_server_error(),
                        "{who} {upper} {url}: {}",
                        answer.status
                    );
                }
            }
        }
    }
    assert!(calls >= 60, "walked only {calls} calls");
    assert_eq!(
        audit_entries(&t).await,
        before,
        "a write landed in tenant A"
    );
    // And tenant A's data is as it was.
    let v = t
        .api(
            "GET",
            &format!("/v1/tickets/{}", a.ticket),
            &agent,
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(v, ticket_before);
    let q = t.api("GET", "/v1/queues", &agent, None, &[]).await.json();
    assert_eq!(q["items"][0]["name"], "Acme Secret Queue");
}
