//! Success policy (upstream `success_policy.go`).

use crate::api::SuccessPolicy;
use crate::controller::indexed_job_utils::OrderedIntervals;

/// Upstream `matchSuccessPolicy`: the message of the first matching rule.
pub fn match_success_policy(
    policy: Option<&SuccessPolicy>,
    completions: u32,
    succeeded: &OrderedIntervals,
) -> Option<String> {
    let policy = policy?;
    if succeeded.is_empty() {
        return None;
    }
    for (index, rule) in policy.rules.iter().enumerate() {
        let matched = if let Some(indexes) = &rule.succeeded_indexes {
            let required = OrderedIntervals::parse(indexes, completions);
            if required.is_empty() {
                continue;
            }
            match_succeeded_indexes_rule(&required, succeeded, rule.succeeded_count)
        } else {
            rule.succeeded_count
                .is_some_and(|c| succeeded.total() >= c.max(0) as u64)
        };
        if matched {
            return Some(format!("Matched rules at index {index}"));
        }
    }
    None
}

/// Upstream `matchSucceededIndexesRule`.
fn match_succeeded_indexes_rule(
    rule: &OrderedIntervals,
    succeeded: &OrderedIntervals,
    count: Option<i32>,
) -> bool {
    let (r, s) = (rule.intervals(), succeeded.intervals());
    let (mut ri, mut si, mut contains) = (0, 0, 0u64);
    while ri < r.len() && si < s.len() {
        let lo = r[ri].first.max(s[si].first);
        let hi = r[ri].last.min(s[si].last);
        if hi >= lo {
            contains += u64::from(hi - lo) + 1;
        }
        match s[si].last.cmp(&r[ri].last) {
            std::cmp::Ordering::Less => si += 1,
            std::cmp::Ordering::Greater => ri += 1,
            std::cmp::Ordering::Equal => {
                si += 1;
                ri += 1;
            }
        }
    }
    contains == rule.total() || count.is_some_and(|c| contains >= c.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::SuccessPolicyRule;

    fn policy(rules: &[(Option<&str>, Option<i32>)]) -> SuccessPolicy {
        SuccessPolicy {
            rules: rules
                .iter()
                .map(|(i, c)| SuccessPolicyRule {
                    succeeded_indexes: i.map(str::to_string),
                    succeeded_count: *c,
                })
                .collect(),
        }
    }

    // success_policy_test.go TestMatchSuccessPolicy cases.
    #[test]
    fn rules_match_like_upstream() {
        let s = |v: &[u32]| OrderedIntervals::from_indexes(v.iter().copied());
        assert_eq!(
            match_success_policy(Some(&policy(&[(Some("0-2"), None)])), 10, &s(&[])),
            None
        );
        assert_eq!(
            match_success_policy(Some(&policy(&[(Some("0-2"), None)])), 10, &s(&[0, 1, 2, 5]))
                .as_deref(),
            Some("Matched rules at index 0")
        );
        assert_eq!(
            match_success_policy(Some(&policy(&[(Some("0-2"), None)])), 10, &s(&[0, 2])),
            None
        );
        assert_eq!(
            match_success_policy(Some(&policy(&[(Some("0-4"), Some(2))])), 10, &s(&[1, 7])),
            None,
            "only one of the listed indexes succeeded"
        );
        assert_eq!(
            match_success_policy(
                Some(&policy(&[(Some("9"), None), (None, Some(2))])),
                10,
                &s(&[1, 7])
            )
            .as_deref(),
            Some("Matched rules at index 1")
        );
        // an unparseable rule is skipped
        assert_eq!(
            match_success_policy(Some(&policy(&[(Some("x"), None)])), 10, &s(&[0])),
            None
        );
    }
}
