"""The narrative report: the official report (sections I–V, NĐ 30/2020 layout) written from the
workbook's own values, as plain text, the Báo cáo sheet, a Word document and a PDF."""
from .model import Block, Header, Report
from .text import render_text
from .writer import build_report
