//! Knowledge-base and search pages: the portal's articles, the agent's article list,
//! editor (with preview) and search, and the admin's search settings.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

use catalyst_app::kb::{ArticlePatch, ArticleQuery, ArticleView, NewArticle};
use catalyst_app::search::{
    DeflectionStats, DeflectionStep, IndexReport, SearchInput, ZeroResultView,
};
use catalyst_app::{Actor, AppError, markdown};
use catalyst_domain::Permission;
use catalyst_search::{DocType, Hit};

use super::tickets_view::{describe, status_of, who};
use super::{Chrome, csrf_failed, denied, failure, rejected, render};
use crate::http::AppState;
use crate::http::auth::{WebSession, same_secret};
use crate::http::error::ApiError;

/// A search result as a page shows it.
pub struct ResultRow {
    pub href: String,
    pub label: &'static str,
    pub number: Option<String>,
    /// Escaped by the search crate, with `<mark>` around matches.
    pub title_html: String,
    pub snippet_html: String,
    pub status: String,
}

fn rows(hits: Vec<Hit>, agent: bool) -> Vec<ResultRow> {
    hits.into_iter()
        .map(|h| {
            let (href, label) = match (h.doc_type, agent) {
                (DocType::Ticket, true) => (format!("/agent/tickets/{}", h.id), "Ticket"),
                (DocType::Ticket, false) => (format!("/portal/tickets/{}", h.id), "Ticket"),
                (DocType::Article, true) => (format!("/agent/kb/{}", h.id), "Article"),
                (DocType::Article, false) => (format!("/portal/kb/{}", h.id), "Article"),
            };
            ResultRow {
                href,
                label,
                number: h.number,
                title_html: h.title_html,
                snippet_html: h.snippet_html,
                status: h.status.replace('_', " "),
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchParams {
    q: String,
    status: String,
    page: usize,
}

const PAGE: usize = 20;

/// Articles per page of the article lists.
const LIST_PAGE: u64 = 50;

/// The page asked for, within 1..=200 (10,000 articles deep).
fn list_page(page: usize) -> u64 {
    u64::try_from(page).unwrap_or(u64::MAX).clamp(1, 200)
}

// ---------- portal ----------

#[derive(Template)]
#[template(path = "kb_portal.html")]
struct PortalKbPage {
    chrome: Chrome,
    q: String,
    articles: Vec<ArticleView>,
    results: Option<Vec<ResultRow>>,
    total: usize,
    page: u64,
    pages: u64,
}

/// `GET /portal/kb`: published articles, or search results for `q`.
pub async fn portal_kb(
    State(st): State<AppState>,
    session: Option<WebSession>,
    q: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let (s, actor) = match who(session) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    let p = q.map(|Query(q)| q).unwrap_or_default();
    let page = list_page(p.page);
    let mut pages = 1;
    let (articles, results, total) = if p.q.trim().is_empty() {
        match st
            .app
            .list_articles(
                &actor,
                ArticleQuery {
                    status: Some("published".into()),
                    offset: (page - 1) * LIST_PAGE,
                    limit: LIST_PAGE,
                    ..ArticleQuery::default()
                },
            )
            .await
        {
            Ok(found) => {
                pages = found.total.div_ceil(LIST_PAGE);
                // Requesters only ever get public articles; an agent looking at the portal
                // sees what requesters see.
                let items: Vec<ArticleView> = found
                    .items
                    .into_iter()
                    .filter(|a| a.visibility == "public")
                    .collect();
                let n = items.len();
                (items, None, n)
            }
            Err(e) => return failure(Some(&s), e),
        }
    } else {
        let input = SearchInput {
            q: p.q.clone(),
            types: vec![DocType::Article],
            limit: PAGE,
            record_zero: true,
            ..SearchInput::default()
        };
        match st.app.search(&actor, input).await {
            Ok(r) => (Vec::new(), Some(rows(r.hits, false)), r.total),
            Err(e) => return failure(Some(&s), e),
        }
    };
    render(
        StatusCode::OK,
        PortalKbPage {
            chrome: Chrome::for_session(&s, "portal"),
            q: p.q,
            articles,
            results,
            total,
            page,
            pages,
        },
    )
}

#[derive(Template)]
#[template(path = "kb_article.html")]
struct ArticlePage {
    chrome: Chrome,
    csrf: String,
    a: ArticleView,
    agent: bool,
    voted: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReadParams {
    /// The deflection record of the report form the article was opened from.
    d: Option<Uuid>,
    voted: Option<String>,
}

/// `GET /portal/kb/{id}`: read an article (counts a view).
pub async fn portal_article(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    q: Result<Query<ReadParams>, QueryRejection>,
) -> Response {
    let (s, actor) = match who(session) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return failure(Some(&s), AppError::NotFound("article"));
    };
    let p = q.map(|Query(q)| q).unwrap_or_default();
    let a = match st.app.get_article(&actor, id, true).await {
        Ok(a) => a,
        Err(e) => return failure(Some(&s), e),
    };
    if let Some(d) = p.d
        && let Err(e) = st
            .app
            .deflection_step(&actor, d, DeflectionStep::Opened(id))
            .await
    {
        tracing::debug!(error = %e, "deflection record not updated");
    }
    render(
        StatusCode::OK,
        ArticlePage {
            chrome: Chrome::for_session(&s, "portal"),
            csrf: s.csrf_token.clone(),
            agent: actor.role.allows(Permission::UseAgentConsole),
            voted: p.voted.is_some(),
            a,
        },
    )
}

#[derive(Deserialize)]
pub struct VoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    helpful: String,
}

/// `POST /portal/kb/{id}/vote`: "was this helpful?".
pub async fn portal_vote(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    form: Result<Form<VoteForm>, FormRejection>,
) -> Response {
    let (s, actor) = match who(session) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    let f = match form {
        Ok(Form(f)) => f,
        Err(rej) => return rejected(Some(&s), ApiError::from(rej)),
    };
    if !same_secret(&f.csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return failure(Some(&s), AppError::NotFound("article"));
    };
    match st.app.vote_article(&actor, id, f.helpful == "yes").await {
        Ok(_) => Redirect::to(&format!("/portal/kb/{id}?voted=1")).into_response(),
        Err(e) => failure(Some(&s), e),
    }
}

// ---------- agent ----------

fn agent_who(
    session: Option<WebSession>,
) -> Result<(catalyst_app::auth::SessionInfo, Actor), Box<Response>> {
    let (s, actor) = who(session).map_err(|r| Box::new(r.into_response()))?;
    if !actor.role.allows(Permission::UseAgentConsole) {
        return Err(Box::new(denied(&s)));
    }
    Ok((s, actor))
}

#[derive(Template)]
#[template(path = "kb_agent.html")]
struct AgentKbPage {
    chrome: Chrome,
    status: String,
    articles: Vec<ArticleView>,
    total: u64,
    page: u64,
    pages: u64,
}

/// `GET /agent/kb`: every article, by status.
pub async fn agent_kb(
    State(st): State<AppState>,
    session: Option<WebSession>,
    q: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let (s, actor) = match agent_who(session) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let p = q.map(|Query(q)| q).unwrap_or_default();
    let status = match p.status.as_str() {
        "draft" | "published" | "archived" => Some(p.status.clone()),
        _ => None,
    };
    let page = list_page(p.page);
    match st
        .app
        .list_articles(
            &actor,
            ArticleQuery {
                status: status.clone(),
                offset: (page - 1) * LIST_PAGE,
                limit: LIST_PAGE,
                ..ArticleQuery::default()
            },
        )
        .await
    {
        Ok(found) => render(
            StatusCode::OK,
            AgentKbPage {
                chrome: Chrome::for_session(&s, "agent"),
                status: status.unwrap_or_default(),
                articles: found.items,
                total: found.total,
                page,
                pages: found.total.div_ceil(LIST_PAGE),
            },
        ),
        Err(e) => failure(Some(&s), e),
    }
}

#[derive(Template)]
#[template(path = "search_results.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    results: Vec<ResultRow>,
    total: usize,
    page: usize,
    pages: usize,
    agent: bool,
}

/// `GET /agent/search` and `GET /portal/search`: tickets and articles the user may see.
pub async fn search_page(
    State(st): State<AppState>,
    session: Option<WebSession>,
    q: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let (s, actor) = match who(session) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    let p = q.map(|Query(q)| q).unwrap_or_default();
    let agent = actor.role.allows(Permission::UseAgentConsole);
    // Deeper pages than the index serves show the last one it does.
    let page = p
        .page
        .clamp(1, catalyst_search::query::MAX_OFFSET / PAGE + 1);
    let (results, total) = if p.q.trim().is_empty() {
        (Vec::new(), 0)
    } else {
        let input = SearchInput {
            q: p.q.clone(),
            limit: PAGE,
            offset: (page - 1) * PAGE,
            record_zero: true,
            ..SearchInput::default()
        };
        match st.app.search(&actor, input).await {
            Ok(r) => (rows(r.hits, agent), r.total),
            Err(e) => return failure(Some(&s), e),
        }
    };
    render(
        StatusCode::OK,
        SearchPage {
            chrome: Chrome::for_session(&s, if agent { "agent" } else { "portal" }),
            q: p.q,
            results,
            total,
            page,
            pages: total.div_ceil(PAGE),
            agent,
        },
    )
}

/// The editor's fields as sent.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct EditorForm {
    csrf: String,
    title: String,
    body: String,
    category: String,
    tags: String,
    visibility: String,
    status: String,
    version: i64,
    /// `preview` or `save`.
    action: String,
}

#[derive(Template)]
#[template(path = "kb_edit.html")]
struct EditorPage {
    chrome: Chrome,
    csrf: String,
    /// None for a new article.
    id: Option<Uuid>,
    f: EditorForm,
    preview: Option<String>,
    error: Option<String>,
    versions: Vec<(i64, String, String)>,
    stats: Option<(i64, i64, i64)>,
}

impl EditorPage {
    fn selected(&self, field: &str, value: &str) -> bool {
        match field {
            "visibility" => self.f.visibility == value,
            _ => self.f.status == value,
        }
    }
}

fn form_of(a: &ArticleView) -> EditorForm {
    EditorForm {
        title: a.title.clone(),
        body: a.body.clone(),
        category: a.category.clone().unwrap_or_default(),
        tags: a.tags.join(", "),
        visibility: a.visibility.clone(),
        status: a.status.clone(),
        version: a.version,
        ..EditorForm::default()
    }
}

fn tags_of(s: &str) -> Vec<String> {
    s.split(',')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

#[allow(clippy::too_many_arguments)] // one page, every input it can show
async fn editor(
    st: &AppState,
    s: &catalyst_app::auth::SessionInfo,
    actor: &Actor,
    id: Option<Uuid>,
    f: EditorForm,
    preview: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let (versions, stats) = match id {
        Some(id) => {
            let vs = st.app.article_versions(actor, id).await.unwrap_or_default();
            let stats = st
                .app
                .get_article(actor, id, false)
                .await
                .ok()
                .map(|a| (a.view_count, a.helpful_count, a.not_helpful_count));
            (
                vs.into_iter()
                    .map(|v| {
                        (
                            v.version,
                            v.status,
                            v.created_at.format("%Y-%m-%d %H:%M").to_string(),
                        )
                    })
                    .collect(),
                stats,
            )
        }
        None => (Vec::new(), None),
    };
    render(
        status,
        EditorPage {
            chrome: Chrome::for_session(s, "agent"),
            csrf: s.csrf_token.clone(),
            id,
            f,
            preview,
            error,
            versions,
            stats,
        },
    )
}

/// `GET /agent/kb/new`.
pub async fn agent_new(State(st): State<AppState>, session: Option<WebSession>) -> Response {
    let (s, actor) = match agent_who(session) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = EditorForm {
        visibility: "public".into(),
        status: "draft".into(),
        ..EditorForm::default()
    };
    editor(&st, &s, &actor, None, f, None, None, StatusCode::OK).await
}

/// `POST /agent/kb/new`: preview or create.
pub async fn agent_create(
    State(st): State<AppState>,
    session: Option<WebSession>,
    form: Result<Form<EditorForm>, FormRejection>,
) -> Response {
    let (s, actor) = match agent_who(session) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = match form {
        Ok(Form(f)) => f,
        Err(rej) => return rejected(Some(&s), ApiError::from(rej)),
    };
    if !same_secret(&f.csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    if f.action == "preview" {
        let html = markdown::render(&f.body);
        return editor(&st, &s, &actor, None, f, Some(html), None, StatusCode::OK).await;
    }
    let input = NewArticle {
        title: f.title.clone(),
        body: f.body.clone(),
        category: Some(f.category.clone()),
        tags: tags_of(&f.tags),
        visibility: Some(f.visibility.clone()),
        status: Some(if f.status == "published" {
            "published".into()
        } else {
            "draft".into()
        }),
    };
    match st.app.create_article(&actor, input).await {
        Ok(a) => Redirect::to(&format!("/agent/kb/{}", a.id)).into_response(),
        Err(e @ AppError::Validation(_)) => {
            editor(
                &st,
                &s,
                &actor,
                None,
                f,
                None,
                Some(describe(&e)),
                status_of(&e),
            )
            .await
        }
        Err(e) => failure(Some(&s), e),
    }
}

/// `GET /agent/kb/{id}`: the editor of an article.
pub async fn agent_edit(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
) -> Response {
    let (s, actor) = match agent_who(session) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return failure(Some(&s), AppError::NotFound("article"));
    };
    match st.app.get_article(&actor, id, false).await {
        Ok(a) => {
            editor(
                &st,
                &s,
                &actor,
                Some(id),
                form_of(&a),
                None,
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(e) => failure(Some(&s), e),
    }
}

/// `POST /agent/kb/{id}`: preview or save (including a status change).
pub async fn agent_update(
    State(st): State<AppState>,
    session: Option<WebSession>,
    Path(id): Path<String>,
    form: Result<Form<EditorForm>, FormRejection>,
) -> Response {
    let (s, actor) = match agent_who(session) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = match form {
        Ok(Form(f)) => f,
        Err(rej) => return rejected(Some(&s), ApiError::from(rej)),
    };
    if !same_secret(&f.csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return failure(Some(&s), AppError::NotFound("article"));
    };
    if f.action == "preview" {
        let html = markdown::render(&f.body);
        return editor(
            &st,
            &s,
            &actor,
            Some(id),
            f,
            Some(html),
            None,
            StatusCode::OK,
        )
        .await;
    }
    let category = f.category.trim();
    let patch = ArticlePatch {
        title: Some(f.title.clone()),
        body: Some(f.body.clone()),
        category: Some((!category.is_empty()).then(|| category.to_string())),
        tags: Some(tags_of(&f.tags)),
        visibility: Some(f.visibility.clone()),
        status: Some(f.status.clone()),
    };
    match st
        .app
        .update_article(&actor, id, Some(f.version), patch)
        .await
    {
        Ok(_) => Redirect::to(&format!("/agent/kb/{id}")).into_response(),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            editor(
                &st,
                &s,
                &actor,
                Some(id),
                f,
                None,
                Some(describe(&e)),
                status_of(&e),
            )
            .await
        }
        Err(e) => failure(Some(&s), e),
    }
}

// ---------- admin ----------

#[derive(Template)]
#[template(path = "admin_search.html")]
struct AdminSearchPage {
    chrome: Chrome,
    csrf: String,
    synonyms: String,
    error: Option<String>,
    notice: Option<String>,
    zero: Vec<ZeroResultView>,
    deflection: DeflectionStats,
    index: IndexReport,
}

impl AdminSearchPage {
    fn rate(&self) -> String {
        format!("{:.0} %", self.deflection.rate * 100.0)
    }
}

fn admin_who(
    session: Option<WebSession>,
) -> Result<(catalyst_app::auth::SessionInfo, Actor), Box<Response>> {
    let (s, actor) = who(session).map_err(|r| Box::new(r.into_response()))?;
    if !actor.role.allows(Permission::ManageSettings) {
        return Err(Box::new(denied(&s)));
    }
    Ok((s, actor))
}

async fn admin_page(
    st: &AppState,
    s: &catalyst_app::auth::SessionInfo,
    actor: &Actor,
    synonyms: Option<String>,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let synonyms = match synonyms {
        Some(text) => text,
        None => match st.app.synonyms(actor).await {
            Ok(groups) => groups
                .iter()
                .map(|g| g.join(", "))
                .collect::<Vec<_>>()
                .join("\n"),
            Err(e) => return failure(Some(s), e),
        },
    };
    let zero = match st.app.zero_result_queries(actor, 20).await {
        Ok(z) => z,
        Err(e) => return failure(Some(s), e),
    };
    let deflection = match st.app.deflection_stats(actor, 30).await {
        Ok(d) => d,
        Err(e) => return failure(Some(s), e),
    };
    let index = match st.app.search_index_status(actor).await {
        Ok(i) => i,
        Err(e) => return failure(Some(s), e),
    };
    render(
        status,
        AdminSearchPage {
            chrome: Chrome::for_session(s, "admin"),
            csrf: s.csrf_token.clone(),
            synonyms,
            error,
            notice,
            zero,
            deflection,
            index,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneParams {
    done: String,
}

/// `GET /admin/search`: synonyms, zero-result queries, deflection, index status.
pub async fn admin_search(
    State(st): State<AppState>,
    session: Option<WebSession>,
    q: Result<Query<DoneParams>, QueryRejection>,
) -> Response {
    let (s, actor) = match admin_who(session) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let notice = match q.map(|Query(q)| q.done).unwrap_or_default().as_str() {
        "synonyms" => Some("The synonyms were saved; they apply to the next search.".to_string()),
        _ => None,
    };
    admin_page(&st, &s, &actor, None, None, notice, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SynonymForm {
    csrf: String,
    synonyms: String,
}

/// `POST /admin/search/synonyms`: one group per line, phrases separated by commas.
pub async fn admin_synonyms(
    State(st): State<AppState>,
    session: Option<WebSession>,
    form: Result<Form<SynonymForm>, FormRejection>,
) -> Response {
    let (s, actor) = match admin_who(session) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = match form {
        Ok(Form(f)) => f,
        Err(rej) => return rejected(Some(&s), ApiError::from(rej)),
    };
    if !same_secret(&f.csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    let groups = f
        .synonyms
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    match st.app.set_synonyms(&actor, groups).await {
        Ok(_) => Redirect::to("/admin/search?done=synonyms").into_response(),
        Err(e @ AppError::Validation(_)) => {
            admin_page(
                &st,
                &s,
                &actor,
                Some(f.synonyms),
                Some(describe(&e)),
                None,
                status_of(&e),
            )
            .await
        }
        Err(e) => failure(Some(&s), e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /admin/search/reindex`: rebuild the tenant in this node's index.
pub async fn admin_reindex(
    State(st): State<AppState>,
    session: Option<WebSession>,
    form: Result<Form<CsrfForm>, FormRejection>,
) -> Response {
    let (s, actor) = match admin_who(session) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let f = match form {
        Ok(Form(f)) => f,
        Err(rej) => return rejected(Some(&s), ApiError::from(rej)),
    };
    if !same_secret(&f.csrf, &s.csrf_token) {
        return csrf_failed(&s);
    }
    match st.app.reindex_tenant(&actor).await {
        Ok(r) => {
            let notice = format!(
                "Reindexed: {} of {} tickets and {} of {} articles are in the index{}",
                r.index_tickets,
                r.db_tickets,
                r.index_articles,
                r.db_articles,
                if r.matches() {
                    "."
                } else {
                    " — the counts differ; changes may have been made meanwhile."
                }
            );
            admin_page(&st, &s, &actor, None, None, Some(notice), StatusCode::OK).await
        }
        Err(e) => failure(Some(&s), e),
    }
}
