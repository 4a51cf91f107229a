//! Store tests on SQLite, and on PostgreSQL when `CATALYST_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use chrono::Utc;

use catalyst_domain::{DisplayName, Email, Role, TenantName, TenantSlug};
use catalyst_store::repo::{events, members, tenants, users};
use catalyst_store::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use catalyst_store::testing::TestDb;
use catalyst_store::{Scope, dialect};

async fn tenant(db: &TestDb, slug: &str) -> catalyst_domain::TenantId {
    let tx = db.store.write(Scope::Global).await.unwrap();
    let t = tenants::insert(
        &tx,
        &TenantSlug::parse(slug).unwrap(),
        &TenantName::parse(slug).unwrap(),
        Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    catalyst_domain::TenantId(t.id)
}

#[tokio::test]
async fn migrations_are_current_and_rerunning_them_keeps_data() {
    let db = TestDb::new().await;
    let t = tenant(&db, "acme").await;
    assert!(db.store.pending_migrations().await.unwrap().is_empty());
    catalyst_store::Store::migrate_as_owner(&db.owner_url, None)
        .await
        .unwrap();
    let tx = db.store.read(Scope::Global).await.unwrap();
    assert_eq!(tenants::by_id(&tx, t).await.unwrap().unwrap().slug, "acme");
}

/// The first column of the first row of `sql` on SQLite.
async fn sqlite_value<T: sea_orm::TryGetable>(w: &sea_orm::DatabaseConnection, sql: &str) -> T {
    w.query_one_raw(Statement::from_string(DatabaseBackend::Sqlite, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<T>(0)
        .unwrap()
}

/// SQLite connections use WAL and enforce foreign keys; the bundled SQLite is built with
/// the query planner stability guarantee (a statement's plan never depends on the values
/// bound to it, so a statement with a bound `LIMIT` is prepared once, not before every
/// run — ADR 12).
#[tokio::test]
async fn sqlite_connections_use_wal_foreign_keys_and_stable_plans() {
    let db = TestDb::new().await;
    let w = db.store.writer();
    if w.get_database_backend() != DatabaseBackend::Sqlite {
        return;
    }
    assert_eq!(
        sqlite_value::<String>(w, "PRAGMA journal_mode").await,
        "wal"
    );
    assert_eq!(sqlite_value::<i32>(w, "PRAGMA foreign_keys").await, 1);
    assert_eq!(
        sqlite_value::<i32>(w, "SELECT sqlite_compileoption_used('ENABLE_QPSG')").await,
        1
    );
    // A membership pointing at no tenant is rejected.
    let tx = db.store.write(Scope::Global).await.unwrap();
    let r = members::insert(
        &tx,
        catalyst_domain::TenantId::new(),
        catalyst_domain::UserId::new(),
        Role::Agent,
        Utc::now(),
    )
    .await;
    assert!(r.is_err());
}

#[tokio::test]
async fn duplicate_slug_and_email_are_field_errors() {
    let db = TestDb::new().await;
    tenant(&db, "acme").await;
    let tx = db.store.write(Scope::Global).await.unwrap();
    let e = tenants::insert(
        &tx,
        &TenantSlug::parse("acme").unwrap(),
        &TenantName::parse("Other").unwrap(),
        Utc::now(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            catalyst_store::StoreError::Duplicate { constraint: "slug" }
        ),
        "{e:?}"
    );
    drop(tx);
    let tx = db.store.write(Scope::Global).await.unwrap();
    let email = Email::parse("a@b.test").unwrap();
    let name = DisplayName::parse("A").unwrap();
    users::insert(&tx, &email, &name, None, Utc::now())
        .await
        .unwrap();
    let e = users::insert(&tx, &email, &name, None, Utc::now())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            catalyst_store::StoreError::Duplicate {
                constraint: "email"
            }
        ),
        "{e:?}"
    );
}

/// PostgreSQL: every table with a `tenant_id` column has row-level security enabled,
/// forced, and at least one policy. New tables are covered automatically.
#[tokio::test]
async fn every_tenant_table_has_forced_row_level_security() {
    if !TestDb::is_postgres() {
        return;
    }
    let db = TestDb::new().await;
    let status = dialect::tenant_tables_rls(db.store.writer()).await.unwrap();
    assert!(status.len() >= 4, "{status:?}");
    let weak: Vec<_> = status
        .iter()
        .filter(|s| !(s.enabled && s.forced && s.policies > 0))
        .collect();
    assert!(weak.is_empty(), "tables without forced RLS: {weak:?}");
    assert!(
        dialect::role_weaknesses(db.store.writer())
            .await
            .unwrap()
            .is_empty(),
        "the test app role must be a plain role"
    );
}

/// PostgreSQL: the database alone keeps tenants apart — raw SQL as the application role,
/// scoped to tenant B, sees none of tenant A's rows and cannot write into tenant A.
#[tokio::test]
async fn the_database_wall_holds_without_the_application() {
    if !TestDb::is_postgres() {
        return;
    }
    let db = TestDb::new().await;
    let a = tenant(&db, "acme").await;
    let b = tenant(&db, "globex").await;
    for t in [a, b] {
        let tx = db.store.write(Scope::Tenant(t)).await.unwrap();
        events::append(
            &tx,
            events::NewEvent {
                tenant: t,
                event_type: "test",
                aggregate_type: "test",
                aggregate_id: "1".into(),
                payload: serde_json::json!({}),
                at: Utc::now(),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let count = |sql: &'static str| {
        let store = db.store.clone();
        async move {
            let tx = store.read(Scope::Tenant(b)).await.unwrap();
            let row = tx
                .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(
        count("SELECT count(*) FROM events").await,
        1,
        "only B's own event"
    );
    let sql_a = format!("SELECT count(*) FROM events WHERE tenant_id = '{a}'");
    let tx = db.store.read(Scope::Tenant(b)).await.unwrap();
    let row = tx
        .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql_a))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 0);
    drop(tx);
    // Without any scope, nothing at all is visible.
    let tx = db.store.read(Scope::Global).await.unwrap();
    let row = tx
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT count(*) FROM events",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 0);
    drop(tx);
    // Writing a row for tenant A while scoped to B is refused by the policy.
    let tx = db.store.write(Scope::Tenant(b)).await.unwrap();
    let r = events::append(
        &tx,
        events::NewEvent {
            tenant: a,
            event_type: "test",
            aggregate_type: "test",
            aggregate_id: "2".into(),
            payload: serde_json::json!({}),
            at: Utc::now(),
        },
    )
    .await;
    assert!(r.is_err(), "RLS WITH CHECK must reject a foreign tenant_id");
}

/// Each migration runs over a database that already holds data from the earlier ones.
#[tokio::test]
async fn the_ticket_migration_runs_over_existing_data() {
    use sea_orm_migration::MigratorTrait;
    if TestDb::is_postgres() {
        // PostgreSQL test databases arrive fully migrated; SQLite covers the step-wise path.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("step.db").display());
    let store = catalyst_store::Store::connect(&catalyst_store::StoreOptions::new(url))
        .await
        .unwrap();
    catalyst_store::Migrator::up(store.writer(), Some(1))
        .await
        .unwrap();
    assert_eq!(
        store.pending_migrations().await.unwrap().len(),
        catalyst_store::Migrator::migrations().len() - 1
    );
    let tx = store.write(Scope::Global).await.unwrap();
    let t = tenants::insert(
        &tx,
        &TenantSlug::parse("early").unwrap(),
        &TenantName::parse("Early Bird").unwrap(),
        Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    store.migrate().await.unwrap();
    assert!(store.pending_migrations().await.unwrap().is_empty());
    let tx = store
        .write(Scope::Tenant(catalyst_domain::TenantId(t.id)))
        .await
        .unwrap();
    let n = catalyst_store::repo::tickets::next_seq(
        &tx,
        catalyst_domain::TenantId(t.id),
        catalyst_domain::TicketKind::Incident,
    )
    .await
    .unwrap();
    assert_eq!(n, 1, "the new tables work for a tenant created before them");
    let n = catalyst_store::repo::tickets::next_seq(
        &tx,
        catalyst_domain::TenantId(t.id),
        catalyst_domain::TicketKind::Incident,
    )
    .await
    .unwrap();
    assert_eq!(n, 2);
    tx.commit().await.unwrap();
    assert_eq!(
        tenants::by_slug(store.writer(), "early")
            .await
            .unwrap()
            .unwrap()
            .name,
        "Early Bird"
    );
}

/// A SQLite store in `dir` migrated up to (not including) the migration named `name`.
async fn store_before(dir: &std::path::Path, name: &str) -> catalyst_store::Store {
    use sea_orm_migration::MigratorTrait;
    let url = format!("sqlite://{}", dir.join("step.db").display());
    let store = catalyst_store::Store::connect(&catalyst_store::StoreOptions::new(url))
        .await
        .unwrap();
    let before = catalyst_store::Migrator::migrations()
        .iter()
        .position(|m| m.name() == name)
        .unwrap();
    catalyst_store::Migrator::up(store.writer(), Some(before as u32))
        .await
        .unwrap();
    store
}

async fn older_tenant(store: &catalyst_store::Store) -> catalyst_store::entity::tenant::Model {
    let tx = store.write(Scope::Global).await.unwrap();
    let t = tenants::insert(
        &tx,
        &TenantSlug::parse("older").unwrap(),
        &TenantName::parse("Older Tenant").unwrap(),
        Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    t
}

/// The email migration runs over a database that already holds tenants and tickets.
#[tokio::test]
async fn the_mail_migration_runs_over_existing_data() {
    use catalyst_store::repo::mail;
    if TestDb::is_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = store_before(dir.path(), "m20261126_000005_mail").await;
    let t = older_tenant(&store).await;
    store.migrate().await.unwrap();
    assert!(store.pending_migrations().await.unwrap().is_empty());

    let tenant = catalyst_domain::TenantId(t.id);
    let tx = store.write(Scope::Tenant(tenant)).await.unwrap();
    assert!(mail::settings(&tx, tenant).await.unwrap().is_none());
    let mut s = mail::default_settings(tenant, Utc::now());
    s.from_address = Some("help@older.example".into());
    mail::save_settings(&tx, s.clone()).await.unwrap();
    s.rate_limit_per_hour = 5;
    mail::save_settings(&tx, s).await.unwrap();
    let saved = mail::settings(&tx, tenant).await.unwrap().unwrap();
    assert_eq!(saved.rate_limit_per_hour, 5);
    assert_eq!(saved.from_address.as_deref(), Some("help@older.example"));
    let msg = |id: &str| catalyst_store::entity::mail_message::Model {
        id: uuid::Uuid::now_v7(),
        tenant_id: t.id,
        direction: mail::IN.into(),
        message_id: id.into(),
        ticket_id: None,
        comment_id: None,
        sender: Some("a@example.com".into()),
        match_reason: None,
        class: Some("human".into()),
        created_at: Utc::now(),
    };
    mail::insert_message(&tx, msg("one@example.com"))
        .await
        .unwrap();
    let dup = mail::insert_message(&tx, msg("one@example.com")).await;
    assert!(
        matches!(
            dup,
            Err(catalyst_store::StoreError::Duplicate {
                constraint: "messageId"
            })
        ),
        "the same inbound Message-ID twice is refused: {dup:?}"
    );
    tx.commit().await.unwrap();
}

/// The knowledge-base migration runs over a database that already holds a tenant: the
/// tenant can then write, list and count articles.
#[tokio::test]
async fn the_knowledge_base_migration_runs_over_existing_data() {
    use catalyst_store::repo::kb;
    if TestDb::is_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = store_before(dir.path(), "m20261126_000004_knowledge_base").await;
    let t = older_tenant(&store).await;
    store.migrate().await.unwrap();
    assert!(store.pending_migrations().await.unwrap().is_empty());

    let tenant = catalyst_domain::TenantId(t.id);
    let tx = store.write(Scope::Tenant(tenant)).await.unwrap();
    assert_eq!(kb::count(&tx, tenant).await.unwrap(), 0);
    let now = Utc::now();
    let a = kb::insert(
        &tx,
        catalyst_store::entity::kb_article::Model {
            id: uuid::Uuid::now_v7(),
            tenant_id: t.id,
            title: "Connect to the VPN".into(),
            body: "Open the client.".into(),
            body_html: "<p>Open the client.</p>".into(),
            category: None,
            tags: serde_json::json!(["vpn"]),
            visibility: "public".into(),
            status: "published".into(),
            version: 1,
            author_id: uuid::Uuid::now_v7(),
            helpful_count: 0,
            not_helpful_count: 0,
            view_count: 0,
            created_at: now,
            updated_at: now,
            published_at: Some(now),
        },
    )
    .await
    .unwrap();
    kb::add_view(&tx, tenant, a.id).await.unwrap();
    tx.commit().await.unwrap();
    let tx = store.read(Scope::Tenant(tenant)).await.unwrap();
    assert_eq!(kb::count(&tx, tenant).await.unwrap(), 1);
    let got = kb::get(&tx, tenant, a.id).await.unwrap().unwrap();
    assert_eq!(got.title, "Connect to the VPN");
    assert_eq!(got.view_count, 1);
}

/// The mail-secrets migration keeps settings written before it: a password still inside
/// the URL stays there (the application seals it at start-up), the new columns are empty.
#[tokio::test]
async fn the_mail_secrets_migration_keeps_existing_settings() {
    use catalyst_store::repo::mail;
    if TestDb::is_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = store_before(dir.path(), "m20261127_000006_mail_secrets").await;
    let t = older_tenant(&store).await;
    // Written with plain SQL: the entity already knows the columns to come.
    let url = "imaps://help%40older.example:plain-pw@imap.older.example/INBOX";
    store
        .writer()
        .execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "INSERT INTO mail_settings (tenant_id, outbound_enabled, inbound_enabled, \
             unknown_sender, rate_limit_per_hour, imap_url, imap_last_uid, updated_at) \
             VALUES (?, 1, 1, 'quarantine', 12, ?, 41, ?)",
            [t.id.into(), url.into(), Utc::now().into()],
        ))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert!(store.pending_migrations().await.unwrap().is_empty());

    let tenant = catalyst_domain::TenantId(t.id);
    let tx = store.write(Scope::Tenant(tenant)).await.unwrap();
    let s = mail::settings(&tx, tenant).await.unwrap().unwrap();
    assert_eq!(s.imap_url.as_deref(), Some(url));
    assert_eq!(s.unknown_sender, "quarantine");
    assert_eq!(s.rate_limit_per_hour, 12);
    assert_eq!(s.imap_last_uid, Some(41));
    assert_eq!(s.imap_password_sealed, None);
    assert_eq!(s.imap_lease_owner, None);
    // The lease works on a row from before the migration.
    let now = Utc::now();
    let later = now + chrono::Duration::seconds(60);
    assert!(
        mail::try_lease_imap(&tx, tenant, "n1", now, later)
            .await
            .unwrap()
    );
    assert!(
        !mail::try_lease_imap(&tx, tenant, "n2", now, later)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn an_audit_entry_links_to_the_real_head_whatever_the_writer_guessed() {
    use catalyst_domain::audit::verify_chain;
    use catalyst_store::repo::audit::{self, Head, NewAudit};

    let db = TestDb::new().await;
    let t = tenant(&db, "acme").await;
    let entry = |action: &str| NewAudit {
        tenant: t,
        actor_id: None,
        actor_label: "test".into(),
        action: action.into(),
        target_type: "ticket".into(),
        target_id: "1".into(),
        before: None,
        after: Some("{}".into()),
        request_id: None,
        at: Utc::now(),
    };
    let append = |action: &'static str, known: Option<Head>| {
        let store = db.store.clone();
        let new = entry(action);
        async move {
            let tx = store.write(Scope::Tenant(t)).await.unwrap();
            let head = audit::append(&tx, new, known.as_ref()).await.unwrap();
            tx.commit().await.unwrap();
            head
        }
    };
    // No guess: the head is read.
    let first = append("first", None).await;
    assert_eq!(first.seq, 1);
    // The right guess.
    let second = append("second", Some(first.clone())).await;
    assert_eq!(second.seq, 2);
    // A guess one behind (another writer appended since), one ahead (the guess came from
    // a transaction that was rolled back), and one with the right number but another hash.
    let third = append("third", Some(first.clone())).await;
    assert_eq!(third.seq, 3);
    let rolled_back = {
        let tx = db.store.write(Scope::Tenant(t)).await.unwrap();
        let h = audit::append(&tx, entry("undone"), Some(&third))
            .await
            .unwrap();
        drop(tx);
        h
    };
    assert_eq!(rolled_back.seq, 4);
    let fourth = append("fourth", Some(rolled_back)).await;
    assert_eq!(fourth.seq, 4);
    let forged = Head {
        seq: fourth.seq,
        hash: "0".repeat(64),
    };
    let fifth = append("fifth", Some(forged)).await;
    assert_eq!(fifth.seq, 5);

    let tx = db.store.read(Scope::Tenant(t)).await.unwrap();
    let rows = audit::page(&tx, t, 0, 100).await.unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["first", "second", "third", "fourth", "fifth"]);
    let head = verify_chain(rows.iter().map(audit::to_entry).collect::<Vec<_>>())
        .expect("an intact chain");
    assert_eq!((head.entries, head.head_hash), (5, fifth.hash));
}

#[tokio::test]
async fn a_change_writes_its_rows_audit_entry_event_and_job_together() {
    use catalyst_domain::audit::verify_chain;
    use catalyst_store::entity::{event, job, queue};
    use catalyst_store::repo::audit::{self, NewAudit};
    use catalyst_store::repo::changes;
    use catalyst_store::repo::jobs::NewJob;
    use catalyst_store::sea_orm::{EntityTrait, IntoActiveModel, QueryOrder};

    let db = TestDb::new().await;
    let t = tenant(&db, "acme").await;
    let record = |n: usize, known: Option<audit::Head>| {
        let store = db.store.clone();
        async move {
            let now = Utc::now();
            let tx = store.write(Scope::Tenant(t)).await.unwrap();
            // The change's own row goes first (in the same command on SQLite).
            let own = queue::Model {
                id: uuid::Uuid::now_v7(),
                tenant_id: t.0,
                name: format!("Queue {n}"),
                description: String::new(),
                archived: false,
                created_at: now,
            };
            let head = changes::record_after(
                &tx,
                vec![changes::row(own.into_active_model())],
                NewAudit {
                    tenant: t,
                    actor_id: None,
                    actor_label: "test".into(),
                    action: format!("change.{n}"),
                    target_type: "ticket".into(),
                    target_id: n.to_string(),
                    before: None,
                    after: None,
                    request_id: None,
                    at: now,
                },
                known.as_ref(),
                events::NewEvent {
                    tenant: t,
                    event_type: "ticket.created",
                    aggregate_type: "ticket",
                    aggregate_id: n.to_string(),
                    payload: serde_json::json!({"n": n}),
                    at: now,
                },
                Some(NewJob::new("event.notify", serde_json::json!({"n": n}), now).tenant(t)),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            head
        }
    };
    let first = record(1, None).await;
    let second = record(2, Some(first.clone())).await;
    // A stale guess: the entry is still appended after the real head.
    let third = record(3, Some(first)).await;
    assert_eq!((second.seq, third.seq), (2, 3));

    let tx = db.store.read(Scope::Tenant(t)).await.unwrap();
    let events = event::Entity::find()
        .order_by_asc(event::Column::Id)
        .all(&tx)
        .await
        .unwrap();
    let jobs = job::Entity::find()
        .order_by_asc(job::Column::CreatedAt)
        .all(&tx)
        .await
        .unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(jobs.len(), 3);
    let mut queues: Vec<String> = queue::Entity::find()
        .all(&tx)
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.name)
        .collect();
    queues.sort();
    assert_eq!(
        queues,
        ["Queue 1", "Queue 2", "Queue 3"],
        "each change's own row"
    );
    for (e, j) in events.iter().zip(&jobs) {
        // Each job carries its own event's id, next to what it was given.
        assert_eq!(j.payload[changes::EVENT_ID_KEY], serde_json::json!(e.id));
        assert_eq!(j.payload["n"], e.payload["n"]);
        assert_eq!(j.tenant_id, Some(t.0));
        assert_eq!(j.state, "pending");
    }
    let rows = audit::page(&tx, t, 0, 100).await.unwrap();
    let head = verify_chain(rows.iter().map(audit::to_entry).collect::<Vec<_>>())
        .expect("an intact chain");
    assert_eq!((head.entries, head.head_hash), (3, third.hash));
}
