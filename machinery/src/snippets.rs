//! The book's Rust blocks and skeptic. skeptic reads raw markdown, so the build script gives
//! it the chapters as the reader sees them (listings laid out, includes expanded), then names
//! each generated test after the line of the *source* chapter the block comes from.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::Project;
use crate::book::{Chapter, LoadedBook};
use crate::directive;

/// A fenced code block that the reader sees as Rust.
#[derive(Debug, Clone)]
pub struct RustBlock {
    /// 1-based line of the opening fence.
    pub line: usize,
    pub info: String,
}

/// One skeptic test, and the block of the book it tests.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SnippetTest {
    pub test: String,
    /// Relative to `src/`.
    pub chapter: PathBuf,
    /// The line of the source chapter: the opening fence, or the `{{#listing}}` directive.
    pub line: usize,
    pub info: String,
}

/// A block is Rust to the reader when its language is `rust` (or `rs`), whatever follows.
pub fn is_rust_to_reader(info: &str) -> bool {
    let lang = info.split([',', ' ', '\t']).next().unwrap_or("");
    lang.eq_ignore_ascii_case("rust") || lang.eq_ignore_ascii_case("rs")
}

/// skeptic's own rule (skeptic 0.14 `parse_code_block_info`): a `rust` token, and no token it
/// does not know unless one it knows is there too.
pub fn is_rust_to_skeptic(info: &str) -> bool {
    let tokens: Vec<&str> = info
        .split(|c: char| !(c == '_' || c == '-' || c.is_alphanumeric()))
        .filter(|t| !t.is_empty())
        .collect();
    tokens.contains(&"rust")
}

/// Every fenced block of `markdown` whose info string satisfies `keep`.
pub fn fenced_blocks(
    markdown: &str,
    keep: impl Fn(&str) -> bool,
) -> Vec<RustBlock> {
    let mut blocks = Vec::new();
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        if let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = event
            && keep(&info)
        {
            blocks.push(RustBlock {
                line: markdown[..range.start].matches('\n').count() + 1,
                info: info.to_string(),
            });
        }
    }
    blocks
}

/// A chapter written out for skeptic, with where each of its skeptic blocks comes from.
pub struct SkepticDoc {
    pub file: PathBuf,
    pub chapter: PathBuf,
    /// (line in the expanded file, line in the source chapter, info string)
    pub blocks: Vec<(usize, usize, String)>,
}

/// Writes the expanded chapters under `dir` and returns them, in book order.
pub fn write_expanded_chapters(
    project: &Project,
    dir: &Path,
) -> Result<Vec<SkepticDoc>> {
    let book = LoadedBook::load(project)?;
    let mut docs = Vec::new();
    for chapter in book.chapters()? {
        let file = dir.join(&chapter.path);
        write_if_changed(&file, &chapter.expanded)?;
        docs.push(SkepticDoc {
            file,
            blocks: map_blocks(&chapter)?,
            chapter: chapter.path,
        });
    }
    Ok(docs)
}

/// Pairs the skeptic blocks of the expanded chapter with their origin in the source: a fence
/// written in the chapter, or a `{{#listing}}` directive (which lays out exactly one).
fn map_blocks(chapter: &Chapter) -> Result<Vec<(usize, usize, String)>> {
    let mut origins: Vec<usize> =
        fenced_blocks(&chapter.source, is_rust_to_skeptic)
            .into_iter()
            .map(|b| b.line)
            .collect();
    origins.extend(
        directive::find(&chapter.source)
            .into_iter()
            .filter(|d| {
                !d.escaped && matches!(d.kind, directive::Kind::Listing { .. })
            })
            .map(|d| d.line),
    );
    origins.sort_unstable();
    let expanded = fenced_blocks(&chapter.expanded, is_rust_to_skeptic);
    if expanded.len() != origins.len() {
        bail!(
            "src/{}: {} Rust blocks after expansion but {} in the source and its listings; \
             an included file must not bring Rust blocks of its own",
            chapter.path.display(),
            expanded.len(),
            origins.len()
        );
    }
    Ok(expanded
        .into_iter()
        .zip(origins)
        .map(|(block, origin)| (block.line, origin, block.info))
        .collect())
}

/// Renames skeptic's tests (`..._line_N`, N a line of the expanded file) after the source
/// line, and lists them.
pub fn relabel_tests(
    generated: &str,
    docs: &[SkepticDoc],
) -> Result<(String, Vec<SnippetTest>)> {
    let test_fn =
        Regex::new(r"#\[test\] fn (\w+)_line_(\d+)\(\)").expect("valid regex");
    let mut expected = docs
        .iter()
        .flat_map(|doc| doc.blocks.iter().map(move |block| (doc, block)));
    let mut tests = Vec::new();
    let mut failure = None;
    let renamed = test_fn.replace_all(generated, |caps: &regex::Captures| {
        let skeptic_line: usize = caps[2].parse().unwrap_or(0);
        match expected.next() {
            Some((doc, (line, source_line, info))) if *line == skeptic_line => {
                let test = format!("{}_line_{source_line}", &caps[1]);
                tests.push(SnippetTest {
                    test: test.clone(),
                    chapter: doc.chapter.clone(),
                    line: *source_line,
                    info: info.clone(),
                });
                format!("#[test] fn {test}()")
            }
            other => {
                failure.get_or_insert(format!(
                    "skeptic's test {} does not match the next block found ({:?})",
                    &caps[0],
                    other.map(|(doc, block)| (&doc.chapter, block.0))
                ));
                caps[0].to_owned()
            }
        }
    });
    if let Some(failure) = failure {
        bail!("{failure}");
    }
    if expected.next().is_some() {
        bail!("skeptic generated fewer tests than the book has Rust blocks");
    }
    let wrapped = wrap_bodies(&renamed, &tests)?;
    Ok((wrapped, tests))
}

/// Wraps skeptic's call in each generated test (`skeptic::rt::run_test(...)` or
/// `compile_test`) in `book_tests::snippet::run("src/CHAPTER.md:LINE", || ...)`, which
/// reports a failure like a compiler error and starts a snippet again when `exec` met
/// ETXTBSY (see `tests/snippet.rs`).
fn wrap_bodies(generated: &str, tests: &[SnippetTest]) -> Result<String> {
    let call = Regex::new(r"(?m)^(\s*)(skeptic::rt::\w+\(.*\));$")
        .expect("valid regex");
    let mut tests = tests.iter();
    let mut missing = false;
    let wrapped = call.replace_all(generated, |caps: &regex::Captures| {
        let Some(test) = tests.next() else {
            missing = true;
            return caps[0].to_owned();
        };
        let at = format!("src/{}:{}", test.chapter.display(), test.line);
        format!(
            "{}book_tests::snippet::run({at:?}, || {});",
            &caps[1], &caps[2]
        )
    });
    if missing || tests.next().is_some() {
        bail!("skeptic's tests do not each make one call to skeptic::rt");
    }
    Ok(wrapped.into_owned())
}

/// The build script's work: the chapters go to skeptic as the reader sees them; the tests it
/// generates are renamed after the source lines and written to `OUT_DIR/snippet-tests.rs`,
/// and listed in `OUT_DIR/snippets.json` for the coverage test. If the book cannot even be
/// expanded, the generated file is a single failing test that says why, so that `cargo test`
/// reports it like any other failure.
pub fn generate_tests(project: &Project, out_dir: &Path) -> Result<()> {
    let tests_file = out_dir.join("snippet-tests.rs");
    let manifest = out_dir.join("snippets.json");
    match expand_and_generate(project, out_dir) {
        Ok((code, tests)) => {
            write_if_changed(&tests_file, &code)?;
            write_if_changed(
                &manifest,
                &serde_json::to_string_pretty(&tests)?,
            )?;
        }
        Err(e) => {
            let message = format!("{e:#}");
            println!(
                "cargo:warning=the book's snippets cannot be tested: {message}"
            );
            let code = format!(
                "#[test]\nfn the_book_could_not_be_expanded_for_skeptic() {{\n    \
                 panic!(\"{{}}\", {message:?});\n}}\n"
            );
            write_if_changed(&tests_file, &code)?;
            write_if_changed(&manifest, "[]")?;
        }
    }
    Ok(())
}

fn expand_and_generate(
    project: &Project,
    out_dir: &Path,
) -> Result<(String, Vec<SnippetTest>)> {
    let docs = write_expanded_chapters(project, &out_dir.join("chapters"))?;
    if docs.iter().all(|doc| doc.blocks.is_empty()) {
        bail!(
            "no Rust block in any chapter of {}: the snippet tests would test \
             nothing",
            project.root.display()
        );
    }
    let files: Vec<&PathBuf> = docs.iter().map(|d| &d.file).collect();
    skeptic::generate_doc_tests(&files);
    let generated = std::fs::read_to_string(out_dir.join("skeptic-tests.rs"))
        .context("skeptic wrote no skeptic-tests.rs")?;
    relabel_tests(&generated, &docs)
}

/// Unchanged files keep their modification time, so cargo does not rebuild for nothing.
pub fn write_if_changed(path: &Path, contents: &str) -> Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents)
        .with_context(|| format!("cannot write {}", path.display()))
}
