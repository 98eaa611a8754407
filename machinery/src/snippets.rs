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
    pub blocks: Vec<SkepticBlock>,
}

/// A block skeptic makes a test of, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkepticBlock {
    /// Its opening fence's line in the expanded chapter (which skeptic's test names).
    pub expanded_line: usize,
    /// Its line in the source chapter: the fence, or the `{{#listing}}` that lays it out.
    pub source_line: usize,
    pub info: String,
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
            blocks: skeptic_blocks(&chapter)?,
            chapter: chapter.path,
        });
    }
    Ok(docs)
}

/// The blocks of the expanded chapter that skeptic tests, each paired with its origin in the
/// source: a fence written in the chapter, or a `{{#listing}}` directive (which lays out
/// exactly one).
pub fn skeptic_blocks(chapter: &Chapter) -> Result<Vec<SkepticBlock>> {
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
        .map(|(block, origin)| SkepticBlock {
            expanded_line: block.line,
            source_line: origin,
            info: block.info,
        })
        .collect())
}

/// What a mismatch with skeptic's generated code means, and what to do.
const UNDERSTOOD: &str = "machinery/src/snippets.rs (relabel_tests, wrap_bodies) reads the \
     code skeptic 0.14.2 generates (its unit tests hold a recorded sample), and skeptic is \
     pinned to =0.14.2 in machinery/Cargo.toml and tests/Cargo.toml: if skeptic was \
     upgraded, record its output anew and adapt the two functions";

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
            Some((doc, block)) if block.expanded_line == skeptic_line => {
                let test = format!("{}_line_{}", &caps[1], block.source_line);
                tests.push(SnippetTest {
                    test: test.clone(),
                    chapter: doc.chapter.clone(),
                    line: block.source_line,
                    info: block.info.clone(),
                });
                format!("#[test] fn {test}()")
            }
            other => {
                failure.get_or_insert(format!(
                    "skeptic's test {} does not match the next block found ({}): {UNDERSTOOD}",
                    &caps[0],
                    other.map_or("none".to_owned(), |(doc, block)| format!(
                        "{}/{}, line {} of the expanded chapter",
                        crate::paths::CHAPTERS_DIR,
                        doc.chapter.display(),
                        block.expanded_line
                    ))
                ));
                caps[0].to_owned()
            }
        }
    });
    if let Some(failure) = failure {
        bail!("{failure}");
    }
    if let Some((doc, block)) = expected.next() {
        bail!(
            "skeptic generated no test for the block of {}/{}:{} (nor for any after it): \
             {UNDERSTOOD}",
            crate::paths::CHAPTERS_DIR,
            doc.chapter.display(),
            block.source_line
        );
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
        bail!(
            "skeptic's tests do not each make one call to skeptic::rt: {UNDERSTOOD}"
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What skeptic 0.14.2 generates for two blocks (see `testdata/README.md`).
    const GENERATED: &str =
        include_str!("../testdata/skeptic-0.14.2-tests.rs.txt");

    fn doc(blocks: &[(usize, usize)]) -> SkepticDoc {
        SkepticDoc {
            file: PathBuf::from("/OUT/chapters/ch01-processes.md"),
            chapter: PathBuf::from("ch01-processes.md"),
            blocks: blocks
                .iter()
                .map(|&(expanded_line, source_line)| SkepticBlock {
                    expanded_line,
                    source_line,
                    info: "rust".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn tests_are_named_after_the_source_line_and_run_through_the_snippet_runner()
     {
        let (code, tests) =
            relabel_tests(GENERATED, &[doc(&[(27, 3), (118, 9)])]).unwrap();
        let names: Vec<&str> = tests.iter().map(|t| t.test.as_str()).collect();
        assert_eq!(
            names,
            [
                "ch01_processes_sect_who_am_i_pids_and_line_3",
                "ch01_processes_sect_creating_a_process_with_line_9"
            ]
        );
        assert_eq!(tests[1].line, 9);
        let expected = GENERATED
            .replace("and_line_27()", "and_line_3()")
            .replace("with_line_118()", "with_line_9()")
            .replacen(
                "    skeptic::rt::run_test(",
                "    book_tests::snippet::run(\"src/ch01-processes.md:3\", || skeptic::rt::run_test(",
                1,
            )
            .replacen(
                "    skeptic::rt::run_test(",
                "    book_tests::snippet::run(\"src/ch01-processes.md:9\", || skeptic::rt::run_test(",
                1,
            )
            .replace(", s);", ", s));");
        assert_eq!(code, expected);
        // The `#[ignore]` skeptic writes for a measurement stays on its test.
        assert!(code.contains("#[ignore]\n#[test] fn ch01_processes_sect_creating_a_process_with_line_9()"));
    }

    #[test]
    fn a_mismatch_with_skeptics_output_names_the_block_and_what_to_do() {
        let wrong_line =
            relabel_tests(GENERATED, &[doc(&[(27, 3), (120, 9)])]).unwrap_err();
        let message = format!("{wrong_line:#}");
        assert!(
            message.contains("src/ch01-processes.md, line 120"),
            "{message}"
        );
        assert!(message.contains("=0.14.2"), "{message}");
        let one_more =
            relabel_tests(GENERATED, &[doc(&[(27, 3), (118, 9), (200, 20)])])
                .unwrap_err();
        let message = format!("{one_more:#}");
        assert!(
            message
                .contains("no test for the block of src/ch01-processes.md:20"),
            "{message}"
        );
    }

    #[test]
    fn each_call_to_skeptic_is_wrapped_once() {
        let test = |line| SnippetTest {
            test: format!("t_line_{line}"),
            chapter: PathBuf::from("ch02-threads.md"),
            line,
            info: "rust".into(),
        };
        let calls = "    skeptic::rt::run_test(r#\"a\"#, s);\n    skeptic::rt::compile_test(r#\"b\"#, s);\n";
        assert_eq!(
            wrap_bodies(calls, &[test(4), test(8)]).unwrap(),
            "    book_tests::snippet::run(\"src/ch02-threads.md:4\", || skeptic::rt::run_test(r#\"a\"#, s));\n    \
             book_tests::snippet::run(\"src/ch02-threads.md:8\", || skeptic::rt::compile_test(r#\"b\"#, s));\n"
        );
        assert!(wrap_bodies(calls, &[test(4)]).is_err());
        assert!(wrap_bodies(calls, &[test(4), test(8), test(9)]).is_err());
    }
}
