"""The tray launcher (pystray + Pillow): icon, menu and the operator's actions one right-click away."""
