//! The search box's fuzzy match: the query's characters in order, case
//! insensitive, anywhere in the name (`rnm` finds `rename`). Scores favour
//! prefixes, runs of consecutive characters and word starts, so the best
//! matches come first.

/// The score of `query` against `text`, `None` when it does not match. An
/// empty query matches everything with score 0.
pub fn score(query: &str, text: &str) -> Option<i32> {
    let query: Vec<char> = query
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if query.is_empty() {
        return Some(0);
    }
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let mut score = 0;
    let mut qi = 0;
    let mut previous: Option<usize> = None;
    for (ti, &c) in text.iter().enumerate() {
        if qi == query.len() {
            break;
        }
        if c != query[qi] {
            continue;
        }
        score += 1;
        if ti == 0 {
            score += 8;
        } else if matches!(text[ti - 1], '_' | '-' | ':' | '.') {
            score += 5;
        }
        if previous.is_some_and(|p| p + 1 == ti) {
            score += 4;
        }
        previous = Some(ti);
        qi += 1;
    }
    (qi == query.len()).then(|| score - text.len() as i32 / 8)
}

/// `items` filtered by `query` on `name`, best first (stable for ties;
/// unchanged order for an empty query).
pub fn filter<T>(query: &str, items: impl IntoIterator<Item = T>, name: impl Fn(&T) -> &str) -> Vec<T> {
    let mut scored: Vec<(i32, T)> = items
        .into_iter()
        .filter_map(|item| score(query, name(&item)).map(|s| (s, item)))
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0));
    scored.into_iter().map(|(_, item)| item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsequences_match_in_order() {
        assert!(score("rnm", "rename").is_some());
        assert!(score("mnr", "rename").is_none());
        assert_eq!(score("", "anything"), Some(0));
        assert!(score("USER", "user_profile").is_some());
    }

    #[test]
    fn prefixes_and_runs_rank_first() {
        let names = ["set_user_name", "user_orders", "unread_count"];
        let found = filter("user", names, |n| n);
        assert_eq!(found[0], "user_orders");
        assert_eq!(found.len(), 2);
    }
}
