//! Headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`), on the
//! book built into a temporary folder and served on 127.0.0.1. Used by the browser tests and
//! by `cargo screenshots`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::Project;
use crate::book::LoadedBook;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Why the browser cannot run here, if it cannot.
pub fn unavailable() -> Option<String> {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|path| !Path::new(path).exists())
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "{} not found: install Debian's chromium and chromium-driver \
             (apt-get install chromium chromium-driver)",
            missing.join(" and ")
        )
    })
}

/// The built book, served, and a browser session on it. Dropping it ends chromedriver and
/// the browser, and removes the temporary folders.
pub struct Session {
    pub client: Client,
    pub runtime: tokio::runtime::Runtime,
    /// `http://127.0.0.1:PORT/`
    pub base: String,
    /// Where the book was built.
    pub site: PathBuf,
    driver: Child,
    profile: PathBuf,
    _server: crate::serve::Background,
}

impl Session {
    pub fn start(project: &Project) -> Result<Session> {
        if let Some(reason) = unavailable() {
            bail!("{reason}");
        }
        let scratch = std::env::temp_dir()
            .join(format!("book-browser-{}", std::process::id()));
        let site = LoadedBook::load(project)?
            .build_html(Some(&scratch.join("site")))?;
        let server = crate::serve::Background::start(&site)?;
        let profile = scratch.join("profile");

        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0) // so that ending it ends the browsers it started
            .spawn()
            .context("cannot start chromedriver")?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let session = Session {
            client: runtime.block_on(connect(port, &profile))?,
            runtime,
            base: server.url(""),
            site,
            _server: server,
            driver,
            profile: scratch,
        };
        Ok(session)
    }

    /// Opens a page of the book, retrying a load that hangs (a loaded machine can stall
    /// Chromium's renderer; a page that never loads still fails, after three tries).
    pub async fn open(&self, page: &str) -> Result<()> {
        let url = format!("{}{page}", self.base);
        let mut tries = 0;
        loop {
            match self.client.goto(&url).await {
                Ok(()) => return Ok(()),
                Err(e) if tries == 2 => {
                    bail!("{url} did not load in three tries: {e}")
                }
                Err(_) => tries += 1,
            }
        }
    }

    /// Runs a browser interaction to completion.
    pub fn run<T>(
        &self,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        self.runtime.block_on(work)
    }

    /// The built pages, relative to the site: `index.html`, `ch01-processes.html`...
    pub fn pages(&self) -> Result<Vec<String>> {
        let mut pages: Vec<String> = std::fs::read_dir(&self.site)?
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| {
                name.ends_with(".html")
                    && name != "404.html"
                    && name != "toc.html"
            })
            .collect();
        pages.sort();
        Ok(pages)
    }
}

async fn connect(port: u16, profile: &Path) -> Result<Client> {
    let client = new_session(port, profile).await?;
    let timeouts = fantoccini::wd::TimeoutConfiguration::new(
        Some(Duration::from_secs(30)),
        Some(Duration::from_secs(30)),
        Some(Duration::ZERO),
    );
    client.update_timeouts(timeouts).await?;
    Ok(client)
}

async fn new_session(port: u16, profile: &Path) -> Result<Client> {
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("a JSON object literal")
    };
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attempt = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await;
        match attempt {
            Ok(client) => return Ok(client),
            Err(e) if Instant::now() > deadline => {
                bail!("cannot start a browser session: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let client = self.client.clone();
        let _ = self.runtime.block_on(client.close());
        let group = nix::unistd::Pid::from_raw(self.driver.id() as i32);
        let _ =
            nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Writes a light and a dark (navy) screenshot of every page into `dir`.
pub fn screenshots(project: &Project, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let session = Session::start(project)?;
    let mut written = Vec::new();
    for page in session.pages()? {
        for theme in ["light", "navy"] {
            let png = session.run(async {
                let client = &session.client;
                session.open(&page).await?;
                set_theme(client, theme).await?;
                // Show the first listing's output, if the page has one: what varies
                // marked in it, and the claims under it.
                let first = "document.getElementById('mdbook-theme-list').style.display = 'none';
                    const f = document.querySelector('figure.listing .listing-run');
                    if (f) { f.scrollIntoView(); window.scrollBy(0, -70); }";
                client.execute(first, vec![]).await?;
                Ok(client.screenshot().await?)
            })?;
            let path = dir.join(format!(
                "{}-{theme}.png",
                page.trim_end_matches(".html")
            ));
            std::fs::write(&path, png)?;
            written.push(path);
        }
    }
    written.extend(verdict_screenshots(&session, dir)?);
    Ok(written)
}

/// For each page with a checked verdict of the prose, its first mark focused, the popover
/// open, light and dark: `PAGE-verdict-THEME.png`.
fn verdict_screenshots(session: &Session, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for page in session.pages()? {
        if page == "print.html" {
            continue;
        }
        for theme in ["light", "navy"] {
            let png = session.run(async {
                let client = &session.client;
                session.open(&page).await?;
                set_theme(client, theme).await?;
                let focus = "document.getElementById('mdbook-theme-list').style.display = 'none';
                    const mark = document.querySelector('.prose-verdict-mark');
                    if (!mark) return false;
                    // The theme menu, losing the focus, gives it to its button.
                    document.activeElement.blur();
                    mark.scrollIntoView({ block: 'center' });
                    window.scrollBy(0, -150);
                    mark.focus();
                    return true;";
                Ok(match client.execute(focus, vec![]).await? {
                    serde_json::Value::Bool(true) => {
                        Some(client.screenshot().await?)
                    }
                    _ => None,
                })
            })?;
            let Some(png) = png else { break };
            let path = dir.join(format!(
                "{}-verdict-{theme}.png",
                page.trim_end_matches(".html")
            ));
            std::fs::write(&path, png)?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Chooses a theme the way a reader does: the theme button, then the theme's entry.
pub async fn set_theme(client: &Client, theme: &str) -> Result<()> {
    use fantoccini::Locator;
    let entry = client
        .find(Locator::Id(&format!("mdbook-theme-{theme}")))
        .await?;
    if !entry.is_displayed().await? {
        // The button toggles the menu: click it only if the menu is closed.
        let toggle = client.find(Locator::Id("mdbook-theme-toggle")).await?;
        toggle.click().await?;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !entry.is_displayed().await? {
        if Instant::now() > deadline {
            bail!("the theme menu did not open");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    entry.click().await?;
    Ok(())
}
