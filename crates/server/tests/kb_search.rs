//! Knowledge base and search through the API: article lifecycle and permissions, search
//! freshness (driven by the indexer, never by waiting), typos, synonyms, permission
//! filtering, tenant isolation, zero-result log, reindex, deflection, outbox gaps, and the
//! rebuild of a lost index.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod common;

use axum::http::StatusCode;
use catalyst_app::search::{COMMIT_EVERY, GAP_GRACE_SECS, MAX_INDEXED_COMMENTS, SearchService};
use catalyst_app::{Clock, SystemActor};
use catalyst_domain::TenantId;
use catalyst_store::Scope;
use catalyst_store::entity::{event, ticket_comment};
use catalyst_store::sea_orm::{ActiveModelTrait, Set};
use common::TestApp;
use serde_json::{Value, json};

async fn article(t: &TestApp, token: &str, body: Value) -> Value {
    let a = t
        .api("POST", "/v1/kb/articles", token, Some(body), &[])
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.json()
}

async fn search(t: &TestApp, token: &str, q: &str) -> Value {
    let url = format!("/v1/search?q={}", common::url_encode(q));
    let a = t.api("GET", &url, token, None, &[]).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.json()
}

fn titles(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn article_lifecycle_versions_votes_and_permissions() {
    let t = TestApp::new().await;
    let agent = t.token("agent@acme.test", "acme").to_string();
    let req = t.token("requester@acme.test", "acme").to_string();
    let a = article(
        &t,
        &agent,
        json!({"title": "Reset your password", "body": "Use the **self-service** page.\n\n<script>x</script>", "tags": ["Password", "account"]}),
    )
    .await;
    let id = a["id"].as_str().unwrap();
    assert_eq!(a["status"], "draft");
    assert_eq!(a["tags"], json!(["password", "account"]));
    assert!(
        a["bodyHtml"]
            .as_str()
            .unwrap()
            .contains("<strong>self-service</strong>")
    );
    assert!(!a["bodyHtml"].as_str().unwrap().contains("<script>"));

    // A draft is invisible to requesters, who cannot write either.
    let path = format!("/v1/kb/articles/{id}");
    assert_eq!(
        t.api("GET", &path, &req, None, &[]).await.status,
        StatusCode::NOT_FOUND
    );
    let no = t
        .api(
            "POST",
            "/v1/kb/articles",
            &req,
            Some(json!({"title": "x", "body": "y"})),
            &[],
        )
        .await;
    assert_eq!(no.status, StatusCode::FORBIDDEN);

    // Publishing needs the current ETag.
    let patch = Some(json!({"status": "published"}));
    let missing = t.api("PATCH", &path, &agent, patch.clone(), &[]).await;
    assert_eq!(missing.status, StatusCode::PRECONDITION_REQUIRED);
    let stale = t
        .api(
            "PATCH",
            &path,
            &agent,
            patch.clone(),
            &[("if-match", "\"7\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let ok = t
        .api("PATCH", &path, &agent, patch, &[("if-match", "\"1\"")])
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.header("etag"), Some("\"2\""));
    // The lifecycle is checked.
    let bad = t
        .api(
            "PATCH",
            &path,
            &agent,
            Some(json!({"status": "draft", "title": ""})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["errors"][0]["field"], "title");

    // Requesters read it now; each read is a view.
    let r = t.api("GET", &path, &req, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = t.api("GET", &path, &req, None, &[]).await.json();
    assert_eq!(r["viewCount"], 2);
    // One vote per person; voting again replaces it.
    let votes = format!("{path}/votes");
    t.api("POST", &votes, &req, Some(json!({"helpful": false})), &[])
        .await;
    let v = t
        .api("POST", &votes, &req, Some(json!({"helpful": true})), &[])
        .await
        .json();
    assert_eq!(
        (v["helpfulCount"].as_i64(), v["notHelpfulCount"].as_i64()),
        (Some(1), Some(0))
    );

    // Versions: agents only.
    let versions = format!("{path}/versions");
    assert_eq!(
        t.api("GET", &versions, &req, None, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let vs = t.api("GET", &versions, &agent, None, &[]).await.json();
    let statuses: Vec<&str> = vs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["published", "draft"]);

    // Internal articles stay with agents; lists follow the same rules.
    article(&t, &agent, json!({"title": "Escalation contacts", "body": "Call the NOC.", "visibility": "internal", "status": "published"})).await;
    let mine = t
        .api("GET", "/v1/kb/articles", &req, None, &[])
        .await
        .json();
    assert_eq!(titles(&mine), vec!["Reset your password"]);
    let all = t
        .api("GET", "/v1/kb/articles", &agent, None, &[])
        .await
        .json();
    assert_eq!(all["total"], 2);
}

#[tokio::test]
async fn a_new_article_is_searchable_once_the_indexer_caught_up_with_typos_and_synonyms() {
    let t = TestApp::new().await;
    let agent = t.token("agent@acme.test", "acme").to_string();
    let admin = t.token("admin@acme.test", "acme").to_string();
    let req = t.token("requester@acme.test", "acme").to_string();
    t.app.search_catch_up().await.unwrap();

    article(&t, &agent, json!({"title": "Connect to the VPN", "body": "Install the client, then sign in.", "status": "published"})).await;
    article(&t, &agent, json!({"title": "Reset your password", "body": "Use the self-service page.", "status": "published"})).await;
    article(&t, &agent, json!({"title": "Add a printer", "body": "Settings, then Printers.", "status": "published"})).await;
    assert!(
        titles(&search(&t, &req, "vpn").await).is_empty(),
        "not indexed yet"
    );

    // The worker does this as soon as the commit wakes it; here the test drives it.
    let r = t.app.search_catch_up().await.unwrap();
    assert_eq!(r.applied, 3);
    assert_eq!(r.waiting_on, None);

    assert_eq!(
        titles(&search(&t, &req, "vnp").await),
        vec!["Connect to the VPN"]
    );
    assert_eq!(
        titles(&search(&t, &req, "pasword").await),
        vec!["Reset your password"]
    );
    assert_eq!(
        titles(&search(&t, &req, "prnter").await),
        vec!["Add a printer"]
    );
    let hit = &search(&t, &req, "printer").await["items"][0];
    assert_eq!(hit["titleHtml"], "Add a <mark>printer</mark>");
    assert_eq!(hit["type"], "article");

    // Synonyms apply from the next search, both ways, multi-word.
    assert!(titles(&search(&t, &req, "virtual private network").await).is_empty());
    let put = t
        .api(
            "PUT",
            "/v1/kb/synonyms",
            &admin,
            Some(json!({"groups": [["VPN", "Virtual Private Network"]]})),
            &[],
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(
        put.json()["groups"],
        json!([["vpn", "virtual private network"]])
    );
    assert_eq!(
        titles(&search(&t, &req, "virtual private network").await),
        vec!["Connect to the VPN"]
    );
    let bad = t
        .api(
            "PUT",
            "/v1/kb/synonyms",
            &admin,
            Some(json!({"groups": [["lonely"]]})),
            &[],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A NUL character is refused with a field error (PostgreSQL can't store it).
    let nul = t
        .api(
            "PUT",
            "/v1/kb/synonyms",
            &admin,
            Some(json!({"groups": [["wifi", "wlan\u{0}"]]})),
            &[],
        )
        .await;
    assert_eq!(nul.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", nul.body);
    let forbidden = t
        .api(
            "PUT",
            "/v1/kb/synonyms",
            &agent,
            Some(json!({"groups": []})),
            &[],
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    for q in ["limit=0", "limit=101", "offset=10001"] {
        let r = t
            .api("GET", &format!("/v1/kb/articles?{q}"), &admin, None, &[])
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q}: {}",
            r.body
        );
    }

    // Archiving removes it from results after the next catch-up.
    let all = t
        .api("GET", "/v1/kb/articles", &agent, None, &[])
        .await
        .json();
    let vpn = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Connect to the VPN")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let archived = t
        .api(
            "PATCH",
            &format!("/v1/kb/articles/{vpn}"),
            &agent,
            Some(json!({"status": "archived"})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.body);
    t.app.search_catch_up().await.unwrap();
    assert!(titles(&search(&t, &req, "vpn").await).is_empty());
}

#[tokio::test]
async fn requesters_find_their_own_tickets_without_internal_notes_and_tenants_stay_apart() {
    let t = TestApp::new().await;
    let agent = t.token("agent@acme.test", "acme").to_string();
    let req = t.token("requester@acme.test", "acme").to_string();
    let other_agent = t.token("agent@globex.test", "globex").to_string();
    let other_admin = t.token("admin@globex.test", "globex").to_string();
    let v = t
        .api(
            "POST",
            "/v1/portal/incidents",
            &req,
            Some(
                json!({"subject": "Docking station flickers", "description": "Screen goes black."}),
            ),
            &[],
        )
        .await
        .json();
    let id = v["id"].as_str().unwrap();
    let number = v["number"].as_str().unwrap().to_string();
    t.api(
        "POST",
        &format!("/v1/tickets/{id}/comments"),
        &agent,
        Some(json!({"body": "Firmware bug, vendor case 4711 quarantined", "isPrivate": true})),
        &[],
    )
    .await;
    // Another requester's ticket in the same tenant.
    let theirs = t
        .api(
            "POST",
            "/v1/tickets",
            &agent,
            Some(json!({"subject": "Docking station missing"})),
            &[],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    t.app.search_catch_up().await.unwrap();

    let mine = search(&t, &req, "docking").await;
    assert_eq!(titles(&mine), vec!["Docking station flickers"]);
    assert!(
        titles(&search(&t, &req, "quarantined").await).is_empty(),
        "internal note"
    );
    assert_eq!(
        titles(&search(&t, &agent, "quarantined").await),
        vec!["Docking station flickers"]
    );
    assert_eq!(search(&t, &agent, "docking").await["total"], 2);
    assert_eq!(
        titles(&search(&t, &agent, &number).await),
        vec!["Docking station flickers"]
    );

    // Filters and facets.
    let f = t
        .api(
            "GET",
            "/v1/search?q=docking&types=ticket&kind=incident",
            &agent,
            None,
            &[],
        )
        .await
        .json();
    assert_eq!(f["facets"]["types"]["ticket"], f["total"]);
    let bad = t
        .api("GET", "/v1/search?q=x&types=nope", &agent, None, &[])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Nobody in another tenant finds any of it.
    for token in [&other_agent, &other_admin] {
        assert_eq!(search(&t, token, "docking").await["total"], 0);
        assert_eq!(search(&t, token, &number).await["total"], 0);
        assert_eq!(search(&t, token, "quarantined").await["total"], 0);
    }
}

#[tokio::test]
async fn zero_result_queries_are_counted_for_admins() {
    let t = TestApp::new().await;
    let req = t.token("requester@acme.test", "acme").to_string();
    let admin = t.token("admin@acme.test", "acme").to_string();
    t.app.search_catch_up().await.unwrap();
    search(&t, &req, "Flux  capacitor").await;
    search(&t, &req, "flux capacitor").await;
    // Search-as-you-type requests do not count.
    t.api(
        "GET",
        "/v1/search?q=flux%20cap&record=false",
        &req,
        None,
        &[],
    )
    .await;
    let z = t
        .api("GET", "/v1/search/zero-results", &admin, None, &[])
        .await;
    assert_eq!(z.status, StatusCode::OK);
    assert_eq!(
        z.json()["items"],
        json!([{"query": "flux capacitor", "count": 2, "lastAt": z.json()["items"][0]["lastAt"]}])
    );
    assert_eq!(
        t.api("GET", "/v1/search/zero-results", &req, None, &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Globex sees its own (empty) log.
    let g = t.token("admin@globex.test", "globex").to_string();
    assert_eq!(
        t.api("GET", "/v1/search/zero-results", &g, None, &[])
            .await
            .json()["items"],
        json!([])
    );
}

#[tokio::test]
async fn reindex_rebuilds_a_tenant_and_compares_counts() {
    let t = TestApp::new().await;
    let admin = t.token("admin@acme.test", "acme").to_string();
    let agent = t.token("agent@acme.test", "acme").to_string();
    for i in 0..3 {
        t.api(
            "POST",
            "/v1/tickets",
            &agent,
            Some(json!({"subject": format!("Laptop {i}")})),
            &[],
        )
        .await;
    }
    article(
        &t,
        &agent,
        json!({"title": "Laptop care", "body": "Keep it cool."}),
    )
    .await;
    // Never caught up: the index is empty.
    let before = t
        .api("GET", "/v1/search/index", &admin, None, &[])
        .await
        .json();
    assert_eq!(before["inSync"], false);
    let r = t.api("POST", "/v1/search/reindex", &admin, None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = r.json();
    assert_eq!(
        (r["dbTickets"].as_u64(), r["indexTickets"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(
        (r["dbArticles"].as_u64(), r["indexArticles"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(r["inSync"], true);
    assert_eq!(
        t.api("POST", "/v1/search/reindex", &agent, None, &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Globex's reindex leaves acme's documents alone.
    let g = t.token("admin@globex.test", "globex").to_string();
    let gr = t
        .api("POST", "/v1/search/reindex", &g, None, &[])
        .await
        .json();
    assert_eq!(gr["indexTickets"], 0);
    assert_eq!(
        t.api("GET", "/v1/search/index", &admin, None, &[])
            .await
            .json()["indexTickets"],
        3
    );

    // The command-line path reports per tenant, with progress.
    let seen = std::sync::Mutex::new(Vec::new());
    let reports = t
        .app
        .reindex(&SystemActor::cli(), None, &|done, total| {
            seen.lock().unwrap().push((done, total))
        })
        .await
        .unwrap();
    assert!(reports.iter().all(|r| r.matches()), "{reports:?}");
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.last(), Some(&(4, 4)));
}

#[tokio::test]
async fn deflection_is_recorded_per_form_and_reported_as_a_rate() {
    let t = TestApp::new().await;
    let agent = t.token("agent@acme.test", "acme").to_string();
    let req = t.token("requester@acme.test", "acme").to_string();
    let admin = t.token("admin@acme.test", "acme").to_string();
    let a = article(&t, &agent, json!({"title": "VPN drops every few minutes", "body": "Use a cable.", "status": "published"})).await;
    t.app.search_catch_up().await.unwrap();

    let s1 = t
        .api(
            "POST",
            "/v1/kb/suggestions",
            &req,
            Some(json!({"text": "vpn drop"})),
            &[],
        )
        .await
        .json();
    let d = s1["deflectionId"].as_str().unwrap().to_string();
    assert_eq!(s1["items"][0]["title"], "VPN drops every few minutes");
    // Typing on updates the same record.
    let s2 = t
        .api(
            "POST",
            "/v1/kb/suggestions",
            &req,
            Some(json!({"text": "vpn drops", "deflectionId": d})),
            &[],
        )
        .await
        .json();
    assert_eq!(s2["deflectionId"], d.as_str());
    let step = format!("/v1/kb/deflections/{d}");
    let opened = t
        .api(
            "POST",
            &step,
            &req,
            Some(json!({"step": "opened", "articleId": a["id"]})),
            &[],
        )
        .await;
    assert_eq!(opened.status, StatusCode::NO_CONTENT, "{}", opened.body);
    let stats = t
        .api("GET", "/v1/kb/deflection", &admin, None, &[])
        .await
        .json();
    assert_eq!(
        (stats["shown"].as_u64(), stats["opened"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(stats["rate"], 1.0);

    // Someone else's record is not theirs to report on.
    let other = t.token("agent@acme.test", "acme").to_string();
    let no = t
        .api(
            "POST",
            &step,
            &other,
            Some(json!({"step": "submitted", "ticketId": a["id"]})),
            &[],
        )
        .await;
    assert_eq!(no.status, StatusCode::NOT_FOUND);

    // A second form ends in a ticket anyway: half of the forms were deflected.
    let s3 = t
        .api(
            "POST",
            "/v1/kb/suggestions",
            &req,
            Some(json!({"text": "vpn"})),
            &[],
        )
        .await
        .json();
    let d2 = s3["deflectionId"].as_str().unwrap();
    let tk = t
        .api(
            "POST",
            "/v1/portal/incidents",
            &req,
            Some(json!({"subject": "VPN still drops"})),
            &[],
        )
        .await
        .json();
    let done = t
        .api(
            "POST",
            &format!("/v1/kb/deflections/{d2}"),
            &req,
            Some(json!({"step": "submitted", "ticketId": tk["id"]})),
            &[],
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    let stats = t
        .api("GET", "/v1/kb/deflection", &admin, None, &[])
        .await
        .json();
    assert_eq!(
        (stats["shown"].as_u64(), stats["submitted"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(stats["rate"], 0.5);
    assert_eq!(
        t.api("GET", "/v1/kb/deflection", &req, None, &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// Inserts an outbox row with a chosen id, as a transaction that took its id earlier but
/// committed later would.
async fn late_event(t: &TestApp, id: i64, ticket: &str, tenant: uuid::Uuid) {
    let tx =
        t.db.store
            .write(Scope::Tenant(TenantId(tenant)))
            .await
            .unwrap();
    event::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant),
        event_type: Set("ticket.updated".into()),
        aggregate_type: Set("ticket".into()),
        aggregate_id: Set(ticket.into()),
        payload: Set(json!({})),
        created_at: Set(t.clock.now()),
    }
    .insert(&tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// An agent's new ticket (its id) and the agent's tenant.
async fn ticket_and_tenant(t: &TestApp, subject: &str) -> (String, uuid::Uuid) {
    let agent = t.token("agent@acme.test", "acme").to_string();
    let v = t
        .api(
            "POST",
            "/v1/tickets",
            &agent,
            Some(json!({"subject": subject})),
            &[],
        )
        .await
        .json();
    let me = t.api("GET", "/v1/me", &agent, None, &[]).await.json();
    let tenant = me["tenant"]["id"].as_str().unwrap().parse().unwrap();
    (v["id"].as_str().unwrap().to_string(), tenant)
}

#[tokio::test]
async fn the_cursor_waits_at_an_outbox_gap_and_never_skips_a_late_commit() {
    let t = TestApp::new().await;
    let (ticket, tenant) = ticket_and_tenant(&t, "Keyboard").await;
    let start = t.app.search_catch_up().await.unwrap();
    assert_eq!(start.waiting_on, None);
    let c = start.cursor;

    // c+2 commits before c+1.
    late_event(&t, c + 2, &ticket, tenant).await;
    let r = t.app.search_catch_up().await.unwrap();
    assert_eq!((r.applied, r.cursor, r.waiting_on), (1, c, Some(c + 1)));
    // c+1 commits late: it is applied, c+2 is not applied twice, the cursor moves on.
    late_event(&t, c + 1, &ticket, tenant).await;
    let r = t.app.search_catch_up().await.unwrap();
    assert_eq!((r.applied, r.cursor, r.waiting_on), (1, c + 2, None));

    // An id that never commits (a rolled-back transaction) holds the cursor for the grace
    // period only.
    late_event(&t, c + 4, &ticket, tenant).await;
    let r = t.app.search_catch_up().await.unwrap();
    assert_eq!((r.cursor, r.waiting_on), (c + 2, Some(c + 3)));
    t.clock
        .advance(chrono::Duration::seconds(GAP_GRACE_SECS - 1));
    assert_eq!(
        t.app.search_catch_up().await.unwrap().waiting_on,
        Some(c + 3)
    );
    t.clock.advance(chrono::Duration::seconds(1));
    let r = t.app.search_catch_up().await.unwrap();
    assert_eq!((r.applied, r.cursor, r.waiting_on), (0, c + 4, None));
}

#[tokio::test]
async fn a_long_catch_up_commits_on_the_way_not_only_at_the_end() {
    let t = TestApp::new().await;
    let (ticket, tenant) = ticket_and_tenant(&t, "Printer jam").await;
    let c = t.app.search_catch_up().await.unwrap().cursor;

    // A backlog as a steady stream of writes leaves it: more events than one commit takes.
    let n = COMMIT_EVERY + 500;
    let tx =
        t.db.store
            .write(Scope::Tenant(TenantId(tenant)))
            .await
            .unwrap();
    for i in 1..=n as i64 {
        event::ActiveModel {
            id: Set(c + i),
            tenant_id: Set(tenant),
            event_type: Set("ticket.updated".into()),
            aggregate_type: Set("ticket".into()),
            aggregate_id: Set(ticket.clone()),
            payload: Set(json!({})),
            created_at: Set(t.clock.now()),
        }
        .insert(&tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let r = t.app.search_catch_up().await.unwrap();
    assert_eq!((r.applied, r.cursor, r.waiting_on), (n, c + n as i64, None));
    assert_eq!(
        r.commits, 2,
        "one commit after {COMMIT_EVERY} events, one at the end"
    );
    let r = t.app.search_catch_up().await.unwrap();
    assert_eq!((r.applied, r.commits), (0, 0), "nothing new: no commit");
}

#[tokio::test]
async fn a_ticket_with_endless_comments_is_indexed_with_its_newest() {
    let t = TestApp::new().await;
    let agent = t.token("agent@acme.test", "acme").to_string();
    let v = t
        .api(
            "POST",
            "/v1/tickets",
            &agent,
            Some(json!({"subject": "Mail loop"})),
            &[],
        )
        .await
        .json();
    let ticket: uuid::Uuid = v["id"].as_str().unwrap().parse().unwrap();
    let me = t.api("GET", "/v1/me", &agent, None, &[]).await.json();
    let tenant: uuid::Uuid = me["tenant"]["id"].as_str().unwrap().parse().unwrap();
    let author: uuid::Uuid = me["user"]["id"].as_str().unwrap().parse().unwrap();
    // The oldest comment says "zanzibar"; after it come as many as search covers.
    let tx =
        t.db.store
            .write(Scope::Tenant(TenantId(tenant)))
            .await
            .unwrap();
    for i in 0..=MAX_INDEXED_COMMENTS {
        let body = if i == 0 {
            "zanzibar".to_string()
        } else {
            format!("auto-reply {i}")
        };
        ticket_comment::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            tenant_id: Set(tenant),
            ticket_id: Set(ticket),
            author_id: Set(author),
            is_private: Set(false),
            body_html: Set(body.clone()),
            body: Set(body),
            created_at: Set(t.clock.now()
                - chrono::Duration::milliseconds((MAX_INDEXED_COMMENTS + 1 - i) as i64)),
        }
        .insert(&tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    // A last comment through the API: its event re-indexes the ticket.
    let r = t
        .api(
            "POST",
            &format!("/v1/tickets/{ticket}/comments"),
            &agent,
            Some(json!({"body": "Mongoose sighted", "isPrivate": false})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    t.app.search_catch_up().await.unwrap();

    assert_eq!(
        titles(&search(&t, &agent, "mongoose").await),
        vec!["Mail loop"]
    );
    assert!(
        titles(&search(&t, &agent, "zanzibar").await).is_empty(),
        "only the newest {MAX_INDEXED_COMMENTS} comments are indexed"
    );
}

#[tokio::test]
async fn a_deleted_or_damaged_index_directory_is_rebuilt_from_the_database() {
    let t = TestApp::new().await;
    let agent = t.token("agent@acme.test", "acme").to_string();
    let req = t.token("requester@acme.test", "acme").to_string();
    article(
        &t,
        &agent,
        json!({"title": "Guest Wi-Fi vouchers", "body": "Ask reception.", "status": "published"}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search");

    let app = t
        .app
        .clone()
        .with_search(SearchService::open(&path).unwrap());
    let r = app.search_catch_up().await.unwrap();
    assert!(r.rebuilt, "a new index is filled from the database");
    let cursor = r.cursor;
    drop(app);

    // Reopened as is: no rebuild, same cursor.
    let app = t
        .app
        .clone()
        .with_search(SearchService::open(&path).unwrap());
    let r = app.search_catch_up().await.unwrap();
    assert!(!r.rebuilt);
    assert_eq!(r.cursor, cursor);
    drop(app);

    // Deleted: rebuilt, and searchable again.
    std::fs::remove_dir_all(&path).unwrap();
    let app = t
        .app
        .clone()
        .with_search(SearchService::open(&path).unwrap());
    let r = app.search_catch_up().await.unwrap();
    assert!(r.rebuilt);
    let actor = app.authenticate_token(&req, None).await.unwrap();
    let found = app
        .search(
            &actor,
            catalyst_app::search::SearchInput {
                q: "vouchers".into(),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    drop(app);

    // Damaged: rebuilt.
    std::fs::write(path.join("meta.json"), b"garbage").unwrap();
    let app = t
        .app
        .clone()
        .with_search(SearchService::open(&path).unwrap());
    assert!(app.search_catch_up().await.unwrap().rebuilt);
}
