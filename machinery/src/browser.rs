//! The built book in a headless browser ([`crate::chrome`]): built into a temporary folder and
//! served on 127.0.0.1. Used by the browser tests and by `cargo book screenshots`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use fantoccini::Client;

use crate::book::LoadedBook;
use crate::chrome::{Headless, Programs};
use crate::{Project, Scratch};

/// The built book, served, and a browser session on it. Dropping it ends the browser and its
/// driver, and removes the temporary folders.
pub struct Session {
    pub browser: Headless,
    /// `http://127.0.0.1:PORT/`
    pub base: String,
    /// Where the book was built.
    pub site: PathBuf,
    _server: crate::serve::Background,
    _scratch: Scratch,
}

impl Session {
    pub fn start(project: &Project) -> Result<Session> {
        let programs = Programs::find()?;
        let scratch = Scratch::new("book-browser")?;
        let site = LoadedBook::load(project)?
            .build_html(Some(&scratch.path().join("site")))?;
        let server = crate::serve::Background::start(&site)?;
        let browser =
            Headless::start(&programs, &scratch.path().join("profile"))?;
        Ok(Session {
            browser,
            base: server.url(""),
            site,
            _server: server,
            _scratch: scratch,
        })
    }

    /// The WebDriver client.
    pub fn client(&self) -> &Client {
        &self.browser.client
    }

    /// Opens a page of the book, retrying a load that hangs (a loaded machine can stall
    /// Chromium's renderer; a page that never loads still fails, after three tries).
    pub async fn open(&self, page: &str) -> Result<()> {
        let url = format!("{}{page}", self.base);
        let mut tries = 0;
        loop {
            match self.client().goto(&url).await {
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
        self.browser.run(work)
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

/// Writes a light and a dark (navy) screenshot of every page into `dir`.
pub fn screenshots(project: &Project, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let session = Session::start(project)?;
    let mut written = Vec::new();
    for page in session.pages()? {
        for theme in ["light", "navy"] {
            let png = session.run(async {
                let client = session.client();
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
                let client = session.client();
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
