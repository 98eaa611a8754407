//! Serving the built book on localhost: `cargo book serve`, the browser tests and the
//! screenshots all use this.

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};

use anyhow::{Result, anyhow};

/// Serves the files under `root` at `127.0.0.1:port` until interrupted.
pub fn serve(root: &Path, port: u16) -> Result<()> {
    let server = bind(port)?;
    println!("serving the book at http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    handle(&server, root);
    Ok(())
}

/// Serves `root` from a background thread on a free port of 127.0.0.1; returns its address.
/// The thread lives as long as the process.
pub fn spawn(root: &Path) -> Result<SocketAddr> {
    let server = bind(0)?;
    let address = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| anyhow!("the server has no IP address"))?;
    let root = root.to_path_buf();
    std::thread::spawn(move || handle(&server, &root));
    Ok(address)
}

fn bind(port: u16) -> Result<tiny_http::Server> {
    tiny_http::Server::http(("127.0.0.1", port))
        .map_err(|e| anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))
}

fn handle(server: &tiny_http::Server, root: &Path) {
    for request in server.incoming_requests() {
        let file = file_for(root, request.url()).and_then(|path| {
            let file = std::fs::File::open(&path).ok()?;
            Some((path, file))
        });
        let response = match file {
            Some((path, file)) => {
                let mut response = tiny_http::Response::from_file(file);
                if let Some(header) = content_type(&path) {
                    response.add_header(header);
                }
                request.respond(response)
            }
            None => request.respond(tiny_http::Response::empty(404)),
        };
        if let Err(e) = response {
            eprintln!("serve: {e}");
        }
    }
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

fn content_type(path: &Path) -> Option<tiny_http::Header> {
    let mime = match path.extension()?.to_str()? {
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
        _ => return None,
    };
    tiny_http::Header::from_bytes("Content-Type", mime).ok()
}
