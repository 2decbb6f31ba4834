//! Target `ts`: the framework-independent TypeScript client.
//!
//! | file | contents |
//! |---|---|
//! | `kernel.ts` | the runtime: reconciled state, subscriptions, batching, merges, retries, `MizanError` (no I/O) |
//! | `transport.ts` | `httpTransport` (with its WebSocket) and `tauriTransport` (with its push channel) |
//! | `websocket.ts` | `MizanSocket`: the `{base}/ws/` connection (requests, pushes, auth, reconnection) |
//! | `types.ts` | the IR's named types |
//! | `client.ts` | `Args`/`Result`/`Params`/`Data` types, `Api`, `schema`, `createMizanClient`, `call…`, `fetch…Context` |
//! | `index.ts` | re-exports the other five |

use askama::Template;
use mizan_core::ir::Ir;

use super::ts_model::{TsModel, json_str};
use super::{GeneratedFile, Options, header_comment};
use crate::error::{Error, Result};

#[derive(Template)]
#[template(path = "ts/kernel.ts", escape = "none")]
struct KernelTs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "ts/transport.ts", escape = "none")]
struct TransportTs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "ts/websocket.ts", escape = "none")]
struct WebsocketTs<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "ts/types.ts", escape = "none")]
struct TypesTs<'a> {
    header: &'a str,
    m: &'a TsModel,
}

#[derive(Template)]
#[template(path = "ts/client.ts", escape = "none")]
struct ClientTs<'a> {
    header: &'a str,
    m: &'a TsModel,
    base_url: String,
}

#[derive(Template)]
#[template(path = "ts/index.ts", escape = "none")]
struct IndexTs<'a> {
    header: &'a str,
}

/// Renders the six files of the `ts` target.
pub fn render(ir: &Ir, options: &Options) -> Result<Vec<GeneratedFile>> {
    let model = TsModel::new(ir)?;
    render_model(&model, options)
}

/// Renders from a prepared model (the framework targets share one).
pub(crate) fn render_model(m: &TsModel, options: &Options) -> Result<Vec<GeneratedFile>> {
    let header = header_comment("//");
    let header = header.as_str();
    let err = |e: askama::Error| Error::render("ts", e);
    Ok(vec![
        file("kernel.ts", KernelTs { header }.render().map_err(err)?),
        file("transport.ts", TransportTs { header }.render().map_err(err)?),
        file("websocket.ts", WebsocketTs { header }.render().map_err(err)?),
        file("types.ts", TypesTs { header, m }.render().map_err(err)?),
        file(
            "client.ts",
            ClientTs {
                header,
                m,
                base_url: json_str(&options.base_url),
            }
            .render()
            .map_err(err)?,
        ),
        file("index.ts", IndexTs { header }.render().map_err(err)?),
    ])
}

/// A generated file with exactly one trailing newline.
pub(crate) fn file(path: &str, mut contents: String) -> GeneratedFile {
    let trimmed = contents.trim_end_matches('\n').len();
    contents.truncate(trimmed);
    contents.push('\n');
    GeneratedFile::new(path, contents)
}
