#![allow(clippy::unwrap_used)]
//! Properties: printing any tree and parsing the text gives the tree back, and no
//! input — random Unicode or random SCIM-ish token soup — makes the parser panic.

use proptest::prelude::*;
use proptest::sample::select;

use super::super::{
    AttrPath, CompValue, CompareOp, Filter, PatchPath, ScimSyntaxError, parse_attr_path, parse_filter, parse_patch_path,
};

/// Valid attribute names, including `$ref` and names that are also keywords.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        1 => Just("$ref".to_owned()),
        1 => select(vec!["not", "AND", "or", "pr", "eq", "true", "null", "x1"]).prop_map(String::from),
    ]
}

fn urn() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
        ])
        .prop_map(String::from),
        "[a-zA-Z][a-zA-Z0-9+.-]{0,5}:[a-zA-Z0-9._~:/?#@!$&'*+,;=%-]{1,20}",
    ]
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    (prop::option::of(urn()), name(), prop::option::of(name())).prop_map(|(urn, attr, sub_attr)| AttrPath {
        urn,
        attr,
        sub_attr,
    })
}

/// An attribute a value filter `[…]` can follow.
fn attr_without_sub() -> impl Strategy<Value = AttrPath> {
    (prop::option::of(urn()), name()).prop_map(|(urn, attr)| AttrPath {
        urn,
        attr,
        sub_attr: None,
    })
}

fn value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        // NUL is the one character no string literal may hold (`lexical_errors`).
        3 => any::<String>().prop_map(|s| CompValue::Str(s.replace('\0', ""))),
        3 => "[\"\\\\/ a-z()\\[\\]\u{1}-\u{1f}\u{7f}é\u{2028}😀]{0,12}".prop_map(CompValue::Str),
        2 => "-?(0|[1-9][0-9]{0,6})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?".prop_map(CompValue::Num),
        1 => any::<bool>().prop_map(CompValue::Bool),
        1 => Just(CompValue::Null),
    ]
}

fn leaf() -> impl Strategy<Value = Filter> {
    prop_oneof![
        3 => (attr_path(), select(CompareOp::ALL.to_vec()), value())
            .prop_map(|(path, op, value)| Filter::compare(path, op, value)),
        1 => attr_path().prop_map(Filter::Present),
    ]
}

/// Adds `and`, `or` and `not` on top of `leaves`.
fn combine(leaves: BoxedStrategy<Filter>, size: u32) -> BoxedStrategy<Filter> {
    leaves
        .prop_recursive(5, size, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::and(l, r)),
                (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::or(l, r)),
                inner.prop_map(Filter::negate),
            ]
        })
        .boxed()
}

/// A filter allowed inside `[…]`: anything but another value path.
fn value_filter() -> BoxedStrategy<Filter> {
    combine(leaf().boxed(), 12)
}

fn filter() -> BoxedStrategy<Filter> {
    let value_path = (attr_without_sub(), value_filter()).prop_map(|(attr, f)| Filter::value_path(attr, f));
    combine(prop_oneof![3 => leaf(), 1 => value_path].boxed(), 24)
}

fn patch_path() -> impl Strategy<Value = PatchPath> {
    prop_oneof![
        attr_path().prop_map(PatchPath::Attr),
        (attr_without_sub(), value_filter(), prop::option::of(name()))
            .prop_map(|(attr, filter, sub_attr)| PatchPath::Filtered { attr, filter, sub_attr }),
    ]
}

/// Phrases of filters, mostly valid, glued together at random: many results parse,
/// many fail somewhere interesting.
fn phrase_soup() -> impl Strategy<Value = String> {
    let phrases = vec![
        "userName eq \"x\"",
        "title pr",
        "emails[",
        "members[value eq \"u\"]",
        "]",
        ".value eq 1",
        "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName PR",
        "$ref pr",
        "not pr",
        "and",
        "AND",
        "or",
        "not (",
        "not(",
        "(",
        ")",
        "x gt -2.5e3",
        "x eq TRUE",
        "y ne null",
        "\"a\\\"b\"",
        "\"\\uD83D\\uDE00\"",
        "\"open",
        "01",
        "1.",
        "eq",
        "é",
        "\\",
        ":",
        ".",
        "\u{0}",
    ];
    let glue = vec!["", " ", " ", " ", " ", " ", "\t"];
    prop::collection::vec((select(phrases), select(glue)), 0..10)
        .prop_map(|parts| parts.into_iter().flat_map(|(t, g)| [t, g]).collect())
}

/// A printed valid filter with a few characters deleted, replaced or inserted.
fn mutated_filter() -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0..3usize,
        select(vec!["", "(", ")", "[", "]", "\"", "\\", ".", " ", "é", "and"]),
    );
    (filter(), prop::collection::vec(edit, 1..4)).prop_map(|(f, edits)| {
        let mut chars: Vec<char> = f.to_string().chars().collect();
        for (at, delete, insert) in edits {
            let at = at.index(chars.len() + 1);
            let end = (at + delete).min(chars.len());
            chars.splice(at..end, insert.chars());
        }
        chars.into_iter().collect()
    })
}

/// An error must point inside the input or just past its end.
fn assert_position_in_range(input: &str, result: Result<impl std::fmt::Debug, ScimSyntaxError>) {
    if let Err(e) = result {
        let len = input.chars().count();
        assert!((1..=len + 1).contains(&e.position), "{input:?}: {e} (length {len})");
        assert!(!e.message.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn printing_a_filter_and_parsing_it_gives_the_same_filter(f in filter()) {
        let text = f.to_string();
        prop_assert_eq!(parse_filter(&text), Ok(f), "{}", text);
    }

    #[test]
    fn printing_a_patch_path_and_parsing_it_gives_the_same_path(p in patch_path()) {
        let text = p.to_string();
        prop_assert_eq!(parse_patch_path(&text), Ok(p), "{}", text);
    }

    #[test]
    fn printing_an_attribute_path_and_parsing_it_gives_the_same_path(p in attr_path()) {
        let text = p.to_string();
        prop_assert_eq!(parse_attr_path(&text), Ok(p), "{}", text);
    }

    #[test]
    fn a_canonical_filter_prints_as_itself(f in filter()) {
        let text = f.to_string();
        prop_assert_eq!(parse_filter(&text).unwrap().to_string(), text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn any_string_never_panics(s in any::<String>()) {
        assert_position_in_range(&s, parse_filter(&s));
        assert_position_in_range(&s, parse_patch_path(&s));
        assert_position_in_range(&s, parse_attr_path(&s));
    }

    #[test]
    fn phrase_soup_never_panics_and_whatever_parses_round_trips(s in phrase_soup()) {
        check_never_panics_and_round_trips(&s)?;
    }

    #[test]
    fn mutated_filters_never_panic_and_whatever_parses_round_trips(s in mutated_filter()) {
        check_never_panics_and_round_trips(&s)?;
    }
}

fn check_never_panics_and_round_trips(s: &str) -> Result<(), TestCaseError> {
    let result = parse_filter(s);
    if let Ok(f) = &result {
        prop_assert_eq!(&parse_filter(&f.to_string()).unwrap(), f, "{:?}", s);
    }
    assert_position_in_range(s, result);
    let result = parse_patch_path(s);
    if let Ok(p) = &result {
        prop_assert_eq!(&parse_patch_path(&p.to_string()).unwrap(), p, "{:?}", s);
    }
    assert_position_in_range(s, result);
    Ok(())
}
