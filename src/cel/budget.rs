//! The runtime limit on an evaluation: cel-rust has no cost tracking, and CEL's only loops are
//! the comprehensions its macros expand to (`all`, `exists`, `map`, `filter`, …), so the work
//! of an evaluation is bounded by counting their iterations.
//!
//! Each comprehension's range is wrapped in a call to `@budget`, which passes the range through
//! and charges its size to the evaluation; once the total passes [`ITERATION_LIMIT`], every
//! further range is an error, so a hostile expression ends after about that many iterations
//! whatever its nesting. Wrapping the range (rather than the loop step) leaves the loop shapes
//! the interpreter recognises untouched: `all` and `exists` keep CEL's error absorption
//! (`error && false` is `false`), and `map` and `filter` still append in place.

use std::cell::Cell;

use cel::ExecutionError;
use cel::common::ast::{CallExpr, EntryExpr, Expr};
use cel::common::value::CowVal;
use cel::parser::Expression;

/// The most comprehension iterations one evaluation may run, all nesting levels together: a
/// manifest's lists are short, so a policy needs far fewer, and the interpreter runs this many
/// in well under a second.
pub(super) const ITERATION_LIMIT: u64 = 100_000;

/// The name of the charging function; `@` cannot be written in CEL, so no expression calls it.
pub(super) const BUDGET: &str = "@budget";

thread_local! {
    static SPENT: Cell<u64> = const { Cell::new(0) };
}

/// Starts a new evaluation's count on this thread.
pub(super) fn reset() {
    SPENT.with(|spent| spent.set(0));
}

/// The `@budget` overload: charges the range's size and returns it unchanged.
pub(super) fn charge<'b, 'v>(
    mut arguments: Vec<CowVal<'b, 'v>>,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let range = arguments
        .pop()
        .ok_or_else(|| ExecutionError::invalid_argument_count(1, 0))?;
    let size = range
        .as_sizer()
        .map_or(1, |sizer| u64::try_from(*sizer.size().inner()).unwrap_or(0));
    let total = SPENT.with(|spent| {
        let total = spent.get().saturating_add(size.max(1));
        spent.set(total);
        total
    });
    if total > ITERATION_LIMIT {
        return Err(ExecutionError::function_error(
            "budget",
            format!("the evaluation exceeded the limit of {ITERATION_LIMIT} iterations"),
        ));
    }
    Ok(range)
}

/// `expression` with every comprehension's range wrapped in `@budget(…)`.
pub(super) fn instrument(expression: &Expression) -> Expression {
    let mut instrumented = expression.clone();
    wrap_ranges(&mut instrumented);
    instrumented
}

fn wrap_ranges(expression: &mut Expression) {
    match &mut expression.expr {
        Expr::Comprehension(comprehension) => {
            for part in [
                &mut comprehension.iter_range,
                &mut comprehension.accu_init,
                &mut comprehension.loop_cond,
                &mut comprehension.loop_step,
                &mut comprehension.result,
            ] {
                wrap_ranges(part);
            }
            let range = std::mem::take(&mut comprehension.iter_range);
            comprehension.iter_range = Expression {
                id: range.id,
                expr: Expr::Call(CallExpr {
                    func_name: BUDGET.to_owned(),
                    target: None,
                    args: vec![range],
                }),
            };
        }
        Expr::Call(call) => {
            if let Some(target) = call.target.as_deref_mut() {
                wrap_ranges(target);
            }
            call.args.iter_mut().for_each(wrap_ranges);
        }
        Expr::List(list) => list.elements.iter_mut().for_each(wrap_ranges),
        Expr::Select(select) => wrap_ranges(&mut select.operand),
        Expr::Map(map) => map
            .entries
            .iter_mut()
            .for_each(|entry| wrap_entry(&mut entry.expr)),
        Expr::Struct(structure) => structure
            .entries
            .iter_mut()
            .for_each(|entry| wrap_entry(&mut entry.expr)),
        Expr::Unspecified | Expr::Ident(_) | Expr::Literal(_) => {}
    }
}

fn wrap_entry(entry: &mut EntryExpr) {
    match entry {
        EntryExpr::MapEntry(pair) => {
            wrap_ranges(&mut pair.key);
            wrap_ranges(&mut pair.value);
        }
        EntryExpr::StructField(field) => wrap_ranges(&mut field.value),
    }
}
