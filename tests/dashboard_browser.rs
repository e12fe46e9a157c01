//! The HTML dashboard in a real headless Chromium, driven over the DevTools protocol (a small
//! client over a websocket): the page loads from disk with no console errors, no exceptions, no
//! dialogs and no request but the page itself; the summary counts match results.json; the
//! regression row is visible; an item's `<details>` opens on click and shows the diff; the
//! charts render with one point per run; the hostile prediction stays text; the table sorts.
//!
//! Ignored by default (plain `cargo test` needs no browser); CI runs them with
//! `cargo test --test dashboard_browser -- --ignored`, and then a missing Chromium fails them.
//! The browser is `EVALGATE_CHROMIUM`, else `chromium`, `chromium-browser` or `google-chrome`
//! on PATH.

mod dashboard_support;
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use dashboard_support::{
    FAILED_RUNS, HISTORY_RUNS, regressed_project, report_html, results, s, write_history,
};
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;

/// The Chromium binary: `EVALGATE_CHROMIUM`, else the first known name on PATH. Panics with
/// what to do when there is none: these tests never pass without a browser.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("EVALGATE_CHROMIUM") {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "EVALGATE_CHROMIUM={} does not exist",
            path.display()
        );
        return path;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "no headless Chromium found: set EVALGATE_CHROMIUM to its path or install `chromium` \
         (.ci/install-tools does); these browser tests do not pass without one"
    );
}

/// A headless Chromium, killed when dropped (also when a test panics).
struct Browser {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn launch() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(chromium())
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start Chromium");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keep reading to the end so the browser never blocks on a full pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let browser_url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("Chromium printed no `DevTools listening on` line within 30 s");
            }
        };
        let port = browser_url
            .trim_start_matches("ws://")
            .split(['/', ':'])
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {browser_url}"));
        Browser {
            child,
            port,
            _profile: profile,
        }
    }

    /// The websocket URL of the first page target (from `/json/list`).
    fn page_url(&self) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "GET /json/list HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let body = String::from_utf8(body).unwrap();
        let targets: Vec<Value> = serde_json::from_str(&body).unwrap();
        targets
            .iter()
            .find(|t| t["type"] == "page")
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .expect("a page target")
            .to_string()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A DevTools protocol session on one page: commands, and the events seen so far.
struct Page {
    socket: tungstenite::WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    events: Vec<Value>,
}

impl Page {
    fn connect(browser: &Browser) -> Page {
        let (socket, _) = tungstenite::connect(browser.page_url()).expect("connect to the page");
        if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
        }
        let mut page = Page {
            socket,
            next_id: 0,
            events: Vec::new(),
        };
        for domain in ["Page", "Runtime", "Log", "Network"] {
            page.call(&format!("{domain}.enable"), json!({}));
        }
        page
    }

    fn read(&mut self) -> Value {
        loop {
            match self.socket.read().expect("read from Chromium") {
                tungstenite::Message::Text(text) => return serde_json::from_str(&text).unwrap(),
                tungstenite::Message::Close(_) => panic!("Chromium closed the connection"),
                _ => continue,
            }
        }
    }

    /// Sends a command and returns its `result`, keeping the events that arrive meanwhile.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let message = json!({"id": id, "method": method, "params": params});
        self.socket
            .send(tungstenite::Message::Text(message.to_string().into()))
            .unwrap();
        loop {
            let value = self.read();
            if value["id"] == id {
                if let Some(error) = value.get("error") {
                    panic!("{method} failed: {error}");
                }
                return value["result"].clone();
            }
            self.events.push(value);
        }
    }

    /// Waits for an event named `method`.
    fn wait_for(&mut self, method: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        if self.events.iter().any(|e| e["method"] == method) {
            return;
        }
        while Instant::now() < deadline {
            let value = self.read();
            let found = value["method"] == method;
            self.events.push(value);
            if found {
                return;
            }
        }
        panic!("no {method} within 30 s");
    }

    /// Evaluates `expression` in the page and returns its value.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("`{expression}` threw: {exception}");
        }
        result["result"]["value"].clone()
    }

    fn open(&mut self, file: &Path) -> String {
        let url = format!("file://{}", file.display());
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for("Page.loadEventFired");
        url
    }

    /// Console errors, exceptions, error log entries and dialogs seen so far.
    fn problems(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| {
                let m = e["method"].as_str().unwrap_or("");
                m == "Runtime.exceptionThrown"
                    || m == "Page.javascriptDialogOpening"
                    || (m == "Runtime.consoleAPICalled"
                        && matches!(e["params"]["type"].as_str(), Some("error" | "warning")))
                    || (m == "Log.entryAdded"
                        && matches!(
                            e["params"]["entry"]["level"].as_str(),
                            Some("error" | "warning")
                        ))
            })
            .map(Value::to_string)
            .collect()
    }

    /// URLs of every request the page made.
    fn requests(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .map(|e| {
                e["params"]["request"]["url"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    }
}

#[test]
#[ignore = "needs headless Chromium (.ci/install-tools installs it)"]
fn the_dashboard_works_in_a_real_browser() {
    let browser = Browser::launch();
    let p = regressed_project();
    let results = results(&p);
    let history = write_history(&p);
    let (file, html) = report_html(&p, "report.html", &["--history", s(&history)]);
    let own_scripts = html.matches("<script").count();
    let mut page = Page::connect(&browser);
    let url = page.open(&file);

    // Summary counts as in results.json.
    let counts = page.eval(
        "Object.fromEntries([...document.querySelectorAll('[data-count]')]\
         .map(e => [e.dataset.count, Number(e.textContent)]))",
    );
    let summary = &results.summary;
    assert_eq!(
        counts,
        json!({"passed": summary.passed, "failed": summary.failed, "warned": summary.warned,
               "inconclusive": summary.inconclusive, "ignored": summary.ignored})
    );

    // The regression row is first and visible.
    let row = page.eval(
        "(() => { const r = document.querySelector('#metrics-table tbody tr'); \
         const b = r.getBoundingClientRect(); \
         return [r.dataset.status, r.cells[2].textContent, b.width > 0 && b.height > 0 \
                 && getComputedStyle(r).visibility === 'visible'] })()",
    );
    assert_eq!(row, json!(["regression", "rouge1_f1 ↑", true]));

    // An item's drill-down opens on click and shows the diff.
    let before = page.eval("document.querySelector('details.item').open");
    assert_eq!(before, json!(false));
    let diff = page.eval(
        "(() => { const d = document.querySelector('details.item'); \
         d.querySelector(':scope > summary').click(); \
         const p = d.querySelector('.diff'); const b = p.getBoundingClientRect(); \
         return [d.open, d.dataset.item, b.height > 0, p.querySelectorAll('del').length > 0, \
                 p.querySelectorAll('ins').length > 0, p.textContent] })()",
    );
    assert_eq!(diff[0], json!(true), "{diff}");
    assert_eq!(diff[1], json!("a"), "the worst item first: {diff}");
    assert_eq!(
        diff.as_array().unwrap()[2..5],
        [json!(true), json!(true), json!(true)],
        "{diff}"
    );
    assert!(
        diff[5]
            .as_str()
            .unwrap()
            .contains("<script>alert(1)</script>"),
        "{diff}"
    );

    // The hostile prediction stays text.
    let hostile = page.eval(
        "[document.querySelectorAll('script').length, document.querySelectorAll('img').length, \
         document.body.textContent.includes('<script>alert(1)</script>'), \
         document.body.textContent.includes('<img src=x onerror=alert(1)>')]",
    );
    assert_eq!(hostile, json!([own_scripts, 0, true, true]));

    // Charts render, one circle per run, failed runs marked.
    let charts = page.eval(
        "[...document.querySelectorAll('figure.chart')].map(f => { \
         const svg = f.querySelector('svg'); const b = svg.getBoundingClientRect(); \
         return [f.dataset.metric, Number(f.dataset.points), svg.querySelectorAll('circle').length, \
                 [...svg.querySelectorAll('circle')].filter(c => c.getAttribute('fill') === '#D62728').length, \
                 b.width > 100 && b.height > 50] })",
    );
    let charts = charts.as_array().unwrap();
    assert_eq!(
        charts.len(),
        results.evaluations[0].metrics.len(),
        "{charts:?}"
    );
    for chart in charts {
        let failed = if chart[0] == "rouge1_f1" {
            FAILED_RUNS.len()
        } else {
            0
        };
        assert_eq!(
            chart.as_array().unwrap()[1..],
            [
                json!(HISTORY_RUNS),
                json!(HISTORY_RUNS),
                json!(failed),
                json!(true)
            ],
            "{chart}"
        );
    }

    // Sorting by status: ascending puts the regression first, descending last.
    let sorted = page.eval(
        "(() => { const th = document.querySelectorAll('#metrics-table th')[6]; \
         const b = th.querySelector('button'); const rows = () => \
         [...document.querySelectorAll('#metrics-table tbody tr')].map(r => r.dataset.status); \
         b.click(); const up = rows(); b.click(); const down = rows(); return [up, down] })()",
    );
    assert_eq!(sorted[0][0], json!("regression"), "{sorted}");
    let down = sorted[1].as_array().unwrap();
    assert_eq!(down.last(), Some(&json!("regression")), "{sorted}");

    // On a phone-sized screen the page does not scroll sideways; wide tables scroll in their box.
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 375, "height": 800, "deviceScaleFactor": 2, "mobile": true}),
    );
    let narrow = page.eval(
        "(() => { const box = document.querySelector('#metrics .scroll'); \
         return [document.documentElement.scrollWidth <= window.innerWidth + 1, \
                 box.scrollWidth > box.clientWidth, getComputedStyle(box).overflowX] })()",
    );
    assert_eq!(narrow, json!([true, true, "auto"]), "{narrow}");

    // Nothing went wrong and nothing was loaded but the page.
    let problems = page.problems();
    assert!(
        problems.is_empty(),
        "console errors, exceptions or dialogs: {problems:#?}"
    );
    let requests = page.requests();
    assert_eq!(
        requests,
        [url],
        "the page itself is the only request (so the capture works and nothing else loads)"
    );
    // The capture of console errors works: an error logged now is seen.
    page.eval("console.error('probe from the test')");
    page.call("Runtime.evaluate", json!({"expression": "1"}));
    assert!(
        page.problems()
            .iter()
            .any(|p| p.contains("probe from the test")),
        "console errors are captured"
    );
}
