//! HTML-safe highlighting of matched words.
//!
//! Tantivy's own highlighter only knows the exact terms of a query, not what a typo or
//! prefix query matched, so the words of a stored text are re-analysed and tested against
//! the same rules the query used.

use std::collections::{BTreeMap, HashSet};

use htmlescape::encode_minimal;
use tantivy::schema::Field;
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;

use crate::query::{Clause, clause_words};

/// Longest excerpt, in characters.
const SNIPPET_CHARS: usize = 200;
const MARK_OPEN: &str = "<mark>";
const MARK_CLOSE: &str = "</mark>";

/// Decides whether an unstemmed token of a document matched the query.
#[derive(Debug, Default)]
pub(crate) struct Matcher {
    /// Stems.
    exact: HashSet<String>,
    /// Words as written.
    swaps: HashSet<String>,
    fuzzy: Vec<(String, usize)>,
    /// Stems matched with typos.
    fuzzy_stems: Vec<(String, usize)>,
    prefixes: Vec<(String, usize)>,
}

impl Matcher {
    pub(crate) fn new(clauses: &[Clause]) -> Matcher {
        let (words, synonym_stems) = clause_words(clauses);
        let mut m = Matcher {
            exact: synonym_stems,
            ..Matcher::default()
        };
        for w in words {
            m.exact.insert(w.stem.clone());
            m.swaps.extend(w.swaps());
            let edits = usize::from(w.max_edits());
            if edits > 0 && w.number.is_none() {
                m.fuzzy.push((w.raw.clone(), edits));
                if w.stem != w.raw {
                    m.fuzzy_stems.push((w.stem.clone(), edits));
                }
            }
            if let Some(e) = w.prefix_edits() {
                m.prefixes.push((w.raw.clone(), usize::from(e)));
            }
        }
        m
    }

    /// `token` is an unstemmed word of the document.
    fn matches(&self, token: &str, stemmer: &mut TextAnalyzer) -> bool {
        if self.swaps.contains(token) {
            return true;
        }
        if self
            .fuzzy
            .iter()
            .any(|(word, e)| strsim::osa_distance(word, token) <= *e)
        {
            return true;
        }
        let mut stream = stemmer.token_stream(token);
        if let Some(stem) = stream.next()
            && (self.exact.contains(&stem.text)
                || self
                    .fuzzy_stems
                    .iter()
                    .any(|(s, e)| strsim::osa_distance(s, &stem.text) <= *e))
        {
            return true;
        }
        self.prefixes.iter().any(|(p, e)| {
            if token.starts_with(p.as_str()) {
                return true;
            }
            if *e == 0 {
                return false;
            }
            let plen = p.chars().count();
            let chars: Vec<char> = token.chars().collect();
            (plen.saturating_sub(*e)..=plen + *e)
                .filter(|k| *k <= chars.len() && *k > 0)
                .any(|k| {
                    let head: String = chars[..k].iter().collect();
                    strsim::osa_distance(&head, p) <= *e
                })
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.exact.is_empty()
            && self.swaps.is_empty()
            && self.fuzzy.is_empty()
            && self.prefixes.is_empty()
    }
}

/// The whole text, escaped, with every matched word in `<mark>`.
pub(crate) fn highlight_all(
    text: &str,
    matcher: &Matcher,
    analyzer: &mut TextAnalyzer,
    stemmer: &mut TextAnalyzer,
) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut pos = 0;
    if !matcher.is_empty() {
        let mut stream = analyzer.token_stream(text);
        while let Some(tok) = stream.next() {
            if tok.offset_from < pos
                || tok.offset_to > text.len()
                || !matcher.matches(&tok.text, stemmer)
            {
                continue;
            }
            let (Some(before), Some(word)) = (
                text.get(pos..tok.offset_from),
                text.get(tok.offset_from..tok.offset_to),
            ) else {
                continue;
            };
            out.push_str(&encode_minimal(before));
            out.push_str(MARK_OPEN);
            out.push_str(&encode_minimal(word));
            out.push_str(MARK_CLOSE);
            pos = tok.offset_to;
        }
    }
    out.push_str(&encode_minimal(text.get(pos..).unwrap_or_default()));
    out
}

/// The best excerpt of `text` around matched words, escaped, with matches in `<mark>`; `None`
/// if nothing in the text matched.
pub(crate) fn snippet(
    text: &str,
    field: Field,
    matcher: &Matcher,
    analyzer: &mut TextAnalyzer,
    stemmer: &mut TextAnalyzer,
) -> Option<String> {
    if text.is_empty() || matcher.is_empty() {
        return None;
    }
    let mut terms = BTreeMap::new();
    {
        let mut stream = analyzer.token_stream(text);
        while let Some(tok) = stream.next() {
            if !terms.contains_key(&tok.text) && matcher.matches(&tok.text, stemmer) {
                terms.insert(tok.text.clone(), 1.0);
            }
        }
    }
    if terms.is_empty() {
        return None;
    }
    let generator = SnippetGenerator::new(terms, analyzer.clone(), field, SNIPPET_CHARS);
    let mut s = generator.snippet(text);
    if s.is_empty() {
        return None;
    }
    s.set_snippet_prefix_postfix(MARK_OPEN, MARK_CLOSE);
    let range = s.fragment_range();
    let mut html = String::new();
    if range.start > 0 {
        html.push_str("… ");
    }
    html.push_str(&s.to_html());
    if range.end < text.trim_end().len() {
        html.push_str(" …");
    }
    Some(html)
}

/// The start of a text, escaped, for results without a matched excerpt.
pub(crate) fn lead(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= SNIPPET_CHARS {
        return encode_minimal(text);
    }
    let cut = text
        .char_indices()
        .nth(SNIPPET_CHARS)
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    let head = &text[..cut];
    let head = match head.rfind(char::is_whitespace) {
        Some(i) if i > SNIPPET_CHARS / 2 => &head[..i],
        _ => head,
    };
    format!("{} …", encode_minimal(head))
}
