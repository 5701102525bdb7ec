//! Every operator, on both backends, against one small population whose answers are
//! worked out by hand.

use super::{and, child_and, child_text, cmp, email, exact, not, or, phone, present, tenant, text, user};
use crate::query::{ChildColumn, CompareOp, Literal, MultiValuedAttr, Predicate, UserColumn, UserPredicate};
use crate::records::{UserQuery, UserRecord};
use crate::{StorageError, Store};

use CompareOp::{Contains, EndsWith, Eq, Ge, Gt, Le, Lt, Ne, StartsWith};
use UserColumn::{Active, Created, DisplayName, LastModified, NickName, Title, UserName};

crate::tests::on_both_backends! {
    eq_ignores_case_unless_case_exact,
    case_folding_is_unicode_aware,
    ne_holds_for_absent_values,
    not_holds_where_the_negated_comparison_meets_null,
    co_sw_ew_match_substrings_with_case_as_asked,
    like_wildcards_in_literals_match_only_themselves,
    text_ordering_is_by_code_point,
    booleans_compare_as_booleans,
    timestamps_compare_as_instants,
    present_means_not_null_and_not_empty,
    and_or_not_nest,
    any_child_tests_one_value_of_a_multi_valued_attribute,
    literals_of_the_wrong_type_are_invalid_queries,
    constants_select_all_or_nothing,
    another_tenants_users_never_match,
}

/// The population; `who` answers with these short names, in creation order.
struct Fixture {
    tenant: String,
    names: Vec<(String, &'static str)>,
    created: Vec<i64>,
}

fn fixture(store: &Store) -> Fixture {
    let t = tenant(store, "contoso");
    let s = |v: &str| Some(v.to_owned());
    let users = [
        (
            "ada",
            UserRecord {
                display_name: s("Ada Lovelace"),
                title: s("Countess"),
                nick_name: s("ada_%x"),
                children: vec![
                    email("ada@Contoso.com", "work", true),
                    email("ada@home.org", "home", false),
                    phone("+1 555 0100", "work"),
                ],
                ..user(&t, "Ada@Example.com")
            },
        ),
        (
            "bob",
            UserRecord {
                display_name: s("Bob"),
                active: Some(false),
                nick_name: s("bob"),
                children: vec![email("bob@contoso.com", "home", false)],
                ..user(&t, "bob@example.com")
            },
        ),
        (
            "emile",
            UserRecord {
                display_name: s("Émile Zola"),
                title: s(""),
                nick_name: s("50%_off"),
                children: vec![email("emile@example.org", "work", false)],
                ..user(&t, "ÉMILE@example.com")
            },
        ),
        (
            "zed",
            UserRecord {
                title: s("Engineer"),
                nick_name: s(r"back\slash"),
                department: s("R&D"),
                ..user(&t, "zed")
            },
        ),
    ];
    let mut names = Vec::new();
    let mut created = Vec::new();
    for (short, u) in users {
        store.write(|tx| tx.insert_user(&u)).expect("insert");
        names.push((u.id.clone(), short));
        created.push(u.created_us);
    }
    Fixture {
        tenant: t,
        names,
        created,
    }
}

impl Fixture {
    /// The short names of the users that satisfy `p`, in creation order.
    fn who(&self, store: &Store, p: UserPredicate) -> Vec<&'static str> {
        let page = store
            .read(|tx| {
                tx.list_users(
                    &self.tenant,
                    &UserQuery {
                        predicate: p,
                        ..UserQuery::all(100)
                    },
                )
            })
            .expect("list");
        assert_eq!(page.total as usize, page.users.len());
        page.users
            .iter()
            .map(|u| {
                self.names
                    .iter()
                    .find(|(id, _)| *id == u.id)
                    .map(|(_, short)| *short)
                    .expect("a fixture user")
            })
            .collect()
    }
}

fn eq_ignores_case_unless_case_exact(store: &Store) {
    let f = fixture(store);
    assert_eq!(f.who(store, text(UserName, Eq, "ada@example.COM")), ["ada"]);
    assert_eq!(f.who(store, exact(UserName, Eq, "ada@example.com")), Vec::<&str>::new());
    assert_eq!(f.who(store, exact(UserName, Eq, "Ada@Example.com")), ["ada"]);
    assert_eq!(f.who(store, text(DisplayName, Eq, "ADA LOVELACE")), ["ada"]);
    assert_eq!(f.who(store, exact(DisplayName, Eq, "ada lovelace")), Vec::<&str>::new());
    assert_eq!(f.who(store, text(UserColumn::Department, Eq, "r&d")), ["zed"]);
}

fn case_folding_is_unicode_aware(store: &Store) {
    let f = fixture(store);
    assert_eq!(f.who(store, text(UserName, Eq, "émile@EXAMPLE.com")), ["emile"]);
    assert_eq!(f.who(store, text(DisplayName, Eq, "émile zola")), ["emile"]);
    assert_eq!(f.who(store, text(DisplayName, StartsWith, "ÉM")), ["emile"]);
    assert_eq!(f.who(store, exact(DisplayName, StartsWith, "ém")), Vec::<&str>::new());
}

fn ne_holds_for_absent_values(store: &Store) {
    let f = fixture(store);
    // bob has no title, emile an empty one.
    assert_eq!(f.who(store, text(Title, Ne, "countess")), ["bob", "emile", "zed"]);
    assert_eq!(
        f.who(store, exact(Title, Ne, "countess")),
        ["ada", "bob", "emile", "zed"]
    );
    assert_eq!(f.who(store, text(DisplayName, Ne, "bob")), ["ada", "emile", "zed"]);
}

fn not_holds_where_the_negated_comparison_meets_null(store: &Store) {
    let f = fixture(store);
    assert_eq!(f.who(store, not(text(Title, Eq, "x"))), ["ada", "bob", "emile", "zed"]);
    assert_eq!(f.who(store, not(text(Title, Eq, "countess"))), ["bob", "emile", "zed"]);
    assert_eq!(f.who(store, not(text(Title, Ne, "countess"))), ["ada"]);
    assert_eq!(f.who(store, not(text(DisplayName, Contains, "o"))), ["zed"]);
    assert_eq!(f.who(store, not(not(text(Title, Gt, "a")))), ["ada", "zed"]);
}

fn co_sw_ew_match_substrings_with_case_as_asked(store: &Store) {
    let f = fixture(store);
    assert_eq!(f.who(store, text(DisplayName, Contains, "LOVE")), ["ada"]);
    assert_eq!(f.who(store, exact(DisplayName, Contains, "Love")), ["ada"]);
    assert_eq!(f.who(store, exact(DisplayName, Contains, "love")), Vec::<&str>::new());
    assert_eq!(f.who(store, text(DisplayName, StartsWith, "bo")), ["bob"]);
    assert_eq!(f.who(store, exact(DisplayName, StartsWith, "bo")), Vec::<&str>::new());
    assert_eq!(f.who(store, text(DisplayName, EndsWith, "ZOLA")), ["emile"]);
    assert_eq!(f.who(store, exact(DisplayName, EndsWith, "ZOLA")), Vec::<&str>::new());
    assert_eq!(
        f.who(store, text(UserName, EndsWith, "@EXAMPLE.COM")),
        ["ada", "bob", "emile"]
    );
    assert_eq!(f.who(store, exact(UserName, StartsWith, "É")), ["emile"]);
    assert_eq!(
        f.who(store, text(UserName, Contains, "")),
        ["ada", "bob", "emile", "zed"]
    );
}

fn like_wildcards_in_literals_match_only_themselves(store: &Store) {
    let f = fixture(store);
    assert_eq!(f.who(store, text(NickName, Contains, "%")), ["ada", "emile"]);
    assert_eq!(f.who(store, text(NickName, Contains, "_")), ["ada", "emile"]);
    assert_eq!(f.who(store, text(NickName, Contains, "a_%")), ["ada"]);
    assert_eq!(f.who(store, exact(NickName, StartsWith, "50%")), ["emile"]);
    assert_eq!(f.who(store, text(NickName, EndsWith, "_off")), ["emile"]);
    assert_eq!(f.who(store, text(NickName, StartsWith, "_")), Vec::<&str>::new());
    assert_eq!(f.who(store, text(NickName, Contains, r"\")), ["zed"]);
    assert_eq!(f.who(store, exact(NickName, Contains, r"k\s")), ["zed"]);
}

fn text_ordering_is_by_code_point(store: &Store) {
    let f = fixture(store);
    // "é" (U+00E9) sorts after "z"; case-insensitively everything is lowercase.
    assert_eq!(f.who(store, text(DisplayName, Gt, "z")), ["emile"]);
    assert_eq!(f.who(store, text(DisplayName, Lt, "b")), ["ada"]);
    assert_eq!(f.who(store, text(DisplayName, Ge, "BOB")), ["bob", "emile"]);
    assert_eq!(f.who(store, text(DisplayName, Le, "bob")), ["ada", "bob"]);
    // Case-exact: uppercase sorts before lowercase, and before "É".
    assert_eq!(f.who(store, exact(DisplayName, Gt, "Z")), ["emile"]);
    assert_eq!(f.who(store, exact(DisplayName, Lt, "a")), ["ada", "bob"]);
    assert_eq!(f.who(store, exact(Title, Ge, "")), ["ada", "emile", "zed"]);
}

fn booleans_compare_as_booleans(store: &Store) {
    let f = fixture(store);
    let active = |op, b| cmp(Active, op, Literal::Bool(b), false);
    assert_eq!(f.who(store, active(Eq, true)), ["ada", "emile", "zed"]);
    assert_eq!(f.who(store, active(Eq, false)), ["bob"]);
    assert_eq!(f.who(store, active(Ne, true)), ["bob"]);
    assert_eq!(f.who(store, active(Gt, false)), ["ada", "emile", "zed"]);
    assert_eq!(f.who(store, active(Le, false)), ["bob"]);
    assert_eq!(f.who(store, present(Active)), ["ada", "bob", "emile", "zed"]);
}

fn timestamps_compare_as_instants(store: &Store) {
    let f = fixture(store);
    let at = |column, op, i: usize| cmp(column, op, Literal::Timestamp(f.created[i]), false);
    assert_eq!(f.who(store, at(Created, Gt, 1)), ["emile", "zed"]);
    assert_eq!(f.who(store, at(Created, Ge, 1)), ["bob", "emile", "zed"]);
    assert_eq!(f.who(store, at(Created, Lt, 1)), ["ada"]);
    assert_eq!(f.who(store, at(Created, Le, 1)), ["ada", "bob"]);
    assert_eq!(f.who(store, at(Created, Eq, 2)), ["emile"]);
    assert_eq!(f.who(store, at(Created, Ne, 2)), ["ada", "bob", "zed"]);
    assert_eq!(f.who(store, at(LastModified, Eq, 3)), ["zed"]);
}

fn present_means_not_null_and_not_empty(store: &Store) {
    let f = fixture(store);
    assert_eq!(f.who(store, present(Title)), ["ada", "zed"]);
    assert_eq!(f.who(store, not(present(Title))), ["bob", "emile"]);
    assert_eq!(f.who(store, present(DisplayName)), ["ada", "bob", "emile"]);
    assert_eq!(f.who(store, present(UserName)), ["ada", "bob", "emile", "zed"]);
    assert_eq!(f.who(store, present(Created)), ["ada", "bob", "emile", "zed"]);
}

fn and_or_not_nest(store: &Store) {
    let f = fixture(store);
    let inactive = cmp(Active, Eq, Literal::Bool(false), false);
    let p = or(
        and(inactive, text(UserName, StartsWith, "B")),
        and(text(Title, Eq, "engineer"), not(present(DisplayName))),
    );
    assert_eq!(f.who(store, p), ["bob", "zed"]);
    let p = and(
        cmp(Active, Eq, Literal::Bool(true), false),
        or(present(Title), text(DisplayName, StartsWith, "é")),
    );
    assert_eq!(f.who(store, p), ["ada", "emile", "zed"]);
    let p = not(or(text(UserName, Contains, "a"), text(UserName, Contains, "o")));
    assert_eq!(f.who(store, p), ["zed"]);
}

fn any_child_tests_one_value_of_a_multi_valued_attribute(store: &Store) {
    let f = fixture(store);
    let emails = |p| UserPredicate::AnyChild(MultiValuedAttr::Emails, p);
    let work = || child_text(ChildColumn::Type, Eq, "work", false);

    // Type and value must hold for the same email: bob's contoso address is "home".
    let p = emails(child_and(
        work(),
        child_text(ChildColumn::Value, EndsWith, "@CONTOSO.com", false),
    ));
    assert_eq!(f.who(store, p), ["ada"]);
    assert_eq!(
        f.who(
            store,
            emails(child_text(ChildColumn::Value, Contains, "contoso", false))
        ),
        ["ada", "bob"]
    );
    assert_eq!(
        f.who(
            store,
            emails(child_text(ChildColumn::Value, Eq, "ADA@contoso.COM", false))
        ),
        ["ada"]
    );
    assert_eq!(
        f.who(
            store,
            emails(child_text(ChildColumn::Value, Eq, "ada@contoso.com", true))
        ),
        Vec::<&str>::new()
    );
    assert_eq!(
        f.who(
            store,
            emails(child_text(ChildColumn::Value, Eq, "ada@Contoso.com", true))
        ),
        ["ada"]
    );
    assert_eq!(
        f.who(store, emails(child_text(ChildColumn::Value, Ne, "ada@home.org", false))),
        ["ada", "bob", "emile"]
    );
    let primary = Predicate::Compare {
        column: ChildColumn::Primary,
        op: Eq,
        value: Literal::Bool(true),
        case_exact: false,
    };
    assert_eq!(f.who(store, emails(primary)), ["ada"]);
    assert_eq!(f.who(store, not(emails(work()))), ["bob", "zed"]);
    assert_eq!(
        f.who(store, and(emails(work()), cmp(Active, Eq, Literal::Bool(true), false))),
        ["ada", "emile"]
    );
    let phones = UserPredicate::AnyChild(MultiValuedAttr::PhoneNumbers, work());
    assert_eq!(f.who(store, phones), ["ada"]);
    let display = UserPredicate::AnyChild(MultiValuedAttr::Emails, Predicate::Present(ChildColumn::Display));
    assert_eq!(f.who(store, display), Vec::<&str>::new());
    let roles = UserPredicate::AnyChild(MultiValuedAttr::Roles, Predicate::Const(true));
    assert_eq!(f.who(store, roles), Vec::<&str>::new());
}

fn literals_of_the_wrong_type_are_invalid_queries(store: &Store) {
    let f = fixture(store);
    let invalid = |p: UserPredicate| {
        let q = UserQuery {
            predicate: p,
            ..UserQuery::all(10)
        };
        assert!(
            matches!(
                store.read(|tx| tx.list_users(&f.tenant, &q)),
                Err(StorageError::InvalidQuery(_))
            ),
            "{q:?}"
        );
    };
    invalid(cmp(Active, Eq, Literal::Text("true".into()), false));
    invalid(cmp(UserName, Eq, Literal::Bool(true), false));
    invalid(cmp(Created, Gt, Literal::Int(1), false));
    invalid(cmp(Title, Eq, Literal::Timestamp(1), false));
    invalid(cmp(Active, Contains, Literal::Bool(true), false));
    invalid(cmp(Created, StartsWith, Literal::Timestamp(1), false));
    invalid(and(
        text(UserName, Eq, "ada"),
        UserPredicate::AnyChild(
            MultiValuedAttr::Emails,
            Predicate::Compare {
                column: ChildColumn::Primary,
                op: Eq,
                value: Literal::Text("x".into()),
                case_exact: false,
            },
        ),
    ));
}

fn constants_select_all_or_nothing(store: &Store) {
    let f = fixture(store);
    assert_eq!(f.who(store, UserPredicate::all()), ["ada", "bob", "emile", "zed"]);
    assert_eq!(
        f.who(store, UserPredicate::Row(Predicate::Const(false))),
        Vec::<&str>::new()
    );
    assert_eq!(
        f.who(store, not(UserPredicate::Row(Predicate::Const(false)))),
        ["ada", "bob", "emile", "zed"]
    );
}

fn another_tenants_users_never_match(store: &Store) {
    let f = fixture(store);
    let other = tenant(store, "fabrikam");
    let twin = UserRecord {
        children: vec![email("ada@Contoso.com", "work", true)],
        ..user(&other, "Ada@Example.com")
    };
    store.write(|tx| tx.insert_user(&twin)).expect("insert");
    assert_eq!(f.who(store, text(UserName, Eq, "ada@example.com")), ["ada"]);
    let work = child_text(ChildColumn::Type, Eq, "work", false);
    assert_eq!(
        f.who(store, UserPredicate::AnyChild(MultiValuedAttr::Emails, work)),
        ["ada", "emile"]
    );
}
