//! Screenshots of the admin console for the README, made in the same headless chromium
//! the browser tests use: a fresh single node on SQLite is filled with a small directory
//! (users, groups, a failed write, a scoping rule), an admin signs in, and each page is
//! saved as a PNG.
//!
//! ```sh
//! bash scripts/console-screenshots.sh            # writes docs/console/*.png
//! cargo run -p idsync-tests --example console_screenshots -- docs/console
//! ```

use std::path::PathBuf;

use anyhow::{Context, Result};
use idsync_proto::v1::{CreatePolicy, RuleResource, UpdatePolicy};
use idsync_storage::records::Scope;
use idsync_tests::browser::Browser;
use idsync_tests::console::console_url;
use idsync_tests::{Backend, TestApp, scoping_rule};
use serde_json::json;

/// Fills the default tenant with what an admin would see after a few Entra cycles;
/// returns the users' ids.
async fn populate(app: &TestApp) -> Result<Vec<String>> {
    let people = [
        ("ada.lovelace", "Ada", "Lovelace", "Engineering", true),
        ("grace.hopper", "Grace", "Hopper", "Engineering", true),
        ("alan.turing", "Alan", "Turing", "Research", true),
        ("katherine.johnson", "Katherine", "Johnson", "Research", true),
        ("edsger.dijkstra", "Edsger", "Dijkstra", "Engineering", false),
        ("barbara.liskov", "Barbara", "Liskov", "Sales", true),
    ];
    let mut ids = Vec::new();
    for (user, given, family, department, active) in people {
        let created = app
            .created_user(&json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "userName": format!("{user}@contoso.com"),
                "externalId": format!("{user}-ext"),
                "active": active,
                "displayName": format!("{given} {family}"),
                "name": {"givenName": given, "familyName": family},
                "emails": [{"type": "work", "primary": true, "value": format!("{user}@contoso.com")}],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": department}
            }))
            .await;
        ids.push(created["id"].as_str().context("user id")?.to_owned());
    }
    let engineering: Vec<&str> = [0, 1, 4].iter().map(|&i| ids[i].as_str()).collect();
    app.group_with("Engineering", &engineering).await;
    app.group_with("Research", &[ids[2].as_str(), ids[3].as_str()]).await;
    // A failed write: Entra sends a duplicate userName.
    app.create_user(&json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ada.lovelace@contoso.com"
    }))
    .await;
    app.set_rules(idsync_proto::v1::Rules {
        scoping: vec![scoping_rule(
            RuleResource::User,
            r#"userName ew "@contoso.com""#,
            CreatePolicy::Reject,
            UpdatePolicy::Deactivate,
        )],
        matching: None,
    })
    .await;
    Ok(ids)
}

#[tokio::main]
async fn main() -> Result<()> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "docs/console".to_owned()));
    std::fs::create_dir_all(&out)?;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let ids = populate(&app).await?;
    let admin = app.new_token(Scope::Admin).await;
    let console = console_url(&app);

    let browser = Browser::start_sized(1280, 860).await;
    browser.goto(&format!("{console}/sign-in")).await;
    std::fs::write(out.join("sign-in.png"), browser.screenshot().await)?;
    browser.fill("input[name=token]", &admin).await;
    browser.click("form[action='/admin/sign-in'] button[type=submit]").await;
    browser.find("nav[aria-label=Console]").await;

    let ada = &ids[0];
    let pages = [
        ("overview", String::new()),
        ("settings", "/settings".to_owned()),
        ("users", "/users".to_owned()),
        ("user", format!("/users/{ada}")),
        ("groups", "/groups".to_owned()),
        ("log", "/log".to_owned()),
        ("rules", "/rules".to_owned()),
    ];
    for (name, path) in &pages {
        browser.goto(&format!("{console}{path}")).await;
        browser.find("main h1").await;
        std::fs::write(out.join(format!("{name}.png")), browser.screenshot().await)?;
    }
    // The secret shown once, after Add New Token.
    browser.goto(&format!("{console}/settings")).await;
    browser.fill("#label", "Entra production").await;
    browser.click("[data-testid=add-token]").await;
    browser.find("[data-testid=new-token]").await;
    std::fs::write(out.join("new-token.png"), browser.screenshot().await)?;
    browser.close().await;

    // A phone-sized window: the navigation wraps above the page.
    let phone = Browser::start_sized(420, 860).await;
    phone.goto(&format!("{console}/sign-in")).await;
    phone.fill("input[name=token]", &admin).await;
    phone.click("form[action='/admin/sign-in'] button[type=submit]").await;
    phone.find("nav[aria-label=Console]").await;
    std::fs::write(out.join("overview-narrow.png"), phone.screenshot().await)?;
    phone.close().await;
    println!("screenshots written to {}", out.display());
    Ok(())
}
