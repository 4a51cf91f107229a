//! Catalyst ITSM: full-text search (Tantivy index, typo tolerance, synonyms)
