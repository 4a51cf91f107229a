//! Expanding a typo or a prefix into the terms of the index it may stand for.
//!
//! A Levenshtein automaton walks each segment's term dictionary; the matching terms, most
//! frequent first, become ordinary term queries. Term queries skip through their postings
//! when intersected with the tenant and permission filters, where an automaton query would
//! first collect every matching document of every tenant.

use std::collections::HashMap;

use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};
use tantivy::Searcher;
use tantivy::schema::Field;
use tantivy_fst::Automaton;

/// Most terms one typo or prefix expands to (the most frequent are kept).
pub(crate) const MAX_EXPANSIONS: usize = 12;

/// Levenshtein automaton builders (costly to make, so made once per index).
pub(crate) struct Automata {
    /// Indexed by the number of edits (0, 1, 2); a swap of neighbours counts as one edit.
    builders: [LevenshteinAutomatonBuilder; 3],
}

impl Automata {
    pub(crate) fn new() -> Self {
        Automata {
            builders: [
                LevenshteinAutomatonBuilder::new(0, true),
                LevenshteinAutomatonBuilder::new(1, true),
                LevenshteinAutomatonBuilder::new(2, true),
            ],
        }
    }

    /// Words within `edits` of `word`.
    pub(crate) fn fuzzy(&self, word: &str, edits: u8) -> DFA {
        self.builders[usize::from(edits.min(2))].build_dfa(word)
    }

    /// Words that start with something within `edits` of `prefix`.
    pub(crate) fn prefix(&self, prefix: &str, edits: u8) -> DFA {
        self.builders[usize::from(edits.min(2))].build_prefix_dfa(prefix)
    }
}

struct Dfa<'a>(&'a DFA);

impl Automaton for Dfa<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// Terms of `field` accepted by `dfa`, except `exclude`, most frequent first.
pub(crate) fn expand(searcher: &Searcher, field: Field, dfa: &DFA, exclude: &str) -> Vec<String> {
    let mut found: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else {
            continue;
        };
        let Ok(mut stream) = inverted.terms().search(Dfa(dfa)).into_stream() else {
            continue;
        };
        while stream.advance() {
            let Ok(term) = std::str::from_utf8(stream.key()) else {
                continue;
            };
            if term == exclude {
                continue;
            }
            *found.entry(term.to_string()).or_default() += u64::from(stream.value().doc_freq);
        }
    }
    let mut terms: Vec<(String, u64)> = found.into_iter().collect();
    terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    terms.truncate(MAX_EXPANSIONS);
    terms.into_iter().map(|(t, _)| t).collect()
}
