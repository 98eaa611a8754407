//! Serving the built book on 127.0.0.1: `cargo book serve`, and a server on a thread for the
//! browser tests and the screenshots.
//!
//! A few lines of std: one thread per connection, one request per connection
//! (`Connection: close`), GET and HEAD of files under the book's folder. (A keep-alive server
//! with a fixed pool can leave a browser's extra connection unread while its threads wait on
//! idle ones; closing after each response cannot.)

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};

/// Serves the files under `root` at `127.0.0.1:port` until interrupted.
pub fn serve(root: &Path, port: u16) -> Result<()> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    println!("serving the book at http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    accept(&listener, root, &AtomicBool::new(false));
    Ok(())
}

/// The book served on a free port of 127.0.0.1 by a thread, for as long as this value lives
/// (the browser tests, `cargo screenshots`).
pub struct Background {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    pub fn start(root: &Path) -> Result<Background> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .context("cannot listen on 127.0.0.1")?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let (root, stopping) = (root.to_path_buf(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("serve".into())
            .spawn(move || accept(&listener, &root, &stopping))?;
        Ok(Background {
            port,
            stop,
            thread: Some(thread),
        })
    }

    /// The URL of `page` (e.g. `ch01-processes.html`), served by this server.
    pub fn url(&self, page: &str) -> String {
        format!("http://127.0.0.1:{}/{page}", self.port)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the thread blocked in `accept`.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept(listener: &TcpListener, root: &Path, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let root = root.to_path_buf();
        // Detached: each ends with its connection (and a read timeout bounds a silent one).
        let _ = std::thread::Builder::new()
            .name("serve-connection".into())
            .spawn(move || {
                if let Err(e) = respond(&root, stream) {
                    eprintln!("serve: {e}");
                }
            });
    }
}

/// Reads one request from `stream` and answers it.
fn respond(root: &Path, mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // The headers are not needed, but must be read before the connection is closed.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut words = request_line.split_whitespace();
    let (method, target) =
        (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let found = match method {
        "GET" | "HEAD" => file_for(root, target)
            .and_then(|p| Some((std::fs::read(&p).ok()?, p))),
        _ => None,
    };
    let (status, mime, body) = match &found {
        Some((body, path)) => ("200 OK", content_type(path), body.as_slice()),
        None => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            &b"not found\n"[..],
        ),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {mime}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(body)?;
    }
    stream.flush()
}

/// The file a URL names, never outside `root`.
fn file_for(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next()?.trim_start_matches('/');
    let relative = Path::new(path);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let file = root.join(relative);
    if file.is_dir() {
        Some(file.join("index.html"))
    } else {
        Some(file)
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css",
        "js" => "text/javascript",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn get(server: &Background, target: &str) -> String {
        let mut stream =
            TcpStream::connect((Ipv4Addr::LOCALHOST, server.port)).unwrap();
        write!(stream, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn serves_files_and_nothing_outside() -> Result<()> {
        let dir = std::env::temp_dir()
            .join(format!("serve-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub"))?;
        std::fs::write(dir.join("index.html"), "<p>home</p>")?;
        std::fs::write(dir.join("sub/a.css"), "p{}")?;
        let server = Background::start(&dir.join("sub"))?;
        let index = get(&server, "/a.css?x=1");
        let outside = get(&server, "/../index.html");
        let missing = get(&server, "/nope.html");
        drop(server);
        std::fs::remove_dir_all(&dir)?;
        assert!(index.starts_with("HTTP/1.1 200 OK\r\n"), "{index}");
        assert!(
            index.contains("Content-Type: text/css\r\n")
                && index.ends_with("\r\n\r\np{}")
        );
        assert!(outside.starts_with("HTTP/1.1 404"), "{outside}");
        assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
        Ok(())
    }
}
