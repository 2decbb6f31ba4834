//! Macro expansion pass/fail cases (trybuild): misuse is a compile error at
//! the user's span with a message saying what to write instead.
//! `TRYBUILD=overwrite` refreshes the expected `.stderr` files.

#[test]
fn macro_cases() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
