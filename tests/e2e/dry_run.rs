//! `Admin.DryRunRules`: what a set of rules would put out of scope, counted against the
//! stored users and groups, refused exactly as `SetRules` refuses, and never stored.

use idsync_proto::v1::admin_client::AdminClient;
use idsync_proto::v1::{
    CreatePolicy, DryRunRulesRequest, DryRunRulesResponse, GetOverviewRequest, ListLogEntriesRequest, LogEntry,
    MatchPolicy, MatchingRule, RuleResource, Rules, ScopingRule, UpdatePolicy,
};
use idsync_storage::records::Scope;
use idsync_tests::{Backend, TestApp, authed, on_both_backends, scoping_rule};
use serde_json::json;
use tonic::Code;

on_both_backends!(
    the_dry_run_counts_resources_in_scope_that_the_rules_would_not_admit,
    an_invalid_rule_is_refused_as_set_rules_refuses_it,
    a_dry_run_stores_nothing,
    only_admin_tokens_may_dry_run_and_only_over_their_own_tenant,
);

/// `DryRunRules` with `token`.
async fn try_dry_run(app: &TestApp, token: &str, rules: Rules) -> Result<DryRunRulesResponse, tonic::Status> {
    let mut admin = AdminClient::connect(app.grpc_url()).await.expect("gRPC connects");
    admin
        .dry_run_rules(authed(token, DryRunRulesRequest { rules: Some(rules) }))
        .await
        .map(tonic::Response::into_inner)
}

/// The tenant's whole provisioning log, newest first.
async fn log(app: &TestApp, admin: &str) -> Vec<LogEntry> {
    app.log_entries(admin, ListLogEntriesRequest::default())
        .await
        .expect("the log answers")
}

/// The cursor of the tenant's newest change, as the overview tells it.
async fn feed_head(app: &TestApp, admin: &str) -> u64 {
    let mut client = AdminClient::connect(app.grpc_url()).await.expect("gRPC connects");
    let overview = client.get_overview(authed(admin, GetOverviewRequest {})).await;
    overview.expect("the overview answers").into_inner().feed_head
}

fn rule(resource: RuleResource, filter: &str) -> ScopingRule {
    scoping_rule(resource, filter, CreatePolicy::Unspecified, UpdatePolicy::Unspecified)
}

fn rules(scoping: Vec<ScopingRule>) -> Rules {
    Rules {
        scoping,
        matching: None,
    }
}

/// Users ada, bob (contoso), eve (fabrikam) in scope and mal (tailspin) stored out of
/// scope under a rule that admits contoso and fabrikam; groups Engineering, Sales and
/// Contractors. Returns the rules in force.
async fn directory_with_a_marked_user(app: &TestApp) -> Rules {
    let in_force = rules(vec![scoping_rule(
        RuleResource::User,
        "userName ew \"@contoso.com\" or userName ew \"@fabrikam.com\"",
        CreatePolicy::AcceptDisabled,
        UpdatePolicy::Deactivate,
    )]);
    let in_force = app.set_rules(in_force).await;
    for name in [
        "ada@contoso.com",
        "bob@contoso.com",
        "eve@fabrikam.com",
        "mal@tailspin.com",
    ] {
        app.user_id(name).await;
    }
    let mal = app.find_users("userName eq \"mal@tailspin.com\"").await;
    assert_eq!(mal["Resources"][0]["active"], json!(false), "stored out of scope");
    for name in ["Engineering", "Sales", "Contractors"] {
        app.group_id(name).await;
    }
    in_force
}

async fn the_dry_run_counts_resources_in_scope_that_the_rules_would_not_admit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    directory_with_a_marked_user(&app).await;
    let admin = app.new_token(Scope::Admin).await;

    let contoso_only = rules(vec![
        rule(RuleResource::User, "userName ew \"@contoso.com\""),
        rule(RuleResource::Group, "displayName ne \"Contractors\""),
    ]);
    let found = try_dry_run(&app, &admin, contoso_only).await.unwrap();
    assert_eq!(
        found,
        DryRunRulesResponse {
            users_leaving_scope: 1,
            groups_leaving_scope: 1,
            users_in_scope: 3,
            groups_in_scope: 3,
        },
        "eve leaves (mal was out of scope already); Contractors leaves"
    );

    // No rule for a resource type: nothing of that type leaves.
    let users_only = rules(vec![rule(RuleResource::User, "userName sw \"a\"")]);
    let found = try_dry_run(&app, &admin, users_only).await.unwrap();
    assert_eq!((found.users_leaving_scope, found.groups_leaving_scope), (2, 0));
    let found = try_dry_run(&app, &admin, Rules::default()).await.unwrap();
    assert_eq!((found.users_leaving_scope, found.groups_leaving_scope), (0, 0));
    assert_eq!((found.users_in_scope, found.groups_in_scope), (3, 3));
}

async fn an_invalid_rule_is_refused_as_set_rules_refuses_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.new_token(Scope::Admin).await;
    let matching = |attribute: &str| Rules {
        scoping: Vec::new(),
        matching: Some(MatchingRule {
            attributes: vec![attribute.into()],
            policy: MatchPolicy::Adopt as i32,
        }),
    };
    let invalid = [
        rules(vec![rule(
            RuleResource::User,
            "userName ew \"@contoso.com\" and department is \"x\"",
        )]),
        rules(vec![rule(RuleResource::Group, "shoeSize gt 40")]),
        rules(vec![
            rule(RuleResource::User, "active eq true"),
            rule(RuleResource::User, "active eq false"),
        ]),
        matching("displayName"),
    ];
    for candidate in invalid {
        let set = app.try_set_rules(&admin, candidate.clone()).await.unwrap_err();
        let dry = try_dry_run(&app, &admin, candidate).await.unwrap_err();
        assert_eq!(dry.code(), Code::InvalidArgument);
        assert_eq!((dry.code(), dry.message()), (set.code(), set.message()));
        assert_eq!(
            idsync_core::error::scim_type_of(&dry),
            idsync_core::error::scim_type_of(&set)
        );
    }
    let filter = rules(vec![rule(RuleResource::User, "userName ew")]);
    let dry = try_dry_run(&app, &admin, filter).await.unwrap_err();
    assert_eq!(idsync_core::error::scim_type_of(&dry).as_deref(), Some("invalidFilter"));
}

async fn a_dry_run_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let in_force = directory_with_a_marked_user(&app).await;
    let admin = app.new_token(Scope::Admin).await;
    let (log_before, head_before) = (log(&app, &admin).await, feed_head(&app, &admin).await);

    let strict = rules(vec![
        rule(RuleResource::User, "userName ew \"@contoso.com\""),
        rule(RuleResource::Group, "displayName eq \"Engineering\""),
    ]);
    let found = try_dry_run(&app, &admin, strict).await.unwrap();
    assert_eq!((found.users_leaving_scope, found.groups_leaving_scope), (1, 2));

    assert_eq!(
        app.try_get_rules(&admin).await.unwrap(),
        in_force,
        "the rules in force are kept"
    );
    assert_eq!(log(&app, &admin).await, log_before, "no log entry");
    assert_eq!(feed_head(&app, &admin).await, head_before, "no change event");
    // eve is still in scope and active: the dry run judged, it did not apply.
    let eve = app.find_users("userName eq \"eve@fabrikam.com\"").await;
    assert_eq!(eve["Resources"][0]["active"], json!(true));
}

async fn only_admin_tokens_may_dry_run_and_only_over_their_own_tenant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    directory_with_a_marked_user(&app).await;
    let reader = app.new_token(Scope::Read).await;
    let any = rules(vec![rule(RuleResource::User, "active eq true")]);
    for token in [app.token.as_str(), reader.as_str()] {
        let denied = try_dry_run(&app, token, any.clone()).await.unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
    let (_, other_admin) = app.new_tenant("fabrikam", Scope::Admin).await;
    let theirs = try_dry_run(&app, &other_admin, any).await.unwrap();
    assert_eq!(
        theirs,
        DryRunRulesResponse::default(),
        "another tenant has nothing stored"
    );
}
