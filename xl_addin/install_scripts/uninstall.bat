@echo off
rem CCHC Report Kit - remove the add-in and the Python environment (the workbooks are not touched).
chcp 65001 >nul
setlocal
set "HOME_DIR=%LOCALAPPDATA%\cchc"
if exist "%HOME_DIR%\.venv\Scripts\xlwings.exe" "%HOME_DIR%\.venv\Scripts\xlwings.exe" addin remove --file cchc.xlam
if exist "%APPDATA%\Microsoft\Excel\XLSTART\cchc.xlam" del /Q "%APPDATA%\Microsoft\Excel\XLSTART\cchc.xlam"
if exist "%HOME_DIR%" rmdir /S /Q "%HOME_DIR%"
echo Đã gỡ CCHC Report Kit. Các sổ tính báo cáo của anh/chị vẫn giữ nguyên.
exit /b 0
