//! The jobs queue on SQLite, and on PostgreSQL when `CATALYST_TEST_DATABASE_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::collections::HashSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

use catalyst_domain::{TenantId, TenantName, TenantSlug};
use catalyst_store::repo::jobs::{self, Failed, NewJob};
use catalyst_store::repo::tenants;
use catalyst_store::testing::TestDb;
use catalyst_store::{Scope, Store, StoreOptions};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

async fn tenant(store: &Store, slug: &str) -> TenantId {
    let tx = store.write(Scope::Global).await.unwrap();
    let t = tenants::insert(
        &tx,
        &TenantSlug::parse(slug).unwrap(),
        &TenantName::parse(slug).unwrap(),
        t0(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    TenantId(t.id)
}

async fn enqueue(store: &Store, t: TenantId, job: NewJob) -> uuid::Uuid {
    let tx = store.write(Scope::Tenant(t)).await.unwrap();
    let id = jobs::enqueue(&tx, job.tenant(t), t0()).await.unwrap();
    tx.commit().await.unwrap();
    id
}

async fn claim(store: &Store, worker: &str, now: DateTime<Utc>, n: u64) -> Vec<uuid::Uuid> {
    let tx = store.write(Scope::System).await.unwrap();
    let got = jobs::claim(&tx, worker, now, Duration::seconds(60), n)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    got.into_iter().map(|j| j.id).collect()
}

async fn complete(store: &Store, id: uuid::Uuid, worker: &str) -> bool {
    let tx = store.write(Scope::System).await.unwrap();
    let ok = jobs::complete(&tx, id, worker).await.unwrap();
    tx.commit().await.unwrap();
    ok
}

#[tokio::test]
async fn a_job_is_claimed_only_when_due_and_deleted_when_done() {
    let db = TestDb::new().await;
    let t = tenant(&db.store, "acme").await;
    let later = enqueue(
        &db.store,
        t,
        NewJob::new("test", json!({"n": 1}), t0() + Duration::minutes(5)),
    )
    .await;
    let now = enqueue(&db.store, t, NewJob::new("test", json!({"n": 2}), t0())).await;

    assert_eq!(claim(&db.store, "w1", t0(), 10).await, vec![now]);
    assert!(
        claim(&db.store, "w2", t0(), 10).await.is_empty(),
        "claimed twice"
    );
    // A worker's own running job at its next claim is a batch whose outcome was never
    // recorded (e.g. the database refused the write): it takes it again.
    assert_eq!(claim(&db.store, "w1", t0(), 10).await, vec![now]);
    let tx = db.store.read(Scope::System).await.unwrap();
    assert_eq!(
        jobs::next_due(&tx).await.unwrap(),
        Some(t0() + Duration::seconds(60)),
        "the running job's lease ends before the later job is due"
    );
    drop(tx);
    assert!(complete(&db.store, now, "w1").await);
    let tx = db.store.read(Scope::System).await.unwrap();
    assert_eq!(
        jobs::next_due(&tx).await.unwrap(),
        Some(t0() + Duration::minutes(5))
    );
    drop(tx);
    assert_eq!(
        claim(&db.store, "w1", t0() + Duration::minutes(5), 10).await,
        vec![later]
    );
}

#[tokio::test]
async fn a_dedupe_key_reschedules_the_pending_job() {
    let db = TestDb::new().await;
    let t = tenant(&db.store, "acme").await;
    let a = enqueue(
        &db.store,
        t,
        NewJob::new("sla.timer", json!({"v": 1}), t0() + Duration::hours(2)).dedupe("sla:x"),
    )
    .await;
    let b = enqueue(
        &db.store,
        t,
        NewJob::new("sla.timer", json!({"v": 2}), t0() + Duration::hours(1)).dedupe("sla:x"),
    )
    .await;
    assert_eq!(a, b, "the same pending job");
    let tx = db.store.read(Scope::System).await.unwrap();
    let pending = jobs::list(&tx, jobs::PENDING, None, 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].run_at, t0() + Duration::hours(1));
    assert_eq!(pending[0].payload, json!({"v": 2}));
    drop(tx);

    // While it runs, a new pending job with the same key may be queued behind it.
    assert_eq!(
        claim(&db.store, "w", t0() + Duration::hours(1), 10).await,
        vec![a]
    );
    let c = enqueue(
        &db.store,
        t,
        NewJob::new("sla.timer", json!({"v": 3}), t0() + Duration::hours(3)).dedupe("sla:x"),
    )
    .await;
    assert_ne!(a, c);
    // The running one fails; its pending successor supersedes it.
    let tx = db.store.write(Scope::System).await.unwrap();
    let f = jobs::fail(&tx, a, "w", "boom", true, t0() + Duration::hours(1))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(f, Failed::Superseded);
    let tx = db.store.write(Scope::Tenant(t)).await.unwrap();
    assert!(jobs::cancel(&tx, "sla:x").await.unwrap());
    tx.commit().await.unwrap();
    let tx = db.store.read(Scope::System).await.unwrap();
    assert_eq!(jobs::next_due(&tx).await.unwrap(), None);
}

#[tokio::test]
async fn failures_back_off_then_die_and_an_admin_can_retry() {
    let db = TestDb::new().await;
    let t = tenant(&db.store, "acme").await;
    let id = enqueue(
        &db.store,
        t,
        NewJob::new("mail.send", json!({}), t0()).max_attempts(3),
    )
    .await;
    let mut now = t0();
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        assert_eq!(claim(&db.store, "w", now, 10).await, vec![id]);
        let tx = db.store.write(Scope::System).await.unwrap();
        let f = jobs::fail(&tx, id, "w", "smtp said no", true, now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        outcomes.push(f);
        if let Failed::Retry(at) = f {
            assert!(
                claim(&db.store, "w", at - Duration::seconds(1), 10)
                    .await
                    .is_empty(),
                "claimed before its backoff ended"
            );
            now = at;
        }
    }
    assert_eq!(
        outcomes,
        vec![
            Failed::Retry(t0() + Duration::seconds(10)),
            Failed::Retry(t0() + Duration::seconds(30)),
            Failed::Dead
        ]
    );
    let tx = db.store.read(Scope::System).await.unwrap();
    let dead = jobs::list(&tx, jobs::DEAD, Some(t), 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("smtp said no"));
    assert_eq!(jobs::stats(&tx, now).await.unwrap().dead, 1);
    drop(tx);
    assert!(
        claim(&db.store, "w", now + Duration::days(1), 10)
            .await
            .is_empty()
    );

    let other = tenant(&db.store, "globex").await;
    let tx = db.store.write(Scope::System).await.unwrap();
    assert!(
        !jobs::retry(&tx, id, Some(other), now).await.unwrap(),
        "other tenant"
    );
    assert!(jobs::retry(&tx, id, Some(t), now).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(claim(&db.store, "w", now, 10).await, vec![id]);
}

#[tokio::test]
async fn an_expired_lease_is_recovered_and_the_old_worker_cannot_complete() {
    let db = TestDb::new().await;
    let t = tenant(&db.store, "acme").await;
    let id = enqueue(&db.store, t, NewJob::new("test", json!({}), t0())).await;
    assert_eq!(claim(&db.store, "crashed", t0(), 1).await, vec![id]);
    assert!(
        claim(&db.store, "w2", t0() + Duration::seconds(59), 1)
            .await
            .is_empty()
    );
    assert_eq!(
        claim(&db.store, "w2", t0() + Duration::seconds(61), 1).await,
        vec![id]
    );
    assert!(!complete(&db.store, id, "crashed").await);
    assert!(complete(&db.store, id, "w2").await);
}

/// Two workers drain one queue concurrently: every job is claimed exactly once. On
/// PostgreSQL the second worker has its own connection pool, as a second process would;
/// on SQLite (one server process per database) both share the single writer.
#[tokio::test]
async fn two_workers_claim_every_job_exactly_once() {
    let db = TestDb::new().await;
    let t = tenant(&db.store, "acme").await;
    let tx = db.store.write(Scope::Tenant(t)).await.unwrap();
    let mut all = HashSet::new();
    for i in 0..300 {
        all.insert(
            jobs::enqueue(
                &tx,
                NewJob::new("test", json!({"i": i}), t0()).tenant(t),
                t0(),
            )
            .await
            .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    let second = if TestDb::is_postgres() {
        Store::connect(&StoreOptions::new(db.url.clone()))
            .await
            .unwrap()
    } else {
        db.store.clone()
    };

    async fn drain(store: Store, name: &'static str) -> Vec<uuid::Uuid> {
        let mut mine = Vec::new();
        loop {
            let got = claim(&store, name, t0(), 7).await;
            if got.is_empty() {
                return mine;
            }
            for id in got {
                assert!(complete(&store, id, name).await);
                mine.push(id);
            }
        }
    }
    let (a, b) = tokio::join!(
        tokio::spawn(drain(db.store.clone(), "a")),
        tokio::spawn(drain(second.clone(), "b"))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut seen = HashSet::new();
    for id in a.iter().chain(b.iter()) {
        assert!(seen.insert(*id), "job {id} ran twice");
    }
    assert_eq!(seen, all);
    assert!(!a.is_empty() && !b.is_empty(), "both workers took part");
}

/// A tenant-scoped transaction sees only its tenant's jobs; the system scope sees all.
#[tokio::test]
async fn jobs_are_tenant_isolated_outside_the_system_scope() {
    let db = TestDb::new().await;
    let a = tenant(&db.store, "acme").await;
    let b = tenant(&db.store, "globex").await;
    enqueue(
        &db.store,
        a,
        NewJob::new("test", json!({}), t0()).dedupe("k:a"),
    )
    .await;
    enqueue(&db.store, b, NewJob::new("test", json!({}), t0())).await;

    let tx = db.store.read(Scope::System).await.unwrap();
    assert_eq!(
        jobs::list(&tx, jobs::PENDING, None, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    drop(tx);
    let tx = db.store.read(Scope::Tenant(b)).await.unwrap();
    let seen = jobs::list(&tx, jobs::PENDING, Some(b), 10).await.unwrap();
    assert_eq!(seen.len(), 1);
    assert!(seen.iter().all(|j| j.tenant_id == Some(b.0)));
    if TestDb::is_postgres() {
        // The database wall alone: no tenant filter in the query, RLS hides A's job.
        let all = jobs::list(&tx, jobs::PENDING, None, 10).await.unwrap();
        assert_eq!(all.len(), 1, "tenant B saw another tenant's job");
        drop(tx);
        let tx = db.store.write(Scope::Tenant(b)).await.unwrap();
        assert!(
            !jobs::cancel(&tx, "k:a").await.unwrap(),
            "B cancelled A's job"
        );
        assert!(
            jobs::claim(&tx, "w", t0(), Duration::seconds(60), 10)
                .await
                .unwrap()
                .iter()
                .all(|j| j.tenant_id == Some(b.0))
        );
    }
}

#[tokio::test]
async fn jobs_enqueued_together_keep_one_pending_job_per_key() {
    let db = TestDb::new().await;
    let t = tenant(&db.store, "acme").await;
    let old = enqueue(
        &db.store,
        t,
        NewJob::new("sla.timer", json!({"v": 0}), t0() + Duration::hours(1)).dedupe("k:1"),
    )
    .await;
    let job = |kind: &str, v: i32| NewJob::new(kind, json!({ "v": v }), t0()).tenant(t);
    // More jobs than one multi-row statement takes.
    let mut batch: Vec<NewJob> = (0..450).map(|v| job("noop", 100 + v)).collect();
    batch.extend([
        job("mail.send", 1).dedupe("k:1"),
        job("mail.send", 2).dedupe("k:2"),
        job("mail.send", 3).dedupe("k:2"),
    ]);
    let tx = db.store.write(Scope::Tenant(t)).await.unwrap();
    jobs::enqueue_all(&tx, batch, t0()).await.unwrap();
    jobs::enqueue_all(&tx, Vec::new(), t0()).await.unwrap();
    tx.commit().await.unwrap();

    let tx = db.store.read(Scope::System).await.unwrap();
    let pending = jobs::list(&tx, jobs::PENDING, None, 1000).await.unwrap();
    assert_eq!(pending.len(), 452, "450 without a key, one per key");
    let keyed = |k: &str| {
        let found: Vec<_> = pending
            .iter()
            .filter(|j| j.dedupe_key.as_deref() == Some(k))
            .collect();
        assert_eq!(found.len(), 1, "one pending job with key {k}");
        found[0].clone()
    };
    let k1 = keyed("k:1");
    assert_eq!(k1.id, old, "the pending job with the key was rescheduled");
    assert_eq!(
        (k1.kind.as_str(), &k1.payload, k1.run_at),
        ("mail.send", &json!({"v": 1}), t0())
    );
    assert_eq!(
        keyed("k:2").payload,
        json!({"v": 3}),
        "the last of a key wins"
    );
    let plain: HashSet<i64> = pending
        .iter()
        .filter(|j| j.dedupe_key.is_none())
        .filter_map(|j| j.payload["v"].as_i64())
        .collect();
    assert_eq!(plain, (100..550).collect());
}

/// SQLite: with plans independent of bound values (ADR 12), the lookup of a pending job
/// by its key still goes through the partial unique index.
#[tokio::test]
async fn sqlite_key_lookups_of_pending_jobs_use_the_partial_index() {
    use sea_orm::{
        ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryTrait, Statement,
    };
    let db = TestDb::new().await;
    let w = db.store.writer();
    if w.get_database_backend() != DatabaseBackend::Sqlite {
        return;
    }
    let lookup = catalyst_store::entity::job::Entity::find()
        .filter(jobs::pending_with_key("sla:1"))
        .build(DatabaseBackend::Sqlite);
    let plan = w
        .query_all_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            format!("EXPLAIN QUERY PLAN {}", lookup.sql),
            lookup.values.unwrap(),
        ))
        .await
        .unwrap();
    let detail: Vec<String> = plan
        .iter()
        .map(|r| r.try_get::<String>("", "detail").unwrap())
        .collect();
    assert!(
        detail.iter().any(|d| d.contains("ux_jobs_dedupe")),
        "{detail:?}"
    );
}
