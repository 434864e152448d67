"""CCHC Report Kit: report definitions as data, locked Excel workbooks, rules, narrative and merge.

Stages (dependencies point one way):
definition -> workbook -> rules -> narrative -> merge; ``cli`` and ``ribbon`` are thin skins.
"""

__version__ = "0.1.0"
