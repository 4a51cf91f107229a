//! Knowledge base and search over JSON.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use catalyst_app::kb::{ArticlePatch, ArticleQuery, ArticleVersionView, ArticleView, NewArticle};
use catalyst_app::search::{
    DeflectionStats, DeflectionStep, IndexReport, SearchInput, ZeroResultView,
};
use catalyst_domain::FieldError;
use catalyst_search::{DocType, Hit, SearchResults};

use super::problems::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, PreconditionFailed, PreconditionRequired,
    Unauthenticated, UnsupportedMediaType, ValidationFailed,
};
use super::tickets::{HashedJson, bad_query, etag, if_match, parse_id, stale_to_412};
use crate::http::AppState;
use crate::http::auth::ApiActor;
use crate::http::error::ApiError;

// ---------- wire types ----------

/// Who may read an article.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArticleVisibility {
    Public,
    Internal,
}

/// Where an article is in its life: `draft` → `published` → `archived` (→ `draft`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    Draft,
    Published,
    Archived,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Article {
    id: Uuid,
    title: String,
    /// Markdown source.
    body: String,
    /// Sanitised HTML rendering of `body`.
    body_html: String,
    category: Option<String>,
    tags: Vec<String>,
    #[schema(value_type = ArticleVisibility)]
    visibility: String,
    #[schema(value_type = ArticleStatus)]
    status: String,
    /// Incremented on every change; also the ETag.
    version: i64,
    author_id: Uuid,
    helpful_count: i64,
    not_helpful_count: i64,
    view_count: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
}

impl From<ArticleView> for Article {
    fn from(a: ArticleView) -> Self {
        Article {
            id: a.id,
            title: a.title,
            body: a.body,
            body_html: a.body_html,
            category: a.category,
            tags: a.tags,
            visibility: a.visibility,
            status: a.status,
            version: a.version,
            author_id: a.author_id,
            helpful_count: a.helpful_count,
            not_helpful_count: a.not_helpful_count,
            view_count: a.view_count,
            created_at: a.created_at,
            updated_at: a.updated_at,
            published_at: a.published_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ArticleList {
    items: Vec<Article>,
    /// All matching articles, not just this page.
    total: u64,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArticleInput {
    #[schema(min_length = 1, max_length = 300)]
    title: String,
    /// Markdown.
    #[schema(min_length = 1, max_length = 100000)]
    body: String,
    #[schema(max_length = 100)]
    category: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    /// `public` (default) or `internal`.
    #[schema(value_type = Option<ArticleVisibility>)]
    visibility: Option<String>,
    /// `draft` (default) or `published`.
    #[schema(value_type = Option<NewArticleStatus>)]
    status: Option<String>,
}

/// The status a new article can start in.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NewArticleStatus {
    Draft,
    Published,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArticleChanges {
    #[schema(min_length = 1, max_length = 300)]
    title: Option<String>,
    body: Option<String>,
    /// `null` clears the category.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable = true)]
    category: Option<Option<String>>,
    tags: Option<Vec<String>>,
    #[schema(value_type = Option<ArticleVisibility>)]
    visibility: Option<String>,
    #[schema(value_type = Option<ArticleStatus>)]
    status: Option<String>,
}

fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticleVersion {
    version: i64,
    title: String,
    body: String,
    category: Option<String>,
    tags: Vec<String>,
    #[schema(value_type = ArticleVisibility)]
    visibility: String,
    #[schema(value_type = ArticleStatus)]
    status: String,
    author_id: Uuid,
    created_at: DateTime<Utc>,
}

impl From<ArticleVersionView> for ArticleVersion {
    fn from(v: ArticleVersionView) -> Self {
        ArticleVersion {
            version: v.version,
            title: v.title,
            body: v.body,
            category: v.category,
            tags: v.tags,
            visibility: v.visibility,
            status: v.status,
            author_id: v.author_id,
            created_at: v.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ArticleVersionList {
    items: Vec<ArticleVersion>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ArticleListQuery {
    /// Agents only: `draft`, `published` or `archived` (requesters always get published
    /// public articles).
    #[param(pattern = "^(draft|published|archived)$")]
    status: Option<String>,
    category: Option<String>,
    #[param(minimum = 0, maximum = 10000)]
    offset: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VoteInput {
    /// Was the article helpful?
    helpful: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Synonyms {
    /// Groups of words or phrases that mean the same, e.g. `["vpn", "virtual private network"]`.
    groups: Vec<Vec<String>>,
}

/// A kind of search result.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResultType {
    Ticket,
    Article,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    id: Uuid,
    #[schema(value_type = ResultType)]
    #[serde(rename = "type")]
    doc_type: DocType,
    score: f32,
    /// Ticket number, e.g. `INC-000042`.
    number: Option<String>,
    title: String,
    /// The title, HTML-escaped, matches in `<mark>`.
    title_html: String,
    /// An excerpt, HTML-escaped, matches in `<mark>`.
    snippet_html: String,
    kind: Option<String>,
    status: String,
    queue_id: Option<Uuid>,
    visibility: Option<String>,
    category: Option<String>,
    updated_at: DateTime<Utc>,
}

impl From<Hit> for SearchHit {
    fn from(h: Hit) -> Self {
        SearchHit {
            id: h.id,
            doc_type: h.doc_type,
            score: h.score,
            number: h.number,
            title: h.title,
            title_html: h.title_html,
            snippet_html: h.snippet_html,
            kind: h.kind,
            status: h.status,
            queue_id: h.queue,
            visibility: h.visibility.map(|v| v.as_str().to_string()),
            category: h.category,
            updated_at: h.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FacetCounts {
    /// By result type (`ticket`, `article`).
    types: std::collections::BTreeMap<String, u64>,
    kinds: std::collections::BTreeMap<String, u64>,
    statuses: std::collections::BTreeMap<String, u64>,
    /// By queue id.
    queues: std::collections::BTreeMap<String, u64>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResultList {
    items: Vec<SearchHit>,
    /// All matches, not just this page.
    total: usize,
    facets: FacetCounts,
}

impl From<SearchResults> for SearchResultList {
    fn from(r: SearchResults) -> Self {
        SearchResultList {
            items: r.hits.into_iter().map(Into::into).collect(),
            total: r.total,
            facets: FacetCounts {
                types: r.facets.types,
                kinds: r.facets.kinds,
                statuses: r.facets.statuses,
                queues: r.facets.queues,
            },
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// What to look for: words (typos tolerated, the last one as a prefix unless followed
    /// by a space), phrases from the tenant's synonyms, or a ticket number.
    #[param(max_length = 200)]
    q: Option<String>,
    /// Comma-separated: `ticket`, `article` (default both).
    #[param(pattern = "^((ticket|article)(,(ticket|article))*)?$")]
    types: Option<String>,
    /// Comma-separated ticket kinds.
    kind: Option<String>,
    /// Comma-separated statuses.
    status: Option<String>,
    /// Comma-separated queue ids.
    #[param(
        pattern = "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(,[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})*)?$"
    )]
    queue: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
    #[param(minimum = 0, maximum = 10000)]
    offset: Option<usize>,
    /// `false` for search-as-you-type requests: a query that finds nothing is then not
    /// counted in the zero-result log.
    record: Option<bool>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ZeroResult {
    query: String,
    count: i64,
    last_at: DateTime<Utc>,
}

impl From<ZeroResultView> for ZeroResult {
    fn from(z: ZeroResultView) -> Self {
        ZeroResult {
            query: z.query,
            count: z.count,
            last_at: z.last_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ZeroResultList {
    items: Vec<ZeroResult>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IndexCounts {
    tenant: String,
    db_tickets: u64,
    db_articles: u64,
    index_tickets: u64,
    index_articles: u64,
    /// Whether this node's index holds exactly what the database holds.
    in_sync: bool,
}

impl From<IndexReport> for IndexCounts {
    fn from(r: IndexReport) -> Self {
        IndexCounts {
            in_sync: r.matches(),
            tenant: r.tenant,
            db_tickets: r.db_tickets,
            db_articles: r.db_articles,
            index_tickets: r.index_tickets,
            index_articles: r.index_articles,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SuggestionInput {
    /// What the requester has typed so far (usually the subject).
    #[schema(max_length = 200)]
    text: String,
    /// The deflection record of earlier suggestions on the same form.
    deflection_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuggestionList {
    /// Report follow-ups (article opened, ticket submitted) on this record.
    deflection_id: Option<Uuid>,
    items: Vec<SearchHit>,
}

/// What happened after suggestions were shown.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeflectionStepKind {
    Opened,
    Submitted,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeflectionInput {
    #[schema(value_type = DeflectionStepKind)]
    step: String,
    /// The article opened (`opened`).
    article_id: Option<Uuid>,
    /// The ticket submitted (`submitted`).
    ticket_id: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct Deflection {
    /// Report forms on which articles were suggested (last 30 days).
    shown: u64,
    /// …of which an article was opened and no ticket followed (yet).
    opened: u64,
    /// …of which a ticket was submitted anyway.
    submitted: u64,
    /// Share of forms with suggestions that did not end in a ticket (0–1).
    rate: f64,
}

impl From<DeflectionStats> for Deflection {
    fn from(d: DeflectionStats) -> Self {
        Deflection {
            shown: d.shown,
            opened: d.opened,
            submitted: d.submitted,
            rate: d.rate,
        }
    }
}

fn with_article_etag(status: StatusCode, a: ArticleView) -> Response {
    let tag = etag(a.version);
    let mut res = (status, Json(Article::from(a))).into_response();
    res.headers_mut().insert(header::ETAG, tag);
    res
}

fn split(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

// ---------- handlers ----------

/// Articles the caller may read, newest change first.
#[utoipa::path(get, path = "/v1/kb/articles", tag = "knowledge base", security(("bearer" = [])), params(ArticleListQuery),
    responses((status = 200, body = ArticleList), Unauthenticated, ValidationFailed))]
pub async fn list_articles(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    q: Result<Query<ArticleListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ArticleList>, ApiError> {
    let Query(q) = q.map_err(bad_query)?;
    if q.offset.is_some_and(|o| o > 10_000) {
        return Err(ApiError::from(catalyst_app::AppError::from(
            FieldError::new("offset", "range", "at most 10000"),
        )));
    }
    if q.limit.is_some_and(|l| !(1..=100).contains(&l)) {
        return Err(ApiError::from(catalyst_app::AppError::from(
            FieldError::new("limit", "range", "must be 1–100"),
        )));
    }
    let page = s
        .app
        .list_articles(
            &a,
            ArticleQuery {
                status: q.status,
                category: q.category,
                offset: q.offset.unwrap_or(0),
                limit: q.limit.unwrap_or(25),
            },
        )
        .await?;
    Ok(Json(ArticleList {
        items: page.items.into_iter().map(Into::into).collect(),
        total: page.total,
    }))
}

/// Write an article (agents). It starts as a draft unless `status` is `published`.
#[utoipa::path(post, path = "/v1/kb/articles", tag = "knowledge base", security(("bearer" = [])), request_body = ArticleInput,
    responses((status = 201, body = Article, headers(("ETag" = String, description = "The article's version, for `If-Match`"))),
        BadRequest, Unauthenticated, Forbidden, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn create_article(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: HashedJson<ArticleInput>,
) -> Result<Response, ApiError> {
    let i = body.value;
    let v = s
        .app
        .create_article(
            &a,
            NewArticle {
                title: i.title,
                body: i.body,
                category: i.category,
                tags: i.tags,
                visibility: i.visibility,
                status: i.status,
            },
        )
        .await?;
    Ok(with_article_etag(StatusCode::CREATED, v))
}

/// One article (counts as a view).
#[utoipa::path(get, path = "/v1/kb/articles/{id}", tag = "knowledge base", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Article, headers(("ETag" = String, description = "The article's version, for `If-Match`"))),
        Unauthenticated, NotFound))]
pub async fn get_article(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "article")?;
    let v = s.app.get_article(&a, id, true).await?;
    Ok(with_article_etag(StatusCode::OK, v))
}

/// Change, publish, archive or re-draft an article (agents). Needs `If-Match` with its
/// ETag: 428 without, 412 when it changed meanwhile. Every change is kept as a version.
#[utoipa::path(patch, path = "/v1/kb/articles/{id}", tag = "knowledge base", security(("bearer" = [])), request_body = ArticleChanges,
    params(("id" = Uuid, Path), ("If-Match" = String, Header, description = "The ETag from GET")),
    responses((status = 200, body = Article, headers(("ETag" = String, description = "The article's version, for `If-Match`"))),
        BadRequest, Unauthenticated, Forbidden, NotFound, PreconditionFailed, PayloadTooLarge,
        UnsupportedMediaType, ValidationFailed, PreconditionRequired))]
pub async fn update_article(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: HashedJson<ArticleChanges>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id, "article")?;
    let version = if_match(&headers)?;
    let c = body.value;
    let v = s
        .app
        .update_article(
            &a,
            id,
            Some(version),
            ArticlePatch {
                title: c.title,
                body: c.body,
                category: c.category,
                tags: c.tags,
                visibility: c.visibility,
                status: c.status,
            },
        )
        .await
        .map_err(stale_to_412)?;
    Ok(with_article_etag(StatusCode::OK, v))
}

/// The saved versions of an article, newest first (agents).
#[utoipa::path(get, path = "/v1/kb/articles/{id}/versions", tag = "knowledge base", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ArticleVersionList), Unauthenticated, Forbidden, NotFound))]
pub async fn article_versions(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<ArticleVersionList>, ApiError> {
    let id = parse_id(&id, "article")?;
    let items = s.app.article_versions(&a, id).await?;
    Ok(Json(ArticleVersionList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// "Was this helpful?" — one answer per person; answering again replaces it.
#[utoipa::path(post, path = "/v1/kb/articles/{id}/votes", tag = "knowledge base", security(("bearer" = [])), request_body = VoteInput, params(("id" = Uuid, Path)),
    responses((status = 200, body = Article), BadRequest, Unauthenticated, Forbidden, NotFound, super::problems::Conflict, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn vote_article(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    body: HashedJson<VoteInput>,
) -> Result<Json<Article>, ApiError> {
    let id = parse_id(&id, "article")?;
    let v = s.app.vote_article(&a, id, body.value.helpful).await?;
    Ok(Json(v.into()))
}

/// The tenant's synonym groups (admins).
#[utoipa::path(get, path = "/v1/kb/synonyms", tag = "search", security(("bearer" = [])),
    responses((status = 200, body = Synonyms), Unauthenticated, Forbidden))]
pub async fn get_synonyms(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Synonyms>, ApiError> {
    Ok(Json(Synonyms {
        groups: s.app.synonyms(&a).await?,
    }))
}

/// Replace the tenant's synonym groups (admins). Each group needs two or more different
/// words or phrases; they work in both directions from the next search on.
#[utoipa::path(put, path = "/v1/kb/synonyms", tag = "search", security(("bearer" = [])), request_body = Synonyms,
    responses((status = 200, body = Synonyms), BadRequest, Unauthenticated, Forbidden, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn put_synonyms(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: HashedJson<Synonyms>,
) -> Result<Json<Synonyms>, ApiError> {
    Ok(Json(Synonyms {
        groups: s.app.set_synonyms(&a, body.value.groups).await?,
    }))
}

/// Published articles matching what a requester types on the report form. Keeps a
/// deflection record when something is suggested.
#[utoipa::path(post, path = "/v1/kb/suggestions", tag = "knowledge base", security(("bearer" = [])), request_body = SuggestionInput,
    responses((status = 200, body = SuggestionList), BadRequest, Unauthenticated, Forbidden, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn suggestions(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    body: HashedJson<SuggestionInput>,
) -> Result<Json<SuggestionList>, ApiError> {
    let i = body.value;
    let r = s
        .app
        .suggest_articles(&a, &i.text, i.deflection_id, true)
        .await?;
    Ok(Json(SuggestionList {
        deflection_id: r.deflection_id,
        items: r.hits.into_iter().map(Into::into).collect(),
    }))
}

/// Report what followed suggestions: an article opened, or a ticket submitted anyway.
#[utoipa::path(post, path = "/v1/kb/deflections/{id}", tag = "knowledge base", security(("bearer" = [])), request_body = DeflectionInput, params(("id" = Uuid, Path)),
    responses((status = 204, description = "Recorded"), BadRequest, Unauthenticated, Forbidden, NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed))]
pub async fn deflection_step(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    body: HashedJson<DeflectionInput>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id, "deflection")?;
    let i = body.value;
    let missing = |field: &'static str| -> ApiError {
        catalyst_app::AppError::from(FieldError::new(field, "required", "required for this step"))
            .into()
    };
    let step = match i.step.as_str() {
        "opened" => DeflectionStep::Opened(i.article_id.ok_or_else(|| missing("articleId"))?),
        "submitted" => DeflectionStep::Submitted(i.ticket_id.ok_or_else(|| missing("ticketId"))?),
        _ => {
            return Err(catalyst_app::AppError::from(FieldError::new(
                "step",
                "invalid",
                "expected opened or submitted",
            ))
            .into());
        }
    };
    s.app.deflection_step(&a, id, step).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deflection over the last 30 days (admins).
#[utoipa::path(get, path = "/v1/kb/deflection", tag = "knowledge base", security(("bearer" = [])),
    responses((status = 200, body = Deflection), Unauthenticated, Forbidden))]
pub async fn deflection(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Deflection>, ApiError> {
    Ok(Json(s.app.deflection_stats(&a, 30).await?.into()))
}

/// Search tickets and articles the caller may see. Agents: all tickets of the tenant
/// (internal notes included) and published articles; requesters: their own tickets and
/// published public articles.
#[utoipa::path(get, path = "/v1/search", tag = "search", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = SearchResultList), Unauthenticated, ValidationFailed))]
pub async fn search(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    q: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SearchResultList>, ApiError> {
    let Query(q) = q.map_err(bad_query)?;
    let mut errors = Vec::new();
    let mut types = Vec::new();
    for t in split(&q.types) {
        match DocType::parse(&t) {
            Some(d) => types.push(d),
            None => errors.push(FieldError::new(
                "types",
                "invalid",
                "expected ticket or article",
            )),
        }
    }
    let mut queues = Vec::new();
    for v in split(&q.queue) {
        match v.parse::<Uuid>() {
            Ok(id) => queues.push(id),
            Err(_) => errors.push(FieldError::new("queue", "invalid", "expected queue ids")),
        }
    }
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        errors.push(FieldError::new("limit", "range", "between 1 and 100"));
    }
    let offset = q.offset.unwrap_or(0);
    if offset > 10_000 {
        errors.push(FieldError::new("offset", "range", "at most 10000"));
    }
    if !errors.is_empty() {
        return Err(catalyst_app::AppError::Validation(errors).into());
    }
    let r = s
        .app
        .search(
            &a,
            SearchInput {
                q: q.q.unwrap_or_default(),
                types,
                kinds: split(&q.kind),
                statuses: split(&q.status),
                queues,
                limit,
                offset,
                record_zero: q.record.unwrap_or(true),
            },
        )
        .await?;
    Ok(Json(r.into()))
}

/// The most frequent searches that found nothing (admins).
#[utoipa::path(get, path = "/v1/search/zero-results", tag = "search", security(("bearer" = [])),
    responses((status = 200, body = ZeroResultList), Unauthenticated, Forbidden))]
pub async fn zero_results(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<ZeroResultList>, ApiError> {
    let items = s.app.zero_result_queries(&a, 50).await?;
    Ok(Json(ZeroResultList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Documents of the tenant in the database and in this node's index (admins).
#[utoipa::path(get, path = "/v1/search/index", tag = "search", security(("bearer" = [])),
    responses((status = 200, body = IndexCounts), Unauthenticated, Forbidden))]
pub async fn index_status(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<IndexCounts>, ApiError> {
    Ok(Json(s.app.search_index_status(&a).await?.into()))
}

/// Rebuild the tenant's documents in this node's index and compare the counts with the
/// database (admins).
#[utoipa::path(post, path = "/v1/search/reindex", tag = "search", security(("bearer" = [])),
    responses((status = 200, body = IndexCounts), Unauthenticated, Forbidden))]
pub async fn reindex(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<IndexCounts>, ApiError> {
    Ok(Json(s.app.reindex_tenant(&a).await?.into()))
}
