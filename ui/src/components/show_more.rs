//! "Show N more of TOTAL": long lists (a 2,000-function project's rows,
//! hundreds of problems) draw a page at a time.

use leptos::prelude::*;

/// How many of `total` rows to draw, given the current `limit`.
pub fn drawn(total: usize, limit: usize) -> usize {
    limit.min(total)
}

/// The button that draws `page` more rows (nothing when all are drawn).
#[component]
pub fn ShowMore(total: usize, limit: RwSignal<usize>, page: usize, testid: &'static str) -> impl IntoView {
    let shown = drawn(total, limit.get_untracked());
    (total > shown).then(|| {
        view! {
            <button class="link list-more small" data-testid=testid on:click=move |_| limit.update(|l| *l += page)>
                {format!("Show {} more of {total}", (total - shown).min(page))}
            </button>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_rows_than_there_are() {
        assert_eq!(drawn(30, 100), 30);
        assert_eq!(drawn(1000, 100), 100);
    }
}
