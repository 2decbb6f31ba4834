//! What the desktop shell lends the studio: a native folder picker and the
//! paths dropped on its window. This crate knows no window, so the shell
//! (`src-tauri`) implements [`FolderPicker`] over its dialog plugin and
//! hands it to [`Studio::set_folder_picker`](crate::Studio::set_folder_picker),
//! and forwards drops to [`Studio::open_dropped`](crate::Studio::open_dropped).
//! Web mode sets neither: `choose_folder` answers `NOT_IMPLEMENTED` with a
//! message saying so, and the `shell` context reports `folder_picker:
//! false`, which hides the button.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

/// The answer of a [`FolderPicker`]: the chosen folder, `None` when the
/// person cancelled.
pub type PickFuture = Pin<Box<dyn Future<Output = Option<PathBuf>> + Send>>;

/// A native "choose a folder" dialog. Implementations must not block the
/// caller: the future resolves when the person has chosen or cancelled.
pub trait FolderPicker: Send + Sync {
    /// Shows the dialog, starting in `start` when given.
    fn pick_folder(&self, start: Option<PathBuf>) -> PickFuture;
}
