//! The machinery fails clearly: each way the book can break is tried on a small fixture book
//! (a temporary folder with a book.toml of its own, chapters and listings whose "programs"
//! are shell scripts), and the whole failure message is a snapshot (`str![[...]]`): it names
//! the file at fault and says what to do. After changing a message on purpose, rewrite the
//! snapshots with `SNAPSHOTS=overwrite cargo test --test failures` and review the diff; the
//! fixture's folder shows as `[ROOT]`. `cargo book rename` is tried on a fixture here too.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use book_tests::checks::{
    architecture_is_mapped, figures_match, lines_fit_their_columns,
    listings_shown_once, machine_folder_well_formed, machine_output_listing,
    readme_tally_current, references_cited,
};
use machinery::Project;
use machinery::book::LoadedBook;
use machinery::listing::Listing;
use machinery::verify::{
    Builds, check_claims, check_claims_elsewhere, check_listing,
    check_other_machine, check_outcomes, check_variation, check_verdicts,
};
use snapbox::{Assert, IntoData, Redactions, assert::DEFAULT_ACTION_ENV, str};

/// The listing of the sound fixture.
const HELLO: &str = "ch01-01-hello";

/// A fixture's `book.toml`: what `LoadedBook::load` needs, and nothing of the real book's, so
/// that a change to the real book changes no fixture. The preprocessor is the machinery's,
/// put in place of this command by `LoadedBook::load`.
const BOOK_TOML: &str = "[book]\ntitle = \"Fixture\"\nsrc = \"src\"\n\n\
     [rust]\nedition = \"2024\"\n\n[build]\ncreate-missing = false\n\n\
     [preprocessor.listings]\ncommand = \"cargo book preprocess\"\nbefore = [\"links\"]\n";

/// A source whose part `all` the chapters may show.
const SOURCE: &str = "// ANCHOR: all\nfn main() {\n    println!(\"hello\");\n}\n\
                      // ANCHOR_END: all\n";

/// A fixture book in a temporary folder, removed when dropped: its own book.toml, chapters
/// listed in its SUMMARY, listings with their sidecars and stored outputs, and for each
/// listing a shell script that stands in for its built program.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// Chapter 1's page built into `dest`, with the reader's outputs of `mine` if given
    /// (`serve --mine`).
    fn chapter_page(&self, mine: Option<&Path>, dest: &str) -> String {
        let site = LoadedBook::load_with_mine(&self.project(), mine)
            .and_then(|mut book| book.build_html(Some(&self.root().join(dest))))
            .unwrap();
        std::fs::read_to_string(site.join("ch01-one.html")).unwrap()
    }

    /// A book with no chapter and no listing.
    fn empty() -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("fixture-")
            .tempdir()
            .unwrap();
        let fixture = Fixture { dir };
        fixture.write("book.toml", BOOK_TOML);
        fixture.chapters(&[]);
        fixture
    }

    /// The sound fixture: chapter 1 shows `ch01-01-hello`, which prints "hello".
    fn new() -> Fixture {
        let fixture = Fixture::empty();
        fixture
            .chapters(&[(
                "ch01-one.md",
                "# One\n\n{{#listing ch01-01-hello}}\n",
            )])
            .listing(
                HELLO,
                "title = \"Hello\"\nno_claims = \"a greeting\"\n",
                "hello\n",
            );
        fixture
    }

    /// The chapters, numbered in this order: their files under `src/`, and the SUMMARY.
    fn chapters(&self, chapters: &[(&str, &str)]) -> &Fixture {
        let mut summary = String::from("# Summary\n\n");
        for (n, (file, text)) in chapters.iter().enumerate() {
            summary.push_str(&format!("- [Chapter {}]({file})\n", n + 1));
            self.write(&format!("src/{file}"), text);
        }
        self.write("src/SUMMARY.md", &summary)
    }

    /// A program listing: its source, its sidecar, its stored output (what it `printed`,
    /// under the command the book shows) and a stand-in program that prints just that.
    fn listing(&self, name: &str, sidecar: &str, printed: &str) -> &Fixture {
        self.write(&format!("listings/src/bin/{name}.rs"), SOURCE);
        self.write(&format!("listings/src/bin/{name}.toml"), sidecar);
        let command = Listing::all(&self.project())
            .ok()
            .and_then(|all| all.into_iter().find(|l| l.name == name))
            .map_or_else(
                || format!("cargo run -p listings --bin {name}"),
                |l| l.command(),
            );
        self.output(name, printed, &command);
        let printed_file = self.root().join(format!("programs/{name}.out"));
        self.write(&format!("programs/{name}.out"), printed);
        self.program(name, &format!("cat '{}'", printed_file.display()))
    }

    /// The stored output of `name`: `$ command`, then what it `printed`.
    fn output(&self, name: &str, printed: &str, command: &str) -> &Fixture {
        self.write(
            &format!("listings/output/{name}.txt"),
            &format!("$ {command}\n{printed}"),
        )
    }

    fn write(&self, path: &str, text: &str) -> &Fixture {
        let path = self.root().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    fn remove(&self, path: &str) -> &Fixture {
        std::fs::remove_file(self.root().join(path)).unwrap();
        self
    }

    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root().join(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// What the listing's "program" does: a shell script standing in for the built binary.
    fn program(&self, name: &str, script: &str) -> &Fixture {
        let path = self.program_path(name);
        self.write(
            &format!("programs/{name}.sh"),
            &format!("#!/bin/sh\n{script}\n"),
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .unwrap();
        self
    }

    fn program_path(&self, name: &str) -> PathBuf {
        self.root().join(format!("programs/{name}.sh"))
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn project(&self) -> Project {
        Project::at(self.root())
    }

    /// The fixture's listing `name`, as the checks load it.
    fn listing_named(&self, name: &str) -> Listing {
        Listing::all(&self.project())
            .unwrap()
            .into_iter()
            .find(|l| l.name == name)
            .unwrap_or_else(|| panic!("no listing {name} in the fixture"))
    }

    /// The listings test's verdict on the listing `name`, run by its stand-in program.
    fn check_listing(&self, name: &str) -> anyhow::Result<()> {
        let exes = HashMap::from([(name.to_owned(), self.program_path(name))]);
        check_listing(
            &self.project(),
            &self.listing_named(name),
            &Builds::prebuilt(exes, HashMap::new()),
        )
    }

    /// The claims check's verdict on the listing `name`.
    fn check_claims(&self, name: &str) -> anyhow::Result<()> {
        let project = self.project();
        let listing = Listing::all(&project)?
            .into_iter()
            .find(|l| l.name == name)
            .unwrap();
        check_claims(&project, &listing)
    }

    /// The book's verdict on the fixture's chapters (what every build checks).
    fn check_chapters(&self) -> anyhow::Result<()> {
        LoadedBook::load(&self.project())
            .and_then(|book| book.chapters())
            .map(drop)
    }
}

/// The failure of `result`, as the trial shows it (`book_tests::trial`: the error with its
/// causes), is `expected`, the fixture's folder written `[ROOT]`.
#[track_caller]
fn assert_fails<T: std::fmt::Debug>(
    fixture: &Fixture,
    result: anyhow::Result<T>,
    expected: impl IntoData,
) {
    let message = format!(
        "{:#}",
        result.expect_err("the check passed, but it must fail")
    );
    assert_text(fixture, message, expected);
}

/// `actual` is `expected`, the fixture's folder written `[ROOT]`; backslashes stay
/// backslashes (snapbox would make paths of regexes' `\d`).
#[track_caller]
fn assert_text(fixture: &Fixture, actual: String, expected: impl IntoData) {
    let mut redactions = Redactions::new();
    redactions
        .insert("[ROOT]", fixture.root().to_path_buf())
        .unwrap();
    Assert::new()
        .action_env(DEFAULT_ACTION_ENV)
        .normalize_paths(false)
        .redact_with(redactions)
        .eq(actual, expected);
}

#[test]
fn the_fixture_itself_passes() {
    let fixture = Fixture::new();
    fixture.check_listing(HELLO).unwrap();
    fixture.check_chapters().unwrap();
    fixture.check_claims(HELLO).unwrap();
    listings_shown_once(&fixture.project()).unwrap();
}

/// A listing whose claim says "the count is above two", and whose output prints `count`.
fn fixture_with_a_claim(count: u32) -> Fixture {
    let fixture = Fixture::new();
    fixture.listing(
        HELLO,
        "title = \"Hello\"\n[values]\ncount = 'count (?<v>\\d+)'\n\
         [[claims]]\nid = \"above-two\"\nholds = \"count > 2\"\n\
         says = \"the count is above two\"\n",
        &format!("count {count}\n"),
    );
    fixture
}

#[test]
fn a_claim_the_stored_output_contradicts_names_listing_claim_and_values() {
    fixture_with_a_claim(3).check_claims(HELLO).unwrap();
    let fixture = fixture_with_a_claim(1);
    assert_fails(
        &fixture,
        fixture.check_claims(HELLO),
        str![[r#"
listings/output/ch01-01-hello.txt: the stored output of ch01-01-hello no longer supports what the book says:
  claim "the count is above two" does not hold: `count > 2` (count = 1)
If the output is right, fix the sentence in the chapter and the claim in listings/src/bin/ch01-01-hello.toml; if the run was disturbed, refresh it on a quiet machine with `cargo book refresh ch01-01-hello`
"#]],
    );
}

/// The fixture's chapter, with `prose` after the listing.
fn fixture_with_prose(count: u32, prose: &str) -> Fixture {
    let fixture = fixture_with_a_claim(count);
    fixture.chapters(&[(
        "ch01-one.md",
        &format!("# One\n\n{{{{#listing {HELLO}}}}}\n\n{prose}\n"),
    )]);
    fixture
}

#[test]
fn a_verdict_naming_an_unknown_claim_names_chapter_line_and_claim() {
    let marked = "The count {{#verdict ch01-01-hello/above-two}}is above two\
                  {{/verdict}}.";
    fixture_with_prose(3, marked).check_chapters().unwrap();
    let fixture = fixture_with_prose(
        3,
        "The count\n{{#verdict ch01-01-hello/above-three}}is high{{/verdict}}.",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[
            r#"preprocessing the book failed: src/ch01-one.md:6: {{#verdict ch01-01-hello/above-three}}: listings/src/bin/ch01-01-hello.toml has no claim with id "above-three" (its claims: above-two); name one of them, or add the [[claims]] entry that checks this verdict"#
        ]],
    );
    let fixture = fixture_with_prose(
        3,
        "It {{#verdict ch01-09-nope/above-two}}holds{{/verdict}}.",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[
            r#"preprocessing the book failed: src/ch01-one.md:5: {{#verdict ch01-09-nope/above-two}} names no listing "ch01-09-nope" (expected listings/src/bin/ch01-09-nope.rs and its .toml)"#
        ]],
    );
}

#[test]
fn a_verdict_on_a_claim_the_stored_output_contradicts_names_chapter_line_and_claim()
 {
    let prose = "So\n{{#verdict ch01-01-hello/above-two}}the count is *high*{{/verdict}}.";
    check_verdicts(&fixture_with_prose(3, prose).project()).unwrap();
    let fixture = fixture_with_prose(1, prose);
    assert_fails(
        &fixture,
        check_verdicts(&fixture.project()),
        str![[r#"
src/ch01-one.md:6: "the count is *high*" rests on ch01-01-hello/above-two ("the count is above two"), which the stored output listings/output/ch01-01-hello.txt does not support: does not hold: `count > 2` (count = 1)
  If the output is right, fix the sentence and the claim; if the run was disturbed, refresh it on a quiet machine with `cargo book refresh ch01-01-hello`
"#]],
    );
}

/// Not a failure: a verdict shows, in the page, the verdict of its claims on the book's run,
/// and with `serve --mine` on the reader's, in words as well as in a symbol.
#[test]
fn a_verdict_shows_its_claims_on_the_books_run_and_on_the_readers() {
    let prose = "So {{#verdict ch01-01-hello/above-two}}the count is *high*{{/verdict}}.";
    let fixture = fixture_with_prose(3, prose);
    let page =
        |mine: Option<&Path>, dest: &str| fixture.chapter_page(mine, dest);
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
    let mine = fixture.root().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    let yours = page(Some(&mine), "site-not-run");
    assert!(yours.contains("prose-verdict unjudged"), "{yours}");
    assert!(yours.contains("not run on your machine"), "{yours}");
    std::fs::write(
        mine.join(format!("{HELLO}.txt")),
        format!("$ cargo run -p listings --bin {HELLO}\ncount 1\n"),
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
    let fixture = fixture_with_prose(3, marked);
    fixture.write("README.md", "# Book\n");
    assert_fails(
        &fixture,
        readme_tally_current(&fixture.project()),
        str![
            "README.md has no tally: add the lines `<!-- tally: written by `cargo book tally --readme` -->` and `<!-- /tally -->`, then run `cargo book tally --readme`"
        ],
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
    assert_fails(
        &fixture,
        readme_tally_current(&fixture.project()),
        str![[r#"
README.md: the tally is not what `cargo book tally` prints; the count of checked verdicts went down from 2 to 1: a verdict lost its mark (restore it, or mark what replaced it); refresh it with `cargo book tally --readme` and commit it
--- README.md
| Chapter | Verdicts marked | Claims | Claims marked | Values |
| --- | ---: | ---: | ---: | ---: |
| `ch01-one.md` | 2 | 2 | 2 | 0 |
| **Total** | 2 | 2 | 2 | 0 |
--- cargo book tally
| Chapter | Verdicts marked | Claims | Claims marked | Values |
| --- | ---: | ---: | ---: | ---: |
| `ch01-one.md` | 1 | 1 | 1 | 0 |
| **Total** | 1 | 1 | 1 | 0 |

"#]],
    );
}

#[test]
fn a_verdict_across_paragraphs_or_unclosed_names_chapter_and_line() {
    let fixture = fixture_with_prose(
        3,
        "It {{#verdict ch01-01-hello/above-two}}holds.\n\nStill{{/verdict}}.",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[r#"
preprocessing the book failed: src/ch01-one.md:5: this verdict spans paragraphs: a {{#verdict}} marks a clause or a sentence; close it with {{/verdict}} in the same paragraph
src/ch01-one.md:7: this {{/verdict}} closes a verdict opened in another paragraph
"#]],
    );
    let fixture =
        fixture_with_prose(3, "It {{#verdict ch01-01-hello/above-two}}holds.");
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![
            "preprocessing the book failed: src/ch01-one.md:5: this {{#verdict}} is never closed: end the verdict's text with {{/verdict}}"
        ],
    );
}

#[test]
fn a_verdict_closed_twice_nested_or_around_a_listing_names_chapter_and_line() {
    let fixture = fixture_with_prose(
        3,
        "It holds{{/verdict}}.\n\n\
         {{#verdict ch01-01-hello/above-two}}one {{#verdict ch01-01-hello/above-two}}two\
         {{/verdict}}.\n\n\
         {{#verdict ch01-01-hello/above-two}}\n{{#listing ch01-01-hello}}\n{{/verdict}}",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[r#"
preprocessing the book failed: src/ch01-one.md:5: this {{/verdict}} closes no {{#verdict LISTING/ID}}: remove it or add the opening tag
src/ch01-one.md:7: this {{#verdict}} is not closed before the next one: end it with {{/verdict}} (verdicts do not nest)
src/ch01-one.md:9: this verdict holds a {{#listing}}: a verdict marks a clause of the prose; close it before the listing
src/ch01-one.md:10: listing ch01-01-hello is shown a second time in this chapter; show it once, and link to it elsewhere as [Listing 1.1](#listing-ch01-01-hello)
"#]],
    );
}

#[test]
fn a_claim_without_an_id_or_with_a_repeated_one_names_the_sidecar() {
    let fixture = fixture_with_a_claim(3);
    let sidecar = format!("listings/src/bin/{HELLO}.toml");
    let claim =
        "[[claims]]\nid = \"above-two\"\nholds = \"count > 2\"\nsays = \"s\"\n";
    fixture.write(
        &sidecar,
        &format!(
            "title = \"Hello\"\n[values]\ncount = 'count (?<v>\\d+)'\n{claim}{claim}"
        ),
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[
            r#"listings/src/bin/ch01-01-hello.toml: invalid [[claims]]; fix them: two claims have the id "above-two": give each claim of a sidecar its own"#
        ]],
    );
    fixture.write(
        &sidecar,
        "title = \"Hello\"\n[values]\ncount = 'count (?<v>\\d+)'\n\
         [[claims]]\nholds = \"count > 2\"\nsays = \"s\"\n",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[r#"
listings/src/bin/ch01-01-hello.toml: not a valid sidecar (CONTRIBUTING.md, "The sidecar", lists its keys); fix it: TOML parse error at line 4, column 1
  |
4 | [[claims]]
  | ^^^^^^^^^^
missing field `id`

"#]],
    );
}

#[test]
fn a_value_the_output_does_not_show_names_the_sidecar() {
    let fixture = fixture_with_a_claim(3);
    fixture.output(
        HELLO,
        "no number\n",
        "cargo run -p listings --bin ch01-01-hello",
    );
    assert_fails(
        &fixture,
        fixture.check_claims(HELLO),
        str![[
            r#"listings/src/bin/ch01-01-hello.toml: value count: 'count (?<v>\d+)' matches nothing in the output of listings/output/ch01-01-hello.txt; fix the pattern in [values]"#
        ]],
    );
}

#[test]
fn a_listing_without_claims_is_told_to_state_them() {
    let fixture = Fixture::new();
    fixture.write(
        &format!("listings/src/bin/{HELLO}.toml"),
        "title = \"Hello\"\n",
    );
    assert_fails(
        &fixture,
        fixture.check_claims(HELLO),
        str![[
            r#"listings/src/bin/ch01-01-hello.toml: no [[claims]]: state what the chapter says about this output (see CONTRIBUTING.md, Claims), or say why there is nothing to claim with `no_claims = "..."`"#
        ]],
    );
}

#[test]
fn a_stale_output_shows_the_diff_and_the_refresh_command() {
    let fixture = Fixture::new();
    fixture.program(HELLO, "echo goodbye");
    assert_fails(
        &fixture,
        fixture.check_listing(HELLO),
        str![[r#"
listings/output/ch01-01-hello.txt no longer matches a fresh run of ch01-01-hello:

--- Expected
++++ actual:   fresh run
   1      - hello
        1 + goodbye



if the change is intended, refresh it with `cargo book refresh ch01-01-hello` and review the diff
"#]],
    );
}

#[test]
fn an_output_made_with_another_command_says_to_refresh_it() {
    let fixture = Fixture::new();
    fixture.write(
        &format!("listings/src/bin/{HELLO}.toml"),
        "title = \"Hello\"\nno_claims = \"a greeting\"\nargs = [\"--loud\"]\n",
    );
    assert_fails(
        &fixture,
        fixture.check_listing(HELLO),
        str![
            "listings/output/ch01-01-hello.txt: made with `cargo run -p listings --bin ch01-01-hello`, but the book now runs `cargo run -p listings --bin ch01-01-hello -- --loud`; if the change is intended, refresh it with `cargo book refresh ch01-01-hello` and review the diff"
        ],
    );
}

#[test]
fn a_missing_output_names_the_file_and_how_to_make_it() {
    let fixture = Fixture::new();
    fixture.remove(&format!("listings/output/{HELLO}.txt"));
    assert_fails(
        &fixture,
        fixture.check_listing(HELLO),
        str![
            "listings/output/ch01-01-hello.txt: no stored output of ch01-01-hello; make it with `cargo book refresh ch01-01-hello`"
        ],
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![
            "preprocessing the book failed: src/ch01-one.md:3: listings/output/ch01-01-hello.txt: no stored output of ch01-01-hello; make it with `cargo book refresh ch01-01-hello`"
        ],
    );
}

#[test]
fn a_variation_the_output_does_not_show_is_named() {
    let fixture = Fixture::new();
    fixture.write(
        &format!("listings/src/bin/{HELLO}.toml"),
        "title = \"Hello\"\nno_claims = \"a greeting\"\n\
         [vary]\nredact.PID = 'pid (?<redacted>\\d+)'\n",
    );
    assert_fails(
        &fixture,
        fixture.check_listing(HELLO),
        str![[
            r#"listings/src/bin/ch01-01-hello.toml declares variation that listings/output/ch01-01-hello.txt does not show: redact.PID (pid (?<redacted>\d+)) matches nothing; remove it or fix it"#
        ]],
    );
}

#[test]
fn a_failing_listing_is_reported_with_what_it_printed() {
    let fixture = Fixture::new();
    fixture.program(HELLO, "echo hello; echo oops >&2; exit 3");
    assert_fails(
        &fixture,
        fixture.check_listing(HELLO),
        str![[r#"
listings/src/bin/ch01-01-hello.rs: ended with exit status: 3, expected exit code 0
--- what it printed ---
hello
oops

"#]],
    );
}

#[test]
fn a_hanging_listing_is_killed_with_its_children() {
    let fixture = Fixture::new();
    fixture.write(
        &format!("listings/src/bin/{HELLO}.toml"),
        "title = \"Hello\"\nno_claims = \"a greeting\"\ntimeout_secs = 1\n",
    );
    let pid_file = fixture.root().join("group");
    fixture.program(
        HELLO,
        &format!("echo $$ > {}; sleep 600 & sleep 600", pid_file.display()),
    );
    assert_fails(
        &fixture,
        fixture.check_listing(HELLO),
        str![[r#"
listings/src/bin/ch01-01-hello.rs: did not finish within 1 s and was killed (a hang? raise timeout_secs in its .toml only if it really needs longer)
--- what it printed ---

"#]],
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
    let fixture = Fixture::new();
    fixture.program(HELLO, "echo hello; sleep 600 &");
    // The leftover is named by its command: `sleep`, or the shell that is about to become
    // it, depending on timing; and by its pid.
    assert_fails(
        &fixture,
        fixture.check_listing(HELLO),
        str![[r#"
listings/src/bin/ch01-01-hello.rs: left processes behind: pid [..] ([..]), state [..]; wait for every child it creates
--- what it printed ---
hello

"#]],
    );
}

#[test]
fn a_refusal_that_is_not_the_books_way_is_named() {
    let fixture = Fixture::new();
    fixture.write(
        &format!("listings/src/bin/{HELLO}.toml"),
        "title = \"Hello\"\nno_claims = \"a greeting\"\nrejects = [[\"--size\", \"0\"]]\n",
    );
    // It accepts `--size 0`, printing as if all were well.
    assert_fails(
        &fixture,
        fixture.check_listing(HELLO),
        str![[r#"
listings/src/bin/ch01-01-hello.rs: with arguments ["--size", "0"]: exited with exit status: 0 instead of code 2
--- stderr ---

"#]],
    );
    // It refuses, but with a usage of three lines.
    fixture.program(
        HELLO,
        "[ $# -gt 0 ] && { printf 'error\\nusage\\nmore\\n' >&2; exit 2; }; echo hello",
    );
    assert_fails(
        &fixture,
        fixture.check_listing(HELLO),
        str![[r#"
listings/src/bin/ch01-01-hello.rs: with arguments ["--size", "0"]: printed 3 lines on stderr instead of one
--- stderr ---
error
usage
more

"#]],
    );
    fixture.program(
        HELLO,
        "[ $# -gt 0 ] && { echo 'error: 0 is not in 1..' >&2; exit 2; }; echo hello",
    );
    fixture.check_listing(HELLO).unwrap();
}

#[test]
fn a_listing_cargo_did_not_build_is_named() {
    let fixture = Fixture::new();
    let builds = Builds::prebuilt(HashMap::new(), HashMap::new());
    assert_fails(
        &fixture,
        check_listing(
            &fixture.project(),
            &fixture.listing_named(HELLO),
            &builds,
        ),
        str![
            "listings/src/bin/ch01-01-hello.rs: cargo built no binary ch01-01-hello (the `listings` package makes one per file of listings/src/bin); run `cargo build -p listings --bins` and fix what it reports"
        ],
    );
}

#[test]
fn a_listing_that_takes_arguments_must_say_which_it_refuses() {
    let fixture = Fixture::new();
    fixture.write(
        &format!("listings/src/bin/{HELLO}.rs"),
        "fn main() {\n    let args: Args = listings::cli::parse();\n}\n",
    );
    assert_fails(
        &fixture,
        fixture.check_listing(HELLO),
        str![
            "listings/src/bin/ch01-01-hello.toml: listings/src/bin/ch01-01-hello.rs takes arguments (`cli::parse`) but its sidecar declares no `rejects = [[...]]`: list bad argument lists it must refuse (a non-number, zero, an absurd size, an unknown flag)"
        ],
    );
}

#[test]
fn rejects_on_a_listing_that_must_not_compile_is_refused() {
    let fixture = Fixture::new();
    fixture
        .write("listings/compile-fail/ch01-02-bad.rs", "fn main() { x }\n")
        .write(
            "listings/compile-fail/ch01-02-bad.toml",
            "title = \"Bad\"\nrejects = [[\"--bogus\"]]\n",
        );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![
            "listings/compile-fail/ch01-02-bad.toml: `rejects` is only for programs (rustc is never run with a listing's arguments); remove it"
        ],
    );
}

#[test]
fn a_fork_without_its_safety_reason_is_named() {
    let fixture = Fixture::new();
    let unjustified = "use nix::unistd::fork;\n\nfn main() {\n    // Make a child.\n    \
                       let _ = unsafe { fork() };\n}\n";
    fixture.write(&format!("listings/src/bin/{HELLO}.rs"), unjustified);
    assert_fails(
        &fixture,
        fixture.check_listing(HELLO),
        str![
            "listings/src/bin/ch01-01-hello.rs:5: fork needs a `// SAFETY:` comment right above it saying why it is sound: no other thread exists yet, or the child only calls async-signal-safe functions before _exit/exec (signal-safety(7))"
        ],
    );
    fixture.write(
        &format!("listings/src/bin/{HELLO}.rs"),
        &unjustified.replace(
            "// Make a child.",
            "// SAFETY: no other thread exists yet.",
        ),
    );
    fixture.check_listing(HELLO).unwrap();
}

#[test]
fn a_sidecar_that_is_missing_or_invalid_is_named() {
    let fixture = Fixture::new();
    let sidecar = format!("listings/src/bin/{HELLO}.toml");
    fixture.write(&sidecar, "caption = \"Hello\"\n");
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[r#"
listings/src/bin/ch01-01-hello.toml: not a valid sidecar (CONTRIBUTING.md, "The sidecar", lists its keys); fix it: TOML parse error at line 1, column 1
  |
1 | caption = "Hello"
  | ^^^^^^^
unknown field `caption`, expected one of `title`, `args`, `measurement`, `shape_args`, `timeout_secs`, `exit_code`, `vary`, `rejects`, `values`, `claims`, `no_claims`, `outcomes`

"#]],
    );
    fixture.write(
        &sidecar,
        "title = \"Hello\"\n[vary]\nredact.PID = 'pid (\\d+'\n",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[r#"
listings/src/bin/ch01-01-hello.toml: invalid [vary] declaration; fix it: redact.PID: regex parse error:
    pid (\d+
        ^
error: unclosed group
"#]],
    );
    fixture.remove(&sidecar);
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[
            r#"listings/src/bin/ch01-01-hello.rs: every listing needs a sidecar listings/src/bin/ch01-01-hello.toml with at least `title = "..."`: No such file or directory (os error 2)"#
        ]],
    );
}

#[test]
fn a_listing_with_a_name_out_of_the_scheme_is_named() {
    let fixture = Fixture::new();
    fixture.write("listings/src/bin/hello-again.rs", SOURCE);
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![
            "listings/src/bin/hello-again.rs: a listing is named chNN-MM-short-name or chNN-exMM-short-name (lowercase, digits and dashes); rename it"
        ],
    );
}

#[test]
fn an_include_of_a_missing_file_names_the_chapter_and_line() {
    let fixture = Fixture::new();
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\n{{#include nope.rs}}\n\
         {{ #include ../listings/src/bin/gone.rs }}\n",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[r#"
src/ch01-one.md:5: `{{#include nope.rs}}` names a file that does not exist (src/nope.rs); fix the path (it is relative to the chapter)
src/ch01-one.md:6: `{{#include ../listings/src/bin/gone.rs}}` names a file that does not exist (listings/src/bin/gone.rs); fix the path (it is relative to the chapter)
"#]],
    );
}

#[test]
fn an_include_of_a_missing_anchor_names_the_chapter_and_line() {
    let fixture = Fixture::new();
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello:nope}}\n\n\
         {{#include ../listings/src/bin/ch01-01-hello.rs:gone}}\n",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![
            "preprocessing the book failed: src/ch01-one.md:3: listing ch01-01-hello has no `// ANCHOR: nope` (and `// ANCHOR_END: nope`)"
        ],
    );
    // An anchor is its whole name, as mdBook reads it: `al` is not `all`.
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello:al}}\n\n\
         {{#include ../listings/src/bin/ch01-01-hello.rs:al}}\n",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![
            "preprocessing the book failed: src/ch01-one.md:3: listing ch01-01-hello has no `// ANCHOR: al` (and `// ANCHOR_END: al`)"
        ],
    );
}

#[test]
fn an_unknown_directive_names_the_chapter_and_line() {
    let fixture = Fixture::new();
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\n{{#listng ch01-01-hello}}\n\n\
         Shown as text: \\{{#listng x}}\n",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[
            r#"src/ch01-one.md:5: unknown directive `{{#listng}}`: fix its name (this book's: listing, value, verdict, machines, outcomes; mdBook's: include, rustdoc_include, playground, title), or escape it as `\{{#listng ...}}` to show it as text"#
        ]],
    );
}

#[test]
fn a_value_directive_that_reads_nothing_names_the_chapter_and_line() {
    let fixture = fixture_with_prose(
        3,
        "Counted {{#value ch01-01-hello count}}, {{#value ch01-09-nope count}}, \
         {{#value ch01-01-hello total}}.",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[r#"
preprocessing the book failed: src/ch01-one.md:5: {{#value ch01-09-nope count}} names no listing "ch01-09-nope" (expected listings/src/bin/ch01-09-nope.rs and its .toml); fix the name
src/ch01-one.md:5: {{#value ch01-01-hello total}}: listings/src/bin/ch01-01-hello.toml declares no value "total" in [values] (it has: count); name one of them, or add it
"#]],
    );
    fixture.output(
        HELLO,
        "no count\n",
        "cargo run -p listings --bin ch01-01-hello",
    );
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\nCounted {{#value ch01-01-hello count}}.\n",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[r#"
preprocessing the book failed: src/ch01-one.md:3: listings/output/ch01-01-hello.txt: the [values] of listings/src/bin/ch01-01-hello.toml cannot be read from it; fix the pattern, or refresh the output with `cargo book refresh ch01-01-hello`: value count: 'count (?<v>\d+)' matches nothing in the output
src/ch01-one.md:5: listings/output/ch01-01-hello.txt: the [values] of listings/src/bin/ch01-01-hello.toml cannot be read from it; fix the pattern, or refresh the output with `cargo book refresh ch01-01-hello`: value count: 'count (?<v>\d+)' matches nothing in the output
"#]],
    );
}

#[test]
fn a_machines_table_naming_an_unknown_value_names_the_chapter_and_line() {
    let fixture = fixture_with_a_claim(3);
    fixture.chapters(&[
        ("ch01-one.md", "# One\n\n{{#listing ch01-01-hello}}\n"),
        (
            "machines.md",
            "# Machines\n\n{{#machines ch01-01-hello/count ch01-01-hello/total}}\n\n\
             {{#machines ch01-09-nope/count}}\n\n{{#machines count}}\n",
        ),
    ]);
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[r#"
preprocessing the book failed: src/machines.md:3: {{#machines}}: listings/src/bin/ch01-01-hello.toml has no value "total" in its [values] (it has: count); name one of them, or add it
src/machines.md:5: {{#machines}} names no listing "ch01-09-nope" (expected listings/src/bin/ch01-09-nope.rs and its .toml); fix the name
src/machines.md:7: {{#machines}}: "count" is not LISTING/VALUE (a name of the listing's [values])
"#]],
    );
}

#[test]
fn a_listing_shown_nowhere_or_twice_is_named() {
    let fixture = Fixture::new();
    fixture.write("src/ch01-one.md", "# One\n\nNo listing here.\n");
    assert_fails(
        &fixture,
        listings_shown_once(&fixture.project()),
        str![
            "listings/src/bin/ch01-01-hello.rs is shown in no chapter: add `{{#listing ch01-01-hello}}` where it belongs, or delete it"
        ],
    );
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\n{{#listing ch01-01-hello:all}}\n",
    );
    assert_fails(
        &fixture,
        listings_shown_once(&fixture.project()),
        str![
            "preprocessing the book failed: src/ch01-one.md:5: listing ch01-01-hello is shown a second time in this chapter; show it once, and link to it elsewhere as [Listing 1.1](#listing-ch01-01-hello)"
        ],
    );
    // An exercise's solutions are not numbered in order: shown twice, it is counted.
    fixture
        .listing(
            "ch01-ex01-again",
            "title = \"Again\"\nno_claims = \"a greeting\"\n",
            "hello\n",
        )
        .write(
            "src/ch01-one.md",
            "# One\n\n{{#listing ch01-01-hello}}\n\n{{#listing ch01-ex01-again}}\n\n\
             {{#listing ch01-ex01-again}}\n",
        );
    assert_fails(
        &fixture,
        listings_shown_once(&fixture.project()),
        str![
            "ch01-ex01-again is shown 2 times (src/ch01-one.md:5, src/ch01-one.md:7); show it once and refer to it by its number"
        ],
    );
}

#[test]
fn a_listing_unknown_or_in_the_wrong_chapter_or_out_of_order_is_named() {
    let fixture = Fixture::new();
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n{{#listing ch01-01-hell0}}\n",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[
            r#"preprocessing the book failed: src/ch01-one.md:4: no listing named "ch01-01-hell0" (expected listings/src/bin/ch01-01-hell0.rs and its .toml)"#
        ]],
    );

    let fixture = Fixture::new();
    let sidecar = "title = \"Two\"\nno_claims = \"a greeting\"\n";
    fixture.listing("ch02-01-two", sidecar, "hello\n").write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\n{{#listing ch02-01-two}}\n",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![
            "preprocessing the book failed: src/ch01-one.md:5: listing ch02-01-two belongs to chapter 2 by its name, but this chapter is number 1; rename the listing (`cargo book rename ch02-01-two NEW`) or show it in its chapter"
        ],
    );

    let fixture = Fixture::new();
    fixture.listing("ch01-02-two", sidecar, "hello\n").write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-02-two}}\n\n{{#listing ch01-01-hello}}\n",
    );
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![
            "preprocessing the book failed: src/ch01-one.md:5: listing ch01-01-hello (Listing 1.1) comes after Listing 1.2: the listings of a chapter are numbered in the order they appear; renumber them with `cargo book rename OLD NEW`, which does not run them again"
        ],
    );
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\n{{#listing ch01-02-two}}\n",
    );
    fixture.check_chapters().unwrap();
}

#[test]
fn a_rust_block_skeptic_does_not_see_is_named() {
    let fixture = Fixture::new();
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\n```rs\nfn main() {}\n```\n",
    );
    let manifest = fixture.root().join("snippets.json");
    std::fs::write(&manifest, "[]").unwrap();
    assert_fails(
        &fixture,
        book_tests::checks::rust_blocks_tested_by(
            &fixture.project(),
            manifest.to_str().unwrap(),
        ),
        str![[r#"
src/ch01-one.md:5: ```rs is shown as Rust but skeptic does not test it; write ```rust
src/ch01-one.md: the Rust blocks shown start on lines [3], but skeptic's tests were generated for lines []; rebuild (`cargo test`) or fix the blocks above
"#]],
    );
    // One block tested twice does not make up for another not tested at all.
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\n```rust\nfn main() {}\n```\n",
    );
    let test = |line| {
        serde_json::json!({
            "test": format!("ch01_one_line_{line}"),
            "chapter": "ch01-one.md",
            "line": line,
            "info": "rust"
        })
    };
    std::fs::write(
        &manifest,
        serde_json::json!([test(3), test(3)]).to_string(),
    )
    .unwrap();
    assert_fails(
        &fixture,
        book_tests::checks::rust_blocks_tested_by(
            &fixture.project(),
            manifest.to_str().unwrap(),
        ),
        str![
            "src/ch01-one.md: the Rust blocks shown start on lines [3, 5], but skeptic's tests were generated for lines [3, 3]; rebuild (`cargo test`) or fix the blocks above"
        ],
    );
}

/// Not a fixture check: the names skeptic's tests get lead back to the source line.
#[test]
fn snippet_test_names_lead_to_the_source_line() {
    let fixture = Fixture::new();
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\n```rust\nfn main() {}\n```\n",
    );
    let out = fixture.root().join("out");
    let docs =
        machinery::snippets::write_expanded_chapters(&fixture.project(), &out)
            .unwrap();
    // The listing's block comes from its directive (line 3), the other from its fence (line 5).
    let origins: Vec<usize> = docs[0]
        .blocks
        .iter()
        .map(|block| block.source_line)
        .collect();
    assert_eq!(origins, [3, 5]);
    assert!(Path::new(&docs[0].file).exists());
}

#[test]
fn a_broken_internal_link_names_the_page_and_the_link() {
    let fixture = Fixture::new();
    fixture.write(
        "src/ch01-one.md",
        "# One\n\n{{#listing ch01-01-hello}}\n\nSee [there](nope.md) and [here](#no-such-id).\n",
    );
    assert_fails(
        &fixture,
        book_tests::checks::links_resolve(&fixture.project()),
        str![[r#"
broken links in the built book (fix the link in the chapter's source):
ch01-one.html: link to nope.html: no file nope.html
ch01-one.html: link to #no-such-id: ch01-one.html has no id "no-such-id"
index.html: link to nope.html: no file nope.html
index.html: link to #no-such-id: index.html has no id "no-such-id"
print.html: link to nope.html: no file nope.html
print.html: link to #no-such-id: print.html has no id "no-such-id"
"#]],
    );
}

#[test]
fn an_uncited_reference_is_named() {
    let fixture = Fixture::new();
    fixture
        .chapters(&[
            (
                "ch01-one.md",
                "# One\n\n{{#listing ch01-01-hello}}\n\nSee [fork(2)](references.md#fork-2).\n",
            ),
            (
                "references.md",
                "# References\n\n- <a id=\"fork-2\"></a>fork(2)\n- <a id=\"clone-2\"></a>clone(2)\n",
            ),
        ]);
    assert_fails(
        &fixture,
        references_cited(&fixture.project()),
        str![
            "src/references.md: entries cited by no chapter: clone-2; cite them as [text](references.md#ID) or remove them"
        ],
    );
}

#[test]
fn a_stale_figure_is_named_with_the_command_that_redraws_it() {
    let fixture = Fixture::new();
    let drawn = fixture.root().join("drawn");
    fixture
        .write("drawn/ch01-hello.svg", "<svg>new</svg>")
        .write("src/img/ch01-hello.svg", "<svg>new</svg>");
    let names = ["ch01-hello".to_owned()];
    figures_match(&fixture.project(), &drawn, &names).unwrap();
    fixture.write("src/img/ch01-hello.svg", "<svg>old</svg>");
    assert_fails(
        &fixture,
        figures_match(&fixture.project(), &drawn, &names),
        str![
            "src/img/ch01-hello.svg is not what figures/src/bin/ch01-hello.rs draws from the stored outputs; redraw it with `cargo book figures`"
        ],
    );
    fixture.remove("drawn/ch01-hello.svg");
    assert_fails(
        &fixture,
        figures_match(&fixture.project(), &drawn, &names),
        str![[
            r#"figures/src/bin/ch01-hello.rs drew no ch01-hello.svg (it must write figures::svg_path("ch01-hello"))"#
        ]],
    );
}

#[test]
fn an_architecture_map_that_drifted_from_the_tree_is_named() {
    let fixture = Fixture::new();
    fixture
        .write(
            "machinery/src/lib.rs",
            "//! The book's machinery: what a listing is.\n\npub mod gone;\n",
        )
        .write(
            "machinery/src/book.rs",
            "//! What a chapter is. More about it.\n",
        )
        .write("machinery/src/run.rs", "//! Running a listing.\n")
        .write("machinery/src/new.rs", "fn main() {}\n")
        .write("tests/Cargo.toml", "[[test]]\nname = \"book\"\npath = \"book.rs\"\n")
        .write(
            "ARCHITECTURE.md",
            "# Architecture\n\n`src/`, `listings/`, `programs/`, `tests/`, `drawn/`\n\n\
             ### `machinery/`\n\n\
             - `lib.rs`: The book's machinery: what a listing is. It has modules.\n\
             - `book.rs`: What a chapter is, and the book around it.\n\
             - `gone.rs`: Gone.\n\
             - `new.rs`: New.\n\n### `tests/`\n\n- `run.rs`: not in the machinery's section.\n",
        );
    assert_fails(
        &fixture,
        architecture_is_mapped(&fixture.project()),
        str![[r#"
ARCHITECTURE.md has drifted from the tree:
  it does not say what the test harness tests/book.rs checks
  its code map has an entry for `gone.rs`, which is not in machinery/src
  its code map has no entry `- `run.rs`: ...` for machinery/src/run.rs
  machinery/src/new.rs has no doc comment (`//! What it is.`) for the map to begin with
  the entry of `book.rs` does not begin with the first sentence of the module's doc comment:
    doc: What a chapter is.
    map: What a chapter is, and the book around it.
Make the map say what the code is: an entry per module, beginning with the first sentence of its `//!` comment (change both when a module changes its job)
"#]],
    );
}

#[test]
fn a_machines_folder_without_readme_or_with_a_bad_name_is_named() {
    let fixture = Fixture::new();
    fixture.write("machines/Big_Box/outputs/ch01-01-hello.txt", "");
    assert_fails(
        &fixture,
        machine_folder_well_formed(
            &fixture.project(),
            Path::new("machines/Big_Box"),
        ),
        str![
            "machines/Big_Box: a machine's folder is named in lower-case letters, digits and dashes (e.g. intel-xeon-2vcpu, or one-cpu for a shape); rename it"
        ],
    );
    fixture.write("machines/big-box/outputs/ch01-01-gone.txt", "");
    assert_fails(
        &fixture,
        machine_folder_well_formed(
            &fixture.project(),
            Path::new("machines/big-box"),
        ),
        str![
            "machines/big-box/README.md: missing; say what the machine is (see machines/README.md)"
        ],
    );
    let listings = Listing::all(&fixture.project()).unwrap();
    assert_fails(
        &fixture,
        machine_output_listing(
            &listings,
            Path::new("machines/big-box/outputs/ch01-01-gone.txt"),
        ),
        str![
            "machines/big-box/outputs/ch01-01-gone.txt: no listing is named ch01-01-gone; delete the file (and say so in that machine's README.md), or rename it with the listing (`cargo book rename` does)"
        ],
    );
}

/// Not a failure: an output (or a title) that contains HTML is shown as text, never run.
#[test]
fn outputs_and_titles_are_html_escaped() {
    let fixture = Fixture::new();
    fixture.listing(
        HELLO,
        "title = \"Hello <b>bold</b> & co\"\nno_claims = \"a greeting\"\n",
        "<script>alert(1)</script> & <b>\n",
    );
    let site = LoadedBook::load(&fixture.project())
        .and_then(|mut book| {
            book.build_html(Some(&fixture.root().join("site")))
        })
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
fn fixture_with_a_pid(pattern: &str) -> Fixture {
    let fixture = Fixture::new();
    fixture.listing(
        HELLO,
        &format!(
            "title = \"Hello\"\nno_claims = \"a greeting\"\n\
             [vary]\nredact.PID = '{pattern}'\n"
        ),
        "pid 40\n",
    );
    fixture
}

#[test]
fn a_declared_variation_that_cannot_vary_names_the_sidecar_and_declaration() {
    let sound = fixture_with_a_pid("pid (?<redacted>\\d+)");
    check_variation(&sound.project(), &sound.listing_named(HELLO)).unwrap();
    // A pattern that matches only the book's PID absorbs no other PID.
    let narrow = fixture_with_a_pid("pid (?<redacted>40)");
    assert_fails(
        &narrow,
        check_variation(&narrow.project(), &narrow.listing_named(HELLO)),
        str![[r#"
listings/src/bin/ch01-01-hello.toml: its [vary] does not say exactly what varies in listings/output/ch01-01-hello.txt:
  redact.PID does not absorb another value of the same length in place of "40" on line 1 (tried ["51", "51", "41", "04"]); make its pattern match the values a run can print
  redact.PID does not absorb a number one digit longer in place of "40" on line 1 (tried ["140", "400"]); make its pattern match the values a run can print
  redact.PID does not absorb a number one digit shorter in place of "40" on line 1 (tried ["0"]); make its pattern match the values a run can print
"#]],
    );
}

#[test]
fn another_machine_output_that_differs_names_both_files() {
    let fixture = fixture_with_a_pid("pid (?<redacted>\\d+)");
    let theirs = "machines/other/outputs/ch01-01-hello.txt";
    fixture.write(
        theirs,
        &format!("$ cargo run -p listings --bin {HELLO}\npid 7\n"),
    );
    let listing = fixture.listing_named(HELLO);
    check_other_machine(&fixture.project(), &listing, Path::new(theirs))
        .unwrap();
    fixture.write(
        theirs,
        &format!("$ cargo run -p listings --bin {HELLO}\nppid 7\n"),
    );
    assert_fails(
        &fixture,
        check_other_machine(&fixture.project(), &listing, Path::new(theirs)),
        str![[r#"
machines/other/outputs/ch01-01-hello.txt does not match listings/output/ch01-01-hello.txt within what listings/src/bin/ch01-01-hello.toml declares:

--- Expected
++++ actual:   fresh run
   1      - pid [PID]
        1 + ppid [PID]



A line that depends on the machine (a cache size, a CPU model) is declared in [vary] with its `why`; a result that differs is a value judged by a claim, with a `why_not`; otherwise, if ch01-01-hello changed since that machine ran it, its output there is stale: delete machines/other/outputs/ch01-01-hello.txt (and say so in that machine's README.md)
"#]],
    );
    fixture.write(theirs, "ppid 7\n");
    assert_fails(
        &fixture,
        check_other_machine(&fixture.project(), &listing, Path::new(theirs)),
        str![
            "machines/other/outputs/ch01-01-hello.txt: does not start with `$ COMMAND`, as every output `cargo book compare` writes does; export that machine's run again, or delete the file"
        ],
    );
}

#[test]
fn a_line_too_wide_for_the_page_is_named() {
    let fixture = Fixture::new();
    lines_fit_their_columns(&fixture.project()).unwrap();
    fixture.output(
        HELLO,
        &format!("{}\n", "x".repeat(121)),
        "cargo run -p listings --bin ch01-01-hello",
    );
    assert_fails(
        &fixture,
        lines_fit_their_columns(&fixture.project()),
        str![[r#"
lines wider than the page shows (the PDF clips them):
  listings/output/ch01-01-hello.txt:2: 121 columns, over 120
Wrap code and comments by hand (rustfmt does not wrap them); shorten what a listing prints, then refresh its output with `cargo book refresh NAME`
"#]],
    );
}

#[test]
fn a_claim_failing_on_another_machine_without_why_not_is_named() {
    let fixture = fixture_with_a_claim(3);
    let theirs = "machines/other/outputs/ch01-01-hello.txt";
    fixture.write(
        theirs,
        &format!("$ cargo run -p listings --bin {HELLO}\ncount 1\n"),
    );
    assert_fails(
        &fixture,
        check_claims_elsewhere(
            &fixture.project(),
            &fixture.listing_named(HELLO),
            Path::new(theirs),
        ),
        str![[r#"
machines/other/outputs/ch01-01-hello.txt: claims of ch01-01-hello that fail there are not explained:
  claim above-two "the count is above two" does not hold: `count > 2` (count = 1): no `why_not` in listings/src/bin/ch01-01-hello.toml; say what about a machine makes it fail, or, if the claim says more than the book can promise, fix it and the sentence resting on it
  claim above-two "the count is above two" does not hold: `count > 2` (count = 1): say why it fails on this machine in machines/other/why-not.toml, under [ch01-01-hello]: above-two = "..."
"#]],
    );
    // Saying why it may fail is not enough: the machine says why it fails there.
    fixture.write(
        &format!("listings/src/bin/{HELLO}.toml"),
        "title = \"Hello\"\n[values]\ncount = 'count (?<v>\\d+)'\n\
         [[claims]]\nid = \"above-two\"\nholds = \"count > 2\"\n\
         says = \"the count is above two\"\nwhy_not = \"one CPU\"\n",
    );
    let check = || {
        check_claims_elsewhere(
            &fixture.project(),
            &fixture.listing_named(HELLO),
            Path::new(theirs),
        )
    };
    assert_fails(
        &fixture,
        check(),
        str![[r#"
machines/other/outputs/ch01-01-hello.txt: claims of ch01-01-hello that fail there are not explained:
  claim above-two "the count is above two" does not hold: `count > 2` (count = 1): say why it fails on this machine in machines/other/why-not.toml, under [ch01-01-hello]: above-two = "..."
"#]],
    );
    let why_not = "machines/other/why-not.toml";
    fixture.write(why_not, "[ch01-01-hello]\nabove-two = \"TO EXPLAIN\"\n");
    assert_fails(
        &fixture,
        check(),
        str![[r#"
machines/other/outputs/ch01-01-hello.txt: claims of ch01-01-hello that fail there are not explained:
  claim above-two: its entry in machines/other/why-not.toml is still to write: say why it fails on this machine, from what the output shows
"#]],
    );
    fixture.write(why_not, "[ch01-01-hello]\nabove-two = \"one CPU here\"\n");
    assert_eq!(check().unwrap(), (0, 1));
    // An entry for a claim that holds there, or that does not exist, is stale.
    fixture.write(
        theirs,
        &format!("$ cargo run -p listings --bin {HELLO}\ncount 3\n"),
    );
    assert_fails(
        &fixture,
        check(),
        str![[r#"
machines/other/outputs/ch01-01-hello.txt: claims of ch01-01-hello that fail there are not explained:
  claim above-two holds there: remove its entry from [ch01-01-hello] of machines/other/why-not.toml
"#]],
    );
    fixture.write(why_not, "[ch01-01-hello]\nno-such = \"x\"\n");
    assert_fails(
        &fixture,
        check(),
        str![[r#"
machines/other/outputs/ch01-01-hello.txt: claims of ch01-01-hello that fail there are not explained:
  machines/other/why-not.toml names a claim no-such that listings/src/bin/ch01-01-hello.toml does not have: fix the id or remove the entry
"#]],
    );
}

/// `cargo book rename`'s fixture: chapter 1 shows `ch01-01-hello` and `ch01-02-count`, and
/// names the second every way a book can: by directive, link, value, verdict, the Machines
/// appendix, another machine's output, a figure's source and the README.
fn fixture_to_rename() -> Fixture {
    let fixture = Fixture::new();
    fixture
        .listing(
            "ch01-02-count",
            "title = \"Count\"\nargs = [\"--to\", \"3\"]\n\
             [values]\ncount = 'count (?<v>\\d+)'\n\
             [[claims]]\nid = \"above-two\"\nholds = \"count > 2\"\nsays = \"above two\"\n",
            "count 3\n",
        )
        .chapters(&[
            (
                "ch01-one.md",
                "# One\n\n{{#listing ch01-01-hello}}\n\n{{#listing ch01-02-count:all}}\n\n\
                 As [Listing 1.2](#listing-ch01-02-count) counts, \
                 {{#verdict ch01-02-count/above-two}}it counts past two{{/verdict}} \
                 ({{#value ch01-02-count count}}). Listing 1.2 is short.\n\n\
                 {{#include ../listings/src/bin/ch01-02-count.rs:all}}\n",
            ),
            ("machines.md", "# Machines\n\n{{#machines ch01-02-count/count}}\n"),
        ])
        .write(
            "machines/other/outputs/ch01-02-count.txt",
            "$ cargo run -p listings --bin ch01-02-count -- --to 3\ncount 3\n",
        )
        .write("machines/other/README.md", "# other\n\nRan ch01-02-count.\n")
        .write(
            "figures/src/bin/ch01-counts.rs",
            "fn main() {\n    let _ = figures::stored_output(\"ch01-02-count\");\n}\n",
        )
        .write("README.md", "Run `cargo run -p listings --bin ch01-02-count`.\n");
    fixture.check_chapters().unwrap();
    fixture
}

#[test]
fn rename_moves_a_listing_and_every_mention_of_it_without_running_it() {
    let fixture = fixture_to_rename();
    let done = machinery::rename::rename(
        &fixture.project(),
        "ch01-02-count",
        "ch01-03-count",
    )
    .unwrap();
    let moved: Vec<String> = done
        .moved
        .iter()
        .map(|(from, to)| format!("{} -> {}", from.display(), to.display()))
        .collect();
    let rewritten: Vec<String> = done
        .rewritten
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_text(
        &fixture,
        format!(
            "moved:\n{}\nrewritten:\n{}\nnotes:\n{}\n",
            moved.join("\n"),
            rewritten.join("\n"),
            done.notes.join("\n")
        ),
        str![[r#"
moved:
listings/src/bin/ch01-02-count.rs -> listings/src/bin/ch01-03-count.rs
listings/src/bin/ch01-02-count.toml -> listings/src/bin/ch01-03-count.toml
listings/output/ch01-02-count.txt -> listings/output/ch01-03-count.txt
machines/other/outputs/ch01-02-count.txt -> machines/other/outputs/ch01-03-count.txt
rewritten:
README.md
figures/src/bin/ch01-counts.rs
machines/other/README.md
src/ch01-one.md
src/machines.md
notes:
src/ch01-one.md:7: says "Listing 1.2" in its text: if it means the renamed listing, update the number

"#]],
    );
    assert_text(
        &fixture,
        fixture.read("src/ch01-one.md"),
        str![[r#"
# One

{{#listing ch01-01-hello}}

{{#listing ch01-03-count:all}}

As [Listing 1.3](#listing-ch01-03-count) counts, {{#verdict ch01-03-count/above-two}}it counts past two{{/verdict}} ({{#value ch01-03-count count}}). Listing 1.2 is short.

{{#include ../listings/src/bin/ch01-03-count.rs:all}}

"#]],
    );
    assert_text(
        &fixture,
        fixture.read("listings/output/ch01-03-count.txt"),
        str![[r#"
$ cargo run -p listings --bin ch01-03-count -- --to 3
count 3

"#]],
    );
    assert_text(
        &fixture,
        fixture.read("machines/other/outputs/ch01-03-count.txt"),
        str![[r#"
$ cargo run -p listings --bin ch01-03-count -- --to 3
count 3

"#]],
    );
    for (file, mention) in [
        ("src/machines.md", "{{#machines ch01-03-count/count}}"),
        ("machines/other/README.md", "Ran ch01-03-count."),
        (
            "figures/src/bin/ch01-counts.rs",
            "stored_output(\"ch01-03-count\")",
        ),
        ("README.md", "--bin ch01-03-count`"),
    ] {
        assert!(fixture.read(file).contains(mention), "{file}");
    }
    // Nothing ran, and every check passes on the renamed listing.
    fixture.check_chapters().unwrap();
    fixture.check_claims("ch01-03-count").unwrap();
    check_verdicts(&fixture.project()).unwrap();
    let listing = fixture.listing_named("ch01-03-count");
    check_other_machine(
        &fixture.project(),
        &listing,
        Path::new("machines/other/outputs/ch01-03-count.txt"),
    )
    .unwrap();
    fixture.program("ch01-03-count", "echo count 3");
    fixture.check_listing("ch01-03-count").unwrap();
}

#[test]
fn rename_refuses_an_unknown_listing_a_taken_name_and_a_stale_output() {
    let fixture = fixture_to_rename();
    let rename = |old, new| {
        machinery::rename::rename(&fixture.project(), old, new).map(drop)
    };
    assert_fails(
        &fixture,
        rename("ch01-02-cuont", "ch01-03-count"),
        str![[
            r#"no listing named "ch01-02-cuont": a listing is listings/src/bin/NAME.rs or listings/compile-fail/NAME.rs, with its NAME.toml; did you mean ch01-02-count?"#
        ]],
    );
    assert_fails(
        &fixture,
        rename("ch01-02-count", "ch01-01-hello"),
        str![
            "listings/src/bin/ch01-01-hello.rs: already exists, so ch01-01-hello is taken; choose another name, or rename that listing first (renumbering a chapter goes from its last listing to its first)"
        ],
    );
    assert_fails(
        &fixture,
        rename("ch01-02-count", "count"),
        str![[
            r#""count" is not a listing's name: chNN-MM-short-name or chNN-exMM-short-name (lowercase, digits and dashes); choose another"#
        ]],
    );
    fixture.output(
        "ch01-02-count",
        "count 3\n",
        "cargo run -p listings --bin ch01-02-count",
    );
    assert_fails(
        &fixture,
        rename("ch01-02-count", "ch01-03-count"),
        str![
            "listings/output/ch01-02-count.txt: made with `cargo run -p listings --bin ch01-02-count`, but the book now runs `cargo run -p listings --bin ch01-02-count -- --to 3`: it is stale, and a rename would present it as current. Refresh it first (`cargo book refresh ch01-02-count`; for another machine's output, delete it and say so in that machine's README.md)"
        ],
    );
    // Nothing was written.
    fixture.read("listings/src/bin/ch01-02-count.rs");
    assert!(
        fixture
            .read("src/ch01-one.md")
            .contains("ch01-02-count:all")
    );
}

/// A quiz file for the sound fixture: one question about `ch01-01-hello`, its right answer
/// `right`, its wrong one `wrong` (each a choice's markdown).
fn quiz_about_hello(right: &str, wrong: &str) -> String {
    format!(
        "[[questions]]\nid = \"what-it-prints\"\ntype = \"MultipleChoice\"\n\
         prompt.prompt = \"What does Listing 1.1 print?\"\nanswer.answer = {right:?}\n\
         prompt.distractors = [{wrong:?}]\nwhy = [\"It prints its greeting.\"]\n\
         evidence.output = \"{HELLO}\"\n"
    )
}

/// The fixture with a quiz placed after its listing.
fn fixture_with_quiz(quiz: &str) -> Fixture {
    let fixture = Fixture::new();
    fixture
        .chapters(&[(
            "ch01-one.md",
            "# One\n\n{{#listing ch01-01-hello}}\n\n{{#quiz ch01/what-it-prints}}\n",
        )])
        .write("src/quizzes/ch01.toml", quiz);
    fixture
}

/// Checks every quiz of the fixture against its evidence, as the book test does.
fn check_quizzes(fixture: &Fixture) -> anyhow::Result<()> {
    machinery::quiz::check_all(&fixture.project())
}

#[test]
fn a_quiz_whose_evidence_decides_it_passes() {
    let fixture = fixture_with_quiz(&quiz_about_hello(
        "```text\nhello\n```",
        "```text\nhello\nhello\n```",
    ));
    check_quizzes(&fixture).unwrap();
    fixture.check_chapters().unwrap();
}

#[test]
fn a_quiz_its_evidence_contradicts_names_the_file_and_question() {
    // The answer is an output the listing does not print, and the wrong choice the one it
    // does: the stored output under the listing's [vary] decides, and says so.
    let fixture = fixture_with_quiz(&quiz_about_hello("`goodbye`", "`hello`"));
    assert_fails(
        &fixture,
        check_quizzes(&fixture),
        str![[
            r#"src/quizzes/ch01.toml: question what-it-prints: the right answer "`goodbye`" is rejected by the evidence; the wrong choice "`hello`" is accepted by the evidence; the evidence (listings/output/ch01-01-hello.txt) does not decide the question the way it says: make each right choice one the evidence accepts and each wrong choice one it rejects, or name other evidence"#
        ]],
    );
}

#[test]
fn a_quiz_without_a_why_or_evidence_names_the_file_and_question() {
    let no_why = quiz_about_hello("`hello`", "`goodbye`")
        .replace("why = [\"It prints its greeting.\"]\n", "");
    let fixture = fixture_with_quiz(&no_why);
    assert_fails(
        &fixture,
        check_quizzes(&fixture),
        str![
            "src/quizzes/ch01.toml: question 1 (id what-it-prints): 1 wrong choices (prompt.distractors) but 0 `why`: explain every wrong choice, in the order of prompt.distractors"
        ],
    );
    let no_evidence = quiz_about_hello("`hello`", "`goodbye`")
        .replace(&format!("evidence.output = \"{HELLO}\"\n"), "");
    let fixture = fixture_with_quiz(&no_evidence);
    assert_fails(
        &fixture,
        check_quizzes(&fixture),
        str![[
            r#"src/quizzes/ch01.toml: question 1 (id what-it-prints): no `evidence`: say what decides the answer (CONTRIBUTING.md, "Quizzes")"#
        ]],
    );
}

#[test]
fn a_quiz_placed_nowhere_or_before_its_listing_names_it() {
    let fixture = fixture_with_quiz(&quiz_about_hello("`hello`", "`goodbye`"));
    fixture
        .chapters(&[("ch01-one.md", "# One\n\n{{#listing ch01-01-hello}}\n")]);
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![
            "preprocessing the book failed: src/quizzes/ch01.toml: question what-it-prints is placed nowhere: add {{#quiz ch01/what-it-prints}} to its chapter, after the listing it asks about"
        ],
    );
    fixture.chapters(&[(
        "ch01-one.md",
        "# One\n\n{{#quiz ch01/what-it-prints}}\n\n{{#listing ch01-01-hello}}\n",
    )]);
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![
            "preprocessing the book failed: src/ch01-one.md:3: {{#quiz ch01/what-it-prints}} asks about ch01-01-hello, which this chapter has not shown yet: place the question after {{#listing ch01-01-hello}}"
        ],
    );
}

#[test]
fn rustc_and_model_evidence_judge_each_choice() {
    // A compile-fail listing: each choice names an error code, right if rustc's stored error
    // has it. A model twin: each choice is an outcome, right if the allowed set holds it.
    let fixture = Fixture::new();
    fixture
        .write("listings/compile-fail/ch01-02-bad.rs", "fn main() { x }\n")
        .write("listings/compile-fail/ch01-02-bad.toml", "title = \"Bad\"\n")
        .output(
            "ch01-02-bad",
            "error[E0425]: cannot find value `x` in this scope\n",
            "cd listings/compile-fail && rustc --edition 2024 ch01-02-bad.rs",
        )
        .listing(
            "ch01-03-model",
            "title = \"Model\"\nno_claims = \"a set\"\n",
            "Relaxed   {(0, 1), (1, 0)}\n",
        )
        .write(
            "src/quizzes/ch01.toml",
            "[[questions]]\nid = \"why-not\"\ntype = \"MultipleChoice\"\n\
             prompt.prompt = \"Why does it not compile?\"\n\
             answer.answer = \"`E0308`: mismatched types\"\n\
             prompt.distractors = [\"`E0425`: no `x` in scope\"]\n\
             why = [\"There is an `x`.\"]\nevidence.rustc = \"ch01-02-bad\"\n\n\
             [[questions]]\nid = \"outcomes\"\ntype = \"MultipleChoice\"\n\
             prompt.prompt = \"Which outcomes are allowed?\"\n\
             answer.answer = [\"`(0, 1)`\", \"`(0, 0)`\"]\n\
             prompt.distractors = [\"`(1, 0)`\"]\n\
             why = [\"Forbidden.\"]\nevidence.model = \"ch01-03-model/Relaxed\"\n",
        );
    assert_fails(
        &fixture,
        check_quizzes(&fixture),
        str![[r#"
src/quizzes/ch01.toml: question why-not: the wrong choice "`E0425`: no `x` in scope" is accepted by the evidence; the right answer "`E0308`: mismatched types" is rejected by the evidence; the evidence (listings/output/ch01-02-bad.txt) does not decide the question the way it says: make each right choice one the evidence accepts and each wrong choice one it rejects, or name other evidence
src/quizzes/ch01.toml: question outcomes: the right answer "`(0, 0)`" is rejected by the evidence; the wrong choice "`(1, 0)`" is accepted by the evidence; the evidence (listings/output/ch01-03-model.txt) does not decide the question the way it says: make each right choice one the evidence accepts and each wrong choice one it rejects, or name other evidence
"#]],
    );
}

#[test]
fn a_quiz_reveals_the_stored_output_the_readers_run_and_is_answered_in_the_appendix()
 {
    let fixture = fixture_with_quiz(&quiz_about_hello(
        "```text\nhello\n```",
        "```text\nhello\nhello\n```",
    ));
    fixture.chapters(&[
        (
            "ch01-one.md",
            "# One\n\n{{#listing ch01-01-hello}}\n\n{{#quiz ch01/what-it-prints}}\n",
        ),
        ("answers.md", "# Answers\n\n{{#quiz_answers}}\n"),
    ]);
    let mine = fixture.root().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(
        mine.join(format!("{HELLO}.txt")),
        format!(
            "$ cargo run -p listings --bin {HELLO}\nhello from your machine\n"
        ),
    )
    .unwrap();
    let site = LoadedBook::load_with_mine(&fixture.project(), Some(&mine))
        .and_then(|mut book| {
            book.build_html(Some(&fixture.root().join("site")))
        })
        .unwrap();
    let page = std::fs::read_to_string(site.join("ch01-one.html")).unwrap();
    for part in [
        "<section class=\"quiz\" id=\"quiz-ch01-what-it-prints\"",
        "<h4 class=\"quiz-title\" id=\"quiz-ch01-what-it-prints-title\">Quiz 1.1</h4>",
        "data-right=\"false\"",
        "<div class=\"quiz-why\" hidden",
        "The book's run: $ cargo run -p listings --bin ch01-01-hello",
        "hello from your machine",
        "<section class=\"quiz-print\">",
    ] {
        assert!(page.contains(part), "{part:?} is not in the page:\n{page}");
    }
    let answers = std::fs::read_to_string(site.join("answers.html")).unwrap();
    for part in [
        "<h3>Quiz 1.1</h3>",
        "<strong>Right: </strong>",
        "<strong>Wrong: </strong>",
        "It prints its greeting.",
        "Checked against ch01-01-hello",
    ] {
        assert!(
            answers.contains(part),
            "{part:?} is not in the appendix:\n{answers}"
        );
    }
}

/// The model twin of the litmus fixture: per case, the set of outcomes loom found.
const MODEL: &str = "ch01-02-model-sb";
/// The litmus fixture: per case, how often each outcome was observed.
const LITMUS: &str = "ch01-03-litmus-sb";

/// The litmus listing's sidecar: its model, the case the model cannot check, and why each
/// allowed outcome the stored run did not see may go unseen.
const LITMUS_SIDECAR: &str = "title = \"Store buffering, many rounds\"\n\
     [outcomes]\nmodel = \"ch01-02-model-sb\"\n\
     unchecked = { SeqCst = \"loom 0.7 reports (0, 0) for SeqCst (tokio-rs/loom#180)\" }\n\
     [[outcomes.unseen]]\ncase = \"Relaxed\"\noutcome = \"(1, 1)\"\n\
     why = \"both loads after both stores: the threads rarely overlap\"\n\
     [[outcomes.unseen]]\ncase = \"Fenced\"\noutcome = \"(1, 1)\"\n\
     why = \"both loads after both stores: the threads rarely overlap\"\n";

/// One case as a litmus listing prints it: the header, then each outcome with its count.
fn litmus_case(label: &str, counts: [(&str, u64); 4]) -> String {
    facts::outcomes::observed_lines(
        label,
        counts.iter().map(|(_, n)| n).sum(),
        counts,
    ) + "\n"
}

/// A book with a model twin and a litmus listing, whose chapter shows the litmus listing's
/// panel; `fenced_zero` is how often the stored run saw (0, 0) with fences, which the model
/// forbids.
fn fixture_with_outcomes(fenced_zero: u64) -> Fixture {
    let fixture = Fixture::new();
    let all = ["(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)"];
    fixture
        .chapters(&[(
            "ch01-one.md",
            &format!(
                "# One\n\n{{{{#listing {HELLO}}}}}\n\n{{{{#listing {MODEL}}}}}\n\n\
                 {{{{#listing {LITMUS}}}}}\n\n{{{{#outcomes {LITMUS}}}}}\n\n\
                 Every outcome {{{{#verdict {LITMUS}/observed-allowed}}}}is allowed\
                 {{{{/verdict}}}}.\n"
            ),
        )])
        .listing(
            MODEL,
            "title = \"Store buffering, every execution\"\nno_claims = \"a model\"\n",
            &format!(
                "one round; in every execution:\n{}\n  210 executions\n{}\n",
                facts::outcomes::allowed_line("Relaxed", 8, all),
                facts::outcomes::allowed_line("Fenced", 8, &all[1..]),
            ),
        )
        .listing(
            LITMUS,
            LITMUS_SIDECAR,
            &format!(
                "machine: 2 logical CPUs, x86_64\n{}{}{}",
                litmus_case(
                    "Relaxed",
                    [("(0, 0)", 12), ("(0, 1)", 40), ("(1, 0)", 48), ("(1, 1)", 0)]
                ),
                litmus_case(
                    "Fenced",
                    [("(0, 0)", fenced_zero), ("(0, 1)", 50), ("(1, 0)", 50), ("(1, 1)", 0)]
                ),
                litmus_case(
                    "SeqCst",
                    [("(0, 0)", 0), ("(0, 1)", 50), ("(1, 0)", 50), ("(1, 1)", 0)]
                ),
            ),
        );
    fixture
}

/// Not a failure: a litmus listing in step with its model gets the claim `observed-allowed`,
/// which holds, and a panel of possible outcomes, shown with the reader's counts beside the
/// book's under `serve --mine`.
#[test]
fn a_litmus_listing_in_step_with_its_model_has_its_panel() {
    let fixture = fixture_with_outcomes(0);
    check_outcomes(&fixture.project(), &fixture.listing_named(LITMUS)).unwrap();
    fixture.check_claims(LITMUS).unwrap();
    check_verdicts(&fixture.project()).unwrap();
    let page =
        |mine: Option<&Path>, dest: &str| fixture.chapter_page(mine, dest);
    let book = page(None, "site");
    for part in [
        "<figure class=\"outcomes\" id=\"outcomes-ch01-03-litmus-sb\">",
        "Possible outcomes of Listing 1.3",
        "Allowed by the model (Listing 1.2)",
        "Relaxed: 100 rounds on the book's run<span class=\"outcomes-effort\">; the model: 210 executions</span>",
        "not model-checked: loom 0.7 reports (0, 0) for SeqCst",
        "<td class=\"outcome-allowed\">no — in no execution loom explored</td>",
        "both loads after both stores: the threads rarely overlap",
        "not how often an outcome happens",
        "href=\"ch06-multithreading.html#every-possible-outcome-model-checked\"",
        "The book's run: 2 logical CPUs, x86_64.",
        "every outcome observed is one that the model (Listing 1.2) allows",
        "not_allowed = none",
    ] {
        assert!(book.contains(part), "{part:?} is not in the page:\n{book}");
    }
    let mine = fixture.root().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(
        mine.join(format!("{LITMUS}.txt")),
        format!(
            "$ cargo run -p listings --bin {LITMUS}\n{}{}",
            litmus_case(
                "Relaxed",
                [("(0, 0)", 1), ("(0, 1)", 4), ("(1, 0)", 4), ("(1, 1)", 1)]
            ),
            litmus_case(
                "Fenced",
                [("(0, 0)", 2), ("(0, 1)", 4), ("(1, 0)", 4), ("(1, 1)", 0)]
            ),
        ),
    )
    .unwrap();
    let yours = page(Some(&mine), "site-mine");
    for part in [
        "Observed on your run",
        "Relaxed: 100 rounds on the book's run, 10 rounds on yours",
        "1 (allowed: the book's run did not see it)",
        "<tr class=\"outcome forbidden fails\">",
        "Your run observed outcomes no execution of the model reached: (0, 0) in Fenced",
        "not_allowed = (0, 0) in Fenced, 2 of 10 rounds",
    ] {
        assert!(
            yours.contains(part),
            "{part:?} is not in the page:\n{yours}"
        );
    }
}

#[test]
fn an_observed_outcome_the_model_forbids_fails_the_claim_naming_case_and_outcome()
 {
    let fixture = fixture_with_outcomes(3);
    assert_fails(
        &fixture,
        fixture.check_claims(LITMUS),
        str![[r#"
listings/output/ch01-03-litmus-sb.txt: the stored output of ch01-03-litmus-sb no longer supports what the book says:
  claim "every outcome observed is one that the model (Listing 1.2) allows" does not hold: `not_allowed == []` (not_allowed = (0, 0) in Fenced, 3 of 103 rounds)
If the output is right, fix the sentence in the chapter and the claim in listings/src/bin/ch01-03-litmus-sb.toml; if the run was disturbed, refresh it on a quiet machine with `cargo book refresh ch01-03-litmus-sb`
"#]],
    );
}

#[test]
fn a_case_the_model_does_not_check_needs_its_reason() {
    let fixture = fixture_with_outcomes(0);
    fixture.write(
        &format!("listings/src/bin/{LITMUS}.toml"),
        &LITMUS_SIDECAR.replace(
            "unchecked = { SeqCst = \"loom 0.7 reports (0, 0) for SeqCst (tokio-rs/loom#180)\" }\n",
            "",
        ),
    );
    assert_fails(
        &fixture,
        check_outcomes(&fixture.project(), &fixture.listing_named(LITMUS)),
        str![[r#"
ch01-03-litmus-sb and its model ch01-02-model-sb are out of step:
  case "SeqCst" of listings/output/ch01-03-litmus-sb.txt has no case in the model ch01-02-model-sb (its cases: Fenced, Relaxed); spell the label the same in both listings, add the case to the model, or say why it cannot be model-checked in listings/src/bin/ch01-03-litmus-sb.toml: `unchecked = { "SeqCst" = "..." }` under [outcomes]
"#]],
    );
    let message = format!("{:#}", fixture.check_claims(LITMUS).unwrap_err());
    assert!(
        message.starts_with("ch01-03-litmus-sb and its model"),
        "{message}"
    );
}

#[test]
fn outcomes_spelled_apart_from_the_models_are_named() {
    let fixture = fixture_with_outcomes(0);
    let stored = fixture.read(&format!("listings/output/{LITMUS}.txt"));
    fixture.output(
        LITMUS,
        &stored
            .split_once('\n')
            .unwrap()
            .1
            .replace("(0, 1)", "(0,1)"),
        &format!("cargo run -p listings --bin {LITMUS}"),
    );
    assert_fails(
        &fixture,
        check_outcomes(&fixture.project(), &fixture.listing_named(LITMUS)),
        str![[r#"
ch01-03-litmus-sb and its model ch01-02-model-sb are out of step:
  case "Relaxed": listings/output/ch01-03-litmus-sb.txt does not print (0, 1), which the model ch01-02-model-sb allows ({(0, 0), (0, 1), (1, 0), (1, 1)}); the litmus listing must print every outcome its model allows, with 0 when unseen, spelled as the model spells it
  case "Fenced": listings/output/ch01-03-litmus-sb.txt does not print (0, 1), which the model ch01-02-model-sb allows ({(0, 1), (1, 0), (1, 1)}); the litmus listing must print every outcome its model allows, with 0 when unseen, spelled as the model spells it
"#]],
    );
}

#[test]
fn an_allowed_outcome_never_seen_needs_its_why() {
    let fixture = fixture_with_outcomes(0);
    let (kept, _) = LITMUS_SIDECAR
        .split_once("[[outcomes.unseen]]\ncase = \"Fenced\"")
        .unwrap();
    fixture.write(
        &format!("listings/src/bin/{LITMUS}.toml"),
        &format!(
            "{kept}[[outcomes.unseen]]\ncase = \"Fenced\"\noutcome = \"(0, 0)\"\nwhy = \"\"\n"
        ),
    );
    assert_fails(
        &fixture,
        check_outcomes(&fixture.project(), &fixture.listing_named(LITMUS)),
        str![[r#"
ch01-03-litmus-sb and its model ch01-02-model-sb are out of step:
  case "Fenced": the stored run never saw (1, 1), which the model ch01-02-model-sb allows; say why a run may not see it in listings/src/bin/ch01-03-litmus-sb.toml: [[outcomes.unseen]] case = "Fenced", outcome = "(1, 1)", why = "..." (x86 is TSO, one CPU, too few rounds...)
  listings/src/bin/ch01-03-litmus-sb.toml: [[outcomes.unseen]] case = "Fenced", outcome = "(0, 0)" names no outcome the model ch01-02-model-sb allows in a case listings/output/ch01-03-litmus-sb.txt prints (an outcome the model forbids needs no reason to go unseen); fix it or remove the entry
"#]],
    );
}

#[test]
fn a_panel_of_a_listing_without_outcomes_names_the_chapter_and_line() {
    let fixture = fixture_with_outcomes(0);
    fixture.chapters(&[(
        "ch01-one.md",
        &format!(
            "# One\n\n{{{{#listing {HELLO}}}}}\n\n{{{{#outcomes {HELLO}}}}}\n\n\
             {{{{#outcomes}}}}\n"
        ),
    )]);
    assert_fails(
        &fixture,
        fixture.check_chapters(),
        str![[r#"
preprocessing the book failed: src/ch01-one.md:5: {{#outcomes ch01-01-hello}}: listings/src/bin/ch01-01-hello.toml has no [outcomes] table: only a litmus listing, whose sidecar names its model twin (`[outcomes] model = "chNN-MM-model-NAME"`), has a panel of possible outcomes (CONTRIBUTING.md, "Every possible outcome")
src/ch01-one.md:7: write {{#outcomes LISTING}}, the name of one litmus listing
"#]],
    );
}

#[test]
fn an_outcome_the_model_forbids_on_another_machine_is_a_finding_not_a_difference()
 {
    let fixture = fixture_with_outcomes(0);
    let theirs = format!("machines/other/outputs/{LITMUS}.txt");
    let stored = fixture.read(&format!("listings/output/{LITMUS}.txt"));
    let fenced = litmus_case(
        "Fenced",
        [("(0, 0)", 0), ("(0, 1)", 50), ("(1, 0)", 50), ("(1, 1)", 0)],
    );
    assert!(stored.contains(&fenced));
    let seen = litmus_case(
        "Fenced",
        [("(0, 0)", 1), ("(0, 1)", 49), ("(1, 0)", 50), ("(1, 1)", 0)],
    );
    fixture.write(&theirs, &stored.replace(&fenced, &seen));
    fixture.write(
        "machines/other/why-not.toml",
        "[ch01-03-litmus-sb]\nobserved-allowed = \"an ARM machine\"\n",
    );
    assert_fails(
        &fixture,
        check_claims_elsewhere(
            &fixture.project(),
            &fixture.listing_named(LITMUS),
            Path::new(&theirs),
        ),
        str![[r#"
machines/other/outputs/ch01-03-litmus-sb.txt: claims of ch01-03-litmus-sb that fail there are not explained:
  claim observed-allowed "every outcome observed is one that the model (Listing 1.2) allows" does not hold: `not_allowed == []` (not_allowed = (0, 0) in Fenced, 1 of 100 rounds): this machine observed an outcome the model forbids, a finding and not a difference of machines (no `why-not.toml` entry explains it): the model twin misses what the litmus listing does, or loom misses what the hardware does; fix the twin, or the set the text states
"#]],
    );
}

#[test]
fn a_litmus_listing_whose_panel_is_shown_nowhere_or_twice_is_named() {
    let fixture = fixture_with_outcomes(0);
    listings_shown_once(&fixture.project()).unwrap();
    let chapter = fixture.read("src/ch01-one.md");
    let panel = format!("{{{{#outcomes {LITMUS}}}}}\n\n");
    fixture.write("src/ch01-one.md", &chapter.replace(&panel, ""));
    assert_fails(
        &fixture,
        listings_shown_once(&fixture.project()),
        str![
            "listings/src/bin/ch01-03-litmus-sb.toml has [outcomes], but its panel of possible outcomes is shown in no chapter: add `{{#outcomes ch01-03-litmus-sb}}` after its listing"
        ],
    );
    fixture.write("src/ch01-one.md", &format!("{chapter}\n{panel}"));
    assert_fails(
        &fixture,
        listings_shown_once(&fixture.project()),
        str![
            "the panel of possible outcomes of ch01-03-litmus-sb is shown 2 times (src/ch01-one.md:9, src/ch01-one.md:13); show it once"
        ],
    );
}

/// Not a failure: renaming a model twin rewrites the `model` of the litmus listing's
/// sidecar, and renaming a litmus listing its `{{#outcomes}}`; the two stay in step.
#[test]
fn rename_keeps_a_litmus_listing_and_its_model_together() {
    let fixture = fixture_with_outcomes(0);
    let rename = |old, new| {
        machinery::rename::rename(&fixture.project(), old, new).unwrap();
    };
    rename(MODEL, "ch01-02-model-store");
    rename(LITMUS, "ch01-03-litmus-store");
    assert!(
        fixture
            .read("listings/src/bin/ch01-03-litmus-store.toml")
            .contains("model = \"ch01-02-model-store\"")
    );
    assert!(
        fixture
            .read("src/ch01-one.md")
            .contains("{{#outcomes ch01-03-litmus-store}}")
    );
    let litmus = fixture.listing_named("ch01-03-litmus-store");
    check_outcomes(&fixture.project(), &litmus).unwrap();
    fixture.check_claims("ch01-03-litmus-store").unwrap();
    fixture.check_chapters().unwrap();
}

/// The fixture whose listing prints `count 3` (its value `count`), with a quiz about it.
fn fixture_with_a_count_quiz(quiz: &str) -> Fixture {
    let fixture = fixture_with_a_claim(3);
    fixture
        .chapters(&[(
            "ch01-one.md",
            "# One\n\n{{#listing ch01-01-hello}}\n\n{{#quiz ch01/how-many}}\n",
        )])
        .write("src/quizzes/ch01.toml", quiz);
    fixture
}

/// A `values` question about the count, with one expression per choice.
fn count_question(holds: [&str; 3]) -> String {
    format!(
        "[[questions]]\nid = \"how-many\"\ntype = \"MultipleChoice\"\n\
         prompt.prompt = \"How many?\"\nanswer.answer = \"More than two.\"\n\
         prompt.distractors = [\"Two at most.\", \"None.\"]\n\
         why = [\"It counts three.\", \"It counts three.\"]\n\
         evidence.values = \"{HELLO}\"\nevidence.holds = {holds:?}\n"
    )
}

#[test]
fn a_holds_that_reads_no_value_or_repeats_another_is_refused() {
    let fixture = fixture_with_a_count_quiz(&count_question([
        "count > 2.0",
        "count <= 2.0",
        "count == 0.0",
    ]));
    check_quizzes(&fixture).unwrap();
    // A constant fails whatever the run printed: it decides nothing.
    let fixture = fixture_with_a_count_quiz(&count_question([
        "count > 2.0",
        "count <= 2.0",
        "1 == 2",
    ]));
    assert_fails(
        &fixture,
        check_quizzes(&fixture),
        str![[r#"
src/quizzes/ch01.toml: question how-many: evidence.holds "1 == 2" names none of the values of ch01-01-hello (count): an expression that reads nothing the run printed does not let the run decide its choice; the evidence (listings/output/ch01-01-hello.txt) does not decide the question the way it says: make each right choice one the evidence accepts and each wrong choice one it rejects, or name other evidence
"#]],
    );
    // Two choices that say different things cannot be decided by the same expression.
    let fixture = fixture_with_a_count_quiz(&count_question([
        "count > 2.0",
        "count <= 2.0",
        "count  <= 2.0",
    ]));
    assert_fails(
        &fixture,
        check_quizzes(&fixture),
        str![[r#"
src/quizzes/ch01.toml: question 1 (id how-many): two choices have the same evidence.holds "count  <= 2.0": an expression must say what its own choice says, so two choices that say different things differ in what the evidence must show
"#]],
    );
}

#[test]
fn a_short_answer_alternative_must_spell_what_the_evidence_reads() {
    let quiz = |alternatives: &str| {
        format!(
            "[[questions]]\nid = \"how-many\"\ntype = \"ShortAnswer\"\n\
             prompt.prompt = \"How many?\"\nanswer.answer = \"3\"\n\
             answer.alternatives = {alternatives}\n\
             evidence.value = \"{HELLO}/count\"\n"
        )
    };
    let fixture = fixture_with_a_count_quiz(&quiz(r#"["three", "`Thrice`"]"#));
    check_quizzes(&fixture).unwrap();
    let fixture = fixture_with_a_count_quiz(&quiz(r#"["three", "four"]"#));
    assert_fails(
        &fixture,
        check_quizzes(&fixture),
        str![[r#"
src/quizzes/ch01.toml: question how-many: the alternative "four" is not a spelling of what the evidence reads ("3"): an alternative is the same answer written otherwise (`SIGABRT`: `ABRT`; `1`: `one`, `once`), as quiz.js compares it (trimmed, without backticks, in lower case); the evidence (listings/output/ch01-01-hello.txt) does not decide the question the way it says: make each right choice one the evidence accepts and each wrong choice one it rejects, or name other evidence
"#]],
    );
}

#[test]
fn an_output_choice_the_matcher_accepts_is_still_judged_by_the_claims() {
    // The two lines may come in either order as far as [vary] says, but a claim says that
    // message 1 comes first: the swapped output is a wrong choice the claim rejects, and a
    // right answer that broke the claim would be refused.
    let fixture = Fixture::new();
    fixture.listing(
        HELLO,
        "title = \"Hello\"\n[vary]\nunordered = ['^message']\n\
         [values]\norder = { pattern = '(?<v>message \\d)', all = true }\n\
         [[claims]]\nid = \"in-order\"\nholds = 'order[0] == \"message 1\"'\n\
         says = \"message 1 comes first\"\n",
        "message 1\nmessage 2\n",
    );
    let quiz = |right: &str, wrong: &str| {
        fixture
            .chapters(&[(
                "ch01-one.md",
                "# One\n\n{{#listing ch01-01-hello}}\n\n{{#quiz ch01/what-it-prints}}\n",
            )])
            .write("src/quizzes/ch01.toml", &quiz_about_hello(right, wrong));
    };
    quiz(
        "```text\nmessage 1\nmessage 2\n```",
        "```text\nmessage 2\nmessage 1\n```",
    );
    check_quizzes(&fixture).unwrap();
    quiz(
        "```text\nmessage 2\nmessage 1\n```",
        "```text\nmessage 1\n```",
    );
    assert_fails(
        &fixture,
        check_quizzes(&fixture),
        str![[
            r#"src/quizzes/ch01.toml: question what-it-prints: the right answer "```text\nmessage 2\nmessage 1\n```" is rejected by the evidence; the evidence (listings/output/ch01-01-hello.txt) does not decide the question the way it says: make each right choice one the evidence accepts and each wrong choice one it rejects, or name other evidence"#
        ]],
    );
}
