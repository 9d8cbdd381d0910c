//! Archived subcharts: a `charts/<name>.tgz` is read as Helm's chart loader reads it, a gzip
//! tar whose top folder is the chart (the first path component of every entry is dropped;
//! absolute paths, `..` and a `Chart.yaml` outside the top folder are refused, as Helm refuses
//! them). Only regular files are kept. A byte-order mark at the start of a file is dropped.
//!
//! Helm's limits are errors here too: 100 MiB decompressed per chart read (shared by every
//! archive of one chart, nested ones included, so nesting cannot multiply it), 5 MiB per file.

use std::io::Read;

/// Helm's `MaxDecompressedChartSize`.
const MAX_DECOMPRESSED_BYTES: u64 = 100 * 1024 * 1024;
/// Helm's `MaxDecompressedFileSize`.
const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// The decompressed bytes still allowed for the chart being read.
#[derive(Debug)]
pub(super) struct Budget(u64);

impl Default for Budget {
    fn default() -> Self {
        Budget(MAX_DECOMPRESSED_BYTES)
    }
}

/// A file of an archived chart.
#[derive(Debug, PartialEq)]
pub(super) struct ArchivedFile {
    /// The entry's name in the archive, top folder included (what a user sees listing it).
    pub(super) archived_name: String,
    /// The path inside the chart (top folder dropped), as Helm names it.
    pub(super) path: String,
    pub(super) bytes: Vec<u8>,
}

/// The files of the chart archived in `bytes`, or why it cannot be read.
pub(super) fn unpack(bytes: &[u8], budget: &mut Budget) -> Result<Vec<ArchivedFile>, String> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let entries = archive
        .entries()
        .map_err(|error| format!("not a gzip tar archive: {error}"))?;
    let mut files = Vec::new();
    for entry in entries {
        let mut entry = entry.map_err(|error| format!("unreadable archive: {error}"))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let archived_name = String::from_utf8_lossy(&entry.path_bytes()).replace('\\', "/");
        let path = chart_path(&archived_name)?;
        let size = entry.size();
        if size > MAX_FILE_BYTES {
            return Err(format!(
                "{archived_name} in the archive is {size} bytes, over Helm's limit of {MAX_FILE_BYTES}"
            ));
        }
        if size > budget.0 {
            return Err(format!(
                "the chart decompresses to more than Helm's limit of {MAX_DECOMPRESSED_BYTES} bytes"
            ));
        }
        budget.0 -= size;
        let mut data = Vec::new();
        entry
            .by_ref()
            .take(size)
            .read_to_end(&mut data)
            .map_err(|error| format!("unreadable archive entry {archived_name}: {error}"))?;
        let data = data
            .strip_prefix(UTF8_BOM)
            .map(<[u8]>::to_vec)
            .unwrap_or(data);
        files.push(ArchivedFile {
            archived_name,
            path,
            bytes: data,
        });
    }
    Ok(files)
}

/// The entry's path inside the chart: without the top folder, cleaned, never escaping it.
fn chart_path(archived_name: &str) -> Result<String, String> {
    let (top, rest) = archived_name.split_once('/').unwrap_or((archived_name, ""));
    if top == "Chart.yaml" {
        return Err("Chart.yaml is not inside the archive's top folder".to_string());
    }
    if rest.starts_with('/') {
        return Err(format!(
            "the archive contains an absolute path: {archived_name}"
        ));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.pop().is_some() => {}
            ".." => {
                return Err(format!(
                    "the archive reaches outside its chart: {archived_name}"
                ));
            }
            _ => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err(format!(
            "the archive has content outside its top folder: {archived_name}"
        ));
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gzip tar of `files` (name, content), as `helm package` writes one.
    fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        ));
        for (name, content) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *content).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn drops_the_top_folder_and_the_bom() {
        let bytes = tgz(&[
            ("sub/Chart.yaml", b"name: sub\n"),
            ("sub/templates/a.yaml", b"\xef\xbb\xbfkind: A\n"),
        ]);
        let files = unpack(&bytes, &mut Budget::default()).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[1].archived_name, "sub/templates/a.yaml");
        assert_eq!(files[1].path, "templates/a.yaml");
        assert_eq!(files[1].bytes, b"kind: A\n");
    }

    #[test]
    fn refuses_what_helm_refuses() {
        assert!(chart_path("Chart.yaml").is_err());
        assert!(chart_path("sub/../../x").is_err());
        assert!(chart_path("sub//etc/passwd").is_err());
        assert!(chart_path("sub").is_err());
        assert_eq!(chart_path("sub/a/../b").unwrap(), "b");
        assert!(unpack(b"not gzip", &mut Budget::default()).is_err());
    }

    #[test]
    fn limits_are_errors() {
        let big = vec![b'x'; 64];
        let bytes = tgz(&[("sub/a", &big), ("sub/b", &big)]);
        let error = unpack(&bytes, &mut Budget(100)).unwrap_err();
        assert!(error.contains("limit"), "{error}");
    }
}
