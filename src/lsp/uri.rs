//! `file:` URIs and paths. The protocol names documents by URI; the pipeline by path.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::Uri;

/// The local path a `file:` URI names (percent-decoded), or `None` for any other scheme.
pub(crate) fn to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file:///p` has an empty authority; `file://localhost/p` names this machine too.
    let path = rest.get(rest.find('/')?..)?;
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut bytes = Vec::with_capacity(path.len());
    let mut raw = path.bytes();
    while let Some(byte) = raw.next() {
        if byte == b'%' {
            let high = raw.next().and_then(hex)?;
            let low = raw.next().and_then(hex)?;
            bytes.push(high * 16 + low);
        } else {
            bytes.push(byte);
        }
    }
    Some(bytes_to_path(bytes))
}

#[cfg(unix)]
fn bytes_to_path(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn bytes_to_path(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

/// The `file:` URI of an absolute path, percent-encoding all but unreserved characters and `/`.
pub(crate) fn from_path(path: &Path) -> Option<Uri> {
    let mut uri = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    Uri::from_str(&uri).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_survive_a_round_trip_through_uris() {
        let path = Path::new("/tmp/a dir/ü#1.yaml");
        let uri = from_path(path).expect("uri");
        assert_eq!(uri.as_str(), "file:///tmp/a%20dir/%C3%BC%231.yaml");
        assert_eq!(to_path(&uri).as_deref(), Some(path));
        let other = Uri::from_str("untitled:Untitled-1").expect("uri");
        assert_eq!(to_path(&other), None);
        let localhost = Uri::from_str("file://localhost/etc/x.yaml").expect("uri");
        assert_eq!(to_path(&localhost), Some(PathBuf::from("/etc/x.yaml")));
    }
}
