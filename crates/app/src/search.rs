//! Search: the node's Tantivy index of tickets and articles, kept current from the
//! `events` outbox; permission-aware queries with the tenant's synonyms; the zero-result
//! log; portal deflection; reindexing.
//!
//! # The indexer
//!
//! Every node has its own index and its own cursor into the outbox, stored in the index's
//! commit (so index and cursor never disagree after a crash). [`App::search_catch_up`]
//! reads the events after the cursor, reloads each changed ticket or article from the
//! database (so replaying an event is harmless), and commits. When it returns, the changes
//! are searchable.
//!
//! Outbox ids come from a sequence. On PostgreSQL a transaction that took a lower id can
//! commit after one with a higher id, so a missing id may still appear. The cursor stops at
//! the first missing id for [`GAP_GRACE_SECS`]; later events are applied meanwhile and
//! remembered so they are not applied twice. An id still missing after the grace period
//! belongs to a transaction that rolled back, and the cursor moves past it.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use catalyst_domain::{FieldError, Permission, TenantId};
use catalyst_search::{
    ArticleDoc, ArticleStatus, DocType, Hit, OpenOutcome, SearchIndex, SearchRequest,
    SearchResults, TicketDoc, Viewer, Visibility,
};
use catalyst_store::Scope;
use catalyst_store::entity::{
    event, kb_article, kb_deflection, search_synonym, ticket, ticket_comment,
};
use catalyst_store::repo::search as repo;
use catalyst_store::repo::{kb, tenants, tickets};
use catalyst_store::sea_orm::{IntoActiveModel, Set};

use crate::audit::{Change, Who};
use crate::{Actor, App, AppError, Result, SystemActor};

/// How long the cursor waits at a missing outbox id before treating it as rolled back.
pub const GAP_GRACE_SECS: i64 = 30;
/// Events read per round.
const EVENT_BATCH: u64 = 500;
/// Comments of a ticket that search covers (the newest). Every change re-indexes the
/// whole ticket, so a ticket with endless comments (a mail loop) must not cost more.
pub const MAX_INDEXED_COMMENTS: usize = 500;
/// Most events applied between two commits of the index.
pub const COMMIT_EVERY: usize = 1_000;
/// Rows read per page while reindexing.
const REINDEX_PAGE: u64 = 500;
/// Longest query.
pub const MAX_QUERY: usize = 200;
/// Most synonym groups per tenant, phrases per group, characters per phrase.
pub const MAX_SYNONYM_GROUPS: usize = 500;
pub const MAX_SYNONYM_PHRASES: usize = 20;
pub const MAX_SYNONYM_PHRASE: usize = 100;

impl From<catalyst_search::SearchError> for AppError {
    fn from(e: catalyst_search::SearchError) -> Self {
        AppError::Internal(format!("search index: {e}"))
    }
}

/// The indexer's position as stored with each index commit.
fn cursor_payload(st: &IndexerState) -> Result<String> {
    serde_json::to_string(&Cursor {
        cursor: st.cursor,
        above: st.above.iter().copied().collect(),
    })
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// Moves the cursor over the applied ids up to `upto`, stopping at a missing one within its
/// grace period (returned) and passing one whose grace period is over.
fn advance_cursor(st: &mut IndexerState, upto: i64, now: DateTime<Utc>) -> Option<i64> {
    let mut waiting_on = None;
    let mut next = st.cursor + 1;
    while next <= upto {
        if st.above.contains(&next) {
            if waiting_on.is_none() {
                st.above.remove(&next);
                st.gaps.remove(&next);
                st.cursor = next;
            }
        } else {
            let first = *st.gaps.entry(next).or_insert(now);
            let expired = now - first >= Duration::seconds(GAP_GRACE_SECS);
            if waiting_on.is_none() {
                if expired {
                    tracing::debug!(id = next, "outbox id never committed; moving on");
                    st.gaps.remove(&next);
                    st.cursor = next;
                } else {
                    waiting_on = Some(next);
                }
            }
        }
        next += 1;
    }
    waiting_on
}

/// What the cursor stored in the index commit looks like.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    /// Every event with an id up to here is applied.
    cursor: i64,
    /// Applied events above the cursor (behind a missing id).
    #[serde(default)]
    above: Vec<i64>,
}

#[derive(Debug, Default)]
struct IndexerState {
    cursor: i64,
    above: BTreeSet<i64>,
    /// Missing ids and when they were first noticed.
    gaps: BTreeMap<i64, DateTime<Utc>>,
    /// Why the whole index must be rebuilt before anything else.
    rebuild: Option<String>,
}

/// The node's index and its indexer state.
pub struct SearchService {
    index: Arc<SearchIndex>,
    state: tokio::sync::Mutex<IndexerState>,
    wake: tokio::sync::Notify,
}

impl std::fmt::Debug for SearchService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchService").finish_non_exhaustive()
    }
}

impl SearchService {
    /// Opens (or creates, or replaces) the index in `dir`. A new or replaced index is
    /// filled from the database on the first [`App::search_catch_up`].
    pub fn open(dir: &Path) -> Result<Self> {
        let (index, outcome) = SearchIndex::open(dir)?;
        let rebuild = match &outcome {
            OpenOutcome::Existing => None,
            OpenOutcome::Fresh => Some("new index".to_string()),
            OpenOutcome::Rebuilt { reason } => Some(reason.clone()),
        };
        Ok(Self::new(index, rebuild))
    }

    /// An index in memory, filled from the database on the first catch-up.
    pub fn in_memory() -> Result<Self> {
        Ok(Self::new(
            SearchIndex::in_memory()?,
            Some("new index".to_string()),
        ))
    }

    fn new(index: SearchIndex, rebuild: Option<String>) -> Self {
        let stored: Cursor = index
            .payload()
            .ok()
            .flatten()
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or_default();
        SearchService {
            index: Arc::new(index),
            state: tokio::sync::Mutex::new(IndexerState {
                cursor: stored.cursor,
                above: stored.above.into_iter().collect(),
                gaps: BTreeMap::new(),
                rebuild,
            }),
            wake: tokio::sync::Notify::new(),
        }
    }

    /// Wakes the indexer worker (after a local commit).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Resolves after the next [`wake`](Self::wake).
    pub async fn woken(&self) {
        self.wake.notified().await;
    }
}

/// What one catch-up did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatchUp {
    /// Events applied.
    pub applied: usize,
    /// All events up to this id are applied.
    pub cursor: i64,
    /// The missing id the cursor waits at, if any.
    pub waiting_on: Option<i64>,
    /// Whether the whole index was rebuilt first.
    pub rebuilt: bool,
    /// Commits of the index made (one per [`COMMIT_EVERY`] events, and one at the end).
    pub commits: usize,
}

/// Documents of one tenant in the database and in the index.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IndexReport {
    pub tenant: String,
    pub db_tickets: u64,
    pub db_articles: u64,
    pub index_tickets: u64,
    pub index_articles: u64,
}

impl IndexReport {
    /// Whether the index holds exactly what the database holds.
    pub fn matches(&self) -> bool {
        self.db_tickets == self.index_tickets && self.db_articles == self.index_articles
    }
}

/// A search as the caller asks it.
#[derive(Debug, Clone, Default)]
pub struct SearchInput {
    pub q: String,
    pub types: Vec<DocType>,
    pub kinds: Vec<String>,
    pub statuses: Vec<String>,
    pub queues: Vec<Uuid>,
    pub limit: usize,
    pub offset: usize,
    /// Count the query in the zero-result log if it finds nothing (off for
    /// search-as-you-type requests, which see every unfinished word).
    pub record_zero: bool,
}

/// A query that found nothing, and how often.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ZeroResultView {
    pub query: String,
    pub count: i64,
    pub last_at: DateTime<Utc>,
}

/// Articles suggested while a requester describes an issue.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestions {
    /// The deflection record to report follow-ups on; none when nothing was suggested.
    pub deflection_id: Option<Uuid>,
    pub hits: Vec<Hit>,
}

/// What happened after suggestions were shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeflectionStep {
    /// The requester opened a suggested article.
    Opened(Uuid),
    /// The requester reported the issue anyway.
    Submitted(Uuid),
}

/// Deflection figures of a tenant.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct DeflectionStats {
    /// Report forms on which articles were suggested.
    pub shown: u64,
    /// …of which an article was opened and no ticket followed.
    pub opened: u64,
    /// …of which a ticket was submitted anyway.
    pub submitted: u64,
    /// Share of forms with suggestions that did not end in a ticket (0–1).
    pub rate: f64,
}

fn normalise_query(q: &str) -> String {
    let joined = q
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    joined.chars().take(MAX_QUERY).collect()
}

/// A ticket's search document: its fields and its newest [`MAX_INDEXED_COMMENTS`]
/// comments (`comments` oldest first).
fn ticket_doc(t: &ticket::Model, comments: &[&ticket_comment::Model]) -> TicketDoc {
    let comments = &comments[comments.len().saturating_sub(MAX_INDEXED_COMMENTS)..];
    TicketDoc {
        id: t.id,
        tenant: t.tenant_id,
        number: t.number.clone(),
        kind: t.kind.clone(),
        status: t.status.clone(),
        queue: t.queue_id,
        requester: t.requester_id,
        subject: t.subject.clone(),
        description: t.description.clone(),
        replies: comments
            .iter()
            .filter(|c| !c.is_private)
            .map(|c| c.body.clone())
            .collect(),
        internal_notes: comments
            .iter()
            .filter(|c| c.is_private)
            .map(|c| c.body.clone())
            .collect(),
        updated_at: t.updated_at,
    }
}

fn article_doc(a: &kb_article::Model) -> ArticleDoc {
    ArticleDoc {
        id: a.id,
        tenant: a.tenant_id,
        title: a.title.clone(),
        body: a.body.clone(),
        category: a.category.clone(),
        tags: a
            .tags
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        visibility: if a.visibility == "internal" {
            Visibility::Internal
        } else {
            Visibility::Public
        },
        status: match a.status.as_str() {
            "published" => ArticleStatus::Published,
            "archived" => ArticleStatus::Archived,
            _ => ArticleStatus::Draft,
        },
        updated_at: a.updated_at,
    }
}

fn groups_of(rows: Vec<search_synonym::Model>) -> Vec<Vec<String>> {
    rows.into_iter()
        .map(|g| {
            g.terms
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

impl App {
    /// Uses `search` as this node's index (the default is an empty in-memory index).
    pub fn with_search(mut self, search: SearchService) -> Self {
        self.search = Some(Arc::new(search));
        self
    }

    fn search_service(&self) -> Result<&Arc<SearchService>> {
        self.search
            .as_ref()
            .ok_or_else(|| AppError::Internal("the search index is not available".into()))
    }

    /// Resolves when a local commit may have produced events for the indexer.
    pub async fn search_woken(&self) {
        match &self.search {
            Some(s) => s.woken().await,
            None => std::future::pending::<()>().await,
        }
    }

    pub(crate) fn wake_indexer(&self) {
        if let Some(s) = &self.search {
            s.wake();
        }
    }

    /// Applies every committed outbox event not yet in the index, then commits the index:
    /// when this returns, those changes are searchable. Rebuilds the whole index first if
    /// it is new or was replaced.
    pub async fn search_catch_up(&self) -> Result<CatchUp> {
        let svc = self.search_service()?.clone();
        let mut st = svc.state.lock().await;
        let mut rebuilt = false;
        if let Some(reason) = st.rebuild.clone() {
            tracing::info!(%reason, "building the search index from the database");
            self.rebuild_locked(&svc, &mut st, None, &|_, _| {}).await?;
            rebuilt = true;
        }
        let now = self.clock.now();
        let mut applied = 0;
        let mut since_commit = 0;
        let mut commits = 0;
        let mut uncommitted = rebuilt;
        let mut after = st.cursor;
        let mut waiting_on;
        loop {
            let events = {
                let tx = self.store.read(Scope::System).await?;
                repo::events_after(&tx, after, EVENT_BATCH).await?
            };
            // Applying an event re-reads its ticket or article, which then reflects every
            // event of the batch (all committed before the batch was read): several
            // events of one aggregate need one read and one upsert. Not across batches —
            // a later batch may hold a change committed after this read.
            let mut refreshed: HashSet<(&str, &str)> = HashSet::new();
            let mut tickets: BTreeMap<TenantId, Vec<Uuid>> = BTreeMap::new();
            let n = events.len();
            for e in &events {
                after = e.id;
                if st.above.contains(&e.id) {
                    continue;
                }
                if refreshed.insert((&e.aggregate_type, &e.aggregate_id)) {
                    match (e.aggregate_type.as_str(), e.aggregate_id.parse::<Uuid>()) {
                        // Tickets are read together below, per tenant.
                        ("ticket", Ok(id)) => {
                            tickets.entry(TenantId(e.tenant_id)).or_default().push(id)
                        }
                        _ => self.apply_event(&svc, e).await?,
                    }
                }
                st.above.insert(e.id);
                applied += 1;
                since_commit += 1;
                uncommitted = true;
            }
            for (tenant, ids) in tickets {
                self.refresh_tickets(&svc, tenant, &ids).await?;
            }
            let start_cursor = st.cursor;
            waiting_on = advance_cursor(&mut st, after, now);
            uncommitted |= st.cursor != start_cursor;
            let done = (n as u64) < EVENT_BATCH;
            // Under a steady stream of writes this loop may not reach the head for a long
            // time: commit every COMMIT_EVERY events, so that changes become searchable
            // meanwhile and the writer's pending deletes (about a kilobyte each, kept
            // until the commit) stay bounded.
            if uncommitted && (done || since_commit >= COMMIT_EVERY) {
                // A commit writes and syncs segment files: off the async worker threads,
                // so requests keep being served meanwhile.
                let payload = cursor_payload(&st)?;
                let index = svc.index.clone();
                tokio::task::spawn_blocking(move || index.commit_with_payload(&payload))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))??;
                uncommitted = false;
                since_commit = 0;
                commits += 1;
                metrics::gauge!("search_index_cursor").set(st.cursor as f64);
            }
            if done {
                break;
            }
        }
        Ok(CatchUp {
            applied,
            cursor: st.cursor,
            waiting_on,
            rebuilt,
            commits,
        })
    }

    fn commit_index(&self, svc: &SearchService, st: &IndexerState) -> Result<()> {
        svc.index.commit_with_payload(&cursor_payload(st)?)?;
        Ok(())
    }

    async fn apply_event(&self, svc: &SearchService, e: &event::Model) -> Result<()> {
        let Ok(id) = e.aggregate_id.parse::<Uuid>() else {
            return Ok(());
        };
        let tenant = TenantId(e.tenant_id);
        match e.aggregate_type.as_str() {
            "ticket" => self.refresh_tickets(svc, tenant, &[id]).await?,
            "kb_article" => {
                let tx = self.store.read(Scope::Tenant(tenant)).await?;
                match kb::get(&tx, tenant, id).await? {
                    Some(a) => svc.index.upsert_article(&article_doc(&a))?,
                    None => svc.index.delete(id)?,
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Re-reads tickets of one tenant and puts them in the index (or takes them out, if
    /// gone) in a few queries: the tickets, their comment counts, the comments of those
    /// with few, and the newest [`MAX_INDEXED_COMMENTS`] of each one with more.
    async fn refresh_tickets(
        &self,
        svc: &SearchService,
        tenant: TenantId,
        ids: &[Uuid],
    ) -> Result<()> {
        let tx = self.store.read(Scope::Tenant(tenant)).await?;
        let found = tickets::get_many(&tx, tenant, ids).await?;
        let many: HashSet<Uuid> = repo::comment_counts(&tx, tenant, ids)
            .await?
            .into_iter()
            .filter(|(_, n)| *n > MAX_INDEXED_COMMENTS as i64)
            .map(|(id, _)| id)
            .collect();
        let few: Vec<Uuid> = found
            .iter()
            .map(|t| t.id)
            .filter(|id| !many.contains(id))
            .collect();
        let mut comments = repo::comments_of(&tx, tenant, &few).await?;
        for id in &many {
            comments.extend(
                repo::newest_comments(&tx, tenant, *id, MAX_INDEXED_COMMENTS as u64).await?,
            );
        }
        let mut by_ticket: BTreeMap<Uuid, Vec<&ticket_comment::Model>> = BTreeMap::new();
        for c in &comments {
            by_ticket.entry(c.ticket_id).or_default().push(c);
        }
        for t in &found {
            let cs = by_ticket.get(&t.id).map(Vec::as_slice).unwrap_or_default();
            svc.index.upsert_ticket(&ticket_doc(t, cs))?;
        }
        for id in ids {
            if !found.iter().any(|t| t.id == *id) {
                svc.index.delete(*id)?;
            }
        }
        Ok(())
    }

    /// Refills the index from the database: every tenant (and the cursor moves to the
    /// outbox head first, so later events are replayed) or one tenant.
    async fn rebuild_locked(
        &self,
        svc: &SearchService,
        st: &mut IndexerState,
        only: Option<TenantId>,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<Vec<IndexReport>> {
        let all = {
            let tx = self.store.read(Scope::Global).await?;
            tenants::list(&tx).await?
        };
        let selected: Vec<_> = all
            .into_iter()
            .filter(|t| only.is_none_or(|o| o.0 == t.id))
            .collect();
        if only.is_none() {
            let head = {
                let tx = self.store.read(Scope::System).await?;
                repo::last_event_id(&tx).await?
            };
            svc.index.clear()?;
            st.cursor = head;
            st.above.clear();
            st.gaps.clear();
        }
        let mut counts = Vec::new();
        let mut total = 0;
        for t in &selected {
            let tenant = TenantId(t.id);
            let tx = self.store.read(Scope::Tenant(tenant)).await?;
            let n = (
                repo::ticket_count(&tx, tenant).await?,
                kb::count(&tx, tenant).await?,
            );
            total += n.0 + n.1;
            counts.push(n);
        }
        let mut done = 0;
        progress(done, total);
        for t in &selected {
            let tenant = TenantId(t.id);
            if only.is_some() {
                svc.index.delete_tenant(t.id)?;
            }
            let mut after = None;
            loop {
                let page = {
                    let tx = self.store.read(Scope::Tenant(tenant)).await?;
                    repo::tickets_page(&tx, tenant, after, REINDEX_PAGE).await?
                };
                let ids: Vec<Uuid> = page.iter().map(|t| t.id).collect();
                self.refresh_tickets(svc, tenant, &ids).await?;
                done += page.len() as u64;
                progress(done, total);
                after = page.last().map(|t| t.id);
                if (page.len() as u64) < REINDEX_PAGE {
                    break;
                }
            }
            let mut after = None;
            loop {
                let tx = self.store.read(Scope::Tenant(tenant)).await?;
                let page = kb::page_by_id(&tx, tenant, after, REINDEX_PAGE).await?;
                for a in &page {
                    svc.index.upsert_article(&article_doc(a))?;
                }
                done += page.len() as u64;
                progress(done, total);
                after = page.last().map(|a| a.id);
                if (page.len() as u64) < REINDEX_PAGE {
                    break;
                }
            }
        }
        self.commit_index(svc, st)?;
        if only.is_none() {
            st.rebuild = None;
        }
        let mut reports = Vec::new();
        for (t, (db_tickets, db_articles)) in selected.iter().zip(counts) {
            let c = svc.index.counts(t.id)?;
            reports.push(IndexReport {
                tenant: t.slug.clone(),
                db_tickets,
                db_articles,
                index_tickets: c.tickets,
                index_articles: c.articles,
            });
        }
        Ok(reports)
    }

    /// Rebuilds the index of one tenant (by slug) or of all, reporting progress as
    /// (documents done, documents in total), and compares the counts with the database.
    pub async fn reindex(
        &self,
        by: &SystemActor,
        tenant_slug: Option<&str>,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<Vec<IndexReport>> {
        let only = match tenant_slug {
            Some(slug) => Some(self.tenant_by_slug(slug).await?.id),
            None => None,
        };
        let svc = self.search_service()?.clone();
        let mut st = svc.state.lock().await;
        tracing::info!(by = %by.label, tenant = tenant_slug.unwrap_or("*"), "reindexing");
        self.rebuild_locked(&svc, &mut st, only, progress).await
    }

    /// Rebuilds the actor's tenant in the index (admins).
    pub async fn reindex_tenant(&self, actor: &Actor) -> Result<IndexReport> {
        actor.require(Permission::ManageSettings)?;
        let svc = self.search_service()?.clone();
        let report = {
            let mut st = svc.state.lock().await;
            self.rebuild_locked(&svc, &mut st, Some(actor.tenant.id), &|_, _| {})
                .await?
        };
        let report = report
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("tenant"))?;
        let who = Who::from(actor);
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &who,
                action: "search.reindexed",
                target_type: "tenant",
                target_id: actor.tenant.id.to_string(),
                before: None,
                after: Some(json!({
                    "tickets": report.index_tickets, "articles": report.index_articles,
                })),
            },
        )
        .await?;
        self.commit(tx).await?;
        Ok(report)
    }

    /// Documents of the actor's tenant in the database and in this node's index (admins).
    pub async fn search_index_status(&self, actor: &Actor) -> Result<IndexReport> {
        actor.require(Permission::ManageSettings)?;
        let svc = self.search_service()?;
        let tenant = actor.tenant.id;
        let tx = self.store.read(Scope::Tenant(tenant)).await?;
        let c = svc.index.counts(tenant.0)?;
        Ok(IndexReport {
            tenant: actor.tenant.slug.clone(),
            db_tickets: repo::ticket_count(&tx, tenant).await?,
            db_articles: kb::count(&tx, tenant).await?,
            index_tickets: c.tickets,
            index_articles: c.articles,
        })
    }

    /// Searches tickets and articles the actor may see.
    pub async fn search(&self, actor: &Actor, input: SearchInput) -> Result<SearchResults> {
        if input.q.chars().count() > MAX_QUERY {
            return Err(FieldError::new(
                "q",
                "too_long",
                format!("at most {MAX_QUERY} characters"),
            )
            .into());
        }
        if input.offset > catalyst_search::query::MAX_OFFSET {
            return Err(FieldError::new(
                "offset",
                "range",
                format!("at most {}", catalyst_search::query::MAX_OFFSET),
            )
            .into());
        }
        let viewer = if actor.role.allows(Permission::UseAgentConsole) {
            Viewer::Agent
        } else {
            Viewer::Requester(actor.user_id.0)
        };
        let synonyms = {
            let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
            groups_of(repo::synonyms(&tx, actor.tenant.id).await?)
        };
        let mut req = SearchRequest::new(actor.tenant.id.0, viewer, input.q.clone());
        req.types = input.types;
        req.kinds = input.kinds;
        req.statuses = input.statuses;
        req.queues = input.queues;
        req.synonyms = synonyms;
        req.limit = input.limit.clamp(1, catalyst_search::query::MAX_LIMIT);
        req.offset = input.offset;
        let svc = self.search_service()?.clone();
        let started = std::time::Instant::now();
        let results = tokio::task::spawn_blocking(move || svc.index.search(&req))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        metrics::histogram!("search_query_seconds").record(started.elapsed().as_secs_f64());
        let q = normalise_query(&input.q);
        if results.total == 0
            && input.record_zero
            && input.offset == 0
            && !q.is_empty()
            && let Err(e) = self.record_zero_result(actor.tenant.id, &q).await
        {
            tracing::warn!(error = %e, "recording a zero-result query failed");
        }
        Ok(results)
    }

    async fn record_zero_result(&self, tenant: TenantId, q: &str) -> Result<()> {
        let tx = self.store.write(Scope::Tenant(tenant)).await?;
        repo::record_zero_result(&tx, tenant, q, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The most frequent queries that found nothing (admins).
    pub async fn zero_result_queries(
        &self,
        actor: &Actor,
        limit: u64,
    ) -> Result<Vec<ZeroResultView>> {
        actor.require(Permission::ManageSettings)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        Ok(
            repo::top_zero_results(&tx, actor.tenant.id, limit.clamp(1, 200))
                .await?
                .into_iter()
                .map(|z| ZeroResultView {
                    query: z.query,
                    count: z.count,
                    last_at: z.last_at,
                })
                .collect(),
        )
    }

    /// The tenant's synonym groups (admins).
    pub async fn synonyms(&self, actor: &Actor) -> Result<Vec<Vec<String>>> {
        actor.require(Permission::ManageSettings)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        Ok(groups_of(repo::synonyms(&tx, actor.tenant.id).await?))
    }

    /// Replaces the tenant's synonym groups (admins). Each group lists two or more words or
    /// phrases that mean the same; they apply to the next search.
    pub async fn set_synonyms(
        &self,
        actor: &Actor,
        groups: Vec<Vec<String>>,
    ) -> Result<Vec<Vec<String>>> {
        actor.require(Permission::ManageSettings)?;
        let groups = parse_synonyms(groups)?;
        let now = self.clock.now();
        let who = Who::from(actor);
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let before = groups_of(repo::synonyms(&tx, actor.tenant.id).await?);
        repo::replace_synonyms(
            &tx,
            actor.tenant.id,
            groups
                .iter()
                .map(|g| search_synonym::Model {
                    id: Uuid::now_v7(),
                    tenant_id: actor.tenant.id.0,
                    terms: json!(g),
                    created_at: now,
                    updated_at: now,
                })
                .collect(),
        )
        .await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &who,
                action: "search.synonyms_updated",
                target_type: "tenant",
                target_id: actor.tenant.id.to_string(),
                before: Some(json!(before)),
                after: Some(json!(groups)),
            },
        )
        .await?;
        self.commit(tx).await?;
        Ok(groups)
    }

    /// Published articles matching what a requester is typing on the report form. With
    /// `record`, the suggestions are kept as a deflection record (updated in place when
    /// `deflection` names the caller's earlier record).
    pub async fn suggest_articles(
        &self,
        actor: &Actor,
        text: &str,
        deflection: Option<Uuid>,
        record: bool,
    ) -> Result<Suggestions> {
        let results = self
            .search(
                actor,
                SearchInput {
                    q: text.to_string(),
                    types: vec![DocType::Article],
                    limit: 5,
                    ..SearchInput::default()
                },
            )
            .await?;
        let hits = results.hits;
        if hits.is_empty() || !record || text.trim().is_empty() {
            return Ok(Suggestions {
                deflection_id: deflection,
                hits,
            });
        }
        let now = self.clock.now();
        let suggested = json!(hits.iter().map(|h| h.id).collect::<Vec<_>>());
        let query: String = text.trim().chars().take(300).collect();
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let existing = match deflection {
            Some(id) => kb::deflection(&tx, actor.tenant.id, id)
                .await?
                .filter(|d| d.user_id == actor.user_id.0 && d.outcome != "submitted"),
            None => None,
        };
        let id = match existing {
            Some(d) => {
                let mut am = d.into_active_model();
                am.query = Set(query);
                am.suggested = Set(suggested);
                am.updated_at = Set(now);
                kb::save_deflection(&tx, am).await?.id
            }
            None => {
                kb::insert_deflection(
                    &tx,
                    kb_deflection::Model {
                        id: Uuid::now_v7(),
                        tenant_id: actor.tenant.id.0,
                        user_id: actor.user_id.0,
                        query,
                        suggested,
                        article_id: None,
                        ticket_id: None,
                        outcome: "shown".into(),
                        created_at: now,
                        updated_at: now,
                    },
                )
                .await?
                .id
            }
        };
        tx.commit().await?;
        Ok(Suggestions {
            deflection_id: Some(id),
            hits,
        })
    }

    /// Records what followed suggestions: an article opened, or a ticket submitted anyway.
    /// Only the requester the suggestions were made for may report on them.
    pub async fn deflection_step(
        &self,
        actor: &Actor,
        id: Uuid,
        step: DeflectionStep,
    ) -> Result<()> {
        let now = self.clock.now();
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let Some(d) = kb::deflection(&tx, actor.tenant.id, id)
            .await?
            .filter(|d| d.user_id == actor.user_id.0)
        else {
            return Err(AppError::NotFound("deflection"));
        };
        let mut am = d.clone().into_active_model();
        match step {
            DeflectionStep::Opened(article) => {
                if d.outcome == "submitted" {
                    return Ok(());
                }
                am.outcome = Set("opened".into());
                am.article_id = Set(Some(article));
            }
            DeflectionStep::Submitted(ticket) => {
                am.outcome = Set("submitted".into());
                am.ticket_id = Set(Some(ticket));
            }
        }
        am.updated_at = Set(now);
        kb::save_deflection(&tx, am).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deflection over the last `days` days (admins).
    pub async fn deflection_stats(&self, actor: &Actor, days: i64) -> Result<DeflectionStats> {
        actor.require(Permission::ManageSettings)?;
        let since = self.clock.now() - Duration::days(days.clamp(1, 3650));
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        let rows = kb::deflection_outcomes(&tx, actor.tenant.id, since).await?;
        let get = |k: &str| {
            rows.iter()
                .find(|(o, _)| o == k)
                .map(|(_, n)| *n)
                .unwrap_or(0)
        };
        let (shown_only, opened, submitted) = (get("shown"), get("opened"), get("submitted"));
        let shown = shown_only + opened + submitted;
        let rate = if shown == 0 {
            0.0
        } else {
            (shown - submitted) as f64 / shown as f64
        };
        Ok(DeflectionStats {
            shown,
            opened,
            submitted,
            rate,
        })
    }
}

/// Cleans synonym groups: trims and lowercases phrases, drops empty and repeated ones;
/// every group needs at least two different phrases.
pub fn parse_synonyms(groups: Vec<Vec<String>>) -> Result<Vec<Vec<String>>> {
    if groups.len() > MAX_SYNONYM_GROUPS {
        return Err(FieldError::new(
            "groups",
            "too_many",
            format!("at most {MAX_SYNONYM_GROUPS} groups"),
        )
        .into());
    }
    let mut out = Vec::new();
    for g in groups {
        let mut phrases: Vec<String> = Vec::new();
        for p in g {
            let p = p
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            if p.is_empty() || phrases.contains(&p) {
                continue;
            }
            if p.chars().any(char::is_control) {
                return Err(FieldError::new(
                    "groups",
                    "control_character",
                    "a phrase may not contain control characters",
                )
                .into());
            }
            if p.chars().count() > MAX_SYNONYM_PHRASE {
                return Err(FieldError::new(
                    "groups",
                    "too_long",
                    format!("a phrase has at most {MAX_SYNONYM_PHRASE} characters"),
                )
                .into());
            }
            phrases.push(p);
        }
        if phrases.is_empty() {
            continue;
        }
        if phrases.len() < 2 {
            return Err(FieldError::new(
                "groups",
                "too_short",
                format!("\"{}\" needs at least one synonym", phrases[0]),
            )
            .into());
        }
        if phrases.len() > MAX_SYNONYM_PHRASES {
            return Err(FieldError::new(
                "groups",
                "too_many",
                format!("at most {MAX_SYNONYM_PHRASES} phrases per group"),
            )
            .into());
        }
        out.push(phrases);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms_are_cleaned_and_checked() {
        let g = parse_synonyms(vec![
            vec![
                "VPN".into(),
                " Virtual  Private Network ".into(),
                "vpn".into(),
            ],
            vec!["".into()],
        ])
        .unwrap();
        assert_eq!(g, vec![vec!["vpn", "virtual private network"]]);
        assert!(parse_synonyms(vec![vec!["alone".into()]]).is_err());
    }

    #[test]
    fn queries_are_normalised_for_the_log() {
        assert_eq!(normalise_query("  Reset   PASSWORD "), "reset password");
    }
}
