"""Tray labels: Korean by default, English when the system language is set and is not Korean."""

from __future__ import annotations

import locale
import os
import sys

LABELS: dict[str, dict[str, str]] = {
    "ko": {
        "app": "사내 메신저",
        "starting": "시작하는 중…",
        "running": "실행 중",
        "stopped": "중지됨",
        "error": "오류",
        "online": "접속 {n}명",
        "open": "브라우저에서 열기",
        "copy": "주소 복사",
        "start": "서버 시작",
        "stop": "서버 중지",
        "backup_now": "지금 백업",
        "restore": "복원",
        "restore_this": "이 백업으로 복원 (현재 데이터를 바꿉니다)",
        "no_backups": "(백업 없음)",
        "verify_latest": "최근 백업 검사",
        "auto": "자동 백업",
        "auto_off": "끄기",
        "auto_daily": "매일 {hour:02d}:00",
        "auto_hour": "시각",
        "auto_keep": "보관 개수",
        "keep_n": "최근 {n}개",
        "open_data": "데이터 폴더 열기",
        "open_logs": "로그 열기",
        "autostart": "로그인할 때 시작",
        "quit": "종료",
        "copied": "주소를 복사했습니다: {url}",
        "backup_done": "백업 완료 ({size}): {name}",
        "verify_ok": "백업 검사 통과: {name}",
        "verify_failed": "백업 검사 실패: {reason}",
        "restore_done": "복원 완료: {name}",
        "busy": "작업 중: {what}",
        "failed": "실패: {reason}",
        "lan": "HTTPS · 휴대폰",
        "https_enable": "HTTPS 켜기 (이 PC의 인증서)",
        "https_disable": "HTTPS 끄기",
        "https_on": "HTTPS를 켰습니다: {url} (지문 {fingerprint}…)",
        "https_off": "HTTPS를 껐습니다: {url}",
        "install_ca": "이 PC에 인증서 설치",
        "phones": "휴대폰 접속: QR 코드와 인증서 안내",
        "diagnostics": "진단 정보 저장…",
        "diagnostics_saved": "진단 정보를 저장했습니다: {path}",
        "cert_expiring": "HTTPS 인증서가 {days}일 뒤 만료됩니다. 서버를 다시 시작하면 갱신됩니다.",
        "address_changed": "이 PC의 주소가 바뀌었습니다 ({before} → {now}). 동료들에게 새 주소를 알려 주세요.",
        "setup_code": "첫 관리자 설정 코드: {code}",
        "failure_title": "사내 메신저를 시작하지 못했습니다",
        "retry": "다시 시도",
        "log_at": "로그: {log}",
        "port_offer": "{port} 사용 중 → {next_port}로 시작",
        "fail_settings_invalid": "설정 {setting}의 값을 쓸 수 없습니다 ({path}).",
        "fail_settings_invalid_file": "설정 파일 {path}을(를) 읽을 수 없습니다 (형식이나 설정 이름이 올바르지 않습니다).",
        "fail_settings_invalid_env": "환경 변수 {setting}의 값을 쓸 수 없습니다.",
        "fix_settings_invalid_env": "그 환경 변수를 고치거나 지운 뒤 다시 시작하세요. 자세한 내용은 로그에 있습니다.",
        "fix_settings_invalid": "그 줄을 고치거나 지운 뒤 다시 시도하세요. 자세한 내용은 로그에 있습니다.",
        "fail_already_running": "다른 사내 메신저 서버가 이미 데이터 폴더 {path}을(를) 쓰고 있습니다.",
        "fix_already_running": "이미 실행 중인 서버의 트레이 아이콘을 쓰거나, 그 서버를 종료한 뒤 다시 시작하세요.",
        "fail_port_in_use": "포트 {port}을(를) 다른 프로그램이 쓰고 있습니다.",
        "fix_port_in_use": "{next_port}번 포트가 비어 있습니다. 그 포트로 시작하면 설정에 기억합니다.",
        "fix_port_in_use_cli": "{next_port}번 포트가 비어 있습니다. --port {next_port} 로 시작하거나 settings.toml에 DEFAULT_PORT = {next_port} 를 넣으세요.",
        "fix_port_in_use_none": "그 프로그램을 끄거나 settings.toml의 DEFAULT_PORT를 바꾼 뒤 다시 시도하세요.",
        "fail_port_forbidden": "사용자 {user}은(는) 포트 {port}을(를) 쓸 수 없습니다.",
        "fail_data_dir_unwritable": "사용자 {user}이(가) 데이터 폴더 {path}에 쓸 수 없습니다.",
        "fix_data_dir_unwritable": "그 폴더의 소유자로 실행하거나, {user}에게 쓰기 권한을 주거나, --data-dir로 다른 폴더를 지정하세요.",
        "fail_secret_unreadable": "사용자 {user}이(가) 비밀 키 {path}을(를) 읽을 수 없습니다 (소유자: {owner}).",
        "fix_secret_unreadable": "소유자 {owner}(으)로 실행하거나, 관리자 권한으로 그 파일의 소유자를 {user}(으)로 바꾸세요.",
        "fail_start_failed": "서버를 시작하지 못했습니다.",
        "fix_start_failed": "로그에 자세한 내용이 있습니다. 다시 시도하거나 로그를 도와줄 사람에게 보내세요.",
    },
    "en": {
        "app": "Intranet Messenger",
        "starting": "Starting…",
        "running": "Running",
        "stopped": "Stopped",
        "error": "Error",
        "online": "{n} online",
        "open": "Open in browser",
        "copy": "Copy address",
        "start": "Start server",
        "stop": "Stop server",
        "backup_now": "Back up now",
        "restore": "Restore",
        "restore_this": "Restore this backup (replaces the current data)",
        "no_backups": "(no backups)",
        "verify_latest": "Verify latest backup",
        "auto": "Automatic backups",
        "auto_off": "Off",
        "auto_daily": "Daily at {hour:02d}:00",
        "auto_hour": "Hour",
        "auto_keep": "Keep",
        "keep_n": "Last {n}",
        "open_data": "Open data folder",
        "open_logs": "Open logs",
        "autostart": "Start at login",
        "quit": "Quit",
        "copied": "Address copied: {url}",
        "backup_done": "Backup done ({size}): {name}",
        "verify_ok": "Backup verified: {name}",
        "verify_failed": "Backup verification failed: {reason}",
        "restore_done": "Restore done: {name}",
        "busy": "Working: {what}",
        "failed": "Failed: {reason}",
        "lan": "HTTPS · phones",
        "https_enable": "Enable HTTPS (certificate of this PC)",
        "https_disable": "Disable HTTPS",
        "https_on": "HTTPS enabled: {url} (fingerprint {fingerprint}…)",
        "https_off": "HTTPS disabled: {url}",
        "install_ca": "Install the certificate on this PC",
        "phones": "Phones: QR code and certificate steps",
        "diagnostics": "Save diagnostics…",
        "diagnostics_saved": "Diagnostics saved: {path}",
        "cert_expiring": "The HTTPS certificate expires in {days} days; restarting the server renews it.",
        "address_changed": "This PC's address changed ({before} → {now}); tell colleagues the new address.",
        "setup_code": "First administrator setup code: {code}",
        "failure_title": "Intranet Messenger could not start",
        "retry": "Try again",
        "log_at": "Log: {log}",
        "port_offer": "{port} in use → start on {next_port}",
        "fail_settings_invalid": "The setting {setting} has a value the server cannot use ({path}).",
        "fail_settings_invalid_file": "The settings file {path} cannot be read (bad format or an unknown setting name).",
        "fail_settings_invalid_env": "The environment variable {setting} has a value the server cannot use.",
        "fix_settings_invalid_env": "Fix or remove that variable, then start again. The log has the details.",
        "fix_settings_invalid": "Fix or remove that line, then try again. The log has the details.",
        "fail_already_running": "Another Intranet Messenger server already uses the data folder {path}.",
        "fix_already_running": "Use the tray icon of the server that is running, or quit it and start again.",
        "fail_port_in_use": "Port {port} is already in use by another program.",
        "fix_port_in_use": "Port {next_port} is free; starting there remembers it in the settings.",
        "fix_port_in_use_cli": "Port {next_port} is free: start with --port {next_port}, or put DEFAULT_PORT = {next_port} in settings.toml.",
        "fix_port_in_use_none": "Quit that program or change DEFAULT_PORT in settings.toml, then try again.",
        "fail_port_forbidden": "User {user} may not use port {port}.",
        "fail_data_dir_unwritable": "User {user} cannot write to the data folder {path}.",
        "fix_data_dir_unwritable": "Run as the folder's owner, give {user} write permission, or choose another folder with --data-dir.",
        "fail_secret_unreadable": "User {user} cannot read the secret key {path} (owner: {owner}).",
        "fix_secret_unreadable": "Run as {owner}, or as an administrator give the file to {user}.",
        "fail_start_failed": "The server did not start.",
        "fix_start_failed": "The log has the details. Try again, or send the log to whoever helps you.",
    },
}


def system_language() -> str:
    """``"ko"`` or ``"en"``: English only when a language is set and it is not Korean."""
    if sys.platform == "win32":
        try:
            import ctypes

            lang_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()
            return "ko" if (lang_id & 0x3FF) == 0x12 else "en"
        except Exception:
            return "ko"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value:
            code = value.split(":")[0].split(".")[0].lower()
            if code in ("c", "posix"):
                return "ko"
            return "ko" if code.startswith("ko") else "en"
    try:
        code = (locale.getlocale()[0] or "").lower()
    except ValueError:
        code = ""
    return "en" if code and not code.startswith("ko") else "ko"


class Texts:
    def __init__(self, lang: str | None = None) -> None:
        self.lang = lang if lang in LABELS else system_language()

    def keys(self) -> list[str]:
        return list(LABELS[self.lang])

    def __call__(self, key: str, **values: object) -> str:
        return LABELS[self.lang][key].format(**values)
