//! A worst-case bound on the work an expression does, computed before it runs.
//!
//! cel-rust has no runtime cost tracking and CEL has no loops but comprehensions, so the bound
//! follows the expression's shape: a comprehension costs its range's size times its body, and
//! sizes are bounded by the data the expression reads. Every value read from the bindings
//! (identifiers, selections, results of calls) is assumed as large as all the bindings
//! together; list literals and `+` add up; an integer literal argument (as in `lists.range(n)`)
//! may make a call's result that large. The bound is loose, but it is monotone in the nesting
//! of comprehensions, which is what makes an expression hostile.

use cel::Value;
use cel::common::ast::{EntryExpr, Expr, LiteralValue};
use cel::parser::Expression;

/// The number of values and characters in `value`: the size data read from it can have.
pub(super) fn size_of(value: &Value) -> u64 {
    match value {
        Value::List(items) => items.iter().map(size_of).fold(1, u64::saturating_add),
        Value::Map(map) => map
            .map
            .values()
            .map(size_of)
            .fold(map.map.len() as u64 + 1, u64::saturating_add),
        Value::String(text) => text.len() as u64 + 1,
        Value::Bytes(bytes) => bytes.len() as u64 + 1,
        _ => 1,
    }
}

/// The estimated cost of evaluating `expression` once on data of `data_size`.
pub(super) fn estimate(expression: &Expression, data_size: u64) -> u64 {
    Estimator { data_size }.walk(expression).cost
}

#[derive(Clone, Copy)]
struct Bound {
    cost: u64,
    size: u64,
}

struct Estimator {
    data_size: u64,
}

impl Estimator {
    fn walk(&self, expression: &Expression) -> Bound {
        match &expression.expr {
            Expr::Unspecified => Bound { cost: 1, size: 1 },
            Expr::Literal(literal) => Bound {
                cost: 1,
                size: literal_size(literal),
            },
            Expr::Ident(_) => Bound {
                cost: 1,
                size: self.data_size,
            },
            Expr::Select(select) => Bound {
                cost: self.walk(&select.operand).cost.saturating_add(1),
                size: self.data_size,
            },
            Expr::List(list) => {
                let parts: Vec<Bound> = list.elements.iter().map(|e| self.walk(e)).collect();
                Bound {
                    cost: sum(parts.iter().map(|part| part.cost)).saturating_add(1),
                    size: (parts.len() as u64).saturating_add(sum(parts.iter().map(|p| p.size))),
                }
            }
            Expr::Map(map) => self.entries(&map.entries),
            Expr::Struct(structure) => self.entries(&structure.entries),
            Expr::Call(call) => {
                let parts: Vec<Bound> = call
                    .target
                    .iter()
                    .map(|target| self.walk(target))
                    .chain(call.args.iter().map(|arg| self.walk(arg)))
                    .collect();
                let argument_size = sum(parts.iter().map(|part| part.size));
                let literal = call.args.iter().map(literal_int).max().unwrap_or(0);
                Bound {
                    // A call may read each of its arguments whole (a regex over a string, a
                    // list function over its list).
                    cost: sum(parts.iter().map(|part| part.cost))
                        .saturating_add(argument_size)
                        .saturating_add(1),
                    size: argument_size.max(self.data_size).max(literal),
                }
            }
            Expr::Comprehension(comprehension) => {
                let range = self.walk(&comprehension.iter_range);
                let init = self.walk(&comprehension.accu_init);
                let condition = self.walk(&comprehension.loop_cond);
                let step = self.walk(&comprehension.loop_step);
                let result = self.walk(&comprehension.result);
                // The accumulator of `map` and `filter` is copied at each step.
                let per_item = condition
                    .cost
                    .saturating_add(step.cost)
                    .saturating_add(range.size);
                Bound {
                    cost: range
                        .cost
                        .saturating_add(init.cost)
                        .saturating_add(range.size.saturating_mul(per_item))
                        .saturating_add(result.cost),
                    size: range
                        .size
                        .saturating_mul(step.size.max(1))
                        .max(self.data_size),
                }
            }
        }
    }

    fn entries(&self, entries: &[cel::common::ast::IdedEntryExpr]) -> Bound {
        let parts: Vec<Bound> = entries
            .iter()
            .flat_map(|entry| match &entry.expr {
                EntryExpr::MapEntry(pair) => vec![self.walk(&pair.key), self.walk(&pair.value)],
                EntryExpr::StructField(field) => vec![self.walk(&field.value)],
            })
            .collect();
        Bound {
            cost: sum(parts.iter().map(|part| part.cost)).saturating_add(1),
            size: sum(parts.iter().map(|part| part.size)).saturating_add(1),
        }
    }
}

fn sum(values: impl Iterator<Item = u64>) -> u64 {
    values.fold(0, u64::saturating_add)
}

fn literal_size(literal: &LiteralValue) -> u64 {
    match literal {
        LiteralValue::String(text) => text.len() as u64 + 1,
        LiteralValue::Bytes(bytes) => bytes.len() as u64 + 1,
        _ => 1,
    }
}

fn literal_int(expression: &Expression) -> u64 {
    match &expression.expr {
        Expr::Literal(LiteralValue::Int(number)) => u64::try_from(*number.inner()).unwrap_or(0),
        Expr::Literal(LiteralValue::UInt(number)) => *number.inner(),
        _ => 0,
    }
}
