//! `cargo book pdf [--out book.pdf]`: the book for offline reading. mdBook's `print.html`
//! (every chapter on one page), loaded in a headless browser ([`crate::chrome`]) and printed
//! through the DevTools protocol (`Page.printToPDF`, with a document outline: one bookmark
//! per heading), with the print rules of `theme/listings.css` (`@media print`): A4, each
//! chapter on a new page, code set small enough that an 80-column line fits the page,
//! figures still SVG (vector).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail, ensure};
use base64::Engine;
use fantoccini::wd::TimeoutConfiguration;

use crate::book::LoadedBook;
use crate::chrome::{Headless, Programs};
use crate::serve::Background;
use crate::{Project, Scratch};

/// How long the browser may take to load `print.html`, and then to print it.
const LOADING: Duration = Duration::from_secs(120);
const PRINTING: Duration = Duration::from_secs(180);

/// Run in the page before its own scripts: mdBook's `print.html` calls `window.print()`
/// after its load event, which a browser may answer with a print dialog of its own in the
/// middle of ours (Chromium 156 headless ignores it; another release may not).
const NO_PRINT_DIALOG: &str = "window.print = () => {};";

/// Run once the page has loaded: waits for its fonts and its images (figures) to be ready.
const READY: &str = r#"
    const done = arguments[arguments.length - 1];
    const loaded = (img) => img.complete ? null : new Promise((ready) => {
        img.addEventListener("load", ready);
        img.addEventListener("error", ready);
    });
    Promise.all([document.fonts.ready, ...[...document.images].map(loaded)])
        .then(() => done(true), (e) => done(String(e)));"#;

/// Builds the book into a temporary folder and prints it to `out`; returns the PDF's size
/// in bytes.
pub fn print(project: &Project, out: &Path) -> Result<u64> {
    let programs = Programs::find()?; // before the build: a missing browser fails at once
    let scratch = Scratch::new("book-pdf")?;
    let site = LoadedBook::load(project)?
        .build_html(Some(&scratch.path().join("site")))?;
    print_with(&programs, &site, out)
}

/// Prints the `print.html` of a built `site` to `out`, with a browser of its own; returns
/// the PDF's size in bytes.
pub fn print_site(site: &Path, out: &Path) -> Result<u64> {
    print_with(&Programs::find()?, site, out)
}

fn print_with(programs: &Programs, site: &Path, out: &Path) -> Result<u64> {
    let page = site.join("print.html");
    ensure!(
        page.is_file(),
        "{} is missing: the book was built without it",
        page.display()
    );
    // Served rather than opened as a file: a browser confined by a snap or a flatpak cannot
    // read the temporary folder.
    let server = Background::start(site)?;
    let url = server.url("print.html");
    let scratch = Scratch::new("book-pdf-browser")?;
    let browser = Headless::start(programs, &scratch.path().join("profile"))?;
    let pdf = browser.run(print_page(&browser, &url)).map_err(|e| {
        anyhow!(
            "{} did not print {} (served as {url}): {e:#}\nTried: loading it through \
             WebDriver, which answers after the page's load event; waiting for its fonts and \
             images; then the DevTools command Page.printToPDF, through chromedriver's \
             goog/cdp/execute.\nAnother Chrome or Chromium may print it: set BOOK_CHROME \
             and BOOK_CHROMEDRIVER to it and to the chromedriver of its version",
            browser.describe(),
            page.display()
        )
    })?;
    std::fs::write(out, &pdf).with_context(|| {
        format!("cannot write the PDF to {}", out.display())
    })?;
    Ok(pdf.len() as u64)
}

async fn print_page(browser: &Headless, url: &str) -> Result<Vec<u8>> {
    let client = &browser.client;
    client
        .update_timeouts(TimeoutConfiguration::new(
            Some(LOADING),
            Some(LOADING),
            Some(Duration::ZERO),
        ))
        .await?;
    browser
        .devtools(
            "Page.addScriptToEvaluateOnNewDocument",
            serde_json::json!({ "source": NO_PRINT_DIALOG }),
        )
        .await?;
    // WebDriver's navigation returns once the page has fired its load event.
    client.goto(url).await.context("loading the page")?;
    let ready = client
        .execute_async(READY, vec![])
        .await
        .context("waiting for the page's fonts and images")?;
    ensure!(
        ready == true,
        "waiting for the page's fonts and images: {ready}"
    );
    let options = serde_json::json!({
        "printBackground": true,
        "displayHeaderFooter": false,
        "preferCSSPageSize": true, // A4 and its margins, from theme/listings.css
        "generateTaggedPDF": true, // the outline is made from the tagged headings
        "generateDocumentOutline": true,
        "transferMode": "ReturnAsBase64",
    });
    let printed = tokio::time::timeout(
        PRINTING,
        browser.devtools("Page.printToPDF", options),
    )
    .await
    .with_context(|| {
        format!("Page.printToPDF did not answer within {PRINTING:?}")
    })??;
    let Some(data) = printed["data"].as_str() else {
        bail!("Page.printToPDF answered without data: {printed}");
    };
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(data)
        .context("Page.printToPDF answered with data that is not base64")?;
    ensure!(
        pdf.starts_with(b"%PDF-"),
        "Page.printToPDF answered with something that is not a PDF ({} bytes)",
        pdf.len()
    );
    Ok(pdf)
}
