//! Replacing a file atomically: write a temporary file in the same directory, then rename it
//! into place, so a failed run never leaves a partial file behind. Reports and fixed manifests
//! are written this way.

use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Write `path` with what `write` produces, atomically. The file keeps the permissions of the
/// file it replaces, else gets the usual 0644 (not the temporary file's 0600).
pub fn write_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // The temporary file's own name would only confuse the message.
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|error| io::Error::new(error.kind(), error.kind().to_string()))?;
    let mut writer = BufWriter::new(temp.as_file_mut());
    write(&mut writer).and_then(|()| writer.flush())?;
    drop(writer);
    let permissions = std::fs::metadata(path)
        .map(|meta| meta.permissions())
        .unwrap_or_else(|_| std::os::unix::fs::PermissionsExt::from_mode(0o644));
    temp.as_file().set_permissions(permissions)?;
    temp.persist(path).map(|_| ()).map_err(|error| error.error)
}
