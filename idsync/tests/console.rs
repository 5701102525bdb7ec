//! The admin console of the real `idsync serve` binary, in headless chromium: the
//! Tenant URL an admin reads on API Settings is the one `idsync tenant create` printed.

#![allow(clippy::unwrap_used)] // tests assert by unwrapping

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use idsync_tests::browser::Browser;

mod support;
use support::{BIN, explain};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs `idsync --config <config> args…` as an operator would; returns its trimmed stdout.
fn idsync(config: &Path, args: &[&str]) -> String {
    let output: Output = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("IDSYNC_DATABASE_URL")
        .env_remove("IDSYNC_PUBLIC_URL")
        .env("IDSYNC_LOG", "warn")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", explain(args, &output));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

async fn wait_healthy(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reqwest::get(format!("{base}/healthz"))
        .await
        .is_ok_and(|answer| answer.status().is_success())
    {
        assert!(Instant::now() < deadline, "{base} never became healthy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_console_shows_the_tenant_url_that_tenant_create_printed_and_signs_in_with_a_token_field() {
    let dir = tempfile::tempdir().unwrap();
    // One config file for the commands and the server, as an operator keeps it.
    let listen = format!("127.0.0.1:{}", free_port());
    let config = dir.path().join("idsync.toml");
    let database = dir.path().join("idsync.db");
    std::fs::write(
        &config,
        format!(
            "database_url = {:?}\nlisten = {listen:?}\ngrpc_listen = \"127.0.0.1:0\"\n",
            database.display().to_string()
        ),
    )
    .unwrap();
    let tenant_url = idsync(&config, &["tenant", "create", "contoso"]);
    assert_eq!(tenant_url, format!("http://{listen}/scim/v2"));
    let admin = idsync(
        &config,
        &[
            "token", "create", "--tenant", "contoso", "--scope", "admin", "--label", "console",
        ],
    );

    let _serve = Running(
        Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env_remove("IDSYNC_DATABASE_URL")
            .env_remove("IDSYNC_PUBLIC_URL")
            .env("IDSYNC_LOG", "warn")
            .env("IDSYNC_OPS_LISTEN", "127.0.0.1:0")
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://{listen}");
    wait_healthy(&base).await;

    let browser = Browser::start().await;
    browser.goto(&format!("{base}/admin/settings")).await;
    assert_eq!(
        browser.url().await,
        format!("{base}/admin/sign-in"),
        "no session: sign in first"
    );
    let field = browser.find("form[action='/admin/sign-in'] input[type=password]").await;
    assert_eq!(field.attr("name").await.unwrap().as_deref(), Some("token"));
    browser.fill("input[name=token]", &admin).await;
    browser.click("form[action='/admin/sign-in'] button[type=submit]").await;
    assert_eq!(browser.text("[data-testid=tenant-name]").await, "contoso");
    browser.goto(&format!("{base}/admin/settings")).await;
    assert_eq!(browser.text("[data-testid=tenant-url]").await, tenant_url);
    browser.close().await;
}
