//! Serving the built book on localhost.

use std::path::{Component, Path, PathBuf};

use anyhow::{Result, anyhow};

/// Serves the files under `root` at `127.0.0.1:port` until interrupted.
pub fn serve(root: &Path, port: u16) -> Result<()> {
    let server = tiny_http::Server::http(("127.0.0.1", port))
        .map_err(|e| anyhow!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    println!("serving the book at http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    for request in server.incoming_requests() {
        let response = match file_for(root, request.url()) {
            Some(path) => match std::fs::File::open(&path) {
                Ok(file) => {
                    let mut response = tiny_http::Response::from_file(file);
                    if let Some(header) = content_type(&path) {
                        response.add_header(header);
                    }
                    request.respond(response)
                }
                Err(_) => request.respond(tiny_http::Response::empty(404)),
            },
            None => request.respond(tiny_http::Response::empty(404)),
        };
        if let Err(e) = response {
            eprintln!("serve: {e}");
        }
    }
    Ok(())
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
