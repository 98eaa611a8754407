//! The book-wide checks, shared by `tests/book.rs` (on the real book) and
//! `tests/failures.rs` (on broken fixtures). Each returns the failure message.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};

use machinery::book::LoadedBook;
use machinery::listing::Listing;
use machinery::paths::{
    CHAPTERS_DIR, FIGURES_SRC_DIR, IMAGES_DIR, README_MD, REFERENCES_MD,
    svg_file,
};
use machinery::snippets::{
    SnippetTest, fenced_blocks, is_rust_to_reader, is_rust_to_skeptic,
    skeptic_blocks,
};
use machinery::{Problems, Project, Scratch};

/// The book built into a temporary folder, shared by the checks that read the HTML; the
/// folder is removed when this is dropped.
pub struct Site {
    pub dir: PathBuf,
    /// Where each listing is shown.
    uses: BTreeMap<String, Vec<machinery::book::ListingUse>>,
    _scratch: Scratch,
}

impl Site {
    pub fn build(project: &Project) -> Result<Site> {
        let scratch = Scratch::new("book-test")?;
        let mut book = LoadedBook::load(project)?;
        let dir = book.build_html(Some(&scratch.path().join("site")))?;
        Ok(Site {
            dir,
            uses: book.listing_uses(),
            _scratch: scratch,
        })
    }
}

/// Every listing's caption and output are in the built HTML.
pub fn shows_every_listing(site: &Site) -> Result<()> {
    let mut html = String::new();
    for entry in std::fs::read_dir(&site.dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "html")
            && !path.ends_with("print.html")
        {
            html += &std::fs::read_to_string(&path)?;
        }
    }
    for (name, uses) in &site.uses {
        let id = format!("id=\"listing-{name}\"");
        if !html.contains(&id) {
            bail!(
                "listing {name} (src/{}:{}) is not in the built HTML",
                uses[0].chapter.display(),
                uses[0].line
            );
        }
    }
    Ok(())
}

/// Each listing is shown by exactly one `{{#listing}}` of a chapter, and each litmus listing
/// (one with `[outcomes]`) has its panel shown by exactly one `{{#outcomes}}`.
pub fn listings_shown_once(project: &Project) -> Result<()> {
    use machinery::directive::{Kind, find};
    let book = LoadedBook::load(project)?;
    book.chapters()?;
    let uses = book.listing_uses();
    let mut panels: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (chapter, source) in book.sources() {
        for found in find(&source).into_iter().filter(|d| !d.escaped) {
            if let Kind::Outcomes { listing } = found.kind {
                panels.entry(listing).or_default().push(format!(
                    "src/{}:{}",
                    chapter.display(),
                    found.line
                ));
            }
        }
    }
    let mut problems = Problems::new();
    for listing in Listing::all(project)? {
        let shown = panels.get(&listing.name).map_or(&[][..], Vec::as_slice);
        match (&listing.spec.outcomes, shown) {
            (None, _) | (Some(_), [_]) => {}
            (Some(_), []) => problems.push(format!(
                "{} has [outcomes], but its panel of possible outcomes is shown in no \
                 chapter: add `{{{{#outcomes {}}}}}` after its listing",
                listing.sidecar().display(),
                listing.name
            )),
            (Some(_), many) => problems.push(format!(
                "the panel of possible outcomes of {} is shown {} times ({}); show it once",
                listing.name,
                many.len(),
                many.join(", ")
            )),
        }
        match uses.get(&listing.name).map(Vec::as_slice) {
            None | Some([]) => problems.push(format!(
                "{} is shown in no chapter: add `{{{{#listing {}}}}}` where it belongs, or \
                 delete it",
                listing.source.display(),
                listing.name
            )),
            Some([_]) => {}
            Some(many) => problems.push(format!(
                "{} is shown {} times ({}); show it once and refer to it by its number",
                listing.name,
                many.len(),
                many.iter()
                    .map(|u| format!("src/{}:{}", u.chapter.display(), u.line))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    problems.into_result()
}

/// Every block the reader sees as Rust reached a skeptic test.
pub fn rust_blocks_tested(project: &Project) -> Result<()> {
    rust_blocks_tested_by(project, concat!(env!("OUT_DIR"), "/snippets.json"))
}

/// As [`rust_blocks_tested`], with the list of generated tests read from `manifest`: each
/// chapter's skeptic tests are exactly its blocks, line for line (a block missing and
/// another tested twice do not make up for each other).
pub fn rust_blocks_tested_by(project: &Project, manifest: &str) -> Result<()> {
    let manifest = std::fs::read_to_string(manifest)
        .context("the build script wrote no snippets.json")?;
    let tests: Vec<SnippetTest> = serde_json::from_str(&manifest)?;
    let mut tested: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for test in &tests {
        tested
            .entry(test.chapter.clone())
            .or_default()
            .push(test.line);
    }
    let mut problems = Problems::new();
    for chapter in LoadedBook::load(project)?.chapters()? {
        let at = |line: usize| format!("src/{}:{line}", chapter.path.display());
        for block in fenced_blocks(&chapter.source, is_rust_to_reader) {
            if !is_rust_to_skeptic(&block.info) {
                problems.push(format!(
                    "{}: ```{} is shown as Rust but skeptic does not test it; write ```rust",
                    at(block.line),
                    block.info
                ));
            } else if block.info.contains("compile_fail") {
                problems.push(format!(
                    "{}: skeptic ignores compile_fail and expects this block to compile; \
                     make it a listing in listings/compile-fail/",
                    at(block.line)
                ));
            }
        }
        let shown: Vec<usize> = skeptic_blocks(&chapter)?
            .iter()
            .map(|block| block.source_line)
            .collect();
        let mut generated = tested.remove(&chapter.path).unwrap_or_default();
        generated.sort_unstable();
        if shown != generated {
            let lines = |lines: Vec<usize>| {
                lines
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            problems.push(format!(
                "src/{}: the Rust blocks shown start on lines [{}], but skeptic's tests \
                 were generated for lines [{}]; rebuild (`cargo test`) or fix the blocks \
                 above",
                chapter.path.display(),
                lines(shown),
                lines(generated),
            ));
        }
    }
    for (chapter, lines) in tested {
        problems.push(format!(
            "src/{}: {} skeptic tests were generated for a chapter the book no longer has; \
             rebuild (`cargo test`)",
            chapter.display(),
            lines.len()
        ));
    }
    problems.into_result()
}

/// Every generated figure in `src/img/` is what its binary draws from today's stored outputs.
pub fn figures_fresh(project: &Project) -> Result<()> {
    let scratch = Scratch::new("figures-test")?;
    let names = machinery::figures::draw_all(
        project,
        Some(scratch.path()),
        None,
        true,
    )?;
    figures_match(project, scratch.path(), &names)
}

/// Each figure of `names` drawn into `drawn` is the one committed in `src/img/`.
pub fn figures_match(
    project: &Project,
    drawn: &std::path::Path,
    names: &[String],
) -> Result<()> {
    let mut stale = Problems::new();
    for name in names {
        let svg = svg_file(name);
        let fresh = std::fs::read(drawn.join(&svg));
        let committed = std::fs::read(project.root.join(IMAGES_DIR).join(&svg));
        match (fresh, committed) {
            (Ok(d), Ok(c)) if d == c => {}
            (Err(_), _) => stale.push(format!(
                "{FIGURES_SRC_DIR}/{name}.rs drew no {svg} (it must write \
                 figures::svg_path(\"{name}\"))"
            )),
            _ => stale.push(format!(
                "{IMAGES_DIR}/{svg} is not what {FIGURES_SRC_DIR}/{name}.rs draws from \
                 the stored outputs; redraw it with `cargo book figures`"
            )),
        }
    }
    stale.into_result()
}

/// Every internal link and `#anchor` of the built book resolves; external links are listed on
/// stderr, not fetched (the machine has no network, and the book must not depend on one).
pub fn links_resolve(project: &Project) -> Result<()> {
    check_links(&Site::build(project)?.dir)
}

/// The link check on a built site.
pub fn check_links(site: &std::path::Path) -> Result<()> {
    let attribute =
        regex::Regex::new(r#"(?:href|src)="([^"]*)""#).expect("valid regex");
    let id = regex::Regex::new(r#"\bid="([^"]*)""#).expect("valid regex");
    let mut pages = BTreeMap::new();
    let mut ids = BTreeMap::new();
    for entry in std::fs::read_dir(site)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "html") {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let html = std::fs::read_to_string(&path)?;
            let found: std::collections::HashSet<String> =
                id.captures_iter(&html).map(|c| c[1].to_owned()).collect();
            ids.insert(name.clone(), found);
            pages.insert(name, html);
        }
    }
    let (mut broken, mut external) =
        (Problems::new(), std::collections::BTreeSet::new());
    for (page, html) in &pages {
        for link in attribute.captures_iter(html).map(|c| c[1].to_owned()) {
            if link.starts_with("http://") || link.starts_with("https://") {
                external.insert(link);
                continue;
            }
            if link.starts_with("mailto:")
                || link.starts_with("javascript:")
                || link.is_empty()
            {
                continue;
            }
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() { page.as_str() } else { file };
            if !site.join(target).exists() {
                broken
                    .push(format!("{page}: link to {link}: no file {target}"));
            } else if !anchor.is_empty()
                && !ids.get(target).is_some_and(|ids| ids.contains(anchor))
            {
                broken.push(format!(
                    "{page}: link to {link}: {target} has no id {anchor:?}"
                ));
            }
        }
    }
    eprintln!("{} external links, listed and not fetched:", external.len());
    for link in &external {
        eprintln!("  {link}");
    }
    broken.into_result_with(|broken| {
        format!(
            "broken links in the built book (fix the link in the chapter's source):\n{broken}"
        )
    })
}

/// Every entry of the References chapter is cited from some chapter (the link check makes
/// sure every citation resolves).
pub fn references_cited(project: &Project) -> Result<()> {
    let references_md = project.root.join(REFERENCES_MD);
    let references = std::fs::read_to_string(&references_md)?;
    let mut text = String::new();
    for entry in std::fs::read_dir(project.root.join(CHAPTERS_DIR))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "md") && path != references_md
        {
            text += &std::fs::read_to_string(&path)?;
        }
    }
    let id = regex::Regex::new(r#"<a id="([^"]+)"></a>"#).expect("valid regex");
    let uncited: Vec<String> = id
        .captures_iter(&references)
        .map(|c| c[1].to_owned())
        .filter(|id| !text.contains(&format!("references.md#{id})")))
        .collect();
    if uncited.is_empty() {
        Ok(())
    } else {
        Err(anyhow!(
            "{REFERENCES_MD}: entries cited by no chapter: {}; cite them as \
             [text](references.md#ID) or remove them",
            uncited.join(", ")
        ))
    }
}

/// ARCHITECTURE.md is true to the tree, as far as a test can tell: it names every top-level
/// folder (as `` `NAME/` ``) and every test harness (`tests/NAME.rs`), and its code map of
/// the machinery has one entry per module, `` - `PATH.rs`: TEXT ``, whose text begins with the
/// first sentence of that module's doc comment (`//!`), and no entry for a module that does
/// not exist. So the map changes with what a module says it is.
pub fn architecture_is_mapped(project: &Project) -> Result<()> {
    use machinery::paths::{ARCHITECTURE_MD, MACHINERY_SRC_DIR};
    let map = std::fs::read_to_string(project.root.join(ARCHITECTURE_MD))
        .with_context(|| format!("cannot read {ARCHITECTURE_MD}"))?;
    // Made by tools, not part of the source: never in the map.
    let generated = [".git", "target", "book", "screenshots"];
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&project.root)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if path.is_dir()
            && !generated.contains(&name.as_ref())
            && !map.contains(&format!("`{name}/`"))
        {
            problems.push(format!("it does not mention the folder `{name}/`"));
        }
    }
    // Each `[[test]]` of tests/Cargo.toml: a harness, whose line says what it checks.
    let manifest =
        std::fs::read_to_string(project.root.join("tests/Cargo.toml"))
            .unwrap_or_default();
    for harness in manifest.split("[[test]]").skip(1) {
        let path = harness
            .lines()
            .find_map(|line| line.strip_prefix("path = "))
            .map(|path| path.trim_matches('"'));
        if let Some(path) = path
            && !map.contains(&format!("tests/{path}"))
        {
            problems.push(format!(
                "it does not say what the test harness tests/{path} checks"
            ));
        }
    }
    let entries = code_map_entries(&map, "### `machinery/`");
    let src = project.root.join(MACHINERY_SRC_DIR);
    let mut modules = Vec::new();
    rust_files(&src, std::path::Path::new(""), &mut modules)?;
    for module in &modules {
        let shown = module.display().to_string();
        let text = std::fs::read_to_string(src.join(module))?;
        let summary = doc_summary(&text);
        match entries.get(&shown) {
            None => problems.push(format!(
                "its code map has no entry `- `{shown}`: ...` for {MACHINERY_SRC_DIR}/{shown}"
            )),
            Some(_) if summary.is_empty() => problems.push(format!(
                "{MACHINERY_SRC_DIR}/{shown} has no doc comment (`//! What it is.`) for \
                 the map to begin with"
            )),
            Some(entry) if !entry.starts_with(&summary) => problems.push(format!(
                "the entry of `{shown}` does not begin with the first sentence of the \
                 module's doc comment:\n    doc: {summary}\n    map: {entry}"
            )),
            Some(_) => {}
        }
    }
    for entry in entries.keys() {
        if !modules.iter().any(|m| m.display().to_string() == *entry) {
            problems.push(format!(
                "its code map has an entry for `{entry}`, which is not in {MACHINERY_SRC_DIR}"
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    problems.sort();
    bail!(
        "{ARCHITECTURE_MD} has drifted from the tree:\n  {}\nMake the map say what the \
         code is: an entry per module, beginning with the first sentence of its `//!` \
         comment (change both when a module changes its job)",
        problems.join("\n  ")
    )
}

/// The entries `` - `PATH.rs`: TEXT `` of the section of `map` under `heading`, by path,
/// each text with its continuation lines joined and its white space folded.
fn code_map_entries(map: &str, heading: &str) -> BTreeMap<String, String> {
    let entry =
        regex::Regex::new(r"^\s*- `([\w/]+\.rs)`(?: \([^)]*\))?: (.*)$")
            .expect("valid regex");
    let mut entries = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    let section = map
        .split_once(heading)
        .map_or("", |(_, rest)| rest.split("\n### ").next().unwrap_or(""));
    for line in section.lines() {
        let starts_another = line.trim_start().starts_with("- ")
            || line.trim().is_empty()
            || line.starts_with('#');
        if let Some(caps) = entry.captures(line) {
            entries.extend(current.take());
            current = Some((caps[1].to_owned(), caps[2].to_owned()));
        } else if starts_another {
            entries.extend(current.take());
        } else if let Some((_, text)) = &mut current {
            text.push(' ');
            text.push_str(line.trim());
        }
    }
    entries.extend(current);
    entries
        .into_iter()
        .map(|(path, text)| (path, fold_spaces(&text)))
        .collect()
}

/// The first sentence of a module's doc comment (`//!`), its white space folded and its
/// intra-doc links as plain code: up to the first full stop that ends a sentence (outside
/// backticks, before a space or the end).
fn doc_summary(source: &str) -> String {
    let paragraph: Vec<&str> = source
        .lines()
        .map_while(|line| line.strip_prefix("//!"))
        .map(str::trim)
        .take_while(|line| !line.is_empty())
        .collect();
    // An intra-doc link, [`Name`], reads as `Name` in the map.
    let link = regex::Regex::new(r"\[(`[^`]+`)\]").expect("valid regex");
    let text = link
        .replace_all(&fold_spaces(&paragraph.join(" ")), "$1")
        .into_owned();
    let mut in_code = false;
    for (i, c) in text.char_indices() {
        match c {
            '`' => in_code = !in_code,
            '.' if !in_code
                && text[i + 1..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace) =>
            {
                return text[..=i].to_owned();
            }
            _ => {}
        }
    }
    text
}

fn fold_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `.rs` files under `dir`, as paths relative to it (`book.rs`, `compare/html.rs`).
fn rust_files(
    dir: &std::path::Path,
    relative: &std::path::Path,
    found: &mut Vec<PathBuf>,
) -> Result<()> {
    for entry in std::fs::read_dir(dir.join(relative)).with_context(|| {
        format!("cannot read {}", dir.join(relative).display())
    })? {
        let entry = entry?;
        let path = relative.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            rust_files(dir, &path, found)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found.sort();
    Ok(())
}

/// The widths the page and the PDF show without clipping: the code column (`rustfmt.toml`)
/// and the output panel (see CONTRIBUTING.md, Outputs).
pub const CODE_COLUMNS: usize = 80;
pub const OUTPUT_COLUMNS: usize = 120;

/// Every line the reader sees fits its column: listings' code and the Rust blocks of the
/// chapters in [`CODE_COLUMNS`] (hidden `# ` lines aside), stored outputs in
/// [`OUTPUT_COLUMNS`].
pub fn lines_fit_their_columns(project: &Project) -> Result<()> {
    let mut problems = Problems::new();
    let mut check = |file: &str, line: usize, text: &str, limit: usize| {
        // A tab advances to the next multiple of 8, as a terminal and a <pre> show it.
        let width = text.chars().fold(0, |col, c| {
            if c == '\t' { col / 8 * 8 + 8 } else { col + 1 }
        });
        if width > limit {
            problems.push(format!(
                "  {file}:{line}: {width} columns, over {limit}"
            ));
        }
    };
    for listing in Listing::all(project)? {
        for (path, limit) in [
            (listing.source.clone(), CODE_COLUMNS),
            (listing.output_path(), OUTPUT_COLUMNS),
        ] {
            let text = std::fs::read_to_string(project.root.join(&path))
                .with_context(|| format!("cannot read {}", path.display()))?;
            for (n, line) in text.lines().enumerate() {
                check(&path.display().to_string(), n + 1, line, limit);
            }
        }
    }
    for chapter in LoadedBook::load(project)?.chapters()? {
        let file = format!("src/{}", chapter.path.display());
        let mut in_rust = None;
        for (n, line) in chapter.source.lines().enumerate() {
            let trimmed = line.trim_start();
            let fence = trimmed
                .strip_prefix("```")
                .or_else(|| trimmed.strip_prefix("~~~"));
            // mdBook hides `# ` and a lone `#` in Rust blocks; `#[derive]` is shown.
            let hidden = trimmed == "#" || trimmed.starts_with("# ");
            match (fence, in_rust) {
                (Some(info), None) => {
                    in_rust = Some(is_rust_to_reader(info.trim()))
                }
                (Some(_), Some(_)) => in_rust = None,
                (None, Some(true)) if !hidden => {
                    check(&file, n + 1, line, CODE_COLUMNS);
                }
                _ => {}
            }
        }
    }
    problems.into_result_with(|lines| {
        format!(
            "lines wider than the page shows (the PDF clips them):\n{lines}\nWrap code and \
             comments by hand (rustfmt does not wrap them); shorten what a listing prints, \
             then refresh its output with `cargo book refresh NAME`"
        )
    })
}

/// The README's tally is what `cargo book tally` prints: the count of checked verdicts is
/// on record, and a change to it shows in the README's diff.
pub fn readme_tally_current(project: &Project) -> Result<()> {
    use machinery::verdict::{
        README_END, README_START, readme_table, verdicts_in_table,
    };
    let path = project.root.join(README_MD);
    let readme = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let Some(recorded) = readme_table(&readme) else {
        bail!(
            "README.md has no tally: add the lines `{README_START}` and `{README_END}`, \
             then run `cargo book tally --readme`"
        );
    };
    let table = LoadedBook::load(project)?.tally(project)?.table();
    if recorded == table {
        return Ok(());
    }
    let lost = match (verdicts_in_table(recorded), verdicts_in_table(&table)) {
        (Some(was), Some(now)) if now < was => format!(
            "the count of checked verdicts went down from {was} to {now}: a verdict lost \
             its mark (restore it, or mark what replaced it); "
        ),
        _ => String::new(),
    };
    bail!(
        "README.md: the tally is not what `cargo book tally` prints; {lost}refresh it with \
         `cargo book tally --readme` and commit it\n--- README.md\n{recorded}--- cargo book \
         tally\n{table}"
    )
}

/// A machine's folder (`machines/NAME/`, relative to the root) has a valid name
/// (`export::valid_name`) and a README.md that says what the machine is.
pub fn machine_folder_well_formed(
    project: &Project,
    folder: &std::path::Path,
) -> Result<()> {
    let name = folder
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    anyhow::ensure!(
        machinery::export::valid_name(&name),
        "{}: a machine's folder is named in lower-case letters, digits and dashes \
         (e.g. intel-xeon-2vcpu, or one-cpu for a shape); rename it",
        folder.display()
    );
    let readme = folder.join("README.md");
    let text =
        std::fs::read_to_string(project.root.join(&readme)).map_err(|_| {
            anyhow!(
                "{}: missing; say what the machine is (see machines/README.md)",
                readme.display()
            )
        })?;
    anyhow::ensure!(
        !text.contains(machinery::export::TO_COMPLETE),
        "{}: still says {}; say what the machine is (see machines/README.md)",
        readme.display(),
        machinery::export::TO_COMPLETE
    );
    let outputs = folder.join(machinery::paths::MACHINE_OUTPUTS);
    for listing in
        machinery::machines::read_reasons(&project.root.join(folder))?.keys()
    {
        anyhow::ensure!(
            project
                .root
                .join(&outputs)
                .join(format!("{listing}.txt"))
                .is_file(),
            "{}: [{listing}] names a listing with no output in {}; remove the section",
            folder.join(machinery::paths::MACHINE_WHY_NOT).display(),
            outputs.display()
        );
    }
    Ok(())
}

/// The listing an output of another machine (`machines/NAME[/shapes/SHAPE]/outputs/LISTING.txt`, relative
/// to the root) belongs to.
pub fn machine_output_listing(
    listings: &[Listing],
    output: &std::path::Path,
) -> Result<Listing> {
    let stem = output.file_stem().unwrap_or_default().to_string_lossy();
    listings
        .iter()
        .find(|l| l.name == stem)
        .cloned()
        .ok_or_else(|| {
            anyhow!(
                "{}: no listing is named {stem}; delete the file (and say so in that \
                 machine's README.md), or rename it with the listing (`cargo book rename` \
                 does)",
                output.display()
            )
        })
}

/// Every listing binary has its `[[bin]]` entry with `test = false` in listings/Cargo.toml,
/// and every entry a file: a listing is not a test harness (the listings test runs it), and
/// `cargo test` would otherwise build and start one empty harness per listing.
pub fn listing_binaries_not_harnesses(project: &Project) -> Result<()> {
    let manifest =
        std::path::Path::new(machinery::paths::LISTINGS_DIR).join("Cargo.toml");
    let text = std::fs::read_to_string(project.root.join(&manifest))
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let parsed: toml::Value = toml::from_str(&text)
        .with_context(|| format!("{}: not TOML", manifest.display()))?;
    let declared: std::collections::BTreeSet<String> = parsed
        .get("bin")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter(|bin| {
            bin.get("test").and_then(toml::Value::as_bool) == Some(false)
        })
        .filter_map(|bin| Some(bin.get("name")?.as_str()?.to_owned()))
        .collect();
    let programs = project.root.join(machinery::paths::PROGRAMS_DIR);
    let mut files = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&programs)
        .with_context(|| format!("cannot read {}", programs.display()))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            files.insert(
                path.file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    let mut problems = Problems::new();
    for name in files.difference(&declared) {
        problems.push(format!(
            "{}: no `[[bin]] name = \"{name}\" test = false` for {}/{name}.rs; add it \
             (a listing is not a test harness)",
            manifest.display(),
            machinery::paths::PROGRAMS_DIR
        ));
    }
    for name in declared.difference(&files) {
        problems.push(format!(
            "{}: `[[bin]] name = \"{name}\"` has no {}/{name}.rs; remove the entry",
            manifest.display(),
            machinery::paths::PROGRAMS_DIR
        ));
    }
    problems.into_result()
}
