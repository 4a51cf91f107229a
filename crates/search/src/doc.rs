//! Documents that go into the index.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tantivy::TantivyDocument;
use uuid::Uuid;

use crate::schema::{Fields, tenant_key};

/// The two kinds of searchable documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocType {
    Ticket,
    Article,
}

impl DocType {
    pub fn as_str(self) -> &'static str {
        match self {
            DocType::Ticket => "ticket",
            DocType::Article => "article",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ticket" => Some(DocType::Ticket),
            "article" => Some(DocType::Article),
            _ => None,
        }
    }
}

/// Who may read a knowledge-base article.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Requesters and agents.
    Public,
    /// Agents only.
    Internal,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }
}

/// Lifecycle state of an article. Only published articles are returned by searches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    Draft,
    Published,
    Archived,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Published => "published",
            ArticleStatus::Archived => "archived",
        }
    }
}

/// A ticket as the index sees it.
#[derive(Clone, Debug)]
pub struct TicketDoc {
    pub id: Uuid,
    pub tenant: Uuid,
    /// Human number such as `INC-000123`.
    pub number: String,
    /// `incident`, `request`, `task`, …
    pub kind: String,
    pub status: String,
    pub queue: Option<Uuid>,
    pub requester: Uuid,
    pub subject: String,
    pub description: String,
    /// Public replies, visible to the requester.
    pub replies: Vec<String>,
    /// Internal notes: only agents match on them and see them in snippets.
    pub internal_notes: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

/// A knowledge-base article as the index sees it.
#[derive(Clone, Debug)]
pub struct ArticleDoc {
    pub id: Uuid,
    pub tenant: Uuid,
    pub title: String,
    /// Plain text of the body (Markdown source is fine: punctuation is ignored).
    pub body: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub status: ArticleStatus,
    pub updated_at: DateTime<Utc>,
}

/// Terms under which a ticket number can be found: `INC-000123` → `inc-123`, `123`.
pub(crate) fn number_terms(number: &str) -> Vec<String> {
    let lower = number.trim().to_lowercase();
    let mut out = Vec::new();
    if let Some(n) = normalize_number(&lower) {
        out.push(n);
    }
    if let Some((_, digits)) = lower.rsplit_once('-')
        && let Some(n) = normalize_number(digits)
    {
        out.push(n);
    }
    out
}

/// Normalises what a user may type for a ticket number: `INC-000123`, `inc-123` → `inc-123`;
/// `000123`, `123` → `123`. Anything else is not a number.
pub(crate) fn normalize_number(word: &str) -> Option<String> {
    let word = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let lower = word.to_ascii_lowercase();
    let (prefix, digits) = match lower.rsplit_once('-') {
        Some((p, d))
            if !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_lowercase()) =>
        {
            (Some(p), d)
        }
        Some(_) => return None,
        None => (None, lower.as_str()),
    };
    if digits.is_empty() || digits.len() > 12 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    let value = if trimmed.is_empty() { "0" } else { trimmed };
    Some(match prefix {
        Some(p) => format!("{p}-{value}"),
        None => value.to_string(),
    })
}

impl TicketDoc {
    pub(crate) fn to_document(&self, f: &Fields) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_text(f.id, self.id.to_string());
        d.add_text(f.tenant, self.tenant.to_string());
        d.add_u64(f.tenant_key, tenant_key(&self.tenant));
        d.add_text(f.doc_type, DocType::Ticket.as_str());
        d.add_text(f.kind, &self.kind);
        d.add_text(f.status, &self.status);
        if let Some(q) = self.queue {
            d.add_text(f.queue, q.to_string());
        }
        d.add_text(f.owner, self.requester.to_string());
        for n in number_terms(&self.number) {
            d.add_text(f.number, n);
        }
        d.add_text(f.display_number, &self.number);
        d.add_text(f.title, &self.subject);
        d.add_text(f.plain_title, &self.subject);
        d.add_text(f.body, &self.description);
        d.add_text(f.plain_text, &self.description);
        for r in &self.replies {
            d.add_text(f.replies, r);
            d.add_text(f.plain_text, r);
        }
        for n in &self.internal_notes {
            d.add_text(f.notes, n);
            d.add_text(f.plain_notes, n);
        }
        d.add_date(f.updated_at, to_tantivy_date(self.updated_at));
        d
    }
}

impl ArticleDoc {
    pub(crate) fn to_document(&self, f: &Fields) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_text(f.id, self.id.to_string());
        d.add_text(f.tenant, self.tenant.to_string());
        d.add_u64(f.tenant_key, tenant_key(&self.tenant));
        d.add_text(f.doc_type, DocType::Article.as_str());
        d.add_text(f.status, self.status.as_str());
        d.add_text(f.visibility, self.visibility.as_str());
        d.add_text(f.title, &self.title);
        d.add_text(f.plain_title, &self.title);
        d.add_text(f.body, &self.body);
        d.add_text(f.plain_text, &self.body);
        if let Some(c) = &self.category {
            d.add_text(f.category, c);
            d.add_text(f.keywords, c);
            d.add_text(f.plain_text, c);
        }
        for t in &self.tags {
            d.add_text(f.keywords, t);
            d.add_text(f.plain_text, t);
        }
        d.add_date(f.updated_at, to_tantivy_date(self.updated_at));
        d
    }
}

fn to_tantivy_date(t: DateTime<Utc>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_micros(t.timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_normalise() {
        assert_eq!(normalize_number("INC-000123").as_deref(), Some("inc-123"));
        assert_eq!(normalize_number("inc-123,").as_deref(), Some("inc-123"));
        assert_eq!(normalize_number("000123").as_deref(), Some("123"));
        assert_eq!(normalize_number("vpn"), None);
        assert_eq!(normalize_number("a-b-1"), None);
        assert_eq!(number_terms("REQ-000042"), vec!["req-42", "42"]);
    }
}
