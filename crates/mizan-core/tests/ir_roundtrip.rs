//! Property tests for the IR text form: `parse(emit(ir)) == ir` for every
//! canonical IR, emission is a fixed point, and the parser returns an error —
//! never panics — on arbitrary and on mutated input.

use mizan_core::ir::{
    Auth, CachePolicy, Context, ContextParam, Field, Function, Ir, Param, Shape, StructDef, Target, Transport, TypeDef,
    TypeKind, Variant, emit, parse,
};
use proptest::collection::{btree_map, btree_set, vec};
use proptest::prelude::*;
use serde_json::Value;

fn ident() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,8}"
}

fn type_name() -> impl Strategy<Value = String> {
    "[A-Z][A-Za-z0-9_]{0,6}"
}

/// Any text, including quotes, backslashes, control and non-ASCII characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z \"\\\\\n\t/:é😀<>=;{}#]{0,20}",
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just(String::new()),
    ]
}

fn shape() -> impl Strategy<Value = Shape> {
    let leaf = prop_oneof![
        Just(Shape::String),
        Just(Shape::Integer),
        Just(Shape::Number),
        Just(Shape::Boolean),
        Just(Shape::Null),
        Just(Shape::Json),
        Just(Shape::Datetime),
        Just(Shape::Upload),
        type_name().prop_map(Shape::Ref),
        vec(text(), 1..4).prop_map(Shape::Literal),
    ];
    leaf.prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(Shape::list),
            inner.clone().prop_map(Shape::optional),
            inner.clone().prop_map(Shape::map),
            vec(inner, 1..4).prop_map(Shape::Union),
        ]
    })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(text(), inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn function(name: String) -> impl Strategy<Value = Function> {
    (
        (
            proptest::option::of(text()),
            proptest::option::of(ident()),
            any::<bool>(),
            prop_oneof![
                Just(Auth::None),
                Just(Auth::Required),
                Just(Auth::Staff),
                Just(Auth::Superuser),
                text()
                    .prop_filter("non-empty", |s| !s.is_empty())
                    .prop_map(Auth::Predicate)
            ],
            any::<bool>(),
            proptest::option::of(text()),
        ),
        (
            vec("[A-Z]{1,7}", 0..3),
            any::<u32>(),
            prop_oneof![
                Just(CachePolicy::Forever),
                Just(CachePolicy::None),
                (1..u64::MAX / 2).prop_map(CachePolicy::Ttl)
            ],
            btree_map(
                ident(),
                (shape(), proptest::option::of(json_value()), any::<bool>()),
                0..4,
            ),
            shape(),
            vec(
                prop_oneof![ident().prop_map(Target::Context), ident().prop_map(Target::Function)],
                0..4,
            ),
            vec(ident(), 0..3),
        ),
    )
        .prop_map(
            move |((doc, context, ws, auth, private, route), (methods, rev, cache, params, output, affects, merge))| {
                Function {
                    name: name.clone(),
                    doc,
                    context,
                    transport: if ws { Transport::Websocket } else { Transport::Http },
                    auth,
                    private,
                    route,
                    methods,
                    rev,
                    cache,
                    params: params
                        .into_iter()
                        .map(|(name, (shape, default, required))| Param {
                            name,
                            shape,
                            default,
                            required,
                        })
                        .collect(),
                    output,
                    affects,
                    merge,
                }
            },
        )
}

fn type_def(name: String) -> impl Strategy<Value = TypeDef> {
    let field = (
        ident(),
        shape(),
        any::<bool>(),
        proptest::option::of(json_value()),
        proptest::option::of(text()),
    )
        .prop_map(|(name, shape, optional, default, doc)| Field {
            name,
            shape,
            optional,
            default,
            doc,
        });
    let kind = prop_oneof![
        (vec(field, 0..5), proptest::option::of(ident())).prop_map(|(fields, identity)| {
            let mut seen = std::collections::BTreeSet::new();
            let fields = fields.into_iter().filter(|f| seen.insert(f.name.clone())).collect();
            TypeKind::Struct(StructDef { fields, identity })
        }),
        btree_set(text(), 0..4).prop_map(|names| {
            TypeKind::Enum(
                names
                    .into_iter()
                    .filter(|n| !n.is_empty())
                    .map(|name| Variant { name, doc: None })
                    .collect(),
            )
        }),
        shape().prop_map(TypeKind::Alias),
    ];
    (proptest::option::of(text()), kind).prop_map(move |(doc, kind)| TypeDef {
        name: name.clone(),
        doc,
        kind,
    })
}

fn context(name: String) -> impl Strategy<Value = Context> {
    (
        proptest::option::of(text()),
        btree_set(ident(), 0..4),
        btree_map(ident(), (shape(), any::<bool>(), btree_set(ident(), 0..3)), 0..3),
    )
        .prop_map(move |(doc, members, params)| Context {
            name: name.clone(),
            doc,
            members: members.into_iter().collect(),
            params: params
                .into_iter()
                .map(|(name, (shape, required, shared))| ContextParam {
                    name,
                    shape,
                    required,
                    shared_by: shared.into_iter().collect(),
                })
                .collect(),
        })
}

fn ir() -> impl Strategy<Value = Ir> {
    (
        btree_set(ident(), 0..5),
        btree_set(ident(), 0..4),
        btree_set(type_name(), 0..4),
    )
        .prop_flat_map(|(fns, ctxs, types)| {
            let fns: Vec<_> = fns.into_iter().map(function).collect();
            let ctxs: Vec<_> = ctxs.into_iter().map(context).collect();
            let types: Vec<_> = types
                .into_iter()
                .filter(|t| Shape::is_valid_type_name(t))
                .map(type_def)
                .collect();
            (fns, ctxs, types)
        })
        .prop_map(|(functions, contexts, types)| Ir {
            version: 1,
            contexts,
            functions,
            types,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parse_of_emit_is_identity(ir in ir()) {
        let text = emit(&ir);
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&parsed, &ir, "{}", text);
        prop_assert_eq!(emit(&parsed), text);
    }

    #[test]
    fn parser_never_panics_on_arbitrary_input(input in any::<String>()) {
        let _ = parse(&input);
    }

    #[test]
    fn parser_never_panics_on_mutated_ir(
        ir in ir(),
        edits in vec((any::<prop::sample::Index>(), 0u8..4, prop::sample::select(vec![
            "\"", "{", "}", ";", "=", "#", "\\", "/", "/-", "*", "(", ")", " ", "\n", "0x", "1.5e", "-", "<", ">", ",",
            "é", "\u{feff}", "\r", "#true", "list<", "param", "returns", "\"\"\"",
        ])), 1..6)
    ) {
        let mut text = emit(&ir);
        for (at, op, token) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) { i -= 1; }
            match op {
                0 => text.insert_str(i, token),
                1 => { let end = (i + 3).min(text.len()); let mut end = end; while !text.is_char_boundary(end) { end += 1; } text.replace_range(i..end, ""); }
                2 => text.truncate(i),
                _ => text.replace_range(i..i, &token.repeat(2)),
            }
        }
        if let Ok(ir) = parse(&text) {
            // Whatever parsed must emit text that parses back to it.
            let mut ir = ir;
            ir.canonicalize();
            prop_assert_eq!(parse(&emit(&ir)).ok(), Some(ir));
        }
    }
}

#[test]
fn parse_errors_name_line_and_column() {
    let cases = [
        (
            "mizan-ir version=1 {\n    function f {\n        returns \"list<\"\n    }\n}\n",
            3,
            17,
            "invalid shape",
        ),
        (
            "mizan-ir version=1 {\n    function f {\n        rev -1\n        returns string\n    }\n}\n",
            3,
            9,
            "rev",
        ),
        (
            "mizan-ir version=1 {\n    function f {\n        param a\n        returns string\n    }\n}\n",
            3,
            9,
            "needs a shape",
        ),
        (
            "mizan-ir version=1 {\n    function f {\n    }\n}\n",
            2,
            5,
            "no `returns`",
        ),
        ("mizan-ir version=1 {\n    widget f\n}\n", 2, 5, "unknown node `widget`"),
        ("mizan-ir version=2 {\n}\n", 1, 1, "unsupported IR version"),
        (
            "mizan-ir version=1 {\n    function f {\n        returns string\n        bogus 1\n    }\n}\n",
            4,
            9,
            "unknown node `bogus`",
        ),
        (
            "mizan-ir version=1 {\n    function f {\n        returns string\n        cache soon\n    }\n}\n",
            4,
            15,
            "`none`",
        ),
        (
            "mizan-ir version=1 {\n    function f {\n        affects user\n        returns string\n    }\n}\n",
            3,
            9,
            "exactly one of",
        ),
        (
            "mizan-ir version=1 {\n    struct string\n}\n",
            2,
            12,
            "not a valid type name",
        ),
        (
            "mizan-ir version=1 {\n    function f {\n        returns string\n    }\n",
            1,
            20,
            "closing",
        ),
        ("", 1, 1, "empty document"),
    ];
    for (text, line, column, needle) in cases {
        let err = parse(text).expect_err(text);
        assert_eq!((err.line, err.column), (line, column), "{text}\n{err}");
        assert!(err.message.contains(needle), "{err} should mention {needle}");
    }
}
