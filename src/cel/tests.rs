use super::*;

fn eval(source: &str) -> Result<Value, String> {
    let object = value_of(&crate::yaml::parse(
        crate::source::FileId(0),
        "spec:\n  containers:\n  - name: web\n    image: nginx:1.25\n    ports: [{containerPort: 80}]\n  hostNetwork: true\n  \
         progressDeadline: 10m\n  timeout: 90s\nmetadata:\n  creationTimestamp: '2024-03-01T12:30:00Z'\n",
        crate::yaml::Limits::default(),
    )
    .documents
    .first()
    .map(|document| document.root.clone())
    .unwrap_or_else(|| unreachable!("the document parses")));
    let expression = compile(source).map_err(|error| error.message)?;
    let mut variables = Variables::default();
    variables.set("object", object);
    evaluate(&expression, &variables)
}

fn holds(source: &str) {
    assert_eq!(eval(source), Ok(Value::Bool(true)), "{source}");
}

#[test]
fn standard_macros_and_optional_values() {
    holds("object.spec.containers.all(c, has(c.image))");
    holds("object.spec.containers.exists_one(c, c.name == 'web')");
    holds("object.spec.containers.map(c, c.name) == ['web']");
    holds("object.spec.containers.filter(c, c.name == 'db').size() == 0");
    holds("object.spec.?securityContext.?runAsNonRoot.orValue(false) == false");
    holds("object.?spec.?hostNetwork.orValue(false)");
    holds("!has(object.spec.hostPID)");
}

#[test]
fn kubernetes_strings_lists_and_regex() {
    holds("'Hello'.lowerAscii() == 'hello'");
    holds("'a,b'.split(',') == ['a', 'b']");
    holds("['a', 'b'].join('-') == 'a-b'");
    holds("'nginx:1.25'.matches('^nginx:[0-9.]+$')");
    holds("'abc 123 def 456'.find('[0-9]+') == '123'");
    holds("'abc 123 def 456'.findAll('[0-9]+') == ['123', '456']");
    holds("[1, 2, 3].isSorted() && [3, 1].sum() == 4 && [2, 7, 1].max() == 7");
    holds("[1, 2, 1].lastIndexOf(1) == 2 && ['x'].indexOf('y') == -1");
    holds("'%s has %d ports'.format(['web', 1]) == 'web has 1 ports'");
}

#[test]
fn kubernetes_quantities_addresses_and_urls() {
    holds("quantity('1Gi').isGreaterThan(quantity('1G'))");
    holds("quantity('500m').add(quantity('500m')) == quantity('1')");
    holds("quantity('2k').compareTo(quantity('2000')) == 0 && quantity('3').asInteger() == 3");
    holds("isQuantity('1.5Mi') && !isQuantity('1.5 Mi')");
    holds("cidr('10.0.0.0/8').containsIP(ip('10.2.3.4')) && ip('::1').family() == 6");
    holds("isIP('192.168.0.1') && !isCIDR('10.0.0.0/40') && string(ip('10.0.0.1')) == '10.0.0.1'");
    holds("url('https://example.com:8443/x?a=1').getPort() == '8443'");
    holds("url('https://example.com/x?a=1&a=2').getQuery()['a'] == ['1', '2']");
}

#[test]
fn kubernetes_durations_and_timestamps() {
    holds("duration(object.spec.progressDeadline) < duration('1h')");
    holds("duration(object.spec.timeout) == duration('1m30s')");
    holds("duration('1h') + duration('30m') > duration(object.spec.progressDeadline)");
    holds("duration('2h30m').getMinutes() == 150 && duration('1.5s').getMilliseconds() == 1500");
    holds("string(duration('1h30m')) == '5400s'");
    holds("timestamp(object.metadata.creationTimestamp) < timestamp('2025-01-01T00:00:00Z')");
    holds("timestamp(object.metadata.creationTimestamp).getFullYear() == 2024");
    holds("timestamp(object.metadata.creationTimestamp).getHours('Europe/Paris') == 13");
    holds(
        "timestamp('2024-03-02T12:30:00Z') - timestamp(object.metadata.creationTimestamp) \
         == duration('24h')",
    );
    holds(
        "timestamp(object.metadata.creationTimestamp) + duration('30m') \
         == timestamp('2024-03-01T13:00:00Z')",
    );
    // A value that is not a duration or a timestamp is an error, which fails a validation.
    assert!(eval("duration('ten minutes') > duration('1m')").is_err());
    assert!(eval("timestamp('yesterday') < timestamp('2025-01-01T00:00:00Z')").is_err());
}

#[test]
fn a_syntax_error_names_its_offset() {
    let error = compile("object.spec.all(c,\n  c.x ==)").err();
    let offset = error.as_ref().map(|error| error.offset);
    assert_eq!(
        offset,
        Some("object.spec.all(c,\n  c.x ==".len()),
        "{error:?}"
    );
}

#[test]
fn a_hostile_expression_ends_with_an_error() {
    let nested = "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, \
                  [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, \
                  [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, \
                  [1,2,3,4,5,6,7,8,9,10].all(g, a + b + c + d + e + f + g > 0)))))))";
    let error = eval(nested).err().unwrap_or_default();
    assert!(error.contains("exceeded the limit"), "{error}");
    let ranged = eval("lists.range(1000000).map(x, lists.range(1000000).exists(y, y < 0))");
    let ranged = ranged.err().unwrap_or_default();
    assert!(ranged.contains("exceeded the limit"), "{ranged}");
}

#[test]
fn a_missing_field_is_an_error_not_false() {
    let error = eval("object.spec.hostPID == true")
        .err()
        .unwrap_or_default();
    assert!(error.contains("hostPID"), "{error}");
}

#[test]
fn the_object_fields_an_expression_reads() {
    let expression = compile(
        "object.spec.containers.all(c, has(c.image)) && !object.spec.?hostNetwork.orValue(false)",
    );
    let paths = expression.map(|expression| expression.object_paths()).ok();
    let expected: Vec<Vec<String>> = vec![
        vec!["spec".into(), "containers".into()],
        vec!["spec".into(), "hostNetwork".into()],
    ];
    assert_eq!(paths, Some(expected));
}
