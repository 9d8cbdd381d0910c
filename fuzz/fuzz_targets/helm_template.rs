//! The Helm template engine on arbitrary input: the first line is a values document (`\n`
//! escaped as `\n`), the rest the template. Parse errors, execution errors and limits must be
//! errors, never panics, hangs or stack overflows.
#![no_main]

use kubepatrol::render::helm::render_template;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (values, template) = text.split_once('\n').unwrap_or(("", &text));
    let _ = render_template(template, &values.replace("\\n", "\n"));
});
