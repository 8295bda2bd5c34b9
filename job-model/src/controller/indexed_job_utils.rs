//! Completion-index bookkeeping (upstream `indexed_job_utils.go`): the interval lists
//! behind `status.completedIndexes` / `status.failedIndexes`.

use std::fmt;

/// A closed interval of completion indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// First index.
    pub first: u32,
    /// Last index (inclusive).
    pub last: u32,
}

/// Sorted, non-overlapping, non-adjacent intervals (upstream `orderedIntervals`).
///
/// ```
/// use job_model::controller::indexed_job_utils::OrderedIntervals;
/// let oi = OrderedIntervals::from_indexes([1, 3, 4, 5, 7]);
/// assert_eq!(oi.to_string(), "1,3-5,7");
/// assert_eq!(OrderedIntervals::from_indexes([4, 5]).to_string(), "4,5");
/// assert!(oi.has(4) && !oi.has(6));
/// assert_eq!(oi.total(), 5);
/// assert_eq!(OrderedIntervals::parse("0-2,9", 5).to_string(), "0-2");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderedIntervals(Vec<Interval>);

impl OrderedIntervals {
    /// No indexes.
    pub fn new() -> Self {
        OrderedIntervals(Vec::new())
    }

    /// The set of `indexes` (any order, duplicates allowed).
    pub fn from_indexes(indexes: impl IntoIterator<Item = u32>) -> Self {
        let mut v: Vec<u32> = indexes.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        OrderedIntervals::new().with_ordered_indexes(&v)
    }

    /// Upstream `parseIndexesFromString`: tolerant parsing of "a-b,c"; corrupt items are
    /// skipped, intervals are truncated at `completions - 1`, and parsing stops at the
    /// first interval starting at or beyond `completions`.
    pub fn parse(text: &str, completions: u32) -> Self {
        let mut result: Vec<Interval> = Vec::new();
        if text.is_empty() {
            return OrderedIntervals(result);
        }
        for item in text.split(',') {
            let mut limits = item.split('-');
            let Some(Ok(first)) = limits.next().map(str::parse::<u32>) else {
                continue;
            };
            if first >= completions {
                break;
            }
            let last = match limits.next() {
                Some(l) => match l.parse::<u32>() {
                    Ok(l) => l.min(completions - 1),
                    Err(_) => continue,
                },
                None => first,
            };
            match result.last_mut() {
                Some(prev) if prev.last + 1 == first => prev.last = last,
                _ => result.push(Interval { first, last }),
            }
        }
        OrderedIntervals(result)
    }

    /// Strict parsing for validation: every item must be `a` or `a-b` with `a <= b`,
    /// items ordered and non-overlapping, all below `completions`.
    pub fn parse_strict(text: &str, completions: u32) -> Result<Self, String> {
        let mut result: Vec<Interval> = Vec::new();
        if text.is_empty() {
            return Ok(OrderedIntervals(result));
        }
        for item in text.split(',') {
            let mut limits = item.splitn(2, '-');
            let parse = |s: Option<&str>| -> Result<u32, String> {
                s.and_then(|s| s.parse::<u32>().ok()).ok_or_else(|| {
                    format!(
                        "cannot convert string to integer for index: {:?}",
                        s.unwrap_or("")
                    )
                })
            };
            let first = parse(limits.next())?;
            let last = match limits.next() {
                Some(l) => parse(Some(l))?,
                None => first,
            };
            if last < first {
                return Err(format!(
                    "lastIndex({last}) is smaller than firstIndex({first})"
                ));
            }
            if last >= completions {
                return Err(format!("too large index: {last}"));
            }
            if let Some(prev) = result.last()
                && prev.last >= first
            {
                return Err(format!("overlapping indexes: {first}"));
            }
            result.push(Interval { first, last });
        }
        Ok(OrderedIntervals(result).normalized())
    }

    fn normalized(self) -> Self {
        OrderedIntervals::new().merge(&self)
    }

    /// Makes `self` a copy of `other`, reusing `self`'s buffer.
    pub fn assign(&mut self, other: &OrderedIntervals) {
        self.0.clear();
        self.0.extend_from_slice(&other.0);
    }

    /// Upstream `withOrderedIndexes`: adds sorted indexes.
    pub fn with_ordered_indexes(&self, new_indexes: &[u32]) -> Self {
        let other: Vec<Interval> = new_indexes
            .iter()
            .map(|&i| Interval { first: i, last: i })
            .collect();
        self.merge(&OrderedIntervals(other))
    }

    /// Upstream `merge`: the union of two interval lists.
    pub fn merge(&self, other: &OrderedIntervals) -> Self {
        let mut result: Vec<Interval> = Vec::with_capacity(self.0.len() + other.0.len());
        let mut push = |iv: Interval| match result.last_mut() {
            Some(last) if iv.first <= last.last.saturating_add(1) => {
                last.last = last.last.max(iv.last)
            }
            _ => result.push(iv),
        };
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            if self.0[i].first < other.0[j].first {
                push(self.0[i]);
                i += 1;
            } else {
                push(other.0[j]);
                j += 1;
            }
        }
        self.0[i..]
            .iter()
            .chain(&other.0[j..])
            .for_each(|&iv| push(iv));
        OrderedIntervals(result)
    }

    /// Adds one index in place (O(log n) search).
    pub fn insert(&mut self, ix: u32) -> bool {
        if self.has(ix) {
            return false;
        }
        let pos = self.0.partition_point(|iv| iv.last < ix);
        let joins_prev = pos > 0 && self.0[pos - 1].last + 1 == ix;
        let joins_next = pos < self.0.len() && self.0[pos].first == ix + 1;
        match (joins_prev, joins_next) {
            (true, true) => {
                self.0[pos - 1].last = self.0[pos].last;
                self.0.remove(pos);
            }
            (true, false) => self.0[pos - 1].last = ix,
            (false, true) => self.0[pos].first = ix,
            (false, false) => self.0.insert(
                pos,
                Interval {
                    first: ix,
                    last: ix,
                },
            ),
        }
        true
    }

    /// Whether `ix` is in the set (binary search, as upstream `has`).
    pub fn has(&self, ix: u32) -> bool {
        let pos = self.0.partition_point(|iv| iv.last < ix);
        pos < self.0.len() && self.0[pos].first <= ix
    }

    /// Number of indexes.
    pub fn total(&self) -> u64 {
        self.0
            .iter()
            .map(|iv| u64::from(iv.last - iv.first) + 1)
            .sum()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The intervals.
    pub fn intervals(&self) -> &[Interval] {
        &self.0
    }

    /// The indexes below `completions` (upstream re-parses the status string with the
    /// current completions, which drops indexes an elastic scale-down removed).
    pub fn truncated(&self, completions: u32) -> std::borrow::Cow<'_, OrderedIntervals> {
        match self.0.last() {
            Some(last) if last.last >= completions => {
                let v = self
                    .0
                    .iter()
                    .filter(|iv| iv.first < completions)
                    .map(|iv| Interval {
                        first: iv.first,
                        last: iv.last.min(completions.saturating_sub(1)),
                    })
                    .collect();
                std::borrow::Cow::Owned(OrderedIntervals(v))
            }
            _ => std::borrow::Cow::Borrowed(self),
        }
    }

    /// Every index, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().flat_map(|iv| iv.first..=iv.last)
    }
}

/// Upstream `orderedIntervals.String()`: runs of three or more are written `a-b`, a run
/// of two as `a,b`.
impl fmt::Display for OrderedIntervals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, iv) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", iv.first)?;
            if iv.last > iv.first {
                let sep = if iv.last == iv.first + 1 { ',' } else { '-' };
                write!(f, "{sep}{}", iv.last)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_form_matches_upstream_examples() {
        let s = |v: &[u32]| OrderedIntervals::from_indexes(v.iter().copied()).to_string();
        assert_eq!(s(&[0, 1, 2]), "0-2");
        assert_eq!(s(&[1, 3, 4, 5, 7]), "1,3-5,7");
        assert_eq!(s(&[4, 5]), "4,5");
        assert_eq!(s(&[2, 4, 5, 7, 8, 9]), "2,4,5,7-9");
        assert_eq!(s(&[]), "");
    }

    #[test]
    fn parse_is_tolerant_like_upstream() {
        assert_eq!(OrderedIntervals::parse("0-2,x,5", 10).to_string(), "0-2,5");
        assert_eq!(OrderedIntervals::parse("0-2,3-4", 10).to_string(), "0-4");
        assert_eq!(OrderedIntervals::parse("0-20", 10).to_string(), "0-9");
        assert_eq!(OrderedIntervals::parse("12,1", 10).to_string(), "");
    }

    #[test]
    fn strict_parse_rejects_what_validation_rejects() {
        assert!(OrderedIntervals::parse_strict("0-2,4", 10).is_ok());
        assert!(OrderedIntervals::parse_strict("3-1", 10).is_err());
        assert!(OrderedIntervals::parse_strict("1,1", 10).is_err());
        assert!(OrderedIntervals::parse_strict("10", 10).is_err());
        assert!(OrderedIntervals::parse_strict("a", 10).is_err());
    }

    #[test]
    fn insert_merges_neighbours() {
        let mut oi = OrderedIntervals::from_indexes([1, 3]);
        assert!(oi.insert(2));
        assert_eq!(oi.to_string(), "1-3");
        assert!(!oi.insert(2));
        oi.insert(0);
        oi.insert(7);
        oi.insert(5);
        assert_eq!(oi.to_string(), "0-3,5,7");
        oi.insert(6);
        assert_eq!(oi.to_string(), "0-3,5-7");
    }

    #[test]
    fn insert_agrees_with_merge_on_random_sets() {
        let mut x: u64 = 12345;
        for _ in 0..200 {
            let mut oi = OrderedIntervals::new();
            let mut all = Vec::new();
            for _ in 0..30 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let ix = ((x >> 33) % 40) as u32;
                oi.insert(ix);
                all.push(ix);
            }
            assert_eq!(oi, OrderedIntervals::from_indexes(all));
        }
    }

    #[test]
    fn truncation_drops_indexes_beyond_completions() {
        let oi = OrderedIntervals::from_indexes([0, 1, 2, 5, 6, 9]);
        assert_eq!(oi.truncated(6).to_string(), "0-2,5");
        assert_eq!(oi.truncated(10).to_string(), oi.to_string());
    }
}
