"""docs/lessons/*.md are the lesson files' readable copies; they must never drift."""

from __future__ import annotations

from dlstudio.lessons.docs import DOCS_DIR, INDEX, render_all


def test_committed_docs_match_the_lesson_files():
    pages = render_all()
    assert INDEX in pages and len(pages) == 9
    for name, text in pages.items():
        path = DOCS_DIR / name
        assert path.is_file(), f"{path} is missing: run python -m dlstudio.lessons.docs"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} differs from its lesson file: run python -m dlstudio.lessons.docs")
    written = {path.name for path in DOCS_DIR.glob("*.md")} - {"README.md"}
    assert written == set(pages), "a page of a lesson that no longer exists is left over"


def test_a_page_holds_the_lessons_text_and_what_each_check_wants():
    page = render_all()["xor.md"]
    assert page.startswith("<!-- Written by `python -m dlstudio.lessons.docs` from "
                           "resources/lessons/03-xor.json")
    assert "## 2. Add a hidden layer" in page
    assert "*Done when:* the network has a hidden layer" in page
