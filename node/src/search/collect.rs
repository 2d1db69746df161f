//! One pass over every matching document: exact facet counts over the whole result, the total,
//! and the page after the cursor in the requested order.
//!
//! Counting over all matches is what makes facets exact (tantivy's top-k collectors only see the
//! best hits). It reads fast-field ordinals only, so a pass over the whole federation (at most
//! about 100,000 heads) costs a few milliseconds; strings are resolved once per distinct term
//! and segment, and for the page's items.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use mosaico_web::Facets;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// The order of a page. Every order is ascending in its key, ties broken by the id prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Best score first.
    Relevance,
    /// Newest creation time first.
    Newest,
    /// Title A to Z.
    Title,
}

/// A position in an order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    /// Relevance and newest: a number, smaller first.
    Number(u64),
    /// Title: the sort title, smaller first.
    Text(String),
}

impl SortKey {
    /// The text written into cursors: fixed-width digits so string order is numeric order.
    pub fn to_cursor_text(&self) -> String {
        match self {
            SortKey::Number(n) => format!("{n:020}"),
            SortKey::Text(t) => t.clone(),
        }
    }
}

/// The relevance key of a score: higher scores give smaller keys. Positive floats order like
/// their bit patterns.
pub fn relevance_key(score: Score) -> u64 {
    u64::from(u32::MAX - score.max(0.0).to_bits())
}

/// The newest-first key of a creation time.
pub fn newest_key(created_at: u64) -> u64 {
    u64::MAX - created_at
}

/// One hit of the page.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub key: SortKey,
    pub id_prefix: u64,
    pub doc: DocAddress,
}

impl Candidate {
    fn position(&self) -> (&SortKey, u64) {
        (&self.key, self.id_prefix)
    }
}

/// What a pass gives back.
#[derive(Debug, Default)]
pub struct PageFruit {
    pub total: u64,
    pub facets: Facets,
    /// Up to `want` hits after the cursor, in order.
    pub candidates: Vec<Candidate>,
}

/// Collects facets, total and the page.
#[derive(Debug)]
pub struct PageCollector {
    pub order: Order,
    /// Only hits strictly after this position are candidates.
    pub after: Option<(SortKey, u64)>,
    /// How many candidates to keep (page size plus one, to know whether there is more).
    pub want: usize,
}

const FACETS: [&str; 6] = [
    "kind",
    "theme",
    "technology",
    "country",
    "status",
    "concept",
];

fn facet_map(facets: &mut Facets, index: usize) -> &mut BTreeMap<String, u64> {
    match index {
        0 => &mut facets.kind,
        1 => &mut facets.theme,
        2 => &mut facets.technology,
        3 => &mut facets.country,
        4 => &mut facets.status,
        _ => &mut facets.concept,
    }
}

fn add_facets(into: &mut Facets, mut from: Facets) {
    for index in 0..FACETS.len() {
        let source = std::mem::take(facet_map(&mut from, index));
        let target = facet_map(into, index);
        for (term, count) in source {
            *target.entry(term).or_default() += count;
        }
    }
}

/// The per-segment half of [`PageCollector`].
pub struct PageSegmentCollector {
    segment: SegmentOrdinal,
    order: Order,
    after: Option<(SortKey, u64)>,
    want: usize,
    total: u64,
    facet_columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u64>>,
    created_at: Column<u64>,
    id_prefix: Column<u64>,
    title: Option<StrColumn>,
    /// (key or title ordinal, id prefix, doc).
    hits: Vec<(u64, u64, DocId)>,
}

impl Collector for PageCollector {
    type Fruit = PageFruit;
    type Child = PageSegmentCollector;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<PageSegmentCollector> {
        let fast = reader.fast_fields();
        let mut facet_columns = Vec::new();
        let mut counts = Vec::new();
        for name in FACETS {
            let column = fast.str(name)?;
            counts.push(vec![0; column.as_ref().map_or(0, |c| c.num_terms())]);
            facet_columns.push(column);
        }
        Ok(PageSegmentCollector {
            segment,
            order: self.order,
            after: self.after.clone(),
            want: self.want,
            total: 0,
            facet_columns,
            counts,
            created_at: fast.u64("created_at")?,
            id_prefix: fast.u64("id_prefix")?,
            title: fast.str("title_sort")?,
            hits: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.order == Order::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<PageFruit>) -> tantivy::Result<PageFruit> {
        let mut merged = PageFruit::default();
        for fruit in fruits {
            merged.total += fruit.total;
            add_facets(&mut merged.facets, fruit.facets);
            merged.candidates.extend(fruit.candidates);
        }
        merged
            .candidates
            .sort_by(|a, b| a.position().cmp(&b.position()));
        merged.candidates.truncate(self.want);
        Ok(merged)
    }
}

impl PageSegmentCollector {
    fn is_after(&self, key: u64, id_prefix: u64) -> bool {
        match &self.after {
            None => true,
            Some((SortKey::Number(after), after_id)) => (key, id_prefix) > (*after, *after_id),
            // A numeric order never gets a text cursor: the query checks the cursor's form.
            Some((SortKey::Text(_), _)) => true,
        }
    }

    fn title_of(&self, ord: u64) -> String {
        let mut text = String::new();
        if let Some(column) = &self.title {
            // A failed lookup reads as an empty title: it sorts first instead of failing the page.
            let _ = column.ord_to_str(ord, &mut text);
        }
        text
    }

    /// Keeps the number of numeric hits bounded: past four pages, keep only the best page.
    fn trim(&mut self) {
        if self.hits.len() >= self.want.max(1) * 4 {
            let want = self.want;
            self.hits.select_nth_unstable(want.saturating_sub(1));
            self.hits.truncate(want);
        }
    }
}

impl SegmentCollector for PageSegmentCollector {
    type Fruit = PageFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.total += 1;
        for (column, counts) in self.facet_columns.iter().zip(self.counts.iter_mut()) {
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    if let Some(count) = counts.get_mut(ord as usize) {
                        *count += 1;
                    }
                }
            }
        }
        let id_prefix = self.id_prefix.first(doc).unwrap_or(0);
        match self.order {
            Order::Relevance | Order::Newest => {
                let key = if self.order == Order::Relevance {
                    relevance_key(score)
                } else {
                    newest_key(self.created_at.first(doc).unwrap_or(0))
                };
                if self.is_after(key, id_prefix) {
                    self.hits.push((key, id_prefix, doc));
                    self.trim();
                }
            }
            Order::Title => {
                let ord = self
                    .title
                    .as_ref()
                    .and_then(|c| c.term_ords(doc).next())
                    .unwrap_or(0);
                self.hits.push((ord, id_prefix, doc));
            }
        }
    }

    fn harvest(mut self) -> PageFruit {
        let mut facets = Facets::default();
        for (index, (column, counts)) in self.facet_columns.iter().zip(&self.counts).enumerate() {
            let Some(column) = column else { continue };
            let map = facet_map(&mut facets, index);
            let mut term = String::new();
            for (ord, count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
                term.clear();
                if column.ord_to_str(ord as u64, &mut term).unwrap_or(false) {
                    *map.entry(term.clone()).or_default() += count;
                }
            }
        }
        // Ordinals follow the term order within a segment, so sorting by them sorts by title.
        self.hits.sort_unstable();
        let segment = self.segment;
        let address = |doc: DocId| DocAddress::new(segment, doc);
        let candidates = match self.order {
            Order::Relevance | Order::Newest => self
                .hits
                .iter()
                .take(self.want)
                .map(|(key, id_prefix, doc)| Candidate {
                    key: SortKey::Number(*key),
                    id_prefix: *id_prefix,
                    doc: address(*doc),
                })
                .collect(),
            Order::Title => {
                let start = match &self.after {
                    Some((SortKey::Text(after), after_id)) => {
                        // Binary search resolves only about log2(n) titles.
                        self.hits.partition_point(|(ord, id_prefix, _)| {
                            let title = self.title_of(*ord);
                            match title.as_str().cmp(after.as_str()) {
                                Ordering::Less => true,
                                Ordering::Equal => id_prefix <= after_id,
                                Ordering::Greater => false,
                            }
                        })
                    }
                    _ => 0,
                };
                self.hits[start..]
                    .iter()
                    .take(self.want)
                    .map(|(ord, id_prefix, doc)| Candidate {
                        key: SortKey::Text(self.title_of(*ord)),
                        id_prefix: *id_prefix,
                        doc: address(*doc),
                    })
                    .collect()
            }
        };
        PageFruit {
            total: self.total,
            facets,
            candidates,
        }
    }
}
