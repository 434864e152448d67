Attribute VB_Name = "Ribbon"
' CCHC Report Kit - ribbon callbacks of the cchc add-in (see customUI14.xml).
'
' Each button calls one named function of the Python module xl_addin.ribbon
' through xlwings' RunPython (module xlwings in this project); never "Run main",
' so the name of the user's workbook does not matter.
'
' Before Python runs: xlwings' RunPython reads ActiveWorkbook unchecked (run-time
' error 91 with a Debug button when no workbook is open or the workbook is in
' Protected View). Buttons that work on the clerk's workbook check it first
' (HasWorkbook); the others (merge, diagnostics, help) lend RunPython a blank
' workbook, closed again afterwards. A RunPython that cannot start Python (no
' interpreter, a blocked child process) ends in a message, never in the debugger.
'
' Keep this file ASCII only: VBA is stored in code page 1252 and read as cp1258
' on Vietnamese Windows. Labels live in customUI14.xml; the messages below are
' copies of the vba_* entries of xl_addin/messages.yaml with Vietnamese letters
' as \uXXXX escapes, decoded by U() with ChrW (python -m xl_addin.addin.vbatext
' prints them; tests/test_addin_build.py keeps them equal). Every other message
' comes from Python. The ribbon lint (xl_addin/addin/ribbon_lint.py) checks that
' every onAction in customUI14.xml has a matching Sub here.
Option Explicit

Private Const VBA_NO_WORKBOOK As String = "Ch\u01b0a c\u00f3 s\u1ed5 t\u00ednh n\u00e0o \u0111ang m\u1edf.\u000a\u000aM\u1edf s\u1ed5 t\u00ednh b\u00e1o c\u00e1o c\u1ee7a \u0111\u01a1n v\u1ecb r\u1ed3i b\u1ea5m l\u1ea1i n\u00fat tr\u00ean th\u1ebb CCHC."
Private Const VBA_PROTECTED_VIEW As String = "S\u1ed5 t\u00ednh \u0111ang m\u1edf \u1edf ch\u1ebf \u0111\u1ed9 ch\u1ec9 xem (Protected View): Excel ch\u01b0a cho ph\u00e9p s\u1eeda s\u1ed5 t\u00ednh n\u00e0y.\u000a\u000aB\u1ea5m \u00abEnable Editing\u00bb tr\u00ean thanh m\u00e0u v\u00e0ng ph\u00eda tr\u00ean s\u1ed5 t\u00ednh r\u1ed3i b\u1ea5m l\u1ea1i n\u00fat tr\u00ean th\u1ebb CCHC."
Private Const VBA_NO_PYTHON As String = "Kh\u00f4ng t\u00ecm th\u1ea5y Python c\u1ee7a c\u00f4ng c\u1ee5 CCHC t\u1ea1i {path}.\u000a\u000aNh\u1edd b\u1ed9 ph\u1eadn CNTT ch\u1ea1y l\u1ea1i install.bat c\u1ee7a b\u1ed9 c\u00e0i c\u00f4ng c\u1ee5 CCHC."
Private Const VBA_PYTHON_BLOCKED As String = "Excel kh\u00f4ng ch\u1ea1y \u0111\u01b0\u1ee3c Python c\u1ee7a c\u00f4ng c\u1ee5 CCHC ({detail}). Ph\u1ea7n m\u1ec1m di\u1ec7t virus ho\u1eb7c ch\u00ednh s\u00e1ch c\u1ee7a c\u01a1 quan c\u00f3 th\u1ec3 \u0111ang ch\u1eb7n Excel m\u1edf ch\u01b0\u01a1ng tr\u00ecnh kh\u00e1c.\u000a\u000aNh\u1edd b\u1ed9 ph\u1eadn CNTT cho ph\u00e9p Excel ch\u1ea1y Python c\u1ee7a c\u00f4ng c\u1ee5 CCHC (xem DOC-TRUOC-KHI-CAI.txt) r\u1ed3i b\u1ea5m l\u1ea1i."

Public Sub OnValidate(control As IRibbonControl)
    If HasWorkbook() Then RunCchc "import xl_addin.ribbon as r; r.validate()"
End Sub

Public Sub OnRatios(control As IRibbonControl)
    If HasWorkbook() Then RunCchc "import xl_addin.ribbon as r; r.ratios()"
End Sub

Public Sub OnReport(control As IRibbonControl)
    If HasWorkbook() Then RunCchc "import xl_addin.ribbon as r; r.report()"
End Sub

Public Sub OnReportDocx(control As IRibbonControl)
    If HasWorkbook() Then RunCchc "import xl_addin.ribbon as r; r.report(docx=True)"
End Sub

Public Sub OnMerge(control As IRibbonControl)
    RunWithoutWorkbook "import xl_addin.ribbon as r; r.merge()"
End Sub

Public Sub OnExport(control As IRibbonControl)
    If HasWorkbook() Then RunCchc "import xl_addin.ribbon as r; r.export()"
End Sub

Public Sub OnDiagnostics(control As IRibbonControl)
    RunWithoutWorkbook "import xl_addin.ribbon as r; r.diagnostics()"
End Sub

Public Sub OnHelp(control As IRibbonControl)
    RunWithoutWorkbook "import xl_addin.ribbon as r; r.help()"
End Sub

' True when a workbook can be worked on; otherwise says why (none open, or Protected View).
Private Function HasWorkbook() As Boolean
    Dim viewer As Object
    If Not ActiveWorkbook Is Nothing Then
        HasWorkbook = True
        Exit Function
    End If
    On Error Resume Next
    Set viewer = Application.ActiveProtectedViewWindow
    On Error GoTo 0
    If viewer Is Nothing Then
        ShowMessage VBA_NO_WORKBOOK
    Else
        ShowMessage VBA_PROTECTED_VIEW
    End If
    HasWorkbook = False
End Function

' RunPython needs an active workbook even for buttons that do not use it: lend it a blank one.
Private Sub RunWithoutWorkbook(ByVal command As String)
    Dim lent As Workbook
    If ActiveWorkbook Is Nothing Then Set lent = Workbooks.Add
    RunCchc command
    If Not lent Is Nothing Then
        On Error Resume Next
        If lent.Saved Then lent.Close SaveChanges:=False
        On Error GoTo 0
    End If
End Sub

' RunPython, with the interpreter checked first and any failure to start Python turned into a message.
Private Sub RunCchc(ByVal command As String)
    Dim interpreter As String
    #If Not Mac Then
        interpreter = GetConfig("INTERPRETER_WIN", "")
        If InStr(interpreter, "\") > 0 Then
            If Not FileExists(interpreter) Then
                ShowMessage Replace(U(VBA_NO_PYTHON), "{path}", interpreter), False
                Exit Sub
            End If
        End If
    #End If
    On Error GoTo Failed
    RunPython command
    Exit Sub
Failed:
    ShowMessage Replace(U(VBA_PYTHON_BLOCKED), "{detail}", Err.Description & " (" & Err.Number & ")"), False
End Sub

Private Sub ShowMessage(ByVal text As String, Optional ByVal escaped As Boolean = True)
    If escaped Then text = U(text)
    MsgBox text, vbExclamation, "CCHC"
End Sub

' Decodes \uXXXX escapes (ASCII source, Vietnamese text): every code used is below &H8000.
Private Function U(ByVal s As String) As String
    Dim i As Long, out As String
    i = 1
    Do While i <= Len(s)
        If Mid$(s, i, 2) = "\u" And i + 5 <= Len(s) Then
            out = out & ChrW(CLng("&H" & Mid$(s, i + 2, 4)))
            i = i + 6
        Else
            out = out & Mid$(s, i, 1)
            i = i + 1
        End If
    Loop
    U = out
End Function
