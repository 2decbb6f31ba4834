//! Start-up timing for `scripts/bench-studio`: tells the backend when the
//! UI painted its first frame (`shell`) and its first frame holding the
//! backend's first answer (`content`). A frame has been painted once the
//! callback of the *second* `requestAnimationFrame` after the DOM change
//! runs (the first runs just before that paint). The backend ignores the
//! reports unless the app was started with `MIZAN_STUDIO_TIMING`.

use leptos::prelude::*;

use crate::api::{self, UiPaintedArgs};

/// Reports the first paint now and the first paint after `has_content`
/// turns true.
pub fn report_first_paints(has_content: impl Fn() -> bool + Send + Sync + 'static) {
    let painted = api::use_ui_painted();
    let report = move |stage: &'static str| {
        after_next_paint(move || {
            painted.dispatch(UiPaintedArgs { stage: stage.into() });
        })
    };
    report("shell");
    let done = StoredValue::new(false);
    Effect::new(move |_| {
        if has_content() && !done.get_value() {
            done.set_value(true);
            report("content");
        }
    });
}

fn after_next_paint(f: impl FnOnce() + 'static) {
    request_animation_frame(move || request_animation_frame(f));
}
