//! Generates the large benchmark IR (`fixtures/large/large.kdl`):
//! 2,000 functions, 200 contexts, 1,000 types, deterministic and free of
//! check errors, shaped like a big real application (context reads with
//! shared and optional params, mutations with context, function and merge
//! targets, nested struct types).
//!
//! `cargo run -p mizan-core --example gen_large_ir > fixtures/large/large.kdl`
//! (the test `large_fixture_is_current` fails when the committed file is
//! stale).

use mizan_core::ir::{
    self, Auth, CachePolicy, Field, Function, Ir, Param, Shape, StructDef, Target, TypeDef, TypeKind, Variant,
};

/// Number of contexts, functions and types generated.
pub const CONTEXTS: usize = 200;
/// Number of functions (half reads spread over the contexts, half mutations).
pub const FUNCTIONS: usize = 2_000;
/// Number of named types.
pub const TYPES: usize = 1_000;

/// Builds the large IR (canonical).
pub fn large_ir() -> Ir {
    let mut ir = Ir::new();
    // Types: 900 structs, 50 enums, 50 aliases; structs reference earlier
    // types so everything is reachable through the read functions' outputs.
    for t in 0..TYPES {
        let name = format!("Type{t:04}");
        let kind = if t % 20 == 18 {
            TypeKind::Enum(
                (0..4)
                    .map(|v| Variant {
                        name: format!("state_{v}"),
                        doc: None,
                    })
                    .collect(),
            )
        } else if t % 20 == 19 {
            TypeKind::Alias(Shape::list(Shape::named(format!("Type{:04}", t - 1 - (t % 3)))))
        } else {
            let mut fields = vec![
                Field {
                    name: "id".into(),
                    shape: Shape::Integer,
                    optional: false,
                    default: None,
                    doc: None,
                },
                Field {
                    name: "name".into(),
                    shape: Shape::String,
                    optional: false,
                    default: None,
                    doc: None,
                },
                Field {
                    name: "updated_at".into(),
                    shape: Shape::Datetime,
                    optional: true,
                    default: None,
                    doc: Some("Last change.".into()),
                },
                Field {
                    name: "tags".into(),
                    shape: Shape::list(Shape::String),
                    optional: false,
                    default: None,
                    doc: None,
                },
            ];
            if t >= 20 {
                fields.push(Field {
                    name: "parent".into(),
                    shape: Shape::optional(Shape::named(format!("Type{:04}", t - 20))),
                    optional: true,
                    default: None,
                    doc: None,
                });
            }
            TypeKind::Struct(StructDef { fields, identity: None })
        };
        ir.types.push(TypeDef {
            name,
            doc: Some(format!("Generated type {t}.")),
            kind,
        });
    }
    // Reads: 5 per context (1,000 in all).
    for f in 0..FUNCTIONS / 2 {
        let ctx = f % CONTEXTS;
        let mut func = Function::new(format!("read_{f:04}"), Shape::named(format!("Type{:04}", f % TYPES)));
        if f % 10 == 3 {
            func.output = Shape::list(Shape::named(format!("Type{:04}", (f + 1) % TYPES)));
        }
        func.context = Some(format!("ctx_{ctx:03}"));
        func.doc = Some(format!("Reads record {f}."));
        func.params.push(Param {
            name: "org_id".into(),
            shape: Shape::Integer,
            default: None,
            required: true,
        });
        if f % 2 == 0 {
            func.params.push(Param {
                name: "page".into(),
                shape: Shape::Integer,
                default: Some(1.into()),
                required: false,
            });
        }
        if f % 5 == 0 {
            func.params.push(Param {
                name: "user_id".into(),
                shape: Shape::Integer,
                default: None,
                required: true,
            });
        }
        func.rev = (f % 3) as u32;
        if f % 7 == 0 {
            func.cache = CachePolicy::Ttl(60);
        }
        if f % 11 == 0 {
            func.auth = Auth::Required;
        }
        if f % 50 == 0 {
            func.route = Some(format!("/records/{f}/:org_id/"));
            func.methods = vec!["GET".into()];
        }
        ir.functions.push(func);
    }
    // Mutations: three targets each (two contexts and a function), some merge.
    for m in 0..FUNCTIONS / 2 {
        let mut func = Function::new(format!("write_{m:04}"), Shape::named(format!("Type{:04}", m % TYPES)));
        func.doc = Some(format!("Writes record {m}."));
        func.params.push(Param {
            name: "org_id".into(),
            shape: Shape::Integer,
            default: None,
            required: true,
        });
        func.params.push(Param {
            name: "name".into(),
            shape: Shape::String,
            default: None,
            required: true,
        });
        if m % 3 == 0 {
            func.params.push(Param {
                name: "user_id".into(),
                shape: Shape::Integer,
                default: None,
                required: true,
            });
        }
        func.affects.push(Target::Context(format!("ctx_{:03}", m % CONTEXTS)));
        func.affects
            .push(Target::Context(format!("ctx_{:03}", (m * 7 + 3) % CONTEXTS)));
        func.affects
            .push(Target::Function(format!("read_{:04}", (m * 13 + 1) % (FUNCTIONS / 2))));
        if m % 10 == 0 {
            func.merge.push(format!("ctx_{:03}", m % CONTEXTS));
        }
        if m % 9 == 0 {
            func.auth = Auth::Staff;
        }
        ir.functions.push(func);
    }
    ir::derive_contexts(&mut ir);
    ir::retain_reachable_types(&mut ir);
    ir
}

#[allow(dead_code)]
fn main() {
    print!("{}", ir::emit(&large_ir()));
}
