//! A real browser for the console's tests: Debian's headless `chromium`, driven over
//! WebDriver through `chromedriver` (both from Debian; `.ci/run` installs them). Each
//! [`Browser`] is its own chromedriver on a port the kernel picked and one browser
//! session; dropping it ends both.
//!
//! A missing chromedriver fails the test: the browser tests never skip.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// axe-core 4.14.1 (MPL-2.0, `npm pack axe-core`), for [`Browser::accessibility_violations`].
const AXE: &str = include_str!("../assets/axe.min.js");

/// Where chromedriver is, unless `CHROMEDRIVER` says otherwise.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Starts chromedriver on a port of its choosing; returns it and the port.
///
/// `--port=0` makes chromedriver pick a free port and then bind it, which races with
/// every other process binding ports: now and then it prints `bind() failed: Address
/// already in use` and `IPv4 port not available. Exiting...` (seen with 16 started at
/// once). That one failure starts it again, a few times; any other is reported with
/// what chromedriver printed.
async fn start_chromedriver() -> (Child, u16) {
    let path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.to_owned());
    for _ in 0..5 {
        let mut driver = Command::new(&path)
            .arg("--port=0")
            // Its own process group, which the chromium it starts joins: ending the
            // group ends the browser too, even when a failed test never closed it.
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start {path} ({error}); install Debian's chromium and chromium-driver")
            });
        let stdout = driver.stdout.take().expect("chromedriver's stdout");
        let (port, seen) = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            let mut seen = Vec::new();
            let port = lines.by_ref().map_while(Result::ok).find_map(|line| {
                let port = line
                    .split("started successfully on port ")
                    .nth(1)
                    .and_then(|rest| rest.trim_end_matches('.').trim().parse::<u16>().ok());
                seen.push(line);
                port
            });
            // Keep draining, so that chromedriver never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            (port, seen)
        })
        .await
        .expect("reading chromedriver's output");
        if let Some(port) = port {
            return (driver, port);
        }
        let ended = driver.wait().map(|status| status.to_string());
        if !seen.iter().any(|line| line.contains("port not available")) {
            panic!("chromedriver named no port: it printed {seen:?} and ended with {ended:?}");
        }
    }
    panic!("chromedriver found no free port in 5 attempts");
}

/// A headless chromium session.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
}

impl Browser {
    /// Starts chromedriver and a headless chromium with a 1280×900 window.
    pub async fn start() -> Browser {
        Self::start_sized(1280, 900).await
    }

    /// Starts chromedriver and a headless chromium with a `width`×`height` window.
    pub async fn start_sized(width: u32, height: u32) -> Browser {
        Self::launch(width, height, &[]).await
    }

    /// A headless chromium that runs no script at all.
    pub async fn start_without_javascript() -> Browser {
        Self::launch(1280, 900, &["--blink-settings=scriptEnabled=false"]).await
    }

    async fn launch(width: u32, height: u32, extra_args: &[&str]) -> Browser {
        let (driver, port) = start_chromedriver().await;
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            "--password-store=basic",
        ]
        .into_iter()
        .chain(extra_args.iter().copied())
        .map(str::to_owned)
        .collect();
        args.push(format!("--window-size={width},{height}"));
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()),
                "args": args,
            }
        });
        let capabilities = match capabilities {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("an object literal"),
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a chromium session");
        Browser { client, driver }
    }

    /// Opens `url` and waits for the page.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|error| panic!("open {url}: {error}"));
    }

    /// The current address.
    pub async fn url(&self) -> String {
        self.client.current_url().await.expect("current URL").to_string()
    }

    /// The element matching CSS `selector`, waiting up to 10 s for it.
    pub async fn find(&self, selector: &str) -> fantoccini::elements::Element {
        let found = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(selector))
            .await;
        match found {
            Ok(element) => element,
            Err(error) => panic!("no element {selector:?} on {}: {error}", self.url_now().await),
        }
    }

    /// Every element matching CSS `selector`, now.
    pub async fn find_all(&self, selector: &str) -> Vec<fantoccini::elements::Element> {
        self.client.find_all(Locator::Css(selector)).await.expect("find_all")
    }

    /// The visible text of the element matching `selector`. An element found just as its
    /// page is replaced (a click that submits a form returns before the next page loads)
    /// is stale: it is looked up again, on the page that replaced it.
    pub async fn text(&self, selector: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.find(selector).await.text().await {
                Ok(text) => return text,
                Err(CmdError::Standard(error))
                    if error.error == ErrorStatus::StaleElementReference && Instant::now() < deadline => {}
                Err(error) => panic!("the text of {selector:?}: {error}"),
            }
        }
    }

    /// The text of the element matching `selector` once it contains `needle`: for an
    /// element the page before a navigation also has (a heading, say). Panics with the
    /// last text seen after 10 s.
    pub async fn wait_for_text(&self, selector: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text(selector).await;
            if text.contains(needle) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{selector:?} still reads {text:?}, not {needle:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `text` into the field matching `selector`, replacing what it held.
    pub async fn fill(&self, selector: &str, text: &str) {
        let field = self.find(selector).await;
        field.clear().await.expect("clear field");
        field.send_keys(text).await.expect("type into field");
    }

    /// Clicks the element matching `selector`.
    pub async fn click(&self, selector: &str) {
        self.find(selector).await.click().await.expect("click");
    }

    /// The page's HTML as the browser holds it.
    pub async fn source(&self) -> String {
        self.client.source().await.expect("page source")
    }

    /// What axe-core (Deque's accessibility engine, vendored in `tests/assets`) finds
    /// against WCAG 2.1 A and AA on the current page: one line per rule broken, with the
    /// elements that break it. WebDriver's scripts run outside the page's CSP.
    pub async fn accessibility_violations(&self) -> Vec<String> {
        self.client.execute(AXE, vec![]).await.expect("axe-core loads");
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                    .then(r => done(r.violations.map(v =>
                        `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)))
                    .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .expect("axe-core runs");
        serde_json::from_value(found).expect("a list of violations")
    }

    /// Whether the page is wider than the window (a horizontal scroll bar).
    pub async fn scrolls_sideways(&self) -> bool {
        self.client
            .execute(
                "return document.documentElement.scrollWidth > document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .expect("page width")
            .as_bool()
            .unwrap_or(true)
    }

    /// A PNG of the window.
    pub async fn screenshot(&self) -> Vec<u8> {
        self.client.screenshot().await.expect("screenshot")
    }

    async fn url_now(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|url| url.to_string())
            .unwrap_or_default()
    }

    /// Ends the browser session and chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        // Drop ends chromedriver and whatever of the browser is left.
    }
}

impl Drop for Browser {
    /// Kills chromedriver's process group: chromedriver and the chromium it started.
    /// Killing chromedriver alone left the browser running whenever a test failed
    /// before `close` (ten such browsers were found after a day of test runs).
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
