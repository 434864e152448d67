"""``cchc check``: what the ribbon's Kiểm tra số liệu, Tính tỷ lệ and Xuất Word give, for a PC where the
add-in cannot run (Office blocked from starting processes, antivirus, hidden ribbons).

From one workbook it writes, beside it (or in ``out_dir``):

* ``<stem>_kiem-tra.xlsx``: a copy with the Kiểm tra and Tỷ lệ sheets and the marked cells, written
  by the same functions as the ribbon (``rules.sheets`` through the openpyxl port);
* ``<stem>_bao-cao.docx``: the narrative report (``narrative``), as Xuất Word writes it. A report
  of that name edited since the tool wrote it (or not the tool's) is kept: the new one is written
  as ``<stem>_bao-cao (2).docx`` (the first free number) and ``notices`` says so.

The input file is only read. ``kiem-tra.bat`` in the Windows bundle runs this on a workbook dropped on
it (or picked in a dialog) and opens both files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import CchcError, render

XLSX_SUFFIX = "_kiem-tra.xlsx"
DOCX_SUFFIX = "_bao-cao.docx"


@dataclass
class CheckResult:
    file: Path
    findings: list = field(default_factory=list)
    xlsx: Path | None = None
    docx: Path | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.importance == "error")


def outputs(path: Path, out_dir: Path | None = None) -> tuple[Path, Path]:
    folder = Path(out_dir) if out_dir is not None else path.parent
    return folder / f"{path.stem}{XLSX_SUFFIX}", folder / f"{path.stem}{DOCX_SUFFIX}"


def run_check(path: Path | str, out_dir: Path | None = None) -> CheckResult:
    """Validate ``path`` and write the checked copy and the Word report; never modify ``path``."""
    from .narrative import build_report, write_docx
    from .rules.engine import validate
    from .rules.ratios import compute_ratios
    from .rules.sheets import apply_ratios, apply_validation
    from .workbook.port import OpenpyxlPort
    from .workbook.reader import read_workbook

    src = Path(path)
    data = read_workbook(src)  # the pre-flight, limits and tamper checks of every read
    findings = validate(data)
    xlsx, docx = outputs(src, out_dir)
    for target in (xlsx, docx):
        if target.resolve() == src.resolve():  # a workbook named like an output, checked in place
            raise CchcError("check_output_is_input", file=target)
    port = OpenpyxlPort(src)
    apply_validation(port, data, findings)
    apply_ratios(port, data, compute_ratios(data))
    result = CheckResult(src, findings)
    result.xlsx = _written(lambda: port.save(xlsx), xlsx)
    target = _free_docx(docx)
    if target != docx:
        result.notices.append(render("check_docx_kept", file=docx, new=target))
    result.docx = _written(lambda: write_docx(build_report(data), target), target)
    return result


def _free_docx(path: Path) -> Path:
    """``path`` unless a report there was edited by hand or is not the tool's; then the first free
    ``<stem> (n).docx`` (a previous check's report left unchanged is replaced, as before)."""
    from .narrative import docx_state

    n = 1
    target = path
    while docx_state(target) in ("edited", "foreign"):
        n += 1
        target = path.with_name(f"{path.stem} ({n}){path.suffix}")
    return target


def _written(write, target: Path) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return write()
    except OSError:  # Windows: the previous result still open in Excel or Word
        raise CchcError("output_locked", file=target) from None
