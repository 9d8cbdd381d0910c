//! The loader on arbitrary bytes: decoding, parsing, tree building, limits.
#![no_main]

use kubepatrol::discover::{Input, InputKind, Source};
use kubepatrol::load::{LoadLimits, load_one};
use kubepatrol::source::FileId;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Input {
        display: "fuzz.yaml".to_owned(),
        source: Source::Stdin,
        kind: InputKind::Manifest,
    };
    let _ = load_one(FileId(0), &input, Ok(data.to_vec()), LoadLimits::default());
});
