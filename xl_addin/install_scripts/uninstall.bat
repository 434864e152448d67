@echo off
rem CCHC Report Kit - remove the add-in and the kit's Python environment (the workbooks are not touched).
rem   uninstall.bat [/q]    /q: do not wait for a key at the end
rem ASCII, CRLF, paths only inside double quotes, delayed expansion off (see install.bat).
setlocal EnableExtensions DisableDelayedExpansion
set "HERE=%~dp0"
set "QUIET="
if /i "%~1"=="/q" set "QUIET=1"
set "OLDCP="
for /f "tokens=2 delims=:." %%c in ('chcp') do set "OLDCP=%%c"
chcp 65001 >nul

set "H1=%LOCALAPPDATA%\cchc"
set "H2=%PUBLIC%\cchc"
set "XLSTART=%APPDATA%\Microsoft\Excel\XLSTART"
if exist "%H1%\.venv\Scripts\python.exe" "%H1%\.venv\Scripts\python.exe" -m xlwings.cli addin remove --file cchc.xlam
if exist "%H2%\.venv\Scripts\python.exe" "%H2%\.venv\Scripts\python.exe" -m xlwings.cli addin remove --file cchc.xlam
if exist "%XLSTART%\cchc.xlam" del /Q "%XLSTART%\cchc.xlam"
if exist "%H1%" rmdir /S /Q "%H1%"
if exist "%H2%\.venv" rmdir /S /Q "%H2%"
call :say bat_removed
set "RC=0"

:end
if defined OLDCP chcp %OLDCP% >nul
if not defined QUIET pause
exit /b %RC%

:say
if exist "%HERE%thong-bao\%~1.txt" (
  type "%HERE%thong-bao\%~1.txt"
) else (
  echo [%~1]
)
exit /b 0
