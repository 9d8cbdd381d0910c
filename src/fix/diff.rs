//! `--diff`: the planned changes as a unified diff, `a/` and `b/` prefixed like `git diff`, so
//! that `git apply` or `patch -p1` can apply it from the directory the paths are relative to.

use similar::TextDiff;

use super::FileFix;

pub fn unified(files: &[FileFix]) -> String {
    let mut out = String::new();
    for file in files {
        let diff = TextDiff::from_lines(&file.before, &file.after);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{}", file.path), &format!("b/{}", file.path))
                .to_string(),
        );
    }
    out
}
