//! A loopback HTTP/1.1 server for tests: every connection carries one request, which is recorded
//! and answered by the test's closure with a [`Reply`] (`Content-Length` body, then the
//! connection closes), or not answered at all ([`Reply::hang`]).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Which connection it came on, counting from 0 in the order they were accepted.
    pub index: usize,
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path and query as sent, e.g. `/v1/chat/completions`.
    pub target: String,
    /// Headers by lowercase name.
    pub headers: BTreeMap<String, String>,
    /// The body (`Content-Length` bytes).
    pub body: Vec<u8>,
    /// The server's own address, `http://127.0.0.1:<port>`, for answers that link back to it.
    pub server_url: String,
}

impl Request {
    /// A header's value (`name` in lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The body as JSON, `null` when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    /// Answer nothing: hold the connection this long, then close it.
    hang: Option<Duration>,
}

impl Reply {
    /// `status` with `Content-Type: application/json` and `body`.
    pub fn json(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
            hang: None,
        }
    }

    /// The same reply with one more header, e.g. `Retry-After`.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// No answer: the request is read and recorded, the connection held for `time`, then
    /// closed (a client timeout shorter than `time` sees a server that never answers).
    pub fn hang(time: Duration) -> Reply {
        Reply {
            hang: Some(time),
            ..Reply::json(0, "")
        }
    }

    fn write_to(&self, mut stream: TcpStream) {
        if let Some(time) = self.hang {
            std::thread::sleep(time);
            return;
        }
        let mut response = format!(
            "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            self.status,
            self.body.len()
        );
        for (name, value) in &self.headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str("Connection: close\r\n\r\n");
        response.push_str(&self.body);
        let _ = stream.write_all(response.as_bytes());
        let _ = stream.flush();
    }
}

type Answer = dyn Fn(&Request) -> Reply + Send + Sync;

/// A server on 127.0.0.1 (a free port), each connection served on its own thread, until
/// dropped.
pub struct Server {
    url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    /// Answers every request with `answer(request)`.
    pub fn start(answer: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let answer: Arc<Answer> = Arc::new(answer);
        let acceptor = {
            let (url, requests, stop) = (url.clone(), Arc::clone(&requests), Arc::clone(&stop));
            std::thread::spawn(move || {
                for (index, stream) in listener.incoming().enumerate() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { break };
                    let (url, requests, answer) =
                        (url.clone(), Arc::clone(&requests), Arc::clone(&answer));
                    std::thread::spawn(move || {
                        let Some(request) = read_request(&stream, index, url) else {
                            return;
                        };
                        requests.lock().unwrap().push(request.clone());
                        answer(&request).write_to(stream);
                    });
                }
            })
        };
        Server {
            url,
            requests,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// Answers the n-th connection with `replies[n]`, and the ones after the last with the last.
    pub fn script(replies: Vec<Reply>) -> Server {
        assert!(!replies.is_empty(), "a script needs a reply");
        Server::start(move |request| replies[request.index.min(replies.len() - 1)].clone())
    }

    /// Answers every request with `status` and the JSON `body(auth)`, `auth` being the request's
    /// `Authorization` header (empty when none): a key that a message lets through shows.
    pub fn echoing_authorization(status: u16, body: fn(&str) -> Value) -> Server {
        Server::start(move |request| {
            let auth = request.header("authorization").unwrap_or_default();
            Reply::json(status, body(auth).to_string())
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The requests received so far, in the order they were read.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so that it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// Reads one request (line, headers, `Content-Length` body); `None` when the client sent none.
fn read_request(stream: &TcpStream, index: usize, server_url: String) -> Option<Request> {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return None;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.trim_end().split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    Some(Request {
        index,
        method,
        target,
        headers,
        body,
        server_url,
    })
}
