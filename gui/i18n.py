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

    def __call__(self, key: str, **values: object) -> str:
        return LABELS[self.lang][key].format(**values)
