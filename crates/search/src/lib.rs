//! Catalyst ITSM: full-text search over tickets and knowledge-base articles.
//!
//! One [`SearchIndex`] holds the documents of every tenant. Every query carries a tenant and a
//! [`Viewer`]; both become exact filters, so a caller can never see documents of another
//! tenant, and a requester only sees their own tickets (without internal notes) and published
//! public articles.
//!
//! Text is analysed with English stemming. Queries tolerate typos, expand per-tenant synonym
//! groups (multi-word and two-way), treat the last word as a prefix (search as you type), find
//! ticket numbers, and return HTML-safe highlighted snippets. See [`query`] for the matching
//! rules.

mod doc;
mod expand;
mod highlight;
mod index;
pub mod query;
mod schema;

pub use doc::{ArticleDoc, ArticleStatus, DocType, TicketDoc, Visibility};
pub use index::{IndexCounts, IndexOptions, OpenOutcome, SearchIndex};
pub use query::{Facets, Hit, SearchRequest, SearchResults, Viewer};
pub use schema::SCHEMA_VERSION;

/// Errors of the search crate.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("search index writer is unavailable (a previous write panicked)")]
    WriterPoisoned,
    #[error("search aggregation result could not be read: {0}")]
    Aggregation(String),
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;
