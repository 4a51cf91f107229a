//! Test databases: a fresh SQLite file per test, or — when `CATALYST_TEST_DATABASE_URL`
//! names a PostgreSQL role with CREATEDB — a fresh PostgreSQL database per test, migrated
//! by that (owner) role and used through the non-owner application role named by
//! `CATALYST_TEST_APP_ROLE` (default `catalyst_app`), so row-level security is in force.

#![allow(clippy::expect_used)] // test set-up: a failure should stop the test loudly

use url::Url;

use crate::{Store, StoreOptions};

pub struct TestDb {
    pub store: Store,
    /// Connection URL of the application role (what `DATABASE_URL` would be).
    pub url: String,
    /// Connection URL of the owner role (what `DATABASE_MIGRATE_URL` would be).
    pub owner_url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// Whether tests run against PostgreSQL.
    pub fn is_postgres() -> bool {
        std::env::var("CATALYST_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
    }

    /// A fresh, migrated database.
    pub async fn new() -> Self {
        match std::env::var("CATALYST_TEST_DATABASE_URL") {
            Ok(admin) if !admin.is_empty() => Self::postgres(&admin).await,
            _ => Self::sqlite().await,
        }
    }

    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let store = Store::connect(&StoreOptions::new(url.clone()))
            .await
            .expect("connect sqlite");
        store.migrate().await.expect("migrate sqlite");
        Self {
            store,
            owner_url: url.clone(),
            url,
            _dir: Some(dir),
        }
    }

    async fn postgres(admin: &str) -> Self {
        let name = format!("catalyst_test_{}", uuid::Uuid::new_v4().simple());
        let admin_store = Store::connect(&StoreOptions {
            pg_max_connections: 1,
            ..StoreOptions::new(admin)
        })
        .await
        .expect("connect to CATALYST_TEST_DATABASE_URL");
        use sea_orm::ConnectionTrait;
        admin_store
            .writer()
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin_store.close().await;

        let mut owner = Url::parse(admin).expect("CATALYST_TEST_DATABASE_URL is a URL");
        owner.set_path(&format!("/{name}"));
        let app_role =
            std::env::var("CATALYST_TEST_APP_ROLE").unwrap_or_else(|_| "catalyst_app".into());
        let mut app = owner.clone();
        app.set_username(&app_role).expect("set user name");
        app.set_password(None).expect("clear password");

        Store::migrate_as_owner(owner.as_str(), Some(&app_role))
            .await
            .expect("migrate test database");
        let store = Store::connect(&StoreOptions {
            pg_max_connections: 4,
            ..StoreOptions::new(app.as_str())
        })
        .await
        .expect("connect as the application role");
        Self {
            store,
            url: app.to_string(),
            owner_url: owner.to_string(),
            _dir: None,
        }
    }
}
