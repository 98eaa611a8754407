//! The built book in a real browser (headless Chrome or Chromium): pages load without
//! script errors, listings show their code and output, search works, the dark theme works,
//! the print page has every chapter, nothing is loaded from outside the machine, the panels
//! of possible outcomes show in the light and the dark theme,
//! `cargo book serve` reloads the open page when its chapter changes, and the book printed
//! to PDF (`cargo book pdf`) has one bookmark per chapter.
//!
//! Without a browser these tests are skipped with a loud message, except under CI (`CI` set),
//! where they fail.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use book_tests::trial;
use fantoccini::Locator;
use machinery::Project;
use machinery::browser::{Session, set_theme};
use machinery::chrome::unavailable;
use serde_json::Value;

type Shared = Arc<Mutex<Browser>>;

/// The browser, and what it found on every page of the book, gathered on the first check
/// that needs it: each page is loaded once, however many checks read it.
struct Browser {
    session: Session,
    survey: Option<BTreeMap<String, Value>>,
    /// The PDF, printed by another browser while the checks use this one: its top-level
    /// outline entries.
    printing: Option<JoinHandle<Result<Vec<String>>>>,
    /// `cargo book serve` on a copy of the book, for the live-reload check, when it runs.
    served: Option<Result<Served, String>>,
}

impl Drop for Browser {
    /// Waits for the PDF if no check did (one was skipped, or filtered out), so that its
    /// browser is not left running.
    fn drop(&mut self) {
        if let Some(printing) = self.printing.take() {
            let _ = printing.join();
        }
    }
}

/// What one page shows, read in the browser once the page has loaded.
const SURVEY: &str = r#"
    document.querySelectorAll("details").forEach((d) => (d.open = true)); // solutions
    document.querySelectorAll(".quiz-uncover").forEach((b) => b.click()); // quizzed outputs
    const shown = (e) => e !== null && e.getBoundingClientRect().height > 0;
    return {
        errors: window.bookErrors,
        resources: performance.getEntriesByType("resource").map((e) => e.name),
        text: document.body.innerText,
        listings: [...document.querySelectorAll("figure.listing")].map((f) => {
            const marks = [...f.querySelectorAll(".listing-output pre .varies")];
            return {
                id: f.id,
                code_shown: shown(f.querySelector("pre code.language-rust")),
                output_shown: shown(f.querySelector(".listing-output pre")),
                output_text: (f.querySelector(".listing-output") || {}).innerText || "",
                copied: (f.querySelector(".listing-output pre code") || {}).textContent,
                marks: marks.length,
                marks_explained: marks.every((m) => m.title.length > 0 &&
                    getComputedStyle(m).textDecorationStyle === "dotted"),
                verdicts: [...f.querySelectorAll(".listing-claims li .verdict")]
                    .map((v) => v.textContent),
            };
        }),
        prose_verdicts: [...document.querySelectorAll(".prose-verdict")].map((v) => {
            const mark = v.querySelector(":scope > .prose-verdict-anchor > .prose-verdict-mark");
            const popover = mark && document.getElementById(mark.getAttribute("aria-describedby"));
            return {
                claims: v.dataset.claims || "",
                mark: mark ? mark.textContent : null,
                tabbable: mark !== null && mark.tabIndex >= 0,
                popover_hidden: popover !== null && getComputedStyle(popover).display === "none",
                popover_text: popover ? popover.textContent : "",
            };
        }),
        print_hides_popovers: [...document.styleSheets].some((sheet) => {
            try {
                return [...sheet.cssRules].some((rule) => rule.media &&
                    rule.media.mediaText === "print" && [...rule.cssRules].some((r) =>
                        r.selectorText === ".prose-verdict-popover" && r.style.display === "none"));
            } catch (e) {
                return false;
            }
        }),
    };"#;

impl Browser {
    /// Every page's survey, by page (`index.html`, ...).
    fn survey(&mut self) -> Result<&BTreeMap<String, Value>> {
        if self.survey.is_none() {
            let session = &self.session;
            let mut pages = BTreeMap::new();
            for page in session.pages()? {
                let found = session.run(async {
                    session.open(&page).await?;
                    Ok(session.client().execute(SURVEY, vec![]).await?)
                })?;
                pages.insert(page, found);
            }
            self.survey = Some(pages);
        }
        Ok(self.survey.as_ref().expect("surveyed above"))
    }
}

/// The listings a page shows (print.html repeats every chapter's, and is left out).
fn listings_on(survey: &BTreeMap<String, Value>) -> Vec<(&str, &Value)> {
    survey
        .iter()
        .filter(|(page, _)| *page != "print.html")
        .flat_map(|(page, found)| {
            found["listings"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |listing| (page.as_str(), listing))
        })
        .collect()
}

fn no_script_errors(browser: &mut Browser) -> Result<()> {
    for (page, found) in browser.survey()? {
        let errors = &found["errors"];
        ensure!(
            errors.is_array(),
            "{page}: the error recorder (theme/head.hbs) is missing"
        );
        ensure!(
            *errors == Value::Array(vec![]),
            "{page}: script errors: {errors}"
        );
    }
    Ok(())
}

fn listings_visible(browser: &mut Browser) -> Result<()> {
    let listings = listings_on(browser.survey()?);
    for (page, listing) in &listings {
        let id = listing["id"].as_str().unwrap_or("?");
        ensure!(
            listing["code_shown"] == true,
            "{page}#{id}: the code is not visible"
        );
        ensure!(
            listing["output_shown"] == true,
            "{page}#{id}: the output panel is not visible"
        );
        let output = listing["output_text"].as_str().unwrap_or("");
        ensure!(
            output.trim().len() > "Output".len(),
            "{page}#{id}: the output is empty"
        );
    }
    ensure!(!listings.is_empty(), "no listing found on any page");
    Ok(())
}

/// Searching "fork" lists the chapter that says it most often, whatever its file is called.
fn search_finds_fork(browser: &mut Browser, project: &Project) -> Result<()> {
    let sources = machinery::book::LoadedBook::load(project)?.sources();
    let (chapter, _) = sources
        .iter()
        .map(|(path, text)| (path, text.to_lowercase().matches("fork").count()))
        .max_by_key(|(_, count)| *count)
        .context("the book has no chapter")?;
    let page = chapter.with_extension("html").display().to_string();
    let session = &browser.session;
    session.run(async {
        let client = session.client();
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
            if results.html(true).await?.contains(&page) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "searching \"fork\" did not list {page}, the chapter that says it most"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

fn dark_theme_works(browser: &mut Browser) -> Result<()> {
    let session = &browser.session;
    let background =
        "return getComputedStyle(document.documentElement).backgroundColor;";
    let (light, dark, classes) = session.run(async {
        let client = session.client();
        session.open("index.html").await?;
        let light = client.execute(background, vec![]).await?;
        set_theme(client, "navy").await?;
        let dark = client.execute(background, vec![]).await?;
        let classes = client
            .execute("return document.documentElement.className;", vec![])
            .await?;
        set_theme(client, "light").await?; // the choice persists: leave the default behind
        Ok((light, dark, classes))
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
    browser: &mut Browser,
    project: &Project,
) -> Result<()> {
    let survey = browser.survey()?;
    let text = survey
        .get("print.html")
        .and_then(|found| found["text"].as_str())
        .unwrap_or("");
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

fn nothing_remote(browser: &mut Browser) -> Result<()> {
    let base = browser.session.base.clone();
    for (page, found) in browser.survey()? {
        for url in found["resources"].as_array().into_iter().flatten() {
            let url = url.as_str().unwrap_or("");
            // A `data:` URL is content inlined in the page (mdBook's icons), not a request.
            ensure!(
                url.starts_with(&base) || url.starts_with("data:"),
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
    browser: &mut Browser,
    project: &Project,
) -> Result<()> {
    use machinery::listing::Listing;
    let shown: BTreeMap<&str, (&str, &Value)> = listings_on(browser.survey()?)
        .into_iter()
        .filter_map(|(page, found)| {
            let id = found["id"].as_str()?.strip_prefix("listing-")?;
            Some((id, (page, found)))
        })
        .collect();
    let (mut marked, mut claims_seen) = (0, 0);
    for listing in Listing::all(project)? {
        let Some((page, found)) = shown.get(listing.name.as_str()) else {
            bail!("listing {} is on no page", listing.name);
        };
        let stored = listing.stored_output(&project.root)?;
        ensure!(
            found["copied"].as_str() == Some(stored.text.as_str()),
            "{page}#listing-{}: the output panel does not copy as the stored text",
            listing.name
        );
        ensure!(
            found["marks_explained"] == true,
            "{page}#listing-{}: a mark has no reason or is not underlined",
            listing.name
        );
        marked += found["marks"].as_u64().unwrap_or(0);
        let verdicts =
            found["verdicts"].as_array().cloned().unwrap_or_default();
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

/// Every verdict the prose marks is on its page with a ✓ button that is in the tab order and
/// describes itself with a popover, hidden until asked for; reached with the keyboard or the
/// pointer, in the light and a dark theme, the popover shows its claims within the text
/// column, and Escape closes it; in print only the symbol remains.
fn verdicts_marked_and_shown(
    browser: &mut Browser,
    project: &Project,
) -> Result<()> {
    let marked = machinery::book::LoadedBook::load(project)?.sentences();
    let survey = browser.survey()?;
    let mut shown = 0;
    let mut first_page = None;
    for (page, found) in survey {
        for verdict in found["prose_verdicts"].as_array().into_iter().flatten()
        {
            let claims = verdict["claims"].as_str().unwrap_or("");
            ensure!(
                verdict["mark"] == "✓" && verdict["tabbable"] == true,
                "{page}: the verdict resting on {claims} has no ✓ button in the tab order"
            );
            ensure!(
                verdict["popover_hidden"] == true,
                "{page}: the popover of the verdict resting on {claims} is shown unasked"
            );
            let text = verdict["popover_text"].as_str().unwrap_or("");
            ensure!(
                text.contains("holds on the book's run"),
                "{page}: the popover of the verdict resting on {claims} gives no verdict: {text:?}"
            );
            if page == "print.html" {
                continue;
            }
            shown += 1;
            first_page.get_or_insert_with(|| page.clone());
        }
    }
    ensure!(
        shown == marked.len(),
        "{} verdicts are marked in the chapters, {shown} are on the pages",
        marked.len()
    );
    let print = &survey["print.html"];
    ensure!(
        print["prose_verdicts"].as_array().map(Vec::len) == Some(marked.len()),
        "print.html does not show every verdict's mark"
    );
    ensure!(
        print["print_hides_popovers"] == true,
        "theme/listings.css does not hide the popovers in print (@media print)"
    );
    let Some(page) = first_page else {
        eprintln!("no verdict is marked in the chapters yet");
        return Ok(());
    };
    // The element before the first mark in the tab order, focused: Tab must reach the mark.
    let before_mark = r#"
        document.getElementById("mdbook-theme-list").style.display = "none";
        document.activeElement.blur(); // the theme menu gives the focus to its button
        const tabbable = [...document.querySelectorAll("a[href], button, input, [tabindex]")]
            .filter((e) => e.tabIndex >= 0 && e.getClientRects().length > 0);
        const mark = document.querySelector(".prose-verdict-mark");
        mark.scrollIntoView({ block: "center" });
        // The nearest element before the mark that really takes the focus (mdBook's copy
        // buttons are hidden until hovered, and refuse it).
        for (let i = tabbable.indexOf(mark) - 1; i >= 0; i--) {
            tabbable[i].focus();
            if (document.activeElement === tabbable[i]) break;
        }
        return null;"#;
    let state = r#"
        const mark = document.querySelector(".prose-verdict-mark");
        const popover = document.getElementById(mark.getAttribute("aria-describedby"));
        const column = document.querySelector("main").getBoundingClientRect();
        const box = popover.getBoundingClientRect();
        return {
            focused: document.activeElement === mark,
            shown: getComputedStyle(popover).display === "block",
            within: box.left >= column.left - 1 && box.right <= column.right + 1,
            background: getComputedStyle(popover).backgroundColor,
            color: getComputedStyle(popover).color,
        };"#;
    let session = &browser.session;
    let mut backgrounds = Vec::new();
    for theme in ["light", "navy"] {
        let (keyboard, escaped, pointer) = session.run(async {
            use fantoccini::actions::{
                InputSource, MouseActions, PointerAction,
            };
            use fantoccini::key::Key;
            let client = session.client();
            session.open(&page).await?;
            set_theme(client, theme).await?;
            // Tab from the element before the mark; a few more presses may be needed, since
            // Chromium also stops on scrollable code blocks (keyboard-focusable scrollers).
            client.execute(before_mark, vec![]).await?;
            let mut keyboard = Value::Null;
            for _ in 0..8 {
                client
                    .active_element()
                    .await?
                    .send_keys(&Key::Tab.to_string())
                    .await?;
                keyboard = client.execute(state, vec![]).await?;
                if keyboard["focused"] == true {
                    break;
                }
            }
            client
                .active_element()
                .await?
                .send_keys(&Key::Escape.to_string())
                .await?;
            let escaped = client.execute(state, vec![]).await?;
            client
                .execute("document.activeElement.blur();", vec![])
                .await?;
            // The mark, not the clause: moving the pointer through a paragraph must not
            // open popovers over the text.
            let mark = client.find(Locator::Css(".prose-verdict-mark")).await?;
            let hover = MouseActions::new("pointer".into()).then(
                PointerAction::MoveToElement {
                    element: mark,
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                },
            );
            client.perform_actions(hover).await?;
            let pointer = client.execute(state, vec![]).await?;
            client.release_actions().await?;
            set_theme(client, "light").await?; // the choice persists
            Ok((keyboard, escaped, pointer))
        })?;
        ensure!(
            keyboard["focused"] == true && keyboard["shown"] == true,
            "{page} ({theme}): Tab does not reach the first verdict's mark, or its popover \
             does not show: {keyboard}"
        );
        ensure!(
            keyboard["within"] == true,
            "{page} ({theme}): the popover leaves the text column: {keyboard}"
        );
        ensure!(
            keyboard["background"] != keyboard["color"]
                && keyboard["background"] != "rgba(0, 0, 0, 0)",
            "{page} ({theme}): the popover has no background of its own: {keyboard}"
        );
        ensure!(
            escaped["shown"] == false,
            "{page} ({theme}): Escape does not close the popover"
        );
        ensure!(
            pointer["shown"] == true,
            "{page} ({theme}): hovering the verdict does not show its popover"
        );
        backgrounds.push(keyboard["background"].clone());
    }
    ensure!(
        backgrounds[0] != backgrounds[1],
        "the popover keeps the background {} in the dark theme",
        backgrounds[0]
    );
    eprintln!("{shown} verdicts marked, each with its popover");
    Ok(())
}

/// What a quiz shows, read in the page: the result, which explanations are visible, the
/// reveal, the colours, and the element that has the focus.
const QUIZ_STATE: &str = r#"
    const quiz = document.getElementById(arguments[0]);
    const visible = (e) => e !== null && !e.hidden && e.getClientRects().length > 0;
    return {
        result: quiz.querySelector(".quiz-result").textContent,
        whys: [...quiz.querySelectorAll(".quiz-choice")].map((c) => ({
            right: c.dataset.right === "true",
            checked: c.querySelector("input").checked,
            why_shown: visible(c.querySelector(".quiz-why")),
        })),
        reveal_shown: visible(quiz.querySelector(".quiz-reveal")),
        reveal_text: quiz.querySelector(".quiz-reveal").innerText,
        expanded: quiz.querySelector(".quiz-show").getAttribute("aria-expanded"),
        focused: document.activeElement ? document.activeElement.className : "",
        background: getComputedStyle(quiz).backgroundColor,
        color: getComputedStyle(quiz).color,
        progress: localStorage.getItem("book-quiz-progress") || "",
        covered: (() => {
            const figure = document.getElementById(quiz.dataset.covers || "");
            return figure === null ? null : figure.classList.contains("quiz-covered") &&
                !visible(figure.querySelector(".listing-output pre"));
        })(),
    };"#;

/// A quiz in the page: a wrong answer shows why under the choice, a right one says so, the
/// reveal shows the stored output, it works from the keyboard alone, in the light and the
/// dark themes; print.html carries the questions at the chapter's end without their answers.
fn quizzes_answer_explain_reveal(
    browser: &mut Browser,
    project: &Project,
) -> Result<()> {
    let quizzes = machinery::quiz::Quiz::all(project)?;
    let listings = machinery::listing::Listing::all(project)?;
    // The first single-answer question with choices, and the page of its chapter.
    let Some((quiz, question)) = quizzes.iter().find_map(|quiz| {
        quiz.questions
            .iter()
            .find(|q| {
                matches!(
                    q.answer,
                    machinery::quiz::Answer::Choice { multi: false, .. }
                ) && q.evidence.shape().is_none()
            })
            .map(|q| (quiz, q))
    }) else {
        eprintln!("no single-answer quiz question yet");
        return Ok(());
    };
    let page = std::fs::read_dir(project.root.join("src"))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|f| {
            f.starts_with(&format!("{}-", quiz.chapter)) && f.ends_with(".md")
        })
        .context("no chapter for the quiz")?
        .replace(".md", ".html");
    let id = machinery::quiz::html_id(&quiz.chapter, &question.id);
    let listing = machinery::listing::Listing::named(
        &listings,
        question.evidence.listing(),
    )?;
    let stored = listing.stored_output(&project.root)?;
    let first_line = stored.text.lines().next().unwrap_or("").to_owned();
    let session = &browser.session;
    let args = vec![Value::String(id.clone())];
    let (before, wrong, right, revealed, keyboard, colours) =
        session.run(async {
            use fantoccini::key::Key;
            let client = session.client();
            session.open(&page).await?;
            client.execute("localStorage.clear();", vec![]).await?;
            session.open(&page).await?; // unanswered: its listing's output covered
            let before = client.execute(QUIZ_STATE, args.clone()).await?;
            let quiz_css = format!("#{id}");
            let choice = |right: bool| {
                format!("{quiz_css} .quiz-choice[data-right=\"{right}\"] input")
            };
            let check = format!("{quiz_css} .quiz-check");
            // A wrong answer, by pointer.
            client
                .find(Locator::Css(&choice(false)))
                .await?
                .click()
                .await?;
            client.find(Locator::Css(&check)).await?.click().await?;
            let wrong = client.execute(QUIZ_STATE, args.clone()).await?;
            // The right one.
            client
                .find(Locator::Css(&choice(true)))
                .await?
                .click()
                .await?;
            client.find(Locator::Css(&check)).await?.click().await?;
            let right = client.execute(QUIZ_STATE, args.clone()).await?;
            // The reveal.
            let show = format!("{quiz_css} .quiz-show");
            client.find(Locator::Css(&show)).await?.click().await?;
            let revealed = client.execute(QUIZ_STATE, args.clone()).await?;
            // Keyboard only: focus the first choice, choose with the arrow keys, Tab to Check,
            // press Enter.
            session.open(&page).await?;
            client
                .execute(
                    "const q = document.getElementById(arguments[0]); \
                 q.scrollIntoView(); q.querySelector('input').focus();",
                    args.clone(),
                )
                .await?;
            let active = client.active_element().await?;
            active.send_keys(" ").await?;
            active.send_keys(&Key::Down.to_string()).await?;
            client
                .active_element()
                .await?
                .send_keys(&Key::Tab.to_string())
                .await?;
            let on_check = client.execute(QUIZ_STATE, args.clone()).await?;
            client
                .active_element()
                .await?
                .send_keys(&Key::Enter.to_string())
                .await?;
            let mut keyboard = client.execute(QUIZ_STATE, args.clone()).await?;
            keyboard["focused_before_enter"] = on_check["focused"].clone();
            // The themes.
            let mut colours = Vec::new();
            for theme in ["light", "navy"] {
                set_theme(client, theme).await?;
                colours.push(client.execute(QUIZ_STATE, args.clone()).await?);
            }
            set_theme(client, "light").await?;
            Ok((before, wrong, right, revealed, keyboard, colours))
        })?;
    let whys = |state: &Value| -> Vec<(bool, bool, bool)> {
        state["whys"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|w| {
                (
                    w["right"] == true,
                    w["checked"] == true,
                    w["why_shown"] == true,
                )
            })
            .collect()
    };
    ensure!(
        before["covered"] == true && wrong["covered"] == false,
        "{page} #{id}: the listing the quiz asks about must have its output covered until \
         the quiz is answered (theme/quiz.js): before {}, after {}",
        before["covered"],
        wrong["covered"]
    );
    ensure!(
        wrong["result"]
            .as_str()
            .unwrap_or("")
            .starts_with("Not quite")
            && whys(&wrong)
                .iter()
                .all(|&(right, checked, shown)| shown == (checked && !right)),
        "{page} #{id}: a wrong answer must say so and show the why of the chosen choice \
         only: {wrong}"
    );
    ensure!(
        right["result"] == "Right." && whys(&right).iter().all(|w| !w.2),
        "{page} #{id}: the right answer must be called right, with no why shown: {right}"
    );
    ensure!(
        revealed["reveal_shown"] == true
            && revealed["expanded"] == "true"
            && revealed["reveal_text"]
                .as_str()
                .unwrap_or("")
                .contains(&first_line),
        "{page} #{id}: Show the run must show {}'s stored output: {revealed}",
        listing.name
    );
    ensure!(
        keyboard["focused_before_enter"] == "quiz-check"
            && !keyboard["result"].as_str().unwrap_or("").is_empty()
            && keyboard["progress"]
                .as_str()
                .unwrap_or("")
                .contains(&question.id),
        "{page} #{id}: from the keyboard, a choice, Tab to Check and Enter must give a \
         verdict, kept in localStorage: {keyboard}"
    );
    ensure!(
        colours[0]["background"] != colours[1]["background"]
            && colours.iter().all(|c| c["background"] != c["color"]),
        "{page} #{id}: the quiz must follow the dark theme: {colours:?}"
    );
    // Print: the questions at the chapter's end, without what answers them.
    let print_page = session.run(async {
        let client = session.client();
        session.open("print.html").await?;
        session
            .browser
            .devtools(
                "Emulation.setEmulatedMedia",
                serde_json::json!({ "media": "print" }),
            )
            .await?;
        let found = client
            .execute(
                r#"
                const visible = (e) => getComputedStyle(e).display !== "none" &&
                    e.getClientRects().length > 0;
                const print = [...document.querySelectorAll(".quiz-print")];
                return {
                    quizzes_shown: [...document.querySelectorAll(".quiz")].filter(visible).length,
                    print_lists: print.filter(visible).length,
                    text: print.map((p) => p.innerText).join("\n"),
                };"#,
                vec![],
            )
            .await?;
        session
            .browser
            .devtools("Emulation.setEmulatedMedia", serde_json::json!({ "media": "" }))
            .await?;
        Ok(found)
    })?;
    let prompt_start: String = question
        .prompt
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    let machinery::quiz::Answer::Choice { choices, .. } = &question.answer
    else {
        unreachable!("chosen above");
    };
    let why = choices
        .iter()
        .find_map(|c| c.why.clone())
        .unwrap_or_default();
    let why_start: String =
        why.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
    let text = print_page["text"].as_str().unwrap_or("");
    ensure!(
        print_page["quizzes_shown"] == 0
            && print_page["print_lists"].as_u64().unwrap_or(0) > 0
            && text.contains(prompt_start.trim_matches('`'))
            && !text.contains(&why_start),
        "print.html in print: the questions must be listed at the chapters' ends without \
         their answers, and the interactive quizzes hidden: {print_page}"
    );
    eprintln!(
        "quiz {}/{} answered wrong, right, revealed, by keyboard, in print",
        quiz.chapter, question.id
    );
    Ok(())
}

/// Every possible-outcomes panel (`{{#outcomes LISTING}}`) is on its page, visible, with a
/// row per outcome under its caption, readable in the light and a dark theme (its cells'
/// text in another colour than what is behind them, and the two themes apart), and on the
/// print page. Vacuous while no chapter shows a panel (it says so).
fn outcome_panels_shown(
    browser: &mut Browser,
    project: &Project,
) -> Result<()> {
    use machinery::directive::{Kind, find};
    let panels: Vec<(String, String)> =
        machinery::book::LoadedBook::load(project)?
            .sources()
            .into_iter()
            .flat_map(|(path, source)| {
                let page = path.with_extension("html").display().to_string();
                find(&source)
                    .into_iter()
                    .filter(|d| !d.escaped)
                    .filter_map(move |d| match d.kind {
                        Kind::Outcomes { listing } => {
                            Some((page.clone(), listing))
                        }
                        _ => None,
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
    if panels.is_empty() {
        eprintln!("no chapter shows a panel of possible outcomes yet");
        return Ok(());
    }
    let look = r#"
        const figure = document.getElementById(arguments[0]);
        if (figure === null) return null;
        figure.scrollIntoView({ block: "center" });
        const cell = figure.querySelector("tr.outcome td");
        const behind = (e) => {
            for (; e; e = e.parentElement) {
                const c = getComputedStyle(e).backgroundColor;
                if (c !== "rgba(0, 0, 0, 0)" && c !== "transparent") return c;
            }
            return "";
        };
        return {
            shown: figure.getBoundingClientRect().height > 0,
            caption: (figure.querySelector("figcaption") || {}).innerText || "",
            rows: figure.querySelectorAll("tr.outcome").length,
            color: cell ? getComputedStyle(cell).color : "",
            background: cell ? behind(cell) : "",
        };"#;
    let session = &browser.session;
    for (page, listing) in &panels {
        let id = format!("outcomes-{listing}");
        let mut looks = Vec::new();
        for theme in ["light", "navy"] {
            let found = session.run(async {
                let client = session.client();
                session.open(page).await?;
                set_theme(client, theme).await?;
                let found =
                    client.execute(look, vec![Value::from(id.clone())]).await?;
                set_theme(client, "light").await?; // the choice persists
                Ok(found)
            })?;
            ensure!(
                found["shown"] == true
                    && found["caption"]
                        .as_str()
                        .unwrap_or("")
                        .starts_with("Possible outcomes of")
                    && found["rows"].as_u64().unwrap_or(0) > 0,
                "{page}#{id} ({theme}): the panel is missing, hidden, uncaptioned or empty: {found}"
            );
            ensure!(
                found["color"] != found["background"],
                "{page}#{id} ({theme}): the panel's text has the colour of its background: {found}"
            );
            looks.push(found);
        }
        ensure!(
            looks[0]["background"] != looks[1]["background"],
            "{page}#{id}: the panel keeps the background {} in the dark theme",
            looks[0]["background"]
        );
    }
    let text = browser
        .survey()?
        .get("print.html")
        .and_then(|found| found["text"].as_str())
        .unwrap_or("");
    ensure!(
        text.matches("Possible outcomes of").count() >= panels.len(),
        "print.html does not show every panel of possible outcomes"
    );
    eprintln!("{} panels of possible outcomes shown", panels.len());
    Ok(())
}

/// Prints the site to PDF (`cargo book pdf`'s way, with a browser of its own) in the
/// background, and reads the titles of the PDF's top-level outline entries (its bookmarks).
fn print_in_background(site: PathBuf) -> JoinHandle<Result<Vec<String>>> {
    std::thread::spawn(move || {
        let scratch = machinery::Scratch::new("book-pdf-test")?;
        let pdf = scratch.path().join("book.pdf");
        machinery::pdf::print_site(&site, &pdf)?;
        let toc = lopdf::Document::load(&pdf)
            .and_then(|document| document.get_toc())
            .with_context(|| {
                format!(
                    "cannot read the outline of the printed {}",
                    pdf.display()
                )
            })?;
        Ok(toc
            .toc
            .into_iter()
            .filter(|entry| entry.level == 1)
            .map(|entry| entry.title)
            .collect())
    })
}

/// The PDF has one top-level outline entry per chapter, titled as the chapter's heading, in
/// the book's order.
fn pdf_has_a_bookmark_per_chapter(
    browser: &mut Browser,
    project: &Project,
) -> Result<()> {
    let Some(printing) = browser.printing.take() else {
        bail!("the PDF was printed once, for an earlier run of this check");
    };
    let outline = printing
        .join()
        .map_err(|_| anyhow::anyhow!("printing the PDF panicked"))??;
    let chapters: Vec<String> = machinery::book::LoadedBook::load(project)?
        .chapters()?
        .iter()
        .filter_map(|chapter| {
            chapter.source.lines().find_map(|line| {
                line.strip_prefix("# ").map(|t| t.trim().to_owned())
            })
        })
        .collect();
    ensure!(
        outline == chapters,
        "the PDF's top-level outline should list the chapters, one entry each: a chapter \
         with no `# ` heading, or with two, breaks it\n  outline:  {outline:?}\n  \
         chapters: {chapters:?}"
    );
    Ok(())
}

/// `cargo book serve` on a copy of the book (its inputs only: the test never edits the tree
/// under test), started when the harness starts so that its first build overlaps the other
/// checks. Dropping it ends the server and removes the copy.
struct Served {
    copy: PathBuf,
    port: u16,
    server: std::process::Child,
    /// Removed when dropped, after the server is ended.
    _scratch: machinery::Scratch,
}

impl Served {
    fn start(project: &Project) -> Result<Served> {
        let scratch = machinery::Scratch::new("book-serve-test")?;
        let copy = scratch.path().to_path_buf();
        let copied = std::process::Command::new("cp")
            .arg("-a")
            .args(machinery::paths::BOOK_INPUTS)
            .arg(&copy)
            .current_dir(&project.root)
            .status()?;
        ensure!(
            copied.success(),
            "cannot copy the book to {}",
            copy.display()
        );
        let book =
            machinery::run::build_binaries(project, "machinery", false, true)?
                .remove("book")
                .ok_or_else(|| {
                    anyhow::anyhow!("cargo built no `book` binary")
                })?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let server = std::process::Command::new(book)
            .args(["serve", "--port", &port.to_string()])
            .current_dir(&copy)
            .env_remove("CARGO_MANIFEST_DIR") // find the copy, not this tree
            .stdout(std::process::Stdio::null())
            .process_group(0)
            .spawn()?;
        Ok(Served {
            copy,
            _scratch: scratch,
            port,
            server,
        })
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let group = nix::unistd::Pid::from_raw(self.server.id() as i32);
        let _ =
            nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = self.server.wait();
        // The copy goes with `_scratch`, once the server that reads it has ended.
    }
}

/// The page open in the browser shows an edit of its chapter without being reloaded by
/// anyone but the server (live reload).
fn serve_reloads_an_edited_chapter(
    browser: &mut Browser,
    project: &Project,
) -> Result<()> {
    // The book's last chapter, whatever its file is called.
    let chapter = machinery::book::LoadedBook::load(project)?
        .sources()
        .pop()
        .map(|(path, _)| path)
        .context("the book has no chapter")?;
    let served = match browser.served.take() {
        Some(Ok(served)) => served,
        Some(Err(e)) => bail!("cannot start cargo book serve: {e}"),
        None => {
            bail!("cargo book serve was used by an earlier run of this check")
        }
    };
    reloads(browser, &served.copy, served.port, &chapter)
}

/// Opens `chapter` (relative to `src/`) served on `port`, appends a paragraph to its source
/// in `copy`, and waits for the open page to show it.
fn reloads(
    browser: &Browser,
    copy: &std::path::Path,
    port: u16,
    chapter: &std::path::Path,
) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        ensure!(Instant::now() < deadline, "cargo book serve did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    let session = &browser.session;
    let marker = format!("Edited while served ({}).", std::process::id());
    let shows = format!("return document.body.innerText.includes({marker:?});");
    session.run(async {
        let client = session.client();
        let page = format!(
            "http://127.0.0.1:{port}/{}",
            chapter.with_extension("html").display()
        );
        client.goto(&page).await?;
        ensure!(
            client.execute(&shows, vec![]).await? == false,
            "the marker is on the page before the edit"
        );
        let source = copy.join(machinery::paths::CHAPTERS_DIR).join(chapter);
        let text = std::fs::read_to_string(&source)?;
        std::fs::write(&source, format!("{text}\n{marker}\n"))?;
        // No navigation from here on: only the server's reload can show the marker.
        let deadline = Instant::now() + Duration::from_secs(60);
        while client.execute(&shows, vec![]).await? != true {
            ensure!(
                Instant::now() < deadline,
                "the served page did not reload within 60 s of editing src/{}",
                chapter.display()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(())
    })
}

type Check = fn(&mut Browser, &Project) -> Result<()>;

const SERVE_CHECK: &str = "serve_reloads_the_page_when_a_chapter_changes";

fn main() {
    let project = book_tests::project_or_exit();
    let checks: Vec<(&str, Check)> = vec![
        ("pages_load_without_script_errors", |b, _| {
            no_script_errors(b)
        }),
        ("every_listing_shows_code_and_output", |b, _| {
            listings_visible(b)
        }),
        (
            "search_for_fork_lists_the_chapter_that_says_it_most",
            search_finds_fork,
        ),
        ("the_dark_theme_works", |b, _| dark_theme_works(b)),
        ("print_html_has_every_chapter", print_page_has_every_chapter),
        ("nothing_is_loaded_from_outside", |b, _| nothing_remote(b)),
        (
            "outputs_mark_what_varies_and_list_their_claims",
            variation_and_claims_shown,
        ),
        (
            "verdicts_of_the_prose_show_their_claims",
            verdicts_marked_and_shown,
        ),
        (
            "quizzes_answer_explain_and_reveal",
            quizzes_answer_explain_reveal,
        ),
        (
            "panels_of_possible_outcomes_show_in_light_and_dark",
            outcome_panels_shown,
        ),
        (SERVE_CHECK, serve_reloads_an_edited_chapter),
        // Last: the PDF prints while the checks above run.
        (
            "the_pdf_has_one_bookmark_per_chapter",
            pdf_has_a_bookmark_per_chapter,
        ),
    ];
    let missing = unavailable();
    // The live-reload check costs seconds (two builds of the book by the server), so it runs
    // under CI (`CI` set) or when asked for (`-- --include-ignored`), not in every local run.
    let arguments = libtest_mimic::Arguments::from_args();
    let serve_checked = std::env::var_os("CI").is_some()
        || arguments.include_ignored
        || arguments.ignored;
    if let Some(reason) = &missing
        && std::env::var_os("CI").is_none()
    {
        eprintln!("\n*** BROWSER TESTS SKIPPED: {reason} ***\n");
    }
    // Shared by every trial: a failure to start is kept as its message.
    let browser: Option<Result<Shared, String>> = match &missing {
        Some(_) => None,
        None => Some(
            Session::start(&project)
                .map(|session| {
                    let printing = print_in_background(session.site.clone());
                    let served = serve_checked.then(|| {
                        Served::start(&project).map_err(|e| format!("{e:#}"))
                    });
                    Arc::new(Mutex::new(Browser {
                        session,
                        survey: None,
                        printing: Some(printing),
                        served,
                    }))
                })
                .map_err(|e| format!("{e:#}")),
        ),
    };
    let trials = checks
        .into_iter()
        .map(|(name, check)| {
            let (project, browser, missing) =
                (project.clone(), browser.clone(), missing.clone());
            let under_ci = std::env::var_os("CI").is_some();
            let skip = (missing.is_some() && !under_ci)
                || (name == SERVE_CHECK && !serve_checked);
            trial(name, move || match (browser, missing) {
                (Some(Ok(browser)), _) => {
                    let mut browser = browser.lock().map_err(|_| {
                        anyhow::anyhow!("an earlier check panicked")
                    })?;
                    check(&mut browser, &project)
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
    drop(browser); // ends chromedriver and the browser before exiting
    conclusion.exit()
}
