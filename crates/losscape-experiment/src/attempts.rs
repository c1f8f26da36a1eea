//! The keys and details of search attempts and basin-hopping records in the database's
//! attempts table.
//!
//! One type for the key ([`SearchKey`]: `pair-A-B`, `mode-M-K±`, `census-R-B`, `closure-P-N`)
//! and one for the
//! JSON detail ([`SearchDetail`]), used by the code that records attempts and by the code that
//! reads them back; the same for basin-hopping's records ([`OriginDetail`], [`ChainDetail`]).
//! The texts are those of databases written before these types (schema v3), so old databases
//! resume unchanged.

use std::fmt;
use std::str::FromStr;

use losscape_ts::{Attempt, AttemptOutcome, MinId};
use serde::{Deserialize, Serialize};

/// The key of a search attempt (a [`Attempt`] of `losscape-ts`) as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SearchKey(pub(crate) Attempt);

impl fmt::Display for SearchKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Attempt::Pair { a, b } => write!(f, "pair-{a}-{b}"),
            Attempt::Mode {
                minimum,
                mode,
                positive,
            } => write!(
                f,
                "mode-{minimum}-{mode}{}",
                if positive { '+' } else { '-' }
            ),
            Attempt::Census { round, batch } => write!(f, "census-{round}-{batch}"),
            Attempt::Closure { point, pass } => write!(f, "closure-{point}-{pass}"),
        }
    }
}

/// A text that is not a search attempt's key (a stage marker, a round record, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotASearchKey;

impl FromStr for SearchKey {
    type Err = NotASearchKey;

    fn from_str(s: &str) -> Result<Self, NotASearchKey> {
        let two = |rest: &str| -> Option<(u64, u64)> {
            let (x, y) = rest.split_once('-')?;
            Some((x.parse().ok()?, y.parse().ok()?))
        };
        let attempt = if let Some(rest) = s.strip_prefix("pair-") {
            two(rest).map(|(a, b)| Attempt::Pair {
                a: a as MinId,
                b: b as MinId,
            })
        } else if let Some(rest) = s.strip_prefix("census-") {
            two(rest).map(|(round, batch)| Attempt::Census {
                round: round as usize,
                batch: batch as usize,
            })
        } else if let Some(rest) = s.strip_prefix("closure-") {
            two(rest).map(|(point, pass)| Attempt::Closure { point, pass })
        } else if let Some(rest) = s.strip_prefix("mode-") {
            let positive = rest.ends_with('+');
            let body = rest.strip_suffix(['+', '-']);
            body.and_then(two).map(|(minimum, mode)| Attempt::Mode {
                minimum: minimum as MinId,
                mode: mode as usize,
                positive,
            })
        } else {
            None
        };
        attempt.map(SearchKey).ok_or(NotASearchKey)
    }
}

impl SearchKey {
    /// The two minima of a pair attempt's key.
    pub(crate) fn pair(key: &str) -> Option<(MinId, MinId)> {
        match key.parse() {
            Ok(SearchKey(Attempt::Pair { a, b })) => Some((a, b)),
            _ => None,
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The outcome column of a search attempt.
pub(crate) fn search_outcome(outcome: &AttemptOutcome) -> &'static str {
    if outcome.transition_states > 0 {
        "connected"
    } else {
        "no transition state"
    }
}

/// The JSON detail of a search attempt. Fields in alphabetical order: the text is that of the
/// map the detail used to be written as.
/// Missing fields read as 0 or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct SearchDetail {
    /// Candidates tried.
    pub(crate) candidates: usize,
    /// Why candidates failed, one line each.
    pub(crate) failures: Vec<String>,
    /// Points (minima, transition states, census points) the attempt stored.
    pub(crate) new_points: usize,
    /// Ids of the census points the attempt's searches ended at, one per search that reached
    /// one (saddle-to-saddle searches only; absent from other attempts' text).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) reached: Vec<u64>,
    /// Searches run (saddle-to-saddle searches only; absent from other attempts' text).
    #[serde(skip_serializing_if = "is_zero")]
    pub(crate) searches: usize,
    /// Verified transition states stored.
    pub(crate) transition_states: usize,
}

impl SearchDetail {
    /// The detail of `outcome`, which stored `new_points` points.
    pub(crate) fn new(outcome: &AttemptOutcome, new_points: usize) -> Self {
        Self {
            candidates: outcome.candidates,
            failures: outcome.failures.clone(),
            new_points,
            reached: outcome.reached.clone(),
            searches: outcome.searches,
            transition_states: outcome.transition_states,
        }
    }

    /// As stored.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serialises")
    }

    /// A stored detail; `None` for a text that is not one.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

/// The record of the basin-hopping origin (the quench-free point w = 0, key `origin`).
///
/// Fields are in alphabetical order, the order of the JSON maps older versions wrote, so the
/// stored text is unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct OriginDetail {
    /// Energy of w = 0.
    pub energy: f64,
    /// Its Hessian index.
    pub index: usize,
    /// In a chain shard: the ids of the minima this unit stored (see [`ChainDetail`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minima_stored: Option<Vec<i64>>,
}

/// The record of one basin-hopping chain (key `chain-N`): what the chain did, for the run
/// summary, and in a chain shard the minima it stored, for the merge.
///
/// Fields are in alphabetical order, the order of the JSON maps older versions wrote, so the
/// stored text is unchanged. Every field has a default, so records of versions that wrote
/// fewer fields (no `evaluations` or `first_failure`) still read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct ChainDetail {
    /// Accepted steps.
    pub accepted: usize,
    /// Distinct minima the chain found (before the store's identity check).
    pub distinct_minima: usize,
    /// Energy + gradient evaluations.
    pub evaluations: usize,
    /// Quenches that did not converge.
    pub failed_quenches: usize,
    /// The first failed quench's reason, if any.
    pub first_failure: Option<String>,
    /// In a chain shard: the ids of the minima this chain stored, in storing order (absent in
    /// a whole run, where the store's identity check decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minima_stored: Option<Vec<i64>>,
    /// Candidates the store refused (failed verification).
    pub rejected: usize,
    /// Basin-hopping steps taken (one quench each).
    pub steps: usize,
}

/// A basin-hopping record of a chain shard, as the merge reads it: the origin or a chain.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BasinHoppingDetail {
    /// Key `origin`.
    Origin(OriginDetail),
    /// Key `chain-N`.
    Chain(ChainDetail),
}

impl BasinHoppingDetail {
    /// Reads the detail of the record with `key`; `None` if the key is neither the origin nor
    /// a chain, or the text is not such a record.
    pub(crate) fn parse(key: &str, text: &str) -> Option<Self> {
        if key == "origin" {
            serde_json::from_str(text).ok().map(Self::Origin)
        } else {
            serde_json::from_str(text).ok().map(Self::Chain)
        }
    }

    /// Takes out the ids of the minima the unit stored (a chain shard's records carry them).
    pub(crate) fn take_minima_stored(&mut self) -> Option<Vec<i64>> {
        match self {
            Self::Origin(d) => d.minima_stored.take(),
            Self::Chain(d) => d.minima_stored.take(),
        }
    }

    /// The stored text.
    pub(crate) fn to_json(&self) -> String {
        let text = match self {
            Self::Origin(d) => serde_json::to_string(d),
            Self::Chain(d) => serde_json::to_string(d),
        };
        text.expect("plain records serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_read_as_before() {
        let cases = [
            (Attempt::pair(17, 3), "pair-3-17"),
            (
                Attempt::Mode {
                    minimum: 4,
                    mode: 1,
                    positive: true,
                },
                "mode-4-1+",
            ),
            (
                Attempt::Mode {
                    minimum: 12,
                    mode: 0,
                    positive: false,
                },
                "mode-12-0-",
            ),
            (Attempt::Census { round: 2, batch: 9 }, "census-2-9"),
        ];
        for (attempt, text) in cases {
            assert_eq!(SearchKey(attempt).to_string(), text);
            assert_eq!(text.parse(), Ok(SearchKey(attempt)));
        }
        assert_eq!(SearchKey::pair("pair-3-17"), Some((3, 17)));
        assert_eq!(SearchKey::pair("mode-4-1+"), None);
        for other in [
            "origin",
            "chain-3",
            "2-survey-start",
            "pair-3",
            "mode-1-2",
            "",
        ] {
            assert_eq!(other.parse::<SearchKey>(), Err(NotASearchKey), "{other}");
        }
    }

    /// A detail as the earlier code wrote it (a `serde_json::json!` map) parses, and the type
    /// writes the very same text.
    #[test]
    fn details_written_the_old_way_parse_and_are_written_identically() {
        let outcome = AttemptOutcome {
            candidates: 14,
            transition_states: 2,
            failures: vec!["ef: transition state already found in this attempt".into()],
            ..AttemptOutcome::default()
        };
        let old = serde_json::json!({
            "candidates": outcome.candidates,
            "transition_states": outcome.transition_states,
            "new_points": 5,
            "failures": outcome.failures,
        })
        .to_string();
        let detail = SearchDetail::new(&outcome, 5);
        assert_eq!(detail.to_json(), old);
        assert_eq!(SearchDetail::parse(&old), Some(detail));
        // A text from a schema-v3 database of the quick sweep (key `mode-1-1+`).
        let stored = r#"{"candidates":1,"failures":[],"new_points":0,"transition_states":1}"#;
        let parsed = SearchDetail::parse(stored).unwrap();
        assert_eq!((parsed.candidates, parsed.transition_states), (1, 1));
        assert_eq!(parsed.to_json(), stored);
        assert_eq!(SearchDetail::parse("{}"), Some(SearchDetail::default()));
        assert_eq!(SearchDetail::parse("12"), None);
    }

    /// The records of basin-hopping read and write the text older versions wrote with `json!`
    /// (so databases and chain shards written before the types resume and merge unchanged).
    #[test]
    fn basin_hopping_details_keep_the_old_text() {
        let old_chain = serde_json::json!({
            "steps": 40, "accepted": 31, "distinct_minima": 3, "rejected": 1,
            "failed_quenches": 2, "first_failure": "did not converge", "evaluations": 5123,
        })
        .to_string();
        let mut d = BasinHoppingDetail::parse("chain-3", &old_chain).expect("a chain record");
        assert_eq!(d.to_json(), old_chain);
        let mut with_ids = serde_json::from_str::<serde_json::Value>(&old_chain).unwrap();
        with_ids["minima_stored"] = serde_json::json!([4, 7]);
        let mut shard = BasinHoppingDetail::parse("chain-3", &with_ids.to_string()).unwrap();
        assert_eq!(shard.to_json(), with_ids.to_string());
        assert_eq!(shard.take_minima_stored(), Some(vec![4, 7]));
        assert_eq!(
            shard.to_json(),
            old_chain,
            "without the ids, the whole run's text"
        );
        assert_eq!(d.take_minima_stored(), None);

        let old_origin =
            serde_json::json!({ "index": 0, "energy": std::f64::consts::LN_2 }).to_string();
        let origin = BasinHoppingDetail::parse("origin", &old_origin).expect("an origin record");
        assert_eq!(origin.to_json(), old_origin);
        assert!(BasinHoppingDetail::parse("origin", &old_chain).is_none());
        let older =
            r#"{"accepted":3,"distinct_minima":1,"failed_quenches":0,"rejected":0,"steps":9}"#;
        match BasinHoppingDetail::parse("chain-1", older) {
            Some(BasinHoppingDetail::Chain(c)) => assert_eq!((c.steps, c.first_failure), (9, None)),
            other => panic!("an older chain record reads: {other:?}"),
        }
    }
}
