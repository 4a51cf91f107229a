//! The index schema and the text analyzers it uses.

use tantivy::Order;
use tantivy::index::{IndexSettings, IndexSortByField};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TokenizerManager,
};

/// Bumped whenever the schema or the analyzers change in a way that makes an existing index
/// unreadable or its terms incompatible. An index with another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 2;

/// Analyzer for full text: words, lowercased, accents folded, English stop words removed,
/// English (Snowball) stemming.
pub const TEXT_ANALYZER: &str = "catalyst_en";
/// The same without stemming; used on the query side to keep the typed word for typo and
/// prefix matching.
pub const PLAIN_ANALYZER: &str = "catalyst_plain";

/// Tokens longer than this are dropped (base64 blobs, long hashes).
const MAX_TOKEN_LEN: usize = 40;

pub(crate) fn text_analyzer() -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter);
    match StopWordFilter::new(Language::English) {
        Some(stop) => base
            .filter(stop)
            .filter(Stemmer::new(Language::English))
            .build(),
        None => base.filter(Stemmer::new(Language::English)).build(),
    }
}

pub(crate) fn plain_analyzer() -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter);
    match StopWordFilter::new(Language::English) {
        Some(stop) => base.filter(stop).build(),
        None => base.build(),
    }
}

pub(crate) fn register_analyzers(manager: &TokenizerManager) {
    manager.register(TEXT_ANALYZER, text_analyzer());
    manager.register(PLAIN_ANALYZER, plain_analyzer());
}

/// Handles to every field of the schema.
#[derive(Clone, Debug)]
pub(crate) struct Fields {
    pub id: Field,
    pub tenant: Field,
    pub doc_type: Field,
    pub kind: Field,
    pub status: Field,
    pub queue: Field,
    pub owner: Field,
    pub visibility: Field,
    pub number: Field,
    pub display_number: Field,
    pub title: Field,
    pub body: Field,
    pub replies: Field,
    pub notes: Field,
    pub keywords: Field,
    pub category: Field,
    pub updated_at: Field,
    /// A number derived from the tenant id; segments are sorted on it (see `index_settings`).
    pub tenant_key: Field,
    /// Unstemmed words of the title, for typo and prefix matching.
    pub plain_title: Field,
    /// Unstemmed words of tags, category, body and public replies.
    pub plain_text: Field,
    /// Unstemmed words of internal notes.
    pub plain_notes: Field,
}

/// Documents of one tenant lie next to each other in every segment: the tenant filter then
/// covers one stretch of document ids, and the other clauses of a query skip straight to it
/// instead of walking the postings of every tenant. Query cost follows the size of the
/// tenant, not of the whole index.
pub(crate) fn index_settings() -> IndexSettings {
    IndexSettings {
        sort_by_field: Some(IndexSortByField {
            field: "tenant_key".to_string(),
            order: Order::Asc,
        }),
        ..IndexSettings::default()
    }
}

/// The sort key of a tenant (collisions only weaken the grouping, never the filter, which
/// is on the full id).
pub(crate) fn tenant_key(tenant: &uuid::Uuid) -> u64 {
    let b = tenant.as_bytes();
    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
        ^ u64::from_be_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]])
}

pub(crate) fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TEXT_ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    // Typo and prefix matching run on the words as written: a stem is often not within a
    // few edits of a misspelt word ("certifcete" vs the stem "certif"). Only document ids are
    // kept for these fields; the score of such a match is constant anyway.
    let plain = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(PLAIN_ANALYZER)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        tenant: b.add_text_field("tenant", STRING),
        doc_type: b.add_text_field("doc_type", STRING | STORED | FAST),
        kind: b.add_text_field("kind", STRING | STORED | FAST),
        status: b.add_text_field("status", STRING | STORED | FAST),
        queue: b.add_text_field("queue", STRING | STORED | FAST),
        owner: b.add_text_field("owner", STRING),
        visibility: b.add_text_field("visibility", STRING | STORED),
        number: b.add_text_field("number", STRING),
        display_number: b.add_text_field("display_number", STORED),
        title: b.add_text_field("title", text.clone()),
        body: b.add_text_field("body", text.clone()),
        replies: b.add_text_field("replies", text.clone()),
        notes: b.add_text_field("notes", text.clone()),
        keywords: b.add_text_field("keywords", text),
        category: b.add_text_field("category", STRING | STORED),
        updated_at: b.add_date_field("updated_at", INDEXED | STORED | FAST),
        tenant_key: b.add_u64_field("tenant_key", FAST),
        plain_title: b.add_text_field("plain_title", plain.clone()),
        plain_text: b.add_text_field("plain_text", plain.clone()),
        plain_notes: b.add_text_field("plain_notes", plain),
    };
    (b.build(), fields)
}
