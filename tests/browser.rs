//! The built book in a real browser (headless Chromium): pages load without script errors,
//! listings show their code and output, search works, the dark theme works, the print page
//! has every chapter, and nothing is loaded from outside the machine.
//!
//! Without Chromium these tests are skipped with a loud message, except under CI (`CI` set),
//! where they fail.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use book_tests::trial;
use fantoccini::Locator;
use machinery::Project;
use machinery::browser::{Session, set_theme, unavailable};
use serde_json::Value;

type Shared = Arc<Mutex<Session>>;

/// Runs `js` (a function body) on `page` and returns its result.
fn eval(session: &Session, page: &str, js: &str) -> Result<Value> {
    session.run(async {
        session
            .client
            .goto(&format!("{}{page}", session.base))
            .await?;
        Ok(session.client.execute(js, vec![]).await?)
    })
}

fn no_script_errors(session: &Session) -> Result<()> {
    for page in session.pages()? {
        let errors = eval(session, &page, "return window.bookErrors;")?;
        ensure!(
            errors.is_array(),
            "{page}: the error recorder (theme/head.hbs) is missing"
        );
        ensure!(
            errors == Value::Array(vec![]),
            "{page}: script errors: {errors}"
        );
    }
    Ok(())
}

fn listings_visible(session: &Session) -> Result<()> {
    let js = r#"
        document.querySelectorAll("details").forEach((d) => (d.open = true)); // solutions
        const shown = (e) => e !== null && e.getBoundingClientRect().height > 0;
        return [...document.querySelectorAll("figure.listing")].map((f) => [
            f.id, shown(f.querySelector("pre code.language-rust")),
            shown(f.querySelector(".listing-output pre")),
            (f.querySelector(".listing-output") || {}).innerText || "",
        ]);"#;
    let mut seen = 0;
    for page in session.pages()?.iter().filter(|p| *p != "print.html") {
        for listing in eval(session, page, js)?
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let id = listing[0].as_str().unwrap_or("?");
            ensure!(listing[1] == true, "{page}#{id}: the code is not visible");
            ensure!(
                listing[2] == true,
                "{page}#{id}: the output panel is not visible"
            );
            let output = listing[3].as_str().unwrap_or("");
            ensure!(
                output.trim().len() > "Output".len(),
                "{page}#{id}: the output is empty"
            );
            seen += 1;
        }
    }
    ensure!(seen > 0, "no listing found on any page");
    Ok(())
}

fn search_finds_fork(session: &Session) -> Result<()> {
    session.run(async {
        let client = &session.client;
        session.open("").await?;
        client
            .find(Locator::Id("mdbook-search-toggle"))
            .await?
            .click()
            .await?;
        client
            .find(Locator::Id("mdbook-searchbar"))
            .await?
            .send_keys("fork")
            .await?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let results = client.find(Locator::Id("mdbook-searchresults")).await?;
            if results.html(true).await?.contains("ch01-processes.html") {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "searching \"fork\" did not list the Processes chapter (ch01-processes.html)"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

fn dark_theme_works(session: &Session) -> Result<()> {
    let background =
        "return getComputedStyle(document.documentElement).backgroundColor;";
    let light = eval(session, "index.html", background)?;
    let (dark, classes) = session.run(async {
        let client = &session.client;
        set_theme(client, "navy").await?;
        let dark = client.execute(background, vec![]).await?;
        let classes = client
            .execute("return document.documentElement.className;", vec![])
            .await?;
        set_theme(client, "light").await?; // the choice persists: leave the default behind
        Ok((dark, classes))
    })?;
    ensure!(
        classes.as_str().unwrap_or("").contains("navy"),
        "the navy theme did not apply: {classes}"
    );
    ensure!(
        light != dark,
        "the background stayed {light} in the dark theme"
    );
    Ok(())
}

fn print_page_has_every_chapter(
    session: &Session,
    project: &Project,
) -> Result<()> {
    let text = eval(session, "print.html", "return document.body.innerText;")?;
    let text = text.as_str().unwrap_or("");
    for chapter in machinery::book::LoadedBook::load(project)?.chapters()? {
        let title = chapter
            .source
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("# ");
        ensure!(
            text.contains(title),
            "print.html lacks the chapter {title:?} (src/{})",
            chapter.path.display()
        );
    }
    Ok(())
}

fn nothing_remote(session: &Session) -> Result<()> {
    let js =
        "return performance.getEntriesByType('resource').map((e) => e.name);";
    for page in session.pages()? {
        for url in eval(session, &page, js)?
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let url = url.as_str().unwrap_or("");
            // A `data:` URL is content inlined in the page (mdBook's icons), not a request.
            ensure!(
                url.starts_with(&session.base) || url.starts_with("data:"),
                "{page} loaded {url} from outside the machine"
            );
        }
    }
    Ok(())
}

/// In every output panel, what the sidecar declares variable is marked (underlined, with a
/// reason), the panel still copies as exactly the stored text, and each claim is listed with
/// its verdict.
fn variation_and_claims_shown(
    session: &Session,
    project: &Project,
) -> Result<()> {
    use machinery::book::LoadedBook;
    use machinery::listing::Listing;
    use machinery::output::StoredOutput;
    let uses = LoadedBook::load(project)?.listing_uses();
    let (mut marked, mut claims_seen) = (0, 0);
    for listing in Listing::all(project)? {
        let Some(shown) = uses.get(&listing.name).and_then(|u| u.first())
        else {
            continue;
        };
        let page = shown.chapter.with_extension("html");
        let page = page.display();
        let stored =
            std::fs::read_to_string(project.root.join(listing.output_path()))?;
        let stored = StoredOutput::parse(&stored).ok_or_else(|| {
            anyhow::anyhow!("{}: no command line", listing.name)
        })?;
        let js = format!(
            r#"const f = document.getElementById("listing-{name}");
            const code = f.querySelector(".listing-output pre code");
            const marks = Array.from(f.querySelectorAll(".listing-output pre .varies"));
            return [code.textContent,
                marks.length,
                marks.every(m => m.title.length > 0 &&
                    getComputedStyle(m).textDecorationStyle === "dotted"),
                Array.from(f.querySelectorAll(".listing-claims li"))
                    .map(li => li.querySelector(".verdict").textContent)];"#,
            name = listing.name
        );
        let found = eval(session, &page.to_string(), &js)?;
        ensure!(
            found[0].as_str() == Some(stored.text.as_str()),
            "{page}#listing-{}: the output panel does not copy as the stored text",
            listing.name
        );
        let marks = found[1].as_u64().unwrap_or(0);
        ensure!(
            found[2] == true,
            "{page}#listing-{}: a mark has no reason or is not underlined",
            listing.name
        );
        marked += marks;
        let verdicts = found[3].as_array().cloned().unwrap_or_default();
        ensure!(
            verdicts.len() == listing.spec.claims.len()
                && verdicts.iter().all(|v| v == "✓"),
            "{page}#listing-{}: {} claims declared, shown: {verdicts:?}",
            listing.name,
            listing.spec.claims.len()
        );
        claims_seen += verdicts.len();
    }
    ensure!(marked > 0, "no variable part is marked on any page");
    eprintln!("{marked} variable parts marked, {claims_seen} claims shown");
    Ok(())
}

type Check = fn(&Session, &Project) -> Result<()>;

fn main() {
    let project = book_tests::project_or_exit();
    let checks: [(&str, Check); 7] = [
        ("pages_load_without_script_errors", |s, _| {
            no_script_errors(s)
        }),
        ("every_listing_shows_code_and_output", |s, _| {
            listings_visible(s)
        }),
        ("search_for_fork_lists_the_processes_chapter", |s, _| {
            search_finds_fork(s)
        }),
        ("the_dark_theme_works", |s, _| dark_theme_works(s)),
        ("print_html_has_every_chapter", print_page_has_every_chapter),
        ("nothing_is_loaded_from_outside", |s, _| nothing_remote(s)),
        (
            "outputs_mark_what_varies_and_list_their_claims",
            variation_and_claims_shown,
        ),
    ];
    let missing = unavailable();
    if let Some(reason) = &missing
        && std::env::var_os("CI").is_none()
    {
        eprintln!("\n*** BROWSER TESTS SKIPPED: {reason} ***\n");
    }
    // Shared by every trial: a failure to start is kept as its message.
    let session: Option<Result<Shared, String>> = match &missing {
        Some(_) => None,
        None => Some(
            Session::start(&project)
                .map(|s| Arc::new(Mutex::new(s)))
                .map_err(|e| format!("{e:#}")),
        ),
    };
    let trials = checks
        .into_iter()
        .map(|(name, check)| {
            let (project, session, missing) =
                (project.clone(), session.clone(), missing.clone());
            let under_ci = std::env::var_os("CI").is_some();
            let skip = missing.is_some() && !under_ci;
            trial(name, move || match (session, missing) {
                (Some(Ok(session)), _) => {
                    let session = session.lock().map_err(|_| {
                        anyhow::anyhow!("an earlier check panicked")
                    })?;
                    check(&session, &project)
                }
                (Some(Err(e)), _) => bail!("cannot start the browser: {e}"),
                (None, Some(reason)) if under_ci => {
                    bail!("browser tests are mandatory under CI: {reason}")
                }
                (None, _) => Ok(()),
            })
            .with_ignored_flag(skip)
        })
        .collect();
    let conclusion = book_tests::run_serially(trials);
    drop(session); // ends chromedriver and the browser before exiting
    conclusion.exit()
}
