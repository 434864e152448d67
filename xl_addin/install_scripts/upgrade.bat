@echo off
rem CCHC Report Kit - upgrade an existing install from the wheels in this folder (offline).
rem   upgrade.bat [/q]      /q: do not wait for a key at the end
rem ASCII, CRLF, paths only inside double quotes, delayed expansion off (see install.bat).
setlocal EnableExtensions DisableDelayedExpansion
set "HERE=%~dp0"
set "QUIET="
if /i "%~1"=="/q" set "QUIET=1"
set "RC=1"
set "OLDCP="
for /f "tokens=2 delims=:." %%c in ('chcp') do set "OLDCP=%%c"
chcp 65001 >nul

set "ADDIN_HOME="
set "HOME_DIR=%LOCALAPPDATA%\cchc"
if exist "%HOME_DIR%\.venv\Scripts\python.exe" goto :found
set "HOME_DIR=%PUBLIC%\cchc"
set "ADDIN_HOME=%%PUBLIC%%\cchc"
if exist "%HOME_DIR%\.venv\Scripts\python.exe" goto :found
call :say bat_not_installed
goto :end

:found
set "PY=%HOME_DIR%\.venv\Scripts\python.exe"
call :say bat_step_upgrade
"%PY%" -m pip install --upgrade --no-index --find-links "%HERE%wheels" cchc-report-kit || goto :fail
set "TPL=%LOCALAPPDATA%\cchc\workbook_templates"
if not exist "%TPL%" mkdir "%TPL%" || goto :fail
xcopy /E /I /Y /Q "%HERE%workbook_templates" "%TPL%" >nul || goto :fail
if not exist "%HOME_DIR%\temp" mkdir "%HOME_DIR%\temp" || goto :fail
if defined ADDIN_HOME (
  "%PY%" -m xl_addin.cli addin install --home "%ADDIN_HOME%" || goto :fail
) else (
  "%PY%" -m xl_addin.cli addin install --file "%HERE%cchc.xlam" || goto :fail
)
copy /Y "%HERE%kiem-tra.bat" "%HOME_DIR%\kiem-tra.bat" >nul || goto :fail
copy /Y "%HERE%xuat-file-nop.bat" "%HOME_DIR%\xuat-file-nop.bat" >nul || goto :fail
xcopy /E /I /Y /Q "%HERE%thong-bao" "%HOME_DIR%\thong-bao" >nul || goto :fail
call :say bat_upgrade_done
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
