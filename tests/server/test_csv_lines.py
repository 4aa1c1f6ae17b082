"""formats.CsvLines writes exactly what one `csv.writer` (CRLF, QUOTE_MINIMAL) writes.

CsvLines joins a line itself when no cell needs quoting; whatever the cells, the bytes
must be the standard writer's, line by line and across `take` calls.
"""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as hs

from server.export.formats import CsvLines

# Text made mostly of what decides quoting (delimiter, quote, CR, LF, space, tab, a
# spreadsheet formula's first characters), plus any other character.
_CHARS = hs.sampled_from([",", '"', "\r", "\n", " ", "\t", "'", "=", "a", "é", "\x00"])
_CELL = hs.one_of(hs.text(_CHARS, max_size=6), hs.text(max_size=4))
_LINES = hs.lists(hs.lists(_CELL, max_size=5), max_size=6)


def _standard(lines: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for cells in lines:
        writer.writerow(cells)
    return buf.getvalue().encode()


@given(_LINES, hs.integers(min_value=1, max_value=4))
def test_csv_lines_write_what_the_csv_module_writes(lines: list[list[str]], every: int) -> None:
    out = CsvLines()
    got = b""
    for n, cells in enumerate(lines, 1):
        out.write(cells)
        if n % every == 0:
            got += out.take()
    got += out.take()
    assert got == _standard(lines)
    assert out.take() == b""


def test_csv_lines_quote_what_needs_it() -> None:
    # The cases a join alone would get wrong, each checked on its own.
    for cells in ([""], ["a,b", "c"], ['say "x"'], ["two\nlines"], ["cr\r"], [], ["", ""]):
        out = CsvLines()
        out.write(cells)
        assert out.take() == _standard([cells]), cells
