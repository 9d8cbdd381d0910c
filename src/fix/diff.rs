//! `--diff`: the planned changes as a unified diff, relative paths `a/` and `b/` prefixed like
//! `git diff`, so that `git apply` or `patch -p1` can apply it from the directory they are
//! relative to.

use similar::TextDiff;

use super::FileFix;

pub fn unified(files: &[FileFix]) -> String {
    let mut out = String::new();
    for file in files {
        let diff = TextDiff::from_lines(&file.before, &file.after);
        // An absolute path has no directory to be relative to: it is its own header.
        let (old, new) = if file.path.starts_with('/') {
            (file.path.clone(), file.path.clone())
        } else {
            (format!("a/{}", file.path), format!("b/{}", file.path))
        };
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&old, &new)
                .to_string(),
        );
    }
    out
}
