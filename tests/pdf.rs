//! `cargo book pdf`: the book printed through headless Chromium has one top-level outline
//! entry (PDF bookmark) per chapter, each titled as the chapter's heading, in the book's
//! order. Skipped, loudly, where Chromium is missing (outside CI), like the browser tests.

use machinery::Project;
use machinery::book::LoadedBook;

#[test]
fn the_pdf_has_one_outline_entry_per_chapter() {
    if !std::path::Path::new(machinery::pdf::CHROMIUM).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs Chromium to print the book"
        );
        eprintln!(
            "\n*** PDF TEST SKIPPED: no {} ***\n",
            machinery::pdf::CHROMIUM
        );
        return;
    }
    let project = Project::find().unwrap();
    let pdf = std::env::temp_dir()
        .join(format!("book-pdf-test-{}.pdf", std::process::id()));
    machinery::pdf::print(&project, &pdf).unwrap();
    let document = lopdf::Document::load(&pdf);
    let _ = std::fs::remove_file(&pdf);
    let toc = document.unwrap().get_toc().unwrap();

    let outline: Vec<&str> = toc
        .toc
        .iter()
        .filter(|entry| entry.level == 1)
        .map(|entry| entry.title.as_str())
        .collect();
    // Each chapter's title: the text of its first `# ` heading.
    let chapters: Vec<String> = LoadedBook::load(&project)
        .unwrap()
        .chapters()
        .unwrap()
        .iter()
        .filter_map(|chapter| {
            chapter.source.lines().find_map(|line| {
                line.strip_prefix("# ").map(|t| t.trim().to_owned())
            })
        })
        .collect();
    assert_eq!(
        outline, chapters,
        "the PDF's top-level outline should list the chapters, one entry each: a chapter \
         with no `# ` heading, or with two, breaks it"
    );
}
