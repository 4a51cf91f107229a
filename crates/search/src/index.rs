//! Opening, writing and committing the index.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Schema};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};
use uuid::Uuid;

use crate::doc::{ArticleDoc, DocType, TicketDoc};
use crate::expand::Automata;
use crate::schema::{Fields, SCHEMA_VERSION, build_schema, index_settings, register_analyzers};
use crate::{Result, SearchError};

/// Name of the file that records which schema version built the index.
const VERSION_FILE: &str = "catalyst-search-version";

/// What [`SearchIndex::open`] found in the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenOutcome {
    /// There was no index; an empty one was created. The caller should fill it.
    Fresh,
    /// An index was there but could not be used; it was replaced by an empty one. The caller
    /// should fill it.
    Rebuilt { reason: String },
    /// The existing index was opened and can be used as is.
    Existing,
}

impl OpenOutcome {
    /// Whether the caller has to (re)index everything.
    pub fn needs_full_index(&self) -> bool {
        !matches!(self, OpenOutcome::Existing)
    }
}

/// Tuning of the index writer.
#[derive(Clone, Copy, Debug)]
pub struct IndexOptions {
    /// Memory budget of the writer in bytes (shared by its threads).
    pub writer_memory: usize,
    /// Indexing threads.
    pub writer_threads: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            writer_memory: 64 * 1024 * 1024,
            writer_threads: 1,
        }
    }
}

/// Number of documents of one tenant in the index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexCounts {
    pub tickets: u64,
    pub articles: u64,
}

struct WriterState {
    writer: IndexWriter<TantivyDocument>,
    /// The payload stored with the last commit; kept on later commits unless replaced.
    payload: Option<String>,
}

/// A Tantivy index of tickets and articles of all tenants.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<WriterState>,
    pub(crate) fields: Fields,
    pub(crate) automata: Automata,
    dir: Option<PathBuf>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .finish()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if needed. A missing, unreadable or outdated index
    /// is replaced by an empty one and the outcome says why.
    pub fn open(dir: &Path) -> Result<(SearchIndex, OpenOutcome)> {
        Self::open_with(dir, IndexOptions::default())
    }

    /// [`SearchIndex::open`] with writer tuning.
    pub fn open_with(dir: &Path, options: IndexOptions) -> Result<(SearchIndex, OpenOutcome)> {
        let (schema, fields) = build_schema();
        let outcome = match Self::try_open_existing(dir, &schema) {
            Ok(Some(index)) => match Self::assemble(index, fields.clone(), options, Some(dir)) {
                Ok(idx) => return Ok((idx, OpenOutcome::Existing)),
                Err(e) => OpenOutcome::Rebuilt {
                    reason: format!("the index could not be loaded: {e}"),
                },
            },
            Ok(None) => OpenOutcome::Fresh,
            Err(reason) => OpenOutcome::Rebuilt { reason },
        };
        if let OpenOutcome::Rebuilt { reason } = &outcome {
            tracing::warn!(dir = %dir.display(), %reason, "recreating the search index");
        }
        if dir.exists() {
            fs::remove_dir_all(dir)?;
        }
        fs::create_dir_all(dir)?;
        let index = Index::builder()
            .schema(schema)
            .settings(index_settings())
            .create_in_dir(dir)?;
        fs::write(dir.join(VERSION_FILE), SCHEMA_VERSION.to_string())?;
        let idx = Self::assemble(index, fields, options, Some(dir))?;
        Ok((idx, outcome))
    }

    /// An index in memory, for tests.
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, fields) = build_schema();
        let index = Index::builder()
            .schema(schema)
            .settings(index_settings())
            .create_in_ram()?;
        Self::assemble(index, fields, IndexOptions::default(), None)
    }

    /// `Ok(None)`: nothing there yet. `Err(reason)`: something there that must be replaced.
    fn try_open_existing(dir: &Path, schema: &Schema) -> Result<Option<Index>, String> {
        let is_empty = match fs::read_dir(dir) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("the index directory cannot be read: {e}")),
        };
        if is_empty {
            return Ok(None);
        }
        let version = match fs::read_to_string(dir.join(VERSION_FILE)) {
            Ok(v) => v,
            Err(_) => return Err("the schema version marker is missing".into()),
        };
        match version.trim().parse::<u32>() {
            Ok(v) if v == SCHEMA_VERSION => {}
            Ok(v) => {
                return Err(format!(
                    "the index has schema version {v}, this build uses {SCHEMA_VERSION}"
                ));
            }
            Err(_) => return Err("the schema version marker is unreadable".into()),
        }
        let index = Index::open_in_dir(dir).map_err(|e| format!("the index is unreadable: {e}"))?;
        if &index.schema() != schema
            || index.settings().sort_by_field != index_settings().sort_by_field
        {
            return Err("the stored schema differs from this build's schema".into());
        }
        Ok(Some(index))
    }

    fn assemble(
        index: Index,
        fields: Fields,
        options: IndexOptions,
        dir: Option<&Path>,
    ) -> Result<SearchIndex> {
        register_analyzers(index.tokenizers());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        // Loading a searcher opens every segment, so a damaged segment is found here.
        let searcher = reader.searcher();
        for segment in searcher.segment_readers() {
            segment.get_store_reader(0)?;
        }
        let payload = index.load_metas()?.payload;
        let writer = index.writer_with_num_threads(
            options.writer_threads.max(1),
            options
                .writer_memory
                .max(15_000_000 * options.writer_threads.max(1)),
        )?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(WriterState { writer, payload }),
            fields,
            automata: Automata::new(),
            dir: dir.map(Path::to_path_buf),
        })
    }

    fn writer(&self) -> Result<MutexGuard<'_, WriterState>> {
        self.writer.lock().map_err(|_| SearchError::WriterPoisoned)
    }

    fn id_term(&self, id: Uuid) -> Term {
        Term::from_field_text(self.fields.id, &id.to_string())
    }

    /// Adds or replaces a ticket. Visible to searches after [`SearchIndex::commit`].
    pub fn upsert_ticket(&self, ticket: &TicketDoc) -> Result<()> {
        let doc = ticket.to_document(&self.fields);
        let state = self.writer()?;
        state.writer.delete_term(self.id_term(ticket.id));
        state.writer.add_document(doc)?;
        Ok(())
    }

    /// Adds or replaces an article. Visible to searches after [`SearchIndex::commit`].
    pub fn upsert_article(&self, article: &ArticleDoc) -> Result<()> {
        let doc = article.to_document(&self.fields);
        let state = self.writer()?;
        state.writer.delete_term(self.id_term(article.id));
        state.writer.add_document(doc)?;
        Ok(())
    }

    /// Removes a ticket or article.
    pub fn delete(&self, id: Uuid) -> Result<()> {
        let state = self.writer()?;
        state.writer.delete_term(self.id_term(id));
        Ok(())
    }

    /// Removes every document of a tenant.
    pub fn delete_tenant(&self, tenant: Uuid) -> Result<()> {
        let state = self.writer()?;
        state.writer.delete_term(Term::from_field_text(
            self.fields.tenant,
            &tenant.to_string(),
        ));
        Ok(())
    }

    /// Removes every document.
    pub fn clear(&self) -> Result<()> {
        let state = self.writer()?;
        state.writer.delete_all_documents()?;
        Ok(())
    }

    /// Makes all changes durable and visible: when this returns, searches see them.
    pub fn commit(&self) -> Result<()> {
        let mut state = self.writer()?;
        let payload = state.payload.clone();
        Self::commit_locked(&mut state, payload)?;
        drop(state);
        self.reader.reload()?;
        Ok(())
    }

    /// Like [`SearchIndex::commit`], and stores `payload` (for example a consumer's cursor) in
    /// the same atomic commit, so the data and the payload never disagree after a crash.
    pub fn commit_with_payload(&self, payload: &str) -> Result<()> {
        let mut state = self.writer()?;
        Self::commit_locked(&mut state, Some(payload.to_string()))?;
        drop(state);
        self.reader.reload()?;
        Ok(())
    }

    fn commit_locked(state: &mut WriterState, payload: Option<String>) -> Result<()> {
        let mut prepared = state.writer.prepare_commit()?;
        if let Some(p) = &payload {
            prepared.set_payload(p);
        }
        prepared.commit()?;
        state.payload = payload;
        Ok(())
    }

    /// The payload stored with the last commit.
    pub fn payload(&self) -> Result<Option<String>> {
        Ok(self.writer()?.payload.clone())
    }

    pub(crate) fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    pub(crate) fn index(&self) -> &Index {
        &self.index
    }

    /// Committed documents of one tenant, by type.
    pub fn counts(&self, tenant: Uuid) -> Result<IndexCounts> {
        let searcher = self.searcher();
        let count = |t: DocType| -> Result<u64> {
            let q = BooleanQuery::new(vec![
                (
                    Occur::Must,
                    self.term_query(self.fields.tenant, &tenant.to_string()),
                ),
                (
                    Occur::Must,
                    self.term_query(self.fields.doc_type, t.as_str()),
                ),
            ]);
            Ok(searcher.search(&q, &Count)? as u64)
        };
        Ok(IndexCounts {
            tickets: count(DocType::Ticket)?,
            articles: count(DocType::Article)?,
        })
    }

    /// Committed documents of all tenants.
    pub fn total_docs(&self) -> u64 {
        self.searcher().num_docs()
    }

    /// Bytes used on disk (0 for an in-memory index).
    pub fn size_on_disk(&self) -> Result<u64> {
        let Some(dir) = &self.dir else { return Ok(0) };
        let mut total = 0;
        for entry in fs::read_dir(dir)? {
            let meta = entry?.metadata()?;
            if meta.is_file() {
                total += meta.len();
            }
        }
        Ok(total)
    }

    /// Waits for background segment merges to finish (used by benchmarks and shutdown).
    pub fn wait_merging_threads(self) -> Result<()> {
        let state = self
            .writer
            .into_inner()
            .map_err(|_| SearchError::WriterPoisoned)?;
        state.writer.wait_merging_threads()?;
        Ok(())
    }

    pub(crate) fn term_query(&self, field: tantivy::schema::Field, text: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::Basic,
        ))
    }
}
