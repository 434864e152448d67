"""The report as plain text (UTF-8, NFC): the header in two columns, then the body."""

from __future__ import annotations

import unicodedata

from .model import Report

LEFT = 40  # width of the left column of the header and of the Nơi nhận column
RIGHT = 44


def _pair(left: list[str], right: list[str]) -> list[str]:
    lines = []
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else ""
        b = right[i] if i < len(right) else ""
        lines.append((a.center(LEFT) if a else " " * LEFT) + b.center(RIGHT).rstrip() if b else a.center(LEFT).rstrip())
    return lines


def kinh_gui_lines(report: Report) -> list[str]:
    if not report.kinh_gui:
        return []
    if len(report.kinh_gui) == 1:
        return [f"{report.kinh_gui_label} {report.kinh_gui[0]}"]
    items = [f"- {x};" for x in report.kinh_gui]
    items[-1] = items[-1][:-1] + "."
    return [report.kinh_gui_label] + items


def render_text(report: Report) -> str:
    out: list[str] = []
    for block in report.warnings:
        out.append(block.text)
    if report.warnings:
        out.append("")
    h = report.header
    left = ([h.co_quan_chu_quan] if h.co_quan_chu_quan else []) + list(h.co_quan)
    right = [h.quoc_hieu, h.tieu_ngu]
    out += _pair(left, right)
    out.append("")
    out += _pair([h.so_ky_hieu], [h.dia_danh_ngay])
    out.append("")
    out.append(report.title.center(LEFT + RIGHT).rstrip())
    out.append(report.trich_yeu.center(LEFT + RIGHT).rstrip())
    out.append("")
    kg = kinh_gui_lines(report)
    if kg:
        out += [line.center(LEFT + RIGHT).rstrip() if len(kg) == 1 else line for line in kg]
        out.append("")
    for block in report.body:
        if block.kind == "heading":
            if block.level == 1 and out and out[-1]:
                out.append("")
            out.append(block.text)
        elif block.kind == "list_item":
            out.append(("  " if block.level > 1 else "") + block.text)
        else:
            out.append(block.text)
    out.append(report.closing)
    out.append("")
    sig = list(report.signature)
    right_col = sig + [""] * 4 + ([report.signer] if report.signer else [])
    left_col = [report.recipients_label] + report.recipients
    for i in range(max(len(left_col), len(right_col))):
        a = left_col[i] if i < len(left_col) else ""
        b = right_col[i] if i < len(right_col) else ""
        out.append((a.ljust(LEFT) + b.center(RIGHT)).rstrip())
    return unicodedata.normalize("NFC", "\n".join(out).rstrip() + "\n")
