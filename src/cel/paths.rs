//! The fields of `object` an expression reads, as written: `object.spec.hostNetwork` and
//! `object.spec.?hostNetwork` both read `spec` → `hostNetwork`. A finding points at the field
//! that decided it; these paths are where to look.

use cel::common::ast::{EntryExpr, Expr, LiteralValue, operators};
use cel::parser::Expression;

/// Every maximal field path rooted at the variable `root` in `expression`, in reading order.
pub(super) fn read_paths(expression: &Expression, root: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    collect(expression, root, &mut paths);
    paths
}

/// The path `expression` spells from `root`, if it is a chain of field selections.
fn chain(expression: &Expression, root: &str) -> Option<Vec<String>> {
    match &expression.expr {
        Expr::Ident(name) if name == root => Some(Vec::new()),
        Expr::Select(select) if !select.test => {
            let mut path = chain(&select.operand, root)?;
            path.push(select.field.clone());
            Some(path)
        }
        Expr::Call(call) if call.func_name == operators::OPT_SELECT => {
            let [operand, field] = call.args.as_slice() else {
                return None;
            };
            let Expr::Literal(LiteralValue::String(field)) = &field.expr else {
                return None;
            };
            let mut path = chain(operand, root)?;
            path.push(field.inner().to_owned());
            Some(path)
        }
        _ => None,
    }
}

fn collect(expression: &Expression, root: &str, paths: &mut Vec<Vec<String>>) {
    if let Some(path) = chain(expression, root) {
        if !path.is_empty() {
            paths.push(path);
        }
        return;
    }
    match &expression.expr {
        Expr::Call(call) => {
            call.target
                .iter()
                .for_each(|target| collect(target, root, paths));
            call.args.iter().for_each(|arg| collect(arg, root, paths));
        }
        Expr::Select(select) => collect(&select.operand, root, paths),
        Expr::List(list) => list.elements.iter().for_each(|e| collect(e, root, paths)),
        Expr::Comprehension(comprehension) => {
            for part in [
                &comprehension.iter_range,
                &comprehension.accu_init,
                &comprehension.loop_cond,
                &comprehension.loop_step,
                &comprehension.result,
            ] {
                collect(part, root, paths);
            }
        }
        Expr::Map(map) => map
            .entries
            .iter()
            .for_each(|e| collect_entry(&e.expr, root, paths)),
        Expr::Struct(s) => s
            .entries
            .iter()
            .for_each(|e| collect_entry(&e.expr, root, paths)),
        Expr::Unspecified | Expr::Ident(_) | Expr::Literal(_) => {}
    }
}

fn collect_entry(entry: &EntryExpr, root: &str, paths: &mut Vec<Vec<String>>) {
    match entry {
        EntryExpr::MapEntry(pair) => {
            collect(&pair.key, root, paths);
            collect(&pair.value, root, paths);
        }
        EntryExpr::StructField(field) => collect(&field.value, root, paths),
    }
}
