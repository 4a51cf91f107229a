//! SLA clocks, calendars, policies, timers, notifications and dead jobs through the API.
//! Time is the test's manual clock; due jobs run when the test drains the queue.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use catalyst_app::Clock;
use catalyst_domain::TenantId;
use catalyst_store::Scope;
use catalyst_store::repo::{events, jobs};
use common::TestApp;

const ADMIN: &str = "admin@acme.test";
const AGENT: &str = "agent@acme.test";
const REQUESTER: &str = "requester@acme.test";

/// Mon–Fri 09:00–17:00 in Berlin (08:00–16:00 UTC in March), Christmas closed.
fn berlin() -> Value {
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri"];
    json!({
        "name": "Berlin office",
        "zone": "Europe/Berlin",
        "intervals": days.iter().map(|d| json!({"weekday": d, "start": "09:00", "end": "17:00"})).collect::<Vec<_>>(),
        "holidays": [{"name": "Christmas Day", "start": "2026-12-25", "end": "2026-12-25"}],
    })
}

async fn setup(t: &TestApp, policy: Value) -> (String, String) {
    let admin = t.token(ADMIN, "acme");
    let c = t
        .api("POST", "/v1/sla/calendars", admin, Some(berlin()), &[])
        .await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let cal = c.json()["id"].as_str().unwrap().to_string();
    let mut p = policy;
    p["calendarId"] = json!(cal);
    let r = t.api("POST", "/v1/sla/policies", admin, Some(p), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (cal, r.json()["id"].as_str().unwrap().to_string())
}

fn p3(extra: Value) -> Value {
    let mut p = json!({
        "name": "P3 – Moderate", "priorities": ["P3"],
        "firstResponseMinutes": 60, "resolutionMinutes": 240,
    });
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

async fn incident(t: &TestApp, impact: &str, urgency: &str) -> String {
    let r = t
        .api(
            "POST",
            "/v1/tickets",
            t.token(AGENT, "acme"),
            Some(json!({"kind": "incident", "subject": "Mail server down", "description": "No mail since 8",
                        "impact": impact, "urgency": urgency})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_string()
}

async fn sla(t: &TestApp, id: &str) -> Value {
    let r = t
        .api(
            "GET",
            &format!("/v1/tickets/{id}/sla"),
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn patch(t: &TestApp, id: &str, changes: Value) -> Value {
    let tok = t.token(AGENT, "acme");
    let cur = t
        .api("GET", &format!("/v1/tickets/{id}"), tok, None, &[])
        .await;
    let etag = cur.header("etag").unwrap().to_string();
    let r = t
        .api(
            "PATCH",
            &format!("/v1/tickets/{id}"),
            tok,
            Some(changes),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn notifications(t: &TestApp, who: &str) -> Value {
    let r = t
        .api("GET", "/v1/notifications", t.token(who, "acme"), None, &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

fn kinds(n: &Value) -> Vec<String> {
    n["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn event_types(t: &TestApp) -> Vec<String> {
    let tenant = TenantId(t.app.tenant_by_slug("acme").await.unwrap().id.0);
    let tx = t.db.store.read(Scope::Tenant(tenant)).await.unwrap();
    events::list_after(&tx, tenant, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

#[tokio::test]
async fn the_clock_runs_on_the_policy_calendar_and_is_explained() {
    let t = TestApp::new().await;
    let (cal, policy) = setup(&t, p3(json!({}))).await;
    // Monday 2 March 2026, 09:00 UTC = 10:00 in Berlin.
    let id = incident(&t, "medium", "medium").await;
    let s = sla(&t, &id).await;
    assert_eq!(s["policy"]["id"], policy);
    assert_eq!(s["calendar"]["id"], cal);
    assert_eq!(s["calendar"]["zone"], "Europe/Berlin");
    assert_eq!(s["summary"], "running");
    assert_eq!(s["firstResponse"]["targetSecs"], 3600);
    assert_eq!(s["firstResponse"]["dueAt"], "2026-03-02T10:00:00Z");
    assert_eq!(s["resolution"]["dueAt"], "2026-03-02T13:00:00Z");
    assert_eq!(s["nextDueAt"], "2026-03-02T10:00:00Z");
    assert!(!s["trace"].as_array().unwrap().is_empty());

    // The list carries the summary for agents, sorts by deadline, filters by state.
    let other = t
        .api(
            "POST",
            "/v1/tickets",
            t.token(AGENT, "acme"),
            Some(json!({"kind": "incident", "subject": "No policy for me", "impact": "low", "urgency": "low"})),
            &[],
        )
        .await
        .json();
    assert_eq!(other["slaState"], Value::Null);
    let list = t
        .api(
            "GET",
            "/v1/tickets?sort=due",
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await
        .json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(
        items[0]["id"],
        id.as_str(),
        "the ticket with a deadline comes first"
    );
    assert_eq!(items[0]["slaState"], "running");
    assert_eq!(items[0]["slaNextDueAt"], "2026-03-02T10:00:00Z");
    let running = t
        .api(
            "GET",
            "/v1/tickets?sla=running",
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(running["items"].as_array().unwrap().len(), 1);
    let bad = t
        .api(
            "GET",
            "/v1/tickets?sla=late",
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The requester sees no SLA internals.
    let mine = t
        .api(
            "POST",
            "/v1/portal/incidents",
            t.token(REQUESTER, "acme"),
            Some(json!({"subject": "Printer", "description": "jammed"})),
            &[],
        )
        .await;
    assert_eq!(mine.json()["slaState"], Value::Null);
    // Filtering by SLA state is ignored for requesters: it would reveal the clocks.
    let all_mine = t
        .api("GET", "/v1/tickets", t.token(REQUESTER, "acme"), None, &[])
        .await
        .json();
    let by_sla = t
        .api(
            "GET",
            "/v1/tickets?sla=breached&sort=due",
            t.token(REQUESTER, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert!(!all_mine["items"].as_array().unwrap().is_empty());
    assert_eq!(by_sla["items"], all_mine["items"]);
    let r = t
        .api(
            "GET",
            &format!("/v1/tickets/{id}/sla"),
            t.token(REQUESTER, "acme"),
            None,
            &[],
        )
        .await;
    assert!(matches!(
        r.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
}

#[tokio::test]
async fn due_soon_and_breach_fire_once_with_audit_notification_and_escalation() {
    let t = TestApp::new().await;
    let q = t
        .api(
            "POST",
            "/v1/queues",
            t.token(ADMIN, "acme"),
            Some(json!({"name": "Major incidents"})),
            &[],
        )
        .await
        .json();
    setup(
        &t,
        p3(json!({"escalatePriority": "P1", "escalateQueueId": q["id"]})),
    )
    .await;
    let id = incident(&t, "medium", "medium").await;
    t.app.drain_jobs().await.unwrap();
    assert_eq!(notifications(&t, AGENT).await["unread"], 0);

    // 45 minutes: 75 % of the first-response target.
    t.clock.advance(Duration::minutes(45));
    t.app.drain_jobs().await.unwrap();
    let got = t
        .api(
            "GET",
            &format!("/v1/tickets/{id}"),
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(got["slaState"], "due_soon");
    // Unassigned: every agent of the tenant hears about it.
    for who in [AGENT, ADMIN] {
        assert_eq!(kinds(&notifications(&t, who).await), vec!["sla_due_soon"]);
    }
    assert_eq!(
        kinds(&notifications(&t, REQUESTER).await),
        Vec::<String>::new()
    );

    t.clock.advance(Duration::minutes(16));
    t.app.drain_jobs().await.unwrap();
    t.app.drain_jobs().await.unwrap();
    let got = t
        .api(
            "GET",
            &format!("/v1/tickets/{id}"),
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(got["slaState"], "breached");
    assert_eq!(got["priority"], "P1", "escalated");
    assert_eq!(got["queue"]["id"], q["id"]);
    assert_eq!(
        kinds(&notifications(&t, AGENT).await),
        vec!["sla_breached", "sla_due_soon"]
    );
    let types = event_types(&t).await;
    assert_eq!(
        types.iter().filter(|e| *e == "ticket.sla_due_soon").count(),
        1
    );
    assert_eq!(
        types.iter().filter(|e| *e == "ticket.sla_breached").count(),
        1
    );
    assert_eq!(types.iter().filter(|e| *e == "ticket.escalated").count(), 1);
    let s = sla(&t, &id).await;
    assert_eq!(s["firstResponse"]["breached"], true);
    assert_eq!(s["firstResponse"]["breachedAt"], "2026-03-02T10:00:00Z");

    // Much later: the first-response breach is not announced again.
    t.clock.advance(Duration::hours(1));
    t.app.drain_jobs().await.unwrap();
    assert_eq!(
        types.iter().filter(|e| *e == "ticket.sla_breached").count(),
        event_types(&t)
            .await
            .iter()
            .filter(|e| *e == "ticket.sla_breached")
            .count()
    );
}

#[tokio::test]
async fn an_assignee_alone_is_told_and_assignment_is_notified() {
    let t = TestApp::new().await;
    setup(&t, p3(json!({}))).await;
    let id = incident(&t, "medium", "medium").await;
    let me = t
        .api("GET", "/v1/me", t.token(AGENT, "acme"), None, &[])
        .await
        .json();
    // The admin assigns the agent: the agent is told.
    let tok = t.token(ADMIN, "acme");
    let cur = t
        .api("GET", &format!("/v1/tickets/{id}"), tok, None, &[])
        .await;
    let r = t
        .api(
            "PATCH",
            &format!("/v1/tickets/{id}"),
            tok,
            Some(json!({"assigneeId": me["user"]["id"]})),
            &[("if-match", cur.header("etag").unwrap())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    t.app.drain_jobs().await.unwrap();
    assert_eq!(
        kinds(&notifications(&t, AGENT).await),
        vec!["ticket_assigned"]
    );
    t.clock.advance(Duration::minutes(50));
    t.app.drain_jobs().await.unwrap();
    assert_eq!(
        kinds(&notifications(&t, AGENT).await),
        vec!["sla_due_soon", "ticket_assigned"]
    );
    assert!(
        kinds(&notifications(&t, ADMIN).await).is_empty(),
        "only the assignee"
    );

    // Marking read: one, then all; someone else's id is not found.
    let n = notifications(&t, AGENT).await;
    let first = n["items"][0]["id"].clone();
    let r = t
        .api(
            "POST",
            "/v1/notifications/read",
            t.token(ADMIN, "acme"),
            Some(json!({"id": first})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t
        .api(
            "POST",
            "/v1/notifications/read",
            t.token(AGENT, "acme"),
            Some(json!({"id": first})),
            &[],
        )
        .await;
    assert_eq!(r.json()["unread"], 1);
    let r = t
        .api(
            "POST",
            "/v1/notifications/read",
            t.token(AGENT, "acme"),
            Some(json!({})),
            &[],
        )
        .await;
    assert_eq!(r.json()["unread"], 0);
}

#[tokio::test]
async fn waiting_on_the_user_pauses_and_a_reopen_resumes_with_elapsed_time_kept() {
    let t = TestApp::new().await;
    setup(&t, p3(json!({}))).await;
    let id = incident(&t, "medium", "medium").await;
    t.clock.advance(Duration::minutes(30));
    let r = t
        .api(
            "POST",
            &format!("/v1/tickets/{id}/comments"),
            t.token(AGENT, "acme"),
            Some(json!({"body": "Which mail client?", "isPrivate": false})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    patch(&t, &id, json!({"status": "waiting_on_user"})).await;
    let s = sla(&t, &id).await;
    assert_eq!(s["firstResponse"]["met"], true);
    assert_eq!(s["resolution"]["state"], "paused");
    assert_eq!(s["summary"], "paused");

    // Two business hours pass while waiting: they do not count.
    t.clock.advance(Duration::hours(2));
    t.app.drain_jobs().await.unwrap();
    patch(&t, &id, json!({"status": "in_progress"})).await;
    let s = sla(&t, &id).await;
    assert_eq!(s["resolution"]["elapsedSecs"], 30 * 60);
    assert_eq!(s["pauses"][0]["businessSecs"], 2 * 3600);
    // 3.5 h left from 11:30 UTC: 15:00 UTC.
    assert_eq!(s["resolution"]["dueAt"], "2026-03-02T15:00:00Z");

    t.clock.advance(Duration::minutes(30));
    patch(&t, &id, json!({"status": "resolved"})).await;
    let s = sla(&t, &id).await;
    assert_eq!(s["resolution"]["state"], "stopped");
    assert_eq!(s["resolution"]["met"], true);
    assert_eq!(s["summary"], "met");
    let pending = {
        let tx = t.db.store.read(Scope::System).await.unwrap();
        jobs::list(&tx, jobs::PENDING, None, 100).await.unwrap()
    };
    assert!(
        pending.iter().all(|j| j.kind != "sla.timer"),
        "no timer for a stopped clock"
    );

    // Resolved time does not count; a reopen resumes with 1 h elapsed.
    t.clock.advance(Duration::hours(1));
    patch(&t, &id, json!({"status": "open"})).await;
    let s = sla(&t, &id).await;
    assert_eq!(s["resolution"]["state"], "running");
    assert_eq!(s["resolution"]["elapsedSecs"], 3600);
    assert_eq!(
        s["resolution"]["dueAt"], "2026-03-02T16:00:00Z",
        "3 h left from 13:00 UTC"
    );
}

#[tokio::test]
async fn a_priority_change_keeps_elapsed_time_and_recomputes_the_deadline() {
    let t = TestApp::new().await;
    let (cal, _) = setup(&t, p3(json!({}))).await;
    let p2 = json!({"name": "P2 – High", "priorities": ["P2"], "firstResponseMinutes": 30,
                    "resolutionMinutes": 120, "calendarId": cal});
    let r = t
        .api(
            "POST",
            "/v1/sla/policies",
            t.token(ADMIN, "acme"),
            Some(p2),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = incident(&t, "medium", "medium").await;
    t.clock.advance(Duration::minutes(20));
    patch(&t, &id, json!({"urgency": "high"})).await;
    let s = sla(&t, &id).await;
    assert_eq!(s["policy"]["name"], "P2 – High");
    assert_eq!(s["firstResponse"]["elapsedSecs"], 20 * 60);
    assert_eq!(s["firstResponse"]["dueAt"], "2026-03-02T09:30:00Z");
    assert_eq!(s["resolution"]["dueAt"], "2026-03-02T11:00:00Z");
}

#[tokio::test]
async fn overdue_timers_fire_once_after_downtime_and_outside_hours_nothing_counts() {
    let t = TestApp::new().await;
    setup(&t, p3(json!({}))).await;
    let id = incident(&t, "medium", "medium").await;
    // The server is down from 09:00 to the next morning; nothing ran in between.
    t.clock.advance(Duration::hours(24));
    let run = t.app.drain_jobs().await.unwrap();
    assert!(run.done >= 1);
    let types = event_types(&t).await;
    assert_eq!(
        types.iter().filter(|e| *e == "ticket.sla_breached").count(),
        2,
        "{types:?}"
    );
    assert_eq!(
        types.iter().filter(|e| *e == "ticket.sla_due_soon").count(),
        0
    );
    assert_eq!(
        kinds(&notifications(&t, AGENT).await),
        vec!["sla_breached", "sla_breached"]
    );
    let s = sla(&t, &id).await;
    // Resolution: 7 business hours on Monday (09:00–16:00 UTC) + 1 on Tuesday.
    assert_eq!(s["resolution"]["elapsedSecs"], 8 * 3600);
    assert_eq!(t.app.drain_jobs().await.unwrap().total(), 0);
}

#[tokio::test]
async fn calendars_and_policies_are_validated_and_admin_only() {
    let t = TestApp::new().await;
    let admin = t.token(ADMIN, "acme");
    let mut bad = berlin();
    bad["zone"] = json!("Mars/Olympus");
    let r = t
        .api("POST", "/v1/sla/calendars", admin, Some(bad), &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("zone"), "{}", r.body);
    let mut overlap = berlin();
    overlap["intervals"] = json!([
        {"weekday": "Mon", "start": "09:00", "end": "13:00"},
        {"weekday": "Mon", "start": "12:00", "end": "17:00"}
    ]);
    let r = t
        .api("POST", "/v1/sla/calendars", admin, Some(overlap), &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut badtime = berlin();
    badtime["intervals"] = json!([{"weekday": "Mon", "start": "9", "end": "17:00"}]);
    let r = t
        .api("POST", "/v1/sla/calendars", admin, Some(badtime), &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    let r = t
        .api(
            "POST",
            "/v1/sla/policies",
            admin,
            Some(p3(json!({"calendarId": uuid::Uuid::now_v7()}))),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("calendarId"));
    let r = t
        .api(
            "POST",
            "/v1/sla/policies",
            admin,
            Some(json!({"name": "No targets"})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    let r = t
        .api(
            "POST",
            "/v1/sla/calendars",
            t.token(AGENT, "acme"),
            Some(berlin()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .api(
            "GET",
            "/v1/sla/policies",
            t.token(REQUESTER, "acme"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing was written by the refused requests.
    let r = t.api("GET", "/v1/sla/calendars", admin, None, &[]).await;
    assert_eq!(r.json(), json!([]));

    // A calendar in use cannot be deleted; the policy can, then the calendar.
    let (cal, policy) = setup(&t, p3(json!({}))).await;
    // Names are unique per tenant, on create and on rename.
    let r = t
        .api("POST", "/v1/sla/policies", admin, Some(p3(json!({}))), &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let other = t
        .api(
            "POST",
            "/v1/sla/policies",
            admin,
            Some(p3(json!({"name": "Other"}))),
            &[],
        )
        .await
        .json();
    let r = t
        .api(
            "PUT",
            &format!("/v1/sla/policies/{}", other["id"].as_str().unwrap()),
            admin,
            Some(p3(json!({}))),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = t
        .api("POST", "/v1/sla/calendars", admin, Some(berlin()), &[])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    t.api(
        "DELETE",
        &format!("/v1/sla/policies/{}", other["id"].as_str().unwrap()),
        admin,
        None,
        &[],
    )
    .await;
    let r = t
        .api(
            "DELETE",
            &format!("/v1/sla/calendars/{cal}"),
            admin,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = t
        .api(
            "DELETE",
            &format!("/v1/sla/policies/{policy}"),
            admin,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = t
        .api(
            "DELETE",
            &format!("/v1/sla/calendars/{cal}"),
            admin,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn holidays_import_from_icalendar_and_shift_deadlines() {
    let t = TestApp::new().await;
    let (cal, _) = setup(&t, p3(json!({}))).await;
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n\
BEGIN:VEVENT\r\nUID:1@test\r\nDTSTART;VALUE=DATE:20260302\r\nDTEND;VALUE=DATE:20260303\r\nSUMMARY:Staff day\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:2@test\r\nDTSTART;VALUE=DATE:20260406\r\nDTEND;VALUE=DATE:20260407\r\nSUMMARY:Easter Monday\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";
    let req = Request::builder()
        .method("POST")
        .uri(format!("/v1/sla/calendars/{cal}/holidays"))
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", t.token(ADMIN, "acme")),
        )
        .header(header::CONTENT_TYPE, "text/calendar")
        .body(Body::from(ics))
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["imported"], 2);
    let names: Vec<String> = r.json()["calendar"]["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"Easter Monday".to_string()), "{names:?}");

    // Today (Monday 2 March) is now closed: the first response is due Tuesday 09:00 Berlin.
    let id = incident(&t, "medium", "medium").await;
    assert_eq!(
        sla(&t, &id).await["firstResponse"]["dueAt"],
        "2026-03-03T09:00:00Z"
    );

    let req = Request::builder()
        .method("POST")
        .uri(format!("/v1/sla/calendars/{cal}/holidays"))
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", t.token(ADMIN, "acme")),
        )
        .header(header::CONTENT_TYPE, "text/calendar")
        .body(Body::from("BEGIN:VCALENDAR\r\nthis is not ical"))
        .unwrap();
    let r = t.send(req).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

#[tokio::test]
async fn another_tenant_never_reaches_calendars_policies_clocks_or_jobs() {
    let t = TestApp::new().await;
    let (cal, policy) = setup(&t, p3(json!({}))).await;
    let id = incident(&t, "medium", "medium").await;
    for who in ["admin@globex.test", "agent@globex.test"] {
        let tok = t.token(who, "globex");
        for (m, p, body) in [
            ("GET", format!("/v1/sla/calendars/{cal}"), None),
            ("PUT", format!("/v1/sla/calendars/{cal}"), Some(berlin())),
            ("DELETE", format!("/v1/sla/calendars/{cal}"), None),
            (
                "PUT",
                format!("/v1/sla/policies/{policy}"),
                Some(p3(json!({}))),
            ),
            ("DELETE", format!("/v1/sla/policies/{policy}"), None),
            ("GET", format!("/v1/tickets/{id}/sla"), None),
        ] {
            let r = t.api(m, &p, tok, body, &[]).await;
            assert!(
                matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{who} {m} {p}: {}",
                r.status
            );
        }
        let r = t.api("GET", "/v1/sla/calendars", tok, None, &[]).await;
        assert!(!r.body.contains(&cal));
    }
    let s = sla(&t, &id).await;
    assert_eq!(s["policy"]["id"], policy.as_str(), "unchanged");
}

#[tokio::test]
async fn dead_jobs_are_listed_for_admins_and_can_be_retried() {
    let t = TestApp::new().await;
    let acme = TenantId(t.app.tenant_by_slug("acme").await.unwrap().id.0);
    let globex = TenantId(t.app.tenant_by_slug("globex").await.unwrap().id.0);
    for tenant in [acme, globex] {
        let tx = t.db.store.write(Scope::Tenant(tenant)).await.unwrap();
        jobs::enqueue(
            &tx,
            jobs::NewJob::new("no.such.kind", json!({}), t.clock.now()).tenant(tenant),
            t.clock.now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let run = t.app.drain_jobs().await.unwrap();
    assert_eq!(run.dead, 2);
    let r = t
        .api(
            "GET",
            "/v1/admin/jobs/dead",
            t.token(ADMIN, "acme"),
            None,
            &[],
        )
        .await;
    let dead = r.json();
    assert_eq!(dead.as_array().unwrap().len(), 1, "only acme's");
    assert!(
        dead[0]["lastError"]
            .as_str()
            .unwrap()
            .contains("unknown job kind")
    );
    let jid = dead[0]["id"].as_str().unwrap();
    let r = t
        .api(
            "GET",
            "/v1/admin/jobs/dead",
            t.token(AGENT, "acme"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .api(
            "POST",
            &format!("/v1/admin/jobs/{jid}/retry"),
            t.token("admin@globex.test", "globex"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t
        .api(
            "POST",
            &format!("/v1/admin/jobs/{jid}/retry"),
            t.token(ADMIN, "acme"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = t
        .api(
            "GET",
            "/v1/admin/jobs/dead",
            t.token(ADMIN, "acme"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.json(), json!([]));
}

#[tokio::test]
async fn the_notification_stream_starts_with_the_unread_count() {
    let t = TestApp::new().await;
    setup(&t, p3(json!({}))).await;
    incident(&t, "medium", "medium").await;
    t.clock.advance(Duration::minutes(46));
    t.app.drain_jobs().await.unwrap();
    let req = Request::builder()
        .uri("/v1/notifications/stream")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", t.token(AGENT, "acme")),
        )
        .body(Body::empty())
        .unwrap();
    let res = t.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut body = res.into_body();
    let frame = body.frame().await.unwrap().unwrap();
    let text = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert!(text.contains("event: unread"), "{text}");
    assert!(text.contains("data: 1"), "{text}");
}

#[tokio::test]
async fn a_new_ticket_gets_the_policies_in_force_the_moment_they_change() {
    // Tickets created in a row, with no time passing between changes: what the writer
    // remembers of the policies must never outlive a change to them.
    let t = TestApp::new().await;
    let admin = t.token(ADMIN, "acme");
    let before = incident(&t, "medium", "medium").await;
    assert!(sla(&t, &before).await["policy"].is_null());

    let (cal, policy) = setup(&t, p3(json!({}))).await;
    let covered = incident(&t, "medium", "medium").await;
    let s = sla(&t, &covered).await;
    assert_eq!(s["policy"]["id"], policy.as_str());
    assert_eq!(s["resolution"]["targetSecs"], 240 * 60);

    let mut changed = p3(json!({"resolutionMinutes": 480}));
    changed["calendarId"] = json!(cal);
    let r = t
        .api(
            "PUT",
            &format!("/v1/sla/policies/{policy}"),
            admin,
            Some(changed),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let longer = incident(&t, "medium", "medium").await;
    assert_eq!(sla(&t, &longer).await["resolution"]["targetSecs"], 480 * 60);

    let r = t
        .api(
            "DELETE",
            &format!("/v1/sla/policies/{policy}"),
            admin,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let after = incident(&t, "medium", "medium").await;
    assert!(sla(&t, &after).await["policy"].is_null());
}
