#![allow(clippy::unwrap_used)]
//! Inputs that are too deep, too long or too big fail fast instead of exhausting
//! the stack.

use super::super::{MAX_LOGICAL_OPERATORS, MAX_NESTING, parse_filter};
use super::support::rejects;

#[test]
fn nesting_deeper_than_the_limit_is_rejected() {
    let ok = format!("{}a pr{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    assert!(parse_filter(&ok).is_ok());
    let deep = format!("{}a pr{}", "(".repeat(MAX_NESTING + 1), ")".repeat(MAX_NESTING + 1));
    rejects(&deep, MAX_NESTING + 1, "nested more than 64 levels deep");
    rejects(
        &"not (".repeat(100_000),
        MAX_NESTING * 5 + 5,
        "nested more than 64 levels deep",
    );
    rejects(&"(".repeat(1_000_000), MAX_NESTING + 1, "nested more than 64");
}

#[test]
fn too_many_logical_operators_are_rejected() {
    let ok = format!("a pr{}", " and a pr".repeat(MAX_LOGICAL_OPERATORS));
    assert!(parse_filter(&ok).is_ok());
    let long = format!("a pr{}", " or a pr".repeat(MAX_LOGICAL_OPERATORS + 500));
    rejects(&long, 4 + 8 * MAX_LOGICAL_OPERATORS + 2, "at most 1000 `and`/`or`");
}

#[test]
fn huge_inputs_fail_fast_without_panicking() {
    let word = "a".repeat(1_000_000);
    rejects(&word, 1_000_001, "found the end of the input");
    rejects(&"[".repeat(1_000_000), 1, "found `[`");
    let string = format!("x eq \"{}", "é".repeat(1_000_000));
    rejects(&string, 6, "unterminated string");
}

#[test]
fn the_largest_accepted_tree_prints_compares_and_drops_on_a_small_stack() {
    let nested = format!("{}a pr{}", "not (".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
    let text = format!("{nested}{}", " and a pr or b pr".repeat(MAX_LOGICAL_OPERATORS / 2));
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let tree = parse_filter(&text).unwrap();
            let printed = tree.to_string();
            assert_eq!(parse_filter(&printed).unwrap(), tree.clone());
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn the_operators_lower_limits_apply_and_are_marked_as_limits() {
    use super::super::{FilterLimits, parse_filter_within};
    let limits = FilterLimits {
        max_bytes: 30,
        max_nesting: 1,
        max_operators: 1,
    };
    assert!(parse_filter_within("(a pr) and b pr", &limits).is_ok());
    for (text, position, said) in [
        ("((a pr))", 2, "nested more than 1 levels deep"),
        ("a pr and b pr or c pr", 15, "at most 1 `and`/`or`"),
        (
            "userName eq \"ééééééééééééééééééé\"",
            22,
            "is 52 bytes long; at most 30",
        ),
    ] {
        let error = parse_filter_within(text, &limits).unwrap_err();
        assert!(error.over_limit, "{text}: {error}");
        assert_eq!(error.position, position, "{text}: {error}");
        assert!(error.message.contains(said), "{text}: {error}");
    }
    // Nesting cannot be raised past the stack's bound.
    let raised = FilterLimits {
        max_nesting: MAX_NESTING * 10,
        ..FilterLimits::DEFAULT
    };
    let deep = format!("{}a pr{}", "(".repeat(MAX_NESTING + 1), ")".repeat(MAX_NESTING + 1));
    assert!(parse_filter_within(&deep, &raised).unwrap_err().over_limit);
    // A grammar error is not a limit.
    assert!(!parse_filter("a eq").unwrap_err().over_limit);
}
