//! The machinery fails clearly: each way the book can break is tried on a small fixture book
//! (a temporary folder with this book's `book.toml`, one chapter and one listing whose
//! "program" is a shell script), and the failure message must name the file at fault and say
//! what to do.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use book_tests::checks::{
    lines_fit_their_columns, listings_shown_once, readme_tally_current,
};
use machinery::Project;
use machinery::book::LoadedBook;
use machinery::listing::Listing;
use machinery::verify::{
    Builds, check_claims, check_claims_elsewhere, check_listing,
    check_other_machine, check_variation, check_verdicts,
};

const LISTING: &str = "ch01-01-hello";

/// A fixture book in a fresh temporary folder, removed when dropped.
struct Fixture {
    root: PathBuf,
}

impl Fixture {
    fn new(test: &str) -> Fixture {
        let root = std::env::temp_dir()
            .join(format!("fixture-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let fixture = Fixture { root };
        let real = Project::find().unwrap().root;
        fixture.write(
            "book.toml",
            &std::fs::read_to_string(real.join("book.toml")).unwrap(),
        );
        for file in ["theme/listings.css", "theme/head.hbs"] {
            fixture.write(
                file,
                &std::fs::read_to_string(real.join(file)).unwrap(),
            );
        }
        fixture.write("src/SUMMARY.md", "# Summary\n\n- [One](ch01-one.md)\n");
        fixture.write(
            "src/ch01-one.md",
            &format!("# One\n\n{{{{#listing {LISTING}}}}}\n"),
        );
        fixture.write(
            &format!("listings/src/bin/{LISTING}.rs"),
            "// ANCHOR: all\nfn main() {\n    println!(\"hello\");\n}\n// ANCHOR_END: all\n",
        );
        fixture.write(
            &format!("listings/src/bin/{LISTING}.toml"),
            "title = \"Hello\"\nno_claims = \"a greeting\"\n",
        );
        fixture.write(
            &format!("listings/output/{LISTING}.txt"),
            &format!("$ cargo run -p listings --bin {LISTING}\nhello\n"),
        );
        fixture.program("echo hello");
        fixture
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// What the listing's "program" does: a shell script standing in for the built binary.
    fn program(&self, script: &str) {
        let path = self.root.join("program.sh");
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }

    fn project(&self) -> Project {
        Project::at(&self.root)
    }

    /// The listings test's verdict on the fixture's listing.
    fn check_listing(&self) -> anyhow::Result<()> {
        let project = self.project();
        let listing = Listing::all(&project)
            .unwrap()
            .into_iter()
            .find(|l| l.name == LISTING)
            .unwrap();
        let exes =
            HashMap::from([(LISTING.to_owned(), self.root.join("program.sh"))]);
        check_listing(
            &project,
            &listing,
            &Builds::prebuilt(exes, HashMap::new()),
        )
    }

    /// The claims check's verdict on the fixture's listing.
    fn check_claims(&self) -> anyhow::Result<()> {
        let project = self.project();
        let listing = Listing::all(&project)?
            .into_iter()
            .find(|l| l.name == LISTING)
            .unwrap();
        check_claims(&project, &listing)
    }

    /// The fixture's listing, as the checks load it.
    fn listing(&self) -> Listing {
        Listing::all(&self.project())
            .unwrap()
            .into_iter()
            .find(|l| l.name == LISTING)
            .unwrap()
    }

    /// The book's verdict on the fixture's chapters.
    fn check_chapters(&self) -> anyhow::Result<()> {
        LoadedBook::load(&self.project())
            .and_then(|book| book.chapters())
            .map(drop)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[track_caller]
fn assert_failure(result: anyhow::Result<()>, expected: &[&str]) {
    // As the trial shows it (`book_tests::trial`): the error with its causes.
    let message = format!(
        "{:#}",
        result.expect_err("the check passed, but it must fail")
    );
    if std::env::var_os("SHOW_MESSAGES").is_some() {
        eprintln!("---\n{message}");
    }
    for part in expected {
        assert!(
            message.contains(part),
            "{part:?} is missing from the message:\n{message}"
        );
    }
}

#[test]
fn the_fixture_itself_passes() {
    let fixture = Fixture::new("sound");
    fixture.check_listing().unwrap();
    fixture.check_chapters().unwrap();
    fixture.check_claims().unwrap();
    listings_shown_once(&fixture.project()).unwrap();
}

/// A listing whose claims say "the count is above two".
fn fixture_with_a_claim(test: &str, count: u32) -> Fixture {
    let fixture = Fixture::new(test);
    fixture.write(
        &format!("listings/src/bin/{LISTING}.toml"),
        "title = \"Hello\"\n[values]\ncount = 'count (?<v>\\d+)'\n\
         [[claims]]\nid = \"above-two\"\nholds = \"count > 2\"\n\
         says = \"the count is above two\"\n",
    );
    fixture.write(
        &format!("listings/output/{LISTING}.txt"),
        &format!("$ cargo run -p listings --bin {LISTING}\ncount {count}\n"),
    );
    fixture
}

#[test]
fn a_claim_the_stored_output_contradicts_names_listing_claim_and_values() {
    fixture_with_a_claim("claim-holds", 3)
        .check_claims()
        .unwrap();
    assert_failure(
        fixture_with_a_claim("claim-fails", 1).check_claims(),
        &[
            "listings/output/ch01-01-hello.txt",
            "ch01-01-hello",
            "the count is above two",
            "count > 2",
            "count = 1",
            "fix the sentence in the chapter",
            "cargo book refresh ch01-01-hello",
        ],
    );
}

/// The fixture's chapter, with `prose` after the listing.
fn fixture_with_prose(test: &str, count: u32, prose: &str) -> Fixture {
    let fixture = fixture_with_a_claim(test, count);
    fixture.write(
        "src/ch01-one.md",
        &format!("# One\n\n{{{{#listing {LISTING}}}}}\n\n{prose}\n"),
    );
    fixture
}

#[test]
fn a_verdict_naming_an_unknown_claim_names_chapter_line_and_claim() {
    let marked = "The count {{#verdict ch01-01-hello/above-two}}is above two\
                  {{/verdict}}.";
    fixture_with_prose("verdict-sound", 3, marked)
        .check_chapters()
        .unwrap();
    assert_failure(
        fixture_with_prose(
            "verdict-unknown-claim",
            3,
            "The count\n{{#verdict ch01-01-hello/above-three}}is high{{/verdict}}.",
        )
        .check_chapters(),
        &[
            "src/ch01-one.md:6",
            "ch01-01-hello/above-three",
            "listings/src/bin/ch01-01-hello.toml has no claim with id \"above-three\"",
            "its claims: above-two",
        ],
    );
    assert_failure(
        fixture_with_prose(
            "verdict-unknown-listing",
            3,
            "It {{#verdict ch01-09-nope/above-two}}holds{{/verdict}}.",
        )
        .check_chapters(),
        &["src/ch01-one.md:5", "ch01-09-nope/above-two", "no listing"],
    );
}

#[test]
fn a_verdict_on_a_claim_the_stored_output_contradicts_names_chapter_line_and_claim()
 {
    let prose = "So\n{{#verdict ch01-01-hello/above-two}}the count is *high*{{/verdict}}.";
    check_verdicts(&fixture_with_prose("verdict-holds", 3, prose).project())
        .unwrap();
    assert_failure(
        check_verdicts(
            &fixture_with_prose("verdict-fails", 1, prose).project(),
        ),
        &[
            "src/ch01-one.md:6",
            "the count is *high*",
            "ch01-01-hello/above-two",
            "count > 2",
            "count = 1",
            "listings/output/ch01-01-hello.txt",
            "cargo book refresh ch01-01-hello",
        ],
    );
}

/// Not a failure: a verdict shows, in the page, the verdict of its claims on the book's run,
/// and with `serve --mine` on the reader's, in words as well as in a symbol.
#[test]
fn a_verdict_shows_its_claims_on_the_books_run_and_on_the_readers() {
    let prose = "So {{#verdict ch01-01-hello/above-two}}the count is *high*{{/verdict}}.";
    let fixture = fixture_with_prose("verdict-mine", 3, prose);
    let page = |mine: Option<&Path>, dest: &str| {
        let site = LoadedBook::load_with_mine(&fixture.project(), mine)
            .and_then(|mut book| {
                book.build_html(Some(&fixture.root.join(dest)))
            })
            .unwrap();
        std::fs::read_to_string(site.join("ch01-one.html")).unwrap()
    };
    let book = page(None, "site");
    for part in [
        "<span class=\"prose-verdict holds\" data-claims=\"ch01-01-hello/above-two\">\
         the count is <em>high</em>",
        "aria-describedby=\"verdict-ch01-one-1\">✓</button>",
        "role=\"tooltip\" id=\"verdict-ch01-one-1\"",
        "the count is above two",
        "count &gt; 2",
        "count = 3",
        "holds on the book",
    ] {
        assert!(book.contains(part), "{part:?} is not in the page:\n{book}");
    }
    let mine = fixture.root.join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    let yours = page(Some(&mine), "site-not-run");
    assert!(yours.contains("prose-verdict unjudged"), "{yours}");
    assert!(yours.contains("not run on your machine"), "{yours}");
    std::fs::write(
        mine.join(format!("{LISTING}.txt")),
        format!("$ cargo run -p listings --bin {LISTING}\ncount 1\n"),
    )
    .unwrap();
    let yours = page(Some(&mine), "site-mine");
    for part in [
        "<span class=\"prose-verdict fails\"",
        ">✗</button>",
        "count = 1",
        "does not hold on your run",
    ] {
        assert!(
            yours.contains(part),
            "{part:?} is not in the page:\n{yours}"
        );
    }
}

#[test]
fn a_stale_tally_in_the_readme_says_how_to_refresh_it() {
    let marked = "It {{#verdict ch01-01-hello/above-two}}holds{{/verdict}}.";
    let fixture = fixture_with_prose("tally", 3, marked);
    fixture.write("README.md", "# Book\n");
    assert_failure(
        readme_tally_current(&fixture.project()),
        &["README.md has no tally", "cargo book tally --readme"],
    );
    let (start, end) = (
        machinery::verdict::README_START,
        machinery::verdict::README_END,
    );
    let table = "| Chapter | Verdicts marked | Claims | Claims marked | Values |\n\
                 | --- | ---: | ---: | ---: | ---: |\n\
                 | `ch01-one.md` | 1 | 1 | 1 | 0 |\n\
                 | **Total** | 1 | 1 | 1 | 0 |\n";
    fixture.write("README.md", &format!("# Book\n\n{start}\n{table}{end}\n"));
    readme_tally_current(&fixture.project()).unwrap();
    fixture.write(
        "README.md",
        &format!(
            "# Book\n\n{start}\n{}{end}\n",
            table.replace(" 1 |", " 2 |")
        ),
    );
    assert_failure(
        readme_tally_current(&fixture.project()),
        &[
            "README.md: the tally is not what `cargo book tally` prints",
            "went down from 2 to 1",
            "cargo book tally --readme",
        ],
    );
}

#[test]
fn a_verdict_across_paragraphs_or_unclosed_names_chapter_and_line() {
    assert_failure(
        fixture_with_prose(
            "verdict-across",
            3,
            "It {{#verdict ch01-01-hello/above-two}}holds.\n\nStill{{/verdict}}.",
        )
        .check_chapters(),
        &["src/ch01-one.md:5", "spans paragraphs", "src/ch01-one.md:7"],
    );
    assert_failure(
        fixture_with_prose(
            "verdict-unclosed",
            3,
            "It {{#verdict ch01-01-hello/above-two}}holds.",
        )
        .check_chapters(),
        &["src/ch01-one.md:5", "never closed", "{{/verdict}}"],
    );
}

#[test]
fn a_claim_without_an_id_or_with_a_repeated_one_names_the_sidecar() {
    let fixture = fixture_with_a_claim("claim-ids", 3);
    let sidecar = format!("listings/src/bin/{LISTING}.toml");
    let claim =
        "[[claims]]\nid = \"above-two\"\nholds = \"count > 2\"\nsays = \"s\"\n";
    fixture.write(
        &sidecar,
        &format!(
            "title = \"Hello\"\n[values]\ncount = 'count (?<v>\\d+)'\n{claim}{claim}"
        ),
    );
    assert_failure(
        fixture.check_chapters(),
        &[&sidecar, "two claims have the id \"above-two\""],
    );
    fixture.write(
        &sidecar,
        "title = \"Hello\"\n[values]\ncount = 'count (?<v>\\d+)'\n\
         [[claims]]\nholds = \"count > 2\"\nsays = \"s\"\n",
    );
    assert_failure(fixture.check_chapters(), &[&sidecar, "missing field `id`"]);
}

#[test]
fn a_value_the_output_does_not_show_names_the_sidecar() {
    let fixture = fixture_with_a_claim("value-missing", 3);
    fixture.write(
        &format!("listings/output/{LISTING}.txt"),
        &format!("$ cargo run -p listings --bin {LISTING}\nno number\n"),
    );
    assert_failure(
        fixture.check_claims(),
        &[
            "listings/src/bin/ch01-01-hello.toml",
            "value count",
            "matches nothing",
        ],
    );
}

#[test]
fn a_listing_without_claims_is_told_to_state_them() {
    let fixture = Fixture::new("no-claims");
    fixture.write(
        &format!("listings/src/bin/{LISTING}.toml"),
        "title = \"Hello\"\n",
    );
    assert_failure(
        fixture.check_claims(),
        &[
            "listings/src/bin/ch01-01-hello.toml",
            "no [[claims]]",
            "no_claims",
        ],
    );
}

#[test]
fn a_stale_output_shows_the_diff_and_the_refresh_command() {
    let fixture = Fixture::new("stale");
    fixture.program("echo goodbye");
    assert_failure(
        fixture.check_listing(),
        &[
            "listings/output/ch01-01-hello.txt no longer matches",
            "goodbye",
            "cargo book refresh ch01-01-hello",
        ],
    );
}

#[test]
fn a_missing_output_names_the_file_and_how_to_make_it() {
    let fixture = Fixture::new("missing-output");
    std::fs::remove_file(
        fixture.root.join("listings/output/ch01-01-hello.txt"),
    )
    .unwrap();
    assert_failure(
        fixture.check_listing(),
        &[
            "listings/output/ch01-01-hello.txt: no stored output of ch01-01-hello",
            "cargo book refresh ch01-01-hello",
        ],
    );
    assert_failure(
        fixture.check_chapters(),
        &["src/ch01-one.md:3", "cargo book refresh ch01-01-hello"],
    );
}

#[test]
fn a_failing_listing_is_reported_with_what_it_printed() {
    let fixture = Fixture::new("exit-code");
    fixture.program("echo hello; echo oops >&2; exit 3");
    assert_failure(
        fixture.check_listing(),
        &["ch01-01-hello.rs", "expected exit code 0", "oops"],
    );
}

#[test]
fn a_hanging_listing_is_killed_with_its_children() {
    let fixture = Fixture::new("hang");
    fixture.write(
        &format!("listings/src/bin/{LISTING}.toml"),
        "title = \"Hello\"\ntimeout_secs = 1\n",
    );
    let pid_file = fixture.root.join("group");
    fixture.program(&format!(
        "echo $$ > {}; sleep 600 & sleep 600",
        pid_file.display()
    ));
    assert_failure(
        fixture.check_listing(),
        &["ch01-01-hello.rs", "did not finish within 1 s"],
    );
    let group: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // Dead but not yet reaped (state Z) counts as killed: this test process is no
    // subreaper, so the orphaned `sleep`s are reaped by whoever adopted them, in its time.
    // A process sent SIGKILL dies when it next runs, which on a loaded machine can take a
    // moment: it is given ten seconds, far more than that, and far less than its sleep.
    let alive = || -> Vec<String> {
        machinery::run::group_members(nix::unistd::Pid::from_raw(group))
            .into_iter()
            .filter(|member| !member.ends_with("state Z"))
            .collect()
    };
    let deadline =
        std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut left = alive();
    while !left.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        left = alive();
    }
    assert!(left.is_empty(), "still running after the timeout: {left:?}");
}

#[test]
fn a_listing_that_leaves_a_process_behind_fails() {
    let fixture = Fixture::new("leak");
    fixture.program("echo hello; sleep 600 &");
    assert_failure(
        fixture.check_listing(),
        // The leftover is named by its command: `sleep`, or the shell that is about to
        // become it, depending on timing.
        &["ch01-01-hello.rs", "left processes behind", "pid "],
    );
}

#[test]
fn an_include_of_a_missing_file_names_the_chapter_and_line() {
    let fixture = Fixture::new("include");
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\n{{#include nope.rs}}\n",
    );
    assert_failure(
        fixture.check_chapters(),
        &["src/ch01-one.md:5", "nope.rs", "does not exist"],
    );
}

#[test]
fn an_include_of_a_missing_anchor_names_the_chapter_and_line() {
    let fixture = Fixture::new("anchor");
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello:nope}}\n\n{{#include ../listings/src/bin/ch01-01-hello.rs:gone}}\n",
    );
    assert_failure(
        fixture.check_chapters(),
        &["src/ch01-one.md:3", "ANCHOR: nope"],
    );
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello:all}}\n\n{{#include ../listings/src/bin/ch01-01-hello.rs:gone}}\n",
    );
    assert_failure(
        fixture.check_chapters(),
        &["src/ch01-one.md:5", "ANCHOR: gone"],
    );
}

#[test]
fn a_listing_shown_nowhere_is_named() {
    let fixture = Fixture::new("unshown");
    fixture.write("src/ch01-one.md", "# One\n\nNo listing here.\n");
    assert_failure(
        listings_shown_once(&fixture.project()),
        &[
            "listings/src/bin/ch01-01-hello.rs is shown in no chapter",
            "{{#listing ch01-01-hello}}",
        ],
    );
}

#[test]
fn a_listing_in_the_wrong_chapter_or_unknown_is_named() {
    let fixture = Fixture::new("unknown");
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n{{#listing ch01-02-nope}}\n",
    );
    assert_failure(
        fixture.check_chapters(),
        &["src/ch01-one.md:4", "no listing named \"ch01-02-nope\""],
    );
}

#[test]
fn a_rust_block_skeptic_does_not_see_is_named() {
    let fixture = Fixture::new("rs-block");
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\n```rs\nfn main() {}\n```\n",
    );
    let manifest = fixture.root.join("snippets.json");
    std::fs::write(&manifest, "[]").unwrap();
    assert_failure(
        book_tests::checks::rust_blocks_tested_by(
            &fixture.project(),
            manifest.to_str().unwrap(),
        ),
        &["src/ch01-one.md:5", "skeptic does not test it"],
    );
}

/// Not a fixture check: the names skeptic's tests get lead back to the source line.
#[test]
fn snippet_test_names_lead_to_the_source_line() {
    let fixture = Fixture::new("names");
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\n```rust\nfn main() {}\n```\n",
    );
    let out = fixture.root.join("out");
    let docs =
        machinery::snippets::write_expanded_chapters(&fixture.project(), &out)
            .unwrap();
    // The listing's block comes from its directive (line 3), the other from its fence (line 5).
    let origins: Vec<usize> =
        docs[0].blocks.iter().map(|block| block.1).collect();
    assert_eq!(origins, [3, 5]);
    assert!(Path::new(&docs[0].file).exists());
}

#[test]
fn a_broken_internal_link_names_the_page_and_the_link() {
    let fixture = Fixture::new("link");
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\nSee [there](nope.md) and [here](#no-such-id).\n",
    );
    assert_failure(
        book_tests::checks::links_resolve(&fixture.project()),
        &[
            "ch01-one.html: link to nope.html",
            "ch01-one.html: link to #no-such-id",
        ],
    );
}

/// Not a failure: an output (or a title) that contains HTML is shown as text, never run.
#[test]
fn outputs_and_titles_are_html_escaped() {
    let fixture = Fixture::new("escape");
    fixture.write(
        &format!("listings/src/bin/{LISTING}.toml"),
        "title = \"Hello <b>bold</b> & co\"\n",
    );
    fixture.write(
        &format!("listings/output/{LISTING}.txt"),
        &format!("$ cargo run -p listings --bin {LISTING}\n<script>alert(1)</script> & <b>\n"),
    );
    let site = LoadedBook::load(&fixture.project())
        .and_then(|mut book| book.build_html(Some(&fixture.root.join("site"))))
        .unwrap();
    let html = std::fs::read_to_string(site.join("ch01-one.html")).unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("Hello &lt;b&gt;bold&lt;/b&gt; &amp; co"));
}

/// A Rust block of the book that does not compile, tested the way the snippet tests test
/// every block (see `machinery::snippets::wrap_bodies`). Run only by the test below, in a
/// child process, to read what a failing snippet test prints.
#[test]
#[ignore = "fails on purpose; run by a_snippet_that_does_not_compile_reads_like_a_compiler_error"]
fn broken_snippet() {
    // The test package of the tree under test, found at run time (never compiled in).
    let tests = Project::find().unwrap().root.join("tests");
    book_tests::snippet::run("src/ch01-one.md:5", || {
        skeptic::rt::run_test(
            tests.to_str().unwrap(),
            env!("OUT_DIR"),
            env!("SNIPPET_TARGET"),
            "\nfn main() {\n    let n: u32 = \"five\";\n}\n",
        )
    });
}

#[test]
fn a_snippet_that_does_not_compile_reads_like_a_compiler_error() {
    let run = |show_command: bool| {
        let mut test =
            std::process::Command::new(std::env::current_exe().unwrap());
        test.args(["--ignored", "--exact", "broken_snippet"]);
        test.env_remove(book_tests::snippet::SHOW_COMMAND);
        if show_command {
            test.env(book_tests::snippet::SHOW_COMMAND, "1");
        }
        let output = test.output().unwrap();
        assert!(!output.status.success(), "the broken snippet passed");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let message = run(false);
    if std::env::var_os("SHOW_MESSAGES").is_some() {
        eprintln!("---\n{message}");
    }
    // The place in the book, then rustc's own error, then the hint; no command line.
    let place = message.find("src/ch01-one.md:5: ");
    let error = message.find("error[E0308]: mismatched types");
    let hint = message.find("hint: fix the block at src/ch01-one.md:5");
    assert!(
        place.is_some() && place < error && error < hint,
        "not in the order place, rustc's error, hint:\n{message}"
    );
    assert!(!message.contains("--extern"), "{message}");
    // On request, the command line too.
    assert!(run(true).contains("--extern"));
}

/// A fixture whose output prints a PID, redacted by `pattern`.
fn fixture_with_a_pid(test: &str, pattern: &str) -> Fixture {
    let fixture = Fixture::new(test);
    fixture.write(
        &format!("listings/src/bin/{LISTING}.toml"),
        &format!(
            "title = \"Hello\"\nno_claims = \"a greeting\"\n\
             [vary]\nredact.PID = '{pattern}'\n"
        ),
    );
    fixture.write(
        &format!("listings/output/{LISTING}.txt"),
        &format!("$ cargo run -p listings --bin {LISTING}\npid 40\n"),
    );
    fixture
}

#[test]
fn a_declared_variation_that_cannot_vary_names_the_sidecar_and_declaration() {
    let sound = fixture_with_a_pid("vary-sound", "pid (?<redacted>\\d+)");
    check_variation(&sound.project(), &sound.listing()).unwrap();
    // A pattern that matches only the book's PID absorbs no other PID.
    let narrow = fixture_with_a_pid("vary-narrow", "pid (?<redacted>40)");
    assert_failure(
        check_variation(&narrow.project(), &narrow.listing()).map(drop),
        &[
            "listings/src/bin/ch01-01-hello.toml",
            "redact.PID",
            "does not absorb another value of the same length in place of \"40\" on line 1",
            "a number one digit longer",
            "make its pattern match",
        ],
    );
}

#[test]
fn another_machine_output_that_differs_names_both_files() {
    let fixture = fixture_with_a_pid("machine", "pid (?<redacted>\\d+)");
    let theirs = "machines/other/outputs/ch01-01-hello.txt";
    fixture.write(
        theirs,
        &format!("$ cargo run -p listings --bin {LISTING}\npid 7\n"),
    );
    let listing = fixture.listing();
    check_other_machine(&fixture.project(), &listing, Path::new(theirs))
        .unwrap();
    fixture.write(
        theirs,
        &format!("$ cargo run -p listings --bin {LISTING}\nppid 7\n"),
    );
    assert_failure(
        check_other_machine(&fixture.project(), &listing, Path::new(theirs)),
        &[
            theirs,
            "does not match listings/output/ch01-01-hello.txt",
            "listings/src/bin/ch01-01-hello.toml",
            "why_not",
            "stale: delete",
        ],
    );
}

#[test]
fn a_line_too_wide_for_the_page_is_named() {
    let fixture = Fixture::new("wide");
    lines_fit_their_columns(&fixture.project()).unwrap();
    fixture.write(
        &format!("listings/output/{LISTING}.txt"),
        &format!(
            "$ cargo run -p listings --bin {LISTING}\n{}\n",
            "x".repeat(121)
        ),
    );
    assert_failure(
        lines_fit_their_columns(&fixture.project()),
        &[
            "listings/output/ch01-01-hello.txt:2: 121 columns, over 120",
            "cargo book refresh NAME",
        ],
    );
}

#[test]
fn a_claim_failing_on_another_machine_without_why_not_is_named() {
    let fixture = fixture_with_a_claim("claim-elsewhere", 3);
    let theirs = "machines/other/outputs/ch01-01-hello.txt";
    fixture.write(
        theirs,
        &format!("$ cargo run -p listings --bin {LISTING}\ncount 1\n"),
    );
    assert_failure(
        check_claims_elsewhere(
            &fixture.project(),
            &fixture.listing(),
            Path::new(theirs),
        )
        .map(drop),
        &[
            "listings/src/bin/ch01-01-hello.toml",
            theirs,
            "claim above-two",
            "count = 1",
            "why_not",
        ],
    );
    // Saying why it may fail is not enough: the machine says why it fails there.
    fixture.write(
        &format!("listings/src/bin/{LISTING}.toml"),
        "title = \"Hello\"\n[values]\ncount = 'count (?<v>\\d+)'\n\
         [[claims]]\nid = \"above-two\"\nholds = \"count > 2\"\n\
         says = \"the count is above two\"\nwhy_not = \"one CPU\"\n",
    );
    let check = || {
        check_claims_elsewhere(
            &fixture.project(),
            &fixture.listing(),
            Path::new(theirs),
        )
    };
    assert_failure(
        check().map(drop),
        &[
            "machines/other/why-not.toml, under [ch01-01-hello]: above-two = ",
            "count = 1",
        ],
    );
    let why_not = "machines/other/why-not.toml";
    fixture.write(why_not, "[ch01-01-hello]\nabove-two = \"TO EXPLAIN\"\n");
    assert_failure(check().map(drop), &[why_not, "still to write"]);
    fixture.write(why_not, "[ch01-01-hello]\nabove-two = \"one CPU here\"\n");
    assert_eq!(check().unwrap(), (0, 1));
    // An entry for a claim that holds there, or that does not exist, is stale.
    fixture.write(theirs, &format!("$ cargo run -p listings --bin {LISTING}\ncount 3\n"));
    assert_failure(check().map(drop), &["claim above-two holds there", why_not]);
    fixture.write(why_not, "[ch01-01-hello]\nno-such = \"x\"\n");
    assert_failure(check().map(drop), &["names a claim no-such", "fix the id"]);
}
