"""Safety limits, declared in one place and enforced before a file is fully parsed.

Every returned workbook goes through ``xl_addin.workbook.safety.preflight`` (called by
``check_is_xlsx`` and ``open_calamine``, so by read, validate, fill, export and merge) before any
spreadsheet parser sees it: its size, its zip directory (number of entries, declared sizes and
compression ratios) and, for the sheets that are read, the unpacked size of the sheet and how far
its cells reach. A file beyond a limit is refused with its own reason code; nothing is cut silently.
"""

MAX_ABS_NUMBER = 10**15  # a cell value beyond this is unreadable, never used in arithmetic
MAX_TEXT_LENGTH = 32_767  # Excel's own cell limit; longer text is cut and reported (value_text_too_long)

# --- the file and its zip container (checked on the central directory, before anything is unpacked)
MAX_FILE_BYTES = 64 * 2**20  # a unit workbook is ~40 kB; a province summary with its lineage a few MB
MAX_ZIP_ENTRIES = 5_000  # parts inside the package; a workbook of the template has about 20
MAX_PART_BYTES = 256 * 2**20  # declared unpacked size of any one part
MAX_UNCOMPRESSED_BYTES = 512 * 2**20  # declared unpacked size of all parts together
MAX_COMPRESSION_RATIO = 200  # unpacked / packed for one part; XML rarely passes 30, a zip bomb reaches 1000
RATIO_FLOOR_BYTES = 2**20  # the ratio is only judged for parts that unpack to more than this

# --- the parts a reader parses (checked while streaming them, with the real unpacked size)
MAX_WORKBOOK_XML_BYTES = 16 * 2**20  # xl/workbook.xml, its relationships, shared strings, styles
MAX_SHEET_XML_BYTES = 32 * 2**20  # one sheet that is read; the template's largest is ~100 kB
MAX_SHEET_ROWS = 10_000  # rows of a sheet that is read (the template's sheets have fewer than 500)
MAX_SHEET_COLUMNS = 200  # columns of a sheet that is read (the template's widest table has ~30)

# --- what a file may carry besides values
# Policy for workbooks with a VBA project (vbaProject.bin, .xlsm): the values are read with
# python-calamine, which has no macro engine, so nothing in the file is ever executed; the
# workbook is read and a warning (workbook_has_macros) says so. The merge only collects .xlsx
# files and skips .xlsm by its extension (merge_not_xlsx).
MACRO_POLICY = "read_values_warn"

# --- tamper detection
MAX_TAMPER_FINDINGS = 40  # cell-level differences reported per file; the last finding says how many more
