//! Serving the built book on 127.0.0.1: `cargo book serve` (rebuild on change and reload the
//! open page, as `mdbook serve` does), and a server on a thread for the browser tests and the
//! screenshots.
//!
//! The same parts as mdBook's own `serve`: axum with tower-http's `ServeDir` for the files,
//! a WebSocket at `/__livereload` on which each rebuild sends `reload` (mdBook's page script
//! listens there when `output.html.live-reload-endpoint` is set), and notify for the changes.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::routing::get;
use tokio::sync::broadcast;
use tower_http::services::ServeDir;

use crate::Project;
use crate::book::LoadedBook;

/// Where the page script listens for "reload" (relative to the site root).
const LIVE_RELOAD_ENDPOINT: &str = "__livereload";

/// What `cargo book serve` watches: every input of the book.
const WATCHED: &[&str] = crate::paths::BOOK_INPUTS;

/// The files under `root`, and the reload socket fed by `reload`.
fn app(root: &Path, reload: broadcast::Sender<()>) -> Router {
    Router::new()
        .route(
            &format!("/{LIVE_RELOAD_ENDPOINT}"),
            get(move |ws: WebSocketUpgrade| {
                let mut changes = reload.subscribe();
                async move {
                    ws.on_upgrade(move |mut socket: WebSocket| async move {
                        // One "reload" per rebuild; the page reloads and reconnects.
                        if changes.recv().await.is_ok() {
                            let _ = socket.send(Message::text("reload")).await;
                        }
                    })
                }
            }),
        )
        .fallback_service(ServeDir::new(root))
}

/// Builds the book with live reload on, serves it at `127.0.0.1:port`, rebuilds it when an
/// input changes and reloads the open pages, until interrupted.
/// With `mine`, each listing shows the reader's output from that folder (a
/// `cargo book compare` run) under the stored one.
pub fn serve(
    project: &Project,
    port: u16,
    open: bool,
    mine: Option<&Path>,
) -> Result<()> {
    let build = || -> Result<PathBuf> {
        let mut book = LoadedBook::load_with_mine(project, mine)?;
        book.md
            .config
            .set("output.html.live-reload-endpoint", LIVE_RELOAD_ENDPOINT)?;
        book.build_html(None)
    };
    let site = build()?;
    let (reload, _) = broadcast::channel(16);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(address))
        .with_context(|| format!("cannot listen on {address}"))?;
    let url = format!("http://{address}/");
    println!(
        "serving the book at {url} (Ctrl-C to stop); watching {WATCHED:?}"
    );
    runtime
        .spawn(axum::serve(listener, app(&site, reload.clone())).into_future());
    if open && let Err(e) = opener::open_browser(&url) {
        eprintln!("could not open a browser ({e}); open {url} yourself");
    }
    watch(project, |changed| match build() {
        Ok(_) => {
            println!("{changed} changed: rebuilt; reloading open pages");
            let _ = reload.send(());
        }
        Err(e) => eprintln!("{changed} changed: error: {e:#}"),
    })
}

/// Calls `rebuild` after each burst of changes to the book's inputs (an editor's save is a
/// burst of events: notify-debouncer-mini waits for a quiet moment, as mdBook's own watcher
/// does), with the first path that changed.
fn watch(project: &Project, mut rebuild: impl FnMut(&str)) -> Result<()> {
    use notify::RecursiveMode;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut debouncer = notify_debouncer_mini::new_debouncer_opt::<_, Changes>(
        notify_debouncer_mini::Config::default()
            .with_timeout(Duration::from_millis(300)),
        tx,
    )
    .context("cannot watch the book's files")?;
    for input in WATCHED {
        let path = project.root.join(input);
        debouncer
            .watcher()
            .watch(&path, RecursiveMode::Recursive)
            .with_context(|| format!("cannot watch {}", path.display()))?;
    }
    while let Ok(events) = rx.recv() {
        let Some(first) = events.ok().and_then(|e| e.into_iter().next()) else {
            continue;
        };
        let path = first
            .path
            .strip_prefix(&project.root)
            .unwrap_or(&first.path);
        rebuild(&path.display().to_string());
    }
    Ok(())
}

/// The platform's watcher, passing on only writes, creations, renames and removals: the
/// build itself reads the inputs (inotify reports each open), and a read must not trigger
/// another build.
struct Changes(notify::RecommendedWatcher);

impl notify::Watcher for Changes {
    fn new<F: notify::EventHandler>(
        mut handler: F,
        config: notify::Config,
    ) -> notify::Result<Changes> {
        use notify::event::{EventKind, ModifyKind};
        let changes_only = move |event: notify::Result<notify::Event>| {
            let is_change = event.as_ref().map_or(true, |event| {
                matches!(
                    event.kind,
                    EventKind::Create(_)
                        | EventKind::Remove(_)
                        | EventKind::Modify(
                            ModifyKind::Data(_) | ModifyKind::Name(_)
                        )
                )
            });
            if is_change {
                handler.handle_event(event);
            }
        };
        notify::RecommendedWatcher::new(changes_only, config).map(Changes)
    }

    fn watch(
        &mut self,
        path: &Path,
        mode: notify::RecursiveMode,
    ) -> notify::Result<()> {
        self.0.watch(path, mode)
    }

    fn unwatch(&mut self, path: &Path) -> notify::Result<()> {
        self.0.unwatch(path)
    }

    fn kind() -> notify::WatcherKind {
        notify::RecommendedWatcher::kind()
    }
}

/// The book served on a free port of 127.0.0.1 by a thread, for as long as this value lives
/// (the browser tests, `cargo screenshots`).
pub struct Background {
    port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    pub fn start(root: &Path) -> Result<Background> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .context("cannot listen on 127.0.0.1")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let root = root.to_path_buf();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the server's runtime")?;
        let thread = std::thread::Builder::new().name("serve".into()).spawn(
            move || {
                runtime.block_on(async move {
                    let Ok(listener) =
                        tokio::net::TcpListener::from_std(listener)
                    else {
                        return;
                    };
                    let (reload, _) = broadcast::channel(1);
                    let _ = axum::serve(listener, app(&root, reload))
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
            },
        )?;
        Ok(Background {
            port,
            stop: Some(stop),
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
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    fn get(server: &Background, target: &str) -> String {
        let mut stream =
            TcpStream::connect((Ipv4Addr::LOCALHOST, server.port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    fn site(test: &str) -> Result<crate::Scratch> {
        let scratch = crate::Scratch::new(&format!("serve-test-{test}"))?;
        let dir = scratch.path();
        std::fs::create_dir_all(dir.join("sub"))?;
        std::fs::write(dir.join("index.html"), "<p>home</p>")?;
        std::fs::write(dir.join("sub/a.css"), "p{}")?;
        std::fs::write(dir.join("sub/index.html"), "<p>sub</p>")?;
        Ok(scratch)
    }

    #[test]
    fn serves_files_and_nothing_outside() -> Result<()> {
        let dir = site("files")?;
        let server = Background::start(&dir.path().join("sub"))?;
        let css = get(&server, "/a.css?x=1");
        let outside = get(&server, "/../index.html");
        let missing = get(&server, "/nope.html");
        let index = get(&server, "/");
        drop(server);
        drop(dir);
        assert!(css.starts_with("HTTP/1.1 200 OK\r\n"), "{css}");
        assert!(css.contains("content-type: text/css"), "{css}");
        assert!(!outside.contains("home"), "{outside}");
        assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
        assert!(index.contains("<p>sub</p>"), "{index}");
        Ok(())
    }

    /// The reason the server was once rewritten: a browser keeps extra connections open and
    /// idle; a page load must never wait behind them.
    #[test]
    fn idle_connections_never_stall_a_page_load() -> Result<()> {
        let dir = site("idle")?;
        let server = Background::start(dir.path())?;
        let idle: Vec<TcpStream> = (0..32)
            .map(|_| TcpStream::connect((Ipv4Addr::LOCALHOST, server.port)))
            .collect::<std::io::Result<_>>()?;
        let started = std::time::Instant::now();
        let page = get(&server, "/index.html");
        let waited = started.elapsed();
        drop(idle);
        drop(server);
        drop(dir);
        assert!(page.contains("<p>home</p>"), "{page}");
        // Not a timing test: a stall is the 10 s read timeout; an answer comes at once.
        assert!(waited < Duration::from_secs(9), "stalled for {waited:?}");
        Ok(())
    }
}
