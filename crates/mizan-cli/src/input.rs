//! Reading command inputs: files (or stdin) and JSON arguments.

use crate::Failure;
use std::io::Read;

/// A file argument read into memory, with the name to show in messages.
pub struct InputFile {
    /// `<stdin>` or the path as given.
    pub display: String,
    /// The text.
    pub text: String,
}

/// Reads `path`; `-` and `/dev/stdin` read standard input.
pub fn read_file(path: &str) -> Result<InputFile, Failure> {
    if path == "-" || path == "/dev/stdin" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::Usage(format!("cannot read standard input: {e}")))?;
        return Ok(InputFile {
            display: "<stdin>".into(),
            text,
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("cannot read `{path}`: {e}")))?;
    Ok(InputFile {
        display: path.to_owned(),
        text,
    })
}

/// Parses a JSON argument, naming the flag in the error.
pub fn json_arg(flag: &str, text: &str) -> Result<serde_json::Value, Failure> {
    serde_json::from_str(text).map_err(|e| Failure::Usage(format!("{flag} is not valid JSON: {e}")))
}
