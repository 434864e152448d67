@echo off
rem CCHC Report Kit - offline install for Windows 10/11, Excel 2016/2019/2021/365 (64-bit), Python 3.11 (64-bit).
rem Creates %LOCALAPPDATA%\cchc\.venv from the wheels in this folder and installs the Excel add-in.
chcp 65001 >nul
setlocal
set "HERE=%~dp0"
set "HOME_DIR=%LOCALAPPDATA%\cchc"
set "PY=%HOME_DIR%\.venv\Scripts\python.exe"
where py >nul 2>nul
if errorlevel 1 (
  echo Chưa cài Python 3.11 ^(64-bit^). Cài Python 3.11 từ python.org, chọn "Add python.exe to PATH", rồi chạy lại tệp này.
  exit /b 1
)
echo [1/4] Tạo môi trường Python tại %HOME_DIR%\.venv ...
if not exist "%HOME_DIR%" mkdir "%HOME_DIR%"
py -3.11 -m venv "%HOME_DIR%\.venv" || goto :fail
echo [2/4] Cài CCHC Report Kit và các thư viện (không cần mạng) ...
"%PY%" -m pip install --no-index --find-links "%HERE%wheels" cchc-report-kit || goto :fail
echo [3/4] Chép định nghĩa mẫu báo cáo ...
xcopy /E /I /Y /Q "%HERE%workbook_templates" "%HOME_DIR%\workbook_templates" >nul || goto :fail
echo [4/4] Cài add-in CCHC vào Excel ...
"%HOME_DIR%\.venv\Scripts\xlwings.exe" addin install --file "%HERE%cchc.xlam" || goto :fail
echo Xong. Đóng hết Excel rồi mở lại: thẻ CCHC sẽ xuất hiện. Bấm "Kiểm tra cài đặt" để kiểm tra.
exit /b 0
:fail
echo Cài đặt không thành công. Chụp màn hình này gửi bộ phận CNTT.
exit /b 1
