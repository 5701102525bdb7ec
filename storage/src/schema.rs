//! The diesel view of the tables that `migrations/{sqlite,postgres}` create.
//!
//! Written by hand to match both backends' migrations (diesel's `print-schema` sees
//! one backend at a time); the storage tests exercise every column on both.

diesel::table! {
    /// Customer organisations.
    tenants (id) {
        id -> Text,
        name -> Text,
        public_url -> Nullable<Text>,
        operator -> Bool,
        created_us -> BigInt,
        feed_seq -> BigInt,
        rules_version -> BigInt,
    }
}

diesel::table! {
    /// Bearer tokens, stored hashed.
    tokens (id) {
        id -> Text,
        tenant_id -> Text,
        scope -> Text,
        secret_hash -> Text,
        label -> Text,
        created_us -> BigInt,
        expires_us -> Nullable<BigInt>,
        last_used_us -> Nullable<BigInt>,
        revoked_us -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// SCIM users with the enterprise extension; one row per user.
    users (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        user_name -> Text,
        user_name_norm -> Text,
        external_id -> Nullable<Text>,
        display_name -> Nullable<Text>,
        nick_name -> Nullable<Text>,
        profile_url -> Nullable<Text>,
        title -> Nullable<Text>,
        user_type -> Nullable<Text>,
        preferred_language -> Nullable<Text>,
        locale -> Nullable<Text>,
        timezone -> Nullable<Text>,
        active -> Nullable<Bool>,
        password_hash -> Nullable<Text>,
        name_formatted -> Nullable<Text>,
        name_family_name -> Nullable<Text>,
        name_given_name -> Nullable<Text>,
        name_middle_name -> Nullable<Text>,
        name_honorific_prefix -> Nullable<Text>,
        name_honorific_suffix -> Nullable<Text>,
        employee_number -> Nullable<Text>,
        cost_center -> Nullable<Text>,
        organization -> Nullable<Text>,
        division -> Nullable<Text>,
        department -> Nullable<Text>,
        manager_value -> Nullable<Text>,
        manager_ref -> Nullable<Text>,
        manager_display_name -> Nullable<Text>,
        created_us -> BigInt,
        last_modified_us -> BigInt,
        version -> BigInt,
        created_by_token -> Nullable<Text>,
        out_of_scope -> Bool,
        adopted_by_token -> Nullable<Text>,
        display_name_norm -> Nullable<Text>,
        name_given_name_norm -> Nullable<Text>,
        name_family_name_norm -> Nullable<Text>,
    }
}

diesel::table! {
    /// Values of the users' multi-valued attributes, one row per value.
    user_values (tenant_id, user_id, attr, ord) {
        tenant_id -> Text,
        user_id -> Text,
        attr -> Text,
        ord -> Integer,
        value -> Nullable<Text>,
        value_norm -> Nullable<Text>,
        display -> Nullable<Text>,
        #[sql_name = "type"]
        type_ -> Nullable<Text>,
        is_primary -> Nullable<Bool>,
        #[sql_name = "ref"]
        ref_ -> Nullable<Text>,
        formatted -> Nullable<Text>,
        street_address -> Nullable<Text>,
        locality -> Nullable<Text>,
        region -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        country -> Nullable<Text>,
    }
}

diesel::table! {
    /// SCIM groups; one row per group. Members live in `group_members`.
    groups (tenant_id, id) {
        tenant_id -> Text,
        id -> Text,
        display_name -> Text,
        display_name_norm -> Text,
        external_id -> Nullable<Text>,
        created_us -> BigInt,
        last_modified_us -> BigInt,
        version -> BigInt,
        created_by_token -> Nullable<Text>,
        out_of_scope -> Bool,
    }
}

diesel::table! {
    /// Group membership, one row per (group, member); the member is a user or a group.
    group_members (tenant_id, group_id, member_id) {
        tenant_id -> Text,
        group_id -> Text,
        member_id -> Text,
        member_type -> Text,
    }
}

diesel::table! {
    /// Scoping rules: one per tenant and resource type (`User`, `Group`).
    tenant_rules (tenant_id, resource_type) {
        tenant_id -> Text,
        resource_type -> Text,
        filter -> Text,
        create_policy -> Text,
        update_policy -> Text,
    }
}

diesel::table! {
    /// Matching rules: at most one per tenant.
    tenant_matching_rules (tenant_id) {
        tenant_id -> Text,
        attributes -> Text,
        policy -> Text,
    }
}

diesel::table! {
    /// The change feed: one row per committed change, numbered per tenant.
    changes (tenant_id, seq) {
        tenant_id -> Text,
        seq -> BigInt,
        at_us -> BigInt,
        resource_type -> Text,
        resource_id -> Text,
        event -> Text,
        attributes -> Text,
        member_id -> Nullable<Text>,
        member_type -> Nullable<Text>,
        token_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// The provisioning log: one row per write attempt, successful or not.
    provisioning_log (tenant_id, at_us, id) {
        tenant_id -> Text,
        id -> Text,
        at_us -> BigInt,
        token_id -> Nullable<Text>,
        operation -> Text,
        resource_type -> Text,
        resource_id -> Nullable<Text>,
        outcome -> Text,
        grpc_code -> Nullable<Text>,
        http_status -> Nullable<Integer>,
        scim_type -> Nullable<Text>,
        detail -> Nullable<Text>,
        attributes -> Text,
        request_id -> Nullable<Text>,
        trace_id -> Nullable<Text>,
    }
}

diesel::joinable!(tokens -> tenants (tenant_id));
diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    tokens,
    users,
    user_values,
    groups,
    group_members,
    tenant_rules,
    tenant_matching_rules,
    changes,
    provisioning_log
);

diesel::table! {
    /// PostgreSQL only: events committed by writers and not yet numbered into
    /// `changes` (see the `feed` module). `xact`, the writing transaction, is left to
    /// its default and read only by SQL.
    change_queue (id) {
        id -> BigInt,
        tenant_id -> Text,
        at_us -> BigInt,
        resource_type -> Text,
        resource_id -> Text,
        event -> Text,
        attributes -> Text,
        member_id -> Nullable<Text>,
        member_type -> Nullable<Text>,
        token_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}
