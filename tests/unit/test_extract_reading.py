"""extract.reading: agreement files (.txt, .pdf, .docx) to plain text, and the clear errors
for the files it cannot read. Every file is made for real in tmp_path: PDFs are written byte
by byte (there is no PDF writer among the dependencies), Word files with python-docx."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import docx
import pytest
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from pypdf import PdfReader, PdfWriter

from concordat.exits import INVALID, exit_code
from extract.reading import MAX_BYTES, SCANNED, UnreadableDocument, read_document

TERMINATION = "6.2 Any of the Partners may terminate this Agreement (on notice)"


def refusal(path: Path) -> UnreadableDocument:
    """The error reading `path` raises, after checking it names the file and maps to exit 2."""
    with pytest.raises(UnreadableDocument) as caught:
        read_document(path)
    assert path.name in str(caught.value)
    assert exit_code(caught.value) == INVALID
    return caught.value


# ---------------------------------------------------------------------------------------------
# Plain text


def test_utf8_text_is_read_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "agreement.txt"
    path.write_bytes("1. Parties\n\n1.1 Stockport’s £5 fund — ‘the Fund’\n".encode())
    assert read_document(path) == "1. Parties\n\n1.1 Stockport’s £5 fund — ‘the Fund’\n"


def test_a_utf8_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "agreement.txt"
    path.write_bytes(b"\xef\xbb\xbf6.2 Notice \xc2\xa3")
    assert read_document(path) == "6.2 Notice £"


def test_windows_1252_text_is_read_when_it_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "agreement.text"
    path.write_bytes(b"\x93Fee\x94 of \xa3100 \x96 the Partner\x92s")
    assert read_document(path) == "“Fee” of £100 – the Partner’s"


def test_utf16_with_its_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "agreement.txt"
    path.write_bytes("\ufeff6.2 Notice £".encode("utf-16-le"))
    assert read_document(path) == "6.2 Notice £"


def test_crlf_and_cr_line_ends_become_lf(tmp_path: Path) -> None:
    path = tmp_path / "agreement.md"
    path.write_bytes(b"1. One\r\n\r\n2. Two\rthree\r\n")
    assert read_document(path) == "1. One\n\n2. Two\nthree\n"


def test_the_suffix_is_matched_without_regard_to_case(tmp_path: Path) -> None:
    path = tmp_path / "AGREEMENT.TXT"
    path.write_text("6.2 Notice", encoding="utf-8")
    assert read_document(path) == "6.2 Notice"


def test_binary_data_named_txt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"GIF89a\x00\x01\x00\x00")
    assert refusal(path).reason == "it holds binary data, not text"


# ---------------------------------------------------------------------------------------------
# PDF


def pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def page_content(lines: list[str]) -> bytes:
    """A page's content stream: each line in 12pt Helvetica, 20 points below the last; no
    lines gives a page that only draws (a line, as a scan only shows an image)."""
    if not lines:
        return b"0 0 m 200 200 l S"
    shown = [
        f"BT /F1 12 Tf 72 {720 - 20 * row} Td {pdf_string(line)} Tj ET"
        for row, line in enumerate(lines)
    ]
    return "\n".join(shown).encode("latin-1")


def pdf_bytes(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF, one page per entry: catalog, page tree, a Helvetica font, and per
    page a page object and its content stream, with a cross-reference table at exact
    offsets (so that pypdf reads it strictly, without repairing it)."""
    count = len(pages)
    kids = " ".join(f"{4 + 2 * index} 0 R" for index in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for index, lines in enumerate(pages):
        content = page_content(lines)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> "
            + f"/Contents {5 + 2 * index} 0 R >>".encode()
        )
        objects.append(
            f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def test_the_test_pdfs_are_valid_pdfs() -> None:
    """The helper's files parse in pypdf's strict mode (which rejects bad offsets), so the
    tests below read real PDFs, not ones pypdf had to repair."""
    reader = PdfReader(io.BytesIO(pdf_bytes([["a"], ["b"], []])), strict=True)
    assert len(reader.pages) == 3


def test_a_pdf_gives_each_page_in_order_separated_by_a_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "agreement.pdf"
    path.write_bytes(
        pdf_bytes(
            [
                ["6. Termination", TERMINATION],
                ["7. Disputes", "7.1 The Partners shall meet within 10 Operational Days"],
            ]
        )
    )
    assert read_document(path) == (
        f"6. Termination\n{TERMINATION}\n\n"
        "7. Disputes\n7.1 The Partners shall meet within 10 Operational Days"
    )


def test_a_blank_page_among_pages_of_text_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "agreement.PDF"
    path.write_bytes(pdf_bytes([["1. Parties"], [], ["2. Term"]]))
    assert read_document(path) == "1. Parties\n\n2. Term"


def test_a_pdf_without_text_on_any_page_is_taken_for_a_scan(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(pdf_bytes([[], []]))
    error = refusal(path)
    assert error.reason == SCANNED
    assert "run OCR" in str(error)


def test_garbage_named_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"this is not a PDF at all, only words")
    assert refusal(path).reason == "not a PDF file (no %PDF- header)"


@pytest.mark.parametrize("cut", [200, 400])
def test_a_truncated_pdf_is_refused(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes(pdf_bytes([[TERMINATION]])[:cut])
    assert refusal(path).reason.startswith("not a readable PDF (")


def encrypted(data: bytes, user_password: str) -> bytes:
    """`data` encrypted with RC4 (pypdf needs no optional package for it)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_that_needs_a_password_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "locked.pdf"
    path.write_bytes(encrypted(pdf_bytes([[TERMINATION]]), user_password="secret"))
    assert refusal(path).reason == "the PDF is encrypted and needs a password"


def test_a_pdf_locked_only_against_editing_is_read(tmp_path: Path) -> None:
    """An empty user password: any reader opens it, so we do too."""
    path = tmp_path / "no-edit.pdf"
    path.write_bytes(encrypted(pdf_bytes([[TERMINATION]]), user_password=""))
    assert read_document(path) == TERMINATION


# ---------------------------------------------------------------------------------------------
# Word

DEFINITIONS = """
<w:abstractNum {ns} w:abstractNumId="90">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2"/></w:lvl>
  <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="(%3)"/></w:lvl>
  <w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="lowerRoman"/><w:lvlText w:val="(%4)"/></w:lvl>
</w:abstractNum>
"""  # noqa: E501


def add_clause_list(document: WordDocument) -> str:
    """A list definition like a contract's ("1", "1.1", "(a)", "(i)") and an instance of it;
    the instance's numId."""
    numbering = document.part.numbering_part.element
    first_num = numbering.find(qn("w:num"))
    first_num.addprevious(parse_xml(DEFINITIONS.format(ns=nsdecls("w"))))
    numbering.append(
        parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>')
    )
    return "90"


def numbered(document: WordDocument, text: str, num_id: str, level: int | None) -> None:
    """A paragraph with numbering set on it directly (w:numPr), as Word writes a list."""
    paragraph = document.add_paragraph(text)
    ilvl = f'<w:ilvl w:val="{level}"/>' if level is not None else ""
    paragraph._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {nsdecls("w")}>{ilvl}<w:numId w:val="{num_id}"/></w:numPr>')
    )


def saved(document: WordDocument, path: Path) -> Path:
    document.save(str(path))
    return path


def test_a_word_document_gives_headings_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Collaboration Agreement", level=0)
    document.add_paragraph("This Agreement is made between the Partners.")
    table = document.add_table(rows=2, cols=3)
    for row, cells in zip(
        table.rows, [["No", "Date", "Author"], ["1", "October", "Hill"]], strict=True
    ):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_heading("Schedule 1", level=1)
    document.add_paragraph("")  # an empty paragraph gives no blank block
    document.add_paragraph("The Partners' addresses.")
    assert read_document(saved(document, tmp_path / "agreement.docx")) == (
        "Collaboration Agreement\n\n"
        "This Agreement is made between the Partners.\n\n"
        "No\tDate\tAuthor\n1\tOctober\tHill\n\n"
        "Schedule 1\n\n"
        "The Partners' addresses."
    )


def test_the_list_number_style_gives_its_numbers(tmp_path: Path) -> None:
    """python-docx's template numbers "List Number" through the style (numId 5, "%1.")."""
    document = docx.Document()
    for text in ["Definitions", "Term", "Termination"]:
        document.add_paragraph(text, style="List Number")
    document.add_paragraph("Signed by the Partners.")
    assert read_document(saved(document, tmp_path / "agreement.docx")) == (
        "1. Definitions\n\n2. Term\n\n3. Termination\n\nSigned by the Partners."
    )


def test_directly_numbered_levels_count_as_word_counts_them(tmp_path: Path) -> None:
    document = docx.Document()
    clauses = add_clause_list(document)
    numbered(document, "Term", clauses, 0)
    numbered(document, "The Agreement starts on the Commencement Date.", clauses, 1)
    numbered(document, "It continues until terminated.", clauses, 1)
    numbered(document, "Termination", clauses, 0)
    numbered(document, TERMINATION.removeprefix("6.2 "), clauses, 1)
    numbered(document, "on three months' notice;", clauses, 2)
    numbered(document, "for a material breach:", clauses, 2)
    numbered(document, "not remedied; or", clauses, 3)
    numbered(document, "not capable of remedy.", clauses, 3)
    numbered(document, "Costs", clauses, None)  # no ilvl: level 0
    assert read_document(saved(document, tmp_path / "agreement.docx")).split("\n\n") == [
        "1 Term",
        "1.1 The Agreement starts on the Commencement Date.",
        "1.2 It continues until terminated.",
        "2 Termination",
        "2.1 " + TERMINATION.removeprefix("6.2 "),
        "(a) on three months' notice;",
        "(b) for a material breach:",
        "(i) not remedied; or",
        "(ii) not capable of remedy.",
        "3 Costs",
    ]


HEADING_LIST = """
<w:abstractNum {ns} w:abstractNumId="92">
  <w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/><w:pStyle w:val="Heading1"/><w:lvlText w:val="%1."/></w:lvl>
  <w:lvl w:ilvl="1"><w:numFmt w:val="decimal"/><w:pStyle w:val="Heading2"/><w:lvlText w:val="%1.%2"/></w:lvl>
</w:abstractNum>
"""  # noqa: E501


def test_headings_numbered_through_their_styles_get_their_numbers(tmp_path: Path) -> None:
    """Word's outline numbering: the heading styles name the list (no level), the list's
    levels name the styles; a style based on Heading 2 is numbered as Heading 2 is."""
    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.find(qn("w:num")).addprevious(parse_xml(HEADING_LIST.format(ns=nsdecls("w"))))
    numbering.append(
        parse_xml(f'<w:num {nsdecls("w")} w:numId="92"><w:abstractNumId w:val="92"/></w:num>')
    )
    for name in ["Heading 1", "Heading 2"]:
        document.styles[name].element.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {nsdecls("w")}><w:numId w:val="92"/></w:numPr>')
        )
    clause = document.styles.add_style("Clause", WD_STYLE_TYPE.PARAGRAPH)
    clause.base_style = document.styles["Heading 2"]
    document.add_heading("Definitions", level=1)
    document.add_heading("Interpretation", level=2)
    document.add_paragraph("In this Agreement:")
    document.add_paragraph("Operational Day means a weekday.", style="Clause")
    document.add_heading("Termination", level=1)
    document.add_paragraph(TERMINATION.removeprefix("6.2 "), style="Clause")
    assert read_document(saved(document, tmp_path / "agreement.docx")).split("\n\n") == [
        "1. Definitions",
        "1.1 Interpretation",
        "In this Agreement:",
        "1.2 Operational Day means a weekday.",
        "2. Termination",
        "2.1 " + TERMINATION.removeprefix("6.2 "),
    ]


def test_a_list_without_a_definition_is_numbered_in_decimals(tmp_path: Path) -> None:
    """numId 77 is in no numbering part: the fallback writes "1", "1.1", "1.2", "2"."""
    document = docx.Document()
    for text, level in [("Term", 0), ("Start", 1), ("End", 1), ("Notice", 0)]:
        numbered(document, text, "77", level)
    assert read_document(saved(document, tmp_path / "agreement.docx")).split("\n\n") == [
        "1 Term",
        "1.1 Start",
        "1.2 End",
        "2 Notice",
    ]


def test_a_start_override_and_numbering_switched_off(tmp_path: Path) -> None:
    """A list instance can start at 6 (w:startOverride); numId 0 removes a style's number."""
    document = docx.Document()
    add_clause_list(document)
    document.part.numbering_part.element.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="91"><w:abstractNumId w:val="90"/>'
            '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="6"/></w:lvlOverride></w:num>'
        )
    )
    numbered(document, "Termination", "91", 0)
    numbered(document, TERMINATION.removeprefix("6.2 "), "91", 1)
    numbered(document, TERMINATION.removeprefix("6.2 "), "91", 1)
    document.add_paragraph("Not numbered", style="List Number")
    document.paragraphs[-1]._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:numId w:val="0"/></w:numPr>')
    )
    assert read_document(saved(document, tmp_path / "agreement.docx")).split("\n\n") == [
        "6 Termination",
        "6.1 " + TERMINATION.removeprefix("6.2 "),
        TERMINATION,
        "Not numbered",
    ]


def test_an_empty_numbered_paragraph_is_counted_but_not_shown(tmp_path: Path) -> None:
    document = docx.Document()
    for text in ["Definitions", "", "Termination"]:
        document.add_paragraph(text, style="List Number")
    assert read_document(saved(document, tmp_path / "agreement.docx")) == (
        "1. Definitions\n\n3. Termination"
    )


def test_deleted_text_is_left_out_and_inserted_text_kept(tmp_path: Path) -> None:
    """Tracked changes: the text as it stands if every change were accepted."""
    document = docx.Document()
    paragraph = document.add_paragraph("Notice of ")
    change = 'w:id="{}" w:author="A" w:date="2024-01-01T00:00:00Z"'
    paragraph._p.append(
        parse_xml(
            f"<w:del {nsdecls('w')} {change.format(1)}><w:r><w:delText>three</w:delText>"
            "</w:r></w:del>"
        )
    )
    paragraph._p.append(
        parse_xml(f"<w:ins {nsdecls('w')} {change.format(2)}><w:r><w:t>six</w:t></w:r></w:ins>")
    )
    paragraph.add_run(" months.")
    assert read_document(saved(document, tmp_path / "agreement.docx")) == "Notice of six months."


def test_garbage_named_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK but not really a zip")
    assert refusal(path).reason == "not a Word .docx file (not a valid package)"


def test_a_zip_that_is_not_a_word_document_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hello")
    assert refusal(path).reason.startswith("not a readable Word document (")


# ---------------------------------------------------------------------------------------------
# Files that are not there, not files, not supported, or too large


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert refusal(tmp_path / "nowhere.pdf").reason == "no such file"


def test_a_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "papers.docx"
    folder.mkdir()
    assert refusal(folder).reason == "it is a directory, not a file"


@pytest.mark.parametrize("name", ["agreement.rtf", "agreement.doc", "agreement"])
def test_an_unsupported_suffix_is_refused_naming_the_supported_ones(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_text("6.2 Notice", encoding="utf-8")
    reason = refusal(path).reason
    assert reason.startswith("unsupported file type")
    assert (path.suffix or "no suffix") in reason
    assert ".txt, .text, .md, .pdf, .docx" in reason
    assert ("save a .doc as .docx" in reason) == (path.suffix == ".doc")


def test_a_file_over_50_mb_is_refused_with_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: no 50 MB written
    assert (
        refusal(path).reason
        == f"the file is {MAX_BYTES + 1:,} bytes; the limit is 52,428,800 (50 MB)"
    )


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_a_file_that_cannot_be_opened_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "private.txt"
    path.write_text("6.2 Notice", encoding="utf-8")
    path.chmod(0)
    try:
        assert refusal(path).reason == "Permission denied"
    finally:
        path.chmod(0o600)
