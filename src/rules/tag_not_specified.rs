//! The image has no tag, or the tag `latest`, and no digest; or the container has no image.

use super::{FixSubject, Remedy, Rule, Verdict, Violation};
use crate::model::workload::{Container, Workload};
use crate::yaml::Node;

pub(super) struct TagNotSpecified;

impl Rule for TagNotSpecified {
    fn reads(&self) -> &'static [&'static str] {
        &["containers[].image"]
    }

    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        let Some(image) = container.node.get("image") else {
            return Verdict::Fail(
                Violation::at(container.name_span, "`image` is not set")
                    .message("The container has no image set"),
            );
        };
        let reference = image.as_str().unwrap_or_default();
        match image_tag(reference) {
            ImageTag::Digest | ImageTag::Tag(_) => Verdict::Pass,
            ImageTag::Latest => Verdict::Fail(at(image, "the tag `latest` moves")),
            ImageTag::Missing => Verdict::Fail(at(image, "no tag: resolves to `latest`")),
        }
    }

    fn remedy(&self, _subject: &FixSubject<'_, '_>) -> Remedy {
        Remedy::Never("a human must choose the image tag or digest")
    }
}

fn at(image: &Node, text: &str) -> Violation {
    Violation::at(image.span, text)
}

#[derive(Debug, PartialEq, Eq)]
enum ImageTag<'a> {
    Digest,
    Tag(&'a str),
    Latest,
    Missing,
}

/// `[registry[:port]/]path[:tag][@digest]`: the tag follows the last `:` after the last `/`.
fn image_tag(reference: &str) -> ImageTag<'_> {
    if reference.contains('@') {
        return ImageTag::Digest;
    }
    let last_component = reference.rsplit('/').next().unwrap_or(reference);
    match last_component.rsplit_once(':') {
        Some((_, "latest")) => ImageTag::Latest,
        Some((_, "")) | None => ImageTag::Missing,
        Some((_, tag)) => ImageTag::Tag(tag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_parsed_like_the_runtime_does() {
        assert_eq!(image_tag("nginx"), ImageTag::Missing);
        assert_eq!(image_tag("nginx:latest"), ImageTag::Latest);
        assert_eq!(image_tag("nginx:Latest"), ImageTag::Tag("Latest"));
        assert_eq!(image_tag("registry:5000/app"), ImageTag::Missing);
        assert_eq!(image_tag("registry:5000/app:1.2"), ImageTag::Tag("1.2"));
        assert_eq!(image_tag("nginx:latest@sha256:abc"), ImageTag::Digest);
        assert_eq!(image_tag("ghcr.io/org/app:v1"), ImageTag::Tag("v1"));
        assert_eq!(image_tag(""), ImageTag::Missing);
    }
}
