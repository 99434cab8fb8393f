"""An agreement file (.txt, .pdf or .docx) to its plain text, for the clause and phrase rules.

One shape whatever the format: paragraphs separated by blank lines, a clause's number at the
start of its paragraph where the format carries one. Plain text and PDF carry their numbers
in the text itself; Word's automatic numbering does not (the number is drawn by Word from the
numbering definitions), so `_WordNumbering` replays it. Every way a file can fail to be read
raises `UnreadableDocument`, which names the file and the reason, so the command line can say
what is wrong instead of showing a traceback.

pypdf and python-docx are imported by the reader that needs them, not with this module: the
exit-code table imports `UnreadableDocument`, and every command loads that table.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from lifecycle.errors import ConcordatError

if TYPE_CHECKING:
    from docx.document import Document as WordDocument
    from docx.oxml.xmlchemy import BaseOxmlElement

MAX_BYTES = 50 * 1024 * 1024  # an agreement is words; 50 MB is a scan or the wrong file
SCANNED = "no text layer: this looks like a scanned PDF; run OCR on it first"


class UnreadableDocument(ConcordatError, ValueError):
    """Raised when an agreement file cannot be read as text: missing, the wrong kind, too
    large, corrupt, locked by a password, or a scan without a text layer."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot read {path}: {reason}")


def read_document(path: Path) -> str:
    """The plain text of the agreement at `path`, chosen by its suffix (case ignored):
    paragraphs separated by blank lines, line ends always LF."""
    reader = _reader_for(path)
    return reader(path, _file_bytes(path))


def supported_suffixes() -> list[str]:
    """The suffixes `read_document` reads, for help texts and error messages."""
    return list(_READERS)


def _reader_for(path: Path) -> Callable[[Path, bytes], str]:
    """The reader for the file's format; the suffix decides, as it does for the user."""
    if not path.exists():
        raise UnreadableDocument(path, "no such file")
    if path.is_dir():
        raise UnreadableDocument(path, "it is a directory, not a file")
    suffix = path.suffix.lower()
    if suffix not in _READERS:
        shown = repr(path.suffix) if path.suffix else "no suffix"
        hint = "; save a .doc as .docx first" if suffix == ".doc" else ""
        raise UnreadableDocument(
            path, f"unsupported file type {shown} (supported: {', '.join(_READERS)}){hint}"
        )
    return _READERS[suffix]


def _file_bytes(path: Path) -> bytes:
    """The file's bytes, refused before reading when it is larger than any agreement is."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UnreadableDocument(
                path, f"the file is {size:,} bytes; the limit is {MAX_BYTES:,} (50 MB)"
            )
        return path.read_bytes()
    except OSError as error:
        raise UnreadableDocument(path, error.strerror or str(error)) from error


# ---------------------------------------------------------------------------------------------
# Plain text


def _read_text(path: Path, data: bytes) -> str:
    """UTF-8 (a BOM dropped), or UTF-16 with its BOM (Notepad's "Unicode"), else Windows-1252
    (what older Windows tools save); CRLF and CR become LF."""
    text = _decoded(path, data)
    if "\x00" in text:
        raise UnreadableDocument(path, "it holds binary data, not text")
    return _unix_lines(text)


def _decoded(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise UnreadableDocument(path, f"invalid UTF-16 text ({error.reason})") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise UnreadableDocument(
            path, f"the text is neither UTF-8 nor Windows-1252 (byte {error.start})"
        ) from error


def _unix_lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------------------------------------
# PDF


def _read_pdf(path: Path, data: bytes) -> str:
    """Each page's text in page order, pages separated by a blank line (pages without text
    left out). pypdf opens a file locked only against editing (an empty user password) by
    itself; a file that needs a password is refused, as is a scan with no text at all."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if b"%PDF-" not in data[:1024]:  # where the format puts its header, and readers look
        raise UnreadableDocument(path, "not a PDF file (no %PDF- header)")
    pages: list[str] = []
    try:
        reader = PdfReader(BytesIO(data))
        for number, page in enumerate(reader.pages, start=1):
            pages.append(_page_text(path, number, page.extract_text))
    except FileNotDecryptedError as error:
        raise UnreadableDocument(path, "the PDF is encrypted and needs a password") from error
    except DependencyError as error:  # AES without the optional `cryptography` package
        raise UnreadableDocument(path, f"the PDF is encrypted: {error}") from error
    except UnreadableDocument:
        raise
    except _pdf_failures() as error:
        raise UnreadableDocument(path, f"not a readable PDF ({_said(error)})") from error
    if not pages:
        raise UnreadableDocument(path, "the PDF has no pages")
    texts = [text for text in pages if text]
    if not texts:
        raise UnreadableDocument(path, SCANNED)
    return "\n\n".join(texts)


# pypdf reports some malformed structure (bad numbers, missing keys, cut streams) as built-in
# errors rather than its own; they mean the same thing here: the file is not a usable PDF.
_MALFORMED: tuple[type[Exception], ...] = (
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    RecursionError,
)


def _pdf_failures() -> tuple[type[Exception], ...]:
    """pypdf's own errors and the built-in ones it lets through for a malformed file."""
    from pypdf.errors import PyPdfError

    return (PyPdfError, *_MALFORMED)


def _page_text(path: Path, number: int, extract: Callable[[], str]) -> str:
    """One page's text, stripped; a page whose content cannot be decoded names its number."""
    from pypdf.errors import FileNotDecryptedError

    try:
        return _unix_lines(extract()).strip()
    except FileNotDecryptedError:
        raise
    except _pdf_failures() as error:
        raise UnreadableDocument(path, f"page {number} cannot be read ({_said(error)})") from error


def _said(error: BaseException) -> str:
    return str(error) or type(error).__name__


# ---------------------------------------------------------------------------------------------
# Word


def _read_docx(path: Path, data: bytes) -> str:
    """The body's paragraphs and tables in document order (headers, footers, footnotes and
    comments are not the agreement's clauses and are left out). A table gives one line per
    row, its cells joined by a tab; a numbered paragraph starts with the number Word shows."""
    document = _open_word(path, data)
    numbering = _WordNumbering(document)
    blocks = [text for text in _body_texts(document.element.body, numbering) if text]
    return "\n\n".join(blocks)


def _open_word(path: Path, data: bytes) -> WordDocument:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return docx.Document(BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError) as error:
        raise UnreadableDocument(path, "not a Word .docx file (not a valid package)") from error
    except (KeyError, ValueError, SyntaxError) as error:  # lxml's XMLSyntaxError is one
        raise UnreadableDocument(path, f"not a readable Word document ({_said(error)})") from error


def _w(tag: str) -> str:
    """The Clark name of a WordprocessingML tag (`p` to `{...main}p`)."""
    from docx.oxml.ns import qn

    return qn(f"w:{tag}")


def _body_texts(container: BaseOxmlElement, numbering: _WordNumbering) -> Iterator[str]:
    """The text of each paragraph and table directly in `container` (the body or a cell),
    looking inside content controls, which wrap paragraphs without changing their order."""
    for child in container.iterchildren():
        if child.tag == _w("p"):
            yield _paragraph_text(child, numbering)
        elif child.tag == _w("tbl"):
            yield "\n".join(_table_rows(child, numbering))
        elif child.tag == _w("sdt"):
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from _body_texts(content, numbering)


def _paragraph_text(p: BaseOxmlElement, numbering: _WordNumbering) -> str:
    """The paragraph's words (inserted text included, deleted text and text boxes not), after
    its list number. An empty numbered paragraph still counts, as Word counts it."""
    from docx.text.run import Run

    runs = p.xpath(
        ".//w:r[not(ancestor::w:txbxContent or ancestor::w:del or ancestor::w:moveFrom)]"
    )
    words = "".join(Run(run, None).text for run in runs)  # type: ignore[arg-type]
    number = numbering.number_for(p)
    words = words.strip()
    if not words:
        return ""
    return f"{number} {words}" if number else words


def _table_rows(tbl: BaseOxmlElement, numbering: _WordNumbering) -> Iterator[str]:
    """One line per row: each cell's text (its paragraphs joined by spaces), cells joined by
    a tab. A cell merged across columns appears once; an empty row gives no line."""
    for tr in tbl.iterchildren(_w("tr")):
        cells = [_cell_text(tc, numbering) for tc in tr.iterchildren(_w("tc"))]
        if any(cells):
            yield "\t".join(cells)


def _cell_text(tc: BaseOxmlElement, numbering: _WordNumbering) -> str:
    parts = (text for text in _body_texts(tc, numbering) if text)
    return " ".join(" ".join(part.split()) for part in parts)


# Word's numbering: which list and level a paragraph is on, and how that level is written.


@dataclass(frozen=True)
class _Level:
    """One level of a list definition: where it starts and how its number is written
    (`text` is Word's lvlText, "%1.%2" meaning level 1's number, a dot, level 2's)."""

    start: int = 1
    format: str = "decimal"
    text: str | None = None
    legal: bool = False  # w:isLgl: every number in the text written in decimal


@dataclass(frozen=True)
class _List:
    """A numbering instance (w:num): its definition's levels, as overridden by the instance,
    and the paragraph style each level is tied to (headings numbered through their style)."""

    levels: dict[int, _Level]
    styles: dict[str, int]


class _WordNumbering:
    """Replays Word's automatic numbering to recover the clause numbers Word draws but does
    not store in the text.

    Counters are kept per list instance (w:numId) and level; a level that advances resets
    the deeper ones. Each level's start value, number format (decimal, letters, roman) and
    text ("%1.%2", "(%3)") are read from the numbering part, so "6.2", "(a)" and "iv." come
    out as Word shows them. An approximation all the same: instances sharing one definition
    are counted apart (Word counts them together unless one restarts), `w:lvlRestart` and
    the numbering of paragraphs Word hides are ignored, and a level with no definition
    falls back to decimal numbers joined by dots ("1.1"). Bullets give no prefix.
    """

    def __init__(self, document: WordDocument) -> None:
        self._lists = _lists(document)
        self._styles = _style_numbering(document)
        self._default_style = _default_paragraph_style(document)
        self._counters: dict[str, dict[int, int]] = {}

    def number_for(self, p: BaseOxmlElement) -> str:
        """The number Word shows before `p` ("" when it has none), counting `p` in its list."""
        style = _val(p.find(f"{_w('pPr')}/{_w('pStyle')}")) or self._default_style
        own_id, own_level = _num_pr(p.find(_w("pPr")))
        styled = self._styles.get(style or "", _Styled(None, None, (style or "",)))
        num_id = own_id if own_id is not None else styled.num_id
        if num_id is None or num_id == "0":  # numId 0: numbering switched off
            return ""
        found = self._lists.get(num_id, _List({}, {}))
        level = own_level if own_level is not None else styled.level
        if level is None:  # the level the list ties to the style, or to one it is based on
            tied = (found.styles[name] for name in styled.chain if name in found.styles)
            level = next(tied, 0)
        return self._advance(num_id, found, min(max(level, 0), 8))

    def _advance(self, num_id: str, found: _List, level: int) -> str:
        counters = self._counters.setdefault(num_id, {})
        definition = found.levels.get(level, _Level())
        counters[level] = counters[level] + 1 if level in counters else definition.start
        for deeper in [known for known in counters if known > level]:
            del counters[deeper]
        return _written(found, counters, level)


def _written(found: _List, counters: dict[int, int], level: int) -> str:
    """The number at `level` as its definition writes it (see `_WordNumbering`)."""
    definition = found.levels.get(level)
    if definition is None or definition.text is None:
        return ".".join(str(counters.get(shallower, 1)) for shallower in range(level + 1))
    if definition.format in {"bullet", "none"}:
        return ""

    def one(match: re.Match[str]) -> str:
        at = int(match.group(1)) - 1
        of = found.levels.get(at, _Level())
        value = counters.get(at, of.start)
        return _formatted(value, "decimal" if definition.legal else of.format)

    return re.sub(r"%([1-9])", one, definition.text).strip()


def _formatted(value: int, number_format: str) -> str:
    """`value` in one of Word's number formats; formats not listed here come out decimal."""
    if number_format in {"lowerLetter", "upperLetter"} and value > 0:
        # Word's letters: a..z, then aa..zz, then aaa..zzz
        letter = chr(ord("a") + (value - 1) % 26) * ((value - 1) // 26 + 1)
        return letter.upper() if number_format == "upperLetter" else letter
    if number_format in {"lowerRoman", "upperRoman"} and 0 < value < 4000:
        roman = _roman(value)
        return roman if number_format == "upperRoman" else roman.lower()
    if number_format == "decimalZero" and 0 <= value < 10:
        return f"0{value}"
    return str(value)


_ROMAN = [
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
]


def _roman(value: int) -> str:
    digits = []
    for worth, symbol in _ROMAN:
        count, value = divmod(value, worth)
        digits.append(symbol * count)
    return "".join(digits)


def _lists(document: WordDocument) -> dict[str, _List]:
    """Every list instance of the document by numId; empty when it has no numbering part."""
    try:
        root = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return {}
    definitions = {
        _attr(abstract, "abstractNumId"): abstract
        for abstract in root.iterchildren(_w("abstractNum"))
    }
    lists: dict[str, _List] = {}
    for num in root.iterchildren(_w("num")):
        abstract = definitions.get(_val(num.find(_w("abstractNumId"))))
        levels, styles = _levels(abstract) if abstract is not None else ({}, {})
        for override in num.iterchildren(_w("lvlOverride")):
            _apply_override(levels, override)
        lists[_attr(num, "numId") or ""] = _List(levels, styles)
    return lists


def _levels(abstract: BaseOxmlElement) -> tuple[dict[int, _Level], dict[str, int]]:
    """A definition's levels, and the paragraph styles tied to them."""
    levels: dict[int, _Level] = {}
    styles: dict[str, int] = {}
    for lvl in abstract.iterchildren(_w("lvl")):
        number = _int(_attr(lvl, "ilvl"))
        if number is None:
            continue
        levels[number] = _level(lvl)
        style = _val(lvl.find(_w("pStyle")))
        if style:
            styles[style] = number
    return levels, styles


def _level(lvl: BaseOxmlElement, base: _Level | None = None) -> _Level:
    """A w:lvl element's numbering, each absent part taken from `base` (or the defaults)."""
    base = base or _Level()
    start = _int(_val(lvl.find(_w("start"))))
    legal = lvl.find(_w("isLgl"))
    return _Level(
        start=base.start if start is None else start,
        format=_val(lvl.find(_w("numFmt"))) or base.format,
        text=_val(lvl.find(_w("lvlText"))) if lvl.find(_w("lvlText")) is not None else base.text,
        legal=base.legal if legal is None else _val(legal) not in {"0", "false", "off"},
    )


def _apply_override(levels: dict[int, _Level], override: BaseOxmlElement) -> None:
    """An instance's w:lvlOverride: a new start value, or a whole level redefined."""
    number = _int(_attr(override, "ilvl"))
    if number is None:
        return
    current = levels.get(number, _Level())
    redefined = override.find(_w("lvl"))
    if redefined is not None:
        current = _level(redefined, current)
    start = _int(_val(override.find(_w("startOverride"))))
    if start is not None:
        current = _Level(start, current.format, current.text, current.legal)
    levels[number] = current


@dataclass(frozen=True)
class _Styled:
    """A paragraph style's numbering, inherited along `w:basedOn`: the list and level its
    chain sets (each None when none does), and the chain itself, the style first."""

    num_id: str | None
    level: int | None
    chain: tuple[str, ...]


def _style_numbering(document: WordDocument) -> dict[str, _Styled]:
    """Each paragraph style's numbering, by style id."""
    own: dict[str, tuple[str | None, int | None]] = {}
    based_on: dict[str, str] = {}
    for style in document.styles.element.iterchildren(_w("style")):
        style_id = _attr(style, "styleId")
        if style_id is None:
            continue
        own[style_id] = _num_pr(style.find(_w("pPr")))
        parent = _val(style.find(_w("basedOn")))
        if parent:
            based_on[style_id] = parent
    return {style_id: _inherited(style_id, own, based_on) for style_id in own}


def _inherited(
    style_id: str,
    own: dict[str, tuple[str | None, int | None]],
    based_on: dict[str, str],
) -> _Styled:
    num_id: str | None = None
    level: int | None = None
    chain: list[str] = []
    current: str | None = style_id
    while current is not None and current not in chain:  # a basedOn loop is a broken file
        chain.append(current)
        its_id, its_level = own.get(current, (None, None))
        num_id = num_id if num_id is not None else its_id
        level = level if level is not None else its_level
        current = based_on.get(current)
    return _Styled(num_id, level, tuple(chain))


def _default_paragraph_style(document: WordDocument) -> str | None:
    for style in document.styles.element.iterchildren(_w("style")):
        if _attr(style, "type") == "paragraph" and _attr(style, "default") in {"1", "true"}:
            return _attr(style, "styleId")
    return None


def _num_pr(ppr: BaseOxmlElement | None) -> tuple[str | None, int | None]:
    """The (numId, ilvl) a w:pPr sets, each None when it does not."""
    if ppr is None:
        return None, None
    num_pr = ppr.find(_w("numPr"))
    if num_pr is None:
        return None, None
    return _val(num_pr.find(_w("numId"))), _int(_val(num_pr.find(_w("ilvl"))))


def _attr(element: BaseOxmlElement, name: str) -> str | None:
    value = element.get(_w(name))
    return None if value is None else str(value)


def _val(element: BaseOxmlElement | None) -> str | None:
    return None if element is None else _attr(element, "val")


def _int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


_READERS: dict[str, Callable[[Path, bytes], str]] = {
    ".txt": _read_text,
    ".text": _read_text,
    ".md": _read_text,
    ".pdf": _read_pdf,
    ".docx": _read_docx,
}
