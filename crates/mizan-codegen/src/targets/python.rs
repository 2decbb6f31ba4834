//! Target `python`: a typed client package (httpx; blocking and asyncio).
//!
//! | file | contents |
//! |---|---|
//! | `__init__.py` | re-exports the clients, `MizanError`, the models and context data classes |
//! | `_kernel.py` | the runtime: `MizanError`, JSON decoders, httpx transports, session/CSRF, retries |
//! | `models.py` | the IR's named types: frozen dataclasses (`from_json`/`to_json`), `Literal` enums, aliases |
//! | `client.py` | `<Ctx>Data` classes, `MizanClient` and `AsyncMizanClient` (one method per function, `fetch_<ctx>_context`) |
//! | `py.typed` | PEP 561 marker: the package is typed |
//!
//! The output folder is the package; it passes `mypy --strict` and needs
//! Python 3.10+ and httpx.

use askama::Template;
use mizan_core::ir::Ir;

use super::python_model::PyModel;
use super::rust::file;
use super::{GeneratedFile, Options, header_comment};
use crate::error::{Error, Result};

#[derive(Template)]
#[template(path = "python/_kernel.py", escape = "none")]
struct KernelPy<'a> {
    header: &'a str,
}

#[derive(Template)]
#[template(path = "python/models.py", escape = "none")]
struct ModelsPy<'a> {
    header: &'a str,
    m: &'a PyModel,
}

#[derive(Template)]
#[template(path = "python/client.py", escape = "none")]
struct ClientPy<'a> {
    header: &'a str,
    m: &'a PyModel,
}

#[derive(Template)]
#[template(path = "python/__init__.py", escape = "none")]
struct InitPy<'a> {
    header: &'a str,
    m: &'a PyModel,
}

#[derive(Template)]
#[template(path = "python/py.typed", escape = "none")]
struct PyTyped<'a> {
    header: &'a str,
}

/// Renders the five files of the `python` target.
pub fn render(ir: &Ir, options: &Options) -> Result<Vec<GeneratedFile>> {
    let m = &PyModel::new(ir, &options.base_url)?;
    let header = header_comment("#");
    let header = header.as_str();
    let err = |e: askama::Error| Error::render("python", e);
    Ok(vec![
        file("__init__.py", InitPy { header, m }.render().map_err(err)?),
        file("_kernel.py", KernelPy { header }.render().map_err(err)?),
        file("client.py", ClientPy { header, m }.render().map_err(err)?),
        file("models.py", ModelsPy { header, m }.render().map_err(err)?),
        file("py.typed", PyTyped { header }.render().map_err(err)?),
    ])
}
