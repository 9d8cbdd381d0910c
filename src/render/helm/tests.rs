//! Go `text/template` and Sprig semantics as Helm runs them, and provenance through the
//! functions that pass values on.

use super::Limits;
use super::exec::Engine;
use super::parse::SourceOrigin;
use super::text::Traced;
use super::value::{Val, from_node, map_of};
use crate::source::{FileId, Span};
use crate::yaml::{Limits as YamlLimits, parse};

const TEMPLATE: FileId = FileId(1);
const VALUES: FileId = FileId(2);

fn values(text: &str) -> Val {
    let parsed = parse(VALUES, text, YamlLimits::default());
    parsed
        .documents
        .first()
        .map(|document| from_node(&document.root))
        .unwrap_or_else(|| Val::map(Default::default()))
}

fn render_traced(template: &str, values_text: &str) -> Result<Traced, String> {
    let mut engine = Engine::new(Limits::default());
    engine
        .add(
            "chart/templates/t.yaml",
            template,
            SourceOrigin::File(TEMPLATE),
        )
        .map_err(|error| error.to_string())?;
    let data = map_of(vec![
        ("Values", values(values_text)),
        (
            "Template",
            map_of(vec![
                ("Name", Val::str("chart/templates/t.yaml")),
                ("BasePath", Val::str("chart/templates")),
            ]),
        ),
    ]);
    engine
        .render("chart/templates/t.yaml", &data)
        .map_err(|error| error.to_string())
}

/// Rendered on a thread with the stack a chart render gets, so deep nesting reaches the limit.
fn render(template: &str, values_text: &str) -> String {
    let (template, values_text) = (template.to_string(), values_text.to_string());
    let worker = std::thread::Builder::new()
        .stack_size(super::STACK_SIZE)
        .spawn(move || render_traced(&template, &values_text).map(|out| out.text));
    let result = worker
        .map_err(|error| error.to_string())
        .and_then(|handle| handle.join().map_err(|_| "panicked".to_string()));
    result
        .and_then(|rendered| rendered)
        .unwrap_or_else(|error| format!("ERROR {error}"))
}

#[test]
fn trim_markers_and_comments() {
    assert_eq!(render("a\n  {{- \"b\" -}}\n  c", ""), "abc");
    assert_eq!(render("a {{/* note */}} b", ""), "a  b");
    assert_eq!(render("{{- /* note */ -}}\n x", ""), "x");
}

#[test]
fn variables_are_scoped_to_range_and_with_and_assignment_reaches_outer_ones() {
    let template = "{{ $x := 1 }}{{ range .Values.l }}{{ $x = . }}{{ $y := . }}{{ end }}{{ $x }}";
    assert_eq!(render(template, "l: [a, b]"), "b");
    assert_eq!(
        render(
            "{{ with .Values.m }}{{ .k }}{{ $ | len }}{{ end }}",
            "m: {k: v}"
        ),
        "v2"
    );
    assert!(
        render(
            "{{ range .Values.l }}{{ $y := 1 }}{{ end }}{{ $y }}",
            "l: [a]"
        )
        .starts_with("ERROR")
    );
}

#[test]
fn maps_range_in_sorted_key_order_with_index_and_value() {
    assert_eq!(
        render(
            "{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}",
            "m: {b: 2, a: 1, c: x}"
        ),
        "a=1;b=2;c=x;"
    );
    assert_eq!(
        render(
            "{{ range $i, $v := .Values.l }}{{ $i }}{{ $v }}{{ end }}",
            "l: [x, z]"
        ),
        "0x1z"
    );
    assert_eq!(
        render("{{ range .Values.none }}x{{ else }}empty{{ end }}", ""),
        "empty"
    );
    assert_eq!(render("{{ range 3 }}{{ . }}{{ end }}", ""), "012");
    assert_eq!(
        render(
            "{{ range .Values.l }}{{ if eq . 2.0 }}{{ continue }}{{ end }}{{ if eq . 4.0 }}{{ break }}{{ end }}{{ . }}{{ end }}",
            "l: [1, 2, 3, 4, 5]"
        ),
        "13"
    );
}

#[test]
fn numbers_print_as_go_float64_and_ints() {
    assert_eq!(
        render(
            "{{ .Values.a }} {{ .Values.b }} {{ .Values.c }} {{ .Values.d }}",
            "a: 3\nb: 1e6\nc: 1.5\nd: 1234567"
        ),
        "3 1e+06 1.5 1.234567e+06"
    );
    assert_eq!(
        render(
            r#"{{ printf "%d %s %v %.2f %05.1f" 7 "x" 1.0 3.14159 2.5 }}"#,
            ""
        ),
        "7 x 1 3.14 002.5"
    );
    assert_eq!(
        render(r#"{{ printf "%d" .Values.a }}"#, "a: 3"),
        "%!d(float64=3)"
    );
    assert_eq!(
        render("{{ int .Values.a }} {{ add .Values.a 1 }}", "a: 3.7"),
        "3 4"
    );
}

#[test]
fn missing_values_print_nothing_and_nil_fields_fail() {
    assert_eq!(render("[{{ .Values.missing }}]", ""), "[]");
    assert_eq!(render("[{{ .Values.missing | quote }}]", ""), "[]");
    assert_eq!(render("a{{ .Values.x }}b{{ .Values.y }}c", ""), "abc");
    let error = render("{{ .Values.a.b.c }}", "");
    assert!(
        error.contains("chart/templates/t.yaml:1:4")
            && error.contains("nil pointer evaluating interface {}.b"),
        "{error}"
    );
}

#[test]
fn and_or_short_circuit_and_return_the_deciding_value() {
    assert_eq!(
        render(
            "{{ or .Values.a .Values.b }}|{{ and .Values.a .Values.b }}",
            "a: ''\nb: x"
        ),
        "x|"
    );
    // The failing call is never evaluated.
    assert_eq!(
        render("{{ if or true (fail \"no\") }}ok{{ end }}", ""),
        "ok"
    );
    assert_eq!(
        render("{{ if and false (fail \"no\") }}{{ else }}ok{{ end }}", ""),
        "ok"
    );
}

#[test]
fn eq_compares_within_a_kind_and_refuses_mixed_numbers() {
    assert_eq!(
        render(
            "{{ eq .Values.a 1.0 }} {{ eq .Values.s \"x\" \"y\" }} {{ eq .Values.missing \"x\" }}",
            "a: 1\ns: y1"
        ),
        "true false false"
    );
    assert!(render("{{ eq .Values.a 1 }}", "a: 1").contains("incompatible types for comparison"));
    assert_eq!(render("{{ lt 1 2 }} {{ ge \"b\" \"a\" }}", ""), "true true");
}

#[test]
fn sprig_empty_and_default_follow_go_zero_values() {
    let template = "{{ empty .Values.z }}{{ empty .Values.f }}{{ empty .Values.e }}{{ empty .Values.m }}{{ empty .Values.s }}";
    assert_eq!(
        render(template, "z: 0\nf: false\ne: ''\nm: {}\ns: x"),
        "truetruetruetruefalse"
    );
    assert_eq!(
        render(
            "{{ .Values.f | default true }} {{ default \"d\" .Values.s }}",
            "f: false\ns: x"
        ),
        "true x"
    );
}

#[test]
fn defines_include_and_tpl() {
    let template = r#"{{- define "name" -}}{{ .Values.name | trunc 3 }}{{- end -}}
{{ include "name" . | upper }} {{ template "name" . }} {{ tpl .Values.t . }}"#;
    assert_eq!(
        render(template, "name: abcdef\nt: \"{{ .Values.name }}!\""),
        "ABC abc abcdef!"
    );
}

#[test]
fn include_recursion_is_an_error_not_a_crash() {
    let error = render(
        r#"{{ define "loop" }}{{ include "loop" . }}{{ end }}{{ include "loop" . }}"#,
        "",
    );
    assert!(
        error.contains("nested reference name: loop") || error.contains("maximum template depth"),
        "{error}"
    );
}

#[test]
fn to_yaml_nindent_and_dicts() {
    let template = "spec:\n  {{- toYaml .Values.r | nindent 2 }}\n{{ dict \"b\" 1 \"a\" (list 1 \"x\") | toYaml }}";
    assert_eq!(
        render(template, "r:\n  limits: {cpu: 1}\n  requests: {}\n"),
        "spec:\n  limits:\n    cpu: 1\n  requests: {}\na:\n- 1\n- x\nb: 1"
    );
}

#[test]
fn set_and_merge_change_the_shared_map() {
    let template = r#"{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ $m := merge $d (dict "a" 9 "c" 3) }}{{ toJson $d }}"#;
    assert_eq!(render(template, ""), r#"{"a":1,"b":2,"c":3}"#);
    assert_eq!(
        render(
            r#"{{ toJson (mergeOverwrite (dict "a" 1 "n" (dict "x" 1)) (dict "a" 2 "n" (dict "y" 2))) }}"#,
            ""
        ),
        r#"{"a":2,"n":{"x":1,"y":2}}"#
    );
}

#[test]
fn string_functions_and_typed_parameters() {
    assert_eq!(
        render(
            r#"{{ "a-b-" | trimSuffix "-" | replace "-" "_" }} {{ trunc 2 "héllo" }} {{ b64enc "hi" }}"#,
            ""
        ),
        "a_b h aGk="
    );
    assert!(
        render("{{ upper .Values.num }}", "num: 3")
            .contains("wrong type for value; expected string; got float64")
    );
    assert!(render("{{ nope }}", "").contains("function \"nope\" not defined"));
    assert_eq!(render(r#"{{ required "need x" .Values.x }}"#, "x: 1"), "1");
    assert!(render(r#"{{ required "need x" .Values.x }}"#, "").contains("need x"));
}

#[test]
fn capabilities_style_methods_and_semver() {
    let mut engine = Engine::new(Limits::default());
    let result = engine.add(
        "t",
        "{{ semverCompare \">=1.21-0\" .v }} {{ .files.Get \"a.txt\" }}",
        SourceOrigin::File(TEMPLATE),
    );
    assert!(result.is_ok());
    let files = super::encode::files_object(
        [("a.txt".to_string(), b"hello".to_vec().into())]
            .into_iter()
            .collect(),
    );
    let data = map_of(vec![("v", Val::str("v1.32.0")), ("files", files)]);
    assert_eq!(
        engine
            .render("t", &data)
            .map(|out| out.text)
            .ok()
            .as_deref(),
        Some("true hello")
    );
}

/// The values-file offset where the rendered byte at `needle` came from.
fn origin_of(template: &str, values_text: &str, needle: &str) -> Option<Span> {
    let out = render_traced(template, values_text).ok()?;
    let offset = out.text.find(needle)?;
    out.origin_at(offset)
}

#[test]
fn values_keep_their_origin_through_default_quote_tpl_include_and_to_yaml() {
    let values_text = "image:\n  tag: latest\nsc:\n  privileged: true\n";
    let tag = values_text.find("latest").map(|offset| offset as u32);
    let at = |template: &str, needle: &str| {
        origin_of(template, values_text, needle)
            .filter(|span| span.file == VALUES)
            .map(|span| span.start)
    };
    assert_eq!(at("image: {{ .Values.image.tag }}", "latest"), tag);
    assert_eq!(
        at(
            "image: {{ .Values.image.tag | default \"x\" | quote }}",
            "latest"
        ),
        tag
    );
    assert_eq!(
        at("image: {{ tpl \"{{ .Values.image.tag }}\" . }}", "latest"),
        tag
    );
    assert_eq!(
        at(
            "{{ define \"t\" }}{{ .Values.image.tag }}{{ end }}image: {{ include \"t\" . }}",
            "latest"
        ),
        tag
    );
    let privileged = values_text.find("privileged").map(|offset| offset as u32);
    assert_eq!(
        at("sc:\n{{ toYaml .Values.sc | indent 2 }}", "privileged"),
        privileged
    );
    let value = values_text.find("true").map(|offset| offset as u32);
    assert_eq!(at("sc:\n{{ toYaml .Values.sc | indent 2 }}", "true"), value);
}

#[test]
fn literal_text_and_computed_values_point_at_the_template() {
    let template = "hostNetwork: true\nimage: {{ printf \"%s:%s\" .Values.r .Values.t }}\n";
    let out = render_traced(template, "r: nginx\nt: '1'");
    let out = out.unwrap_or_default();
    let literal = out
        .text
        .find("true")
        .and_then(|offset| out.origin_at(offset));
    assert_eq!(
        literal.map(|span| (span.file, span.start)),
        Some((TEMPLATE, 13))
    );
    let computed = out
        .text
        .find("nginx")
        .and_then(|offset| out.origin_at(offset));
    assert_eq!(
        computed.map(|span| (span.file, span.start)),
        Some((TEMPLATE, 28))
    );
}

#[test]
fn hostile_templates_fail_with_errors_not_crashes() {
    let deep_parens = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
    assert!(render(&deep_parens, "").contains("nests deeper"));
    let deep_ifs = format!(
        "{}x{}",
        "{{ if true }}".repeat(5000),
        "{{ end }}".repeat(5000)
    );
    assert!(render(&deep_ifs, "").contains("nests deeper"));
    assert!(render("{{ until 100000000 | len }}", "").contains("exceed"));
    assert!(render("{{ repeat 100000000 \"abcdefgh\" }}", "").contains("exceeds"));
    // Found by fuzzing: a huge indentation allocated its padding before any limit applied.
    assert!(render("{{ \"a\\nb\" | nindent 888888888888882 }}", "").contains("exceeds"));
    assert!(render("{{ indent 40000000 \"a\\nb\" }}", "").contains("exceeds"));
    assert_eq!(render("{{ indent 2 \"a\\nb\" }}", ""), "  a\n  b");
    assert!(
        render(
            "{{ range $i := until 1000000 }}{{ repeat 1000 \"x\" }}{{ end }}",
            ""
        )
        .contains("exceeds")
    );
    assert!(
        render(
            "{{ $d := dict }}{{ $_ := set $d \"self\" $d }}{{ toYaml $d | len }}",
            ""
        )
        .parse::<usize>()
        .is_ok()
    );
    assert_eq!(
        super::render_template("{{ .Values.a }}", "a: 1"),
        Ok("1".to_string())
    );
}

#[test]
fn maps_that_contain_themselves_print_and_encode_without_recursing_forever() {
    let cyclic = "{{ $d := dict \"a\" 1 }}{{ $_ := set $d \"self\" $d }}";
    for use_it in [
        "{{ toJson $d | len }}",
        "{{ print $d | len }}",
        "{{ deepCopy $d | len }}",
        "{{ eq (deepEqual $d $d) true }}",
    ] {
        let rendered = render(&format!("{cyclic}{use_it}"), "");
        assert!(!rendered.starts_with("ERROR"), "{use_it}: {rendered}");
    }
}
