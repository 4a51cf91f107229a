//! Group commit: writes waiting for SQLite's single writer share one transaction; a
//! failing write never undoes the others. On PostgreSQL the group writer does not start.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use futures::future::join_all;
use uuid::Uuid;

use catalyst_app::group::GroupStats;
use catalyst_app::members::NewMember;
use catalyst_app::tickets::{Idempotency, NewTicket};
use catalyst_app::{Actor, App, AppError, AppSettings, ManualClock, SystemActor};
use catalyst_store::sea_orm::DatabaseBackend;
use catalyst_store::testing::TestDb;

const PW: &str = "a long enough password";

struct Setup {
    app: App,
    requester: Actor,
    agent: Actor,
    _db: TestDb,
    _writer: tokio::task::JoinHandle<()>,
}

/// A tenant with a requester and an agent, and the group writer running; None on
/// PostgreSQL, after checking that the group writer refuses to start there.
async fn setup() -> Option<Setup> {
    let db = TestDb::new().await;
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    ));
    let app = App::new(db.store.clone(), clock, AppSettings::default());
    let writer = app.start_group_commit();
    if db.store.backend() != DatabaseBackend::Sqlite {
        assert!(writer.is_none(), "PostgreSQL has many writers: no grouping");
        return None;
    }
    let writer = writer.expect("the group writer starts on SQLite");
    assert!(
        app.start_group_commit().is_none(),
        "a second group writer must not start"
    );
    let cli = SystemActor::cli();
    app.create_tenant(&cli, "acme", "Acme").await.unwrap();
    let mut actors = Vec::new();
    for role in ["requester", "agent"] {
        let email = format!("{role}@acme.test");
        app.add_member(
            &cli,
            NewMember {
                tenant_slug: "acme",
                email: &email,
                name: None,
                role,
                password: Some(PW),
            },
        )
        .await
        .unwrap();
        let s = app.sign_in(&email, PW, None).await.unwrap();
        actors.push(s.session.actor(None).unwrap());
    }
    let agent = actors.pop().unwrap();
    let requester = actors.pop().unwrap();
    Some(Setup {
        app,
        requester,
        agent,
        _db: db,
        _writer: writer,
    })
}

fn incident(subject: &str) -> NewTicket {
    NewTicket {
        subject: subject.into(),
        description: "details".into(),
        ..NewTicket::default()
    }
}

#[tokio::test]
async fn writes_waiting_together_commit_in_one_transaction() {
    let Some(s) = setup().await else { return };
    let before = s.app.group_commit_stats();
    // All twenty are queued before the group writer runs (one test thread), so they form
    // one group.
    let created = join_all((0..20).map(|i| {
        s.app
            .create_ticket(&s.requester, incident(&format!("Printer {i}")), None)
    }))
    .await;
    let mut numbers: Vec<String> = created
        .into_iter()
        .map(|r| {
            let (t, fresh) = r.unwrap();
            assert!(fresh);
            t.number
        })
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 20, "every ticket has its own number");
    assert_eq!(numbers[0], "INC-000001");
    assert_eq!(numbers[19], "INC-000020");
    let after = s.app.group_commit_stats();
    assert_eq!(
        after,
        GroupStats {
            groups: before.groups + 1,
            grouped_writes: before.grouped_writes + 20,
            rolled_back: before.rolled_back,
        }
    );
    // Committed: a fresh read finds them, with their history and audit trail intact.
    for n in &numbers {
        s.app.get_ticket(&s.agent, n).await.unwrap();
    }
    let audit = s.app.verify_audit("acme").await.unwrap();
    assert!(audit.is_ok(), "the audit chain holds: {audit:?}");
}

#[tokio::test]
async fn a_failing_write_does_not_undo_the_others_in_its_group() {
    let Some(s) = setup().await else { return };
    let before = s.app.group_commit_stats();
    let missing = Uuid::now_v7();
    let (first, comment, second) = tokio::join!(
        s.app.create_ticket(&s.requester, incident("Before"), None),
        s.app
            .add_comment(&s.agent, missing, "Looking into it", true, None),
        s.app.create_ticket(&s.requester, incident("After"), None),
    );
    assert!(matches!(comment, Err(AppError::NotFound(_))), "{comment:?}");
    let (first, _) = first.unwrap();
    let (second, _) = second.unwrap();
    let after = s.app.group_commit_stats();
    assert_eq!(after.rolled_back, before.rolled_back + 1);
    assert_eq!(after.groups, before.groups, "the group did not commit");
    // Each ran again alone and stands; numbers have no gap from the rolled-back try.
    for (t, subject) in [(&first, "Before"), (&second, "After")] {
        let read = s.app.get_ticket(&s.agent, &t.number).await.unwrap();
        assert_eq!(read.subject, subject);
    }
    let mut numbers = [first.number.clone(), second.number.clone()];
    numbers.sort();
    assert_eq!(numbers, ["INC-000001", "INC-000002"]);
}

#[tokio::test]
async fn a_repeated_request_in_the_same_group_is_replayed_not_written_twice() {
    let Some(s) = setup().await else { return };
    let key = || {
        Some(Idempotency {
            key: "retry-1".into(),
            request_hash: "same body".into(),
        })
    };
    let (a, b) = tokio::join!(
        s.app.create_ticket(&s.requester, incident("Once"), key()),
        s.app.create_ticket(&s.requester, incident("Once"), key()),
    );
    let (a, a_fresh) = a.unwrap();
    let (b, b_fresh) = b.unwrap();
    assert_eq!(a.id, b.id);
    assert!(a_fresh && !b_fresh, "the second is the replay");
    assert_eq!(s.app.group_commit_stats().grouped_writes, 2);
}
