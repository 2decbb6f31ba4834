//! Targets `react`, `vue` and `svelte`: one file each, thin idiomatic
//! wrappers over the `ts` target's kernel and typed client (which the config
//! always generates alongside them).
//!
//! | target | file | surface |
//! |---|---|---|
//! | `react` | `react.tsx` | `<MizanContext>`, `useMizan()`, `useMizanStatus()`, `<…Provider>` + `use…Context()` per context, a hook per member, `use…()` mutation hooks `{mutate, isPending, error}` |
//! | `vue` | `vue.ts` | `provideMizan()`, `useMizan()`, `useMizanStatus()` (a ref), `provide…Context()` + `use…Context()` returning refs, member and mutation composables |
//! | `svelte` | `svelte.svelte.ts` | `setMizanClient()`, `useMizan()`, `useMizanStatus()` (`.current` on `$state`), `set…Context()` + `use…Context()` on `$state`/`$derived`, member and mutation functions |

use askama::Template;
use mizan_core::ir::Ir;

use super::ts::file;
use super::ts_model::{Names, TsModel};
use super::{GeneratedFile, header_comment};
use crate::error::{Error, Result};

#[derive(Template)]
#[template(path = "react/react.tsx", escape = "none")]
struct ReactTsx<'a> {
    header: &'a str,
    m: &'a TsModel,
}

#[derive(Template)]
#[template(path = "vue/vue.ts", escape = "none")]
struct VueTs<'a> {
    header: &'a str,
    m: &'a TsModel,
}

#[derive(Template)]
#[template(path = "svelte/svelte.svelte.ts", escape = "none")]
struct SvelteTs<'a> {
    header: &'a str,
    m: &'a TsModel,
}

/// Target `react`: `react.tsx`.
pub fn react(ir: &Ir) -> Result<Vec<GeneratedFile>> {
    let m = TsModel::new(ir)?;
    check_names(
        &m,
        "react",
        &[
            "MizanContext",
            "MizanContextProps",
            "useMizan",
            "useMizanStatus",
            "QueryResult",
            "MutationResult",
        ],
        |c| {
            vec![
                format!("{c}Provider"),
                format!("{c}ProviderProps"),
                format!("use{c}Context"),
            ]
        },
    )?;
    let header = header_comment("//");
    let text = ReactTsx { header: &header, m: &m }
        .render()
        .map_err(|e| Error::render("react", e))?;
    Ok(vec![file("react.tsx", text)])
}

/// Target `vue`: `vue.ts`.
pub fn vue(ir: &Ir) -> Result<Vec<GeneratedFile>> {
    let m = TsModel::new(ir)?;
    check_names(
        &m,
        "vue",
        &[
            "provideMizan",
            "useMizan",
            "useMizanStatus",
            "QueryRefs",
            "MutationRefs",
        ],
        |c| vec![format!("provide{c}Context"), format!("use{c}Context")],
    )?;
    let header = header_comment("//");
    let text = VueTs { header: &header, m: &m }
        .render()
        .map_err(|e| Error::render("vue", e))?;
    Ok(vec![file("vue.ts", text)])
}

/// Target `svelte`: `svelte.svelte.ts` (runes need the `.svelte.ts` suffix).
pub fn svelte(ir: &Ir) -> Result<Vec<GeneratedFile>> {
    let m = TsModel::new(ir)?;
    check_names(
        &m,
        "svelte",
        &[
            "setMizanClient",
            "useMizan",
            "useMizanStatus",
            "ConnectionState",
            "MaybeGetter",
            "QueryState",
            "MutationState",
        ],
        |c| vec![format!("set{c}Context"), format!("use{c}Context")],
    )?;
    let header = header_comment("//");
    let text = SvelteTs { header: &header, m: &m }
        .render()
        .map_err(|e| Error::render("svelte", e))?;
    Ok(vec![file("svelte.svelte.ts", text)])
}

/// The adapter's exports must be unique: `use<Ctx>Context` could meet a
/// function called `<ctx>_context`, and so on.
fn check_names(
    m: &TsModel,
    target: &'static str,
    fixed: &[&str],
    per_context: impl Fn(&str) -> Vec<String>,
) -> Result<()> {
    let mut names = Names::default();
    let wrap = |e: Error| match e {
        Error::Render { message, .. } => Error::Render { target, message },
        other => other,
    };
    for n in fixed {
        names.add((*n).to_string(), "the adapter").map_err(wrap)?;
    }
    for c in &m.contexts {
        let origin = format!("context `{}`", c.name);
        for n in per_context(&c.pascal) {
            names.add(n, &origin).map_err(wrap)?;
        }
        for mb in &c.members {
            names
                .add(format!("use{}", mb.pascal), &format!("function `{}`", mb.name))
                .map_err(wrap)?;
        }
    }
    for f in m.functions.iter().filter(|f| f.callable && f.context.is_none()) {
        names
            .add(format!("use{}", f.pascal), &format!("function `{}`", f.name))
            .map_err(wrap)?;
    }
    Ok(())
}
