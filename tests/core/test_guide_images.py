"""The user guide's screenshots: every image a guide page references exists (PNG, modest size), and every
screenshot the browser test takes (tests/core/guide_shots.py) is shown on its role's page, in both languages."""

from __future__ import annotations

import re

import pytest

from tests.core.guide_shots import GUIDE, IMG, SHOTS

IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
PAGES = sorted(GUIDE.glob("*.md"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_referenced_image_exists(page):
    for alt, target in IMAGE.findall(page.read_text(encoding="utf-8")):
        path = (page.parent / target).resolve()
        assert path.is_file(), f"{page.name}: {target} does not exist"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{target} is not a PNG"
        assert path.stat().st_size < 400_000, f"{target} is too large"
        assert alt.strip(), f"{page.name}: {target} has no description"


@pytest.mark.parametrize("page_name", sorted(SHOTS))
def test_each_role_page_shows_its_screenshots_in_both_languages(page_name):
    text = (GUIDE / page_name).read_text(encoding="utf-8")
    indonesian, english = text.split("## English", 1)
    for file_name, _url, _ready in SHOTS[page_name]:
        assert (IMG / file_name).is_file(), file_name
        assert f"(img/{file_name})" in indonesian and f"(img/{file_name})" in english, (page_name, file_name)
