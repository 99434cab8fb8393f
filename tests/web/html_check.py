"""A small structural check of the pages' HTML with the standard library's parser: the
things a screen reader and the Content-Security-Policy rely on."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "circle", "line", "path", "rect"}  # fmt: skip
CONTROLS = {"input", "select", "textarea"}
UNLABELLED_INPUTS = {"hidden", "submit", "button", "reset", "image"}


@dataclass
class Page(HTMLParser):
    """What the parser saw: headings in order, controls and their labels, tables' headers."""

    lang: str | None = None
    mains: int = 0
    headings: list[int] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    label_for: set[str] = field(default_factory=set)
    controls: list[tuple[str | None, bool]] = field(default_factory=list)  # id, inside a label
    th_without_scope: int = 0
    scripts: int = 0
    style_attributes: int = 0
    skip_link: bool = False
    svg_images: list[dict[str, str | None]] = field(default_factory=list)
    open_tags: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag == "main":
            self.mains += 1
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "label" and values.get("for"):
            self.label_for.add(str(values["for"]))
        if tag in CONTROLS and values.get("type") not in UNLABELLED_INPUTS:
            self.controls.append((values.get("id"), "label" in self.open_tags))
        if tag == "th" and values.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
            self.th_without_scope += 1
        if tag == "script":
            self.scripts += 1
        if "style" in values:
            self.style_attributes += 1
        if tag == "a" and values.get("href") == "#main" and not self.mains:
            self.skip_link = True
        if tag == "svg":
            self.svg_images.append(values)
        if tag not in VOID:
            self.open_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open_tags:
            while self.open_tags.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())

    def problems(self) -> list[str]:
        """Everything wrong with the page; empty when it passes."""
        found: list[str] = []
        if self.lang != "en-GB":
            found.append(f"lang is {self.lang!r}")
        if self.mains != 1:
            found.append(f"{self.mains} <main> elements")
        if not self.skip_link:
            found.append("no skip link to #main before <main>")
        if not self.headings or self.headings[0] != 1:
            found.append(f"the first heading is not h1: {self.headings[:1]}")
        for before, after in zip(self.headings, self.headings[1:], strict=False):
            if after > before + 1:
                found.append(f"heading h{before} is followed by h{after}")
        for control_id, wrapped in self.controls:
            if not wrapped and (control_id is None or control_id not in self.label_for):
                found.append(f"form control {control_id!r} has no label")
        if self.th_without_scope:
            found.append(f"{self.th_without_scope} <th> without scope")
        if self.scripts:
            found.append("a <script>")
        if self.style_attributes:
            found.append("a style attribute (the CSP forbids inline styles)")
        for svg in self.svg_images:
            if svg.get("role") != "img" or not svg.get("aria-labelledby"):
                found.append("an <svg> without role=img and a label")
        return found


def parse(html: str) -> Page:
    """The page parsed (the parser is lenient; `problems` says what is wrong)."""
    page = Page()
    page.feed(html)
    page.close()
    return page
