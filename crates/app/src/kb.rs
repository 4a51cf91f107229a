//! Knowledge base: articles with a checked lifecycle (draft → published → archived), a
//! version per change, "was this helpful?" votes and view counts.
//!
//! Agents write, publish and archive; everybody may read published public articles;
//! agents also read drafts, archived and internal ones.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use catalyst_domain::{FieldError, Permission};
use catalyst_store::Scope;
use catalyst_store::entity::{kb_article, kb_article_version, kb_vote};
use catalyst_store::repo::kb::{self as repo, ArticleFilter};
use catalyst_store::sea_orm::{IntoActiveModel, Set};

use crate::audit::{Change, Who};
use crate::{Actor, App, AppError, Result, markdown};

pub const MAX_TITLE: usize = 300;
pub const MAX_BODY: usize = 100_000;
pub const MAX_CATEGORY: usize = 100;
pub const MAX_TAG: usize = 40;
pub const MAX_TAGS: usize = 20;

/// An article as its reader may see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ArticleView {
    pub id: Uuid,
    pub title: String,
    /// Markdown source.
    pub body: String,
    /// Sanitised HTML.
    pub body_html: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub visibility: String,
    pub status: String,
    pub version: i64,
    pub author_id: Uuid,
    pub helpful_count: i64,
    pub not_helpful_count: i64,
    pub view_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// One saved version of an article.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ArticleVersionView {
    pub version: i64,
    pub title: String,
    pub body: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub visibility: String,
    pub status: String,
    pub author_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// A new article (always starts as a draft unless `status` says `published`).
#[derive(Debug, Clone, Default)]
pub struct NewArticle {
    pub title: String,
    pub body: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    /// `public` (default) or `internal`.
    pub visibility: Option<String>,
    /// `draft` (default) or `published`.
    pub status: Option<String>,
}

/// Changes to an article; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ArticlePatch {
    pub title: Option<String>,
    pub body: Option<String>,
    /// `Some(None)` clears the category.
    pub category: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub visibility: Option<String>,
    pub status: Option<String>,
}

/// Query of an article list.
#[derive(Debug, Clone, Default)]
pub struct ArticleQuery {
    pub status: Option<String>,
    pub category: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArticlePage {
    pub items: Vec<ArticleView>,
    pub total: u64,
}

const VISIBILITIES: [&str; 2] = ["public", "internal"];
const STATUSES: [&str; 3] = ["draft", "published", "archived"];

/// Whether the lifecycle allows going from `from` to `to`.
pub fn transition_allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("draft", "published")
            | ("published", "archived")
            | ("archived", "draft")
            | ("published", "draft")
    )
}

fn tags_of(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl From<kb_article::Model> for ArticleView {
    fn from(a: kb_article::Model) -> Self {
        ArticleView {
            id: a.id,
            tags: tags_of(&a.tags),
            title: a.title,
            body: a.body,
            body_html: a.body_html,
            category: a.category,
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

fn check_title(title: &str, errors: &mut Vec<FieldError>) -> String {
    let t = title.trim();
    if t.is_empty() {
        errors.push(FieldError::new("title", "required", "enter a title"));
    } else if t.chars().count() > MAX_TITLE {
        errors.push(FieldError::new(
            "title",
            "too_long",
            format!("at most {MAX_TITLE} characters"),
        ));
    }
    t.to_string()
}

fn check_body(body: &str, errors: &mut Vec<FieldError>) -> String {
    if body.trim().is_empty() {
        errors.push(FieldError::new(
            "body",
            "required",
            "enter the article text",
        ));
    } else if body.chars().count() > MAX_BODY {
        errors.push(FieldError::new(
            "body",
            "too_long",
            format!("at most {MAX_BODY} characters"),
        ));
    }
    body.to_string()
}

fn check_category(c: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let c = c.map(str::trim).filter(|c| !c.is_empty())?;
    if c.chars().count() > MAX_CATEGORY {
        errors.push(FieldError::new(
            "category",
            "too_long",
            format!("at most {MAX_CATEGORY} characters"),
        ));
    }
    Some(c.to_string())
}

fn check_tags(tags: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_lowercase();
        if t.is_empty() || out.contains(&t) {
            continue;
        }
        if t.chars().count() > MAX_TAG {
            errors.push(FieldError::new(
                "tags",
                "too_long",
                format!("a tag has at most {MAX_TAG} characters"),
            ));
        }
        out.push(t);
    }
    if out.len() > MAX_TAGS {
        errors.push(FieldError::new(
            "tags",
            "too_many",
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    out
}

fn check_one_of(
    field: &'static str,
    value: &str,
    allowed: &[&str],
    errors: &mut Vec<FieldError>,
) -> String {
    if !allowed.contains(&value) {
        errors.push(FieldError::new(
            field,
            "invalid",
            format!("expected one of {}", allowed.join(", ")),
        ));
    }
    value.to_string()
}

fn version_row(
    a: &kb_article::Model,
    at: DateTime<Utc>,
    author: Uuid,
) -> kb_article_version::Model {
    kb_article_version::Model {
        id: Uuid::now_v7(),
        tenant_id: a.tenant_id,
        article_id: a.id,
        version: a.version,
        title: a.title.clone(),
        body: a.body.clone(),
        category: a.category.clone(),
        tags: a.tags.clone(),
        visibility: a.visibility.clone(),
        status: a.status.clone(),
        author_id: author,
        created_at: at,
    }
}

fn summary(a: &kb_article::Model) -> serde_json::Value {
    json!({
        "title": a.title, "status": a.status, "visibility": a.visibility,
        "category": a.category, "tags": a.tags, "version": a.version,
    })
}

impl App {
    /// Whether the actor may read this article.
    fn may_read(actor: &Actor, a: &kb_article::Model) -> bool {
        actor.role.allows(Permission::UseAgentConsole)
            || (a.status == "published" && a.visibility == "public")
    }

    /// Writes a new article (agents).
    pub async fn create_article(&self, actor: &Actor, input: NewArticle) -> Result<ArticleView> {
        actor.require(Permission::UseAgentConsole)?;
        let mut errors = Vec::new();
        let title = check_title(&input.title, &mut errors);
        let body = check_body(&input.body, &mut errors);
        let category = check_category(input.category.as_deref(), &mut errors);
        let tags = check_tags(&input.tags, &mut errors);
        let visibility = check_one_of(
            "visibility",
            input.visibility.as_deref().unwrap_or("public"),
            &VISIBILITIES,
            &mut errors,
        );
        let status = check_one_of(
            "status",
            input.status.as_deref().unwrap_or("draft"),
            &["draft", "published"],
            &mut errors,
        );
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let now = self.clock.now();
        let who = Who::from(actor);
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let a = repo::insert(
            &tx,
            kb_article::Model {
                id: Uuid::now_v7(),
                tenant_id: actor.tenant.id.0,
                title,
                body_html: markdown::render(&body),
                body,
                category,
                tags: json!(tags),
                visibility,
                published_at: (status == "published").then_some(now),
                status,
                version: 1,
                author_id: actor.user_id.0,
                helpful_count: 0,
                not_helpful_count: 0,
                view_count: 0,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
        repo::insert_version(&tx, version_row(&a, now, actor.user_id.0)).await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &who,
                action: "kb_article.created",
                target_type: "kb_article",
                target_id: a.id.to_string(),
                before: None,
                after: Some(summary(&a)),
            },
        )
        .await?;
        self.commit(tx).await?;
        Ok(a.into())
    }

    /// Changes an article (agents). With `expected_version`, fails with a conflict if the
    /// article changed since.
    pub async fn update_article(
        &self,
        actor: &Actor,
        id: Uuid,
        expected_version: Option<i64>,
        patch: ArticlePatch,
    ) -> Result<ArticleView> {
        actor.require(Permission::UseAgentConsole)?;
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let before = repo::get(&tx, actor.tenant.id, id)
            .await?
            .ok_or(AppError::NotFound("article"))?;
        if let Some(v) = expected_version
            && v != before.version
        {
            return Err(AppError::Conflict(FieldError::new(
                "version",
                "stale",
                "the article was changed by someone else; reload it",
            )));
        }
        let mut errors = Vec::new();
        let mut a = before.clone();
        if let Some(t) = &patch.title {
            a.title = check_title(t, &mut errors);
        }
        if let Some(b) = &patch.body {
            a.body = check_body(b, &mut errors);
            a.body_html = markdown::render(&a.body);
        }
        if let Some(c) = &patch.category {
            a.category = check_category(c.as_deref(), &mut errors);
        }
        if let Some(t) = &patch.tags {
            a.tags = json!(check_tags(t, &mut errors));
        }
        if let Some(v) = &patch.visibility {
            a.visibility = check_one_of("visibility", v, &VISIBILITIES, &mut errors);
        }
        let now = self.clock.now();
        if let Some(s) = &patch.status {
            let s = check_one_of("status", s, &STATUSES, &mut errors);
            if s != before.status {
                if !transition_allowed(&before.status, &s) {
                    errors.push(FieldError::new(
                        "status",
                        "transition",
                        format!("an article cannot go from {} to {s}", before.status),
                    ));
                }
                if s == "published" {
                    a.published_at = Some(now);
                }
                a.status = s;
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let unchanged = a == before;
        if unchanged {
            return Ok(before.into());
        }
        a.version = before.version + 1;
        a.updated_at = now;
        let mut am = before.clone().into_active_model();
        am.title = Set(a.title.clone());
        am.body = Set(a.body.clone());
        am.body_html = Set(a.body_html.clone());
        am.category = Set(a.category.clone());
        am.tags = Set(a.tags.clone());
        am.visibility = Set(a.visibility.clone());
        am.status = Set(a.status.clone());
        am.published_at = Set(a.published_at);
        am.version = Set(a.version);
        am.updated_at = Set(now);
        let saved = repo::save(&tx, am).await?;
        repo::insert_version(&tx, version_row(&saved, now, actor.user_id.0)).await?;
        let action = if saved.status != before.status {
            match saved.status.as_str() {
                "published" => "kb_article.published",
                "archived" => "kb_article.archived",
                _ => "kb_article.updated",
            }
        } else {
            "kb_article.updated"
        };
        let who = Who::from(actor);
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &who,
                action,
                target_type: "kb_article",
                target_id: saved.id.to_string(),
                before: Some(summary(&before)),
                after: Some(summary(&saved)),
            },
        )
        .await?;
        self.commit(tx).await?;
        Ok(saved.into())
    }

    /// One article the actor may read. With `count_view`, adds one to its view count.
    pub async fn get_article(
        &self,
        actor: &Actor,
        id: Uuid,
        count_view: bool,
    ) -> Result<ArticleView> {
        let a = {
            let tx = self
                .store
                .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
                .await?;
            repo::get(&tx, actor.tenant.id, id)
                .await?
                .filter(|a| Self::may_read(actor, a))
                .ok_or(AppError::NotFound("article"))?
        };
        if !count_view {
            return Ok(a.into());
        }
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        repo::add_view(&tx, actor.tenant.id, id).await?;
        tx.commit().await?;
        let mut v = ArticleView::from(a);
        v.view_count += 1;
        Ok(v)
    }

    /// Articles the actor may read, newest change first. Requesters get published public
    /// articles only, whatever the filter says.
    pub async fn list_articles(&self, actor: &Actor, q: ArticleQuery) -> Result<ArticlePage> {
        let mut f = ArticleFilter {
            category: q.category.clone(),
            ..ArticleFilter::default()
        };
        if let Some(s) = &q.status {
            let mut errors = Vec::new();
            check_one_of("status", s, &STATUSES, &mut errors);
            if !errors.is_empty() {
                return Err(AppError::Validation(errors));
            }
            f.statuses = vec![s.clone()];
        }
        if !actor.role.allows(Permission::UseAgentConsole) {
            f.statuses = vec!["published".into()];
            f.visibility = Some("public".into());
        }
        let tx = self
            .store
            .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let limit = q.limit.clamp(1, 100);
        let (items, total) = repo::list(&tx, actor.tenant.id, &f, q.offset, limit).await?;
        Ok(ArticlePage {
            items: items.into_iter().map(Into::into).collect(),
            total,
        })
    }

    /// The saved versions of an article, newest first (agents).
    pub async fn article_versions(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<Vec<ArticleVersionView>> {
        actor.require(Permission::UseAgentConsole)?;
        let tx = self
            .store
            .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        repo::get(&tx, actor.tenant.id, id)
            .await?
            .ok_or(AppError::NotFound("article"))?;
        Ok(repo::versions(&tx, actor.tenant.id, id)
            .await?
            .into_iter()
            .map(|v| ArticleVersionView {
                version: v.version,
                tags: tags_of(&v.tags),
                title: v.title,
                body: v.body,
                category: v.category,
                visibility: v.visibility,
                status: v.status,
                author_id: v.author_id,
                created_at: v.created_at,
            })
            .collect())
    }

    /// Records the actor's "was this helpful?" answer (one per person; the latest counts).
    pub async fn vote_article(
        &self,
        actor: &Actor,
        id: Uuid,
        helpful: bool,
    ) -> Result<ArticleView> {
        let now = self.clock.now();
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let a = repo::get(&tx, actor.tenant.id, id)
            .await?
            .filter(|a| Self::may_read(actor, a))
            .ok_or(AppError::NotFound("article"))?;
        if a.status != "published" {
            return Err(AppError::Conflict(FieldError::new(
                "id",
                "not_published",
                "only published articles take votes",
            )));
        }
        match repo::vote(&tx, actor.tenant.id, id, actor.user_id.0).await? {
            Some(v) if v.helpful == helpful => {}
            Some(v) => repo::set_vote(&tx, v, helpful, now).await?,
            None => {
                repo::insert_vote(
                    &tx,
                    kb_vote::Model {
                        id: Uuid::now_v7(),
                        tenant_id: actor.tenant.id.0,
                        article_id: id,
                        user_id: actor.user_id.0,
                        helpful,
                        created_at: now,
                        updated_at: now,
                    },
                )
                .await?
            }
        }
        let (yes, no) = repo::vote_counts(&tx, actor.tenant.id, id).await?;
        let mut am = a.into_active_model();
        am.helpful_count = Set(yes);
        am.not_helpful_count = Set(no);
        let saved = repo::save(&tx, am).await?;
        tx.commit().await?;
        Ok(saved.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        assert!(transition_allowed("draft", "published"));
        assert!(transition_allowed("published", "archived"));
        assert!(transition_allowed("archived", "draft"));
        assert!(!transition_allowed("draft", "archived"));
        assert!(!transition_allowed("archived", "published"));
    }

    #[test]
    fn tags_are_normalised() {
        let mut e = Vec::new();
        let t = check_tags(
            &[" VPN ".into(), "vpn".into(), "".into(), "Remote".into()],
            &mut e,
        );
        assert_eq!(t, vec!["vpn", "remote"]);
        assert!(e.is_empty());
    }
}
