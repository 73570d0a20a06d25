#!/bin/sh
# Install the Linux binary of Intranet Messenger for every user of this machine.
#
#   sudo installer/linux/install.sh [--service] [BINARY]     install (BINARY: default the newest in dist/)
#   sudo installer/linux/install.sh --uninstall [--purge]    remove (--purge also deletes the service's data)
#
# Puts the binary at /opt/intranet-messenger/intranet-messenger, the icons into the hicolor theme and
# the desktop entry into /usr/share/applications (menu entry; it starts the tray). With --service it
# also creates the system user "intranet-messenger" and installs, enables and starts the systemd unit
# for a headless server (data in /var/lib/intranet-messenger). DESTDIR=/some/root installs below a
# staging root (packaging, tests) and then skips useradd/systemctl.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dest=${DESTDIR:-}
prefix=/opt/intranet-messenger
unit=/etc/systemd/system/intranet-messenger.service
sizes="16 32 48 64 128 256"
service=0 uninstall=0 purge=0 binary=""

for arg in "$@"; do
  case "$arg" in
    --service) service=1 ;;
    --uninstall) uninstall=1 ;;
    --purge) purge=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) echo "unknown option: $arg" >&2; exit 2 ;;
    *) binary=$arg ;;
  esac
done

live() { [ -z "$dest" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; }

if [ "$uninstall" = 1 ]; then
  if live && systemctl list-unit-files intranet-messenger.service >/dev/null 2>&1; then
    systemctl disable --now intranet-messenger.service || true
  fi
  rm -f "$dest$unit" "$dest/usr/share/applications/intranet-messenger.desktop"
  for s in $sizes; do rm -f "$dest/usr/share/icons/hicolor/${s}x${s}/apps/intranet-messenger.png"; done
  rm -rf "$dest$prefix"
  if [ "$purge" = 1 ]; then
    rm -rf "$dest/var/lib/intranet-messenger"
    echo "Removed, including the data in /var/lib/intranet-messenger."
  else
    echo "Removed. Data kept (server: /var/lib/intranet-messenger; desktop users: ~/.local/share/IntranetMessenger)."
  fi
  live && systemctl daemon-reload || true
  exit 0
fi

if [ -z "$binary" ]; then
  binary=$(ls -t "$root"/dist/intranet-messenger-*-linux-* 2>/dev/null | head -n 1 || true)
fi
if [ -z "$binary" ] || [ ! -f "$binary" ]; then
  echo "no binary found: run 'python build/build.py' first or name the binary" >&2
  exit 1
fi

install -D -m 0755 "$binary" "$dest$prefix/intranet-messenger"
install -D -m 0644 "$root/installer/README.md" "$dest$prefix/README.md"
if [ -f "$root/docs/BACKUP_RUNBOOK.md" ]; then
  install -D -m 0644 "$root/docs/BACKUP_RUNBOOK.md" "$dest$prefix/BACKUP_RUNBOOK.md"
fi
for s in $sizes; do
  install -D -m 0644 "$root/assets/icon-$s.png" "$dest/usr/share/icons/hicolor/${s}x${s}/apps/intranet-messenger.png"
done
install -D -m 0644 "$here/intranet-messenger.desktop" "$dest/usr/share/applications/intranet-messenger.desktop"
if [ -z "$dest" ]; then
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q /usr/share/icons/hicolor || true
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q /usr/share/applications || true
fi
echo "Installed $("$dest$prefix/intranet-messenger" --version) to $prefix"

if [ "$service" = 1 ]; then
  install -D -m 0644 "$here/intranet-messenger.service" "$dest$unit"
  if live; then
    id intranet-messenger >/dev/null 2>&1 || \
      useradd --system --home-dir /var/lib/intranet-messenger --no-create-home --shell /usr/sbin/nologin intranet-messenger
    systemctl daemon-reload
    systemctl enable --now intranet-messenger.service
    echo "Service started: systemctl status intranet-messenger; logs: journalctl -u intranet-messenger"
  else
    echo "Unit installed to $dest$unit (no running systemd here: not enabled)"
  fi
fi
