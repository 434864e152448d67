"""The little desktop help ``kiem-tra.bat`` and ``xuat-file-nop.bat`` need: pick a workbook, open
the files written, show a file in its folder. Used by ``cchc check`` and ``cchc export`` with
``--pick`` / ``--open``; nothing else in the package depends on a screen.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .errors import CchcError
from .ui import ui


def pick_workbook() -> Path:
    """Ask for one workbook in the system's file dialog (tkinter ships with Python on Windows)."""
    try:
        import tkinter
        from tkinter import filedialog

        root = tkinter.Tk()
    except Exception as exc:  # no tkinter, no display: say what to do instead
        raise CchcError("pick_unavailable", detail=str(exc)[:200] or type(exc).__name__) from None
    try:
        root.withdraw()
        root.attributes("-topmost", True)
        chosen = filedialog.askopenfilename(parent=root, title=ui("desktop.pick_title"),
                                            filetypes=[(ui("desktop.workbooks"), "*.xlsx"), ("*", "*.*")])
    finally:
        root.destroy()
    if not chosen:
        raise CchcError("pick_cancelled")
    return Path(chosen)


def open_files(paths: list[Path]) -> None:
    """Open each file with its usual program (Excel, Word); a failure is not the command's failure."""
    for path in paths:
        try:
            if sys.platform == "win32":
                os.startfile(str(path))  # type: ignore[attr-defined]  # noqa: S606 - the user's own file
            elif sys.platform == "darwin":
                subprocess.Popen(["open", str(path)])
            else:
                subprocess.Popen(["xdg-open", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            continue


def reveal(path: Path) -> None:
    """Show a file selected in its folder (Explorer, Finder), for the clerk to attach and send."""
    try:
        if sys.platform == "win32":
            subprocess.Popen(f'explorer /select,"{path}"')  # explorer wants the quotes after the comma
        elif sys.platform == "darwin":
            subprocess.Popen(["open", "-R", str(path)])
        else:
            subprocess.Popen(["xdg-open", str(path.parent)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        pass


def dropped_file(cmdline: str, script: str) -> Path | None:
    """The workbook Explorer dropped on a batch file, read from cmd's own command line (%cmdcmdline%).

    Explorer quotes a dropped path only when it holds spaces; an ``&`` in a path without spaces then
    splits what cmd runs and the batch file's ``%1`` holds only its start, but the line is whole::

        C:\\WINDOWS\\system32\\cmd.exe /c ""C:\\cchc\\kiem-tra.bat" D:\\Bao&cao\\x.xlsx"

    None when the line does not name the batch file (run from an open console)."""
    at = cmdline.lower().rfind(script.lower())
    if at < 0 or not script:
        return None
    rest = cmdline[at + len(script):].lstrip('"').strip()
    if rest.endswith('"'):  # the quote closing the whole /c command
        rest = rest[:-1].rstrip()
    rest = rest.strip('"').strip()
    return Path(rest) if rest else None
