@echo off
rem CCHC Report Kit - offline install for Windows 10/11 with Excel 2016/2019/2021/365 (32- or 64-bit)
rem and Python 3.11 (64-bit). Creates the kit's Python environment from the wheels in this folder,
rem copies the report definitions and installs the Excel add-in.
rem   install.bat [/q]      /q: do not wait for a key at the end
rem This file is ASCII with CRLF line endings: cmd reads it in the console's code page and finds
rem labels by scanning lines. Messages are UTF-8 files in thong-bao, shown under code page 65001.
rem Paths are only expanded inside double quotes, with delayed expansion off, so folders holding
rem Vietnamese letters, spaces, ampersands or exclamation marks are safe.
setlocal EnableExtensions DisableDelayedExpansion
set "HERE=%~dp0"
set "QUIET="
if /i "%~1"=="/q" set "QUIET=1"
set "RC=1"
set "OLDCP="
for /f "tokens=2 delims=:." %%c in ('chcp') do set "OLDCP=%%c"
chcp 65001 >nul

call :say bat_step_python
set "BASEPY="
py -3.11 -c "import sys" >nul 2>nul && set "BASEPY=py -3.11"
if not defined BASEPY python -c "import sys" >nul 2>nul && set "BASEPY=python"
if not defined BASEPY (
  call :say bat_python_missing
  goto :fail
)
%BASEPY% -c "import platform, sys; print(sys.executable, platform.python_version(), platform.architecture()[0])"
%BASEPY% -c "import struct, sys; sys.exit(3 if struct.calcsize('P') != 8 else 0 if sys.version_info[:2] == (3, 11) else 2)"
if errorlevel 3 (
  call :say bat_python_32bit
  goto :fail
)
if errorlevel 2 (
  call :say bat_python_version
  goto :fail
)

rem xlwings' VBA breaks on a non-ASCII profile path (interpreter check, temp and log files):
rem then the environment and xlwings' TEMP DIR go under %%PUBLIC%%\cchc and cchc.conf says so.
set "HOME_DIR=%LOCALAPPDATA%\cchc"
set "ADDIN_HOME="
%BASEPY% -c "import os, sys; sys.exit(0 if os.environ.get('LOCALAPPDATA', '').isascii() else 1)"
if errorlevel 1 (
  set "HOME_DIR=%PUBLIC%\cchc"
  set "ADDIN_HOME=%%PUBLIC%%\cchc"
  call :say bat_home_public
)

call :say bat_step_venv
if not exist "%HOME_DIR%\temp" mkdir "%HOME_DIR%\temp" || goto :fail
%BASEPY% -m venv "%HOME_DIR%\.venv" || goto :fail
set "PY=%HOME_DIR%\.venv\Scripts\python.exe"

call :say bat_step_wheels
"%PY%" -m pip install --no-index --find-links "%HERE%wheels" cchc-report-kit || goto :fail

call :say bat_step_templates
set "TPL=%LOCALAPPDATA%\cchc\workbook_templates"
if not exist "%TPL%" mkdir "%TPL%" || goto :fail
xcopy /E /I /Y /Q "%HERE%workbook_templates" "%TPL%" >nul || goto :fail

call :say bat_step_addin
if defined ADDIN_HOME (
  "%PY%" -m xl_addin.cli addin install --home "%ADDIN_HOME%" || goto :fail
) else (
  "%PY%" -m xl_addin.cli addin install --file "%HERE%cchc.xlam" || goto :fail
)
copy /Y "%HERE%kiem-tra.bat" "%HOME_DIR%\kiem-tra.bat" >nul || goto :fail
copy /Y "%HERE%xuat-file-nop.bat" "%HOME_DIR%\xuat-file-nop.bat" >nul || goto :fail
xcopy /E /I /Y /Q "%HERE%thong-bao" "%HOME_DIR%\thong-bao" >nul || goto :fail
call :say bat_done
set "RC=0"
goto :end

:fail
call :say bat_failed
set "RC=1"

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
