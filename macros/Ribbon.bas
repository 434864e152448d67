Attribute VB_Name = "Ribbon"
' CCHC Report Kit - ribbon callbacks of the cchc add-in (see customUI14.xml).
'
' Each button calls one named function of the Python module xl_addin.ribbon
' through xlwings' RunPython (module xlwings in this project); never "Run main",
' so the name of the user's workbook does not matter.
'
' Keep this file ASCII only: VBA is stored in code page 1252 and read as cp1258
' on Vietnamese Windows. Labels live in customUI14.xml, messages come from Python.
' The ribbon lint (xl_addin/addin/ribbon_lint.py) checks that every onAction
' in customUI14.xml has a matching Sub here.
Option Explicit

Public Sub OnValidate(control As IRibbonControl)
    RunPython "import xl_addin.ribbon as r; r.validate()"
End Sub

Public Sub OnRatios(control As IRibbonControl)
    RunPython "import xl_addin.ribbon as r; r.ratios()"
End Sub

Public Sub OnReport(control As IRibbonControl)
    RunPython "import xl_addin.ribbon as r; r.report()"
End Sub

Public Sub OnReportDocx(control As IRibbonControl)
    RunPython "import xl_addin.ribbon as r; r.report(docx=True)"
End Sub

Public Sub OnMerge(control As IRibbonControl)
    RunPython "import xl_addin.ribbon as r; r.merge()"
End Sub

Public Sub OnExport(control As IRibbonControl)
    RunPython "import xl_addin.ribbon as r; r.export()"
End Sub

Public Sub OnDiagnostics(control As IRibbonControl)
    RunPython "import xl_addin.ribbon as r; r.diagnostics()"
End Sub

Public Sub OnHelp(control As IRibbonControl)
    RunPython "import xl_addin.ribbon as r; r.help()"
End Sub
