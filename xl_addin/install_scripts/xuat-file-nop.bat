@echo off
rem CCHC Report Kit - xuat-file-nop.bat
rem Export the copy to send without the Excel add-in: runs cchc export, which writes the clean copy
rem beside the workbook, then shows it selected in its folder.
rem Drop a workbook on this file, or double-click it and pick one.   xuat-file-nop.bat [WORKBOOK [/q]]
rem ASCII, CRLF, paths only inside double quotes, delayed expansion off except where noted (see install.bat).
setlocal EnableExtensions DisableDelayedExpansion
set "HERE=%~dp0"
set "QUIET="
if /i "%~2"=="/q" set "QUIET=1"
set "RC=1"
set "OLDCP="
for /f "tokens=2 delims=:." %%c in ('chcp') do set "OLDCP=%%c"
chcp 65001 >nul
call :find_python || goto :end
if "%~1"=="" goto :pick
if exist "%~f1\*" goto :dropped
if exist "%~f1" goto :given
goto :dropped

:given
"%PY%" -m xl_addin.cli export --open "%~f1"
set "RC=%ERRORLEVEL%"
goto :end

:pick
"%PY%" -m xl_addin.cli export --pick --open
set "RC=%ERRORLEVEL%"
goto :end

:dropped
rem Explorer quotes a dropped path only when it holds spaces, so an ampersand in a path without spaces
rem splits the command line cmd received and the first argument holds only its start. The whole line
rem is still in cmdcmdline: Python reads the path from it (delayed expansion is on only here, after
rem the argument was saved, and never rescans a value), then cmd ends so the rest is never run.
set "ARG1=%~f1"
setlocal EnableDelayedExpansion
set "CCHC_CMDLINE=!cmdcmdline!"
"!PY!" -m xl_addin.cli export --open --dropped "%~nx0" "!ARG1!"
set "RC=!ERRORLEVEL!"
if defined OLDCP chcp !OLDCP! >nul
if not defined QUIET pause
exit !RC!

:end
if defined OLDCP chcp %OLDCP% >nul
if not defined QUIET pause
exit /b %RC%

:find_python
set "PY=%LOCALAPPDATA%\cchc\.venv\Scripts\python.exe"
if exist "%PY%" exit /b 0
set "PY=%PUBLIC%\cchc\.venv\Scripts\python.exe"
if exist "%PY%" exit /b 0
call :say bat_not_installed
exit /b 1

:say
if exist "%HERE%thong-bao\%~1.txt" (
  type "%HERE%thong-bao\%~1.txt"
) else (
  echo [%~1]
)
exit /b 0
