use super::{new_id, tenant, tick};
use crate::records::{Scope, TenantRecord, TokenRecord};
use crate::{StorageError, Store};

crate::tests::on_both_backends! {
    tenants_are_listed_by_name_and_found_by_name_and_id,
    a_tenant_name_is_taken_once,
    a_token_is_found_by_its_hash_with_every_field,
    a_token_of_a_missing_tenant_is_refused_as_not_found,
    a_secret_hash_is_stored_once,
    tokens_are_listed_per_tenant_or_all,
    revoking_keeps_the_first_revocation_time,
    a_token_of_another_tenant_cannot_be_revoked,
    touching_a_token_never_moves_its_last_use_backwards,
}

fn token(tenant_id: &str, secret_hash: &str, scope: Scope) -> TokenRecord {
    TokenRecord {
        id: new_id(),
        tenant_id: tenant_id.to_owned(),
        scope,
        secret_hash: secret_hash.to_owned(),
        label: format!("label of {secret_hash}"),
        created_us: tick(),
        expires_us: None,
        last_used_us: None,
        revoked_us: None,
    }
}

fn tenants_are_listed_by_name_and_found_by_name_and_id(store: &Store) {
    assert_eq!(store.count_tenants(), Ok(0));
    let zulu = TenantRecord {
        id: new_id(),
        name: "zulu".into(),
        public_url: Some("https://zulu.example/scim/v2".into()),
        operator: true,
        created_us: tick(),
    };
    store.create_tenant(&zulu).expect("create");
    let alpha = tenant(store, "alpha");

    assert_eq!(store.count_tenants(), Ok(2));
    let names: Vec<String> = store
        .list_tenants()
        .expect("list")
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["alpha", "zulu"]);
    assert_eq!(store.tenant_by_name("zulu"), Ok(Some(zulu.clone())));
    assert_eq!(store.tenant(&zulu.id), Ok(Some(zulu)));
    assert_eq!(
        store.tenant(&alpha).expect("get").map(|t| t.name).as_deref(),
        Some("alpha")
    );
    assert_eq!(store.tenant_by_name("ZULU"), Ok(None));
    assert_eq!(store.tenant("nope"), Ok(None));
}

fn a_tenant_name_is_taken_once(store: &Store) {
    tenant(store, "contoso");
    let again = TenantRecord {
        id: new_id(),
        name: "contoso".into(),
        public_url: None,
        operator: false,
        created_us: 1,
    };
    assert_eq!(
        store.create_tenant(&again),
        Err(StorageError::Conflict {
            what: "tenants.name".into()
        })
    );
    assert_eq!(store.count_tenants(), Ok(1));
}

fn a_token_is_found_by_its_hash_with_every_field(store: &Store) {
    let t = tenant(store, "contoso");
    let mut tok = token(&t, "hash-1", Scope::Admin);
    tok.expires_us = Some(tick());
    tok.last_used_us = Some(tick());
    tok.revoked_us = Some(tick());
    store.insert_token(&tok).expect("insert");
    assert_eq!(store.token_by_hash("hash-1"), Ok(Some(tok)));
    assert_eq!(store.token_by_hash("hash-2"), Ok(None));
}

fn a_token_of_a_missing_tenant_is_refused_as_not_found(store: &Store) {
    assert_eq!(
        store.insert_token(&token("no-such-tenant", "h", Scope::Scim)),
        Err(StorageError::NotFound)
    );
}

fn a_secret_hash_is_stored_once(store: &Store) {
    let t = tenant(store, "contoso");
    store.insert_token(&token(&t, "same", Scope::Scim)).expect("insert");
    assert_eq!(
        store.insert_token(&token(&t, "same", Scope::Read)),
        Err(StorageError::Conflict {
            what: "tokens.secret_hash".into()
        })
    );
}

fn tokens_are_listed_per_tenant_or_all(store: &Store) {
    let a = tenant(store, "a");
    let b = tenant(store, "b");
    let a1 = token(&a, "a1", Scope::Scim);
    let b1 = token(&b, "b1", Scope::Read);
    let a2 = token(&a, "a2", Scope::Admin);
    for t in [&a1, &b1, &a2] {
        store.insert_token(t).expect("insert");
    }
    assert_eq!(store.list_tokens(Some(&a)), Ok(vec![a1.clone(), a2.clone()]));
    assert_eq!(store.list_tokens(Some(&b)), Ok(vec![b1.clone()]));
    assert_eq!(store.list_tokens(None), Ok(vec![a1, b1, a2]));
    assert_eq!(store.list_tokens(Some("nobody")), Ok(vec![]));
}

fn revoking_keeps_the_first_revocation_time(store: &Store) {
    let t = tenant(store, "contoso");
    let tok = token(&t, "h", Scope::Scim);
    store.insert_token(&tok).expect("insert");

    let revoked = store.revoke_token(Some(&t), &tok.id, 100).expect("revoke");
    assert_eq!(
        revoked,
        TokenRecord {
            revoked_us: Some(100),
            ..tok.clone()
        }
    );
    let again = store.revoke_token(None, &tok.id, 200).expect("revoke again");
    assert_eq!(again.revoked_us, Some(100));
    assert_eq!(
        store.token_by_hash("h").expect("get").and_then(|t| t.revoked_us),
        Some(100)
    );
}

fn a_token_of_another_tenant_cannot_be_revoked(store: &Store) {
    let a = tenant(store, "a");
    let b = tenant(store, "b");
    let tok = token(&a, "h", Scope::Scim);
    store.insert_token(&tok).expect("insert");

    assert_eq!(store.revoke_token(Some(&b), &tok.id, 100), Err(StorageError::NotFound));
    assert_eq!(
        store.revoke_token(Some(&a), "missing", 100),
        Err(StorageError::NotFound)
    );
    assert_eq!(store.revoke_token(None, "missing", 100), Err(StorageError::NotFound));
    assert_eq!(store.token_by_hash("h").expect("get").and_then(|t| t.revoked_us), None);
}

fn touching_a_token_never_moves_its_last_use_backwards(store: &Store) {
    let t = tenant(store, "contoso");
    let tok = token(&t, "h", Scope::Scim);
    store.insert_token(&tok).expect("insert");
    let last_used = || store.token_by_hash("h").expect("get").and_then(|t| t.last_used_us);

    store.touch_token(&tok.id, 500).expect("touch");
    assert_eq!(last_used(), Some(500));
    store.touch_token(&tok.id, 400).expect("touch earlier");
    assert_eq!(last_used(), Some(500));
    store.touch_token(&tok.id, 600).expect("touch later");
    assert_eq!(last_used(), Some(600));
    store
        .touch_token("missing", 700)
        .expect("a missing token is not an error");
}
