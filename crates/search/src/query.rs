//! Turning what a user typed into a Tantivy query, and running it.
//!
//! # Matching rules
//!
//! The text is split into words (lowercased, accents folded, English stop words dropped).
//! Each word matches in the title, the article tags/category, the ticket description or
//! article body, public replies and, for agents only, internal notes, through:
//!
//! * its English stem (`printers` finds `printer`, `resetting` finds `reset`);
//! * typo tolerance on the typed word:
//!   - 9 letters or more: up to two edits;
//!   - 5 to 8 letters: one edit (insert, delete, substitute, or swap two neighbours);
//!   - 3 or 4 letters: only a swap of two neighbouring letters (`vnp` → `vpn`). One general
//!     edit on a word that short matches too much (`vpn` would find `vp`, `vin`, `pn`, …),
//!     but swapped letters are the most frequent typo on short words and a swap almost
//!     never turns one real acronym into another;
//!   - 1 or 2 letters: exact only;
//!
//!   typos are matched against the words as written in the documents, not their stems (a
//!   misspelt word is often far from the stem: `certifcete` vs `certif`);
//! * if it is the last word and the text does not end with a space: as a prefix (search as
//!   you type), with one edit allowed in the prefix from 5 letters on.
//!
//! Typo and prefix matches get a small constant score, so a document that contains the
//! exact word (or its stem) always ranks above one that only matches through a typo. A match
//! in the title counts three times as much as one in the body.
//!
//! Synonym groups are sets of phrases that mean the same (`vpn`, `virtual private network`).
//! A run of words equal to any phrase of a group matches any phrase of that group, in both
//! directions.
//!
//! Ticket numbers match whole: `INC-000123`, `inc-123` and `123` all find ticket
//! `INC-000123`.
//!
//! Up to three words must all match. From four words on, a quarter of them may be missing
//! (so a long natural sentence still finds the article), and documents matching more words
//! rank higher.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::{AggContextParams, AggregationCollector};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};
use uuid::Uuid;

use crate::doc::{DocType, Visibility, normalize_number};
use crate::expand::expand;
use crate::highlight::{Matcher, highlight_all, snippet};
use crate::schema::{plain_analyzer, text_analyzer};
use crate::{Result, SearchError, SearchIndex};

/// Score weight of a title match relative to a body match.
const TITLE_BOOST: f32 = 3.0;
/// Tags and category.
const KEYWORDS_BOOST: f32 = 2.0;
/// A ticket number match outweighs any text match.
const NUMBER_BOOST: f32 = 20.0;
/// Constant score of a typo or prefix match (times the field weight); below any exact BM25
/// contribution in practice.
const FUZZY_SCORE: f32 = 0.05;
/// Largest page.
pub const MAX_LIMIT: usize = 100;
/// Largest offset a search may ask for: collecting the top `offset + limit` documents
/// costs memory in proportion, so deeper pages are refused by the callers and clamped here.
pub const MAX_OFFSET: usize = 10_000;
/// Prefix matching starts at this many letters (one letter would expand to most of the
/// dictionary).
const MIN_PREFIX_LEN: usize = 2;

/// Who is searching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    /// All tickets of the tenant (with internal notes), published articles of any visibility.
    Agent,
    /// Only this user's tickets (without internal notes) and published public articles.
    Requester(Uuid),
}

/// A search.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub tenant: Uuid,
    pub viewer: Viewer,
    pub text: String,
    /// Empty: both types.
    pub types: Vec<DocType>,
    /// Ticket kinds (OR); empty: no filter.
    pub kinds: Vec<String>,
    /// Statuses (OR); empty: no filter.
    pub statuses: Vec<String>,
    /// Queues (OR); empty: no filter.
    pub queues: Vec<Uuid>,
    /// The tenant's synonym groups: each group is a list of phrases that mean the same.
    pub synonyms: Vec<Vec<String>>,
    pub limit: usize,
    pub offset: usize,
    /// Compute facet counts (costs a little on broad queries).
    pub facets: bool,
}

impl SearchRequest {
    pub fn new(tenant: Uuid, viewer: Viewer, text: impl Into<String>) -> Self {
        SearchRequest {
            tenant,
            viewer,
            text: text.into(),
            types: Vec::new(),
            kinds: Vec::new(),
            statuses: Vec::new(),
            queues: Vec::new(),
            synonyms: Vec::new(),
            limit: 20,
            offset: 0,
            facets: true,
        }
    }
}

/// One result.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hit {
    pub id: Uuid,
    pub doc_type: DocType,
    pub score: f32,
    /// Ticket number (`INC-000123`); none for articles.
    pub number: Option<String>,
    /// Subject or title as plain text.
    pub title: String,
    /// The title, HTML-escaped, with matches in `<mark>`.
    pub title_html: String,
    /// An excerpt of the text, HTML-escaped, with matches in `<mark>`.
    pub snippet_html: String,
    pub kind: Option<String>,
    pub status: String,
    pub queue: Option<Uuid>,
    pub visibility: Option<Visibility>,
    pub category: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Counts of all matching documents by value.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Facets {
    pub types: BTreeMap<String, u64>,
    pub kinds: BTreeMap<String, u64>,
    pub statuses: BTreeMap<String, u64>,
    pub queues: BTreeMap<String, u64>,
}

/// A page of results.
#[derive(Clone, Debug, Serialize)]
pub struct SearchResults {
    /// All matching documents, not just this page.
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

/// A typed word.
#[derive(Clone, Debug)]
pub(crate) struct Word {
    /// Lowercased and accent-folded, not stemmed.
    pub raw: String,
    /// Stem, as stored in the index.
    pub stem: String,
    /// Search-as-you-type prefix.
    pub prefix: bool,
    /// Normalised ticket number if the word is all digits.
    pub number: Option<String>,
}

impl Word {
    fn len(&self) -> usize {
        self.raw.chars().count()
    }

    /// Edit distance allowed for this word (see the module docs).
    pub(crate) fn max_edits(&self) -> u8 {
        match self.len() {
            n if n >= 9 => 2,
            n if n >= 5 => 1,
            _ => 0,
        }
    }

    /// The words made by swapping two neighbouring letters (3–4 letter words only).
    pub(crate) fn swaps(&self) -> Vec<String> {
        let n = self.len();
        if !(3..=4).contains(&n) || self.number.is_some() {
            return Vec::new();
        }
        let chars: Vec<char> = self.raw.chars().collect();
        let mut out = Vec::new();
        for i in 0..n - 1 {
            if chars[i] == chars[i + 1] {
                continue;
            }
            let mut c = chars.clone();
            c.swap(i, i + 1);
            let s: String = c.into_iter().collect();
            if s != self.raw && !out.contains(&s) {
                out.push(s);
            }
        }
        out
    }

    /// Edits allowed in a prefix match.
    pub(crate) fn prefix_edits(&self) -> Option<u8> {
        if !self.prefix || self.number.is_some() || self.len() < MIN_PREFIX_LEN {
            None
        } else if self.len() >= 5 {
            Some(1)
        } else {
            Some(0)
        }
    }
}

/// A unit of the query: every clause is one "should" of the top-level query.
#[derive(Clone, Debug)]
pub(crate) enum Clause {
    Word(Word),
    /// A whole ticket number such as `inc-123`.
    Number(String),
    /// Words that form a phrase of a synonym group; matches any phrase of the group
    /// (stemmed tokens).
    Synonyms {
        words: Vec<Word>,
        alternatives: Vec<Vec<String>>,
    },
}

pub(crate) fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(tok) = stream.next() {
        out.push(tok.text.clone());
    }
    out
}

/// Phrases as token lists.
type Phrases = Vec<Vec<String>>;

/// Parses the text into clauses.
pub(crate) fn parse(text: &str, synonyms: &[Vec<String>]) -> Vec<Clause> {
    let mut plain = plain_analyzer();
    let mut stemmer = text_analyzer();
    let ends_open = !text.ends_with(char::is_whitespace);

    // Words and numbers, in order.
    let mut items: Vec<Clause> = Vec::new();
    for chunk in text.split_whitespace() {
        if chunk.contains('-')
            && let Some(n) = normalize_number(chunk)
            && n.contains('-')
        {
            items.push(Clause::Number(n));
            continue;
        }
        for raw in analyze(&mut plain, chunk) {
            let Some(stem) = analyze(&mut stemmer, &raw).into_iter().next() else {
                continue;
            };
            let number = if raw.chars().all(|c| c.is_ascii_digit()) {
                normalize_number(&raw)
            } else {
                None
            };
            items.push(Clause::Word(Word {
                raw,
                stem,
                prefix: false,
                number,
            }));
        }
    }
    if ends_open && let Some(Clause::Word(w)) = items.last_mut() {
        w.prefix = true;
    }

    // Synonym phrases as plain-token sequences, with the stemmed alternatives of their group.
    let groups: Vec<(Phrases, Phrases)> = synonyms
        .iter()
        .map(|group| {
            let plain_phrases: Vec<Vec<String>> = group
                .iter()
                .map(|p| analyze(&mut plain, p))
                .filter(|t| !t.is_empty())
                .collect();
            let stemmed: Vec<Vec<String>> = group
                .iter()
                .map(|p| analyze(&mut stemmer, p))
                .filter(|t| !t.is_empty())
                .collect();
            (plain_phrases, stemmed)
        })
        .filter(|(p, _)| p.len() > 1)
        .collect();
    if groups.is_empty() {
        return items;
    }

    let mut out = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let mut best: Option<(usize, usize)> = None; // (length, group)
        for (g, (phrases, _)) in groups.iter().enumerate() {
            for phrase in phrases {
                let len = phrase.len();
                if i + len > items.len() || best.is_some_and(|(l, _)| l >= len) {
                    continue;
                }
                let matches = items[i..i + len]
                    .iter()
                    .zip(phrase)
                    .all(|(item, tok)| matches!(item, Clause::Word(w) if &w.raw == tok));
                if matches {
                    best = Some((len, g));
                }
            }
        }
        match best {
            Some((len, g)) => {
                let words = items[i..i + len]
                    .iter()
                    .filter_map(|c| match c {
                        Clause::Word(w) => Some(w.clone()),
                        _ => None,
                    })
                    .collect();
                out.push(Clause::Synonyms {
                    words,
                    alternatives: groups[g].1.clone(),
                });
                i += len;
            }
            None => {
                out.push(items[i].clone());
                i += 1;
            }
        }
    }
    out
}

/// The fields a word is searched in.
struct Fields2 {
    /// Stemmed fields (exact and stem matches, BM25).
    stemmed: Vec<(Field, f32)>,
    /// Unstemmed fields (typo and prefix matches, constant score).
    plain: Vec<(Field, f32)>,
}

/// How many of `n` clauses must match.
fn required_clauses(n: usize) -> usize {
    if n <= 3 { n } else { n - n / 4 }
}

fn term(field: Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

fn scored_term(field: Field, text: &str, boost: f32) -> Box<dyn Query> {
    let q: Box<dyn Query> = Box::new(TermQuery::new(
        term(field, text),
        IndexRecordOption::WithFreqs,
    ));
    if boost == 1.0 {
        q
    } else {
        Box::new(BoostQuery::new(q, boost))
    }
}

fn constant(q: Box<dyn Query>, score: f32) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, score))
}

fn filter_term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(term(field, text), IndexRecordOption::Basic))
}

fn any_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::union(queries))
}

fn all_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::intersection(queries))
}

impl SearchIndex {
    /// Fields searched for this viewer, with their weights.
    fn text_fields(&self, viewer: Viewer) -> Vec<(Field, f32)> {
        let f = &self.fields;
        let mut v = vec![
            (f.title, TITLE_BOOST),
            (f.keywords, KEYWORDS_BOOST),
            (f.body, 1.0),
            (f.replies, 1.0),
        ];
        if viewer == Viewer::Agent {
            v.push((f.notes, 1.0));
        }
        v
    }

    /// Unstemmed fields for typo and prefix matching, with their weights.
    fn plain_fields(&self, viewer: Viewer) -> Vec<(Field, f32)> {
        let f = &self.fields;
        let mut v = vec![(f.plain_title, TITLE_BOOST), (f.plain_text, 1.0)];
        if viewer == Viewer::Agent {
            v.push((f.plain_notes, 1.0));
        }
        v
    }

    fn word_query(&self, w: &Word, fields: &Fields2, searcher: &Searcher) -> Box<dyn Query> {
        let mut should: Vec<Box<dyn Query>> = Vec::new();
        for &(field, boost) in &fields.stemmed {
            should.push(scored_term(field, &w.stem, boost));
        }
        if w.number.is_none() {
            let edits = w.max_edits();
            let swaps = w.swaps();
            let fuzzy = (edits > 0).then(|| self.automata.fuzzy(&w.raw, edits));
            let prefix = w.prefix_edits().map(|e| self.automata.prefix(&w.raw, e));
            for &(field, boost) in &fields.plain {
                let score = FUZZY_SCORE * boost;
                let mut terms: Vec<String> = swaps.clone();
                if let Some(dfa) = &fuzzy {
                    terms.extend(expand(searcher, field, dfa, &w.raw));
                }
                if let Some(dfa) = &prefix {
                    terms.extend(expand(searcher, field, dfa, &w.raw));
                }
                terms.sort();
                terms.dedup();
                for t in &terms {
                    should.push(constant(filter_term(field, t), score));
                }
            }
            // A misspelt inflected word is often closer to the stem than to any written form
            // ("insatll" → stem "insatl" ~ "instal", from "installed").
            if edits > 0 && w.stem != w.raw {
                let dfa = self.automata.fuzzy(&w.stem, edits);
                for &(field, boost) in &fields.stemmed {
                    for t in expand(searcher, field, &dfa, &w.stem) {
                        should.push(constant(filter_term(field, &t), FUZZY_SCORE * boost));
                    }
                }
            }
        }
        if let Some(n) = &w.number {
            should.push(scored_term(self.fields.number, n, NUMBER_BOOST));
        }
        any_of(should)
    }

    fn clause_query(
        &self,
        clause: &Clause,
        fields: &Fields2,
        searcher: &Searcher,
    ) -> Box<dyn Query> {
        match clause {
            Clause::Word(w) => self.word_query(w, fields, searcher),
            Clause::Number(n) => scored_term(self.fields.number, n, NUMBER_BOOST),
            Clause::Synonyms {
                words,
                alternatives,
            } => {
                let mut should: Vec<Box<dyn Query>> = Vec::new();
                if let [w] = words.as_slice() {
                    should.push(self.word_query(w, fields, searcher));
                }
                for alt in alternatives {
                    for &(field, boost) in &fields.stemmed {
                        match alt.as_slice() {
                            [single] => should.push(scored_term(field, single, boost)),
                            tokens => {
                                let terms = tokens.iter().map(|t| term(field, t)).collect();
                                let mut phrase = PhraseQuery::new(terms);
                                // Stop words leave a gap in positions ("out of office").
                                phrase.set_slop(1);
                                should.push(Box::new(BoostQuery::new(Box::new(phrase), boost)));
                            }
                        }
                    }
                }
                any_of(should)
            }
        }
    }

    fn filter_query(&self, req: &SearchRequest) -> Box<dyn Query> {
        let f = &self.fields;
        let mut must: Vec<Box<dyn Query>> = vec![filter_term(f.tenant, &req.tenant.to_string())];
        let ticket = || filter_term(f.doc_type, DocType::Ticket.as_str());
        let article = || filter_term(f.doc_type, DocType::Article.as_str());
        let published = || filter_term(f.status, "published");
        must.push(match req.viewer {
            Viewer::Agent => any_of(vec![ticket(), all_of(vec![article(), published()])]),
            Viewer::Requester(user) => any_of(vec![
                all_of(vec![ticket(), filter_term(f.owner, &user.to_string())]),
                all_of(vec![
                    article(),
                    published(),
                    filter_term(f.visibility, Visibility::Public.as_str()),
                ]),
            ]),
        });
        if !req.types.is_empty() {
            must.push(any_of(
                req.types
                    .iter()
                    .map(|t| filter_term(f.doc_type, t.as_str()))
                    .collect(),
            ));
        }
        if !req.kinds.is_empty() {
            must.push(any_of(
                req.kinds.iter().map(|k| filter_term(f.kind, k)).collect(),
            ));
        }
        if !req.statuses.is_empty() {
            must.push(any_of(
                req.statuses
                    .iter()
                    .map(|s| filter_term(f.status, s))
                    .collect(),
            ));
        }
        if !req.queues.is_empty() {
            must.push(any_of(
                req.queues
                    .iter()
                    .map(|q| filter_term(f.queue, &q.to_string()))
                    .collect(),
            ));
        }
        constant(all_of(must), 0.0)
    }

    /// Runs a search. Results are as of the last [`SearchIndex::commit`].
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults> {
        let clauses = parse(&req.text, &req.synonyms);
        let fields = Fields2 {
            stemmed: self.text_fields(req.viewer),
            plain: self.plain_fields(req.viewer),
        };
        let filter = self.filter_query(req);
        let has_text = !clauses.is_empty();
        let searcher = self.searcher();
        let query: Box<dyn Query> = if has_text {
            let text_queries: Vec<(Occur, Box<dyn Query>)> = clauses
                .iter()
                .map(|c| (Occur::Should, self.clause_query(c, &fields, &searcher)))
                .collect();
            let n = text_queries.len();
            let text =
                BooleanQuery::with_minimum_required_clauses(text_queries, required_clauses(n));
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, filter),
                (Occur::Must, Box::new(text)),
            ]))
        } else {
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, filter),
                (Occur::Must, Box::new(AllQuery)),
            ]))
        };

        let limit = req.limit.clamp(1, MAX_LIMIT);
        let top = TopDocs::with_limit(limit).and_offset(req.offset.min(MAX_OFFSET));
        let (docs, total, facets): (Vec<(f32, DocAddress)>, usize, Facets) = if has_text {
            if req.facets {
                let (d, t, a) = searcher.search(
                    &query,
                    &(top.order_by_score(), Count, self.facet_collector()?),
                )?;
                (d, t, facets_from(a)?)
            } else {
                let (d, t) = searcher.search(&query, &(top.order_by_score(), Count))?;
                (d, t, Facets::default())
            }
        } else {
            let by_date = top.order_by_fast_field::<tantivy::DateTime>("updated_at", Order::Desc);
            let (d, t, a) = if req.facets {
                let (d, t, a) =
                    searcher.search(&query, &(by_date, Count, self.facet_collector()?))?;
                (d, t, Some(a))
            } else {
                let (d, t) = searcher.search(&query, &(by_date, Count))?;
                (d, t, None)
            };
            let facets = match a {
                Some(a) => facets_from(a)?,
                None => Facets::default(),
            };
            (d.into_iter().map(|(_, a)| (0.0, a)).collect(), t, facets)
        };

        let matcher = Matcher::new(&clauses);
        let mut hits = Vec::with_capacity(docs.len());
        for (score, addr) in docs {
            hits.push(self.hit(&searcher, addr, score, req.viewer, &matcher)?);
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    fn facet_collector(&self) -> Result<AggregationCollector> {
        let aggs: Aggregations = serde_json::from_value(serde_json::json!({
            "types": { "terms": { "field": "doc_type", "size": 10 } },
            "kinds": { "terms": { "field": "kind", "size": 50 } },
            "statuses": { "terms": { "field": "status", "size": 50 } },
            "queues": { "terms": { "field": "queue", "size": 200 } },
        }))
        .map_err(|e| SearchError::Aggregation(e.to_string()))?;
        Ok(AggregationCollector::from_aggs(
            aggs,
            AggContextParams::new(Default::default(), self.index().tokenizers().clone()),
        ))
    }

    fn hit(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
        score: f32,
        viewer: Viewer,
        matcher: &Matcher,
    ) -> Result<Hit> {
        let f = &self.fields;
        let doc: TantivyDocument = searcher.doc(addr)?;
        let first = |field: Field| -> Option<String> {
            doc.get_first(field)
                .and_then(|v| v.as_str().map(str::to_string))
        };
        let all = |field: Field| -> Vec<String> {
            doc.get_all(field)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let doc_type = first(f.doc_type)
            .as_deref()
            .and_then(DocType::parse)
            .unwrap_or(DocType::Ticket);
        let title = first(f.title).unwrap_or_default();
        let mut analyzer = plain_analyzer();
        let mut stemmer = text_analyzer();
        let title_html = highlight_all(&title, matcher, &mut analyzer, &mut stemmer);
        let body = all(f.body).join("\n");
        let mut candidates = vec![
            (f.body, body.clone()),
            (f.replies, all(f.replies).join("\n")),
        ];
        if viewer == Viewer::Agent {
            candidates.push((f.notes, all(f.notes).join("\n")));
        }
        let mut snippet_html = None;
        for (field, text) in &candidates {
            if let Some(s) = snippet(text, *field, matcher, &mut analyzer, &mut stemmer) {
                snippet_html = Some(s);
                break;
            }
        }
        let snippet_html = snippet_html.unwrap_or_else(|| crate::highlight::lead(&body));
        let updated_at = doc
            .get_first(f.updated_at)
            .and_then(|v| v.as_datetime())
            .and_then(|d| DateTime::<Utc>::from_timestamp_micros(d.into_timestamp_micros()))
            .unwrap_or_default();
        Ok(Hit {
            id: first(f.id)
                .and_then(|s| Uuid::parse_str(&s).ok())
                .unwrap_or_default(),
            doc_type,
            score,
            number: first(f.display_number),
            title,
            title_html,
            snippet_html,
            kind: first(f.kind),
            status: first(f.status).unwrap_or_default(),
            queue: first(f.queue).and_then(|s| Uuid::parse_str(&s).ok()),
            visibility: first(f.visibility).and_then(|v| match v.as_str() {
                "public" => Some(Visibility::Public),
                "internal" => Some(Visibility::Internal),
                _ => None,
            }),
            category: first(f.category),
            updated_at,
        })
    }
}

fn facets_from(res: tantivy::aggregation::agg_result::AggregationResults) -> Result<Facets> {
    let v = serde_json::to_value(&res).map_err(|e| SearchError::Aggregation(e.to_string()))?;
    let read = |name: &str| -> BTreeMap<String, u64> {
        v.get(name)
            .and_then(|a| a.get("buckets"))
            .and_then(|b| b.as_array())
            .map(|buckets| {
                buckets
                    .iter()
                    .filter_map(|b| {
                        let key = b.get("key")?.as_str()?.to_string();
                        let count = b.get("doc_count")?.as_u64()?;
                        Some((key, count))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Facets {
        types: read("types"),
        kinds: read("kinds"),
        statuses: read("statuses"),
        queues: read("queues"),
    })
}

/// Words of the clauses, for highlighting.
pub(crate) fn clause_words(clauses: &[Clause]) -> (Vec<&Word>, HashSet<String>) {
    let mut words = Vec::new();
    let mut synonym_stems = HashSet::new();
    for c in clauses {
        match c {
            Clause::Word(w) => words.push(w),
            Clause::Number(_) => {}
            Clause::Synonyms {
                words: ws,
                alternatives,
            } => {
                words.extend(ws.iter());
                for alt in alternatives {
                    synonym_stems.extend(alt.iter().cloned());
                }
            }
        }
    }
    (words, synonym_stems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_marks_last_word_as_prefix_only_while_typing() {
        let c = parse("reset pass", &[]);
        assert!(matches!(&c[1], Clause::Word(w) if w.prefix && w.raw == "pass"));
        let c = parse("reset pass ", &[]);
        assert!(matches!(&c[1], Clause::Word(w) if !w.prefix));
    }

    #[test]
    fn parse_groups_synonym_phrases() {
        let syn = vec![vec![
            "vpn".to_string(),
            "virtual private network".to_string(),
        ]];
        let c = parse("virtual private network down", &syn);
        assert_eq!(c.len(), 2);
        assert!(matches!(&c[0], Clause::Synonyms { words, .. } if words.len() == 3));
    }

    #[test]
    fn short_words_get_only_swaps() {
        let c = parse("vnp ", &[]);
        let Clause::Word(w) = &c[0] else {
            panic!("expected a word")
        };
        assert_eq!(w.max_edits(), 0);
        assert_eq!(w.swaps(), vec!["nvp".to_string(), "vpn".to_string()]);
    }

    #[test]
    fn required_clauses_relax_for_long_queries() {
        assert_eq!(required_clauses(1), 1);
        assert_eq!(required_clauses(3), 3);
        assert_eq!(required_clauses(4), 3);
        assert_eq!(required_clauses(8), 6);
    }
}
