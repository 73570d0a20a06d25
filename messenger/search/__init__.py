"""Search: Korean-friendly substring search over messages, file names, people and rooms."""
