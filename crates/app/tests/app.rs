//! Use-case tests on SQLite, and on PostgreSQL when `CATALYST_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::sync::Arc;

use chrono::{TimeZone, Utc};

use catalyst_app::members::NewMember;
use catalyst_app::{App, AppError, AppSettings, ManualClock, SystemActor};
use catalyst_domain::audit::BrokenLink;
use catalyst_domain::{Role, TenantId};
use catalyst_store::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use catalyst_store::testing::TestDb;
use catalyst_store::{Store, StoreOptions};

const PW: &str = "a long enough password";

struct TestApp {
    app: App,
    clock: Arc<ManualClock>,
    db: TestDb,
}

async fn test_app() -> TestApp {
    let db = TestDb::new().await;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    ));
    let settings = AppSettings {
        max_failures_per_account: 3,
        max_failures_per_ip: 5,
        ..AppSettings::default()
    };
    let app = App::new(db.store.clone(), clock.clone(), settings);
    TestApp { app, clock, db }
}

fn cli() -> SystemActor {
    SystemActor::cli()
}

async fn member(app: &App, tenant: &str, email: &str, role: &str) {
    app.add_member(
        &cli(),
        NewMember {
            tenant_slug: tenant,
            email,
            name: None,
            role,
            password: Some(PW),
        },
    )
    .await
    .unwrap();
}

/// Two tenants, each with an admin, an agent and a requester.
async fn two_tenants(app: &App) {
    for t in ["acme", "globex"] {
        app.create_tenant(&cli(), t, &t.to_uppercase())
            .await
            .unwrap();
        for r in ["admin", "agent", "requester"] {
            member(app, t, &format!("{r}@{t}.test"), r).await;
        }
    }
}

async fn actor(app: &App, email: &str) -> catalyst_app::Actor {
    let s = app.sign_in(email, PW, None).await.unwrap();
    s.session
        .actor(None)
        .expect("single tenant user has an active tenant")
}

#[tokio::test]
async fn tenants_and_members_are_created_and_validated() {
    let t = test_app().await;
    let app = &t.app;
    let acme = app
        .create_tenant(&cli(), "acme", "Acme Corp")
        .await
        .unwrap();
    assert_eq!(acme.slug, "acme");
    assert!(matches!(
        app.create_tenant(&cli(), "acme", "Again").await,
        Err(AppError::Conflict(e)) if e.field == "slug"
    ));
    match app.create_tenant(&cli(), "Bad Slug", "").await {
        Err(AppError::Validation(errs)) => {
            let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
            assert_eq!(fields, ["slug", "name"]);
        }
        other => panic!("expected validation error, got {other:?}"),
    }
    // New account without a password is refused; bad role and email are both reported.
    let err = app
        .add_member(
            &cli(),
            NewMember {
                tenant_slug: "acme",
                email: "x@acme.test",
                name: None,
                role: "agent",
                password: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Validation(ref e) if e[0].field == "password"),
        "{err:?}"
    );
    let err = app
        .add_member(
            &cli(),
            NewMember {
                tenant_slug: "acme",
                email: "nope",
                name: None,
                role: "root",
                password: Some(PW),
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Validation(ref e) if e.len() == 2),
        "{err:?}"
    );
    assert!(matches!(
        app.add_member(
            &cli(),
            NewMember {
                tenant_slug: "nowhere",
                email: "a@b.test",
                name: None,
                role: "agent",
                password: Some(PW)
            }
        )
        .await,
        Err(AppError::NotFound("tenant"))
    ));
    member(app, "acme", "ada@acme.test", "admin").await;
    let dup = app
        .add_member(
            &cli(),
            NewMember {
                tenant_slug: "acme",
                email: "ADA@acme.test",
                name: None,
                role: "agent",
                password: None,
            },
        )
        .await;
    assert!(
        matches!(dup, Err(AppError::Conflict(ref e)) if e.code == "already_member"),
        "{dup:?}"
    );
    // Nothing half-written: still exactly one member.
    let admin = actor(app, "ada@acme.test").await;
    assert_eq!(app.list_members(&admin).await.unwrap().len(), 1);
}

#[tokio::test]
async fn members_are_listed_only_to_admins_and_only_for_their_tenant() {
    let t = test_app().await;
    let app = &t.app;
    two_tenants(app).await;
    let admin_b = actor(app, "admin@globex.test").await;
    let listed = app.list_members(&admin_b).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(
        listed.iter().all(|m| m.email.ends_with("@globex.test")),
        "{listed:?}"
    );
    for who in ["agent@acme.test", "requester@acme.test"] {
        let a = actor(app, who).await;
        assert!(matches!(
            app.list_members(&a).await,
            Err(AppError::Forbidden)
        ));
    }
}

#[tokio::test]
async fn a_user_in_two_tenants_picks_one_and_cannot_pick_a_foreign_one() {
    let t = test_app().await;
    let app = &t.app;
    two_tenants(app).await;
    member(app, "globex", "agent@acme.test", "requester").await;
    let s = app
        .sign_in("agent@acme.test", PW, None)
        .await
        .unwrap()
        .session;
    assert!(s.active.is_none(), "must choose a tenant first");
    let names: Vec<_> = s
        .memberships
        .iter()
        .map(|m| m.tenant.name.as_str())
        .collect();
    assert_eq!(names, ["ACME", "GLOBEX"]);
    let globex = s.memberships[1].tenant.id;
    let m = app.switch_tenant(&s, globex).await.unwrap();
    assert_eq!(m.role, Role::Requester);
    assert!(matches!(
        app.switch_tenant(&s, TenantId::new()).await,
        Err(AppError::NotFound("tenant"))
    ));
    // A requester of acme cannot switch into globex.
    let r = app
        .sign_in("requester@acme.test", PW, None)
        .await
        .unwrap()
        .session;
    assert!(matches!(
        app.switch_tenant(&r, globex).await,
        Err(AppError::NotFound(_))
    ));
}

#[tokio::test]
async fn sign_in_failures_are_uniform_and_throttled_per_account_and_client() {
    let t = test_app().await;
    let app = &t.app;
    two_tenants(app).await;
    let unknown = app
        .sign_in("ghost@acme.test", PW, Some("10.0.0.1"))
        .await
        .unwrap_err();
    let wrong = app
        .sign_in("admin@acme.test", "wrong password!!", Some("10.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(unknown.to_string(), wrong.to_string());
    assert!(matches!(wrong, AppError::BadCredentials));
    for _ in 0..2 {
        assert!(matches!(
            app.sign_in("admin@acme.test", "wrong password!!", Some("10.0.0.2"))
                .await,
            Err(AppError::BadCredentials)
        ));
    }
    // Third failure for the account reached the limit: even the right password waits.
    match app.sign_in("admin@acme.test", PW, Some("10.0.0.3")).await {
        Err(AppError::Throttled { retry_after_secs }) => {
            assert!(retry_after_secs > 0 && retry_after_secs <= 900)
        }
        other => panic!("expected throttling, got {other:?}"),
    }
    // Another account from a fresh address is unaffected.
    assert!(
        app.sign_in("agent@acme.test", PW, Some("10.0.0.3"))
            .await
            .is_ok()
    );
    // Per client address: 5 failures over different accounts.
    for i in 0..5 {
        let _ = app
            .sign_in(&format!("nobody{i}@acme.test"), "x", Some("10.0.0.9"))
            .await;
    }
    assert!(matches!(
        app.sign_in("requester@acme.test", PW, Some("10.0.0.9"))
            .await,
        Err(AppError::Throttled { .. })
    ));
    t.clock.advance(chrono::Duration::minutes(16));
    assert!(
        app.sign_in("admin@acme.test", PW, Some("10.0.0.9"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn sessions_expire_and_sign_out_ends_them() {
    let t = test_app().await;
    let app = &t.app;
    two_tenants(app).await;
    let s = app.sign_in("admin@acme.test", PW, None).await.unwrap();
    let live = app.session(&s.cookie_value).await.unwrap().unwrap();
    assert_eq!(live.active.unwrap().role, Role::Admin);
    assert!(app.session("forged").await.unwrap().is_none());
    t.clock.advance(chrono::Duration::hours(13));
    assert!(
        app.session(&s.cookie_value).await.unwrap().is_none(),
        "expired"
    );

    let s = app.sign_in("admin@acme.test", PW, None).await.unwrap();
    // Activity slides the expiry.
    t.clock.advance(chrono::Duration::hours(11));
    assert!(app.session(&s.cookie_value).await.unwrap().is_some());
    t.clock.advance(chrono::Duration::hours(11));
    assert!(app.session(&s.cookie_value).await.unwrap().is_some());
    app.sign_out(&s.cookie_value).await.unwrap();
    assert!(app.session(&s.cookie_value).await.unwrap().is_none());
    t.clock.advance(chrono::Duration::hours(24));
    assert!(app.purge_expired_sessions().await.unwrap() >= 1);
}

#[tokio::test]
async fn api_tokens_authenticate_within_their_tenant_only() {
    let t = test_app().await;
    let app = &t.app;
    two_tenants(app).await;
    let tok = app
        .create_token(&cli(), "acme", "agent@acme.test", "ci")
        .await
        .unwrap();
    let a = app.authenticate_token(&tok.token, None).await.unwrap();
    assert_eq!(a.tenant.slug, "acme");
    assert_eq!(a.role, Role::Agent);
    // The same secret presented as another tenant's token is unknown.
    let globex = app
        .list_tenants()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.slug == "globex")
        .unwrap();
    let secret = tok.token.rsplit('_').next().unwrap();
    let forged = catalyst_domain::token::format_token(globex.id, secret);
    assert!(matches!(
        app.authenticate_token(&forged, None).await,
        Err(AppError::Unauthenticated)
    ));
    assert!(matches!(
        app.authenticate_token("garbage", None).await,
        Err(AppError::Unauthenticated)
    ));
    // Not a member → no token.
    assert!(matches!(
        app.create_token(&cli(), "globex", "agent@acme.test", "x")
            .await,
        Err(AppError::NotFound("member"))
    ));
    assert_eq!(
        app.revoke_token(&cli(), "acme", "agent@acme.test", "ci")
            .await
            .unwrap(),
        1
    );
    assert!(matches!(
        app.authenticate_token(&tok.token, None).await,
        Err(AppError::Unauthenticated)
    ));
    assert!(matches!(
        app.revoke_token(&cli(), "acme", "agent@acme.test", "ci")
            .await,
        Err(AppError::NotFound("token"))
    ));
}

#[tokio::test]
async fn every_change_is_audited_and_tampering_is_found() {
    let t = test_app().await;
    let app = &t.app;
    two_tenants(app).await;
    app.create_token(&cli(), "acme", "admin@acme.test", "ops")
        .await
        .unwrap();
    // tenant.create + 3 × member.add + token.create
    assert_eq!(
        app.verify_audit("acme").await.unwrap().map(|h| h.entries),
        Ok(5)
    );
    assert_eq!(
        app.verify_audit("globex").await.unwrap().map(|h| h.entries),
        Ok(4)
    );

    // The application cannot rewrite history.
    let w = t.db.store.writer();
    let upd = w
        .execute_unprepared("UPDATE audit_log SET action = 'x' WHERE seq = 2")
        .await;
    assert!(upd.is_err(), "audit_log must reject UPDATE");

    // Someone with owner rights disables the guard and edits entry 2 of acme.
    let owner = Store::connect(&StoreOptions::new(t.db.owner_url.clone()))
        .await
        .unwrap();
    let ow = owner.writer();
    let pg = ow.get_database_backend() == DatabaseBackend::Postgres;
    let drop = if pg {
        "DROP TRIGGER audit_log_no_update ON audit_log"
    } else {
        "DROP TRIGGER audit_log_no_update"
    };
    ow.execute_unprepared(drop).await.unwrap();
    if pg {
        ow.execute_unprepared("ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY")
            .await
            .unwrap();
    }
    let acme = app
        .list_tenants()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.slug == "acme")
        .unwrap();
    let sql = if pg {
        "UPDATE audit_log SET after = '{\"role\":\"admin\"}' WHERE seq = 3 AND tenant_id = $1"
    } else {
        "UPDATE audit_log SET after = '{\"role\":\"admin\"}' WHERE seq = 3 AND tenant_id = ?"
    };
    let r = ow
        .execute_raw(Statement::from_sql_and_values(
            ow.get_database_backend(),
            sql,
            [acme.id.0.into()],
        ))
        .await
        .unwrap();
    assert_eq!(r.rows_affected(), 1);
    assert_eq!(
        app.verify_audit("acme").await.unwrap(),
        Err(BrokenLink::HashMismatch { seq: 3 })
    );
    assert_eq!(
        app.verify_audit("globex").await.unwrap().map(|h| h.entries),
        Ok(4)
    );
}

#[tokio::test]
async fn concurrent_changes_keep_one_unbroken_chain() {
    let t = test_app().await;
    let app = t.app.clone();
    app.create_tenant(&cli(), "acme", "Acme").await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            member(&app, "acme", &format!("user{i}@acme.test"), "requester").await;
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        app.verify_audit("acme").await.unwrap().map(|h| h.entries),
        Ok(9)
    );
}

#[tokio::test]
async fn demo_tenant_is_created_once_with_generated_passwords() {
    let t = test_app().await;
    let first = t.app.ensure_demo().await.unwrap();
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|a| a.password.len() >= 20));
    assert_ne!(first[0].password, first[1].password);
    let s = t
        .app
        .sign_in(&first[0].email, &first[0].password, None)
        .await
        .unwrap();
    assert_eq!(s.session.active.unwrap().role, Role::Admin);
    assert!(t.app.ensure_demo().await.unwrap().is_empty(), "idempotent");
}

#[tokio::test]
async fn resolved_tickets_close_after_the_tenants_auto_close_period() {
    use catalyst_app::tickets::{NewTicket, TicketPatch};
    let t = test_app().await;
    let app = &t.app;
    two_tenants(app).await;
    let req = actor(app, "requester@acme.test").await;
    let agent = actor(app, "agent@acme.test").await;
    let admin = actor(app, "admin@acme.test").await;
    assert!(matches!(
        app.set_ticket_settings(&agent, 3).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app.set_ticket_settings(&admin, 0).await,
        Err(AppError::Validation(_))
    ));
    assert_eq!(
        app.set_ticket_settings(&admin, 3)
            .await
            .unwrap()
            .auto_close_days,
        3
    );
    let mk = |s: &str| NewTicket {
        subject: s.into(),
        ..Default::default()
    };
    let (a, _) = app
        .create_ticket(&req, mk("Resolved early"), None)
        .await
        .unwrap();
    let (b, _) = app
        .create_ticket(&req, mk("Still open"), None)
        .await
        .unwrap();
    let resolve = TicketPatch {
        status: Some("resolved".into()),
        ..Default::default()
    };
    app.update_ticket(&agent, a.id, a.version, resolve)
        .await
        .unwrap();
    // A globex ticket resolved at the same time follows globex's default of 7 days.
    let greq = actor(app, "requester@globex.test").await;
    let gagent = actor(app, "agent@globex.test").await;
    let (g, _) = app
        .create_ticket(&greq, mk("Globex resolved"), None)
        .await
        .unwrap();
    app.update_ticket(
        &gagent,
        g.id,
        g.version,
        TicketPatch {
            status: Some("resolved".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    t.clock.advance(chrono::Duration::days(2));
    assert_eq!(app.auto_close_resolved().await.unwrap(), 0);
    t.clock.advance(chrono::Duration::days(2));
    assert_eq!(app.auto_close_resolved().await.unwrap(), 1);
    let a = app.get_ticket(&agent, &a.id.to_string()).await.unwrap();
    assert_eq!(a.status, catalyst_domain::Status::Closed);
    assert!(a.closed_at.is_some());
    assert_eq!(
        app.get_ticket(&agent, &b.id.to_string())
            .await
            .unwrap()
            .status,
        catalyst_domain::Status::New
    );
    let h = app.ticket_history(&agent, a.id).await.unwrap();
    let last = h.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.reason.as_deref()),
        ("system:auto-close", Some("no reply within 3 days"))
    );
    assert_eq!(
        app.get_ticket(&gagent, &g.id.to_string())
            .await
            .unwrap()
            .status,
        catalyst_domain::Status::Resolved
    );
    t.clock.advance(chrono::Duration::days(4));
    assert_eq!(
        app.auto_close_resolved().await.unwrap(),
        1,
        "globex after 7 days"
    );
    assert!(app.verify_audit("acme").await.unwrap().is_ok());
}

#[tokio::test]
async fn a_token_revoked_elsewhere_stops_working_within_the_cache_ttl() {
    let t = test_app().await;
    two_tenants(&t.app).await;
    let tok = t
        .app
        .create_token(&cli(), "acme", "agent@acme.test", "ci")
        .await
        .unwrap();
    assert!(t.app.authenticate_token(&tok.token, None).await.is_ok());
    // Another node (or the command line) revokes it.
    let other = App::new(t.db.store.clone(), t.clock.clone(), AppSettings::default());
    other
        .revoke_token(&cli(), "acme", "agent@acme.test", "ci")
        .await
        .unwrap();
    assert!(
        t.app.authenticate_token(&tok.token, None).await.is_ok(),
        "still trusted from the cache"
    );
    t.clock.advance(catalyst_app::auth::TOKEN_CACHE_TTL);
    assert!(matches!(
        t.app.authenticate_token(&tok.token, None).await,
        Err(AppError::Unauthenticated)
    ));
}
