@echo off
rem CCHC Report Kit - upgrade an existing install from the wheels in this folder (offline).
chcp 65001 >nul
setlocal
set "HERE=%~dp0"
set "HOME_DIR=%LOCALAPPDATA%\cchc"
set "PY=%HOME_DIR%\.venv\Scripts\python.exe"
if not exist "%PY%" (
  echo Chưa cài CCHC Report Kit trên máy này: chạy install.bat.
  exit /b 1
)
echo [1/3] Nâng cấp CCHC Report Kit ...
"%PY%" -m pip install --upgrade --no-index --find-links "%HERE%wheels" cchc-report-kit || goto :fail
echo [2/3] Cập nhật định nghĩa mẫu báo cáo ...
xcopy /E /I /Y /Q "%HERE%workbook_templates" "%HOME_DIR%\workbook_templates" >nul || goto :fail
echo [3/3] Cài lại add-in CCHC (đóng Excel trước) ...
"%HOME_DIR%\.venv\Scripts\xlwings.exe" addin install --file "%HERE%cchc.xlam" || goto :fail
echo Xong. Mở lại Excel.
exit /b 0
:fail
echo Nâng cấp không thành công. Chụp màn hình này gửi bộ phận CNTT.
exit /b 1
